/* Sampling at computed positions: GridSample, AffineGrid, DeformConv and
 * RoiAlign.
 *
 * GridSample and DeformConv share one sampler: given a point in pixel
 * coordinates of a 1-D to 3-D plane, it interpolates (nearest, linear or
 * cubic) over the taps around the point, each tap either inside the plane or
 * mapped by the padding mode (zero, clamped to the border, or reflected).
 * Shapes are handled as 3-D with leading dims of 1, as the pools do. The
 * coordinate rules follow the ONNX reference (which follows PyTorch's
 * grid_sample): nearest rounds half to even; positions outside the border
 * are first clamped (border) or reflected (reflection), then every tap is
 * mapped again.
 *
 * DeformConv builds, per image and group, the columns of an im2col matrix
 * from samples at the offset taps (times the mask), then multiplies with the
 * weights through the runtime's GEMM kernel.
 *
 * RoiAlign follows the reference's (Caffe2's) bilinear rules: samples more
 * than one pixel outside count zero, others are clamped to the edge; "max"
 * takes the largest weighted corner of each sample.
 *
 * Positions come from data (grids, offsets, boxes), so every conversion to
 * an index goes through mlc_rt_to_index, which maps NaN and huge values to a far
 * out-of-range index instead of C's undefined conversion; an index is only
 * used after a range check.
 */
#include <math.h>
#include <string.h>

#include "mlc_rt.h"

/* The sampler (MlcSamplePlane, mlc_rt_sample and its helpers) is in
 * mlc_rt_image.h, shared with the CUDA runtime. */

/* ---- GridSample ------------------------------------------------------------ */

void mlc_rt_gridsample_f32(const void *params, void *const *io) {
  const MlcGridSample *p = (const MlcGridSample *)params;
  const float *x = (const float *)io[MLC_GRIDSAMPLE_X];
  const float *grid = (const float *)io[MLC_GRIDSAMPLE_GRID];
  float *y = (float *)io[MLC_GRIDSAMPLE_Y];
  const int nsp = (int)p->nsp, off = 3 - nsp;
  MlcSamplePlane pl = {{1, 1, 1}, (int)p->mode, (int)p->padding, p->align_corners != 0};
  int64_t inpix = 1, npts = 1;
  for (int s = 0; s < nsp; s++) {
    pl.dims[off + s] = p->in_sp[s];
    inpix *= p->in_sp[s];
    npts *= p->out_sp[s];
  }
  for (int64_t n = 0; n < p->n; n++)
    for (int64_t q = 0; q < npts; q++) {
      /* the grid lists coordinates innermost dim first */
      const float *g = grid + (n * npts + q) * nsp;
      double pos[3] = {0, 0, 0};
      for (int s = 0; s < nsp; s++) pos[off + s] = mlc_rt_grid_pos(&pl, off + s, g[nsp - 1 - s]);
      for (int64_t c = 0; c < p->c; c++)
        y[(n * p->c + c) * npts + q] = (float)mlc_rt_sample(x + (n * p->c + c) * inpix, &pl, pos);
    }
}

/* ---- AffineGrid ------------------------------------------------------------ */

void mlc_rt_affinegrid_f32(const void *params, void *const *io) {
  const MlcAffineGrid *p = (const MlcAffineGrid *)params;
  const float *theta = (const float *)io[MLC_AFFINEGRID_THETA];
  float *y = (float *)io[MLC_AFFINEGRID_Y];
  const int nsp = (int)p->nsp;
  int64_t npts = 1;
  for (int s = 0; s < nsp; s++) npts *= p->sp[s];
  for (int64_t n = 0; n < p->n; n++) {
    const float *th = theta + n * nsp * (nsp + 1);
    for (int64_t q = 0; q < npts; q++) {
      /* base[k]: the normalized coordinate along the k-th innermost dim */
      double base[MLC_RT_MAX_SP + 1];
      int64_t r = q;
      for (int s = nsp - 1; s >= 0; s--) {
        int64_t len = p->sp[s], i = r % len;
        r /= len;
        double step =
            p->align_corners ? (len > 1 ? 2.0 / (double)(len - 1) : 0) : 2.0 / (double)len;
        base[nsp - 1 - s] =
            p->align_corners ? -1 + (double)i * step : -1 + step / 2 + (double)i * step;
      }
      base[nsp] = 1;
      float *out = y + (n * npts + q) * nsp;
      for (int j = 0; j < nsp; j++) {
        double acc = 0;
        for (int k = 0; k <= nsp; k++) acc += (double)th[j * (nsp + 1) + k] * base[k];
        out[j] = (float)acc;
      }
    }
  }
}

