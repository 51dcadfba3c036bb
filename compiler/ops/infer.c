/* Shape and type inference driver. Per node, in schedule order: check what
 * the op table promises (arity, opset range, known input shapes), call the
 * row's infer function, then evaluate the node if every input is known at
 * compile time and the result is small. Folding as we go is what lets
 * exporter shape arithmetic (Shape -> Gather -> Concat -> Reshape) reach the
 * Reshape as a constant. */
#include "infer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "interp.h"
#include "ops.h"

int parse_dims(const char *s, int64_t *dims, int max) {
  int n = 0;
  if (!*s) return 0;
  for (;;) {
    char *end;
    long long d = strtoll(s, &end, 10);
    if (end == s || d < 0 || n == max) return -1;
    dims[n++] = d;
    if (!*end) return n;
    if (*end != 'x' && *end != ',') return -1;
    s = end + 1;
  }
}

/* Is v (dims known and >= 0) past IR_MAX_TENSOR_BYTES? Zero dims count as
 * one, so no product of v's dims (a stride, an offset) can overflow either. */
static int too_big(const Value *v) {
  int64_t es = dtype_size(v->dtype) ? (int64_t)dtype_size(v->dtype) : 8;
  int64_t max = IR_MAX_TENSOR_BYTES / es, count = 1;
  for (int d = 0; d < v->rank; d++) {
    if (v->dims[d] > 1 && count > max / v->dims[d]) return 1;
    if (v->dims[d] > 1) count *= v->dims[d];
  }
  return 0;
}

/* the graph inputs v is computed from, found through producers: up to max
 * names into names, *n of them */
static void collect_inputs(const Value *v, int depth, char (*names)[256], int *n, int max) {
  if (!v || depth > 4096 || *n == max) return;
  if (v->is_input) {
    for (int i = 0; i < *n; i++)
      if (!strcmp(names[i], v->name)) return;
    snprintf(names[(*n)++], sizeof names[0], "%s", v->name);
    return;
  }
  const Node *p = v->producer;
  for (int j = 0; p && j < p->nin; j++) collect_inputs(p->in[j], depth + 1, names, n, max);
}

/* what the last value needed at compile time came from (infer_needed_inputs) */
static char needed[INFER_MAX_NEEDED][256];
static int nneeded;

const char *infer_source_input(Arena *a, const Value *v) {
  char name[1][256];
  int n = 0;
  collect_inputs(v, 0, name, &n, 1);
  return n ? arena_strdup(a, name[0]) : NULL;
}

void infer_need_const(const Node *n, const Value *v) {
  nneeded = 0;
  collect_inputs(v, 0, needed, &nneeded, INFER_MAX_NEEDED);
  if (nneeded == 1 && !strcmp(needed[0], v->name))
    diag_node_fatal(n,
                    "the value of '%s' must be known at compile time (mlc compiles static "
                    "shapes; freeze the input with --const %s=FILE)",
                    v->name, v->name);
  diag_node_fatal(n,
                  "the value of '%s' must be known at compile time (mlc compiles static "
                  "shapes)%s%s%s",
                  *v->name ? v->name : "(an intermediate)",
                  nneeded ? "; it comes from graph input '" : "", nneeded ? needed[0] : "",
                  nneeded ? "', which --const NAME=FILE can freeze" : "");
}

Value *infer_dynamic(Graph *g, Value *v, int axis) {
  Value *c = ir_value_new(g, NULL);
  c->dtype = DT_INT64;
  ir_set_shape(c, 0, NULL);
  v->dyn_count = c;
  v->dyn_axis = axis;
  return c;
}

int infer_needed_inputs(const char **names, int max) {
  int k = 0;
  for (; k < nneeded && k < max; k++) names[k] = needed[k];
  return k;
}

