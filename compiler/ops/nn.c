/* Neural-network ops: Conv, the pools, BatchNormalization,
 * LayerNormalization, Softmax/LogSoftmax, MatMul and Gemm.
 *
 * Each lowers to one runtime kernel call whose parameter struct carries
 * every static shape and attribute, resolved here once: auto_pad becomes
 * explicit begin/end pads, opset-dependent defaults become values, 1-D
 * operands of MatMul become matrices, and broadcasts become element strides.
 * Everything a model states is validated first (ranks, channel and group
 * counts, window attributes, parameter shapes), since the kernels trust
 * their parameters.
 *
 * Conv, Gemm and MatMul run on the runtime's blocked SGEMM, which packs
 * panels into a scratch buffer (a depthwise Conv pads its input planes
 * there instead): the lowering adds a temporary value of the size the
 * runtime header computes (mlc_rt_conv_scratch, mlc_rt_gemm_scratch) as the
 * call's last io slot, so the memory planner places it in the arena like
 * any other intermediate (none where that size is 0: a product too thin to
 * pack runs straight from its operands, and a float64 MatMul runs a plain
 * loop). Their fused activation (act) starts as MLC_ACT_NONE; a fusion pass
 * sets it. The global pools are reductions and lower to the reduce kernel.
 */
#include <string.h>

#include "diag.h"
#include "ops.h"

static void require_f32(const Node *n, const Value *v, const char *what) {
  if (v && v->dtype != DT_FLOAT)
    diag_node_fatal(n, "%s is %s; mlc supports %s on float32 only", what, dtype_name(v->dtype),
                    n->op_type);
}

/* ---- sliding windows: Conv and the pools --------------------------------- */

/* an int-list window attribute of `count` entries in [lo, OPS_MAX_WINDOW), or
 * def for each entry when absent */
static void window_attr(const Node *n, const char *name, int count, int64_t lo, int64_t def,
                        int64_t *out) {
  const int64_t *a;
  int k = attr_ints(n, name, &a);
  if (k < 0) {
    for (int i = 0; i < count; i++) out[i] = def;
    return;
  }
  if (k != count)
    diag_node_fatal(n, "'%s' has %d entries; the input has %d spatial dims%s", name, k,
                    count / (strcmp(name, "pads") ? 1 : 2),
                    strcmp(name, "pads") ? "" : " (pads needs two per dim)");
  for (int i = 0; i < k; i++) {
    if (a[i] < lo || a[i] >= OPS_MAX_WINDOW)
      diag_node_fatal(n, "'%s' entry %d is %lld; it must be %s and below 2^31", name, i,
                      (long long)a[i], lo > 0 ? "positive" : "non-negative");
    out[i] = a[i];
  }
}

/* Reads the window of x (N, C, spatial...): kernel (from `kernel`, taken
 * from the weights for Conv, else the kernel_shape attribute), strides,
 * dilations, auto_pad/pads and ceil_mode, and computes the output dims. */
static void read_window(const Node *n, const Value *x, const int64_t *kernel, int ceil_mode,
                        Window *w) {
  if (x->rank < 3)
    diag_node_fatal(n, "input must be N x C x spatial dims (rank >= 3), not rank %d", x->rank);
  if (x->rank - 2 > MLC_RT_MAX_SP)
    diag_node_fatal(n, "%d spatial dims are not supported (at most %d)", x->rank - 2,
                    MLC_RT_MAX_SP);
  int nsp = w->nsp = x->rank - 2;
  const int64_t *ks;
  int nk = attr_ints(n, "kernel_shape", &ks);
  if (!kernel && nk < 0) diag_node_fatal(n, "attribute 'kernel_shape' is required");
  if (nk >= 0) {
    window_attr(n, "kernel_shape", nsp, 1, 1, w->k);
    for (int i = 0; kernel && i < nsp; i++)
      if (w->k[i] != kernel[i])
        diag_node_fatal(n, "kernel_shape[%d] is %lld but the weights have %lld", i,
                        (long long)w->k[i], (long long)kernel[i]);
  } else {
    for (int i = 0; i < nsp; i++) {
      if (kernel[i] < 1 || kernel[i] >= OPS_MAX_WINDOW)
        diag_node_fatal(n, "weight spatial dim %d is %lld; it must be positive", i,
                        (long long)kernel[i]);
      w->k[i] = kernel[i];
    }
  }
  window_attr(n, "strides", nsp, 1, 1, w->stride);
  window_attr(n, "dilations", nsp, 1, 1, w->dil);
  int64_t pads[2 * MLC_RT_MAX_SP];
  window_attr(n, "pads", 2 * nsp, 0, 0, pads);
  const char *ap = attr_s(n, "auto_pad", "NOTSET");
  int same_upper = !strcmp(ap, "SAME_UPPER"), same_lower = !strcmp(ap, "SAME_LOWER");
  int valid = !strcmp(ap, "VALID");
  if (!same_upper && !same_lower && !valid && strcmp(ap, "NOTSET"))
    diag_node_fatal(n,
                    "unknown auto_pad '%s' (expected NOTSET, SAME_UPPER, "
                    "SAME_LOWER or VALID)",
                    ap);
  for (int i = 0; i < nsp; i++) {
    int64_t in = w->in[i] = x->dims[2 + i];
    int64_t span = (w->k[i] - 1) * w->dil[i] + 1, s = w->stride[i];
    if (same_upper || same_lower) {
      int64_t out = (in + s - 1) / s;
      int64_t total = (out - 1) * s + span - in;
      if (total < 0) total = 0;
      w->pb[i] = same_upper ? total / 2 : total - total / 2;
      w->pe[i] = total - w->pb[i];
      w->out[i] = out;
      continue;
    }
    w->pb[i] = valid ? 0 : pads[i];
    w->pe[i] = valid ? 0 : pads[nsp + i];
    int64_t room = in + w->pb[i] + w->pe[i] - span;
    if (room < 0)
      diag_node_fatal(n,
                      "the window (%lld with dilation %lld) is larger than the padded "
                      "input (%lld) in spatial dim %d",
                      (long long)w->k[i], (long long)w->dil[i],
                      (long long)(in + w->pb[i] + w->pe[i]), i);
    int64_t out = (ceil_mode ? room + s - 1 : room) / s + 1;
    /* ceil_mode: the last window must start inside the input or the begin
     * padding, not wholly in the end padding */
    if (ceil_mode && (out - 1) * s >= in + w->pb[i]) out--;
    w->out[i] = out;
  }
}

