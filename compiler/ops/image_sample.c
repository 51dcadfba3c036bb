/* Convolution-like and sampling image ops: ConvTranspose, DeformConv,
 * Col2Im, GridSample, AffineGrid, RoiAlign, MaxRoiPool and
 * NonMaxSuppression.
 *
 * Each lowers to one float32 kernel call whose parameters carry the
 * resolved geometry; float16, bfloat16 and double tensors are cast to float
 * around it (op_image.h). Geometry is resolved once per op by a function
 * that inference and lowering share, after validating everything the kernel
 * relies on.
 *
 * ConvTranspose's output size and padding follow the spec's formulas: with
 * output_shape (or SAME auto_pad) the total padding is what makes the full
 * transposed convolution fit the requested size, split floor-wise as the
 * spec's Python does, so a negative total pads at the end. The kernel runs
 * one GEMM per image and group and scatters the columns (runtime/image.c);
 * its scratch holds the column matrix and the GEMM's packing buffer.
 *
 * NonMaxSuppression's output length depends on the data: mlc evaluates it at
 * compile time when every input is known (through the runtime's kernel) and
 * otherwise asks for the inputs' values.
 */
#include <math.h>
#include <string.h>

#include "diag.h"
#include "infer.h"
#include "ops.h"

/* products of dims this large are certainly mistakes */
#define MAX_ELEMS ((int64_t)1 << 40)

/* a * b, or node error when it exceeds MAX_ELEMS */
static int64_t mul_checked(const Node *n, int64_t a, int64_t b) {
  if (a && b > MAX_ELEMS / a) diag_node_fatal(n, "the %s is too large", n->op_type);
  return a * b;
}

/* the spatial dims of x (N x C x spatial), 1 to MLC_RT_MAX_SP of them */
static int spatial_rank(const Node *n, const Value *x) {
  if (x->rank < 3 || x->rank - 2 > MLC_RT_MAX_SP)
    diag_node_fatal(n, "input must be N x C x 1 to %d spatial dims, not rank %d", MLC_RT_MAX_SP,
                    x->rank);
  return x->rank - 2;
}

static int64_t floor_div2(int64_t v) { return v >= 0 ? v / 2 : -((-v + 1) / 2); }

/* ---- ConvTranspose --------------------------------------------------------- */

/* kernel_shape, when given, must agree with the weights */
static void kernel_dims(const Node *n, const Value *w, int nsp, int64_t *k) {
  image_ints_attr(n, "kernel_shape", nsp, 1, 1, k);
  for (int i = 0; i < nsp; i++) {
    if (ir_attr(n, "kernel_shape") && k[i] != w->dims[2 + i])
      diag_node_fatal(n, "kernel_shape[%d] is %lld but the weights have %lld", i, (long long)k[i],
                      (long long)w->dims[2 + i]);
    if (w->dims[2 + i] < 1 || w->dims[2 + i] >= OPS_MAX_WINDOW)
      diag_node_fatal(n, "weight spatial dim %d is %lld", i, (long long)w->dims[2 + i]);
    k[i] = w->dims[2 + i];
  }
}

/* strides, dilations, pads (begin then end) of nsp dims */
static void window_attrs(const Node *n, Window *t) {
  int64_t pads[2 * MLC_RT_MAX_SP];
  image_ints_attr(n, "strides", t->nsp, 1, 1, t->stride);
  image_ints_attr(n, "dilations", t->nsp, 1, 1, t->dil);
  image_ints_attr(n, "pads", 2 * t->nsp, 0, 0, pads);
  for (int i = 0; i < t->nsp; i++) {
    t->pb[i] = pads[i];
    t->pe[i] = pads[t->nsp + i];
  }
}

/* the output dims of a sliding window over `in` (Conv's rule) */
static void window_out(const Node *n, Window *t) {
  for (int i = 0; i < t->nsp; i++) {
    int64_t room = t->in[i] + t->pb[i] + t->pe[i] - ((t->k[i] - 1) * t->dil[i] + 1);
    if (room < 0)
      diag_node_fatal(n, "the window is larger than the padded input in spatial dim %d", i);
    t->out[i] = room / t->stride[i] + 1;
  }
}

