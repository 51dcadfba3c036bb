/* The fused int8 depthwise conv (one input and one output channel per
 * group: MobileNet's): the float depthwise kernel of conv_f32 run on
 * chunks of planes converted to float, then requantized in the store.
 *
 * The products of x - xz by w - wz are integers of at most 255 * 255, and
 * a window of at most 258 taps (mlc_rt_qconv_dw_fits) sums them below
 * 2^24: every partial sum is a float computed exactly, so the result is
 * the exact integer sum and converts back without rounding. The float
 * kernel brings its SIMD windows for every instruction set, and a chunk of
 * planes (MLC_RT_QDW_FLOATS) stays in cache between its conversion, its
 * conv and its store. With the thread pool, chunks are split over the
 * threads, each in its own scratch.
 */
#include "quant_int.h"

typedef struct QDwJob {
  const MlcQConvFused *p;
  const void *x, *w;
  const QEpi *e;
  void *y;
  float *scratch;
  int64_t inpix, npix, cb, chunks;
} QDwJob;

/* d[i] = (x[i] ^ flip) - z for i < n: the planes to float, int8 ones
 * read as uint8 shifted by 128 (flip 0x80, z shifted alike) so that one
 * widening serves both; whole vectors where the instruction set has them */
static void to_float(float *restrict d, const uint8_t *restrict x, int64_t n, uint8_t flip,
                     int32_t z) {
  int64_t i = 0;
#if MLC_RT_ISA == MLC_RT_ISA_X86_64_V4
  const __m128i f = _mm_set1_epi8((char)flip);
  const __m512i zv = _mm512_set1_epi32(z);
  for (; i + 16 <= n; i += 16) {
    __m128i b = _mm_xor_si128(_mm_loadu_si128((const __m128i *)(x + i)), f);
    _mm512_storeu_ps(d + i, _mm512_cvtepi32_ps(_mm512_sub_epi32(_mm512_cvtepu8_epi32(b), zv)));
  }
#elif MLC_RT_ISA == MLC_RT_ISA_X86_64_V3
  const __m128i f = _mm_set1_epi8((char)flip);
  const __m256i zv = _mm256_set1_epi32(z);
  for (; i + 8 <= n; i += 8) {
    __m128i b = _mm_xor_si128(_mm_loadl_epi64((const __m128i *)(x + i)), f);
    _mm256_storeu_ps(d + i, _mm256_cvtepi32_ps(_mm256_sub_epi32(_mm256_cvtepu8_epi32(b), zv)));
  }
#endif
  for (; i < n; i++) d[i] = (float)((int32_t)(uint8_t)(x[i] ^ flip) - z);
}

/* the weights of channel ch less their zero point, as floats */
static void dw_weights(const QDwJob *j, int64_t ch, float *wf) {
  const MlcQConvFused *p = j->p;
  int64_t kvol = mlc_rt_qconv_kdim(p);
  for (int64_t i = 0; i < kvol; i++) {
    int64_t at = ch * kvol + i;
    int32_t v = p->wt == MLC_DT_INT8 ? ((const int8_t *)j->w)[at] : ((const uint8_t *)j->w)[at];
    wf[i] = (float)(v - (j->e->wz ? j->e->wz[ch] : 0));
  }
}

/* one chunk of cc planes from channel c0 of image n */
static void dw_chunk(const QDwJob *j, int64_t n, int64_t c0, int64_t cc, float *scratch) {
  const MlcQConvFused *p = j->p;
  int64_t kvol = mlc_rt_qconv_kdim(p), xs = n * p->c + c0;
  float *xf = scratch, *yf = xf + j->cb * j->inpix, *wf = yf + j->cb * j->npix + MLC_RT_QDW_SLACK;
  void *io[MLC_CONV_NIO] = {xf, wf, NULL, yf, wf + j->cb * kvol, NULL};
  MlcConv f;
  int i8 = p->xt == MLC_DT_INT8;
  to_float(xf, (const uint8_t *)j->x + xs * j->inpix, cc * j->inpix, i8 ? 0x80 : 0,
           (int32_t)p->xz + (i8 ? 128 : 0));
  for (int64_t c = 0; c < cc; c++) dw_weights(j, c0 + c, wf + c * kvol);
  mlc_rt_qdw_conv(p, cc, &f);
  mlc_rt_conv_f32(&f, io);
  /* what the last vector reads past the planes */
  memset(yf + cc * j->npix, 0, MLC_RT_QDW_SLACK * sizeof *yf);
  for (int64_t c = 0; c < cc; c++) {
    int64_t ch = c0 + c;
    QV bias = qv_set1(j->e->bias ? j->e->bias[ch] : 0);
    QF m = qf_set1(j->e->mult ? j->e->mult[ch] : 1);
    for (int64_t i = 0; i < j->npix; i += QV_N) {
      QV s = qv_add(qf_round(qf_load(yf + c * j->npix + i)), bias);
      q_store(j->e, s, m, j->y, (xs + c) * j->npix + i, j->npix - i);
    }
  }
}

/* plane q (image n, channel q % c) by mlc_rt_qdw_flat's padded plane;
 * four vectors at a time, so that their sums' latencies overlap */
