/* The nn family's private parts (runtime/ only): what the GEMM-based
 * kernels (nn.c) and the depthwise conv (nn_depthwise.c) share: operands
 * read through strides, the implicit im2col geometry, and the epilogue
 * every result passes through on its last store. */
#ifndef MLC_RT_NN_INT_H
#define MLC_RT_NN_INT_H

#include <string.h>

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
/* a hint to bring the line at p into L2 for reading */
#if defined(__GNUC__)
#define NN_PREFETCH(p) __builtin_prefetch((p), 0, 2)
#else
#define NN_PREFETCH(p) ((void)(p))
#endif

static inline int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

/* loops over a window's taps or a tile's accumulators, unrolled where
 * their counts are constants, so that what they index stays in registers
 * (gcc needs telling; clang does it unasked, and warns of the loops it
 * cannot) */
#if defined(__GNUC__) && !defined(__clang__)
#define NN_UNROLL _Pragma("GCC unroll 32")
#else
#define NN_UNROLL
#endif

/* The vector the nn family's kernels compute with, by the runtime's
 * instruction set: NN_V floats, loaded from p[0..NN_V) (v_load) or from the
 * first n > 0 of them (v_load_part, zeros after; all of them when n >=
 * NN_V), stored in full or in part (v_store, n > 0); v_even(a, b): the even
 * places of a, then those of b (stride 2); v_fma(acc, x, w): acc + x * w;
 * v_max(x, y), v_min(x, y): x > y ? x : y and x < y ? x : y, NaNs included
 * (the order of mlc_relu_f32's and mlc_clip_f32's comparisons). */
#if MLC_RT_ISA == MLC_RT_ISA_X86_64_V4
#include <immintrin.h>
#define NN_V 16
typedef __m512 Vec;
static MLC_INLINE __mmask16 v_mask(int64_t n) {
  return n >= NN_V ? (__mmask16)0xffff : (__mmask16)((1u << n) - 1);
}
static MLC_INLINE Vec v_set1(float a) { return _mm512_set1_ps(a); }
static MLC_INLINE Vec v_load(const float *p) { return _mm512_loadu_ps(p); }
static MLC_INLINE Vec v_load_part(const float *p, int64_t n) {
  return _mm512_maskz_loadu_ps(v_mask(n), p);
}
static MLC_INLINE Vec v_even(Vec a, Vec b) {
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  return _mm512_permutex2var_ps(a, even, b);
}
static MLC_INLINE Vec v_fma(Vec acc, Vec x, Vec w) { return _mm512_fmadd_ps(x, w, acc); }
static MLC_INLINE Vec v_add(Vec a, Vec b) { return _mm512_add_ps(a, b); }
static MLC_INLINE Vec v_max(Vec x, Vec y) { return _mm512_max_ps(x, y); }
static MLC_INLINE Vec v_min(Vec x, Vec y) { return _mm512_min_ps(x, y); }
static MLC_INLINE void v_store(float *p, Vec v, int64_t n) {
  if (n >= NN_V)
    _mm512_storeu_ps(p, v);
  else
    _mm512_mask_storeu_ps(p, v_mask(n), v);
}
#elif MLC_RT_ISA == MLC_RT_ISA_X86_64_V3
#include <immintrin.h>
#define NN_V 8
typedef __m256 Vec;
static MLC_INLINE __m256i v_mask(int64_t n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(n < NN_V ? n : NN_V)),
                            _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
