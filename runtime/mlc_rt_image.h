/* mlc runtime, family image. Image ops: Resize (image_resize.c); sampling at
 * computed positions: GridSample, AffineGrid, DeformConv, RoiAlign
 * (image_sample.c); the scatter-style kernels Col2Im, ConvTranspose,
 * MaxUnpool, MaxRoiPool and NonMaxSuppression (image.c).
 *
 * Parameter structs (S) and kernels (K, io in order: inputs, then
 * outputs); mlc_rt.h gathers every family's lists. */
#ifndef MLC_RT_IMAGE_H
#define MLC_RT_IMAGE_H

#include "mlc_rt_core.h"
#include "mlc_rt_nn.h"

#define MLC_RT_PARAMS_IMAGE(S, I, D, IA, DA)                                  \
  /* one axis of Resize over [outer, in_len, inner] -> [outer, out_len,       \
     inner]: output row l is sum_t w[l*taps+t] * input row idx[l*taps+t],     \
     or extrap where idx[l*taps] is -1. Elements are float, or double         \
     where in_f64 / out_f64; sums in double */                                \
  S(MlcResize, I(outer) I(in_len) I(out_len) I(inner) I(taps) I(in_f64)       \
               I(out_f64) D(extrap))                                          \
  /* GridSample of n x c planes of dims in_sp at the grid's points (dims      \
     out_sp, nsp coordinates each, innermost dim first); mode 0 nearest,      \
     1 linear, 2 cubic; padding 0 zeros, 1 border, 2 reflection */            \
  S(MlcGridSample, I(n) I(c) I(nsp) IA(in_sp, MLC_RT_MAX_SP)                  \
                   IA(out_sp, MLC_RT_MAX_SP) I(mode) I(padding)               \
                   I(align_corners))                                          \
  /* AffineGrid: n grids of dims sp (nsp of them), each point theta times     \
     its normalized coordinates (innermost dim first) and 1 */                \
  S(MlcAffineGrid, I(n) I(nsp) IA(sp, MLC_RT_MAX_SP) I(align_corners))        \
  /* Col2Im of planes column blocks [k..., cols...] into images img; an       \
     image pixel is col * stride - pad_begin + k * dil */                     \
  S(MlcCol2Im, I(planes) I(nsp) IA(img, MLC_RT_MAX_SP)                        \
               IA(cols, MLC_RT_MAX_SP) IA(k, MLC_RT_MAX_SP)                   \
               IA(stride, MLC_RT_MAX_SP) IA(dil, MLC_RT_MAX_SP)               \
               IA(pad_begin, MLC_RT_MAX_SP))                                  \
  /* DeformConv: Conv whose taps sample x bilinearly at offsets (and times    \
     a mask); offset_group channel groups share offsets */                    \
  S(MlcDeformConv, I(n) I(c) I(m) I(group) I(offset_group) I(nsp)             \
                   IA(in_sp, MLC_RT_MAX_SP) IA(out_sp, MLC_RT_MAX_SP)         \
                   IA(k, MLC_RT_MAX_SP) IA(stride, MLC_RT_MAX_SP)             \
                   IA(dil, MLC_RT_MAX_SP) IA(pad_begin, MLC_RT_MAX_SP)        \
                   I(has_bias) I(has_mask))                                   \
  /* RoiAlign of n x c x h x w at nrois boxes [x1, y1, x2, y2]; batch         \
     indices out of range give zeros */                                       \
  S(MlcRoiAlign, I(n) I(c) I(h) I(w) I(nrois) I(out_h) I(out_w)               \
                 I(sampling_ratio) D(spatial_scale) I(half_pixel)             \
                 I(max_mode))                                                 \
  /* MaxRoiPool at nrois boxes [batch, x1, y1, x2, y2]; bad batch: zeros */   \
  S(MlcMaxRoiPool, I(n) I(c) I(h) I(w) I(nrois) I(out_h) I(out_w)             \
                   D(spatial_scale))                                          \
  /* MaxUnpool: count items of elem bytes scattered to flat indices of a      \
     tensor of dims in_dims, which lies at the origin of the zeroed output    \
     of dims out_dims; indices outside either are skipped */                  \
  S(MlcMaxUnpool, I(rank) I(count) I(elem) IA(in_dims, MLC_RT_MAX_RANK)       \
                  IA(out_dims, MLC_RT_MAX_RANK))                              \
  /* NonMaxSuppression of batches x boxes boxes and batches x classes x       \
     boxes scores; at most cap triples are written */                         \
  S(MlcNms, I(batches) I(classes) I(boxes) I(center_point_box) I(cap))

