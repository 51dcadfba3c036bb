/* Control flow, compiled away.
 *
 * mlc compiles static graphs, so If, Loop and Scan become plain nodes while
 * shapes are inferred:
 *   - If with a condition known at compile time is replaced by its branch;
 *     with a run-time condition both branches are inlined and each output is
 *     chosen by a Where (ONNX ops are pure, so computing both is safe; the
 *     branches must agree on shapes).
 *   - Loop is unrolled while its trip count and condition are known at
 *     compile time (the condition may be computed by the body, as long as it
 *     folds); a condition that depends on run-time data is refused.
 *   - Scan is unrolled over its (static) sequence length; at opset 8, with a
 *     batch axis first, once per batch entry, the results stacked.
 * Each inlined node is inferred right away, so a Loop's next condition is
 * known before the next iteration is laid down. Scan outputs are stacked with
 * Reshape + Concat.
 *
 * Sequences are lists of tensor values known at compile time (Value.seq):
 * SequenceConstruct/Insert/Erase build the list, SequenceAt and
 * ConcatFromSequence become an Identity and a Concat of its elements,
 * SequenceLength a constant, SplitToSequence a Split, SequenceMap its body
 * once per element. Positions must be known at compile time. A sequence
 * passes through Identity, If and Loop as its list.
 *
 * Optionals: a present one is simply its tensor or sequence, an empty one a
 * value with opt_none set (no elements, never a tensor). So Optional and
 * OptionalGetElement are identities and OptionalHasElement a constant. An If
 * with a run-time condition picks sequences element by element (both
 * branches must give as many); whether an optional is empty must be known
 * at compile time.
 */
#include <stdio.h>
#include <string.h>

#include "clone.h"
#include "diag.h"
#include "infer.h"
#include "ops.h"

/* Limits on unrolling: iterations of one node, and nodes all unrolling in a
 * model may add (nested loops multiply, so the count is the model's). */
enum { UNROLL_MAX_ITERS = 1 << 14, UNROLL_MAX_NODES = 1 << 17 };

/* ---- inlining into the parent ------------------------------------------------ */

typedef struct Expansion {
  Graph *g;
  Node *at; /* the control-flow node being replaced */
  int pos;  /* where the next inlined node goes in g->nodes */
} Expansion;

/* moves the nodes appended since `first` to x->pos and infers them */
static void settle(Expansion *x, int first) {
  Graph *g = x->g;
  int k = g->nnodes - first;
  if (!k) return;
  Graph *top = g;
  while (top->parent) top = top->parent;
  top->unrolled_nodes += k;
  if (top->unrolled_nodes > UNROLL_MAX_NODES)
    diag_node_fatal(x->at, "unrolling adds more than %d nodes", UNROLL_MAX_NODES);
  ir_move_appended(g, first, x->pos);
  int from = x->pos, before = g->nnodes;
  x->pos += k;
  infer_nodes(g, from, x->pos);
  /* control flow among them unrolled in place, before x->pos */
  x->pos += g->nnodes - before;
}

/* the body's nodes, with its inputs bound to `ins`; its outputs into outs */
static void inline_body(Expansion *x, const Graph *body, Value *const *ins, int nins, Value **outs,
                        const char *prefix) {
  Graph *g = x->g;
  if (nins != body->ninputs)
    diag_node_fatal(x->at, "its body takes %d inputs, %d are given", body->ninputs, nins);
  CloneMap m;
  clone_map_init(&m, g, NULL, NULL);
  int first = g->nnodes;
  clone_body(g, body, &m, ins, outs, prefix);
  settle(x, first);
}

static Node *add_node(Expansion *x, const char *op, const char *suffix, int nin, int nout) {
  Node *n =
      op_node_new(x->g, op, "", arena_printf(x->g->arena, "%s/%s", x->at->name, suffix), nin, nout);
  n->index = x->at->index;
  if (n->opset < 13) n->opset = 13; /* the forms written below */
  return n;
}

/* dst = src through an Identity, so dst keeps its name and its consumers; a
 * sequence or optional is resolved here, dst listing src's elements */
static void forward(Expansion *x, Value *src, Value *dst) {
  if (src->is_seq) {
    seq_share(x->g, src, dst);
    return;
  }
  int first = x->g->nnodes;
  Node *n = add_node(x, "Identity", "out", 1, 1);
  n->in[0] = src;
  n->out[0] = dst;
  settle(x, first);
}

