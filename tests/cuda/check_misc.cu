/* Checks the CUDA kernels of index_nd.cu, loss.cu, quant.cu, image.cu and
 * resize.cu
 * against the C runtime's kernels of the same names: each case fills
 * random inputs, runs mlc_rt_NAME on the host and mlc_rtcu_NAME on the GPU
 * with the same parameters, and compares the outputs (bytes exactly for
 * data movement, integers and encoded floats; float math within rtol 1e-5
 * / atol 1e-6, NaN matching NaN). Outputs start with the same garbage on
 * both sides, so a kernel that writes too little or too much shows up.
 * One line per case; exit status 1 on any mismatch. Needs a GPU; link with
 * libmlc_rt.a. */
#include "check.h"

/* ---- GatherND / ScatterND -------------------------------------------------- */

/* data [batch, dims..., slice] of elem bytes; nidx tuples per batch with
 * in-range, negative and out-of-range coordinates */
static MlcND nd_params(int64_t batch, int64_t k, const int64_t *dims, int64_t slice, int64_t elem,
                       int64_t nidx, int64_t dtype, int64_t red) {
  MlcND p;
  memset(&p, 0, sizeof p);
  p.batch = batch;
  p.k = k;
  p.slice = slice;
  p.elem = elem;
  p.nidx = nidx;
  p.dtype = dtype;
  p.reduction = red;
  int64_t s = slice;
  for (int64_t j = k - 1; j >= 0; j--) {
    p.dims[j] = dims[j];
    p.strides[j] = s;
    s *= dims[j];
  }
  p.batch_stride = s;
  p.data_count = batch * s;
  return p;
}

static std::vector<int64_t> nd_indices(const MlcND &p) {
  std::vector<int64_t> v((size_t)(p.batch * p.nidx * p.k));
  for (size_t i = 0; i < v.size(); i++) {
    int64_t len = p.dims[i % p.k];
    /* mostly in range, some negative, a few out of range */
    v[i] = irand(0, 9) == 0 ? irand(len, len + 2) : irand(-len, len - 1);
  }
  return v;
}

static void check_nd(void) {
  const int64_t d2[2] = {3, 4}, d1[1] = {5}, d3[3] = {2, 3, 2};
  struct {
    const char *name;
    int64_t batch, k;
    const int64_t *dims;
    int64_t slice, elem, nidx, dtype;
  } c[] = {
      {"f32 k2 slice 5", 2, 2, d2, 5, 4, 3, MLC_DT_FLOAT},
      {"u8 k1 slice 3", 1, 1, d1, 3, 1, 7, MLC_DT_UINT8},
      {"i64 k3 slice 1", 3, 3, d3, 1, 8, 4, MLC_DT_INT64},
      {"f64 k2 slice 2", 1, 2, d2, 2, 8, 9, MLC_DT_DOUBLE},
      {"i8 k1 slice 1 dups", 2, 1, d1, 1, 1, 12, MLC_DT_INT8},
      {"i32 k2 slice 3", 2, 2, d2, 3, 4, 10, MLC_DT_INT32},
      {"u16 k1 slice 2", 1, 1, d1, 2, 2, 6, MLC_DT_UINT16},
      {"u64 k2 slice 1", 1, 2, d2, 1, 8, 20, MLC_DT_UINT64},
      {"elem 6 k1 slice 2", 2, 1, d1, 2, 6, 4, 0},
  };
  char name[100];
  for (auto &t : c) {
    MlcND g = nd_params(t.batch, t.k, t.dims, t.slice, t.elem, t.nidx, t.dtype, 0);
    std::vector<int64_t> idx = nd_indices(g);
    size_t out = (size_t)(g.batch * g.nidx * g.slice * g.elem);
    snprintf(name, sizeof name, "gather_nd %s", t.name);
    check(name, mlc_rt_gather_nd, mlc_rtcu_gather_nd, &g,
          {in_bytes((size_t)(g.data_count * g.elem)), in_vals(idx), out_slot(out, CMP_BYTES)});
    for (int64_t red = 0; red <= 4; red++) {
      if (red && !t.dtype) continue;
      MlcND p = nd_params(t.batch, t.k, t.dims, t.slice, t.elem, t.nidx, t.dtype, red);
      size_t db = (size_t)(p.data_count * p.elem), ub = out;
      Slot data = in_bytes(db), upd = in_bytes(ub);
      int cmp = CMP_BYTES;
      if (t.dtype == MLC_DT_FLOAT || t.dtype == MLC_DT_DOUBLE) {
        /* float values (no NaN from random bits) */
        int64_t nd = p.data_count, nu = p.batch * p.nidx * p.slice;
        data = t.dtype == MLC_DT_FLOAT ? in_vals(frand(nd)) : in_vals(drand(nd, -2, 2));
        upd = t.dtype == MLC_DT_FLOAT ? in_vals(frand(nu)) : in_vals(drand(nu, -2, 2));
        cmp = t.dtype == MLC_DT_FLOAT ? CMP_F32 : CMP_F64;
      }
      snprintf(name, sizeof name, "scatter_nd %s red %d", t.name, (int)red);
      check(name, mlc_rt_scatter_nd, mlc_rtcu_scatter_nd, &p,
            {data, in_vals(idx), upd, out_slot(db, cmp)});
    }
  }
  /* in place: y is data */
  MlcND p = nd_params(2, 2, d2, 5, 4, 6, MLC_DT_FLOAT, 1);
  Slot data = in_vals(frand(p.data_count));
  data.out = 1;
  data.cmp = CMP_F32;
  check("scatter_nd f32 add in place", mlc_rt_scatter_nd, mlc_rtcu_scatter_nd, &p,
        {data, in_vals(nd_indices(p)), in_vals(frand(p.batch * p.nidx * p.slice)), alias_of(0)});
}

