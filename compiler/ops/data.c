/* Data-movement ops: Transpose, Concat, Split, Slice, Expand, Tile and Pad
 * lower to the runtime's one strided `copy` kernel (plus `fill` and `pad`),
 * Gather to `gather`. Each op is a description of strides and offsets:
 *   Transpose  source strides permuted
 *   Concat     one copy per input, at its offset along the axis
 *   Split      one copy per output, from its offset along the axis
 *   Slice      source offset of the starts, strides times the steps
 *   Expand     source stride 0 along broadcast dims
 *   Tile       output viewed as [r0, d0, r1, d1, ...], source stride 0 on r_i
 *   Pad        constant: fill, then copy the (cropped) input inside;
 *              reflect / edge / wrap: the pad kernel
 * Infer and lower share one function per op that reads and validates the
 * attributes, so the two can never disagree.
 */
#include <string.h>

#include "diag.h"
#include "ops.h"

/* ---- Transpose --------------------------------------------------------------- */

static void transpose_perm(const Node *n, int *perm) {
  int r = n->in[0]->rank;
  const int64_t *p;
  int k = attr_ints(n, "perm", &p);
  char seen[IR_MAX_RANK] = {0};
  if (k < 0) {
    for (int i = 0; i < r; i++) perm[i] = r - 1 - i;
    return;
  }
  if (k != r) diag_node_fatal(n, "perm has %d entries for a rank-%d input", k, r);
  for (int i = 0; i < r; i++) {
    if (p[i] < 0 || p[i] >= r)
      diag_node_fatal(n, "perm entry %lld is out of range for rank %d", (long long)p[i], r);
    if (seen[p[i]]) diag_node_fatal(n, "perm lists axis %lld twice", (long long)p[i]);
    seen[p[i]] = 1;
    perm[i] = (int)p[i];
  }
}

void infer_Transpose(Graph *g, Node *n) {
  (void)g;
  const Value *x = n->in[0];
  int perm[IR_MAX_RANK];
  int64_t dims[IR_MAX_RANK];
  transpose_perm(n, perm);
  for (int i = 0; i < x->rank; i++) dims[i] = x->dims[perm[i]];
  n->out[0]->dtype = x->dtype;
  set_shape_checked(n, n->out[0], x->rank, dims);
}

void lower_Transpose(Graph *g, Node *n, Lowering *L) {
  Value *x = n->in[0], *y = n->out[0];
  int perm[IR_MAX_RANK];
  int64_t xs[IR_MAX_RANK], ss[IR_MAX_RANK], ys[IR_MAX_RANK];
  transpose_perm(n, perm);
  row_strides(x, xs);
  row_strides(y, ys);
  for (int i = 0; i < x->rank; i++) ss[i] = xs[perm[i]];
  lower_strided_copy(g, n, L, x, y, y->rank, y->dims, ss, ys, 0, 0);
}

/* ---- Concat ------------------------------------------------------------------ */

static int concat_axis(const Node *n) {
  int r = n->in[0]->rank;
  if (r == 0) diag_node_fatal(n, "cannot concatenate scalars");
  if (n->opset >= 4 && !ir_attr(n, "axis")) diag_node_fatal(n, "the axis attribute is required");
  return norm_axis(n, attr_i(n, "axis", 1), r);
}

void infer_Concat(Graph *g, Node *n) {
  const Value *x0 = n->in[0];
  int axis = concat_axis(n);
  int64_t dims[IR_MAX_RANK];
  memcpy(dims, x0->dims, sizeof dims);
  dims[axis] = 0;
  for (int i = 0; i < n->nin; i++) {
    const Value *v = n->in[i];
    if (!v) diag_node_fatal(n, "input %d is missing", i);
    if (v->dtype != x0->dtype)
      diag_node_fatal(n, "input %d is %s, input 0 is %s", i, dtype_name(v->dtype),
                      dtype_name(x0->dtype));
    if (v->rank != x0->rank)
      diag_node_fatal(n, "input %d has rank %d, input 0 has rank %d", i, v->rank, x0->rank);
    for (int d = 0; d < v->rank; d++)
      if (d != axis && v->dims[d] != x0->dims[d])
        diag_node_fatal(n,
                        "input %d has shape %s, incompatible with input 0's %s "
                        "outside axis %d",
                        i, ir_shape_str(g->arena, v), ir_shape_str(g->arena, x0), axis);
    dims[axis] += v->dims[axis];
  }
  n->out[0]->dtype = x0->dtype;
  set_shape_checked(n, n->out[0], x0->rank, dims);
}

