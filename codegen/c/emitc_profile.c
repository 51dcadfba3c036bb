/* C backend: the profile (mlc compile --profile). The run function reads a
 * monotonic clock between steps (the end of one step is the start of the
 * next) and adds each step's time to static counters, fixed arrays of one
 * entry per step, so a run allocates nothing. PREFIX_profile_write() prints
 * them as a table sorted by time and the last run as a Chrome trace;
 * PREFIX_profile_reset() zeroes them.
 *
 * The clock is clock_gettime(CLOCK_MONOTONIC), POSIX: a platform without it
 * defines MLC_PROFILE_NOW_NS() as an expression giving its own monotonic
 * nanoseconds (a cycle counter, say). Without --profile none of this is
 * written, and the code is the same byte for byte. */
#define _POSIX_C_SOURCE 200809L /* open_memstream */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "diag.h"
#include "emitc_int.h"
#include "textesc.h"

void emitc_profile_prelude(Emit *e) {
  if (!e->o->profile) return;
  fputs(
      "#ifndef _POSIX_C_SOURCE\n#define _POSIX_C_SOURCE 199309L /* clock_gettime, for the profile "
      "*/\n#endif\n#include <stdio.h>\n#include <stdlib.h>\n#include <time.h>\n",
      e->f);
}

/* n's name as the inside of a JSON string: the table prints it so too, one
 * line per node whatever bytes the name holds */
static const char *json_inside(Arena *a, const char *name) {
  char *buf;
  size_t len;
  FILE *m = open_memstream(&buf, &len);
  if (!m) diag_fatal("out of memory");
  put_json_string(m, name);
  fclose(m);
  const char *s = arena_strndup(a, buf + 1, len - 2);
  free(buf);
  return s;
}

