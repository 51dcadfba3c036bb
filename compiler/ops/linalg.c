/* Linear algebra: Einsum, Det and (onnxruntime's com.microsoft domain)
 * Inverse.
 *
 * Einsum: the equation is parsed into one label per operand dim (letters;
 * "..." stands for up to IR_MAX_RANK broadcast dims, right-aligned as numpy
 * does). Operands are contracted left to right, two at a time, by the einsum
 * kernel: a loop nest over every label of the pair, output labels outermost
 * in output order, with per-operand strides (a label repeated in one operand
 * adds its strides: a diagonal; a broadcast dim of size 1 has stride 0).
 * Each intermediate keeps only the labels that the output or a later operand
 * still needs. Nest dims of size 1 are dropped and neighbours contiguous in
 * every tensor merged, so the kernel's fixed rank is rarely the limit.
 * float16 and bfloat16 are computed in float, as the reference does.
 *
 * Det: LU with partial pivoting in double, per matrix. Inverse: Gauss-Jordan
 * with partial pivoting in double, per matrix.
 */
#include <string.h>

#include "diag.h"
#include "infer.h"
#include "ops.h"

/* ---- Einsum -------------------------------------------------------------------- */

/* labels: A-Z are 0..25, a-z 26..51, the dims of "..." EIN_ELL and up */
#define EIN_ELL 52
#define EIN_LABELS (EIN_ELL + IR_MAX_RANK)

typedef struct EinTerm {
  int rank;
  int lab[IR_MAX_RANK];
} EinTerm;

typedef struct Einsum {
  int nops;
  EinTerm *ops; /* one per input */
  EinTerm out;
  int64_t size[EIN_LABELS]; /* -1: the label does not occur */
} Einsum;

static int ein_letter(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return 26 + c - 'a';
  return -1;
}

/* letters and at most one "..." in s[0..len); the count of letters, or a
 * node error; *ell says whether there was an ellipsis */
static int ein_scan(const Node *n, const char *s, size_t len, int *ell) {
  int letters = 0;
  *ell = 0;
  for (size_t i = 0; i < len; i++) {
    if (ein_letter(s[i]) >= 0) {
      letters++;
    } else if (s[i] == '.' && i + 2 < len && s[i + 1] == '.' && s[i + 2] == '.') {
      if (*ell) diag_node_fatal(n, "a term of the equation has two ellipses");
      *ell = 1;
      i += 2;
    } else {
      diag_node_fatal(n, "unexpected '%c' in the equation", s[i]);
    }
  }
  return letters;
}

/* labels of a term of `rank` dims, of which ell_dims are the ellipsis's;
 * ell_rank is the widest ellipsis, to whose end this one aligns */
static void ein_term(const char *s, size_t len, int ell_dims, int ell_rank, EinTerm *t) {
  t->rank = 0;
  for (size_t i = 0; i < len; i++) {
    if (s[i] == '.') {
      for (int j = 0; j < ell_dims; j++) t->lab[t->rank++] = EIN_ELL + ell_rank - ell_dims + j;
      i += 2;
    } else {
      t->lab[t->rank++] = ein_letter(s[i]);
    }
  }
}

