/* The fused int8 kernels (qconv_fused, qconv_dw, qgemm_fused) against the
 * exact reference kernels (qconv or qmatmul, then requant) on edge shapes:
 * channel counts off the tiles, depths off the groups of 4, pixel tails,
 * windows of 1x1 to 5x5 with strides, pads and dilations, groups and
 * depthwise convs, int8 and uint8 activations and weights, zero points at
 * their extremes, weight zero points, per-tensor and per-channel scales,
 * clamps, and the int32 and float outputs.
 *
 * The constants are made as the compiler makes them (mlc_rt_qpack,
 * mlc_rt_qfold, the multiplier in float). int32 and float outputs must be
 * bit for bit; 8-bit outputs may differ by one step where the reference's
 * double product and the kernel's float product round apart, rarely.
 *
 * Every case runs with any weights, with 7-bit ones (whose pairs the
 * kernels may multiply with vpmaddubsw: both dots run) and with extreme
 * ones (whose pairs would saturate it: only the exact dot may run).
 *
 * usage: mlc_unit_quant           the checks; exits 1 on a failure
 *        mlc_unit_quant --bench   GOP/s of the int8 (exact and pair dots,
 *                                 7-bit weights) and float convs of
 *                                 ResNet-18's shapes, one thread */
#define _POSIX_C_SOURCE 200112L /* clock_gettime */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mlc_rt.h"

static int failures;
static uint64_t rng = 88172645463325252ull;

static uint32_t rnd(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return (uint32_t)(rng >> 16);
}

static void *xalloc(size_t n) {
  void *p = calloc(n ? n : 1, 1);
  if (!p) {
    fprintf(stderr, "out of memory\n");
    exit(2);
  }
  return p;
}

/* n random bytes of type t (int8/uint8) */
static void *rand_bytes(int64_t n) {
  uint8_t *p = (uint8_t *)xalloc((size_t)n);
  for (int64_t i = 0; i < n; i++) p[i] = (uint8_t)rnd();
  return p;
}

static int64_t pad16(int64_t m) { return (m + 15) / 16 * 16; }

/* the weights of the cases: any bytes (W_ANY), 7-bit ones as onnxruntime's
 * reduce_range makes them (|w| <= 64 once shifted to int8: every pair fits
 * vpmaddubsw), or the extremes, whose pairs would saturate it */
enum { W_ANY, W_7BIT, W_EXTREME };
static int wmode;

static void *rand_weights(int64_t wt, int64_t n) {
  uint8_t *p = (uint8_t *)rand_bytes(n);
  int64_t shift = wt == MLC_DT_UINT8 ? 128 : 0;
  for (int64_t i = 0; wmode != W_ANY && i < n; i++)
    p[i] = (uint8_t)(shift + (wmode == W_7BIT ? (int64_t)(p[i] % 129) - 64
                              : p[i] & 1      ? 127
                                              : -128));
  return p;
}

/* the kernels' choices for packed weights kdim deep: the exact dot, and
 * the pair dot where mlc_rt_qpairs_fit allows it, as the compiler decides
 * (extreme weights pair only with the zeros past a kdim of 1) */
static int pair_modes(const int8_t *packed, int64_t bytes, int64_t kdim) {
  int fit = mlc_rt_qpairs_fit(packed, bytes);
  if (wmode != W_ANY && fit != (wmode == W_7BIT || kdim == 1)) {
    printf("FAIL mlc_rt_qpairs_fit says %d for %s weights\n", fit,
           wmode == W_7BIT ? "7-bit" : "extreme");
    failures++;
  }
  return 1 + fit;
}

/* A quantized product's numbers: zero points as values of their types,
 * scales, bias, output type and clamp */
typedef struct Q {
  int64_t xt, wt, yt; /* MLC_DT_*; yt MLC_DT_INT32: ConvInteger's int32 out */
  int64_t xz, yz, lo, hi;
  int wz_per;
  int32_t *wz; /* per channel, of wt's range */
  float s1, *s2, s3;
  int s2_per;
  int32_t *bias; /* or NULL */
} Q;

