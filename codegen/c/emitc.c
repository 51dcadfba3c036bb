/* C backend: the source, step by step (emitc_header.c writes the header,
 * emitc_weights.c the constants, emitc_names.c makes names safe).
 *
 * The source is for people too: a comment per step names the ONNX node;
 * kernel calls pass a `static const` parameter struct printed field by field
 * (designated initializers, from the runtime's own struct list); elementwise
 * calls become loops over the runtime's inline scalar functions.
 *
 * Names from the model never reach the source raw: identifiers are mangled
 * one-to-one (emitc_mangle), comments go through emitc_put_comment, strings
 * through emitc_put_cstring. Output depends only on the plan, so it is byte-identical for
 * the same input and flags.
 */
#include "emitc_int.h"

#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "diag.h"
#include "version.h"

/* ---- values ----------------------------------------------------------------------- */

const char *emitc_ctype(const Value *v) {
  const char *t = dtype_ctype(v->dtype);
  if (!t)
    diag_fatal("tensor '%s': element type %s is not supported by the C backend", v->name,
               dtype_name(v->dtype));
  return t;
}

const char *emitc_const_name(Emit *e, const Value *v) {
  if (*v->name) return arena_printf(e->a, "w_%s", emitc_mangle(e->a, v->name));
  return arena_printf(e->a, "k_%d", v->id);
}

int emitc_step_fused(const Step *st) { return st->node && (optab[st->node->op].flags & OPF_FUSED); }

const char *emitc_ptr(Emit *e, Value *v) {
  Value *r = plan_root(v);
  const char *t = emitc_ctype(v);
  if (r->is_input) return arena_printf(e->a, "in_%s", emitc_mangle(e->a, r->name));
  if (r->data) {
    if (e->weights_file && r->dtype != DT_STRING && !r->dim_valued)
      return arena_printf(e->a, "((const %s *)(%s + %" PRId64 "))", t, e->weights_base,
                          e->const_off[r->plan_index]);
    return emitc_const_name(e, r);
  }
  if (r->is_output) return arena_printf(e->a, "out_%s", emitc_mangle(e->a, r->name));
  return arena_printf(e->a, "((%s *)(A + %" PRId64 "))", t, r->offset + plan_view_off(v));
}

void emitc_put_shape(FILE *f, const Value *v) {
  if (v->rank == 0) fputs("scalar", f);
  for (int d = 0; d < v->rank; d++) fprintf(f, "%s%" PRId64, d ? "x" : "", v->dims[d]);
}

/* ---- parameters ------------------------------------------------------------------------- */

/* Whether a parameter field counts bytes of elements (the runtime's lists
 * name such fields `elem` or `..._bytes`): over string tensors those bytes
 * are pointers of the product's size, not the compiler's. */
static int field_counts_bytes(const char *name) {
  size_t n = strlen(name);
  return !strcmp(name, "elem") || (n > 6 && !strcmp(name + n - 6, "_bytes"));
}

/* a count of string elements' bytes, planned with the compiler's pointer
 * size, as the product's: N * sizeof(mlc_rt_str), of type `type` */
static void put_string_bytes(FILE *f, int64_t bytes, const char *type) {
  int64_t ptr = (int64_t)dtype_size(DT_STRING);
  MLC_ASSERT(bytes % ptr == 0);
  fprintf(f, "%" PRId64 " * (%s)sizeof(mlc_rt_str)", bytes / ptr, type);
}

void emitc_put_params(Emit *e, const KCall *c) {
  const ParamsDesc *pd = ktab[c->kernel].params;
  FILE *f = e->f;
  int strings = 0;
  for (int j = 0; j < c->nio; j++) strings |= c->io[j] && c->io[j]->dtype == DT_STRING;
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
          if (strings && field_counts_bytes(fd->name))
            put_string_bytes(f, x, "int64_t");
          else if (x == INT64_MIN)
            fputs("(-9223372036854775807LL - 1)", f);
          else
            fprintf(f, "%" PRId64, x);
        } else {
          emitc_put_double(f, c->params[slot + k].d, 0);
        }
      }
      if (fd->count > 1) fputc('}', f);
    }
    slot += fd->count;
  }
  fputs(any ? "};\n" : "0};\n", f);
}

