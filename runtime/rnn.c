/* The recurrent kernel: ONNX's RNN, GRU and LSTM as one kernel, rnn_f32.
 *
 * The three cells share everything but their gate arithmetic: directions,
 * layouts, sequence lengths, clipping and the activation functions. For each
 * direction the input projection of every step is one GEMM up front (X times
 * W^T plus W's bias, for all seq * batch rows at once), then each step does
 * the recurrent product of the batch's hidden states with R^T (a thin GEMM:
 * dot products for small batches) and the cell's elementwise update. Both
 * products run on the runtime's SGEMM (mlc_rt_gemm_f32), called here with
 * pointers into the operands and a part of this kernel's scratch.
 *
 * The scratch (mlc_rt_rnn_scratch() floats) starts with the state: h as
 * [ndir, batch, hidden] and, for LSTM, c after it. The lowering copies the
 * initial states there (has_h0/has_c0; else this kernel zeroes them) and
 * copies the final ones out as Y_h and Y_c, in either layout, so this
 * kernel needs no more io slots than the eight a call has.
 *
 * Sequence lengths (int32, clamped to [0, seq]) end a batch row early: past
 * its end the row's state stops changing and Y holds zeros; in the reverse
 * direction the row runs from its own last step back to step 0. A row of
 * length 0 ends with zero states, as onnxruntime gives.
 */
#include <string.h>

#include "mlc_rt.h"

typedef struct Act {
  int64_t kind;
  float a, b;
} Act;

/* x = f(x) over n floats; the switch is outside the loops, which stay
 * simple enough to vectorize */
static void act_run(float *x, int64_t n, Act f) {
  float a = f.a, b = f.b;
  int64_t i;
  switch (f.kind) {
  case MLC_RNN_RELU:
    for (i = 0; i < n; i++) x[i] = x[i] > 0 ? x[i] : 0;
    break;
  case MLC_RNN_TANH:
    for (i = 0; i < n; i++) x[i] = tanhf(x[i]);
    break;
  case MLC_RNN_SIGMOID:
    for (i = 0; i < n; i++) x[i] = 1 / (1 + expf(-x[i]));
    break;
  case MLC_RNN_AFFINE:
    for (i = 0; i < n; i++) x[i] = a * x[i] + b;
    break;
  case MLC_RNN_LEAKYRELU:
    for (i = 0; i < n; i++) x[i] = x[i] >= 0 ? x[i] : a * x[i];
    break;
  case MLC_RNN_THRESHOLDEDRELU:
    for (i = 0; i < n; i++) x[i] = x[i] > a ? x[i] : 0;
    break;
  case MLC_RNN_SCALEDTANH:
    for (i = 0; i < n; i++) x[i] = a * tanhf(b * x[i]);
    break;
  case MLC_RNN_HARDSIGMOID:
    for (i = 0; i < n; i++) {
      float v = a * x[i] + b;
      x[i] = v < 0 ? 0 : v > 1 ? 1 : v;
    }
    break;
  case MLC_RNN_ELU:
    for (i = 0; i < n; i++) x[i] = x[i] >= 0 ? x[i] : a * (expf(x[i]) - 1);
    break;
  case MLC_RNN_SOFTSIGN:
    for (i = 0; i < n; i++) x[i] = x[i] / (1 + fabsf(x[i]));
    break;
  default: /* MLC_RNN_SOFTPLUS; log1p(exp) would overflow for large x */
    for (i = 0; i < n; i++) x[i] = x[i] > 20 ? x[i] : log1pf(expf(x[i]));
    break;
  }
}

/* the cell clip (clip > 0) of n pre-activations */
static void clip_run(float *g, int64_t n, float clip) {
  if (clip > 0)
    for (int64_t i = 0; i < n; i++) g[i] = g[i] < -clip ? -clip : g[i] > clip ? clip : g[i];
}

