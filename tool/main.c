/* mlc: the command line. One function per subcommand; each runs inside a
 * diagnostics scope, so any error prints `mlc: error: FILE: ...`, removes
 * partial output files and exits 1. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "diag.h"
#include "dimrange.h"
#include "driver.h"
#include "emitc.h"
#include "emitcu.h"
#include "interp.h"
#include "model.h"
#include "plan_svg.h"
#include "tensor_io.h"
#include "testrun.h"
#include "textesc.h"
#include "version.h"

static const char *usage_main =
    "usage: mlc COMMAND [ARGS]\n"
    "\n"
    "mlc compiles ONNX models (.onnx, or the text form .onnxtxt) to standalone C.\n"
    "\n"
    "commands:\n"
    "  compile MODEL -o OUT.c   write OUT.c and OUT.h (and OUT.weights for big models)\n"
    "  run MODEL --input NAME=FILE ...   run the model in the interpreter\n"
    "  info MODEL               inputs, outputs, ops, parameters, FLOPs, arena\n"
    "  convert IN -o OUT        between .onnx and .onnxtxt\n"
    "  plan MODEL -o PLAN.svg   draw the memory plan\n"
    "  test DIR...              check ONNX backend-test directories, interpreter and C\n"
    "\n"
    "`mlc COMMAND --help` describes each command. `mlc --version` prints the version.\n";

static const char *usage_shape_flags =
    "  --shape NAME=DIMS   give input NAME the shape DIMS (e.g. 1x3x224x224)\n"
    "  --dim SYM=N         bind the symbolic dimension SYM to N\n"
    "  --dim SYM=LO..HI    (compile, info, test) the code takes SYM at run time,\n"
    "                      as its first parameter, anywhere in LO..HI (docs/dims.md)\n"
    "  --const NAME=FILE   freeze input NAME to the tensor in FILE (.npy or .pb), or\n"
    "  --const NAME=V,...  to these numbers (as many as its declared shape holds):\n"
    "                      for inputs that decide shapes (a Reshape's shape, pads...)\n"
    "                      or branches (an If's condition)\n"
    "  --seq NAME=N        sequence input NAME has N elements, which become the inputs\n"
    "                      NAME.0 ... NAME.N-1 of the generated code, shaped as the\n"
    "                      model declares its elements or by --shape NAME.K=DIMS, --dim\n"
    "  --none NAME         optional input NAME is empty (default: present); it then\n"
    "                      has no parameter\n";

static const char *usage_target =
    "  --target=T          the instruction set the code is planned for (docs/targets.md):\n"
    "                      generic (default: portable C), x86-64-v3 (AVX2, FMA),\n"
    "                      x86-64-v4 (AVX-512F), aarch64 (NEON), or native (the widest\n"
    "                      this machine has). Code for a target builds only with flags\n"
    "                      for that ISA (-march=x86-64-v4, say) and links only with a\n"
    "                      runtime built for it. cuda: CUDA C++ for nvcc instead\n"
    "                      (-o OUT.cu writes OUT.cu, OUT.h, OUT.weights; docs/cuda.md)\n";

static const char *usage_compile =
    "usage: mlc compile MODEL -o OUT.c [options]\n"
    "\n"
    "Writes OUT.c (the model as C99) and OUT.h (entry points, shapes, arena size).\n"
    "Build them with your compiler and link the mlc runtime: -Iruntime libmlc_rt.a -lm.\n"
    "\n"
    "options:\n"
    "  -o OUT.c            output source (required); the header goes next to it\n"
    "  --name PREFIX       prefix of the C symbols (default: model)\n"
    "  --weights=MODE      inline: weights as static const arrays in OUT.c;\n"
    "                      file: weights in OUT.weights, loaded with PREFIX_load_weights();\n"
    "                      auto (default): file above 2 MiB of weights\n"
    "  -O0, -O1, -O2       optimization level (default -O2):\n"
    "                      -O0 folds constants and drops dead nodes, nothing more;\n"
    "                      -O1 also removes no-op nodes (noop), merges equal nodes and\n"
    "                      constants (cse), folds BatchNormalization and per-channel\n"
    "                      scales into Conv/Gemm/MatMul weights (bnfold);\n"
    "                      -O2 also sinks Transposes until inverse pairs cancel\n"
    "                      (transpose), replaces exporter spellings of LayerNorm,\n"
    "                      GELU, Softmax and SiLU by the single op (patterns), splits\n"
    "                      other BatchNormalizations into Mul + Add (bnsplit), and\n"
    "                      fuses epilogues and elementwise chains (epilogue, fuse)\n"
    "  --dump-after=PASS   print the graph in text form after PASS (one of those\n"
    "                      above, or fold or dce)\n"
    "  --fold-max-bytes=N  fold a constant node only if its result takes at most N\n"
    "                      bytes (default 16 MiB; bigger ones run in the product,\n"
    "                      with a warning)\n"
    "  --string-bytes=N    room in the arena for the strings a run makes (StringConcat,\n"
    "                      StringSplit, case changes; default 65536): a run that needs\n"
    "                      more returns PREFIX_ERR_STRINGS\n"
    "  --harness=FILE      also write a main() to FILE that runs the model on raw\n"
    "                      little-endian tensor files: prog [WEIGHTS] IN... OUT...\n"
    "                      (with --target=cuda, through device buffers; there\n"
    "                      MLC_TIME_RUNS=N also prints the median of N timed runs)\n"
    "  --precision=P       --target=cuda: fp32 (default) or tf32 (TF32 tensor cores in\n"
    "                      convolutions and products; docs/cuda.md says what it costs)\n"
    "  --profile           time every node of every run (clock_gettime): the header\n"
    "                      gains PREFIX_profile_write(TABLE, TRACE), a table of the\n"
    "                      nodes by time and a Chrome trace of the last run, and\n"
    "                      PREFIX_profile_reset() (README, Benchmarks)\n";

static const char *usage_run =
    "usage: mlc run MODEL --input NAME=FILE ... [-o DIR] [options]\n"
    "\n"
    "Runs the model in mlc's interpreter (the same kernels as generated code).\n"
    "Inputs are .npy files or ONNX TensorProto .pb files. Outputs are printed\n"
    "(shape and leading values), or written as DIR/K_NAME.npy with -o DIR\n"
    "(string tensors as TensorProto DIR/K_NAME.pb).\n"
    "With a single input, --input FILE is enough.\n";

static const char *usage_info =
    "usage: mlc info MODEL [options]\n"
    "\n"
    "Prints inputs and outputs, an op histogram, parameter count and bytes,\n"
    "FLOPs of one inference, the target and the planned arena against its lower\n"
    "bound.\n";

static const char *usage_info_json =
    "  --json              the same facts as one JSON object (docs/ci.md): shapes as\n"
    "                      lists, symbolic dims as their names; with dims unbound,\n"
    "                      \"unbound\" says which, and the fields after the passes are\n"
    "                      left out. Names are UTF-8: bytes that are not valid UTF-8\n"
    "                      become U+FFFD\n"
    "  -O0, -O1, -O2       the passes counted after (default -O2)\n";

static const char *usage_convert =
    "usage: mlc convert IN -o OUT\n"
    "\n"
    "Converts between ONNX protobuf (.onnx) and the text form (.onnxtxt), chosen\n"
    "by each file's extension. The graph is kept as it is (no inference).\n";

typedef struct Args {
  const char *model, *out;
  const char *harness; /* --harness: compile also writes a test main() there */
  CompileOptions co;
  const char **inputs;
  int ninputs;
  int help;
  int target_given;    /* --target: planning for an ISA, which mlc run and convert do not */
  int precision_given; /* --precision: for the CUDA backend only */
} Args;

