/* NonZero and Unique: index ops whose outputs' shapes depend on the input's
 * values. mlc compiles static shapes: Unique's input must be known at
 * compile time, and infer writes its outputs as data; NonZero of an input
 * known at run time only writes an upper-bound buffer and the actual count
 * (infer_dynamic).
 */
#include <string.h>

#include "diag.h"
#include "infer.h"
#include "ops.h"

/* ---- NonZero -------------------------------------------------------------------- */

/* x's elements [at, at + count) as doubles (count <= 1024): the runtime's
 * cast, so -0.0 is zero and NaN is not */
static void as_doubles(const Value *x, int64_t at, int64_t count, double *out) {
  MlcCast p = {count, x->dtype, DT_DOUBLE, 0};
  void *io[MLC_CAST_NIO] = {
      [MLC_CAST_X] = (char *)x->data + (size_t)at * dtype_size(x->dtype), [MLC_CAST_Y] = out};
  mlc_rt_cast(&p, io);
}

#define CHUNK 1024

void infer_NonZero(Graph *g, Node *n) {
  const Value *x = n->in[0];
  Value *y = n->out[0];
  if (!dtype_castable(x->dtype))
    diag_node_fatal(n, "NonZero of %s is not supported", dtype_name(x->dtype));
  if (!x->data) {
    /* known at run time only: an upper bound of every element, the count
     * written by the kernel */
    int64_t dims[2] = {x->rank ? x->rank : 1, ir_numel(x)};
    y->dtype = DT_INT64;
    set_shape_checked(n, y, 2, dims);
    infer_dynamic(g, y, 1);
    return;
  }
  int64_t total = ir_numel(x), count = 0, strides[IR_MAX_RANK];
  double buf[CHUNK];
  for (int64_t at = 0; at < total; at += CHUNK) {
    int64_t m = total - at < CHUNK ? total - at : CHUNK;
    as_doubles(x, at, m, buf);
    for (int64_t i = 0; i < m; i++) count += buf[i] != 0;
  }
  /* a scalar counts as a 1-D tensor of one element */
  int r = x->rank ? x->rank : 1;
  int64_t dims[2] = {r, count};
  y->dtype = DT_INT64;
  set_shape_checked(n, y, 2, dims);
  int64_t *out = ir_alloc_data(g, y), j = 0;
  row_strides(x, strides);
  for (int64_t at = 0; at < total; at += CHUNK) {
    int64_t m = total - at < CHUNK ? total - at : CHUNK;
    as_doubles(x, at, m, buf);
    for (int64_t i = 0; i < m; i++) {
      if (buf[i] == 0) continue;
      for (int d = 0; d < x->rank; d++) out[d * count + j] = (at + i) / strides[d] % x->dims[d];
      if (!x->rank) out[j] = 0;
      j++;
    }
  }
}

/* ---- Unique ---------------------------------------------------------------------- */

/* X as slices along the axis: element (o, j, i) of [outer, len, inner]; keys
 * compare as doubles (floating point, NaN above all and equal to NaN) or as
 * integers (uint64 with its top bit flipped, which keeps the order) */
typedef struct UniqueView {
  int64_t outer, len, inner;
  int is_float;
  double *f;
  int64_t *i;
} UniqueView;

static int unique_cmp(const UniqueView *u, int64_t a, int64_t b) {
  for (int64_t o = 0; o < u->outer; o++)
    for (int64_t k = 0; k < u->inner; k++) {
      int64_t pa = (o * u->len + a) * u->inner + k, pb = (o * u->len + b) * u->inner + k;
      if (u->is_float) {
        double x = u->f[pa], y = u->f[pb];
        int nx = x != x, ny = y != y;
        if (nx || ny) {
          if (nx != ny) return nx ? 1 : -1;
        } else if (x != y) {
          return x < y ? -1 : 1;
        }
      } else if (u->i[pa] != u->i[pb]) {
        return u->i[pa] < u->i[pb] ? -1 : 1;
      }
    }
  return 0;
}

/* stable bottom-up merge sort of positions by their slices */
static void unique_sort(const UniqueView *u, int64_t *v, int64_t *tmp, int64_t n) {
  int64_t *src = v, *dst = tmp;
  for (int64_t w = 1; w < n; w *= 2) {
    for (int64_t lo = 0; lo < n; lo += 2 * w) {
      int64_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
      int64_t i = lo, j = mid, o = lo;
      while (i < mid && j < hi) dst[o++] = unique_cmp(u, src[j], src[i]) < 0 ? src[j++] : src[i++];
      while (i < mid) dst[o++] = src[i++];
      while (j < hi) dst[o++] = src[j++];
    }
    int64_t *t = src;
    src = dst;
    dst = t;
  }
  if (src != v) memcpy(v, src, (size_t)n * sizeof *v);
}

static void unique_keys(Graph *g, const Value *x, UniqueView *u) {
  int64_t total = ir_numel(x);
  u->is_float = dtype_is_float(x->dtype);
  if (u->is_float) {
    u->f = arena_array(g->arena, (size_t)total + 1, sizeof *u->f);
    for (int64_t at = 0; at < total; at += CHUNK)
      as_doubles(x, at, total - at < CHUNK ? total - at : CHUNK, u->f + at);
    return;
  }
  u->i = arena_array(g->arena, (size_t)total + 1, sizeof *u->i);
  for (int64_t k = 0; k < total; k++)
    u->i[k] = x->dtype == DT_UINT64 ? (int64_t)((uint64_t)ir_data_i64(x, k) ^ (UINT64_C(1) << 63))
                                    : ir_data_i64(x, k);
}

