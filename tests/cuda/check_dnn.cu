/* Checks the CUDA kernels of runtime/cuda/dnn.cu against the C runtime's
 * kernels of the same names, which are the reference: each case fills random
 * inputs, runs mlc_rt_NAME on the host and mlc_rtcu_NAME on the GPU, and
 * compares every output (fp32: |gpu - c| <= 1e-5 + 1e-4 |c|, TF32 off; fp64
 * and integers tighter). Shapes are small edge cases: odd channels, groups,
 * depthwise, strides, dilations, asymmetric padding, 1-D and 3-D, broadcast
 * batches, transposes, every activation, residuals, each pool kind and the
 * attention options.
 *
 * Each GPU kernel runs as a model runs it: a sizing pass sets the
 * workspace, then the call runs once on the stream and once captured into a
 * CUDA Graph (which fails on any allocation or synchronization inside); both
 * results are compared. Outputs start as all-ones bytes (NaN, -1) on both
 * sides, so an element the GPU leaves unwritten shows.
 *
 * usage: check_dnn (needs a GPU). Prints a line per case; exits 1 on any
 * mismatch. */
#include "check.h"

/* ---- data --------------------------------------------------------------- */

/* a random value in [-1, 1) */
static float frnd(void) { return (float)urand(-1, 1); }

enum { T_F32, T_F64, T_I64, T_U8 };
static size_t tsize(int t) { return t == T_F64 || t == T_I64 ? 8 : t == T_U8 ? 1 : 4; }

/* an io slot: NONE (NULL on both sides), IN (random floats, or `data`),
 * OUT (compared), SCRATCH (the C kernel's; NULL for the GPU) */
enum { NONE, IN, OUT, SCRATCH };
typedef struct TSlot {
  int role, type;
  int64_t count;
  const void *data; /* IN: the values, else random */
} TSlot;

static TSlot none(void) { return TSlot{NONE, T_F32, 0, NULL}; }
static TSlot in_f(int64_t n) { return TSlot{IN, T_F32, n, NULL}; }
static TSlot in_d(int64_t n) { return TSlot{IN, T_F64, n, NULL}; }
static TSlot in_data(int type, int64_t n, const void *d) { return TSlot{IN, type, n, d}; }
static TSlot out(int type, int64_t n) { return TSlot{OUT, type, n, NULL}; }
static TSlot scratch(int64_t floats) { return TSlot{SCRATCH, T_F32, floats, NULL}; }

/* the first mismatch of slot s (gpu against c), or -1 */
static int64_t mismatch(const TSlot *s, const void *g, const void *c) {
  for (int64_t i = 0; i < s->count; i++) {
    int ok = 1;
    if (s->type == T_F32)
      ok = check_near(((const float *)g)[i], ((const float *)c)[i], 1e-4, 1e-5);
    else if (s->type == T_F64)
      ok = check_near(((const double *)g)[i], ((const double *)c)[i], 1e-10, 1e-12);
    else if (s->type == T_I64)
      ok = ((const int64_t *)g)[i] == ((const int64_t *)c)[i];
    else
      ok = ((const uint8_t *)g)[i] == ((const uint8_t *)c)[i];
    if (!ok) return i;
  }
  return -1;
}

static double value(const TSlot *s, const void *p, int64_t i) {
  switch (s->type) {
  case T_F32: return ((const float *)p)[i];
  case T_F64: return ((const double *)p)[i];
  case T_I64: return (double)((const int64_t *)p)[i];
  default: return ((const uint8_t *)p)[i];
  }
}

/* the GPU kernel once on the stream (graph 0) or captured and launched as
 * a graph (graph 1); MLC_CU_OK or its error */
static int run_gpu(cu_kernel cu, const void *params, void *const *io, int graph) {
  if (!graph) {
    int rc = cu(&ctx, params, io);
    CK(cudaStreamSynchronize(ctx.stream));
    return rc;
  }
  cudaGraph_t g;
  cudaGraphExec_t ge;
  CK(cudaStreamBeginCapture(ctx.stream, cudaStreamCaptureModeThreadLocal));
  int rc = cu(&ctx, params, io);
  CK(cudaStreamEndCapture(ctx.stream, &g));
  CK(cudaGraphInstantiate(&ge, g, 0));
  CK(cudaGraphLaunch(ge, ctx.stream));
  CK(cudaStreamSynchronize(ctx.stream));
  CK(cudaGraphExecDestroy(ge));
  CK(cudaGraphDestroy(g));
  return rc;
}

/* Runs one case: the C kernel, then the GPU kernel (sizing, eager, graph),
 * comparing every OUT slot; want_rc other than MLC_CU_OK expects the GPU
 * kernel to refuse the parameters (nothing compared). */