int64_t input_run_offset(const Node *n, int i) {
  const Value *y = n->out[0];
  int axis = concat_axis(n);
  if (dims_prod(y->dims, 0, axis) != 1) return -1;
  int64_t at = 0;
  for (int j = 0; j < i; j++) at += n->in[j]->dims[axis];
  return at * dims_prod(y->dims, axis + 1, y->rank) * (int64_t)dtype_size(y->dtype);
}

/* an input that the memory plan made a view of y (input_run_offset) is
 * there already, written by its producer */
void lower_Concat(Graph *g, Node *n, Lowering *L) {
  Value *y = n->out[0];
  int axis = concat_axis(n);
  int64_t ys[IR_MAX_RANK], vs[IR_MAX_RANK], at = 0;
  row_strides(y, ys);
  for (int i = 0; i < n->nin; i++) {
    Value *v = n->in[i];
    row_strides(v, vs);
    if (v->view_of != y)
      lower_strided_copy(g, n, L, v, y, v->rank, v->dims, vs, ys, 0, at * ys[axis]);
    at += v->dims[axis];
  }
}

/* ---- Split ------------------------------------------------------------------- */

/* the sizes of the nout parts along axis: the split list (attribute before
 * opset 13, input from 13), else equal parts; from opset 18 num_outputs
 * allows a smaller last part */
static int64_t *split_sizes(Graph *g, const Node *n, int axis) {
  int k = n->nout, cnt = -1;
  int64_t dim = n->in[0]->dims[axis];
  int64_t *s = arena_array(g->arena, (size_t)k, sizeof *s);
  const Value *sv = n->nin > 1 ? n->in[1] : NULL;
  if (n->opset < 13) {
    const int64_t *a;
    cnt = attr_ints(n, "split", &a);
    if (cnt > k) diag_node_fatal(n, "split has %d entries but the node has %d outputs", cnt, k);
    if (cnt > 0) memcpy(s, a, (size_t)cnt * sizeof *s);
  }
  /* Split-1 also took the list as an input; Split-13 only does */
  if (sv && (n->opset < 2 || n->opset >= 13)) {
    if (ir_numel(sv) != k)
      diag_node_fatal(n, "split has %lld entries but the node has %d outputs",
                      (long long)ir_numel(sv), k);
    cnt = read_const_ints(n, 1, s, k);
  }
  if (n->opset >= 18 && ir_attr(n, "num_outputs")) {
    int64_t num = attr_i(n, "num_outputs", 0);
    if (cnt >= 0) diag_node_fatal(n, "give either split or num_outputs, not both");
    if (num != k)
      diag_node_fatal(n, "num_outputs is %lld but the node has %d outputs", (long long)num, k);
  }
  if (cnt >= 0) {
    if (cnt != k) diag_node_fatal(n, "split has %d entries but the node has %d outputs", cnt, k);
    int64_t sum = 0;
    for (int i = 0; i < k; i++) {
      if (s[i] < 0 || s[i] > dim - sum)
        diag_node_fatal(n, "the split sizes do not add up to dim %d (%lld)", axis, (long long)dim);
      sum += s[i];
    }
    if (sum != dim)
      diag_node_fatal(n, "the split sizes add up to %lld, dim %d is %lld", (long long)sum, axis,
                      (long long)dim);
    return s;
  }
  int64_t part = dim / k;
  if (dim % k) {
    if (n->opset < 18)
      diag_node_fatal(n, "dim %d (%lld) does not split into %d equal parts", axis, (long long)dim,
                      k);
    part++;
    if (part * (k - 1) > dim)
      diag_node_fatal(n, "dim %d (%lld) does not split into %d parts of %lld", axis, (long long)dim,
                      k, (long long)part);
  }
  for (int i = 0; i < k; i++) s[i] = i < k - 1 ? part : dim - part * (k - 1);
  return s;
}

void infer_Split(Graph *g, Node *n) {
  const Value *x = n->in[0];
  if (x->rank == 0) diag_node_fatal(n, "cannot split a scalar");
  int axis = norm_axis(n, attr_i(n, "axis", 0), x->rank);
  int64_t *sizes = split_sizes(g, n, axis), dims[IR_MAX_RANK];
  memcpy(dims, x->dims, sizeof dims);
  for (int i = 0; i < n->nout; i++) {
    if (!n->out[i]) continue;
    dims[axis] = sizes[i];
    n->out[i]->dtype = x->dtype;
    set_shape_checked(n, n->out[i], x->rank, dims);
  }
}