void emitc_put_call_args(Emit *e, const KCall *c) {
  FILE *f = e->f;
  emitc_put_params(e, c);
  fprintf(f, "    void *io[%d] = {", c->nio);
  for (int j = 0; j < c->nio; j++) {
    if (j) fputs(", ", f);
    if (!c->io[j])
      fputs("0", f);
    else
      fprintf(f, "(void *)%s", emitc_ptr(e, c->io[j]));
  }
  fputs("};\n", f);
}

static void emit_call(Emit *e, const KCall *c) {
  fputs("  {\n", e->f);
  emitc_put_call_args(e, c);
  fprintf(e->f, "    mlc_rt_%s(&p, io);\n  }\n", ktab[c->kernel].name);
}

/* Elementwise: one loop for a run of elementwise calls over the same output
 * shape (one call, or a fused group). Each call's result is a local of the
 * loop body and only the last is stored; operands from outside the run are
 * arrays read through their broadcast strides. Adjacent dims that every
 * array walks contiguously are merged first, so most loops are flat.
 *
 * The loops are written for compilers that vectorize at -O2 only where the
 * vector loop replaces the scalar one outright, with no run-time overlap
 * test (gcc's very-cheap cost model): the innermost loop runs a multiple of
 * EW_CHUNK iterations (the rest in a loop of its own) and is marked
 * MLC_RT_INDEPENDENT when no operand overlaps the output but at the very
 * element stored (in place), and operands of one element are locals.
 * (`restrict` on the block's pointers would say the same, but gcc reads it
 * on parameters only.) */
enum { EW_CHUNK = 16 };

static int produced_in_run(const KCall *calls, int upto, const Value *v) {
  for (int c = 0; c < upto; c++)
    if (calls[c].io[ktab[calls[c].kernel].ew_arity] == v) return c;
  return -1;
}

int emitc_apart(Value *x, Value *y) {
  Value *rx = plan_root(x), *ry = plan_root(y);
  int cx = rx->is_input || rx->is_output, cy = ry->is_input || ry->is_output;
  if (rx->data || cx != cy) return 1;
  if (cx) return 0;
  int64_t ox = rx->offset + plan_view_off(x), oy = ry->offset + plan_view_off(y);
  return ox + (int64_t)ir_nbytes(x) <= oy || oy + (int64_t)ir_nbytes(y) <= ox;
}

/* Whether operand x of a loop that stores y may overlap y other than
 * element for element: not where they are apart, nor where in-place
 * planning made them the same bytes, shaped alike */
static int ew_may_overlap(Value *x, Value *y) {
  Value *rx = plan_root(x), *ry = plan_root(y);
  int same = ir_same_shape(x, y) && dtype_size(x->dtype) == dtype_size(y->dtype);
  if (emitc_apart(x, y)) return 0;
  if (rx->is_input || rx->is_output) return rx != ry || !same;
  return !(same && rx->offset + plan_view_off(x) == ry->offset + plan_view_off(y));
}

/* name[index] over the r merged dims with strides st */
static void put_elem(FILE *f, const char *name, const int64_t *st, int r) {
  int any = 0;
  fprintf(f, "%s[", name);
  for (int d = 0; d < r; d++) {
    if (!st[d]) continue;
    if (any++) fputs(" + ", f);
    if (st[d] == 1)
      fprintf(f, "i%d", d);
    else
      fprintf(f, "i%d * %" PRId64, d, st[d]);
  }
  fputs(any ? "]" : "0]", f);
}