static void push_shape(Arena *a, Bindings *b, const char *spec) {
  const char *eq = strrchr(spec, '=');
  if (!eq || eq == spec) diag_fatal("--shape expects NAME=DIMS, got '%s'", spec);
  ShapeBind sb = {arena_strndup(a, spec, (size_t)(eq - spec)), 0, {0}};
  sb.rank = parse_dims(eq + 1, sb.dims, IR_MAX_RANK);
  if (sb.rank < 0) diag_fatal("--shape %s: DIMS must look like 1x3x224x224", spec);
  size_t cap = (size_t)b->nshapes;
  b->shapes = arena_grow(a, b->shapes, &cap, (size_t)b->nshapes + 1, sizeof *b->shapes);
  b->shapes[b->nshapes++] = sb;
}

static void push_const(Arena *a, Bindings *b, const char *spec) {
  const char *eq = strchr(spec, '=');
  if (!eq || eq == spec) diag_fatal("--const expects NAME=FILE, got '%s'", spec);
  /* numbers, unless a file has that name */
  const char *text = eq + 1, *literal = NULL;
  const Tensor *t = NULL;
  struct stat st;
  if (stat(text, &st) && strspn(text, "0123456789+-.,eE") == strlen(text) && *text) {
    literal = text;
  } else {
    const char *file = diag_file();
    t = tensor_load(a, text);
    diag_set_file(file);
  }
  size_t cap = (size_t)b->nconsts;
  b->consts = arena_grow(a, b->consts, &cap, (size_t)b->nconsts + 1, sizeof *b->consts);
  b->consts[b->nconsts++] = (ConstBind){arena_strndup(a, spec, (size_t)(eq - spec)), t, literal};
}

