/* Gradient (ai.onnx.preview.training), differentiated at compile time.
 *
 * Gradient(xs, zs, y) names values of its graph: y is a function of the
 * independent variables xs and zs, and the node's outputs are dy/dx for each
 * x in xs, taken at the node's inputs (one per name of xs then zs). As in
 * every framework the result is the gradient of sum(y): the seed dy is ones
 * of y's shape.
 *
 * Shapes are static by the time the node is inferred, so inference replaces
 * it in place by ordinary nodes (reverse-mode differentiation):
 *   1. A forward sweep over the nodes scheduled before it marks the values
 *      that depend on an x (differentiable: floating-point ones) and those
 *      that depend on an input of the Gradient that is not the value it
 *      names; a backward sweep marks what y depends on. The names in xs and
 *      zs are leaves: nothing flows through their producers.
 *   2. Nodes between a substituted leaf and y are copied, reading the
 *      Gradient's inputs, so the gradient is taken where the node says.
 *      When the inputs are the named values (the usual case) the forward
 *      values are reused as they are.
 *   3. In reverse schedule order, each node on the path turns the adjoints
 *      of its outputs into contributions to its inputs (one rule per op, the
 *      table at the end); contributions to a value with several readers are
 *      added; broadcasting is undone by ReduceSum over the broadcast axes
 *      and a Reshape.
 * Every node made is inferred at once (so its shape is known to the next
 * rule, and it folds when its inputs are constants), appended to the graph,
 * then the lot moves to where the Gradient was. An x that y does not depend
 * on gets zeros. Values y depends on that are neither in xs nor in zs are
 * constants of the differentiation. An op on the path without a rule is a
 * node error naming it; so is a name that is no tensor computed before the
 * node. A Gradient in the body of a Loop, Scan or If is refused that way
 * too: unrolling copies the body's values without their names.
 */
#include <string.h>

#include "diag.h"
#include "infer.h"
#include "ops.h"

/* the opset the generated nodes are written in: ReduceSum takes its axes
 * as an input, Reshape knows allowzero */
enum { GRAD_OPSET = 14 };

/* per value (indexed by Value.id) */
enum {
  G_LEAF = 1, /* named in xs or zs */
  G_X = 2,    /* named in xs */
  G_DEP = 4,  /* a floating-point value that depends on an x */
  G_SUB = 8,  /* depends on a Gradient input that differs from its name */
  G_NEED = 16 /* y depends on it */
};

typedef struct Grad {
  Graph *g;
  Node *n;        /* the Gradient node */
  const Node *at; /* the forward node being differentiated (node names) */
  int nids;       /* ids below this are the forward values */
  unsigned char *flag;
  Value **eval; /* the value at the Gradient's inputs; NULL: the value itself */
  Value **adj;  /* d sum(y) / d value, summed so far */
} Grad;

static unsigned flags(const Grad *c, const Value *v) {
  return v && v->id < c->nids ? c->flag[v->id] : 0;
}

static Value *eval(const Grad *c, Value *v) {
  return v->id < c->nids && c->eval[v->id] ? c->eval[v->id] : v;
}

/* ---- building nodes ------------------------------------------------------------ */

/* the name of a node made for forward node f (NULL: for the seed and the
 * outputs): the Gradient's and f's */
static const char *name_for(const Grad *c, const Node *f) {
  const char *what = !f ? "dy" : *f->name ? f->name : f->op_type;
  return arena_printf(c->g->arena, "%s/%s", c->n->name, what);
}

/* a node differentiating c->at, appended to the graph; its one output is a
 * new value */
static Node *node(Grad *c, const char *op, int nin) {
  Node *m = op_node_new(c->g, op, "", name_for(c, c->at), nin, 1);
  m->index = c->n->index;
  m->opset = GRAD_OPSET;
  m->out[0] = ir_value_new(c->g, NULL);
  return m;
}

/* infers m and returns its output. m is the last node: rules make a
 * node's inputs before the node, so the schedule stays in order. */
static Value *done(Grad *c, Node *m) {
  MLC_ASSERT(c->g->nodes[c->g->nnodes - 1] == m);
  infer_nodes(c->g, c->g->nnodes - 1, c->g->nnodes);
  return m->out[0];
}

static Value *op1(Grad *c, const char *op, Value *a) {
  Node *m = node(c, op, 1);
  m->in[0] = a;
  return done(c, m);
}

