/* CUDA backend: the source (model.cu) and its plain C header.
 *
 * The program is the C backend's, step for step, on the same plan: the
 * arena is one device buffer at the same offsets, the weights one device
 * copy of the same weights file. A step that is a kernel call calls the
 * CUDA runtime's kernel of the same name (runtime/cuda/mlc_rt_cuda.h) with
 * the same parameter struct; a run of elementwise calls (one call, or a
 * fused group) becomes a __global__ function of this file, a grid-stride
 * loop whose body is the C backend's loop body (emitc_put_ew_body), over
 * the same scalar functions, which nvcc compiles for the device too: one
 * definition of each op's arithmetic for both backends.
 *
 * The steps run in one function that the model calls twice over: once at
 * init with the runtime's sizing flag set (nothing is launched; kernels
 * say how much workspace they want), and under stream capture at the first
 * run with given buffers, whose CUDA Graph every later run replays in one
 * launch. Runs with other buffers capture again and update the graph in
 * place.
 */
#include "emitcu.h"

#include <inttypes.h>
#include <string.h>

#include "diag.h"
#include "emitc_int.h"
#include "mlc_rt_cuda_kernels.h"
#include "version.h"

/* ---- what the CUDA runtime runs ------------------------------------------------------ */

/* by kernel: why the CUDA runtime refuses a call's parameters (NULL: it
 * runs them); none for a kernel it lacks */
typedef const char *Refusal(const void *params);
static Refusal *const cuda_kernels[K_COUNT] = {
#define X(name, P, refuse) [K_##name] = refuse,
    MLC_RTCU_KERNELS(X)
#undef X
};

/* why call c cannot run on the GPU, or NULL if it can */
static const char *unsupported(const KCall *c) {
  for (int j = 0; j < c->nio; j++)
    if (c->io[j] && c->io[j]->dtype == DT_STRING) return "string tensors stay on the C backend";
  if (ktab[c->kernel].ew_arity) return NULL;
  if (!cuda_kernels[c->kernel]) return "the CUDA runtime has no kernel for it";
  return cuda_kernels[c->kernel](c->params);
}

void emitcu_check(const Plan *p) {
  const Graph *g = p->g;
  for (int s = 0; s < p->nsteps; s++) {
    const Step *st = &p->steps[s];
    for (int k = 0; k < st->ncalls; k++) {
      const char *why = unsupported(&st->calls[k]);
      if (!why) continue;
      if (st->node)
        diag_node_error(st->node, "no CUDA kernel: kernel %s (%s)", ktab[st->calls[k].kernel].name,
                        why);
      else
        diag_fatal("no CUDA kernel for kernel %s (%s)", ktab[st->calls[k].kernel].name, why);
      break;
    }
  }
  for (int i = 0; i < g->ninputs; i++)
    if (g->inputs[i]->dtype == DT_STRING)
      diag_fatal("input '%s' is a string tensor: the CUDA backend takes none", g->inputs[i]->name);
  for (int i = 0; i < g->noutputs; i++)
    if (g->outputs[i]->dtype == DT_STRING)
      diag_fatal("output '%s' is a string tensor: the CUDA backend makes none",
                 g->outputs[i]->name);
  diag_flush();
}

/* ---- elementwise kernels ---------------------------------------------------------------- */

/* the loop's index type: 32-bit where it fits, which makes the divisions
 * by the merged dims cheap; with room above n for the last stride of the
 * grid (at most mlc_rtcu_grid's blocks times a block of threads) */
static const char *index_type(int64_t n) { return n <= INT32_MAX / 2 ? "int" : "int64_t"; }

/* A run of elementwise calls that is one kernel: a fused group, or one
 * elementwise call of another step (emitc_step_fused); planned once, for
 * its kernel and for its launch. */
typedef struct EwRun {
  const KCall *calls;
  int ncalls, step, k;
  EwLoop l;
  int64_t n; /* the outputs */
} EwRun;

