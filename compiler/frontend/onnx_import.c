/* ONNX ModelProto -> IR.
 *
 * protobuf-c unpacks the whole file into malloc'd messages; the importer then
 * copies everything it keeps into the compilation's arena and frees the
 * messages, also when it reports an error (io_guarded catches the error,
 * frees, and passes it on), so no protobuf type outlives this file.
 *
 * Names are resolved in two phases per graph: every node's outputs first,
 * then every node's inputs, so a file whose nodes are out of order still
 * imports (ir_toposort then orders them and reports cycles). Subgraphs
 * (If/Loop/Scan bodies) import recursively into a Graph whose parent is the
 * enclosing one, so a name a body does not define resolves outward.
 *
 * Everything in the file is untrusted: nesting depth (of messages and of
 * subgraphs), ranks, element counts and external-data paths are limited, and
 * every reference by name is checked.
 */
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "onnx_io.h"
#include "tensor_io.h"

enum {
  MAX_GRAPH_DEPTH = 32,
  /* protobuf messages; a subgraph level takes three (Graph, Node, Attribute),
   * a type a few more */
  MAX_WIRE_DEPTH = 160,
};

typedef struct Importer {
  Arena *a;
  const char *base_dir; /* folder of external data, or NULL: none allowed */
  long next_unk;        /* next "unk__N" for dims with neither value nor name */
  int in_function;      /* importing a local function's body: attributes may refer */
} Importer;

static const char *str(const char *s) { return s ? s : ""; }

/* the prefix of messages about a subgraph (the top graph needs none) */
static const char *where(const Graph *g) {
  return g->parent ? arena_printf(g->arena, "subgraph '%s': ", g->name) : "";
}

/* ---- nesting depth, before protobuf-c recurses -------------------------------- */

static const ProtobufCFieldDescriptor *field_of(const ProtobufCMessageDescriptor *d, uint64_t tag) {
  return tag >> 3 <= UINT_MAX ? protobuf_c_message_descriptor_get_field(d, (unsigned)(tag >> 3))
                              : NULL;
}

/* protobuf-c's unpacker recurses once per nested message and has no depth
 * limit, so a small crafted file could exhaust the stack. This walks the wire
 * format with the generated descriptors and returns 0 if messages nest deeper
 * than MAX_WIRE_DEPTH. Malformed input returns 1: the unpacker rejects it.
 * *nul is set when a string field (a name) holds a NUL byte. */
static int wire_depth_ok(const uint8_t *p, size_t len, const ProtobufCMessageDescriptor *d,
                         int depth, int *nul) {
  if (depth > MAX_WIRE_DEPTH) return 0;
  for (size_t i = 0; i < len;) {
    uint64_t tag, n;
    if (!io_read_varint(p, len, &i, &tag)) return 1;
    switch (tag & 7) {
    case 0:
      if (!io_read_varint(p, len, &i, &n)) return 1;
      break;
    case 1:
    case 5: {
      size_t w = (tag & 7) == 1 ? 8 : 4;
      if (len - i < w) return 1;
      i += w;
      break;
    }
    case 2: {
      if (!io_read_varint(p, len, &i, &n) || n > len - i) return 1;
      const ProtobufCFieldDescriptor *f = field_of(d, tag);
      if (f && f->type == PROTOBUF_C_TYPE_MESSAGE &&
          !wire_depth_ok(p + i, (size_t)n, f->descriptor, depth + 1, nul))
        return 0;
      if (f && f->type == PROTOBUF_C_TYPE_STRING && memchr(p + i, 0, (size_t)n)) *nul = 1;
      i += (size_t)n;
      break;
    }
    default: return 1;
    }
  }
  return 1;
}

/* ---- NUL bytes in names ---------------------------------------------------------- */

/* protobuf-c hands string fields over NUL-terminated, and the IR's names are C
 * strings, so "t\0a" and "t\0b" would both become "t". A model with such
 * names is rewritten before unpacking: in every string field a NUL byte
 * becomes the pair FF '0' and an FF byte the pair FF FF, which keeps distinct
 * names distinct (FF never occurs in UTF-8). Messages, the text form and the
 * header's name strings show the pairs. */
enum { ESC = 0xff };

