/* mlc runtime, family index. Index ops: gathers and scatters, cumulative
 * sums, TopK, and the linear algebra of Det and Einsum, which share their
 * type dispatch (index.c); the kernels that only move items: OneHot, Trilu,
 * ReverseSequence, TensorScatter, NonZero (index_move.c).
 *
 * Parameter structs (S) and kernels (K, io in order: inputs, then
 * outputs); mlc_rt.h gathers every family's lists. */
#ifndef MLC_RT_INDEX_H
#define MLC_RT_INDEX_H

#include "mlc_rt_core.h"

#define MLC_RT_PARAMS_INDEX(S, I, D, IA, DA)                                  \
  /* NonZero at run time: x of `count` items of MLC_DT_* `dtype`, dims        \
     `dims`; y holds the coordinates [rank][nnz], nnz <= count */             \
  S(MlcNonZero, I(rank) IA(dims, MLC_RT_MAX_RANK) I(count) I(dtype))          \
  /* GatherElements / ScatterElements: one item per index, walking the        \
     indices' dims; its data element is the walk's position with the axis     \
     coordinate replaced by the index (strides: data's, in elements).         \
     dtype: MLC_DT_* (scatter reductions); reduction: 0 none, 1 add,          \
     2 mul, 3 max, 4 min; idx_bits: 64 or 32 */                               \
  S(MlcElems, I(rank) I(axis) I(axis_len) I(elem) I(dtype) I(reduction)       \
              I(idx_bits) I(data_count) IA(dims, MLC_RT_MAX_RANK)             \
              IA(strides, MLC_RT_MAX_RANK))                                   \
  /* GatherND / ScatterND: data is [batch, dims[0..k), slice]; each of the    \
     nidx index tuples of a batch (k int64 each) picks a slice of `slice`     \
     elements; strides of the k dims in elements; reduction as MlcElems */    \
  S(MlcND, I(batch) I(batch_stride) I(nidx) I(k) I(slice) I(elem) I(dtype)    \
           I(reduction) I(data_count) IA(dims, MLC_RT_MAX_RANK)               \
           IA(strides, MLC_RT_MAX_RANK))                                      \
  /* CumSum (prod 0) / CumProd (prod 1) along the middle dim of               \
     [outer, len, inner] */                                                   \
  S(MlcCum, I(outer) I(len) I(inner) I(dtype) I(prod) I(exclusive)            \
            I(reverse))                                                       \
  /* TopK along the middle dim of [outer, len, inner]: the k largest (or      \
     smallest), sorted, ties by lower index, NaN above every number */        \
  S(MlcTopK, I(outer) I(len) I(inner) I(k) I(dtype) I(largest))               \
  /* OneHot: y[o, d, i] = values[idx[o, i] == d] of elem bytes; with wrap     \
     negative indices count from the end; others out of range match           \
     nothing */                                                               \
  S(MlcOneHot, I(outer) I(depth) I(inner) I(elem) I(wrap))                    \
  /* Trilu over batch matrices: keep j - i >= k (upper) or <= k (lower) */    \
  S(MlcTrilu, I(batch) I(rows) I(cols) I(elem) I(upper) I(k))                 \
  /* ReverseSequence: row-major dims; lengths clamped to [0, time dim] */     \
  S(MlcRevSeq, I(rank) I(elem) I(time_axis) I(batch_axis)                     \
               IA(dims, MLC_RT_MAX_RANK))                                     \
  /* TensorScatter: cache [pre, max_seq, row_bytes], update [pre, seq,        \
     row_bytes]; batch of a pre row = row / per_batch; write positions out    \
     of range are skipped (linear) or wrap (circular) */                      \
  S(MlcTensorScatter, I(pre) I(per_batch) I(max_seq) I(seq) I(row_bytes)      \
                      I(circular))                                            \
  /* Det of batch n x n matrices, LU with partial pivoting in double */       \
  S(MlcDet, I(batch) I(n) I(dtype))                                           \
  /* Inverse of batch n x n matrices (dtype: MLC_DT_FLOAT or MLC_DT_DOUBLE),  \
     Gauss-Jordan with partial pivoting in double; a singular matrix gives    \
     infinities or NaN, as a division by its zero pivot does */               \
  S(MlcInverse, I(batch) I(n) I(dtype))                                       \
  /* Einsum of one or two operands as a loop nest: y (count elements) is      \
     zeroed, then y[so.i] += a[sa.i] * b[sb.i] over every i in dims */        \
  S(MlcEinsum, I(rank) I(dtype) I(count) IA(dims, MLC_RT_MAX_RANK)            \
               IA(sa, MLC_RT_MAX_RANK) IA(sb, MLC_RT_MAX_RANK)                \
               IA(so, MLC_RT_MAX_RANK))

