/* Reductions (ReduceSum, ReduceMean, ... ReduceLogSumExp) and ArgMax/ArgMin.
 *
 * A reduction splits the input's dims into kept ones (which index the
 * output, in order) and reduced ones. Each output element walks its reduced
 * elements with an odometer whose innermost loop runs along the last reduced
 * dim, so reducing trailing axes reads memory sequentially (and in vector
 * lanes). Float inputs
 * accumulate in double, integers in uint64_t, so sums and products wrap
 * (modulo 2^64, then the output type) as mlc's integer arithmetic does,
 * never overflowing a signed type; the mean divides as int64. The kinds that
 * are not closed over integers (L2, log-sums) finish in double and convert
 * back saturating, NaN to 0 (mlc_rt_d2i).
 * LogSumExp subtracts the maximum first, so it neither overflows nor loses
 * everything to underflow. Reductions over no elements never reach here:
 * the compiler knows their result (the kind's identity) at compile time.
 *
 * ArgMax/ArgMin keep the index of the best element so far in the output
 * itself and compare against the input at that index, so the loop over the
 * reduced axis can run over whole rows of `inner` elements at once.
 */
#include <math.h>

#include "mlc_rt.h"

typedef struct RedGeo {
  int nk, nr;
  int64_t kd[MLC_RT_MAX_RANK], ks[MLC_RT_MAX_RANK]; /* kept dims, input strides */
  int64_t rd[MLC_RT_MAX_RANK], rs[MLC_RT_MAX_RANK]; /* reduced dims, strides */
  int64_t nout, nred;
} RedGeo;

static void red_geo(const MlcReduce *p, RedGeo *g) {
  int64_t st = 1, strides[MLC_RT_MAX_RANK];
  for (int d = (int)p->rank - 1; d >= 0; d--) {
    strides[d] = st;
    st *= p->dims[d];
  }
  g->nk = g->nr = 0;
  g->nout = g->nred = 1;
  for (int d = 0; d < p->rank; d++) {
    if (p->axes[d]) {
      g->rd[g->nr] = p->dims[d];
      g->rs[g->nr++] = strides[d];
      g->nred *= p->dims[d];
    } else {
      g->kd[g->nk] = p->dims[d];
      g->ks[g->nk++] = strides[d];
      g->nout *= p->dims[d];
    }
  }
  /* reduced dims that run on one into the other walk as one: a global
   * pool's 7 x 7 plane is a run of 49, which goes LANES at a time, not 7
   * rows too short for that (MobileNetV2's 1280 x 7 x 7 2x faster) */
  for (int d = g->nr - 2; d >= 0; d--)
    if (g->rs[d] == g->rs[d + 1] * g->rd[d + 1]) {
      g->rd[d] *= g->rd[d + 1];
      g->rs[d] = g->rs[d + 1];
      for (int e = d + 1; e + 1 < g->nr; e++) g->rd[e] = g->rd[e + 1], g->rs[e] = g->rs[e + 1];
      g->nr--;
    }
  /* a reduction over nothing still walks one (empty) innermost dim */
  if (g->nr == 0) {
    g->rd[0] = 1;
    g->rs[0] = 0;
    g->nr = 1;
  }
}

/* Evaluates STMT with `v` bound to each reduced element of the output whose
 * first element is x0, and L to a lane in [0, LANES): contiguous runs go
 * LANES elements at a time, one per lane, so accumulating into per-lane
 * partial results makes a loop gcc vectorizes (one accumulator would be a
 * chain of dependent float additions it may not reorder). */
#define LANES 8
#define RED_WALK(T, x0, g, STMT)                            \
  do {                                                      \
    int64_t ri_[MLC_RT_MAX_RANK] = {0}, off_ = 0;           \
    const int last_ = (g)->nr - 1;                          \
    const int64_t n_ = (g)->rd[last_], s_ = (g)->rs[last_]; \
    for (;;) {                                              \
      int64_t t_ = 0;                                       \
      if (s_ == 1)                                          \
        for (; t_ + LANES <= n_; t_ += LANES)               \
          for (int L = 0; L < LANES; L++) {                 \
            T v = (x0)[off_ + t_ + L];                      \
            STMT;                                           \
          }                                                 \
      for (; t_ < n_; t_++) {                               \
        const int L = 0;                                    \
        T v = (x0)[off_ + t_ * s_];                         \
        (void)L;                                            \
        STMT;                                               \
      }                                                     \
      int d_ = last_ - 1;                                   \
      for (; d_ >= 0; d_--) {                               \
        off_ += (g)->rs[d_];                                \
        if (++ri_[d_] < (g)->rd[d_]) break;                 \
        off_ -= (g)->rs[d_] * (g)->rd[d_];                  \
        ri_[d_] = 0;                                        \
      }                                                     \
      if (d_ < 0) break;                                    \
    }                                                       \
  } while (0)

