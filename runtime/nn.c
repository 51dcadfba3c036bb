/* The GEMM-based kernels: Gemm, MatMul and Conv, over one cache-blocked
 * single-precision matrix product.
 *
 * The product follows the Goto/BLIS scheme: C is computed in blocks of NC
 * columns; for each slice of the inner dimension (at most KC deep, all
 * alike: depth_step()) the runtime packs a slice x NC panel of B into
 * NR-wide strips (or, in a product of few rows,
 * reads a plain B's strips in place), and a micro-kernel multiplies MR
 * rows of A by one B strip into an MR x NR register tile. A's rows are read
 * in place when they are contiguous (packing them costs as much as the
 * product when n is small), else packed into MR-tall strips too. The strip
 * layout is what lets gcc vectorize the micro-kernel from plain C: its loops
 * have constant trip counts, the row loop is unrolled by a pragma, and the
 * column loop becomes vector FMAs on a tile that stays in registers. MR and
 * NR follow the vector width the runtime is compiled for. The same concern
 * shapes the other hot loops here: at -O2 gcc vectorizes only loops of a
 * constant trip count, so they run in constant-length chunks. Buffers come
 * from the caller (the scratch io slot, sized by mlc_rt_gemm_scratch() and
 * mlc_rt_conv_scratch()): kernels never allocate.
 *
 * Operands are read through element strides, so transposes cost nothing but
 * the packing order. Conv never materializes im2col: its B operand is the
 * implicit im2col matrix of one image, which the B packer reads straight
 * from the input (runs of output columns along one row map to strided runs
 * of input, with zeros where the window hangs over the padding). A 1x1,
 * stride-1, unpadded conv is a plain product with the image; a depthwise conv
 * (one input and one output channel per group) skips GEMM for a direct loop
 * (nn_depthwise.c).
 * Products with at most MLC_RT_GEMM_THIN rows or columns skip packing for dot
 * products (mlc_rt_gemm_packs() decides, for the kernels and the scratch
 * formulas alike).
 * MatMul on doubles (matmul_f64) is a plain loop beside all this.
 *
 * Results pass through an epilogue on their last store: alpha, beta times a
 * broadcast bias (Gemm's C, Conv's per-channel bias), and an MLC_ACT_*
 * activation, so fused activations cost no extra pass over memory.
 *
 * With the optional thread pool (parallel.h), a big product computes C in
 * one part per thread, and a big depthwise conv splits its planes; without
 * it (the default) those paths fold away.
 */
#include <string.h>

#include "nn_int.h"

/* The micro-tile: MR rows of A by NR columns of B, held in registers. With
 * an instruction set the runtime has a hand-written micro-kernel for
 * (MLC_RT_ISA, mlc_rt_core.h) the tile is NR / NN_V vectors (nn_int.h)
 * wide and fills most of the vector registers (AVX-512: 12 x 32 in 24
 * of 32; AVX2: 6 x 16 in 12 of 16; NEON: 6 x 16 in 24 of 32); otherwise the
 * portable kernel's tile follows the width gcc vectorizes it for. */
#if MLC_RT_ISA == MLC_RT_ISA_X86_64_V4
#define MLC_RT_GEMM_SIMD 1
#define MR MLC_RT_TILE_AVX512_MR
#define MR2 MLC_RT_TILE_AVX512_MR2
#define NR MLC_RT_TILE_AVX512_NR
#elif MLC_RT_ISA == MLC_RT_ISA_X86_64_V3
#define MLC_RT_GEMM_SIMD 1
#define MR MLC_RT_TILE_AVX2_MR
#define MR2 MLC_RT_TILE_AVX2_MR2
#define NR MLC_RT_TILE_AVX2_NR
#elif MLC_RT_ISA == MLC_RT_ISA_AARCH64
#define MLC_RT_GEMM_SIMD 1
#define MR MLC_RT_TILE_NEON_MR
#define MR2 MLC_RT_TILE_NEON_MR2
#define NR MLC_RT_TILE_NEON_NR
#elif defined(__AVX512F__)
#define MR 8
#define NR 32
#elif defined(__AVX__)
#define MR 6
#define NR 16
#else
#define MR 4
#define NR 8
#endif
#ifndef MLC_RT_GEMM_SIMD
#define MLC_RT_GEMM_SIMD 0
#define MR2 MR /* the portable kernel has one height */
#endif
#define MC MLC_RT_GEMM_MC
#define KC MLC_RT_GEMM_KC
#define NC MLC_RT_GEMM_NC
#define B_DIRECT_ROWS 64
#define ROWS_PANEL (512 * 1024) /* bytes of B panel gemm_packed goes row-wise over */

#if MC % MR || MC % MR2 || NC % NR || MR > MLC_RT_GEMM_SLACK || NR > MLC_RT_GEMM_SLACK
#error "GEMM blocks must be whole micro-tiles within mlc_rt_gemm_scratch()"
#endif

/* one row of a tile: y = alpha*t + beta*bias on the first slice of the
 * inner dimension, y += alpha*t on later ones, then the activation on the
 * last. Inlined with n = NR for whole tiles, so its loops vectorize. */
static MLC_INLINE void store_row(float *restrict y, const float *restrict t, int n, int64_t i,
                                 int64_t j0, int first, int last, const Epi *e) {
  if (!first) {
    for (int j = 0; j < n; j++) y[j] += e->alpha * t[j];
  } else if (e->bias && e->bcs == 0) {
    float b = e->beta * e->bias[i * e->brs];
    for (int j = 0; j < n; j++) y[j] = e->alpha * t[j] + b;
  } else if (e->bias) {
    const float *b = e->bias + i * e->brs + j0 * e->bcs;
    for (int j = 0; j < n; j++) y[j] = e->alpha * t[j] + e->beta * b[j * e->bcs];
  } else {
    for (int j = 0; j < n; j++) y[j] = e->alpha * t[j];
  }
  if (last) finish_row(y, n, i, j0, e);
}

/* stores an mr x nr tile t (row stride NR) of C at (i0, j0) */
static void store_tile(const float *t, float *c, int64_t ldc, int mr, int nr, int64_t i0,
                       int64_t j0, int first, int last, const Epi *e) {
  for (int i = 0; i < mr; i++) {
    if (nr == NR)
      store_row(c + i * ldc, t + i * NR, NR, i0 + i, j0, first, last, e);
    else
      store_row(c + i * ldc, t + i * NR, nr, i0 + i, j0, first, last, e);
  }
}

/* ---- packing ------------------------------------------------------------ */