/* gates' pre-activations: g (R's product) += x (W's, with W's bias) + R's
 * bias, then the cell clip */
static void gate_sum(float *g, const float *x, const float *rb, int64_t n, float clip) {
  if (rb)
    for (int64_t i = 0; i < n; i++) g[i] += x[i] + rb[i];
  else
    for (int64_t i = 0; i < n; i++) g[i] += x[i];
  clip_run(g, n, clip);
}

/* y (m x n) = a (m x k, rows of k) times b^T, b (n x k, rows of k) read as
 * the transposed operand; bias: nothing, or n values added to each row */
static void gemm_nt(int64_t m, int64_t n, int64_t k, const float *a, const float *b,
                    const float *bias, float *y, float *scratch) {
  MlcGemm g;
  memset(&g, 0, sizeof g);
  g.m = m;
  g.n = n;
  g.k = k;
  g.trans_b = 1;
  g.alpha = 1;
  g.beta = 1;
  g.has_c = bias != NULL;
  g.c_cs = 1;
  g.act = MLC_ACT_NONE;
  {
    void *io[MLC_GEMM_NIO];
    io[MLC_GEMM_A] = (void *)a;
    io[MLC_GEMM_B] = (void *)b;
    io[MLC_GEMM_C] = (void *)bias;
    io[MLC_GEMM_Y] = y;
    io[MLC_GEMM_SCRATCH] = scratch;
    io[MLC_GEMM_RES] = NULL;
    mlc_rt_gemm_f32(&g, io);
  }
}

/* what one direction reads and keeps */
typedef struct Dir {
  const MlcRnn *p;
  int64_t h, gh;       /* hidden size, gates * hidden */
  const float *r, *rb; /* R [gh, h] and R's bias, or NULL */
  const float *peep;   /* LSTM's P [3h] (i, o, f), or NULL */
  float *hs, *cs;      /* state rows [batch, h] */
  float *gates, *aux;  /* per-step work: [batch, gh] and [batch, h] */
  float *gemm;         /* the SGEMM's scratch */
  Act f, g, hact;      /* the cell's activation functions */
  float clip;
  const int32_t *lens; /* sequence lengths, or NULL */
  int rev;             /* runs from the last step back */
} Dir;

/* one LSTM row: gates i, o, f, c; in place over g */
static void lstm_row(const Dir *d, float *g, const float *x, float *h, float *c) {
  int64_t n = d->h;
  float *gi = g, *go = g + n, *gf = g + 2 * n, *gc = g + 3 * n;
  const float *pi = d->peep, *po = pi ? pi + n : NULL, *pf = pi ? pi + 2 * n : NULL;
  int64_t j;
  gate_sum(g, x, d->rb, 4 * n, 0); /* clipped after the peepholes */
  if (pi)
    for (j = 0; j < n; j++) {
      gi[j] += pi[j] * c[j];
      gf[j] += pf[j] * c[j];
    }
  clip_run(gi, n, d->clip);
  act_run(gi, n, d->f);
  if (d->p->input_forget) {
    for (j = 0; j < n; j++) gf[j] = 1 - gi[j];
  } else {
    clip_run(gf, n, d->clip);
    act_run(gf, n, d->f);
  }
  clip_run(gc, n, d->clip);
  act_run(gc, n, d->g);
  for (j = 0; j < n; j++) c[j] = gf[j] * c[j] + gi[j] * gc[j];
  if (po)
    for (j = 0; j < n; j++) go[j] += po[j] * c[j];
  clip_run(go, n, d->clip);
  act_run(go, n, d->f);
  memcpy(gc, c, (size_t)n * sizeof *gc);
  act_run(gc, n, d->hact);
  for (j = 0; j < n; j++) h[j] = go[j] * gc[j];
}

/* the first half of a GRU row: gates z and r, in place over g */
static void gru_zr(const Dir *d, float *g, const float *x) {
  gate_sum(g, x, d->rb, 2 * d->h, d->clip);
  act_run(g, 2 * d->h, d->f);
}