/* --seq NAME=N, or --none NAME (none) */
static void push_seq(Arena *a, Bindings *b, const char *spec, int none) {
  SeqBind sb = {spec, 0, 1};
  if (!none) {
    const char *eq = strrchr(spec, '=');
    char *end;
    if (!eq || eq == spec) diag_fatal("--seq expects NAME=N, got '%s'", spec);
    long long n = strtoll(eq + 1, &end, 10);
    if (*end || end == eq + 1 || n < 0) diag_fatal("--seq %s: N must be a number >= 0", spec);
    sb = (SeqBind){arena_strndup(a, spec, (size_t)(eq - spec)), n, 0};
  }
  size_t cap = (size_t)b->nseqs;
  b->seqs = arena_grow(a, b->seqs, &cap, (size_t)b->nseqs + 1, sizeof *b->seqs);
  b->seqs[b->nseqs++] = sb;
}

static Args parse_args(Arena *a, int argc, char **argv, int allow_inputs) {
  Args r = {0};
  r.co.prefix = "model";
  r.co.passes.opt_level = 2;
  for (int i = 0; i < argc; i++) {
    const char *v;
    if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
      r.help = 1;
    else if ((v = driver_flag_value(argc, argv, &i, "-o")))
      r.out = v;
    else if ((v = driver_flag_value(argc, argv, &i, "--harness")))
      r.harness = v;
    else if ((v = driver_flag_value(argc, argv, &i, "--shape")))
      push_shape(a, &r.co.bind, v);
    else if ((v = driver_flag_value(argc, argv, &i, "--dim")))
      driver_push_dim(a, &r.co, v);
    else if ((v = driver_flag_value(argc, argv, &i, "--const")))
      push_const(a, &r.co.bind, v);
    else if ((v = driver_flag_value(argc, argv, &i, "--seq")))
      push_seq(a, &r.co.bind, v, 0);
    else if ((v = driver_flag_value(argc, argv, &i, "--none")))
      push_seq(a, &r.co.bind, v, 1);
    else if ((v = driver_flag_value(argc, argv, &i, "--name")))
      r.co.prefix = v;
    else if ((v = driver_flag_value(argc, argv, &i, "--target"))) {
      r.co.target = driver_target(v);
      r.target_given = 1;
    } else if ((v = driver_flag_value(argc, argv, &i, "--dump-after")))
      r.co.passes.dump_after = v;
    else if ((v = driver_flag_value(argc, argv, &i, "--fold-max-bytes"))) {
      char *end;
      long long b = strtoll(v, &end, 10);
      if (*end || end == v || b <= 0) diag_fatal("--fold-max-bytes takes a number of bytes > 0");
      r.co.passes.fold_max_bytes = (size_t)b;
    } else if ((v = driver_flag_value(argc, argv, &i, "--string-bytes"))) {
      char *end;
      long long b = strtoll(v, &end, 10);
      if (*end || end == v || b < 64 || b > ((long long)1 << 40))
        diag_fatal("--string-bytes takes a number of bytes from 64 to 2^40");
      ir_string_bytes = b;
    } else if ((v = driver_flag_value(argc, argv, &i, "--weights"))) {
      if (!strcmp(v, "inline"))
        r.co.weights = WEIGHTS_INLINE;
      else if (!strcmp(v, "file"))
        r.co.weights = WEIGHTS_FILE;
      else if (!strcmp(v, "auto"))
        r.co.weights = WEIGHTS_AUTO;
      else
        diag_fatal("--weights must be inline, file or auto, not '%s'", v);
    } else if ((v = driver_flag_value(argc, argv, &i, "--precision"))) {
      if (!strcmp(v, "fp32") || !strcmp(v, "tf32"))
        r.co.tf32 = !strcmp(v, "tf32");
      else if (!strcmp(v, "fp16") || !strcmp(v, "bf16"))
        diag_fatal(
            "--precision=%s is not supported yet: the CUDA backend computes in fp32 "
            "(--precision=fp32) or with TF32 products (--precision=tf32)",
            v);
      else
        diag_fatal("--precision must be fp32 or tf32, not '%s'", v);
      r.precision_given = 1;
    } else if (!strcmp(argv[i], "--profile"))
      r.co.profile = 1;
    else if (!strcmp(argv[i], "-O0") || !strcmp(argv[i], "-O1") || !strcmp(argv[i], "-O2"))
      r.co.passes.opt_level = argv[i][2] - '0';
    else if (allow_inputs && (v = driver_flag_value(argc, argv, &i, "--input"))) {
      size_t cap = (size_t)r.ninputs;
      r.inputs = arena_grow(a, r.inputs, &cap, (size_t)r.ninputs + 1, sizeof *r.inputs);
      r.inputs[r.ninputs++] = v;
    } else if (argv[i][0] == '-' && argv[i][1])
      diag_fatal("unknown option '%s'", argv[i]);
    else if (!r.model)
      r.model = argv[i];
    else
      diag_fatal("unexpected argument '%s'", argv[i]);
  }
  return r;
}

