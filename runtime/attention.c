/* Attention, RotaryEmbedding and LinearAttention.
 *
 * Attention runs one query row at a time: scores against every key, the
 * additive bias of that row (mask, causal frontier, sliding window, padding
 * of an external cache), a softmax, and the weighted sum of the values. A
 * row whose bias is -inf everywhere attends to nothing and yields zeros
 * (ONNX's fully-masked-row rule), which is decided on the bias, not on the
 * scores, so a NaN score cannot leak into such a row. Everything else keeps
 * IEEE semantics: a NaN score or mask value gives a NaN row, as the
 * reference's own arithmetic does. Dot products and the softmax sum
 * accumulate in double.
 *
 * bfloat16 has too few bits for results to agree within tolerance unless
 * the arithmetic is the same: with bf16 set, every step the ONNX reference
 * rounds to bfloat16 is rounded here too (Q and K times the rounded
 * sqrt(scale), the scores, each softmax step and sum, the output), with
 * float accumulation where its matrix products accumulate in float.
 *
 * Inputs are read through element strides, so 3-D [batch, seq, heads *
 * size] and 4-D [batch, heads, seq, size] layouts need no transposing copy;
 * grouped-query attention maps query head h to key head h / (hq / hkv).
 */
#include <math.h>
#include <string.h>

#include "mlc_rt.h"

/* a step rounded to bfloat16 in the emulated mode */
#define RND(x) (p->bf16 ? mlc_rt_bf16(x) : (x))

void mlc_rt_attention_f32(const void *params, void *const *io) {
  const MlcAttention *p = (const MlcAttention *)params;
  const float *q = (const float *)io[MLC_ATTENTION_Q];
  const float *k = (const float *)io[MLC_ATTENTION_K];
  const float *v = (const float *)io[MLC_ATTENTION_V];
  const void *mask = io[MLC_ATTENTION_MASK];
  const int64_t *nonpad = (const int64_t *)io[MLC_ATTENTION_NONPAD];
  float *y = (float *)io[MLC_ATTENTION_Y], *qk = (float *)io[MLC_ATTENTION_QK];
  float *score = (float *)io[MLC_ATTENTION_SCRATCH];
  float *bias = score + p->skv;
  int64_t group = p->hq / p->hkv, b, h, i, j, d;
  for (b = 0; b < p->b; b++)
    for (h = 0; h < p->hq; h++)
      for (i = 0; i < p->sq; i++) {
        const float *qr = q + b * p->q_st[0] + h * p->q_st[1] + i * p->q_st[2];
        const float *kb = k + b * p->k_st[0] + h / group * p->k_st[1];
        const float *vb;
        float *yr;
        float *qkr = qk ? qk + ((b * p->hq + h) * p->sq + i) * p->skv : NULL;
        int64_t offset = nonpad ? nonpad[b] - p->sq : p->past;
        int64_t valid = nonpad ? nonpad[b] : p->skv;
        float bmax = -INFINITY, smax = -INFINITY, fsum = 0;
        double sum = 0;
        for (j = 0; j < p->skv; j++) {
          float s = mlc_rt_attn_score(p, qr, kb + j * p->k_st[2]);
          bias[j] = mlc_rt_attn_bias(p, mask, b, h, i, j, offset, valid);
          if (bias[j] > bmax || bias[j] != bias[j]) bmax = bias[j];
          if (qkr && p->qk_mode < 2) qkr[j] = s;
          score[j] = RND(s + bias[j]);
          if (qkr && p->qk_mode == 2) qkr[j] = score[j];
          if (score[j] > smax || score[j] != score[j]) smax = score[j];
        }
        /* without y, only the scores are wanted */
        if (!y) continue;
        yr = y + b * p->y_st[0] + h * p->y_st[1] + i * p->y_st[2];
        vb = v + b * p->v_st[0] + h / group * p->v_st[1];
        for (d = 0; d < p->dv; d++) yr[d] = 0;
        /* no key attends: zero probabilities */
        if (bmax == -INFINITY || smax == -INFINITY) {
          for (j = 0; qkr && p->qk_mode == 3 && j < p->skv; j++) qkr[j] = 0;
          continue;
        }
        /* the emulated mode sums in bfloat16 steps, as its reference does */
        for (j = 0; j < p->skv; j++) {
          score[j] = RND(expf(RND(score[j] - smax)));
          sum += score[j];
          fsum = mlc_rt_bf16(fsum + score[j]);
        }
        if (p->bf16) sum = fsum;
        for (j = 0; j < p->skv; j++) {
          const float *vr = vb + j * p->v_st[2];
          float w = RND((float)(score[j] / sum));
          if (qkr && p->qk_mode == 3) qkr[j] = w;
          for (d = 0; d < p->dv; d++) yr[d] += w * vr[d];
        }
        for (d = 0; p->bf16 && d < p->dv; d++) yr[d] = mlc_rt_bf16(yr[d]);
      }
}

