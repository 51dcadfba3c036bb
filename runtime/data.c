/* STUB: replaced by the real kernels */
#include "mlc_rt.h"

void mlc_rt_copy(const void *params, void *const *io) {
  (void)params;
  (void)io;
}

void mlc_rt_fill(const void *params, void *const *io) {
  (void)params;
  (void)io;
}

void mlc_rt_pad(const void *params, void *const *io) {
  (void)params;
  (void)io;
}

void mlc_rt_gather(const void *params, void *const *io) {
  (void)params;
  (void)io;
}

void mlc_rt_cast(const void *params, void *const *io) {
  (void)params;
  (void)io;
}
