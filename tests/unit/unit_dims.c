/* The closed forms of mlc compile --dim (tool/dimfit.h): each form is found
 * from samples, gives every sample exactly, and prints as the C expression
 * people would write; what is outside the forms is refused. */
#include <stdio.h>
#include <string.h>

#include "dimfit.h"

static int fails;

#define CHECK(c)                                                   \
  do {                                                             \
    if (!(c)) {                                                    \
      fprintf(stderr, "%s:%d: FAIL %s\n", __FILE__, __LINE__, #c); \
      fails++;                                                     \
    }                                                              \
  } while (0)

typedef int64_t (*Fn)(const int64_t *d);

/* fits f over [lo, hi] (k dims) the way mlc does: 1-D along each dim with
 * the others at hi, then the grid; 1 if it fits and is exact everywhere */
static int fit(Fn f, int k, const int64_t *lo, const int64_t *hi, DimExpr *e) {
  memset(e, 0, sizeof *e);
  e->k = k;
  for (int i = 0; i < k; i++) {
    int64_t d[DIMFIT_MAX_DIMS], dv[512], fv[512];
    int n = 0;
    for (int64_t v = lo[i]; v <= hi[i] && n < 512; v++, n++) {
      memcpy(d, hi, sizeof(int64_t) * (size_t)k);
      d[i] = dv[n] = v;
      fv[n] = f(d);
    }
    if (!dimfit_1d(dv, fv, n, &e->atom[i], &e->deg[i])) return 0;
  }
  int64_t pts[DIMFIT_MAX_DIMS][DIMFIT_MAX_DEG + 1], vals[DIMFIT_MAX_TERMS];
  if (!dimfit_grid(k, e->atom, e->deg, lo, hi, pts)) return 0;
  for (int t = 0; t < dimexpr_terms(e); t++) {
    int64_t d[DIMFIT_MAX_DIMS];
    for (int i = 0, r = t; i < k; r /= e->deg[i] + 1, i++) d[i] = pts[i][r % (e->deg[i] + 1)];
    vals[t] = f(d);
  }
  if (!dimfit_solve(e, pts, vals)) return 0;
  /* every point of the box */
  int64_t d[DIMFIT_MAX_DIMS];
  memcpy(d, lo, sizeof(int64_t) * (size_t)k);
  for (;;) {
    if (dimexpr_eval(e, d) != f(d)) return 0;
    int i = 0;
    while (i < k && ++d[i] > hi[i]) d[i] = lo[i], i++;
    if (i == k) return 1;
  }
}

static int64_t f_ident(const int64_t *d) { return d[0]; }
static int64_t f_affine(const int64_t *d) { return 3 * d[0] + 2; }
static int64_t f_square(const int64_t *d) { return d[0] * d[0] * 2; }
static int64_t f_pool(const int64_t *d) { return (d[0] - 3) / 2 + 1; } /* k 3, stride 2 */
static int64_t f_twice(const int64_t *d) { return ((d[0] + 1) / 2 + 1) / 2; }
static int64_t f_strided(const int64_t *d) { return 256 * (d[0] / 4); }
static int64_t f_tri(const int64_t *d) { return d[0] * (d[0] + 1) / 2; }
static int64_t f_cube(const int64_t *d) { return d[0] * d[0] * d[0]; }
static int64_t f_mod(const int64_t *d) { return d[0] % 3; }
static int64_t f_bs(const int64_t *d) { return d[0] * d[1] * 128; }
static int64_t f_scores(const int64_t *d) { return d[0] * 2 * d[1] * d[1]; }
static int64_t f_mixed(const int64_t *d) { return d[0] * ((d[1] + 1) / 2) + 7; }
static int64_t f_joint(const int64_t *d) { return d[0] * d[1] > 20 ? 1 : 0; }

static void one_dim(void) {
  const char *names[] = {"w"};
  int64_t lo[] = {1}, hi[] = {100}, lo3[] = {3};
  DimExpr e;
  Arena *a = arena_new();
  CHECK(fit(f_ident, 1, lo, hi, &e) && !strcmp(dimexpr_c(a, &e, names), "w"));
  CHECK(fit(f_affine, 1, lo, hi, &e) && !strcmp(dimexpr_c(a, &e, names), "(3 * w + 2)"));
  CHECK(fit(f_square, 1, lo, hi, &e) && !strcmp(dimexpr_c(a, &e, names), "(2 * w * w)"));
  CHECK(fit(f_pool, 1, lo3, hi, &e) && e.atom[0].q == 2);
  CHECK(fit(f_twice, 1, lo, hi, &e) && !strcmp(dimexpr_c(a, &e, names), "((w + 3) / 4)"));
  CHECK(fit(f_strided, 1, lo, hi, &e) && !strcmp(dimexpr_c(a, &e, names), "(256 * (w / 4))"));
  /* rational coefficients over one denominator */
  CHECK(fit(f_tri, 1, lo, hi, &e) && e.den == 2 &&
        !strcmp(dimexpr_c(a, &e, names), "((w * w + w) / 2)"));
  /* outside the forms */
  CHECK(!fit(f_cube, 1, lo, hi, &e));
  CHECK(!fit(f_mod, 1, lo, hi, &e));
  arena_free(a);
}

static void two_dims(void) {
  const char *names[] = {"b", "s"};
  int64_t lo[] = {1, 1}, hi[] = {4, 128};
  DimExpr e;
  Arena *a = arena_new();
  CHECK(fit(f_bs, 2, lo, hi, &e) && !strcmp(dimexpr_c(a, &e, names), "(128 * b * s)"));
  CHECK(fit(f_scores, 2, lo, hi, &e) && !strcmp(dimexpr_c(a, &e, names), "(2 * b * s * s)"));
  CHECK(fit(f_mixed, 2, lo, hi, &e) && !strcmp(dimexpr_c(a, &e, names), "(b * ((s + 1) / 2) + 7)"));
  /* a condition on the product is no sum of products of per-dim terms */
  CHECK(!fit(f_joint, 2, lo, hi, &e));
  arena_free(a);
}

int main(void) {
  one_dim();
  two_dims();
  if (fails)
    fprintf(stderr, "%d failed\n", fails);
  else
    printf("unit_dims: all passed\n");
  return fails != 0;
}