/* rows [i0, i0+mc) x depth [k0, k0+kc) of A into h-tall strips: strip s,
 * depth p holds A(i0 + s*h + r, k0 + p) at p*h + r, rows past mc zero */
static void pack_a(Mat a, int64_t h, int64_t i0, int64_t mc, int64_t k0, int64_t kc, float *dst) {
  for (int64_t ir = 0; ir < mc; ir += h) {
    int64_t rows = min64(h, mc - ir);
    float *d = dst + ir * kc;
    const float *src = a.p + (i0 + ir) * a.rs + k0 * a.cs;
    if (rows < h) memset(d, 0, (size_t)(kc * h) * sizeof *d);
#if MLC_RT_ISA == MLC_RT_ISA_X86_64_V4
    if (a.cs == 1 && h <= NN_V) {
      /* 16 columns of the strip's rows at a time, transposed in
       * registers: a column of the block is then a vector (rows past the
       * strip's zero), stored as the h floats of its place */
      for (int64_t p = 0; p < kc; p += NN_V) {
        const int64_t n = min64(NN_V, kc - p);
        Vec r[NN_V];
        NN_UNROLL
        for (int i = 0; i < NN_V; i++)
          r[i] = i < rows ? v_load_part(src + i * a.rs + p, n) : v_set1(0);
        v_transpose16(r);
        NN_UNROLL
        for (int j = 0; j < NN_V; j++)
          if (j < n) v_store(d + (p + j) * h, r[j], h);
      }
      continue;
    }
#endif
    if (a.rs == 1) {
      for (int64_t p = 0; p < kc; p++)
        for (int64_t r = 0; r < rows; r++) d[p * h + r] = src[p * a.cs + r];
    } else {
      for (int64_t r = 0; r < rows; r++)
        for (int64_t p = 0; p < kc; p++) d[p * h + r] = src[r * a.rs + p * a.cs];
    }
  }
}

void mlc_rt_pack_strips(const float *src, int64_t groups, int64_t rows, int64_t cols, int64_t rs,
                        int64_t cs, int64_t side, float *dst) {
  for (int64_t g = 0; g < groups;
       g++, src += rows * cols, dst += mlc_rt_packed_floats(rows, cols, side))
    for (int64_t s0 = 0; s0 < rows; s0 += side) {
      float *d = dst + s0 * cols;
      for (int64_t q = 0; q < cols; q++)
        for (int64_t r = 0; r < side; r++)
          d[q * side + r] = s0 + r < rows ? src[(s0 + r) * rs + q * cs] : 0;
    }
}

void mlc_rt_gemm_tiles(int64_t *mr, int64_t *mr2, int64_t *nr) { *mr = MR, *mr2 = MR2, *nr = NR; }

/* depth [k0, k0+kc) x columns [j0, j0+nc) of a plain B into NR-wide strips:
 * strip s, depth p holds B(k0 + p, j0 + s*NR + c) at p*NR + c */
static void pack_b_mat(Mat b, int64_t k0, int64_t kc, int64_t j0, int64_t nc, float *dst) {
  for (int64_t jr = 0; jr < nc; jr += NR) {
    int64_t w = min64(NR, nc - jr);
    float *d = dst + jr * kc;
    const float *src = b.p + k0 * b.rs + (j0 + jr) * b.cs;
    if (w < NR) memset(d, 0, (size_t)(kc * NR) * sizeof *d);
    if (b.cs == 1 && w == NR) {
      for (int64_t p = 0; p < kc; p++) memcpy(d + p * NR, src + p * b.rs, NR * sizeof *d);
    } else if (b.cs == 1) {
      for (int64_t p = 0; p < kc; p++) memcpy(d + p * NR, src + p * b.rs, (size_t)w * sizeof *d);
    } else {
      for (int64_t c = 0; c < w; c++)
        for (int64_t p = 0; p < kc; p++) d[p * NR + c] = src[p * b.rs + c * b.cs];
    }
  }
}

/* columns of one strip that share an output row: input coordinates of the
 * window origin of the first (for kernel offset 0) */
typedef struct Run {
  int64_t t0, len, iz, iy, ix;
} Run;

/* One run of an im2col row: d[t] = src[ix + t*sx] for t < len, zero where
 * ix + t*sx falls outside [0, n). `room` floats may be read from src on.
 * Short copies are the bulk of packing, and a memcpy call of a variable
 * length costs more than the copy (and a strided one does not vectorize);
 * so where the input has a whole vector, a stride-1 or 2 run copies NR
 * floats (a constant length), spilling past its end into slots of the panel
 * that are written later (the scratch has room for the last spill). */
static void im2col_run(float *restrict d, const float *restrict src, int64_t ix, int64_t len,
                       int64_t sx, int64_t n, int64_t room) {
  int64_t lo, hi;
  if (sx == 1) {
    lo = ix >= 0 ? 0 : -ix;
    hi = n - ix;
  } else {
    lo = ix >= 0 ? 0 : (-ix + sx - 1) / sx;
    hi = ix >= n ? 0 : (n - 1 - ix) / sx + 1;
  }
  if (lo > len) lo = len;
  if (hi > len) hi = len;
  if (hi < lo) hi = lo;
  for (int64_t t = 0; t < lo; t++) d[t] = 0;
  if (hi == lo) {
    /* nothing to copy (and src + ix + lo may lie before the input) */
  } else if (sx == 1 && ix + lo + NR <= room) {
    memcpy(d + lo, src + ix + lo, NR * sizeof *d);
  } else if (sx == 2 && ix + 2 * (lo + NR) <= room && NR % 16 == 0) {
    for (int t = 0; t < NR; t += 16) mlc_rt__evens16(d + lo + t, src + ix + 2 * (lo + t));
  } else if (sx == 2 && ix + 2 * (lo + NR) <= room) {
    for (int t = 0; t < NR; t++) d[lo + t] = src[ix + 2 * (lo + t)];
  } else if (sx == 1) {
    memcpy(d + lo, src + ix + lo, (size_t)(hi - lo) * sizeof *d);
  } else {
    for (int64_t t = lo; t < hi; t++) d[t] = src[ix + t * sx];
  }
  for (int64_t t = hi; t < len; t++) d[t] = 0;
}

