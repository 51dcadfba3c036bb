/* mlc CUDA runtime: GatherND, ScatterND (with its reductions),
 * ReverseSequence, TensorScatter and Einsum, with the semantics of index.c
 * and index_move.c.
 *
 * The kernels that only move items copy them in units of 8, 4, 2 or 1
 * bytes: the widest that divides the item and every pointer's alignment,
 * so one template serves every element type. Gathers, ReverseSequence and
 * TensorScatter give each output unit its own thread.
 *
 * Scatters must end as the C loop ends, updates applied in index order (the
 * last of duplicate indices wins; float sums round in that order). The
 * offsets of a tuple's slice are multiples of the slice (data is [batch,
 * dims..., slice]), so two threads that own different positions within a
 * slice, or different batches, never touch the same element: one thread per
 * (batch, slice position) walks that batch's tuples in order. That is
 * serial in nidx where slices are small; it is exact and needs no scratch.
 * TensorScatter's only duplicate writes are the circular wrap of a window
 * longer than the cache, where the last write of a position wins: a thread
 * skips the writes that a later step overwrites.
 *
 * Einsum gives each output element a thread that sums its terms in the C
 * loop nest's order (the innermost summed dim into a register first), with
 * products and sums rounded one by one (no fused multiply-add), so float
 * results match the C kernel's bits where the host compiler does not fuse
 * either. */
#include "mlc_rt_cuda_int.h"

/* ---- GatherND / ScatterND ------------------------------------------------ */

/* one thread per unit of y: units of a slice, slices of the tuples */
template <typename W>
__global__ void gather_nd_k(MlcND p, const W *data, const int64_t *idx, W *y) {
  const int64_t upe = p.elem / (int64_t)sizeof(W), su = p.slice * upe;
  const int64_t n = p.batch * p.nidx * su;
  GRID_STRIDE(i, n) {
    int64_t bt = i / su, j = i % su;
    int64_t off = mlc_rt_nd_offset(&p, idx, bt / p.nidx, bt % p.nidx);
    y[i] = off < 0 ? 0 : data[off * upe + j];
  }
}

template <typename W>
static void gather_nd_launch(MlcCuCtx *ctx, const MlcND *p, void *const *io) {
  int64_t n = p->batch * p->nidx * p->slice * (p->elem / (int64_t)sizeof(W));
  gather_nd_k<W><<<mlc_rtcu_grid(n), MLC_CU_BLOCK, 0, ctx->stream>>>(
      *p, (const W *)io[MLC_GATHER_ND_DATA], (const int64_t *)io[MLC_GATHER_ND_INDICES],
      (W *)io[MLC_GATHER_ND_Y]);
}

int mlc_rtcu_gather_nd(MlcCuCtx *ctx, const void *params, void *const *io) {
  const MlcND *p = (const MlcND *)params;
  if (ctx->sizing || p->batch * p->nidx * p->slice * p->elem <= 0) return MLC_CU_OK;
  int u = word_bytes(p->elem, io[MLC_GATHER_ND_DATA], io[MLC_GATHER_ND_Y], NULL);
  WORD_SWITCH(u, gather_nd_launch<W>(ctx, p, io))
  return mlc_rtcu_launched();
}

/* reduction "none": one thread per (batch, unit of the slice) copies the
 * updates of that batch's tuples in order, so the last duplicate wins */
template <typename W>
__global__ void scatter_nd_copy_k(MlcND p, const int64_t *idx, const W *upd, W *y) {
  const int64_t upe = p.elem / (int64_t)sizeof(W), su = p.slice * upe, n = p.batch * su;
  GRID_STRIDE(i, n) {
    int64_t b = i / su, j = i % su;
    for (int64_t t = 0; t < p.nidx; t++) {
      int64_t off = mlc_rt_nd_offset(&p, idx, b, t);
      if (off >= 0) y[off * upe + j] = upd[(b * p.nidx + t) * su + j];
    }
  }
}

