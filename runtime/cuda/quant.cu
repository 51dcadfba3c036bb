/* mlc CUDA runtime: QuantizeLinear and DequantizeLinear (MlcQuant), with
 * the semantics of quant.c: per-tensor, per-axis and blocked scales and
 * zero points (double), every element type the C kernel's casts take.
 *
 * One thread per element. As in quant.c, x is widened to double, computed
 * on, and narrowed into y exactly as the C cast kernel (data.c) narrows a
 * double: the small float formats through mlc_rt_data.h's encoders, the
 * integers saturated (mlc_rt_d2i, mlc_rt_d2u), the 4- and 2-bit ones then
 * wrapped to their width. The quotient x / scale is first rounded to the
 * type the ONNX reference divides in (divt), then to an integer (half to
 * even) and saturated to [lo, hi]. Double division and nearbyint are
 * correctly rounded on the GPU as on the host, so the integers match the C
 * kernel's exactly. float8e8m0 (which the compiler never quantizes to or
 * from) returns MLC_CU_ERR_PARAMS. */
#include "mlc_rt_cuda_int.h"

/* the types this file converts: the CUDA cast's, less float8e8m0 */
static int quant_type(int64_t t) { return mlc_rtcu_cast_type(t) && t != MLC_DT_FLOAT8E8M0; }

/* a small float stored in 2 bytes (else 1) */
__device__ static int two_bytes(int64_t t) { return t == MLC_DT_FLOAT16 || t == MLC_DT_BFLOAT16; }

/* element i of x (type t) as a double, as data.c's widen_* and narrow to
 * double do */
__device__ static double widen(int64_t t, const void *x, int64_t i) {
  switch (t) {
  case MLC_DT_FLOAT: return ((const float *)x)[i];
  case MLC_DT_DOUBLE: return ((const double *)x)[i];
  case MLC_DT_INT8:
  case MLC_DT_INT4:
  case MLC_DT_INT2: return (double)((const int8_t *)x)[i];
  case MLC_DT_INT16: return (double)((const int16_t *)x)[i];
  case MLC_DT_INT32: return (double)((const int32_t *)x)[i];
  case MLC_DT_INT64: return (double)((const int64_t *)x)[i];
  case MLC_DT_UINT8:
  case MLC_DT_BOOL:
  case MLC_DT_UINT4:
  case MLC_DT_UINT2: return (double)((const uint8_t *)x)[i];
  case MLC_DT_UINT16: return (double)((const uint16_t *)x)[i];
  case MLC_DT_UINT32: return (double)((const uint32_t *)x)[i];
  case MLC_DT_UINT64: return (double)((const uint64_t *)x)[i];
  default: {
    MlcSmallFloat sf = small_float(t);
    return mlc_rt_small_to_double(
        &sf, two_bytes(t) ? ((const uint16_t *)x)[i] : ((const uint8_t *)x)[i]);
  }
  }
}

/* y[i] (type t) = v, as data.c's narrow_f; nosat: MLC_CAST_NOSAT set */
__device__ static void narrow(int64_t t, double v, void *y, int64_t i, int nosat) {
  switch (t) {
  case MLC_DT_FLOAT: ((float *)y)[i] = (float)v; return;
  case MLC_DT_DOUBLE: ((double *)y)[i] = v; return;
  case MLC_DT_INT8: ((int8_t *)y)[i] = (int8_t)mlc_rt_d2i(v, INT8_MIN, INT8_MAX); return;
  case MLC_DT_INT16: ((int16_t *)y)[i] = (int16_t)mlc_rt_d2i(v, INT16_MIN, INT16_MAX); return;
  case MLC_DT_INT32: ((int32_t *)y)[i] = (int32_t)mlc_rt_d2i(v, INT32_MIN, INT32_MAX); return;
  case MLC_DT_INT64: ((int64_t *)y)[i] = mlc_rt_d2i(v, INT64_MIN, INT64_MAX); return;
  case MLC_DT_INT4:
  case MLC_DT_INT2:
    ((int8_t *)y)[i] =
        mlc_rt_wrap_signed((uint64_t)mlc_rt_d2i(v, INT64_MIN, INT64_MAX), t == MLC_DT_INT4 ? 4 : 2);
    return;
  case MLC_DT_UINT4:
  case MLC_DT_UINT2:
    ((uint8_t *)y)[i] = mlc_rt_wrap_unsigned((uint64_t)mlc_rt_d2i(v, INT64_MIN, INT64_MAX),
                                             t == MLC_DT_UINT4 ? 4 : 2);
    return;
  case MLC_DT_UINT8: ((uint8_t *)y)[i] = (uint8_t)mlc_rt_d2u(v, UINT8_MAX); return;
  case MLC_DT_UINT16: ((uint16_t *)y)[i] = (uint16_t)mlc_rt_d2u(v, UINT16_MAX); return;
  case MLC_DT_UINT32: ((uint32_t *)y)[i] = (uint32_t)mlc_rt_d2u(v, UINT32_MAX); return;
  case MLC_DT_UINT64: ((uint64_t *)y)[i] = mlc_rt_d2u(v, UINT64_MAX); return;
  case MLC_DT_BOOL: ((uint8_t *)y)[i] = v != 0; return;
  default: {
    MlcSmallFloat sf = small_float(t);
    uint32_t c = mlc_rt_small_from_double(&sf, v, nosat);
    if (two_bytes(t))
      ((uint16_t *)y)[i] = (uint16_t)c;
    else
      ((uint8_t *)y)[i] = (uint8_t)c;
  }
  }
}

