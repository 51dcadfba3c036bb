/* mlc CUDA runtime: data movement (copy, fill, pad, gather) and cast, the
 * CUDA twins of runtime/data.c.
 *
 * Design. The movers never look at values: an item of `elem` bytes moves
 * as elem / W words of the widest W (8, 4, 2 or 1 bytes) that divides the
 * item and the base pointers' alignment, picked on the host, so one
 * templated kernel serves every dtype and float16 moves as 2-byte words.
 * Each thread owns one output item (or word) and finds its source by
 * decomposing its flat index over the dims (at most MLC_RT_MAX_RANK
 * divisions), so no thread depends on another: no ordering, no atomics,
 * and a grid-stride loop covers any count.
 *
 * Casts widen every element to one of the C runtime's three intermediates
 * (double, int64_t, uint64_t, chosen by the source type) and narrow it
 * into the destination with the same scalar helpers data.c uses
 * (mlc_rt_d2i / mlc_rt_d2u for saturation, mlc_rt_small_* for float16,
 * bfloat16, the float8s and float4e2m1, mlc_rt_e8m0_* for float8e8m0 and
 * its round modes, mlc_rt_wrap_* for the 4- and 2-bit integers;
 * mlc_rt_data.h), so both backends convert bit for bit alike. The kernel
 * is instantiated per source type; the destination is a switch that is
 * uniform across the grid. */
#include <stdint.h>
#include <string.h>

#include "mlc_rt_cuda_int.h"

