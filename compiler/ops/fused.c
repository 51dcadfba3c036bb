/* mlc.FusedElementwise: a group of elementwise nodes that the fuse pass found
 * (each result read only inside the group, all of the group's output shape),
 * kept as a subgraph in the attribute `body`. Its nodes read the outer values
 * directly; the node's inputs list them too, for ordering and liveness. It
 * lowers to its members' own calls, so the interpreter runs exactly what it
 * ran before fusion; the C backend prints the calls as one loop in which the
 * intermediate results are locals (marked `local`: no arena bytes). */
#include <string.h>

#include "diag.h"
#include "infer.h"
#include "ops.h"

static Graph *body_of(const Node *n) {
  const Attr *a = ir_attr(n, "body");
  if (!a || a->kind != AK_GRAPH || !a->g || a->g->noutputs != 1)
    diag_node_fatal(n, "attribute 'body' must be a graph with one output");
  return a->g;
}

void infer_FusedElementwise(Graph *g, Node *n) {
  (void)g;
  Graph *body = body_of(n);
  infer_nodes(body, 0, body->nnodes);
  for (int i = 0; i < body->nnodes; i++)
    if (!(optab[body->nodes[i]->op].flags & (OPF_ELEMWISE | OPF_EW_SOME)))
      diag_node_fatal(n, "its body holds %s, which is not elementwise", body->nodes[i]->op_type);
  ir_copy_type(n->out[0], body->outputs[0]);
}

void lower_FusedElementwise(Graph *g, Node *n, Lowering *L) {
  Graph *body = body_of(n);
  Value *result = body->outputs[0];
  int first = L->ncalls;
  for (int i = 0; i < body->nnodes; i++) {
    Node *m = body->nodes[i];
    optab[m->op].lower(g, m, L);
  }
  for (int c = first; c < L->ncalls; c++) {
    KCall *k = &L->calls[c];
    /* an ew call's inputs, then its output in slot nin (no slot names: arity varies) */
    int nin = ktab[k->kernel].ew_arity;
    if (!nin || !ir_same_shape(k->io[nin], n->out[0]))
      diag_node_fatal(n, "internal error: a fused call is not elementwise over the output");
    for (int j = 0; j < k->nio; j++)
      if (k->io[j] == result) k->io[j] = n->out[0];
    if (k->io[nin] != n->out[0]) k->io[nin]->local = 1;
  }
}

/* mlc.FusedConv and mlc.FusedGemm: a Conv or Gemm with its epilogue, made by
 * the epilogue pass. Inputs are the op's own, then an optional residual R
 * (shaped like the output) added before the activation, which the attribute
 * `activation` names ("" for none) with parameters act_a, act_b. The kernels
 * apply both on the last store of each output row. */
static const struct {
  const char *name;
  int code;
} activations[] = {{"", MLC_ACT_NONE},
#define ACT_NAME(name, op, expr) {op, MLC_ACT_##name},
                   MLC_RT_ACTIVATIONS(ACT_NAME)
#undef ACT_NAME
};

int fused_activation(const char *op_type) {
  for (size_t i = 0; i < sizeof activations / sizeof *activations; i++)
    if (!strcmp(activations[i].name, op_type)) return activations[i].code;
  return -1;
}

/* the base op sees its own inputs only */
static void as_base(Graph *g, Node *n, InferFn infer, LowerFn lower, Lowering *L) {
  int nin = n->nin;
  n->nin = nin > 3 ? 3 : nin;
  if (infer)
    infer(g, n);
  else
    lower(g, n, L);
  n->nin = nin;
}

static void infer_fused(Graph *g, Node *n, InferFn base) {
  as_base(g, n, base, NULL, NULL);
  Value *r = n->nin > 3 ? n->in[3] : NULL;
  if (r && (r->dtype != n->out[0]->dtype || !ir_same_shape(r, n->out[0])))
    diag_node_fatal(n, "the residual '%s' must have the output's type and shape", r->name);
  if (fused_activation(attr_s(n, "activation", "")) < 0)
    diag_node_fatal(n, "unknown activation '%s'", attr_s(n, "activation", ""));
}

/* the base lowering's one call, with the residual in slot res, which the
 * base lowering leaves out: it is the kernel's last slot */
_Static_assert(MLC_CONV_RES + 1 == MLC_CONV_NIO && MLC_GEMM_RES + 1 == MLC_GEMM_NIO,
               "the residual is the last io slot of conv_f32 and gemm_f32");
static KCall *lower_base(Graph *g, Node *n, LowerFn base, Lowering *L, int res) {
  int first = L->ncalls;
  as_base(g, n, NULL, base, L);
  MLC_ASSERT(L->ncalls == first + 1);
  KCall *c = &L->calls[first];
  c->io[res] = n->nin > 3 ? n->in[3] : NULL;
  c->nio = res + 1;
  return c;
}

/* MlcConv and MlcGemm name their epilogue fields alike; res is the call's
 * residual slot */
#define SET_EPILOGUE(p, n, res)                               \
  do {                                                        \
    (p)->act = fused_activation(attr_s(n, "activation", "")); \
    (p)->act_a = attr_f(n, "act_a", 0);                       \
    (p)->act_b = attr_f(n, "act_b", 0);                       \
    (p)->has_res = (res) != NULL;                             \
  } while (0)

