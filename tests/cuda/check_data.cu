/* Checks the CUDA kernels of data.cu, norm.cu and reduce.cu against the C
 * runtime's kernels of the same names: each case fills random inputs, runs
 * mlc_rt_NAME on the host and mlc_rtcu_NAME on the GPU with the same
 * parameters, and compares the outputs (bytes exactly for data movement
 * and integers, floats within rtol 1e-5 / atol 1e-6 for float math, NaN
 * matching NaN). Outputs start with the same garbage on both sides, so a
 * kernel that writes too little or too much shows up too. One line per
 * case; exit status 1 on any mismatch. Needs a GPU; link with libmlc_rt.a.
 */
#include "check.h"

/* ---- data ----------------------------------------------------------------- */

static void check_copy(void) {
  /* contiguous; a transpose; a rank-5 broadcast (stride 0); a reversed slice */
  for (int64_t e : {1, 2, 3, 4, 8}) {
    MlcCopy p = {};
    char name[96];
    p.rank = 1, p.elem = e, p.dims[0] = 37, p.src_strides[0] = p.dst_strides[0] = 1;
    p.src_off = 2, p.dst_off = 1;
    snprintf(name, sizeof name, "copy contiguous elem %lld", (long long)e);
    check(name, mlc_rt_copy, mlc_rtcu_copy, &p, {in_bytes(40 * e), out_slot(40 * e, CMP_BYTES)});
    p = MlcCopy{};
    p.rank = 3, p.elem = e;
    int64_t dims[3] = {3, 5, 7};
    memcpy(p.dims, dims, sizeof dims);
    p.src_strides[0] = 1, p.src_strides[1] = 3 * 7, p.src_strides[2] = 3;
    p.dst_strides[0] = 35, p.dst_strides[1] = 7, p.dst_strides[2] = 1;
    snprintf(name, sizeof name, "copy transpose 3x5x7 elem %lld", (long long)e);
    check(name, mlc_rt_copy, mlc_rtcu_copy, &p, {in_bytes(105 * e), out_slot(105 * e, CMP_BYTES)});
    p = MlcCopy{};
    p.rank = 5, p.elem = e;
    int64_t d5[5] = {2, 3, 1, 4, 3}, ss[5] = {0, 3, 0, 0, 1}, ds[5] = {36, 12, 12, 3, 1};
    memcpy(p.dims, d5, sizeof d5);
    memcpy(p.src_strides, ss, sizeof ss);
    memcpy(p.dst_strides, ds, sizeof ds);
    snprintf(name, sizeof name, "copy rank 5 broadcast elem %lld", (long long)e);
    check(name, mlc_rt_copy, mlc_rtcu_copy, &p, {in_bytes(9 * e), out_slot(72 * e, CMP_BYTES)});
    p = MlcCopy{};
    p.rank = 2, p.elem = e, p.dims[0] = 4, p.dims[1] = 9;
    p.src_strides[0] = 10, p.src_strides[1] = -1, p.src_off = 9;
    p.dst_strides[0] = 9, p.dst_strides[1] = 1;
    snprintf(name, sizeof name, "copy reversed slice elem %lld", (long long)e);
    check(name, mlc_rt_copy, mlc_rtcu_copy, &p, {in_bytes(40 * e), out_slot(36 * e, CMP_BYTES)});
  }
  MlcCopy p = {};
  p.elem = 4, p.src_off = 3, p.dst_off = 1;
  check("copy rank 0", mlc_rt_copy, mlc_rtcu_copy, &p, {in_bytes(16), out_slot(8, CMP_BYTES)});
}

static void check_fill(void) {
  for (int64_t e : {1, 2, 3, 4, 5, 8}) {
    MlcFill p = {41, e, (int64_t)rnd()};
    char name[64];
    snprintf(name, sizeof name, "fill elem %lld", (long long)e);
    check(name, mlc_rt_fill, mlc_rtcu_fill, &p, {out_slot(41 * e + 3, CMP_BYTES)});
  }
}

