/* Normalizations beyond BatchNormalization and LayerNormalization (op_nn.c):
 * GroupNormalization, InstanceNormalization, RMSNormalization,
 * LpNormalization, LRN and MeanVarianceNormalization. Also the helpers of
 * op_norm.h that the attention, quantization, loss and signal op files
 * share.
 *
 * GroupNorm, InstanceNorm and RMSNorm are one kernel, rownorm_f32: each
 * normalizes contiguous rows (a group of channels with their spatial
 * extent, one channel, or the trailing axes) and applies a scale and bias
 * whose index advances every sdiv elements modulo smod. That covers
 * per-channel (sdiv = spatial size, smod = C), per-group (GroupNorm-18:
 * sdiv = row length) and a scale over trailing dims (sdiv = 1). An RMSNorm
 * scale that broadcasts any other way is a separate elementwise Mul.
 *
 * MeanVarianceNormalization normalizes over any set of axes, so it is
 * composed from the reduce and elementwise kernels, exactly as its ONNX
 * function body: (X - E[X]) / (sqrt(E[X^2] - E[X]^2) + 1e-9).
 *
 * Kernels compute in float32; float16 and bfloat16 go through float32
 * temporaries (op_norm.h).
 */

#include <string.h>

#include "diag.h"
#include "ops.h"

/* ---- shared helpers (op_norm.h) ------------------------------------------ */

/* ---- GroupNorm, InstanceNorm, RMSNorm: rows ------------------------------- */

/* a per-channel (or per-group) parameter: count values, same type as x */
static void check_param(Graph *g, const Node *n, int i, const char *what, int64_t count) {
  const Value *v = n->in[i];
  if (v->dtype != n->in[0]->dtype)
    diag_node_fatal(n, "%s is %s but the input is %s", what, dtype_name(v->dtype),
                    dtype_name(n->in[0]->dtype));
  if (v->rank != 1 || v->dims[0] != count)
    diag_node_fatal(n, "%s has shape %s; it must be [%lld]", what, ir_shape_str(g->arena, v),
                    (long long)count);
}

/* x as N x C x spatial...: the channel count and the spatial size */
static void nc_dims(const Node *n, int64_t *c, int64_t *sp) {
  const Value *x = n->in[0];
  require_float(n, x, "input X");
  if (x->rank < 2)
    diag_node_fatal(n, "input must be N x C x ... (rank >= 2), not rank %d", x->rank);
  *c = x->dims[1];
  *sp = dims_prod(x->dims, 2, x->rank);
}

static void group_norm(Graph *g, const Node *n, MlcRowNorm *p) {
  int64_t c, sp, groups = attr_i(n, "num_groups", 0);
  nc_dims(n, &c, &sp);
  if (!ir_attr(n, "num_groups")) diag_node_fatal(n, "attribute 'num_groups' is required");
  if (groups < 1 || c % groups)
    diag_node_fatal(n,
                    "num_groups is %lld; it must be positive and divide the %lld "
                    "channels",
                    (long long)groups, (long long)c);
  /* GroupNormalization-18 scaled per group; 21 per channel */
  int64_t per = n->opset >= 21 ? c : groups;
  check_param(g, n, 1, "scale", per);
  check_param(g, n, 2, "bias", per);
  p->rows = n->in[0]->dims[0] * groups;
  p->len = c / groups * sp;
  p->center = 1;
  p->sdiv = n->opset >= 21 ? sp : p->len;
  p->smod = per;
}

static void instance_norm(Graph *g, const Node *n, MlcRowNorm *p) {
  int64_t c, sp;
  nc_dims(n, &c, &sp);
  check_param(g, n, 1, "scale", c);
  check_param(g, n, 2, "B", c);
  p->rows = n->in[0]->dims[0] * c;
  p->len = sp;
  p->center = 1;
  p->sdiv = sp;
  p->smod = c;
}

/* RMSNormalization's scale is a suffix of x's dims (after leading 1s) that
 * the kernel indexes itself (1), or broadcasts some other way (0) */
static int rms_scale_suffix(const Value *x, const Value *s) {
  int r = s->rank;
  while (r > 0 && s->dims[s->rank - r] == 1) r--;
  if (r > x->rank) return 0;
  for (int d = 0; d < r; d++)
    if (s->dims[s->rank - r + d] != x->dims[x->rank - r + d]) return 0;
  return 1;
}

static void rms_norm(Graph *g, const Node *n, MlcRowNorm *p) {
  const Value *x = n->in[0], *s = n->in[1];
  require_float(n, x, "input X");
  if (s->dtype != x->dtype)
    diag_node_fatal(n, "scale is %s but the input is %s", dtype_name(s->dtype),
                    dtype_name(x->dtype));
  int axis = norm_axis(n, attr_i(n, "axis", -1), x->rank);
  Value out = {0};
  Value *pair[2] = {(Value *)x, (Value *)s};
  infer_broadcast(n, 2, pair, &out);
  if (!ir_same_shape(&out, x))
    diag_node_fatal(n, "scale of shape %s does not broadcast to the input's shape %s",
                    ir_shape_str(g->arena, s), ir_shape_str(g->arena, x));
  p->rows = dims_prod(x->dims, 0, axis);
  p->len = dims_prod(x->dims, axis, x->rank);
  p->center = 0;
  p->sdiv = 1;
  p->smod = ir_numel(s);
}

