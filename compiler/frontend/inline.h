#ifndef MLC_INLINE_H
#define MLC_INLINE_H

#include "ir.h"

/* replaces every call of a model-local function by the function's body */
void inline_functions(Graph *g);

#endif
