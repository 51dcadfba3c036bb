/* The product the target examples build for each target (examples/cortex-m,
 * examples/aarch64, examples/wasm) and for the host: it runs the seed MLP and
 * a small CNN on fixed ramps and prints every output. The run.sh of each
 * target compares the target's lines with the host's, so the inputs are
 * computed, never read, and the outputs are printed with %.9g: nine digits
 * name a float exactly, so equal lines mean bit-equal results.
 *
 * Only stdio is used, and only at the end: on a bare-metal board printf goes
 * through semihosting, and return from main ends the emulator's run.
 */
#include <stdio.h>

#include "cnn.h"
#include "mlp.h"

/* static, not on the stack: a microcontroller's stack is small, and the
 * linker's map then counts the buffers in RAM */
static float mlp_x[MLP_INPUT0_COUNT], mlp_y[MLP_OUTPUT0_COUNT];
static float cnn_x[CNN_INPUT0_COUNT], cnn_y[CNN_OUTPUT0_COUNT];

static void print_all(const char *name, const float *y, int n) {
  for (int i = 0; i < n; i++) printf("%s[%d] = %.9g\n", name, i, (double)y[i]);
}

int main(void) {
  /* ramps of exact binary fractions (i / 8, i / 64 - 0.5): every target
   * computes the same input bits */
  for (int i = 0; i < MLP_INPUT0_COUNT; i++) mlp_x[i] = (float)i / 8.0f;
  for (int i = 0; i < CNN_INPUT0_COUNT; i++) cnn_x[i] = (float)i / 64.0f - 0.5f;

  int rc = mlp_run(mlp_x, mlp_y);
  if (rc != MLP_OK) {
    printf("mlp_run failed: %d\n", rc);
    return 1;
  }
  rc = cnn_run(cnn_x, cnn_y);
  if (rc != CNN_OK) {
    printf("cnn_run failed: %d\n", rc);
    return 1;
  }
  print_all("mlp", mlp_y, MLP_OUTPUT0_COUNT);
  print_all("cnn", cnn_y, CNN_OUTPUT0_COUNT);
  printf("arena: mlp %d bytes, cnn %d bytes\n", MLP_ARENA_BYTES, CNN_ARENA_BYTES);
  return 0;
}