static void run_case(const char *name, mlc_rt_kernel c, cu_kernel cu, const void *params,
                     const TSlot *slots, int n, int want_rc) {
  void *host[16], *ref[16], *dev[16], *cio[16], *gio[16];
  char why[200] = "";
  for (int i = 0; i < n; i++) {
    const TSlot *s = &slots[i];
    size_t bytes = (size_t)s->count * tsize(s->type);
    host[i] = ref[i] = dev[i] = NULL;
    if (s->role == NONE || bytes == 0) {
      cio[i] = gio[i] = NULL;
      continue;
    }
    ref[i] = malloc(bytes);
    if (s->role == IN && s->data) {
      memcpy(ref[i], s->data, bytes);
    } else if (s->role == IN) {
      for (int64_t j = 0; j < s->count; j++) {
        if (s->type == T_F64)
          ((double *)ref[i])[j] = frnd();
        else
          ((float *)ref[i])[j] = frnd();
      }
    } else {
      memset(ref[i], 0xff, bytes);
    }
    cio[i] = ref[i];
    gio[i] = NULL;
    if (s->role == SCRATCH) continue;
    CK(cudaMalloc(&dev[i], bytes));
    gio[i] = dev[i];
    if (s->role == IN) CK(cudaMemcpy(dev[i], ref[i], bytes, cudaMemcpyHostToDevice));
    if (s->role == OUT) host[i] = malloc(bytes);
  }

  if (want_rc == MLC_CU_OK) c(params, cio);

  int rc = check_sized(cu, params, gio);
  for (int graph = 0; graph < 2 && !*why; graph++) {
    for (int i = 0; i < n; i++)
      if (slots[i].role == OUT && dev[i])
        CK(cudaMemset(dev[i], 0xff, (size_t)slots[i].count * tsize(slots[i].type)));
    if (rc == MLC_CU_OK) rc = run_gpu(cu, params, gio, graph);
    if (rc != want_rc) {
      snprintf(why, sizeof why, "%s: returned %d, expected %d", graph ? "graph" : "stream", rc,
               want_rc);
      break;
    }
    if (want_rc != MLC_CU_OK) break;
    for (int i = 0; i < n && !*why; i++) {
      if (slots[i].role != OUT || !dev[i]) continue;
      size_t bytes = (size_t)slots[i].count * tsize(slots[i].type);
      CK(cudaMemcpy(host[i], dev[i], bytes, cudaMemcpyDeviceToHost));
      int64_t at = mismatch(&slots[i], host[i], ref[i]);
      if (at >= 0)
        snprintf(why, sizeof why, "%s: io[%d][%lld] = %.9g, C kernel %.9g",
                 graph ? "graph" : "stream", i, (long long)at, value(&slots[i], host[i], at),
                 value(&slots[i], ref[i], at));
    }
  }
  check_report(name, why);
  for (int i = 0; i < n; i++) {
    free(host[i]);
    free(ref[i]);
    if (dev[i]) CK(cudaFree(dev[i]));
  }
}

/* ---- Conv --------------------------------------------------------------- */

static const char *act_name(int act) {
  static const char *names[] = {"none", "relu", "clip", "sigmoid", "leakyrelu", "hardswish"};
  return act >= 0 && act < 6 ? names[act] : "?";
}

/* the activation's parameters for a case */
static void act_params(int act, double *a, double *b) {
  *a = act == MLC_ACT_CLIP ? -0.3 : act == MLC_ACT_LEAKYRELU ? 0.1 : 0;
  *b = act == MLC_ACT_CLIP ? 0.4 : 0;
}

/* a conv over nsp dims: in, k, stride, dil, pad begin and end per dim */
static void conv_case(int64_t n, int64_t c, int64_t m, int64_t group, int nsp, const int64_t *in,
                      const int64_t *k, const int64_t *s, const int64_t *d, const int64_t *pb,
                      const int64_t *pe, int bias, int act, int res) {
  MlcConv p;
  memset(&p, 0, sizeof p);
  p.n = n, p.c = c, p.m = m, p.group = group, p.nsp = nsp;
  int64_t in_all = n * c, out_all = n * m;
  char name[160];
  int len = snprintf(name, sizeof name, "conv n%lld c%lld m%lld g%lld", (long long)n, (long long)c,
                     (long long)m, (long long)group);
  for (int i = 0; i < nsp; i++) {
    p.in_sp[i] = in[i], p.k[i] = k[i], p.stride[i] = s[i], p.dil[i] = d[i];
    p.pad_begin[i] = pb[i];
    p.out_sp[i] = (in[i] + pb[i] + pe[i] - d[i] * (k[i] - 1) - 1) / s[i] + 1;
    in_all *= in[i];
    out_all *= p.out_sp[i];
    len += snprintf(name + len, sizeof name - (size_t)len, " %lld/k%lld/s%lld/d%lld/p%lld,%lld",
                    (long long)in[i], (long long)k[i], (long long)s[i], (long long)d[i],
                    (long long)pb[i], (long long)pe[i]);
  }
  snprintf(name + len, sizeof name - (size_t)len, "%s%s %s", bias ? " bias" : "", res ? " res" : "",
           act_name(act));
  p.has_bias = bias, p.act = act, p.has_res = res;
  act_params(act, &p.act_a, &p.act_b);
  int64_t kvol = 1;
  for (int i = 0; i < nsp; i++) kvol *= k[i];
  TSlot slots[MLC_CONV_NIO];
  slots[MLC_CONV_X] = in_f(in_all);
  slots[MLC_CONV_W] = in_f(m * (c / group) * kvol);
  slots[MLC_CONV_BIAS] = bias ? in_f(m) : none();
  slots[MLC_CONV_Y] = out(T_F32, out_all);
  slots[MLC_CONV_SCRATCH] = scratch(mlc_rt_conv_scratch(&p));
  slots[MLC_CONV_RES] = res ? in_f(out_all) : none();
  run_case(name, mlc_rt_conv_f32, mlc_rtcu_conv_f32, &p, slots, MLC_CONV_NIO, MLC_CU_OK);
}