/* v rounded to float type t and back (quant.c's round_to: the narrowing
 * does not saturate) */
__device__ static double round_to(int64_t t, double v) {
  if (t == MLC_DT_DOUBLE) return v;
  if (t == MLC_DT_FLOAT) return (double)(float)v;
  MlcSmallFloat sf = small_float(t);
  return mlc_rt_small_to_double(&sf, mlc_rt_small_from_double(&sf, v, 1));
}

/* one thread per element e = (o, a, i) of [outer, len, inner] */
template <int DEQUANT>
__global__ void quant_k(MlcQuant p, const void *x, const double *scale, const double *zp, void *y) {
  const int64_t n = p.outer * p.len * p.inner;
  const int nosat = (p.nosat & MLC_CAST_NOSAT) != 0;
  GRID_STRIDE(e, n) {
    int64_t i = e % p.inner, a = e / p.inner % p.len, o = e / p.inner / p.len;
    int64_t at = o * p.s_o + a / p.block * p.s_a + i * p.s_i;
    double zb = zp ? zp[at] : 0, v = widen(p.xt, x, e);
    if (DEQUANT) {
      v = (v - zb) * scale[at];
    } else {
      v = round_to(p.divt, v / scale[at]);
      if (p.lo <= p.hi) {
        v = nearbyint(v) + zb;
        v = v < (double)p.lo ? (double)p.lo : v > (double)p.hi ? (double)p.hi : v;
      } else if (zp) {
        /* a float type's zero point (float4e2m1) is added unrounded; none
         * adds nothing, which keeps -0 */
        v += zb;
      }
    }
    narrow(p.yt, v, y, e, nosat);
  }
}

/* dequantize's io slots are quantize's (compiler/ops/quant.c asserts it) */
template <int DEQUANT>
static int quant_run(MlcCuCtx *ctx, const MlcQuant *p, void *const *io) {
  int64_t n = p->outer * p->len * p->inner;
  if (ctx->sizing) return MLC_CU_OK;
  if (!quant_type(p->xt) || !quant_type(p->yt) || p->block < 1 ||
      (!DEQUANT && p->divt != MLC_DT_FLOAT && p->divt != MLC_DT_DOUBLE &&
       p->divt != MLC_DT_FLOAT16 && p->divt != MLC_DT_BFLOAT16))
    return MLC_CU_ERR_PARAMS;
  if (n <= 0) return MLC_CU_OK;
  quant_k<DEQUANT><<<mlc_rtcu_grid(n), MLC_CU_BLOCK, 0, ctx->stream>>>(
      *p, io[MLC_QUANTIZE_X], (const double *)io[MLC_QUANTIZE_SCALE],
      (const double *)io[MLC_QUANTIZE_ZP], io[MLC_QUANTIZE_Y]);
  return mlc_rtcu_launched();
}

int mlc_rtcu_quantize(MlcCuCtx *ctx, const void *params, void *const *io) {
  return quant_run<0>(ctx, (const MlcQuant *)params, io);
}

int mlc_rtcu_dequantize(MlcCuCtx *ctx, const void *params, void *const *io) {
  return quant_run<1>(ctx, (const MlcQuant *)params, io);
}