static void window_out_shape(const Node *n, const Value *x, int64_t channels, const Window *w,
                             Value *y) {
  int64_t dims[IR_MAX_RANK] = {x->dims[0], channels};
  for (int i = 0; i < w->nsp; i++) dims[2 + i] = w->out[i];
  set_shape_checked(n, y, x->rank, dims);
}

static void conv_check(Graph *g, const Node *n, int64_t *kernel) {
  const Value *x = n->in[0], *wt = n->in[1], *b = n->nin > 2 ? n->in[2] : NULL;
  require_f32(n, x, "input X");
  require_f32(n, wt, "weight W");
  require_f32(n, b, "bias B");
  if (wt->rank != x->rank)
    diag_node_fatal(n, "weight W has rank %d but input X has rank %d", wt->rank, x->rank);
  int64_t group = attr_i(n, "group", 1);
  if (group < 1) diag_node_fatal(n, "group is %lld; it must be positive", (long long)group);
  int64_t c = x->rank > 1 ? x->dims[1] : 0, m = wt->dims[0];
  if (c % group || wt->dims[1] != c / group)
    diag_node_fatal(n, "input has %lld channels, but weight W expects %lld x group %lld",
                    (long long)c, (long long)wt->dims[1], (long long)group);
  if (m % group)
    diag_node_fatal(n, "weight W has %lld output channels, not divisible by group %lld",
                    (long long)m, (long long)group);
  if (b && (b->rank != 1 || b->dims[0] != m))
    diag_node_fatal(n, "bias B has shape %s; it must be [%lld]", ir_shape_str(g->arena, b),
                    (long long)m);
  for (int i = 2; i < wt->rank; i++) kernel[i - 2] = wt->dims[i];
}

void infer_Conv(Graph *g, Node *n) {
  int64_t kernel[IR_MAX_RANK];
  const Value *x = n->in[0];
  if (x->rank < 3)
    diag_node_fatal(n, "input must be N x C x spatial dims (rank >= 3), not rank %d", x->rank);
  conv_check(g, n, kernel);
  Window w;
  read_window(n, x, kernel, 0, &w);
  window_out_shape(n, x, n->in[1]->dims[0], &w, n->out[0]);
  n->out[0]->dtype = DT_FLOAT;
}

/* Is a constant B worth packing at compile time? Where the product packs
 * its operands (not a thin one). With run-time dims m varies, so B is
 * packed when n alone allows, and the kernel runs the packed path at every
 * m. */
static int gemm_packs_b(const Graph *g, int64_t m, int64_t n, int64_t k) {
  if (ir_runtime_dims(g)) return n > MLC_RT_GEMM_THIN && k > 0;
  return mlc_rt_gemm_scratch(m, n, k) > 0;
}

/* the scratch floats of a product: the packed path's panels when B is
 * packed (every m then takes that path) */
static int64_t gemm_scratch(int pack_b, int64_t m, int64_t n, int64_t k) {
  return pack_b ? mlc_rt_gemm_panels(m, n, k) : mlc_rt_gemm_scratch(m, n, k);
}

