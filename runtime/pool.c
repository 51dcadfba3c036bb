/* Pooling: MaxPool, AveragePool, LpPool and the global pools (a window the
 * size of the input), 1-D to 3-D.
 *
 * Every shape is handled as 3-D, with leading spatial dims of 1. For each
 * output the window's taps are clipped per dim to those that land inside the
 * input (computed, not tested tap by tap), so the inner loop reads the input
 * without bounds checks. Averages with count_include_pad divide by the taps
 * inside the padded input [-pad_begin, in + pad_end), which excludes the
 * overhang that ceil_mode adds past the end padding. Max pooling can also
 * write the flat input index of each maximum (MaxPool's Indices output).
 *
 * One body serves every element type; the integer kernels exist for MaxPool
 * (opset 12 allows int8 and uint8), and the lowering only sends them max.
 */
#include <math.h>

#include "mlc_rt.h"

/* pool geometry in 3-D */
typedef struct PoolGeo {
  int64_t in[3], out[3], k[3], s[3], d[3], pb[3], pe[3];
} PoolGeo;

static void pool_geo(const MlcPool *p, PoolGeo *g) {
  int off = 3 - (int)p->nsp;
  for (int d = 0; d < 3; d++) {
    int s = d - off;
    g->in[d] = s < 0 ? 1 : p->in_sp[s];
    g->out[d] = s < 0 ? 1 : p->out_sp[s];
    g->k[d] = s < 0 ? 1 : p->k[s];
    g->s[d] = s < 0 ? 1 : p->stride[s];
    g->d[d] = s < 0 ? 1 : p->dil[s];
    g->pb[d] = s < 0 ? 0 : p->pad_begin[s];
    g->pe[d] = s < 0 ? 0 : p->pad_end[s];
  }
}

/* the taps [*lo, *hi) of a window starting at `start` (dilation dil, k taps)
 * that land in [from, to) */
static void taps(int64_t start, int64_t k, int64_t dil, int64_t from, int64_t to,
                 int64_t *lo, int64_t *hi) {
  int64_t l = start >= from ? 0 : (from - start + dil - 1) / dil;
  int64_t h = start >= to ? 0 : (to - 1 - start) / dil + 1;
  if (h > k) h = k;
  if (l > h) l = h;
  *lo = l;
  *hi = h;
}

/* flat index of input (z, y, x) within a plane, row- or column-major */
static int64_t pool_index(const PoolGeo *g, int col_major, int64_t z, int64_t y,
                          int64_t x) {
  if (col_major) return (x * g->in[1] + y) * g->in[0] + z;
  return (z * g->in[1] + y) * g->in[2] + x;
}

#define POOL_KERNEL(sfx, T, LOWEST)                                           \
  void mlc_rt_pool_##sfx(const void *params, void *const *io) {             \
    const MlcPool *p = (const MlcPool *)params;                             \
    const T *x = (const T *)io[0];                                          \
    T *y = (T *)io[1];                                                      \
    int64_t *ind = (int64_t *)io[2];                                        \
    PoolGeo g;                                                              \
    pool_geo(p, &g);                                                        \
    int64_t inpix = g.in[0] * g.in[1] * g.in[2];                            \
    for (int64_t pl = 0; pl < p->n * p->c; pl++) {                          \
      const T *xp = x + pl * inpix;                                         \
      for (int64_t oz = 0; oz < g.out[0]; oz++)                             \
        for (int64_t oy = 0; oy < g.out[1]; oy++)                           \
          for (int64_t ox = 0; ox < g.out[2]; ox++) {                       \
            int64_t o[3] = {oz, oy, ox}, st[3], lo[3], hi[3], n = 1;        \
            for (int d = 0; d < 3; d++) {                                   \
              int64_t l, h;                                                 \
              st[d] = o[d] * g.s[d] - g.pb[d];                              \
              taps(st[d], g.k[d], g.d[d], 0, g.in[d], &lo[d], &hi[d]);      \
              if (p->count_include_pad)                                     \
                taps(st[d], g.k[d], g.d[d], -g.pb[d], g.in[d] + g.pe[d], &l, \
                     &h);                                                   \
              else                                                          \
                l = lo[d], h = hi[d];                                       \
              n *= h - l;                                                   \
            }                                                               \
            T best = LOWEST;                                                \
            int64_t at = 0;                                                 \
            double acc = 0;                                                 \
            for (int64_t tz = lo[0]; tz < hi[0]; tz++)                      \
              for (int64_t ty = lo[1]; ty < hi[1]; ty++) {                  \
                int64_t iz = st[0] + tz * g.d[0], iy = st[1] + ty * g.d[1]; \
                const T *row = xp + (iz * g.in[1] + iy) * g.in[2];          \
                for (int64_t tx = lo[2]; tx < hi[2]; tx++) {                \
                  int64_t ix = st[2] + tx * g.d[2];                         \
                  T v = row[ix];                                            \
                  if (p->kind == MLC_POOL_MAX) {                            \
                    if (v > best || (tz == lo[0] && ty == lo[1] &&          \
                                     tx == lo[2])) {                        \
                      best = v;                                             \
                      at = pool_index(&g, p->storage_order == 1, iz, iy, ix); \
                    }                                                       \
                  } else if (p->kind == MLC_POOL_AVG) {                     \
                    acc += (double)v;                                       \
                  } else {                                                  \
                    acc += pow(fabs((double)v), p->p);                      \
                  }                                                         \
                }                                                           \
              }                                                             \
            int64_t oi = pl * g.out[0] * g.out[1] * g.out[2] +              \
                         (oz * g.out[1] + oy) * g.out[2] + ox;              \
            if (p->kind == MLC_POOL_MAX) {                                  \
              y[oi] = best;                                                 \
              if (ind) ind[oi] = pl * inpix + at;                           \
            } else if (p->kind == MLC_POOL_AVG) {                           \
              y[oi] = (T)(n ? acc / (double)n : 0);                         \
            } else {                                                        \
              y[oi] = (T)pow(acc, 1 / p->p);                                \
            }                                                               \
          }                                                                 \
    }                                                                       \
  }

POOL_KERNEL(f32, float, -INFINITY)
POOL_KERNEL(u8, uint8_t, 0)
POOL_KERNEL(i8, int8_t, -128)
