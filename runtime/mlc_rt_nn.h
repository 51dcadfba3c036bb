/* mlc runtime, family nn. The neural-network kernels: convolution, pooling
 * and the matrix products (nn.c: GEMM, MatMul, Conv;
 * nn_depthwise.c: depthwise Conv; nn_pool.c: the pools).
 *
 * Parameter structs (S) and kernels (K, io in order: inputs, then
 * outputs); mlc_rt.h gathers every family's lists. */
#ifndef MLC_RT_NN_H
#define MLC_RT_NN_H

#include "mlc_rt_core.h"

#define MLC_RT_PARAMS_NN(S, I, D, IA, DA)                                     \
  /* Conv / ConvTranspose, NC + spatial layout. act: MLC_ACT_* epilogue */    \
  S(MlcConv, I(n) I(c) I(m) I(group) I(nsp) IA(in_sp, MLC_RT_MAX_SP)          \
             IA(out_sp, MLC_RT_MAX_SP) IA(k, MLC_RT_MAX_SP)                   \
             IA(stride, MLC_RT_MAX_SP) IA(dil, MLC_RT_MAX_SP)                 \
             IA(pad_begin, MLC_RT_MAX_SP) I(has_bias) I(act) D(act_a)         \
             D(act_b) I(has_res) I(packed_w) I(winograd))                     \
  /* a 2-D depthwise Conv (c channels; its act) whose output only a 1x1     \
     Conv to m channels reads (pw_*: its bias and act; has_res, packed_w    \
     as MlcConv's), computed a band of rows at a time (mlc_rt_dwpw_convs) */\
  S(MlcDwPw, I(n) I(c) I(m) I(nsp) IA(in_sp, MLC_RT_MAX_SP)                   \
             IA(out_sp, MLC_RT_MAX_SP) IA(k, MLC_RT_MAX_SP)                   \
             IA(stride, MLC_RT_MAX_SP) IA(dil, MLC_RT_MAX_SP)                 \
             IA(pad_begin, MLC_RT_MAX_SP) I(has_bias) I(act) D(act_a)         \
             D(act_b) I(pw_has_bias) I(pw_act) D(pw_act_a) D(pw_act_b)        \
             I(has_res) I(packed_w))                                          \
  /* MaxPool / AveragePool / LpPool; kind: MLC_POOL_*. Averages with          \
     count_include_pad count the window inside [-pad_begin, in + pad_end);    \
     storage_order 1: MaxPool's indices are column-major over the dims */     \
  S(MlcPool, I(n) I(c) I(nsp) IA(in_sp, MLC_RT_MAX_SP)                        \
             IA(out_sp, MLC_RT_MAX_SP) IA(k, MLC_RT_MAX_SP)                   \
             IA(stride, MLC_RT_MAX_SP) IA(dil, MLC_RT_MAX_SP)                 \
             IA(pad_begin, MLC_RT_MAX_SP) IA(pad_end, MLC_RT_MAX_SP)          \
             I(kind) I(count_include_pad) I(storage_order) D(p))              \
  /* Y = alpha * op(A) op(B) + beta * C; C broadcast by element strides */    \
  S(MlcGemm, I(m) I(n) I(k) I(trans_a) I(trans_b) D(alpha) D(beta)            \
             I(has_c) I(c_rs) I(c_cs) I(act) D(act_a) D(act_b) I(has_res)      \
             I(packed_b))                                                     \
  /* batched MatMul, batch dims broadcast: per-batch-dim element strides */   \
  S(MlcMatMul, I(m) I(n) I(k) I(brank) IA(bdims, MLC_RT_MAX_RANK)             \
               IA(a_bs, MLC_RT_MAX_RANK) IA(b_bs, MLC_RT_MAX_RANK) I(packed_b))