static void conv_cases(void) {
  { /* 2-D, symmetric padding: cuDNN */
    int64_t in[] = {7, 6}, k[] = {3, 3}, s[] = {1, 1}, d[] = {1, 1}, p[] = {1, 1};
    conv_case(2, 3, 5, 1, 2, in, k, s, d, p, p, 1, MLC_ACT_NONE, 0);
  }
  { /* stride 2, end padding only: the direct kernel */
    int64_t in[] = {8, 7}, k[] = {3, 3}, s[] = {2, 2}, d[] = {1, 1}, pb[] = {0, 0}, pe[] = {1, 1};
    conv_case(1, 3, 4, 1, 2, in, k, s, d, pb, pe, 1, MLC_ACT_RELU, 1);
  }
  { /* an end pad that adds no output: cuDNN with the begin pad */
    int64_t in[] = {6, 5}, k[] = {2, 3}, s[] = {2, 1}, d[] = {1, 1}, pb[] = {0, 1}, pe[] = {1, 1};
    conv_case(1, 2, 3, 1, 2, in, k, s, d, pb, pe, 0, MLC_ACT_NONE, 0);
  }
  { /* SAME_LOWER-like: more padding at the beginning */
    int64_t in[] = {6, 6}, k[] = {4, 4}, s[] = {1, 1}, d[] = {1, 1}, pb[] = {2, 2}, pe[] = {1, 1};
    conv_case(1, 3, 2, 1, 2, in, k, s, d, pb, pe, 1, MLC_ACT_NONE, 0);
  }
  { /* groups and dilation */
    int64_t in[] = {9, 8}, k[] = {3, 2}, s[] = {1, 2}, d[] = {2, 1}, p[] = {2, 1};
    conv_case(2, 6, 9, 3, 2, in, k, s, d, p, p, 1, MLC_ACT_CLIP, 0);
  }
  { /* depthwise, stride 2: the direct kernel */
    int64_t in[] = {9, 10}, k[] = {3, 3}, s[] = {2, 2}, d[] = {1, 1}, p[] = {1, 1};
    conv_case(2, 5, 5, 5, 2, in, k, s, d, p, p, 1, MLC_ACT_RELU, 1);
  }
  { /* channel multiplier 2 (grouped, not depthwise) */
    int64_t in[] = {6, 7}, k[] = {3, 3}, s[] = {1, 1}, d[] = {1, 1}, p[] = {1, 1};
    conv_case(1, 4, 8, 4, 2, in, k, s, d, p, p, 1, MLC_ACT_HARDSWISH, 0);
  }
  { /* one channel */
    int64_t in[] = {5, 5}, k[] = {2, 2}, s[] = {1, 1}, d[] = {1, 1}, p[] = {0, 0};
    conv_case(1, 1, 1, 1, 2, in, k, s, d, p, p, 0, MLC_ACT_NONE, 0);
  }
  { /* pointwise */
    int64_t in[] = {4, 5}, k[] = {1, 1}, s[] = {1, 1}, d[] = {1, 1}, p[] = {0, 0};
    conv_case(3, 7, 3, 1, 2, in, k, s, d, p, p, 1, MLC_ACT_SIGMOID, 1);
  }
  { /* 1-D: stride, dilation, symmetric and asymmetric padding */
    int64_t in[] = {11}, k[] = {3}, s[] = {2}, d[] = {2}, p[] = {2}, pe[] = {0};
    conv_case(2, 3, 4, 1, 1, in, k, s, d, p, p, 1, MLC_ACT_LEAKYRELU, 0);
    conv_case(2, 3, 4, 1, 1, in, k, s, d, p, pe, 1, MLC_ACT_LEAKYRELU, 1);
  }
  { /* 1-D depthwise */
    int64_t in[] = {13}, k[] = {5}, s[] = {1}, d[] = {1}, p[] = {2};
    conv_case(1, 3, 3, 3, 1, in, k, s, d, p, p, 0, MLC_ACT_NONE, 0);
  }
  { /* 3-D, symmetric (cuDNN) and asymmetric (direct) */
    int64_t in[] = {5, 4, 6}, k[] = {2, 3, 3}, s[] = {1, 2, 1}, d[] = {1, 1, 2}, p[] = {1, 1, 2},
            pe[] = {0, 2, 1};
    conv_case(1, 2, 3, 1, 3, in, k, s, d, p, p, 1, MLC_ACT_NONE, 0);
    conv_case(2, 2, 3, 1, 3, in, k, s, d, p, pe, 1, MLC_ACT_RELU, 1);
  }
  { /* 3-D grouped */
    int64_t in[] = {4, 5, 5}, k[] = {3, 3, 3}, s[] = {1, 1, 1}, d[] = {1, 1, 1}, p[] = {1, 1, 1};
    conv_case(1, 4, 6, 2, 3, in, k, s, d, p, p, 1, MLC_ACT_CLIP, 1);
  }
  { /* every activation, through cuDNN and through the direct kernel */
    int64_t in[] = {6, 7}, k[] = {3, 3}, s[] = {1, 1}, d[] = {1, 1}, p[] = {1, 1}, pe[] = {2, 2};
    for (int act = MLC_ACT_NONE; act <= MLC_ACT_HARDSWISH; act++) {
      conv_case(1, 3, 5, 1, 2, in, k, s, d, p, p, 1, act, 1);
      conv_case(1, 3, 5, 1, 2, in, k, s, d, p, pe, 1, act, 0);
    }
  }
  { /* bigger channels: cuDNN's tiles with tails */
    int64_t in[] = {15, 17}, k[] = {3, 3}, s[] = {1, 1}, d[] = {1, 1}, p[] = {1, 1};
    conv_case(2, 37, 45, 1, 2, in, k, s, d, p, p, 1, MLC_ACT_RELU, 0);
  }
}

