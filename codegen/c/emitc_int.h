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
  int64_t *const_off; /* by const index: offset in the weights blob */
} Emit;

/* names, comments, strings (emitc_names.c) */
void emitc_put_comment(FILE *f, const char *s);
void emitc_put_cstring(FILE *f, const char *s);
const char *emitc_macro_prefix(Arena *a, const char *prefix);

/* values (emitc.c) */
const char *emitc_ctype(const Value *v);
const char *emitc_const_name(Emit *e, const Value *v);
void emitc_put_shape(FILE *f, const Value *v);

/* constants (emitc_weights.c). The weights blob: a 64-byte header (magic,
 * size, the model's fingerprint), then each constant at a 64-byte aligned
 * offset; emitc_write_weights returns the fingerprint. */
#define EMITC_WEIGHTS_MAGIC "MLCWEIGHTS1"
void emitc_put_double(FILE *f, double x, int is_float);
void emitc_inline_consts(Emit *e);
uint64_t emitc_write_weights(Emit *e, FILE *w);

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

/* the header and the signatures (emitc_header.c) */
void emitc_put_signature(Emit *e, FILE *f, int with_arena);
int64_t emitc_region_offset(const Plan *p);
int emitc_uses_strings(const Plan *p);
void emitc_header(Emit *e, FILE *h);

#endif
