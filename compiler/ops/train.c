/* The optimizers of ai.onnx.preview.training: Adagrad, Adam and Momentum.
 *
 * Each updates any number of tensors at once. The inputs are R (learning
 * rate) and T (update count), then one list per role, each as long as the
 * number of tensors: X..., G..., then the state (Adagrad H...; Momentum
 * V...; Adam V..., H...). The outputs are the new X..., then the new state
 * lists in the same order.
 *
 * A node lowers to one optim_rate call, which turns R and T (run-time
 * scalars, usually graph inputs) into the step size and the gradient's
 * weight, and one elementwise optim call per tensor whose outputs are
 * wanted. The formulas are written once, in runtime/train.c. The ONNX text
 * speaks of numpy broadcasting, but a gradient or state shaped unlike its
 * tensor has no meaning for an update of that tensor: those are refused.
 */
#include <string.h>

#include "diag.h"
#include "ops.h"

/* inputs per optimized tensor: X, G and the state */
static int group_inputs(const Node *n) { return n->op == OP_Adam ? 4 : 3; }

/* MLC_OPTIM_*; Momentum's attributes have no defaults */
static int kind(const Node *n) {
  static const char *required[] = {"alpha", "beta", "norm_coefficient", "mode"};
  if (n->op == OP_Adagrad) return MLC_OPTIM_ADAGRAD;
  if (n->op == OP_Adam) return MLC_OPTIM_ADAM;
  for (int i = 0; i < 4; i++)
    if (!ir_attr(n, required[i])) diag_node_fatal(n, "attribute '%s' is required", required[i]);
  const char *mode = attr_s(n, "mode", "");
  if (!strcmp(mode, "standard")) return MLC_OPTIM_MOMENTUM;
  if (!strcmp(mode, "nesterov")) return MLC_OPTIM_NESTEROV;
  diag_node_fatal(n, "mode '%s' is neither 'standard' nor 'nesterov'", mode);
}

static void require_scalar(Graph *g, const Node *n, const Value *v, const char *what) {
  if (ir_numel(v) != 1)
    diag_node_fatal(n, "%s must hold one value, not shape %s", what, ir_shape_str(g->arena, v));
}

void infer_Optimizer(Graph *g, Node *n) {
  int w = group_inputs(n), k = (n->nin - 2) / w;
  if ((n->nin - 2) % w || n->nout != k * (w - 1))
    diag_node_fatal(n,
                    "%s takes R, T and %d inputs per optimized tensor, and gives %d "
                    "outputs per tensor; %d inputs and %d outputs fit no count of tensors",
                    n->op_type, w, w - 1, n->nin, n->nout);
  for (int i = 0; i < n->nin; i++)
    if (!n->in[i]) diag_node_fatal(n, "input %d is missing", i);
  const Value *r = n->in[0], *t = n->in[1];
  if (r->dtype != DT_FLOAT && r->dtype != DT_DOUBLE)
    diag_node_fatal(n, "R is %s; it must be float or double", dtype_name(r->dtype));
  if (t->dtype != DT_INT64) diag_node_fatal(n, "T is %s; it must be int64", dtype_name(t->dtype));
  require_scalar(g, n, r, "R");
  require_scalar(g, n, t, "T");
  for (int j = 0; j < k; j++) {
    const Value *x = n->in[2 + j];
    if (x->dtype != DT_FLOAT && x->dtype != DT_DOUBLE)
      diag_node_fatal(n, "input %d is %s; the optimized tensors must be float or double", 2 + j,
                      dtype_name(x->dtype));
    for (int m = 1; m < w; m++) {
      const Value *v = n->in[2 + m * k + j];
      if (v->dtype != x->dtype || !ir_same_shape(v, x))
        diag_node_fatal(n,
                        "input %d (%s %s) must have the type and shape of tensor %d "
                        "(%s %s)",
                        2 + m * k + j, dtype_name(v->dtype), ir_shape_str(g->arena, v), 2 + j,
                        dtype_name(x->dtype), ir_shape_str(g->arena, x));
    }
    for (int m = 0; m < w - 1; m++)
      if (n->out[m * k + j]) ir_copy_type(n->out[m * k + j], x);
  }
  kind(n);
}

void lower_Optimizer(Graph *g, Node *n, Lowering *L) {
  int w = group_inputs(n), k = (n->nin - 2) / w;
  int64_t two = 2;
  Value *rate = lower_temp(g, DT_DOUBLE, 1, &two);
  KCall *c = lower_add(g, L, K_optim_rate);
  MlcOptimRate *rp = KC_PARAMS(c, MlcOptimRate);
  rp->kind = kind(n);
  rp->r_f64 = n->in[0]->dtype == DT_DOUBLE;
  rp->alpha = attr_f(n, "alpha", 0.9);
  rp->beta = attr_f(n, "beta", 0.999);
  rp->decay = attr_f(n, "decay_factor", 0);
  c->io[MLC_OPTIM_RATE_R] = n->in[0];
  c->io[MLC_OPTIM_RATE_T] = n->in[1];
  c->io[MLC_OPTIM_RATE_RATE] = rate;
  c->nio = MLC_OPTIM_RATE_NIO;
  for (int j = 0; j < k; j++) {
    Value *outs[3] = {NULL, NULL, NULL};
    int any = 0;
    for (int m = 0; m < w - 1; m++) any |= (outs[m] = n->out[m * k + j]) != NULL;
    if (!any) continue;
    Value *x = n->in[2 + j];
    c = lower_add(g, L, x->dtype == DT_DOUBLE ? K_optim_f64 : K_optim_f32);
    MlcOptim *p = KC_PARAMS(c, MlcOptim);
    p->count = ir_numel(x);
    p->kind = rp->kind;
    p->alpha = rp->alpha;
    p->beta = rp->beta;
    p->eps = attr_f(n, "epsilon", 1e-6);
    p->norm = attr_f(n, "norm_coefficient", 0);
    p->post = attr_f(n, "norm_coefficient_post", 0);
    /* tensor j's X, G and state, each from its role's list of k inputs;
     * outs holds its new X and state in that order */
    c->io[MLC_OPTIM_RATE] = rate;
    c->io[MLC_OPTIM_X] = x;
    c->io[MLC_OPTIM_G] = n->in[2 + k + j];
    c->io[MLC_OPTIM_S1] = n->in[2 + 2 * k + j];
    if (w > 3) c->io[MLC_OPTIM_S2] = n->in[2 + 3 * k + j];
    c->io[MLC_OPTIM_X_NEW] = outs[0];
    c->io[MLC_OPTIM_S1_NEW] = outs[1];
    c->io[MLC_OPTIM_S2_NEW] = outs[2];
    c->nio = MLC_OPTIM_NIO;
  }
}
