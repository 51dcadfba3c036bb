/* The classic-ML domain (ai.onnx.ml), tree ensembles aside (op_ml_tree.c).
 *
 * Most ops here become kernels that exist already, with their attributes
 * turned into compile-time constants: Scaler is a Sub and a Mul, Binarizer a
 * Greater and a Cast, Imputer a Where, FeatureVectorizer copies into a
 * zeroed output, LinearRegressor and LinearClassifier the runtime's GEMM
 * (coefficients as its B operand, intercepts as its bias). What is left has
 * small kernels of runtime/ml.c: Normalizer, the classifiers' labels and
 * post-transforms, and a sorted-key lookup that serves LabelEncoder and,
 * followed by OneHot's kernel, OneHotEncoder. Integer inputs are computed in
 * float, as onnxruntime does.
 *
 * LabelEncoder with string keys or values (and opset 1's classes_strings)
 * is a lookup of the string kernels (runtime/string.c); the other string
 * labels and categories are refused (CategoryMapper always is).
 * OneHotEncoder with zeros = 0 cannot fail at run time on an unknown
 * category as onnxruntime does: the category's row is all zeros.
 */

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "ops.h"

/* ---- shared helpers (op_ml.h) ----------------------------------------------- */

void ml_check_input(const Node *n, const Value *x) {
  switch (x->dtype) {
  case DT_FLOAT:
  case DT_DOUBLE:
  case DT_INT64:
  case DT_INT32: return;
  case DT_STRING: diag_node_fatal(n, "%s on strings is not supported", n->op_type);
  default:
    diag_node_fatal(n, "input '%s' is %s; %s takes float, double, int64 or int32", x->name,
                    dtype_name(x->dtype), n->op_type);
  }
}

void ml_rows(const Node *n, const Value *x, int rank1_row, int64_t *rows, int64_t *features) {
  if (x->rank == 2) {
    *rows = x->dims[0];
    *features = x->dims[1];
  } else if (x->rank == 1) {
    *rows = rank1_row ? 1 : x->dims[0];
    *features = rank1_row ? x->dims[0] : 1;
  } else {
    diag_node_fatal(n, "input must be [N, C] or [C], not rank %d", x->rank);
  }
}

Value *ml_const(Graph *g, DType t, int64_t count, DType from, const void *src) {
  Value *v = ir_value_new(g, NULL);
  v->dtype = t;
  ir_set_shape(v, 1, &count);
  MlcCast p = {.count = count, .from = from, .to = t};
  void *io[MLC_CAST_NIO] = {[MLC_CAST_X] = (void *)src, [MLC_CAST_Y] = ir_alloc_data(g, v)};
  mlc_rt_cast(&p, io);
  return v;
}

int ml_post_kind(const Node *n, const char *name) {
  static const char *names[] = {"NONE", "SOFTMAX", "LOGISTIC", "SOFTMAX_ZERO", "PROBIT"};
  for (int i = 0; i < 5; i++)
    if (!strcmp(name, names[i])) return i;
  diag_node_fatal(n,
                  "unknown post_transform '%s' (expected NONE, SOFTMAX, LOGISTIC, "
                  "SOFTMAX_ZERO or PROBIT)",
                  name);
}

int64_t ml_numbers(Graph *g, const Node *n, const char *floats, const char *tensor, double **out) {
  const Attr *a = tensor ? ir_attr(n, tensor) : NULL;
  if (a) {
    const Tensor *t = a->kind == AK_TENSOR ? a->t : NULL;
    size_t es = t ? dtype_size(t->dtype) : 0;
    if (!t || !es || !dtype_castable(t->dtype) || t->nbytes % es)
      diag_node_fatal(n, "attribute '%s' must be a tensor of numbers", tensor);
    int64_t count = (int64_t)(t->nbytes / es);
    *out = arena_array(g->arena, (size_t)count + 1, sizeof **out);
    MlcCast p = {.count = count, .from = t->dtype, .to = DT_DOUBLE};
    void *io[MLC_CAST_NIO] = {[MLC_CAST_X] = t->data, [MLC_CAST_Y] = *out};
    mlc_rt_cast(&p, io);
    return count;
  }
  const double *f;
  int k = floats ? attr_floats(n, floats, &f) : -1;
  if (k < 0) return -1;
  *out = arena_array(g->arena, (size_t)k + 1, sizeof **out);
  if (k) memcpy(*out, f, (size_t)k * sizeof **out);
  return k;
}

void ml_no_strings(const Node *n, const char *name) {
  if (ir_attr(n, name))
    diag_node_fatal(n, "'%s' holds strings, which %s does not support in mlc", name, n->op_type);
}

/* a per-feature attribute list: 1 value, or one per feature (c); -1 if absent */
static int64_t per_feature(Graph *g, const Node *n, const char *name, int64_t c, double **v) {
  int64_t k = ml_numbers(g, n, name, NULL, v);
  if (k >= 0 && k != 1 && k != c)
    diag_node_fatal(n, "'%s' has %lld values; it needs 1 or one per feature (%lld)", name,
                    (long long)k, (long long)c);
  return k;
}

static int64_t last_dim(const Value *x) { return x->rank ? x->dims[x->rank - 1] : 1; }

static void same_shape_out(Node *n, DType t) {
  ir_copy_type(n->out[0], n->in[0]);
  n->out[0]->dtype = t;
}

/* ---- Scaler, Binarizer, Imputer: elementwise --------------------------------- */