static void check_pad(void) {
  for (int64_t mode = 1; mode <= 3; mode++)
    for (int64_t e : {1, 4, 8}) {
      MlcPad p = {};
      char name[96];
      p.rank = 1, p.elem = e, p.mode = mode, p.in_dims[0] = 5, p.in_strides[0] = 1;
      p.out_dims[0] = 5 + 3 + 4, p.pad_begin[0] = 3;
      snprintf(name, sizeof name, "pad mode %lld rank 1 elem %lld", (long long)mode, (long long)e);
      check(name, mlc_rt_pad, mlc_rtcu_pad, &p, {in_bytes(5 * e), out_slot(12 * e, CMP_BYTES)});
      /* rank 3: an input cropped by a negative pad (src_off, smaller in
       * dims), wide pads on both sides, a dim of 1 */
      p = MlcPad{};
      p.rank = 3, p.elem = e, p.mode = mode;
      int64_t in[3] = {1, 3, 4}, st[3] = {30, 6, 1}, out[3] = {3, 7, 11}, pb[3] = {1, 2, 6};
      memcpy(p.in_dims, in, sizeof in);
      memcpy(p.in_strides, st, sizeof st);
      memcpy(p.out_dims, out, sizeof out);
      memcpy(p.pad_begin, pb, sizeof pb);
      p.src_off = 7;
      snprintf(name, sizeof name, "pad mode %lld rank 3 crop elem %lld", (long long)mode,
               (long long)e);
      check(name, mlc_rt_pad, mlc_rtcu_pad, &p, {in_bytes(30 * e), out_slot(231 * e, CMP_BYTES)});
    }
  MlcPad p = {};
  p.elem = 2, p.mode = 2, p.src_off = 3;
  check("pad rank 0", mlc_rt_pad, mlc_rtcu_pad, &p, {in_bytes(8), out_slot(2, CMP_BYTES)});
}

static void check_gather(void) {
  for (int64_t bits : {32, 64})
    for (int64_t ib : {1, 4, 6, 12, 16}) {
      MlcGather p = {3, 7, ib, 9, bits};
      std::vector<int64_t> k64 = {0, 6, -1, -7, 7, -8, 3, 3, 100};
      std::vector<int32_t> k32(k64.begin(), k64.end());
      char name[64];
      snprintf(name, sizeof name, "gather idx %lld inner_bytes %lld", (long long)bits,
               (long long)ib);
      check(name, mlc_rt_gather, mlc_rtcu_gather, &p,
            {in_bytes(3 * 7 * ib), bits == 32 ? in_vals(k32) : in_vals(k64),
             out_slot(3 * 9 * ib, CMP_BYTES)});
    }
}

/* special values of every type: NaN, infinities, values out of every
 * integer range, ties of rounding, subnormals, the limits of float16,
 * bfloat16, the float8s and float4e2m1, powers of two and halfway values
 * for float8e8m0's round modes */