static size_t put_varint(uint8_t *out, uint64_t v) {
  size_t k = 0;
  do {
    if (out) out[k] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
    k++;
    v >>= 7;
  } while (v);
  return k;
}

/* The escaped size of every nested message, in the order escape_msg meets
 * them: a first pass (out == NULL) records them, the second writes with
 * them, so each message is walked twice in all, not twice per level. */
typedef struct Sizes {
  Arena *a;
  size_t *v, n, cap;
} Sizes;

/* the size of message p once escaped, written to out unless it is NULL;
 * malformed input is copied as it is (the unpacker rejects it) */
static size_t escape_msg(const uint8_t *p, size_t len, const ProtobufCMessageDescriptor *d,
                         Sizes *sz_of, uint8_t *out) {
  size_t o = 0, i = 0;
#define EMIT(src, n) (out ? memcpy(out + o, (src), (n)) : NULL, o += (n))
  while (i < len) {
    size_t start = i, body;
    uint64_t tag, n = 0;
    if (!io_read_varint(p, len, &i, &tag)) break;
    int wt = (int)(tag & 7);
    if (wt == 0 && io_read_varint(p, len, &i, &n)) {
      EMIT(p + start, i - start);
      continue;
    }
    if ((wt == 1 || wt == 5) && len - i >= (size_t)(wt == 1 ? 8 : 4)) {
      i += wt == 1 ? 8 : 4;
      EMIT(p + start, i - start);
      continue;
    }
    if (wt != 2 || !io_read_varint(p, len, &i, &n) || n > len - i) {
      i = start;
      break;
    }
    body = i;
    i += (size_t)n;
    const ProtobufCFieldDescriptor *f = field_of(d, tag);
    if (!f || (f->type != PROTOBUF_C_TYPE_STRING && f->type != PROTOBUF_C_TYPE_MESSAGE)) {
      EMIT(p + start, i - start);
      continue;
    }
    size_t sz = (size_t)n;
    if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
      size_t k = sz_of->n++;
      if (!out) {
        sz_of->v = arena_grow(sz_of->a, sz_of->v, &sz_of->cap, k + 1, sizeof *sz_of->v);
        /* the nested messages' sizes go after k: the list may move */
        size_t inner = escape_msg(p + body, (size_t)n, f->descriptor, sz_of, NULL);
        sz_of->v[k] = inner;
      }
      sz = sz_of->v[k];
    } else {
      for (size_t k = body; k < i; k++) sz += p[k] == 0 || p[k] == ESC;
    }
    o += put_varint(out ? out + o : NULL, tag);
    o += put_varint(out ? out + o : NULL, sz);
    if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
      if (out) escape_msg(p + body, (size_t)n, f->descriptor, sz_of, out + o);
      o += sz;
      continue;
    }
    for (size_t k = body; k < i; k++) {
      uint8_t pair[2] = {ESC, p[k] ? ESC : '0'};
      if (p[k] == 0 || p[k] == ESC)
        EMIT(pair, 2);
      else
        EMIT(p + k, 1);
    }
  }
  EMIT(p + i, len - i);
#undef EMIT
  return o;
}

/* ---- generated names for unnamed unknown dims ------------------------------- */

/* "unk__N" could clash with a dim_param the file itself uses, and equal
 * dim_params mean equal sizes: start numbering past every such name. */
static const Onnx__TypeProto *tensor_within(const Onnx__TypeProto *tp, Value *v);

static void scan_unk_types(Importer *im, Onnx__ValueInfoProto *const *vi, size_t n) {
  for (size_t i = 0; i < n; i++) {
    const Onnx__TypeProto *tp = tensor_within(vi[i]->type, NULL);
    if (!tp || tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !tp->tensor_type->shape)
      continue;
    const Onnx__TensorShapeProto *sh = tp->tensor_type->shape;
    for (size_t k = 0; k < sh->n_dim; k++) {
      const char *s = sh->dim[k]->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM
                          ? str(sh->dim[k]->dim_param)
                          : "";
      if (strncmp(s, "unk__", 5) || !s[5] || strspn(s + 5, "0123456789") != strlen(s + 5)) continue;
      long v = strtol(s + 5, NULL, 10);
      if (v >= im->next_unk && v < LONG_MAX) im->next_unk = v + 1;
    }
  }
}