void infer_Scaler(Graph *g, Node *n) {
  double *v;
  ml_check_input(n, n->in[0]);
  per_feature(g, n, "offset", last_dim(n->in[0]), &v);
  per_feature(g, n, "scale", last_dim(n->in[0]), &v);
  same_shape_out(n, DT_FLOAT);
}

/* y = (x - offset) * scale, in float */
void lower_Scaler(Graph *g, Node *n, Lowering *L) {
  Value *x = lower_as_type(g, L, n->in[0], DT_FLOAT), *y = n->out[0];
  double *off = NULL, *sc = NULL; /* set when the counts are >= 0 */
  int64_t noff = per_feature(g, n, "offset", last_dim(x), &off);
  int64_t nsc = per_feature(g, n, "scale", last_dim(x), &sc);
  if (noff < 0 && nsc < 0) {
    lower_copy_all(g, L, x, y);
    return;
  }
  if (noff >= 0) {
    Value *ins[2] = {x, ml_const(g, DT_FLOAT, noff, DT_DOUBLE, off)};
    x = nsc >= 0 ? lower_temp(g, DT_FLOAT, y->rank, y->dims) : y;
    lower_ew(g, n, L, "sub", DT_FLOAT, ins, x, 0, 0);
  }
  if (nsc >= 0) {
    Value *ins[2] = {x, ml_const(g, DT_FLOAT, nsc, DT_DOUBLE, sc)};
    lower_ew(g, n, L, "mul", DT_FLOAT, ins, y, 0, 0);
  }
}

void infer_Binarizer(Graph *g, Node *n) {
  (void)g;
  ml_check_input(n, n->in[0]);
  same_shape_out(n, n->in[0]->dtype);
}

/* y = x > threshold ? 1 : 0 in x's type; for integers x > t is x > floor(t) */
void lower_Binarizer(Graph *g, Node *n, Lowering *L) {
  Value *x = n->in[0];
  double t = attr_f(n, "threshold", 0);
  if (!dtype_is_float(x->dtype)) t = floor(t);
  Value *ins[2] = {x, lower_scalar(g, x->dtype, t)};
  Value *mask = lower_temp(g, DT_BOOL, x->rank, x->dims);
  lower_ew(g, n, L, "greater", x->dtype, ins, mask, 0, 0);
  lower_finish(g, L, mask, n->out[0]);
}

/* the imputed values (floats or int64s) and the value they replace */
static int64_t imputer_values(Graph *g, const Node *n, double **vals, double *replaced) {
  int64_t c = last_dim(n->in[0]);
  int64_t k = per_feature(g, n, "imputed_value_floats", c, vals);
  *replaced = attr_f(n, "replaced_value_float", 0);
  if (k <= 0) {
    const int64_t *iv;
    int ki = attr_ints(n, "imputed_value_int64s", &iv);
    if (ki != 1 && (ki < 1 || ki != c))
      diag_node_fatal(n,
                      "the imputed values (imputed_value_floats or imputed_value_int64s) "
                      "need 1 value or one per feature (%lld)",
                      (long long)c);
    k = ki;
    *vals = arena_array(g->arena, (size_t)k, sizeof **vals);
    for (int64_t i = 0; i < k; i++) (*vals)[i] = (double)iv[i];
    *replaced = (double)attr_i(n, "replaced_value_int64", 0);
  }
  return k;
}

void infer_Imputer(Graph *g, Node *n) {
  double *v, r;
  ml_check_input(n, n->in[0]);
  imputer_values(g, n, &v, &r);
  same_shape_out(n, n->in[0]->dtype);
}

/* y = where(x == replaced (isnan(x) for a NaN), imputed, x) */
void lower_Imputer(Graph *g, Node *n, Lowering *L) {
  Value *x = n->in[0];
  double *vals, r;
  int64_t k = imputer_values(g, n, &vals, &r);
  Value *mask = lower_temp(g, DT_BOOL, x->rank, x->dims);
  if (isnan(r)) {
    lower_ew(g, n, L, "isnan", x->dtype, &x, mask, 0, 0);
  } else {
    Value *ins[2] = {x, lower_scalar(g, x->dtype, r)};
    lower_ew(g, n, L, "equal", x->dtype, ins, mask, 0, 0);
  }
  Value *ins[3] = {mask, ml_const(g, x->dtype, k, DT_DOUBLE, vals), x};
  lower_ew(g, n, L, "where", x->dtype, ins, n->out[0], 0, 0);
}

/* ---- Normalizer -------------------------------------------------------------- */

static int64_t norm_kind(const Node *n) {
  const char *s = attr_s(n, "norm", "MAX");
  if (!strcmp(s, "MAX")) return MLC_ML_NORM_MAX;
  if (!strcmp(s, "L1")) return MLC_ML_NORM_L1;
  if (!strcmp(s, "L2")) return MLC_ML_NORM_L2;
  diag_node_fatal(n, "unknown norm '%s' (expected MAX, L1 or L2)", s);
}

void infer_Normalizer(Graph *g, Node *n) {
  (void)g;
  int64_t r, c;
  ml_check_input(n, n->in[0]);
  ml_rows(n, n->in[0], 1, &r, &c);
  norm_kind(n);
  same_shape_out(n, DT_FLOAT);
}

void lower_Normalizer(Graph *g, Node *n, Lowering *L) {
  Value *x = lower_as_type(g, L, n->in[0], DT_FLOAT);
  KCall *c = lower_add(g, L, K_ml_normalize);
  MlcMlNorm *p = KC_PARAMS(c, MlcMlNorm);
  ml_rows(n, x, 1, &p->rows, &p->len);
  p->kind = norm_kind(n);
  c->io[MLC_ML_NORMALIZE_X] = x;
  c->io[MLC_ML_NORMALIZE_Y] = n->out[0];
  c->nio = MLC_ML_NORMALIZE_NIO;
}

