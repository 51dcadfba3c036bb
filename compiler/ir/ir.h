/* The IR: a graph of Nodes and SSA Values.
 *
 * A Value has one producer (a node, or none for graph inputs and constants)
 * and a use list. Its dtype and shape are static after shape inference
 * (symbolic dims are bound before it). `data` holds its contents when they are
 * known at compile time: initializers, Constant outputs, and anything shape
 * inference could evaluate. A node whose outputs all have data is never run.
 *
 * Everything lives in the graph's arena. Nodes keep their ONNX name, index and
 * op type for diagnostics and the comments of generated code.
 */
#ifndef MLC_IR_H
#define MLC_IR_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "mlc_rt_core.h"

#define IR_MAX_RANK 8
/* Limits on untrusted models, far above real ones: bytes of one tensor,
 * operator sets a model imports, attributes of one node */
#define IR_MAX_TENSOR_BYTES ((int64_t)16 << 30)
#define IR_MAX_OPSETS 256
#define IR_MAX_ATTRS 1024

/* ONNX TensorProto.DataType numbers, from the runtime's one list
 * (MLC_RT_DTYPES): DT_FLOAT == MLC_DT_FLOAT, ... */
#define IR__DT(name, num, onnx, ctype, sfx, size, is_float) DT_##name = num,
typedef enum DType { DT_UNDEF = 0, MLC_RT_DTYPES(IR__DT) DT_COUNT_ = 32 } DType;
#undef IR__DT

size_t dtype_size(DType t);           /* bytes per element; 0 if unsupported */
const char *dtype_name(DType t);      /* ONNX text name: "float", "int64", ... */
DType dtype_from_name(const char *s); /* DT_UNDEF if unknown */
const char *dtype_ctype(DType t);     /* C type in generated code */
const char *dtype_sfx(DType t);       /* runtime suffix: f32 f64 i32 i64 b u8 ... */
int dtype_is_float(DType t);

/* ONNX AttributeProto.AttributeType numbers */
typedef enum AttrKind {
  AK_UNDEF = 0,
  AK_FLOAT = 1,
  AK_INT = 2,
  AK_STRING = 3,
  AK_TENSOR = 4,
  AK_GRAPH = 5,
  AK_FLOATS = 6,
  AK_INTS = 7,
  AK_STRINGS = 8,
  AK_TENSORS = 9,
  AK_GRAPHS = 10,
  AK_SPARSE_TENSOR = 11,
  AK_SPARSE_TENSORS = 12,
  AK_TYPE_PROTO = 13,
  AK_TYPE_PROTOS = 14
} AttrKind;

/* A tensor outside the graph: attribute values, test data, files. For
 * DT_STRING, data is an array of `const char *` (NUL-terminated). */
typedef struct Tensor {
  const char *name;
  DType dtype;
  int rank;
  int64_t dims[IR_MAX_RANK];
  void *data;
  size_t nbytes;
} Tensor;

struct Graph;

typedef struct Attr {
  const char *name;
  AttrKind kind;
  double f;
  int64_t i;
  const char *s; /* STRING, NUL-terminated (embedded NULs cut) */
  int n;         /* element count of the list kinds */
  double *floats;
  int64_t *ints;
  const char **strings;
  Tensor *t;
  Tensor **tensors;
  struct Graph *g;
  struct Graph **graphs;
  const char *ref_attr_name; /* inside functions: refers to a caller attribute */
} Attr;

struct Node;