void lower_gemm_tile(TargetIsa t, int64_t m, int64_t *mr, int64_t *nr) {
  switch (t) {
  case TARGET_X86_64_V4:
    *mr = mlc_rt_gemm_height(m, MLC_RT_TILE_AVX512_MR, MLC_RT_TILE_AVX512_MR2);
    *nr = MLC_RT_TILE_AVX512_NR;
    break;
  case TARGET_X86_64_V3:
    *mr = mlc_rt_gemm_height(m, MLC_RT_TILE_AVX2_MR, MLC_RT_TILE_AVX2_MR2);
    *nr = MLC_RT_TILE_AVX2_NR;
    break;
  case TARGET_AARCH64:
    *mr = mlc_rt_gemm_height(m, MLC_RT_TILE_NEON_MR, MLC_RT_TILE_NEON_MR2);
    *nr = MLC_RT_TILE_NEON_NR;
    break;
  default: *mr = *nr = 0; break;
  }
}

Value *lower_packed(Graph *g, const Value *v, int64_t groups, int64_t rows, int64_t cols,
                    int64_t rs, int64_t cs, int64_t side) {
  int64_t total = groups * mlc_rt_packed_floats(rows, cols, side);
  Value *r = lower_temp(g, DT_FLOAT, 1, &total);
  mlc_rt_pack_strips((const float *)v->data, groups, rows, cols, rs, cs, side, ir_alloc_data(g, r));
  return r;
}

/* The Winograd tile for conv p, or 0 where the direct product is better:
 * with fewer than a block of 16 channels the products are too short to pay
 * for the transforms (measured on AVX-512, F(4x4) against the direct
 * product: 16 -> 64 channels at 55x55 1.35x faster, 64 -> 64 at 56x56
 * 1.9x), and an output of few tiles makes them too thin for the
 * micro-kernel (a 7x7 output: F(2x2) 1.8x, F(4x4) 1.1x) */
static int64_t conv_winograd_tile(const Graph *g, const MlcConv *p) {
  if (!mlc_rt_conv_winograd_fits(p) || p->c < 16 || p->m < 16) return 0;
  /* with run-time dims the output's size varies, and the weights cannot:
   * F(4x4), which the kernel runs at any size */
  if (ir_runtime_dims(g)) return 4;
  /* F(4x4) where it has 16 tiles or more, else F(2x2) */
  for (int64_t t = 4; t >= 2; t -= 2) {
    int64_t tiles = (p->out_sp[0] + t - 1) / t * ((p->out_sp[1] + t - 1) / t);
    if (tiles >= 16) return t;
  }
  return 0;
}

/* wt transformed and packed for F(t x t, 3 x 3), as a new constant */
static Value *winograd_weights(Graph *g, const Value *wt, const MlcConv *p, int64_t t, int64_t nr) {
  int64_t total = mlc_rt_winograd_weights(p->m, p->c, t, nr);
  Value *r = lower_temp(g, DT_FLOAT, 1, &total);
  mlc_rt_winograd_filter((const float *)wt->data, p->m, p->c, t, nr, ir_alloc_data(g, r));
  return r;
}

void lower_Conv(Graph *g, Node *n, Lowering *L) {
  const Value *x = n->in[0], *wt = n->in[1];
  int64_t kernel[IR_MAX_RANK];
  conv_check(g, n, kernel);
  Window w;
  read_window(n, x, kernel, 0, &w);
  KCall *c = lower_add(g, L, K_conv_f32);
  MlcConv *p = KC_PARAMS(c, MlcConv);
  p->n = x->dims[0];
  p->c = x->dims[1];
  p->m = wt->dims[0];
  p->group = attr_i(n, "group", 1);
  WINDOW_PARAMS(p, &w);
  p->has_bias = n->nin > 2 && n->in[2];
  p->act = MLC_ACT_NONE;
  c->io[MLC_CONV_X] = n->in[0];
  c->io[MLC_CONV_W] = n->in[1];
  c->io[MLC_CONV_BIAS] = p->has_bias ? n->in[2] : NULL;
  c->io[MLC_CONV_Y] = n->out[0];
  /* constant weights of a conv that runs as products are packed now for
   * the target's micro-kernel, which then reads them as they are; a 3x3
   * conv that gains from it, transformed for Winograd first */
  int64_t mr, nr, mg = p->m / p->group, kdim = p->m ? ir_numel(wt) / p->m : 0;
  lower_gemm_tile(L->target, mg, &mr, &nr);
  int64_t wino = mr && wt->data && wt->dtype == DT_FLOAT ? conv_winograd_tile(g, p) : 0;
  if (wino) {
    c->io[MLC_CONV_W] = winograd_weights(g, wt, p, wino, nr);
    p->winograd = wino;
    p->packed_w = nr;
  } else if (mr && wt->data && wt->dtype == DT_FLOAT && !mlc_rt_conv_depthwise(p) &&
             mlc_rt_conv_scratch(p) > 0 &&
             !(L->target == TARGET_X86_64_V4 && mlc_rt_conv_direct(p))) {
    c->io[MLC_CONV_W] = lower_packed(g, wt, p->group, mg, kdim, kdim, 1, mr);
    p->packed_w = mr;
  }
  c->io[MLC_CONV_SCRATCH] = lower_scratch(g, mlc_rt_conv_scratch(p));
  /* no residual slot: mlc.FusedConv adds it */
  c->nio = MLC_CONV_SCRATCH + 1;
}

