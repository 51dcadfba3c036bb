/* Attention (opsets 23-25), RotaryEmbedding, and the other sequence-model
 * ops: LinearAttention, CausalConvWithState and SwiGLU.
 *
 * Attention lowers to one kernel call, attention_f32, that reads Q, K and V
 * through element strides: 3-D inputs [batch, seq, heads * size] and 4-D
 * ones [batch, heads, seq, size] are the same loop with other strides, so
 * no transpose is materialized. A KV cache (past_key/past_value) is
 * concatenated with the new keys by strided copies straight into
 * present_key/present_value (or temporaries when those outputs are
 * absent), and the kernel reads the result. The mask's dims broadcast
 * right-aligned to (batch, heads, queries, keys), again as strides; its key
 * dim may be shorter than the keys, which masks the rest.
 *
 * Semantics follow the ONNX definition and reference: Q and K are each
 * scaled by sqrt(scale) (rounded to float, so the product uses that
 * rounding), softcap applies before the bias, the causal frontier and the
 * sliding window count from the offset of the first query (past length,
 * or nonpad_kv_seqlen - q_len per batch for an external cache), and a row
 * with no attendable key is zero in Y and in qk_matmul_output mode 3.
 * float16, bfloat16 and double run through float32 temporaries.
 *
 * LinearAttention is one kernel running the recurrence step by step.
 * CausalConvWithState concatenates state and input into a temporary and
 * runs the depthwise conv_f32 on it; SwiGLU is Swish times the value, two
 * elementwise calls.
 */
#include <math.h>
#include <string.h>

#include "clone.h"
#include "diag.h"
#include "infer.h"
#include "ops.h"

enum { IN_Q, IN_K, IN_V, IN_MASK, IN_PAST_K, IN_PAST_V, IN_NONPAD };

typedef struct Attn {
  int rank;
  int64_t b, hq, hkv, sq, skv, past, dk, dv;
} Attn;

/* an attention kernel call with a's batch, heads, lengths and key depth */
static KCall *attention_call(Graph *g, Lowering *L, const Attn *a) {
  KCall *c = lower_add(g, L, K_attention_f32);
  MlcAttention *p = KC_PARAMS(c, MlcAttention);
  p->b = a->b;
  p->hq = a->hq;
  p->hkv = a->hkv;
  p->sq = a->sq;
  p->skv = a->skv;
  p->dk = a->dk;
  return c;
}

/* element strides (batch, head, position) of a 3-D or 4-D operand */
static void head_strides(const Value *v, int64_t heads, int64_t size, int64_t *st) {
  if (v->rank == 4) {
    st[0] = v->dims[1] * v->dims[2] * v->dims[3];
    st[1] = v->dims[2] * v->dims[3];
    st[2] = v->dims[3];
  } else {
    st[0] = v->dims[1] * heads * size;
    st[1] = size;
    st[2] = heads * size;
  }
}

/* the per-head size of a 3-D operand's hidden dim */
static int64_t head_size(const Node *n, const Value *v, int64_t heads, const char *what) {
  if (v->dims[2] % heads)
    diag_node_fatal(n, "%s's hidden size %lld is not a multiple of its %lld heads", what,
                    (long long)v->dims[2], (long long)heads);
  return v->dims[2] / heads;
}

static int64_t heads_attr(const Node *n, const char *name) {
  int64_t h = attr_i(n, name, 0);
  if (h < 1)
    diag_node_fatal(n, "3-D inputs need a positive '%s' attribute (it is %lld)", name,
                    (long long)h);
  return h;
}

