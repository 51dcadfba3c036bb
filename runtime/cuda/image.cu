/* mlc CUDA runtime: RotaryEmbedding (attention.c), ConvTranspose (image.c)
 * and GridSample (image_sample.c), with the C kernels' semantics.
 *
 * Every kernel gives each output element (a rotated pair, for rotary) its
 * own thread, so nothing is accumulated across threads and results are
 * deterministic.
 *
 * RotaryEmbedding rounds each product on its own, as the C expression
 * c * x1 - s * x2 does where the host compiler does not fuse it (nvcc
 * would). A thread reads both values of its pair before writing them, so
 * y may be x.
 *
 * ConvTranspose is direct: an output pixel o gathers, for each kernel tap
 * k, the input pixel i with i * stride - pad_begin + k * dil = o (if there
 * is one), summed over the group's input channels. The C kernel adds each
 * tap's channel sum (one GEMM column) onto the bias in tap order; this one
 * adds in the same order, the channel sums fused (its GEMM's order within
 * a sum differs anyway). Shapes are 3-D with leading dims of 1 as there.
 *
 * GridSample runs the C kernel's sampler itself (mlc_rt_grid_pos and
 * mlc_rt_sample in mlc_rt_image.h): nearest, linear and cubic, the three
 * paddings, align_corners, 1-D to 3-D. */
#include "mlc_rt_cuda_int.h"

/* ---- RotaryEmbedding ------------------------------------------------------ */

/* per (b, h, s) row: half pair items, then d - rot copied items */
__global__ void rotary_k(MlcRotary p, int64_t per_row, const float *x, const float *cs,
                         const float *sn, const int64_t *pos, float *y) {
  const int64_t half = p.rot / 2, n = p.b * p.h * p.s * per_row;
  /* interleaved pairs are (2j, 2j + 1); else (j, j + half) */
  const int64_t i1 = p.interleaved ? 2 : 1, i2 = p.interleaved ? 1 : half;
  GRID_STRIDE(k, n) {
    int64_t j = k % per_row, r = k / per_row;
    int64_t s = r % p.s, h = r / p.s % p.h, b = r / p.s / p.h;
    int64_t at = b * p.st[0] + h * p.st[1] + s * p.st[2];
    if (j >= half) {
      j += p.rot - half;
      y[at + j] = x[at + j];
      continue;
    }
    int64_t row = b * p.s + s;
    if (p.npos) {
      row = pos[row];
      row = row < 0 ? 0 : row >= p.npos ? p.npos - 1 : row;
    }
    float c = cs[row * half + j], sv = sn[row * half + j];
    float x1 = x[at + j * i1], x2 = x[at + j * i1 + i2];
    y[at + j * i1] = __fsub_rn(__fmul_rn(c, x1), __fmul_rn(sv, x2));
    y[at + j * i1 + i2] = __fadd_rn(__fmul_rn(sv, x1), __fmul_rn(c, x2));
  }
}

int mlc_rtcu_rotary_f32(MlcCuCtx *ctx, const void *params, void *const *io) {
  const MlcRotary *p = (const MlcRotary *)params;
  /* an odd rot leaves its last rotated value unwritten, as the C kernel */
  int64_t per_row = p->rot / 2 + (p->d > p->rot ? p->d - p->rot : 0);
  int64_t n = p->b * p->h * p->s * per_row;
  if (ctx->sizing || n <= 0) return MLC_CU_OK;
  rotary_k<<<mlc_rtcu_grid(n), MLC_CU_BLOCK, 0, ctx->stream>>>(
      *p, per_row, (const float *)io[MLC_ROTARY_X], (const float *)io[MLC_ROTARY_COS],
      (const float *)io[MLC_ROTARY_SIN], (const int64_t *)io[MLC_ROTARY_POS],
      (float *)io[MLC_ROTARY_Y]);
  return mlc_rtcu_launched();
}

/* ---- ConvTranspose -------------------------------------------------------- */

/* the geometry as 3-D (image.c's ColGeo): out the image, in the columns */
typedef MlcWindowGeo CtGeo;

/* the input index that tap k of output index o reads along one dim, or -1:
 * o = i * s - pb + k * d for an i in [0, n) */
__device__ static int64_t ct_src(int64_t o, int64_t k, int64_t s, int64_t d, int64_t pb,
                                 int64_t n) {
  int64_t t = o + pb - k * d;
  if (t < 0 || t % s) return -1;
  t /= s;
  return t < n ? t : -1;
}

