/* The C backend: prints a planned graph as C99 source and header (and a
 * weights file for large models). */
#ifndef MLC_EMITC_H
#define MLC_EMITC_H

#include <stdio.h>

#include "plan.h"

/* a dimension the generated code takes at run time (mlc compile --dim
 * NAME=LO..HI): a parameter `int64_t cname` of both entry points */
typedef struct EmitDim {
  const char *name;  /* as the model names it */
  const char *cname; /* the parameter: dim_ and the mangled name */
  int64_t lo, hi;
} EmitDim;

typedef struct EmitOptions {
  const char *prefix;       /* C symbol prefix (--name) */
  const char *header_name;  /* file name the source #includes */
  const char *weights_name; /* weights file name, or NULL for inline weights */
  const char *source_name;  /* the model file, for the banner */
  int profile;              /* time every step (--profile: emitc_profile.c) */
  int tf32;                 /* CUDA: TF32 tensor cores allowed (--precision=tf32) */
  const EmitDim *dims;      /* run-time dims, in the order of the parameters */
  int ndims;
} EmitOptions;

/* Weights are written to a separate file above this many bytes (--weights=auto) */
#define EMITC_INLINE_MAX_BYTES ((size_t)2 << 20)

/* writes model.c, model.h and, with o->weights_name, the weights blob */
void emitc_write(Plan *p, const EmitOptions *o, FILE *c, FILE *h, FILE *weights);
/* a main() that runs the model on raw input files and writes raw outputs:
 *   prog [WEIGHTS] IN0 ... OUT0 ...   (used by mlc test) */
void emitc_harness(const Plan *p, const EmitOptions *o, FILE *f);
/* total bytes of the constants the program reads */
size_t emitc_const_bytes(const Plan *p);
/* one-to-one mangling of a model name into a C identifier tail */
const char *emitc_mangle(Arena *a, const char *name);
/* is s a valid C identifier (for --name)? */
int emitc_valid_prefix(const char *s);
/* the name of TargetIsa t as --target spells it; NULL past the last */
const char *emitc_target_name(int t);

#endif
