/* Constant folding, second half. Shape inference already evaluated every
 * small node whose inputs were known (through the interpreter, so folding
 * runs the product's kernels); this pass removes those nodes, leaving their
 * outputs as constants that the backend emits as weights. */
#include "ir.h"
#include "passes.h"

void pass_fold(Graph *g) {
  for (int i = 0; i < g->nnodes; i++) {
    Node *n = g->nodes[i];
    int known = 1;
    for (int j = 0; j < n->nout; j++) known &= !n->out[j] || n->out[j]->data != NULL;
    n->dead = known;
  }
  ir_remove_dead_nodes(g);
}
