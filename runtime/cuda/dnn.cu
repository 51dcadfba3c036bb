/* CUDA kernels of the products and windows: Conv, Gemm, MatMul (float and
 * double), the pools, inference BatchNormalization and Attention, each
 * computing what the C kernel of the same name computes (nn.c, nn_pool.c,
 * norm.c, attention.c), with the calling convention of mlc_rt_cuda.h.
 *
 * Products go to the vendor libraries with fixed algorithms: Conv to
 * cuDNN's implicit precomputed GEMM, Gemm and MatMul to cuBLAS. cuBLAS is
 * column-major and our matrices are row-major, but a row-major matrix read
 * column-major is its transpose: Y^T = op(B)^T op(A)^T is one cuBLAS call
 * with the operands swapped and no copy. What a library cannot express as
 * the C kernel defines it runs as a kernel of ours: a conv whose end
 * padding differs from cuDNN's symmetric one, and depthwise convs, which a
 * direct loop runs better than the GEMM algorithm does.
 *
 * The C kernels' epilogue (nn_int.h: bias or Gemm's broadcast C, then the
 * residual, then an MLC_ACT_* activation) is one elementwise pass after the
 * library call, or part of the store of our own conv; the activations are
 * the scalar functions of mlc_rt_elementwise.h through MLC_RT_ACTIVATIONS,
 * the C kernels' very expressions.
 *
 * Rounding. The runtime's C is built as ISO C99, so gcc contracts no
 * a * b + c into a fused multiply-add; nvcc would. Where a C kernel's
 * arithmetic is elementwise (the epilogue, BatchNorm, the averages, the
 * attention's weighted sum) the steps are rounded one at a time here too
 * (__fmul_rn, __fadd_rn), so the results are the C kernels' bits. Only
 * the order of the products' sums (cuBLAS, cuDNN, our conv, the softmax
 * sum) and CUDA's transcendentals against libm's differ, by rounding.
 *
 * Every launch goes to ctx->stream; nothing allocates or waits, so a model
 * captures the calls into a CUDA Graph. cuDNN's descriptors are host
 * objects, created and destroyed within the call.
 */
#include <limits.h>

#include "mlc_rt_cuda_int.h"

/* the bytes of ctx->workspace cuBLAS is given (core.cu binds it): its
 * documentation recommends 32 MiB on Hopper, 4 on earlier GPUs. A product
 * short of workspace may take another kernel, so every product asks for
 * the same and the choice never depends on the model around it. */
#define BLAS_WORKSPACE ((size_t)32 << 20)

/* threads of an attention block (a power of two, for the reductions) */
#define ATTN_BLOCK 128

static void need(MlcCuCtx *ctx, size_t bytes) {
  if (bytes > ctx->workspace_need) ctx->workspace_need = bytes;
}

/* cuBLAS and cuDNN take int sizes */
static int fits_int(int64_t v) { return v >= 0 && v <= INT_MAX; }

/* ---- the epilogue ------------------------------------------------------- */

/* nn_int.h's Epi for a whole output: element `at` lies in row
 * at / cols % rows, column at % cols, and gets beta * bias[row * brs +
 * col * bcs] (Conv: rows are an image's output channels, one bias each;
 * Gemm: C broadcast by its strides), then res[at], then the activation.
 * act_a and act_b are floats, as in Epi. */
typedef struct Epi {
  const float *bias, *res;
  float beta, act_a, act_b;
  int act;
  int64_t cols, rows, brs, bcs;
} Epi;

__device__ static float activate(int act, float y, float a, float b) {
  switch (act) {
#define ACT_CASE(name, op, expr) \
  case MLC_ACT_##name: return expr;
    MLC_RT_ACTIVATIONS(ACT_CASE)
#undef ACT_CASE
  default: return y; /* MLC_ACT_NONE (and, as in finish_row, any other) */
  }
}

/* the value stored for product t at element `at` (finish_row's order) */
__device__ static float epilogue(const Epi &e, float t, int64_t at) {
  float y = t;
  if (e.bias) {
    int64_t i = at / e.cols % e.rows, j = at % e.cols;
    y = __fadd_rn(y, __fmul_rn(e.beta, e.bias[i * e.brs + j * e.bcs]));
  }
  if (e.res) y = __fadd_rn(y, e.res[at]);
  return activate(e.act, y, e.act_a, e.act_b);
}

__global__ static void epilogue_kernel(float *y, int64_t n, Epi e) {
  GRID_STRIDE(at, n) y[at] = epilogue(e, y[at], at);
}

