/* Scatter-style image kernels: Col2Im, ConvTranspose, MaxUnpool, MaxRoiPool
 * and NonMaxSuppression.
 *
 * Col2Im and ConvTranspose share one scatter-add: a column matrix whose
 * rows are kernel taps (k...) and whose columns are block positions
 * (cols...) is added into an image at pixel col * stride - pad_begin +
 * k * dil, skipping pixels outside it. Like the pools, shapes are handled as
 * 3-D with leading dims of 1, and each run along the innermost dim is
 * computed (not tested tap by tap). ConvTranspose is then one GEMM per image
 * and group, W_g^T (m/group * k-volume x c/group) times the image's input
 * channels (c/group x pixels), through the runtime's GEMM kernel into the
 * scratch, followed by that scatter of each output channel's rows onto its
 * bias.
 *
 * MaxUnpool copies items of any type (bytes); indices that fall outside the
 * tensor skip. NonMaxSuppression works in float, as the reference does, so
 * boxes at the IoU threshold fall the same way; its sort is an in-place heap
 * sort of candidate indices in the scratch, so no order depends on the
 * platform's qsort.
 */
#include <math.h>
#include <string.h>

#include "mlc_rt.h"

/* ---- the column scatter --------------------------------------------------- */

/* The window geometry of mlc_rt_nn.h (MlcWindowGeo), its input dims the
 * image's and its output dims the column grid's: the column of grid place
 * b and tap k reads (writes back to) image place b * s - pb + k * d. */

/* y (one image) += the column matrix of one plane */
static void col2im_plane(const float *col, float *y, const MlcWindowGeo *g) {
  const int64_t ncols = g->out[0] * g->out[1] * g->out[2];
  int64_t lo, hi;
  for (int64_t kz = 0; kz < g->k[0]; kz++)
    for (int64_t ky = 0; ky < g->k[1]; ky++)
      for (int64_t kx = 0; kx < g->k[2]; kx++) {
        const float *row = col + ((kz * g->k[1] + ky) * g->k[2] + kx) * ncols;
        int64_t x0 = kx * g->d[2] - g->pb[2];
        mlc_rt_steps_in(x0, g->out[2], g->s[2], 0, g->in[2], &lo, &hi);
        for (int64_t bz = 0; bz < g->out[0]; bz++) {
          int64_t iz = bz * g->s[0] - g->pb[0] + kz * g->d[0];
          if (iz < 0 || iz >= g->in[0]) continue;
          for (int64_t by = 0; by < g->out[1]; by++) {
            int64_t iy = by * g->s[1] - g->pb[1] + ky * g->d[1];
            if (iy < 0 || iy >= g->in[1]) continue;
            float *yr = y + (iz * g->in[1] + iy) * g->in[2];
            const float *cr = row + (bz * g->out[1] + by) * g->out[2];
            for (int64_t bx = lo; bx < hi; bx++) yr[x0 + bx * g->s[2]] += cr[bx];
          }
        }
      }
}

void mlc_rt_col2im_f32(const void *params, void *const *io) {
  const MlcCol2Im *p = (const MlcCol2Im *)params;
  const float *col = (const float *)io[MLC_COL2IM_COLS];
  float *y = (float *)io[MLC_COL2IM_Y];
  MlcWindowGeo g;
  mlc_rt_window_geo(p->nsp, p->img, p->cols, p->k, p->stride, p->dil, p->pad_begin, NULL, &g);
  const int64_t imgpix = g.in[0] * g.in[1] * g.in[2];
  const int64_t colsize = g.k[0] * g.k[1] * g.k[2] * g.out[0] * g.out[1] * g.out[2];
  memset(y, 0, (size_t)(p->planes * imgpix) * sizeof *y);
  for (int64_t i = 0; i < p->planes; i++) col2im_plane(col + i * colsize, y + i * imgpix, &g);
}

void mlc_rt_convtranspose_f32(const void *params, void *const *io) {
  const MlcConv *p = (const MlcConv *)params;
  const float *x = (const float *)io[MLC_CONVTRANSPOSE_X];
  const float *w = (const float *)io[MLC_CONVTRANSPOSE_W];
  const float *bias = p->has_bias ? (const float *)io[MLC_CONVTRANSPOSE_BIAS] : NULL;
  float *y = (float *)io[MLC_CONVTRANSPOSE_Y], *col = (float *)io[MLC_CONVTRANSPOSE_SCRATCH];
  MlcWindowGeo g;
  mlc_rt_window_geo(p->nsp, p->out_sp, p->in_sp, p->k, p->stride, p->dil, p->pad_begin, NULL, &g);
  const int64_t kvol = g.k[0] * g.k[1] * g.k[2];
  const int64_t inpix = g.out[0] * g.out[1] * g.out[2];
  const int64_t outpix = g.in[0] * g.in[1] * g.in[2];
  const int64_t cg = p->c / p->group, mg = p->m / p->group;
  /* col (mg*kvol x inpix) = W_g^T x_g: W_g is cg x mg*kvol, row-major */
  MlcGemm gp = {.m = mg * kvol, .n = inpix, .k = cg, .trans_a = 1, .alpha = 1};
  float *gemm_scratch = col ? col + mg * kvol * inpix : NULL; /* NULL: nothing at all */
  for (int64_t n = 0; n < p->n; n++)
    for (int64_t gi = 0; gi < p->group; gi++) {
      void *gio[MLC_GEMM_NIO] = {[MLC_GEMM_A] = (void *)(w + gi * cg * mg * kvol),
                                 [MLC_GEMM_B] = (void *)(x + (n * p->c + gi * cg) * inpix),
                                 [MLC_GEMM_Y] = col,
                                 [MLC_GEMM_SCRATCH] = gemm_scratch};
      mlc_rt_gemm_f32(&gp, gio);
      for (int64_t mi = 0; mi < mg; mi++) {
        int64_t oc = gi * mg + mi;
        float *yp = y + (n * p->m + oc) * outpix, b = bias ? bias[oc] : 0;
        for (int64_t i = 0; i < outpix; i++) yp[i] = b;
        col2im_plane(col + mi * kvol * inpix, yp, &g);
      }
    }
}