/* ---- ReverseSequence, TensorScatter --------------------------------------------- */

static void check_move(void) {
  struct {
    const char *name;
    int64_t rank, dims[4], ta, ba, elem;
  } c[] = {
      {"reverse_sequence [4,3,2] t0 b1 f32", 3, {4, 3, 2}, 0, 1, 4},
      {"reverse_sequence [3,5] t1 b0 u16", 2, {3, 5}, 1, 0, 2},
      {"reverse_sequence [2,6,3,2] t1 b0 i64", 4, {2, 6, 3, 2}, 1, 0, 8},
      {"reverse_sequence [5,2,3] t0 b1 elem 3", 3, {5, 2, 3}, 0, 1, 3},
  };
  for (auto &t : c) {
    MlcRevSeq p;
    memset(&p, 0, sizeof p);
    p.rank = t.rank;
    p.elem = t.elem;
    p.time_axis = t.ta;
    p.batch_axis = t.ba;
    int64_t count = 1;
    for (int d = 0; d < t.rank; d++) count *= p.dims[d] = t.dims[d];
    /* lengths: 0, past the time dim, negative, in between */
    std::vector<int64_t> lens = i64rand(t.dims[t.ba], -1, t.dims[t.ta] + 2);
    check(t.name, mlc_rt_reverse_sequence, mlc_rtcu_reverse_sequence, &p,
          {in_bytes((size_t)(count * t.elem)), in_vals(lens),
           out_slot((size_t)(count * t.elem), CMP_BYTES)});
  }
  struct {
    const char *name;
    int64_t pre, per_batch, max_seq, seq, row_bytes, circular, has_idx, in_place;
  } s[] = {
      {"tensor_scatter linear", 4, 2, 6, 3, 16, 0, 1, 0},
      {"tensor_scatter linear no indices", 3, 1, 5, 2, 12, 0, 0, 0},
      {"tensor_scatter linear in place", 4, 4, 7, 4, 8, 0, 1, 1},
      {"tensor_scatter circular", 6, 3, 5, 3, 4, 1, 1, 0},
      {"tensor_scatter circular seq > max_seq", 2, 1, 3, 8, 6, 1, 1, 0},
      {"tensor_scatter circular in place", 2, 2, 4, 2, 32, 1, 1, 1},
  };
  for (auto &t : s) {
    MlcTensorScatter p = {t.pre, t.per_batch, t.max_seq, t.seq, t.row_bytes, t.circular};
    size_t cb = (size_t)(t.pre * t.max_seq * t.row_bytes);
    std::vector<int64_t> at = i64rand(t.pre / t.per_batch, -t.max_seq - 2, t.max_seq + 2);
    Slot cache = in_bytes(cb);
    if (t.in_place) {
      cache.out = 1;
      check(t.name, mlc_rt_tensor_scatter, mlc_rtcu_tensor_scatter, &p,
            {cache, in_bytes((size_t)(t.pre * t.seq * t.row_bytes)),
             t.has_idx ? in_vals(at) : null_slot(), alias_of(0)});
    } else {
      check(t.name, mlc_rt_tensor_scatter, mlc_rtcu_tensor_scatter, &p,
            {cache, in_bytes((size_t)(t.pre * t.seq * t.row_bytes)),
             t.has_idx ? in_vals(at) : null_slot(), out_slot(cb, CMP_BYTES)});
    }
  }
}

/* ---- Einsum ------------------------------------------------------------------ */

/* y[so.i] += a[sa.i] * b[sb.i] with the given loop dims (output dims first,
 * as the compiler orders them) */
static void einsum_case(const char *what, int64_t dtype, int rank, const int64_t *dims,
                        const int64_t *sa, const int64_t *sb, const int64_t *so, int64_t na,
                        int64_t nb, int64_t count) {
  MlcEinsum p;
  memset(&p, 0, sizeof p);
  p.rank = rank;
  p.dtype = dtype;
  p.count = count;
  for (int d = 0; d < rank; d++) {
    p.dims[d] = dims[d];
    p.sa[d] = sa[d];
    p.sb[d] = sb ? sb[d] : 0;
    p.so[d] = so[d];
  }
  size_t es = mlc_rt_dtype_size(dtype);
  Slot a = in_bytes((size_t)na * es), b = nb ? in_bytes((size_t)nb * es) : null_slot();
  int cmp = CMP_BYTES;
  if (dtype == MLC_DT_FLOAT) {
    a = in_vals(frand(na));
    if (nb) b = in_vals(frand(nb));
    cmp = CMP_F32;
  } else if (dtype == MLC_DT_DOUBLE) {
    a = in_vals(drand(na, -2, 2));
    if (nb) b = in_vals(drand(nb, -2, 2));
    cmp = CMP_F64;
  }
  char name[100];
  snprintf(name, sizeof name, "einsum %s dt %d", what, (int)dtype);
  check(name, mlc_rt_einsum, mlc_rtcu_einsum, &p, {a, b, out_slot((size_t)count * es, cmp)});
}

