/* Normalizations: BatchNormalization (inference, and training mode with
 * batch statistics), LayerNormalization, and Softmax / LogSoftmax.
 *
 * Statistics accumulate in double: LayerNorm rows can be long and Softmax
 * sums many small terms, and a float sum would drift from the references by
 * more than the tolerance real models are checked with. Softmax subtracts the
 * row maximum before exponentiating, so large logits cannot overflow. The
 * axis being normalized is the middle dim of [outer, len, inner]: when inner
 * is 1 (the last axis, by far the common case) rows are contiguous.
 *
 * Contiguous float rows go LANES elements at a time into per-lane partial
 * results (one accumulator would be a chain of dependent additions the
 * compiler may not reorder), through restrict-qualified pointers, so that
 * the loops vectorize at -O2; exp is the runtime's own, which vectorizes.
 */
#include <math.h>

#include "mlc_rt.h"
#include "parallel.h"

#define LANES 16

/* y = x * s + t over channel ch of [n, c, inner], s and t from the
 * channel's statistics, rounded to float as pass_bnfold rounds them */
static void bn_channel(int64_t n, int64_t c, int64_t inner, int64_t ch, float scale, float bias,
                       double mean, double var, double eps, const float *x, float *y) {
  float s = (float)(scale / sqrt(var + eps));
  float t = bias - (float)mean * s;
  for (int64_t b = 0; b < n; b++) {
    const float *xr = x + (b * c + ch) * inner;
    float *yr = y + (b * c + ch) * inner;
    for (int64_t i = 0; i < inner; i++) yr[i] = xr[i] * s + t;
  }
}

void mlc_rt_batchnorm_f32(const void *params, void *const *io) {
  const MlcBatchNorm *p = (const MlcBatchNorm *)params;
  const float *x = (const float *)io[MLC_BATCHNORM_X];
  const float *scale = (const float *)io[MLC_BATCHNORM_SCALE];
  const float *bias = (const float *)io[MLC_BATCHNORM_BIAS];
  const float *mean = (const float *)io[MLC_BATCHNORM_MEAN];
  const float *var = (const float *)io[MLC_BATCHNORM_VAR];
  float *y = (float *)io[MLC_BATCHNORM_Y];
  for (int64_t c = 0; c < p->c; c++)
    bn_channel(p->n, p->c, p->inner, c, scale[c], bias[c], mean[c], var[c], p->eps, x, y);
}

/* Training mode: each channel's mean and population variance over the
 * batch and the inner dims (two passes, in double, so a large mean does not
 * cancel the variance away), which both normalize y and update the running
 * statistics. An empty batch counts as mean 0 and variance 0, not NaN. */
void mlc_rt_batchnorm_train_f32(const void *params, void *const *io) {
  const MlcBnTrain *p = (const MlcBnTrain *)params;
  const float *x = (const float *)io[MLC_BATCHNORM_TRAIN_X];
  const float *scale = (const float *)io[MLC_BATCHNORM_TRAIN_SCALE];
  const float *bias = (const float *)io[MLC_BATCHNORM_TRAIN_BIAS];
  const float *mean = (const float *)io[MLC_BATCHNORM_TRAIN_MEAN];
  const float *var = (const float *)io[MLC_BATCHNORM_TRAIN_VAR];
  float *y = (float *)io[MLC_BATCHNORM_TRAIN_Y], *stats = (float *)io[MLC_BATCHNORM_TRAIN_STATS];
  double count = (double)(p->n * p->inner);
  for (int64_t c = 0; c < p->c; c++) {
    double s = 0, ss = 0;
    for (int64_t b = 0; b < p->n; b++)
      for (int64_t i = 0; i < p->inner; i++) s += x[(b * p->c + c) * p->inner + i];
    double m = count > 0 ? s / count : 0;
    for (int64_t b = 0; b < p->n; b++)
      for (int64_t i = 0; i < p->inner; i++) {
        double d = x[(b * p->c + c) * p->inner + i] - m;
        ss += d * d;
      }
    double v = count > 0 ? ss / count : 0;
    stats[c] = (float)(mean[c] * p->momentum + m * (1 - p->momentum));
    stats[p->c + c] = (float)(var[c] * p->momentum + v * (1 - p->momentum));
    stats[2 * p->c + c] = (float)m;
    stats[3 * p->c + c] = (float)(1 / sqrt(v + p->eps));
    bn_channel(p->n, p->c, p->inner, c, scale[c], bias[c], m, v, p->eps, x, y);
  }
}