/* ---- sequence and optional graph inputs and outputs ---------------------------
 * Sequences are resolved at compile time, so a sequence graph input needs its
 * length like any shape: each element becomes a graph input of its own, of
 * the declared element type, and the sequence value lists them. An optional
 * input is present (an ordinary tensor or sequence input) or bound empty, and
 * then is no input at all. Outputs mirror this after inference: a sequence
 * output of N gives N outputs through Identities (an element may be an input,
 * a constant or appear twice), an empty optional none. */

enum { MAX_SEQ_IO = 1024 }; /* elements of one sequence input: parameters each */

char *infer_elem_name(Arena *a, const char *seq, int64_t k) {
  return arena_printf(a, "%s.%lld", seq, (long long)k);
}

static const SeqBind *seq_bind_of(const Bindings *b, const char *name) {
  const SeqBind *found = NULL;
  for (int i = 0; b && i < b->nseqs; i++)
    if (!strcmp(b->seqs[i].name, name)) found = &b->seqs[i];
  return found;
}

/* a new value for element k of sequence v, which must not clash with a name
 * of the model */
static Value *new_elem(Graph *g, const Value *v, int64_t k) {
  const char *name = infer_elem_name(g->arena, v->name, k);
  if (ir_lookup_local(g, name))
    diag_fatal(
        "element %lld of sequence '%s' would be named '%s', which the model "
        "already uses",
        (long long)k, v->name, name);
  return ir_value_new(g, name);
}

static void bind_seq_inputs(Graph *g, const Bindings *b) {
  g->ndecl_inputs = g->ninputs;
  g->decl_inputs = arena_array(g->arena, (size_t)g->ninputs + 1, sizeof *g->decl_inputs);
  if (g->ninputs) memcpy(g->decl_inputs, g->inputs, (size_t)g->ninputs * sizeof *g->inputs);
  for (int i = 0; b && i < b->nseqs; i++) {
    const SeqBind *sb = &b->seqs[i];
    Value *v = NULL;
    for (int j = 0; j < g->ninputs; j++)
      if (!strcmp(g->inputs[j]->name, sb->name)) v = g->inputs[j];
    const char *flag = sb->none ? "--none" : "--seq";
    if (!v) diag_fatal("%s names '%s', which is not an input of the model", flag, sb->name);
    if (sb->none ? !v->decl_opt : !v->decl_seq)
      diag_fatal("%s %s: input '%s' is not %s", flag, sb->name, sb->name,
                 sb->none ? "an optional" : "a sequence");
    if (!sb->none && (sb->len < 0 || sb->len > MAX_SEQ_IO))
      diag_fatal("--seq %s: the length must be 0 to %d", sb->name, MAX_SEQ_IO);
  }
  g->inputs = NULL;
  g->ninputs = 0;
  for (int j = 0; j < g->ndecl_inputs; j++) {
    Value *v = g->decl_inputs[j];
    const SeqBind *sb = seq_bind_of(b, v->name);
    int64_t len = 1;
    if (sb && sb->none) {
      v->opt_none = 1;
      len = 0;
    } else if (v->decl_seq) {
      if (!sb)
        diag_fatal(
            "graph input '%s' is a sequence: give its length with --seq %s=N (its "
            "elements become inputs %s.0 ... %s.N-1)",
            v->name, v->name, v->name, v->name);
      len = sb->len;
      v->nseq = (int)len;
      v->seq = arena_array(g->arena, (size_t)len + 1, sizeof *v->seq);
    }
    if (v->opt_none || v->decl_seq) {
      v->is_input = 0;
      v->is_seq = 1;
    }
    for (int64_t k = 0; k < len; k++) {
      Value *e = v;
      if (v->decl_seq) {
        e = v->seq[k] = new_elem(g, v, k);
        ir_copy_type(e, v);
      }
      ir_add_input(g, e);
    }
  }
}