/* ---- Gemm --------------------------------------------------------------- */

/* cmode: 0 no C, 1 scalar, 2 a row (broadcast down), 3 a column, 4 full */
static void gemm_case(int64_t m, int64_t n, int64_t k, int ta, int tb, double alpha, double beta,
                      int cmode, int act, int res) {
  MlcGemm p;
  memset(&p, 0, sizeof p);
  p.m = m, p.n = n, p.k = k, p.trans_a = ta, p.trans_b = tb, p.alpha = alpha, p.beta = beta;
  p.has_c = cmode != 0;
  p.c_rs = cmode == 3 || cmode == 4 ? (cmode == 4 ? n : 1) : 0;
  p.c_cs = cmode == 2 || cmode == 4 ? 1 : 0;
  p.act = act, p.has_res = res;
  act_params(act, &p.act_a, &p.act_b);
  int64_t cn = cmode == 1 ? 1 : cmode == 2 ? n : cmode == 3 ? m : m * n;
  char name[160];
  snprintf(name, sizeof name, "gemm %lldx%lldx%lld ta%d tb%d alpha %g beta %g c%d%s %s",
           (long long)m, (long long)n, (long long)k, ta, tb, alpha, beta, cmode, res ? " res" : "",
           act_name(act));
  TSlot slots[MLC_GEMM_NIO];
  slots[MLC_GEMM_A] = in_f(m * k);
  slots[MLC_GEMM_B] = in_f(k * n);
  slots[MLC_GEMM_C] = cmode ? in_f(cn) : none();
  slots[MLC_GEMM_Y] = out(T_F32, m * n);
  slots[MLC_GEMM_SCRATCH] = scratch(mlc_rt_gemm_scratch(m, n, k));
  slots[MLC_GEMM_RES] = res ? in_f(m * n) : none();
  run_case(name, mlc_rt_gemm_f32, mlc_rtcu_gemm_f32, &p, slots, MLC_GEMM_NIO, MLC_CU_OK);
}

static void gemm_cases(void) {
  gemm_case(7, 5, 3, 0, 0, 1, 1, 4, MLC_ACT_NONE, 0);
  gemm_case(13, 9, 17, 1, 0, 0.5, 2, 2, MLC_ACT_RELU, 0);
  gemm_case(1, 11, 6, 0, 1, 1, 1, 3, MLC_ACT_NONE, 0);
  gemm_case(33, 40, 70, 1, 1, 1.5, -1, 1, MLC_ACT_SIGMOID, 1);
  gemm_case(2, 50, 9, 0, 1, 1, 1, 0, MLC_ACT_NONE, 0);
  gemm_case(64, 3, 129, 1, 0, 1, 0.25, 4, MLC_ACT_HARDSWISH, 1);
  gemm_case(4, 3, 0, 0, 0, 1, 1, 4, MLC_ACT_NONE, 0);
  for (int act = MLC_ACT_NONE; act <= MLC_ACT_HARDSWISH; act++)
    for (int tb = 0; tb < 2; tb++) gemm_case(9, 12, 10, 0, tb, 1, 1, 2, act, act & 1);
}

