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

static void inline_nodes(Inliner *in, Graph *g, Node *const *src, int n);

/* g's node list rebuilt with every call inlined */
static void inline_graph(Inliner *in, Graph *g) {
  int n = g->nnodes;
  Node **src = arena_array(g->arena, (size_t)n + 1, sizeof *src);
  memcpy(src, g->nodes, (size_t)n * sizeof *src);
  g->nnodes = 0;
  inline_nodes(in, g, src, n);
}

static void push(Inliner *in, const Node *at, const Function *f) {
  if (in->depth == INLINE_MAX_DEPTH)
    diag_node_fatal(at, "local functions and subgraphs nest more than %d deep", INLINE_MAX_DEPTH);
  in->stack[in->depth++] = f;
}

/* appends f's body in place of the call (clone_body appends to g), then
 * inlines the calls among the appended nodes */
static void expand_call(Inliner *in, Graph *g, Node *call, const Function *f) {
  for (int d = 0; d < in->depth; d++)
    if (in->stack[d] == f)
      diag_node_fatal(call, "local function '%s' calls itself (directly or through others)",
                      f->name);
  const Graph *body = f->body;
  if (call->nin > body->ninputs || call->nout > body->noutputs)
    diag_node_fatal(call,
                    "calls local function '%s' with %d inputs and %d outputs; it takes "
                    "%d and %d",
                    f->name, call->nin, call->nout, body->ninputs, body->noutputs);
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
  /* take the new nodes off the end and put them back through inline_nodes:
   * each node is copied once per level of nesting, never shifted along */
  Node **added_nodes = arena_array(g->arena, (size_t)added + 1, sizeof *added_nodes);
  memcpy(added_nodes, g->nodes + first, (size_t)added * sizeof *added_nodes);
  g->nnodes = first;
  push(in, call, f);
  inline_nodes(in, g, added_nodes, added);
  in->depth--;
}

/* appends src[0..n) to g in order, each call replaced by its function's body,
 * and inlines the calls in the subgraphs of the nodes */
static void inline_nodes(Inliner *in, Graph *g, Node *const *src, int n) {
  for (int i = 0; i < n; i++) {
    Node *node = src[i];
    const Function *f = ir_find_function(g, node->domain, node->op_type);
    if (f) {
      expand_call(in, g, node, f);
      continue;
    }
    g->nodes =
        arena_grow(g->arena, g->nodes, &g->nodes_cap, (size_t)g->nnodes + 1, sizeof *g->nodes);
    g->nodes[g->nnodes++] = node;
    for (int a = 0; a < node->nattrs; a++) {
      Attr *at = &node->attrs[a];
      int ng = at->kind == AK_GRAPH ? (at->g != NULL) : at->kind == AK_GRAPHS ? at->n : 0;
      for (int j = 0; j < ng; j++) {
        Graph *sub = at->kind == AK_GRAPH ? at->g : at->graphs[j];
        push(in, node, NULL);
        inline_graph(in, sub);
        in->depth--;
      }
    }
  }
}

void inline_functions(Graph *g) {
  if (!g->nfunctions) return;
  Inliner in = {{0}, 0, 0};
  inline_graph(&in, g);
  ir_rebuild_uses(g);
}
