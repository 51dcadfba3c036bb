/* QDQ to integer ops: a quantized model in QDQ form states every quantized
 * op as DequantizeLinear of its inputs, the float op, and QuantizeLinear of
 * its output. Where that is an integer op with the same meaning, the three
 * become the integer op, and its weights stay int8:
 *
 *     Q(Conv(DQ(x), DQ(w) [, bias]))  -> QLinearConv (bias as int32)
 *     Q(MatMul(DQ(a), DQ(b)))          -> QLinearMatMul
 *     Q(Gemm(DQ(a), DQ(b) [, bias]))   -> QGemm (com.microsoft; bias as int32)
 *     (a Relu or Clip before the Q goes too where the Q's saturation does
 *     its work: where its bounds quantize to the ends of the range or
 *     beyond)
 *     Q(op(DQ(x)...)) for the ops that only move or pick values (MaxPool,
 *     Concat, Reshape, Flatten, Squeeze, Unsqueeze, Transpose) -> op on the
 *     integers, each input first requantized, Q(DQ(x)), to the output's
 *     scale and zero point where its own differ (Q and DQ are monotonic,
 *     so the maximum of the requantized values is the requantized maximum;
 *     the fusion pass makes each Q(DQ(x)) one loop)
 *     Q(DQ(x)) with the same scale and zero point -> x
 *
 * The integer op computes the float op's sums exactly and rounds once;
 * the float form rounds each product and sum to float first, so a result
 * can differ by one quantization step where the exact value lies next to a
 * rounding boundary. That is the rewrite every int8 engine makes; it runs
 * from -O1 up, and -O0 keeps the float form.
 *
 * It runs before constant folding, which would turn DQ(w) into float
 * weights: the weights' integers are read from DQ's input. What does not
 * match stays as the model states it, computed in float between explicit
 * Q and DQ. */
#include <math.h>
#include <string.h>

#include "diag.h"
#include "ops.h"
#include "passes.h"

/* a DequantizeLinear's integer input and its parameters */
typedef struct {
  Node *node;
  Value *x, *scale, *zp;
} Dq;

static int is_int8(DType t) { return t == DT_INT8 || t == DT_UINT8; }

/* v is made by a DequantizeLinear of int8 or uint8 into float with a
 * constant float scale of `per` values (1: one for the tensor) along axis
 * `axis` (ignored for one value) and a constant zero point, if any */
static int dequant(Value *v, int64_t per, int axis, Dq *d) {
  Node *n = v ? v->producer : NULL;
  if (!n || n->dead || n->op != OP_DequantizeLinear || v->dtype != DT_FLOAT) return 0;
  Value *x = n->in[0], *s = n->in[1], *z = op_input(n, 2);
  if (!is_int8(x->dtype) || !s->data || s->dtype != DT_FLOAT || (z && !z->data)) return 0;
  if (n->opset >= 21 && attr_i(n, "block_size", 0)) return 0;
  if (ir_numel(s) != per || (z && ir_numel(z) != per)) return 0;
  if (per > 1) {
    int64_t a = attr_i(n, "axis", 1);
    if (s->rank != 1 || axis >= x->rank || (a < 0 ? a + x->rank : a) != axis ||
        x->dims[axis] != per)
      return 0;
  }
  d->node = n;
  d->x = x;
  d->scale = s;
  d->zp = z;
  return 1;
}

/* q quantizes to int8 or uint8 with one constant scale and zero point */
static int quantizes(const Node *q) {
  Value *s = q->in[1], *z = op_input(q, 2);
  return q->op == OP_QuantizeLinear && is_int8(q->out[0]->dtype) && s->data &&
         s->dtype == DT_FLOAT && ir_numel(s) == 1 && (!z || (z->data && ir_numel(z) == 1)) &&
         !(q->opset >= 21 && attr_i(q, "block_size", 0));
}

/* the QuantizeLinear that alone reads v */
static Node *quant_of(Value *v) {
  Node *q = rw_sole_user(v);
  return q && quantizes(q) && q->in[0] == v ? q : NULL;
}

/* a bound of a clamp before q quantized as q quantizes it (in float) */
static double quantized(const Node *q, double bound) {
  const Value *z = op_input(q, 2);
  float s = (float)ir_data_f64(q->in[1], 0);
  return nearbyintf((float)bound / s) + (z ? ir_data_f64(z, 0) : 0);
}

/* the QuantizeLinear that alone reads v, directly or through a Relu or a
 * Clip that alone reads v and whose bounds q's saturation applies anyway:
 * q maps the lower bound to its type's lowest value or below, the upper
 * one to the highest or above */
