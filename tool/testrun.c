/* `mlc test`: ONNX backend-test directories through both the interpreter and
 * the generated C.
 *
 * Each test runs in a child process (a kernel bug must not take the run
 * down, and -j runs several at once) with a time limit. The child reports one
 * line: PASS, FAIL with the worst mismatch, or UNSUPPORTED with the reason
 * mlc refused the model.
 */
#include "testrun.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "diag.h"
#include "dimrange.h"
#include "driver.h"
#include "emitc.h"
#include "emitcu.h"
#include "interp.h"
#include "junit.h"
#include "model.h"
#include "tensor_io.h"
#include "testcheck.h"
#include "textesc.h"

#ifndef MLC_RUNTIME_INCLUDE
#define MLC_RUNTIME_INCLUDE "runtime"
#endif
#ifndef MLC_RUNTIME_LIB
#define MLC_RUNTIME_LIB "build/libmlc_rt.a"
#endif
/* a sanitizer build (-DMLC_SANITIZE=ON) builds the generated C the same way,
 * since its runtime library is instrumented */
#ifndef MLC_TEST_CC
#define MLC_TEST_CC "cc"
#endif
#ifndef MLC_RUNTIME_CUDA_LIB
#define MLC_RUNTIME_CUDA_LIB "build/libmlc_rt_cuda.a"
#endif
#ifndef MLC_TEST_CFLAGS_DEFAULT
#define MLC_TEST_CFLAGS_DEFAULT ""
#endif

enum { MODE_INTERP = 1, MODE_C = 2 };

typedef struct TestOpts {
  int mode, jobs, keep, timeout, verbose;
  const char *status_path, *junit_path;
  double rtol, atol; /* --rtol, --atol: negative where not given */
  /* the target: --cc, --cflags, --exec, --runtime-include; the runtime to
   * link as a shell word (a quoted path, or the objects built for --cc) */
  const char *cc, *cflags, *exec, *rt_include, *rt_link;
  TargetIsa target;      /* --target */
  const char *rtcu_link; /* --target=cuda: the CUDA runtime, a shell word */
  int build_only;        /* --build-only: build the generated code, run nothing */
  DimRange *ranges;      /* --dim NAME=LO..HI: one build for every data set */
  int nranges;
} TestOpts;

static const char *usage_test =
    "usage: mlc test [options] DIR...\n"
    "\n"
    "Checks directories laid out like the ONNX backend tests: model.onnx (or\n"
    "model.onnxtxt), test_data_set_N/input_K.pb and output_K.pb, and an optional\n"
    "data.json with rtol/atol. A DIR without a model is searched one level down.\n"
    "Each test runs through the interpreter and through generated C built with\n"
    "$MLC_CC (default cc) with $MLC_TEST_CFLAGS added (sanitizers, say), linked\n"
    "with this mlc's runtime library (an installed mlc's own, PREFIX/lib and\n"
    "PREFIX/share/mlc/runtime; $MLC_RUNTIME_LIB and $MLC_RUNTIME_INCLUDE override),\n"
    "compared at |got - expected| <= atol + rtol * |expected|: "
    "--rtol and --atol\n"
    "if given, else data.json's, else rtol 1e-3, atol 1e-7. Elements the ONNX spec\n"
    "leaves undefined (a float to integer Cast out of range) are not compared.\n"
    "Prints PASS, FAIL (worst mismatch) or UNSUPPORTED (reason) per test and a\n"
    "closing count; exits 1 if any test failed or if no test ran (none found, or\n"
    "all unsupported).\n"
    "\n"
    "options:\n"
    "  --mode=both|interp|c   what to check (default both)\n"
    "  -j N                   run N tests at once (default 1)\n"
    "  --timeout=S            seconds per test (default 300)\n"
    "  --rtol=R, --atol=A     tolerances for every test (over data.json's)\n"
    "  --status=FILE          also write 'NAME STATUS [REASON]' per test to FILE\n"
    "  --junit=FILE           also write the results as JUnit XML to FILE: a testcase\n"
    "                         per test, named after its folder, <failure> for FAIL,\n"
    "                         <skipped> for UNSUPPORTED (docs/ci.md). FILE and the\n"
    "                         --status FILE appear together, whole, or not at all\n"
    "  --keep                 keep the generated C of each test (printed path)\n"
    "  --dim NAME=LO..HI      compile each model once with that run-time dim\n"
    "                         (docs/dims.md) and run every data set at its own\n"
    "                         extents; without it the data sets share one shape\n"
    "  -v, --verbose          print the largest absolute error of passing tests\n"
    "\n"
    "the target of the generated C (docs/ci.md):\n"
    "  --cc=CC                compile with CC instead of $MLC_CC. Unless\n"
    "                         --runtime-lib is given, mlc then first builds the\n"
    "                         runtime from its sources (the .c files beside its\n"
    "                         headers) with CC and the flags, once per run, and links\n"
    "                         its objects: a cross compiler needs nothing else\n"
    "  --cflags=FLAGS         add FLAGS (split by the shell; repeatable) to the\n"
    "                         compiler's flags, after -std=c99 -O1 and\n"
    "                         $MLC_TEST_CFLAGS; the runtime built for --cc gets them too\n"
    "  --exec=WRAPPER         run each generated program as WRAPPER ./prog ... (split\n"
    "                         by the shell), e.g. an emulator:\n"
    "                         --exec='qemu-aarch64 -L /usr/aarch64-linux-gnu'\n"
    "  --runtime-lib=PATH     link this runtime library (built for the target)\n"
    "  --runtime-include=DIR  the runtime headers (and, for --cc, sources) in DIR\n"
    "  --target=T             plan the generated C for instruction set T, as mlc\n"
    "                         compile --target does (docs/targets.md); it then builds\n"
    "                         only with --cflags for T and a runtime built for T\n"
    "                         (--cc builds one with those flags, or --runtime-lib)\n"
    "                         --target=cuda: CUDA built by $MLC_NVCC (or nvcc, --cc)\n"
    "                         with -Werror all-warnings and --cflags (-arch=sm_90),\n"
    "                         linked with the CUDA runtime, cuBLAS and cuDNN, run on\n"
    "                         the GPU; the generated code only (--mode=c)\n"
    "  --runtime-cuda-lib=PATH  the CUDA runtime library (libmlc_rt_cuda.a)\n"
    "  --build-only           build each test's generated code, run nothing: BUILT if\n"
    "                         it builds (where there is no GPU, say; CUDA: the model\n"
    "                         alone, nvcc -c)\n"
    "Each takes its value after = or as the next argument.\n";

