/* Data-movement kernels: copy, fill, pad, gather, cast.
 *
 * These never look at element values (except cast), so they work on items of
 * `elem` bytes and serve every dtype with one implementation. `copy` is the
 * workhorse: a strided walk whose parameters express Transpose, Slice (with
 * negative steps), Concat and Split (through dst_off / src_off), Expand and
 * Tile (source stride 0), and Pad's interior. The compiler merges contiguous
 * dims before emitting a call, so the innermost run is usually long and, when
 * both strides are 1, a single memcpy.
 *
 * Out-of-range gather indices at run time (the compiler rejects constant
 * ones) produce zero bytes: the kernel never reads outside `data`.
 *
 * Casts go through one of three wide intermediates (double, int64_t,
 * uint64_t) chosen by the source type, so integer values are never rounded
 * through a double on their way to another integer type. float16, bfloat16
 * and the float8 formats are encoded from the exact intermediate with round
 * to nearest even, by one routine driven by a table of formats; float ->
 * integer saturates (NaN -> 0) instead of hitting C's undefined conversion.
 *
 * The sub-byte types take a byte per element (mlc_rt.h). int4, uint4, int2
 * and uint2 wrap like every integer target, and so does float -> them: the
 * value is truncated to an integer first, then wrapped, as ONNX's reference
 * (and its test data) does; ONNX leaves that case undefined. float4e2m1 has
 * no infinity or NaN: it always saturates. float8e8m0 is a bare exponent
 * (2^(c-127), 0xff NaN, no sign or zero): the magnitude is rounded to a
 * power of two up (the default), down or to the nearest (ties up) as Cast's
 * round_mode says, saturating to the smallest or largest power unless
 * saturate=0, which gives NaN there instead.
 */
#include <string.h>

#include "mlc_rt.h"
#include "parallel.h"

/* ---- copy ---------------------------------------------------------------- */

/* one item of `e` bytes; constant sizes let the compiler inline the memcpy */
static void copy_run(char *d, const char *s, int64_t n, int64_t ds, int64_t ss, int64_t e) {
  int64_t i;
  if (ds == 1 && ss == 1) {
    memcpy(d, s, (size_t)(n * e));
    return;
  }
  ds *= e;
  ss *= e;
#define COPY_N(E)                                            \
  for (i = 0; i < n; i++) memcpy(d + i * ds, s + i * ss, E); \
  return;
  switch (e) {
  case 1: COPY_N(1)
  case 2: COPY_N(2)
  case 4: COPY_N(4)
  case 8: COPY_N(8)
  default:
    for (i = 0; i < n; i++) memcpy(d + i * ds, s + i * ss, (size_t)e);
  }
#undef COPY_N
}

/* Copies of COPY_PAR bytes or more split their runs over the thread pool:
 * about 10 us on one core, and BERT-base's attention transposes (400 KB
 * each) would otherwise run alone between products that split */
#define COPY_PAR (1 << 17)

typedef struct CopyJob {
  const MlcCopy *p;
  const char *src;
  char *dst;
  int64_t runs; /* of the innermost dim: one per index of the outer ones */
} CopyJob;

/* runs [r0, r1), run i at the outer dims' row-major index i */
static void copy_runs(const CopyJob *j, int64_t r0, int64_t r1) {
  const MlcCopy *p = j->p;
  const int r = (int)p->rank;
  int64_t e = p->elem, idx[MLC_RT_MAX_RANK] = {0};
  int64_t so = p->src_off, dof = p->dst_off, n = 1, ss = 1, ds = 1;
  if (r > 0) {
    n = p->dims[r - 1];
    ss = p->src_strides[r - 1];
    ds = p->dst_strides[r - 1];
  }
  for (int64_t q = r0, d = r - 2; d >= 0; d--) {
    idx[d] = q % p->dims[d];
    q /= p->dims[d];
    so += idx[d] * p->src_strides[d];
    dof += idx[d] * p->dst_strides[d];
  }
  for (int64_t i = r0; i < r1; i++) {
    copy_run(j->dst + dof * e, j->src + so * e, n, ds, ss, e);
    /* odometer over the outer dims */
    for (int d = r - 2; d >= 0; d--) {
      so += p->src_strides[d];
      dof += p->dst_strides[d];
      if (++idx[d] < p->dims[d]) break;
      so -= p->src_strides[d] * p->dims[d];
      dof -= p->dst_strides[d] * p->dims[d];
      idx[d] = 0;
    }
  }
}