static Node *quant_after(Value *v) {
  Node *q = quant_of(v), *a = rw_sole_user(v);
  double lo, hi;
  if (q || !a || (a->op != OP_Relu && a->op != OP_Clip) || a->in[0] != v || !ew_params(a, &lo, &hi))
    return q;
  q = quant_of(a->out[0]);
  if (!q) return NULL;
  double t_lo = q->out[0]->dtype == DT_UINT8 ? 0 : -128;
  int upper = a->op == OP_Relu || quantized(q, hi) >= t_lo + 255;
  return quantized(q, lo) <= t_lo && upper ? q : NULL;
}

/* a zero point's value, 0 when absent */
static double zp_value(const Value *z) { return z ? ir_data_f64(z, 0) : 0; }

/* the quantized type DQ reads and Q writes, and their scale and zero point,
 * are the same: Q(DQ(x)) is x */
static int same_params(const Dq *d, const Node *q) {
  return d->x->dtype == q->out[0]->dtype && ir_data_f64(d->scale, 0) == ir_data_f64(q->in[1], 0) &&
         zp_value(d->zp) == zp_value(op_input(q, 2));
}

/* the zero point input an integer op needs: the given one, or a zero of t */
static Value *zero_point(Graph *g, Value *z, DType t) { return z ? z : rw_const(g, t, 0, NULL); }

/* the operands of an integer product, as QLinearConv, QLinearMatMul and
 * QGemm take them: x, its scale and zero point, then w's */
static void operands(Graph *g, Value **ins, const Dq *x, const Dq *w) {
  const Dq *d[2] = {x, w};
  for (int i = 0; i < 2; i++) {
    ins[3 * i] = d[i]->x;
    ins[3 * i + 1] = d[i]->scale;
    ins[3 * i + 2] = zero_point(g, d[i]->zp, d[i]->x->dtype);
  }
}

/* q's scale and zero point, the output's of an integer product */
static void output_params(Graph *g, Value **ins, const Node *q) {
  ins[0] = q->in[1];
  ins[1] = zero_point(g, op_input(q, 2), q->out[0]->dtype);
}

/* the integer op `op_type` in place of q, computing q's output from ins */
static Node *replace(Graph *g, Node *q, Node *f, const char *op_type, Value **ins, int nin) {
  Node *n = rw_node_before(g, q, op_type, nin, 1);
  n->name = f->name;
  n->index = f->index;
  n->attrs = f->attrs;
  n->nattrs = f->nattrs;
  n->attrs_cap = 0; /* shared: a rewrite of n's attributes copies them */
  for (int i = 0; i < nin; i++) rw_set_input(g, n, i, ins[i]);
  rw_set_output(n, 0, q->out[0]);
  rw_kill(q);
  return n;
}

/* bias b (float, m values) as int32 in units of x_scale * w_scale[i] */
static Value *int_bias(Graph *g, const Value *b, const Dq *x, const Dq *w, int64_t m) {
  if (!b->data || b->dtype != DT_FLOAT || ir_numel(b) != m) return NULL;
  Value *r = rw_const(g, DT_INT32, 1, &m);
  int32_t *o = r->data;
  double sx = ir_data_f64(x->scale, 0);
  for (int64_t i = 0; i < m; i++) {
    double unit = sx * ir_data_f64(w->scale, ir_numel(w->scale) > 1 ? i : 0);
    double v = unit > 0 ? nearbyint(ir_data_f64(b, i) / unit) : NAN;
    if (!(fabs(v) < 2147483647.0)) return NULL;
    o[i] = (int32_t)v;
  }
  return r;
}

static int rewrite_conv(Graph *g, Node *c) {
  Node *q = quant_after(c->out[0]);
  Value *w = c->in[1], *b = op_input(c, 2);
  Dq x, wd;
  if (!q || w->rank < 3 || !dequant(c->in[0], 1, 0, &x) ||
      (!dequant(w, w->dims[0], 0, &wd) && !dequant(w, 1, 0, &wd)) || !wd.x->data)
    return 0;
  Value *bias = b ? int_bias(g, b, &x, &wd, w->dims[0]) : NULL;
  if (b && !bias) return 0;
  Value *ins[9];
  operands(g, ins, &x, &wd);
  output_params(g, ins + 6, q);
  ins[8] = bias;
  replace(g, q, c, "QLinearConv", ins, bias ? 9 : 8);
  return 1;
}

