/* Gather/scatter, cumulative, sorting and index ops:
 *   GatherElements, ScatterElements (and the old Scatter)  gather_elements /
 *       scatter_elements: one item per index, its position with the axis
 *       coordinate replaced by the index
 *   GatherND, ScatterND   gather_nd / scatter_nd: index tuples pick slices
 *   TensorScatter         tensor_scatter: update rows written at positions
 *   OneHot                onehot (indices cast to int64 first)
 *   Hardmax               argmax, then onehot of the constant [0, 1]
 *   Trilu                 trilu
 *   CumSum, CumProd       cumulative
 *   TopK                  topk, with an int64 scratch for its sort
 *   Compress              gather of the constant list of kept positions
 *   ReverseSequence       reverse_sequence
 *   EyeLike               fill, then a strided copy of a one along the diagonal
 *   ArrayFeatureExtractor gather along the last axis
 * Einsum, Det, NonZero and Unique are in op_index2.c.
 *
 * Values that decide a shape (TopK's k, OneHot's depth, Compress's
 * condition, the axis of CumSum) must be known at compile time. Indices known
 * at compile time are checked against their range here; those that arrive at
 * run time are made safe by the kernels (skipped, or zero bytes). Infer and
 * lower share one function per op that validates and computes the kernel
 * parameters, so the two never disagree.
 */

#include <string.h>

#include "diag.h"
#include "infer.h"
#include "ops.h"

enum { RED_NONE, RED_ADD, RED_MUL, RED_MAX, RED_MIN }; /* MlcElems.reduction */

/* ---- shared helpers (op_index.h) -------------------------------------------- */

/* ---- local helpers ------------------------------------------------------------ */

static int index_bits(const Node *n, const Value *idx, int allow32) {
  if (idx->dtype == DT_INT64) return 64;
  if (idx->dtype == DT_INT32 && allow32) return 32;
  diag_node_fatal(n, "indices must be %s, not %s", allow32 ? "int64 or int32" : "int64",
                  dtype_name(idx->dtype));
}

static void check_index(const Node *n, int64_t k, int64_t len, int axis) {
  if (k < -len || k >= len)
    diag_node_fatal(n, "index %lld is out of range for axis %d of size %lld", (long long)k, axis,
                    (long long)len);
}

static void same_dtype(const Node *n, const Value *a, const Value *b, const char *what) {
  if (a->dtype != b->dtype)
    diag_node_fatal(n, "%s is %s, the data is %s", what, dtype_name(b->dtype),
                    dtype_name(a->dtype));
}

/* the one value of a constant single-element input of any numeric type */
static double const_scalar(const Node *n, int input) {
  const Value *v = n->in[input];
  if (ir_numel(v) != 1)
    diag_node_fatal(n, "input %d ('%s') must hold one value, not %lld", input, v->name,
                    (long long)ir_numel(v));
  if (!dtype_castable(v->dtype))
    diag_node_fatal(n, "input %d ('%s') of type %s is not supported", input, v->name,
                    dtype_name(v->dtype));
  if (!v->data) infer_need_const(n, v);
  double x = 0;
  MlcCast p = {1, v->dtype, DT_DOUBLE, 0};
  void *io[MLC_CAST_NIO] = {[MLC_CAST_X] = v->data, [MLC_CAST_Y] = &x};
  mlc_rt_cast(&p, io);
  return x;
}

/* a scatter's reduction attribute, checked against the opset */
static int scatter_reduction(const Node *n) {
  static const struct {
    const char *name;
    int since;
  } reds[] = {{"none", 11}, {"add", 16}, {"mul", 16}, {"max", 18}, {"min", 18}};
  if (n->op == OP_Scatter) return RED_NONE;
  const char *s = attr_s(n, "reduction", "none");
  for (int r = 0; r < 5; r++)
    if (!strcmp(s, reds[r].name)) {
      if (n->opset < reds[r].since) break;
      return r;
    }
  diag_node_fatal(n, "reduction '%s' is not supported at opset %d", s, n->opset);
}

/* the kernel call of a scatter: reductions compute (float16 in float), a
 * plain scatter moves bytes. scatter_elements and scatter_nd take the same
 * slots, filled here by the former's names. */
_Static_assert((int)MLC_SCATTER_ND_DATA == MLC_SCATTER_ELEMENTS_DATA &&
                   (int)MLC_SCATTER_ND_INDICES == MLC_SCATTER_ELEMENTS_INDICES &&
                   (int)MLC_SCATTER_ND_UPDATES == MLC_SCATTER_ELEMENTS_UPDATES &&
                   (int)MLC_SCATTER_ND_Y == MLC_SCATTER_ELEMENTS_Y &&
                   (int)MLC_SCATTER_ND_NIO == MLC_SCATTER_ELEMENTS_NIO,
               "lower_scatter fills both scatter kernels by one set of names");
