#include "driver.h"

#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "emitc.h"
#include "emitcu.h"
#include "model.h"
#include "tensor_io.h"

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

/* --target=native: the widest target the machine running mlc has */
static TargetIsa native_target(void) {
#if defined(__x86_64__) && defined(__GNUC__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) return TARGET_X86_64_V4;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return TARGET_X86_64_V3;
  return TARGET_GENERIC;
#elif defined(__aarch64__)
  return TARGET_AARCH64;
#else
  return TARGET_GENERIC;
#endif
}

TargetIsa driver_target(const char *name) {
  if (!strcmp(name, "native")) return native_target();
  char names[256] = "";
  for (int t = 0; emitc_target_name(t); t++) {
    if (!strcmp(name, emitc_target_name(t))) return (TargetIsa)t;
    strcat(strcat(names, emitc_target_name(t)), ", ");
  }
  diag_fatal("--target must be one of %snative (the widest this machine runs), not '%s'", names,
             name);
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

/* the CUDA backend: its checks before any file is opened, then model.cu,
 * model.h and model.weights */
static void emit_cuda(Plan *p, const CompileOptions *o, const char *cu_path) {
  Arena *a = p->g->arena;
  if (o->weights == WEIGHTS_INLINE)
    diag_fatal(
        "--target=cuda keeps the weights in a file, which init uploads: --weights=inline "
        "is for the C backend");
  if (o->profile) diag_fatal("--profile is for the C backend: --target=cuda has no profile yet");
  emitcu_check(p);
  char *h_path = path_with_ext(a, cu_path, ".h");
  char *w_path = path_with_ext(a, cu_path, ".weights");
  EmitOptions eo = {o->prefix,
                    path_base(h_path),
                    path_base(w_path),
                    path_base(p->g->file ? p->g->file : "model"),
                    0,
                    o->tf32,
                    NULL,
                    0};
  FILE *c = out_open(cu_path, "w");
  FILE *h = out_open(h_path, "w");
  FILE *w = out_open(w_path, "wb");
  emitcu_write(p, &eo, c, h, w);
}

EmitOptions driver_emit_options(Plan *p, const CompileOptions *o, const char *c_path,
                                int *to_file) {
  Arena *a = p->g->arena;
  *to_file = o->weights == WEIGHTS_FILE ||
             (o->weights == WEIGHTS_AUTO && emitc_const_bytes(p) > EMITC_INLINE_MAX_BYTES);
  EmitDim *dims = arena_array(a, (size_t)o->nranges + 1, sizeof *dims);
  for (int i = 0; i < o->nranges; i++)
    dims[i] =
        (EmitDim){o->ranges[i].name, arena_printf(a, "dim_%s", emitc_mangle(a, o->ranges[i].name)),
                  o->ranges[i].lo, o->ranges[i].hi};
  EmitOptions eo = {o->prefix,
                    path_base(path_with_ext(a, c_path, ".h")),
                    *to_file ? path_base(path_with_ext(a, c_path, ".weights")) : NULL,
                    path_base(p->g->file ? p->g->file : "model"),
                    o->profile,
                    0,
                    dims,
                    o->nranges};
  return eo;
}

int driver_emit(Plan *p, const CompileOptions *o, const char *c_path) {
  Arena *a = p->g->arena;
  if (ir_target(p->g) == TARGET_CUDA) {
    emit_cuda(p, o, c_path);
    return 1;
  }
  int to_file;
  EmitOptions eo = driver_emit_options(p, o, c_path, &to_file);
  FILE *c = out_open(c_path, "w");
  FILE *h = out_open(path_with_ext(a, c_path, ".h"), "w");
  FILE *w = to_file ? out_open(path_with_ext(a, c_path, ".weights"), "wb") : NULL;
  emitc_write(p, &eo, c, h, w);
  return to_file;
}

void driver_push_dim(Arena *a, CompileOptions *co, const char *spec) {
  Bindings *b = &co->bind;
  const char *eq = strrchr(spec, '=');
  char *end;
  if (!eq || eq == spec) diag_fatal("--dim expects SYM=N or SYM=LO..HI, got '%s'", spec);
  long long lo = strtoll(eq + 1, &end, 10), v = lo;
  int range = end != eq + 1 && !strncmp(end, "..", 2);
  if (range) {
    const char *h = end + 2;
    v = strtoll(h, &end, 10);
    if (*end || end == h || lo < 1 || v < lo)
      diag_fatal("--dim %s: a range is LO..HI with 1 <= LO <= HI", spec);
    if (lo == v) range = 0;
  } else if (*end || end == eq + 1 || v < 0) {
    diag_fatal("--dim %s: N must be a number >= 0 (or a range LO..HI)", spec);
  }
  size_t len = (size_t)(eq - spec);
  for (int i = 0; i < b->ndims; i++) {
    if (strlen(b->dims[i].name) != len || strncmp(b->dims[i].name, spec, len)) continue;
    int64_t was_lo = b->dims[i].value;
    for (int k = 0; k < co->nranges; k++)
      if (!strcmp(co->ranges[k].name, b->dims[i].name)) was_lo = co->ranges[k].lo;
    if (was_lo == (range ? lo : v) && b->dims[i].value == v) return; /* the same again */
    diag_fatal("--dim %s: '%s' is bound twice (%s and %s)", spec, b->dims[i].name,
               arena_printf(a, was_lo == b->dims[i].value ? "%lld" : "%lld..%lld",
                            (long long)was_lo, (long long)b->dims[i].value),
               eq + 1);
  }
  size_t cap = (size_t)b->ndims;
  const char *name = arena_strndup(a, spec, len);
  b->dims = arena_grow(a, b->dims, &cap, (size_t)b->ndims + 1, sizeof *b->dims);
  b->dims[b->ndims++] = (DimBind){name, v};
  if (!range) return;
  cap = (size_t)co->nranges;
  co->ranges = arena_grow(a, co->ranges, &cap, (size_t)co->nranges + 1, sizeof *co->ranges);
  co->ranges[co->nranges++] = (DimRange){name, lo, v};
}

const char *driver_flag_value(int argc, char **argv, int *i, const char *flag) {
  size_t n = strlen(flag);
  if (!strncmp(argv[*i], flag, n) && argv[*i][n] == '=') return argv[*i] + n + 1;
  if (!strcmp(argv[*i], flag)) {
    if (*i + 1 >= argc) diag_fatal("%s needs a value", flag);
    return argv[++*i];
  }
  return NULL;
}