static void check_einsum(void) {
  const int64_t types[] = {MLC_DT_FLOAT, MLC_DT_DOUBLE, MLC_DT_INT32,
                           MLC_DT_INT8,  MLC_DT_UINT64, MLC_DT_INT16};
  for (int64_t t : types) {
    /* ij,jk->ik: dims i, k, j */
    int64_t I = 3, J = 5, K = 4;
    {
      int64_t dims[3] = {I, K, J}, sa[3] = {J, 0, 1}, sb[3] = {0, 1, K}, so[3] = {K, 1, 0};
      einsum_case("ij,jk->ik", t, 3, dims, sa, sb, so, I * J, J * K, I * K);
    }
    /* ij->ji, one operand: dims j, i */
    {
      int64_t dims[2] = {J, I}, sa[2] = {1, J}, so[2] = {I, 1};
      einsum_case("ij->ji", t, 2, dims, sa, NULL, so, I * J, 0, I * J);
    }
    /* ii->: the trace, one summed dim */
    {
      int64_t dims[1] = {4}, sa[1] = {5}, so[1] = {0};
      einsum_case("ii->", t, 1, dims, sa, NULL, so, 16, 0, 1);
    }
    /* i,j->ij: no summed dim */
    {
      int64_t dims[2] = {I, J}, sa[2] = {1, 0}, sb[2] = {0, 1}, so[2] = {J, 1};
      einsum_case("i,j->ij", t, 2, dims, sa, sb, so, I, J, I * J);
    }
    /* bij,bjk->bik with two summed dims around: dims b, i, k, j, l
     * (a [b, i, j, l], b [b, j, k]) */
    {
      int64_t B = 2, L = 3;
      int64_t dims[5] = {B, I, K, J, L};
      int64_t sa[5] = {I * J * L, J * L, 0, L, 1}, sb[5] = {J * K, 0, 1, K, 0};
      int64_t so[5] = {I * K, K, 1, 0, 0};
      einsum_case("bijl,bjk->bik", t, 5, dims, sa, sb, so, B * I * J * L, B * J * K, B * I * K);
    }
    /* a summed dim of 0 leaves y zero */
    {
      int64_t dims[2] = {I, 0}, sa[2] = {0, 1}, sb[2] = {1, 0}, so[2] = {1, 0};
      einsum_case("empty sum", t, 2, dims, sa, sb, so, 1, I, I);
    }
    /* rank 0: a scalar product */
    einsum_case("scalar", t, 0, NULL, NULL, NULL, NULL, 1, 1, 1);
  }
}

/* ---- NegativeLogLikelihoodLoss ------------------------------------------------- */

static void check_nll(void) {
  char name[100];
  for (int red = 0; red <= 2; red++)
    for (int bits = 32; bits <= 64; bits += 32)
      for (int weighted = 0; weighted <= 1; weighted++)
        for (int ignore = 0; ignore <= 1; ignore++) {
          MlcNll p = {3, 5, weighted ? 4 : 1, bits, ignore, 2, red};
          int64_t nt = p.n * p.inner;
          std::vector<int64_t> t64 = i64rand(nt, -1, p.c); /* some out of range */
          std::vector<int32_t> t32(t64.begin(), t64.end());
          snprintf(name, sizeof name, "nll red %d idx%d weight %d ignore %d", red, bits, weighted,
                   ignore);
          check(
              name, mlc_rt_nll_f32, mlc_rtcu_nll_f32, &p,
              {in_vals(frand(p.n * p.c * p.inner, -5, 0)), bits == 32 ? in_vals(t32) : in_vals(t64),
               weighted ? in_vals(frand(p.c, 0, 2)) : null_slot(),
               out_slot(red ? 4 : (size_t)nt * 4, CMP_F32)});
        }
  /* every target ignored: the mean is 0 / 0 */
  MlcNll p = {2, 3, 1, 64, 1, 1, 2};
  check(
      "nll mean all ignored", mlc_rt_nll_f32, mlc_rtcu_nll_f32, &p,
      {in_vals(frand(6)), in_vals(std::vector<int64_t>{1, 1}), null_slot(), out_slot(4, CMP_F32)});
}

/* ---- Quantize / Dequantize ----------------------------------------------------- */

/* scales per tensor (axis -1), per axis 1 or blocked along axis 1 of
 * [outer, len, inner] */