/* ---- files ------------------------------------------------------------------------- */

static int exists(const char *p) {
  struct stat st;
  return stat(p, &st) == 0;
}

static int is_dir(const char *p) {
  struct stat st;
  return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static const char *model_in(Arena *a, const char *dir) {
  char *p = arena_printf(a, "%s/model.onnx", dir);
  if (exists(p)) return p;
  p = arena_printf(a, "%s/model.onnxtxt", dir);
  return exists(p) ? p : NULL;
}

static int cmp_str(const void *x, const void *y) {
  return strcmp(*(char *const *)x, *(char *const *)y);
}

/* test directories named by the arguments, in order (subdirs sorted) */
static char **collect(Arena *a, int nargs, char **args, int *count) {
  char **out = NULL;
  size_t cap = 0;
  int n = 0;
  for (int i = 0; i < nargs; i++) {
    if (model_in(a, args[i])) {
      out = arena_grow(a, out, &cap, (size_t)n + 1, sizeof *out);
      out[n++] = args[i];
      continue;
    }
    DIR *d = opendir(args[i]);
    if (!d) diag_fatal("'%s' is neither a test directory nor a folder of them", args[i]);
    int first = n;
    for (struct dirent *e; (e = readdir(d));) {
      if (e->d_name[0] == '.') continue;
      char *sub = arena_printf(a, "%s/%s", args[i], e->d_name);
      if (!is_dir(sub) || !model_in(a, sub)) continue;
      out = arena_grow(a, out, &cap, (size_t)n + 1, sizeof *out);
      out[n++] = sub;
    }
    closedir(d);
    if (n > first) qsort(out + first, (size_t)(n - first), sizeof *out, cmp_str);
  }
  *count = n;
  return out;
}

static void read_tolerances(const char *dir, double *rtol, double *atol) {
  char path[4096], buf[4096];
  snprintf(path, sizeof path, "%s/data.json", dir);
  FILE *f = fopen(path, "r");
  if (!f) return;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  const char *keys[2] = {"\"rtol\"", "\"atol\""};
  double *dst[2] = {rtol, atol};
  for (int k = 0; k < 2; k++) {
    const char *p = strstr(buf, keys[k]);
    if (!p) continue;
    p = strchr(p, ':');
    if (!p) continue;
    char *end;
    double v = strtod(p + 1, &end);
    if (end != p + 1) *dst[k] = v;
  }
}

/* STEM_0.pb, STEM_1.pb ..., each read as the declared input or output of
 * its position says */
static DataValue **load_seq(Arena *a, const char *dir, const char *stem, Value *const *decl,
                            int ndecl, int *n) {
  DataValue **t = NULL;
  size_t cap = 0;
  *n = 0;
  for (;;) {
    char *p = arena_printf(a, "%s/%s_%d.pb", dir, stem, *n);
    if (!exists(p)) break;
    t = arena_grow(a, t, &cap, (size_t)*n + 1, sizeof *t);
    const Value *v = *n < ndecl ? decl[*n] : NULL;
    t[*n] = data_load(a, p, v && v->decl_seq, v && v->decl_opt);
    ++*n;
  }
  return t;
}

/* m: the model as loaded, its inputs and outputs as declared */
static DataSet *load_sets(Arena *a, const char *dir, const Graph *m, int *count) {
  DataSet *s = NULL;
  size_t cap = 0;
  *count = 0;
  for (;;) {
    char *d = arena_printf(a, "%s/test_data_set_%d", dir, *count);
    if (!is_dir(d)) break;
    s = arena_grow(a, s, &cap, (size_t)*count + 1, sizeof *s);
    DataSet *ds = &s[(*count)++];
    ds->in = load_seq(a, d, "input", m->inputs, m->ninputs, &ds->nin);
    ds->out = load_seq(a, d, "output", m->outputs, m->noutputs, &ds->nout);
  }
  return s;
}

/* ---- generated C ---------------------------------------------------------------------- */

static int sh(const char *cmd) {
  int rc = system(cmd);
  return rc == -1 ? -1 : WIFEXITED(rc) ? WEXITSTATUS(rc) : 128 + WTERMSIG(rc);
}

static void write_raw(const char *path, const void *data, size_t n) {
  FILE *f = fopen(path, "wb");
  if (!f || fwrite(data, 1, n, f) != n) diag_fatal("cannot write '%s'", path);
  fclose(f);
}

/* A string tensor travels to and from the harness as its strings one after
 * another, each with its NUL (emitc_harness). */
static void write_tensor(Arena *a, const char *path, const Tensor *t, const Value *v) {
  if (v->dtype != DT_STRING) {
    write_raw(path, t->data, ir_nbytes(v));
    return;
  }
  size_t len = 0;
  for (int64_t k = 0; k < ir_numel(v); k++) len += strlen(((const char *const *)t->data)[k]) + 1;
  char *buf = arena_alloc(a, len + 1), *d = buf;
  for (int64_t k = 0; k < ir_numel(v); k++) {
    const char *x = ((const char *const *)t->data)[k];
    memcpy(d, x, strlen(x) + 1);
    d += strlen(x) + 1;
  }
  write_raw(path, buf, len);
}

/* the strings of an output file into t (count of them); 0 if there are too few */
static int read_strings(Arena *a, const char *path, Tensor *t, int64_t count) {
  size_t len, at = 0;
  char *buf = (char *)io_read_file(path, &len);
  const char **s = arena_array(a, (size_t)count + 1, sizeof *s);
  int64_t k = 0;
  for (; k < count && at < len; k++) {
    const char *nul = memchr(buf + at, 0, len - at);
    size_t n = nul ? (size_t)(nul - (buf + at)) : len - at;
    s[k] = arena_strndup(a, buf + at, n);
    at += n + 1;
  }
  free(buf);
  t->data = s;
  return k == count;
}

static const char *env_or(const char *name, const char *def) {
  const char *v = getenv(name);
  return v && *v ? v : def;
}

/* PREFIX/rel for an installed mlc (PREFIX/bin/mlc, as cmake --install and the
 * wheel lay it out) when that file exists, else NULL: an installed mlc tests
 * with its own runtime, a build tree's with the one it was built with */
static const char *installed(Arena *a, const char *rel) {
  char exe[4096];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0) return NULL;
  exe[n] = 0;
  for (int up = 0; up < 2; up++) { /* PREFIX/bin/mlc -> PREFIX */
    char *slash = strrchr(exe, '/');
    if (!slash) return NULL;
    *slash = 0;
  }
  char *p = arena_printf(a, "%s/%s", exe, rel);
  return exists(p) ? p : NULL;
}