static Value *op2(Grad *c, const char *op, Value *a, Value *b) {
  Node *m = node(c, op, 2);
  m->in[0] = a;
  m->in[1] = b;
  return done(c, m);
}

static Value *scalar(Grad *c, const Value *like, double x) {
  return lower_scalar(c->g, like->dtype, x);
}

static Value *ints(Grad *c, const int64_t *vals, int count) {
  Value *v = ir_value_new(c->g, NULL);
  v->dtype = DT_INT64;
  int64_t dims[1] = {count};
  ir_set_shape(v, 1, dims);
  memcpy(ir_alloc_data(c->g, v), vals, (size_t)count * sizeof *vals);
  return v;
}

/* v with the given dims (same element count) */
static Value *reshape_to(Grad *c, Value *v, int rank, const int64_t *dims) {
  if (v->rank == rank && !memcmp(v->dims, dims, (size_t)rank * sizeof *dims)) return v;
  Node *m = node(c, "Reshape", 2);
  m->in[0] = v;
  m->in[1] = ints(c, dims, rank);
  ir_attr_add(c->g, m, "allowzero", AK_INT)->i = 1; /* a 0 is a 0, not "keep" */
  return done(c, m);
}

static Value *reduce_sum(Grad *c, Value *v, const int64_t *axes, int naxes) {
  Node *m = node(c, "ReduceSum", 2);
  m->in[0] = v;
  m->in[1] = ints(c, axes, naxes);
  ir_attr_add(c->g, m, "keepdims", AK_INT)->i = 1;
  return done(c, m);
}

/* v, a gradient of a value broadcast from dims, summed back to dims */
static Value *reduce_to(Grad *c, Value *v, int rank, const int64_t *dims) {
  int lead = v->rank - rank, naxes = 0;
  if (lead < 0) diag_node_fatal(c->n, "internal error: a gradient of lower rank than its value");
  int64_t axes[IR_MAX_RANK];
  for (int d = 0; d < v->rank; d++)
    if (d < lead || (dims[d - lead] == 1 && v->dims[d] != 1)) axes[naxes++] = d;
  if (naxes) v = reduce_sum(c, v, axes, naxes);
  return reshape_to(c, v, rank, dims);
}

static Value *unbroadcast(Grad *c, Value *v, const Value *like) {
  return reduce_to(c, v, like->rank, like->dims);
}

/* a tensor of like's type and shape, all x */
static Value *filled(Grad *c, const Value *like, double x) {
  Value *k = scalar(c, like, x);
  return like->rank ? op2(c, "Expand", k, ints(c, like->dims, like->rank)) : k;
}

/* v with its last two axes swapped */
static Value *transpose_last2(Grad *c, Value *v) {
  Node *m = node(c, "Transpose", 1);
  m->in[0] = v;
  int64_t perm[IR_MAX_RANK];
  for (int d = 0; d < v->rank; d++) perm[d] = d;
  perm[v->rank - 2] = v->rank - 1;
  perm[v->rank - 1] = v->rank - 2;
  Attr *a = ir_attr_add(c->g, m, "perm", AK_INTS);
  a->n = v->rank;
  a->ints = arena_array(c->g->arena, (size_t)v->rank, sizeof *a->ints);
  memcpy(a->ints, perm, (size_t)v->rank * sizeof *perm);
  return done(c, m);
}

/* adds d to the adjoint of forward value v (unbroadcast to v's shape) */
static void contribute(Grad *c, const Value *v, Value *d) {
  if (!(flags(c, v) & G_DEP)) return;
  d = unbroadcast(c, d, eval(c, (Value *)v));
  c->adj[v->id] = c->adj[v->id] ? op2(c, "Add", c->adj[v->id], d) : d;
}

/* ---- the rules: f is the forward node, dy the adjoint of its output ----------- */

typedef void (*Rule)(Grad *c, const Node *f, Value *dy);

/* forward input i and output 0 at the Gradient's inputs */
#define IN(i) eval(c, f->in[i])
#define OUT eval(c, f->out[0])
/* the rule writes input i's contribution only when it has one */
#define WANT(i) (flags(c, f->in[i]) & G_DEP)

static void rule_pass(Grad *c, const Node *f, Value *dy) {
  for (int i = 0; i < f->nin; i++) contribute(c, f->in[i], dy);
}

