/* mlc runtime, family train. Training: the optimizer steps of
 * ai.onnx.preview.training.
 *
 * Parameter structs (S) and kernels (K, io in order: inputs, then
 * outputs); mlc_rt.h gathers every family's lists. */
#ifndef MLC_RT_TRAIN_H
#define MLC_RT_TRAIN_H

#include "mlc_rt_core.h"

#define MLC_RT_PARAMS_TRAIN(S, I, D, IA, DA)                                  \
  /* an optimizer step's scalars (kind: MLC_OPTIM_*) from the learning        \
     rate R (double if r_f64, else float) and the update count T: rate[0]     \
     the step size, rate[1] the gradient's weight in the first moment */      \
  S(MlcOptimRate, I(kind) I(r_f64) D(alpha) D(beta) D(decay))                 \
  /* one optimizer step over count elements of X with gradient G and          \
     state s1 (Adagrad H; Adam, Momentum V) and s2 (Adam H); norm: L2         \
     regularization, post: Adam's post-update decay */                        \
  S(MlcOptim, I(count) I(kind) D(alpha) D(beta) D(eps) D(norm) D(post))

#define MLC_RT_KERNELS_TRAIN(K)                                               \
  K(optim_rate, MlcOptimRate)  /* io: r, t (int64), rate (double [2]) */      \
  /* outputs may be NULL; each may be its input's buffer */                   \
  K(optim_f32, MlcOptim)       /* io: rate, x, g, s1, s2|NULL, x_new,         \
                                  s1_new, s2_new */                           \
  K(optim_f64, MlcOptim)       /* io: rate, x, g, s1, s2|NULL, x_new,         \
                                  s1_new, s2_new */

#ifdef __cplusplus
extern "C" {
#endif

MLC_RT_DECLARE(MLC_RT_PARAMS_TRAIN, MLC_RT_KERNELS_TRAIN)

/* io slots: where each kernel finds its tensors in io[] (the lowering
 * fills them by these names, the kernel reads them by these names) */
/* optim_rate */
enum { MLC_OPTIM_RATE_R, MLC_OPTIM_RATE_T, MLC_OPTIM_RATE_RATE,
       MLC_OPTIM_RATE_NIO };
/* optim_f32, optim_f64 */
enum { MLC_OPTIM_RATE, MLC_OPTIM_X, MLC_OPTIM_G, MLC_OPTIM_S1, MLC_OPTIM_S2,
       MLC_OPTIM_X_NEW, MLC_OPTIM_S1_NEW, MLC_OPTIM_S2_NEW, MLC_OPTIM_NIO };

enum { MLC_OPTIM_ADAGRAD, MLC_OPTIM_ADAM, MLC_OPTIM_MOMENTUM, MLC_OPTIM_NESTEROV };

#ifdef __cplusplus
}
#endif
#endif /* MLC_RT_TRAIN_H */