/* ---- pools --------------------------------------------------------------- */

/* MaxPool is the one op whose integer kernels exist */
static int pool_kernel(const Node *n) {
  DType t = n->in[0]->dtype;
  if (t == DT_FLOAT) return K_pool_f32;
  if (n->op == OP_MaxPool && t == DT_UINT8) return K_pool_u8;
  if (n->op == OP_MaxPool && t == DT_INT8) return K_pool_i8;
  diag_node_fatal(n, "%s on %s is not supported (float32%s only)", n->op_type, dtype_name(t),
                  n->op == OP_MaxPool ? ", int8 and uint8" : "");
}

static void pool_window(const Node *n, Window *w) {
  int64_t ceil_mode = attr_i(n, "ceil_mode", 0);
  if (ceil_mode != 0 && ceil_mode != 1)
    diag_node_fatal(n, "ceil_mode is %lld; it must be 0 or 1", (long long)ceil_mode);
  read_window(n, n->in[0], NULL, (int)ceil_mode, w);
}

static int64_t storage_order(const Node *n) {
  int64_t so = attr_i(n, "storage_order", 0);
  if (so != 0 && so != 1)
    diag_node_fatal(n, "storage_order is %lld; it must be 0 or 1", (long long)so);
  return so;
}

void infer_Pool(Graph *g, Node *n) {
  (void)g;
  pool_kernel(n);
  Window w;
  pool_window(n, &w);
  const Value *x = n->in[0];
  window_out_shape(n, x, x->dims[1], &w, n->out[0]);
  n->out[0]->dtype = x->dtype;
  if (n->nout > 1 && n->out[1]) {
    storage_order(n);
    ir_copy_type(n->out[1], n->out[0]);
    n->out[1]->dtype = DT_INT64;
  }
}

void lower_Pool(Graph *g, Node *n, Lowering *L) {
  const Value *x = n->in[0];
  Window w;
  pool_window(n, &w);
  KCall *c = lower_add(g, L, pool_kernel(n));
  MlcPool *p = KC_PARAMS(c, MlcPool);
  p->n = x->dims[0];
  p->c = x->dims[1];
  WINDOW_PARAMS(p, &w);
  for (int i = 0; i < w.nsp; i++) p->pad_end[i] = w.pe[i];
  p->kind = n->op == OP_MaxPool ? MLC_POOL_MAX : MLC_POOL_AVG;
  p->count_include_pad = n->op == OP_AveragePool && attr_i(n, "count_include_pad", 0) != 0;
  c->io[MLC_POOL_X] = n->in[0];
  c->io[MLC_POOL_Y] = n->out[0];
  if (n->nout > 1 && n->out[1]) {
    p->storage_order = storage_order(n);
    c->io[MLC_POOL_INDICES] = n->out[1];
  }
  c->nio = MLC_POOL_NIO;
}

/* A global pool reduces each N x C plane: a mean or max over the rows of
 * an [N*C, spatial] matrix. */
void infer_GlobalPool(Graph *g, Node *n) {
  (void)g;
  const Value *x = n->in[0];
  require_f32(n, x, "input X");
  if (x->rank < 3)
    diag_node_fatal(n, "input must be N x C x spatial dims (rank >= 3), not rank %d", x->rank);
  int64_t dims[IR_MAX_RANK];
  for (int i = 0; i < x->rank; i++) {
    if (i >= 2 && x->dims[i] == 0)
      diag_node_fatal(n, "spatial dim %d is empty: there is nothing to pool", i - 2);
    dims[i] = i < 2 ? x->dims[i] : 1;
  }
  set_shape_checked(n, n->out[0], x->rank, dims);
  n->out[0]->dtype = x->dtype;
}

void lower_GlobalPool(Graph *g, Node *n, Lowering *L) {
  const Value *x = n->in[0];
  KCall *c = lower_add(g, L, K_reduce_f32);
  MlcReduce *p = KC_PARAMS(c, MlcReduce);
  p->rank = 2;
  p->dims[0] = x->dims[0] * x->dims[1];
  p->dims[1] = 1;
  for (int i = 2; i < x->rank; i++) p->dims[1] *= x->dims[i];
  p->axes[1] = 1;
  p->kind = n->op == OP_GlobalMaxPool ? MLC_RED_MAX : MLC_RED_MEAN;
  c->io[MLC_REDUCE_X] = n->in[0];
  c->io[MLC_REDUCE_Y] = n->out[0];
  c->nio = MLC_REDUCE_NIO;
}

/* ---- normalizations ----------------------------------------------------- */

/* whether an optional output is consumed (a graph output or used) */
static int output_used(const Node *n, int i) {
  const Value *v = i < n->nout ? n->out[i] : NULL;
  return v && (v->is_output || v->nusers > 0);
}

/* BatchNormalization's per-channel count: C, or C x spatial dims when the
 * pre-opset-9 attribute spatial is 0 */
