/* 3x3 stride-1 convolutions by Winograd's minimal filtering, F(T x T, 3 x 3):
 * each T x T tile of the output comes from an A x A patch of the input
 * (A = T + 2) through A*A independent products over the channels instead of
 * 9*T*T multiply-adds per channel pair: 2.25x fewer multiplications for
 * T = 2, 4x for T = 4, at the price of three small transforms. With the
 * transformed filter U = G g G^T, the transformed input patch V = B^T d B
 * and the output Y = A^T (U . V) A, the sum over input channels of U . V is,
 * for each of the A*A patch positions t, one matrix product:
 *     M_t (tiles x m) = V_t (tiles x c) U_t (c x m)
 * which the GEMM micro-kernels compute, U_t packed at compile time
 * (mlc_rt_winograd_filter) like any constant B.
 *
 * Per image: the input is copied channels-last with its zero padding made
 * real (xt), so that a patch of 16 channels is a run of vectors; the input
 * transform writes V_t row by row (a tile's channels contiguous), the
 * products M_t, and the output transform reads a tile's 16 channels of every
 * M_t and writes them channels-last (yt), which the epilogue finally turns
 * back into the image's planes (bias, residual, activation). Channel counts
 * are rounded up to whole blocks of 16 (MLC_RT_WINO_CB), the extra ones
 * zero, so every transform loop has a constant trip count and vectorizes.
 *
 * The transform matrices are those of Lavin and Gray's "Fast Algorithms for
 * Convolutional Neural Networks" (2016), interpolation points 0, +-1 (T =
 * 2) and 0, +-1, +-2, +-1/2 (T = 4); the input and output transforms are
 * written out from them below, the filter's applies G as a matrix. */
#include <string.h>

#include "nn_int.h"

#define CB MLC_RT_WINO_CB

/* The transforms along one axis, over a block of CB channels: o[r * os + l]
 * from d[k * ds + l], l < CB, written out from the rows of B^T (input) and
 * A^T (output) so that the zeros cost nothing and shared sums are made
 * once. gcc vectorizes their loops at -O2 only when every row is a restrict
 * parameter of its own (restrict pointers computed inside a function do not
 * count): hence the inlined bodies below the functions the table calls. */
typedef void (*Axis)(float *o, int64_t os, const float *d, int64_t ds);
#define RF float *restrict
#define RC const float *restrict

/* B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1] */
static MLC_INLINE void in2(RF o0, RF o1, RF o2, RF o3, RC d0, RC d1, RC d2, RC d3) {
  for (int l = 0; l < CB; l++)
    o0[l] = d0[l] - d2[l], o1[l] = d1[l] + d2[l], o2[l] = d2[l] - d1[l], o3[l] = d1[l] - d3[l];
}
static void in_axis2(float *o, int64_t os, const float *d, int64_t ds) {
  in2(o, o + os, o + 2 * os, o + 3 * os, d, d + ds, d + 2 * ds, d + 3 * ds);
}

/* A^T = [1 1 1 0; 0 1 -1 -1] */
static MLC_INLINE void out2(RF o0, RF o1, RC m0, RC m1, RC m2, RC m3) {
  for (int l = 0; l < CB; l++) o0[l] = m0[l] + m1[l] + m2[l], o1[l] = m1[l] - m2[l] - m3[l];
}
static void out_axis2(float *o, int64_t os, const float *m, int64_t ms) {
  out2(o, o + os, m, m + ms, m + 2 * ms, m + 3 * ms);
}

/* B^T = [4 0 -5 0 1 0; 0 -4 -4 1 1 0; 0 4 -4 -1 1 0;
 *        0 -2 -1 2 1 0; 0 2 -1 -2 1 0; 0 4 0 -5 0 1] */
