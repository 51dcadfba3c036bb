/* The runtime's optional thread pool, as its kernels see it (private to
 * runtime/; the public part is mlc_rt_set_threads() in mlc_rt.h).
 *
 * mlc_rt_parallel(fn, arg) runs fn(arg, t, nt, scratch) for t = 0..nt-1 (nt
 * the pool's threads), each part on whichever thread claims it first: the
 * calling thread (scratch NULL: the kernel's own io scratch, so any part
 * must fit in it) or one of the pool's workers, each with its own scratch of
 * MLC_RT_POOL_SCRATCH floats (allocated by mlc_rt_set_threads(), never during
 * inference); it returns 1 when all are done. It returns 0 without running
 * anything when the pool has one thread, or is serving another caller: the
 * kernel then does the work alone. So a kernel written as
 *     if (!big_enough || !mlc_rt_parallel(part, &job)) part(&job, 0, 1, NULL);
 * computes the same thing either way, split or not.
 *
 * Without MLC_RT_THREADS (the default, and what a product without pthreads
 * builds) mlc_rt_parallel is the constant 0 and the split code folds away. */
#ifndef MLC_RT_PARALLEL_H
#define MLC_RT_PARALLEL_H

#include "mlc_rt.h"

/* a worker's scratch: the packed panels of the largest block (only a
 * product that packs splits over the pool) */
#define MLC_RT_POOL_SCRATCH mlc_rt_gemm_panels(MLC_RT_GEMM_MC, MLC_RT_GEMM_NC, MLC_RT_GEMM_KC)

typedef void (*mlc_rt_part)(void *arg, int t, int nt, float *scratch);

/* mlc_rt_pool_threads(): the threads a job would split over now (1
 * without the pool), for kernels whose way of splitting depends on it */
#ifdef MLC_RT_THREADS
int mlc_rt_parallel(mlc_rt_part fn, void *arg);
int mlc_rt_pool_threads(void);
#else
#define mlc_rt_parallel(fn, arg) ((void)(fn), (void)(arg), 0)
#define mlc_rt_pool_threads() 1
#endif

#endif /* MLC_RT_PARALLEL_H */