static void flatten_outputs(Graph *g) {
  g->ndecl_outputs = g->noutputs;
  g->decl_outputs = g->outputs;
  g->outputs = NULL;
  g->noutputs = 0;
  int first = g->nnodes;
  for (int j = 0; j < g->ndecl_outputs; j++) {
    Value *v = g->decl_outputs[j];
    if (!v->is_seq) {
      ir_add_output(g, v);
      continue;
    }
    v->is_output = 0;
    int len = v->opt_none ? 0 : v->nseq;
    Value **items = arena_array(g->arena, (size_t)len + 1, sizeof *items);
    for (int k = 0; k < len; k++) {
      Value *e = items[k] = new_elem(g, v, k);
      Node *id = op_node_new(g, "Identity", "", e->name, 1, 1);
      if (id->opset < 13) id->opset = 13;
      id->in[0] = v->seq[k];
      id->out[0] = e;
      e->producer = id;
      ir_add_output(g, e);
    }
    v->seq = items;
  }
  infer_nodes(g, first, g->nnodes);
}

/* --const NAME=V,...: input v becomes those numbers, converted to its type
 * as Cast converts doubles; its declared shape must hold as many (a scalar
 * or a rank-1 input of unknown length takes them as they are) */
static void literal_value(Graph *g, Value *v, const char *text) {
  int64_t n = 1;
  for (const char *p = text; *p; p++) n += *p == ',';
  double *x = arena_array(g->arena, (size_t)n, sizeof *x);
  const char *p = text;
  for (int64_t i = 0; i < n; i++) {
    char *end;
    x[i] = strtod(p, &end);
    if (end == p || (*end && *end != ','))
      diag_fatal("--const %s=%s: expected numbers separated by commas", v->name, text);
    p = end + 1;
  }
  int known = v->rank >= 0;
  for (int d = 0; d < v->rank; d++) known &= !v->dim_param[d] && v->dims[d] >= 0;
  if (!known && (v->rank == 1 || v->rank < 0))
    ir_set_shape(v, 1, &n);
  else if (!known || ir_numel(v) != n)
    diag_fatal("--const %s: %lld numbers given; input '%s' has shape %s", v->name, (long long)n,
               v->name, ir_shape_str(g->arena, v));
  if (v->dtype == DT_STRING || !dtype_size(v->dtype))
    diag_fatal("--const %s: input '%s' is %s: give a file", v->name, v->name, dtype_name(v->dtype));
  MlcCast cast = {n, DT_DOUBLE, v->dtype, 0};
  void *io[MLC_CAST_NIO] = {[MLC_CAST_X] = x, [MLC_CAST_Y] = ir_alloc_data(g, v)};
  mlc_rt_cast(&cast, io);
}

/* a graph input becomes a constant with the given value */
static void freeze_input(Graph *g, const ConstBind *c) {
  int k = -1;
  for (int j = 0; j < g->ninputs; j++)
    if (!strcmp(g->inputs[j]->name, c->name)) k = j;
  if (k < 0) diag_fatal("--const names '%s', which is not an input of the model", c->name);
  Value *v = g->inputs[k];
  if (c->literal) {
    literal_value(g, v, c->literal);
  } else {
    if (v->dtype != c->value->dtype)
      diag_fatal("--const %s: the file holds %s, the input is %s", c->name,
                 dtype_name(c->value->dtype), dtype_name(v->dtype));
    if (ir_tensor_to_value(g, c->value, v))
      diag_fatal("--const %s: the value cannot be used as a constant", c->name);
  }
  memmove(g->inputs + k, g->inputs + k + 1, (size_t)(g->ninputs - k - 1) * sizeof *g->inputs);
  g->ninputs--;
  v->is_input = 0;
  ir_add_init(g, v);
}

/* Is s a name the ONNX importer made up for a dim the model leaves unnamed
 * (no value, no name, or a negative value)? */
static int nameless_dim(const char *s) { return !strncmp(s, "unk__", 5); }

/* --dim NAME=N: every input dim of that name becomes N. A name no input has
 * is most likely a typo: warn, naming those there are (names, of n). */
