/* A C99 product around a model compiled with --target=cuda: the generated
 * header is plain C. Built (and linked) in CI, run where there is a GPU. */
#include <stdio.h>
#include <stdlib.h>

#include "mlp.h"

int main(int argc, char **argv) {
  static const int64_t dims[] = MODEL_INPUT0_DIMS;
  float x[MODEL_INPUT0_COUNT], y[MODEL_OUTPUT0_COUNT];
  void *dx = NULL, *dy = NULL, *bytes;
  model_state *m = NULL;
  cudaStream_t s;
  long n;
  int i, rc;
  FILE *f = argc == 2 ? fopen(argv[1], "rb") : NULL;
  if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) return 2;
  bytes = malloc((size_t)n);
  if (!bytes || fread(bytes, 1, (size_t)n, f) != (size_t)n) return 2;
  fclose(f);
  if ((rc = model_init(&m, bytes, (size_t)n, NULL, 0)) != MODEL_OK) {
    fprintf(stderr, "init: %d\n", rc);
    return 3;
  }
  free(bytes);
  for (i = 0; i < MODEL_INPUT0_COUNT; i++) x[i] = (float)i / (float)dims[1];
  if (cudaStreamCreate(&s) != cudaSuccess || cudaMalloc(&dx, sizeof x) != cudaSuccess ||
      cudaMalloc(&dy, sizeof y) != cudaSuccess ||
      cudaMemcpyAsync(dx, x, sizeof x, cudaMemcpyHostToDevice, s) != cudaSuccess)
    return 4;
  if ((rc = model_run(m, s, (const float *)dx, (float *)dy)) != MODEL_OK) return 5;
  if (cudaMemcpyAsync(y, dy, sizeof y, cudaMemcpyDeviceToHost, s) != cudaSuccess ||
      cudaStreamSynchronize(s) != cudaSuccess)
    return 6;
  printf("%s = %g\n", MODEL_OUTPUT0_NAME, (double)y[0]);
  model_free(m);
  cudaFree(dx);
  cudaFree(dy);
  cudaStreamDestroy(s);
  return 0;
}
