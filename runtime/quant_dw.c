/* The fused int8 depthwise conv (one input and one output channel per
 * group: MobileNet's, a keyword spotter's).
 *
 * A plane of a depthwise conv is small and its window short, so vectors
 * along a plane's rows are mostly tails (a 25 x 5 plane has rows of 5).
 * The channels are the long dimension: a block of MLC_RT_QDW_CB channels
 * is copied into a tile of int32 x - xz laid out [row][column][channel],
 * zero outside the input (the zero point's own value, which is what
 * padding means), and each tap of the window is then one multiply-add of
 * a tile row of MLC_RT_QDW_CB channels by the tap's weights w - wz:
 * fixed-length loops that compilers vectorize at -O2 for every target.
 * Products are at most 255 * 255, so the int32 sums are exact.
 *
 * Output rows go in bands whose tile and sums stay within MLC_RT_QDW_INTS
 * (64 KB, in a core's cache; a small plane takes less); a 3-D
 * conv adds each input slice's taps to the same sums. Each output pixel's
 * sums then get their channel's bias and multiplier and go through the
 * store of the fused products, whose results are scattered to the
 * channels' planes. With the thread pool, blocks of channels are split
 * over the threads, each in its own scratch. */
#include "quant_int.h"

#define CB MLC_RT_QDW_CB

typedef struct QDwJob {
  const MlcQConvFused *p;
  const void *x, *w;
  const QEpi *e;
  void *y;
  int32_t *scratch;
  int64_t blocks;
} QDwJob;

/* the conv's geometry as 3-D */
typedef struct DwGeo {
  int64_t in[3], out[3], k[3], s[3], d[3], pb[3];
} DwGeo;

static void dw_geo(const MlcQConvFused *p, DwGeo *g) {
  for (int d = 0; d < 3; d++) {
    g->in[d] = mlc_rt_qdw_dim(p, p->in_sp, d, 1);
    g->out[d] = mlc_rt_qdw_dim(p, p->out_sp, d, 1);
    g->k[d] = mlc_rt_qdw_dim(p, p->k, d, 1);
    g->s[d] = mlc_rt_qdw_dim(p, p->stride, d, 1);
    g->d[d] = mlc_rt_qdw_dim(p, p->dil, d, 1);
    g->pb[d] = mlc_rt_qdw_dim(p, p->pad_begin, d, 0);
  }
}

/* tile row t (cols wide, [column][channel]) from an input row of cb
 * channels at x, a plane apart (NULL: the row lies outside the input),
 * its columns from input column x0 */
#define DW_TILE_ROW(T)                                                                          \
  static void tile_row_##T(int32_t *restrict t, const T *restrict x, int64_t plane, int64_t cb, \
                           int64_t x0, int64_t cols, int64_t iw, int32_t xz) {                  \
    int64_t lo = x ? min64(x0 < 0 ? -x0 : 0, cols) : cols;                                      \
    int64_t hi = x ? min64(iw - x0, cols) : cols;                                               \
    if (hi < lo) hi = lo;                                                                       \
    memset(t, 0, (size_t)(lo * CB) * sizeof *t);                                                \
    memset(t + hi * CB, 0, (size_t)((cols - hi) * CB) * sizeof *t);                             \
    for (int64_t c = 0; c < CB; c++) {                                                          \
      const T *row = c < cb ? x + c * plane + x0 : NULL;                                        \
      if (row)                                                                                  \
        for (int64_t i = lo; i < hi; i++) t[i * CB + c] = (int32_t)row[i] - xz;                 \
      else                                                                                      \
        for (int64_t i = lo; i < hi; i++) t[i * CB + c] = 0;                                    \
    }                                                                                           \
  }
DW_TILE_ROW(int8_t)
DW_TILE_ROW(uint8_t)

/* n values of one channel, CB apart in out, to the run y (words: int32 or
 * float, moved as their bits) */
static void band_bytes(uint8_t *restrict y, const uint8_t *restrict out, int64_t n) {
  for (int64_t i = 0; i < n; i++) y[i] = out[i * CB];
}
static void band_words(int32_t *restrict y, const int32_t *restrict out, int64_t n) {
  for (int64_t i = 0; i < n; i++) y[i] = out[i * CB];
}

