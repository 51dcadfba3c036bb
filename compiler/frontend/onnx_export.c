/* IR -> ONNX ModelProto.
 *
 * The protobuf messages are built in a scratch arena (freed at the end, or
 * when an error unwinds through io_guarded), pointing into the IR where they
 * can: initializer bytes go out as raw_data without a copy.
 *
 * Values are written by name. The IR allows anonymous values (passes create
 * temporaries) and, across subgraphs, two values of one name; ONNX needs
 * every value named once. So names are assigned up front: first the names
 * the graphs' interfaces use (inputs, initializers, outputs), then node
 * outputs in order, each keeping its own name if no other value took it;
 * the rest get "mlc_N", skipping taken names. A model written by mlc reads
 * back with the same names, so writing it again gives the same bytes.
 */
#include <stdio.h>
#include <string.h>

#include "diag.h"
#include "onnx_io.h"
#include "tensor_io.h"

typedef struct Exporter {
  Arena *a;           /* scratch */
  const char **names; /* by Value id */
  int nnames;
  const char **taken; /* open-addressing set of the names in use */
  size_t cap, count;
  int next_anon;
} Exporter;

/* ---- names ------------------------------------------------------------------ */

static uint64_t hash(const char *s) {
  uint64_t h = 1469598103934665603ull;
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
  return h;
}

static const char **slot(const Exporter *ex, const char *s) {
  size_t j = hash(s) & (ex->cap - 1);
  while (ex->taken[j] && strcmp(ex->taken[j], s)) j = (j + 1) & (ex->cap - 1);
  return &ex->taken[j];
}

/* 0 if the name was taken already */
static int take(Exporter *ex, const char *s) {
  if ((ex->count + 1) * 2 > ex->cap) {
    const char **old = ex->taken;
    size_t ocap = ex->cap;
    ex->cap = ocap ? ocap * 2 : 256;
    ex->taken = arena_array(ex->a, ex->cap, sizeof *ex->taken);
    for (size_t i = 0; i < ocap; i++)
      if (old[i]) *slot(ex, old[i]) = old[i];
  }
  const char **p = slot(ex, s);
  if (*p) return 0;
  *p = s;
  ex->count++;
  return 1;
}

static const char *vname(Exporter *ex, const Value *v) {
  MLC_ASSERT(v->id >= 0 && v->id < ex->nnames);
  if (!ex->names[v->id]) {
    const char *s;
    do s = arena_printf(ex->a, "mlc_%d", ex->next_anon++);
    while (!take(ex, s));
    ex->names[v->id] = s;
  }
  return ex->names[v->id];
}

static void claim(Exporter *ex, const Value *v) {
  if (v && !ex->names[v->id] && *v->name && take(ex, v->name)) ex->names[v->id] = v->name;
}

static void claim_graph(Exporter *ex, const Graph *g) {
  for (int i = 0; i < g->ninputs; i++) claim(ex, g->inputs[i]);
  for (int i = 0; i < g->ninits; i++) claim(ex, g->inits[i]);
  for (int i = 0; i < g->noutputs; i++) claim(ex, g->outputs[i]);
  for (int i = 0; i < g->nnodes; i++) {
    const Node *n = g->nodes[i];
    if (n->dead) continue;
    for (int j = 0; j < n->nout; j++) claim(ex, n->out[j]);
    for (int j = 0; j < n->nattrs; j++) {
      const Attr *at = &n->attrs[j];
      if (at->kind == AK_GRAPH) claim_graph(ex, at->g);
      for (int k = 0; at->kind == AK_GRAPHS && k < at->n; k++) claim_graph(ex, at->graphs[k]);
    }
  }
}

/* ---- messages ----------------------------------------------------------------- */

static void *msg(Exporter *ex, const ProtobufCMessageDescriptor *d) {
  void *p = arena_alloc(ex->a, d->sizeof_message);
  protobuf_c_message_init(d, p);
  return p;
}
#define NEW(ex, lower) msg((ex), &onnx__##lower##__descriptor)

static char *dup(Exporter *ex, const char *s) { return s && *s ? arena_strdup(ex->a, s) : NULL; }

static Onnx__ValueInfoProto *value_info(Exporter *ex, const Value *v) {
  Onnx__ValueInfoProto *vi = NEW(ex, value_info_proto);
  vi->name = (char *)vname(ex, v);
  if (v->dtype == DT_UNDEF && v->rank < 0) return vi;
  Onnx__TypeProto *tp = NEW(ex, type_proto);
  Onnx__TypeProto__Tensor *tt = NEW(ex, type_proto__tensor);
  tp->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
  tp->tensor_type = tt;
  vi->type = tp;
  tt->has_elem_type = v->dtype != DT_UNDEF;
  tt->elem_type = (int32_t)v->dtype;
  if (v->rank < 0) return vi;
  Onnx__TensorShapeProto *sh = NEW(ex, tensor_shape_proto);
  tt->shape = sh;
  sh->n_dim = (size_t)v->rank;
  sh->dim = arena_array(ex->a, (size_t)v->rank + 1, sizeof *sh->dim);
  for (int i = 0; i < v->rank; i++) {
    Onnx__TensorShapeProto__Dimension *d = NEW(ex, tensor_shape_proto__dimension);
    if (v->dim_param[i]) {
      d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
      d->dim_param = arena_strdup(ex->a, v->dim_param[i]);
    } else if (v->dims[i] >= 0) {
      d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
      d->dim_value = v->dims[i];
    }
    sh->dim[i] = d;
  }
  return vi;
}

