/* The fused int8 products: QLinearConv, QLinearMatMul, QGemm, ConvInteger
 * and MatMulInteger with constant weights, as int8 x int8 -> int32 sums
 * requantized in the store.
 *
 * The weights come packed at compile time (mlc_rt_qpack: strips of
 * MLC_RT_QSTRIP channels, k in groups of 4, shifted to int8) with one int32
 * per channel that holds every correction that follows from constants
 * (mlc_rt_qfold): what is left at run time is the product of the
 * activations, shifted to uint8 as they are packed, by the weights, which
 * is what AVX-512 VNNI's vpdpbusd computes (quant_int.h has it for every
 * instruction set). Where a weight zero point is not 0 after the shift, the
 * sums of each output's activations are taken as they are packed and
 * scaled by it in the store. Every sum is exact int32 arithmetic (wrapping
 * as the reference kernels do, quant.c); only the requantization rounds:
 * (float)sum * mult, mult = x_scale * w_scale / y_scale in float, as
 * onnxruntime computes it, rounded to the nearest even integer.
 *
 * A conv computes its output a strip of columns (output pixels) at a time:
 * the strip's columns of the implicit im2col matrix of the input are
 * packed into the scratch, k in groups of 4 per column, padding as the
 * input zero point (which the correction counts as any other input), then
 * every channel tile of the weights multiplies it, each weight broadcast
 * against vectors of columns. A matrix product, whose channels are the
 * columns of its output, packs a few rows of A instead and broadcasts their
 * groups of 4 against vectors of channels. With the thread pool, the
 * (strip, channel tile) units of a big product are split over the threads,
 * each packing the strips of its own units.
 */
#include <stdlib.h>

#include "quant_int.h"

/* the tiles: a conv tile is CMR channels by CNV vectors of columns, a
 * matrix tile GMR rows by GNS strips of channels (QSV vectors each); both
 * hold their sums in about half the vector registers */
#if MLC_RT_ISA == MLC_RT_ISA_X86_64_V4
#define CMR 8
#define GMR 4
#define GNS 4
#elif MLC_RT_ISA == MLC_RT_ISA_X86_64_V3
#define CMR 4
#define GMR 2
#define GNS 2
#elif MLC_RT_ISA == MLC_RT_ISA_AARCH64
#define CMR 8
#define GMR 4
#define GNS 1
#else
#define CMR 4
#define GMR 2
#define GNS 1
#endif
#define CNV 2
#define QCOLS (CNV * QV_N)
#define QSV (MLC_RT_QSTRIP / QV_N)
#if QCOLS > MLC_RT_QCOLS_MAX || GMR > MLC_RT_QROWS_MAX || MLC_RT_QSTRIP % CMR
#error "the fused int8 tiles must fit the scratch and divide a strip of weights"
#endif

/* ---- constants, at compile time ---------------------------------------- */

static int32_t ld8(const void *p, int64_t t, int64_t i) {
  return t == MLC_DT_INT8 ? ((const int8_t *)p)[i] : ((const uint8_t *)p)[i];
}

/* a weight as the kernels read it: int8, uint8 shifted by -128 */
static int32_t wshift(int64_t wt) { return wt == MLC_DT_UINT8 ? 128 : 0; }

void mlc_rt_qpack(const void *w, int64_t wt, int64_t groups, int64_t rows, int64_t kdim, int64_t rs,
                  int64_t cs, int8_t *dst) {
  int64_t k4 = mlc_rt_qk4(kdim), bytes = mlc_rt_qpacked_bytes(rows, kdim);
  for (int64_t g = 0; g < groups; g++, dst += bytes) {
    memset(dst, 0, (size_t)bytes);
    for (int64_t i = 0; i < rows; i++)
      for (int64_t q = 0; q < kdim; q++) {
        int64_t at = ((i / MLC_RT_QSTRIP) * (k4 / 4) + q / 4) * MLC_RT_QSTRIP * 4;
        int32_t v = ld8(w, wt, g * rows * kdim + i * rs + q * cs) - wshift(wt);
        dst[at + i % MLC_RT_QSTRIP * 4 + q % 4] = (int8_t)v;
      }
  }
}

