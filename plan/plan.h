/* The program a backend prints: the graph lowered to runtime calls in
 * schedule order, with every intermediate placed at a fixed offset of one
 * arena. */
#ifndef MLC_PLAN_H
#define MLC_PLAN_H

#include "ir.h"
#include "ops.h"

typedef struct Step {
  Node *node; /* the source node (NULL for the output copies at the end) */
  KCall *calls;
  int ncalls;
} Step;

typedef struct Plan {
  Graph *g;
  Step *steps;
  int nsteps;
  int64_t arena_bytes; /* size of the planned arena */
  int64_t lower_bound; /* peak of live bytes at any step */
  Value **consts;      /* compile-time constants the calls read, in order */
  int nconsts;
  Value **arena_vals; /* values placed in the arena, by first use */
  int narena;
  int ninplace; /* outputs written over a dying input */
} Plan;

#define PLAN_ALIGN 64

/* lowers every node and places every intermediate; the graph must be
 * inferred and folded */
Plan *plan_build(Graph *g);
/* the value whose bytes v shares (v itself if it is not a view), and the
 * byte of them where v's start */
Value *plan_root(Value *v);
int64_t plan_view_off(const Value *v);

#endif