static Value *const_i64(Graph *g, int rank, const int64_t *vals, int count) {
  Value *v = ir_value_new(g, NULL);
  v->dtype = DT_INT64;
  int64_t dims[1] = {count};
  ir_set_shape(v, rank, dims);
  memcpy(ir_alloc_data(g, v), vals, (size_t)count * sizeof *vals);
  return v;
}

static int known_bool(const Value *v, int *out) {
  if (!v || !v->data || ir_numel(v) != 1) return 0;
  *out = ir_data_i64(v, 0) != 0;
  return 1;
}

/* the pieces (each of one shape) stacked along a new axis into dst */
static void stack(Expansion *x, Value **parts, int n, int axis, int reverse, Value *dst) {
  if (!n) diag_node_fatal(x->at, "a scan output of zero iterations is not supported");
  Value *first = parts[0];
  if (axis < 0) axis += first->rank + 1;
  if (axis < 0 || axis > first->rank)
    diag_node_fatal(x->at, "scan output axis is out of range for rank %d", first->rank + 1);
  int64_t dims[IR_MAX_RANK];
  if (first->rank + 1 > IR_MAX_RANK) diag_node_fatal(x->at, "scan output rank is too large");
  for (int d = 0, s = 0; d <= first->rank; d++) dims[d] = d == axis ? 1 : first->dims[s++];
  Value *shape = const_i64(x->g, 1, dims, first->rank + 1);
  int start = x->g->nnodes;
  Node *cat = add_node(x, "Concat", "stack", n, 1);
  ir_attr_add(x->g, cat, "axis", AK_INT)->i = axis;
  cat->out[0] = dst;
  for (int i = 0; i < n; i++) {
    Node *r = add_node(x, "Reshape", "unsqueeze", 2, 1);
    r->in[0] = parts[reverse ? n - 1 - i : i];
    r->in[1] = shape;
    r->out[0] = ir_value_new(x->g, NULL);
    cat->in[i] = r->out[0];
  }
  /* the Reshapes go before the Concat */
  memmove(x->g->nodes + start, x->g->nodes + start + 1, (size_t)n * sizeof *x->g->nodes);
  x->g->nodes[start + n] = cat;
  settle(x, start);
}

static const Graph *graph_attr(const Node *n, const char *name) {
  const Attr *a = ir_attr(n, name);
  if (!a || a->kind != AK_GRAPH || !a->g)
    diag_node_fatal(n, "attribute '%s' (a graph) is missing", name);
  return a->g;
}

/* ---- If ---------------------------------------------------------------------- */

static void set_seq(Graph *g, Value *out, Value *const *items, int n);

/* out = cond ? a : b for If output i, of equal shapes, with a Where */
static void pick(Expansion *x, int i, Value *a, Value *b, Value *out) {
  if (!ir_same_shape(a, b))
    diag_node_fatal(x->at,
                    "output %d has shape %s in one branch and %s in the other: with a "
                    "condition known only at run time, mlc needs them equal",
                    i, ir_shape_str(x->g->arena, a), ir_shape_str(x->g->arena, b));
  int first = x->g->nnodes;
  Node *w = add_node(x, "Where", "select", 3, 1);
  w->in[0] = x->at->in[0];
  w->in[1] = a;
  w->in[2] = b;
  w->out[0] = out;
  settle(x, first);
}

