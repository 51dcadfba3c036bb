/* Elementwise ops: shapes by numpy broadcasting; each lowers to the runtime
 * scalar function named in its ops.def row (aux), so the interpreter's loop
 * kernel and generated code's inlined loop evaluate the same expression.
 * Pow of mixed types and BitCast go through the runtime's cast kernel,
 * whose integer conversions wrap (two's complement), so they need no scalar
 * functions of their own. */
#include <float.h>
#include <math.h>
#include <string.h>

#include "diag.h"
#include "ops.h"

static void same_dtype(const Node *n, int a, int b) {
  if (n->in[a] && n->in[b] && n->in[a]->dtype != n->in[b]->dtype)
    diag_node_fatal(n, "inputs %d and %d have different types (%s and %s)", a, b,
                    dtype_name(n->in[a]->dtype), dtype_name(n->in[b]->dtype));
}

void infer_unary(Graph *g, Node *n) {
  (void)g;
  ir_copy_type(n->out[0], n->in[0]);
}

void infer_bool_unary(Graph *g, Node *n) {
  (void)g;
  ir_copy_type(n->out[0], n->in[0]);
  n->out[0]->dtype = DT_BOOL;
}

void infer_binary(Graph *g, Node *n) {
  (void)g;
  if (n->op != OP_Pow) same_dtype(n, 0, 1);
  infer_broadcast(n, 2, n->in, n->out[0]);
  n->out[0]->dtype = n->in[0]->dtype;
}

/* Before opset 7 a 1-D slope runs along the channel axis (axis 1); since, it
 * broadcasts like numpy. Viewing it as [C, 1, ..., 1] turns the old rule into
 * the new one. */
static Value *prelu_slope(Graph *g, Node *n) {
  Value *x = n->in[0], *s = n->in[1];
  if (n->opset >= 7 || s->rank != 1 || x->rank < 3 || s->dims[0] != x->dims[1] || s->dims[0] == 1)
    return s;
  if (!s->data)
    diag_node_fatal(n, "a per-channel slope computed at run time needs opset 7 or later");
  Value *v = ir_value_new(g, NULL);
  ir_copy_type(v, s);
  v->rank = x->rank - 1;
  for (int d = 1; d < v->rank; d++) v->dims[d] = 1;
  v->data = s->data;
  return v;
}

void infer_PRelu(Graph *g, Node *n) {
  Value *ins[2] = {n->in[0], prelu_slope(g, n)};
  infer_broadcast(n, 2, ins, n->out[0]);
  n->out[0]->dtype = n->in[0]->dtype;
}

void lower_PRelu(Graph *g, Node *n, Lowering *L) {
  Value *ins[2] = {n->in[0], prelu_slope(g, n)};
  lower_ew(g, n, L, "prelu", n->in[0]->dtype, ins, n->out[0], 0, 0);
}

void infer_compare(Graph *g, Node *n) {
  (void)g;
  same_dtype(n, 0, 1);
  infer_broadcast(n, 2, n->in, n->out[0]);
  n->out[0]->dtype = DT_BOOL;
}

void infer_variadic(Graph *g, Node *n) {
  (void)g;
  for (int i = 0; i < n->nin; i++)
    if (!n->in[i])
      diag_node_fatal(n, "input %d is empty; %s has no optional inputs", i, n->op_type);
  for (int i = 1; i < n->nin; i++) same_dtype(n, 0, i);
  infer_broadcast(n, n->nin, n->in, n->out[0]);
  n->out[0]->dtype = n->in[0]->dtype;
}

void infer_where(Graph *g, Node *n) {
  (void)g;
  if (n->in[0]->dtype != DT_BOOL)
    diag_node_fatal(n, "condition must be bool, not %s", dtype_name(n->in[0]->dtype));
  same_dtype(n, 1, 2);
  infer_broadcast(n, 3, n->in, n->out[0]);
  n->out[0]->dtype = n->in[1]->dtype;
}

void infer_Cast(Graph *g, Node *n) {
  (void)g;
  DType to = n->op == OP_CastLike ? n->in[1]->dtype : (DType)attr_i(n, "to", 0);
  if (!dtype_size(to) || to == DT_STRING || to == DT_COMPLEX64 || to == DT_COMPLEX128)
    diag_node_fatal(n, "cannot cast to element type %s", dtype_name(to));
  if (n->in[0]->dtype == DT_STRING) /* parsing numbers out of text: not supported */
    diag_node_fatal(n, "cannot cast from element type string");
  const char *round = attr_s(n, "round_mode", "up");
  if (strcmp(round, "up") && strcmp(round, "down") && strcmp(round, "nearest"))
    diag_node_fatal(n, "round_mode must be up, down or nearest, not '%s'", round);
  ir_copy_type(n->out[0], n->in[0]);
  n->out[0]->dtype = to;
}

