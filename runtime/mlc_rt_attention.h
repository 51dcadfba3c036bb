/* mlc runtime, family attention. Attention and the kernels of transformer
 * blocks.
 *
 * Parameter structs (S) and kernels (K, io in order: inputs, then
 * outputs); mlc_rt.h gathers every family's lists. */
#ifndef MLC_RT_ATTENTION_H
#define MLC_RT_ATTENTION_H

#include <string.h>

#include "mlc_rt_core.h"

#define MLC_RT_PARAMS_ATTENTION(S, I, D, IA, DA)                              \
  /* Attention over b x hq query heads (hq / hkv share a key head) of sq      \
     queries against skv keys; element strides (batch, head, position) of     \
     q, k, v and y, whose last dim is contiguous. mask 0 none, 1 bool, 2      \
     additive, at strides m_st over (b, h, query, key), keys from mask_len    \
     on masked; causal/left/right (-1: unbounded) count from the query's      \
     position offset: past, or nonpad[b] - sq when nonpad is given.           \
     qk_mode: what qk holds (0/1 softcapped scores, 2 plus bias, 3 the        \
     probabilities). scale multiplies q.k; with bf16 set, the rounding of     \
     each step to bfloat16 is emulated and scale is sqrt(scale) instead,      \
     applied to q and k */                                                    \
  S(MlcAttention, I(b) I(hq) I(hkv) I(sq) I(skv) I(dk) I(dv)                  \
                  IA(q_st, 3) IA(k_st, 3) IA(v_st, 3) IA(y_st, 3) I(mask)     \
                  IA(m_st, 4) I(mask_len) I(causal) I(past) I(left)           \
                  I(right) D(scale) D(softcap) I(qk_mode) I(bf16))            \
  /* RotaryEmbedding of x [b, h, s, d] at element strides st (batch, head,    \
     position; y alike): the first rot of each d values rotate by the         \
     cos/sin rows of position pos[b, s] (clamped to [0, npos)), or of row     \
     b * s + position when npos is 0 (caches [b, s, rot / 2]) */              \
  S(MlcRotary, I(b) I(h) I(s) I(d) I(rot) I(interleaved) IA(st, 3) I(npos))   \
  /* LinearAttention over t steps of [b, t, heads * size] inputs; the         \
     state [b, hkv, dk, dv] starts from past (or zeros). decay 0 none, 1      \
     one per kv head, 2 one per key dim; beta 0 none, 1 one per kv head,      \
     2 one per step */                                                        \
  S(MlcLinAttn, I(b) I(t) I(hq) I(hkv) I(dk) I(dv) I(decay) I(beta)           \
                D(scale))

#define MLC_RT_KERNELS_ATTENTION(K)                                           \
  /* scratch: 2 * skv floats */                                               \
  K(attention_f32, MlcAttention) /* io: q, k, v, mask|NULL (uint8 or          \
                                    float), nonpad|NULL (int64), y|NULL       \
                                    (NULL: qk only), qk|NULL, scratch */      \
  K(rotary_f32, MlcRotary)     /* io: x, cos, sin, pos|NULL (int64), y */     \
  K(linattn_f32, MlcLinAttn)   /* io: q, k, v, past|NULL, decay|NULL,         \
                                  beta|NULL, y, state */

#ifdef __cplusplus
extern "C" {
#endif

MLC_RT_DECLARE(MLC_RT_PARAMS_ATTENTION, MLC_RT_KERNELS_ATTENTION)

/* io slots: where each kernel finds its tensors in io[] (the lowering
 * fills them by these names, the kernel reads them by these names) */
/* attention_f32 */
enum { MLC_ATTENTION_Q, MLC_ATTENTION_K, MLC_ATTENTION_V, MLC_ATTENTION_MASK,
       MLC_ATTENTION_NONPAD, MLC_ATTENTION_Y, MLC_ATTENTION_QK,
       MLC_ATTENTION_SCRATCH, MLC_ATTENTION_NIO };
/* rotary_f32 */
enum { MLC_ROTARY_X, MLC_ROTARY_COS, MLC_ROTARY_SIN, MLC_ROTARY_POS,
       MLC_ROTARY_Y, MLC_ROTARY_NIO };
/* linattn_f32 */
enum { MLC_LINATTN_Q, MLC_LINATTN_K, MLC_LINATTN_V, MLC_LINATTN_PAST,
       MLC_LINATTN_DECAY, MLC_LINATTN_BETA, MLC_LINATTN_Y, MLC_LINATTN_STATE,
       MLC_LINATTN_NIO };

/* ---- scalar helpers of attention.c, shared with the CUDA runtime ------- */

/* x rounded to bfloat16 (nearest even), for the emulated mode */
MLC_RT_SCALAR float mlc_rt_bf16(float x) {
  uint32_t u;
  memcpy(&u, &x, sizeof u);
  if ((u & 0x7f800000u) == 0x7f800000u) return x;
  u += 0x7fffu + ((u >> 16) & 1u);
  u &= 0xffff0000u;
  memcpy(&x, &u, sizeof x);
  return x;
}

/* Attention: the additive bias of key j for query i of batch b, head h;
 * offset is the query's position less i, keys from valid on are padding */
MLC_RT_SCALAR float mlc_rt_attn_bias(const MlcAttention *p, const void *mask, int64_t b,
                                     int64_t h, int64_t i, int64_t j, int64_t offset,
                                     int64_t valid) {
  float bias = 0;
  if (p->mask) {
    if (j >= p->mask_len) {
      bias = -INFINITY;
    } else {
      int64_t at = b * p->m_st[0] + h * p->m_st[1] + i * p->m_st[2] + j * p->m_st[3];
      if (p->mask == 1)
        bias = ((const uint8_t *)mask)[at] ? 0.0f : -INFINITY;
      else
        bias = ((const float *)mask)[at];
    }
  }
  if (p->causal && j > i + offset) bias += -INFINITY;
  if (p->left >= 0 && i + offset - j > p->left) bias += -INFINITY;
  if (p->right >= 0 && j - (i + offset) > p->right) bias += -INFINITY;
  if (j >= valid) bias += -INFINITY;
  return bias;
}

/* Attention: the scaled (and softcapped) score of query row qr against key
 * row kr; with bf16, rounded where the ONNX reference rounds */
MLC_RT_SCALAR float mlc_rt_attn_score(const MlcAttention *p, const float *qr, const float *kr) {
  int64_t d;
  float s;
  if (p->bf16) {
    float acc = 0, sf = (float)p->scale;
    for (d = 0; d < p->dk; d++) acc += mlc_rt_bf16(qr[d] * sf) * mlc_rt_bf16(kr[d] * sf);
    s = mlc_rt_bf16(acc);
  } else {
    double dot = 0;
    for (d = 0; d < p->dk; d++) dot += (double)qr[d] * kr[d];
    s = (float)(dot * p->scale);
  }
  if (p->softcap > 0) {
    float cap = (float)p->softcap;
    if (p->bf16)
      s = mlc_rt_bf16(mlc_rt_bf16(tanhf(mlc_rt_bf16(s / cap))) * cap);
    else
      s = tanhf(s / cap) * cap;
  }
  return s;
}

#ifdef __cplusplus
}
#endif
#endif /* MLC_RT_ATTENTION_H */
