/* mlc runtime, family reduce. Reductions and ArgMax/ArgMin.
 *
 * Parameter structs (S) and kernels (K, io in order: inputs, then
 * outputs); mlc_rt.h gathers every family's lists. */
#ifndef MLC_RT_REDUCE_H
#define MLC_RT_REDUCE_H

#include "mlc_rt_core.h"

#define MLC_RT_PARAMS_REDUCE(S, I, D, IA, DA)                                 \
  /* reduce over the axes flagged in `axes` of an input of dims `dims`;       \
     kind: MLC_RED_* */                                                       \
  S(MlcReduce, I(rank) IA(dims, MLC_RT_MAX_RANK)                              \
               IA(axes, MLC_RT_MAX_RANK) I(kind))                             \
  /* ArgMax / ArgMin over the middle dim of [outer, len, inner] */            \
  S(MlcArg, I(outer) I(len) I(inner) I(select_last) I(is_min))

#define MLC_RT_KERNELS_REDUCE(K)                                              \
  K(reduce_f32, MlcReduce)     /* io: x, y */                                 \
  K(reduce_f64, MlcReduce)     /* io: x, y */                                 \
  K(reduce_i32, MlcReduce)     /* io: x, y */                                 \
  K(reduce_i64, MlcReduce)     /* io: x, y */                                 \
  K(reduce_u8, MlcReduce)      /* io: x, y (uint8 and bool) */                \
  K(argmax_f32, MlcArg)        /* io: x, y (int64); ArgMin too */             \
  K(argmax_f64, MlcArg)        /* io: x, y (int64) */                         \
  K(argmax_i32, MlcArg)        /* io: x, y (int64) */                         \
  K(argmax_i64, MlcArg)        /* io: x, y (int64) */                         \
  K(argmax_u8, MlcArg)         /* io: x, y (int64) */

#ifdef __cplusplus
extern "C" {
#endif

MLC_RT_DECLARE(MLC_RT_PARAMS_REDUCE, MLC_RT_KERNELS_REDUCE)

/* io slots: where each kernel finds its tensors in io[] (the lowering
 * fills them by these names, the kernel reads them by these names) */
/* reduce_f32, reduce_f64, reduce_i32, reduce_i64, reduce_u8 */
enum { MLC_REDUCE_X, MLC_REDUCE_Y, MLC_REDUCE_NIO };
/* argmax_f32, argmax_f64, argmax_i32, argmax_i64, argmax_u8 */
enum { MLC_ARGMAX_X, MLC_ARGMAX_Y, MLC_ARGMAX_NIO };

enum { MLC_RED_SUM, MLC_RED_MEAN, MLC_RED_MAX, MLC_RED_MIN, MLC_RED_PROD,
       MLC_RED_L1, MLC_RED_L2, MLC_RED_LOGSUM, MLC_RED_LOGSUMEXP,
       MLC_RED_SUMSQUARE };

#ifdef __cplusplus
}
#endif
#endif /* MLC_RT_REDUCE_H */
