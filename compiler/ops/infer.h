/* From a loaded model to a graph with static shapes: bind input shapes and
 * symbolic dims, check that every op is supported, infer every value's type
 * and shape, and evaluate what is known at compile time. */
#ifndef MLC_INFER_H
#define MLC_INFER_H

#include "ir.h"

typedef struct ShapeBind {
  const char *name; /* graph input */
  int rank;
  int64_t dims[IR_MAX_RANK];
} ShapeBind;

typedef struct DimBind {
  const char *name; /* dim_param */
  int64_t value;
} DimBind;

typedef struct ConstBind {
  const char *name;    /* graph input frozen to a value: */
  const Tensor *value; /* from a file, */
  const char *literal; /* or numbers, comma-separated, in the input's type */
} ConstBind;

/* A sequence graph input's length (--seq), or an optional one left empty
 * (--none). A sequence of N becomes the inputs NAME.0 ... NAME.N-1
 * (infer_elem_name), each of the declared element type; their shapes come
 * from the model, --shape NAME.K=DIMS or --dim. */
typedef struct SeqBind {
  const char *name;
  int64_t len;
  int none;
} SeqBind;

typedef struct Bindings {
  ShapeBind *shapes;
  int nshapes;
  DimBind *dims;
  int ndims;
  ConstBind *consts;
  int nconsts;
  SeqBind *seqs;
  int nseqs;
} Bindings;

/* the name of element k of sequence input or output `seq`: "seq.k" */
char *infer_elem_name(Arena *a, const char *seq, int64_t k);

/* Largest tensor (bytes) that inference evaluates to fill compile-time data.
 * Bigger foldable results stay nodes and run in the product. */
#define INFER_FOLD_MAX_BYTES ((size_t)1 << 24)
/* All folding of one model together makes at most this much data: past it,
 * foldable nodes stay nodes and run in the product, so a few bytes of model
 * cannot make the compiler allocate (and emit as weights) gigabytes. */
#define INFER_FOLD_TOTAL_BYTES ((size_t)64 << 20)
/* charges `bytes` of folded data to g's model and returns 1, or returns 0
 * (charging nothing) when that would pass INFER_FOLD_TOTAL_BYTES */
int infer_fold_budget(Graph *g, size_t bytes);
/* may n's outputs become compile-time data? Not those of the top graph's
 * runtime_sized list */
int infer_may_fold(const Graph *g, const Node *n);

/* --seq / --none, --shape / --dim, --const; then every symbolic input dim
 * must be bound: else one error listing all of them and the flag that fixes
 * it. g->decl_inputs keeps the inputs as declared. */
void infer_bind(Graph *g, const Bindings *b);
/* the same, but an unbound dim is no error: returns the message naming them
 * (NULL when every dim is bound); the graph is then not ready to infer */
const char *infer_bind_open(Graph *g, const Bindings *b);
/* checks support of every node (all problems listed at once), then infers
 * in order, folding constant subgraphs through the interpreter. A sequence
 * output then becomes one output per element (NAME.K), an empty optional
 * none; g->decl_outputs keeps the outputs as declared. */
void infer_graph(Graph *g);

/* Node error: the value of v is needed at compile time (a shape, pads,
 * axes...). The name is remembered: `mlc test` freezes such a graph input to
 * the test's value and tries again, as `--const NAME=FILE` does. */
_Noreturn void infer_need_const(const Node *n, const Value *v);
/* the graph inputs the last such value is computed from; returns how many */
#define INFER_MAX_NEEDED 32
int infer_needed_inputs(const char **names, int max);
/* the first graph input v is computed from (NULL if none) */
const char *infer_source_input(Arena *a, const Value *v);

/* Marks v as data-dependent along `axis` (its dims are the upper bound) and
 * returns the int64 scalar value its lowering writes the extent to. */
Value *infer_dynamic(Graph *g, Value *v, int axis);

/* checks and infers g->nodes[from..to), nodes just inlined into g (by
 * control flow and functions) */
void infer_nodes(Graph *g, int from, int to);

/* parse "1x3x224x224" (also "1,3,224,224"); -1 on error */
int parse_dims(const char *s, int64_t *dims, int max);

#endif