static void attn_shape(Graph *g, const Node *n, Attn *a) {
  const Value *q = n->in[IN_Q], *k = n->in[IN_K], *v = n->in[IN_V];
  const Value *pk = op_input(n, IN_PAST_K), *pv = op_input(n, IN_PAST_V);
  require_float(n, q, "Q");
  require_float(n, v, "V");
  if (k->dtype != q->dtype)
    diag_node_fatal(n, "K is %s but Q is %s", dtype_name(k->dtype), dtype_name(q->dtype));
  a->rank = q->rank;
  if ((q->rank != 3 && q->rank != 4) || k->rank != q->rank || v->rank != q->rank)
    diag_node_fatal(n, "Q, K and V must all be 3-D or all 4-D (ranks %d, %d, %d)", q->rank, k->rank,
                    v->rank);
  a->b = q->dims[0];
  if (q->rank == 4) {
    a->hq = q->dims[1];
    a->sq = q->dims[2];
    a->dk = q->dims[3];
    a->hkv = k->dims[1];
    a->skv = k->dims[2];
    a->dv = v->dims[3];
    if (k->dims[3] != a->dk || v->dims[1] != a->hkv || v->dims[2] != a->skv)
      diag_node_fatal(n, "K %s and V %s do not fit Q %s", ir_shape_str(g->arena, k),
                      ir_shape_str(g->arena, v), ir_shape_str(g->arena, q));
  } else {
    a->hq = heads_attr(n, "q_num_heads");
    a->hkv = heads_attr(n, "kv_num_heads");
    a->sq = q->dims[1];
    a->skv = k->dims[1];
    a->dk = head_size(n, q, a->hq, "Q");
    a->dv = head_size(n, v, a->hkv, "V");
    if (head_size(n, k, a->hkv, "K") != a->dk || v->dims[1] != a->skv)
      diag_node_fatal(n, "K %s and V %s do not fit Q %s", ir_shape_str(g->arena, k),
                      ir_shape_str(g->arena, v), ir_shape_str(g->arena, q));
  }
  if (k->dims[0] != a->b || v->dims[0] != a->b)
    diag_node_fatal(n, "Q, K and V have different batch sizes");
  if (a->hkv < 1 || a->hq % a->hkv)
    diag_node_fatal(n, "%lld query heads cannot share %lld key/value heads", (long long)a->hq,
                    (long long)a->hkv);
  a->past = 0;
  if (!pk != !pv) diag_node_fatal(n, "past_key and past_value must be given together");
  if (pk) {
    if (pk->dtype != k->dtype || pv->dtype != v->dtype)
      diag_node_fatal(n, "past_key/past_value must have the types of K and V");
    if (pk->rank != 4 || pv->rank != 4 || pk->dims[0] != a->b || pk->dims[1] != a->hkv ||
        pk->dims[3] != a->dk || pv->dims[0] != a->b || pv->dims[1] != a->hkv ||
        pv->dims[2] != pk->dims[2] || pv->dims[3] != a->dv)
      diag_node_fatal(n,
                      "past_key %s / past_value %s must be [batch, kv heads, past, "
                      "head size]",
                      ir_shape_str(g->arena, pk), ir_shape_str(g->arena, pv));
    a->past = pk->dims[2];
    a->skv += a->past;
  }
}

static void attn_check_inputs(Graph *g, const Node *n, const Attn *a) {
  const Value *m = op_input(n, IN_MASK), *np = op_input(n, IN_NONPAD);
  if (np) {
    if (np->dtype != DT_INT64 || np->rank != 1 || np->dims[0] != a->b)
      diag_node_fatal(n, "nonpad_kv_seqlen must be int64 [%lld]", (long long)a->b);
    if (a->past) diag_node_fatal(n, "nonpad_kv_seqlen cannot be used with a past cache");
  }
  if (m) {
    int64_t full[4] = {a->b, a->hq, a->sq, a->skv};
    int ok = m->rank >= 1 && m->rank <= 4 && m->dims[m->rank - 1] <= a->skv;
    for (int d = 0; ok && d < m->rank - 1; d++) {
      int64_t want = full[4 - m->rank + d];
      ok = m->dims[d] == 1 || m->dims[d] == want;
    }
    if (!ok)
      diag_node_fatal(n,
                      "attn_mask of shape %s does not broadcast to (%lld, %lld, %lld, "
                      "%lld)",
                      ir_shape_str(g->arena, m), (long long)a->b, (long long)a->hq,
                      (long long)a->sq, (long long)a->skv);
    if (m->dtype == DT_STRING || !dtype_size(m->dtype))
      diag_node_fatal(n, "attn_mask of type %s is not supported", dtype_name(m->dtype));
  }
  int64_t mode = attr_i(n, "qk_matmul_output_mode", 0), causal = attr_i(n, "is_causal", 0);
  if (mode < 0 || mode > 3)
    diag_node_fatal(n, "qk_matmul_output_mode is %lld; it must be 0 to 3", (long long)mode);
  if (causal != 0 && causal != 1)
    diag_node_fatal(n, "is_causal is %lld; it must be 0 or 1", (long long)causal);
  if (attr_f(n, "softcap", 0) < 0) diag_node_fatal(n, "softcap must not be negative");
  if (attr_i(n, "left_window_size", -1) < -1 || attr_i(n, "right_window_size", -1) < -1)
    diag_node_fatal(n, "window sizes must be -1 (unbounded) or non-negative");
  if (ir_attr(n, "scale") && !(attr_f(n, "scale", 1) > 0))
    diag_node_fatal(n, "scale must be positive");
}

void infer_Attention(Graph *g, Node *n) {
  Attn a;
  attn_shape(g, n, &a);
  attn_check_inputs(g, n, &a);
  const Value *q = n->in[IN_Q];
  int64_t y3[3] = {a.b, a.sq, a.hq * a.dv}, y4[4] = {a.b, a.hq, a.sq, a.dv};
  set_shape_checked(n, n->out[0], a.rank, a.rank == 3 ? y3 : y4);
  n->out[0]->dtype = q->dtype;
  int64_t pk[4] = {a.b, a.hkv, a.skv, a.dk}, pv[4] = {a.b, a.hkv, a.skv, a.dv};
  int64_t qk[4] = {a.b, a.hq, a.sq, a.skv};
  const int64_t *shapes[4] = {NULL, pk, pv, qk};
  DType types[4] = {q->dtype, q->dtype, n->in[IN_V]->dtype, q->dtype};
  for (int i = 1; i < n->nout; i++) {
    if (!n->out[i]) continue;
    set_shape_checked(n, n->out[i], 4, shapes[i]);
    n->out[i]->dtype = types[i];
  }
}

