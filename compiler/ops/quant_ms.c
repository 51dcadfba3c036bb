/* onnxruntime's quantized ops of domain com.microsoft, as its quantizer
 * writes them (QOperator format, and the dynamic quantizer):
 * QLinearAdd, QLinearMul, QLinearLeakyRelu, QLinearSigmoid,
 * QLinearAveragePool, QLinearGlobalAveragePool, QLinearConcat,
 * QLinearSoftmax, DynamicQuantizeMatMul and DynamicQuantizeLSTM.
 *
 * Each is "dequantize, the float op, quantize", and that is also how
 * onnxruntime computes most of them: in float between the two, rounding
 * half to even. So inference checks the quantization parameters and then
 * expands the node in place into standard nodes: a DequantizeLinear of
 * each quantized input, the float op with the node's own attributes, a
 * QuantizeLinear into the output (channels_last pools move the int8
 * tensor to channels first and back around them). Those nodes bring their
 * own checks, kernels and memory planning, and fold where their inputs
 * are constants: DynamicQuantizeLSTM's weights become float weights once,
 * at compile time.
 *
 * DynamicQuantizeMatMul is no float op between quantizations: onnxruntime
 * quantizes A at run time as DynamicQuantizeLinear does, multiplies
 * integers and scales the int32 sums by a_scale * b_scale before adding
 * the bias. It expands to those steps, so that its float output carries
 * the same rounding of A.
 *
 * Where mlc differs from onnxruntime beyond float rounding at ties:
 *  - DynamicQuantizeLSTM runs the float LSTM on dequantized weights;
 *    onnxruntime also quantizes X and the hidden state for each product,
 *    so its outputs are off the float LSTM's by that rounding.
 *  - QLinearSoftmax: onnxruntime multiplies by floor(1 / y_scale) rather
 *    than dividing by y_scale (the same for the quantizer's 1/256) and
 *    wraps an int8 result of 128 around to -128; mlc quantizes as
 *    QuantizeLinear does, saturating.
 *  - DynamicQuantizeMatMul with int8 B: onnxruntime's uint8 x int8
 *    products on x86 without VNNI add pairs in int16, which saturate for
 *    weights of more than 7 bits; mlc's sums are exact.
 *  - QLinearAdd, QLinearMul and QLinearGlobalAveragePool: onnxruntime
 *    folds the scales into one ratio, and its sigmoid (QLinearSigmoid) is
 *    an approximation; results within float error of a rounding boundary
 *    may round apart, by one step.
 */
#include <string.h>

#include "diag.h"
#include "infer.h"
#include "ops.h"

/* ---- checks ------------------------------------------------------------------ */

/* the type of quantized tensor v; node error unless int8 or uint8 */
static DType q8_type(const Node *n, const Value *v, const char *what) {
  if (v->dtype != DT_INT8 && v->dtype != DT_UINT8)
    diag_node_fatal(n, "%s is %s; %s takes int8 or uint8", what, dtype_name(v->dtype), n->op_type);
  return v->dtype;
}

/* node error unless v holds one value, or (per > 0) one per column of B */
static void check_count(Graph *g, const Node *n, const Value *v, int64_t per, const char *what) {
  if (ir_numel(v) == 1 && v->rank <= 1) return;
  if (per > 0 && v->rank == 1 && v->dims[0] == per) return;
  diag_node_fatal(n, "%s has shape %s; it must be a scalar%s", what, ir_shape_str(g->arena, v),
                  per > 0 ? " or one value per column of B" : "");
}

static void check_scale(Graph *g, const Node *n, const Value *v, int64_t per, const char *what) {
  if (v->dtype != DT_FLOAT)
    diag_node_fatal(n, "%s is %s; it must be float", what, dtype_name(v->dtype));
  check_count(g, n, v, per, what);
}

/* a zero point (if present) has its tensor's type t */
static void check_zero_point(Graph *g, const Node *n, const Value *v, DType t, int64_t per,
                             const char *what) {
  if (!v) return;
  if (v->dtype != t)
    diag_node_fatal(n, "%s is %s; it must be %s like its tensor", what, dtype_name(v->dtype),
                    dtype_name(t));
  check_count(g, n, v, per, what);
}

/* inputs x, x + 1, x + 2 of n: a quantized tensor, its scale and zero
 * point (optional) named after `what`; the tensor's type */
