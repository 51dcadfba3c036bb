/* The quant family's private parts (runtime/ only): the integer vector
 * layer of the fused int8 products (quant_gemm.c).
 *
 * QV holds QV_N int32 lanes, each also read as 4 bytes:
 *   qv_load(p)          QV_N * 4 bytes from p
 *   qv_bcast(p)         the 4 bytes at p in every lane
 *   qv_dot(acc, u, s)   acc + in each lane the sum of its 4 products of a
 *                       uint8 byte of u by an int8 byte of s (exact)
 *   qv_dot2(acc, u, s)  the same where no two bytes of s at 2i, 2i + 1
 *                       exceed 128 in |s0| + |s1| (mlc_rt_qpairs_fit)
 *   qv_set1, qv_add, qv_sub, qv_mul   lane-wise int32, wrapping
 *   qv_store(p, v, n)   the first n lanes (all of them when n >= QV_N)
 *   qv_store8(p, v, n)  the low byte of the first n lanes
 * QF holds QV_N floats: qf_set1, qf_load, qf_of(v) (each lane converted),
 * qf_mul, qf_clamp(x, lo, hi) (NaN: lo in the portable C, whose
 * conversion to an integer would be undefined), qf_store(p, x, n);
 * qf_round(x): to the nearest int32, ties to even (x within its range).
 *
 * AVX-512 with VNNI has qv_dot as one instruction (vpdpbusd); AVX-512BW
 * and AVX2 widen the even and odd bytes to 16 bits and sum pairs of
 * products with vpmaddwd, as vpmaddubsw would saturate its pairs of
 * products to int16; but where the weights' pairs are small (255 * 128 =
 * 32640 fits), qv_dot2 is vpmaddubsw then vpmaddwd by ones, half the
 * work (QV_DOT2: the instruction set has such a cheaper dot). NEON
 * multiplies in 16 bits (a product of a uint8 by an int8 fits) and adds
 * pairs long. The portable C computes lane by lane in uint32 (no signed
 * overflow) and rounds with nearbyintf.
 *
 * Then the store the fused kernels share (quant_gemm.c, quant_dw.c). */
#ifndef MLC_RT_QUANT_INT_H
#define MLC_RT_QUANT_INT_H

#include "nn_int.h"

#if MLC_RT_ISA == MLC_RT_ISA_X86_64_V4
#define QV_N 16
typedef __m512i QV;
typedef __m512 QF;
static MLC_INLINE QV qv_load(const void *p) { return _mm512_loadu_si512(p); }
static MLC_INLINE QV qv_bcast(const void *p) {
  int32_t v;
  memcpy(&v, p, 4);
  return _mm512_set1_epi32(v);
}
static MLC_INLINE QV qv_dot(QV acc, QV u, QV s) {
#if defined(__AVX512VNNI__)
  return _mm512_dpbusd_epi32(acc, u, s);
#else
  QV ue = _mm512_and_si512(u, _mm512_set1_epi16(0xff)), uo = _mm512_srli_epi16(u, 8);
  QV se = _mm512_srai_epi16(_mm512_slli_epi16(s, 8), 8), so = _mm512_srai_epi16(s, 8);
  return _mm512_add_epi32(_mm512_add_epi32(acc, _mm512_madd_epi16(ue, se)),
                          _mm512_madd_epi16(uo, so));
#endif
}
#if defined(__AVX512VNNI__)
#define qv_dot2 qv_dot
#else
#define QV_DOT2 1
static MLC_INLINE QV qv_dot2(QV acc, QV u, QV s) {
  return _mm512_add_epi32(acc, _mm512_madd_epi16(_mm512_maddubs_epi16(u, s), _mm512_set1_epi16(1)));
}
#endif
static MLC_INLINE QV qv_set1(int32_t a) { return _mm512_set1_epi32(a); }
static MLC_INLINE QV qv_add(QV a, QV b) { return _mm512_add_epi32(a, b); }
static MLC_INLINE QV qv_sub(QV a, QV b) { return _mm512_sub_epi32(a, b); }
static MLC_INLINE QV qv_mul(QV a, QV b) { return _mm512_mullo_epi32(a, b); }
static MLC_INLINE void qv_store(int32_t *p, QV v, int64_t n) {
  _mm512_mask_storeu_epi32(p, v_mask(n), v);
}
static MLC_INLINE void qv_store8(uint8_t *p, QV v, int64_t n) {
  _mm512_mask_cvtepi32_storeu_epi8(p, v_mask(n), v);
}
static MLC_INLINE QF qf_set1(float a) { return _mm512_set1_ps(a); }
static MLC_INLINE QF qf_load(const float *p) { return _mm512_loadu_ps(p); }
static MLC_INLINE QF qf_of(QV v) { return _mm512_cvtepi32_ps(v); }
static MLC_INLINE QF qf_mul(QF a, QF b) { return _mm512_mul_ps(a, b); }
static MLC_INLINE QF qf_clamp(QF x, QF lo, QF hi) {
  return _mm512_min_ps(_mm512_max_ps(x, lo), hi);
}
static MLC_INLINE QV qf_round(QF x) { return _mm512_cvtps_epi32(x); }
static MLC_INLINE void qf_store(float *p, QF x, int64_t n) { v_store(p, x, n); }