static KCall *lower_scatter(Graph *g, Node *n, Lowering *L, int kernel, int red, Value **ins,
                            Value **out) {
  Value *y = n->out[0];
  DType t = y->dtype;
  *out = y;
  if (red != RED_NONE) {
    t = lower_compute_type(n, t, 0);
    ins[0] = lower_as_type(g, L, ins[0], t);
    ins[2] = lower_as_type(g, L, ins[2], t);
    *out = lower_out_as(g, y, t);
  }
  KCall *c = lower_add(g, L, kernel);
  c->io[MLC_SCATTER_ELEMENTS_DATA] = ins[0];
  c->io[MLC_SCATTER_ELEMENTS_INDICES] = ins[1];
  c->io[MLC_SCATTER_ELEMENTS_UPDATES] = ins[2];
  c->io[MLC_SCATTER_ELEMENTS_Y] = *out;
  c->nio = MLC_SCATTER_ELEMENTS_NIO;
  return c;
}

/* ---- GatherElements, ScatterElements, Scatter ---------------------------------- */

static void elems_plan(const Node *n, const Value *data, const Value *idx, MlcElems *p) {
  memset(p, 0, sizeof *p);
  if (data->rank == 0) diag_node_fatal(n, "the data must not be a scalar");
  if (idx->rank != data->rank)
    diag_node_fatal(n, "indices have rank %d, the data rank %d", idx->rank, data->rank);
  int axis = norm_axis(n, attr_i(n, "axis", 0), data->rank);
  int64_t ds[IR_MAX_RANK];
  row_strides(data, ds);
  for (int d = 0; d < data->rank; d++) {
    if (d != axis && idx->dims[d] > data->dims[d])
      diag_node_fatal(n, "indices dim %d (%lld) exceeds the data's (%lld)", d,
                      (long long)idx->dims[d], (long long)data->dims[d]);
    p->dims[d] = idx->dims[d];
    p->strides[d] = ds[d];
  }
  p->rank = data->rank;
  p->axis = axis;
  p->axis_len = data->dims[axis];
  p->elem = (int64_t)dtype_size(data->dtype);
  p->dtype = data->dtype;
  p->idx_bits = index_bits(n, idx, 1);
  p->data_count = ir_numel(data);
  if (idx->data)
    for (int64_t i = 0; i < ir_numel(idx); i++)
      check_index(n, ir_data_i64(idx, i), p->axis_len, axis);
}

void infer_GatherElements(Graph *g, Node *n) {
  (void)g;
  MlcElems p;
  elems_plan(n, n->in[0], n->in[1], &p);
  n->out[0]->dtype = n->in[0]->dtype;
  set_shape_checked(n, n->out[0], n->in[1]->rank, n->in[1]->dims);
}

void lower_GatherElements(Graph *g, Node *n, Lowering *L) {
  KCall *c = lower_add(g, L, K_gather_elements);
  elems_plan(n, n->in[0], n->in[1], KC_PARAMS(c, MlcElems));
  c->io[MLC_GATHER_ELEMENTS_DATA] = n->in[0];
  c->io[MLC_GATHER_ELEMENTS_INDICES] = n->in[1];
  c->io[MLC_GATHER_ELEMENTS_Y] = n->out[0];
  c->nio = MLC_GATHER_ELEMENTS_NIO;
}

void infer_ScatterElements(Graph *g, Node *n) {
  MlcElems p;
  const Value *data = n->in[0], *idx = n->in[1], *upd = n->in[2];
  elems_plan(n, data, idx, &p);
  same_dtype(n, data, upd, "updates");
  if (!ir_same_shape(idx, upd))
    diag_node_fatal(n, "updates have shape %s, the indices %s", ir_shape_str(g->arena, upd),
                    ir_shape_str(g->arena, idx));
  if (scatter_reduction(n) != RED_NONE) lower_compute_type(n, data->dtype, 0);
  ir_copy_type(n->out[0], data);
}

void lower_ScatterElements(Graph *g, Node *n, Lowering *L) {
  int red = scatter_reduction(n);
  Value *ins[3] = {n->in[0], n->in[1], n->in[2]}, *out;
  KCall *c = lower_scatter(g, n, L, K_scatter_elements, red, ins, &out);
  MlcElems *p = KC_PARAMS(c, MlcElems);
  elems_plan(n, ins[0], ins[1], p);
  p->reduction = red;
  lower_finish(g, L, out, n->out[0]);
}

/* ---- GatherND, ScatterND ------------------------------------------------------- */