static DType check_quantized(Graph *g, const Node *n, int x, const char *what) {
  DType t = q8_type(n, n->in[x], what);
  check_scale(g, n, n->in[x + 1], 0, arena_printf(g->arena, "the scale of %s", what));
  check_zero_point(g, n, op_input(n, x + 2), t, 0,
                   arena_printf(g->arena, "the zero point of %s", what));
  return t;
}

/* X (0) and Y (scale 3, zero point 4) of the one-input ops, both of X's type */
static DType check_unary(Graph *g, Node *n) {
  DType t = check_quantized(g, n, 0, "X");
  check_scale(g, n, n->in[3], 0, "the scale of Y");
  check_zero_point(g, n, op_input(n, 4), t, 0, "the zero point of Y");
  return t;
}

/* ---- expansion into standard nodes ------------------------------------------- */

typedef struct Expand {
  Graph *g;
  Node *at;  /* the node replaced */
  int first; /* where its replacement starts in g->nodes */
} Expand;

static Expand expand_begin(Graph *g, Node *n) { return (Expand){g, n, g->nnodes}; }

/* a node of the default domain at `opset`, named after the replaced one;
 * its first output is `out`, else a new value. Nodes are added in the
 * order they run. */
static Node *add_node(Expand *x, const char *op, int opset, int nin, int nout, const char *suffix,
                      Value *out) {
  Node *m =
      op_node_new(x->g, op, "", arena_printf(x->g->arena, "%s/%s", x->at->name, suffix), nin, nout);
  m->index = x->at->index;
  m->opset = opset;
  m->out[0] = out ? out : ir_value_new(x->g, NULL);
  return m;
}

/* the added nodes take the replaced one's place, inferred */
static void expand_end(Expand *x) {
  int k = x->g->nnodes - x->first, pos = x->at->pos + 1;
  ir_move_appended(x->g, x->first, pos);
  infer_nodes(x->g, pos, pos + k);
  x->at->dead = 1;
}

/* the replaced node's attributes, but `skip`, onto m */
static void copy_attrs(Expand *x, Node *m, const char *skip) {
  for (int i = 0; i < x->at->nattrs; i++) {
    const Attr *a = &x->at->attrs[i];
    if (skip && !strcmp(a->name, skip)) continue;
    Attr *c = ir_attr_add(x->g, m, a->name, a->kind);
    const char *name = c->name;
    *c = *a;
    c->name = name;
  }
}

static Value *zero_point_of(Graph *g, DType t) {
  Value *z = ir_value_new(g, NULL);
  z->dtype = t;
  ir_set_shape(z, 0, NULL);
  ir_alloc_data(g, z);
  return z;
}

/* v (quantized with scale s, zero point z or none) as float */
static Value *dequantize(Expand *x, Value *v, Value *s, Value *z, const char *suffix) {
  Node *m = add_node(x, "DequantizeLinear", 13, 3, 1, suffix, NULL);
  m->in[0] = v;
  m->in[1] = s;
  m->in[2] = z;
  return m->out[0];
}

/* float f quantized into out (type t) with scale s and zero point z (0 if
 * absent) */
static void quantize(Expand *x, Value *f, Value *s, Value *z, DType t, Value *out) {
  Node *m = add_node(x, "QuantizeLinear", 13, 3, 1, "quantize", out);
  m->in[0] = f;
  m->in[1] = s;
  m->in[2] = z ? z : zero_point_of(x->g, t);
}

/* v (of rank `rank`: v may be a value not inferred yet) with its dims
 * permuted, into out (or a new value) */
static Value *transpose(Expand *x, Value *v, int rank, const int64_t *perm, Value *out) {
  Node *m = add_node(x, "Transpose", 13, 1, 1, "transpose", out);
  m->in[0] = v;
  Attr *a = ir_attr_add(x->g, m, "perm", AK_INTS);
  a->n = rank;
  a->ints = arena_array(x->g->arena, (size_t)rank, sizeof *a->ints);
  memcpy(a->ints, perm, (size_t)rank * sizeof *perm);
  return m->out[0];
}

/* v with shape dims (as many elements) */
static Value *reshape(Expand *x, Value *v, int rank, const int64_t *dims) {
  Value *shape = ir_value_new(x->g, NULL);
  int64_t r = rank;
  shape->dtype = DT_INT64;
  ir_set_shape(shape, 1, &r);
  memcpy(ir_alloc_data(x->g, shape), dims, (size_t)rank * sizeof *dims);
  Node *m = add_node(x, "Reshape", 14, 2, 1, "reshape", NULL);
  m->in[0] = v;
  m->in[1] = shape;
  return m->out[0];
}