static EwRun *ew_runs(Emit *e, int *count) {
  const Plan *p = e->p;
  int n = 0;
  for (int s = 0; s < p->nsteps; s++) n += p->steps[s].ncalls;
  EwRun *runs = arena_array(e->a, (size_t)n + 1, sizeof *runs);
  n = 0;
  for (int s = 0; s < p->nsteps; s++) {
    const Step *st = &p->steps[s];
    for (int k = 0; k < st->ncalls; k++) {
      int fused = emitc_step_fused(st);
      if (!fused && !ktab[st->calls[k].kernel].ew_arity) continue;
      EwRun *r = &runs[n++];
      *r = (EwRun){&st->calls[k], fused ? st->ncalls : 1, s, k, {0}, 1};
      emitc_ew_loop(e, r->calls, r->ncalls, &r->l);
      for (int d = 0; d < r->l.r; d++) r->n *= r->l.dims[d];
      if (fused) break;
    }
  }
  runs[n] = (EwRun){0}; /* the end, which matches no call */
  *count = n;
  return runs;
}

/* __global__ PREFIX_ew_S_K(...): the loop of run r (none if it is empty) */
static void put_ew_kernel(Emit *e, const EwRun *run) {
  FILE *f = e->f;
  const EwLoop *l = &run->l;
  if (!run->n) return;
  /* restrict where no operand shares a byte with y, so that the loads may
   * go through the read-only cache */
  int apart = 1;
  for (int i = 0; i < l->nops; i++) apart &= emitc_apart(l->ops[i].v, l->out);
  const char *R = apart ? "__restrict__ " : "", *I = index_type(run->n);
  fprintf(f, "static __global__ void %s_ew_%d_%d(", e->o->prefix, run->step, run->k);
  for (int i = 0; i < l->nops; i++)
    fprintf(f, "const %s *%sx%d%s, ", emitc_ctype(l->ops[i].v), R, i, l->ops[i].scalar ? "p" : "");
  fprintf(f, "%s *%sy) {\n", emitc_ctype(l->out), R);
  for (int i = 0; i < l->nops; i++)
    if (l->ops[i].scalar) fprintf(f, "  const %s x%d = x%dp[0];\n", emitc_ctype(l->ops[i].v), i, i);
  fprintf(f,
          "  for (%s i = (%s)(blockIdx.x * blockDim.x + threadIdx.x); i < %" PRId64
          "; i += (%s)(gridDim.x * blockDim.x)) {\n",
          I, I, run->n, I);
  /* i's digits over the merged dims, the last one fastest */
  if (l->r == 1) fprintf(f, "    const %s i0 = i;\n", I);
  if (l->r > 1) fprintf(f, "    %s q = i;\n", I);
  for (int d = l->r - 1; d >= 0 && l->r > 1; d--) {
    if (d)
      fprintf(f, "    const %s i%d = q %% %" PRId64 ";\n    q /= %" PRId64 ";\n", I, d, l->dims[d],
              l->dims[d]);
    else
      fprintf(f, "    const %s i0 = q;\n", I);
  }
  emitc_put_ew_body(f, run->calls, run->ncalls, l, 4);
  fputs("  }\n}\n\n", f);
}

static void put_ew_launch(Emit *e, const EwRun *run) {
  FILE *f = e->f;
  if (!run->n) {
    fputs("  /* empty: nothing to compute */\n", f);
    return;
  }
  fprintf(f,
          "  if (!m->rt.sizing) {\n    %s_ew_%d_%d<<<mlc_rtcu_grid(%" PRId64
          "), MLC_CU_BLOCK, 0, m->rt.stream>>>(",
          e->o->prefix, run->step, run->k, run->n);
  for (int i = 0; i < run->l.nops; i++) fprintf(f, "%s, ", emitc_ptr(e, run->l.ops[i].v));
  fprintf(f, "%s);\n    MLC_CU_TRY(mlc_rtcu_launched());\n  }\n", emitc_ptr(e, run->l.out));
}

