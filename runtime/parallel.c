/* The optional thread pool (runtime built with -DMLC_RT_THREADS, linked
 * with -pthread): see parallel.h for what kernels get from it.
 *
 * mlc_rt_set_threads(n) starts n - 1 workers, each with its scratch; they
 * sleep on a condition variable between jobs. A job is one fork-join: the
 * caller publishes (fn, arg) under a new job number, wakes the workers, does
 * part 0 itself and waits until every worker has done its part. One job runs
 * at a time: a caller that finds the pool busy (another thread running a
 * model) is told to work alone rather than wait, so two models running at
 * once stay correct. Workers wake through the kernel's futex, some
 * microseconds per job: kernels split only work far bigger than that.
 *
 * This is the runtime's only mutable static state, and it exists only in
 * builds that ask for it; without MLC_RT_THREADS, mlc_rt_set_threads() is a
 * stub returning 1 and nothing here needs pthreads. */
#ifdef MLC_RT_THREADS
#define _POSIX_C_SOURCE 200112L
#include <pthread.h>
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
  int t;
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
static unsigned long job; /* job number, bumped per job */
static int running;       /* workers still on the current job */
static int quit;

static void *work(void *arg) {
  Worker *w = (Worker *)arg;
  pthread_mutex_lock(&lock);
  for (;;) {
    while (w->seen == job && !quit) pthread_cond_wait(&wake, &lock);
    if (quit) break;
    w->seen = job;
    mlc_rt_part fn = job_fn;
    void *a = job_arg;
    int nt = nthreads;
    pthread_mutex_unlock(&lock);
    fn(a, w->t, nt, w->scratch);
    pthread_mutex_lock(&lock);
    if (--running == 0) pthread_cond_signal(&done);
  }
  pthread_mutex_unlock(&lock);
  return NULL;
}

/* ends every worker; called with `busy` held */
static void stop_all(void) {
  pthread_mutex_lock(&lock);
  quit = 1;
  pthread_cond_broadcast(&wake);
  pthread_mutex_unlock(&lock);
  for (int t = 1; t < nthreads; t++) {
    pthread_join(workers[t].tid, NULL);
    free(workers[t].scratch);
  }
  quit = 0;
  nthreads = 1;
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
    w->t = t;
    w->seen = job;
    w->scratch = (float *)malloc(sizeof(float) * MLC_RT_POOL_SCRATCH);
    if (!w->scratch) break;
    if (pthread_create(&w->tid, NULL, work, w)) {
      free(w->scratch);
      break;
    }
  }
  nthreads = t;
  pthread_mutex_unlock(&busy);
  return nthreads;
}

int mlc_rt_parallel(mlc_rt_part fn, void *arg) {
  if (pthread_mutex_trylock(&busy)) return 0;
  int nt = nthreads;
  if (nt == 1) {
    pthread_mutex_unlock(&busy);
    return 0;
  }
  pthread_mutex_lock(&lock);
  job_fn = fn;
  job_arg = arg;
  running = nt - 1;
  job++;
  pthread_cond_broadcast(&wake);
  pthread_mutex_unlock(&lock);
  fn(arg, 0, nt, NULL);
  pthread_mutex_lock(&lock);
  while (running) pthread_cond_wait(&done, &lock);
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
