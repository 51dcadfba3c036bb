/* The optional thread pool (runtime built with -DMLC_RT_THREADS, linked
 * with -pthread): see parallel.h for what kernels get from it.
 *
 * mlc_rt_set_threads(n) starts n - 1 workers, each with its scratch; they
 * sleep on a condition variable between jobs. A job is one fork-join of n
 * parts: the caller publishes (fn, arg) under a new job number, wakes the
 * workers, and then it and the workers claim the parts one at a time until
 * none is left; the caller returns once every part is done. Parts are
 * claimed, not dealt: a worker that the system has not run yet (its core
 * busy with another program) takes none, and the caller does its part too.
 * Dealt, every job waited for that worker: with one of two cores kept busy
 * by another program, SqueezeNet at 2 threads took 15.3 ms a run, against
 * 7.5 claimed (6.2 at one thread). More parts than threads, for a worker
 * stopped midway to hold up less, made the idle runs 1.1x slower and the
 * busy ones no faster. One job runs
 * at a time: a caller that finds the pool busy (another thread running a
 * model) is told to work alone rather than wait, so two models running at
 * once stay correct. Waking a sleeping worker through the kernel's futex
 * costs some microseconds, and a model's kernels come one after another:
 * so a worker that finished a job, and a caller waiting for its workers,
 * first spin a while on the job counters (about a tenth of a millisecond)
 * before they sleep, and consecutive jobs pass without a system call.
 * Kernels still split only work far bigger than a wake-up.
 *
 * This is the runtime's only mutable static state, and it exists only in
 * builds that ask for it; without MLC_RT_THREADS, mlc_rt_set_threads() is a
 * stub returning 1 and nothing here needs pthreads. */
#ifdef MLC_RT_THREADS
#define _POSIX_C_SOURCE 200112L
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#endif

#include "parallel.h"

/* The runtime's instruction set as a symbol (mlc_rt_core.h): here, in the
 * runtime's own file, which every build compiles. */
const int MLC_RT_ISA_SYMBOL = MLC_RT_ISA;

#ifdef MLC_RT_THREADS

#define MAX_THREADS 64

typedef struct Worker {
  pthread_t tid;
  unsigned long seen; /* the last job number this worker took */
  float *scratch;
} Worker;

static pthread_mutex_t busy = PTHREAD_MUTEX_INITIALIZER; /* held by the caller of a job */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER; /* guards what follows */
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER, done = PTHREAD_COND_INITIALIZER;
static Worker workers[MAX_THREADS];
static int nthreads = 1; /* the caller and its workers */
static mlc_rt_part job_fn;
static void *job_arg;
static int job_parts;
static unsigned long job; /* job number, bumped per job */
static int parts_done;    /* of the current job */
static int quit;
/* the current job's number (its low 32 bits) above its next unclaimed
 * part */
static uint64_t ticket;

/* job, parts_done and quit are also read outside the lock, while
 * spinning, and parts are claimed without it: with the compiler's atomics
 * where it has them (gcc, clang), else under the lock and without
 * spinning at all */
#if defined(__GNUC__)
#define LOAD(x) __atomic_load_n(&(x), __ATOMIC_ACQUIRE)
#define STORE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELEASE)
#define PEEK(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)
#define POKE(x, v) __atomic_store_n(&(x), (v), __ATOMIC_RELAXED)
#define INC(x) __atomic_add_fetch(&(x), 1, __ATOMIC_ACQ_REL)
#define SPINS 4096
#if defined(__x86_64__) || defined(__i386__)
#define RELAX() __builtin_ia32_pause()
#elif defined(__aarch64__)
#define RELAX() __asm__ __volatile__("yield")
#else
#define RELAX() ((void)0)
#endif
#else
#define LOAD(x) (x)
#define STORE(x, v) ((x) = (v))
#define POKE(x, v) ((x) = (v))
#define SPINS 0
#define RELAX() ((void)0)
#endif

/* The next part of job j, with the job's function, argument and part
 * count: its number, or -1 when j has none left (or is over). A claim
 * that finds another job in the ticket takes nothing, so a worker that
 * wakes late never runs a part of a later job with the function of an
 * earlier one; and while j has a part unclaimed it cannot end, so what
 * was read after seeing j in the ticket is still j's when the claim
 * succeeds. */
