/* Dead-code elimination: walking the schedule backwards, a node is live if
 * any output is a graph output or feeds a live node. */
#include "ir.h"
#include "passes.h"

void pass_dce(Graph *g) {
  ir_rebuild_uses(g);
  for (int i = 0; i < g->nvalues; i++) g->values[i]->offset = 0; /* live mark */
  for (int i = 0; i < g->noutputs; i++) g->outputs[i]->offset = 1;
  for (int i = g->nnodes - 1; i >= 0; i--) {
    Node *n = g->nodes[i];
    int live = 0;
    for (int j = 0; j < n->nout; j++) live |= n->out[j] && n->out[j]->offset;
    n->dead = !live;
    if (live)
      for (int j = 0; j < n->nin; j++)
        if (n->in[j]) n->in[j]->offset = 1;
  }
  for (int i = 0; i < g->nvalues; i++) g->values[i]->offset = -1;
  ir_remove_dead_nodes(g);
}
