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
  OPF_EW_SOME = 1 << 8,    /* lowers to one scalar function for some inputs (Quantize and
                              DequantizeLinear with one scale): fusion takes it then;
                              transposes never sink through it */
  OPF_MOVES = 1 << 9,      /* output 0's values are its data inputs' (the leading inputs of
                              input 0's type), moved or picked, a maximum included: it
                              commutes with any monotonic elementwise map */
  OPF_JOINS = 1 << 10,     /* output 0 is its inputs side by side: the memory plan may have
                              an input's producer write it there (input_run_offset) */
};

/* Lowering: a node becomes a list of runtime kernel calls. The interpreter
 * executes them; the C backend prints them. */
typedef struct KCall {
  int kernel;                /* index into ktab */
  Slot params[KC_MAX_SLOTS]; /* the kernel's parameter struct */
  Value *io[KC_MAX_IO];      /* inputs then outputs; NULL when absent */
  int nio;
} KCall;

typedef struct Lowering {
  KCall *calls;
  int ncalls;
  size_t cap;
  /* what the calls are planned for: generated code's target (plan.c); the
   * interpreter's lowerings leave it generic, as its runtime is */
  TargetIsa target;
} Lowering;

typedef void (*InferFn)(Graph *g, Node *n);
typedef void (*LowerFn)(Graph *g, Node *n, Lowering *L);

