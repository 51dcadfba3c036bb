/* STUB: replaced by the real implementation */
#include "ops.h"
#include "diag.h"

void infer_Identity(Graph *g, Node *n) {
  (void)g;
  diag_node_fatal(n, "not implemented yet");
}

void infer_Dropout(Graph *g, Node *n) {
  (void)g;
  diag_node_fatal(n, "not implemented yet");
}

void infer_Reshape(Graph *g, Node *n) {
  (void)g;
  diag_node_fatal(n, "not implemented yet");
}

void infer_Flatten(Graph *g, Node *n) {
  (void)g;
  diag_node_fatal(n, "not implemented yet");
}

void infer_Squeeze(Graph *g, Node *n) {
  (void)g;
  diag_node_fatal(n, "not implemented yet");
}

void infer_Unsqueeze(Graph *g, Node *n) {
  (void)g;
  diag_node_fatal(n, "not implemented yet");
}

void infer_Transpose(Graph *g, Node *n) {
  (void)g;
  diag_node_fatal(n, "not implemented yet");
}

void lower_Transpose(Graph *g, Node *n, Lowering *L) {
  (void)g;
  (void)L;
  diag_node_fatal(n, "not implemented yet");
}

void infer_Concat(Graph *g, Node *n) {
  (void)g;
  diag_node_fatal(n, "not implemented yet");
}

void lower_Concat(Graph *g, Node *n, Lowering *L) {
  (void)g;
  (void)L;
  diag_node_fatal(n, "not implemented yet");
}

void infer_Split(Graph *g, Node *n) {
  (void)g;
  diag_node_fatal(n, "not implemented yet");
}

void lower_Split(Graph *g, Node *n, Lowering *L) {
  (void)g;
  (void)L;
  diag_node_fatal(n, "not implemented yet");
}

void infer_Slice(Graph *g, Node *n) {
  (void)g;
  diag_node_fatal(n, "not implemented yet");
}

void lower_Slice(Graph *g, Node *n, Lowering *L) {
  (void)g;
  (void)L;
  diag_node_fatal(n, "not implemented yet");
}

void infer_Gather(Graph *g, Node *n) {
  (void)g;
  diag_node_fatal(n, "not implemented yet");
}

void lower_Gather(Graph *g, Node *n, Lowering *L) {
  (void)g;
  (void)L;
  diag_node_fatal(n, "not implemented yet");
}

void infer_Shape(Graph *g, Node *n) {
  (void)g;
  diag_node_fatal(n, "not implemented yet");
}

void infer_Size(Graph *g, Node *n) {
  (void)g;
  diag_node_fatal(n, "not implemented yet");
}

void infer_Constant(Graph *g, Node *n) {
  (void)g;
  diag_node_fatal(n, "not implemented yet");
}

void infer_ConstantOfShape(Graph *g, Node *n) {
  (void)g;
  diag_node_fatal(n, "not implemented yet");
}

void lower_ConstantOfShape(Graph *g, Node *n, Lowering *L) {
  (void)g;
  (void)L;
  diag_node_fatal(n, "not implemented yet");
}

void infer_Expand(Graph *g, Node *n) {
  (void)g;
  diag_node_fatal(n, "not implemented yet");
}

void lower_Expand(Graph *g, Node *n, Lowering *L) {
  (void)g;
  (void)L;
  diag_node_fatal(n, "not implemented yet");
}

void infer_Tile(Graph *g, Node *n) {
  (void)g;
  diag_node_fatal(n, "not implemented yet");
}

void lower_Tile(Graph *g, Node *n, Lowering *L) {
  (void)g;
  (void)L;
  diag_node_fatal(n, "not implemented yet");
}

void infer_Range(Graph *g, Node *n) {
  (void)g;
  diag_node_fatal(n, "not implemented yet");
}

void infer_Pad(Graph *g, Node *n) {
  (void)g;
  diag_node_fatal(n, "not implemented yet");
}

void lower_Pad(Graph *g, Node *n, Lowering *L) {
  (void)g;
  (void)L;
  diag_node_fatal(n, "not implemented yet");
}