static void copy_part(void *arg, int t, int nt, float *scratch) {
  const CopyJob *j = (const CopyJob *)arg;
  (void)scratch;
  copy_runs(j, j->runs * t / nt, j->runs * (t + 1) / nt);
}

void mlc_rt_copy(const void *params, void *const *io) {
  const MlcCopy *p = (const MlcCopy *)params;
  CopyJob j = {p, (const char *)io[MLC_COPY_SRC], (char *)io[MLC_COPY_DST], 1};
  int64_t bytes = p->elem;
  for (int d = 0; d < (int)p->rank; d++) {
    if (p->dims[d] <= 0) return;
    bytes *= p->dims[d];
    if (d + 1 < (int)p->rank) j.runs *= p->dims[d];
  }
  if (j.runs < 2 || bytes < COPY_PAR || !mlc_rt_parallel(copy_part, &j)) copy_runs(&j, 0, j.runs);
}

/* ---- fill ---------------------------------------------------------------- */

void mlc_rt_fill(const void *params, void *const *io) {
  const MlcFill *p = (const MlcFill *)params;
  char *dst = (char *)io[MLC_FILL_DST];
  unsigned char b[8];
  int64_t e = p->elem, total = p->count * p->elem, done;
  int same = 1, k;
  if (p->count <= 0 || e <= 0 || e > 8) return;
  memcpy(b, &p->bits, sizeof b);
  for (k = 1; k < e; k++) same &= b[k] == b[0];
  if (same) {
    memset(dst, b[0], (size_t)total);
    return;
  }
  /* doubling copies of the filled prefix */
  memcpy(dst, b, (size_t)e);
  for (done = e; done < total; done *= 2)
    memcpy(dst + done, dst, (size_t)(done < total - done ? done : total - done));
}

/* ---- range --------------------------------------------------------------- */

void mlc_rt_range(const void *params, void *const *io) {
  const MlcRange *p = (const MlcRange *)params;
  const void *s = io[MLC_RANGE_START], *d = io[MLC_RANGE_DELTA];
  void *y = io[MLC_RANGE_Y];
  int64_t i;
  switch (p->dtype) {
  case MLC_DT_FLOAT:
    for (i = 0; i < p->count; i++)
      ((float *)y)[i] = (float)((double)*(const float *)s + (double)i * *(const float *)d);
    break;
  case MLC_DT_DOUBLE:
    for (i = 0; i < p->count; i++)
      ((double *)y)[i] = *(const double *)s + (double)i * *(const double *)d;
    break;
  case MLC_DT_INT16:
    for (i = 0; i < p->count; i++)
      ((int16_t *)y)[i] = (int16_t)(*(const int16_t *)s + i * *(const int16_t *)d);
    break;
  case MLC_DT_INT32:
    for (i = 0; i < p->count; i++)
      ((int32_t *)y)[i] = (int32_t)(*(const int32_t *)s + i * *(const int32_t *)d);
    break;
  case MLC_DT_INT64:
    for (i = 0; i < p->count; i++)
      ((int64_t *)y)[i] = (int64_t)((uint64_t) * (const int64_t *)s +
                                    (uint64_t)i * (uint64_t) * (const int64_t *)d);
    break;
  default: break;
  }
}

/* ---- pad ----------------------------------------------------------------- */

