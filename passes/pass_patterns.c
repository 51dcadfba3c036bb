/* Exporter patterns: ops that older opsets (or exporters that avoid newer
 * ops) write out as chains of primitives, replaced by the single op whose
 * kernel mlc runs in one pass:
 *
 *   LayerNormalization  m = ReduceMean(x); d = x - m; v = ReduceMean(d^2)
 *                       (Pow 2 or d*d), or E[x^2] - m^2 clamped at 0 or not
 *                       (JAX); d / Sqrt(v + eps), then optionally * gamma
 *                       and + beta; every mean over the same trailing axes,
 *                       keepdims; eps taken from the pattern
 *   Gelu                x * 0.5 * (1 + Erf(x / sqrt 2)) (or x * 1/sqrt 2)
 *   Gelu (tanh)         x * 0.5 * (1 + Tanh(sqrt(2/pi) * (x + 0.044715 x^3)))
 *                       (x^3 as Pow 3, x*x*x or x*(x*x)); the final product
 *                       of x, 0.5 and the 1 + ... in any association
 *   Softmax             Exp(x - ReduceMax(x)) / ReduceSum(that), over one
 *                       axis, keepdims (also without the ReduceMax: Softmax
 *                       computes the same, and does not overflow)
 *   Swish (SiLU)        x * Sigmoid(x)
 *
 * Matches are exact: the constants are single values within float rounding
 * of what the formula says (1e-6 relative), and every intermediate result is
 * read only inside the pattern and is no graph output. The new node takes
 * the place and output value of the pattern's last node and its ONNX name;
 * its opset is the first with the op's semantics (Softmax 13, LayerNorm 17,
 * Gelu 20, Swish 24), whatever the model imports: the op table dispatches
 * on the node's opset. */
#include <math.h>
#include <string.h>

#include "ops.h"
#include "passes.h"

enum { MATCH_MAX = 16 };
#define SQRT_2_OVER_PI 0.79788456080286536

typedef struct Match {
  Node *nodes[MATCH_MAX];
  int n;
} Match;

/* v's live producer when it is op, else NULL */
static Node *made_by(const Value *v, int op) {
  Node *p = v ? v->producer : NULL;
  return p && !p->dead && p->op == op ? p : NULL;
}

/* adds n (non-NULL) to the match; returns n */
static Node *take(Match *m, Node *n) {
  if (n && m->n < MATCH_MAX) m->nodes[m->n++] = n;
  return n;
}

/* v is a constant single value within float rounding of x */
static int near(const Value *v, double x) {
  double c;
  return rw_scalar(v, &c) && fabs(c - x) <= 1e-6 * fabs(x);
}

/* the operand of binary n that is not `v`, or NULL if v is neither */
static Value *other(const Node *n, const Value *v) {
  if (n->nin != 2) return NULL;
  return n->in[0] == v ? n->in[1] : n->in[1] == v ? n->in[0] : NULL;
}

/* the operand of binary n that is a single constant within rounding of c;
 * the other one goes to *rest */
static int has_const(const Node *n, double c, Value **rest) {
  if (n->nin != 2) return 0;
  for (int i = 0; i < 2; i++)
    if (near(n->in[i], c)) {
      *rest = n->in[1 - i];
      return 1;
    }
  return 0;
}

/* the only reader of v if it is op */
static Node *read_by(const Value *v, int op) {
  Node *u = rw_sole_user(v);
  return u && u->op == op ? u : NULL;
}

/* Every result of the matched nodes but root's is read only by matched
 * nodes and is no graph output; x comes from outside; root's output has x's
 * type and shape. */
static int closed(const Match *m, const Node *root, const Value *x) {
  for (int i = 0; i < m->n; i++) {
    const Node *n = m->nodes[i];
    if (n == x->producer) return 0;
    for (int j = 0; j < n->nout && n != root; j++) {
      const Value *v = n->out[j];
      if (!v) continue;
      if (v->is_output) return 0;
      for (int u = 0; u < v->nusers; u++) {
        int in = 0;
        for (int k = 0; k < m->n; k++) in |= v->users[u] == m->nodes[k];
        if (!in) return 0;
      }
    }
  }
  const Value *y = root->out[0];
  return y->dtype == x->dtype && ir_same_shape(y, x) && m->n < MATCH_MAX;
}

