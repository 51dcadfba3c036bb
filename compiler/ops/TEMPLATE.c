/* A new op, to copy: inference and lowering of an op whose kernel computes
 * in float or double (docs/adding-an-op.md walks through a real one,
 * Inverse). Copy the two functions into the family's file
 * (compiler/ops/FAMILY.c), rename TEMPLATE to the op's name, add its row to
 * the family's section of ops.def, and replace the kernel below by yours.
 *
 * This file is not part of the build; ctest op_template compiles it, so
 * that it stays in step with the kit (ops.h). */
#include "diag.h"
#include "ops.h"

/* the kernel the op lowers to and its parameter struct and io slots, from
 * runtime/mlc_rt_FAMILY.h (here the linalg family's Inverse, as an example) */
#define TEMPLATE_KERNEL K_inverse
typedef MlcInverse TemplateParams;
enum { TEMPLATE_X = MLC_INVERSE_X, TEMPLATE_Y = MLC_INVERSE_Y, TEMPLATE_NIO = MLC_INVERSE_NIO };

/* Everything the kernel will rely on is checked here, once, for inference
 * and lowering alike: a node error names the node and says what is wrong. */
static void template_check(const Node *n) {
  const Value *x = n->in[0];
  lower_compute_type(n, x->dtype, 1); /* float16, bfloat16, float, double */
  if (x->rank < 1) diag_node_fatal(n, "the input must have rank 1 or more");
}

/* Output types and shapes. If every input is known at compile time, inference
 * then folds the node by running its lowering in the interpreter: there is
 * no second implementation to write. */
void infer_TEMPLATE(Graph *g, Node *n) {
  (void)g;
  template_check(n);
  n->out[0]->dtype = n->in[0]->dtype;
  set_shape_checked(n, n->out[0], n->in[0]->rank, n->in[0]->dims);
}

/* One kernel call: float16 and bfloat16 go through float between casts
 * (lower_as_type before, lower_finish after), the parameters are static
 * shapes and attributes, and the io slots are filled by name. */
void lower_TEMPLATE(Graph *g, Node *n, Lowering *L) {
  template_check(n);
  Value *x = n->in[0];
  DType t = lower_compute_type(n, x->dtype, 1);
  Value *xc = lower_as_type(g, L, x, t), *y = lower_out_as(g, n->out[0], t);
  KCall *c = lower_add(g, L, TEMPLATE_KERNEL);
  TemplateParams *p = KC_PARAMS(c, TemplateParams);
  p->n = x->dims[x->rank - 1];
  p->batch = p->n ? ir_numel(x) / p->n : 0;
  p->dtype = t;
  c->io[TEMPLATE_X] = xc;
  c->io[TEMPLATE_Y] = y;
  c->nio = TEMPLATE_NIO;
  lower_finish(g, L, y, n->out[0]);
}