static void scan_unk_graph(Importer *im, const Onnx__GraphProto *gp, int depth) {
  if (depth > MAX_GRAPH_DEPTH) return; /* the import reports it */
  scan_unk_types(im, gp->input, gp->n_input);
  scan_unk_types(im, gp->output, gp->n_output);
  scan_unk_types(im, gp->value_info, gp->n_value_info);
  for (size_t i = 0; i < gp->n_node; i++)
    for (size_t j = 0; j < gp->node[i]->n_attribute; j++) {
      const Onnx__AttributeProto *ap = gp->node[i]->attribute[j];
      if (ap->g) scan_unk_graph(im, ap->g, depth + 1);
      for (size_t k = 0; k < ap->n_graphs; k++) scan_unk_graph(im, ap->graphs[k], depth + 1);
    }
}

/* ---- types --------------------------------------------------------------------- */

static const char *type_kind(Onnx__TypeProto__ValueCase c) {
  switch (c) {
  case ONNX__TYPE_PROTO__VALUE_SEQUENCE_TYPE: return "a sequence";
  case ONNX__TYPE_PROTO__VALUE_MAP_TYPE: return "a map";
  case ONNX__TYPE_PROTO__VALUE_OPTIONAL_TYPE: return "an optional";
  case ONNX__TYPE_PROTO__VALUE_SPARSE_TENSOR_TYPE: return "a sparse tensor";
  default: return "a value of an unknown kind";
  }
}

/* The type inside optional(...) and seq(...) (in that order, each at most
 * once), noting them in v's decl_opt and decl_seq when v is given */
static const Onnx__TypeProto *tensor_within(const Onnx__TypeProto *tp, Value *v) {
  if (tp && tp->value_case == ONNX__TYPE_PROTO__VALUE_OPTIONAL_TYPE) {
    if (v) v->decl_opt = 1;
    tp = tp->optional_type->elem_type;
  }
  if (tp && tp->value_case == ONNX__TYPE_PROTO__VALUE_SEQUENCE_TYPE) {
    if (v) v->decl_seq = 1;
    tp = tp->sequence_type->elem_type;
  }
  return tp;
}

/* Sets v's dtype and shape from a declared type. `what` names graph inputs
 * and outputs, whose types mlc must understand: tensors, sequences of
 * tensors and optionals of either (a sequence's type is its elements'; the
 * kind goes to decl_seq and decl_opt); value_info (what == NULL) is only a
 * hint, and what mlc cannot use in it is skipped. */
static void set_type(Importer *im, const Graph *g, Value *v, const Onnx__TypeProto *tp,
                     const char *what) {
  if (!tp || tp->value_case == ONNX__TYPE_PROTO__VALUE__NOT_SET) return;
  if (tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE) {
    if (!what) return;
    const Onnx__TypeProto *in = tensor_within(tp, v);
    if (!in || in->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE)
      diag_fatal(
          "%s%s '%s' is %s%s; mlc supports tensors, sequences of tensors and "
          "optionals of those",
          where(g), what, v->name, in == tp ? "" : "a sequence or optional of ",
          in ? type_kind(in->value_case) : "a value of no type");
    tp = in;
  }
  const Onnx__TypeProto__Tensor *tt = tp->tensor_type;
  DType t = tt->has_elem_type ? (DType)tt->elem_type : DT_UNDEF;
  const Onnx__TensorShapeProto *sh = tt->shape;
  const char *bad = NULL;
  if (t != DT_UNDEF && t != DT_STRING && !dtype_size(t))
    bad = arena_printf(im->a, "has element type %s (%d), which mlc does not support",
                       onnx_dtype_label(t), (int)t);
  else if (sh && sh->n_dim > IR_MAX_RANK)
    bad = arena_printf(im->a, "has rank %zu; mlc supports up to %d", sh->n_dim, IR_MAX_RANK);
  if (bad) {
    if (!what) return;
    diag_fatal("%s%s '%s' %s", where(g), what, v->name, bad);
  }
  if (t != DT_UNDEF) v->dtype = t;
  if (!sh) return;
  v->rank = (int)sh->n_dim;
  for (int i = 0; i < v->rank; i++) {
    const Onnx__TensorShapeProto__Dimension *d = sh->dim[i];
    v->dims[i] = -1;
    v->dim_param[i] = NULL;
    /* a negative size (some exporters write -1 for "any") is a nameless dim */
    if (d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE && d->dim_value >= 0)
      v->dims[i] = d->dim_value;
    else if (d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM &&
             d->dim_param && *d->dim_param)
      v->dim_param[i] = arena_strdup(im->a, d->dim_param);
    else
      v->dim_param[i] = arena_printf(im->a, "unk__%ld", im->next_unk++);
  }
}

