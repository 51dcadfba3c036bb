/* IR construction, lookup, ordering and checking. */
#include "ir.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "diag.h"
#include "mlc_rt.h"

/* ---- dtypes ------------------------------------------------------------- */

/* The sub-byte types are held one element per byte everywhere inside mlc
 * (IR data, interpreter, kernels, generated code's buffers): int4 and int2
 * as sign-extended int8_t, uint4 and uint2 as uint8_t, float4e2m1 as its
 * code in the low 4 bits. Only the ONNX files pack them (onnx_tensor.c). */
static const struct {
  const char *name, *ctype, *sfx;
  unsigned char size, is_float;
} dtinfo[DT_COUNT_] = {
#define IR__DT(name, num, onnx, ctype, sfx, size, is_float) \
  [DT_##name] = {onnx, ctype, sfx, size, is_float},
    MLC_RT_DTYPES(IR__DT)
#undef IR__DT
};

static int dt_ok(DType t) { return t > 0 && t < DT_COUNT_ && dtinfo[t].name; }
size_t dtype_size(DType t) { return dt_ok(t) ? dtinfo[t].size : 0; }
const char *dtype_name(DType t) { return dt_ok(t) ? dtinfo[t].name : "undefined"; }
const char *dtype_ctype(DType t) { return dt_ok(t) ? dtinfo[t].ctype : NULL; }
const char *dtype_sfx(DType t) { return dt_ok(t) ? dtinfo[t].sfx : "?"; }
int dtype_is_float(DType t) { return dt_ok(t) && dtinfo[t].is_float; }

DType dtype_from_name(const char *s) {
  for (int t = 1; t < DT_COUNT_; t++)
    if (dtinfo[t].name && !strcmp(dtinfo[t].name, s)) return (DType)t;
  return DT_UNDEF;
}

/* ---- name map: open addressing, grown at 1/2 load ----------------------- */

typedef struct NameMap {
  Value **slots;
  size_t cap, count;
} NameMap;

static uint64_t hash_str(const char *s) {
  uint64_t h = 1469598103934665603ull;
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
  return h;
}

static void map_put(Graph *g, Value *v) {
  NameMap *m = g->names;
  if ((m->count + 1) * 2 > m->cap) {
    size_t ncap = m->cap ? m->cap * 2 : 64;
    Value **ns = arena_array(g->arena, ncap, sizeof *ns);
    for (size_t i = 0; i < m->cap; i++) {
      Value *x = m->slots[i];
      if (!x) continue;
      size_t j = hash_str(x->name) & (ncap - 1);
      while (ns[j]) j = (j + 1) & (ncap - 1);
      ns[j] = x;
    }
    m->slots = ns;
    m->cap = ncap;
  }
  size_t j = hash_str(v->name) & (m->cap - 1);
  while (m->slots[j]) {
    if (!strcmp(m->slots[j]->name, v->name)) {
      m->slots[j] = v; /* newest definition wins; importers check first */
      return;
    }
    j = (j + 1) & (m->cap - 1);
  }
  m->slots[j] = v;
  m->count++;
}

Value *ir_lookup_local(const Graph *g, const char *name) {
  const NameMap *m = g->names;
  if (!name || !*name || !m->cap) return NULL;
  size_t j = hash_str(name) & (m->cap - 1);
  while (m->slots[j]) {
    if (!strcmp(m->slots[j]->name, name)) return m->slots[j];
    j = (j + 1) & (m->cap - 1);
  }
  return NULL;
}

Value *ir_lookup(const Graph *g, const char *name) {
  for (; g; g = g->parent) {
    Value *v = ir_lookup_local(g, name);
    if (v) return v;
  }
  return NULL;
}

/* ---- construction -------------------------------------------------------- */

Graph *ir_graph_new(Arena *a, Graph *parent) {
  Graph *g = arena_alloc(a, sizeof *g);
  g->arena = a;
  g->parent = parent;
  g->names = arena_alloc(a, sizeof(NameMap));
  g->name = "";
  return g;
}

int ir_runtime_dims(const Graph *g) {
  while (g->parent) g = g->parent;
  return g->nruntime_sized > 0;
}

TargetIsa ir_target(const Graph *g) {
  while (g->parent) g = g->parent;
  return g->target;
}

int64_t ir_opset(const Graph *g, const char *domain) {
  while (g->parent) g = g->parent;
  if (!domain || !strcmp(domain, "ai.onnx")) domain = "";
  for (int i = 0; i < g->nopsets; i++) {
    const char *d = g->opsets[i].domain;
    if (!strcmp(d, "ai.onnx")) d = "";
    if (!strcmp(d, domain)) return g->opsets[i].version;
  }
  return 0;
}

void ir_add_opset(Graph *g, const char *domain, int64_t version) {
  /* every node looks its domain up in this list */
  if (g->nopsets == IR_MAX_OPSETS)
    diag_fatal("the model imports more than %d operator sets", IR_MAX_OPSETS);
  /* nodes keep their domain's version in an int */
  if (version < 1 || version > INT32_MAX)
    diag_fatal("domain '%s' is imported at version %" PRId64 ", which is out of range",
               domain ? domain : "", version);
  OpsetImport *o = arena_array(g->arena, (size_t)g->nopsets + 1, sizeof *o);
  if (g->nopsets) memcpy(o, g->opsets, (size_t)g->nopsets * sizeof *o);
  o[g->nopsets].domain = arena_strdup(g->arena, domain ? domain : "");
  o[g->nopsets].version = version;
  g->opsets = o;
  g->nopsets++;
}

Value *ir_value_new(Graph *g, const char *name) {
  Value *v = arena_alloc(g->arena, sizeof *v);
  Graph *top = g;
  while (top->parent) top = top->parent;
  v->id = top->next_value_id++;
  v->name = arena_strdup(g->arena, name ? name : "");
  v->rank = -1;
  v->offset = -1;
  g->values =
      arena_grow(g->arena, g->values, &g->values_cap, (size_t)g->nvalues + 1, sizeof *g->values);
  g->values[g->nvalues++] = v;
  if (*v->name) map_put(g, v);
  return v;
}

/* The capacity doubles whenever the count reaches a power of two, so a file
 * with many inputs costs linear time, not quadratic time and memory. (Arrays
 * only shrink elsewhere, which keeps the capacity above the count.) */
static void push_value(Graph *g, Value ***arr, int *n, Value *v) {
  if (!(*n & (*n - 1))) {
    Value **a = arena_array(g->arena, *n ? 2 * (size_t)*n : 1, sizeof *a);
    if (*n) memcpy(a, *arr, (size_t)*n * sizeof *a);
    *arr = a;
  }
  (*arr)[(*n)++] = v;
}

void ir_add_input(Graph *g, Value *v) {
  v->is_input = 1;
  push_value(g, &g->inputs, &g->ninputs, v);
}
void ir_add_output(Graph *g, Value *v) {
  /* the model's outputs become parameters of the generated function: each
   * once (a body may return one value twice, or its enclosing graph's) */
  for (int i = 0; !g->parent && v->is_output && i < g->noutputs; i++)
    if (g->outputs[i] == v) diag_fatal("graph output '%s' is listed twice", v->name);
  v->is_output = 1;
  push_value(g, &g->outputs, &g->noutputs, v);
}
void ir_add_init(Graph *g, Value *v) {
  v->is_init = 1;
  push_value(g, &g->inits, &g->ninits, v);
}

Function *ir_add_function(Graph *g, const char *domain, const char *name, Graph *body) {
  g->functions = arena_grow(g->arena, g->functions, &g->functions_cap, (size_t)g->nfunctions + 1,
                            sizeof *g->functions);
  Function *f = &g->functions[g->nfunctions++];
  memset(f, 0, sizeof *f);
  f->domain = arena_strdup(g->arena, domain ? domain : "");
  f->name = arena_strdup(g->arena, name ? name : "");
  f->body = body;
  return f;
}

const Function *ir_find_function(const Graph *g, const char *domain, const char *name) {
  while (g->parent) g = g->parent;
  if (!domain || !strcmp(domain, "ai.onnx")) domain = "";
  for (int i = 0; i < g->nfunctions; i++) {
    const char *d = g->functions[i].domain;
    if (!strcmp(d, "ai.onnx")) d = "";
    if (!strcmp(g->functions[i].name, name) && !strcmp(d, domain)) return &g->functions[i];
  }
  return NULL;
}

Node *ir_node_new(Graph *g, const char *op_type, const char *domain, const char *name, int nin,
                  int nout) {
  Node *n = arena_alloc(g->arena, sizeof *n);
  n->op_type = arena_strdup(g->arena, op_type ? op_type : "");
  n->domain = arena_strdup(g->arena, domain ? domain : "");
  n->name = arena_strdup(g->arena, name ? name : "");
  n->op = IR_OP_UNRESOLVED; /* the ops layer resolves it */
  n->opset = (int)ir_opset(g, n->domain);
  n->nin = nin;
  n->nout = nout;
  n->in = arena_array(g->arena, (size_t)(nin > 0 ? nin : 1), sizeof *n->in);
  n->out = arena_array(g->arena, (size_t)(nout > 0 ? nout : 1), sizeof *n->out);
  n->index = g->nnodes;
  g->nodes = arena_grow(g->arena, g->nodes, &g->nodes_cap, (size_t)g->nnodes + 1, sizeof *g->nodes);
  g->nodes[g->nnodes++] = n;
  return n;
}

Attr *ir_attr_add(Graph *g, Node *n, const char *name, AttrKind kind) {
  /* lookups are linear: a real node has a few dozen at most */
  if (n->nattrs == IR_MAX_ATTRS)
    diag_node_fatal(n, "the node has more than %d attributes", IR_MAX_ATTRS);
  n->attrs = arena_grow(g->arena, n->attrs, &n->attrs_cap, (size_t)n->nattrs + 1, sizeof *n->attrs);
  Attr *a = &n->attrs[n->nattrs++];
  a->name = arena_strdup(g->arena, name);
  a->kind = kind;
  return a;
}

void ir_move_appended(Graph *g, int first, int pos) {
  int k = g->nnodes - first;
  if (k <= 0 || pos == first) return;
  Node **tail = arena_array(g->arena, (size_t)k, sizeof *tail);
  memcpy(tail, g->nodes + first, (size_t)k * sizeof *tail);
  memmove(g->nodes + pos + k, g->nodes + pos, (size_t)(first - pos) * sizeof *g->nodes);
  memcpy(g->nodes + pos, tail, (size_t)k * sizeof *tail);
}

void ir_remove_dead_nodes(Graph *g) {
  int k = 0;
  for (int i = 0; i < g->nnodes; i++)
    if (!g->nodes[i]->dead) g->nodes[k++] = g->nodes[i];
  g->nnodes = k;
  ir_rebuild_uses(g);
}

/* ---- attributes ----------------------------------------------------------- */

const Attr *ir_attr(const Node *n, const char *name) {
  for (int i = 0; i < n->nattrs; i++)
    if (!strcmp(n->attrs[i].name, name)) return &n->attrs[i];
  return NULL;
}

static const char *attr_kind_name(AttrKind k) {
  static const char *const names[] = {
      [AK_FLOAT] = "a float",   [AK_INT] = "an int",      [AK_STRING] = "a string",
      [AK_TENSOR] = "a tensor", [AK_GRAPH] = "a graph",   [AK_FLOATS] = "floats",
      [AK_INTS] = "ints",       [AK_STRINGS] = "strings", [AK_TENSORS] = "tensors",
      [AK_GRAPHS] = "graphs"};
  return k > 0 && k <= AK_GRAPHS ? names[k] : "of another kind";
}

static const Attr *attr_kind(const Node *n, const char *name, AttrKind k) {
  const Attr *a = ir_attr(n, name);
  if (a && a->kind != k)
    diag_node_fatal(n, "attribute '%s' is %s, expected %s", name, attr_kind_name(a->kind),
                    attr_kind_name(k));
  return a;
}

int64_t attr_i(const Node *n, const char *name, int64_t def) {
  const Attr *a = attr_kind(n, name, AK_INT);
  return a ? a->i : def;
}

double attr_f(const Node *n, const char *name, double def) {
  const Attr *a = attr_kind(n, name, AK_FLOAT);
  return a ? a->f : def;
}

const char *attr_s(const Node *n, const char *name, const char *def) {
  const Attr *a = attr_kind(n, name, AK_STRING);
  return a ? a->s : def;
}

int attr_ints(const Node *n, const char *name, const int64_t **out) {
  const Attr *a = attr_kind(n, name, AK_INTS);
  if (!a) return -1;
  *out = a->ints;
  return a->n;
}

int attr_floats(const Node *n, const char *name, const double **out) {
  const Attr *a = attr_kind(n, name, AK_FLOATS);
  if (!a) return -1;
  *out = a->floats;
  return a->n;
}

/* ---- uses and order -------------------------------------------------------- */

static void add_user(Graph *g, Value *v, Node *n) {
  v->users = arena_grow(g->arena, v->users, &v->users_cap, (size_t)v->nusers + 1, sizeof *v->users);
  v->users[v->nusers++] = n;
}

void ir_rebuild_uses(Graph *g) {
  for (int i = 0; i < g->nvalues; i++) {
    g->values[i]->nusers = 0;
    if (!g->values[i]->is_input && !g->values[i]->is_init) g->values[i]->producer = NULL;
  }
  for (int i = 0; i < g->nnodes; i++) {
    Node *n = g->nodes[i];
    for (int j = 0; j < n->nin; j++)
      if (n->in[j]) add_user(g, n->in[j], n);
    for (int j = 0; j < n->nout; j++)
      if (n->out[j]) n->out[j]->producer = n;
  }
}

/* Edges a -> b beyond the input lists: b's subgraphs read a value of a. */
typedef struct Implicit {
  int *head; /* by node of g: first edge from it, or -1 */
  int *to, *next;
  int n;
  size_t cap_to, cap_next;
} Implicit;

static int in_graph(const Graph *g, const Node *p) {
  return p && p->pos >= 0 && p->pos < g->nnodes && g->nodes[p->pos] == p;
}

/* A body sees the values of its enclosing graphs, so node i of g depends on
 * the producers in g of every value its subgraphs (at any depth) read: an
 * If may come before the node that makes what its branch reads, or read,
 * through the branch, a value made from its own output. */
static void implicit_deps(Graph *g, const Graph *sub, int i, Implicit *e, int *pending) {
  for (int k = 0; k < sub->nnodes; k++) {
    const Node *m = sub->nodes[k];
    for (int j = 0; j < m->nin; j++) {
      const Value *v = m->in[j];
      if (!v || !in_graph(g, v->producer)) continue;
      if (v->producer == g->nodes[i])
        diag_node_fatal(g->nodes[i],
                        "tensor '%s' is both an output of the node and read by "
                        "its subgraph",
                        v->name);
      e->to = arena_grow(g->arena, e->to, &e->cap_to, (size_t)e->n + 1, sizeof *e->to);
      e->next = arena_grow(g->arena, e->next, &e->cap_next, (size_t)e->n + 1, sizeof *e->next);
      e->to[e->n] = i;
      e->next[e->n] = e->head[v->producer->pos];
      e->head[v->producer->pos] = e->n++;
      pending[i]++;
    }
    for (int a = 0; a < m->nattrs; a++) {
      const Attr *at = &m->attrs[a];
      if (at->kind == AK_GRAPH && at->g) implicit_deps(g, at->g, i, e, pending);
      for (int q = 0; at->kind == AK_GRAPHS && q < at->n; q++)
        implicit_deps(g, at->graphs[q], i, e, pending);
    }
  }
}

/* Kahn's algorithm, stable: among ready nodes, the earliest in the source
 * goes first, so a well-ordered model keeps its order. */
void ir_toposort(Graph *g) {
  ir_rebuild_uses(g);
  int nn = g->nnodes;
  if (!nn) return;
  int *pending = arena_array(g->arena, (size_t)nn, sizeof *pending);
  for (int i = 0; i < nn; i++) g->nodes[i]->pos = i;
  for (int i = 0; i < nn; i++) {
    Node *n = g->nodes[i];
    for (int j = 0; j < n->nin; j++) {
      Value *v = n->in[j];
      /* values of an enclosing graph are ready before this graph runs */
      int local = v && v->producer && v->producer->pos >= 0 && v->producer->pos < nn &&
                  g->nodes[v->producer->pos] == v->producer;
      if (local && v->producer != n) pending[i]++;
      if (v && v->producer == n)
        diag_node_fatal(n, "tensor '%s' is both an input and an output of the node", v->name);
    }
  }
  Implicit imp = {arena_array(g->arena, (size_t)nn, sizeof *imp.head), NULL, NULL, 0, 0, 0};
  for (int i = 0; i < nn; i++) imp.head[i] = -1;
  for (int i = 0; i < nn; i++) {
    const Node *n = g->nodes[i];
    for (int a = 0; a < n->nattrs; a++) {
      const Attr *at = &n->attrs[a];
      if (at->kind == AK_GRAPH && at->g) implicit_deps(g, at->g, i, &imp, pending);
      for (int q = 0; at->kind == AK_GRAPHS && q < at->n; q++)
        implicit_deps(g, at->graphs[q], i, &imp, pending);
    }
  }
  Node **order = arena_array(g->arena, (size_t)nn, sizeof *order);
  int *heap = arena_array(g->arena, (size_t)nn, sizeof *heap); /* min-heap */
  int hn = 0, done = 0;
#define HPUSH(x)                                  \
  do {                                            \
    int c_ = hn++;                                \
    heap[c_] = (x);                               \
    while (c_ && heap[(c_ - 1) / 2] > heap[c_]) { \
      int t_ = heap[c_];                          \
      heap[c_] = heap[(c_ - 1) / 2];              \
      heap[(c_ - 1) / 2] = t_;                    \
      c_ = (c_ - 1) / 2;                          \
    }                                             \
  } while (0)
  for (int i = 0; i < nn; i++)
    if (!pending[i]) HPUSH(i);
  while (hn) {
    int top = heap[0];
    heap[0] = heap[--hn];
    for (int c = 0;;) {
      int l = 2 * c + 1, r = l + 1, m = c;
      if (l < hn && heap[l] < heap[m]) m = l;
      if (r < hn && heap[r] < heap[m]) m = r;
      if (m == c) break;
      int t = heap[c];
      heap[c] = heap[m];
      heap[m] = t;
      c = m;
    }
    Node *n = g->nodes[top];
    order[done++] = n;
    /* users holds a node once per input slot that reads v, as pending counts */
    for (int j = 0; j < n->nout; j++) {
      Value *v = n->out[j];
      for (int u = 0; v && u < v->nusers; u++) {
        int k = v->users[u]->pos;
        if (--pending[k] == 0) HPUSH(k);
      }
    }
    for (int x = imp.head[top]; x >= 0; x = imp.next[x])
      if (--pending[imp.to[x]] == 0) HPUSH(imp.to[x]);
  }
#undef HPUSH
  if (done != nn) {
    for (int i = 0; i < nn; i++)
      if (pending[i]) {
        diag_node_fatal(g->nodes[i],
                        "the graph has a cycle through this node (its inputs "
                        "depend on its own outputs)");
      }
  }
  memcpy(g->nodes, order, (size_t)nn * sizeof *order);
}

/* ---- shapes ---------------------------------------------------------------- */

int64_t ir_numel(const Value *v) {
  int64_t n = 1;
  for (int i = 0; i < v->rank; i++) n *= v->dims[i];
  return n;
}

size_t ir_nbytes(const Value *v) { return (size_t)ir_numel(v) * dtype_size(v->dtype); }

int ir_same_shape(const Value *a, const Value *b) {
  if (a->rank != b->rank) return 0;
  for (int i = 0; i < a->rank; i++)
    if (a->dims[i] != b->dims[i]) return 0;
  return 1;
}

/* "1x3x224x224"; with a symbolic dim "[batch,3,?]" */
char *ir_shape_str(Arena *a, const Value *v) {
  if (v->rank < 0) return arena_strdup(a, "?");
  if (v->rank == 0) return arena_strdup(a, "scalar");
  int sym = 0;
  for (int i = 0; i < v->rank; i++) sym |= v->dim_param[i] || v->dims[i] < 0;
  char buf[256] = "";
  size_t len = sym ? (size_t)snprintf(buf, sizeof buf, "[") : 0;
  const char *sep = sym ? "," : "x";
  for (int i = 0; i < v->rank && len < sizeof buf - 48; i++) {
    if (v->dim_param[i])
      len +=
          (size_t)snprintf(buf + len, sizeof buf - len, "%s%.40s", i ? sep : "", v->dim_param[i]);
    else if (v->dims[i] < 0)
      len += (size_t)snprintf(buf + len, sizeof buf - len, "%s?", i ? sep : "");
    else
      len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%" PRId64, i ? sep : "", v->dims[i]);
  }
  if (sym && len < sizeof buf - 1) snprintf(buf + len, sizeof buf - len, "]");
  return arena_strdup(a, buf);
}

void ir_set_shape(Value *v, int rank, const int64_t *dims) {
  MLC_ASSERT(rank >= 0 && rank <= IR_MAX_RANK);
  v->rank = rank;
  for (int i = 0; i < rank; i++) {
    v->dims[i] = dims[i];
    v->dim_param[i] = NULL;
  }
}

void ir_copy_type(Value *dst, const Value *src) {
  dst->dtype = src->dtype;
  dst->rank = src->rank;
  memcpy(dst->dims, src->dims, sizeof dst->dims);
  memcpy(dst->dim_param, src->dim_param, sizeof dst->dim_param);
}

/* ---- constant values --------------------------------------------------------- */

void *ir_alloc_data(Graph *g, Value *v) {
  size_t n = ir_nbytes(v);
  v->data = arena_alloc(g->arena, n ? n : 1);
  return v->data;
}

int64_t ir_data_i64(const Value *v, int64_t i) {
  const void *d = v->data;
  switch (v->dtype) {
  case DT_INT64: return ((const int64_t *)d)[i];
  case DT_INT32: return ((const int32_t *)d)[i];
  case DT_INT16: return ((const int16_t *)d)[i];
  case DT_INT8:
  case DT_INT4:
  case DT_INT2: return ((const int8_t *)d)[i];
  case DT_UINT8:
  case DT_BOOL:
  case DT_UINT4:
  case DT_UINT2: return ((const uint8_t *)d)[i];
  case DT_UINT16: return ((const uint16_t *)d)[i];
  case DT_UINT32: return ((const uint32_t *)d)[i];
  case DT_UINT64: return (int64_t)((const uint64_t *)d)[i];
  case DT_FLOAT: return (int64_t)((const float *)d)[i];
  case DT_DOUBLE: return (int64_t)((const double *)d)[i];
  default: return 0;
  }
}

double ir_data_f64(const Value *v, int64_t i) {
  switch (v->dtype) {
  case DT_FLOAT: return ((const float *)v->data)[i];
  case DT_DOUBLE: return ((const double *)v->data)[i];
  default:
    if (dtype_is_float(v->dtype)) {
      /* the float formats C has no type for, decoded by the runtime's Cast */
      double d;
      MlcCast p = {.count = 1, .from = v->dtype, .to = DT_DOUBLE};
      void *io[MLC_CAST_NIO] = {
          [MLC_CAST_X] = (char *)v->data + (size_t)i * dtype_size(v->dtype), [MLC_CAST_Y] = &d};
      mlc_rt_cast(&p, io);
      return d;
    }
    return (double)ir_data_i64(v, i);
  }
}

int ir_tensor_to_value(Graph *g, const Tensor *t, Value *v) {
  v->dtype = t->dtype;
  ir_set_shape(v, t->rank, t->dims);
  size_t n = ir_nbytes(v);
  if (n != t->nbytes) return -1;
  ir_alloc_data(g, v);
  if (t->dtype == DT_STRING) { /* the strings themselves move to the graph's arena too */
    for (int64_t i = 0; i < ir_numel(v); i++)
      ((const char **)v->data)[i] = arena_strdup(g->arena, ((const char *const *)t->data)[i]);
  } else if (n) {
    memcpy(v->data, t->data, n);
  }
  return 0;
}

int64_t ir_string_bytes = IR_STRING_BYTES_DEFAULT;

Value *ir_string_region(Graph *g) {
  while (g->parent) g = g->parent;
  if (!g->strings) {
    g->strings = ir_value_new(g, NULL);
    g->strings->dtype = DT_UINT8;
    ir_set_shape(g->strings, 1, &ir_string_bytes);
  }
  return g->strings;
}

/* ---- checks ------------------------------------------------------------------- */

void ir_check(const Graph *g) {
  for (int i = 0; i < g->nnodes; i++) g->nodes[i]->pos = i;
  for (int i = 0; i < g->nnodes; i++) {
    const Node *n = g->nodes[i];
    MLC_ASSERT(!n->dead);
    for (int j = 0; j < n->nout; j++) {
      const Value *v = n->out[j];
      if (!v) continue;
      MLC_ASSERT(v->producer == n);
      MLC_ASSERT(!v->is_input && !v->is_init);
    }
    for (int j = 0; j < n->nin; j++) {
      const Value *v = n->in[j];
      /* a producer comes earlier in the schedule */
      if (v && v->producer) MLC_ASSERT(v->producer->pos < i);
    }
  }
  for (int i = 0; i < g->noutputs; i++) MLC_ASSERT(g->outputs[i]->is_output);
}