/* the epilogue over y's n elements, where there is one */
static int run_epilogue(MlcCuCtx *ctx, float *y, int64_t n, const Epi *e) {
  if (!e->bias && !e->res && e->act == MLC_ACT_NONE) return MLC_CU_OK;
  epilogue_kernel<<<mlc_rtcu_grid(n), MLC_CU_BLOCK, 0, ctx->stream>>>(y, n, *e);
  return mlc_rtcu_launched();
}

/* ---- Conv --------------------------------------------------------------- */

/* a window's geometry in 3-D, leading spatial dims of 1, as nn.c's Im2col
 * and nn_pool.c see it (mlc_rt_nn.h's MlcWindowGeo) */
typedef MlcWindowGeo Geo;

/* The direct conv: one thread per output element sums its window over the
 * group's input channels, taps outside the input being zeros, and stores
 * it through the epilogue. Weights are [m][c / group][kz][ky][kx]. */
__global__ static void conv_direct(const float *x, const float *w, float *y, Geo g, int64_t c,
                                   int64_t m, int64_t cg, int64_t mg, int64_t total, Epi e) {
  const int64_t npix = g.out[0] * g.out[1] * g.out[2];
  const int64_t inpix = g.in[0] * g.in[1] * g.in[2], kvol = g.k[0] * g.k[1] * g.k[2];
  GRID_STRIDE(at, total) {
    int64_t ox = at % g.out[2], oy = at / g.out[2] % g.out[1];
    int64_t oz = at / (g.out[2] * g.out[1]) % g.out[0];
    int64_t oc = at / npix % m, img = at / npix / m;
    const float *xg = x + (img * c + oc / mg * cg) * inpix;
    const float *wo = w + oc * cg * kvol;
    float acc = 0;
    for (int64_t ci = 0; ci < cg; ci++)
      for (int64_t kz = 0; kz < g.k[0]; kz++) {
        int64_t iz = oz * g.s[0] - g.pb[0] + kz * g.d[0];
        if (iz < 0 || iz >= g.in[0]) continue;
        for (int64_t ky = 0; ky < g.k[1]; ky++) {
          int64_t iy = oy * g.s[1] - g.pb[1] + ky * g.d[1];
          if (iy < 0 || iy >= g.in[1]) continue;
          const float *xr = xg + ci * inpix + (iz * g.in[1] + iy) * g.in[2];
          const float *wr = wo + ((ci * g.k[0] + kz) * g.k[1] + ky) * g.k[2];
          for (int64_t kx = 0; kx < g.k[2]; kx++) {
            int64_t ix = ox * g.s[2] - g.pb[2] + kx * g.d[2];
            if (ix >= 0 && ix < g.in[2]) acc += xr[ix] * wr[kx];
          }
        }
      }
    y[at] = epilogue(e, acc, at);
  }
}

/* cuDNN's answers that mean "not this convolution" (a parameter it rejects
 * or a configuration it lacks): the direct kernel runs it instead. Other
 * failures are errors. */
static int dnn_declines(cudnnStatus_t s) { return s >= 2000 && s < 4000; }

typedef struct DnnConv {
  cudnnTensorDescriptor_t x, y;
  cudnnFilterDescriptor_t w;
  cudnnConvolutionDescriptor_t conv;
} DnnConv;

static void dnn_free(DnnConv *d) {
  if (d->x) cudnnDestroyTensorDescriptor(d->x);
  if (d->y) cudnnDestroyTensorDescriptor(d->y);
  if (d->w) cudnnDestroyFilterDescriptor(d->w);
  if (d->conv) cudnnDestroyConvolutionDescriptor(d->conv);
}

/* packed NC... strides of dims[0, nd) */
static void packed_strides(int nd, const int *dims, int *st) {
  st[nd - 1] = 1;
  for (int i = nd - 2; i >= 0; i--) st[i] = st[i + 1] * dims[i + 1];
}

/* The conv as one cuDNN call, y = conv(x, w) without bias (the epilogue
 * adds it). 1-D and 2-D convs are 2-D ones over 4-D tensors (a 1-D conv
 * has height 1), 3-D ones 3-D over 5-D tensors. cuDNN pads both ends of a
 * dim by the same amount, pad_begin here: it computes our outputs exactly
 * when that padding yields out_sp of them (the windows, and which of their
 * taps are zeros, are then the same). *done is 0 where cuDNN does not run
 * the conv, which then goes to the direct kernel; the answer is the same
 * in the sizing pass and in a run. */
