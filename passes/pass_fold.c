/* Constant folding, second half. Shape inference already evaluated every
 * foldable node whose inputs were known and whose result fits
 * INFER_FOLD_MAX_BYTES (through the interpreter, so folding runs the
 * product's kernels). This pass
 *
 *  - evaluates, in schedule order, the foldable nodes with known inputs that
 *    inference left because of its cap, when their result fits `max_bytes`
 *    (--fold-max-bytes raises the cap; inference's own stays as it is);
 *  - warns about each such node whose result does not fit: it stays a node
 *    and runs in the product, and the user learns why the weights did not
 *    shrink (a cap hit is reported, never silent);
 *  - removes every node whose outputs are all known, leaving them constants
 *    that the backend emits as weights.
 *
 * The cap bounds what a model can make the compiler allocate: a 100-byte
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
    if (!known && (flags & OPF_FOLDABLE) && !(flags & OPF_VIEW) && inputs_known(n)) {
      if (bytes <= max_bytes && infer_fold_budget(g, bytes)) {
        interp_node(g, n);
        known = 1;
      } else {
        diag_warn("node '%s' (#%d %s): not folded: its result would take %zu bytes, over "
                  "the folding cap of %zu (--fold-max-bytes) or what remains of the %zu "
                  "all folding may make; it runs in the product",
                  n->name, n->index, n->op_type, bytes, max_bytes, INFER_FOLD_TOTAL_BYTES);
      }
    }
    n->dead = known;
  }
  ir_remove_dead_nodes(g);
}
