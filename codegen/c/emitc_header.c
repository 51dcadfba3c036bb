/* C backend: the header (entry points, shapes, types and names of the
 * inputs and outputs as macros, the arena size) and the signatures it
 * shares with the source. */
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "diag.h"
#include "emitc_int.h"
#include "version.h"

/* ---- entry points --------------------------------------------------------------------- */

/* a parameter's type: the header does without mlc_rt.h, so strings are
 * spelled out (inputs const char *const *, outputs const char **) */
static const char *param_type(const Value *v, int input) {
  if (v->dtype == DT_STRING) return input ? "const char *const *" : "const char **";
  return NULL;
}

void emitc_put_dims(const EmitOptions *o, FILE *f, int typed, int more) {
  for (int i = 0; i < o->ndims; i++)
    fprintf(f, "%s%s%s", i ? ", " : "", typed ? "int64_t " : "", o->dims[i].cname);
  if (o->ndims && more) fputs(", ", f);
}

void emitc_put_io_params(Emit *e, FILE *f, int first) {
  const Graph *g = e->p->g;
  for (int i = 0; i < g->ninputs; i++)
    fprintf(f, "%s%s%s%sin_%s", (i || !first) ? ", " : "",
            param_type(g->inputs[i], 1) ? "" : "const ",
            param_type(g->inputs[i], 1) ? param_type(g->inputs[i], 1) : emitc_ctype(g->inputs[i]),
            param_type(g->inputs[i], 1) ? "" : " *", emitc_mangle(e->a, g->inputs[i]->name));
  for (int i = 0; i < g->noutputs; i++)
    fprintf(
        f, "%s%s%sout_%s", (i || g->ninputs || !first) ? ", " : "",
        param_type(g->outputs[i], 0) ? param_type(g->outputs[i], 0) : emitc_ctype(g->outputs[i]),
        param_type(g->outputs[i], 0) ? "" : " *", emitc_mangle(e->a, g->outputs[i]->name));
}

void emitc_put_io_args(Emit *e, FILE *f, int first) {
  const Graph *g = e->p->g;
  for (int i = 0; i < g->ninputs; i++)
    fprintf(f, "%sin_%s", (i || !first) ? ", " : "", emitc_mangle(e->a, g->inputs[i]->name));
  for (int i = 0; i < g->noutputs; i++)
    fprintf(f, "%sout_%s", (i || g->ninputs || !first) ? ", " : "",
            emitc_mangle(e->a, g->outputs[i]->name));
}

void emitc_put_signature(Emit *e, FILE *f, int with_arena) {
  const Graph *g = e->p->g;
  int io = g->ninputs || g->noutputs;
  fprintf(f, "int %s_run%s(", e->o->prefix, with_arena ? "_with_arena" : "");
  emitc_put_dims(e->o, f, 1, with_arena || io);
  if (with_arena) fputs("void *arena, size_t arena_bytes", f);
  emitc_put_io_params(e, f, !with_arena);
  if (!with_arena && !io && !e->o->ndims) fputs("void", f);
  fputc(')', f);
}

/* the layout of the types ONNX files pack but the C code holds a byte each */
static const char *byte_note(DType t) {
  switch (t) {
  case DT_INT4:
  case DT_INT2: return ", one element per byte, sign-extended";
  case DT_UINT4:
  case DT_UINT2: return ", one element per byte";
  case DT_FLOAT4E2M1: return ", one element per byte, its code in the low 4 bits";
  case DT_STRING: return ", NUL-terminated UTF-8 strings";
  default: return "";
  }
}

/* For each of vals, the declared sequence it is an element of (owner[i], its
 * position at[i]) or NULL. vals follow the declared order, elements in
 * place of their sequence, less frozen inputs and empty optionals, so one
 * walk over both finds them. */
static void seq_owners(Value *const *decl, int ndecl, Value *const *vals, int n,
                       const Value **owner, int *at) {
  for (int i = 0, j = 0, k = 0; i < n; i++) {
    owner[i] = NULL;
    for (; j < ndecl; j++, k = 0) {
      const Value *d = decl[j];
      while (d->is_seq && k < d->nseq && d->seq[k] != vals[i]) k++;
      if (d->is_seq && k < d->nseq) {
        owner[i] = d;
        at[i] = k++;
        break;
      }
      if (d == vals[i]) {
        j++;
        break;
      }
    }
  }
}

/* Sequences and optionals were resolved at compile time: a sequence's
 * elements are parameters of their own, an empty optional has none. */