static MLC_INLINE void in4(RF o0, RF o1, RF o2, RF o3, RF o4, RF o5, RC d0, RC d1, RC d2, RC d3,
                           RC d4, RC d5) {
  for (int l = 0; l < CB; l++) {
    float s12 = d1[l] + d2[l], s34 = d3[l] + d4[l], d21 = d2[l] - d1[l], d43 = d4[l] - d3[l];
    float d42 = d4[l] - d2[l], d31 = d3[l] - d1[l];
    o0[l] = 4 * d0[l] - 5 * d2[l] + d4[l];
    o1[l] = s34 - 4 * s12;
    o2[l] = d43 - 4 * d21;
    o3[l] = d42 + 2 * d31;
    o4[l] = d42 - 2 * d31;
    o5[l] = 4 * d1[l] - 5 * d3[l] + d5[l];
  }
}
static void in_axis4(float *o, int64_t os, const float *d, int64_t ds) {
  in4(o, o + os, o + 2 * os, o + 3 * os, o + 4 * os, o + 5 * os, d, d + ds, d + 2 * ds, d + 3 * ds,
      d + 4 * ds, d + 5 * ds);
}

/* A^T = [1 1 1 1 1 0; 0 1 -1 2 -2 0; 0 1 1 4 4 0; 0 1 -1 8 -8 1] */
static MLC_INLINE void out4(RF o0, RF o1, RF o2, RF o3, RC m0, RC m1, RC m2, RC m3, RC m4, RC m5) {
  for (int l = 0; l < CB; l++) {
    float s12 = m1[l] + m2[l], d12 = m1[l] - m2[l], s34 = m3[l] + m4[l], d34 = m3[l] - m4[l];
    o0[l] = m0[l] + s12 + s34;
    o1[l] = d12 + 2 * d34;
    o2[l] = s12 + 4 * s34;
    o3[l] = d12 + 8 * d34 + m5[l];
  }
}
static void out_axis4(float *o, int64_t os, const float *m, int64_t ms) {
  out4(o, o + os, o + 2 * os, o + 3 * os, m, m + ms, m + 2 * ms, m + 3 * ms, m + 4 * ms,
       m + 5 * ms);
}
#undef RF
#undef RC

typedef struct Wino {
  int a, t;
  const float *g; /* A x 3, the filter's transform G */
  Axis in, out;   /* B^T and A^T along an axis */
} Wino;

static const float g2[12] = {1, 0, 0, 0.5f, 0.5f, 0.5f, 0.5f, -0.5f, 0.5f, 0, 0, 1};
static const float g4[18] = {1.0f / 4,  0,          0,         -1.0f / 6, -1.0f / 6, -1.0f / 6,
                             -1.0f / 6, 1.0f / 6,   -1.0f / 6, 1.0f / 24, 1.0f / 12, 1.0f / 6,
                             1.0f / 24, -1.0f / 12, 1.0f / 6,  0,         0,         1};

static const Wino wino2 = {4, 2, g2, in_axis2, out_axis2}, wino4 = {6, 4, g4, in_axis4, out_axis4};

static const Wino *wino_of(int64_t t) { return t == 4 ? &wino4 : &wino2; }

void mlc_rt_winograd_filter(const float *w, int64_t m, int64_t c, int64_t t, int64_t nr,
                            float *dst) {
  const Wino *W = wino_of(t);
  const int a = W->a;
  int64_t mp = mlc_rt_wino_round(m), cp = mlc_rt_wino_round(c);
  int64_t per = mlc_rt_packed_floats(mp, cp, nr);
  memset(dst, 0, (size_t)(a * a * per) * sizeof *dst);
  /* U_t's element (i, o) lies in its strip o / nr, row i, column o % nr:
   * o innermost writes each strip's rows in order */
  for (int64_t i = 0; i < c; i++)
    for (int64_t o = 0; o < m; o++) {
      const float *g = w + (o * c + i) * 9;
      double h[6][3]; /* G g */
      for (int r = 0; r < a; r++)
        for (int k = 0; k < 3; k++)
          h[r][k] = (double)W->g[r * 3] * g[k] + (double)W->g[r * 3 + 1] * g[3 + k] +
                    (double)W->g[r * 3 + 2] * g[6 + k];
      float *d = dst + o / nr * nr * cp + i * nr + o % nr;
      for (int r = 0; r < a; r++)
        for (int s = 0; s < a; s++)
          d[(r * a + s) * per] = (float)(h[r][0] * W->g[s * 3] + h[r][1] * W->g[s * 3 + 1] +
                                         h[r][2] * W->g[s * 3 + 2]);
    }
}

