/* The optimizers of ai.onnx.preview.training: one step of Adagrad, Adam or
 * Momentum (standard or Nesterov) over a tensor, its gradient and its state.
 *
 * A step is split in two kernels. optim_rate turns the run-time scalars R
 * (learning rate) and T (update count) into the step size and the gradient's
 * weight, once per node; optim_f32/optim_f64 then update each optimized
 * tensor elementwise. The split keeps the per-tensor call within the
 * compiler's io limit (Adam reads rate, X, G, V, H and writes three
 * outputs) and computes the powers of Adam's bias correction once.
 *
 * Every element is computed in double and rounded once to the tensor's type,
 * as the ONNX reference (numpy, promoting to float64 through its scalars)
 * rounds only its outputs. An element is read before any output element of
 * the same index is written, so an output may share its input's buffer.
 */
#include <math.h>

#include "mlc_rt.h"

void mlc_rt_optim_rate(const void *params, void *const *io) {
  const MlcOptimRate *p = (const MlcOptimRate *)params;
  const void *rp = io[MLC_OPTIM_RATE_R];
  double r = p->r_f64 ? *(const double *)rp : (double)*(const float *)rp;
  int64_t t = *(const int64_t *)io[MLC_OPTIM_RATE_T];
  double *rate = (double *)io[MLC_OPTIM_RATE_RATE];
  rate[0] = r;
  rate[1] = 1;
  switch (p->kind) {
  case MLC_OPTIM_ADAGRAD: rate[0] = r / (1 + (double)t * p->decay); break;
  case MLC_OPTIM_ADAM:
    /* bias correction of both moments from the second step on */
    if (t > 0) rate[0] = r * sqrt(1 - pow(p->beta, (double)t)) / (1 - pow(p->alpha, (double)t));
    rate[1] = 1 - p->alpha;
    break;
  default: /* momentum: the first step takes the whole gradient */
    rate[1] = t > 0 ? p->beta : 1;
    break;
  }
}

/* one element: x, g, s1, s2 in; x, s1, s2 out (s2: Adam's H only) */
static void optim_step(const MlcOptim *p, const double *rate, double *x, double g, double *s1,
                       double *s2) {
  double gr = p->norm * *x + g; /* gradient of 0.5 * norm * |X|^2 added */
  switch (p->kind) {
  case MLC_OPTIM_ADAGRAD:
    *s1 += gr * gr;
    *x -= rate[0] * gr / (sqrt(*s1) + p->eps);
    break;
  case MLC_OPTIM_ADAM:
    *s1 = p->alpha * *s1 + rate[1] * gr;
    *s2 = p->beta * *s2 + (1 - p->beta) * gr * gr;
    *x = (1 - p->post) * (*x - rate[0] * *s1 / (sqrt(*s2) + p->eps));
    break;
  case MLC_OPTIM_MOMENTUM:
    *s1 = p->alpha * *s1 + rate[1] * gr;
    *x -= rate[0] * *s1;
    break;
  default: /* Nesterov: the step looks ahead along the new momentum */
    *s1 = p->alpha * *s1 + rate[1] * gr;
    *x -= rate[0] * (gr + p->alpha * *s1);
    break;
  }
}

#define MLC_TRAIN_OPTIM(sfx, T)                                               \
  void mlc_rt_optim_##sfx(const void *params, void *const *io) {              \
    const MlcOptim *p = (const MlcOptim *)params;                             \
    const double *rate = (const double *)io[MLC_OPTIM_RATE];                  \
    const T *x = (const T *)io[MLC_OPTIM_X], *g = (const T *)io[MLC_OPTIM_G]; \
    const T *s1 = (const T *)io[MLC_OPTIM_S1];                                \
    const T *s2 = (const T *)io[MLC_OPTIM_S2];                                \
    T *xo = (T *)io[MLC_OPTIM_X_NEW];                                         \
    T *s1o = (T *)io[MLC_OPTIM_S1_NEW], *s2o = (T *)io[MLC_OPTIM_S2_NEW];     \
    for (int64_t i = 0; i < p->count; i++) {                                  \
      double xv = x[i], a = s1[i], b = s2 ? s2[i] : 0;                        \
      optim_step(p, rate, &xv, g[i], &a, &b);                                 \
      if (xo) xo[i] = (T)xv;                                                  \
      if (s1o) s1o[i] = (T)a;                                                 \
      if (s2o) s2o[i] = (T)b;                                                 \
    }                                                                         \
  }
MLC_TRAIN_OPTIM(f32, float)
MLC_TRAIN_OPTIM(f64, double)