/* ---- the QLinear ops ------------------------------------------------------------ */

/* QLinearAdd, QLinearMul: A (0, scale 1, zero point 2), B (3, 4, 5), C
 * (scale 6, zero point 7) */
void infer_QLinearBinary(Graph *g, Node *n) {
  DType t = check_quantized(g, n, 0, "A");
  if (check_quantized(g, n, 3, "B") != t)
    diag_node_fatal(n, "A is %s but B is %s; they must have one type", dtype_name(t),
                    dtype_name(n->in[3]->dtype));
  check_scale(g, n, n->in[6], 0, "the scale of C");
  check_zero_point(g, n, op_input(n, 7), t, 0, "the zero point of C");
  Expand x = expand_begin(g, n);
  Value *a = dequantize(&x, n->in[0], n->in[1], op_input(n, 2), "dequantize_a");
  Value *b = dequantize(&x, n->in[3], n->in[4], op_input(n, 5), "dequantize_b");
  Node *f = add_node(&x, n->op == OP_QLinearAdd ? "Add" : "Mul", 14, 2, 1, "float", NULL);
  f->in[0] = a;
  f->in[1] = b;
  quantize(&x, f->out[0], n->in[6], op_input(n, 7), t, n->out[0]);
  expand_end(&x);
}

/* QLinearLeakyRelu, QLinearSigmoid: X (0, 1, 2), Y (scale 3, zero point 4) */
void infer_QLinearUnary(Graph *g, Node *n) {
  DType t = check_unary(g, n);
  Expand x = expand_begin(g, n);
  Value *fx = dequantize(&x, n->in[0], n->in[1], op_input(n, 2), "dequantize");
  Node *f =
      add_node(&x, n->op == OP_QLinearSigmoid ? "Sigmoid" : "LeakyRelu", 6, 1, 1, "float", NULL);
  f->in[0] = fx;
  copy_attrs(&x, f, NULL);
  quantize(&x, f->out[0], n->in[3], op_input(n, 4), t, n->out[0]);
  expand_end(&x);
}

/* QLinearAveragePool, QLinearGlobalAveragePool: the float pool with the
 * node's attributes; channels_last: X is [N, spatial..., C], so the int8
 * tensor is moved to channels first before and back after */
void infer_QLinearPool(Graph *g, Node *n) {
  DType t = check_unary(g, n);
  int r = n->in[0]->rank, last = attr_i(n, "channels_last", 0) != 0;
  if (r < 3)
    diag_node_fatal(n, "X has rank %d; it must be [N, %s] with at least one spatial dim", r,
                    last ? "spatial..., C" : "C, spatial...");
  int64_t to_first[IR_MAX_RANK] = {0, r - 1}, to_last[IR_MAX_RANK] = {0};
  for (int d = 1; d < r - 1; d++) {
    to_first[d + 1] = d;
    to_last[d] = d + 1;
  }
  to_last[r - 1] = 1;
  Expand x = expand_begin(g, n);
  Value *in = last ? transpose(&x, n->in[0], r, to_first, NULL) : n->in[0];
  Value *fx = dequantize(&x, in, n->in[1], op_input(n, 2), "dequantize");
  int global = n->op == OP_QLinearGlobalAveragePool;
  Node *p = add_node(&x, global ? "GlobalAveragePool" : "AveragePool", global ? 1 : 19, 1, 1,
                     "float", NULL);
  p->in[0] = fx;
  copy_attrs(&x, p, "channels_last");
  Value *y = last ? ir_value_new(g, NULL) : n->out[0];
  quantize(&x, p->out[0], n->in[3], op_input(n, 4), t, y);
  if (last) transpose(&x, y, r, to_last, n->out[0]);
  expand_end(&x);
}

/* QLinearConcat: Y's scale (0) and zero point (1), then a (tensor, scale,
 * zero point) triple per input */