/* Mean and 1 / sqrt(variance + eps) of a row, in one pass: the sums are of
 * x - x[0], in double, so the variance does not cancel away when the mean
 * is large against the spread (x[0] is near the mean in those rows). */
static void row_stats(const float *x, int64_t n, double eps, float *mean, float *invstd) {
  double s[LANES] = {0}, ss[LANES] = {0}, s1 = 0, s2 = 0;
  double k = n ? x[0] : 0;
  int64_t i = 0;
  for (; i + LANES <= n; i += LANES)
    for (int t = 0; t < LANES; t++) {
      double d = x[i + t] - k;
      s[t] += d;
      ss[t] += d * d;
    }
  for (; i < n; i++) {
    double d = x[i] - k;
    s1 += d;
    s2 += d * d;
  }
  for (int t = 0; t < LANES; t++) {
    s1 += s[t];
    s2 += ss[t];
  }
  double m = n ? s1 / (double)n : 0, var = n ? s2 / (double)n - m * m : 0;
  *mean = (float)(k + m);
  *invstd = (float)(1 / sqrt((var > 0 ? var : 0) + eps));
}

/* y = (x - m) * is * scale + bias (bias NULL: none) */
static void ln_row(const float *restrict x, const float *restrict scale, const float *restrict bias,
                   float *restrict y, int64_t n, float m, float is) {
  int64_t i = 0;
  if (bias) {
    for (; i + LANES <= n; i += LANES)
      for (int t = 0; t < LANES; t++) y[i + t] = (x[i + t] - m) * is * scale[i + t] + bias[i + t];
    for (; i < n; i++) y[i] = (x[i] - m) * is * scale[i] + bias[i];
  } else {
    for (; i + LANES <= n; i += LANES)
      for (int t = 0; t < LANES; t++) y[i + t] = (x[i + t] - m) * is * scale[i + t];
    for (; i < n; i++) y[i] = (x[i] - m) * is * scale[i];
  }
}

/* Contiguous float rows (of LayerNorm and Softmax) split over the thread
 * pool from ROWS_PAR elements in all (about 20 us on one core; BERT-base's
 * attention scores are 200 K): each thread its range of rows */
#define ROWS_PAR (1 << 14)

typedef struct LayerNormJob {
  const MlcLayerNorm *p;
  const float *x, *scale, *bias;
  float *y, *mean, *invstd;
} LayerNormJob;

static void layernorm_part(void *arg, int t, int nt, float *scratch) {
  const LayerNormJob *j = (const LayerNormJob *)arg;
  const int64_t len = j->p->inner;
  (void)scratch;
  for (int64_t r = j->p->outer * t / nt; r < j->p->outer * (t + 1) / nt; r++) {
    float m, is;
    row_stats(j->x + r * len, len, j->p->eps, &m, &is);
    ln_row(j->x + r * len, j->scale, j->bias, j->y + r * len, len, m, is);
    if (j->mean) j->mean[r] = m;
    if (j->invstd) j->invstd[r] = is;
  }
}

void mlc_rt_layernorm_f32(const void *params, void *const *io) {
  const MlcLayerNorm *p = (const MlcLayerNorm *)params;
  LayerNormJob j = {p,
                    (const float *)io[MLC_LAYERNORM_X],
                    (const float *)io[MLC_LAYERNORM_SCALE],
                    p->has_bias ? (const float *)io[MLC_LAYERNORM_BIAS] : NULL,
                    (float *)io[MLC_LAYERNORM_Y],
                    (float *)io[MLC_LAYERNORM_MEAN],
                    (float *)io[MLC_LAYERNORM_INVSTD]};
  if (p->outer < 2 || p->outer * p->inner < ROWS_PAR || !mlc_rt_parallel(layernorm_part, &j))
    layernorm_part(&j, 0, 1, NULL);
}

/* the lanes' partial results combined pairwise, halving the lanes each
 * step: a few dependent steps rather than a chain through every lane */
static float max_lanes(float *m) {
  for (int h = LANES / 2; h > 0; h /= 2)
    for (int t = 0; t < h; t++) m[t] = m[t + h] > m[t] ? m[t + h] : m[t];
  return m[0];
}
static double sum_lanes(double *s) {
  for (int h = LANES / 2; h > 0; h /= 2)
    for (int t = 0; t < h; t++) s[t] += s[t + h];
  return s[0];
}