static void byte_of(int64_t t, int64_t v, void *p) {
  if (t == MLC_DT_INT8)
    *(int8_t *)p = (int8_t)v;
  else
    *(uint8_t *)p = (uint8_t)v;
}

static int64_t tmin(int64_t t) { return t == MLC_DT_INT8 ? -128 : 0; }

/* the fused kernel's per-channel constants for m channels of w read
 * through (rs, cs) over kdim; the multipliers in float as the compiler
 * computes them; xw: NULL, else x's zero point is left to the run time
 * and *xw gets its factors */
static void constants(const Q *q, const void *w, int64_t m, int64_t kdim, int64_t rs, int64_t cs,
                      int32_t **bias, int32_t **wz, float **mult, int32_t **xw) {
  void *wzb = xalloc((size_t)m);
  for (int64_t i = 0; i < m; i++) byte_of(q->wt, q->wz[q->wz_per ? i : 0], (char *)wzb + i);
  *bias = (int32_t *)xalloc((size_t)pad16(m) * 4);
  *wz = (int32_t *)xalloc((size_t)pad16(m) * 4);
  *mult = (float *)xalloc((size_t)pad16(m) * 4);
  if (xw) *xw = (int32_t *)xalloc((size_t)pad16(m) * 4);
  if (!mlc_rt_qfold(w, q->wt, m, kdim, rs, cs, wzb, q->wz_per, q->xt, xw ? tmin(q->xt) : q->xz,
                    q->bias, *bias, *wz, xw ? *xw : NULL)) {
    free(*wz);
    *wz = NULL;
  }
  for (int64_t i = 0; i < m; i++) {
    float t = q->s1 * q->s2[q->s2_per ? i : 0];
    (*mult)[i] = t / q->s3;
  }
  free(wzb);
}

/* the reference requantization of acc ([outer, m, inner] int32) into ref */
static void requant_ref(const Q *q, int32_t *acc, int64_t outer, int64_t m, int64_t inner,
                        void *ref) {
  MlcRequant r = {outer, m, inner, q->s2_per, MLC_DT_FLOAT, q->yt, q->lo, q->hi};
  uint8_t yzb;
  float s1 = q->s1, s3 = q->s3;
  byte_of(q->yt, q->yz, &yzb);
  void *io[MLC_REQUANT_NIO] = {acc, &s1, q->s2, &s3, &yzb, ref};
  mlc_rt_requant(&r, io);
}

/* y (n values of type yt: int8, uint8, int32, or float when fl) against
 * ref; 8-bit values may be one step apart, one in 100 */
static void compare(const char *what, const Q *q, int fl, const void *y, const void *ref,
                    int64_t n) {
  int64_t off = 0, worst = 0;
  for (int64_t i = 0; i < n; i++) {
    int64_t d;
    if (fl || q->yt == MLC_DT_INT32)
      d = memcmp((const char *)y + 4 * i, (const char *)ref + 4 * i, 4) != 0 ? 99 : 0;
    else if (q->yt == MLC_DT_INT8)
      d = ((const int8_t *)y)[i] - ((const int8_t *)ref)[i];
    else
      d = ((const uint8_t *)y)[i] - ((const uint8_t *)ref)[i];
    if (d < 0) d = -d;
    if (d > worst) worst = d;
    off += d != 0;
  }
  if (worst > 1 || off > 1 + n / 100) {
    printf("FAIL %s: %lld of %lld outputs off, by up to %lld\n", what, (long long)off, (long long)n,
           (long long)worst);
    failures++;
  }
}

static int64_t out_mode(const Q *q) {
  return q->yt == MLC_DT_INT32 ? MLC_QOUT_I32 : q->yt == MLC_DT_INT8 ? MLC_QOUT_I8 : MLC_QOUT_U8;
}

/* ---- conv ----------------------------------------------------------------- */