/* ---- DeformConv ------------------------------------------------------------ */

/* the sampled im2col matrix of image n, group gi: row (c, k), column pixel */
static void deform_columns(const MlcDeformConv *p, const float *x, const float *offset,
                           const float *mask, int64_t n, int64_t gi, float *col) {
  const int nsp = (int)p->nsp, off = 3 - nsp;
  MlcSamplePlane pl = {{1, 1, 1}, MLC_SAMPLE_LINEAR, MLC_SAMPLE_ZEROS, 1};
  int64_t kd[3] = {1, 1, 1}, od[3] = {1, 1, 1}, inpix = 1, npix = 1, kvol = 1;
  for (int s = 0; s < nsp; s++) {
    pl.dims[off + s] = p->in_sp[s];
    kd[off + s] = p->k[s];
    od[off + s] = p->out_sp[s];
    inpix *= p->in_sp[s];
    npix *= p->out_sp[s];
    kvol *= p->k[s];
  }
  const int64_t cg = p->c / p->group, per_og = p->c / p->offset_group;
  for (int64_t ci = 0; ci < cg; ci++) {
    int64_t c = gi * cg + ci, og = c / per_og;
    const float *plane = x + (n * p->c + c) * inpix;
    const float *ofs = offset + (n * p->offset_group + og) * kvol * nsp * npix;
    const float *msk = mask ? mask + (n * p->offset_group + og) * kvol * npix : NULL;
    for (int64_t k = 0; k < kvol; k++) {
      int64_t kk[3] = {k / (kd[1] * kd[2]), k / kd[2] % kd[1], k % kd[2]};
      float *row = col + (ci * kvol + k) * npix;
      for (int64_t q = 0; q < npix; q++) {
        int64_t oq[3] = {q / (od[1] * od[2]), q / od[2] % od[1], q % od[2]};
        double pos[3] = {0, 0, 0};
        for (int s = 0; s < nsp; s++) {
          int d = off + s;
          pos[d] = (double)(oq[d] * p->stride[s] - p->pad_begin[s] + kk[d] * p->dil[s]) +
                   ofs[(k * nsp + s) * npix + q];
        }
        double v = mlc_rt_sample(plane, &pl, pos);
        row[q] = (float)(msk ? v * msk[k * npix + q] : v);
      }
    }
  }
}

void mlc_rt_deformconv_f32(const void *params, void *const *io) {
  const MlcDeformConv *p = (const MlcDeformConv *)params;
  const float *x = (const float *)io[MLC_DEFORMCONV_X];
  const float *w = (const float *)io[MLC_DEFORMCONV_W];
  const float *offset = (const float *)io[MLC_DEFORMCONV_OFFSET];
  const float *bias = p->has_bias ? (const float *)io[MLC_DEFORMCONV_BIAS] : NULL;
  const float *mask = p->has_mask ? (const float *)io[MLC_DEFORMCONV_MASK] : NULL;
  float *y = (float *)io[MLC_DEFORMCONV_Y], *col = (float *)io[MLC_DEFORMCONV_SCRATCH];
  int64_t npix = 1, kvol = 1;
  for (int s = 0; s < p->nsp; s++) {
    npix *= p->out_sp[s];
    kvol *= p->k[s];
  }
  const int64_t cg = p->c / p->group, mg = p->m / p->group;
  /* y_g = w_g (mg x cg*kvol) times the columns, plus the bias per row */
  MlcGemm gp = {
      .m = mg, .n = npix, .k = cg * kvol, .alpha = 1, .beta = 1, .has_c = bias != NULL, .c_rs = 1};
  float *gemm_scratch = col ? col + cg * kvol * npix : NULL; /* NULL: nothing at all */
  for (int64_t n = 0; n < p->n; n++)
    for (int64_t gi = 0; gi < p->group; gi++) {
      deform_columns(p, x, offset, mask, n, gi, col);
      void *gio[MLC_GEMM_NIO] = {[MLC_GEMM_A] = (void *)(w + gi * mg * cg * kvol),
                                 [MLC_GEMM_B] = col,
                                 [MLC_GEMM_C] = bias ? (void *)(bias + gi * mg) : NULL,
                                 [MLC_GEMM_Y] = y + (n * p->m + gi * mg) * npix,
                                 [MLC_GEMM_SCRATCH] = gemm_scratch};
      mlc_rt_gemm_f32(&gp, gio);
    }
}

/* ---- RoiAlign -------------------------------------------------------------- */

/* Bilinear taps of one sample at (yy, xx): flat positions and weights, all
 * zero for a sample more than a pixel outside */
