/* Pooling: MaxPool, AveragePool, LpPool and the global pools (a window the
 * size of the input), 1-D to 3-D.
 *
 * Every shape is handled as 3-D, with leading spatial dims of 1. Max and
 * average pools go one output row at a time: the row starts at the
 * identity, and each window tap is combined into the run of outputs whose
 * tap lands inside the input (the run is computed, not tested tap by tap),
 * in chunks of constant length that gcc vectorizes. Averages divide by the
 * taps counted per output: those inside the input, or with
 * count_include_pad those inside the padded input [-pad_begin, in +
 * pad_end), which excludes the overhang that ceil_mode adds past the end
 * padding. MaxPool's Indices output (the flat input index of each maximum)
 * and LpPool take a plainer path, one window at a time.
 *
 * One body serves every element type; the integer kernels exist for MaxPool
 * (opset 12 allows int8 and uint8), and the lowering only sends them max.
 */
#include <math.h>

#include "nn_int.h"

#define CHUNK 16

/* Max and average pools split their planes over the threads of a job, when
 * their windows hold at least PAR_TAPS taps in all: a tap costs about a
 * tenth of a nanosecond, so an eighth of PAR_FLOPS (nn_int.h) is already
 * several wake-ups' worth */
#define PAR_TAPS (PAR_FLOPS / 8)
typedef struct PoolJob {
  const MlcPool *p;
  const MlcWindowGeo *g;
  const void *x;
  void *y;
} PoolJob;

#define OP_MAX(a, b) ((b) > (a) ? (b) : (a))
#define OP_ADD(a, b) ((a) + (b))

/* y[o] = OP(y[o], x[off + o*sx]) for o in [lo, hi) */
#define POOL_TAP(name, T, OP)                                                               \
  static void name(T *restrict y, const T *restrict x, int64_t off, int64_t lo, int64_t hi, \
                   int64_t sx) {                                                            \
    int64_t o = lo;                                                                         \
    if (sx == 1)                                                                            \
      for (; o + CHUNK <= hi; o += CHUNK)                                                   \
        for (int t = 0; t < CHUNK; t++) y[o + t] = OP(y[o + t], x[off + o + t]);            \
    else if (sx == 2)                                                                       \
      for (; o + CHUNK <= hi; o += CHUNK)                                                   \
        for (int t = 0; t < CHUNK; t++) y[o + t] = OP(y[o + t], x[off + 2 * (o + t)]);      \
    for (; o < hi; o++) y[o] = OP(y[o], x[off + o * sx]);                                   \
  }

/* MaxPool's common windows (stride 1 or 2 along x, undilated, at most
 * MAX_KX wide) go the other way round: the window's rows are first reduced
 * into one row (a vector max over whole rows), whose taps along x then
 * make the outputs, SEG at a time, in chunks of constant length. The rows
 * of a small image are too short for the tap-by-tap runs above to reach a
 * whole chunk, and a stride-2 run does not vectorize at all. */
