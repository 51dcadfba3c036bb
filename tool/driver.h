/* The stages every command shares: load -> bind -> infer -> passes -> plan ->
 * emit, and output files that appear whole or not at all. */
#ifndef MLC_DRIVER_H
#define MLC_DRIVER_H

#include <stdio.h>

#include "emitc.h"
#include "infer.h"
#include "ir.h"
#include "passes.h"
#include "plan.h"
#include "tensor_io.h"

enum { WEIGHTS_AUTO, WEIGHTS_INLINE, WEIGHTS_FILE };

/* mlc compile --dim NAME=LO..HI: a dim the code takes at run time */
typedef struct DimRange {
  const char *name;
  int64_t lo, hi;
} DimRange;

typedef struct CompileOptions {
  Bindings bind;
  PassOptions passes;
  const char *prefix; /* --name */
  int weights;        /* WEIGHTS_* */
  TargetIsa target;   /* --target */
  int profile;        /* --profile */
  int tf32;           /* --precision=tf32 (CUDA) */
  DimRange *ranges;   /* run-time dims (their largest values are in bind too) */
  int nranges;
} CompileOptions;

/* load, bind, infer: a graph with static shapes */
Graph *driver_prepare(Arena *a, const char *path, const Bindings *b);
/* passes and memory plan, for the instruction set g->target (set it
 * first: what the passes and the lowering make may follow it) */
Plan *driver_plan(Graph *g, const PassOptions *o);
/* the target --target names: one of emitc_target_name's, or "native" for
 * the widest this machine runs; any other name is an error */
TargetIsa driver_target(const char *name);
/* writes OUT.c, OUT.h next to it, and OUT.weights when weights go to a file;
 * returns whether weights went to a file */
int driver_emit(Plan *p, const CompileOptions *o, const char *c_path);
/* what driver_emit gives the C backend; *to_file: the weights go to a file */
EmitOptions driver_emit_options(Plan *p, const CompileOptions *o, const char *c_path, int *to_file);

/* --dim SYM=N binds a dim; SYM=LO..HI makes it a range the code takes at
 * run time (co->ranges), bound to HI for everything that needs one value */
void driver_push_dim(Arena *a, CompileOptions *co, const char *spec);
/* the command line's value of --flag at argv[*i]: "--flag=VALUE", or
 * "--flag VALUE" (then *i moves past it); NULL if argv[*i] is another word */
const char *driver_flag_value(int argc, char **argv, int *i, const char *flag);

/* "a/b/model.c" -> "a/b/model" + ext */
char *path_with_ext(Arena *a, const char *path, const char *ext);
const char *path_base(const char *path);

#endif
