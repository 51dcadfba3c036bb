/* mlc runtime: the kernels that mlc-generated code calls.
 *
 * This is the runtime's one public header. The same kernels are linked into
 * the compiler, so constant folding, `mlc run` and the product run one
 * implementation.
 *
 * Calling convention. Every kernel is
 *     void mlc_rt_NAME(const void *params, void *const *io);
 * `params` points to the kernel's parameter struct (static shapes and
 * attributes, fixed at compile time) and `io` lists tensor pointers: the
 * inputs in order, then the outputs. A uniform signature lets the compiler's
 * interpreter call any kernel through one function-pointer type.
 *
 * Parameter structs are described once, by the X-macro list
 * MLC_RT_PARAM_STRUCTS below. Every field is an int64_t or a double, scalar or
 * fixed array, so a struct is a plain sequence of 8-byte slots: the compiler
 * fills and prints any of them generically from the same list.
 *
 * Elementwise operations are scalar inline functions (mlc_NAME_SFX), listed
 * once in MLC_RT_EW. Generated code composes them into loops; the runtime
 * wraps each into a broadcasting loop kernel (mlc_rt_ew_NAME_SFX) for the
 * interpreter. Both run the same expression.
 *
 * Bool tensors are stored as uint8_t holding 0 or 1.
 */
#ifndef MLC_RT_H
#define MLC_RT_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MLC_RT_MAX_RANK 8
#define MLC_RT_MAX_SP 3 /* spatial dims of Conv/Pool: 1-D, 2-D, 3-D */

typedef void (*mlc_rt_kernel)(const void *params, void *const *io);

/* ---- parameter structs --------------------------------------------------
 * S(Type, fields): a struct.  I(x): int64_t.  D(x): double.
 * IA(x, n): int64_t[n].  DA(x, n): double[n].
 */
#define MLC_RT_PARAM_STRUCTS(S, I, D, IA, DA)                                 \
  /* broadcasting elementwise loop: out dims, per-input element strides     \
     (0 along broadcast dims), two scalar attributes */                     \
  S(MlcEw, I(rank) I(count) IA(dims, MLC_RT_MAX_RANK)                       \
           IA(s0, MLC_RT_MAX_RANK) IA(s1, MLC_RT_MAX_RANK)                  \
           IA(s2, MLC_RT_MAX_RANK) D(p0) D(p1))                             \
  /* strided copy of elem-byte items: Transpose, Slice, Concat, Expand,     \
     Split, Pad's interior, DepthToSpace... Strides in elements. */          \
  S(MlcCopy, I(rank) I(elem) IA(dims, MLC_RT_MAX_RANK)                      \
             IA(src_strides, MLC_RT_MAX_RANK)                               \
             IA(dst_strides, MLC_RT_MAX_RANK) I(src_off) I(dst_off))         \
  /* fill count items of elem bytes with a value (given as its bytes) */    \
  S(MlcFill, I(count) I(elem) I(bits))                                      \
  /* Pad with mode 1 = reflect, 2 = edge, 3 = wrap (constant padding is    \
     Fill+Copy). The input is read at src_off with element strides, so     \
     negative pads crop it first; pad_begin >= 0 */                         \
  S(MlcPad, I(rank) I(elem) I(mode) IA(in_dims, MLC_RT_MAX_RANK)            \
            IA(in_strides, MLC_RT_MAX_RANK) I(src_off)                      \
            IA(out_dims, MLC_RT_MAX_RANK) IA(pad_begin, MLC_RT_MAX_RANK))   \
  /* Conv / ConvTranspose, NC + spatial layout. act: MLC_ACT_* epilogue */  \
  S(MlcConv, I(n) I(c) I(m) I(group) I(nsp) IA(in_sp, MLC_RT_MAX_SP)        \
             IA(out_sp, MLC_RT_MAX_SP) IA(k, MLC_RT_MAX_SP)                 \
             IA(stride, MLC_RT_MAX_SP) IA(dil, MLC_RT_MAX_SP)               \
             IA(pad_begin, MLC_RT_MAX_SP) I(has_bias) I(act) D(act_a)       \
             D(act_b) I(has_res))                                           \
  /* MaxPool / AveragePool / LpPool; kind: MLC_POOL_*. Averages with        \
     count_include_pad count the window inside [-pad_begin, in + pad_end); \
     storage_order 1: MaxPool's indices are column-major over the dims */  \
  S(MlcPool, I(n) I(c) I(nsp) IA(in_sp, MLC_RT_MAX_SP)                      \
             IA(out_sp, MLC_RT_MAX_SP) IA(k, MLC_RT_MAX_SP)                 \
             IA(stride, MLC_RT_MAX_SP) IA(dil, MLC_RT_MAX_SP)               \
             IA(pad_begin, MLC_RT_MAX_SP) IA(pad_end, MLC_RT_MAX_SP)        \
             I(kind) I(count_include_pad) I(storage_order) D(p))            \
  /* Y = alpha * op(A) op(B) + beta * C; C broadcast by element strides */  \
  S(MlcGemm, I(m) I(n) I(k) I(trans_a) I(trans_b) D(alpha) D(beta)          \
             I(has_c) I(c_rs) I(c_cs) I(act) D(act_a) D(act_b) I(has_res))  \
  /* batched MatMul, batch dims broadcast: per-batch-dim element strides */ \
  S(MlcMatMul, I(m) I(n) I(k) I(brank) IA(bdims, MLC_RT_MAX_RANK)           \
               IA(a_bs, MLC_RT_MAX_RANK) IA(b_bs, MLC_RT_MAX_RANK))         \
  /* inference BatchNormalization over [n, c, inner] */                      \
  S(MlcBatchNorm, I(n) I(c) I(inner) D(eps))                                \
  /* LayerNormalization: normalize each of outer rows of length inner */    \
  S(MlcLayerNorm, I(outer) I(inner) D(eps) I(has_bias))                     \
  /* Softmax / LogSoftmax over the middle dim of [outer, len, inner] */     \
  S(MlcSoftmax, I(outer) I(len) I(inner) I(log))                            \
  /* reduce over the axes flagged in `axes` of an input of dims `dims`;     \
     kind: MLC_RED_* */                                                      \
  S(MlcReduce, I(rank) IA(dims, MLC_RT_MAX_RANK)                            \
               IA(axes, MLC_RT_MAX_RANK) I(kind))                            \
  /* ArgMax / ArgMin over the middle dim of [outer, len, inner] */          \
  S(MlcArg, I(outer) I(len) I(inner) I(select_last) I(is_min))              \
  /* Gather along the middle dim of [outer, len, inner*elem bytes];         \
     indices are int64 (idx_bits 64) or int32, negative ones count from    \
     the end, out-of-range ones yield zero bytes */                         \
  S(MlcGather, I(outer) I(len) I(inner_bytes) I(nidx) I(idx_bits))          \
  /* Cast count items between MLC_DT_* codes (ONNX TensorProto numbers,    \
     float8 ones included); nosat: MLC_CAST_* flags: NOSAT, a float8        \
     overflow gives inf or NaN (ONNX saturate=0) instead of the largest     \
     finite value; ROUND_DOWN / ROUND_NEAREST: float8e8m0's round_mode      \
     (default up) */                                                        \
  S(MlcCast, I(count) I(from) I(to) I(nosat))                               \
  /* TfIdfVectorizer over rows of cols tokens (int64, or int32 when        \
     x_bits is 32): n-grams of min..max tokens, skip + 1 apart at most     \
     (unigrams once), looked up in the sorted pool table; idf 1: counts   \
     become 0/1 before the weights multiply */                             \
  S(MlcTfIdf, I(rows) I(cols) I(out) I(min) I(max) I(skip) I(x_bits)       \
              I(idf))                                                      \
  MLC_RT_PARAMS_STR(S, I, D, IA, DA)                                        \
  MLC_RT_PARAMS_INDEX(S, I, D, IA, DA)                                      \
  MLC_RT_PARAMS_IMAGE(S, I, D, IA, DA)                                      \
  MLC_RT_PARAMS_NORM(S, I, D, IA, DA)                                       \
  MLC_RT_PARAMS_QUANT(S, I, D, IA, DA)                                      \
  MLC_RT_PARAMS_SEQ(S, I, D, IA, DA)                                        \
  MLC_RT_PARAMS_TRAIN(S, I, D, IA, DA)