static void pack_b_im2col(const Im2col *g, int64_t k0, int64_t kc, int64_t j0, int64_t nc,
                          float *dst) {
  const int64_t ow = g->out[2], oh = g->out[1];
  const int64_t plane = g->in[0] * g->in[1] * g->in[2];
  for (int64_t jr = 0; jr < nc; jr += NR) {
    int64_t w = min64(NR, nc - jr);
    float *d = dst + jr * kc;
    Run runs[NR];
    int nrun = 0;
    int64_t j = j0 + jr, ox = j % ow, oy = j / ow % oh, oz = j / ow / oh;
    for (int64_t t = 0; t < w; nrun++) {
      Run *r = &runs[nrun];
      r->t0 = t;
      r->len = min64(w - t, ow - ox);
      r->iz = oz * g->s[0] - g->pad[0];
      r->iy = oy * g->s[1] - g->pad[1];
      r->ix = ox * g->s[2] - g->pad[2];
      t += r->len;
      ox = 0;
      if (++oy == oh) {
        oy = 0;
        oz++;
      }
    }
    /* row k0 = (c, kz, ky, kx), advanced like an odometer */
    int64_t kx = k0 % g->k[2], ky = k0 / g->k[2] % g->k[1];
    int64_t kz = k0 / g->k[2] / g->k[1] % g->k[0];
    int64_t c = k0 / g->k[2] / g->k[1] / g->k[0];
    for (int64_t p = 0; p < kc; p++) {
      float *row = d + p * NR;
      for (int i = 0; i < nrun; i++) {
        const Run *r = &runs[i];
        int64_t iz = r->iz + kz * g->d[0], iy = r->iy + ky * g->d[1];
        if (iz < 0 || iz >= g->in[0] || iy < 0 || iy >= g->in[1]) {
          memset(row + r->t0, 0, (size_t)r->len * sizeof *row);
          continue;
        }
        int64_t at = c * plane + (iz * g->in[1] + iy) * g->in[2];
        im2col_run(row + r->t0, g->x + at, r->ix + kx * g->d[2], r->len, g->s[2], g->in[2],
                   g->nx - at);
      }
      for (int64_t t = w; t < NR; t++) row[t] = 0;
      im2col_next_tap(g->k, &c, &kz, &ky, &kx);
    }
  }
}

/* ---- the product -------------------------------------------------------- */

/* The A strip x B strip over depth kc, A(i, p) at a[i*ars + p*acs] (a
 * packed strip, or MR rows of A read in place), stored to the MR x NR tile
 * at c (row stride ldc): as acc + rb[i] on the first slice of the inner
 * dimension, as c + acc on later ones, then through cl (on the last slice,
 * where the epilogue is only that). Whole tiles of a plain epilogue go
 * straight from registers to C; the rest through a local tile. A
 * hand-written kernel also prefetches pf[p * rows] into L2 at each step p
 * of the depth, which covers the rows * kc floats from pf: a strip that a
 * later tile reads (pf = a for none). */
#if MLC_RT_GEMM_SIMD
#define NV (NR / NN_V)
/* the first nv vectors of the tile (nv <= NV) */
static MLC_INLINE void micro_vecs(const int rows, const int nv, int64_t kc, const float *restrict a,
                                  int64_t ars, int64_t acs, const float *restrict b, int64_t brs,
                                  float *restrict c, int64_t ldc, const float *restrict rb,
                                  int first, const Clamp *cl, const float *pf) {
  /* a hand-written kernel is only given packed strips (ars 1, acs rows:
   * gemm_packed reads no rows in place for it), and constant offsets keep
   * the rows' addresses out of the registers the tile needs */
  (void)ars, (void)acs;
  Vec acc[MR][NV];
  _Pragma("GCC unroll 16") for (int i = 0; i < rows; i++) for (int v = 0; v < nv; v++) acc[i][v] =
      v_set1(0);
  _Pragma("GCC unroll 4") for (int64_t p = 0; p < kc; p++) {
    Vec bv[NV];
    NN_PREFETCH(pf + p * rows);
    _Pragma("GCC unroll 4") for (int v = 0; v < nv; v++) bv[v] = v_load(b + p * brs + v * NN_V);
    _Pragma("GCC unroll 16") for (int i = 0; i < rows; i++) {
      Vec ai = v_set1(a[p * rows + i]);
      _Pragma("GCC unroll 4") for (int v = 0; v < nv; v++) acc[i][v] = v_fma(acc[i][v], ai, bv[v]);
    }
  }
  const Vec lo = v_set1(cl->lo), hi = v_set1(cl->hi);
  _Pragma("GCC unroll 16") for (int i = 0; i < rows; i++) {
    Vec r = v_set1(first ? rb[i] : 0);
    _Pragma("GCC unroll 4") for (int v = 0; v < nv; v++) {
      float *ci = c + i * ldc + v * NN_V;
      Vec y = v_add(acc[i][v], first ? r : v_load(ci));
      if (cl->res) y = v_add(y, v_load(cl->res + i * ldc + v * NN_V));
      v_store(ci, v_clamp(y, cl->kind, lo, hi), NN_V);
    }
  }
}
static MLC_INLINE void micro_rows(const int rows, int64_t kc, const float *restrict a, int64_t ars,
                                  int64_t acs, const float *restrict b, int64_t brs,
                                  float *restrict c, int64_t ldc, const float *restrict rb,
                                  int first, const Clamp *cl, const float *pf) {
  micro_vecs(rows, NV, kc, a, ars, acs, b, brs, c, ldc, rb, first, cl, pf);
}

/* The last nc < NN_V columns of a product, which a vector across the
 * columns would mostly waste: each column as a vector down the rows (rows
 * <= NN_V) of the packed strip a, into t[i * NR + j]. Four columns at a
 * time share one pass over the depth, a load of the strip's row serving
 * all four (a 14x14 image's last 4 of 196 columns cost 9 % of a 576 ->
 * 96 conv one by one); a column left over is summed in four parts over
 * the depth to keep four FMAs in flight. */
