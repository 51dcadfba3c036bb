/* BatchNormalization, and per-channel scales and shifts, folded into the
 * weights of the Conv, Gemm or MatMul before them (pass_bnfold, -O1); the
 * BatchNormalizations left over become Mul and Add (pass_bnsplit, -O2).
 *
 * 1. A BatchNormalization whose scale, bias, mean and var are constants is
 *    y = x * s + t per channel, with s = scale / sqrt(var + eps) and
 *    t = bias - mean * s computed as the runtime's kernel computes them.
 *    bnfold splits it into Mul(x, s) and Add(., t), s and t shaped to
 *    broadcast along the channel axis, when a linear op below absorbs both
 *    (2, 3); bnsplit splits the rest for the fusion passes, which merge the
 *    two into the loops around them (at -O1, with no fusion, the one
 *    BatchNormalization kernel is faster than a Mul and an Add).
 * 2. Mul, Div, Add or Sub of a constant that varies at most along the
 *    output-channel axis (a per-channel constant), applied to the output of
 *    a linear op L with constant weights that nothing else reads, goes into
 *    L: a scale multiplies L's weights and bias along the output channels, a
 *    shift adds to the bias (Conv gets one if it had none; Gemm's C takes
 *    beta first). L then produces the folded op's output value, so a graph
 *    output keeps its identity.
 *        Conv    weight M x C/group x k..., bias [M]; channel axis 1
 *        Gemm    B (K x M, or M x K with transB), C; channel axis 1 (columns)
 *        MatMul  2-D B (K x M), no bias; channel axis last (columns)
 * 3. MatMul has no bias input, so its bias is the Add after it: a scale or
 *    shift after that Add (a per-channel constant b) folds into B and b.
 *
 * A Conv followed by BatchNormalization, with or without a bias Add between
 * (and likewise Gemm, MatMul and MatMul + Add), ends as the linear op
 * alone. Weights read by other nodes too are copied, not changed. Sums and
 * products are computed in double and rounded once to float. */
#include <math.h>
#include <string.h>

#include "ops.h"
#include "passes.h"

/* L's weight input, bias input slot (-1: none), and channel axis */
typedef struct Linear {
  Node *n;
  int bias_slot, axis;
  int64_t m; /* output channels */
} Linear;

static int is_float_const(const Value *v) {
  return v && v->data && !v->producer && v->dtype == DT_FLOAT;
}

/* y's producer as a foldable linear op, if y has no reader but `user` */
static int linear_of(const Value *y, const Node *user, Linear *L) {
  Node *n = y->producer;
  if (!n || n->dead || rw_sole_user(y) != user || y->dtype != DT_FLOAT ||
      (n->op != OP_Conv && n->op != OP_Gemm && n->op != OP_MatMul))
    return 0;
  const Value *w = n->in[1];
  int has_c = n->nin > 2 && n->in[2];
  if (!is_float_const(w) || (has_c && !is_float_const(n->in[2]))) return 0;
  L->n = n;
  if (n->op == OP_Conv && w->rank >= 3 && y->rank == w->rank) {
    *L = (Linear){n, 2, 1, w->dims[0]};
    return 1;
  }
  if (n->op == OP_Gemm && y->rank == 2) {
    *L = (Linear){n, 2, 1, y->dims[1]};
    return 1;
  }
  if (n->op == OP_MatMul && w->rank == 2 && y->rank >= 2) {
    *L = (Linear){n, -1, y->rank - 1, w->dims[1]};
    return 1;
  }
  return 0;
}

/* c is a float constant that, broadcast against y (whose channel axis is
 * `axis` with m channels), leaves y's shape and varies along the axis only */
static int per_channel(const Value *c, const Value *y, int axis, int64_t m) {
  if (!is_float_const(c) || c->rank > y->rank) return 0;
  for (int d = 0; d < c->rank; d++) {
    int yd = y->rank - c->rank + d;
    if (c->dims[d] != 1 && !(yd == axis && c->dims[d] == m)) return 0;
  }
  return 1;
}

/* element for channel k of a per-channel constant (one value or m) */
static double at(const Value *c, int64_t k) { return ir_data_f64(c, ir_numel(c) == 1 ? 0 : k); }

/* a new per-channel constant [m, 1, ...] aligned to y's axis */
static Value *channel_const(Graph *g, const Value *y, int axis, int64_t m) {
  int64_t dims[IR_MAX_RANK];
  int r = y->rank - axis;
  for (int d = 0; d < r; d++) dims[d] = d ? 1 : m;
  return rw_const(g, DT_FLOAT, r, dims);
}

static Value *copy_const(Graph *g, const Value *v) {
  Value *c = rw_const(g, v->dtype, v->rank, v->dims);
  memcpy(c->data, v->data, ir_nbytes(v));
  return c;
}

