/* Quantization: QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear,
 * MatMulInteger, ConvInteger, QLinearMatMul, QLinearConv and onnxruntime's
 * QGemm.
 *
 * Quantize/Dequantize lower to one kernel each that handles per-tensor,
 * per-axis and blocked scales through one index formula (MlcQuant) and any
 * element types the cast kernel converts, float8 included; scales and zero
 * points reach the kernel as double, which holds all of their values
 * exactly. The rounding of x / scale happens in the type the ONNX
 * definition divides in (x's, or the precision attribute's), because the
 * result is compared as an integer.
 *
 * The integer products are exact int32 kernels. Their shapes and geometry
 * come from the float MatMul and Conv of op_nn.c, run on float stand-ins
 * of the inputs: batch broadcasting, auto_pad, pads, strides and dilations
 * then mean exactly what they mean there. The QLinear ops add a
 * requantization of the int32 sums, per output channel when the weight
 * scale is.
 */
#include <string.h>

#include "diag.h"
#include "ops.h"

/* the integer range of a quantized type; 0 if it has none (float8, float4) */
static int int_range(DType t, int64_t *lo, int64_t *hi) {
  switch (t) {
  case DT_INT2:
    *lo = -2;
    *hi = 1;
    return 1;
  case DT_UINT2:
    *lo = 0;
    *hi = 3;
    return 1;
  case DT_INT4:
    *lo = -8;
    *hi = 7;
    return 1;
  case DT_UINT4:
    *lo = 0;
    *hi = 15;
    return 1;
  case DT_INT8:
    *lo = -128;
    *hi = 127;
    return 1;
  case DT_UINT8:
    *lo = 0;
    *hi = 255;
    return 1;
  case DT_INT16:
    *lo = -32768;
    *hi = 32767;
    return 1;
  case DT_UINT16:
    *lo = 0;
    *hi = 65535;
    return 1;
  case DT_INT32:
    *lo = INT32_MIN;
    *hi = INT32_MAX;
    return 1;
  default: return 0;
  }
}

static int is_float8(DType t) { return t >= DT_FLOAT8E4M3FN && t <= DT_FLOAT8E5M2FNUZ; }

/* the float types x can be quantized to */
static int is_qfloat(DType t) { return is_float8(t) || t == DT_FLOAT4E2M1; }

static int is_scale_type(DType t) { return t == DT_FLOAT || t == DT_FLOAT16 || t == DT_BFLOAT16; }

/* ---- QuantizeLinear, DequantizeLinear -------------------------------------- */

/* the scale layout of x for MlcQuant; zero point (if any) alike */
static void quant_layout(Graph *g, const Node *n, MlcQuant *p) {
  const Value *x = n->in[0], *s = n->in[1], *z = op_input(n, 2);
  int64_t block = n->opset >= 21 ? attr_i(n, "block_size", 0) : 0;
  if (z && !ir_same_shape(z, s) && (ir_numel(z) != 1 || ir_numel(s) != 1))
    diag_node_fatal(n, "the zero point's shape %s differs from the scale's %s",
                    ir_shape_str(g->arena, z), ir_shape_str(g->arena, s));
  memset(p, 0, sizeof *p);
  p->block = 1;
  p->outer = p->len = p->inner = 1;
  if (ir_numel(s) == 1 && s->rank <= 1) {
    p->len = ir_numel(x);
    return;
  }
  int axis = norm_axis(n, attr_i(n, "axis", 1), x->rank);
  for (int d = 0; d < x->rank; d++)
    *(d < axis ? &p->outer : d > axis ? &p->inner : &p->len) *= x->dims[d];
  if (block < 0) diag_node_fatal(n, "block_size must not be negative");
  if (block == 0) {
    if (s->rank != 1 || s->dims[0] != p->len)
      diag_node_fatal(n, "a per-axis scale must be [%lld] (axis %d of %s), not %s",
                      (long long)p->len, axis, ir_shape_str(g->arena, x),
                      ir_shape_str(g->arena, s));
    p->s_a = 1;
    return;
  }
  int64_t nblk = (p->len + block - 1) / block;
  int ok = s->rank == x->rank;
  for (int d = 0; ok && d < x->rank; d++) ok = s->dims[d] == (d == axis ? nblk : x->dims[d]);
  if (!ok)
    diag_node_fatal(n,
                    "a blocked scale must have x's shape %s with dim %d of %lld blocks, "
                    "not %s",
                    ir_shape_str(g->arena, x), axis, (long long)nblk, ir_shape_str(g->arena, s));
  p->block = block;
  p->s_o = nblk * p->inner;
  p->s_a = p->inner;
  p->s_i = 1;
}

/* QuantizeLinear's output type: the zero point's, else output_dtype's, else
 * uint8 */