void emitc_put_ew_body(FILE *f, const KCall *calls, int ncalls, const EwLoop *l, int ind) {
  for (int c = 0; c < ncalls; c++) {
    const KernelInfo *k = &ktab[calls[c].kernel];
    const MlcEw *p = (const MlcEw *)(const void *)calls[c].params;
    fprintf(f, "%*s", ind, "");
    if (c < ncalls - 1)
      fprintf(f, "const %s t%d", emitc_ctype(calls[c].io[k->ew_arity]), c);
    else
      put_elem(f, "y", l->ystr, l->r);
    fprintf(f, " = %s(", k->ew_fn);
    for (int i = 0; i < k->ew_arity; i++) {
      int j = l->ref[c][i];
      if (i) fputs(", ", f);
      if (j < 0) {
        fprintf(f, "t%d", -1 - j);
      } else if (l->ops[j].scalar) {
        fprintf(f, "x%d", j);
      } else {
        char name[16];
        snprintf(name, sizeof name, "x%d", j);
        put_elem(f, name, l->ops[j].st, l->r);
      }
    }
    if (k->ew_has_p) {
      fputs(", ", f);
      emitc_put_double(f, p->p0, 0);
      fputs(", ", f);
      emitc_put_double(f, p->p1, 0);
    }
    fputs(");\n", f);
  }
}

void emitc_ew_loop(Emit *e, const KCall *calls, int ncalls, EwLoop *l) {
  const MlcEw *p0 = (const MlcEw *)(const void *)calls[0].params;
  EwOperand *ops = arena_array(e->a, (size_t)ncalls * 3 + 1, sizeof *ops);
  int nops = 0;
  int(*ref)[3] = arena_array(e->a, (size_t)ncalls, sizeof *ref);
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
      if (k == nops) ops[nops++] = (EwOperand){v, {0}, src[i], 0};
      ref[c][i] = k;
    }
  }
  int r = 0;
  for (int d = 0; d < p0->rank; d++) {
    if (p0->dims[d] == 1) continue;
    int merge = r > 0;
    for (int i = 0; i < nops && merge; i++) merge = ops[i].st[r - 1] == ops[i].raw[d] * p0->dims[d];
    if (merge) {
      l->dims[r - 1] *= p0->dims[d];
      for (int i = 0; i < nops; i++) ops[i].st[r - 1] = ops[i].raw[d];
      continue;
    }
    l->dims[r] = p0->dims[d];
    for (int i = 0; i < nops; i++) ops[i].st[r] = ops[i].raw[d];
    r++;
  }
  for (int64_t d = r - 1, s = 1; d >= 0; s *= l->dims[d--]) l->ystr[d] = s;
  const KCall *last = &calls[ncalls - 1];
  l->out = last->io[ktab[last->kernel].ew_arity];
  l->apart = 1;
  for (int i = 0; i < nops; i++) l->apart &= !ew_may_overlap(ops[i].v, l->out);
  for (int i = 0; i < nops; i++) {
    ops[i].scalar = l->apart;
    for (int d = 0; d < r; d++) ops[i].scalar &= !ops[i].st[d];
  }
  l->ops = ops;
  l->nops = nops;
  l->ref = ref;
  l->r = r;
}

static void emit_ew(Emit *e, const KCall *calls, int ncalls) {
  FILE *f = e->f;
  EwLoop l;
  emitc_ew_loop(e, calls, ncalls, &l);
  int r = l.r;
  fputs("  {\n", f);
  for (int i = 0; i < l.nops; i++)
    fprintf(f, l.ops[i].scalar ? "    const %s x%d = %s[0];\n" : "    const %s *x%d = %s;\n",
            emitc_ctype(l.ops[i].v), i, emitc_ptr(e, l.ops[i].v));
  fprintf(f, "    %s *y = %s;\n", emitc_ctype(l.out), emitc_ptr(e, l.out));
  int64_t n = r ? l.dims[r - 1] : 1, whole = n - n % EW_CHUNK;
  int split = whole > 0 && whole < n;
  /* With run-time dims n varies, and the loop keeps one form: always split,
   * where the product computes, as a multiple of EW_CHUNK the C compiler
   * can see (GCC's -O2 vectorizes only loops without a scalar tail) */
  const char *whole_c = arena_printf(e->a, "%" PRId64, whole);
  if (e->o->ndims && r) {
    split = 1;
    whole_c = arena_printf(e->a, "%" PRId64 " / %d * %d", n, EW_CHUNK, EW_CHUNK);
  }
  for (int d = 0; d < r - 1; d++)
    fprintf(f, "%*sfor (int64_t i%d = 0; i%d < %" PRId64 "; i%d++)%s\n", 4 + 2 * d, "", d, d,
            l.dims[d], d, split && d == r - 2 ? " {" : "");
  int ind = 4 + 2 * (r ? r - 1 : 0);
  for (int part = 0; part <= split; part++) {
    const char *from = part ? whole_c : "0";
    const char *to = split && !part ? whole_c : arena_printf(e->a, "%" PRId64, n);
    if (r && l.apart) fprintf(f, "%*sMLC_RT_INDEPENDENT\n", ind, "");
    if (r)
      fprintf(f, "%*sfor (int64_t i%d = %s; i%d < %s; i%d++) {\n", ind, "", r - 1, from, r - 1, to,
              r - 1);
    emitc_put_ew_body(f, calls, ncalls, &l, r ? ind + 2 : ind);
    if (r) fprintf(f, "%*s}\n", ind, "");
  }
  if (split && r > 1) fprintf(f, "%*s}\n", ind - 2, "");
  fputs("  }\n", f);
}