/* ---- the steps -------------------------------------------------------------------------- */

static void put_call(Emit *e, const KCall *c) {
  fputs("  {\n", e->f);
  emitc_put_call_args(e, c);
  fprintf(e->f, "    MLC_CU_TRY(mlc_rtcu_%s(&m->rt, &p, io));\n  }\n", ktab[c->kernel].name);
}

static void put_step_comment(Emit *e, const Step *st) {
  const Node *n = st->node;
  FILE *f = e->f;
  if (!n) return;
  fprintf(f, "  /* #%d %s '", n->index, n->op_type);
  emitc_put_comment(f, n->name);
  fputs("' */\n", f);
}

static void put_steps(Emit *e, const EwRun *runs) {
  const Plan *p = e->p;
  const Graph *g = p->g;
  FILE *f = e->f;
  fprintf(f, "static int %s_steps(struct %s_state *m", e->o->prefix, e->o->prefix);
  emitc_put_io_params(e, f, 0);
  fputs(") {\n", f);
  /* nvcc warns of a variable set and not used, (void) or not */
  if (p->narena) fputs("  unsigned char *A = m->arena;\n", f);
  if (p->nconsts) fputs("  const unsigned char *W = m->weights;\n", f);
  for (int i = 0; i < g->ninputs; i++)
    fprintf(f, "  (void)in_%s;\n", emitc_mangle(e->a, g->inputs[i]->name));
  for (int i = 0; i < g->noutputs; i++)
    fprintf(f, "  (void)out_%s;\n", emitc_mangle(e->a, g->outputs[i]->name));
  for (int s = 0; s < p->nsteps; s++) {
    const Step *st = &p->steps[s];
    put_step_comment(e, st);
    for (int k = 0; k < st->ncalls; k++) {
      if (runs->calls == &st->calls[k]) { /* the runs come in step order */
        k += runs->ncalls - 1;
        put_ew_launch(e, runs++);
      } else {
        put_call(e, &st->calls[k]);
      }
    }
  }
  /* outputs no step wrote: constants and inputs passed through */
  for (int i = 0; i < g->noutputs; i++) {
    Value *v = g->outputs[i];
    if (!v->data && !v->is_input) continue;
    fputs("  /* output '", f);
    emitc_put_comment(f, v->name);
    fprintf(f,
            "' is known at compile time or is an input */\n"
            "  if (!m->rt.sizing && cudaMemcpyAsync(out_%s, %s, %zu, cudaMemcpyDeviceToDevice, "
            "m->rt.stream) != cudaSuccess)\n    return MLC_CU_ERR_CUDA;\n",
            emitc_mangle(e->a, v->name), emitc_ptr(e, v), ir_nbytes(v));
  }
  fputs("  return MLC_CU_OK;\n}\n\n", f);
}

/* ---- the entry points ------------------------------------------------------------------ */

/* the model's state: what init made, the graph the runs replay */
static void put_state(Emit *e) {
  const Graph *g = e->p->g;
  FILE *f = e->f;
  const char *P = e->o->prefix;
  int nio = g->ninputs + g->noutputs;
  fprintf(f,
          "struct %s_state {\n"
          "  MlcCuCtx rt;\n"
          "  unsigned char *weights; /* device copy of the weights file */\n"
          "  unsigned char *arena;   /* device arena */\n"
          "  int own_arena;          /* allocated by init */\n"
          "  cudaStream_t capture;   /* the stream the graph is captured on */\n"
          "  cudaGraphExec_t exec;   /* the captured steps */\n"
          "  const void *io[%d];     /* the buffers they were captured with */\n"
          "};\n\n",
          P, nio + 1);
}

