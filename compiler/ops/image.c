/* Resize and the data-movement image ops: Resize, Upsample, DepthToSpace,
 * SpaceToDepth, CenterCropPad, MaxUnpool, LpPool and GlobalLpPool; and the
 * helpers op_image2.c shares (op_image.h).
 *
 * Resize is planned here and executed by a dumb kernel. Every mode and
 * coordinate transformation is separable, so for each resized axis the
 * lowering computes, for every output position, the input positions it
 * reads and their weights (in double, by the formulas of the ONNX
 * reference: the same coordinate arithmetic, the same neighbour choice, edge
 * clamping, exclude_outside renormalization, antialiasing filters), and
 * passes them as two constant tables to the runtime's `resize` kernel, one
 * call per axis. Intermediates are double, as the reference interpolates in
 * float64 and rounds once; nearest stays in float32, where it is exact.
 * Other element types go through double by the runtime's cast (integers
 * rounded half to even on the way back, as the reference does). The
 * versions differ only in where scales come from and in the defaults:
 * Upsample and Resize-10 map coordinates asymmetrically and pick nearest
 * pixels by truncation (up) or ceiling (down), as onnxruntime does.
 *
 * DepthToSpace and SpaceToDepth are one 6-D strided copy each, CenterCropPad
 * a fill and a copy. MaxUnpool scatters bytes. LpPool is MaxPool's window
 * with the pool kernel's Lp reduction: it reuses op_nn.c's pool inference
 * and lowering and changes only the kind.
 */
#include <math.h>
#include <string.h>

#include "diag.h"
#include "infer.h"
#include "ops.h"

/* ---- shared helpers -------------------------------------------------------- */

void image_ints_attr(const Node *n, const char *name, int count, int64_t lo, int64_t def,
                     int64_t *out) {
  const int64_t *a;
  int k = attr_ints(n, name, &a);
  if (k < 0) {
    for (int i = 0; i < count; i++) out[i] = def;
    return;
  }
  if (k != count) diag_node_fatal(n, "'%s' has %d entries; %d are expected", name, k, count);
  for (int i = 0; i < k; i++) {
    if (a[i] < lo || a[i] >= OPS_MAX_WINDOW)
      diag_node_fatal(n, "'%s' entry %d is %lld; it must be at least %lld and below 2^31", name, i,
                      (long long)a[i], (long long)lo);
    out[i] = a[i];
  }
}

int image_pick(const Node *n, const char *what, const char *s, const char *const *names,
               int count) {
  for (int i = 0; i < count; i++)
    if (names[i] && !strcmp(s, names[i])) return i;
  diag_node_fatal(n, "unknown %s '%s'", what, s);
}

int image_const_floats(const Node *n, int input, double *out, int max) {
  if (input >= n->nin || !n->in[input]) return -1;
  const Value *v = n->in[input];
  if (v->rank > 1)
    diag_node_fatal(n, "input %d ('%s') must be 1-D, not rank %d", input, v->name, v->rank);
  if (v->dtype == DT_STRING || v->dtype == DT_BOOL || !dtype_size(v->dtype))
    diag_node_fatal(n, "input %d ('%s') must be numeric, not %s", input, v->name,
                    dtype_name(v->dtype));
  int64_t k = ir_numel(v);
  if (k && !v->data) infer_need_const(n, v);
  if (k > max)
    diag_node_fatal(n, "input %d ('%s') has %lld entries; at most %d are expected", input, v->name,
                    (long long)k, max);
  /* through the runtime's cast: float16 and bfloat16 scales too */
  MlcCast p = {.count = k, .from = v->dtype, .to = DT_DOUBLE};
  void *io[MLC_CAST_NIO] = {[MLC_CAST_X] = v->data, [MLC_CAST_Y] = out};
  if (k) mlc_rt_cast(&p, io);
  return (int)k;
}

KCall *image_call(Graph *g, Lowering *L, const Node *n, int kernel, int nin, unsigned keep,
                  Value **y) {
  Value *in[KC_MAX_IO];
  MLC_ASSERT(nin < KC_MAX_IO);
  for (int i = 0; i < nin; i++) {
    Value *v = i < n->nin ? n->in[i] : NULL;
    if (v && v->dtype != DT_FLOAT && !(keep >> i & 1)) {
      Value *tmp = lower_temp(g, DT_FLOAT, v->rank, v->dims);
      lower_cast(g, L, v, tmp);
      v = tmp;
    }
    in[i] = v;
  }
  Value *out = n->out[0];
  *y = out->dtype == DT_FLOAT ? out : lower_temp(g, DT_FLOAT, out->rank, out->dims);
  /* added last: the casts above may move the calls array */
  KCall *c = lower_add(g, L, kernel);
  /* by position, as this serves several kernels: each lists its inputs'
   * slots first, then y's; callers pass y's slot name as nin */
  for (int i = 0; i < nin; i++) c->io[i] = in[i];
  c->io[nin] = *y;
  c->nio = nin + 1;
  return c;
}

