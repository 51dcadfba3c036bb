/* The interpreter: runs a graph's nodes through their lowerings and the very
 * runtime kernels that generated code calls. Used for constant folding,
 * `mlc run` and the interpreter half of `mlc test`. */
#ifndef MLC_INTERP_H
#define MLC_INTERP_H

#include "ir.h"
#include "ops.h"

/* runs one node whose inputs all have data; fills out->data (arena) */
void interp_node(Graph *g, Node *n);

/* evaluates the calls of a lowering of n at compile time (node error if
 * their strings overflow the string region); the values outs get data */
void interp_lowered(Graph *g, const Node *n, const Lowering *L, Value *const *outs, int nouts);

/* runs the whole graph. inputs[i] feeds g->inputs[i] (dtype and shape must
 * match; checked); outputs[i] receives g->outputs[i] (allocated in g's arena) */
void interp_run(Graph *g, Tensor *const *inputs, Tensor **outputs);

/* output i's shape set to its run-time extent (data-dependent outputs) */
void interp_actual_shape(const Graph *g, Tensor **outputs, int i);

/* executes lowered calls given a buffer for every io value */
void interp_calls(const KCall *calls, int ncalls, void *(*buf)(void *ctx, Value *v), void *ctx);

#endif