void infer_If(Graph *g, Node *n) {
  Expansion x = {g, n, n->pos + 1};
  const Graph *br[2] = {graph_attr(n, "then_branch"), graph_attr(n, "else_branch")};
  for (int b = 0; b < 2; b++)
    if (br[b]->noutputs != n->nout)
      diag_node_fatal(n, "its %s branch has %d outputs, the node %d", b ? "else" : "then",
                      br[b]->noutputs, n->nout);
  Value **outs[2];
  int cond;
  for (int b = 0; b < 2; b++) outs[b] = arena_array(g->arena, (size_t)n->nout + 1, sizeof **outs);
  if (known_bool(n->in[0], &cond)) {
    inline_body(&x, br[!cond], NULL, 0, outs[0], cond ? "then" : "else");
    for (int i = 0; i < n->nout; i++)
      if (n->out[i]) forward(&x, outs[0][i], n->out[i]);
  } else {
    if (n->in[0]->dtype != DT_BOOL || ir_numel(n->in[0]) != 1)
      diag_node_fatal(n, "the condition must be a single bool");
    /* an error in a branch says why both are compiled, and how to avoid it */
    const char *src = infer_source_input(g->arena, n->in[0]);
    for (int b = 0; b < 2; b++) {
      diag_note_push(
          arena_printf(g->arena,
                       "in the %s branch of If '%s' (#%d), compiled with the other because its "
                       "condition %s%s%s is known only at run time%s%s%s",
                       b ? "else" : "then", n->name ? n->name : "", n->index,
                       src ? "comes from input '" : "", src ? src : "", src ? "' and" : "",
                       src ? "; if it is fixed where you use the model, "
                             "--const "
                           : "",
                       src ? src : "", src ? "=VALUE compiles only its branch" : ""));
      inline_body(&x, br[b], NULL, 0, outs[b], b ? "else" : "then");
      diag_note_pop();
    }
    for (int i = 0; i < n->nout; i++) {
      if (!n->out[i]) continue;
      Value *a = outs[0][i], *b = outs[1][i];
      if (!a->is_seq && !b->is_seq) {
        pick(&x, i, a, b, n->out[i]);
        continue;
      }
      /* which optional is empty, or how long a sequence is, decides the types
       * of what follows: that needs the condition */
      if (!a->is_seq || !b->is_seq || a->opt_none || b->opt_none || a->nseq != b->nseq)
        infer_need_const(n, n->in[0]);
      Value **items = arena_array(g->arena, (size_t)a->nseq + 1, sizeof *items);
      for (int k = 0; k < a->nseq; k++)
        pick(&x, i, a->seq[k], b->seq[k], items[k] = ir_value_new(g, NULL));
      set_seq(g, n->out[i], items, a->nseq);
      if (!a->nseq) n->out[i]->dtype = a->dtype;
    }
  }
  n->dead = 1;
}

/* ---- Loop -------------------------------------------------------------------- */

void infer_Loop(Graph *g, Node *n) {
  Expansion x = {g, n, n->pos + 1};
  const Graph *body = graph_attr(n, "body");
  int ncarry = n->nin - 2, nscan = n->nout - ncarry;
  if (ncarry < 0 || nscan < 0 || body->ninputs != ncarry + 2 ||
      body->noutputs != ncarry + 1 + nscan)
    diag_node_fatal(n, "its body's inputs and outputs do not match the node's");
  int64_t trips = -1;
  if (n->in[0]) {
    if (!n->in[0]->data || ir_numel(n->in[0]) != 1) infer_need_const(n, n->in[0]);
    trips = ir_data_i64(n->in[0], 0);
  }
  int go = 1;
  Value *cond = n->in[1];
  if (cond && !known_bool(cond, &go)) infer_need_const(n, cond);
  Value **carry = arena_array(g->arena, (size_t)ncarry + 2, sizeof *carry);
  for (int i = 0; i < ncarry; i++) carry[i] = n->in[2 + i];
  Value ***scans = arena_array(g->arena, (size_t)nscan + 1, sizeof *scans);
  size_t *scap = arena_array(g->arena, (size_t)nscan + 1, sizeof *scap);
  Value **outs = arena_array(g->arena, (size_t)body->noutputs + 1, sizeof *outs);
  Value **ins = arena_array(g->arena, (size_t)ncarry + 3, sizeof *ins);
  int iters = 0;
  for (; go && (trips < 0 || iters < trips); iters++) {
    if (iters == UNROLL_MAX_ITERS)
      diag_node_fatal(n, "the loop runs more than %d iterations: too many to unroll", iters);
    int64_t it = iters;
    ins[0] = const_i64(g, 0, &it, 1);
    if (!cond) {
      cond = ir_value_new(g, NULL);
      cond->dtype = DT_BOOL;
      ir_set_shape(cond, 0, NULL);
      *(uint8_t *)ir_alloc_data(g, cond) = 1;
    }
    ins[1] = cond;
    for (int i = 0; i < ncarry; i++) ins[2 + i] = carry[i];
    inline_body(&x, body, ins, ncarry + 2, outs, arena_printf(g->arena, "iter%d", iters));
    cond = outs[0];
    if (!known_bool(cond, &go))
      diag_node_fatal(n,
                      "the loop condition depends on run-time data: mlc unrolls loops "
                      "whose trip count is known at compile time");
    for (int i = 0; i < ncarry; i++) carry[i] = outs[1 + i];
    for (int k = 0; k < nscan; k++) {
      scans[k] = arena_grow(g->arena, scans[k], &scap[k], (size_t)iters + 1, sizeof **scans);
      scans[k][iters] = outs[1 + ncarry + k];
    }
  }
  for (int i = 0; i < ncarry; i++)
    if (n->out[i]) forward(&x, carry[i], n->out[i]);
  for (int k = 0; k < nscan; k++)
    if (n->out[ncarry + k]) stack(&x, scans[k], iters, 0, 0, n->out[ncarry + k]);
  n->dead = 1;
}

