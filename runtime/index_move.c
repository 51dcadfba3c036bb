/* Index kernels that only move data: OneHot, Trilu, ReverseSequence and
 * TensorScatter never look at element values, so they work on items of
 * `elem` bytes and serve every dtype; NonZero only tests them against zero.
 *
 * Values that arrive at run time (OneHot's indices, Trilu's k, the sequence
 * lengths, TensorScatter's write positions) are clamped or skipped when out
 * of range, never used to address memory unchecked.
 */
#include <string.h>

#include "mlc_rt.h"

/* ---- OneHot ---------------------------------------------------------------- */

void mlc_rt_onehot(const void *params, void *const *io) {
  const MlcOneHot *p = (const MlcOneHot *)params;
  const int64_t *idx = (const int64_t *)io[MLC_ONEHOT_INDICES];
  const char *off = (const char *)io[MLC_ONEHOT_VALUES], *on = off + p->elem;
  char *y = (char *)io[MLC_ONEHOT_Y];
  int64_t o, d, i, e = p->elem;
  for (o = 0; o < p->outer; o++)
    for (d = 0; d < p->depth; d++)
      for (i = 0; i < p->inner; i++, y += e) {
        int64_t k = idx[o * p->inner + i];
        if (k < 0 && p->wrap) k += p->depth;
        memcpy(y, k == d ? on : off, (size_t)e);
      }
}

/* ---- Trilu ----------------------------------------------------------------- */

void mlc_rt_trilu(const void *params, void *const *io) {
  const MlcTrilu *p = (const MlcTrilu *)params;
  const char *x = (const char *)io[MLC_TRILU_X];
  char *y = (char *)io[MLC_TRILU_Y];
  int64_t k = io[MLC_TRILU_K] ? *(const int64_t *)io[MLC_TRILU_K] : p->k, e = p->elem, b, i;
  int64_t rows = p->rows, cols = p->cols, row = cols * e;
  /* beyond these bounds every k keeps everything or nothing */
  if (k < -rows) k = -rows;
  if (k > cols) k = cols;
  for (b = 0; b < p->batch; b++)
    for (i = 0; i < rows; i++, x += row, y += row) {
      /* columns [lo, hi) are kept */
      int64_t lo = 0, hi = cols, edge = i + k;
      if (p->upper)
        lo = edge < 0 ? 0 : (edge > cols ? cols : edge);
      else
        hi = edge + 1 < 0 ? 0 : (edge + 1 > cols ? cols : edge + 1);
      if (hi < lo) hi = lo;
      memset(y, 0, (size_t)(lo * e));
      memcpy(y + lo * e, x + lo * e, (size_t)((hi - lo) * e));
      memset(y + hi * e, 0, (size_t)((cols - hi) * e));
    }
}

/* ---- ReverseSequence ------------------------------------------------------- */

void mlc_rt_reverse_sequence(const void *params, void *const *io) {
  const MlcRevSeq *p = (const MlcRevSeq *)params;
  const char *x = (const char *)io[MLC_REVERSE_SEQUENCE_X];
  const int64_t *lens = (const int64_t *)io[MLC_REVERSE_SEQUENCE_LENGTHS];
  char *y = (char *)io[MLC_REVERSE_SEQUENCE_Y];
  int64_t pos[MLC_RT_MAX_RANK] = {0}, stride[MLC_RT_MAX_RANK], count = 1, s = 1, i;
  int r = (int)p->rank, d, ta = (int)p->time_axis, ba = (int)p->batch_axis;
  for (d = r - 1; d >= 0; d--) {
    stride[d] = s;
    s *= p->dims[d];
    count *= p->dims[d];
  }
  for (i = 0; i < count; i++) {
    int64_t len = lens[pos[ba]], t = pos[ta], src = i;
    if (len > p->dims[ta]) len = p->dims[ta];
    if (t < len) src += (len - 1 - 2 * t) * stride[ta];
    memcpy(y + i * p->elem, x + src * p->elem, (size_t)p->elem);
    for (d = r - 1; d >= 0; d--) {
      if (++pos[d] < p->dims[d]) break;
      pos[d] = 0;
    }
  }
}

