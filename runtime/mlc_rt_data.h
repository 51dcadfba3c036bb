/* mlc runtime, family data. Data movement: strided copies, fills, padding,
 * Gather, and the casts between every pair of element types.
 *
 * Parameter structs (S) and kernels (K, io in order: inputs, then
 * outputs); mlc_rt.h gathers every family's lists. */
#ifndef MLC_RT_DATA_H
#define MLC_RT_DATA_H

#include <string.h>

#include "mlc_rt_core.h"

#define MLC_RT_PARAMS_DATA(S, I, D, IA, DA)                                   \
  /* strided copy of elem-byte items: Transpose, Slice, Concat, Expand,       \
     Split, Pad's interior, DepthToSpace... Strides in elements. */           \
  S(MlcCopy, I(rank) I(elem) IA(dims, MLC_RT_MAX_RANK)                        \
             IA(src_strides, MLC_RT_MAX_RANK)                                 \
             IA(dst_strides, MLC_RT_MAX_RANK) I(src_off) I(dst_off))          \
  /* fill count items of elem bytes with a value (given as its bytes) */      \
  S(MlcFill, I(count) I(elem) I(bits))                                        \
  /* Pad with mode 1 = reflect, 2 = edge, 3 = wrap (constant padding is       \
     Fill+Copy). The input is read at src_off with element strides, so        \
     negative pads crop it first; pad_begin >= 0 */                           \
  S(MlcPad, I(rank) I(elem) I(mode) IA(in_dims, MLC_RT_MAX_RANK)              \
            IA(in_strides, MLC_RT_MAX_RANK) I(src_off)                        \
            IA(out_dims, MLC_RT_MAX_RANK) IA(pad_begin, MLC_RT_MAX_RANK))     \
  /* Gather along the middle dim of [outer, len, inner*elem bytes];           \
     indices are int64 (idx_bits 64) or int32, negative ones count from       \
     the end, out-of-range ones yield zero bytes */                           \
  S(MlcGather, I(outer) I(len) I(inner_bytes) I(nidx) I(idx_bits))            \
  /* Cast count items between MLC_DT_* codes (ONNX TensorProto numbers,       \
     float8 ones included); nosat: MLC_CAST_* flags: NOSAT, a float8          \
     overflow gives inf or NaN (ONNX saturate=0) instead of the largest       \
     finite value; ROUND_DOWN / ROUND_NEAREST: float8e8m0's round_mode        \
     (default up) */                                                          \
  S(MlcCast, I(count) I(from) I(to) I(nosat))                                 \
  /* Range's start + i * delta for i < count, of MLC_DT_* dtype (float and    \
     double computed in double, the integers in int64) */                     \
  S(MlcRange, I(count) I(dtype))

#define MLC_RT_KERNELS_DATA(K)                                                \
  K(copy, MlcCopy)             /* io: src, dst */                             \
  K(fill, MlcFill)             /* io: dst */                                  \
  K(pad, MlcPad)               /* io: src, dst */                             \
  K(gather, MlcGather)         /* io: data, indices, y */                     \
  K(cast, MlcCast)             /* io: x, y */                                 \
  K(range, MlcRange)           /* io: start, delta, y */