/* data [batch dims, k indexed dims, slice dims], indices [batch dims, tuple
 * dims, k]; the result (gather output, scatter updates) has the shape
 * [batch dims, tuple dims, slice dims], written to dims (rank returned) */
static int nd_plan(const Node *n, const Value *data, const Value *idx, int b, MlcND *p,
                   int64_t *dims) {
  int r = data->rank, q = idx->rank;
  memset(p, 0, sizeof *p);
  index_bits(n, idx, 0);
  if (r < 1 || q < 1) diag_node_fatal(n, "data and indices must not be scalars");
  if (b < 0 || b >= (q < r ? q : r))
    diag_node_fatal(n, "batch_dims %d must be below the ranks of data and indices", b);
  int64_t k = idx->dims[q - 1];
  if (k > r - b)
    diag_node_fatal(n, "index tuples of %lld entries address only %d dims of the data",
                    (long long)k, r - b);
  for (int d = 0; d < b; d++)
    if (idx->dims[d] != data->dims[d])
      diag_node_fatal(n, "batch dim %d is %lld in the indices and %lld in the data", d,
                      (long long)idx->dims[d], (long long)data->dims[d]);
  int64_t ds[IR_MAX_RANK];
  row_strides(data, ds);
  p->k = k;
  for (int j = 0; j < k; j++) {
    p->dims[j] = data->dims[b + j];
    p->strides[j] = ds[b + j];
  }
  p->batch = dims_prod(data->dims, 0, b);
  p->batch_stride = dims_prod(data->dims, b, r);
  p->nidx = dims_prod(idx->dims, b, q - 1);
  p->slice = dims_prod(data->dims, b + (int)k, r);
  p->elem = (int64_t)dtype_size(data->dtype);
  p->dtype = data->dtype;
  p->data_count = ir_numel(data);
  if (idx->data)
    for (int64_t i = 0; i < ir_numel(idx); i++)
      check_index(n, ir_data_i64(idx, i), p->dims[i % k], b + (int)(i % k));
  int rank = 0;
  for (int d = 0; d < q - 1; d++) dims[rank++] = idx->dims[d];
  for (int d = b + (int)k; d < r; d++) {
    if (rank == IR_MAX_RANK)
      diag_node_fatal(n, "the result would have more than %d dims", IR_MAX_RANK);
    dims[rank++] = data->dims[d];
  }
  return rank;
}

static int gathernd_batch(const Node *n) {
  return n->opset >= 12 ? (int)attr_i(n, "batch_dims", 0) : 0;
}

void infer_GatherND(Graph *g, Node *n) {
  (void)g;
  MlcND p;
  int64_t dims[IR_MAX_RANK];
  int rank = nd_plan(n, n->in[0], n->in[1], gathernd_batch(n), &p, dims);
  n->out[0]->dtype = n->in[0]->dtype;
  set_shape_checked(n, n->out[0], rank, dims);
}

void lower_GatherND(Graph *g, Node *n, Lowering *L) {
  KCall *c = lower_add(g, L, K_gather_nd);
  int64_t dims[IR_MAX_RANK];
  nd_plan(n, n->in[0], n->in[1], gathernd_batch(n), KC_PARAMS(c, MlcND), dims);
  c->io[MLC_GATHER_ND_DATA] = n->in[0];
  c->io[MLC_GATHER_ND_INDICES] = n->in[1];
  c->io[MLC_GATHER_ND_Y] = n->out[0];
  c->nio = MLC_GATHER_ND_NIO;
}

void infer_ScatterND(Graph *g, Node *n) {
  MlcND p;
  int64_t dims[IR_MAX_RANK];
  const Value *data = n->in[0], *upd = n->in[2];
  int rank = nd_plan(n, data, n->in[1], 0, &p, dims);
  same_dtype(n, data, upd, "updates");
  Value want = {0};
  ir_set_shape(&want, rank, dims);
  if (!ir_same_shape(&want, upd))
    diag_node_fatal(n, "updates have shape %s; these indices need %s", ir_shape_str(g->arena, upd),
                    ir_shape_str(g->arena, &want));
  if (scatter_reduction(n) != RED_NONE) lower_compute_type(n, data->dtype, 0);
  ir_copy_type(n->out[0], data);
}

void lower_ScatterND(Graph *g, Node *n, Lowering *L) {
  int red = scatter_reduction(n);
  int64_t dims[IR_MAX_RANK];
  Value *ins[3] = {n->in[0], n->in[1], n->in[2]}, *out;
  KCall *c = lower_scatter(g, n, L, K_scatter_nd, red, ins, &out);
  MlcND *p = KC_PARAMS(c, MlcND);
  nd_plan(n, ins[0], ins[1], 0, p, dims);
  p->reduction = red;
  lower_finish(g, L, out, n->out[0]);
}