static int64_t bn_channels(const Node *n) {
  const Value *x = n->in[0];
  if (x->rank < 2)
    diag_node_fatal(n, "input must be N x C x ... (rank >= 2), not rank %d", x->rank);
  int64_t ch = x->dims[1];
  if (n->opset < 9 && attr_i(n, "spatial", 1) == 0) ch *= dims_prod(x->dims, 2, x->rank);
  return ch;
}

/* Whether BatchNormalization normalizes by the batch's statistics: from
 * opset 14 the training_mode attribute says so, and the running mean and
 * variance are outputs 1 and 2. Before, the outputs do: a node with
 * more than Y (mean, var, saved_mean, saved_var) is in training mode, as
 * onnxruntime reads it, unless the opset-6 attribute is_test is set. */
int bn_training(const Node *n) {
  if (n->opset >= 14) {
    int64_t t = attr_i(n, "training_mode", 0);
    if (t != 0 && t != 1)
      diag_node_fatal(n, "training_mode is %lld; it must be 0 or 1", (long long)t);
    if (n->nout > 3)
      diag_node_fatal(n, "BatchNormalization-%d has at most 3 outputs, not %d", n->opset, n->nout);
    return (int)t;
  }
  if (n->opset < 7 && attr_i(n, "is_test", 0)) return 0;
  for (int i = 1; i < n->nout; i++)
    if (n->out[i]) return 1;
  return 0;
}

void infer_BatchNormalization(Graph *g, Node *n) {
  static const char *names[5] = {"input X", "scale", "bias B", "mean", "var"};
  if (!bn_training(n))
    for (int i = 1; i < n->nout; i++)
      if (output_used(n, i))
        diag_node_fatal(n,
                        "output %d (a training statistic) is computed only in "
                        "training mode",
                        i);
  int64_t ch = bn_channels(n);
  for (int i = 0; i < 5; i++) {
    require_f32(n, n->in[i], names[i]);
    if (i && (ir_numel(n->in[i]) != ch || n->in[i]->rank < 1))
      diag_node_fatal(n, "%s has shape %s; it must hold one value per channel (%lld)", names[i],
                      ir_shape_str(g->arena, n->in[i]), (long long)ch);
  }
  ir_copy_type(n->out[0], n->in[0]);
  /* the statistics are per channel, shaped like the input mean */
  for (int i = 1; i < n->nout; i++)
    if (n->out[i]) ir_copy_type(n->out[i], n->in[3]);
}

/* training mode: the kernel writes the four statistics into one [4, C]
 * temporary, copied from there into the outputs the node has (running mean
 * and var; before opset 14 also saved mean and saved 1 / sqrt(var + eps)) */
static void lower_bn_training(Graph *g, Node *n, Lowering *L, const MlcBatchNorm *geom) {
  KCall *k = lower_add(g, L, K_batchnorm_train_f32);
  MlcBnTrain *p = KC_PARAMS(k, MlcBnTrain);
  int64_t c = geom->c;
  p->n = geom->n;
  p->c = c;
  p->inner = geom->inner;
  p->eps = geom->eps;
  p->momentum = attr_f(n, "momentum", 0.9);
  Value *stats = lower_scratch(g, 4 * c);
  k->io[MLC_BATCHNORM_TRAIN_X] = n->in[0];
  k->io[MLC_BATCHNORM_TRAIN_SCALE] = n->in[1];
  k->io[MLC_BATCHNORM_TRAIN_BIAS] = n->in[2];
  k->io[MLC_BATCHNORM_TRAIN_MEAN] = n->in[3];
  k->io[MLC_BATCHNORM_TRAIN_VAR] = n->in[4];
  k->io[MLC_BATCHNORM_TRAIN_Y] = n->out[0];
  k->io[MLC_BATCHNORM_TRAIN_STATS] = stats;
  k->nio = MLC_BATCHNORM_TRAIN_NIO;
  int64_t one = 1;
  for (int i = 1; i < n->nout && i <= 4; i++)
    if (n->out[i] && stats)
      lower_strided_copy(g, n, L, stats, n->out[i], 1, &c, &one, &one, (i - 1) * c, 0);
}

void lower_BatchNormalization(Graph *g, Node *n, Lowering *L) {
  const Value *x = n->in[0];
  MlcBatchNorm geom = {.n = x->dims[0], .c = bn_channels(n)};
  geom.inner = geom.c ? ir_numel(x) / (geom.n ? geom.n : 1) / geom.c : 0;
  geom.eps = (float)attr_f(n, "epsilon", 1e-5);
  if (bn_training(n)) {
    lower_bn_training(g, n, L, &geom);
    return;
  }
  KCall *c = lower_add(g, L, K_batchnorm_f32);
  *KC_PARAMS(c, MlcBatchNorm) = geom;
  c->io[MLC_BATCHNORM_X] = n->in[0];
  c->io[MLC_BATCHNORM_SCALE] = n->in[1];
  c->io[MLC_BATCHNORM_BIAS] = n->in[2];
  c->io[MLC_BATCHNORM_MEAN] = n->in[3];
  c->io[MLC_BATCHNORM_VAR] = n->in[4];
  c->io[MLC_BATCHNORM_Y] = n->out[0];
  c->nio = MLC_BATCHNORM_NIO;
}

