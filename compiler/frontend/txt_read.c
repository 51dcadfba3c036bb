/* Reader of the text form: the grammar of onnx's parser (onnx/defs/parser.cc),
 * building the IR directly, the way the ONNX importer does.
 *
 *   model  := ['<' field (',' field)* '>'] graph function*
 *   graph  := name '(' decl-or-init* ')' '=>' '(' decl* ')'
 *             ['<' (decl | decl '=' data)* '>'] '{' node* '}'
 *   node   := ['[' name ']'] ids '=' (ident '.')* op [attrs] '(' ids ')' [attrs]
 *   attr   := name [':' kind] '=' (value | '[' value* ']')
 *   value  := int | float | string | type [name] ['='] data | graph | '@' name
 *
 * A node may use a value that a later node produces (the IR is sorted at the
 * end), and a subgraph may use any value of its enclosing graphs, so inputs
 * are recorded as pending names and resolved once the whole model is read.
 * Outputs, initializers and value_info types are settled when their graph
 * closes. Model-local functions are read into graphs of their own and kept in
 * the model (ir_add_function), to be inlined where they are called.
 *
 * Types the IR cannot hold (seq, map, optional, sparse_tensor) are errors on
 * graph inputs and outputs and ignored in value_info, which is only a hint. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "txt.h"

enum { MAX_DEPTH = 32, TY_NONE = 0, TY_TENSOR, TY_OTHER };

typedef struct Type {
  int kind;
  DType dtype;
  int rank; /* -1: unknown */
  int64_t dims[IR_MAX_RANK];
  const char *dim_param[IR_MAX_RANK];
} Type;

/* a name in the text, with where it was written */
typedef struct Name {
  const char *name;
  int line, col;
} Name;

typedef struct Decl {
  Type ty;
  Name n;
} Decl;

/* a node input, resolved by name once the model is read */
typedef struct Pending {
  Graph *g;
  Node *n;
  int slot;
  Name at;
} Pending;

typedef struct Reader {
  Lexer L;
  Arena *a;
  Pending *pend;
  size_t npend, pend_cap;
  Graph **graphs; /* the model's graphs, to sort at the end */
  size_t ngraphs, graphs_cap;
  int depth;
  int in_function; /* the nodes of functions need no opset import of the model */
} Reader;

/* growable arena arrays: `n` elements in use, `cap` allocated */
#define PUSH(R, arr, n, cap) \
  ((arr) = arena_grow((R)->a, (arr), &(cap), (size_t)(n) + 1, sizeof *(arr)), &(arr)[(n)++])