static MlcQuant quant_params(int64_t outer, int64_t len, int64_t inner, int64_t layout,
                             int64_t block, int64_t *nscale) {
  MlcQuant p;
  memset(&p, 0, sizeof p);
  p.outer = outer;
  p.len = len;
  p.inner = inner;
  p.block = 1;
  if (layout == 0) { /* per tensor: [outer * len * inner] as len */
    p.len = outer * len * inner;
    p.outer = p.inner = 1;
    *nscale = 1;
  } else if (layout == 1) {
    p.s_a = 1;
    *nscale = len;
  } else {
    int64_t nblk = (len + block - 1) / block;
    p.block = block;
    p.s_o = nblk * inner;
    p.s_a = inner;
    p.s_i = 1;
    *nscale = outer * nblk * inner;
  }
  return p;
}

/* random x of type t: floats in [-range, range], other types random bits
 * (sub-byte integers in their range) */
static Slot quant_x(int64_t t, int64_t n, double range) {
  if (t == MLC_DT_FLOAT) return in_vals(frand(n, -range, range));
  if (t == MLC_DT_INT32) {
    std::vector<int32_t> v((size_t)n);
    for (auto &x : v) x = (int32_t)irand(-(int64_t)range, (int64_t)range);
    return in_vals(v);
  }
  if (t == MLC_DT_FLOAT16 || t == MLC_DT_BFLOAT16) {
    /* encoded from doubles by the C cast, so they are valid values */
    std::vector<double> d = drand(n, -range, range);
    std::vector<uint16_t> v((size_t)n);
    MlcCast c = {n, MLC_DT_DOUBLE, t, 0};
    void *io[MLC_CAST_NIO] = {d.data(), v.data()};
    mlc_rt_cast(&c, io);
    return in_vals(v);
  }
  Slot s = in_bytes((size_t)(n * mlc_rt_dtype_size(t)));
  int64_t lo = 0, hi = 0;
  switch (t) {
  case MLC_DT_INT4: lo = -8, hi = 7; break;
  case MLC_DT_UINT4: lo = 0, hi = 15; break;
  case MLC_DT_INT2: lo = -2, hi = 1; break;
  case MLC_DT_UINT2: lo = 0, hi = 3; break;
  case MLC_DT_FLOAT4E2M1: lo = 0, hi = 15; break;
  default: break;
  }
  if (hi)
    for (auto &b : s.b) b = (unsigned char)(int8_t)irand(lo, hi);
  return s;
}

struct QCase {
  const char *name;
  int dequant;
  int64_t xt, yt, divt, lo, hi, nosat, layout, block, has_zp;
  double range;
};