void lower_Split(Graph *g, Node *n, Lowering *L) {
  Value *x = n->in[0];
  int axis = norm_axis(n, attr_i(n, "axis", 0), x->rank);
  int64_t *sizes = split_sizes(g, n, axis), xs[IR_MAX_RANK], ys[IR_MAX_RANK], at = 0;
  row_strides(x, xs);
  for (int i = 0; i < n->nout; i++) {
    Value *y = n->out[i];
    if (y) {
      row_strides(y, ys);
      lower_strided_copy(g, n, L, x, y, y->rank, y->dims, xs, ys, at * xs[axis], 0);
    }
    at += sizes[i];
  }
}

/* ---- Slice ------------------------------------------------------------------- */

typedef struct SlicePlan {
  int64_t start[IR_MAX_RANK], step[IR_MAX_RANK], count[IR_MAX_RANK];
} SlicePlan;

/* starts, ends, axes (attributes before opset 10, inputs after) and steps,
 * clamped as the spec says; count[d] items per dim, possibly 0 */
static void slice_plan(const Node *n, SlicePlan *sp) {
  const Value *x = n->in[0];
  int r = x->rank;
  int64_t st[IR_MAX_RANK], en[IR_MAX_RANK], ax[IR_MAX_RANK], sd[IR_MAX_RANK];
  char seen[IR_MAX_RANK] = {0};
  int k = read_ints_arg(n, "starts", 10, 1, st, IR_MAX_RANK);
  int ke = read_ints_arg(n, "ends", 10, 2, en, IR_MAX_RANK);
  int ka = read_ints_arg(n, "axes", 10, 3, ax, IR_MAX_RANK);
  int ks = n->opset >= 10 ? read_const_ints(n, 4, sd, IR_MAX_RANK) : -1;
  if (k < 0 || ke < 0) diag_node_fatal(n, "starts and ends are required");
  if (ke != k || (ka >= 0 && ka != k) || (ks >= 0 && ks != k))
    diag_node_fatal(n, "starts, ends, axes and steps must have the same length");
  for (int d = 0; d < r; d++) {
    sp->start[d] = 0;
    sp->step[d] = 1;
    sp->count[d] = x->dims[d];
  }
  for (int i = 0; i < k; i++) {
    int a = norm_axis(n, ka >= 0 ? ax[i] : i, r);
    if (seen[a]) diag_node_fatal(n, "axis %d is sliced twice", a);
    seen[a] = 1;
    int64_t step = ks >= 0 ? sd[i] : 1, dim = x->dims[a], s = st[i], e = en[i], diff;
    if (!step) diag_node_fatal(n, "the step of axis %d is 0", a);
    /* adding dim to INT64_MIN cannot overflow: dim >= 0 */
    if (s < 0) s += dim;
    if (e < 0) e += dim;
    if (step > 0) {
      s = s < 0 ? 0 : (s > dim ? dim : s);
      e = e < 0 ? 0 : (e > dim ? dim : e);
      diff = e - s;
    } else {
      s = s < 0 ? 0 : (s > dim - 1 ? dim - 1 : s);
      e = e < -1 ? -1 : (e > dim - 1 ? dim - 1 : e);
      diff = s - e;
    }
    uint64_t ustep = step > 0 ? (uint64_t)step : 0 - (uint64_t)step;
    sp->count[a] = dim && diff > 0 ? (int64_t)((uint64_t)(diff - 1) / ustep + 1) : 0;
    sp->start[a] = sp->count[a] ? s : 0;
    sp->step[a] = step;
  }
}

void infer_Slice(Graph *g, Node *n) {
  (void)g;
  SlicePlan sp;
  slice_plan(n, &sp);
  n->out[0]->dtype = n->in[0]->dtype;
  set_shape_checked(n, n->out[0], n->in[0]->rank, sp.count);
}

