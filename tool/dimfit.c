/* Fitting closed forms to the integers of a compile with run-time dims
 * (dimfit.h). Coefficients are solved in double on a small grid and then
 * rounded to integers over a common denominator; every candidate is then
 * checked exactly, in 128-bit integers, so rounding can only make a fit
 * fail, never make a wrong one pass. */
#include "dimfit.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define DEN_MAX 720 /* 6!: the denominators low-degree interpolation makes */
#define Q_MAX 64    /* the largest floor divisor tried (a total stride) */

int64_t dimatom_eval(DimAtom a, int64_t d) { return a.q == 1 ? d : (d + a.c) / a.q; }

int dimexpr_terms(const DimExpr *e) {
  int t = 1;
  for (int i = 0; i < e->k; i++) t *= e->deg[i] + 1;
  return t;
}

/* sum of the terms at d, times nothing: the caller compares with den * f */
static __int128 eval_num(const DimExpr *e, const int64_t *d) {
  __int128 pw[DIMFIT_MAX_DIMS][DIMFIT_MAX_DEG + 1];
  for (int i = 0; i < e->k; i++) {
    pw[i][0] = 1;
    for (int p = 1; p <= e->deg[i]; p++) pw[i][p] = pw[i][p - 1] * dimatom_eval(e->atom[i], d[i]);
  }
  __int128 s = 0;
  for (int t = 0, n = dimexpr_terms(e); t < n; t++) {
    if (!e->coef[t]) continue;
    __int128 m = e->coef[t];
    for (int i = 0, r = t; i < e->k; r /= e->deg[i] + 1, i++) m *= pw[i][r % (e->deg[i] + 1)];
    s += m;
  }
  return s;
}

int64_t dimexpr_eval(const DimExpr *e, const int64_t *d) {
  return (int64_t)(eval_num(e, d) / e->den);
}

/* monomial coefficients of the polynomial through (u[j], y[j]), j < m <= 3,
 * the u distinct: Gaussian elimination on the Vandermonde matrix */
static void interp(const double *u, const double *y, int m, double *coef) {
  double a[DIMFIT_MAX_DEG + 1][DIMFIT_MAX_DEG + 2];
  for (int r = 0; r < m; r++) {
    double p = 1;
    for (int c = 0; c < m; c++, p *= u[r]) a[r][c] = p;
    a[r][m] = y[r];
  }
  for (int c = 0; c < m; c++) {
    int piv = c;
    for (int r = c + 1; r < m; r++)
      if (fabs(a[r][c]) > fabs(a[piv][c])) piv = r;
    for (int j = 0; j <= m; j++) {
      double t = a[c][j];
      a[c][j] = a[piv][j];
      a[piv][j] = t;
    }
    for (int r = 0; r < m; r++) {
      if (r == c) continue;
      double f = a[r][c] / a[c][c];
      for (int j = c; j <= m; j++) a[r][j] -= f * a[c][j];
    }
  }
  for (int r = 0; r < m; r++) coef[r] = a[r][m] / a[r][r];
}

/* the smallest denominator that makes every coefficient an integer, and
 * those integers; 0 if none up to DEN_MAX does */
static int64_t to_integers(const double *c, int n, int64_t *out) {
  for (int64_t den = 1; den <= DEN_MAX; den++) {
    int ok = 1;
    for (int t = 0; t < n && ok; t++) {
      double x = c[t] * (double)den, r = nearbyint(x);
      ok = fabs(x - r) <= 1e-6 * fmax(1.0, fabs(x)) && fabs(r) < 9e15;
    }
    if (!ok) continue;
    for (int t = 0; t < n; t++) out[t] = (int64_t)nearbyint(c[t] * (double)den);
    return den;
  }
  return 0;
}

/* index of a point whose atom value differs from those at i and j, nearest
 * the middle of d[0..n); -1 if none */
static int middle_distinct(const int64_t *u, int n, int i, int j) {
  for (int s = 0; s <= n / 2; s++)
    for (int sign = -1; sign <= 1; sign += 2) {
      int m = n / 2 + sign * s;
      if (m >= 0 && m < n && u[m] != u[i] && u[m] != u[j]) return m;
    }
  return -1;
}

/* tries atom a at degree deg on the samples; fills e on success */
static int try_1d(const int64_t *d, const int64_t *f, int n, DimAtom a, int deg, DimExpr *e) {
  int64_t u[512];
  if (n > 512) return 0;
  for (int j = 0; j < n; j++) u[j] = dimatom_eval(a, d[j]);
  int pick[DIMFIT_MAX_DEG + 1] = {n - 1, 0, -1};
  if (deg >= 1 && u[0] == u[n - 1]) return 0;
  if (deg == 2 && (pick[2] = middle_distinct(u, n, 0, n - 1)) < 0) return 0;
  double uu[DIMFIT_MAX_DEG + 1], yy[DIMFIT_MAX_DEG + 1], c[DIMFIT_MAX_DEG + 1];
  for (int r = 0; r <= deg; r++) uu[r] = (double)u[pick[r]], yy[r] = (double)f[pick[r]];
  interp(uu, yy, deg + 1, c);
  memset(e, 0, sizeof *e);
  e->k = 1;
  e->atom[0] = a;
  e->deg[0] = deg;
  if (!(e->den = to_integers(c, deg + 1, e->coef))) return 0;
  for (int j = 0; j < n; j++)
    if (eval_num(e, &d[j]) != (__int128)e->den * f[j]) return 0;
  return 1;
}