static Onnx__TensorProto *tensor(Exporter *ex, const Tensor *t) {
  Onnx__TensorProto *tp = arena_alloc(ex->a, sizeof *tp);
  onnx_tensor_to_proto(ex->a, t, tp);
  return tp;
}

static Onnx__TensorProto *initializer(Exporter *ex, const Value *v) {
  if (!v->data) diag_fatal("initializer '%s' has no data", v->name);
  Tensor t = {.name = vname(ex, v), .dtype = v->dtype, .rank = v->rank, .data = v->data};
  memcpy(t.dims, v->dims, sizeof t.dims);
  t.nbytes = v->dtype == DT_STRING ? (size_t)ir_numel(v) * sizeof(char *) : ir_nbytes(v);
  return tensor(ex, &t);
}

static Onnx__GraphProto *graph(Exporter *ex, const Graph *g, int64_t ir_version);

static Onnx__AttributeProto *attribute(Exporter *ex, const Attr *at, int64_t ir_version) {
  Onnx__AttributeProto *ap = NEW(ex, attribute_proto);
  ap->name = arena_strdup(ex->a, at->name);
  ap->has_type = 1;
  ap->type = (Onnx__AttributeProto__AttributeType)at->kind;
  if (at->ref_attr_name) {
    ap->ref_attr_name = arena_strdup(ex->a, at->ref_attr_name);
    return ap;
  }
  size_t n = (size_t)at->n;
  switch (at->kind) {
  case AK_FLOAT:
    ap->has_f = 1;
    ap->f = (float)at->f;
    break;
  case AK_INT:
    ap->has_i = 1;
    ap->i = at->i;
    break;
  case AK_STRING:
    ap->has_s = 1;
    ap->s.len = strlen(at->s);
    ap->s.data = (uint8_t *)arena_strdup(ex->a, at->s);
    break;
  case AK_TENSOR: ap->t = tensor(ex, at->t); break;
  case AK_GRAPH: ap->g = graph(ex, at->g, ir_version); break;
  case AK_FLOATS:
    ap->n_floats = n;
    ap->floats = arena_array(ex->a, n + 1, sizeof *ap->floats);
    for (size_t i = 0; i < n; i++) ap->floats[i] = (float)at->floats[i];
    break;
  case AK_INTS:
    ap->n_ints = n;
    ap->ints = at->ints;
    break;
  case AK_STRINGS:
    ap->n_strings = n;
    ap->strings = arena_array(ex->a, n + 1, sizeof *ap->strings);
    for (size_t i = 0; i < n; i++) {
      ap->strings[i].len = strlen(at->strings[i]);
      ap->strings[i].data = (uint8_t *)arena_strdup(ex->a, at->strings[i]);
    }
    break;
  case AK_TENSORS:
    ap->n_tensors = n;
    ap->tensors = arena_array(ex->a, n + 1, sizeof *ap->tensors);
    for (size_t i = 0; i < n; i++) ap->tensors[i] = tensor(ex, at->tensors[i]);
    break;
  case AK_GRAPHS:
    ap->n_graphs = n;
    ap->graphs = arena_array(ex->a, n + 1, sizeof *ap->graphs);
    for (size_t i = 0; i < n; i++) ap->graphs[i] = graph(ex, at->graphs[i], ir_version);
    break;
  default:
    diag_fatal("attribute '%s' has kind %d, which cannot be written", at->name, (int)at->kind);
  }
  return ap;
}

static char **value_names(Exporter *ex, Value *const *vals, int n) {
  char **s = arena_array(ex->a, (size_t)n + 1, sizeof *s);
  for (int i = 0; i < n; i++) s[i] = vals[i] ? (char *)vname(ex, vals[i]) : arena_strdup(ex->a, "");
  return s;
}

static Onnx__NodeProto *node(Exporter *ex, const Node *n, int64_t ir_version) {
  Onnx__NodeProto *np = NEW(ex, node_proto);
  np->name = dup(ex, n->name);
  np->op_type = arena_strdup(ex->a, n->op_type);
  np->domain = dup(ex, n->domain);
  np->doc_string = dup(ex, n->doc);
  np->n_input = (size_t)n->nin;
  np->input = value_names(ex, n->in, n->nin);
  np->n_output = (size_t)n->nout;
  np->output = value_names(ex, n->out, n->nout);
  np->n_attribute = (size_t)n->nattrs;
  np->attribute = arena_array(ex->a, (size_t)n->nattrs + 1, sizeof *np->attribute);
  for (int i = 0; i < n->nattrs; i++) np->attribute[i] = attribute(ex, &n->attrs[i], ir_version);
  return np;
}