/* ---- FeatureVectorizer ------------------------------------------------------- */

/* each input as [rows, columns] (a 1-D input is a column), the widths it
 * takes in the output, and the rows */
static int64_t fv_plan(const Node *n, const int64_t **dims, int64_t *total) {
  int k = attr_ints(n, "inputdimensions", dims);
  if (k != n->nin)
    diag_node_fatal(n, "'inputdimensions' has %d entries for %d inputs", k < 0 ? 0 : k, n->nin);
  int64_t rows = -1;
  *total = 0;
  for (int i = 0; i < n->nin; i++) {
    const Value *x = n->in[i];
    if (!x) diag_node_fatal(n, "input %d is missing", i);
    ml_check_input(n, x);
    if (x->rank != 1 && x->rank != 2)
      diag_node_fatal(n, "input %d must be [N, C] or [N], not rank %d", i, x->rank);
    if (rows >= 0 && x->dims[0] != rows)
      diag_node_fatal(n, "input %d has %lld rows; input 0 has %lld", i, (long long)x->dims[0],
                      (long long)rows);
    rows = x->dims[0];
    if ((*dims)[i] < 0 || (*dims)[i] > ((int64_t)1 << 31))
      diag_node_fatal(n, "inputdimensions[%d] is %lld", i, (long long)(*dims)[i]);
    *total += (*dims)[i];
  }
  return rows;
}

void infer_FeatureVectorizer(Graph *g, Node *n) {
  (void)g;
  const int64_t *dims;
  int64_t total, d[2];
  d[0] = fv_plan(n, &dims, &total);
  d[1] = total;
  set_shape_checked(n, n->out[0], 2, d);
  n->out[0]->dtype = DT_FLOAT;
}

/* inputs narrower than their width are padded with zeros, wider ones cut */
void lower_FeatureVectorizer(Graph *g, Node *n, Lowering *L) {
  const int64_t *dims;
  int64_t total, rows = fv_plan(n, &dims, &total), at = 0;
  Value *y = n->out[0];
  for (int i = 0; i < n->nin; i++)
    if (last_dim(n->in[i]) < dims[i] || n->in[i]->rank == 1) {
      lower_fill(g, L, y, 0);
      break;
    }
  for (int i = 0; i < n->nin; i++) {
    Value *x = lower_as_type(g, L, n->in[i], DT_FLOAT);
    int64_t c = x->rank == 2 ? x->dims[1] : 1, w = c < dims[i] ? c : dims[i];
    int64_t cd[2] = {rows, w}, ss[2] = {c, 1}, ds[2] = {total, 1};
    lower_strided_copy(g, n, L, x, y, 2, cd, ss, ds, 0, at);
    at += dims[i];
  }
}

/* ---- lookups: LabelEncoder, OneHotEncoder ------------------------------------- */

/* a key and its value, both as int64 and as double; the key's type rides
 * along (isint) since qsort's comparison has no other context */
typedef struct KeyVal {
  double kf, vf;
  int64_t ki, vi;
  const char *ks, *vs; /* string keys and values (LabelEncoder) */
  int64_t pos, isint;  /* isint: 1 integer keys, 2 string keys, 0 floats */
} KeyVal;

static int cmp_key(const void *a, const void *b) {
  const KeyVal *x = a, *y = b;
  int c = x->isint == 2 ? strcmp(x->ks, y->ks) : 0;
  if (c) return c;
  if (x->isint == 1) {
    if (x->ki != y->ki) return x->ki < y->ki ? -1 : 1;
  } else if (!x->isint) {
    int xn = isnan(x->kf), yn = isnan(y->kf); /* NaN keys last */
    if (xn != yn) return xn - yn;
    if (!xn && x->kf != y->kf) return x->kf < y->kf ? -1 : 1;
  }
  /* a repeated key keeps its last value, as a dict built in order does */
  return x->pos < y->pos ? 1 : x->pos > y->pos;
}

/* sorts the pairs by key (key_int: as KeyVal's isint) and drops repeats;
 * returns how many remain */
static int64_t sort_keys(KeyVal *kv, int64_t k, int key_int) {
  for (int64_t i = 0; i < k; i++) kv[i].isint = key_int;
  qsort(kv, (size_t)k, sizeof *kv, cmp_key);
  int64_t m = 0;
  for (int64_t i = 0; i < k; i++) {
    int same =
        m && (key_int == 2 ? !strcmp(kv[i].ks, kv[m - 1].ks)
              : key_int    ? kv[i].ki == kv[m - 1].ki
                        : (kv[i].kf == kv[m - 1].kf || (isnan(kv[i].kf) && isnan(kv[m - 1].kf))));
    if (!same) kv[m++] = kv[i];
  }
  return m;
}