/* channel counts: c inputs; m outputs; groups */
static void convt_geo(Graph *g, const Node *n, Window *t, int64_t *c, int64_t *m, int64_t *group) {
  const Value *x = n->in[0], *w = n->in[1], *b = n->nin > 2 ? n->in[2] : NULL;
  require_float(n, x, "input X");
  require_float(n, w, "weight W");
  require_float(n, b, "bias B");
  int nsp = t->nsp = spatial_rank(n, x);
  if (w->rank != x->rank)
    diag_node_fatal(n, "weight W has rank %d but input X has rank %d", w->rank, x->rank);
  *group = attr_i(n, "group", 1);
  *c = x->dims[1];
  if (*group < 1 || *group > *c || *c % *group)
    diag_node_fatal(n, "group is %lld; it must divide the %lld input channels", (long long)*group,
                    (long long)*c);
  if (w->dims[0] != *c)
    diag_node_fatal(n, "weight W has %lld input channels, X has %lld", (long long)w->dims[0],
                    (long long)*c);
  *m = mul_checked(n, w->dims[1], *group);
  if (b && (b->rank != 1 || b->dims[0] != *m))
    diag_node_fatal(n, "bias B has shape %s; it must be [%lld]", ir_shape_str(g->arena, b),
                    (long long)*m);
  kernel_dims(n, w, nsp, t->k);
  window_attrs(n, t);
  int64_t op[MLC_RT_MAX_SP], os[MLC_RT_MAX_SP + 2];
  image_ints_attr(n, "output_padding", nsp, 0, 0, op);
  const int64_t *given;
  int nos = attr_ints(n, "output_shape", &given);
  if (nos >= 0 && nos != nsp && nos != nsp + 2)
    diag_node_fatal(n, "output_shape has %d entries; the input has %d spatial dims", nos, nsp);
  if (nos >= 0) image_ints_attr(n, "output_shape", nos, 0, 0, os);
  const char *ap = attr_s(n, "auto_pad", "NOTSET");
  int upper = !strcmp(ap, "SAME_UPPER"), same = upper || !strcmp(ap, "SAME_LOWER");
  int valid = !strcmp(ap, "VALID");
  if (!same && !valid && strcmp(ap, "NOTSET")) diag_node_fatal(n, "unknown auto_pad '%s'", ap);
  for (int i = 0; i < nsp; i++) {
    int64_t in = t->in[i] = x->dims[2 + i];
    if (op[i] >= t->stride[i] && op[i] >= t->dil[i])
      diag_node_fatal(n,
                      "output_padding[%d] (%lld) must be smaller than the stride or "
                      "the dilation",
                      i, (long long)op[i]);
    /* every term below 2^62, the sum checked before it can overflow */
    int64_t stretched = mul_checked(n, t->stride[i], in ? in - 1 : 0);
    int64_t full = stretched + op[i] + mul_checked(n, t->k[i] - 1, t->dil[i]) + 1;
    if (nos >= 0 || same) {
      int64_t out = nos >= 0 ? os[nos - nsp + i] : mul_checked(n, in, t->stride[i]);
      int64_t total = full - out;
      t->pb[i] = upper ? floor_div2(total) : total - floor_div2(total);
      t->pe[i] = total - t->pb[i];
    } else if (valid) {
      t->pb[i] = t->pe[i] = 0;
    }
    t->out[i] = full - t->pb[i] - t->pe[i];
    if (t->out[i] < 0)
      diag_node_fatal(n, "the pads leave spatial dim %d of the output negative", i);
  }
}

static void nc_sp_shape(const Node *n, Value *y, int64_t batch, int64_t ch, const Window *t) {
  int64_t dims[IR_MAX_RANK] = {batch, ch};
  for (int i = 0; i < t->nsp; i++) dims[2 + i] = t->out[i];
  set_shape_checked(n, y, t->nsp + 2, dims);
}

void infer_ConvTranspose(Graph *g, Node *n) {
  Window t;
  int64_t c, m, group;
  convt_geo(g, n, &t, &c, &m, &group);
  nc_sp_shape(n, n->out[0], n->in[0]->dims[0], m, &t);
  n->out[0]->dtype = n->in[0]->dtype;
}