static DType quant_out_type(const Node *n) {
  const Value *z = op_input(n, 2);
  int64_t od = n->opset >= 21 ? attr_i(n, "output_dtype", 0) : 0;
  DType t = z ? z->dtype : od ? (DType)od : DT_UINT8;
  int64_t lo, hi;
  if (z && od && od != z->dtype)
    diag_node_fatal(n, "output_dtype %lld differs from the zero point's type %s", (long long)od,
                    dtype_name(z->dtype));
  if ((!int_range(t, &lo, &hi) || t == DT_INT32) && !is_qfloat(t))
    diag_node_fatal(n,
                    "quantizing to %s is not supported (int2-int16, uint2-uint16, "
                    "float8 and float4e2m1 are)",
                    dtype_name(t));
  return t;
}

static void quant_types(const Node *n, int quantize) {
  const Value *x = n->in[0], *s = n->in[1];
  if (!is_scale_type(s->dtype))
    diag_node_fatal(n,
                    "a scale of type %s is not supported (float, float16 and bfloat16 "
                    "are)",
                    dtype_name(s->dtype));
  if (quantize && !is_scale_type(x->dtype) && x->dtype != DT_INT32)
    diag_node_fatal(n, "quantizing %s is not supported", dtype_name(x->dtype));
  int64_t lo, hi;
  if (!quantize && !int_range(x->dtype, &lo, &hi) && !is_qfloat(x->dtype))
    diag_node_fatal(n, "dequantizing %s is not supported", dtype_name(x->dtype));
  const Value *z = op_input(n, 2);
  if (!quantize && z && z->dtype != x->dtype)
    diag_node_fatal(n, "the zero point is %s but x is %s", dtype_name(z->dtype),
                    dtype_name(x->dtype));
}

static DType dequant_out_type(const Node *n) {
  int64_t od = n->opset >= 23 ? attr_i(n, "output_dtype", 0) : 0;
  if (od && !is_scale_type((DType)od))
    diag_node_fatal(n, "output_dtype %lld is not float, float16 or bfloat16", (long long)od);
  return od ? (DType)od : n->in[1]->dtype;
}

void infer_QuantizeLinear(Graph *g, Node *n) {
  MlcQuant p;
  quant_types(n, 1);
  quant_layout(g, n, &p);
  ir_copy_type(n->out[0], n->in[0]);
  n->out[0]->dtype = quant_out_type(n);
}

void infer_DequantizeLinear(Graph *g, Node *n) {
  MlcQuant p;
  quant_types(n, 0);
  quant_layout(g, n, &p);
  ir_copy_type(n->out[0], n->in[0]);
  n->out[0]->dtype = dequant_out_type(n);
}

/* the type x / scale is computed in: precision, else numpy's promotion of
 * x's and the scale's types */
static DType div_type(const Node *n) {
  DType x = n->in[0]->dtype, s = n->in[1]->dtype;
  int64_t prec = n->opset >= 23 ? attr_i(n, "precision", 0) : 0;
  if (prec) {
    if (!is_scale_type((DType)prec) && prec != DT_DOUBLE)
      diag_node_fatal(n, "precision %lld is not a float type", (long long)prec);
    return (DType)prec;
  }
  if (x == DT_INT32) return DT_DOUBLE;
  return x == s ? x : DT_FLOAT;
}

/* one set of slot names fills both kernels (as ints: the enums differ) */
_Static_assert((int)MLC_QUANTIZE_X == MLC_DEQUANTIZE_X &&
                   (int)MLC_QUANTIZE_SCALE == MLC_DEQUANTIZE_SCALE &&
                   (int)MLC_QUANTIZE_ZP == MLC_DEQUANTIZE_ZP &&
                   (int)MLC_QUANTIZE_Y == MLC_DEQUANTIZE_Y &&
                   (int)MLC_QUANTIZE_NIO == MLC_DEQUANTIZE_NIO,
               "quantize and dequantize must take the same io slots");

/* Between float and int8 or uint8 with one constant scale and zero point,
 * the op is a scalar function (which fusion puts in a loop with its
 * neighbours) with the scale and zero point as parameters; its name, or
 * NULL */
static const char *quant_scalar(const Node *n, int quantize) {
  const Value *x = n->in[0], *s = n->in[1], *z = op_input(n, 2), *y = n->out[0];
  const Value *q = quantize ? y : x, *f = quantize ? x : y;
  if (!s->data || ir_numel(s) != 1 || s->dtype != DT_FLOAT || (z && (!z->data || ir_numel(z) != 1)))
    return NULL;
  if (f->dtype != DT_FLOAT || (quantize && div_type(n) != DT_FLOAT)) return NULL;
  if (q->dtype == DT_INT8) return quantize ? "quanti8" : "dequant";
  if (q->dtype == DT_UINT8) return quantize ? "quantu8" : "dequant";
  return NULL;
}