/* the rest: hh (pre-activation, R's part included) and the new state */
static void gru_finish(const Dir *d, const float *z, float *hh, float *h) {
  clip_run(hh, d->h, d->clip);
  act_run(hh, d->h, d->g);
  for (int64_t j = 0; j < d->h; j++) h[j] = (1 - z[j]) * hh[j] + z[j] * h[j];
}

/* the time index of batch row b at step s of a direction; -1 once the row
 * has ended */
static int64_t time_of(const Dir *d, int64_t b, int64_t s) {
  const MlcRnn *p = d->p;
  int64_t len = !d->lens ? p->seq : d->lens[b] < 0 ? 0 : d->lens[b] > p->seq ? p->seq : d->lens[b];
  return s >= len ? -1 : d->rev ? len - 1 - s : s;
}

/* the input projection of batch row b at time t */
static const float *x_row(const Dir *d, const float *xw, int64_t b, int64_t t) {
  const MlcRnn *p = d->p;
  return xw + (p->layout ? b * p->seq + t : t * p->batch + b) * d->gh;
}

/* One step of one direction: the recurrent product, then each live row's
 * cell update and its Y row. */
static void step(const Dir *d, const float *xw, int64_t s, float *y, int64_t dir) {
  const MlcRnn *p = d->p;
  int64_t n = d->h, batch = p->batch, b;
  int gru_late = p->cell == MLC_RNN_CELL_GRU && !p->lbr; /* r multiplies h before R */
  int64_t first = gru_late ? 2 * n : d->gh;              /* R's rows in the first product */
  gemm_nt(batch, first, n, d->hs, d->r, NULL, d->gates, d->gemm);
  for (b = 0; b < batch; b++) {
    int64_t t = time_of(d, b, s);
    float *g = d->gates + b * first, *h = d->hs + b * n;
    const float *x;
    if (t < 0) {
      if (gru_late) memset(d->aux + b * n, 0, (size_t)n * sizeof *d->aux);
      continue;
    }
    x = x_row(d, xw, b, t);
    if (p->cell == MLC_RNN_CELL_LSTM) {
      lstm_row(d, g, x, h, d->cs + b * n);
    } else if (p->cell == MLC_RNN_CELL_RNN) {
      gate_sum(g, x, d->rb, n, d->clip);
      act_run(g, n, d->f);
      memcpy(h, g, (size_t)n * sizeof *h);
    } else if (!gru_late) {
      /* linear_before_reset: hh = x_h + r * (h R_h^T + Rb_h) */
      float *hh = g + 2 * n;
      const float *rbh = d->rb ? d->rb + 2 * n : NULL;
      gru_zr(d, g, x);
      for (int64_t j = 0; j < n; j++)
        hh[j] = x[2 * n + j] + g[n + j] * (hh[j] + (rbh ? rbh[j] : 0));
      gru_finish(d, g, hh, h);
    } else {
      float *rh = d->aux + b * n;
      gru_zr(d, g, x);
      for (int64_t j = 0; j < n; j++) rh[j] = g[n + j] * h[j];
    }
  }
  if (gru_late) {
    /* hh = x_h + (r * h) R_h^T + Rb_h, once every live row has its r */
    float *hhs = d->gates + batch * first;
    gemm_nt(batch, n, n, d->aux, d->r + 2 * n * n, NULL, hhs, d->gemm);
    for (b = 0; b < batch; b++) {
      int64_t t = time_of(d, b, s);
      float *hh = hhs + b * n;
      if (t < 0) continue;
      gate_sum(hh, x_row(d, xw, b, t) + 2 * n, d->rb ? d->rb + 2 * n : NULL, n, 0);
      gru_finish(d, d->gates + b * first, hh, d->hs + b * n);
    }
  }
  if (!y) return;
  for (b = 0; b < batch; b++) {
    int64_t t = time_of(d, b, s);
    if (t < 0) continue;
    memcpy(y + (p->layout ? (b * p->seq + t) * p->ndir + dir : (t * p->ndir + dir) * batch + b) * n,
           d->hs + b * n, (size_t)n * sizeof *y);
  }
}