void mlc_rt_pad(const void *params, void *const *io) {
  const MlcPad *p = (const MlcPad *)params;
  const char *src = (const char *)io[MLC_PAD_SRC];
  char *dst = (char *)io[MLC_PAD_DST];
  int r = (int)p->rank, d;
  int64_t e = p->elem, idx[MLC_RT_MAX_RANK] = {0};
  int64_t n, nin, begin, stride, lo, hi, o;
  for (d = 0; d < r; d++)
    if (p->out_dims[d] <= 0 || p->in_dims[d] <= 0) return;
  if (r == 0) {
    memcpy(dst, src + p->src_off * e, (size_t)e);
    return;
  }
  n = p->out_dims[r - 1];
  nin = p->in_dims[r - 1];
  begin = p->pad_begin[r - 1];
  stride = p->in_strides[r - 1];
  /* the output columns that read the input in order: [lo, hi) */
  lo = begin < 0 ? 0 : (begin < n ? begin : n);
  hi = begin + nin < n ? begin + nin : n;
  for (;;) {
    const char *s = src + p->src_off * e;
    for (d = 0; d < r - 1; d++)
      s += mlc_rt_pad_index(idx[d], p->pad_begin[d], p->in_dims[d], p->mode) * p->in_strides[d] * e;
    for (o = 0; o < lo; o++)
      memcpy(dst + o * e, s + mlc_rt_pad_index(o, begin, nin, p->mode) * stride * e, (size_t)e);
    if (hi > lo) copy_run(dst + lo * e, s + (lo - begin) * stride * e, hi - lo, 1, stride, e);
    for (o = hi > lo ? hi : lo; o < n; o++)
      memcpy(dst + o * e, s + mlc_rt_pad_index(o, begin, nin, p->mode) * stride * e, (size_t)e);
    dst += n * e;
    for (d = r - 2; d >= 0; d--) {
      if (++idx[d] < p->out_dims[d]) break;
      idx[d] = 0;
    }
    if (d < 0) return;
  }
}

/* ---- gather -------------------------------------------------------------- */

void mlc_rt_gather(const void *params, void *const *io) {
  const MlcGather *p = (const MlcGather *)params;
  const char *data = (const char *)io[MLC_GATHER_DATA];
  const void *indices = io[MLC_GATHER_INDICES];
  char *out = (char *)io[MLC_GATHER_Y];
  size_t ib = (size_t)p->inner_bytes;
  int64_t o, j, k;
  for (o = 0; o < p->outer; o++) {
    const char *base = data + (size_t)(o * p->len) * ib;
    for (j = 0; j < p->nidx; j++, out += ib) {
      k = p->idx_bits == 32 ? ((const int32_t *)indices)[j] : ((const int64_t *)indices)[j];
      if (k < 0) k += p->len;
      if (k < 0 || k >= p->len)
        memset(out, 0, ib);
      else
        memcpy(out, base + (size_t)k * ib, ib);
    }
  }
}

/* ---- cast ---------------------------------------------------------------- */

/* The small float formats (MlcSmallFloat, mlc_rt_data.h), decoded and
 * encoded by the routines there. */
static const MlcSmallFloat *small_float(int64_t t) {
#define SF_TABLE(name, ...) static const MlcSmallFloat sf_##name = {__VA_ARGS__};
  MLC_RT_SMALL_FLOATS(SF_TABLE)
#undef SF_TABLE
  switch (t) {
#define SF_CASE(name, ...) \
  case MLC_DT_##name: return &sf_##name;
    MLC_RT_SMALL_FLOATS(SF_CASE)
#undef SF_CASE
  default: return NULL;
  }
}

/* the width of an integer type stored in a byte but narrower: 4, 2; else 0 */
static int sub_bits(int64_t t) {
  switch (t) {
  case MLC_DT_INT4:
  case MLC_DT_UINT4: return 4;
  case MLC_DT_INT2:
  case MLC_DT_UINT2: return 2;
  default: return 0;
  }
}

/* The three intermediates. A chunk of the source is widened, then narrowed
 * into the destination, so the type switches stay outside the inner loops. */
enum { CAST_F, CAST_S, CAST_U, CAST_NONE };

static int cast_class(int64_t t) {
  switch (t) {
  case MLC_DT_FLOAT:
  case MLC_DT_DOUBLE:
  case MLC_DT_FLOAT8E8M0: return CAST_F;
  case MLC_DT_INT8:
  case MLC_DT_INT16:
  case MLC_DT_INT32:
  case MLC_DT_INT64:
  case MLC_DT_INT4:
  case MLC_DT_INT2: return CAST_S;
  case MLC_DT_UINT8:
  case MLC_DT_UINT16:
  case MLC_DT_UINT32:
  case MLC_DT_UINT64:
  case MLC_DT_BOOL:
  case MLC_DT_UINT4:
  case MLC_DT_UINT2: return CAST_U;
  default: return small_float(t) ? CAST_F : CAST_NONE;
  }
}

