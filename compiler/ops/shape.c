/* Shape ops: the views (Identity, Dropout, Reshape, Flatten, Squeeze,
 * Unsqueeze), whose infer only sets a shape because the driver aliases their
 * bytes, and the ops whose result inference computes outright (Shape, Size,
 * Constant, Range) or that only fill (ConstantOfShape). Also the helpers of
 * op_shape.h that op_data.c and other op files share.
 *
 * Arguments that decide a shape (Reshape's shape, Squeeze's axes, ...) must
 * be known at compile time: mlc only compiles static shapes, so a run-time
 * one is a clear error rather than a guess. Every list a model gives is
 * validated before it indexes anything (ranges, duplicates, overflow).
 */

#include <math.h>
#include <string.h>

#include "diag.h"
#include "infer.h"
#include "ops.h"

/* the driver's limit on an output's element count */
#define MAX_ELEMS (INT64_C(1) << 40)
/* Range is evaluated by inference: cap what it may materialize */
#define RANGE_MAX_ELEMS (INT64_C(1) << 24)

/* ---- shared helpers ------------------------------------------------------- */

int norm_axis(const Node *n, int64_t axis, int rank) {
  if (axis < -rank || axis >= rank)
    diag_node_fatal(n, "axis %lld is out of range for rank %d", (long long)axis, rank);
  return (int)(axis < 0 ? axis + rank : axis);
}

int read_const_ints(const Node *n, int input, int64_t *out, int max) {
  if (input >= n->nin || !n->in[input]) return -1;
  const Value *v = n->in[input];
  if (v->dtype != DT_INT64 && v->dtype != DT_INT32)
    diag_node_fatal(n, "input %d ('%s') must be int64 or int32, not %s", input, v->name,
                    dtype_name(v->dtype));
  if (v->rank > 1)
    diag_node_fatal(n, "input %d ('%s') must be a scalar or 1-D, not rank %d", input, v->name,
                    v->rank);
  if (!v->data) infer_need_const(n, v);
  int64_t k = ir_numel(v);
  if (k > max)
    diag_node_fatal(n, "input %d ('%s') has %lld entries; at most %d are supported", input, v->name,
                    (long long)k, max);
  for (int64_t i = 0; i < k; i++) out[i] = ir_data_i64(v, i);
  return (int)k;
}

int read_ints_arg(const Node *n, const char *attr, int since, int input, int64_t *out, int max) {
  if (n->opset >= since) return read_const_ints(n, input, out, max);
  const int64_t *a;
  int k = attr_ints(n, attr, &a);
  if (k > max)
    diag_node_fatal(n, "attribute '%s' has %d entries; at most %d are supported", attr, k, max);
  if (k > 0) memcpy(out, a, (size_t)k * sizeof *out);
  return k;
}

void set_shape_checked(const Node *n, Value *v, int rank, const int64_t *dims) {
  if (rank > IR_MAX_RANK)
    diag_node_fatal(n, "the output would have rank %d; mlc supports up to %d", rank, IR_MAX_RANK);
  /* zero dims are skipped so that no stride product can overflow either */
  int64_t count = 1;
  for (int d = 0; d < rank; d++) {
    if (dims[d] < 0)
      diag_node_fatal(n, "output dimension %d would be negative (%lld)", d, (long long)dims[d]);
    if (dims[d] > MAX_ELEMS || (dims[d] && count > MAX_ELEMS / dims[d]))
      diag_node_fatal(n, "the output would have more than 2^40 elements");
    if (dims[d]) count *= dims[d];
  }
  ir_set_shape(v, rank, dims);
}

void row_strides(const Value *v, int64_t *s) {
  int64_t st = 1;
  for (int d = v->rank - 1; d >= 0; d--) {
    s[d] = st;
    st *= v->dims[d];
  }
}

/* bounds the calls a copy of more than MLC_RT_MAX_RANK merged dims unrolls to */
#define COPY_MAX_CALLS 4096