void lower_Slice(Graph *g, Node *n, Lowering *L) {
  Value *x = n->in[0], *y = n->out[0];
  SlicePlan sp;
  int64_t xs[IR_MAX_RANK], ss[IR_MAX_RANK], ys[IR_MAX_RANK], off = 0;
  slice_plan(n, &sp);
  row_strides(x, xs);
  row_strides(y, ys);
  for (int d = 0; d < x->rank; d++) {
    off += sp.start[d] * xs[d];
    /* a huge step only ever takes one item: its stride is never used */
    ss[d] = sp.count[d] > 1 ? sp.step[d] * xs[d] : 0;
  }
  lower_strided_copy(g, n, L, x, y, y->rank, y->dims, ss, ys, off, 0);
}

/* ---- Gather ------------------------------------------------------------------ */

static int gather_axis(const Node *n) {
  const Value *x = n->in[0];
  if (x->rank == 0) diag_node_fatal(n, "cannot gather from a scalar");
  return norm_axis(n, attr_i(n, "axis", 0), x->rank);
}

void infer_Gather(Graph *g, Node *n) {
  (void)g;
  const Value *x = n->in[0], *idx = n->in[1];
  if (idx->dtype != DT_INT64 && idx->dtype != DT_INT32)
    diag_node_fatal(n, "indices must be int64 or int32, not %s", dtype_name(idx->dtype));
  int axis = gather_axis(n), r = 0;
  int64_t dim = x->dims[axis], dims[2 * IR_MAX_RANK];
  if (idx->data) {
    for (int64_t i = 0, k = ir_numel(idx); i < k; i++) {
      int64_t v = ir_data_i64(idx, i);
      if (v < -dim || v >= dim)
        diag_node_fatal(n, "index %lld is out of range for axis %d of size %lld", (long long)v,
                        axis, (long long)dim);
    }
  }
  for (int d = 0; d < axis; d++) dims[r++] = x->dims[d];
  for (int d = 0; d < idx->rank; d++) dims[r++] = idx->dims[d];
  for (int d = axis + 1; d < x->rank; d++) dims[r++] = x->dims[d];
  n->out[0]->dtype = x->dtype;
  set_shape_checked(n, n->out[0], r, dims);
}

void lower_Gather(Graph *g, Node *n, Lowering *L) {
  Value *x = n->in[0], *idx = n->in[1];
  int axis = gather_axis(n);
  KCall *c = lower_add(g, L, K_gather);
  MlcGather *p = KC_PARAMS(c, MlcGather);
  p->outer = 1;
  p->inner_bytes = (int64_t)dtype_size(x->dtype);
  for (int d = 0; d < axis; d++) p->outer *= x->dims[d];
  for (int d = axis + 1; d < x->rank; d++) p->inner_bytes *= x->dims[d];
  p->len = x->dims[axis];
  p->nidx = ir_numel(idx);
  p->idx_bits = idx->dtype == DT_INT32 ? 32 : 64;
  c->io[MLC_GATHER_DATA] = x;
  c->io[MLC_GATHER_INDICES] = idx;
  c->io[MLC_GATHER_Y] = n->out[0];
  c->nio = MLC_GATHER_NIO;
}

/* ---- Expand, Tile ------------------------------------------------------------ */

void infer_Expand(Graph *g, Node *n) {
  (void)g;
  Value shape = {0};
  shape.rank = read_const_ints(n, 1, shape.dims, IR_MAX_RANK);
  for (int d = 0; d < shape.rank; d++)
    if (shape.dims[d] < 0)
      diag_node_fatal(n, "shape entry %d is negative (%lld)", d, (long long)shape.dims[d]);
  Value *pair[2] = {n->in[0], &shape};
  Value *y = n->out[0];
  infer_broadcast(n, 2, pair, y);
  y->dtype = n->in[0]->dtype;
  set_shape_checked(n, y, y->rank, y->dims);
}

void lower_Expand(Graph *g, Node *n, Lowering *L) {
  Value *x = n->in[0], *y = n->out[0];
  int64_t xs[IR_MAX_RANK], ss[IR_MAX_RANK], ys[IR_MAX_RANK];
  int off = y->rank - x->rank;
  row_strides(x, xs);
  row_strides(y, ys);
  for (int d = 0; d < y->rank; d++) ss[d] = d < off || x->dims[d - off] == 1 ? 0 : xs[d - off];
  lower_strided_copy(g, n, L, x, y, y->rank, y->dims, ss, ys, 0, 0);
}

