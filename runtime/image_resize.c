/* Resize (and Upsample): one axis at a time.
 *
 * Every interpolation Resize offers (nearest, linear, cubic, with or without
 * antialiasing, any coordinate transformation, exclude_outside, edge
 * clamping) is separable: along one axis, output position l is a weighted
 * sum of a few input positions, the same for every row of the other axes.
 * The compiler works the taps and weights of each output position out once,
 * in double, into two constant tables, so this kernel is only a gather and a
 * weighted sum over [outer, len, inner] and knows nothing of modes. A
 * multi-axis resize is one call per resized axis; the compiler keeps the
 * intermediates in double, as the reference interpolates in float64 and
 * rounds once at the end.
 *
 * The tables come from the compiler, which clamps every index into
 * [0, in_len); the kernel trusts them. An output position whose first index
 * is -1 lies outside tf_crop_and_resize's region and takes extrap.
 */
#include "mlc_rt.h"

/* the sums are mlc_rt_resize_sum_* (mlc_rt_image.h), which the CUDA kernel
 * calls too */
#define RESIZE_AXIS(name, TI, TO, SUM)                                                            \
  static void name(const MlcResize *p, const TI *x, const int64_t *idx, const double *w, TO *y) { \
    const int64_t taps = p->taps, inner = p->inner;                                               \
    for (int64_t o = 0; o < p->outer; o++) {                                                      \
      const TI *xo = x + o * p->in_len * inner;                                                   \
      TO *yo = y + o * p->out_len * inner;                                                        \
      if (taps == 1 && inner == 1) { /* nearest along the last axis */                            \
        for (int64_t l = 0; l < p->out_len; l++)                                                  \
          yo[l] = idx[l] < 0 ? (TO)p->extrap : (TO)SUM(xo, idx + l, w + l, 1, 1);                 \
        continue;                                                                                 \
      }                                                                                           \
      for (int64_t l = 0; l < p->out_len; l++) {                                                  \
        const int64_t *il = idx + l * taps;                                                       \
        const double *wl = w + l * taps;                                                          \
        TO *yr = yo + l * inner;                                                                  \
        if (il[0] < 0) {                                                                          \
          for (int64_t i = 0; i < inner; i++) yr[i] = (TO)p->extrap;                              \
          continue;                                                                               \
        }                                                                                         \
        for (int64_t i = 0; i < inner; i++) yr[i] = (TO)SUM(xo + i, il, wl, taps, inner);         \
      }                                                                                           \
    }                                                                                             \
  }

RESIZE_AXIS(resize_ff, float, float, mlc_rt_resize_sum_f32)
RESIZE_AXIS(resize_fd, float, double, mlc_rt_resize_sum_f32)
RESIZE_AXIS(resize_dd, double, double, mlc_rt_resize_sum_f64)
RESIZE_AXIS(resize_df, double, float, mlc_rt_resize_sum_f64)

void mlc_rt_resize(const void *params, void *const *io) {
  const MlcResize *p = (const MlcResize *)params;
  const int64_t *idx = (const int64_t *)io[MLC_RESIZE_IDX];
  const double *w = (const double *)io[MLC_RESIZE_W];
  if (p->in_f64 && p->out_f64)
    resize_dd(p, (const double *)io[MLC_RESIZE_X], idx, w, (double *)io[MLC_RESIZE_Y]);
  else if (p->in_f64)
    resize_df(p, (const double *)io[MLC_RESIZE_X], idx, w, (float *)io[MLC_RESIZE_Y]);
  else if (p->out_f64)
    resize_fd(p, (const float *)io[MLC_RESIZE_X], idx, w, (double *)io[MLC_RESIZE_Y]);
  else
    resize_ff(p, (const float *)io[MLC_RESIZE_X], idx, w, (float *)io[MLC_RESIZE_Y]);
}