void lower_unary(Graph *g, Node *n, Lowering *L) {
  lower_ew(g, n, L, optab[n->op].aux, n->in[0]->dtype, n->in, n->out[0], 0, 0);
}

/* the attributes of the unary ops with parameters: p0 and p1 of the scalar
 * function, with the defaults of the ONNX spec */
static const struct {
  int op;
  const char *a0, *a1;
  double d0, d1;
} unary_attrs[] = {
    {OP_LeakyRelu, "alpha", NULL, 0.01, 0},
    {OP_Elu, "alpha", NULL, 1.0, 0},
    {OP_Selu, "alpha", "gamma", 1.67326319217681884765625, 1.05070102214813232421875},
    {OP_HardSigmoid, "alpha", "beta", 0.2, 0.5},
    {OP_ThresholdedRelu, "alpha", NULL, 1.0, 0},
    {OP_Celu, "alpha", NULL, 1.0, 0},
    {OP_Swish, "alpha", NULL, 1.0, 0},
    {OP_Shrink, "lambd", "bias", 0.5, 0.0},
};

/* float attributes reach the scalar function as the float the model stored */
static double attr_param(const Node *n, const char *name, double def) {
  return name ? (double)(float)attr_f(n, name, def) : 0;
}

/* Clip's bounds: attributes before opset 11, optional scalar inputs after;
 * 1 if both are known at compile time (lo, hi set), else 0 */
static int clip_bounds(const Node *n, double *lo, double *hi) {
  DType t = n->in[0]->dtype;
  *lo = dtype_is_float(t) ? -INFINITY : (double)INT64_MIN;
  *hi = dtype_is_float(t) ? INFINITY : (double)INT64_MAX;
  if (n->opset < 11) {
    *lo = (double)(float)attr_f(n, "min", *lo);
    *hi = (double)(float)attr_f(n, "max", *hi);
    return 1;
  }
  Value *b[2] = {op_input(n, 1), op_input(n, 2)};
  for (int i = 0; i < 2; i++)
    if (b[i] && (ir_numel(b[i]) != 1 || b[i]->dtype != t))
      diag_node_fatal(n, "Clip bound '%s' must be a scalar of the input's type", b[i]->name);
  if ((b[0] && !b[0]->data) || (b[1] && !b[1]->data)) return 0;
  if (b[0]) *lo = ir_data_f64(b[0], 0);
  if (b[1]) *hi = ir_data_f64(b[1], 0);
  return 1;
}

int ew_params(const Node *n, double *p0, double *p1) {
  double a = 0, b = 0;
  if (n->op == OP_Clip && !clip_bounds(n, &a, &b)) return 0;
  for (size_t i = 0; i < sizeof unary_attrs / sizeof *unary_attrs; i++)
    if (unary_attrs[i].op == n->op) {
      a = attr_param(n, unary_attrs[i].a0, unary_attrs[i].d0);
      b = attr_param(n, unary_attrs[i].a1, unary_attrs[i].d1);
    }
  *p0 = a;
  *p1 = b;
  return 1;
}

void lower_unary_attr(Graph *g, Node *n, Lowering *L) {
  double p0, p1;
  ew_params(n, &p0, &p1);
  lower_ew(g, n, L, optab[n->op].aux, n->in[0]->dtype, n->in, n->out[0], p0, p1);
}

/* Gelu's scalar function: its erf form, or the tanh approximation */
static const char *gelu_fn(const Node *n) {
  const char *approx = attr_s(n, "approximate", "none");
  if (strcmp(approx, "tanh") && strcmp(approx, "none"))
    diag_node_fatal(n, "unknown approximate='%s' (expected none or tanh)", approx);
  return !strcmp(approx, "tanh") ? "gelu_tanh" : "gelu";
}

void lower_Gelu(Graph *g, Node *n, Lowering *L) {
  lower_ew(g, n, L, gelu_fn(n), n->in[0]->dtype, n->in, n->out[0], 0, 0);
}

int ew_activation(const Node *n) {
  /* the kernels' MLC_ACT_GELU is the erf form */
  if (n->op == OP_Gelu && strcmp(gelu_fn(n), "gelu")) return -1;
  return fused_activation(n->op_type);
}