#elif MLC_RT_ISA == MLC_RT_ISA_X86_64_V3
#define QV_N 8
typedef __m256i QV;
typedef __m256 QF;
static MLC_INLINE QV qv_load(const void *p) { return _mm256_loadu_si256((const __m256i *)p); }
static MLC_INLINE QV qv_bcast(const void *p) {
  int32_t v;
  memcpy(&v, p, 4);
  return _mm256_set1_epi32(v);
}
static MLC_INLINE QV qv_dot(QV acc, QV u, QV s) {
  QV ue = _mm256_and_si256(u, _mm256_set1_epi16(0xff)), uo = _mm256_srli_epi16(u, 8);
  QV se = _mm256_srai_epi16(_mm256_slli_epi16(s, 8), 8), so = _mm256_srai_epi16(s, 8);
  return _mm256_add_epi32(_mm256_add_epi32(acc, _mm256_madd_epi16(ue, se)),
                          _mm256_madd_epi16(uo, so));
}
#define QV_DOT2 1
static MLC_INLINE QV qv_dot2(QV acc, QV u, QV s) {
  return _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1)));
}
static MLC_INLINE QV qv_set1(int32_t a) { return _mm256_set1_epi32(a); }
static MLC_INLINE QV qv_add(QV a, QV b) { return _mm256_add_epi32(a, b); }
static MLC_INLINE QV qv_sub(QV a, QV b) { return _mm256_sub_epi32(a, b); }
static MLC_INLINE QV qv_mul(QV a, QV b) { return _mm256_mullo_epi32(a, b); }
static MLC_INLINE void qv_store(int32_t *p, QV v, int64_t n) {
  if (n >= QV_N)
    _mm256_storeu_si256((__m256i *)p, v);
  else
    _mm256_maskstore_epi32(p, v_mask(n), v);
}
/* the low bytes gathered by a shuffle in each half: a store of a short
 * tile's 8-bit outputs is no loop through memory */
static MLC_INLINE void qv_store8(uint8_t *p, QV v, int64_t n) {
  const __m256i low = _mm256_setr_epi8(0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
                                       0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1);
  __m256i b = _mm256_shuffle_epi8(v, low);
  __m128i r = _mm_unpacklo_epi32(_mm256_castsi256_si128(b), _mm256_extracti128_si256(b, 1));
  uint8_t t[16];
  if (n >= QV_N) {
    _mm_storel_epi64((__m128i *)p, r);
    return;
  }
  _mm_storeu_si128((__m128i *)t, r);
  memcpy(p, t, (size_t)(n > 0 ? n : 0));
}
static MLC_INLINE QF qf_set1(float a) { return _mm256_set1_ps(a); }
static MLC_INLINE QF qf_load(const float *p) { return _mm256_loadu_ps(p); }
static MLC_INLINE QF qf_of(QV v) { return _mm256_cvtepi32_ps(v); }
static MLC_INLINE QF qf_mul(QF a, QF b) { return _mm256_mul_ps(a, b); }
static MLC_INLINE QF qf_clamp(QF x, QF lo, QF hi) {
  return _mm256_min_ps(_mm256_max_ps(x, lo), hi);
}
static MLC_INLINE QV qf_round(QF x) { return _mm256_cvtps_epi32(x); }
static MLC_INLINE void qf_store(float *p, QF x, int64_t n) { v_store(p, x, n); }