/* v[t] = c[2 t] for a chunk of CHUNK (16), by hand (nn_int.h) */
#define EVENS_f32(v, c) mlc_rt__evens16(v, c)
#define EVENS_u8(v, c) mlc_rt__evens16_u8(v, c)
#define EVENS_i8(v, c) mlc_rt__evens16_u8((uint8_t *)(v), (const uint8_t *)(c))
#define SEG 128
#define MAX_KX 8
#define MAX_ROWS 64 /* window rows reduced at once (z by y) */
#define SEG_IN ((SEG - 1) * 2 + MAX_KX)
#define POOL_MAX_ROW(sfx, T, LOWEST)                                                              \
  static int max_row_fits_##sfx(const MlcWindowGeo *g) {                                          \
    return (g->s[2] == 1 || g->s[2] == 2) && g->d[2] == 1 && g->k[2] <= MAX_KX;                   \
  }                                                                                               \
  /* yr[0, ow) from the input rows rows[0, nrows) (each iw long). A last                        \
   * part chunk is computed again as a whole chunk ending at the run's end                      \
   * (maxima are idempotent), so that every loop has a constant length. */ \
  static void max_row_##sfx(T *restrict yr, const T *const *rows, int64_t nrows,                  \
                            const MlcWindowGeo *g) {                                              \
    const int64_t ow = g->out[2], iw = g->in[2], sx = g->s[2], kx = g->k[2];                      \
    T col[SEG_IN + 2 * CHUNK];                                                                    \
    for (int64_t o0 = 0; o0 < ow; o0 += SEG) {                                                    \
      int64_t n = ow - o0 < SEG ? ow - o0 : SEG, x0 = o0 * sx - g->pb[2];                         \
      int64_t len = (n - 1) * sx + kx, last = n > CHUNK ? n - CHUNK : 0;                          \
      /* col[i]: the maximum over the rows of input column x0 + i, for i in                     \
       * [0, len); the inside ones are [lead, end); the columns up to `need`,                   \
       * which the last chunk of outputs reads, LOWEST */ \
      int64_t lead = x0 < 0 ? min64(-x0, len) : 0, end = min64(len, iw - x0), i = 0;              \
      int64_t need = last * sx + kx - 1 + CHUNK * sx;                                             \
      if (end < lead) end = lead;                                                                 \
      for (; i < lead; i++) col[i] = LOWEST;                                                      \
      for (; i + CHUNK <= end; i += CHUNK) col_chunk_##sfx(col + i, rows, nrows, x0 + i);         \
      if (i < end && end - lead >= CHUNK)                                                         \
        col_chunk_##sfx(col + end - CHUNK, rows, nrows, x0 + end - CHUNK);                        \
      for (; i < end && end - lead < CHUNK; i++) {                                                \
        col[i] = OP_MAX(LOWEST, rows[0][x0 + i]);                                                 \
        for (int64_t r = 1; r < nrows; r++) col[i] = OP_MAX(col[i], rows[r][x0 + i]);             \
      }                                                                                           \
      for (i = end; i < need; i += CHUNK)                                                         \
        for (int t = 0; t < CHUNK; t++) col[i + t] = LOWEST;                                      \
      int64_t o = 0;                                                                              \
      for (; o + CHUNK <= n; o += CHUNK)                                                          \
        out_chunk_##sfx(yr + o0 + o, col + o * sx, sx, kx, CHUNK);                                \
      if (o < n) /* the last part chunk: whole where the run has one */                           \
        out_chunk_##sfx(yr + o0 + last, col + last * sx, sx, kx, min64(n, CHUNK));                \
    }                                                                                             \
  }

