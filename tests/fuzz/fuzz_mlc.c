/* libFuzzer target: untrusted bytes through every stage of `mlc compile`.
 *
 * One source, two targets: FUZZ_TEXT=0 feeds the ONNX protobuf reader,
 * FUZZ_TEXT=1 the text form. After the front end the input takes the path of
 * a compile: the text writer (whose output must read back), symbolic dims
 * bound to 2, shape inference with constant folding, the pass pipeline (with
 * ir_check between passes), the memory plan and the C backend (source,
 * header, weights blob and test harness, printed to /dev/null). Small graphs
 * also run in the interpreter on inputs filled with a byte pattern, so the
 * kernels meet garbage indices and NaNs the way a product would.
 *
 * Errors unwind to this function's diagnostics scope, as they do in the CLI;
 * a quiet scope keeps stderr clean. Any signal, sanitizer report, leak or
 * libFuzzer timeout/OOM is a bug: a model must be compiled or refused.
 *
 * Built with -DMLC_FUZZ=ON (clang), or with FUZZ_REPLAY as a plain program
 * that runs the files named on its command line once each (the committed
 * corpus in every ctest run, no libFuzzer needed). See README, Robustness. */
#define _POSIX_C_SOURCE 200809L /* open_memstream */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "driver.h"
#include "emitc.h"
#include "interp.h"
#include "onnx_io.h"
#include "txt.h"

#ifndef FUZZ_TEXT
#define FUZZ_TEXT 0
#endif

/* the interpreter runs a graph only below these: fuzz inputs are small, and a
 * legitimately big model would only make the run slow */
#define FUZZ_INTERP_MAX_BYTES ((size_t)32 << 20)
#define FUZZ_INTERP_MAX_FLOPS 1e7

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* every dim the model leaves open becomes 2, so inference gets past binding */
static void bind_open_dims(Graph *g) {
  for (int i = 0; i < g->ninputs; i++) {
    Value *v = g->inputs[i];
    for (int d = 0; d < v->rank; d++)
      if (v->dim_param[d] || v->dims[d] < 0) {
        v->dims[d] = 2;
        v->dim_param[d] = NULL;
      }
  }
}

/* operations of one call: kcall_flops, which leaves pooling out (a window
 * of 2000 over 200000 outputs is legal and slow), plus the window's work */
static double call_cost(const KCall *c) {
  double f = (double)kcall_flops(c);
  if (c->kernel == K_pool_f32 || c->kernel == K_pool_u8 || c->kernel == K_pool_i8) {
    const MlcPool *q = (const MlcPool *)(const void *)c->params;
    double w = (double)q->n * (double)q->c;
    for (int i = 0; i < q->nsp && i < MLC_RT_MAX_SP; i++)
      w *= (double)q->out_sp[i] * (double)q->k[i];
    f += w;
  }
  return f;
}

static int small_enough(const Plan *p) {
  const Graph *g = p->g;
  size_t bytes = 0;
  double flops = 0;
  for (int i = 0; i < g->nvalues; i++) {
    if (g->values[i]->rank < 0) continue;
    bytes += ir_nbytes(g->values[i]);
    if (bytes > FUZZ_INTERP_MAX_BYTES) return 0;
  }
  for (int s = 0; s < p->nsteps; s++)
    for (int c = 0; c < p->steps[s].ncalls; c++) {
      flops += call_cost(&p->steps[s].calls[c]);
      if (flops > FUZZ_INTERP_MAX_FLOPS) return 0;
    }
  return 1;
}