void lower_ConvTranspose(Graph *g, Node *n, Lowering *L) {
  Window t;
  int64_t c, m, group, kvol = 1, inpix = 1;
  convt_geo(g, n, &t, &c, &m, &group);
  Value *y;
  KCall *call = image_call(g, L, n, K_convtranspose_f32, MLC_CONVTRANSPOSE_Y, 0, &y);
  MlcConv *p = KC_PARAMS(call, MlcConv);
  p->n = n->in[0]->dims[0];
  p->c = c;
  p->m = m;
  p->group = group;
  WINDOW_PARAMS(p, &t);
  for (int i = 0; i < t.nsp; i++) {
    kvol *= t.k[i];
    inpix *= t.in[i];
  }
  p->has_bias = n->nin > 2 && n->in[2];
  int64_t rows = mul_checked(n, m / group, kvol);
  int64_t cols = mul_checked(n, rows, inpix);
  call->io[MLC_CONVTRANSPOSE_SCRATCH] =
      lower_scratch(g, cols + mlc_rt_gemm_scratch(rows, inpix, c / group));
  call->nio = MLC_CONVTRANSPOSE_NIO;
  lower_finish(g, L, y, n->out[0]);
}

/* ---- DeformConv ------------------------------------------------------------ */

static void deform_geo(Graph *g, const Node *n, Window *t, int64_t *group, int64_t *og) {
  const Value *x = n->in[0], *w = n->in[1], *off = n->in[2];
  const Value *b = n->nin > 3 ? n->in[3] : NULL, *mask = n->nin > 4 ? n->in[4] : NULL;
  static const char *names[5] = {"input X", "weight W", "offset", "bias B", "mask"};
  for (int i = 0; i < n->nin; i++) require_float(n, n->in[i], names[i]);
  int nsp = t->nsp = spatial_rank(n, x);
  if (w->rank != x->rank)
    diag_node_fatal(n, "weight W has rank %d but input X has rank %d", w->rank, x->rank);
  int64_t c = x->dims[1], m = w->dims[0];
  *group = attr_i(n, "group", 1);
  *og = attr_i(n, "offset_group", 1);
  if (*group < 1 || *group > c || c % *group || w->dims[1] * *group != c || m % *group)
    diag_node_fatal(n, "group %lld does not fit %lld input channels, weights %s", (long long)*group,
                    (long long)c, ir_shape_str(g->arena, w));
  if (*og < 1 || *og > c || c % *og)
    diag_node_fatal(n, "offset_group is %lld; it must divide the %lld input channels",
                    (long long)*og, (long long)c);
  if (b && (b->rank != 1 || b->dims[0] != m))
    diag_node_fatal(n, "bias B has shape %s; it must be [%lld]", ir_shape_str(g->arena, b),
                    (long long)m);
  kernel_dims(n, w, nsp, t->k);
  window_attrs(n, t);
  int64_t kvol = 1;
  for (int i = 0; i < nsp; i++) {
    t->in[i] = x->dims[2 + i];
    kvol *= t->k[i];
  }
  window_out(n, t);
  /* offset: [N, og * kvol * nsp, out...]; mask: [N, og * kvol, out...] */
  for (int which = 0; which < 2; which++) {
    const Value *v = which ? mask : off;
    if (!v) continue;
    int64_t want[IR_MAX_RANK] = {x->dims[0],
                                 mul_checked(n, mul_checked(n, *og, kvol), which ? 1 : nsp)};
    int ok = v->rank == x->rank;
    for (int i = 0; i < x->rank && ok; i++) ok = v->dims[i] == (i < 2 ? want[i] : t->out[i - 2]);
    if (!ok)
      diag_node_fatal(n, "%s has shape %s; expected %lld x %lld x the output's spatial dims",
                      names[which ? 4 : 2], ir_shape_str(g->arena, v), (long long)want[0],
                      (long long)want[1]);
  }
}

