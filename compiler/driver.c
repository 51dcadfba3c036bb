#include "driver.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"
#include "emitc.h"
#include "model.h"

Graph *driver_prepare(Arena *a, const char *path, const Bindings *b) {
  Graph *g = model_load(a, path);
  infer_bind(g, b);
  infer_graph(g);
  return g;
}

Plan *driver_plan(Graph *g, const PassOptions *o) {
  passes_run(g, o);
  return plan_build(g);
}

char *path_with_ext(Arena *a, const char *path, const char *ext) {
  const char *slash = strrchr(path, '/');
  const char *dot = strrchr(path, '.');
  size_t n = dot && (!slash || dot > slash) ? (size_t)(dot - path) : strlen(path);
  return arena_printf(a, "%.*s%s", (int)n, path, ext);
}

const char *path_base(const char *path) {
  const char *slash = strrchr(path, '/');
  return slash ? slash + 1 : path;
}

int driver_emit(Plan *p, const CompileOptions *o, const char *c_path) {
  Arena *a = p->g->arena;
  char *h_path = path_with_ext(a, c_path, ".h");
  char *w_path = path_with_ext(a, c_path, ".weights");
  int to_file = o->weights == WEIGHTS_FILE ||
                (o->weights == WEIGHTS_AUTO && emitc_const_bytes(p) > EMITC_INLINE_MAX_BYTES);
  EmitOptions eo = {o->prefix, path_base(h_path), to_file ? path_base(w_path) : NULL,
                    path_base(p->g->file ? p->g->file : "model")};
  FILE *c = out_open(c_path, "w");
  FILE *h = out_open(h_path, "w");
  FILE *w = to_file ? out_open(w_path, "wb") : NULL;
  emitc_write(p, &eo, c, h, w);
  return to_file;
}

/* ---- all-or-nothing output files ---------------------------------------------- */

typedef struct OutFile {
  char *path, *tmp;
  FILE *f;
} OutFile;

static OutFile outs[8];
static int nouts;

FILE *out_open(const char *path, const char *mode) {
  if (nouts == (int)(sizeof outs / sizeof *outs)) diag_fatal("too many output files");
  size_t n = strlen(path) + 32;
  char *tmp = malloc(n);
  char *p = strdup(path);
  if (!tmp || !p) diag_oom();
  snprintf(tmp, n, "%s.tmp-%ld", path, (long)getpid());
  FILE *f = fopen(tmp, mode);
  if (!f) {
    free(tmp);
    free(p);
    diag_fatal("cannot write '%s'", path);
  }
  outs[nouts++] = (OutFile){p, tmp, f};
  return f;
}

static void release(int i) {
  free(outs[i].path);
  free(outs[i].tmp);
}

void out_commit_all(void) {
  int ok = 1;
  for (int i = 0; i < nouts; i++) ok &= fclose(outs[i].f) == 0;
  for (int i = 0; i < nouts && ok; i++) ok &= rename(outs[i].tmp, outs[i].path) == 0;
  if (!ok) {
    const char *bad = nouts ? outs[0].path : "";
    for (int i = 0; i < nouts; i++) {
      remove(outs[i].tmp);
      release(i);
    }
    nouts = 0;
    diag_fatal("cannot write '%s'", bad);
  }
  for (int i = 0; i < nouts; i++) release(i);
  nouts = 0;
}

void out_abort_all(void) {
  for (int i = 0; i < nouts; i++) {
    fclose(outs[i].f);
    remove(outs[i].tmp);
    release(i);
  }
  nouts = 0;
}