static std::vector<double> special(void) {
  std::vector<double> v = {
      NAN, -NAN, INFINITY, -INFINITY, 0.0, -0.0, 0.5, -0.5, 1.5, 2.5, -2.5, 127.5, 128, -129, 255.5,
      256, 32767.6, -32769, 65504, 65519, 65520, 1e10, -1e10, 2147483648.0, -2147483649.0,
      4294967296.0, 9.3e18, -9.3e18, 1.9e19, 1e300, -1e300, 1e-8, 6e-8, 5.9604644775390625e-8,
      2.98e-8, 1e-40, 3.4e38, 3.5e38, -1.0, 1.0, 1.00048828125, 1.0009765625, 3.0e-39,
      /* float8e4m3fn: max 448, ties at 464 (past max), 17, 19, 0.5 + 1/32;
         subnormals 2^-9, ties at 2^-10 and 3 * 2^-10 */
      448, -448, 464, -464, 480, 449, 17, 19, -17, 0.53125, 0.001953125, 0.0009765625,
      -0.0009765625, 0.0029296875, 0.00048828125,
      /* float8e4m3fnuz: max 240, tie 248; subnormal 2^-10, tie 2^-11 */
      240, 248, -248, 256.0 - 1.0 / 16, 0.00048828125 * 3,
      /* float8e5m2: max 57344, tie 61440, inf past; subnormal 2^-16, tie
         2^-17; float8e5m2fnuz: subnormal 2^-17, tie 2^-18 */
      57344, -57344, 61440, -61440, 65536, 1.52587890625e-05, 7.62939453125e-06, 3.814697265625e-06,
      1.1444091796875e-05, 5.7220458984375e-06,
      /* float4e2m1: 0.5 1 1.5 2 3 4 6 and the ties between them */
      0.25, -0.25, 0.75, 1.25, 1.75, 3.5, -3.5, 5, -5, 6, 7, -7, 0.2, 0.3, 4.5,
      /* float8e8m0: powers of two, 1.5 * 2^k (the nearest mode's ties),
         2^127 (max), 2^128, 2^-127 (min), 2^-128, subnormal doubles */
      3, 6, 0.75, 1.4999999, 1.5000001, 0.375, 1.7014118346046923e38, 2.5521177519070385e38,
      3.402823669209385e38, 5.877471754111438e-39, 8.816207631167157e-39, 2.938735877055719e-39,
      4.9e-324, -4.9e-324, 2.2250738585072014e-308, 1.5 * 2.2250738585072014e-308};
  for (int i = 0; i < 40; i++) v.push_back(urand(-300, 300));
  for (int i = 0; i < 16; i++) v.push_back(urand(-1, 1) * exp2((double)irand(-140, 130)));
  return v;
}

/* special integers: zero, small values, ties of the float8s and float4e2m1,
 * each format's limits and the values past them, the int4/int2 edges that
 * wrap, and the limits of every integer type (stored in a narrower type,
 * they wrap) */
/* clang-format off */
static const int64_t special_ints[] = {
    0, 1, -1, 2, 3, 5, -5, 6, 7, -7, 8, -8, 9, 15, 16, 17, -17, 19, 33, 127, 128, -128, -129, 240,
    247, 248, 255, 256, 448, 464, -464, 480, 57344, 61440, -61440, 65504, 65520, 65535, 65536,
    16777217, INT32_MAX, INT32_MIN, INT64_C(0xffffffff), INT64_C(0x20000000000001),
    INT64_C(0x6000000000000000), INT64_MAX, INT64_MIN, INT64_MIN + 1, -INT64_C(0x10000000001)};
/* clang-format on */

static int cast_sub_bits(int64_t t) {
  return t == MLC_DT_INT4 || t == MLC_DT_UINT4 ? 4 : t == MLC_DT_INT2 || t == MLC_DT_UINT2 ? 2 : 0;
}

static bool cast_is_float(int64_t t) {
  switch (t) {
#define X(name, num, onnx, ctype, sfx, size, is_float) \
  case num: return is_float;
    MLC_RT_DTYPES(X)
#undef X
  default: return false;
  }
}

/* Every pair of the types that the CUDA cast converts (mlc_rtcu_cast_type)
 * with every combination of the MLC_CAST_* flags (NOSAT, ROUND_DOWN,
 * ROUND_NEAREST, both round flags too). The inputs: float and double get
 * the special values, then random bits; the 1-byte floats every code in
 * order (float4e2m1 its 16, one a byte), float16 and bfloat16 random bits
 * (every class of code); the integers the special integers wrapped to
 * their width, then random bits; the 4- and 2-bit ones every value in
 * their range (sign-extended for int4 and int2), bool 0 or 1. */