static void emit_copy(Graph *g, Lowering *L, Value *src, Value *dst, int64_t elem, int rank,
                      const int64_t *dims, const int64_t *ss, const int64_t *ds, int64_t soff,
                      int64_t doff) {
  if (rank > MLC_RT_MAX_RANK) {
    for (int64_t i = 0; i < dims[0]; i++)
      emit_copy(g, L, src, dst, elem, rank - 1, dims + 1, ss + 1, ds + 1, soff + i * ss[0],
                doff + i * ds[0]);
    return;
  }
  KCall *c = lower_add(g, L, K_copy);
  MlcCopy *p = KC_PARAMS(c, MlcCopy);
  p->rank = rank;
  p->elem = elem;
  for (int d = 0; d < rank; d++) {
    p->dims[d] = dims[d];
    p->src_strides[d] = ss[d];
    p->dst_strides[d] = ds[d];
  }
  p->src_off = soff;
  p->dst_off = doff;
  c->io[MLC_COPY_SRC] = src;
  c->io[MLC_COPY_DST] = dst;
  c->nio = MLC_COPY_NIO;
}

void lower_strided_copy(Graph *g, const Node *n, Lowering *L, Value *src, Value *dst, int rank,
                        const int64_t *dims, const int64_t *ss, const int64_t *ds, int64_t soff,
                        int64_t doff) {
  int64_t D[2 * IR_MAX_RANK], S[2 * IR_MAX_RANK], T[2 * IR_MAX_RANK];
  int64_t elem = (int64_t)dtype_size(dst->dtype), a, b;
  int r = 0;
  MLC_ASSERT(rank <= 2 * IR_MAX_RANK);
  if (!elem || dst->dtype == DT_STRING)
    diag_node_fatal(n, "%s tensors are not supported", dtype_name(dst->dtype));
  for (int d = 0; d < rank; d++) {
    if (dims[d] == 0) return;
    if (dims[d] == 1) continue;
    /* the previous (outer) dim steps exactly over this one in both tensors */
    if (r && !__builtin_mul_overflow(ss[d], dims[d], &a) && a == S[r - 1] &&
        !__builtin_mul_overflow(ds[d], dims[d], &b) && b == T[r - 1]) {
      D[r - 1] *= dims[d];
      S[r - 1] = ss[d];
      T[r - 1] = ds[d];
      continue;
    }
    D[r] = dims[d];
    S[r] = ss[d];
    T[r] = ds[d];
    r++;
  }
  int64_t calls = 1;
  for (int d = 0; d + MLC_RT_MAX_RANK < r; d++)
    if ((calls *= D[d]) > COPY_MAX_CALLS)
      diag_node_fatal(n, "this copy has too many dimensions that cannot be merged");
  emit_copy(g, L, src, dst, elem, r, D, S, T, soff, doff);
}

void lower_fill(Graph *g, Lowering *L, Value *dst, int64_t bits) {
  KCall *c = lower_add(g, L, K_fill);
  MlcFill *p = KC_PARAMS(c, MlcFill);
  p->count = ir_numel(dst);
  p->elem = (int64_t)dtype_size(dst->dtype);
  p->bits = bits;
  c->io[MLC_FILL_DST] = dst;
  c->nio = MLC_FILL_NIO;
}

/* the runtime's cast kernel, on one element: the compiler converts values
 * exactly as generated code does */
static void cast_one(DType from, const void *src, DType to, void *dst) {
  MlcCast p = {1, from, to, 0};
  void *io[MLC_CAST_NIO] = {[MLC_CAST_X] = (void *)src, [MLC_CAST_Y] = dst};
  mlc_rt_cast(&p, io);
}

int64_t scalar_bits(double x, DType t) {
  int64_t bits = 0;
  cast_one(DT_DOUBLE, &x, t, &bits);
  return bits;
}

/* ---- views ----------------------------------------------------------------- */

void infer_Identity(Graph *g, Node *n) {
  (void)g;
  ir_copy_type(n->out[0], n->in[0]);
}

/* the value of Dropout's scalar input i (ratio, a float, or training_mode,
 * a bool), which must be known at compile time: mlc test freezes the graph
 * input it comes from */