/* the lookup call: keys and values as constants */
static void lower_map(Graph *g, Lowering *L, Value *x, Value *y, KeyVal *kv, int64_t k, int key_int,
                      int val_int, double def_f, int64_t def_i) {
  int64_t *ki = arena_array(g->arena, (size_t)k + 1, sizeof *ki);
  double *kf = arena_array(g->arena, (size_t)k + 1, sizeof *kf);
  int64_t *vi = arena_array(g->arena, (size_t)k + 1, sizeof *vi);
  double *vf = arena_array(g->arena, (size_t)k + 1, sizeof *vf);
  for (int64_t i = 0; i < k; i++) {
    ki[i] = kv[i].ki;
    kf[i] = kv[i].kf;
    vi[i] = kv[i].vi;
    vf[i] = kv[i].vf;
  }
  KCall *c = lower_add(g, L, K_ml_map);
  MlcMlMap *p = KC_PARAMS(c, MlcMlMap);
  p->count = ir_numel(x);
  p->nkeys = k;
  p->in_t = x->dtype;
  p->out_t = y->dtype;
  p->key_int = key_int;
  p->val_int = val_int;
  p->def_f = def_f;
  p->def_i = def_i;
  c->io[MLC_ML_MAP_X] = x;
  c->io[MLC_ML_MAP_KEYS] =
      key_int ? ml_const(g, DT_INT64, k, DT_INT64, ki) : ml_const(g, DT_DOUBLE, k, DT_DOUBLE, kf);
  c->io[MLC_ML_MAP_VALUES] =
      val_int ? ml_const(g, DT_INT64, k, DT_INT64, vi) : ml_const(g, DT_DOUBLE, k, DT_DOUBLE, vf);
  c->io[MLC_ML_MAP_Y] = y;
  c->nio = MLC_ML_MAP_NIO;
}

/* LabelEncoder's table: keys and values of numbers (opset 2's lists or
 * opset 4's tensors), the output type and the default */
typedef struct Encoder {
  KeyVal *kv;
  int64_t k;
  int key_int, val_int;
  DType key_t, out_t;
  double def_f;
  int64_t def_i;
  const char *def_s;
} Encoder;

/* a list attribute of strings (STRINGS `list`, or a string TENSOR `tensor`):
 * the count, -1 when neither is present */
static int64_t string_list(const Node *n, const char *list, const char *tensor,
                           const char *const **out) {
  const Attr *a = ir_attr(n, list);
  if (a && a->kind == AK_STRINGS) {
    *out = a->strings;
    return a->n;
  }
  a = tensor ? ir_attr(n, tensor) : NULL;
  if (a && a->kind == AK_TENSOR && a->t && a->t->dtype == DT_STRING) {
    *out = a->t->data;
    return (int64_t)(a->t->nbytes / sizeof **out);
  }
  return -1;
}

/* opset 1 maps strings to their places in classes_strings, or places to
 * strings: as keys and values of opset 2 */
static int64_t classes_as_map(Graph *g, const Node *n, const char *const **strs, int64_t **ints) {
  int64_t k = string_list(n, "classes_strings", NULL, strs);
  if (k < 0) diag_node_fatal(n, "LabelEncoder-1 needs classes_strings");
  *ints = arena_array(g->arena, (size_t)k + 1, sizeof **ints);
  for (int64_t i = 0; i < k; i++) (*ints)[i] = i;
  return k;
}

static int is_int_type(DType t) { return t == DT_INT64 || t == DT_INT32 || t == DT_INT16; }

static void encoder_read(Graph *g, const Node *n, Encoder *e) {
  double *kf = NULL, *vf = NULL;
  const int64_t *ki = NULL, *vi = NULL;
  const char *const *ks = NULL, *const *vs = NULL;
  int64_t nk, nv = -1, *places;
  const Attr *kt = ir_attr(n, "keys_tensor"), *vt = ir_attr(n, "values_tensor");
  memset(e, 0, sizeof *e);
  if (n->opset < 2 && n->in[0]->dtype == DT_STRING) {
    nk = classes_as_map(g, n, &ks, &places);
    e->key_t = DT_STRING;
    nv = nk;
    vi = places;
    e->out_t = DT_INT64;
  } else if (n->opset < 2) {
    nk = classes_as_map(g, n, &vs, &places);
    ki = places;
    e->key_t = DT_INT64;
    nv = nk;
    e->out_t = DT_STRING;
  } else if ((nk = string_list(n, "keys_strings", "keys_tensor", &ks)) >= 0) {
    e->key_t = DT_STRING;
  } else if ((nk = attr_ints(n, "keys_int64s", &ki)) >= 0) {
    e->key_t = DT_INT64;
  } else if ((nk = ml_numbers(g, n, "keys_floats", "keys_tensor", &kf)) >= 0) {
    e->key_t = kt ? kt->t->dtype : DT_FLOAT;
  } else {
    diag_node_fatal(n,
                    "LabelEncoder needs keys (keys_strings, keys_int64s, keys_floats or "
                    "keys_tensor)");
  }
  if (n->opset < 2) {
    /* the classes gave both */
  } else if ((nv = string_list(n, "values_strings", "values_tensor", &vs)) >= 0) {
    e->out_t = DT_STRING;
  } else if ((nv = attr_ints(n, "values_int64s", &vi)) >= 0) {
    e->out_t = DT_INT64;
  } else if ((nv = ml_numbers(g, n, "values_floats", "values_tensor", &vf)) >= 0) {
    e->out_t = vt ? vt->t->dtype : DT_FLOAT;
  } else {
    diag_node_fatal(n,
                    "LabelEncoder needs values (values_strings, values_int64s, "
                    "values_floats or values_tensor)");
  }
  if (nk != nv)
    diag_node_fatal(n, "LabelEncoder has %lld keys but %lld values", (long long)nk, (long long)nv);
  e->key_int = e->key_t == DT_STRING ? 2 : is_int_type(e->key_t);
  e->val_int = is_int_type(e->out_t);
  /* integer tensors read as doubles are exact up to 2^53; lists are read as they are */
  if (e->key_int == 1 && !ki)
    for (int64_t i = 0; i < nk; i++)
      if (fabs(kf[i]) > 9007199254740992.0)
        diag_node_fatal(n, "integer key %g is too large", kf[i]);
  e->k = nk;
  e->kv = arena_array(g->arena, (size_t)nk + 1, sizeof *e->kv);
  for (int64_t i = 0; i < nk; i++) {
    KeyVal *p = &e->kv[i];
    p->ki = ki ? ki[i] : kf ? (int64_t)kf[i] : 0;
    p->kf = ki ? (double)ki[i] : kf ? kf[i] : 0;
    p->ks = ks ? ks[i] : NULL;
    p->vi = vi ? vi[i] : vf ? (int64_t)(vf[i] >= -9.2e18 && vf[i] <= 9.2e18 ? vf[i] : 0) : 0;
    p->vf = vi ? (double)vi[i] : vf ? vf[i] : 0;
    p->vs = vs ? vs[i] : NULL;
    p->pos = i;
  }
  e->k = sort_keys(e->kv, nk, e->key_int);
  e->def_f = attr_f(n, "default_float", -0.0);
  e->def_i = attr_i(n, "default_int64", -1);
  e->def_s = attr_s(n, "default_string", "_Unused");
  const Attr *dt = ir_attr(n, "default_tensor");
  const char *const *ds;
  if (string_list(n, "", "default_tensor", &ds) >= 0) {
    if (string_list(n, "", "default_tensor", &ds) != 1)
      diag_node_fatal(n, "default_tensor must hold one value");
    e->def_s = ds[0];
  } else if (dt) {
    double *d;
    if (ml_numbers(g, n, NULL, "default_tensor", &d) != 1)
      diag_node_fatal(n, "default_tensor must hold one value");
    e->def_f = d[0];
    e->def_i = (int64_t)(d[0] >= -9.2e18 && d[0] <= 9.2e18 ? d[0] : 0);
  }
}

