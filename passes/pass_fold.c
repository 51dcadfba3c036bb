/* Constant folding, second half. Shape inference already evaluated every
 * foldable node whose inputs were known, within its caps (a result of at
 * most INFER_FOLD_MAX_BYTES, and INFER_FOLD_TOTAL_BYTES for the whole
 * model), through the interpreter, so folding runs the product's kernels.
 * This pass
 *
 *  - evaluates, in schedule order, the foldable nodes with known inputs that
 *    inference left, when the result fits `max_bytes` (--fold-max-bytes can
 *    raise the per-node cap) and the model's total;
 *  - warns about each such node that does not fit: it stays a node and runs
 *    in the product, and the user learns why (a cap hit is reported, never
 *    silent);
 *  - removes every node whose outputs are all known, leaving them constants
 *    that the backend emits as weights.
 *
 * The caps bound what a model can make the compiler allocate: a 100-byte
 * ConstantOfShape can ask for terabytes. */
#include "diag.h"
#include "infer.h"
#include "interp.h"
#include "ops.h"
#include "passes.h"

static int inputs_known(const Node *n) {
  for (int i = 0; i < n->nin; i++)
    if (n->in[i] && !n->in[i]->data) return 0;
  return 1;
}

void pass_fold(Graph *g, size_t max_bytes) {
  for (int i = 0; i < g->nnodes; i++) {
    Node *n = g->nodes[i];
    int known = 1;
    size_t bytes = 0;
    for (int j = 0; j < n->nout; j++)
      if (n->out[j]) {
        known &= n->out[j]->data != NULL;
        bytes += ir_nbytes(n->out[j]);
      }
    unsigned flags = optab[n->op].flags;
    if (!known && (flags & OPF_FOLDABLE) && !(flags & OPF_VIEW) && inputs_known(n) &&
        infer_may_fold(g, n)) {
      if (bytes > max_bytes)
        diag_warn(
            "node '%s' (#%d %s): not folded: its result would take %zu bytes, over "
            "the cap of %zu per node (--fold-max-bytes); it runs in the product",
            n->name, n->index, n->op_type, bytes, max_bytes);
      else if (!infer_fold_budget(g, bytes))
        diag_warn(
            "node '%s' (#%d %s): not folded: its %zu bytes would take the data "
            "folding makes past %zu for the model; it runs in the product",
            n->name, n->index, n->op_type, bytes, (size_t)INFER_FOLD_TOTAL_BYTES);
      else {
        interp_node(g, n);
        known = 1;
      }
    }
    n->dead = known;
  }
  ir_remove_dead_nodes(g);
}