namespace {

/* ---- copy ---------------------------------------------------------------- */

/* item i of the dims' row-major walk: src[src_off + coords . src_strides]
 * to dst[dst_off + coords . dst_strides] */
template <typename W>
__global__ void copy_k(MlcCopy p, int64_t n, int64_t words, const void *x, void *y) {
  const W *src = (const W *)x;
  W *dst = (W *)y;
  GRID_STRIDE(i, n) {
    int64_t r = i, so = p.src_off, dof = p.dst_off;
    for (int d = (int)p.rank - 1; d >= 0; d--) {
      int64_t c = r % p.dims[d];
      r /= p.dims[d];
      so += c * p.src_strides[d];
      dof += c * p.dst_strides[d];
    }
    for (int64_t k = 0; k < words; k++) dst[dof * words + k] = src[so * words + k];
  }
}

/* ---- fill ---------------------------------------------------------------- */

/* the item's bytes are the low bytes of bits, as memcpy of the int64 reads
 * them (little endian) */
template <typename W>
__global__ void fill_k(void *dst, int64_t n, uint64_t bits) {
  GRID_STRIDE(i, n)((W *)dst)[i] = (W)bits;
}

/* items of e bytes (any e up to 8) that are not aligned words */
__global__ void fill_bytes_k(uint8_t *dst, int64_t n, int64_t e, uint64_t bits) {
  GRID_STRIDE(i, n) dst[i] = (uint8_t)(bits >> (8 * (i % e)));
}

/* ---- pad ----------------------------------------------------------------- */

/* output item i reads the input at its coordinates mapped dim by dim by
 * mlc_rt_pad_index (the interior maps to itself) */
template <typename W>
__global__ void pad_k(MlcPad p, int64_t n, int64_t words, const void *x, void *y) {
  const W *src = (const W *)x;
  W *dst = (W *)y;
  GRID_STRIDE(i, n) {
    int64_t r = i, s = p.src_off;
    for (int d = (int)p.rank - 1; d >= 0; d--) {
      int64_t c = r % p.out_dims[d];
      r /= p.out_dims[d];
      s += mlc_rt_pad_index(c, p.pad_begin[d], p.in_dims[d], p.mode) * p.in_strides[d];
    }
    for (int64_t k = 0; k < words; k++) dst[i * words + k] = src[s * words + k];
  }
}

/* ---- gather -------------------------------------------------------------- */

/* word t of y is word t % words of item (o, j): row idx[j] of outer block o,
 * or zero for an index out of [-len, len) */
template <typename W>
__global__ void gather_k(MlcGather p, int64_t n, int64_t words, const void *x, const void *idx,
                         void *out) {
  const W *data = (const W *)x;
  W *y = (W *)out;
  GRID_STRIDE(t, n) {
    int64_t item = t / words, w = t % words, j = item % p.nidx, o = item / p.nidx;
    int64_t k = mlc_rt_wrap_index(mlc_rt_read_index(idx, p.idx_bits, j), p.len);
    y[t] = k < 0 ? (W)0 : data[(o * p.len + k) * words + w];
  }
}

/* ---- cast ---------------------------------------------------------------- */

/* element i of x (MLC_DT_* type FROM) in data.c's intermediate (its
 * cast_class): double for the floats, int64_t for the signed integers and
 * uint64_t for the unsigned ones and bool. The sub-byte types take a byte
 * each, int4 and int2 sign-extended. */
template <int FROM>
__host__ __device__ auto widen(const void *x, int64_t i) {
  if constexpr (FROM == MLC_DT_FLOAT) {
    float f = ((const float *)x)[i];
    uint32_t b;
    memcpy(&b, &f, sizeof b);
    /* a NaN keeps its sign, whatever the conversion does with NaNs */
    if (f != f) return b >> 31 ? -(double)NAN : (double)NAN;
    return (double)f;
  } else if constexpr (FROM == MLC_DT_DOUBLE)
    return ((const double *)x)[i];
  else if constexpr (FROM == MLC_DT_FLOAT8E8M0)
    return mlc_rt_e8m0_to_double(((const uint8_t *)x)[i]);
  else if constexpr (FROM == MLC_DT_FLOAT16 || FROM == MLC_DT_BFLOAT16) {
    MlcSmallFloat f = small_float(FROM);
    return mlc_rt_small_to_double(&f, ((const uint16_t *)x)[i]);
  } else if constexpr (FROM == MLC_DT_FLOAT8E4M3FN || FROM == MLC_DT_FLOAT8E4M3FNUZ ||
                       FROM == MLC_DT_FLOAT8E5M2 || FROM == MLC_DT_FLOAT8E5M2FNUZ ||
                       FROM == MLC_DT_FLOAT4E2M1) {
    MlcSmallFloat f = small_float(FROM);
    return mlc_rt_small_to_double(&f, ((const uint8_t *)x)[i]);
  } else if constexpr (FROM == MLC_DT_INT8 || FROM == MLC_DT_INT4 || FROM == MLC_DT_INT2)
    return (int64_t)((const int8_t *)x)[i];
  else if constexpr (FROM == MLC_DT_INT16)
    return (int64_t)((const int16_t *)x)[i];
  else if constexpr (FROM == MLC_DT_INT32)
    return (int64_t)((const int32_t *)x)[i];
  else if constexpr (FROM == MLC_DT_INT64)
    return ((const int64_t *)x)[i];
  else if constexpr (FROM == MLC_DT_UINT16)
    return (uint64_t)((const uint16_t *)x)[i];
  else if constexpr (FROM == MLC_DT_UINT32)
    return (uint64_t)((const uint32_t *)x)[i];
  else if constexpr (FROM == MLC_DT_UINT64)
    return ((const uint64_t *)x)[i];
  else
    return (uint64_t)((const uint8_t *)x)[i]; /* uint8, bool, uint4, uint2 */
}

__host__ __device__ uint64_t magnitude(int64_t v) { return v < 0 ? 0 - (uint64_t)v : (uint64_t)v; }

/* the small float code (float16, bfloat16, the float8s but e8m0, float4e2m1)
 * of an intermediate */
__host__ __device__ uint32_t to_small(const MlcSmallFloat *f, double v, int nosat) {
  return mlc_rt_small_from_double(f, v, nosat);
}
__host__ __device__ uint32_t to_small(const MlcSmallFloat *f, int64_t v, int nosat) {
  return mlc_rt_small_encode(f, v < 0, magnitude(v), 0, nosat);
}
__host__ __device__ uint32_t to_small(const MlcSmallFloat *f, uint64_t v, int nosat) {
  return mlc_rt_small_encode(f, 0, v, 0, nosat);
}

/* the float8e8m0 code of an intermediate (flags: MLC_CAST_*) */
__host__ __device__ uint32_t to_e8m0(double v, int64_t flags) {
  return mlc_rt_e8m0_from_double(v, flags);
}
__host__ __device__ uint32_t to_e8m0(int64_t v, int64_t flags) {
  return mlc_rt_e8m0_encode(magnitude(v), 0, flags);
}
__host__ __device__ uint32_t to_e8m0(uint64_t v, int64_t flags) {
  return mlc_rt_e8m0_encode(v, 0, flags);
}

/* an intermediate as integer type T: floats saturate (NaN to 0), integers
 * wrap modulo 2^bits */
template <typename T>
__host__ __device__ T to_int(double v) {
  if constexpr ((T)-1 < (T)0)
    return (T)mlc_rt_d2i(v, -MLC_RT_IMAX(T) - 1, MLC_RT_IMAX(T));
  else
    return (T)mlc_rt_d2u(v, MLC_RT_UMAX(T));
}
template <typename T>
__host__ __device__ T to_int(int64_t v) {
  return (T)(uint64_t)v;
}
template <typename T>
__host__ __device__ T to_int(uint64_t v) {
  return (T)v;
}

/* the 64 bits that the 4- and 2-bit integers wrap: a float saturates to
 * int64 (NaN to 0) and truncates first, as data.c's narrow_f */
__host__ __device__ uint64_t to_wrap(double v) {
  return (uint64_t)mlc_rt_d2i(v, INT64_MIN, INT64_MAX);
}
__host__ __device__ uint64_t to_wrap(int64_t v) { return (uint64_t)v; }
__host__ __device__ uint64_t to_wrap(uint64_t v) { return v; }

/* y[i] = x[i] cast from FROM to `to` (sf: small_float(to)), as data.c's
 * mlc_rt_cast: widen, then narrow_f / narrow_s / narrow_u */
template <int FROM>
__host__ __device__ void cast_one(const void *x, void *y, int64_t i, int to, int64_t flags,
                                  const MlcSmallFloat *sf) {
  auto v = widen<FROM>(x, i);
  int nosat = (flags & MLC_CAST_NOSAT) != 0;
  switch (to) {
  case MLC_DT_FLOAT: ((float *)y)[i] = (float)v; return;
  case MLC_DT_DOUBLE: ((double *)y)[i] = (double)v; return;
  case MLC_DT_FLOAT16:
  case MLC_DT_BFLOAT16: ((uint16_t *)y)[i] = (uint16_t)to_small(sf, v, nosat); return;
  case MLC_DT_FLOAT8E4M3FN:
  case MLC_DT_FLOAT8E4M3FNUZ:
  case MLC_DT_FLOAT8E5M2:
  case MLC_DT_FLOAT8E5M2FNUZ:
  case MLC_DT_FLOAT4E2M1: ((uint8_t *)y)[i] = (uint8_t)to_small(sf, v, nosat); return;
  case MLC_DT_FLOAT8E8M0: ((uint8_t *)y)[i] = (uint8_t)to_e8m0(v, flags); return;
  case MLC_DT_INT4: ((int8_t *)y)[i] = mlc_rt_wrap_signed(to_wrap(v), 4); return;
  case MLC_DT_INT2: ((int8_t *)y)[i] = mlc_rt_wrap_signed(to_wrap(v), 2); return;
  case MLC_DT_UINT4: ((uint8_t *)y)[i] = mlc_rt_wrap_unsigned(to_wrap(v), 4); return;
  case MLC_DT_UINT2: ((uint8_t *)y)[i] = mlc_rt_wrap_unsigned(to_wrap(v), 2); return;
  case MLC_DT_INT8: ((int8_t *)y)[i] = to_int<int8_t>(v); return;
  case MLC_DT_INT16: ((int16_t *)y)[i] = to_int<int16_t>(v); return;
  case MLC_DT_INT32: ((int32_t *)y)[i] = to_int<int32_t>(v); return;
  case MLC_DT_INT64: ((int64_t *)y)[i] = to_int<int64_t>(v); return;
  case MLC_DT_UINT8: ((uint8_t *)y)[i] = to_int<uint8_t>(v); return;
  case MLC_DT_UINT16: ((uint16_t *)y)[i] = to_int<uint16_t>(v); return;
  case MLC_DT_UINT32: ((uint32_t *)y)[i] = to_int<uint32_t>(v); return;
  case MLC_DT_UINT64: ((uint64_t *)y)[i] = to_int<uint64_t>(v); return;
  default: ((uint8_t *)y)[i] = v != 0; /* bool */
  }
}

template <int FROM>
__global__ void cast_k(const void *x, void *y, int64_t n, int to, int64_t flags) {
  const MlcSmallFloat sf = small_float(to);
  GRID_STRIDE(i, n) cast_one<FROM>(x, y, i, to, flags, &sf);
}

/* the source types of mlc_rtcu_cast_type */
/* clang-format off */
#define CAST_FROM(X)                                                          \
  X(MLC_DT_FLOAT) X(MLC_DT_DOUBLE) X(MLC_DT_FLOAT16) X(MLC_DT_BFLOAT16)       \
  X(MLC_DT_FLOAT8E4M3FN) X(MLC_DT_FLOAT8E4M3FNUZ) X(MLC_DT_FLOAT8E5M2)        \
  X(MLC_DT_FLOAT8E5M2FNUZ) X(MLC_DT_FLOAT8E8M0) X(MLC_DT_FLOAT4E2M1)          \
  X(MLC_DT_INT8) X(MLC_DT_INT16) X(MLC_DT_INT32) X(MLC_DT_INT64)              \
  X(MLC_DT_INT4) X(MLC_DT_INT2)                                               \
  X(MLC_DT_UINT8) X(MLC_DT_UINT16) X(MLC_DT_UINT32) X(MLC_DT_UINT64)          \
  X(MLC_DT_UINT4) X(MLC_DT_UINT2) X(MLC_DT_BOOL)
/* clang-format on */

} // namespace

