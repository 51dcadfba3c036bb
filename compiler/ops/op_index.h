/* Helpers that the index ops (op_index.c, op_index2.c) share: the element
 * types the computing index kernels take, and the float detour of float16
 * and bfloat16, which those kernels compute in float between two casts. */
#ifndef MLC_OP_INDEX_H
#define MLC_OP_INDEX_H

#include "ops.h"

/* The type a computing kernel (scatter reductions, cumulative, topk, einsum,
 * det) runs n's values of type t in: t itself, float for float16 and
 * bfloat16. Node error if the kernels do not take t. `floats_only`: only
 * float and double (and the halves) are accepted. */
DType idx_compute_type(const Node *n, DType t, int floats_only);

/* a temporary of type t and the given shape, placed by the memory planner */
Value *idx_temp(Graph *g, DType t, int rank, const int64_t *dims);

/* v itself if it has type t, else a temporary holding v cast to t */
Value *idx_widen(Graph *g, Lowering *L, Value *v, DType t);

/* where a kernel computing in t writes out: out itself if it has type t,
 * else a temporary that idx_narrow then casts into out */
Value *idx_result(Graph *g, Value *out, DType t);
void idx_narrow(Graph *g, Lowering *L, Value *res, Value *out);

/* whether the runtime's cast kernel converts t (numbers, bool, float8) */
int idx_castable(DType t);

/* product of dims[from..to) */
int64_t idx_prod(const int64_t *dims, int from, int to);

#endif
