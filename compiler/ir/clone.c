#include "clone.h"

#include <stdint.h>
#include <string.h>

#include "diag.h"

static size_t slot_of(const CloneMap *m, const Value *v) {
  uintptr_t h = (uintptr_t)v;
  h ^= h >> 17;
  h *= (uintptr_t)0x9E3779B97F4A7C15ull;
  return (size_t)(h >> 7) & (m->cap - 1);
}

void clone_map_init(CloneMap *m, Graph *g, const Node *caller, const Function *fn) {
  memset(m, 0, sizeof *m);
  m->g = g;
  m->caller = caller;
  m->fn = fn;
}

void clone_map_set(CloneMap *m, const Value *from, Value *to) {
  if ((m->count + 1) * 2 > m->cap) {
    CloneMap old = *m;
    m->cap = m->cap ? m->cap * 2 : 64;
    m->from = arena_array(m->g->arena, m->cap, sizeof *m->from);
    m->to = arena_array(m->g->arena, m->cap, sizeof *m->to);
    m->count = 0;
    for (size_t i = 0; i < old.cap; i++)
      if (old.from[i]) clone_map_set(m, old.from[i], old.to[i]);
  }
  size_t j = slot_of(m, from);
  while (m->from[j] && m->from[j] != from) j = (j + 1) & (m->cap - 1);
  if (!m->from[j]) m->count++;
  m->from[j] = (Value *)from;
  m->to[j] = to;
}

Value *clone_mapped(const CloneMap *m, Value *v) {
  if (!v || !m->cap) return v;
  size_t j = slot_of(m, v);
  while (m->from[j]) {
    if (m->from[j] == v) return m->to[j];
    j = (j + 1) & (m->cap - 1);
  }
  return v; /* a value of an enclosing graph: shared */
}

static Value *copy_value(Graph *dst, const Value *src, const char *name) {
  Value *v = ir_value_new(dst, name);
  ir_copy_type(v, src);
  v->data = src->data;
  return v;
}

static Graph *clone_graph(Graph *parent, const Graph *src, CloneMap *m);

/* an attribute of a function body naming one of the call's: the call's value,
 * else the function's default; 0 if neither (the attribute is left out) */
static int resolve_ref(const CloneMap *m, Attr *a) {
  const Attr *given = m->caller ? ir_attr(m->caller, a->ref_attr_name) : NULL;
  const char *name = a->name;
  if (given) {
    *a = *given;
  } else {
    const Attr *def = NULL;
    for (int i = 0; m->fn && i < m->fn->nattrs; i++)
      if (!strcmp(m->fn->attrs[i].name, a->ref_attr_name)) def = &m->fn->attrs[i];
    if (!def || def->kind == AK_UNDEF) return 0;
    *a = *def;
  }
  a->name = name;
  a->ref_attr_name = NULL;
  return 1;
}

static Node *clone_node(Graph *dst, const Node *src, CloneMap *m, const char *prefix) {
  const char *name = !*prefix     ? src->name
                     : *src->name ? arena_printf(dst->arena, "%s/%s", prefix, src->name)
                                  : prefix;
  Node *n = ir_node_new(dst, src->op_type, src->domain, name, src->nin, src->nout);
  n->op = src->op;
  n->opset = src->opset;
  n->index = src->index;
  n->doc = src->doc;
  for (int i = 0; i < src->nin; i++) n->in[i] = clone_mapped(m, src->in[i]);
  for (int i = 0; i < src->nout; i++) {
    Value *o = src->out[i];
    if (!o) continue;
    Value *c = clone_mapped(m, o);
    if (c == o) {
      c = copy_value(dst, o, "");
      clone_map_set(m, o, c);
    }
    n->out[i] = c;
  }
  n->attrs = arena_array(dst->arena, (size_t)src->nattrs + 1, sizeof *n->attrs);
  n->attrs_cap = (size_t)src->nattrs + 1;
  for (int i = 0; i < src->nattrs; i++) {
    Attr *a = &n->attrs[n->nattrs];
    *a = src->attrs[i];
    if (a->ref_attr_name && m->caller && !resolve_ref(m, a)) continue;
    if (a->kind == AK_GRAPH && a->g) a->g = clone_graph(dst, a->g, m);
    if (a->kind == AK_GRAPHS) {
      Graph **gs = arena_array(dst->arena, (size_t)a->n + 1, sizeof *gs);
      for (int k = 0; k < a->n; k++) gs[k] = clone_graph(dst, a->graphs[k], m);
      a->graphs = gs;
    }
    n->nattrs++;
  }
  return n;
}

/* a nested subgraph, its references to the cloned body redirected */
static Graph *clone_graph(Graph *parent, const Graph *src, CloneMap *m) {
  Graph *c = ir_graph_new(parent->arena, parent);
  c->name = src->name;
  for (int i = 0; i < src->nvalues; i++)
    clone_map_set(m, src->values[i], copy_value(c, src->values[i], src->values[i]->name));
  for (int i = 0; i < src->ninputs; i++) ir_add_input(c, clone_mapped(m, src->inputs[i]));
  for (int i = 0; i < src->ninits; i++) ir_add_init(c, clone_mapped(m, src->inits[i]));
  for (int i = 0; i < src->nnodes; i++) clone_node(c, src->nodes[i], m, "");
  for (int i = 0; i < src->noutputs; i++) ir_add_output(c, clone_mapped(m, src->outputs[i]));
  return c;
}

void clone_body(Graph *dst, const Graph *body, CloneMap *m, Value *const *ins, Value **outs,
                const char *prefix) {
  for (int i = 0; i < body->ninputs; i++) clone_map_set(m, body->inputs[i], ins[i]);
  for (int i = 0; i < body->ninits; i++)
    clone_map_set(m, body->inits[i], copy_value(dst, body->inits[i], ""));
  for (int i = 0; i < body->nnodes; i++) clone_node(dst, body->nodes[i], m, prefix);
  for (int i = 0; i < body->noutputs; i++) outs[i] = clone_mapped(m, body->outputs[i]);
}