void infer_QLinearConcat(Graph *g, Node *n) {
  if ((n->nin - 2) % 3)
    diag_node_fatal(n,
                    "it has %d inputs; it takes Y's scale and zero point, then a tensor, "
                    "its scale and its zero point per input",
                    n->nin);
  DType t = q8_type(n, n->in[1], "the zero point of Y");
  check_scale(g, n, n->in[0], 0, "the scale of Y");
  check_zero_point(g, n, n->in[1], t, 0, "the zero point of Y");
  int k = (n->nin - 2) / 3;
  for (int i = 0; i < k; i++) {
    const char *what = arena_printf(g->arena, "input %d", i);
    if (check_quantized(g, n, 2 + 3 * i, what) != t)
      diag_node_fatal(n, "%s is %s but Y's zero point is %s; they must have one type", what,
                      dtype_name(n->in[2 + 3 * i]->dtype), dtype_name(t));
  }
  Expand x = expand_begin(g, n);
  Value **f = arena_array(g->arena, (size_t)k, sizeof *f);
  for (int i = 0; i < k; i++) {
    Value *const *q = n->in + 2 + 3 * i;
    f[i] = dequantize(&x, q[0], q[1], q[2], arena_printf(g->arena, "dequantize_%d", i));
  }
  Node *c = add_node(&x, "Concat", 13, k, 1, "float", NULL);
  memcpy(c->in, f, (size_t)k * sizeof *f);
  copy_attrs(&x, c, NULL);
  quantize(&x, c->out[0], n->in[0], n->in[1], t, n->out[0]);
  expand_end(&x);
}

/* QLinearSoftmax: the float Softmax of the version its opset attribute
 * names, whose axis rule (one dim, or all dims from axis on before 13)
 * applies */
void infer_QLinearSoftmax(Graph *g, Node *n) {
  DType t = check_unary(g, n);
  int64_t v = attr_i(n, "opset", 0);
  if (v < optab[OP_Softmax].since || v > optab[OP_Softmax].until)
    diag_node_fatal(n,
                    "attribute opset is %s; it must name the Softmax version (%d to %d) "
                    "whose axis rule applies",
                    v ? arena_printf(g->arena, "%lld", (long long)v) : "missing",
                    optab[OP_Softmax].since, optab[OP_Softmax].until);
  Expand x = expand_begin(g, n);
  Value *fx = dequantize(&x, n->in[0], n->in[1], op_input(n, 2), "dequantize");
  Node *f = add_node(&x, "Softmax", (int)v, 1, 1, "float", NULL);
  f->in[0] = fx;
  copy_attrs(&x, f, "opset");
  quantize(&x, f->out[0], n->in[3], op_input(n, 4), t, n->out[0]);
  expand_end(&x);
}

/* ---- the dynamic quantizer's ops ------------------------------------------------ */

/* DynamicQuantizeMatMul: A (float), B (int8 or uint8), B's scale and zero
 * point (one, or one per column), bias (one per column) */
void infer_DynamicQuantizeMatMul(Graph *g, Node *n) {
  Value *a = n->in[0], *b = n->in[1], *bias = op_input(n, 4);
  if (a->dtype != DT_FLOAT)
    diag_node_fatal(n, "A is %s; DynamicQuantizeMatMul takes float", dtype_name(a->dtype));
  DType t = q8_type(n, b, "B");
  int64_t cols = b->rank ? b->dims[b->rank - 1] : 1;
  check_scale(g, n, n->in[2], cols, "b_scale");
  check_zero_point(g, n, op_input(n, 3), t, cols, "b_zero_point");
  if (bias && (bias->dtype != DT_FLOAT || bias->rank != 1 || bias->dims[0] != cols))
    diag_node_fatal(n,
                    "bias is %s of shape %s; it must be float of shape %lld, one per column of B",
                    dtype_name(bias->dtype), ir_shape_str(g->arena, bias), (long long)cols);
  Expand x = expand_begin(g, n);
  Node *qa = add_node(&x, "DynamicQuantizeLinear", 11, 1, 3, "quantize_a", NULL);
  qa->in[0] = a;
  qa->out[1] = ir_value_new(g, NULL);
  qa->out[2] = ir_value_new(g, NULL);
  Node *mm = add_node(&x, "MatMulInteger", 10, 4, 1, "matmul", NULL);
  mm->in[0] = qa->out[0];
  mm->in[1] = b;
  mm->in[2] = qa->out[2];
  mm->in[3] = op_input(n, 3);
  Node *c = add_node(&x, "Cast", 13, 1, 1, "to_float", NULL);
  c->in[0] = mm->out[0];
  ir_attr_add(g, c, "to", AK_INT)->i = DT_FLOAT;
  Node *s = add_node(&x, "Mul", 14, 2, 1, "scale", NULL);
  s->in[0] = qa->out[1];
  s->in[1] = n->in[2];
  Node *y = add_node(&x, "Mul", 14, 2, 1, "scaled", bias ? NULL : n->out[0]);
  y->in[0] = c->out[0];
  y->in[1] = s->out[0];
  if (bias) {
    Node *ab = add_node(&x, "Add", 14, 2, 1, "bias", n->out[0]);
    ab->in[0] = y->out[0];
    ab->in[1] = bias;
  }
  expand_end(&x);
}

