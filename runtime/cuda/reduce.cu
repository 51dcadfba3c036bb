/* mlc CUDA runtime: reductions and ArgMax/ArgMin (runtime/reduce.c), the
 * element gathers and scatters and CumSum/CumProd (runtime/index.c), Trilu
 * and OneHot (runtime/index_move.c).
 *
 * Design. A reduction runs one block of MLC_CU_BLOCK threads per output
 * element: thread t folds reduced elements t, t + B, ... in order, then a
 * shared-memory tree combines the threads' partials in a fixed pairing, so
 * results never depend on scheduling. The accumulators are reduce.c's
 * (double for floats; uint64_t for integers, whose sums and products wrap
 * and so come out exactly as the C kernel's in any order), as are the
 * finishing conversions (mlc_rt_d2i, mlc_rt_d2u). Max and min let a NaN
 * stick, as reduce.c does.
 *
 * The kernels whose C loops carry a dependence keep the C order: ArgMax
 * (ties and NaN decide by the order of comparisons) and CumSum walk their
 * line sequentially, one thread per line. ScatterElements too: only
 * positions on one line along the axis can hit the same data element (the
 * other coordinates index data directly), so one thread per line applies
 * its updates in the C order, and lines never race.
 *
 * Movers (GatherElements, Trilu, OneHot, the scatters without reduction)
 * move items as words, as data.cu does. */
#include <stdint.h>

#include <type_traits>

#include "mlc_rt_cuda_int.h"