static void rule_Sub(Grad *c, const Node *f, Value *dy) {
  contribute(c, f->in[0], dy);
  if (WANT(1)) contribute(c, f->in[1], op1(c, "Neg", dy));
}

static void rule_Neg(Grad *c, const Node *f, Value *dy) {
  contribute(c, f->in[0], op1(c, "Neg", dy));
}

static void rule_Mul(Grad *c, const Node *f, Value *dy) {
  if (WANT(0)) contribute(c, f->in[0], op2(c, "Mul", dy, IN(1)));
  if (WANT(1)) contribute(c, f->in[1], op2(c, "Mul", dy, IN(0)));
}

/* y = a / b: da = dy / b, db = -dy * y / b */
static void rule_Div(Grad *c, const Node *f, Value *dy) {
  if (WANT(0)) contribute(c, f->in[0], op2(c, "Div", dy, IN(1)));
  if (WANT(1)) contribute(c, f->in[1], op1(c, "Neg", op2(c, "Div", op2(c, "Mul", dy, OUT), IN(1))));
}

/* Where(a > 0, dy, 0) rather than a product, so an infinite dy stays out
 * where the unit is off */
static void rule_Relu(Grad *c, const Node *f, Value *dy) {
  Value *on = op2(c, "Greater", IN(0), scalar(c, IN(0), 0));
  Node *m = node(c, "Where", 3);
  m->in[0] = on;
  m->in[1] = dy;
  m->in[2] = scalar(c, dy, 0);
  contribute(c, f->in[0], done(c, m));
}

/* dy * y * (1 - y) */
static void rule_Sigmoid(Grad *c, const Node *f, Value *dy) {
  Value *y = OUT;
  Value *s = op2(c, "Mul", y, op2(c, "Sub", scalar(c, y, 1), y));
  contribute(c, f->in[0], op2(c, "Mul", dy, s));
}

/* dy * (1 - y^2) */
static void rule_Tanh(Grad *c, const Node *f, Value *dy) {
  Value *y = OUT;
  Value *s = op2(c, "Sub", scalar(c, y, 1), op2(c, "Mul", y, y));
  contribute(c, f->in[0], op2(c, "Mul", dy, s));
}

static void rule_Exp(Grad *c, const Node *f, Value *dy) {
  contribute(c, f->in[0], op2(c, "Mul", dy, OUT));
}

static void rule_Log(Grad *c, const Node *f, Value *dy) {
  contribute(c, f->in[0], op2(c, "Div", dy, IN(0)));
}

/* dy / (2 sqrt(a)) */
static void rule_Sqrt(Grad *c, const Node *f, Value *dy) {
  Value *y = OUT;
  contribute(c, f->in[0], op2(c, "Div", dy, op2(c, "Mul", y, scalar(c, y, 2))));
}

static void rule_Abs(Grad *c, const Node *f, Value *dy) {
  contribute(c, f->in[0], op2(c, "Mul", dy, op1(c, "Sign", IN(0))));
}

/* the value's own type, from another float type */
static void rule_Cast(Grad *c, const Node *f, Value *dy) {
  Node *m = node(c, "Cast", 1);
  m->in[0] = dy;
  ir_attr_add(c->g, m, "to", AK_INT)->i = IN(0)->dtype;
  contribute(c, f->in[0], done(c, m));
}

/* Reshape, Flatten, Squeeze, Unsqueeze, Identity: the same elements */
static void rule_reshape(Grad *c, const Node *f, Value *dy) {
  Value *a = IN(0);
  contribute(c, f->in[0], reshape_to(c, dy, a->rank, a->dims));
}

static void rule_Transpose(Grad *c, const Node *f, Value *dy) {
  int rank = IN(0)->rank;
  const int64_t *perm;
  int np = attr_ints(f, "perm", &perm);
  Node *m = node(c, "Transpose", 1);
  m->in[0] = dy;
  Attr *a = ir_attr_add(c->g, m, "perm", AK_INTS);
  a->n = rank;
  a->ints = arena_array(c->g->arena, (size_t)rank + 1, sizeof *a->ints);
  /* inference has checked perm; the default reverses the axes */
  for (int d = 0; d < rank; d++) a->ints[np < 0 ? rank - 1 - d : perm[d]] = d;
  contribute(c, f->in[0], done(c, m));
}