void emitc_profile_code(Emit *e) {
  if (!e->o->profile) return;
  const Plan *p = e->p;
  FILE *f = e->f;
  const char *P = e->o->prefix, *M = emitc_macro_prefix(e->a, P);
  int n = p->nsteps ? p->nsteps : 1; /* no array of 0 elements in C */
  fprintf(f,
          "/* ---- profile (mlc compile --profile) ---- */\n\n"
          "/* per step: the node's index in the model, op, name (escaped as in JSON),\n"
          " * first output's shape, FLOPs (0: not counted) */\n"
          "static const struct {\n  int node;\n  const char *op, *name, *shape;\n"
          "  int64_t flops;\n} profile_steps[%d] = {\n",
          n);
  for (int s = 0; s < p->nsteps; s++) {
    const Step *st = &p->steps[s];
    const Node *nd = st->node;
    int64_t flops = 0;
    for (int c = 0; c < st->ncalls; c++) flops += kcall_flops(&st->calls[c]);
    const Value *out = NULL;
    for (int i = 0; i < nd->nout && !out; i++) out = nd->out[i];
    fprintf(f, "  {%d, ", nd->index);
    emitc_put_cstring(f, nd->op_type);
    fputs(", ", f);
    emitc_put_cstring(f, json_inside(e->a, nd->name));
    fputs(", \"", f);
    if (out) emitc_put_shape(f, out);
    fprintf(f, "\", %" PRId64 "},\n", flops);
  }
  if (!p->nsteps) fputs("  {0, \"\", \"\", \"\", 0}\n", f);
  fprintf(f,
          "};\n"
          "#define PROFILE_STEPS %d\n"
          "static int64_t profile_calls[%d], profile_ns[%d]; /* since the last reset */\n"
          "static int64_t profile_runs, profile_run_ns;\n"
          "/* the last run: each step's start (from the run's) and time */\n"
          "static int64_t profile_last_start[%d], profile_last_ns[%d], profile_last_run_ns;\n\n",
          p->nsteps, n, n, n, n);
  fputs(
      "#ifndef MLC_PROFILE_NOW_NS\n"
      "static int64_t profile_clock(void) {\n"
      "  struct timespec t;\n"
      "  clock_gettime(CLOCK_MONOTONIC, &t);\n"
      "  return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;\n"
      "}\n"
      "#define MLC_PROFILE_NOW_NS() profile_clock()\n"
      "#endif\n\n"
      "/* step k ran from `since` to now, in the run that began at `run`: counted;\n"
      " * returns now, the next step's start */\n"
      "static int64_t profile_step(int k, int64_t run, int64_t since) {\n"
      "  int64_t now = MLC_PROFILE_NOW_NS();\n"
      "  profile_calls[k]++;\n"
      "  profile_ns[k] += now - since;\n"
      "  profile_last_start[k] = since - run;\n"
      "  profile_last_ns[k] = now - since;\n"
      "  return now;\n"
      "}\n\n"
      "static void profile_run_end(int64_t run) {\n"
      "  profile_last_run_ns = MLC_PROFILE_NOW_NS() - run;\n"
      "  profile_run_ns += profile_last_run_ns;\n"
      "  profile_runs++;\n"
      "}\n\n"
      "/* the longest total first; equal ones in step order */\n"
      "static int profile_by_time(const void *x, const void *y) {\n"
      "  int a = *(const int *)x, b = *(const int *)y;\n"
      "  if (profile_ns[a] != profile_ns[b]) return profile_ns[a] < profile_ns[b] ? 1 : -1;\n"
      "  return a - b;\n"
      "}\n\n",
      f);
  fprintf(f,
          "void %s_profile_reset(void) {\n"
          "  memset(profile_calls, 0, sizeof profile_calls);\n"
          "  memset(profile_ns, 0, sizeof profile_ns);\n"
          "  memset(profile_last_start, 0, sizeof profile_last_start);\n"
          "  memset(profile_last_ns, 0, sizeof profile_last_ns);\n"
          "  profile_runs = profile_run_ns = profile_last_run_ns = 0;\n"
          "}\n\n",
          P);
  /* times in the trace as microseconds with three decimals, printed from
   * integers: no float formatting, which a locale could give a comma */
  fprintf(f,
          "static void profile_table(FILE *f) {\n"
          "  static int order[%d];\n"
          "  int i;\n"
          "  double run = profile_run_ns ? (double)profile_run_ns : 1;\n"
          "  for (i = 0; i < PROFILE_STEPS; i++) order[i] = i;\n"
          "  qsort(order, PROFILE_STEPS, sizeof *order, profile_by_time);\n"
          "  fprintf(f, \"# %%s: %%lld runs, %%.3f ms per run, %%d nodes by total time\\n\", ",
          n);
  emitc_put_cstring(f, e->o->source_name);
  fputs(
      ",\n"
      "          (long long)profile_runs,\n"
      "          profile_runs ? (double)profile_run_ns / (double)profile_runs / 1e6 : 0.0,\n"
      "          PROFILE_STEPS);\n"
      "  fprintf(f, \"%5s  %-18s %-20s %7s %10s %10s %6s %14s %8s  %s\\n\", \"node\", \"op\",\n"
      "          \"output shape\", \"calls\", \"total ms\", \"mean us\", \"% run\", \"FLOPs\", "
      "\"GFLOP/s\", \"name\");\n"
      "  for (i = 0; i < PROFILE_STEPS; i++) {\n"
      "    int k = order[i];\n"
      "    double ns = (double)profile_ns[k], calls = (double)profile_calls[k];\n"
      "    fprintf(f, \"%5d  %-18s %-20s %7lld %10.3f %10.2f %6.1f \", profile_steps[k].node,\n"
      "            profile_steps[k].op, profile_steps[k].shape, (long long)profile_calls[k],\n"
      "            ns / 1e6, calls ? ns / calls / 1e3 : 0.0, 100 * ns / run);\n"
      "    if (profile_steps[k].flops)\n"
      "      fprintf(f, \"%14lld %8.2f\", (long long)profile_steps[k].flops,\n"
      "              ns ? (double)profile_steps[k].flops * calls / ns : 0.0);\n"
      "    else\n"
      "      fprintf(f, \"%14s %8s\", \"-\", \"-\");\n"
      "    fprintf(f, \"  %s\\n\", profile_steps[k].name);\n"
      "  }\n"
      "}\n\n"
      "static void profile_us(FILE *f, int64_t ns) {\n"
      "  fprintf(f, \"%lld.%03d\", (long long)(ns / 1000), (int)(ns % 1000));\n"
      "}\n\n"
      "static void profile_trace(FILE *f) {\n"
      "  int k;\n"
      "  fputs(\"{\\\"traceEvents\\\": [\", f);\n"
      "  if (profile_runs) {\n"
      "    fputs(\"\\n{\\\"name\\\": \\\"",
      f);
  fprintf(f, "%s_run", P);
  fputs(
      "\\\", \\\"cat\\\": \\\"run\\\", \\\"ph\\\": \\\"X\\\", \\\"ts\\\": 0, \\\"dur\\\": \", "
      "f);\n"
      "    profile_us(f, profile_last_run_ns);\n"
      "    fputs(\", \\\"pid\\\": 1, \\\"tid\\\": 1}\", f);\n"
      "  }\n"
      "  for (k = 0; profile_runs && k < PROFILE_STEPS; k++) {\n"
      "    fprintf(f, \",\\n{\\\"name\\\": \\\"%s %s\\\", \\\"cat\\\": \\\"node\\\", "
      "\\\"ph\\\": \\\"X\\\", \\\"ts\\\": \",\n"
      "            profile_steps[k].op, profile_steps[k].name);\n"
      "    profile_us(f, profile_last_start[k]);\n"
      "    fputs(\", \\\"dur\\\": \", f);\n"
      "    profile_us(f, profile_last_ns[k]);\n"
      "    fprintf(f, \", \\\"pid\\\": 1, \\\"tid\\\": 1, \\\"args\\\": {\\\"node\\\": %d, "
      "\\\"shape\\\": \\\"%s\\\", \\\"flops\\\": %lld}}\",\n"
      "            profile_steps[k].node, profile_steps[k].shape, "
      "(long long)profile_steps[k].flops);\n"
      "  }\n"
      "  fputs(\"\\n], \\\"displayTimeUnit\\\": \\\"ms\\\"}\\n\", f);\n"
      "}\n\n",
      f);
  fprintf(f,
          "int %s_profile_write(const char *table_path, const char *trace_path) {\n"
          "  int ok = 1;\n"
          "  if (table_path) {\n"
          "    FILE *f = fopen(table_path, \"w\");\n"
          "    if (!f) return %s_ERR_PROFILE;\n"
          "    profile_table(f);\n"
          "    ok = !ferror(f);\n"
          "    ok &= !fclose(f);\n"
          "  }\n"
          "  if (trace_path && ok) {\n"
          "    FILE *f = fopen(trace_path, \"w\");\n"
          "    if (!f) return %s_ERR_PROFILE;\n"
          "    profile_trace(f);\n"
          "    ok = !ferror(f);\n"
          "    ok &= !fclose(f);\n"
          "  }\n"
          "  return ok ? %s_OK : %s_ERR_PROFILE;\n"
          "}\n\n",
          P, M, M, M, M);
}