static void check_quant(void) {
  const QCase c[] = {
      {"quantize f32->u8 per tensor", 0, MLC_DT_FLOAT, MLC_DT_UINT8, MLC_DT_FLOAT, 0, 255, 0, 0, 1,
       1, 40},
      {"quantize f32->i8 per axis", 0, MLC_DT_FLOAT, MLC_DT_INT8, MLC_DT_FLOAT, -128, 127, 0, 1, 1,
       1, 300},
      {"quantize f32->i4 blocked", 0, MLC_DT_FLOAT, MLC_DT_INT4, MLC_DT_FLOAT, -8, 7, 0, 2, 3, 1,
       20},
      {"quantize f16->i16 per axis div f16", 0, MLC_DT_FLOAT16, MLC_DT_INT16, MLC_DT_FLOAT16,
       -32768, 32767, 0, 1, 1, 1, 1000},
      {"quantize bf16->u4 blocked div f32", 0, MLC_DT_BFLOAT16, MLC_DT_UINT4, MLC_DT_FLOAT, 0, 15,
       0, 2, 2, 1, 10},
      {"quantize i32->u16 div f64", 0, MLC_DT_INT32, MLC_DT_UINT16, MLC_DT_DOUBLE, 0, 65535, 0, 1,
       1, 1, 100000},
      {"quantize f32->i2 per tensor", 0, MLC_DT_FLOAT, MLC_DT_INT2, MLC_DT_FLOAT, -2, 1, 0, 0, 1, 1,
       4},
      {"quantize f32->u2 no zp", 0, MLC_DT_FLOAT, MLC_DT_UINT2, MLC_DT_FLOAT, 0, 3, 0, 1, 1, 0, 4},
      {"quantize f32->e4m3fn sat", 0, MLC_DT_FLOAT, MLC_DT_FLOAT8E4M3FN, MLC_DT_FLOAT, 1, 0, 0, 1,
       1, 0, 2000},
      {"quantize f32->e4m3fn nosat", 0, MLC_DT_FLOAT, MLC_DT_FLOAT8E4M3FN, MLC_DT_FLOAT, 1, 0, 1, 1,
       1, 0, 2000},
      {"quantize f16->e5m2fnuz nosat", 0, MLC_DT_FLOAT16, MLC_DT_FLOAT8E5M2FNUZ, MLC_DT_FLOAT16, 1,
       0, 1, 0, 1, 0, 60000},
      {"quantize f32->e4m3fnuz", 0, MLC_DT_FLOAT, MLC_DT_FLOAT8E4M3FNUZ, MLC_DT_FLOAT, 1, 0, 0, 2,
       4, 0, 500},
      {"quantize f32->e5m2", 0, MLC_DT_FLOAT, MLC_DT_FLOAT8E5M2, MLC_DT_BFLOAT16, 1, 0, 0, 0, 1, 0,
       1e5},
      {"quantize f32->f4e2m1 zp", 0, MLC_DT_FLOAT, MLC_DT_FLOAT4E2M1, MLC_DT_FLOAT, 1, 0, 0, 1, 1,
       1, 10},
      {"dequantize i8->f32 per axis", 1, MLC_DT_INT8, MLC_DT_FLOAT, 0, 1, 0, 0, 1, 1, 1, 0},
      {"dequantize u8->f32 per tensor", 1, MLC_DT_UINT8, MLC_DT_FLOAT, 0, 1, 0, 0, 0, 1, 1, 0},
      {"dequantize u4->f16 blocked", 1, MLC_DT_UINT4, MLC_DT_FLOAT16, 0, 1, 0, 0, 2, 3, 1, 0},
      {"dequantize i2->bf16 blocked", 1, MLC_DT_INT2, MLC_DT_BFLOAT16, 0, 1, 0, 0, 2, 2, 1, 0},
      {"dequantize i32->f32 per axis", 1, MLC_DT_INT32, MLC_DT_FLOAT, 0, 1, 0, 0, 1, 1, 1, 0},
      {"dequantize i16->f32 no zp", 1, MLC_DT_INT16, MLC_DT_FLOAT, 0, 1, 0, 0, 1, 1, 0, 0},
      {"dequantize e4m3fnuz->bf16", 1, MLC_DT_FLOAT8E4M3FNUZ, MLC_DT_BFLOAT16, 0, 1, 0, 0, 1, 1, 0,
       0},
      {"dequantize e5m2->f32", 1, MLC_DT_FLOAT8E5M2, MLC_DT_FLOAT, 0, 1, 0, 0, 0, 1, 0, 0},
      {"dequantize f4e2m1->f32 zp", 1, MLC_DT_FLOAT4E2M1, MLC_DT_FLOAT, 0, 1, 0, 0, 1, 1, 1, 0},
  };
  for (const QCase &t : c) {
    int64_t ns;
    MlcQuant p = quant_params(2, 7, 3, t.layout, t.block, &ns);
    int64_t n = p.outer * p.len * p.inner;
    p.xt = t.xt;
    p.yt = t.yt;
    p.divt = t.divt;
    p.lo = t.lo;
    p.hi = t.hi;
    p.nosat = t.nosat;
    std::vector<double> scale = drand(ns, 0.05, 2), zp((size_t)ns);
    for (auto &z : zp) {
      /* an integer zero point in the output's range; float4e2m1's is a
       * code's value */
      int64_t lo = t.lo <= t.hi ? t.lo : -3, hi = t.lo <= t.hi ? t.hi : 3;
      if (t.dequant) lo = -3, hi = 3;
      z = (double)irand(lo, hi);
      if (t.yt == MLC_DT_FLOAT4E2M1 || t.xt == MLC_DT_FLOAT4E2M1) z = irand(-6, 6) * 0.5;
    }
    /* scales of float16 quotients stay representable */
    Slot x = quant_x(t.xt, n, t.dequant ? 0 : t.range);
    int cmp = t.yt == MLC_DT_FLOAT      ? CMP_F32
              : t.yt == MLC_DT_FLOAT16  ? CMP_F16
              : t.yt == MLC_DT_BFLOAT16 ? CMP_BF16
                                        : CMP_BYTES;
    check(t.name, t.dequant ? mlc_rt_dequantize : mlc_rt_quantize,
          t.dequant ? mlc_rtcu_dequantize : mlc_rtcu_quantize, &p,
          {x, in_vals(scale), t.has_zp ? in_vals(zp) : null_slot(),
           out_slot((size_t)n * mlc_rt_dtype_size(t.yt), cmp)});
  }
}

/* ---- RotaryEmbedding ----------------------------------------------------------- */

static void check_rotary(void) {
  struct {
    const char *name;
    int64_t b, h, s, d, rot, inter, npos, in_place;
  } c[] = {
      {"rotary halves full", 2, 3, 4, 8, 8, 0, 0, 0},
      {"rotary interleaved partial", 1, 2, 5, 10, 6, 1, 0, 0},
      {"rotary positions clamped", 2, 2, 3, 6, 4, 0, 5, 0},
      {"rotary interleaved positions in place", 2, 1, 4, 8, 8, 1, 6, 1},
      {"rotary odd rot", 1, 2, 2, 7, 5, 0, 0, 0},
  };
  for (auto &t : c) {
    /* x [b, s, h, d]: strides (batch, head, position) not row-major */
    MlcRotary p = {t.b, t.h, t.s, t.d, t.rot, t.inter, {t.s * t.h * t.d, t.d, t.h * t.d}, t.npos};
    int64_t n = t.b * t.h * t.s * t.d, rows = t.npos ? t.npos : t.b * t.s;
    Slot x = in_vals(frand(n));
    std::vector<int64_t> pos = i64rand(t.b * t.s, -2, t.npos + 2);
    if (t.in_place) {
      x.out = 1;
      x.cmp = CMP_F32;
    }
    check(t.name, mlc_rt_rotary_f32, mlc_rtcu_rotary_f32, &p,
          {x, in_vals(frand(rows * (t.rot / 2))), in_vals(frand(rows * (t.rot / 2))),
           t.npos ? in_vals(pos) : null_slot(),
           t.in_place ? alias_of(0) : out_slot((size_t)n * 4, CMP_F32)});
  }
}