/* ---- Scan -------------------------------------------------------------------- */

static int64_t ints_at(const Node *n, const char *attr, int i, int count) {
  const int64_t *v;
  int k = attr_ints(n, attr, &v);
  if (k < 0) return 0;
  if (k != count) diag_node_fatal(n, "attribute '%s' has %d entries, expected %d", attr, k, count);
  return v[i];
}

/* v[index] along axis (the axis dropped), as a Gather */
static Value *slice_at(Expansion *x, Value *v, int axis, int64_t index) {
  int first = x->g->nnodes;
  Node *gat = add_node(x, "Gather", "slice", 2, 1);
  ir_attr_add(x->g, gat, "axis", AK_INT)->i = axis;
  gat->in[0] = v;
  gat->in[1] = const_i64(x->g, 0, &index, 1);
  gat->out[0] = ir_value_new(x->g, NULL);
  settle(x, first);
  return gat->out[0];
}

/* One scan: the body run `len` times over slices of the scan inputs xs
 * (along axis[k], last slice first where rev[k]), the state carried from
 * step to step. state[] ends as the final state; scans[k][t] is scan output
 * k of step t. */
typedef struct ScanRun {
  const Graph *body;
  Value **state;
  int nstate;
  Value **xs;
  const int *axis, *rev;
  int nxs, nout; /* scan inputs, scan outputs */
  int64_t len;
  Value ***scans;
  const char *prefix;
} ScanRun;

static void scan_steps(Expansion *x, ScanRun *r) {
  Graph *g = x->g;
  int nin = r->nstate + r->nxs;
  Value **ins = arena_array(g->arena, (size_t)nin + 1, sizeof *ins);
  Value **outs = arena_array(g->arena, (size_t)(r->nstate + r->nout) + 1, sizeof *outs);
  for (int k = 0; k < r->nout; k++)
    r->scans[k] = arena_array(g->arena, (size_t)r->len + 1, sizeof **r->scans);
  for (int64_t t = 0; t < r->len; t++) {
    for (int i = 0; i < r->nstate; i++) ins[i] = r->state[i];
    for (int k = 0; k < r->nxs; k++)
      ins[r->nstate + k] = slice_at(x, r->xs[k], r->axis[k], r->rev[k] ? r->len - 1 - t : t);
    inline_body(x, r->body, ins, nin, outs,
                arena_printf(g->arena, "%sstep%lld", r->prefix, (long long)t));
    for (int i = 0; i < r->nstate; i++) r->state[i] = outs[i];
    for (int k = 0; k < r->nout; k++) r->scans[k][t] = outs[r->nstate + k];
  }
}

/* the inputs' shared length along their axes */
static int64_t scan_len(const Node *n, Value *const *xs, const int *axis, int nxs) {
  int64_t len = -1;
  for (int k = 0; k < nxs; k++) {
    if (len >= 0 && xs[k]->dims[axis[k]] != len) diag_node_fatal(n, "scan inputs differ in length");
    len = xs[k]->dims[axis[k]];
  }
  if (len > UNROLL_MAX_ITERS)
    diag_node_fatal(n, "a scan of %lld steps is too long to unroll", (long long)len);
  return len;
}

/* Scan 8: the first input is sequence_lens, and every input and output has a
 * batch axis first, then (scan inputs and outputs) the sequence axis. Each
 * batch entry is scanned on its own and the results stacked. Shorter
 * sequence_lens would leave the end of the scan outputs undefined: refused. */
