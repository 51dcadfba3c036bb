/* The depthwise conv (one input and one output channel per group), the
 * path conv_f32 (nn.c) takes for it: a direct loop per plane, no GEMM.
 *
 * A plane is computed a band of output rows at a time (the layout of
 * mlc_rt_dw_layout(), mlc_rt_nn.h). The band's input rows are copied into
 * the scratch with their padding, split by the stride into phases: with
 * stride sx, input column sx * j + px lands at place j of phase px, so a
 * tap reads consecutive floats whatever the stride. Each phase's rows are
 * wq floats apart, and the output of the band is computed in that same
 * pitch: output (oy, ox) is place oy * wq + ox, and tap (ky, kx) of it is
 * place oy * wq + ox + the tap's offset in its phase. The band's outputs
 * are thus one flat run of whole vectors, however narrow the plane (a 7x7
 * plane is 4 vectors, not 7 rows of a part of one); the places past ow in
 * a row are computed and dropped as the rows are copied out to y.
 *
 * The copies write every place of a row (the padding as zeros, and what
 * spills past the row's end into the next as zeros too) and rows are
 * written in order, so the buffers need zeroing once per call. A 3-D conv
 * adds the planes of its window's depth into the band, one at a time.
 *
 * With AVX-512, a 2-D plane at stride 1 whose rows keep their width (the
 * usual padding) needs no copies at all (dw_masked): masked loads read
 * the taps straight from x, and the outputs go straight to y. Nor does
 * one at stride 2 down and across (dw_s2), whose loads are split into
 * their taps by permutes. Planes narrower than a vector go 16 at a time
 * instead, a plane per lane (dw_block). */
#include <string.h>

#include "nn_int.h"

#if NN_V > MLC_RT_GEMM_SLACK
#error "mlc_rt_dw_layout() bounds a vector by MLC_RT_GEMM_SLACK floats"
#endif

/* the taps a pass of dw_taps sums at most (a larger window's plane takes
 * several passes, each adding to the band) */
#define DW_TAPS 64
/* the column masks dw_masked() and dw_s2() keep at most */
#define DW_MASKS 256
/* the widest window dw_s2() takes, and the output rows it computes at once */
#define DW_S2_K 7
#define DW_S2_ROWS 4

/* A conv's geometry and layout, the same for every plane */
typedef struct DwConv {
  Im2col g;
  MlcDwLayout l;
  int64_t ncols;        /* the input columns a buffer row holds */
  int64_t off[DW_TAPS]; /* dw_offsets() of the first taps */
#if MLC_RT_ISA == MLC_RT_ISA_X86_64_V4
  int masked;                 /* the plane runs through dw_masked() */
  int s2;                     /* the plane runs through dw_s2() */
  int32_t idx[DW_S2_K][NN_V]; /* dw_s2(): [kx][t], where output t's tap kx
                                 lies in the evens (kx even) or odds of
                                 the first two loads, then in the third */
  int64_t period;             /* the vectors of cols */
  __mmask16 cols[DW_MASKS];   /* [v][kx]: the lanes of vector v whose tap kx
                               lies inside the row (dw_plan_masked()); for
                               dw_s2(), [v][i]: those of its i-th load */
  int64_t blocked;            /* the planes go 16 at a time (dw_block()):
                                 its buffer's floats, else 0 */
  /* dw_block()'s buffer, in floats: where input pixel i goes, where
   * output pixel o's window starts (repeating the last past the end); its
   * rows' pitch */
  int32_t tin[MLC_RT_DW_BLK_IN], tout[MLC_RT_DW_BLK_OUT + NN_V];
  int64_t tpitch;
#endif
} DwConv;

/* t[0, n) (+)= sum over taps q < nt of w[q] * x[off[q] + i]: the outputs of
 * a band in whole vectors (t and x are readable past n to the vector's
 * end), four at a time while they last. Starts from bias, or from t when
 * add is set. Inlined with a constant nt for the common windows, which
 * keeps their taps in registers. */
static MLC_INLINE void dw_taps(float *t, const float *x, const int64_t *off, const float *w, int nt,
                               float bias, int add, int64_t n) {
  Vec wv[DW_TAPS];
  NN_UNROLL
  for (int q = 0; q < nt; q++) wv[q] = v_set1(w[q]);
  int64_t i = 0;
  for (; i + 4 * NN_V <= n; i += 4 * NN_V) {
    Vec a0 = add ? v_load(t + i) : v_set1(bias), a1 = add ? v_load(t + i + NN_V) : v_set1(bias);
    Vec a2 = add ? v_load(t + i + 2 * NN_V) : v_set1(bias);
    Vec a3 = add ? v_load(t + i + 3 * NN_V) : v_set1(bias);
    NN_UNROLL
    for (int q = 0; q < nt; q++) {
      const float *p = x + off[q] + i;
      a0 = v_fma(a0, v_load(p), wv[q]);
      a1 = v_fma(a1, v_load(p + NN_V), wv[q]);
      a2 = v_fma(a2, v_load(p + 2 * NN_V), wv[q]);
      a3 = v_fma(a3, v_load(p + 3 * NN_V), wv[q]);
    }
    v_store(t + i, a0, NN_V);
    v_store(t + i + NN_V, a1, NN_V);
    v_store(t + i + 2 * NN_V, a2, NN_V);
    v_store(t + i + 3 * NN_V, a3, NN_V);
  }
  for (; i < n; i += NN_V) {
    Vec a = add ? v_load(t + i) : v_set1(bias);
    NN_UNROLL
    for (int q = 0; q < nt; q++) a = v_fma(a, v_load(x + off[q] + i), wv[q]);
    v_store(t + i, a, NN_V);
  }
}
static MLC_NOINLINE void dw_taps9(float *t, const float *x, const int64_t *off, const float *w,
                                  float bias, int64_t n) {
  dw_taps(t, x, off, w, 9, bias, 0, n);
}
static MLC_NOINLINE void dw_taps25(float *t, const float *x, const int64_t *off, const float *w,
                                   float bias, int64_t n) {
  dw_taps(t, x, off, w, 25, bias, 0, n);
}
static MLC_NOINLINE void dw_taps_any(float *t, const float *x, const int64_t *off, const float *w,
                                     int nt, float bias, int add, int64_t n) {
  dw_taps(t, x, off, w, nt, bias, add, n);
}

