/* Signal processing: the windows (HannWindow, HammingWindow,
 * BlackmanWindow), MelWeightMatrix, DFT and STFT.
 *
 * The windows and the mel matrix depend on their scalar inputs only, and
 * those decide the output shape, so they must be known at compile time:
 * inference computes the result (in double, converted to output_datatype
 * by the runtime's cast) and nothing runs in the product.
 *
 * DFT and STFT lower to one kernel, dft_f32, which transforms lines that
 * the lowering describes by strides: the lines along an axis for DFT, the
 * overlapping frames of each signal for STFT. Its scratch holds the
 * twiddle table and one gathered line, in double.
 */
#include <math.h>
#include <string.h>

#include "diag.h"
#include "infer.h"
#include "ops.h"

/* the largest window or mel matrix computed at compile time */
#define SIGNAL_MAX_ELEMS ((int64_t)1 << 22)

/* a scalar input that must be known at compile time */
static double const_scalar(const Node *n, int i, int integer) {
  const Value *v = n->in[i];
  if (ir_numel(v) != 1 || v->rank > 1)
    diag_node_fatal(n, "input %d ('%s') must be a scalar", i, v->name);
  if (integer && v->dtype != DT_INT32 && v->dtype != DT_INT64)
    diag_node_fatal(n, "input %d ('%s') must be int32 or int64", i, v->name);
  if (!integer && !dtype_is_float(v->dtype))
    diag_node_fatal(n, "input %d ('%s') must be a float", i, v->name);
  if (!v->data) infer_need_const(n, v);
  if (integer) return (double)ir_data_i64(v, 0);
  MlcCast p = {1, v->dtype, DT_DOUBLE, 0};
  double d;
  void *io[MLC_CAST_NIO] = {[MLC_CAST_X] = v->data, [MLC_CAST_Y] = &d};
  mlc_rt_cast(&p, io);
  return d;
}

/* output 0 of type output_datatype (default float) and shape dims, filled
 * from vals */
static void set_result(Graph *g, Node *n, int rank, const int64_t *dims, const double *vals) {
  Value *y = n->out[0];
  int64_t t = attr_i(n, "output_datatype", DT_FLOAT);
  switch (t) {
  case DT_FLOAT:
  case DT_DOUBLE:
  case DT_FLOAT16:
  case DT_BFLOAT16:
  case DT_INT8:
  case DT_INT16:
  case DT_INT32:
  case DT_INT64:
  case DT_UINT8:
  case DT_UINT16:
  case DT_UINT32:
  case DT_UINT64: break;
  default: diag_node_fatal(n, "output_datatype %lld is not a numeric type", (long long)t);
  }
  y->dtype = (DType)t;
  set_shape_checked(n, y, rank, dims);
  MlcCast p = {ir_numel(y), DT_DOUBLE, t, 0};
  void *io[MLC_CAST_NIO] = {[MLC_CAST_X] = (void *)vals, [MLC_CAST_Y] = ir_alloc_data(g, y)};
  mlc_rt_cast(&p, io);
}

static int64_t checked_count(const Node *n, double x, const char *what) {
  if (!(x >= 0) || x > (double)SIGNAL_MAX_ELEMS)
    diag_node_fatal(n, "%s is %g; it must be between 0 and %lld", what, x,
                    (long long)SIGNAL_MAX_ELEMS);
  return (int64_t)x;
}

/* ---- windows and the mel matrix ------------------------------------------- */

void infer_Window(Graph *g, Node *n) {
  int64_t size = checked_count(n, const_scalar(n, 0, 1), "size");
  int64_t periodic = attr_i(n, "periodic", 1);
  double *w = arena_array(g->arena, (size_t)size + 1, sizeof *w);
  /* the period: size, or size - 1 for a symmetric window (a lone point is 1) */
  double N = periodic ? (double)size : (double)(size > 1 ? size - 1 : 1);
  const double pi = 3.14159265358979323846;
  for (int64_t i = 0; i < size; i++) {
    double c1 = cos(2 * pi * (double)i / N), c2 = cos(4 * pi * (double)i / N);
    if (n->op == OP_HannWindow)
      w[i] = 0.5 - 0.5 * c1;
    else if (n->op == OP_HammingWindow)
      w[i] = 25.0 / 46.0 - (1 - 25.0 / 46.0) * c1;
    else
      w[i] = 0.42 - 0.5 * c1 + 0.08 * c2;
  }
  set_result(g, n, 1, &size, w);
}

