/* The reductions (mlc_rt_reduce_f32, _i32) against a plain reference: every
 * set of axes of tensors whose reduced dims run on into each other (which
 * the kernel walks as one run), are split by a kept dim of 1 (which runs on
 * too) or by a kept dim of more (which does not), for each kind of
 * reduction; and a global pool's plane of 49 (a run past the vector lanes
 * with a tail).
 *
 * usage: mlc_unit_reduce   Prints the cases that fail; exits 1 if any. */
#include <math.h>
#include <stdio.h>

#include "mlc_rt.h"

#define OUTS 1280 /* the most outputs of a case */

static int cases, fails;

/* the output that element flat of the input reduces into */
static int64_t out_index(int64_t flat, const MlcReduce *p) {
  int64_t o = 0, st = 1, f = flat;
  int64_t c[MLC_RT_MAX_RANK];
  for (int d = (int)p->rank - 1; d >= 0; d--) c[d] = f % p->dims[d], f /= p->dims[d];
  for (int d = (int)p->rank - 1; d >= 0; d--)
    if (!p->axes[d]) o += c[d] * st, st *= p->dims[d];
  return o;
}

static void case_f32(const MlcReduce *p, const float *x, int64_t n) {
  static double ref[OUTS], aux[OUTS];
  static float y[OUTS];
  int64_t nout = 1, nred = 1;
  for (int d = 0; d < p->rank; d++) {
    nred *= p->axes[d] ? p->dims[d] : 1;
    nout *= p->axes[d] ? 1 : p->dims[d];
  }
  for (int64_t o = 0; o < nout; o++) ref[o] = p->kind == MLC_RED_PROD ? 1 : 0, aux[o] = -INFINITY;
  for (int64_t i = 0; i < n; i++) aux[out_index(i, p)] = fmax(aux[out_index(i, p)], x[i]);
  for (int64_t i = 0; i < n; i++) {
    int64_t o = out_index(i, p);
    double v = x[i];
    switch (p->kind) {
    case MLC_RED_PROD: ref[o] *= v; break;
    case MLC_RED_L1: ref[o] += fabs(v); break;
    case MLC_RED_L2:
    case MLC_RED_SUMSQUARE: ref[o] += v * v; break;
    case MLC_RED_LOGSUMEXP: ref[o] += exp(v - aux[o]); break;
    default: ref[o] += v;
    }
  }
  if (p->kind == MLC_RED_MAX)
    for (int64_t o = 0; o < nout; o++) ref[o] = aux[o];
  for (int64_t o = 0; o < nout; o++) {
    if (p->kind == MLC_RED_MEAN) ref[o] /= (double)nred;
    if (p->kind == MLC_RED_L2) ref[o] = sqrt(ref[o]);
    if (p->kind == MLC_RED_LOGSUMEXP) ref[o] = aux[o] + log(ref[o]);
  }
  void *io[2] = {(void *)x, y};
  mlc_rt_reduce_f32(p, io);
  cases++;
  for (int64_t o = 0; o < nout; o++)
    if (!(fabs(y[o] - ref[o]) <= 1e-5 * (1 + fabs(ref[o])))) {
      fprintf(stderr, "FAIL reduce_f32 kind %d dims", (int)p->kind);
      for (int d = 0; d < p->rank; d++)
        fprintf(stderr, " %lld%s", (long long)p->dims[d], p->axes[d] ? "*" : "");
      fprintf(stderr, ": output %lld is %.8g, not %.8g\n", (long long)o, y[o], ref[o]);
      fails++;
      return;
    }
}

/* integer sums: exact */
static void case_i32(const MlcReduce *p, const int32_t *x, int64_t n) {
  static int64_t ref[OUTS];
  static int32_t y[OUTS];
  int64_t nout = 1;
  for (int d = 0; d < p->rank; d++) nout *= p->axes[d] ? 1 : p->dims[d];
  for (int64_t o = 0; o < nout; o++) ref[o] = 0;
  for (int64_t i = 0; i < n; i++) ref[out_index(i, p)] += x[i];
  void *io[2] = {(void *)x, y};
  mlc_rt_reduce_i32(p, io);
  cases++;
  for (int64_t o = 0; o < nout; o++)
    if (y[o] != ref[o]) {
      fprintf(stderr, "FAIL reduce_i32 output %lld is %d, not %lld\n", (long long)o, y[o],
              (long long)ref[o]);
      fails++;
      return;
    }
}

int main(void) {
  static const int64_t shapes[][4] = {{3, 1, 4, 5}, {2, 3, 4, 5}, {1, 2, 7, 7}, {5, 1, 1, 9}};
  static const int kinds[] = {MLC_RED_SUM, MLC_RED_MEAN, MLC_RED_MAX,       MLC_RED_PROD,
                              MLC_RED_L1,  MLC_RED_L2,   MLC_RED_SUMSQUARE, MLC_RED_LOGSUMEXP};
  float x[1024];
  int32_t xi[1024];
  for (int i = 0; i < 1024; i++) {
    x[i] = (float)((i * 37 % 101) - 50) / 64.0f;
    xi[i] = (i * 7919 % 2001) - 1000;
  }
  for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++)
    for (int mask = 1; mask < 16; mask++) {
      MlcReduce p = {.rank = 4};
      int64_t n = 1;
      for (int d = 0; d < 4; d++)
        p.dims[d] = shapes[s][d], p.axes[d] = mask >> d & 1, n *= p.dims[d];
      for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++) {
        p.kind = kinds[k];
        /* products of many values near 1 only */
        if (p.kind == MLC_RED_PROD) {
          float xp[1024];
          for (int64_t i = 0; i < n; i++) xp[i] = 1.0f + x[i] / 64.0f;
          case_f32(&p, xp, n);
        } else {
          case_f32(&p, x, n);
        }
      }
      p.kind = MLC_RED_SUM;
      case_i32(&p, xi, n);
    }
  /* a global pool: 1280 planes of 7 x 7 */
  static float big[1280 * 49];
  for (int i = 0; i < 1280 * 49; i++) big[i] = (float)((i * 37 % 101) - 50) / 64.0f;
  MlcReduce gp = {.rank = 4, .dims = {1, 1280, 7, 7}, .axes = {0, 0, 1, 1}, .kind = MLC_RED_MEAN};
  case_f32(&gp, big, 1280 * 49);
  printf("%d cases, %d failed\n", cases, fails);
  return fails ? 1 : 0;
}
