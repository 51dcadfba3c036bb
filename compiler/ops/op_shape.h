/* Helpers of the shape and data-movement ops (op_shape.c, op_data.c) that
 * other op files share: axis and int-list arguments, checked shapes, and the
 * lowering of strided copies and fills. */
#ifndef MLC_OP_SHAPE_H
#define MLC_OP_SHAPE_H

#include "ops.h"

/* axis in [-rank, rank-1], made non-negative; node error otherwise */
int norm_axis(const Node *n, int64_t axis, int rank);

/* The entries of input `input`, a constant int32/int64 scalar or 1-D tensor:
 * their count, or -1 when the optional input is absent. Node error if it is
 * computed at run time, not an integer tensor, or has more than max entries. */
int read_const_ints(const Node *n, int input, int64_t *out, int max);

/* an int list that is attribute `attr` before opset `since` and input `input`
 * from then on (axes, starts, ...): as read_const_ints */
int read_ints_arg(const Node *n, const char *attr, int since, int input,
                  int64_t *out, int max);

/* ir_set_shape after checking the rank, that no dim is negative and that the
 * element count stays within the driver's limit */
void set_shape_checked(const Node *n, Value *v, int rank, const int64_t *dims);

/* row-major element strides of v */
void row_strides(const Value *v, int64_t *strides);

/* copy kernel calls for dst[doff + sum_d i_d * ds[d]] = src[soff + sum_d i_d *
 * ss[d]] over dims (rank up to 2 * IR_MAX_RANK; strides in elements). Unit
 * dims are dropped and dims contiguous in both tensors merged, so the
 * innermost run is as long as possible; an empty region emits nothing. */
void lower_strided_copy(Graph *g, const Node *n, Lowering *L, Value *src, Value *dst,
                        int rank, const int64_t *dims, const int64_t *ss,
                        const int64_t *ds, int64_t soff, int64_t doff);

/* fill all of dst with one value, given as its bit pattern (scalar_bits) */
void lower_fill(Graph *g, Lowering *L, Value *dst, int64_t bits);

/* Identity of a tensor (the Identity row takes sequences too: op_seq.c) */
void infer_Identity(Graph *g, Node *n);

/* the bit pattern of x converted to element type t (the runtime's cast
 * rules: round to nearest even, saturating float -> integer) */
int64_t scalar_bits(double x, DType t);

#endif
