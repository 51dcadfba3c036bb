/* Unit tests in C, for what is best checked from inside:
 *   - kernels against a plain reference written here, on edge shapes (odd
 *     sizes and tails of every block, transposes, padding, strides,
 *     dilations, groups, depthwise, 1-D and 3-D, fused activations and
 *     residuals): the reference every faster kernel must keep matching;
 *   - the memory planner's invariants on real models: every arena value lies
 *     inside the arena, and values alive at the same time never share bytes
 *     (but where an output is written over the input that dies there);
 *   - name mangling: one-to-one, decodable, C identifiers only.
 *
 * usage: mlc_unit [MODEL...]   (the models for the planner checks; symbolic
 *        dims are bound to 1). Prints a line per failure and a closing
 *        "N passed, N failed"; exits 1 if any failed. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "driver.h"
#include "emitc.h"
#include "mlc_rt.h"
#include "model.h"

static int passed, failed;

static void check(int ok, const char *what) {
  if (ok) {
    passed++;
  } else {
    failed++;
    printf("FAIL %s\n", what);
  }
}

/* ---- data --------------------------------------------------------------------------- */

static uint32_t seed = 12345;

static float rnd(void) { /* in [-1, 1) */
  seed = seed * 1664525u + 1013904223u;
  return (float)(seed >> 8) / (float)(1u << 23) - 1.0f;
}

static float *rnd_array(int64_t n) {
  float *a = malloc((size_t)(n > 0 ? n : 1) * sizeof *a);
  for (int64_t i = 0; i < n; i++) a[i] = rnd();
  return a;
}

static float *zeros(int64_t n) { return calloc((size_t)(n > 0 ? n : 1), sizeof(float)); }

/* A kernel's scratch of exactly the floats its formula gives, NaN-filled so
 * that reading an unwritten float shows in the results; NULL when the
 * formula says 0, as the generated code passes it then. */
static float *scratch_of(int64_t n) {
  if (n <= 0) return NULL;
  float *s = malloc((size_t)n * sizeof *s);
  for (int64_t i = 0; i < n; i++) s[i] = NAN;
  return s;
}

static double act(int kind, double x, double a, double b) {
  switch (kind) {
  case MLC_ACT_RELU: return x > 0 ? x : 0;
  case MLC_ACT_CLIP: return x < a ? a : x > b ? b : x;
  case MLC_ACT_SIGMOID: return 1 / (1 + exp(-x));
  case MLC_ACT_LEAKYRELU: return x < 0 ? a * x : x;
  case MLC_ACT_HARDSWISH: return x * fmax(0, fmin(1, x / 6 + 0.5));
  case MLC_ACT_GELU: return 0.5 * x * (1 + erf(x / sqrt(2)));
  default: return x;
  }
}

/* got against ref, each within 1e-5 of the magnitude mag[i] of its terms */
static int close_all(const float *got, const double *ref, const double *mag, int64_t n) {
  for (int64_t i = 0; i < n; i++)
    if (!(fabs(got[i] - ref[i]) <= 1e-5 * (mag[i] + 1))) {
      printf("  [%lld] = %.9g, reference %.9g\n", (long long)i, got[i], ref[i]);
      return 0;
    }
  return 1;
}

/* ---- gemm_f32 ---------------------------------------------------------------------- */

/* Whether the cases pass their constant operand (Gemm's B, Conv's
 * weights) packed as the compiler stores it for a planned target, in this
 * runtime's tiles, where the product packs (mlc_rt_pack_strips). */
static int packed_weights;
/* with packed_weights: the 3x3 convs that can, by Winograd F(T x T, 3 x 3)
 * with this T (0: not) */
static int winograd_tile;

static float *pack_for_runtime(const float *src, int64_t groups, int64_t rows, int64_t cols,
                               int64_t rs, int64_t cs, int64_t side) {
  float *d = malloc((size_t)(groups * mlc_rt_packed_floats(rows, cols, side) + 1) * sizeof *d);
  mlc_rt_pack_strips(src, groups, rows, cols, rs, cs, side, d);
  return d;
}

/* with packed_weights, B is packed where the product packs, or with
 * pack_any wherever the compiler packs it when m varies at run time (n
 * past MLC_RT_GEMM_THIN) */
static int pack_any;

static void gemm_case(int64_t m, int64_t n, int64_t k, int ta, int tb, int cmode, int kind,
                      int res) {
  float *a = rnd_array(m * k), *b = rnd_array(k * n), *c = rnd_array(m * n);
  float *r = rnd_array(m * n), *y = zeros(m * n);
  MlcGemm p = {.m = m,
               .n = n,
               .k = k,
               .trans_a = ta,
               .trans_b = tb,
               .alpha = 0.75,
               .beta = 1.5,
               .has_c = cmode != 0,
               .act = kind,
               .act_a = -0.25,
               .act_b = 0.5,
               .has_res = res};
  /* C broadcast: 1 a full matrix, 2 a row [n], 3 a column [m] */
  p.c_rs = cmode == 1 ? n : cmode == 3 ? 1 : 0;
  p.c_cs = cmode == 1 || cmode == 2 ? 1 : 0;
  int pack = packed_weights &&
             (pack_any ? n > MLC_RT_GEMM_THIN && k > 0 : mlc_rt_gemm_scratch(m, n, k) > 0);
  float *scratch = scratch_of(pack ? mlc_rt_gemm_panels(m, n, k) : mlc_rt_gemm_scratch(m, n, k)),
        *bp = NULL;
  int64_t mr, mr2, nr;
  mlc_rt_gemm_tiles(&mr, &mr2, &nr);
  if (pack) {
    bp = pack_for_runtime(b, 1, n, k, tb ? k : 1, tb ? 1 : n, nr);
    p.packed_b = nr;
  }
  void *io[MLC_GEMM_NIO] = {0};
  io[MLC_GEMM_A] = a;
  io[MLC_GEMM_B] = bp ? bp : b;
  io[MLC_GEMM_C] = cmode ? c : NULL;
  io[MLC_GEMM_Y] = y;
  io[MLC_GEMM_SCRATCH] = scratch;
  io[MLC_GEMM_RES] = res ? r : NULL;
  mlc_rt_gemm_f32(&p, io);
  double *ref = malloc((size_t)(m * n + 1) * sizeof *ref),
         *mag = malloc((size_t)(m * n + 1) * sizeof *mag);
  for (int64_t i = 0; i < m; i++)
    for (int64_t j = 0; j < n; j++) {
      double s = 0, am = 0;
      for (int64_t q = 0; q < k; q++) {
        double t = (double)a[ta ? q * m + i : i * k + q] * b[tb ? j * k + q : q * n + j];
        s += t;
        am += fabs(t);
      }
      s *= p.alpha;
      if (cmode) s += p.beta * c[i * p.c_rs + j * p.c_cs];
      if (res) s += r[i * n + j];
      ref[i * n + j] = act(kind, s, p.act_a, p.act_b);
      mag[i * n + j] = am + 3;
    }
  char what[160];
  snprintf(what, sizeof what, "gemm_f32 m=%lld n=%lld k=%lld trans %d%d C %d act %d res %d%s",
           (long long)m, (long long)n, (long long)k, ta, tb, cmode, kind, res,
           bp ? " B packed" : "");
  check(close_all(y, ref, mag, m * n), what);
  free(a), free(b), free(bp), free(c), free(r), free(y), free(scratch), free(ref), free(mag);
}