/* repeats per dim: an input from opset 6; Tile-1 took a count and an axis */
static void tile_repeats(const Node *n, int64_t *rep) {
  int r = n->in[0]->rank;
  if (n->opset >= 6) {
    int k = read_const_ints(n, 1, rep, IR_MAX_RANK);
    if (k != r) diag_node_fatal(n, "repeats has %d entries for a rank-%d input", k, r);
  } else {
    int64_t tiles, axis;
    if (read_const_ints(n, 1, &tiles, 1) != 1 || read_const_ints(n, 2, &axis, 1) != 1)
      diag_node_fatal(n, "Tile-1 needs the tiles and axis inputs");
    for (int d = 0; d < r; d++) rep[d] = 1;
    rep[norm_axis(n, axis, r)] = tiles;
  }
  for (int d = 0; d < r; d++)
    if (rep[d] < 0) diag_node_fatal(n, "repeat %lld of axis %d is negative", (long long)rep[d], d);
}

void infer_Tile(Graph *g, Node *n) {
  (void)g;
  const Value *x = n->in[0];
  int64_t rep[IR_MAX_RANK], dims[IR_MAX_RANK];
  tile_repeats(n, rep);
  for (int d = 0; d < x->rank; d++)
    if (__builtin_mul_overflow(x->dims[d], rep[d], &dims[d]))
      diag_node_fatal(n, "the output would have too many elements");
  n->out[0]->dtype = x->dtype;
  set_shape_checked(n, n->out[0], x->rank, dims);
}

void lower_Tile(Graph *g, Node *n, Lowering *L) {
  Value *x = n->in[0], *y = n->out[0];
  int64_t rep[IR_MAX_RANK], xs[IR_MAX_RANK], ys[IR_MAX_RANK];
  int64_t dims[2 * IR_MAX_RANK], ss[2 * IR_MAX_RANK], ds[2 * IR_MAX_RANK];
  tile_repeats(n, rep);
  row_strides(x, xs);
  row_strides(y, ys);
  for (int d = 0; d < x->rank; d++) {
    dims[2 * d] = rep[d];
    ss[2 * d] = 0;
    ds[2 * d] = x->dims[d] * ys[d];
    dims[2 * d + 1] = x->dims[d];
    ss[2 * d + 1] = xs[d];
    ds[2 * d + 1] = ys[d];
  }
  lower_strided_copy(g, n, L, x, y, 2 * x->rank, dims, ss, ds, 0, 0);
}

/* ---- Pad --------------------------------------------------------------------- */

enum { PAD_CONSTANT, PAD_REFLECT, PAD_EDGE, PAD_WRAP }; /* MlcPad's mode numbers */

typedef struct PadPlan {
  int mode;
  int64_t crop[IR_MAX_RANK];  /* input items dropped at the start (negative pads) */
  int64_t kept[IR_MAX_RANK];  /* input items that remain */
  int64_t begin[IR_MAX_RANK]; /* output items added at the start */
  int64_t out[IR_MAX_RANK];
} PadPlan;

/* pads: attribute ("paddings" in Pad-1) before opset 11, then an input, with
 * an optional axes input from opset 18. Negative pads crop. */