namespace {

/* ---- reductions ---------------------------------------------------------- */

/* reduce.c's geometry: kept dims (which index the output) and reduced dims,
 * with their input strides */
struct RedGeo {
  int nk, nr;
  int64_t kd[MLC_RT_MAX_RANK], ks[MLC_RT_MAX_RANK];
  int64_t rd[MLC_RT_MAX_RANK], rs[MLC_RT_MAX_RANK];
  int64_t nout, nred;
};

RedGeo red_geo(const MlcReduce *p) {
  RedGeo g = {};
  int64_t st = 1, strides[MLC_RT_MAX_RANK];
  for (int d = (int)p->rank - 1; d >= 0; d--) {
    strides[d] = st;
    st *= p->dims[d];
  }
  g.nout = g.nred = 1;
  for (int d = 0; d < p->rank; d++) {
    if (p->axes[d]) {
      g.rd[g.nr] = p->dims[d];
      g.rs[g.nr++] = strides[d];
      g.nred *= p->dims[d];
    } else {
      g.kd[g.nk] = p->dims[d];
      g.ks[g.nk++] = strides[d];
      g.nout *= p->dims[d];
    }
  }
  return g;
}

/* reduce.c's types per element type: the accumulator, the type the mean
 * divides in, |v|, NaN test and the conversion back from double */
template <typename T>
struct Red {
  typedef uint64_t Acc;
  typedef int64_t SAcc;
  __device__ static uint64_t mag(T v) {
    if constexpr (std::is_signed<T>::value)
      return v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    else
      return v;
  }
  __device__ static bool is_nan(T) { return false; }
  __device__ static T from_d(double d) {
    if constexpr (std::is_signed<T>::value)
      return (T)mlc_rt_d2i(d, -MLC_RT_IMAX(T) - 1, MLC_RT_IMAX(T));
    else
      return (T)mlc_rt_d2u(d, MLC_RT_UMAX(T));
  }
};
template <typename T>
struct RedF {
  typedef double Acc;
  typedef double SAcc;
  __device__ static T mag(T v) { return v < 0 ? -v : v; }
  __device__ static bool is_nan(T v) { return v != v; }
  __device__ static T from_d(double d) { return (T)d; }
};
template <>
struct Red<float> : RedF<float> {};
template <>
struct Red<double> : RedF<double> {};

/* binds v to each reduced element of this thread (the whole reduction is
 * x0's elements at the reduced dims' offsets) and runs STMT */
#define RED_WALK(T, x0, g, STMT)                                    \
  for (int64_t t_ = threadIdx.x; t_ < (g).nred; t_ += blockDim.x) { \
    int64_t r_ = t_, off_ = 0;                                      \
    for (int d_ = (g).nr - 1; d_ >= 0; d_--) {                      \
      off_ += r_ % (g).rd[d_] * (g).rs[d_];                         \
      r_ /= (g).rd[d_];                                             \
    }                                                               \
    T v = (x0)[off_];                                               \
    STMT;                                                           \
  }

/* the max (or min) of the reduction; a NaN replaces the running value */
template <typename T>
__device__ T extreme(const T *x0, const RedGeo &g, bool max) {
  T m = x0[0];
  if (max) {
    RED_WALK(T, x0, g, if (v > m || Red<T>::is_nan(v)) m = v)
    return block_reduce(m, [](T a, T b) { return b > a || Red<T>::is_nan(b) ? b : a; });
  }
  RED_WALK(T, x0, g, if (v < m || Red<T>::is_nan(v)) m = v)
  return block_reduce(m, [](T a, T b) { return b < a || Red<T>::is_nan(b) ? b : a; });
}

template <typename T>
__device__ T reduce_one(const T *x0, const RedGeo &g, int64_t kind) {
  typedef Red<T> R;
  typedef typename R::Acc Acc;
  auto add = [](Acc a, Acc b) { return a + b; };
  auto dadd = [](double a, double b) { return a + b; };
  Acc s = 0;
  double ds = 0;
  switch (kind) {
  case MLC_RED_SUM:
  case MLC_RED_MEAN:
    RED_WALK(T, x0, g, s += v)
    s = block_reduce(s, add);
    return kind == MLC_RED_SUM ? (T)s : (T)((typename R::SAcc)s / (typename R::SAcc)g.nred);
  case MLC_RED_MAX:
  case MLC_RED_MIN: return extreme(x0, g, kind == MLC_RED_MAX);
  case MLC_RED_PROD:
    s = 1;
    RED_WALK(T, x0, g, s *= v)
    return (T)block_reduce(s, [](Acc a, Acc b) { return a * b; });
  case MLC_RED_L1: RED_WALK(T, x0, g, s += R::mag(v)) return (T)block_reduce(s, add);
  case MLC_RED_L2:
    RED_WALK(T, x0, g, ds += (double)v * (double)v)
    return R::from_d(sqrt(block_reduce(ds, dadd)));
  case MLC_RED_LOGSUM:
    RED_WALK(T, x0, g, ds += (double)v)
    return R::from_d(log(block_reduce(ds, dadd)));
  case MLC_RED_LOGSUMEXP: {
    double dm = (double)extreme(x0, g, true);
    if (!isfinite(dm)) return R::from_d(dm);
    RED_WALK(T, x0, g, ds += exp((double)v - dm))
    return R::from_d(dm + log(block_reduce(ds, dadd)));
  }
  default: /* MLC_RED_SUMSQUARE */
    RED_WALK(T, x0, g, s += (Acc)v * (Acc)v)
    return (T)block_reduce(s, add);
  }
}

template <typename T>
__global__ void reduce_k(RedGeo g, int64_t kind, const T *x, T *y) {
  ROWS(o, g.nout) {
    int64_t r = o, base = 0;
    for (int d = g.nk - 1; d >= 0; d--) {
      base += r % g.kd[d] * g.ks[d];
      r /= g.kd[d];
    }
    T v = reduce_one(x + base, g, kind);
    if (threadIdx.x == 0) y[o] = v;
  }
}

template <typename T>
int reduce(MlcCuCtx *ctx, const void *params, void *const *io) {
  const MlcReduce *p = (const MlcReduce *)params;
  if (p->rank < 0 || p->rank > MLC_RT_MAX_RANK || p->kind < MLC_RED_SUM ||
      p->kind > MLC_RED_SUMSQUARE)
    return MLC_CU_ERR_PARAMS;
  RedGeo g = red_geo(p);
  if (ctx->sizing || g.nout <= 0) return MLC_CU_OK;
  /* reductions over no elements are folded by the compiler */
  if (g.nred <= 0) return MLC_CU_ERR_PARAMS;
  reduce_k<T><<<row_grid(g.nout), MLC_CU_BLOCK, 0, ctx->stream>>>(
      g, p->kind, (const T *)io[MLC_REDUCE_X], (T *)io[MLC_REDUCE_Y]);
  return mlc_rtcu_launched();
}

/* ---- ArgMax / ArgMin ----------------------------------------------------- */

/* one thread per (o, i), comparing in reduce.c's order */
template <typename T>
__global__ void argmax_k(MlcArg p, const T *x, int64_t *y) {
  const int64_t in = p.inner;
  GRID_STRIDE(t, p.outer * in) {
    const T *xo = x + t / in * p.len * in + t % in;
    int64_t best = 0;
    T b = p.len > 0 ? xo[0] : (T)0;
    for (int64_t l = 1; l < p.len; l++) {
      T v = xo[l * in];
      bool better = p.is_min ? (p.select_last ? v <= b : v < b) : (p.select_last ? v >= b : v > b);
      if (better) {
        best = l;
        b = v;
      }
    }
    y[t] = best;
  }
}

template <typename T>
int argmax(MlcCuCtx *ctx, const void *params, void *const *io) {
  const MlcArg *p = (const MlcArg *)params;
  int64_t n = p->outer * p->inner;
  if (ctx->sizing || p->outer <= 0 || p->inner <= 0) return MLC_CU_OK;
  argmax_k<T><<<mlc_rtcu_grid(n), MLC_CU_BLOCK, 0, ctx->stream>>>(*p, (const T *)io[MLC_ARGMAX_X],
                                                                  (int64_t *)io[MLC_ARGMAX_Y]);
  return mlc_rtcu_launched();
}

/* ---- GatherElements / ScatterElements ------------------------------------ */

/* index i as index.c reads it, made non-negative, or -1 out of range */
__device__ int64_t elems_index(const MlcElems &p, const void *idx, int64_t i) {
  return mlc_rt_wrap_index(mlc_rt_read_index(idx, p.idx_bits, i), p.axis_len);
}

template <typename W>
__global__ void gather_elements_k(MlcElems p, int64_t n, int64_t words, const void *data,
                                  const void *idx, void *y) {
  GRID_STRIDE(i, n) {
    int64_t r = i, base = 0;
    for (int d = (int)p.rank - 1; d >= 0; d--) {
      if (d != p.axis) base += r % p.dims[d] * p.strides[d];
      r /= p.dims[d];
    }
    int64_t k = elems_index(p, idx, i);
    for (int64_t w = 0; w < words; w++)
      ((W *)y)[i * words + w] =
          k < 0 ? (W)0 : ((const W *)data)[(base + k * p.strides[p.axis]) * words + w];
  }
}

/* one thread per line along the axis, applying its updates in order; an
 * item is `words` Ts (1 when reducing) */
template <typename T>
__global__ void scatter_elements_k(MlcElems p, int64_t lines, int64_t words, int64_t red,
                                   const void *idx, const void *upd, void *y) {
  const int ax = (int)p.axis;
  int64_t inner = 1; /* positions per step along the axis */
  for (int d = ax + 1; d < p.rank; d++) inner *= p.dims[d];
  GRID_STRIDE(line, lines) {
    int64_t r = line, base = 0;
    for (int d = (int)p.rank - 1; d >= 0; d--) {
      if (d == ax) continue;
      base += r % p.dims[d] * p.strides[d];
      r /= p.dims[d];
    }
    /* the line's first position: its coordinates with the axis one 0 */
    int64_t i = line / inner * p.dims[ax] * inner + line % inner;
    for (int64_t j = 0; j < p.dims[ax]; j++, i += inner) {
      int64_t k = elems_index(p, idx, i);
      if (k < 0) continue;
      T *d = (T *)y + (base + k * p.strides[ax]) * words;
      for (int64_t w = 0; w < words; w++)
        d[w] = apply_red(d[w], ((const T *)upd)[i * words + w], red);
    }
  }
}

/* ---- CumSum / CumProd ----------------------------------------------------- */

/* index.c's CUM for column (o, i): row l is row l - 1 combined with input
 * row l (inclusive) or l - 1 (exclusive), walked backwards for reverse */
template <typename T>
__global__ void cumulative_k(MlcCum p, const T *x, T *y) {
  const int64_t in = p.inner, len = p.len;
  GRID_STRIDE(t, p.outer * in) {
    const int64_t o = t / in, i = t % in;
    for (int64_t l = 0; l < len; l++) {
      int64_t at = o * len + (p.reverse ? len - 1 - l : l), prev = at + (p.reverse ? 1 : -1);
      if (l == 0) {
        y[at * in + i] = p.exclusive ? (T)p.prod : x[at * in + i];
        continue;
      }
      T a = y[prev * in + i], b = x[(p.exclusive ? prev : at) * in + i];
      y[at * in + i] = apply_red(a, b, p.prod ? (int64_t)RED_MUL : (int64_t)RED_ADD);
    }
  }
}

/* ---- Trilu ----------------------------------------------------------------- */

/* item t of row i keeps x where its column j is in index_move.c's [lo, hi);
 * k comes from the device when the model gives it as a tensor */
template <typename W>
__global__ void trilu_k(MlcTrilu p, int64_t n, int64_t words, const void *x, const int64_t *kp,
                        void *y) {
  const int64_t rows = p.rows, cols = p.cols;
  int64_t k = kp ? *kp : p.k;
  if (k < -rows) k = -rows;
  if (k > cols) k = cols;
  GRID_STRIDE(t, n) {
    int64_t j = t % cols, i = t / cols % rows, lo = 0, hi = cols, edge = i + k;
    if (p.upper)
      lo = edge < 0 ? 0 : (edge > cols ? cols : edge);
    else
      hi = edge + 1 < 0 ? 0 : (edge + 1 > cols ? cols : edge + 1);
    bool keep = j >= lo && j < hi;
    for (int64_t w = 0; w < words; w++)
      ((W *)y)[t * words + w] = keep ? ((const W *)x)[t * words + w] : (W)0;
  }
}

/* ---- OneHot ---------------------------------------------------------------- */

/* item (o, d, i) is values[1] (on) where index (o, i) is d, else values[0] */
template <typename W>
__global__ void onehot_k(MlcOneHot p, int64_t n, int64_t words, const int64_t *idx,
                         const void *values, void *y) {
  GRID_STRIDE(t, n) {
    int64_t i = t % p.inner, d = t / p.inner % p.depth, o = t / p.inner / p.depth;
    int64_t k = idx[o * p.inner + i];
    if (k < 0 && p.wrap) k += p.depth;
    const W *v = (const W *)values + (k == d ? words : 0);
    for (int64_t w = 0; w < words; w++) ((W *)y)[t * words + w] = v[w];
  }
}

} // namespace