/* parameter structs by area, one list each (same field macros as above) */
/* gather/scatter, sorting, cumulative and index ops (op_index.c) */
#define MLC_RT_PARAMS_INDEX(S, I, D, IA, DA)                                  \
  /* NonZero at run time: x of `count` items of MLC_DT_* `dtype`, dims     \
     `dims`; y holds the coordinates [rank][nnz], nnz <= count */           \
  S(MlcNonZero, I(rank) IA(dims, MLC_RT_MAX_RANK) I(count) I(dtype))         \
  /* GatherElements / ScatterElements: one item per index, walking the     \
     indices' dims; its data element is the walk's position with the axis  \
     coordinate replaced by the index (strides: data's, in elements).      \
     dtype: MLC_DT_* (scatter reductions); reduction: 0 none, 1 add,       \
     2 mul, 3 max, 4 min; idx_bits: 64 or 32 */                             \
  S(MlcElems, I(rank) I(axis) I(axis_len) I(elem) I(dtype) I(reduction)     \
              I(idx_bits) I(data_count) IA(dims, MLC_RT_MAX_RANK)           \
              IA(strides, MLC_RT_MAX_RANK))                                 \
  /* GatherND / ScatterND: data is [batch, dims[0..k), slice]; each of the  \
     nidx index tuples of a batch (k int64 each) picks a slice of `slice`  \
     elements; strides of the k dims in elements; reduction as MlcElems */ \
  S(MlcND, I(batch) I(batch_stride) I(nidx) I(k) I(slice) I(elem) I(dtype)  \
           I(reduction) I(data_count) IA(dims, MLC_RT_MAX_RANK)             \
           IA(strides, MLC_RT_MAX_RANK))                                    \
  /* CumSum (prod 0) / CumProd (prod 1) along the middle dim of            \
     [outer, len, inner] */                                                 \
  S(MlcCum, I(outer) I(len) I(inner) I(dtype) I(prod) I(exclusive)          \
            I(reverse))                                                     \
  /* TopK along the middle dim of [outer, len, inner]: the k largest (or   \
     smallest), sorted, ties by lower index, NaN above every number */      \
  S(MlcTopK, I(outer) I(len) I(inner) I(k) I(dtype) I(largest))             \
  /* OneHot: y[o, d, i] = values[idx[o, i] == d] of elem bytes; with wrap  \
     negative indices count from the end; others out of range match        \
     nothing */                                                             \
  S(MlcOneHot, I(outer) I(depth) I(inner) I(elem) I(wrap))                  \
  /* Trilu over batch matrices: keep j - i >= k (upper) or <= k (lower) */  \
  S(MlcTrilu, I(batch) I(rows) I(cols) I(elem) I(upper) I(k))               \
  /* ReverseSequence: row-major dims; lengths clamped to [0, time dim] */   \
  S(MlcRevSeq, I(rank) I(elem) I(time_axis) I(batch_axis)                   \
               IA(dims, MLC_RT_MAX_RANK))                                   \
  /* TensorScatter: cache [pre, max_seq, row_bytes], update [pre, seq,      \
     row_bytes]; batch of a pre row = row / per_batch; write positions out  \
     of range are skipped (linear) or wrap (circular) */                    \
  S(MlcTensorScatter, I(pre) I(per_batch) I(max_seq) I(seq) I(row_bytes)    \
                      I(circular))                                          \
  /* Det of batch n x n matrices, LU with partial pivoting in double */     \
  S(MlcDet, I(batch) I(n) I(dtype))                                         \
  /* Einsum of one or two operands as a loop nest: y (count elements) is    \
     zeroed, then y[so.i] += a[sa.i] * b[sb.i] over every i in dims */      \
  S(MlcEinsum, I(rank) I(dtype) I(count) IA(dims, MLC_RT_MAX_RANK)          \
               IA(sa, MLC_RT_MAX_RANK) IA(sb, MLC_RT_MAX_RANK)              \
               IA(so, MLC_RT_MAX_RANK))
/* resize and image ops (op_image.c) */
#define MLC_RT_PARAMS_IMAGE(S, I, D, IA, DA)                                  \
  /* one axis of Resize over [outer, in_len, inner] -> [outer, out_len,     \
     inner]: output row l is sum_t w[l*taps+t] * input row idx[l*taps+t],   \
     or extrap where idx[l*taps] is -1. Elements are float, or double     \
     where in_f64 / out_f64; sums in double */                              \
  S(MlcResize, I(outer) I(in_len) I(out_len) I(inner) I(taps) I(in_f64)     \
               I(out_f64) D(extrap))                                        \
  /* GridSample of n x c planes of dims in_sp at the grid's points (dims    \
     out_sp, nsp coordinates each, innermost dim first); mode 0 nearest,   \
     1 linear, 2 cubic; padding 0 zeros, 1 border, 2 reflection */          \
  S(MlcGridSample, I(n) I(c) I(nsp) IA(in_sp, MLC_RT_MAX_SP)                \
                   IA(out_sp, MLC_RT_MAX_SP) I(mode) I(padding)             \
                   I(align_corners))                                        \
  /* AffineGrid: n grids of dims sp (nsp of them), each point theta times  \
     its normalized coordinates (innermost dim first) and 1 */             \
  S(MlcAffineGrid, I(n) I(nsp) IA(sp, MLC_RT_MAX_SP) I(align_corners))      \
  /* Col2Im of planes column blocks [k..., cols...] into images img; an    \
     image pixel is col * stride - pad_begin + k * dil */                   \
  S(MlcCol2Im, I(planes) I(nsp) IA(img, MLC_RT_MAX_SP)                      \
               IA(cols, MLC_RT_MAX_SP) IA(k, MLC_RT_MAX_SP)                 \
               IA(stride, MLC_RT_MAX_SP) IA(dil, MLC_RT_MAX_SP)             \
               IA(pad_begin, MLC_RT_MAX_SP))                                \
  /* DeformConv: Conv whose taps sample x bilinearly at offsets (and times \
     a mask); offset_group channel groups share offsets */                  \
  S(MlcDeformConv, I(n) I(c) I(m) I(group) I(offset_group) I(nsp)           \
                   IA(in_sp, MLC_RT_MAX_SP) IA(out_sp, MLC_RT_MAX_SP)       \
                   IA(k, MLC_RT_MAX_SP) IA(stride, MLC_RT_MAX_SP)           \
                   IA(dil, MLC_RT_MAX_SP) IA(pad_begin, MLC_RT_MAX_SP)      \
                   I(has_bias) I(has_mask))                                 \
  /* RoiAlign of n x c x h x w at nrois boxes [x1, y1, x2, y2]; batch      \
     indices out of range give zeros */                                     \
  S(MlcRoiAlign, I(n) I(c) I(h) I(w) I(nrois) I(out_h) I(out_w)             \
                 I(sampling_ratio) D(spatial_scale) I(half_pixel)           \
                 I(max_mode))                                               \
  /* MaxRoiPool at nrois boxes [batch, x1, y1, x2, y2]; bad batch: zeros */ \
  S(MlcMaxRoiPool, I(n) I(c) I(h) I(w) I(nrois) I(out_h) I(out_w)           \
                   D(spatial_scale))                                        \
  /* MaxUnpool: count items of elem bytes scattered to flat indices of a   \
     tensor of dims in_dims, which lies at the origin of the zeroed output \
     of dims out_dims; indices outside either are skipped */               \
  S(MlcMaxUnpool, I(rank) I(count) I(elem) IA(in_dims, MLC_RT_MAX_RANK)     \
                  IA(out_dims, MLC_RT_MAX_RANK))                            \
  /* NonMaxSuppression of batches x boxes boxes and batches x classes x    \
     boxes scores; at most cap triples are written */                       \
  S(MlcNms, I(batches) I(classes) I(boxes) I(center_point_box) I(cap))