/* The n floats from src to dst, the places of a vector past n as zeros
 * (dst is writable to the vector's end) */
static MLC_INLINE void dw_row1(float *dst, const float *src, int64_t n) {
  int64_t c = 0;
  for (; c + NN_V <= n; c += NN_V) v_store(dst + c, v_load(src + c), NN_V);
  if (c < n) v_store(dst + c, v_load_part(src + c, n - c), NN_V);
}

/* src[2 j] to e[j] and src[2 j + 1] to o[j] for 2 j (+ 1) < n, the rest of
 * each vector as zeros */
static MLC_INLINE void dw_row2(float *e, float *o, const float *src, int64_t n) {
  const Vec z = v_set1(0);
  for (int64_t c = 0; c < n; c += 2 * NN_V) {
    const float *s = src + c;
    int64_t m = n - c;
    Vec lo = m >= 2 * NN_V ? v_load(s) : v_load_part(s, m);
    Vec hi = m >= 2 * NN_V ? v_load(s + NN_V) : m > NN_V ? v_load_part(s + NN_V, m - NN_V) : z;
    v_store(e + c / 2, v_even(lo, hi), NN_V);
    if (m < 2) {
      v_store(o + c / 2, z, NN_V);
      continue;
    }
    lo = m > 2 * NN_V ? v_load(s + 1) : v_load_part(s + 1, m - 1);
    hi = m > 2 * NN_V + 1 ? v_load(s + 1 + NN_V)
         : m > NN_V + 1   ? v_load_part(s + 1 + NN_V, m - 1 - NN_V)
                          : z;
    v_store(o + c / 2, v_even(lo, hi), NN_V);
  }
}

/* A buffer row of the band (the input row src, or NULL in the padding)
 * into its phases, from row, its place in phase 0 of its row phase: place
 * j of phase px holds column sx * j + px - pad of src */
static void dw_copy_row(const DwConv *c, float *row, const float *src) {
  const MlcDwLayout *l = &c->l;
  const int64_t sx = l->sx, wq = l->wq, pad = c->g.pad[2];
  if (!src) {
    for (int64_t px = 0; px < sx; px++)
      for (int64_t j = 0; j < wq; j += NN_V) v_store(row + px * l->plane + j, v_set1(0), NN_V);
    return;
  }
  if (c->ncols <= 0) return;
  if (sx == 1) {
    dw_row1(row + pad, src, c->ncols);
  } else if (sx == 2) {
    /* column 0 of src is column pad of the row: phase pad % 2 */
    dw_row2(row + (pad & 1) * l->plane + pad / 2, row + (1 - (pad & 1)) * l->plane + (pad + 1) / 2,
            src, c->ncols);
  } else {
    for (int64_t i = 0; i < c->ncols; i++) row[(pad + i) % sx * l->plane + (pad + i) / sx] = src[i];
  }
}

/* The places in the buffer, relative to an output's, of the m taps of
 * the window's rows at one depth from tap q0 on (taps along x, then y) */
static void dw_offsets(const DwConv *c, int64_t q0, int m, int64_t *off) {
  const MlcDwLayout *l = &c->l;
  for (int i = 0; i < m; i++) {
    int64_t y = (q0 + i) / c->g.k[2] * c->g.d[1], x = (q0 + i) % c->g.k[2] * c->g.d[2];
    off[i] = (y % l->sy * l->sx + x % l->sx) * l->plane + y / l->sy * l->wq + x / l->sx;
  }
}

/* the epilogue of n outputs, a vector at a time: with a constant length,
 * its loops vectorize */
static MLC_INLINE void dw_finish(float *y, int64_t n, int64_t j0, const Epi *e) {
  int64_t o = 0;
  if (!e->res && e->act == MLC_ACT_NONE) return;
  for (; o + NN_V <= n; o += NN_V) finish_row(y + o, NN_V, 0, j0 + o, e);
  finish_row(y + o, n - o, 0, j0 + o, e);
}

/* The band of nb output rows from row oy0 of output depth oz: w the
 * plane's filter, buf the scratch; output f of the plane (row-major,
 * depth by depth) goes to y[f - yoff], those from end on nowhere */