static void need_model(const Args *r, const char *usage) {
  if (!r->model) {
    fputs(usage, stderr);
    diag_fatal("no model given");
  }
}

static int cmd_compile(Arena *a, int argc, char **argv) {
  Args r = parse_args(a, argc, argv, 0);
  if (r.help) {
    printf("%s%s%s", usage_compile, usage_target, usage_shape_flags);
    return 0;
  }
  need_model(&r, usage_compile);
  if (!r.out) diag_fatal("no output given: use -o OUT.c");
  if (!emitc_valid_prefix(r.co.prefix))
    diag_fatal("--name '%s' is not a C identifier (letters, digits, _; at most 40)", r.co.prefix);
  if (r.precision_given && r.co.target != TARGET_CUDA)
    diag_fatal("--precision is for --target=cuda: the C backend computes float models in fp32");
  Plan *p;
  int file;
  if (r.co.nranges) {
    if (r.co.target == TARGET_CUDA)
      diag_fatal("--dim ranges are for the C backend: --target=cuda takes static dims");
    if (r.co.profile) diag_fatal("--profile times one shape: bind each --dim to one value");
    file = dimrange_compile(a, r.model, &r.co, r.out, &p);
  } else {
    Graph *g = driver_prepare(a, r.model, &r.co.bind);
    g->target = r.co.target;
    p = driver_plan(g, &r.co.passes);
    file = driver_emit(p, &r.co, r.out);
  }
  if (r.harness) {
    int to_file;
    EmitOptions eo = driver_emit_options(p, &r.co, r.out, &to_file);
    eo.weights_name = file ? path_base(path_with_ext(a, r.out, ".weights")) : NULL;
    eo.source_name = path_base(r.model);
    FILE *hf = out_open(r.harness, "w");
    if (r.co.target == TARGET_CUDA)
      emitcu_harness(p, &eo, hf);
    else
      emitc_harness(p, &eo, hf);
  }
  out_commit_all();
  /* the target named, so that what --target=native chose shows */
  fprintf(stderr, "mlc: wrote %s, %s%s%s (arena %" PRId64 " bytes%s%s)\n", r.out,
          path_with_ext(a, r.out, ".h"), file ? ", " : "",
          file ? path_with_ext(a, r.out, ".weights") : "", p->arena_bytes,
          r.target_given ? ", target " : "", r.target_given ? emitc_target_name(r.co.target) : "");
  return 0;
}

static void print_tensor(const Tensor *t) {
  Value v = {0};
  v.dtype = t->dtype;
  ir_set_shape(&v, t->rank, t->dims);
  v.data = t->data;
  Arena *a = arena_new();
  printf("%s: %s %s\n ", t->name, dtype_name(t->dtype), ir_shape_str(a, &v));
  arena_free(a);
  int64_t n = ir_numel(&v);
  for (int64_t i = 0; i < n && i < 16; i++) {
    if (t->dtype == DT_STRING)
      printf(" \"%s\"", ((const char *const *)t->data)[i]);
    else if (dtype_is_float(t->dtype))
      printf(" %.6g", ir_data_f64(&v, i));
    else
      printf(" %" PRId64, ir_data_i64(&v, i));
  }
  printf("%s\n", n > 16 ? " ..." : "");
}

/* a file name from a tensor name: safe characters only; .npy, or .pb for
 * strings (which .npy cannot hold) */
static char *file_name_for(Arena *a, const char *dir, const char *name, int index, DType t) {
  char *s = arena_printf(a, "%s", *name ? name : "output");
  for (char *p = s; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
          *p == '_' || *p == '-'))
      *p = '_';
  return arena_printf(a, "%s/%d_%s.%s", dir, index, s, t == DT_STRING ? "pb" : "npy");
}

