/* mlc CUDA runtime: NegativeLogLikelihoodLoss, with the semantics of
 * loss.c.
 *
 * Reduction "none" is one thread per target. The sum and the mean need the
 * C kernel's one double sum over the targets in order to match its bits
 * and to stay deterministic, so one block reduces them: each thread sums a
 * fixed, contiguous share of the targets in order, and the partial sums
 * combine in a fixed tree. That is a different order from the C loop (the
 * double sums differ in their last bits, far below float's rounding), but
 * the same every run. Losses are small tensors ([n, inner] targets): one
 * block is enough. */
#include "mlc_rt_cuda_int.h"

/* target k's loss and weight: zero for an ignored or out-of-range target */
__device__ static void nll_term(const MlcNll &p, const float *x, const void *target, const float *w,
                                int64_t k, double *loss, double *wt) {
  int64_t n = k / p.inner, i = k % p.inner;
  int64_t t = p.idx_bits == 32 ? ((const int32_t *)target)[k] : ((const int64_t *)target)[k];
  *loss = 0;
  *wt = 0;
  if (!(p.has_ignore && t == p.ignore) && t >= 0 && t < p.c) {
    *wt = w ? w[t] : 1;
    *loss = -*wt * x[(n * p.c + t) * p.inner + i];
  }
}

__global__ void nll_none_k(MlcNll p, const float *x, const void *target, const float *w, float *y) {
  const int64_t n = p.n * p.inner;
  GRID_STRIDE(k, n) {
    double loss, wt;
    nll_term(p, x, target, w, k, &loss, &wt);
    y[k] = (float)loss;
  }
}

/* one block of MLC_CU_BLOCK threads: y[0] = the sum, or the sum over the
 * weights */
__global__ void nll_sum_k(MlcNll p, const float *x, const void *target, const float *w, float *y) {
  const int64_t n = p.n * p.inner, per = (n + MLC_CU_BLOCK - 1) / MLC_CU_BLOCK;
  const int64_t lo = threadIdx.x * per, hi = lo + per < n ? lo + per : n;
  Sum2 s = {0, 0};
  for (int64_t k = lo; k < hi; k++) {
    double loss, wt;
    nll_term(p, x, target, w, k, &loss, &wt);
    s.a += loss;
    s.b += wt;
  }
  s = block_reduce(s, sum2_add);
  if (threadIdx.x == 0) y[0] = (float)(p.reduction == 1 ? s.a : s.a / s.b);
}

int mlc_rtcu_nll_f32(MlcCuCtx *ctx, const void *params, void *const *io) {
  const MlcNll *p = (const MlcNll *)params;
  const float *x = (const float *)io[MLC_NLL_X], *w = (const float *)io[MLC_NLL_WEIGHT];
  const void *target = io[MLC_NLL_TARGET];
  float *y = (float *)io[MLC_NLL_Y];
  if (ctx->sizing) return MLC_CU_OK;
  if (p->reduction == 0) {
    if (p->n * p->inner <= 0) return MLC_CU_OK;
    nll_none_k<<<mlc_rtcu_grid(p->n * p->inner), MLC_CU_BLOCK, 0, ctx->stream>>>(*p, x, target, w,
                                                                                 y);
  } else if (p->reduction == 1 || p->reduction == 2) {
    /* no targets: 0, or 0 / 0 = NaN for the mean, as the C kernel */
    nll_sum_k<<<1, MLC_CU_BLOCK, 0, ctx->stream>>>(*p, x, target, w, y);
  } else {
    return MLC_CU_OK; /* the C kernel writes nothing for another reduction */
  }
  return mlc_rtcu_launched();
}
