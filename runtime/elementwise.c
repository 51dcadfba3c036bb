/* Broadcasting loops around the scalar functions of mlc_rt.h, one kernel per
 * function. The interpreter runs these; generated code inlines the scalar
 * functions into its own (fused) loops instead. */
#include "mlc_rt.h"

/* Walks the output in row-major order, keeping one input offset per operand
 * (strides are 0 along broadcast dims). */
#define EW_LOOP(NIN, BODY)                      \
  const MlcEw *p = (const MlcEw *)params;       \
  int64_t idx[MLC_RT_MAX_RANK] = {0};           \
  int64_t o0 = 0, o1 = 0, o2 = 0;               \
  int r = (int)p->rank;                         \
  (void)o1;                                     \
  (void)o2;                                     \
  for (int64_t i = 0; i < p->count; i++) {      \
    BODY;                                       \
    for (int d = r - 1; d >= 0; d--) {          \
      o0 += p->s0[d];                           \
      if (NIN > 1) o1 += p->s1[d];              \
      if (NIN > 2) o2 += p->s2[d];              \
      if (++idx[d] < p->dims[d]) break;         \
      o0 -= p->s0[d] * p->dims[d];              \
      if (NIN > 1) o1 -= p->s1[d] * p->dims[d]; \
      if (NIN > 2) o2 -= p->s2[d] * p->dims[d]; \
      idx[d] = 0;                               \
    }                                           \
  }

/* io: the inputs, then the output (MLC_EW1_*, MLC_EW2_*, MLC_EW3_* by arity) */
#define K_U(name, sfx, T, R, expr)                                     \
  void mlc_rt_ew_##name##_##sfx(const void *params, void *const *io) { \
    const T *a = (const T *)io[MLC_EW1_A];                             \
    R *y = (R *)io[MLC_EW1_Y];                                         \
    EW_LOOP(1, y[i] = mlc_##name##_##sfx(a[o0]))                       \
  }
#define K_P(name, sfx, T, R, expr)                                     \
  void mlc_rt_ew_##name##_##sfx(const void *params, void *const *io) { \
    const T *a = (const T *)io[MLC_EW1_A];                             \
    R *y = (R *)io[MLC_EW1_Y];                                         \
    EW_LOOP(1, y[i] = mlc_##name##_##sfx(a[o0], p->p0, p->p1))         \
  }
#define K_B(name, sfx, T, R, expr)                                        \
  void mlc_rt_ew_##name##_##sfx(const void *params, void *const *io) {    \
    const T *a = (const T *)io[MLC_EW2_A], *b = (const T *)io[MLC_EW2_B]; \
    R *y = (R *)io[MLC_EW2_Y];                                            \
    EW_LOOP(2, y[i] = mlc_##name##_##sfx(a[o0], b[o1]))                   \
  }
#define K_W(name, sfx, C, T, expr)                                        \
  void mlc_rt_ew_##name##_##sfx(const void *params, void *const *io) {    \
    const C *c = (const C *)io[MLC_EW3_C];                                \
    const T *a = (const T *)io[MLC_EW3_A], *b = (const T *)io[MLC_EW3_B]; \
    T *y = (T *)io[MLC_EW3_Y];                                            \
    EW_LOOP(3, y[i] = mlc_##name##_##sfx(c[o0], a[o1], b[o2]))            \
  }

MLC_RT_EW(K_U, K_P, K_B, K_W)
