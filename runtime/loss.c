/* The losses: NegativeLogLikelihoodLoss (which SoftmaxCrossEntropyLoss
 * runs after a LogSoftmax). The sums accumulate in double. Ignored targets,
 * and targets out of range, count zero with weight zero: a bad target at run
 * time never reads outside x or the weights.
 */
#include "mlc_rt.h"

void mlc_rt_nll_f32(const void *params, void *const *io) {
  const MlcNll *p = (const MlcNll *)params;
  const float *x = (const float *)io[MLC_NLL_X], *w = (const float *)io[MLC_NLL_WEIGHT];
  const void *target = io[MLC_NLL_TARGET];
  float *y = (float *)io[MLC_NLL_Y];
  double sum = 0, wsum = 0;
  int64_t n, i;
  for (n = 0; n < p->n; n++)
    for (i = 0; i < p->inner; i++) {
      int64_t k = n * p->inner + i;
      int64_t t = p->idx_bits == 32 ? ((const int32_t *)target)[k] : ((const int64_t *)target)[k];
      double loss = 0, wt = 0;
      if (!(p->has_ignore && t == p->ignore) && t >= 0 && t < p->c) {
        wt = w ? w[t] : 1;
        loss = -wt * x[(n * p->c + t) * p->inner + i];
      }
      if (p->reduction == 0) y[k] = (float)loss;
      sum += loss;
      wsum += wt;
    }
  if (p->reduction == 1) y[0] = (float)sum;
  if (p->reduction == 2) y[0] = (float)(sum / wsum);
}