/* depth 0: a 2-D conv (h 1 and kh 1 with it: 1-D, along w); else 3-D,
 * the depth's window kh */
typedef struct ConvCase {
  int64_t n, c, m, group, h, w, kh, kw, stride, dil, pad, depth;
} ConvCase;

static void conv_case(const ConvCase *cc, const Q *q) {
  MlcQConv r;
  memset(&r, 0, sizeof r);
  int nsp = cc->depth ? 3 : cc->h == 1 && cc->kh == 1 ? 1 : 2;
  int64_t k3[3] = {cc->kh, cc->kh, cc->kw}, in3[3] = {cc->depth, cc->h, cc->w}, npix = 1;
  const int64_t *k = k3 + 3 - nsp, *in = in3 + 3 - nsp;
  r.n = cc->n, r.c = cc->c, r.m = cc->m, r.group = cc->group, r.nsp = nsp;
  for (int d = 0; d < nsp; d++) {
    r.in_sp[d] = in[d];
    r.k[d] = k[d];
    r.stride[d] = cc->stride;
    r.dil[d] = cc->dil;
    r.pad_begin[d] = cc->pad;
    r.out_sp[d] = (in[d] + 2 * cc->pad - (k[d] - 1) * cc->dil - 1) / cc->stride + 1;
    npix *= r.out_sp[d];
  }
  r.xt = q->xt, r.wt = q->wt, r.wzp = q->wz_per;
  int64_t kdim = cc->c / cc->group, inpix = 1;
  for (int d = 0; d < nsp; d++) kdim *= k[d], inpix *= in[d];
  int64_t ny = cc->n * cc->m * npix;
  void *x = rand_bytes(cc->n * cc->c * inpix), *w = rand_weights(q->wt, cc->m * kdim);
  void *wzb = xalloc((size_t)cc->m);
  uint8_t xzb;
  byte_of(q->xt, q->xz, &xzb);
  for (int64_t i = 0; i < cc->m; i++) byte_of(q->wt, q->wz[q->wz_per ? i : 0], (char *)wzb + i);
  int32_t *acc = (int32_t *)xalloc((size_t)ny * 4);
  void *ref = xalloc((size_t)ny * 4), *y = xalloc((size_t)ny * 4);
  void *io[MLC_QCONV_NIO] = {x, w, &xzb, wzb, q->bias, acc};
  mlc_rt_qconv(&r, io);
  if (q->yt == MLC_DT_INT32)
    memcpy(ref, acc, (size_t)ny * 4);
  else
    requant_ref(q, acc, cc->n, cc->m, npix, ref);

  MlcQConvFused f;
  memset(&f, 0, sizeof f);
  f.n = r.n, f.c = r.c, f.m = r.m, f.group = r.group, f.nsp = r.nsp;
  memcpy(f.in_sp, r.in_sp, sizeof f.in_sp);
  memcpy(f.out_sp, r.out_sp, sizeof f.out_sp);
  memcpy(f.k, r.k, sizeof f.k);
  memcpy(f.stride, r.stride, sizeof f.stride);
  memcpy(f.dil, r.dil, sizeof f.dil);
  memcpy(f.pad_begin, r.pad_begin, sizeof f.pad_begin);
  f.xt = q->xt, f.xz = q->xz, f.wt = q->wt, f.out = out_mode(q), f.yz = q->yz;
  f.lo = q->lo, f.hi = q->hi;
  char what[200];
  snprintf(what, sizeof what,
           "conv n%lld c%lld m%lld g%lld %lldx%lldx%lld k%lldx%lld s%lld d%lld p%lld x%s%lld w%s "
           "wz%lld%s y%s [%lld,%lld]",
           (long long)cc->n, (long long)cc->c, (long long)cc->m, (long long)cc->group,
           (long long)cc->depth, (long long)cc->h, (long long)cc->w, (long long)cc->kh,
           (long long)cc->kw, (long long)cc->stride, (long long)cc->dil, (long long)cc->pad,
           q->xt == MLC_DT_INT8 ? "i8:" : "u8:", (long long)q->xz,
           q->wt == MLC_DT_INT8 ? "i8" : "u8", (long long)q->wz[0], q->wz_per ? "/ch" : "",
           q->yt == MLC_DT_INT32  ? "i32"
           : q->yt == MLC_DT_INT8 ? "i8"
                                  : "u8",
           (long long)q->lo, (long long)q->hi);
  /* the GEMM path with each dot it may take, and the depthwise one where
   * it applies */
  for (int path = 0, paths = 3; path < paths; path++) {
    int32_t *bias, *wz, *rawz = NULL;
    float *mult;
    void *packed = NULL, *scratch;
    int dw = path == paths - 1;
    if (dw && !mlc_rt_qconv_dw_fits(&f)) break;
    constants(q, w, cc->m, kdim, kdim, 1, &bias, &wz, &mult, NULL);
    if (dw) {
      /* the depthwise kernel takes the model's bias and weight zero points */
      rawz = (int32_t *)xalloc((size_t)cc->m * 4);
      for (int64_t i = 0; i < cc->m; i++) rawz[i] = (int32_t)q->wz[q->wz_per ? i : 0];
      scratch = xalloc((size_t)mlc_rt_qdw_scratch(&f) * 4);
    } else {
      int64_t bytes = cc->group * mlc_rt_qpacked_bytes(cc->m / cc->group, kdim);
      packed = xalloc((size_t)bytes);
      mlc_rt_qpack(w, q->wt, cc->group, cc->m / cc->group, kdim, kdim, 1, (int8_t *)packed);
      scratch = xalloc((size_t)mlc_rt_qconv_scratch(&f) * 4);
      if (path == 0) paths = pair_modes((const int8_t *)packed, bytes, kdim) + 1;
      f.pairs = path;
    }
    void *fio[MLC_QFUSED_NIO] = {[MLC_QFUSED_X] = x,
                                 [MLC_QFUSED_W] = dw ? w : packed,
                                 [MLC_QFUSED_BIAS] = dw ? q->bias : bias,
                                 [MLC_QFUSED_WZ] = dw ? rawz : wz,
                                 [MLC_QFUSED_MULT] = q->yt == MLC_DT_INT32 ? NULL : mult,
                                 [MLC_QFUSED_Y] = y,
                                 [MLC_QFUSED_SCRATCH] = scratch};
    memset(y, 0xa5, (size_t)ny * 4);
    (dw ? mlc_rt_qconv_dw : mlc_rt_qconv_fused)(&f, fio);
    compare(what, q, 0, y, ref, ny);
    free(bias), free(wz), free(mult), free(packed), free(scratch), free(rawz);
  }
  free(x), free(w), free(wzb), free(acc), free(ref), free(y);
}