static void dw_band(const DwConv *c, const float *x, const float *w, float bias, float *y,
                    float *buf, const Epi *e, int64_t oz, int64_t oy0, int64_t nb, int64_t yoff,
                    int64_t end) {
  const Im2col *g = &c->g;
  const MlcDwLayout *l = &c->l;
  const int64_t ow = g->out[2], n = nb * l->wq, nt = g->k[1] * g->k[2];
  float *t = buf + l->sy * l->sx * l->plane;
  int add = 0;
  for (int64_t kz = 0; kz < g->k[0]; kz++) {
    int64_t iz = oz * g->s[0] - g->pad[0] + kz * g->d[0];
    if (iz < 0 || iz >= g->in[0]) continue;
    const float *xz = x + iz * g->in[1] * g->in[2];
    /* buffer row r: row r / sy of phase (r % sy, 0) */
    for (int64_t r = 0, py = 0, q = 0; r <= l->sy * (nb - 1) + (g->k[1] - 1) * g->d[1]; r++) {
      int64_t iy = oy0 * l->sy - g->pad[1] + r;
      dw_copy_row(c, buf + py * l->sx * l->plane + q * l->wq,
                  iy >= 0 && iy < g->in[1] ? xz + iy * g->in[2] : NULL);
      if (++py == l->sy) py = 0, q++;
    }
    for (int64_t q = 0; q < nt; q += DW_TAPS, add = 1) {
      int m = (int)min64(nt - q, DW_TAPS);
      int64_t more[DW_TAPS];
      const float *wq = w + kz * nt + q;
      const int64_t *off = c->off;
      if (nt > DW_TAPS) {
        dw_offsets(c, q, m, more);
        off = more;
      }
      if (m == 9 && !add)
        dw_taps9(t, buf, off, wq, bias, n);
      else if (m == 25 && !add)
        dw_taps25(t, buf, off, wq, bias, n);
      else
        dw_taps_any(t, buf, off, wq, m, bias, add, n);
    }
  }
  if (!add) /* the window lies in the depth's padding */
    for (int64_t i = 0; i < n; i += NN_V) v_store(t + i, v_set1(bias), NN_V);
  /* without a residual the epilogue runs over the flat band, whole
   * vectors; with one, over the rows in y, laid out as it is */
  if (!e->res) dw_finish(t, (n + NN_V - 1) / NN_V * NN_V, 0, e);
  const int64_t at = (oz * g->out[1] + oy0) * ow;
  for (int64_t r = 0; r < nb; r++) {
    /* a row's last vector spills into the rows after it, written later,
     * but stops at the end */
    const float *s = t + r * l->wq;
    float *d = y + at - yoff + r * ow;
    for (int64_t j = 0; j < ow; j += NN_V)
      v_store(d + j, v_load(s + j), min64(NN_V, end - at - r * ow - j));
  }
  if (e->res) dw_finish(y + at - yoff, nb * ow, at, e);
}

#if MLC_RT_ISA == MLC_RT_ISA_X86_64_V4
/* The activation the direct paths apply to a vector as they store it
 * (Relu, Clip or none, when there is no residual: `all`, and dw_finish
 * has nothing left to do), else kind 0 and dw_finish after the store */
typedef struct DwAct {
  int kind, all;
  Vec lo, hi;
} DwAct;

static MLC_INLINE DwAct dw_act(const Epi *e) {
  Clamp c = {0, 0, 0, NULL};
  DwAct a;
  a.all = !e->res && epi_clamp(e, &c);
  a.kind = a.all ? c.kind : 0;
  a.lo = v_set1(c.lo);
  a.hi = v_set1(c.hi);
  return a;
}

static MLC_INLINE void dw_store(float *y, Vec v, int64_t n, const DwAct *a) {
  v_store(y, v_clamp(v, a->kind, a->lo, a->hi), n);
}

/* A plane as wide as its input (stride 1 across, the padding of a row
 * summing to the window's reach), 2-D, straight from x to y with no
 * copies: output f of the plane (row-major) sums taps read from x at f +
 * the tap's offset, since input and output rows have the same pitch. A
 * lane whose tap falls left or right of its row (which would read the
 * neighbouring row) or above or below the plane (outside x) is masked
 * off, and a masked load reads nothing there.
 *
 * Inlined with the window constant for the common ones (k x k, padding
 * k / 2, no dilation): d the dilations, pt and pl the padding, and nr the
 * output rows computed together, each input row loaded serving all of
 * them (nr > 1 needs dy == 1). */
#define DW_MASKED_ARGS                                                                \
  const DwConv *c, const float *x, const Vec *wv, float bias, float *y, const Epi *e, \
      const DwAct *act, int64_t kh, int64_t kw, int64_t dy, int64_t dx, int64_t pt, int64_t pl

/* The rows [y0, y0 + nr) of a plane at least a vector wide, a vector of
 * each at a time, output f of the plane to y[f - yoff], none from end on.
 * A row's last vector runs on into the rows after it; the column masks
 * (of lane (16 v + lane) % ow for vector v) keep those places right, and
 * a later store writes them again. */
static MLC_INLINE void dw_masked_rows(DW_MASKED_ARGS, int64_t y0, int nr, int64_t yoff,
                                      int64_t end) {
  const Im2col *g = &c->g;
  const int64_t ow = g->in[2], nin = g->in[1] * ow;
  const int64_t top = -pt * ow, bottom = ((nr - 1 + (kh - 1) * dy) - pt) * ow;
  for (int64_t v = 0, f = y0 * ow; v * NN_V < ow; v++, f += NN_V) {
    const __mmask16 *cm = c->cols + v * kw;
    Vec acc[4];
    NN_UNROLL
    for (int r = 0; r < nr; r++) acc[r] = v_set1(bias);
    if (f + top >= 0 && f + NN_V + bottom <= nin) {
      /* every row of the window inside the plane: the column masks alone,
       * read once for all the rows (planes of 56 x 56 and 112 x 112
       * 1.08 and 1.11x faster than with a row mask each). The loop below
       * differs from this one only in its masks; written once, with the
       * mask chosen inside it (as a condition, an inlined function or a
       * macro), gcc keeps fewer of the masks and row addresses in
       * registers, and this case ran 1.03-1.15x slower. */
      __mmask16 m[DW_TAPS];
      NN_UNROLL
      for (int64_t kx = 0; kx < kw; kx++) m[kx] = cm[kx];
      NN_UNROLL
      for (int64_t i = 0; i < nr + (kh - 1) * dy; i++) {
        const float *row = x + f + (i - pt) * ow - pl;
        NN_UNROLL
        for (int64_t kx = 0; kx < kw; kx++) {
          Vec in = _mm512_maskz_loadu_ps(m[kx], row + kx * dx);
          NN_UNROLL
          for (int r = 0; r < nr; r++)
            if (i >= r && (i - r) % dy == 0 && (i - r) / dy < kh)
              acc[r] = v_fma(acc[r], in, wv[(i - r) / dy * kw + kx]);
        }
      }
    } else {
      NN_UNROLL
      for (int64_t i = 0; i < nr + (kh - 1) * dy; i++) {
        const int64_t at = f + (i - pt) * ow;
        const float *row = x + at - pl;
        const __mmask16 rm = v_inside(at, nin);
        NN_UNROLL
        for (int64_t kx = 0; kx < kw; kx++) {
          Vec in = _mm512_maskz_loadu_ps(cm[kx] & rm, row + kx * dx);
          NN_UNROLL
          for (int r = 0; r < nr; r++)
            if (i >= r && (i - r) % dy == 0 && (i - r) / dy < kh)
              acc[r] = v_fma(acc[r], in, wv[(i - r) / dy * kw + kx]);
        }
      }
    }
    NN_UNROLL
    for (int r = 0; r < nr; r++) dw_store(y + f - yoff + r * ow, acc[r], end - f - r * ow, act);
  }
  if (!act->all) dw_finish(y + y0 * ow - yoff, nr * ow, y0 * ow, e);
}