/* ---- MatMul ------------------------------------------------------------- */

static void matmul_case(int f64, int64_t m, int64_t n, int64_t k, int brank, const int64_t *bdims,
                        const int64_t *a_bs, const int64_t *b_bs) {
  MlcMatMul p;
  memset(&p, 0, sizeof p);
  p.m = m, p.n = n, p.k = k, p.brank = brank;
  int64_t nb = 1, na = m * k, nbb = k * n;
  char name[160];
  int len = snprintf(name, sizeof name, "matmul_%s %lldx%lldx%lld batch", f64 ? "f64" : "f32",
                     (long long)m, (long long)n, (long long)k);
  for (int d = 0; d < brank; d++) {
    p.bdims[d] = bdims[d], p.a_bs[d] = a_bs[d], p.b_bs[d] = b_bs[d];
    nb *= bdims[d];
    na += (bdims[d] - 1) * a_bs[d];
    nbb += (bdims[d] - 1) * b_bs[d];
    len += snprintf(name + len, sizeof name - (size_t)len, " %lld/%lld/%lld", (long long)bdims[d],
                    (long long)a_bs[d], (long long)b_bs[d]);
  }
  TSlot slots[MLC_MATMUL_NIO];
  slots[MLC_MATMUL_A] = f64 ? in_d(na) : in_f(na);
  slots[MLC_MATMUL_B] = f64 ? in_d(nbb) : in_f(nbb);
  slots[MLC_MATMUL_Y] = out(f64 ? T_F64 : T_F32, nb * m * n);
  slots[MLC_MATMUL_SCRATCH] = f64 ? none() : scratch(mlc_rt_gemm_scratch(m, n, k));
  run_case(name, f64 ? mlc_rt_matmul_f64 : mlc_rt_matmul_f32,
           f64 ? mlc_rtcu_matmul_f64 : mlc_rtcu_matmul_f32, &p, slots, f64 ? 3 : MLC_MATMUL_NIO,
           MLC_CU_OK);
}

static void matmul_cases(void) {
  for (int f64 = 0; f64 < 2; f64++) {
    int64_t m = 5, n = 7, k = 3, mk = m * k, kn = k * n;
    matmul_case(f64, m, n, k, 0, NULL, NULL, NULL);
    { /* contiguous batches */
      int64_t bd[] = {3}, as[] = {mk}, bs[] = {kn};
      matmul_case(f64, m, n, k, 1, bd, as, bs);
    }
    { /* B broadcast over two batch dims */
      int64_t bd[] = {2, 3}, as[] = {3 * mk, mk}, bs[] = {0, 0};
      matmul_case(f64, m, n, k, 2, bd, as, bs);
    }
    { /* A broadcast along the inner batch dim only: a loop of calls */
      int64_t bd[] = {2, 3}, as[] = {mk, 0}, bs[] = {3 * kn, kn};
      matmul_case(f64, m, n, k, 2, bd, as, bs);
    }
    { /* dims of size 1 in the middle and a broadcast outer dim */
      int64_t bd[] = {2, 1, 4}, as[] = {0, 0, mk}, bs[] = {4 * kn, 0, kn};
      matmul_case(f64, m, n, k, 3, bd, as, bs);
    }
    { /* outer dims that do not step evenly with the inner ones */
      int64_t bd[] = {3, 2}, as[] = {mk, 3 * mk}, bs[] = {0, kn};
      matmul_case(f64, m, n, k, 2, bd, as, bs);
    }
    { /* vector-like and larger products */
      int64_t bd[] = {4}, as1[] = {17}, bs1[] = {17 * 33}, as2[] = {65 * 31}, bs2[] = {0};
      matmul_case(f64, 1, 33, 17, 1, bd, as1, bs1);
      matmul_case(f64, 65, 40, 31, 1, bd, as2, bs2);
    }
    { /* an empty inner dimension */
      int64_t bd[] = {2}, as[] = {0}, bs[] = {0};
      matmul_case(f64, 3, 4, 0, 1, bd, as, bs);
    }
  }
}

/* ---- pools -------------------------------------------------------------- */

