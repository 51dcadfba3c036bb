/* mlc CUDA runtime: the list of the C runtime's kernels (mlc_rt.h) that
 * have a CUDA implementation, mlc_rtcu_NAME. Plain C without CUDA's
 * headers: the compiler reads it to know, at compile time, which steps the
 * CUDA backend can run, and lists the others as unsupported. Elementwise
 * steps are not here: the backend writes their kernels itself from the
 * scalar functions of mlc_rt_elementwise.h.
 *
 * A kernel here runs every parameter set the C kernel of the same name
 * runs, with the same io slots, but those its third column refuses (the
 * compiler checks it for each call). */
#ifndef MLC_RT_CUDA_KERNELS_H
#define MLC_RT_CUDA_KERNELS_H

#include "mlc_rt.h"

/* ABI of the CUDA runtime: the functions and context of mlc_rt_cuda.h and
 * this list. Generated code checks it, as it checks MLC_RT_ABI. */
#define MLC_RTCU_ABI 1

#define MLC_RTCU_KERNELS(K)                                                   \
  /* products and windows: cuBLAS, cuDNN and kernels of ours (dnn.cu) */      \
  K(conv_f32, MlcConv, mlc_rtcu_takes_all)                                    \
  K(gemm_f32, MlcGemm, mlc_rtcu_takes_all)                                    \
  K(matmul_f32, MlcMatMul, mlc_rtcu_takes_all)                                \
  K(matmul_f64, MlcMatMul, mlc_rtcu_takes_all)                                \
  K(pool_f32, MlcPool, mlc_rtcu_takes_all)                                    \
  K(batchnorm_f32, MlcBatchNorm, mlc_rtcu_takes_all)                          \
  K(attention_f32, MlcAttention, mlc_rtcu_refuse_attention)                   \
  /* data movement, normalization, reductions (data.cu, norm.cu) */           \
  K(copy, MlcCopy, mlc_rtcu_takes_all)                                        \
  K(fill, MlcFill, mlc_rtcu_takes_all)                                        \
  K(pad, MlcPad, mlc_rtcu_takes_all)                                          \
  K(gather, MlcGather, mlc_rtcu_takes_all)                                    \
  K(cast, MlcCast, mlc_rtcu_refuse_cast)                                      \
  K(layernorm_f32, MlcLayerNorm, mlc_rtcu_takes_all)                          \
  K(softmax_f32, MlcSoftmax, mlc_rtcu_takes_all)                              \
  K(softmax_f64, MlcSoftmax, mlc_rtcu_takes_all)                              \
  K(rownorm_f32, MlcRowNorm, mlc_rtcu_takes_all)                              \
  K(lpnorm_f32, MlcLpNorm, mlc_rtcu_takes_all)                                \
  K(lrn_f32, MlcLrn, mlc_rtcu_takes_all)                                      \
  K(reduce_f32, MlcReduce, mlc_rtcu_takes_all)                                \
  K(reduce_f64, MlcReduce, mlc_rtcu_takes_all)                                \
  K(reduce_i32, MlcReduce, mlc_rtcu_takes_all)                                \
  K(reduce_i64, MlcReduce, mlc_rtcu_takes_all)                                \
  K(reduce_u8, MlcReduce, mlc_rtcu_takes_all)                                 \
  K(argmax_f32, MlcArg, mlc_rtcu_takes_all)                                   \
  K(argmax_f64, MlcArg, mlc_rtcu_takes_all)                                   \
  K(argmax_i32, MlcArg, mlc_rtcu_takes_all)                                   \
  K(argmax_i64, MlcArg, mlc_rtcu_takes_all)                                   \
  K(argmax_u8, MlcArg, mlc_rtcu_takes_all)                                    \
  K(gather_elements, MlcElems, mlc_rtcu_takes_all)                            \
  K(scatter_elements, MlcElems, mlc_rtcu_takes_all)                           \
  K(trilu, MlcTrilu, mlc_rtcu_takes_all)                                      \
  K(onehot, MlcOneHot, mlc_rtcu_takes_all)                                    \
  K(cumulative, MlcCum, mlc_rtcu_takes_all)                                   \
  /* the rest (index_nd.cu, loss.cu, quant.cu, image.cu, resize.cu) */        \
  K(gather_nd, MlcND, mlc_rtcu_takes_all)                                     \
  K(scatter_nd, MlcND, mlc_rtcu_takes_all)                                    \
  K(reverse_sequence, MlcRevSeq, mlc_rtcu_takes_all)                          \
  K(tensor_scatter, MlcTensorScatter, mlc_rtcu_takes_all)                     \
  K(einsum, MlcEinsum, mlc_rtcu_takes_all)                                    \
  K(nll_f32, MlcNll, mlc_rtcu_takes_all)                                      \
  K(quantize, MlcQuant, mlc_rtcu_takes_all)                                   \
  K(dequantize, MlcQuant, mlc_rtcu_takes_all)                                 \
  K(rotary_f32, MlcRotary, mlc_rtcu_takes_all)                                \
  K(convtranspose_f32, MlcConv, mlc_rtcu_takes_all)                           \
  K(gridsample_f32, MlcGridSample, mlc_rtcu_takes_all)                        \
  K(resize, MlcResize, mlc_rtcu_takes_all)

#ifdef __cplusplus
extern "C" {
#endif

/* Element types that the CUDA cast converts between (MLC_DT_* codes): those
 * of the C cast (mlc_rt_cast), which are every type but strings and the
 * complex ones: the IEEE floats, bfloat16, the float8s (float8e8m0 with its
 * round modes), float4e2m1, the integers (4- and 2-bit ones included) and
 * bool. */
static inline int mlc_rtcu_cast_type(int64_t t) {
  switch (t) {
  case MLC_DT_FLOAT:
  case MLC_DT_DOUBLE:
  case MLC_DT_FLOAT16:
  case MLC_DT_BFLOAT16:
  case MLC_DT_FLOAT8E4M3FN:
  case MLC_DT_FLOAT8E4M3FNUZ:
  case MLC_DT_FLOAT8E5M2:
  case MLC_DT_FLOAT8E5M2FNUZ:
  case MLC_DT_FLOAT8E8M0:
  case MLC_DT_FLOAT4E2M1:
  case MLC_DT_INT8:
  case MLC_DT_INT16:
  case MLC_DT_INT32:
  case MLC_DT_INT64:
  case MLC_DT_INT4:
  case MLC_DT_INT2:
  case MLC_DT_UINT8:
  case MLC_DT_UINT16:
  case MLC_DT_UINT32:
  case MLC_DT_UINT64:
  case MLC_DT_UINT4:
  case MLC_DT_UINT2:
  case MLC_DT_BOOL: return 1;
  default: return 0;
  }
}

/* The third column of MLC_RTCU_KERNELS: why the kernel refuses a call's
 * parameters, or NULL where it runs them; the compiler asks it of every
 * call, so these few parameter sets stay on the C backend. */
static inline const char *mlc_rtcu_takes_all(const void *params) {
  (void)params;
  return 0;
}
static inline const char *mlc_rtcu_refuse_cast(const void *params) {
  const MlcCast *p = (const MlcCast *)params;
  return mlc_rtcu_cast_type(p->from) && mlc_rtcu_cast_type(p->to)
             ? 0
             : "the CUDA cast converts no complex numbers";
}
static inline const char *mlc_rtcu_refuse_attention(const void *params) {
  return ((const MlcAttention *)params)->bf16
             ? "the CUDA attention does not round to bfloat16 step by step as the C kernel does"
             : 0;
}

#ifdef __cplusplus
}
#endif

#endif