/* channels [c0, c0 + cb) of image n */
static void dw_block(const QDwJob *j, int64_t n, int64_t c0, int64_t cb, int32_t *scratch) {
  const MlcQConvFused *p = j->p;
  const QEpi *e = j->e;
  DwGeo g;
  dw_geo(p, &g);
  const int64_t kvol = g.k[0] * g.k[1] * g.k[2], cols = mlc_rt_qdw_cols(p);
  const int64_t rows = mlc_rt_qdw_rows(p), ow = g.out[2];
  const int64_t inpix = g.in[0] * g.in[1] * g.in[2], npix = g.out[0] * g.out[1] * ow;
  const int es = e->out == MLC_QOUT_I32 || e->out == MLC_QOUT_F32 ? 4 : 1;
  int32_t *wb = scratch, *tile = wb + kvol * CB;
  int32_t *acc = tile + mlc_rt_qdw_tile_rows(p, rows) * cols * CB, *out = acc + rows * ow * CB;
  int32_t bias[CB], xz = (int32_t)p->xz;
  float mult[CB];
  for (int64_t c = 0; c < CB; c++) {
    int64_t ch = c0 + c, wz = c < cb && e->wz ? e->wz[ch] : 0;
    for (int64_t t = 0; t < kvol; t++) {
      int64_t at = ch * kvol + t;
      int32_t w = p->wt == MLC_DT_INT8 ? ((const int8_t *)j->w)[at] : ((const uint8_t *)j->w)[at];
      wb[t * CB + c] = c < cb ? w - (int32_t)wz : 0;
    }
    bias[c] = c < cb && e->bias ? e->bias[ch] : 0;
    mult[c] = c < cb && e->mult ? e->mult[ch] : 1;
  }
  for (int64_t oz = 0; oz < g.out[0]; oz++)
    for (int64_t oy0 = 0; oy0 < g.out[1]; oy0 += rows) {
      const int64_t rb = min64(rows, g.out[1] - oy0), rin = mlc_rt_qdw_tile_rows(p, rb);
      const int64_t iy0 = oy0 * g.s[1] - g.pb[1];
      int first = 1; /* no slice has added to the sums yet */
      for (int64_t kz = 0; kz < g.k[0]; kz++) {
        int64_t iz = oz * g.s[0] - g.pb[0] + kz * g.d[0];
        if (iz < 0 || iz >= g.in[0]) continue;
        for (int64_t r = 0; r < rin; r++) {
          int64_t iy = iy0 + r, at = (n * p->c + c0) * inpix + (iz * g.in[1] + iy) * g.in[2];
          int inside = iy >= 0 && iy < g.in[1];
          int32_t *t = tile + r * cols * CB;
          if (p->xt == MLC_DT_INT8)
            tile_row_int8_t(t, inside ? (const int8_t *)j->x + at : NULL, inpix, cb, -g.pb[2], cols,
                            g.in[2], xz);
          else
            tile_row_uint8_t(t, inside ? (const uint8_t *)j->x + at : NULL, inpix, cb, -g.pb[2],
                             cols, g.in[2], xz);
        }
        const int32_t *wk = wb + kz * g.k[1] * g.k[2] * CB;
        for (int64_t r = 0; r < rb; r++)
          for (int64_t ox = 0; ox < ow; ox++) {
            /* the pixel's sums stay in registers over the window */
            int32_t *a = acc + (r * ow + ox) * CB;
            QV v[CB / QV_N];
            for (int c = 0; c < CB / QV_N; c++) v[c] = first ? qv_set1(0) : qv_load(a + c * QV_N);
            for (int64_t ty = 0; ty < g.k[1]; ty++)
              for (int64_t tx = 0; tx < g.k[2]; tx++) {
                const int32_t *xr =
                    tile + ((r * g.s[1] + ty * g.d[1]) * cols + ox * g.s[2] + tx * g.d[2]) * CB;
                const int32_t *w = wk + (ty * g.k[2] + tx) * CB;
                for (int c = 0; c < CB / QV_N; c++)
                  v[c] = qv_add(v[c], qv_mul(qv_load(xr + c * QV_N), qv_load(w + c * QV_N)));
              }
            for (int c = 0; c < CB / QV_N; c++) qv_store(a + c * QV_N, v[c], QV_N);
          }
        first = 0;
      }
      if (first) memset(acc, 0, (size_t)(rb * ow * CB) * sizeof *acc);
      /* each pixel's sums through the store, into out[pixel][channel], then
       * each channel's run of pixels to its plane */
      for (int64_t i = 0; i < rb * ow; i++)
        for (int c = 0; c < CB; c += QV_N) {
          QV s = qv_add(qv_load(acc + i * CB + c), qv_load(bias + c));
          q_store(e, s, qf_load(mult + c), out, i * CB + c, QV_N);
        }
      int64_t pix0 = (oz * g.out[1] + oy0) * ow;
      if (es == 1)
        for (int64_t c = 0; c < cb; c++)
          band_bytes((uint8_t *)j->y + (n * p->c + c0 + c) * npix + pix0, (const uint8_t *)out + c,
                     rb * ow);
      else
        for (int64_t c = 0; c < cb; c++)
          band_words((int32_t *)j->y + (n * p->c + c0 + c) * npix + pix0, out + c, rb * ow);
    }
}

static void qdw_part(void *arg, int t, int nt, float *scratch) {
  const QDwJob *j = (const QDwJob *)arg;
  int64_t units = j->p->n * j->blocks, u0 = units * t / nt, u1 = units * (t + 1) / nt;
  for (int64_t u = u0; u < u1; u++) {
    int64_t c0 = u % j->blocks * CB;
    dw_block(j, u / j->blocks, c0, min64(CB, j->p->c - c0),
             scratch ? (int32_t *)(void *)scratch : j->scratch);
  }
}

void mlc_rt_qconv_dw(const void *params, void *const *io) {
  const MlcQConvFused *p = (const MlcQConvFused *)params;
  QEpi e = q_epi(io, p->out, p->yz, p->lo, p->hi);
  QDwJob j;
  int64_t npix = 1;
  for (int i = 0; i < p->nsp; i++) npix *= p->out_sp[i];
  j.p = p;
  j.x = io[MLC_QFUSED_X];
  j.w = io[MLC_QFUSED_W];
  j.e = &e;
  j.y = io[MLC_QFUSED_Y];
  j.scratch = (int32_t *)io[MLC_QFUSED_SCRATCH];
  j.blocks = (p->c + CB - 1) / CB;
  if (npix == 0 || p->c == 0) return;
  if (2 * p->n * p->c * npix * mlc_rt_qconv_kdim(p) < PAR_FLOPS ||
      mlc_rt_qdw_scratch(p) > MLC_RT_POOL_SCRATCH || !mlc_rt_parallel(qdw_part, &j))
    qdw_part(&j, 0, 1, NULL);
}