/* the keys (or values) the kernel reads: the new ones after the past ones in
 * `present` (an output or a temporary) when there is a cache, else the
 * input itself (copied to `present` if that output is wanted); st gets the
 * kernel's strides */
static Value *kv_source(Graph *g, const Node *n, Lowering *L, const Attn *a, Value *x, Value *past,
                        Value *present, int64_t size, int64_t *st) {
  int64_t xst[4], pdims[4] = {a->b, a->hkv, a->skv, size};
  head_strides(x, a->hkv, size, xst);
  xst[3] = 1;
  if (!past && !present) {
    memcpy(st, xst, 3 * sizeof *st);
    return lower_as_type(g, L, x, DT_FLOAT);
  }
  if (!present) present = lower_temp(g, x->dtype, 4, pdims);
  int64_t dst[4] = {a->hkv * a->skv * size, a->skv * size, size, 1};
  int64_t ndims[4] = {a->b, a->hkv, a->skv - a->past, size};
  if (past) {
    int64_t sdims[4] = {a->b, a->hkv, a->past, size}, sst[4];
    row_strides(past, sst);
    lower_strided_copy(g, n, L, past, present, 4, sdims, sst, dst, 0, 0);
  }
  lower_strided_copy(g, n, L, x, present, 4, ndims, xst, dst, 0, a->past * size);
  memcpy(st, dst, 3 * sizeof *st);
  return lower_as_type(g, L, present, DT_FLOAT);
}

/* the mask's element strides over (batch, head, query, key) */
static void mask_strides(const Value *m, int64_t *st) {
  int64_t s = 1;
  for (int d = 3; d >= 0; d--) {
    int md = d - (4 - m->rank);
    st[d] = md < 0 || (m->dims[md] == 1 && d < 3) ? 0 : s;
    if (md >= 0) s *= m->dims[md];
  }
}

void lower_Attention(Graph *g, Node *n, Lowering *L) {
  Attn a;
  attn_shape(g, n, &a);
  attn_check_inputs(g, n, &a);
  Value *q = n->in[IN_Q], *m = op_input(n, IN_MASK);
  Value *pk = op_input(n, IN_PAST_K), *pv = op_input(n, IN_PAST_V);
  /* inputs and their conversions come before the kernel's call */
  int64_t k_st[3], v_st[3], sc = 2 * (a.skv > 0 ? a.skv : 1);
  Value *io[MLC_ATTENTION_NIO] = {NULL};
  io[MLC_ATTENTION_Q] = lower_as_type(g, L, q, DT_FLOAT);
  io[MLC_ATTENTION_K] =
      kv_source(g, n, L, &a, n->in[IN_K], pk, n->nout > 1 ? n->out[1] : NULL, a.dk, k_st);
  io[MLC_ATTENTION_V] =
      kv_source(g, n, L, &a, n->in[IN_V], pv, n->nout > 2 ? n->out[2] : NULL, a.dv, v_st);
  if (m) io[MLC_ATTENTION_MASK] = m->dtype == DT_BOOL ? m : lower_as_type(g, L, m, DT_FLOAT);
  io[MLC_ATTENTION_NONPAD] = op_input(n, IN_NONPAD);
  io[MLC_ATTENTION_Y] = lower_out_as(g, n->out[0], DT_FLOAT);
  io[MLC_ATTENTION_QK] = lower_out_as(g, n->nout > 3 ? n->out[3] : NULL, DT_FLOAT);
  io[MLC_ATTENTION_SCRATCH] = lower_temp(g, DT_FLOAT, 1, &sc);
  KCall *c = attention_call(g, L, &a);
  MlcAttention *p = KC_PARAMS(c, MlcAttention);
  p->dv = a.dv;
  head_strides(q, a.hq, a.dk, p->q_st);
  head_strides(n->out[0], a.hq, a.dv, p->y_st);
  memcpy(p->k_st, k_st, sizeof k_st);
  memcpy(p->v_st, v_st, sizeof v_st);
  if (m) {
    p->mask = m->dtype == DT_BOOL ? 1 : 2;
    mask_strides(m, p->m_st);
    p->mask_len = m->dims[m->rank - 1];
  }
  p->causal = attr_i(n, "is_causal", 0);
  p->past = a.past;
  p->left = attr_i(n, "left_window_size", -1);
  p->right = attr_i(n, "right_window_size", -1);
  /* Q and K are each scaled by sqrt(scale) rounded to their type; bfloat16
   * is emulated step by step, unless the softmax runs in another type */
  float sf = (float)sqrt(attr_f(n, "scale", 1 / sqrt((double)a.dk)));
  p->bf16 = q->dtype == DT_BFLOAT16 && !ir_attr(n, "softmax_precision");
  if (p->bf16) {
    uint16_t h;
    double r;
    MlcCast to = {1, DT_FLOAT, DT_BFLOAT16, 0}, back = {1, DT_BFLOAT16, DT_DOUBLE, 0};
    void *io1[MLC_CAST_NIO] = {[MLC_CAST_X] = &sf, [MLC_CAST_Y] = &h};
    void *io2[MLC_CAST_NIO] = {[MLC_CAST_X] = &h, [MLC_CAST_Y] = &r};
    mlc_rt_cast(&to, io1);
    mlc_rt_cast(&back, io2);
    sf = (float)r;
  }
  p->scale = p->bf16 ? sf : (double)sf * sf;
  p->softcap = (float)attr_f(n, "softcap", 0);
  p->qk_mode = attr_i(n, "qk_matmul_output_mode", 0);
  memcpy(c->io, io, sizeof io);
  c->nio = MLC_ATTENTION_NIO;
  lower_finish(g, L, io[MLC_ATTENTION_Y], n->out[0]);
  if (io[MLC_ATTENTION_QK]) lower_finish(g, L, io[MLC_ATTENTION_QK], n->out[3]);
}

