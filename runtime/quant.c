/* Quantization: Quantize/DequantizeLinear, DynamicQuantizeLinear, integer
 * MatMul and Conv, and the requantization of their int32 sums.
 *
 * Quantize and Dequantize take any element types the cast kernel knows:
 * chunks of x are widened to double by mlc_rt_cast, computed on, and
 * narrowed into y by it again, so the float8 and float16 encodings live in
 * one place. Double holds every int32 and every product of a float and a
 * scale exactly enough that the one rounding that matters, x / scale to an
 * integer, happens on the same value as in float arithmetic: the quotient
 * is first rounded to the type the ONNX reference divides in (divt).
 *
 * Integer MatMul and Conv accumulate (x - zero point) * (w - zero point) in
 * int32 with wrap-around (unsigned arithmetic, no undefined overflow), as
 * ONNX's int32 outputs do; padding contributes nothing, which is a padded
 * zero of the shifted input. Requantizing rounds the scale factor step by
 * step in the scales' own type, as numpy does with float16 scales, because
 * an integer result is compared exactly.
 */
#include <math.h>

#include "mlc_rt.h"

#define QCHUNK 256

static void cast_run(int64_t from, const void *src, int64_t to, void *dst, int64_t n,
                     int64_t nosat) {
  MlcCast c;
  void *io[MLC_CAST_NIO];
  c.count = n;
  c.from = from;
  c.to = to;
  c.nosat = nosat;
  io[MLC_CAST_X] = (void *)src;
  io[MLC_CAST_Y] = dst;
  mlc_rt_cast(&c, io);
}

/* x rounded to type t (a float type) and back */
static void round_to(int64_t t, double *x, int64_t n) {
  unsigned char tmp[QCHUNK * 8];
  if (t == MLC_DT_DOUBLE) return;
  cast_run(MLC_DT_DOUBLE, x, t, tmp, n, 1);
  cast_run(t, tmp, MLC_DT_DOUBLE, x, n, 0);
}

/* dequantize's io slots are quantize's (the compiler asserts it) */
static void quant_run(const MlcQuant *p, void *const *io, int dequant) {
  const double *scale = (const double *)io[MLC_QUANTIZE_SCALE];
  const double *zp = (const double *)io[MLC_QUANTIZE_ZP];
  const char *x = (const char *)io[MLC_QUANTIZE_X];
  char *y = (char *)io[MLC_QUANTIZE_Y];
  size_t xs = mlc_rt_dtype_size(p->xt), ys = mlc_rt_dtype_size(p->yt);
  double buf[QCHUNK], zb[QCHUNK];
  int64_t total = p->outer * p->len * p->inner, e, j, n, o = 0, a = 0, i = 0;
  for (e = 0; e < total; e += n) {
    n = total - e < QCHUNK ? total - e : QCHUNK;
    cast_run(p->xt, x + (size_t)e * xs, MLC_DT_DOUBLE, buf, n, 0);
    for (j = 0; j < n; j++) {
      int64_t at = o * p->s_o + a / p->block * p->s_a + i * p->s_i;
      zb[j] = zp ? zp[at] : 0;
      buf[j] = dequant ? (buf[j] - zb[j]) * scale[at] : buf[j] / scale[at];
      if (++i == p->inner) {
        i = 0;
        if (++a == p->len) {
          a = 0;
          o++;
        }
      }
    }
    if (!dequant) {
      round_to(p->divt, buf, n);
      for (j = 0; p->lo <= p->hi && j < n; j++) {
        double v = nearbyint(buf[j]) + zb[j];
        buf[j] = v < (double)p->lo ? (double)p->lo : v > (double)p->hi ? (double)p->hi : v;
      }
      /* a float type's zero point (float4e2m1) is added unrounded; none
       * adds nothing, which keeps -0 */
      for (j = 0; p->lo > p->hi && zp && j < n; j++) buf[j] += zb[j];
    }
    cast_run(MLC_DT_DOUBLE, buf, p->yt, y + (size_t)e * ys, n, p->nosat);
  }
}

void mlc_rt_quantize(const void *params, void *const *io) {
  quant_run((const MlcQuant *)params, io, 0);
}

void mlc_rt_dequantize(const void *params, void *const *io) {
  quant_run((const MlcQuant *)params, io, 1);
}

/* uint8 quantization with the range of x widened to include 0, in float
 * arithmetic step by step as the ONNX definition writes it. The clamps are
 * written so that NaN (from NaN or infinite inputs) becomes 0: converting
 * NaN to an integer is undefined in C. The range is found in runs of 16
 * lanes, a minimum and a maximum per lane, which vectorize at -O2 (a NaN
 * is passed over, as a comparison passes it). */