/* ---- into the linear op -------------------------------------------------------- */

/* Gemm's C, or Conv's bias, as a new [rows, m] (or [m]) constant with
 * new[r][k] = a * old[r][k] * s(k) + t(k); s or t NULL for 1 or 0 */
static Value *affine_bias(Graph *g, const Linear *L, double a, const Value *s, const Value *t) {
  const Value *c = L->n->nin > 2 ? L->n->in[2] : NULL;
  int64_t rows = c && c->rank == 2 && c->dims[0] > 1 ? c->dims[0] : 1;
  int64_t cols = c && c->rank >= 1 && c->dims[c->rank - 1] > 1 ? L->m : 1;
  int64_t dims[2] = {rows, L->m};
  Value *b = rows > 1 ? rw_const(g, DT_FLOAT, 2, dims) : rw_const(g, DT_FLOAT, 1, &L->m);
  float *o = b->data;
  for (int64_t r = 0; r < rows; r++)
    for (int64_t k = 0; k < L->m; k++) {
      double v = c ? ir_data_f64(c, r * cols + (cols > 1 ? k : 0)) : 0;
      o[r * L->m + k] = (float)(a * v * (s ? at(s, k) : 1) + (t ? at(t, k) : 0));
    }
  return b;
}

static void set_bias(Graph *g, Node *n, Value *b) {
  if (n->nin < 3) { /* room for the optional input */
    Value **in = arena_array(g->arena, 3, sizeof *in);
    memcpy(in, n->in, (size_t)n->nin * sizeof *in);
    n->in = in;
    n->nin = 3;
  }
  rw_set_input(g, n, 2, b);
}

/* weights times s along the output channels; the bias too */
static void scale_linear(Graph *g, const Linear *L, const Value *s) {
  Node *n = L->n;
  Value *w = copy_const(g, n->in[1]);
  float *d = w->data;
  int64_t count = ir_numel(w);
  int channel_rows = n->op == OP_Conv || (n->op == OP_Gemm && attr_i(n, "transB", 0));
  for (int64_t i = 0; i < count; i++) {
    int64_t k = channel_rows ? i / (count / L->m) : i % L->m;
    d[i] = (float)(d[i] * at(s, k));
  }
  rw_set_input(g, n, 1, w);
  if (L->bias_slot >= 0 && n->nin > 2 && n->in[2]) set_bias(g, n, affine_bias(g, L, 1, s, NULL));
}

/* the bias plus t; Gemm's beta goes into C */
static void shift_linear(Graph *g, const Linear *L, const Value *t) {
  Node *n = L->n;
  double beta = n->op == OP_Gemm ? attr_f(n, "beta", 1.0) : 1.0;
  set_bias(g, n, affine_bias(g, L, beta, NULL, t));
  if (n->op == OP_Gemm) rw_attr_float(g, n, "beta", 1.0);
}

/* ---- the pass ----------------------------------------------------------------------- */

/* the per-channel operand of an affine op e (Mul, Div, Add, Sub) as the
 * scale or shift it applies: 1/c for Div, -c for Sub; NULL if none */
static Value *affine_operand(Graph *g, Node *e, int *x_slot, int *is_scale) {
  int k;
  if (e->op == OP_Mul || e->op == OP_Add)
    k = is_float_const(e->in[1]) ? 1 : 0;
  else if (e->op == OP_Div || e->op == OP_Sub)
    k = 1;
  else
    return NULL;
  Value *c = e->in[k];
  if (!is_float_const(c) || is_float_const(e->in[1 - k])) return NULL;
  *x_slot = 1 - k;
  *is_scale = e->op == OP_Mul || e->op == OP_Div;
  if (e->op == OP_Mul || e->op == OP_Add) return c;
  Value *inv = copy_const(g, c);
  float *d = inv->data;
  for (int64_t i = 0; i < ir_numel(c); i++) {
    if (e->op == OP_Div && d[i] == 0) return NULL; /* x / 0 is no scale of the weights */
    d[i] = e->op == OP_Div ? 1.0f / d[i] : -d[i];
  }
  return inv;
}

/* the linear op that makes y, read by `user` alone: directly, or through
 * MatMul's bias Add (then in *bias_add); 0 if none */
static int linear_above(const Value *y, const Node *user, Linear *L, Node **bias_add) {
  *bias_add = NULL;
  if (linear_of(y, user, L)) return 1;
  Node *p = y->producer;
  if (!p || p->dead || p->op != OP_Add || rw_sole_user(y) != user) return 0;
  int bs = is_float_const(p->in[1]) ? 1 : 0;
  if (!linear_of(p->in[1 - bs], p, L) || L->bias_slot >= 0 ||
      !per_channel(p->in[bs], y, L->axis, L->m))
    return 0;
  *bias_add = p;
  return 1;
}