static void emit_step_comment(Emit *e, const Step *s) {
  FILE *f = e->f;
  const Node *n = s->node;
  if (optab[n->op].flags & OPF_FUSED) {
    const Graph *body = ir_attr(n, "body")->g;
    fputs("  /* fused:", f);
    for (int k = 0; k < body->nnodes; k++) {
      fprintf(f, "%s #%d %s '", k ? " +" : "", body->nodes[k]->index, body->nodes[k]->op_type);
      emitc_put_comment(f, body->nodes[k]->name);
      fputc('\'', f);
    }
    fputs("\n   *", f);
  } else {
    fprintf(f, "  /* #%d %s '", n->index, n->op_type);
    emitc_put_comment(f, n->name);
    fputs("':", f);
  }
  for (int i = 0; i < n->nin; i++) {
    if (!n->in[i]) continue;
    fputs(i ? ", " : " ", f);
    emitc_put_comment(f, n->in[i]->name);
    fputc('[', f);
    emitc_put_shape(f, n->in[i]);
    fputc(']', f);
  }
  fputs(" ->", f);
  for (int i = 0; i < n->nout; i++) {
    if (!n->out[i]) continue;
    fputs(i ? ", " : " ", f);
    emitc_put_comment(f, n->out[i]->name);
    fputc('[', f);
    emitc_put_shape(f, n->out[i]);
    fputc(']', f);
  }
  fputs(" */\n", f);
}

void emitc_put_weights_check(Emit *e, uint64_t fingerprint) {
  const char *M = emitc_macro_prefix(e->a, e->o->prefix);
  fprintf(e->f,
          "  const unsigned char *b = (const unsigned char *)bytes;\n"
          "  uint64_t n = 0, h = 0;\n"
          "  int i;\n"
          "  if (size < 64 || ((uintptr_t)bytes & 7) || memcmp(b, \"%s\", %zu))\n"
          "    return %s_ERR_WEIGHTS;\n"
          "  for (i = 7; i >= 0; i--) {\n"
          "    n = n << 8 | b[16 + i];\n"
          "    h = h << 8 | b[24 + i];\n"
          "  }\n"
          "  if (n != size || h != UINT64_C(%" PRIu64 ")) return %s_ERR_WEIGHTS;\n",
          EMITC_WEIGHTS_MAGIC, sizeof EMITC_WEIGHTS_MAGIC, M, fingerprint, M);
}

