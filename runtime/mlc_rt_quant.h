/* mlc runtime, family quant. Quantization: (de)quantizing, integer products,
 * requantization (quant.c: the exact reference kernels; quant_gemm.c: the
 * fused int8 conv and matrix product over weights packed at compile time;
 * quant_dw.c: the fused int8 depthwise conv).
 *
 * Parameter structs (S) and kernels (K, io in order: inputs, then
 * outputs); mlc_rt.h gathers every family's lists. */
#ifndef MLC_RT_QUANT_H
#define MLC_RT_QUANT_H

#include <string.h>

#include "mlc_rt_core.h"
#include "mlc_rt_nn.h"

#define MLC_RT_PARAMS_QUANT(S, I, D, IA, DA)                                  \
  /* Quantize/DequantizeLinear of x viewed as [outer, len, inner]: the        \
     scale and zero point (double) of element (o, a, i) are at o * s_o +      \
     (a / block) * s_a + i * s_i. xt, yt: MLC_DT_* of x and y. Quantize       \
     rounds x / scale to type divt, then to an integer saturated to           \
     [lo, hi] (lo > hi: a float y, cast with nosat) */                        \
  S(MlcQuant, I(outer) I(len) I(inner) I(block) I(s_o) I(s_a) I(s_i)          \
              I(xt) I(yt) I(divt) I(lo) I(hi) I(nosat))                       \
  S(MlcDynQuant, I(count))                                                    \
  /* integer MatMul of int8/uint8 (at, bt) into int32, batches as             \
     MlcMatMul; azp 1: one zero point per row of A (else one); bzp 1: one     \
     per column, 2: one per column of each batch of B */                      \
  S(MlcQMatMul, I(m) I(n) I(k) I(brank) IA(bdims, MLC_RT_MAX_RANK)            \
                IA(a_bs, MLC_RT_MAX_RANK) IA(b_bs, MLC_RT_MAX_RANK) I(at)     \
                I(bt) I(azp) I(bzp))                                          \
  /* integer Conv into int32, geometry as MlcConv; wzp 1: one weight zero     \
     point per output channel */                                              \
  S(MlcQConv, I(n) I(c) I(m) I(group) I(nsp) IA(in_sp, MLC_RT_MAX_SP)         \
              IA(out_sp, MLC_RT_MAX_SP) IA(k, MLC_RT_MAX_SP)                  \
              IA(stride, MLC_RT_MAX_SP) IA(dil, MLC_RT_MAX_SP)                \
              IA(pad_begin, MLC_RT_MAX_SP) I(xt) I(wt) I(wzp))                \
  /* int32 acc [outer, len, inner] to yt: rint(acc * f + zp) saturated to     \
     [lo, hi], f = s1 * s2[l] / s3 (s2 per l when s2_per), rounded to type    \
     st after each step as the scales' own arithmetic would */                \
  S(MlcRequant, I(outer) I(len) I(inner) I(s2_per) I(st) I(yt) I(lo) I(hi)) \
  /* the fused int8 products (quant_gemm.c, quant_dw.c): x of type xt       \
     (int8/uint8) with the zero point xz (qgemm_fused: or io's), weights wt; \
     y is out                                                                \
     (MLC_QOUT_*): int32 sums, float sums * mult, or 8-bit                   \
     clamp(nearbyint(sum * mult), lo - yz, hi - yz) + yz. Conv geometry as   \
     MlcConv */                                                               \
  S(MlcQConvFused, I(n) I(c) I(m) I(group) I(nsp) IA(in_sp, MLC_RT_MAX_SP)    \
                   IA(out_sp, MLC_RT_MAX_SP) IA(k, MLC_RT_MAX_SP)             \
                   IA(stride, MLC_RT_MAX_SP) IA(dil, MLC_RT_MAX_SP)           \
                   IA(pad_begin, MLC_RT_MAX_SP) I(xt) I(xz) I(wt) I(out)      \
                   I(yz) I(lo) I(hi) I(pairs))                                \
  /* y (m x n) = a (m x k, a^T when trans_a) b, b constant and packed; both:  \
     pairs 1 where the packed weights pass mlc_rt_qpairs_fit */               \
  S(MlcQGemmFused, I(m) I(n) I(k) I(trans_a) I(xt) I(xz) I(out) I(yz) I(lo)   \
                   I(hi) I(pairs))