/* ---- ConvTranspose -------------------------------------------------------------- */

static void check_convtranspose(void) {
  struct {
    const char *name;
    int64_t n, c, m, group, nsp, in[3], k[3], s[3], d[3], pb[3], pe[3], has_bias;
  } c[] = {
      {"convtranspose 1-D", 2, 3, 2, 1, 1, {5}, {3}, {1}, {1}, {0}, {0}, 1},
      {"convtranspose 2-D stride 2 pads",
       1,
       4,
       6,
       2,
       2,
       {4, 3},
       {3, 2},
       {2, 2},
       {1, 1},
       {1, 0},
       {0, 1},
       1},
      {"convtranspose 2-D dilation no bias",
       2,
       2,
       3,
       1,
       2,
       {3, 4},
       {2, 3},
       {1, 3},
       {2, 1},
       {0, 2},
       {1, 0},
       0},
      {"convtranspose 3-D",
       1,
       2,
       2,
       2,
       3,
       {2, 3, 2},
       {2, 2, 3},
       {2, 1, 2},
       {1, 1, 1},
       {0, 1, 1},
       {1, 0, 0},
       1},
  };
  for (auto &t : c) {
    MlcConv p;
    memset(&p, 0, sizeof p);
    p.n = t.n;
    p.c = t.c;
    p.m = t.m;
    p.group = t.group;
    p.nsp = t.nsp;
    p.has_bias = t.has_bias;
    int64_t inpix = 1, outpix = 1, kvol = 1;
    for (int i = 0; i < t.nsp; i++) {
      p.in_sp[i] = t.in[i];
      p.k[i] = t.k[i];
      p.stride[i] = t.s[i];
      p.dil[i] = t.d[i];
      p.pad_begin[i] = t.pb[i];
      p.out_sp[i] = (t.in[i] - 1) * t.s[i] + (t.k[i] - 1) * t.d[i] + 1 - t.pb[i] - t.pe[i];
      inpix *= t.in[i];
      outpix *= p.out_sp[i];
      kvol *= t.k[i];
    }
    int64_t mg = t.m / t.group, cg = t.c / t.group;
    int64_t scratch = mg * kvol * inpix + mlc_rt_gemm_scratch(mg * kvol, inpix, cg);
    check(t.name, mlc_rt_convtranspose_f32, mlc_rtcu_convtranspose_f32, &p,
          {in_vals(frand(t.n * t.c * inpix)), in_vals(frand(t.c * mg * kvol)),
           t.has_bias ? in_vals(frand(t.m)) : null_slot(),
           out_slot((size_t)(t.n * t.m * outpix) * 4, CMP_F32), scratch_slot((size_t)scratch * 4)});
  }
}

/* ---- GridSample ------------------------------------------------------------------ */

static void gridsample_case(int nsp, const int64_t *in, const int64_t *out, int mode, int pad,
                            int align) {
  MlcGridSample p;
  memset(&p, 0, sizeof p);
  p.n = 2;
  p.c = 3;
  p.nsp = nsp;
  p.mode = mode;
  p.padding = pad;
  p.align_corners = align;
  int64_t inpix = 1, npts = 1;
  for (int i = 0; i < nsp; i++) {
    p.in_sp[i] = in[i];
    p.out_sp[i] = out[i];
    inpix *= in[i];
    npts *= out[i];
  }
  char name[100];
  snprintf(name, sizeof name, "gridsample %d-D mode %d pad %d align %d", nsp, mode, pad, align);
  /* points inside and up to well outside the plane (reflection wraps more
   * than once) */
  check(name, mlc_rt_gridsample_f32, mlc_rtcu_gridsample_f32, &p,
        {in_vals(frand(p.n * p.c * inpix)), in_vals(frand(p.n * npts * nsp, -2.5, 2.5)),
         out_slot((size_t)(p.n * p.c * npts) * 4, CMP_F32)});
}

static void check_gridsample(void) {
  const int64_t in2[2] = {4, 5}, out2[2] = {3, 6}, in1[1] = {6}, out1[1] = {7};
  const int64_t in3[3] = {3, 4, 2}, out3[3] = {2, 3, 3}, in2b[2] = {1, 1}, out2b[2] = {2, 2};
  for (int mode = 0; mode <= 2; mode++)
    for (int pad = 0; pad <= 2; pad++)
      for (int align = 0; align <= 1; align++) {
        gridsample_case(2, in2, out2, mode, pad, align);
        gridsample_case(1, in1, out1, mode, pad, align);
        gridsample_case(3, in3, out3, mode, pad, align);
      }
  /* a 1 x 1 plane: reflection has no range */
  gridsample_case(2, in2b, out2b, 1, 2, 1);
  gridsample_case(2, in2b, out2b, 2, 2, 0);
}

/* ---- Resize ---------------------------------------------------------------------- */