/* s as one shell word: in single quotes, each ' as '\'' */
static char *shq(Arena *a, const char *s) {
  size_t n = 3;
  for (const char *p = s; *p; p++) n += *p == '\'' ? 4 : 1;
  char *r = arena_alloc(a, n), *d = r;
  *d++ = '\'';
  for (const char *p = s; *p; p++) {
    if (*p == '\'') {
      memcpy(d, "'\\''", 4);
      d += 4;
    } else {
      *d++ = *p;
    }
  }
  *d++ = '\'';
  *d = 0;
  return r;
}

/* 0 pass, 1 mismatch (msg), 2 build/run failure (msg), 3 built and not
 * run (--build-only); ins: each set's inputs in the order of g->inputs */
/* --dim ranges: the bindings of the one compile (each ranged dim at its
 * largest, the model's other symbolic dims as the first data set has
 * them), and each set's value of each ranged dim (extents[s * nranges + k]),
 * read off the inputs that declare the dim (decl: the model as loaded) */
static Bindings ranged_bindings(Arena *a, const Graph *decl, const DataSet *sets, int nsets,
                                const Bindings *frozen, const TestOpts *o, int64_t *extents) {
  Bindings b = *frozen;
  CompileOptions co = {.bind = b};
  char *spec;
  for (int k = 0; k < o->nranges; k++) {
    spec = arena_printf(a, "%s=%" PRId64 "..%" PRId64, o->ranges[k].name, o->ranges[k].lo,
                        o->ranges[k].hi);
    driver_push_dim(a, &co, spec);
    for (int s = 0; s < nsets; s++) extents[s * o->nranges + k] = -1;
  }
  for (int i = 0; i < decl->ninputs && i < sets[0].nin; i++)
    for (int d = 0; d < decl->inputs[i]->rank; d++) {
      const char *name = decl->inputs[i]->dim_param[d];
      int k = 0;
      while (name && k < o->nranges && strcmp(name, o->ranges[k].name)) k++;
      for (int s = 0; name && s < nsets; s++) {
        const Tensor *t = sets[s].in[i]->t;
        if (!t || d >= t->rank) continue;
        if (k < o->nranges)
          extents[s * o->nranges + k] = t->dims[d];
        else if (!s)
          driver_push_dim(a, &co, arena_printf(a, "%s=%" PRId64, name, t->dims[d]));
      }
    }
  for (int k = 0; k < o->nranges; k++)
    if (extents[k] < 0)
      diag_fatal("--dim %s: no input of the model has that dim", o->ranges[k].name);
  return co.bind;
}

/* run_c()'s folder while it is in use: a diagnostic that refuses the
 * model unwinds past run_c(), and run_one() removes the folder then */
static const char *live_dir;

