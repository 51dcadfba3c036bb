/* Writer of the text form, in the layout of onnx's printer
 * (onnx/defs/printer.cc), so that a model printed here and by
 * onnx.printer.to_text reads the same, byte for byte where the IR holds what
 * the proto held.
 *
 * Numbers are printed as C++'s std::to_chars prints them, which is what the
 * printer uses: the fewest significant digits that read back to the same
 * float (or double), in fixed or scientific notation, whichever is shorter
 * (fixed on a tie). So every float survives write -> read bit-exactly.
 *
 * The IR has no value_info list: the types of node outputs that are known
 * (after shape inference, or read from value_info) are printed as value_info,
 * in node order. Values without a name (temporaries made by passes) get
 * names `_tN` that no value of the model uses. Constants that passes made
 * (values with data that no node produces, such as folded shapes) are printed
 * as initializers of the graph that owns them, so every dump reads back. */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "diag.h"
#include "txt.h"

typedef struct VInfo {
  const char *anon;   /* generated name */
  const Graph *owner; /* the graph whose values list holds it */
  unsigned produced : 1, used : 1;
} VInfo;

typedef struct Writer {
  FILE *f;
  VInfo *info; /* by value id */
  size_t ninfo;
  long long next; /* the next N of `_tN` */
} Writer;

static VInfo *info(Writer *W, const Value *v) {
  return v->id >= 0 && (size_t)v->id < W->ninfo ? &W->info[v->id] : NULL;
}

/* ---- names and strings -------------------------------------------------------- */