static MLC_INLINE Vec strip_row(const float *a, int64_t p, const int rows) {
  return rows == NN_V ? v_load(a + p * rows) : v_load_part(a + p * rows, rows);
}
static MLC_INLINE void micro_cols(const int rows, int64_t kc, const float *restrict a,
                                  const float *restrict b, int64_t brs, int nc, float *restrict t) {
  int j = 0;
  for (; j + 4 <= nc; j += 4) {
    Vec s[4] = {v_set1(0), v_set1(0), v_set1(0), v_set1(0)};
    for (int64_t p = 0; p < kc; p++) {
      const Vec ar = strip_row(a, p, rows);
      _Pragma("GCC unroll 4") for (int q = 0; q < 4; q++) s[q] =
          v_fma(s[q], ar, v_set1(b[p * brs + j + q]));
    }
    _Pragma("GCC unroll 4") for (int q = 0; q < 4; q++) {
      float col[NN_V];
      v_store(col, s[q], NN_V);
      for (int i = 0; i < rows; i++) t[i * NR + j + q] = col[i];
    }
  }
  for (; j < nc; j++) {
    Vec s0 = v_set1(0), s1 = s0, s2 = s0, s3 = s0;
    int64_t p = 0;
    for (; p + 4 <= kc; p += 4) {
      s0 = v_fma(s0, strip_row(a, p, rows), v_set1(b[p * brs + j]));
      s1 = v_fma(s1, strip_row(a, p + 1, rows), v_set1(b[(p + 1) * brs + j]));
      s2 = v_fma(s2, strip_row(a, p + 2, rows), v_set1(b[(p + 2) * brs + j]));
      s3 = v_fma(s3, strip_row(a, p + 3, rows), v_set1(b[(p + 3) * brs + j]));
    }
    for (; p < kc; p++) s0 = v_fma(s0, strip_row(a, p, rows), v_set1(b[p * brs + j]));
    float col[NN_V];
    v_store(col, v_add(v_add(s0, s1), v_add(s2, s3)), NN_V);
    for (int i = 0; i < rows; i++) t[i * NR + j] = col[i];
  }
}
#else
static MLC_INLINE void micro_rows(const int rows, int64_t kc, const float *restrict a, int64_t ars,
                                  int64_t acs, const float *restrict b, int64_t brs,
                                  float *restrict c, int64_t ldc, const float *restrict rb,
                                  int first, const Clamp *cl, const float *pf) {
  (void)pf;
  float acc[MR][NR];
  /* the first product initializes the tile (kc >= 1): zeroing it instead
   * makes gcc clear a stack copy with a memset call */
  _Pragma("GCC unroll 16") for (int i = 0; i < rows; i++) for (int j = 0; j < NR; j++) acc[i][j] =
      a[i * ars] * b[j];
  for (int64_t p = 1; p < kc; p++) {
    _Pragma("GCC unroll 16") for (int i = 0; i < rows; i++) {
      float ai = a[i * ars + p * acs];
      for (int j = 0; j < NR; j++) acc[i][j] += ai * b[p * brs + j];
    }
  }
  if (first) {
    for (int i = 0; i < rows; i++)
      for (int j = 0; j < NR; j++) c[i * ldc + j] = acc[i][j] + rb[i];
  } else {
    for (int i = 0; i < rows; i++)
      for (int j = 0; j < NR; j++) c[i * ldc + j] += acc[i][j];
  }
  for (int i = 0; i < rows && cl->res; i++)
    for (int j = 0; j < NR; j++) c[i * ldc + j] += cl->res[i * ldc + j];
  for (int i = 0; i < rows && cl->kind; i++)
    for (int j = 0; j < NR; j++) c[i * ldc + j] = clamp_f32(c[i * ldc + j], cl);
}
#endif

/* one micro-kernel per tile height, each with its loops unrolled */
typedef void (*MicroFn)(int64_t kc, const float *restrict a, int64_t ars, int64_t acs,
                        const float *restrict b, int64_t brs, float *restrict c, int64_t ldc,
                        const float *restrict rb, int first, const Clamp *cl, const float *pf);
static MLC_NOINLINE void micro_tall(int64_t kc, const float *restrict a, int64_t ars, int64_t acs,
                                    const float *restrict b, int64_t brs, float *restrict c,
                                    int64_t ldc, const float *restrict rb, int first,
                                    const Clamp *cl, const float *pf) {
  micro_rows(MR, kc, a, ars, acs, b, brs, c, ldc, rb, first, cl, pf);
}
#if MR2 != MR
static MLC_NOINLINE void micro_low(int64_t kc, const float *restrict a, int64_t ars, int64_t acs,
                                   const float *restrict b, int64_t brs, float *restrict c,
                                   int64_t ldc, const float *restrict rb, int first,
                                   const Clamp *cl, const float *pf) {
  micro_rows(MR2, kc, a, ars, acs, b, brs, c, ldc, rb, first, cl, pf);
}
#else
#define micro_low micro_tall
#endif

/* no bias, no epilogue: the raw product */
static const float no_bias[MR];
static const Clamp no_end = {0, 0, 0, NULL};

/* The raw tile (first slice, no epilogue) of a part strip of nr < NR
 * columns, into t (row stride NR), A's strip h tall. With hand-written
 * kernels, columns past the last whole vector that are fewer than the
 * strip's rows go one at a time down the rows (micro_cols) rather than as
 * a vector across them, and a strip of at most a vector is one vector: a
 * 7x7 image's 49 columns cost 3 vectors and a column, not 4 vectors. */
#if MLC_RT_GEMM_SIMD
#define MICRO_ONE(name, rows)                                                                    \
  static MLC_NOINLINE void name##_one(int64_t kc, const float *restrict a,                       \
                                      const float *restrict b, int64_t brs, float *restrict t) { \
    micro_vecs(rows, 1, kc, a, 1, rows, b, brs, t, NR, no_bias, 1, &no_end, a);                  \
  }
MICRO_ONE(tall, MR)
#if MR2 != MR
MICRO_ONE(low, MR2)
#else
#define low_one tall_one
#endif
#define VEC_COLS 4 /* the most columns after the vector micro_vec_cols() takes */
/* A part strip of a vector and nc columns, nc < rows and nc <= VEC_COLS
 * (a 7x7 image's last 17 of 49), into t as micro_vecs() and micro_cols()
 * would store them, in one pass over the depth: each step reads the
 * strip's B row once for both (apart, the columns cost a B row a step for
 * one multiply-add, and the last of 49 columns a tenth of a 320 -> 1280
 * conv's time). */
