/* Recurrent ops: RNN, GRU and LSTM, every opset.
 *
 * All three lower to one runtime kernel (rnn_f32, runtime/rnn.c) whose
 * parameters say which cell it runs. The kernel has room for eight io
 * slots, fewer than the op's optional inputs and outputs, so the initial
 * and final states travel through the start of its scratch: strided copies
 * put initial_h and initial_c there before the call (transposed from the
 * batch-major layout when layout is 1) and take Y_h and Y_c from there
 * after it. Shapes are static: the sequence length and batch come from X.
 *
 * Versions: opset 1's output_sequence only said whether Y is wanted, which
 * the outputs themselves say; GRU's linear_before_reset arrived in opset 3
 * (0 before); layout in opset 14. float16 and bfloat16 compute in float32
 * (OPF_WIDEN); double is refused.
 *
 * Activation functions follow onnxruntime: names are matched without case,
 * activation_alpha and activation_beta are consumed in order by the
 * functions that take them, and a missing one defaults to LeakyRelu 0.01,
 * HardSigmoid 0.2 and 0.5, Elu 1.0, else 0. A bidirectional node may list
 * its functions once for both directions.
 */
#include <ctype.h>
#include <string.h>

#include "diag.h"
#include "ops.h"

/* one activation function: how many of alpha and beta it takes, and their
 * defaults */
static const struct {
  const char *name;
  int kind, nalpha, nbeta;
  double alpha, beta;
} acts[] = {
    {"Relu", MLC_RNN_RELU, 0, 0, 0, 0},
    {"Tanh", MLC_RNN_TANH, 0, 0, 0, 0},
    {"Sigmoid", MLC_RNN_SIGMOID, 0, 0, 0, 0},
    {"Affine", MLC_RNN_AFFINE, 1, 1, 0, 0},
    {"LeakyRelu", MLC_RNN_LEAKYRELU, 1, 0, 0.01, 0},
    {"ThresholdedRelu", MLC_RNN_THRESHOLDEDRELU, 1, 0, 0, 0},
    {"ScaledTanh", MLC_RNN_SCALEDTANH, 1, 1, 0, 0},
    {"HardSigmoid", MLC_RNN_HARDSIGMOID, 1, 1, 0.2, 0.5},
    {"Elu", MLC_RNN_ELU, 1, 0, 1.0, 0},
    {"Softsign", MLC_RNN_SOFTSIGN, 0, 0, 0, 0},
    {"Softplus", MLC_RNN_SOFTPLUS, 0, 0, 0, 0},
};

/* a cell's gates, activation functions and defaults */
typedef struct Cell {
  int kind, gates, nact;
  int def[3];
} Cell;

static Cell cell_of(const Node *n) {
  if (n->op == OP_LSTM)
    return (Cell){MLC_RNN_CELL_LSTM, 4, 3, {MLC_RNN_SIGMOID, MLC_RNN_TANH, MLC_RNN_TANH}};
  if (n->op == OP_GRU) return (Cell){MLC_RNN_CELL_GRU, 3, 2, {MLC_RNN_SIGMOID, MLC_RNN_TANH, 0}};
  return (Cell){MLC_RNN_CELL_RNN, 1, 1, {MLC_RNN_TANH, 0, 0}};
}

static int same_nocase(const char *a, const char *b) {
  for (; *a && tolower((unsigned char)*a) == tolower((unsigned char)*b); a++, b++) {
  }
  return tolower((unsigned char)*a) == tolower((unsigned char)*b);
}

enum { IN_X, IN_W, IN_R, IN_B, IN_LENS, IN_H0, IN_C0, IN_P };

static Value *input(const Node *n, int i) { return i < n->nin ? n->in[i] : NULL; }

static void read_acts(const Node *n, const Cell *c, MlcRnn *p) {
  const Attr *a = ir_attr(n, "activations");
  int64_t total = c->nact * p->ndir;
  if (!a) {
    for (int64_t i = 0; i < total; i++) p->act[i] = c->def[i % c->nact];
    return;
  }
  if (a->kind != AK_STRINGS)
    diag_node_fatal(n, "attribute 'activations' must be a list of strings");
  if (a->n != total && !(p->ndir == 2 && a->n == c->nact))
    diag_node_fatal(n, "'activations' lists %d functions; %s %s takes %lld", a->n,
                    p->ndir == 2 ? "a bidirectional" : "a one-direction", n->op_type,
                    (long long)total);
  const double *al, *be;
  int nal = attr_floats(n, "activation_alpha", &al), nbe = attr_floats(n, "activation_beta", &be);
  int ia = 0, ib = 0;
  for (int i = 0; i < a->n; i++) {
    size_t k = 0;
    while (k < sizeof acts / sizeof *acts && !same_nocase(acts[k].name, a->strings[i])) k++;
    if (k == sizeof acts / sizeof *acts)
      diag_node_fatal(n,
                      "unknown activation function '%s' (expected Relu, Tanh, Sigmoid, "
                      "Affine, LeakyRelu, ThresholdedRelu, ScaledTanh, HardSigmoid, Elu, "
                      "Softsign or Softplus)",
                      a->strings[i]);
    p->act[i] = acts[k].kind;
    p->alpha[i] = acts[k].alpha;
    p->beta[i] = acts[k].beta;
    if (acts[k].nalpha && ia < nal) p->alpha[i] = al[ia++];
    if (acts[k].nbeta && ib < nbe) p->beta[i] = be[ib++];
  }
  /* one list for both directions */
  for (int64_t i = a->n; i < total; i++) {
    p->act[i] = p->act[i - a->n];
    p->alpha[i] = p->alpha[i - a->n];
    p->beta[i] = p->beta[i - a->n];
  }
}