static void put_entry_points(Emit *e, uint64_t fingerprint) {
  const Plan *p = e->p;
  const Graph *g = p->g;
  FILE *f = e->f;
  const char *P = e->o->prefix, *M = emitc_macro_prefix(e->a, P);
  int nio = g->ninputs + g->noutputs;
  /* the runtime's codes as the header's */
  fprintf(f,
          "static int %s_status(int rc) {\n"
          "  switch (rc) {\n"
          "  case MLC_CU_OK: return %s_OK;\n"
          "  case MLC_CU_ERR_CUBLAS: return %s_ERR_CUBLAS;\n"
          "  case MLC_CU_ERR_CUDNN: return %s_ERR_CUDNN;\n"
          "  case MLC_CU_ERR_PARAMS: return %s_ERR_PARAMS;\n"
          "  default: return %s_ERR_CUDA;\n"
          "  }\n}\n\n",
          P, M, M, M, M, M);
  fprintf(f, "void %s_free(struct %s_state *m) {\n", P, P);
  fputs(
      "  if (!m) return;\n"
      "  if (m->exec) cudaGraphExecDestroy(m->exec);\n"
      "  if (m->capture) cudaStreamDestroy(m->capture);\n"
      "  if (m->own_arena) cudaFree(m->arena);\n"
      "  cudaFree(m->rt.workspace);\n"
      "  cudaFree(m->weights);\n"
      "  mlc_rtcu_free(&m->rt);\n"
      "  free(m);\n}\n\n",
      f);
  fprintf(f,
          "int %s_init(struct %s_state **model, const void *bytes, size_t size, void *arena,\n"
          "            size_t arena_bytes) {\n",
          P, P);
  fprintf(f, "  struct %s_state *m;\n  int rc;\n", P);
  emitc_put_weights_check(e, fingerprint);
  emitc_target_link_check(e);
  fputs("  *model = NULL;\n", f);
  if (p->arena_bytes)
    fprintf(f,
            "  if (arena && (arena_bytes < %s_CUDA_ARENA_BYTES || ((uintptr_t)arena & 63)))\n"
            "    return %s_ERR_ARENA;\n",
            M, M);
  else
    fprintf(f,
            "  (void)arena_bytes;\n"
            "  if (arena && ((uintptr_t)arena & 63)) return %s_ERR_ARENA;\n",
            M);
  fprintf(f,
          "  m = (struct %s_state *)calloc(1, sizeof *m);\n"
          "  if (!m) return %s_ERR_CUDA;\n",
          P, M);
  fprintf(f,
          "  rc = %s_status(mlc_rtcu_init(&m->rt, %d));\n"
          "  if (rc == %s_OK && (cudaStreamCreateWithFlags(&m->capture, cudaStreamNonBlocking) != "
          "cudaSuccess ||\n"
          "                      cudaMalloc((void **)&m->weights, size) != cudaSuccess ||\n"
          "                      cudaMemcpy(m->weights, b, size, cudaMemcpyHostToDevice) != "
          "cudaSuccess))\n"
          "    rc = %s_ERR_CUDA;\n",
          P, e->o->tf32, M, M);
  fprintf(
      f,
      "  if (rc == %s_OK && !arena) {\n"
      "    m->own_arena = 1;\n"
      "    if (cudaMalloc(&arena, %s_CUDA_ARENA_BYTES ? %s_CUDA_ARENA_BYTES : 1) != cudaSuccess)\n"
      "      rc = %s_ERR_CUDA;\n"
      "  }\n"
      "  m->arena = (unsigned char *)arena;\n",
      M, M, M, M);
  /* the sizing pass: no launches, no buffers needed */
  fputs("  if (rc == ", f);
  fprintf(f, "%s_OK) {\n    m->rt.sizing = 1;\n    rc = %s_status(%s_steps(m", M, P, P);
  for (int i = 0; i < nio; i++) fputs(", 0", f);
  fprintf(f,
          "));\n    m->rt.sizing = 0;\n  }\n"
          "  if (rc == %s_OK && m->rt.workspace_need) {\n"
          "    if (cudaMalloc(&m->rt.workspace, m->rt.workspace_need) != cudaSuccess)\n"
          "      rc = %s_ERR_CUDA;\n"
          "    else\n"
          "      m->rt.workspace_bytes = m->rt.workspace_need;\n"
          "  }\n"
          "  if (rc != %s_OK) {\n    %s_free(m);\n    return rc;\n  }\n"
          "  *model = m;\n  return %s_OK;\n}\n\n",
          M, M, M, P, M);
  /* capture: the steps on the model's own stream, into a graph */
  fprintf(f, "static int %s_capture(struct %s_state *m", P, P);
  emitc_put_io_params(e, f, 0);
  fputs(
      ") {\n"
      "  cudaGraph_t graph = NULL;\n"
      "  cudaGraphExecUpdateResultInfo info;\n"
      "  int rc;\n"
      "  /* a failed call before (a graph update that could not be done, say)\n"
      "   * must not read as a failed launch of these steps */\n"
      "  (void)cudaGetLastError();\n"
      "  m->rt.stream = m->capture;\n",
      f);
  fprintf(f,
          "  rc = %s_status(mlc_rtcu_bind(&m->rt));\n"
          "  if (rc != %s_OK) return rc;\n"
          "  if (cudaStreamBeginCapture(m->capture, cudaStreamCaptureModeThreadLocal) != "
          "cudaSuccess)\n"
          "    return %s_ERR_CUDA;\n"
          "  rc = %s_status(%s_steps(m",
          P, M, M, P, P);
  emitc_put_io_args(e, f, 0);
  fprintf(f,
          "));\n"
          "  /* capture ends whatever happened, so that the stream works again */\n"
          "  if (cudaStreamEndCapture(m->capture, &graph) != cudaSuccess && rc == %s_OK)\n"
          "    rc = %s_ERR_CUDA;\n"
          "  if (rc == %s_OK && m->exec && cudaGraphExecUpdate(m->exec, graph, &info) != "
          "cudaSuccess) {\n"
          "    cudaGraphExecDestroy(m->exec);\n"
          "    m->exec = NULL;\n"
          "  }\n"
          "  if (rc == %s_OK && !m->exec && cudaGraphInstantiate(&m->exec, graph, 0) != "
          "cudaSuccess) {\n"
          "    m->exec = NULL;\n"
          "    rc = %s_ERR_CUDA;\n"
          "  }\n"
          "  if (graph) cudaGraphDestroy(graph);\n"
          "  return rc;\n}\n\n",
          M, M, M, M, M);
  fprintf(f, "int %s_run(struct %s_state *m, cudaStream_t stream", P, P);
  emitc_put_io_params(e, f, 0);
  fprintf(f, ") {\n  const void *io[%d] = {", nio + 1);
  emitc_put_io_args(e, f, 1);
  fprintf(f, "%s0};\n", nio ? ", " : "");
  fprintf(f,
          "  if (!m) return %s_ERR_ARENA;\n"
          "  if (!m->exec || memcmp(io, m->io, sizeof io)) {\n"
          "    int rc = %s_capture(m",
          M, P);
  emitc_put_io_args(e, f, 0);
  fprintf(f,
          ");\n"
          "    if (rc != %s_OK) return rc;\n"
          "    memcpy(m->io, io, sizeof io);\n"
          "  }\n"
          "  return cudaGraphLaunch(m->exec, stream) == cudaSuccess ? %s_OK : %s_ERR_CUDA;\n}\n",
          M, M, M);
}