typedef void (*RowFn)(Graph *g, const Node *n, MlcRowNorm *p);

static RowFn row_fn(const Node *n) {
  if (n->op == OP_GroupNormalization) return group_norm;
  if (n->op == OP_InstanceNormalization) return instance_norm;
  return rms_norm;
}

void infer_RowNorm(Graph *g, Node *n) {
  MlcRowNorm p;
  row_fn(n)(g, n, &p);
  ir_copy_type(n->out[0], n->in[0]);
}

void lower_RowNorm(Graph *g, Node *n, Lowering *L) {
  Value *y = lower_out_as(g, n->out[0], DT_FLOAT);
  Value *x = lower_as_type(g, L, n->in[0], DT_FLOAT);
  Value *scale = lower_as_type(g, L, n->in[1], DT_FLOAT);
  Value *bias = n->nin > 2 ? lower_as_type(g, L, n->in[2], DT_FLOAT) : NULL;
  int separate = n->op == OP_RMSNormalization && !rms_scale_suffix(n->in[0], scale);
  KCall *c = lower_add(g, L, K_rownorm_f32);
  MlcRowNorm *p = KC_PARAMS(c, MlcRowNorm);
  row_fn(n)(g, n, p);
  p->eps = (float)attr_f(n, "epsilon", 1e-5);
  /* empty tensors still need divisors */
  if (p->sdiv < 1) p->sdiv = 1;
  if (p->smod < 1) p->smod = 1;
  c->io[MLC_ROWNORM_X] = x;
  c->io[MLC_ROWNORM_SCALE] = separate ? NULL : scale;
  c->io[MLC_ROWNORM_BIAS] = bias;
  c->io[MLC_ROWNORM_Y] = y;
  c->nio = MLC_ROWNORM_NIO;
  if (separate) {
    Value *ins[2] = {y, scale};
    lower_ew(g, n, L, "mul", DT_FLOAT, ins, y, 0, 0);
  }
  lower_finish(g, L, y, n->out[0]);
}

/* ---- LpNormalization, LRN -------------------------------------------------- */

static void lp_dims(const Node *n, MlcLpNorm *p) {
  const Value *x = n->in[0];
  require_float(n, x, "input");
  int axis = norm_axis(n, attr_i(n, "axis", -1), x->rank);
  p->p = attr_i(n, "p", 2);
  if (p->p != 1 && p->p != 2)
    diag_node_fatal(n, "p is %lld; LpNormalization takes 1 or 2", (long long)p->p);
  p->outer = dims_prod(x->dims, 0, axis);
  p->len = x->dims[axis];
  p->inner = dims_prod(x->dims, axis + 1, x->rank);
}

static void lrn_attrs(const Node *n, MlcLrn *p) {
  int64_t c, sp;
  nc_dims(n, &c, &sp);
  if (!ir_attr(n, "size")) diag_node_fatal(n, "attribute 'size' is required");
  p->size = attr_i(n, "size", 1);
  if (p->size < 1) diag_node_fatal(n, "size is %lld; it must be positive", (long long)p->size);
  p->n = n->in[0]->dims[0];
  p->c = c;
  p->inner = sp;
  p->alpha = (float)attr_f(n, "alpha", 1e-4);
  p->beta = (float)attr_f(n, "beta", 0.75);
  p->bias = (float)attr_f(n, "bias", 1.0);
}

void infer_LpNormalization(Graph *g, Node *n) {
  (void)g;
  MlcLpNorm p;
  lp_dims(n, &p);
  ir_copy_type(n->out[0], n->in[0]);
}

void infer_LRN(Graph *g, Node *n) {
  (void)g;
  MlcLrn p;
  lrn_attrs(n, &p);
  ir_copy_type(n->out[0], n->in[0]);
}

/* x -> y through a float32 kernel whose io is x, y; the params are filled by
 * fill. (Calls are appended in order, and appending may move earlier ones:
 * the kernel's call is made after its input conversions, and not kept.) The
 * kernels are lpnorm_f32 and lrn_f32, whose slots must agree. */
_Static_assert((int)MLC_LPNORM_X == (int)MLC_LRN_X && (int)MLC_LPNORM_Y == (int)MLC_LRN_Y &&
                   (int)MLC_LPNORM_NIO == (int)MLC_LRN_NIO,
               "lpnorm_f32 and lrn_f32 share one io layout");