void emitc_profile_start(Emit *e) {
  if (!e->o->profile) return;
  fputs("  int64_t prof_t = MLC_PROFILE_NOW_NS(), prof_run = prof_t;\n", e->f);
  if (!e->p->nsteps) fputs("  (void)profile_step; /* no step to time */\n", e->f);
}

void emitc_profile_step(Emit *e, int step) {
  if (e->o->profile) fprintf(e->f, "  prof_t = profile_step(%d, prof_run, prof_t);\n", step);
}

void emitc_profile_end(Emit *e) {
  if (e->o->profile) fputs("  profile_run_end(prof_run);\n", e->f);
}

void emitc_profile_header(Emit *e, FILE *h) {
  if (!e->o->profile) return;
  const char *P = e->o->prefix, *M = emitc_macro_prefix(e->a, P);
  fprintf(h,
          "/* Profile (mlc compile --profile): every run times each node with a\n"
          " * monotonic clock (clock_gettime; or define MLC_PROFILE_NOW_NS() as your\n"
          " * own, in nanoseconds, when building the model's C) into static counters,\n"
          " * so runs must not overlap. %s_profile_write() writes, to either path that\n"
          " * is not NULL, a table of the nodes by total time since the last reset\n"
          " * (calls, total ms, mean us, %% of the runs, FLOPs and GFLOP/s where\n"
          " * known) and a Chrome trace (JSON: chrome://tracing, Perfetto) of the\n"
          " * last run. Returns %s_OK, or %s_ERR_PROFILE if a file could not be\n"
          " * written. %s_profile_reset() zeroes the counters. */\n"
          "#define %s_ERR_PROFILE 4\n"
          "int %s_profile_write(const char *table_path, const char *trace_path);\n"
          "void %s_profile_reset(void);\n\n",
          P, M, M, P, M, P, P);
}