/* a small float's code, stored in 1 or 2 bytes */
static uint32_t load_code(const void *p, size_t size, int64_t i) {
  return size == 1 ? ((const uint8_t *)p)[i] : ((const uint16_t *)p)[i];
}

static void store_code(void *p, size_t size, int64_t i, uint32_t c) {
  if (size == 1)
    ((uint8_t *)p)[i] = (uint8_t)c;
  else
    ((uint16_t *)p)[i] = (uint16_t)c;
}

#define CAST_LOOP(T, EXPR)                           \
  for (i = 0; i < n; i++) ((T *)dst)[i] = (T)(EXPR); \
  return;

static void widen_f(int64_t t, const void *src, int64_t n, double *f) {
  const MlcSmallFloat *sf = small_float(t);
  size_t size = mlc_rt_dtype_size(t);
  int64_t i;
  if (t == MLC_DT_FLOAT) {
    for (i = 0; i < n; i++) f[i] = ((const float *)src)[i];
  } else if (t == MLC_DT_DOUBLE) {
    for (i = 0; i < n; i++) f[i] = ((const double *)src)[i];
  } else if (t == MLC_DT_FLOAT8E8M0) {
    for (i = 0; i < n; i++) f[i] = mlc_rt_e8m0_to_double(((const uint8_t *)src)[i]);
  } else {
    for (i = 0; i < n; i++) f[i] = mlc_rt_small_to_double(sf, load_code(src, size, i));
  }
}

static void widen_s(int64_t t, const void *src, int64_t n, int64_t *s) {
  int64_t i;
  switch (t) {
  case MLC_DT_INT8:
  case MLC_DT_INT4:
  case MLC_DT_INT2:
    for (i = 0; i < n; i++) s[i] = ((const int8_t *)src)[i];
    return;
  case MLC_DT_INT16:
    for (i = 0; i < n; i++) s[i] = ((const int16_t *)src)[i];
    return;
  case MLC_DT_INT32:
    for (i = 0; i < n; i++) s[i] = ((const int32_t *)src)[i];
    return;
  default:
    for (i = 0; i < n; i++) s[i] = ((const int64_t *)src)[i];
  }
}

static void widen_u(int64_t t, const void *src, int64_t n, uint64_t *u) {
  int64_t i;
  switch (t) {
  case MLC_DT_UINT8:
  case MLC_DT_BOOL:
  case MLC_DT_UINT4:
  case MLC_DT_UINT2:
    for (i = 0; i < n; i++) u[i] = ((const uint8_t *)src)[i];
    return;
  case MLC_DT_UINT16:
    for (i = 0; i < n; i++) u[i] = ((const uint16_t *)src)[i];
    return;
  case MLC_DT_UINT32:
    for (i = 0; i < n; i++) u[i] = ((const uint32_t *)src)[i];
    return;
  default:
    for (i = 0; i < n; i++) u[i] = ((const uint64_t *)src)[i];
  }
}

/* float -> integer without undefined behaviour: NaN is 0, the rest saturates
 * and truncates toward zero */
static int64_t sat_s(double x, int64_t lo, int64_t hi) {
  if (x != x) return 0;
  if (x <= (double)lo) return lo;
  if (x >= (double)hi) return hi;
  return (int64_t)x;
}

static uint64_t sat_u(double x, uint64_t hi) {
  if (x != x || x <= 0) return 0;
  if (x >= (double)hi) return hi;
  return (uint64_t)x;
}