static void check_cast(void) {
  std::vector<int64_t> types;
  for (int64_t t = 0; t < MLC_DT_END_; t++)
    if (mlc_rtcu_cast_type(t)) types.push_back(t);
  std::vector<double> sp = special();
  const size_t nints = sizeof special_ints / sizeof special_ints[0];
  const int64_t n = 320 > (int64_t)sp.size() + 64 ? 320 : (int64_t)sp.size() + 64;
  for (int64_t from : types)
    for (int64_t to : types)
      for (int64_t flags = 0; flags < 8; flags++) {
        size_t fs = mlc_rt_dtype_size(from), ts = mlc_rt_dtype_size(to);
        int bits = cast_sub_bits(from);
        Slot x = in_bytes((size_t)n * fs);
        for (int64_t i = 0; i < n; i++) {
          uint8_t *b = &x.b[(size_t)i * fs];
          if (from == MLC_DT_FLOAT && (size_t)i < sp.size()) {
            float f = (float)sp[i];
            memcpy(b, &f, 4);
          } else if (from == MLC_DT_DOUBLE && (size_t)i < sp.size()) {
            memcpy(b, &sp[i], 8);
          } else if (from == MLC_DT_FLOAT4E2M1) {
            *b = (uint8_t)(i & 0xf);
          } else if (fs == 1 && cast_is_float(from)) {
            *b = (uint8_t)i; /* all 256 codes */
          } else if (bits) {
            int64_t m = (int64_t)1 << bits;
            int64_t lo = from == MLC_DT_INT4 || from == MLC_DT_INT2 ? -m / 2 : 0;
            *(int8_t *)b = (int8_t)(lo + i % m);
          } else if (from == MLC_DT_BOOL) {
            *b &= 1;
          } else if (!cast_is_float(from) && (size_t)i < nints) {
            memcpy(b, &special_ints[i], fs); /* the low bytes: wrapped */
          }
        }
        MlcCast p = {n, from, to, flags};
        int cmp = to == MLC_DT_FLOAT    ? CMP_F32_EXACT
                  : to == MLC_DT_DOUBLE ? CMP_F64_EXACT
                                        : CMP_BYTES;
        char name[80];
        snprintf(name, sizeof name, "cast %lld -> %lld flags %lld", (long long)from, (long long)to,
                 (long long)flags);
        check(name, mlc_rt_cast, mlc_rtcu_cast, &p, {x, out_slot((size_t)n * ts, cmp)});
      }
}

/* ---- norm ----------------------------------------------------------------- */