static int conv_cudnn(MlcCuCtx *ctx, const MlcConv *p, const Geo *g, const float *x, const float *w,
                      float *y, int *done) {
  const int nd = p->nsp == 3 ? 5 : 4, sp = nd - 2;
  int64_t xd64[5] = {p->n, p->c}, yd64[5] = {p->n, p->m}, wd64[5] = {p->m, p->c / p->group};
  int xd[5], yd[5], wd[5], xs[5], ys[5], od[5], pad[3], str[3], dil[3];
  int64_t geo64[9];
  *done = 0;
  for (int i = 0; i < sp; i++) {
    int a = 3 - sp + i;
    xd64[2 + i] = g->in[a];
    yd64[2 + i] = g->out[a];
    wd64[2 + i] = g->k[a];
    geo64[3 * i] = g->pb[a];
    geo64[3 * i + 1] = g->s[a];
    geo64[3 * i + 2] = g->d[a];
  }
  for (int i = 0; i < nd; i++) {
    if (!fits_int(xd64[i]) || !fits_int(yd64[i]) || !fits_int(wd64[i])) return MLC_CU_OK;
    xd[i] = (int)xd64[i], yd[i] = (int)yd64[i], wd[i] = (int)wd64[i];
  }
  for (int i = 0; i < 3 * sp; i++)
    if (!fits_int(geo64[i])) return MLC_CU_OK; /* negative pads too: cuDNN has none */
  for (int i = 0; i < sp; i++) {
    pad[i] = (int)geo64[3 * i], str[i] = (int)geo64[3 * i + 1], dil[i] = (int)geo64[3 * i + 2];
  }
  packed_strides(nd, xd, xs);
  packed_strides(nd, yd, ys);

  DnnConv d = {};
  if (cudnnCreateTensorDescriptor(&d.x) != CUDNN_STATUS_SUCCESS ||
      cudnnCreateTensorDescriptor(&d.y) != CUDNN_STATUS_SUCCESS ||
      cudnnCreateFilterDescriptor(&d.w) != CUDNN_STATUS_SUCCESS ||
      cudnnCreateConvolutionDescriptor(&d.conv) != CUDNN_STATUS_SUCCESS) {
    dnn_free(&d);
    return MLC_CU_ERR_CUDNN;
  }
  const cudnnConvolutionFwdAlgo_t algo = CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM;
  int rc = MLC_CU_OK;
  size_t ws = 0;
  cudnnStatus_t st = cudnnSetTensorNdDescriptor(d.x, CUDNN_DATA_FLOAT, nd, xd, xs);
  if (st == CUDNN_STATUS_SUCCESS)
    st = cudnnSetTensorNdDescriptor(d.y, CUDNN_DATA_FLOAT, nd, yd, ys);
  if (st == CUDNN_STATUS_SUCCESS)
    st = cudnnSetFilterNdDescriptor(d.w, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, nd, wd);
  if (st == CUDNN_STATUS_SUCCESS)
    st = cudnnSetConvolutionNdDescriptor(d.conv, sp, pad, str, dil, CUDNN_CROSS_CORRELATION,
                                         CUDNN_DATA_FLOAT);
  if (st == CUDNN_STATUS_SUCCESS) st = cudnnSetConvolutionGroupCount(d.conv, (int)p->group);
  /* FMA math keeps tensor cores (and their TF32 inputs) out */
  if (st == CUDNN_STATUS_SUCCESS)
    st = cudnnSetConvolutionMathType(d.conv, ctx->tf32 ? CUDNN_TENSOR_OP_MATH : CUDNN_FMA_MATH);
  if (st == CUDNN_STATUS_SUCCESS)
    st = cudnnGetConvolutionNdForwardOutputDim(d.conv, d.x, d.w, nd, od);
  int same = 1;
  for (int i = 0; i < nd && st == CUDNN_STATUS_SUCCESS; i++) same &= od[i] == yd[i];
  if (st == CUDNN_STATUS_SUCCESS && same)
    st = cudnnGetConvolutionForwardWorkspaceSize(ctx->dnn, d.x, d.w, d.conv, d.y, algo, &ws);
  if (st == CUDNN_STATUS_SUCCESS && same) {
    if (ctx->sizing) {
      need(ctx, ws);
      *done = 1;
    } else if (ws > ctx->workspace_bytes) {
      rc = MLC_CU_ERR_PARAMS; /* no sizing pass was made */
    } else {
      const float one = 1, zero = 0;
      st = cudnnConvolutionForward(ctx->dnn, &one, d.x, x, d.w, w, d.conv, algo, ctx->workspace, ws,
                                   &zero, d.y, y);
      *done = st == CUDNN_STATUS_SUCCESS;
    }
  }
  if (st != CUDNN_STATUS_SUCCESS && !dnn_declines(st)) rc = MLC_CU_ERR_CUDNN;
  dnn_free(&d);
  return rc;
}