/* ---- TensorScatter ------------------------------------------------------------- */

static void tensor_scatter_plan(const Node *n, MlcTensorScatter *p) {
  const Value *cache = n->in[0], *upd = n->in[1];
  const Value *at = n->nin > 2 ? n->in[2] : NULL;
  int r = cache->rank;
  memset(p, 0, sizeof *p);
  if (r < 2) diag_node_fatal(n, "past_cache must have rank 2 or more");
  int axis = norm_axis(n, attr_i(n, "axis", -2), r);
  if (axis == 0) diag_node_fatal(n, "axis 0 is the batch axis; it cannot be the sequence");
  const char *mode = attr_s(n, "mode", "linear");
  if (strcmp(mode, "linear") && strcmp(mode, "circular"))
    diag_node_fatal(n, "mode '%s' is not supported", mode);
  same_dtype(n, cache, upd, "update");
  if (upd->rank != r) diag_node_fatal(n, "update has rank %d, past_cache %d", upd->rank, r);
  for (int d = 0; d < r; d++)
    if (d == axis ? upd->dims[d] > cache->dims[d] : upd->dims[d] != cache->dims[d])
      diag_node_fatal(n, "update dim %d (%lld) does not fit past_cache's (%lld)", d,
                      (long long)upd->dims[d], (long long)cache->dims[d]);
  p->pre = dims_prod(cache->dims, 0, axis);
  p->per_batch = cache->dims[0] ? p->pre / cache->dims[0] : 1;
  p->max_seq = cache->dims[axis];
  p->seq = upd->dims[axis];
  p->row_bytes = dims_prod(cache->dims, axis + 1, r) * (int64_t)dtype_size(cache->dtype);
  p->circular = !strcmp(mode, "circular");
  if (!at) return;
  index_bits(n, at, 0);
  if (at->rank != 1 || at->dims[0] != cache->dims[0])
    diag_node_fatal(n, "write_indices must have one entry per batch (%lld)",
                    (long long)cache->dims[0]);
  if (at->data && !p->circular)
    for (int64_t i = 0; i < at->dims[0]; i++) {
      int64_t w = ir_data_i64(at, i);
      if (w < 0 || w > p->max_seq - p->seq)
        diag_node_fatal(n, "write index %lld leaves no room for %lld updates in %lld", (long long)w,
                        (long long)p->seq, (long long)p->max_seq);
    }
}

void infer_TensorScatter(Graph *g, Node *n) {
  (void)g;
  MlcTensorScatter p;
  tensor_scatter_plan(n, &p);
  ir_copy_type(n->out[0], n->in[0]);
}

void lower_TensorScatter(Graph *g, Node *n, Lowering *L) {
  KCall *c = lower_add(g, L, K_tensor_scatter);
  tensor_scatter_plan(n, KC_PARAMS(c, MlcTensorScatter));
  c->io[MLC_TENSOR_SCATTER_CACHE] = n->in[0];
  c->io[MLC_TENSOR_SCATTER_UPDATE] = n->in[1];
  c->io[MLC_TENSOR_SCATTER_INDICES] = n->nin > 2 ? n->in[2] : NULL;
  c->io[MLC_TENSOR_SCATTER_Y] = n->out[0];
  c->nio = MLC_TENSOR_SCATTER_NIO;
}

/* ---- OneHot, Hardmax ---------------------------------------------------------- */

/* y = values[idx == d] over [outer, depth, inner]; idx is int64 */
static MlcOneHot *lower_onehot_call(Graph *g, Lowering *L, Value *idx, Value *values, Value *y,
                                    int64_t outer, int64_t depth, int64_t inner) {
  KCall *c = lower_add(g, L, K_onehot);
  MlcOneHot *p = KC_PARAMS(c, MlcOneHot);
  p->outer = outer;
  p->depth = depth;
  p->inner = inner;
  p->elem = (int64_t)dtype_size(y->dtype);
  c->io[MLC_ONEHOT_INDICES] = idx;
  c->io[MLC_ONEHOT_VALUES] = values;
  c->io[MLC_ONEHOT_Y] = y;
  c->nio = MLC_ONEHOT_NIO;
  return p;
}

/* the depth, and the axis of the new dim in the output */
static int64_t onehot_depth(const Node *n, int *axis) {
  const Value *idx = n->in[0], *values = n->in[2];
  if (idx->dtype == DT_BOOL || idx->dtype == DT_STRING || !dtype_size(idx->dtype))
    diag_node_fatal(n, "indices of type %s are not supported", dtype_name(idx->dtype));
  if (ir_numel(values) != 2)
    diag_node_fatal(n, "values must hold two entries (off, on), not %lld",
                    (long long)ir_numel(values));
  double depth = const_scalar(n, 1);
  if (!(depth >= 1 && depth <= (double)(INT64_C(1) << 40)))
    diag_node_fatal(n, "depth %g is not a positive size", depth);
  *axis = norm_axis(n, attr_i(n, "axis", -1), idx->rank + 1);
  return (int64_t)depth;
}