static void pool_case(int kind, int nsp, int64_t n, int64_t c, const int64_t *in, const int64_t *k,
                      const int64_t *s, const int64_t *d, const int64_t *pb, const int64_t *pe,
                      int ceil_mode, int count_pad, int indices, int storage_order, double pw,
                      int nan) {
  static const char *kinds[] = {"max", "avg", "lp"};
  MlcPool p;
  memset(&p, 0, sizeof p);
  p.n = n, p.c = c, p.nsp = nsp, p.kind = kind, p.count_include_pad = count_pad;
  p.storage_order = storage_order, p.p = pw;
  int64_t in_all = n * c, out_all = n * c;
  char name[200];
  int len =
      snprintf(name, sizeof name, "pool %s n%lld c%lld", kinds[kind], (long long)n, (long long)c);
  for (int i = 0; i < nsp; i++) {
    p.in_sp[i] = in[i], p.k[i] = k[i], p.stride[i] = s[i], p.dil[i] = d[i];
    p.pad_begin[i] = pb[i], p.pad_end[i] = pe[i];
    int64_t span = in[i] + pb[i] + pe[i] - d[i] * (k[i] - 1) - 1;
    p.out_sp[i] = (span + (ceil_mode ? s[i] - 1 : 0)) / s[i] + 1;
    /* ceil mode: the last window must start inside the input or its
     * begin padding (ONNX) */
    if (ceil_mode && (p.out_sp[i] - 1) * s[i] >= in[i] + pb[i]) p.out_sp[i]--;
    in_all *= in[i];
    out_all *= p.out_sp[i];
    len += snprintf(name + len, sizeof name - (size_t)len, " %lld/k%lld/s%lld/d%lld/p%lld,%lld",
                    (long long)in[i], (long long)k[i], (long long)s[i], (long long)d[i],
                    (long long)pb[i], (long long)pe[i]);
  }
  snprintf(name + len, sizeof name - (size_t)len, "%s%s%s%s%s", ceil_mode ? " ceil" : "",
           count_pad ? " count_pad" : "", indices ? " indices" : "",
           storage_order ? " col-major" : "", nan ? " nan" : "");
  float *x = (float *)malloc((size_t)in_all * sizeof *x);
  for (int64_t i = 0; i < in_all; i++) x[i] = frnd();
  if (nan)
    for (int64_t i = 3; i < in_all; i += 17) x[i] = NAN;
  TSlot slots[MLC_POOL_NIO];
  slots[MLC_POOL_X] = in_data(T_F32, in_all, x);
  slots[MLC_POOL_Y] = out(T_F32, out_all);
  slots[MLC_POOL_INDICES] = indices ? out(T_I64, out_all) : none();
  run_case(name, mlc_rt_pool_f32, mlc_rtcu_pool_f32, &p, slots, MLC_POOL_NIO, MLC_CU_OK);
  free(x);
}

static void pool_cases(void) {
  { /* 2-D */
    int64_t in[] = {9, 8}, k[] = {3, 3}, s[] = {2, 2}, d[] = {1, 1}, p[] = {1, 1}, z[] = {0, 0};
    int64_t pe[] = {0, 2}, d2[] = {2, 1};
    pool_case(MLC_POOL_MAX, 2, 2, 3, in, k, s, d, p, p, 0, 0, 0, 0, 0, 0);
    pool_case(MLC_POOL_MAX, 2, 2, 3, in, k, s, d, p, p, 0, 0, 0, 0, 0, 1);
    pool_case(MLC_POOL_MAX, 2, 2, 3, in, k, s, d2, p, pe, 0, 0, 1, 0, 0, 0);
    pool_case(MLC_POOL_MAX, 2, 2, 3, in, k, s, d2, p, pe, 1, 0, 1, 1, 0, 0);
    pool_case(MLC_POOL_MAX, 2, 1, 2, in, k, s, d, p, p, 0, 0, 1, 0, 0, 1);
    pool_case(MLC_POOL_AVG, 2, 2, 3, in, k, s, d, p, p, 0, 0, 0, 0, 0, 0);
    pool_case(MLC_POOL_AVG, 2, 2, 3, in, k, s, d, p, p, 0, 1, 0, 0, 0, 0);
    pool_case(MLC_POOL_AVG, 2, 2, 3, in, k, s, d, z, pe, 1, 1, 0, 0, 0, 0);
    pool_case(MLC_POOL_AVG, 2, 2, 3, in, k, s, d2, p, pe, 1, 0, 0, 0, 0, 0);
    pool_case(MLC_POOL_LP, 2, 2, 3, in, k, s, d, p, p, 0, 0, 0, 0, 2, 0);
    pool_case(MLC_POOL_LP, 2, 1, 2, in, k, s, d2, z, pe, 0, 0, 0, 0, 3, 0);
  }
  { /* global pools: the window is the input */
    int64_t in[] = {5, 7}, s[] = {1, 1}, d[] = {1, 1}, z[] = {0, 0};
    pool_case(MLC_POOL_MAX, 2, 2, 5, in, in, s, d, z, z, 0, 0, 0, 0, 0, 0);
    pool_case(MLC_POOL_AVG, 2, 2, 5, in, in, s, d, z, z, 0, 0, 0, 0, 0, 0);
  }
  { /* 1-D */
    int64_t in[] = {17}, k[] = {4}, s[] = {3}, d[] = {2}, p[] = {2}, pe[] = {1};
    pool_case(MLC_POOL_MAX, 1, 2, 3, in, k, s, d, p, pe, 1, 0, 1, 0, 0, 0);
    pool_case(MLC_POOL_AVG, 1, 2, 3, in, k, s, d, p, pe, 1, 1, 0, 0, 0, 0);
    pool_case(MLC_POOL_LP, 1, 2, 3, in, k, s, d, p, pe, 0, 0, 0, 0, 1, 0);
  }
  { /* 3-D */
    int64_t in[] = {5, 6, 7}, k[] = {2, 3, 2}, s[] = {2, 1, 2}, d[] = {1, 1, 1}, p[] = {1, 1, 0},
            pe[] = {0, 1, 1};
    pool_case(MLC_POOL_MAX, 3, 1, 3, in, k, s, d, p, pe, 0, 0, 0, 0, 0, 0);
    pool_case(MLC_POOL_MAX, 3, 1, 3, in, k, s, d, p, pe, 0, 0, 1, 1, 0, 0);
    pool_case(MLC_POOL_AVG, 3, 1, 3, in, k, s, d, p, pe, 1, 1, 0, 0, 0, 0);
    pool_case(MLC_POOL_LP, 3, 1, 3, in, k, s, d, p, pe, 0, 0, 0, 0, 2, 0);
  }
}