static void pad_plan(const Node *n, PadPlan *pp) {
  const Value *x = n->in[0];
  int r = x->rank;
  static const char *const modes[] = {"constant", "reflect", "edge", "wrap"};
  const char *mode = attr_s(n, "mode", "constant");
  pp->mode = -1;
  for (int m = 0; m < 4; m++)
    if (!strcmp(mode, modes[m])) pp->mode = m;
  if (pp->mode < 0 || (pp->mode == PAD_WRAP && n->opset < 19))
    diag_node_fatal(n, "mode '%s' is not supported at opset %d", mode, n->opset);
  int64_t pads[2 * IR_MAX_RANK], axes[IR_MAX_RANK], b[IR_MAX_RANK] = {0}, e[IR_MAX_RANK] = {0};
  int k = read_ints_arg(n, n->opset < 2 ? "paddings" : "pads", 11, 1, pads, 2 * IR_MAX_RANK);
  int ka = n->opset >= 18 ? read_const_ints(n, 3, axes, IR_MAX_RANK) : -1;
  int na = ka >= 0 ? ka : r;
  if (k != 2 * na)
    diag_node_fatal(n, "pads has %d entries; expected %d (two per padded axis)", k, 2 * na);
  char seen[IR_MAX_RANK] = {0};
  for (int i = 0; i < na; i++) {
    int a = ka >= 0 ? norm_axis(n, axes[i], r) : i;
    if (seen[a]) diag_node_fatal(n, "axis %d is listed twice", a);
    seen[a] = 1;
    b[a] = pads[i];
    e[a] = pads[i + na];
  }
  for (int d = 0; d < r; d++) {
    int64_t lim = INT64_C(1) << 40;
    if (b[d] < -lim || b[d] > lim || e[d] < -lim || e[d] > lim)
      diag_node_fatal(n, "the pads of axis %d are too large", d);
    pp->crop[d] = b[d] < 0 ? -b[d] : 0;
    pp->kept[d] = x->dims[d] - pp->crop[d] - (e[d] < 0 ? -e[d] : 0);
    if (pp->kept[d] < 0)
      diag_node_fatal(n, "the negative pads of axis %d remove more than its %lld items", d,
                      (long long)x->dims[d]);
    pp->begin[d] = b[d] > 0 ? b[d] : 0;
    pp->out[d] = pp->kept[d] + pp->begin[d] + (e[d] > 0 ? e[d] : 0);
    if (pp->mode != PAD_CONSTANT && !pp->kept[d] && pp->out[d])
      diag_node_fatal(n, "axis %d is empty: there is nothing to pad it with in mode '%s'", d, mode);
  }
}

void infer_Pad(Graph *g, Node *n) {
  (void)g;
  PadPlan pp;
  pad_plan(n, &pp);
  const Value *cv = n->opset >= 11 && n->nin > 2 ? n->in[2] : NULL;
  if (cv && (cv->dtype != n->in[0]->dtype || ir_numel(cv) != 1))
    diag_node_fatal(n, "constant_value must be one %s", dtype_name(n->in[0]->dtype));
  n->out[0]->dtype = n->in[0]->dtype;
  set_shape_checked(n, n->out[0], n->in[0]->rank, pp.out);
}

/* the constant padding: a fill of the value's bits, or, for a constant_value
 * computed at run time, a copy broadcasting it (source strides 0) */
static void lower_pad_value(Graph *g, Node *n, Lowering *L, Value *y) {
  DType t = y->dtype;
  Value *cv = n->opset >= 11 && n->nin > 2 ? n->in[2] : NULL;
  int64_t bits = 0;
  if (n->opset < 11) {
    bits = scalar_bits(attr_f(n, "value", 0), t);
  } else if (cv && cv->data) {
    memcpy(&bits, cv->data, dtype_size(t));
  } else if (cv) {
    int64_t zeros[IR_MAX_RANK] = {0}, ys[IR_MAX_RANK];
    row_strides(y, ys);
    lower_strided_copy(g, n, L, cv, y, y->rank, y->dims, zeros, ys, 0, 0);
    return;
  }
  lower_fill(g, L, y, bits);
}

void lower_Pad(Graph *g, Node *n, Lowering *L) {
  Value *x = n->in[0], *y = n->out[0];
  PadPlan pp;
  int64_t xs[IR_MAX_RANK], ys[IR_MAX_RANK], soff = 0, doff = 0, kept = 1;
  int r = x->rank;
  pad_plan(n, &pp);
  row_strides(x, xs);
  row_strides(y, ys);
  for (int d = 0; d < r; d++) {
    soff += pp.crop[d] * xs[d];
    doff += pp.begin[d] * ys[d];
    kept *= pp.kept[d];
  }
  if (pp.mode == PAD_CONSTANT) {
    if (kept < ir_numel(y)) lower_pad_value(g, n, L, y);
    lower_strided_copy(g, n, L, x, y, r, pp.kept, xs, ys, soff, doff);
    return;
  }
  if (!ir_numel(y)) return;
  KCall *c = lower_add(g, L, K_pad);
  MlcPad *p = KC_PARAMS(c, MlcPad);
  p->rank = r;
  p->elem = (int64_t)dtype_size(x->dtype);
  p->mode = pp.mode;
  p->src_off = soff;
  for (int d = 0; d < r; d++) {
    p->in_dims[d] = pp.kept[d];
    p->in_strides[d] = xs[d];
    p->out_dims[d] = pp.out[d];
    p->pad_begin[d] = pp.begin[d];
  }
  c->io[MLC_PAD_SRC] = x;
  c->io[MLC_PAD_DST] = y;
  c->nio = MLC_PAD_NIO;
}