static int claim(unsigned long j, mlc_rt_part *fn, void **a, int *np) {
#if defined(__GNUC__)
  uint64_t tk = LOAD(ticket);
  for (;;) {
    if (tk >> 32 != (uint32_t)j) return -1;
    *fn = PEEK(job_fn), *a = PEEK(job_arg), *np = PEEK(job_parts);
    if ((uint32_t)tk >= (uint32_t)*np) return -1;
    if (__atomic_compare_exchange_n(&ticket, &tk, tk + 1, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
      return (int)(uint32_t)tk;
  }
#else
  pthread_mutex_lock(&lock);
  int c = -1;
  if (ticket >> 32 == (uint32_t)j && (uint32_t)ticket < (uint32_t)job_parts)
    c = (int)(uint32_t)ticket++, *fn = job_fn, *a = job_arg, *np = job_parts;
  pthread_mutex_unlock(&lock);
  return c;
#endif
}

/* a part of a job of np done; the last one wakes the caller if it has
 * gone to sleep (under the lock, so the wake-up cannot fall between its
 * check and its wait) */
static void part_done(int np) {
#if defined(__GNUC__)
  if (INC(parts_done) < np) return;
  pthread_mutex_lock(&lock);
#else
  pthread_mutex_lock(&lock);
  if (++parts_done < np) {
    pthread_mutex_unlock(&lock);
    return;
  }
#endif
  pthread_cond_signal(&done);
  pthread_mutex_unlock(&lock);
}

/* the parts of job j this thread claims, with its scratch */
static void run_parts(unsigned long j, float *scratch) {
  mlc_rt_part fn;
  void *a;
  int np, c;
  while ((c = claim(j, &fn, &a, &np)) >= 0) {
    fn(a, c, np, scratch);
    part_done(np);
  }
}

static void *work(void *arg) {
  Worker *w = (Worker *)arg;
  for (;;) {
    for (int s = 0; s < SPINS && LOAD(job) == w->seen && !LOAD(quit); s++) RELAX();
    pthread_mutex_lock(&lock);
    while (w->seen == job && !quit) pthread_cond_wait(&wake, &lock);
    if (quit) break;
    w->seen = job;
    pthread_mutex_unlock(&lock);
    run_parts(w->seen, w->scratch);
  }
  pthread_mutex_unlock(&lock);
  return NULL;
}

/* ends every worker; called with `busy` held */
static void stop_all(void) {
  pthread_mutex_lock(&lock);
  STORE(quit, 1);
  pthread_cond_broadcast(&wake);
  pthread_mutex_unlock(&lock);
  for (int t = 1; t < nthreads; t++) {
    pthread_join(workers[t].tid, NULL);
    free(workers[t].scratch);
  }
  STORE(quit, 0);
  STORE(nthreads, 1);
}

int mlc_rt_set_threads(int n) {
  if (n < 1) n = 1;
  if (n > MAX_THREADS) n = MAX_THREADS;
  pthread_mutex_lock(&busy);
  stop_all();
  /* workers start before nthreads counts them: no job can run meanwhile
   * (busy is held), and a worker that fails to start ends the count */
  int t = 1;
  for (; t < n; t++) {
    Worker *w = &workers[t];
    w->seen = job;
    w->scratch = (float *)malloc(sizeof(float) * MLC_RT_POOL_SCRATCH);
    if (!w->scratch) break;
    if (pthread_create(&w->tid, NULL, work, w)) {
      free(w->scratch);
      break;
    }
  }
  STORE(nthreads, t);
  pthread_mutex_unlock(&busy);
  return nthreads;
}

int mlc_rt_pool_threads(void) { return LOAD(nthreads); }

int mlc_rt_parallel(mlc_rt_part fn, void *arg) {
  if (pthread_mutex_trylock(&busy)) return 0;
  int nt = nthreads;
  if (nt == 1) {
    pthread_mutex_unlock(&busy);
    return 0;
  }
  pthread_mutex_lock(&lock);
  POKE(job_fn, fn);
  POKE(job_arg, arg);
  POKE(job_parts, nt);
  STORE(parts_done, 0);
  STORE(job, job + 1);
  STORE(ticket, (uint64_t)(uint32_t)job << 32);
  pthread_cond_broadcast(&wake);
  pthread_mutex_unlock(&lock);
  run_parts(job, NULL);
  for (int s = 0; s < SPINS && LOAD(parts_done) < nt; s++) RELAX();
  pthread_mutex_lock(&lock);
  while (LOAD(parts_done) < nt) pthread_cond_wait(&done, &lock);
  pthread_mutex_unlock(&lock);
  pthread_mutex_unlock(&busy);
  return 1;
}

#else

int mlc_rt_set_threads(int n) {
  (void)n;
  return 1;
}

#endif