/* The tiles go in blocks of TB: a block's transformed input and products
 * (A*A * TB * channels floats each) stay in the L2 cache between the
 * transforms and the products, which the whole image's would not. TB is a
 * whole number of every micro-kernel height. */
#define TB 48

/* the tile grid and the sizes of the scratch's parts */
typedef struct WinoGeo {
  const Wino *w;
  int64_t ty, tx, tiles, hp, wp, cp, mp;
  int64_t tb; /* tiles in a block: TB, or all when fewer */
} WinoGeo;

static WinoGeo wino_geo(const MlcConv *p) {
  WinoGeo g;
  g.w = wino_of(p->winograd);
  g.ty = (p->out_sp[0] + g.w->t - 1) / g.w->t;
  g.tx = (p->out_sp[1] + g.w->t - 1) / g.w->t;
  g.tiles = g.ty * g.tx;
  g.hp = g.ty * g.w->t + 2;
  g.wp = g.tx * g.w->t + 2;
  g.cp = mlc_rt_wino_round(p->c);
  g.mp = mlc_rt_wino_round(p->m);
  g.tb = g.tiles < TB ? g.tiles : TB;
  return g;
}

/* the parts of a block of tb tiles: V (aa products' rows of cp), M (of
 * mp), Y (T*T outputs of mp each) and the products' packed panels */
static int64_t block_floats(const WinoGeo *g, int64_t tb) {
  const int64_t aa = g->w->a * g->w->a;
  return aa * tb * (g->cp + g->mp) + tb * g->w->t * g->w->t * g->mp +
         mlc_rt_gemm_panels(tb, g->mp, g->cp);
}

int64_t mlc_rt_winograd_scratch(const MlcConv *p) {
  WinoGeo g = wino_geo(p);
  return g.hp * g.wp * g.cp + block_floats(&g, g.tb);
}

/* the rows [lo, hi) of x (planes) into xt: channels-last, cp channels, the
 * padding (zeroed before) left alone */
static void to_channels_last(const MlcConv *p, const WinoGeo *g, const float *x, int64_t lo,
                             int64_t hi, float *xt) {
  const int64_t c = p->c, h = p->in_sp[0], w = p->in_sp[1];
  const int64_t py = p->pad_begin[0], px = p->pad_begin[1];
  if (hi > g->hp - py) hi = g->hp - py;
#if MLC_RT_ISA == MLC_RT_ISA_X86_64_V4
  if (h * w <= MLC_RT_GATHER_MAX) {
    /* a pixel's 16 channels gathered as one vector (h * w apart) */
    const __m512i at = v_lanes_apart(h * w);
    for (int64_t ch = 0; ch < c; ch += NN_V) {
      const __mmask16 cm = v_mask(c - ch);
      for (int64_t y = lo; y < hi; y++) {
        const float *row = x + (ch * h + y) * w;
        float *d = xt + ((y + py) * g->wp + px) * g->cp + ch;
        for (int64_t i = 0; i < w && i + px < g->wp; i++)
          _mm512_mask_storeu_ps(d + i * g->cp, cm,
                                _mm512_mask_i32gather_ps(v_set1(0), cm, at, row + i, 4));
      }
    }
    return;
  }
#endif
  for (int64_t ch = 0; ch < c; ch++)
    for (int64_t y = lo; y < hi; y++) {
      const float *row = x + (ch * h + y) * w;
      float *d = xt + ((y + py) * g->wp + px) * g->cp + ch;
      for (int64_t i = 0; i < w && i + px < g->wp; i++) d[i * g->cp] = row[i];
    }
}

/* V_t of the tiles t0 + [lo, hi): row i of cp channels for tile t0 + i,
 * V_t+1 tb rows on */