/* ---- attributes ------------------------------------------------------------------ */

static void import_graph(Importer *im, Graph *g, const Onnx__GraphProto *gp, int depth);

/* old files leave `type` out: it is the one field that is set */
static AttrKind attr_kind_of(const Onnx__AttributeProto *ap) {
  if (ap->has_type && ap->type) return (AttrKind)ap->type;
  return ap->has_f              ? AK_FLOAT
         : ap->has_i            ? AK_INT
         : ap->has_s            ? AK_STRING
         : ap->t                ? AK_TENSOR
         : ap->g                ? AK_GRAPH
         : ap->sparse_tensor    ? AK_SPARSE_TENSOR
         : ap->tp               ? AK_TYPE_PROTO
         : ap->n_floats         ? AK_FLOATS
         : ap->n_ints           ? AK_INTS
         : ap->n_strings        ? AK_STRINGS
         : ap->n_tensors        ? AK_TENSORS
         : ap->n_graphs         ? AK_GRAPHS
         : ap->n_sparse_tensors ? AK_SPARSE_TENSORS
         : ap->n_type_protos    ? AK_TYPE_PROTOS
                                : AK_UNDEF;
}

static Tensor *import_tensor(Importer *im, const Node *n, const char *aname,
                             const Onnx__TensorProto *tp) {
  Tensor *t = arena_alloc(im->a, sizeof *t);
  char err[512];
  if (onnx_tensor_from_proto(im->a, tp, im->base_dir, t, err, sizeof err))
    diag_node_fatal(n, "attribute '%s': %s", aname, err);
  return t;
}

static Graph *import_subgraph(Importer *im, Graph *parent, const Node *n, const char *aname,
                              const Onnx__GraphProto *gp, int depth) {
  if (depth >= MAX_GRAPH_DEPTH)
    diag_node_fatal(n, "attribute '%s': subgraphs nest more than %d deep", aname, MAX_GRAPH_DEPTH);
  Graph *sub = ir_graph_new(im->a, parent);
  import_graph(im, sub, gp, depth + 1);
  return sub;
}

/* string attributes are modes and names: one with a NUL byte would be read
 * as its part before the NUL ("constant\0junk" as "constant") */
static const char *attr_str(const Node *n, const char *aname, const ProtobufCBinaryData *b,
                            Arena *a) {
  if (b->len && memchr(b->data, 0, b->len))
    diag_node_fatal(n, "attribute '%s' holds a string with a NUL byte", aname);
  return onnx_bytes_str(a, b);
}

static int list_len(const Node *n, const char *aname, size_t len) {
  if (len > INT_MAX) diag_node_fatal(n, "attribute '%s' has too many elements", aname);
  return (int)len;
}