void infer_OneHot(Graph *g, Node *n) {
  (void)g;
  const Value *idx = n->in[0];
  int axis, r = 0;
  int64_t depth = onehot_depth(n, &axis), dims[IR_MAX_RANK + 1];
  for (int d = 0; d <= idx->rank; d++)
    dims[r++] = d == axis ? depth : idx->dims[d < axis ? d : d - 1];
  n->out[0]->dtype = n->in[2]->dtype;
  set_shape_checked(n, n->out[0], r, dims);
}

void lower_OneHot(Graph *g, Node *n, Lowering *L) {
  Value *idx = n->in[0];
  int axis;
  int64_t depth = onehot_depth(n, &axis);
  MlcOneHot *p = lower_onehot_call(g, L, lower_as_type(g, L, idx, DT_INT64), n->in[2], n->out[0],
                                   dims_prod(idx->dims, 0, axis), depth,
                                   dims_prod(idx->dims, axis, idx->rank));
  p->wrap = n->opset >= 11; /* OneHot-9 reads negative indices as out of range */
}

/* Hardmax-1 and -11 flatten the input to 2-D at axis: len runs over every
 * dim from axis on. */
static void hardmax_plan(const Node *n, int64_t *outer, int64_t *len, int64_t *inner) {
  const Value *x = n->in[0];
  lower_compute_type(n, x->dtype, 1);
  if (x->rank == 0) diag_node_fatal(n, "the input must not be a scalar");
  int axis = norm_axis(n, attr_i(n, "axis", n->opset < 13 ? 1 : -1), x->rank);
  *outer = dims_prod(x->dims, 0, axis);
  *len = n->opset < 13 ? dims_prod(x->dims, axis, x->rank) : x->dims[axis];
  *inner = n->opset < 13 ? 1 : dims_prod(x->dims, axis + 1, x->rank);
}

void infer_Hardmax(Graph *g, Node *n) {
  (void)g;
  int64_t o, l, i;
  hardmax_plan(n, &o, &l, &i);
  ir_copy_type(n->out[0], n->in[0]);
}

void lower_Hardmax(Graph *g, Node *n, Lowering *L) {
  Value *x = n->in[0], *y = n->out[0];
  int64_t outer, len, inner;
  hardmax_plan(n, &outer, &len, &inner);
  if (!ir_numel(y)) return;
  Value *xc = lower_as_type(g, L, x, lower_compute_type(n, x->dtype, 1));
  int64_t adims[2] = {outer, inner};
  Value *arg = lower_temp(g, DT_INT64, 2, adims);
  KCall *c = lower_add(g, L, xc->dtype == DT_DOUBLE ? K_argmax_f64 : K_argmax_f32);
  MlcArg *p = KC_PARAMS(c, MlcArg);
  p->outer = outer;
  p->len = len;
  p->inner = inner;
  c->io[MLC_ARGMAX_X] = xc;
  c->io[MLC_ARGMAX_Y] = arg;
  c->nio = MLC_ARGMAX_NIO;
  int64_t two = 2;
  Value *values = lower_temp(g, y->dtype, 1, &two);
  size_t es = dtype_size(y->dtype);
  int64_t one = scalar_bits(1, y->dtype);
  memcpy((char *)ir_alloc_data(g, values) + es, &one, es);
  lower_onehot_call(g, L, arg, values, y, outer, len, inner);
}

/* ---- Trilu ---------------------------------------------------------------------- */

static void trilu_plan(const Node *n, MlcTrilu *p) {
  const Value *x = n->in[0], *k = n->nin > 1 ? n->in[1] : NULL;
  memset(p, 0, sizeof *p);
  if (x->rank < 2) diag_node_fatal(n, "the input must have rank 2 or more");
  if (k && (k->dtype != DT_INT64 || ir_numel(k) != 1)) diag_node_fatal(n, "k must be one int64");
  p->batch = dims_prod(x->dims, 0, x->rank - 2);
  p->rows = x->dims[x->rank - 2];
  p->cols = x->dims[x->rank - 1];
  p->elem = (int64_t)dtype_size(x->dtype);
  p->upper = attr_i(n, "upper", 1) != 0;
  p->k = k && k->data ? ir_data_i64(k, 0) : 0;
}

