/* Index kernels that compute: GatherElements/ScatterElements and
 * GatherND/ScatterND (the scatters reduce), CumSum/CumProd, TopK, Det and
 * Einsum. The pure data movers (OneHot, Trilu, ReverseSequence,
 * TensorScatter) are in index_move.c.
 *
 * The gathers and scatters of a family share their index walk: a gather
 * copies data[offset(i)] to y[i]; a scatter first copies data to y, then
 * combines updates[i] into y[offset(i)] in the order of the indices, so
 * duplicate indices with reduction "none" leave the last update. Negative
 * indices count from the end. An index still out of range is skipped by a
 * scatter and yields zero bytes in a gather: a bad index at run time never
 * reads or writes outside a tensor (the compiler rejects constant ones).
 *
 * Kernels that compute take the element type as an MLC_DT_* code and
 * dispatch to code generated per C type from the one list IDX_TYPES;
 * float16 and bfloat16 are widened to float by the compiler around the call.
 * Integer arithmetic goes through uint64_t so that overflow wraps (as numpy
 * does) instead of being undefined.
 */
#include <math.h>
#include <string.h>

#include "mlc_rt.h"

enum { RED_NONE, RED_ADD, RED_MUL, RED_MAX, RED_MIN }; /* MlcElems.reduction */

/* X(suffix, C type, MLC_DT_ code, F for floating point or I for integer) */
#define IDX_TYPES(X)                 \
  X(f32, float, MLC_DT_FLOAT, F)     \
  X(f64, double, MLC_DT_DOUBLE, F)   \
  X(i8, int8_t, MLC_DT_INT8, I)      \
  X(i16, int16_t, MLC_DT_INT16, I)   \
  X(i32, int32_t, MLC_DT_INT32, I)   \
  X(i64, int64_t, MLC_DT_INT64, I)   \
  X(u8, uint8_t, MLC_DT_UINT8, I)    \
  X(u16, uint16_t, MLC_DT_UINT16, I) \
  X(u32, uint32_t, MLC_DT_UINT32, I) \
  X(u64, uint64_t, MLC_DT_UINT64, I)

#define F_ADD(T, a, b) ((T)((a) + (b)))
#define I_ADD(T, a, b) ((T)((uint64_t)(a) + (uint64_t)(b)))
#define F_MUL(T, a, b) ((T)((a) * (b)))
#define I_MUL(T, a, b) ((T)((uint64_t)(a) * (uint64_t)(b)))
#define F_NAN(x) ((x) != (x))
#define I_NAN(x) 0

/* ---- scatter reductions ------------------------------------------------ */

typedef void (*apply_fn)(void *dst, const void *src, int64_t n, int64_t red);

/* dst[j] = red(dst[j], src[j]); max and min keep dst unless src compares
 * above (below) it, like the reference's Python max/min */
#define APPLY(sfx, T, code, K)                                                  \
  static void apply_##sfx(void *dst, const void *src, int64_t n, int64_t red) { \
    T *d = (T *)dst;                                                            \
    const T *s = (const T *)src;                                                \
    int64_t j;                                                                  \
    for (j = 0; j < n; j++) switch (red) {                                      \
      case RED_ADD: d[j] = K##_ADD(T, d[j], s[j]); break;                       \
      case RED_MUL: d[j] = K##_MUL(T, d[j], s[j]); break;                       \
      case RED_MAX:                                                             \
        if (s[j] > d[j]) d[j] = s[j];                                           \
        break;                                                                  \
      case RED_MIN:                                                             \
        if (s[j] < d[j]) d[j] = s[j];                                           \
        break;                                                                  \
      default: d[j] = s[j];                                                     \
      }                                                                         \
  }
IDX_TYPES(APPLY)
#undef APPLY

/* NULL for reduction "none" (a plain copy of bytes) or an unknown type */
static apply_fn apply_for(int64_t dtype, int64_t red) {
  if (red == RED_NONE) return NULL;
  switch (dtype) {
#define CASE(sfx, T, code, K) \
  case code: return apply_##sfx;
    IDX_TYPES(CASE)
#undef CASE
  default: return NULL;
  }
}

static void put(char *dst, const char *src, int64_t n, int64_t elem, apply_fn f, int64_t red) {
  if (f)
    f(dst, src, n, red);
  else
    memcpy(dst, src, (size_t)(n * elem));
}