static void lower_unary_f32(Graph *g, Node *n, Lowering *L, int kernel,
                            void (*fill)(const Node *n, void *params)) {
  Value *y = lower_out_as(g, n->out[0], DT_FLOAT), *x = lower_as_type(g, L, n->in[0], DT_FLOAT);
  KCall *c = lower_add(g, L, kernel);
  fill(n, c->params);
  c->io[MLC_LPNORM_X] = x;
  c->io[MLC_LPNORM_Y] = y;
  c->nio = MLC_LPNORM_NIO;
  lower_finish(g, L, y, n->out[0]);
}

static void fill_lp(const Node *n, void *p) { lp_dims(n, p); }
static void fill_lrn(const Node *n, void *p) { lrn_attrs(n, p); }

void lower_LpNormalization(Graph *g, Node *n, Lowering *L) {
  lower_unary_f32(g, n, L, K_lpnorm_f32, fill_lp);
}

void lower_LRN(Graph *g, Node *n, Lowering *L) { lower_unary_f32(g, n, L, K_lrn_f32, fill_lrn); }

/* ---- MeanVarianceNormalization --------------------------------------------- */

/* the flags of the normalized axes (default 0, 2, 3) */
static void mvn_axes(const Node *n, int64_t *flags) {
  const Value *x = n->in[0];
  static const int64_t def[3] = {0, 2, 3};
  const int64_t *a;
  int k = attr_ints(n, "axes", &a);
  require_float(n, x, "input X");
  if (k < 0) {
    a = def;
    k = 3;
  }
  memset(flags, 0, IR_MAX_RANK * sizeof *flags);
  for (int i = 0; i < k; i++) {
    int ax = norm_axis(n, a[i], x->rank);
    if (flags[ax]) diag_node_fatal(n, "axis %d is listed twice", ax);
    flags[ax] = 1;
  }
}

void infer_MeanVarianceNormalization(Graph *g, Node *n) {
  (void)g;
  int64_t flags[IR_MAX_RANK];
  mvn_axes(n, flags);
  ir_copy_type(n->out[0], n->in[0]);
}

static void mean_call(Graph *g, Lowering *L, Value *x, Value *y, const int64_t *flags) {
  KCall *c = lower_add(g, L, x->dtype == DT_DOUBLE ? K_reduce_f64 : K_reduce_f32);
  MlcReduce *p = KC_PARAMS(c, MlcReduce);
  p->rank = x->rank;
  for (int d = 0; d < x->rank; d++) {
    p->dims[d] = x->dims[d];
    p->axes[d] = flags[d];
  }
  p->kind = MLC_RED_MEAN;
  c->io[MLC_REDUCE_X] = x;
  c->io[MLC_REDUCE_Y] = y;
  c->nio = MLC_REDUCE_NIO;
}

/* computes in double for double, else in float32; every call writes a
 * value of its own */
void lower_MeanVarianceNormalization(Graph *g, Node *n, Lowering *L) {
  Value *x0 = n->in[0];
  DType t = x0->dtype == DT_DOUBLE ? DT_DOUBLE : DT_FLOAT;
  int64_t flags[IR_MAX_RANK], kd[IR_MAX_RANK];
  int r = x0->rank;
  mvn_axes(n, flags);
  for (int d = 0; d < r; d++) kd[d] = flags[d] ? 1 : x0->dims[d];
  Value *x = lower_as_type(g, L, x0, t);
  Value *y = x0->dtype == t ? n->out[0] : lower_temp(g, t, r, x0->dims);
  Value *mean = lower_temp(g, t, r, kd), *sq = lower_temp(g, t, r, x0->dims);
  Value *ex2 = lower_temp(g, t, r, kd), *m2 = lower_temp(g, t, r, kd);
  Value *var = lower_temp(g, t, r, kd), *sd = lower_temp(g, t, r, kd);
  Value *den = lower_temp(g, t, r, kd), *diff = lower_temp(g, t, r, x0->dims);
  Value *xx[2] = {x, x}, *mm[2] = {mean, mean}, *ev[2] = {ex2, m2};
  Value *se[2] = {sd, lower_scalar(g, t, 1e-9)}, *xm[2] = {x, mean}, *dd[2] = {diff, den};
  mean_call(g, L, x, mean, flags);
  lower_ew(g, n, L, "mul", t, xx, sq, 0, 0);
  mean_call(g, L, sq, ex2, flags);
  lower_ew(g, n, L, "mul", t, mm, m2, 0, 0);
  lower_ew(g, n, L, "sub", t, ev, var, 0, 0);
  lower_ew(g, n, L, "sqrt", t, &var, sd, 0, 0);
  lower_ew(g, n, L, "add", t, se, den, 0, 0);
  lower_ew(g, n, L, "sub", t, xm, diff, 0, 0);
  lower_ew(g, n, L, "div", t, dd, y, 0, 0);
  lower_finish(g, L, y, n->out[0]);
}
