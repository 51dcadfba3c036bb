/* mlc runtime, family elementwise. Elementwise ops: the scalar functions
 * (one expression per op and type) that generated code composes into fused
 * loops, and the broadcasting loop kernel (mlc_rt_ew_NAME_SFX) the
 * interpreter runs each of them through.
 *
 * Parameter structs (S) and kernels (K, io in order: inputs, then
 * outputs); mlc_rt.h gathers every family's lists. */
#ifndef MLC_RT_ELEMENTWISE_H
#define MLC_RT_ELEMENTWISE_H

#include "mlc_rt_core.h"

#define MLC_RT_PARAMS_ELEMENTWISE(S, I, D, IA, DA)                            \
  /* broadcasting elementwise loop: out dims, per-input element strides       \
     (0 along broadcast dims), two scalar attributes */                       \
  S(MlcEw, I(rank) I(count) IA(dims, MLC_RT_MAX_RANK)                         \
           IA(s0, MLC_RT_MAX_RANK) IA(s1, MLC_RT_MAX_RANK)                    \
           IA(s2, MLC_RT_MAX_RANK) D(p0) D(p1))

#define MLC_RT_KERNELS_ELEMENTWISE(K)

#ifdef __cplusplus
extern "C" {
#endif

MLC_RT_DECLARE(MLC_RT_PARAMS_ELEMENTWISE, MLC_RT_KERNELS_ELEMENTWISE)

/* io slots of the broadcasting loop kernels mlc_rt_ew_NAME_SFX: the inputs
 * in order, then the output, so they follow the scalar function's arity */
enum { MLC_EW1_A, MLC_EW1_Y, MLC_EW1_NIO };                       /* U, P */
enum { MLC_EW2_A, MLC_EW2_B, MLC_EW2_Y, MLC_EW2_NIO };            /* B */
enum { MLC_EW3_C, MLC_EW3_A, MLC_EW3_B, MLC_EW3_Y, MLC_EW3_NIO }; /* W */

/* Marks a generated loop whose iterations are independent: no array it
 * reads overlaps the one it stores except at the element being stored.
 * Compilers that vectorize at -O2 without run-time overlap tests (gcc's
 * very-cheap cost model) then vectorize it. */
#if defined(__clang__)
#define MLC_RT_INDEPENDENT _Pragma("clang loop vectorize(assume_safety)")
#elif defined(__GNUC__)
#define MLC_RT_INDEPENDENT _Pragma("GCC ivdep")
#else
#define MLC_RT_INDEPENDENT
#endif

/* ---- float exp, tanh and erf without libm ------------------------------
 * Straight-line code that compilers vectorize inside the elementwise loops
 * (a libm call per element would stop that): range reduction and minimax
 * polynomials fitted for these ranges, within 3 ulp of the exact values
 * (tests/unit/unit_math.c sweeps them). Clamps keep NaN (a comparison with
 * NaN is false) and send infinities to the ends of the range, where the
 * results are exactly 0, 1 or inf. Bits move through a union: no
 * float-to-int conversion, which NaN would make undefined. */
typedef union { float f; uint32_t u; } mlc_rt_f32bits;

/* c ? a : b through bit masks: with a branch, a constant a lets the
 * compiler fold all that follows into a branch of its own, a loop the
 * vectorizer then refuses */
MLC_RT_SCALAR float mlc_rt_selectf(int c, float a, float b) {
  mlc_rt_f32bits x, y;
  uint32_t m = 0u - (uint32_t)(c != 0);
  x.f = a;
  y.f = b;
  x.u = (x.u & m) | (y.u & ~m);
  return x.f;
}

MLC_RT_SCALAR float mlc_rt_expf(float x) {
  mlc_rt_f32bits t, s1, s2;
  float n, r, p;
  uint32_t k;
  x = mlc_rt_selectf(x < -104.0f, -104.0f, x); /* e^-104 rounds to 0, e^89 to inf */
  x = mlc_rt_selectf(x > 89.0f, 89.0f, x);
  /* n = round(x / ln 2): adding 1.5 * 2^23 leaves n in the low bits */
  t.f = x * 1.44269504f + 12582912.0f;
  k = t.u - 0x4b400000u;
  n = (float)(int32_t)k;
  /* r = x - n ln 2 in [-ln2/2, ln2/2], ln 2 split so that n * hi is exact */
  r = x - n * 0.693145752f;
  r = r - n * 1.42860677e-6f;
  p = 0.0013814613f;
  p = p * r + 0.00836870984f;
  p = p * r + 0.0416683874f;
  p = p * r + 0.166665207f;
  p = p * r + 0.499999935f;
  p = 1.0f + r + r * r * p;
  /* 2^n in two factors, each a normal float for n in [-150, 128], so that
   * tiny results round once into the subnormals and big ones overflow */
  s1.u = (uint32_t)((int32_t)k / 2 + 127) << 23;
  s2.u = (uint32_t)((int32_t)k - (int32_t)k / 2 + 127) << 23;
  return p * s1.f * s2.f;
}

/* |x| < 0.625: x + x^3 P(x^2); above, 1 - 2 / (e^2|x| + 1), which has no
 * cancellation there; tanh(10) rounds to 1 */
MLC_RT_SCALAR float mlc_rt_tanhf(float x) {
  mlc_rt_f32bits a, s;
  float ax, x2, p, e, big;
  a.f = x;
  s.u = a.u & 0x80000000u;
  a.u &= 0x7fffffffu;
  ax = mlc_rt_selectf(a.f > 10.0f, 10.0f, a.f);
  x2 = ax * ax;
  p = -0.00570498742f;
  p = p * x2 + 0.0206390876f;
  p = p * x2 - 0.0537397152f;
  p = p * x2 + 0.133314422f;
  p = p * x2 - 0.333332819f;
  e = mlc_rt_expf(2.0f * ax);
  big = 1.0f - 2.0f / (e + 1.0f);
  a.f = mlc_rt_selectf(ax < 0.625f, ax + ax * x2 * p, big);
  a.u |= s.u;
  return a.f;
}

/* |x| < 1: x P(x^2); above, 1 - e^Q(|x|) with Q fitted to log erfc on
 * [1, 4]; erf(4) rounds to 1 */
MLC_RT_SCALAR float mlc_rt_erff(float x) {
  mlc_rt_f32bits a, s;
  float ax, x2, p, q, t;
  a.f = x;
  s.u = a.u & 0x80000000u;
  a.u &= 0x7fffffffu;
  ax = mlc_rt_selectf(a.f > 4.0f, 4.0f, a.f);
  x2 = ax * ax;
  p = 7.85389671e-05f;
  p = p * x2 - 0.000801020522f;
  p = p * x2 + 0.00518832915f;
  p = p * x2 - 0.0268538128f;
  p = p * x2 + 0.112835852f;
  p = p * x2 - 0.376126258f;
  p = p * x2 + 1.12837917f;
  t = ax - 2.5f;
  q = 0.000186379256f;
  q = q * t - 0.000151970077f;
  q = q * t + 0.00246538519f;
  q = q * t - 0.0107112602f;
  q = q * t - 0.943883144f;
  q = q * t - 5.35269396f;
  q = q * t - 7.80681789f;
  a.f = mlc_rt_selectf(ax < 1.0f, ax * p, 1.0f - mlc_rt_expf(q));
  a.u |= s.u;
  return a.f;
}

/* ---- elementwise scalar functions ---------------------------------------
 * U(name, sfx, T, R, expr of a)              unary, T -> R
 * P(name, sfx, T, R, expr of a, p0, p1)       unary with two attributes
 * B(name, sfx, T, R, expr of a, b)            binary, T x T -> R
 * W(name, sfx, C, T, expr of c, a, b)         ternary: c is a C, a and b are T
 * Names end in the element type: f32, f64, i32, i64, b (bool).
 */
#define MLC_RT_EW_FLOAT(U, P, B, sfx, T, fn, vm)                                  \
  U(neg, sfx, T, T, -a)                                                        \
  U(abs, sfx, T, T, fn(fabs)(a))                                               \
  U(sqrt, sfx, T, T, fn(sqrt)(a))                                              \
  U(exp, sfx, T, T, vm(exp)(a))                                                \
  U(log, sfx, T, T, fn(log)(a))                                                \
  U(reciprocal, sfx, T, T, (T)1 / a)                                           \
  U(floor, sfx, T, T, fn(floor)(a))                                            \
  U(ceil, sfx, T, T, fn(ceil)(a))                                              \
  U(relu, sfx, T, T, a > 0 ? a : (T)0)                                         \
  U(sigmoid, sfx, T, T, (T)1 / ((T)1 + vm(exp)(-a)))                          \
  U(tanh, sfx, T, T, vm(tanh)(a))                                              \
  U(erf, sfx, T, T, vm(erf)(a))                                                \
  U(softplus, sfx, T, T, a > 0 ? a + fn(log1p)(vm(exp)(-a))                   \
                            : fn(log1p)(vm(exp)(a)))                        \
  U(softsign, sfx, T, T, a / ((T)1 + fn(fabs)(a)))                             \
  U(sin, sfx, T, T, fn(sin)(a))                                                \
  U(cos, sfx, T, T, fn(cos)(a))                                                \
  U(sign, sfx, T, T, (T)((a > 0) - (a < 0)))                                   \
  U(tan, sfx, T, T, fn(tan)(a))                                             \
  U(asin, sfx, T, T, fn(asin)(a))                                           \
  U(acos, sfx, T, T, fn(acos)(a))                                           \
  U(atan, sfx, T, T, fn(atan)(a))                                           \
  U(sinh, sfx, T, T, fn(sinh)(a))                                           \
  U(cosh, sfx, T, T, fn(cosh)(a))                                           \
  U(asinh, sfx, T, T, fn(asinh)(a))                                         \
  U(acosh, sfx, T, T, fn(acosh)(a))                                         \
  U(atanh, sfx, T, T, fn(atanh)(a))                                         \
  U(round, sfx, T, T, fn(nearbyint)(a))                                     \
  U(mish, sfx, T, T, a * vm(tanh)(a > 0 ? a + fn(log1p)(vm(exp)(-a))       \
                                       : fn(log1p)(vm(exp)(a))))            \
  U(isnan, sfx, T, uint8_t, a != a)                                         \
  U(isinf, sfx, T, uint8_t, a == (T)INFINITY || a == -(T)INFINITY)         \
  U(isposinf, sfx, T, uint8_t, a == (T)INFINITY)                            \
  U(isneginf, sfx, T, uint8_t, a == -(T)INFINITY)                           \
  P(swish, sfx, T, T, a / ((T)1 + vm(exp)(-(T)p0 * a)))                        \
  P(shrink, sfx, T, T, a < -(T)p0 ? a + (T)p1 : (a > (T)p0 ? a - (T)p1 : (T)0))\
  U(hardswish, sfx, T, T, a * MLC_RT_MAXC(MLC_RT_MINC(a / (T)6 + (T)0.5, (T)1), (T)0))\
  U(gelu, sfx, T, T, (T)0.5 * a * ((T)1 + vm(erf)(a * (T)0.70710678118654752)))\
  U(gelu_tanh, sfx, T, T, (T)0.5 * a * ((T)1 + vm(tanh)((T)0.79788456080286536 \
                            * (a + (T)0.044715 * a * a * a))))              \
  P(leakyrelu, sfx, T, T, a < 0 ? (T)p0 * a : a)                               \
  P(elu, sfx, T, T, a < 0 ? (T)p0 * (vm(exp)(a) - (T)1) : a)                  \
  P(selu, sfx, T, T, a <= 0 ? (T)p1 * ((T)p0 * vm(exp)(a) - (T)p0)           \
                         : (T)p1 * a)                                       \
  P(hardsigmoid, sfx, T, T, MLC_RT_MAXC(MLC_RT_MINC((T)p0 * a + (T)p1, (T)1), (T)0))\
  P(clip, sfx, T, T, (a < (T)p0 ? (T)p0 : a) > (T)p1 ? (T)p1 : (a < (T)p0 ? (T)p0 : a))\
  P(thresholdedrelu, sfx, T, T, a > (T)p0 ? a : (T)0)                          \
  P(celu, sfx, T, T, MLC_RT_MAXC(a, (T)0) +                                    \
                  MLC_RT_MINC((T)p0 * (vm(exp)(a / (T)p0) - (T)1), (T)0))   \
  B(div, sfx, T, T, a / b)                                                  \
  B(add, sfx, T, T, a + b)                                                  \
  B(sub, sfx, T, T, a - b)                                                  \
  B(mul, sfx, T, T, a * b)                                                  \
  B(pow, sfx, T, T, fn(pow)(a, b))                                          \
  B(max, sfx, T, T, (a != a || b != b) ? (T)NAN : (a > b ? a : b))          \
  B(min, sfx, T, T, (a != a || b != b) ? (T)NAN : (a < b ? a : b))          \
  B(mod, sfx, T, T, fn(fmod)(a, b))                                         \
  B(pymod, sfx, T, T, fn(fmod)(a, b) != 0 && ((fn(fmod)(a, b) < 0) != (b < 0))\
                          ? fn(fmod)(a, b) + b : fn(fmod)(a, b))            \
  B(prelu, sfx, T, T, a < 0 ? a * b : a)

/* unsigned: no negation, no sign tests */
#define MLC_RT_EW_UINT(U, P, B, sfx, T)                                       \
  U(bitnot, sfx, T, T, (T)~a)                                               \
  B(bitand, sfx, T, T, (T)(a & b))                                          \
  B(bitor, sfx, T, T, (T)(a | b))                                           \
  B(bitxor, sfx, T, T, (T)(a ^ b))                                          \
  B(shl, sfx, T, T, b >= 8 * sizeof(T) ? 0 : (T)((uint64_t)a << b))        \
  B(shr, sfx, T, T, b >= 8 * sizeof(T) ? 0 : (T)(a >> b))                   \
  P(clip, sfx, T, T, (double)a < p0 ? (T)mlc_rt_d2u(p0, MLC_RT_UMAX(T))        \
                 : (double)a > p1 ? (T)mlc_rt_d2u(p1, MLC_RT_UMAX(T)) : a)  \
  B(div, sfx, T, T, b == 0 ? 0 : a / b)                                     \
  B(max, sfx, T, T, a > b ? a : b)                                          \
  B(min, sfx, T, T, a < b ? a : b)                                          \
  B(mod, sfx, T, T, b == 0 ? 0 : a % b)                                     \
  B(fmod, sfx, T, T, b == 0 ? 0 : a % b)                                    \
  B(pow, sfx, T, T, (T)mlc_rt_ipow(a, b, 0))                                \
  B(add, sfx, T, T, MLC_RT_WRAP(T, a, +, b))                                \
  B(sub, sfx, T, T, MLC_RT_WRAP(T, a, -, b))                                \
  B(mul, sfx, T, T, MLC_RT_WRAP(T, a, *, b))

#define MLC_RT_EW_INT(U, P, B, sfx, T)                                        \
  U(bitnot, sfx, T, T, (T)~a)                                               \
  B(bitand, sfx, T, T, (T)(a & b))                                          \
  B(bitor, sfx, T, T, (T)(a | b))                                           \
  B(bitxor, sfx, T, T, (T)(a ^ b))                                          \
  B(shl, sfx, T, T, mlc_rt_shl_i(a, b, (int)(8 * sizeof(T))))               \
  B(shr, sfx, T, T, mlc_rt_shr_i(a, b, (int)(8 * sizeof(T))))               \
  U(neg, sfx, T, T, MLC_RT_WRAP(T, 0, -, a))                                \
  U(abs, sfx, T, T, a < 0 ? MLC_RT_WRAP(T, 0, -, a) : a)                    \
  U(relu, sfx, T, T, a > 0 ? a : 0)                                            \
  U(sign, sfx, T, T, (T)((a > 0) - (a < 0)))                                   \
  P(clip, sfx, T, T, (double)a < p0                                            \
                     ? (T)mlc_rt_d2i(p0, -MLC_RT_IMAX(T) - 1, MLC_RT_IMAX(T))  \
                 : (double)a > p1                                           \
                     ? (T)mlc_rt_d2i(p1, -MLC_RT_IMAX(T) - 1, MLC_RT_IMAX(T))  \
                     : a)                                                   \
  B(div, sfx, T, T, b == 0 ? 0 : b == -1 ? MLC_RT_WRAP(T, 0, -, a) : a / b) \
  B(max, sfx, T, T, a > b ? a : b)                                          \
  B(min, sfx, T, T, a < b ? a : b)                                          \
  B(mod, sfx, T, T, b == 0 || b == -1 ? 0                                   \
                    : ((a % b != 0 && ((a % b < 0) != (b < 0)))             \
                           ? a % b + b : a % b))                            \
  B(fmod, sfx, T, T, b == 0 || b == -1 ? 0 : a % b)                         \
  B(pow, sfx, T, T, (T)mlc_rt_ipow((uint64_t)(int64_t)a, (uint64_t)(int64_t)b, b < 0)) \
  B(add, sfx, T, T, MLC_RT_WRAP(T, a, +, b))                                \
  B(sub, sfx, T, T, MLC_RT_WRAP(T, a, -, b))                                \
  B(mul, sfx, T, T, MLC_RT_WRAP(T, a, *, b))

/* comparisons shared by every numeric type */
#define MLC_RT_EW_NUM(B, sfx, T)                                              \
  B(equal, sfx, T, uint8_t, a == b)                                         \
  B(less, sfx, T, uint8_t, a < b)                                           \
  B(lessequal, sfx, T, uint8_t, a <= b)                                     \
  B(greater, sfx, T, uint8_t, a > b)                                        \
  B(greaterequal, sfx, T, uint8_t, a >= b)

#define MLC_RT_FNF(name) name##f
#define MLC_RT_FND(name) name
/* exp, tanh and erf: float's own above, double's from libm */
#define MLC_RT_VMF(name) mlc_rt_##name##f
#define MLC_RT_VMD(name) name
/* fmin(v, c) and fmax(v, c) for a constant c that is not NaN, as plain
 * comparisons, which vectorize (a NaN v gives c, as fmin and fmax do) */
#define MLC_RT_MINC(v, c) ((v) < (c) ? (v) : (c))
#define MLC_RT_MAXC(v, c) ((v) > (c) ? (v) : (c))

/* v rounded to an integer, half to even as the FPU rounds, for |v| < 2^22:
 * adding 1.5 * 2^23 leaves no bits below the units, and no libm call stops
 * the vectorizer */
MLC_RT_SCALAR float mlc_rt_rintf_small(float v) { return (v + 12582912.0f) - 12582912.0f; }
/* QuantizeLinear of float a with scale s and zero point z into [lo, hi]:
 * a / s is clamped to bounds that are integers first, so rounding after
 * changes nothing and stays in the range above (NaN goes to hi); the
 * clamps select through masks, as two conditionals in a row would leave
 * a branch that stops the vectorizer */
MLC_RT_SCALAR float mlc_rt_clampf(float v, float lo, float hi) {
  v = mlc_rt_selectf(v < hi, v, hi);
  return mlc_rt_selectf(v > lo, v, lo);
}
#define MLC_RT_QUANTF(a, s, z, lo, hi)                                        \
  ((float)(z) + mlc_rt_rintf_small(mlc_rt_clampf((a) / (float)(s),          \
                                                 (float)(lo) - (float)(z),   \
                                                 (float)(hi) - (float)(z))))

#define MLC_RT_EW(U, P, B, W)                                                 \
  MLC_RT_EW_FLOAT(U, P, B, f32, float, MLC_RT_FNF, MLC_RT_VMF)                          \
  MLC_RT_EW_FLOAT(U, P, B, f64, double, MLC_RT_FND, MLC_RT_VMD)                         \
  MLC_RT_EW_INT(U, P, B, i32, int32_t)                                      \
  MLC_RT_EW_INT(U, P, B, i64, int64_t)                                      \
  MLC_RT_EW_INT(U, P, B, i8, int8_t)                                        \
  MLC_RT_EW_INT(U, P, B, i16, int16_t)                                      \
  MLC_RT_EW_UINT(U, P, B, u8, uint8_t)                                      \
  MLC_RT_EW_UINT(U, P, B, u16, uint16_t)                                    \
  MLC_RT_EW_UINT(U, P, B, u32, uint32_t)                                    \
  MLC_RT_EW_UINT(U, P, B, u64, uint64_t)                                    \
  MLC_RT_EW_NUM(B, f32, float)                                              \
  MLC_RT_EW_NUM(B, f64, double)                                             \
  MLC_RT_EW_NUM(B, i32, int32_t)                                            \
  MLC_RT_EW_NUM(B, i64, int64_t)                                            \
  MLC_RT_EW_NUM(B, i8, int8_t)                                              \
  MLC_RT_EW_NUM(B, i16, int16_t)                                            \
  MLC_RT_EW_NUM(B, u8, uint8_t)                                             \
  MLC_RT_EW_NUM(B, u16, uint16_t)                                           \
  MLC_RT_EW_NUM(B, u32, uint32_t)                                           \
  MLC_RT_EW_NUM(B, u64, uint64_t)                                           \
  U(not, b, uint8_t, uint8_t, (uint8_t)!a)                                           \
  B(and, b, uint8_t, uint8_t, a && b)                                       \
  B(or, b, uint8_t, uint8_t, a || b)                                        \
  B(xor, b, uint8_t, uint8_t, (a != 0) != (b != 0))                         \
  B(equal, b, uint8_t, uint8_t, a == b)                                     \
  W(where, f32, uint8_t, float, c ? a : b)                                           \
  W(where, f64, uint8_t, double, c ? a : b)                                          \
  W(where, i32, uint8_t, int32_t, c ? a : b)                                         \
  W(where, i64, uint8_t, int64_t, c ? a : b)                                         \
  W(where, b, uint8_t, uint8_t, c ? a : b)                                  \
  B(equal, str, mlc_rt_str, uint8_t, mlc_rt_streq(a, b))                    \
  W(where, str, uint8_t, mlc_rt_str, c ? a : b)                            \
  W(where, i8, uint8_t, int8_t, c ? a : b)                                  \
  W(where, i16, uint8_t, int16_t, c ? a : b)                                \
  W(where, u8, uint8_t, uint8_t, c ? a : b)                                 \
  W(where, u16, uint8_t, uint16_t, c ? a : b)                               \
  W(where, u32, uint8_t, uint32_t, c ? a : b)                               \
  W(where, u64, uint8_t, uint64_t, c ? a : b)                               \
  W(clip3, f32, float, float, (c < a ? a : c) > b ? b : (c < a ? a : c))                  \
  W(clip3, f64, double, double, (c < a ? a : c) > b ? b : (c < a ? a : c))                \
  W(clip3, i32, int32_t, int32_t, (c < a ? a : c) > b ? b : (c < a ? a : c))              \
  W(clip3, i64, int64_t, int64_t, (c < a ? a : c) > b ? b : (c < a ? a : c))              \
  W(clip3, i8, int8_t, int8_t, (c < a ? a : c) > b ? b : (c < a ? a : c))   \
  W(clip3, i16, int16_t, int16_t, (c < a ? a : c) > b ? b : (c < a ? a : c))\
  W(clip3, u8, uint8_t, uint8_t, (c < a ? a : c) > b ? b : (c < a ? a : c)) \
  W(clip3, u16, uint16_t, uint16_t, (c < a ? a : c) > b ? b : (c < a ? a : c))\
  W(clip3, u32, uint32_t, uint32_t, (c < a ? a : c) > b ? b : (c < a ? a : c))\
  W(clip3, u64, uint64_t, uint64_t, (c < a ? a : c) > b ? b : (c < a ? a : c))\
  /* Dequantize/QuantizeLinear with one scale (p0) and zero point (p1) */  \
  P(dequant, i8, int8_t, float, (float)((int)a - (int)p1) * (float)p0)      \
  P(dequant, u8, uint8_t, float, (float)((int)a - (int)p1) * (float)p0)     \
  P(quanti8, f32, float, int8_t, MLC_RT_QUANTF(a, p0, p1, -128, 127))       \
  P(quantu8, f32, float, uint8_t, MLC_RT_QUANTF(a, p0, p1, 0, 255))

#define MLC_RT__U(name, sfx, T, R, expr)                                      \
  MLC_RT_SCALAR R mlc_##name##_##sfx(T a) { return (R)(expr); }
#define MLC_RT__P(name, sfx, T, R, expr)                                      \
  MLC_RT_SCALAR R mlc_##name##_##sfx(T a, double p0, double p1) {           \
    (void)p0; (void)p1; return (R)(expr); }