/* LayerNormalization's first normalized axis */
static int ln_axis(Graph *g, const Node *n) {
  const Value *x = n->in[0];
  require_f32(n, x, "input X");
  int axis = norm_axis(n, attr_i(n, "axis", -1), x->rank);
  for (int i = 1; i < n->nin; i++) {
    const Value *v = n->in[i];
    if (!v) continue;
    require_f32(n, v, i == 1 ? "Scale" : "B");
    /* the normalized shape, or a suffix of it padded by leading 1s */
    int ok = v->rank <= x->rank;
    int64_t cnt = 1;
    for (int d = 0; ok && d < v->rank; d++) {
      int xd = x->rank - v->rank + d;
      ok = xd >= axis ? v->dims[d] == x->dims[xd] : v->dims[d] == 1;
      cnt *= v->dims[d];
    }
    int64_t inner = dims_prod(x->dims, axis, x->rank);
    if (!ok || cnt != inner)
      diag_node_fatal(n,
                      "%s has shape %s; it must match the normalized dims (axis %d "
                      "of %s)",
                      i == 1 ? "Scale" : "B", ir_shape_str(g->arena, v), axis,
                      ir_shape_str(g->arena, x));
  }
  return axis;
}

void infer_LayerNormalization(Graph *g, Node *n) {
  const Value *x = n->in[0];
  int axis = ln_axis(g, n);
  ir_copy_type(n->out[0], x);
  int64_t dims[IR_MAX_RANK];
  for (int d = 0; d < x->rank; d++) dims[d] = d < axis ? x->dims[d] : 1;
  for (int i = 1; i < n->nout; i++) {
    if (!n->out[i]) continue;
    ir_set_shape(n->out[i], x->rank, dims);
    n->out[i]->dtype = DT_FLOAT;
  }
}

void lower_LayerNormalization(Graph *g, Node *n, Lowering *L) {
  const Value *x = n->in[0];
  int axis = ln_axis(g, n);
  KCall *c = lower_add(g, L, K_layernorm_f32);
  MlcLayerNorm *p = KC_PARAMS(c, MlcLayerNorm);
  p->outer = p->inner = 1;
  for (int d = 0; d < x->rank; d++) *(d < axis ? &p->outer : &p->inner) *= x->dims[d];
  p->eps = (float)attr_f(n, "epsilon", 1e-5);
  p->has_bias = n->nin > 2 && n->in[2];
  c->io[MLC_LAYERNORM_X] = n->in[0];
  c->io[MLC_LAYERNORM_SCALE] = n->in[1];
  c->io[MLC_LAYERNORM_BIAS] = p->has_bias ? n->in[2] : NULL;
  c->io[MLC_LAYERNORM_Y] = n->out[0];
  c->io[MLC_LAYERNORM_MEAN] = n->nout > 1 ? n->out[1] : NULL;
  c->io[MLC_LAYERNORM_INVSTD] = n->nout > 2 ? n->out[2] : NULL;
  c->nio = MLC_LAYERNORM_NIO;
}

/* Softmax's [outer, len, inner]: before opset 13 the input is coerced to 2-D
 * at axis (default 1); from 13 on, one axis (default -1) */
static void softmax_dims(const Node *n, int64_t *outer, int64_t *len, int64_t *inner) {
  const Value *x = n->in[0];
  int v13 = n->opset >= 13;
  int axis = norm_axis(n, attr_i(n, "axis", v13 ? -1 : 1), x->rank);
  *outer = *len = *inner = 1;
  for (int d = 0; d < x->rank; d++) {
    int64_t *part = d < axis ? outer : (d == axis || !v13 ? len : inner);
    *part *= x->dims[d];
  }
}

void infer_Softmax(Graph *g, Node *n) {
  (void)g;
  DType t = n->in[0]->dtype;
  if (t != DT_FLOAT && t != DT_DOUBLE)
    diag_node_fatal(n, "%s on %s is not supported (float32 and float64 only)", n->op_type,
                    dtype_name(t));
  int64_t o, l, i;
  softmax_dims(n, &o, &l, &i);
  ir_copy_type(n->out[0], n->in[0]);
}

void lower_Softmax(Graph *g, Node *n, Lowering *L) {
  KCall *c = lower_add(g, L, n->in[0]->dtype == DT_DOUBLE ? K_softmax_f64 : K_softmax_f32);
  MlcSoftmax *p = KC_PARAMS(c, MlcSoftmax);
  softmax_dims(n, &p->outer, &p->len, &p->inner);
  p->log = n->op == OP_LogSoftmax;
  c->io[MLC_SOFTMAX_X] = n->in[0];
  c->io[MLC_SOFTMAX_Y] = n->out[0];
  c->nio = MLC_SOFTMAX_NIO;
}

