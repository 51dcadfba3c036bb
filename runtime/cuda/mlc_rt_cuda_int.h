/* mlc CUDA runtime, internal: the device helpers and launch idioms that
 * more than one kernel file (runtime/cuda/*.cu) uses. Not installed and not
 * part of the ABI; generated code never sees it.
 *
 * Design. Each helper here exists once, so that two kernels meaning the
 * same thing (a grid-stride loop, items moved as words, a block's fixed-
 * order reduction, index.c's scatter reductions) compute it the same way.
 * What has a C original in the runtime's headers (MLC_RT_SCALAR functions
 * such as mlc_rt_wrap_index, mlc_rt_nd_offset, mlc_rt_pad_index) is called
 * from there, not copied here; this file holds only what is CUDA's own.
 * Everything is `static` or a template, so each .cu file gets its own
 * copy and no symbol leaves the library. */
#ifndef MLC_RT_CUDA_INT_H
#define MLC_RT_CUDA_INT_H

#include <stdint.h>

#include "mlc_rt_cuda.h"

/* ---- loops and grids ----------------------------------------------------- */

/* a grid-stride loop: i takes this thread's items of [0, n) */
#define GRID_STRIDE(i, n)                                                     \
  for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < (n); \
       i += (int64_t)gridDim.x * blockDim.x)

/* the rows of a block: every thread of the block takes the same ones */
#define ROWS(r, n) for (int64_t r = blockIdx.x; r < (n); r += gridDim.x)

/* blocks for n rows (one block of MLC_CU_BLOCK threads per row): one
 * each, up to a grid that fills the GPU */
static inline unsigned row_grid(int64_t n) {
  return (unsigned)(n < 8192 ? (n < 1 ? 1 : n) : 8192);
}

/* ---- items as words -------------------------------------------------------
 * The movers never look at values: an item of e bytes moves as e / W words
 * of the widest W (8, 4, 2 or 1 bytes) that divides the item and every
 * pointer's alignment, picked on the host, so one template serves every
 * dtype. */

/* the widest word that divides an item of e bytes and the alignment of the
 * pointers a, b and c (NULL: no constraint) */
static inline int word_bytes(int64_t e, const void *a, const void *b, const void *c = NULL) {
  uintptr_t al = (uintptr_t)a | (uintptr_t)b | (uintptr_t)c;
  for (int w = 8; w > 1; w /= 2)
    if (e % w == 0 && al % (uintptr_t)w == 0) return w;
  return 1;
}

/* runs the statement(s) with W the unsigned integer type of w bytes */
#define WORD_SWITCH(w, ...)                                                   \
  switch (w) {                                                                \
  case 8: {                                                                   \
    typedef uint64_t W;                                                       \
    __VA_ARGS__;                                                              \
  } break;                                                                    \
  case 4: {                                                                   \
    typedef uint32_t W;                                                       \
    __VA_ARGS__;                                                              \
  } break;                                                                    \
  case 2: {                                                                   \
    typedef uint16_t W;                                                       \
    __VA_ARGS__;                                                              \
  } break;                                                                    \
  default: {                                                                  \
    typedef uint8_t W;                                                        \
    __VA_ARGS__;                                                              \
  } break;                                                                    \
  }

/* launches KERNEL<W> (blocks of MLC_CU_BLOCK) with W the word of w bytes */
#define LAUNCH_WORDS(w, KERNEL, grid, stream, ...)                            \
  WORD_SWITCH(w, KERNEL<W><<<grid, MLC_CU_BLOCK, 0, stream>>>(__VA_ARGS__))

/* dst = src (bytes on the device), unless they are one buffer */
static inline int copy_bytes(MlcCuCtx *ctx, void *dst, const void *src, int64_t bytes) {
  if (bytes <= 0 || dst == src) return MLC_CU_OK;
  return cudaMemcpyAsync(dst, src, (size_t)bytes, cudaMemcpyDeviceToDevice, ctx->stream) ==
                 cudaSuccess
             ? MLC_CU_OK
             : MLC_CU_ERR_CUDA;
}