/* Max or average pools, one output row at a time (see the top). */
#define POOL_ROWS(sfx, T, LOWEST)                                                               \
  POOL_TAP(tap_max_##sfx, T, OP_MAX)                                                            \
  POOL_TAP(tap_add_##sfx, T, OP_ADD)                                                            \
  POOL_MAX_ROW(sfx, T, LOWEST)                                                                  \
  static void pool_rows_##sfx(const MlcPool *p, const MlcWindowGeo *g, const T *x, T *y,        \
                              int64_t pl0, int64_t pl1) {                                       \
    const int avg = p->kind == MLC_POOL_AVG;                                                    \
    const int by_rows = !avg && max_row_fits_##sfx(g);                                          \
    const int64_t ow = g->out[2], iw = g->in[2];                                                \
    const int64_t inpix = g->in[0] * g->in[1] * iw;                                             \
    for (int64_t pl = pl0; pl < pl1; pl++)                                                      \
      for (int64_t oz = 0; oz < g->out[0]; oz++)                                                \
        for (int64_t oy = 0; oy < g->out[1]; oy++) {                                            \
          T *yr = y + ((pl * g->out[0] + oz) * g->out[1] + oy) * ow;                            \
          int64_t sz = oz * g->s[0] - g->pb[0], sy = oy * g->s[1] - g->pb[1];                   \
          int64_t zl, zh, yl, yh;                                                               \
          mlc_rt_steps_in(sz, g->k[0], g->d[0], 0, g->in[0], &zl, &zh);                         \
          mlc_rt_steps_in(sy, g->k[1], g->d[1], 0, g->in[1], &yl, &yh);                         \
          if (by_rows && (zh - zl) * (yh - yl) > 0 && (zh - zl) * (yh - yl) <= MAX_ROWS) {      \
            const T *rows[MAX_ROWS];                                                            \
            int64_t nr = 0;                                                                     \
            for (int64_t tz = zl; tz < zh; tz++)                                                \
              for (int64_t ty = yl; ty < yh; ty++)                                              \
                rows[nr++] =                                                                    \
                    x + pl * inpix + ((sz + tz * g->d[0]) * g->in[1] + sy + ty * g->d[1]) * iw; \
            max_row_##sfx(yr, rows, nr, g);                                                     \
            continue;                                                                           \
          }                                                                                     \
          for (int64_t o = 0; o < ow; o++) yr[o] = avg ? (T)0 : LOWEST;                         \
          for (int64_t tz = zl; tz < zh; tz++)                                                  \
            for (int64_t ty = yl; ty < yh; ty++) {                                              \
              const T *row =                                                                    \
                  x + pl * inpix + ((sz + tz * g->d[0]) * g->in[1] + sy + ty * g->d[1]) * iw;   \
              for (int64_t tx = 0; tx < g->k[2]; tx++) {                                        \
                int64_t off = tx * g->d[2] - g->pb[2], lo, hi;                                  \
                mlc_rt_steps_in(off, ow, g->s[2], 0, iw, &lo, &hi);                             \
                if (avg)                                                                        \
                  tap_add_##sfx(yr, row, off, lo, hi, g->s[2]);                                 \
                else                                                                            \
                  tap_max_##sfx(yr, row, off, lo, hi, g->s[2]);                                 \
              }                                                                                 \
            }                                                                                   \
          if (!avg) continue;                                                                   \
          int64_t nzy = mlc_rt_pool_avg_taps(p, g, 0, oz) * mlc_rt_pool_avg_taps(p, g, 1, oy);  \
          for (int64_t o = 0; o < ow; o++) {                                                    \
            int64_t n = nzy * mlc_rt_pool_avg_taps(p, g, 2, o);                                 \
            yr[o] = n ? (T)(yr[o] / n) : (T)0;                                                  \
          }                                                                                     \
        }                                                                                       \
  }

/* Runs STMT for each tap of the current window inside the input, with
 * iz, iy, ix its input coordinates and v its value. */
#define POOL_TAPS(T, STMT)                                        \
  for (int64_t tz = lo[0]; tz < hi[0]; tz++)                      \
    for (int64_t ty = lo[1]; ty < hi[1]; ty++) {                  \
      int64_t iz = st[0] + tz * g.d[0], iy = st[1] + ty * g.d[1]; \
      const T *row = xp + (iz * g.in[1] + iy) * g.in[2];          \
      for (int64_t tx = lo[2]; tx < hi[2]; tx++) {                \
        int64_t ix = st[2] + tx * g.d[2];                         \
        T v = row[ix];                                            \
        STMT;                                                     \
      }                                                           \
    }

/* one window at a time: MaxPool with Indices, LpPool */
#define POOL_KERNEL(sfx, T, LOWEST)                                                             \
  POOL_ROWS(sfx, T, LOWEST)                                                                     \
  static void pool_part_##sfx(void *arg, int t, int nt, float *scratch) {                       \
    const PoolJob *j = (const PoolJob *)arg;                                                    \
    int64_t planes = j->p->n * j->p->c, pl0 = planes * t / nt, pl1 = planes * (t + 1) / nt;     \
    (void)scratch;                                                                              \
    if (!MAX_S2_##sfx(j->p, j->g, (const T *)j->x, (T *)j->y, pl0, pl1))                        \
      pool_rows_##sfx(j->p, j->g, (const T *)j->x, (T *)j->y, pl0, pl1);                        \
  }                                                                                             \
  void mlc_rt_pool_##sfx(const void *params, void *const *io) {                                 \
    const MlcPool *p = (const MlcPool *)params;                                                 \
    const T *x = (const T *)io[MLC_POOL_X];                                                     \
    T *y = (T *)io[MLC_POOL_Y];                                                                 \
    int64_t *ind = (int64_t *)io[MLC_POOL_INDICES];                                             \
    MlcWindowGeo g;                                                                             \
    mlc_rt_pool_geo(p, &g);                                                                     \
    if (p->kind == MLC_POOL_AVG || (p->kind == MLC_POOL_MAX && !ind)) {                         \
      PoolJob job = {p, &g, x, y};                                                              \
      if (p->n * p->c * g.out[0] * g.out[1] * g.out[2] * g.k[0] * g.k[1] * g.k[2] < PAR_TAPS || \
          !mlc_rt_parallel(pool_part_##sfx, &job))                                              \
        pool_part_##sfx(&job, 0, 1, NULL);                                                      \
      return;                                                                                   \
    }                                                                                           \
    const int64_t inpix = g.in[0] * g.in[1] * g.in[2];                                          \
    const int col_major = p->storage_order == 1;                                                \
    int64_t oi = 0;                                                                             \
    for (int64_t pl = 0; pl < p->n * p->c; pl++) {                                              \
      const T *xp = x + pl * inpix;                                                             \
      int64_t o[3], st[3], lo[3], hi[3];                                                        \
      for (o[0] = 0; o[0] < g.out[0]; o[0]++)                                                   \
        for (o[1] = 0; o[1] < g.out[1]; o[1]++)                                                 \
          for (o[2] = 0; o[2] < g.out[2]; o[2]++, oi++) {                                       \
            for (int d = 0; d < 3; d++) {                                                       \
              st[d] = o[d] * g.s[d] - g.pb[d];                                                  \
              mlc_rt_steps_in(st[d], g.k[d], g.d[d], 0, g.in[d], &lo[d], &hi[d]);               \
            }                                                                                   \
            if (p->kind == MLC_POOL_MAX) {                                                      \
              T best = LOWEST;                                                                  \
              int64_t at = -1;                                                                  \
              POOL_TAPS(                                                                        \
                  T, if (v > best || at < 0) {                                                  \
                    best = v;                                                                   \
                    at = mlc_rt_pool_index(&g, col_major, iz, iy, ix);                          \
                  })                                                                            \
              y[oi] = best;                                                                     \
              ind[oi] = pl * inpix + (at < 0 ? 0 : at);                                         \
            } else {                                                                            \
              double acc = 0;                                                                   \
              POOL_TAPS(T, acc += pow(fabs((double)v), p->p))                                   \
              y[oi] = (T)pow(acc, 1 / p->p);                                                    \
            }                                                                                   \
          }                                                                                     \
    }                                                                                           \
  }

/* The two steps of max_row on a chunk of CHUNK: c[t] = the maximum over
 * the rows of column at + t (each value combined into LOWEST, as the taps
 * above are: a NaN input is passed over the same way), and d[t] = the
 * maximum of output t's kx column maxima, from c[t * sx] on. By vectors
 * for floats; written plainly for the byte types, which gcc vectorizes. */
static MLC_INLINE void col_chunk_f32(float *restrict c, const float *const *rows, int64_t nrows,
                                     int64_t at) {
  for (int q = 0; q < CHUNK; q += NN_V) {
    Vec m = v_max(v_load(rows[0] + at + q), v_set1(-INFINITY));
    for (int64_t r = 1; r < nrows; r++) m = v_max(v_load(rows[r] + at + q), m);
    v_store(c + q, m, NN_V);
  }
}
static MLC_INLINE Vec out_tap_f32(const float *c, int64_t sx) {
  return sx == 1 ? v_load(c) : v_even(v_load(c), v_load(c + NN_V));
}
static MLC_INLINE void out_chunk_f32(float *restrict d, const float *restrict c, int64_t sx,
                                     int64_t kx, int64_t n) {
  for (int q = 0; q < CHUNK && q < n; q += NN_V) {
    Vec acc = out_tap_f32(c + q * sx, sx);
    for (int64_t tx = 1; tx < kx; tx++) acc = v_max(out_tap_f32(c + q * sx + tx, sx), acc);
    v_store(d + q, acc, n - q);
  }
}
#define POOL_CHUNKS(sfx, T, LOWEST)                                                          \
  static MLC_INLINE void col_chunk_##sfx(T *restrict c, const T *const *rows, int64_t nrows, \
                                         int64_t at) {                                       \
    for (int t = 0; t < CHUNK; t++) c[t] = OP_MAX(LOWEST, rows[0][at + t]);                  \
    for (int64_t r = 1; r < nrows; r++)                                                      \
      for (int t = 0; t < CHUNK; t++) c[t] = OP_MAX(c[t], rows[r][at + t]);                  \
  }                                                                                          \
  static MLC_INLINE void out_chunk_##sfx(T *restrict d, const T *restrict c, int64_t sx,     \
                                         int64_t kx, int64_t n) {                            \
    T acc[CHUNK], v[CHUNK];                                                                  \
    for (int64_t tx = 0; tx < kx; tx++) {                                                    \
      if (sx == 1)                                                                           \
        for (int t = 0; t < CHUNK; t++) v[t] = c[tx + t];                                    \
      else                                                                                   \
        EVENS_##sfx(v, c + tx);                                                              \
      for (int t = 0; t < CHUNK; t++) acc[t] = tx ? OP_MAX(acc[t], v[t]) : v[t];             \
    }                                                                                        \
    if (n == CHUNK)                                                                          \
      for (int t = 0; t < CHUNK; t++) d[t] = acc[t];                                         \
    else                                                                                     \
      for (int64_t t = 0; t < n; t++) d[t] = acc[t];                                         \
  }
