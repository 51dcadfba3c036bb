/* Elementwise fusion: any chain or tree of elementwise nodes becomes one
 * mlc.FusedElementwise node, which the C backend prints as a single loop
 * (one pass over memory instead of one per op, and no intermediate arrays).
 *
 * Walking the schedule backwards, each elementwise node not yet taken is the
 * sink of a group; the group grows through producers that are elementwise,
 * lower to exactly one scalar call, compute the sink's output shape (so every
 * member makes one element per output element) and are read only by group
 * members. Broadcast operands from outside are fine: the loop reads them
 * through their strides. */
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "ops.h"
#include "passes.h"

enum { FUSE_MAX = 64 }; /* members of one group: keeps loop bodies readable */

/* one scalar call whose output is the node's: what the fused loop can hold */
static int fusible(Graph *g, Node *n) {
  if (!(optab[n->op].flags & (OPF_ELEMWISE | OPF_EW_SOME)) || n->nout != 1 || !n->out[0]) return 0;
  Lowering L = {0};
  DiagScope s = {0};
  s.quiet = 1;
  volatile int ok = 0; /* set between setjmp and a possible longjmp */
  if (!setjmp(s.jb)) {
    diag_enter(&s);
    optab[n->op].lower(g, n, &L);
    ok = L.ncalls == 1 && ktab[L.calls[0].kernel].ew_arity &&
         L.calls[0].io[ktab[L.calls[0].kernel].ew_arity] == n->out[0];
    diag_leave(&s);
  }
  return ok;
}

/* Positions never change while groups form (a fused node takes its sink's
 * place), so nodes are numbered once (Node.pos), and taken[q] says that a
 * group has taken the node at position q. */
static int position(const Graph *g, const Node *p) {
  int q = p->pos;
  return q >= 0 && q < g->nnodes && g->nodes[q] == p ? q : -1;
}

/* fusible() of the node at position q, worked out once: a trial lowering
 * allocates, and a node is asked about once per input that reads it */
static int fusible_at(Graph *g, signed char *fus, int q) {
  if (fus[q] < 0) fus[q] = (signed char)fusible(g, g->nodes[q]);
  return fus[q];
}

static int joinable(Graph *g, signed char *fus, const unsigned char *taken, Node *p, Node **group,
                    int n, const Value *shape) {
  int q = p ? position(g, p) : -1;
  if (q < 0 || taken[q] || !fusible_at(g, fus, q)) return 0;
  Value *v = p->out[0];
  if (v->is_output || v->data || !ir_same_shape(v, shape)) return 0;
  for (int u = 0; u < v->nusers; u++) {
    int in = 0;
    for (int k = 0; k < n; k++) in |= v->users[u] == group[k];
    if (!in) return 0;
  }
  return 1;
}

static int by_index(const void *a, const void *b) {
  return (*(Node *const *)a)->pos - (*(Node *const *)b)->pos;
}

static void fuse_group(Graph *g, Node **group, int n, int at) {
  /* members in schedule order: the sink, group[0], last */
  qsort(group, (size_t)n, sizeof *group, by_index);
  rw_fuse_body(g, "FusedElementwise", "fused", group, n, at);
}

void pass_fuse(Graph *g) {
  if (!ir_opset(g, "mlc")) ir_add_opset(g, "mlc", 1);
  ir_rebuild_uses(g);
  for (int i = 0; i < g->nnodes; i++) g->nodes[i]->pos = i;
  Node **group = arena_array(g->arena, FUSE_MAX + 1, sizeof *group);
  signed char *fus = arena_alloc(g->arena, (size_t)g->nnodes + 1);
  memset(fus, -1, (size_t)g->nnodes);
  unsigned char *taken = arena_alloc(g->arena, (size_t)g->nnodes + 1); /* zeroed */
  for (int i = g->nnodes - 1; i >= 0; i--) {
    Node *sink = g->nodes[i];
    if (taken[i] || sink->dead || !fusible_at(g, fus, i)) continue;
    int n = 0;
    group[n++] = sink;
    taken[i] = 1;
    for (int k = 0; k < n && n < FUSE_MAX; k++)
      for (int j = 0; j < group[k]->nin && n < FUSE_MAX; j++) {
        Value *v = group[k]->in[j];
        Node *p = v ? v->producer : NULL;
        if (joinable(g, fus, taken, p, group, n, sink->out[0])) {
          group[n++] = p;
          taken[p->pos] = 1;
        }
      }
    if (n >= 2) fuse_group(g, group, n, i);
  }
  ir_remove_dead_nodes(g);
  /* the members now live in bodies: they are not dead there */
  rw_revive_bodies(g, OP_FusedElementwise);
}