void infer_Trilu(Graph *g, Node *n) {
  (void)g;
  MlcTrilu p;
  trilu_plan(n, &p);
  ir_copy_type(n->out[0], n->in[0]);
}

/* a constant k goes into the parameters; one known only at run time is read
 * by the kernel */
void lower_Trilu(Graph *g, Node *n, Lowering *L) {
  KCall *c = lower_add(g, L, K_trilu);
  trilu_plan(n, KC_PARAMS(c, MlcTrilu));
  Value *k = n->nin > 1 ? n->in[1] : NULL;
  c->io[MLC_TRILU_X] = n->in[0];
  c->io[MLC_TRILU_K] = k && !k->data ? k : NULL;
  c->io[MLC_TRILU_Y] = n->out[0];
  c->nio = MLC_TRILU_NIO;
}

/* ---- CumSum, CumProd -------------------------------------------------------------- */

static void cum_plan(const Node *n, MlcCum *p) {
  const Value *x = n->in[0];
  int64_t axis;
  memset(p, 0, sizeof *p);
  if (read_const_ints(n, 1, &axis, 1) != 1) diag_node_fatal(n, "axis must be one integer");
  /* a scalar is cumulated as a 1-D tensor of one item */
  int a = norm_axis(n, axis, x->rank ? x->rank : 1);
  p->outer = dims_prod(x->dims, 0, a);
  p->len = x->rank ? x->dims[a] : 1;
  p->inner = dims_prod(x->dims, a + 1, x->rank);
  p->dtype = lower_compute_type(n, x->dtype, 0);
  p->prod = n->op == OP_CumProd;
  p->exclusive = attr_i(n, "exclusive", 0) != 0;
  p->reverse = attr_i(n, "reverse", 0) != 0;
}

void infer_Cum(Graph *g, Node *n) {
  (void)g;
  MlcCum p;
  cum_plan(n, &p);
  ir_copy_type(n->out[0], n->in[0]);
}

void lower_Cum(Graph *g, Node *n, Lowering *L) {
  MlcCum p;
  cum_plan(n, &p);
  Value *x = lower_as_type(g, L, n->in[0], (DType)p.dtype);
  Value *y = lower_out_as(g, n->out[0], (DType)p.dtype);
  KCall *c = lower_add(g, L, K_cumulative);
  *KC_PARAMS(c, MlcCum) = p;
  c->io[MLC_CUMULATIVE_X] = x;
  c->io[MLC_CUMULATIVE_Y] = y;
  c->nio = MLC_CUMULATIVE_NIO;
  lower_finish(g, L, y, n->out[0]);
}

/* ---- TopK -------------------------------------------------------------------------- */

/* k: an attribute in TopK-1, a constant input from opset 10 */
static void topk_plan(const Node *n, MlcTopK *p, int *axis) {
  const Value *x = n->in[0];
  int64_t k;
  memset(p, 0, sizeof *p);
  if (x->rank == 0) diag_node_fatal(n, "the input must not be a scalar");
  if (n->opset < 10) {
    if (!ir_attr(n, "k")) diag_node_fatal(n, "the k attribute is required");
    k = attr_i(n, "k", 0);
  } else if (n->nin < 2 || !n->in[1] || read_const_ints(n, 1, &k, 1) != 1) {
    diag_node_fatal(n, "K must be one integer");
  }
  *axis = norm_axis(n, attr_i(n, "axis", -1), x->rank);
  if (k < 0 || k > x->dims[*axis])
    diag_node_fatal(n, "k %lld is out of range for axis %d of size %lld", (long long)k, *axis,
                    (long long)x->dims[*axis]);
  p->outer = dims_prod(x->dims, 0, *axis);
  p->len = x->dims[*axis];
  p->inner = dims_prod(x->dims, *axis + 1, x->rank);
  p->k = k;
  p->dtype = lower_compute_type(n, x->dtype, 0);
  /* sorted=0 leaves the order open: sorted is one valid order */
  p->largest = n->opset < 11 || attr_i(n, "largest", 1) != 0;
}

void infer_TopK(Graph *g, Node *n) {
  (void)g;
  MlcTopK p;
  int axis;
  int64_t dims[IR_MAX_RANK];
  topk_plan(n, &p, &axis);
  memcpy(dims, n->in[0]->dims, sizeof dims);
  dims[axis] = p.k;
  n->out[0]->dtype = n->in[0]->dtype;
  set_shape_checked(n, n->out[0], n->in[0]->rank, dims);
  if (n->out[1]) {
    n->out[1]->dtype = DT_INT64;
    set_shape_checked(n, n->out[1], n->in[0]->rank, dims);
  }
}