void infer_DeformConv(Graph *g, Node *n) {
  Window t;
  int64_t group, og;
  deform_geo(g, n, &t, &group, &og);
  nc_sp_shape(n, n->out[0], n->in[0]->dims[0], n->in[1]->dims[0], &t);
  n->out[0]->dtype = n->in[0]->dtype;
}

void lower_DeformConv(Graph *g, Node *n, Lowering *L) {
  Window t;
  int64_t group, og, kvol = 1, npix = 1;
  deform_geo(g, n, &t, &group, &og);
  Value *y;
  KCall *call = image_call(g, L, n, K_deformconv_f32, MLC_DEFORMCONV_Y, 0, &y);
  MlcDeformConv *p = KC_PARAMS(call, MlcDeformConv);
  p->n = n->in[0]->dims[0];
  p->c = n->in[0]->dims[1];
  p->m = n->in[1]->dims[0];
  p->group = group;
  p->offset_group = og;
  WINDOW_PARAMS(p, &t);
  for (int i = 0; i < t.nsp; i++) {
    kvol *= t.k[i];
    npix *= t.out[i];
  }
  p->has_bias = n->nin > 3 && n->in[3];
  p->has_mask = n->nin > 4 && n->in[4];
  int64_t rows = mul_checked(n, p->c / group, kvol), cols = mul_checked(n, rows, npix);
  call->io[MLC_DEFORMCONV_SCRATCH] =
      lower_scratch(g, cols + mlc_rt_gemm_scratch(p->m / group, npix, rows));
  call->nio = MLC_DEFORMCONV_NIO;
  lower_finish(g, L, y, n->out[0]);
}

/* ---- Col2Im --------------------------------------------------------------- */

/* input [N, C * prod(block), L] into [N, C, image...] */
static void col2im_geo(Graph *g, const Node *n, Window *t, int64_t *ch) {
  const Value *x = n->in[0];
  require_float(n, x, "input");
  int64_t img[IR_MAX_RANK], blk[IR_MAX_RANK];
  int ni = read_const_ints(n, 1, img, IR_MAX_RANK);
  int nb = read_const_ints(n, 2, blk, IR_MAX_RANK);
  if (ni != nb || ni < 1 || ni > MLC_RT_MAX_SP)
    diag_node_fatal(n,
                    "image_shape and block_shape must have one entry per spatial dim "
                    "(1 to %d), not %d and %d",
                    MLC_RT_MAX_SP, ni, nb);
  if (x->rank != 3)
    diag_node_fatal(n, "input must be 3-D [N, C * block size, blocks], not %s",
                    ir_shape_str(g->arena, x));
  t->nsp = ni;
  window_attrs(n, t);
  int64_t kvol = 1, blocks = 1;
  for (int i = 0; i < ni; i++) {
    if (img[i] < 1 || img[i] >= OPS_MAX_WINDOW || blk[i] < 1 || blk[i] >= OPS_MAX_WINDOW)
      diag_node_fatal(n, "image_shape and block_shape entries must be positive");
    t->k[i] = blk[i];
    /* blocks slide over the image: the image is Col2Im's output */
    t->in[i] = img[i];
    kvol = mul_checked(n, kvol, blk[i]);
  }
  window_out(n, t);
  for (int i = 0; i < ni; i++) blocks = mul_checked(n, blocks, t->out[i]);
  if (x->dims[1] % kvol || x->dims[2] != blocks)
    diag_node_fatal(n, "input %s does not hold blocks of %lld values at %lld positions",
                    ir_shape_str(g->arena, x), (long long)kvol, (long long)blocks);
  *ch = x->dims[1] / kvol;
}

void infer_Col2Im(Graph *g, Node *n) {
  Window t;
  int64_t ch;
  col2im_geo(g, n, &t, &ch);
  memcpy(t.out, t.in, sizeof t.out);
  nc_sp_shape(n, n->out[0], n->in[0]->dims[0], ch, &t);
  n->out[0]->dtype = n->in[0]->dtype;
}

