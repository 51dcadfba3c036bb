/* C backend.
 *
 * The source is for people too: a comment per step names the ONNX node;
 * kernel calls pass a `static const` parameter struct printed field by field
 * (designated initializers, from the runtime's own struct list); elementwise
 * calls become loops over the runtime's inline scalar functions.
 *
 * Names from the model never reach the source raw: identifiers are mangled
 * one-to-one (emitc_mangle), comments go through put_comment, strings through
 * put_cstring. Output depends only on the plan, so it is byte-identical for
 * the same input and flags.
 */
#include "emitc.h"

#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "diag.h"
#include "version.h"

/* ---- names, comments, strings ----------------------------------------------- */

/* alnum stays; '_' becomes "__"; any other byte "_hh": decodable, so distinct
 * names stay distinct */
const char *emitc_mangle(Arena *a, const char *name) {
  size_t n = strlen(name);
  char *s = arena_alloc(a, 3 * n + 1), *d = s;
  for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
    if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')) {
      *d++ = (char)*p;
    } else if (*p == '_') {
      *d++ = '_';
      *d++ = '_';
    } else {
      d += sprintf(d, "_%02x", *p);
    }
  }
  *d = 0;
  return s;
}

int emitc_valid_prefix(const char *s) {
  if (!*s || (*s >= '0' && *s <= '9') || strlen(s) > 40) return 0;
  for (; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
          (*s >= '0' && *s <= '9') || *s == '_'))
      return 0;
  return 1;
}

/* text inside a comment: printable ASCII only, and nothing that could end the
 * comment, splice a line or form a trigraph */
static void put_comment(FILE *f, const char *s) {
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    unsigned char c = *p;
    if (c < 0x20 || c > 0x7e || c == '\\' || c == '?') c = '.';
    if (c == '*' && p[1] == '/') c = '.';
    if (c == '/' && p[1] == '*') c = '.';
    fputc(c, f);
  }
}

static void put_cstring(FILE *f, const char *s) {
  fputc('"', f);
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p == '"' || *p == '\\') fprintf(f, "\\%c", *p);
    else if (*p < 0x20 || *p > 0x7e || *p == '?') fprintf(f, "\\%03o", *p);
    else fputc(*p, f);
  }
  fputc('"', f);
}

/* macros use the prefix in capitals: MODEL_ARENA_BYTES beside model_run() */
static const char *macro_prefix(Arena *a, const char *prefix) {
  char *s = arena_strdup(a, prefix);
  for (char *p = s; *p; p++)
    if (*p >= 'a' && *p <= 'z') *p = (char)(*p - 'a' + 'A');
  return s;
}

/* ---- values ----------------------------------------------------------------------- */

typedef struct Emit {
  Plan *p;
  const EmitOptions *o;
  Arena *a;
  FILE *f;
  int weights_file;
  int64_t *const_off; /* by const index: offset in the weights blob */
} Emit;

static const char *ctype(const Value *v) {
  const char *t = dtype_ctype(v->dtype);
  if (!t)
    diag_fatal("tensor '%s': element type %s is not supported by the C backend",
               v->name, dtype_name(v->dtype));
  return t;
}

static const char *const_name(Emit *e, const Value *v) {
  if (*v->name) return arena_printf(e->a, "w_%s", emitc_mangle(e->a, v->name));
  return arena_printf(e->a, "k_%d", v->id);
}

/* a C expression for the first byte of v, as `T *` (const for read-only) */
static const char *ptr(Emit *e, Value *v) {
  Value *r = plan_root(v);
  const char *t = ctype(v);
  if (r->is_input) return arena_printf(e->a, "in_%s", emitc_mangle(e->a, r->name));
  if (r->data) {
    if (e->weights_file && r->dtype != DT_STRING)
      return arena_printf(e->a, "((const %s *)(weights + %" PRId64 "))", t,
                          e->const_off[r->mark]);
    return const_name(e, r);
  }
  if (r->is_output) return arena_printf(e->a, "out_%s", emitc_mangle(e->a, r->name));
  return arena_printf(e->a, "((%s *)(A + %" PRId64 "))", t, r->offset);
}

static void put_shape(FILE *f, const Value *v) {
  if (v->rank == 0) fputs("scalar", f);
  for (int d = 0; d < v->rank; d++) fprintf(f, "%s%" PRId64, d ? "x" : "", v->dims[d]);
}

/* ---- constants ------------------------------------------------------------------------ */

static void put_double(FILE *f, double x, int is_float) {
  if (isnan(x)) fputs("NAN", f);
  else if (isinf(x)) fputs(x < 0 ? "-INFINITY" : "INFINITY", f);
  else if (is_float) {
    char buf[40];
    snprintf(buf, sizeof buf, "%.9g", x);
    fputs(buf, f);
    if (!strpbrk(buf, ".eE")) fputs(".0", f);
    fputc('f', f);
  } else {
    char buf[40];
    snprintf(buf, sizeof buf, "%.17g", x);
    fputs(buf, f);
    if (!strpbrk(buf, ".eE")) fputs(".0", f);
  }
}