static void lower_quant(Graph *g, Node *n, Lowering *L, int quantize) {
  Value *x = n->in[0], *y = n->out[0], *z = op_input(n, 2);
  const char *fn = quant_scalar(n, quantize);
  if (fn) {
    lower_ew(g, n, L, fn, x->dtype, &x, y, ir_data_f64(n->in[1], 0), z ? ir_data_f64(z, 0) : 0);
    return;
  }
  /* float8 zero points are zero by definition; float4e2m1's take part in
   * the formula like integer ones (ONNX's reference adds them) */
  int use_z = z && !is_float8(quantize ? y->dtype : x->dtype);
  Value *scale = lower_as_type(g, L, n->in[1], DT_DOUBLE);
  Value *zp = use_z ? lower_as_type(g, L, z, DT_DOUBLE) : NULL;
  KCall *c = lower_add(g, L, quantize ? K_quantize : K_dequantize);
  MlcQuant *p = KC_PARAMS(c, MlcQuant);
  quant_layout(g, n, p);
  p->xt = x->dtype;
  p->yt = y->dtype;
  p->lo = 1;
  p->hi = 0;
  if (quantize) {
    p->divt = div_type(n);
    if (!int_range(y->dtype, &p->lo, &p->hi))
      p->nosat = n->opset >= 19 && attr_i(n, "saturate", 1) == 0;
  }
  /* dequantize's slots are quantize's (asserted above lower_quant) */
  c->io[MLC_QUANTIZE_X] = x;
  c->io[MLC_QUANTIZE_SCALE] = scale;
  c->io[MLC_QUANTIZE_ZP] = zp;
  c->io[MLC_QUANTIZE_Y] = y;
  c->nio = MLC_QUANTIZE_NIO;
}

void lower_QuantizeLinear(Graph *g, Node *n, Lowering *L) { lower_quant(g, n, L, 1); }
void lower_DequantizeLinear(Graph *g, Node *n, Lowering *L) { lower_quant(g, n, L, 0); }

void infer_DynamicQuantizeLinear(Graph *g, Node *n) {
  (void)g;
  const Value *x = n->in[0];
  if (x->dtype != DT_FLOAT)
    diag_node_fatal(n, "input is %s; DynamicQuantizeLinear takes float", dtype_name(x->dtype));
  ir_copy_type(n->out[0], x);
  n->out[0]->dtype = DT_UINT8;
  DType t[3] = {DT_UINT8, DT_FLOAT, DT_UINT8};
  for (int i = 1; i < n->nout; i++) {
    if (!n->out[i]) continue;
    ir_set_shape(n->out[i], 0, NULL);
    n->out[i]->dtype = t[i];
  }
}

void lower_DynamicQuantizeLinear(Graph *g, Node *n, Lowering *L) {
  KCall *c = lower_add(g, L, K_dynquant_f32);
  KC_PARAMS(c, MlcDynQuant)->count = ir_numel(n->in[0]);
  c->io[MLC_DYNQUANT_X] = n->in[0];
  c->io[MLC_DYNQUANT_Y] = n->out[0];
  /* the kernel writes all three; absent outputs get temporaries */
  c->io[MLC_DYNQUANT_SCALE] =
      n->nout > 1 && n->out[1] ? n->out[1] : lower_temp(g, DT_FLOAT, 0, NULL);
  c->io[MLC_DYNQUANT_ZP] = n->nout > 2 && n->out[2] ? n->out[2] : lower_temp(g, DT_UINT8, 0, NULL);
  c->nio = MLC_DYNQUANT_NIO;
}

/* ---- integer MatMul and Conv ----------------------------------------------- */

/* The float op `op` (MatMul or Conv) applied to float stand-ins of n's
 * inputs `which` (-1: none): validates shapes and attributes as that op
 * does, and gives its output shape and its lowering's call. */
static KCall float_twin(Graph *g, const Node *n, int op, const int *which, int nin, Value *shape) {
  Value fv[3], fo = {0}, *fin[3], *fout[1] = {&fo};
  for (int i = 0; i < nin; i++) {
    const Value *v = which[i] >= 0 ? op_input(n, which[i]) : NULL;
    fin[i] = NULL;
    if (!v) continue;
    fv[i] = *v;
    fv[i].dtype = DT_FLOAT;
    fin[i] = &fv[i];
  }
  Node f = *n;
  f.op = op;
  f.in = fin;
  f.nin = fin[nin - 1] ? nin : nin - 1;
  f.out = fout;
  f.nout = 1;
  fo.rank = -1;
  optab[op].infer(g, &f);
  Lowering L = {0};
  optab[op].lower(g, &f, &L);
  MLC_ASSERT(L.ncalls >= 1);
  *shape = fo;
  return L.calls[0];
}

static void require_int8(const Node *n, const Value *v, const char *what) {
  if (v && v->dtype != DT_INT8 && v->dtype != DT_UINT8)
    diag_node_fatal(n, "%s is %s; %s takes int8 or uint8", what, dtype_name(v->dtype), n->op_type);
}

