/* `mlc test`: a test's outputs against its expected ones, and the elements
 * the ONNX spec leaves undefined, which are not compared. */
#include "testcheck.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ops.h"

/* ---- comparison ------------------------------------------------------------------- */

static double elem(const Tensor *t, int64_t i) {
  Value v = {0};
  v.dtype = t->dtype;
  v.data = t->data;
  return ir_data_f64(&v, i);
}

/* 0 if equal within tolerance; else a message about the worst element */
static int compare(const Tensor *got, const Tensor *exp, const unsigned char *skip, double rtol,
                   double atol, double *max_abs, char *msg, size_t len) {
  if (got->dtype != exp->dtype) {
    snprintf(msg, len, "output '%s' is %s, expected %s", exp->name, dtype_name(got->dtype),
             dtype_name(exp->dtype));
    return 1;
  }
  int same = got->rank == exp->rank;
  int64_t n = 1;
  for (int d = 0; same && d < exp->rank; d++) {
    same = got->dims[d] == exp->dims[d];
    n *= exp->dims[d];
  }
  if (!same) {
    snprintf(msg, len, "output '%s' has the wrong shape", exp->name);
    return 1;
  }
  if (exp->dtype == DT_STRING) {
    for (int64_t i = 0; i < n; i++)
      if (strcmp(((const char *const *)got->data)[i], ((const char *const *)exp->data)[i])) {
        snprintf(msg, len, "output '%s' string [%" PRId64 "] differs", exp->name, i);
        return 1;
      }
    return 0;
  }
  int is_float = dtype_is_float(exp->dtype);
  double worst = 0;
  int64_t wi = -1;
  for (int64_t i = 0; i < n; i++) {
    if (skip && skip[i]) continue;
    double g = elem(got, i), e = elem(exp, i);
    double err;
    if (!is_float)
      err = g == e ? 0 : INFINITY;
    else if (isnan(e) || isnan(g))
      err = isnan(e) && isnan(g) ? 0 : INFINITY;
    else if (isinf(e) || isinf(g))
      err = g == e ? 0 : INFINITY;
    else {
      err = fabs(g - e) / (atol + rtol * fabs(e));
      if (fabs(g - e) > *max_abs) *max_abs = fabs(g - e);
    }
    if (err > 1 && (wi < 0 || err > worst)) {
      worst = err;
      wi = i;
    }
  }
  if (wi < 0) return 0;
  snprintf(msg, len, "output '%s'[%" PRId64 "] = %.9g, expected %.9g", exp->name, wi, elem(got, wi),
           elem(exp, wi));
  return 1;
}

/* ---- what the spec leaves undefined ---------------------------------------------------
 * A cast from floating point to an integer type is undefined where the value
 * is out of the type's range (NaN and infinities too): references differ
 * there (numpy's result changed between versions), so those elements are
 * not compared. Found for outputs a Cast or CastLike computes from a graph
 * input, as the node tests have them. */

/* [lo, hi) of an integer type, exact in double; 0 if t is no integer type */
static int int_span(DType t, double *lo, double *hi) {
  static const struct {
    DType t;
    int bits, is_signed;
  } types[] = {{DT_INT2, 2, 1},   {DT_UINT2, 2, 0},   {DT_INT4, 4, 1},   {DT_UINT4, 4, 0},
               {DT_INT8, 8, 1},   {DT_UINT8, 8, 0},   {DT_INT16, 16, 1}, {DT_UINT16, 16, 0},
               {DT_INT32, 32, 1}, {DT_UINT32, 32, 0}, {DT_INT64, 64, 1}, {DT_UINT64, 64, 0}};
  for (size_t i = 0; i < sizeof types / sizeof *types; i++)
    if (types[i].t == t) {
      *lo = types[i].is_signed ? -ldexp(1, types[i].bits - 1) : 0;
      *hi = ldexp(1, types[i].bits - types[i].is_signed);
      return 1;
    }
  return 0;
}

/* per output of g (NULL where all are defined), for the inputs `in`; the
 * count of skipped elements goes to *nskip */
unsigned char **test_undefined_elements(Arena *a, const Graph *g, Tensor *const *in,
                                        int64_t *nskip) {
  unsigned char **skip = arena_array(a, (size_t)g->noutputs + 1, sizeof *skip);
  for (int k = 0; k < g->noutputs; k++) {
    const Value *y = g->outputs[k];
    const Node *p = y->producer;
    double lo, hi;
    if (!p || (p->op != OP_Cast && p->op != OP_CastLike) || !p->in[0]->is_input ||
        !dtype_is_float(p->in[0]->dtype) || !int_span(y->dtype, &lo, &hi))
      continue;
    const Tensor *x = NULL;
    for (int i = 0; i < g->ninputs; i++)
      if (g->inputs[i] == p->in[0]) x = in[i];
    if (!x) continue;
    int64_t n = ir_numel(y);
    skip[k] = arena_array(a, (size_t)n + 1, 1);
    for (int64_t i = 0; i < n; i++) {
      double t = trunc(elem(x, i));
      if (!(t >= lo && t < hi)) { /* NaN too */
        skip[k][i] = 1;
        ++*nskip;
      }
    }
  }
  return skip;
}

static const char *kind_of(Arena *a, int none, int is_seq, int n) {
  return none ? "an empty optional" : is_seq ? arena_printf(a, "a sequence of %d", n) : "a tensor";
}

/* got: g's outputs, where a sequence output is one per element (in order)
 * and an empty optional none; each declared output against the test's */
int test_check_outputs(Arena *a, const Graph *g, Tensor **got, const DataSet *ds,
                       unsigned char *const *skip, double rtol, double atol, double *max_abs,
                       char *msg, size_t len) {
  if (ds->nout != g->ndecl_outputs) {
    snprintf(msg, len, "the test has %d outputs, the model %d", ds->nout, g->ndecl_outputs);
    return 1;
  }
  for (int k = 0, at = 0; k < g->ndecl_outputs; k++) {
    const Value *v = g->decl_outputs[k];
    const DataValue *e = ds->out[k];
    int n = v->opt_none ? 0 : v->is_seq ? v->nseq : 1;
    int en = e->none ? 0 : e->is_seq ? e->nitems : 1;
    if (v->opt_none != e->none || (!e->none && v->is_seq != e->is_seq) || n != en) {
      snprintf(msg, len, "output '%s' is %s, expected %s", v->name,
               kind_of(a, v->opt_none, v->is_seq, n), kind_of(a, e->none, e->is_seq, en));
      return 1;
    }
    for (int i = 0; i < n; i++, at++)
      if (compare(got[at], e->is_seq ? e->items[i] : e->t, skip[at], rtol, atol, max_abs, msg, len))
        return 1;
  }
  return 0;
}