static void test_gemm(void) {
  /* sizes around the micro-tiles and the cache blocks (MC 144, KC 256) */
  static const int64_t sizes[] = {1, 2, 3, 7, 8, 9, 17, 33, 145, 300};
  int c = 0;
  for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++)
    for (size_t j = 0; j < sizeof sizes / sizeof *sizes; j += 3)
      for (size_t q = 0; q < sizeof sizes / sizeof *sizes; q += 4, c++)
        gemm_case(sizes[i], sizes[j], sizes[q], c & 1, (c >> 1) & 1, c % 4, MLC_ACT_NONE, 0);
  for (int kind = MLC_ACT_NONE; kind <= MLC_ACT_GELU; kind++)
    gemm_case(13, 21, 11, 0, 1, 2, kind, kind & 1);
  gemm_case(5, 1030, 7, 0, 0, 2, MLC_ACT_RELU, 1); /* past NC = 1024 */
  /* thin products big enough to split over threads: a GEMV by columns
   * (packed B: whole strips each), a tall one by rows */
  gemm_case(1, 2000, 300, 0, 0, 2, MLC_ACT_RELU, 1);
  gemm_case(3000, 2, 200, 0, 1, 2, MLC_ACT_NONE, 0);
  /* dot products (B transposed) past every run of their partial sums: 3
   * runs of 64, one of 16 and a tail of 5 */
  gemm_case(1, 37, 213, 0, 1, 2, MLC_ACT_NONE, 1);
  /* B read in place (few rows, B not transposed) over two slices of the
   * inner dimension, its last part strip packed */
  gemm_case(40, 70, 300, 0, 0, 2, MLC_ACT_RELU, 1);
  /* part strips over two slices: 17 columns (a vector and a column down
   * the rows, 8-row strips), 13 (one vector, 12-row strips) */
  gemm_case(16, 49, 300, 0, 0, 2, MLC_ACT_RELU, 1);
  gemm_case(36, 45, 300, 0, 1, 1, MLC_ACT_NONE, 0);
  /* a vector and 2, 3, 4 columns in one pass (12- and 8-row strips, B
   * read in place, packed, transposed), then 5 columns, which go apart */
  gemm_case(24, 50, 300, 0, 0, 2, MLC_ACT_RELU, 1);
  gemm_case(20, 51, 40, 0, 1, 1, MLC_ACT_NONE, 0);
  gemm_case(12, 52, 300, 1, 0, 3, MLC_ACT_CLIP, 1);
  gemm_case(16, 53, 70, 0, 0, 2, MLC_ACT_NONE, 1);
  /* columns alone after whole strips: 4 in one pass (over two slices), 9
   * as 4, 4 and 1, 7 down 8-row strips as 4 and 3 */
  gemm_case(24, 36, 300, 0, 0, 2, MLC_ACT_RELU, 1);
  gemm_case(24, 41, 40, 0, 1, 1, MLC_ACT_NONE, 0);
  gemm_case(16, 39, 70, 1, 0, 3, MLC_ACT_CLIP, 1);
  /* a B panel past what goes row-wise (256 x 600 floats): column strip
   * by column strip, a part strip and part row strips */
  gemm_case(20, 600, 300, 0, 0, 2, MLC_ACT_RELU, 1);
  gemm_case(20, 600, 300, 1, 1, 3, MLC_ACT_NONE, 0);
  /* depths spread over slices: 520 as 176 + 176 + 168 (the last shorter),
   * 576 as 3 x 192, B packed and in place */
  gemm_case(30, 70, 520, 0, 0, 2, MLC_ACT_RELU, 1);
  gemm_case(13, 49, 576, 0, 1, 1, MLC_ACT_NONE, 0);
  /* both sides of the pack/no-pack turn (MLC_RT_GEMM_THIN rows or
   * columns), in every transpose, with their scratch exactly as given */
  static const int64_t edge[] = {MLC_RT_GEMM_THIN, MLC_RT_GEMM_THIN + 1, 40};
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++)
      for (int t = 0; t < 4; t++, c++)
        gemm_case(edge[i], edge[j], t & 1 ? 3 : 37, t & 1, t >> 1, c % 4, MLC_ACT_CLIP, c & 1);
  /* B packed whatever m is (run-time dims): one row takes the thin path
   * over the packed strips, more the packed one */
  pack_any = 1;
  for (int64_t m = 1; m <= MLC_RT_GEMM_THIN + 1; m++)
    for (int t = 0; t < 4; t++, c++)
      gemm_case(m, t & 1 ? 70 : 17, t & 2 ? 37 : 3, t & 1, t >> 1, c % 4, MLC_ACT_RELU, c & 1);
  pack_any = 0;
  /* empty products: nothing to pack */
  gemm_case(6, 7, 0, 0, 0, 2, MLC_ACT_SIGMOID, 1);
  gemm_case(0, 7, 5, 0, 1, 1, MLC_ACT_NONE, 0);
  gemm_case(6, 0, 5, 1, 0, 0, MLC_ACT_NONE, 0);
}

/* ---- matmul_f32 -------------------------------------------------------------------- */

/* a batch of nb products (A's batches by a_bs, B's by b_bs: 0 broadcasts
 * one B to all), as attention's per-head products are */
static void matmul_case(int64_t nb, int64_t m, int64_t n, int64_t k, int shared_b) {
  float *a = rnd_array(nb * m * k), *b = rnd_array((shared_b ? 1 : nb) * k * n);
  float *y = zeros(nb * m * n);
  MlcMatMul p = {.m = m,
                 .n = n,
                 .k = k,
                 .brank = 1,
                 .bdims = {nb},
                 .a_bs = {m * k},
                 .b_bs = {shared_b ? 0 : k * n}};
  float *scratch = scratch_of(mlc_rt_gemm_scratch(m, n, k));
  void *io[MLC_MATMUL_NIO] = {a, b, y, scratch};
  mlc_rt_matmul_f32(&p, io);
  double *ref = malloc((size_t)(nb * m * n) * sizeof *ref),
         *mag = malloc((size_t)(nb * m * n) * sizeof *mag);
  for (int64_t i = 0; i < nb; i++)
    for (int64_t r = 0; r < m; r++)
      for (int64_t c = 0; c < n; c++) {
        double acc = 0, am = 0;
        for (int64_t q = 0; q < k; q++) {
          double t = (double)a[(i * m + r) * k + q] * b[(shared_b ? 0 : i * k * n) + q * n + c];
          acc += t;
          am += fabs(t);
        }
        ref[(i * m + r) * n + c] = acc;
        mag[(i * m + r) * n + c] = am;
      }
  char what[120];
  snprintf(what, sizeof what, "matmul_f32 %lld x (%lld x %lld by %lld x %lld)%s", (long long)nb,
           (long long)m, (long long)k, (long long)k, (long long)n, shared_b ? " B shared" : "");
  check(close_all(y, ref, mag, nb * m * n), what);
  free(a), free(b), free(y), free(scratch), free(ref), free(mag);
}

static void test_matmul(void) {
  /* per-head products of attention (split by batch over threads), big
   * ones split by batch (as many as threads) and each split itself (a
   * batch more), thin ones, odd sizes */
  matmul_case(12, 128, 128, 64, 0);
  matmul_case(12, 128, 64, 128, 0);
  matmul_case(3, 300, 200, 100, 0);
  matmul_case(4, 300, 200, 100, 0);
  matmul_case(5, 3, 7, 9, 1);
  matmul_case(7, 33, 17, 5, 0);
}

/* The scratch formulas give what the call uses: nothing for a product that
 * runs unpacked (the cases above ran those with a NULL scratch), the panels
 * for one that packs. */
static void test_scratch_sizes(void) {
  const int64_t t = MLC_RT_GEMM_THIN;
  check(mlc_rt_gemm_scratch(1, 256, 10) == 0 && mlc_rt_gemm_scratch(256, 1, 10) == 0 &&
            mlc_rt_gemm_scratch(t, 1000, 1000) == 0 && mlc_rt_gemm_scratch(1000, t, 1000) == 0,
        "gemm scratch: 0 for products of at most MLC_RT_GEMM_THIN rows or columns");
  check(mlc_rt_gemm_scratch(0, 9, 9) == 0 && mlc_rt_gemm_scratch(9, 0, 9) == 0 &&
            mlc_rt_gemm_scratch(9, 9, 0) == 0,
        "gemm scratch: 0 for empty products");
  check(mlc_rt_gemm_scratch(t + 1, t + 1, 1) == mlc_rt_gemm_panels(t + 1, t + 1, 1) &&
            mlc_rt_gemm_scratch(300, 2000, 700) == mlc_rt_gemm_panels(300, 2000, 700) &&
            mlc_rt_gemm_panels(300, 2000, 700) ==
                mlc_rt_gemm_panels(MLC_RT_GEMM_MC, MLC_RT_GEMM_NC, MLC_RT_GEMM_KC),
        "gemm scratch: the panels, at most a block's, for products that pack");
  /* 1x1 unpadded stride 1: a plain product with the image, unpacked when
   * thin; any other window reads the im2col matrix through the packer */
  MlcConv pw = {.n = 1,
                .c = 6,
                .m = t,
                .group = 1,
                .nsp = 2,
                .in_sp = {5, 6},
                .out_sp = {5, 6},
                .k = {1, 1},
                .stride = {1, 1},
                .dil = {1, 1}};
  check(mlc_rt_conv_pointwise(&pw) && mlc_rt_conv_scratch(&pw) == 0,
        "conv scratch: 0 for a pointwise conv of at most MLC_RT_GEMM_THIN channels");
  pw.m = t + 1;
  check(mlc_rt_conv_scratch(&pw) == mlc_rt_gemm_panels(t + 1, 30, 6),
        "conv scratch: the panels for a pointwise conv that packs");
  MlcConv w3 = pw;
  w3.m = 2;
  w3.k[0] = w3.k[1] = 3;
  w3.out_sp[0] = 3;
  w3.out_sp[1] = 4;
  check(!mlc_rt_conv_pointwise(&w3) && mlc_rt_conv_scratch(&w3) == mlc_rt_gemm_panels(2, 12, 54),
        "conv scratch: the panels for a thin 3x3 conv (im2col always packs)");
  w3.out_sp[1] = 0;
  check(mlc_rt_conv_scratch(&w3) == 0, "conv scratch: 0 for an empty output");
  /* a depthwise conv of 16 or more small planes: the blocked planes'
   * buffer, padded all round (7x7, padding 1: 9x9 pixels of 16 floats,
   * and a vector to align it); a plane as wide as a vector: none */
  MlcConv dw = {.n = 1,
                .c = 32,
                .m = 32,
                .group = 32,
                .nsp = 2,
                .in_sp = {7, 7},
                .out_sp = {7, 7},
                .k = {3, 3},
                .stride = {1, 1},
                .dil = {1, 1},
                .pad_begin = {1, 1}};
  int64_t th, tw;
  check(mlc_rt_dw_blocked(&dw, &th, &tw) == (9 * 9 + 1) * 16 && th == 9 && tw == 9 &&
            mlc_rt_conv_scratch(&dw) >= (9 * 9 + 1) * 16,
        "conv scratch: the blocked buffer for small depthwise planes");
  dw.in_sp[1] = dw.out_sp[1] = 16;
  check(mlc_rt_dw_blocked(&dw, &th, &tw) == 0, "conv scratch: no blocked buffer for wide planes");
}

