/* The product of examples/cmake-app: the model's library (mlc_add_model)
 * gives the header mlp.h and links the runtime. It prints what
 * examples/mlp_main.c prints for the same inputs. */
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