void infer_LabelEncoder(Graph *g, Node *n) {
  Encoder e;
  encoder_read(g, n, &e);
  const Value *x = n->in[0];
  if ((x->dtype == DT_STRING) != (e.key_t == DT_STRING) ||
      (e.key_t != DT_STRING && is_int_type(x->dtype) != e.key_int) ||
      (!e.key_int && !dtype_is_float(x->dtype)) ||
      (e.out_t == DT_STRING && x->dtype != DT_INT64 && x->dtype != DT_INT32 &&
       x->dtype != DT_INT16 && x->dtype != DT_FLOAT && x->dtype != DT_DOUBLE &&
       x->dtype != DT_STRING))
    diag_node_fatal(n, "input is %s but the keys are %s", dtype_name(x->dtype),
                    dtype_name(e.key_t));
  same_shape_out(n, e.out_t);
}

/* a column of the sorted table as a constant: strings, int64 or double */
static Value *table_column(Graph *g, const KeyVal *kv, int64_t k, int value, DType t) {
  Value *v = ir_value_new(g, NULL);
  v->dtype = t == DT_STRING ? DT_STRING : is_int_type(t) ? DT_INT64 : DT_DOUBLE;
  ir_set_shape(v, 1, &k);
  void *d = ir_alloc_data(g, v);
  for (int64_t i = 0; i < k; i++) {
    if (v->dtype == DT_STRING)
      ((const char **)d)[i] = value ? kv[i].vs : kv[i].ks;
    else if (v->dtype == DT_INT64)
      ((int64_t *)d)[i] = value ? kv[i].vi : kv[i].ki;
    else
      ((double *)d)[i] = value ? kv[i].vf : kv[i].kf;
  }
  return v;
}

void lower_LabelEncoder(Graph *g, Node *n, Lowering *L) {
  Encoder e;
  encoder_read(g, n, &e);
  if (e.key_t != DT_STRING && e.out_t != DT_STRING) {
    lower_map(g, L, n->in[0], n->out[0], e.kv, e.k, e.key_int, e.val_int, e.def_f, e.def_i);
    return;
  }
  /* string keys or values: the string kernel's lookup */
  KCall *c = lower_add(g, L, K_str_map);
  MlcStrMap *p = KC_PARAMS(c, MlcStrMap);
  p->count = ir_numel(n->in[0]);
  p->nkeys = e.k;
  p->in_t = n->in[0]->dtype;
  c->io[MLC_STR_MAP_X] = n->in[0];
  c->io[MLC_STR_MAP_KEYS] = table_column(g, e.kv, e.k, 0, e.key_t);
  c->io[MLC_STR_MAP_VALS] = table_column(g, e.kv, e.k, 1, e.out_t);
  p->key_t = c->io[MLC_STR_MAP_KEYS]->dtype;
  p->out_t = e.out_t;
  p->def_i = e.def_i;
  p->def_f = e.def_f;
  if (e.out_t == DT_STRING) {
    Value *d = ir_value_new(g, NULL);
    int64_t one = 1;
    d->dtype = DT_STRING;
    ir_set_shape(d, 1, &one);
    *(const char **)ir_alloc_data(g, d) = e.def_s;
    c->io[MLC_STR_MAP_DEF] = d;
  }
  c->io[MLC_STR_MAP_Y] = n->out[0];
  c->nio = MLC_STR_MAP_NIO;
}

