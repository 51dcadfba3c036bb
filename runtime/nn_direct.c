/* A conv over few input channels (an image network's first conv, on 3
 * colour planes), computed straight from the input on AVX-512: no
 * im2col panel, no packed weights (mlc_rt_conv_direct(), mlc_rt_nn.h).
 *
 * As a product, such a conv has an inner dimension of C * kh * kw (27 for
 * a 3x3 window on 3 channels): packing its im2col panel costs about as
 * much as the product, and the panel is read by few row strips. Here each
 * vector of 16 outputs along a row is computed for 16 output channels at
 * once, in 16 accumulators: every input vector of a tap (c, ky, kx) is
 * loaded once (masked at the row's ends, so the padding reads as zeros;
 * at stride 2, two or three loads split by permutes, v_s2_taps) and
 * multiplied by 16 broadcast weights. A last group of fewer channels
 * computes the last channel again in the spare accumulators and stores
 * only its own. The epilogue's bias, Relu and Clip are applied in
 * registers; a residual or another activation runs over each stored row.
 *
 * The rows of the output split over the thread pool. */
#include "nn_int.h"

#if MLC_RT_ISA == MLC_RT_ISA_X86_64_V4

#define MG 16 /* output channels per group of accumulators */
/* Within a model the input of its first conv comes from memory: the
 * network's input, last read an inference ago. The prefetchers follow its
 * rows poorly (a row of a few channels' planes at a time), so each output
 * row fetches into L2 the input rows that the output row PF_ROWS on adds
 * to its window (MobileNetV2's first conv 348 -> 295 us in the model; with
 * the input already in cache, 287) */
#define PF_ROWS 2

typedef struct DirectJob {
  const MlcConv *p;
  const float *x, *w, *bias, *res;
  float *y;
  const Epi *e; /* bias, residual aside */
  Clamp act;    /* what the stores apply (with no residual) */
  int finish;   /* else the rows' epilogue: the residual, then e's activation */
  int32_t idx[MLC_RT_DIRECT_K][NN_V]; /* stride 2: where output t's tap kx
                                         lies in the three loads (v_s2_taps) */
  /* [v][i]: the lanes of load i of output vector v inside the row */
  __mmask16 cols[MLC_RT_DIRECT_W / NN_V * MLC_RT_DIRECT_K];
} DirectJob;

/* The vector of output row oy from column ox of image ni, for channels
 * [m0, m0 + MG), or with `part` for those up to the last (the spare
 * accumulators repeat it). Inlined with the channels, the window and the
 * stride constant for the common convs: the weights of a tap are then at
 * constant offsets from one pointer. */
static MLC_INLINE void direct_vec(const DirectJob *j, int64_t ni, int64_t oy, int64_t ox,
                                  int64_t m0, const __m512i *idx, int64_t nc, int64_t kh,
                                  int64_t kw, int64_t s, const int part) {
  const MlcConv *p = j->p;
  const int64_t ih = p->in_sp[0], iw = p->in_sp[1], kvol = kh * kw, kdim = nc * kvol;
  const int64_t pt = p->pad_begin[0], pl = p->pad_begin[1], last = p->m - 1 - m0;
  const float *wg = j->w + m0 * kdim;
  Vec acc[MG];
  NN_UNROLL
  for (int i = 0; i < MG; i++) {
    int64_t m = m0 + (part && i > last ? last : i);
    acc[i] = v_set1(j->bias ? j->bias[m] : 0);
  }
  const __mmask16 *cm = j->cols + ox / NN_V * MLC_RT_DIRECT_K;
  const int64_t col = ox * s - pl;
  for (int64_t c = 0; c < nc; c++)
    for (int64_t ky = 0; ky < kh; ky++) {
      int64_t iy = oy * s - pt + ky;
      if (iy < 0 || iy >= ih) continue;
      const float *row = j->x + ((ni * nc + c) * ih + iy) * iw + col;
      const int64_t q0 = c * kvol + ky * kw;
      Vec in[MLC_RT_DIRECT_K];
      NN_UNROLL
      for (int i = 0; i < MLC_RT_DIRECT_K; i++) in[i] = v_set1(0); /* past kw: unread */
      if (s == 1) {
        NN_UNROLL
        for (int64_t kx = 0; kx < kw; kx++) in[kx] = _mm512_maskz_loadu_ps(cm[kx], row + kx);
      } else {
        Vec la = _mm512_maskz_loadu_ps(cm[0], row), lb = _mm512_maskz_loadu_ps(cm[1], row + NN_V);
        Vec lc = kw > 2 ? _mm512_maskz_loadu_ps(cm[2], row + 2 * NN_V) : la;
        v_s2_split(la, lb, lc, idx, kw, in);
      }
      NN_UNROLL
      for (int64_t kx = 0; kx < kw; kx++) NN_UNROLL
      for (int i = 0; i < MG; i++)
        acc[i] = v_fma(acc[i], in[kx], v_set1(wg[(part && i > last ? last : i) * kdim + q0 + kx]));
    }
  const Vec lo = v_set1(j->act.lo), hi = v_set1(j->act.hi);
  const int64_t npix = p->out_sp[0] * p->out_sp[1], n = p->out_sp[1] - ox;
  NN_UNROLL
  for (int i = 0; i < MG; i++) {
    if (m0 + i >= p->m) break;
    v_store(j->y + (ni * p->m + m0 + i) * npix + oy * p->out_sp[1] + ox,
            v_clamp(acc[i], j->act.kind, lo, hi), n);
  }
}

