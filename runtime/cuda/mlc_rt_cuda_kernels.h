/* mlc CUDA runtime: the list of the C runtime's kernels (mlc_rt.h) that
 * have a CUDA implementation, mlc_rtcu_NAME. Plain C without CUDA's
 * headers: the compiler reads it to know, at compile time, which steps the
 * CUDA backend can run, and lists the others as unsupported. Elementwise
 * steps are not here: the backend writes their kernels itself from the
 * scalar functions of mlc_rt_elementwise.h.
 *
 * A kernel here runs every parameter set the C kernel of the same name
 * runs, with the same io slots; the cast only between the types of
 * mlc_rtcu_cast_type() below (the compiler checks it for each call). */
#ifndef MLC_RT_CUDA_KERNELS_H
#define MLC_RT_CUDA_KERNELS_H

#include "mlc_rt.h"

/* ABI of the CUDA runtime: the functions and context of mlc_rt_cuda.h and
 * this list. Generated code checks it, as it checks MLC_RT_ABI. */
#define MLC_RTCU_ABI 1

#define MLC_RTCU_KERNELS(K)                                                   \
  /* products and windows: cuBLAS, cuDNN and kernels of ours (dnn.cu) */      \
  K(conv_f32, MlcConv)                                                        \
  K(gemm_f32, MlcGemm)                                                        \
  K(matmul_f32, MlcMatMul)                                                    \
  K(matmul_f64, MlcMatMul)                                                    \
  K(pool_f32, MlcPool)                                                        \
  K(batchnorm_f32, MlcBatchNorm)                                              \
  K(attention_f32, MlcAttention)                                              \
  /* data movement, normalization, reductions (data.cu, norm.cu) */           \
  K(copy, MlcCopy)                                                            \
  K(fill, MlcFill)                                                            \
  K(pad, MlcPad)                                                              \
  K(gather, MlcGather)                                                        \
  K(cast, MlcCast)                                                            \
  K(layernorm_f32, MlcLayerNorm)                                              \
  K(softmax_f32, MlcSoftmax)                                                  \
  K(softmax_f64, MlcSoftmax)                                                  \
  K(rownorm_f32, MlcRowNorm)                                                  \
  K(lpnorm_f32, MlcLpNorm)                                                    \
  K(lrn_f32, MlcLrn)                                                          \
  K(reduce_f32, MlcReduce)                                                    \
  K(reduce_f64, MlcReduce)                                                    \
  K(reduce_i32, MlcReduce)                                                    \
  K(reduce_i64, MlcReduce)                                                    \
  K(reduce_u8, MlcReduce)                                                     \
  K(argmax_f32, MlcArg)                                                       \
  K(argmax_f64, MlcArg)                                                       \
  K(argmax_i32, MlcArg)                                                       \
  K(argmax_i64, MlcArg)                                                       \
  K(argmax_u8, MlcArg)                                                        \
  K(gather_elements, MlcElems)                                                \
  K(scatter_elements, MlcElems)                                               \
  K(trilu, MlcTrilu)                                                          \
  K(onehot, MlcOneHot)                                                        \
  K(cumulative, MlcCum)                                                       \
  /* the rest (index_nd.cu, loss.cu, quant.cu, image.cu, resize.cu) */      \
  K(gather_nd, MlcND)                                                         \
  K(scatter_nd, MlcND)                                                        \
  K(reverse_sequence, MlcRevSeq)                                              \
  K(tensor_scatter, MlcTensorScatter)                                         \
  K(einsum, MlcEinsum)                                                        \
  K(nll_f32, MlcNll)                                                          \
  K(quantize, MlcQuant)                                                       \
  K(dequantize, MlcQuant)                                                     \
  K(rotary_f32, MlcRotary)                                                    \
  K(convtranspose_f32, MlcConv)                                               \
  K(gridsample_f32, MlcGridSample)                                            \
  K(resize, MlcResize)

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

#ifdef __cplusplus
}
#endif

#endif