static void import_attr(Importer *im, Graph *g, Node *n, const Onnx__AttributeProto *ap,
                        int depth) {
  const char *name = str(ap->name);
  if (!*name) diag_node_fatal(n, "an attribute has no name");
  if (ir_attr(n, name)) diag_node_fatal(n, "attribute '%s' is given twice", name);
  AttrKind k = attr_kind_of(ap);
  const char *ref = ap->ref_attr_name && *ap->ref_attr_name ? ap->ref_attr_name : NULL;
  /* Optional's type tells what an empty optional would hold: mlc needs only
   * that it is empty, so the attribute is not kept */
  if (k == AK_TYPE_PROTO && !ref && !strcmp(name, "type") && !strcmp(n->op_type, "Optional") &&
      (!*n->domain || !strcmp(n->domain, "ai.onnx")))
    return;
  if (k == AK_SPARSE_TENSOR || k == AK_SPARSE_TENSORS || k == AK_TYPE_PROTO || k == AK_TYPE_PROTOS)
    diag_node_fatal(n, "attribute '%s' has an unsupported attribute kind (%s)", name,
                    k == AK_SPARSE_TENSOR    ? "sparse tensor"
                    : k == AK_SPARSE_TENSORS ? "sparse tensors"
                    : k == AK_TYPE_PROTO     ? "type"
                                             : "types");
  if (k == AK_UNDEF) diag_node_fatal(n, "attribute '%s' has no value", name);
  if (k > AK_GRAPHS)
    diag_node_fatal(n, "attribute '%s' has an unsupported attribute kind (%d)", name, (int)k);
  if (!ref && ((k == AK_TENSOR && !ap->t) || (k == AK_GRAPH && !ap->g)))
    diag_node_fatal(n, "attribute '%s' is declared as a %s but holds none", name,
                    k == AK_TENSOR ? "tensor" : "graph");

  Attr *at = ir_attr_add(g, n, name, k);
  if (ref && !im->in_function)
    diag_node_fatal(n,
                    "attribute '%s' refers to '%s', an attribute of a calling function, "
                    "but the node is not in a function",
                    name, ref);
  if (ref) {
    at->ref_attr_name = arena_strdup(im->a, ref);
    return; /* the value comes from the caller of the function */
  }
  switch (k) {
  case AK_FLOAT: at->f = ap->f; break;
  case AK_INT: at->i = ap->i; break;
  case AK_STRING: at->s = attr_str(n, name, &ap->s, im->a); break;
  case AK_TENSOR: at->t = import_tensor(im, n, name, ap->t); break;
  case AK_GRAPH: at->g = import_subgraph(im, g, n, name, ap->g, depth); break;
  case AK_FLOATS:
    at->n = list_len(n, name, ap->n_floats);
    at->floats = arena_array(im->a, (size_t)at->n + 1, sizeof *at->floats);
    for (int i = 0; i < at->n; i++) at->floats[i] = ap->floats[i];
    break;
  case AK_INTS:
    at->n = list_len(n, name, ap->n_ints);
    at->ints = arena_array(im->a, (size_t)at->n + 1, sizeof *at->ints);
    if (at->n) memcpy(at->ints, ap->ints, (size_t)at->n * sizeof *at->ints);
    break;
  case AK_STRINGS:
    at->n = list_len(n, name, ap->n_strings);
    at->strings = arena_array(im->a, (size_t)at->n + 1, sizeof *at->strings);
    for (int i = 0; i < at->n; i++) at->strings[i] = attr_str(n, name, &ap->strings[i], im->a);
    break;
  case AK_TENSORS:
    at->n = list_len(n, name, ap->n_tensors);
    at->tensors = arena_array(im->a, (size_t)at->n + 1, sizeof *at->tensors);
    for (int i = 0; i < at->n; i++) at->tensors[i] = import_tensor(im, n, name, ap->tensors[i]);
    break;
  default: /* AK_GRAPHS */
    at->n = list_len(n, name, ap->n_graphs);
    at->graphs = arena_array(im->a, (size_t)at->n + 1, sizeof *at->graphs);
    for (int i = 0; i < at->n; i++)
      at->graphs[i] = import_subgraph(im, g, n, name, ap->graphs[i], depth);
    break;
  }
}

/* ---- graphs ---------------------------------------------------------------------- */

/* what an earlier definition of a name was, for "defined twice" messages */
static const char *defined_as(Arena *a, const Value *v) {
  if (v->is_input) return "a graph input";
  if (v->is_init) return "an initializer";
  const Node *p = v->producer;
  return p ? arena_printf(a, "an output of node '%s' (#%d %s)", p->name, p->index, p->op_type)
           : "defined earlier";
}

