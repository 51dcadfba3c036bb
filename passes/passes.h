/* Graph-to-graph rewrites, one per file, run as the flat list in pipeline.c. */
#ifndef MLC_PASSES_H
#define MLC_PASSES_H

#include "ir.h"

typedef struct PassOptions {
  int opt_level;          /* 0, 1, 2 */
  const char *dump_after; /* pass name, or NULL */
  int check;              /* ir_check between passes */
} PassOptions;

void pass_fold(Graph *g); /* drops nodes whose outputs are all known */
void pass_dce(Graph *g);  /* drops nodes no graph output depends on */

void passes_run(Graph *g, const PassOptions *o);

#endif
