/* Depthwise + pointwise: a 2-D depthwise Conv whose output only a 1x1 Conv
 * reads becomes one mlc.FusedDepthwisePointwise, which computes both a band
 * of rows at a time (conv_dwpw_f32): the depthwise output, the widest
 * tensor of a mobile network's blocks, then goes from cache to the 1x1
 * conv and never through memory whole (mlc_rt_nn.h says when it pays).
 * Either conv may be an mlc.FusedConv of the epilogue pass, the depthwise
 * one without a residual. Not for CUDA, whose runtime has no such kernel. */
#include <string.h>

#include "diag.h"
#include "ops.h"
#include "passes.h"

/* a 2-D float Conv or mlc.FusedConv, but for a residual when res is 0 */
static int conv_2d(const Node *n, int res) {
  if (!n || n->dead || (n->op != OP_Conv && n->op != OP_FusedConv)) return 0;
  const Value *x = n->in[0], *w = n->in[1], *y = n->out[0];
  return x->dtype == DT_FLOAT && w->dtype == DT_FLOAT && y->dtype == DT_FLOAT && x->rank == 4 &&
         w->rank == 4 && y->rank == 4 && (res || n->nin < 4 || !n->in[3]);
}

/* one filter per input channel; its output planes at least a vector wide
 * (narrower ones take one band: nothing to gain) and big enough not to
 * stay in cache */
static int depthwise(const Node *n) {
  if (!conv_2d(n, 0)) return 0;
  const Value *x = n->in[0], *w = n->in[1], *y = n->out[0];
  return attr_i(n, "group", 1) == x->dims[1] && w->dims[0] == x->dims[1] && w->dims[1] == 1 &&
         y->dims[3] >= MLC_RT_DW_LANES && ir_nbytes(y) >= MLC_RT_DWPW_MIN_BYTES;
}

/* 1x1 at stride 1, as big as its input (no padding either), to at most
 * MLC_RT_DWPW_MAX_M channels */
static int pointwise(const Node *n, const Value *x) {
  if (!conv_2d(n, 1) || n->in[0] != x || attr_i(n, "group", 1) != 1) return 0;
  for (int i = 1; i < n->nin; i++)
    if (n->in[i] == x) return 0;
  const Value *w = n->in[1], *y = n->out[0];
  if (w->dims[0] > MLC_RT_DWPW_MAX_M) return 0;
  const int64_t *s;
  int ns = attr_ints(n, "strides", &s);
  for (int i = 0; i < ns; i++)
    if (s[i] != 1) return 0;
  return w->dims[2] == 1 && w->dims[3] == 1 && y->dims[2] == x->dims[2] && y->dims[3] == x->dims[3];
}

/* the pair (d, p) as one node at p's place `at` */
static void fuse_pair(Graph *g, Node *d, Node *p, int at) {
  Graph *body = ir_graph_new(g->arena, g);
  body->name = "dwpw";
  Value *ins[6];
  int nins = 0;
  const Node *pair[2] = {d, p};
  for (int k = 0; k < 2; k++)
    for (int j = 0; j < pair[k]->nin; j++) {
      Value *v = pair[k]->in[j];
      int seen = v == d->out[0];
      for (int q = 0; q < nins; q++) seen |= ins[q] == v;
      if (v && !seen) ins[nins++] = v;
    }
  Value *out = p->out[0], *result = ir_value_new(body, NULL);
  ir_copy_type(result, out);
  p->out[0] = result;
  result->producer = p;
  ir_add_output(body, result);
  result->is_output = 0; /* a body result, not a graph output */
  Node *f = op_node_new(g, "FusedDepthwisePointwise", "mlc", p->name, nins, 1);
  f->index = p->index;
  f->inferred = 1;
  memcpy(f->in, ins, (size_t)nins * sizeof *ins);
  f->out[0] = out;
  out->producer = f;
  ir_attr_add(g, f, "body", AK_GRAPH)->g = body;
  g->nnodes--; /* ir_node_new appended it: it takes p's place instead */
  g->nodes[at] = f;
  body->nodes = arena_array(g->arena, 3, sizeof *body->nodes);
  body->nodes[0] = d;
  body->nodes[1] = p;
  body->nnodes = 2;
  body->nodes_cap = 3;
  d->dead = 1;
}

void pass_dwpw(Graph *g) {
  if (ir_target(g) == TARGET_CUDA) return;
  if (!ir_opset(g, "mlc")) ir_add_opset(g, "mlc", 1);
  ir_rebuild_uses(g);
  int fused = 0;
  for (int i = 0; i < g->nnodes; i++) {
    Node *p = g->nodes[i];
    Node *d = p->nin > 0 && p->in[0] ? p->in[0]->producer : NULL;
    if (!depthwise(d) || rw_sole_user(d->out[0]) != p || !pointwise(p, d->out[0])) continue;
    fuse_pair(g, d, p, i);
    fused++;
  }
  if (!fused) return;
  ir_remove_dead_nodes(g);
  /* the pairs now live in bodies: they are not dead there */
  for (int i = 0; i < g->nnodes; i++)
    if (g->nodes[i]->op == OP_FusedDepthwisePointwise) {
      Graph *body = ir_attr(g->nodes[i], "body")->g;
      for (int k = 0; k < body->nnodes; k++) body->nodes[k]->dead = 0;
    }
  ir_rebuild_uses(g);
}