void infer_OneHotEncoder(Graph *g, Node *n) {
  (void)g;
  const Value *x = n->in[0];
  const int64_t *cats;
  ml_no_strings(n, "cats_strings");
  ml_check_input(n, x);
  int k = attr_ints(n, "cats_int64s", &cats);
  if (k < 1) diag_node_fatal(n, "OneHotEncoder needs categories (cats_int64s)");
  if (x->rank >= IR_MAX_RANK) diag_node_fatal(n, "input rank %d is too large", x->rank);
  int64_t dims[IR_MAX_RANK];
  memcpy(dims, x->dims, (size_t)x->rank * sizeof *dims);
  dims[x->rank] = k;
  set_shape_checked(n, n->out[0], x->rank + 1, dims);
  n->out[0]->dtype = DT_FLOAT;
}

/* each value's category position (-1: none; floats are truncated, as
 * onnxruntime compares them), then OneHot's kernel with values 0 and 1 */
void lower_OneHotEncoder(Graph *g, Node *n, Lowering *L) {
  Value *x = n->in[0];
  const int64_t *cats;
  int k = attr_ints(n, "cats_int64s", &cats);
  KeyVal *kv = arena_array(g->arena, (size_t)k, sizeof *kv);
  for (int i = 0; i < k; i++)
    kv[i] = (KeyVal){.kf = (double)cats[i], .ki = cats[i], .vi = i, .pos = i, .isint = 1};
  int64_t m = sort_keys(kv, k, 1);
  Value *idx = lower_temp(g, DT_INT64, x->rank, x->dims);
  lower_map(g, L, x, idx, kv, m, 1, 1, 0, -1);
  static const float off_on[2] = {0, 1};
  KCall *c = lower_add(g, L, K_onehot);
  MlcOneHot *p = KC_PARAMS(c, MlcOneHot);
  p->outer = ir_numel(x);
  p->depth = k;
  p->inner = 1;
  p->elem = sizeof(float);
  c->io[MLC_ONEHOT_INDICES] = idx;
  c->io[MLC_ONEHOT_VALUES] = ml_const(g, DT_FLOAT, 2, DT_FLOAT, off_on);
  c->io[MLC_ONEHOT_Y] = n->out[0];
  c->nio = MLC_ONEHOT_NIO;
}

void infer_CategoryMapper(Graph *g, Node *n) {
  (void)g;
  diag_node_fatal(n,
                  "CategoryMapper maps strings to integers and back; mlc has no string "
                  "tensors");
}

/* ---- LinearRegressor, LinearClassifier ------------------------------------------ */

/* coefficients [outputs, features] and intercepts (zeros if absent) */
typedef struct Linear {
  double *coef, *icpt;
  int64_t outputs, rows, features;
  int post;
} Linear;

static void linear_read(Graph *g, const Node *n, int64_t outputs, Linear *l) {
  const Value *x = n->in[0];
  ml_check_input(n, x);
  ml_rows(n, x, 1, &l->rows, &l->features);
  int64_t nc = ml_numbers(g, n, "coefficients", NULL, &l->coef);
  int64_t ni = ml_numbers(g, n, "intercepts", NULL, &l->icpt);
  if (outputs < 0) outputs = ni >= 0 ? ni : l->features ? (nc < 0 ? 0 : nc) / l->features : 0;
  l->outputs = outputs;
  if (outputs < 1) diag_node_fatal(n, "the model has no outputs (targets or classes)");
  if (nc != outputs * l->features)
    diag_node_fatal(n, "'coefficients' has %lld values; %lld outputs x %lld features need %lld",
                    (long long)(nc < 0 ? 0 : nc), (long long)outputs, (long long)l->features,
                    (long long)(outputs * l->features));
  if (ni >= 0 && ni != outputs)
    diag_node_fatal(n, "'intercepts' has %lld values for %lld outputs", (long long)ni,
                    (long long)outputs);
  if (ni < 0) l->icpt = arena_array(g->arena, (size_t)outputs, sizeof *l->icpt);
  l->post = ml_post_kind(n, attr_s(n, "post_transform", "NONE"));
}

/* scores [rows, outputs] = x coefficients^T + intercepts */
static void lower_linear(Graph *g, const Node *n, Lowering *L, const Linear *l, Value *y) {
  Value *x = lower_as_type(g, L, n->in[0], DT_FLOAT);
  KCall *c = lower_add(g, L, K_gemm_f32);
  MlcGemm *p = KC_PARAMS(c, MlcGemm);
  p->m = l->rows;
  p->n = l->outputs;
  p->k = l->features;
  p->trans_b = 1;
  p->alpha = 1;
  p->beta = 1;
  p->has_c = 1;
  p->c_cs = 1;
  p->act = MLC_ACT_NONE;
  int64_t words = mlc_rt_gemm_scratch(p->m, p->n, p->k);
  c->io[MLC_GEMM_A] = x;
  c->io[MLC_GEMM_B] = ml_const(g, DT_FLOAT, l->outputs * l->features, DT_DOUBLE, l->coef);
  c->io[MLC_GEMM_C] = ml_const(g, DT_FLOAT, l->outputs, DT_DOUBLE, l->icpt);
  c->io[MLC_GEMM_Y] = y;
  c->io[MLC_GEMM_SCRATCH] = lower_scratch(g, words);
  c->nio = MLC_GEMM_RES; /* all slots but the residual, which only fused calls have */
}

static int64_t linreg_targets(const Node *n) {
  int64_t t = attr_i(n, "targets", 1);
  if (t < 1 || t > ((int64_t)1 << 31)) diag_node_fatal(n, "targets is %lld", (long long)t);
  return t;
}

void infer_LinearRegressor(Graph *g, Node *n) {
  Linear l;
  linear_read(g, n, linreg_targets(n), &l);
  int64_t d[2] = {l.rows, l.outputs};
  set_shape_checked(n, n->out[0], 2, d);
  n->out[0]->dtype = DT_FLOAT;
}

