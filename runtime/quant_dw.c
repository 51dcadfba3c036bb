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
  for (int64_t c = 0; c < cc; c++)
    for (int64_t i = 0; i < kvol; i++) {
      int64_t at = (c0 + c) * kvol + i;
      int32_t v = p->wt == MLC_DT_INT8 ? ((const int8_t *)j->w)[at] : ((const uint8_t *)j->w)[at];
      wf[c * kvol + i] = (float)(v - (j->e->wz ? j->e->wz[c0 + c] : 0));
    }
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

static void qdw_part(void *arg, int t, int nt, float *scratch) {
  const QDwJob *j = (const QDwJob *)arg;
  int64_t units = j->p->n * j->chunks, u0 = units * t / nt, u1 = units * (t + 1) / nt;
  for (int64_t u = u0; u < u1; u++) {
    int64_t c0 = u % j->chunks * j->cb;
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