static void run_interp(Graph *g) {
  Tensor **ins = arena_array(g->arena, (size_t)g->ninputs + 1, sizeof *ins);
  Tensor **outs = arena_array(g->arena, (size_t)g->noutputs + 1, sizeof *outs);
  for (int i = 0; i < g->ninputs; i++) {
    Value *v = g->inputs[i];
    Tensor *t = arena_alloc(g->arena, sizeof *t);
    t->name = v->name;
    t->dtype = v->dtype;
    t->rank = v->rank;
    memcpy(t->dims, v->dims, sizeof t->dims);
    t->nbytes = ir_nbytes(v);
    unsigned char *b = arena_alloc(g->arena, t->nbytes + 1);
    if (v->dtype == DT_STRING) {
      /* string elements are pointers: a few real strings, in turn */
      static const char *const words[] = {"", "a", "Monday", "x,y;;z", "\xc3\x89t\xc3\xa9 "};
      const char **e = (const char **)(void *)b;
      for (size_t k = 0; k < t->nbytes / sizeof *e; k++)
        e[k] = words[(k + (size_t)i) % (sizeof words / sizeof *words)];
    } else {
      for (size_t k = 0; k < t->nbytes; k++) b[k] = (unsigned char)(k * 37 + (size_t)i * 11);
    }
    t->data = b;
    ins[i] = t;
  }
  interp_run(g, ins, outs);
}

/* Whatever the front end accepted, the text writer must print so that the
 * reader takes it back: a failure is a bug of one of them, so it aborts. */
static void check_text_round_trip(Arena *a, const Graph *g) {
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  if (!f) abort();
  txt_write(f, g);
  if (fclose(f)) abort();
  DiagScope scope = {0};
  scope.quiet = 1;
  if (!setjmp(scope.jb)) {
    diag_enter(&scope);
    txt_parse(a, text, len, "round-trip.onnxtxt");
    diag_leave(&scope);
    free(text);
    return;
  }
  fprintf(stderr, "the text form of an accepted model does not read back: %s\n%s\n", scope.text,
          text);
  abort();
}

/* the last input's error, for the replay program's report */
static char last_error[sizeof(((DiagScope *)0)->text)];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static FILE *sink;
  if (!sink && !(sink = fopen("/dev/null", "w"))) abort();
  Arena *a = arena_new();
  DiagScope scope = {0};
  scope.quiet = 1;
  if (!setjmp(scope.jb)) {
    diag_enter(&scope);
#if FUZZ_TEXT
    Graph *g = txt_parse(a, (const char *)data, size, "fuzz.onnxtxt");
#else
    diag_set_file("fuzz.onnx");
    Graph *g = onnx_load_bytes(a, data, size, NULL);
#endif
    check_text_round_trip(a, g);
    bind_open_dims(g);
    infer_bind(g, NULL);
    infer_graph(g);
    PassOptions po = {.opt_level = 2, .check = 1};
    Plan *p = driver_plan(g, &po);
    EmitOptions eo = {"model", "model.h", NULL, "fuzz"};
    emitc_write(p, &eo, sink, sink, NULL);
    eo.weights_name = "model.weights";
    emitc_write(p, &eo, sink, sink, sink);
    emitc_harness(p, &eo, sink);
    if (small_enough(p)) run_interp(g);
    diag_leave(&scope);
  }
  memcpy(last_error, scope.text, sizeof last_error);
  out_abort_all();
  arena_free(a);
  return 0;
}

#ifdef FUZZ_REPLAY
/* each file once; exit status 0 when every one was compiled or refused.
 * -v prints what became of each. */
int main(int argc, char **argv) {
  int verbose = argc > 1 && !strcmp(argv[1], "-v");
  for (int i = 1 + verbose; i < argc; i++) {
    size_t len = 0;
    unsigned char *buf = NULL;
    FILE *f = fopen(argv[i], "rb");
    if (f) {
      fseek(f, 0, SEEK_END);
      long n = ftell(f);
      fseek(f, 0, SEEK_SET);
      buf = malloc(n > 0 ? (size_t)n : 1);
      len = buf && n > 0 ? fread(buf, 1, (size_t)n, f) : 0;
      fclose(f);
    }
    if (!buf) {
      fprintf(stderr, "%s: cannot read %s\n", argv[0], argv[i]);
      return 2;
    }
    LLVMFuzzerTestOneInput(buf, len);
    free(buf);
    if (verbose) printf("%s: %s\n", argv[i], *last_error ? last_error : "compiled");
  }
  printf("%d inputs replayed\n", argc - 1 - verbose);
  return 0;
}
#endif