#define MLC_RT_KERNELS_INDEX(K)                                               \
  K(nonzero, MlcNonZero)        /* io: x, y (int64), nnz (int64 [1]) */       \
  K(gather_elements, MlcElems)  /* io: data, indices, y */                    \
  K(scatter_elements, MlcElems) /* io: data, indices, updates, y */           \
  K(gather_nd, MlcND)           /* io: data, indices (int64), y */            \
  K(scatter_nd, MlcND)          /* io: data, indices (int64), updates, y */   \
  K(cumulative, MlcCum)         /* io: x, y */                                \
  /* scratch: 2 * len int64 */                                                \
  K(topk, MlcTopK)              /* io: x, values, indices, scratch */         \
  K(onehot, MlcOneHot)          /* io: indices (int64), values, y */          \
  K(trilu, MlcTrilu)            /* io: x, k|NULL (int64), y */                \
  K(reverse_sequence, MlcRevSeq) /* io: x, lengths (int64), y */              \
  K(tensor_scatter, MlcTensorScatter) /* io: cache, update,                   \
                                         indices|NULL (int64), y */           \
  K(det, MlcDet)                /* io: x, y, scratch (n * n double) */        \
  K(inverse, MlcInverse)        /* io: x, y, scratch (2 * n * n double) */    \
  K(einsum, MlcEinsum)          /* io: a, b|NULL, y */

#ifdef __cplusplus
extern "C" {
#endif

MLC_RT_DECLARE(MLC_RT_PARAMS_INDEX, MLC_RT_KERNELS_INDEX)

/* io slots: where each kernel finds its tensors in io[] (the lowering
 * fills them by these names, the kernel reads them by these names) */
/* nonzero */
enum { MLC_NONZERO_X, MLC_NONZERO_Y, MLC_NONZERO_NNZ, MLC_NONZERO_NIO };
/* gather_elements */
enum { MLC_GATHER_ELEMENTS_DATA, MLC_GATHER_ELEMENTS_INDICES,
       MLC_GATHER_ELEMENTS_Y, MLC_GATHER_ELEMENTS_NIO };
/* scatter_elements */
enum { MLC_SCATTER_ELEMENTS_DATA, MLC_SCATTER_ELEMENTS_INDICES,
       MLC_SCATTER_ELEMENTS_UPDATES, MLC_SCATTER_ELEMENTS_Y,
       MLC_SCATTER_ELEMENTS_NIO };
/* gather_nd */
enum { MLC_GATHER_ND_DATA, MLC_GATHER_ND_INDICES, MLC_GATHER_ND_Y,
       MLC_GATHER_ND_NIO };
/* scatter_nd */
enum { MLC_SCATTER_ND_DATA, MLC_SCATTER_ND_INDICES, MLC_SCATTER_ND_UPDATES,
       MLC_SCATTER_ND_Y, MLC_SCATTER_ND_NIO };
/* cumulative */
enum { MLC_CUMULATIVE_X, MLC_CUMULATIVE_Y, MLC_CUMULATIVE_NIO };
/* topk */
enum { MLC_TOPK_X, MLC_TOPK_VALUES, MLC_TOPK_INDICES, MLC_TOPK_SCRATCH,
       MLC_TOPK_NIO };
/* onehot */
enum { MLC_ONEHOT_INDICES, MLC_ONEHOT_VALUES, MLC_ONEHOT_Y, MLC_ONEHOT_NIO };
/* trilu */
enum { MLC_TRILU_X, MLC_TRILU_K, MLC_TRILU_Y, MLC_TRILU_NIO };
/* reverse_sequence */
enum { MLC_REVERSE_SEQUENCE_X, MLC_REVERSE_SEQUENCE_LENGTHS,
       MLC_REVERSE_SEQUENCE_Y, MLC_REVERSE_SEQUENCE_NIO };
/* tensor_scatter */
enum { MLC_TENSOR_SCATTER_CACHE, MLC_TENSOR_SCATTER_UPDATE,
       MLC_TENSOR_SCATTER_INDICES, MLC_TENSOR_SCATTER_Y,
       MLC_TENSOR_SCATTER_NIO };
/* det */
enum { MLC_DET_X, MLC_DET_Y, MLC_DET_SCRATCH, MLC_DET_NIO };
/* inverse */
enum { MLC_INVERSE_X, MLC_INVERSE_Y, MLC_INVERSE_SCRATCH, MLC_INVERSE_NIO };
/* einsum */
enum { MLC_EINSUM_A, MLC_EINSUM_B, MLC_EINSUM_Y, MLC_EINSUM_NIO };

/* ---- scalar helpers of index.c, shared with the CUDA runtime ----------- */

/* index i of an index tensor of 32- or 64-bit integers */
MLC_RT_SCALAR int64_t mlc_rt_read_index(const void *idx, int64_t bits, int64_t i) {
  return bits == 32 ? ((const int32_t *)idx)[i] : ((const int64_t *)idx)[i];
}

/* an index made non-negative, or -1 when it is out of [-len, len) */
MLC_RT_SCALAR int64_t mlc_rt_wrap_index(int64_t k, int64_t len) {
  if (k < 0) k += len;
  return k >= 0 && k < len ? k : -1;
}

/* GatherND / ScatterND: the element offset of tuple t (batch b), or -1 if
 * a coordinate is out of range */
MLC_RT_SCALAR int64_t mlc_rt_nd_offset(const MlcND *p, const int64_t *idx, int64_t b,
                                       int64_t t) {
  const int64_t *tu = idx + (b * p->nidx + t) * p->k;
  int64_t off = b * p->batch_stride, j;
  for (j = 0; j < p->k; j++) {
    int64_t c = mlc_rt_wrap_index(tu[j], p->dims[j]);
    if (c < 0) return -1;
    off += c * p->strides[j];
  }
  return off;
}

#ifdef __cplusplus
}
#endif
#endif /* MLC_RT_INDEX_H */