/* Mul/Div/Add/Sub of a per-channel constant folded into the linear op (or
 * the linear op + bias Add) above it; 1 if it was */
static int fold_affine(Graph *g, Node *e) {
  int xs, scale;
  Value *c = affine_operand(g, e, &xs, &scale);
  Linear L;
  Node *bias_add;
  if (!c || !linear_above(e->in[xs], e, &L, &bias_add)) return 0;
  Value *y = e->in[xs];
  if (!per_channel(c, y, L.axis, L.m) || !ir_same_shape(y, e->out[0])) return 0;
  if (bias_add) {
    int bs = is_float_const(bias_add->in[1]) ? 1 : 0;
    const Value *b = bias_add->in[bs];
    Value *nb = channel_const(g, y, L.axis, L.m);
    for (int64_t k = 0; k < L.m; k++)
      ((float *)nb->data)[k] = (float)(scale ? at(b, k) * at(c, k) : at(b, k) + at(c, k));
    if (scale) scale_linear(g, &L, c);
    rw_set_input(g, bias_add, bs, nb);
    rw_set_output(bias_add, 0, e->out[0]);
  } else if (scale) {
    scale_linear(g, &L, c);
    rw_set_output(L.n, 0, e->out[0]);
  } else if (L.bias_slot >= 0) {
    shift_linear(g, &L, c);
    rw_set_output(L.n, 0, e->out[0]);
  } else {
    return 0; /* a shift after a bare MatMul stays its bias Add */
  }
  rw_kill(e);
  return 1;
}

/* BatchNormalization with constant parameters as Mul and Add; 1 if split */
static int split_bn(Graph *g, Node *n) {
  const Value *x = n->in[0];
  if (bn_training(n)) return 0; /* the batch's own statistics: not an affine map */
  for (int i = 1; i < 5; i++)
    if (!is_float_const(n->in[i])) return 0;
  if (x->dtype != DT_FLOAT || x->rank < 2) return 0;
  int spatial = n->opset >= 9 || attr_i(n, "spatial", 1) != 0;
  int64_t dims[IR_MAX_RANK], ch = ir_numel(n->in[1]);
  for (int d = 1; d < x->rank; d++) dims[d - 1] = spatial && d > 1 ? 1 : x->dims[d];
  Value *s = rw_const(g, DT_FLOAT, x->rank - 1, dims);
  Value *t = rw_const(g, DT_FLOAT, x->rank - 1, dims);
  float eps = (float)attr_f(n, "epsilon", 1e-5);
  for (int64_t c = 0; c < ch; c++) {
    float sc = (float)(ir_data_f64(n->in[1], c) / sqrt(ir_data_f64(n->in[4], c) + eps));
    ((float *)s->data)[c] = sc;
    ((float *)t->data)[c] = (float)ir_data_f64(n->in[2], c) - (float)ir_data_f64(n->in[3], c) * sc;
  }
  Node *mul = rw_node_before(g, n, "Mul", 2, 1);
  Node *add = rw_node_before(g, n, "Add", 2, 1);
  Value *xs = rw_value(g, DT_FLOAT, x->rank, x->dims);
  rw_set_input(g, mul, 0, n->in[0]);
  rw_set_input(g, mul, 1, s);
  rw_set_output(mul, 0, xs);
  rw_set_input(g, add, 0, xs);
  rw_set_input(g, add, 1, t);
  Value *y = n->out[0];
  rw_kill(n);
  rw_set_output(add, 0, y);
  return 1;
}

/* a BatchNormalization over channel axis 1 of what a linear op makes */
static int above_linear(const Node *n) {
  Linear L;
  Node *bias_add;
  return (n->opset >= 9 || attr_i(n, "spatial", 1) != 0) &&
         linear_above(n->in[0], n, &L, &bias_add) && L.axis == 1;
}

void pass_bnfold(Graph *g) {
  ir_rebuild_uses(g);
  for (int i = 0; i < g->nnodes; i++) {
    Node *n = g->nodes[i];
    if (n->dead) continue;
    /* the Mul and Add of a split take the BatchNormalization's place and
     * are looked at next */
    if (n->op == OP_BatchNormalization && above_linear(n) && split_bn(g, n))
      i--;
    else
      fold_affine(g, n);
  }
  ir_remove_dead_nodes(g);
}

void pass_bnsplit(Graph *g) {
  ir_rebuild_uses(g);
  for (int i = 0; i < g->nnodes; i++)
    if (!g->nodes[i]->dead && g->nodes[i]->op == OP_BatchNormalization) split_bn(g, g->nodes[i]);
  ir_remove_dead_nodes(g);
}