static int is_ident(const char *s) {
  if (!*s || !((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_')) return 0;
  for (; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
          *s == '_'))
      return 0;
  return 1;
}

static void w_quoted(Writer *W, const char *s) {
  fputc('"', W->f);
  for (; *s; s++) {
    if (*s == '\\' || *s == '"') fputc('\\', W->f);
    fputc(*s, W->f);
  }
  fputc('"', W->f);
}

/* words that the grammar reads as a type or a number where a name may be */
static int is_reserved(const char *s) {
  static const char *const words[] = {"seq",   "map",      "optional",   "sparse_tensor",
                                      "inf",   "infinity", "nan",        "float8e8m0",
                                      "uint2", "int2",     "float6e2m3", "float6e3m2"};
  for (size_t i = 0; i < sizeof words / sizeof *words; i++)
    if (!strcasecmp(s, words[i])) return 1;
  return dtype_from_name(s) != DT_UNDEF;
}

/* an identifier as is; any other name as a string */
static void w_id(Writer *W, const char *s) {
  if (s && is_ident(s) && !is_reserved(s))
    fputs(s, W->f);
  else
    w_quoted(W, s ? s : "");
}

static void use(Writer *W, const Value *v) {
  VInfo *in = v ? info(W, v) : NULL;
  if (in) in->used = 1;
}

/* Before printing: who owns each value, which ones live nodes produce and
 * use, and the largest N of the names `_tN` in g and its subgraphs. */
static void scan(Writer *W, const Graph *g) {
  for (int i = 0; i < g->nvalues; i++) {
    const Value *v = g->values[i];
    VInfo *in = info(W, v);
    if (in) in->owner = g;
    const char *s = v->name;
    size_t n = strlen(s);
    if (n > 2 && n < 18 && s[0] == '_' && s[1] == 't' && strspn(s + 2, "0123456789") == n - 2) {
      long long k = atoll(s + 2);
      if (k >= W->next) W->next = k + 1;
    }
  }
  for (int i = 0; i < g->noutputs; i++) use(W, g->outputs[i]);
  for (int i = 0; i < g->nnodes; i++) {
    const Node *n = g->nodes[i];
    for (int j = 0; j < n->nin; j++) use(W, n->in[j]);
    for (int j = 0; j < n->nout; j++) {
      VInfo *in = n->out[j] ? info(W, n->out[j]) : NULL;
      if (in) in->produced = 1;
    }
    for (int j = 0; j < n->nattrs; j++) {
      const Attr *a = &n->attrs[j];
      if (a->kind == AK_GRAPH && a->g) scan(W, a->g);
      for (int k = 0; a->kind == AK_GRAPHS && k < a->n; k++) scan(W, a->graphs[k]);
    }
  }
}

/* a constant of g that only a pass made: printed with the initializers */
static int is_made_const(Writer *W, const Graph *g, const Value *v) {
  const VInfo *in = info(W, v);
  return in && in->owner == g && in->used && !in->produced && v->data && !v->is_input &&
         !v->is_init;
}

static void w_vref(Writer *W, const Value *v) {
  if (!v) {
    fputs("\"\"", W->f);
    return;
  }
  VInfo *in = info(W, v);
  if (*v->name || !in) {
    w_id(W, v->name);
    return;
  }
  if (!in->anon) {
    char buf[32];
    snprintf(buf, sizeof buf, "_t%lld", W->next++);
    char *s = malloc(strlen(buf) + 1);
    if (!s) diag_oom();
    in->anon = strcpy(s, buf);
  }
  fputs(in->anon, W->f);
}

/* ---- numbers ------------------------------------------------------------------------ */

static int reads_back(const char *s, double x, int is_float) {
  return is_float ? strtof(s, NULL) == (float)x : strtod(s, NULL) == x;
}

/* std::to_chars(x): the shortest digits that read back, in fixed or
 * scientific notation, whichever is shorter (fixed on a tie). */
static void w_real(Writer *W, double x, int is_float) {
  if (isnan(x)) {
    fputs(signbit(x) ? "-nan" : "nan", W->f);
    return;
  }
  if (isinf(x) || x == 0) {
    fputs(isinf(x) ? (x < 0 ? "-inf" : "inf") : signbit(x) ? "-0" : "0", W->f);
    return;
  }
  /* more digits never stop reading back: binary search for the fewest */
  int lo = 1, hi = is_float ? 9 : 17;
  int have = 0; /* the digit count sci holds */
  char sci[48], cand[48], fix[400];
  while (lo < hi) {
    int mid = (lo + hi) / 2;
    snprintf(cand, sizeof cand, "%.*e", mid - 1, x);
    if (reads_back(cand, x, is_float)) {
      hi = mid;
      have = mid;
      memcpy(sci, cand, sizeof sci);
    } else {
      lo = mid + 1;
    }
  }
  if (have != lo) snprintf(sci, sizeof sci, "%.*e", lo - 1, x);
  /* sci is [-]d[.ddd]e±XX with `lo` digits */
  int neg = sci[0] == '-', exp10 = atoi(strchr(sci, 'e') + 1);
  char digits[24];
  int nd = 0;
  for (const char *p = sci + neg; *p != 'e'; p++)
    if (*p != '.') digits[nd++] = *p;
  size_t k = 0;
  if (neg) fix[k++] = '-';
  if (exp10 >= nd - 1) {
    /* an integer: printed exactly, as %.0f does */
    snprintf(fix, sizeof fix, "%.0f", x);
  } else if (exp10 >= 0) {
    for (int i = 0; i < nd; i++) {
      fix[k++] = digits[i];
      if (i == exp10) fix[k++] = '.';
    }
    fix[k] = 0;
  } else {
    fix[k++] = '0';
    fix[k++] = '.';
    for (int i = 0; i < -exp10 - 1; i++) fix[k++] = '0';
    memcpy(fix + k, digits, (size_t)nd);
    fix[k + (size_t)nd] = 0;
  }
  fputs(strlen(fix) <= strlen(sci) ? fix : sci, W->f);
}

/* ---- types and tensors ----------------------------------------------------------------- */

static void w_dims(Writer *W, int rank, const int64_t *dims, const char *const *dim_param) {
  if (rank < 0) {
    fputs("[]", W->f);
    return;
  }
  for (int i = 0; i < rank; i++) {
    fputc(i ? ',' : '[', W->f);
    if (dim_param && dim_param[i])
      w_id(W, dim_param[i]);
    else if (dims[i] < 0)
      fputc('?', W->f);
    else
      fprintf(W->f, "%" PRId64, dims[i]);
  }
  if (rank > 0) fputc(']', W->f);
}

static void w_value_type(Writer *W, const Value *v) {
  if (v->dtype == DT_UNDEF) return;
  fputs(dtype_name(v->dtype), W->f);
  w_dims(W, v->rank, v->dims, v->dim_param);
}

/* graph inputs, outputs and value_info: `type name` */
static void w_decl(Writer *W, const Value *v) {
  w_value_type(W, v);
  fputc(' ', W->f);
  w_vref(W, v);
}

static void w_element(Writer *W, DType dt, const void *data, int64_t i) {
  const unsigned char *p = data;
  switch (dt) {
  case DT_FLOAT:
  case DT_COMPLEX64: {
    float f;
    memcpy(&f, p + 4 * i, 4);
    w_real(W, f, 1);
    break;
  }
  case DT_DOUBLE:
  case DT_COMPLEX128: {
    double d;
    memcpy(&d, p + 8 * i, 8);
    w_real(W, d, 0);
    break;
  }
  case DT_INT8:
  case DT_INT4:
  case DT_INT2: fprintf(W->f, "%d", (int)((const int8_t *)data)[i]); break;
  case DT_INT16: fprintf(W->f, "%d", (int)((const int16_t *)data)[i]); break;
  case DT_INT32: fprintf(W->f, "%" PRId32, ((const int32_t *)data)[i]); break;
  case DT_INT64: fprintf(W->f, "%" PRId64, ((const int64_t *)data)[i]); break;
  case DT_UINT16:
  case DT_FLOAT16:
  case DT_BFLOAT16: fprintf(W->f, "%u", (unsigned)((const uint16_t *)data)[i]); break;
  case DT_UINT32: fprintf(W->f, "%" PRIu32, ((const uint32_t *)data)[i]); break;
  case DT_UINT64: fprintf(W->f, "%" PRIu64, ((const uint64_t *)data)[i]); break;
  case DT_STRING: w_quoted(W, ((const char *const *)data)[i]); break;
  default: fprintf(W->f, "%u", (unsigned)p[i]); break; /* uint8, bool, float8, uint4... */
  }
}

/* ` {1,2,3}`, or `{"a", "b"}` for strings, as the printer spaces them */
static void w_data(Writer *W, DType dt, int rank, const int64_t *dims, const void *data) {
  int64_t n = 1;
  int known = data && rank >= 0 && (dt == DT_STRING || dtype_size(dt));
  for (int i = 0; i < rank; i++) {
    known &= dims[i] >= 0;
    n *= dims[i];
  }
  if (dt == DT_COMPLEX64 || dt == DT_COMPLEX128) n *= 2;
  if (!known) {
    fputs(" ...", W->f); /* as the printer marks what it cannot print */
    return;
  }
  fputs(dt == DT_STRING ? "{" : " {", W->f);
  for (int64_t i = 0; i < n; i++) {
    if (i) fputs(dt == DT_STRING ? ", " : ",", W->f);
    w_element(W, dt, data, i);
  }
  fputc('}', W->f);
}

static void w_tensor(Writer *W, const Tensor *t) {
  fputs(dtype_name(t->dtype), W->f);
  if (t->rank > 0) w_dims(W, t->rank, t->dims, NULL);
  if (t->name && *t->name) {
    fputc(' ', W->f);
    w_id(W, t->name);
  }
  w_data(W, t->dtype, t->rank, t->dims, t->data);
}

static void w_init(Writer *W, const Value *v) {
  fputs(dtype_name(v->dtype), W->f);
  if (v->rank != 0) w_dims(W, v->rank, v->dims, v->dim_param);
  fputc(' ', W->f);
  w_vref(W, v);
  fputs(" = ", W->f);
  w_data(W, v->dtype, v->rank, v->dims, v->data);
}

/* ---- graphs ----------------------------------------------------------------------------- */

static void w_graph(Writer *W, const Graph *g, int indent);

static const char *const kind_names[] = {
    [AK_FLOAT] = "float",
    [AK_INT] = "int",
    [AK_STRING] = "string",
    [AK_TENSOR] = "tensor",
    [AK_GRAPH] = "graph",
    [AK_FLOATS] = "floats",
    [AK_INTS] = "ints",
    [AK_STRINGS] = "strings",
    [AK_TENSORS] = "tensors",
    [AK_GRAPHS] = "graphs",
    [AK_SPARSE_TENSOR] = "sparse_tensor",
    [AK_SPARSE_TENSORS] = "sparse_tensors",
    [AK_TYPE_PROTO] = "type_proto",
    [AK_TYPE_PROTOS] = "type_protos",
};

static void w_attr(Writer *W, const Attr *a, int indent) {
  FILE *f = W->f;
  const char *kind = a->kind > 0 && a->kind <= AK_TYPE_PROTOS ? kind_names[a->kind] : NULL;
  w_id(W, a->name);
  if (kind) fprintf(f, ": %s", kind);
  fputs(" = ", f);
  if (a->ref_attr_name) {
    fputc('@', f);
    w_id(W, a->ref_attr_name);
    return;
  }
  switch (a->kind) {
  case AK_INT: fprintf(f, "%" PRId64, a->i); break;
  case AK_FLOAT: w_real(W, (float)a->f, 1); break;
  case AK_STRING: w_quoted(W, a->s ? a->s : ""); break;
  case AK_TENSOR:
    if (a->t) w_tensor(W, a->t);
    break;
  case AK_GRAPH:
    if (a->g) w_graph(W, a->g, indent + 3);
    break;
  default:
    fputc('[', f);
    for (int i = 0; i < a->n; i++) {
      if (i) fputs(", ", f);
      switch (a->kind) {
      case AK_INTS: fprintf(f, "%" PRId64, a->ints[i]); break;
      case AK_FLOATS: w_real(W, (float)a->floats[i], 1); break;
      case AK_STRINGS: w_quoted(W, a->strings[i]); break;
      case AK_TENSORS: w_tensor(W, a->tensors[i]); break;
      case AK_GRAPHS: w_graph(W, a->graphs[i], indent + 3); break;
      default: break;
      }
    }
    fputc(']', f);
    break;
  }
}

static void w_attrs(Writer *W, const Node *n, int indent) {
  fputs(" <", W->f);
  for (int i = 0; i < n->nattrs; i++) {
    if (i) fputs(", ", W->f);
    w_attr(W, &n->attrs[i], indent);
  }
  fputc('>', W->f);
}

static void w_node(Writer *W, const Node *n, int indent) {
  FILE *f = W->f;
  fprintf(f, "%*s", indent, "");
  if (n->name && *n->name) {
    fputc('[', f);
    w_id(W, n->name);
    fputs("] ", f);
  }
  for (int i = 0; i < n->nout; i++) {
    if (i) fputs(", ", f);
    w_vref(W, n->out[i]);
  }
  fputs(" = ", f);
  if (n->domain && *n->domain) fprintf(f, "%s.", n->domain);
  fputs(n->op_type, f);
  /* the printer puts attributes holding graphs after the inputs */
  int sub = 0;
  for (int i = 0; i < n->nattrs; i++) {
    const Attr *a = &n->attrs[i];
    sub |= (a->kind == AK_GRAPH && a->g) || (a->kind == AK_GRAPHS && a->n > 0);
  }
  if (n->nattrs && !sub) w_attrs(W, n, indent);
  fputs(" (", f);
  for (int i = 0; i < n->nin; i++) {
    if (i) fputs(", ", f);
    w_vref(W, n->in[i]);
  }
  fputc(')', f);
  if (n->nattrs && sub) w_attrs(W, n, indent);
  fputc('\n', f);
}

/* node outputs with a known type, other than graph outputs */
static int is_info(const Value *v) { return v && !v->is_output && v->dtype != DT_UNDEF; }

static void w_graph(Writer *W, const Graph *g, int indent) {
  FILE *f = W->f;
  w_id(W, g->name);
  fputs(" (", f);
  for (int i = 0; i < g->ninputs; i++) {
    if (i) fputs(", ", f);
    w_decl(W, g->inputs[i]);
  }
  fputs(") => (", f);
  for (int i = 0; i < g->noutputs; i++) {
    if (i) fputs(", ", f);
    w_decl(W, g->outputs[i]);
  }
  fputs(") ", f);
  int nlist = g->ninits;
  for (int i = 0; i < g->nvalues; i++) nlist += is_made_const(W, g, g->values[i]);
  for (int i = 0; i < g->nnodes; i++)
    for (int j = 0; j < g->nodes[i]->nout; j++) nlist += is_info(g->nodes[i]->out[j]);
  if (nlist) {
    fprintf(f, "\n%*s<", indent, "");
    const char *sep = "";
    for (int i = 0; i < g->ninits; i++, sep = ", ") {
      fputs(sep, f);
      w_init(W, g->inits[i]);
    }
    for (int i = 0; i < g->nvalues; i++)
      if (is_made_const(W, g, g->values[i])) {
        fputs(sep, f);
        sep = ", ";
        w_init(W, g->values[i]);
      }
    for (int i = 0; i < g->nnodes; i++)
      for (int j = 0; j < g->nodes[i]->nout; j++)
        if (is_info(g->nodes[i]->out[j])) {
          fputs(sep, f);
          sep = ", ";
          w_decl(W, g->nodes[i]->out[j]);
        }
    fputs(">\n", f);
  }
  fputs("{\n", f);
  for (int i = 0; i < g->nnodes; i++) w_node(W, g->nodes[i], indent);
  fprintf(f, "%*s}", indent > 3 ? indent - 3 : 0, "");
}

void txt_write(FILE *f, const Graph *g) {
  const Graph *root = g;
  while (root->parent) root = root->parent;
  Writer W = {.f = f, .ninfo = (size_t)root->next_value_id};
  W.info = calloc(W.ninfo + 1, sizeof *W.info);
  if (!W.info) diag_oom();
  scan(&W, g);
  fprintf(f, "<\n   ir_version: %" PRId64 ",\n   opset_import: [", g->ir_version);
  for (int i = 0; i < g->nopsets; i++) {
    if (i) fputs(", ", f);
    w_quoted(&W, g->opsets[i].domain);
    fprintf(f, " : %" PRId64, g->opsets[i].version);
  }
  fputc(']', f);
  const struct {
    const char *key, *val;
  } fields[] = {{"producer_name", g->producer_name},
                {"producer_version", g->producer_version},
                {"domain", g->model_domain}};
  for (size_t i = 0; i < sizeof fields / sizeof *fields; i++)
    if (fields[i].val && *fields[i].val) {
      fprintf(f, ",\n   %s: ", fields[i].key);
      w_quoted(&W, fields[i].val);
    }
  if (g->model_version) fprintf(f, ",\n   model_version: %" PRId64, g->model_version);
  if (g->model_doc && *g->model_doc) {
    fputs(",\n   doc_string: ", f);
    w_quoted(&W, g->model_doc);
  }
  fputs("\n>\n", f);
  w_graph(&W, g, 3);
  fputc('\n', f);
  for (size_t i = 0; i < W.ninfo; i++) free((void *)W.info[i].anon);
  free(W.info);
}