static int run_c(Arena *a, const char *model, Graph **gs, DataSet *sets, Tensor ***ins,
                 unsigned char ***skips, int nsets, double rtol, double atol, const TestOpts *o,
                 const Bindings *frozen, double *max_abs, char *msg, size_t len) {
  PassOptions po = {.opt_level = 2, .check = 1};
  char tmpl[] = "/tmp/mlc-test-XXXXXX";
  const char *tmpdir = getenv("TMPDIR");
  char *dir = tmpdir ? arena_printf(a, "%s/mlc-test-XXXXXX", tmpdir) : tmpl;
  if (!mkdtemp(dir)) diag_fatal("cannot create a temporary directory");
  live_dir = dir;
  CompileOptions co = {.passes = po, .prefix = "model", .weights = WEIGHTS_AUTO};
  int cuda = o->target == TARGET_CUDA;
  char *c_path = arena_printf(a, "%s/model.%s", dir, cuda ? "cu" : "c");
  int wfile;
  Plan *p;
  int64_t *extents = arena_array(a, (size_t)(nsets * o->nranges) + 1, sizeof *extents);
  if (o->nranges) {
    co.bind = ranged_bindings(a, model_load(a, model), sets, nsets, frozen, o, extents);
    co.ranges = o->ranges;
    co.nranges = o->nranges;
    co.target = o->target;
    wfile = dimrange_compile(a, model, &co, c_path, &p);
  } else {
    gs[0]->target = o->target;
    p = driver_plan(gs[0], &po);
    wfile = driver_emit(p, &co, c_path);
  }
  FILE *hf = out_open(arena_printf(a, "%s/harness.%s", dir, cuda ? "cu" : "c"), "w");
  int unused;
  EmitOptions eo = driver_emit_options(p, &co, c_path, &unused);
  eo.weights_name = wfile ? "model.weights" : NULL;
  eo.source_name = "model";
  if (cuda)
    emitcu_harness(p, &eo, hf);
  else
    emitc_harness(p, &eo, hf);
  out_commit_all();
  /* CUDA: the model alone (-c) for --build-only, where nvcc's time goes
   * into the GPU code */
  const char *build;
  if (!cuda)
    build = arena_printf(a,
                         "%s -std=c99 -O1 -Wall -Wextra -Werror -pedantic %s %s -I%s '%s/model.c' "
                         "'%s/harness.c' %s -lm -o '%s/prog'",
                         o->cc, env_or("MLC_TEST_CFLAGS", MLC_TEST_CFLAGS_DEFAULT), o->cflags,
                         o->rt_include, dir, dir, o->rt_link, dir);
  else if (o->build_only)
    build = arena_printf(a,
                         "%s -std=c++17 -O1 -Werror all-warnings %s -I%s -I%s/cuda -c "
                         "'%s/model.cu' -o '%s/model.o'",
                         o->cc, o->cflags, o->rt_include, o->rt_include, dir, dir);
  else
    build =
        arena_printf(a,
                     "%s -std=c++17 -O1 -Werror all-warnings %s -I%s -I%s/cuda '%s/model.cu' "
                     "'%s/harness.cu' %s -lcublas -lcudnn -lm -o '%s/prog'",
                     o->cc, o->cflags, o->rt_include, o->rt_include, dir, dir, o->rtcu_link, dir);
  int rc = sh(arena_printf(a, "%s > '%s/build.log' 2>&1", build, dir));
  int result = 0;
  if (rc) {
    snprintf(msg, len, "generated %s did not build (see %s/build.log)", cuda ? "CUDA" : "C", dir);
    result = 2;
  } else if (o->build_only) {
    result = 3;
  }
  for (int s = 0; s < nsets && !result; s++) {
    Graph *g = gs[s];
    char *cmd = arena_printf(a, "cd '%s' && timeout %d %s ./prog", dir, o->timeout, o->exec);
    for (int k = 0; k < o->nranges; k++) {
      int64_t v = extents[s * o->nranges + k];
      if (v < o->ranges[k].lo || v > o->ranges[k].hi) {
        snprintf(msg, len, "data set %d has %s=%" PRId64 ", outside --dim %s=%" PRId64 "..%" PRId64,
                 s, o->ranges[k].name, v, o->ranges[k].name, o->ranges[k].lo, o->ranges[k].hi);
        result = 1;
      }
      cmd = arena_printf(a, "%s %" PRId64, cmd, v);
    }
    if (result) break;
    if (wfile) cmd = arena_printf(a, "%s model.weights", cmd);
    for (int i = 0; i < g->ninputs; i++) {
      write_tensor(a, arena_printf(a, "%s/in%d.bin", dir, i), ins[s][i], g->inputs[i]);
      cmd = arena_printf(a, "%s in%d.bin", cmd, i);
    }
    for (int i = 0; i < g->noutputs; i++) cmd = arena_printf(a, "%s out%d.bin", cmd, i);
    cmd = arena_printf(a, "%s > run.log 2>&1", cmd);
    if ((rc = sh(cmd))) {
      snprintf(msg, len, "generated program failed (exit %d)", rc);
      result = 2;
      break;
    }
    Tensor **got = arena_array(a, (size_t)g->noutputs + 1, sizeof *got);
    for (int i = 0; i < g->noutputs; i++) {
      Value *v = g->outputs[i];
      Tensor *t = arena_alloc(a, sizeof *t);
      t->name = v->name;
      t->dtype = v->dtype;
      t->rank = v->rank;
      memcpy(t->dims, v->dims, sizeof t->dims);
      t->nbytes = ir_nbytes(v);
      t->data = arena_alloc(a, t->nbytes + 1);
      const char *path = arena_printf(a, "%s/out%d.bin", dir, i);
      FILE *f = v->dtype == DT_STRING ? NULL : fopen(path, "rb");
      size_t nr = f ? fread(t->data, 1, t->nbytes, f) : 0;
      if (f) fclose(f);
      if (v->dtype == DT_STRING ? !read_strings(a, path, t, ir_numel(v)) : nr != t->nbytes) {
        snprintf(msg, len, "generated program wrote no output %d", i);
        result = 2;
        break;
      }
      got[i] = t;
    }
    for (int i = 0; !result && i < g->noutputs; i++)
      if (g->outputs[i]->dyn_count) interp_actual_shape(g, got, i);
    /* the model's outputs; the run-time extents after them were used above */
    if (!result && test_check_outputs(a, g, got, &sets[s], skips[s], rtol, atol, max_abs, msg, len))
      result = 1;
  }
  if (o->keep) {
    size_t l = strlen(msg);
    snprintf(msg + l, len - l, "%s[kept %s]", l ? " " : "", dir);
  } else if (result != 2) { /* a build or run failure keeps its folder for a look */
    sh(arena_printf(a, "rm -rf '%s'", dir));
  }
  live_dir = NULL;
  return result;
}