/* ---- MatMul and Gemm ----------------------------------------------------- */

/* MatMul as a batch of m x k by k x n products: numpy rules, 1-D operands
 * promoted to matrices and their unit dim dropped from the output. Fills
 * the output shape into dims/rank, and the kernel's batch description. */
typedef struct MatMulShape {
  int64_t m, n, k;
  int brank;
  int64_t bdims[IR_MAX_RANK], a_bs[IR_MAX_RANK], b_bs[IR_MAX_RANK];
  int rank;
  int64_t dims[IR_MAX_RANK];
} MatMulShape;

static void matmul_shape(Graph *g, const Node *n, MatMulShape *s) {
  const Value *a = n->in[0], *b = n->in[1];
  if ((a->dtype != DT_FLOAT && a->dtype != DT_DOUBLE) || b->dtype != a->dtype)
    diag_node_fatal(n, "MatMul of %s by %s is not supported (float32 or float64, both alike)",
                    dtype_name(a->dtype), dtype_name(b->dtype));
  if (a->rank < 1 || b->rank < 1)
    diag_node_fatal(n, "MatMul inputs must have rank >= 1 (got %d and %d)", a->rank, b->rank);
  int ar = a->rank, br = b->rank;
  s->m = ar > 1 ? a->dims[ar - 2] : 1;
  s->k = a->dims[ar - 1];
  int64_t bk = br > 1 ? b->dims[br - 2] : b->dims[0];
  s->n = br > 1 ? b->dims[br - 1] : 1;
  if (bk != s->k)
    diag_node_fatal(n, "inner dimensions differ: A is %s and B is %s", ir_shape_str(g->arena, a),
                    ir_shape_str(g->arena, b));
  int abr = ar > 2 ? ar - 2 : 0, bbr = br > 2 ? br - 2 : 0;
  s->brank = abr > bbr ? abr : bbr;
  int64_t ast = s->m * s->k, bst = s->k * s->n; /* element strides, innermost batch dim */
  for (int d = s->brank - 1; d >= 0; d--) {
    int ad = d - (s->brank - abr), bd = d - (s->brank - bbr);
    int64_t da = ad >= 0 ? a->dims[ad] : 1, db = bd >= 0 ? b->dims[bd] : 1;
    if (da != db && da != 1 && db != 1)
      diag_node_fatal(n, "batch dimensions cannot be broadcast: A is %s and B is %s",
                      ir_shape_str(g->arena, a), ir_shape_str(g->arena, b));
    s->bdims[d] = da > db ? da : db;
    s->a_bs[d] = da == 1 ? 0 : ast;
    s->b_bs[d] = db == 1 ? 0 : bst;
    ast *= da;
    bst *= db;
  }
  s->rank = 0;
  for (int d = 0; d < s->brank; d++) s->dims[s->rank++] = s->bdims[d];
  if (ar > 1) s->dims[s->rank++] = s->m;
  if (br > 1) s->dims[s->rank++] = s->n;
}

void infer_MatMul(Graph *g, Node *n) {
  MatMulShape s;
  matmul_shape(g, n, &s);
  set_shape_checked(n, n->out[0], s.rank, s.dims);
  n->out[0]->dtype = n->in[0]->dtype;
}

/* float32 on the blocked SGEMM; float64 on a plain loop that needs no
 * scratch */
void lower_MatMul(Graph *g, Node *n, Lowering *L) {
  MatMulShape s;
  matmul_shape(g, n, &s);
  int f64 = n->in[0]->dtype == DT_DOUBLE;
  KCall *c = lower_add(g, L, f64 ? K_matmul_f64 : K_matmul_f32);
  MlcMatMul *p = KC_PARAMS(c, MlcMatMul);
  p->m = s.m;
  p->n = s.n;
  p->k = s.k;
  /* unit batch dims are no loop; a batch over A alone against one shared B
   * is a single product with batch x m rows */
  int shared_b = 1;
  for (int d = 0; d < s.brank; d++) {
    if (s.bdims[d] == 1) continue;
    shared_b &= s.b_bs[d] == 0 && s.a_bs[d] != 0;
    p->bdims[p->brank] = s.bdims[d];
    p->a_bs[p->brank] = s.a_bs[d];
    p->b_bs[p->brank++] = s.b_bs[d];
  }
  if (shared_b && n->in[0]->rank > 1) {
    for (int d = 0; d < p->brank; d++) p->m *= p->bdims[d];
    p->brank = 0;
  }
  c->io[MLC_MATMUL_A] = n->in[0];
  c->io[MLC_MATMUL_B] = n->in[1];
  c->io[MLC_MATMUL_Y] = n->out[0];
  /* a constant B that every batch shares, packed for the target */
  int64_t mr, nr;
  lower_gemm_tile(L->target, p->m, &mr, &nr);
  const Value *b = n->in[1];
  int pack = !f64 && nr && b->data && p->brank == 0 && ir_numel(b) == p->k * p->n &&
             gemm_packs_b(g, p->m, p->n, p->k);
  if (!f64) c->io[MLC_MATMUL_SCRATCH] = lower_scratch(g, gemm_scratch(pack, p->m, p->n, p->k));
  if (pack) {
    c->io[MLC_MATMUL_B] = lower_packed(g, b, 1, p->n, p->k, 1, p->n, nr);
    p->packed_b = nr;
  }
  /* matmul_f64 ends at Y: it has no scratch slot */
  c->nio = f64 ? MLC_MATMUL_Y + 1 : MLC_MATMUL_NIO;
}