static Act act_of(const MlcRnn *p, int64_t i) {
  Act a;
  a.kind = p->act[i];
  a.a = (float)p->alpha[i];
  a.b = (float)p->beta[i];
  return a;
}

void mlc_rt_rnn_f32(const void *params, void *const *io) {
  const MlcRnn *p = (const MlcRnn *)params;
  const float *x = (const float *)io[MLC_RNN_X], *w = (const float *)io[MLC_RNN_W];
  const float *r = (const float *)io[MLC_RNN_R];
  const float *bias = (const float *)io[MLC_RNN_B], *peep = (const float *)io[MLC_RNN_P];
  const int32_t *lens = (const int32_t *)io[MLC_RNN_LENS];
  float *y = (float *)io[MLC_RNN_Y], *scratch = (float *)io[MLC_RNN_SCRATCH];
  int64_t n = p->hidden, batch = p->batch, seq = p->seq;
  int64_t ngates = p->cell == MLC_RNN_CELL_LSTM ? 4 : p->cell == MLC_RNN_CELL_GRU ? 3 : 1;
  int64_t gh = ngates * n, nact = p->cell == MLC_RNN_CELL_LSTM  ? 3
                                  : p->cell == MLC_RNN_CELL_GRU ? 2
                                                                : 1;
  int64_t state = p->ndir * batch * n, b;
  float *cstate = scratch + state;
  float *xw = cstate + (p->cell == MLC_RNN_CELL_LSTM ? state : 0);
  float *gates = xw + seq * batch * gh, *aux = gates + batch * gh, *gemm = aux + batch * n;
  if (!p->has_h0) memset(scratch, 0, (size_t)state * sizeof *scratch);
  if (p->cell == MLC_RNN_CELL_LSTM && !p->has_c0) memset(cstate, 0, (size_t)state * sizeof *cstate);
  for (b = 0; lens && b < batch; b++)
    if (lens[b] <= 0)
      for (int64_t d = 0; d < p->ndir; d++) {
        memset(scratch + (d * batch + b) * n, 0, (size_t)n * sizeof *scratch);
        if (p->cell == MLC_RNN_CELL_LSTM)
          memset(cstate + (d * batch + b) * n, 0, (size_t)n * sizeof *cstate);
      }
  if (y && lens) memset(y, 0, (size_t)(seq * p->ndir * batch * n) * sizeof *y);
  for (int64_t d = 0; d < p->ndir; d++) {
    Dir dr;
    const float *bd = p->has_b ? bias + d * 2 * gh : NULL;
    dr.p = p;
    dr.h = n;
    dr.gh = gh;
    dr.r = r + d * gh * n;
    dr.rb = bd ? bd + gh : NULL;
    dr.peep = p->has_p ? peep + d * 3 * n : NULL;
    dr.hs = scratch + d * batch * n;
    dr.cs = cstate + d * batch * n;
    dr.gates = gates;
    dr.aux = aux;
    dr.gemm = gemm;
    dr.f = act_of(p, d * nact);
    dr.g = act_of(p, d * nact + (nact > 1));
    dr.hact = act_of(p, d * nact + (nact > 2 ? 2 : 0));
    dr.clip = (float)p->clip;
    dr.lens = lens;
    dr.rev = p->ndir == 2 ? d == 1 : p->reverse != 0;
    /* X is [seq * batch, input] rows in either layout */
    gemm_nt(seq * batch, gh, p->input, x, w + d * gh * p->input, bd, xw, gemm);
    for (int64_t s = 0; s < seq; s++) step(&dr, xw, s, y, d);
  }
}