static MLC_INLINE void micro_vec_cols(const int rows, const int nc, int64_t kc,
                                      const float *restrict a, const float *restrict b, int64_t brs,
                                      float *restrict t) {
  Vec acc[MR], col[VEC_COLS];
  _Pragma("GCC unroll 16") for (int i = 0; i < rows; i++) acc[i] = v_set1(0);
  _Pragma("GCC unroll 16") for (int j = 0; j < nc; j++) col[j] = v_set1(0);
  _Pragma("GCC unroll 2") for (int64_t p = 0; p < kc; p++) {
    const Vec bv = v_load(b + p * brs), ar = strip_row(a, p, rows);
    _Pragma("GCC unroll 16") for (int i = 0; i < rows; i++) acc[i] =
        v_fma(acc[i], v_set1(a[p * rows + i]), bv);
    _Pragma("GCC unroll 16") for (int j = 0; j < nc; j++) col[j] =
        v_fma(col[j], ar, v_set1(b[p * brs + NN_V + j]));
  }
  _Pragma("GCC unroll 16") for (int i = 0; i < rows; i++) v_store(t + i * NR, acc[i], NN_V);
  for (int j = 0; j < nc; j++) {
    float c[NN_V];
    v_store(c, col[j], NN_V);
    for (int i = 0; i < rows; i++) t[i * NR + NN_V + j] = c[i];
  }
}
#define VEC_COLS_FN(name, rows)                                                            \
  static MLC_NOINLINE void name(int nc, int64_t kc, const float *restrict a,               \
                                const float *restrict b, int64_t brs, float *restrict t) { \
    switch (nc) {                                                                          \
    case 1: micro_vec_cols(rows, 1, kc, a, b, brs, t); break;                              \
    case 2: micro_vec_cols(rows, 2, kc, a, b, brs, t); break;                              \
    case 3: micro_vec_cols(rows, 3, kc, a, b, brs, t); break;                              \
    default: micro_vec_cols(rows, VEC_COLS, kc, a, b, brs, t); break;                      \
    }                                                                                      \
  }
#if MR <= NN_V
VEC_COLS_FN(tall_vec_cols, MR)
#endif
#if MR2 <= NN_V && MR2 != MR
VEC_COLS_FN(low_vec_cols, MR2)
#endif

/* micro_cols for the strip heights no taller than a vector */
static MLC_NOINLINE void cols_down(int64_t h, int64_t kc, const float *restrict a,
                                   const float *restrict b, int64_t brs, int nc,
                                   float *restrict t) {
#if MR <= NN_V
  if (h == MR) {
    micro_cols(MR, kc, a, b, brs, nc, t);
    return;
  }
#endif
#if MR2 <= NN_V && MR2 != MR
  if (h == MR2) micro_cols(MR2, kc, a, b, brs, nc, t);
#endif
}
#endif
static void part_tile(int64_t h, int64_t kc, const float *a, int64_t ars, int64_t acs,
                      const float *b, int64_t brs, int nr, float *t) {
#if MLC_RT_GEMM_SIMD
  int nv = nr / NN_V, left = nr % NN_V;
  if (h <= NN_V && nv == 1 && left > 0 && left < h && left <= VEC_COLS) {
#if MR <= NN_V
    if (h == MR) {
      tall_vec_cols(left, kc, a, b, brs, t);
      return;
    }
#endif
#if MR2 <= NN_V && MR2 != MR
    if (h == MR2) {
      low_vec_cols(left, kc, a, b, brs, t);
      return;
    }
#endif
  }
  if (h <= NN_V && nv <= 1 && left > 0 && left < h) {
    if (nv) (h == MR ? tall_one : low_one)(kc, a, b, brs, t);
    cols_down(h, kc, a, b + nv * NN_V, brs, left, t + nv * NN_V);
    return;
  }
  if (nr <= NN_V) {
    (h == MR ? tall_one : low_one)(kc, a, b, brs, t);
    return;
  }
#else
  (void)nr; /* the portable kernel computes whole strips */
#endif
  (h == MR ? micro_tall : micro_low)(kc, a, ars, acs, b, brs, t, NR, no_bias, 1, &no_end, a);
}

/* The depth of the product's slices: k spread evenly (rounded up to 8)
 * over as few slices of at most KC as hold it, rather than whole KCs and
 * a short rest, which would make short micro-kernel calls (MobileNetV2's
 * 576-, 320- and 960-deep 1x1 convs took 256 + 256 + 64, 256 + 64 and
 * 3 x 256 + 192: the model 1.025x faster, ResNet-50 1.01x) */
static int64_t depth_step(int64_t k) {
  int64_t slices = (k + KC - 1) / KC;
  return ((k + slices - 1) / slices + 7) / 8 * 8;
}

/* Rows [i0, i1) x columns [j0, j1) of C (row stride ldc) = epilogue(A (m x
 * k) B (k x n)) through packed panels, in the coordinates of the whole
 * product (a thread computes one such part); scratch holds
 * mlc_rt_gemm_panels(i1 - i0, j1 - j0, k) floats. Whole strips of a
 * row-major A (Conv's weights, MatMul's left operand) are read in place:
 * their rows are already sequential, and packing them would cost as much as
 * the product when n is small. */