/* ---- one test, in a child ------------------------------------------------------------- */

/* A data set's inputs in the order of g->inputs: frozen ones have left
 * them, a sequence's elements took its place, an empty optional has none.
 * Binding followed the first set; the others must agree. */
static Tensor **feeds_for(Arena *a, const Graph *g, const DataSet *ds) {
  Tensor **f = arena_array(a, (size_t)g->ninputs + 1, sizeof *f);
  for (int j = 0; j < g->ndecl_inputs; j++) {
    const Value *v = g->decl_inputs[j];
    const DataValue *d = ds->in[j];
    int n = v->opt_none ? 0 : v->is_seq ? v->nseq : 1;
    if (v->opt_none != d->none || (!d->none && d->is_seq != v->is_seq) ||
        n != (d->none     ? 0
              : d->is_seq ? d->nitems
                          : 1))
      diag_fatal("the data sets differ in the kind or length of input '%s'", v->name);
    for (int k = 0; k < n; k++)
      for (int i = 0; i < g->ninputs; i++)
        if (g->inputs[i] == (v->is_seq ? v->seq[k] : v)) f[i] = v->is_seq ? d->items[k] : d->t;
  }
  for (int i = 0; i < g->ninputs; i++) MLC_ASSERT(f[i]);
  return f;
}

/* shapes (and sequence lengths, empty optionals) of the graph inputs from
 * the first data set */
static void bind_from_data(Arena *a, const Graph *g, const DataSet *ds, Bindings *b) {
  size_t cap = 0, scap = 0;
  b->shapes = NULL;
  b->nshapes = 0;
  for (int i = 0; i < g->ninputs; i++) {
    const char *name = arena_strdup(a, g->inputs[i]->name);
    const DataValue *d = ds->in[i];
    if (d->none || d->is_seq) {
      b->seqs = arena_grow(a, b->seqs, &scap, (size_t)b->nseqs + 1, sizeof *b->seqs);
      b->seqs[b->nseqs++] = (SeqBind){name, d->nitems, d->none};
    }
    for (int k = 0; !d->none && k < (d->is_seq ? d->nitems : 1); k++) {
      const Tensor *t = d->is_seq ? d->items[k] : d->t;
      b->shapes = arena_grow(a, b->shapes, &cap, (size_t)b->nshapes + 1, sizeof *b->shapes);
      ShapeBind *sb = &b->shapes[b->nshapes++];
      sb->name = d->is_seq ? infer_elem_name(a, name, k) : name;
      sb->rank = t->rank;
      memcpy(sb->dims, t->dims, sizeof sb->dims);
    }
  }
}

/* one try at the test with the given inputs frozen; the status and message
 * go to *status and msg */
static void attempt(Arena *a, const char *dir, const TestOpts *o, DataSet *sets, int nsets,
                    const Bindings *frozen, const char **status, char *msg, size_t len) {
  double rtol = 1e-3, atol = 1e-7;
  read_tolerances(dir, &rtol, &atol);
  if (o->rtol >= 0) rtol = o->rtol;
  if (o->atol >= 0) atol = o->atol;
  /* the graph bound to each set's shapes: one for all of them, or with
   * --dim ranges one per set */
  const char *model = model_in(a, dir);
  Graph **gs = arena_array(a, (size_t)nsets, sizeof *gs);
  for (int s = 0; s < nsets; s++) {
    if (s && !o->nranges) {
      gs[s] = gs[0];
      continue;
    }
    Graph *g = gs[s] = model_load(a, model);
    if (sets[s].nin != g->ninputs)
      diag_fatal("the test gives %d inputs, the model takes %d", sets[s].nin, g->ninputs);
    Bindings b = *frozen;
    bind_from_data(a, g, &sets[s], &b);
    infer_bind(g, &b);
    infer_graph(g);
  }
  Tensor ***feeds = arena_array(a, (size_t)nsets, sizeof *feeds);
  unsigned char ***skips = arena_array(a, (size_t)nsets, sizeof *skips);
  int64_t nskip = 0;
  for (int s = 0; s < nsets; s++) {
    feeds[s] = feeds_for(a, gs[s], &sets[s]);
    skips[s] = test_undefined_elements(a, gs[s], feeds[s], &nskip);
  }
  double err_i = 0, err_c = 0;
  if (o->mode & MODE_INTERP) {
    for (int s = 0; s < nsets && !*msg; s++) {
      Graph *g = gs[s];
      Tensor **got = arena_array(a, (size_t)g->noutputs + 1, sizeof *got);
      interp_run(g, feeds[s], got);
      char m[900] = "";
      if (test_check_outputs(a, g, got, &sets[s], skips[s], rtol, atol, &err_i, m, sizeof m)) {
        *status = "FAIL";
        snprintf(msg, len, "interp: %s", m);
      }
    }
  }
  if ((o->mode & MODE_C) && !*msg) {
    char m[900] = "";
    int bad =
        run_c(a, model, gs, sets, feeds, skips, nsets, rtol, atol, o, frozen, &err_c, m, sizeof m);
    if (bad == 3) {
      *status = "BUILT";
      bad = 0;
    }
    if (bad) *status = "FAIL";
    if (*m) snprintf(msg, len, "%s%s", bad ? "c: " : "", m);
  }
  if (!*msg && o->verbose) snprintf(msg, len, "max |error| interp %.3g, c %.3g", err_i, err_c);
  if (nskip) {
    size_t l = strlen(msg);
    snprintf(msg + l, len - l,
             "%s(%" PRId64
             " elements not compared: a float to integer cast "
             "out of range is undefined)",
             l ? " " : "", nskip);
  }
  if (frozen->nconsts) {
    size_t l = strlen(msg);
    l += (size_t)snprintf(msg + l, len - l, "%s(frozen:", l ? " " : "");
    for (int i = 0; i < frozen->nconsts && l < len; i++)
      l += (size_t)snprintf(msg + l, len - l, " %s", frozen->consts[i].name);
    if (l < len) snprintf(msg + l, len - l, ")");
  }
}