static void input_transform(const WinoGeo *g, int64_t tb, const float *xt, int64_t t0, int64_t lo,
                            int64_t hi, float *v) {
  const Wino *W = g->w;
  const int a = W->a;
  for (int64_t i = lo; i < hi; i++) {
    int64_t ty = (t0 + i) / g->tx, tx = (t0 + i) % g->tx;
    const float *base = xt + (ty * W->t * g->wp + tx * W->t) * g->cp;
    for (int64_t cb = 0; cb < g->cp; cb += CB) {
      float u[6][6][CB]; /* u[r][j]: B^T d, column j */
      for (int j = 0; j < a; j++) W->in(u[0][j], 6 * CB, base + j * g->cp + cb, g->wp * g->cp);
      for (int r = 0; r < a; r++) W->in(v + (r * a * tb + i) * g->cp + cb, tb * g->cp, u[r][0], CB);
    }
  }
}

/* Y = A^T M A for the tiles [lo, hi) of a block of tb, into yt (tb x T*T
 * x mp) */
static void output_transform(const WinoGeo *g, int64_t tb, const float *mm, int64_t lo, int64_t hi,
                             float *yt) {
  const Wino *W = g->w;
  const int a = W->a, t = W->t;
  for (int64_t i = lo; i < hi; i++)
    for (int64_t ob = 0; ob < g->mp; ob += CB) {
      float u[4][6][CB]; /* u[r][j]: A^T M, column j */
      for (int j = 0; j < a; j++)
        W->out(u[0][j], 6 * CB, mm + (j * tb + i) * g->mp + ob, a * tb * g->mp);
      for (int r = 0; r < t; r++) W->out(yt + (i * t * t + r * t) * g->mp + ob, g->mp, u[r][0], CB);
    }
}

/* yt's tiles t0 + [lo, hi) into the output planes y, plus the bias, then
 * through cl */
static void scatter_out(const MlcConv *p, const WinoGeo *g, const float *yt, int64_t t0, int64_t lo,
                        int64_t hi, const float *bias, const Clamp *cl, float *y) {
  const int64_t oh = p->out_sp[0], ow = p->out_sp[1], t = g->w->t;
#if MLC_RT_ISA == MLC_RT_ISA_X86_64_V4
  if (t == 4 && g->mp <= MLC_RT_GATHER_MAX) {
    /* a tile's 16 outputs of a channel gathered as one vector (from mp
     * apart), its rows stored 4 floats at a time */
    const __m512i at = v_lanes_apart(g->mp);
    const Vec vlo = v_set1(cl->lo), vhi = v_set1(cl->hi);
    for (int64_t i = lo; i < hi; i++) {
      int64_t oy0 = (t0 + i) / g->tx * t, ox0 = (t0 + i) % g->tx * t;
      int64_t rows = oh - oy0 < t ? oh - oy0 : t, cols = ow - ox0 < t ? ow - ox0 : t;
      const __mmask8 cm = (__mmask8)((1u << cols) - 1);
      for (int64_t o = 0; o < p->m; o++) {
        Vec v = _mm512_i32gather_ps(at, yt + i * t * t * g->mp + o, 4);
        v = v_clamp(v_add(v, v_set1(bias ? bias[o] : 0)), cl->kind, vlo, vhi);
        float *row = y + (o * oh + oy0) * ow + ox0;
        _mm_mask_storeu_ps(row, cm, _mm512_extractf32x4_ps(v, 0));
        if (rows > 1) _mm_mask_storeu_ps(row + ow, cm, _mm512_extractf32x4_ps(v, 1));
        if (rows > 2) _mm_mask_storeu_ps(row + 2 * ow, cm, _mm512_extractf32x4_ps(v, 2));
        if (rows > 3) _mm_mask_storeu_ps(row + 3 * ow, cm, _mm512_extractf32x4_ps(v, 3));
      }
    }
    return;
  }
#endif
  for (int64_t i = lo; i < hi; i++) {
    int64_t oy0 = (t0 + i) / g->tx * t, ox0 = (t0 + i) % g->tx * t;
    int64_t rows = oh - oy0 < t ? oh - oy0 : t, cols = ow - ox0 < t ? ow - ox0 : t;
    for (int64_t o = 0; o < p->m; o++) {
      float b = bias ? bias[o] : 0;
      const float *src = yt + i * t * t * g->mp + o;
      for (int64_t r = 0; r < rows; r++) {
        float *row = y + (o * oh + oy0 + r) * ow + ox0;
        for (int64_t q = 0; q < cols; q++) row[q] = clamp_f32(src[(r * t + q) * g->mp] + b, cl);
      }
    }
  }
}