/* normalizations and attention (op_norm.c) */
#define MLC_RT_PARAMS_NORM(S, I, D, IA, DA)                                   \
  /* normalizes rows of len values: y = (x - mean) / sqrt(var + eps), or   \
     with center 0 (RMS) y = x / sqrt(mean(x^2) + eps); then times         \
     scale[s] plus bias[s] where the flat element e = row * len + j has    \
     s = (e / sdiv) % smod */                                              \
  S(MlcRowNorm, I(rows) I(len) D(eps) I(center) I(sdiv) I(smod))           \
  /* LpNormalization (p 1 or 2) over the middle dim of [outer, len, inner];\
     a zero norm gives zeros */                                            \
  S(MlcLpNorm, I(outer) I(len) I(inner) I(p))                              \
  /* LRN across the c channels of [n, c, inner] */                        \
  S(MlcLrn, I(n) I(c) I(inner) I(size) D(alpha) D(beta) D(bias))           \
  /* NegativeLogLikelihoodLoss of x [n, c, inner] at targets [n, inner]    \
     (int64, or int32 when idx_bits is 32); reduction 0 none, 1 sum, 2     \
     mean. Ignored and out-of-range targets count zero with weight zero */ \
  S(MlcNll, I(n) I(c) I(inner) I(idx_bits) I(has_ignore) I(ignore)         \
            I(reduction))                                                  \
  /* Attention over b x hq query heads (hq / hkv share a key head) of sq   \
     queries against skv keys; element strides (batch, head, position) of \
     q, k, v and y, whose last dim is contiguous. mask 0 none, 1 bool, 2   \
     additive, at strides m_st over (b, h, query, key), keys from mask_len \
     on masked; causal/left/right (-1: unbounded) count from the query's  \
     position offset: past, or nonpad[b] - sq when nonpad is given.        \
     qk_mode: what qk holds (0/1 softcapped scores, 2 plus bias, 3 the    \
     probabilities). scale multiplies q.k; with bf16 set, the rounding of  \
     each step to bfloat16 is emulated and scale is sqrt(scale) instead,  \
     applied to q and k */                                                 \
  S(MlcAttention, I(b) I(hq) I(hkv) I(sq) I(skv) I(dk) I(dv)               \
                  IA(q_st, 3) IA(k_st, 3) IA(v_st, 3) IA(y_st, 3) I(mask)  \
                  IA(m_st, 4) I(mask_len) I(causal) I(past) I(left)        \
                  I(right) D(scale) D(softcap) I(qk_mode) I(bf16))         \
  /* RotaryEmbedding of x [b, h, s, d] at element strides st (batch, head, \
     position; y alike): the first rot of each d values rotate by the     \
     cos/sin rows of position pos[b, s] (clamped to [0, npos)), or of row \
     b * s + position when npos is 0 (caches [b, s, rot / 2]) */          \
  S(MlcRotary, I(b) I(h) I(s) I(d) I(rot) I(interleaved) IA(st, 3) I(npos))\
  /* LinearAttention over t steps of [b, t, heads * size] inputs; the      \
     state [b, hkv, dk, dv] starts from past (or zeros). decay 0 none, 1  \
     one per kv head, 2 one per key dim; beta 0 none, 1 one per kv head,  \
     2 one per step */                                                     \
  S(MlcLinAttn, I(b) I(t) I(hq) I(hkv) I(dk) I(dv) I(decay) I(beta)        \
                D(scale))                                                  \
  /* DFT of na x nb lines: line (a, b) reads len values (in_c 1 real, 2    \
     complex) from x at a * x_ls[0] + b * x_ls[1], x_es apart, times the   \
     window if given, zero-padded or cut to n; writes out_len values       \
     (out_c 1: real parts) to y likewise. onesided inverse: the input is   \
     the first half of a hermitian spectrum */                             \
  S(MlcDft, I(na) I(nb) IA(x_ls, 2) I(x_es) IA(y_ls, 2) I(y_es) I(len)     \
            I(in_c) I(n) I(out_len) I(out_c) I(inverse) I(onesided))
/* quantization (op_quant.c) */
#define MLC_RT_PARAMS_QUANT(S, I, D, IA, DA)                                  \
  /* Quantize/DequantizeLinear of x viewed as [outer, len, inner]: the     \
     scale and zero point (double) of element (o, a, i) are at o * s_o +   \
     (a / block) * s_a + i * s_i. xt, yt: MLC_DT_* of x and y. Quantize    \
     rounds x / scale to type divt, then to an integer saturated to        \
     [lo, hi] (lo > hi: a float y, cast with nosat) */                     \
  S(MlcQuant, I(outer) I(len) I(inner) I(block) I(s_o) I(s_a) I(s_i)       \
              I(xt) I(yt) I(divt) I(lo) I(hi) I(nosat))                    \
  S(MlcDynQuant, I(count))                                                 \
  /* integer MatMul of int8/uint8 (at, bt) into int32, batches as          \
     MlcMatMul; azp 1: one zero point per row of A (else one); bzp 1: one \
     per column, 2: one per column of each batch of B */                   \
  S(MlcQMatMul, I(m) I(n) I(k) I(brank) IA(bdims, MLC_RT_MAX_RANK)          \
                IA(a_bs, MLC_RT_MAX_RANK) IA(b_bs, MLC_RT_MAX_RANK) I(at)  \
                I(bt) I(azp) I(bzp))                                       \
  /* integer Conv into int32, geometry as MlcConv; wzp 1: one weight zero  \
     point per output channel */                                           \
  S(MlcQConv, I(n) I(c) I(m) I(group) I(nsp) IA(in_sp, MLC_RT_MAX_SP)       \
              IA(out_sp, MLC_RT_MAX_SP) IA(k, MLC_RT_MAX_SP)               \
              IA(stride, MLC_RT_MAX_SP) IA(dil, MLC_RT_MAX_SP)             \
              IA(pad_begin, MLC_RT_MAX_SP) I(xt) I(wt) I(wzp))             \
  /* int32 acc [outer, len, inner] to yt: rint(acc * f + zp) saturated to  \
     [lo, hi], f = s1 * s2[l] / s3 (s2 per l when s2_per), rounded to type \
     st after each step as the scales' own arithmetic would */            \
  S(MlcRequant, I(outer) I(len) I(inner) I(s2_per) I(st) I(yt) I(lo) I(hi))
/* recurrent ops and control flow (op_seq.c) */
#define MLC_RT_PARAMS_SEQ(S, I, D, IA, DA)                                    \
  /* RNN, GRU, LSTM (cell: MLC_RNN_CELL_*) over seq steps of batch rows of \
     input values, hidden units, ndir directions (reverse: the one runs    \
     backwards). layout 1: X and Y batch-major. act: MLC_RNN_* of each     \
     direction's functions (f; f, g; f, g, h) with their alpha, beta.      \
     clip > 0 clamps pre-activations. has_h0/has_c0: the lowering copied   \
     the initial states into the scratch (else zeros); lbr: GRU's          \
     linear_before_reset */                                                \
  S(MlcRnn, I(cell) I(seq) I(batch) I(input) I(hidden) I(ndir) I(reverse)  \
            I(layout) I(has_b) I(has_p) I(has_h0) I(has_c0) D(clip)        \
            I(input_forget) I(lbr) IA(act, 6) DA(alpha, 6) DA(beta, 6))  \
  /* ---- ai.onnx.ml (op_ml.c, op_ml_tree.c); post: MLC_ML_* ---- */      \
  /* Normalizer of rows of len floats by their max, L1 or L2 norm (kind:  \
     MLC_ML_NORM_*); a zero divisor leaves the row as it is */             \
  S(MlcMlNorm, I(rows) I(len) I(kind))                                     \
  /* the post-transform of rows of n scores; one score takes only PROBIT */ \
  S(MlcMlPost, I(rows) I(n) I(kind))                                       \
  /* LinearClassifier's labels and transformed scores from raw ones        \
     [rows, classes]; one class with two labels gives two columns */       \
  S(MlcMlLinClass, I(rows) I(classes) I(post) I(nlabels))                  \
  /* lookup of count items of type in_t (MLC_DT_*) among nkeys ascending   \
     keys (int64 if key_int, else double): the value at the key's place   \
     (int64 if val_int, else double) or the default, stored as out_t */    \
  S(MlcMlMap, I(count) I(nkeys) I(in_t) I(out_t) I(key_int) I(val_int)     \
              D(def_f) I(def_i))                                           \
  /* tree ensemble over rows of features values (x_t float or double).     \
     ints: ntrees roots, nnodes records of MLC_TREE_REC (feature, mode,    \
     missing goes true, true child, false child, set start, set length;   \
     a child < 0 is leaf -1 - child), nleaves + 1 leaf starts, nweights   \
     target ids, then a classifier's ntargets labels. vals: nnodes         \
     thresholds and set members (nvals in all), nweights leaf weights,    \
     nbase base values. agg: MLC_TREE_AVERAGE..MAX; binary, all_pos: a   \
     two-class classifier with weights for one class (all positive) */    \
  S(MlcTrees, I(rows) I(features) I(ntrees) I(nnodes) I(nleaves)          \
              I(nweights) I(nvals) I(ntargets) I(agg) I(post) I(x_t)      \
              I(y_t) I(classifier) I(binary) I(all_pos) I(nbase))         \
  /* SVMRegressor / SVMClassifier over rows of features floats: nvec      \
     support vectors (0: linear model, one coefficient row per class),    \
     kernel MLC_SVM_*; consts holds coefficients (ncoef), rho (nrho), then \
     prob_a and prob_b (nprob each). A classifier has classes classes,    \
     vectors per class in counts; zcols scores per row */                 \
  S(MlcSvm, I(rows) I(features) I(nvec) I(classes) I(kernel) D(gamma)      \
            D(coef0) D(degree) I(ncoef) I(nrho) I(nprob) I(post)           \
            I(classifier) I(one_class) I(all_pos) I(nlabels) I(zcols))

