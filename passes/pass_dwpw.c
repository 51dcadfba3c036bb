/* Depthwise + pointwise: a 2-D depthwise Conv whose output only a 1x1 Conv
 * reads becomes one mlc.FusedDepthwisePointwise, which computes both a band
 * of rows at a time (conv_dwpw_f32): the depthwise output, the widest
 * tensor of a mobile network's blocks, then goes from cache to the 1x1
 * conv and never through memory whole (mlc_rt_nn.h says when it pays).
 * Either conv may be an mlc.FusedConv of the epilogue pass, the depthwise
 * one without a residual. Not for CUDA, whose runtime has no such kernel. */

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

void pass_dwpw(Graph *g) {
  if (ir_target(g) == TARGET_CUDA) return;
  if (!ir_opset(g, "mlc")) ir_add_opset(g, "mlc", 1);
  ir_rebuild_uses(g);
  int fused = 0;
  for (int i = 0; i < g->nnodes; i++) {
    Node *p = g->nodes[i];
    Node *d = p->nin > 0 && p->in[0] ? p->in[0]->producer : NULL;
    if (!depthwise(d) || rw_sole_user(d->out[0]) != p || !pointwise(p, d->out[0])) continue;
    Node *pair[2] = {d, p};
    rw_fuse_body(g, "FusedDepthwisePointwise", "dwpw", pair, 2, i);
    fused++;
  }
  if (!fused) return;
  ir_remove_dead_nodes(g);
  /* the pairs now live in bodies: they are not dead there */
  rw_revive_bodies(g, OP_FusedDepthwisePointwise);
  ir_rebuild_uses(g);
}