static void ein_parse(Graph *g, const Node *n, Einsum *e) {
  const char *eq = attr_s(n, "equation", NULL);
  if (!eq) diag_node_fatal(n, "the equation attribute is required");
  size_t L = strlen(eq), m = 0;
  char *s = arena_alloc(g->arena, L + 1);
  for (size_t i = 0; i < L; i++)
    if (eq[i] != ' ') s[m++] = eq[i];
  s[m] = 0;
  char *arrow = strstr(s, "->");
  size_t lhs_len = arrow ? (size_t)(arrow - s) : m;
  e->nops = n->nin;
  e->ops = arena_array(g->arena, (size_t)n->nin, sizeof *e->ops);
  for (int l = 0; l < EIN_LABELS; l++) e->size[l] = -1;
  /* first pass: the terms' extents and the widest ellipsis */
  size_t *start = arena_array(g->arena, (size_t)n->nin + 1, sizeof *start);
  int *ell_dims = arena_array(g->arena, (size_t)n->nin, sizeof *ell_dims);
  int k = 0, ell_rank = 0, any_ell = 0;
  start[0] = 0;
  for (size_t i = 0; i <= lhs_len; i++) {
    if (i < lhs_len && s[i] != ',') continue;
    if (k == n->nin)
      diag_node_fatal(n, "the equation has more terms than the node's %d inputs", n->nin);
    start[++k] = i + 1;
  }
  if (k != n->nin) diag_node_fatal(n, "the equation has %d terms for %d inputs", k, n->nin);
  for (int i = 0; i < k; i++) {
    const Value *v = n->in[i];
    if (!v) diag_node_fatal(n, "input %d is missing", i);
    if (v->dtype != n->in[0]->dtype)
      diag_node_fatal(n, "input %d is %s, input 0 is %s", i, dtype_name(v->dtype),
                      dtype_name(n->in[0]->dtype));
    int ell, letters = ein_scan(n, s + start[i], start[i + 1] - 1 - start[i], &ell);
    ell_dims[i] = v->rank - letters;
    if (ell_dims[i] < 0 || (!ell && ell_dims[i]))
      diag_node_fatal(n, "term %d has %d letters for an input of rank %d", i, letters, v->rank);
    if (ell_dims[i] > ell_rank) ell_rank = ell_dims[i];
    any_ell |= ell;
  }
  /* second pass: labels and sizes; only ellipsis dims broadcast */
  for (int i = 0; i < k; i++) {
    const Value *v = n->in[i];
    ein_term(s + start[i], start[i + 1] - 1 - start[i], ell_dims[i], ell_rank, &e->ops[i]);
    for (int d = 0; d < v->rank; d++) {
      int l = e->ops[i].lab[d];
      int64_t sz = v->dims[d], *have = &e->size[l];
      if (*have < 0 || *have == sz || (l >= EIN_ELL && *have == 1))
        *have = sz;
      else if (!(l >= EIN_ELL && sz == 1))
        diag_node_fatal(n, "label dims do not match: %lld and %lld", (long long)*have,
                        (long long)sz);
    }
  }
  /* the output: explicit, or the ellipsis then the letters used once */
  EinTerm *o = &e->out;
  o->rank = 0;
  if (arrow) {
    const char *r = arrow + 2;
    int ell, letters = ein_scan(n, r, strlen(r), &ell);
    if (letters + (ell ? ell_rank : 0) > IR_MAX_RANK)
      diag_node_fatal(n, "the output would have more than %d dims", IR_MAX_RANK);
    ein_term(r, strlen(r), ell ? ell_rank : 0, ell_rank, o);
    for (int d = 0; d < o->rank; d++) {
      if (e->size[o->lab[d]] < 0)
        diag_node_fatal(n, "output label %d of '%s' is in no input", d, r);
      for (int j = 0; j < d; j++)
        if (o->lab[j] == o->lab[d]) diag_node_fatal(n, "an output label repeats");
    }
    return;
  }
  int uses[EIN_LABELS] = {0};
  for (int i = 0; i < k; i++)
    for (int d = 0; d < e->ops[i].rank; d++) uses[e->ops[i].lab[d]]++;
  if (any_ell)
    for (int j = 0; j < ell_rank; j++) o->lab[o->rank++] = EIN_ELL + j;
  for (int l = 0; l < EIN_ELL; l++)
    if (uses[l] == 1) {
      if (o->rank == IR_MAX_RANK)
        diag_node_fatal(n, "the output would have more than %d dims", IR_MAX_RANK);
      o->lab[o->rank++] = l;
    }
}

static void ein_shape(const Einsum *e, const EinTerm *t, int64_t *dims) {
  for (int d = 0; d < t->rank; d++) dims[d] = e->size[t->lab[d]];
}