void emitc_write(Plan *p, const EmitOptions *o, FILE *c, FILE *h, FILE *weights) {
  /* scratch strings go to the compilation's arena: an error (a type the
   * backend cannot print) unwinds past this function, and the caller frees
   * that arena */
  Arena *a = p->g->arena;
  Emit e = {p, o, a, c, weights != NULL, "weights", NULL};
  Graph *g = p->g;
  const char *P = o->prefix, *M = emitc_macro_prefix(a, P);
  for (int i = 0; i < p->nconsts; i++) p->consts[i]->plan_index = i;
  uint64_t fingerprint = weights ? emitc_write_weights(&e, weights) : 0;
  emitc_header(&e, h);

  emitc_put_banner(&e, c, ". Do not edit. */\n");
  emitc_profile_prelude(&e);
  fputs("#include <string.h>\n\n", c);
  fprintf(c, "#include \"%s\"\n#include \"mlc_rt.h\"\n\n", o->header_name);
  emitc_target_guard(&e);
  /* the kernels' names, parameter structs and io slots this code relies on */
  fprintf(c,
          "#if !defined(MLC_RT_ABI) || MLC_RT_ABI != %d\n"
          "#error \"%s was generated for mlc runtime ABI %d (by mlc " MLC_VERSION
          "); this runtime (mlc_rt.h) is another: build it with the runtime of that mlc, or "
          "generate it again\"\n#endif\n\n",
          MLC_RT_ABI, P, MLC_RT_ABI);
  if (weights) {
    fprintf(c,
            "static const unsigned char *weights;\n\n"
            "int %s_load_weights(const void *bytes, size_t size) {\n",
            P);
    emitc_put_weights_check(&e, fingerprint);
    fprintf(c, "  weights = b;\n  return %s_OK;\n}\n\n", M);
  }
  /* string arrays are planned with the compiler's pointer size, and
   * indexed and counted with the product's (sizeof(mlc_rt_str)), which
   * must not be larger */
  if (emitc_uses_strings(p))
    fprintf(c,
            "typedef char %s_strings_fit_%zu_byte_slots[sizeof(mlc_rt_str) <= %zu ? 1 : -1];\n\n",
            P, dtype_size(DT_STRING), dtype_size(DT_STRING));
  emitc_inline_consts(&e);
  emitc_profile_code(&e);
  int64_t words = (p->arena_bytes + 7) / 8;
  fprintf(c, "static uint64_t arena_storage[%" PRId64 "];\n\n", words ? words : 1);
  emitc_put_signature(&e, c, 0);
  fprintf(c, " {\n  return %s_run_with_arena(", P);
  emitc_put_dims(e.o, c, 0, 1);
  fputs("arena_storage, sizeof arena_storage", c);
  emitc_put_io_args(&e, c, 0);
  fputs(");\n}\n\n", c);
  emitc_put_signature(&e, c, 1);
  fputs(" {\n  unsigned char *A = (unsigned char *)arena;\n", c);
  if (p->arena_bytes)
    fprintf(c,
            "  if (arena_bytes < %s_ARENA_BYTES || ((uintptr_t)arena & 7)) return %s_ERR_ARENA;\n",
            M, M);
  else
    fputs("  (void)arena_bytes;\n", c);
  if (weights) fprintf(c, "  if (!weights) return %s_ERR_WEIGHTS;\n", M);
  for (int i = 0; i < o->ndims; i++)
    fprintf(c, "  if (%s < %" PRId64 " || %s > %" PRId64 ") return %s_ERR_DIMS;\n",
            o->dims[i].cname, o->dims[i].lo, o->dims[i].cname, o->dims[i].hi, M);
  emitc_target_link_check(&e);
  emitc_dim_valued_consts(&e);
  emitc_profile_start(&e);
  fputs("  (void)A;\n", c);
  /* an input may go unread and an empty output unwritten */
  for (int i = 0; i < g->ninputs; i++)
    fprintf(c, "  (void)in_%s;\n", emitc_mangle(a, g->inputs[i]->name));
  for (int i = 0; i < g->noutputs; i++)
    fprintf(c, "  (void)out_%s;\n", emitc_mangle(a, g->outputs[i]->name));
  if (emitc_region_offset(p) >= 0)
    fprintf(c,
            "  memset(A + %" PRId64
            ", 0, MLC_RT_STR_HEADER); /* the string region starts empty */\n",
            emitc_region_offset(p));
  for (int s = 0; s < p->nsteps; s++) {
    const Step *st = &p->steps[s];
    fputc('\n', c);
    emit_step_comment(&e, st);
    if (emitc_step_fused(st)) {
      emit_ew(&e, st->calls, st->ncalls);
    } else {
      for (int k = 0; k < st->ncalls; k++) {
        if (ktab[st->calls[k].kernel].ew_arity)
          emit_ew(&e, &st->calls[k], 1);
        else
          emit_call(&e, &st->calls[k]);
      }
    }
    emitc_profile_step(&e, s);
  }
  /* outputs no step wrote: constants and inputs passed through */
  for (int i = 0; i < g->noutputs; i++) {
    Value *v = g->outputs[i];
    if (!v->data && !v->is_input) continue;
    fprintf(c, "\n  /* output '");
    emitc_put_comment(c, v->name);
    fprintf(c, "' is known at compile time or is an input */\n  memcpy(out_%s, %s, ",
            emitc_mangle(a, v->name), emitc_ptr(&e, v));
    if (v->dtype == DT_STRING)
      put_string_bytes(c, (int64_t)ir_nbytes(v), "size_t");
    else
      fprintf(c, "%zu", ir_nbytes(v));
    fputs(");\n", c);
  }
  emitc_profile_end(&e);
  if (emitc_region_offset(p) >= 0)
    fprintf(c,
            "  {\n    int64_t used;\n    memcpy(&used, A + %" PRId64
            ", sizeof used);\n"
            "    if (used < 0) return %s_ERR_STRINGS;\n  }\n",
            emitc_region_offset(p), M);
  fprintf(c, "  return %s_OK;\n}\n", M);
}