static MLC_INLINE Vec v_set1(float a) { return _mm256_set1_ps(a); }
static MLC_INLINE Vec v_load(const float *p) { return _mm256_loadu_ps(p); }
static MLC_INLINE Vec v_load_part(const float *p, int64_t n) {
  return _mm256_maskload_ps(p, v_mask(n));
}
static MLC_INLINE Vec v_even(Vec a, Vec b) {
  /* the even places of each 128-bit half of both, then the halves in order */
  __m256 e = _mm256_shuffle_ps(a, b, 0x88);
  return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(e), 0xd8));
}
static MLC_INLINE Vec v_fma(Vec acc, Vec x, Vec w) { return _mm256_fmadd_ps(x, w, acc); }
static MLC_INLINE Vec v_add(Vec a, Vec b) { return _mm256_add_ps(a, b); }
static MLC_INLINE Vec v_max(Vec x, Vec y) { return _mm256_max_ps(x, y); }
static MLC_INLINE Vec v_min(Vec x, Vec y) { return _mm256_min_ps(x, y); }
static MLC_INLINE void v_store(float *p, Vec v, int64_t n) {
  if (n >= NN_V)
    _mm256_storeu_ps(p, v);
  else
    _mm256_maskstore_ps(p, v_mask(n), v);
}
#elif !defined(MLC_RT_PORTABLE) && defined(__ARM_NEON)
#include <arm_neon.h>
#define NN_V 4
typedef float32x4_t Vec;
static MLC_INLINE Vec v_set1(float a) { return vdupq_n_f32(a); }
static MLC_INLINE Vec v_load(const float *p) { return vld1q_f32(p); }
static MLC_INLINE Vec v_load_part(const float *p, int64_t n) {
  float t[NN_V] = {0};
  memcpy(t, p, (size_t)min64(n, NN_V) * sizeof *t);
  return vld1q_f32(t);
}
static MLC_INLINE Vec v_even(Vec a, Vec b) { return vuzpq_f32(a, b).val[0]; }
static MLC_INLINE Vec v_add(Vec a, Vec b) { return vaddq_f32(a, b); }
/* by compare and select: vmaxq_f32 and vminq_f32 pass NaNs on */
static MLC_INLINE Vec v_max(Vec x, Vec y) { return vbslq_f32(vcgtq_f32(x, y), x, y); }
static MLC_INLINE Vec v_min(Vec x, Vec y) { return vbslq_f32(vcltq_f32(x, y), x, y); }
static MLC_INLINE Vec v_fma(Vec acc, Vec x, Vec w) {
#if defined(__ARM_FEATURE_FMA)
  return vfmaq_f32(acc, x, w);
#else
  return vmlaq_f32(acc, x, w);
#endif
}
static MLC_INLINE void v_store(float *p, Vec v, int64_t n) {
  float t[NN_V];
  if (n >= NN_V) {
    vst1q_f32(p, v);
    return;
  }
  vst1q_f32(t, v);
  memcpy(p, t, (size_t)n * sizeof *t);
}
#else
/* Plain C, no instruction set named: GNU C's generic vectors, which the
 * compiler lowers to whatever the target has (SSE2 on any x86-64, two
 * floats or one elsewhere), or else arrays of floats (which compilers
 * keep in registers less well). */
#define NN_V 4
#if defined(__GNUC__)
typedef float Vec __attribute__((vector_size(NN_V * sizeof(float))));
#define V_AT(v, t) (v)[t]
static MLC_INLINE Vec v_fma(Vec acc, Vec x, Vec w) { return acc + x * w; }
static MLC_INLINE Vec v_even(Vec a, Vec b) { return (Vec){a[0], a[2], b[0], b[2]}; }
#else
typedef struct Vec {
  float f[NN_V];
} Vec;
#define V_AT(v, t) (v).f[t]
static MLC_INLINE Vec v_fma(Vec acc, Vec x, Vec w) {
  for (int t = 0; t < NN_V; t++) acc.f[t] += x.f[t] * w.f[t];
  return acc;
}
static MLC_INLINE Vec v_even(Vec a, Vec b) {
  Vec v = {{a.f[0], a.f[2], b.f[0], b.f[2]}};
  return v;
}
#endif
static MLC_INLINE Vec v_set1(float a) {
  Vec v;
  for (int t = 0; t < NN_V; t++) V_AT(v, t) = a;
  return v;
}
static MLC_INLINE Vec v_add(Vec a, Vec b) {
  for (int t = 0; t < NN_V; t++) V_AT(a, t) += V_AT(b, t);
  return a;
}
static MLC_INLINE Vec v_max(Vec x, Vec y) {
  for (int t = 0; t < NN_V; t++) V_AT(x, t) = V_AT(x, t) > V_AT(y, t) ? V_AT(x, t) : V_AT(y, t);
  return x;
}
static MLC_INLINE Vec v_min(Vec x, Vec y) {
  for (int t = 0; t < NN_V; t++) V_AT(x, t) = V_AT(x, t) < V_AT(y, t) ? V_AT(x, t) : V_AT(y, t);
  return x;
}
static MLC_INLINE Vec v_load(const float *p) {
  Vec v;
  memcpy(&v, p, sizeof v);
  return v;
}
/* the first n places: a switch, as compilers turn a loop into a call of
 * memcpy */
static MLC_INLINE Vec v_load_part(const float *p, int64_t n) {
  Vec v = v_set1(0);
  if (n >= NN_V) return v_load(p);
  switch (n) {
  case 3: V_AT(v, 2) = p[2]; /* fall through */
  case 2: V_AT(v, 1) = p[1]; /* fall through */
  default: V_AT(v, 0) = p[0];
  }
  return v;
}
static MLC_INLINE void v_store(float *p, Vec v, int64_t n) {
  if (n >= NN_V) {
    memcpy(p, &v, sizeof v);
    return;
  }
  switch (n) {
  case 3: p[2] = V_AT(v, 2); /* fall through */
  case 2: p[1] = V_AT(v, 1); /* fall through */
  default: p[0] = V_AT(v, 0);
  }
}
#endif