void lower_TopK(Graph *g, Node *n, Lowering *L) {
  MlcTopK p;
  int axis;
  topk_plan(n, &p, &axis);
  Value *vals = n->out[0], *inds = n->out[1];
  if (!ir_numel(vals)) return;
  if (!inds) inds = lower_temp(g, DT_INT64, vals->rank, vals->dims);
  int64_t slen = 2 * p.len;
  Value *x = lower_as_type(g, L, n->in[0], (DType)p.dtype);
  Value *v = lower_out_as(g, vals, (DType)p.dtype);
  KCall *c = lower_add(g, L, K_topk);
  *KC_PARAMS(c, MlcTopK) = p;
  c->io[MLC_TOPK_X] = x;
  c->io[MLC_TOPK_VALUES] = v;
  c->io[MLC_TOPK_INDICES] = inds;
  c->io[MLC_TOPK_SCRATCH] = lower_temp(g, DT_INT64, 1, &slen);
  c->nio = MLC_TOPK_NIO;
  lower_finish(g, L, v, vals);
}

/* ---- Compress, ArrayFeatureExtractor: gathers -------------------------------------- */

/* a gather of `nidx` positions along the middle dim of x viewed as [outer,
 * len, inner] */
static void lower_gather_call(Graph *g, Lowering *L, Value *x, Value *idx, Value *y, int64_t outer,
                              int64_t len, int64_t inner) {
  KCall *c = lower_add(g, L, K_gather);
  MlcGather *p = KC_PARAMS(c, MlcGather);
  p->outer = outer;
  p->len = len;
  p->inner_bytes = inner * (int64_t)dtype_size(x->dtype);
  p->nidx = ir_numel(idx);
  p->idx_bits = 64;
  c->io[MLC_GATHER_DATA] = x;
  c->io[MLC_GATHER_INDICES] = idx;
  c->io[MLC_GATHER_Y] = y;
  c->nio = MLC_GATHER_NIO;
}

/* The kept positions along the axis (-1: the flattened input) as a constant
 * int64 tensor. numpy.compress reads a short condition as false beyond its
 * end; a true entry beyond the axis is an error. */
static Value *compress_plan(Graph *g, const Node *n, int *axis) {
  const Value *x = n->in[0], *cond = n->in[1];
  if (cond->dtype != DT_BOOL || cond->rank != 1)
    diag_node_fatal(n, "condition must be a 1-D bool tensor");
  if (!cond->data) infer_need_const(n, cond); /* the output's size depends on it */
  *axis = ir_attr(n, "axis") ? norm_axis(n, attr_i(n, "axis", 0), x->rank) : -1;
  int64_t len = *axis < 0 ? ir_numel(x) : x->dims[*axis], count = 0;
  const uint8_t *c = cond->data;
  for (int64_t i = 0; i < cond->dims[0]; i++) {
    if (!c[i]) continue;
    if (i >= len)
      diag_node_fatal(n, "condition selects position %lld of an axis of %lld", (long long)i,
                      (long long)len);
    count++;
  }
  Value *idx = lower_temp(g, DT_INT64, 1, &count);
  int64_t *k = ir_alloc_data(g, idx);
  for (int64_t i = 0, j = 0; i < cond->dims[0]; i++)
    if (c[i]) k[j++] = i;
  return idx;
}

void infer_Compress(Graph *g, Node *n) {
  const Value *x = n->in[0];
  int axis;
  Value *idx = compress_plan(g, n, &axis);
  int64_t dims[IR_MAX_RANK];
  memcpy(dims, x->dims, sizeof dims);
  n->out[0]->dtype = x->dtype;
  if (axis < 0) {
    set_shape_checked(n, n->out[0], 1, idx->dims);
    return;
  }
  dims[axis] = idx->dims[0];
  set_shape_checked(n, n->out[0], x->rank, dims);
}

void lower_Compress(Graph *g, Node *n, Lowering *L) {
  Value *x = n->in[0];
  int axis;
  Value *idx = compress_plan(g, n, &axis);
  if (axis < 0)
    lower_gather_call(g, L, x, idx, n->out[0], 1, ir_numel(x), 1);
  else
    lower_gather_call(g, L, x, idx, n->out[0], dims_prod(x->dims, 0, axis), x->dims[axis],
                      dims_prod(x->dims, axis + 1, x->rank));
}

