/* No-op removal: nodes whose output is their input, unchanged.
 *
 *  - Identity, and Dropout (mlc compiles for inference; its mask, if any, is
 *    a constant that inference wrote);
 *  - Cast to the type the input has; Reshape, Flatten, Squeeze, Unsqueeze,
 *    Expand and Tile to the shape it has; Transpose with the identity
 *    permutation; Clip without bounds; Concat, Sum, Max, Min and Mean of one
 *    input;
 *  - x + 0, x - 0, x * 1, x / 1 and x ^ 1, when the constant is all zeros
 *    (all ones) and broadcasting does not grow x;
 *  - a Transpose of a Transpose reads the first one's input with the
 *    composed permutation, and goes when that is the identity;
 *  - a Transpose that moves only unit dims is a Reshape (a view: no copy).
 *
 * Every reader of the output reads the input instead. When the output is a
 * graph output, the input's producer makes it instead, if nothing else reads
 * the input; otherwise the node stays (the output keeps its name). */
#include "ops.h"
#include "passes.h"

/* every element of the constant v equals x */
static int all_equal(const Value *v, double x) {
  if (!rw_numeric_const(v)) return 0;
  for (int64_t i = 0, n = ir_numel(v); i < n; i++)
    if (ir_data_f64(v, i) != x) return 0;
  return 1;
}

/* how each op can return its input; SAME_TYPE: when the output's type and
 * shape are the input's */
enum { SAME_TYPE, IDENTITY_PERM, NO_BOUNDS, ONE_INPUT, NEUTRAL, NEUTRAL_RIGHT };

static const struct {
  int op, rule;
  double neutral; /* the constant operand that changes nothing */
} rules[] = {
    {OP_Identity, SAME_TYPE, 0}, {OP_Dropout, SAME_TYPE, 0},       {OP_Cast, SAME_TYPE, 0},
    {OP_CastLike, SAME_TYPE, 0}, {OP_Reshape, SAME_TYPE, 0},       {OP_Flatten, SAME_TYPE, 0},
    {OP_Squeeze, SAME_TYPE, 0},  {OP_Unsqueeze, SAME_TYPE, 0},     {OP_Expand, SAME_TYPE, 0},
    {OP_Tile, SAME_TYPE, 0},     {OP_Transpose, IDENTITY_PERM, 0}, {OP_Clip, NO_BOUNDS, 0},
    {OP_Concat, ONE_INPUT, 0},   {OP_Sum, ONE_INPUT, 0},           {OP_Max, ONE_INPUT, 0},
    {OP_Min, ONE_INPUT, 0},      {OP_Mean, ONE_INPUT, 0},          {OP_Add, NEUTRAL, 0},
    {OP_Mul, NEUTRAL, 1},        {OP_Sub, NEUTRAL_RIGHT, 0},       {OP_Div, NEUTRAL_RIGHT, 1},
    {OP_Pow, NEUTRAL_RIGHT, 1},
};

/* the input that n returns unchanged, or NULL; the caller checks that its
 * type and shape are the output's */
static Value *passed_through(const Node *n) {
  Value *x = n->in[0];
  for (size_t k = 0; k < sizeof rules / sizeof *rules; k++) {
    if (rules[k].op != n->op) continue;
    double z = rules[k].neutral;
    int perm[IR_MAX_RANK], r;
    switch (rules[k].rule) {
    case SAME_TYPE: return x;
    case IDENTITY_PERM:
      r = rw_perm(n, perm);
      for (int i = 0; i < r; i++)
        if (perm[i] != i) return NULL;
      return x;
    case NO_BOUNDS: return n->nin == 1 && !ir_attr(n, "min") && !ir_attr(n, "max") ? x : NULL;
    case ONE_INPUT: return n->nin == 1 ? x : NULL;
    case NEUTRAL: /* commutative: the constant on either side */
      if (all_equal(n->in[0], z)) return n->in[1];
      return all_equal(n->in[1], z) ? x : NULL;
    case NEUTRAL_RIGHT: return all_equal(n->in[1], z) ? x : NULL;
    }
  }
  return NULL;
}

/* y = Transpose(x) where the dims that are not 1 keep their order: the
 * bytes do not move */
static int unit_dims_only(const Node *t) {
  int perm[IR_MAX_RANK], r = rw_perm(t, perm), last = -1;
  const Value *x = t->in[0];
  for (int i = 0; i < r; i++) {
    if (x->dims[perm[i]] == 1) continue;
    if (perm[i] < last) return 0;
    last = perm[i];
  }
  return ir_numel(x) > 0;
}

static void to_reshape(Graph *g, Node *t) {
  Value *y = t->out[0];
  Node *r = rw_node_before(g, t, "Reshape", 2, 1);
  if (r->opset < 5) r->opset = 5; /* the shape as an input */
  int64_t k = y->rank;
  Value *shape = rw_const(g, DT_INT64, 1, &k);
  for (int d = 0; d < y->rank; d++) ((int64_t *)shape->data)[d] = y->dims[d];
  rw_set_input(g, r, 0, t->in[0]);
  rw_set_input(g, r, 1, shape);
  rw_kill(t);
  rw_set_output(r, 0, y);
}

void pass_noop(Graph *g) {
  ir_rebuild_uses(g);
  for (int i = 0; i < g->nnodes; i++) {
    Node *n = g->nodes[i];
    if (n->dead) continue;
    if (n->op == OP_Transpose && rw_merge_transposes(g, n)) {
      i--; /* look at the merged node again */
      continue;
    }
    Value *y = n->out[0], *x = passed_through(n);
    if (x && x->dtype == y->dtype && ir_same_shape(x, y) && rw_bypass(g, n, x)) continue;
    if (n->op == OP_Transpose && unit_dims_only(n)) {
      to_reshape(g, n);
    }
  }
  ir_remove_dead_nodes(g);
}