/* op_type(ins) at opset `opset` replaces the match; returns the new node */
static Node *replace(Graph *g, Match *m, Node *root, const char *op_type, int opset, Value **ins,
                     int nin) {
  Node *r = rw_node_before(g, root, op_type, nin, 1);
  r->opset = opset;
  for (int i = 0; i < nin; i++) rw_set_input(g, r, i, ins[i]);
  Value *y = root->out[0];
  for (int i = 0; i < m->n; i++) rw_kill(m->nodes[i]);
  rw_set_output(r, 0, y);
  return r;
}

/* ---- GELU ------------------------------------------------------------------------ */

/* h = 1 + f(x) is multiplied by x and 0.5 in some association, through
 * Muls read only by the next; returns the last Mul */
static Node *times_half_x(Match *m, const Value *h, const Value *x) {
  int have_x = 0, have_half = 0;
  for (const Value *cur = h;;) {
    Node *u = take(m, read_by(cur, OP_Mul));
    if (!u) return NULL;
    Value *o = other(u, cur), *rest;
    Node *p;
    if (o == x && !have_x)
      have_x = 1;
    else if (near(o, 0.5) && !have_half)
      have_half = 1;
    else if (!have_x && !have_half && (p = made_by(o, OP_Mul)) && has_const(p, 0.5, &rest) &&
             rest == x && take(m, p))
      have_x = have_half = 1;
    else
      return NULL;
    if (have_x && have_half) return u;
    cur = u->out[0];
  }
}

static int float_type(const Value *x) { return x->dtype == DT_FLOAT || x->dtype == DT_DOUBLE; }

/* x * 0.5 * (1 + Erf(x / sqrt 2)), from the Erf */
static int gelu_erf(Graph *g, Node *e) {
  Match m = {{0}, 0};
  Value *x = NULL, *one;
  Node *d = take(&m, e->in[0]->producer), *a, *root;
  if (d && !d->dead && d->op == OP_Div && near(d->in[1], sqrt(2.0)))
    x = d->in[0];
  else if (d && !d->dead && d->op == OP_Mul)
    has_const(d, sqrt(0.5), &x);
  take(&m, e);
  if (!x || !float_type(x) || !(a = take(&m, read_by(e->out[0], OP_Add))) ||
      !has_const(a, 1.0, &one) || one != e->out[0])
    return 0;
  if (!(root = times_half_x(&m, a->out[0], x)) || !closed(&m, root, x)) return 0;
  replace(g, &m, root, "Gelu", 20, &x, 1);
  return 1;
}

/* x^3 as Pow(x, 3), x*x*x or x*(x*x), matched into m */
static int is_cube(Match *m, const Value *c, const Value *x) {
  Node *p = made_by(c, OP_Pow), *q;
  if (p) return p->in[0] == x && near(p->in[1], 3.0) && take(m, p);
  if (!(p = made_by(c, OP_Mul))) return 0;
  Value *sq = other(p, x);
  if (!sq || !(q = made_by(sq, OP_Mul)) || q->in[0] != x || q->in[1] != x) return 0;
  return take(m, p) && take(m, q);
}

/* x * 0.5 * (1 + Tanh(sqrt(2/pi) * (x + 0.044715 * x^3))), from the Tanh */
static int gelu_tanh(Graph *g, Node *t) {
  Match m = {{0}, 0};
  Value *inner, *cube, *x = NULL, *one;
  Node *s = take(&m, made_by(t->in[0], OP_Mul)), *add, *k, *root;
  if (!s || !has_const(s, SQRT_2_OVER_PI, &inner) || !(add = take(&m, made_by(inner, OP_Add))))
    return 0;
  for (int i = 0; i < 2 && !x; i++) /* x + k or k + x, k = 0.044715 * x^3 */
    if ((k = made_by(add->in[1 - i], OP_Mul)) && has_const(k, 0.044715, &cube) &&
        is_cube(&m, cube, add->in[i]) && take(&m, k))
      x = add->in[i];
  take(&m, t);
  Node *a = take(&m, read_by(t->out[0], OP_Add));
  if (!x || !float_type(x) || !a || !has_const(a, 1.0, &one) || one != t->out[0]) return 0;
  if (!(root = times_half_x(&m, a->out[0], x)) || !closed(&m, root, x)) return 0;
  rw_attr_string(g, replace(g, &m, root, "Gelu", 20, &x, 1), "approximate", "tanh");
  return 1;
}

/* ---- reductions --------------------------------------------------------------------- */