/* ---- BatchNormalization ------------------------------------------------- */

static void batchnorm_case(int64_t n, int64_t c, int64_t inner, double eps) {
  MlcBatchNorm p = {n, c, inner, eps};
  float *var = (float *)malloc((size_t)c * sizeof *var);
  for (int64_t i = 0; i < c; i++) var[i] = fabsf(frnd()) + 0.05f;
  char name[100];
  snprintf(name, sizeof name, "batchnorm n%lld c%lld inner%lld eps %g", (long long)n, (long long)c,
           (long long)inner, eps);
  TSlot slots[MLC_BATCHNORM_NIO];
  slots[MLC_BATCHNORM_X] = in_f(n * c * inner);
  slots[MLC_BATCHNORM_SCALE] = in_f(c);
  slots[MLC_BATCHNORM_BIAS] = in_f(c);
  slots[MLC_BATCHNORM_MEAN] = in_f(c);
  slots[MLC_BATCHNORM_VAR] = in_data(T_F32, c, var);
  slots[MLC_BATCHNORM_Y] = out(T_F32, n * c * inner);
  run_case(name, mlc_rt_batchnorm_f32, mlc_rtcu_batchnorm_f32, &p, slots, MLC_BATCHNORM_NIO,
           MLC_CU_OK);
  free(var);
}

/* ---- Attention ---------------------------------------------------------- */

/* what an attention case varies beyond the shapes */
typedef struct AttnOpt {
  int layout3;  /* [b, s, h * d] instead of [b, h, s, d] */
  int mask;     /* 0, 1 bool, 2 additive */
  int mask_len; /* keys the mask covers (0: all) */
  int mask_bcast_heads;
  int causal, past, left, right, nonpad;
  double softcap;
  int qk_mode, want_qk, want_y, bf16;
} AttnOpt;

static void layout(int64_t *st, int layout3, int64_t h, int64_t s, int64_t d) {
  st[0] = h * s * d;
  st[1] = layout3 ? d : s * d;
  st[2] = layout3 ? h * d : d;
}