static void gemm_packed(int64_t i0, int64_t i1, int64_t j0, int64_t j1, int64_t k, Mat a, BSrc b,
                        float *c, int64_t ldc, const Epi *e, float *scratch) {
  float *bp = scratch;
  float *ap = scratch + (min64(j1 - j0, NC) + MLC_RT_GEMM_SLACK) * min64(k, KC);
  float tile[MR * NR], rb[MR];
  const int64_t h = a.h, kstep = depth_step(k);
  MicroFn micro = h == MR ? micro_tall : micro_low;
  /* alpha 1 and a bias constant along rows: whole tiles store directly */
  int plain = e->alpha == 1 && (!e->bias || e->bcs == 0);
  /* a plain B of contiguous rows, in a product of few rows, is read in
   * place strip by strip (but for a last part strip, packed with its
   * zeros): packing it costs more than the few strips of A reading it save
   * (measured on AVX-512: 1x1 convs to 16-64 channels 1.1-1.3x faster in
   * place; a 128-row MatMul 1.15x slower) */
  int b_direct = !b.col && !b.m.pk && b.m.cs == 1 && i1 - i0 <= B_DIRECT_ROWS;
  /* the whole epilogue in the micro-kernel: a residual laid out as C, then
   * none of the activations or one it applies */
  Clamp fused;
  const int fuse = epi_clamp(e, &fused) && (!e->res || e->res_ld == ldc);
  if (!fuse) fused.kind = 0;
  for (int64_t jc = j0; jc < j1; jc += NC) {
    int64_t nc = min64(NC, j1 - jc);
    for (int64_t pc = 0; pc < k; pc += kstep) {
      int64_t kc = min64(kstep, k - pc);
      int first = pc == 0, last = pc + kc == k;
      if (b.col)
        pack_b_im2col(b.col, pc, kc, jc, nc, bp);
      else if (!b.m.pk && !b_direct)
        pack_b_mat(b.m, pc, kc, jc, nc, bp);
      else if (b_direct && nc % NR)
        pack_b_mat(b.m, pc, kc, jc + nc / NR * NR, nc % NR, bp + nc / NR * NR * kc);
      for (int64_t ic = i0; ic < i1; ic += MC) {
        int64_t mc = min64(MC, i1 - ic);
        /* rows read in place: whole strips of a row-major A, by the portable
         * kernel (a hand-written one packs them: reading MR rows in place
         * ties up as many address registers) */
        int64_t direct = a.cs == 1 && !MLC_RT_GEMM_SIMD ? mc / h * h : 0;
        if (!a.pk) pack_a(a, h, ic + direct, mc - direct, pc, kc, ap);
        /* Tiles go row strip by row strip where the B panel fits in L2
         * with room to spare: the A strip stays in L1 while the B strips
         * stream from L2, and the stores to C (and the epilogue's reads
         * of a residual) advance along rows, which the prefetchers follow
         * (measured on AVX-512: a 1x1 conv with a residual, 64 -> 256
         * channels at 56x56, 1.15x faster than the other way). A bigger
         * panel would stream from L3 once per row strip, so tiles go
         * column strip by column strip: each B strip stays in L1 while the
         * A block streams from L2 (BERT-base's products 1.05x faster, a
         * 20 x 8210 one 1.2x) */
        int by_rows = kc * nc * (int64_t)sizeof(float) <= ROWS_PANEL;
        int64_t outer = by_rows ? mc : nc, inner = by_rows ? nc : mc;
        for (int64_t u = 0; u < outer; u += by_rows ? h : NR)
          for (int64_t v = 0; v < inner; v += by_rows ? NR : h) {
            int64_t ir = by_rows ? u : v, jr = by_rows ? v : u;
            int mr = (int)min64(h, mc - ir), nr = (int)min64(NR, nc - jr);
            const float *as = a.pk          ? a.pk + (ic + ir) * k + pc * h
                              : ir < direct ? a.p + (ic + ir) * a.rs + pc
                                            : ap + (ir - direct) * kc;
            int64_t ars = !a.pk && ir < direct ? a.rs : 1, acs = !a.pk && ir < direct ? 1 : h;
            float *cs = c + (ic + ir) * ldc + jc + jr;
            const float *bs = b.m.pk ? b.m.pk + (jc + jr) * k + pc * NR : bp + jr * kc;
            int64_t brs = NR;
            if (b_direct && nr == NR) bs = b.m.p + pc * b.m.rs + jc + jr, brs = b.m.rs;
            if (plain && mr == h && nr == NR) {
              for (int i = 0; i < mr && first; i++)
                rb[i] = e->bias ? e->beta * e->bias[(ic + ir + i) * e->brs] : 0;
              fused.res = fuse && e->res ? e->res + (ic + ir) * ldc + jc + jr : NULL;
              /* Within a model, packed weights come from memory rather
               * than cache, and the prefetchers start over at each
               * strip. The tile that first reads a strip fetches the next
               * one into L2 as it goes: by rows the next A strip, by
               * columns the next B strip over the first row strips
               * (measured on AVX-512 with weights out of cache: 1x1 convs
               * on 7x7 images 1.15x faster, BERT-base's products 1.02 to
               * 1.08x; MobileNetV2 1.035x, ResNet-50 1.025x) */
              const float *pf = as;
              if (by_rows && a.pk && ic + ir + h < i1 && v == 0) pf = as + k * h;
              if (!by_rows && b.m.pk && jc + jr + NR < j1 && v < NR)
                pf = b.m.pk + (jc + jr + NR) * k + pc * NR + min64(v, NR - h) * kc;
              micro(kc, as, ars, acs, bs, brs, cs, ldc, rb, first, last ? &fused : &no_end, pf);
              for (int i = 0; i < mr && last && !fuse; i++)
                finish_row(cs + i * ldc, NR, ic + ir + i, jc + jr, e);
            } else {
              part_tile(h, kc, as, ars, acs, bs, brs, nr, tile);
              store_tile(tile, cs, ldc, mr, nr, ic + ir, jc + jr, first, last, e);
            }
          }
      }
    }
  }
}

/* sum of x[i] * y[i]; the partial sums let the loop vectorize without
 * reassociating float additions, four vectors of them keeping four chains
 * of multiply-adds in flight (MobileNetV2's classifier, a GEMV of 1000
 * dot products 1280 long, 1.2x faster warm and 1.13x within the model
 * than with one) */
static float dot(const float *x, const float *y, int64_t n) {
  float s0[16] = {0}, s1[16] = {0}, s2[16] = {0}, s3[16] = {0};
  int64_t i = 0;
  for (; i + 64 <= n; i += 64)
    for (int t = 0; t < 16; t++) {
      s0[t] += x[i + t] * y[i + t];
      s1[t] += x[i + 16 + t] * y[i + 16 + t];
      s2[t] += x[i + 32 + t] * y[i + 32 + t];
      s3[t] += x[i + 48 + t] * y[i + 48 + t];
    }
  for (; i + 16 <= n; i += 16)
    for (int t = 0; t < 16; t++) s0[t] += x[i + t] * y[i + t];
  float r = 0;
  for (int t = 0; t < 16; t++) r += (s0[t] + s1[t]) + (s2[t] + s3[t]);
  for (; i < n; i++) r += x[i] * y[i];
  return r;
}

/* y += s * x over n floats, in vector chunks */
static void axpy(float *restrict y, float s, const float *restrict x, int64_t n) {
  int64_t i = 0;
  for (; i + 16 <= n; i += 16)
    for (int t = 0; t < 16; t++) y[i + t] += s * x[i + t];
  for (; i < n; i++) y[i] += s * x[i];
}

/* Rows [i0, i1) x columns [j0, j1) of a thin product (a few rows or
 * columns), in the coordinates of the whole product: dot products when both
 * operands run along k, row updates when B's rows are contiguous (j0 a
 * whole number of strips when B is packed) */
