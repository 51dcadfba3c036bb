/* Epilogue fusion: what follows a Conv, Gemm or MatMul elementwise is done
 * by the kernel as it stores each output row, instead of by later passes
 * over memory:
 *     Conv/Gemm [+ Add residual] [+ activation]           -> mlc.FusedConv / mlc.FusedGemm
 *     MatMul(A, B 2-D) [+ Add bias] [+ Add residual] [+ act] -> mlc.FusedGemm
 * (a MatMul with more than two dims in A runs as a Gemm over its rows,
 * through Reshape views that cost nothing). A step is absorbed only when
 * the value before it has no other reader and is not a graph output. The
 * fused node takes the place of the last absorbed node, where every input
 * (a residual computed after the Conv, say) is ready. */
#include <string.h>

#include "diag.h"
#include "ops.h"
#include "passes.h"

static Node *only_reader(Value *v) {
  return v && v->nusers == 1 && !v->is_output ? v->users[0] : NULL;
}

static int is_float(const Value *v) { return v && v->dtype == DT_FLOAT; }

/* an activation the kernels apply: its name and parameters (as the
 * elementwise op would get them), or NULL */
static const char *activation(Node *a, double *pa, double *pb) {
  if (!a || a->nout != 1 || *a->domain || ew_activation(a) <= 0) return NULL;
  return ew_params(a, pa, pb) ? a->op_type : NULL;
}

/* the operand of Add `add` that is not `v` */
static Value *other(Node *add, Value *v) {
  if (!add || add->op != OP_Add || add->nin != 2) return NULL;
  return add->in[0] == v ? add->in[1] : add->in[1] == v ? add->in[0] : NULL;
}

static Value *const_shape(Graph *g, const Value *like, int rank, const int64_t *dims) {
  (void)like;
  Value *s = ir_value_new(g, NULL);
  s->dtype = DT_INT64;
  int64_t r = rank;
  ir_set_shape(s, 1, &r);
  memcpy(ir_alloc_data(g, s), dims, (size_t)rank * sizeof *dims);
  return s;
}

/* a Reshape view of v to [rows, cols], placed before position `at` */
static Value *as_matrix(Graph *g, Value *v, int64_t rows, int64_t cols, const char *name,
                        int index) {
  if (v->rank == 2) return v;
  int64_t d[2] = {rows, cols};
  Node *r = op_node_new(g, "Reshape", "", name, 2, 1);
  r->index = index;
  r->inferred = 1;
  r->in[0] = v;
  r->in[1] = const_shape(g, v, 2, d);
  r->out[0] = ir_value_new(g, NULL);
  r->out[0]->dtype = v->dtype;
  ir_set_shape(r->out[0], 2, d);
  return r->out[0];
}

static void set_act(Graph *g, Node *f, const char *act, double pa, double pb) {
  ir_attr_add(g, f, "activation", AK_STRING)->s = act ? act : "";
  ir_attr_add(g, f, "act_a", AK_FLOAT)->f = pa;
  ir_attr_add(g, f, "act_b", AK_FLOAT)->f = pb;
}

/* The node that absorbed `v`'s steps is returned (NULL if none). New nodes
 * are appended to g; pass_epilogue puts them where the returned node was. */
static Node *fuse_after(Graph *g, Node *n, Value *v, Value *bias, Value **res_out, const char **act,
                        double *pa, double *pb) {
  Node *next = only_reader(v), *last = NULL;
  if (next && next->dead) next = NULL;
  Value *res = other(next, v);
  if (res && (!is_float(res) || !ir_same_shape(res, v) || res == v || res == bias)) res = NULL;
  if (res) {
    last = next;
    next = only_reader(next->out[0]);
    if (next && next->dead) next = NULL;
  }
  *act = activation(next, pa, pb);
  if (*act) last = next;
  *res_out = res;
  (void)g;
  (void)n;
  return last;
}

static Node *fuse_conv_gemm(Graph *g, Node *n) {
  Value *res;
  const char *act;
  double pa = 0, pb = 0; /* activation() sets them only when it finds one */
  Node *last = fuse_after(g, n, n->out[0], NULL, &res, &act, &pa, &pb);
  if (!last) return NULL;
  int conv = n->op == OP_Conv;
  Node *f = op_node_new(g, conv ? "FusedConv" : "FusedGemm", "mlc", n->name, 4, 1);
  f->index = n->index;
  f->opset = n->opset;
  f->inferred = 1;
  for (int i = 0; i < n->nin && i < 3; i++) f->in[i] = n->in[i];
  f->in[3] = res;
  f->out[0] = last->out[0];
  for (int i = 0; i < n->nattrs; i++)
    *ir_attr_add(g, f, n->attrs[i].name, n->attrs[i].kind) = n->attrs[i];
  set_act(g, f, act, pa, pb);
  return last;
}