void lower_LinearRegressor(Graph *g, Node *n, Lowering *L) {
  Linear l;
  linear_read(g, n, linreg_targets(n), &l);
  lower_linear(g, n, L, &l, n->out[0]);
  if (l.post == MLC_ML_NONE) return;
  KCall *c = lower_add(g, L, K_ml_post);
  MlcMlPost *p = KC_PARAMS(c, MlcMlPost);
  p->rows = l.rows;
  p->n = l.outputs;
  p->kind = l.post;
  c->io[MLC_ML_POST_X] = c->io[MLC_ML_POST_Y] = n->out[0];
  c->nio = MLC_ML_POST_NIO;
}

/* the classes' labels: none, or one per class (two for one class) */
static int64_t linclass_labels(const Node *n, const Linear *l, const int64_t **labels) {
  if (ir_attr(n, "classlabels_strings") && n->nout > 0 && n->out[0])
    ml_no_strings(n, "classlabels_strings");
  int k = attr_ints(n, "classlabels_ints", labels);
  if (k < 0) k = 0;
  if (l->outputs == 1 ? k != 0 && k != 2 : k != 0 && k != l->outputs)
    diag_node_fatal(n, "classlabels_ints has %d labels for %lld classes", k, (long long)l->outputs);
  return k;
}

void infer_LinearClassifier(Graph *g, Node *n) {
  Linear l;
  const int64_t *labels;
  linear_read(g, n, -1, &l);
  int64_t k = linclass_labels(n, &l, &labels);
  if (n->out[0]) {
    set_shape_checked(n, n->out[0], 1, &l.rows);
    n->out[0]->dtype = DT_INT64;
  }
  if (n->nout > 1 && n->out[1]) {
    int64_t d[2] = {l.rows, l.outputs == 1 && k == 2 ? 2 : l.outputs};
    set_shape_checked(n, n->out[1], 2, d);
    n->out[1]->dtype = DT_FLOAT;
  }
}

void lower_LinearClassifier(Graph *g, Node *n, Lowering *L) {
  Linear l;
  const int64_t *labels;
  linear_read(g, n, -1, &l);
  int64_t k = linclass_labels(n, &l, &labels);
  int64_t d[2] = {l.rows, l.outputs};
  Value *scores = lower_temp(g, DT_FLOAT, 2, d);
  lower_linear(g, n, L, &l, scores);
  KCall *c = lower_add(g, L, K_ml_linclass);
  MlcMlLinClass *p = KC_PARAMS(c, MlcMlLinClass);
  p->rows = l.rows;
  p->classes = l.outputs;
  p->post = l.post;
  p->nlabels = k;
  c->io[MLC_ML_LINCLASS_SCORES] = scores;
  c->io[MLC_ML_LINCLASS_LABELS] = k ? ml_const(g, DT_INT64, k, DT_INT64, labels) : NULL;
  c->io[MLC_ML_LINCLASS_Y] = n->out[0];
  c->io[MLC_ML_LINCLASS_Z] = n->nout > 1 ? n->out[1] : NULL;
  c->nio = MLC_ML_LINCLASS_NIO;
}

/* ---- SVMRegressor, SVMClassifier ------------------------------------------------- */

typedef struct Svm {
  MlcSvm p;
  double *coef, *rho, *pa, *pb, *sv;
  const int64_t *counts, *labels;
} Svm;

