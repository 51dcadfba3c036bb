/* The depthwise conv (one input and one output channel per group), the
 * path conv_f32 (nn.c) takes for it: a direct loop per plane, no GEMM.
 *
 * Output rows are computed straight from the input rows, a vector of
 * outputs at a time with every tap of the window summed in registers.
 * Padding is never copied as a whole plane: a row of the window that lies
 * in the padding is skipped (its taps add zero), and the columns near the
 * left and right edges, where a window hangs over the padding, are read
 * from small zero-padded copies of just those columns (the edge buffers,
 * in the scratch). Each output row thus splits into three runs: the left
 * edge (from the left buffers), the middle (from the input itself) and
 * the rest (from the right buffers), each a whole number of vectors but
 * the last, which may stop short; a run that would be empty costs nothing.
 *
 * 3x3 and 5x5 windows at stride 1 or 2 (the usual depthwise convs) compute
 * MLC_RT_DW_ROWS output rows per pass, so that each input row loaded into
 * a register serves every output row whose window holds it; any other
 * window (other sizes and strides, a vertical dilation, 3-D) computes one
 * output row per pass through the same code with its sizes unknown to the
 * compiler, summing at most MLC_RT_DW_IN_ROWS rows of the window at a time
 * into the output. */
#include <string.h>

#include "nn_int.h"

#if NN_V > MLC_RT_GEMM_SLACK
#error "mlc_rt_conv_scratch() bounds a depthwise vector by MLC_RT_GEMM_SLACK floats"
#endif

/* the loops over a window's rows and taps, unrolled where their counts
 * are constants, so that the accumulators stay in registers (gcc needs
 * telling; clang does it unasked, and warns of the loops it cannot) */
#if defined(__GNUC__) && !defined(__clang__)
#define DW_UNROLL _Pragma("GCC unroll 16")
#else
#define DW_UNROLL
#endif

/* NN_V outputs from p[0], p[s], ...: the general stride */
static MLC_INLINE Vec v_strided(const float *p, int64_t s) {
  float t[NN_V];
  for (int i = 0; i < NN_V; i++) t[i] = p[i * s];
  return v_load(t);
}

/* Outputs [y0, y0 + n) of nr output rows y[r]: output y0 + o of row r
 * sums w[ky * kw + kx] * x[r * sy + ky][o * s + kx * dx] over ky < kh,
 * kx < kw, a NULL row x[j] adding nothing; wv holds the taps broadcast, or
 * is NULL. It starts from the bias, or from y itself when add is set (a
 * later slice of a window's rows). Every vector is computed in full: the
 * rows must be readable up to the vector after n (the edge buffers are;
 * the middle run is whole vectors). Inlined with constant sizes for the
 * common windows. */
static MLC_INLINE void dw_rows(float *const *y, int64_t y0, const float *const *x, const float *w,
                               const Vec *wv, float bias, int64_t n, int add, int nr, int kh,
                               int kw, int64_t s, int sy, int64_t dx) {
  for (int64_t o = 0; o < n; o += NN_V) {
    Vec acc[MLC_RT_DW_ROWS];
    DW_UNROLL
    for (int r = 0; r < nr; r++) acc[r] = add ? v_load_part(y[r] + y0 + o, n - o) : v_set1(bias);
    DW_UNROLL
    for (int j = 0; j < (nr - 1) * sy + kh; j++) {
      if (!x[j]) continue;
      DW_UNROLL
      for (int kx = 0; kx < kw; kx++) {
        const float *p = x[j] + o * s + kx * dx;
        Vec v = s == 1 ? v_load(p) : s == 2 ? v_even(v_load(p), v_load(p + NN_V)) : v_strided(p, s);
        DW_UNROLL
        for (int r = 0; r < nr; r++) {
          int ky = j - r * sy;
          if (ky >= 0 && ky < kh)
            acc[r] = v_fma(acc[r], v, wv ? wv[ky * kw + kx] : v_set1(w[ky * kw + kx]));
        }
      }
    }
    DW_UNROLL
    for (int r = 0; r < nr; r++) v_store(y[r] + y0 + o, acc[r], n - o);
  }
}

/* The window rows of a pass, as each of the three runs of an output row
 * reads them (NULL in the padding) */
typedef struct DwIn {
  const float *x[3][MLC_RT_DW_IN_ROWS];
  int rows;
} DwIn;