/* ---- conv_f32 ---------------------------------------------------------------------- */

typedef struct ConvCase {
  int nsp;
  int64_t n, c, m, group, in[3], k[3], stride[3], dil[3], pad[3], pad_end[3];
  int kind, bias, res;
} ConvCase;

static void conv_case(const ConvCase *t) {
  MlcConv p = {.n = t->n,
               .c = t->c,
               .m = t->m,
               .group = t->group,
               .nsp = t->nsp,
               .has_bias = t->bias,
               .act = t->kind,
               .act_a = -0.5,
               .act_b = 0.75,
               .has_res = t->res};
  int64_t inpix = 1, outpix = 1, kvol = 1;
  for (int d = 0; d < t->nsp; d++) {
    p.in_sp[d] = t->in[d];
    p.k[d] = t->k[d];
    p.stride[d] = t->stride[d];
    p.dil[d] = t->dil[d];
    p.pad_begin[d] = t->pad[d];
    p.out_sp[d] =
        (t->in[d] + t->pad[d] + t->pad_end[d] - (t->k[d] - 1) * t->dil[d] - 1) / t->stride[d] + 1;
    inpix *= t->in[d];
    outpix *= p.out_sp[d];
    kvol *= t->k[d];
  }
  int64_t cg = t->c / t->group, mg = t->m / t->group, ny = t->n * t->m * outpix;
  float *x = rnd_array(t->n * t->c * inpix), *w = rnd_array(t->m * cg * kvol);
  float *b = rnd_array(t->m), *r = rnd_array(ny), *y = zeros(ny);
  float *scratch = scratch_of(mlc_rt_conv_scratch(&p)), *wp = NULL;
  int64_t mr, mr2, nr;
  mlc_rt_gemm_tiles(&mr, &mr2, &nr);
  if (packed_weights && winograd_tile && mlc_rt_conv_winograd_fits(&p)) {
    p.winograd = winograd_tile;
    p.packed_w = nr;
    wp = malloc((size_t)mlc_rt_winograd_weights(t->m, t->c, winograd_tile, nr) * sizeof *wp);
    mlc_rt_winograd_filter(w, t->m, t->c, winograd_tile, nr, wp);
    free(scratch);
    scratch = scratch_of(mlc_rt_conv_scratch(&p));
  } else if (packed_weights && !mlc_rt_conv_depthwise(&p) && mlc_rt_conv_scratch(&p) > 0 &&
             !(MLC_RT_ISA == MLC_RT_ISA_X86_64_V4 && mlc_rt_conv_direct(&p))) {
    /* as the compiler packs them: not for a conv the runtime computes
     * directly */
    p.packed_w = mlc_rt_gemm_height(mg, mr, mr2);
    wp = pack_for_runtime(w, t->group, mg, cg * kvol, cg * kvol, 1, p.packed_w);
  }
  void *io[MLC_CONV_NIO] = {0};
  io[MLC_CONV_X] = x;
  io[MLC_CONV_W] = wp ? wp : w;
  io[MLC_CONV_BIAS] = t->bias ? b : NULL;
  io[MLC_CONV_Y] = y;
  io[MLC_CONV_SCRATCH] = scratch;
  io[MLC_CONV_RES] = t->res ? r : NULL;
  mlc_rt_conv_f32(&p, io);
  double *ref = malloc((size_t)(ny + 1) * sizeof *ref),
         *mag = malloc((size_t)(ny + 1) * sizeof *mag);
  int64_t o[3], kk[3];
  for (int64_t ni = 0; ni < t->n; ni++)
    for (int64_t mi = 0; mi < t->m; mi++)
      for (int64_t op = 0; op < outpix; op++) {
        for (int d = t->nsp - 1, rest = (int)op; d >= 0; d--) {
          o[d] = rest % p.out_sp[d];
          rest /= (int)p.out_sp[d];
        }
        double s = t->bias ? b[mi] : 0, am = fabs(s);
        int64_t gi = mi / mg;
        for (int64_t ci = 0; ci < cg; ci++)
          for (int64_t kp = 0; kp < kvol; kp++) {
            int64_t xoff = 0, inside = 1;
            for (int d = t->nsp - 1, rest = (int)kp; d >= 0; d--) {
              kk[d] = rest % t->k[d];
              rest /= (int)t->k[d];
            }
            for (int d = 0; d < t->nsp; d++) {
              int64_t pos = o[d] * t->stride[d] - t->pad[d] + kk[d] * t->dil[d];
              inside &= pos >= 0 && pos < t->in[d];
              xoff = xoff * t->in[d] + pos;
            }
            if (!inside) continue;
            double v = (double)x[((ni * t->c) + gi * cg + ci) * inpix + xoff] *
                       w[(mi * cg + ci) * kvol + kp];
            s += v;
            am += fabs(v);
          }
        int64_t yi = (ni * t->m + mi) * outpix + op;
        if (t->res) s += r[yi];
        ref[yi] = act(t->kind, s, p.act_a, p.act_b);
        mag[yi] = am + 2;
      }
  char what[200];
  snprintf(what, sizeof what,
           "conv_f32 %dD c=%lld m=%lld group=%lld in %lld k %lld stride %lld "
           "dil %lld pad %lld/%lld act %d%s",
           t->nsp, (long long)t->c, (long long)t->m, (long long)t->group, (long long)t->in[0],
           (long long)t->k[0], (long long)t->stride[0], (long long)t->dil[0], (long long)t->pad[0],
           (long long)t->pad_end[0], t->kind,
           p.winograd == 2 ? " Winograd F(2x2,3x3)"
           : p.winograd    ? " Winograd F(4x4,3x3)"
           : wp            ? " W packed"
                           : "");
  check(close_all(y, ref, mag, ny), what);
  free(x), free(w), free(wp), free(b), free(r), free(y), free(scratch), free(ref), free(mag);
}