static void check_shape(Graph *g, const Node *n, const Value *v, const char *what, int rank,
                        const int64_t *dims) {
  int ok = v->rank == rank;
  for (int i = 0; ok && i < rank; i++) ok = v->dims[i] == dims[i];
  if (ok) return;
  Value want = {0};
  ir_set_shape(&want, rank, dims);
  diag_node_fatal(n, "%s has shape %s; it must be %s", what, ir_shape_str(g->arena, v),
                  ir_shape_str(g->arena, &want));
}

/* the kernel's parameters from the node, everything validated */
static void rnn_params(Graph *g, const Node *n, MlcRnn *p) {
  static const char *names[] = {"input X", "weight W",  "recurrence R", "bias B",
                                "",        "initial_h", "initial_c",    "peepholes P"};
  Cell c = cell_of(n);
  memset(p, 0, sizeof *p);
  p->cell = c.kind;
  for (int i = 0; i < n->nin; i++) {
    const Value *v = n->in[i];
    if (!v || i == IN_LENS) continue;
    if (v->dtype != DT_FLOAT)
      diag_node_fatal(n, "%s is %s; mlc supports %s on float32 (and float16, bfloat16) only",
                      names[i], dtype_name(v->dtype), n->op_type);
  }
  const Value *x = n->in[IN_X], *w = n->in[IN_W], *r = n->in[IN_R];
  p->layout = n->opset >= 14 ? attr_i(n, "layout", 0) : 0;
  if (p->layout != 0 && p->layout != 1)
    diag_node_fatal(n, "layout is %lld; it must be 0 or 1", (long long)p->layout);
  const char *dir = attr_s(n, "direction", "forward");
  if (!strcmp(dir, "bidirectional")) {
    p->ndir = 2;
  } else {
    p->ndir = 1;
    p->reverse = !strcmp(dir, "reverse");
    if (!p->reverse && strcmp(dir, "forward"))
      diag_node_fatal(n, "unknown direction '%s' (expected forward, reverse or bidirectional)",
                      dir);
  }
  if (x->rank != 3)
    diag_node_fatal(n, "input X must have rank 3 ([%s, input_size]), not %d",
                    p->layout ? "batch, seq_length" : "seq_length, batch", x->rank);
  p->seq = x->dims[p->layout];
  p->batch = x->dims[1 - p->layout];
  p->input = x->dims[2];
  if (r->rank != 3) diag_node_fatal(n, "recurrence R must have rank 3, not %d", r->rank);
  p->hidden = r->dims[2];
  const Attr *hs = ir_attr(n, "hidden_size");
  if (hs && attr_i(n, "hidden_size", 0) != p->hidden)
    diag_node_fatal(n, "hidden_size is %lld but R has %lld hidden units",
                    (long long)attr_i(n, "hidden_size", 0), (long long)p->hidden);
  /* bounds that keep every product below (and the scratch far from
   * overflowing); the tensors themselves are within the driver's limits */
  const int64_t lim = (int64_t)1 << 31;
  int64_t gh = c.gates * p->hidden;
  if (p->hidden > lim || p->seq > lim || p->batch > lim || p->input > lim ||
      p->seq * p->batch > lim || (p->seq * p->batch + 1) * gh > ((int64_t)1 << 40))
    diag_node_fatal(n, "the sizes of this %s are beyond mlc's limits", n->op_type);
  int64_t wd[3] = {p->ndir, gh, p->input}, rd[3] = {p->ndir, gh, p->hidden};
  check_shape(g, n, w, "weight W", 3, wd);
  check_shape(g, n, r, "recurrence R", 3, rd);
  const Value *b = input(n, IN_B), *lens = input(n, IN_LENS);
  if (b) {
    int64_t bd[2] = {p->ndir, 2 * gh};
    check_shape(g, n, b, "bias B", 2, bd);
    p->has_b = 1;
  }
  if (lens) {
    if (lens->dtype != DT_INT32)
      diag_node_fatal(n, "sequence_lens is %s; it must be int32", dtype_name(lens->dtype));
    check_shape(g, n, lens, "sequence_lens", 1, &p->batch);
  }
  int64_t sd[3] = {p->layout ? p->batch : p->ndir, p->layout ? p->ndir : p->batch, p->hidden};
  for (int i = IN_H0; i <= IN_C0; i++) {
    const Value *v = input(n, i);
    if (i == IN_C0 && c.kind != MLC_RNN_CELL_LSTM) break;
    if (v) check_shape(g, n, v, names[i], 3, sd);
  }
  p->has_h0 = input(n, IN_H0) != NULL;
  p->has_c0 = c.kind == MLC_RNN_CELL_LSTM && input(n, IN_C0);
  if (c.kind == MLC_RNN_CELL_LSTM && input(n, IN_P)) {
    int64_t pd[2] = {p->ndir, 3 * p->hidden};
    check_shape(g, n, input(n, IN_P), names[IN_P], 2, pd);
    p->has_p = 1;
  }
  if (ir_attr(n, "clip")) {
    p->clip = attr_f(n, "clip", 0);
    if (!(p->clip > 0)) diag_node_fatal(n, "clip is %g; it must be positive", p->clip);
  }
  if (c.kind == MLC_RNN_CELL_LSTM) {
    p->input_forget = attr_i(n, "input_forget", 0);
    if (p->input_forget != 0 && p->input_forget != 1)
      diag_node_fatal(n, "input_forget is %lld; it must be 0 or 1", (long long)p->input_forget);
  }
  if (c.kind == MLC_RNN_CELL_GRU) {
    p->lbr = attr_i(n, "linear_before_reset", 0);
    if (p->lbr != 0 && p->lbr != 1)
      diag_node_fatal(n, "linear_before_reset is %lld; it must be 0 or 1", (long long)p->lbr);
  }
  read_acts(n, &c, p);
}