static void roi_taps(const MlcRoiAlign *p, double yy, double xx, int64_t *pos, double *w) {
  const int64_t h = p->h, wd = p->w;
  if (yy < -1.0 || yy > (double)h || xx < -1.0 || xx > (double)wd || yy != yy || xx != xx) {
    memset(pos, 0, 4 * sizeof *pos);
    memset(w, 0, 4 * sizeof *w);
    return;
  }
  if (yy < 0) yy = 0;
  if (xx < 0) xx = 0;
  int64_t y0 = (int64_t)yy, x0 = (int64_t)xx, y1, x1;
  if (y0 >= h - 1) {
    y0 = y1 = h - 1;
    yy = (double)y0;
  } else {
    y1 = y0 + 1;
  }
  if (x0 >= wd - 1) {
    x0 = x1 = wd - 1;
    xx = (double)x0;
  } else {
    x1 = x0 + 1;
  }
  double ly = yy - (double)y0, lx = xx - (double)x0, hy = 1 - ly, hx = 1 - lx;
  pos[0] = y0 * wd + x0;
  pos[1] = y0 * wd + x1;
  pos[2] = y1 * wd + x0;
  pos[3] = y1 * wd + x1;
  w[0] = hy * hx;
  w[1] = hy * lx;
  w[2] = ly * hx;
  w[3] = ly * lx;
}

/* beyond any real box; keeps the product of two grids far from overflow */
#define ROI_MAX_GRID ((int64_t)1 << 20)

/* samples per bin along one dim: the ratio, else ceil(extent / bins), kept
 * within what the input could ever need */
static int64_t roi_grid(const MlcRoiAlign *p, double extent, int64_t bins) {
  if (p->sampling_ratio > 0) return p->sampling_ratio;
  double g = ceil(extent / (double)bins);
  if (!(g > 0)) return 0;
  return g > (double)ROI_MAX_GRID ? ROI_MAX_GRID : (int64_t)g;
}

void mlc_rt_roialign_f32(const void *params, void *const *io) {
  const MlcRoiAlign *p = (const MlcRoiAlign *)params;
  const float *x = (const float *)io[MLC_ROIALIGN_X];
  const float *rois = (const float *)io[MLC_ROIALIGN_ROIS];
  const int64_t *bidx = (const int64_t *)io[MLC_ROIALIGN_BATCH_INDICES];
  float *y = (float *)io[MLC_ROIALIGN_Y];
  const int64_t oh = p->out_h, ow = p->out_w, plane = p->h * p->w;
  const double off = p->half_pixel ? 0.5 : 0.0, sc = p->spatial_scale;
  for (int64_t r = 0; r < p->nrois; r++) {
    float *yr = y + r * p->c * oh * ow;
    int64_t b = bidx[r];
    if (b < 0 || b >= p->n || plane == 0) {
      memset(yr, 0, (size_t)(p->c * oh * ow) * sizeof *yr);
      continue;
    }
    const float *roi = rois + r * 4;
    double x1 = roi[0] * sc - off, y1 = roi[1] * sc - off;
    double rw = roi[2] * sc - off - x1, rh = roi[3] * sc - off - y1;
    if (!p->half_pixel) {
      /* malformed boxes become 1 x 1 */
      if (!(rw > 1)) rw = 1;
      if (!(rh > 1)) rh = 1;
    }
    double bh = rh / (double)oh, bw = rw / (double)ow;
    int64_t gh = roi_grid(p, rh, oh), gw = roi_grid(p, rw, ow);
    double count = gh * gw > 1 ? (double)(gh * gw) : 1;
    for (int64_t c = 0; c < p->c; c++) {
      const float *xp = x + (b * p->c + c) * plane;
      for (int64_t ph = 0; ph < oh; ph++)
        for (int64_t pw = 0; pw < ow; pw++) {
          double acc = 0;
          int any = 0;
          for (int64_t iy = 0; iy < gh; iy++) {
            double yy = y1 + (double)ph * bh + ((double)iy + 0.5) * bh / (double)gh;
            for (int64_t ix = 0; ix < gw; ix++) {
              double xx = x1 + (double)pw * bw + ((double)ix + 0.5) * bw / (double)gw;
              int64_t pos[4];
              double w[4];
              roi_taps(p, yy, xx, pos, w);
              if (!p->max_mode) {
                for (int t = 0; t < 4; t++) acc += w[t] * xp[pos[t]];
                continue;
              }
              for (int t = 0; t < 4; t++) {
                double v = w[t] * xp[pos[t]];
                if (!any || v > acc) acc = v;
                any = 1;
              }
            }
          }
          yr[(c * oh + ph) * ow + pw] = (float)(p->max_mode ? acc : acc / count);
        }
    }
  }
}