int mlc_rt_qpairs_fit(const int8_t *w, int64_t bytes) {
  for (int64_t i = 0; i + 1 < bytes; i += 2)
    if (abs(w[i]) + abs(w[i + 1]) > 128) return 0;
  return 1;
}

/* sum (x - xz)(w - wz) over k = dot(x', w') - wz' sum x' - xz' (sum w' -
 * kdim wz'), x' and w' (and their zero points) shifted: the last term is
 * the constant folded here, or its factor -(sum w' - kdim wz') when xz' is
 * known at run time only */
int mlc_rt_qfold(const void *w, int64_t wt, int64_t m, int64_t kdim, int64_t rs, int64_t cs,
                 const void *wzp, int wz_per, int64_t xt, int64_t xz, const int32_t *bias,
                 int32_t *bias_out, int32_t *wz_out, int32_t *xw_out) {
  uint32_t xs = (uint32_t)(xz + (xt == MLC_DT_INT8 ? 128 : 0));
  int any = 0;
  for (int64_t i = 0; i < m; i++) {
    uint32_t sum = 0, wz = (uint32_t)((wzp ? ld8(wzp, wt, wz_per ? i : 0) : 0) - wshift(wt));
    for (int64_t q = 0; q < kdim; q++) sum += (uint32_t)(ld8(w, wt, i * rs + q * cs) - wshift(wt));
    bias_out[i] = (int32_t)((bias ? (uint32_t)bias[i] : 0) - xs * (sum - (uint32_t)kdim * wz));
    wz_out[i] = (int32_t)wz;
    if (xw_out) xw_out[i] = (int32_t)(0u - (sum - (uint32_t)kdim * wz));
    any |= wz != 0;
  }
  return any;
}

/* ---- conv ----------------------------------------------------------------- */

/* The implicit im2col matrix of one image and group of a conv, in 3-D:
 * row k = (c, kz, ky, kx) of kdim, column j = (oz, oy, ox) */
typedef struct QCol {
  const uint8_t *x; /* channel 0 of the group in this image */
  int64_t room;     /* bytes readable from x on */
  int64_t in[3], out[3], k[3], s[3], d[3], pad[3];
  int64_t kdim;
  uint8_t flip, xz; /* int8 x: 0x80 (x ^ flip is x + 128); x's zero point byte */
  int pointwise;    /* a 1x1 window at stride 1 unpadded: row c is plane c */
} QCol;

/* columns of a strip that share an output row, and the input coordinates
 * of the first one's window origin */
typedef struct QRun {
  int64_t t0, len, iz, iy, ix;
} QRun;

/* Row (c, kz, ky, kx) of the im2col matrix along run r into row[t0, t0 +
 * len): the input, or its zero point where the window hangs over the
 * padding. Short copies are most of the packing, and a copy of a variable
 * length costs a call: where the input has the bytes, a stride-1 run
 * copies QCOLS of them, spilling past its end into places of the row that
 * later runs write or no output reads (the row has room for it). */
/* d[t] = x[2t] for t < QCOLS: a stride-2 run (a stem conv's), 16 at a
 * time by the pools' byte gather where QCOLS holds whole 16s */
static MLC_INLINE void evens(uint8_t *d, const uint8_t *x) {
#if QCOLS % 16 == 0
  for (int t = 0; t < QCOLS; t += 16) mlc_rt__evens16_u8(d + t, x + 2 * t);
#else
  for (int t = 0; t < QCOLS; t++) d[t] = x[2 * t];
#endif
}

/* a / s for a >= 0 without a division for the common strides: packing
 * divides per im2col row, and a division costs as much as a row's copy */
static MLC_INLINE int64_t div_s(int64_t a, int64_t s) {
  return s == 1 ? a : s == 2 ? a >> 1 : a / s;
}