void infer_Recurrent(Graph *g, Node *n) {
  MlcRnn p;
  rnn_params(g, n, &p);
  int64_t y[4] = {p.seq, p.ndir, p.batch, p.hidden};
  int64_t yl[4] = {p.batch, p.seq, p.ndir, p.hidden};
  int64_t s[3] = {p.ndir, p.batch, p.hidden}, sl[3] = {p.batch, p.ndir, p.hidden};
  for (int j = 0; j < n->nout; j++) {
    Value *v = n->out[j];
    if (!v) continue;
    if (j == 0)
      set_shape_checked(n, v, 4, p.layout ? yl : y);
    else
      set_shape_checked(n, v, 3, p.layout ? sl : s);
    v->dtype = DT_FLOAT;
  }
}

/* copies between a state tensor (initial_h, Y_h, ...: [ndir, batch,
 * hidden], or [batch, ndir, hidden] with layout 1) and the kernel's state
 * at float offset off of its scratch */
static void state_copy(Graph *g, const Node *n, Lowering *L, const MlcRnn *p, Value *t,
                       Value *scratch, int64_t off, int into_scratch) {
  int64_t dims[3] = {p->ndir, p->batch, p->hidden};
  int64_t st[3] = {p->batch * p->hidden, p->hidden, 1};
  int64_t tt[3] = {p->layout ? p->hidden : st[0], p->layout ? p->ndir * p->hidden : st[1], 1};
  if (into_scratch)
    lower_strided_copy(g, n, L, t, scratch, 3, dims, tt, st, 0, off);
  else
    lower_strided_copy(g, n, L, scratch, t, 3, dims, st, tt, off, 0);
}

void lower_Recurrent(Graph *g, Node *n, Lowering *L) {
  MlcRnn p;
  rnn_params(g, n, &p);
  int64_t words = mlc_rt_rnn_scratch(&p), state = p.ndir * p.batch * p.hidden;
  Value *scratch = ir_value_new(g, NULL);
  scratch->dtype = DT_FLOAT;
  set_shape_checked(n, scratch, 1, &words);
  if (p.has_h0) state_copy(g, n, L, &p, n->in[IN_H0], scratch, 0, 1);
  if (p.has_c0) state_copy(g, n, L, &p, n->in[IN_C0], scratch, state, 1);
  KCall *c = lower_add(g, L, K_rnn_f32);
  *KC_PARAMS(c, MlcRnn) = p;
  c->io[MLC_RNN_X] = n->in[IN_X];
  c->io[MLC_RNN_W] = n->in[IN_W];
  c->io[MLC_RNN_R] = n->in[IN_R];
  c->io[MLC_RNN_B] = input(n, IN_B);
  c->io[MLC_RNN_LENS] = input(n, IN_LENS);
  c->io[MLC_RNN_P] = p.has_p ? n->in[IN_P] : NULL;
  c->io[MLC_RNN_Y] = n->out[0];
  c->io[MLC_RNN_SCRATCH] = scratch;
  c->nio = MLC_RNN_NIO;
  for (int j = 1; j < n->nout; j++)
    if (n->out[j]) state_copy(g, n, L, &p, n->out[j], scratch, (j - 1) * state, 0);
}