static double dropout_scalar(Graph *g, const Node *n, int i, int is_bool) {
  const Value *v = n->in[i];
  const char *what = is_bool ? "training_mode" : "ratio";
  if (is_bool ? v->dtype != DT_BOOL : !dtype_is_float(v->dtype))
    diag_node_fatal(n, "%s is %s; it must be %s", what, dtype_name(v->dtype),
                    is_bool ? "bool" : "a float type");
  if (ir_numel(v) != 1)
    diag_node_fatal(n, "%s must be a scalar, not of shape %s", what, ir_shape_str(g->arena, v));
  if (!v->data) infer_need_const(n, v);
  return ir_data_f64(v, 0);
}

/* The output is the input and the optional mask all true (ones of the
 * input type before opset 10), known at compile time: in inference, and in
 * opset 12's training mode when the ratio is 0. Training mode with a ratio
 * above 0 draws a random mask, which mlc cannot reproduce (the references
 * draw theirs from numpy's generator), so it is refused. */
void infer_Dropout(Graph *g, Node *n) {
  if (n->opset >= 12 && n->nin > 2 && n->in[2] && dropout_scalar(g, n, 2, 1) != 0) {
    double ratio = n->in[1] ? dropout_scalar(g, n, 1, 0) : 0.5;
    if (!(ratio >= 0 && ratio < 1)) diag_node_fatal(n, "ratio %g is outside [0, 1)", ratio);
    if (ratio > 0)
      diag_node_fatal(n,
                      "training mode with ratio %g draws a random mask, which mlc "
                      "does not generate (training mode is supported with ratio 0)",
                      ratio);
  }
  ir_copy_type(n->out[0], n->in[0]);
  Value *mask = n->nout > 1 ? n->out[1] : NULL;
  if (!mask) return;
  ir_copy_type(mask, n->in[0]);
  if (n->opset >= 10) mask->dtype = DT_BOOL;
  if (!dtype_castable(mask->dtype))
    diag_node_fatal(n, "a Dropout mask of type %s is not supported", dtype_name(mask->dtype));
  int64_t one = scalar_bits(1, mask->dtype), count = ir_numel(mask);
  size_t elem = dtype_size(mask->dtype);
  char *m = ir_alloc_data(g, mask);
  for (int64_t i = 0; i < count; i++) memcpy(m + (size_t)i * elem, &one, elem);
}

void infer_Reshape(Graph *g, Node *n) {
  (void)g;
  const Value *x = n->in[0];
  int64_t dims[IR_MAX_RANK];
  int k = read_ints_arg(n, "shape", 5, 1, dims, IR_MAX_RANK);
  if (k < 0) diag_node_fatal(n, "the target shape is missing");
  int allowzero = n->opset >= 14 && attr_i(n, "allowzero", 0);
  int infer_at = -1, has_zero = 0;
  int64_t known = 1, total = ir_numel(x);
  for (int i = 0; i < k; i++) {
    if (dims[i] == -1) {
      if (infer_at >= 0) diag_node_fatal(n, "the shape has more than one -1");
      infer_at = i;
      continue;
    }
    if (dims[i] < -1) diag_node_fatal(n, "shape entry %d is %lld", i, (long long)dims[i]);
    if (dims[i] == 0 && !allowzero) {
      /* 0 copies the input's dim at the same index */
      if (i >= x->rank)
        diag_node_fatal(n,
                        "shape entry %d is 0 (copy the input's dim), but the "
                        "input has rank %d",
                        i, x->rank);
      dims[i] = x->dims[i];
    }
    has_zero |= dims[i] == 0;
    if (__builtin_mul_overflow(known, dims[i], &known) || known > MAX_ELEMS)
      diag_node_fatal(n, "the target shape has too many elements");
  }
  if (infer_at >= 0) {
    if (allowzero && has_zero)
      diag_node_fatal(n, "with allowzero=1 the shape cannot hold both 0 and -1");
    if (!known)
      diag_node_fatal(n,
                      "the -1 in the shape cannot be inferred: the other dims "
                      "multiply to 0");
    if (total % known)
      diag_node_fatal(n,
                      "cannot reshape %lld elements (shape %s): they do not divide "
                      "into dims of %lld",
                      (long long)total, ir_shape_str(g->arena, x), (long long)known);
    dims[infer_at] = total / known;
  } else if (known != total) {
    diag_node_fatal(n, "cannot reshape %lld elements (shape %s) into %lld", (long long)total,
                    ir_shape_str(g->arena, x), (long long)known);
  }
  n->out[0]->dtype = x->dtype;
  set_shape_checked(n, n->out[0], k, dims);
}