/* ---- RotaryEmbedding -------------------------------------------------------- */

typedef struct Rope {
  int64_t b, h, s, d, rot, npos;
} Rope;

static void rope_shape(Graph *g, const Node *n, Rope *r) {
  const Value *x = n->in[0], *cs = n->in[1], *sn = n->in[2];
  const Value *pos = op_input(n, 3);
  require_float(n, x, "input");
  if (cs->dtype != x->dtype || sn->dtype != x->dtype)
    diag_node_fatal(n, "cos_cache and sin_cache must have the input's type");
  if (x->rank == 4) {
    r->b = x->dims[0];
    r->h = x->dims[1];
    r->s = x->dims[2];
    r->d = x->dims[3];
  } else if (x->rank == 3) {
    r->b = x->dims[0];
    r->s = x->dims[1];
    r->h = heads_attr(n, "num_heads");
    r->d = head_size(n, x, r->h, "the input");
  } else {
    diag_node_fatal(n, "the input must be 3-D or 4-D, not rank %d", x->rank);
  }
  r->rot = attr_i(n, "rotary_embedding_dim", 0);
  if (r->rot == 0) r->rot = r->d;
  if (r->rot < 0 || r->rot > r->d || r->rot % 2)
    diag_node_fatal(n,
                    "rotary_embedding_dim %lld must be even and at most the head size "
                    "%lld",
                    (long long)r->rot, (long long)r->d);
  int64_t half = r->rot / 2;
  int ok = cs->rank == sn->rank && ir_same_shape(cs, sn);
  if (pos) {
    if (pos->dtype != DT_INT64 || pos->rank != 2 || pos->dims[0] != r->b || pos->dims[1] != r->s)
      diag_node_fatal(n, "position_ids must be int64 [%lld, %lld]", (long long)r->b,
                      (long long)r->s);
    ok = ok && cs->rank == 2 && cs->dims[1] == half && cs->dims[0] > 0;
    r->npos = ok ? cs->dims[0] : 0;
  } else {
    ok = ok && cs->rank == 3 && cs->dims[0] == r->b && cs->dims[1] == r->s && cs->dims[2] == half;
    r->npos = 0;
  }
  if (!ok)
    diag_node_fatal(n, "cos_cache %s / sin_cache %s must be %s x %lld", ir_shape_str(g->arena, cs),
                    ir_shape_str(g->arena, sn), pos ? "[positions]" : "[batch, seq]",
                    (long long)half);
}

void infer_RotaryEmbedding(Graph *g, Node *n) {
  Rope r;
  rope_shape(g, n, &r);
  ir_copy_type(n->out[0], n->in[0]);
}

void lower_RotaryEmbedding(Graph *g, Node *n, Lowering *L) {
  Rope r;
  rope_shape(g, n, &r);
  Value *io[MLC_ROTARY_NIO];
  io[MLC_ROTARY_X] = lower_as_type(g, L, n->in[0], DT_FLOAT);
  io[MLC_ROTARY_COS] = lower_as_type(g, L, n->in[1], DT_FLOAT);
  io[MLC_ROTARY_SIN] = lower_as_type(g, L, n->in[2], DT_FLOAT);
  io[MLC_ROTARY_POS] = op_input(n, 3);
  io[MLC_ROTARY_Y] = lower_out_as(g, n->out[0], DT_FLOAT);
  KCall *c = lower_add(g, L, K_rotary_f32);
  MlcRotary *p = KC_PARAMS(c, MlcRotary);
  p->b = r.b;
  p->h = r.h;
  p->s = r.s;
  p->d = r.d;
  p->rot = r.rot;
  p->interleaved = attr_i(n, "interleaved", 0) != 0;
  p->npos = r.npos;
  head_strides(n->in[0], r.h, r.d, p->st);
  memcpy(c->io, io, sizeof io);
  c->nio = MLC_ROTARY_NIO;
  lower_finish(g, L, io[MLC_ROTARY_Y], n->out[0]);
}

/* ---- SwiGLU ------------------------------------------------------------------ */

void infer_SwiGLU(Graph *g, Node *n) {
  const Value *a = n->in[0], *b = n->in[1];
  require_float(n, a, "A");
  if (b->dtype != a->dtype || !ir_same_shape(a, b))
    diag_node_fatal(n, "A (%s %s) and B (%s %s) must have one type and shape", dtype_name(a->dtype),
                    ir_shape_str(g->arena, a), dtype_name(b->dtype), ir_shape_str(g->arena, b));
  ir_copy_type(n->out[0], a);
}

