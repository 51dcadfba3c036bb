/* mlc runtime: the kernels that mlc-generated code calls. The one header
 * a product includes; it gathers the families' headers (mlc_rt_FAMILY.h,
 * one per family of ops, each beside its runtime/FAMILY*.c) over what they
 * share (mlc_rt_core.h: the calling convention, element types, integer
 * arithmetic, strings, threads).
 *
 * The same kernels are linked into the compiler, so constant folding,
 * `mlc run` and the product run one implementation. The compiler reads the
 * gathered lists below to fill and print any parameter struct and to name
 * any kernel. */
#ifndef MLC_RT_H
#define MLC_RT_H

#include "mlc_rt_elementwise.h"
#include "mlc_rt_data.h"
#include "mlc_rt_nn.h"
#include "mlc_rt_norm.h"
#include "mlc_rt_reduce.h"
#include "mlc_rt_index.h"
#include "mlc_rt_image.h"
#include "mlc_rt_attention.h"
#include "mlc_rt_loss.h"
#include "mlc_rt_signal.h"
#include "mlc_rt_quant.h"
#include "mlc_rt_rnn.h"
#include "mlc_rt_ml.h"
#include "mlc_rt_tfidf.h"
#include "mlc_rt_train.h"
#include "mlc_rt_string.h"

#define MLC_RT_PARAM_STRUCTS(S, I, D, IA, DA)                                 \
  MLC_RT_PARAMS_ELEMENTWISE(S, I, D, IA, DA)                                  \
  MLC_RT_PARAMS_DATA(S, I, D, IA, DA)                                         \
  MLC_RT_PARAMS_NN(S, I, D, IA, DA)                                           \
  MLC_RT_PARAMS_NORM(S, I, D, IA, DA)                                         \
  MLC_RT_PARAMS_REDUCE(S, I, D, IA, DA)                                       \
  MLC_RT_PARAMS_INDEX(S, I, D, IA, DA)                                        \
  MLC_RT_PARAMS_IMAGE(S, I, D, IA, DA)                                        \
  MLC_RT_PARAMS_ATTENTION(S, I, D, IA, DA)                                    \
  MLC_RT_PARAMS_LOSS(S, I, D, IA, DA)                                         \
  MLC_RT_PARAMS_SIGNAL(S, I, D, IA, DA)                                       \
  MLC_RT_PARAMS_QUANT(S, I, D, IA, DA)                                        \
  MLC_RT_PARAMS_RNN(S, I, D, IA, DA)                                          \
  MLC_RT_PARAMS_ML(S, I, D, IA, DA)                                           \
  MLC_RT_PARAMS_TFIDF(S, I, D, IA, DA)                                        \
  MLC_RT_PARAMS_TRAIN(S, I, D, IA, DA)                                        \
  MLC_RT_PARAMS_STRING(S, I, D, IA, DA)
#define MLC_RT_KERNELS(K)                                                     \
  MLC_RT_KERNELS_ELEMENTWISE(K)                                               \
  MLC_RT_KERNELS_DATA(K)                                                      \
  MLC_RT_KERNELS_NN(K)                                                        \
  MLC_RT_KERNELS_NORM(K)                                                      \
  MLC_RT_KERNELS_REDUCE(K)                                                    \
  MLC_RT_KERNELS_INDEX(K)                                                     \
  MLC_RT_KERNELS_IMAGE(K)                                                     \
  MLC_RT_KERNELS_ATTENTION(K)                                                 \
  MLC_RT_KERNELS_LOSS(K)                                                      \
  MLC_RT_KERNELS_SIGNAL(K)                                                    \
  MLC_RT_KERNELS_QUANT(K)                                                     \
  MLC_RT_KERNELS_RNN(K)                                                       \
  MLC_RT_KERNELS_ML(K)                                                        \
  MLC_RT_KERNELS_TFIDF(K)                                                     \
  MLC_RT_KERNELS_TRAIN(K)                                                     \
  MLC_RT_KERNELS_STRING(K)

#endif /* MLC_RT_H */
