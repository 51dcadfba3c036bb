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

#ifdef __cplusplus
}
#endif
#endif /* MLC_RT_IMAGE_H */