static void test_conv(void) {
  static const ConvCase cases[] = {
      /* nsp n c m group in k stride dil pad pad_end act bias res */
      {2, 1, 3, 5, 1, {7, 9}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, MLC_ACT_NONE, 1, 0},
      {2, 2, 3, 5, 1, {8, 8}, {3, 3}, {2, 2}, {1, 1}, {1, 0}, {1, 0}, MLC_ACT_RELU, 1, 1},
      {2, 1, 4, 6, 2, {9, 7}, {3, 2}, {1, 2}, {2, 1}, {2, 0}, {1, 1}, MLC_ACT_CLIP, 0, 0},
      {2, 1, 8, 8, 8, {10, 11}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, MLC_ACT_RELU, 1, 1},
      {2, 1, 6, 6, 6, {9, 9}, {5, 5}, {2, 2}, {1, 1}, {2, 2}, {2, 2}, MLC_ACT_NONE, 1, 0},
      {2, 1, 5, 6, 6, {12, 12}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, MLC_ACT_NONE, 1, 0},
      {2, 1, 17, 9, 1, {5, 6}, {1, 1}, {1, 1}, {1, 1}, {0, 0}, {0, 0}, MLC_ACT_HARDSWISH, 1, 1},
      {2, 1, 7, 3, 1, {6, 6}, {1, 1}, {2, 2}, {1, 1}, {0, 0}, {0, 0}, MLC_ACT_SIGMOID, 0, 0},
      {2, 1, 3, 4, 1, {13, 5}, {4, 2}, {3, 1}, {1, 3}, {0, 2}, {2, 0}, MLC_ACT_LEAKYRELU, 1, 0},
      /* pointwise around the pack/no-pack turn: thin channels, thin images
       * (2x2, 1x5 pixels), thin groups; and a thin 3x3 conv, which packs */
      {2, 1, 6, 4, 1, {5, 6}, {1, 1}, {1, 1}, {1, 1}, {0, 0}, {0, 0}, MLC_ACT_RELU, 1, 1},
      {2, 1, 6, 5, 1, {5, 6}, {1, 1}, {1, 1}, {1, 1}, {0, 0}, {0, 0}, MLC_ACT_RELU, 1, 1},
      {2, 1, 6, 5, 1, {2, 2}, {1, 1}, {1, 1}, {1, 1}, {0, 0}, {0, 0}, MLC_ACT_NONE, 1, 0},
      {2, 2, 6, 5, 1, {1, 5}, {1, 1}, {1, 1}, {1, 1}, {0, 0}, {0, 0}, MLC_ACT_NONE, 0, 1},
      {2, 1, 8, 6, 2, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {0, 0}, {0, 0}, MLC_ACT_NONE, 1, 0},
      {2, 1, 3, 2, 1, {5, 5}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, MLC_ACT_NONE, 1, 0},
      /* 3x3 stride 1 with channels past a block of 16, tiles that hang
       * over the output's edges, no padding or uneven padding, two images */
      {2, 1, 20, 33, 1, {13, 11}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, MLC_ACT_RELU, 1, 1},
      {2, 2, 17, 16, 1, {9, 10}, {3, 3}, {1, 1}, {1, 1}, {0, 0}, {0, 0}, MLC_ACT_NONE, 1, 0},
      {2, 1, 32, 40, 1, {14, 14}, {3, 3}, {1, 1}, {1, 1}, {2, 0}, {0, 2}, MLC_ACT_CLIP, 0, 1},
      /* big enough to split over threads: enough tiles that each thread
       * runs its own range (uneven blocks; with a residual, the epilogue
       * after), and too few at F(4x4), where the products split */
      {2, 1, 20, 33, 1, {30, 27}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, MLC_ACT_RELU, 1, 0},
      {2, 1, 20, 33, 1, {30, 27}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, MLC_ACT_RELU, 1, 1},
      {2, 1, 64, 48, 1, {14, 14}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, MLC_ACT_CLIP, 1, 0},
      /* depthwise on small planes of many channels (channels-last): a
       * partial block of 16, stride 2 with uneven padding, 5x5, two images */
      {2, 1, 40, 40, 40, {7, 7}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, MLC_ACT_RELU, 1, 1},
      {2, 2, 33, 33, 33, {14, 13}, {3, 3}, {2, 2}, {1, 1}, {1, 0}, {0, 1}, MLC_ACT_CLIP, 1, 0},
      {2, 1, 48, 48, 48, {9, 9}, {5, 5}, {1, 1}, {1, 1}, {2, 2}, {2, 2}, MLC_ACT_NONE, 0, 1},
      /* 16 planes at a time (AVX-512): enough to split over threads, the
       * last block part full; dilated, with a residual before LeakyRelu;
       * 5x5 at stride 2, padded unevenly */
      {2, 2, 100, 100, 100, {14, 14}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, MLC_ACT_CLIP, 1, 0},
      {2, 1, 20, 20, 20, {9, 9}, {3, 3}, {1, 1}, {2, 2}, {2, 2}, {2, 2}, MLC_ACT_LEAKYRELU, 1, 1},
      {2, 1, 32, 32, 32, {13, 11}, {5, 5}, {2, 2}, {1, 1}, {2, 1}, {2, 2}, MLC_ACT_RELU, 0, 0},
      /* narrow planes of many channels: a keyword spotter's 25x5 with a
       * residual, dilation and uneven padding over a channel tail of one,
       * 1-D, an odd window with mixed strides */
      {2, 1, 64, 64, 64, {25, 5}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, MLC_ACT_RELU, 1, 1},
      {2, 2, 17, 17, 17, {20, 31}, {3, 3}, {2, 2}, {2, 2}, {2, 1}, {1, 2}, MLC_ACT_HARDSWISH, 1, 1},
      {1, 1, 16, 16, 16, {12}, {5}, {1}, {1}, {2}, {2}, MLC_ACT_SIGMOID, 0, 1},
      {2, 1, 24, 24, 24, {6, 15}, {7, 3}, {1, 2}, {1, 1}, {3, 1}, {3, 0}, MLC_ACT_LEAKYRELU, 1, 0},
      /* stride 2 down and across, straight from the input on AVX-512:
       * rows of several vectors and a tail with a residual, a 7x4 window
       * with uneven padding, a 2x2 window */
      {2, 1, 24, 24, 24, {37, 70}, {3, 3}, {2, 2}, {1, 1}, {1, 1}, {1, 1}, MLC_ACT_RELU, 1, 1},
      {2, 1, 16, 16, 16, {23, 41}, {7, 4}, {2, 2}, {1, 1}, {3, 2}, {3, 1}, MLC_ACT_NONE, 1, 0},
      {2, 1, 16, 16, 16, {10, 33}, {2, 2}, {2, 2}, {1, 1}, {0, 0}, {0, 0}, MLC_ACT_CLIP, 0, 0},
      /* Relu and Clip applied as the direct paths store, with no
       * residual: a narrow plane, rows of a vector and more, stride 2 on
       * a small plane (rows in a group of 4 and a part group) */
      {2, 1, 20, 20, 20, {7, 7}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, MLC_ACT_CLIP, 1, 0},
      {2, 1, 17, 17, 17, {30, 18}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, MLC_ACT_CLIP, 0, 0},
      {2, 1, 20, 20, 20, {14, 14}, {3, 3}, {2, 2}, {1, 1}, {1, 1}, {1, 1}, MLC_ACT_RELU, 1, 0},
      /* few input channels, straight from the input on AVX-512: 7x7 at
       * stride 2 into a part group of 16 channels over rows of a vector and
       * a tail; 3x3 at stride 1, two images, a residual before Clip; a 5x4
       * window on 2 channels; 2x2 on 1 with uneven padding */
      {2, 1, 3, 20, 1, {37, 40}, {7, 7}, {2, 2}, {1, 1}, {3, 3}, {3, 2}, MLC_ACT_RELU, 1, 0},
      {2, 2, 3, 33, 1, {19, 35}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, MLC_ACT_CLIP, 1, 1},
      {2, 1, 2, 16, 1, {9, 21}, {5, 4}, {2, 2}, {1, 1}, {2, 1}, {2, 2}, MLC_ACT_SIGMOID, 0, 0},
      {2, 1, 1, 7, 1, {12, 12}, {2, 2}, {1, 1}, {1, 1}, {0, 0}, {1, 1}, MLC_ACT_NONE, 1, 0},
      /* Relu and Clip with no residual, which the micro-kernel applies as
       * it stores whole tiles */
      {2, 1, 8, 24, 1, {16, 16}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, MLC_ACT_RELU, 1, 0},
      {2, 1, 20, 16, 1, {12, 12}, {1, 1}, {1, 1}, {1, 1}, {0, 0}, {0, 0}, MLC_ACT_CLIP, 1, 0},
      /* a residual, which the micro-kernel adds as it stores whole tiles
       * of the last slice of the inner dimension (here the second of two),
       * alone and before Relu; with Sigmoid, the epilogue after the store */
      {2, 1, 300, 24, 1, {8, 8}, {1, 1}, {1, 1}, {1, 1}, {0, 0}, {0, 0}, MLC_ACT_NONE, 1, 1},
      {2, 1, 30, 24, 1, {9, 9}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, MLC_ACT_RELU, 0, 1},
      {2, 1, 16, 24, 1, {8, 8}, {1, 1}, {1, 1}, {1, 1}, {0, 0}, {0, 0}, MLC_ACT_SIGMOID, 1, 1},
      /* Gelu after the store: a 3x3 conv with a residual, a depthwise one */
      {2, 1, 16, 24, 1, {9, 8}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, MLC_ACT_GELU, 1, 1},
      {2, 1, 24, 24, 24, {9, 9}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, MLC_ACT_GELU, 1, 0},
      /* pointwise on few pixels: channels past a tile, two images */
      {2, 2, 40, 70, 1, {7, 7}, {1, 1}, {1, 1}, {1, 1}, {0, 0}, {0, 0}, MLC_ACT_RELU, 1, 1},
      {2, 1, 33, 19, 1, {3, 5}, {1, 1}, {1, 1}, {1, 1}, {0, 0}, {0, 0}, MLC_ACT_CLIP, 0, 0},
      /* an empty output (the window is larger than the image) */
      {2, 1, 3, 4, 1, {2, 2}, {3, 3}, {1, 1}, {1, 1}, {0, 0}, {0, 0}, MLC_ACT_NONE, 1, 0},
      {1, 2, 5, 7, 1, {31}, {5}, {2}, {2}, {3}, {1}, MLC_ACT_NONE, 1, 0},
      {1, 1, 4, 4, 4, {20}, {3}, {1}, {1}, {1}, {1}, MLC_ACT_RELU, 1, 0},
      {3,
       1,
       2,
       3,
       1,
       {4, 5, 6},
       {2, 3, 2},
       {1, 2, 1},
       {1, 1, 2},
       {0, 1, 1},
       {1, 0, 1},
       MLC_ACT_NONE,
       1,
       1},
      /* depthwise: widths that end in every vector tail, or fit none
       * (1, 2), heights under the rows a pass computes, both strides of
       * 3x3 and 5x5, asymmetric padding, none, more than the window,
       * dilations, other windows and strides, 1-D and 3-D */
      {2, 1, 3, 3, 3, {1, 1}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, MLC_ACT_NONE, 1, 0},
      {2, 1, 2, 2, 2, {2, 2}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, MLC_ACT_RELU, 1, 1},
      {2, 1, 3, 3, 3, {3, 15}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, MLC_ACT_CLIP, 1, 0},
      {2, 2, 4, 4, 4, {5, 17}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, MLC_ACT_HARDSWISH, 1, 1},
      {2, 1, 3, 3, 3, {9, 33}, {3, 3}, {2, 2}, {1, 1}, {1, 1}, {1, 1}, MLC_ACT_SIGMOID, 0, 1},
      {2, 1, 2, 2, 2, {11, 50}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, MLC_ACT_LEAKYRELU, 1, 1},
      {2, 1, 3, 3, 3, {12, 71}, {3, 3}, {2, 2}, {1, 1}, {1, 1}, {0, 0}, MLC_ACT_RELU, 1, 0},
      {2, 1, 3, 3, 3, {7, 37}, {5, 5}, {1, 1}, {1, 1}, {2, 2}, {2, 2}, MLC_ACT_NONE, 1, 1},
      {2, 1, 2, 2, 2, {10, 45}, {5, 5}, {2, 2}, {1, 1}, {2, 1}, {1, 2}, MLC_ACT_CLIP, 1, 0},
      {2, 2, 2, 2, 2, {6, 40}, {3, 3}, {1, 1}, {1, 1}, {0, 0}, {0, 0}, MLC_ACT_NONE, 1, 0},
      {2, 1, 2, 2, 2, {5, 20}, {5, 5}, {2, 2}, {1, 1}, {0, 0}, {0, 0}, MLC_ACT_RELU, 0, 1},
      {2, 1, 2, 2, 2, {2, 20}, {5, 5}, {1, 1}, {1, 1}, {2, 2}, {2, 2}, MLC_ACT_NONE, 1, 0},
      {2, 1, 2, 2, 2, {3, 64}, {3, 3}, {2, 2}, {1, 1}, {1, 1}, {1, 1}, MLC_ACT_HARDSWISH, 1, 1},
      {2, 1, 2, 2, 2, {4, 9}, {3, 3}, {1, 1}, {1, 1}, {3, 3}, {3, 3}, MLC_ACT_NONE, 1, 0},
      {2, 1, 2, 2, 2, {8, 32}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, MLC_ACT_NONE, 1, 1},
      {2, 1, 2, 2, 2, {5, 16}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, MLC_ACT_RELU, 1, 0},
      {2, 1, 2, 2, 2, {37, 45}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, MLC_ACT_CLIP, 1, 1},
      {2, 1, 2, 2, 2, {13, 129}, {5, 5}, {2, 2}, {1, 1}, {2, 2}, {2, 2}, MLC_ACT_SIGMOID, 1, 1},
      {2, 1, 3, 3, 3, {9, 35}, {3, 3}, {1, 1}, {2, 2}, {2, 2}, {2, 2}, MLC_ACT_RELU, 1, 1},
      {2, 1, 2, 2, 2, {8, 30}, {3, 3}, {1, 1}, {1, 2}, {1, 2}, {1, 2}, MLC_ACT_NONE, 1, 0},
      {2, 1, 2, 2, 2, {10, 40}, {3, 3}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, MLC_ACT_HARDSWISH, 1, 0},
      {2, 1, 2, 2, 2, {9, 40}, {3, 3}, {1, 2}, {1, 1}, {1, 1}, {1, 1}, MLC_ACT_NONE, 1, 1},
      {2, 1, 2, 2, 2, {9, 23}, {7, 7}, {1, 1}, {1, 1}, {3, 3}, {3, 3}, MLC_ACT_LEAKYRELU, 1, 0},
      /* depthwise bands: a plane of several bands, the last one short; a
       * window of more taps than a pass sums; a row padded unevenly but
       * as wide as its input (the direct path, off its common windows) */
      {2, 1, 2, 2, 2, {60, 200}, {3, 3}, {2, 2}, {1, 1}, {1, 1}, {1, 1}, MLC_ACT_RELU, 1, 1},
      /* stride 2: a last group of whole rows whose windows end on the
       * plane's last row, the row after it padding */
      {2, 1, 2, 2, 2, {15, 37}, {3, 3}, {2, 2}, {1, 1}, {1, 1}, {1, 1}, MLC_ACT_CLIP, 1, 0},
      {2, 1, 2, 2, 2, {16, 40}, {5, 5}, {2, 2}, {1, 1}, {2, 2}, {2, 2}, MLC_ACT_NONE, 1, 1},
      {2, 1, 3, 3, 3, {12, 20}, {9, 9}, {1, 1}, {1, 1}, {4, 4}, {4, 4}, MLC_ACT_NONE, 1, 1},
      {2, 1, 2, 2, 2, {11, 21}, {3, 3}, {1, 1}, {1, 1}, {0, 0}, {2, 2}, MLC_ACT_CLIP, 1, 1},
      {2, 1, 2, 2, 2, {6, 9}, {5, 5}, {1, 1}, {1, 1}, {1, 3}, {3, 1}, MLC_ACT_RELU, 0, 1},
      {1, 2, 3, 3, 3, {70}, {5}, {1}, {1}, {2}, {2}, MLC_ACT_RELU, 1, 1},
      {1, 1, 2, 2, 2, {33}, {3}, {2}, {1}, {1}, {1}, MLC_ACT_NONE, 1, 0},
      {3,
       1,
       2,
       2,
       2,
       {3, 4, 20},
       {2, 3, 3},
       {1, 1, 1},
       {1, 1, 1},
       {1, 1, 1},
       {0, 1, 1},
       MLC_ACT_RELU,
       1,
       1},
      {3,
       1,
       2,
       2,
       2,
       {4, 9, 12},
       {3, 7, 3},
       {1, 1, 2},
       {1, 1, 1},
       {1, 3, 1},
       {1, 3, 1},
       MLC_ACT_CLIP,
       1,
       1},
      {3,
       2,
       2,
       2,
       2,
       {3, 9, 18},
       {1, 3, 3},
       {2, 1, 1},
       {1, 1, 1},
       {1, 1, 1},
       {0, 1, 1},
       MLC_ACT_NONE,
       1,
       1},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) conv_case(&cases[i]);
}