static void import_inits(Importer *im, Graph *g, const Onnx__GraphProto *gp) {
  if (gp->n_sparse_initializer)
    diag_fatal("%sthe graph has sparse initializers, which mlc does not support", where(g));
  for (size_t i = 0; i < gp->n_initializer; i++) {
    const Onnx__TensorProto *tp = gp->initializer[i];
    const char *name = str(tp->name);
    if (!*name) diag_fatal("%sinitializer #%zu has no name", where(g), i);
    if (ir_lookup_local(g, name)) diag_fatal("%sinitializer '%s' is given twice", where(g), name);
    Tensor t;
    char err[512];
    if (onnx_tensor_from_proto(im->a, tp, im->base_dir, &t, err, sizeof err))
      diag_fatal("%sinitializer '%s': %s", where(g), name, err);
    Value *v = ir_value_new(g, name);
    v->dtype = t.dtype;
    ir_set_shape(v, t.rank, t.dims);
    v->data = t.data; /* already in the arena: no second copy of the weights */
    ir_add_init(g, v);
  }
}

static void import_inputs(Importer *im, Graph *g, const Onnx__GraphProto *gp) {
  for (size_t i = 0; i < gp->n_input; i++) {
    const Onnx__ValueInfoProto *vi = gp->input[i];
    const char *name = str(vi->name);
    if (!*name) diag_fatal("%sgraph input #%zu has no name", where(g), i);
    Value *v = ir_lookup_local(g, name);
    /* before IR version 4 every initializer was listed as an input too: it
     * is a constant with a default, and stays an initializer */
    if (v && v->is_init) continue;
    if (v) diag_fatal("%sgraph input '%s' is listed twice", where(g), name);
    v = ir_value_new(g, name);
    set_type(im, g, v, vi->type, "graph input");
    ir_add_input(g, v);
  }
}

/* Op types are identifiers and domains dotted identifiers (or empty), as the
 * text form writes them; anything else could not be written back. */
static int is_ident(const char *s, int dotted) {
  if (dotted && !*s) return 1;
  for (const char *p = s;; p++) {
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_')) return 0;
    while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
           *p == '_')
      p++;
    if (!*p) return 1;
    if (!dotted || *p != '.') return 0;
  }
}

/* phase 1: the node and the values it defines */
static Node *import_node_outputs(Importer *im, Graph *g, const Onnx__NodeProto *np) {
  if (np->n_input > INT_MAX || np->n_output > INT_MAX)
    diag_fatal("%snode '%s' has too many inputs or outputs", where(g), str(np->name));
  Node *n = ir_node_new(g, str(np->op_type), str(np->domain), str(np->name), (int)np->n_input,
                        (int)np->n_output);
  if (!*n->op_type) diag_node_fatal(n, "the node has no op_type");
  if (!is_ident(n->op_type, 0) || !is_ident(n->domain, 1))
    diag_node_fatal(n,
                    "op type '%s' in domain '%s' is not a name (letters, digits and _, "
                    "domains dot-separated)",
                    n->op_type, n->domain);
  if (!n->opset)
    diag_node_fatal(n,
                    "the node's domain '%s' is not imported by the model "
                    "(opset_import)",
                    n->domain);
  if (np->doc_string && *np->doc_string) n->doc = arena_strdup(im->a, np->doc_string);
  for (int i = 0; i < n->nout; i++) {
    const char *name = str(np->output[i]);
    if (!*name) continue; /* an absent optional output */
    Value *prev = ir_lookup_local(g, name);
    if (prev) diag_node_fatal(n, "output '%s' is already %s", name, defined_as(im->a, prev));
    n->out[i] = ir_value_new(g, name);
    n->out[i]->producer = n;
  }
  return n;
}

/* phase 2: inputs by name (in this graph or an enclosing one), attributes */
static void import_node_rest(Importer *im, Graph *g, Node *n, const Onnx__NodeProto *np,
                             int depth) {
  for (int i = 0; i < n->nin; i++) {
    const char *name = str(np->input[i]);
    if (!*name) continue; /* an absent optional input */
    n->in[i] = ir_lookup(g, name);
    if (!n->in[i])
      diag_node_fatal(n,
                      "input '%s' is not produced by any node, graph input or "
                      "initializer",
                      name);
  }
  for (size_t i = 0; i < np->n_attribute; i++) import_attr(im, g, n, np->attribute[i], depth);
}