/* the numbers of a case: types, zero points (at `edge` 0..3: the low end,
 * the high end, random, 0), per-channel or not */
static void make_q(Q *q, int64_t m, int64_t xt, int64_t wt, int64_t yt, int edge, int wz_on,
                   int per, int clamp) {
  static int32_t wz[128], bias[128];
  static float s2[128];
  int64_t xlo = tmin(xt), ylo = tmin(yt == MLC_DT_INT32 ? MLC_DT_UINT8 : yt);
  q->xt = xt, q->wt = wt, q->yt = yt;
  q->xz = edge == 0 ? xlo : edge == 1 ? xlo + 255 : edge == 2 ? xlo + (int64_t)(rnd() % 256) : 0;
  q->yz = ylo + (int64_t)(rnd() % 256);
  q->lo = ylo, q->hi = ylo + 255;
  if (clamp) q->lo = q->yz, q->hi = q->yz + (ylo + 255 - q->yz) / 2; /* Relu, a Clip's top */
  if (yt == MLC_DT_INT32) q->lo = INT32_MIN, q->hi = INT32_MAX, q->yz = 0;
  q->wz_per = per;
  q->s2_per = per;
  q->wz = wz;
  for (int64_t i = 0; i < m && i < 128; i++) {
    /* the weight zero points: symmetric int8 (0), uint8's 128, or any */
    wz[i] = !wz_on ? (wt == MLC_DT_UINT8 ? 128 : 0) : (int32_t)(tmin(wt) + (int64_t)(rnd() % 256));
    s2[i] = (float)(rnd() % 1000 + 1) * 1e-5f;
    bias[i] = (int32_t)(rnd() % 20001) - 10000;
  }
  q->s1 = 0.0123f, q->s2 = s2, q->s3 = 0.0871f;
  q->bias = edge == 3 ? NULL : bias;
}