static void scan_batched(Graph *g, Node *n, const Graph *body, int nstate, int nxs, int nout) {
  Expansion x = {g, n, n->pos + 1};
  int64_t batch = -1;
  for (int i = 1; i < n->nin; i++) {
    Value *v = n->in[i];
    if (v->rank < (i > nstate ? 2 : 1) || (batch >= 0 && v->dims[0] != batch))
      diag_node_fatal(n, "input '%s' lacks the batch axis (or a sequence axis) the others have",
                      v->name);
    batch = v->dims[0];
  }
  if (batch < 1 || batch > UNROLL_MAX_ITERS)
    diag_node_fatal(n, "a batch of %lld is not supported", (long long)batch);
  int *axis = arena_array(g->arena, (size_t)nxs + 1, sizeof *axis);
  int *rev = arena_array(g->arena, (size_t)nxs + 1, sizeof *rev);
  for (int k = 0; k < nxs; k++) {
    axis[k] = 1;
    rev[k] = ints_at(n, "directions", k, nxs) != 0;
  }
  int64_t len = scan_len(n, n->in + 1 + nstate, axis, nxs);
  Value *lens = n->in[0];
  if (lens) {
    if (!lens->data) infer_need_const(n, lens);
    if (ir_numel(lens) != batch) diag_node_fatal(n, "sequence_lens must have one entry per batch");
    for (int64_t b = 0; b < batch; b++)
      if (ir_data_i64(lens, b) != len)
        diag_node_fatal(n,
                        "sequence_lens %lld differs from the scan length %lld: only full "
                        "lengths are supported",
                        (long long)ir_data_i64(lens, b), (long long)len);
  }
  /* per output, its value for each batch entry */
  Value ***per = arena_array(g->arena, (size_t)n->nout + 1, sizeof *per);
  for (int j = 0; j < n->nout; j++) per[j] = arena_array(g->arena, (size_t)batch, sizeof **per);
  Value **state = arena_array(g->arena, (size_t)nstate + 1, sizeof *state);
  Value **xs = arena_array(g->arena, (size_t)nxs + 1, sizeof *xs);
  Value ***scans = arena_array(g->arena, (size_t)nout + 1, sizeof *scans);
  for (int64_t b = 0; b < batch; b++) {
    for (int i = 0; i < nstate; i++) state[i] = slice_at(&x, n->in[1 + i], 0, b);
    for (int k = 0; k < nxs; k++) {
      xs[k] = slice_at(&x, n->in[1 + nstate + k], 0, b);
      axis[k] = 0;
    }
    ScanRun r = {body,
                 state,
                 nstate,
                 xs,
                 axis,
                 rev,
                 nxs,
                 nout,
                 len,
                 scans,
                 arena_printf(g->arena, "batch%lld/", (long long)b)};
    scan_steps(&x, &r);
    for (int i = 0; i < nstate; i++) per[i][b] = state[i];
    for (int k = 0; k < nout; k++) {
      per[nstate + k][b] = ir_value_new(g, NULL);
      stack(&x, scans[k], (int)len, 0, 0, per[nstate + k][b]);
    }
  }
  for (int j = 0; j < n->nout; j++)
    if (n->out[j]) stack(&x, per[j], (int)batch, 0, 0, n->out[j]);
  n->dead = 1;
}