static void put_seq_note(const Graph *g, FILE *h) {
  for (int io = 0; io < 2; io++) {
    Value *const *d = io ? g->decl_outputs : g->decl_inputs;
    for (int j = 0; j < (io ? g->ndecl_outputs : g->ndecl_inputs); j++) {
      if (!d[j]->is_seq && !d[j]->decl_opt) continue;
      fprintf(h, " * %s '", io ? "Output" : "Input");
      emitc_put_comment(h, d[j]->name);
      if (d[j]->opt_none) {
        fputs("' is an optional, empty in this build: it has no parameter.\n", h);
        continue;
      }
      if (!d[j]->is_seq) {
        fputs("' is an optional, present in this build.\n", h);
        continue;
      }
      fprintf(h,
              "' is a sequence of %d (fixed when compiled): element K is the\n"
              " * %s '",
              d[j]->nseq, io ? "output" : "input");
      emitc_put_comment(h, d[j]->name);
      fputs(".K', a parameter of its own.\n", h);
    }
  }
}

/* "(dim_a, dim_b)": the parameters of a macro that depends on the run-time
 * dims; nothing without them */
static void put_dim_params(const EmitOptions *o, FILE *h) {
  if (!o->ndims) return;
  fputc('(', h);
  emitc_put_dims(o, h, 0, 0);
  fputc(')', h);
}

void emitc_put_io_macros(Emit *e, FILE *h, const char *kind, Value *const *vals, int n) {
  const char *P = emitc_macro_prefix(e->a, e->o->prefix);
  const Graph *g = e->p->g;
  const Value **owner = arena_array(e->a, (size_t)n + 1, sizeof *owner);
  int *at = arena_array(e->a, (size_t)n + 1, sizeof *at);
  if (*kind == 'I')
    seq_owners(g->decl_inputs, g->ndecl_inputs, vals, n, owner, at);
  else
    seq_owners(g->decl_outputs, g->ndecl_outputs, vals, n, owner, at);
  fprintf(h, "#define %s_NUM_%sS %d\n", P, kind, n);
  for (int i = 0; i < n; i++) {
    const Value *v = vals[i];
    fprintf(h, "/* %s %d '", kind, i);
    emitc_put_comment(h, v->name);
    fprintf(h, "': %s ", dtype_name(v->dtype));
    emitc_put_shape(h, v);
    fputs(byte_note(v->dtype), h);
    if (owner[i]) {
      fprintf(h, ", element %d of sequence '", at[i]);
      emitc_put_comment(h, owner[i]->name);
      fputc('\'', h);
    }
    if (v->dyn_count) {
      /* the count is one of the outputs after the model's own */
      int k = 0;
      while (k < n && vals[k] != v->dyn_count) k++;
      fprintf(h,
              ", data-dependent:\n * dim %d is at most %" PRId64
              "; the run writes its actual "
              "size to output %d, and the\n * data fills the buffer's start for that size",
              v->dyn_axis, v->dims[v->dyn_axis], k);
    }
    fputs(" */\n", h);
    fprintf(h, "#define %s_%s%d_NAME ", P, kind, i);
    emitc_put_cstring(h, v->name);
    fprintf(h, "\n#define %s_%s%d_RANK %d\n", P, kind, i, v->rank);
    fprintf(h, "#define %s_%s%d_DIMS", P, kind, i);
    put_dim_params(e->o, h);
    fputs(" {", h);
    for (int d = 0; d < v->rank; d++) fprintf(h, "%s%" PRId64, d ? ", " : "", v->dims[d]);
    fprintf(h, "%s}\n", v->rank ? "" : "1");
    fprintf(h, "#define %s_%s%d_COUNT", P, kind, i);
    put_dim_params(e->o, h);
    fprintf(h, " %" PRId64 "\n", ir_numel(v));
    if (e->o->ndims) {
      fprintf(h, "#define %s_%s%d_MAX_COUNT %s_%s%d_COUNT(", P, kind, i, P, kind, i);
      for (int k = 0; k < e->o->ndims; k++)
        fprintf(h, "%s%" PRId64, k ? ", " : "", e->o->dims[k].hi);
      fputs(")\n", h);
    }
  }
}

/* the arena offset of the string region, or -1 if no step uses it */
int64_t emitc_region_offset(const Plan *p) {
  const Value *r = p->g->strings;
  return r ? r->offset : -1;
}

int emitc_uses_strings(const Plan *p) {
  const Graph *g = p->g;
  int any = emitc_region_offset(p) >= 0;
  for (int i = 0; i < g->ninputs; i++) any |= g->inputs[i]->dtype == DT_STRING;
  for (int i = 0; i < g->noutputs; i++) any |= g->outputs[i]->dtype == DT_STRING;
  for (int i = 0; i < p->nconsts; i++) any |= p->consts[i]->dtype == DT_STRING;
  for (int i = 0; i < p->narena; i++) any |= p->arena_vals[i]->dtype == DT_STRING;
  return any;
}