static void copy_input(void *y, const void *x, int64_t bytes) {
  if (y != x && bytes > 0) memcpy(y, x, (size_t)bytes);
}

/* ---- GatherElements / ScatterElements ---------------------------------- */

/* The walk over the indices' positions in row-major order; `base` is the
 * data offset of the position with its axis coordinate left out. */
typedef struct ElemsWalk {
  int64_t pos[MLC_RT_MAX_RANK], base, count;
} ElemsWalk;

static void elems_start(const MlcElems *p, ElemsWalk *w) {
  int d;
  memset(w, 0, sizeof *w);
  w->count = 1;
  for (d = 0; d < p->rank; d++) w->count *= p->dims[d];
}

/* the data offset that index i selects (the walk is at i), or -1 */
static int64_t elems_offset(const MlcElems *p, const ElemsWalk *w, const void *idx, int64_t i) {
  int64_t k = mlc_rt_wrap_index(mlc_rt_read_index(idx, p->idx_bits, i), p->axis_len);
  return k < 0 ? -1 : w->base + k * p->strides[p->axis];
}

static void elems_next(const MlcElems *p, ElemsWalk *w) {
  int d;
  for (d = (int)p->rank - 1; d >= 0; d--) {
    int64_t s = d == p->axis ? 0 : p->strides[d];
    w->base += s;
    if (++w->pos[d] < p->dims[d]) return;
    w->base -= s * p->dims[d];
    w->pos[d] = 0;
  }
}

void mlc_rt_gather_elements(const void *params, void *const *io) {
  const MlcElems *p = (const MlcElems *)params;
  const char *data = (const char *)io[MLC_GATHER_ELEMENTS_DATA];
  char *y = (char *)io[MLC_GATHER_ELEMENTS_Y];
  int64_t e = p->elem, i, off;
  ElemsWalk w;
  for (elems_start(p, &w), i = 0; i < w.count; i++, elems_next(p, &w)) {
    off = elems_offset(p, &w, io[MLC_GATHER_ELEMENTS_INDICES], i);
    if (off < 0)
      memset(y + i * e, 0, (size_t)e);
    else
      memcpy(y + i * e, data + off * e, (size_t)e);
  }
}

void mlc_rt_scatter_elements(const void *params, void *const *io) {
  const MlcElems *p = (const MlcElems *)params;
  const char *upd = (const char *)io[MLC_SCATTER_ELEMENTS_UPDATES];
  char *y = (char *)io[MLC_SCATTER_ELEMENTS_Y];
  apply_fn f = apply_for(p->dtype, p->reduction);
  int64_t e = p->elem, i, off;
  ElemsWalk w;
  copy_input(y, io[MLC_SCATTER_ELEMENTS_DATA], p->data_count * e);
  for (elems_start(p, &w), i = 0; i < w.count; i++, elems_next(p, &w)) {
    off = elems_offset(p, &w, io[MLC_SCATTER_ELEMENTS_INDICES], i);
    if (off >= 0) put(y + off * e, upd + i * e, 1, e, f, p->reduction);
  }
}

/* ---- GatherND / ScatterND ---------------------------------------------- */

void mlc_rt_gather_nd(const void *params, void *const *io) {
  const MlcND *p = (const MlcND *)params;
  const char *data = (const char *)io[MLC_GATHER_ND_DATA];
  char *y = (char *)io[MLC_GATHER_ND_Y];
  int64_t sb = p->slice * p->elem, b, t;
  for (b = 0; b < p->batch; b++)
    for (t = 0; t < p->nidx; t++, y += sb) {
      int64_t off = mlc_rt_nd_offset(p, (const int64_t *)io[MLC_GATHER_ND_INDICES], b, t);
      if (off < 0)
        memset(y, 0, (size_t)sb);
      else
        memcpy(y, data + off * p->elem, (size_t)sb);
    }
}