#elif MLC_RT_ISA == MLC_RT_ISA_AARCH64
#define QV_N 4
typedef int32x4_t QV;
typedef float32x4_t QF;
static MLC_INLINE QV qv_load(const void *p) {
  return vreinterpretq_s32_u8(vld1q_u8((const uint8_t *)p));
}
static MLC_INLINE QV qv_bcast(const void *p) {
  int32_t v;
  memcpy(&v, p, 4);
  return vdupq_n_s32(v);
}
static MLC_INLINE QV qv_dot(QV acc, QV u, QV s) {
  uint8x16_t ub = vreinterpretq_u8_s32(u);
  int8x16_t sb = vreinterpretq_s8_s32(s);
  int16x8_t lo =
      vmulq_s16(vreinterpretq_s16_u16(vmovl_u8(vget_low_u8(ub))), vmovl_s8(vget_low_s8(sb)));
  int16x8_t hi =
      vmulq_s16(vreinterpretq_s16_u16(vmovl_u8(vget_high_u8(ub))), vmovl_s8(vget_high_s8(sb)));
  /* pairs of products, then pairs of pairs: lane i's four */
  return vaddq_s32(acc, vpaddq_s32(vpaddlq_s16(lo), vpaddlq_s16(hi)));
}
static MLC_INLINE QV qv_set1(int32_t a) { return vdupq_n_s32(a); }
static MLC_INLINE QV qv_add(QV a, QV b) { return vaddq_s32(a, b); }
static MLC_INLINE QV qv_sub(QV a, QV b) { return vsubq_s32(a, b); }
static MLC_INLINE QV qv_mul(QV a, QV b) { return vmulq_s32(a, b); }
static MLC_INLINE void qv_store(int32_t *p, QV v, int64_t n) {
  int32_t t[QV_N];
  if (n >= QV_N) {
    vst1q_s32(p, v);
    return;
  }
  vst1q_s32(t, v);
  memcpy(p, t, (size_t)n * sizeof *t);
}
static MLC_INLINE void qv_store8(uint8_t *p, QV v, int64_t n) {
  int32_t t[QV_N];
  vst1q_s32(t, v);
  for (int64_t i = 0; i < n && i < QV_N; i++) p[i] = (uint8_t)t[i];
}
static MLC_INLINE QF qf_set1(float a) { return vdupq_n_f32(a); }
static MLC_INLINE QF qf_load(const float *p) { return vld1q_f32(p); }
static MLC_INLINE QF qf_of(QV v) { return vcvtq_f32_s32(v); }
static MLC_INLINE QF qf_mul(QF a, QF b) { return vmulq_f32(a, b); }
static MLC_INLINE QF qf_clamp(QF x, QF lo, QF hi) { return vminq_f32(vmaxq_f32(x, lo), hi); }
static MLC_INLINE QV qf_round(QF x) { return vcvtnq_s32_f32(x); }
static MLC_INLINE void qf_store(float *p, QF x, int64_t n) { v_store(p, x, n); }