/* Clip: bounds are attributes before opset 11, optional inputs after. Known
 * bounds become parameters of the scalar function; bounds computed at run time
 * make it a ternary. */
void lower_Clip(Graph *g, Node *n, Lowering *L) {
  DType t = n->in[0]->dtype;
  double lo, hi;
  if (clip_bounds(n, &lo, &hi)) {
    lower_ew(g, n, L, "clip", t, n->in, n->out[0], lo, hi);
    return;
  }
  Value *b[2] = {op_input(n, 1), op_input(n, 2)};
  Value *ins[3] = {n->in[0], b[0] ? b[0] : lower_scalar(g, t, lo),
                   b[1] ? b[1] : lower_scalar(g, t, hi)};
  lower_ew(g, n, L, "clip3", t, ins, n->out[0], 0, 0);
}

void lower_IsInf(Graph *g, Node *n, Lowering *L) {
  int pos = (int)attr_i(n, "detect_positive", 1), neg = (int)attr_i(n, "detect_negative", 1);
  if (!pos && !neg) diag_node_fatal(n, "IsInf with both detections off is not supported");
  const char *fn = pos && neg ? "isinf" : pos ? "isposinf" : "isneginf";
  lower_ew(g, n, L, fn, n->in[0]->dtype, n->in, n->out[0], 0, 0);
}

void lower_BitShift(Graph *g, Node *n, Lowering *L) {
  const char *dir = attr_s(n, "direction", "");
  if (strcmp(dir, "LEFT") && strcmp(dir, "RIGHT"))
    diag_node_fatal(n, "direction must be LEFT or RIGHT, not '%s'", dir);
  lower_ew(g, n, L, strcmp(dir, "LEFT") ? "shr" : "shl", n->in[0]->dtype, n->in, n->out[0], 0, 0);
}

void lower_binary(Graph *g, Node *n, Lowering *L) {
  lower_ew(g, n, L, optab[n->op].aux, n->in[0]->dtype, n->in, n->out[0], 0, 0);
}

static int is_unsigned(DType t) {
  return t == DT_UINT8 || t == DT_UINT16 || t == DT_UINT32 || t == DT_UINT64;
}

/* Pow's exponent may have another type than its base. The power is then
 * taken in a type that holds both, as numpy promotes before the reference
 * casts back to the base's type: double when either is a float, else 64-bit
 * integers, unsigned for an unsigned exponent so that huge exponents keep
 * their value (integer powers wrap, and wrapping commutes with the cast
 * back). A constant operand is converted at compile time. */
void lower_Pow(Graph *g, Node *n, Lowering *L) {
  DType bt = n->in[0]->dtype, et = n->in[1]->dtype;
  if (bt == et) {
    lower_binary(g, n, L);
    return;
  }
  if (bt == DT_BOOL || et == DT_BOOL || !dtype_castable(bt) || !dtype_castable(et))
    diag_node_fatal(n, "Pow with base %s and exponent %s is not supported", dtype_name(bt),
                    dtype_name(et));
  DType ct = dtype_is_float(bt) || dtype_is_float(et) ? DT_DOUBLE
             : is_unsigned(et)                        ? DT_UINT64
                                                      : DT_INT64;
  Value *out = n->out[0];
  Value *ins[2] = {lower_as_type(g, L, n->in[0], ct), lower_as_type(g, L, n->in[1], ct)};
  Value *res = out->dtype == ct ? out : lower_temp(g, ct, out->rank, out->dims);
  lower_ew(g, n, L, "pow", ct, ins, res, 0, 0);
  if (res != out) lower_cast(g, L, res, out);
}

/* Mod: fmod=0 takes the divisor's sign (Python's %); fmod=1 is C's fmod. The
 * runtime names them by type: integers "mod"/"fmod", floats "pymod"/"mod". */
void lower_Mod(Graph *g, Node *n, Lowering *L) {
  DType t = n->in[0]->dtype;
  int fm = (int)attr_i(n, "fmod", 0);
  const char *fn = dtype_is_float(t) ? (fm ? "mod" : "pymod") : (fm ? "fmod" : "mod");
  lower_ew(g, n, L, fn, t, n->in, n->out[0], 0, 0);
}

/* Sum, Min, Max, Mean of k inputs: a chain of binary calls through
 * temporaries of the broadcast shape so far; Mean ends with a division. */