/* ---- Resize and Upsample: the plan ------------------------------------------ */

enum { RM_NEAREST, RM_LINEAR, RM_CUBIC };
enum {
  CT_HALF_PIXEL,
  CT_HALF_PIXEL_SYMMETRIC,
  CT_PYTORCH_HALF_PIXEL,
  CT_ALIGN_CORNERS,
  CT_ASYMMETRIC,
  CT_TF_CROP_AND_RESIZE,
  CT_TF_HALF_PIXEL_FOR_NN
};
/* NM_SIMPLE: Upsample's and Resize-10's truncation, ceiling when shrinking */
enum { NM_ROUND_PREFER_FLOOR, NM_ROUND_PREFER_CEIL, NM_FLOOR, NM_CEIL, NM_SIMPLE };

/* the tables of one axis stay small enough to print as C constants */
#define RESIZE_MAX_TABLE ((int64_t)1 << 24)
/* dims computed in double are checked against this before conversion */
#define RESIZE_MAX_DIM ((double)((int64_t)1 << 40))

typedef struct ResizePlan {
  int mode, coord, nearest, antialias, exclude_outside;
  double cubic_a, extrap;
  int rank;
  int64_t out[IR_MAX_RANK];
  double scale[IR_MAX_RANK], roi_lo[IR_MAX_RANK], roi_hi[IR_MAX_RANK];
  int order[IR_MAX_RANK], norder; /* the axes that change, in resizing order */
} ResizePlan;