extern "C" {

#define REDUCE_ENTRY(sfx, T)                                                      \
  int mlc_rtcu_reduce_##sfx(MlcCuCtx *ctx, const void *params, void *const *io) { \
    return reduce<T>(ctx, params, io);                                            \
  }                                                                               \
  int mlc_rtcu_argmax_##sfx(MlcCuCtx *ctx, const void *params, void *const *io) { \
    return argmax<T>(ctx, params, io);                                            \
  }
REDUCE_ENTRY(f32, float)
REDUCE_ENTRY(f64, double)
REDUCE_ENTRY(i32, int32_t)
REDUCE_ENTRY(i64, int64_t)
REDUCE_ENTRY(u8, uint8_t)
#undef REDUCE_ENTRY

int mlc_rtcu_gather_elements(MlcCuCtx *ctx, const void *params, void *const *io) {
  const MlcElems *p = (const MlcElems *)params;
  const void *data = io[MLC_GATHER_ELEMENTS_DATA];
  void *y = io[MLC_GATHER_ELEMENTS_Y];
  int64_t n = 1;
  if (p->rank < 1 || p->rank > MLC_RT_MAX_RANK || p->axis < 0 || p->axis >= p->rank)
    return MLC_CU_ERR_PARAMS;
  for (int d = 0; d < p->rank; d++) n *= p->dims[d];
  if (ctx->sizing || n <= 0 || p->elem <= 0) return MLC_CU_OK;
  int w = word_bytes(p->elem, data, y);
  LAUNCH_WORDS(w, gather_elements_k, mlc_rtcu_grid(n), ctx->stream, *p, n, p->elem / w, data,
               io[MLC_GATHER_ELEMENTS_INDICES], y)
  return mlc_rtcu_launched();
}