/* the lanes of a sum or product, combined */
#define LANES_SUM(a, r)                            \
  do {                                             \
    r = a[0];                                      \
    for (int l_ = 1; l_ < LANES; l_++) r += a[l_]; \
  } while (0)

/* ABS(v) and ISNAN(v) per element type: unsigned and integer types skip
 * the tests that would always be false. BETTER(v, m) is whether v replaces
 * the running max (or min) m: larger (smaller), or NaN, which sticks. */
#define REDUCE_KERNEL(sfx, T, ACC, SACC, ABS, ISNAN, FROM_D)              \
  static T extreme_##sfx(const T *x, const RedGeo *g, int max) {          \
    T m[LANES], r;                                                        \
    for (int l = 0; l < LANES; l++) m[l] = x[0];                          \
    if (max)                                                              \
      RED_WALK(T, x, g, if (v > m[L] || ISNAN(v)) m[L] = v);              \
    else                                                                  \
      RED_WALK(T, x, g, if (v < m[L] || ISNAN(v)) m[L] = v);              \
    r = m[0];                                                             \
    for (int l = 1; l < LANES; l++)                                       \
      if ((max ? m[l] > r : m[l] < r) || ISNAN(m[l])) r = m[l];           \
    return r;                                                             \
  }                                                                       \
  static T reduce_one_##sfx(const T *x, const RedGeo *g, int64_t kind) {  \
    ACC s[LANES] = {0}, st;                                               \
    double ds[LANES] = {0}, dt;                                           \
    switch (kind) {                                                       \
    case MLC_RED_SUM:                                                     \
    case MLC_RED_MEAN:                                                    \
      RED_WALK(T, x, g, s[L] += v);                                       \
      LANES_SUM(s, st);                                                   \
      return kind == MLC_RED_SUM ? (T)st : (T)((SACC)st / (SACC)g->nred); \
    case MLC_RED_MAX:                                                     \
    case MLC_RED_MIN: return extreme_##sfx(x, g, kind == MLC_RED_MAX);    \
    case MLC_RED_PROD:                                                    \
      for (int l = 0; l < LANES; l++) s[l] = 1;                           \
      RED_WALK(T, x, g, s[L] *= v);                                       \
      st = s[0];                                                          \
      for (int l = 1; l < LANES; l++) st *= s[l];                         \
      return (T)st;                                                       \
    case MLC_RED_L1:                                                      \
      RED_WALK(T, x, g, s[L] += ABS(v));                                  \
      LANES_SUM(s, st);                                                   \
      return (T)st;                                                       \
    case MLC_RED_L2:                                                      \
      RED_WALK(T, x, g, ds[L] += (double)v * (double)v);                  \
      LANES_SUM(ds, dt);                                                  \
      return FROM_D(sqrt(dt));                                            \
    case MLC_RED_LOGSUM:                                                  \
      RED_WALK(T, x, g, ds[L] += (double)v);                              \
      LANES_SUM(ds, dt);                                                  \
      return FROM_D(log(dt));                                             \
    case MLC_RED_LOGSUMEXP: {                                             \
      double dm = (double)extreme_##sfx(x, g, 1);                         \
      if (!isfinite(dm)) return FROM_D(dm);                               \
      RED_WALK(T, x, g, ds[L] += exp((double)v - dm));                    \
      LANES_SUM(ds, dt);                                                  \
      return FROM_D(dm + log(dt));                                        \
    }                                                                     \
    default: /* MLC_RED_SUMSQUARE */                                      \
      RED_WALK(T, x, g, s[L] += (ACC)v * (ACC)v);                         \
      LANES_SUM(s, st);                                                   \
      return (T)st;                                                       \
    }                                                                     \
  }                                                                       \
  void mlc_rt_reduce_##sfx(const void *params, void *const *io) {         \
    const MlcReduce *p = (const MlcReduce *)params;                       \
    const T *x = (const T *)io[MLC_REDUCE_X];                             \
    T *y = (T *)io[MLC_REDUCE_Y];                                         \
    RedGeo g;                                                             \
    red_geo(p, &g);                                                       \
    int64_t ki[MLC_RT_MAX_RANK] = {0}, base = 0;                          \
    for (int64_t o = 0; o < g.nout; o++) {                                \
      y[o] = reduce_one_##sfx(x + base, &g, p->kind);                     \
      for (int d = g.nk - 1; d >= 0; d--) {                               \
        base += g.ks[d];                                                  \
        if (++ki[d] < g.kd[d]) break;                                     \
        base -= g.ks[d] * g.kd[d];                                        \
        ki[d] = 0;                                                        \
      }                                                                   \
    }                                                                     \
  }