static void resize_modes(const Node *n, ResizePlan *P) {
  static const char *const modes[] = {"nearest", "linear", "cubic"};
  static const char *const coords[] = {"half_pixel",         "half_pixel_symmetric",
                                       "pytorch_half_pixel", "align_corners",
                                       "asymmetric",         "tf_crop_and_resize"};
  static const char *const nearest[] = {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"};
  const char *m = attr_s(n, "mode", "nearest");
  int legacy = n->op == OP_Upsample || n->opset < 11;
  /* Upsample-1's name for linear lives on in exported models */
  if (n->op == OP_Upsample && !strcmp(m, "bilinear")) m = "linear";
  P->mode = image_pick(n, "mode", m, modes, legacy ? 2 : 3);
  if (legacy) {
    P->coord = CT_ASYMMETRIC;
    P->nearest = NM_SIMPLE;
    return;
  }
  /* tf_half_pixel_for_nn left in opset 13; half_pixel_symmetric came in 19 */
  const char *ct = attr_s(n, "coordinate_transformation_mode", "half_pixel");
  if (n->opset < 13 && !strcmp(ct, "tf_half_pixel_for_nn"))
    P->coord = CT_TF_HALF_PIXEL_FOR_NN;
  else
    P->coord = image_pick(n, "coordinate_transformation_mode", ct, coords, 6);
  if (P->coord == CT_HALF_PIXEL_SYMMETRIC && n->opset < 19)
    diag_node_fatal(n, "coordinate_transformation_mode half_pixel_symmetric needs opset 19");
  P->nearest =
      image_pick(n, "nearest_mode", attr_s(n, "nearest_mode", "round_prefer_floor"), nearest, 4);
  P->cubic_a = attr_f(n, "cubic_coeff_a", -0.75);
  P->exclude_outside = attr_i(n, "exclude_outside", 0) != 0;
  P->extrap = attr_f(n, "extrapolation_value", 0);
  P->antialias = n->opset >= 18 && attr_i(n, "antialias", 0) != 0;
}

/* the axes that scales, sizes and roi refer to: from opset 18 the axes
 * attribute, else all */
static int resize_axes(const Node *n, int rank, int *axes) {
  const int64_t *a;
  int k = n->opset >= 18 ? attr_ints(n, "axes", &a) : -1;
  if (k < 0) {
    for (int i = 0; i < rank; i++) axes[i] = i;
    return rank;
  }
  if (k > rank) diag_node_fatal(n, "axes has %d entries for a rank-%d input", k, rank);
  char seen[IR_MAX_RANK] = {0};
  for (int i = 0; i < k; i++) {
    axes[i] = norm_axis(n, a[i], rank);
    if (seen[axes[i]]) diag_node_fatal(n, "axes lists axis %d twice", axes[i]);
    seen[axes[i]] = 1;
  }
  return k;
}

static int64_t checked_dim(const Node *n, double v, int axis) {
  if (!(v >= 0 && v < RESIZE_MAX_DIM))
    diag_node_fatal(n, "output dimension %d would be %g", axis, v);
  return (int64_t)v;
}

/* scales or sizes into output dims and scales of the listed axes */
static void resize_sizes(const Node *n, ResizePlan *P, const int *axes, int naxes,
                         const double *scales, int nscales, const int64_t *sizes, int nsizes) {
  const Value *x = n->in[0];
  if (nscales > 0 && nsizes > 0) diag_node_fatal(n, "give scales or sizes, not both");
  if (nscales <= 0 && nsizes <= 0) diag_node_fatal(n, "scales or sizes must be given");
  int cnt = nscales > 0 ? nscales : nsizes;
  if (cnt != naxes)
    diag_node_fatal(n, "%s has %d entries; the input has %d axes to resize",
                    nscales > 0 ? "scales" : "sizes", cnt, naxes);
  if (nscales > 0) {
    for (int i = 0; i < naxes; i++) {
      int a = axes[i];
      double s = scales[i], extent = 1;
      if (!(s > 0) || !isfinite(s))
        diag_node_fatal(n, "scale %d is %g; scales must be positive", i, s);
      if (P->coord == CT_TF_CROP_AND_RESIZE) extent = P->roi_hi[a] - P->roi_lo[a];
      P->scale[a] = s;
      P->out[a] = checked_dim(n, floor((double)x->dims[a] * extent * s), a);
    }
    return;
  }
  const char *policy =
      n->opset >= 18 ? attr_s(n, "keep_aspect_ratio_policy", "stretch") : "stretch";
  static const char *const policies[] = {"stretch", "not_larger", "not_smaller"};
  int pol = image_pick(n, "keep_aspect_ratio_policy", policy, policies, 3);
  double keep = 0;
  for (int i = 0; i < naxes; i++) {
    int a = axes[i];
    if (sizes[i] < 0) diag_node_fatal(n, "sizes entry %d is negative", i);
    if (x->dims[a] == 0 && sizes[i] != 0)
      diag_node_fatal(n, "axis %d is empty and cannot be resized to %lld", a, (long long)sizes[i]);
    double s = x->dims[a] ? (double)sizes[i] / (double)x->dims[a] : 1;
    if (i == 0 || (pol == 1 && s < keep) || (pol == 2 && s > keep)) keep = s;
    P->scale[a] = s;
    P->out[a] = sizes[i];
  }
  if (pol == 0) return;
  /* one scale for every listed axis, sizes rounded half up */
  for (int i = 0; i < naxes; i++) {
    int a = axes[i];
    P->scale[a] = keep;
    P->out[a] = checked_dim(n, keep * (double)x->dims[a] + 0.5, a);
  }
}

/* roi (for tf_crop_and_resize only) of the listed axes; [0, 1] elsewhere */
static void resize_roi(const Node *n, ResizePlan *P, const int *axes, int naxes) {
  double roi[2 * IR_MAX_RANK];
  for (int a = 0; a < P->rank; a++) {
    P->roi_lo[a] = 0;
    P->roi_hi[a] = 1;
  }
  if (P->coord != CT_TF_CROP_AND_RESIZE) return;
  int k = image_const_floats(n, 1, roi, 2 * IR_MAX_RANK);
  if (k != 2 * naxes)
    diag_node_fatal(n,
                    "tf_crop_and_resize needs roi with %d entries (start and end of "
                    "each resized axis), not %d",
                    2 * naxes, k < 0 ? 0 : k);
  for (int i = 0; i < naxes; i++) {
    if (!isfinite(roi[i]) || !isfinite(roi[naxes + i]))
      diag_node_fatal(n, "roi entries must be finite");
    P->roi_lo[axes[i]] = roi[i];
    P->roi_hi[axes[i]] = roi[naxes + i];
  }
}

static void resize_plan(const Node *n, ResizePlan *P) {
  const Value *x = n->in[0];
  memset(P, 0, sizeof *P);
  P->rank = x->rank;
  resize_modes(n, P);
  int axes[IR_MAX_RANK], naxes = resize_axes(n, x->rank, axes);
  for (int a = 0; a < x->rank; a++) {
    P->out[a] = x->dims[a];
    P->scale[a] = 1;
  }
  resize_roi(n, P, axes, naxes);
  double scales[IR_MAX_RANK];
  int64_t sizes[IR_MAX_RANK];
  int nscales, nsizes = -1;
  if (n->op == OP_Upsample && n->opset < 9) {
    const double *s;
    nscales = attr_floats(n, "scales", &s);
    if (nscales < 0) diag_node_fatal(n, "attribute 'scales' is required");
    if (nscales > IR_MAX_RANK) diag_node_fatal(n, "scales has %d entries", nscales);
    memcpy(scales, s, (size_t)nscales * sizeof *s);
  } else if (n->op == OP_Upsample || n->opset < 11) {
    nscales = image_const_floats(n, 1, scales, IR_MAX_RANK);
  } else {
    nscales = image_const_floats(n, 2, scales, IR_MAX_RANK);
    nsizes = read_const_ints(n, 3, sizes, IR_MAX_RANK);
  }
  resize_sizes(n, P, axes, naxes, scales, nscales, sizes, nsizes);
  /* an axis with the same length, a scale of 1 (to rounding) and the full
   * roi maps every position to itself, as the reference skips it */
  for (int a = 0; a < x->rank; a++) {
    int same = P->out[a] == x->dims[a] && fabs(P->scale[a] - 1) <= 1e-9 && P->roi_lo[a] == 0 &&
               P->roi_hi[a] == 1;
    if (!same) P->order[P->norder++] = a;
  }
  /* shrinking axes first keeps the intermediates small */
  for (int i = 1; i < P->norder; i++)
    for (int j = i; j > 0; j--) {
      int a = P->order[j - 1], b = P->order[j];
      if ((double)P->out[a] / (double)x->dims[a] <= (double)P->out[b] / (double)x->dims[b]) break;
      P->order[j - 1] = b;
      P->order[j] = a;
    }
}

/* ---- Resize: the tables of one axis ------------------------------------------ */

/* the input coordinate of output position l, or NAN outside
 * tf_crop_and_resize's region; `width` is scale * in, fractional */
static double resize_coord(const ResizePlan *P, int a, int64_t in, int64_t out, double l) {
  double s = P->scale[a], width = s * (double)in, x;
  switch (P->coord) {
  case CT_ALIGN_CORNERS: return width == 1 ? 0 : l * (double)(in - 1) / (width - 1);
  case CT_ASYMMETRIC: return l / s;
  case CT_TF_HALF_PIXEL_FOR_NN: return (l + 0.5) / s;
  case CT_PYTORCH_HALF_PIXEL: return width == 1 ? -0.5 : (l + 0.5) / s - 0.5;
  case CT_HALF_PIXEL_SYMMETRIC: {
    double adjust = (double)out / width, center = (double)in / 2;
    return center * (1 - adjust) + (l + 0.5) / s - 0.5;
  }
  case CT_TF_CROP_AND_RESIZE: {
    double lo = P->roi_lo[a], hi = P->roi_hi[a];
    x = width == 1 ? (hi - lo) * (double)(in - 1) / 2
                   : l * (hi - lo) * (double)(in - 1) / (width - 1);
    x += lo * (double)(in - 1);
    return x < 0 || x > (double)(in - 1) ? NAN : x;
  }
  default: return (l + 0.5) / s - 0.5;
  }
}

static int64_t nearest_index(const ResizePlan *P, double x, double scale) {
  double f = floor(x);
  if (x != f) {
    switch (P->nearest) {
    case NM_ROUND_PREFER_FLOOR: f = ceil(x - 0.5); break;
    case NM_ROUND_PREFER_CEIL: f = floor(x + 0.5); break;
    case NM_CEIL: f = ceil(x); break;
    case NM_SIMPLE: f = scale < 1 ? ceil(x) : trunc(x); break;
    default: break;
    }
  }
  return (int64_t)f;
}

/* filter taps per output position: fixed by the mode, and for antialiasing
 * by the filter stretched over 1 / scale input pixels when shrinking */
static int64_t resize_ntaps(const ResizePlan *P, double scale) {
  if (P->mode == RM_NEAREST) return 1;
  if (!P->antialias) return P->mode == RM_LINEAR ? 2 : 4;
  double s = scale < 1 ? scale : 1, reach = P->mode == RM_LINEAR ? 1 : 2;
  double nt = 2 - 2 * (floor(-reach / s) + 1);
  /* past the limit, the caller refuses it */
  return nt <= (double)RESIZE_MAX_TABLE ? (int64_t)nt : RESIZE_MAX_TABLE + 1;
}

static double cubic_weight(double x, double a) {
  x = fabs(x);
  if (x <= 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2) return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
  return 0;
}

/* the nt weights of a point at `ratio` in (0, 1] past its first tap's
 * neighbour (the reference's convention: an integer point has ratio 1) */
static void resize_weights(const ResizePlan *P, double ratio, double scale, int64_t nt, double *w) {
  if (!P->antialias) {
    if (P->mode == RM_LINEAR) {
      w[0] = 1 - ratio;
      w[1] = ratio;
    } else {
      for (int t = 0; t < 4; t++) w[t] = cubic_weight((double)(t - 1) - ratio, P->cubic_a);
    }
    return;
  }
  double s = scale < 1 ? scale : 1, sum = 0;
  int64_t start = 1 - nt / 2;
  for (int64_t t = 0; t < nt; t++) {
    double arg = ((double)(start + t) - ratio) * s;
    w[t] = P->mode == RM_LINEAR ? fmax(0, fmin(1, 1 - fabs(arg))) : cubic_weight(arg, P->cubic_a);
    sum += w[t];
  }
  for (int64_t t = 0; t < nt; t++) w[t] /= sum;
}

/* taps and weights of every output position of axis a into idx and w
 * (out * nt entries) */
static void resize_tables(const ResizePlan *P, int a, int64_t in, int64_t nt, int64_t *idx,
                          double *w) {
  const int64_t out = P->out[a];
  const double scale = P->scale[a];
  for (int64_t l = 0; l < out; l++) {
    int64_t *il = idx + l * nt;
    double *wl = w + l * nt, x = resize_coord(P, a, in, out, (double)l);
    if (isnan(x)) {
      il[0] = -1; /* extrapolated */
      for (int64_t t = 1; t < nt; t++) il[t] = 0;
      continue;
    }
    /* only absurd scales reach this far; indices are clamped anyway */
    x = fmax(-RESIZE_MAX_DIM, fmin(RESIZE_MAX_DIM, x));
    if (P->mode == RM_NEAREST) {
      int64_t i = nearest_index(P, x, scale);
      il[0] = i < 0 ? 0 : (i >= in ? in - 1 : i);
      wl[0] = 1;
      continue;
    }
    double f = floor(x);
    resize_weights(P, x == f ? 1 : x - f, scale, nt, wl);
    /* the nt inputs nearest to x, ties to the smaller ones */
    double pad = (double)(nt / 2), xp = x + pad, p = floor(xp);
    int64_t first = (int64_t)p - nt / 2 + (xp == p ? 0 : 1) - nt / 2;
    double sum = 0;
    for (int64_t t = 0; t < nt; t++) {
      int64_t i = first + t;
      if (P->exclude_outside && (i < 0 || i >= in)) wl[t] = 0;
      sum += wl[t];
      il[t] = i < 0 ? 0 : (i >= in ? in - 1 : i);
    }
    if (P->exclude_outside)
      for (int64_t t = 0; t < nt; t++) wl[t] /= sum == 0 ? 1 : sum;
  }
}

/* ---- Resize and Upsample: inference and lowering ------------------------------ */

static void resize_check_type(const Node *n) {
  DType t = n->in[0]->dtype;
  if (t == DT_STRING || t == DT_COMPLEX64 || t == DT_COMPLEX128 || t >= DT_FLOAT8E4M3FN ||
      !dtype_size(t))
    diag_node_fatal(n, "%s of %s is not supported", n->op_type, dtype_name(t));
}

void infer_Resize(Graph *g, Node *n) {
  (void)g;
  ResizePlan P;
  resize_check_type(n);
  resize_plan(n, &P);
  n->out[0]->dtype = n->in[0]->dtype;
  set_shape_checked(n, n->out[0], P.rank, P.out);
}

/* one call resizing axis a of src into dst */
static void lower_resize_axis(Graph *g, const Node *n, Lowering *L, const ResizePlan *P, int a,
                              Value *src, Value *dst) {
  int64_t in = src->dims[a], out = P->out[a], nt = resize_ntaps(P, P->scale[a]);
  if (nt > RESIZE_MAX_TABLE || out > RESIZE_MAX_TABLE / nt)
    diag_node_fatal(n,
                    "resizing axis %d from %lld to %lld needs %lld taps per output; "
                    "that is too many",
                    a, (long long)in, (long long)out, (long long)nt);
  int64_t cnt = out * nt;
  Value *idx = ir_value_new(g, NULL), *w = ir_value_new(g, NULL);
  idx->dtype = DT_INT64;
  w->dtype = DT_DOUBLE;
  ir_set_shape(idx, 1, &cnt);
  ir_set_shape(w, 1, &cnt);
  resize_tables(P, a, in, nt, ir_alloc_data(g, idx), ir_alloc_data(g, w));
  KCall *c = lower_add(g, L, K_resize);
  MlcResize *p = KC_PARAMS(c, MlcResize);
  p->outer = p->inner = 1;
  for (int d = 0; d < src->rank; d++) {
    if (d < a) p->outer *= src->dims[d];
    if (d > a) p->inner *= src->dims[d];
  }
  p->in_len = in;
  p->out_len = out;
  p->taps = nt;
  p->in_f64 = src->dtype == DT_DOUBLE;
  p->out_f64 = dst->dtype == DT_DOUBLE;
  p->extrap = P->extrap;
  c->io[MLC_RESIZE_X] = src;
  c->io[MLC_RESIZE_IDX] = idx;
  c->io[MLC_RESIZE_W] = w;
  c->io[MLC_RESIZE_Y] = dst;
  c->nio = MLC_RESIZE_NIO;
}

void lower_Resize(Graph *g, Node *n, Lowering *L) {
  ResizePlan P;
  resize_plan(n, &P);
  Value *x = n->in[0], *y = n->out[0];
  if (!P.norder || !ir_numel(y)) {
    if (ir_numel(y)) lower_copy_all(g, L, x, y);
    return;
  }
  DType t = x->dtype;
  int native = t == DT_FLOAT || t == DT_DOUBLE;
  /* intermediates: double, except float nearest (exact in float) */
  DType mid = t == DT_FLOAT && P.mode == RM_NEAREST ? DT_FLOAT : DT_DOUBLE;
  Value *cur = x;
  if (!native) {
    cur = lower_temp(g, DT_DOUBLE, x->rank, x->dims);
    lower_cast(g, L, x, cur);
  }
  for (int i = 0; i < P.norder; i++) {
    int a = P.order[i], last = i == P.norder - 1;
    Value *dst;
    if (last && native) {
      dst = y;
    } else {
      dst = lower_temp(g, last ? DT_DOUBLE : mid, cur->rank, cur->dims);
      dst->dims[a] = P.out[a];
    }
    lower_resize_axis(g, n, L, &P, a, cur, dst);
    cur = dst;
  }
  if (native) return;
  if (!dtype_is_float(t) && P.mode != RM_NEAREST)
    lower_ew(g, n, L, "round", DT_DOUBLE, &cur, cur, 0, 0);
  lower_cast(g, L, cur, y);
}

/* ---- DepthToSpace and SpaceToDepth ------------------------------------------ */

static int64_t block_size(const Node *n) {
  if (!ir_attr(n, "blocksize")) diag_node_fatal(n, "attribute 'blocksize' is required");
  int64_t bs = attr_i(n, "blocksize", 0);
  if (bs < 1 || bs >= 1 << 16)
    diag_node_fatal(n, "blocksize is %lld; it must be positive and below 65536", (long long)bs);
  return bs;
}

/* CRD (1) or DCR (0): the mode attribute exists from DepthToSpace-11 and
 * SpaceToDepth-28 */
static int block_crd(const Node *n) {
  int since = n->op == OP_DepthToSpace ? 11 : 28;
  static const char *const modes[] = {"DCR", "CRD"};
  return n->opset >= since ? image_pick(n, "mode", attr_s(n, "mode", "DCR"), modes, 2) : 0;
}

/* the space side [b, c, h*bs, w*bs] and depth side [b, c*bs*bs, h, w] */
static void block_shapes(const Node *n, int64_t bs, int64_t *space, int64_t *depth) {
  const Value *x = n->in[0];
  if (x->rank != 4) diag_node_fatal(n, "input must be 4-D (N, C, H, W), not rank %d", x->rank);
  const int64_t *d = x->dims;
  if (n->op == OP_DepthToSpace) {
    if (d[1] % (bs * bs))
      diag_node_fatal(n, "%lld channels do not divide by blocksize^2 (%lld)", (long long)d[1],
                      (long long)(bs * bs));
    int64_t s[4] = {d[0], d[1] / (bs * bs), d[2] * bs, d[3] * bs};
    memcpy(space, s, sizeof s);
    memcpy(depth, d, sizeof s);
  } else {
    if (d[2] % bs || d[3] % bs)
      diag_node_fatal(n, "height %lld and width %lld must divide by blocksize %lld",
                      (long long)d[2], (long long)d[3], (long long)bs);
    int64_t e[4] = {d[0], d[1] * bs * bs, d[2] / bs, d[3] / bs};
    memcpy(space, d, sizeof e);
    memcpy(depth, e, sizeof e);
  }
}

void infer_DepthSpace(Graph *g, Node *n) {
  (void)g;
  int64_t bs = block_size(n), space[4], depth[4];
  block_crd(n);
  block_shapes(n, bs, space, depth);
  n->out[0]->dtype = n->in[0]->dtype;
  set_shape_checked(n, n->out[0], 4, n->op == OP_DepthToSpace ? space : depth);
}

/* Both ops walk [b, c, h, i, w, j] (c a space channel, (h, w) a depth
 * pixel, (i, j) the offset in its block): the space element is
 * [b][c][h*bs + i][w*bs + j], the depth one [b][ch][h][w] with ch =
 * (i*bs + j)*C + c (DCR) or c*bs*bs + i*bs + j (CRD). */
void lower_DepthSpace(Graph *g, Node *n, Lowering *L) {
  int64_t bs = block_size(n), sp[4], dp[4];
  int crd = block_crd(n);
  block_shapes(n, bs, sp, dp);
  int64_t C = sp[1], H = dp[2], W = dp[3], plane = H * W;
  int64_t dims[6] = {sp[0], C, H, bs, W, bs};
  int64_t ss[6] = {C * sp[2] * sp[3], sp[2] * sp[3], bs * sp[3], sp[3], bs, 1};
  int64_t ds[6] = {dp[1] * plane,
                   crd ? bs * bs * plane : plane,
                   W,
                   crd ? bs * plane : bs * C * plane,
                   1,
                   crd ? plane : C * plane};
  if (n->op == OP_DepthToSpace)
    lower_strided_copy(g, n, L, n->in[0], n->out[0], 6, dims, ds, ss, 0, 0);
  else
    lower_strided_copy(g, n, L, n->in[0], n->out[0], 6, dims, ss, ds, 0, 0);
}

/* ---- CenterCropPad ------------------------------------------------------------- */

/* the output dims */
static void crop_pad_dims(const Node *n, int64_t *dims) {
  const Value *x = n->in[0];
  int64_t shape[IR_MAX_RANK];
  int k = read_const_ints(n, 1, shape, IR_MAX_RANK);
  const int64_t *a;
  int na = attr_ints(n, "axes", &a), all = na < 0;
  if (all) na = x->rank;
  if (k != na) diag_node_fatal(n, "shape has %d entries for %d axes", k, na);
  memcpy(dims, x->dims, sizeof x->dims);
  char seen[IR_MAX_RANK] = {0};
  for (int i = 0; i < na; i++) {
    int axis = all ? i : norm_axis(n, a[i], x->rank);
    if (seen[axis]) diag_node_fatal(n, "axes lists axis %d twice", axis);
    seen[axis] = 1;
    if (shape[i] < 0) diag_node_fatal(n, "shape entry %d is negative", i);
    dims[axis] = shape[i];
  }
}

void infer_CenterCropPad(Graph *g, Node *n) {
  (void)g;
  int64_t dims[IR_MAX_RANK];
  crop_pad_dims(n, dims);
  n->out[0]->dtype = n->in[0]->dtype;
  set_shape_checked(n, n->out[0], n->in[0]->rank, dims);
}

/* zeros where the output is larger, then the centred overlap */
void lower_CenterCropPad(Graph *g, Node *n, Lowering *L) {
  Value *x = n->in[0], *y = n->out[0];
  int64_t dims[IR_MAX_RANK], region[IR_MAX_RANK], xs[IR_MAX_RANK], ys[IR_MAX_RANK];
  int64_t soff = 0, doff = 0;
  int pads = 0;
  crop_pad_dims(n, dims);
  row_strides(x, xs);
  row_strides(y, ys);
  for (int d = 0; d < x->rank; d++) {
    int64_t in = x->dims[d], out = dims[d];
    region[d] = in < out ? in : out;
    if (in > out) soff += (in - out) / 2 * xs[d];
    if (out > in) doff += (out - in) / 2 * ys[d];
    pads |= out > in;
  }
  if (pads) lower_fill(g, L, y, 0);
  lower_strided_copy(g, n, L, x, y, x->rank, region, xs, ys, soff, doff);
}

/* ---- MaxUnpool ---------------------------------------------------------------- */

/* the shape MaxPool's window gives back (the indices' frame), and the
 * output's: output_shape when given, else that one */
static void unpool_dims(const Node *n, int64_t *inferred, int64_t *dims) {
  const Value *x = n->in[0], *ind = n->in[1];
  if (x->rank < 3)
    diag_node_fatal(n, "input must be N x C x spatial dims (rank >= 3), not rank %d", x->rank);
  if (ind->dtype != DT_INT64 || !ir_same_shape(ind, x))
    diag_node_fatal(n, "indices I must be int64 of the input's shape");
  int nsp = x->rank - 2;
  int64_t k[IR_MAX_RANK], s[IR_MAX_RANK], pads[2 * IR_MAX_RANK];
  if (!ir_attr(n, "kernel_shape")) diag_node_fatal(n, "attribute 'kernel_shape' is required");
  image_ints_attr(n, "kernel_shape", nsp, 1, 1, k);
  image_ints_attr(n, "strides", nsp, 1, 1, s);
  image_ints_attr(n, "pads", 2 * nsp, 0, 0, pads);
  inferred[0] = x->dims[0];
  inferred[1] = x->dims[1];
  for (int i = 0; i < nsp; i++) {
    int64_t in = x->dims[2 + i];
    if (in > OPS_MAX_WINDOW)
      diag_node_fatal(n, "spatial dim %d (%lld) is too large", i, (long long)in);
    inferred[2 + i] = in ? (in - 1) * s[i] - pads[i] - pads[nsp + i] + k[i] : 0;
    if (inferred[2 + i] < 0) diag_node_fatal(n, "the pads leave spatial dim %d negative", i);
  }
  memcpy(dims, inferred, (size_t)x->rank * sizeof *dims);
  int64_t os[IR_MAX_RANK];
  int ko = read_const_ints(n, 2, os, IR_MAX_RANK);
  if (ko < 0) return;
  if (ko != x->rank)
    diag_node_fatal(n, "output_shape has %d entries for a rank-%d input", ko, x->rank);
  for (int i = 0; i < ko; i++) {
    if (os[i] < 0) diag_node_fatal(n, "output_shape entry %d is negative", i);
    dims[i] = os[i];
  }
}

void infer_MaxUnpool(Graph *g, Node *n) {
  (void)g;
  int64_t inferred[IR_MAX_RANK], dims[IR_MAX_RANK];
  unpool_dims(n, inferred, dims);
  Value frame = {0}; /* the indices' frame must be a sane shape too */
  set_shape_checked(n, &frame, n->in[0]->rank, inferred);
  set_shape_checked(n, n->out[0], n->in[0]->rank, dims);
  n->out[0]->dtype = n->in[0]->dtype;
}

/* Indices count in the shape MaxPool saw; the output holds that shape at its
 * origin (the reference's reading of output_shape) */
void lower_MaxUnpool(Graph *g, Node *n, Lowering *L) {
  const Value *x = n->in[0];
  KCall *c = lower_add(g, L, K_maxunpool);
  MlcMaxUnpool *p = KC_PARAMS(c, MlcMaxUnpool);
  unpool_dims(n, p->in_dims, p->out_dims);
  p->rank = x->rank;
  p->count = ir_numel(x);
  p->elem = (int64_t)dtype_size(x->dtype);
  c->io[MLC_MAXUNPOOL_X] = n->in[0];
  c->io[MLC_MAXUNPOOL_INDICES] = n->in[1];
  c->io[MLC_MAXUNPOOL_Y] = n->out[0];
  c->nio = MLC_MAXUNPOOL_NIO;
}

/* ---- LpPool and GlobalLpPool --------------------------------------------------- */

/* p: a float attribute in LpPool-1, an int from 2 on */
static double lp_p(const Node *n) {
  double p = n->opset < 2 ? attr_f(n, "p", 2) : (double)attr_i(n, "p", 2);
  if (!(p > 0) || !isfinite(p)) diag_node_fatal(n, "p is %g; it must be positive", p);
  return p;
}

void infer_LpPool(Graph *g, Node *n) {
  lp_p(n);
  infer_Pool(g, n);
}

void lower_LpPool(Graph *g, Node *n, Lowering *L) {
  int first = L->ncalls;
  lower_Pool(g, n, L);
  MLC_ASSERT(L->ncalls == first + 1 && L->calls[first].kernel == K_pool_f32);
  MlcPool *p = KC_PARAMS(&L->calls[first], MlcPool);
  p->kind = MLC_POOL_LP;
  p->count_include_pad = 0;
  p->p = lp_p(n);
}

static void global_lp_check(const Node *n) {
  const Value *x = n->in[0];
  if (x->dtype != DT_FLOAT)
    diag_node_fatal(n, "GlobalLpPool of %s is not supported (float32 only)", dtype_name(x->dtype));
  if (x->rank < 3 || x->rank - 2 > MLC_RT_MAX_SP)
    diag_node_fatal(n, "input must be N x C x 1 to %d spatial dims, not rank %d", MLC_RT_MAX_SP,
                    x->rank);
  lp_p(n);
}

void infer_GlobalLpPool(Graph *g, Node *n) {
  (void)g;
  const Value *x = n->in[0];
  global_lp_check(n);
  int64_t dims[IR_MAX_RANK];
  for (int i = 0; i < x->rank; i++) dims[i] = i < 2 ? x->dims[i] : 1;
  set_shape_checked(n, n->out[0], x->rank, dims);
  n->out[0]->dtype = x->dtype;
}

/* one window over all of each plane */
void lower_GlobalLpPool(Graph *g, Node *n, Lowering *L) {
  const Value *x = n->in[0];
  global_lp_check(n);
  KCall *c = lower_add(g, L, K_pool_f32);
  MlcPool *p = KC_PARAMS(c, MlcPool);
  p->n = x->dims[0];
  p->c = x->dims[1];
  p->nsp = x->rank - 2;
  for (int i = 0; i < p->nsp; i++) {
    p->in_sp[i] = p->k[i] = x->dims[2 + i];
    p->out_sp[i] = p->stride[i] = p->dil[i] = 1;
  }
  p->kind = MLC_POOL_LP;
  p->p = lp_p(n);
  c->io[MLC_POOL_X] = n->in[0];
  c->io[MLC_POOL_Y] = n->out[0];
  c->nio = MLC_POOL_NIO; /* MLC_POOL_INDICES stays NULL: Lp has no argmax */
}