static Onnx__GraphProto *graph(Exporter *ex, const Graph *g, int64_t ir_version) {
  Onnx__GraphProto *gp = NEW(ex, graph_proto);
  /* ONNX requires a name; an IR built by hand may lack one */
  gp->name = dup(ex, g->name && *g->name ? g->name : g->parent ? "subgraph" : "main_graph");
  gp->doc_string = dup(ex, g->doc);
  size_t nn = (size_t)g->nnodes;
  gp->node = arena_array(ex->a, nn + 1, sizeof *gp->node);
  /* types of node outputs that are known, so a reread keeps shape results */
  gp->value_info = arena_array(ex->a, 1, sizeof *gp->value_info);
  size_t nvi = 0, vicap = 1;
  for (int i = 0; i < g->nnodes; i++) {
    const Node *n = g->nodes[i];
    if (n->dead) continue;
    gp->node[gp->n_node++] = node(ex, n, ir_version);
    for (int j = 0; j < n->nout; j++) {
      const Value *v = n->out[j];
      if (!v || v->is_output || (v->dtype == DT_UNDEF && v->rank < 0)) continue;
      gp->value_info = arena_grow(ex->a, gp->value_info, &vicap, nvi + 1, sizeof *gp->value_info);
      gp->value_info[nvi++] = value_info(ex, v);
    }
  }
  gp->n_value_info = nvi;
  gp->n_initializer = (size_t)g->ninits;
  gp->initializer = arena_array(ex->a, (size_t)g->ninits + 1, sizeof *gp->initializer);
  for (int i = 0; i < g->ninits; i++) gp->initializer[i] = initializer(ex, g->inits[i]);
  /* before IR version 4, initializers had to be listed as inputs as well */
  int init_inputs = ir_version < 4 ? g->ninits : 0;
  gp->n_input = (size_t)(g->ninputs + init_inputs);
  gp->input = arena_array(ex->a, gp->n_input + 1, sizeof *gp->input);
  for (int i = 0; i < g->ninputs; i++) gp->input[i] = value_info(ex, g->inputs[i]);
  for (int i = 0; i < init_inputs; i++) gp->input[g->ninputs + i] = value_info(ex, g->inits[i]);
  gp->n_output = (size_t)g->noutputs;
  gp->output = arena_array(ex->a, (size_t)g->noutputs + 1, sizeof *gp->output);
  for (int i = 0; i < g->noutputs; i++) gp->output[i] = value_info(ex, g->outputs[i]);
  return gp;
}

static Onnx__ModelProto *model(Exporter *ex, const Graph *g) {
  Onnx__ModelProto *m = NEW(ex, model_proto);
  m->has_ir_version = 1;
  m->ir_version = g->ir_version ? g->ir_version : 8;
  /* IR versions before 3 had no opset_import (their ops are opset 1) */
  m->n_opset_import = m->ir_version < 3 ? 0 : (size_t)g->nopsets;
  m->opset_import = arena_array(ex->a, (size_t)g->nopsets + 1, sizeof *m->opset_import);
  for (size_t i = 0; i < m->n_opset_import; i++) {
    Onnx__OperatorSetIdProto *o = NEW(ex, operator_set_id_proto);
    o->domain = arena_strdup(ex->a, g->opsets[i].domain);
    o->has_version = 1;
    o->version = g->opsets[i].version;
    m->opset_import[i] = o;
  }
  m->producer_name = dup(ex, g->producer_name);
  m->producer_version = dup(ex, g->producer_version);
  m->domain = dup(ex, g->model_domain);
  m->has_model_version = g->model_version != 0;
  m->model_version = g->model_version;
  m->doc_string = dup(ex, g->model_doc);
  m->graph = graph(ex, g, m->ir_version);
  return m;
}

typedef struct SaveJob {
  const Graph *g;
  const char *path;
  Arena *scratch;
} SaveJob;

static void save(void *p) {
  SaveJob *job = p;
  MLC_ASSERT(!job->g->parent);
  Exporter ex = {.a = job->scratch, .nnames = job->g->next_value_id};
  ex.names = arena_array(ex.a, (size_t)ex.nnames + 1, sizeof *ex.names);
  claim_graph(&ex, job->g);
  Onnx__ModelProto *m = model(&ex, job->g);
  size_t len = onnx__model_proto__get_packed_size(m);
  uint8_t *buf = arena_alloc(ex.a, len ? len : 1);
  size_t packed = onnx__model_proto__pack(m, buf);
  MLC_ASSERT(packed == len);
  io_write_file(job->path, buf, len);
}

static void free_scratch(void *p) { arena_free(((SaveJob *)p)->scratch); }

void onnx_save(const Graph *g, const char *path) {
  SaveJob job = {.g = g, .path = path, .scratch = arena_new()};
  io_guarded(save, free_scratch, &job);
  free_scratch(&job);
}
