/* Helpers the ai.onnx.ml ops share (op_ml.c, op_ml_tree.c): inputs of the
 * domain's numeric types, a model's rows and features, compile-time
 * constants from attribute lists, and post_transform names. */
#ifndef MLC_OP_ML_H
#define MLC_OP_ML_H

#include "ops.h"

/* Node error unless x is float, double, int64 or int32 (the domain's
 * numeric inputs); strings get their own message */
void ml_check_input(const Node *n, const Value *x);

/* X as [rows, features]: rank 2, or rank 1 for one row (rank1_row) or one
 * column */
void ml_rows(const Node *n, const Value *x, int rank1_row, int64_t *rows, int64_t *features);

/* a 1-D constant of type t holding count values of type from at src,
 * converted as Cast does */
Value *ml_const(Graph *g, DType t, int64_t count, DType from, const void *src);

/* MLC_ML_* of a post_transform name (NONE, SOFTMAX, LOGISTIC,
 * SOFTMAX_ZERO, PROBIT); node error otherwise */
int ml_post_kind(const Node *n, const char *name);

/* a list attribute of numbers as doubles: `floats` (FLOATS), or `tensor`
 * (a TENSOR attribute of any float or integer type) when the node has it;
 * the count, -1 when neither is present */
int64_t ml_numbers(Graph *g, const Node *n, const char *floats, const char *tensor,
                   double **out);

/* Node error unless the node's string-valued attribute `name` is absent:
 * the classifiers and the other ml ops that use it make numbers only */
void ml_no_strings(const Node *n, const char *name);

#endif