/* frequency to mel in float, as the ONNX definition's float32 inputs
 * compute it, then to double */
static double to_mel(double hz) {
  float f = 2595.0f * log1pf((float)hz / 700.0f);
  return (double)f / log(10.0);
}

/* out[j, i] = v; points outside the spectrum are dropped */
static void mel_put(double *out, int64_t bins, int64_t mels, int64_t j, int64_t i, double v) {
  if (j >= 0 && j < bins) out[j * mels + i] = v;
}

void infer_MelWeightMatrix(Graph *g, Node *n) {
  int64_t mels = checked_count(n, const_scalar(n, 0, 1), "num_mel_bins");
  int64_t dft = checked_count(n, const_scalar(n, 1, 1), "dft_length");
  double rate = const_scalar(n, 2, 1), lo = const_scalar(n, 3, 0);
  double hi = const_scalar(n, 4, 0);
  if (!(rate > 0)) diag_node_fatal(n, "sample_rate must be positive");
  int64_t bins = dft / 2 + 1, dims[2] = {bins, mels};
  if (mels && bins > SIGNAL_MAX_ELEMS / mels)
    diag_node_fatal(n, "the mel weight matrix would be too large");
  double *out = arena_array(g->arena, (size_t)(bins * mels) + 1, sizeof *out);
  int64_t *f = arena_array(g->arena, (size_t)mels + 2, sizeof *f);
  double lmel = to_mel(lo), step = (to_mel(hi) - lmel) / (double)(mels + 2);
  for (int64_t i = 0; i < mels + 2; i++) {
    double hz = 700 * expm1(((double)i * step + lmel) / 2595 * log(10.0));
    f[i] = (int64_t)floor((double)(dft + 1) * hz / rate);
  }
  memset(out, 0, (size_t)(bins * mels) * sizeof *out);
  /* triangles from f[i] up to f[i + 1] and down to f[i + 2] */
  for (int64_t i = 0; i < mels; i++) {
    int64_t l = f[i], c = f[i + 1], h = f[i + 2];
    if (c == l) mel_put(out, bins, mels, c, i, 1);
    for (int64_t j = l; c != l && j <= c; j++)
      mel_put(out, bins, mels, j, i, (double)(j - l) / (double)(c - l));
    for (int64_t j = c; h > c && j < h; j++)
      mel_put(out, bins, mels, j, i, (double)(h - j) / (double)(h - c));
  }
  set_result(g, n, 2, dims, out);
}

/* ---- DFT and STFT ------------------------------------------------------------ */

/* the transform length: input `i` if given (a positive constant), else def */
static int64_t dft_length(const Node *n, int i, int64_t def) {
  if (!op_input(n, i)) return def;
  int64_t k = (int64_t)const_scalar(n, i, 1);
  if (k < 1 || k > SIGNAL_MAX_ELEMS)
    diag_node_fatal(n, "the DFT length is %lld; it must be between 1 and %lld", (long long)k,
                    (long long)SIGNAL_MAX_ELEMS);
  return k;
}

static int64_t bool_attr(const Node *n, const char *name) {
  int64_t v = attr_i(n, name, 0);
  if (v != 0 && v != 1) diag_node_fatal(n, "%s is %lld; it must be 0 or 1", name, (long long)v);
  return v;
}

/* DFT: kernel params (io strides included) and the output dims */
static void dft_desc(const Node *n, MlcDft *p, int64_t *dims) {
  const Value *x = n->in[0];
  require_float(n, x, "input");
  int r = x->rank;
  if (r < 2 || (x->dims[r - 1] != 1 && x->dims[r - 1] != 2))
    diag_node_fatal(n, "the input must end in a dim of 1 (real) or 2 (complex)");
  int64_t axis = n->opset >= 20 ? -2 : attr_i(n, "axis", 1);
  if (n->opset >= 20 && op_input(n, 2)) axis = (int64_t)const_scalar(n, 2, 1);
  int ax = norm_axis(n, axis, r);
  if (ax == r - 1) diag_node_fatal(n, "the axis cannot be the last (real/imaginary) dim");
  memset(p, 0, sizeof *p);
  p->inverse = bool_attr(n, "inverse");
  p->onesided = bool_attr(n, "onesided");
  p->len = x->dims[ax];
  p->n = dft_length(n, 1, p->inverse && p->onesided ? 2 * (p->len - 1) : p->len);
  if (p->n < 1) diag_node_fatal(n, "the DFT length must be positive");
  p->in_c = x->dims[r - 1];
  p->out_c = p->inverse && p->onesided ? 1 : 2;
  p->out_len = !p->inverse && p->onesided ? p->n / 2 + 1 : p->n;
  p->na = p->nb = 1;
  for (int d = 0; d < r - 1; d++) {
    if (d < ax) p->na *= x->dims[d];
    if (d > ax) p->nb *= x->dims[d];
    dims[d] = d == ax ? p->out_len : x->dims[d];
  }
  dims[r - 1] = p->out_c;
  p->x_es = p->nb * p->in_c;
  p->x_ls[0] = p->len * p->x_es;
  p->x_ls[1] = p->in_c;
  p->y_es = p->nb * p->out_c;
  p->y_ls[0] = p->out_len * p->y_es;
  p->y_ls[1] = p->out_c;
}