typedef struct Value {
  int id;
  const char *name;
  DType dtype;
  int rank; /* -1 while unknown */
  int64_t dims[IR_MAX_RANK];
  const char *dim_param[IR_MAX_RANK]; /* symbolic dim name, else NULL */
  void *data;                         /* compile-time contents, or NULL */
  struct Node *producer;
  struct Node **users;
  int nusers;
  size_t users_cap;
  unsigned is_input : 1, is_output : 1, is_init : 1;
  unsigned local : 1; /* lives only inside one fused loop: no memory of its own */
  /* compile-time data that differs with a run-time dim (mlc compile --dim
   * N=LO..HI: a dim's value as a tensor): the C backend writes it into the
   * run function, where the dims are known, not into the weights */
  unsigned dim_valued : 1;
  /* memory plan (filled by plan_memory) */
  int64_t offset;        /* byte offset in the arena, -1 if not in the arena */
  struct Value *view_of; /* shares the bytes of this value, */
  int64_t view_off;      /* from this byte of them on */
  int plan_index;        /* the memory plan's number for it: its lifetime if it is in the
                           arena, its place in Plan.consts if it is a constant; -1 for
                           neither (set by plan_build, read by the backends) */
  /* A data-dependent size (NonZero, NonMaxSuppression): the dims are an upper
   * bound, the extent along dyn_axis is dyn_count's value at run time, and
   * the data is laid out compactly for that extent. */
  struct Value *dyn_count;
  int dyn_axis;
  /* A sequence (SequenceConstruct, SplitToSequence...): a list of tensor
   * values known at compile time; sequence ops are resolved while inferring
   * and never reach the generated code. */
  unsigned is_seq : 1;
  struct Value **seq;
  int nseq;
  /* An empty optional (Optional without an input, an optional graph input
   * bound empty) is resolved at compile time too: is_seq, no elements. */
  unsigned opt_none : 1;
  /* The declared type of a graph input or output that is no plain tensor: a
   * sequence (dtype and shape then describe its elements) and/or an
   * optional. Binding gives a sequence input one input per element and an
   * optional one presence; infer_graph returns a sequence output element by
   * element (infer.h). */
  unsigned decl_seq : 1, decl_opt : 1;
} Value;

/* Node.op before the ops layer has looked the node up (the ir knows no op
 * table); the ops layer uses the same value for "no such op" */
#define IR_OP_UNRESOLVED (-1)

typedef struct Node {
  int op;              /* the op table's row: set by the ops layer (ops_resolve,
                          op_node_new); IR_OP_UNRESOLVED until then */
  const char *op_type; /* as written in the model */
  const char *domain;  /* "" for the default domain */
  const char *name;
  int index;  /* position in the source graph */
  int opset;  /* the imported version of the node's domain */
  Value **in; /* NULL entries: absent optional inputs */
  int nin;
  Value **out;
  int nout;
  Attr *attrs;
  int nattrs;
  size_t attrs_cap;
  const char *doc;
  int dead;     /* removed by a pass; ir_remove_dead_nodes drops it */
  int pos;      /* its index in the graph's node list where the list was last numbered
              (ir_toposort, ir_check, inference, the passes that renumber):
              check g->nodes[pos] == n before trusting it */
  int inferred; /* shape inference has run on it */
} Node;

/* A model-local function: a body graph whose inputs and outputs are the
 * formal parameters, with its own opset imports. Calls are inlined on load. */
struct Graph;
typedef struct Function {
  const char *name, *domain;
  struct Graph *body;
  Attr *attrs; /* declared attributes; kind AK_UNDEF when there is no default */
  int nattrs;
} Function;

typedef struct OpsetImport {
  const char *domain;
  int64_t version;
} OpsetImport;

/* The instruction set the generated code is planned for (mlc compile
 * --target): the kernels' tile sizes and the layouts weights are packed in
 * at compile time follow it. GENERIC is portable C, weights as the model
 * has them. */
/* what the code is planned for: an instruction set of the C backend, or
 * the CUDA backend (whose kernels read weights as the model gives them) */
typedef enum {
  TARGET_GENERIC,
  TARGET_X86_64_V3,
  TARGET_X86_64_V4,
  TARGET_AARCH64,
  TARGET_CUDA
} TargetIsa;

typedef struct Graph {
  Arena *arena;
  struct Graph *parent; /* enclosing graph of a subgraph */
  const char *name;
  const char *doc;
  Node **nodes;
  int nnodes;
  size_t nodes_cap;
  Value **values; /* every value, in creation order */
  int nvalues;
  size_t values_cap;
  Value **inputs;
  int ninputs;
  Value **outputs;
  int noutputs;
  Value **inits; /* initializers, in model order */
  int ninits;
  void *names; /* name -> Value map (ir.c) */
  /* model-level fields, top graph only */
  const char *file;
  int64_t ir_version;
  int64_t model_version;
  const char *producer_name, *producer_version, *model_domain, *model_doc;
  OpsetImport *opsets;
  int nopsets;
  int next_value_id;
  size_t folded_bytes;   /* compile-time data folding has made (infer_fold_budget) */
  struct Value *strings; /* the string region of string kernels (ir_string_region) */
  int unrolled_nodes;    /* nodes loop unrolling has added, nested loops included */
  int ncount_outputs;    /* the last outputs: run-time extents of data-dependent ones */
  TargetIsa target;      /* what the code is planned for (ir_target reads it) */
  /* top graph: names of the values whose size follows a dim the code takes
   * at run time (mlc compile --dim N=LO..HI): never folded into data, which
   * would hold one size (infer_may_fold) */
  const char *const *runtime_sized;
  int nruntime_sized;
  /* the graph inputs and outputs as declared, before sequence elements took
   * their places and empty optionals left (infer_bind, infer_graph) */
  Value **decl_inputs, **decl_outputs;
  int ndecl_inputs, ndecl_outputs;
  Function *functions; /* model-local functions */
  int nfunctions;
  size_t functions_cap;
} Graph;

