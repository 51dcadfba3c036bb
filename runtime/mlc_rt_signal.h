/* mlc runtime, family signal. Fourier transforms.
 *
 * Parameter structs (S) and kernels (K, io in order: inputs, then
 * outputs); mlc_rt.h gathers every family's lists. */
#ifndef MLC_RT_SIGNAL_H
#define MLC_RT_SIGNAL_H

#include "mlc_rt_core.h"

#define MLC_RT_PARAMS_SIGNAL(S, I, D, IA, DA)                                 \
  /* DFT of na x nb lines: line (a, b) reads len values (in_c 1 real, 2       \
     complex) from x at a * x_ls[0] + b * x_ls[1], x_es apart, times the      \
     window if given, zero-padded or cut to n; writes out_len values          \
     (out_c 1: real parts) to y likewise. onesided inverse: the input is      \
     the first half of a hermitian spectrum */                                \
  S(MlcDft, I(na) I(nb) IA(x_ls, 2) I(x_es) IA(y_ls, 2) I(y_es) I(len)        \
            I(in_c) I(n) I(out_len) I(out_c) I(inverse) I(onesided))

#define MLC_RT_KERNELS_SIGNAL(K)                                              \
  K(dft_f32, MlcDft)           /* io: x, window|NULL, y, scratch (4 * n       \
                                  double) */

#ifdef __cplusplus
extern "C" {
#endif

MLC_RT_DECLARE(MLC_RT_PARAMS_SIGNAL, MLC_RT_KERNELS_SIGNAL)

/* io slots: where each kernel finds its tensors in io[] (the lowering
 * fills them by these names, the kernel reads them by these names) */
/* dft_f32 */
enum { MLC_DFT_X, MLC_DFT_WINDOW, MLC_DFT_Y, MLC_DFT_SCRATCH, MLC_DFT_NIO };

#ifdef __cplusplus
}
#endif
#endif /* MLC_RT_SIGNAL_H */