/* ---- TensorScatter --------------------------------------------------------- */

void mlc_rt_tensor_scatter(const void *params, void *const *io) {
  const MlcTensorScatter *p = (const MlcTensorScatter *)params;
  const char *upd = (const char *)io[MLC_TENSOR_SCATTER_UPDATE];
  const int64_t *at = (const int64_t *)io[MLC_TENSOR_SCATTER_INDICES];
  char *y = (char *)io[MLC_TENSOR_SCATTER_Y];
  int64_t rb = p->row_bytes, r, s;
  if (y != io[MLC_TENSOR_SCATTER_CACHE] && p->pre * p->max_seq * rb > 0)
    memcpy(y, io[MLC_TENSOR_SCATTER_CACHE], (size_t)(p->pre * p->max_seq * rb));
  if (p->max_seq <= 0 || p->per_batch <= 0) return;
  for (r = 0; r < p->pre; r++) {
    int64_t first = at ? at[r / p->per_batch] : 0;
    if (p->circular)
      first %= p->max_seq;
    else if (first < 0 || first >= p->max_seq)
      continue;
    for (s = 0; s < p->seq; s++) {
      int64_t t = first + s;
      if (p->circular)
        t = (t % p->max_seq + p->max_seq) % p->max_seq;
      else if (t >= p->max_seq)
        break;
      memcpy(y + (r * p->max_seq + t) * rb, upd + (r * p->seq + s) * rb, (size_t)rb);
    }
  }
}

/* ---- NonZero at run time --------------------------------------------------- */

/* element i of a tensor of MLC_DT_* t is not zero: floats compare as values
 * (-0 is zero, NaN is not), float16/bfloat16 by their bits, the rest byte by
 * byte */
static int is_nonzero(const unsigned char *x, int64_t i, int64_t t, int64_t size) {
  const unsigned char *p = x + i * size;
  if (t == MLC_DT_FLOAT) {
    float f;
    memcpy(&f, p, sizeof f);
    return f != 0;
  }
  if (t == MLC_DT_DOUBLE) {
    double d;
    memcpy(&d, p, sizeof d);
    return d != 0;
  }
  if (t == MLC_DT_FLOAT16 || t == MLC_DT_BFLOAT16) return ((p[0] | p[1] << 8) & 0x7fff) != 0;
  for (int64_t b = 0; b < size; b++)
    if (p[b]) return 1;
  return 0;
}

void mlc_rt_nonzero(const void *params, void *const *io) {
  const MlcNonZero *p = (const MlcNonZero *)params;
  const unsigned char *x = (const unsigned char *)io[MLC_NONZERO_X];
  int64_t *y = (int64_t *)io[MLC_NONZERO_Y], *nnz = (int64_t *)io[MLC_NONZERO_NNZ];
  int64_t size =
      p->dtype == MLC_DT_DOUBLE || p->dtype == MLC_DT_INT64 || p->dtype == MLC_DT_UINT64  ? 8
      : p->dtype == MLC_DT_FLOAT || p->dtype == MLC_DT_INT32 || p->dtype == MLC_DT_UINT32 ? 4
      : p->dtype == MLC_DT_FLOAT16 || p->dtype == MLC_DT_BFLOAT16 || p->dtype == MLC_DT_INT16 ||
              p->dtype == MLC_DT_UINT16
          ? 2
          : 1;
  int64_t n = 0, rank = p->rank ? p->rank : 1;
  for (int64_t i = 0; i < p->count; i++) n += is_nonzero(x, i, p->dtype, size);
  int64_t j = 0;
  for (int64_t i = 0; i < p->count; i++) {
    if (!is_nonzero(x, i, p->dtype, size)) continue;
    int64_t rest = i;
    for (int64_t d = rank - 1; d >= 0; d--) {
      int64_t extent = p->rank ? p->dims[d] : 1;
      y[d * n + j] = extent ? rest % extent : 0;
      rest = extent ? rest / extent : 0;
    }
    j++;
  }
  *nnz = n;
}
