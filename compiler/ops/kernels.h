/* The compiler's view of the runtime: one table of every kernel (from
 * MLC_RT_KERNELS and MLC_RT_EW in runtime/mlc_rt.h) with its function, its
 * parameter struct's layout (from MLC_RT_PARAM_STRUCTS) and, for the
 * elementwise loop kernels, the scalar function that generated code inlines. */
#ifndef MLC_KERNELS_H
#define MLC_KERNELS_H

#include <stdint.h>

#include "mlc_rt.h"

#define KC_MAX_SLOTS 48
#define KC_MAX_IO 10

/* one 8-byte slot of a parameter struct */
typedef union Slot {
  int64_t i;
  double d;
} Slot;

typedef struct FieldDesc {
  const char *name;
  char kind; /* 'i' int64_t, 'd' double */
  int count; /* 1 for a scalar; array length otherwise */
} FieldDesc;

typedef struct ParamsDesc {
  const char *type; /* C struct name, e.g. "MlcConv" */
  const FieldDesc *fields;
  int nfields;
  int nslots;
} ParamsDesc;

typedef struct KernelInfo {
  const char *name; /* "conv_f32", "ew_relu_f32"; C function mlc_rt_NAME */
  mlc_rt_kernel fn;
  const ParamsDesc *params;
  /* elementwise kernels only */
  int ew_arity;      /* 0 if not elementwise; 1, 2 or 3 (where: c, a, b) */
  int ew_has_p;      /* the scalar function takes p0, p1 */
  const char *ew_fn; /* "mlc_relu_f32" */
} KernelInfo;

#define MLC_K__K(name, P) K_##name,
#define MLC_K__E5(name, sfx, T, R, expr) K_ew_##name##_##sfx,
#define MLC_K__E4(name, sfx, C, T, expr) K_ew_##name##_##sfx,
enum { MLC_RT_KERNELS(MLC_K__K) MLC_RT_EW(MLC_K__E5, MLC_K__E5, MLC_K__E5, MLC_K__E4) K_COUNT };
#undef MLC_K__K
#undef MLC_K__E5
#undef MLC_K__E4

extern const KernelInfo ktab[K_COUNT];

/* the kernel named `name` ("relu" + "_" + suffix for elementwise: pass
 * "ew_relu_f32"); -1 if none */
int kernel_lookup(const char *name);
/* arithmetic operations of one call (multiply-add = 2; the integer products
 * count alike), for `mlc info` and profiles */
struct KCall;
int64_t kcall_flops(const struct KCall *c);

/* the typed view of a call's parameter slots: MlcConv *p = KC_PARAMS(c, MlcConv) */
#define KC_PARAMS(call, T) ((T *)(void *)(call)->params)

#endif
