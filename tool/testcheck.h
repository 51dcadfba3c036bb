/* `mlc test`: comparing a test's outputs (testcheck.c). */
#ifndef MLC_TESTCHECK_H
#define MLC_TESTCHECK_H

#include "ir.h"
#include "tensor_io.h"

/* the test's values, one per graph input and output as the model declares
 * them (tensors, sequences, optionals) */
typedef struct DataSet {
  DataValue **in, **out;
  int nin, nout;
} DataSet;

/* per output of g, a mask of its elements that the spec leaves undefined
 * for inputs `in` (NULL where none); *nskip adds how many */
unsigned char **test_undefined_elements(Arena *a, const Graph *g, Tensor *const *in,
                                        int64_t *nskip);
/* 0 if every output in `got` matches the set's within atol + rtol |expected|
 * (skipping masked elements); else 1 and the worst mismatch in msg.
 * *max_abs: the largest absolute error seen */
int test_check_outputs(Arena *a, const Graph *g, Tensor **got, const DataSet *ds,
                       unsigned char *const *skip, double rtol, double atol, double *max_abs,
                       char *msg, size_t len);

#endif