/* the run-time dims: what they are, their ranges, how the shapes follow */
static void put_dims_note(Emit *e, FILE *h) {
  const EmitOptions *o = e->o;
  if (!o->ndims) return;
  const char *M = emitc_macro_prefix(e->a, o->prefix);
  fprintf(h,
          "/* Run-time dims: the first parameters of both entry points. A value\n"
          " * outside its range makes a run return %s_ERR_DIMS. The arena is\n"
          " * planned for the largest; the shapes below are functions of them\n"
          " * (comments in the source show them at the largest). */\n",
          M);
  fprintf(h, "#define %s_NUM_DIMS %d\n", M, o->ndims);
  for (int i = 0; i < o->ndims; i++) {
    fprintf(h, "/* DIM %d '", i);
    emitc_put_comment(h, o->dims[i].name);
    fprintf(h, "': parameter %s */\n#define %s_DIM%d_NAME ", o->dims[i].cname, M, i);
    emitc_put_cstring(h, o->dims[i].name);
    fprintf(h, "\n#define %s_DIM%d_MIN %" PRId64 "\n#define %s_DIM%d_MAX %" PRId64 "\n", M, i,
            o->dims[i].lo, M, i, o->dims[i].hi);
  }
  fputc('\n', h);
}

void emitc_header(Emit *e, FILE *h) {
  const Plan *p = e->p;
  const Graph *g = p->g;
  const char *P = e->o->prefix, *M = emitc_macro_prefix(e->a, P);
  emitc_put_banner(e, h, ". Do not edit.\n *\n");
  fprintf(h,
          " * Call %s_run() (a static arena; not reentrant) or %s_run_with_arena()\n"
          " * (your buffer of at least %s_ARENA_BYTES, 8-byte aligned). Both return\n"
          " * %s_OK or an error code. Link with the mlc runtime (libmlc_rt.a, -lm).\n",
          P, P, M, M);
  if (e->weights_file)
    fprintf(h, " * Weights live in '%s': pass its bytes to %s_load_weights() first.\n",
            e->o->weights_name, P);
  put_seq_note(g, h);
  fputs(" */\n", h);
  fprintf(h, "#ifndef %s_MODEL_H\n#define %s_MODEL_H\n\n", M, M);
  fputs("#include <stddef.h>\n#include <stdint.h>\n\n", h);
  fputs("#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n", h);
  fprintf(h,
          "#define %s_OK 0\n#define %s_ERR_ARENA 1   /* arena too small or misaligned */\n"
          "#define %s_ERR_WEIGHTS 2 /* weights missing, or not this model's */\n",
          M, M, M);
  fprintf(h, "#define %s_ERR_STRINGS 3 /* the run's strings outgrew %s_STRING_BYTES */\n", M, M);
  if (e->o->ndims)
    fprintf(h, "#define %s_ERR_DIMS 5    /* a run-time dim outside its range */\n", M);
  fputc('\n', h);
  put_dims_note(e, h);
  if (emitc_uses_strings(p))
    fprintf(h,
            "/* String tensors are arrays of NUL-terminated UTF-8 strings, never NULL:\n"
            " * inputs const char *const *, outputs const char **. An output string points\n"
            " * into an input's strings, a constant of the model or the arena's string\n"
            " * region (%s_STRING_BYTES, mlc compile --string-bytes): it stays valid\n"
            " * while the inputs do, until the next run with the same arena. */\n"
            "#define %s_STRING_BYTES %" PRId64 "\n\n",
            M, M, emitc_region_offset(p) >= 0 ? (int64_t)ir_nbytes(g->strings) : 0);
  fprintf(h, "/* planned arena; lower bound = peak of live bytes (ratio %.3f) */\n",
          p->lower_bound ? (double)p->arena_bytes / (double)p->lower_bound : 1.0);
  fprintf(h, "#define %s_ARENA_BYTES %" PRId64 "\n", M, p->arena_bytes);
  fprintf(h, "#define %s_ARENA_LOWER_BOUND %" PRId64 "\n\n", M, p->lower_bound);
  emitc_put_io_macros(e, h, "INPUT", g->inputs, g->ninputs);
  fputc('\n', h);
  emitc_put_io_macros(e, h, "OUTPUT", g->outputs, g->noutputs);
  fputc('\n', h);
  if (e->weights_file) {
    fprintf(h,
            "/* bytes: the whole weights file, 8-byte aligned, kept alive while the\n"
            " * model runs. Returns %s_ERR_WEIGHTS if it is not this model's. */\n"
            "int %s_load_weights(const void *bytes, size_t size);\n",
            M, P);
  }
  emitc_profile_header(e, h);
  emitc_put_signature(e, h, 0);
  fputs(";\n", h);
  emitc_put_signature(e, h, 1);
  fputs(";\n\n#ifdef __cplusplus\n}\n#endif\n#endif\n", h);
}