/* d[t] = s[2 t] for t < 16, reading s[0, 32): the stride-2 gather of
 * im2col and pooling, which gcc vectorizes only at -O3 (the runtime is
 * built at -O2), so through v_even */
static MLC_INLINE void mlc_rt__evens16(float *restrict d, const float *restrict s) {
  for (int q = 0; q < 16; q += NN_V)
    v_store(d + q, v_even(v_load(s + 2 * q), v_load(s + 2 * q + NN_V)), NN_V);
}

/* the same for bytes (MaxPool of int8 and uint8): d[t] = s[2 t], t < 16 */
static MLC_INLINE void mlc_rt__evens16_u8(uint8_t *restrict d, const uint8_t *restrict s) {
#if MLC_RT_ISA == MLC_RT_ISA_X86_64_V4 || MLC_RT_ISA == MLC_RT_ISA_X86_64_V3
  const __m128i even = _mm_setr_epi8(0, 2, 4, 6, 8, 10, 12, 14, -1, -1, -1, -1, -1, -1, -1, -1);
  __m128i a = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(const void *)s), even);
  __m128i b = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(const void *)(s + 16)), even);
  _mm_storeu_si128((__m128i *)(void *)d, _mm_unpacklo_epi64(a, b));
#elif MLC_RT_ISA == MLC_RT_ISA_AARCH64
  vst1q_u8(d, vuzp1q_u8(vld1q_u8(s), vld1q_u8(s + 16)));
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

/* the im2col row after (c, kz, ky, kx), k the window: taps along x, then
 * y, then z, then the next channel */
static MLC_INLINE void im2col_next_tap(const int64_t *k, int64_t *c, int64_t *kz, int64_t *ky,
                                       int64_t *kx) {
  if (++*kx < k[2]) return;
  *kx = 0;
  if (++*ky < k[1]) return;
  *ky = 0;
  if (++*kz < k[0]) return;
  *kz = 0;
  ++*c;
}

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

/* The end of an epilogue that a kernel applies in registers as it stores
 * its outputs, saving a pass that reads them back: Relu or Clip (kind
 * MLC_ACT_RELU or _CLIP, between lo and hi), or kind 0 for none; for the
 * GEMM's micro-kernel, first the residual's tile res (row stride as C's),
 * or NULL. */
typedef struct Clamp {
  int kind;
  float lo, hi;
  const float *res;
} Clamp;
/* e's activation as a Clamp with no residual; whether a store can apply
 * it (none, Relu or Clip; else c's kind is 0) */
static inline int epi_clamp(const Epi *e, Clamp *c) {
  c->kind = e->act == MLC_ACT_RELU || e->act == MLC_ACT_CLIP ? e->act : 0;
  c->lo = e->act == MLC_ACT_CLIP ? e->act_a : 0;
  c->hi = e->act_b;
  c->res = NULL;
  return c->kind || e->act == MLC_ACT_NONE;
}
/* y through the activation `kind`, lo and hi its bounds as vectors, as
 * mlc_relu_f32 and mlc_clip_f32 compute it, NaNs included */
static MLC_INLINE Vec v_clamp(Vec y, int kind, Vec lo, Vec hi) {
  if (kind == MLC_ACT_RELU) y = v_max(y, lo); /* y > 0 ? y : 0 */
  if (kind == MLC_ACT_CLIP) y = v_min(hi, v_max(lo, y));
  return y;
}
static MLC_INLINE float clamp_f32(float y, const Clamp *c) {
  return c->kind == MLC_ACT_RELU   ? mlc_relu_f32(y)
         : c->kind == MLC_ACT_CLIP ? mlc_clip_f32(y, c->lo, c->hi)
                                   : y;
}

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

/* conv p's geometry in 3-D (nn.c), g->x and g->nx left unset */
void mlc_rt__conv_geometry(const MlcConv *p, Im2col *g);

/* the depthwise conv (nn_depthwise.c): every (image, channel) plane of
 * p, x and y (and res) holding the input and output planes of g one after
 * another; e the epilogue but for its residual */
void mlc_rt__conv_depthwise(const MlcConv *p, const Im2col *g, const Epi *e, const float *x,
                            const float *w, const float *bias, const float *res, float *y,
                            float *scratch);