static void check_norm(void) {
  char name[96];
  for (int64_t inner : {1, 7, 300, 1000})
    for (int64_t has_bias = 0; has_bias <= 1; has_bias++)
      for (int stats = 0; stats <= 1; stats++) {
        MlcLayerNorm p = {5, inner, 1e-5, has_bias};
        snprintf(name, sizeof name, "layernorm inner %lld bias %lld stats %d", (long long)inner,
                 (long long)has_bias, stats);
        check(name, mlc_rt_layernorm_f32, mlc_rtcu_layernorm_f32, &p,
              {in_vals(frand(5 * inner, 3, 5)), in_vals(frand(inner)),
               has_bias ? in_vals(frand(inner)) : null_slot(), out_slot(5 * inner * 4, CMP_F32),
               stats ? out_slot(20, CMP_F32) : null_slot(),
               stats ? out_slot(20, CMP_F32) : null_slot()});
      }
  int64_t shapes[][3] = {{1, 1, 1}, {3, 1000, 1}, {2, 7, 5}, {1, 300, 3}, {4, 1, 9}};
  for (auto &s : shapes)
    for (int64_t lg = 0; lg <= 1; lg++) {
      MlcSoftmax p = {s[0], s[1], s[2], lg};
      int64_t n = s[0] * s[1] * s[2];
      snprintf(name, sizeof name, "softmax_f32 [%lld %lld %lld] log %lld", (long long)s[0],
               (long long)s[1], (long long)s[2], (long long)lg);
      check(name, mlc_rt_softmax_f32, mlc_rtcu_softmax_f32, &p,
            {in_vals(frand(n, -20, 20)), out_slot(n * 4, CMP_F32)});
      std::vector<double> xd(n);
      for (auto &v : xd) v = urand(-20, 20);
      snprintf(name, sizeof name, "softmax_f64 [%lld %lld %lld] log %lld", (long long)s[0],
               (long long)s[1], (long long)s[2], (long long)lg);
      check(name, mlc_rt_softmax_f64, mlc_rtcu_softmax_f64, &p,
            {in_vals(xd), out_slot(n * 8, CMP_F64)});
      MlcLpNorm q = {s[0], s[1], s[2], 1 + lg};
      std::vector<float> x = frand(n);
      for (int64_t i = 0; i < s[2] && s[0] > 1; i++)
        for (int64_t l = 0; l < s[1]; l++) x[(size_t)(l * s[2] + i)] = 0; /* a zero norm */
      snprintf(name, sizeof name, "lpnorm p %lld [%lld %lld %lld]", (long long)(1 + lg),
               (long long)s[0], (long long)s[1], (long long)s[2]);
      check(name, mlc_rt_lpnorm_f32, mlc_rtcu_lpnorm_f32, &q,
            {in_vals(x), out_slot(n * 4, CMP_F32)});
    }
  int64_t rn[][4] = {{6, 10, 1, 3}, {4, 33, 11, 3}, {3, 1000, 1000, 1}, {5, 1, 2, 4}};
  for (auto &s : rn)
    for (int64_t center = 0; center <= 1; center++)
      for (int sb = 0; sb < 3; sb++) {
        MlcRowNorm p = {s[0], s[1], 1e-5, center, s[2], s[3]};
        int64_t n = s[0] * s[1];
        snprintf(name, sizeof name, "rownorm rows %lld len %lld center %lld scale/bias %d",
                 (long long)s[0], (long long)s[1], (long long)center, sb);
        check(name, mlc_rt_rownorm_f32, mlc_rtcu_rownorm_f32, &p,
              {in_vals(frand(n, 1, 4)), sb > 0 ? in_vals(frand(s[3])) : null_slot(),
               sb > 1 ? in_vals(frand(s[3])) : null_slot(), out_slot(n * 4, CMP_F32)});
      }
  for (int64_t size : {1, 2, 3, 5})
    for (int64_t c : {1, 4, 7}) {
      MlcLrn p = {2, c, 9, size, 1e-4, 0.75, 1.0};
      snprintf(name, sizeof name, "lrn size %lld c %lld", (long long)size, (long long)c);
      check(name, mlc_rt_lrn_f32, mlc_rtcu_lrn_f32, &p,
            {in_vals(frand(2 * c * 9, -5, 5)), out_slot(2 * c * 9 * 4, CMP_F32)});
    }
}

/* ---- reduce --------------------------------------------------------------- */

template <typename T>
static Slot rand_vals(int64_t n, int mode) {
  std::vector<T> v((size_t)n);
  for (auto &x : v) {
    if constexpr ((T)0.5 != 0) /* float: small values, some ties, a rare NaN in mode 1 */
      x = mode == 1 && rnd() % 97 == 0 ? (T)NAN : (T)(irand(-8, 8) * 0.25);
    else if (mode == 1)
      x = (T)irand(-3, 3); /* ties */
    else
      x = (T)rnd(); /* wraps */
  }
  return in_vals(v);
}

