/* The scaffolding of the CUDA check programs (check_*.cu), each of which
 * runs a C runtime kernel mlc_rt_NAME on the host and its twin
 * mlc_rtcu_NAME on the GPU with the same parameters and compares the
 * outputs:
 *   - the context (check_open / check_close: handles, a stream, the
 *     workspace a kernel's sizing pass asks for) and the tally of cases;
 *   - the random inputs (a xorshift generator seeded per program, so every
 *     run checks the same values);
 *   - the comparison of floats (NaN matches NaN, infinities only
 *     themselves) and the report line of a case;
 *   - the byte-slot harness of check_data and check_misc: io slots as host
 *     bytes (inputs, or outputs starting as the same garbage on both
 *     sides, so a kernel that writes too little or too much shows),
 *     compared bytewise, as floats within a tolerance, exactly, or as
 *     float16 / bfloat16 codes.
 * Each program includes it once; everything is static. Needs a GPU; link
 * with libmlc_rt.a. */
#ifndef MLC_CHECK_H
#define MLC_CHECK_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vector>

#include "mlc_rt_cuda.h"

/* a CUDA runtime call that must succeed, else the program exits 2 */
#define CK(call)                                                                             \
  do {                                                                                       \
    cudaError_t e_ = (call);                                                                 \
    if (e_ != cudaSuccess) {                                                                 \
      fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, #call, cudaGetErrorString(e_)); \
      exit(2);                                                                               \
    }                                                                                        \
  } while (0)

typedef int (*cu_kernel)(MlcCuCtx *, const void *, void *const *);

static MlcCuCtx ctx;
static int failures, cases;

/* ---- the context ------------------------------------------------------------ */

/* the handles and a stream of the given flags bound to them, or exit 2 */
static inline void check_open(const char *prog, unsigned stream_flags) {
  if (mlc_rtcu_init(&ctx, 0) != MLC_CU_OK ||
      cudaStreamCreateWithFlags(&ctx.stream, stream_flags) != cudaSuccess ||
      mlc_rtcu_bind(&ctx) != MLC_CU_OK) {
    fprintf(stderr, "%s: no CUDA device or handles\n", prog);
    exit(2);
  }
}

/* frees the context, prints the tally; the exit status (1: a case failed) */
static inline int check_close(void) {
  mlc_rtcu_free(&ctx);
  if (ctx.workspace) CK(cudaFree(ctx.workspace));
  CK(cudaStreamDestroy(ctx.stream));
  printf("%d cases, %d failed\n", cases, failures);
  return failures ? 1 : 0;
}

/* the sizing pass of gk, as a model runs it, then ctx->workspace grown to
 * what it asked for; its return code */
static inline int check_sized(cu_kernel gk, const void *params, void *const *io) {
  ctx.sizing = 1;
  ctx.workspace_need = 0;
  int rc = gk(&ctx, params, io);
  ctx.sizing = 0;
  if (rc == MLC_CU_OK && ctx.workspace_need > ctx.workspace_bytes) {
    if (ctx.workspace) CK(cudaFree(ctx.workspace));
    CK(cudaMalloc(&ctx.workspace, ctx.workspace_need));
    ctx.workspace_bytes = ctx.workspace_need;
    if (mlc_rtcu_bind(&ctx) != MLC_CU_OK) {
      fprintf(stderr, "mlc_rtcu_bind failed\n");
      exit(2);
    }
  }
  return rc;
}

/* counts a case and prints its line; why: empty if it passed */
static inline void check_report(const char *name, const char *why) {
  cases++;
  if (why[0]) failures++;
  printf("%-4s %s%s%s\n", why[0] ? "FAIL" : "ok", name, why[0] ? ": " : "", why);
}

/* ---- random inputs ---------------------------------------------------------- */

static uint64_t rng;

