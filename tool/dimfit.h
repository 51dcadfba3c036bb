/* Closed forms of the integers a compile with run-time dims prints (model
 * extents, strides, loop counts as functions of the dims), found from their
 * values at sample points and checked exactly at every sample.
 *
 * The forms: a polynomial, of degree at most 2 in each dim, in one "atom"
 * per dim (the dim itself, or floor((d + c) / q): what strided convolutions
 * and pooling make of an extent), with rational coefficients over a common
 * denominator. */
#ifndef MLC_DIMFIT_H
#define MLC_DIMFIT_H

#include <stdint.h>

#include "arena.h"

#define DIMFIT_MAX_DIMS 4
#define DIMFIT_MAX_DEG 2
#define DIMFIT_MAX_TERMS 81 /* (DIMFIT_MAX_DEG + 1) ^ DIMFIT_MAX_DIMS */

typedef struct DimAtom {
  int q, c; /* floor((d + c) / q); q == 1: d itself */
} DimAtom;

typedef struct DimExpr {
  int k;                         /* dims */
  DimAtom atom[DIMFIT_MAX_DIMS]; /* one per dim */
  int deg[DIMFIT_MAX_DIMS];      /* its highest power */
  /* coefficient of prod_i atom_i^e_i, e in mixed radix (deg[i] + 1), dim 0 fastest */
  int64_t coef[DIMFIT_MAX_TERMS];
  int64_t den; /* the value is the sum over den, exactly */
} DimExpr;

int64_t dimatom_eval(DimAtom a, int64_t d);
int dimexpr_terms(const DimExpr *e);
int64_t dimexpr_eval(const DimExpr *e, const int64_t *d);

/* The atom and degree of a function of one dim from its values f[j] at the
 * distinct points d[j] (n of them, n >= 1): the simplest form that gives
 * every value. Returns 0 if none does. */
int dimfit_1d(const int64_t *d, const int64_t *f, int n, DimAtom *atom, int *deg);

/* For each dim, deg + 1 points of [lo, hi] where the atom takes distinct
 * values (the ends and the middle first): pts[i][0..deg[i]]. Returns 0 if
 * the range has too few. */
int dimfit_grid(int k, const DimAtom *atom, const int *deg, const int64_t *lo, const int64_t *hi,
                int64_t pts[][DIMFIT_MAX_DEG + 1]);

/* The coefficients of e (k, atom and deg set) from the values at the grid
 * dimfit_grid chose: vals in mixed radix (deg[i] + 1), dim 0 fastest.
 * Returns 0 if they are not rationals of a small common denominator. */
int dimfit_solve(DimExpr *e, int64_t pts[][DIMFIT_MAX_DEG + 1], const int64_t *vals);

/* e as a C expression of the int64_t variables names[i]; parenthesized
 * unless it is one name or a non-negative number */
const char *dimexpr_c(Arena *a, const DimExpr *e, const char *const *names);

#endif