void mlc_rt_scatter_nd(const void *params, void *const *io) {
  const MlcND *p = (const MlcND *)params;
  const char *upd = (const char *)io[MLC_SCATTER_ND_UPDATES];
  char *y = (char *)io[MLC_SCATTER_ND_Y];
  apply_fn f = apply_for(p->dtype, p->reduction);
  int64_t sb = p->slice * p->elem, b, t;
  copy_input(y, io[MLC_SCATTER_ND_DATA], p->data_count * p->elem);
  for (b = 0; b < p->batch; b++)
    for (t = 0; t < p->nidx; t++, upd += sb) {
      int64_t off = mlc_rt_nd_offset(p, (const int64_t *)io[MLC_SCATTER_ND_INDICES], b, t);
      if (off >= 0) put(y + off * p->elem, upd, p->slice, p->elem, f, p->reduction);
    }
}

/* ---- CumSum / CumProd ------------------------------------------------------ */

/* Row l of the output is row l-1 combined with input row l (inclusive) or
 * l-1 (exclusive); rows are walked in reverse for `reverse`. */
#define CUM(sfx, T, code, K)                                                           \
  static void cum_##sfx(const MlcCum *p, const T *x, T *y) {                           \
    const int64_t in = p->inner, len = p->len;                                         \
    int64_t o, l, i;                                                                   \
    for (o = 0; o < p->outer; o++)                                                     \
      for (l = 0; l < len; l++) {                                                      \
        int64_t at = o * len + (p->reverse ? len - 1 - l : l);                         \
        int64_t prev = at + (p->reverse ? 1 : -1);                                     \
        T *yr = y + at * in;                                                           \
        if (l == 0) {                                                                  \
          /* exclusive: the identity, which is the value of prod (0 or 1) */           \
          for (i = 0; i < in; i++) yr[i] = p->exclusive ? (T)p->prod : x[at * in + i]; \
          continue;                                                                    \
        }                                                                              \
        {                                                                              \
          const T *xr = x + (p->exclusive ? prev : at) * in, *yp = y + prev * in;      \
          for (i = 0; i < in; i++)                                                     \
            yr[i] = p->prod ? K##_MUL(T, yp[i], xr[i]) : K##_ADD(T, yp[i], xr[i]);     \
        }                                                                              \
      }                                                                                \
  }
IDX_TYPES(CUM)
#undef CUM

void mlc_rt_cumulative(const void *params, void *const *io) {
  const MlcCum *p = (const MlcCum *)params;
  const void *x = io[MLC_CUMULATIVE_X];
  void *y = io[MLC_CUMULATIVE_Y];
  switch (p->dtype) {
#define CASE(sfx, T, code, K) \
  case code: cum_##sfx(p, (const T *)x, (T *)y); break;
    IDX_TYPES(CASE)
#undef CASE
  default: break;
  }
}

/* ---- TopK ------------------------------------------------------------------- */

/* does element a of the line come before element b? */
typedef int (*before_fn)(const void *line, int64_t inner, int64_t a, int64_t b, int64_t largest);

#define BEFORE(sfx, T, code, K)                                                  \
  static int before_##sfx(const void *line, int64_t inner, int64_t a, int64_t b, \
                          int64_t largest) {                                     \
    T va = ((const T *)line)[a * inner], vb = ((const T *)line)[b * inner];      \
    int na = K##_NAN(va), nb = K##_NAN(vb);                                      \
    if (na || nb) {                                                              \
      if (na && nb) return a < b;                                                \
      return largest ? na : nb;                                                  \
    }                                                                            \
    if (va != vb) return largest ? va > vb : va < vb;                            \
    return a < b;                                                                \
  }
IDX_TYPES(BEFORE)
#undef BEFORE

/* bottom-up merge sort of n positions; tmp holds n more */
static void merge_sort(int64_t *v, int64_t *tmp, int64_t n, before_fn before, const void *line,
                       int64_t inner, int64_t largest) {
  int64_t w, lo, *src = v, *dst = tmp, *t;
  for (w = 1; w < n; w *= 2) {
    for (lo = 0; lo < n; lo += 2 * w) {
      int64_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
      int64_t i = lo, j = mid, o = lo;
      while (i < mid && j < hi)
        dst[o++] = before(line, inner, src[j], src[i], largest) ? src[j++] : src[i++];
      while (i < mid) dst[o++] = src[i++];
      while (j < hi) dst[o++] = src[j++];
    }
    t = src;
    src = dst;
    dst = t;
  }
  if (src != v) memcpy(v, src, (size_t)n * sizeof *v);
}