/* training: BatchNormalization's training mode (op_nn.c), the optimizers of
   ai.onnx.preview.training (op_train.c) */
#define MLC_RT_PARAMS_TRAIN(S, I, D, IA, DA)                                  \
  /* BatchNormalization over [n, c, inner] normalized by the batch's own   \
     mean and (population) variance; stats [4, c]: running mean and        \
     variance (input * momentum + batch * (1 - momentum)), batch mean,     \
     batch 1 / sqrt(var + eps) */                                          \
  S(MlcBnTrain, I(n) I(c) I(inner) D(eps) D(momentum))                     \
  /* an optimizer step's scalars (kind: MLC_OPTIM_*) from the learning     \
     rate R (double if r_f64, else float) and the update count T: rate[0]  \
     the step size, rate[1] the gradient's weight in the first moment */   \
  S(MlcOptimRate, I(kind) I(r_f64) D(alpha) D(beta) D(decay))              \
  /* one optimizer step over count elements of X with gradient G and      \
     state s1 (Adagrad H; Adam, Momentum V) and s2 (Adam H); norm: L2     \
     regularization, post: Adam's post-update decay */                     \
  S(MlcOptim, I(count) I(kind) D(alpha) D(beta) D(eps) D(norm) D(post))

/* string tensors (op_string.c; mlc_rt_str below). cap: bytes of the run's
   string region */
#define MLC_RT_PARAMS_STR(S, I, D, IA, DA)                                    \
  /* StringSplit of count strings into cols substrings each, padded with   \
     ""; at most maxsplit splits (-1: no limit). No delimiter (NULL or ""):\
     runs of whitespace separate and leading/trailing ones are dropped.    \
     cols is the bound the output was planned for; the count output gets  \
     the widest row, and rows are laid out compactly at that width. With  \
     y NULL only lengths and the widest row are written */                \
  S(MlcStrSplit, I(count) I(cols) I(maxsplit) I(cap))                      \
  /* StringNormalizer of len strings: those equal to one of nstop          \
     stopwords (ignoring case unless case_sensitive) are dropped, the rest \
     change case (MLC_STR_*) and fill y from its start; no string left    \
     gives one "". The rest of y's out_len entries are "" */              \
  S(MlcStrNorm, I(len) I(out_len) I(nstop) I(case_change)                  \
                I(case_sensitive) I(cap))                                  \
  /* LabelEncoder with string keys or values: x's count items of type     \
     in_t looked up among nkeys sorted keys (strings, int64 or double:     \
     key_t); the key's place picks the value (strings, int64 or double,   \
     stored as out_t), else the default (def for strings, else def_i or   \
     def_f) */                                                             \
  S(MlcStrMap, I(count) I(nkeys) I(in_t) I(key_t) I(out_t) I(def_i)        \
               D(def_f))                                                   \
  /* RegexFullMatch of count strings: a program of ninst instructions of   \
     3 int64 (MLC_RX_*, x, y), then the class ranges. Thompson simulation  \
     over code points: linear in the string, no backtracking */           \
  S(MlcRegex, I(count) I(ninst))

#define MLC_RT__S(T, F) typedef struct T { F } T;
#define MLC_RT__I(x) int64_t x;
#define MLC_RT__D(x) double x;
#define MLC_RT__IA(x, n) int64_t x[n];
#define MLC_RT__DA(x, n) double x[n];
MLC_RT_PARAM_STRUCTS(MLC_RT__S, MLC_RT__I, MLC_RT__D, MLC_RT__IA, MLC_RT__DA)
#undef MLC_RT__S
#undef MLC_RT__I
#undef MLC_RT__D
#undef MLC_RT__IA
#undef MLC_RT__DA

/* Element types: the numbers of ONNX's TensorProto.DataType. The sub-byte
 * types take one byte per element: int4 and int2 as sign-extended int8_t,
 * uint4 and uint2 as uint8_t, float4e2m1 and float8e8m0 as their codes. */
enum {
  MLC_DT_FLOAT = 1, MLC_DT_UINT8 = 2, MLC_DT_INT8 = 3, MLC_DT_UINT16 = 4,
  MLC_DT_INT16 = 5, MLC_DT_INT32 = 6, MLC_DT_INT64 = 7, MLC_DT_STRING = 8,
  MLC_DT_BOOL = 9, MLC_DT_FLOAT16 = 10, MLC_DT_DOUBLE = 11,
  MLC_DT_UINT32 = 12, MLC_DT_UINT64 = 13, MLC_DT_BFLOAT16 = 16,
  MLC_DT_UINT4 = 21, MLC_DT_INT4 = 22, MLC_DT_FLOAT4E2M1 = 23,
  MLC_DT_FLOAT8E8M0 = 24, MLC_DT_UINT2 = 25, MLC_DT_INT2 = 26
};

enum { MLC_CAST_NOSAT = 1, MLC_CAST_ROUND_DOWN = 2, MLC_CAST_ROUND_NEAREST = 4 };
enum { MLC_ACT_NONE, MLC_ACT_RELU, MLC_ACT_CLIP, MLC_ACT_SIGMOID,
       MLC_ACT_LEAKYRELU, MLC_ACT_HARDSWISH };
enum { MLC_POOL_MAX, MLC_POOL_AVG, MLC_POOL_LP };
enum { MLC_RED_SUM, MLC_RED_MEAN, MLC_RED_MAX, MLC_RED_MIN, MLC_RED_PROD,
       MLC_RED_L1, MLC_RED_L2, MLC_RED_LOGSUM, MLC_RED_LOGSUMEXP,
       MLC_RED_SUMSQUARE };

/* The GEMM-based kernels (conv_f32, gemm_f32, matmul_f32) pack panels of
 * their operands into a scratch buffer that the caller provides as their
 * last io slot, of mlc_rt_gemm_scratch(m, n, k) floats for an m x k by
 * k x n product (conv: mlc_rt_conv_scratch). The slack covers rounding the
 * blocks up to any micro-tile the runtime's build target selects. */
#define MLC_RT_GEMM_MC 144
#define MLC_RT_GEMM_KC 256
#define MLC_RT_GEMM_NC 1024
#define MLC_RT_GEMM_SLACK 32
static inline int64_t mlc_rt_gemm_scratch(int64_t m, int64_t n, int64_t k) {
  int64_t mc = m < MLC_RT_GEMM_MC ? m : MLC_RT_GEMM_MC;
  int64_t nc = n < MLC_RT_GEMM_NC ? n : MLC_RT_GEMM_NC;
  int64_t kc = k < MLC_RT_GEMM_KC ? k : MLC_RT_GEMM_KC;
  return (mc + nc + 2 * MLC_RT_GEMM_SLACK) * kc + MLC_RT_GEMM_SLACK;
}
/* conv_f32: a GEMM per group, or for a depthwise conv (one input and one
 * output channel per group) a zero-padded copy of one input plane, with
 * slack for vector reads past its end */
static inline int64_t mlc_rt_conv_scratch(const MlcConv *p) {
  int64_t kvol = 1, npix = 1, plane = 1;
  for (int i = 0; i < p->nsp; i++) {
    int64_t need = (p->out_sp[i] - 1) * p->stride[i] + (p->k[i] - 1) * p->dil[i] + 1;
    int64_t have = p->pad_begin[i] + p->in_sp[i];
    kvol *= p->k[i];
    npix *= p->out_sp[i];
    plane *= need > have ? need : have;
  }
  if (p->c == p->group && p->m == p->group) return plane + 2 * MLC_RT_GEMM_SLACK;
  return mlc_rt_gemm_scratch(p->m / p->group, npix, p->c / p->group * kvol);
}
/* rnn_f32: the state first (h as [ndir, batch, hidden], then c for LSTM),
 * where the lowering puts the initial states and finds the final ones;
 * then the input projection, the gates, one row of hidden values per batch
 * row and the GEMM's scratch */
enum { MLC_RNN_CELL_RNN, MLC_RNN_CELL_GRU, MLC_RNN_CELL_LSTM };
enum { MLC_RNN_RELU, MLC_RNN_TANH, MLC_RNN_SIGMOID, MLC_RNN_AFFINE,
       MLC_RNN_LEAKYRELU, MLC_RNN_THRESHOLDEDRELU, MLC_RNN_SCALEDTANH,
       MLC_RNN_HARDSIGMOID, MLC_RNN_ELU, MLC_RNN_SOFTSIGN, MLC_RNN_SOFTPLUS };