static void test_convs(void) {
  static const ConvCase cases[] = {
      /* n  c   m  g  h   w kh kw s d p depth */
      {1, 3, 17, 1, 9, 11, 3, 3, 1, 1, 1, 0},
      {1, 17, 33, 1, 7, 7, 1, 1, 1, 1, 0, 0},
      {2, 33, 65, 1, 6, 5, 3, 3, 2, 1, 1, 0},
      {1, 16, 1, 1, 13, 9, 5, 5, 1, 1, 2, 0},
      {1, 8, 12, 4, 10, 10, 3, 3, 1, 2, 2, 0},
      {1, 65, 3, 1, 5, 8, 1, 1, 2, 1, 0, 0},
      {1, 6, 9, 3, 7, 12, 3, 1, 2, 1, 1, 0},
      {1, 17, 17, 17, 9, 14, 3, 3, 1, 1, 1, 0},
      {2, 33, 33, 33, 11, 7, 3, 3, 2, 1, 1, 0},
      {1, 5, 5, 5, 12, 12, 5, 5, 1, 2, 4, 0},
      {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0},
      {1, 64, 64, 1, 17, 9, 3, 3, 1, 1, 1, 0},
      {1, 64, 64, 64, 40, 40, 3, 3, 1, 1, 1, 0}, /* big enough to split over threads */
      {1, 2, 2, 2, 120, 130, 3, 3, 1, 1, 1, 0},  /* planes too big to run padded whole */
      /* 1-D and 3-D, depthwise and not */
      {1, 19, 19, 19, 1, 30, 1, 5, 2, 1, 2, 0},
      {1, 6, 10, 2, 1, 17, 1, 3, 1, 2, 1, 0},
      {1, 18, 18, 18, 5, 6, 3, 3, 1, 1, 1, 4},
      {2, 4, 8, 1, 4, 5, 3, 2, 2, 1, 1, 5},
  };
  static const int64_t types[4][3] = {{MLC_DT_UINT8, MLC_DT_INT8, MLC_DT_UINT8},
                                      {MLC_DT_INT8, MLC_DT_INT8, MLC_DT_INT8},
                                      {MLC_DT_UINT8, MLC_DT_UINT8, MLC_DT_UINT8},
                                      {MLC_DT_INT8, MLC_DT_INT8, MLC_DT_INT32}};
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
    for (int t = 0; t < 4; t++)
      for (int edge = 0; edge < 4; edge++) {
        Q q;
        make_q(&q, cases[i].m, types[t][0], types[t][1], types[t][2], edge, edge & 1, edge < 2,
               edge == 2);
        conv_case(&cases[i], &q);
      }
}

/* ---- matrix products -------------------------------------------------- */

/* y (m x n) = a (m x k; stored transposed when ta) b (k x n): qgemm_fused
 * against qmatmul plus the bias, then requant; fl: the float output; rt:
 * x's zero point given at run time (DynamicQuantizeLinear's) */