/* the axes a keepdims reduction r reduces, as flags; 0 if r keeps no dims */
static int reduced_axes(const Node *r, int *flags) {
  int64_t ax[IR_MAX_RANK];
  int rank = r->in[0]->rank;
  if (attr_i(r, "keepdims", 1) != 1) return 0;
  int k = read_ints_arg(r, "axes", r->op == OP_ReduceSum ? 13 : 18, 1, ax, IR_MAX_RANK);
  memset(flags, 0, IR_MAX_RANK * sizeof *flags);
  if (k <= 0 && attr_i(r, "noop_with_empty_axes", 0)) return 0;
  for (int d = 0; d < rank; d++) flags[d] = k <= 0;
  for (int i = 0; i < k; i++) flags[norm_axis(r, ax[i], rank)] = 1;
  return 1;
}

/* the one axis r reduces, or -1 */
static int single_axis(const Node *r) {
  int f[IR_MAX_RANK], axis = -1;
  if (!reduced_axes(r, f)) return -1;
  for (int d = 0; d < r->in[0]->rank; d++)
    if (f[d]) {
      if (axis >= 0) return -1;
      axis = d;
    }
  return axis;
}

/* the first of the trailing axes r reduces, or -1 if they are not a suffix */
static int suffix_axes(const Node *r) {
  int f[IR_MAX_RANK], rank = r->in[0]->rank, first = rank;
  if (!reduced_axes(r, f)) return -1;
  while (first > 0 && f[first - 1]) first--;
  for (int d = 0; d < first; d++)
    if (f[d]) return -1;
  return first < rank ? first : -1;
}

/* Exp(x - ReduceMax(x)) / ReduceSum(Exp(..)), from the Div */
static int softmax(Graph *g, Node *div) {
  Match m = {{0}, 0};
  Node *e = made_by(div->in[0], OP_Exp), *s = made_by(div->in[1], OP_ReduceSum), *sub, *mx;
  if (!e || !s || s->in[0] != e->out[0]) return 0;
  int axis = single_axis(s);
  Value *x = e->in[0];
  if ((sub = made_by(x, OP_Sub)) && (mx = made_by(sub->in[1], OP_ReduceMax)) &&
      mx->in[0] == sub->in[0] && single_axis(mx) == axis) {
    take(&m, sub);
    take(&m, mx);
    x = sub->in[0];
  }
  take(&m, e);
  take(&m, s);
  take(&m, div);
  if (axis < 0 || (x->dtype != DT_FLOAT && x->dtype != DT_DOUBLE) || !closed(&m, div, x)) return 0;
  rw_attr_int(g, replace(g, &m, div, "Softmax", 13, &x, 1), "axis", axis);
  return 1;
}

/* gamma or beta of a LayerNorm over axes [axis, rank): a float constant
 * that broadcasts along those axes only; NULL if it is none. One that
 * broadcasts within them is spelled out at the normalized shape, which the
 * op wants. */
static Value *norm_param(Graph *g, Value *c, const Value *x, int axis) {
  int r = x->rank;
  if (!c || !c->data || c->producer || c->dtype != DT_FLOAT || c->rank > r) return NULL;
  int64_t cs[IR_MAX_RANK], s = 1, inner = 1;
  for (int d = r - 1; d >= 0; d--) {
    int cd = d - (r - c->rank);
    int64_t n = cd >= 0 ? c->dims[cd] : 1;
    if (n != 1 && (d < axis || n != x->dims[d])) return NULL;
    cs[d] = n == 1 ? 0 : s;
    s *= n;
    if (d >= axis) inner *= x->dims[d];
  }
  if (ir_numel(c) == inner) return c;
  Value *p = rw_const(g, DT_FLOAT, r - axis, x->dims + axis);
  int64_t idx[IR_MAX_RANK] = {0};
  for (int64_t i = 0; i < inner; i++) {
    int64_t off = 0;
    for (int d = axis; d < r; d++) off += idx[d] * cs[d];
    ((float *)p->data)[i] = (float)ir_data_f64(c, off);
    for (int d = r - 1; d >= axis && ++idx[d] == x->dims[d]; d--) idx[d] = 0;
  }
  return p;
}

/* v squared, as Pow(v, 2) or v * v: the node, or NULL */
static Node *square_of(const Value *sq, const Value *v) {
  Node *p = sq->producer;
  if (!p || p->dead || (p->op != OP_Pow && p->op != OP_Mul) || p->in[0] != v) return NULL;
  return (p->op == OP_Pow && near(p->in[1], 2.0)) || p->in[1] == v ? p : NULL;
}

