/* Model-local functions are inlined on load (torch's dynamo exporter writes
 * them), so every later stage sees plain ops. A call is replaced by the body's
 * nodes, its formal inputs bound to the call's inputs and its outputs to the
 * call's outputs (through Identity nodes, which keep the names); attributes
 * that refer to the call's are resolved. Calls inside the body are inlined in
 * turn; a function that reaches itself is an error. */
#include "inline.h"

#include <string.h>

#include "clone.h"
#include "diag.h"

/* INLINE_MAX_NODES keeps a hostile model (f1 calls f0 twice, f2 calls f1
 * twice...) under a second: the big exported models stay far below it */
enum { INLINE_MAX_DEPTH = 64, INLINE_MAX_NODES = 1 << 17 };

typedef struct Inliner {
  const Function *stack[INLINE_MAX_DEPTH]; /* functions being inlined, and subgraphs */
  int depth;
  long nodes; /* inlined so far */
} Inliner;

static void inline_range(Inliner *in, Graph *g, int from, int to);

/* the nodes appended to g since `first` replace node i, in order */
static void splice(Graph *g, int i, int first) {
  int k = g->nnodes - first;
  Node **tail = arena_array(g->arena, (size_t)k + 1, sizeof *tail);
  memcpy(tail, g->nodes + first, (size_t)k * sizeof *tail);
  memmove(g->nodes + i + k, g->nodes + i + 1, (size_t)(first - i - 1) * sizeof *g->nodes);
  memcpy(g->nodes + i, tail, (size_t)k * sizeof *tail);
  g->nnodes = first + k - 1;
}

static void push(Inliner *in, const Node *at, const Function *f) {
  if (in->depth == INLINE_MAX_DEPTH)
    diag_node_fatal(at, "local functions and subgraphs nest more than %d deep", INLINE_MAX_DEPTH);
  in->stack[in->depth++] = f;
}

/* replaces call g->nodes[i] by f's body; returns how many nodes took its place */
static int expand_call(Inliner *in, Graph *g, int i, const Function *f) {
  Node *call = g->nodes[i];
  for (int d = 0; d < in->depth; d++)
    if (in->stack[d] == f)
      diag_node_fatal(call, "local function '%s' calls itself (directly or through others)",
                      f->name);
  const Graph *body = f->body;
  if (call->nin > body->ninputs || call->nout > body->noutputs)
    diag_node_fatal(call, "calls local function '%s' with %d inputs and %d outputs; it takes "
                    "%d and %d", f->name, call->nin, call->nout, body->ninputs,
                    body->noutputs);
  Value **ins = arena_array(g->arena, (size_t)body->ninputs + 1, sizeof *ins);
  Value **outs = arena_array(g->arena, (size_t)body->noutputs + 1, sizeof *outs);
  for (int k = 0; k < call->nin; k++) ins[k] = call->in[k];
  CloneMap m;
  clone_map_init(&m, g, call, f);
  int first = g->nnodes;
  clone_body(g, body, &m, ins, outs, *call->name ? call->name : f->name);
  for (int k = 0; k < call->nout; k++) {
    if (!call->out[k]) continue;
    if (!outs[k]) diag_node_fatal(call, "output %d of local function '%s' is absent", k, f->name);
    Node *id = ir_node_new(g, "Identity", "", call->name, 1, 1);
    id->index = call->index;
    id->opset = 13;
    id->in[0] = outs[k];
    id->out[0] = call->out[k];
  }
  int added = g->nnodes - first;
  in->nodes += added;
  if (in->nodes > INLINE_MAX_NODES)
    diag_node_fatal(call, "inlining local functions makes more than %d nodes", INLINE_MAX_NODES);
  splice(g, i, first);
  push(in, call, f);
  int before = g->nnodes;
  inline_range(in, g, i, i + added);
  in->depth--;
  return added + g->nnodes - before;
}

/* calls in g->nodes[from..to), and in the subgraphs of the nodes there */
static void inline_range(Inliner *in, Graph *g, int from, int to) {
  for (int i = from; i < to; i++) {
    Node *n = g->nodes[i];
    const Function *f = ir_find_function(g, n->domain, n->op_type);
    if (f) {
      int k = expand_call(in, g, i, f);
      to += k - 1;
      i += k - 1;
      continue;
    }
    for (int a = 0; a < n->nattrs; a++) {
      Attr *at = &n->attrs[a];
      int ng = at->kind == AK_GRAPH ? (at->g != NULL) : at->kind == AK_GRAPHS ? at->n : 0;
      for (int j = 0; j < ng; j++) {
        Graph *sub = at->kind == AK_GRAPH ? at->g : at->graphs[j];
        push(in, n, NULL);
        inline_range(in, sub, 0, sub->nnodes);
        in->depth--;
      }
    }
  }
}

void inline_functions(Graph *g) {
  if (!g->nfunctions) return;
  Inliner in = {{0}, 0, 0};
  inline_range(&in, g, 0, g->nnodes);
  ir_rebuild_uses(g);
}
