/* Builds ktab from the runtime header's X-macro lists, so the compiler and the
 * runtime can never disagree on a kernel's name, function or parameters. */
#include "kernels.h"

#include <string.h>

#include "ops.h"

#define F_S(T, F) static const FieldDesc fields_##T[] = {F};
#define F_I(x) {#x, 'i', 1},
#define F_D(x) {#x, 'd', 1},
#define F_IA(x, n) {#x, 'i', n},
#define F_DA(x, n) {#x, 'd', n},
MLC_RT_PARAM_STRUCTS(F_S, F_I, F_D, F_IA, F_DA)

#define P_S(T, F)                        \
  static const ParamsDesc params_##T = { \
      #T, fields_##T, (int)(sizeof fields_##T / sizeof(FieldDesc)), (int)(sizeof(T) / 8)};
MLC_RT_PARAM_STRUCTS(P_S, F_I, F_D, F_IA, F_DA)

#define A_S(T, F) _Static_assert(sizeof(T) <= KC_MAX_SLOTS * 8, #T " fits a KCall");
MLC_RT_PARAM_STRUCTS(A_S, F_I, F_D, F_IA, F_DA)

#define K_K(name, P) {#name, mlc_rt_##name, &params_##P, 0, 0, NULL},
#define K_U(name, sfx, T, R, expr) \
  {"ew_" #name "_" #sfx, mlc_rt_ew_##name##_##sfx, &params_MlcEw, 1, 0, "mlc_" #name "_" #sfx},
#define K_P(name, sfx, T, R, expr) \
  {"ew_" #name "_" #sfx, mlc_rt_ew_##name##_##sfx, &params_MlcEw, 1, 1, "mlc_" #name "_" #sfx},
#define K_B(name, sfx, T, R, expr) \
  {"ew_" #name "_" #sfx, mlc_rt_ew_##name##_##sfx, &params_MlcEw, 2, 0, "mlc_" #name "_" #sfx},
#define K_W(name, sfx, C, T, expr) \
  {"ew_" #name "_" #sfx, mlc_rt_ew_##name##_##sfx, &params_MlcEw, 3, 0, "mlc_" #name "_" #sfx},

const KernelInfo ktab[K_COUNT] = {MLC_RT_KERNELS(K_K) MLC_RT_EW(K_U, K_P, K_B, K_W)};

int kernel_lookup(const char *name) {
  for (int k = 0; k < K_COUNT; k++)
    if (!strcmp(ktab[k].name, name)) return k;
  return -1;
}

/* a convolution's multiply-adds, counted directly, times 2 (the conv
 * parameter structs share these fields) */
#define CONV_OPS(q) \
  conv_ops((q)->n, (q)->m, (q)->c / ((q)->group ? (q)->group : 1), (q)->nsp, (q)->out_sp, (q)->k)
static int64_t conv_ops(int64_t n, int64_t m, int64_t cg, int64_t nsp, const int64_t *out_sp,
                        const int64_t *k) {
  int64_t f = 2 * n * m * cg;
  for (int i = 0; i < nsp; i++) f *= out_sp[i] * k[i];
  return f;
}

int64_t kcall_flops(const KCall *c) {
  const void *p = c->params;
  switch (c->kernel) {
  case K_conv_f32: return CONV_OPS((const MlcConv *)p);
  case K_conv_dwpw_f32: {
    MlcConv dw, pw;
    mlc_rt_dwpw_convs(p, &dw, &pw);
    return CONV_OPS(&dw) + CONV_OPS(&pw);
  }
  /* the integer products count their operations alike */
  case K_qconv: return CONV_OPS((const MlcQConv *)p);
  case K_qconv_fused:
  case K_qconv_dw: return CONV_OPS((const MlcQConvFused *)p);
  case K_qgemm_fused: {
    const MlcQGemmFused *q = p;
    return 2 * q->m * q->n * q->k;
  }
  case K_qmatmul: {
    const MlcQMatMul *q = p;
    int64_t f = 2 * q->m * q->n * q->k;
    for (int i = 0; i < q->brank; i++) f *= q->bdims[i];
    return f;
  }
  case K_gemm_f32: {
    const MlcGemm *q = p;
    return 2 * q->m * q->n * q->k;
  }
  case K_matmul_f32:
  case K_matmul_f64: {
    const MlcMatMul *q = p;
    int64_t f = 2 * q->m * q->n * q->k;
    for (int i = 0; i < q->brank; i++) f *= q->bdims[i];
    return f;
  }
  default:
    /* elementwise and data movement: one operation per output element */
    if (ktab[c->kernel].ew_arity) return ((const MlcEw *)p)->count;
    return 0;
  }
}