void mlc_rt_rotary_f32(const void *params, void *const *io) {
  const MlcRotary *p = (const MlcRotary *)params;
  const float *x = (const float *)io[MLC_ROTARY_X];
  const float *cs = (const float *)io[MLC_ROTARY_COS];
  const float *sn = (const float *)io[MLC_ROTARY_SIN];
  const int64_t *pos = (const int64_t *)io[MLC_ROTARY_POS];
  float *y = (float *)io[MLC_ROTARY_Y];
  int64_t half = p->rot / 2, b, h, s, j;
  for (b = 0; b < p->b; b++)
    for (s = 0; s < p->s; s++) {
      int64_t row = b * p->s + s;
      const float *c, *sr;
      if (p->npos) {
        row = pos[row];
        row = row < 0 ? 0 : row >= p->npos ? p->npos - 1 : row;
      }
      c = cs + row * half;
      sr = sn + row * half;
      for (h = 0; h < p->h; h++) {
        int64_t at = b * p->st[0] + h * p->st[1] + s * p->st[2];
        const float *xr = x + at;
        float *yr = y + at;
        /* interleaved pairs are (2j, 2j + 1); else (j, j + half) */
        int64_t i1 = p->interleaved ? 2 : 1, i2 = p->interleaved ? 1 : half;
        for (j = 0; j < half; j++) {
          float x1 = xr[j * i1], x2 = xr[j * i1 + i2];
          yr[j * i1] = c[j] * x1 - sr[j] * x2;
          yr[j * i1 + i2] = sr[j] * x1 + c[j] * x2;
        }
        for (j = p->rot; j < p->d; j++) yr[j] = xr[j];
      }
    }
}

/* The recurrence runs one step at a time per kv head. The delta rule's
 * correction of value column m reads and writes state column m only, so
 * each column is corrected and updated in one pass with no scratch. */
void mlc_rt_linattn_f32(const void *params, void *const *io) {
  const MlcLinAttn *p = (const MlcLinAttn *)params;
  const float *q = (const float *)io[MLC_LINATTN_Q];
  const float *k = (const float *)io[MLC_LINATTN_K];
  const float *v = (const float *)io[MLC_LINATTN_V];
  const float *past = (const float *)io[MLC_LINATTN_PAST];
  const float *decay = (const float *)io[MLC_LINATTN_DECAY];
  const float *beta = (const float *)io[MLC_LINATTN_BETA];
  float *y = (float *)io[MLC_LINATTN_Y], *state = (float *)io[MLC_LINATTN_STATE];
  int64_t group = p->hq / p->hkv, size = p->b * p->hkv * p->dk * p->dv;
  int64_t b, t, h, g, d, m;
  for (d = 0; d < size; d++) state[d] = past ? past[d] : 0;
  for (b = 0; b < p->b; b++)
    for (t = 0; t < p->t; t++)
      for (h = 0; h < p->hkv; h++) {
        int64_t step = (b * p->t + t) * p->hkv + h;
        float *s = state + (b * p->hkv + h) * p->dk * p->dv;
        const float *kt = k + step * p->dk, *vt = v + step * p->dv;
        float bt = 1;
        if (p->decay)
          for (d = 0; d < p->dk; d++) {
            float f = expf(p->decay == 1 ? decay[step] : decay[step * p->dk + d]);
            for (m = 0; m < p->dv; m++) s[d * p->dv + m] *= f;
          }
        if (p->beta) bt = beta[p->beta == 1 ? step : b * p->t + t];
        for (m = 0; m < p->dv; m++) {
          float u = vt[m];
          if (p->beta) {
            double r = 0;
            for (d = 0; d < p->dk; d++) r += (double)s[d * p->dv + m] * kt[d];
            u = bt * (vt[m] - (float)r);
          }
          for (d = 0; d < p->dk; d++) s[d * p->dv + m] += kt[d] * u;
        }
        for (g = 0; g < group; g++) {
          int64_t qh = (b * p->t + t) * p->hq + h * group + g;
          const float *qt = q + qh * p->dk;
          float *yt = y + qh * p->dv;
          for (m = 0; m < p->dv; m++) {
            double o = 0;
            for (d = 0; d < p->dk; d++) o += (double)qt[d] * s[d * p->dv + m];
            yt[m] = (float)(p->scale * o);
          }
        }
      }
}