static void put_elem(FILE *f, const Value *v, int64_t i) {
  const void *d = v->data;
  switch (v->dtype) {
  case DT_STRING: put_cstring(f, ((const char *const *)d)[i]); break;
  case DT_FLOAT: put_double(f, ((const float *)d)[i], 1); break;
  case DT_DOUBLE: put_double(f, ((const double *)d)[i], 0); break;
  case DT_INT64: {
    int64_t x = ((const int64_t *)d)[i];
    if (x == INT64_MIN) fputs("(-9223372036854775807LL - 1)", f);
    else fprintf(f, "%" PRId64 "LL", x);
    break;
  }
  case DT_UINT64: fprintf(f, "%" PRIu64 "ULL", ((const uint64_t *)d)[i]); break;
  case DT_INT32: {
    int32_t x = ((const int32_t *)d)[i];
    if (x == INT32_MIN) fputs("(-2147483647 - 1)", f);
    else fprintf(f, "%" PRId32, x);
    break;
  }
  case DT_UINT32: fprintf(f, "%" PRIu32 "u", ((const uint32_t *)d)[i]); break;
  case DT_INT16: fprintf(f, "%d", ((const int16_t *)d)[i]); break;
  case DT_INT8: case DT_INT4: case DT_INT2: fprintf(f, "%d", ((const int8_t *)d)[i]); break;
  default: /* unsigned 8/16-bit storage: uint8, bool, float16, bfloat16, float8, uint4... */
    if (dtype_size(v->dtype) == 2) fprintf(f, "%u", ((const uint16_t *)d)[i]);
    else fprintf(f, "%u", ((const uint8_t *)d)[i]);
  }
}

size_t emitc_const_bytes(const Plan *p) {
  size_t n = 0;
  for (int i = 0; i < p->nconsts; i++) n += ir_nbytes(p->consts[i]);
  return n;
}

/* all constants, or with a weights file the strings (pointers have no place
 * in a file) */
static void emit_inline_consts(Emit *e) {
  FILE *f = e->f;
  for (int i = 0; i < e->p->nconsts; i++) {
    Value *v = e->p->consts[i];
    int64_t n = ir_numel(v);
    if (e->weights_file && v->dtype != DT_STRING) continue;
    fputs("/* ", f);
    put_comment(f, v->name);
    fputs(": ", f);
    put_shape(f, v);
    fputs(" */\n", f);
    fprintf(f, "static const %s %s[%" PRId64 "] = {", ctype(v), const_name(e, v),
            n ? n : 1);
    if (!n) fputs("0", f);
    for (int64_t k = 0; k < n; k++) {
      if (k % 8 == 0) fputs("\n  ", f);
      put_elem(f, v, k);
      if (k + 1 < n) fputs(k % 8 == 7 ? "," : ", ", f);
    }
    fputs("\n};\n\n", f);
  }
}

/* the weights blob: a 64-byte header (magic, size, the model's fingerprint),
 * then each constant at a 64-byte aligned offset */
#define WEIGHTS_MAGIC "MLCWEIGHTS1"
static uint64_t write_weights(Emit *e, FILE *w) {
  int64_t off = 64;
  uint64_t h = 1469598103934665603ull;
  e->const_off = arena_array(e->a, (size_t)e->p->nconsts + 1, sizeof *e->const_off);
  for (int i = 0; i < e->p->nconsts; i++) {
    Value *v = e->p->consts[i];
    e->const_off[i] = off;
    if (v->dtype == DT_STRING) continue;
    const unsigned char *d = v->data;
    for (size_t k = 0, nb = ir_nbytes(v); k < nb; k++) h = (h ^ d[k]) * 1099511628211ull;
    off += ((int64_t)ir_nbytes(v) + 63) / 64 * 64;
  }
  unsigned char hdr[64] = {0};
  memcpy(hdr, WEIGHTS_MAGIC, sizeof WEIGHTS_MAGIC);
  for (int b = 0; b < 8; b++) {
    hdr[16 + b] = (unsigned char)((uint64_t)off >> (8 * b));
    hdr[24 + b] = (unsigned char)(h >> (8 * b));
  }
  fwrite(hdr, 1, 64, w);
  static const unsigned char zeros[64];
  for (int i = 0; i < e->p->nconsts; i++) {
    size_t nb = ir_nbytes(e->p->consts[i]);
    if (e->p->consts[i]->dtype == DT_STRING) continue;
    fwrite(e->p->consts[i]->data, 1, nb, w);
    fwrite(zeros, 1, (size_t)((int64_t)(nb + 63) / 64 * 64 - (int64_t)nb), w);
  }
  return h;
}