/* A plane narrower than a vector: one flat run of vectors over all its
 * rows, the column masks repeating every period vectors */
static MLC_INLINE void dw_masked_flat(DW_MASKED_ARGS) {
  const Im2col *g = &c->g;
  const int64_t ow = g->in[2], nin = g->in[1] * ow, npix = g->out[1] * ow;
  const int64_t top = -pt * ow, bottom = ((kh - 1) * dy - pt) * ow;
  for (int64_t f = 0, ph = 0; f < npix; f += NN_V) {
    const __mmask16 *cm = c->cols + ph * kw;
    int inside = f + top >= 0 && f + NN_V + bottom <= nin;
    Vec acc = v_set1(bias);
    NN_UNROLL
    for (int64_t ky = 0; ky < kh; ky++) {
      const int64_t at = f + (ky * dy - pt) * ow;
      const float *row = x + at - pl;
      const __mmask16 rm = inside ? 0xffff : v_inside(at, nin);
      NN_UNROLL
      for (int64_t kx = 0; kx < kw; kx++)
        acc = v_fma(acc, _mm512_maskz_loadu_ps(cm[kx] & rm, row + kx * dx), wv[ky * kw + kx]);
    }
    dw_store(y + f, acc, npix - f, act);
    if (!act->all) dw_finish(y + f, min64(NN_V, npix - f), f, e);
    if (++ph == c->period) ph = 0;
  }
}

/* rows [r0, r1) of the plane (all of it if narrower than a vector), nr
 * at a time (then one at a time), row r0 to y */
static MLC_INLINE void dw_masked(const DwConv *c, const float *x, const float *w, float bias,
                                 float *y, const Epi *e, int64_t r0, int64_t r1, int64_t kh,
                                 int64_t kw, int64_t dy, int64_t dx, int64_t pt, int64_t pl,
                                 int nr) {
  Vec wv[DW_TAPS];
  const int64_t ow = c->g.out[2], yoff = r0 * ow, end = r1 * ow;
  int64_t y0 = r0;
  const DwAct act = dw_act(e);
  NN_UNROLL
  for (int64_t q = 0; q < kh * kw; q++) wv[q] = v_set1(w[q]);
  if (ow < NN_V) {
    dw_masked_flat(c, x, wv, bias, y, e, &act, kh, kw, dy, dx, pt, pl);
    return;
  }
  for (; nr > 1 && y0 + nr <= r1; y0 += nr)
    dw_masked_rows(c, x, wv, bias, y, e, &act, kh, kw, dy, dx, pt, pl, y0, nr, yoff, end);
  for (; y0 < r1; y0++)
    dw_masked_rows(c, x, wv, bias, y, e, &act, kh, kw, dy, dx, pt, pl, y0, 1, yoff, end);
}
#undef DW_MASKED_ARGS

#define DW_ROWS_ARGS                                                                               \
  const DwConv *c, const float *x, const float *w, float bias, float *y, const Epi *e, int64_t r0, \
      int64_t r1
static MLC_NOINLINE void dw_masked3(DW_ROWS_ARGS) {
  dw_masked(c, x, w, bias, y, e, r0, r1, 3, 3, 1, 1, 1, 1, 4);
}
static MLC_NOINLINE void dw_masked5(DW_ROWS_ARGS) {
  dw_masked(c, x, w, bias, y, e, r0, r1, 5, 5, 1, 1, 2, 2, 2);
}
static MLC_NOINLINE void dw_masked_any(DW_ROWS_ARGS) {
  const Im2col *g = &c->g;
  dw_masked(c, x, w, bias, y, e, r0, r1, g->k[1], g->k[2], g->d[1], g->d[2], g->pad[1], g->pad[2],
            1);
}

/* Output vector v (outputs ox on) of the nr rows from oy. Inlined with
 * whole set where the group has DW_S2_ROWS rows and every input row of
 * their windows lies inside the plane (most groups): then it tests no row
 * and no output, and reads its column masks once for all the rows. */
static MLC_INLINE void dw_s2_vec(const DwConv *c, const float *x, float *y, const Vec *wv,
                                 const __m512i *idx, const DwAct *act, int64_t kh, int64_t kw,
                                 int64_t oy, int64_t nr, int64_t v, int64_t ox, int64_t yoff,
                                 float bias, int whole) {
  const Im2col *g = &c->g;
  const int64_t iw = g->in[2], ih = g->in[1], ow = g->out[2];
  const __mmask16 m0 = c->cols[3 * v], m1 = c->cols[3 * v + 1], m2 = c->cols[3 * v + 2];
  Vec acc[DW_S2_ROWS];
  NN_UNROLL
  for (int r = 0; r < DW_S2_ROWS; r++) acc[r] = v_set1(bias);
  /* input row i of the group is row ky = i - 2 r of output r's window */
  NN_UNROLL
  for (int64_t i = 0; i < 2 * (DW_S2_ROWS - 1) + kh; i++) {
    int64_t iy = 2 * oy - g->pad[1] + i;
    if (!whole && (i >= 2 * (nr - 1) + kh || iy < 0 || iy >= ih)) continue;
    const float *row = x + iy * iw + 2 * ox - g->pad[2];
    Vec la = _mm512_maskz_loadu_ps(m0, row), lb = _mm512_maskz_loadu_ps(m1, row + NN_V);
    Vec lc = kw > 2 ? _mm512_maskz_loadu_ps(m2, row + 2 * NN_V) : la;
    Vec tap[DW_S2_K];
    v_s2_split(la, lb, lc, idx, kw, tap);
    NN_UNROLL
    for (int r = 0; r < DW_S2_ROWS; r++) {
      int64_t ky = i - 2 * r;
      if ((!whole && r >= nr) || ky < 0 || ky >= kh) continue;
      NN_UNROLL
      for (int64_t kx = 0; kx < kw; kx++) acc[r] = v_fma(acc[r], tap[kx], wv[ky * kw + kx]);
    }
  }
  NN_UNROLL
  for (int r = 0; r < DW_S2_ROWS; r++)
    if (whole || r < nr) dw_store(y + (oy + r) * ow - yoff + ox, acc[r], ow - ox, act);
}