void infer_Einsum(Graph *g, Node *n) {
  Einsum e;
  int64_t dims[IR_MAX_RANK];
  ein_parse(g, n, &e);
  lower_compute_type(n, n->in[0]->dtype, 0);
  ein_shape(&e, &e.out, dims);
  n->out[0]->dtype = n->in[0]->dtype;
  set_shape_checked(n, n->out[0], e.out.rank, dims);
}

/* the summed strides of label l in v (term t); 0 where v broadcasts it */
static int64_t ein_stride(const Einsum *e, const Value *v, const EinTerm *t, int l) {
  int64_t st[IR_MAX_RANK], s = 0;
  if (!v) return 0;
  row_strides(v, st);
  for (int d = 0; d < t->rank; d++)
    if (t->lab[d] == l && !(v->dims[d] == 1 && e->size[l] != 1)) s += st[d];
  return s;
}

/* y[to] = sum a[ta] * b[tb] (b may be absent) as one einsum call */
static void ein_call(Graph *g, const Node *n, Lowering *L, const Einsum *e, Value *a,
                     const EinTerm *ta, Value *b, const EinTerm *tb, Value *y, const EinTerm *to) {
  int order[EIN_LABELS], nl = 0, seen[EIN_LABELS] = {0};
  const EinTerm *terms[3] = {to, ta, tb};
  for (int t = 0; t < 3; t++)
    for (int d = 0; terms[t] && d < terms[t]->rank; d++)
      if (!seen[terms[t]->lab[d]]++) order[nl++] = terms[t]->lab[d];
  int64_t dims[EIN_LABELS], s[3][EIN_LABELS];
  Value *vals[3] = {a, b, y};
  const EinTerm *vt[3] = {ta, tb, to};
  int r = 0;
  for (int i = 0; i < nl; i++) {
    int64_t sz = e->size[order[i]];
    if (sz == 1) continue;
    for (int j = 0; j < 3; j++) s[j][r] = ein_stride(e, vals[j], vt[j], order[i]);
    /* merge with the previous dim when contiguous in all three */
    if (r && sz && dims[r - 1] && s[0][r - 1] == s[0][r] * sz && s[1][r - 1] == s[1][r] * sz &&
        s[2][r - 1] == s[2][r] * sz) {
      dims[r - 1] *= sz;
      for (int j = 0; j < 3; j++) s[j][r - 1] = s[j][r];
      continue;
    }
    dims[r++] = sz;
  }
  if (r > MLC_RT_MAX_RANK)
    diag_node_fatal(n,
                    "this contraction has %d index groups that cannot be merged; "
                    "mlc supports %d",
                    r, MLC_RT_MAX_RANK);
  KCall *c = lower_add(g, L, K_einsum);
  MlcEinsum *p = KC_PARAMS(c, MlcEinsum);
  p->rank = r;
  p->dtype = y->dtype;
  p->count = ir_numel(y);
  for (int d = 0; d < r; d++) {
    p->dims[d] = dims[d];
    p->sa[d] = s[0][d];
    p->sb[d] = s[1][d];
    p->so[d] = s[2][d];
  }
  c->io[MLC_EINSUM_A] = a;
  c->io[MLC_EINSUM_B] = b;
  c->io[MLC_EINSUM_Y] = y;
  c->nio = MLC_EINSUM_NIO;
}