/* ---- test harness ----------------------------------------------------------------------- */

void emitc_put_slurp(FILE *f) {
  fputs(
      "static void *slurp(const char *path, size_t want) {\n"
      "  FILE *f = fopen(path, \"rb\");\n"
      "  void *b = calloc(want ? want : 1, 1);\n"
      "  size_t got;\n"
      "  if (!f || !b) { fprintf(stderr, \"cannot read %s\\n\", path); exit(2); }\n"
      "  got = fread(b, 1, want, f);\n"
      "  fclose(f);\n"
      "  if (got != want) { fprintf(stderr, \"%s: short file\\n\", path); exit(2); }\n"
      "  return b;\n}\n\n",
      f);
}

/* the harness's element count of input or output i: a number, or the
 * header's count macro of the run-time dims d0, d1... */
static const char *harness_count(Arena *a, const EmitOptions *o, const char *M, const char *kind,
                                 int i, const Value *v) {
  if (!o->ndims) return arena_printf(a, "%" PRId64, ir_numel(v));
  char *s = arena_printf(a, "(size_t)%s_%s%d_COUNT(", M, kind, i);
  for (int k = 0; k < o->ndims; k++) s = arena_printf(a, "%s%sd%d", s, k ? ", " : "", k);
  return arena_printf(a, "%s)", s);
}

