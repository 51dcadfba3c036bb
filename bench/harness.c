/* The latency harness of bench/run.py: times single inferences of one
 * model compiled by mlc, driven over a pipe so that run.py can interleave
 * blocks of it with blocks of onnxruntime in the same rounds.
 *
 * It is generic over models: run.py writes bench_model.h next to the
 * generated model.h, defining from the header's macros
 *   BENCH_NIN, BENCH_NOUT               input and output counts
 *   BENCH_IN_BYTES, BENCH_OUT_BYTES     { byte size of each }   (array initializers)
 *   BENCH_RUN(in, out)                  model_run(in[0], ..., out[0], ...)
 *   BENCH_WEIGHTS                       1 if the model reads a weights file
 *   BENCH_PROFILE_TABLE, _TRACE         for a model compiled with --profile
 *                                       only: where its profile goes
 * and builds this file with the flags of the runtime (with or without its
 * thread pool: MLC_RT_THREADS), linked with
 * -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=free so that every
 * allocator call made by the harness, the generated code or the runtime is
 * counted (the libc's own internal calls are not: they do not go through
 * the wrapped symbols).
 *
 * usage: harness WEIGHTS|- IN0... OUT0... WARMUP_RUNS WARMUP_MS THREADS
 *   Asks the runtime for THREADS threads (mlc_rt_set_threads), reads the
 *   inputs (raw bytes), runs once and writes the outputs (raw bytes, for
 *   run.py to compare with onnxruntime), warms up for at least WARMUP_RUNS
 *   runs and WARMUP_MS milliseconds, then prints "ready MEAN_NS THREADS":
 *   the mean time of a warm-up run and the threads the runtime uses.
 *   Then, for each line "N" on stdin (0 or end of input stops), it times N
 *   runs and prints one line "ALLOCS T1 C1 ... TN CN": the allocator calls
 *   made during the block, and each run's time and the CPU time the process
 *   used in it, in nanoseconds (CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID).
 *   On a busy machine the CPU time of a single-threaded run is what its
 *   time would be on an idle core, near enough; the time is the latency.
 * Exit status: 0, 2 for bad usage or files, 3 if the model refuses to run. */
#define _POSIX_C_SOURCE 200112L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_model.h"
#include "mlc_rt.h"

#define MAX_BLOCK 1000

/* ---- allocator calls, counted ------------------------------------------------ */

static long allocs;
void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
void __real_free(void *p);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);
void __wrap_free(void *p);

void *__wrap_malloc(size_t n) {
  allocs++;
  return __real_malloc(n);
}
void *__wrap_calloc(size_t n, size_t size) {
  allocs++;
  return __real_calloc(n, size);
}
void *__wrap_realloc(void *p, size_t n) {
  allocs++;
  return __real_realloc(p, n);
}
void __wrap_free(void *p) {
  allocs++;
  __real_free(p);
}

/* ---- files ---------------------------------------------------------------------- */

static void fail(const char *what, const char *path) {
  fprintf(stderr, "harness: %s: %s\n", path, what);
  exit(2);
}

/* The whole file in a malloc'd block (8-byte aligned, as the weights need);
 * want: the size it must have, or 0 for any. */
static void *slurp(const char *path, size_t want, size_t *size) {
  FILE *f = fopen(path, "rb");
  long n = 0;
  void *b;
  if (!f) fail("cannot open", path);
  if (fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET))
    fail("cannot seek", path);
  if (want && (size_t)n != want) fail("wrong size", path);
  b = malloc(n ? (size_t)n : 1);
  if (!b) fail("out of memory", path);
  if (fread(b, 1, (size_t)n, f) != (size_t)n) fail("short read", path);
  fclose(f);
  if (size) *size = (size_t)n;
  return b;
}

static double clock_ns(clockid_t clock) {
  struct timespec t;
  clock_gettime(clock, &t);
  return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static double now_ns(void) { return clock_ns(CLOCK_MONOTONIC); }

/* ---- main -------------------------------------------------------------------------- */

int main(int argc, char **argv) {
  static const size_t in_bytes[] = BENCH_IN_BYTES, out_bytes[] = BENCH_OUT_BYTES;
  static double times[MAX_BLOCK], cpus[MAX_BLOCK];
  void *in[BENCH_NIN + 1], *out[BENCH_NOUT + 1];
  char **out_paths;
  long warm_runs, warm_ms, n, i;
  int a = 1, k, threads;
  double t0, t1, c0, warm_sum = 0;

  if (argc != 5 + BENCH_NIN + BENCH_NOUT) {
    fprintf(stderr, "usage: %s WEIGHTS|- IN*%d OUT*%d WARMUP_RUNS WARMUP_MS THREADS\n", argv[0],
            BENCH_NIN, BENCH_NOUT);
    return 2;
  }
#if BENCH_WEIGHTS
  {
    size_t size;
    void *w = slurp(argv[a], 0, &size);
    if (model_load_weights(w, size) != MODEL_OK) fail("not this model's weights", argv[a]);
  }
#endif
  a++;
  for (k = 0; k < BENCH_NIN; k++) in[k] = slurp(argv[a++], in_bytes[k], NULL);
  out_paths = argv + a;
  for (k = 0; k < BENCH_NOUT; k++, a++)
    if (!(out[k] = calloc(out_bytes[k] ? out_bytes[k] : 1, 1))) fail("out of memory", argv[a]);
  warm_runs = strtol(argv[a++], NULL, 10);
  warm_ms = strtol(argv[a++], NULL, 10);
  threads = mlc_rt_set_threads((int)strtol(argv[a++], NULL, 10));

  if (BENCH_RUN(in, out) != MODEL_OK) {
    fprintf(stderr, "harness: the model refused to run\n");
    return 3;
  }
  for (k = 0; k < BENCH_NOUT; k++) {
    FILE *f = fopen(out_paths[k], "wb");
    if (!f || fwrite(out[k], 1, out_bytes[k], f) != out_bytes[k] || fclose(f))
      fail("cannot write", out_paths[k]);
  }

  t0 = now_ns();
  for (i = 0; i < warm_runs || now_ns() - t0 < (double)warm_ms * 1e6; i++) {
    t1 = now_ns();
    (void)BENCH_RUN(in, out);
    warm_sum += now_ns() - t1;
  }
  printf("ready %.0f %d\n", i ? warm_sum / (double)i : 0.0, threads);
  fflush(stdout);
#ifdef BENCH_PROFILE_TABLE
  model_profile_reset(); /* the timed runs only, not the warm-up */
#endif

  while (scanf("%ld", &n) == 1 && n > 0) {
    long got;
    if (n > MAX_BLOCK) n = MAX_BLOCK;
    allocs = 0;
    for (i = 0; i < n; i++) {
      c0 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
      t0 = now_ns();
      (void)BENCH_RUN(in, out);
      times[i] = now_ns() - t0;
      cpus[i] = clock_ns(CLOCK_PROCESS_CPUTIME_ID) - c0;
    }
    got = allocs;
    printf("%ld", got);
    for (i = 0; i < n; i++) printf(" %.0f %.0f", times[i], cpus[i]);
    printf("\n");
    fflush(stdout);
  }
#ifdef BENCH_PROFILE_TABLE
  if (model_profile_write(BENCH_PROFILE_TABLE, BENCH_PROFILE_TRACE) != MODEL_OK)
    fail("cannot write the profile", BENCH_PROFILE_TABLE);
#endif
  return 0;
}
