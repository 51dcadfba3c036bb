/* TfIdfVectorizer's counting (compiler/ops/tfidf.c has the semantics).
 *
 * The compiler hands over the pool as one sorted table per n-gram size, so
 * counting a row is, for every distance between tokens, every start and
 * every size that still fits in the row, one binary search for the tokens
 * there. Columns come from the table, which the compiler checked against
 * the output's width. Counts are kept in the float output (exact up to
 * 2^24 occurrences), then turned into 0 or 1 (IDF) and weighted.
 */
#include "mlc_rt.h"

static int64_t token(const void *x, int64_t bits, int64_t i) {
  return bits == 32 ? ((const int32_t *)x)[i] : ((const int64_t *)x)[i];
}

/* the column of the n tokens of x at `at`, `step` apart, among the table's
 * n-grams of size n; -1 if it has none such */
static int64_t lookup(const int64_t *tab, int64_t n, const void *x, int64_t bits, int64_t at,
                      int64_t step) {
  const int64_t *e = tab + tab[2 * n];
  int64_t lo = 0, hi = tab[2 * n + 1];
  while (lo < hi) {
    int64_t mid = lo + (hi - lo) / 2, j;
    const int64_t *m = e + mid * (n + 1);
    int c = 0;
    for (j = 0; j < n && !c; j++) {
      int64_t v = token(x, bits, at + j * step);
      c = v < m[j] ? -1 : v > m[j];
    }
    if (!c) return m[n];
    if (c < 0)
      hi = mid;
    else
      lo = mid + 1;
  }
  return -1;
}

void mlc_rt_tfidf(const void *params, void *const *io) {
  const MlcTfIdf *p = (const MlcTfIdf *)params;
  const char *x = (const char *)io[MLC_TFIDF_X];
  const int64_t *tab = (const int64_t *)io[MLC_TFIDF_TABLE];
  const double *w = (const double *)io[MLC_TFIDF_WEIGHTS];
  float *y = (float *)io[MLC_TFIDF_Y];
  size_t xs = p->x_bits == 32 ? 4 : 8;
  int64_t r, s, at, n, c;
  for (r = 0; r < p->rows; r++) {
    const void *xr = x + (size_t)(r * p->cols) * xs;
    float *yr = y + r * p->out;
    for (c = 0; c < p->out; c++) yr[c] = 0;
    for (s = 1; s <= p->skip + 1; s++) {
      /* unigrams count at the first distance only */
      int64_t first = s > 1 && p->min < 2 ? 2 : p->min;
      for (at = 0; at < p->cols; at++)
        for (n = first; n <= p->max && at + (n - 1) * s < p->cols; n++) {
          c = lookup(tab, n, xr, p->x_bits, at, s);
          if (c >= 0 && c < p->out) yr[c] += 1;
        }
    }
    for (c = 0; c < p->out; c++) {
      double v = p->idf ? yr[c] > 0 : yr[c];
      yr[c] = (float)(w ? w[c] * v : v);
    }
  }
}