/* MatMul(A, B) [+ Add(bias along the last dim)] [+ residual] [+ act], with
 * at least one of them */
static Node *fuse_matmul(Graph *g, Node *n) {
  Value *a = n->in[0], *b = n->in[1], *y = n->out[0];
  if (b->rank != 2 || a->rank < 2 || !is_float(a) || !is_float(b)) return NULL;
  Node *add = only_reader(y);
  if (!add || add->dead) return NULL;
  Value *bias = other(add, y);
  int64_t N = b->dims[1], K = b->dims[0], M = ir_numel(y) / (N ? N : 1);
  /* a bias Gemm's C takes as it is: [N] or [1, N] */
  if (bias && (!is_float(bias) || bias->rank < 1 || bias->rank > 2 ||
               bias->dims[bias->rank - 1] != N || ir_numel(bias) != N))
    bias = NULL;
  if (!bias) add = NULL;
  Value *res;
  const char *act;
  double pa = 0, pb = 0; /* activation() sets them only when it finds one */
  Node *last = fuse_after(g, n, add ? add->out[0] : y, bias, &res, &act, &pa, &pb);
  if (!last && !add) return NULL;
  if (!last) last = add;
  Value *out = last->out[0];
  Value *a2 = as_matrix(g, a, M, K, n->name, n->index);
  Value *r2 = res ? as_matrix(g, res, M, N, n->name, n->index) : NULL;
  Node *f = op_node_new(g, "FusedGemm", "mlc", n->name, 4, 1);
  f->index = n->index;
  f->opset = 13;
  f->inferred = 1;
  f->in[0] = a2;
  f->in[1] = b;
  f->in[2] = bias;
  f->in[3] = r2;
  set_act(g, f, act, pa, pb);
  if (out->rank == 2) {
    f->out[0] = out;
  } else {
    int64_t d[2] = {M, N};
    f->out[0] = ir_value_new(g, NULL);
    f->out[0]->dtype = DT_FLOAT;
    ir_set_shape(f->out[0], 2, d);
    Node *r = op_node_new(g, "Reshape", "", n->name, 2, 1);
    r->index = n->index;
    r->inferred = 1;
    r->in[0] = f->out[0];
    r->in[1] = const_shape(g, out, out->rank, out->dims);
    r->out[0] = out;
  }
  if (add) add->dead = 1;
  return last;
}

void pass_epilogue(Graph *g) {
  if (!ir_opset(g, "mlc")) ir_add_opset(g, "mlc", 1);
  ir_rebuild_uses(g);
  int n0 = g->nnodes;
  int *first = arena_array(g->arena, (size_t)n0 + 1, sizeof *first);
  int *count = arena_array(g->arena, (size_t)n0 + 1, sizeof *count);
  for (int i = 0; i < n0; i++) {
    g->nodes[i]->pos = i;
    first[i] = -1;
  }
  for (int i = 0; i < n0; i++) {
    Node *n = g->nodes[i];
    if (n->dead || !is_float(n->out[0])) continue;
    int before = g->nnodes;
    Node *last = NULL;
    if (n->op == OP_Conv || n->op == OP_Gemm)
      last = fuse_conv_gemm(g, n);
    else if (n->op == OP_MatMul)
      last = fuse_matmul(g, n);
    if (!last) continue;
    /* every absorbed node dies; the new ones take the last one's place */
    for (Node *x = n; x; x = x == last ? NULL : only_reader(x->out[0])) x->dead = 1;
    last->dead = 1;
    first[last->pos] = before;
    count[last->pos] = g->nnodes - before;
  }
  Node **nodes = arena_array(g->arena, (size_t)g->nnodes + 1, sizeof *nodes);
  int k = 0;
  for (int i = 0; i < n0; i++) {
    if (first[i] >= 0)
      for (int j = 0; j < count[i]; j++) nodes[k++] = g->nodes[first[i] + j];
    else if (!g->nodes[i]->dead)
      nodes[k++] = g->nodes[i];
  }
  g->nodes = nodes;
  g->nnodes = k;
  g->nodes_cap = (size_t)k + 1;
  ir_rebuild_uses(g);
}