#if MLC_RT_ISA == MLC_RT_ISA_X86_64_V4
/* the lanes of a vector from place at of a row of n floats that lie in it */
static MLC_INLINE __mmask16 v_inside(int64_t at, int64_t n) {
  int64_t lo, hi;
  mlc_rt_steps_in(at, NN_V, 1, 0, n, &lo, &hi);
  return lo < hi ? v_mask(hi) & (__mmask16)~v_mask(lo) : 0;
}
/* the 16 x 16 floats of r transposed in place (r[i] is row i) */
static MLC_INLINE void v_transpose16(Vec *r) {
  Vec t[NN_V];
  NN_UNROLL
  for (int i = 0; i < NN_V; i += 2) {
    t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
  }
  /* pairs of pairs: r[4 i + c] then holds, in its 128-bit lane l, column
   * 4 l + c of rows 4 i to 4 i + 3 */
  NN_UNROLL
  for (int i = 0; i < NN_V; i += 4) {
    __m512d a = _mm512_castps_pd(t[i]), b = _mm512_castps_pd(t[i + 1]);
    __m512d c = _mm512_castps_pd(t[i + 2]), d = _mm512_castps_pd(t[i + 3]);
    r[i] = _mm512_castpd_ps(_mm512_unpacklo_pd(a, c));
    r[i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a, c));
    r[i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(b, d));
    r[i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(b, d));
  }
  /* column 4 l + c: lane l of r[c], r[4 + c], r[8 + c] and r[12 + c] */
  NN_UNROLL
  for (int c = 0; c < 4; c++) {
    Vec lo0 = _mm512_shuffle_f32x4(r[c], r[4 + c], 0x44);
    Vec hi0 = _mm512_shuffle_f32x4(r[c], r[4 + c], 0xee);
    Vec lo1 = _mm512_shuffle_f32x4(r[8 + c], r[12 + c], 0x44);
    Vec hi1 = _mm512_shuffle_f32x4(r[8 + c], r[12 + c], 0xee);
    t[c] = _mm512_shuffle_f32x4(lo0, lo1, 0x88);
    t[4 + c] = _mm512_shuffle_f32x4(lo0, lo1, 0xdd);
    t[8 + c] = _mm512_shuffle_f32x4(hi0, hi1, 0x88);
    t[12 + c] = _mm512_shuffle_f32x4(hi0, hi1, 0xdd);
  }
  NN_UNROLL
  for (int i = 0; i < NN_V; i++) r[i] = t[i];
}

/* the offsets of the 16 lanes of a gather s floats apart; s at most
 * MLC_RT_GATHER_MAX, so that the last fits a 32-bit index */
#define MLC_RT_GATHER_MAX (INT32_MAX / NN_V)
static MLC_INLINE __m512i v_lanes_apart(int64_t s) {
  return _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                            _mm512_set1_epi32((int)s));
}
/* Taps at stride 2 by permutes (the direct depthwise and few-channel
 * convs): with the 32 floats from a window's first column in two vectors
 * and the 16 after them in a third, tap kx (< k) of output t is place
 * idx[kx][t] of the first two taken as one (their even places for kx 0,
 * the odd ones for 1, each shifted by a place per two columns further),
 * places from 16 on coming from the third */
static inline void v_s2_taps(int32_t (*idx)[NN_V], int k) {
  for (int kx = 0; kx < k; kx++)
    for (int t = 0; t < NN_V; t++) {
      int j = t + kx / 2;
      idx[kx][t] = kx < 2 ? 2 * t + kx : j < NN_V ? j : NN_V + 2 * (j - NN_V) + kx % 2;
    }
}
/* taps [0, k) of 16 outputs at stride 2 into tap[], from the three loads
 * of their window's row (lc read only for k > 2) and the vectors of
 * v_s2_taps()'s idx */
static MLC_INLINE void v_s2_split(Vec la, Vec lb, Vec lc, const __m512i *idx, int64_t k, Vec *tap) {
  tap[0] = _mm512_permutex2var_ps(la, idx[0], lb);
  if (k > 1) tap[1] = _mm512_permutex2var_ps(la, idx[1], lb);
  NN_UNROLL
  for (int64_t kx = 2; kx < k; kx++) tap[kx] = _mm512_permutex2var_ps(tap[kx % 2], idx[kx], lc);
}

/* a conv mlc_rt_conv_direct() takes, its weights unpacked (nn_direct.c);
 * e for its activation */
void mlc_rt__conv_direct(const MlcConv *p, const float *x, const float *w, const float *bias,
                         const float *res, float *y, const Epi *e);
#endif

/* C (m x n, row stride ldc) = epilogue(A B): the blocked product of nn.c */
void mlc_rt__sgemm(int64_t m, int64_t n, int64_t k, Mat a, BSrc b, float *c, int64_t ldc,
                   const Epi *e, float *scratch);
/* a conv with p->winograd set (nn_winograd.c); e as for the depthwise conv */
void mlc_rt__conv_winograd(const MlcConv *p, const float *x, const float *w, const float *bias,
                           const float *res, float *y, float *scratch, const Epi *e);

#endif /* MLC_RT_NN_INT_H */