void infer_Flatten(Graph *g, Node *n) {
  (void)g;
  const Value *x = n->in[0];
  int r = x->rank;
  int64_t axis = attr_i(n, "axis", 1);
  if (axis < -r || axis > r)
    diag_node_fatal(n, "axis %lld is out of range for rank %d (Flatten takes %d to %d)",
                    (long long)axis, r, -r, r);
  if (axis < 0) axis += r;
  int64_t dims[2] = {dims_prod(x->dims, 0, (int)axis), dims_prod(x->dims, (int)axis, r)};
  n->out[0]->dtype = x->dtype;
  set_shape_checked(n, n->out[0], 2, dims);
}

void infer_Squeeze(Graph *g, Node *n) {
  (void)g;
  const Value *x = n->in[0];
  int64_t axes[IR_MAX_RANK], dims[IR_MAX_RANK];
  char drop[IR_MAX_RANK] = {0};
  int k = read_ints_arg(n, "axes", 13, 1, axes, IR_MAX_RANK), r = 0;
  /* an empty axes attribute meant "all", as no axes still does; an empty
   * axes input (opset 13) squeezes nothing */
  if (k < 0 || (k == 0 && n->opset < 13)) {
    for (int d = 0; d < x->rank; d++) drop[d] = x->dims[d] == 1;
  }
  for (int i = 0; i < k; i++) {
    int a = norm_axis(n, axes[i], x->rank);
    if (drop[a]) diag_node_fatal(n, "axis %d is listed twice", a);
    if (x->dims[a] != 1)
      diag_node_fatal(n, "cannot squeeze axis %d: its size is %lld, not 1", a,
                      (long long)x->dims[a]);
    drop[a] = 1;
  }
  for (int d = 0; d < x->rank; d++)
    if (!drop[d]) dims[r++] = x->dims[d];
  n->out[0]->dtype = x->dtype;
  set_shape_checked(n, n->out[0], r, dims);
}

void infer_Unsqueeze(Graph *g, Node *n) {
  (void)g;
  const Value *x = n->in[0];
  int64_t axes[IR_MAX_RANK], dims[IR_MAX_RANK];
  char ins[IR_MAX_RANK] = {0};
  int k = read_ints_arg(n, "axes", 13, 1, axes, IR_MAX_RANK);
  if (k < 0) diag_node_fatal(n, "axes are required");
  int orank = x->rank + k;
  if (orank > IR_MAX_RANK)
    diag_node_fatal(n, "the output would have rank %d; mlc supports up to %d", orank, IR_MAX_RANK);
  /* axes index the output */
  for (int i = 0; i < k; i++) {
    int a = norm_axis(n, axes[i], orank);
    if (ins[a]) diag_node_fatal(n, "axis %d is listed twice", a);
    ins[a] = 1;
  }
  for (int d = 0, j = 0; d < orank; d++) dims[d] = ins[d] ? 1 : x->dims[j++];
  n->out[0]->dtype = x->dtype;
  set_shape_checked(n, n->out[0], orank, dims);
}

/* ---- results known at compile time ------------------------------------------ */

/* a 1-D int64 output holding vals */
static void set_i64_vector(Graph *g, Value *out, const int64_t *vals, int64_t k) {
  out->dtype = DT_INT64;
  ir_set_shape(out, 1, &k);
  int64_t *d = ir_alloc_data(g, out);
  if (k) memcpy(d, vals, (size_t)k * sizeof *d);
}

void infer_Shape(Graph *g, Node *n) {
  const Value *x = n->in[0];
  int64_t r = x->rank, start = 0, end = r;
  if (n->opset >= 15) {
    start = attr_i(n, "start", 0);
    end = attr_i(n, "end", r);
  }
  /* negative counts from the back; both clamp to [0, rank] */
  if (start < 0) start = start < -r ? 0 : start + r;
  if (end < 0) end = end < -r ? 0 : end + r;
  if (start > r) start = r;
  if (end > r) end = r;
  if (end < start) end = start;
  set_i64_vector(g, n->out[0], x->dims + start, end - start);
}