/* W [dirs, input, 4 * hidden] or R [dirs, hidden, 4 * hidden] as LSTM
 * takes it: dequantized with a scale and zero point per direction
 * ([dirs]) or per direction and column ([dirs, 4 * hidden]), then
 * [dirs, 4 * hidden, rows] */
static Value *lstm_weights(Expand *x, Value *w, Value *s, Value *z, const char *what) {
  Graph *g = x->g;
  const Node *n = x->at;
  q8_type(n, w, what);
  if (w->rank != 3)
    diag_node_fatal(n, "%s has shape %s; it must be [num_directions, rows, 4 * hidden_size]", what,
                    ir_shape_str(g->arena, w));
  int64_t dirs = w->dims[0], rows = w->dims[1], cols = w->dims[2];
  int per_col = s->rank == 2;
  if (s->dtype != DT_FLOAT || !((s->rank == 1 && s->dims[0] == dirs) ||
                                (per_col && s->dims[0] == dirs && s->dims[1] == cols)))
    diag_node_fatal(n, "%s's scale is %s of shape %s; it must be float of shape %lld or %lldx%lld",
                    what, dtype_name(s->dtype), ir_shape_str(g->arena, s), (long long)dirs,
                    (long long)dirs, (long long)cols);
  if (z->dtype != w->dtype || !ir_same_shape(z, s))
    diag_node_fatal(n, "%s's zero point is %s of shape %s; it must be %s of its scale's shape %s",
                    what, dtype_name(z->dtype), ir_shape_str(g->arena, z), dtype_name(w->dtype),
                    ir_shape_str(g->arena, s));
  if (per_col) {
    /* one block of all rows per direction and column */
    int64_t dims[3] = {dirs, 1, cols};
    s = reshape(x, s, 3, dims);
    z = reshape(x, z, 3, dims);
  }
  Node *dq = add_node(x, "DequantizeLinear", 21, 3, 1,
                      arena_printf(g->arena, "dequantize_%s", what), NULL);
  dq->in[0] = w;
  dq->in[1] = s;
  dq->in[2] = z;
  ir_attr_add(g, dq, "axis", AK_INT)->i = per_col ? 1 : 0;
  if (per_col) ir_attr_add(g, dq, "block_size", AK_INT)->i = rows;
  static const int64_t perm[3] = {0, 2, 1};
  return transpose(x, dq->out[0], 3, perm, NULL);
}

/* DynamicQuantizeLSTM: LSTM's inputs X, W, R, B, sequence_lens, initial_h,
 * initial_c, P (W and R quantized and transposed), then W's scale and zero
 * point, R's scale and zero point */
void infer_DynamicQuantizeLSTM(Graph *g, Node *n) {
  static const char *const params[4] = {"W_scale", "W_zero_point", "R_scale", "R_zero_point"};
  for (int i = 0; i < 4; i++)
    if (!op_input(n, 8 + i))
      diag_node_fatal(n, "required input %d (%s) is missing", 8 + i, params[i]);
  Expand x = expand_begin(g, n);
  Value *w = lstm_weights(&x, n->in[1], n->in[8], n->in[9], "W");
  Value *r = lstm_weights(&x, n->in[2], n->in[10], n->in[11], "R");
  Node *l = add_node(&x, "LSTM", 14, 8, 3, "float", n->out[0]);
  l->in[0] = n->in[0];
  l->in[1] = w;
  l->in[2] = r;
  for (int i = 3; i < 8; i++) l->in[i] = n->in[i];
  l->out[0] = n->out[0];
  for (int j = 1; j < 3; j++) l->out[j] = j < n->nout ? n->out[j] : NULL;
  copy_attrs(&x, l, NULL);
  expand_end(&x);
}