static inline void check_seed(uint64_t seed) { rng = seed; }
static inline uint64_t rnd(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}
static inline double urand(double lo, double hi) {
  return lo + (hi - lo) * (double)(rnd() >> 11) / 9007199254740992.0;
}
static inline int64_t irand(int64_t lo, int64_t hi) {
  return lo + (int64_t)(rnd() % (uint64_t)(hi - lo + 1));
}
static inline std::vector<float> frand(int64_t n, double lo = -2, double hi = 2) {
  std::vector<float> v((size_t)n);
  for (auto &x : v) x = (float)urand(lo, hi);
  return v;
}
static inline std::vector<double> drand(int64_t n, double lo, double hi) {
  std::vector<double> v((size_t)n);
  for (auto &x : v) x = urand(lo, hi);
  return v;
}
static inline std::vector<int64_t> i64rand(int64_t n, int64_t lo, int64_t hi) {
  std::vector<int64_t> v((size_t)n);
  for (auto &x : v) x = irand(lo, hi);
  return v;
}

/* ---- comparison --------------------------------------------------------------- */

/* g (the GPU's) against c (the C kernel's): both NaN, equal, or both finite
 * and |g - c| <= atol + rtol |c| */
static inline bool check_near(double g, double c, double rtol, double atol) {
  if (c != c || g != g) return c != c && g != g;
  if (g == c) return true;
  if (isinf(c) || isinf(g)) return false;
  return fabs(g - c) <= atol + rtol * fabs(c);
}

/* ---- the byte-slot harness ------------------------------------------------------ */

/* how an output slot compares: bytes; floats within rtol 1e-5 / atol 1e-6;
 * floats exactly; float16 / bfloat16 codes equal, or both NaN (a NaN's sign
 * and payload depend on the processor's NaN propagation, which ONNX leaves
 * open) */
enum { CMP_BYTES, CMP_F32, CMP_F64, CMP_F32_EXACT, CMP_F64_EXACT, CMP_F16, CMP_BF16 };

/* one io slot: its host bytes (an input's value or an output's initial
 * garbage), whether the kernel writes it, how to compare it; null: NULL on
 * both sides; host_only: the C kernel's scratch (the GPU gets NULL);
 * alias: this slot is slot alias's buffer (in place) */
struct Slot {
  std::vector<unsigned char> b;
  int out, cmp;
  bool null, host_only;
  int alias;
};

static inline Slot in_bytes(size_t n) {
  Slot s{std::vector<unsigned char>(n), 0, CMP_BYTES, false, false, -1};
  for (size_t i = 0; i < n; i++) s.b[i] = (unsigned char)rnd();
  return s;
}
static inline Slot out_slot(size_t n, int cmp) {
  Slot s = in_bytes(n);
  s.out = 1;
  s.cmp = cmp;
  return s;
}
static inline Slot null_slot(void) { return Slot{{}, 0, CMP_BYTES, true, false, -1}; }
static inline Slot scratch_slot(size_t n) {
  Slot s = in_bytes(n);
  s.host_only = true;
  return s;
}
static inline Slot alias_of(int i) {
  Slot s = null_slot();
  s.alias = i;
  return s;
}
template <typename T>
static inline Slot in_vals(const std::vector<T> &v) {
  Slot s{std::vector<unsigned char>(v.size() * sizeof(T)), 0, CMP_BYTES, false, false, -1};
  if (!v.empty()) memcpy(s.b.data(), v.data(), s.b.size());
  return s;
}

/* the first difference of slot i (c: the C kernel's bytes, g: the GPU's)
 * written to why, or false */