/* An edge buffer holds, from place off of a row's buffers on, the input
 * columns from c0 on: those inside the row at places [a, b), zeros around
 * them. The places are the same for every row, so the zeros are written
 * once and only the row copied in. */
typedef struct DwEdge {
  int64_t off, c0, a, b;
} DwEdge;

/* What every plane of a conv shares: its geometry, the kernel for its
 * window, and the three runs of an output row: outputs [at[0], at[1]) from
 * the left edge buffer, [at[1], at[2]) from the input, [at[2], at[3]) from
 * the right one. */
typedef struct DwConv DwConv;
/* nr output rows (nr is 1 or MLC_RT_DW_ROWS) from the window rows in, w
 * their filter rows */
typedef void dw_run(const DwConv *c, float *const *y, const DwIn *in, int nr, const float *w,
                    float bias, int add);
struct DwConv {
  Im2col g;
  dw_run *run;
  int many; /* the kernel computes MLC_RT_DW_ROWS rows a pass */
  int64_t at[4];
  DwEdge edge[2];
  int64_t pitch, bufs; /* the floats of a row's buffers; the rows a pass fills */
};

/* A common window: k x k, stride s both ways, its taps broadcast once a
 * pass (and kept in registers where there are enough), its rows copied to
 * a local: the stores to y could alias the caller's array of them. */
#define DW_FIXED(name, k, s)                                                              \
  static MLC_NOINLINE void name(const DwConv *c, float *const *y, const DwIn *in, int nr, \
                                const float *w, float bias, int add) {                    \
    Vec wv[k * k];                                                                        \
    const float *x[MLC_RT_DW_IN_ROWS];                                                    \
    const int64_t dx = c->g.d[2];                                                         \
    (void)add;                                                                            \
    DW_UNROLL for (int i = 0; i < k * k; i++) wv[i] = v_set1(w[i]);                       \
    for (int q = 0; q < 3; q++) {                                                         \
      int64_t n = c->at[q + 1] - c->at[q];                                                \
      if (n <= 0) continue;                                                               \
      if (nr == MLC_RT_DW_ROWS) {                                                         \
        memcpy(x, in->x[q], ((MLC_RT_DW_ROWS - 1) * s + k) * sizeof *x);                  \
        dw_rows(y, c->at[q], x, w, wv, bias, n, 0, MLC_RT_DW_ROWS, k, k, s, s, dx);       \
      } else {                                                                            \
        memcpy(x, in->x[q], k * sizeof *x);                                               \
        dw_rows(y, c->at[q], x, w, wv, bias, n, 0, 1, k, k, s, s, dx);                    \
      }                                                                                   \
    }                                                                                     \
  }
DW_FIXED(dw_3x3s1, 3, 1)
DW_FIXED(dw_3x3s2, 3, 2)
DW_FIXED(dw_5x5s1, 5, 1)
DW_FIXED(dw_5x5s2, 5, 2)
#undef DW_FIXED

/* any other window: one output row, the rows of the window given */
static MLC_NOINLINE void dw_any(const DwConv *c, float *const *y, const DwIn *in, int nr,
                                const float *w, float bias, int add) {
  (void)nr;
  for (int q = 0; q < 3; q++)
    if (c->at[q + 1] > c->at[q])
      dw_rows(y, c->at[q], in->x[q], w, NULL, bias, c->at[q + 1] - c->at[q], add, 1, in->rows,
              (int)c->g.k[2], c->g.s[2], 1, c->g.d[2]);
}

static int64_t round_up(int64_t a, int64_t b) { return (a + b - 1) / b * b; }

/* the buffer of n floats from column c0 of a row of iw */
static DwEdge dw_edge(int64_t off, int64_t c0, int64_t n, int64_t iw) {
  DwEdge e = {off, c0, 0, 0};
  e.a = min64(c0 < 0 ? -c0 : 0, n);
  e.b = iw - c0 < e.a ? e.a : min64(iw - c0, n);
  return e;
}

