/* The CUDA backend: prints a planned graph as CUDA C++ (model.cu), a plain C
 * header and the weights file, on the same IR, passes and memory plan as
 * the C backend (codegen/c), whose parts it calls. */
#ifndef MLC_EMITCU_H
#define MLC_EMITCU_H

#include <stdio.h>

#include "emitc.h"

/* every step the CUDA runtime has no kernel for, listed at once as node
 * errors (then unwinds); nothing if all run */
void emitcu_check(const Plan *p);
/* writes model.cu, model.h and the weights (always a file: the init entry
 * uploads them); o->tf32 allows TF32 tensor cores */
void emitcu_write(Plan *p, const EmitOptions *o, FILE *cu, FILE *h, FILE *weights);
/* a main() that runs the model on raw input files and writes raw outputs,
 * as emitc_harness's does, through device buffers:
 *   prog WEIGHTS IN0 ... OUT0 ...   (used by mlc test --target=cuda) */
void emitcu_harness(const Plan *p, const EmitOptions *o, FILE *f);

#endif