static void bind_dim(Graph *g, const DimBind *db, const char **names, int n) {
  for (int i = 0; i < g->ninputs; i++) {
    Value *v = g->inputs[i];
    for (int d = 0; d < v->rank; d++)
      if (v->dim_param[d] && !strcmp(db->name, v->dim_param[d])) {
        v->dims[d] = db->value;
        v->dim_param[d] = NULL;
      }
  }
  char list[1024] = "";
  size_t len = 0;
  int found = 0, listed = 0;
  for (int i = 0; i < n; i++) {
    found |= !strcmp(names[i], db->name);
    int seen = 0;
    for (int j = 0; j < i; j++) seen |= !strcmp(names[j], names[i]);
    if (!seen && len < sizeof list)
      len +=
          (size_t)snprintf(list + len, sizeof list - len, "%s'%s'", listed++ ? ", " : "", names[i]);
  }
  if (!found)
    diag_warn("--dim %s: the model's inputs have no dimension of that name (%s%s)", db->name,
              listed ? "they have " : "they have no symbolic dimensions", list);
}

const char *infer_bind_open(Graph *g, const Bindings *b) {
  ops_resolve(g);
  nneeded = 0;
  bind_seq_inputs(g, b);
  /* the symbolic dims of the inputs, before --shape binds some of them */
  int nnames = 0;
  for (int i = 0; i < g->ninputs; i++) nnames += g->inputs[i]->rank > 0 ? g->inputs[i]->rank : 0;
  const char **names = arena_array(g->arena, (size_t)nnames + 1, sizeof *names);
  nnames = 0;
  for (int i = 0; i < g->ninputs; i++)
    for (int d = 0; d < g->inputs[i]->rank; d++)
      if (g->inputs[i]->dim_param[d]) names[nnames++] = g->inputs[i]->dim_param[d];
  for (int i = 0; b && i < b->nshapes; i++) {
    Value *v = NULL;
    for (int j = 0; j < g->ninputs; j++)
      if (!strcmp(g->inputs[j]->name, b->shapes[i].name)) v = g->inputs[j];
    if (!v) diag_fatal("--shape names '%s', which is not an input of the model", b->shapes[i].name);
    if (v->rank >= 0 && v->rank != b->shapes[i].rank)
      diag_fatal("--shape gives input '%s' rank %d, the model declares rank %d", v->name,
                 b->shapes[i].rank, v->rank);
    for (int d = 0; d < v->rank; d++)
      if (!v->dim_param[d] && v->dims[d] >= 0 && v->dims[d] != b->shapes[i].dims[d])
        diag_fatal("--shape gives input '%s' dim %d = %lld, the model fixes it at %lld", v->name, d,
                   (long long)b->shapes[i].dims[d], (long long)v->dims[d]);
    ir_set_shape(v, b->shapes[i].rank, b->shapes[i].dims);
  }
  for (int i = 0; b && i < b->nconsts; i++) freeze_input(g, &b->consts[i]);
  for (int k = 0; b && k < b->ndims; k++) bind_dim(g, &b->dims[k], names, nnames);
  /* an input nothing reads still becomes a parameter of the generated code */
  for (int i = 0; i < g->ninputs; i++) {
    const Value *v = g->inputs[i];
    if (v->dtype == DT_UNDEF) diag_fatal("graph input '%s' has no element type", v->name);
    if (!dtype_size(v->dtype))
      diag_fatal("graph input '%s' has element type %s, which mlc does not support", v->name,
                 dtype_name(v->dtype));
    int open = v->rank < 0;
    for (int d = 0; d < v->rank; d++) open |= v->dims[d] < 0;
    if (!open && too_big(v))
      diag_fatal("graph input '%s' is larger than mlc's limit of %lld GiB for one tensor", v->name,
                 (long long)(IR_MAX_TENSOR_BYTES >> 30));
  }
  /* one message for everything still unbound */
  char list[1024] = "";
  size_t len = 0;
  int unbound = 0;
  for (int i = 0; i < g->ninputs; i++) {
    Value *v = g->inputs[i];
    if (v->rank < 0) {
      len += (size_t)snprintf(list + len, sizeof list - len,
                              "%sinput '%s' has no shape "
                              "(use --shape %s=DIMS)",
                              unbound++ ? "; " : "", v->name, v->name);
      if (len >= sizeof list) len = sizeof list - 1;
      continue;
    }
    for (int d = 0; d < v->rank; d++) {
      if (!v->dim_param[d] && v->dims[d] >= 0) continue;
      const char *p = v->dim_param[d] ? v->dim_param[d] : "?";
      if (nameless_dim(p) || !v->dim_param[d])
        len += (size_t)snprintf(list + len, sizeof list - len,
                                "%s'%s' (input '%s' dim %d, unnamed or negative in the "
                                "model: --shape %s=DIMS binds it)",
                                unbound++ ? ", " : "", p, v->name, d, v->name);
      else if (!strstr(list, arena_printf(g->arena, "'%s'", p))) /* each name once */
        len += (size_t)snprintf(list + len, sizeof list - len, "%s'%s' (input '%s' dim %d)",
                                unbound++ ? ", " : "", p, v->name, d);
      if (len >= sizeof list) len = sizeof list - 1;
    }
  }
  if (!unbound) return NULL;
  return arena_printf(g->arena,
                      "unbound symbolic dimensions: %s; bind them with --dim "
                      "NAME=VALUE or --shape INPUT=DIMS",
                      list);
}