static int rewrite_matmul(Graph *g, Node *mm) {
  Node *q = quant_after(mm->out[0]);
  Value *b = mm->in[1];
  Dq a, bd;
  if (!q || b->rank != 2 || !dequant(mm->in[0], 1, 0, &a) ||
      (!dequant(b, b->dims[1], 1, &bd) && !dequant(b, 1, 0, &bd)) || !bd.x->data)
    return 0;
  Value *ins[8];
  operands(g, ins, &a, &bd);
  output_params(g, ins + 6, q);
  replace(g, q, mm, "QLinearMatMul", ins, 8);
  return 1;
}

/* Gemm without alpha and beta (1, as quantizers write it) */
static int rewrite_gemm(Graph *g, Node *gm) {
  Node *q = quant_after(gm->out[0]);
  Value *b = gm->in[1], *c = op_input(gm, 2);
  int tb = attr_i(gm, "transB", 0) != 0;
  Dq a, bd;
  if (!q || attr_f(gm, "alpha", 1) != 1 || attr_f(gm, "beta", 1) != 1 ||
      !dequant(gm->in[0], 1, 0, &a) ||
      (!dequant(b, b->dims[tb ? 0 : 1], tb ? 0 : 1, &bd) && !dequant(b, 1, 0, &bd)) || !bd.x->data)
    return 0;
  int64_t cols = b->dims[tb ? 0 : 1];
  Value *bias = c ? int_bias(g, c, &a, &bd, cols) : NULL;
  if (c && !bias) return 0;
  Value *ins[9];
  operands(g, ins, &a, &bd);
  ins[6] = bias;
  output_params(g, ins + 7, q);
  Node *n = replace(g, q, gm, "QGemm", ins, 9);
  n->domain = "com.microsoft";
  n->op = op_lookup(n->domain, n->op_type);
  n->opset = 1;
  /* Gemm's attributes but beta, which QGemm does not have */
  n->attrs = NULL;
  n->nattrs = 0;
  if (attr_i(gm, "transA", 0)) rw_attr_int(g, n, "transA", 1);
  if (tb) rw_attr_int(g, n, "transB", 1);
  return 1;
}

/* an op that only moves or picks values (OPF_MOVES) whose other outputs,
 * if any, nobody reads (MaxPool's Indices); the number of its data inputs */
static int value_mover(const Node *n) {
  if (!(optab[n->op].flags & OPF_MOVES)) return 0;
  for (int j = 1; j < n->nout; j++)
    if (n->out[j] && (n->out[j]->nusers || n->out[j]->is_output)) return 0;
  int k = 1;
  while (k < n->nin && n->in[k] && n->in[k]->dtype == n->in[0]->dtype) k++;
  return k;
}

/* Q(v) with q's parameters, placed before n */
static Value *requant(Graph *g, Node *n, Value *v, const Node *q) {
  Node *r = rw_node_before(g, n, "QuantizeLinear", q->nin, 1);
  for (int i = 0; i < q->nin; i++) rw_set_input(g, r, i, i ? q->in[i] : v);
  rw_set_output(r, 0, rw_value(g, q->out[0]->dtype, v->rank, v->dims));
  return r->out[0];
}

static int rewrite_mover(Graph *g, Node *n, int ndata) {
  Node *q = quant_of(n->out[0]);
  Dq d[64];
  if (!q || ndata > 64) return 0;
  for (int i = 0; i < ndata; i++)
    if (!dequant(n->in[i], 1, 0, &d[i])) return 0;
  for (int i = 0; i < ndata; i++)
    rw_set_input(g, n, i, same_params(&d[i], q) ? d[i].x : requant(g, n, n->in[i], q));
  n->out[0]->dtype = q->out[0]->dtype;
  rw_bypass(g, q, n->out[0]);
  return 1;
}

/* Q(DQ(x)) with the same parameters */
static int rewrite_requant(Graph *g, Node *q) {
  Dq d;
  return quantizes(q) && dequant(q->in[0], 1, 0, &d) && same_params(&d, q) && rw_bypass(g, q, d.x);
}

void pass_qdq(Graph *g) {
  ir_rebuild_uses(g);
  for (int i = 0, k; i < g->nnodes; i++) {
    Node *n = g->nodes[i];
    if (n->dead || *n->domain) continue;
    if (n->op == OP_Conv)
      rewrite_conv(g, n);
    else if (n->op == OP_MatMul)
      rewrite_matmul(g, n);
    else if (n->op == OP_Gemm)
      rewrite_gemm(g, n);
    else if (n->op == OP_QuantizeLinear)
      rewrite_requant(g, n);
    else if ((k = value_mover(n)))
      rewrite_mover(g, n, k);
  }
  ir_remove_dead_nodes(g);
}
