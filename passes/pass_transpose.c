/* Transpose sinking: layout changes move down the graph until they meet
 * their inverse, or something that absorbs them.
 *
 * Exporters of channels-last frameworks (TensorFlow, Keras, JAX) wrap every
 * channels-first op in a pair of Transposes, and the elementwise ops between
 * two pairs keep the inner Transposes apart. For T = Transpose(x, perm) read
 * by nothing but one node u:
 *
 *  - u an elementwise op (or Cast) whose other operands are constants
 *    (transposed here, at compile time: the inverse permutation, after
 *    padding their rank with leading 1s), single values, or Transposes by
 *    the same perm, and whose output has T's shape (broadcasting grows
 *    nothing): u runs on the untransposed operands and one Transpose follows
 *    it, producing u's output value. The count of Transposes never grows
 *    (two transposed operands become one), and T then looks at its new
 *    reader;
 *  - u a Transpose: the two compose into one (none if inverse);
 *  - u a flatten to [N, K] (Flatten, or a Reshape to that shape) whose
 *    only reader is a Gemm or MatMul with constant weights, and perm keeping
 *    axis 0: the rows of the weights are permuted instead (what
 *    channels-last models do before their classifier).
 *
 * Everything else stops a Transpose where it is: ops whose result depends
 * on the layout (Conv, pools, reductions) would need their attributes
 * rewritten, which this pass does not attempt. */
#include <string.h>

#include "ops.h"
#include "passes.h"

static int same_perm(const int *a, const int *b, int r) {
  return !memcmp(a, b, (size_t)r * sizeof *a);
}

/* the input of v's producer if that is a live Transpose by perm, else NULL */
static Value *transposed_by(const Value *v, const int *perm, int r) {
  Node *p = v ? v->producer : NULL;
  int q[IR_MAX_RANK];
  if (!p || p->dead || p->op != OP_Transpose || rw_perm(p, q) != r || !same_perm(perm, q, r))
    return NULL;
  return p->in[0];
}

/* can t (perm, rank r) move below its reader u? */
static int commutes(const Node *t, const Node *u, const int *perm, int r) {
  const Value *y = t->out[0];
  int elementwise = (optab[u->op].flags & OPF_ELEMWISE) || u->op == OP_Cast;
  if (!elementwise || (optab[u->op].flags & OPF_FUSED) || u->nout != 1 ||
      (u->op == OP_PRelu && u->opset < 7) || !ir_same_shape(u->out[0], y))
    return 0;
  for (int i = 0; i < u->nin; i++) {
    const Value *v = u->in[i];
    if (!v || v == y || transposed_by(v, perm, r)) continue;
    if (!v->data || v->producer || v->rank > r || v->dtype == DT_STRING) return 0;
  }
  return 1;
}

/* the constant c' with Transpose(c', perm) == c (c's rank padded to r) */
static Value *untranspose_const(Graph *g, const Value *c, const int *perm, int r) {
  int64_t cd[IR_MAX_RANK], xd[IR_MAX_RANK], xs[IR_MAX_RANK], idx[IR_MAX_RANK] = {0};
  for (int d = 0; d < r; d++) cd[d] = d < r - c->rank ? 1 : c->dims[d - (r - c->rank)];
  for (int d = 0; d < r; d++) xd[perm[d]] = cd[d];
  Value *x = rw_const(g, c->dtype, r, xd);
  int64_t s = 1;
  for (int d = r - 1; d >= 0; s *= xd[d], d--) xs[d] = s;
  size_t es = dtype_size(c->dtype);
  int64_t n = ir_numel(c);
  /* walk c in order; element idx of c is element j of x with j[perm[d]] = idx[d] */
  for (int64_t i = 0; i < n; i++) {
    int64_t off = 0;
    for (int d = 0; d < r; d++) off += idx[d] * xs[perm[d]];
    memcpy((char *)x->data + (size_t)off * es, (const char *)c->data + (size_t)i * es, es);
    for (int d = r - 1; d >= 0 && ++idx[d] == cd[d]; d--) idx[d] = 0;
  }
  return x;
}

