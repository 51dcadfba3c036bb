/* The pass pipeline: a flat list, in order. Each entry runs at and above its
 * optimization level; --dump-after=NAME prints the graph after it. */
#include <stdio.h>
#include <string.h>

#include "diag.h"
#include "passes.h"
#include "txt.h"

static const struct {
  const char *name;
  void (*run)(Graph *g);
  int min_level;
} pipeline[] = {
    {"fold", pass_fold, 0},
    {"dce", pass_dce, 0},
};

void passes_run(Graph *g, const PassOptions *o) {
  int found = !o->dump_after;
  for (size_t i = 0; i < sizeof pipeline / sizeof *pipeline; i++) {
    if (o->opt_level < pipeline[i].min_level) continue;
    pipeline[i].run(g);
    if (o->check) ir_check(g);
    if (o->dump_after && !strcmp(o->dump_after, pipeline[i].name)) {
      txt_write(stdout, g);
      found = 1;
    }
  }
  if (!found) {
    char names[256] = "";
    for (size_t i = 0; i < sizeof pipeline / sizeof *pipeline; i++) {
      strncat(names, i ? ", " : "", sizeof names - strlen(names) - 1);
      strncat(names, pipeline[i].name, sizeof names - strlen(names) - 1);
    }
    diag_fatal("--dump-after=%s: no such pass (passes: %s)", o->dump_after, names);
  }
}