int mlc_rtcu_conv_f32(MlcCuCtx *ctx, const void *params, void *const *io) {
  const MlcConv *p = (const MlcConv *)params;
  if (p->packed_w || p->winograd || p->nsp < 0 || p->nsp > MLC_RT_MAX_SP || p->group <= 0 ||
      p->c % p->group || p->m % p->group)
    return MLC_CU_ERR_PARAMS;
  const float *x = (const float *)io[MLC_CONV_X], *w = (const float *)io[MLC_CONV_W];
  float *y = (float *)io[MLC_CONV_Y];
  Geo g;
  mlc_rt_window_geo(p->nsp, p->in_sp, p->out_sp, p->k, p->stride, p->dil, p->pad_begin, NULL, &g);
  int64_t npix = g.out[0] * g.out[1] * g.out[2], total = p->n * p->m * npix;
  int64_t cg = p->c / p->group, mg = p->m / p->group;
  if (total <= 0) return MLC_CU_OK;
  Epi e = {p->has_bias ? (const float *)io[MLC_CONV_BIAS] : NULL,
           p->has_res ? (const float *)io[MLC_CONV_RES] : NULL,
           1.0f,
           (float)p->act_a,
           (float)p->act_b,
           (int)p->act,
           npix,
           p->m,
           1,
           0};
  /* a depthwise conv reads each input once per tap of one channel: a
   * memory-bound loop, which the GEMM algorithm would run as products of
   * one row; an empty inner dimension (no input channels) cuDNN rejects */
  if (!mlc_rt_conv_depthwise(p) && p->nsp >= 1 && cg > 0) {
    int done, rc = conv_cudnn(ctx, p, &g, x, w, y, &done);
    if (rc != MLC_CU_OK) return rc;
    if (done) return ctx->sizing ? MLC_CU_OK : run_epilogue(ctx, y, total, &e);
  }
  if (ctx->sizing) return MLC_CU_OK;
  conv_direct<<<mlc_rtcu_grid(total), MLC_CU_BLOCK, 0, ctx->stream>>>(x, w, y, g, p->c, p->m, cg,
                                                                      mg, total, e);
  return mlc_rtcu_launched();
}

/* ---- Gemm and MatMul ---------------------------------------------------- */

int mlc_rtcu_gemm_f32(MlcCuCtx *ctx, const void *params, void *const *io) {
  const MlcGemm *p = (const MlcGemm *)params;
  if (p->packed_b || !fits_int(p->m) || !fits_int(p->n) || !fits_int(p->k))
    return MLC_CU_ERR_PARAMS;
  if (p->m == 0 || p->n == 0) return MLC_CU_OK;
  if (ctx->sizing) {
    if (p->k) need(ctx, BLAS_WORKSPACE);
    return MLC_CU_OK;
  }
  const float *a = (const float *)io[MLC_GEMM_A], *b = (const float *)io[MLC_GEMM_B];
  float *y = (float *)io[MLC_GEMM_Y];
  const int m = (int)p->m, n = (int)p->n, k = (int)p->k;
  if (k == 0) {
    /* no products: the epilogue of zeros, as mlc_rt__sgemm's */
    if (cudaMemsetAsync(y, 0, (size_t)m * n * sizeof *y, ctx->stream) != cudaSuccess)
      return MLC_CU_ERR_CUDA;
  } else {
    /* Y^T (n x m, column-major) = op(B)^T op(A)^T: B untransposed is
     * column-major n x k (leading dim n), transposed k x n read through
     * CUBLAS_OP_T (leading dim k); A likewise */
    const float alpha = (float)p->alpha, zero = 0;
    if (cublasSgemm(ctx->blas, p->trans_b ? CUBLAS_OP_T : CUBLAS_OP_N,
                    p->trans_a ? CUBLAS_OP_T : CUBLAS_OP_N, n, m, k, &alpha, b, p->trans_b ? k : n,
                    a, p->trans_a ? m : k, &zero, y, n) != CUBLAS_STATUS_SUCCESS)
      return MLC_CU_ERR_CUBLAS;
  }
  /* alpha is cuBLAS's; beta * C, the residual and the activation follow */
  Epi e = {p->has_c ? (const float *)io[MLC_GEMM_C] : NULL,
           p->has_res ? (const float *)io[MLC_GEMM_RES] : NULL,
           (float)p->beta,
           (float)p->act_a,
           (float)p->act_b,
           (int)p->act,
           p->n,
           p->m,
           p->c_rs,
           p->c_cs};
  return run_epilogue(ctx, y, p->m * p->n, &e);
}