/* ai.onnx.ml: X[..., Y] with Y flattened; a 1-D X gives one row */
void infer_ArrayFeatureExtractor(Graph *g, Node *n) {
  (void)g;
  const Value *x = n->in[0], *idx = n->in[1];
  index_bits(n, idx, 0);
  if (x->rank == 0) diag_node_fatal(n, "X must not be a scalar");
  int64_t dims[IR_MAX_RANK], c = x->dims[x->rank - 1];
  if (idx->data)
    for (int64_t i = 0; i < ir_numel(idx); i++) {
      int64_t k = ir_data_i64(idx, i);
      if (k < 0 || k >= c)
        diag_node_fatal(n, "index %lld is out of range for %lld features", (long long)k,
                        (long long)c);
    }
  memcpy(dims, x->dims, sizeof dims);
  int r = x->rank;
  if (r == 1) {
    dims[0] = 1;
    r = 2;
  }
  dims[r - 1] = ir_numel(idx);
  n->out[0]->dtype = x->dtype;
  set_shape_checked(n, n->out[0], r, dims);
}

void lower_ArrayFeatureExtractor(Graph *g, Node *n, Lowering *L) {
  Value *x = n->in[0];
  int64_t c = x->dims[x->rank - 1];
  lower_gather_call(g, L, x, n->in[1], n->out[0], c ? ir_numel(x) / c : 0, c, 1);
}

/* ---- ReverseSequence ------------------------------------------------------------- */

static void revseq_plan(const Node *n, MlcRevSeq *p) {
  const Value *x = n->in[0], *lens = n->in[1];
  memset(p, 0, sizeof *p);
  if (x->rank < 2) diag_node_fatal(n, "the input must have rank 2 or more");
  int64_t ta = attr_i(n, "time_axis", 0), ba = attr_i(n, "batch_axis", 1);
  if (!((ta == 0 && ba == 1) || (ta == 1 && ba == 0)))
    diag_node_fatal(n, "time_axis and batch_axis must be 0 and 1 in some order");
  if (lens->dtype != DT_INT64 || lens->rank != 1 || lens->dims[0] != x->dims[ba])
    diag_node_fatal(n, "sequence_lens must be int64 with one entry per batch (%lld)",
                    (long long)x->dims[ba]);
  if (lens->data)
    for (int64_t i = 0; i < lens->dims[0]; i++) {
      int64_t v = ir_data_i64(lens, i);
      if (v < 0 || v > x->dims[ta])
        diag_node_fatal(n, "sequence length %lld is out of range [0, %lld]", (long long)v,
                        (long long)x->dims[ta]);
    }
  p->rank = x->rank;
  p->elem = (int64_t)dtype_size(x->dtype);
  p->time_axis = ta;
  p->batch_axis = ba;
  memcpy(p->dims, x->dims, (size_t)x->rank * sizeof *p->dims);
}

void infer_ReverseSequence(Graph *g, Node *n) {
  (void)g;
  MlcRevSeq p;
  revseq_plan(n, &p);
  ir_copy_type(n->out[0], n->in[0]);
}

void lower_ReverseSequence(Graph *g, Node *n, Lowering *L) {
  KCall *c = lower_add(g, L, K_reverse_sequence);
  revseq_plan(n, KC_PARAMS(c, MlcRevSeq));
  c->io[MLC_REVERSE_SEQUENCE_X] = n->in[0];
  c->io[MLC_REVERSE_SEQUENCE_LENGTHS] = n->in[1];
  c->io[MLC_REVERSE_SEQUENCE_Y] = n->out[0];
  c->nio = MLC_REVERSE_SEQUENCE_NIO;
}

/* ---- EyeLike ------------------------------------------------------------------------ */

static DType eyelike_type(const Node *n) {
  DType t = ir_attr(n, "dtype") ? (DType)attr_i(n, "dtype", 0) : n->in[0]->dtype;
  if (n->in[0]->rank != 2) diag_node_fatal(n, "the input must be 2-D");
  if (!dtype_castable(t)) diag_node_fatal(n, "output type %s is not supported", dtype_name(t));
  return t;
}

void infer_EyeLike(Graph *g, Node *n) {
  (void)g;
  n->out[0]->dtype = eyelike_type(n);
  set_shape_checked(n, n->out[0], 2, n->in[0]->dims);
}

/* zeros, then ones along the diagonal k: a copy of one constant with source
 * stride 0 and destination stride cols + 1 */
void lower_EyeLike(Graph *g, Node *n, Lowering *L) {
  Value *y = n->out[0];
  int64_t rows = y->dims[0], cols = y->dims[1], k = attr_i(n, "k", 0), len = 0, at = 0;
  lower_fill(g, L, y, 0);
  if (k >= 0 && k < cols) {
    len = rows < cols - k ? rows : cols - k;
    at = k;
  } else if (k < 0 && k > -rows) {
    len = rows + k < cols ? rows + k : cols;
    at = -k * cols;
  }
  int64_t zero = 0, step = cols + 1;
  if (len > 0)
    lower_strided_copy(g, n, L, lower_scalar(g, y->dtype, 1), y, 1, &len, &zero, &step, 0, at);
}