/* Swish of the gate into y, then times the value */
void lower_SwiGLU(Graph *g, Node *n, Lowering *L) {
  Value *a = lower_as_type(g, L, n->in[0], DT_FLOAT), *y = lower_out_as(g, n->out[0], DT_FLOAT);
  Value *yb[2] = {y, lower_as_type(g, L, n->in[1], DT_FLOAT)};
  lower_ew(g, n, L, "swish", DT_FLOAT, &a, y, (float)attr_f(n, "alpha", 1), 0);
  lower_ew(g, n, L, "mul", DT_FLOAT, yb, y, 0, 0);
  lower_finish(g, L, y, n->out[0]);
}

/* ---- CausalConvWithState ----------------------------------------------------- */

/* x [b, c, len], weight [c, 1, k], bias [c], past_state [b, c, k - 1] */
static int64_t causal_conv_k(Graph *g, const Node *n) {
  const Value *x = n->in[0], *w = n->in[1], *bias = op_input(n, 2), *past = op_input(n, 3);
  require_float(n, x, "input");
  if (x->rank != 3) diag_node_fatal(n, "input must be [batch, channels, length]");
  int64_t c = x->dims[1], k = w->rank == 3 ? w->dims[2] : 0;
  if (w->dtype != x->dtype || w->rank != 3 || w->dims[0] != c || w->dims[1] != 1 || k < 1)
    diag_node_fatal(n, "weight %s must be [%lld, 1, k] of the input's type",
                    ir_shape_str(g->arena, w), (long long)c);
  if (bias && (bias->dtype != x->dtype || bias->rank != 1 || bias->dims[0] != c))
    diag_node_fatal(n, "bias must be [%lld] of the input's type", (long long)c);
  if (past && (past->dtype != x->dtype || past->rank != 3 || past->dims[0] != x->dims[0] ||
               past->dims[1] != c || past->dims[2] != k - 1))
    diag_node_fatal(n, "past_state %s must be [%lld, %lld, %lld]", ir_shape_str(g->arena, past),
                    (long long)x->dims[0], (long long)c, (long long)(k - 1));
  const char *act = attr_s(n, "activation", "none");
  if (strcmp(act, "none") && strcmp(act, "silu") && strcmp(act, "swish"))
    diag_node_fatal(n, "activation '%s' is not none, silu or swish", act);
  return k;
}

void infer_CausalConvWithState(Graph *g, Node *n) {
  const Value *x = n->in[0];
  int64_t k = causal_conv_k(g, n), st[3] = {x->dims[0], x->dims[1], k - 1};
  ir_copy_type(n->out[0], x);
  if (n->nout > 1 && n->out[1]) {
    set_shape_checked(n, n->out[1], 3, st);
    n->out[1]->dtype = x->dtype;
  }
}

/* The state and the input, one after the other, make a padded sequence
 * that a depthwise conv without padding turns into the output; its last
 * k - 1 steps are the new state. */
void lower_CausalConvWithState(Graph *g, Node *n, Lowering *L) {
  Value *x0 = n->in[0];
  int64_t k = causal_conv_k(g, n), bc = x0->dims[0] * x0->dims[1], len = x0->dims[2];
  int64_t pd[3] = {x0->dims[0], x0->dims[1], len + k - 1};
  Value *x = lower_as_type(g, L, x0, DT_FLOAT);
  Value *past = lower_as_type(g, L, op_input(n, 3), DT_FLOAT);
  Value *w = lower_as_type(g, L, n->in[1], DT_FLOAT);
  Value *bias = lower_as_type(g, L, op_input(n, 2), DT_FLOAT);
  Value *pad = lower_temp(g, DT_FLOAT, 3, pd), *y = lower_out_as(g, n->out[0], DT_FLOAT);
  int64_t sdims[2] = {bc, k - 1}, xdims[2] = {bc, len}, pst[2] = {len + k - 1, 1};
  int64_t sst[2] = {k - 1, 1}, xst[2] = {len, 1};
  if (past)
    lower_strided_copy(g, n, L, past, pad, 2, sdims, sst, pst, 0, 0);
  else
    lower_fill(g, L, pad, 0);
  lower_strided_copy(g, n, L, x, pad, 2, xdims, xst, pst, 0, k - 1);
  MlcConv cp = {.n = x0->dims[0],
                .c = x0->dims[1],
                .m = x0->dims[1],
                .group = x0->dims[1],
                .nsp = 1,
                .in_sp = {len + k - 1},
                .out_sp = {len},
                .k = {k},
                .stride = {1},
                .dil = {1},
                .has_bias = bias != NULL,
                .act = MLC_ACT_NONE};
  int64_t scratch = mlc_rt_conv_scratch(&cp);
  Value *sv = scratch > 0 ? lower_temp(g, DT_FLOAT, 1, &scratch) : NULL;
  KCall *c = lower_add(g, L, K_conv_f32);
  *KC_PARAMS(c, MlcConv) = cp;
  c->io[MLC_CONV_X] = pad;
  c->io[MLC_CONV_W] = w;
  c->io[MLC_CONV_BIAS] = bias;
  c->io[MLC_CONV_Y] = y;
  c->io[MLC_CONV_SCRATCH] = sv;
  c->nio = MLC_CONV_SCRATCH + 1; /* no residual (MLC_CONV_RES) */
  if (strcmp(attr_s(n, "activation", "none"), "none"))
    lower_ew(g, n, L, "swish", DT_FLOAT, &y, y, 1, 0);
  lower_finish(g, L, y, n->out[0]);
  Value *st0 = n->nout > 1 ? n->out[1] : NULL, *st = lower_out_as(g, st0, DT_FLOAT);
  if (!st) return;
  lower_strided_copy(g, n, L, pad, st, 2, sdims, pst, sst, len, 0);
  lower_finish(g, L, st, st0);
}