#ifdef __cplusplus
extern "C" {
#endif

MLC_RT_DECLARE(MLC_RT_PARAMS_DATA, MLC_RT_KERNELS_DATA)

/* io slots: where each kernel finds its tensors in io[] (the lowering
 * fills them by these names, the kernel reads them by these names) */
/* copy */
enum { MLC_COPY_SRC, MLC_COPY_DST, MLC_COPY_NIO };
/* fill */
enum { MLC_FILL_DST, MLC_FILL_NIO };
/* pad */
enum { MLC_PAD_SRC, MLC_PAD_DST, MLC_PAD_NIO };
/* gather */
enum { MLC_GATHER_DATA, MLC_GATHER_INDICES, MLC_GATHER_Y, MLC_GATHER_NIO };
/* cast */
enum { MLC_CAST_X, MLC_CAST_Y, MLC_CAST_NIO };
/* range */
enum { MLC_RANGE_START, MLC_RANGE_DELTA, MLC_RANGE_Y, MLC_RANGE_NIO };

enum { MLC_CAST_NOSAT = 1, MLC_CAST_ROUND_DOWN = 2, MLC_CAST_ROUND_NEAREST = 4 };

/* ---- scalar helpers of pad and cast, shared with the CUDA runtime ------- */

/* the source index that output index o reads along a dim of n items */
MLC_RT_SCALAR int64_t mlc_rt_pad_index(int64_t o, int64_t begin, int64_t n, int64_t mode) {
  int64_t i = o - begin, period;
  if (i >= 0 && i < n) return i;
  switch (mode) {
  case 2: /* edge */ return i < 0 ? 0 : n - 1;
  case 3: /* wrap */ i %= n; return i < 0 ? i + n : i;
  default: /* reflect: mirror without repeating the edge, period 2(n-1) */
    if (n == 1) return 0;
    period = 2 * (n - 1);
    i %= period;
    if (i < 0) i += period;
    return i < n ? i : period - i;
  }
}

/* v modulo 2^bits (the 4- and 2-bit integers), as a signed value of that
 * width and as an unsigned one */
MLC_RT_SCALAR int8_t mlc_rt_wrap_signed(uint64_t v, int bits) {
  int m = (int)(v & ((1u << bits) - 1));
  return (int8_t)(m >> (bits - 1) ? m - (1 << bits) : m);
}

MLC_RT_SCALAR uint8_t mlc_rt_wrap_unsigned(uint64_t v, int bits) {
  return (uint8_t)(v & ((1u << bits) - 1));
}

/* The small float formats: float16, bfloat16, the float8s and float4e2m1,
 * all decoded and encoded by the one set of routines below. The float8
 * "FN" formats have no infinity; "UZ" ones have no negative zero and a
 * single NaN, 0x80. */
typedef struct MlcSmallFloat {
  int mbits, bias;
  uint32_t sign, maxfin, inf, nan; /* inf 0: none */
  int uz;
  int finite; /* no infinity and no NaN (float4e2m1): always saturates */
} MlcSmallFloat;
/* X(MLC_DT_ name, the MlcSmallFloat fields in order) */
#define MLC_RT_SMALL_FLOATS(X)                                                \
  X(FLOAT16, 10, 15, 0x8000, 0x7bff, 0x7c00, 0x7e00, 0, 0)                    \
  X(BFLOAT16, 7, 127, 0x8000, 0x7f7f, 0x7f80, 0x7fc0, 0, 0)                   \
  X(FLOAT8E4M3FN, 3, 7, 0x80, 0x7e, 0, 0x7f, 0, 0)                            \
  X(FLOAT8E4M3FNUZ, 3, 8, 0x80, 0x7f, 0, 0x80, 1, 0)                          \
  X(FLOAT8E5M2, 2, 15, 0x80, 0x7b, 0x7c, 0x7e, 0, 0)                          \
  X(FLOAT8E5M2FNUZ, 2, 16, 0x80, 0x7f, 0, 0x80, 1, 0)                         \
  X(FLOAT4E2M1, 1, 1, 0x8, 0x7, 0, 0, 0, 1)

/* the magnitude bits of m * 2^e (m > 0) rounded to nearest even; anything
 * that rounds past the largest finite value gives maxfin + 1 */
MLC_RT_SCALAR uint32_t mlc_rt_small_round(const MlcSmallFloat *f, uint64_t m, int e) {
  int emin = 1 - f->bias, p = 63, E, sh;
  uint64_t N, rem, half, code;
  while (!(m >> p)) p--;
  E = p + e; /* the value is 1.x * 2^E */
  if (E > f->bias + 1) return f->maxfin + 1;
  /* the kept bits weigh 2^(max(E, emin) - mbits) and up */
  sh = (E > emin ? E : emin) - f->mbits - e;
  if (sh <= 0) {
    N = m << -sh;
  } else if (sh > 64) {
    N = 0;
  } else {
    N = sh == 64 ? 0 : m >> sh;
    rem = sh == 64 ? m : m & ((UINT64_C(1) << sh) - 1);
    half = UINT64_C(1) << (sh - 1);
    if (rem > half || (rem == half && (N & 1))) N++;
  }
  /* a normal's implicit bit adds one to the exponent field, and a rounding
   * carry walks into it by itself */
  code = N + (E >= emin ? (uint64_t)(E + f->bias - 1) << f->mbits : 0);
  return code > f->maxfin ? f->maxfin + 1 : (uint32_t)code;
}

/* the code of an infinite or overflowing value */
MLC_RT_SCALAR uint32_t mlc_rt_small_overflow(const MlcSmallFloat *f, uint32_t sign, int nosat) {
  if (!nosat || f->finite) return sign | f->maxfin;
  if (f->inf) return sign | f->inf;
  return f->uz ? f->nan : sign | f->nan;
}

/* -(1)^neg * m * 2^e; float16 and bfloat16 always overflow to infinity */
MLC_RT_SCALAR uint32_t mlc_rt_small_encode(const MlcSmallFloat *f, int neg, uint64_t m, int e,
                                           int nosat) {
  uint32_t sign = neg ? f->sign : 0, code;
  if (!m) return f->uz ? 0 : sign;
  code = mlc_rt_small_round(f, m, e);
  if (code > f->maxfin) return mlc_rt_small_overflow(f, sign, nosat || f->sign == 0x8000);
  return f->uz && !code ? 0 : sign | code;
}

MLC_RT_SCALAR uint32_t mlc_rt_small_from_double(const MlcSmallFloat *f, double x, int nosat) {
  uint64_t b, frac;
  int ex, neg;
  memcpy(&b, &x, sizeof b);
  neg = (int)(b >> 63);
  ex = (int)((b >> 52) & 0x7ff);
  frac = b & ((UINT64_C(1) << 52) - 1);
  if (ex == 0x7ff) {
    /* float4e2m1: ONNX's float4 page says 6, but its reference (and so its
     * test data) gives a zero of the opposite sign; mlc follows the data */
    if (frac && f->finite) return neg ? 0 : f->sign;
    if (frac) return f->uz ? f->nan : (neg ? f->sign : 0) | f->nan;
    return mlc_rt_small_overflow(f, neg ? f->sign : 0, nosat || f->sign == 0x8000);
  }
  if (ex == 0) return mlc_rt_small_encode(f, neg, frac, -1074, nosat);
  return mlc_rt_small_encode(f, neg, frac | (UINT64_C(1) << 52), ex - 1075, nosat);
}

MLC_RT_SCALAR int mlc_rt_small_is_nan(const MlcSmallFloat *f, uint32_t c) {
  uint32_t mag = c & (f->sign - 1);
  if (f->finite) return 0;
  return f->uz ? c == f->nan : f->inf ? mag > f->inf : mag == f->nan;
}

MLC_RT_SCALAR double mlc_rt_small_to_double(const MlcSmallFloat *f, uint32_t c) {
  uint32_t mag = c & (f->sign - 1), ex = mag >> f->mbits;
  uint32_t frac = mag & ((1u << f->mbits) - 1);
  double v;
  if (mlc_rt_small_is_nan(f, c))
    v = NAN;
  else if (f->inf && mag == f->inf)
    v = INFINITY;
  else if (ex == 0)
    v = ldexp((double)frac, 1 - f->bias - f->mbits);
  else
    v = ldexp((double)(frac | 1u << f->mbits), (int)ex - f->bias - f->mbits);
  return c & f->sign ? -v : v;
}

/* float8e8m0, a bare exponent: code c is 2^(c - 127), 0xff NaN, no sign or
 * zero. The code of the magnitude m * 2^e, rounded to a power of two up (the
 * default), down (MLC_CAST_ROUND_DOWN) or to the nearest, ties up
 * (MLC_CAST_ROUND_NEAREST), saturating to the smallest or largest power
 * unless MLC_CAST_NOSAT, which gives NaN there instead */
MLC_RT_SCALAR uint32_t mlc_rt_e8m0_encode(uint64_t m, int e, int64_t flags) {
  int sat = !(flags & MLC_CAST_NOSAT), p = 63, k;
  if (!m) return sat ? 0 : 0xff;
  while (!(m >> p)) p--;
  k = p + e; /* m * 2^e = 1.x * 2^k */
  if (flags & MLC_CAST_ROUND_NEAREST) {
    if (p > 0 && (m >> (p - 1) & 1)) k++; /* 1.x >= 1.5 */
  } else if (!(flags & MLC_CAST_ROUND_DOWN)) {
    if (m & ((UINT64_C(1) << p) - 1)) k++;
  }
  k += 127;
  if (k > 0xfe) return sat ? 0xfe : 0xff;
  if (k < 0) return sat ? 0 : 0xff;
  return (uint32_t)k;
}

/* the float8e8m0 code of |x|: NaN gives NaN, infinity the largest power or
 * (MLC_CAST_NOSAT) NaN */
MLC_RT_SCALAR uint32_t mlc_rt_e8m0_from_double(double x, int64_t flags) {
  uint64_t b, frac;
  int ex;
  memcpy(&b, &x, sizeof b);
  ex = (int)((b >> 52) & 0x7ff);
  frac = b & ((UINT64_C(1) << 52) - 1);
  if (ex == 0x7ff) return frac || (flags & MLC_CAST_NOSAT) ? 0xff : 0xfe;
  if (ex == 0) return mlc_rt_e8m0_encode(frac, -1074, flags);
  return mlc_rt_e8m0_encode(frac | (UINT64_C(1) << 52), ex - 1075, flags);
}

MLC_RT_SCALAR double mlc_rt_e8m0_to_double(uint8_t c) {
  return c == 0xff ? NAN : ldexp(1.0, c - 127);
}

#ifdef __cplusplus
}
#endif
#endif /* MLC_RT_DATA_H */
