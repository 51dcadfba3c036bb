/* The nn family's private parts (runtime/ only): what the GEMM-based
 * kernels (nn.c) and the depthwise conv (nn_depthwise.c) share: operands
 * read through strides, the implicit im2col geometry, and the epilogue
 * every result passes through on its last store. */
#ifndef MLC_RT_NN_INT_H
#define MLC_RT_NN_INT_H

#include "mlc_rt.h"
#include "parallel.h"

#if defined(__AVX512F__) && defined(__GNUC__) && !defined(__clang__)
/* gcc prefers 256-bit vectors even where 512-bit ones exist; the kernels'
 * tiles and blocks are sized for the wide ones */
#pragma GCC target("prefer-vector-width=512")
#endif
/* inlined into its caller, gcc no longer keeps the micro-kernel's tile in
 * registers */
#if defined(__GNUC__)
#define MLC_NOINLINE __attribute__((noinline))
#define MLC_INLINE __attribute__((always_inline)) inline
#else
#define MLC_NOINLINE
#define MLC_INLINE inline
#endif

static inline int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

/* d[t] = s[2 t] for t < 16, reading s[0, 32): the stride-2 gather of
 * im2col and pooling, which gcc vectorizes only at -O3 (the runtime is
 * built at -O2), so by hand where the runtime's ISA has the permutes */
#if MLC_RT_ISA == MLC_RT_ISA_X86_64_V4 || MLC_RT_ISA == MLC_RT_ISA_X86_64_V3
#include <immintrin.h>
#elif MLC_RT_ISA == MLC_RT_ISA_AARCH64
#include <arm_neon.h>
#endif
static MLC_INLINE void mlc_rt__evens16(float *restrict d, const float *restrict s) {
#if MLC_RT_ISA == MLC_RT_ISA_X86_64_V4
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  _mm512_storeu_ps(d, _mm512_permutex2var_ps(_mm512_loadu_ps(s), even, _mm512_loadu_ps(s + 16)));
#elif MLC_RT_ISA == MLC_RT_ISA_X86_64_V3
  for (int h = 0; h < 2; h++) {
    /* a0 a2 b0 b2 | a4 a6 b4 b6, then its 64-bit quarters in order 0 2 1 3 */
    __m256 e = _mm256_shuffle_ps(_mm256_loadu_ps(s + 16 * h), _mm256_loadu_ps(s + 16 * h + 8),
                                 _MM_SHUFFLE(2, 0, 2, 0));
    e = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(e), _MM_SHUFFLE(3, 1, 2, 0)));
    _mm256_storeu_ps(d + 8 * h, e);
  }
#elif MLC_RT_ISA == MLC_RT_ISA_AARCH64
  for (int q = 0; q < 4; q++) vst1q_f32(d + 4 * q, vld2q_f32(s + 8 * q).val[0]);
#else
  for (int t = 0; t < 16; t++) d[t] = s[2 * t];
#endif
}

/* With the thread pool (parallel.h), a product of at least PAR_FLOPS splits
 * C into one part per thread: column ranges when C is wider than tall (each
 * thread packs only its own columns of B), else row ranges (each packs all
 * of B, little beside its share of the product then), in whole micro-tiles.
 * Workers spinning between jobs (parallel.c) take a new one within about a
 * microsecond, waking sleeping ones costs several: products under ~10 us on
 * one core (a million flops) gain nothing from a split. */
#define PAR_FLOPS (1 << 20)

/* a matrix read through element strides: (i, j) is p[i * rs + j * cs] */
typedef struct Mat {
  const float *p;
  int64_t rs, cs;
  const float *pk; /* the matrix packed at compile time (mlc_rt_pack_strips), or NULL */
  int64_t h;       /* A: the height of its strips, pk's or the kernel's packing */
} Mat;

/* The implicit im2col matrix of one image and one group, in 3-D (1-D and
 * 2-D convs have leading dims of 1). Row r = (c, kz, ky, kx); column
 * j = (oz, oy, ox) holds x[c][oz*s - pad + kz*d][...][...] or 0 in the
 * padding. */
typedef struct Im2col {
  const float *x; /* channel 0 of the group in this image */
  int64_t nx;     /* floats readable from x on */
  int64_t in[3], out[3], k[3], s[3], d[3], pad[3];
} Im2col;

/* B is either a plain matrix or the implicit im2col matrix */
typedef struct BSrc {
  Mat m;
  const Im2col *col;
} BSrc;

typedef struct Epi {
  float alpha, beta;
  const float *bias; /* beta * bias[i * brs + j * bcs] is added; NULL: none */
  int64_t brs, bcs;
  int act;
  float act_a, act_b;
  const float *res; /* residual added before the activation, laid out as C; NULL: none */
  int64_t res_ld;
} Epi;

/* the end of a row of C (row i, from column j0): residual, then activation */
static MLC_INLINE void finish_row(float *restrict row, int64_t n, int64_t i, int64_t j0,
                                  const Epi *e) {
  if (e->res) {
    const float *r = e->res + i * e->res_ld + j0;
    for (int64_t j = 0; j < n; j++) row[j] += r[j];
  }
  float a = e->act_a, b = e->act_b;
  (void)a, (void)b;
  switch (e->act) {
#define ACT_CASE(name, op, expr)      \
  case MLC_ACT_##name:                \
    for (int64_t j = 0; j < n; j++) { \
      float y = row[j];               \
      row[j] = expr;                  \
    }                                 \
    break;
    MLC_RT_ACTIVATIONS(ACT_CASE)
#undef ACT_CASE
  default: break;
  }
}

/* the depthwise conv (nn_depthwise.c): every (image, channel) plane of
 * p, x and y (and res) holding inpix and npix floats per plane, w kvol per
 * channel; g describes one plane, e the epilogue but for its residual */
void mlc_rt__conv_depthwise(const MlcConv *p, const Im2col *g, const Epi *e, const float *x,
                            const float *w, const float *bias, const float *res, float *y,
                            float *scratch, int64_t inpix, int64_t npix, int64_t kvol);

/* C (m x n, row stride ldc) = epilogue(A B): the blocked product of nn.c */
void mlc_rt__sgemm(int64_t m, int64_t n, int64_t k, Mat a, BSrc b, float *c, int64_t ldc,
                   const Epi *e, float *scratch);
/* a conv with p->winograd set (nn_winograd.c); e as for the depthwise conv */
void mlc_rt__conv_winograd(const MlcConv *p, const float *x, const float *w, const float *bias,
                           const float *res, float *y, float *scratch, const Epi *e);

#endif /* MLC_RT_NN_INT_H */