/* One image's conv in phases, each split over the threads of a job, a
 * phase ending before the next begins: the layout change (by rows), the
 * tiles, then the epilogue (by channels). The tiles split one of two ways.
 * With enough of them, each thread takes its own range of tiles through
 * the input transform, the A*A products and the output transform, block by
 * block in its own scratch: nothing passes between threads. Too few tiles
 * for that (deep layers, small images), or blocks that would not fit a
 * worker's scratch, and every block goes through phases split three ways:
 * its tiles by the input transform, its products, its tiles by the output
 * transform (each thread then reads what the others wrote). */
enum { PH_LAYOUT, PH_TILES, PH_INPUT, PH_PRODUCTS, PH_OUTPUT, PH_EPILOGUE };

/* a thread's range of tiles runs alone from a block of at least MIN_TILES
 * (a micro-kernel's height or two) */
#define MIN_TILES 12

typedef struct WinoJob {
  const MlcConv *p;
  const WinoGeo *g;
  const Epi *e;
  const float *x, *w, *bias, *res; /* this image's x, res */
  float *y, *xt, *blk;             /* blk: the caller's block parts (after xt) */
  int64_t t0, nt;                  /* split phases: the block's first tile and count */
  int64_t per;                     /* the floats of one packed U_t */
  int64_t tbt;                     /* PH_TILES: the most tiles in a thread's block */
  int phase;
  Clamp act; /* the activation scatter_out applies (then no epilogue phase) */
} WinoJob;

/* the parts of a block of tb tiles that starts at s */
typedef struct Block {
  float *v, *mm, *yt, *panels;
} Block;

static Block block_at(const WinoGeo *g, int64_t tb, float *s) {
  const int64_t aa = g->w->a * g->w->a;
  Block b;
  b.v = s;
  b.mm = b.v + aa * tb * g->cp;
  b.yt = b.mm + aa * tb * g->mp;
  b.panels = b.yt + tb * g->w->t * g->w->t * g->mp;
  return b;
}

/* the products [q0, q1) of a block of nt tiles, tb rows apart */
static void products(const WinoJob *j, int64_t q0, int64_t q1, int64_t nt, int64_t tb,
                     const Block *b, float *panels) {
  const WinoGeo *g = j->g;
  Epi plain = {1, 0, NULL, 0, 0, MLC_ACT_NONE, 0, 0, NULL, 0};
  for (int64_t q = q0; q < q1; q++) {
    Mat a = {b->v + q * tb * g->cp, g->cp, 1, NULL, 0};
    BSrc u = {{NULL, 0, 0, j->w + q * j->per, 0}, NULL};
    mlc_rt__sgemm(nt, g->mp, g->cp, a, u, b->mm + q * tb * g->mp, g->mp, &plain, panels);
  }
}

/* the tiles [lo, hi) start to end, in even blocks of at most j->tbt, with
 * the block parts at s */
static void tile_range(const WinoJob *j, int64_t lo, int64_t hi, float *s) {
  const WinoGeo *g = j->g;
  const int64_t aa = g->w->a * g->w->a, blocks = (hi - lo + j->tbt - 1) / j->tbt;
  if (blocks == 0) return;
  const int64_t tb = (hi - lo + blocks - 1) / blocks;
  const Block b = block_at(g, tb, s);
  for (int64_t t0 = lo; t0 < hi; t0 += tb) {
    const int64_t nt = hi - t0 < tb ? hi - t0 : tb;
    input_transform(g, tb, j->xt, t0, 0, nt, b.v);
    products(j, 0, aa, nt, tb, &b, b.panels);
    output_transform(g, tb, b.mm, 0, nt, b.yt);
    scatter_out(j->p, g, b.yt, t0, 0, nt, j->bias, &j->act, j->y);
  }
}