/* ---- a block's reduction ------------------------------------------------- */

/* the combination over the block (MLC_CU_BLOCK threads) of every thread's
 * v by op, the same pairs in the same order every run, so results never
 * depend on scheduling; every thread of the block must call it */
template <typename T, typename Op> static __device__ T block_reduce(T v, Op op) {
  __shared__ T sh[MLC_CU_BLOCK];
  sh[threadIdx.x] = v;
  __syncthreads();
  for (int s = MLC_CU_BLOCK / 2; s > 0; s /= 2) {
    if ((int)threadIdx.x < s) sh[threadIdx.x] = op(sh[threadIdx.x], sh[threadIdx.x + s]);
    __syncthreads();
  }
  T r = sh[0];
  __syncthreads(); /* sh is free for the next call */
  return r;
}

/* two sums at once, added pairwise */
struct Sum2 {
  double a, b;
};
static __device__ Sum2 sum2_add(Sum2 x, Sum2 y) { return Sum2{x.a + y.a, x.b + y.b}; }

/* ---- element types --------------------------------------------------------- */

/* the element types of index.c's IDX_TYPES: X(C type, MLC_DT_ code) */
#define IDX_TYPES(X)                                                          \
  X(float, MLC_DT_FLOAT)                                                      \
  X(double, MLC_DT_DOUBLE)                                                    \
  X(int8_t, MLC_DT_INT8)                                                      \
  X(int16_t, MLC_DT_INT16)                                                    \
  X(int32_t, MLC_DT_INT32)                                                    \
  X(int64_t, MLC_DT_INT64)                                                    \
  X(uint8_t, MLC_DT_UINT8)                                                    \
  X(uint16_t, MLC_DT_UINT16)                                                  \
  X(uint32_t, MLC_DT_UINT32)                                                  \
  X(uint64_t, MLC_DT_UINT64)

/* the MlcSmallFloat of MLC_DT_* type t (mlc_rt_data.h's table); all zeros
 * if t is none */
static inline __host__ __device__ MlcSmallFloat small_float(int64_t t) {
  switch (t) {
#define SF_CASE(name, ...)                                                    \
  case MLC_DT_##name: {                                                       \
    MlcSmallFloat f = {__VA_ARGS__};                                          \
    return f;                                                                 \
  }
    MLC_RT_SMALL_FLOATS(SF_CASE)
#undef SF_CASE
  }
  MlcSmallFloat none = {};
  return none;
}

/* ---- index.c's scatter reductions ------------------------------------------ */

enum { RED_NONE, RED_ADD, RED_MUL, RED_MAX, RED_MIN }; /* MlcElems, MlcND .reduction */

/* index.c's F_ADD/I_ADD and F_MUL/I_MUL: integers wrap through uint64_t;
 * floats round each operation on its own (nvcc would fuse a product into
 * the sum that follows it, which the C code does not) */
template <typename T> static __device__ T op_add(T a, T b) {
  return (T)((uint64_t)a + (uint64_t)b);
}
template <typename T> static __device__ T op_mul(T a, T b) {
  return (T)((uint64_t)a * (uint64_t)b);
}
template <> __device__ float op_add<float>(float a, float b) { return __fadd_rn(a, b); }
template <> __device__ float op_mul<float>(float a, float b) { return __fmul_rn(a, b); }
template <> __device__ double op_add<double>(double a, double b) { return __dadd_rn(a, b); }
template <> __device__ double op_mul<double>(double a, double b) { return __dmul_rn(a, b); }

/* index.c's apply: d combined with s by red (RED_*); max and min keep d
 * unless s compares above (below) it; any other red is s */
template <typename T> static __device__ T apply_red(T d, T s, int64_t red) {
  switch (red) {
  case RED_ADD: return op_add(d, s);
  case RED_MUL: return op_mul(d, s);
  case RED_MAX: return s > d ? s : d;
  case RED_MIN: return s < d ? s : d;
  default: return s;
  }
}

#endif /* MLC_RT_CUDA_INT_H */