static int cmd_run(Arena *a, int argc, char **argv) {
  Args r = parse_args(a, argc, argv, 1);
  if (r.co.nranges)
    diag_fatal("--dim %s=%" PRId64 "..%" PRId64
               ": a range is for mlc compile; mlc run takes "
               "each dim from its inputs",
               r.co.ranges[0].name, r.co.ranges[0].lo, r.co.ranges[0].hi);
  if (r.help) {
    printf(
        "%s\noptions:\n  --input NAME=FILE   an input (.npy or .pb)\n"
        "  -o DIR              write outputs as DIR/K_NAME.npy (.pb for strings)\n"
        "  -O0, -O1, -O2       the passes run first, as mlc compile runs them (default -O2)\n%s",
        usage_run, usage_shape_flags);
    return 0;
  }
  need_model(&r, usage_run);
  if (r.target_given)
    diag_fatal(
        "mlc run interprets the model, for no target: --target is for the generated code "
        "(mlc compile, mlc test)");
  Graph *g = model_load(a, r.model);
  int n = g->ninputs;
  Value **order = arena_array(a, (size_t)n + 1, sizeof *order);
  if (n) memcpy(order, g->inputs, (size_t)n * sizeof *order);
  Tensor **given = arena_array(a, (size_t)n + 1, sizeof *given);
  for (int i = 0; i < r.ninputs; i++) {
    const char *spec = r.inputs[i], *eq = strchr(spec, '=');
    int k = -1;
    if (!eq && n == 1) {
      k = 0;
      eq = spec - 1;
    } else if (eq) {
      for (int j = 0; j < n; j++)
        if (strlen(order[j]->name) == (size_t)(eq - spec) &&
            !strncmp(order[j]->name, spec, (size_t)(eq - spec)))
          k = j;
    }
    if (k < 0) diag_fatal("--input %s: no model input of that name (use NAME=FILE)", spec);
    given[k] = tensor_load(a, eq + 1);
    diag_set_file(r.model);
  }
  for (int i = 0; i < n; i++) {
    int frozen = 0;
    for (int c = 0; c < r.co.bind.nconsts; c++)
      frozen |= !strcmp(r.co.bind.consts[c].name, order[i]->name);
    for (int c = 0; c < r.co.bind.nseqs; c++)
      frozen |= r.co.bind.seqs[c].none && !strcmp(r.co.bind.seqs[c].name, order[i]->name);
    if (frozen) continue;
    if (order[i]->decl_seq)
      diag_fatal(
          "input '%s' is a sequence: mlc run takes tensors (mlc compile --seq and mlc "
          "test take sequences)",
          order[i]->name);
    if (!given[i])
      diag_fatal("input '%s' is not given (--input %s=FILE)", order[i]->name, order[i]->name);
    /* the inputs' shapes bind the model's symbolic dims */
    ShapeBind sb = {order[i]->name, given[i]->rank, {0}};
    memcpy(sb.dims, given[i]->dims, sizeof sb.dims);
    size_t cap = (size_t)r.co.bind.nshapes;
    r.co.bind.shapes = arena_grow(a, r.co.bind.shapes, &cap, cap + 1, sizeof sb);
    r.co.bind.shapes[r.co.bind.nshapes++] = sb;
  }
  infer_bind(g, &r.co.bind);
  infer_graph(g);
  passes_run(g, &r.co.passes); /* -O0 runs the graph as the model states it */
  /* the inputs that remain after freezing, in the graph's order */
  Tensor **ins = arena_array(a, (size_t)g->ninputs + 1, sizeof *ins);
  for (int i = 0; i < g->ninputs; i++)
    for (int j = 0; j < n; j++)
      if (order[j] == g->inputs[i]) ins[i] = given[j];
  Tensor **outs = arena_array(a, (size_t)g->noutputs + 1, sizeof *outs);
  interp_run(g, ins, outs);
  if (r.out && mkdir(r.out, 0777) && errno != EEXIST)
    diag_fatal("cannot create the output folder '%s': %s", r.out, strerror(errno));
  for (int i = 0; i < g->noutputs; i++) {
    if (r.out)
      tensor_save(outs[i], file_name_for(a, r.out, outs[i]->name, i, outs[i]->dtype));
    else
      print_tensor(outs[i]);
  }
  return 0;
}

/* weights: the initializers and the Constant nodes' values (some exporters
 * write every weight as a Constant), as the model states them */
