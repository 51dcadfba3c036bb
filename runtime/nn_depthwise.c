/* The depthwise conv (one input and one output channel per group), the
 * path conv_f32 (nn.c) takes for it: a direct loop per plane, no GEMM. */
#include <string.h>

#include "nn_int.h"

/* A depthwise conv: each output plane from one input plane and one filter.
 * The plane is first copied into the scratch with its zero padding made
 * real, so no tap needs a bounds check. 3x3 filters (the usual case) then
 * compute DW_BLOCK outputs of a row at a time, all nine taps summed in a
 * constant-length (vector) loop; other filters add one tap at a time over
 * whole output rows. */
#define DW_BLOCK 16

/* the padded plane's dims: room for every window, and for the input */
static void dw_padded(const Im2col *g, int64_t *dims) {
  for (int d = 0; d < 3; d++) {
    int64_t need = (g->out[d] - 1) * g->s[d] + (g->k[d] - 1) * g->d[d] + 1;
    int64_t have = g->pad[d] + g->in[d];
    dims[d] = need > have ? need : have;
  }
}

static void dw_pad_plane(const Im2col *g, const int64_t *pd, float *restrict dst) {
  const int64_t iw = g->in[2], pw = g->pad[2];
  for (int64_t z = 0; z < pd[0]; z++)
    for (int64_t y = 0; y < pd[1]; y++) {
      float *row = dst + (z * pd[1] + y) * pd[2];
      int64_t iz = z - g->pad[0], iy = y - g->pad[1];
      if (iz < 0 || iz >= g->in[0] || iy < 0 || iy >= g->in[1]) {
        memset(row, 0, (size_t)pd[2] * sizeof *row);
        continue;
      }
      memset(row, 0, (size_t)pw * sizeof *row);
      memcpy(row + pw, g->x + (iz * g->in[1] + iy) * iw, (size_t)iw * sizeof *row);
      memset(row + pw + iw, 0, (size_t)(pd[2] - pw - iw) * sizeof *row);
    }
}

/* y[o] += w * x[o*sx] for o < n */
static void dw_tap(float *restrict y, const float *restrict x, float w, int64_t n, int64_t sx) {
  int64_t o = 0;
  if (sx == 1)
    for (; o + DW_BLOCK <= n; o += DW_BLOCK)
      for (int t = 0; t < DW_BLOCK; t++) y[o + t] += w * x[o + t];
  for (; o < n; o++) y[o] += w * x[o * sx];
}

/* one output row of a 3x3 filter from padded rows r[0..2]; stride 1 or 2.
 * The last block reads (not stores) up to DW_BLOCK * 2 floats past it. */
static void dw_row3x3(float *restrict y, const float *const *r, const float *w, float bias,
                      int64_t n, int64_t sx, int64_t dx) {
  for (int64_t o = 0; o < n; o += DW_BLOCK) {
    float acc[DW_BLOCK];
    const float *a = r[0] + o * sx, *b = r[1] + o * sx, *c = r[2] + o * sx;
    if (sx == 1) {
      for (int t = 0; t < DW_BLOCK; t++)
        acc[t] = bias + w[0] * a[t] + w[1] * a[t + dx] + w[2] * a[t + 2 * dx] + w[3] * b[t] +
                 w[4] * b[t + dx] + w[5] * b[t + 2 * dx] + w[6] * c[t] + w[7] * c[t + dx] +
                 w[8] * c[t + 2 * dx];
    } else {
      for (int t = 0; t < DW_BLOCK; t++)
        acc[t] = bias + w[0] * a[2 * t] + w[1] * a[2 * t + dx] + w[2] * a[2 * t + 2 * dx] +
                 w[3] * b[2 * t] + w[4] * b[2 * t + dx] + w[5] * b[2 * t + 2 * dx] +
                 w[6] * c[2 * t] + w[7] * c[2 * t + dx] + w[8] * c[2 * t + 2 * dx];
    }
    if (o + DW_BLOCK <= n)
      memcpy(y + o, acc, sizeof acc);
    else
      memcpy(y + o, acc, (size_t)(n - o) * sizeof *acc);
  }
}

static void conv_depthwise(const Im2col *g, const float *w, float bias, float *y, float *pad,
                           const Epi *e) {
  int64_t pd[3];
  dw_padded(g, pd);
  dw_pad_plane(g, pd, pad);
  const int64_t ow = g->out[2], sx = g->s[2], dx = g->d[2];
  int k3x3 = g->k[0] == 1 && g->k[1] == 3 && g->k[2] == 3 && (sx == 1 || sx == 2);
  for (int64_t oz = 0; oz < g->out[0]; oz++)
    for (int64_t oy = 0; oy < g->out[1]; oy++) {
      float *yr = y + (oz * g->out[1] + oy) * ow;
      const float *base = pad + (oz * g->s[0] * pd[1] + oy * g->s[1]) * pd[2];
      if (k3x3) {
        const float *r[3] = {base, base + g->d[1] * pd[2], base + 2 * g->d[1] * pd[2]};
        dw_row3x3(yr, r, w, bias, ow, sx, dx);
      } else {
        for (int64_t o = 0; o < ow; o++) yr[o] = bias;
        for (int64_t kz = 0; kz < g->k[0]; kz++)
          for (int64_t ky = 0; ky < g->k[1]; ky++) {
            const float *xr = base + (kz * g->d[0] * pd[1] + ky * g->d[1]) * pd[2];
            const float *wr = w + (kz * g->k[1] + ky) * g->k[2];
            for (int64_t kx = 0; kx < g->k[2]; kx++) dw_tap(yr, xr + kx * dx, wr[kx], ow, sx);
          }
      }
      finish_row(yr, ow, 0, (oz * g->out[1] + oy) * ow, e);
    }
}

/* All depthwise planes of a conv, one (image, channel) pair after another
 * (with one channel per group, plane q of the input, the output and the
 * residual), split over the threads of a job: its part of them. */
typedef struct DwJob {
  const MlcConv *p;
  Im2col g;
  Epi e;
  const float *x, *w, *bias, *res;
  float *y, *scratch;
  int64_t inpix, npix, kvol;
} DwJob;

static void dw_part(void *arg, int t, int nt, float *scratch) {
  const DwJob *j = (const DwJob *)arg;
  int64_t total = j->p->n * j->p->group;
  Im2col g = j->g;
  Epi e = j->e;
  for (int64_t q = total * t / nt; q < total * (t + 1) / nt; q++) {
    int64_t gi = q % j->p->group;
    g.x = j->x + q * j->inpix;
    g.nx = (total - q) * j->inpix;
    e.res = j->res ? j->res + q * j->npix : NULL;
    conv_depthwise(&g, j->w + gi * j->kvol, j->bias ? j->bias[gi] : 0, j->y + q * j->npix,
                   scratch ? scratch : j->scratch, &e);
  }
}

void mlc_rt__conv_depthwise(const MlcConv *p, const Im2col *g, const Epi *e, const float *x,
                            const float *w, const float *bias, const float *res, float *y,
                            float *scratch, int64_t inpix, int64_t npix, int64_t kvol) {
  /* a worker's scratch must hold the padded plane */
  DwJob job = {p, *g, *e, x, w, bias, res, y, scratch, inpix, npix, kvol};
  if (2 * p->n * p->group * npix * kvol < PAR_FLOPS ||
      mlc_rt_conv_scratch(p) > MLC_RT_POOL_SCRATCH || !mlc_rt_parallel(dw_part, &job))
    dw_part(&job, 0, 1, NULL);
}