/* ---- parameters ------------------------------------------------------------------------- */

static void emit_params(Emit *e, const KCall *c) {
  const ParamsDesc *pd = ktab[c->kernel].params;
  FILE *f = e->f;
  fprintf(f, "    static const %s p = {", pd->type);
  int slot = 0, any = 0;
  for (int i = 0; i < pd->nfields; i++) {
    const FieldDesc *fd = &pd->fields[i];
    int last = -1;
    for (int k = 0; k < fd->count; k++)
      if (c->params[slot + k].i != 0) last = k;
    if (last >= 0) {
      fprintf(f, "%s.%s = ", any++ ? ", " : "", fd->name);
      if (fd->count > 1) fputc('{', f);
      for (int k = 0; k <= last; k++) {
        if (k) fputs(", ", f);
        if (fd->kind == 'i') {
          int64_t x = c->params[slot + k].i;
          if (x == INT64_MIN) fputs("(-9223372036854775807LL - 1)", f);
          else fprintf(f, "%" PRId64, x);
        } else {
          put_double(f, c->params[slot + k].d, 0);
        }
      }
      if (fd->count > 1) fputc('}', f);
    }
    slot += fd->count;
  }
  fputs(any ? "};\n" : "0};\n", f);
}

static void emit_call(Emit *e, const KCall *c) {
  FILE *f = e->f;
  fputs("  {\n", f);
  emit_params(e, c);
  fprintf(f, "    void *io[%d] = {", c->nio);
  for (int j = 0; j < c->nio; j++) {
    if (j) fputs(", ", f);
    if (!c->io[j]) fputs("0", f);
    else fprintf(f, "(void *)%s", ptr(e, c->io[j]));
  }
  fprintf(f, "};\n    mlc_rt_%s(&p, io);\n  }\n", ktab[c->kernel].name);
}

/* Elementwise: one loop for a run of elementwise calls over the same output
 * shape (one call, or a fused group). Each call's result is a local of the
 * loop body and only the last is stored; operands from outside the run are
 * arrays read through their broadcast strides. Adjacent dims that every
 * array walks contiguously are merged first, so most loops are flat. */
typedef struct EwOperand {
  Value *v;
  int64_t st[MLC_RT_MAX_RANK]; /* strides after merging */
  const int64_t *raw;          /* strides per output dim */
} EwOperand;

static int produced_in_run(const KCall *calls, int upto, const Value *v) {
  for (int c = 0; c < upto; c++)
    if (calls[c].io[ktab[calls[c].kernel].ew_arity] == v) return c;
  return -1;
}