void mlc_rt_dynquant_f32(const void *params, void *const *io) {
  const MlcDynQuant *p = (const MlcDynQuant *)params;
  const float *restrict x = (const float *)io[MLC_DYNQUANT_X];
  uint8_t *restrict y = (uint8_t *)io[MLC_DYNQUANT_Y];
  uint8_t *zp_out = (uint8_t *)io[MLC_DYNQUANT_ZP];
  float mx = 0, mn = 0, scale, zp, lmx[16] = {0}, lmn[16] = {0};
  const int64_t n = p->count;
  int64_t i = 0;
  int t;
  for (; i + 16 <= n; i += 16)
    for (t = 0; t < 16; t++) {
      lmx[t] = MLC_RT_MAXC(x[i + t], lmx[t]);
      lmn[t] = MLC_RT_MINC(x[i + t], lmn[t]);
    }
  for (t = 0; t < 16; t++) {
    if (lmx[t] > mx) mx = lmx[t];
    if (lmn[t] < mn) mn = lmn[t];
  }
  for (; i < n; i++) {
    if (x[i] > mx) mx = x[i];
    if (x[i] < mn) mn = x[i];
  }
  scale = (mx == mn ? 1.0f : mx - mn) / 255.0f;
  zp = 0.0f - mn / scale;
  zp = nearbyintf(zp > 0 ? (zp < 255 ? zp : 255) : 0);
  for (i = 0; i < n; i++) {
    float v = nearbyintf(x[i] / scale) + zp;
    y[i] = (uint8_t)(v > 0 ? (v < 255 ? v : 255) : 0);
  }
  *(float *)io[MLC_DYNQUANT_SCALE] = scale;
  *zp_out = (uint8_t)zp;
}

/* element i of an int8 (t) or uint8 tensor */
static int32_t ld8(const void *p, int64_t t, int64_t i) {
  return t == MLC_DT_INT8 ? ((const int8_t *)p)[i] : ((const uint8_t *)p)[i];
}

void mlc_rt_qmatmul(const void *params, void *const *io) {
  const MlcQMatMul *p = (const MlcQMatMul *)params;
  const void *a = io[MLC_QMATMUL_A], *b = io[MLC_QMATMUL_B];
  const void *azp = io[MLC_QMATMUL_AZP], *bzp = io[MLC_QMATMUL_BZP];
  int32_t *y = (int32_t *)io[MLC_QMATMUL_Y];
  int64_t idx[MLC_RT_MAX_RANK] = {0}, nb = 1, ao = 0, bo = 0, bt, r, c, kk;
  int d;
  for (d = 0; d < p->brank; d++) nb *= p->bdims[d];
  for (bt = 0; bt < nb; bt++) {
    int32_t *yb = y + bt * p->m * p->n;
    for (r = 0; r < p->m; r++) {
      int32_t az = azp ? ld8(azp, p->at, p->azp ? ao / p->k + r : 0) : 0;
      uint32_t *yr = (uint32_t *)(yb + r * p->n);
      for (c = 0; c < p->n; c++) yr[c] = 0;
      for (kk = 0; kk < p->k; kk++) {
        int32_t av = ld8(a, p->at, ao + r * p->k + kk) - az;
        for (c = 0; c < p->n; c++) {
          int64_t zi = p->bzp == 2 ? bo / p->k + c : p->bzp == 1 ? c : 0;
          int32_t bv = ld8(b, p->bt, bo + kk * p->n + c) - (bzp ? ld8(bzp, p->bt, zi) : 0);
          yr[c] += (uint32_t)(av * bv);
        }
      }
    }
    for (d = (int)p->brank - 1; d >= 0; d--) {
      ao += p->a_bs[d];
      bo += p->b_bs[d];
      if (++idx[d] < p->bdims[d]) break;
      ao -= p->a_bs[d] * p->bdims[d];
      bo -= p->b_bs[d] * p->bdims[d];
      idx[d] = 0;
    }
  }
}