void infer_bind(Graph *g, const Bindings *b) {
  const char *unbound = infer_bind_open(g, b);
  if (unbound) diag_fatal("%s", unbound);
}

/* everything wrong with the node that the table can tell, listed at once */
static void check_supported(Graph *g, Node *n) {
  (void)g;
  if (n->op == OP_UNKNOWN) {
    if (*n->domain)
      diag_node_error(n, "unsupported op '%s' in domain '%s'", n->op_type, n->domain);
    else
      diag_node_error(n, "unsupported op '%s'", n->op_type);
    return;
  }
  const OpInfo *op = &optab[n->op];
  if (n->opset < op->since || n->opset > op->until) {
    diag_node_error(n, "%s at opset %d is not supported (mlc supports opsets %d to %d)", op->name,
                    n->opset, op->since, op->until);
    return;
  }
  if (n->nin < op->min_in || n->nin > op->max_in)
    diag_node_error(n, "has %d inputs; %s takes %d to %d", n->nin, op->name, op->min_in,
                    op->max_in);
  else if (n->nout < op->min_out || n->nout > op->max_out)
    diag_node_error(n, "has %d outputs; %s takes %d to %d", n->nout, op->name, op->min_out,
                    op->max_out);
}

static int all_inputs_known(const Node *n) {
  for (int i = 0; i < n->nin; i++)
    if (n->in[i] && !n->in[i]->data) return 0;
  return 1;
}

/* ---- float16 and bfloat16 ----------------------------------------------------
 * C has no arithmetic on them, so ops that compute (OPF_WIDEN) read them as
 * float32 through Casts and write float32 that one Cast rounds back: the
 * reference computes this way too (in a wider type, rounded once). Cast
 * is not an elementwise op of the table, so the Casts stay calls of their
 * own between the fused float32 loops. */

static void infer_node(Graph *g, Node *n);

static DType narrow_float(const Node *n) {
  if (!(optab[n->op].flags & OPF_WIDEN)) return DT_UNDEF;
  for (int i = 0; i < n->nin; i++)
    if (n->in[i] && (n->in[i]->dtype == DT_FLOAT16 || n->in[i]->dtype == DT_BFLOAT16))
      return n->in[i]->dtype;
  return DT_UNDEF;
}