template <typename T>
static void reduce_cases(const char *sfx, mlc_rt_kernel ck, cu_kernel gk, mlc_rt_kernel ak,
                         cu_kernel agk, int cmp) {
  struct {
    int64_t rank, dims[5], axes[5];
  } geo[] = {{1, {37}, {1}},
             {5, {2, 3, 1, 4, 5}, {0, 1, 0, 1, 0}},
             {5, {2, 3, 1, 4, 5}, {1, 0, 1, 0, 1}},
             {3, {3, 4, 5}, {0, 0, 0}},
             {2, {3, 700}, {0, 1}},
             {2, {300, 3}, {1, 0}},
             {3, {2, 3, 4}, {1, 1, 1}}};
  char name[128];
  for (auto &g : geo)
    for (int64_t kind = MLC_RED_SUM; kind <= MLC_RED_SUMSQUARE; kind++)
      for (int mode = 0; mode <= 1; mode++) {
        MlcReduce p = {};
        int64_t n = 1, nout = 1;
        p.rank = g.rank, p.kind = kind;
        for (int d = 0; d < g.rank; d++) {
          p.dims[d] = g.dims[d], p.axes[d] = g.axes[d];
          n *= g.dims[d];
          if (!g.axes[d]) nout *= g.dims[d];
        }
        snprintf(name, sizeof name, "reduce_%s kind %lld rank %lld n %lld mode %d", sfx,
                 (long long)kind, (long long)g.rank, (long long)n, mode);
        check(name, ck, gk, &p, {rand_vals<T>(n, mode), out_slot(nout * sizeof(T), cmp)});
      }
  int64_t as[][3] = {{1, 1, 1}, {3, 17, 1}, {2, 5, 7}, {1, 600, 2}, {4, 1, 3}};
  for (auto &s : as)
    for (int64_t last = 0; last <= 1; last++)
      for (int64_t is_min = 0; is_min <= 1; is_min++) {
        MlcArg p = {s[0], s[1], s[2], last, is_min};
        int64_t n = s[0] * s[1] * s[2];
        snprintf(name, sizeof name, "argmax_%s [%lld %lld %lld] last %lld min %lld", sfx,
                 (long long)s[0], (long long)s[1], (long long)s[2], (long long)last,
                 (long long)is_min);
        check(name, ak, agk, &p, {rand_vals<T>(n, 1), out_slot(s[0] * s[2] * 8, CMP_BYTES)});
      }
}

/* ---- index ---------------------------------------------------------------- */

static int64_t dtype_of(int k, int64_t *elem) {
  static const int64_t t[] = {MLC_DT_FLOAT,  MLC_DT_DOUBLE, MLC_DT_INT8,   MLC_DT_INT16,
                              MLC_DT_INT32,  MLC_DT_INT64,  MLC_DT_UINT8,  MLC_DT_UINT16,
                              MLC_DT_UINT32, MLC_DT_UINT64, MLC_DT_FLOAT16};
  *elem = (int64_t)mlc_rt_dtype_size(t[k]);
  return t[k];
}

/* float values of small integers, so that sums and products are exact */
static Slot typed_vals(int64_t dtype, int64_t n) {
  Slot s = in_bytes((size_t)(n * (int64_t)mlc_rt_dtype_size(dtype)));
  for (int64_t i = 0; i < n; i++) {
    if (dtype == MLC_DT_FLOAT) {
      float f = (float)irand(-4, 4);
      memcpy(&s.b[i * 4], &f, 4);
    } else if (dtype == MLC_DT_DOUBLE) {
      double f = (double)irand(-4, 4);
      memcpy(&s.b[i * 8], &f, 8);
    }
  }
  return s;
}