static inline int64_t mlc_rt_rnn_scratch(const MlcRnn *p) {
  int64_t lstm = p->cell == MLC_RNN_CELL_LSTM;
  int64_t gh = (lstm ? 4 : p->cell == MLC_RNN_CELL_GRU ? 3 : 1) * p->hidden;
  int64_t rows = p->seq * p->batch;
  int64_t g1 = mlc_rt_gemm_scratch(rows, gh, p->input);
  int64_t g2 = mlc_rt_gemm_scratch(p->batch, gh, p->hidden);
  return (1 + lstm) * p->ndir * p->batch * p->hidden + rows * gh +
         p->batch * (gh + p->hidden) + (g1 > g2 ? g1 : g2);
}
enum { MLC_ML_NONE, MLC_ML_SOFTMAX, MLC_ML_LOGISTIC, MLC_ML_SOFTMAX_ZERO,
       MLC_ML_PROBIT };
enum { MLC_ML_NORM_MAX, MLC_ML_NORM_L1, MLC_ML_NORM_L2 };
enum { MLC_TREE_LEQ, MLC_TREE_LT, MLC_TREE_GTE, MLC_TREE_GT, MLC_TREE_EQ,
       MLC_TREE_NEQ, MLC_TREE_MEMBER, MLC_TREE_REC = 7 };
enum { MLC_TREE_AVERAGE, MLC_TREE_SUM, MLC_TREE_MIN, MLC_TREE_MAX };
enum { MLC_SVM_LINEAR, MLC_SVM_POLY, MLC_SVM_RBF, MLC_SVM_SIGMOID };
enum { MLC_OPTIM_ADAGRAD, MLC_OPTIM_ADAM, MLC_OPTIM_MOMENTUM, MLC_OPTIM_NESTEROV };
/* svm: per row, the kernel values, the pairwise scores, votes, and the
 * pairwise probabilities with their solver's matrix and vector */
static inline int64_t mlc_rt_svm_scratch(const MlcSvm *p) {
  int64_t c = p->classes;
  return p->nvec + c * (c - 1) / 2 + 2 * c + 2 * c * c;
}

/* ---- kernels ------------------------------------------------------------
 * K(name, ParamsType). io lists inputs, then outputs.
 */
#define MLC_RT_KERNELS(K)                                                     \
  K(copy, MlcCopy)             /* io: src, dst */                           \
  K(fill, MlcFill)             /* io: dst */                                \
  K(pad, MlcPad)               /* io: src, dst */                           \
  /* scratch: mlc_rt_conv_scratch() or mlc_rt_gemm_scratch() floats,       \
     NULL when that is 0 */                                                 \
  /* res: added before the activation when has_res, shaped like y */        \
  K(conv_f32, MlcConv)         /* io: x, w, bias|NULL, y, scratch, res */   \
  K(gemm_f32, MlcGemm)         /* io: a, b, c|NULL, y, scratch, res */      \
  K(matmul_f32, MlcMatMul)     /* io: a, b, y, scratch */                   \
  K(matmul_f64, MlcMatMul)     /* io: a, b, y */                            \
  /* pools: indices (int64) only for MLC_POOL_MAX; u8/i8 only MaxPool */    \
  K(pool_f32, MlcPool)         /* io: x, y, indices|NULL */                 \
  K(pool_u8, MlcPool)          /* io: x, y, indices|NULL */                 \
  K(pool_i8, MlcPool)          /* io: x, y, indices|NULL */                 \
  K(batchnorm_f32, MlcBatchNorm) /* io: x, scale, bias, mean, var, y */     \
  /* mean, invstd: float, one per row */                                    \
  K(layernorm_f32, MlcLayerNorm) /* io: x, scale, bias|NULL, y,             \
                                    mean|NULL, invstd|NULL */               \
  K(softmax_f32, MlcSoftmax)   /* io: x, y */                               \
  K(softmax_f64, MlcSoftmax)   /* io: x, y */                               \
  K(reduce_f32, MlcReduce)     /* io: x, y */                               \
  K(reduce_f64, MlcReduce)     /* io: x, y */                               \
  K(reduce_i32, MlcReduce)     /* io: x, y */                               \
  K(reduce_i64, MlcReduce)     /* io: x, y */                               \
  K(reduce_u8, MlcReduce)      /* io: x, y (uint8 and bool) */              \
  K(argmax_f32, MlcArg)        /* io: x, y (int64); ArgMin too */           \
  K(argmax_f64, MlcArg)        /* io: x, y (int64) */                       \
  K(argmax_i32, MlcArg)        /* io: x, y (int64) */                       \
  K(argmax_i64, MlcArg)        /* io: x, y (int64) */                       \
  K(argmax_u8, MlcArg)         /* io: x, y (int64) */                       \
  K(gather, MlcGather)         /* io: data, indices, y */                   \
  K(cast, MlcCast)             /* io: x, y */                               \
  /* table (int64): per n-gram size 0..max its entries' offset and count, \
     then each entry's tokens and output column, sorted by tokens;        \
     weights: double, one per output column */                            \
  K(tfidf, MlcTfIdf)           /* io: x, table, weights|NULL, y (float) */  \
  MLC_RT_KERNELS_STR(K)                                                     \
  MLC_RT_KERNELS_INDEX(K)                                                   \
  MLC_RT_KERNELS_IMAGE(K)                                                   \
  MLC_RT_KERNELS_NORM(K)                                                    \
  MLC_RT_KERNELS_QUANT(K)                                                   \
  MLC_RT_KERNELS_SEQ(K)                                                     \
  MLC_RT_KERNELS_TRAIN(K)

/* kernels by area, one list each */
#define MLC_RT_KERNELS_INDEX(K)                                               \
  K(nonzero, MlcNonZero)        /* io: x, y (int64), nnz (int64 [1]) */     \
  K(gather_elements, MlcElems)  /* io: data, indices, y */                  \
  K(scatter_elements, MlcElems) /* io: data, indices, updates, y */         \
  K(gather_nd, MlcND)           /* io: data, indices (int64), y */          \
  K(scatter_nd, MlcND)          /* io: data, indices (int64), updates, y */ \
  K(cumulative, MlcCum)         /* io: x, y */                              \
  /* scratch: 2 * len int64 */                                              \
  K(topk, MlcTopK)              /* io: x, values, indices, scratch */       \
  K(onehot, MlcOneHot)          /* io: indices (int64), values, y */        \
  K(trilu, MlcTrilu)            /* io: x, k|NULL (int64), y */              \
  K(reverse_sequence, MlcRevSeq) /* io: x, lengths (int64), y */            \
  K(tensor_scatter, MlcTensorScatter) /* io: cache, update,                 \
                                         indices|NULL (int64), y */         \
  K(det, MlcDet)                /* io: x, y, scratch (n * n double) */      \
  K(einsum, MlcEinsum)          /* io: a, b|NULL, y */
#define MLC_RT_KERNELS_IMAGE(K)                                               \
  K(resize, MlcResize)         /* io: x, idx (int64), w (double), y */      \
  K(gridsample_f32, MlcGridSample) /* io: x, grid, y */                     \
  K(affinegrid_f32, MlcAffineGrid) /* io: theta, y */                       \
  K(col2im_f32, MlcCol2Im)     /* io: cols, y */                            \
  /* ConvTranspose, W [c, m / group, k...]; scratch: m / group * k-volume \
     * input pixels floats, then mlc_rt_gemm_scratch() of that product */   \
  K(convtranspose_f32, MlcConv) /* io: x, w, bias|NULL, y, scratch */       \
  /* scratch: c / group * k-volume * output pixels floats, then            \
     mlc_rt_gemm_scratch() of the product */                                \
  K(deformconv_f32, MlcDeformConv) /* io: x, w, offset, bias|NULL,          \
                                      mask|NULL, y, scratch */              \
  K(roialign_f32, MlcRoiAlign) /* io: x, rois, batch_indices (int64), y */  \
  K(maxroipool_f32, MlcMaxRoiPool) /* io: x, rois, y */                     \
  K(maxunpool, MlcMaxUnpool)   /* io: x, indices (int64), y */              \
  /* max_out: int64, iou and score: float, one value each; selected:      \
     int64 [cap, 3]; count: int64 [1]; scratch: 2 * boxes int64 */          \
  K(nms_f32, MlcNms)           /* io: boxes, scores, max_out|NULL,          \
                                  iou|NULL, score|NULL, selected, count,    \
                                  scratch */
