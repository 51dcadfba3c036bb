/* mlc runtime, family norm. Normalizations: BatchNormalization (inference
 * and training), LayerNorm, Softmax (norm.c); the row normalization behind
 * Group/Instance/RMS normalization, LpNormalization and LRN (norm_row.c).
 *
 * Parameter structs (S) and kernels (K, io in order: inputs, then
 * outputs); mlc_rt.h gathers every family's lists. */
#ifndef MLC_RT_NORM_H
#define MLC_RT_NORM_H

#include "mlc_rt_core.h"

#define MLC_RT_PARAMS_NORM(S, I, D, IA, DA)                                   \
  /* inference BatchNormalization over [n, c, inner] */                       \
  S(MlcBatchNorm, I(n) I(c) I(inner) D(eps))                                  \
  /* LayerNormalization: normalize each of outer rows of length inner */      \
  S(MlcLayerNorm, I(outer) I(inner) D(eps) I(has_bias))                       \
  /* Softmax / LogSoftmax over the middle dim of [outer, len, inner] */       \
  S(MlcSoftmax, I(outer) I(len) I(inner) I(log))                              \
  /* normalizes rows of len values: y = (x - mean) / sqrt(var + eps), or      \
     with center 0 (RMS) y = x / sqrt(mean(x^2) + eps); then times            \
     scale[s] plus bias[s] where the flat element e = row * len + j has       \
     s = (e / sdiv) % smod */                                                 \
  S(MlcRowNorm, I(rows) I(len) D(eps) I(center) I(sdiv) I(smod))              \
  /* LpNormalization (p 1 or 2) over the middle dim of [outer, len, inner];   \
     a zero norm gives zeros */                                               \
  S(MlcLpNorm, I(outer) I(len) I(inner) I(p))                                 \
  /* LRN across the c channels of [n, c, inner] */                            \
  S(MlcLrn, I(n) I(c) I(inner) I(size) D(alpha) D(beta) D(bias))              \
  /* BatchNormalization over [n, c, inner] normalized by the batch's own      \
     mean and (population) variance; stats [4, c]: running mean and           \
     variance (input * momentum + batch * (1 - momentum)), batch mean,        \
     batch 1 / sqrt(var + eps) */                                             \
  S(MlcBnTrain, I(n) I(c) I(inner) D(eps) D(momentum))

#define MLC_RT_KERNELS_NORM(K)                                                \
  K(batchnorm_f32, MlcBatchNorm) /* io: x, scale, bias, mean, var, y */       \
  /* mean, invstd: float, one per row */                                      \
  K(layernorm_f32, MlcLayerNorm) /* io: x, scale, bias|NULL, y,               \
                                    mean|NULL, invstd|NULL */                 \
  K(softmax_f32, MlcSoftmax)   /* io: x, y */                                 \
  K(softmax_f64, MlcSoftmax)   /* io: x, y */                                 \
  K(rownorm_f32, MlcRowNorm)   /* io: x, scale|NULL, bias|NULL, y */          \
  K(lpnorm_f32, MlcLpNorm)     /* io: x, y */                                 \
  K(lrn_f32, MlcLrn)           /* io: x, y */                                 \
  K(batchnorm_train_f32, MlcBnTrain) /* io: x, scale, bias, mean, var, y,     \
                                        stats (float [4, c]) */

#ifdef __cplusplus
extern "C" {
#endif

MLC_RT_DECLARE(MLC_RT_PARAMS_NORM, MLC_RT_KERNELS_NORM)

/* io slots: where each kernel finds its tensors in io[] (the lowering
 * fills them by these names, the kernel reads them by these names) */
/* batchnorm_f32 */
enum { MLC_BATCHNORM_X, MLC_BATCHNORM_SCALE, MLC_BATCHNORM_BIAS,
       MLC_BATCHNORM_MEAN, MLC_BATCHNORM_VAR, MLC_BATCHNORM_Y,
       MLC_BATCHNORM_NIO };
/* layernorm_f32 */
enum { MLC_LAYERNORM_X, MLC_LAYERNORM_SCALE, MLC_LAYERNORM_BIAS,
       MLC_LAYERNORM_Y, MLC_LAYERNORM_MEAN, MLC_LAYERNORM_INVSTD,
       MLC_LAYERNORM_NIO };
/* softmax_f32, softmax_f64 */
enum { MLC_SOFTMAX_X, MLC_SOFTMAX_Y, MLC_SOFTMAX_NIO };
/* rownorm_f32 */
enum { MLC_ROWNORM_X, MLC_ROWNORM_SCALE, MLC_ROWNORM_BIAS, MLC_ROWNORM_Y,
       MLC_ROWNORM_NIO };
/* lpnorm_f32 */
enum { MLC_LPNORM_X, MLC_LPNORM_Y, MLC_LPNORM_NIO };
/* lrn_f32 */
enum { MLC_LRN_X, MLC_LRN_Y, MLC_LRN_NIO };
/* batchnorm_train_f32 */
enum { MLC_BATCHNORM_TRAIN_X, MLC_BATCHNORM_TRAIN_SCALE,
       MLC_BATCHNORM_TRAIN_BIAS, MLC_BATCHNORM_TRAIN_MEAN,
       MLC_BATCHNORM_TRAIN_VAR, MLC_BATCHNORM_TRAIN_Y,
       MLC_BATCHNORM_TRAIN_STATS, MLC_BATCHNORM_TRAIN_NIO };

#ifdef __cplusplus
}
#endif
#endif /* MLC_RT_NORM_H */