/* Where(cond, a, b): each branch gets dy where it was chosen */
static void rule_Where(Grad *c, const Node *f, Value *dy) {
  for (int i = 1; i < 3; i++) {
    if (!WANT(i)) continue;
    Node *m = node(c, "Where", 3);
    m->in[0] = IN(0);
    m->in[i] = dy;
    m->in[3 - i] = scalar(c, dy, 0);
    contribute(c, f->in[i], done(c, m));
  }
}

static Value *gemm(Grad *c, Value *a, Value *b, int ta, int tb, double alpha) {
  Node *m = node(c, "Gemm", 2);
  m->in[0] = a;
  m->in[1] = b;
  ir_attr_add(c->g, m, "transA", AK_INT)->i = ta;
  ir_attr_add(c->g, m, "transB", AK_INT)->i = tb;
  ir_attr_add(c->g, m, "alpha", AK_FLOAT)->f = alpha;
  return done(c, m);
}

/* p q, each transposed (its last two axes) if tp, tq say: a Gemm, which
 * transposes as it reads, for float32 matrices (mlc's Gemm has no other
 * type) */
static Value *product(Grad *c, Value *p, Value *q, int tp, int tq) {
  if (p->rank == 2 && q->rank == 2 && p->dtype == DT_FLOAT) return gemm(c, p, q, tp, tq, 1);
  return op2(c, "MatMul", tp ? transpose_last2(c, p) : p, tq ? transpose_last2(c, q) : q);
}

/* MatMul with numpy's rules: a 1-D operand is a row (a) or a column (b)
 * vector for the product, so the gradients are computed on those 2-D forms:
 * da = dy b^T, db = a^T dy, summed over broadcast batch axes */
static void rule_MatMul(Grad *c, const Node *f, Value *dy) {
  Value *a = IN(0), *b = IN(1);
  int64_t da2[2] = {1, a->dims[0]}, db2[2] = {b->dims[0], 1};
  Value *a2 = a->rank == 1 ? reshape_to(c, a, 2, da2) : a;
  Value *b2 = b->rank == 1 ? reshape_to(c, b, 2, db2) : b;
  /* dy with the axes the vector forms dropped put back */
  int64_t dims[IR_MAX_RANK + 2];
  int rank = dy->rank;
  memcpy(dims, dy->dims, (size_t)rank * sizeof *dims);
  if (a->rank == 1) {
    if (b->rank == 1)
      dims[rank++] = 1;
    else
      dims[rank] = dims[rank - 1], dims[rank - 1] = 1, rank++;
  }
  if (b->rank == 1) dims[rank++] = 1;
  if (rank > IR_MAX_RANK) diag_node_fatal(c->n, "a MatMul on the path has too high a rank");
  Value *g2 = reshape_to(c, dy, rank, dims);
  if (WANT(0)) {
    Value *d = reduce_to(c, product(c, g2, b2, 0, 1), a2->rank, a2->dims);
    contribute(c, f->in[0], reshape_to(c, d, a->rank, a->dims));
  }
  if (WANT(1)) {
    Value *d = reduce_to(c, product(c, a2, g2, 1, 0), b2->rank, b2->dims);
    contribute(c, f->in[1], reshape_to(c, d, b->rank, b->dims));
  }
}

/* y = alpha op(a) op(b) + beta c, op transposing as transA/transB say:
 * d op(a) = alpha dy op(b)^T, d op(b) = alpha op(a)^T dy, dc = beta dy */
static void rule_Gemm(Grad *c, const Node *f, Value *dy) {
  int ta = attr_i(f, "transA", 0) != 0, tb = attr_i(f, "transB", 0) != 0;
  double alpha = attr_f(f, "alpha", 1), beta = attr_f(f, "beta", 1);
  Value *a = IN(0), *b = IN(1);
  if (WANT(0))
    contribute(c, f->in[0], ta ? gemm(c, b, dy, tb, 1, alpha) : gemm(c, dy, b, 0, !tb, alpha));
  if (WANT(1))
    contribute(c, f->in[1], tb ? gemm(c, dy, a, 1, ta, alpha) : gemm(c, a, dy, !ta, 0, alpha));
  if (f->nin > 2 && f->in[2] && WANT(2))
    contribute(c, f->in[2], beta == 1 ? dy : op2(c, "Mul", dy, scalar(c, dy, beta)));
}