void emitc_harness(const Plan *p, const EmitOptions *o, FILE *f) {
  const Graph *g = p->g;
  Arena *a = g->arena;
  const char *P = o->prefix, *M = emitc_macro_prefix(a, P);
  fputs("/* Generated by mlc " MLC_VERSION
        ": runs the model on raw little-endian tensor files. */\n"
        "#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n\n",
        f);
  fprintf(f, "#include \"%s\"\n\n", o->header_name);
  emitc_put_slurp(f);
  /* a string tensor's file holds its strings one after another, each with
   * its NUL; the array's extra last entry keeps the bytes for free() */
  fputs(
      "static void *strings_in(const char *path, size_t n) {\n"
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
      "    if (at >= (size_t)size) { fprintf(stderr, \"%s: too few strings\\n\", path); exit(2); "
      "}\n"
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
      "  return 1;\n}\n\n",
      f);
  /* everything it allocates is freed: the harness runs under LeakSanitizer too */
  fputs(
      "int main(int argc, char **argv) {\n  int a = 1, rc;\n  void *wb = 0;\n"
      "  (void)slurp;\n  (void)strings_in;\n  (void)strings_free;\n  (void)strings_out;\n",
      f);
  int nargs = o->ndims + g->ninputs + g->noutputs + (o->weights_name ? 1 : 0);
  fprintf(f, "  if (argc != %d) { fprintf(stderr, \"usage: %%s", nargs + 1);
  for (int k = 0; k < o->ndims; k++) fprintf(f, " %s", o->dims[k].cname);
  if (o->weights_name) fputs(" WEIGHTS", f);
  for (int i = 0; i < g->ninputs; i++) fprintf(f, " IN%d", i);
  for (int i = 0; i < g->noutputs; i++) fprintf(f, " OUT%d", i);
  fputs("\\n\", argv[0]); return 2; }\n", f);
  for (int k = 0; k < o->ndims; k++) fprintf(f, "  int64_t d%d = strtoll(argv[a++], 0, 10);\n", k);
  if (o->weights_name) {
    fputs(
        "  {\n    FILE *w = fopen(argv[a], \"rb\");\n    long n;\n"
        "    if (!w || fseek(w, 0, SEEK_END) || (n = ftell(w)) < 0) return 2;\n"
        "    fclose(w);\n    wb = slurp(argv[a++], (size_t)n);\n",
        f);
    fprintf(f,
            "    if (%s_load_weights(wb, (size_t)n) != %s_OK) { fprintf(stderr, "
            "\"bad weights\\n\"); return 3; }\n  }\n",
            P, M);
  }
  for (int i = 0; i < g->ninputs; i++) {
    const char *n = harness_count(a, o, M, "INPUT", i, g->inputs[i]);
    if (g->inputs[i]->dtype == DT_STRING)
      fprintf(f, "  void *in%d = strings_in(argv[a++], %s);\n", i, n);
    else
      fprintf(f, "  void *in%d = slurp(argv[a++], %s * %zu);\n", i, n,
              dtype_size(g->inputs[i]->dtype));
  }
  for (int i = 0; i < g->noutputs; i++) {
    const char *n = harness_count(a, o, M, "OUTPUT", i, g->outputs[i]);
    fprintf(f, "  size_t out%d_bytes = %s * %zu;\n", i, n, dtype_size(g->outputs[i]->dtype));
    fprintf(f, "  void *out%d = calloc(out%d_bytes ? out%d_bytes : 1, 1);\n", i, i, i);
  }
  fprintf(f, "  rc = %s_run(", P);
  for (int k = 0; k < o->ndims; k++) fprintf(f, "d%d, ", k);
  for (int i = 0; i < g->ninputs; i++) fprintf(f, "%sin%d", i ? ", " : "", i);
  for (int i = 0; i < g->noutputs; i++) fprintf(f, "%sout%d", (i || g->ninputs) ? ", " : "", i);
  fputs(");\n  if (rc) { fprintf(stderr, \"run failed: %d\\n\", rc); return 4; }\n", f);
  for (int i = 0; i < g->noutputs; i++) {
    fputs("  {\n    FILE *o = fopen(argv[a++], \"wb\");\n", f);
    if (g->outputs[i]->dtype == DT_STRING)
      fprintf(f, "    if (!o || !strings_out(o, out%d, %s)) return 5;\n", i,
              harness_count(a, o, M, "OUTPUT", i, g->outputs[i]));
    else
      fprintf(f, "    if (!o || fwrite(out%d, 1, out%d_bytes, o) != out%d_bytes) return 5;\n", i, i,
              i);
    fputs("    fclose(o);\n  }\n", f);
  }
  for (int i = 0; i < g->ninputs; i++) {
    if (g->inputs[i]->dtype == DT_STRING)
      fprintf(f, "  strings_free(in%d, %s);\n", i,
              harness_count(a, o, M, "INPUT", i, g->inputs[i]));
    else
      fprintf(f, "  free(in%d);\n", i);
  }
  for (int i = 0; i < g->noutputs; i++) fprintf(f, "  free(out%d);\n", i);
  fputs("  free(wb);\n  return 0;\n}\n", f);
}