/* ---- LinearAttention ----------------------------------------------------------- */

enum { LA_Q, LA_K, LA_V, LA_PAST, LA_DECAY, LA_BETA };

static void linattn_desc(Graph *g, const Node *n, MlcLinAttn *p) {
  const Value *q = n->in[LA_Q], *k = n->in[LA_K], *v = n->in[LA_V];
  const Value *past = op_input(n, LA_PAST), *decay = op_input(n, LA_DECAY);
  const Value *beta = op_input(n, LA_BETA);
  const char *rule = attr_s(n, "update_rule", "gated_delta");
  int gated = !strcmp(rule, "gated") || !strcmp(rule, "gated_delta");
  int delta = !strcmp(rule, "delta") || !strcmp(rule, "gated_delta");
  if (!gated && !delta && strcmp(rule, "linear"))
    diag_node_fatal(n, "update_rule '%s' is not linear, gated, delta or gated_delta", rule);
  if (gated != (decay != NULL) || delta != (beta != NULL))
    diag_node_fatal(n, "update_rule '%s' takes %s decay and %s beta", rule, gated ? "a" : "no",
                    delta ? "a" : "no");
  require_float(n, q, "query");
  if (q->rank != 3) diag_node_fatal(n, "query must be [batch, steps, heads * size]");
  const Value *rest[4] = {k, v, decay, beta};
  for (int i = 0; i < 4; i++)
    if (rest[i] && (rest[i]->dtype != q->dtype || rest[i]->rank != 3 ||
                    rest[i]->dims[0] != q->dims[0] || rest[i]->dims[1] != q->dims[1]))
      diag_node_fatal(n,
                      "key, value, decay and beta must be [%lld, %lld, ...] of the "
                      "query's type",
                      (long long)q->dims[0], (long long)q->dims[1]);
  p->hq = heads_attr(n, "q_num_heads");
  p->hkv = heads_attr(n, "kv_num_heads");
  if (p->hq % p->hkv)
    diag_node_fatal(n, "%lld query heads cannot share %lld kv heads", (long long)p->hq,
                    (long long)p->hkv);
  p->b = q->dims[0];
  p->t = q->dims[1];
  p->dk = head_size(n, q, p->hq, "query");
  p->dv = head_size(n, v, p->hkv, "value");
  if (k->dims[2] != p->hkv * p->dk)
    diag_node_fatal(n, "key's last dim must be kv_num_heads * %lld", (long long)p->dk);
  p->decay = !decay ? 0 : decay->dims[2] == p->hkv ? 1 : decay->dims[2] == p->hkv * p->dk ? 2 : -1;
  p->beta = !beta ? 0 : beta->dims[2] == p->hkv ? 1 : beta->dims[2] == 1 ? 2 : -1;
  if (p->decay < 0 || p->beta < 0)
    diag_node_fatal(n,
                    "decay needs kv_num_heads or kv_num_heads * d_k values per step, "
                    "beta kv_num_heads or 1");
  if (past && (!dtype_is_float(past->dtype) || past->rank != 4 || past->dims[0] != p->b ||
               past->dims[1] != p->hkv || past->dims[2] != p->dk || past->dims[3] != p->dv))
    diag_node_fatal(n, "past_state %s must be [%lld, %lld, %lld, %lld]",
                    ir_shape_str(g->arena, past), (long long)p->b, (long long)p->hkv,
                    (long long)p->dk, (long long)p->dv);
  require_float(n, past, "past_state");
  double scale = attr_f(n, "scale", 0);
  p->scale = (float)(scale != 0 ? scale : 1 / sqrt((double)p->dk));
}

void infer_LinearAttention(Graph *g, Node *n) {
  MlcLinAttn p;
  linattn_desc(g, n, &p);
  const Value *past = op_input(n, LA_PAST);
  int64_t y[3] = {p.b, p.t, p.hq * p.dv}, st[4] = {p.b, p.hkv, p.dk, p.dv};
  set_shape_checked(n, n->out[0], 3, y);
  n->out[0]->dtype = n->in[LA_Q]->dtype;
  if (n->nout > 1 && n->out[1]) {
    set_shape_checked(n, n->out[1], 4, st);
    n->out[1]->dtype = past ? past->dtype : n->in[LA_Q]->dtype;
  }
}