/* Expand: summed back over the broadcast axes (contribute does it) */
static void rule_Expand(Grad *c, const Node *f, Value *dy) { contribute(c, f->in[0], dy); }

/* ReduceSum and ReduceMean: dy spread over the reduced axes (scaled by the
 * count for the mean). Which axes: their argument, all when it is empty
 * (unless noop_with_empty_axes). */
static void rule_reduce(Grad *c, const Node *f, Value *dy) {
  Value *a = IN(0);
  int64_t axes[IR_MAX_RANK], kept[IR_MAX_RANK];
  /* the axes became an input at 13 (ReduceSum) and 18 (the others) */
  int na = read_ints_arg(f, "axes", f->op == OP_ReduceSum ? 13 : 18, 1, axes, IR_MAX_RANK);
  if (na <= 0 && attr_i(f, "noop_with_empty_axes", 0)) {
    contribute(c, f->in[0], dy);
    return;
  }
  memcpy(kept, a->dims, (size_t)a->rank * sizeof *kept);
  for (int d = 0; d < a->rank; d++)
    if (na <= 0) kept[d] = 1;
  for (int i = 0; i < na; i++) kept[norm_axis(f, axes[i], a->rank)] = 1;
  Value *g = reshape_to(c, dy, a->rank, kept);
  if (f->op == OP_ReduceMean && ir_numel(a))
    g = op2(c, "Mul", g, scalar(c, g, (double)ir_numel(OUT) / (double)ir_numel(a)));
  contribute(c, f->in[0], op2(c, "Expand", g, ints(c, a->dims, a->rank)));
}

/* the axes a Softmax normalizes over: its axis from opset 13, all from
 * axis on before (the input seen as 2-D) */
static Value *softmax_sum(Grad *c, const Node *f, Value *v) {
  int rank = IN(0)->rank;
  int axis = norm_axis(f, attr_i(f, "axis", f->opset >= 13 ? -1 : 1), rank);
  int64_t axes[IR_MAX_RANK];
  int na = 0;
  for (int d = axis; d < (f->opset >= 13 ? axis + 1 : rank); d++) axes[na++] = d;
  return reduce_sum(c, v, axes, na);
}

/* y (dy - sum(dy y)) */
static void rule_Softmax(Grad *c, const Node *f, Value *dy) {
  Value *y = OUT;
  Value *s = softmax_sum(c, f, op2(c, "Mul", dy, y));
  contribute(c, f->in[0], op2(c, "Mul", y, op2(c, "Sub", dy, s)));
}

/* dy - exp(y) sum(dy) */
static void rule_LogSoftmax(Grad *c, const Node *f, Value *dy) {
  Value *s = softmax_sum(c, f, dy);
  contribute(c, f->in[0], op2(c, "Sub", dy, op2(c, "Mul", op1(c, "Exp", OUT), s)));
}

#undef IN
#undef OUT
#undef WANT

static const struct {
  int op;
  Rule rule;
} rules[] = {
    {OP_Add, rule_pass},          {OP_Sum, rule_pass},
    {OP_Identity, rule_reshape},  {OP_Sub, rule_Sub},
    {OP_Neg, rule_Neg},           {OP_Mul, rule_Mul},
    {OP_Div, rule_Div},           {OP_Relu, rule_Relu},
    {OP_Sigmoid, rule_Sigmoid},   {OP_Tanh, rule_Tanh},
    {OP_Exp, rule_Exp},           {OP_Log, rule_Log},
    {OP_Sqrt, rule_Sqrt},         {OP_Abs, rule_Abs},
    {OP_Cast, rule_Cast},         {OP_Reshape, rule_reshape},
    {OP_Flatten, rule_reshape},   {OP_Squeeze, rule_reshape},
    {OP_Unsqueeze, rule_reshape}, {OP_Transpose, rule_Transpose},
    {OP_Where, rule_Where},       {OP_MatMul, rule_MatMul},
    {OP_Gemm, rule_Gemm},         {OP_Expand, rule_Expand},
    {OP_ReduceSum, rule_reduce},  {OP_ReduceMean, rule_reduce},
    {OP_Softmax, rule_Softmax},   {OP_LogSoftmax, rule_LogSoftmax},
};

static Rule rule_of(const Node *f) {
  for (size_t i = 0; i < sizeof rules / sizeof *rules; i++)
    if (rules[i].op == f->op) return rules[i].rule;
  return NULL;
}