static void emit_ew(Emit *e, const KCall *calls, int ncalls) {
  FILE *f = e->f;
  const MlcEw *p0 = (const MlcEw *)(const void *)calls[0].params;
  EwOperand *ops = arena_array(e->a, (size_t)ncalls * 3 + 1, sizeof *ops);
  int nops = 0;
  /* operand index of each call's inputs (-1-c: the local of call c) */
  int (*ref)[3] = arena_array(e->a, (size_t)ncalls, sizeof *ref);
  for (int c = 0; c < ncalls; c++) {
    const MlcEw *p = (const MlcEw *)(const void *)calls[c].params;
    const int64_t *src[3] = {p->s0, p->s1, p->s2};
    MLC_ASSERT(p->rank == p0->rank && p->count == p0->count);
    for (int i = 0; i < ktab[calls[c].kernel].ew_arity; i++) {
      Value *v = calls[c].io[i];
      int local = produced_in_run(calls, c, v);
      if (local >= 0) {
        ref[c][i] = -1 - local;
        continue;
      }
      int k = 0;
      while (k < nops && !(ops[k].v == v && !memcmp(ops[k].raw, src[i], sizeof p->s0))) k++;
      if (k == nops) ops[nops++] = (EwOperand){v, {0}, src[i]};
      ref[c][i] = k;
    }
  }
  int64_t dims[MLC_RT_MAX_RANK];
  int r = 0;
  for (int d = 0; d < p0->rank; d++) {
    if (p0->dims[d] == 1) continue;
    int merge = r > 0;
    for (int i = 0; i < nops && merge; i++) merge = ops[i].st[r - 1] == ops[i].raw[d] * p0->dims[d];
    if (merge) {
      dims[r - 1] *= p0->dims[d];
      for (int i = 0; i < nops; i++) ops[i].st[r - 1] = ops[i].raw[d];
      continue;
    }
    dims[r] = p0->dims[d];
    for (int i = 0; i < nops; i++) ops[i].st[r] = ops[i].raw[d];
    r++;
  }
  const KCall *last = &calls[ncalls - 1];
  Value *out = last->io[ktab[last->kernel].ew_arity];
  fputs("  {\n", f);
  for (int i = 0; i < nops; i++)
    fprintf(f, "    const %s *x%d = %s;\n", ctype(ops[i].v), i, ptr(e, ops[i].v));
  fprintf(f, "    %s *y = %s;\n", ctype(out), ptr(e, out));
  if (r == 0) fputs("    {\n      const int64_t o = 0;\n", f);
  else fputs("    int64_t o = 0;\n", f);
  for (int d = 0; d < r; d++)
    fprintf(f, "%*sfor (int64_t i%d = 0; i%d < %" PRId64 "; i%d++)%s\n", 4 + 2 * d, "",
            d, d, dims[d], d, d == r - 1 ? " {" : "");
  int ind = r ? 4 + 2 * r : 6;
  for (int c = 0; c < ncalls; c++) {
    const KernelInfo *k = &ktab[calls[c].kernel];
    const MlcEw *p = (const MlcEw *)(const void *)calls[c].params;
    if (c < ncalls - 1)
      fprintf(f, "%*sconst %s t%d = %s(", ind, "", ctype(calls[c].io[k->ew_arity]), c, k->ew_fn);
    else
      fprintf(f, "%*sy[o%s] = %s(", ind, "", r ? "++" : "", k->ew_fn);
    for (int i = 0; i < k->ew_arity; i++) {
      if (i) fputs(", ", f);
      if (ref[c][i] < 0) {
        fprintf(f, "t%d", -1 - ref[c][i]);
        continue;
      }
      const EwOperand *x = &ops[ref[c][i]];
      fprintf(f, "x%d[", ref[c][i]);
      int any = 0;
      for (int d = 0; d < r; d++) {
        if (!x->st[d]) continue;
        if (any++) fputs(" + ", f);
        if (x->st[d] == 1) fprintf(f, "i%d", d);
        else fprintf(f, "i%d * %" PRId64, d, x->st[d]);
      }
      fputs(any ? "]" : "0]", f);
    }
    if (k->ew_has_p) {
      fputs(", ", f);
      put_double(f, p->p0, 0);
      fputs(", ", f);
      put_double(f, p->p1, 0);
    }
    fputs(");\n", f);
  }
  fprintf(f, "%*s}\n", r ? 4 + 2 * (r - 1) : 4, "");
  fputs("  }\n", f);
}

/* ---- entry points --------------------------------------------------------------------- */

/* a parameter's type: the header does without mlc_rt.h, so strings are
 * spelled out (inputs const char *const *, outputs const char **) */
static const char *param_type(const Value *v, int input) {
  if (v->dtype == DT_STRING) return input ? "const char *const *" : "const char **";
  return NULL;
}

static void put_signature(Emit *e, FILE *f, int with_arena) {
  const Graph *g = e->p->g;
  const char *P = e->o->prefix;
  fprintf(f, "int %s_run%s(", P, with_arena ? "_with_arena" : "");
  if (with_arena) fputs("void *arena, size_t arena_bytes", f);
  for (int i = 0; i < g->ninputs; i++)
    fprintf(f, "%s%s%s%sin_%s", (i || with_arena) ? ", " : "",
            param_type(g->inputs[i], 1) ? "" : "const ",
            param_type(g->inputs[i], 1) ? param_type(g->inputs[i], 1) : ctype(g->inputs[i]),
            param_type(g->inputs[i], 1) ? "" : " *", emitc_mangle(e->a, g->inputs[i]->name));
  for (int i = 0; i < g->noutputs; i++)
    fprintf(f, "%s%s%sout_%s", (i || g->ninputs || with_arena) ? ", " : "",
            param_type(g->outputs[i], 0) ? param_type(g->outputs[i], 0) : ctype(g->outputs[i]),
            param_type(g->outputs[i], 0) ? "" : " *", emitc_mangle(e->a, g->outputs[i]->name));
  if (!with_arena && !g->ninputs && !g->noutputs) fputs("void", f);
  fputc(')', f);
}

/* the layout of the types ONNX files pack but the C code holds a byte each */
static const char *byte_note(DType t) {
  switch (t) {
  case DT_INT4: case DT_INT2: return ", one element per byte, sign-extended";
  case DT_UINT4: case DT_UINT2: return ", one element per byte";
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
      put_comment(h, d[j]->name);
      if (d[j]->opt_none) {
        fputs("' is an optional, empty in this build: it has no parameter.\n", h);
        continue;
      }
      if (!d[j]->is_seq) {
        fputs("' is an optional, present in this build.\n", h);
        continue;
      }
      fprintf(h, "' is a sequence of %d (fixed when compiled): element K is the\n"
                 " * %s '", d[j]->nseq, io ? "output" : "input");
      put_comment(h, d[j]->name);
      fputs(".K', a parameter of its own.\n", h);
    }
  }
}