/* ---- the header ------------------------------------------------------------------------- */

static void put_header(Emit *e, FILE *h, uint64_t weights_bytes) {
  const Plan *p = e->p;
  const Graph *g = p->g;
  const char *P = e->o->prefix, *M = emitc_macro_prefix(e->a, P);
  emitc_put_banner(e, h, ". Do not edit.\n *\n");
  fprintf(h,
          " * The model on a CUDA GPU (mlc compile --target=cuda). Plain C: callable\n"
          " * from C and C++. %s_init() takes the bytes of '%s', uploads them\n"
          " * once and takes a device arena of %s_CUDA_ARENA_BYTES (yours, 64-byte\n"
          " * aligned, or NULL: init allocates one). %s_run() takes device pointers\n"
          " * and a stream, and enqueues the model on it: no allocation, no host\n"
          " * synchronization, no copy between host and device. Its first call with\n"
          " * given buffers captures the steps as a CUDA Graph; every later call with\n"
          " * the same buffers replays it in one launch (other buffers capture anew).\n"
          " * One state runs one inference at a time. Link with libmlc_rt_cuda.a,\n"
          " * -lcublas -lcudnn -lcudart.\n */\n",
          P, e->o->weights_name, M, P);
  fprintf(h, "#ifndef %s_MODEL_H\n#define %s_MODEL_H\n\n", M, M);
  fputs("#include <stddef.h>\n#include <stdint.h>\n\n#include <cuda_runtime_api.h>\n\n", h);
  fputs("#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n", h);
  fprintf(h,
          "#define %s_OK 0\n"
          "#define %s_ERR_ARENA 1   /* arena too small or misaligned; no state */\n"
          "#define %s_ERR_WEIGHTS 2 /* weights missing, or not this model's */\n"
          "#define %s_ERR_CUDA 4    /* a CUDA call failed (cudaGetLastError() says why) */\n"
          "#define %s_ERR_CUBLAS 5  /* a cuBLAS call failed */\n"
          "#define %s_ERR_CUDNN 6   /* a cuDNN call failed */\n"
          "#define %s_ERR_PARAMS 7  /* a kernel refused its parameters (an mlc bug) */\n\n",
          M, M, M, M, M, M, M);
  fprintf(h, "/* planned device arena; lower bound = peak of live bytes (ratio %.3f) */\n",
          p->lower_bound ? (double)p->arena_bytes / (double)p->lower_bound : 1.0);
  fprintf(h, "#define %s_CUDA_ARENA_BYTES %" PRId64 "\n", M, p->arena_bytes);
  fprintf(h, "#define %s_ARENA_LOWER_BOUND %" PRId64 "\n", M, p->lower_bound);
  fprintf(h, "/* size of the weights file */\n#define %s_WEIGHTS_BYTES %" PRIu64 "\n\n", M,
          weights_bytes);
  emitc_put_io_macros(e, h, "INPUT", g->inputs, g->ninputs);
  fputc('\n', h);
  emitc_put_io_macros(e, h, "OUTPUT", g->outputs, g->noutputs);
  fprintf(h,
          "\ntypedef struct %s_state %s_state;\n\n"
          "/* bytes: the weights file (8-byte aligned; may be freed after); arena: a\n"
          " * device buffer of %s_CUDA_ARENA_BYTES, or NULL. *model gets the state. */\n"
          "int %s_init(%s_state **model, const void *bytes, size_t size, void *arena,\n"
          "            size_t arena_bytes);\n"
          "/* enqueues one inference on stream; the tensors are device pointers */\n"
          "int %s_run(%s_state *model, cudaStream_t stream",
          P, P, M, P, P, P, P);
  emitc_put_io_params(e, h, 0);
  fprintf(h,
          ");\n/* frees what init allocated (not your arena); after the work on it is done */\n"
          "void %s_free(%s_state *model);\n",
          P, P);
  fputs("\n#ifdef __cplusplus\n}\n#endif\n#endif\n", h);
}