/* ---- pool_f32 ----------------------------------------------------------------------- */

/* MaxPool (no indices) against a window-by-window reference: windows in
 * and past the padding, strides 1 to 3, images wider than a row segment
 * of the kernel, 1-D to 3-D; a NaN passed over as the kernel has always
 * done (a window of NaN and numbers gives the largest number); float, and
 * int8 and uint8 (t: MLC_DT_*) with the float values scaled to them */
static void maxpool_case(int nsp, int64_t c, const int64_t *in, const int64_t *k,
                         const int64_t *stride, const int64_t *pad, const int64_t *pad_end,
                         int with_nan, int64_t type) {
  MlcPool p = {.n = 1, .c = c, .nsp = nsp, .kind = MLC_POOL_MAX};
  int64_t inpix = 1, outpix = 1;
  for (int d = 0; d < nsp; d++) {
    p.in_sp[d] = in[d], p.k[d] = k[d], p.stride[d] = stride[d], p.dil[d] = 1;
    p.pad_begin[d] = pad[d], p.pad_end[d] = pad_end[d];
    p.out_sp[d] = (in[d] + pad[d] + pad_end[d] - k[d]) / stride[d] + 1;
    inpix *= in[d];
    outpix *= p.out_sp[d];
  }
  float *x = rnd_array(c * inpix), *y = zeros(c * outpix);
  if (with_nan) x[inpix / 2] = NAN;
  void *io[MLC_POOL_NIO] = {x, y, NULL};
  if (type == MLC_DT_FLOAT) {
    mlc_rt_pool_f32(&p, io);
  } else {
    /* the values as bytes of type t, and as floats for the reference */
    uint8_t *xb = malloc((size_t)(c * inpix)), *yb = malloc((size_t)(c * outpix));
    for (int64_t i = 0; i < c * inpix; i++) {
      int v = (int)lrintf(x[i] * 40) + (type == MLC_DT_UINT8 ? 128 : 0);
      v = v < (type == MLC_DT_UINT8 ? 0 : -128) ? (type == MLC_DT_UINT8 ? 0 : -128) : v;
      v = v > (type == MLC_DT_UINT8 ? 255 : 127) ? (type == MLC_DT_UINT8 ? 255 : 127) : v;
      xb[i] = (uint8_t)v;
      x[i] = (float)(type == MLC_DT_UINT8 ? (int)xb[i] : (int)(int8_t)xb[i]);
    }
    io[MLC_POOL_X] = xb, io[MLC_POOL_Y] = yb;
    (type == MLC_DT_UINT8 ? mlc_rt_pool_u8 : mlc_rt_pool_i8)(&p, io);
    for (int64_t i = 0; i < c * outpix; i++)
      y[i] = (float)(type == MLC_DT_UINT8 ? (int)yb[i] : (int)(int8_t)yb[i]);
    free(xb), free(yb);
  }
  int ok = 1;
  int64_t o[3], t[3];
  for (int64_t ci = 0; ci < c && ok; ci++)
    for (int64_t op = 0; op < outpix && ok; op++) {
      for (int d = nsp - 1, rest = (int)op; d >= 0; d--)
        o[d] = rest % p.out_sp[d], rest /= (int)p.out_sp[d];
      float best = -INFINITY;
      int64_t kvol = 1;
      for (int d = 0; d < nsp; d++) kvol *= k[d];
      for (int64_t kp = 0; kp < kvol; kp++) {
        int64_t off = 0, inside = 1;
        for (int d = nsp - 1, rest = (int)kp; d >= 0; d--) t[d] = rest % k[d], rest /= (int)k[d];
        for (int d = 0; d < nsp; d++) {
          int64_t pos = o[d] * stride[d] - pad[d] + t[d];
          inside &= pos >= 0 && pos < in[d];
          off = off * in[d] + pos;
        }
        if (inside && x[ci * inpix + off] > best) best = x[ci * inpix + off];
      }
      float got = y[ci * outpix + op];
      ok = got == best;
      if (!ok)
        printf("  [%lld] = %.9g, reference %.9g\n", (long long)(ci * outpix + op), got, best);
    }
  char what[160];
  snprintf(what, sizeof what, "pool_%s max %dD in %lld k %lld stride %lld pad %lld/%lld%s",
           type == MLC_DT_FLOAT  ? "f32"
           : type == MLC_DT_INT8 ? "i8"
                                 : "u8",
           nsp, (long long)in[nsp - 1], (long long)k[nsp - 1], (long long)stride[nsp - 1],
           (long long)pad[nsp - 1], (long long)pad_end[nsp - 1], with_nan ? " NaN" : "");
  check(ok, what);
  free(x), free(y);
}