static void gather(uint8_t *row, const QCol *g, const QRun *r, int64_t c, int64_t kz, int64_t ky,
                   int64_t kx) {
  int64_t iz = r->iz + kz * g->d[0], iy = r->iy + ky * g->d[1], ix = r->ix + kx * g->d[2];
  int64_t s = g->s[2], n = g->in[2], len = r->len, lo, hi, t;
  uint8_t *d = row + r->t0;
  if (iz < 0 || iz >= g->in[0] || iy < 0 || iy >= g->in[1]) {
    for (t = 0; t < len; t++) d[t] = g->xz;
    return;
  }
  int64_t at = ((c * g->in[0] + iz) * g->in[1] + iy) * n + ix;
  lo = ix >= 0 ? 0 : div_s(-ix + s - 1, s);
  hi = ix >= n ? 0 : div_s(n - 1 - ix, s) + 1;
  lo = lo < len ? lo : len;
  hi = hi < lo ? lo : hi < len ? hi : len;
  for (t = 0; t < lo; t++) d[t] = g->xz;
  if (s == 1 && at + lo + QCOLS <= g->room)
    memcpy(d + lo, g->x + at + lo, QCOLS);
  else if (s == 2 && at + 2 * (lo + QCOLS) <= g->room)
    evens(d + lo, g->x + at + 2 * lo);
  else
    for (t = lo; t < hi; t++) d[t] = g->x[at + t * s];
  for (t = hi; t < len; t++) d[t] = g->xz;
}

/* d[4t + q] = rows[q][t] ^ flip for t < QCOLS: four im2col rows into one
 * group of 4 per column */
static void interleave(uint8_t *restrict d, const uint8_t *const *rows, uint8_t flip) {
#if MLC_RT_ISA == MLC_RT_ISA_X86_64_V4 || MLC_RT_ISA == MLC_RT_ISA_X86_64_V3
  const __m128i f = _mm_set1_epi8((char)flip);
  for (int t = 0; t < QCOLS; t += 16) {
    __m128i r0 = _mm_xor_si128(_mm_loadu_si128((const __m128i *)(rows[0] + t)), f);
    __m128i r1 = _mm_xor_si128(_mm_loadu_si128((const __m128i *)(rows[1] + t)), f);
    __m128i r2 = _mm_xor_si128(_mm_loadu_si128((const __m128i *)(rows[2] + t)), f);
    __m128i r3 = _mm_xor_si128(_mm_loadu_si128((const __m128i *)(rows[3] + t)), f);
    __m128i a = _mm_unpacklo_epi8(r0, r1), b = _mm_unpackhi_epi8(r0, r1);
    __m128i c = _mm_unpacklo_epi8(r2, r3), e = _mm_unpackhi_epi8(r2, r3);
    _mm_storeu_si128((__m128i *)(d + 4 * t), _mm_unpacklo_epi16(a, c));
    _mm_storeu_si128((__m128i *)(d + 4 * t + 16), _mm_unpackhi_epi16(a, c));
    _mm_storeu_si128((__m128i *)(d + 4 * t + 32), _mm_unpacklo_epi16(b, e));
    _mm_storeu_si128((__m128i *)(d + 4 * t + 48), _mm_unpackhi_epi16(b, e));
  }
#else
  for (int t = 0; t < QCOLS; t++)
    for (int q = 0; q < 4; q++) d[4 * t + q] = (uint8_t)(rows[q][t] ^ flip);
#endif
}

/* Columns [j0, j0 + w) of the im2col matrix into dst (k group g, column t
 * at (g * QCOLS + t) * 4), shifted to uint8; rows past kdim 0. Columns past
 * w hold anything (no output reads them). sums: the columns' sums, or
 * NULL. A row that is one stride-1 run inside the input is read where it
 * is: most of a 3x3's rows, and a pointwise conv's, however many output
 * rows the strip spans (its planes are its im2col rows). */