static void gemm_case(int64_t m, int64_t n, int64_t k, int ta, int fl, int rt, const Q *q) {
  MlcQMatMul r;
  memset(&r, 0, sizeof r);
  r.m = m, r.n = n, r.k = k, r.at = q->xt, r.bt = q->wt, r.bzp = q->wz_per;
  void *a = rand_bytes(m * k), *b = rand_weights(q->wt, k * n), *at = xalloc((size_t)(m * k));
  void *wzb = xalloc((size_t)n);
  uint8_t xzb;
  byte_of(q->xt, q->xz, &xzb);
  for (int64_t i = 0; i < n; i++) byte_of(q->wt, q->wz[q->wz_per ? i : 0], (char *)wzb + i);
  for (int64_t i = 0; i < m; i++)
    for (int64_t j = 0; j < k; j++) ((uint8_t *)at)[j * m + i] = ((uint8_t *)a)[i * k + j];
  int32_t *acc = (int32_t *)xalloc((size_t)(m * n) * 4);
  void *ref = xalloc((size_t)(m * n) * 4), *y = xalloc((size_t)(m * n) * 4);
  void *io[MLC_QMATMUL_NIO] = {a, b, &xzb, wzb, acc};
  mlc_rt_qmatmul(&r, io);
  for (int64_t i = 0; i < m * n && q->bias; i++)
    acc[i] = (int32_t)((uint32_t)acc[i] + (uint32_t)q->bias[i % n]);
  int32_t *bias, *wz, *xw = NULL;
  float *mult;
  constants(q, b, n, k, 1, n, &bias, &wz, &mult, rt ? &xw : NULL);
  if (fl)
    for (int64_t i = 0; i < m * n; i++) ((float *)ref)[i] = (float)acc[i] * mult[i % n];
  else if (q->yt == MLC_DT_INT32)
    memcpy(ref, acc, (size_t)(m * n) * 4);
  else
    requant_ref(q, acc, m, n, 1, ref);
  MlcQGemmFused f = {
      m, n, k, ta, q->xt, rt ? 0 : q->xz, fl ? MLC_QOUT_F32 : out_mode(q), q->yz, q->lo, q->hi, 0};
  void *packed = xalloc((size_t)mlc_rt_qpacked_bytes(n, k));
  void *scratch = xalloc((size_t)mlc_rt_qgemm_scratch(&f) * 4);
  mlc_rt_qpack(b, q->wt, 1, n, k, 1, n, (int8_t *)packed);
  int modes = pair_modes((const int8_t *)packed, mlc_rt_qpacked_bytes(n, k), k);
  void *fio[MLC_QFUSED_NIO] = {[MLC_QFUSED_X] = ta ? at : a,
                               [MLC_QFUSED_W] = packed,
                               [MLC_QFUSED_BIAS] = bias,
                               [MLC_QFUSED_WZ] = wz,
                               [MLC_QFUSED_MULT] = q->yt == MLC_DT_INT32 && !fl ? NULL : mult,
                               [MLC_QFUSED_XZ] = rt ? &xzb : NULL,
                               [MLC_QFUSED_XW] = xw,
                               [MLC_QFUSED_Y] = y,
                               [MLC_QFUSED_SCRATCH] = scratch};
  char what[160];
  snprintf(what, sizeof what, "gemm %lldx%lldx%lld%s%s x%lld%s wz%lld%s", (long long)m,
           (long long)n, (long long)k, ta ? " transA" : "", fl ? " float" : "", (long long)q->xz,
           rt ? " (run time)" : "", (long long)q->wz[0], q->wz_per ? "/col" : "");
  for (f.pairs = 0; f.pairs < modes; f.pairs++) {
    memset(y, 0xa5, (size_t)(m * n) * 4);
    mlc_rt_qgemm_fused(&f, fio);
    compare(what, q, fl, y, ref, m * n);
  }
  free(a), free(b), free(at), free(wzb), free(acc), free(ref), free(y);
  free(bias), free(wz), free(mult), free(packed), free(scratch), free(xw);
}