static void put_io_macros(Emit *e, FILE *h, const char *kind, Value *const *vals, int n) {
  const char *P = macro_prefix(e->a, e->o->prefix);
  const Graph *g = e->p->g;
  const Value **owner = arena_array(e->a, (size_t)n + 1, sizeof *owner);
  int *at = arena_array(e->a, (size_t)n + 1, sizeof *at);
  if (*kind == 'I') seq_owners(g->decl_inputs, g->ndecl_inputs, vals, n, owner, at);
  else seq_owners(g->decl_outputs, g->ndecl_outputs, vals, n, owner, at);
  fprintf(h, "#define %s_NUM_%sS %d\n", P, kind, n);
  for (int i = 0; i < n; i++) {
    const Value *v = vals[i];
    fprintf(h, "/* %s %d '", kind, i);
    put_comment(h, v->name);
    fprintf(h, "': %s ", dtype_name(v->dtype));
    put_shape(h, v);
    fputs(byte_note(v->dtype), h);
    if (owner[i]) {
      fprintf(h, ", element %d of sequence '", at[i]);
      put_comment(h, owner[i]->name);
      fputc('\'', h);
    }
    if (v->dyn_count) {
      /* the count is one of the outputs after the model's own */
      int k = 0;
      while (k < n && vals[k] != v->dyn_count) k++;
      fprintf(h, ", data-dependent:\n * dim %d is at most %" PRId64 "; the run writes its actual "
                 "size to output %d, and the\n * data fills the buffer's start for that size",
              v->dyn_axis, v->dims[v->dyn_axis], k);
    }
    fputs(" */\n", h);
    fprintf(h, "#define %s_%s%d_NAME ", P, kind, i);
    put_cstring(h, v->name);
    fprintf(h, "\n#define %s_%s%d_RANK %d\n", P, kind, i, v->rank);
    fprintf(h, "#define %s_%s%d_DIMS {", P, kind, i);
    for (int d = 0; d < v->rank; d++) fprintf(h, "%s%" PRId64, d ? ", " : "", v->dims[d]);
    fprintf(h, "%s}\n", v->rank ? "" : "1");
    fprintf(h, "#define %s_%s%d_COUNT %" PRId64 "\n", P, kind, i, ir_numel(v));
  }
}

/* the arena offset of the string region, or -1 if no step uses it */
static int64_t region_offset(const Plan *p) {
  const Value *r = p->g->strings;
  return r ? r->offset : -1;
}

static int uses_strings(const Plan *p) {
  const Graph *g = p->g;
  int any = region_offset(p) >= 0;
  for (int i = 0; i < g->ninputs; i++) any |= g->inputs[i]->dtype == DT_STRING;
  for (int i = 0; i < g->noutputs; i++) any |= g->outputs[i]->dtype == DT_STRING;
  for (int i = 0; i < p->nconsts; i++) any |= p->consts[i]->dtype == DT_STRING;
  for (int i = 0; i < p->narena; i++) any |= p->arena_vals[i]->dtype == DT_STRING;
  return any;
}