/* The kernel gathers from tables that the compiler computes
 * (compiler/ops/image.c, resize_tables); this is that computation for one
 * axis, so that the cases get the tables of each mode, coordinate
 * transformation, nearest rounding, antialias and exclude_outside. */
enum { RS_NEAREST, RS_LINEAR, RS_CUBIC };
enum { RS_HALF_PIXEL, RS_HALF_PIXEL_SYM, RS_PYTORCH, RS_ALIGN, RS_ASYM, RS_CROP, RS_TF_NN };
enum { RS_PREFER_FLOOR, RS_PREFER_CEIL, RS_FLOOR, RS_CEIL, RS_SIMPLE };

struct RsMode {
  int mode, coord, nearest, antialias, exclude;
  double cubic_a, roi_lo, roi_hi;
};

static double rs_coord(const RsMode &m, double s, int64_t in, int64_t out, double l) {
  double width = s * (double)in, x;
  switch (m.coord) {
  case RS_ALIGN: return width == 1 ? 0 : l * (double)(in - 1) / (width - 1);
  case RS_ASYM: return l / s;
  case RS_TF_NN: return (l + 0.5) / s;
  case RS_PYTORCH: return width == 1 ? -0.5 : (l + 0.5) / s - 0.5;
  case RS_HALF_PIXEL_SYM: return (double)in / 2 * (1 - (double)out / width) + (l + 0.5) / s - 0.5;
  case RS_CROP:
    x = width == 1 ? (m.roi_hi - m.roi_lo) * (double)(in - 1) / 2
                   : l * (m.roi_hi - m.roi_lo) * (double)(in - 1) / (width - 1);
    x += m.roi_lo * (double)(in - 1);
    return x < 0 || x > (double)(in - 1) ? NAN : x;
  default: return (l + 0.5) / s - 0.5;
  }
}

static double rs_cubic(double x, double a) {
  x = fabs(x);
  if (x <= 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2) return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
  return 0;
}

static int64_t rs_ntaps(const RsMode &m, double scale) {
  if (m.mode == RS_NEAREST) return 1;
  if (!m.antialias) return m.mode == RS_LINEAR ? 2 : 4;
  double s = scale < 1 ? scale : 1, reach = m.mode == RS_LINEAR ? 1 : 2;
  return (int64_t)(2 - 2 * (floor(-reach / s) + 1));
}

static void rs_tables(const RsMode &m, double scale, int64_t in, int64_t out, int64_t nt,
                      std::vector<int64_t> &idx, std::vector<double> &w) {
  idx.assign((size_t)(out * nt), 0);
  w.assign((size_t)(out * nt), 0);
  for (int64_t l = 0; l < out; l++) {
    int64_t *il = &idx[(size_t)(l * nt)];
    double *wl = &w[(size_t)(l * nt)], x = rs_coord(m, scale, in, out, (double)l);
    if (isnan(x)) {
      il[0] = -1;
      continue;
    }
    if (m.mode == RS_NEAREST) {
      double f = floor(x);
      if (x != f) switch (m.nearest) {
        case RS_PREFER_FLOOR: f = ceil(x - 0.5); break;
        case RS_PREFER_CEIL: f = floor(x + 0.5); break;
        case RS_CEIL: f = ceil(x); break;
        case RS_SIMPLE: f = scale < 1 ? ceil(x) : trunc(x); break;
        default: break;
        }
      int64_t i = (int64_t)f;
      il[0] = i < 0 ? 0 : (i >= in ? in - 1 : i);
      wl[0] = 1;
      continue;
    }
    double f = floor(x), ratio = x == f ? 1 : x - f;
    if (!m.antialias) {
      if (m.mode == RS_LINEAR) {
        wl[0] = 1 - ratio;
        wl[1] = ratio;
      } else {
        for (int t = 0; t < 4; t++) wl[t] = rs_cubic((double)(t - 1) - ratio, m.cubic_a);
      }
    } else {
      double s = scale < 1 ? scale : 1, sum = 0;
      int64_t start = 1 - nt / 2;
      for (int64_t t = 0; t < nt; t++) {
        double arg = ((double)(start + t) - ratio) * s;
        wl[t] = m.mode == RS_LINEAR ? fmax(0, fmin(1, 1 - fabs(arg))) : rs_cubic(arg, m.cubic_a);
        sum += wl[t];
      }
      for (int64_t t = 0; t < nt; t++) wl[t] /= sum;
    }
    double pad = (double)(nt / 2), xp = x + pad, p = floor(xp), sum = 0;
    int64_t first = (int64_t)p - nt / 2 + (xp == p ? 0 : 1) - nt / 2;
    for (int64_t t = 0; t < nt; t++) {
      int64_t i = first + t;
      if (m.exclude && (i < 0 || i >= in)) wl[t] = 0;
      sum += wl[t];
      il[t] = i < 0 ? 0 : (i >= in ? in - 1 : i);
    }
    if (m.exclude)
      for (int64_t t = 0; t < nt; t++) wl[t] /= sum == 0 ? 1 : sum;
  }
}

/* axis a of a tensor of dims (rank of them) resized to out by scale (0:
 * out / in), input and output float or double */