static void import_outputs(Importer *im, Graph *g, const Onnx__GraphProto *gp) {
  for (size_t i = 0; i < gp->n_output; i++) {
    const Onnx__ValueInfoProto *vi = gp->output[i];
    const char *name = str(vi->name);
    if (!*name) diag_fatal("%sgraph output #%zu has no name", where(g), i);
    Value *v = ir_lookup(g, name);
    if (!v)
      diag_fatal(
          "%sgraph output '%s' is not produced by any node, graph input or "
          "initializer",
          where(g), name);
    /* a body may return a value of the enclosing graph: that one keeps its type */
    if (!v->is_init && ir_lookup_local(g, name) == v) set_type(im, g, v, vi->type, "graph output");
    ir_add_output(g, v);
  }
}

static void import_graph(Importer *im, Graph *g, const Onnx__GraphProto *gp, int depth) {
  g->name = arena_strdup(im->a, str(gp->name));
  if (gp->doc_string && *gp->doc_string) g->doc = arena_strdup(im->a, gp->doc_string);
  import_inits(im, g, gp);
  import_inputs(im, g, gp);
  for (size_t i = 0; i < gp->n_node; i++) import_node_outputs(im, g, gp->node[i]);
  /* g->nodes[i] is gp->node[i] until ir_toposort reorders them */
  for (size_t i = 0; i < gp->n_node; i++) import_node_rest(im, g, g->nodes[i], gp->node[i], depth);
  for (size_t i = 0; i < gp->n_value_info; i++) {
    Value *v = ir_lookup_local(g, str(gp->value_info[i]->name));
    if (v && !v->is_init) set_type(im, g, v, gp->value_info[i]->type, NULL);
  }
  import_outputs(im, g, gp);
  ir_toposort(g);
}

/* A model-local function: a body graph of its own (its own opsets; it sees
 * nothing of the caller's), kept for inline_functions. */
static void import_function(Importer *im, Graph *g, const Onnx__FunctionProto *fp) {
  im->in_function = 1;
  Graph *body = ir_graph_new(im->a, NULL);
  body->name = arena_strdup(im->a, str(fp->name));
  if (!*body->name) diag_fatal("a local function has no name");
  for (size_t i = 0; i < fp->n_opset_import; i++) {
    const Onnx__OperatorSetIdProto *o = fp->opset_import[i];
    ir_add_opset(body, str(o->domain), o->has_version ? o->version : 1);
  }
  if (!fp->n_opset_import)
    for (int i = 0; i < g->nopsets; i++)
      ir_add_opset(body, g->opsets[i].domain, g->opsets[i].version);
  for (size_t i = 0; i < fp->n_input; i++) {
    if (ir_lookup_local(body, str(fp->input[i])))
      diag_fatal("local function '%s' declares input '%s' twice", body->name, str(fp->input[i]));
    ir_add_input(body, ir_value_new(body, str(fp->input[i])));
  }
  for (size_t i = 0; i < fp->n_node; i++) import_node_outputs(im, body, fp->node[i]);
  for (size_t i = 0; i < fp->n_node; i++)
    import_node_rest(im, body, body->nodes[i], fp->node[i], 0);
  for (size_t i = 0; i < fp->n_output; i++) {
    Value *v = ir_lookup_local(body, str(fp->output[i]));
    if (!v)
      diag_fatal("local function '%s': output '%s' is not produced by any node or input",
                 body->name, str(fp->output[i]));
    ir_add_output(body, v);
  }
  ir_toposort(body);
  if (ir_find_function(g, str(fp->domain), body->name))
    diag_fatal("local function '%s' is defined twice", body->name);
  Function *f = ir_add_function(g, str(fp->domain), body->name, body);
  f->nattrs = (int)fp->n_attribute;
  f->attrs = arena_array(im->a, fp->n_attribute + 1, sizeof *f->attrs);
  for (size_t i = 0; i < fp->n_attribute; i++)
    f->attrs[i].name = arena_strdup(im->a, str(fp->attribute[i]));
  im->in_function = 0;
}

/* ---- the model -------------------------------------------------------------------- */