/* ---- MaxUnpool ------------------------------------------------------------- */

void mlc_rt_maxunpool(const void *params, void *const *io) {
  const MlcMaxUnpool *p = (const MlcMaxUnpool *)params;
  const char *x = (const char *)io[MLC_MAXUNPOOL_X];
  const int64_t *ind = (const int64_t *)io[MLC_MAXUNPOOL_INDICES];
  char *y = (char *)io[MLC_MAXUNPOOL_Y];
  const int r = (int)p->rank;
  int64_t in_count = 1, out_count = 1;
  for (int d = 0; d < r; d++) {
    in_count *= p->in_dims[d];
    out_count *= p->out_dims[d];
  }
  memset(y, 0, (size_t)(out_count * p->elem));
  for (int64_t i = 0; i < p->count; i++) {
    int64_t at = ind[i], dst = 0, stride = 1;
    if (at < 0 || at >= in_count) continue;
    /* the position in the inferred shape, placed in the output's */
    int d;
    for (d = r - 1; d >= 0; d--) {
      int64_t c = at % p->in_dims[d];
      at /= p->in_dims[d];
      if (c >= p->out_dims[d]) break;
      dst += c * stride;
      stride *= p->out_dims[d];
    }
    if (d < 0) memcpy(y + dst * p->elem, x + i * p->elem, (size_t)p->elem);
  }
}

/* ---- MaxRoiPool ------------------------------------------------------------- */

/* round half away from zero, to an index; NaN and huge values far outside */
static int64_t round_index(double v) {
  const double far = (double)((int64_t)1 << 40);
  if (!(v > -far)) return -((int64_t)1 << 40);
  if (v > far) return (int64_t)1 << 40;
  return (int64_t)(v < 0 ? ceil(v - 0.5) : floor(v + 0.5));
}

static int64_t clamp_to(int64_t v, int64_t n) { return v < 0 ? 0 : (v > n ? n : v); }

void mlc_rt_maxroipool_f32(const void *params, void *const *io) {
  const MlcMaxRoiPool *p = (const MlcMaxRoiPool *)params;
  const float *x = (const float *)io[MLC_MAXROIPOOL_X];
  const float *rois = (const float *)io[MLC_MAXROIPOOL_ROIS];
  float *y = (float *)io[MLC_MAXROIPOOL_Y];
  const int64_t oh = p->out_h, ow = p->out_w, plane = p->h * p->w;
  for (int64_t r = 0; r < p->nrois; r++) {
    const float *roi = rois + r * 5;
    float *yr = y + r * p->c * oh * ow;
    int64_t b = round_index(roi[0]);
    if (b < 0 || b >= p->n) {
      memset(yr, 0, (size_t)(p->c * oh * ow) * sizeof *yr);
      continue;
    }
    int64_t x1 = round_index(roi[1] * p->spatial_scale);
    int64_t y1 = round_index(roi[2] * p->spatial_scale);
    int64_t x2 = round_index(roi[3] * p->spatial_scale);
    int64_t y2 = round_index(roi[4] * p->spatial_scale);
    int64_t rh = y2 - y1 + 1 > 1 ? y2 - y1 + 1 : 1, rw = x2 - x1 + 1 > 1 ? x2 - x1 + 1 : 1;
    double bh = (double)rh / (double)oh, bw = (double)rw / (double)ow;
    for (int64_t ph = 0; ph < oh; ph++)
      for (int64_t pw = 0; pw < ow; pw++) {
        int64_t hs = clamp_to((int64_t)floor((double)ph * bh) + y1, p->h);
        int64_t he = clamp_to((int64_t)ceil((double)(ph + 1) * bh) + y1, p->h);
        int64_t ws = clamp_to((int64_t)floor((double)pw * bw) + x1, p->w);
        int64_t we = clamp_to((int64_t)ceil((double)(pw + 1) * bw) + x1, p->w);
        for (int64_t c = 0; c < p->c; c++) {
          const float *xp = x + (b * p->c + c) * plane;
          float m = 0;
          int empty = 1;
          for (int64_t i = hs; i < he; i++)
            for (int64_t j = ws; j < we; j++)
              if (empty || xp[i * p->w + j] > m) {
                m = xp[i * p->w + j];
                empty = 0;
              }
          yr[(c * oh + ph) * ow + pw] = m;
        }
      }
  }
}