static void emit_header(Emit *e, FILE *h) {
  const Plan *p = e->p;
  const Graph *g = p->g;
  const char *P = e->o->prefix, *M = macro_prefix(e->a, P);
  fputs("/* Generated by mlc " MLC_VERSION " from '", h);
  put_comment(h, e->o->source_name);
  fputs("'. Do not edit.\n *\n", h);
  fprintf(h, " * Call %s_run() (a static arena; not reentrant) or %s_run_with_arena()\n"
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
  fprintf(h, "#define %s_OK 0\n#define %s_ERR_ARENA 1   /* arena too small or misaligned */\n"
             "#define %s_ERR_WEIGHTS 2 /* weights missing, or not this model's */\n",
          M, M, M);
  fprintf(h, "#define %s_ERR_STRINGS 3 /* the run's strings outgrew %s_STRING_BYTES */\n\n",
          M, M);
  if (uses_strings(p))
    fprintf(h, "/* String tensors are arrays of NUL-terminated UTF-8 strings, never NULL:\n"
               " * inputs const char *const *, outputs const char **. An output string points\n"
               " * into an input's strings, a constant of the model or the arena's string\n"
               " * region (%s_STRING_BYTES, mlc compile --string-bytes): it stays valid\n"
               " * while the inputs do, until the next run with the same arena. */\n"
               "#define %s_STRING_BYTES %" PRId64 "\n\n",
            M, M, region_offset(p) >= 0 ? (int64_t)ir_nbytes(g->strings) : 0);
  fprintf(h, "/* planned arena; lower bound = peak of live bytes (ratio %.3f) */\n",
          p->lower_bound ? (double)p->arena_bytes / (double)p->lower_bound : 1.0);
  fprintf(h, "#define %s_ARENA_BYTES %" PRId64 "\n", M, p->arena_bytes);
  fprintf(h, "#define %s_ARENA_LOWER_BOUND %" PRId64 "\n\n", M, p->lower_bound);
  put_io_macros(e, h, "INPUT", g->inputs, g->ninputs);
  fputc('\n', h);
  put_io_macros(e, h, "OUTPUT", g->outputs, g->noutputs);
  fputc('\n', h);
  if (e->weights_file) {
    fprintf(h, "/* bytes: the whole weights file, 8-byte aligned, kept alive while the\n"
               " * model runs. Returns %s_ERR_WEIGHTS if it is not this model's. */\n"
               "int %s_load_weights(const void *bytes, size_t size);\n",
            M, P);
  }
  put_signature(e, h, 0);
  fputs(";\n", h);
  put_signature(e, h, 1);
  fputs(";\n\n#ifdef __cplusplus\n}\n#endif\n#endif\n", h);
}

static void emit_step_comment(Emit *e, const Step *s) {
  FILE *f = e->f;
  const Node *n = s->node;
  if (optab[n->op].flags & OPF_FUSED) {
    const Graph *body = ir_attr(n, "body")->g;
    fputs("  /* fused:", f);
    for (int k = 0; k < body->nnodes; k++) {
      fprintf(f, "%s #%d %s '", k ? " +" : "", body->nodes[k]->index, body->nodes[k]->op_type);
      put_comment(f, body->nodes[k]->name);
      fputc('\'', f);
    }
    fputs("\n   *", f);
  } else {
    fprintf(f, "  /* #%d %s '", n->index, n->op_type);
    put_comment(f, n->name);
    fputs("':", f);
  }
  for (int i = 0; i < n->nin; i++) {
    if (!n->in[i]) continue;
    fputs(i ? ", " : " ", f);
    put_comment(f, n->in[i]->name);
    fputc('[', f);
    put_shape(f, n->in[i]);
    fputc(']', f);
  }
  fputs(" ->", f);
  for (int i = 0; i < n->nout; i++) {
    if (!n->out[i]) continue;
    fputs(i ? ", " : " ", f);
    put_comment(f, n->out[i]->name);
    fputc('[', f);
    put_shape(f, n->out[i]);
    fputc(']', f);
  }
  fputs(" */\n", f);
}

void emitc_write(Plan *p, const EmitOptions *o, FILE *c, FILE *h, FILE *weights) {
  /* scratch strings go to the compilation's arena: an error (a type the
   * backend cannot print) unwinds past this function, and the caller frees
   * that arena */
  Arena *a = p->g->arena;
  Emit e = {p, o, a, c, weights != NULL, NULL};
  Graph *g = p->g;
  const char *P = o->prefix, *M = macro_prefix(a, P);
  for (int i = 0; i < p->nconsts; i++) p->consts[i]->mark = i;
  uint64_t fingerprint = weights ? write_weights(&e, weights) : 0;
  emit_header(&e, h);

  fputs("/* Generated by mlc " MLC_VERSION " from '", c);
  put_comment(c, o->source_name);
  fputs("'. Do not edit. */\n", c);
  fputs("#include <string.h>\n\n", c);
  fprintf(c, "#include \"%s\"\n#include \"mlc_rt.h\"\n\n", o->header_name);
  /* string tensors were planned with the compiler's pointer size */
  if (uses_strings(p))
    fprintf(c, "typedef char %s_strings_need_%zu_byte_pointers[sizeof(mlc_rt_str) == %zu ? 1 : -1];\n\n",
            P, sizeof(const char *), sizeof(const char *));
  if (weights) {
    fprintf(c, "static const unsigned char *weights;\n\n"
               "int %s_load_weights(const void *bytes, size_t size) {\n"
               "  const unsigned char *b = (const unsigned char *)bytes;\n"
               "  uint64_t n = 0, h = 0;\n"
               "  int i;\n"
               "  if (size < 64 || ((uintptr_t)bytes & 7) || memcmp(b, \"%s\", %zu))\n"
               "    return %s_ERR_WEIGHTS;\n"
               "  for (i = 7; i >= 0; i--) {\n"
               "    n = n << 8 | b[16 + i];\n"
               "    h = h << 8 | b[24 + i];\n"
               "  }\n"
               "  if (n != size || h != UINT64_C(%" PRIu64 ")) return %s_ERR_WEIGHTS;\n"
               "  weights = b;\n"
               "  return %s_OK;\n}\n\n",
            P, WEIGHTS_MAGIC, sizeof WEIGHTS_MAGIC, M, fingerprint, M, M);
  }
  emit_inline_consts(&e);
  int64_t words = (p->arena_bytes + 7) / 8;
  fprintf(c, "static uint64_t arena_storage[%" PRId64 "];\n\n", words ? words : 1);
  put_signature(&e, c, 0);
  fprintf(c, " {\n  return %s_run_with_arena(arena_storage, sizeof arena_storage", P);
  for (int i = 0; i < g->ninputs; i++)
    fprintf(c, ", in_%s", emitc_mangle(a, g->inputs[i]->name));
  for (int i = 0; i < g->noutputs; i++)
    fprintf(c, ", out_%s", emitc_mangle(a, g->outputs[i]->name));
  fputs(");\n}\n\n", c);
  put_signature(&e, c, 1);
  fputs(" {\n  unsigned char *A = (unsigned char *)arena;\n", c);
  if (p->arena_bytes)
    fprintf(c, "  if (arena_bytes < %s_ARENA_BYTES || ((uintptr_t)arena & 7)) return %s_ERR_ARENA;\n",
            M, M);
  else
    fputs("  (void)arena_bytes;\n", c);
  if (weights) fprintf(c, "  if (!weights) return %s_ERR_WEIGHTS;\n", M);
  fputs("  (void)A;\n", c);
  /* an input may go unread and an empty output unwritten */
  for (int i = 0; i < g->ninputs; i++)
    fprintf(c, "  (void)in_%s;\n", emitc_mangle(a, g->inputs[i]->name));
  for (int i = 0; i < g->noutputs; i++)
    fprintf(c, "  (void)out_%s;\n", emitc_mangle(a, g->outputs[i]->name));
  if (region_offset(p) >= 0)
    fprintf(c, "  memset(A + %" PRId64 ", 0, MLC_RT_STR_HEADER); /* the string region starts empty */\n",
            region_offset(p));
  for (int s = 0; s < p->nsteps; s++) {
    const Step *st = &p->steps[s];
    fputc('\n', c);
    emit_step_comment(&e, st);
    /* a fused group is one loop; otherwise a loop or a call per call */
    if (st->node && (optab[st->node->op].flags & OPF_FUSED)) {
      emit_ew(&e, st->calls, st->ncalls);
      continue;
    }
    for (int k = 0; k < st->ncalls; k++) {
      if (ktab[st->calls[k].kernel].ew_arity) emit_ew(&e, &st->calls[k], 1);
      else emit_call(&e, &st->calls[k]);
    }
  }
  /* outputs no step wrote: constants and inputs passed through */
  for (int i = 0; i < g->noutputs; i++) {
    Value *v = g->outputs[i];
    if (!v->data && !v->is_input) continue;
    fprintf(c, "\n  /* output '");
    put_comment(c, v->name);
    fprintf(c, "' is known at compile time or is an input */\n  memcpy(out_%s, %s, %zu);\n",
            emitc_mangle(a, v->name), ptr(&e, v), ir_nbytes(v));
  }
  if (region_offset(p) >= 0)
    fprintf(c, "  {\n    int64_t used;\n    memcpy(&used, A + %" PRId64 ", sizeof used);\n"
               "    if (used < 0) return %s_ERR_STRINGS;\n  }\n", region_offset(p), M);
  fprintf(c, "  return %s_OK;\n}\n", M);
}

/* ---- test harness ----------------------------------------------------------------------- */

void emitc_harness(const Plan *p, const EmitOptions *o, FILE *f) {
  const Graph *g = p->g;
  Arena *a = g->arena;
  const char *P = o->prefix, *M = macro_prefix(a, P);
  fputs("/* Generated by mlc " MLC_VERSION ": runs the model on raw little-endian tensor files. */\n"
        "#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n\n", f);
  fprintf(f, "#include \"%s\"\n\n", o->header_name);
  fputs("static void *slurp(const char *path, size_t want) {\n"
        "  FILE *f = fopen(path, \"rb\");\n"
        "  void *b = calloc(want ? want : 1, 1);\n"
        "  size_t got;\n"
        "  if (!f || !b) { fprintf(stderr, \"cannot read %s\\n\", path); exit(2); }\n"
        "  got = fread(b, 1, want, f);\n"
        "  fclose(f);\n"
        "  if (got != want) { fprintf(stderr, \"%s: short file\\n\", path); exit(2); }\n"
        "  return b;\n}\n\n", f);
  /* a string tensor's file holds its strings one after another, each with
   * its NUL; the array's extra last entry keeps the bytes for free() */
  fputs("static void *strings_in(const char *path, size_t n) {\n"
        "  FILE *f = fopen(path, \"rb\");\n"
        "  long size = -1;\n"
        "  size_t i, at = 0;\n"
        "  char *b;\n"
        "  const char **s = (const char **)calloc(n + 1, sizeof *s);\n"
        "  if (f && !fseek(f, 0, SEEK_END)) size = ftell(f);\n"
        "  if (f) fclose(f);\n"
        "  if (size < 0 || !s) { fprintf(stderr, \"cannot read %s\\n\", path); exit(2); }\n"
        "  b = (char *)slurp(path, (size_t)size);\n"
        "  s[n] = b;\n"
        "  for (i = 0; i < n; i++) {\n"
        "    if (at >= (size_t)size) { fprintf(stderr, \"%s: too few strings\\n\", path); exit(2); }\n"
        "    s[i] = b + at;\n"
        "    while (b[at]) at++;\n"
        "    at++;\n"
        "  }\n"
        "  return (void *)s;\n}\n\n"
        "static void strings_free(void *s, size_t n) {\n"
        "  free((void *)((const char **)s)[n]);\n  free(s);\n}\n\n"
        "static int strings_out(FILE *o, const void *s, size_t n) {\n"
        "  size_t i;\n"
        "  for (i = 0; i < n; i++) {\n"
        "    const char *x = ((const char *const *)s)[i];\n"
        "    if (!x) x = \"\";\n"
        "    if (fwrite(x, 1, strlen(x) + 1, o) != strlen(x) + 1) return 0;\n"
        "  }\n"
        "  return 1;\n}\n\n", f);
  /* everything it allocates is freed: the harness runs under LeakSanitizer too */
  fputs("int main(int argc, char **argv) {\n  int a = 1, rc;\n  void *wb = 0;\n"
        "  (void)slurp;\n  (void)strings_in;\n  (void)strings_free;\n  (void)strings_out;\n", f);
  int nargs = g->ninputs + g->noutputs + (o->weights_name ? 1 : 0);
  fprintf(f, "  if (argc != %d) { fprintf(stderr, \"usage: %%s%s", nargs + 1,
          o->weights_name ? " WEIGHTS" : "");
  for (int i = 0; i < g->ninputs; i++) fprintf(f, " IN%d", i);
  for (int i = 0; i < g->noutputs; i++) fprintf(f, " OUT%d", i);
  fputs("\\n\", argv[0]); return 2; }\n", f);
  if (o->weights_name) {
    fputs("  {\n    FILE *w = fopen(argv[a], \"rb\");\n    long n;\n"
          "    if (!w || fseek(w, 0, SEEK_END) || (n = ftell(w)) < 0) return 2;\n"
          "    fclose(w);\n    wb = slurp(argv[a++], (size_t)n);\n", f);
    fprintf(f, "    if (%s_load_weights(wb, (size_t)n) != %s_OK) { fprintf(stderr, "
               "\"bad weights\\n\"); return 3; }\n  }\n", P, M);
  }
  for (int i = 0; i < g->ninputs; i++) {
    if (g->inputs[i]->dtype == DT_STRING)
      fprintf(f, "  void *in%d = strings_in(argv[a++], %" PRId64 ");\n", i, ir_numel(g->inputs[i]));
    else
      fprintf(f, "  void *in%d = slurp(argv[a++], %zu);\n", i, ir_nbytes(g->inputs[i]));
  }
  for (int i = 0; i < g->noutputs; i++) {
    size_t nb = ir_nbytes(g->outputs[i]);
    fprintf(f, "  void *out%d = calloc(%zu, 1);\n", i, nb ? nb : 1);
  }
  fprintf(f, "  rc = %s_run(", P);
  for (int i = 0; i < g->ninputs; i++) fprintf(f, "%sin%d", i ? ", " : "", i);
  for (int i = 0; i < g->noutputs; i++)
    fprintf(f, "%sout%d", (i || g->ninputs) ? ", " : "", i);
  fputs(");\n  if (rc) { fprintf(stderr, \"run failed: %d\\n\", rc); return 4; }\n", f);
  for (int i = 0; i < g->noutputs; i++) {
    fputs("  {\n    FILE *o = fopen(argv[a++], \"wb\");\n", f);
    if (g->outputs[i]->dtype == DT_STRING)
      fprintf(f, "    if (!o || !strings_out(o, out%d, %" PRId64 ")) return 5;\n", i,
              ir_numel(g->outputs[i]));
    else
      fprintf(f, "    if (!o || fwrite(out%d, 1, %zu, o) != %zu) return 5;\n", i,
              ir_nbytes(g->outputs[i]), ir_nbytes(g->outputs[i]));
    fputs("    fclose(o);\n  }\n", f);
  }
  for (int i = 0; i < g->ninputs; i++) {
    if (g->inputs[i]->dtype == DT_STRING)
      fprintf(f, "  strings_free(in%d, %" PRId64 ");\n", i, ir_numel(g->inputs[i]));
    else
      fprintf(f, "  free(in%d);\n", i);
  }
  for (int i = 0; i < g->noutputs; i++) fprintf(f, "  free(out%d);\n", i);
  fputs("  free(wb);\n  return 0;\n}\n", f);
}