static void gemm_thin(int64_t i0, int64_t i1, int64_t j0, int64_t j1, int64_t k, Mat a, Mat b,
                      float *c, int64_t ldc, const Epi *e) {
  const int64_t n = j1 - j0;
  for (int64_t i = i0; i < i1; i++) {
    float *y = c + i * ldc + j0;
    const float *ai = a.p + i * a.rs;
    if (b.pk) {
      /* B packed at compile time: a row update per strip of NR columns */
      memset(y, 0, (size_t)n * sizeof *y);
      for (int64_t j = 0; j < n; j += NR)
        for (int64_t p = 0; p < k; p++)
          axpy(y + j, ai[p * a.cs], b.pk + (j0 + j) * k + p * NR, min64(NR, n - j));
    } else if (a.cs == 1 && b.rs == 1) {
      for (int64_t j = 0; j < n; j++) y[j] = dot(ai, b.p + (j0 + j) * b.cs, k);
    } else if (b.cs == 1) {
      memset(y, 0, (size_t)n * sizeof *y);
      for (int64_t p = 0; p < k; p++) axpy(y, ai[p * a.cs], b.p + p * b.rs + j0, n);
    } else {
      for (int64_t j = 0; j < n; j++) {
        float s = 0;
        for (int64_t p = 0; p < k; p++) s += ai[p * a.cs] * b.p[p * b.rs + (j0 + j) * b.cs];
        y[j] = s;
      }
    }
  }
  /* the epilogue, one row tile at a time */
  float t[NR];
  for (int64_t i = i0; i < i1; i++)
    for (int64_t j = j0; j < j1; j += NR) {
      int w = (int)min64(NR, j1 - j);
      float *y = c + i * ldc + j;
      memcpy(t, y, (size_t)w * sizeof *t);
      store_tile(t, y, ldc, 1, w, i, j, 1, 1, e);
    }
}

typedef struct GemmJob {
  int64_t m, n, k;
  Mat a;
  BSrc b;
  float *c, *scratch;
  int64_t ldc;
  const Epi *e;
  int thin; /* by gemm_thin (which packs nothing), else gemm_packed */
} GemmJob;

static void gemm_part(void *arg, int t, int nt, float *scratch) {
  const GemmJob *j = (const GemmJob *)arg;
  int by_cols = j->n >= j->m;
  int64_t unit = by_cols ? NR : j->a.h, len = by_cols ? j->n : j->m;
  int64_t units = (len + unit - 1) / unit;
  int64_t lo = min64(len, units * t / nt * unit), hi = min64(len, units * (t + 1) / nt * unit);
  if (lo >= hi) return;
  float *s = scratch ? scratch : j->scratch;
  int64_t i0 = by_cols ? 0 : lo, i1 = by_cols ? j->m : hi;
  int64_t j0 = by_cols ? lo : 0, j1 = by_cols ? hi : j->n;
  if (j->thin)
    gemm_thin(i0, i1, j0, j1, j->k, j->a, j->b.m, j->c, j->ldc, j->e);
  else
    gemm_packed(i0, i1, j0, j1, j->k, j->a, j->b, j->c, j->ldc, j->e, s);
}

/* the job in a function of its own: built inline in sgemm, it costs the
 * single-threaded path about 1% on small products (register allocation) */
static int gemm_parallel(int64_t m, int64_t n, int64_t k, Mat a, BSrc b, float *c, int64_t ldc,
                         const Epi *e, float *scratch, int thin) {
  GemmJob job = {m, n, k, a, b, c, scratch, ldc, e, thin};
  return mlc_rt_parallel(gemm_part, &job);
}

void mlc_rt__sgemm(int64_t m, int64_t n, int64_t k, Mat a, BSrc b, float *c, int64_t ldc,
                   const Epi *e, float *scratch) {
  if (m == 0 || n == 0) return;
  if (k == 0) {
    /* no products: the epilogue of a zero tile */
    float zero[NR] = {0};
    for (int64_t i = 0; i < m; i++)
      for (int64_t j = 0; j < n; j += NR)
        store_tile(zero, c + i * ldc + j, ldc, 1, (int)min64(NR, n - j), i, j, 1, 1, e);
    return;
  }
  if (!a.pk) a.h = mlc_rt_gemm_height(m, MR, MR2);
  /* thin products run unpacked, and a single row from a B packed at compile
   * time (the compiler packs B whatever m is when m varies at run time)
   * runs over its strips: a GEMV, which packing A would only slow; not from
   * a packed A (Winograd's) */
  const int thin = !a.pk && (b.m.pk ? m == 1 : !mlc_rt_gemm_packs(m, n, k, b.col != NULL));
  if (2 * m * n * k >= PAR_FLOPS && gemm_parallel(m, n, k, a, b, c, ldc, e, scratch, thin)) return;
  if (thin)
    gemm_thin(0, m, 0, n, k, a, b.m, c, ldc, e);
  else
    gemm_packed(0, m, 0, n, k, a, b, c, ldc, e, scratch);
}

/* ---- kernels ------------------------------------------------------------ */

void mlc_rt_gemm_f32(const void *params, void *const *io) {
  const MlcGemm *p = (const MlcGemm *)params;
  const float *c = p->has_c ? (const float *)io[MLC_GEMM_C] : NULL;
  const float *res = p->has_res ? (const float *)io[MLC_GEMM_RES] : NULL;
  float *y = (float *)io[MLC_GEMM_Y], *scratch = (float *)io[MLC_GEMM_SCRATCH];
  Mat a = {(const float *)io[MLC_GEMM_A], p->trans_a ? 1 : p->k, p->trans_a ? p->m : 1, NULL, 0};
  BSrc b = {{(const float *)io[MLC_GEMM_B], p->trans_b ? 1 : p->n, p->trans_b ? p->k : 1,
             p->packed_b ? (const float *)io[MLC_GEMM_B] : NULL, 0},
            NULL};
  Epi e = {(float)p->alpha, (float)p->beta,  c,   p->c_rs, p->c_cs, (int)p->act,
           (float)p->act_a, (float)p->act_b, res, p->n};
  mlc_rt__sgemm(p->m, p->n, p->k, a, b, y, p->n, &e, scratch);
}

/* MatMul's batches: their count, and the step from one batch to the next
 * (batch index idx, A's and B's element offsets ao and bo) */
static int64_t matmul_batches(const MlcMatMul *p) {
  int64_t nb = 1;
  for (int d = 0; d < p->brank; d++) nb *= p->bdims[d];
  return nb;
}

static void matmul_next(const MlcMatMul *p, int64_t *idx, int64_t *ao, int64_t *bo) {
  for (int d = (int)p->brank - 1; d >= 0; d--) {
    *ao += p->a_bs[d];
    *bo += p->b_bs[d];
    if (++idx[d] < p->bdims[d]) break;
    *ao -= p->a_bs[d] * p->bdims[d];
    *bo -= p->b_bs[d] * p->bdims[d];
    idx[d] = 0;
  }
}

/* A batched MatMul whose products are each too small to split, or whose
 * products share out evenly over the threads (attention's 12 heads over 2),
 * splits its batches over the threads of a job instead: its part of them,
 * with the scratch of the thread. Each thread then packs only its own
 * products' operands, and reads no part of the others'. */
