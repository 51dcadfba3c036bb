/* Common-subexpression elimination.
 *
 * Constants first: two constants (values with data and no producer:
 * initializers, and results that folding left) of the same type, shape and
 * bytes are one; readers of the later ones read the first. Exporters repeat
 * the same small tensors (axes, shapes, 0.5, 1.0) per layer, and folding
 * makes more of them.
 *
 * Then nodes, in schedule order: a node with the same op, opset, inputs
 * (after merging, so chains of duplicates collapse in one walk) and equal
 * attributes (values compared, tensors by their bytes) as an earlier node
 * computes the same thing; readers of its outputs read the earlier node's.
 * The table has no op that draws random numbers, so equal inputs mean
 * equal outputs. Nodes with subgraph attributes are never merged, nor is a
 * node whose output is a graph output (the output keeps its name); an
 * earlier node may be a graph output and feed the later one's readers.
 *
 * Both use a hash table over the candidates seen so far (FNV-1a over 64-bit
 * words), so the pass is linear in the graph and in the constants' bytes. */
#include <math.h>
#include <string.h>

#include "ops.h"
#include "passes.h"

#define FNV_PRIME 1099511628211ull
#define FNV_BASIS 1469598103934665603ull

static uint64_t mix(uint64_t h, uint64_t x) { return (h ^ x) * FNV_PRIME; }

/* word by word: weights run to hundreds of megabytes */
static uint64_t hash_bytes(uint64_t h, const void *p, size_t n) {
  const unsigned char *b = p;
  size_t i = 0;
  for (uint64_t w; i + sizeof w <= n; i += sizeof w) {
    memcpy(&w, b + i, sizeof w);
    h = mix(h, w);
  }
  for (; i < n; i++) h = mix(h, b[i]);
  return h;
}

/* ---- an open-addressing table of pointers with their hashes --------------- */

typedef struct Table {
  void **items;
  uint64_t *hashes;
  size_t cap;
} Table;

static Table table_new(Graph *g, int count) {
  Table t = {0};
  t.cap = 16;
  while (t.cap < (size_t)count * 2) t.cap *= 2;
  t.items = arena_array(g->arena, t.cap, sizeof *t.items);
  t.hashes = arena_array(g->arena, t.cap, sizeof *t.hashes);
  return t;
}

/* the first item with hash h that `same` accepts; else x goes in and is returned */
static void *table_find_or_add(Table *t, uint64_t h, void *x,
                               int (*same)(const void *a, const void *b)) {
  size_t j = h & (t->cap - 1);
  for (; t->items[j]; j = (j + 1) & (t->cap - 1))
    if (t->hashes[j] == h && same(t->items[j], x)) return t->items[j];
  t->items[j] = x;
  t->hashes[j] = h;
  return x;
}

/* ---- constants ------------------------------------------------------------- */

/* a value that follows a run-time dim is no constant to merge: its equal at
 * one point differs at another */
static int is_const(const Value *v) {
  return v && v->data && !v->producer && v->dtype != DT_STRING && !v->dim_valued;
}

static uint64_t const_hash(const Value *v) {
  uint64_t h = mix(mix(FNV_BASIS, (uint64_t)v->dtype), (uint64_t)v->rank);
  for (int d = 0; d < v->rank; d++) h = mix(h, (uint64_t)v->dims[d]);
  return hash_bytes(h, v->data, ir_nbytes(v));
}

static int same_const(const void *a, const void *b) {
  const Value *x = a, *y = b;
  return x->dtype == y->dtype && ir_same_shape(x, y) && !memcmp(x->data, y->data, ir_nbytes(x));
}

static void merge_constants(Graph *g) {
  Table t = table_new(g, g->nvalues);
  for (int i = 0; i < g->nnodes; i++) {
    Node *n = g->nodes[i];
    for (int j = 0; j < n->nin; j++) {
      Value *v = n->in[j];
      if (!is_const(v)) continue;
      Value *c = table_find_or_add(&t, const_hash(v), v, same_const);
      if (c != v) rw_set_input(g, n, j, c);
    }
  }
}

