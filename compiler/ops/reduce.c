/* Reductions (ReduceSum ... ReduceLogSumExp) and ArgMax/ArgMin.
 *
 * The reduced axes are an attribute before opset 18 (ReduceSum: 13) and an
 * optional constant input from then on; no axes means all of them, unless
 * noop_with_empty_axes makes the op an identity. The lowering hands the
 * kernel the input dims with a flag per reduced axis, after dropping unit
 * dims and merging neighbours that are both kept or both reduced, so the
 * kernel walks as few and as long runs as possible. A reduction over no
 * elements (a zero-sized reduced dim) has the kind's identity as its
 * result, which infer writes as compile-time data.
 */
#include <math.h>
#include <string.h>

#include "diag.h"
#include "ops.h"

static const struct {
  int op, kind;
} red_kinds[] = {
    {OP_ReduceSum, MLC_RED_SUM},
    {OP_ReduceMean, MLC_RED_MEAN},
    {OP_ReduceMax, MLC_RED_MAX},
    {OP_ReduceMin, MLC_RED_MIN},
    {OP_ReduceProd, MLC_RED_PROD},
    {OP_ReduceL1, MLC_RED_L1},
    {OP_ReduceL2, MLC_RED_L2},
    {OP_ReduceLogSum, MLC_RED_LOGSUM},
    {OP_ReduceLogSumExp, MLC_RED_LOGSUMEXP},
    {OP_ReduceSumSquare, MLC_RED_SUMSQUARE},
};

static int red_kind(const Node *n) {
  for (size_t i = 0; i < sizeof red_kinds / sizeof *red_kinds; i++)
    if (red_kinds[i].op == n->op) return red_kinds[i].kind;
  MLC_ASSERT(!"reduction without a kind");
  return 0;
}

/* the reduce kernel for n's element type; bool only for max and min */
static int red_kernel(const Node *n) {
  DType t = n->in[0]->dtype;
  int k = red_kind(n);
  switch (t) {
  case DT_FLOAT: return K_reduce_f32;
  case DT_DOUBLE: return K_reduce_f64;
  case DT_INT32: return K_reduce_i32;
  case DT_INT64: return K_reduce_i64;
  case DT_UINT8: return K_reduce_u8;
  case DT_BOOL:
    if (k == MLC_RED_MAX || k == MLC_RED_MIN) return K_reduce_u8;
    break;
  default: break;
  }
  diag_node_fatal(n, "%s on %s is not supported", n->op_type, dtype_name(t));
}

/* Which axes n reduces (flags per input dim); returns 0 when the op is an
 * identity (no axes and noop_with_empty_axes). */
static int red_axes(const Node *n, int *reduced) {
  const Value *x = n->in[0];
  int64_t ax[IR_MAX_RANK];
  int since = n->op == OP_ReduceSum ? 13 : 18;
  int k = read_ints_arg(n, "axes", since, 1, ax, IR_MAX_RANK);
  memset(reduced, 0, IR_MAX_RANK * sizeof *reduced);
  if (k <= 0) {
    if (attr_i(n, "noop_with_empty_axes", 0)) return 0;
    for (int d = 0; d < x->rank; d++) reduced[d] = 1;
    return 1;
  }
  for (int i = 0; i < k; i++) {
    int a = norm_axis(n, ax[i], x->rank);
    if (reduced[a]) diag_node_fatal(n, "axis %lld is listed twice", (long long)ax[i]);
    reduced[a] = 1;
  }
  return 1;
}

/* the result of reducing no elements: the kind's identity */
static double red_identity(const Node *n, int kind) {
  int is_bool = n->in[0]->dtype == DT_BOOL;
  switch (kind) {
  case MLC_RED_PROD: return 1;
  case MLC_RED_MAX: return is_bool ? 0 : -INFINITY;
  case MLC_RED_MIN: return is_bool ? 1 : INFINITY;
  case MLC_RED_MEAN: return NAN;
  case MLC_RED_LOGSUM:
  case MLC_RED_LOGSUMEXP: return -INFINITY;
  default: return 0;
  }
}

