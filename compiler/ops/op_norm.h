/* Lowering helpers shared by the op files of normalizations, attention,
 * quantization, losses and signal processing (defined in op_norm.c).
 *
 * Their kernels compute in float32 (the signal ones in double inside); an
 * op on float16, bfloat16 or float64 converts its inputs into float32
 * temporaries and its results back, so one kernel serves every float type.
 */
#ifndef MLC_OP_NORM_H
#define MLC_OP_NORM_H

#include "ops.h"

/* a temporary of type t and shape dims, for the memory planner to place */
Value *aux_temp(Graph *g, DType t, int rank, const int64_t *dims);
/* v as type t: v itself, a converted copy if v is a constant, or a temporary
 * that a cast call fills; NULL for NULL */
Value *aux_as_type(Graph *g, Lowering *L, Value *v, DType t);
/* where a float32 kernel writes output v: v itself, or a float32 temporary
 * that aux_f32_finish then casts into v; NULL for NULL */
Value *aux_f32_out(Graph *g, Value *v);
void aux_f32_finish(Graph *g, Lowering *L, Value *tmp, Value *v);
/* optional input i, or NULL when absent */
static inline Value *aux_in(const Node *n, int i) { return i < n->nin ? n->in[i] : NULL; }
/* node error unless v (if given) is float, double, float16 or bfloat16 */
void aux_require_real(const Node *n, const Value *v, const char *what);

#endif