static void import_opsets(Graph *g, const Onnx__ModelProto *m) {
  for (size_t i = 0; i < m->n_opset_import; i++) {
    const Onnx__OperatorSetIdProto *o = m->opset_import[i];
    const char *dom = str(o->domain);
    if (!o->has_version || o->version < 1 || o->version > INT_MAX)
      diag_fatal("the model imports domain '%s' without a valid version", dom);
    /* the same import twice is harmless (skl2onnx writes it); two versions are not */
    if (ir_opset(g, dom) == o->version) continue;
    if (ir_opset(g, dom))
      diag_fatal("the model imports domain '%s' more than once, at versions %lld and %lld", dom,
                 (long long)ir_opset(g, dom), (long long)o->version);
    ir_add_opset(g, dom, o->version);
  }
  /* The first IR versions had no opset_import: their ops are opset 1. Later
   * models may leave the default domain out when they use none of its ops
   * (ai.onnx.ml models), as the ONNX checker allows; nodes check their own
   * domain. */
  if (m->n_opset_import) return;
  if (g->ir_version >= 3) diag_fatal("the model imports no operator set (opset_import is empty)");
  ir_add_opset(g, "", 1);
}

typedef struct ModelJob {
  Importer im;
  Graph *g;
  Onnx__ModelProto *m;
} ModelJob;

static void import_model(void *p) {
  ModelJob *job = p;
  const Onnx__ModelProto *m = job->m;
  Graph *g = job->g;
  Arena *a = job->im.a;
  if (!m->graph) diag_fatal("not an ONNX model: it has no graph");
  g->ir_version = m->has_ir_version ? m->ir_version : 0;
  g->model_version = m->has_model_version ? m->model_version : 0;
  g->producer_name = arena_strdup(a, str(m->producer_name));
  g->producer_version = arena_strdup(a, str(m->producer_version));
  g->model_domain = arena_strdup(a, str(m->domain));
  g->model_doc = arena_strdup(a, str(m->doc_string));
  /* opsets first: ir_node_new reads the node's opset from them */
  import_opsets(g, m);
  scan_unk_graph(&job->im, m->graph, 0);
  for (size_t i = 0; i < m->n_functions; i++) import_function(&job->im, g, m->functions[i]);
  import_graph(&job->im, g, m->graph, 0);
}

static void free_model(void *p) { onnx__model_proto__free_unpacked(((ModelJob *)p)->m, NULL); }

Graph *onnx_load_bytes(Arena *a, const uint8_t *buf, size_t len, const char *path) {
  const char *shown = path ? path : "<memory>";
  int nul = 0;
  if (!wire_depth_ok(buf, len, &onnx__model_proto__descriptor, 0, &nul))
    diag_fatal("'%s' is not a valid ONNX model (messages nest more than %d deep)", shown,
               MAX_WIRE_DEPTH);
  if (nul) {
    const ProtobufCMessageDescriptor *d = &onnx__model_proto__descriptor;
    Sizes sizes = {.a = a};
    size_t n = escape_msg(buf, len, d, &sizes, NULL);
    uint8_t *esc = arena_alloc(a, n ? n : 1);
    sizes.n = 0;
    escape_msg(buf, len, d, &sizes, esc);
    buf = esc;
    len = n;
  }
  ModelJob job = {.im = {.a = a, .base_dir = path ? onnx_dir_of(a, path) : NULL}};
  job.m = onnx__model_proto__unpack(NULL, len, buf);
  if (!job.m) diag_fatal("'%s' is not a valid ONNX model (protobuf parse failed)", shown);
  job.g = ir_graph_new(a, NULL);
  job.g->file = arena_strdup(a, shown);
  io_guarded(import_model, free_model, &job);
  free_model(&job);
  return job.g;
}

typedef struct FileJob {
  Arena *a;
  const char *path;
  unsigned char *buf;
  size_t len;
  Graph *g;
} FileJob;

static void load_file(void *p) {
  FileJob *job = p;
  job->g = onnx_load_bytes(job->a, job->buf, job->len, job->path);
}

static void free_file(void *p) { free(((FileJob *)p)->buf); }

Graph *onnx_load(Arena *a, const char *path) {
  FileJob job = {.a = a, .path = path};
  job.buf = io_read_file(path, &job.len);
  io_guarded(load_file, free_file, &job);
  free_file(&job);
  return job.g;
}