/* Freezes the graph inputs that the value needed at compile time comes from
 * (infer_needed_inputs), when each has the same value in every data set;
 * returns how many it froze. */
static int freeze_sources(Arena *a, const Graph *g, DataSet *sets, int nsets, Bindings *frozen,
                          size_t *cap) {
  const char *names[INFER_MAX_NEEDED];
  int n = infer_needed_inputs(names, INFER_MAX_NEEDED);
  int added = 0;
  for (int i = 0; i < n; i++)
    for (int k = 0; k < g->ninputs && k < sets[0].nin; k++) {
      const Tensor *t = sets[0].in[k]->t;
      if (strcmp(g->inputs[k]->name, names[i]) || !t) continue;
      for (int s = 1; s < nsets; s++)
        if (!sets[s].in[k]->t || t->nbytes != sets[s].in[k]->t->nbytes ||
            memcmp(t->data, sets[s].in[k]->t->data, t->nbytes))
          return 0;
      frozen->consts =
          arena_grow(a, frozen->consts, cap, (size_t)frozen->nconsts + 1, sizeof *frozen->consts);
      frozen->consts[frozen->nconsts++] = (ConstBind){arena_strdup(a, names[i]), t, NULL};
      added++;
    }
  return added;
}

static void run_one(const char *dir, const TestOpts *o, char *line, size_t len) {
  Arena *a = arena_new();
  char msg[2200] = "";
  const char *status = "UNSUPPORTED";
  /* in the arena, not in locals: they change between setjmp and longjmp */
  Bindings *frozen = arena_alloc(a, sizeof *frozen);
  size_t *cap = arena_alloc(a, sizeof *cap);
  /* each try that stops on a value needed at compile time freezes the graph
   * inputs it comes from */
  for (int tries = 0; tries < 16; tries++) {
    DiagScope scope = {0};
    scope.quiet = 1;
    if (!setjmp(scope.jb)) {
      diag_enter(&scope);
      int nsets;
      const Graph *m = model_load(a, model_in(a, dir));
      DataSet *sets = load_sets(a, dir, m, &nsets);
      if (!nsets) diag_fatal("no test_data_set_N folders");
      if (tries) {
        if (!freeze_sources(a, m, sets, nsets, frozen, cap)) {
          diag_leave(&scope);
          break;
        }
      }
      status = "PASS";
      msg[0] = 0;
      attempt(a, dir, o, sets, nsets, frozen, &status, msg, sizeof msg);
      diag_leave(&scope);
      break;
    }
    out_abort_all();
    if (live_dir) sh(arena_printf(a, "rm -rf '%s'", live_dir));
    live_dir = NULL;
    status = "UNSUPPORTED";
    snprintf(msg, sizeof msg, "%s", scope.text);
  }
  snprintf(line, len, "%s\t%s", status, msg);
  arena_free(a);
}

/* ---- the runner ------------------------------------------------------------------------- */

typedef struct Job {
  pid_t pid;
  int fd, test;
} Job;

static void finish(Job *s, int wstatus, char **results, Arena *a) {
  char buf[4096];
  ssize_t n = read(s->fd, buf, sizeof buf - 1);
  close(s->fd);
  if (n > 0 && WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0) {
    buf[n] = 0;
    results[s->test] = arena_strdup(a, buf);
  } else if (WIFSIGNALED(wstatus)) {
    results[s->test] =
        arena_printf(a, "FAIL\t%s (signal %d)",
                     WTERMSIG(wstatus) == SIGALRM ? "timed out" : "crashed", WTERMSIG(wstatus));
  } else {
    results[s->test] = arena_strdup(a, "FAIL\tthe test process failed");
  }
}

static const char *test_name(const char *dir) {
  size_t n = strlen(dir);
  while (n > 1 && dir[n - 1] == '/') n--;
  const char *p = dir + n;
  while (p > dir && p[-1] != '/') p--;
  return p;
}

/* the runtime built from the sources in src with o's compiler and flags,
 * o->jobs files at a time, into a new folder, which it returns */