/* ---- the source --------------------------------------------------------------------------- */

void emitcu_write(Plan *p, const EmitOptions *o, FILE *c, FILE *h, FILE *weights) {
  Arena *a = p->g->arena;
  Emit e = {p, o, a, c, 1, "W", NULL};
  const char *P = o->prefix;
  MLC_ASSERT(weights && o->weights_name);
  for (int i = 0; i < p->nconsts; i++) p->consts[i]->plan_index = i;
  uint64_t fingerprint = emitc_write_weights(&e, weights);
  long wbytes = ftell(weights);
  put_header(&e, h, (uint64_t)(wbytes > 0 ? wbytes : 0));
  emitc_put_banner(&e, c, ". Do not edit. */\n");
  fputs("#include <stdlib.h>\n#include <string.h>\n\n", c);
  fprintf(c, "#include \"%s\"\n#include \"mlc_rt_cuda.h\"\n\n", o->header_name);
  emitc_target_guard(&e);
  fprintf(c,
          "#if !defined(MLC_RT_ABI) || MLC_RT_ABI != %d || !defined(MLC_RTCU_ABI) || "
          "MLC_RTCU_ABI != %d\n"
          "#error \"%s was generated for mlc runtime ABI %d and CUDA runtime ABI %d (by "
          "mlc " MLC_VERSION
          "); these runtime headers are another: build it with the runtime of that mlc, or "
          "generate it again\"\n#endif\n\n",
          MLC_RT_ABI, MLC_RTCU_ABI, P, MLC_RT_ABI, MLC_RTCU_ABI);
  int nruns;
  EwRun *runs = ew_runs(&e, &nruns);
  put_state(&e);
  for (int r = 0; r < nruns; r++) put_ew_kernel(&e, &runs[r]);
  put_steps(&e, runs);
  put_entry_points(&e, fingerprint);
}