static void count_params(const Graph *g, int64_t *count, int64_t *bytes) {
  *count = *bytes = 0;
  for (int i = 0; i < g->ninits; i++) {
    *count += ir_numel(g->inits[i]);
    *bytes += (int64_t)ir_nbytes(g->inits[i]);
  }
  for (int i = 0; i < g->nnodes; i++) {
    const Node *n = g->nodes[i];
    if (strcmp(n->op_type, "Constant") || *n->domain) continue; /* ops not resolved yet */
    for (int k = 0; k < n->nattrs; k++) {
      const Attr *at = &n->attrs[k];
      if (at->kind == AK_TENSOR && at->t && !strcmp(at->name, "value")) {
        int64_t c = 1;
        for (int d = 0; d < at->t->rank; d++) c *= at->t->dims[d];
        *count += c;
        *bytes += (int64_t)at->t->nbytes;
      } else if (!strcmp(at->name, "value_float") || !strcmp(at->name, "value_int")) {
        *count += 1;
        *bytes += at->name[6] == 'f' ? 4 : 8;
      } else if (!strcmp(at->name, "value_floats") || !strcmp(at->name, "value_ints")) {
        *count += at->n;
        *bytes += (int64_t)at->n * (at->name[6] == 'f' ? 4 : 8);
      }
    }
  }
}

/* a shape as JSON: numbers, symbolic dims as their names, unknown unnamed
 * dims as null; null for an unknown rank */
static void json_shape(const Value *v) {
  if (v->rank < 0) {
    fputs("null", stdout);
    return;
  }
  putchar('[');
  for (int d = 0; d < v->rank; d++) {
    if (d) fputs(", ", stdout);
    if (v->dim_param[d])
      put_json_string(stdout, v->dim_param[d]);
    else if (v->dims[d] < 0)
      fputs("null", stdout);
    else
      printf("%" PRId64, v->dims[d]);
  }
  putchar(']');
}

static void json_values(const char *key, Value *const *vs, int n) {
  printf("  \"%s\": [", key);
  for (int i = 0; i < n; i++) {
    fputs(i ? ",\n    {\"name\": " : "\n    {\"name\": ", stdout);
    put_json_string(stdout, vs[i]->name);
    fputs(", \"type\": ", stdout);
    put_json_string(stdout, dtype_name(vs[i]->dtype));
    fputs(", \"shape\": ", stdout);
    json_shape(vs[i]);
    putchar('}');
  }
  printf("%s],\n", n ? "\n  " : "");
}

/* {"count": N, "ops": {"Op": n, ...}} in the op table's order */
static void json_histogram(const int *hist, int count) {
  printf("{\"count\": %d, \"ops\": {", count);
  for (int k = 0, any = 0; k < OP_COUNT; k++)
    if (hist[k]) {
      fputs(any++ ? ", " : "", stdout);
      put_json_string(stdout, optab[k].name);
      printf(": %d", hist[k]);
    }
  fputs("}}", stdout);
}

static void histogram(const Graph *g, int *hist) {
  memset(hist, 0, OP_COUNT * sizeof *hist);
  for (int i = 0; i < g->nnodes; i++) hist[g->nodes[i]->op]++;
}

/* FLOPs of one inference: the plan's kernel calls' */
static int64_t plan_flops(const Plan *p) {
  int64_t flops = 0;
  for (int s = 0; s < p->nsteps; s++)
    for (int c = 0; c < p->steps[s].ncalls; c++) flops += kcall_flops(&p->steps[s].calls[c]);
  return flops;
}

