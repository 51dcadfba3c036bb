/* The pass pipeline: a flat list, in order. Each entry runs at and above its
 * optimization level; --dump-after=NAME prints the graph after it.
 *
 *   -O0  what correctness needs: fold (what inference could not leave
 *        behind), dce
 *   -O1  plus the rewrites that only remove work: qdq (QDQ-form quantized
 *        ops into integer ops), noop, cse, bnfold
 *   -O2  plus the rewrites that restructure: transpose sinking, patterns,
 *        BatchNormalizations left as Mul and Add for fusion (bnsplit),
 *        then fusion: Conv/Gemm/MatMul epilogues into their kernels
 *        (epilogue), a depthwise conv and the 1x1 conv after it into one
 *        computed by bands (dwpw), and elementwise groups into single
 *        loops (fuse)
 *
 * qdq runs first: folding would turn the dequantized weights it reads into
 * float constants. noop runs before cse so that nodes reading through an
 * Identity compare equal; transposes are sunk after BatchNormalization is
 * folded (a Conv no longer sits between a Transpose and its inverse);
 * patterns match what is left; dce runs last and sweeps whatever the
 * others orphaned.
 *
 * The IR is checked after every pass when PassOptions.check is set (mlc
 * test sets it), when MLC_CHECK_IR=1 is in the environment, and in debug
 * builds (MLC_DEBUG, or a build without NDEBUG). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "infer.h"
#include "passes.h"
#include "txt.h"

static size_t fold_cap;
static void fold(Graph *g) { pass_fold(g, fold_cap); }

static const struct {
  const char *name;
  void (*run)(Graph *g);
  int min_level;
} pipeline[] = {
    /* clang-format off */
    {"qdq", pass_qdq, 1},
    {"fold", fold, 0},
    {"noop", pass_noop, 1},
    {"cse", pass_cse, 1},
    {"bnfold", pass_bnfold, 1},
    {"transpose", pass_transpose, 2},
    {"patterns", pass_patterns, 2},
    {"bnsplit", pass_bnsplit, 2},
    {"epilogue", pass_epilogue, 2},
    {"dwpw", pass_dwpw, 2},
    {"fuse", pass_fuse, 2},
    {"dce", pass_dce, 0},
    /* clang-format on */
};

static int check_wanted(const PassOptions *o) {
#if defined(MLC_DEBUG) || !defined(NDEBUG)
  (void)o;
  return 1;
#else
  const char *env = getenv("MLC_CHECK_IR");
  return o->check || (env && !strcmp(env, "1"));
#endif
}

#define NPASSES (sizeof pipeline / sizeof *pipeline)

/* a --dump-after name must name a pass that runs at this level */
static void check_dump_after(const PassOptions *o) {
  char names[256] = "";
  for (size_t i = 0; i < NPASSES; i++) {
    if (!strcmp(o->dump_after, pipeline[i].name)) {
      if (o->opt_level < pipeline[i].min_level)
        diag_fatal("--dump-after=%s: that pass runs at -O%d and above, not at -O%d", o->dump_after,
                   pipeline[i].min_level, o->opt_level);
      return;
    }
    strncat(names, i ? ", " : "", sizeof names - strlen(names) - 1);
    strncat(names, pipeline[i].name, sizeof names - strlen(names) - 1);
  }
  diag_fatal("--dump-after=%s: no such pass (passes: %s)", o->dump_after, names);
}

void passes_run(Graph *g, const PassOptions *o) {
  int check = check_wanted(o);
  if (o->dump_after) check_dump_after(o);
  fold_cap = o->fold_max_bytes ? o->fold_max_bytes : INFER_FOLD_MAX_BYTES;
  if (check) ir_check(g);
  for (size_t i = 0; i < NPASSES; i++) {
    if (o->opt_level < pipeline[i].min_level) continue;
    pipeline[i].run(g);
    if (check) ir_check(g);
    if (o->dump_after && !strcmp(o->dump_after, pipeline[i].name)) txt_write(stdout, g);
  }
}