/* ---- NonMaxSuppression ------------------------------------------------------ */

/* candidate a is taken before b: higher score, then lower index */
static int nms_before(const float *sc, int64_t a, int64_t b) {
  return sc[a] > sc[b] || (sc[a] == sc[b] && a < b);
}

static void nms_sift(int64_t *h, int64_t i, int64_t n, const float *sc) {
  for (;;) {
    int64_t c = 2 * i + 1, t;
    if (c >= n) return;
    if (c + 1 < n && nms_before(sc, h[c], h[c + 1])) c++;
    if (!nms_before(sc, h[i], h[c])) return;
    t = h[i];
    h[i] = h[c];
    h[c] = t;
    i = c;
  }
}

/* h[0..n) in taking order */
static void nms_sort(int64_t *h, int64_t n, const float *sc) {
  for (int64_t i = n / 2; i-- > 0;) nms_sift(h, i, n, sc);
  for (int64_t e = n - 1; e > 0; e--) {
    int64_t t = h[0];
    h[0] = h[e];
    h[e] = t;
    nms_sift(h, 0, e, sc);
  }
}

/* a box's extent along one axis from two corners, or centre and size */
static void nms_span(const float *b, int axis, int center, float *lo, float *hi) {
  if (center) {
    float half = b[2 + axis] / 2;
    *lo = b[axis] - half;
    *hi = b[axis] + half;
  } else {
    float u = b[axis], v = b[2 + axis];
    *lo = u < v ? u : v;
    *hi = u < v ? v : u;
  }
}

static int nms_suppress(const float *a, const float *b, int center, float thr) {
  /* corner boxes are [y1, x1, y2, x2]; centre boxes [xc, yc, w, h] */
  float alo[2], ahi[2], blo[2], bhi[2], ilo[2], ihi[2];
  for (int k = 0; k < 2; k++) {
    int axis = center ? k : 1 - k; /* k = 0: x, k = 1: y */
    nms_span(a, axis, center, &alo[k], &ahi[k]);
    nms_span(b, axis, center, &blo[k], &bhi[k]);
    ilo[k] = alo[k] > blo[k] ? alo[k] : blo[k];
    ihi[k] = ahi[k] < bhi[k] ? ahi[k] : bhi[k];
    if (ihi[k] <= ilo[k]) return 0;
  }
  float inter = (ihi[0] - ilo[0]) * (ihi[1] - ilo[1]);
  float area_a = (ahi[0] - alo[0]) * (ahi[1] - alo[1]);
  float area_b = (bhi[0] - blo[0]) * (bhi[1] - blo[1]);
  float uni = area_a + area_b - inter;
  if (inter <= 0 || area_a <= 0 || area_b <= 0 || uni <= 0) return 0;
  return inter / uni > thr;
}

void mlc_rt_nms_f32(const void *params, void *const *io) {
  const MlcNms *p = (const MlcNms *)params;
  const float *boxes = (const float *)io[MLC_NMS_BOXES];
  const float *scores = (const float *)io[MLC_NMS_SCORES];
  const int64_t *max_out = (const int64_t *)io[MLC_NMS_MAX_OUT];
  const float *iou = (const float *)io[MLC_NMS_IOU], *score_thr = (const float *)io[MLC_NMS_SCORE];
  int64_t *sel = (int64_t *)io[MLC_NMS_SELECTED], *count = (int64_t *)io[MLC_NMS_COUNT];
  int64_t *cand = (int64_t *)io[MLC_NMS_SCRATCH], *kept = cand + p->boxes;
  int64_t most = max_out && *max_out > 0 ? *max_out : 0, out = 0;
  float thr = iou ? *iou : 0;
  const int center = p->center_point_box != 0;
  for (int64_t b = 0; b < p->batches; b++)
    for (int64_t cl = 0; cl < p->classes; cl++) {
      const float *sc = scores + (b * p->classes + cl) * p->boxes;
      const float *bx = boxes + b * p->boxes * 4;
      int64_t nc = 0, nk = 0;
      for (int64_t i = 0; i < p->boxes; i++)
        if (!score_thr || sc[i] > *score_thr) cand[nc++] = i;
      nms_sort(cand, nc, sc);
      for (int64_t j = 0; j < nc && nk < most; j++) {
        int64_t i = cand[j], k;
        for (k = 0; k < nk; k++)
          if (nms_suppress(bx + i * 4, bx + kept[k] * 4, center, thr)) break;
        if (k < nk) continue;
        kept[nk++] = i;
        if (out < p->cap) {
          sel[out * 3] = b;
          sel[out * 3 + 1] = cl;
          sel[out * 3 + 2] = i;
          out++;
        }
      }
    }
  *count = out;
}