/* ---- nodes -------------------------------------------------------------------- */

static int same_tensor(const Tensor *a, const Tensor *b) {
  if (a->dtype != b->dtype || a->rank != b->rank || a->nbytes != b->nbytes) return 0;
  for (int d = 0; d < a->rank; d++)
    if (a->dims[d] != b->dims[d]) return 0;
  if (a->dtype != DT_STRING) return !a->nbytes || !memcmp(a->data, b->data, a->nbytes);
  const char *const *x = a->data, *const *y = b->data;
  for (size_t i = 0; i < a->nbytes / sizeof *x; i++)
    if (strcmp(x[i], y[i])) return 0;
  return 1;
}

static int same_double(double a, double b) { return a == b || (isnan(a) && isnan(b)); }

static int same_attr(const Attr *a, const Attr *b) {
  if (a->kind != b->kind || a->ref_attr_name || b->ref_attr_name) return 0;
  switch (a->kind) {
  case AK_FLOAT: return same_double(a->f, b->f);
  case AK_INT: return a->i == b->i;
  case AK_STRING: return !strcmp(a->s, b->s);
  case AK_TENSOR: return same_tensor(a->t, b->t);
  default: break;
  }
  if (a->n != b->n) return 0;
  for (int i = 0; i < a->n; i++) {
    int eq;
    switch (a->kind) {
    case AK_FLOATS: eq = same_double(a->floats[i], b->floats[i]); break;
    case AK_INTS: eq = a->ints[i] == b->ints[i]; break;
    case AK_STRINGS: eq = !strcmp(a->strings[i], b->strings[i]); break;
    case AK_TENSORS: eq = same_tensor(a->tensors[i], b->tensors[i]); break;
    default: return 0; /* graphs and the rest: never merged */
    }
    if (!eq) return 0;
  }
  return 1;
}

static int same_node(const void *pa, const void *pb) {
  const Node *a = pa, *b = pb;
  if (a->dead || a->op != b->op || a->opset != b->opset || a->nin != b->nin || a->nout != b->nout ||
      a->nattrs != b->nattrs)
    return 0;
  for (int i = 0; i < a->nin; i++)
    if (a->in[i] != b->in[i]) return 0;
  /* the earlier node must have every output the later one has */
  for (int j = 0; j < a->nout; j++)
    if (!a->out[j] != !b->out[j]) return 0;
  for (int k = 0; k < a->nattrs; k++) {
    const Attr *o = ir_attr(b, a->attrs[k].name);
    if (!o || !same_attr(&a->attrs[k], o)) return 0;
  }
  return 1;
}

static uint64_t node_hash(const Node *n) {
  uint64_t h = mix(mix(mix(FNV_BASIS, (uint64_t)n->op), (uint64_t)n->opset), (uint64_t)n->nin);
  for (int i = 0; i < n->nin; i++) h = mix(h, n->in[i] ? (uint64_t)n->in[i]->id + 1 : 0);
  return h;
}

static int candidate(const Node *n) {
  if (n->op == OP_UNKNOWN || !optab[n->op].flags) return 0; /* control flow */
  for (int k = 0; k < n->nattrs; k++)
    if (n->attrs[k].kind == AK_GRAPH || n->attrs[k].kind == AK_GRAPHS) return 0;
  return 1;
}

static int has_graph_output(const Node *n) {
  for (int j = 0; j < n->nout; j++)
    if (n->out[j] && n->out[j]->is_output) return 1;
  return 0;
}

void pass_cse(Graph *g) {
  ir_rebuild_uses(g);
  merge_constants(g);
  Table t = table_new(g, g->nnodes);
  for (int i = 0; i < g->nnodes; i++) {
    Node *n = g->nodes[i];
    if (n->dead || !candidate(n)) continue;
    Node *m = table_find_or_add(&t, node_hash(n), n, same_node);
    if (m == n || has_graph_output(n)) continue;
    for (int j = 0; j < n->nout; j++)
      if (n->out[j]) rw_replace_uses(g, n->out[j], m->out[j]);
    rw_kill(n);
  }
  ir_remove_dead_nodes(g);
}