static void wino_part(void *arg, int t, int nth, float *scratch) {
  const WinoJob *j = (const WinoJob *)arg;
  const WinoGeo *g = j->g;
  const int64_t aa = g->w->a * g->w->a;
  const Block b = block_at(g, g->tb, j->blk);
#define PART(n) ((n)*t / nth), ((n) * (t + 1) / nth)
  switch (j->phase) {
  case PH_LAYOUT: to_channels_last(j->p, g, j->x, PART(j->p->in_sp[0]), j->xt); break;
  case PH_TILES: tile_range(j, PART(g->tiles), scratch ? scratch : j->blk); break;
  case PH_INPUT: input_transform(g, g->tb, j->xt, j->t0, PART(j->nt), b.v); break;
  case PH_PRODUCTS: products(j, PART(aa), j->nt, g->tb, &b, scratch ? scratch : b.panels); break;
  case PH_OUTPUT: {
    int64_t lo = j->nt * t / nth, hi = j->nt * (t + 1) / nth;
    output_transform(g, g->tb, b.mm, lo, hi, b.yt);
    scatter_out(j->p, g, b.yt, j->t0, lo, hi, j->bias, &j->act, j->y);
    break;
  }
  default: {
    /* the residual and the activation, a row at a time */
    const int64_t oh = j->p->out_sp[0], ow = j->p->out_sp[1];
    Epi er = *j->e;
    er.res_ld = ow;
    for (int64_t o = j->p->m * t / nth; o < j->p->m * (t + 1) / nth; o++) {
      er.res = j->res ? j->res + o * oh * ow : NULL;
      for (int64_t oy = 0; oy < oh; oy++) finish_row(j->y + (o * oh + oy) * ow, ow, oy, 0, &er);
    }
  }
  }
#undef PART
}

static void wino_phase(WinoJob *j, int phase, int split) {
  j->phase = phase;
  if (!split || !mlc_rt_parallel(wino_part, j)) wino_part(j, 0, 1, NULL);
}

void mlc_rt__conv_winograd(const MlcConv *p, const float *x, const float *w, const float *bias,
                           const float *res, float *y, float *scratch, const Epi *e) {
  WinoGeo g = wino_geo(p);
  const int64_t inpix = p->in_sp[0] * p->in_sp[1], npix = p->out_sp[0] * p->out_sp[1];
  WinoJob j = {p,
               &g,
               e,
               NULL,
               w,
               bias,
               NULL,
               NULL,
               scratch,
               NULL,
               0,
               0,
               mlc_rt_packed_floats(g.mp, g.cp, p->packed_w),
               g.tb,
               0,
               {0, 0, 0, NULL}};
  /* with no residual, Relu and Clip go with the bias as the outputs are
   * stored, and there is no epilogue left to run */
  const int fused = epi_clamp(e, &j.act) && !res;
  if (!fused) j.act.kind = 0;
  j.blk = j.xt + g.hp * g.wp * g.cp;
  const int nth = mlc_rt_pool_threads();
  const int split = nth > 1 && 2 * 9 * p->c * p->m * npix >= PAR_FLOPS;
  /* split by tiles: each thread's blocks in its own scratch, a worker's of
   * MLC_RT_POOL_SCRATCH floats (the caller's, planned for blocks of
   * g.tb, holds any smaller) */
  if (split) {
    while (j.tbt >= MIN_TILES && block_floats(&g, j.tbt) > MLC_RT_POOL_SCRATCH) j.tbt--;
    if (j.tbt < MIN_TILES || g.tiles < nth * MIN_TILES) j.tbt = 0;
  }
  for (int64_t n = 0; n < p->n; n++) {
    j.x = x + n * p->c * inpix;
    j.res = res ? res + n * p->m * npix : NULL;
    j.y = y + n * p->m * npix;
    memset(j.xt, 0, (size_t)(g.hp * g.wp * g.cp) * sizeof *j.xt);
    wino_phase(&j, PH_LAYOUT, split);
    if (j.tbt) {
      wino_phase(&j, PH_TILES, split);
    } else {
      for (j.t0 = 0; j.t0 < g.tiles; j.t0 += g.tb) {
        j.nt = g.tiles - j.t0 < g.tb ? g.tiles - j.t0 : g.tb;
        wino_phase(&j, PH_INPUT, split);
        wino_phase(&j, PH_PRODUCTS, split);
        wino_phase(&j, PH_OUTPUT, split);
      }
    }
    if (!fused) wino_phase(&j, PH_EPILOGUE, split);
  }
}