POOL_CHUNKS(u8, uint8_t, 0)
POOL_CHUNKS(i8, int8_t, -128)

/* A 2-D MaxPool at stride 2 across, undilated along a row, on AVX-512:
 * each output vector of 16 straight from the input rows of its windows,
 * with no row of column maxima in between. The 48 floats from column
 * 2 ox - pl of each row (loaded masked, the places outside the row
 * reading as -inf) are combined over the rows, then split into the taps
 * of the 16 outputs by permutes (v_s2_taps), as the stride-2 depthwise
 * conv does. Rows and taps are combined in the same order as max_row's,
 * so NaNs are passed over alike. A row of max_row costs some hundred
 * cycles of set-up besides its work, more than the work on images of 55
 * or 111 columns: SqueezeNet's three pools took 4.5x onnxruntime's
 * time. Returns 0 where it does not apply. */
#if MLC_RT_ISA == MLC_RT_ISA_X86_64_V4
#define S2_K 7     /* the widest window */
#define S2_VECS 64 /* output vectors of a row, at most */
static int max_s2_f32(const MlcPool *p, const MlcWindowGeo *g, const float *x, float *y,
                      int64_t pl0, int64_t pl1) {
  const int64_t iw = g->in[2], ih = g->in[1], ow = g->out[2], oh = g->out[1];
  const int64_t kx = g->k[2], px = g->pb[2], nv = (ow + NN_V - 1) / NN_V;
  /* one plane deep, as a 2-D pool's geometry has it */
  const int flat = g->in[0] == 1 && g->k[0] == 1 && g->pb[0] == 0 && g->out[0] == 1;
  if (p->kind != MLC_POOL_MAX || !flat || g->s[2] != 2 || g->d[2] != 1 || kx > S2_K || nv > S2_VECS)
    return 0;
  /* the lanes of each output vector's three loads inside the row */
  __mmask16 cols[S2_VECS][3];
  for (int64_t v = 0; v < nv; v++)
    for (int i = 0; i < 3; i++) cols[v][i] = v_inside(2 * v * NN_V - px + i * NN_V, iw);
  int32_t it[S2_K][NN_V];
  v_s2_taps(it, S2_K);
  __m512i idx[S2_K];
  for (int k = 0; k < S2_K; k++) idx[k] = _mm512_loadu_si512(it[k]);
  const Vec lowest = v_set1(-INFINITY);
  for (int64_t pl = pl0; pl < pl1; pl++)
    for (int64_t oy = 0; oy < oh; oy++) {
      const int64_t sy = oy * g->s[1] - g->pb[1];
      int64_t yl, yh;
      mlc_rt_steps_in(sy, g->k[1], g->d[1], 0, ih, &yl, &yh);
      float *yr = y + (pl * oh + oy) * ow;
      for (int64_t v = 0, ox = 0; v < nv; v++, ox += NN_V) {
        Vec la = lowest, lb = lowest, lc = lowest;
        for (int64_t ty = yl; ty < yh; ty++) {
          const float *row = x + (pl * ih + sy + ty * g->d[1]) * iw + 2 * ox - px;
          la = v_max(_mm512_mask_loadu_ps(lowest, cols[v][0], row), la);
          lb = v_max(_mm512_mask_loadu_ps(lowest, cols[v][1], row + NN_V), lb);
          if (kx > 2) lc = v_max(_mm512_mask_loadu_ps(lowest, cols[v][2], row + 2 * NN_V), lc);
        }
        Vec tap[S2_K];
        v_s2_split(la, lb, lc, idx, kx, tap);
        Vec acc = tap[0];
        NN_UNROLL
        for (int64_t k = 1; k < S2_K; k++)
          if (k < kx) acc = v_max(tap[k], acc);
        v_store(yr + ox, acc, ow - ox);
      }
    }
  return 1;
}
#define MAX_S2_f32 max_s2_f32
#else
#define MAX_S2_f32(p, g, x, y, pl0, pl1) 0
#endif
#define MAX_S2_u8(p, g, x, y, pl0, pl1) 0
#define MAX_S2_i8(p, g, x, y, pl0, pl1) 0

POOL_KERNEL(f32, float, -INFINITY)
POOL_KERNEL(u8, uint8_t, 0)
POOL_KERNEL(i8, int8_t, -128)