void infer_Reduce(Graph *g, Node *n) {
  const Value *x = n->in[0];
  Value *y = n->out[0];
  red_kernel(n);
  int reduced[IR_MAX_RANK];
  if (!red_axes(n, reduced)) {
    ir_copy_type(y, x);
    return;
  }
  int keep = attr_i(n, "keepdims", 1) != 0, rank = 0, empty = 0;
  int64_t dims[IR_MAX_RANK];
  for (int d = 0; d < x->rank; d++) {
    if (reduced[d] && x->dims[d] == 0) empty = 1;
    if (!reduced[d])
      dims[rank++] = x->dims[d];
    else if (keep)
      dims[rank++] = 1;
  }
  set_shape_checked(n, y, rank, dims);
  y->dtype = x->dtype;
  if (!empty) return;
  int64_t bits = scalar_bits(red_identity(n, red_kind(n)), y->dtype);
  size_t es = dtype_size(y->dtype);
  char *data = ir_alloc_data(g, y);
  for (int64_t i = 0; i < ir_numel(y); i++) memcpy(data + (size_t)i * es, &bits, es);
}

void lower_Reduce(Graph *g, Node *n, Lowering *L) {
  const Value *x = n->in[0];
  int reduced[IR_MAX_RANK];
  if (!red_axes(n, reduced)) {
    lower_copy_all(g, L, n->in[0], n->out[0]);
    return;
  }
  KCall *c = lower_add(g, L, red_kernel(n));
  MlcReduce *p = KC_PARAMS(c, MlcReduce);
  p->kind = red_kind(n);
  for (int d = 0; d < x->rank; d++) {
    if (x->dims[d] == 1) continue;
    if (p->rank && p->axes[p->rank - 1] == reduced[d]) {
      p->dims[p->rank - 1] *= x->dims[d];
      continue;
    }
    p->dims[p->rank] = x->dims[d];
    p->axes[p->rank++] = reduced[d];
  }
  c->io[MLC_REDUCE_X] = n->in[0];
  c->io[MLC_REDUCE_Y] = n->out[0];
  c->nio = MLC_REDUCE_NIO;
}

/* ---- ArgMax / ArgMin ---------------------------------------------------- */

static int arg_kernel(const Node *n) {
  switch (n->in[0]->dtype) {
  case DT_FLOAT: return K_argmax_f32;
  case DT_DOUBLE: return K_argmax_f64;
  case DT_INT32: return K_argmax_i32;
  case DT_INT64: return K_argmax_i64;
  case DT_UINT8: return K_argmax_u8;
  default: diag_node_fatal(n, "%s on %s is not supported", n->op_type, dtype_name(n->in[0]->dtype));
  }
}

static int arg_axis(const Node *n) {
  const Value *x = n->in[0];
  int axis = norm_axis(n, attr_i(n, "axis", 0), x->rank);
  if (x->dims[axis] == 0) diag_node_fatal(n, "%s over axis %d, which is empty", n->op_type, axis);
  return axis;
}

void infer_Arg(Graph *g, Node *n) {
  (void)g;
  const Value *x = n->in[0];
  arg_kernel(n);
  int axis = arg_axis(n), keep = attr_i(n, "keepdims", 1) != 0, rank = 0;
  int64_t dims[IR_MAX_RANK];
  for (int d = 0; d < x->rank; d++)
    if (d != axis)
      dims[rank++] = x->dims[d];
    else if (keep)
      dims[rank++] = 1;
  set_shape_checked(n, n->out[0], rank, dims);
  n->out[0]->dtype = DT_INT64;
}

void lower_Arg(Graph *g, Node *n, Lowering *L) {
  const Value *x = n->in[0];
  int axis = arg_axis(n);
  KCall *c = lower_add(g, L, arg_kernel(n));
  MlcArg *p = KC_PARAMS(c, MlcArg);
  p->outer = p->inner = 1;
  for (int d = 0; d < x->rank; d++)
    if (d < axis)
      p->outer *= x->dims[d];
    else if (d > axis)
      p->inner *= x->dims[d];
  p->len = x->dims[axis];
  p->select_last = n->opset >= 12 && attr_i(n, "select_last_index", 0) != 0;
  p->is_min = n->op == OP_ArgMin;
  c->io[MLC_ARGMAX_X] = n->in[0];
  c->io[MLC_ARGMAX_Y] = n->out[0];
  c->nio = MLC_ARGMAX_NIO;
}