#else
#define QV_N 4
typedef struct QV {
  uint32_t i[QV_N];
} QV;
typedef struct QF {
  float f[QV_N];
} QF;
static MLC_INLINE QV qv_load(const void *p) {
  QV v;
  memcpy(v.i, p, sizeof v.i);
  return v;
}
static MLC_INLINE QV qv_bcast(const void *p) {
  QV v;
  for (int t = 0; t < QV_N; t++) memcpy(&v.i[t], p, 4);
  return v;
}
static MLC_INLINE QV qv_dot(QV acc, QV u, QV s) {
  uint8_t ub[4 * QV_N];
  int8_t sb[4 * QV_N];
  memcpy(ub, u.i, sizeof ub);
  memcpy(sb, s.i, sizeof sb);
  for (int t = 0; t < QV_N; t++)
    for (int q = 0; q < 4; q++) acc.i[t] += (uint32_t)(ub[4 * t + q] * sb[4 * t + q]);
  return acc;
}
static MLC_INLINE QV qv_set1(int32_t a) {
  QV v;
  for (int t = 0; t < QV_N; t++) v.i[t] = (uint32_t)a;
  return v;
}
static MLC_INLINE QV qv_add(QV a, QV b) {
  for (int t = 0; t < QV_N; t++) a.i[t] += b.i[t];
  return a;
}
static MLC_INLINE QV qv_sub(QV a, QV b) {
  for (int t = 0; t < QV_N; t++) a.i[t] -= b.i[t];
  return a;
}
static MLC_INLINE QV qv_mul(QV a, QV b) {
  for (int t = 0; t < QV_N; t++) a.i[t] *= b.i[t];
  return a;
}
static MLC_INLINE void qv_store(int32_t *p, QV v, int64_t n) {
  memcpy(p, v.i, (size_t)(n < QV_N ? n : QV_N) * sizeof *p);
}
static MLC_INLINE void qv_store8(uint8_t *p, QV v, int64_t n) {
  for (int64_t t = 0; t < n && t < QV_N; t++) p[t] = (uint8_t)v.i[t];
}
static MLC_INLINE QF qf_set1(float a) {
  QF x;
  for (int t = 0; t < QV_N; t++) x.f[t] = a;
  return x;
}
static MLC_INLINE QF qf_load(const float *p) {
  QF x;
  memcpy(x.f, p, sizeof x.f);
  return x;
}
static MLC_INLINE QF qf_of(QV v) {
  QF x;
  for (int t = 0; t < QV_N; t++) x.f[t] = (float)(int32_t)v.i[t];
  return x;
}
static MLC_INLINE QF qf_mul(QF a, QF b) {
  for (int t = 0; t < QV_N; t++) a.f[t] *= b.f[t];
  return a;
}
static MLC_INLINE QF qf_clamp(QF x, QF lo, QF hi) {
  for (int t = 0; t < QV_N; t++)
    x.f[t] = x.f[t] >= lo.f[t] ? (x.f[t] <= hi.f[t] ? x.f[t] : hi.f[t]) : lo.f[t];
  return x;
}
static MLC_INLINE QV qf_round(QF x) {
  QV v;
  for (int t = 0; t < QV_N; t++) v.i[t] = (uint32_t)(int32_t)nearbyintf(x.f[t]);
  return v;
}
static MLC_INLINE void qf_store(float *p, QF x, int64_t n) {
  memcpy(p, x.f, (size_t)(n < QV_N ? n : QV_N) * sizeof *p);
}
#endif

#ifndef QV_DOT2
#define qv_dot2 qv_dot
#endif

/* the loops over a tile's registers, unrolled so that they stay registers
 * (gcc needs telling) */
#if defined(__GNUC__) && !defined(__clang__)
#define Q_UNROLL _Pragma("GCC unroll 16")
#else
#define Q_UNROLL
#endif

/* ---- the store ----------------------------------------------------------
 * What the fused products store, from a vector of int32 sums: the io slots
 * of the per-channel constants, the output mode and the clamp. */
typedef struct QEpi {
  const int32_t *bias, *wz; /* per channel; wz NULL: no activation sums */
  const int32_t *xw;        /* per channel; NULL: x's zero point is folded */
  const float *mult;        /* per channel; NULL: int32 out */
  int out;                  /* MLC_QOUT_* */
  int32_t xs;               /* x's run-time zero point, shifted as x is */
  int32_t yz;
  float lo, hi; /* the clamp, less yz */
} QEpi;

static MLC_INLINE QEpi q_epi(void *const *io, int64_t xt, int64_t out, int64_t yz, int64_t lo,
                             int64_t hi) {
  QEpi e;
  const void *xz = io[MLC_QFUSED_XZ];
  e.bias = (const int32_t *)io[MLC_QFUSED_BIAS];
  e.wz = (const int32_t *)io[MLC_QFUSED_WZ];
  e.xw = xz ? (const int32_t *)io[MLC_QFUSED_XW] : NULL;
  e.xs = !xz ? 0 : xt == MLC_DT_INT8 ? *(const int8_t *)xz + 128 : *(const uint8_t *)xz;
  e.mult = (const float *)io[MLC_QFUSED_MULT];
  e.out = (int)out;
  e.yz = (int32_t)yz;
  e.lo = (float)(lo - yz);
  e.hi = (float)(hi - yz);
  return e;
}

/* n outputs (sums s, multipliers m) at y[at]: rounding after the clamp
 * equals clamping after it, the bounds being integers */
static MLC_INLINE void q_store(const QEpi *e, QV s, QF m, void *y, int64_t at, int64_t n) {
  switch (e->out) {
  case MLC_QOUT_I32: qv_store((int32_t *)y + at, s, n); break;
  case MLC_QOUT_F32: qf_store((float *)y + at, qf_mul(qf_of(s), m), n); break;
  default: {
    QF v = qf_clamp(qf_mul(qf_of(s), m), qf_set1(e->lo), qf_set1(e->hi));
    qv_store8((uint8_t *)y + at, qv_add(qf_round(v), qv_set1(e->yz)), n);
  }
  }
}

#endif /* MLC_RT_QUANT_INT_H */