static void check_index(void) {
  char name[128];
  /* data [3, 4, 5] (strides 20, 5, 1); indices [3, 6, 2] or [2, 4, 5] */
  for (int64_t axis = 0; axis < 3; axis++)
    for (int64_t bits : {32, 64})
      for (int k = 0; k < 11; k++)
        for (int64_t red = 0; red <= 4; red++) {
          if (red && k == 10) continue; /* float16 is widened around reductions */
          MlcElems p = {};
          int64_t elem, dtype = dtype_of(k, &elem);
          int64_t ddims[3] = {3, 4, 5}, idims[3] = {3, 4, 5};
          idims[axis] = 6; /* duplicates along the axis */
          idims[(axis + 1) % 3] -= 1;
          p.rank = 3, p.axis = axis, p.axis_len = ddims[axis], p.elem = elem, p.dtype = dtype;
          p.reduction = red, p.idx_bits = bits, p.data_count = 60;
          int64_t n = 1;
          for (int d = 0; d < 3; d++) n *= idims[d];
          memcpy(p.dims, idims, sizeof idims);
          p.strides[0] = 20, p.strides[1] = 5, p.strides[2] = 1;
          std::vector<int64_t> k64((size_t)n);
          for (auto &v : k64) v = irand(-ddims[axis] - 1, ddims[axis]);
          std::vector<int32_t> k32(k64.begin(), k64.end());
          Slot idx = bits == 32 ? in_vals(k32) : in_vals(k64);
          int cmp = CMP_BYTES;
          if (red == 0) {
            snprintf(name, sizeof name, "gather_elements axis %lld idx %lld type %lld",
                     (long long)axis, (long long)bits, (long long)dtype);
            check(name, mlc_rt_gather_elements, mlc_rtcu_gather_elements, &p,
                  {in_bytes((size_t)(60 * elem)), idx, out_slot((size_t)(n * elem), cmp)});
          }
          snprintf(name, sizeof name, "scatter_elements axis %lld idx %lld type %lld red %lld",
                   (long long)axis, (long long)bits, (long long)dtype, (long long)red);
          check(name, mlc_rt_scatter_elements, mlc_rtcu_scatter_elements, &p,
                {typed_vals(dtype, 60), idx, typed_vals(dtype, n),
                 out_slot((size_t)(60 * elem), cmp)});
        }
  /* rank 1 and rank 5 gathers */
  {
    MlcElems p = {};
    p.rank = 1, p.axis = 0, p.axis_len = 9, p.elem = 4, p.idx_bits = 64, p.dims[0] = 13;
    p.strides[0] = 1, p.data_count = 9;
    std::vector<int64_t> k64(13);
    for (auto &v : k64) v = irand(-10, 9);
    check("gather_elements rank 1", mlc_rt_gather_elements, mlc_rtcu_gather_elements, &p,
          {in_bytes(36), in_vals(k64), out_slot(52, CMP_BYTES)});
    MlcElems q = {};
    int64_t dd[5] = {2, 1, 3, 2, 4}, st[5] = {24, 24, 8, 4, 1};
    q.rank = 5, q.axis = 3, q.axis_len = 2, q.elem = 2, q.idx_bits = 32, q.data_count = 48;
    memcpy(q.dims, dd, sizeof dd);
    memcpy(q.strides, st, sizeof st);
    q.dims[3] = 3;
    std::vector<int32_t> k32(72);
    for (auto &v : k32) v = (int32_t)irand(-3, 2);
    check("gather_elements rank 5", mlc_rt_gather_elements, mlc_rtcu_gather_elements, &q,
          {in_bytes(96), in_vals(k32), out_slot(144, CMP_BYTES)});
  }
  /* Trilu */
  for (int64_t upper = 0; upper <= 1; upper++)
    for (int64_t k : {-9, -2, 0, 1, 3, 9})
      for (int dev_k = 0; dev_k <= 1; dev_k++) {
        MlcTrilu p = {2, 5, 7, 4, upper, dev_k ? 0 : k};
        snprintf(name, sizeof name, "trilu upper %lld k %lld %s", (long long)upper, (long long)k,
                 dev_k ? "tensor" : "attribute");
        check(name, mlc_rt_trilu, mlc_rtcu_trilu, &p,
              {in_bytes(2 * 5 * 7 * 4), dev_k ? in_vals(std::vector<int64_t>{k}) : null_slot(),
               out_slot(2 * 5 * 7 * 4, CMP_BYTES)});
      }
  /* OneHot */
  for (int64_t wrap = 0; wrap <= 1; wrap++)
    for (int64_t e : {1, 4, 8}) {
      MlcOneHot p = {3, 5, 4, e, wrap};
      std::vector<int64_t> idx(12);
      for (auto &v : idx) v = irand(-7, 6);
      snprintf(name, sizeof name, "onehot wrap %lld elem %lld", (long long)wrap, (long long)e);
      check(name, mlc_rt_onehot, mlc_rtcu_onehot, &p,
            {in_vals(idx), in_bytes((size_t)(2 * e)), out_slot((size_t)(60 * e), CMP_BYTES)});
    }
  /* CumSum / CumProd */
  int64_t cs[][3] = {{1, 1, 1}, {2, 9, 1}, {3, 7, 5}, {1, 300, 2}};
  for (auto &s : cs)
    for (int k = 0; k < 10; k++)
      for (int flags = 0; flags < 8; flags++) {
        int64_t elem, dtype = dtype_of(k, &elem), n = s[0] * s[1] * s[2];
        MlcCum p = {s[0], s[1], s[2], dtype, flags & 1, (flags >> 1) & 1, (flags >> 2) & 1};
        Slot x = typed_vals(dtype, n);
        if (p.prod && (dtype == MLC_DT_FLOAT || dtype == MLC_DT_DOUBLE)) {
          for (int64_t i = 0; i < n; i++) { /* +-1 and +-2: exact products */
            double v = (double)((irand(0, 3) ? 1 : 2) * (irand(0, 1) ? 1 : -1));
            if (dtype == MLC_DT_FLOAT) {
              float f = (float)v;
              memcpy(&x.b[i * 4], &f, 4);
            } else {
              memcpy(&x.b[i * 8], &v, 8);
            }
          }
        }
        snprintf(name, sizeof name,
                 "cumulative [%lld %lld %lld] type %lld prod %lld excl %lld rev %lld",
                 (long long)s[0], (long long)s[1], (long long)s[2], (long long)dtype,
                 (long long)p.prod, (long long)p.exclusive, (long long)p.reverse);
        check(name, mlc_rt_cumulative, mlc_rtcu_cumulative, &p,
              {x, out_slot((size_t)(n * elem), dtype == MLC_DT_FLOAT    ? CMP_F32
                                               : dtype == MLC_DT_DOUBLE ? CMP_F64
                                                                        : CMP_BYTES)});
      }
}