/* direct convolution; spatial dims beyond nsp count as 1 */
void mlc_rt_qconv(const void *params, void *const *io) {
  const MlcQConv *p = (const MlcQConv *)params;
  const void *x = io[MLC_QCONV_X], *w = io[MLC_QCONV_W];
  const void *xzp = io[MLC_QCONV_XZP], *wzp = io[MLC_QCONV_WZP];
  const int32_t *bias = (const int32_t *)io[MLC_QCONV_BIAS];
  int32_t *y = (int32_t *)io[MLC_QCONV_Y];
  int64_t in[3] = {1, 1, 1}, out[3] = {1, 1, 1}, k[3] = {1, 1, 1}, st[3] = {1, 1, 1};
  int64_t dl[3] = {1, 1, 1}, pb[3] = {0, 0, 0}, cg = p->c / p->group, mg = p->m / p->group;
  int64_t inv, outv, kv, nn, oc, o0, o1, o2, ci, k0, k1, k2;
  int32_t xz = xzp ? ld8(xzp, p->xt, 0) : 0;
  int d;
  for (d = 0; d < p->nsp; d++) {
    int e = 3 - (int)p->nsp + d;
    in[e] = p->in_sp[d];
    out[e] = p->out_sp[d];
    k[e] = p->k[d];
    st[e] = p->stride[d];
    dl[e] = p->dil[d];
    pb[e] = p->pad_begin[d];
  }
  inv = in[0] * in[1] * in[2];
  outv = out[0] * out[1] * out[2];
  kv = k[0] * k[1] * k[2];
  for (nn = 0; nn < p->n; nn++)
    for (oc = 0; oc < p->m; oc++) {
      int64_t g = oc / mg;
      int32_t wz = wzp ? ld8(wzp, p->wt, p->wzp ? oc : 0) : 0;
      int32_t *yo = y + (nn * p->m + oc) * outv;
      for (o0 = 0; o0 < out[0]; o0++)
        for (o1 = 0; o1 < out[1]; o1++)
          for (o2 = 0; o2 < out[2]; o2++) {
            uint32_t acc = bias ? (uint32_t)bias[oc] : 0;
            for (ci = 0; ci < cg; ci++) {
              int64_t xc = (nn * p->c + g * cg + ci) * inv, wc = (oc * cg + ci) * kv;
              for (k0 = 0; k0 < k[0]; k0++) {
                int64_t i0 = o0 * st[0] - pb[0] + k0 * dl[0];
                if (i0 < 0 || i0 >= in[0]) continue;
                for (k1 = 0; k1 < k[1]; k1++) {
                  int64_t i1 = o1 * st[1] - pb[1] + k1 * dl[1];
                  if (i1 < 0 || i1 >= in[1]) continue;
                  for (k2 = 0; k2 < k[2]; k2++) {
                    int64_t i2 = o2 * st[2] - pb[2] + k2 * dl[2];
                    int32_t xv, wv;
                    if (i2 < 0 || i2 >= in[2]) continue;
                    xv = ld8(x, p->xt, xc + (i0 * in[1] + i1) * in[2] + i2) - xz;
                    wv = ld8(w, p->wt, wc + (k0 * k[1] + k1) * k[2] + k2) - wz;
                    acc += (uint32_t)(xv * wv);
                  }
                }
              }
            }
            yo[(o0 * out[1] + o1) * out[2] + o2] = (int32_t)acc;
          }
    }
}

/* x rounded to float type t */
static double round1(int64_t t, double x) {
  round_to(t, &x, 1);
  return x;
}

void mlc_rt_requant(const void *params, void *const *io) {
  const MlcRequant *p = (const MlcRequant *)params;
  const int32_t *acc = (const int32_t *)io[MLC_REQUANT_ACC];
  const float *s1 = (const float *)io[MLC_REQUANT_S1], *s2 = (const float *)io[MLC_REQUANT_S2];
  const float *s3 = (const float *)io[MLC_REQUANT_S3];
  double zp = 0, buf[QCHUNK];
  char *y = (char *)io[MLC_REQUANT_Y];
  size_t ys = mlc_rt_dtype_size(p->yt);
  int64_t o, l, i, n, done;
  if (io[MLC_REQUANT_ZP]) cast_run(p->yt, io[MLC_REQUANT_ZP], MLC_DT_DOUBLE, &zp, 1, 0);
  for (o = 0; o < p->outer; o++)
    for (l = 0; l < p->len; l++) {
      double f = round1(p->st, round1(p->st, (double)s1[0] * s2[p->s2_per ? l : 0]) / s3[0]);
      int64_t base = (o * p->len + l) * p->inner;
      for (done = 0; done < p->inner; done += n) {
        n = p->inner - done < QCHUNK ? p->inner - done : QCHUNK;
        for (i = 0; i < n; i++) {
          double v = nearbyint((double)acc[base + done + i] * f + zp);
          buf[i] = v < (double)p->lo ? (double)p->lo : v > (double)p->hi ? (double)p->hi : v;
        }
        cast_run(MLC_DT_DOUBLE, buf, p->yt, y + (size_t)(base + done) * ys, n, 0);
      }
    }
}