/* ---- the node ------------------------------------------------------------------- */

/* the names of strings attribute `name` (count; 0 when absent) */
static int names_attr(const Node *n, const char *name, const char ***out) {
  const Attr *a = ir_attr(n, name);
  if (!a) return 0;
  if (a->kind != AK_STRINGS) diag_node_fatal(n, "attribute '%s' must be a list of strings", name);
  *out = a->strings;
  return a->n;
}

/* the value `name` names, computed before the node */
static Value *named(const Grad *c, const char *attr, const char *name) {
  Value *v = ir_lookup_local(c->g, name);
  if (!v || v->is_seq)
    diag_node_fatal(c->n, "%s names '%s', which is no tensor of the graph", attr, name);
  if (v->rank < 0 || (v->producer && !v->producer->inferred))
    diag_node_fatal(c->n,
                    "%s names '%s', which is computed after the node: mlc differentiates "
                    "what comes before a Gradient",
                    attr, name);
  return v;
}

/* marks G_LEAF, G_X and G_SUB of the named values and eval's of the leaves */
static void mark_leaves(Grad *c, const char **xs, int nx, const char **zs, int nz) {
  Node *n = c->n;
  if (n->nin != nx + nz)
    diag_node_fatal(n, "has %d inputs for %d names in xs and zs", n->nin, nx + nz);
  if (n->nout > nx) diag_node_fatal(n, "has %d outputs for %d names in xs", n->nout, nx);
  for (int i = 0; i < nx + nz; i++) {
    Value *v = named(c, i < nx ? "xs" : "zs", i < nx ? xs[i] : zs[i - nx]);
    if (c->flag[v->id] & G_LEAF) diag_node_fatal(n, "xs and zs name '%s' twice", v->name);
    if (i < nx && !dtype_is_float(v->dtype))
      diag_node_fatal(n,
                      "xs names '%s', a tensor of %s: only floating-point tensors have "
                      "gradients",
                      v->name, dtype_name(v->dtype));
    Value *at = n->in[i] ? n->in[i] : v; /* an empty input: the value itself */
    if (at->dtype != v->dtype)
      diag_node_fatal(n, "input %d ('%s') is %s, but '%s', the value it gives, is %s", i, at->name,
                      dtype_name(at->dtype), v->name, dtype_name(v->dtype));
    c->flag[v->id] = G_LEAF | (i < nx ? G_X | G_DEP : 0) | (at != v ? G_SUB : 0);
    c->eval[v->id] = at;
  }
}

static int live(const Node *f) { return !f->dead; }

/* G_DEP and G_SUB forward, G_NEED backward, over the nodes before the Gradient */
static void mark_paths(Grad *c, Value *y, int nf) {
  Node **nodes = c->g->nodes;
  for (int k = 0; k < nf; k++) {
    const Node *f = nodes[k];
    if (!live(f)) continue;
    unsigned in = 0;
    for (int i = 0; i < f->nin; i++) in |= flags(c, f->in[i]);
    for (int j = 0; j < f->nout; j++) {
      Value *o = f->out[j];
      if (!o || (c->flag[o->id] & G_LEAF)) continue;
      unsigned dep = !o->is_seq && dtype_is_float(o->dtype) ? in & G_DEP : 0;
      c->flag[o->id] |= dep | (in & G_SUB);
    }
  }
  c->flag[y->id] |= G_NEED;
  for (int k = nf - 1; k >= 0; k--) {
    const Node *f = nodes[k];
    int needed = 0;
    for (int j = 0; live(f) && j < f->nout; j++)
      if (f->out[j] && (c->flag[f->out[j]->id] & (G_NEED | G_LEAF)) == G_NEED) needed = 1;
    for (int i = 0; needed && i < f->nin; i++)
      if (f->in[i]) c->flag[f->in[i]->id] |= G_NEED;
  }
}

/* a node on y's path (not producing a leaf) */
static int on_path(const Grad *c, const Node *f) {
  for (int j = 0; live(f) && j < f->nout; j++)
    if (f->out[j] && (flags(c, f->out[j]) & (G_NEED | G_LEAF)) == G_NEED) return 1;
  return 0;
}

/* copies of the nodes on y's path that read a substituted input, reading the
 * copies' values */