#define MLC_RT_KERNELS_IMAGE(K)                                               \
  K(resize, MlcResize)         /* io: x, idx (int64), w (double), y */        \
  K(gridsample_f32, MlcGridSample) /* io: x, grid, y */                       \
  K(affinegrid_f32, MlcAffineGrid) /* io: theta, y */                         \
  K(col2im_f32, MlcCol2Im)     /* io: cols, y */                              \
  /* ConvTranspose, W [c, m / group, k...]; scratch: m / group * k-volume     \
     * input pixels floats, then mlc_rt_gemm_scratch() of that product */     \
  K(convtranspose_f32, MlcConv) /* io: x, w, bias|NULL, y, scratch */         \
  /* scratch: c / group * k-volume * output pixels floats, then               \
     mlc_rt_gemm_scratch() of the product */                                  \
  K(deformconv_f32, MlcDeformConv) /* io: x, w, offset, bias|NULL,            \
                                      mask|NULL, y, scratch */                \
  K(roialign_f32, MlcRoiAlign) /* io: x, rois, batch_indices (int64), y */    \
  K(maxroipool_f32, MlcMaxRoiPool) /* io: x, rois, y */                       \
  K(maxunpool, MlcMaxUnpool)   /* io: x, indices (int64), y */                \
  /* max_out: int64, iou and score: float, one value each; selected:          \
     int64 [cap, 3]; count: int64 [1]; scratch: 2 * boxes int64 */            \
  K(nms_f32, MlcNms)           /* io: boxes, scores, max_out|NULL,            \
                                  iou|NULL, score|NULL, selected, count,      \
                                  scratch */