void lower_Col2Im(Graph *g, Node *n, Lowering *L) {
  Window t;
  int64_t ch;
  col2im_geo(g, n, &t, &ch);
  Value *y;
  KCall *c = image_call(g, L, n, K_col2im_f32, MLC_COL2IM_Y, 0, &y);
  MlcCol2Im *p = KC_PARAMS(c, MlcCol2Im);
  p->planes = n->in[0]->dims[0] * ch;
  p->nsp = t.nsp;
  for (int i = 0; i < t.nsp; i++) {
    p->img[i] = t.in[i];
    p->cols[i] = t.out[i];
    p->k[i] = t.k[i];
    p->stride[i] = t.stride[i];
    p->dil[i] = t.dil[i];
    p->pad_begin[i] = t.pb[i];
  }
  lower_finish(g, L, y, n->out[0]);
}

/* ---- GridSample and AffineGrid ---------------------------------------------- */

/* mode, padding and align_corners; opset 16's names and 20's both accepted */
static void grid_attrs(const Node *n, int *mode, int *padding, int *align) {
  /* index % 3: nearest, linear, cubic */
  static const char *const modes[] = {"nearest", "linear", "cubic", NULL, "bilinear", "bicubic"};
  static const char *const pads[] = {"zeros", "border", "reflection"};
  *mode =
      image_pick(n, "mode", attr_s(n, "mode", n->opset < 20 ? "bilinear" : "linear"), modes, 6) % 3;
  *padding = image_pick(n, "padding_mode", attr_s(n, "padding_mode", "zeros"), pads, 3);
  *align = attr_i(n, "align_corners", 0) != 0;
}

static void grid_check(Graph *g, const Node *n) {
  const Value *x = n->in[0], *grid = n->in[1];
  require_float(n, x, "input X");
  require_float(n, grid, "grid");
  int nsp = spatial_rank(n, x);
  if (n->opset < 20 && nsp != 2)
    diag_node_fatal(n, "GridSample before opset 20 takes 4-D inputs, not rank %d", x->rank);
  if (grid->rank != x->rank || grid->dims[0] != x->dims[0] || grid->dims[grid->rank - 1] != nsp)
    diag_node_fatal(n, "grid has shape %s; for input %s it must be N x output dims x %d",
                    ir_shape_str(g->arena, grid), ir_shape_str(g->arena, x), nsp);
  int mode, padding, align;
  grid_attrs(n, &mode, &padding, &align);
}

void infer_GridSample(Graph *g, Node *n) {
  const Value *x = n->in[0], *grid = n->in[1];
  grid_check(g, n);
  int64_t dims[IR_MAX_RANK] = {x->dims[0], x->dims[1]};
  for (int i = 2; i < x->rank; i++) dims[i] = grid->dims[i - 1];
  set_shape_checked(n, n->out[0], x->rank, dims);
  n->out[0]->dtype = x->dtype;
}

void lower_GridSample(Graph *g, Node *n, Lowering *L) {
  const Value *x = n->in[0], *grid = n->in[1];
  grid_check(g, n);
  Value *y;
  KCall *c = image_call(g, L, n, K_gridsample_f32, MLC_GRIDSAMPLE_Y, 0, &y);
  MlcGridSample *p = KC_PARAMS(c, MlcGridSample);
  int mode, padding, align;
  grid_attrs(n, &mode, &padding, &align);
  p->n = x->dims[0];
  p->c = x->dims[1];
  p->nsp = x->rank - 2;
  for (int i = 0; i < p->nsp; i++) {
    p->in_sp[i] = x->dims[2 + i];
    p->out_sp[i] = grid->dims[1 + i];
  }
  p->mode = mode;
  p->padding = padding;
  p->align_corners = align;
  lower_finish(g, L, y, n->out[0]);
}

/* size [N, C, spatial...] (2 or 3 spatial dims) for theta [N, nsp, nsp + 1] */
static int affine_size(Graph *g, const Node *n, int64_t *size) {
  const Value *th = n->in[0];
  require_float(n, th, "theta");
  int k = read_const_ints(n, 1, size, IR_MAX_RANK);
  int nsp = k - 2;
  if (nsp != 2 && nsp != 3)
    diag_node_fatal(n, "size has %d entries; it must be [N, C, H, W] or [N, C, D, H, W]", k);
  if (th->rank != 3 || th->dims[0] != size[0] || th->dims[1] != nsp || th->dims[2] != nsp + 1)
    diag_node_fatal(n, "theta has shape %s; for size of %d entries it must be %lld x %d x %d",
                    ir_shape_str(g->arena, th), k, (long long)size[0], nsp, nsp + 1);
  for (int i = 2; i < k; i++)
    if (size[i] < 0) diag_node_fatal(n, "size entry %d is negative", i);
  return nsp;
}