/* one thread per output element (n, oc, pixel) */
__global__ void convtranspose_k(MlcConv p, CtGeo g, const float *x, const float *w,
                                const float *bias, float *y) {
  const int64_t outpix = g.out[0] * g.out[1] * g.out[2], inpix = g.in[0] * g.in[1] * g.in[2];
  const int64_t kvol = g.k[0] * g.k[1] * g.k[2], cg = p.c / p.group, mg = p.m / p.group;
  const int64_t total = p.n * p.m * outpix;
  GRID_STRIDE(e, total) {
    int64_t q = e % outpix, oc = e / outpix % p.m, n = e / outpix / p.m;
    int64_t ox = q % g.out[2], oy = q / g.out[2] % g.out[1], oz = q / g.out[2] / g.out[1];
    int64_t gi = oc / mg, mi = oc % mg;
    const float *xg = x + (n * p.c + gi * cg) * inpix;
    /* W [c, m / group, k...]: channel ci of the group, output channel mi */
    const float *wg = w + (gi * cg * mg + mi) * kvol;
    float acc = bias ? bias[oc] : 0;
    for (int64_t kz = 0; kz < g.k[0]; kz++) {
      int64_t iz = ct_src(oz, kz, g.s[0], g.d[0], g.pb[0], g.in[0]);
      if (iz < 0) continue;
      for (int64_t ky = 0; ky < g.k[1]; ky++) {
        int64_t iy = ct_src(oy, ky, g.s[1], g.d[1], g.pb[1], g.in[1]);
        if (iy < 0) continue;
        for (int64_t kx = 0; kx < g.k[2]; kx++) {
          int64_t ix = ct_src(ox, kx, g.s[2], g.d[2], g.pb[2], g.in[2]);
          if (ix < 0) continue;
          int64_t tap = (kz * g.k[1] + ky) * g.k[2] + kx, at = (iz * g.in[1] + iy) * g.in[2] + ix;
          float sum = 0;
          for (int64_t ci = 0; ci < cg; ci++)
            sum = fmaf(wg[ci * mg * kvol + tap], xg[ci * inpix + at], sum);
          acc = __fadd_rn(acc, sum);
        }
      }
    }
    y[e] = acc;
  }
}

int mlc_rtcu_convtranspose_f32(MlcCuCtx *ctx, const void *params, void *const *io) {
  const MlcConv *p = (const MlcConv *)params;
  CtGeo g;
  int64_t outpix = 1;
  if (ctx->sizing) return MLC_CU_OK;
  if (p->nsp < 1 || p->nsp > MLC_RT_MAX_SP || p->group < 1 || p->c % p->group || p->m % p->group)
    return MLC_CU_ERR_PARAMS;
  mlc_rt_window_geo(p->nsp, p->in_sp, p->out_sp, p->k, p->stride, p->dil, p->pad_begin, NULL, &g);
  for (int i = 0; i < 3; i++) {
    if (g.s[i] < 1) return MLC_CU_ERR_PARAMS;
    outpix *= g.out[i];
  }
  int64_t n = p->n * p->m * outpix;
  if (n <= 0) return MLC_CU_OK;
  convtranspose_k<<<mlc_rtcu_grid(n), MLC_CU_BLOCK, 0, ctx->stream>>>(
      *p, g, (const float *)io[MLC_CONVTRANSPOSE_X], (const float *)io[MLC_CONVTRANSPOSE_W],
      p->has_bias ? (const float *)io[MLC_CONVTRANSPOSE_BIAS] : NULL,
      (float *)io[MLC_CONVTRANSPOSE_Y]);
  return mlc_rtcu_launched();
}

/* ---- GridSample ----------------------------------------------------------- */

/* one thread per output element (n, c, point) */
__global__ void gridsample_k(MlcGridSample p, MlcSamplePlane pl, int64_t inpix, int64_t npts,
                             const float *x, const float *grid, float *y) {
  const int nsp = (int)p.nsp, off = 3 - nsp;
  const int64_t total = p.n * p.c * npts;
  GRID_STRIDE(e, total) {
    int64_t q = e % npts, nc = e / npts, n = nc / p.c;
    /* the grid lists coordinates innermost dim first */
    const float *g = grid + (n * npts + q) * nsp;
    double pos[3] = {0, 0, 0};
    for (int s = 0; s < nsp; s++) pos[off + s] = mlc_rt_grid_pos(&pl, off + s, g[nsp - 1 - s]);
    y[e] = (float)mlc_rt_sample(x + nc * inpix, &pl, pos);
  }
}

int mlc_rtcu_gridsample_f32(MlcCuCtx *ctx, const void *params, void *const *io) {
  const MlcGridSample *p = (const MlcGridSample *)params;
  MlcSamplePlane pl = {{1, 1, 1}, (int)p->mode, (int)p->padding, p->align_corners != 0};
  int64_t inpix = 1, npts = 1;
  if (ctx->sizing) return MLC_CU_OK;
  if (p->nsp < 1 || p->nsp > MLC_RT_MAX_SP) return MLC_CU_ERR_PARAMS;
  for (int s = 0; s < p->nsp; s++) {
    pl.dims[3 - p->nsp + s] = p->in_sp[s];
    inpix *= p->in_sp[s];
    npts *= p->out_sp[s];
  }
  int64_t n = p->n * p->c * npts;
  if (n <= 0) return MLC_CU_OK;
  gridsample_k<<<mlc_rtcu_grid(n), MLC_CU_BLOCK, 0, ctx->stream>>>(
      *p, pl, inpix, npts, (const float *)io[MLC_GRIDSAMPLE_X],
      (const float *)io[MLC_GRIDSAMPLE_GRID], (float *)io[MLC_GRIDSAMPLE_Y]);
  return mlc_rtcu_launched();
}