template <typename W>
static void scatter_nd_copy_launch(MlcCuCtx *ctx, const MlcND *p, void *const *io) {
  int64_t n = p->batch * p->slice * (p->elem / (int64_t)sizeof(W));
  scatter_nd_copy_k<W><<<mlc_rtcu_grid(n), MLC_CU_BLOCK, 0, ctx->stream>>>(
      *p, (const int64_t *)io[MLC_SCATTER_ND_INDICES], (const W *)io[MLC_SCATTER_ND_UPDATES],
      (W *)io[MLC_SCATTER_ND_Y]);
}

/* the reductions: one thread per (batch, element of the slice), tuples in
 * order */
template <typename T>
__global__ void scatter_nd_red_k(MlcND p, const int64_t *idx, const T *upd, T *y) {
  const int64_t n = p.batch * p.slice;
  GRID_STRIDE(i, n) {
    int64_t b = i / p.slice, j = i % p.slice;
    for (int64_t t = 0; t < p.nidx; t++) {
      int64_t off = mlc_rt_nd_offset(&p, idx, b, t);
      if (off >= 0)
        y[off + j] = apply_red(y[off + j], upd[(b * p.nidx + t) * p.slice + j], p.reduction);
    }
  }
}

int mlc_rtcu_scatter_nd(MlcCuCtx *ctx, const void *params, void *const *io) {
  const MlcND *p = (const MlcND *)params;
  const int64_t *idx = (const int64_t *)io[MLC_SCATTER_ND_INDICES];
  const void *upd = io[MLC_SCATTER_ND_UPDATES];
  void *y = io[MLC_SCATTER_ND_Y];
  if (ctx->sizing) return MLC_CU_OK;
  int rc = copy_bytes(ctx, y, io[MLC_SCATTER_ND_DATA], p->data_count * p->elem);
  if (rc != MLC_CU_OK || p->batch * p->nidx * p->slice * p->elem <= 0) return rc;
  /* as index.c's apply_for: a reduction of an unknown type, or an unknown
   * reduction, is a plain copy */
  if (p->reduction >= RED_ADD && p->reduction <= RED_MIN) {
    unsigned grid = mlc_rtcu_grid(p->batch * p->slice);
    switch (p->dtype) {
#define CASE(T, code)                                                                             \
  case code:                                                                                      \
    scatter_nd_red_k<T><<<grid, MLC_CU_BLOCK, 0, ctx->stream>>>(*p, idx, (const T *)upd, (T *)y); \
    return mlc_rtcu_launched();
      IDX_TYPES(CASE)
#undef CASE
    default: break;
    }
  }
  int u = word_bytes(p->elem, upd, y, NULL);
  WORD_SWITCH(u, scatter_nd_copy_launch<W>(ctx, p, io))
  return mlc_rtcu_launched();
}

/* ---- ReverseSequence ----------------------------------------------------- */

/* one thread per unit of y: within its sequence's first len steps, element
 * t reads step len - 1 - t; the others read their own position */
template <typename W>
__global__ void reverse_sequence_k(MlcRevSeq p, int64_t count, int64_t tstride, int64_t bstride,
                                   const W *x, const int64_t *lens, W *y) {
  const int64_t upe = p.elem / (int64_t)sizeof(W), n = count * upe;
  const int64_t tlen = p.dims[p.time_axis], blen = p.dims[p.batch_axis];
  GRID_STRIDE(k, n) {
    int64_t i = k / upe, src = i;
    int64_t t = i / tstride % tlen, len = lens[i / bstride % blen];
    if (len > tlen) len = tlen;
    if (t < len) src += (len - 1 - 2 * t) * tstride;
    y[k] = x[src * upe + k % upe];
  }
}

template <typename W>
static void reverse_sequence_launch(MlcCuCtx *ctx, const MlcRevSeq *p, void *const *io,
                                    int64_t count, int64_t tstride, int64_t bstride) {
  int64_t n = count * (p->elem / (int64_t)sizeof(W));
  reverse_sequence_k<W><<<mlc_rtcu_grid(n), MLC_CU_BLOCK, 0, ctx->stream>>>(
      *p, count, tstride, bstride, (const W *)io[MLC_REVERSE_SEQUENCE_X],
      (const int64_t *)io[MLC_REVERSE_SEQUENCE_LENGTHS], (W *)io[MLC_REVERSE_SEQUENCE_Y]);
}