int mlc_rtcu_scatter_elements(MlcCuCtx *ctx, const void *params, void *const *io) {
  const MlcElems *p = (const MlcElems *)params;
  const void *data = io[MLC_SCATTER_ELEMENTS_DATA], *upd = io[MLC_SCATTER_ELEMENTS_UPDATES];
  const void *idx = io[MLC_SCATTER_ELEMENTS_INDICES];
  void *y = io[MLC_SCATTER_ELEMENTS_Y];
  int64_t e = p->elem, n = 1;
  if (p->rank < 1 || p->rank > MLC_RT_MAX_RANK || p->axis < 0 || p->axis >= p->rank)
    return MLC_CU_ERR_PARAMS;
  for (int d = 0; d < p->rank; d++) n *= p->dims[d];
  if (ctx->sizing || e <= 0) return MLC_CU_OK;
  int rc = copy_bytes(ctx, y, data, p->data_count * e);
  if (rc != MLC_CU_OK || n <= 0) return rc;
  int64_t lines = n / p->dims[p->axis];
  unsigned grid = mlc_rtcu_grid(lines);
  if (p->reduction != RED_NONE) switch (p->dtype) {
#define SCATTER_CASE(T, code)                                                              \
  case code:                                                                               \
    if (e != (int64_t)sizeof(T)) return MLC_CU_ERR_PARAMS;                                 \
    scatter_elements_k<T>                                                                  \
        <<<grid, MLC_CU_BLOCK, 0, ctx->stream>>>(*p, lines, 1, p->reduction, idx, upd, y); \
    return mlc_rtcu_launched();
      IDX_TYPES(SCATTER_CASE)
#undef SCATTER_CASE
    default: break; /* index.c copies the items of other types */
    }
  int w = word_bytes(e, upd, y);
  LAUNCH_WORDS(w, scatter_elements_k, grid, ctx->stream, *p, lines, e / w, (int64_t)RED_NONE, idx,
               upd, y)
  return mlc_rtcu_launched();
}