/* u runs on t's input; a Transpose after it makes u's output. Returns it. */
static Node *sink(Graph *g, Node *t, Node *u, const int *perm, int r) {
  Value *y = t->out[0], *x = t->in[0], *z = u->out[0];
  Value *v = rw_value(g, z->dtype, x->rank, x->dims);
  Node *t2 = rw_node_after(g, u, "Transpose", 1, 1);
  t2->name = t->name;
  t2->index = t->index;
  t2->opset = t->opset;
  int64_t p[IR_MAX_RANK];
  for (int d = 0; d < r; d++) p[d] = perm[d];
  rw_attr_ints(g, t2, "perm", p, r);
  rw_set_output(u, 0, v);
  rw_set_input(g, t2, 0, v);
  rw_set_output(t2, 0, z);
  for (int i = 0; i < u->nin; i++) {
    Value *w = u->in[i], *src;
    if (!w) continue;
    if (w == y)
      rw_set_input(g, u, i, x);
    else if ((src = transposed_by(w, perm, r)))
      rw_set_input(g, u, i, src);
    else if (ir_numel(w) != 1)
      rw_set_input(g, u, i, untranspose_const(g, w, perm, r));
  }
  return t2;
}

/* t -> Flatten/Reshape to [N, K] -> Gemm/MatMul with constant B: B's rows
 * permuted instead of the data. 1 if done. */
static int into_weights(Graph *g, Node *t, Node *f, const int *perm, int r) {
  const Value *x = t->in[0], *y = t->out[0], *a = f->out[0];
  if (perm[0] != 0 || a->rank != 2 || a->dims[0] != x->dims[0]) return 0;
  if (f->op == OP_Reshape) {
    /* read against x, the shape must still mean [N, K]: no 0 (copy a dim)
     * in the second place */
    const Value *s = f->nin > 1 ? f->in[1] : NULL; /* an attribute before opset 5 */
    if (!s || !s->data || ir_numel(s) != 2 || ir_data_i64(s, 1) == 0) return 0;
  } else if (f->op != OP_Flatten || attr_i(f, "axis", 1) != 1) {
    return 0;
  }
  Node *m = rw_sole_user(a);
  if (!m || (m->op != OP_Gemm && m->op != OP_MatMul) || m->in[0] != a || m->in[1] == a) return 0;
  const Value *b = m->in[1];
  int trans_b = m->op == OP_Gemm && attr_i(m, "transB", 0);
  if (!b->data || b->producer || b->dtype == DT_STRING || b->rank != 2 ||
      (m->op == OP_Gemm && attr_i(m, "transA", 0)))
    return 0;
  int64_t k = a->dims[1], cols = b->dims[trans_b ? 0 : 1];
  Value *nb = rw_const(g, b->dtype, 2, b->dims);
  size_t es = dtype_size(b->dtype);
  int64_t idx[IR_MAX_RANK] = {0}, xs[IR_MAX_RANK];
  int64_t s = 1;
  for (int d = r - 1; d >= 1; s *= x->dims[d], d--) xs[d] = s;
  /* row ky of the data as t lays it out is row kx of x's layout */
  for (int64_t ky = 0; ky < k; ky++) {
    int64_t kx = 0;
    for (int d = 1; d < r; d++) kx += idx[d] * xs[perm[d]];
    for (int64_t c = 0; c < cols; c++) {
      int64_t from = trans_b ? c * k + ky : ky * cols + c,
              to = trans_b ? c * k + kx : kx * cols + c;
      memcpy((char *)nb->data + (size_t)to * es, (const char *)b->data + (size_t)from * es, es);
    }
    for (int d = r - 1; d >= 1 && ++idx[d] == y->dims[d]; d--) idx[d] = 0;
  }
  rw_set_input(g, m, 1, nb);
  rw_set_input(g, f, 0, t->in[0]);
  return 1;
}

/* one move of t; the Transpose to look at next, or NULL */
static Node *step(Graph *g, Node *t) {
  Node *u = rw_sole_user(t->out[0]);
  int perm[IR_MAX_RANK], r = rw_perm(t, perm);
  if (!u) return NULL;
  if (u->op == OP_Transpose) {
    rw_merge_transposes(g, u);
    return u->dead ? NULL : u;
  }
  if (commutes(t, u, perm, r)) return sink(g, t, u, perm, r);
  into_weights(g, t, u, perm, r);
  return NULL;
}

void pass_transpose(Graph *g) {
  ir_rebuild_uses(g);
  for (int i = 0; i < g->nnodes; i++)
    for (Node *t = g->nodes[i]; t && !t->dead && t->op == OP_Transpose;) t = step(g, t);
  ir_remove_dead_nodes(g);
}
