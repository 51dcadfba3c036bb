/* STUB: replaced by the real kernels */
#include "mlc_rt.h"

void mlc_rt_conv_f32(const void *params, void *const *io) {
  (void)params;
  (void)io;
}

void mlc_rt_pool_f32(const void *params, void *const *io) {
  (void)params;
  (void)io;
}

void mlc_rt_gemm_f32(const void *params, void *const *io) {
  (void)params;
  (void)io;
}

void mlc_rt_matmul_f32(const void *params, void *const *io) {
  (void)params;
  (void)io;
}

void mlc_rt_batchnorm_f32(const void *params, void *const *io) {
  (void)params;
  (void)io;
}

void mlc_rt_layernorm_f32(const void *params, void *const *io) {
  (void)params;
  (void)io;
}

void mlc_rt_softmax_f32(const void *params, void *const *io) {
  (void)params;
  (void)io;
}
