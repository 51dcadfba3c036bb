/* mlc CUDA runtime: the normalizations of runtime/norm.c and norm_row.c
 * (LayerNorm, Softmax / LogSoftmax, the row normalization of Group /
 * Instance / RMS normalization, LpNormalization, LRN).
 *
 * Design. One block of MLC_CU_BLOCK threads per row (a row of LayerNorm
 * or RowNorm, a column of len values at stride inner for Softmax and
 * LpNorm), blocks striding over the rows. Thread t accumulates elements t,
 * t + B, t + 2B ... in order, then a shared-memory tree combines the
 * threads' partials in a fixed pairing, so a run's bits never depend on
 * scheduling. Statistics accumulate in double and every formula is the C
 * kernel's, with its scalar functions (mlc_rt_expf); only the order of the
 * double additions differs from the C lanes, far below float rounding.
 * LRN sums a window of at most `size` channels: one thread per output. */
#include "mlc_rt_cuda_int.h"

namespace {

__device__ double combine(double x, double y) { return x + y; }
__device__ Sum2 combine(Sum2 x, Sum2 y) { return sum2_add(x, y); }

/* the sum over the block of every thread's v (block_reduce) */
template <typename T>
__device__ T block_sum(T v) {
  return block_reduce(v, [](T a, T b) { return combine(a, b); });
}

/* the block's maximum of v as norm.c's softmax takes it: a larger value
 * replaces the running one (a NaN never does) */
template <typename T>
__device__ T block_max(T v) {
  return block_reduce(v, [](T a, T b) { return b > a ? b : a; });
}

/* ---- LayerNorm ----------------------------------------------------------- */

/* norm.c's row_stats (sums of x - x[0] in double, one pass) and ln_row */
__global__ void layernorm_k(MlcLayerNorm p, const float *x, const float *scale, const float *bias,
                            float *y, float *mean_out, float *inv_out) {
  const int64_t n = p.inner;
  ROWS(r, p.outer) {
    const float *xr = x + r * n;
    float *yr = y + r * n;
    double k = n ? xr[0] : 0;
    Sum2 s = {0, 0};
    for (int64_t i = threadIdx.x; i < n; i += blockDim.x) {
      double d = xr[i] - k;
      s.a += d;
      s.b += d * d;
    }
    s = block_sum(s);
    double m = n ? s.a / (double)n : 0, var = n ? s.b / (double)n - m * m : 0;
    float mf = (float)(k + m), is = (float)(1 / sqrt((var > 0 ? var : 0) + p.eps));
    for (int64_t i = threadIdx.x; i < n; i += blockDim.x)
      yr[i] = bias ? (xr[i] - mf) * is * scale[i] + bias[i] : (xr[i] - mf) * is * scale[i];
    if (threadIdx.x == 0) {
      if (mean_out) mean_out[r] = mf;
      if (inv_out) inv_out[r] = is;
    }
  }
}

/* ---- Softmax ------------------------------------------------------------- */

/* the exp norm.c uses per type: the runtime's own for float, libm's for
 * double */
__device__ float sm_exp(float v) { return mlc_rt_expf(v); }
__device__ double sm_exp(double v) { return exp(v); }

/* column c = (o, i) of [outer, len, inner]: the len values at stride inner */
template <typename T>
__global__ void softmax_k(MlcSoftmax p, const T *x, T *y) {
  const int64_t st = p.inner, len = p.len;
  ROWS(c, p.outer * p.inner) {
    const int64_t o = c / st, i = c % st;
    const T *xr = x + o * len * st + i;
    T *yr = y + o * len * st + i;
    T mx = xr[0];
    for (int64_t l = threadIdx.x; l < len; l += blockDim.x)
      if (xr[l * st] > mx) mx = xr[l * st];
    mx = block_max(mx);
    double sum = 0;
    for (int64_t l = threadIdx.x; l < len; l += blockDim.x) {
      T e = sm_exp((T)(xr[l * st] - mx));
      sum += e;
      if (!p.log) yr[l * st] = e;
    }
    sum = block_sum(sum);
    if (p.log) {
      T ls = (T)log(sum);
      for (int64_t l = threadIdx.x; l < len; l += blockDim.x) yr[l * st] = xr[l * st] - mx - ls;
    } else {
      /* each thread scales the very elements it wrote above */
      T inv = (T)(1 / sum);
      for (int64_t l = threadIdx.x; l < len; l += blockDim.x) yr[l * st] *= inv;
    }
  }
}

/* ---- RowNorm ------------------------------------------------------------- */

/* norm_row.c's two passes (mean if centered, then the squared deviations);
 * the element e = r * len + j takes scale and bias s = (e / sdiv) % smod */
__global__ void rownorm_k(MlcRowNorm p, const float *x, const float *scale, const float *bias,
                          float *y) {
  const int64_t len = p.len;
  ROWS(r, p.rows) {
    const float *xr = x + r * len;
    float *yr = y + r * len;
    double mean = 0, ss = 0;
    if (p.center) {
      for (int64_t j = threadIdx.x; j < len; j += blockDim.x) mean += xr[j];
      mean = block_sum(mean);
      mean = len ? mean / (double)len : 0;
    }
    for (int64_t j = threadIdx.x; j < len; j += blockDim.x) {
      double d = xr[j] - mean;
      ss += d * d;
    }
    ss = block_sum(ss);
    double inv = 1 / sqrt((len ? ss / (double)len : 0) + p.eps);
    for (int64_t j = threadIdx.x; j < len; j += blockDim.x) {
      int64_t s = (r * len + j) / p.sdiv % p.smod;
      float v = (float)((xr[j] - mean) * inv);
      if (scale) v *= scale[s];
      if (bias) v += bias[s];
      yr[j] = v;
    }
  }
}

/* ---- LpNorm -------------------------------------------------------------- */

__global__ void lpnorm_k(MlcLpNorm p, const float *x, float *y) {
  const int64_t st = p.inner, len = p.len;
  ROWS(c, p.outer * p.inner) {
    const int64_t o = c / st, i = c % st;
    const float *xr = x + o * len * st + i;
    float *yr = y + o * len * st + i;
    double norm = 0;
    for (int64_t l = threadIdx.x; l < len; l += blockDim.x)
      norm += p.p == 1 ? fabs(xr[l * st]) : (double)xr[l * st] * xr[l * st];
    norm = block_sum(norm);
    if (p.p != 1) norm = sqrt(norm);
    float inv = norm == 0 ? 0.0f : (float)(1 / norm);
    for (int64_t l = threadIdx.x; l < len; l += blockDim.x) yr[l * st] = xr[l * st] * inv;
  }
}

/* ---- LRN ----------------------------------------------------------------- */

/* output (n, c, i): the window [c - (size - 1) / 2, c + size / 2] cut to
 * the channels that exist, summed in channel order as norm_row.c does */
__global__ void lrn_k(MlcLrn p, const float *x, float *y, int64_t count) {
  const int64_t st = p.inner;
  const double a = p.alpha / (double)p.size;
  GRID_STRIDE(t, count) {
    int64_t i = t % st, c = t / st % p.c, n = t / st / p.c;
    int64_t lo = c - (p.size - 1) / 2, hi = c + p.size / 2;
    const float *xn = x + n * p.c * st;
    if (lo < 0) lo = 0;
    if (hi > p.c - 1) hi = p.c - 1;
    double sq = 0;
    for (int64_t k = lo; k <= hi; k++) sq += (double)xn[k * st + i] * xn[k * st + i];
    y[t] = (float)(xn[c * st + i] / pow(p.bias + a * sq, p.beta));
  }
}

template <typename T>
int softmax(MlcCuCtx *ctx, const void *params, void *const *io) {
  const MlcSoftmax *p = (const MlcSoftmax *)params;
  if (ctx->sizing || p->len <= 0 || p->outer <= 0 || p->inner <= 0) return MLC_CU_OK;
  softmax_k<T><<<row_grid(p->outer * p->inner), MLC_CU_BLOCK, 0, ctx->stream>>>(
      *p, (const T *)io[MLC_SOFTMAX_X], (T *)io[MLC_SOFTMAX_Y]);
  return mlc_rtcu_launched();
}

} // namespace