/* ---- test harness ----------------------------------------------------------------------- */

void emitcu_harness(const Plan *p, const EmitOptions *o, FILE *f) {
  const Graph *g = p->g;
  Arena *a = g->arena;
  const char *P = o->prefix, *M = emitc_macro_prefix(a, P);
  int nio = g->ninputs + g->noutputs;
  fputs("/* Generated by mlc " MLC_VERSION
        ": runs the model on a GPU on raw little-endian tensor files. */\n"
        "#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n\n",
        f);
  fprintf(f, "#include \"%s\"\n\n", o->header_name);
  emitc_put_slurp(f);
  fprintf(f,
          "int main(int argc, char **argv) {\n"
          "  static const size_t bytes[%d] = {",
          nio + 1);
  for (int i = 0; i < nio; i++)
    fprintf(f, "%zu, ", ir_nbytes(i < g->ninputs ? g->inputs[i] : g->outputs[i - g->ninputs]));
  fprintf(f,
          "0};\n"
          "  void *host[%d] = {0}, *dev[%d] = {0};\n"
          "  %s_state *m = NULL;\n"
          "  void *wb;\n"
          "  long n;\n"
          "  int i, rc;\n"
          "  FILE *w;\n",
          nio + 1, nio + 1, P);
  fprintf(f, "  if (argc != %d) {\n    fprintf(stderr, \"usage: %%s WEIGHTS", nio + 2);
  for (int i = 0; i < g->ninputs; i++) fprintf(f, " IN%d", i);
  for (int i = 0; i < g->noutputs; i++) fprintf(f, " OUT%d", i);
  fputs("\\n\", argv[0]);\n    return 2;\n  }\n", f);
  fprintf(f,
          "  w = fopen(argv[1], \"rb\");\n"
          "  if (!w || fseek(w, 0, SEEK_END) || (n = ftell(w)) < 0) return 2;\n"
          "  fclose(w);\n"
          "  wb = slurp(argv[1], (size_t)n);\n"
          "  if ((rc = %s_init(&m, wb, (size_t)n, NULL, 0)) != %s_OK) {\n"
          "    fprintf(stderr, \"init failed: %%d (%%s)\\n\", rc, "
          "cudaGetErrorString(cudaGetLastError()));\n"
          "    return 3;\n  }\n"
          "  free(wb);\n",
          P, M);
  fprintf(
      f,
      "  for (i = 0; i < %d; i++) {\n"
      "    host[i] = i < %d ? slurp(argv[2 + i], bytes[i]) : calloc(bytes[i] ? bytes[i] : 1, 1);\n"
      "    if (cudaMalloc(&dev[i], bytes[i] ? bytes[i] : 1) != cudaSuccess) return 3;\n"
      "    if (i < %d && cudaMemcpy(dev[i], host[i], bytes[i], cudaMemcpyHostToDevice) != "
      "cudaSuccess)\n"
      "      return 3;\n"
      "  }\n",
      nio, g->ninputs, g->ninputs);
  /* twice: the second run replays the graph the first captured */
  fprintf(f, "  for (i = 0; i < 2; i++) {\n    rc = %s_run(m, 0", P);
  for (int i = 0; i < nio; i++) {
    Value *v = i < g->ninputs ? g->inputs[i] : g->outputs[i - g->ninputs];
    fprintf(f, ", (%s%s *)dev[%d]", i < g->ninputs ? "const " : "", emitc_ctype(v), i);
  }
  fprintf(f,
          ");\n"
          "    if (rc != %s_OK || cudaDeviceSynchronize() != cudaSuccess) {\n"
          "      fprintf(stderr, \"run %%d failed: %%d (%%s)\\n\", i, rc, "
          "cudaGetErrorString(cudaGetLastError()));\n"
          "      return 4;\n    }\n  }\n",
          M);
  /* MLC_TIME_RUNS=N: the median of N timed replays after those, in ms */
  fprintf(f,
          "  if (getenv(\"MLC_TIME_RUNS\")) {\n"
          "    int runs = atoi(getenv(\"MLC_TIME_RUNS\")), k, j;\n"
          "    float *ms = (float *)calloc(runs > 0 ? (size_t)runs : 1, sizeof *ms);\n"
          "    cudaEvent_t t0, t1;\n"
          "    if (!ms || cudaEventCreate(&t0) != cudaSuccess || cudaEventCreate(&t1) != "
          "cudaSuccess)\n"
          "      return 4;\n"
          "    for (k = 0; k < runs; k++) {\n"
          "      cudaEventRecord(t0, 0);\n"
          "      rc = %s_run(m, 0",
          P);
  for (int i = 0; i < nio; i++) {
    Value *v = i < g->ninputs ? g->inputs[i] : g->outputs[i - g->ninputs];
    fprintf(f, ", (%s%s *)dev[%d]", i < g->ninputs ? "const " : "", emitc_ctype(v), i);
  }
  fputs(
      ");\n"
      "      cudaEventRecord(t1, 0);\n"
      "      if (rc || cudaEventSynchronize(t1) != cudaSuccess) return 4;\n"
      "      cudaEventElapsedTime(&ms[k], t0, t1);\n"
      "    }\n"
      "    for (k = 1; k < runs; k++) /* insertion sort: runs are few */\n"
      "      for (j = k; j > 0 && ms[j - 1] > ms[j]; j--) {\n"
      "        float t = ms[j];\n"
      "        ms[j] = ms[j - 1];\n"
      "        ms[j - 1] = t;\n"
      "      }\n"
      "    if (runs > 0) printf(\"latency_ms %.4f\\n\", (double)ms[runs / 2]);\n"
      "    free(ms);\n"
      "  }\n",
      f);
  fprintf(f,
          "  for (i = %d; i < %d; i++) {\n"
          "    FILE *o = fopen(argv[2 + i], \"wb\");\n"
          "    if (cudaMemcpy(host[i], dev[i], bytes[i], cudaMemcpyDeviceToHost) != cudaSuccess) "
          "return 5;\n"
          "    if (!o || fwrite(host[i], 1, bytes[i], o) != bytes[i]) return 5;\n"
          "    fclose(o);\n"
          "  }\n"
          "  for (i = 0; i < %d; i++) {\n    free(host[i]);\n    cudaFree(dev[i]);\n  }\n"
          "  %s_free(m);\n  return 0;\n}\n",
          g->ninputs, nio, nio, P);
}
