/* mlc runtime: what every family of kernels shares (mlc_rt.h includes it
 * with every family's header).
 *
 * Calling convention. Every kernel is
 *     void mlc_rt_NAME(const void *params, void *const *io);
 * `params` points to the kernel's parameter struct (static shapes and
 * attributes, fixed at compile time) and `io` lists tensor pointers: the
 * inputs in order, then the outputs, at the positions its family header
 * names. A uniform signature lets the compiler's interpreter call any
 * kernel through one function-pointer type.
 *
 * Parameter structs are described once, by X-macro lists in the family
 * headers, gathered as MLC_RT_PARAM_STRUCTS in mlc_rt.h. Every field is an
 * int64_t or a double, scalar or fixed array, so a struct is a plain
 * sequence of 8-byte slots: the compiler fills and prints any of them
 * generically from the same lists.
 *
 * Elementwise operations are scalar inline functions (mlc_NAME_SFX), listed
 * once in MLC_RT_EW (mlc_rt_elementwise.h). Generated code composes them
 * into loops; the runtime wraps each into a broadcasting loop kernel
 * (mlc_rt_ew_NAME_SFX) for the interpreter. Both run the same expression.
 *
 * Bool tensors are stored as uint8_t holding 0 or 1.
 */
#ifndef MLC_RT_CORE_H
#define MLC_RT_CORE_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The runtime's ABI: the kernels' names, parameter structs and io slots
 * that generated code relies on, and the scratch sizes it plans for them.
 * Bumped whenever one of them changes; generated code checks it at
 * compile time (#error on a mismatch). */
#define MLC_RT_ABI 3

/* The instruction set the runtime is compiled for, read from the
 * compiler's macros: the kernels pick their tile sizes from the widest one
 * they are built for, so code that mlc planned for one target (mlc compile
 * --target) is right only beside a runtime built for the same. Defining
 * MLC_RT_PORTABLE asks for the generic kernels whatever the flags.
 * MLC_RT_ISA_SYMBOL names the one symbol the runtime defines for its ISA;
 * code generated for a specific target refers to that target's symbol, so
 * it fails to link against a runtime built for another (the linker names
 * the missing symbol, mlc_rt_isa_x86_64_v4 say). Generic code refers to
 * none and links with any runtime. */
#define MLC_RT_ISA_GENERIC 0
#define MLC_RT_ISA_X86_64_V3 1 /* AVX2 and FMA */
#define MLC_RT_ISA_X86_64_V4 2 /* AVX-512F */
#define MLC_RT_ISA_AARCH64 3   /* NEON */
#if defined(MLC_RT_PORTABLE)
#define MLC_RT_ISA MLC_RT_ISA_GENERIC
#define MLC_RT_ISA_SYMBOL mlc_rt_isa_generic
#elif defined(__AVX512F__)
#define MLC_RT_ISA MLC_RT_ISA_X86_64_V4
#define MLC_RT_ISA_SYMBOL mlc_rt_isa_x86_64_v4
#elif defined(__AVX2__) && defined(__FMA__)
#define MLC_RT_ISA MLC_RT_ISA_X86_64_V3
#define MLC_RT_ISA_SYMBOL mlc_rt_isa_x86_64_v3
#elif defined(__aarch64__)
#define MLC_RT_ISA MLC_RT_ISA_AARCH64
#define MLC_RT_ISA_SYMBOL mlc_rt_isa_aarch64
#else
#define MLC_RT_ISA MLC_RT_ISA_GENERIC
#define MLC_RT_ISA_SYMBOL mlc_rt_isa_generic
#endif
extern const int MLC_RT_ISA_SYMBOL; /* = MLC_RT_ISA */

#define MLC_RT_MAX_RANK 8
#define MLC_RT_MAX_SP 3 /* spatial dims of Conv/Pool: 1-D, 2-D, 3-D */

typedef void (*mlc_rt_kernel)(const void *params, void *const *io);

/* Each family header lists its parameter structs as
 *   S(Type, fields): a struct.  I(x): int64_t.  D(x): double.
 *   IA(x, n): int64_t[n].  DA(x, n): double[n].
 * and its kernels as K(name, ParamsType); MLC_RT_DECLARE turns the two lists
 * into the struct typedefs and the kernel prototypes. */
#define MLC_RT__S(T, F) typedef struct T { F } T;
#define MLC_RT__I(x) int64_t x;
#define MLC_RT__D(x) double x;
#define MLC_RT__IA(x, n) int64_t x[n];
#define MLC_RT__DA(x, n) double x[n];
#define MLC_RT__K(name, P) void mlc_rt_##name(const void *params, void *const *io);
#define MLC_RT_DECLARE(PARAMS, KERNELS)                                       \
  PARAMS(MLC_RT__S, MLC_RT__I, MLC_RT__D, MLC_RT__IA, MLC_RT__DA)             \
  KERNELS(MLC_RT__K)

/* Element types: the numbers of ONNX's TensorProto.DataType, listed once
 * for the runtime (MLC_DT_*) and the compiler (its DType, DT_*):
 *   X(NAME, number, ONNX text name, C type in generated code, kernel name
 *     suffix, bytes per element, is floating point)
 * The sub-byte types take one byte per element: int4 and int2 as
 * sign-extended int8_t, uint4 and uint2 as uint8_t, float4e2m1 and
 * float8e8m0 as their codes. Complex numbers have no C type: mlc reads
 * them, computes nothing on them. */
#define MLC_RT_DTYPES(X)                                                      \
  X(FLOAT, 1, "float", "float", "f32", 4, 1)                                  \
  X(UINT8, 2, "uint8", "uint8_t", "u8", 1, 0)                                 \
  X(INT8, 3, "int8", "int8_t", "i8", 1, 0)                                    \
  X(UINT16, 4, "uint16", "uint16_t", "u16", 2, 0)                             \
  X(INT16, 5, "int16", "int16_t", "i16", 2, 0)                                \
  X(INT32, 6, "int32", "int32_t", "i32", 4, 0)                                \
  X(INT64, 7, "int64", "int64_t", "i64", 8, 0)                                \
  X(STRING, 8, "string", "mlc_rt_str", "str", sizeof(const char *), 0)        \
  X(BOOL, 9, "bool", "uint8_t", "b", 1, 0)                                    \
  X(FLOAT16, 10, "float16", "uint16_t", "f16", 2, 1)                          \
  X(DOUBLE, 11, "double", "double", "f64", 8, 1)                              \
  X(UINT32, 12, "uint32", "uint32_t", "u32", 4, 0)                            \
  X(UINT64, 13, "uint64", "uint64_t", "u64", 8, 0)                            \
  X(COMPLEX64, 14, "complex64", NULL, "c64", 8, 0)                            \
  X(COMPLEX128, 15, "complex128", NULL, "c128", 16, 0)                        \
  X(BFLOAT16, 16, "bfloat16", "uint16_t", "bf16", 2, 1)                       \
  X(FLOAT8E4M3FN, 17, "float8e4m3fn", "uint8_t", "f8e4m3fn", 1, 1)            \
  X(FLOAT8E4M3FNUZ, 18, "float8e4m3fnuz", "uint8_t", "f8e4m3fnuz", 1, 1)      \
  X(FLOAT8E5M2, 19, "float8e5m2", "uint8_t", "f8e5m2", 1, 1)                  \
  X(FLOAT8E5M2FNUZ, 20, "float8e5m2fnuz", "uint8_t", "f8e5m2fnuz", 1, 1)      \
  X(UINT4, 21, "uint4", "uint8_t", "u4", 1, 0)                                \
  X(INT4, 22, "int4", "int8_t", "i4", 1, 0)                                   \
  X(FLOAT4E2M1, 23, "float4e2m1", "uint8_t", "f4e2m1", 1, 1)                  \
  X(FLOAT8E8M0, 24, "float8e8m0", "uint8_t", "f8e8m0", 1, 1)                  \
  X(UINT2, 25, "uint2", "uint8_t", "u2", 1, 0)                                \
  X(INT2, 26, "int2", "int8_t", "i2", 1, 0)

#define MLC_RT__DT(name, num, onnx, ctype, sfx, size, is_float) MLC_DT_##name = num,
enum { MLC_RT_DTYPES(MLC_RT__DT) MLC_DT_END_ };
#undef MLC_RT__DT

/* bytes per element of MLC_DT_* type t (1 for a number that is no type) */
static inline size_t mlc_rt_dtype_size(int64_t t) {
  switch (t) {
#define MLC_RT__DTS(name, num, onnx, ctype, sfx, size, is_float) case num: return size;
    MLC_RT_DTYPES(MLC_RT__DTS)
#undef MLC_RT__DTS
  default: return 1;
  }
}

/* The scalar functions that generated loops inline (here and in
 * mlc_rt_elementwise.h): plain static inline functions in C; compiled by
 * nvcc, host and device functions too, so that the CUDA backend's kernels
 * compute the very expressions the C backend's loops do. Optimizing for
 * speed, GCC and clang must inline them: a loop that calls one is not
 * vectorized, and their heuristics give up on the larger ones (GELU, erf)
 * in loops whose count is known only at run time (mlc compile --dim
 * N=LO..HI), or in a long run function. Optimizing for size, they
 * decide. */
#if defined(__CUDACC__)
#define MLC_RT_SCALAR static inline __host__ __device__
#elif defined(__GNUC__) && defined(__OPTIMIZE__) && !defined(__OPTIMIZE_SIZE__)
#define MLC_RT_SCALAR static inline __attribute__((always_inline))
#else
#define MLC_RT_SCALAR static inline
#endif

/* ---- integer arithmetic without undefined behaviour -----------------------
 * Signed overflow, INT_MIN / -1 and out-of-range double -> integer
 * conversions are undefined in C (and INT_MIN / -1 traps on x86), yet a
 * model's integers may do any of them at run time. Integer add, sub, mul and
 * neg wrap modulo 2^bits (through uint64_t, as numpy does); x / -1 negates;
 * x % -1 is 0; Pow wraps like repeated multiplication; conversions from
 * double saturate and send NaN to 0. */
#define MLC_RT_IMAX(T) ((int64_t)(UINT64_MAX >> (65 - 8 * sizeof(T))))
#define MLC_RT_UMAX(T) ((uint64_t)(T)-1)
#define MLC_RT_WRAP(T, a, op, b) ((T)((uint64_t)(a) op (uint64_t)(b)))
MLC_RT_SCALAR int64_t mlc_rt_d2i(double x, int64_t lo, int64_t hi) {
  return x != x ? 0 : x <= (double)lo ? lo : x >= (double)hi ? hi : (int64_t)x;
}
MLC_RT_SCALAR uint64_t mlc_rt_d2u(double x, uint64_t hi) {
  return x != x || x <= 0 ? 0 : x >= (double)hi ? hi : (uint64_t)x;
}
/* a ** b modulo 2^64 (a and b sign-extended); b < 0 gives 1/a truncated */
MLC_RT_SCALAR uint64_t mlc_rt_ipow(uint64_t a, uint64_t b, int b_negative) {
  uint64_t r = 1;
  if (b_negative) return a == 1 ? 1 : a == UINT64_MAX ? ((b & 1) ? a : 1) : 0;
  for (; b; b >>= 1, a *= a)
    if (b & 1) r *= a;
  return r;
}

/* BitShift of signed integers (ONNX opset 28), without C's undefined
 * shifts of negative values or by >= the width: a left shift works on the
 * bits (through uint64_t; the caller's cast keeps the low `bits` bits), a
 * right shift is arithmetic (sign-extending), written out as ~(~a >> b) for
 * negative a. Shift counts below 0 or >= bits leave only the sign fill: -1
 * for a right shift of a negative a, 0 otherwise. */
MLC_RT_SCALAR int64_t mlc_rt_shl_i(int64_t a, int64_t b, int bits) {
  return b < 0 || b >= bits ? 0 : (int64_t)((uint64_t)a << b);
}
MLC_RT_SCALAR int64_t mlc_rt_shr_i(int64_t a, int64_t b, int bits) {
  if (b < 0 || b >= bits) return a < 0 ? -1 : 0;
  return a < 0 ? ~(~a >> b) : a >> b;
}

/* ---- strings --------------------------------------------------------------
 * A string tensor is an array of mlc_rt_str: NUL-terminated UTF-8, never
 * NULL. An element may point into an input string, a constant of the
 * generated code or the run's string region, where the kernels that make
 * new strings (StringConcat, StringSplit, StringNormalizer's case changes)
 * write them: an arena block of `cap` bytes that starts with an int64 count
 * of the bytes used after it. Generated code sets the count to 0 when a run
 * starts; a string that does not fit becomes "" and the count -1 (nothing
 * fits after that), and the run returns PREFIX_ERR_STRINGS.
 *
 * mlc plans string arrays with its own pointer size (8 bytes on a 64-bit
 * host), and generated code indexes them with the product's, which may be
 * smaller (a 32-bit target): a parameter field that counts bytes of
 * elements, named `elem` or `..._bytes`, is written there as a multiple of
 * sizeof(mlc_rt_str) on a call over strings. */
typedef const char *mlc_rt_str;
#define MLC_RT_STR_HEADER 8
MLC_RT_SCALAR int mlc_rt_streq(mlc_rt_str a, mlc_rt_str b) {
  while (*a && *a == *b) a++, b++;
  return *a == *b;
}

/* ---- threads ------------------------------------------------------------
 * A runtime built with -DMLC_RT_THREADS (and linked with -pthread) splits
 * the big products of conv_f32, gemm_f32 and matmul_f32, and depthwise
 * convs, over n threads: the caller and n - 1 workers this call starts (and
 * allocates scratch for, here and never during inference). Call it before
 * running models, not while one runs; default 1. Returns the count in
 * effect: always 1 in a runtime built without MLC_RT_THREADS, which needs
 * no pthreads. */
int mlc_rt_set_threads(int n);

#ifdef __cplusplus
}
#endif
#endif /* MLC_RT_CORE_H */