/* a zero point of x's type with one value, or `per` values (0: none allowed) */
static int zero_point(Graph *g, const Node *n, int i, const Value *x, int64_t per,
                      const char *what) {
  const Value *z = op_input(n, i);
  if (!z) return 0;
  if (z->dtype != x->dtype)
    diag_node_fatal(n, "%s is %s but its tensor is %s", what, dtype_name(z->dtype),
                    dtype_name(x->dtype));
  if (ir_numel(z) == 1) return 0;
  if (per > 0 && ir_numel(z) == per) return 1;
  diag_node_fatal(
      n, "%s of shape %s is neither one value nor one per %s", what, ir_shape_str(g->arena, z),
      n->op == OP_ConvInteger || n->op == OP_QLinearConv ? "output channel" : "row or column");
}

/* input layouts: a/x at 0; MatMulInteger/ConvInteger: b/w at 1, zero points
 * at 2 and 3; QLinear*: scales at 1, 4, 6, zero points at 2, 5, 7, b/w at 3,
 * QLinearConv's int32 bias at 8 */
static int qlinear(const Node *n) { return n->op == OP_QLinearMatMul || n->op == OP_QLinearConv; }

static int is_conv(const Node *n) { return n->op == OP_ConvInteger || n->op == OP_QLinearConv; }

static void qmatmul_params(Graph *g, const Node *n, const MlcMatMul *m, MlcQMatMul *p) {
  int q = qlinear(n), bz = q ? 5 : 3;
  const Value *a = n->in[0], *b = n->in[q ? 3 : 1], *zb = op_input(n, bz);
  p->m = m->m;
  p->n = m->n;
  p->k = m->k;
  p->brank = m->brank;
  memcpy(p->bdims, m->bdims, sizeof p->bdims);
  memcpy(p->a_bs, m->a_bs, sizeof p->a_bs);
  memcpy(p->b_bs, m->b_bs, sizeof p->b_bs);
  p->at = a->dtype;
  p->bt = b->dtype;
  int64_t k = m->k ? m->k : 1, ncols = b->rank > 1 ? b->dims[b->rank - 1] : 1;
  p->azp = zero_point(g, n, 2, a, ir_numel(a) / k, "a_zero_point");
  /* one per column, or one per column of each batch */
  p->bzp = zb && ir_numel(zb) == ncols && ncols > 1
               ? 1
               : 2 * zero_point(g, n, bz, b, ir_numel(b) / k, "b_zero_point");
}

static void qconv_params(Graph *g, const Node *n, const MlcConv *cv, MlcQConv *p) {
  int q = qlinear(n);
  const Value *x = n->in[0], *w = n->in[q ? 3 : 1], *b = q ? op_input(n, 8) : NULL;
  p->n = cv->n;
  p->c = cv->c;
  p->m = cv->m;
  p->group = cv->group;
  p->nsp = cv->nsp;
  for (int i = 0; i < MLC_RT_MAX_SP; i++) {
    p->in_sp[i] = cv->in_sp[i];
    p->out_sp[i] = cv->out_sp[i];
    p->k[i] = cv->k[i];
    p->stride[i] = cv->stride[i];
    p->dil[i] = cv->dil[i];
    p->pad_begin[i] = cv->pad_begin[i];
  }
  p->xt = x->dtype;
  p->wt = w->dtype;
  zero_point(g, n, 2, x, 0, "x_zero_point");
  p->wzp = zero_point(g, n, q ? 5 : 3, w, w->dims[0], "w_zero_point");
  if (b && b->dtype != DT_INT32)
    diag_node_fatal(n, "bias B is %s; it must be int32", dtype_name(b->dtype));
}

/* Validates the integer product, fills its kernel's params and its shape;
 * gives the kernel */
static int int_product(Graph *g, const Node *n, Slot *params, Value *shape) {
  int q = qlinear(n), conv = is_conv(n), which[3] = {0, q ? 3 : 1, conv && q ? 8 : -1};
  require_int8(n, n->in[0], conv ? "x" : "A");
  require_int8(n, n->in[q ? 3 : 1], conv ? "w" : "B");
  KCall fc = float_twin(g, n, conv ? OP_Conv : OP_MatMul, which, conv ? 3 : 2, shape);
  memset(params, 0, KC_MAX_SLOTS * sizeof *params);
  if (conv)
    qconv_params(g, n, KC_PARAMS(&fc, MlcConv), (MlcQConv *)(void *)params);
  else
    qmatmul_params(g, n, KC_PARAMS(&fc, MlcMatMul), (MlcQMatMul *)(void *)params);
  return conv ? K_qconv : K_qmatmul;
}