/* A 2-D plane at stride 2 down and across, undilated, straight from x to
 * y: output vector v of row oy (outputs 16 v on) reads, from each input
 * row of its window, the 32 floats from column 32 v - pl, whose even and
 * odd places are taps kx = 0 and 1 of its 16 outputs (one permute each);
 * taps further right shift those by one place per two columns, the places
 * past the end coming from the 16 floats after (one permute each).
 * Columns outside the row are masked off, and so read as zeros; rows
 * outside the plane are skipped. DW_S2_ROWS output rows go together, each
 * input row's taps serving every one whose window holds it: a row in two
 * windows is loaded and permuted once (96 planes of 112 x 112 1.15x faster
 * than a row per window). Inlined with the window
 * constant for 3x3 and 5x5. */
static MLC_INLINE void dw_s2(DW_ROWS_ARGS, int64_t kh, int64_t kw) {
  const Im2col *g = &c->g;
  const int64_t ih = g->in[1], ow = g->out[2], yoff = r0 * ow, pt = g->pad[1];
  Vec wv[DW_S2_K * DW_S2_K];
  const DwAct act = dw_act(e);
  NN_UNROLL
  for (int64_t q = 0; q < kh * kw; q++) wv[q] = v_set1(w[q]);
  __m512i idx[DW_S2_K];
  NN_UNROLL
  for (int kx = 0; kx < DW_S2_K; kx++) idx[kx] = _mm512_loadu_si512(c->idx[kx]);
  for (int64_t oy = r0; oy < r1; oy += DW_S2_ROWS) {
    const int64_t nr = min64(DW_S2_ROWS, r1 - oy);
    const int whole =
        nr == DW_S2_ROWS && 2 * oy - pt >= 0 && 2 * oy - pt + 2 * (DW_S2_ROWS - 1) + kh <= ih;
    for (int64_t v = 0, ox = 0; ox < ow; v++, ox += NN_V) {
      if (whole)
        dw_s2_vec(c, x, y, wv, idx, &act, kh, kw, oy, nr, v, ox, yoff, bias, 1);
      else
        dw_s2_vec(c, x, y, wv, idx, &act, kh, kw, oy, nr, v, ox, yoff, bias, 0);
    }
    if (!act.all) dw_finish(y + oy * ow - yoff, nr * ow, oy * ow, e);
  }
}
static MLC_NOINLINE void dw_s2_3(DW_ROWS_ARGS) { dw_s2(c, x, w, bias, y, e, r0, r1, 3, 3); }
static MLC_NOINLINE void dw_s2_5(DW_ROWS_ARGS) { dw_s2(c, x, w, bias, y, e, r0, r1, 5, 5); }
static MLC_NOINLINE void dw_s2_any(DW_ROWS_ARGS) {
  dw_s2(c, x, w, bias, y, e, r0, r1, c->g.k[1], c->g.k[2]);
}

/* Whether a conv takes dw_masked(), and its column masks if so: for as
 * many vectors as a row of outputs holds, or for a plane narrower than a
 * vector, until they repeat */
static void dw_plan_masked(DwConv *c) {
  const Im2col *g = &c->g;
  int64_t ow = g->out[2], kw = g->k[2], gcd = ow, b = NN_V;
  while (b) {
    int64_t t = gcd % b;
    gcd = b;
    b = t;
  }
  c->period = ow < NN_V ? ow / gcd : (ow + NN_V - 1) / NN_V;
  int plane = g->k[0] == 1 && g->in[0] == 1;
  c->masked = plane && g->s[1] == 1 && g->s[2] == 1 && g->in[2] == ow && g->k[1] * kw <= DW_TAPS &&
              c->period * kw <= DW_MASKS;
  c->s2 = plane && g->s[1] == 2 && g->s[2] == 2 && g->d[1] == 1 && g->d[2] == 1 &&
          g->k[1] <= DW_S2_K && kw <= DW_S2_K && (ow + NN_V - 1) / NN_V * 3 <= DW_MASKS;
  /* dw_s2(): the lanes of the three loads of each output vector inside
   * the row */
  for (int64_t v = 0; c->s2 && v * NN_V < ow; v++)
    for (int i = 0; i < 3; i++)
      c->cols[3 * v + i] = v_inside(2 * v * NN_V - g->pad[2] + i * NN_V, g->in[2]);
  if (c->s2) v_s2_taps(c->idx, DW_S2_K);
  if (!c->masked) return;
  /* the lanes' columns counted up from the vector's first, then each
   * tap's lanes at once: with a division per lane and tap, this took 0.69
   * us a call on a 14-wide plane (now 0.15), as long as a 384-channel
   * conv spends on 9 of its planes */
  for (int64_t v = 0, at = 0; v < c->period; v++) {
    int64_t col[NN_V];
    for (int lane = 0; lane < NN_V; lane++, at = at + 1 == ow ? 0 : at + 1) col[lane] = at;
    for (int64_t kx = 0; kx < kw; kx++) {
      const int64_t o = kx * g->d[2] - g->pad[2];
      unsigned m = 0;
      for (int lane = 0; lane < NN_V; lane++)
        m |= (unsigned)((uint64_t)(col[lane] + o) < (uint64_t)ow) << lane;
      c->cols[v * kw + kx] = (__mmask16)m;
    }
  }
}
#endif

