/* Copying graph pieces into another graph: subgraph bodies inlined by control
 * flow, model-local functions inlined on load. Values of an enclosing graph
 * that a body refers to are shared; everything the body defines is copied.
 * Attributes that refer to the caller's (`ref_attr_name`) are resolved
 * against the calling node. */
#ifndef MLC_CLONE_H
#define MLC_CLONE_H

#include "ir.h"

typedef struct CloneMap {
  Graph *g;           /* arena owner */
  Value **from, **to; /* open-addressed by the source value's address */
  size_t cap, count;
  const Node *caller; /* the function call being inlined, or NULL */
  const Function *fn;
} CloneMap;

void clone_map_init(CloneMap *m, Graph *g, const Node *caller, const Function *fn);
void clone_map_set(CloneMap *m, const Value *from, Value *to);
Value *clone_mapped(const CloneMap *m, Value *v); /* v itself if not mapped */

/* appends copies of body's nodes to dst, its inputs bound to ins (NULL:
 * absent), its initializers copied; body outputs' copies go to outs */
void clone_body(Graph *dst, const Graph *body, CloneMap *m, Value *const *ins, Value **outs,
                const char *prefix);

#endif