void lower_Einsum(Graph *g, Node *n, Lowering *L) {
  Einsum e;
  ein_parse(g, n, &e);
  DType t = lower_compute_type(n, n->in[0]->dtype, 0);
  Value *res = lower_out_as(g, n->out[0], t);
  Value *acc = lower_as_type(g, L, n->in[0], t);
  EinTerm at = e.ops[0];
  if (e.nops == 1) ein_call(g, n, L, &e, acc, &at, NULL, NULL, res, &e.out);
  for (int j = 1; j < e.nops; j++) {
    Value *b = lower_as_type(g, L, n->in[j], t), *y = res;
    EinTerm yt = e.out;
    if (j < e.nops - 1) {
      /* the labels of the pair that the output or a later operand needs */
      int need[EIN_LABELS] = {0}, taken[EIN_LABELS] = {0};
      for (int d = 0; d < e.out.rank; d++) need[e.out.lab[d]] = 1;
      for (int i = j + 1; i < e.nops; i++)
        for (int d = 0; d < e.ops[i].rank; d++) need[e.ops[i].lab[d]] = 1;
      const EinTerm *pair[2] = {&at, &e.ops[j]};
      yt.rank = 0;
      for (int q = 0; q < 2; q++)
        for (int d = 0; d < pair[q]->rank; d++) {
          int l = pair[q]->lab[d];
          if (!need[l] || taken[l]++) continue;
          if (yt.rank == IR_MAX_RANK)
            diag_node_fatal(n, "an intermediate would have more than %d dims", IR_MAX_RANK);
          yt.lab[yt.rank++] = l;
        }
      int64_t dims[IR_MAX_RANK];
      ein_shape(&e, &yt, dims);
      y = lower_temp(g, t, yt.rank, dims);
    }
    ein_call(g, n, L, &e, acc, &at, b, &e.ops[j], y, &yt);
    acc = y;
    at = yt;
  }
  lower_finish(g, L, res, n->out[0]);
}

/* ---- Det ------------------------------------------------------------------------- */

static void det_check(const Node *n) {
  const Value *x = n->in[0];
  lower_compute_type(n, x->dtype, 1);
  if (x->rank < 2 || x->dims[x->rank - 1] != x->dims[x->rank - 2])
    diag_node_fatal(n, "the input must be square matrices [*, M, M]");
}

void infer_Det(Graph *g, Node *n) {
  (void)g;
  det_check(n);
  n->out[0]->dtype = n->in[0]->dtype;
  set_shape_checked(n, n->out[0], n->in[0]->rank - 2, n->in[0]->dims);
}

void lower_Det(Graph *g, Node *n, Lowering *L) {
  det_check(n);
  Value *x = n->in[0];
  DType t = lower_compute_type(n, x->dtype, 1);
  int64_t m = x->dims[x->rank - 1], nn = m * m;
  Value *xc = lower_as_type(g, L, x, t), *y = lower_out_as(g, n->out[0], t);
  KCall *c = lower_add(g, L, K_det);
  MlcDet *p = KC_PARAMS(c, MlcDet);
  p->batch = ir_numel(y);
  p->n = m;
  p->dtype = t;
  c->io[MLC_DET_X] = xc;
  c->io[MLC_DET_Y] = y;
  c->io[MLC_DET_SCRATCH] = nn ? lower_temp(g, DT_DOUBLE, 1, &nn) : NULL;
  c->nio = MLC_DET_NIO;
  lower_finish(g, L, y, n->out[0]);
}

/* ---- Inverse (com.microsoft) ------------------------------------------------------ */

/* the inverse of each matrix [*, M, M], of the input's type: float16 runs in
 * float between casts, as Det does (det_check takes the same inputs) */
void infer_Inverse(Graph *g, Node *n) {
  (void)g;
  det_check(n);
  n->out[0]->dtype = n->in[0]->dtype;
  set_shape_checked(n, n->out[0], n->in[0]->rank, n->in[0]->dims);
}

void lower_Inverse(Graph *g, Node *n, Lowering *L) {
  det_check(n);
  Value *x = n->in[0];
  DType t = lower_compute_type(n, x->dtype, 1);
  int64_t m = x->dims[x->rank - 1], work = 2 * m * m;
  Value *xc = lower_as_type(g, L, x, t), *y = lower_out_as(g, n->out[0], t);
  KCall *c = lower_add(g, L, K_inverse);
  MlcInverse *p = KC_PARAMS(c, MlcInverse);
  p->batch = m ? ir_numel(y) / (m * m) : 0;
  p->n = m;
  p->dtype = t;
  c->io[MLC_INVERSE_X] = xc;
  c->io[MLC_INVERSE_Y] = y;
  c->io[MLC_INVERSE_SCRATCH] = work ? lower_temp(g, DT_DOUBLE, 1, &work) : NULL;
  c->nio = MLC_INVERSE_NIO;
  lower_finish(g, L, y, n->out[0]);
}