void infer_AffineGrid(Graph *g, Node *n) {
  int64_t size[IR_MAX_RANK], dims[IR_MAX_RANK];
  int nsp = affine_size(g, n, size);
  dims[0] = size[0];
  for (int i = 0; i < nsp; i++) dims[1 + i] = size[2 + i];
  dims[nsp + 1] = nsp;
  set_shape_checked(n, n->out[0], nsp + 2, dims);
  n->out[0]->dtype = n->in[0]->dtype;
}

void lower_AffineGrid(Graph *g, Node *n, Lowering *L) {
  int64_t size[IR_MAX_RANK];
  int nsp = affine_size(g, n, size);
  Value *y;
  KCall *c = image_call(g, L, n, K_affinegrid_f32, MLC_AFFINEGRID_Y, 0, &y);
  MlcAffineGrid *p = KC_PARAMS(c, MlcAffineGrid);
  p->n = size[0];
  p->nsp = nsp;
  for (int i = 0; i < nsp; i++) p->sp[i] = size[2 + i];
  p->align_corners = attr_i(n, "align_corners", 0) != 0;
  lower_finish(g, L, y, n->out[0]);
}

/* ---- RoiAlign and MaxRoiPool ---------------------------------------------- */

/* X [N, C, H, W] and rois [R, cols]; the output dims from two attributes */
static void roi_check(Graph *g, const Node *n, int cols, const int64_t *hw) {
  const Value *x = n->in[0], *rois = n->in[1];
  require_float(n, x, "input X");
  require_float(n, rois, "rois");
  if (x->rank != 4) diag_node_fatal(n, "input X must be 4-D, not rank %d", x->rank);
  if (rois->rank != 2 || rois->dims[1] != cols)
    diag_node_fatal(n, "rois has shape %s; it must be num_rois x %d", ir_shape_str(g->arena, rois),
                    cols);
  for (int i = 0; i < 2; i++)
    if (hw[i] < 1 || hw[i] >= OPS_MAX_WINDOW)
      diag_node_fatal(n, "the output size must be positive, not %lld", (long long)hw[i]);
}

static void roi_out(const Node *n, const int64_t *hw) {
  int64_t dims[4] = {n->in[1]->dims[0], n->in[0]->dims[1], hw[0], hw[1]};
  set_shape_checked(n, n->out[0], 4, dims);
  n->out[0]->dtype = n->in[0]->dtype;
}

static void roialign_attrs(Graph *g, const Node *n, int64_t *hw, int *half_pixel, int *max) {
  static const char *const modes[] = {"avg", "max"};
  static const char *const cts[] = {"output_half_pixel", "half_pixel"};
  const Value *bi = n->in[2];
  hw[0] = attr_i(n, "output_height", 1);
  hw[1] = attr_i(n, "output_width", 1);
  roi_check(g, n, 4, hw);
  if (bi->dtype != DT_INT64 || bi->rank != 1 || bi->dims[0] != n->in[1]->dims[0])
    diag_node_fatal(n, "batch_indices must be int64 with one entry per roi");
  if (attr_i(n, "sampling_ratio", 0) < 0 || attr_i(n, "sampling_ratio", 0) >= 1 << 20)
    diag_node_fatal(n, "sampling_ratio must be non-negative and below 2^20");
  *max = image_pick(n, "mode", attr_s(n, "mode", "avg"), modes, 2);
  /* opset 16 added the attribute and made half_pixel the default */
  const char *ct = n->opset >= 16 ? attr_s(n, "coordinate_transformation_mode", "half_pixel")
                                  : "output_half_pixel";
  *half_pixel = image_pick(n, "coordinate_transformation_mode", ct, cts, 2);
}