static void narrow_f(int64_t t, const double *f, int64_t n, void *dst, int64_t flags) {
  const MlcSmallFloat *sf = small_float(t);
  size_t size = mlc_rt_dtype_size(t);
  int64_t i;
  int bits = sub_bits(t), nosat = (flags & MLC_CAST_NOSAT) != 0;
  if (sf) {
    for (i = 0; i < n; i++) store_code(dst, size, i, mlc_rt_small_from_double(sf, f[i], nosat));
    return;
  }
  switch (t) {
  case MLC_DT_FLOAT8E8M0: CAST_LOOP(uint8_t, mlc_rt_e8m0_from_double(f[i], flags))
  case MLC_DT_INT4:
  case MLC_DT_INT2:
    CAST_LOOP(int8_t, mlc_rt_wrap_signed((uint64_t)sat_s(f[i], INT64_MIN, INT64_MAX), bits))
  case MLC_DT_UINT4:
  case MLC_DT_UINT2:
    CAST_LOOP(uint8_t, mlc_rt_wrap_unsigned((uint64_t)sat_s(f[i], INT64_MIN, INT64_MAX), bits))
  case MLC_DT_FLOAT: CAST_LOOP(float, f[i])
  case MLC_DT_DOUBLE: CAST_LOOP(double, f[i])
  case MLC_DT_INT8: CAST_LOOP(int8_t, sat_s(f[i], INT8_MIN, INT8_MAX))
  case MLC_DT_INT16: CAST_LOOP(int16_t, sat_s(f[i], INT16_MIN, INT16_MAX))
  case MLC_DT_INT32: CAST_LOOP(int32_t, sat_s(f[i], INT32_MIN, INT32_MAX))
  case MLC_DT_INT64: CAST_LOOP(int64_t, sat_s(f[i], INT64_MIN, INT64_MAX))
  case MLC_DT_UINT8: CAST_LOOP(uint8_t, sat_u(f[i], UINT8_MAX))
  case MLC_DT_UINT16: CAST_LOOP(uint16_t, sat_u(f[i], UINT16_MAX))
  case MLC_DT_UINT32: CAST_LOOP(uint32_t, sat_u(f[i], UINT32_MAX))
  case MLC_DT_UINT64: CAST_LOOP(uint64_t, sat_u(f[i], UINT64_MAX))
  default: CAST_LOOP(uint8_t, f[i] != 0) /* bool */
  }
}

static uint64_t magnitude(int64_t x) { return x < 0 ? 0 - (uint64_t)x : (uint64_t)x; }

/* integer -> integer wraps modulo 2^bits, as numpy's astype does */
static void narrow_s(int64_t t, const int64_t *s, int64_t n, void *dst, int64_t flags) {
  const MlcSmallFloat *sf = small_float(t);
  size_t size = mlc_rt_dtype_size(t);
  int64_t i;
  int bits = sub_bits(t), nosat = (flags & MLC_CAST_NOSAT) != 0;
  if (sf) {
    for (i = 0; i < n; i++)
      store_code(dst, size, i, mlc_rt_small_encode(sf, s[i] < 0, magnitude(s[i]), 0, nosat));
    return;
  }
  switch (t) {
  case MLC_DT_FLOAT8E8M0: CAST_LOOP(uint8_t, mlc_rt_e8m0_encode(magnitude(s[i]), 0, flags))
  case MLC_DT_INT4:
  case MLC_DT_INT2: CAST_LOOP(int8_t, mlc_rt_wrap_signed((uint64_t)s[i], bits))
  case MLC_DT_UINT4:
  case MLC_DT_UINT2: CAST_LOOP(uint8_t, mlc_rt_wrap_unsigned((uint64_t)s[i], bits))
  case MLC_DT_FLOAT: CAST_LOOP(float, s[i])
  case MLC_DT_DOUBLE: CAST_LOOP(double, s[i])
  case MLC_DT_INT8: CAST_LOOP(int8_t, (uint8_t)s[i])
  case MLC_DT_INT16: CAST_LOOP(int16_t, (uint16_t)s[i])
  case MLC_DT_INT32: CAST_LOOP(int32_t, (uint32_t)s[i])
  case MLC_DT_INT64: CAST_LOOP(int64_t, s[i])
  case MLC_DT_UINT8: CAST_LOOP(uint8_t, s[i])
  case MLC_DT_UINT16: CAST_LOOP(uint16_t, s[i])
  case MLC_DT_UINT32: CAST_LOOP(uint32_t, s[i])
  case MLC_DT_UINT64: CAST_LOOP(uint64_t, s[i])
  default: CAST_LOOP(uint8_t, s[i] != 0)
  }
}