int main(void) {
  check_open("check_data", cudaStreamDefault);
  check_seed(0x9e3779b97f4a7c15ull);
  check_copy();
  check_fill();
  check_pad();
  check_gather();
  check_cast();
  check_norm();
  reduce_cases<float>("f32", mlc_rt_reduce_f32, mlc_rtcu_reduce_f32, mlc_rt_argmax_f32,
                      mlc_rtcu_argmax_f32, CMP_F32);
  reduce_cases<double>("f64", mlc_rt_reduce_f64, mlc_rtcu_reduce_f64, mlc_rt_argmax_f64,
                       mlc_rtcu_argmax_f64, CMP_F64);
  reduce_cases<int32_t>("i32", mlc_rt_reduce_i32, mlc_rtcu_reduce_i32, mlc_rt_argmax_i32,
                        mlc_rtcu_argmax_i32, CMP_BYTES);
  reduce_cases<int64_t>("i64", mlc_rt_reduce_i64, mlc_rtcu_reduce_i64, mlc_rt_argmax_i64,
                        mlc_rtcu_argmax_i64, CMP_BYTES);
  reduce_cases<uint8_t>("u8", mlc_rt_reduce_u8, mlc_rtcu_reduce_u8, mlc_rt_argmax_u8,
                        mlc_rtcu_argmax_u8, CMP_BYTES);
  check_index();
  /* sizing: a kernel enqueues nothing and wants no workspace */
  MlcCopy p = {};
  void *none[MLC_COPY_NIO] = {NULL, NULL};
  char why[200] = "";
  ctx.sizing = 1;
  ctx.workspace_need = 0;
  int rc = mlc_rtcu_copy(&ctx, &p, none);
  ctx.sizing = 0;
  if (rc || ctx.workspace_need)
    snprintf(why, sizeof why, "rc %d, workspace_need %zu", rc, ctx.workspace_need);
  check_report("sizing", why);
  return check_close();
}