/* `count` row-major products y_i = a_i b_i (m x k by k x n), a_i at a +
 * i * sa elements, b_i at b + i * sb, y_i at y + i * m * n */
static cublasStatus_t gemm_strided(MlcCuCtx *ctx, size_t esize, int m, int n, int k, const char *a,
                                   int64_t sa, const char *b, int64_t sb, char *y, int count) {
  const long long sy = (long long)m * n;
  if (esize == sizeof(double)) {
    const double one = 1, zero = 0;
    return cublasDgemmStridedBatched(ctx->blas, CUBLAS_OP_N, CUBLAS_OP_N, n, m, k, &one,
                                     (const double *)b, n, sb, (const double *)a, k, sa, &zero,
                                     (double *)y, n, sy, count);
  }
  const float one = 1, zero = 0;
  return cublasSgemmStridedBatched(ctx->blas, CUBLAS_OP_N, CUBLAS_OP_N, n, m, k, &one,
                                   (const float *)b, n, sb, (const float *)a, k, sa, &zero,
                                   (float *)y, n, sy, count);
}

/* MatMul of esize-byte floats. Its batches follow the broadcast batch dims
 * (nn.c's matmul_next: per-dim element strides a_bs, b_bs; y packed). The
 * innermost batch dims along which both operands step evenly (stride 0,
 * a broadcast, included) make one strided-batched call; dims of size 1
 * step nowhere and join any run. The dims outside that run loop over such
 * calls: a MatMul whose batches all step evenly (the common case) is one
 * call. */
static int matmul(MlcCuCtx *ctx, const MlcMatMul *p, void *const *io, size_t esize) {
  if (p->packed_b || !fits_int(p->m) || !fits_int(p->n) || !fits_int(p->k) || p->brank < 0 ||
      p->brank > MLC_RT_MAX_RANK)
    return MLC_CU_ERR_PARAMS;
  int64_t nb = 1;
  for (int d = 0; d < p->brank; d++) nb *= p->bdims[d];
  if (nb <= 0 || p->m == 0 || p->n == 0) return MLC_CU_OK;
  if (ctx->sizing) {
    if (p->k) need(ctx, BLAS_WORKSPACE);
    return MLC_CU_OK;
  }
  const char *a = (const char *)io[MLC_MATMUL_A], *b = (const char *)io[MLC_MATMUL_B];
  char *y = (char *)io[MLC_MATMUL_Y];
  const int64_t ysize = p->m * p->n;
  if (p->k == 0)
    return cudaMemsetAsync(y, 0, (size_t)(nb * ysize) * esize, ctx->stream) == cudaSuccess
               ? MLC_CU_OK
               : MLC_CU_ERR_CUDA;
  /* the run: dims [inner, brank), cnt batches, strides sa, sb */
  int inner = (int)p->brank;
  int64_t cnt = 1, sa = 0, sb = 0;
  for (int d = (int)p->brank - 1; d >= 0; d--) {
    if (p->bdims[d] != 1) {
      if (cnt == 1) {
        sa = p->a_bs[d];
        sb = p->b_bs[d];
      } else if (p->a_bs[d] != sa * cnt || p->b_bs[d] != sb * cnt) {
        break;
      }
      cnt *= p->bdims[d];
    }
    inner = d;
  }
  if (!fits_int(cnt)) return MLC_CU_ERR_PARAMS;
  for (int64_t o = 0; o < nb / cnt; o++) {
    int64_t ao = 0, bo = 0, rest = o;
    for (int d = inner - 1; d >= 0; d--) {
      int64_t i = rest % p->bdims[d];
      rest /= p->bdims[d];
      ao += i * p->a_bs[d];
      bo += i * p->b_bs[d];
    }
    if (gemm_strided(ctx, esize, (int)p->m, (int)p->n, (int)p->k, a + ao * (int64_t)esize, sa,
                     b + bo * (int64_t)esize, sb, y + o * cnt * ysize * (int64_t)esize,
                     (int)cnt) != CUBLAS_STATUS_SUCCESS)
      return MLC_CU_ERR_CUBLAS;
  }
  return MLC_CU_OK;
}

