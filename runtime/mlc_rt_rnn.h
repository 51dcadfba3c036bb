/* mlc runtime, family rnn. Recurrent ops: RNN, GRU and LSTM cells over a
 * sequence.
 *
 * Parameter structs (S) and kernels (K, io in order: inputs, then
 * outputs); mlc_rt.h gathers every family's lists. */
#ifndef MLC_RT_RNN_H
#define MLC_RT_RNN_H

#include "mlc_rt_core.h"
#include "mlc_rt_nn.h"

#define MLC_RT_PARAMS_RNN(S, I, D, IA, DA)                                    \
  /* RNN, GRU, LSTM (cell: MLC_RNN_CELL_*) over seq steps of batch rows of    \
     input values, hidden units, ndir directions (reverse: the one runs       \
     backwards). layout 1: X and Y batch-major. act: MLC_RNN_* of each        \
     direction's functions (f; f, g; f, g, h) with their alpha, beta.         \
     clip > 0 clamps pre-activations. has_h0/has_c0: the lowering copied      \
     the initial states into the scratch (else zeros); lbr: GRU's             \
     linear_before_reset */                                                   \
  S(MlcRnn, I(cell) I(seq) I(batch) I(input) I(hidden) I(ndir) I(reverse)     \
            I(layout) I(has_b) I(has_p) I(has_h0) I(has_c0) D(clip)           \
            I(input_forget) I(lbr) IA(act, 6) DA(alpha, 6) DA(beta, 6))

#define MLC_RT_KERNELS_RNN(K)                                                 \
  /* scratch: mlc_rt_rnn_scratch() floats; lens int32 */                      \
  K(rnn_f32, MlcRnn)           /* io: x, w, r, b|NULL, lens|NULL, p|NULL,     \
                                  y|NULL, scratch */

#ifdef __cplusplus
extern "C" {
#endif

MLC_RT_DECLARE(MLC_RT_PARAMS_RNN, MLC_RT_KERNELS_RNN)

/* io slots: where each kernel finds its tensors in io[] (the lowering
 * fills them by these names, the kernel reads them by these names) */
/* rnn_f32 */
enum { MLC_RNN_X, MLC_RNN_W, MLC_RNN_R, MLC_RNN_B, MLC_RNN_LENS, MLC_RNN_P,
       MLC_RNN_Y, MLC_RNN_SCRATCH, MLC_RNN_NIO };

/* rnn_f32: the state first (h as [ndir, batch, hidden], then c for LSTM),
 * where the lowering puts the initial states and finds the final ones;
 * then the input projection, the gates, one row of hidden values per batch
 * row and the GEMM's scratch */
enum { MLC_RNN_CELL_RNN, MLC_RNN_CELL_GRU, MLC_RNN_CELL_LSTM };
enum { MLC_RNN_RELU, MLC_RNN_TANH, MLC_RNN_SIGMOID, MLC_RNN_AFFINE,
       MLC_RNN_LEAKYRELU, MLC_RNN_THRESHOLDEDRELU, MLC_RNN_SCALEDTANH,
       MLC_RNN_HARDSIGMOID, MLC_RNN_ELU, MLC_RNN_SOFTSIGN, MLC_RNN_SOFTPLUS };
static inline int64_t mlc_rt_rnn_scratch(const MlcRnn *p) {
  int64_t lstm = p->cell == MLC_RNN_CELL_LSTM;
  int64_t gh = (lstm ? 4 : p->cell == MLC_RNN_CELL_GRU ? 3 : 1) * p->hidden;
  int64_t rows = p->seq * p->batch;
  int64_t g1 = mlc_rt_gemm_scratch(rows, gh, p->input);
  int64_t g2 = mlc_rt_gemm_scratch(p->batch, gh, p->hidden);
  return (1 + lstm) * p->ndir * p->batch * p->hidden + rows * gh +
         p->batch * (gh + p->hidden) + (g1 > g2 ? g1 : g2);
}

#ifdef __cplusplus
}
#endif
#endif /* MLC_RT_RNN_H */