/* the integer product into int32 y */
static void lower_int_product(Graph *g, const Node *n, Lowering *L, Value *y) {
  int q = qlinear(n), conv = is_conv(n);
  Slot params[KC_MAX_SLOTS];
  Value shape;
  KCall *c = lower_add(g, L, int_product(g, n, params, &shape));
  memcpy(c->params, params, sizeof params);
  if (conv) {
    c->io[MLC_QCONV_X] = n->in[0];
    c->io[MLC_QCONV_W] = n->in[q ? 3 : 1];
    c->io[MLC_QCONV_XZP] = op_input(n, 2);
    c->io[MLC_QCONV_WZP] = op_input(n, q ? 5 : 3);
    c->io[MLC_QCONV_BIAS] = q ? op_input(n, 8) : NULL;
    c->io[MLC_QCONV_Y] = y;
    c->nio = MLC_QCONV_NIO;
  } else {
    c->io[MLC_QMATMUL_A] = n->in[0];
    c->io[MLC_QMATMUL_B] = n->in[q ? 3 : 1];
    c->io[MLC_QMATMUL_AZP] = op_input(n, 2);
    c->io[MLC_QMATMUL_BZP] = op_input(n, q ? 5 : 3);
    c->io[MLC_QMATMUL_Y] = y;
    c->nio = MLC_QMATMUL_NIO;
  }
}

/* QLinear*: the requantization of the int32 product into y: channels are
 * dim 1 of a conv's output, the last dim of a matmul's */
static void requant_layout(const Node *n, const Value *y, MlcRequant *p) {
  static const int scales[3] = {1, 4, 6};
  int conv = is_conv(n);
  require_int8(n, n->in[7], "y_zero_point");
  for (int i = 0; i < 3; i++)
    if (!is_scale_type(n->in[scales[i]]->dtype))
      diag_node_fatal(n, "scale input %d is %s; it must be float, float16 or bfloat16", scales[i],
                      dtype_name(n->in[scales[i]]->dtype));
  memset(p, 0, sizeof *p);
  p->outer = p->len = p->inner = 1;
  int ch = conv ? 1 : y->rank - 1;
  for (int d = 0; d < y->rank; d++)
    *(d < ch ? &p->outer : d > ch ? &p->inner : &p->len) *= y->dims[d];
  int64_t ns = ir_numel(n->in[4]);
  p->s2_per = ns > 1;
  if (p->s2_per && ns != p->len)
    diag_node_fatal(n, "the scale of %s has %lld values; it must have 1 or %lld", conv ? "w" : "b",
                    (long long)ns, (long long)p->len);
  if (ir_numel(n->in[1]) != 1 || ir_numel(n->in[6]) != 1 || ir_numel(n->in[7]) != 1)
    diag_node_fatal(n, "the input and output scales and zero point must be single values");
  p->st = n->in[1]->dtype;
  p->yt = n->in[7]->dtype;
  int_range(n->in[7]->dtype, &p->lo, &p->hi);
}

void infer_IntProduct(Graph *g, Node *n) {
  Slot params[KC_MAX_SLOTS];
  Value shape;
  int_product(g, n, params, &shape);
  set_shape_checked(n, n->out[0], shape.rank, shape.dims);
  n->out[0]->dtype = DT_INT32;
  if (qlinear(n)) {
    MlcRequant p;
    requant_layout(n, n->out[0], &p);
    n->out[0]->dtype = n->in[7]->dtype;
  }
}

/* ---- the fused kernels (quant_gemm.c, quant_dw.c) ---------------------------
 * A product whose weights, zero points, scales and bias are constants runs
 * on the fused int8 kernels: its weights packed now (mlc_rt_qpack, one
 * layout for every target, so generic code links with any runtime), the
 * corrections that follow from the constants folded into one int32 per
 * channel (mlc_rt_qfold), the requantization's multiplier computed in
 * float as onnxruntime computes it. Any other product keeps the exact
 * kernels above. */

/* a product's inputs and what it stores */
typedef struct QFuse {
  Value *x, *w, *xz, *wz, *bias, *s1, *s2, *s3, *yz;
  int out;   /* MLC_QOUT_* */
  int xz_rt; /* xz is computed (DynamicQuantizeLinear's): read at run time */
  double alpha;
} QFuse;

static int known(const Value *v) { return !v || v->data; }

/* QFuse of n (MatMulInteger, ConvInteger, QLinear*, QGemm); 0 if a value
 * the fused kernels need as a constant is computed. A matrix product takes
 * x's zero point at run time (a conv pads with it, so needs it now). */