void infer_RoiAlign(Graph *g, Node *n) {
  int64_t hw[2];
  int half, max;
  roialign_attrs(g, n, hw, &half, &max);
  roi_out(n, hw);
}

/* the input's and the output's sizes into the params of RoiAlign and
 * MaxRoiPool (they name them alike) */
#define ROI_PARAMS(p, n, hw)          \
  do {                                \
    const Value *x_ = (n)->in[0];     \
    (p)->n = x_->dims[0];             \
    (p)->c = x_->dims[1];             \
    (p)->h = x_->dims[2];             \
    (p)->w = x_->dims[3];             \
    (p)->nrois = (n)->in[1]->dims[0]; \
    (p)->out_h = (hw)[0];             \
    (p)->out_w = (hw)[1];             \
  } while (0)

void lower_RoiAlign(Graph *g, Node *n, Lowering *L) {
  int64_t hw[2];
  int half, max;
  roialign_attrs(g, n, hw, &half, &max);
  Value *y;
  /* batch_indices stays int64 */
  KCall *c =
      image_call(g, L, n, K_roialign_f32, MLC_ROIALIGN_Y, 1u << MLC_ROIALIGN_BATCH_INDICES, &y);
  MlcRoiAlign *p = KC_PARAMS(c, MlcRoiAlign);
  ROI_PARAMS(p, n, hw);
  p->sampling_ratio = attr_i(n, "sampling_ratio", 0);
  p->spatial_scale = attr_f(n, "spatial_scale", 1);
  p->half_pixel = half;
  p->max_mode = max;
  lower_finish(g, L, y, n->out[0]);
}

static void maxroipool_shape(Graph *g, const Node *n, int64_t *hw) {
  const int64_t *ps;
  if (attr_ints(n, "pooled_shape", &ps) != 2)
    diag_node_fatal(n, "attribute 'pooled_shape' must give 2 entries");
  hw[0] = ps[0];
  hw[1] = ps[1];
  roi_check(g, n, 5, hw);
}

void infer_MaxRoiPool(Graph *g, Node *n) {
  int64_t hw[2];
  maxroipool_shape(g, n, hw);
  roi_out(n, hw);
}

void lower_MaxRoiPool(Graph *g, Node *n, Lowering *L) {
  int64_t hw[2];
  maxroipool_shape(g, n, hw);
  Value *y;
  KCall *c = image_call(g, L, n, K_maxroipool_f32, MLC_MAXROIPOOL_Y, 0, &y);
  MlcMaxRoiPool *p = KC_PARAMS(c, MlcMaxRoiPool);
  ROI_PARAMS(p, n, hw);
  p->spatial_scale = attr_f(n, "spatial_scale", 1);
  lower_finish(g, L, y, n->out[0]);
}

/* ---- NonMaxSuppression ------------------------------------------------------ */