/* Output rows [r0, r1) of one plane (of every output depth: a 3-D conv
 * takes whole planes), row r0 to y, the rest after it: x the input
 * channel, w its filter */
static void dw_plane(const DwConv *c, const float *x, const float *w, float bias, float *y,
                     float *buf, const Epi *e, int64_t r0, int64_t r1) {
#if MLC_RT_ISA == MLC_RT_ISA_X86_64_V4
  if (c->masked) {
    const Im2col *g = &c->g;
    int64_t k = g->k[1];
    int common =
        g->k[2] == k && g->d[1] == 1 && g->d[2] == 1 && g->pad[1] == k / 2 && g->pad[2] == k / 2;
    if (common && k == 3)
      dw_masked3(c, x, w, bias, y, e, r0, r1);
    else if (common && k == 5)
      dw_masked5(c, x, w, bias, y, e, r0, r1);
    else
      dw_masked_any(c, x, w, bias, y, e, r0, r1);
    return;
  }
  if (c->s2) {
    int64_t k = c->g.k[1];
    if (c->g.k[2] == k && k == 3)
      dw_s2_3(c, x, w, bias, y, e, r0, r1);
    else if (c->g.k[2] == k && k == 5)
      dw_s2_5(c, x, w, bias, y, e, r0, r1);
    else
      dw_s2_any(c, x, w, bias, y, e, r0, r1);
    return;
  }
#endif
  const int64_t ow = c->g.out[2], end = ((c->g.out[0] - 1) * c->g.out[1] + r1) * ow;
  for (int64_t oz = 0; oz < c->g.out[0]; oz++)
    for (int64_t oy = r0; oy < r1; oy += c->l.band)
      dw_band(c, x, w, bias, y, buf, e, oz, oy, min64(c->l.band, r1 - oy), r0 * ow, end);
}

/* The size from which a depthwise conv splits over the thread pool: a
 * quarter of a million flops, about the time of PAR_FLOPS (nn_int.h) in a
 * GEMM, as a depthwise conv does a fifth to a third of the flops a GEMM
 * does in that time (MobileNetV2's 576 x 7 x 7 at stride 2, about 45 us on
 * one core, splits); so the convs of a mobile network's later layers split
 * too. */
#define DW_PAR_FLOPS (1 << 18)

/* All depthwise planes of a conv, one (image, channel) pair after another
 * (with one channel per group, plane q of the input, the output and the
 * residual), split over the threads of a job: its part of them. Of each,
 * output rows [r0, r1), at y + q * ystride (whole planes: npix); then its
 * input rows [pf0, pf1) are fetched into L2, for the next band of a
 * conv_dwpw_f32 (whose bands read each plane a few rows at a time, which
 * the prefetchers follow poorly) */
typedef struct DwJob {
  const MlcConv *p;
  DwConv c;
  Epi e;
  const float *x, *w, *bias, *res;
  float *y, *scratch;
  int64_t inpix, npix, kvol, r0, r1, ystride, pf0, pf1;
} DwJob;

#if MLC_RT_ISA == MLC_RT_ISA_X86_64_V4
/* Whether the planes go 16 at a time, and dw_block()'s tables if so */
static void dw_plan_blocked(DwConv *c, const MlcConv *p) {
  const Im2col *g = &c->g;
  int64_t th = 0, tw = 0;
  c->blocked = mlc_rt_dw_blocked(p, &th, &tw) ? th * tw * NN_V : 0;
  if (!c->blocked) return;
  for (int64_t i = 0; i < g->in[1] * g->in[2]; i++)
    c->tin[i] = (int32_t)(((i / g->in[2] + g->pad[1]) * tw + i % g->in[2] + g->pad[2]) * NN_V);
  const int64_t npix = g->out[1] * g->out[2];
  for (int64_t o = 0; o < npix + NN_V; o++) {
    int64_t f = min64(o, npix - 1);
    c->tout[o] = (int32_t)((f / g->out[2] * g->s[1] * tw + f % g->out[2] * g->s[2]) * NN_V);
  }
  c->tpitch = tw * NN_V;
}

/* ---- small planes, 16 at a time ----------------------------------------
 * A plane narrower than a vector wastes much of each vector the paths
 * above compute with (a 7x7 plane takes 4, each tap a masked load). Where
 * mlc_rt_dw_blocked() says so, 16 planes go together instead, a plane per
 * lane: their input pixels, 16 at a time, are transposed in registers into
 * the buffer t as a vector per pixel, at its place in the padded plane
 * (whose padding stays zero); each output pixel then sums its taps as
 * whole vectors, 16 output pixels at a time, and those are transposed
 * back into a vector of 16 pixels per plane and stored. */

/* planes [q0, q0 + nq) of the job (0 < nq <= 16, the lanes past nq
 * repeating the last), t the buffer; inlined with the window (kh x kw,
 * dilations dy and dx) constant for the common ones */