static Value *vector_out(const Node *n, int j, int64_t len) {
  Value *v = j < n->nout ? n->out[j] : NULL;
  if (!v) return NULL;
  v->dtype = DT_INT64;
  set_shape_checked(n, v, 1, &len);
  return v;
}

void infer_Unique(Graph *g, Node *n) {
  const Value *x = n->in[0];
  Value *y = n->out[0];
  if (!dtype_castable(x->dtype))
    diag_node_fatal(n, "Unique of %s is not supported", dtype_name(x->dtype));
  int axis = -1;
  if (ir_attr(n, "axis")) {
    if (x->rank == 0) diag_node_fatal(n, "axis is given for a scalar input");
    axis = norm_axis(n, attr_i(n, "axis", 0), x->rank);
  }
  if (!x->data) infer_need_const(n, x); /* the output's size depends on it */
  UniqueView u;
  u.outer = axis < 0 ? 1 : dims_prod(x->dims, 0, axis);
  u.len = axis < 0 ? ir_numel(x) : x->dims[axis];
  u.inner = axis < 0 ? 1 : dims_prod(x->dims, axis + 1, x->rank);
  unique_keys(g, x, &u);
  int64_t len = u.len, ng = 0;
  int64_t *order = arena_array(g->arena, (size_t)len + 1, sizeof *order);
  int64_t *tmp = arena_array(g->arena, (size_t)len + 1, sizeof *tmp);
  int64_t *group = arena_array(g->arena, (size_t)len + 1, sizeof *group);
  int64_t *first = arena_array(g->arena, (size_t)len + 1, sizeof *first);
  int64_t *count = arena_array(g->arena, (size_t)len + 1, sizeof *count);
  for (int64_t j = 0; j < len; j++) order[j] = j;
  unique_sort(&u, order, tmp, len);
  /* groups in sorted order; the stable sort puts each first occurrence first */
  for (int64_t j = 0; j < len; j++) {
    if (!j || unique_cmp(&u, order[j - 1], order[j])) {
      first[ng] = order[j];
      count[ng++] = 0;
    }
    group[order[j]] = ng - 1;
    count[ng - 1]++;
  }
  /* sorted=0: groups by first occurrence (rank = the group's new place) */
  int64_t *rank = arena_array(g->arena, (size_t)ng + 1, sizeof *rank);
  for (int64_t k = 0; k < ng; k++) rank[k] = k;
  if (!attr_i(n, "sorted", 1)) {
    int64_t *by_first = arena_array(g->arena, (size_t)ng + 1, sizeof *by_first);
    int64_t *tf = arena_array(g->arena, (size_t)ng + 1, sizeof *tf);
    int64_t *tc = arena_array(g->arena, (size_t)ng + 1, sizeof *tc);
    for (int64_t j = 0, k = 0; j < len; j++)
      if (first[group[j]] == j) by_first[k++] = group[j];
    for (int64_t k = 0; k < ng; k++) {
      rank[by_first[k]] = k;
      tf[k] = first[by_first[k]];
      tc[k] = count[by_first[k]];
    }
    first = tf;
    count = tc;
  }
  int64_t dims[IR_MAX_RANK];
  memcpy(dims, x->dims, sizeof dims);
  y->dtype = x->dtype;
  if (axis < 0)
    set_shape_checked(n, y, 1, &ng);
  else {
    dims[axis] = ng;
    set_shape_checked(n, y, x->rank, dims);
  }
  size_t es = dtype_size(x->dtype), row = (size_t)u.inner * es;
  char *yd = ir_alloc_data(g, y);
  const char *xd = x->data;
  for (int64_t o = 0; o < u.outer; o++)
    for (int64_t k = 0; k < ng; k++)
      memcpy(yd + (size_t)(o * ng + k) * row, xd + (size_t)(o * len + first[k]) * row, row);
  Value *vi = vector_out(n, 1, ng), *vinv = vector_out(n, 2, len), *vc = vector_out(n, 3, ng);
  if (vi) memcpy(ir_alloc_data(g, vi), first, (size_t)ng * sizeof *first);
  if (vc) memcpy(ir_alloc_data(g, vc), count, (size_t)ng * sizeof *count);
  if (vinv) {
    int64_t *inv = ir_alloc_data(g, vinv);
    for (int64_t j = 0; j < len; j++) inv[j] = rank[group[j]];
  }
}

void lower_NonZero(Graph *g, Node *n, Lowering *L) {
  const Value *x = n->in[0];
  KCall *c = lower_add(g, L, K_nonzero);
  MlcNonZero *p = KC_PARAMS(c, MlcNonZero);
  p->rank = x->rank;
  for (int d = 0; d < x->rank; d++) p->dims[d] = x->dims[d];
  p->count = ir_numel(x);
  p->dtype = x->dtype;
  c->io[MLC_NONZERO_X] = n->in[0];
  c->io[MLC_NONZERO_Y] = n->out[0];
  c->io[MLC_NONZERO_NNZ] = n->out[0]->dyn_count;
  c->nio = MLC_NONZERO_NIO;
}