static int qfuse_of(const Node *n, QFuse *f) {
  int q = n->op != OP_MatMulInteger && n->op != OP_ConvInteger, gemm = n->op == OP_QGemm;
  memset(f, 0, sizeof *f);
  f->x = n->in[0];
  f->w = n->in[q ? 3 : 1];
  f->xz = op_input(n, 2);
  f->wz = op_input(n, q ? 5 : 3);
  f->alpha = gemm ? attr_f(n, "alpha", 1.0) : 1.0;
  f->out = MLC_QOUT_I32;
  if (q) {
    f->s1 = n->in[1];
    f->s2 = n->in[4];
    f->s3 = op_input(n, gemm ? 7 : 6);
    f->yz = op_input(n, gemm ? 8 : 7);
    f->bias = op_input(n, gemm ? 6 : 8);
    f->out = !f->yz ? MLC_QOUT_F32 : f->yz->dtype == DT_INT8 ? MLC_QOUT_I8 : MLC_QOUT_U8;
  }
  f->xz_rt = !known(f->xz) && !is_conv(n);
  if (!known(f->w) || (!known(f->xz) && !f->xz_rt) || !known(f->wz) || !known(f->bias) ||
      !known(f->s1) || !known(f->s2) || !known(f->s3) || !known(f->yz))
    return 0;
  /* float16 scales round the multiplier in their own steps: the reference */
  return (!f->s1 || f->s1->dtype == DT_FLOAT) && (!f->s2 || f->s2->dtype == DT_FLOAT) &&
         (!f->s3 || f->s3->dtype == DT_FLOAT);
}

/* a constant int32 (or float) vector of m values padded to whole strips:
 * the kernels read the per-channel constants a vector at a time */
static Value *qconst(Graph *g, DType t, int64_t m) {
  int64_t len = (m + MLC_RT_QSTRIP - 1) / MLC_RT_QSTRIP * MLC_RT_QSTRIP;
  Value *v = lower_temp(g, t, 1, &len);
  ir_alloc_data(g, v);
  return v;
}

/* the call's per-channel constants for m channels of the weights read
 * through (rs, cs) over kdim; fills bias, wz (NULL where all 0) and mult
 * (NULL for int32 out) */
static void qfuse_consts(Graph *g, const QFuse *f, int64_t m, int64_t kdim, int64_t rs, int64_t cs,
                         KCall *c) {
  Value *bias = qconst(g, DT_INT32, m), *wz = qconst(g, DT_INT32, m);
  int32_t *b = NULL;
  if (f->bias) {
    b = (int32_t *)ir_alloc_data(g, lower_temp(g, DT_INT32, 1, &m));
    for (int64_t i = 0; i < m; i++)
      b[i] = (int32_t)ir_data_i64(f->bias, ir_numel(f->bias) > 1 ? i : 0);
  }
  /* a run-time zero point: none folded, its factor per channel kept */
  Value *xw = f->xz_rt ? qconst(g, DT_INT32, m) : NULL;
  int64_t xz = f->xz_rt ? (f->x->dtype == DT_INT8 ? -128 : 0) : f->xz ? ir_data_i64(f->xz, 0) : 0;
  int any = mlc_rt_qfold(f->w->data, f->w->dtype, m, kdim, rs, cs, f->wz ? f->wz->data : NULL,
                         f->wz && ir_numel(f->wz) > 1, f->x->dtype, xz, b, (int32_t *)bias->data,
                         (int32_t *)wz->data, xw ? (int32_t *)xw->data : NULL);
  c->io[MLC_QFUSED_BIAS] = bias;
  c->io[MLC_QFUSED_WZ] = any ? wz : NULL;
  c->io[MLC_QFUSED_XZ] = xw ? f->xz : NULL;
  c->io[MLC_QFUSED_XW] = xw;
  if (f->out == MLC_QOUT_I32) return;
  Value *mult = qconst(g, DT_FLOAT, m);
  const float *s1 = (const float *)f->s1->data, *s2 = (const float *)f->s2->data;
  for (int64_t i = 0; i < m; i++) {
    float t = (float)f->alpha * s1[0];
    t = t * s2[ir_numel(f->s2) > 1 ? i : 0];
    if (f->s3) t = t / ((const float *)f->s3->data)[0];
    ((float *)mult->data)[i] = t;
  }
  c->io[MLC_QFUSED_MULT] = mult;
}

/* the output's zero point and integer range */
static void qfuse_out(const QFuse *f, int64_t *yz, int64_t *lo, int64_t *hi) {
  *yz = f->yz ? ir_data_i64(f->yz, 0) : 0;
  *lo = INT32_MIN, *hi = INT32_MAX;
  if (f->yz) int_range(f->yz->dtype, lo, hi);
}

/* conv p on the fused kernels: the depthwise one where it applies (it takes
 * the weights, bias and zero points as they are), else the im2col product */