static void pack_cols(const QCol *g, int64_t j0, int64_t w, uint8_t *dst, int32_t *sums) {
  uint8_t rows[4][2 * QCOLS], zero[QCOLS];
  const uint8_t *src[4];
  QRun runs[QCOLS];
  int nrun = 0;
  int64_t ox = j0 % g->out[2], oy = j0 / g->out[2] % g->out[1], oz = j0 / g->out[2] / g->out[1];
  for (int64_t t = 0; t < w; nrun++) {
    QRun *r = &runs[nrun];
    r->t0 = t;
    r->len = min64(w - t, g->out[2] - ox);
    r->iz = oz * g->s[0] - g->pad[0];
    r->iy = oy * g->s[1] - g->pad[1];
    r->ix = ox * g->s[2] - g->pad[2];
    t += r->len;
    ox = 0;
    if (++oy == g->out[1]) {
      oy = 0;
      oz++;
    }
  }
  memset(zero, g->flip, QCOLS);
  memset(rows, g->xz, sizeof rows);
  int64_t kx = 0, ky = 0, kz = 0, c = 0, k4 = mlc_rt_qk4(g->kdim);
  for (int64_t k0 = 0; k0 < k4; k0 += 4) {
    for (int q = 0; q < 4; q++) {
      const QRun *r = &runs[0];
      int64_t iz = r->iz + kz * g->d[0], iy = r->iy + ky * g->d[1], ix = r->ix + kx * g->d[2];
      int64_t at = ((c * g->in[0] + iz) * g->in[1] + iy) * g->in[2] + ix;
      if (k0 + q >= g->kdim) {
        src[q] = zero;
        continue;
      }
      if (at + QCOLS <= g->room &&
          (g->pointwise || (nrun == 1 && g->s[2] == 1 && iz >= 0 && iz < g->in[0] && iy >= 0 &&
                            iy < g->in[1] && ix >= 0 && ix + w <= g->in[2]))) {
        src[q] = g->x + at;
      } else {
        for (int i = 0; i < nrun; i++) gather(rows[q], g, &runs[i], c, kz, ky, kx);
        src[q] = rows[q];
      }
      im2col_next_tap(g->k, &c, &kz, &ky, &kx);
    }
    interleave(dst + k0 * QCOLS, src, g->flip);
  }
  for (int t = 0; sums && t < QCOLS; t++) {
    uint32_t s = 0;
    for (int64_t q = 0; q < k4; q++) s += dst[(q / 4 * QCOLS + t) * 4 + q % 4];
    sums[t] = (int32_t)s;
  }
}

/* Channels [ch, ch + rows) by columns [0, cols) of a strip: b the packed
 * columns (kg groups of 4 deep), w the weights of channel ch in its strip,
 * sums the columns' sums; output (ch, column 0) at y[at], rows ldy apart;
 * pairs: the weights pass mlc_rt_qpairs_fit (qv_dot2 is exact) */
static MLC_INLINE void conv_tile(int64_t kg, const uint8_t *restrict b, const int8_t *restrict w,
                                 const int32_t *sums, const QEpi *e, int64_t ch, int rows,
                                 int64_t cols, void *y, int64_t at, int64_t ldy, int pairs) {
  QV acc[CMR][CNV];
  Q_UNROLL
  for (int r = 0; r < CMR; r++) Q_UNROLL
  for (int v = 0; v < CNV; v++) acc[r][v] = qv_set1(0);
  for (int64_t g = 0; g < kg; g++, b += QCOLS * 4, w += MLC_RT_QSTRIP * 4) {
    QV bv[CNV];
    Q_UNROLL
    for (int v = 0; v < CNV; v++) bv[v] = qv_load(b + v * QV_N * 4);
    Q_UNROLL
    for (int r = 0; r < CMR; r++) {
      QV wv = qv_bcast(w + r * 4);
      Q_UNROLL
      for (int v = 0; v < CNV; v++)
        acc[r][v] = pairs ? qv_dot2(acc[r][v], bv[v], wv) : qv_dot(acc[r][v], bv[v], wv);
    }
  }
  /* constant bounds, unrolled: a variable index would keep acc in memory
   * all through the loop above */
  Q_UNROLL
  for (int r = 0; r < CMR; r++) {
    if (r >= rows) break;
    QV bias = qv_set1(e->bias[ch + r]);
    QF m = qf_set1(e->mult ? e->mult[ch + r] : 1);
    Q_UNROLL
    for (int v = 0; v < CNV; v++) {
      if (v * QV_N >= cols) break;
      QV s = qv_add(acc[r][v], bias);
      if (e->wz) s = qv_sub(s, qv_mul(qv_set1(e->wz[ch + r]), qv_load(sums + v * QV_N)));
      q_store(e, s, m, y, at + r * ldy + v * QV_N, cols - v * QV_N);
    }
  }
}

/* the tile for each kind of weights, `pairs` a constant in each */
#define CONV_TILE_ARGS                                                                  \
  int64_t kg, const uint8_t *restrict b, const int8_t *restrict w, const int32_t *sums, \
      const QEpi *e, int64_t ch, int rows, int64_t cols, void *y, int64_t at, int64_t ldy