typedef struct OpInfo {
  const char *name;
  const char *domain;
  int since, until; /* supported opset versions of the domain */
  int min_in, max_in, min_out, max_out;
  unsigned flags;
  InferFn infer;   /* output dtypes and shapes; may set data of outputs */
  LowerFn lower;   /* lower_none: views, and ops whose infer sets the data */
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
Node *op_node_new(Graph *g, const char *op_type, const char *domain, const char *name, int nin,
                  int nout);

/* Each row's functions, declared from the table */
#define OP(name, dom, since, until, mini, maxi, mino, maxo, flags, infer, lower, aux) \
  void infer(Graph *g, Node *n);                                                      \
  void lower(Graph *g, Node *n, Lowering *L);
#include "ops.def"
#undef OP

/* whether a BatchNormalization normalizes with its batch's statistics
 * (training mode) rather than the running ones; node error if malformed */
int bn_training(const Node *n);

/* dst lists what the sequence or optional src lists (or is empty as src
 * is), in an array of its own (control.c) */
void seq_share(Graph *g, const Value *src, Value *dst);

/* the parameters p0, p1 of an elementwise op's scalar function (alpha of
 * LeakyRelu, Clip's bounds, ...) as its lowering passes them; 0 if they are
 * known only at run time (Clip with a computed bound) (elementwise.c) */
int ew_params(const Node *n, double *p0, double *p1);

/* MLC_ACT_* of an activation op that conv/gemm kernels apply on store; -1 if none */
int fused_activation(const char *op_type);
/* the same for node n, whose scalar function must also be the kernels' (not
 * Gelu's tanh form) (elementwise.c) */
int ew_activation(const Node *n);

/* appends a call; io and params are zeroed */
KCall *lower_add(Graph *g, Lowering *L, int kernel);
/* a cast call from src to dst (same shape), converting between their
 * element types (the caller may set the params' from/to otherwise) */
KCall *lower_cast(Graph *g, Lowering *L, Value *src, Value *dst);
/* an elementwise call with numpy broadcasting of `ins` (as many as the
 * scalar function takes) to `out`; `fn` names the scalar function
 * (mlc_FN_SFX), its suffix picked from `t`. Node error if the runtime has no
 * such function for t. */
KCall *lower_ew(Graph *g, Node *n, Lowering *L, const char *fn, DType t, Value *const *ins,
                Value *out, double p0, double p1);
/* a compile-time scalar of type t (converted as Cast does) */
Value *lower_scalar(Graph *g, DType t, double x);
/* dst = src, all of it (same element count) */
KCall *lower_copy_all(Graph *g, Lowering *L, Value *src, Value *dst);
/* the output shape of broadcasting a and b (numpy rules); node error if none */
void infer_broadcast(const Node *n, int nvals, Value *const *vals, Value *out);

/* A sliding window over nsp spatial dims (Conv, the pools, ConvTranspose,
 * DeformConv, Col2Im): sizes in and out, kernel, strides, dilations, pads
 * at the beginning and at the end */
typedef struct Window {
  int nsp; /* spatial dims */
  int64_t in[MLC_RT_MAX_SP], k[MLC_RT_MAX_SP], stride[MLC_RT_MAX_SP];
  int64_t dil[MLC_RT_MAX_SP], pb[MLC_RT_MAX_SP], pe[MLC_RT_MAX_SP];
  int64_t out[MLC_RT_MAX_SP];
} Window;

/* a window into the fields of a kernel's parameter struct that name them
 * alike (MlcConv, MlcPool, MlcDeformConv) */
#define WINDOW_PARAMS(p, w)                 \
  do {                                      \
    (p)->nsp = (w)->nsp;                    \
    for (int i_ = 0; i_ < (w)->nsp; i_++) { \
      (p)->in_sp[i_] = (w)->in[i_];         \
      (p)->out_sp[i_] = (w)->out[i_];       \
      (p)->k[i_] = (w)->k[i_];              \
      (p)->stride[i_] = (w)->stride[i_];    \
      (p)->dil[i_] = (w)->dil[i_];          \
      (p)->pad_begin[i_] = (w)->pb[i_];     \
    }                                       \
  } while (0)

/* ---- the lowering kit: what the op files share -----------------------------
 * One set of helpers for every family; defined in ops.c unless a section
 * names the family file that defines it. */

/* a temporary of type t and shape dims, for the memory planner to place */
Value *lower_temp(Graph *g, DType t, int rank, const int64_t *dims);
/* a float32 scratch of `floats` elements for a kernel; NULL if 0 */
Value *lower_scratch(Graph *g, int64_t floats);
/* Gemm's (and QGemm's) m, n and k from A and B under the node's transA and
 * transB, both checked to be matrices of a common inner dimension (nn.c) */
void gemm_dims(Graph *g, const Node *n, const Value *a, const Value *b, int64_t *m, int64_t *nn,
               int64_t *k);
/* The target's GEMM micro-tile for a product of m rows: its height (of the
 * kernel's two, mlc_rt_gemm_height) and width; 0 by 0 for generic code,
 * whose weights stay as the model has them (nn.c) */
void lower_gemm_tile(TargetIsa t, int64_t m, int64_t *mr, int64_t *nr);
/* the constant float matrix v, `groups` rows x cols matrices one after
 * another read through strides rs and cs, packed in strips of `side` rows
 * for a kernel to read as they are (mlc_rt_pack_strips), as a new
 * constant (nn.c) */
Value *lower_packed(Graph *g, const Value *v, int64_t groups, int64_t rows, int64_t cols,
                    int64_t rs, int64_t cs, int64_t side);
/* optional input i of n, or NULL when absent */
static inline Value *op_input(const Node *n, int i) { return i < n->nin ? n->in[i] : NULL; }
/* product of dims[from..to) */
int64_t dims_prod(const int64_t *dims, int from, int to);

/* Kernels take few element types; other types go through a kernel's type
 * between casts. The type a computing kernel (scatter reductions,
 * cumulative, topk, einsum, det, ...) runs n's values of type t in: t
 * itself, float for float16 and bfloat16; node error if the kernels do not
 * take t. `floats_only`: only float and double (and the halves). */
DType lower_compute_type(const Node *n, DType t, int floats_only);
/* whether the runtime's cast kernel converts t (numbers, bool, float8) */
int dtype_castable(DType t);
/* v as type t: v itself, a converted copy if v is a constant, or a temporary
 * that a cast call fills; NULL for NULL */
Value *lower_as_type(Graph *g, Lowering *L, Value *v, DType t);
/* where a kernel computing in type t writes out: out itself if it has type
 * t, else a temporary that lower_finish then casts into out; NULL for NULL */
Value *lower_out_as(Graph *g, Value *out, DType t);
void lower_finish(Graph *g, Lowering *L, Value *res, Value *out);
/* node error unless v (if given) is float, double, float16 or bfloat16 */
void require_float(const Node *n, const Value *v, const char *what);

/* ---- arguments, shapes, copies and fills (shape.c) ---- */
/* axis in [-rank, rank-1], made non-negative; node error otherwise */
int norm_axis(const Node *n, int64_t axis, int rank);

/* The entries of input `input`, a constant int32/int64 scalar or 1-D tensor:
 * their count, or -1 when the optional input is absent. Node error if it is
 * computed at run time, not an integer tensor, or has more than max entries. */
int read_const_ints(const Node *n, int input, int64_t *out, int max);

/* an int list that is attribute `attr` before opset `since` and input `input`
 * from then on (axes, starts, ...): as read_const_ints */
int read_ints_arg(const Node *n, const char *attr, int since, int input, int64_t *out, int max);

/* ir_set_shape after checking the rank, that no dim is negative and that the
 * element count stays within the driver's limit */
void set_shape_checked(const Node *n, Value *v, int rank, const int64_t *dims);

/* row-major element strides of v */
void row_strides(const Value *v, int64_t *strides);

/* copy kernel calls for dst[doff + sum_d i_d * ds[d]] = src[soff + sum_d i_d *
 * ss[d]] over dims (rank up to 2 * IR_MAX_RANK; strides in elements). Unit
 * dims are dropped and dims contiguous in both tensors merged, so the
 * innermost run is as long as possible; an empty region emits nothing. */
void lower_strided_copy(Graph *g, const Node *n, Lowering *L, Value *src, Value *dst, int rank,
                        const int64_t *dims, const int64_t *ss, const int64_t *ds, int64_t soff,
                        int64_t doff);

/* where input i of an OPF_JOINS node n lies in its output 0: the byte
 * offset of its run when it is one run of the output's bytes (Concat: the
 * output's dims before the axis are all 1), else -1 */
int64_t input_run_offset(const Node *n, int i);

/* fill all of dst with one value, given as its bit pattern (scalar_bits) */
void lower_fill(Graph *g, Lowering *L, Value *dst, int64_t bits);

/* Identity of a tensor (the Identity row takes sequences too) */
void infer_Identity(Graph *g, Node *n);

/* the bit pattern of x converted to element type t (the runtime's cast
 * rules: round to nearest even, saturating float -> integer) */
int64_t scalar_bits(double x, DType t);

/* ---- image attributes and float32 image kernels (image.c) ---- */
/* window attributes beyond this are certainly mistakes, and keeping them
 * small keeps every product of them far from overflow */
#define OPS_MAX_WINDOW ((int64_t)1 << 31)

/* An int-list attribute of `count` entries, each in [lo, OPS_MAX_WINDOW),
 * or def for every entry when absent. Node error otherwise. */
void image_ints_attr(const Node *n, const char *name, int count, int64_t lo, int64_t def,
                     int64_t *out);

/* the entries of constant input `input` (any float or integer type) as
 * doubles: their count, or -1 when absent; needs the value at compile time */
int image_const_floats(const Node *n, int input, double *out, int max);

/* the index of s among names (count of them; NULL entries never match),
 * or node error about an unknown `what` */
int image_pick(const Node *n, const char *what, const char *s, const char *const *names, int count);

/* node error unless v (if present) is float16, bfloat16, float or double */
void image_require_float(const Node *n, const Value *v, const char *what);

/* A call of float32 kernel `kernel` for node n: io[0..nin) are n's first
 * nin inputs (NULL where absent), cast to float32 by calls placed before it
 * unless their bit is set in `keep`; io[nin] is *y, n's first output or a
 * float32 temporary that image_finish casts into it after the call. The
 * caller fills the parameters and any further io slots (and nio). */
KCall *image_call(Graph *g, Lowering *L, const Node *n, int kernel, int nin, unsigned keep,
                  Value **y);
void image_finish(Graph *g, Lowering *L, Value *y, Value *out);

/* a float32 temporary of `floats` elements (a kernel's scratch); NULL if 0 */
Value *image_scratch(Graph *g, int64_t floats);

/* ---- ai.onnx.ml (ml.c) ---- */
/* Node error unless x is float, double, int64 or int32 (the domain's
 * numeric inputs); strings get their own message */
void ml_check_input(const Node *n, const Value *x);

/* X as [rows, features]: rank 2, or rank 1 for one row (rank1_row) or one
 * column */
void ml_rows(const Node *n, const Value *x, int rank1_row, int64_t *rows, int64_t *features);

/* a 1-D constant of type t holding count values of type from at src,
 * converted as Cast does */
Value *ml_const(Graph *g, DType t, int64_t count, DType from, const void *src);

/* MLC_ML_* of a post_transform name (NONE, SOFTMAX, LOGISTIC,
 * SOFTMAX_ZERO, PROBIT); node error otherwise */
int ml_post_kind(const Node *n, const char *name);

/* a list attribute of numbers as doubles: `floats` (FLOATS), or `tensor`
 * (a TENSOR attribute of any float or integer type) when the node has it;
 * the count, -1 when neither is present */
int64_t ml_numbers(Graph *g, const Node *n, const char *floats, const char *tensor, double **out);

/* Node error unless the node's string-valued attribute `name` is absent:
 * the classifiers and the other ml ops that use it make numbers only */
void ml_no_strings(const Node *n, const char *name);

#endif