void mlc_rt_topk(const void *params, void *const *io) {
  const MlcTopK *p = (const MlcTopK *)params;
  const char *x = (const char *)io[MLC_TOPK_X];
  char *vals = (char *)io[MLC_TOPK_VALUES];
  int64_t *inds = (int64_t *)io[MLC_TOPK_INDICES], *order = (int64_t *)io[MLC_TOPK_SCRATCH];
  int64_t len = p->len, in = p->inner, k = p->k < p->len ? p->k : p->len, o, i, j;
  size_t e;
  before_fn before;
  switch (p->dtype) {
#define CASE(sfx, T, code, K) \
  case code:                  \
    before = before_##sfx;    \
    e = sizeof(T);            \
    break;
    IDX_TYPES(CASE)
#undef CASE
  default: return;
  }
  for (o = 0; o < p->outer; o++)
    for (i = 0; i < in; i++) {
      const char *line = x + ((o * len) * in + i) * (int64_t)e;
      for (j = 0; j < len; j++) order[j] = j;
      merge_sort(order, order + len, len, before, line, in, p->largest);
      for (j = 0; j < k; j++) {
        int64_t at = (o * p->k + j) * in + i;
        memcpy(vals + at * (int64_t)e, line + order[j] * in * (int64_t)e, e);
        inds[at] = order[j];
      }
    }
}

/* ---- Det ------------------------------------------------------------------- */

/* a holds the n x n matrix; it is destroyed */
static double lu_det(double *a, int64_t n) {
  double det = 1;
  int64_t c, r, j;
  for (c = 0; c < n; c++) {
    int64_t piv = c;
    for (r = c + 1; r < n; r++)
      if (fabs(a[r * n + c]) > fabs(a[piv * n + c])) piv = r;
    if (a[piv * n + c] == 0) return 0;
    if (piv != c) {
      for (j = 0; j < n; j++) {
        double t = a[c * n + j];
        a[c * n + j] = a[piv * n + j];
        a[piv * n + j] = t;
      }
      det = -det;
    }
    det *= a[c * n + c];
    for (r = c + 1; r < n; r++) {
      double f = a[r * n + c] / a[c * n + c];
      for (j = c + 1; j < n; j++) a[r * n + j] -= f * a[c * n + j];
    }
  }
  return det;
}

void mlc_rt_det(const void *params, void *const *io) {
  const MlcDet *p = (const MlcDet *)params;
  double *a = (double *)io[MLC_DET_SCRATCH];
  int64_t nn = p->n * p->n, b, j;
  for (b = 0; b < p->batch; b++) {
    if (p->dtype == MLC_DT_FLOAT) {
      const float *x = (const float *)io[MLC_DET_X] + b * nn;
      for (j = 0; j < nn; j++) a[j] = x[j];
      ((float *)io[MLC_DET_Y])[b] = (float)lu_det(a, p->n);
    } else {
      const double *x = (const double *)io[MLC_DET_X] + b * nn;
      for (j = 0; j < nn; j++) a[j] = x[j];
      ((double *)io[MLC_DET_Y])[b] = lu_det(a, p->n);
    }
  }
}

/* ---- Inverse ---------------------------------------------------------------- */

/* [a | e] -> [1 | a^-1] by Gauss-Jordan with partial pivoting: a and e are
 * n x n, e starts as the identity; a zero pivot divides on into inf/NaN */
static void gauss_jordan(double *a, double *e, int64_t n) {
  int64_t c, r, j;
  for (c = 0; c < n; c++) {
    int64_t piv = c;
    for (r = c + 1; r < n; r++)
      if (fabs(a[r * n + c]) > fabs(a[piv * n + c])) piv = r;
    if (piv != c)
      for (j = 0; j < n; j++) {
        double t = a[c * n + j];
        a[c * n + j] = a[piv * n + j];
        a[piv * n + j] = t;
        t = e[c * n + j];
        e[c * n + j] = e[piv * n + j];
        e[piv * n + j] = t;
      }
    double inv = 1 / a[c * n + c];
    for (j = 0; j < n; j++) {
      a[c * n + j] *= inv;
      e[c * n + j] *= inv;
    }
    for (r = 0; r < n; r++) {
      double f = a[r * n + c];
      if (r == c || f == 0) continue;
      for (j = 0; j < n; j++) {
        a[r * n + j] -= f * a[c * n + j];
        e[r * n + j] -= f * e[c * n + j];
      }
    }
  }
}