int mlc_rtcu_reverse_sequence(MlcCuCtx *ctx, const void *params, void *const *io) {
  const MlcRevSeq *p = (const MlcRevSeq *)params;
  int64_t count = 1, tstride = 1, bstride = 1;
  if (ctx->sizing) return MLC_CU_OK;
  if (p->rank < 1 || p->rank > MLC_RT_MAX_RANK || p->time_axis < 0 || p->time_axis >= p->rank ||
      p->batch_axis < 0 || p->batch_axis >= p->rank)
    return MLC_CU_ERR_PARAMS;
  for (int d = (int)p->rank - 1; d >= 0; d--) {
    if (d == p->time_axis) tstride = count;
    if (d == p->batch_axis) bstride = count;
    count *= p->dims[d];
  }
  if (count * p->elem <= 0) return MLC_CU_OK;
  int u = word_bytes(p->elem, io[MLC_REVERSE_SEQUENCE_X], io[MLC_REVERSE_SEQUENCE_Y], NULL);
  WORD_SWITCH(u, reverse_sequence_launch<W>(ctx, p, io, count, tstride, bstride))
  return mlc_rtcu_launched();
}

/* ---- TensorScatter ------------------------------------------------------- */

/* one thread per unit of the update: its row r, step s and place in the
 * row. A linear write past the cache is skipped (the C loop breaks there);
 * a circular one wraps, and a step that a later step overwrites (the
 * window longer than the cache) writes nothing, as it would be lost */
template <typename W>
__global__ void tensor_scatter_k(MlcTensorScatter p, const W *upd, const int64_t *at, W *y) {
  const int64_t ru = p.row_bytes / (int64_t)sizeof(W), n = p.pre * p.seq * ru;
  GRID_STRIDE(k, n) {
    int64_t rs = k / ru, j = k % ru, r = rs / p.seq, s = rs % p.seq;
    int64_t first = at ? at[r / p.per_batch] : 0, t;
    if (p.circular) {
      if (s + p.max_seq < p.seq) continue;
      first %= p.max_seq;
      t = ((first + s) % p.max_seq + p.max_seq) % p.max_seq;
    } else {
      if (first < 0 || first >= p.max_seq) continue;
      t = first + s;
      if (t >= p.max_seq) continue;
    }
    y[(r * p.max_seq + t) * ru + j] = upd[k];
  }
}

template <typename W>
static void tensor_scatter_launch(MlcCuCtx *ctx, const MlcTensorScatter *p, void *const *io) {
  int64_t n = p->pre * p->seq * (p->row_bytes / (int64_t)sizeof(W));
  tensor_scatter_k<W><<<mlc_rtcu_grid(n), MLC_CU_BLOCK, 0, ctx->stream>>>(
      *p, (const W *)io[MLC_TENSOR_SCATTER_UPDATE], (const int64_t *)io[MLC_TENSOR_SCATTER_INDICES],
      (W *)io[MLC_TENSOR_SCATTER_Y]);
}

int mlc_rtcu_tensor_scatter(MlcCuCtx *ctx, const void *params, void *const *io) {
  const MlcTensorScatter *p = (const MlcTensorScatter *)params;
  void *y = io[MLC_TENSOR_SCATTER_Y];
  if (ctx->sizing) return MLC_CU_OK;
  int rc = copy_bytes(ctx, y, io[MLC_TENSOR_SCATTER_CACHE], p->pre * p->max_seq * p->row_bytes);
  if (rc != MLC_CU_OK || p->max_seq <= 0 || p->per_batch <= 0 ||
      p->pre * p->seq * p->row_bytes <= 0)
    return rc;
  int u = word_bytes(p->row_bytes, io[MLC_TENSOR_SCATTER_UPDATE], y, NULL);
  WORD_SWITCH(u, tensor_scatter_launch<W>(ctx, p, io))
  return mlc_rtcu_launched();
}