void lower_LinearAttention(Graph *g, Node *n, Lowering *L) {
  MlcLinAttn d;
  linattn_desc(g, n, &d);
  int64_t st[4] = {d.b, d.hkv, d.dk, d.dv};
  Value *io[MLC_LINATTN_NIO];
  io[MLC_LINATTN_Q] = lower_as_type(g, L, op_input(n, LA_Q), DT_FLOAT);
  io[MLC_LINATTN_K] = lower_as_type(g, L, op_input(n, LA_K), DT_FLOAT);
  io[MLC_LINATTN_V] = lower_as_type(g, L, op_input(n, LA_V), DT_FLOAT);
  io[MLC_LINATTN_PAST] = lower_as_type(g, L, op_input(n, LA_PAST), DT_FLOAT);
  io[MLC_LINATTN_DECAY] = lower_as_type(g, L, op_input(n, LA_DECAY), DT_FLOAT);
  io[MLC_LINATTN_BETA] = lower_as_type(g, L, op_input(n, LA_BETA), DT_FLOAT);
  Value *st0 = n->nout > 1 ? n->out[1] : NULL;
  io[MLC_LINATTN_Y] = lower_out_as(g, n->out[0], DT_FLOAT);
  io[MLC_LINATTN_STATE] = st0 ? lower_out_as(g, st0, DT_FLOAT) : lower_temp(g, DT_FLOAT, 4, st);
  KCall *c = lower_add(g, L, K_linattn_f32);
  *KC_PARAMS(c, MlcLinAttn) = d;
  memcpy(c->io, io, sizeof io);
  c->nio = MLC_LINATTN_NIO;
  lower_finish(g, L, io[MLC_LINATTN_Y], n->out[0]);
  if (st0) lower_finish(g, L, io[MLC_LINATTN_STATE], st0);
}

/* ---- FlexAttention (ai.onnx.preview) ----------------------------------------- */

/* FlexAttention runs its score_mod and prob_mod subgraphs on whole tensors,
 * so inference expands the node in place into: FlexScores (the scaled
 * scores, in the softmax's type), score_mod's body, Softmax, prob_mod's
 * body, and FlexOutput (probabilities times values). FlexScores and
 * FlexOutput are mlc's own ops (domain "mlc"); the first is attention_f32
 * asked for its scores only, the second a batched matmul_f32 whose key
 * head dim has stride 0 across each group of query heads. */

static void flex_shape(Graph *g, const Node *n, Attn *a) {
  for (int i = 0; i < 3; i++)
    if (n->in[i]->rank != 4)
      diag_node_fatal(n, "Q, K and V must be rank 4 [batch, heads, seq, size]");
  attn_shape(g, n, a);
}

/* the softmax's type: softmax_precision, else double for double, else float */
static DType flex_ctype(const Node *n) {
  int64_t sp = attr_i(n, "softmax_precision", 0);
  if (sp && sp != DT_FLOAT && sp != DT_DOUBLE)
    diag_node_fatal(n, "softmax_precision %lld is not supported (float and double are)",
                    (long long)sp);
  return sp ? (DType)sp : n->in[0]->dtype == DT_DOUBLE ? DT_DOUBLE : DT_FLOAT;
}

static Node *flex_node(Graph *g, const Node *at, const char *op, const char *dom, int nin,
                       const char *suffix) {
  Node *m = op_node_new(g, op, dom, arena_printf(g->arena, "%s/%s", at->name, suffix), nin, 1);
  m->index = at->index;
  /* mlc's ops have one version; Softmax is written in its opset-13 form */
  m->opset = dom[0] ? 1 : m->opset < 13 ? 13 : m->opset;
  m->out[0] = ir_value_new(g, NULL);
  return m;
}

/* the body of graph attribute `name` applied to v; v if there is none */
static Value *flex_mod(Graph *g, const Node *n, const char *name, Value *v) {
  const Attr *a = ir_attr(n, name);
  if (!a) return v;
  if (a->kind != AK_GRAPH || !a->g || a->g->ninputs != 1 || a->g->noutputs != 1)
    diag_node_fatal(n, "'%s' must be a graph of one input and one output", name);
  CloneMap m;
  Value *out;
  clone_map_init(&m, g, NULL, NULL);
  clone_body(g, a->g, &m, &v, &out, arena_printf(g->arena, "%s/%s", n->name, name));
  return out;
}

void infer_FlexAttention(Graph *g, Node *n) {
  Attn a;
  flex_shape(g, n, &a);
  int first = g->nnodes, pos = n->pos + 1;
  /* FlexScores reads Q and K; V only has its shape checked with theirs */
  Node *sc = flex_node(g, n, "FlexScores", "mlc", 3, "scores");
  for (int i = 0; i < 3; i++) sc->in[i] = n->in[i];
  ir_attr_add(g, sc, "to", AK_INT)->i = flex_ctype(n);
  float scale = (float)attr_f(n, "scale", 1 / sqrt((double)a.dk));
  ir_attr_add(g, sc, "scale", AK_FLOAT)->f = scale;
  Value *s = flex_mod(g, n, "score_mod", sc->out[0]);
  Node *sm = flex_node(g, n, "Softmax", "", 1, "softmax");
  sm->in[0] = s;
  ir_attr_add(g, sm, "axis", AK_INT)->i = -1;
  Value *pr = flex_mod(g, n, "prob_mod", sm->out[0]);
  Node *o = flex_node(g, n, "FlexOutput", "mlc", 2, "output");
  o->in[0] = pr;
  o->in[1] = n->in[2];
  o->out[0] = n->out[0];
  /* the new nodes take the place of this one */
  int k = g->nnodes - first;
  ir_move_appended(g, first, pos);
  infer_nodes(g, pos, pos + k);
  n->dead = 1;
}