int mlc_rtcu_cumulative(MlcCuCtx *ctx, const void *params, void *const *io) {
  const MlcCum *p = (const MlcCum *)params;
  const void *x = io[MLC_CUMULATIVE_X];
  void *y = io[MLC_CUMULATIVE_Y];
  int64_t n = p->outer * p->inner;
  if (ctx->sizing || p->outer <= 0 || p->inner <= 0 || p->len <= 0) return MLC_CU_OK;
  switch (p->dtype) {
#define CUM_CASE(T, code)                                                                          \
  case code:                                                                                       \
    cumulative_k<T><<<mlc_rtcu_grid(n), MLC_CU_BLOCK, 0, ctx->stream>>>(*p, (const T *)x, (T *)y); \
    return mlc_rtcu_launched();
    IDX_TYPES(CUM_CASE)
#undef CUM_CASE
  default: return MLC_CU_ERR_PARAMS;
  }
}

int mlc_rtcu_trilu(MlcCuCtx *ctx, const void *params, void *const *io) {
  const MlcTrilu *p = (const MlcTrilu *)params;
  const void *x = io[MLC_TRILU_X];
  void *y = io[MLC_TRILU_Y];
  int64_t n = p->batch * p->rows * p->cols;
  if (ctx->sizing || p->batch <= 0 || p->rows <= 0 || p->cols <= 0 || p->elem <= 0)
    return MLC_CU_OK;
  int w = word_bytes(p->elem, x, y);
  LAUNCH_WORDS(w, trilu_k, mlc_rtcu_grid(n), ctx->stream, *p, n, p->elem / w, x,
               (const int64_t *)io[MLC_TRILU_K], y)
  return mlc_rtcu_launched();
}

int mlc_rtcu_onehot(MlcCuCtx *ctx, const void *params, void *const *io) {
  const MlcOneHot *p = (const MlcOneHot *)params;
  const void *values = io[MLC_ONEHOT_VALUES];
  void *y = io[MLC_ONEHOT_Y];
  int64_t n = p->outer * p->depth * p->inner;
  if (ctx->sizing || p->outer <= 0 || p->depth <= 0 || p->inner <= 0 || p->elem <= 0)
    return MLC_CU_OK;
  int w = word_bytes(p->elem, values, y);
  LAUNCH_WORDS(w, onehot_k, mlc_rtcu_grid(n), ctx->stream, *p, n, p->elem / w,
               (const int64_t *)io[MLC_ONEHOT_INDICES], values, y)
  return mlc_rtcu_launched();
}

} // extern "C"