#define MLC_RT_KERNELS_NORM(K)                                                \
  K(rownorm_f32, MlcRowNorm)   /* io: x, scale|NULL, bias|NULL, y */       \
  K(lpnorm_f32, MlcLpNorm)     /* io: x, y */                              \
  K(lrn_f32, MlcLrn)           /* io: x, y */                              \
  K(nll_f32, MlcNll)           /* io: x, target, weight|NULL, y */         \
  /* scratch: 2 * skv floats */                                            \
  K(attention_f32, MlcAttention) /* io: q, k, v, mask|NULL (uint8 or      \
                                    float), nonpad|NULL (int64), y|NULL    \
                                    (NULL: qk only), qk|NULL, scratch */   \
  K(rotary_f32, MlcRotary)     /* io: x, cos, sin, pos|NULL (int64), y */  \
  K(linattn_f32, MlcLinAttn)   /* io: q, k, v, past|NULL, decay|NULL,      \
                                  beta|NULL, y, state */                   \
  K(dft_f32, MlcDft)           /* io: x, window|NULL, y, scratch (4 * n    \
                                  double) */
#define MLC_RT_KERNELS_QUANT(K)                                               \
  K(quantize, MlcQuant)        /* io: x, scale, zp|NULL (double), y */     \
  K(dequantize, MlcQuant)      /* io: x, scale, zp|NULL (double), y */     \
  K(dynquant_f32, MlcDynQuant) /* io: x, y (uint8), scale, zp (uint8) */   \
  K(qmatmul, MlcQMatMul)       /* io: a, b, azp|NULL, bzp|NULL, y (int32) */\
  K(qconv, MlcQConv)           /* io: x, w, xzp|NULL, wzp|NULL,            \
                                  bias|NULL (int32), y (int32) */          \
  K(requant, MlcRequant)       /* io: acc (int32), s1, s2, s3 (float),     \
                                  zp|NULL (yt), y */
#define MLC_RT_KERNELS_SEQ(K)                                                 \
  /* scratch: mlc_rt_rnn_scratch() floats; lens int32 */                    \
  K(rnn_f32, MlcRnn)           /* io: x, w, r, b|NULL, lens|NULL, p|NULL,  \
                                  y|NULL, scratch */                       \
  /* ai.onnx.ml */                                                          \
  K(ml_normalize, MlcMlNorm)   /* io: x, y (float) */                      \
  K(ml_post, MlcMlPost)        /* io: x, y (float; may be one buffer) */   \
  K(ml_linclass, MlcMlLinClass) /* io: scores, labels|NULL (int64),        \
                                   y|NULL (int64), z|NULL (float) */       \
  K(ml_map, MlcMlMap)          /* io: x, keys, values, y */                \
  /* scratch: 2 * ntargets doubles; label: classifiers */                  \
  K(tree_ensemble, MlcTrees)   /* io: x, ints (int64), vals (double), y,   \
                                  label|NULL (int64), scratch */           \
  /* y: a classifier's labels (int64), else [rows, 1] values; z: a       \
     classifier's scores, always given; scratch:                           \
     mlc_rt_svm_scratch() floats; counts: int64 vectors per class */       \
  K(svm, MlcSvm)               /* io: x, vectors|NULL, consts, counts|NULL,\
                                  labels|NULL (int64), y|NULL, z|NULL,     \
                                  scratch */

#define MLC_RT_KERNELS_TRAIN(K)                                               \
  K(batchnorm_train_f32, MlcBnTrain) /* io: x, scale, bias, mean, var, y,  \
                                        stats (float [4, c]) */            \
  K(optim_rate, MlcOptimRate)  /* io: r, t (int64), rate (double [2]) */   \
  /* outputs may be NULL; each may be its input's buffer */                \
  K(optim_f32, MlcOptim)       /* io: rate, x, g, s1, s2|NULL, x_new,     \
                                  s1_new, s2_new */                        \
  K(optim_f64, MlcOptim)       /* io: rate, x, g, s1, s2|NULL, x_new,     \
                                  s1_new, s2_new */

/* string kernels; region: the run's string region (mlc_rt_str below) */
#define MLC_RT_KERNELS_STR(K)                                                 \
  K(str_concat, MlcEw)         /* io: a, b, y, region; MlcEw's broadcast   \
                                  strides, p0 = the region's bytes */      \
  K(str_split, MlcStrSplit)    /* io: x, delimiter|NULL ([1]), y|NULL,     \
                                  lengths (int64), cols (int64 [1]),       \
                                  region */                                \
  K(str_normalize, MlcStrNorm) /* io: x, stopwords|NULL, y, count|NULL    \
                                  (int64 [1]), region */                   \
  K(str_map, MlcStrMap)        /* io: x, keys, vals, def|NULL ([1]), y */  \
  /* scratch: 5 * ninst + 1 int64 */                                       \
  K(regex_match, MlcRegex)     /* io: x, program (int64), y (bool),        \
                                  scratch */

#define MLC_RT__K(name, P) void mlc_rt_##name(const void *params, void *const *io);
MLC_RT_KERNELS(MLC_RT__K)
#undef MLC_RT__K

/* ---- integer arithmetic without undefined behaviour -----------------------
 * Signed overflow, INT_MIN / -1 and out-of-range double -> integer
 * conversions are undefined in C (and INT_MIN / -1 traps on x86), yet a
 * model's integers may do any of them at run time. Integer add, sub, mul and
 * neg wrap modulo 2^bits (through uint64_t, as numpy does); x / -1 negates;
 * x % -1 is 0; Pow wraps like repeated multiplication; conversions from
 * double saturate and send NaN to 0. */
#define MLC_RT_IMAX(T) ((int64_t)(UINT64_MAX >> (65 - 8 * sizeof(T))))
#define MLC_RT_UMAX(T) ((uint64_t)(T)-1)
#define MLC_RT_WRAP(T, a, op, b) ((T)((uint64_t)(a) op (uint64_t)(b)))
static inline int64_t mlc_rt_d2i(double x, int64_t lo, int64_t hi) {
  return x != x ? 0 : x <= (double)lo ? lo : x >= (double)hi ? hi : (int64_t)x;
}
static inline uint64_t mlc_rt_d2u(double x, uint64_t hi) {
  return x != x || x <= 0 ? 0 : x >= (double)hi ? hi : (uint64_t)x;
}
/* a ** b modulo 2^64 (a and b sign-extended); b < 0 gives 1/a truncated */
static inline uint64_t mlc_rt_ipow(uint64_t a, uint64_t b, int b_negative) {
  uint64_t r = 1;
  if (b_negative) return a == 1 ? 1 : a == UINT64_MAX ? ((b & 1) ? a : 1) : 0;
  for (; b; b >>= 1, a *= a)
    if (b & 1) r *= a;
  return r;
}

/* BitShift of signed integers (ONNX opset 28), without C's undefined
 * shifts of negative values or by >= the width: a left shift works on the
 * bits (through uint64_t; the caller's cast keeps the low `bits` bits), a
 * right shift is arithmetic (sign-extending), written out as ~(~a >> b) for
 * negative a. Shift counts below 0 or >= bits leave only the sign fill: -1
 * for a right shift of a negative a, 0 otherwise. */
static inline int64_t mlc_rt_shl_i(int64_t a, int64_t b, int bits) {
  return b < 0 || b >= bits ? 0 : (int64_t)((uint64_t)a << b);
}
static inline int64_t mlc_rt_shr_i(int64_t a, int64_t b, int bits) {
  if (b < 0 || b >= bits) return a < 0 ? -1 : 0;
  return a < 0 ? ~(~a >> b) : a >> b;
}

/* ---- strings --------------------------------------------------------------
 * A string tensor is an array of mlc_rt_str: NUL-terminated UTF-8, never
 * NULL. An element may point into an input string, a constant of the
 * generated code or the run's string region, where the kernels that make
 * new strings (StringConcat, StringSplit, StringNormalizer's case changes)
 * write them: an arena block of `cap` bytes that starts with an int64 count
 * of the bytes used after it. Generated code sets the count to 0 when a run
 * starts; a string that does not fit becomes "" and the count -1 (nothing
 * fits after that), and the run returns PREFIX_ERR_STRINGS. */
typedef const char *mlc_rt_str;
#define MLC_RT_STR_HEADER 8
enum { MLC_STR_NONE, MLC_STR_LOWER, MLC_STR_UPPER };
enum { MLC_RX_CHAR, MLC_RX_ANY, MLC_RX_CLASS, MLC_RX_SPLIT, MLC_RX_JMP, MLC_RX_MATCH,
       MLC_RX_BOL, MLC_RX_EOL, MLC_RX_WORDB, MLC_RX_NWORDB };
