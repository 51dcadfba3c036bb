/* The op table. compiler/ops.def is the one list of operators; this header
 * turns it into the OP_ enum and the optab[] of flags and functions. Passes
 * ask the table, never switch over ops. */
#ifndef MLC_OPS_H
#define MLC_OPS_H

#include "ir.h"
#include "kernels.h"

enum {
  OPF_ELEMWISE = 1 << 0,   /* lowers to one broadcasting scalar function */
  OPF_INPLACE_OK = 1 << 1, /* output may take the bytes of input 0 */
  OPF_FOLDABLE = 1 << 2,   /* may be evaluated at compile time */
  OPF_VIEW = 1 << 3,       /* output is input 0's bytes, reinterpreted */
  OPF_FUSED = 1 << 4,      /* a group of elementwise nodes run as one loop */
  OPF_WIDEN = 1 << 5,      /* float16/bfloat16 inputs computed in float32 between Casts */
  OPF_SEQ = 1 << 6,        /* takes or makes sequences (resolved at compile time) */
  OPF_ANY_OUT = 1 << 7,    /* any output may be absent, the first too */
};

/* Lowering: a node becomes a list of runtime kernel calls. The interpreter
 * executes them; the C backend prints them. */
typedef struct KCall {
  int kernel;                 /* index into ktab */
  Slot params[KC_MAX_SLOTS];  /* the kernel's parameter struct */
  Value *io[KC_MAX_IO];       /* inputs then outputs; NULL when absent */
  int nio;
} KCall;

typedef struct Lowering {
  KCall *calls;
  int ncalls;
  size_t cap;
} Lowering;

typedef void (*InferFn)(Graph *g, Node *n);
typedef void (*LowerFn)(Graph *g, Node *n, Lowering *L);

typedef struct OpInfo {
  const char *name;
  const char *domain;
  int since, until; /* supported opset versions of the domain */
  int min_in, max_in, min_out, max_out;
  unsigned flags;
  InferFn infer; /* output dtypes and shapes; may set data of outputs */
  LowerFn lower; /* lower_none: views, and ops whose infer sets the data */
  const char *aux; /* op-specific: the scalar function of elementwise ops */
} OpInfo;

#define OP(name, dom, since, until, mini, maxi, mino, maxo, flags, infer, lower, aux) OP_##name,
enum {
#include "ops.def"
  OP_COUNT
};
#undef OP
#define OP_UNKNOWN IR_OP_UNRESOLVED

extern const OpInfo optab[OP_COUNT];

/* OP_UNKNOWN if no row has this name and domain ("" and "ai.onnx" are one) */
int op_lookup(const char *domain, const char *name);
/* sets Node.op of every node of g and of its subgraphs (the ir leaves it
 * unresolved); the ops layer's entry points call it on a loaded graph */
void ops_resolve(Graph *g);
/* ir_node_new with Node.op resolved: every node the ops layer and the
 * passes make */
Node *op_node_new(Graph *g, const char *op_type, const char *domain, const char *name,
                  int nin, int nout);

/* Each row's functions, declared from the table */
#define OP(name, dom, since, until, mini, maxi, mino, maxo, flags, infer, lower, aux) \
  void infer(Graph *g, Node *n);                                                       \
  void lower(Graph *g, Node *n, Lowering *L);
#include "ops.def"
#undef OP

/* whether a BatchNormalization normalizes with its batch's statistics
 * (training mode) rather than the running ones; node error if malformed */
int bn_training(const Node *n);

/* dst lists what the sequence or optional src lists (or is empty as src
 * is), in an array of its own (control.c) */
void seq_share(Graph *g, const Value *src, Value *dst);

/* MLC_ACT_* of an activation op that conv/gemm kernels apply on store; -1 if none */
int fused_activation(const char *op_type);

/* appends a call; io and params are zeroed */
KCall *lower_add(Graph *g, Lowering *L, int kernel);
/* a cast call from src to dst (same shape), converting between their
 * element types (the caller may set the params' from/to otherwise) */
KCall *lower_cast(Graph *g, Lowering *L, Value *src, Value *dst);
/* an elementwise call with numpy broadcasting of `ins` (as many as the
 * scalar function takes) to `out`; `fn` names the scalar function
 * (mlc_FN_SFX), its suffix picked from `t`. Node error if the runtime has no
 * such function for t. */
KCall *lower_ew(Graph *g, Node *n, Lowering *L, const char *fn, DType t,
                Value *const *ins, Value *out, double p0, double p1);
/* a compile-time scalar of type t (converted as Cast does) */
Value *lower_scalar(Graph *g, DType t, double x);
/* dst = src, all of it (same element count) */
KCall *lower_copy_all(Graph *g, Lowering *L, Value *src, Value *dst);
/* the output shape of broadcasting a and b (numpy rules); node error if none */
void infer_broadcast(const Node *n, int nvals, Value *const *vals, Value *out);

#endif
