/* Rewriting helpers shared by the passes (declared in passes.h).
 *
 * Use lists are kept exact through every rewrite: a value's users array
 * holds a node once per input slot that reads it, as ir_rebuild_uses builds
 * it. Passes decide on "this value has one consumer" many times while they
 * rewrite, and rebuilding the lists after each change would make them
 * quadratic; and a node that loses its last consumer is killed on the spot,
 * so the next match does not see a stale reader. */
#include <string.h>

#include "diag.h"
#include "ops.h"
#include "passes.h"

static void add_user(Graph *g, Value *v, Node *n) {
  v->users = arena_grow(g->arena, v->users, &v->users_cap, (size_t)v->nusers + 1, sizeof *v->users);
  v->users[v->nusers++] = n;
}

static void drop_user(Value *v, const Node *n) {
  for (int u = 0; u < v->nusers; u++)
    if (v->users[u] == n) {
      v->users[u] = v->users[--v->nusers];
      return;
    }
  MLC_ASSERT(!"a node missing from the use list of its input");
}

Node *rw_sole_user(const Value *v) {
  if (!v || v->is_output || !v->nusers) return NULL;
  for (int u = 1; u < v->nusers; u++)
    if (v->users[u] != v->users[0]) return NULL;
  return v->users[0];
}

static int unused(const Value *v) { return !v || (!v->nusers && !v->is_output); }

/* v lost a reader: its producer goes when nothing reads any of its outputs */
static void released(Value *v) {
  Node *p = v->producer;
  if (!p || p->dead || !unused(v)) return;
  for (int j = 0; j < p->nout; j++)
    if (!unused(p->out[j])) return;
  rw_kill(p);
}

void rw_set_input(Graph *g, Node *n, int i, Value *v) {
  Value *old = n->in[i];
  if (old == v) return;
  n->in[i] = v;
  if (v) add_user(g, v, n);
  if (old) {
    drop_user(old, n);
    released(old);
  }
}

void rw_set_output(Node *n, int j, Value *v) {
  n->out[j] = v;
  v->producer = n;
}

void rw_replace_uses(Graph *g, Value *from, Value *to) {
  MLC_ASSERT(!from->is_output && from != to);
  while (from->nusers) {
    Node *u = from->users[0];
    for (int i = 0; i < u->nin; i++)
      if (u->in[i] == from) rw_set_input(g, u, i, to);
  }
}

void rw_kill(Node *n) {
  if (n->dead) return;
  n->dead = 1;
  for (int i = 0; i < n->nin; i++)
    if (n->in[i]) drop_user(n->in[i], n);
  for (int i = 0; i < n->nin; i++)
    if (n->in[i]) released(n->in[i]);
}

/* a new node named after `at`, placed at `at`'s position plus `after` */
static Node *node_near(Graph *g, Node *at, int after, const char *op_type, int nin, int nout) {
  Node *n = op_node_new(g, op_type, "", at->name, nin, nout);
  n->index = at->index;
  n->inferred = 1;
  int k = g->nnodes - 1;
  while (k > 0 && g->nodes[k - 1] != at) k--;
  MLC_ASSERT(k > 0);
  k -= !after; /* the slot n goes to */
  memmove(g->nodes + k + 1, g->nodes + k, (size_t)(g->nnodes - 1 - k) * sizeof *g->nodes);
  g->nodes[k] = n;
  return n;
}

Node *rw_node_before(Graph *g, Node *at, const char *op_type, int nin, int nout) {
  return node_near(g, at, 0, op_type, nin, nout);
}

Node *rw_node_after(Graph *g, Node *at, const char *op_type, int nin, int nout) {
  return node_near(g, at, 1, op_type, nin, nout);
}

Value *rw_value(Graph *g, DType t, int rank, const int64_t *dims) {
  Value *v = ir_value_new(g, NULL);
  v->dtype = t;
  ir_set_shape(v, rank, dims);
  return v;
}

Value *rw_const(Graph *g, DType t, int rank, const int64_t *dims) {
  Value *v = rw_value(g, t, rank, dims);
  ir_alloc_data(g, v);
  return v;
}

int rw_numeric_const(const Value *v) {
  /* ir_data_f64 reads the integer types, bool, float and double */
  return v && v->data && dtype_size(v->dtype) && v->dtype != DT_STRING && v->dtype != DT_FLOAT16 &&
         v->dtype != DT_BFLOAT16 && v->dtype < DT_COMPLEX64;
}

int rw_scalar(const Value *v, double *x) {
  if (!rw_numeric_const(v) || ir_numel(v) != 1) return 0;
  *x = ir_data_f64(v, 0);
  return 1;
}

static Attr *attr_slot(Graph *g, Node *n, const char *name, AttrKind kind) {
  for (int i = 0; i < n->nattrs; i++)
    if (!strcmp(n->attrs[i].name, name)) {
      memset(&n->attrs[i], 0, sizeof n->attrs[i]);
      n->attrs[i].name = name;
      n->attrs[i].kind = kind;
      return &n->attrs[i];
    }
  return ir_attr_add(g, n, name, kind);
}