#define ABS_FLOAT(v) ((v) < 0 ? -(v) : (v))
/* |v| modulo 2^64: no overflow for the most negative value */
#define ABS_INT(v) ((v) < 0 ? (uint64_t)0 - (uint64_t)(v) : (uint64_t)(v))
#define ABS_UNSIGNED(v) (v)
#define ISNAN_FLOAT(v) ((v) != (v))
#define ISNAN_NEVER(v) 0
#define FROM_D_F32(d) ((float)(d))
#define FROM_D_F64(d) (d)
#define FROM_D_I32(d) ((int32_t)mlc_rt_d2i(d, INT32_MIN, INT32_MAX))
#define FROM_D_I64(d) mlc_rt_d2i(d, INT64_MIN, INT64_MAX)
#define FROM_D_U8(d) ((uint8_t)mlc_rt_d2u(d, UINT8_MAX))

REDUCE_KERNEL(f32, float, double, double, ABS_FLOAT, ISNAN_FLOAT, FROM_D_F32)
REDUCE_KERNEL(f64, double, double, double, ABS_FLOAT, ISNAN_FLOAT, FROM_D_F64)
REDUCE_KERNEL(i32, int32_t, uint64_t, int64_t, ABS_INT, ISNAN_NEVER, FROM_D_I32)
REDUCE_KERNEL(i64, int64_t, uint64_t, int64_t, ABS_INT, ISNAN_NEVER, FROM_D_I64)
REDUCE_KERNEL(u8, uint8_t, uint64_t, int64_t, ABS_UNSIGNED, ISNAN_NEVER, FROM_D_U8)

/* The running best index lives in y; ties keep the first index unless
 * select_last. */
#define ARG_KERNEL(sfx, T)                                                                       \
  void mlc_rt_argmax_##sfx(const void *params, void *const *io) {                                \
    const MlcArg *p = (const MlcArg *)params;                                                    \
    const T *x = (const T *)io[MLC_ARGMAX_X];                                                    \
    int64_t *y = (int64_t *)io[MLC_ARGMAX_Y];                                                    \
    const int64_t in = p->inner;                                                                 \
    for (int64_t o = 0; o < p->outer; o++) {                                                     \
      const T *xo = x + o * p->len * in;                                                         \
      int64_t *yo = y + o * in;                                                                  \
      for (int64_t i = 0; i < in; i++) yo[i] = 0;                                                \
      for (int64_t l = 1; l < p->len; l++) {                                                     \
        const T *xr = xo + l * in;                                                               \
        for (int64_t i = 0; i < in; i++) {                                                       \
          T v = xr[i], b = xo[yo[i] * in + i];                                                   \
          int better =                                                                           \
              p->is_min ? (p->select_last ? v <= b : v < b) : (p->select_last ? v >= b : v > b); \
          if (better) yo[i] = l;                                                                 \
        }                                                                                        \
      }                                                                                          \
    }                                                                                            \
  }

ARG_KERNEL(f32, float)
ARG_KERNEL(f64, double)
ARG_KERNEL(i32, int32_t)
ARG_KERNEL(i64, int64_t)
ARG_KERNEL(u8, uint8_t)
