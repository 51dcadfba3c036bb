/* mlc runtime, family loss. The losses: NegativeLogLikelihoodLoss
 * (SoftmaxCrossEntropyLoss runs it after a LogSoftmax).
 *
 * Parameter structs (S) and kernels (K, io in order: inputs, then
 * outputs); mlc_rt.h gathers every family's lists. */
#ifndef MLC_RT_LOSS_H
#define MLC_RT_LOSS_H

#include "mlc_rt_core.h"

#define MLC_RT_PARAMS_LOSS(S, I, D, IA, DA)                                   \
  /* NegativeLogLikelihoodLoss of x [n, c, inner] at targets [n, inner]       \
     (int64, or int32 when idx_bits is 32); reduction 0 none, 1 sum, 2        \
     mean. Ignored and out-of-range targets count zero with weight zero */    \
  S(MlcNll, I(n) I(c) I(inner) I(idx_bits) I(has_ignore) I(ignore)            \
            I(reduction))

#define MLC_RT_KERNELS_LOSS(K)                                                \
  K(nll_f32, MlcNll)           /* io: x, target, weight|NULL, y */

#ifdef __cplusplus
extern "C" {
#endif

MLC_RT_DECLARE(MLC_RT_PARAMS_LOSS, MLC_RT_KERNELS_LOSS)

/* io slots: where each kernel finds its tensors in io[] (the lowering
 * fills them by these names, the kernel reads them by these names) */
/* nll_f32 */
enum { MLC_NLL_X, MLC_NLL_TARGET, MLC_NLL_WEIGHT, MLC_NLL_Y, MLC_NLL_NIO };

#ifdef __cplusplus
}
#endif
#endif /* MLC_RT_LOSS_H */