#ifdef __cplusplus
extern "C" {
#endif

MLC_RT_DECLARE(MLC_RT_PARAMS_IMAGE, MLC_RT_KERNELS_IMAGE)

/* io slots: where each kernel finds its tensors in io[] (the lowering
 * fills them by these names, the kernel reads them by these names) */
/* resize */
enum { MLC_RESIZE_X, MLC_RESIZE_IDX, MLC_RESIZE_W, MLC_RESIZE_Y,
       MLC_RESIZE_NIO };
/* gridsample_f32 */
enum { MLC_GRIDSAMPLE_X, MLC_GRIDSAMPLE_GRID, MLC_GRIDSAMPLE_Y,
       MLC_GRIDSAMPLE_NIO };
/* affinegrid_f32 */
enum { MLC_AFFINEGRID_THETA, MLC_AFFINEGRID_Y, MLC_AFFINEGRID_NIO };
/* col2im_f32 */
enum { MLC_COL2IM_COLS, MLC_COL2IM_Y, MLC_COL2IM_NIO };
/* convtranspose_f32 */
enum { MLC_CONVTRANSPOSE_X, MLC_CONVTRANSPOSE_W, MLC_CONVTRANSPOSE_BIAS,
       MLC_CONVTRANSPOSE_Y, MLC_CONVTRANSPOSE_SCRATCH, MLC_CONVTRANSPOSE_NIO
       };
/* deformconv_f32 */
enum { MLC_DEFORMCONV_X, MLC_DEFORMCONV_W, MLC_DEFORMCONV_OFFSET,
       MLC_DEFORMCONV_BIAS, MLC_DEFORMCONV_MASK, MLC_DEFORMCONV_Y,
       MLC_DEFORMCONV_SCRATCH, MLC_DEFORMCONV_NIO };
/* roialign_f32 */
enum { MLC_ROIALIGN_X, MLC_ROIALIGN_ROIS, MLC_ROIALIGN_BATCH_INDICES,
       MLC_ROIALIGN_Y, MLC_ROIALIGN_NIO };
/* maxroipool_f32 */
enum { MLC_MAXROIPOOL_X, MLC_MAXROIPOOL_ROIS, MLC_MAXROIPOOL_Y,
       MLC_MAXROIPOOL_NIO };
/* maxunpool */
enum { MLC_MAXUNPOOL_X, MLC_MAXUNPOOL_INDICES, MLC_MAXUNPOOL_Y,
       MLC_MAXUNPOOL_NIO };
/* nms_f32 */
enum { MLC_NMS_BOXES, MLC_NMS_SCORES, MLC_NMS_MAX_OUT, MLC_NMS_IOU,
       MLC_NMS_SCORE, MLC_NMS_SELECTED, MLC_NMS_COUNT, MLC_NMS_SCRATCH,
       MLC_NMS_NIO };


/* ---- Resize's weighted sum, shared with the CUDA runtime (image_resize.c
 * says what the tables hold; the compiler computes every coordinate, tap
 * and weight, so the kernels only gather and add) ------------------------- */

/* acc + w * x, the product rounded on its own as the C expression is where
 * the host compiler does not fuse it (nvcc would) */
MLC_RT_SCALAR double mlc_rt_resize_madd(double acc, double w, double x) {
#if defined(__CUDA_ARCH__)
  return __dadd_rn(acc, __dmul_rn(w, x));
#else
  return acc + w * x;
#endif
}

/* sum_t wl[t] * xi[il[t] * inner] over taps >= 1 taps, in double, in tap
 * order; the first product starts the sum (0 + -0 would lose the sign).
 * xi points at the element's input row of the axis, already offset by its
 * inner index. One function per input type: float and double. */
#define MLC_RT__RESIZE_SUM(name, TI)                                          \
  MLC_RT_SCALAR double name(const TI *xi, const int64_t *il, const double *wl, \
                            int64_t taps, int64_t inner) {                    \
    double acc = wl[0] * (double)xi[il[0] * inner];                           \
    for (int64_t t = 1; t < taps; t++)                                        \
      acc = mlc_rt_resize_madd(acc, wl[t], (double)xi[il[t] * inner]);       \
    return acc;                                                               \
  }
MLC_RT__RESIZE_SUM(mlc_rt_resize_sum_f32, float)
MLC_RT__RESIZE_SUM(mlc_rt_resize_sum_f64, double)
#undef MLC_RT__RESIZE_SUM

/* output element (o, l, i) of [outer, out_len, inner]: extrap where the
 * position's first index is -1, else its weighted sum; the caller converts
 * it to the output type */
#define MLC_RT__RESIZE_AT(name, TI, SUM)                                      \
  MLC_RT_SCALAR double name(const MlcResize *p, const TI *x, const int64_t *idx, \
                            const double *w, int64_t o, int64_t l, int64_t i) { \
    const int64_t *il = idx + l * p->taps;                                    \
    if (il[0] < 0) return p->extrap;                                          \
    return SUM(x + o * p->in_len * p->inner + i, il, w + l * p->taps, p->taps, \
               p->inner);                                                     \
  }
MLC_RT__RESIZE_AT(mlc_rt_resize_at_f32, float, mlc_rt_resize_sum_f32)
MLC_RT__RESIZE_AT(mlc_rt_resize_at_f64, double, mlc_rt_resize_sum_f64)
#undef MLC_RT__RESIZE_AT

/* ---- the sampler of GridSample and DeformConv, shared with the CUDA
 * runtime (image_sample.c says what its rules follow) ---------------------- */

/* far outside any plane, and far from overflowing when offset a little */
#define MLC_RT_SAMPLE_FAR ((int64_t)1 << 40)
enum { MLC_SAMPLE_NEAREST, MLC_SAMPLE_LINEAR, MLC_SAMPLE_CUBIC };  /* MlcGridSample.mode */
enum { MLC_SAMPLE_ZEROS, MLC_SAMPLE_BORDER, MLC_SAMPLE_REFLECTION }; /* .padding */

/* a plane as 3-D, leading dims of 1 */
typedef struct MlcSamplePlane {
  int64_t dims[3];
  int mode, padding, align_corners;
} MlcSamplePlane;

/* a position to an index without C's undefined conversion: NaN and huge
 * values go far out of range */
MLC_RT_SCALAR int64_t mlc_rt_to_index(double x) {
  if (!(x > -(double)MLC_RT_SAMPLE_FAR)) return -MLC_RT_SAMPLE_FAR; /* NaN too */
  if (x > (double)MLC_RT_SAMPLE_FAR) return MLC_RT_SAMPLE_FAR;
  return (int64_t)x;
}

/* x reflected into [lo, hi] as often as it takes */
MLC_RT_SCALAR double mlc_rt_reflect(double x, double lo, double hi) {
  double rng = hi - lo;
  if (!(rng > 0) || !isfinite(x)) return lo;
  if (x < lo) {
    double dx = lo - x, n = floor(dx / rng), r = dx - n * rng;
    return fmod(n, 2.0) == 0 ? lo + r : hi - r;
  }
  if (x > hi) {
    double dx = x - hi, n = floor(dx / rng), r = dx - n * rng;
    return fmod(n, 2.0) == 0 ? hi - r : lo + r;
  }
  return x;
}

/* the borders that positions are clamped or reflected into */
MLC_RT_SCALAR void mlc_rt_sample_borders(const MlcSamplePlane *pl, int d, double *lo,
                                         double *hi) {
  *lo = pl->align_corners ? 0 : -0.5;
  *hi = (double)pl->dims[d] - (pl->align_corners ? 1 : 0.5);
}

/* a tap's index along dim d after padding, or -1 where it reads zero */
MLC_RT_SCALAR int64_t mlc_rt_sample_tap(const MlcSamplePlane *pl, int d, int64_t i) {
  int64_t n = pl->dims[d];
  if (i >= 0 && i < n) return i;
  if (pl->padding == MLC_SAMPLE_ZEROS || n == 0) return -1;
  if (pl->padding == MLC_SAMPLE_REFLECTION) {
    double lo, hi;
    mlc_rt_sample_borders(pl, d, &lo, &hi);
    i = mlc_rt_to_index(mlc_rt_reflect((double)i, lo, hi));
  }
  return i < 0 ? 0 : (i > n - 1 ? n - 1 : i);
}

MLC_RT_SCALAR void mlc_rt_cubic_coeffs(double t, double *c) {
  const double a = -0.75;
  double u = t + 1, v = 1 - t, w = 2 - t;
  c[0] = ((a * u - 5 * a) * u + 8 * a) * u - 4 * a;
  c[1] = ((a + 2) * t - (a + 3)) * t * t + 1;
  c[2] = ((a + 2) * v - (a + 3)) * v * v + 1;
  c[3] = ((a * w - 5 * a) * w + 8 * a) * w - 4 * a;
}

/* The value of plane p at pixel position x (3 coordinates, outermost first,
 * already adjusted for the border by the caller). */
MLC_RT_SCALAR double mlc_rt_sample(const float *p, const MlcSamplePlane *pl, const double *x) {
  int64_t idx[3][4];
  double w[3][4];
  int nt[3];
  for (int d = 0; d < 3; d++) {
    if (pl->mode == MLC_SAMPLE_NEAREST) {
      nt[d] = 1;
      idx[d][0] = mlc_rt_sample_tap(pl, d, mlc_rt_to_index(x[d]));
      w[d][0] = 1;
      continue;
    }
    double f = floor(x[d]);
    int64_t i0 = mlc_rt_to_index(f);
    double t = x[d] - f;
    if (pl->mode == MLC_SAMPLE_LINEAR) {
      nt[d] = 2;
      w[d][0] = 1 - t;
      w[d][1] = t;
    } else {
      nt[d] = 4;
      mlc_rt_cubic_coeffs(t, w[d]);
      i0--;
    }
    for (int k = 0; k < nt[d]; k++) idx[d][k] = mlc_rt_sample_tap(pl, d, i0 + k);
  }
  double acc = 0;
  for (int a = 0; a < nt[0]; a++) {
    if (idx[0][a] < 0) continue;
    for (int b = 0; b < nt[1]; b++) {
      if (idx[1][b] < 0) continue;
      const float *row = p + (idx[0][a] * pl->dims[1] + idx[1][b]) * pl->dims[2];
      double wab = w[0][a] * w[1][b];
      for (int c = 0; c < nt[2]; c++)
        if (idx[2][c] >= 0) acc += wab * w[2][c] * row[idx[2][c]];
    }
  }
  return acc;
}

/* GridSample's pixel position along dim d of grid coordinate u: the
 * unnormalizing in float, as the reference does (its product rounded on its
 * own: nvcc would otherwise fuse it with the subtraction, which C does not),
 * then clamped (border) or reflected (reflection) when outside */
MLC_RT_SCALAR double mlc_rt_grid_pos(const MlcSamplePlane *pl, int d, float u) {
  float fl = (float)pl->dims[d];
  double v, len = (double)pl->dims[d], lo, hi;
#if defined(__CUDA_ARCH__)
  u = pl->align_corners ? __fmul_rn((u + 1) / 2, fl - 1) : (__fmul_rn(u + 1, fl) - 1) / 2;
#else
  u = pl->align_corners ? (u + 1) / 2 * (fl - 1) : ((u + 1) * fl - 1) / 2;
#endif
  v = u;
  if (pl->mode == MLC_SAMPLE_NEAREST) v = nearbyint(v);
  mlc_rt_sample_borders(pl, d, &lo, &hi);
  if (v < lo || v > hi) {
    if (pl->padding == MLC_SAMPLE_BORDER)
      v = v < 0 ? 0 : (v > len - 1 ? len - 1 : v);
    else if (pl->padding == MLC_SAMPLE_REFLECTION)
      v = mlc_rt_reflect(v, lo, hi);
  }
  return v;
}

#ifdef __cplusplus
}
#endif
#endif /* MLC_RT_IMAGE_H */