static void test_gemms(void) {
  static const int64_t shapes[][3] = {{1, 1, 1},  {1, 17, 3},   {3, 33, 65},  {5, 65, 17},
                                      {9, 16, 8}, {1, 100, 64}, {7, 64, 129}, {33, 80, 300}};
  for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++)
    for (int t = 0; t < 3; t++)
      for (int edge = 0; edge < 4; edge++) {
        Q q;
        int64_t xt = t == 1 ? MLC_DT_INT8 : MLC_DT_UINT8, wt = t == 2 ? MLC_DT_UINT8 : MLC_DT_INT8;
        make_q(&q, shapes[i][1], xt, wt, t == 2 ? MLC_DT_INT32 : xt, edge, edge & 1, edge < 2,
               edge == 2);
        gemm_case(shapes[i][0], shapes[i][1], shapes[i][2], edge & 1, 0, 0, &q);
        gemm_case(shapes[i][0], shapes[i][1], shapes[i][2], edge & 1, 0, 1, &q);
        if (t == 0) gemm_case(shapes[i][0], shapes[i][1], shapes[i][2], edge == 2, 1, edge & 1, &q);
      }
}

/* ---- throughput ------------------------------------------------------- */

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* seconds per call of k(p, io), the best of a few runs of ~0.2 s */
static double time_kernel(mlc_rt_kernel k, const void *p, void *const *io) {
  double best = 1e30;
  for (int rep = 0; rep < 5; rep++) {
    int calls = 0;
    double t0 = now(), t;
    do {
      k(p, io);
      calls++;
    } while ((t = now() - t0) < 0.2);
    if (t / calls < best) best = t / calls;
  }
  return best;
}