static void test_pool(void) {
  static const int64_t widths[] = {1, 2, 13, 16, 17, 55, 111, 256, 300};
  for (size_t i = 0; i < sizeof widths / sizeof *widths; i++)
    for (int64_t s = 1; s <= 3; s++) {
      int64_t w = widths[i], k = s == 1 ? 3 : s == 2 ? 3 : 2, pad = w > 2 ? 1 : 0;
      int64_t in[2] = {7, w}, kk[2] = {k, k}, st[2] = {s, s}, pb[2] = {pad, pad},
              pe[2] = {pad + (s == 2), pad + (s == 2)};
      if (w + pb[1] + pe[1] < k) continue;
      maxpool_case(2, 3, in, kk, st, pb, pe, (int)(i & 1), MLC_DT_FLOAT);
      maxpool_case(2, 3, in, kk, st, pb, pe, 0, i & 1 ? MLC_DT_INT8 : MLC_DT_UINT8);
    }
  int64_t in1[1] = {40}, k1[1] = {8}, s1[1] = {2}, z1[1] = {0}, e1[1] = {3};
  maxpool_case(1, 2, in1, k1, s1, z1, e1, 0, MLC_DT_FLOAT);
  int64_t in3[3] = {4, 5, 19}, k3[3] = {2, 3, 3}, s3[3] = {1, 2, 2}, p3[3] = {0, 1, 1};
  maxpool_case(3, 2, in3, k3, s3, p3, p3, 1, MLC_DT_FLOAT);
  /* big enough to split its planes over the thread pool */
  int64_t inb[2] = {112, 112}, kb[2] = {3, 3}, sb[2] = {2, 2}, pb[2] = {1, 1};
  maxpool_case(2, 64, inb, kb, sb, pb, pb, 0, MLC_DT_FLOAT);
  maxpool_case(2, 64, inb, kb, sb, pb, pb, 0, MLC_DT_INT8);
  /* stride 2 across (AVX-512: straight from the rows): windows of 2, 5
   * and 7 columns, a SqueezeNet-sized image unpadded, stride 1 down, and
   * a row of more outputs than the masks are kept for */
  static const int64_t s2[][8] = {{9, 40, 2, 2, 2, 2, 0, 0},  {11, 70, 5, 5, 2, 2, 2, 2},
                                  {10, 37, 7, 7, 2, 2, 3, 3}, {111, 111, 3, 3, 2, 2, 0, 0},
                                  {8, 33, 3, 3, 1, 2, 1, 1},  {12, 50, 3, 3, 2, 2, 1, 1},
                                  {3, 2101, 3, 3, 2, 2, 0, 0}};
  for (size_t i = 0; i < sizeof s2 / sizeof *s2; i++) {
    const int64_t *q = s2[i];
    int64_t in2[2] = {q[0], q[1]}, k2[2] = {q[2], q[3]}, st2[2] = {q[4], q[5]};
    int64_t pb2[2] = {q[6], q[7]}, pe2[2] = {q[6], q[7] + 1};
    maxpool_case(2, 3, in2, k2, st2, pb2, pe2, (int)(i & 1), MLC_DT_FLOAT);
  }
  /* one plane deep but 3-D, its window wholly in the padding of that
   * depth: not the 2-D path's */
  int64_t ind[3] = {1, 6, 20}, kd[3] = {1, 3, 3}, sd[3] = {2, 2, 2}, pd[3] = {1, 1, 1},
          ed[3] = {0, 1, 1};
  maxpool_case(3, 2, ind, kd, sd, pd, ed, 0, MLC_DT_FLOAT);
  /* wider than the fast path's window: the tap-by-tap path */
  int64_t in9[2] = {9, 30}, k9[2] = {3, 9}, s9[2] = {1, 2}, z9[2] = {0, 0};
  maxpool_case(2, 2, in9, k9, s9, z9, z9, 0, MLC_DT_FLOAT);
}

/* ---- softmax_f32, layernorm_f32 ----------------------------------------------------- */

/* rows of a softmax (log or not) and of a LayerNorm, in the vectorized
 * passes over contiguous rows, against double references: rows shorter
 * than a pass and rows with a tail, values far from 0 */
static void rows_case(int64_t outer, int64_t len, int logsm) {
  float *x = rnd_array(outer * len), *y = zeros(outer * len), *z = zeros(outer * len);
  float *scale = rnd_array(len), *bias = rnd_array(len);
  for (int64_t i = 0; i < outer * len; i++) x[i] = x[i] * 8 + (float)(i / len % 5);
  MlcSoftmax sp = {.outer = outer, .len = len, .inner = 1, .log = logsm};
  void *sio[MLC_SOFTMAX_NIO] = {x, y};
  mlc_rt_softmax_f32(&sp, sio);
  float *mo = zeros(outer), *iv = zeros(outer);
  MlcLayerNorm lp = {.outer = outer, .inner = len, .eps = 1e-5, .has_bias = 1};
  void *lio[MLC_LAYERNORM_NIO] = {x, scale, bias, z, mo, iv};
  mlc_rt_layernorm_f32(&lp, lio);
  int ok = 1;
  for (int64_t r = 0; r < outer && ok; r++) {
    const float *xr = x + r * len;
    double mx = xr[0], sum = 0, mean = 0, var = 0;
    for (int64_t i = 0; i < len; i++) mx = xr[i] > mx ? xr[i] : mx;
    for (int64_t i = 0; i < len; i++) sum += exp(xr[i] - mx), mean += xr[i];
    mean /= (double)len;
    for (int64_t i = 0; i < len; i++) var += (xr[i] - mean) * (xr[i] - mean);
    var /= (double)len;
    ok = fabs(mo[r] - mean) <= 1e-4 * (fabs(mean) + 1) &&
         fabs(iv[r] - 1 / sqrt(var + 1e-5)) <= 1e-4 / sqrt(var + 1e-5);
    for (int64_t i = 0; i < len && ok; i++) {
      double sm = logsm ? xr[i] - mx - log(sum) : exp(xr[i] - mx) / sum;
      double ln = (xr[i] - mean) / sqrt(var + 1e-5) * scale[i] + bias[i];
      ok = fabs(y[r * len + i] - sm) <= 1e-5 * (fabs(sm) + 1e-3) + 1e-7 &&
           fabs(z[r * len + i] - ln) <= 1e-4 * (fabs(ln) + 1);
      if (!ok)
        printf("  row %lld [%lld]: softmax %.9g (ref %.9g), layernorm %.9g (ref %.9g)\n",
               (long long)r, (long long)i, y[r * len + i], sm, z[r * len + i], ln);
    }
  }
  char what[120];
  snprintf(what, sizeof what, "softmax_f32%s and layernorm_f32, %lld rows of %lld",
           logsm ? " (log)" : "", (long long)outer, (long long)len);
  check(ok, what);
  free(x), free(y), free(z), free(scale), free(bias), free(mo), free(iv);
}

static void test_rows(void) {
  rows_case(3, 17, 0);
  rows_case(300, 257, 0);
  rows_case(300, 257, 1);
  rows_case(5, 4000, 0); /* split over threads a row or two each */
}

/* ---- copy -------------------------------------------------------------------------- */

/* a strided copy of floats (offsets 3 and 5) against the element-by-element
 * walk it stands for */