void infer_Scan(Graph *g, Node *n) {
  Expansion x = {g, n, n->pos + 1};
  const Graph *body = graph_attr(n, "body");
  int batched = n->opset < 9; /* sequence_lens first */
  int nscan_in = (int)attr_i(n, "num_scan_inputs", -1);
  int nstate = n->nin - batched - nscan_in, nscan_out = n->nout - nstate;
  if (nscan_in < 1 || nstate < 0 || nscan_out < 0 || body->ninputs != n->nin - batched ||
      body->noutputs != n->nout)
    diag_node_fatal(n, "num_scan_inputs and the body do not match the node's inputs and outputs");
  /* (Scan 8's sequence_lens may be absent) */
  for (int i = batched; i < n->nin; i++)
    if (!n->in[i]) diag_node_fatal(n, "input %d is missing", i);
  if (batched) {
    scan_batched(g, n, body, nstate, nscan_in, nscan_out);
    return;
  }
  int *axis = arena_array(g->arena, (size_t)nscan_in, sizeof *axis);
  int *rev = arena_array(g->arena, (size_t)nscan_in, sizeof *rev);
  for (int k = 0; k < nscan_in; k++) {
    Value *s = n->in[nstate + k];
    int64_t a = ints_at(n, "scan_input_axes", k, nscan_in);
    if (a < -s->rank || a >= s->rank)
      diag_node_fatal(n, "scan input axis %lld is out of range", (long long)a);
    axis[k] = (int)(a < 0 ? a + s->rank : a);
    rev[k] = ints_at(n, "scan_input_directions", k, nscan_in) != 0;
  }
  Value **state = arena_array(g->arena, (size_t)nstate + 1, sizeof *state);
  for (int i = 0; i < nstate; i++) state[i] = n->in[i];
  Value ***scans = arena_array(g->arena, (size_t)nscan_out + 1, sizeof *scans);
  ScanRun r = {body,           state,     nstate,
               n->in + nstate, axis,      rev,
               nscan_in,       nscan_out, scan_len(n, n->in + nstate, axis, nscan_in),
               scans,          ""};
  scan_steps(&x, &r);
  for (int i = 0; i < nstate; i++)
    if (n->out[i]) forward(&x, state[i], n->out[i]);
  for (int k = 0; k < nscan_out; k++)
    if (n->out[nstate + k])
      stack(&x, scans[k], (int)r.len, (int)ints_at(n, "scan_output_axes", k, nscan_out),
            (int)ints_at(n, "scan_output_directions", k, nscan_out), n->out[nstate + k]);
  n->dead = 1;
}

/* ---- sequences ---------------------------------------------------------------- */

static void set_seq(Graph *g, Value *out, Value *const *items, int n) {
  out->is_seq = 1;
  out->nseq = n;
  out->seq = arena_array(g->arena, (size_t)n + 1, sizeof *out->seq);
  if (n) memcpy(out->seq, items, (size_t)n * sizeof *items);
  out->dtype = n ? items[0]->dtype : DT_UNDEF;
}

void seq_share(Graph *g, const Value *src, Value *dst) {
  set_seq(g, dst, src->seq, src->nseq);
  dst->dtype = src->dtype; /* an empty sequence keeps its type */
  dst->opt_none = src->opt_none;
}

static Value *seq_input(const Node *n, int i) {
  Value *v = n->in[i];
  if (!v || !v->is_seq || v->opt_none)
    diag_node_fatal(n, "input %d must be a sequence%s", i,
                    v && v->opt_none ? ", not an empty optional" : "");
  return v;
}

/* a position input (known at compile time) into [0, len] (or [0, len) for
 * `existing`); `def` when the input is absent */
static int seq_pos(const Node *n, int i, int len, int existing, int def) {
  if (i >= n->nin || !n->in[i]) return def;
  Value *p = n->in[i];
  if (ir_numel(p) != 1) diag_node_fatal(n, "the position must be a scalar");
  if (!p->data) infer_need_const(n, p);
  int64_t k = ir_data_i64(p, 0);
  if (k < 0) k += len;
  if (k < 0 || k > len - (existing ? 1 : 0))
    diag_node_fatal(n, "position %lld is out of range for a sequence of %d",
                    (long long)ir_data_i64(p, 0), len);
  return (int)k;
}

void infer_SequenceEmpty(Graph *g, Node *n) {
  set_seq(g, n->out[0], NULL, 0);
  n->out[0]->dtype = (DType)attr_i(n, "dtype", DT_FLOAT);
  n->dead = 1;
}

void infer_SequenceConstruct(Graph *g, Node *n) {
  for (int i = 1; i < n->nin; i++)
    if (n->in[i]->dtype != n->in[0]->dtype)
      diag_node_fatal(n, "the tensors of a sequence must have one type");
  set_seq(g, n->out[0], n->in, n->nin);
  n->dead = 1;
}

void infer_SequenceInsert(Graph *g, Node *n) {
  Value *s = seq_input(n, 0), *t = n->in[1];
  if (s->nseq && t->dtype != s->dtype)
    diag_node_fatal(n, "the tensor's type differs from the sequence's");
  int at = seq_pos(n, 2, s->nseq, 0, s->nseq);
  Value **items = arena_array(g->arena, (size_t)s->nseq + 2, sizeof *items);
  memcpy(items, s->seq, (size_t)at * sizeof *items);
  items[at] = t;
  memcpy(items + at + 1, s->seq + at, (size_t)(s->nseq - at) * sizeof *items);
  set_seq(g, n->out[0], items, s->nseq + 1);
  n->dead = 1;
}

