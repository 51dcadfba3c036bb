/* The single-core float32 FMA peak of this machine, measured: independent
 * multiply-add chains on the widest vectors the compiler targets (built
 * with the runtime's flags, -march=native in the benchmark), enough of them
 * in flight to hide the FMA latency. bench/run.py divides each model's
 * FLOPs per second by this figure.
 *
 * usage: peak [SECONDS]   prints "GFLOPS <value>" */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#if defined(__AVX512F__)
#define VBYTES 64
#elif defined(__AVX__)
#define VBYTES 32
#else
#define VBYTES 16
#endif
#define LANES (VBYTES / 4)
#define CHAINS 12 /* in flight: FMA latency (4-5 cycles) times its ports (2), and more */

typedef float vf __attribute__((vector_size(VBYTES)));

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* `iters` rounds of CHAINS independent a = a * m + c, each chain a variable
 * of its own so that it stays in a register; returns a checksum so the work
 * cannot be dropped */
static float run(long iters, float seed) {
  vf m, c;
  for (int l = 0; l < LANES; l++) {
    m[l] = 0.999999f;
    c[l] = 1e-7f * seed;
  }
  vf a0 = c, a1 = c + m, a2 = a1 + m, a3 = a2 + m, a4 = a3 + m, a5 = a4 + m;
  vf a6 = a5 + m, a7 = a6 + m, a8 = a7 + m, a9 = a8 + m, a10 = a9 + m, a11 = a10 + m;
  for (long i = 0; i < iters; i++) {
    a0 = a0 * m + c, a1 = a1 * m + c, a2 = a2 * m + c, a3 = a3 * m + c;
    a4 = a4 * m + c, a5 = a5 * m + c, a6 = a6 * m + c, a7 = a7 * m + c;
    a8 = a8 * m + c, a9 = a9 * m + c, a10 = a10 * m + c, a11 = a11 * m + c;
  }
  vf t = a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11;
  float s = 0;
  for (int l = 0; l < LANES; l++) s += t[l];
  return s;
}

int main(int argc, char **argv) {
  double seconds = argc > 1 ? atof(argv[1]) : 0.5, best = 0;
  long iters = 1 << 20;
  float sink = 0;
  /* grow the run until it takes a tenth of the budget, then keep the best of
   * the repeats that fill the budget */
  for (;;) {
    double t0 = now();
    sink += run(iters, sink);
    if (now() - t0 > seconds / 10 || iters > (1L << 40)) break;
    iters *= 2;
  }
  for (double start = now(); now() - start < seconds;) {
    double t0 = now();
    sink += run(iters, sink);
    double gf = 2.0 * LANES * CHAINS * (double)iters / (now() - t0) / 1e9;
    if (gf > best) best = gf;
  }
  printf("GFLOPS %.1f\n", best);
  return sink == 12345.0f; /* never, but the compiler cannot know */
}