static char *build_runtime(Arena *a, const TestOpts *o, const char *src) {
  const char *tmpdir = getenv("TMPDIR");
  char *dir = arena_printf(a, "%s/mlc-rt-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
  if (!mkdtemp(dir)) diag_fatal("cannot create a temporary directory");
  DIR *d = opendir(src);
  if (!d) diag_fatal("--cc: cannot read the runtime's sources in '%s': %s", src, strerror(errno));
  char **files = NULL;
  size_t cap = 0;
  int n = 0;
  for (struct dirent *e; (e = readdir(d));) {
    size_t l = strlen(e->d_name);
    if (e->d_name[0] == '.' || l < 3 || strcmp(e->d_name + l - 2, ".c")) continue;
    files = arena_grow(a, files, &cap, (size_t)n + 1, sizeof *files);
    files[n++] = arena_strndup(a, e->d_name, l - 2);
  }
  closedir(d);
  if (!n) diag_fatal("--cc: no runtime sources (*.c) in '%s' (give --runtime-lib)", src);
  qsort(files, (size_t)n, sizeof *files, cmp_str);
  pid_t *pids = arena_array(a, (size_t)n, sizeof *pids);
  int next = 0, running = 0, failed = -1;
  fflush(stdout);
  fflush(stderr);
  while (running || (next < n && failed < 0)) {
    if (next < n && failed < 0 && running < o->jobs) {
      char *cmd =
          arena_printf(a, "%s -std=c99 -O2 -fno-strict-aliasing %s %s -I%s -c %s -o %s > %s 2>&1",
                       o->cc, env_or("MLC_TEST_CFLAGS", MLC_TEST_CFLAGS_DEFAULT), o->cflags,
                       shq(a, src), shq(a, arena_printf(a, "%s/%s.c", src, files[next])),
                       shq(a, arena_printf(a, "%s/%s.o", dir, files[next])),
                       shq(a, arena_printf(a, "%s/%s.log", dir, files[next])));
      pid_t pid = fork();
      if (pid < 0) diag_fatal("fork: %s", strerror(errno));
      if (!pid) _exit(sh(cmd) != 0);
      pids[next++] = pid;
      running++;
      continue;
    }
    int ws;
    pid_t done = wait(&ws);
    if (done < 0) diag_fatal("wait: %s", strerror(errno));
    running--;
    for (int k = 0; k < next; k++)
      if (pids[k] == done && !(WIFEXITED(ws) && !WEXITSTATUS(ws)) && failed < 0) failed = k;
  }
  if (failed >= 0)
    diag_fatal("the runtime did not build with --cc %s (see %s/%s.log)", o->cc, dir, files[failed]);
  return dir;
}

static double tolerance(const char *flag, const char *v) {
  char *end;
  double x = strtod(v, &end);
  if (end == v || *end || !(x >= 0) || isinf(x))
    diag_fatal("%s takes a number >= 0, not '%s'", flag, v);
  return x;
}

int cmd_test(Arena *a, int argc, char **argv) {
  TestOpts o = {.mode = MODE_INTERP | MODE_C,
                .jobs = 1,
                .timeout = 300,
                .rtol = -1,
                .atol = -1,
                .cflags = "",
                .exec = ""};
  const char *rt_lib = NULL;
  char **dirs = arena_array(a, (size_t)argc + 1, sizeof *dirs);
  int ndirs = 0;
  for (int i = 0; i < argc; i++) {
    const char *v = argv[i], *x;
    if ((x = driver_flag_value(argc, argv, &i, "--junit")))
      o.junit_path = x;
    else if ((x = driver_flag_value(argc, argv, &i, "--cc")))
      o.cc = x;
    else if ((x = driver_flag_value(argc, argv, &i, "--cflags")))
      o.cflags = *o.cflags ? arena_printf(a, "%s %s", o.cflags, x) : x;
    else if ((x = driver_flag_value(argc, argv, &i, "--exec")))
      o.exec = x;
    else if ((x = driver_flag_value(argc, argv, &i, "--runtime-lib")))
      rt_lib = x;
    else if ((x = driver_flag_value(argc, argv, &i, "--runtime-cuda-lib")))
      o.rtcu_link = x;
    else if ((x = driver_flag_value(argc, argv, &i, "--runtime-include")))
      o.rt_include = x;
    else if ((x = driver_flag_value(argc, argv, &i, "--target")))
      o.target = driver_target(x);
    else if ((x = driver_flag_value(argc, argv, &i, "--dim"))) {
      CompileOptions co = {.ranges = o.ranges, .nranges = o.nranges};
      driver_push_dim(a, &co, x);
      if (co.nranges == o.nranges)
        diag_fatal("mlc test --dim %s: takes a range LO..HI (the data sets bind single values)", x);
      o.ranges = co.ranges;
      o.nranges = co.nranges;
    } else if (!strcmp(v, "--help") || !strcmp(v, "-h")) {
      fputs(usage_test, stdout);
      return 0;
    } else if (!strcmp(v, "--mode=both"))
      o.mode = MODE_INTERP | MODE_C;
    else if (!strcmp(v, "--mode=interp"))
      o.mode = MODE_INTERP;
    else if (!strcmp(v, "--mode=c"))
      o.mode = MODE_C;
    else if (!strcmp(v, "--keep"))
      o.keep = 1;
    else if (!strcmp(v, "--build-only"))
      o.build_only = 1;
    else if (!strcmp(v, "-v") || !strcmp(v, "--verbose"))
      o.verbose = 1;
    else if (!strncmp(v, "--status=", 9))
      o.status_path = v + 9;
    else if (!strncmp(v, "--timeout=", 10))
      o.timeout = atoi(v + 10);
    else if (!strncmp(v, "--rtol=", 7))
      o.rtol = tolerance("--rtol", v + 7);
    else if (!strncmp(v, "--atol=", 7))
      o.atol = tolerance("--atol", v + 7);
    else if (!strcmp(v, "--rtol") && i + 1 < argc)
      o.rtol = tolerance("--rtol", argv[++i]);
    else if (!strcmp(v, "--atol") && i + 1 < argc)
      o.atol = tolerance("--atol", argv[++i]);
    else if (!strcmp(v, "-j") && i + 1 < argc)
      o.jobs = atoi(argv[++i]);
    else if (!strncmp(v, "-j", 2) && v[2])
      o.jobs = atoi(v + 2);
    else if (v[0] == '-')
      diag_fatal("unknown option '%s' (see mlc test --help)", v);
    else
      dirs[ndirs++] = argv[i];
  }
  if (!ndirs) {
    fputs(usage_test, stderr);
    diag_fatal("no test directories given");
  }
  if (o.nranges && o.target == TARGET_CUDA)
    diag_fatal("--dim ranges are for the C backend: --target=cuda takes static dims");
  if (o.jobs < 1 || o.jobs > 64) diag_fatal("-j takes 1 to 64");
  if (o.timeout < 1) diag_fatal("--timeout takes a number of seconds");
  int n;
  char **tests = collect(a, ndirs, dirs, &n);
  diag_set_file(dirs[0]);
  if (!n) diag_fatal("no test found: a test is a folder with model.onnx or model.onnxtxt");
  /* the target */
  if (o.cc && !*o.cc) diag_fatal("--cc needs a compiler");
  /* the runtime: the flags, else the environment, else an installed mlc's own
   * (headers and sources in PREFIX/share/mlc/runtime), else the build tree's */
  const char *own_src =
      installed(a, "share/mlc/runtime/mlc_rt.h") ? installed(a, "share/mlc/runtime") : NULL;
  const char *own_lib = installed(a, "lib/libmlc_rt.a");
  if (!own_lib) own_lib = installed(a, "lib64/libmlc_rt.a");
  if (!o.rt_include)
    o.rt_include = env_or("MLC_RUNTIME_INCLUDE", own_src ? own_src : MLC_RUNTIME_INCLUDE);
  char *rt_dir = NULL;
  if (rt_lib)
    o.rt_link = shq(a, rt_lib);
  else if (o.cc && (o.mode & MODE_C) && o.target != TARGET_CUDA) {
    rt_dir = build_runtime(a, &o, o.rt_include);
    o.rt_link = arena_printf(a, "%s/*.o", shq(a, rt_dir));
  } else
    o.rt_link = shq(a, env_or("MLC_RUNTIME_LIB", own_lib && own_src ? own_lib : MLC_RUNTIME_LIB));
  if (o.verbose)
    fprintf(stderr, "mlc test: runtime headers in %s, linking %s\n", o.rt_include, o.rt_link);
  if (o.target == TARGET_CUDA) {
    /* the interpreter plans for no target: only the generated code is the
     * CUDA backend's */
    o.mode = MODE_C;
    if (!o.cc) o.cc = env_or("MLC_NVCC", "nvcc");
    const char *own_cu = installed(a, "lib/libmlc_rt_cuda.a");
    if (!o.rtcu_link)
      o.rtcu_link =
          env_or("MLC_RUNTIME_CUDA_LIB", own_cu && own_src ? own_cu : MLC_RUNTIME_CUDA_LIB);
    o.rtcu_link = shq(a, o.rtcu_link);
  }
  if (!o.cc) o.cc = env_or("MLC_CC", MLC_TEST_CC);
  o.rt_include = shq(a, o.rt_include);
  char **results = arena_array(a, (size_t)n + 1, sizeof *results);
  Job *slots = arena_array(a, (size_t)o.jobs, sizeof *slots);
  int running = 0, next = 0, printed = 0;
  fflush(stdout);
  while (next < n || running) {
    while (running < o.jobs && next < n) {
      int fds[2];
      if (pipe(fds)) diag_fatal("pipe: %s", strerror(errno));
      pid_t pid = fork();
      if (pid < 0) diag_fatal("fork: %s", strerror(errno));
      if (!pid) {
        close(fds[0]);
        alarm((unsigned)o.timeout);
        char line[2400];
        run_one(tests[next], &o, line, sizeof line);
        ssize_t w = write(fds[1], line, strlen(line));
        _exit(w < 0);
      }
      close(fds[1]);
      for (int s = 0; s < o.jobs; s++)
        if (!slots[s].pid) {
          slots[s] = (Job){pid, fds[0], next};
          break;
        }
      next++;
      running++;
    }
    int wstatus;
    pid_t done = wait(&wstatus);
    if (done < 0) break;
    for (int s = 0; s < o.jobs; s++)
      if (slots[s].pid == done) {
        finish(&slots[s], wstatus, results, a);
        slots[s].pid = 0;
        running--;
      }
    /* print in order as results arrive */
    while (printed < n && results[printed]) {
      char *tab = strchr(results[printed], '\t');
      *tab = 0;
      printf("%-11s %s%s%s\n", results[printed], test_name(tests[printed]), tab[1] ? ": " : "",
             tab + 1);
      *tab = '\t';
      fflush(stdout);
      printed++;
    }
  }
  int pass = 0, fail = 0, skip = 0;
  FILE *st = o.status_path ? out_open(o.status_path, "w") : NULL;
  for (int i = 0; i < n; i++) {
    if (!strncmp(results[i], "PASS", 4) || !strncmp(results[i], "BUILT", 5))
      pass++;
    else if (!strncmp(results[i], "FAIL", 4))
      fail++;
    else
      skip++;
    if (st) {
      char *tab = strchr(results[i], '\t');
      fprintf(st, "%s %.*s%s%s\n", test_name(tests[i]), (int)(tab - results[i]), results[i],
              tab[1] ? " " : "", tab + 1);
    }
  }
  if (o.junit_path) junit_write(a, out_open(o.junit_path, "w"), tests, results, n, fail, skip);
  if (st || o.junit_path) out_commit_all();
  if (rt_dir && o.keep)
    printf("runtime built for --cc kept in %s\n", rt_dir);
  else if (rt_dir)
    sh(arena_printf(a, "rm -rf %s", shq(a, rt_dir)));
  printf("%d %s, %d failed, %d skipped\n", pass, o.build_only ? "built" : "passed", fail, skip);
  if (!pass && !fail) {
    fprintf(stderr, "mlc: error: no test ran: all %d unsupported\n", skip);
    return 1;
  }
  return fail ? 1 : 0;
}
