/* optab[] from ops.def, and the lowering helpers every op file shares. */
#include "ops.h"

#include <stdio.h>
#include <string.h>

#include "diag.h"

#define OP(name, dom, since, until, mini, maxi, mino, maxo, flags, infer, lower, aux) \
  {#name, dom, since, until, mini, maxi, mino, maxo, flags, infer, lower, aux},
const OpInfo optab[OP_COUNT] = {
#include "ops.def"
};
#undef OP

int op_lookup(const char *domain, const char *name) {
  if (!domain || !strcmp(domain, "ai.onnx")) domain = "";
  for (int i = 0; i < OP_COUNT; i++)
    if (!strcmp(optab[i].name, name) && !strcmp(optab[i].domain, domain)) return i;
  return OP_UNKNOWN;
}

void ops_resolve(Graph *g) {
  for (int i = 0; i < g->nnodes; i++) {
    Node *n = g->nodes[i];
    n->op = op_lookup(n->domain, n->op_type);
    for (int k = 0; k < n->nattrs; k++) {
      const Attr *a = &n->attrs[k];
      if (a->kind == AK_GRAPH && a->g) ops_resolve(a->g);
      for (int j = 0; a->kind == AK_GRAPHS && j < a->n; j++) ops_resolve(a->graphs[j]);
    }
  }
}

Node *op_node_new(Graph *g, const char *op_type, const char *domain, const char *name, int nin,
                  int nout) {
  Node *n = ir_node_new(g, op_type, domain, name, nin, nout);
  n->op = op_lookup(n->domain, n->op_type);
  return n;
}

KCall *lower_add(Graph *g, Lowering *L, int kernel) {
  MLC_ASSERT(kernel >= 0 && kernel < K_COUNT);
  L->calls = arena_grow(g->arena, L->calls, &L->cap, (size_t)L->ncalls + 1, sizeof *L->calls);
  KCall *c = &L->calls[L->ncalls++];
  memset(c, 0, sizeof *c);
  c->kernel = kernel;
  return c;
}

KCall *lower_cast(Graph *g, Lowering *L, Value *src, Value *dst) {
  KCall *c = lower_add(g, L, K_cast);
  MlcCast *p = KC_PARAMS(c, MlcCast);
  p->count = ir_numel(dst);
  p->from = src->dtype;
  p->to = dst->dtype;
  c->io[MLC_CAST_X] = src;
  c->io[MLC_CAST_Y] = dst;
  c->nio = MLC_CAST_NIO;
  return c;
}

void lower_none(Graph *g, Node *n, Lowering *L) {
  (void)g;
  (void)L;
  diag_node_fatal(n, "internal error: %s has no runtime lowering", optab[n->op].name);
}

void infer_broadcast(const Node *n, int nvals, Value *const *vals, Value *out) {
  int rank = 0;
  for (int i = 0; i < nvals; i++)
    if (vals[i] && vals[i]->rank > rank) rank = vals[i]->rank;
  int64_t dims[IR_MAX_RANK];
  for (int d = 0; d < rank; d++) dims[d] = 1;
  for (int i = 0; i < nvals; i++) {
    const Value *v = vals[i];
    if (!v) continue;
    int off = rank - v->rank;
    for (int d = 0; d < v->rank; d++) {
      int64_t a = dims[off + d], b = v->dims[d];
      if (a == b || b == 1) continue;
      if (a == 1) {
        dims[off + d] = b;
        continue;
      }
      diag_node_fatal(n,
                      "inputs cannot be broadcast together: dimension %d is "
                      "%lld in one and %lld in another",
                      off + d, (long long)a, (long long)b);
    }
  }
  ir_set_shape(out, rank, dims);
}

/* element strides of v read as if broadcast to out's shape */
static void bcast_strides(const Value *v, const Value *out, int64_t *s) {
  int off = out->rank - v->rank;
  int64_t st = 1;
  for (int d = out->rank - 1; d >= 0; d--) {
    int vd = d - off;
    if (vd < 0 || v->dims[vd] == 1) {
      s[d] = 0;
    } else {
      s[d] = st;
    }
    if (vd >= 0) st *= v->dims[vd];
  }
}

KCall *lower_ew(Graph *g, Node *n, Lowering *L, const char *fn, DType t, Value *const *ins,
                Value *out, double p0, double p1) {
  char kname[64];
  snprintf(kname, sizeof kname, "ew_%s_%s", fn, dtype_sfx(t));
  int k = kernel_lookup(kname);
  if (k < 0)
    diag_node_fatal(n, "%s is not supported for element type %s", n->op_type, dtype_name(t));
  KCall *c = lower_add(g, L, k);
  MlcEw *p = KC_PARAMS(c, MlcEw);
  int nin = ktab[k].ew_arity;
  MLC_ASSERT(nin <= 3);
  p->rank = out->rank;
  p->count = ir_numel(out);
  for (int d = 0; d < out->rank; d++) p->dims[d] = out->dims[d];
  int64_t *s[3] = {p->s0, p->s1, p->s2};
  /* the ew kernels' arity varies, so their slots have no names: inputs, then the output */
  for (int i = 0; i < nin; i++) {
    c->io[i] = ins[i];
    bcast_strides(ins[i], out, s[i]);
  }
  c->io[nin] = out;
  c->nio = nin + 1;
  p->p0 = p0;
  p->p1 = p1;
  return c;
}

KCall *lower_copy_all(Graph *g, Lowering *L, Value *src, Value *dst) {
  KCall *c = lower_add(g, L, K_copy);
  MlcCopy *p = KC_PARAMS(c, MlcCopy);
  p->rank = 1;
  p->elem = (int64_t)dtype_size(src->dtype);
  p->dims[0] = ir_numel(dst);
  p->src_strides[0] = 1;
  p->dst_strides[0] = 1;
  c->io[MLC_COPY_SRC] = src;
  c->io[MLC_COPY_DST] = dst;
  c->nio = MLC_COPY_NIO;
  return c;
}

/* through the runtime's cast kernel, so saturation follows Cast's rules */
Value *lower_scalar(Graph *g, DType t, double x) {
  Value *k = ir_value_new(g, NULL);
  k->dtype = t;
  ir_set_shape(k, 0, NULL);
  MlcCast p = {.count = 1, .from = DT_DOUBLE, .to = t};
  void *io[MLC_CAST_NIO] = {[MLC_CAST_X] = &x, [MLC_CAST_Y] = ir_alloc_data(g, k)};
  mlc_rt_cast(&p, io);
  return k;
}

/* ---- the lowering kit ------------------------------------------------------------ */

Value *lower_temp(Graph *g, DType t, int rank, const int64_t *dims) {
  Value *v = ir_value_new(g, NULL);
  v->dtype = t;
  ir_set_shape(v, rank, dims);
  return v;
}

Value *lower_scratch(Graph *g, int64_t floats) {
  /* with run-time dims a kernel's need varies with them: it always has one */
  if (floats <= 0 && ir_runtime_dims(g)) floats = 1;
  return floats > 0 ? lower_temp(g, DT_FLOAT, 1, &floats) : NULL;
}

int64_t dims_prod(const int64_t *dims, int from, int to) {
  int64_t p = 1;
  for (int d = from; d < to; d++) p *= dims[d];
  return p;
}

DType lower_compute_type(const Node *n, DType t, int floats_only) {
  switch (t) {
  case DT_FLOAT16:
  case DT_BFLOAT16: return DT_FLOAT;
  case DT_FLOAT:
  case DT_DOUBLE: return t;
  case DT_INT8:
  case DT_INT16:
  case DT_INT32:
  case DT_INT64:
  case DT_UINT8:
  case DT_UINT16:
  case DT_UINT32:
  case DT_UINT64:
    if (!floats_only) return t;
    break;
  default: break;
  }
  diag_node_fatal(n, "%s on %s is not supported", n->op_type, dtype_name(t));
}

int dtype_castable(DType t) {
  switch (t) {
  case DT_FLOAT:
  case DT_DOUBLE:
  case DT_FLOAT16:
  case DT_BFLOAT16:
  case DT_BOOL:
  case DT_INT8:
  case DT_INT16:
  case DT_INT32:
  case DT_INT64:
  case DT_UINT8:
  case DT_UINT16:
  case DT_UINT32:
  case DT_UINT64:
  case DT_FLOAT8E4M3FN:
  case DT_FLOAT8E4M3FNUZ:
  case DT_FLOAT8E5M2:
  case DT_FLOAT8E5M2FNUZ: return 1;
  default: return 0;
  }
}

Value *lower_as_type(Graph *g, Lowering *L, Value *v, DType t) {
  if (!v || v->dtype == t) return v;
  Value *r = lower_temp(g, t, v->rank, v->dims);
  if (v->data) {
    MlcCast p = {.count = ir_numel(v), .from = v->dtype, .to = t};
    void *io[MLC_CAST_NIO] = {[MLC_CAST_X] = v->data, [MLC_CAST_Y] = ir_alloc_data(g, r)};
    mlc_rt_cast(&p, io);
    return r;
  }
  lower_cast(g, L, v, r);
  return r;
}

Value *lower_out_as(Graph *g, Value *out, DType t) {
  if (!out || out->dtype == t) return out;
  return lower_temp(g, t, out->rank, out->dims);
}

void lower_finish(Graph *g, Lowering *L, Value *res, Value *out) {
  if (res != out) lower_cast(g, L, res, out);
}

void require_float(const Node *n, const Value *v, const char *what) {
  if (v && v->dtype != DT_FLOAT && v->dtype != DT_DOUBLE && v->dtype != DT_FLOAT16 &&
      v->dtype != DT_BFLOAT16)
    diag_node_fatal(n, "%s is %s; %s takes float, double, float16 or bfloat16", what,
                    dtype_name(v->dtype), n->op_type);
}