void mlc_rt_inverse(const void *params, void *const *io) {
  const MlcInverse *p = (const MlcInverse *)params;
  int64_t nn = p->n * p->n, b, j;
  double *a = (double *)io[MLC_INVERSE_SCRATCH], *e = a + nn;
  for (b = 0; b < p->batch; b++) {
    for (j = 0; j < nn; j++) {
      a[j] = p->dtype == MLC_DT_FLOAT ? ((const float *)io[MLC_INVERSE_X])[b * nn + j]
                                      : ((const double *)io[MLC_INVERSE_X])[b * nn + j];
      e[j] = j % (p->n + 1) == 0;
    }
    gauss_jordan(a, e, p->n);
    for (j = 0; j < nn; j++) {
      if (p->dtype == MLC_DT_FLOAT)
        ((float *)io[MLC_INVERSE_Y])[b * nn + j] = (float)e[j];
      else
        ((double *)io[MLC_INVERSE_Y])[b * nn + j] = e[j];
    }
  }
}

/* ---- Einsum ---------------------------------------------------------------- */

/* The innermost dim runs as one loop; a dim the output does not have (so 0)
 * sums into a register first. A missing b reads a one with strides 0. */
#define EINSUM(sfx, T, code, K)                                                                    \
  static void einsum_##sfx(const MlcEinsum *p, const T *a, const T *b, T *y) {                     \
    static const T one = 1;                                                                        \
    int64_t zero[MLC_RT_MAX_RANK] = {0}, idx[MLC_RT_MAX_RANK] = {0};                               \
    const int64_t *sb = b ? p->sb : zero;                                                          \
    int64_t oa = 0, ob = 0, oy = 0, n = 1, ia = 0, ib = 0, iy = 0, j;                              \
    int r = (int)p->rank, d;                                                                       \
    for (j = 0; j < p->count; j++) y[j] = 0;                                                       \
    if (!b) b = &one;                                                                              \
    for (d = 0; d < r; d++)                                                                        \
      if (p->dims[d] <= 0) return;                                                                 \
    if (r > 0) {                                                                                   \
      n = p->dims[r - 1];                                                                          \
      ia = p->sa[r - 1];                                                                           \
      ib = sb[r - 1];                                                                              \
      iy = p->so[r - 1];                                                                           \
    }                                                                                              \
    for (;;) {                                                                                     \
      if (iy == 0) {                                                                               \
        T acc = 0;                                                                                 \
        for (j = 0; j < n; j++) acc = K##_ADD(T, acc, K##_MUL(T, a[oa + j * ia], b[ob + j * ib])); \
        y[oy] = K##_ADD(T, y[oy], acc);                                                            \
      } else {                                                                                     \
        for (j = 0; j < n; j++)                                                                    \
          y[oy + j * iy] = K##_ADD(T, y[oy + j * iy], K##_MUL(T, a[oa + j * ia], b[ob + j * ib])); \
      }                                                                                            \
      for (d = r - 2; d >= 0; d--) {                                                               \
        oa += p->sa[d];                                                                            \
        ob += sb[d];                                                                               \
        oy += p->so[d];                                                                            \
        if (++idx[d] < p->dims[d]) break;                                                          \
        oa -= p->sa[d] * p->dims[d];                                                               \
        ob -= sb[d] * p->dims[d];                                                                  \
        oy -= p->so[d] * p->dims[d];                                                               \
        idx[d] = 0;                                                                                \
      }                                                                                            \
      if (d < 0) return;                                                                           \
    }                                                                                              \
  }
IDX_TYPES(EINSUM)
#undef EINSUM

void mlc_rt_einsum(const void *params, void *const *io) {
  const MlcEinsum *p = (const MlcEinsum *)params;
  const void *a = io[MLC_EINSUM_A], *b = io[MLC_EINSUM_B];
  void *y = io[MLC_EINSUM_Y];
  switch (p->dtype) {
#define CASE(sfx, T, code, K) \
  case code: einsum_##sfx(p, (const T *)a, (const T *)b, (T *)y); break;
    IDX_TYPES(CASE)
#undef CASE
  default: break;
  }
}