static inline int mlc_rt_streq(mlc_rt_str a, mlc_rt_str b) {
  while (*a && *a == *b) a++, b++;
  return *a == *b;
}

/* ---- elementwise scalar functions ---------------------------------------
 * U(name, sfx, T, R, expr of a)              unary, T -> R
 * P(name, sfx, T, expr of a, p0, p1)          unary with two attributes
 * B(name, sfx, T, R, expr of a, b)            binary, T x T -> R
 * W(name, sfx, C, T, expr of c, a, b)         ternary: c is a C, a and b are T
 * Names end in the element type: f32, f64, i32, i64, b (bool).
 */
#define MLC_RT_EW_FLOAT(U, P, B, sfx, T, fn)                                  \
  U(neg, sfx, T, T, -a)                                                        \
  U(abs, sfx, T, T, fn(fabs)(a))                                               \
  U(sqrt, sfx, T, T, fn(sqrt)(a))                                              \
  U(exp, sfx, T, T, fn(exp)(a))                                                \
  U(log, sfx, T, T, fn(log)(a))                                                \
  U(reciprocal, sfx, T, T, (T)1 / a)                                           \
  U(floor, sfx, T, T, fn(floor)(a))                                            \
  U(ceil, sfx, T, T, fn(ceil)(a))                                              \
  U(relu, sfx, T, T, a > 0 ? a : (T)0)                                         \
  U(sigmoid, sfx, T, T, (T)1 / ((T)1 + fn(exp)(-a)))                          \
  U(tanh, sfx, T, T, fn(tanh)(a))                                              \
  U(erf, sfx, T, T, fn(erf)(a))                                                \
  U(softplus, sfx, T, T, a > 0 ? a + fn(log1p)(fn(exp)(-a))                   \
                            : fn(log1p)(fn(exp)(a)))                        \
  U(softsign, sfx, T, T, a / ((T)1 + fn(fabs)(a)))                             \
  U(sin, sfx, T, T, fn(sin)(a))                                                \
  U(cos, sfx, T, T, fn(cos)(a))                                                \
  U(sign, sfx, T, T, (T)((a > 0) - (a < 0)))                                   \
  U(tan, sfx, T, T, fn(tan)(a))                                             \
  U(asin, sfx, T, T, fn(asin)(a))                                           \
  U(acos, sfx, T, T, fn(acos)(a))                                           \
  U(atan, sfx, T, T, fn(atan)(a))                                           \
  U(sinh, sfx, T, T, fn(sinh)(a))                                           \
  U(cosh, sfx, T, T, fn(cosh)(a))                                           \
  U(asinh, sfx, T, T, fn(asinh)(a))                                         \
  U(acosh, sfx, T, T, fn(acosh)(a))                                         \
  U(atanh, sfx, T, T, fn(atanh)(a))                                         \
  U(round, sfx, T, T, fn(nearbyint)(a))                                     \
  U(mish, sfx, T, T, a * fn(tanh)(a > 0 ? a + fn(log1p)(fn(exp)(-a))       \
                                       : fn(log1p)(fn(exp)(a))))            \
  U(isnan, sfx, T, uint8_t, a != a)                                         \
  U(isinf, sfx, T, uint8_t, a == (T)INFINITY || a == -(T)INFINITY)         \
  U(isposinf, sfx, T, uint8_t, a == (T)INFINITY)                            \
  U(isneginf, sfx, T, uint8_t, a == -(T)INFINITY)                           \
  P(swish, sfx, T, a / ((T)1 + fn(exp)(-(T)p0 * a)))                        \
  P(shrink, sfx, T, a < -(T)p0 ? a + (T)p1 : (a > (T)p0 ? a - (T)p1 : (T)0))\
  U(hardswish, sfx, T, T, a * fn(fmax)((T)0, fn(fmin)((T)1, a / (T)6 + (T)0.5)))\
  U(gelu, sfx, T, T, (T)0.5 * a * ((T)1 + fn(erf)(a * (T)0.70710678118654752)))\
  U(gelu_tanh, sfx, T, T, (T)0.5 * a * ((T)1 + fn(tanh)((T)0.79788456080286536 \
                            * (a + (T)0.044715 * a * a * a))))              \
  P(leakyrelu, sfx, T, a < 0 ? (T)p0 * a : a)                               \
  P(elu, sfx, T, a < 0 ? (T)p0 * (fn(exp)(a) - (T)1) : a)                  \
  P(selu, sfx, T, a <= 0 ? (T)p1 * ((T)p0 * fn(exp)(a) - (T)p0)           \
                         : (T)p1 * a)                                       \
  P(hardsigmoid, sfx, T, fn(fmax)((T)0, fn(fmin)((T)1, (T)p0 * a + (T)p1)))\
  P(clip, sfx, T, (a < (T)p0 ? (T)p0 : a) > (T)p1 ? (T)p1 : (a < (T)p0 ? (T)p0 : a))\
  P(thresholdedrelu, sfx, T, a > (T)p0 ? a : (T)0)                          \
  P(celu, sfx, T, fn(fmax)((T)0, a) + fn(fmin)((T)0, (T)p0 *               \
                  (fn(exp)(a / (T)p0) - (T)1)))                             \
  B(div, sfx, T, T, a / b)                                                  \
  B(add, sfx, T, T, a + b)                                                  \
  B(sub, sfx, T, T, a - b)                                                  \
  B(mul, sfx, T, T, a * b)                                                  \
  B(pow, sfx, T, T, fn(pow)(a, b))                                          \
  B(max, sfx, T, T, (a != a || b != b) ? (T)NAN : (a > b ? a : b))          \
  B(min, sfx, T, T, (a != a || b != b) ? (T)NAN : (a < b ? a : b))          \
  B(mod, sfx, T, T, fn(fmod)(a, b))                                         \
  B(pymod, sfx, T, T, fn(fmod)(a, b) != 0 && ((fn(fmod)(a, b) < 0) != (b < 0))\
                          ? fn(fmod)(a, b) + b : fn(fmod)(a, b))            \
  B(prelu, sfx, T, T, a < 0 ? a * b : a)

/* unsigned: no negation, no sign tests */
#define MLC_RT_EW_UINT(U, P, B, sfx, T)                                       \
  U(bitnot, sfx, T, T, (T)~a)                                               \
  B(bitand, sfx, T, T, (T)(a & b))                                          \
  B(bitor, sfx, T, T, (T)(a | b))                                           \
  B(bitxor, sfx, T, T, (T)(a ^ b))                                          \
  B(shl, sfx, T, T, b >= 8 * sizeof(T) ? 0 : (T)((uint64_t)a << b))        \
  B(shr, sfx, T, T, b >= 8 * sizeof(T) ? 0 : (T)(a >> b))                   \
  P(clip, sfx, T, (double)a < p0 ? (T)mlc_rt_d2u(p0, MLC_RT_UMAX(T))        \
                 : (double)a > p1 ? (T)mlc_rt_d2u(p1, MLC_RT_UMAX(T)) : a)  \
  B(div, sfx, T, T, b == 0 ? 0 : a / b)                                     \
  B(max, sfx, T, T, a > b ? a : b)                                          \
  B(min, sfx, T, T, a < b ? a : b)                                          \
  B(mod, sfx, T, T, b == 0 ? 0 : a % b)                                     \
  B(fmod, sfx, T, T, b == 0 ? 0 : a % b)                                    \
  B(pow, sfx, T, T, (T)mlc_rt_ipow(a, b, 0))                                \
  B(add, sfx, T, T, MLC_RT_WRAP(T, a, +, b))                                \
  B(sub, sfx, T, T, MLC_RT_WRAP(T, a, -, b))                                \
  B(mul, sfx, T, T, MLC_RT_WRAP(T, a, *, b))