int mlc_rtcu_matmul_f32(MlcCuCtx *ctx, const void *params, void *const *io) {
  return matmul(ctx, (const MlcMatMul *)params, io, sizeof(float));
}

int mlc_rtcu_matmul_f64(MlcCuCtx *ctx, const void *params, void *const *io) {
  return matmul(ctx, (const MlcMatMul *)params, io, sizeof(double));
}

/* ---- pools -------------------------------------------------------------- */

/* One thread per output; its window's taps inside the input in nn_pool.c's
 * order (z, then y, then x), each path as the C kernel takes it:
 *   - MaxPool without indices combines each tap into -inf by v > y, so a
 *     NaN input is passed over;
 *   - MaxPool with indices takes the first tap whatever it is, then any
 *     greater one, and stores its flat index (plane offset plus the index
 *     within the plane, row- or column-major);
 *   - AveragePool sums in float and divides by the taps counted in the
 *     input, or with count_include_pad in [-pad_begin, in + pad_end), which
 *     leaves out the overhang ceil_mode adds; no taps give 0;
 *   - LpPool sums |v|^p in double and takes the p-th root.
 * Any kind other than max and average is LpPool, as in the C kernel. */
__global__ static void pool_kernel(MlcPool p, const float *x, float *y, int64_t *ind, Geo g,
                                   int64_t total) {
  const int kind = (int)p.kind, col_major = p.storage_order == 1;
  const double pw = p.p;
  const int64_t npix = g.out[0] * g.out[1] * g.out[2], inpix = g.in[0] * g.in[1] * g.in[2];
  GRID_STRIDE(at, total) {
    int64_t o[3] = {at / (g.out[2] * g.out[1]) % g.out[0], at / g.out[2] % g.out[1], at % g.out[2]};
    int64_t st[3], pl = at / npix;
    for (int i = 0; i < 3; i++) st[i] = o[i] * g.s[i] - g.pb[i];
    const float *xp = x + pl * inpix;
    float best = -INFINITY, sum = 0;
    double acc = 0;
    int64_t arg = -1;
    for (int64_t tz = 0; tz < g.k[0]; tz++) {
      int64_t iz = st[0] + tz * g.d[0];
      if (iz < 0 || iz >= g.in[0]) continue;
      for (int64_t ty = 0; ty < g.k[1]; ty++) {
        int64_t iy = st[1] + ty * g.d[1];
        if (iy < 0 || iy >= g.in[1]) continue;
        for (int64_t tx = 0; tx < g.k[2]; tx++) {
          int64_t ix = st[2] + tx * g.d[2];
          if (ix < 0 || ix >= g.in[2]) continue;
          float v = xp[(iz * g.in[1] + iy) * g.in[2] + ix];
          if (kind == MLC_POOL_AVG) {
            sum = __fadd_rn(sum, v);
          } else if (kind != MLC_POOL_MAX) {
            acc += pow(fabs((double)v), pw);
          } else if (!ind) {
            best = v > best ? v : best;
          } else if (v > best || arg < 0) {
            best = v;
            arg = mlc_rt_pool_index(&g, col_major, iz, iy, ix);
          }
        }
      }
    }
    if (kind == MLC_POOL_AVG) {
      int64_t n = 1;
      for (int i = 0; i < 3; i++) n *= mlc_rt_pool_avg_taps(&p, &g, i, o[i]);
      y[at] = n ? __fdiv_rn(sum, (float)n) : 0.0f;
    } else if (kind != MLC_POOL_MAX) {
      y[at] = (float)pow(acc, 1 / pw);
    } else {
      y[at] = best;
      if (ind) ind[at] = pl * inpix + (arg < 0 ? 0 : arg);
    }
  }
}

int mlc_rtcu_pool_f32(MlcCuCtx *ctx, const void *params, void *const *io) {
  const MlcPool *p = (const MlcPool *)params;
  if (p->nsp < 0 || p->nsp > MLC_RT_MAX_SP) return MLC_CU_ERR_PARAMS;
  Geo g;
  mlc_rt_pool_geo(p, &g);
  int64_t total = p->n * p->c * g.out[0] * g.out[1] * g.out[2];
  if (total <= 0 || ctx->sizing) return MLC_CU_OK;
  /* indices exist for MaxPool only (the C kernel's LpPool ignores them) */
  int64_t *ind = p->kind == MLC_POOL_MAX ? (int64_t *)io[MLC_POOL_INDICES] : NULL;
  pool_kernel<<<mlc_rtcu_grid(total), MLC_CU_BLOCK, 0, ctx->stream>>>(
      *p, (const float *)io[MLC_POOL_X], (float *)io[MLC_POOL_Y], ind, g, total);
  return mlc_rtcu_launched();
}

