/* The losses: NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss.
 *
 * Both view the input as [N, C, D] (D the product of the dims after the
 * classes) and the targets as [N, D]. NegativeLogLikelihoodLoss is one
 * kernel, nll_f32; SoftmaxCrossEntropyLoss is a LogSoftmax over the class
 * dim (the softmax kernel, written into its log_prob output or a
 * temporary) followed by the same kernel. A target equal to ignore_index,
 * or outside [0, C), contributes zero loss and zero weight, so a run-time
 * target never reads out of bounds; "mean" divides by the sum of the
 * weights that count, as the ONNX definition does.
 */
#include <string.h>

#include "diag.h"
#include "ops.h"

/* reduction: 0 none, 1 sum, 2 mean */
static int reduction(const Node *n) {
  const char *r = attr_s(n, "reduction", "mean");
  if (!strcmp(r, "none")) return 0;
  if (!strcmp(r, "sum")) return 1;
  if (!strcmp(r, "mean")) return 2;
  diag_node_fatal(n, "reduction '%s' is not none, sum or mean", r);
}

/* validates x [N, C, d...], target [N, d...], weight [C]; fills all but
 * the kernel's idx_bits */
static void loss_dims(Graph *g, const Node *n, MlcNll *p) {
  const Value *x = n->in[0], *t = n->in[1], *w = op_input(n, 2);
  require_float(n, x, "input");
  if (t->dtype != DT_INT64 && t->dtype != DT_INT32)
    diag_node_fatal(n, "target is %s; it must be int32 or int64", dtype_name(t->dtype));
  int ok = x->rank >= 2 && t->rank == x->rank - 1 && t->dims[0] == x->dims[0];
  for (int d = 1; ok && d < t->rank; d++) ok = t->dims[d] == x->dims[d + 1];
  if (!ok)
    diag_node_fatal(n,
                    "target of shape %s does not match input %s (N x C x d... against "
                    "N x d...)",
                    ir_shape_str(g->arena, t), ir_shape_str(g->arena, x));
  if (w && (w->dtype != x->dtype || w->rank != 1 || w->dims[0] != x->dims[1]))
    diag_node_fatal(n, "weight must be [%lld] of the input's type", (long long)x->dims[1]);
  memset(p, 0, sizeof *p);
  p->n = x->dims[0];
  p->c = x->dims[1];
  p->inner = 1;
  for (int d = 2; d < x->rank; d++) p->inner *= x->dims[d];
  p->idx_bits = t->dtype == DT_INT32 ? 32 : 64;
  p->has_ignore = ir_attr(n, "ignore_index") != NULL;
  p->ignore = attr_i(n, "ignore_index", 0);
  p->reduction = reduction(n);
}

void infer_Loss(Graph *g, Node *n) {
  MlcNll p;
  loss_dims(g, n, &p);
  Value *y = n->out[0];
  if (p.reduction)
    ir_set_shape(y, 0, NULL);
  else
    ir_set_shape(y, n->in[1]->rank, n->in[1]->dims);
  y->dtype = n->in[0]->dtype;
  if (n->nout > 1 && n->out[1]) ir_copy_type(n->out[1], n->in[0]);
}

void lower_Loss(Graph *g, Node *n, Lowering *L) {
  Value *x = lower_as_type(g, L, n->in[0], DT_FLOAT), *y = lower_out_as(g, n->out[0], DT_FLOAT);
  Value *w = lower_as_type(g, L, op_input(n, 2), DT_FLOAT);
  if (n->op == OP_SoftmaxCrossEntropyLoss) {
    Value *lp0 = n->nout > 1 ? n->out[1] : NULL;
    Value *lp = lp0 ? lower_out_as(g, lp0, DT_FLOAT) : lower_temp(g, DT_FLOAT, x->rank, x->dims);
    KCall *c = lower_add(g, L, K_softmax_f32);
    MlcSoftmax *s = KC_PARAMS(c, MlcSoftmax);
    s->outer = x->dims[0];
    s->len = x->dims[1];
    s->inner = 1;
    for (int d = 2; d < x->rank; d++) s->inner *= x->dims[d];
    s->log = 1;
    c->io[MLC_SOFTMAX_X] = x;
    c->io[MLC_SOFTMAX_Y] = lp;
    c->nio = MLC_SOFTMAX_NIO;
    if (lp0) lower_finish(g, L, lp, lp0);
    x = lp;
  }
  KCall *c = lower_add(g, L, K_nll_f32);
  loss_dims(g, n, KC_PARAMS(c, MlcNll));
  c->io[MLC_NLL_X] = x;
  c->io[MLC_NLL_TARGET] = n->in[1];
  c->io[MLC_NLL_WEIGHT] = w;
  c->io[MLC_NLL_Y] = y;
  c->nio = MLC_NLL_NIO;
  lower_finish(g, L, y, n->out[0]);
}
