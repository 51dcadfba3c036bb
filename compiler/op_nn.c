/* STUB: replaced by the real implementation */
#include "ops.h"
#include "diag.h"

void infer_Conv(Graph *g, Node *n) {
  (void)g;
  diag_node_fatal(n, "not implemented yet");
}

void lower_Conv(Graph *g, Node *n, Lowering *L) {
  (void)g;
  (void)L;
  diag_node_fatal(n, "not implemented yet");
}

void infer_Pool(Graph *g, Node *n) {
  (void)g;
  diag_node_fatal(n, "not implemented yet");
}

void lower_Pool(Graph *g, Node *n, Lowering *L) {
  (void)g;
  (void)L;
  diag_node_fatal(n, "not implemented yet");
}

void infer_GlobalPool(Graph *g, Node *n) {
  (void)g;
  diag_node_fatal(n, "not implemented yet");
}

void lower_GlobalPool(Graph *g, Node *n, Lowering *L) {
  (void)g;
  (void)L;
  diag_node_fatal(n, "not implemented yet");
}

void infer_BatchNormalization(Graph *g, Node *n) {
  (void)g;
  diag_node_fatal(n, "not implemented yet");
}

void lower_BatchNormalization(Graph *g, Node *n, Lowering *L) {
  (void)g;
  (void)L;
  diag_node_fatal(n, "not implemented yet");
}

void infer_LayerNormalization(Graph *g, Node *n) {
  (void)g;
  diag_node_fatal(n, "not implemented yet");
}

void lower_LayerNormalization(Graph *g, Node *n, Lowering *L) {
  (void)g;
  (void)L;
  diag_node_fatal(n, "not implemented yet");
}

void infer_Softmax(Graph *g, Node *n) {
  (void)g;
  diag_node_fatal(n, "not implemented yet");
}

void lower_Softmax(Graph *g, Node *n, Lowering *L) {
  (void)g;
  (void)L;
  diag_node_fatal(n, "not implemented yet");
}

void infer_MatMul(Graph *g, Node *n) {
  (void)g;
  diag_node_fatal(n, "not implemented yet");
}

void lower_MatMul(Graph *g, Node *n, Lowering *L) {
  (void)g;
  (void)L;
  diag_node_fatal(n, "not implemented yet");
}

void infer_Gemm(Graph *g, Node *n) {
  (void)g;
  diag_node_fatal(n, "not implemented yet");
}

void lower_Gemm(Graph *g, Node *n, Lowering *L) {
  (void)g;
  (void)L;
  diag_node_fatal(n, "not implemented yet");
}