/* a Cast of `in` to `to` into `out`, at position pos of g->nodes, inferred */
static void insert_cast(Graph *g, int pos, const Node *like, Value *in, Value *out, DType to) {
  Node *c = op_node_new(g, "Cast", "", like->name, 1, 1);
  c->index = like->index;
  if (!c->opset) c->opset = 13;
  ir_attr_add(g, c, "to", AK_INT)->i = to;
  c->in[0] = in;
  c->out[0] = out;
  memmove(g->nodes + pos + 1, g->nodes + pos, (size_t)(g->nnodes - 1 - pos) * sizeof *g->nodes);
  g->nodes[pos] = c;
  c->pos = pos;
  infer_node(g, c);
}

static void widen_inputs(Graph *g, Node *n, DType t) {
  for (int i = 0; i < n->nin; i++) {
    Value *v = n->in[i];
    if (!v || v->dtype != t) continue;
    Value *w = ir_value_new(g, NULL);
    insert_cast(g, n->pos, n, v, w, DT_FLOAT);
    n->pos++;
    n->in[i] = w;
  }
}

static void narrow_outputs(Graph *g, Node *n, DType t) {
  for (int j = 0; j < n->nout; j++) {
    Value *v = n->out[j];
    if (!v || v->dtype != DT_FLOAT) continue;
    Value *w = ir_value_new(g, NULL);
    ir_copy_type(w, v);
    w->data = v->data;
    w->producer = n;
    n->out[j] = w;
    v->data = NULL;
    insert_cast(g, n->pos + 1, n, w, v, t);
  }
}

static void infer_node(Graph *g, Node *n) {
  const OpInfo *op = &optab[n->op];
  n->inferred = 1;
  for (int j = 0; j < n->nout; j++)
    if (n->out[j]) n->out[j]->producer = n;
  for (int i = 0; i < n->nin; i++)
    if (n->in[i] && n->in[i]->dyn_count)
      diag_node_fatal(n,
                      "the size of '%s' is known only at run time: mlc returns such a "
                      "tensor as a graph output but cannot compute further with it",
                      n->in[i]->name);
  DType narrow = narrow_float(n);
  if (narrow) widen_inputs(g, n, narrow);
  for (int i = 0; i < op->min_in && i < n->nin; i++)
    if (!n->in[i]) diag_node_fatal(n, "required input %d is missing", i);
  int named = 0; /* RNN's Y, Y_h... may each be left out */
  for (int j = 0; j < n->nout; j++) named |= n->out[j] != NULL;
  if (!n->out[0] && !(op->flags & OPF_ANY_OUT)) diag_node_fatal(n, "its first output has no name");
  if (!named) diag_node_fatal(n, "none of its outputs has a name");
  for (int i = 0; i < n->nin; i++) {
    const Value *v = n->in[i];
    if (v && v->is_seq && !(op->flags & OPF_SEQ))
      diag_node_fatal(n, "input '%s' is a sequence or an empty optional, which %s does not take",
                      v->name, op->name);
    if (!v || v->is_seq) continue;
    if (v->dtype != DT_UNDEF && !dtype_size(v->dtype))
      diag_node_fatal(n, "input '%s' has element type %s, which mlc does not support", v->name,
                      dtype_name(v->dtype));
    if (v->rank < 0 || !dtype_size(v->dtype))
      diag_node_fatal(n, "the type or shape of input '%s' is unknown", v->name);
    for (int d = 0; d < v->rank; d++)
      if (v->dims[d] < 0)
        diag_node_fatal(n, "input '%s' has an unresolved dimension %d", v->name, d);
  }
  op->infer(g, n);
  for (int j = 0; j < n->nout; j++) {
    Value *v = n->out[j];
    if (!v || v->is_seq) continue;
    if (v->rank < 0 || !v->dtype)
      diag_node_fatal(n, "internal error: output %d has no inferred type", j);
    for (int d = 0; d < v->rank; d++)
      if (v->dims[d] < 0) diag_node_fatal(n, "output '%s' has a negative dimension", v->name);
    if (too_big(v))
      diag_node_fatal(n,
                      "output '%s' would be larger than mlc's limit of %lld GiB for one "
                      "tensor",
                      v->name, (long long)(IR_MAX_TENSOR_BYTES >> 30));
  }
  if ((op->flags & OPF_VIEW) && n->in[0]->data && !n->out[0]->data)
    n->out[0]->data = n->in[0]->data;
  /* data an inference function made (Range, Shape arithmetic) would fix
   * the size of a value that follows a run-time dim */
  int may_fold = infer_may_fold(g, n);
  if (!may_fold)
    for (int j = 0; j < n->nout; j++)
      if (n->out[j] && !n->out[j]->is_seq) n->out[j]->data = NULL;
  int known = 1;
  size_t bytes = 0;
  for (int j = 0; j < n->nout; j++)
    if (n->out[j]) {
      known &= n->out[j]->data != NULL;
      bytes += ir_nbytes(n->out[j]);
    }
  if (!known && (op->flags & OPF_FOLDABLE) && all_inputs_known(n) &&
      bytes <= INFER_FOLD_MAX_BYTES && !(op->flags & OPF_VIEW) && may_fold &&
      infer_fold_budget(g, bytes))
    interp_node(g, n);
  if (narrow) narrow_outputs(g, n, narrow);
}