static MLC_INLINE void dw_block(const DwJob *j, int64_t q0, int nq, float *t, int64_t kh,
                                int64_t kw, int64_t dy, int64_t dx) {
  const DwConv *c = &j->c;
  const int64_t inpix = j->inpix, npix = j->npix, nt = kh * kw, rows = c->tpitch * dy;
  float wl[MLC_RT_DW_BLK_TAPS][NN_V], bl[NN_V];
  const float *xs[NN_V];
  for (int l = 0; l < NN_V; l++) {
    int64_t q = q0 + (l < nq ? l : nq - 1), gi = q % j->p->group;
    xs[l] = j->x + q * inpix;
    bl[l] = j->bias ? j->bias[gi] : 0;
    for (int k = 0; k < nt; k++) wl[k][l] = j->w[gi * j->kvol + k];
  }
  for (int64_t i = 0; i < inpix; i += NN_V) {
    const int64_t n = min64(NN_V, inpix - i);
    Vec r[NN_V];
    NN_UNROLL
    for (int l = 0; l < NN_V; l++) r[l] = v_load_part(xs[l] + i, n);
    v_transpose16(r);
    NN_UNROLL
    for (int l = 0; l < NN_V; l++)
      if (l < n) v_store(t + c->tin[i + l], r[l], NN_V);
  }
  Epi e = j->e;
  e.res = j->res;
  const DwAct act = dw_act(&e);
  Vec wv[MLC_RT_DW_BLK_TAPS];
  NN_UNROLL
  for (int64_t k = 0; k < nt; k++) wv[k] = v_load(wl[k]);
  const Vec bias = v_load(bl);
  for (int64_t o = 0; o < npix; o += NN_V) {
    Vec acc[NN_V];
    /* a pixel's taps one after another: the window's rows one pitch
     * apart, its columns at constant offsets */
    NN_UNROLL
    for (int i = 0; i < NN_V; i++) {
      const float *at = t + c->tout[o + i];
      Vec a = bias;
      NN_UNROLL
      for (int64_t ky = 0; ky < kh; ky++) NN_UNROLL
      for (int64_t kx = 0; kx < kw; kx++)
        a = v_fma(a, v_load(at + ky * rows + kx * dx * NN_V), wv[ky * kw + kx]);
      acc[i] = a;
    }
    NN_UNROLL
    for (int i = 0; i < NN_V; i++) acc[i] = v_clamp(acc[i], act.kind, act.lo, act.hi);
    v_transpose16(acc);
    NN_UNROLL
    for (int l = 0; l < NN_V; l++)
      if (l < nq) v_store(j->y + (q0 + l) * npix + o, acc[l], npix - o);
  }
  for (int l = 0; l < nq && !act.all; l++) {
    e.res = j->res ? j->res + (q0 + l) * npix : NULL;
    dw_finish(j->y + (q0 + l) * npix, npix, 0, &e);
  }
}
static MLC_NOINLINE void dw_block3(const DwJob *j, int64_t q0, int nq, float *t) {
  dw_block(j, q0, nq, t, 3, 3, 1, 1);
}
static MLC_NOINLINE void dw_block5(const DwJob *j, int64_t q0, int nq, float *t) {
  dw_block(j, q0, nq, t, 5, 5, 1, 1);
}
static MLC_NOINLINE void dw_block_any(const DwJob *j, int64_t q0, int nq, float *t) {
  const Im2col *g = &j->c.g;
  dw_block(j, q0, nq, t, g->k[1], g->k[2], g->d[1], g->d[2]);
}
#endif

static void dw_part(void *arg, int t, int nt, float *scratch) {
  const DwJob *j = (const DwJob *)arg;
  int64_t total = j->p->n * j->p->group;
  Epi e = j->e;
  float *buf = scratch ? scratch : j->scratch;
#if MLC_RT_ISA == MLC_RT_ISA_X86_64_V4
  if (j->c.blocked) {
    /* whole blocks of 16 planes each, the buffer's padding zero */
    int64_t nb = (total + NN_V - 1) / NN_V;
    buf = (float *)(((uintptr_t)buf + 63) & ~(uintptr_t)63); /* a line a pixel */
    memset(buf, 0, (size_t)j->c.blocked * sizeof *buf);
    const Im2col *g = &j->c.g;
    const int64_t k = g->k[1];
    const int common = g->k[2] == k && g->d[1] == 1 && g->d[2] == 1;
    void (*block)(const DwJob *, int64_t, int, float *) = common && k == 3   ? dw_block3
                                                          : common && k == 5 ? dw_block5
                                                                             : dw_block_any;
    for (int64_t b = nb * t / nt; b < nb * (t + 1) / nt; b++)
      block(j, b * NN_V, (int)min64(NN_V, total - b * NN_V), buf);
    return;
  }
#endif
  /* the band path's buffers start out zero; the direct path has none */
#if MLC_RT_ISA == MLC_RT_ISA_X86_64_V4
  if (!j->c.masked && !j->c.s2)
#endif
    memset(buf, 0, (size_t)mlc_rt_conv_scratch(j->p) * sizeof *buf);
  for (int64_t q = total * t / nt; q < total * (t + 1) / nt; q++) {
    int64_t gi = q % j->p->group;
    e.res = j->res ? j->res + q * j->npix : NULL;
    dw_plane(&j->c, j->x + q * j->inpix, j->w + gi * j->kvol, j->bias ? j->bias[gi] : 0,
             j->y + q * j->ystride, buf, &e, j->r0, j->r1);
    const float *pf = j->x + q * j->inpix + j->pf0 * j->c.g.in[2];
    for (int64_t i = 0; i < (j->pf1 - j->pf0) * j->c.g.in[2]; i += 16) NN_PREFETCH(pf + i);
  }
}