void rw_attr_ints(Graph *g, Node *n, const char *name, const int64_t *v, int k) {
  int64_t *copy = arena_array(g->arena, (size_t)k + 1, sizeof *copy);
  memcpy(copy, v, (size_t)k * sizeof *copy);
  Attr *a = attr_slot(g, n, name, AK_INTS);
  a->ints = copy;
  a->n = k;
}

void rw_attr_int(Graph *g, Node *n, const char *name, int64_t v) {
  attr_slot(g, n, name, AK_INT)->i = v;
}

void rw_attr_float(Graph *g, Node *n, const char *name, double v) {
  attr_slot(g, n, name, AK_FLOAT)->f = v;
}

void rw_attr_string(Graph *g, Node *n, const char *name, const char *s) {
  attr_slot(g, n, name, AK_STRING)->s = arena_strdup(g->arena, s);
}

int rw_perm(const Node *t, int *perm) {
  int r = t->in[0]->rank;
  const int64_t *p;
  if (attr_ints(t, "perm", &p) < 0)
    for (int i = 0; i < r; i++) perm[i] = r - 1 - i;
  else
    for (int i = 0; i < r; i++) perm[i] = (int)p[i]; /* validated by inference */
  return r;
}

int rw_merge_transposes(Graph *g, Node *t2) {
  Node *t1 = t2->in[0]->producer;
  if (!t1 || t1->dead || t1->op != OP_Transpose) return 0;
  int p1[IR_MAX_RANK], p2[IR_MAX_RANK];
  int64_t p[IR_MAX_RANK];
  int r = rw_perm(t1, p1), ident = 1;
  rw_perm(t2, p2);
  /* t2(t1(x))[i...] moves axis p2[i] of t1's output, which is axis p1[p2[i]] of x */
  for (int i = 0; i < r; i++) {
    p[i] = p1[p2[i]];
    ident &= p[i] == i;
  }
  rw_attr_ints(g, t2, "perm", p, r);
  rw_set_input(g, t2, 0, t1->in[0]);
  if (ident) rw_bypass(g, t2, t2->in[0]);
  return 1;
}

int rw_bypass(Graph *g, Node *n, Value *x) {
  Value *y = n->out[0];
  if (!y->is_output) {
    rw_replace_uses(g, y, x);
    rw_kill(n);
    return 1;
  }
  /* a graph output keeps its value: x's producer makes it instead */
  Node *p = x->producer;
  if (!p || p->dead || x->data || x->is_input || rw_sole_user(x) != n) return 0;
  for (int j = 0; j < p->nout; j++)
    if (p->out[j] == x) rw_set_output(p, j, y);
  rw_kill(n);
  return 1;
}

Node *rw_fuse_body(Graph *g, const char *op, const char *body_name, Node **members, int n, int at) {
  Node *sink = members[n - 1];
  Graph *body = ir_graph_new(g->arena, g);
  body->name = body_name;
  int total = 0, nins = 0;
  for (int k = 0; k < n; k++) total += members[k]->nin;
  Value **ins = arena_array(g->arena, (size_t)total + 1, sizeof *ins);
  for (int k = 0; k < n; k++) {
    Node *m = members[k];
    for (int j = 0; j < m->nin; j++) {
      Value *v = m->in[j];
      int inner = 0, seen = 0;
      for (int q = 0; q < n; q++) inner |= v && v->producer == members[q];
      for (int q = 0; q < nins; q++) seen |= ins[q] == v;
      if (v && !inner && !seen) ins[nins++] = v;
    }
  }
  Value *out = sink->out[0];
  Value *result = ir_value_new(body, NULL);
  ir_copy_type(result, out);
  sink->out[0] = result;
  result->producer = sink;
  ir_add_output(body, result);
  result->is_output = 0; /* a body result, not a graph output */
  Node *f = op_node_new(g, op, "mlc", sink->name, nins, 1);
  f->index = sink->index;
  f->pos = at;
  f->inferred = 1;
  memcpy(f->in, ins, (size_t)nins * sizeof *ins);
  f->out[0] = out;
  out->producer = f;
  ir_attr_add(g, f, "body", AK_GRAPH)->g = body;
  g->nnodes--; /* ir_node_new appended it: it takes the sink's place instead */
  g->nodes[at] = f;
  for (int k = 0; k < n; k++) {
    body->nodes = arena_grow(g->arena, body->nodes, &body->nodes_cap, (size_t)body->nnodes + 1,
                             sizeof *body->nodes);
    body->nodes[body->nnodes++] = members[k];
    if (members[k] != sink) members[k]->dead = 1;
  }
  return f;
}

void rw_revive_bodies(Graph *g, int op) {
  for (int i = 0; i < g->nnodes; i++) {
    if (g->nodes[i]->op != op) continue;
    Graph *body = ir_attr(g->nodes[i], "body")->g;
    for (int k = 0; k < body->nnodes; k++) body->nodes[k]->dead = 0;
  }
}