/* the facts of the text form, as one JSON object (docs/ci.md) */
static void info_json(const Graph *g, const CompileOptions *co, const char *model, int64_t nparams,
                      int64_t pbytes, const int *hist, int nnodes, const char *unbound,
                      const Plan *p, const int *after, int opt_level, int64_t flops) {
  fputs("{\n  \"model\": ", stdout);
  put_json_string(stdout, model);
  fputs(",\n  \"producer\": ", stdout);
  if (g->producer_name && *g->producer_name) {
    fputs("{\"name\": ", stdout);
    put_json_string(stdout, g->producer_name);
    fputs(", \"version\": ", stdout);
    put_json_string(stdout, g->producer_version ? g->producer_version : "");
    putchar('}');
  } else {
    fputs("null", stdout);
  }
  printf(",\n  \"opset\": %" PRId64 ",\n", ir_opset(g, ""));
  json_values("inputs", g->inputs, g->ninputs);
  json_values("outputs", g->outputs, g->noutputs);
  fputs("  \"runtime_dims\": [", stdout);
  for (int i = 0; i < co->nranges; i++) {
    fputs(i ? ", {\"name\": " : "{\"name\": ", stdout);
    put_json_string(stdout, co->ranges[i].name);
    printf(", \"min\": %" PRId64 ", \"max\": %" PRId64 "}", co->ranges[i].lo, co->ranges[i].hi);
  }
  fputs("],\n", stdout);
  printf("  \"parameters\": {\"count\": %" PRId64 ", \"bytes\": %" PRId64 "},\n", nparams, pbytes);
  fputs("  \"nodes\": ", stdout);
  json_histogram(hist, nnodes);
  if (unbound) {
    fputs(",\n  \"unbound\": ", stdout);
    put_json_string(stdout, unbound);
    fputs("\n}\n", stdout);
    return;
  }
  printf(",\n  \"opt_level\": %d,\n  \"target\": ", opt_level);
  put_json_string(stdout, emitc_target_name(ir_target(g)));
  fputs(",\n  \"nodes_after_passes\": ", stdout);
  json_histogram(after, g->nnodes);
  printf(",\n  \"flops\": %" PRId64 ",\n", flops);
  printf("  \"arena\": {\"bytes\": %" PRId64 ", \"lower_bound\": %" PRId64
         ", \"ratio\": %.3f}\n}\n",
         p->arena_bytes, p->lower_bound,
         p->lower_bound ? (double)p->arena_bytes / (double)p->lower_bound : 1.0);
}

static int cmd_info(Arena *a, int argc, char **argv) {
  /* --json is info's own flag */
  int json = 0, n = 0;
  char **rest = arena_array(a, (size_t)argc + 1, sizeof *rest);
  for (int i = 0; i < argc; i++) {
    if (!strcmp(argv[i], "--json"))
      json = 1;
    else
      rest[n++] = argv[i];
  }
  Args r = parse_args(a, n, rest, 0);
  if (r.help) {
    printf("%s\noptions:\n%s%s%s", usage_info, usage_info_json, usage_target, usage_shape_flags);
    return 0;
  }
  need_model(&r, usage_info);
  Graph *g = model_load(a, r.model);
  g->target = r.co.target;
  int64_t nparams, pbytes;
  count_params(g, &nparams, &pbytes);
  const char *unbound = infer_bind_open(g, &r.co.bind);
  if (!unbound) infer_graph(g);
  int hist[OP_COUNT], after[OP_COUNT], nnodes = g->nnodes;
  histogram(g, hist);
  if (json) {
    Plan *p = NULL;
    int64_t flops = 0;
    if (!unbound) {
      p = driver_plan(g, &r.co.passes);
      histogram(g, after);
      flops = plan_flops(p);
    }
    info_json(g, &r.co, r.model, nparams, pbytes, hist, nnodes, unbound, p, after,
              r.co.passes.opt_level, flops);
    return 0;
  }
  printf("model: %s\n", r.model);
  if (g->producer_name && *g->producer_name)
    printf("producer: %s %s\n", g->producer_name, g->producer_version ? g->producer_version : "");
  printf("opset: %" PRId64 "\n", ir_opset(g, ""));
  for (int i = 0; i < g->ninputs; i++)
    printf("input  %s: %s %s\n", g->inputs[i]->name, dtype_name(g->inputs[i]->dtype),
           ir_shape_str(a, g->inputs[i]));
  for (int i = 0; i < g->noutputs; i++)
    printf("output %s: %s %s\n", g->outputs[i]->name, dtype_name(g->outputs[i]->dtype),
           ir_shape_str(a, g->outputs[i]));
  for (int i = 0; i < r.co.nranges; i++)
    printf("%s%s %" PRId64 "..%" PRId64 "%s", i ? ", " : "run-time dims: ", r.co.ranges[i].name,
           r.co.ranges[i].lo, r.co.ranges[i].hi,
           i + 1 < r.co.nranges ? "" : " (shapes, FLOPs and arena below at the largest)\n");
  printf("parameters: %" PRId64 " (%" PRId64 " bytes)\n", nparams, pbytes);
  printf("nodes: %d\n", g->nnodes);
  for (int k = 0; k < OP_COUNT; k++)
    if (hist[k]) printf("  %-24s %d\n", optab[k].name, hist[k]);
  if (unbound) {
    printf("nodes after passes, FLOPs and arena: once every dimension is bound (%s)\n", unbound);
    return 0;
  }
  Plan *p = driver_plan(g, &r.co.passes);
  histogram(g, after);
  printf("nodes after passes (-O%d): %d\n", r.co.passes.opt_level, g->nnodes);
  for (int k = 0; k < OP_COUNT; k++)
    if (after[k]) printf("  %-24s %d\n", optab[k].name, after[k]);
  printf("FLOPs: %" PRId64 "\n", plan_flops(p));
  printf("target: %s\n", emitc_target_name(r.co.target));
  printf("arena: %" PRId64 " bytes (lower bound %" PRId64 ", ratio %.3f)\n", p->arena_bytes,
         p->lower_bound, p->lower_bound ? (double)p->arena_bytes / (double)p->lower_bound : 1.0);
  return 0;
}