#define MLC_RT_KERNELS_QUANT(K)                                               \
  K(quantize, MlcQuant)        /* io: x, scale, zp|NULL (double), y */        \
  K(dequantize, MlcQuant)      /* io: x, scale, zp|NULL (double), y */        \
  K(dynquant_f32, MlcDynQuant) /* io: x, y (uint8), scale, zp (uint8) */      \
  K(qmatmul, MlcQMatMul)       /* io: a, b, azp|NULL, bzp|NULL, y (int32) */  \
  K(qconv, MlcQConv)           /* io: x, w, xzp|NULL, wzp|NULL,               \
                                  bias|NULL (int32), y (int32) */             \
  K(requant, MlcRequant)       /* io: acc (int32), s1, s2, s3 (float),        \
                                  zp|NULL (yt), y */                          \
  /* io of the fused products: x, w, bias (int32 per channel), wz|NULL       \
     (int32 per channel), mult|NULL (float per channel), xz|NULL, xw|NULL    \
     (qgemm_fused only), y, scratch */                                        \
  K(qconv_fused, MlcQConvFused)   /* w: mlc_rt_qpack; bias, wz: mlc_rt_qfold */ \
  K(qgemm_fused, MlcQGemmFused)   /* the same; channels: the columns of y;    \
                                     xz (xt, one value) with xw (int32 per    \
                                     channel, mlc_rt_qfold): x's zero point   \
                                     at run time (params' xz unused) */       \
  K(qconv_dw, MlcQConvFused)   /* depthwise; w, bias, wz as the model's */

