/* STUB: replaced by the real kernels */
#include "mlc_rt.h"

void mlc_rt_reduce_f32(const void *params, void *const *io) {
  (void)params;
  (void)io;
}

void mlc_rt_reduce_i64(const void *params, void *const *io) {
  (void)params;
  (void)io;
}

void mlc_rt_argmax_f32(const void *params, void *const *io) {
  (void)params;
  (void)io;
}