int infer_may_fold(const Graph *g, const Node *n) {
  while (g->parent) g = g->parent;
  for (int j = 0; j < n->nout; j++)
    for (int i = 0; n->out[j] && n->out[j]->name && i < g->nruntime_sized; i++)
      if (!strcmp(n->out[j]->name, g->runtime_sized[i])) return 0;
  return 1;
}

int infer_fold_budget(Graph *g, size_t bytes) {
  while (g->parent) g = g->parent;
  if (bytes > INFER_FOLD_TOTAL_BYTES - g->folded_bytes) return 0;
  g->folded_bytes += bytes;
  return 1;
}

/* every node, subgraphs included, so all problems are listed at once */
static void check_all(Graph *g, int from, int to) {
  for (int i = from; i < to; i++) {
    Node *n = g->nodes[i];
    check_supported(g, n);
    for (int k = 0; k < n->nattrs; k++) {
      const Attr *a = &n->attrs[k];
      if (a->kind == AK_GRAPH && a->g) check_all(a->g, 0, a->g->nnodes);
      for (int j = 0; a->kind == AK_GRAPHS && j < a->n; j++)
        check_all(a->graphs[j], 0, a->graphs[j]->nnodes);
    }
  }
}

/* Nodes may be inserted after the current one while it is inferred (control
 * flow unrolls in place); those arrive inferred and are skipped. */
static void infer_range(Graph *g, int from, int to) {
  for (int i = from; i < to && i < g->nnodes; i++) {
    Node *n = g->nodes[i];
    if (n->inferred) continue;
    n->pos = i;
    int before = g->nnodes;
    infer_node(g, n);
    to += g->nnodes - before;
  }
}

void infer_nodes(Graph *g, int from, int to) {
  check_all(g, from, to);
  diag_flush();
  infer_range(g, from, to);
}

void infer_graph(Graph *g) {
  infer_nodes(g, 0, g->nnodes);
  ir_remove_dead_nodes(g);
  flatten_outputs(g);
  int declared = g->noutputs;
  for (int i = 0; i < declared; i++) {
    Value *v = g->outputs[i];
    if (v->rank < 0 || !v->dtype) diag_fatal("graph output '%s' is never computed", v->name);
    /* a data-dependent extent leaves as one more output, after the model's */
    if (v->dyn_count && !v->dyn_count->is_output) {
      v->dyn_count->name = arena_printf(g->arena, "%s_count", v->name);
      ir_add_output(g, v->dyn_count);
      g->ncount_outputs++;
    }
  }
}