static void lower_fused_conv(Graph *g, Lowering *L, const QFuse *f, const MlcQConv *p, Value *y) {
  int dw = 0;
  MlcQConvFused q = {0};
  q.n = p->n, q.c = p->c, q.m = p->m, q.group = p->group, q.nsp = p->nsp;
  memcpy(q.in_sp, p->in_sp, sizeof q.in_sp);
  memcpy(q.out_sp, p->out_sp, sizeof q.out_sp);
  memcpy(q.k, p->k, sizeof q.k);
  memcpy(q.stride, p->stride, sizeof q.stride);
  memcpy(q.dil, p->dil, sizeof q.dil);
  memcpy(q.pad_begin, p->pad_begin, sizeof q.pad_begin);
  q.xt = f->x->dtype, q.wt = f->w->dtype, q.out = f->out;
  q.xz = f->xz ? ir_data_i64(f->xz, 0) : 0;
  qfuse_out(f, &q.yz, &q.lo, &q.hi);
  dw = mlc_rt_qconv_dw_fits(&q);
  KCall *c = lower_add(g, L, dw ? K_qconv_dw : K_qconv_fused);
  int64_t kdim = mlc_rt_qconv_kdim(&q), mg = q.m / q.group;
  qfuse_consts(g, f, q.m, kdim, kdim, 1, c);
  if (dw) {
    /* the model's bias and weight zero points, the latter as int32 */
    Value *wz = qconst(g, DT_INT32, q.m);
    int any = 0;
    for (int64_t i = 0; i < q.m; i++) {
      int64_t z = f->wz ? ir_data_i64(f->wz, ir_numel(f->wz) > 1 ? i : 0) : 0;
      ((int32_t *)wz->data)[i] = (int32_t)z;
      any |= z != 0;
    }
    c->io[MLC_QFUSED_W] = f->w;
    c->io[MLC_QFUSED_BIAS] = f->bias;
    c->io[MLC_QFUSED_WZ] = any ? wz : NULL;
  } else {
    int64_t bytes = q.group * mlc_rt_qpacked_bytes(mg, kdim);
    Value *w = lower_temp(g, DT_INT8, 1, &bytes);
    mlc_rt_qpack(f->w->data, q.wt, q.group, mg, kdim, kdim, 1, ir_alloc_data(g, w));
    q.pairs = mlc_rt_qpairs_fit((const int8_t *)w->data, bytes);
    c->io[MLC_QFUSED_W] = w;
  }
  memcpy(c->params, &q, sizeof q);
  c->io[MLC_QFUSED_X] = f->x;
  c->io[MLC_QFUSED_Y] = y;
  c->io[MLC_QFUSED_SCRATCH] =
      lower_scratch(g, dw ? mlc_rt_qdw_scratch(&q) : mlc_rt_qconv_scratch(&q));
  c->nio = MLC_QFUSED_NIO;
}

/* y (m x n) = a (m x k, transposed: ta) b on the fused kernel, b's element
 * (q, j) at b[q * brs + j * bcs] */
static void lower_fused_gemm(Graph *g, Lowering *L, const QFuse *f, int64_t m, int64_t n, int64_t k,
                             int ta, int64_t brs, int64_t bcs, Value *y) {
  KCall *c = lower_add(g, L, K_qgemm_fused);
  MlcQGemmFused *p = KC_PARAMS(c, MlcQGemmFused);
  p->m = m, p->n = n, p->k = k, p->trans_a = ta;
  p->xt = f->x->dtype, p->out = f->out;
  p->xz = f->xz && !f->xz_rt ? ir_data_i64(f->xz, 0) : 0;
  qfuse_out(f, &p->yz, &p->lo, &p->hi);
  qfuse_consts(g, f, n, k, bcs, brs, c);
  int64_t bytes = mlc_rt_qpacked_bytes(n, k);
  Value *w = lower_temp(g, DT_INT8, 1, &bytes);
  mlc_rt_qpack(f->w->data, f->w->dtype, 1, n, k, bcs, brs, ir_alloc_data(g, w));
  p->pairs = mlc_rt_qpairs_fit((const int8_t *)w->data, bytes);
  c->io[MLC_QFUSED_X] = f->x;
  c->io[MLC_QFUSED_W] = w;
  c->io[MLC_QFUSED_Y] = y;
  c->io[MLC_QFUSED_SCRATCH] = lower_scratch(g, mlc_rt_qgemm_scratch(p));
  c->nio = MLC_QFUSED_NIO;
}

/* n on the fused kernels if its constants and shapes allow: a conv, or a
 * product with one B for every batch and one zero point for A */
static int lower_fused(Graph *g, Node *n, Lowering *L) {
  QFuse f;
  Slot params[KC_MAX_SLOTS];
  Value shape;
  if (!qfuse_of(n, &f)) return 0;
  int kernel = int_product(g, n, params, &shape);
  if (kernel == K_qconv) {
    lower_fused_conv(g, L, &f, (const MlcQConv *)(void *)params, n->out[0]);
    return 1;
  }
  const MlcQMatMul *p = (const MlcQMatMul *)(void *)params;
  if (p->brank || p->azp || p->bzp == 2 || ir_numel(f.w) != p->k * p->n) return 0;
  lower_fused_gemm(g, L, &f, p->m, p->n, p->k, 0, p->n, 1, n->out[0]);
  return 1;
}