static noreturn void err_at(int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static noreturn void err_at(int line, int col, const char *fmt, ...) {
  char msg[768];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  diag_fatal("%d:%d: %s", line, col, msg);
}

static Name take_name(Reader *R, const char *what) {
  Name n = {NULL, R->L.tok.line, R->L.tok.col};
  n.name = lex_take_name(&R->L, what);
  return n;
}

static const char *take_ident(Reader *R, const char *what) {
  if (R->L.tok.kind != TK_IDENT) lex_error(&R->L, "expected %s", what);
  return lex_take_name(&R->L, what);
}

/* ---- types ------------------------------------------------------------------- */

static DType tok_dtype(const Tok *t) {
  char buf[32];
  if (t->kind != TK_IDENT || t->len >= sizeof buf) return DT_UNDEF;
  memcpy(buf, t->p, t->len);
  buf[t->len] = 0;
  return dtype_from_name(buf);
}

/* element types of onnx that the IR does not have */
static int is_foreign_dtype(const Lexer *L) {
  static const char *const names[] = {"float6e2m3", "float6e3m2"};
  for (size_t i = 0; i < sizeof names / sizeof *names; i++)
    if (lex_word(L, names[i])) return 1;
  return 0;
}

static int at_type(const Reader *R) {
  return tok_dtype(&R->L.tok) != DT_UNDEF || is_foreign_dtype(&R->L) || lex_word(&R->L, "seq") ||
         lex_word(&R->L, "map") || lex_word(&R->L, "optional") || lex_word(&R->L, "sparse_tensor");
}

static void parse_shape(Reader *R, Type *ty) {
  ty->rank = 0;
  if (!lex_accept(&R->L, '[')) return;
  if (lex_accept(&R->L, ']')) {
    ty->rank = -1;
    return;
  }
  do {
    if (ty->rank == IR_MAX_RANK) lex_error(&R->L, "more than %d dimensions", IR_MAX_RANK);
    int k = ty->rank++;
    ty->dims[k] = -1;
    ty->dim_param[k] = NULL;
    if (lex_accept(&R->L, '?')) continue;
    if (R->L.tok.kind == TK_IDENT || R->L.tok.kind == TK_STRING) {
      ty->dim_param[k] = lex_take_name(&R->L, "a dimension");
      continue;
    }
    Tok t = R->L.tok;
    ty->dims[k] = lex_take_int(&R->L, "a dimension");
    if (ty->dims[k] < 0) err_at(t.line, t.col, "negative dimension %lld", (long long)ty->dims[k]);
  } while (lex_accept(&R->L, ','));
  lex_expect(&R->L, ']', "after the dimensions");
}

static void parse_type(Reader *R, Type *ty, int depth) {
  memset(ty, 0, sizeof *ty);
  if (depth > MAX_DEPTH) lex_error(&R->L, "types nested deeper than %d levels", MAX_DEPTH);
  DType dt = tok_dtype(&R->L.tok);
  if (dt != DT_UNDEF) {
    lex_next(&R->L);
    ty->kind = TY_TENSOR;
    ty->dtype = dt;
    parse_shape(R, ty);
    return;
  }
  if (is_foreign_dtype(&R->L)) lex_error(&R->L, "element type not supported by mlc");
  if (!at_type(R)) lex_error(&R->L, "expected a type");
  int is_map = lex_word(&R->L, "map"), is_sparse = lex_word(&R->L, "sparse_tensor");
  lex_next(&R->L);
  lex_expect(&R->L, '(', "after seq, map, optional or sparse_tensor");
  Type inner;
  if (is_map) {
    if (tok_dtype(&R->L.tok) == DT_UNDEF) lex_error(&R->L, "expected the key type of a map");
    lex_next(&R->L);
    lex_expect(&R->L, ',', "after the key type of a map");
  }
  if (is_sparse) {
    if (tok_dtype(&R->L.tok) == DT_UNDEF) lex_error(&R->L, "expected an element type");
    lex_next(&R->L);
    parse_shape(R, &inner);
  } else {
    parse_type(R, &inner, depth + 1);
  }
  lex_expect(&R->L, ')', "after the type");
  ty->kind = TY_OTHER;
}

/* [type] name: the form of graph inputs, outputs and value_info */
static void parse_decl(Reader *R, Decl *d) {
  memset(d, 0, sizeof *d);
  if (at_type(R)) parse_type(R, &d->ty, 0);
  d->n = take_name(R, "a value name");
}

/* element types with storage: every one the IR names today */
static int storable(DType t) { return t == DT_STRING || dtype_size(t); }

static void set_type(Value *v, const Type *ty) {
  if (ty->kind != TY_TENSOR || !storable(ty->dtype)) return;
  v->dtype = ty->dtype;
  v->rank = ty->rank;
  for (int i = 0; i < ty->rank; i++) {
    v->dims[i] = ty->dims[i];
    v->dim_param[i] = ty->dim_param[i];
  }
}

static void require_tensor_type(const Decl *d, const char *what) {
  if (d->ty.kind == TY_OTHER)
    err_at(d->n.line, d->n.col,
           "%s '%s' has a seq, map, optional or sparse_tensor type, which mlc "
           "does not support",
           what, d->n.name);
  if (d->ty.kind == TY_TENSOR && !storable(d->ty.dtype))
    err_at(d->n.line, d->n.col, "%s '%s' has element type %s, which mlc does not support", what,
           d->n.name, dtype_name(d->ty.dtype));
}

/* ---- tensor data ------------------------------------------------------------------ */

/* the range of the integers a dtype stores; float16, bfloat16, float8 and
 * float4 tensors are written as their bit patterns, int4, uint4, int2 and
 * uint2 as their values (one per element, as onnx.parser reads them) */
static void int_range(DType t, int64_t *lo, int64_t *hi) {
  switch (t) {
  case DT_INT8: *lo = INT8_MIN, *hi = INT8_MAX; break;
  case DT_INT4: *lo = -8, *hi = 7; break;
  case DT_UINT4:
  case DT_FLOAT4E2M1: *lo = 0, *hi = 15; break;
  case DT_INT2: *lo = -2, *hi = 1; break;
  case DT_UINT2: *lo = 0, *hi = 3; break;
  case DT_INT16: *lo = INT16_MIN, *hi = INT16_MAX; break;
  case DT_INT32: *lo = INT32_MIN, *hi = INT32_MAX; break;
  case DT_BOOL: *lo = 0, *hi = 1; break;
  case DT_UINT8:
  case DT_FLOAT8E4M3FN:
  case DT_FLOAT8E4M3FNUZ:
  case DT_FLOAT8E5M2:
  case DT_FLOAT8E5M2FNUZ:
  case DT_FLOAT8E8M0: *lo = 0, *hi = UINT8_MAX; break;
  case DT_UINT16:
  case DT_FLOAT16:
  case DT_BFLOAT16: *lo = 0, *hi = UINT16_MAX; break;
  default: *lo = INT64_MIN, *hi = INT64_MAX; break;
  }
}

static void parse_element(Reader *R, DType dt, unsigned char *dst, size_t esz) {
  Lexer *L = &R->L;
  if (dt == DT_STRING) {
    const char *s = lex_take_string(L, "a string element");
    memcpy(dst, &s, sizeof s);
  } else if (dt == DT_FLOAT || dt == DT_COMPLEX64) {
    float f = lex_take_float(L, "a float element");
    memcpy(dst, &f, sizeof f);
  } else if (dt == DT_DOUBLE || dt == DT_COMPLEX128) {
    double d = lex_take_double(L, "a double element");
    memcpy(dst, &d, sizeof d);
  } else if (dt == DT_UINT32 || dt == DT_UINT64) {
    Tok t = L->tok;
    uint64_t u = lex_take_uint(L, "an element");
    if (dt == DT_UINT32 && u > UINT32_MAX)
      err_at(t.line, t.col, "%llu is out of the range of uint32", (unsigned long long)u);
    uint32_t u32 = (uint32_t)u;
    memcpy(dst, dt == DT_UINT32 ? (void *)&u32 : (void *)&u, esz);
  } else {
    Tok t = L->tok;
    int64_t v = lex_take_int(L, "an integer element"), lo, hi;
    int_range(dt, &lo, &hi);
    if (v < lo || v > hi)
      err_at(t.line, t.col, "%lld is out of the range of %s", (long long)v, dtype_name(dt));
    uint8_t u8 = (uint8_t)v;
    uint16_t u16 = (uint16_t)v;
    uint32_t u32 = (uint32_t)v;
    memcpy(dst,
           esz == 1   ? (void *)&u8
           : esz == 2 ? (void *)&u16
           : esz == 4 ? (void *)&u32
                      : (void *)&v,
           esz);
  }
}

/* `{v, v, ...}` for a tensor of type `ty`, whose type was at line:col.
 * Strings are stored as `const char *`, complex numbers as (re, im) pairs. */
static void parse_tensor_data(Reader *R, const Type *ty, int line, int col, Tensor *t) {
  Lexer *L = &R->L;
  if (ty->kind != TY_TENSOR || ty->rank < 0)
    err_at(line, col, "a tensor needs an element type and a shape, as in float[2,3]");
  int64_t numel = 1;
  for (int i = 0; i < ty->rank; i++) {
    if (ty->dim_param[i] || ty->dims[i] < 0) err_at(line, col, "a tensor needs numeric dimensions");
    if (ty->dims[i] && numel > INT64_MAX / ty->dims[i])
      err_at(line, col, "the tensor has too many elements");
    numel *= ty->dims[i];
  }
  DType dt = ty->dtype;
  int per = dt == DT_COMPLEX64 || dt == DT_COMPLEX128 ? 2 : 1;
  size_t esz = dt == DT_STRING ? sizeof(char *) : dtype_size(dt) / (size_t)per;
  if (!storable(dt))
    err_at(line, col, "tensors of element type %s are not supported", dtype_name(dt));
  if (lex_is(L, '[')) lex_error(L, "external data is not supported in the text form");
  if (lex_is(L, '.'))
    err_at(L->tok.line, L->tok.col,
           "elided values ('...', as onnx.printer writes tensors of the 4- and 2-bit "
           "types) are not supported by mlc: write the values, one per element");
  lex_expect(L, '{', "before the values of the tensor");
  /* each value takes at least one character: a bound before allocating */
  int64_t nvals = numel * per;
  if (numel > (int64_t)(L->end - L->cur) / per + 1)
    err_at(line, col, "the tensor has %lld elements, more than the text can hold",
           (long long)numel);
  unsigned char *data = arena_alloc(R->a, (size_t)nvals * esz + 1);
  for (int64_t i = 0; i < nvals; i++) {
    if (i && lex_is(L, '}'))
      lex_error(L, "the tensor needs %lld values but has only %lld", (long long)nvals,
                (long long)i);
    if (i) lex_expect(L, ',', "between the values of the tensor");
    parse_element(R, dt, data + (size_t)i * esz, esz);
  }
  if (!lex_accept(L, '}'))
    lex_error(L, "expected '}' after the %lld values of the %s tensor", (long long)nvals,
              dtype_name(dt));
  t->dtype = dt;
  t->rank = ty->rank;
  memcpy(t->dims, ty->dims, sizeof t->dims);
  t->data = data;
  t->nbytes = (size_t)nvals * esz;
}

/* ---- attributes ---------------------------------------------------------------------- */

static const struct {
  const char *name;
  AttrKind kind, elem;
} attr_kinds[] = {
    {"float", AK_FLOAT, AK_UNDEF},
    {"int", AK_INT, AK_UNDEF},
    {"string", AK_STRING, AK_UNDEF},
    {"tensor", AK_TENSOR, AK_UNDEF},
    {"graph", AK_GRAPH, AK_UNDEF},
    {"sparse_tensor", AK_SPARSE_TENSOR, AK_UNDEF},
    {"type_proto", AK_TYPE_PROTO, AK_UNDEF},
    {"floats", AK_FLOATS, AK_FLOAT},
    {"ints", AK_INTS, AK_INT},
    {"strings", AK_STRINGS, AK_STRING},
    {"tensors", AK_TENSORS, AK_TENSOR},
    {"graphs", AK_GRAPHS, AK_GRAPH},
    {"sparse_tensors", AK_SPARSE_TENSORS, AK_SPARSE_TENSOR},
    {"type_protos", AK_TYPE_PROTOS, AK_TYPE_PROTO},
};
enum { NKINDS = sizeof attr_kinds / sizeof *attr_kinds };

static const char *kind_name(AttrKind k) {
  for (int i = 0; i < NKINDS; i++)
    if (attr_kinds[i].kind == k) return attr_kinds[i].name;
  return "undefined";
}

static AttrKind list_of(AttrKind elem) {
  for (int i = 0; i < NKINDS; i++)
    if (attr_kinds[i].elem == elem && elem != AK_UNDEF) return attr_kinds[i].kind;
  return AK_UNDEF;
}

typedef struct AVal {
  AttrKind kind;
  int64_t i;
  float f;
  const char *s;
  Tensor *t;
  Graph *g;
  const char *ref;
} AVal;

static Graph *parse_subgraph(Reader *R, Graph *parent, const char *name);

static void parse_value(Reader *R, Graph *g, AVal *v) {
  Lexer *L = &R->L;
  memset(v, 0, sizeof *v);
  Tok start = L->tok;
  if (lex_accept(L, '@')) {
    if (!R->in_function) lex_error(L, "an attribute reference (@name) outside a function");
    v->ref = lex_take_name(L, "the name of a function attribute");
  } else if (at_type(R)) {
    Type ty;
    parse_type(R, &ty, 0);
    if (!lex_is(L, '{') && !lex_is(L, '=') && L->tok.kind != TK_IDENT && L->tok.kind != TK_STRING)
      err_at(start.line, start.col, "type_proto attributes are not supported");
    v->kind = AK_TENSOR;
    v->t = arena_alloc(R->a, sizeof *v->t);
    v->t->name = "";
    if (L->tok.kind == TK_IDENT || L->tok.kind == TK_STRING)
      v->t->name = lex_take_name(L, "a tensor name");
    lex_accept(L, '=');
    parse_tensor_data(R, &ty, start.line, start.col, v->t);
  } else if (lex_is_special_float(&L->tok)) {
    v->kind = AK_FLOAT;
    v->f = lex_take_float(L, "a float");
  } else if (L->tok.kind == TK_IDENT) {
    const char *name = lex_take_name(L, "a graph name");
    if (!lex_is(L, '('))
      err_at(start.line, start.col,
             "'%s' is not an attribute value (a number, string, "
             "tensor or graph)",
             name);
    v->kind = AK_GRAPH;
    v->g = parse_subgraph(R, g, name);
  } else if (L->tok.kind == TK_STRING) {
    v->s = lex_take_string(L, "a string");
    v->kind = AK_STRING;
    if (lex_is(L, '(')) { /* a graph whose name is not an identifier */
      v->kind = AK_GRAPH;
      v->g = parse_subgraph(R, g, v->s);
    }
  } else if (L->tok.kind == TK_INT) {
    v->kind = AK_INT;
    v->f = L->tok.p[0] == '-' ? -0.0f : 0.0f; /* the sign of a zero float */
    v->i = lex_take_int(L, "an integer");
  } else if (L->tok.kind == TK_FLOAT) {
    v->kind = AK_FLOAT;
    v->f = lex_take_float(L, "a float");
  } else {
    lex_error(L, "expected an attribute value");
  }
}

static void check_kind(AVal *v, AttrKind want, const Tok *at) {
  if (want == AK_UNDEF || v->ref || v->kind == want) return;
  /* the one conversion onnx's parser makes */
  if (want == AK_FLOAT && v->kind == AK_INT) {
    v->kind = AK_FLOAT;
    if (v->i) v->f = (float)v->i;
    return;
  }
  err_at(at->line, at->col, "the attribute is declared %s but the value is a %s", kind_name(want),
         kind_name(v->kind));
}

static void add_list_value(Reader *R, Attr *a, const AVal *v, size_t *cap) {
  switch (v->kind) {
  case AK_INT: *PUSH(R, a->ints, a->n, *cap) = v->i; break;
  case AK_FLOAT: *PUSH(R, a->floats, a->n, *cap) = v->f; break;
  case AK_STRING: *PUSH(R, a->strings, a->n, *cap) = v->s; break;
  case AK_TENSOR: *PUSH(R, a->tensors, a->n, *cap) = v->t; break;
  case AK_GRAPH: *PUSH(R, a->graphs, a->n, *cap) = v->g; break;
  default: break;
  }
}

/* the rest of an attribute after its name: [':' kind] '=' value */
static void parse_attr_value(Reader *R, Graph *g, Attr *a) {
  Lexer *L = &R->L;
  AttrKind want = AK_UNDEF;
  if (lex_accept(L, ':')) {
    Tok kt = L->tok;
    const char *k = take_ident(R, "an attribute kind");
    int i = 0;
    while (i < NKINDS && strcmp(attr_kinds[i].name, k)) i++;
    if (i == NKINDS) err_at(kt.line, kt.col, "unknown attribute kind '%s'", k);
    want = attr_kinds[i].kind;
    if (want == AK_SPARSE_TENSOR || want == AK_SPARSE_TENSORS || want == AK_TYPE_PROTO ||
        want == AK_TYPE_PROTOS)
      err_at(kt.line, kt.col, "%s attributes are not supported", k);
  }
  lex_expect(L, '=', "after the attribute name");
  AttrKind elem = AK_UNDEF;
  for (int i = 0; i < NKINDS; i++)
    if (attr_kinds[i].kind == want) elem = attr_kinds[i].elem;
  AVal v;
  if (!lex_is(L, '[')) {
    Tok at = L->tok;
    if (elem != AK_UNDEF)
      lex_error(L, "expected '[': the attribute is declared '%s', a list", kind_name(want));
    parse_value(R, g, &v);
    check_kind(&v, want, &at);
    a->kind = v.ref ? want : v.kind;
    a->ref_attr_name = v.ref;
    a->i = v.i;
    a->f = v.f;
    a->s = v.s;
    a->t = v.t;
    a->g = v.g;
    return;
  }
  Tok open = L->tok;
  lex_next(L);
  if (want != AK_UNDEF && elem == AK_UNDEF)
    err_at(open.line, open.col, "a list value for a %s attribute", kind_name(want));
  a->kind = want;
  size_t cap = 0;
  if (!lex_is(L, ']')) {
    do {
      Tok at = L->tok;
      parse_value(R, g, &v);
      if (v.ref) err_at(at.line, at.col, "a list may not hold an attribute reference");
      check_kind(&v, elem, &at);
      elem = v.kind;
      add_list_value(R, a, &v, &cap);
    } while (lex_accept(L, ','));
    a->kind = list_of(elem);
  } else if (want == AK_UNDEF) {
    lex_error(L, "an empty list needs a kind, as in 'axes: ints = []'");
  }
  lex_expect(L, ']', "after the list values");
}

typedef struct AttrList {
  Attr *v;
  int n;
  size_t cap;
} AttrList;

static void parse_attrs(Reader *R, Graph *g, AttrList *al) {
  lex_expect(&R->L, '<', "before the attributes");
  do {
    Name nm = take_name(R, "an attribute name");
    for (int i = 0; i < al->n; i++)
      if (!strcmp(al->v[i].name, nm.name))
        err_at(nm.line, nm.col, "attribute '%s' is given twice", nm.name);
    Attr *a = PUSH(R, al->v, al->n, al->cap);
    memset(a, 0, sizeof *a);
    a->name = nm.name;
    parse_attr_value(R, g, a);
  } while (lex_accept(&R->L, ','));
  lex_expect(&R->L, '>', "after the attributes");
}

/* ---- nodes ------------------------------------------------------------------------------ */

typedef struct NameList {
  Name *v;
  int n;
  size_t cap;
} NameList;

/* Node inputs and outputs: names separated by commas, any of which may be
 * empty (an absent optional value); as in onnx's parser, `""` is an empty
 * name and an empty name after a trailing comma is dropped. */
static void parse_ids(Reader *R, NameList *l) {
  for (;;) {
    int has = R->L.tok.kind == TK_IDENT || R->L.tok.kind == TK_STRING;
    if (!has && !lex_is(&R->L, ',')) break;
    Name *n = PUSH(R, l->v, l->n, l->cap);
    *n = (Name){"", R->L.tok.line, R->L.tok.col};
    if (has) *n = take_name(R, "a value name");
    if (!lex_accept(&R->L, ',')) break;
  }
}

/* a new value named n in g: names are defined once per graph */
static Value *define(Graph *g, const Name *n) {
  Value *old = ir_lookup_local(g, n->name);
  if (old)
    err_at(n->line, n->col, "'%s' is defined twice (it is already %s)", n->name,
           old->is_input  ? "a graph input"
           : old->is_init ? "an initializer"
                          : "a node output");
  return ir_value_new(g, n->name);
}

static void parse_node(Reader *R, Graph *g) {
  Lexer *L = &R->L;
  Name nm = {"", L->tok.line, L->tok.col};
  if (lex_accept(L, '[')) {
    nm = take_name(R, "a node name");
    lex_expect(L, ']', "after the node name");
  }
  NameList outs = {0}, ins = {0};
  parse_ids(R, &outs);
  lex_expect(L, '=', "after the node outputs");
  const char *domain = "", *op = take_ident(R, "an operator name");
  while (lex_accept(L, '.')) {
    domain = *domain ? arena_printf(R->a, "%s.%s", domain, op) : op;
    op = take_ident(R, "an operator name after '.'");
  }
  if (lex_is(L, ':')) lex_error(L, "function overloads are not supported");
  AttrList al = {0};
  if (lex_is(L, '<')) parse_attrs(R, g, &al);
  lex_expect(L, '(', "before the node inputs");
  parse_ids(R, &ins);
  lex_expect(L, ')', "after the node inputs");
  if (!al.n && lex_is(L, '<')) parse_attrs(R, g, &al);

  Node *n = ir_node_new(g, op, domain, nm.name, ins.n, outs.n);
  if (!n->opset && !R->in_function)
    diag_node_fatal(n,
                    "%d:%d: the node's domain '%s' is not imported by the model "
                    "(opset_import)",
                    nm.line, nm.col, domain);
  for (int i = 0; i < outs.n; i++) {
    if (!*outs.v[i].name) continue;
    n->out[i] = define(g, &outs.v[i]);
    n->out[i]->producer = n;
  }
  for (int i = 0; i < ins.n; i++)
    if (*ins.v[i].name) *PUSH(R, R->pend, R->npend, R->pend_cap) = (Pending){g, n, i, ins.v[i]};
  for (int i = 0; i < al.n; i++) {
    Attr *a = ir_attr_add(g, n, al.v[i].name, al.v[i].kind);
    const char *name = a->name;
    *a = al.v[i];
    a->name = name;
  }
}

static void parse_nodes(Reader *R, Graph *g) {
  lex_expect(&R->L, '{', "before the nodes of the graph");
  while (!lex_accept(&R->L, '}')) {
    if (R->L.tok.kind == TK_EOF) lex_error(&R->L, "expected '}' at the end of the graph");
    parse_node(R, g);
  }
}

/* ---- graphs --------------------------------------------------------------------------------- */

typedef struct DeclList {
  Decl *v;
  int n;
  size_t cap;
} DeclList;

static void parse_decls(Reader *R, DeclList *l, const char *what) {
  lex_expect(&R->L, '(', what);
  if (lex_accept(&R->L, ')')) return;
  do parse_decl(R, PUSH(R, l->v, l->n, l->cap));
  while (lex_accept(&R->L, ','));
  lex_expect(&R->L, ')', "after the declarations");
}

/* `= {...}` after a declaration makes it an initializer. One that shares
 * its name with a graph input is that input's default value: as the importer
 * does, mlc makes it a constant, no longer an input. */
static void parse_init(Reader *R, Graph *g, const Decl *d) {
  require_tensor_type(d, "initializer");
  Value *v = ir_lookup_local(g, d->n.name);
  if (v && v->is_input && !v->is_init) {
    int k = 0;
    for (int i = 0; i < g->ninputs; i++)
      if (g->inputs[i] != v) g->inputs[k++] = g->inputs[i];
    g->ninputs = k;
    v->is_input = 0;
  } else {
    v = define(g, &d->n);
  }
  Tensor t;
  parse_tensor_data(R, &d->ty, d->n.line, d->n.col, &t);
  set_type(v, &d->ty);
  v->data = t.data;
  ir_add_init(g, v);
}

static void parse_graph_body(Reader *R, Graph *g) {
  Lexer *L = &R->L;
  *PUSH(R, R->graphs, R->ngraphs, R->graphs_cap) = g;
  lex_expect(L, '(', "before the graph inputs");
  if (!lex_accept(L, ')')) {
    do {
      Decl d;
      parse_decl(R, &d);
      require_tensor_type(&d, "graph input");
      Value *v = define(g, &d.n);
      set_type(v, &d.ty);
      ir_add_input(g, v);
      if (lex_accept(L, '=')) parse_init(R, g, &d);
    } while (lex_accept(L, ','));
    lex_expect(L, ')', "after the graph inputs");
  }
  if (L->tok.kind != TK_ARROW) lex_error(L, "expected '=>' after the graph inputs");
  lex_next(L);
  DeclList outs = {0}, infos = {0};
  parse_decls(R, &outs, "before the graph outputs");
  if (lex_accept(L, '<') && !lex_accept(L, '>')) {
    do {
      Decl d;
      parse_decl(R, &d);
      if (lex_accept(L, '='))
        parse_init(R, g, &d);
      else
        *PUSH(R, infos.v, infos.n, infos.cap) = d;
    } while (lex_accept(L, ','));
    lex_expect(L, '>', "after the initializers and value types");
  }
  parse_nodes(R, g);

  for (int i = 0; i < infos.n; i++) {
    Value *v = ir_lookup_local(g, infos.v[i].n.name);
    if (v && !v->is_init) set_type(v, &infos.v[i].ty);
  }
  for (int i = 0; i < outs.n; i++) {
    const Decl *d = &outs.v[i];
    require_tensor_type(d, "graph output");
    Value *v = ir_lookup(g, d->n.name);
    if (!v)
      err_at(d->n.line, d->n.col,
             "graph output '%s' is not produced by any node, graph input or initializer",
             d->n.name);
    /* a body may return a value of the enclosing graph: that one keeps its type */
    if (!v->is_init && ir_lookup_local(g, d->n.name) == v) set_type(v, &d->ty);
    ir_add_output(g, v);
  }
}

static Graph *parse_subgraph(Reader *R, Graph *parent, const char *name) {
  if (R->depth >= MAX_DEPTH) lex_error(&R->L, "subgraphs nested deeper than %d levels", MAX_DEPTH);
  Graph *g = ir_graph_new(R->a, parent);
  g->name = name;
  R->depth++;
  parse_graph_body(R, g);
  R->depth--;
  return g;
}

/* ---- model ---------------------------------------------------------------------------------- */

static void parse_opsets(Reader *R, Graph *g) {
  lex_expect(&R->L, '[', "before the opset imports");
  if (lex_accept(&R->L, ']')) return;
  do {
    Tok at = R->L.tok;
    const char *dom = lex_take_string(&R->L, "an opset domain");
    lex_expect(&R->L, ':', "after the opset domain");
    Tok vt = R->L.tok;
    int64_t ver = lex_take_int(&R->L, "an opset version");
    if (ver < 1 || ver > INT_MAX)
      err_at(vt.line, vt.col, "opset version %lld is out of range", (long long)ver);
    if (ir_opset(g, dom)) err_at(at.line, at.col, "domain \"%s\" is imported twice", dom);
    ir_add_opset(g, dom, ver);
  } while (lex_accept(&R->L, ','));
  lex_expect(&R->L, ']', "after the opset imports");
}

/* `< key: value, ... >` of the model (into g) or of a function (g is the
 * function's throwaway graph: only its opsets matter) */
static void parse_fields(Reader *R, Graph *g, int model) {
  Lexer *L = &R->L;
  do {
    Tok kt = L->tok;
    const char *k = take_ident(R, "a field name");
    lex_expect(L, ':', "after the field name");
    if (!strcmp(k, "opset_import")) {
      parse_opsets(R, g);
    } else if (!strcmp(k, "doc_string")) {
      const char *s = lex_take_string(L, "the doc string");
      if (model) g->model_doc = s;
    } else if (!strcmp(k, "domain")) {
      g->model_domain = lex_take_string(L, "the domain");
    } else if (model && !strcmp(k, "ir_version")) {
      g->ir_version = lex_take_int(L, "the IR version");
    } else if (model && !strcmp(k, "model_version")) {
      g->model_version = lex_take_int(L, "the model version");
    } else if (model && !strcmp(k, "producer_name")) {
      g->producer_name = lex_take_string(L, "the producer name");
    } else if (model && !strcmp(k, "producer_version")) {
      g->producer_version = lex_take_string(L, "the producer version");
    } else if (model && !strcmp(k, "metadata_props")) {
      /* kept by onnx, not by the IR */
      lex_expect(L, '[', "before the metadata");
      if (!lex_accept(L, ']')) {
        do {
          lex_take_string(L, "a metadata key");
          lex_expect(L, ':', "after the metadata key");
          lex_take_string(L, "a metadata value");
        } while (lex_accept(L, ','));
        lex_expect(L, ']', "after the metadata");
      }
    } else if (!model && !strcmp(k, "overload")) {
      lex_take_string(L, "the overload name");
    } else {
      err_at(kt.line, kt.col, "unknown %s field '%s'", model ? "model" : "function", k);
    }
  } while (lex_accept(L, ','));
  lex_expect(L, '>', "after the fields");
}

/* A model-local function, checked like a graph and then dropped. Its inputs
 * and outputs may be untyped; its attributes are names with optional
 * defaults; node attributes may refer to them as `@name`. */
static void parse_function(Reader *R, Graph *model) {
  Lexer *L = &R->L;
  Graph *f = ir_graph_new(R->a, NULL);
  *PUSH(R, R->graphs, R->ngraphs, R->graphs_cap) = f; /* sorted at the end */
  R->in_function = 1;
  if (lex_accept(L, '<')) parse_fields(R, f, 0);
  if (!f->nopsets)
    for (int i = 0; i < model->nopsets; i++)
      ir_add_opset(f, model->opsets[i].domain, model->opsets[i].version);
  Tok at = L->tok;
  f->name = take_name(R, "a function name").name;
  if (ir_find_function(model, f->model_domain, f->name))
    err_at(at.line, at.col, "local function '%s' is defined twice", f->name);
  Function *fn = ir_add_function(model, f->model_domain, f->name, f);
  if (lex_accept(L, '<')) {
    size_t cap = 0;
    do {
      Attr a = {.name = take_name(R, "an attribute name").name};
      if (lex_is(L, ':') || lex_is(L, '=')) parse_attr_value(R, f, &a);
      fn->attrs = arena_grow(R->a, fn->attrs, &cap, (size_t)fn->nattrs + 1, sizeof *fn->attrs);
      fn->attrs[fn->nattrs++] = a;
    } while (lex_accept(L, ','));
    lex_expect(L, '>', "after the function attributes");
  }
  DeclList ins = {0}, outs = {0};
  parse_decls(R, &ins, "before the function inputs");
  for (int i = 0; i < ins.n; i++) ir_add_input(f, define(f, &ins.v[i].n));
  if (L->tok.kind != TK_ARROW) lex_error(L, "expected '=>' after the function inputs");
  lex_next(L);
  parse_decls(R, &outs, "before the function outputs");
  if (lex_accept(L, '<')) {
    Decl info; /* value types: a hint for a function mlc does not use */
    do parse_decl(R, &info);
    while (lex_accept(L, ','));
    lex_expect(L, '>', "after the value types");
  }
  parse_nodes(R, f);
  for (int i = 0; i < outs.n; i++) {
    Value *v = ir_lookup_local(f, outs.v[i].n.name);
    if (!v)
      err_at(outs.v[i].n.line, outs.v[i].n.col,
             "function output '%s' is not produced by any node or input", outs.v[i].n.name);
    ir_add_output(f, v);
  }
}

Graph *txt_parse(Arena *a, const char *text, size_t len, const char *path) {
  if (path) diag_set_file(path);
  if (len > INT_MAX) diag_fatal("the text is larger than 2 GiB");
  Reader R = {.a = a};
  lex_init(&R.L, a, text, len);
  Graph *g = ir_graph_new(a, NULL);
  g->file = path ? arena_strdup(a, path) : NULL;
  if (lex_accept(&R.L, '<')) parse_fields(&R, g, 1);
  if (!g->nopsets)
    diag_fatal(
        "the model imports no operator set: begin it with "
        "<ir_version: 8, opset_import: [\"\" : 18]>");
  g->name = take_name(&R, "the graph name").name;
  parse_graph_body(&R, g);
  while (R.L.tok.kind != TK_EOF) parse_function(&R, g);

  for (size_t i = 0; i < R.npend; i++) {
    const Pending *p = &R.pend[i];
    Value *v = ir_lookup(p->g, p->at.name);
    if (!v)
      diag_node_fatal(p->n,
                      "%d:%d: input '%s' is not produced by any node, graph input "
                      "or initializer",
                      p->at.line, p->at.col, p->at.name);
    p->n->in[p->slot] = v;
  }
  for (size_t i = 0; i < R.ngraphs; i++) ir_toposort(R.graphs[i]);
  return g;
}

Graph *txt_load(Arena *a, const char *path) {
  diag_set_file(path);
  FILE *f = fopen(path, "rb");
  if (!f) diag_fatal("cannot open the file: %s", strerror(errno));
  /* one exact buffer for a regular file; doubling for a pipe */
  size_t cap = 1 << 16, len = 0, n;
  if (!fseek(f, 0, SEEK_END)) {
    long end = ftell(f);
    if (end >= 0 && end < INT_MAX) cap = (size_t)end + 1;
    rewind(f);
  }
  char *buf = arena_alloc(a, cap);
  while ((n = fread(buf + len, 1, cap - len, f)) > 0) {
    len += n;
    if (len == cap) {
      if (cap > INT_MAX) {
        fclose(f);
        diag_fatal("the file is larger than 2 GiB");
      }
      buf = arena_grow(a, buf, &cap, cap + 1, 1);
    }
  }
  int bad = ferror(f);
  fclose(f);
  if (bad) diag_fatal("cannot read the file");
  return txt_parse(a, buf, len, path);
}