void infer_Size(Graph *g, Node *n) {
  Value *out = n->out[0];
  out->dtype = DT_INT64;
  ir_set_shape(out, 0, NULL);
  *(int64_t *)ir_alloc_data(g, out) = ir_numel(n->in[0]);
}

void infer_Constant(Graph *g, Node *n) {
  static const char *const values[] = {"value", "value_float", "value_floats", "value_int",
                                       "value_ints"};
  const Attr *a = NULL;
  int found = 0;
  for (int i = 0; i < n->nattrs; i++) {
    const char *name = n->attrs[i].name;
    if (!strcmp(name, "sparse_value"))
      diag_node_fatal(n, "sparse constants (sparse_value) are not supported");
    if (!strcmp(name, "value_string") || !strcmp(name, "value_strings"))
      diag_node_fatal(n, "string constants (%s) are not supported", name);
    for (size_t j = 0; j < sizeof values / sizeof *values; j++)
      if (!strcmp(name, values[j])) {
        a = &n->attrs[i];
        found++;
      }
  }
  if (found != 1)
    diag_node_fatal(n,
                    "needs exactly one of the attributes value, value_float, "
                    "value_floats, value_int, value_ints (it has %d)",
                    found);
  Value *out = n->out[0];
  const double *fs;
  const int64_t *is;
  int k;
  if (!strcmp(a->name, "value")) {
    if (a->kind != AK_TENSOR || !a->t) diag_node_fatal(n, "attribute 'value' is not a tensor");
    if (a->t->dtype == DT_STRING || !dtype_size(a->t->dtype))
      diag_node_fatal(n, "constants of type %s are not supported", dtype_name(a->t->dtype));
    if (ir_tensor_to_value(g, a->t, out))
      diag_node_fatal(n,
                      "the tensor of attribute 'value' is malformed (its data does "
                      "not match its shape)");
  } else if (!strcmp(a->name, "value_float")) {
    out->dtype = DT_FLOAT;
    ir_set_shape(out, 0, NULL);
    *(float *)ir_alloc_data(g, out) = (float)attr_f(n, a->name, 0);
  } else if (!strcmp(a->name, "value_int")) {
    out->dtype = DT_INT64;
    ir_set_shape(out, 0, NULL);
    *(int64_t *)ir_alloc_data(g, out) = attr_i(n, a->name, 0);
  } else if (!strcmp(a->name, "value_floats")) {
    k = attr_floats(n, a->name, &fs);
    int64_t len = k;
    out->dtype = DT_FLOAT;
    ir_set_shape(out, 1, &len);
    float *d = ir_alloc_data(g, out);
    for (int i = 0; i < k; i++) d[i] = (float)fs[i];
  } else {
    k = attr_ints(n, a->name, &is);
    set_i64_vector(g, out, is, k);
  }
}

/* the value attribute of ConstantOfShape: a one-element tensor, default
 * float 0 */
static const Tensor *cos_value(const Node *n) {
  const Attr *a = ir_attr(n, "value");
  if (!a) return NULL;
  if (a->kind != AK_TENSOR || !a->t) diag_node_fatal(n, "attribute 'value' is not a tensor");
  const Tensor *t = a->t;
  int64_t count = 1;
  for (int d = 0; d < t->rank; d++) count *= t->dims[d];
  if (count != 1)
    diag_node_fatal(n, "attribute 'value' must hold one element, not %lld", (long long)count);
  if (t->dtype == DT_STRING || !dtype_size(t->dtype) || t->nbytes < dtype_size(t->dtype))
    diag_node_fatal(n, "a value of type %s is not supported", dtype_name(t->dtype));
  return t;
}

void infer_ConstantOfShape(Graph *g, Node *n) {
  (void)g;
  int64_t dims[IR_MAX_RANK];
  int k = read_const_ints(n, 0, dims, IR_MAX_RANK);
  const Tensor *t = cos_value(n);
  n->out[0]->dtype = t ? t->dtype : DT_FLOAT;
  set_shape_checked(n, n->out[0], k, dims);
}