void infer_SequenceErase(Graph *g, Node *n) {
  Value *s = seq_input(n, 0);
  if (!s->nseq) diag_node_fatal(n, "erasing from an empty sequence");
  int at = seq_pos(n, 1, s->nseq, 1, s->nseq - 1);
  Value **items = arena_array(g->arena, (size_t)s->nseq + 1, sizeof *items);
  memcpy(items, s->seq, (size_t)at * sizeof *items);
  memcpy(items + at, s->seq + at + 1, (size_t)(s->nseq - at - 1) * sizeof *items);
  set_seq(g, n->out[0], items, s->nseq - 1);
  if (s->nseq == 1) n->out[0]->dtype = s->dtype; /* an empty sequence keeps its type */
  n->dead = 1;
}

void infer_SequenceAt(Graph *g, Node *n) {
  Expansion x = {g, n, n->pos + 1};
  Value *s = seq_input(n, 0);
  int at = seq_pos(n, 1, s->nseq, 1, 0);
  forward(&x, s->seq[at], n->out[0]);
  n->dead = 1;
}

void infer_SequenceLength(Graph *g, Node *n) {
  Value *s = seq_input(n, 0), *y = n->out[0];
  y->dtype = DT_INT64;
  ir_set_shape(y, 0, NULL);
  *(int64_t *)ir_alloc_data(g, y) = s->nseq;
  n->dead = 1;
}

void infer_ConcatFromSequence(Graph *g, Node *n) {
  Expansion x = {g, n, n->pos + 1};
  Value *s = seq_input(n, 0);
  if (!s->nseq) diag_node_fatal(n, "concatenating an empty sequence");
  int64_t axis = attr_i(n, "axis", 0);
  if (attr_i(n, "new_axis", 0)) {
    stack(&x, s->seq, s->nseq, (int)axis, 0, n->out[0]);
  } else {
    int first = g->nnodes;
    Node *cat = add_node(&x, "Concat", "concat", s->nseq, 1);
    ir_attr_add(g, cat, "axis", AK_INT)->i = axis;
    memcpy(cat->in, s->seq, (size_t)s->nseq * sizeof *cat->in);
    cat->out[0] = n->out[0];
    settle(&x, first);
  }
  n->dead = 1;
}

void infer_SplitToSequence(Graph *g, Node *n) {
  Expansion x = {g, n, n->pos + 1};
  Value *v = n->in[0];
  int64_t axis = attr_i(n, "axis", 0);
  if (axis < -v->rank || axis >= v->rank)
    diag_node_fatal(n, "axis %lld is out of range", (long long)axis);
  if (axis < 0) axis += v->rank;
  int64_t len = v->dims[axis], sizes[1024];
  int k = 0, keep = 1;
  Value *split = n->nin > 1 ? n->in[1] : NULL;
  if (!split) {
    /* pieces of one, the axis dropped unless keepdims */
    if (len > 1024) diag_node_fatal(n, "more than 1024 pieces");
    for (k = 0; k < len; k++) sizes[k] = 1;
    keep = attr_i(n, "keepdims", 1) != 0;
  } else {
    if (!split->data) infer_need_const(n, split);
    if (ir_numel(split) == 1 && split->rank == 0) {
      int64_t c = ir_data_i64(split, 0);
      if (c <= 0) diag_node_fatal(n, "split size %lld must be positive", (long long)c);
      for (int64_t at = 0; at < len && k < 1024; at += c) sizes[k++] = at + c <= len ? c : len - at;
    } else {
      int64_t sum = 0;
      for (; k < ir_numel(split) && k < 1024; k++) sum += sizes[k] = ir_data_i64(split, k);
      if (sum != len)
        diag_node_fatal(n, "the split sizes add up to %lld, not %lld", (long long)sum,
                        (long long)len);
    }
  }
  if (!k) diag_node_fatal(n, "splitting into no pieces");
  int first = g->nnodes;
  Node *sp = add_node(&x, "Split", "split", 2, k);
  ir_attr_add(g, sp, "axis", AK_INT)->i = axis;
  sp->in[0] = v;
  sp->in[1] = const_i64(g, 1, sizes, k);
  Value **items = arena_array(g->arena, (size_t)k + 1, sizeof *items);
  for (int i = 0; i < k; i++) sp->out[i] = items[i] = ir_value_new(g, NULL);
  settle(&x, first);
  if (!keep) {
    int64_t dims[IR_MAX_RANK];
    for (int d = 0, o = 0; d < v->rank; d++)
      if (d != axis) dims[o++] = v->dims[d];
    Value *shape = const_i64(g, 1, dims, v->rank - 1);
    for (int i = 0; i < k; i++) {
      int f2 = g->nnodes;
      Node *r = add_node(&x, "Reshape", "squeeze", 2, 1);
      r->in[0] = items[i];
      r->in[1] = shape;
      r->out[0] = items[i] = ir_value_new(g, NULL);
      settle(&x, f2);
    }
  }
  set_seq(g, n->out[0], items, k);
  n->dead = 1;
}

