/* Normalizations over rows: the row normalization behind
 * GroupNormalization, InstanceNormalization and RMSNormalization,
 * LpNormalization and LRN.
 *
 * Statistics accumulate in double, as in norm.c: rows can be long, and a
 * float sum drifts. The per-channel scale and bias of the row normalization
 * are found by a running index rather than a division per element: the
 * lowering describes any of the three ops' layouts as "the scale index
 * advances every sdiv elements, modulo smod".
 */
#include <math.h>

#include "mlc_rt.h"

void mlc_rt_rownorm_f32(const void *params, void *const *io) {
  const MlcRowNorm *p = (const MlcRowNorm *)params;
  const float *x = (const float *)io[MLC_ROWNORM_X];
  const float *scale = (const float *)io[MLC_ROWNORM_SCALE];
  const float *bias = (const float *)io[MLC_ROWNORM_BIAS];
  float *y = (float *)io[MLC_ROWNORM_Y];
  int64_t r, j;
  for (r = 0; r < p->rows; r++) {
    const float *xr = x + r * p->len;
    float *yr = y + r * p->len;
    double mean = 0, ss = 0, inv;
    int64_t e0 = r * p->len, rem = e0 % p->sdiv, s = e0 / p->sdiv % p->smod;
    if (p->center) {
      for (j = 0; j < p->len; j++) mean += xr[j];
      mean = p->len ? mean / (double)p->len : 0;
    }
    for (j = 0; j < p->len; j++) {
      double d = xr[j] - mean;
      ss += d * d;
    }
    inv = 1 / sqrt((p->len ? ss / (double)p->len : 0) + p->eps);
    for (j = 0; j < p->len; j++) {
      float v = (float)((xr[j] - mean) * inv);
      if (scale) v *= scale[s];
      if (bias) v += bias[s];
      yr[j] = v;
      if (++rem == p->sdiv) {
        rem = 0;
        if (++s == p->smod) s = 0;
      }
    }
  }
}

void mlc_rt_lpnorm_f32(const void *params, void *const *io) {
  const MlcLpNorm *p = (const MlcLpNorm *)params;
  const float *x = (const float *)io[MLC_LPNORM_X];
  float *y = (float *)io[MLC_LPNORM_Y];
  int64_t o, i, l, st = p->inner;
  for (o = 0; o < p->outer; o++)
    for (i = 0; i < p->inner; i++) {
      const float *xr = x + o * p->len * st + i;
      float *yr = y + o * p->len * st + i;
      double norm = 0;
      float inv;
      for (l = 0; l < p->len; l++)
        norm += p->p == 1 ? fabs(xr[l * st]) : (double)xr[l * st] * xr[l * st];
      if (p->p != 1) norm = sqrt(norm);
      inv = norm == 0 ? 0.0f : (float)(1 / norm);
      for (l = 0; l < p->len; l++) yr[l * st] = xr[l * st] * inv;
    }
}

/* the window of channel c is [c - (size - 1) / 2, c + size / 2], cut to the
 * channels that exist */
void mlc_rt_lrn_f32(const void *params, void *const *io) {
  const MlcLrn *p = (const MlcLrn *)params;
  const float *x = (const float *)io[MLC_LRN_X];
  float *y = (float *)io[MLC_LRN_Y];
  int64_t n, c, i, k, st = p->inner;
  double a = p->alpha / (double)p->size;
  for (n = 0; n < p->n; n++)
    for (c = 0; c < p->c; c++) {
      int64_t lo = c - (p->size - 1) / 2, hi = c + p->size / 2;
      const float *xn = x + n * p->c * st;
      if (lo < 0) lo = 0;
      if (hi > p->c - 1) hi = p->c - 1;
      for (i = 0; i < st; i++) {
        double sq = 0;
        for (k = lo; k <= hi; k++) sq += (double)xn[k * st + i] * xn[k * st + i];
        y[(n * p->c + c) * st + i] = (float)(xn[c * st + i] / pow(p->bias + a * sq, p->beta));
      }
    }
}