/* ---- BatchNormalization ------------------------------------------------- */

/* y = x * s + t with norm.c's bn_channel's s and t, in its roundings: s in
 * double rounded to float, t and y in float steps. Each thread derives its
 * channel's s and t again; that costs a double division and square root,
 * far less than the memory traffic of the element. */
__global__ static void batchnorm_kernel(const float *x, const float *scale, const float *bias,
                                        const float *mean, const float *var, float *y, int64_t c,
                                        int64_t inner, double eps, int64_t total) {
  GRID_STRIDE(at, total) {
    int64_t ch = at / inner % c;
    float s = (float)((double)scale[ch] / sqrt((double)var[ch] + eps));
    float t = __fsub_rn(bias[ch], __fmul_rn(mean[ch], s));
    y[at] = __fadd_rn(__fmul_rn(x[at], s), t);
  }
}

int mlc_rtcu_batchnorm_f32(MlcCuCtx *ctx, const void *params, void *const *io) {
  const MlcBatchNorm *p = (const MlcBatchNorm *)params;
  int64_t total = p->n * p->c * p->inner;
  if (total <= 0 || ctx->sizing) return MLC_CU_OK;
  batchnorm_kernel<<<mlc_rtcu_grid(total), MLC_CU_BLOCK, 0, ctx->stream>>>(
      (const float *)io[MLC_BATCHNORM_X], (const float *)io[MLC_BATCHNORM_SCALE],
      (const float *)io[MLC_BATCHNORM_BIAS], (const float *)io[MLC_BATCHNORM_MEAN],
      (const float *)io[MLC_BATCHNORM_VAR], (float *)io[MLC_BATCHNORM_Y], p->c, p->inner, p->eps,
      total);
  return mlc_rtcu_launched();
}

/* ---- Attention ---------------------------------------------------------- */

/* One block per query row (batch, head, query), as attention.c runs one
 * row at a time. The C kernel keeps a row's scores and biases in its
 * scratch; here there is none (a row of skv floats per block would not
 * fit shared memory for long contexts), so each pass over the keys
 * computes them again, bit for bit the same:
 *   1. scores and biases: their maxima (NaN winning, as the C kernel's
 *      comparisons let it), and qk in modes 0 to 2;
 *   2. the softmax sum, in double;
 *   3. the weights, a block of keys at a time in shared memory, and the
 *      weighted sum of the values in the C kernel's order of keys, each
 *      thread owning output columns.
 * The emulated bfloat16 mode (p->bf16) is not run here: its sums are
 * rounded to bfloat16 at every step, a serial chain. */
typedef struct AttnRow {
  const float *qr, *kb;
  int64_t b, h, i, offset, valid;
} AttnRow;

/* attention.c's mlc_rt_attn_bias and mlc_rt_attn_score for key j of row r */
__device__ static float attn_bias(const MlcAttention &p, const void *mask, const AttnRow &r,
                                  int64_t j) {
  return mlc_rt_attn_bias(&p, mask, r.b, r.h, r.i, j, r.offset, r.valid);
}
__device__ static float attn_score(const MlcAttention &p, const AttnRow &r, int64_t j) {
  return mlc_rt_attn_score(&p, r.qr, r.kb + j * p.k_st[2]);
}

/* the max of a and b where a NaN in either wins */
__device__ static float nanmax(float a, float b) { return b > a || b != b ? b : a; }

