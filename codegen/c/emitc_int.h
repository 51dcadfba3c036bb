/* The C backend's own shared parts (emitc.c, emitc_names.c,
 * emitc_weights.c, emitc_header.c); emitc.h is its interface. */
#ifndef MLC_EMITC_INT_H
#define MLC_EMITC_INT_H

#include "emitc.h"

typedef struct Emit {
  Plan *p;
  const EmitOptions *o;
  Arena *a;
  FILE *f;
  int weights_file;
  const char *weights_base; /* the expression of the weights' first byte */
  int64_t *const_off;       /* by const index: offset in the weights blob */
} Emit;

/* names, comments, strings (emitc_names.c) */
void emitc_put_comment(FILE *f, const char *s);
/* the first line of every generated file, which names the mlc that wrote
 * it and the model, up to the quote after the model's name; then tail (the
 * rest of the comment, or of its first line) */
void emitc_put_banner(Emit *e, FILE *f, const char *tail);
void emitc_put_cstring(FILE *f, const char *s);
const char *emitc_macro_prefix(Arena *a, const char *prefix);

/* values (emitc.c) */
const char *emitc_ctype(const Value *v);
const char *emitc_const_name(Emit *e, const Value *v);
void emitc_put_shape(FILE *f, const Value *v);
/* a C expression for the first byte of v, as `T *` (const for read-only):
 * an input or output parameter, a constant, or an arena offset from A */
const char *emitc_ptr(Emit *e, Value *v);
/* whether x and y can share no byte: weights and constants are never
 * stored to; arena values are apart where their ranges do not meet; a
 * caller's buffer is not in the arena, but may be another of the caller's
 * buffers (nothing forbids passing one twice) */
int emitc_apart(Value *x, Value *y);
/* a call's parameter struct, `static const T p = {...};` */
void emitc_put_params(Emit *e, const KCall *c);
/* a kernel call's arguments as locals: that struct p, then `void *io[N]` */
void emitc_put_call_args(Emit *e, const KCall *c);

/* Elementwise loops (emitc.c): a run of elementwise calls over one output
 * shape (one call, or a fused group) as one loop nest over merged dims
 * i0..i{r-1}; each call's result is a local of the body and only the last
 * is stored, to y; operands from outside the run are the arrays x0...,
 * read through their strides, or, where `scalar`, locals of one element. */
typedef struct EwOperand {
  Value *v;
  int64_t st[MLC_RT_MAX_RANK]; /* strides after merging */
  const int64_t *raw;          /* strides per output dim */
  int scalar;                  /* one element, read into a local */
} EwOperand;
typedef struct EwLoop {
  EwOperand *ops;
  int nops;
  int (*ref)[3]; /* by call and input: operand index, or -1-c for call c's local */
  int64_t dims[MLC_RT_MAX_RANK], ystr[MLC_RT_MAX_RANK];
  int r;      /* merged dims */
  Value *out; /* what y stores */
  int apart;  /* no operand overlaps y but at the very element stored */
} EwLoop;
void emitc_ew_loop(Emit *e, const KCall *calls, int ncalls, EwLoop *l);
/* how a step is cut: a fused group is one elementwise loop over all its
 * calls; any other step is a loop per elementwise call, a kernel call per
 * other call */
int emitc_step_fused(const Step *st);
/* the statements of the body, at indent ind */
void emitc_put_ew_body(FILE *f, const KCall *calls, int ncalls, const EwLoop *l, int ind);

/* constants (emitc_weights.c). The weights blob: a 64-byte header (magic,
 * size, the model's fingerprint), then each constant at a 64-byte aligned
 * offset; emitc_write_weights returns the fingerprint. */
#define EMITC_WEIGHTS_MAGIC "MLCWEIGHTS1"
void emitc_put_double(FILE *f, double x, int is_float);
/* the constants that follow the run-time dims (Value.dim_valued), as
 * arrays at the top of the run function */
void emitc_dim_valued_consts(Emit *e);
void emitc_inline_consts(Emit *e);
uint64_t emitc_write_weights(Emit *e, FILE *w);
/* statements that return PREFIX_ERR_WEIGHTS unless `bytes` (`size` of
 * them) are the weights file with this fingerprint; they leave the bytes
 * in `const unsigned char *b` */
void emitc_put_weights_check(Emit *e, uint64_t fingerprint);

/* the target's checks (emitc_target.c): after the includes, the #error
 * for flags of another ISA; in the run, the reference that links only with
 * a runtime of the target's ISA. Nothing for generic code. */
void emitc_target_guard(Emit *e);
void emitc_target_link_check(Emit *e);

/* the profile (emitc_profile.c), each a no-op without --profile: what it
 * needs before the includes; its tables, counters and entry points; in the
 * run, the clock's start, the end of each step and the end of the run; its
 * declarations in the header */
void emitc_profile_prelude(Emit *e);
void emitc_profile_code(Emit *e);
void emitc_profile_start(Emit *e);
void emitc_profile_step(Emit *e, int step);
void emitc_profile_end(Emit *e);
void emitc_profile_header(Emit *e, FILE *h);

/* the test harness's `static void *slurp(path, bytes)`: a file's bytes,
 * exactly that many, or exit(2) (emitc.c) */
void emitc_put_slurp(FILE *f);

/* the header and the signatures (emitc_header.c) */
void emitc_put_signature(Emit *e, FILE *f, int with_arena);
/* the entry points' tensor parameters, `const float *in_x, float *out_y`,
 * and the same names as arguments; `first`: nothing comes before them */
void emitc_put_io_params(Emit *e, FILE *f, int first);
void emitc_put_io_args(Emit *e, FILE *f, int first);
/* the run-time dims (the entry points' first parameters): "int64_t dim_a,
 * int64_t dim_b" typed, else "dim_a, dim_b"; then ", " if `more` follows */
void emitc_put_dims(const EmitOptions *o, FILE *f, int typed, int more);
/* the macros of the inputs' or outputs' names, ranks, dims and counts
 * (kind "INPUT" or "OUTPUT") */
void emitc_put_io_macros(Emit *e, FILE *h, const char *kind, Value *const *vals, int n);
int64_t emitc_region_offset(const Plan *p);
int emitc_uses_strings(const Plan *p);
void emitc_header(Emit *e, FILE *h);

#endif