/* a fill, so that a large constant never has to be materialized */
void lower_ConstantOfShape(Graph *g, Node *n, Lowering *L) {
  const Tensor *t = cos_value(n);
  int64_t bits = 0;
  if (t) memcpy(&bits, t->data, dtype_size(t->dtype));
  lower_fill(g, L, n->out[0], bits);
}

/* start + i * delta in double (as the reference computes, then casts) or in
 * int64 for integer types; the output is data, so its size must be known */
void infer_Range(Graph *g, Node *n) {
  DType t = n->in[0]->dtype;
  for (int i = 0; i < 3; i++) {
    const Value *v = n->in[i];
    if (v->dtype != t)
      diag_node_fatal(n, "start, limit and delta must have one type (%s and %s)", dtype_name(t),
                      dtype_name(v->dtype));
    if (ir_numel(v) != 1) diag_node_fatal(n, "input %d must be a scalar", i);
    if (!v->data) infer_need_const(n, v); /* the output's size depends on it */
  }
  if (!dtype_castable(t) || t == DT_BOOL)
    diag_node_fatal(n, "Range of %s is not supported", dtype_name(t));
  int64_t count;
  Value *out = n->out[0];
  out->dtype = t;
  if (dtype_is_float(t)) {
    double v[3];
    for (int i = 0; i < 3; i++) {
      cast_one(t, n->in[i]->data, DT_DOUBLE, &v[i]);
      if (!isfinite(v[i])) diag_node_fatal(n, "start, limit and delta must be finite");
    }
    if (v[2] == 0) diag_node_fatal(n, "delta is 0");
    double c = ceil((v[1] - v[0]) / v[2]);
    if (c > (double)RANGE_MAX_ELEMS) diag_node_fatal(n, "the output would have too many elements");
    count = c > 0 ? (int64_t)c : 0;
    ir_set_shape(out, 1, &count);
    char *d = ir_alloc_data(g, out);
    size_t elem = dtype_size(t);
    for (int64_t i = 0; i < count; i++) {
      double x = v[0] + (double)i * v[2];
      cast_one(DT_DOUBLE, &x, t, d + (size_t)i * elem);
    }
    return;
  }
  int64_t s = ir_data_i64(n->in[0], 0), l = ir_data_i64(n->in[1], 0);
  int64_t delta = ir_data_i64(n->in[2], 0);
  if (!delta) diag_node_fatal(n, "delta is 0");
  /* unsigned arithmetic: limit - start may not fit an int64 */
  int up = delta > 0;
  uint64_t span = up ? (uint64_t)l - (uint64_t)s : (uint64_t)s - (uint64_t)l;
  uint64_t step = up ? (uint64_t)delta : 0 - (uint64_t)delta;
  uint64_t c = (up ? l > s : s > l) ? (span - 1) / step + 1 : 0;
  if (c > (uint64_t)RANGE_MAX_ELEMS) diag_node_fatal(n, "the output would have too many elements");
  count = (int64_t)c;
  ir_set_shape(out, 1, &count);
  char *d = ir_alloc_data(g, out);
  size_t elem = dtype_size(t);
  for (int64_t i = 0; i < count; i++) {
    int64_t x = (int64_t)((uint64_t)s + (uint64_t)i * (uint64_t)delta);
    cast_one(DT_INT64, &x, t, d + (size_t)i * elem);
  }
}

/* A Range is data when inference can fill it; one whose length follows a
 * run-time dim (Graph.runtime_sized) is computed in the product */
void lower_Range(Graph *g, Node *n, Lowering *L) {
  KCall *c = lower_add(g, L, K_range);
  MlcRange *p = KC_PARAMS(c, MlcRange);
  p->count = ir_numel(n->out[0]);
  p->dtype = n->out[0]->dtype;
  c->io[MLC_RANGE_START] = n->in[0];
  c->io[MLC_RANGE_DELTA] = n->in[2];
  c->io[MLC_RANGE_Y] = n->out[0];
  c->nio = MLC_RANGE_NIO;
}

/* Identity of a tensor, or of a sequence or optional (resolved at compile
 * time: the output lists the same elements) */
void infer_IdentityAny(Graph *g, Node *n) {
  if (!n->in[0]->is_seq) {
    infer_Identity(g, n);
    return;
  }
  seq_share(g, n->in[0], n->out[0]);
  n->dead = 1;
}