__global__ static void __launch_bounds__(ATTN_BLOCK)
    attention_kernel(MlcAttention p, const float *q, const float *k, const float *v,
                     const void *mask, const int64_t *nonpad, float *y, float *qk, int64_t rows) {
  __shared__ float red_b[ATTN_BLOCK], red_s[ATTN_BLOCK], wts[ATTN_BLOCK];
  __shared__ double red_d[ATTN_BLOCK];
  const int tid = threadIdx.x;
  const int64_t group = p.hq / p.hkv;
  for (int64_t row = blockIdx.x; row < rows; row += gridDim.x) {
    AttnRow r;
    r.i = row % p.sq;
    r.h = row / p.sq % p.hq;
    r.b = row / p.sq / p.hq;
    r.qr = q + r.b * p.q_st[0] + r.h * p.q_st[1] + r.i * p.q_st[2];
    r.kb = k + r.b * p.k_st[0] + r.h / group * p.k_st[1];
    r.offset = nonpad ? nonpad[r.b] - p.sq : p.past;
    r.valid = nonpad ? nonpad[r.b] : p.skv;
    float *qkr = qk ? qk + row * p.skv : NULL; /* row = (b * hq + h) * sq + i */

    float bmax = -INFINITY, smax = -INFINITY;
    for (int64_t j = tid; j < p.skv; j += ATTN_BLOCK) {
      float s = attn_score(p, r, j), bias = attn_bias(p, mask, r, j), sc = s + bias;
      bmax = nanmax(bmax, bias);
      smax = nanmax(smax, sc);
      if (qkr && p.qk_mode < 2) qkr[j] = s;
      if (qkr && p.qk_mode == 2) qkr[j] = sc;
    }
    red_b[tid] = bmax;
    red_s[tid] = smax;
    __syncthreads();
    for (int w = ATTN_BLOCK / 2; w > 0; w >>= 1) {
      if (tid < w) {
        red_b[tid] = nanmax(red_b[tid], red_b[tid + w]);
        red_s[tid] = nanmax(red_s[tid], red_s[tid + w]);
      }
      __syncthreads();
    }
    bmax = red_b[0];
    smax = red_s[0];
    __syncthreads(); /* all have read them before the next row writes */
    /* without y, only the scores are wanted */
    if (!y) continue;
    float *yr = y + r.b * p.y_st[0] + r.h * p.y_st[1] + r.i * p.y_st[2];
    const float *vb = v + r.b * p.v_st[0] + r.h / group * p.v_st[1];
    for (int64_t d = tid; d < p.dv; d += ATTN_BLOCK) yr[d] = 0;
    /* no key attends: zero probabilities */
    if (bmax == -INFINITY || smax == -INFINITY) {
      for (int64_t j = tid; qkr && p.qk_mode == 3 && j < p.skv; j += ATTN_BLOCK) qkr[j] = 0;
      continue;
    }
    double sum = 0;
    for (int64_t j = tid; j < p.skv; j += ATTN_BLOCK)
      sum += expf((attn_score(p, r, j) + attn_bias(p, mask, r, j)) - smax);
    red_d[tid] = sum;
    __syncthreads();
    for (int w = ATTN_BLOCK / 2; w > 0; w >>= 1) {
      if (tid < w) red_d[tid] += red_d[tid + w];
      __syncthreads();
    }
    sum = red_d[0];
    for (int64_t j0 = 0; j0 < p.skv; j0 += ATTN_BLOCK) {
      int64_t j = j0 + tid, nj = p.skv - j0 < ATTN_BLOCK ? p.skv - j0 : ATTN_BLOCK;
      if (j < p.skv) {
        float e = expf((attn_score(p, r, j) + attn_bias(p, mask, r, j)) - smax);
        wts[tid] = (float)(e / sum);
        if (qkr && p.qk_mode == 3) qkr[j] = wts[tid];
      }
      __syncthreads();
      for (int64_t d = tid; d < p.dv; d += ATTN_BLOCK) {
        const float *vd = vb + j0 * p.v_st[2] + d;
        float acc = yr[d];
        for (int64_t t = 0; t < nj; t++) acc = __fadd_rn(acc, __fmul_rn(wts[t], vd[t * p.v_st[2]]));
        yr[d] = acc;
      }
      __syncthreads(); /* wts and red_d are read before they are written again */
    }
  }
}

int mlc_rtcu_attention_f32(MlcCuCtx *ctx, const void *params, void *const *io) {
  const MlcAttention *p = (const MlcAttention *)params;
  int64_t rows = p->b * p->hq * p->sq;
  if (p->bf16) return MLC_CU_ERR_PARAMS;
  if (rows <= 0) return MLC_CU_OK;
  if (p->hkv <= 0 || p->hq < p->hkv) return MLC_CU_ERR_PARAMS;
  if (ctx->sizing) return MLC_CU_OK;
  /* a block per row, up to a grid that fills the GPU many times over */
  unsigned grid = (unsigned)(rows < (1 << 20) ? rows : (1 << 20));
  attention_kernel<<<grid, ATTN_BLOCK, 0, ctx->stream>>>(
      *p, (const float *)io[MLC_ATTENTION_Q], (const float *)io[MLC_ATTENTION_K],
      (const float *)io[MLC_ATTENTION_V], io[MLC_ATTENTION_MASK],
      (const int64_t *)io[MLC_ATTENTION_NONPAD], (float *)io[MLC_ATTENTION_Y],
      (float *)io[MLC_ATTENTION_QK], rows);
  return mlc_rtcu_launched();
}