/* STFT: kernel params and the output dims [batch, frames, bins, 2] */
static void stft_desc(Graph *g, const Node *n, MlcDft *p, int64_t *dims) {
  const Value *x = n->in[0], *w = op_input(n, 2);
  require_float(n, x, "signal");
  if (x->rank != 3 || (x->dims[2] != 1 && x->dims[2] != 2))
    diag_node_fatal(n, "the signal must be [batch, length, 1 or 2], not %s",
                    ir_shape_str(g->arena, x));
  int64_t step = (int64_t)const_scalar(n, 1, 1), len = x->dims[1];
  if (w && (w->rank != 1 || w->dtype != x->dtype))
    diag_node_fatal(n, "the window must be 1-D of the signal's type");
  memset(p, 0, sizeof *p);
  p->n = dft_length(n, 3, w ? w->dims[0] : len);
  if (w && w->dims[0] != p->n)
    diag_node_fatal(n, "the window has %lld values but frame_length is %lld", (long long)w->dims[0],
                    (long long)p->n);
  if (step < 1) diag_node_fatal(n, "frame_step must be positive");
  if (p->n > len)
    diag_node_fatal(n, "frames of %lld do not fit the signal of %lld", (long long)p->n,
                    (long long)len);
  p->onesided = attr_i(n, "onesided", 1) != 0;
  p->na = x->dims[0];
  p->nb = 1 + (len - p->n) / step;
  p->len = p->n;
  p->in_c = x->dims[2];
  p->out_c = 2;
  p->out_len = p->onesided ? p->n / 2 + 1 : p->n;
  p->x_es = p->in_c;
  p->x_ls[0] = len * p->in_c;
  p->x_ls[1] = step * p->in_c;
  p->y_es = 2;
  p->y_ls[1] = p->out_len * 2;
  p->y_ls[0] = p->nb * p->y_ls[1];
  dims[0] = p->na;
  dims[1] = p->nb;
  dims[2] = p->out_len;
  dims[3] = 2;
}

static void signal_desc(Graph *g, const Node *n, MlcDft *p, int64_t *dims) {
  if (n->op == OP_DFT)
    dft_desc(n, p, dims);
  else
    stft_desc(g, n, p, dims);
}

void infer_Fourier(Graph *g, Node *n) {
  MlcDft p;
  int64_t dims[IR_MAX_RANK];
  signal_desc(g, n, &p, dims);
  n->out[0]->dtype = n->in[0]->dtype;
  set_shape_checked(n, n->out[0], n->op == OP_DFT ? n->in[0]->rank : 4, dims);
}

void lower_Fourier(Graph *g, Node *n, Lowering *L) {
  MlcDft d;
  int64_t dims[IR_MAX_RANK];
  signal_desc(g, n, &d, dims);
  Value *x = lower_as_type(g, L, n->in[0], DT_FLOAT), *y = lower_out_as(g, n->out[0], DT_FLOAT);
  Value *w = n->op == OP_STFT ? lower_as_type(g, L, op_input(n, 2), DT_FLOAT) : NULL;
  int64_t scratch = 4 * d.n;
  KCall *c = lower_add(g, L, K_dft_f32);
  *KC_PARAMS(c, MlcDft) = d;
  c->io[MLC_DFT_X] = x;
  c->io[MLC_DFT_WINDOW] = w;
  c->io[MLC_DFT_Y] = y;
  c->io[MLC_DFT_SCRATCH] = lower_temp(g, DT_DOUBLE, 1, &scratch);
  c->nio = MLC_DFT_NIO;
  lower_finish(g, L, y, n->out[0]);
}
