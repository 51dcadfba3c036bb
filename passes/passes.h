/* Graph-to-graph rewrites, one per file, run as the flat list in pipeline.c.
 *
 * Every pass takes an inferred graph (static dtypes and shapes everywhere,
 * ->data on constants) and leaves one: new values get types, new constants
 * data, new nodes are inferred and sit in schedule order, and rewritten
 * nodes keep the ONNX name and index of the node they came from. */
#ifndef MLC_PASSES_H
#define MLC_PASSES_H

#include "ir.h"

typedef struct PassOptions {
  int opt_level;          /* 0, 1, 2 */
  const char *dump_after; /* pass name, or NULL */
  int check;              /* ir_check between passes (also MLC_CHECK_IR=1, debug builds) */
  size_t fold_max_bytes;  /* largest result the fold pass creates; 0: INFER_FOLD_MAX_BYTES */
} PassOptions;

/* -O0: what correctness needs */
void pass_fold(Graph *g, size_t max_bytes); /* evaluates constant nodes, drops known ones */
void pass_dce(Graph *g);                    /* drops nodes no graph output depends on */
/* -O1 */
void pass_qdq(Graph *g);    /* quantized ops in QDQ form into integer ops */
void pass_noop(Graph *g);   /* removes nodes that return their input */
void pass_cse(Graph *g);    /* merges equal nodes and equal constants */
void pass_bnfold(Graph *g); /* BatchNormalization and per-channel affine ops into weights */
/* -O2 */
void pass_transpose(Graph *g); /* sinks Transposes until inverse pairs cancel */
void pass_patterns(Graph *g);  /* exporter spellings of LayerNorm, GELU, Softmax, SiLU */
void pass_bnsplit(Graph *g);   /* BatchNormalization left over as Mul + Add, for fusion */
void pass_epilogue(Graph *g);  /* Conv/Gemm/MatMul epilogues into their kernels */
void pass_dwpw(Graph *g);      /* depthwise + 1x1 Conv pairs computed by bands */
void pass_fuse(Graph *g);      /* elementwise groups into mlc.FusedElementwise loops */

void passes_run(Graph *g, const PassOptions *o);

/* ---- rewriting helpers shared by the passes (rewrite.c) --------------------
 * A pass starts from ir_rebuild_uses and keeps the use lists exact while it
 * rewrites, so "v has one consumer" stays true to the graph; a node whose
 * outputs lose their last consumer dies at once, with whatever fed only it.
 * Dead nodes stay in g->nodes until the pass calls ir_remove_dead_nodes. */

/* the one node that reads v (through any number of its inputs), if v is no
 * graph output; else NULL */
Node *rw_sole_user(const Value *v);
/* n->in[i] = v */
void rw_set_input(Graph *g, Node *n, int i, Value *v);
/* n->out[j] = v, which n now produces */
void rw_set_output(Node *n, int j, Value *v);
/* every reader of `from` reads `to`; `from` must not be a graph output */
void rw_replace_uses(Graph *g, Value *from, Value *to);
/* n is dead; producers left without consumers die too */
void rw_kill(Node *n);
/* a node placed in the schedule just before (after) `at` and named after it (the
 * source node that diagnostics and generated comments name), at the graph's
 * opset unless the caller sets n->opset; marked inferred: the caller gives
 * its outputs types */
Node *rw_node_before(Graph *g, Node *at, const char *op_type, int nin, int nout);
Node *rw_node_after(Graph *g, Node *at, const char *op_type, int nin, int nout);
/* n returns x unchanged as its output y: readers of y read x, or, if y is a
 * graph output, x's producer makes y (when nothing else reads x). 1 if n
 * went. */
int rw_bypass(Graph *g, Node *n, Value *x);
/* an anonymous value of the given type; rw_const also allocates zeroed data */
Value *rw_value(Graph *g, DType t, int rank, const int64_t *dims);
Value *rw_const(Graph *g, DType t, int rank, const int64_t *dims);
/* v is a constant whose elements ir_data_f64 reads (integers, bool, float,
 * double) */
int rw_numeric_const(const Value *v);
/* v is such a constant with one element: its value in *x */
int rw_scalar(const Value *v, double *x);
/* attributes, replaced or added (new storage: attribute arrays may be shared) */
void rw_attr_ints(Graph *g, Node *n, const char *name, const int64_t *v, int k);
void rw_attr_int(Graph *g, Node *n, const char *name, int64_t v);
void rw_attr_float(Graph *g, Node *n, const char *name, double v);
void rw_attr_string(Graph *g, Node *n, const char *name, const char *s);
/* a Transpose's permutation (the default reverses the axes); its rank */
int rw_perm(const Node *t, int *perm);
/* t2 reads a Transpose t1: it reads t1's input with the composed permutation
 * instead, and both go when that is the identity. 1 if anything changed. */
int rw_merge_transposes(Graph *g, Node *t2);
/* a new node `op` (domain mlc) holding members[0, n) as its subgraph
 * `body` (named body_name): in schedule order, the last one the sink,
 * whose output the node takes over, the others read only inside; the
 * node's inputs are the outer values they read, and it takes the sink's
 * place g->nodes[at]. The others die in g (ir_remove_dead_nodes drops
 * them, then rw_revive_bodies) */
Node *rw_fuse_body(Graph *g, const char *op, const char *body_name, Node **members, int n, int at);
/* the members of the bodies of every `op` node live again, once g no
 * longer holds them */
void rw_revive_bodies(Graph *g, int op);

#endif