static void resize_case(const char *what, const RsMode &m, int rank, const int64_t *dims, int a,
                        int64_t out, double scale, int in_f64, int out_f64) {
  MlcResize p;
  memset(&p, 0, sizeof p);
  p.outer = p.inner = 1;
  for (int d = 0; d < rank; d++) {
    if (d < a) p.outer *= dims[d];
    if (d > a) p.inner *= dims[d];
  }
  p.in_len = dims[a];
  p.out_len = out;
  if (!scale) scale = (double)out / (double)dims[a];
  p.taps = rs_ntaps(m, scale);
  p.in_f64 = in_f64;
  p.out_f64 = out_f64;
  p.extrap = m.coord == RS_CROP ? 7.25 : 0;
  std::vector<int64_t> idx;
  std::vector<double> w;
  rs_tables(m, scale, p.in_len, out, p.taps, idx, w);
  int64_t nx = p.outer * p.in_len * p.inner, ny = p.outer * out * p.inner;
  char name[160];
  snprintf(name, sizeof name, "resize %s rank %d axis %d %lld->%lld taps %lld %s->%s", what, rank,
           a, (long long)p.in_len, (long long)out, (long long)p.taps, in_f64 ? "f64" : "f32",
           out_f64 ? "f64" : "f32");
  /* the same values bit for bit: the same sums in the same order */
  check(name, mlc_rt_resize, mlc_rtcu_resize, &p,
        {in_f64 ? in_vals(drand(nx, -2, 2)) : in_vals(frand(nx)), in_vals(idx), in_vals(w),
         out_slot((size_t)ny * (out_f64 ? 8 : 4), out_f64 ? CMP_F64_EXACT : CMP_F32_EXACT)});
}

static void check_resize(void) {
  const int64_t d3[3] = {2, 5, 3}, d4[4] = {1, 2, 6, 4}, d5[5] = {2, 1, 3, 4, 5};
  const char *coords[] = {"half_pixel",          "half_pixel_symmetric", "pytorch_half_pixel",
                          "align_corners",       "asymmetric",           "tf_crop_and_resize",
                          "tf_half_pixel_for_nn"};
  const char *rounds[] = {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil", "simple"};
  char what[120];
  /* nearest: every rounding under every transformation, up and down, the
   * last axis (inner 1, the C kernel's fast path) and a middle one */
  for (int c = 0; c <= RS_TF_NN; c++)
    for (int r = 0; r <= RS_SIMPLE; r++) {
      RsMode m = {RS_NEAREST, c, r, 0, 0, -0.75, 0.2, 0.9};
      snprintf(what, sizeof what, "nearest %s %s", coords[c], rounds[r]);
      resize_case(what, m, 4, d4, 3, 9, 0, 0, 0);
      resize_case(what, m, 4, d4, 2, 4, 0, 0, 1);
      resize_case(what, m, 3, d3, 1, 3, 0.7, 1, 1);
    }
  /* linear and cubic, each transformation, with and without antialias and
   * exclude_outside, up and down, ranks 3 to 5, every type pair */
  for (int mode = RS_LINEAR; mode <= RS_CUBIC; mode++)
    for (int c = 0; c <= RS_TF_NN; c++)
      for (int aa = 0; aa <= 1; aa++)
        for (int ex = 0; ex <= 1; ex++) {
          RsMode m = {mode, c, 0, aa, ex, mode == RS_CUBIC && ex ? -0.5 : -0.75, 0.1, 0.8};
          snprintf(what, sizeof what, "%s %s%s%s", mode == RS_LINEAR ? "linear" : "cubic",
                   coords[c], aa ? " antialias" : "", ex ? " exclude_outside" : "");
          resize_case(what, m, 3, d3, 1, 11, 0, 0, 0);   /* up */
          resize_case(what, m, 4, d4, 2, 2, 0, 0, 1);    /* down 3x */
          resize_case(what, m, 5, d5, 4, 2, 0.45, 1, 1); /* down, scale given */
          resize_case(what, m, 5, d5, 3, 7, 0, 1, 0);    /* up */
          resize_case(what, m, 4, d4, 0, 3, 0, 1, 1);    /* axis 0 of 1 */
          resize_case(what, m, 3, d3, 2, 1, 0, 0, 1);    /* to one */
        }
  /* a length-1 axis (width 1 in align_corners and pytorch_half_pixel) */
  const int64_t d1[3] = {3, 1, 2};
  for (int mode = RS_NEAREST; mode <= RS_CUBIC; mode++)
    for (int c = 0; c <= RS_TF_NN; c++) {
      RsMode m = {mode, c, 0, 0, 0, -0.75, 0.3, 0.6};
      snprintf(what, sizeof what, "mode %d %s from 1", mode, coords[c]);
      resize_case(what, m, 3, d1, 1, 4, 0, 0, 0);
      resize_case(what, m, 3, d1, 1, 1, 0, 1, 0);
    }
}

int main(void) {
  check_open("check_misc", cudaStreamDefault);
  check_seed(0x2545f4914f6cdd1dull);
  check_nd();
  check_move();
  check_einsum();
  check_nll();
  check_quant();
  check_rotary();
  check_convtranspose();
  check_gridsample();
  check_resize();
  return check_close();
}