/* a softmax of a contiguous float row, or a log-softmax (logsm) */
static void softmax_row(const float *restrict x, float *restrict y, int64_t n, int logsm) {
  float m[LANES], mx = x[0];
  double s[LANES] = {0}, sum = 0;
  int64_t i = 0;
  for (int t = 0; t < LANES; t++) m[t] = x[0];
  for (; i + LANES <= n; i += LANES)
    for (int t = 0; t < LANES; t++) m[t] = x[i + t] > m[t] ? x[i + t] : m[t];
  for (; i < n; i++) mx = x[i] > mx ? x[i] : mx;
  float ml = max_lanes(m);
  mx = ml > mx ? ml : mx;
  for (i = 0; i + LANES <= n; i += LANES)
    for (int t = 0; t < LANES; t++) {
      float e = mlc_rt_expf(x[i + t] - mx);
      s[t] += e;
      y[i + t] = e;
    }
  for (; i < n; i++) {
    y[i] = mlc_rt_expf(x[i] - mx);
    sum += y[i];
  }
  sum += sum_lanes(s);
  if (logsm) {
    float ls = (float)log(sum);
    for (i = 0; i + LANES <= n; i += LANES)
      for (int t = 0; t < LANES; t++) y[i + t] = x[i + t] - mx - ls;
    for (; i < n; i++) y[i] = x[i] - mx - ls;
  } else {
    float inv = (float)(1 / sum);
    for (i = 0; i + LANES <= n; i += LANES)
      for (int t = 0; t < LANES; t++) y[i + t] *= inv;
    for (; i < n; i++) y[i] *= inv;
  }
}

typedef struct SoftmaxJob {
  const MlcSoftmax *p;
  const float *x;
  float *y;
} SoftmaxJob;

static void softmax_part(void *arg, int t, int nt, float *scratch) {
  const SoftmaxJob *j = (const SoftmaxJob *)arg;
  const int64_t len = j->p->len;
  (void)scratch;
  for (int64_t o = j->p->outer * t / nt; o < j->p->outer * (t + 1) / nt; o++)
    softmax_row(j->x + o * len, j->y + o * len, len, (int)j->p->log);
}

static void softmax_rows(const MlcSoftmax *p, const float *x, float *y) {
  SoftmaxJob j = {p, x, y};
  if (p->outer < 2 || p->outer * p->len < ROWS_PAR || !mlc_rt_parallel(softmax_part, &j))
    softmax_part(&j, 0, 1, NULL);
}

/* a softmax (or log-softmax) of each column of [outer, len, inner]: the len
 * values at stride inner */
#define SOFTMAX_KERNEL(sfx, T, fn)                                                \
  void mlc_rt_softmax_##sfx(const void *params, void *const *io) {                \
    const MlcSoftmax *p = (const MlcSoftmax *)params;                             \
    const T *x = (const T *)io[MLC_SOFTMAX_X];                                    \
    T *y = (T *)io[MLC_SOFTMAX_Y];                                                \
    const int64_t st = p->inner;                                                  \
    if (p->len == 0) return;                                                      \
    if (sizeof(T) == sizeof(float) && st == 1) {                                  \
      softmax_rows(p, (const float *)x, (float *)y);                              \
      return;                                                                     \
    }                                                                             \
    for (int64_t o = 0; o < p->outer; o++)                                        \
      for (int64_t i = 0; i < p->inner; i++) {                                    \
        const T *xr = x + o * p->len * st + i;                                    \
        T *yr = y + o * p->len * st + i;                                          \
        T mx = xr[0];                                                             \
        for (int64_t l = 1; l < p->len; l++)                                      \
          if (xr[l * st] > mx) mx = xr[l * st];                                   \
        double sum = 0;                                                           \
        for (int64_t l = 0; l < p->len; l++) {                                    \
          T e = fn(exp)(xr[l * st] - mx);                                         \
          sum += e;                                                               \
          if (!p->log) yr[l * st] = e;                                            \
        }                                                                         \
        if (p->log) {                                                             \
          T ls = (T)log(sum);                                                     \
          for (int64_t l = 0; l < p->len; l++) yr[l * st] = xr[l * st] - mx - ls; \
        } else {                                                                  \
          T inv = (T)(1 / sum);                                                   \
          for (int64_t l = 0; l < p->len; l++) yr[l * st] *= inv;                 \
        }                                                                         \
      }                                                                           \
  }

SOFTMAX_KERNEL(f32, float, MLC_RT_VMF)
SOFTMAX_KERNEL(f64, double, MLC_RT_VMD)
