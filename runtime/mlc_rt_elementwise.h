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

/* ---- elementwise scalar functions ---------------------------------------
 * U(name, sfx, T, R, expr of a)              unary, T -> R
 * P(name, sfx, T, expr of a, p0, p1)          unary with two attributes
 * B(name, sfx, T, R, expr of a, b)            binary, T x T -> R
 * W(name, sfx, C, T, expr of c, a, b)         ternary: c is a C, a and b are T
 * Names end in the element type: f32, f64, i32, i64, b (bool).
 */
#define MLC_RT_EW_FLOAT(U, P, B, sfx, T, fn)                                  \
  U(neg, sfx, T, T, -a)                                                        \
  U(abs, sfx, T, T, fn(fabs)(a))                                               \
  U(sqrt, sfx, T, T, fn(sqrt)(a))                                              \
  U(exp, sfx, T, T, fn(exp)(a))                                                \
  U(log, sfx, T, T, fn(log)(a))                                                \
  U(reciprocal, sfx, T, T, (T)1 / a)                                           \
  U(floor, sfx, T, T, fn(floor)(a))                                            \
  U(ceil, sfx, T, T, fn(ceil)(a))                                              \
  U(relu, sfx, T, T, a > 0 ? a : (T)0)                                         \
  U(sigmoid, sfx, T, T, (T)1 / ((T)1 + fn(exp)(-a)))                          \
  U(tanh, sfx, T, T, fn(tanh)(a))                                              \
  U(erf, sfx, T, T, fn(erf)(a))                                                \
  U(softplus, sfx, T, T, a > 0 ? a + fn(log1p)(fn(exp)(-a))                   \
                            : fn(log1p)(fn(exp)(a)))                        \
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
  U(mish, sfx, T, T, a * fn(tanh)(a > 0 ? a + fn(log1p)(fn(exp)(-a))       \
                                       : fn(log1p)(fn(exp)(a))))            \
  U(isnan, sfx, T, uint8_t, a != a)                                         \
  U(isinf, sfx, T, uint8_t, a == (T)INFINITY || a == -(T)INFINITY)         \
  U(isposinf, sfx, T, uint8_t, a == (T)INFINITY)                            \
  U(isneginf, sfx, T, uint8_t, a == -(T)INFINITY)                           \
  P(swish, sfx, T, a / ((T)1 + fn(exp)(-(T)p0 * a)))                        \
  P(shrink, sfx, T, a < -(T)p0 ? a + (T)p1 : (a > (T)p0 ? a - (T)p1 : (T)0))\
  U(hardswish, sfx, T, T, a * fn(fmax)((T)0, fn(fmin)((T)1, a / (T)6 + (T)0.5)))\
  U(gelu, sfx, T, T, (T)0.5 * a * ((T)1 + fn(erf)(a * (T)0.70710678118654752)))\
  U(gelu_tanh, sfx, T, T, (T)0.5 * a * ((T)1 + fn(tanh)((T)0.79788456080286536 \
                            * (a + (T)0.044715 * a * a * a))))              \
  P(leakyrelu, sfx, T, a < 0 ? (T)p0 * a : a)                               \
  P(elu, sfx, T, a < 0 ? (T)p0 * (fn(exp)(a) - (T)1) : a)                  \
  P(selu, sfx, T, a <= 0 ? (T)p1 * ((T)p0 * fn(exp)(a) - (T)p0)           \
                         : (T)p1 * a)                                       \
  P(hardsigmoid, sfx, T, fn(fmax)((T)0, fn(fmin)((T)1, (T)p0 * a + (T)p1)))\
  P(clip, sfx, T, (a < (T)p0 ? (T)p0 : a) > (T)p1 ? (T)p1 : (a < (T)p0 ? (T)p0 : a))\
  P(thresholdedrelu, sfx, T, a > (T)p0 ? a : (T)0)                          \
  P(celu, sfx, T, fn(fmax)((T)0, a) + fn(fmin)((T)0, (T)p0 *               \
                  (fn(exp)(a / (T)p0) - (T)1)))                             \
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
  P(clip, sfx, T, (double)a < p0 ? (T)mlc_rt_d2u(p0, MLC_RT_UMAX(T))        \
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
  P(clip, sfx, T, (double)a < p0                                            \
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

#define MLC_RT_EW(U, P, B, W)                                                 \
  MLC_RT_EW_FLOAT(U, P, B, f32, float, MLC_RT_FNF)                          \
  MLC_RT_EW_FLOAT(U, P, B, f64, double, MLC_RT_FND)                         \
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
  W(clip3, u64, uint64_t, uint64_t, (c < a ? a : c) > b ? b : (c < a ? a : c))

#define MLC_RT__U(name, sfx, T, R, expr)                                      \
  static inline R mlc_##name##_##sfx(T a) { return (R)(expr); }
#define MLC_RT__P(name, sfx, T, expr)                                         \
  static inline T mlc_##name##_##sfx(T a, double p0, double p1) {           \
    (void)p0; (void)p1; return (T)(expr); }
#define MLC_RT__B(name, sfx, T, R, expr)                                      \
  static inline R mlc_##name##_##sfx(T a, T b) { return (R)(expr); }
#define MLC_RT__W(name, sfx, C, T, expr)                                      \
  static inline T mlc_##name##_##sfx(C c, T a, T b) { return expr; }
MLC_RT_EW(MLC_RT__U, MLC_RT__P, MLC_RT__B, MLC_RT__W)
#undef MLC_RT__U
#undef MLC_RT__P
#undef MLC_RT__B
#undef MLC_RT__W

/* the interpreter's broadcasting loop for each scalar function */
#define MLC_RT__EWK(name, sfx)                                                \
  void mlc_rt_ew_##name##_##sfx(const void *params, void *const *io);
#define MLC_RT__EWK3(name, sfx, T, expr) MLC_RT__EWK(name, sfx)
#define MLC_RT__EWK4(name, sfx, C, T, expr) MLC_RT__EWK(name, sfx)
#define MLC_RT__EWKB(name, sfx, T, R, expr) MLC_RT__EWK(name, sfx)
MLC_RT_EW(MLC_RT__EWKB, MLC_RT__EWK3, MLC_RT__EWKB, MLC_RT__EWK4)
#undef MLC_RT__EWK
#undef MLC_RT__EWK3
#undef MLC_RT__EWK4
#undef MLC_RT__EWKB

#ifdef __cplusplus
}
#endif
#endif /* MLC_RT_ELEMENTWISE_H */
