/* The interpreter keeps one buffer per value (by id), allocated in the graph's
 * arena as nodes produce them: simple and obviously correct, which is what an
 * oracle for the generated code and the memory planner should be. Views share
 * their input's buffer. */
#include "interp.h"

#include <stdio.h>
#include <string.h>

#include "diag.h"
#include "ops.h"

typedef struct Buffers {
  Graph *g;
  void **ptr; /* by value id */
  size_t cap;
} Buffers;

static void **slot(Buffers *b, const Value *v) {
  size_t need = (size_t)v->id + 1;
  if (need > b->cap) {
    size_t old = b->cap;
    b->ptr = arena_grow(b->g->arena, b->ptr, &b->cap, need, sizeof *b->ptr);
    memset(b->ptr + old, 0, (b->cap - old) * sizeof *b->ptr);
  }
  return &b->ptr[v->id];
}

/* the buffer of v: its data if known, else what a call wrote, else a new
 * zeroed buffer (outputs and temporaries) */
static void *buffer_of(void *ctx, Value *v) {
  Buffers *b = ctx;
  if (v->data) return v->data;
  void **p = slot(b, v);
  if (!*p) {
    size_t n = ir_nbytes(v);
    *p = arena_alloc(b->g->arena, n ? n : 1);
  }
  return *p;
}

void interp_calls(const KCall *calls, int ncalls, void *(*buf)(void *ctx, Value *v), void *ctx) {
  for (int i = 0; i < ncalls; i++) {
    const KCall *c = &calls[i];
    void *io[KC_MAX_IO] = {0};
    for (int j = 0; j < c->nio; j++) io[j] = c->io[j] ? buf(ctx, c->io[j]) : NULL;
    ktab[c->kernel].fn(c->params, io);
  }
}

/* Did a string kernel run out of the string region? Its count is then -1
 * (runtime/mlc_rt_core.h). */
static int strings_overflowed(Buffers *b) {
  const Graph *top = b->g;
  while (top->parent) top = top->parent;
  if (!top->strings) return 0;
  void *r = *slot(b, top->strings);
  return r && *(const int64_t *)r < 0;
}

static void check_strings_node(Buffers *b, const Node *n) {
  if (strings_overflowed(b))
    diag_node_fatal(n,
                    "its strings need more than the %lld bytes of the string region "
                    "(mlc compile --string-bytes)",
                    (long long)ir_string_bytes);
}

/* runs n, whose input buffers are in b */
static void run_node(Buffers *b, Node *n) {
  const OpInfo *op = &optab[n->op];
  if (op->flags & OPF_VIEW) {
    void *src = buffer_of(b, n->in[0]);
    for (int j = 0; j < n->nout; j++)
      if (n->out[j] && j == 0) *slot(b, n->out[j]) = src;
    /* secondary outputs of views (Dropout's mask) are filled by infer */
    return;
  }
  Lowering L = {0};
  op->lower(b->g, n, &L);
  interp_calls(L.calls, L.ncalls, buffer_of, b);
}

void interp_node(Graph *g, Node *n) {
  Buffers b = {g, NULL, 0};
  run_node(&b, n);
  check_strings_node(&b, n);
  for (int j = 0; j < n->nout; j++) {
    Value *v = n->out[j];
    if (v && !v->data) v->data = buffer_of(&b, v);
  }
}

void interp_lowered(Graph *g, const Node *n, const Lowering *L, Value *const *outs, int nouts) {
  Buffers b = {g, NULL, 0};
  interp_calls(L->calls, L->ncalls, buffer_of, &b);
  check_strings_node(&b, n);
  for (int j = 0; j < nouts; j++)
    if (!outs[j]->data) outs[j]->data = buffer_of(&b, outs[j]);
}

static void check_input(const Value *v, const Tensor *t) {
  if (t->dtype != v->dtype)
    diag_fatal("input '%s' is %s, the model expects %s", v->name, dtype_name(t->dtype),
               dtype_name(v->dtype));
  int same = t->rank == v->rank;
  for (int i = 0; same && i < v->rank; i++) same = t->dims[i] == v->dims[i];
  if (!same) {
    Value tv = {0};
    ir_set_shape(&tv, t->rank, t->dims);
    char a[256], e[256];
    Arena *ar = arena_new();
    snprintf(a, sizeof a, "%s", ir_shape_str(ar, &tv));
    snprintf(e, sizeof e, "%s", ir_shape_str(ar, v));
    arena_free(ar);
    diag_fatal("input '%s' has shape %s, the model expects %s", v->name, a, e);
  }
}

void interp_actual_shape(const Graph *g, Tensor **outputs, int i) {
  const Value *v = g->outputs[i];
  for (int k = 0; k < g->noutputs; k++)
    if (g->outputs[k] == v->dyn_count) {
      int64_t n = *(const int64_t *)outputs[k]->data;
      if (n < 0 || n > v->dims[v->dyn_axis]) n = 0; /* never past the buffer */
      outputs[i]->dims[v->dyn_axis] = n;
      int64_t count = 1;
      for (int d = 0; d < v->rank; d++) count *= outputs[i]->dims[d];
      outputs[i]->nbytes = (size_t)count * dtype_size(v->dtype);
    }
}

void interp_run(Graph *g, Tensor *const *inputs, Tensor **outputs) {
  Buffers b = {g, NULL, 0};
  for (int i = 0; i < g->ninputs; i++) {
    check_input(g->inputs[i], inputs[i]);
    *slot(&b, g->inputs[i]) = inputs[i]->data;
  }
  for (int i = 0; i < g->nnodes; i++) {
    Node *n = g->nodes[i];
    int known = 1;
    for (int j = 0; j < n->nout; j++) known &= !n->out[j] || n->out[j]->data != NULL;
    if (!known) run_node(&b, n);
  }
  if (strings_overflowed(&b))
    diag_fatal(
        "the run's strings need more than the %lld bytes of the string region "
        "(mlc compile --string-bytes)",
        (long long)ir_string_bytes);
  for (int i = 0; i < g->noutputs; i++) {
    Value *v = g->outputs[i];
    Tensor *t = arena_alloc(g->arena, sizeof *t);
    t->name = v->name;
    t->dtype = v->dtype;
    t->rank = v->rank;
    memcpy(t->dims, v->dims, sizeof t->dims);
    t->nbytes = ir_nbytes(v);
    t->data = buffer_of(&b, v);
    outputs[i] = t;
  }
  for (int i = 0; i < g->noutputs; i++)
    if (g->outputs[i]->dyn_count) interp_actual_shape(g, outputs, i);
}