typedef void ConvTile(CONV_TILE_ARGS);
static MLC_NOINLINE void conv_tile_exact(CONV_TILE_ARGS) {
  conv_tile(kg, b, w, sums, e, ch, rows, cols, y, at, ldy, 0);
}
static MLC_NOINLINE void conv_tile_pairs(CONV_TILE_ARGS) {
  conv_tile(kg, b, w, sums, e, ch, rows, cols, y, at, ldy, 1);
}

typedef struct QConvJob {
  const MlcQConvFused *p;
  QCol g;
  const uint8_t *x;
  const int8_t *w;
  const QEpi *e;
  void *y;
  float *scratch;
  int64_t npix, inpix, strips, ctiles;
} QConvJob;

/* units [u0, u1) of (image, group, strip, channel tile), strip-major */
static void qconv_part(void *arg, int t, int nt, float *scratch) {
  const QConvJob *j = (const QConvJob *)arg;
  const MlcQConvFused *p = j->p;
  int64_t per_g = j->strips * j->ctiles, units = p->n * p->group * per_g;
  int64_t u0 = units * t / nt, u1 = units * (t + 1) / nt;
  int64_t cg = p->c / p->group, mg = p->m / p->group, kdim = j->g.kdim;
  int32_t *sums = (int32_t *)(void *)(scratch ? scratch : j->scratch);
  uint8_t *b = (uint8_t *)(sums + MLC_RT_QCOLS_MAX);
  QCol g = j->g;
  ConvTile *tile = p->pairs ? conv_tile_pairs : conv_tile_exact;
  /* the unit's (image and group, strip, channel tile), counted along
   * rather than divided out per unit: a tile of a small conv is short */
  int64_t ig = u0 / per_g, s = u0 % per_g / j->ctiles, ct = u0 % j->ctiles - 1;
  int64_t n = 0, gi = 0, j0 = 0, w = 0;
  for (int64_t u = u0; u < u1; u++) {
    if (++ct == j->ctiles) {
      ct = 0;
      if (++s == j->strips) s = 0, ig++;
    }
    if (ct == 0 || u == u0) {
      n = ig / p->group, gi = ig % p->group, j0 = s * QCOLS, w = min64(QCOLS, j->npix - j0);
      g.x = j->x + (n * p->c + gi * cg) * j->inpix;
      g.room = (p->n * p->c - n * p->c - gi * cg) * j->inpix;
      pack_cols(&g, j0, w, b, j->e->wz ? sums : NULL);
    }
    int64_t c0 = ct * CMR, ch = gi * mg + c0;
    const int8_t *wt = j->w + gi * mlc_rt_qpacked_bytes(mg, kdim) +
                       c0 / MLC_RT_QSTRIP * MLC_RT_QSTRIP * mlc_rt_qk4(kdim) +
                       c0 % MLC_RT_QSTRIP * 4;
    tile(mlc_rt_qk4(kdim) / 4, b, wt, sums, j->e, ch, (int)min64(CMR, mg - c0), w, j->y,
         (n * p->m + ch) * j->npix + j0, j->npix);
  }
}