#define MLC_RT_EW_INT(U, P, B, sfx, T)                                        \
  U(bitnot, sfx, T, T, (T)~a)                                               \
  B(bitand, sfx, T, T, (T)(a & b))                                          \
  B(bitor, sfx, T, T, (T)(a | b))                                           \
  B(bitxor, sfx, T, T, (T)(a ^ b))                                          \
  B(shl, sfx, T, T, mlc_rt_shl_i(a, b, (int)(8 * sizeof(T))))               \
  B(shr, sfx, T, T, mlc_rt_shr_i(a, b, (int)(8 * sizeof(T))))               \
  U(neg, sfx, T, T, MLC_RT_WRAP(T, 0, -, a))                                \
  U(abs, sfx, T, T, a < 0 ? MLC_RT_WRAP(T, 0, -, a) : a)                    \
  U(relu, sfx, T, T, a > 0 ? a : 0)                                            \
  U(sign, sfx, T, T, (T)((a > 0) - (a < 0)))                                   \
  P(clip, sfx, T, (double)a < p0                                            \
                     ? (T)mlc_rt_d2i(p0, -MLC_RT_IMAX(T) - 1, MLC_RT_IMAX(T))  \
                 : (double)a > p1                                           \
                     ? (T)mlc_rt_d2i(p1, -MLC_RT_IMAX(T) - 1, MLC_RT_IMAX(T))  \
                     : a)                                                   \
  B(div, sfx, T, T, b == 0 ? 0 : b == -1 ? MLC_RT_WRAP(T, 0, -, a) : a / b) \
  B(max, sfx, T, T, a > b ? a : b)                                          \
  B(min, sfx, T, T, a < b ? a : b)                                          \
  B(mod, sfx, T, T, b == 0 || b == -1 ? 0                                   \
                    : ((a % b != 0 && ((a % b < 0) != (b < 0)))             \
                           ? a % b + b : a % b))                            \
  B(fmod, sfx, T, T, b == 0 || b == -1 ? 0 : a % b)                         \
  B(pow, sfx, T, T, (T)mlc_rt_ipow((uint64_t)(int64_t)a, (uint64_t)(int64_t)b, b < 0)) \
  B(add, sfx, T, T, MLC_RT_WRAP(T, a, +, b))                                \
  B(sub, sfx, T, T, MLC_RT_WRAP(T, a, -, b))                                \
  B(mul, sfx, T, T, MLC_RT_WRAP(T, a, *, b))

/* comparisons shared by every numeric type */
#define MLC_RT_EW_NUM(B, sfx, T)                                              \
  B(equal, sfx, T, uint8_t, a == b)                                         \
  B(less, sfx, T, uint8_t, a < b)                                           \
  B(lessequal, sfx, T, uint8_t, a <= b)                                     \
  B(greater, sfx, T, uint8_t, a > b)                                        \
  B(greaterequal, sfx, T, uint8_t, a >= b)

#define MLC_RT_FNF(name) name##f
#define MLC_RT_FND(name) name

#define MLC_RT_EW(U, P, B, W)                                                 \
  MLC_RT_EW_FLOAT(U, P, B, f32, float, MLC_RT_FNF)                          \
  MLC_RT_EW_FLOAT(U, P, B, f64, double, MLC_RT_FND)                         \
  MLC_RT_EW_INT(U, P, B, i32, int32_t)                                      \
  MLC_RT_EW_INT(U, P, B, i64, int64_t)                                      \
  MLC_RT_EW_INT(U, P, B, i8, int8_t)                                        \
  MLC_RT_EW_INT(U, P, B, i16, int16_t)                                      \
  MLC_RT_EW_UINT(U, P, B, u8, uint8_t)                                      \
  MLC_RT_EW_UINT(U, P, B, u16, uint16_t)                                    \
  MLC_RT_EW_UINT(U, P, B, u32, uint32_t)                                    \
  MLC_RT_EW_UINT(U, P, B, u64, uint64_t)                                    \
  MLC_RT_EW_NUM(B, f32, float)                                              \
  MLC_RT_EW_NUM(B, f64, double)                                             \
  MLC_RT_EW_NUM(B, i32, int32_t)                                            \
  MLC_RT_EW_NUM(B, i64, int64_t)                                            \
  MLC_RT_EW_NUM(B, i8, int8_t)                                              \
  MLC_RT_EW_NUM(B, i16, int16_t)                                            \
  MLC_RT_EW_NUM(B, u8, uint8_t)                                             \
  MLC_RT_EW_NUM(B, u16, uint16_t)                                           \
  MLC_RT_EW_NUM(B, u32, uint32_t)                                           \
  MLC_RT_EW_NUM(B, u64, uint64_t)                                           \
  U(not, b, uint8_t, uint8_t, (uint8_t)!a)                                           \
  B(and, b, uint8_t, uint8_t, a && b)                                       \
  B(or, b, uint8_t, uint8_t, a || b)                                        \
  B(xor, b, uint8_t, uint8_t, (a != 0) != (b != 0))                         \
  B(equal, b, uint8_t, uint8_t, a == b)                                     \
  W(where, f32, uint8_t, float, c ? a : b)                                           \
  W(where, f64, uint8_t, double, c ? a : b)                                          \
  W(where, i32, uint8_t, int32_t, c ? a : b)                                         \
  W(where, i64, uint8_t, int64_t, c ? a : b)                                         \
  W(where, b, uint8_t, uint8_t, c ? a : b)                                  \
  B(equal, str, mlc_rt_str, uint8_t, mlc_rt_streq(a, b))                    \
  W(where, str, uint8_t, mlc_rt_str, c ? a : b)                            \
  W(where, i8, uint8_t, int8_t, c ? a : b)                                  \
  W(where, i16, uint8_t, int16_t, c ? a : b)                                \
  W(where, u8, uint8_t, uint8_t, c ? a : b)                                 \
  W(where, u16, uint8_t, uint16_t, c ? a : b)                               \
  W(where, u32, uint8_t, uint32_t, c ? a : b)                               \
  W(where, u64, uint8_t, uint64_t, c ? a : b)                               \
  W(clip3, f32, float, float, (c < a ? a : c) > b ? b : (c < a ? a : c))                  \
  W(clip3, f64, double, double, (c < a ? a : c) > b ? b : (c < a ? a : c))                \
  W(clip3, i32, int32_t, int32_t, (c < a ? a : c) > b ? b : (c < a ? a : c))              \
  W(clip3, i64, int64_t, int64_t, (c < a ? a : c) > b ? b : (c < a ? a : c))              \
  W(clip3, i8, int8_t, int8_t, (c < a ? a : c) > b ? b : (c < a ? a : c))   \
  W(clip3, i16, int16_t, int16_t, (c < a ? a : c) > b ? b : (c < a ? a : c))\
  W(clip3, u8, uint8_t, uint8_t, (c < a ? a : c) > b ? b : (c < a ? a : c)) \
  W(clip3, u16, uint16_t, uint16_t, (c < a ? a : c) > b ? b : (c < a ? a : c))\
  W(clip3, u32, uint32_t, uint32_t, (c < a ? a : c) > b ? b : (c < a ? a : c))\
  W(clip3, u64, uint64_t, uint64_t, (c < a ? a : c) > b ? b : (c < a ? a : c))

#define MLC_RT__U(name, sfx, T, R, expr)                                      \
  static inline R mlc_##name##_##sfx(T a) { return (R)(expr); }
#define MLC_RT__P(name, sfx, T, expr)                                         \
  static inline T mlc_##name##_##sfx(T a, double p0, double p1) {           \
    (void)p0; (void)p1; return (T)(expr); }
#define MLC_RT__B(name, sfx, T, R, expr)                                      \
  static inline R mlc_##name##_##sfx(T a, T b) { return (R)(expr); }
#define MLC_RT__W(name, sfx, C, T, expr)                                      \
  static inline T mlc_##name##_##sfx(C c, T a, T b) { return expr; }
MLC_RT_EW(MLC_RT__U, MLC_RT__P, MLC_RT__B, MLC_RT__W)
#undef MLC_RT__U
#undef MLC_RT__P
#undef MLC_RT__B
#undef MLC_RT__W

/* the interpreter's broadcasting loop for each scalar function */
#define MLC_RT__EWK(name, sfx)                                                \
  void mlc_rt_ew_##name##_##sfx(const void *params, void *const *io);
#define MLC_RT__EWK3(name, sfx, T, expr) MLC_RT__EWK(name, sfx)
#define MLC_RT__EWK4(name, sfx, C, T, expr) MLC_RT__EWK(name, sfx)
#define MLC_RT__EWKB(name, sfx, T, R, expr) MLC_RT__EWK(name, sfx)
MLC_RT_EW(MLC_RT__EWKB, MLC_RT__EWK3, MLC_RT__EWKB, MLC_RT__EWK4)
#undef MLC_RT__EWK
#undef MLC_RT__EWK3
#undef MLC_RT__EWK4
#undef MLC_RT__EWKB

/* ---- threads ------------------------------------------------------------
 * A runtime built with -DMLC_RT_THREADS (and linked with -pthread) splits
 * the big products of conv_f32, gemm_f32 and matmul_f32, and depthwise
 * convs, over n threads: the caller and n - 1 workers this call starts (and
 * allocates scratch for, here and never during inference). Call it before
 * running models, not while one runs; default 1. Returns the count in
 * effect: always 1 in a runtime built without MLC_RT_THREADS, which needs
 * no pthreads. */
int mlc_rt_set_threads(int n);

#ifdef __cplusplus
}
#endif
#endif /* MLC_RT_H */