extern "C" {

int mlc_rtcu_layernorm_f32(MlcCuCtx *ctx, const void *params, void *const *io) {
  const MlcLayerNorm *p = (const MlcLayerNorm *)params;
  if (ctx->sizing || p->outer <= 0) return MLC_CU_OK;
  layernorm_k<<<row_grid(p->outer), MLC_CU_BLOCK, 0, ctx->stream>>>(
      *p, (const float *)io[MLC_LAYERNORM_X], (const float *)io[MLC_LAYERNORM_SCALE],
      p->has_bias ? (const float *)io[MLC_LAYERNORM_BIAS] : NULL, (float *)io[MLC_LAYERNORM_Y],
      (float *)io[MLC_LAYERNORM_MEAN], (float *)io[MLC_LAYERNORM_INVSTD]);
  return mlc_rtcu_launched();
}

int mlc_rtcu_softmax_f32(MlcCuCtx *ctx, const void *params, void *const *io) {
  return softmax<float>(ctx, params, io);
}

int mlc_rtcu_softmax_f64(MlcCuCtx *ctx, const void *params, void *const *io) {
  return softmax<double>(ctx, params, io);
}

int mlc_rtcu_rownorm_f32(MlcCuCtx *ctx, const void *params, void *const *io) {
  const MlcRowNorm *p = (const MlcRowNorm *)params;
  if (p->sdiv <= 0 || p->smod <= 0) return MLC_CU_ERR_PARAMS;
  if (ctx->sizing || p->rows <= 0) return MLC_CU_OK;
  rownorm_k<<<row_grid(p->rows), MLC_CU_BLOCK, 0, ctx->stream>>>(
      *p, (const float *)io[MLC_ROWNORM_X], (const float *)io[MLC_ROWNORM_SCALE],
      (const float *)io[MLC_ROWNORM_BIAS], (float *)io[MLC_ROWNORM_Y]);
  return mlc_rtcu_launched();
}

int mlc_rtcu_lpnorm_f32(MlcCuCtx *ctx, const void *params, void *const *io) {
  const MlcLpNorm *p = (const MlcLpNorm *)params;
  if (ctx->sizing || p->outer <= 0 || p->inner <= 0 || p->len <= 0) return MLC_CU_OK;
  lpnorm_k<<<row_grid(p->outer * p->inner), MLC_CU_BLOCK, 0, ctx->stream>>>(
      *p, (const float *)io[MLC_LPNORM_X], (float *)io[MLC_LPNORM_Y]);
  return mlc_rtcu_launched();
}

int mlc_rtcu_lrn_f32(MlcCuCtx *ctx, const void *params, void *const *io) {
  const MlcLrn *p = (const MlcLrn *)params;
  int64_t count = p->n * p->c * p->inner;
  if (p->size <= 0) return MLC_CU_ERR_PARAMS;
  if (ctx->sizing || p->n <= 0 || p->c <= 0 || p->inner <= 0) return MLC_CU_OK;
  lrn_k<<<mlc_rtcu_grid(count), MLC_CU_BLOCK, 0, ctx->stream>>>(*p, (const float *)io[MLC_LRN_X],
                                                                (float *)io[MLC_LRN_Y], count);
  return mlc_rtcu_launched();
}

} // extern "C"