static void attention_case(int64_t b, int64_t hq, int64_t hkv, int64_t sq, int64_t skv, int64_t dk,
                           int64_t dv, AttnOpt o) {
  MlcAttention p;
  memset(&p, 0, sizeof p);
  p.b = b, p.hq = hq, p.hkv = hkv, p.sq = sq, p.skv = skv, p.dk = dk, p.dv = dv;
  layout(p.q_st, o.layout3, hq, sq, dk);
  layout(p.k_st, o.layout3, hkv, skv, dk);
  layout(p.v_st, o.layout3, hkv, skv, dv);
  layout(p.y_st, o.layout3, hq, sq, dv);
  p.mask = o.mask;
  p.mask_len = o.mask_len ? o.mask_len : skv;
  int64_t mh = o.mask_bcast_heads ? 1 : hq, mlen = p.mask_len;
  p.m_st[0] = mh * sq * mlen, p.m_st[1] = o.mask_bcast_heads ? 0 : sq * mlen;
  p.m_st[2] = mlen, p.m_st[3] = 1;
  p.causal = o.causal, p.past = o.past, p.left = o.left, p.right = o.right;
  p.scale = 1 / sqrt((double)dk), p.softcap = o.softcap, p.qk_mode = o.qk_mode, p.bf16 = o.bf16;
  int64_t nmask = b * mh * sq * mlen;
  uint8_t *mb = (uint8_t *)malloc((size_t)nmask);
  float *mf = (float *)malloc((size_t)nmask * sizeof *mf);
  for (int64_t i = 0; i < nmask; i++) {
    float r = frnd();
    mb[i] = r > -0.5f;
    mf[i] = r < -0.8f ? -INFINITY : r;
  }
  /* a row masked everywhere: batch 0, head 0, query 0 */
  for (int64_t j = 0; j < mlen; j++) mb[j] = 0, mf[j] = -INFINITY;
  int64_t np[8];
  for (int64_t i = 0; i < b && i < 8; i++) np[i] = skv - (i % 3); /* keys past it are padding */
  char name[200];
  snprintf(name, sizeof name,
           "attention b%lld h%lld/%lld s%lld/%lld d%lld/%lld%s mask%d/%lld%s causal%d past%d "
           "win%d,%d%s cap%g qk%d%s%s%s",
           (long long)b, (long long)hq, (long long)hkv, (long long)sq, (long long)skv,
           (long long)dk, (long long)dv, o.layout3 ? " 3-D" : "", o.mask, (long long)mlen,
           o.mask_bcast_heads ? "/bcast" : "", o.causal, o.past, o.left, o.right,
           o.nonpad ? " nonpad" : "", o.softcap, o.qk_mode, o.want_qk ? "" : "(none)",
           o.want_y ? "" : " no-y", o.bf16 ? " bf16" : "");
  TSlot slots[MLC_ATTENTION_NIO];
  slots[MLC_ATTENTION_Q] = in_f(b * hq * sq * dk);
  slots[MLC_ATTENTION_K] = in_f(b * hkv * skv * dk);
  slots[MLC_ATTENTION_V] = in_f(b * hkv * skv * dv);
  slots[MLC_ATTENTION_MASK] = o.mask == 1   ? in_data(T_U8, nmask, mb)
                              : o.mask == 2 ? in_data(T_F32, nmask, mf)
                                            : none();
  slots[MLC_ATTENTION_NONPAD] = o.nonpad ? in_data(T_I64, b, np) : none();
  slots[MLC_ATTENTION_Y] = o.want_y ? out(T_F32, b * hq * sq * dv) : none();
  slots[MLC_ATTENTION_QK] = o.want_qk ? out(T_F32, b * hq * sq * skv) : none();
  slots[MLC_ATTENTION_SCRATCH] = scratch(2 * skv);
  run_case(name, mlc_rt_attention_f32, mlc_rtcu_attention_f32, &p, slots, MLC_ATTENTION_NIO,
           o.bf16 ? MLC_CU_ERR_PARAMS : MLC_CU_OK);
  free(mb);
  free(mf);
}

static void attention_cases(void) {
  AttnOpt base;
  memset(&base, 0, sizeof base);
  base.left = base.right = -1;
  base.want_y = 1;
  AttnOpt o = base;
  attention_case(2, 4, 2, 3, 5, 8, 6, o);
  o.layout3 = 1;
  attention_case(2, 4, 4, 3, 5, 8, 6, o);
  o = base, o.mask = 1, o.want_qk = 1;
  attention_case(2, 2, 1, 4, 7, 5, 3, o);
  o.mask_bcast_heads = 1, o.qk_mode = 3;
  attention_case(2, 3, 1, 4, 7, 5, 3, o);
  o = base, o.mask = 2, o.mask_len = 5, o.want_qk = 1, o.qk_mode = 2;
  attention_case(1, 2, 2, 3, 9, 4, 4, o);
  o = base, o.causal = 1, o.past = 2, o.want_qk = 1, o.qk_mode = 3;
  attention_case(2, 2, 2, 4, 6, 8, 8, o);
  o = base, o.causal = 1, o.left = 2, o.right = 0;
  attention_case(1, 2, 1, 6, 6, 8, 5, o);
  o = base, o.left = -1, o.right = 1, o.mask = 1, o.layout3 = 1;
  attention_case(1, 2, 2, 5, 5, 3, 7, o);
  o = base, o.nonpad = 1, o.causal = 1, o.want_qk = 1;
  attention_case(3, 2, 1, 2, 8, 8, 8, o);
  o = base, o.softcap = 2.0, o.want_qk = 1, o.qk_mode = 1, o.mask = 2;
  attention_case(1, 4, 2, 3, 6, 16, 8, o);
  o = base, o.want_y = 0, o.want_qk = 1, o.causal = 1;
  attention_case(1, 2, 2, 3, 4, 8, 8, o);
  /* longer rows than a block: chunks of keys and of output columns */
  o = base, o.want_qk = 1, o.qk_mode = 3, o.mask = 1;
  attention_case(1, 2, 1, 3, 300, 64, 130, o);
  o = base, o.causal = 1, o.past = 200;
  attention_case(1, 1, 1, 5, 205, 33, 129, o);
  o = base, o.bf16 = 1;
  attention_case(1, 1, 1, 2, 3, 4, 4, o);
}

int main(void) {
  check_open("check_dnn", cudaStreamNonBlocking);
  check_seed(2463534242u);
  conv_cases();
  gemm_cases();
  matmul_cases();
  pool_cases();
  batchnorm_case(2, 5, 7, 1e-5);
  batchnorm_case(1, 3, 1, 1e-3);
  attention_cases();
  return check_close();
}
