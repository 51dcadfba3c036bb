#include "model.h"

#include <stdio.h>
#include <string.h>

#include "diag.h"
#include "inline.h"
#include "onnx_io.h"
#include "tensor_io.h"
#include "txt.h"

static int ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && !strcmp(s + n - m, suffix);
}

int model_is_text(const char *path) {
  return ends_with(path, ".onnxtxt") || ends_with(path, ".txt");
}

Graph *model_load(Arena *a, const char *path) {
  diag_set_file(path);
  Graph *g = model_is_text(path) ? txt_load(a, path) : onnx_load(a, path);
  inline_functions(g);
  return g;
}

void model_save(const Graph *g, const char *path) {
  if (!model_is_text(path)) {
    onnx_save(g, path);
    return;
  }
  /* through a temporary, so a failure leaves no half-written file */
  txt_write(out_open(path, "w"), g);
  out_commit_all();
}