static void svm_read(Graph *g, const Node *n, Svm *s) {
  static const char *kernels[] = {"LINEAR", "POLY", "RBF", "SIGMOID"};
  MlcSvm *p = &s->p;
  memset(s, 0, sizeof *s);
  ml_check_input(n, n->in[0]);
  ml_rows(n, n->in[0], 1, &p->rows, &p->features);
  p->classifier = n->op == OP_SVMClassifier;
  const char *k = attr_s(n, "kernel_type", "LINEAR");
  for (p->kernel = 0; p->kernel < 4 && strcmp(k, kernels[p->kernel]); p->kernel++) {
  }
  if (p->kernel == 4)
    diag_node_fatal(n, "unknown kernel_type '%s' (expected LINEAR, POLY, RBF or SIGMOID)", k);
  double *kp;
  int64_t nkp = ml_numbers(g, n, "kernel_params", NULL, &kp);
  if (nkp > 0 && nkp < 3) diag_node_fatal(n, "kernel_params needs gamma, coef0 and degree");
  if (nkp > 0) {
    p->gamma = (float)kp[0];
    p->coef0 = (float)kp[1];
    p->degree = (float)kp[2];
  }
  p->ncoef = ml_numbers(g, n, "coefficients", NULL, &s->coef);
  p->nrho = ml_numbers(g, n, "rho", NULL, &s->rho);
  int64_t nsv = ml_numbers(g, n, "support_vectors", NULL, &s->sv);
  p->post = ml_post_kind(n, attr_s(n, "post_transform", "NONE"));
  if (p->ncoef < 1 || p->nrho < 1) diag_node_fatal(n, "an SVM needs coefficients and rho");
  int64_t need_coef, need_rho = 1;
  if (!p->classifier) {
    p->nvec = attr_i(n, "n_supports", 0);
    p->one_class = attr_i(n, "one_class", 0) != 0;
    p->classes = 1;
    need_coef = p->nvec > 0 ? p->nvec : p->features;
  } else {
    ml_no_strings(n, "classlabels_strings");
    int nl = attr_ints(n, "classlabels_ints", &s->labels);
    if (nl < 1) diag_node_fatal(n, "SVMClassifier needs class labels (classlabels_ints)");
    p->classes = p->nlabels = nl;
    int nc = attr_ints(n, "vectors_per_class", &s->counts);
    for (int i = 0; i < nc; i++) {
      if (s->counts[i] < 0 || s->counts[i] > ((int64_t)1 << 31))
        diag_node_fatal(n, "vectors_per_class[%d] is %lld", i, (long long)s->counts[i]);
      p->nvec += s->counts[i];
    }
    if (p->nvec > 0 && (nc != nl || nl < 2))
      diag_node_fatal(n, "vectors_per_class must count the vectors of each of the %d classes", nl);
    int64_t npair = p->classes * (p->classes - 1) / 2;
    need_coef = p->nvec > 0 ? (p->classes - 1) * p->nvec : p->classes * p->features;
    need_rho = p->nvec > 0 ? npair : 1;
    p->nprob = ml_numbers(g, n, "prob_a", NULL, &s->pa);
    if (ml_numbers(g, n, "prob_b", NULL, &s->pb) != p->nprob)
      diag_node_fatal(n, "prob_a and prob_b must have as many values");
    if (p->nprob < 0) p->nprob = 0;
    if (p->nprob && p->nvec > 0 && p->nprob < npair)
      diag_node_fatal(n, "prob_a has %lld values for %lld pairs of classes", (long long)p->nprob,
                      (long long)npair);
    p->zcols = p->nvec > 0 && !p->nprob ? (p->classes > 2 ? npair : 2) : p->classes;
    p->all_pos = 1;
    for (int64_t i = 0; i < p->ncoef; i++) p->all_pos &= s->coef[i] >= 0;
  }
  if (p->nvec < 0 || p->nvec > ((int64_t)1 << 31))
    diag_node_fatal(n, "the model has %lld support vectors", (long long)p->nvec);
  if (p->nvec > 0 && nsv != p->nvec * p->features)
    diag_node_fatal(n, "support_vectors has %lld values; %lld vectors of %lld features need %lld",
                    (long long)(nsv < 0 ? 0 : nsv), (long long)p->nvec, (long long)p->features,
                    (long long)(p->nvec * p->features));
  if (p->ncoef < need_coef || p->nrho < need_rho)
    diag_node_fatal(n,
                    "the model has %lld coefficients and %lld rho values; it needs %lld and "
                    "%lld",
                    (long long)p->ncoef, (long long)p->nrho, (long long)need_coef,
                    (long long)need_rho);
  if (!p->nvec) p->kernel = MLC_SVM_LINEAR; /* a linear model, as onnxruntime runs it */
}

void infer_Svm(Graph *g, Node *n) {
  Svm s;
  svm_read(g, n, &s);
  int64_t d[2] = {s.p.rows, s.p.classifier ? s.p.zcols : 1};
  if (!s.p.classifier) {
    set_shape_checked(n, n->out[0], 2, d);
    n->out[0]->dtype = DT_FLOAT;
    return;
  }
  if (n->out[0]) {
    set_shape_checked(n, n->out[0], 1, &s.p.rows);
    n->out[0]->dtype = DT_INT64;
  }
  if (n->nout > 1 && n->out[1]) {
    set_shape_checked(n, n->out[1], 2, d);
    n->out[1]->dtype = DT_FLOAT;
  }
}

void lower_Svm(Graph *g, Node *n, Lowering *L) {
  Svm s;
  svm_read(g, n, &s);
  MlcSvm *p = &s.p;
  int64_t nc = p->ncoef + p->nrho + 2 * p->nprob;
  double *consts = arena_array(g->arena, (size_t)nc + 1, sizeof *consts);
  memcpy(consts, s.coef, (size_t)p->ncoef * sizeof *consts);
  memcpy(consts + p->ncoef, s.rho, (size_t)p->nrho * sizeof *consts);
  if (p->nprob) {
    memcpy(consts + p->ncoef + p->nrho, s.pa, (size_t)p->nprob * sizeof *consts);
    memcpy(consts + p->ncoef + p->nrho + p->nprob, s.pb, (size_t)p->nprob * sizeof *consts);
  }
  int64_t words = mlc_rt_svm_scratch(p), d[2] = {p->rows, p->zcols};
  Value *z = p->classifier ? (n->nout > 1 ? n->out[1] : NULL) : NULL;
  if (p->classifier && !z) z = lower_temp(g, DT_FLOAT, 2, d);
  KCall *c = lower_add(g, L, K_svm);
  *KC_PARAMS(c, MlcSvm) = *p;
  c->io[MLC_SVM_X] = lower_as_type(g, L, n->in[0], DT_FLOAT);
  c->io[MLC_SVM_VECTORS] =
      p->nvec ? ml_const(g, DT_FLOAT, p->nvec * p->features, DT_DOUBLE, s.sv) : NULL;
  c->io[MLC_SVM_CONSTS] = ml_const(g, DT_FLOAT, nc, DT_DOUBLE, consts);
  c->io[MLC_SVM_COUNTS] =
      p->nvec && p->classifier ? ml_const(g, DT_INT64, p->classes, DT_INT64, s.counts) : NULL;
  c->io[MLC_SVM_LABELS] =
      p->classifier ? ml_const(g, DT_INT64, p->classes, DT_INT64, s.labels) : NULL;
  c->io[MLC_SVM_Y] = n->out[0];
  c->io[MLC_SVM_Z] = z;
  c->io[MLC_SVM_SCRATCH] = lower_temp(g, DT_FLOAT, 1, &words);
  c->nio = MLC_SVM_NIO;
}