static void reevaluate(Grad *c, int nf) {
  for (int k = 0; k < nf; k++) {
    const Node *f = c->g->nodes[k];
    int sub = 0;
    for (int i = 0; i < f->nin; i++) sub |= (flags(c, f->in[i]) & G_SUB) != 0;
    if (!sub || !on_path(c, f)) continue;
    Node *m = op_node_new(c->g, f->op_type, f->domain, name_for(c, f), f->nin, f->nout);
    m->index = c->n->index;
    m->opset = f->opset;
    m->attrs = arena_array(c->g->arena, (size_t)f->nattrs + 1, sizeof *m->attrs);
    if (f->nattrs) memcpy(m->attrs, f->attrs, (size_t)f->nattrs * sizeof *m->attrs);
    m->nattrs = f->nattrs;
    m->attrs_cap = (size_t)f->nattrs + 1;
    for (int i = 0; i < f->nin; i++) m->in[i] = f->in[i] ? eval(c, f->in[i]) : NULL;
    for (int j = 0; j < f->nout; j++) {
      Value *o = f->out[j];
      if (!o) continue;
      m->out[j] = ir_value_new(c->g, NULL);
      if (!(c->flag[o->id] & G_LEAF)) c->eval[o->id] = m->out[j];
    }
    infer_nodes(c->g, c->g->nnodes - 1, c->g->nnodes);
  }
}

/* the adjoints, from y back */
static void backward(Grad *c, Value *y, int nf) {
  if (!(flags(c, y) & G_DEP)) return; /* no x reaches y: all gradients are zeros */
  c->adj[y->id] = filled(c, eval(c, y), 1);
  for (int k = nf - 1; k >= 0; k--) {
    const Node *f = c->g->nodes[k];
    if (!on_path(c, f)) continue;
    int reached = 0, wanted = 0;
    for (int j = 0; j < f->nout; j++) {
      const Value *o = f->out[j];
      reached |= o && !(c->flag[o->id] & G_LEAF) && c->adj[o->id];
    }
    for (int i = 0; i < f->nin; i++) wanted |= (flags(c, f->in[i]) & G_DEP) != 0;
    if (!reached || !wanted) continue;
    Rule r = rule_of(f);
    /* the ops with rules have one output */
    if (!r || f->nout != 1 || !f->out[0])
      diag_node_fatal(c->n, "Gradient through %s (node '%s', #%d) is not supported", f->op_type,
                      f->name, f->index);
    c->at = f;
    r(c, f, c->adj[f->out[0]->id]);
  }
  c->at = NULL;
}

void infer_Gradient(Graph *g, Node *n) {
  Graph *top = g;
  while (top->parent) top = top->parent;
  Grad c = {g, n, NULL, top->next_value_id, NULL, NULL, NULL};
  c.flag = arena_array(g->arena, (size_t)c.nids + 1, sizeof *c.flag);
  c.eval = arena_array(g->arena, (size_t)c.nids + 1, sizeof *c.eval);
  c.adj = arena_array(g->arena, (size_t)c.nids + 1, sizeof *c.adj);
  const char **xs = NULL, **zs = NULL;
  int nx = names_attr(n, "xs", &xs), nz = names_attr(n, "zs", &zs);
  const char *yname = attr_s(n, "y", NULL);
  if (!nx || !yname) diag_node_fatal(n, "attributes 'xs' and 'y' are required");
  mark_leaves(&c, xs, nx, zs, nz);
  Value *y = named(&c, "y", yname);
  if (!dtype_is_float(y->dtype))
    diag_node_fatal(n,
                    "y names '%s', a tensor of %s: only a floating-point tensor can be "
                    "differentiated",
                    y->name, dtype_name(y->dtype));
  int nf = n->pos, first = g->nnodes, pos = n->pos + 1;
  mark_paths(&c, y, nf);
  reevaluate(&c, nf);
  backward(&c, y, nf);
  for (int i = 0; i < n->nout; i++) {
    if (!n->out[i]) continue;
    Value *x = named(&c, "xs", xs[i]);
    Value *dx = c.adj[x->id] ? c.adj[x->id] : filled(&c, eval(&c, x), 0);
    Node *m = node(&c, "Identity", 1);
    m->in[0] = dx;
    m->out[0] = n->out[i];
    done(&c, m);
  }
  /* the new nodes take the Gradient's place */
  ir_move_appended(g, first, pos);
  n->dead = 1;
}