/* c -> m channels, kk x kk, stride st, hw x hw pixels out */
static void bench(int64_t c, int64_t m, int64_t hw, int64_t kk, int64_t st) {
  int64_t kdim = c * kk * kk, npix = hw * hw, inpix = hw * st * hw * st;
  double ops = 2.0 * (double)(m * kdim * npix);
  MlcQConvFused f;
  MlcConv fc;
  memset(&f, 0, sizeof f);
  memset(&fc, 0, sizeof fc);
  f.n = fc.n = 1, f.c = fc.c = c, f.m = fc.m = m, f.group = fc.group = 1, f.nsp = fc.nsp = 2;
  for (int d = 0; d < 2; d++) {
    f.in_sp[d] = fc.in_sp[d] = hw * st;
    f.out_sp[d] = fc.out_sp[d] = hw;
    f.k[d] = fc.k[d] = kk;
    f.stride[d] = fc.stride[d] = st;
    f.dil[d] = fc.dil[d] = 1;
    f.pad_begin[d] = fc.pad_begin[d] = kk / 2;
  }
  f.xt = MLC_DT_UINT8, f.xz = 3, f.wt = MLC_DT_INT8, f.out = MLC_QOUT_U8, f.yz = 5, f.hi = 255;
  void *x = rand_bytes(c * inpix), *w = rand_weights(MLC_DT_INT8, m * kdim);
  void *y = xalloc((size_t)(m * npix) * 4);
  int8_t *packed = (int8_t *)xalloc((size_t)mlc_rt_qpacked_bytes(m, kdim));
  int32_t *bias = (int32_t *)xalloc((size_t)pad16(m) * 4),
          *wz = (int32_t *)xalloc((size_t)pad16(m) * 4);
  float *mult = (float *)xalloc((size_t)pad16(m) * 4);
  for (int64_t i = 0; i < m; i++) mult[i] = 1e-3f;
  mlc_rt_qpack(w, MLC_DT_INT8, 1, m, kdim, kdim, 1, packed);
  mlc_rt_qfold(w, MLC_DT_INT8, m, kdim, kdim, 1, NULL, 0, f.xt, f.xz, NULL, bias, wz, NULL);
  void *scratch = xalloc((size_t)mlc_rt_qconv_scratch(&f) * 4);
  void *io[MLC_QFUSED_NIO] = {
      [MLC_QFUSED_X] = x,       [MLC_QFUSED_W] = packed, [MLC_QFUSED_BIAS] = bias,
      [MLC_QFUSED_MULT] = mult, [MLC_QFUSED_Y] = y,      [MLC_QFUSED_SCRATCH] = scratch};
  double ti = time_kernel(mlc_rt_qconv_fused, &f, io);
  f.pairs = mlc_rt_qpairs_fit(packed, mlc_rt_qpacked_bytes(m, kdim));
  double tp = f.pairs ? time_kernel(mlc_rt_qconv_fused, &f, io) : ti;
  /* the float conv as the compiler plans it for this runtime: weights
   * packed for the micro-kernel, or Winograd where it would take that */
  float *xf = (float *)xalloc((size_t)(c * inpix) * 4),
        *wf = (float *)xalloc((size_t)(m * kdim) * 4);
  for (int64_t i = 0; i < c * inpix; i++) xf[i] = (float)(rnd() % 255) * 0.01f;
  for (int64_t i = 0; i < m * kdim; i++) wf[i] = (float)((int)(rnd() % 255) - 127) * 0.01f;
  int64_t mr, mr2, nr;
  mlc_rt_gemm_tiles(&mr, &mr2, &nr);
  fc.packed_w = mlc_rt_gemm_height(m, mr, mr2);
  float *wp = (float *)xalloc((size_t)mlc_rt_packed_floats(m, kdim, fc.packed_w) * 4);
  mlc_rt_pack_strips(wf, 1, m, kdim, kdim, 1, fc.packed_w, wp);
  float *fs = (float *)xalloc((size_t)mlc_rt_conv_scratch(&fc) * 4 + 64);
  void *fio[MLC_CONV_NIO] = {xf, wp, NULL, y, fs, NULL};
  double tf = time_kernel(mlc_rt_conv_f32, &fc, fio);
  printf(
      "%lld->%lld %lldx%lld/%lld conv to %lldx%lld: int8 %.1f GOP/s (7-bit weights %.1f), float "
      "%.1f GOP/s",
      (long long)c, (long long)m, (long long)kk, (long long)kk, (long long)st, (long long)hw,
      (long long)hw, ops / ti * 1e-9, ops / tp * 1e-9, ops / tf * 1e-9);
  if (mlc_rt_conv_winograd_fits(&fc)) {
    float *ww;
    fc.winograd = 4;
    fc.packed_w = nr;
    ww = (float *)xalloc((size_t)mlc_rt_winograd_weights(m, c, 4, nr) * 4);
    mlc_rt_winograd_filter(wf, m, c, 4, nr, ww);
    free(fs);
    fs = (float *)xalloc((size_t)mlc_rt_conv_scratch(&fc) * 4 + 64);
    fio[MLC_CONV_W] = ww;
    fio[MLC_CONV_SCRATCH] = fs;
    printf(", float Winograd F(4x4) %.1f GOP/s (direct-conv ops)",
           ops / time_kernel(mlc_rt_conv_f32, &fc, fio) * 1e-9);
    free(ww);
  }
  printf("\n");
  free(x), free(w), free(y), free(packed), free(bias), free(wz), free(mult), free(scratch);
  free(xf), free(wf), free(wp), free(fs);
}

int main(int argc, char **argv) {
  if (argc > 1 && !strcmp(argv[1], "--bench")) {
    wmode = W_7BIT;
    bench(64, 64, 56, 3, 1);
    bench(512, 512, 7, 3, 1);
    bench(256, 256, 14, 1, 1);
    bench(3, 64, 112, 7, 2);
    bench(16, 96, 112, 1, 1);
    return 0;
  }
  for (wmode = W_ANY; wmode <= W_EXTREME; wmode++) {
    test_convs();
    test_gemms();
  }
  /* again split over threads, in a runtime that has them */
  if (mlc_rt_set_threads(4) > 1)
    for (wmode = W_ANY; wmode <= W_7BIT; wmode++) {
      test_convs();
      test_gemms();
    }
  if (failures) {
    printf("%d failures\n", failures);
    return 1;
  }
  printf("fused int8 kernels: all cases match\n");
  return 0;
}