void infer_FusedConv(Graph *g, Node *n) { infer_fused(g, n, infer_Conv); }
void infer_FusedGemm(Graph *g, Node *n) { infer_fused(g, n, infer_Gemm); }

void lower_FusedConv(Graph *g, Node *n, Lowering *L) {
  KCall *c = lower_base(g, n, lower_Conv, L, MLC_CONV_RES);
  SET_EPILOGUE(KC_PARAMS(c, MlcConv), n, c->io[MLC_CONV_RES]);
}

void lower_FusedGemm(Graph *g, Node *n, Lowering *L) {
  KCall *c = lower_base(g, n, lower_Gemm, L, MLC_GEMM_RES);
  SET_EPILOGUE(KC_PARAMS(c, MlcGemm), n, c->io[MLC_GEMM_RES]);
}

/* mlc.FusedDepthwisePointwise: a 2-D depthwise Conv (or mlc.FusedConv with
 * no residual) and the 1x1 Conv (or mlc.FusedConv) that alone reads its
 * output, made by the dwpw pass, kept as the subgraph `body` of the two;
 * its inputs are the outer values they read. It lowers to one
 * conv_dwpw_f32 call, which computes both a band of rows at a time: the
 * depthwise output is never whole, and takes no arena bytes. */
static Graph *pair_of(const Node *n) {
  Graph *body = body_of(n);
  if (body->nnodes != 2 || body->nodes[1]->in[0] != body->nodes[0]->out[0])
    diag_node_fatal(n, "attribute 'body' must hold two convs, the second reading the first");
  for (int i = 0; i < 2; i++) {
    const Node *c = body->nodes[i];
    if ((c->op != OP_Conv && c->op != OP_FusedConv) || (i == 0 && c->nin > 3 && c->in[3]))
      diag_node_fatal(n,
                      "its body holds %s; it must hold Conv or mlc.FusedConv (the first "
                      "without a residual)",
                      c->op_type);
  }
  return body;
}

void infer_FusedDepthwisePointwise(Graph *g, Node *n) {
  (void)g;
  Graph *body = pair_of(n);
  infer_nodes(body, 0, body->nnodes);
  ir_copy_type(n->out[0], body->outputs[0]);
}

void lower_FusedDepthwisePointwise(Graph *g, Node *n, Lowering *L) {
  Graph *body = pair_of(n);
  int first = L->ncalls;
  for (int i = 0; i < 2; i++) optab[body->nodes[i]->op].lower(g, body->nodes[i], L);
  MLC_ASSERT(L->ncalls == first + 2);
  KCall dc = L->calls[first], pc = L->calls[first + 1];
  const MlcConv *d = KC_PARAMS(&dc, MlcConv), *q = KC_PARAMS(&pc, MlcConv);
  if (dc.kernel != K_conv_f32 || pc.kernel != K_conv_f32 || !mlc_rt_conv_depthwise(d) ||
      d->nsp != 2 || q->group != 1 || q->c != d->m || !mlc_rt_conv_pointwise(q) ||
      q->in_sp[0] != d->out_sp[0] || q->in_sp[1] != d->out_sp[1])
    diag_node_fatal(n, "its body is not a 2-D depthwise conv and a 1x1 conv after it");
  L->ncalls = first;
  KCall *c = lower_add(g, L, K_conv_dwpw_f32);
  MlcDwPw *p = KC_PARAMS(c, MlcDwPw);
  p->n = d->n;
  p->c = d->c;
  p->m = q->m;
  p->nsp = d->nsp;
  for (int i = 0; i < d->nsp; i++) {
    p->in_sp[i] = d->in_sp[i];
    p->out_sp[i] = d->out_sp[i];
    p->k[i] = d->k[i];
    p->stride[i] = d->stride[i];
    p->dil[i] = d->dil[i];
    p->pad_begin[i] = d->pad_begin[i];
  }
  p->has_bias = d->has_bias;
  p->act = d->act;
  p->act_a = d->act_a;
  p->act_b = d->act_b;
  p->pw_has_bias = q->has_bias;
  p->pw_act = q->act;
  p->pw_act_a = q->act_a;
  p->pw_act_b = q->act_b;
  p->has_res = q->has_res;
  p->packed_w = q->packed_w;
  c->io[MLC_DWPW_X] = dc.io[MLC_CONV_X];
  c->io[MLC_DWPW_W] = dc.io[MLC_CONV_W];
  c->io[MLC_DWPW_BIAS] = dc.io[MLC_CONV_BIAS];
  c->io[MLC_DWPW_PW_W] = pc.io[MLC_CONV_W];
  c->io[MLC_DWPW_PW_BIAS] = pc.io[MLC_CONV_BIAS];
  c->io[MLC_DWPW_Y] = n->out[0];
  c->io[MLC_DWPW_SCRATCH] = lower_scratch(g, mlc_rt_dwpw_scratch(p));
  c->io[MLC_DWPW_RES] = pc.nio > MLC_CONV_RES ? pc.io[MLC_CONV_RES] : NULL;
  c->nio = MLC_DWPW_NIO;
}