static void dw_plan(DwConv *c, const Im2col *g) {
  c->g = *g;
  int64_t k = g->k[2], s = g->s[2], pad = g->pad[2], ow = g->out[2], iw = g->in[2];
  int64_t reach = (k - 1) * g->d[2];
  static dw_run *const fixed[2][2] = {{dw_3x3s1, dw_3x3s2}, {dw_5x5s1, dw_5x5s2}};
  c->many = g->k[0] == 1 && g->k[1] == k && (k == 3 || k == 5) && g->s[1] == s &&
            (s == 1 || s == 2) && g->d[1] == 1;
  c->run = c->many ? fixed[k == 5][s == 2] : dw_any;
  c->bufs = c->many ? (MLC_RT_DW_ROWS - 1) * s + k : min64(g->k[0] * g->k[1], MLC_RT_DW_IN_ROWS);
  c->at[0] = 0;
  c->at[3] = ow;
  /* the middle run starts where no window reaches left of the row, and
   * ends where the vectors (a stride-2 one reads one float more than its
   * last tap) would read past its end; without a whole vector there, the
   * right buffer holds the whole row */
  int64_t first = round_up((pad + s - 1) / s, NN_V);
  int64_t last = min64(ow, iw + pad - reach < 0 ? 0 : (iw + pad - reach) / s);
  int mid = last - first >= NN_V;
  c->at[1] = mid ? first : 0;
  c->at[2] = mid ? first + (last - first) / NN_V * NN_V : 0;
  int64_t wl = c->at[1] ? c->at[1] * s + reach : 0;
  int64_t wr = c->at[2] < ow ? round_up(ow - c->at[2], NN_V) * s + reach : 0;
  c->edge[0] = dw_edge(0, -pad, wl, iw);
  c->edge[1] = dw_edge(wl, c->at[2] * s - pad, wr, iw);
  c->pitch = wl + wr;
}

/* dst[0..n) = src[0..n), a few vectors: calling memcpy costs more; the
 * tail one float at a time, as a masked store is microcoded on some cores
 * (AMD's) and costs more than the few copies */
static void dw_copy(float *restrict dst, const float *restrict src, int64_t n) {
  for (; n >= NN_V; n -= NN_V, src += NN_V, dst += NN_V) v_store(dst, v_load(src), NN_V);
  for (int64_t i = 0; i < n; i++) dst[i] = src[i];
}

/* nr output rows from the window rows src[0..rows) (NULL in the padding),
 * copied into their buffers in buf */
static void dw_pass(const DwConv *c, float *const *y, int nr, const float *const *src, int rows,
                    const float *w, float bias, int add, float *buf) {
  DwIn in;
  in.rows = rows;
  for (int j = 0; j < rows; j++) {
    float *b = buf + j * c->pitch;
    in.x[0][j] = in.x[1][j] = in.x[2][j] = NULL;
    if (!src[j]) continue;
    for (int i = 0; i < 2; i++) {
      const DwEdge *e = &c->edge[i];
      dw_copy(b + e->off + e->a, src[j] + e->c0 + e->a, e->b - e->a);
    }
    in.x[0][j] = b;
    in.x[1][j] = c->at[2] > c->at[1] ? src[j] + c->at[1] * c->g.s[2] - c->g.pad[2] : NULL;
    in.x[2][j] = b + c->edge[1].off;
  }
  c->run(c, y, &in, nr, w, bias, add);
}

/* the epilogue of n outputs, a vector at a time: inlined with a constant
 * length, its loops vectorize */
static void dw_finish(float *y, int64_t n, int64_t j0, const Epi *e) {
  int64_t o = 0;
  if (!e->res && e->act == MLC_ACT_NONE) return;
  for (; o + NN_V <= n; o += NN_V) finish_row(y + o, NN_V, 0, j0 + o, e);
  finish_row(y + o, n - o, 0, j0 + o, e);
}

/* the epilogue runs over DW_FLUSH outputs at a time or more (a plane's
 * rows are contiguous), so that short rows need not end in a short tail,
 * and while they are still in the cache */
#define DW_FLUSH 1024

/* One plane: x the input channel, w its filter. With MLC_RT_DW_ROWS rows a
 * pass, the last pass of a column of rows overlaps the one before rather
 * than computing the rest a row at a time; what it computes again has not
 * passed through the epilogue yet, so that only runs up to the rows the
 * next pass will write. */