void gemm_dims(Graph *g, const Node *n, const Value *a, const Value *b, int64_t *m, int64_t *nn,
               int64_t *k) {
  if (a->rank != 2 || b->rank != 2)
    diag_node_fatal(n, "%s inputs A and B must be matrices (got rank %d and %d)", n->op_type,
                    a->rank, b->rank);
  int ta = attr_i(n, "transA", 0) != 0, tb = attr_i(n, "transB", 0) != 0;
  *m = a->dims[ta ? 1 : 0];
  *k = a->dims[ta ? 0 : 1];
  *nn = b->dims[tb ? 0 : 1];
  if (b->dims[tb ? 1 : 0] != *k)
    diag_node_fatal(n, "inner dimensions differ: A is %s%s and B is %s%s",
                    ir_shape_str(g->arena, a), ta ? " (transposed)" : "", ir_shape_str(g->arena, b),
                    tb ? " (transposed)" : "");
}

/* Gemm's m, n, k, and C's element strides when broadcast to m x n */
static void gemm_shape(Graph *g, const Node *n, int64_t *m, int64_t *nn, int64_t *k, int64_t *c_rs,
                       int64_t *c_cs) {
  const Value *a = n->in[0], *b = n->in[1], *c = n->nin > 2 ? n->in[2] : NULL;
  require_f32(n, a, "input A");
  require_f32(n, b, "input B");
  require_f32(n, c, "input C");
  gemm_dims(g, n, a, b, m, nn, k);
  *c_rs = *c_cs = 0;
  if (!c) return;
  /* C broadcasts to (m, n) from the right */
  int64_t cm = c->rank >= 2 ? c->dims[c->rank - 2] : 1;
  int64_t cn = c->rank >= 1 ? c->dims[c->rank - 1] : 1;
  if (c->rank > 2 || (cm != *m && cm != 1) || (cn != *nn && cn != 1))
    diag_node_fatal(n, "input C of shape %s cannot be broadcast to %lldx%lld",
                    ir_shape_str(g->arena, c), (long long)*m, (long long)*nn);
  *c_cs = cn == 1 ? 0 : 1;
  *c_rs = cm == 1 ? 0 : cn;
}

void infer_Gemm(Graph *g, Node *n) {
  int64_t d[2], k, rs, cs;
  gemm_shape(g, n, &d[0], &d[1], &k, &rs, &cs);
  set_shape_checked(n, n->out[0], 2, d);
  n->out[0]->dtype = DT_FLOAT;
}

void lower_Gemm(Graph *g, Node *n, Lowering *L) {
  KCall *c = lower_add(g, L, K_gemm_f32);
  MlcGemm *p = KC_PARAMS(c, MlcGemm);
  gemm_shape(g, n, &p->m, &p->n, &p->k, &p->c_rs, &p->c_cs);
  p->trans_a = attr_i(n, "transA", 0) != 0;
  p->trans_b = attr_i(n, "transB", 0) != 0;
  p->alpha = (float)attr_f(n, "alpha", 1.0);
  p->beta = (float)attr_f(n, "beta", 1.0);
  p->has_c = n->nin > 2 && n->in[2];
  p->act = MLC_ACT_NONE;
  c->io[MLC_GEMM_A] = n->in[0];
  c->io[MLC_GEMM_B] = n->in[1];
  c->io[MLC_GEMM_C] = p->has_c ? n->in[2] : NULL;
  c->io[MLC_GEMM_Y] = n->out[0];
  /* a constant B packed for the target (B^T's rows are B's columns) */
  int64_t mr, nr;
  lower_gemm_tile(L->target, p->m, &mr, &nr);
  const Value *b = n->in[1];
  int pack = nr && b->data && gemm_packs_b(g, p->m, p->n, p->k);
  c->io[MLC_GEMM_SCRATCH] = lower_scratch(g, gemm_scratch(pack, p->m, p->n, p->k));
  if (pack) {
    c->io[MLC_GEMM_B] =
        lower_packed(g, b, 1, p->n, p->k, p->trans_b ? p->k : 1, p->trans_b ? 1 : p->n, nr);
    p->packed_b = nr;
  }
  /* no residual slot: mlc.FusedGemm adds it */
  c->nio = MLC_GEMM_SCRATCH + 1;
}