/* ---- Einsum -------------------------------------------------------------- */

/* The loop dims of MlcEinsum come output dims first (merged, none of size
 * 1), so an output dim's so is the row-major stride of its index in y and
 * the summed dims (so 0) follow. Output element o's terms, in the C loop
 * nest's order, are the row-major walk over the summed dims; when the
 * innermost loop dim is summed, each run of it sums into a register that
 * is then added to y. */
template <typename T>
__global__ void einsum_k(MlcEinsum p, const T *a, const T *b, T *y) {
  const int r = (int)p.rank;
  /* a missing b reads a one with strides 0, as the C kernel's */
  const T one = 1;
  /* the innermost dim (a dim of 1 when there are none) */
  const int64_t n = r ? p.dims[r - 1] : 1, ia = r ? p.sa[r - 1] : 0;
  const int64_t ib = r && b ? p.sb[r - 1] : 0, iy = r ? p.so[r - 1] : 0;
  /* the summed dims other than the innermost, outermost first */
  int sd[MLC_RT_MAX_RANK], ns = 0;
  for (int d = 0; d < r - 1; d++)
    if (p.so[d] == 0) sd[ns++] = d;
  GRID_STRIDE(o, p.count) {
    int64_t oa = 0, ob = 0, pos[MLC_RT_MAX_RANK];
    for (int d = 0; d < r; d++)
      if (p.so[d] != 0) {
        int64_t i = o / p.so[d] % p.dims[d];
        oa += i * p.sa[d];
        ob += b ? i * p.sb[d] : 0;
      }
    for (int k = 0; k < ns; k++) pos[k] = 0;
    T acc = 0;
    for (;;) {
      if (iy == 0) {
        T run = 0;
        for (int64_t j = 0; j < n; j++)
          run = op_add(run, op_mul(a[oa + j * ia], b ? b[ob + j * ib] : one));
        acc = op_add(acc, run);
      } else {
        /* the innermost dim is y's: oa and ob hold its index already */
        acc = op_add(acc, op_mul(a[oa], b ? b[ob] : one));
      }
      int k;
      for (k = ns - 1; k >= 0; k--) {
        int d = sd[k];
        oa += p.sa[d];
        ob += b ? p.sb[d] : 0;
        if (++pos[k] < p.dims[d]) break;
        oa -= p.sa[d] * p.dims[d];
        ob -= b ? p.sb[d] * p.dims[d] : 0;
        pos[k] = 0;
      }
      if (k < 0) break;
    }
    y[o] = acc;
  }
}

int mlc_rtcu_einsum(MlcCuCtx *ctx, const void *params, void *const *io) {
  const MlcEinsum *p = (const MlcEinsum *)params;
  const void *a = io[MLC_EINSUM_A], *b = io[MLC_EINSUM_B];
  void *y = io[MLC_EINSUM_Y];
  int empty = 0;
  if (ctx->sizing) return MLC_CU_OK;
  if (p->rank < 0 || p->rank > MLC_RT_MAX_RANK) return MLC_CU_ERR_PARAMS;
  for (int d = 0; d < p->rank; d++) empty |= p->dims[d] <= 0;
  if (p->count <= 0) return MLC_CU_OK;
  switch (p->dtype) {
#define CASE(T, code)                                                                             \
  case code:                                                                                      \
    /* an empty dim leaves y zeroed, as the C kernel does */                                      \
    if (empty)                                                                                    \
      return cudaMemsetAsync(y, 0, (size_t)p->count * sizeof(T), ctx->stream) == cudaSuccess      \
                 ? MLC_CU_OK                                                                      \
                 : MLC_CU_ERR_CUDA;                                                               \
    einsum_k<T><<<mlc_rtcu_grid(p->count), MLC_CU_BLOCK, 0, ctx->stream>>>(*p, (const T *)a,      \
                                                                           (const T *)b, (T *)y); \
    return mlc_rtcu_launched();
    IDX_TYPES(CASE)
#undef CASE
  default: return MLC_CU_ERR_PARAMS;
  }
}