static void dw_flat(const QDwJob *j, int64_t q, float *scratch) {
  const MlcQConvFused *p = j->p;
  int64_t wp, ch = q % p->c, oh = p->out_sp[0], ow = p->out_sp[1], ih = p->in_sp[0];
  int64_t iw = p->in_sp[1], kvol = mlc_rt_qconv_kdim(p), off[258];
  int64_t hp = oh + (p->k[0] - 1) * p->dil[0];
  mlc_rt_qdw_flat(p, &wp);
  int64_t xfloats = (hp + 1) * wp + MLC_RT_QDW_FLAT_SLACK;
  float *xp = scratch, *yf = xp + xfloats, *wf = yf + oh * wp + MLC_RT_QDW_FLAT_SLACK;
  int i8 = p->xt == MLC_DT_INT8;
  /* every lane, stored or not, sums products of the plane's values: an
   * integer below 2^24, which converts to int32 */
  memset(xp, 0, (size_t)xfloats * sizeof *xp);
  for (int64_t r = 0; r < ih; r++) {
    int64_t pr = r + p->pad_begin[0], c0 = p->pad_begin[1], c1 = min64(iw, wp - c0);
    if (pr >= 0 && pr < hp && c1 > 0)
      to_float(xp + pr * wp + c0, (const uint8_t *)j->x + q * j->inpix + r * iw, c1, i8 ? 0x80 : 0,
               (int32_t)p->xz + (i8 ? 128 : 0));
  }
  dw_weights(j, ch, wf);
  for (int64_t t = 0, ky = 0; ky < p->k[0]; ky++)
    for (int64_t kx = 0; kx < p->k[1]; kx++) off[t++] = ky * p->dil[0] * wp + kx * p->dil[1];
  for (int64_t i = 0; i < oh * wp; i += 4 * NN_V) {
    Vec acc[4] = {v_set1(0), v_set1(0), v_set1(0), v_set1(0)};
    for (int64_t t = 0; t < kvol; t++) {
      Vec w = v_set1(wf[t]);
      const float *x = xp + i + off[t];
      Q_UNROLL
      for (int v = 0; v < 4; v++) acc[v] = v_fma(acc[v], v_load(x + v * NN_V), w);
    }
    Q_UNROLL
    for (int v = 0; v < 4; v++) v_store(yf + i + v * NN_V, acc[v], NN_V);
  }
  QV bias = qv_set1(j->e->bias ? j->e->bias[ch] : 0);
  QF m = qf_set1(j->e->mult ? j->e->mult[ch] : 1);
  /* narrow rows first close up into the padded plane's place, so that
   * whole vectors store them rather than a part of one per row: each
   * row's whole vectors run past its end into the next one's place */
  const float *out = yf;
  int64_t pitch = wp, rows = oh, len = ow;
  if (ow < 2 * QV_N) {
    for (int64_t r = 0; r < oh; r++)
      for (int64_t x = 0; x < ow; x += NN_V)
        v_store(xp + r * ow + x, v_load(yf + r * wp + x), NN_V);
    out = xp, pitch = len = oh * ow, rows = 1;
  }
  for (int64_t r = 0; r < rows; r++)
    for (int64_t x = 0; x < len; x += QV_N) {
      QV s = qv_add(qf_round(qf_load(out + r * pitch + x)), bias);
      q_store(j->e, s, m, j->y, q * j->npix + r * ow + x, len - x);
    }
}

static void qdw_part(void *arg, int t, int nt, float *scratch) {
  const QDwJob *j = (const QDwJob *)arg;
  int64_t wp, flat = mlc_rt_qdw_flat(j->p, &wp), per = flat ? j->p->c : j->chunks;
  int64_t units = j->p->n * per, u0 = units * t / nt, u1 = units * (t + 1) / nt;
  for (int64_t u = u0; u < u1; u++) {
    int64_t c0 = u % j->chunks * j->cb;
    if (flat)
      dw_flat(j, u, scratch ? scratch : j->scratch);
    else
      dw_chunk(j, u / j->chunks, c0, min64(j->cb, j->p->c - c0), scratch ? scratch : j->scratch);
  }
}

void mlc_rt_qconv_dw(const void *params, void *const *io) {
  const MlcQConvFused *p = (const MlcQConvFused *)params;
  QEpi e = q_epi(io, p->xt, p->out, p->yz, p->lo, p->hi);
  QDwJob j;
  j.p = p;
  j.x = io[MLC_QFUSED_X];
  j.w = io[MLC_QFUSED_W];
  j.e = &e;
  j.y = io[MLC_QFUSED_Y];
  j.scratch = (float *)io[MLC_QFUSED_SCRATCH];
  j.cb = mlc_rt_qdw_chunk(p, &j.inpix, &j.npix);
  j.chunks = (p->c + j.cb - 1) / j.cb;
  if (j.npix == 0 || p->c == 0) return;
  if (2 * p->n * p->c * j.npix * mlc_rt_qconv_kdim(p) < PAR_FLOPS ||
      mlc_rt_qdw_scratch(p) > MLC_RT_POOL_SCRATCH || !mlc_rt_parallel(qdw_part, &j))
    qdw_part(&j, 0, 1, NULL);
}