void mlc_rt_qconv_fused(const void *params, void *const *io) {
  const MlcQConvFused *p = (const MlcQConvFused *)params;
  QEpi e = q_epi(io, p->xt, p->out, p->yz, p->lo, p->hi);
  QConvJob j;
  int off = 3 - (int)p->nsp;
  j.p = p;
  j.npix = j.inpix = 1;
  for (int d = 0; d < 3; d++) {
    int s = d - off;
    j.g.in[d] = s < 0 ? 1 : p->in_sp[s];
    j.g.out[d] = s < 0 ? 1 : p->out_sp[s];
    j.g.k[d] = s < 0 ? 1 : p->k[s];
    j.g.s[d] = s < 0 ? 1 : p->stride[s];
    j.g.d[d] = s < 0 ? 1 : p->dil[s];
    j.g.pad[d] = s < 0 ? 0 : p->pad_begin[s];
    j.npix *= j.g.out[d];
    j.inpix *= j.g.in[d];
  }
  j.g.kdim = mlc_rt_qconv_kdim(p);
  j.g.pointwise = 1;
  for (int d = 0; d < 3; d++)
    j.g.pointwise &= j.g.k[d] == 1 && j.g.s[d] == 1 && j.g.pad[d] == 0 && j.g.in[d] == j.g.out[d];
  j.g.flip = p->xt == MLC_DT_INT8 ? 0x80 : 0;
  j.g.xz = (uint8_t)p->xz;
  j.x = (const uint8_t *)io[MLC_QFUSED_X];
  j.w = (const int8_t *)io[MLC_QFUSED_W];
  j.e = &e;
  j.y = io[MLC_QFUSED_Y];
  j.scratch = (float *)io[MLC_QFUSED_SCRATCH];
  j.strips = (j.npix + QCOLS - 1) / QCOLS;
  j.ctiles = (p->m / p->group + CMR - 1) / CMR;
  if (j.npix == 0 || p->m == 0) return;
  if (2 * p->n * p->m * j.g.kdim * j.npix < PAR_FLOPS ||
      mlc_rt_qconv_scratch(p) > MLC_RT_POOL_SCRATCH || !mlc_rt_parallel(qconv_part, &j))
    qconv_part(&j, 0, 1, NULL);
}

/* ---- matrix product ---------------------------------------------------- */

/* Rows [i0, i0 + GMR) of a into dst (k4 bytes each, shifted to uint8, 0
 * past k and past the rows), their sums into sums (or none: NULL) */
static void pack_rows(const MlcQGemmFused *p, const uint8_t *a, int64_t i0, uint8_t *dst,
                      int32_t *sums) {
  int64_t k4 = mlc_rt_qk4(p->k);
  uint8_t flip = p->xt == MLC_DT_INT8 ? 0x80 : 0;
  memset(dst, 0, (size_t)(GMR * k4));
  for (int64_t r = 0; r < GMR; r++) {
    uint8_t *d = dst + r * k4;
    uint32_t s = 0;
    for (int64_t q = 0; i0 + r < p->m && q < p->k; q++) {
      d[q] = (uint8_t)(a[p->trans_a ? q * p->m + i0 + r : (i0 + r) * p->k + q] ^ flip);
      s += d[q];
    }
    if (sums) sums[r] = (int32_t)s;
  }
}

/* Rows [0, rows) by channels [c0, c0 + cols) (at most GNS strips): a the
 * packed rows, w[s] the tile's strips (repeats past the last one), sums
 * the rows' sums; output (row 0, channel 0) at y[at], rows ldy apart;
 * pairs as conv_tile's */
static MLC_INLINE void gemm_tile(int64_t k4, const uint8_t *restrict a, const int8_t *const *w,
                                 const int32_t *sums, const QEpi *e, int64_t c0, int rows,
                                 int64_t cols, void *y, int64_t at, int64_t ldy, int pairs) {
  QV acc[GMR][GNS * QSV];
  Q_UNROLL
  for (int r = 0; r < GMR; r++) Q_UNROLL
  for (int v = 0; v < GNS * QSV; v++) acc[r][v] = qv_set1(0);
  for (int64_t g = 0; g < k4 / 4; g++) {
    QV wv[GNS * QSV];
    Q_UNROLL
    for (int v = 0; v < GNS * QSV; v++)
      wv[v] = qv_load(w[v / QSV] + (g * MLC_RT_QSTRIP + v % QSV * QV_N) * 4);
    Q_UNROLL
    for (int r = 0; r < GMR; r++) {
      QV av = qv_bcast(a + r * k4 + g * 4);
      Q_UNROLL
      for (int v = 0; v < GNS * QSV; v++)
        acc[r][v] = pairs ? qv_dot2(acc[r][v], av, wv[v]) : qv_dot(acc[r][v], av, wv[v]);
    }
  }
  /* constant bounds, as conv_tile's */
  Q_UNROLL
  for (int r = 0; r < GMR; r++) {
    if (r >= rows) break;
    Q_UNROLL
    for (int v = 0; v < GNS * QSV; v++) {
      int64_t c = c0 + v * QV_N;
      if (v * QV_N >= cols) break;
      QV s = qv_add(acc[r][v], qv_load(e->bias + c));
      if (e->wz) s = qv_sub(s, qv_mul(qv_load(e->wz + c), qv_set1(sums[r])));
      if (e->xw) s = qv_add(s, qv_mul(qv_load(e->xw + c), qv_set1(e->xs)));
      q_store(e, s, e->mult ? qf_load(e->mult + c) : qf_set1(1), y, at + r * ldy + c,
              cols - v * QV_N);
    }
  }
}