/* SequenceMap: the body once per element; tensors among the inputs go to
 * every step whole */
void infer_SequenceMap(Graph *g, Node *n) {
  Expansion x = {g, n, n->pos + 1};
  const Graph *body = graph_attr(n, "body");
  if (body->ninputs != n->nin || body->noutputs != n->nout)
    diag_node_fatal(n, "its body takes %d inputs and gives %d outputs; the node has %d and %d",
                    body->ninputs, body->noutputs, n->nin, n->nout);
  int len = seq_input(n, 0)->nseq;
  for (int i = 1; i < n->nin; i++) {
    const Value *v = n->in[i];
    if (!v) diag_node_fatal(n, "input %d is missing", i);
    if (v->opt_none) diag_node_fatal(n, "input %d is an empty optional", i);
    if (v->is_seq && v->nseq != len)
      diag_node_fatal(n, "its sequences differ in length (%d and %d)", len, v->nseq);
  }
  Value **ins = arena_array(g->arena, (size_t)n->nin + 1, sizeof *ins);
  Value **outs = arena_array(g->arena, (size_t)n->nout + 1, sizeof *outs);
  Value ***items = arena_array(g->arena, (size_t)n->nout + 1, sizeof *items);
  for (int j = 0; j < n->nout; j++)
    items[j] = arena_array(g->arena, (size_t)len + 1, sizeof **items);
  for (int t = 0; t < len; t++) {
    for (int i = 0; i < n->nin; i++) ins[i] = n->in[i]->is_seq ? n->in[i]->seq[t] : n->in[i];
    inline_body(&x, body, ins, n->nin, outs, arena_printf(g->arena, "elem%d", t));
    for (int j = 0; j < n->nout; j++) {
      if (outs[j]->is_seq) diag_node_fatal(n, "its body returns a sequence: mlc maps to tensors");
      items[j][t] = outs[j];
    }
  }
  for (int j = 0; j < n->nout; j++) {
    if (!n->out[j]) continue;
    set_seq(g, n->out[j], items[j], len);
    if (!len) n->out[j]->dtype = body->outputs[j]->dtype;
  }
  n->dead = 1;
}

/* ---- optionals ------------------------------------------------------------------ */

void infer_Optional(Graph *g, Node *n) {
  Expansion x = {g, n, n->pos + 1};
  if (n->nin && n->in[0]) {
    forward(&x, n->in[0], n->out[0]);
  } else {
    set_seq(g, n->out[0], NULL, 0);
    n->out[0]->opt_none = 1;
  }
  n->dead = 1;
}

void infer_OptionalHasElement(Graph *g, Node *n) {
  Value *v = n->nin ? n->in[0] : NULL, *y = n->out[0];
  if (!v && n->opset < 18) diag_node_fatal(n, "its input is required before opset 18");
  y->dtype = DT_BOOL;
  ir_set_shape(y, 0, NULL);
  *(uint8_t *)ir_alloc_data(g, y) = v && !v->opt_none;
  n->dead = 1;
}

void infer_OptionalGetElement(Graph *g, Node *n) {
  Expansion x = {g, n, n->pos + 1};
  if (n->in[0]->opt_none) diag_node_fatal(n, "the optional '%s' is empty", n->in[0]->name);
  forward(&x, n->in[0], n->out[0]);
  n->dead = 1;
}