static void copy_case(int rank, const int64_t *dims, const int64_t *ss, const int64_t *ds) {
  int64_t n = 1, sn = 4, dn = 6;
  for (int d = 0; d < rank; d++) {
    n *= dims[d];
    sn += (dims[d] - 1) * ss[d];
    dn += (dims[d] - 1) * ds[d];
  }
  float *src = rnd_array(sn), *dst = zeros(dn);
  MlcCopy p = {.rank = rank, .elem = 4, .src_off = 3, .dst_off = 5};
  for (int d = 0; d < rank; d++) {
    p.dims[d] = dims[d];
    p.src_strides[d] = ss[d];
    p.dst_strides[d] = ds[d];
  }
  void *io[MLC_COPY_NIO] = {src, dst};
  mlc_rt_copy(&p, io);
  int ok = 1;
  for (int64_t i = 0; i < n && ok; i++) {
    int64_t so = 3, dof = 5, q = i;
    for (int d = rank - 1; d >= 0; d--) {
      so += q % dims[d] * ss[d];
      dof += q % dims[d] * ds[d];
      q /= dims[d];
    }
    ok = dst[dof] == src[so];
  }
  char what[80];
  snprintf(what, sizeof what, "copy of %lld floats, rank %d", (long long)n, rank);
  check(ok, what);
  free(src), free(dst);
}

static void test_copy(void) {
  /* BERT-base's attention transposes, big enough to split over threads:
   * [128, 12, 64] to [12, 64, 128], and [12, 128, 64] to [128, 12, 64] */
  copy_case(3, (const int64_t[]){12, 64, 128}, (const int64_t[]){64, 1, 768},
            (const int64_t[]){8192, 128, 1});
  copy_case(3, (const int64_t[]){128, 12, 64}, (const int64_t[]){64, 8192, 1},
            (const int64_t[]){768, 64, 1});
  /* runs that do not divide among the threads; one too small to split */
  copy_case(4, (const int64_t[]){7, 4, 11, 200}, (const int64_t[]){3, 1, 21, 231},
            (const int64_t[]){8800, 2200, 200, 1});
  copy_case(2, (const int64_t[]){5, 9}, (const int64_t[]){1, 5}, (const int64_t[]){9, 1});
}

/* ---- the memory planner ------------------------------------------------------------- */

/* tests/models/concat_in_place.onnxtxt: which Concat inputs the plan
 * writes in place (a view of the Concat's output at its offset), and which
 * it copies: another user (e), a graph input (x), twice in one Concat (c),
 * a graph output (z), two rows (p1), an unaligned offset (xn) */
static void concat_views(Graph *g) {
  static const struct {
    const char *name, *of;
    int64_t off;
  } want[] = {{"a", "s", 256}, {"b", "s", 512}, {"ab", "s", 256}, {"f", "t", 0},
              {"xa", "r0", 0}, {"c", NULL, 0},  {"d", NULL, 0},   {"e", NULL, 0},
              {"p1", NULL, 0}, {"p2", NULL, 0}, {"xn", NULL, 0}};
  int ok = 1;
  for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
    Value *v = NULL;
    for (int j = 0; j < g->nvalues; j++)
      if (!strcmp(g->values[j]->name, want[i].name)) v = g->values[j];
    Value *r = v ? plan_root(v) : NULL;
    int got =
        v && (want[i].of ? r != v && !strcmp(r->name, want[i].of) && plan_view_off(v) == want[i].off
                         : r == v);
    if (!got) printf("  %s: not where expected\n", want[i].name);
    ok &= got;
  }
  check(ok, "plan: Concat inputs written in place where they can be, copied elsewhere");
}

static void plan_check(const char *path) {
  Arena *a = arena_new();
  DiagScope scope = {0};
  scope.quiet = 1; /* "batch" may name no dim of the model */
  char what[512];
  if (setjmp(scope.jb)) {
    snprintf(what, sizeof what, "plan of %.200s: the model did not compile: %.200s", path,
             scope.text);
    check(0, what);
    arena_free(a);
    return;
  }
  diag_enter(&scope);
  DimBind one = {"batch", 1};
  Bindings b = {0};
  b.dims = &one;
  b.ndims = 1;
  Graph *g = driver_prepare(a, path, &b);
  PassOptions po = {.opt_level = 2};
  Plan *p = driver_plan(g, &po);
  /* each arena value's first and last step */
  int n = p->narena;
  int *first = calloc((size_t)n + 1, sizeof *first), *last = calloc((size_t)n + 1, sizeof *last);
  for (int i = 0; i < n; i++) first[i] = -1;
  for (int s = 0; s < p->nsteps; s++)
    for (int c = 0; c < p->steps[s].ncalls; c++)
      for (int k = 0; k < p->steps[s].calls[c].nio; k++) {
        Value *v = p->steps[s].calls[c].io[k];
        if (!v) continue;
        v = plan_root(v);
        for (int i = 0; i < n; i++)
          if (p->arena_vals[i] == v) {
            if (first[i] < 0) first[i] = s;
            last[i] = s;
          }
      }
  int ok = p->arena_bytes >= p->lower_bound;
  /* a view lies within the bytes of the value it shares */
  for (int i = 0; i < g->nvalues && ok; i++) {
    Value *v = g->values[i];
    ok =
        !v->view_of || plan_view_off(v) + (int64_t)ir_nbytes(v) <= (int64_t)ir_nbytes(plan_root(v));
  }
  const char *base = strrchr(path, '/');
  if (!strcmp(base ? base + 1 : path, "concat_in_place.onnxtxt")) concat_views(g);
  for (int i = 0; i < n && ok; i++) {
    const Value *u = p->arena_vals[i];
    if (first[i] < 0) continue; /* read by no call */
    ok = u->offset >= 0 && u->offset + (int64_t)ir_nbytes(u) <= p->arena_bytes;
    for (int j = i + 1; j < n && ok; j++) {
      const Value *v = p->arena_vals[j];
      if (first[j] < 0) continue;
      int disjoint_time = last[i] < first[j] || last[j] < first[i];
      int handover = last[i] == first[j] || last[j] == first[i]; /* in place at one step */
      int disjoint_bytes = u->offset + (int64_t)ir_nbytes(u) <= v->offset ||
                           v->offset + (int64_t)ir_nbytes(v) <= u->offset;
      ok = disjoint_time || disjoint_bytes || (handover && u->offset == v->offset);
      if (!ok)
        printf("  values %d [steps %d..%d, bytes %lld+%zu] and %d [%d..%d, %lld+%zu] overlap\n", i,
               first[i], last[i], (long long)u->offset, ir_nbytes(u), j, first[j], last[j],
               (long long)v->offset, ir_nbytes(v));
    }
  }
  snprintf(what, sizeof what, "plan of %s: %d arena values, %lld bytes (bound %lld)", path, n,
           (long long)p->arena_bytes, (long long)p->lower_bound);
  check(ok, what);
  free(first);
  free(last);
  diag_leave(&scope);
  arena_free(a);
}

/* ---- name mangling ------------------------------------------------------------------ */

/* the inverse of emitc_mangle: "__" is '_', "_hh" the byte 0xhh */
static int unmangle(const char *s, char *out, size_t cap) {
  size_t n = 0;
  for (; *s; s++) {
    if (n + 1 >= cap) return 0;
    if (*s != '_') {
      out[n++] = *s;
    } else if (s[1] == '_') {
      out[n++] = '_';
      s++;
    } else {
      unsigned v;
      if (!s[1] || !s[2] || sscanf(s + 1, "%2x", &v) != 1) return 0;
      out[n++] = (char)v;
      s += 2;
    }
  }
  out[n] = 0;
  return 1;
}

static void test_mangle(void) {
  static const char *const names[] = {"x",
                                      "_",
                                      "__",
                                      "a_b",
                                      "a__b",
                                      "a_5fb",
                                      "a.b",
                                      "a/b",
                                      "int",
                                      "while",
                                      "5x",
                                      "x y",
                                      "\xc3\xa9t\xc3\xa9",
                                      "*/",
                                      "a_2e",
                                      "A",
                                      "a"};
  enum { N = sizeof names / sizeof *names };
  Arena *a = arena_new();
  const char *m[N];
  for (int i = 0; i < N; i++) {
    m[i] = emitc_mangle(a, names[i]);
    char back[256], what[128];
    int ident = strspn(m[i], "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") ==
                strlen(m[i]);
    snprintf(what, sizeof what, "mangle '%s' -> '%s': C identifier characters, decodable", names[i],
             m[i]);
    check(ident && unmangle(m[i], back, sizeof back) && !strcmp(back, names[i]), what);
  }
  int distinct = 1;
  for (int i = 0; i < N; i++)
    for (int j = i + 1; j < N; j++) distinct &= strcmp(m[i], m[j]) != 0;
  check(distinct, "mangle is one-to-one on distinct names");
  arena_free(a);
}

/* the products with their operands as the model has them, then with the
 * constant ones packed at compile time, then the 3x3 convs by Winograd */
/* ---- conv_dwpw_f32 ----------------------------------------------------------------- */

/* A depthwise conv and the 1x1 conv after it by bands, against the two
 * conv_f32 calls they replace (each checked against a plain reference in
 * test_conv), the 1x1 conv's weights packed as for conv_f32 */