extern "C" {

int mlc_rtcu_copy(MlcCuCtx *ctx, const void *params, void *const *io) {
  const MlcCopy *p = (const MlcCopy *)params;
  const char *src = (const char *)io[MLC_COPY_SRC];
  char *dst = (char *)io[MLC_COPY_DST];
  int64_t e = p->elem, n = 1;
  if (p->rank < 0 || p->rank > MLC_RT_MAX_RANK || e < 0) return MLC_CU_ERR_PARAMS;
  if (ctx->sizing) return MLC_CU_OK;
  for (int d = 0; d < p->rank; d++) {
    if (p->dims[d] <= 0) return MLC_CU_OK;
    n *= p->dims[d];
  }
  if (e == 0) return MLC_CU_OK;
  /* one contiguous run (the compiler merges what it can): a plain copy */
  if (p->rank == 0 || (p->rank == 1 && p->src_strides[0] == 1 && p->dst_strides[0] == 1))
    return copy_bytes(ctx, dst + p->dst_off * e, src + p->src_off * e, n * e);
  int w = word_bytes(e, src, dst);
  LAUNCH_WORDS(w, copy_k, mlc_rtcu_grid(n), ctx->stream, *p, n, e / w, src, dst)
  return mlc_rtcu_launched();
}

int mlc_rtcu_fill(MlcCuCtx *ctx, const void *params, void *const *io) {
  const MlcFill *p = (const MlcFill *)params;
  void *dst = io[MLC_FILL_DST];
  int64_t e = p->elem;
  if (ctx->sizing || p->count <= 0 || e <= 0 || e > 8) return MLC_CU_OK;
  if (word_bytes(e, dst, dst) == e) {
    LAUNCH_WORDS(e, fill_k, mlc_rtcu_grid(p->count), ctx->stream, dst, p->count, (uint64_t)p->bits)
  } else {
    int64_t n = p->count * e;
    fill_bytes_k<<<mlc_rtcu_grid(n), MLC_CU_BLOCK, 0, ctx->stream>>>((uint8_t *)dst, n, e,
                                                                     (uint64_t)p->bits);
  }
  return mlc_rtcu_launched();
}

int mlc_rtcu_pad(MlcCuCtx *ctx, const void *params, void *const *io) {
  const MlcPad *p = (const MlcPad *)params;
  const void *src = io[MLC_PAD_SRC];
  void *dst = io[MLC_PAD_DST];
  int64_t e = p->elem, n = 1;
  if (p->rank < 0 || p->rank > MLC_RT_MAX_RANK || e < 0) return MLC_CU_ERR_PARAMS;
  if (ctx->sizing || e == 0) return MLC_CU_OK;
  for (int d = 0; d < p->rank; d++) {
    if (p->out_dims[d] <= 0 || p->in_dims[d] <= 0) return MLC_CU_OK;
    n *= p->out_dims[d];
  }
  int w = word_bytes(e, src, dst);
  LAUNCH_WORDS(w, pad_k, mlc_rtcu_grid(n), ctx->stream, *p, n, e / w, src, dst)
  return mlc_rtcu_launched();
}

int mlc_rtcu_gather(MlcCuCtx *ctx, const void *params, void *const *io) {
  const MlcGather *p = (const MlcGather *)params;
  const void *data = io[MLC_GATHER_DATA];
  void *y = io[MLC_GATHER_Y];
  int64_t ib = p->inner_bytes;
  if (ctx->sizing || p->outer <= 0 || p->nidx <= 0 || ib <= 0) return MLC_CU_OK;
  int w = word_bytes(ib, data, y);
  int64_t n = p->outer * p->nidx * (ib / w);
  LAUNCH_WORDS(w, gather_k, mlc_rtcu_grid(n), ctx->stream, *p, n, ib / w, data,
               io[MLC_GATHER_INDICES], y)
  return mlc_rtcu_launched();
}

int mlc_rtcu_cast(MlcCuCtx *ctx, const void *params, void *const *io) {
  const MlcCast *p = (const MlcCast *)params;
  const void *x = io[MLC_CAST_X];
  void *y = io[MLC_CAST_Y];
  if (!mlc_rtcu_cast_type(p->from) || !mlc_rtcu_cast_type(p->to)) return MLC_CU_ERR_PARAMS;
  if (ctx->sizing || p->count <= 0) return MLC_CU_OK;
  if (p->from == p->to)
    return copy_bytes(ctx, y, x, p->count * (int64_t)mlc_rt_dtype_size(p->from));
  unsigned grid = mlc_rtcu_grid(p->count);
  switch (p->from) {
#define CAST_CASE(t)                                                                         \
  case t:                                                                                    \
    cast_k<t><<<grid, MLC_CU_BLOCK, 0, ctx->stream>>>(x, y, p->count, (int)p->to, p->nosat); \
    break;
    CAST_FROM(CAST_CASE)
#undef CAST_CASE
  }
  return mlc_rtcu_launched();
}

} // extern "C"