/* the output [selected, 3] is evaluated here, from known inputs only */
void infer_NonMaxSuppression(Graph *g, Node *n) {
  static const DType types[5] = {DT_FLOAT, DT_FLOAT, DT_INT64, DT_FLOAT, DT_FLOAT};
  static const char *names[5] = {"boxes", "scores", "max_output_boxes_per_class", "iou_threshold",
                                 "score_threshold"};
  const Value *boxes = n->in[0], *scores = n->in[1];
  for (int i = 0; i < n->nin; i++) {
    const Value *v = n->in[i];
    if (!v) continue;
    if (v->dtype != types[i])
      diag_node_fatal(n, "%s is %s; it must be %s", names[i], dtype_name(v->dtype),
                      dtype_name(types[i]));
    if (i >= 2 && ir_numel(v) > 1) diag_node_fatal(n, "%s must hold one value", names[i]);
  }
  if (boxes->rank != 3 || boxes->dims[2] != 4 || scores->rank != 3 ||
      scores->dims[0] != boxes->dims[0] || scores->dims[2] != boxes->dims[1])
    diag_node_fatal(n,
                    "boxes %s and scores %s must be [batches, boxes, 4] and "
                    "[batches, classes, boxes]",
                    ir_shape_str(g->arena, boxes), ir_shape_str(g->arena, scores));
  int64_t center = attr_i(n, "center_point_box", 0);
  if (center != 0 && center != 1)
    diag_node_fatal(n, "center_point_box is %lld; it must be 0 or 1", (long long)center);
  /* The number of boxes selected is data. With every input known it is
   * computed here; otherwise the output is an upper bound (every class may
   * keep max_output_boxes_per_class, or all boxes when that is unknown) with
   * the actual count written at run time. */
  const Value *mo = n->nin > 2 && n->in[2] && ir_numel(n->in[2]) ? n->in[2] : NULL;
  int64_t most = mo && mo->data ? ir_data_i64(mo, 0) : 0, nb = boxes->dims[1];
  int64_t per = mo && !mo->data ? nb : most < 0 ? 0 : (most < nb ? most : nb);
  MlcNms p = {boxes->dims[0], scores->dims[1], nb, center,
              mul_checked(n, mul_checked(n, boxes->dims[0], scores->dims[1]), per)};
  int known = 1;
  for (int i = 0; i < n->nin; i++) known &= !n->in[i] || !ir_numel(n->in[i]) || n->in[i]->data;
  if (!known) {
    int64_t dims[2] = {p.cap, 3};
    n->out[0]->dtype = DT_INT64;
    set_shape_checked(n, n->out[0], 2, dims);
    infer_dynamic(g, n->out[0], 0);
    return;
  }
  int64_t count = 0, cap3 = mul_checked(n, p.cap, 3);
  int64_t *sel = arena_array(g->arena, (size_t)(cap3 ? cap3 : 1), sizeof *sel);
  int64_t *scratch = arena_array(g->arena, (size_t)(2 * nb + 1), sizeof *scratch);
  void *io[MLC_NMS_NIO] = {[MLC_NMS_BOXES] = boxes->data,
                           [MLC_NMS_SCORES] = scores->data,
                           [MLC_NMS_MAX_OUT] = mo ? mo->data : NULL,
                           [MLC_NMS_SELECTED] = sel,
                           [MLC_NMS_COUNT] = &count,
                           [MLC_NMS_SCRATCH] = scratch};
  /* the slots of the optional thresholds are their input numbers */
  for (int i = MLC_NMS_IOU; i <= MLC_NMS_SCORE; i++)
    io[i] = i < n->nin && n->in[i] && ir_numel(n->in[i]) ? n->in[i]->data : NULL;
  mlc_rt_nms_f32(&p, io);
  Value *y = n->out[0];
  int64_t dims[2] = {count, 3};
  y->dtype = DT_INT64;
  ir_set_shape(y, 2, dims);
  if (count)
    memcpy(ir_alloc_data(g, y), sel, (size_t)count * 3 * sizeof *sel);
  else
    ir_alloc_data(g, y);
}

/* run-time selection into the upper-bound output; the count goes to the
 * output's run-time extent */
void lower_NonMaxSuppression(Graph *g, Node *n, Lowering *L) {
  const Value *boxes = n->in[0], *scores = n->in[1];
  Value *y = n->out[0];
  KCall *c = lower_add(g, L, K_nms_f32);
  MlcNms *p = KC_PARAMS(c, MlcNms);
  p->batches = boxes->dims[0];
  p->classes = scores->dims[1];
  p->boxes = boxes->dims[1];
  p->center_point_box = attr_i(n, "center_point_box", 0);
  p->cap = y->dims[0];
  /* the inputs fill the slots boxes .. score in order (NULL when absent or
   * empty) */
  for (int i = MLC_NMS_BOXES; i <= MLC_NMS_SCORE; i++)
    c->io[i] = i < n->nin && n->in[i] && ir_numel(n->in[i]) ? n->in[i] : NULL;
  c->io[MLC_NMS_SELECTED] = y;
  c->io[MLC_NMS_COUNT] = y->dyn_count;
  int64_t len = 2 * p->boxes + 1;
  c->io[MLC_NMS_SCRATCH] = lower_temp(g, DT_INT64, 1, &len);
  c->nio = MLC_NMS_NIO;
}
