/* mlc compile --dim NAME=LO..HI: one build that takes those dims at run
 * time, its arena planned for the largest. */
#ifndef MLC_DIMRANGE_H
#define MLC_DIMRANGE_H

#include "driver.h"

/* Compiles the model at the largest extents and at sample points of the
 * ranges, each one the whole way (binding, inference, folding, passes,
 * lowering, memory plan, C), and checks that the programs differ only in
 * integers. Each integer that varies is replaced by the closed form of the
 * dims that gives it at every sample (dimfit.h); where the programs differ
 * in form (a dim of 1 that a pass or kernel treats apart, say), each form
 * gets a branch of its own for the dims it serves. Writes OUT.c, OUT.h and
 * OUT.weights like driver_emit and returns what it does; *max is the plan
 * at the largest extents. An integer outside the forms, constant data or a
 * memory plan that moves with the dims is an error naming the place. */
int dimrange_compile(Arena *a, const char *model, const CompileOptions *o, const char *c_path,
                     Plan **max);

#endif