static void dw_plane(const DwConv *c, const float *x, const float *w, float bias, float *y,
                     float *buf, const Epi *e) {
  const Im2col *g = &c->g;
  const int64_t oh = g->out[1], ow = g->out[2], kh = g->k[1], kw = g->k[2];
  const int nr = c->many && oh >= MLC_RT_DW_ROWS ? MLC_RT_DW_ROWS : 1;
  int64_t done = 0, next;
  for (int64_t oz = 0; oz < g->out[0]; oz++)
    for (int64_t oy = 0; oy < oh; oy = next) {
      /* the window's rows: consecutive ones for several output rows, else
       * the (kz, ky) rows of the one */
      int64_t rows = nr > 1 ? (nr - 1) * g->s[1] + kh : g->k[0] * kh;
      float *yo[MLC_RT_DW_ROWS];
      next = oy + nr;
      for (int r = 0; r < nr; r++) yo[r] = y + (oz * oh + oy + r) * ow;
      for (int64_t j0 = 0; j0 < rows; j0 += MLC_RT_DW_IN_ROWS) {
        int n = (int)min64(rows - j0, MLC_RT_DW_IN_ROWS);
        const float *src[MLC_RT_DW_IN_ROWS];
        for (int i = 0; i < n; i++) {
          int64_t j = j0 + i, kz = nr > 1 ? 0 : j / kh, ky = nr > 1 ? j : j % kh;
          int64_t iz = oz * g->s[0] - g->pad[0] + kz * g->d[0];
          int64_t iy = oy * g->s[1] - g->pad[1] + ky * (nr > 1 ? 1 : g->d[1]);
          int inside = iz >= 0 && iz < g->in[0] && iy >= 0 && iy < g->in[1];
          src[i] = inside ? x + (iz * g->in[1] + iy) * g->in[2] : NULL;
        }
        dw_pass(c, yo, nr, src, n, w + j0 * kw, bias, j0 > 0, buf);
      }
      if (next < oh) next = min64(next, oh - nr);
      int64_t safe = (oz * oh + next) * ow;
      if (safe - done >= DW_FLUSH || (next >= oh && oz + 1 == g->out[0])) {
        dw_finish(y + done, safe - done, done, e);
        done = safe;
      }
    }
}

/* The size from which a depthwise conv splits over the thread pool: half a
 * million flops, about the time of PAR_FLOPS (nn_int.h) in a GEMM, as a
 * depthwise conv does a tenth to a third of the flops a GEMM does in that
 * time; so the convs of a mobile network's later layers split too. */
#define DW_PAR_FLOPS (1 << 19)

/* All depthwise planes of a conv, one (image, channel) pair after another
 * (with one channel per group, plane q of the input, the output and the
 * residual), split over the threads of a job: its part of them. */
typedef struct DwJob {
  const MlcConv *p;
  DwConv c;
  Epi e;
  const float *x, *w, *bias, *res;
  float *y, *scratch;
  int64_t inpix, npix, kvol;
} DwJob;

static void dw_part(void *arg, int t, int nt, float *scratch) {
  const DwJob *j = (const DwJob *)arg;
  int64_t total = j->p->n * j->p->group;
  Epi e = j->e;
  float *buf = scratch ? scratch : j->scratch;
  memset(buf, 0, (size_t)(j->c.bufs * j->c.pitch) * sizeof *buf);
  for (int64_t q = total * t / nt; q < total * (t + 1) / nt; q++) {
    int64_t gi = q % j->p->group;
    e.res = j->res ? j->res + q * j->npix : NULL;
    dw_plane(&j->c, j->x + q * j->inpix, j->w + gi * j->kvol, j->bias ? j->bias[gi] : 0,
             j->y + q * j->npix, buf, &e);
  }
}

void mlc_rt__conv_depthwise(const MlcConv *p, const Im2col *g, const Epi *e, const float *x,
                            const float *w, const float *bias, const float *res, float *y,
                            float *scratch, int64_t inpix, int64_t npix, int64_t kvol) {
  DwJob job = {.p = p,
               .e = *e,
               .x = x,
               .w = w,
               .bias = bias,
               .res = res,
               .y = y,
               .scratch = scratch,
               .inpix = inpix,
               .npix = npix,
               .kvol = kvol};
  dw_plan(&job.c, g);
  /* a worker's scratch must hold the edge buffers */
  if (2 * p->n * p->group * npix * kvol < DW_PAR_FLOPS ||
      mlc_rt_conv_scratch(p) > MLC_RT_POOL_SCRATCH || !mlc_rt_parallel(dw_part, &job))
    dw_part(&job, 0, 1, NULL);
}
