/* `mlc test DIR...`: conformance runner over ONNX backend-test layouts. */
#ifndef MLC_TESTRUN_H
#define MLC_TESTRUN_H

#include "arena.h"

int cmd_test(Arena *a, int argc, char **argv);

#endif