#define MLC_RT_KERNELS_NN(K)                                                  \
  /* scratch: mlc_rt_conv_scratch() or mlc_rt_gemm_scratch() floats,          \
     NULL when that is 0 */                                                   \
  /* res: added before the activation when has_res, shaped like y */          \
  K(conv_f32, MlcConv)         /* io: x, w, bias|NULL, y, scratch, res */     \
  K(conv_dwpw_f32, MlcDwPw)    /* io: x, w, bias|NULL, pw_w, pw_bias|NULL,    \
                                  y, scratch, res */                          \
  K(gemm_f32, MlcGemm)         /* io: a, b, c|NULL, y, scratch, res */        \
  K(matmul_f32, MlcMatMul)     /* io: a, b, y, scratch */                     \
  K(matmul_f64, MlcMatMul)     /* io: a, b, y */                              \
  /* pools: indices (int64) only for MLC_POOL_MAX; u8/i8 only MaxPool */      \
  K(pool_f32, MlcPool)         /* io: x, y, indices|NULL */                   \
  K(pool_u8, MlcPool)          /* io: x, y, indices|NULL */                   \
  K(pool_i8, MlcPool)          /* io: x, y, indices|NULL */

#ifdef __cplusplus
extern "C" {
#endif

MLC_RT_DECLARE(MLC_RT_PARAMS_NN, MLC_RT_KERNELS_NN)

/* io slots: where each kernel finds its tensors in io[] (the lowering
 * fills them by these names, the kernel reads them by these names) */
/* conv_f32 */
enum { MLC_CONV_X, MLC_CONV_W, MLC_CONV_BIAS, MLC_CONV_Y, MLC_CONV_SCRATCH,
       MLC_CONV_RES, MLC_CONV_NIO };
/* conv_dwpw_f32 */
enum { MLC_DWPW_X, MLC_DWPW_W, MLC_DWPW_BIAS, MLC_DWPW_PW_W, MLC_DWPW_PW_BIAS,
       MLC_DWPW_Y, MLC_DWPW_SCRATCH, MLC_DWPW_RES, MLC_DWPW_NIO };
/* gemm_f32 */
enum { MLC_GEMM_A, MLC_GEMM_B, MLC_GEMM_C, MLC_GEMM_Y, MLC_GEMM_SCRATCH,
       MLC_GEMM_RES, MLC_GEMM_NIO };
/* matmul_f32, matmul_f64 */
enum { MLC_MATMUL_A, MLC_MATMUL_B, MLC_MATMUL_Y, MLC_MATMUL_SCRATCH,
       MLC_MATMUL_NIO };
/* pool_f32, pool_u8, pool_i8 */
enum { MLC_POOL_X, MLC_POOL_Y, MLC_POOL_INDICES, MLC_POOL_NIO };

/* The activations conv_f32 and gemm_f32 apply on their last store (the
 * epilogue pass fuses them): X(NAME, the ONNX op, the value of y with the
 * parameters a and b, through the op's own scalar function). The list
 * makes MLC_ACT_NONE, MLC_ACT_RELU, ..., the kernels' cases and the
 * compiler's names. */
#define MLC_RT_ACTIVATIONS(X)                                                 \
  X(RELU, "Relu", mlc_relu_f32(y))                                            \
  X(CLIP, "Clip", mlc_clip_f32(y, a, b))                                      \
  X(SIGMOID, "Sigmoid", mlc_sigmoid_f32(y))                                   \
  X(LEAKYRELU, "LeakyRelu", mlc_leakyrelu_f32(y, a, 0))                       \
  X(HARDSWISH, "HardSwish", mlc_hardswish_f32(y))                             \
  X(GELU, "Gelu", mlc_gelu_f32(y))
#define MLC_RT__ACT(name, op, expr) MLC_ACT_##name,
enum { MLC_ACT_NONE, MLC_RT_ACTIVATIONS(MLC_RT__ACT) };
#undef MLC_RT__ACT
enum { MLC_POOL_MAX, MLC_POOL_AVG, MLC_POOL_LP };

/* The GEMM-based kernels (conv_f32, gemm_f32, matmul_f32) pack panels of
 * their operands into a scratch buffer that the caller provides as their
 * last io slot, of mlc_rt_gemm_scratch(m, n, k) floats for an m x k by
 * k x n product (conv: mlc_rt_conv_scratch). The slack covers rounding the
 * blocks up to any micro-tile the runtime's build target selects.
 *
 * Only a product that packs needs that buffer: an empty one computes
 * nothing, and one of at most MLC_RT_GEMM_THIN rows or columns runs as dot
 * products or row updates straight from its operands (unless B is a conv's
 * implicit im2col matrix, which only the packer reads). The kernels take
 * that turn through mlc_rt_gemm_packs() and the scratch formulas ask the
 * same function, so the scratch is what the call uses: 0 (a NULL slot) for
 * an unpacked product, the panels for a packed one. */
#define MLC_RT_GEMM_MC 144
#define MLC_RT_GEMM_KC 256
#define MLC_RT_GEMM_NC 1024
#define MLC_RT_GEMM_SLACK 32
#define MLC_RT_GEMM_THIN 4
static inline int mlc_rt_gemm_packs(int64_t m, int64_t n, int64_t k, int im2col) {
  if (m <= 0 || n <= 0 || k <= 0) return 0;
  return im2col || (m > MLC_RT_GEMM_THIN && n > MLC_RT_GEMM_THIN);
}
/* the packed panels of one product, or of the part of it a thread computes
 * (a part of a product needs no more than the whole) */
static inline int64_t mlc_rt_gemm_panels(int64_t m, int64_t n, int64_t k) {
  int64_t mc = m < MLC_RT_GEMM_MC ? m : MLC_RT_GEMM_MC;
  int64_t nc = n < MLC_RT_GEMM_NC ? n : MLC_RT_GEMM_NC;
  int64_t kc = k < MLC_RT_GEMM_KC ? k : MLC_RT_GEMM_KC;
  return (mc + nc + 2 * MLC_RT_GEMM_SLACK) * kc + MLC_RT_GEMM_SLACK;
}
static inline int64_t mlc_rt_gemm_scratch(int64_t m, int64_t n, int64_t k) {
  return mlc_rt_gemm_packs(m, n, k, 0) ? mlc_rt_gemm_panels(m, n, k) : 0;
}
/* Weights packed at compile time. For a planned target (mlc compile
 * --target) the compiler stores a constant operand in the layout the
 * micro-kernel reads, so no call packs it again:
 *   - Conv's weights (packed_w = H, the tile height mlc_rt_gemm_height
 *     picks for mg): each group's mg x (c/group * kernel) matrix in strips
 *     of H rows, row s*H + r, column q at s*H*cols + q*H + r, the rows
 *     past mg zero;
 *   - Gemm's and MatMul's B (packed_b = NR): the k x n matrix in strips of
 *     NR columns, column s*NR + t, row q at s*NR*k + q*NR + t, the columns
 *     past n zero (MatMul: one B shared by every batch).
 * The value is the tile side it was packed for, which must be one of the
 * runtime's (MR, MR2, NR) (the generated code's ISA checks see to that).
 * Tile sizes per instruction set, the runtime's and the compiler's: */
#define MLC_RT_TILE_AVX512_MR 12
#define MLC_RT_TILE_AVX512_MR2 8
#define MLC_RT_TILE_AVX512_NR 32
#define MLC_RT_TILE_AVX2_MR 6
#define MLC_RT_TILE_AVX2_MR2 4
#define MLC_RT_TILE_AVX2_NR 16
#define MLC_RT_TILE_NEON_MR 6
#define MLC_RT_TILE_NEON_MR2 4
#define MLC_RT_TILE_NEON_NR 16
/* A kernel has two tile heights, MR and a lower MR2: a product of m rows
 * uses the one that computes fewer padding rows (64 rows: 8 strips of 8,
 * not 6 of 12 with 8 rows wasted), the taller on a tie. */
static inline int64_t mlc_rt_gemm_height(int64_t m, int64_t mr, int64_t mr2) {
  return (m + mr - 1) / mr * mr <= (m + mr2 - 1) / mr2 * mr2 ? mr : mr2;
}
/* floats of a rows x cols matrix packed in strips of `side` rows */
static inline int64_t mlc_rt_packed_floats(int64_t rows, int64_t cols, int64_t side) {
  return (rows + side - 1) / side * side * cols;
}
/* packs `groups` rows x cols matrices, one after another in src (element
 * (i, q) of each at [i * rs + q * cs], rows * cols floats apart), into
 * strips of `side` rows as above, mlc_rt_packed_floats() apart in dst (B's
 * strips: pass B transposed) */
void mlc_rt_pack_strips(const float *src, int64_t groups, int64_t rows, int64_t cols, int64_t rs,
                        int64_t cs, int64_t side, float *dst);
/* this runtime build's tiles (its kernels read strips of these sides) */
void mlc_rt_gemm_tiles(int64_t *mr, int64_t *mr2, int64_t *nr);

/* Winograd: a 3x3, stride-1, dilation-1, ungrouped 2-D conv can run as
 * F(T x T, 3 x 3) (MlcConv.winograd = T, 2 or 4; nn_winograd.c) when its
 * weights come transformed and packed by mlc_rt_winograd_filter: for each
 * of the (T+2)^2 patch positions, U_t (c x m, both rounded up to whole
 * blocks of MLC_RT_WINO_CB channels) packed as a B in strips of nr columns
 * (MlcConv.packed_w = nr), mlc_rt_winograd_weights() floats in all. */
#define MLC_RT_WINO_CB 16
static inline int64_t mlc_rt_wino_round(int64_t c) {
  return (c + MLC_RT_WINO_CB - 1) / MLC_RT_WINO_CB * MLC_RT_WINO_CB;
}
static inline int mlc_rt_conv_winograd_fits(const MlcConv *p) {
  return p->nsp == 2 && p->group == 1 && p->k[0] == 3 && p->k[1] == 3 && p->stride[0] == 1 &&
         p->stride[1] == 1 && p->dil[0] == 1 && p->dil[1] == 1 && p->out_sp[0] > 0 &&
         p->out_sp[1] > 0;
}
static inline int64_t mlc_rt_winograd_weights(int64_t m, int64_t c, int64_t t, int64_t nr) {
  return (t + 2) * (t + 2) * mlc_rt_packed_floats(mlc_rt_wino_round(m), mlc_rt_wino_round(c), nr);
}
void mlc_rt_winograd_filter(const float *w, int64_t m, int64_t c, int64_t t, int64_t nr,
                            float *dst);
int64_t mlc_rt_winograd_scratch(const MlcConv *p);

/* conv_f32's paths: a depthwise conv (one input and one output channel per
 * group) runs a direct loop; a 1x1, stride-1, unpadded conv is a plain
 * product with the image; any other is a product with the implicit im2col
 * matrix, so it packs. */
static inline int mlc_rt_conv_depthwise(const MlcConv *p) {
  return p->c == p->group && p->m == p->group;
}
static inline int mlc_rt_conv_pointwise(const MlcConv *p) {
  int yes = 1;
  for (int i = 0; i < p->nsp; i++)
    yes &= p->k[i] == 1 && p->stride[i] == 1 && p->pad_begin[i] == 0 &&
           p->out_sp[i] == p->in_sp[i];
  return yes;
}
/* A conv over at most MLC_RT_DIRECT_C input channels (an image network's
 * first), 2-D, ungrouped, at stride 1 or 2 down and across, undilated,
 * its window at most MLC_RT_DIRECT_K high and wide, its output rows at
 * most MLC_RT_DIRECT_W wide, not a plain product: with AVX-512 the
 * runtime computes it straight from the input (nn_direct.c) with its
 * weights as the model has them, which the compiler then leaves unpacked
 * (packed_w 0; packed ones take the product) */
#define MLC_RT_DIRECT_C 4
#define MLC_RT_DIRECT_K 7
#define MLC_RT_DIRECT_W 1024
static inline int mlc_rt_conv_direct(const MlcConv *p) {
  return p->nsp == 2 && p->group == 1 && p->c <= MLC_RT_DIRECT_C && !p->winograd &&
         !mlc_rt_conv_pointwise(p) && p->out_sp[1] <= MLC_RT_DIRECT_W &&
         p->stride[0] == p->stride[1] && (p->stride[0] == 1 || p->stride[0] == 2) &&
         p->dil[0] == 1 && p->dil[1] == 1 && p->k[0] <= MLC_RT_DIRECT_K &&
         p->k[1] <= MLC_RT_DIRECT_K;
}
/* A depthwise conv works on bands of output rows of a plane, about
 * MLC_RT_DW_BAND outputs each (counting the columns of a buffer row). The
 * scratch holds the band's input rows, zero-padded, split by the stride
 * into phases (input column sx * j + px of a buffer row at place j of
 * phase px; rows alike), so that every tap reads consecutive floats: wq
 * floats a row, hq rows, plane floats a phase (slack after the rows for
 * reads and stores of whole vectors); then the band's outputs, wq a row.
 * nn_depthwise.c computes with the same layout. */
#define MLC_RT_DW_BAND 2048
typedef struct MlcDwLayout {
  int64_t sy, sx, wq, hq, band, plane, out;
} MlcDwLayout;
static inline MlcDwLayout mlc_rt_dw_layout(const MlcConv *p) {
  MlcDwLayout l;
  int x = (int)p->nsp - 1, y = (int)p->nsp - 2;
  int64_t kh = y < 0 ? 1 : p->k[y], dy = y < 0 ? 1 : p->dil[y], oh = y < 0 ? 1 : p->out_sp[y];
  l.sy = y < 0 ? 1 : p->stride[y];
  l.sx = p->stride[x];
  l.wq = (l.sx * (p->out_sp[x] - 1) + (p->k[x] - 1) * p->dil[x] + l.sx) / l.sx;
  l.band = MLC_RT_DW_BAND / l.wq;
  if (l.band > oh) l.band = oh;
  if (l.band < 1) l.band = 1;
  l.hq = l.band + (kh - 1) * dy / l.sy;
  l.plane = l.hq * l.wq + (p->k[x] - 1) * p->dil[x] + 2 * MLC_RT_GEMM_SLACK;
  l.out = l.band * l.wq + MLC_RT_GEMM_SLACK;
  return l;
}
/* A 2-D depthwise conv of 16 planes or more whose input and output rows
 * are narrower than 16 floats (the small planes at the end of a mobile
 * network) computes, on AVX-512, 16 planes at a time, a plane per lane:
 * the scratch holds their input as a vector per pixel, padded on every
 * side, th rows of tw pixels. The plane's pixel offsets are tabled, hence
 * the bounds on its size. The floats that buffer takes, or 0 where the
 * conv does not go that way (on any target, so that the scratch is the
 * same). */
#define MLC_RT_DW_LANES 16
#define MLC_RT_DW_BLK_IN 1024 /* input pixels of a plane, at most */
#define MLC_RT_DW_BLK_OUT 256 /* output pixels */
#define MLC_RT_DW_BLK_TAPS 25
static inline int64_t mlc_rt_dw_blocked(const MlcConv *p, int64_t *th, int64_t *tw) {
  if (p->nsp != 2 || p->in_sp[1] >= MLC_RT_DW_LANES || p->out_sp[1] >= MLC_RT_DW_LANES ||
      p->n * p->group < MLC_RT_DW_LANES ||
      p->in_sp[0] * p->in_sp[1] > MLC_RT_DW_BLK_IN ||
      p->out_sp[0] * p->out_sp[1] > MLC_RT_DW_BLK_OUT || p->k[0] * p->k[1] > MLC_RT_DW_BLK_TAPS)
    return 0;
  int64_t r = (p->out_sp[0] - 1) * p->stride[0] + (p->k[0] - 1) * p->dil[0] + 1;
  int64_t c = (p->out_sp[1] - 1) * p->stride[1] + (p->k[1] - 1) * p->dil[1] + 1;
  *th = r > p->pad_begin[0] + p->in_sp[0] ? r : p->pad_begin[0] + p->in_sp[0];
  *tw = c > p->pad_begin[1] + p->in_sp[1] ? c : p->pad_begin[1] + p->in_sp[1];
  return (*th * *tw + 1) * MLC_RT_DW_LANES; /* and room to align it */
}

/* conv_f32: a GEMM per group, or for a depthwise conv a band's buffers
 * (or the blocked planes' one, the larger); nothing for an empty output */
static inline int64_t mlc_rt_conv_scratch(const MlcConv *p) {
  int64_t kvol = 1, npix = 1;
  for (int i = 0; i < p->nsp; i++) {
    kvol *= p->k[i];
    npix *= p->out_sp[i];
  }
  if (npix == 0 || p->n == 0) return 0;
  if (mlc_rt_conv_depthwise(p)) {
    MlcDwLayout l = mlc_rt_dw_layout(p);
    int64_t th, tw, band = l.sy * l.sx * l.plane + l.out, blk = mlc_rt_dw_blocked(p, &th, &tw);
    return blk > band ? blk : band;
  }
  if (p->winograd) return mlc_rt_winograd_scratch(p);
  int64_t m = p->m / p->group, k = p->c / p->group * kvol;
  if (!mlc_rt_gemm_packs(m, npix, k, !mlc_rt_conv_pointwise(p))) return 0;
  return mlc_rt_gemm_panels(m, npix, k);
}

/* conv_dwpw_f32: the depthwise conv and the 1x1 conv after it, whose
 * intermediate (the c planes of the depthwise output) never exists whole.
 * A band of output rows at a time, the depthwise conv writes the band's
 * rows of every plane into the scratch, and the 1x1 conv reads them from
 * there, straight from cache, into the same rows of y. The band holds
 * about MLC_RT_DWPW_BAND floats, in whole groups of MLC_RT_DWPW_ROWS rows
 * (the depthwise paths compute that many rows at once); a plane narrower
 * than a vector takes one band (its paths run over whole planes).
 *
 * The compiler fuses the two where the intermediate would take
 * MLC_RT_DWPW_MIN_BYTES or more (smaller ones stay in cache anyway) and
 * the 1x1 conv makes at most MLC_RT_DWPW_MAX_M channels: a product that
 * few multiply-adds deep in each value it reads is bound by reading them,
 * and gains most from reading them from cache. Measured on AVX-512 within
 * MobileNetV2: its 32 -> 16 pair at 112x112 430 -> 349 us; its pairs
 * to 24 and 32 channels, 4 to 19 % slower than apart (planes read a few
 * rows at a time, and short calls per band). */
#define MLC_RT_DWPW_BAND 16384
#define MLC_RT_DWPW_ROWS 4
#define MLC_RT_DWPW_MIN_BYTES (256 * 1024)
#define MLC_RT_DWPW_MAX_M 16
static inline void mlc_rt_dwpw_convs(const MlcDwPw *p, MlcConv *dw, MlcConv *pw) {
  MlcConv d = {0}, q = {0};
  d.n = q.n = p->n;
  d.c = d.m = d.group = q.c = p->c;
  q.m = p->m;
  q.group = 1;
  d.nsp = q.nsp = p->nsp;
  for (int i = 0; i < p->nsp; i++) {
    d.in_sp[i] = p->in_sp[i];
    d.out_sp[i] = q.in_sp[i] = q.out_sp[i] = p->out_sp[i];
    d.k[i] = p->k[i];
    d.stride[i] = p->stride[i];
    d.dil[i] = p->dil[i];
    d.pad_begin[i] = p->pad_begin[i];
    q.k[i] = q.stride[i] = q.dil[i] = 1;
  }
  d.has_bias = p->has_bias;
  d.act = p->act;
  d.act_a = p->act_a;
  d.act_b = p->act_b;
  q.has_bias = p->pw_has_bias;
  q.act = p->pw_act;
  q.act_a = p->pw_act_a;
  q.act_b = p->pw_act_b;
  q.has_res = p->has_res;
  q.packed_w = p->packed_w;
  *dw = d;
  *pw = q;
}
/* the output rows of a band: whole groups of rows, a group as many as
 * make its outputs whole strips of MLC_RT_DWPW_COLS columns of the product
 * where MLC_RT_DWPW_UNIT rows or fewer do (a part strip computes less a
 * pass: 28-wide planes 1.1x faster in bands of 8 rows than of 4) */
#define MLC_RT_DWPW_COLS 32
#define MLC_RT_DWPW_UNIT 16
static inline int64_t mlc_rt_dwpw_band(const MlcDwPw *p) {
  int64_t oh = p->out_sp[0], ow = p->out_sp[1], per = p->c * ow, unit = MLC_RT_DWPW_ROWS;
  if (ow < MLC_RT_DW_LANES || per == 0) return oh;
  while (unit * ow % MLC_RT_DWPW_COLS && unit < MLC_RT_DWPW_UNIT) unit += MLC_RT_DWPW_ROWS;
  if (unit * ow % MLC_RT_DWPW_COLS) unit = MLC_RT_DWPW_ROWS;
  int64_t b = MLC_RT_DWPW_BAND / per / unit * unit;
  if (b < unit) b = unit;
  return b < oh ? b : oh;
}
/* the band's planes, the depthwise conv's scratch, the product's panels */
static inline int64_t mlc_rt_dwpw_scratch(const MlcDwPw *p) {
  MlcConv dw, pw;
  mlc_rt_dwpw_convs(p, &dw, &pw);
  int64_t n = mlc_rt_dwpw_band(p) * p->out_sp[1];
  if (n == 0 || p->n == 0) return 0;
  return p->c * n + MLC_RT_GEMM_SLACK + mlc_rt_conv_scratch(&dw) +
         mlc_rt_gemm_panels(p->m, n, p->c);
}

/* ---- window geometry of nn_pool.c, shared with the CUDA runtime -------- */

/* a window's geometry in 3-D, leading spatial dims of 1: input, output,
 * window, stride, dilation, padding at the beginning and at the end */
typedef struct MlcWindowGeo {
  int64_t in[3], out[3], k[3], s[3], d[3], pb[3], pe[3];
} MlcWindowGeo;

/* the geometry of nsp spatial dims (pe NULL: no end padding) */
MLC_RT_SCALAR void mlc_rt_window_geo(int64_t nsp, const int64_t *in, const int64_t *out,
                                     const int64_t *k, const int64_t *s, const int64_t *d,
                                     const int64_t *pb, const int64_t *pe, MlcWindowGeo *g) {
  int off = 3 - (int)nsp, i;
  for (i = 0; i < 3; i++) {
    int x = i - off;
    g->in[i] = x < 0 ? 1 : in[x];
    g->out[i] = x < 0 ? 1 : out[x];
    g->k[i] = x < 0 ? 1 : k[x];
    g->s[i] = x < 0 ? 1 : s[x];
    g->d[i] = x < 0 ? 1 : d[x];
    g->pb[i] = x < 0 ? 0 : pb[x];
    g->pe[i] = x < 0 || !pe ? 0 : pe[x];
  }
}

MLC_RT_SCALAR void mlc_rt_pool_geo(const MlcPool *p, MlcWindowGeo *g) {
  mlc_rt_window_geo(p->nsp, p->in_sp, p->out_sp, p->k, p->stride, p->dil, p->pad_begin,
                    p->pad_end, g);
}

/* the steps [*lo, *hi) of t -> start + t*step (t < n) that land in
 * [from, to): window taps (step = dilation) or outputs (step = stride) */
MLC_RT_SCALAR void mlc_rt_steps_in(int64_t start, int64_t n, int64_t step, int64_t from,
                                   int64_t to, int64_t *lo, int64_t *hi) {
  int64_t l, h;
  if (step == 1) {
    l = start >= from ? 0 : from - start;
    h = to - start;
  } else {
    l = start >= from ? 0 : (from - start + step - 1) / step;
    h = start >= to ? 0 : (to - 1 - start) / step + 1;
  }
  if (h > n) h = n;
  if (l > h) l = h;
  *lo = l;
  *hi = h;
}

/* the number of taps of the window at output o along dim d that count for
 * an average: those inside the input, or with count_include_pad those
 * inside the padded input */
MLC_RT_SCALAR int64_t mlc_rt_pool_avg_taps(const MlcPool *p, const MlcWindowGeo *g, int d,
                                           int64_t o) {
  int64_t st = o * g->s[d] - g->pb[d], lo, hi;
  if (p->count_include_pad)
    mlc_rt_steps_in(st, g->k[d], g->d[d], -g->pb[d], g->in[d] + g->pe[d], &lo, &hi);
  else
    mlc_rt_steps_in(st, g->k[d], g->d[d], 0, g->in[d], &lo, &hi);
  return hi - lo;
}

/* MaxPool's index of input (z, y, x) within a plane, row- or column-major */
MLC_RT_SCALAR int64_t mlc_rt_pool_index(const MlcWindowGeo *g, int col_major, int64_t z,
                                        int64_t y, int64_t x) {
  if (col_major) return (x * g->in[1] + y) * g->in[0] + z;
  return (z * g->in[1] + y) * g->in[2] + x;
}

#ifdef __cplusplus
}
#endif
#endif /* MLC_RT_NN_H */