typedef struct MatMulJob {
  const MlcMatMul *p;
  const float *a, *b;
  float *y, *scratch;
} MatMulJob;

static void matmul_part(void *arg, int t, int nt, float *scratch) {
  const MatMulJob *j = (const MatMulJob *)arg;
  const MlcMatMul *p = j->p;
  Epi e = {1, 0, NULL, 0, 0, MLC_ACT_NONE, 0, 0, NULL, 0};
  int64_t idx[MLC_RT_MAX_RANK] = {0}, nb = matmul_batches(p), ao = 0, bo = 0;
  int64_t lo = nb * t / nt, hi = nb * (t + 1) / nt;
  for (int64_t i = 0; i < hi; i++) {
    if (i >= lo) {
      BSrc bs = {{j->b + bo, p->n, 1, p->packed_b ? j->b : NULL, 0}, NULL};
      Mat as = {j->a + ao, p->k, 1, NULL, 0};
      mlc_rt__sgemm(p->m, p->n, p->k, as, bs, j->y + i * p->m * p->n, p->n, &e,
                    scratch ? scratch : j->scratch);
    }
    matmul_next(p, idx, &ao, &bo);
  }
}

void mlc_rt_matmul_f32(const void *params, void *const *io) {
  const MlcMatMul *p = (const MlcMatMul *)params;
  MatMulJob job = {p, (const float *)io[MLC_MATMUL_A], (const float *)io[MLC_MATMUL_B],
                   (float *)io[MLC_MATMUL_Y], (float *)io[MLC_MATMUL_SCRATCH]};
  int64_t nb = matmul_batches(p), flops = 2 * p->m * p->n * p->k, nth = mlc_rt_pool_threads();
  int whole =
      nb >= 2 && nb * flops >= PAR_FLOPS && (flops < PAR_FLOPS || nb % nth == 0 || nb >= 8 * nth);
  if (!whole || !mlc_rt_parallel(matmul_part, &job)) matmul_part(&job, 0, 1, NULL);
}

/* double products are rare (models computed in float64 end to end), so a
 * plain loop: each row of y accumulates k scaled rows of B, in order */
void mlc_rt_matmul_f64(const void *params, void *const *io) {
  const MlcMatMul *p = (const MlcMatMul *)params;
  const double *a = (const double *)io[MLC_MATMUL_A], *b = (const double *)io[MLC_MATMUL_B];
  double *y = (double *)io[MLC_MATMUL_Y];
  int64_t idx[MLC_RT_MAX_RANK] = {0}, nb = matmul_batches(p), ao = 0, bo = 0;
  for (int64_t i = 0; i < nb; i++) {
    for (int64_t r = 0; r < p->m; r++) {
      double *yr = y + (i * p->m + r) * p->n;
      const double *ar = a + ao + r * p->k;
      for (int64_t j = 0; j < p->n; j++) yr[j] = 0;
      for (int64_t q = 0; q < p->k; q++) {
        const double *bq = b + bo + q * p->n;
        for (int64_t j = 0; j < p->n; j++) yr[j] += ar[q] * bq[j];
      }
    }
    matmul_next(p, idx, &ao, &bo);
  }
}

void mlc_rt__conv_geometry(const MlcConv *p, Im2col *g) {
  int off = 3 - (int)p->nsp;
  for (int d = 0; d < 3; d++) {
    int s = d - off;
    g->in[d] = s < 0 ? 1 : p->in_sp[s];
    g->out[d] = s < 0 ? 1 : p->out_sp[s];
    g->k[d] = s < 0 ? 1 : p->k[s];
    g->s[d] = s < 0 ? 1 : p->stride[s];
    g->d[d] = s < 0 ? 1 : p->dil[s];
    g->pad[d] = s < 0 ? 0 : p->pad_begin[s];
  }
}

void mlc_rt_conv_f32(const void *params, void *const *io) {
  const MlcConv *p = (const MlcConv *)params;
  const float *x = (const float *)io[MLC_CONV_X], *w = (const float *)io[MLC_CONV_W];
  const float *bias = p->has_bias ? (const float *)io[MLC_CONV_BIAS] : NULL;
  float *y = (float *)io[MLC_CONV_Y], *scratch = (float *)io[MLC_CONV_SCRATCH];
  Im2col g;
  mlc_rt__conv_geometry(p, &g);
  int64_t cg = p->c / p->group, mg = p->m / p->group;
  int64_t kvol = g.k[0] * g.k[1] * g.k[2];
  int64_t inpix = g.in[0] * g.in[1] * g.in[2], npix = g.out[0] * g.out[1] * g.out[2];
  int pointwise = mlc_rt_conv_pointwise(p);
  Epi e = {1, 1, NULL, 1, 0, (int)p->act, (float)p->act_a, (float)p->act_b, NULL, npix};
  const float *res = p->has_res ? (const float *)io[MLC_CONV_RES] : NULL;
  if (npix == 0) return;
  if (mlc_rt_conv_depthwise(p)) {
    mlc_rt__conv_depthwise(p, &g, &e, x, w, bias, res, y, scratch);
    return;
  }
  if (p->winograd) {
    mlc_rt__conv_winograd(p, x, w, bias, res, y, scratch, &e);
    return;
  }
#if MLC_RT_ISA == MLC_RT_ISA_X86_64_V4
  if (!p->packed_w && mlc_rt_conv_direct(p)) {
    mlc_rt__conv_direct(p, x, w, bias, res, y, &e);
    return;
  }
#endif
  for (int64_t n = 0; n < p->n; n++)
    for (int64_t gi = 0; gi < p->group; gi++) {
      g.x = x + (n * p->c + gi * cg) * inpix;
      g.nx = (p->n * p->c - n * p->c - gi * cg) * inpix;
      const float *wg = w + gi * mg * cg * kvol;
      float *yg = y + (n * p->m + gi * mg) * npix;
      e.res = res ? res + (n * p->m + gi * mg) * npix : NULL;
      e.bias = bias ? bias + gi * mg : NULL;
      Mat a = {wg, cg * kvol, 1, NULL, 0};
      if (p->packed_w) {
        a.pk = w + gi * mlc_rt_packed_floats(mg, cg * kvol, p->packed_w);
        a.h = p->packed_w;
      }
      BSrc b = {{g.x, inpix, 1, NULL, 0}, pointwise ? NULL : &g};
      mlc_rt__sgemm(mg, npix, cg * kvol, a, b, yg, npix, &e, scratch);
    }
}