/* the job of every plane, whole */
static void dw_job(DwJob *job, const MlcConv *p, const Im2col *g, const Epi *e, const float *x,
                   const float *w, const float *bias, const float *res, float *y, float *scratch) {
  int64_t inpix = g->in[0] * g->in[1] * g->in[2], npix = g->out[0] * g->out[1] * g->out[2];
  /* field by field: a compound literal would zero the DwConv's tables
   * too (6.5 KB), which its planning fills where they are read (with
   * the masks above, the job took 0.84 us to set up, now 0.2) */
  job->p = p;
  job->e = *e;
  job->x = x;
  job->w = w;
  job->bias = bias;
  job->res = res;
  job->y = y;
  job->scratch = scratch;
  job->inpix = inpix;
  job->npix = npix;
  job->kvol = g->k[0] * g->k[1] * g->k[2];
  job->r0 = 0;
  job->r1 = g->out[1];
  job->ystride = npix;
  job->pf0 = job->pf1 = 0;
  job->c.g = *g;
  job->c.l = mlc_rt_dw_layout(p);
  job->c.ncols = min64(g->in[2], job->c.l.sx * job->c.l.wq - g->pad[2]);
  dw_offsets(&job->c, 0, (int)min64(g->k[1] * g->k[2], DW_TAPS), job->c.off);
#if MLC_RT_ISA == MLC_RT_ISA_X86_64_V4
  dw_plan_masked(&job->c);
  dw_plan_blocked(&job->c, p);
#endif
}

void mlc_rt__conv_depthwise(const MlcConv *p, const Im2col *g, const Epi *e, const float *x,
                            const float *w, const float *bias, const float *res, float *y,
                            float *scratch) {
  DwJob job;
  dw_job(&job, p, g, e, x, w, bias, res, y, scratch);
  /* a worker's scratch must hold the band's buffers */
  if (2 * p->n * p->group * job.npix * job.kvol < DW_PAR_FLOPS ||
      mlc_rt_conv_scratch(p) > MLC_RT_POOL_SCRATCH || !mlc_rt_parallel(dw_part, &job))
    dw_part(&job, 0, 1, NULL);
}

/* ---- a depthwise conv and the 1x1 conv after it, by bands ---------------
 * (mlc_rt_dwpw_band(), mlc_rt_nn.h). The bands of every image, in order,
 * split over the threads of a job: a band's depthwise rows of every plane
 * into the thread's scratch, then the product of the 1x1 conv's weights
 * with them, into the band's columns of each output plane. */
typedef struct DwPwJob {
  DwJob dw; /* of every plane of one image, whole */
  MlcConv pw;
  Mat a;
  Epi e;
  float *y;
  int64_t band, nbands;
} DwPwJob;

static void dwpw_part(void *arg, int t, int nt, float *scratch) {
  const DwPwJob *j = (const DwPwJob *)arg;
  const MlcConv *p = &j->pw;
  const int64_t oh = p->out_sp[0], ow = p->out_sp[1], npix = oh * ow, units = p->n * j->nbands;
  float *buf = scratch ? scratch : j->dw.scratch;
  float *planes = buf, *dwbuf = planes + p->c * j->band * ow + MLC_RT_GEMM_SLACK;
  float *panels = dwbuf + mlc_rt_conv_scratch(j->dw.p);
  for (int64_t u = units * t / nt; u < units * (t + 1) / nt; u++) {
    const int64_t img = u / j->nbands, r0 = u % j->nbands * j->band, r1 = min64(oh, r0 + j->band);
    const int64_t n = (r1 - r0) * ow;
    DwJob dw = j->dw;
    dw.x += img * p->c * dw.inpix;
    dw.y = planes;
    dw.r0 = r0;
    dw.r1 = r1;
    dw.ystride = n;
    /* the rows the next band adds to its windows */
    const Im2col *g = &dw.c.g;
    const int64_t reach = (g->k[1] - 1) * g->d[1] + 1 - g->pad[1];
    dw.pf0 = (r1 - 1) * g->s[1] + reach;
    dw.pf1 = r1 < oh ? min64(g->in[1], (min64(oh, r1 + j->band) - 1) * g->s[1] + reach) : 0;
    dw_part(&dw, 0, 1, dwbuf);
    Epi e = j->e;
    if (e.res) e.res += img * p->m * npix + r0 * ow;
    BSrc b = {{planes, n, 1, NULL, 0}, NULL};
    mlc_rt__sgemm(p->m, n, p->c, j->a, b, j->y + img * p->m * npix + r0 * ow, npix, &e, panels);
  }
}

void mlc_rt_conv_dwpw_f32(const void *params, void *const *io) {
  const MlcDwPw *p = (const MlcDwPw *)params;
  MlcConv dw;
  DwPwJob job;
  mlc_rt_dwpw_convs(p, &dw, &job.pw);
  dw.n = 1; /* the job's planes are one image's */
  Im2col g;
  mlc_rt__conv_geometry(&dw, &g);
  const int64_t npix = g.out[1] * g.out[2];
  if (npix == 0 || p->n == 0) return;
  Epi dwe = {1, 1, NULL, 1, 0, (int)p->act, (float)p->act_a, (float)p->act_b, NULL, npix};
  dw_job(&job.dw, &dw, &g, &dwe, (const float *)io[MLC_DWPW_X], (const float *)io[MLC_DWPW_W],
         p->has_bias ? (const float *)io[MLC_DWPW_BIAS] : NULL, NULL, NULL,
         (float *)io[MLC_DWPW_SCRATCH]);
  const float *pw = (const float *)io[MLC_DWPW_PW_W];
  job.a = (Mat){pw, p->c, 1, p->packed_w ? pw : NULL, p->packed_w};
  job.e = (Epi){1,
                1,
                p->pw_has_bias ? (const float *)io[MLC_DWPW_PW_BIAS] : NULL,
                1,
                0,
                (int)p->pw_act,
                (float)p->pw_act_a,
                (float)p->pw_act_b,
                p->has_res ? (const float *)io[MLC_DWPW_RES] : NULL,
                npix};
  job.y = (float *)io[MLC_DWPW_Y];
  job.band = mlc_rt_dwpw_band(p);
  job.nbands = (g.out[1] + job.band - 1) / job.band;
  /* a worker's scratch must hold a band's */
  if (p->n * job.nbands < 2 || mlc_rt_dwpw_scratch(p) > MLC_RT_POOL_SCRATCH ||
      !mlc_rt_parallel(dwpw_part, &job))
    dwpw_part(&job, 0, 1, NULL);
}