static const char *usage_plan =
    "usage: mlc plan MODEL -o PLAN.svg [options]\n"
    "\n"
    "Draws the memory plan: one box per intermediate tensor, from the step that\n"
    "writes it to the last that reads it (across) at its arena offset (down).\n"
    "Hover a box for the tensor's name, type and size.\n";

static int cmd_plan(Arena *a, int argc, char **argv) {
  Args r = parse_args(a, argc, argv, 0);
  if (r.help) {
    printf("%s\noptions:\n  -O0, -O1, -O2       optimization level (default -O2)\n%s%s", usage_plan,
           usage_target, usage_shape_flags);
    return 0;
  }
  need_model(&r, usage_plan);
  if (!r.out) diag_fatal("no output given: use -o PLAN.svg");
  Graph *g = driver_prepare(a, r.model, &r.co.bind);
  g->target = r.co.target;
  Plan *p = driver_plan(g, &r.co.passes);
  plan_svg(p, out_open(r.out, "w"));
  out_commit_all();
  return 0;
}

/* a sequence or optional among the inputs and outputs of g or its subgraphs:
 * both writers know tensor types only, so converting would lose them */
static const Value *structured_io(const Graph *g) {
  for (int i = 0; i < g->ninputs + g->noutputs; i++) {
    const Value *v = i < g->ninputs ? g->inputs[i] : g->outputs[i - g->ninputs];
    if (v->decl_seq || v->decl_opt) return v;
  }
  for (int i = 0; i < g->nnodes; i++)
    for (int k = 0; k < g->nodes[i]->nattrs; k++) {
      const Attr *at = &g->nodes[i]->attrs[k];
      for (int j = 0; j < (at->kind == AK_GRAPHS ? at->n : at->kind == AK_GRAPH); j++) {
        const Value *v = structured_io(at->kind == AK_GRAPHS ? at->graphs[j] : at->g);
        if (v) return v;
      }
    }
  return NULL;
}

static int cmd_convert(Arena *a, int argc, char **argv) {
  Args r = parse_args(a, argc, argv, 0);
  if (r.help) {
    fputs(usage_convert, stdout);
    return 0;
  }
  need_model(&r, usage_convert);
  if (r.target_given) diag_fatal("mlc convert keeps the graph as it is: it takes no --target");
  if (!r.out) diag_fatal("no output given: use -o OUT");
  Graph *g = model_load(a, r.model);
  const Value *v = structured_io(g);
  if (v)
    diag_fatal(
        "'%s' is a sequence or optional: mlc does not support converting those (its "
        "writers know tensor types only)",
        v->name);
  model_save(g, r.out);
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
      !strcmp(argv[1], "help")) {
    fputs(usage_main, argc < 2 ? stderr : stdout);
    return argc < 2 ? 1 : 0;
  }
  if (!strcmp(argv[1], "--version")) {
    printf("mlc %s\n", MLC_VERSION);
    return 0;
  }
  static const struct {
    const char *name;
    int (*run)(Arena *a, int argc, char **argv);
  } cmds[] = {{"compile", cmd_compile}, {"run", cmd_run},   {"info", cmd_info},
              {"convert", cmd_convert}, {"test", cmd_test}, {"plan", cmd_plan}};
  for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++) {
    if (strcmp(argv[1], cmds[i].name)) continue;
    Arena *a = arena_new();
    DiagScope scope = {0};
    int rc;
    diag_set_file("mlc");
    if (!setjmp(scope.jb)) {
      diag_enter(&scope);
      rc = cmds[i].run(a, argc - 2, argv + 2);
      diag_leave(&scope);
    } else {
      out_abort_all();
      rc = 1;
    }
    arena_free(a);
    return rc;
  }
  fprintf(stderr, "mlc: error: unknown command '%s'\n%s", argv[1], usage_main);
  return 1;
}
