/* `mlc test --junit`: the results as JUnit XML. */
#ifndef MLC_JUNIT_H
#define MLC_JUNIT_H

#include <stdio.h>

#include "arena.h"

/* A testsuite with the counts and a testcase per test: named after its
 * folder tests[i], classname the folder that holds it; results[i] is
 * "STATUS\tMESSAGE" as mlc test's children report it. FAIL gives
 * <failure message>, UNSUPPORTED <skipped message>, a PASS with a message
 * (a note) <system-out>. */
void junit_write(Arena *a, FILE *f, char *const *tests, char *const *results, int n, int fail,
                 int skip);

#endif