typedef struct DwPwCase {
  int64_t n, c, m, in[2], k, stride, dil, pad[2], pad_end[2];
  int act, pw_act, bias, res;
} DwPwCase;

static void dwpw_case(const DwPwCase *t) {
  MlcDwPw p = {.n = t->n,
               .c = t->c,
               .m = t->m,
               .nsp = 2,
               .has_bias = t->bias,
               .act = t->act,
               .act_a = 0,
               .act_b = 6,
               .pw_has_bias = t->bias,
               .pw_act = t->pw_act,
               .pw_act_a = -0.5,
               .pw_act_b = 0.75,
               .has_res = t->res};
  for (int d = 0; d < 2; d++) {
    p.in_sp[d] = t->in[d];
    p.k[d] = t->k;
    p.stride[d] = t->stride;
    p.dil[d] = t->dil;
    p.pad_begin[d] = t->pad[d];
    p.out_sp[d] = (t->in[d] + t->pad[d] + t->pad_end[d] - (t->k - 1) * t->dil - 1) / t->stride + 1;
  }
  MlcConv dw, pw;
  int64_t mr, mr2, nr;
  mlc_rt_gemm_tiles(&mr, &mr2, &nr);
  mlc_rt_dwpw_convs(&p, &dw, &pw);
  int64_t npix = p.out_sp[0] * p.out_sp[1], nx = t->n * t->c * t->in[0] * t->in[1];
  int64_t nt = t->n * t->c * npix, ny = t->n * t->m * npix;
  float *x = rnd_array(nx), *w = rnd_array(t->c * t->k * t->k), *b = rnd_array(t->c);
  float *w2 = rnd_array(t->m * t->c), *b2 = rnd_array(t->m), *r = rnd_array(ny), *wp = NULL;
  float *mid = zeros(nt), *ref = zeros(ny), *y = zeros(ny);
  if (packed_weights && mlc_rt_conv_scratch(&pw) > 0) {
    p.packed_w = pw.packed_w = mlc_rt_gemm_height(t->m, mr, mr2);
    wp = pack_for_runtime(w2, 1, t->m, t->c, t->c, 1, p.packed_w);
  }
  float *s1 = scratch_of(mlc_rt_conv_scratch(&dw)), *s2 = scratch_of(mlc_rt_conv_scratch(&pw));
  float *s3 = scratch_of(mlc_rt_dwpw_scratch(&p));
  void *io1[MLC_CONV_NIO] = {x, w, t->bias ? b : NULL, mid, s1, NULL};
  void *io2[MLC_CONV_NIO] = {mid, wp ? wp : w2, t->bias ? b2 : NULL, ref, s2, t->res ? r : NULL};
  void *io3[MLC_DWPW_NIO] = {0};
  io3[MLC_DWPW_X] = x;
  io3[MLC_DWPW_W] = w;
  io3[MLC_DWPW_BIAS] = t->bias ? b : NULL;
  io3[MLC_DWPW_PW_W] = wp ? wp : w2;
  io3[MLC_DWPW_PW_BIAS] = t->bias ? b2 : NULL;
  io3[MLC_DWPW_Y] = y;
  io3[MLC_DWPW_SCRATCH] = s3;
  io3[MLC_DWPW_RES] = t->res ? r : NULL;
  mlc_rt_conv_f32(&dw, io1);
  mlc_rt_conv_f32(&pw, io2);
  mlc_rt_conv_dwpw_f32(&p, io3);
  int ok = 1;
  for (int64_t i = 0; i < ny && ok; i++)
    if (!(fabsf(y[i] - ref[i]) <= 1e-5f * (1 + fabsf(ref[i])))) {
      printf("  [%lld] = %.9g, apart %.9g\n", (long long)i, y[i], ref[i]);
      ok = 0;
    }
  char what[200];
  snprintf(what, sizeof what,
           "conv_dwpw_f32 n=%lld c=%lld m=%lld in %lldx%lld k %lld stride %lld dil %lld pad "
           "%lld/%lld band %lld%s",
           (long long)t->n, (long long)t->c, (long long)t->m, (long long)t->in[0],
           (long long)t->in[1], (long long)t->k, (long long)t->stride, (long long)t->dil,
           (long long)t->pad[0], (long long)t->pad_end[0], (long long)mlc_rt_dwpw_band(&p),
           wp ? " W packed" : "");
  check(ok, what);
  free(x), free(w), free(b), free(w2), free(b2), free(r), free(wp), free(mid), free(ref), free(y);
  free(s1), free(s2), free(s3);
}

static void test_dwpw(void) {
  enum { NONE = MLC_ACT_NONE, RELU = MLC_ACT_RELU, CLIP = MLC_ACT_CLIP, HSW = MLC_ACT_HARDSWISH };
  static const DwPwCase cases[] = {
      /* n c m in k stride dil pad pad_end act pw_act bias res */
      /* MobileNetV2's first pair, smaller: bands of 12 rows, the last of 4 */
      {1, 32, 16, {40, 40}, 3, 1, 1, {1, 1}, {1, 1}, CLIP, NONE, 1, 0},
      /* odd channels, two images, a short last band, a residual */
      {2, 33, 7, {29, 45}, 3, 1, 1, {1, 1}, {1, 1}, RELU, RELU, 1, 1},
      /* 28-wide planes: bands of whole 8-row groups (whole column strips) */
      {1, 96, 5, {28, 28}, 3, 1, 1, {1, 1}, {1, 1}, CLIP, NONE, 1, 1},
      /* stride 2, rows that end in a vector tail */
      {1, 24, 10, {57, 61}, 3, 2, 1, {1, 1}, {1, 1}, CLIP, NONE, 1, 1},
      /* 5x5 at stride 1 and 2, no biases, an activation after the store */
      {1, 20, 12, {30, 50}, 5, 1, 1, {2, 2}, {2, 2}, RELU, HSW, 0, 0},
      {2, 20, 12, {41, 50}, 5, 2, 1, {2, 2}, {2, 2}, NONE, CLIP, 0, 1},
      /* the band path through the scratch: no padding, a dilation, stride 3,
       * padding on one side */
      {1, 18, 6, {33, 40}, 3, 1, 1, {0, 0}, {0, 0}, CLIP, NONE, 1, 0},
      {1, 18, 6, {33, 40}, 3, 1, 2, {2, 2}, {2, 2}, RELU, NONE, 1, 1},
      {1, 18, 6, {47, 52}, 3, 3, 1, {1, 1}, {1, 1}, NONE, RELU, 1, 0},
      {1, 18, 6, {33, 40}, 3, 1, 1, {1, 1}, {0, 0}, CLIP, NONE, 1, 1},
      /* planes narrower than a vector: one band (16 planes at a time on
       * AVX-512); and a plane of one band */
      {1, 20, 9, {12, 9}, 3, 1, 1, {1, 1}, {1, 1}, CLIP, NONE, 1, 1},
      {1, 4, 3, {5, 20}, 3, 1, 1, {1, 1}, {1, 1}, CLIP, NONE, 1, 0},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) dwpw_case(&cases[i]);
}

static void test_products(void) {
  for (packed_weights = 0; packed_weights < 2; packed_weights++) {
    test_gemm();
    test_conv();
    test_dwpw();
  }
  test_matmul();
  packed_weights = 1;
  for (winograd_tile = 2; winograd_tile <= 4; winograd_tile += 2) test_conv();
  packed_weights = winograd_tile = 0;
}

/* ---- cast ------------------------------------------------------------------------ */

/* int32 to float (the fast path after integer products) rounds as the
 * general path's int64 to float: values above 2^24, both signs, the ends
 * of the range, and counts off the path's runs of 16 */
static void test_cast(void) {
  static const int32_t edge[] = {
      0, 1, -1, 16777217, -16777217, 16777219, 2147483647, -2147483647 - 1, 123456789, -987654321};
  for (int64_t n = 1; n <= 50; n += 7) {
    int32_t x[64];
    float y[64];
    for (int64_t i = 0; i < n; i++)
      x[i] = edge[i % 10] + (int32_t)(i / 10) * 3 * (edge[i % 10] < 0 ? 1 : -1);
    MlcCast p = {.count = n, .from = MLC_DT_INT32, .to = MLC_DT_FLOAT};
    void *io[MLC_CAST_NIO] = {[MLC_CAST_X] = x, [MLC_CAST_Y] = y};
    mlc_rt_cast(&p, io);
    int ok = 1;
    for (int64_t i = 0; i < n; i++) ok &= y[i] == (float)(int64_t)x[i];
    check(ok, "cast int32 to float");
  }
}

int main(int argc, char **argv) {
  test_cast();
  test_products();
  test_pool();
  test_rows();
  test_copy();
  test_scratch_sizes();
  /* with the thread pool (a runtime built with it), the products again:
   * the callers' scratch serves the first part, the workers' their own */
  if (mlc_rt_set_threads(3) > 1) {
    test_products();
    test_pool();
    test_rows();
    test_copy();
    mlc_rt_set_threads(1);
  }
  test_mangle();
  for (int i = 1; i < argc; i++) plan_check(argv[i]);
  printf("%d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
