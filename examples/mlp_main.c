/* A product's view of a compiled model: include the generated header, call
 * the entry point, read the output. Build:
 *   mlc compile models/mlp.onnxtxt --dim batch=1 --name mlp -o out/mlp.c
 *   cc -std=c99 -O2 -Iout -Iruntime out/mlp.c examples/mlp_main.c build/libmlc_rt.a -lm
 */
#include <stdio.h>

#include "mlp.h"

int main(void) {
  float x[MLP_INPUT0_COUNT], y[MLP_OUTPUT0_COUNT];
  for (int i = 0; i < MLP_INPUT0_COUNT; i++) x[i] = (float)i / 10.0f;
  int rc = mlp_run(x, y);
  if (rc != MLP_OK) {
    fprintf(stderr, "mlp_run failed: %d\n", rc);
    return 1;
  }
  printf("mlp(0.0, 0.1, ..., 0.9) = %f\n", y[0]);
  printf("arena: %d bytes\n", MLP_ARENA_BYTES);
  return 0;
}