int dimfit_1d(const int64_t *d, const int64_t *f, int n, DimAtom *atom, int *deg) {
  DimExpr e;
  for (int g = 0; g <= DIMFIT_MAX_DEG; g++)
    if (try_1d(d, f, n, (DimAtom){1, 0}, g, &e)) {
      *atom = e.atom[0];
      *deg = g;
      return 1;
    }
  for (int g = 1; g <= DIMFIT_MAX_DEG; g++)
    for (int q = 2; q <= Q_MAX; q++)
      for (int c = 0; c < q; c++)
        if (try_1d(d, f, n, (DimAtom){q, c}, g, &e)) {
          *atom = e.atom[0];
          *deg = g;
          return 1;
        }
  return 0;
}

int dimfit_grid(int k, const DimAtom *atom, const int *deg, const int64_t *lo, const int64_t *hi,
                int64_t pts[][DIMFIT_MAX_DEG + 1]) {
  for (int i = 0; i < k; i++) {
    pts[i][0] = hi[i];
    if (deg[i] >= 1) {
      pts[i][1] = lo[i];
      if (dimatom_eval(atom[i], lo[i]) == dimatom_eval(atom[i], hi[i])) return 0;
    }
    if (deg[i] == 2) {
      int64_t mid = lo[i] + (hi[i] - lo[i]) / 2, found = -1;
      int64_t ulo = dimatom_eval(atom[i], lo[i]), uhi = dimatom_eval(atom[i], hi[i]);
      for (int64_t s = 0; found < 0 && (mid - s >= lo[i] || mid + s <= hi[i]); s++)
        for (int sign = -1; sign <= 1 && found < 0; sign += 2) {
          int64_t m = mid + sign * s;
          int64_t um = m >= lo[i] && m <= hi[i] ? dimatom_eval(atom[i], m) : ulo;
          if (um != ulo && um != uhi) found = m;
        }
      if (found < 0) return 0;
      pts[i][2] = found;
    }
  }
  return 1;
}

int dimfit_solve(DimExpr *e, int64_t pts[][DIMFIT_MAX_DEG + 1], const int64_t *vals) {
  int n = dimexpr_terms(e);
  double c[DIMFIT_MAX_TERMS];
  for (int t = 0; t < n; t++) c[t] = (double)vals[t];
  /* the tensor-product system is solved one axis at a time */
  for (int i = 0, stride = 1; i < e->k; stride *= e->deg[i] + 1, i++) {
    int m = e->deg[i] + 1;
    double u[DIMFIT_MAX_DEG + 1], y[DIMFIT_MAX_DEG + 1], r[DIMFIT_MAX_DEG + 1];
    for (int p = 0; p < m; p++) u[p] = (double)dimatom_eval(e->atom[i], pts[i][p]);
    for (int t = 0; t < n; t++) {
      if ((t / stride) % m) continue; /* one fiber per start */
      for (int p = 0; p < m; p++) y[p] = c[t + p * stride];
      interp(u, y, m, r);
      for (int p = 0; p < m; p++) c[t + p * stride] = r[p];
    }
  }
  if (!(e->den = to_integers(c, n, e->coef))) return 0;
  /* exact at the grid itself */
  for (int t = 0; t < n; t++) {
    int64_t d[DIMFIT_MAX_DIMS];
    for (int i = 0, r = t; i < e->k; r /= e->deg[i] + 1, i++) d[i] = pts[i][r % (e->deg[i] + 1)];
    if (eval_num(e, d) != (__int128)e->den * vals[t]) return 0;
  }
  return 1;
}

static void put_atom(char *buf, size_t cap, DimAtom a, const char *name) {
  if (a.q == 1)
    snprintf(buf, cap, "%s", name);
  else if (a.c)
    snprintf(buf, cap, "((%s + %d) / %d)", name, a.c, a.q);
  else
    snprintf(buf, cap, "(%s / %d)", name, a.q);
}

const char *dimexpr_c(Arena *a, const DimExpr *e, const char *const *names) {
  char atoms[DIMFIT_MAX_DIMS][160];
  for (int i = 0; i < e->k; i++) put_atom(atoms[i], sizeof atoms[i], e->atom[i], names[i]);
  char *s = arena_printf(a, "%s", "");
  int nterms = 0;
  /* highest powers first reads as people write polynomials */
  for (int t = dimexpr_terms(e) - 1; t >= 0; t--) {
    int64_t c = e->coef[t];
    if (!c) continue;
    char *m = arena_printf(a, "%s", "");
    int natoms = 0;
    for (int i = 0, r = t; i < e->k; r /= e->deg[i] + 1, i++)
      for (int p = 0; p < r % (e->deg[i] + 1); p++, natoms++)
        m = arena_printf(a, "%s%s%s", m, natoms ? " * " : "", atoms[i]);
    uint64_t mag = c < 0 ? (uint64_t)0 - (uint64_t)c : (uint64_t)c;
    const char *sign = c < 0 ? (nterms ? " - " : "-") : (nterms ? " + " : "");
    if (!natoms)
      s = arena_printf(a, "%s%s%" PRIu64, s, sign, mag);
    else if (mag == 1)
      s = arena_printf(a, "%s%s%s", s, sign, m);
    else
      s = arena_printf(a, "%s%s%" PRIu64 " * %s", s, sign, mag, m);
    nterms++;
  }
  if (!nterms) return "0";
  if (e->den != 1) return arena_printf(a, "((%s) / %" PRId64 ")", s, e->den);
  if (!strpbrk(s, " -")) return s; /* one name or number */
  for (int i = 0; i < e->k; i++)
    if (!strcmp(s, atoms[i])) return s; /* one atom, in its parentheses */
  return arena_printf(a, "(%s)", s);
}
