/* The discrete Fourier transform behind DFT and STFT.
 *
 * Per line, in double: a radix-2 FFT when n is a power of two, else the
 * plain O(n^2) sum. Both use one twiddle table, exp(-+2 pi i m / n) for
 * m < n, so no angle is ever computed from a large product (the plain sum
 * steps m = k * t mod n). A line is first gathered into the scratch
 * (zero-padded or cut to n, windowed, and for a one-sided inverse
 * completed to a hermitian spectrum), so the transform reads contiguous
 * memory whatever the input layout.
 */
#include <math.h>

#include "mlc_rt.h"

/* gathers line (a, b) of x into re/im[0, n) */
static void dft_gather(const MlcDft *p, const float *x, const float *win, int64_t a, int64_t b,
                       double *re, double *im) {
  const float *xl = x + a * p->x_ls[0] + b * p->x_ls[1];
  int64_t t, have = p->len < p->n ? p->len : p->n;
  /* a one-sided spectrum gives bins 0..n/2; the rest mirror them */
  if (p->inverse && p->onesided && have > p->n / 2 + 1) have = p->n / 2 + 1;
  for (t = 0; t < p->n; t++) {
    re[t] = im[t] = 0;
    if (t >= have) continue;
    re[t] = xl[t * p->x_es];
    if (p->in_c == 2) im[t] = xl[t * p->x_es + 1];
    if (win) {
      re[t] *= win[t];
      im[t] *= win[t];
    }
  }
  if (p->inverse && p->onesided)
    for (t = p->n / 2 + 1; t < p->n; t++) {
      re[t] = p->n - t < have ? re[p->n - t] : 0;
      im[t] = p->n - t < have ? -im[p->n - t] : 0;
    }
}

/* in-place iterative radix-2 transform of re/im[0, n), n a power of two */
static void fft_pow2(double *re, double *im, const double *twr, const double *twi, int64_t n) {
  int64_t i, j, k, len, bit;
  for (i = 1, j = 0; i < n; i++) {
    for (bit = n >> 1; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      double t = re[i];
      re[i] = re[j];
      re[j] = t;
      t = im[i];
      im[i] = im[j];
      im[j] = t;
    }
  }
  for (len = 2; len <= n; len <<= 1)
    for (i = 0; i < n; i += len)
      for (k = 0; k < len / 2; k++) {
        int64_t a = i + k, b = a + len / 2, m = k * (n / len);
        double tr = re[b] * twr[m] - im[b] * twi[m], ti = re[b] * twi[m] + im[b] * twr[m];
        re[b] = re[a] - tr;
        im[b] = im[a] - ti;
        re[a] += tr;
        im[a] += ti;
      }
}

void mlc_rt_dft_f32(const void *params, void *const *io) {
  const MlcDft *p = (const MlcDft *)params;
  const float *x = (const float *)io[MLC_DFT_X], *win = (const float *)io[MLC_DFT_WINDOW];
  float *y = (float *)io[MLC_DFT_Y];
  double *twr = (double *)io[MLC_DFT_SCRATCH], *twi = twr + p->n, *re = twi + p->n;
  double *im = re + p->n;
  double sign = p->inverse ? 1 : -1, norm = p->inverse ? 1.0 / (double)p->n : 1;
  int64_t a, b, k, t, m;
  for (m = 0; m < p->n; m++) {
    double ang = 2 * 3.14159265358979323846 * (double)m / (double)p->n;
    twr[m] = cos(ang);
    twi[m] = sign * sin(ang);
  }
  for (a = 0; a < p->na; a++)
    for (b = 0; b < p->nb; b++) {
      float *yl = y + a * p->y_ls[0] + b * p->y_ls[1];
      dft_gather(p, x, win, a, b, re, im);
      if ((p->n & (p->n - 1)) == 0) {
        fft_pow2(re, im, twr, twi, p->n);
        for (k = 0; k < p->out_len; k++) {
          yl[k * p->y_es] = (float)(re[k] * norm);
          if (p->out_c == 2) yl[k * p->y_es + 1] = (float)(im[k] * norm);
        }
        continue;
      }
      for (k = 0; k < p->out_len; k++) {
        double sr = 0, si = 0;
        int64_t step = k % p->n;
        /* m = k * t mod n, stepped without forming the product */
        for (t = 0, m = 0; t < p->n; t++) {
          sr += re[t] * twr[m] - im[t] * twi[m];
          si += re[t] * twi[m] + im[t] * twr[m];
          m += step;
          if (m >= p->n) m -= p->n;
        }
        yl[k * p->y_es] = (float)(sr * norm);
        if (p->out_c == 2) yl[k * p->y_es + 1] = (float)(si * norm);
      }
    }
}