void infer_FlexScores(Graph *g, Node *n) {
  Attn a;
  flex_shape(g, n, &a);
  int64_t dims[4] = {a.b, a.hq, a.sq, a.skv};
  set_shape_checked(n, n->out[0], 4, dims);
  n->out[0]->dtype = (DType)attr_i(n, "to", DT_FLOAT);
}

/* the scores are Q and K each times sqrt(scale) (a float32 square root),
 * multiplied */
void lower_FlexScores(Graph *g, Node *n, Lowering *L) {
  Attn a;
  flex_shape(g, n, &a);
  int64_t sc = 2 * (a.skv > 0 ? a.skv : 1);
  /* scores only: no V, mask, nonpad or y */
  Value *io[MLC_ATTENTION_NIO] = {NULL};
  io[MLC_ATTENTION_Q] = lower_as_type(g, L, n->in[0], DT_FLOAT);
  io[MLC_ATTENTION_K] = lower_as_type(g, L, n->in[1], DT_FLOAT);
  io[MLC_ATTENTION_QK] = lower_out_as(g, n->out[0], DT_FLOAT);
  io[MLC_ATTENTION_SCRATCH] = lower_temp(g, DT_FLOAT, 1, &sc);
  KCall *c = attention_call(g, L, &a);
  MlcAttention *p = KC_PARAMS(c, MlcAttention);
  head_strides(n->in[0], a.hq, a.dk, p->q_st);
  head_strides(n->in[1], a.hkv, a.dk, p->k_st);
  float sf = sqrtf((float)attr_f(n, "scale", 1));
  p->scale = (double)sf * sf;
  p->left = p->right = -1;
  memcpy(c->io, io, sizeof io);
  c->nio = MLC_ATTENTION_NIO;
  lower_finish(g, L, io[MLC_ATTENTION_QK], n->out[0]);
}

/* probabilities [b, hq, l, s] and values [b, hkv, s, ev] */
static void flex_out_shape(Graph *g, const Node *n, int64_t *dims) {
  const Value *pr = n->in[0], *v = n->in[1];
  require_float(n, pr, "the probabilities");
  require_float(n, v, "V");
  if (pr->rank != 4 || v->rank != 4 || pr->dims[0] != v->dims[0] || v->dims[1] < 1 ||
      pr->dims[1] % v->dims[1] || pr->dims[3] != v->dims[2])
    diag_node_fatal(n, "probabilities %s do not fit values %s", ir_shape_str(g->arena, pr),
                    ir_shape_str(g->arena, v));
  dims[0] = pr->dims[0];
  dims[1] = pr->dims[1];
  dims[2] = pr->dims[2];
  dims[3] = v->dims[3];
}

void infer_FlexOutput(Graph *g, Node *n) {
  int64_t dims[4];
  flex_out_shape(g, n, dims);
  set_shape_checked(n, n->out[0], 4, dims);
  n->out[0]->dtype = n->in[1]->dtype;
}

void lower_FlexOutput(Graph *g, Node *n, Lowering *L) {
  int64_t dims[4];
  flex_out_shape(g, n, dims);
  const Value *v = n->in[1];
  int64_t hq = dims[1], hkv = v->dims[1], grp = hq / hkv, l = dims[2], s = v->dims[2];
  int64_t ev = dims[3];
  Value *pr = lower_as_type(g, L, n->in[0], DT_FLOAT);
  Value *vf = lower_as_type(g, L, n->in[1], DT_FLOAT);
  Value *y = lower_out_as(g, n->out[0], DT_FLOAT);
  int64_t scratch = mlc_rt_gemm_scratch(l, ev, s);
  Value *sv = scratch > 0 ? lower_temp(g, DT_FLOAT, 1, &scratch) : NULL;
  KCall *c = lower_add(g, L, K_matmul_f32);
  MlcMatMul *p = KC_PARAMS(c, MlcMatMul);
  p->m = l;
  p->n = ev;
  p->k = s;
  p->brank = 3;
  /* batches (b, kv head, query head in its group) */
  int64_t bd[3] = {dims[0], hkv, grp}, abs[3] = {hq * l * s, grp * l * s, l * s};
  int64_t bbs[3] = {hkv * s * ev, s * ev, 0};
  memcpy(p->bdims, bd, sizeof bd);
  memcpy(p->a_bs, abs, sizeof abs);
  memcpy(p->b_bs, bbs, sizeof bbs);
  c->io[MLC_MATMUL_A] = pr;
  c->io[MLC_MATMUL_B] = vf;
  c->io[MLC_MATMUL_Y] = y;
  c->io[MLC_MATMUL_SCRATCH] = sv;
  c->nio = MLC_MATMUL_NIO;
  lower_finish(g, L, y, n->out[0]);
}