Graph *ir_graph_new(Arena *a, Graph *parent);
int64_t ir_opset(const Graph *g, const char *domain); /* 0 if not imported */
TargetIsa ir_target(const Graph *g);                  /* the top graph's target */
int ir_runtime_dims(const Graph *g);                  /* does the code take dims at run time? */
void ir_add_opset(Graph *g, const char *domain, int64_t version);

/* A value named `name` ("" or NULL: anonymous). Named values are entered in
 * the graph's map; creating a second value of the same name is an error the
 * caller reports (ir_lookup first). */
Value *ir_value_new(Graph *g, const char *name);
Value *ir_lookup(const Graph *g, const char *name); /* searches enclosing graphs */
Value *ir_lookup_local(const Graph *g, const char *name);
void ir_add_input(Graph *g, Value *v);
void ir_add_output(Graph *g, Value *v);
void ir_add_init(Graph *g, Value *v);

Function *ir_add_function(Graph *g, const char *domain, const char *name, Graph *body);
const Function *ir_find_function(const Graph *g, const char *domain, const char *name);
Node *ir_node_new(Graph *g, const char *op_type, const char *domain, const char *name, int nin,
                  int nout);
Attr *ir_attr_add(Graph *g, Node *n, const char *name, AttrKind kind);
void ir_remove_dead_nodes(Graph *g);
/* moves the nodes appended since g->nodes[first] to position pos (<= first),
 * after the nodes before it: a node expanded during inference puts its
 * replacement where it stood */
void ir_move_appended(Graph *g, int first, int pos);

/* attribute access; `def` when absent. A present attribute of the wrong kind
 * is a node error. */
const Attr *ir_attr(const Node *n, const char *name);
int64_t attr_i(const Node *n, const char *name, int64_t def);
double attr_f(const Node *n, const char *name, double def);
const char *attr_s(const Node *n, const char *name, const char *def);
int attr_ints(const Node *n, const char *name, const int64_t **out); /* -1 absent */
int attr_floats(const Node *n, const char *name, const double **out);

/* uses and order */
void ir_rebuild_uses(Graph *g);
void ir_toposort(Graph *g); /* node error on a cycle or undefined input */
void ir_check(const Graph *g);

/* shapes */
int64_t ir_numel(const Value *v);
size_t ir_nbytes(const Value *v);
int ir_same_shape(const Value *a, const Value *b);
char *ir_shape_str(Arena *a, const Value *v); /* "1x3x224x224" */
void ir_set_shape(Value *v, int rank, const int64_t *dims);
void ir_copy_type(Value *dst, const Value *src);

/* String tensors hold one `const char *` per element (dtype_size is the
 * pointer's size). Kernels that make strings write their bytes into one
 * region per run: a uint8 value of ir_string_bytes bytes (mlc compile
 * --string-bytes), made on first use and live for the whole run (the
 * planner keeps it so; the runtime's header says how it is laid out). */
#define IR_STRING_BYTES_DEFAULT ((int64_t)64 << 10)
extern int64_t ir_string_bytes;
Value *ir_string_region(Graph *g);

/* constant values */
void *ir_alloc_data(Graph *g, Value *v);        /* zeroed buffer of ir_nbytes(v) */
int64_t ir_data_i64(const Value *v, int64_t i); /* element i of an integer tensor */
double ir_data_f64(const Value *v, int64_t i);
int ir_tensor_to_value(Graph *g, const Tensor *t, Value *v);

#endif
