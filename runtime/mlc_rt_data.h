/* mlc runtime, family data. Data movement: strided copies, fills, padding,
 * Gather, and the casts between every pair of element types.
 *
 * Parameter structs (S) and kernels (K, io in order: inputs, then
 * outputs); mlc_rt.h gathers every family's lists. */
#ifndef MLC_RT_DATA_H
#define MLC_RT_DATA_H

#include "mlc_rt_core.h"

#define MLC_RT_PARAMS_DATA(S, I, D, IA, DA)                                   \
  /* strided copy of elem-byte items: Transpose, Slice, Concat, Expand,       \
     Split, Pad's interior, DepthToSpace... Strides in elements. */           \
  S(MlcCopy, I(rank) I(elem) IA(dims, MLC_RT_MAX_RANK)                        \
             IA(src_strides, MLC_RT_MAX_RANK)                                 \
             IA(dst_strides, MLC_RT_MAX_RANK) I(src_off) I(dst_off))          \
  /* fill count items of elem bytes with a value (given as its bytes) */      \
  S(MlcFill, I(count) I(elem) I(bits))                                        \
  /* Pad with mode 1 = reflect, 2 = edge, 3 = wrap (constant padding is       \
     Fill+Copy). The input is read at src_off with element strides, so        \
     negative pads crop it first; pad_begin >= 0 */                           \
  S(MlcPad, I(rank) I(elem) I(mode) IA(in_dims, MLC_RT_MAX_RANK)              \
            IA(in_strides, MLC_RT_MAX_RANK) I(src_off)                        \
            IA(out_dims, MLC_RT_MAX_RANK) IA(pad_begin, MLC_RT_MAX_RANK))     \
  /* Gather along the middle dim of [outer, len, inner*elem bytes];           \
     indices are int64 (idx_bits 64) or int32, negative ones count from       \
     the end, out-of-range ones yield zero bytes */                           \
  S(MlcGather, I(outer) I(len) I(inner_bytes) I(nidx) I(idx_bits))            \
  /* Cast count items between MLC_DT_* codes (ONNX TensorProto numbers,       \
     float8 ones included); nosat: MLC_CAST_* flags: NOSAT, a float8          \
     overflow gives inf or NaN (ONNX saturate=0) instead of the largest       \
     finite value; ROUND_DOWN / ROUND_NEAREST: float8e8m0's round_mode        \
     (default up) */                                                          \
  S(MlcCast, I(count) I(from) I(to) I(nosat))

#define MLC_RT_KERNELS_DATA(K)                                                \
  K(copy, MlcCopy)             /* io: src, dst */                             \
  K(fill, MlcFill)             /* io: dst */                                  \
  K(pad, MlcPad)               /* io: src, dst */                             \
  K(gather, MlcGather)         /* io: data, indices, y */                     \
  K(cast, MlcCast)             /* io: x, y */

#ifdef __cplusplus
extern "C" {
#endif

MLC_RT_DECLARE(MLC_RT_PARAMS_DATA, MLC_RT_KERNELS_DATA)

/* io slots: where each kernel finds its tensors in io[] (the lowering
 * fills them by these names, the kernel reads them by these names) */
/* copy */
enum { MLC_COPY_SRC, MLC_COPY_DST, MLC_COPY_NIO };
/* fill */
enum { MLC_FILL_DST, MLC_FILL_NIO };
/* pad */
enum { MLC_PAD_SRC, MLC_PAD_DST, MLC_PAD_NIO };
/* gather */
enum { MLC_GATHER_DATA, MLC_GATHER_INDICES, MLC_GATHER_Y, MLC_GATHER_NIO };
/* cast */
enum { MLC_CAST_X, MLC_CAST_Y, MLC_CAST_NIO };

enum { MLC_CAST_NOSAT = 1, MLC_CAST_ROUND_DOWN = 2, MLC_CAST_ROUND_NEAREST = 4 };

#ifdef __cplusplus
}
#endif
#endif /* MLC_RT_DATA_H */