static void narrow_u(int64_t t, const uint64_t *u, int64_t n, void *dst, int64_t flags) {
  const MlcSmallFloat *sf = small_float(t);
  size_t size = mlc_rt_dtype_size(t);
  int64_t i;
  int bits = sub_bits(t), nosat = (flags & MLC_CAST_NOSAT) != 0;
  if (sf) {
    for (i = 0; i < n; i++) store_code(dst, size, i, mlc_rt_small_encode(sf, 0, u[i], 0, nosat));
    return;
  }
  switch (t) {
  case MLC_DT_FLOAT8E8M0: CAST_LOOP(uint8_t, mlc_rt_e8m0_encode(u[i], 0, flags))
  case MLC_DT_INT4:
  case MLC_DT_INT2: CAST_LOOP(int8_t, mlc_rt_wrap_signed(u[i], bits))
  case MLC_DT_UINT4:
  case MLC_DT_UINT2: CAST_LOOP(uint8_t, mlc_rt_wrap_unsigned(u[i], bits))
  case MLC_DT_FLOAT: CAST_LOOP(float, u[i])
  case MLC_DT_DOUBLE: CAST_LOOP(double, u[i])
  case MLC_DT_INT8: CAST_LOOP(int8_t, (uint8_t)u[i])
  case MLC_DT_INT16: CAST_LOOP(int16_t, (uint16_t)u[i])
  case MLC_DT_INT32: CAST_LOOP(int32_t, (uint32_t)u[i])
  case MLC_DT_INT64: CAST_LOOP(int64_t, u[i])
  case MLC_DT_UINT8: CAST_LOOP(uint8_t, u[i])
  case MLC_DT_UINT16: CAST_LOOP(uint16_t, u[i])
  case MLC_DT_UINT32: CAST_LOOP(uint32_t, u[i])
  case MLC_DT_UINT64: CAST_LOOP(uint64_t, u[i])
  default: CAST_LOOP(uint8_t, u[i] != 0)
  }
}
#undef CAST_LOOP

#define CAST_CHUNK 256

/* int32 to float, the cast after every integer product that is not
 * requantized (MatMulInteger's sums), in runs of 16 that vectorize at -O2:
 * (float) of an int32 rounds as the general path's (float) of its int64 */
static void cast_i32_f32(const int32_t *restrict x, float *restrict y, int64_t n) {
  int64_t i = 0;
  for (; i + 16 <= n; i += 16)
    for (int t = 0; t < 16; t++) y[i + t] = (float)x[i + t];
  for (; i < n; i++) y[i] = (float)x[i];
}

void mlc_rt_cast(const void *params, void *const *io) {
  const MlcCast *p = (const MlcCast *)params;
  const char *src = (const char *)io[MLC_CAST_X];
  char *dst = (char *)io[MLC_CAST_Y];
  int cf = cast_class(p->from), ct = cast_class(p->to);
  size_t sf = mlc_rt_dtype_size(p->from), st = mlc_rt_dtype_size(p->to);
  union {
    double f[CAST_CHUNK];
    int64_t s[CAST_CHUNK];
    uint64_t u[CAST_CHUNK];
  } buf;
  int64_t i, k;
  if (cf == CAST_NONE || ct == CAST_NONE) return; /* the compiler rejects these */
  if (p->from == p->to) {
    memcpy(dst, src, (size_t)p->count * sf);
    return;
  }
  if (p->from == MLC_DT_INT32 && p->to == MLC_DT_FLOAT) {
    cast_i32_f32((const int32_t *)(const void *)src, (float *)(void *)dst, p->count);
    return;
  }
  for (i = 0; i < p->count; i += CAST_CHUNK) {
    k = p->count - i < CAST_CHUNK ? p->count - i : CAST_CHUNK;
    switch (cf) {
    case CAST_F:
      widen_f(p->from, src + (size_t)i * sf, k, buf.f);
      narrow_f(p->to, buf.f, k, dst + (size_t)i * st, p->nosat);
      break;
    case CAST_S:
      widen_s(p->from, src + (size_t)i * sf, k, buf.s);
      narrow_s(p->to, buf.s, k, dst + (size_t)i * st, p->nosat);
      break;
    default:
      widen_u(p->from, src + (size_t)i * sf, k, buf.u);
      narrow_u(p->to, buf.u, k, dst + (size_t)i * st, p->nosat);
    }
  }
}
