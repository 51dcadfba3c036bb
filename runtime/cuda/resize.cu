/* mlc CUDA runtime: Resize (image_resize.c), with the C kernel's semantics.
 *
 * The compiler works out every coordinate transformation, nearest rounding,
 * cubic coefficient, exclude_outside, antialias filter and the
 * tf_crop_and_resize region into two constant tables per resized axis (idx,
 * w), so this kernel, like the C one, knows nothing of modes: it gathers and
 * adds. One thread per output element of [outer, out_len, inner] runs the
 * C kernel's own arithmetic (mlc_rt_resize_at_* in mlc_rt_image.h: extrap
 * where the first index is -1, else the taps' weighted sum in double, in
 * tap order, each operation rounded on its own), then converts to the output
 * type. Nothing is accumulated across threads, so results are deterministic
 * and match the C kernel bit for bit. Elements are float or double on each
 * side (in_f64, out_f64), as there. */
#include "mlc_rt_cuda_int.h"

static __device__ double resize_at(const MlcResize *p, const float *x, const int64_t *idx,
                                   const double *w, int64_t o, int64_t l, int64_t i) {
  return mlc_rt_resize_at_f32(p, x, idx, w, o, l, i);
}
static __device__ double resize_at(const MlcResize *p, const double *x, const int64_t *idx,
                                   const double *w, int64_t o, int64_t l, int64_t i) {
  return mlc_rt_resize_at_f64(p, x, idx, w, o, l, i);
}

/* one thread per output element (o, l, i) */
template <typename TI, typename TO>
__global__ void resize_k(MlcResize p, const TI *x, const int64_t *idx, const double *w, TO *y) {
  const int64_t total = p.outer * p.out_len * p.inner;
  GRID_STRIDE(e, total) {
    int64_t i = e % p.inner, l = e / p.inner % p.out_len, o = e / p.inner / p.out_len;
    y[e] = (TO)resize_at(&p, x, idx, w, o, l, i);
  }
}

template <typename TI, typename TO>
static int resize_launch(MlcCuCtx *ctx, const MlcResize *p, void *const *io, int64_t n) {
  resize_k<TI, TO><<<mlc_rtcu_grid(n), MLC_CU_BLOCK, 0, ctx->stream>>>(
      *p, (const TI *)io[MLC_RESIZE_X], (const int64_t *)io[MLC_RESIZE_IDX],
      (const double *)io[MLC_RESIZE_W], (TO *)io[MLC_RESIZE_Y]);
  return mlc_rtcu_launched();
}

int mlc_rtcu_resize(MlcCuCtx *ctx, const void *params, void *const *io) {
  const MlcResize *p = (const MlcResize *)params;
  if (ctx->sizing) return MLC_CU_OK;
  if (p->outer < 0 || p->out_len < 0 || p->inner < 0) return MLC_CU_ERR_PARAMS;
  int64_t n = p->outer * p->out_len * p->inner;
  if (n <= 0) return MLC_CU_OK;
  /* every output position reads its first tap (the C kernel too) */
  if (p->taps < 1) return MLC_CU_ERR_PARAMS;
  if (p->in_f64 && p->out_f64) return resize_launch<double, double>(ctx, p, io, n);
  if (p->in_f64) return resize_launch<double, float>(ctx, p, io, n);
  if (p->out_f64) return resize_launch<float, double>(ctx, p, io, n);
  return resize_launch<float, float>(ctx, p, io, n);
}
