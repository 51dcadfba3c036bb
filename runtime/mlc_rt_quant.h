/* mlc runtime, family quant. Quantization: (de)quantizing, integer products,
 * requantization.
 *
 * Parameter structs (S) and kernels (K, io in order: inputs, then
 * outputs); mlc_rt.h gathers every family's lists. */
#ifndef MLC_RT_QUANT_H
#define MLC_RT_QUANT_H

#include "mlc_rt_core.h"

#define MLC_RT_PARAMS_QUANT(S, I, D, IA, DA)                                  \
  /* Quantize/DequantizeLinear of x viewed as [outer, len, inner]: the        \
     scale and zero point (double) of element (o, a, i) are at o * s_o +      \
     (a / block) * s_a + i * s_i. xt, yt: MLC_DT_* of x and y. Quantize       \
     rounds x / scale to type divt, then to an integer saturated to           \
     [lo, hi] (lo > hi: a float y, cast with nosat) */                        \
  S(MlcQuant, I(outer) I(len) I(inner) I(block) I(s_o) I(s_a) I(s_i)          \
              I(xt) I(yt) I(divt) I(lo) I(hi) I(nosat))                       \
  S(MlcDynQuant, I(count))                                                    \
  /* integer MatMul of int8/uint8 (at, bt) into int32, batches as             \
     MlcMatMul; azp 1: one zero point per row of A (else one); bzp 1: one     \
     per column, 2: one per column of each batch of B */                      \
  S(MlcQMatMul, I(m) I(n) I(k) I(brank) IA(bdims, MLC_RT_MAX_RANK)            \
                IA(a_bs, MLC_RT_MAX_RANK) IA(b_bs, MLC_RT_MAX_RANK) I(at)     \
                I(bt) I(azp) I(bzp))                                          \
  /* integer Conv into int32, geometry as MlcConv; wzp 1: one weight zero     \
     point per output channel */                                              \
  S(MlcQConv, I(n) I(c) I(m) I(group) I(nsp) IA(in_sp, MLC_RT_MAX_SP)         \
              IA(out_sp, MLC_RT_MAX_SP) IA(k, MLC_RT_MAX_SP)                  \
              IA(stride, MLC_RT_MAX_SP) IA(dil, MLC_RT_MAX_SP)                \
              IA(pad_begin, MLC_RT_MAX_SP) I(xt) I(wt) I(wzp))                \
  /* int32 acc [outer, len, inner] to yt: rint(acc * f + zp) saturated to     \
     [lo, hi], f = s1 * s2[l] / s3 (s2 per l when s2_per), rounded to type    \
     st after each step as the scales' own arithmetic would */                \
  S(MlcRequant, I(outer) I(len) I(inner) I(s2_per) I(st) I(yt) I(lo) I(hi))

#define MLC_RT_KERNELS_QUANT(K)                                               \
  K(quantize, MlcQuant)        /* io: x, scale, zp|NULL (double), y */        \
  K(dequantize, MlcQuant)      /* io: x, scale, zp|NULL (double), y */        \
  K(dynquant_f32, MlcDynQuant) /* io: x, y (uint8), scale, zp (uint8) */      \
  K(qmatmul, MlcQMatMul)       /* io: a, b, azp|NULL, bzp|NULL, y (int32) */  \
  K(qconv, MlcQConv)           /* io: x, w, xzp|NULL, wzp|NULL,               \
                                  bias|NULL (int32), y (int32) */             \
  K(requant, MlcRequant)       /* io: acc (int32), s1, s2, s3 (float),        \
                                  zp|NULL (yt), y */

#ifdef __cplusplus
extern "C" {
#endif

MLC_RT_DECLARE(MLC_RT_PARAMS_QUANT, MLC_RT_KERNELS_QUANT)

/* io slots: where each kernel finds its tensors in io[] (the lowering
 * fills them by these names, the kernel reads them by these names) */
/* quantize */
enum { MLC_QUANTIZE_X, MLC_QUANTIZE_SCALE, MLC_QUANTIZE_ZP, MLC_QUANTIZE_Y,
       MLC_QUANTIZE_NIO };
/* dequantize */
enum { MLC_DEQUANTIZE_X, MLC_DEQUANTIZE_SCALE, MLC_DEQUANTIZE_ZP,
       MLC_DEQUANTIZE_Y, MLC_DEQUANTIZE_NIO };
/* dynquant_f32 */
enum { MLC_DYNQUANT_X, MLC_DYNQUANT_Y, MLC_DYNQUANT_SCALE, MLC_DYNQUANT_ZP,
       MLC_DYNQUANT_NIO };
/* qmatmul */
enum { MLC_QMATMUL_A, MLC_QMATMUL_B, MLC_QMATMUL_AZP, MLC_QMATMUL_BZP,
       MLC_QMATMUL_Y, MLC_QMATMUL_NIO };
/* qconv */
enum { MLC_QCONV_X, MLC_QCONV_W, MLC_QCONV_XZP, MLC_QCONV_WZP,
       MLC_QCONV_BIAS, MLC_QCONV_Y, MLC_QCONV_NIO };
/* requant */
enum { MLC_REQUANT_ACC, MLC_REQUANT_S1, MLC_REQUANT_S2, MLC_REQUANT_S3,
       MLC_REQUANT_ZP, MLC_REQUANT_Y, MLC_REQUANT_NIO };

#ifdef __cplusplus
}
#endif
#endif /* MLC_RT_QUANT_H */
