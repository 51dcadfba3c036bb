/* mlc CUDA runtime: the context (handles, workspace) and the launch
 * helpers every kernel file shares. */
#include "mlc_rt_cuda.h"

/* generated code for --target=cuda refers to this symbol, so that it links
 * only with this runtime (as C code for an ISA does with mlc_rt_isa_*) */
extern "C" {
extern const int mlc_rt_isa_cuda;
const int mlc_rt_isa_cuda = 1;
}

int mlc_rtcu_init(MlcCuCtx *ctx, int tf32) {
  *ctx = MlcCuCtx{};
  ctx->tf32 = tf32;
  if (cublasCreate(&ctx->blas) != CUBLAS_STATUS_SUCCESS) {
    ctx->blas = NULL;
    return MLC_CU_ERR_CUBLAS;
  }
  /* fp32 products stay fp32 unless TF32 was asked for */
  if (cublasSetMathMode(ctx->blas, tf32 ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH) !=
      CUBLAS_STATUS_SUCCESS)
    return MLC_CU_ERR_CUBLAS;
  if (cudnnCreate(&ctx->dnn) != CUDNN_STATUS_SUCCESS) {
    ctx->dnn = NULL;
    return MLC_CU_ERR_CUDNN;
  }
  return MLC_CU_OK;
}

int mlc_rtcu_bind(MlcCuCtx *ctx) {
  if (cublasSetStream(ctx->blas, ctx->stream) != CUBLAS_STATUS_SUCCESS) return MLC_CU_ERR_CUBLAS;
  /* cuBLAS's own workspace would be allocated at its first call, which a
   * captured graph cannot do: it shares ours */
  if (ctx->workspace_bytes &&
      cublasSetWorkspace(ctx->blas, ctx->workspace, ctx->workspace_bytes) != CUBLAS_STATUS_SUCCESS)
    return MLC_CU_ERR_CUBLAS;
  if (cudnnSetStream(ctx->dnn, ctx->stream) != CUDNN_STATUS_SUCCESS) return MLC_CU_ERR_CUDNN;
  return MLC_CU_OK;
}

void mlc_rtcu_free(MlcCuCtx *ctx) {
  if (ctx->blas) cublasDestroy(ctx->blas);
  if (ctx->dnn) cudnnDestroy(ctx->dnn);
  ctx->blas = NULL;
  ctx->dnn = NULL;
}

unsigned mlc_rtcu_grid(int64_t n) {
  /* 32 blocks of 256 threads per SM keep an H100's 132 SMs busy; a grid-
   * stride loop covers the rest */
  const int64_t most = 132 * 32;
  int64_t blocks = (n + MLC_CU_BLOCK - 1) / MLC_CU_BLOCK;
  return (unsigned)(blocks < 1 ? 1 : blocks > most ? most : blocks);
}

int mlc_rtcu_launched(void) {
  return cudaPeekAtLastError() == cudaSuccess ? MLC_CU_OK : MLC_CU_ERR_CUDA;
}