void lower_IntProduct(Graph *g, Node *n, Lowering *L) {
  if (lower_fused(g, n, L)) return;
  if (!qlinear(n)) {
    lower_int_product(g, n, L, n->out[0]);
    return;
  }
  Value *y = n->out[0], *acc = lower_temp(g, DT_INT32, y->rank, y->dims);
  lower_int_product(g, n, L, acc);
  Value *s1 = lower_as_type(g, L, n->in[1], DT_FLOAT);
  Value *s2 = lower_as_type(g, L, n->in[4], DT_FLOAT);
  Value *s3 = lower_as_type(g, L, n->in[6], DT_FLOAT);
  KCall *c = lower_add(g, L, K_requant);
  requant_layout(n, y, KC_PARAMS(c, MlcRequant));
  c->io[MLC_REQUANT_ACC] = acc;
  c->io[MLC_REQUANT_S1] = s1;
  c->io[MLC_REQUANT_S2] = s2;
  c->io[MLC_REQUANT_S3] = s3;
  c->io[MLC_REQUANT_ZP] = n->in[7];
  c->io[MLC_REQUANT_Y] = y;
  c->nio = MLC_REQUANT_NIO;
}

/* ---- QGemm (com.microsoft) --------------------------------------------------
 * Gemm of int8/uint8 A and B: alpha * a_scale * b_scale[j] times (A -
 * a_zero_point)(B - b_zero_point) + C (int32, per column), requantized
 * into y_zero_point's type when that is given (y_scale dividing the scale
 * when given), else float, as onnxruntime's kernel computes it. It runs on
 * the fused kernel only: B, the scales and zero points must be constants. */

/* m, n, k and B's strides (brs, bcs) of element (q, j) of op(B) */
static void qgemm_shape(Graph *g, const Node *n, int64_t *m, int64_t *nn, int64_t *k, int64_t *brs,
                        int64_t *bcs) {
  const Value *a = n->in[0], *b = n->in[3], *c = op_input(n, 6), *yz = op_input(n, 8);
  require_int8(n, a, "A");
  require_int8(n, b, "B");
  require_int8(n, yz, "y_zero_point");
  gemm_dims(g, n, a, b, m, nn, k);
  int tb = attr_i(n, "transB", 0) != 0;
  *brs = tb ? 1 : *nn;
  *bcs = tb ? *k : 1;
  static const int scales[3] = {1, 4, 7};
  for (int i = 0; i < 3; i++) {
    const Value *s = op_input(n, scales[i]);
    if (s && s->dtype != DT_FLOAT)
      diag_node_fatal(n, "scale input %d is %s; QGemm's scales are float", scales[i],
                      dtype_name(s->dtype));
  }
  if (ir_numel(n->in[1]) != 1 || (op_input(n, 7) && ir_numel(n->in[7]) != 1))
    diag_node_fatal(n, "a_scale and y_scale must be single values");
  int64_t ns = ir_numel(n->in[4]);
  if (ns != 1 && ns != *nn)
    diag_node_fatal(n, "b_scale has %lld values; it must have 1 or %lld", (long long)ns,
                    (long long)*nn);
  zero_point(g, n, 2, a, 0, "a_zero_point");
  zero_point(g, n, 5, b, *nn, "b_zero_point");
  if (yz && ir_numel(yz) != 1) diag_node_fatal(n, "y_zero_point must be a single value");
  if (c && (c->dtype != DT_INT32 || (ir_numel(c) != 1 && ir_numel(c) != *nn) ||
            (c->rank == 2 && c->dims[0] != 1) || c->rank > 2))
    diag_node_fatal(n,
                    "C of type %s and shape %s is not supported (int32, one value or one per "
                    "column)",
                    dtype_name(c->dtype), ir_shape_str(g->arena, c));
}

void infer_QGemm(Graph *g, Node *n) {
  int64_t d[2], k, brs, bcs;
  qgemm_shape(g, n, &d[0], &d[1], &k, &brs, &bcs);
  set_shape_checked(n, n->out[0], 2, d);
  n->out[0]->dtype = op_input(n, 8) ? n->in[8]->dtype : DT_FLOAT;
}

void lower_QGemm(Graph *g, Node *n, Lowering *L) {
  int64_t m, nn, k, brs, bcs;
  QFuse f;
  qgemm_shape(g, n, &m, &nn, &k, &brs, &bcs);
  if (!qfuse_of(n, &f))
    diag_node_fatal(n,
                    "QGemm with a computed B, scale or zero point is not supported (mlc "
                    "needs them constant)");
  lower_fused_gemm(g, L, &f, m, nn, k, attr_i(n, "transA", 0) != 0, brs, bcs, n->out[0]);
}