#define MLC_RT__B(name, sfx, T, R, expr)                                      \
  MLC_RT_SCALAR R mlc_##name##_##sfx(T a, T b) { return (R)(expr); }
#define MLC_RT__W(name, sfx, C, T, expr)                                      \
  MLC_RT_SCALAR T mlc_##name##_##sfx(C c, T a, T b) { return expr; }
MLC_RT_EW(MLC_RT__U, MLC_RT__P, MLC_RT__B, MLC_RT__W)
#undef MLC_RT__U
#undef MLC_RT__P
#undef MLC_RT__B
#undef MLC_RT__W

/* the interpreter's broadcasting loop for each scalar function */
#define MLC_RT__EWK(name, sfx)                                                \
  void mlc_rt_ew_##name##_##sfx(const void *params, void *const *io);
#define MLC_RT__EWK4(name, sfx, C, T, expr) MLC_RT__EWK(name, sfx)
#define MLC_RT__EWKB(name, sfx, T, R, expr) MLC_RT__EWK(name, sfx)
MLC_RT_EW(MLC_RT__EWKB, MLC_RT__EWKB, MLC_RT__EWKB, MLC_RT__EWK4)
#undef MLC_RT__EWK
#undef MLC_RT__EWK4
#undef MLC_RT__EWKB

#ifdef __cplusplus
}
#endif
#endif /* MLC_RT_ELEMENTWISE_H */