/* output rows [r0, r1) of every image (row r: image r / oh, row r % oh) */
static MLC_INLINE void direct_rows(const DirectJob *j, int64_t r0, int64_t r1, int64_t nc,
                                   int64_t kh, int64_t kw, int64_t s) {
  const MlcConv *p = j->p;
  const int64_t oh = p->out_sp[0], ow = p->out_sp[1], npix = oh * ow;
  __m512i idx[MLC_RT_DIRECT_K];
  for (int kx = 0; kx < MLC_RT_DIRECT_K; kx++) idx[kx] = _mm512_loadu_si512(j->idx[kx]);
  for (int64_t r = r0; r < r1; r++) {
    int64_t ni = r / oh, oy = r % oh;
    /* the input rows output row r + PF_ROWS adds to its window */
    if (oy + PF_ROWS < oh)
      for (int64_t c = 0; c < nc; c++)
        for (int64_t ky = 0; ky < s; ky++) {
          int64_t iy = (oy + PF_ROWS) * s - p->pad_begin[0] + kh - s + ky;
          if (iy < 0 || iy >= p->in_sp[0]) continue;
          const float *row = j->x + ((ni * nc + c) * p->in_sp[0] + iy) * p->in_sp[1];
          for (int64_t q = 0; q < p->in_sp[1]; q += 16) NN_PREFETCH(row + q); /* a line */
        }
    for (int64_t m0 = 0; m0 < p->m; m0 += MG)
      for (int64_t ox = 0; ox < ow; ox += NN_V) {
        if (m0 + MG <= p->m)
          direct_vec(j, ni, oy, ox, m0, idx, nc, kh, kw, s, 0);
        else
          direct_vec(j, ni, oy, ox, m0, idx, nc, kh, kw, s, 1);
      }
    for (int64_t m = 0; m < p->m && j->finish; m++) {
      int64_t at = (ni * p->m + m) * npix + oy * ow;
      Epi em = *j->e;
      em.res = j->res ? j->res + (ni * p->m + m) * npix : NULL;
      finish_row(j->y + at, ow, 0, oy * ow, &em);
    }
  }
}

/* the common first convs of image networks, on 3 channels: 3x3 at stride
 * 1 and 2, 7x7 at stride 2 */
static MLC_NOINLINE void direct_3s1(const DirectJob *j, int64_t r0, int64_t r1) {
  direct_rows(j, r0, r1, 3, 3, 3, 1);
}
static MLC_NOINLINE void direct_3s2(const DirectJob *j, int64_t r0, int64_t r1) {
  direct_rows(j, r0, r1, 3, 3, 3, 2);
}
static MLC_NOINLINE void direct_7s2(const DirectJob *j, int64_t r0, int64_t r1) {
  direct_rows(j, r0, r1, 3, 7, 7, 2);
}
static MLC_NOINLINE void direct_any(const DirectJob *j, int64_t r0, int64_t r1) {
  const MlcConv *p = j->p;
  direct_rows(j, r0, r1, p->c, p->k[0], p->k[1], p->stride[0]);
}

static void direct_part(void *arg, int t, int nt, float *scratch) {
  const DirectJob *j = (const DirectJob *)arg;
  const MlcConv *p = j->p;
  int64_t rows = p->n * p->out_sp[0], r0 = rows * t / nt, r1 = rows * (t + 1) / nt;
  int64_t k = p->k[0], s = p->stride[0];
  int three = p->c == 3 && p->k[1] == k;
  (void)scratch;
  if (three && k == 3 && s == 1)
    direct_3s1(j, r0, r1);
  else if (three && k == 3 && s == 2)
    direct_3s2(j, r0, r1);
  else if (three && k == 7 && s == 2)
    direct_7s2(j, r0, r1);
  else
    direct_any(j, r0, r1);
}

void mlc_rt__conv_direct(const MlcConv *p, const float *x, const float *w, const float *bias,
                         const float *res, float *y, const Epi *e) {
  DirectJob j = {p, x, w, bias, res, y, e, {0, 0, 0, NULL}, 0, {{0}}, {0}};
  j.finish = !epi_clamp(e, &j.act) || res;
  if (j.finish) j.act.kind = 0;
  const int64_t s = p->stride[1], iw = p->in_sp[1];
  for (int64_t v = 0; v * NN_V < p->out_sp[1]; v++)
    for (int64_t i = 0; i < MLC_RT_DIRECT_K; i++) {
      int64_t at = v * NN_V * s - p->pad_begin[1] + (s == 1 ? i : i * NN_V);
      j.cols[v * MLC_RT_DIRECT_K + i] = v_inside(at, iw);
    }
  v_s2_taps(j.idx, MLC_RT_DIRECT_K);
  int64_t flops = 2 * p->n * p->m * p->out_sp[0] * p->out_sp[1] * p->c * p->k[0] * p->k[1];
  if (flops < PAR_FLOPS || !mlc_rt_parallel(direct_part, &j)) direct_part(&j, 0, 1, NULL);
}

#endif
