/* STUB: replaced by the real implementation */
#include "ops.h"
#include "diag.h"

void infer_Reduce(Graph *g, Node *n) {
  (void)g;
  diag_node_fatal(n, "not implemented yet");
}

void lower_Reduce(Graph *g, Node *n, Lowering *L) {
  (void)g;
  (void)L;
  diag_node_fatal(n, "not implemented yet");
}

void infer_Arg(Graph *g, Node *n) {
  (void)g;
  diag_node_fatal(n, "not implemented yet");
}

void lower_Arg(Graph *g, Node *n, Lowering *L) {
  (void)g;
  (void)L;
  diag_node_fatal(n, "not implemented yet");
}