/* v is the variance of x over the axes of `mean` (first axis `axis`), with
 * d = x - mean: ReduceMean(d^2), or, as JAX writes it, E[x^2] - mean^2,
 * perhaps clamped by Max(., 0). Its nodes join m. */
static int is_variance(Match *m, const Value *v, const Value *x, const Value *d, const Node *mean,
                       int axis) {
  Node *mx = made_by(v, OP_Max), *r, *s, *p, *q;
  if (mx && mx->nin == 2 && near(mx->in[1], 0)) v = take(m, mx)->in[0];
  if ((r = made_by(v, OP_ReduceMean)) && (p = square_of(r->in[0], d)) && suffix_axes(r) == axis)
    return take(m, r) && take(m, p);
  if (!(s = made_by(v, OP_Sub)) || !(r = made_by(s->in[0], OP_ReduceMean)) ||
      suffix_axes(r) != axis || !(p = square_of(r->in[0], x)) ||
      !(q = square_of(s->in[1], mean->out[0])))
    return 0;
  return take(m, s) && take(m, r) && take(m, p) && take(m, q);
}

/* (x - mean) / Sqrt(var + eps) [* gamma] [+ beta], from the Div */
static int layernorm(Graph *g, Node *div) {
  Match m = {{0}, 0};
  Node *sub = made_by(div->in[0], OP_Sub), *sq = made_by(div->in[1], OP_Sqrt), *ve, *mean;
  Node *root = div, *u;
  Value *v, *x;
  double eps;
  if (!sub || !sq || !(ve = made_by(sq->in[0], OP_Add))) return 0;
  x = sub->in[0];
  if (!(mean = made_by(sub->in[1], OP_ReduceMean)) || mean->in[0] != x) return 0;
  if (rw_scalar(ve->in[1], &eps))
    v = ve->in[0];
  else if (rw_scalar(ve->in[0], &eps))
    v = ve->in[1];
  else
    return 0;
  int axis = suffix_axes(mean);
  if (axis < 0 || x->dtype != DT_FLOAT || !is_variance(&m, v, x, sub->out[0], mean, axis)) return 0;
  Node *nodes[] = {mean, sub, ve, sq, div};
  for (size_t i = 0; i < sizeof nodes / sizeof *nodes; i++) take(&m, nodes[i]);
  Value *ins[3] = {x, NULL, NULL};
  if ((u = read_by(root->out[0], OP_Mul)) &&
      (ins[1] = norm_param(g, other(u, root->out[0]), x, axis)))
    root = take(&m, u);
  if ((u = read_by(root->out[0], OP_Add)) &&
      (ins[2] = norm_param(g, other(u, root->out[0]), x, axis)))
    root = take(&m, u);
  if (!closed(&m, root, x)) return 0;
  if (!ins[1]) { /* Scale is required: ones */
    ins[1] = rw_const(g, DT_FLOAT, x->rank - axis, x->dims + axis);
    for (int64_t i = 0; i < ir_numel(ins[1]); i++) ((float *)ins[1]->data)[i] = 1;
  }
  Node *ln = replace(g, &m, root, "LayerNormalization", 17, ins, ins[2] ? 3 : 2);
  rw_attr_int(g, ln, "axis", axis);
  rw_attr_float(g, ln, "epsilon", eps);
  return 1;
}

/* ---- SiLU ------------------------------------------------------------------------------ */

static int silu(Graph *g, Node *s) {
  Match m = {{0}, 0};
  Value *x = s->in[0];
  Node *u = read_by(s->out[0], OP_Mul);
  if (!u || other(u, s->out[0]) != x || (x->dtype != DT_FLOAT && x->dtype != DT_DOUBLE)) return 0;
  take(&m, s);
  take(&m, u);
  if (!closed(&m, u, x)) return 0;
  replace(g, &m, u, "Swish", 24, &x, 1);
  return 1;
}

void pass_patterns(Graph *g) {
  ir_rebuild_uses(g);
  for (int i = 0; i < g->nnodes; i++) {
    Node *n = g->nodes[i];
    if (n->dead) continue;
    if (n->op == OP_Erf)
      gelu_erf(g, n);
    else if (n->op == OP_Tanh)
      gelu_tanh(g, n);
    else if (n->op == OP_Sigmoid)
      silu(g, n);
    else if (n->op == OP_Div && !layernorm(g, n))
      softmax(g, n);
  }
  ir_remove_dead_nodes(g);
}