#define GEMM_TILE_ARGS                                                                \
  int64_t k4, const uint8_t *restrict a, const int8_t *const *w, const int32_t *sums, \
      const QEpi *e, int64_t c0, int rows, int64_t cols, void *y, int64_t at, int64_t ldy
typedef void GemmTile(GEMM_TILE_ARGS);
static MLC_NOINLINE void gemm_tile_exact(GEMM_TILE_ARGS) {
  gemm_tile(k4, a, w, sums, e, c0, rows, cols, y, at, ldy, 0);
}
static MLC_NOINLINE void gemm_tile_pairs(GEMM_TILE_ARGS) {
  gemm_tile(k4, a, w, sums, e, c0, rows, cols, y, at, ldy, 1);
}

typedef struct QGemmJob {
  const MlcQGemmFused *p;
  const uint8_t *a;
  const int8_t *w;
  const QEpi *e;
  void *y;
  float *scratch;
  int64_t rtiles, ctiles, nstrips;
} QGemmJob;

/* units of (row tile, tile of GNS strips), row-major */
static void qgemm_part(void *arg, int t, int nt, float *scratch) {
  const QGemmJob *j = (const QGemmJob *)arg;
  const MlcQGemmFused *p = j->p;
  int64_t units = j->rtiles * j->ctiles, u0 = units * t / nt, u1 = units * (t + 1) / nt;
  int64_t k4 = mlc_rt_qk4(p->k), packed = -1, ssz = MLC_RT_QSTRIP * k4;
  int32_t *sums = (int32_t *)(void *)(scratch ? scratch : j->scratch);
  uint8_t *a = (uint8_t *)(sums + MLC_RT_QROWS_MAX);
  GemmTile *tile = p->pairs ? gemm_tile_pairs : gemm_tile_exact;
  for (int64_t u = u0; u < u1; u++) {
    int64_t rt = u / j->ctiles, s0 = u % j->ctiles * GNS, i0 = rt * GMR;
    const int8_t *w[GNS];
    if (rt != packed) {
      packed = rt;
      pack_rows(p, j->a, i0, a, j->e->wz ? sums : NULL);
    }
    for (int s = 0; s < GNS; s++) w[s] = j->w + (s0 + s < j->nstrips ? s0 + s : s0) * ssz;
    tile(k4, a, w, sums, j->e, s0 * MLC_RT_QSTRIP, (int)min64(GMR, p->m - i0),
         min64(GNS * MLC_RT_QSTRIP, p->n - s0 * MLC_RT_QSTRIP), j->y, i0 * p->n, p->n);
  }
}

void mlc_rt_qgemm_fused(const void *params, void *const *io) {
  const MlcQGemmFused *p = (const MlcQGemmFused *)params;
  QEpi e = q_epi(io, p->xt, p->out, p->yz, p->lo, p->hi);
  QGemmJob j;
  j.p = p;
  j.a = (const uint8_t *)io[MLC_QFUSED_X];
  j.w = (const int8_t *)io[MLC_QFUSED_W];
  j.e = &e;
  j.y = io[MLC_QFUSED_Y];
  j.scratch = (float *)io[MLC_QFUSED_SCRATCH];
  j.rtiles = (p->m + GMR - 1) / GMR;
  j.nstrips = (p->n + MLC_RT_QSTRIP - 1) / MLC_RT_QSTRIP;
  j.ctiles = (j.nstrips + GNS - 1) / GNS;
  if (p->m == 0 || p->n == 0) return;
  if (2 * p->m * p->n * p->k < PAR_FLOPS || mlc_rt_qgemm_scratch(p) > MLC_RT_POOL_SCRATCH ||
      !mlc_rt_parallel(qgemm_part, &j))
    qgemm_part(&j, 0, 1, NULL);
}