static inline bool differs(const Slot &s, const unsigned char *c, const unsigned char *g, char *why,
                           size_t i) {
  size_t n = s.b.size();
  if (s.cmp == CMP_F32 || s.cmp == CMP_F64 || s.cmp == CMP_F32_EXACT || s.cmp == CMP_F64_EXACT) {
    size_t e = s.cmp == CMP_F32 || s.cmp == CMP_F32_EXACT ? 4 : 8;
    bool exact = s.cmp == CMP_F32_EXACT || s.cmp == CMP_F64_EXACT;
    for (size_t k = 0; k < n / e; k++) {
      double a, b;
      if (e == 4) {
        float fa, fb;
        memcpy(&fa, c + k * 4, 4);
        memcpy(&fb, g + k * 4, 4);
        a = fa, b = fb;
      } else {
        memcpy(&a, c + k * 8, 8);
        memcpy(&b, g + k * 8, 8);
      }
      if (!check_near(b, a, exact ? 0 : 1e-5, exact ? 0 : 1e-6)) {
        snprintf(why, 200, "slot %zu element %zu: C %.9g, CUDA %.9g", i, k, a, b);
        return true;
      }
    }
    return false;
  }
  if (s.cmp == CMP_F16 || s.cmp == CMP_BF16) {
    uint16_t ex = s.cmp == CMP_F16 ? 0x7c00 : 0x7f80;
    for (size_t k = 0; k < n / 2; k++) {
      uint16_t a, b;
      memcpy(&a, c + k * 2, 2);
      memcpy(&b, g + k * 2, 2);
      bool na = (a & ex) == ex && (a & ~ex & 0x7fff), nb = (b & ex) == ex && (b & ~ex & 0x7fff);
      if (a != b && !(na && nb)) {
        snprintf(why, 200, "slot %zu element %zu: C %04x, CUDA %04x", i, k, a, b);
        return true;
      }
    }
    return false;
  }
  for (size_t k = 0; k < n; k++)
    if (c[k] != g[k]) {
      snprintf(why, 200, "slot %zu byte %zu: C %02x, CUDA %02x", i, k, c[k], g[k]);
      return true;
    }
  return false;
}

/* Runs one case: ck on host copies of the slots, gk (its sizing pass, then
 * a run) on device copies, and compares every output slot. */
static inline void check(const char *name, mlc_rt_kernel ck, cu_kernel gk, const void *params,
                         std::vector<Slot> io) {
  size_t n = io.size();
  std::vector<void *> h(n), d(n);
  std::vector<std::vector<unsigned char>> host(n);
  char why[200] = "";
  for (size_t i = 0; i < n; i++) {
    host[i] = io[i].b;
    h[i] = d[i] = NULL;
    if (io[i].null) continue;
    h[i] = host[i].data();
    if (io[i].host_only) continue;
    CK(cudaMalloc(&d[i], io[i].b.size() ? io[i].b.size() : 1));
    CK(cudaMemcpy(d[i], io[i].b.data(), io[i].b.size(), cudaMemcpyHostToDevice));
  }
  for (size_t i = 0; i < n; i++)
    if (io[i].alias >= 0) {
      h[i] = h[io[i].alias];
      d[i] = d[io[i].alias];
    }
  ck(params, h.data());
  int rc = check_sized(gk, params, d.data());
  if (rc == MLC_CU_OK) rc = gk(&ctx, params, d.data());
  if (rc == MLC_CU_OK && cudaStreamSynchronize(ctx.stream) != cudaSuccess) rc = MLC_CU_ERR_CUDA;
  if (rc != MLC_CU_OK)
    snprintf(why, sizeof why, "kernel returned %d (%s)", rc,
             cudaGetErrorString(cudaGetLastError()));
  for (size_t i = 0; rc == MLC_CU_OK && i < n; i++) {
    if (!io[i].out) continue;
    std::vector<unsigned char> g(io[i].b.size());
    CK(cudaMemcpy(g.data(), d[i], g.size(), cudaMemcpyDeviceToHost));
    if (differs(io[i], host[i].data(), g.data(), why, i)) break;
  }
  for (size_t i = 0; i < n; i++)
    if (io[i].alias < 0 && d[i]) CK(cudaFree(d[i]));
  check_report(name, why);
}

#endif /* MLC_CHECK_H */
