/* Helpers shared by the resize and image ops (op_image.c, op_image2.c):
 * attribute lists, constant float inputs, and running a float32 kernel on
 * tensors of other float types through the runtime's cast. */
#ifndef MLC_OP_IMAGE_H
#define MLC_OP_IMAGE_H

#include "ops.h"

/* window attributes beyond this are certainly mistakes, and keeping them
 * small keeps every product of them far from overflow */
#define IMAGE_MAX_WINDOW ((int64_t)1 << 31)

/* An int-list attribute of `count` entries, each in [lo, IMAGE_MAX_WINDOW),
 * or def for every entry when absent. Node error otherwise. */
void image_ints_attr(const Node *n, const char *name, int count, int64_t lo, int64_t def,
                     int64_t *out);

/* the entries of constant input `input` (any float or integer type) as
 * doubles: their count, or -1 when absent; needs the value at compile time */
int image_const_floats(const Node *n, int input, double *out, int max);

/* the index of s among names (count of them; NULL entries never match),
 * or node error about an unknown `what` */
int image_pick(const Node *n, const char *what, const char *s, const char *const *names,
               int count);

/* node error unless v (if present) is float16, bfloat16, float or double */
void image_require_float(const Node *n, const Value *v, const char *what);

/* A call of float32 kernel `kernel` for node n: io[0..nin) are n's first
 * nin inputs (NULL where absent), cast to float32 by calls placed before it
 * unless their bit is set in `keep`; io[nin] is *y, n's first output or a
 * float32 temporary that image_finish casts into it after the call. The
 * caller fills the parameters and any further io slots (and nio). */
KCall *image_call(Graph *g, Lowering *L, const Node *n, int kernel, int nin, unsigned keep,
                  Value **y);
void image_finish(Graph *g, Lowering *L, Value *y, Value *out);

/* a float32 temporary of `floats` elements (a kernel's scratch); NULL if 0 */
Value *image_scratch(Graph *g, int64_t floats);

#endif