#ifdef __cplusplus
extern "C" {
#endif

MLC_RT_DECLARE(MLC_RT_PARAMS_QUANT, MLC_RT_KERNELS_QUANT)

/* io slots: where each kernel finds its tensors in io[] (the lowering
 * fills them by these names, the kernel reads them by these names) */
/* quantize */
enum { MLC_QUANTIZE_X, MLC_QUANTIZE_SCALE, MLC_QUANTIZE_ZP, MLC_QUANTIZE_Y,
       MLC_QUANTIZE_NIO };
/* dequantize */
enum { MLC_DEQUANTIZE_X, MLC_DEQUANTIZE_SCALE, MLC_DEQUANTIZE_ZP,
       MLC_DEQUANTIZE_Y, MLC_DEQUANTIZE_NIO };
/* dynquant_f32 */
enum { MLC_DYNQUANT_X, MLC_DYNQUANT_Y, MLC_DYNQUANT_SCALE, MLC_DYNQUANT_ZP,
       MLC_DYNQUANT_NIO };
/* qmatmul */
enum { MLC_QMATMUL_A, MLC_QMATMUL_B, MLC_QMATMUL_AZP, MLC_QMATMUL_BZP,
       MLC_QMATMUL_Y, MLC_QMATMUL_NIO };
/* qconv */
enum { MLC_QCONV_X, MLC_QCONV_W, MLC_QCONV_XZP, MLC_QCONV_WZP,
       MLC_QCONV_BIAS, MLC_QCONV_Y, MLC_QCONV_NIO };
/* requant */
enum { MLC_REQUANT_ACC, MLC_REQUANT_S1, MLC_REQUANT_S2, MLC_REQUANT_S3,
       MLC_REQUANT_ZP, MLC_REQUANT_Y, MLC_REQUANT_NIO };
/* qconv_fused, qgemm_fused, qconv_dw */
enum { MLC_QFUSED_X, MLC_QFUSED_W, MLC_QFUSED_BIAS, MLC_QFUSED_WZ,
       MLC_QFUSED_MULT, MLC_QFUSED_XZ, MLC_QFUSED_XW, MLC_QFUSED_Y,
       MLC_QFUSED_SCRATCH, MLC_QFUSED_NIO };
/* what the fused products store (MlcQConvFused.out, MlcQGemmFused.out) */
enum { MLC_QOUT_I32, MLC_QOUT_F32, MLC_QOUT_U8, MLC_QOUT_I8 };

/* The fused products multiply u8 activations by s8 weights in groups of 4
 * along k (AVX-512 VNNI's vpdpbusd; the other instruction sets widen to 16
 * bits, exactly): int8 activations are shifted by +128 as they are packed,
 * uint8 weights by -128 as they are packed at compile time, and every
 * correction that follows from a constant (the zero points times the
 * weights' sums, the shifts, the bias) is folded into one int32 per output
 * channel by mlc_rt_qfold. A weight zero point that is not 0 after the
 * shift (wz) needs the sums of each output's activations, which the kernel
 * adds up as it packs them.
 *
 * The packed weights: per group, the channels (rows x kdim, row-major) in
 * strips of MLC_RT_QSTRIP channels; strip s, k group g holds channel
 * s*QSTRIP + r's weights 4g..4g+3 at ((s * kdim4/4 + g) * QSTRIP + r) * 4,
 * zeros past the channels and past kdim. One layout for every instruction
 * set (each kernel's tile divides a strip), so generic code that links with
 * any runtime reads its weights right. */
#define MLC_RT_QSTRIP 16
static inline int64_t mlc_rt_qk4(int64_t k) { return (k + 3) / 4 * 4; }
static inline int64_t mlc_rt_qpacked_bytes(int64_t rows, int64_t kdim) {
  return (rows + MLC_RT_QSTRIP - 1) / MLC_RT_QSTRIP * MLC_RT_QSTRIP * mlc_rt_qk4(kdim);
}
/* packs `groups` weight matrices of type wt (int8 or uint8) of rows x kdim,
 * element (i, q) at w[i * rs + q * cs], rows * kdim elements apart, as
 * above, mlc_rt_qpacked_bytes() apart in dst */
void mlc_rt_qpack(const void *w, int64_t wt, int64_t groups, int64_t rows, int64_t kdim,
                  int64_t rs, int64_t cs, int8_t *dst);
/* Whether no two packed weights at 2i, 2i + 1 of w (bytes of them) exceed
 * 128 in |w0| + |w1|: then their products by two uint8 sum within int16,
 * and the kernels may use an instruction that saturates there (AVX2's
 * vpmaddubsw), which would be inexact for other weights */
int mlc_rt_qpairs_fit(const int8_t *w, int64_t bytes);
/* The per-channel constants of m channels of weights w (as mlc_rt_qpack
 * reads them) with the zero points wzp (wt; NULL: none, else one or, with
 * wz_per, one per channel), input type xt and zero point xz, and the int32
 * bias (NULL: none): bias_out[i] (the folded constant), wz_out[i] (the
 * shifted weight zero point) and, unless xw_out is NULL, xw_out[i]: what
 * the shifted input zero point multiplies, for a zero point known only at
 * run time (then pass xz 0 for uint8 x, -128 for int8: none folded).
 * Returns whether any wz_out is not 0 (the kernel's wz slot is needed). */
int mlc_rt_qfold(const void *w, int64_t wt, int64_t m, int64_t kdim, int64_t rs, int64_t cs,
                 const void *wzp, int wz_per, int64_t xt, int64_t xz, const int32_t *bias,
                 int32_t *bias_out, int32_t *wz_out, int32_t *xw_out);

/* Scratch (floats) of the fused products: a strip of at most
 * MLC_RT_QCOLS_MAX packed output columns (conv) or MLC_RT_QROWS_MAX rows of
 * a (gemm) over the whole depth, and their sums */
#define MLC_RT_QCOLS_MAX 32
#define MLC_RT_QROWS_MAX 8
static inline int64_t mlc_rt_qconv_kdim(const MlcQConvFused *p) {
  int64_t k = p->c / p->group;
  for (int i = 0; i < p->nsp; i++) k *= p->k[i];
  return k;
}
static inline int64_t mlc_rt_qconv_scratch(const MlcQConvFused *p) {
  return mlc_rt_qk4(mlc_rt_qconv_kdim(p)) * MLC_RT_QCOLS_MAX / 4 + MLC_RT_QCOLS_MAX;
}
static inline int64_t mlc_rt_qgemm_scratch(const MlcQGemmFused *p) {
  return mlc_rt_qk4(p->k) * MLC_RT_QROWS_MAX / 4 + MLC_RT_QROWS_MAX;
}

/* The depthwise conv runs the float depthwise kernel (conv_f32) on chunks
 * of planes converted to x - xz, with weights w - wz: every sum is an
 * integer below 2^24 in magnitude, so exact in float, when the window has
 * at most 258 taps (258 * 255 * 255 < 2^24). A chunk holds as many planes
 * as fit MLC_RT_QDW_FLOATS (at least one); its output planes have a slack
 * of MLC_RT_QDW_SLACK floats that the store's whole vectors may read. */
#define MLC_RT_QDW_FLOATS 16384
#define MLC_RT_QDW_SLACK 16
static inline int mlc_rt_qconv_dw_fits(const MlcQConvFused *p) {
  return p->c == p->group && p->m == p->group && mlc_rt_qconv_kdim(p) <= 258;
}
/* the float conv of a chunk of cb planes */
static inline void mlc_rt_qdw_conv(const MlcQConvFused *p, int64_t cb, MlcConv *f) {
  int i;
  memset(f, 0, sizeof *f);
  f->n = 1;
  f->c = f->m = f->group = cb;
  f->nsp = p->nsp;
  for (i = 0; i < MLC_RT_MAX_SP; i++) {
    f->in_sp[i] = p->in_sp[i];
    f->out_sp[i] = p->out_sp[i];
    f->k[i] = p->k[i];
    f->stride[i] = p->stride[i];
    f->dil[i] = p->dil[i];
    f->pad_begin[i] = p->pad_begin[i];
  }
}
static inline int64_t mlc_rt_qdw_chunk(const MlcQConvFused *p, int64_t *inpix, int64_t *npix) {
  int64_t cb;
  int i;
  *inpix = *npix = 1;
  for (i = 0; i < p->nsp; i++) {
    *inpix *= p->in_sp[i];
    *npix *= p->out_sp[i];
  }
  cb = MLC_RT_QDW_FLOATS / (*inpix + *npix + mlc_rt_qconv_kdim(p));
  return cb < 1 ? 1 : cb > p->c ? p->c : cb;
}
/* A 2-D plane at stride 1 that fits MLC_RT_QDW_FLOATS padded runs by
 * itself: copied into a plane padded all round (wp = out_w + the window's
 * reach wide, the padding 0 = x - xz), every tap of the window is one
 * offset into it, and the outputs, computed over whole padded rows, are
 * one run of vectors with no edges (a keyword spotter's 25x5 planes
 * would be nothing but edges to the float kernel). The floats: the padded
 * plane and a row of zeros (the last vectors' windows reach past the
 * plane), the output rows (wp apart), MLC_RT_QDW_FLAT_SLACK floats after
 * both that whole vectors run over, and the weights; 0 where it does not
 * apply. */
#define MLC_RT_QDW_FLAT_SLACK 64
static inline int64_t mlc_rt_qdw_flat(const MlcQConvFused *p, int64_t *wp) {
  int64_t hp = p->out_sp[0] + (p->k[0] - 1) * p->dil[0], n;
  *wp = p->nsp == 2 ? p->out_sp[1] + (p->k[1] - 1) * p->dil[1] : 0;
  n = (hp + 1 + p->out_sp[0]) * *wp + 2 * MLC_RT_QDW_FLAT_SLACK + mlc_rt_qconv_kdim(p);
  return p->nsp == 2 && p->stride[0] == 1 && p->stride[1] == 1 && n <= MLC_RT_QDW_FLOATS ? n : 0;
}
static inline int64_t mlc_rt_qdw_scratch(const MlcQConvFused *p) {
  int64_t inpix, npix, cb = mlc_rt_qdw_chunk(p, &inpix, &npix), wp, flat = mlc_rt_qdw_flat(p, &wp);
  MlcConv f;
  mlc_rt_qdw_conv(p, cb, &f);
  return flat ? flat
              : cb * (inpix + npix + mlc_rt_qconv_kdim(p)) + MLC_RT_QDW_SLACK +
                    mlc_rt_conv_scratch(&f);
}

#ifdef __cplusplus
}
#endif
#endif /* MLC_RT_QUANT_H */