void lower_variadic(Graph *g, Node *n, Lowering *L) {
  DType t = n->in[0]->dtype;
  Value *out = n->out[0];
  const char *fn = optab[n->op].aux;
  int mean = n->op == OP_Mean;
  if (n->nin == 1 && !mean) {
    lower_copy_all(g, L, n->in[0], out);
    return;
  }
  Value *acc = n->in[0];
  for (int i = 1; i < n->nin; i++) {
    int last = i == n->nin - 1 && !mean;
    Value *dst = out;
    if (!last) {
      dst = ir_value_new(g, NULL);
      Value *pair[2] = {acc, n->in[i]};
      infer_broadcast(n, 2, pair, dst);
      dst->dtype = t;
    }
    Value *ins[2] = {acc, n->in[i]};
    lower_ew(g, n, L, fn, t, ins, dst, 0, 0);
    acc = dst;
  }
  if (mean) {
    if (!dtype_is_float(t) || t == DT_FLOAT16 || t == DT_BFLOAT16)
      diag_node_fatal(n, "Mean of %s inputs is not supported", dtype_name(t));
    Value *k = lower_scalar(g, t, n->nin);
    if (n->nin == 1) acc = n->in[0];
    Value *ins[2] = {acc, k};
    lower_ew(g, n, L, "div", t, ins, out, 0, 0);
  }
}

void lower_where(Graph *g, Node *n, Lowering *L) {
  lower_ew(g, n, L, "where", n->in[1]->dtype, n->in, n->out[0], 0, 0);
}

void lower_Cast(Graph *g, Node *n, Lowering *L) {
  KCall *c = lower_cast(g, L, n->in[0], n->out[0]);
  MlcCast *p = KC_PARAMS(c, MlcCast);
  p->nosat = n->opset >= 19 && !attr_i(n, "saturate", 1) ? MLC_CAST_NOSAT : 0;
  if (p->to == DT_FLOAT8E8M0 && n->opset >= 24) {
    const char *m = attr_s(n, "round_mode", "up");
    p->nosat |= !strcmp(m, "down")      ? MLC_CAST_ROUND_DOWN
                : !strcmp(m, "nearest") ? MLC_CAST_ROUND_NEAREST
                                        : 0;
  }
}

/* ---- BitCast ------------------------------------------------------------- */

/* ONNX's bit width of t: 4 and 2 for the packed types, which mlc keeps one
 * per byte; 0 for types BitCast cannot take here (string, complex) */
static int bit_width(DType t) {
  switch (t) {
  case DT_INT4:
  case DT_UINT4:
  case DT_FLOAT4E2M1: return 4;
  case DT_INT2:
  case DT_UINT2: return 2;
  case DT_STRING:
  case DT_COMPLEX64:
  case DT_COMPLEX128: return 0;
  default: return 8 * (int)dtype_size(t);
  }
}

/* the integer type whose conversions move t's bits: a sub-byte type's bits
 * are the low bits of its byte, and float4e2m1 keeps its code there like
 * uint4 */
static DType bits_type(DType t) {
  return t == DT_FLOAT4E2M1 ? DT_UINT4 : bit_width(t) == 8 && t != DT_BOOL ? DT_UINT8 : t;
}

void infer_BitCast(Graph *g, Node *n) {
  (void)g;
  DType from = n->in[0]->dtype, to = (DType)attr_i(n, "to", 0);
  int fb = bit_width(from), tb = dtype_size(to) ? bit_width(to) : 0;
  if (!fb || !tb)
    diag_node_fatal(n, "BitCast from %s to %s is not supported", dtype_name(from), dtype_name(to));
  if (fb != tb)
    diag_node_fatal(n, "BitCast needs types of one bit width: %s has %d bits, %s %d",
                    dtype_name(from), fb, dtype_name(to), tb);
  ir_copy_type(n->out[0], n->in[0]);
  n->out[0]->dtype = to;
}

/* The bytes as they are, except where mlc's one-byte storage holds more
 * than the bits: a sub-byte type's byte is re-derived from its low bits
 * (int4 and int2 sign-extended), and a bool is 0 or 1 (any nonzero byte is
 * true), both conversions of the integer types of bits_type(). */
void lower_BitCast(Graph *g, Node *n, Lowering *L) {
  DType from = n->in[0]->dtype, to = n->out[0]->dtype;
  if (to == DT_BOOL || bit_width(to) < 8) {
    MlcCast *p = KC_PARAMS(lower_cast(g, L, n->in[0], n->out[0]), MlcCast);
    p->from = bits_type(from);
    p->to = bits_type(to);
  } else {
    lower_copy_all(g, L, n->in[0], n->out[0]);
  }
}
