/* mlc CUDA runtime: the kernels that code from `mlc compile --target=cuda`
 * calls, built as one static library (libmlc_rt_cuda.a) beside the C
 * runtime, whose headers it shares: the parameter structs, io slots and
 * scalar functions of mlc_rt.h mean the same here.
 *
 * Calling convention. Every kernel is
 *     int mlc_rtcu_NAME(MlcCuCtx *ctx, const void *params, void *const *io);
 * with the C kernel mlc_rt_NAME's parameter struct and io slots, the
 * pointers in io being device pointers (the C kernel's scratch slots are
 * ignored). It enqueues its work on ctx->stream and returns at once: no
 * host synchronization, no allocation, no host-device copy. It returns
 * MLC_CU_OK or an MLC_CU_ERR_* code.
 *
 * Sizing. Before the first run the model calls every kernel once with
 * ctx->sizing set: a kernel then enqueues nothing, and raises
 * ctx->workspace_need to the device bytes of scratch it will want in
 * ctx->workspace (cuDNN's workspace, say). The model allocates that once;
 * in a run, ctx->workspace holds ctx->workspace_bytes >= every need.
 *
 * Determinism. Algorithms are fixed (no auto-tuning): the same model on
 * the same GPU computes the same bits every run. ctx->tf32 lets cuBLAS and
 * cuDNN use TF32 tensor cores (--precision=tf32); otherwise products are
 * computed in fp32 FMA. */
#ifndef MLC_RT_CUDA_H
#define MLC_RT_CUDA_H

#include <cublas_v2.h>
#include <cuda_runtime_api.h>
#include <cudnn.h>

#include "mlc_rt.h"
#include "mlc_rt_cuda_kernels.h"

#ifdef __cplusplus
extern "C" {
#endif

enum {
  MLC_CU_OK = 0,
  MLC_CU_ERR_CUDA,   /* a CUDA runtime call or a kernel launch failed */
  MLC_CU_ERR_CUBLAS, /* a cuBLAS call failed */
  MLC_CU_ERR_CUDNN,  /* a cuDNN call failed */
  MLC_CU_ERR_PARAMS  /* parameters this kernel does not run (a compiler bug) */
};

typedef struct MlcCuCtx {
  cudaStream_t stream;
  cublasHandle_t blas;
  cudnnHandle_t dnn;
  void *workspace; /* device scratch of workspace_bytes */
  size_t workspace_bytes;
  int sizing;            /* nonzero: enqueue nothing, only raise workspace_need */
  size_t workspace_need; /* bytes of workspace the sized kernels want */
  int tf32;              /* TF32 tensor cores allowed in products */
} MlcCuCtx;

/* creates the cuBLAS and cuDNN handles (ctx zeroed first; tf32 as asked) */
int mlc_rtcu_init(MlcCuCtx *ctx, int tf32);
/* binds the handles to ctx->stream and ctx->workspace; call after setting them */
int mlc_rtcu_bind(MlcCuCtx *ctx);
/* destroys the handles; safe on a context init never finished */
void mlc_rtcu_free(MlcCuCtx *ctx);

/* The grid of a grid-stride loop over n items, blocks of MLC_CU_BLOCK
 * threads: enough blocks to fill the GPU, never more than the items need. */
#define MLC_CU_BLOCK 256
unsigned mlc_rtcu_grid(int64_t n);
/* MLC_CU_ERR_CUDA if the last launch failed, else MLC_CU_OK */
int mlc_rtcu_launched(void);
/* in generated code: return a failed call's code */
#define MLC_CU_TRY(call)                                                      \
  do {                                                                        \
    int mlc_cu_rc_ = (call);                                                  \
    if (mlc_cu_rc_ != MLC_CU_OK) return mlc_cu_rc_;                           \
  } while (0)

#define MLC_RTCU__DECL(name, P, refuse) int mlc_rtcu_##name(MlcCuCtx *ctx, const void *params, void *const *io);
MLC_RTCU_KERNELS(MLC_RTCU__DECL)
#undef MLC_RTCU__DECL

#ifdef __cplusplus
}
#endif

#endif
