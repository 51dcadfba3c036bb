/* mlc compile --dim NAME=LO..HI (dimrange.h).
 *
 * Every stage of mlc works on static shapes, and folding, the passes and
 * the lowering all use them. Rather than teach each of them symbolic
 * arithmetic, a compile with ranges runs the whole pipeline at sample
 * points of the ranges and reads the answer off the programs it prints:
 * they must agree token for token except in integer literals, and each
 * literal that varies is a function of the dims that dimfit.h finds and
 * checks at every sample.
 *
 * What the samples must share:
 *   - Constant data. Inference at the ends and middles of the ranges
 *     finds the values whose shape follows the dims (Graph.runtime_sized:
 *     never folded, so the product computes them) and those of one shape
 *     whose data does (a dim's value as a tensor: Value.dim_valued,
 *     written into the run function, where its numbers are fitted). The
 *     rest must not move: the weights' fingerprint is in the source.
 *   - The memory plan, per form: arena offsets (`A + N`) are not fitted;
 *     each form prints the plan of the largest point it serves, which
 *     holds every value of its smaller points (checked), and the arena is
 *     the largest of those plans.
 *
 * Samples: along each dim with the others at their largest (every value
 * for a range of up to SWEEP_ALL, else both ends densely and points
 * between), which also splits the ranges where the program changes form
 * (a dim of 1 that is broadcast, say); then within each cell of those
 * splits the same sweeps, a grid of each dim's ends and middle, and a few
 * points chosen at random (the same for every compile). Each cell whose
 * program has another form becomes a branch of the run function. */
#include "dimrange.h"

#include <inttypes.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "dimfit.h"
#include "model.h"
#include "tensor_io.h"

#define SWEEP_ALL 160   /* a range this long is swept at every value */
#define SWEEP_ENDS 64   /* else this many values at each end, */
#define SWEEP_SPREAD 32 /* and this many spread between */
#define SPOT_CHECKS 12  /* points of a cell where every dim varies */
#define MAX_SEGMENTS 8  /* forms along one dim */
#define MAX_CELLS 32

typedef struct Tok {
  int off, len;
  /* a decimal integer literal: 'i' (fitted), 'o' an arena offset or 'a' the
   * arena's size (taken from the plans); else 0 */
  char isint;
} Tok;

/* one printed file, tokenized */
typedef struct Text {
  char *s;
  size_t n;
  Tok *t;
  int nt;
} Text;

/* the generated files at one point */
typedef struct Texts {
  Text c, h;
  int fn;           /* the run function's name: token fn of c */
  int body0, body1; /* its body: tokens (body0, body1) of c */
} Texts;

/* a form of the program */
typedef struct Form {
  uint64_t body_hash;
  int nbody; /* fitted integers in the body */
} Form;

typedef struct Probe {
  int64_t d[DIMFIT_MAX_DIMS];
  int form;
  int64_t *ints; /* the body's fitted integers, then the others' (c, then h) */
  /* its memory plan */
  int narena, ninplace;
  int64_t *sizes; /* bytes of each arena value */
  int64_t arena_bytes, lower_bound;
} Probe;

typedef struct Ctx {
  Arena *a; /* the command's: lives past the compile */
  const char *model;
  const CompileOptions *o;
  const char *c_path;
  int k;
  int64_t lo[DIMFIT_MAX_DIMS], hi[DIMFIT_MAX_DIMS];
  const char *names[DIMFIT_MAX_DIMS];  /* the C parameters */
  const char *mnames[DIMFIT_MAX_DIMS]; /* the same as macro parameters: "(dim_x)" */
  /* from the largest extents */
  uint64_t rest_hash;
  Texts first;                /* the first sample's files (the largest extents), for messages */
  int warnings_were;          /* diag_warnings as the compile found it */
  const char **runtime_sized; /* Graph.runtime_sized of every compile */
  int nruntime_sized;
  const char **runtime_valued; /* the values made Value.dim_valued */
  int nruntime_valued;
  char *weights; /* the weights file's bytes, if the weights go to a file */
  size_t nweights;
  int nrest;
  Form *forms;
  int nforms;
  size_t forms_cap;
  Probe *probes;
  int nprobes;
  size_t probes_cap;
} Ctx;

static uint64_t fnv(uint64_t h, const void *p, size_t n) {
  const unsigned char *b = p;
  for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 1099511628211u;
  return h;
}

static int ident(int ch) {
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
         ch == '_';
}

static int tok_is(const Text *x, int i, const char *w) {
  return i < x->nt && x->t[i].len == (int)strlen(w) && !memcmp(x->s + x->t[i].off, w, strlen(w));
}

static int tok_ends(const Text *x, int i, const char *w) {
  size_t n = strlen(w);
  return (size_t)x->t[i].len >= n && !memcmp(x->s + x->t[i].off + x->t[i].len - n, w, n);
}

/* C tokens, without whitespace and comments */
static void tokenize(Arena *a, Text *x) {
  size_t cap = 0;
  x->t = NULL;
  x->nt = 0;
  const char *s = x->s;
  size_t i = 0, n = x->n;
  while (i < n) {
    size_t st = i;
    char isint = 0;
    if (s[i] == ' ' || s[i] == '\n' || s[i] == '\t' || s[i] == '\r') {
      i++;
      continue;
    }
    if (s[i] == '/' && i + 1 < n && s[i + 1] == '*') {
      const char *e = strstr(s + i + 2, "*/");
      i = e ? (size_t)(e - s) + 2 : n;
      continue;
    }
    if (s[i] == '/' && i + 1 < n && s[i + 1] == '/') {
      while (i < n && s[i] != '\n') i++;
      continue;
    }
    if (s[i] == '"' || s[i] == '\'') {
      char q = s[i++];
      while (i < n && s[i] != q) i += s[i] == '\\' ? 2 : 1;
      i++;
    } else if (s[i] >= '0' && s[i] <= '9') {
      /* decimal digits, then at most an integer suffix (37LL) */
      int suffix = 0;
      isint = s[i] != '0' || i + 1 >= n || !ident(s[i + 1]) || strchr("uUlL", s[i + 1]);
      while (i < n && (ident(s[i]) || s[i] == '.' ||
                       ((s[i] == '+' || s[i] == '-') && (s[i - 1] == 'e' || s[i - 1] == 'E')))) {
        int digit = s[i] >= '0' && s[i] <= '9';
        suffix |= !digit;
        isint &= digit ? !suffix : strchr("uUlL", s[i]) != NULL;
        i++;
      }
    } else if (ident(s[i])) {
      while (i < n && ident(s[i])) i++;
    } else {
      i++;
    }
    if (i > n) i = n;
    x->t = arena_grow(a, x->t, &cap, (size_t)x->nt + 1, sizeof *x->t);
    x->t[x->nt++] = (Tok){(int)st, (int)(i - st), isint ? 'i' : 0};
  }
  for (int j = 2; j < x->nt; j++) {
    if (!x->t[j].isint) continue;
    if (tok_is(x, j - 1, "+") && tok_is(x, j - 2, "A")) x->t[j].isint = 'o';
    if (tok_is(x, j - 1, "[") && tok_is(x, j - 2, "arena_storage")) x->t[j].isint = 'a';
    if (tok_is(x, j - 2, "define") && x->t[j - 1].len > 12 &&
        (tok_ends(x, j - 1, "_ARENA_BYTES") || tok_ends(x, j - 1, "_ARENA_LOWER_BOUND")))
      x->t[j].isint = 'a';
  }
}

/* the token after the bracket that tokens[i] opens */
static int skip_group(const Text *x, int i) {
  int depth = 0;
  for (; i < x->nt; i++) {
    char ch = x->s[x->t[i].off];
    if (x->t[i].len != 1) continue;
    if (ch == '(' || ch == '{' || ch == '[') depth++;
    if ((ch == ')' || ch == '}' || ch == ']') && --depth == 0) return i + 1;
  }
  return x->nt;
}

/* the body of PREFIX_run_with_arena's definition: tokens (*b0, *b1) */
static void find_body(const Ctx *x, Texts *t) {
  const char *fn = arena_printf(x->a, "%s_run_with_arena", x->o->prefix);
  const Text *c = &t->c;
  for (int i = 1; i + 1 < c->nt; i++) {
    if (!tok_is(c, i, fn) || !tok_is(c, i + 1, "(")) continue;
    int j = skip_group(c, i + 1);
    if (!tok_is(c, j, "{")) continue;
    t->fn = i;
    t->body0 = j;
    t->body1 = skip_group(c, j) - 1;
    return;
  }
  diag_fatal("--dim: internal: no %s in the generated code", fn);
}

static uint64_t skeleton_hash(const Text *x, int from, int to, uint64_t h) {
  for (int i = from; i < to; i++)
    h = x->t[i].isint ? fnv(h, "#", 2)
                      : fnv(fnv(h, x->s + x->t[i].off, (size_t)x->t[i].len), "", 1);
  return h;
}

static int64_t tok_int(const Text *x, int i) { return strtoll(x->s + x->t[i].off, NULL, 10); }

static const char *point_str(const Ctx *x, const int64_t *d) {
  char *s = arena_printf(x->a, "%s", "");
  for (int i = 0; i < x->k; i++)
    s = arena_printf(x->a, "%s%s%s=%" PRId64, s, i ? ", " : "", x->o->ranges[i].name, d[i]);
  return s;
}

/* the bindings of the compile at point d */
static Bindings bind_at(const Ctx *x, Arena *pa, const int64_t *d) {
  Bindings b = x->o->bind;
  b.dims = arena_array(pa, (size_t)b.ndims + 1, sizeof *b.dims);
  for (int i = 0; i < b.ndims; i++) {
    b.dims[i] = x->o->bind.dims[i];
    for (int r = 0; r < x->k; r++)
      if (!strcmp(b.dims[i].name, x->o->ranges[r].name)) b.dims[i].value = d[r];
  }
  return b;
}

/* adds name to the list (*names, *n) unless it is there */
static void add_name(Arena *a, const char ***names, int *n, size_t *cap, const char *name) {
  for (int k = 0; k < *n; k++)
    if (!strcmp((*names)[k], name)) return;
  *names = arena_grow(a, *names, cap, (size_t)*n + 1, sizeof **names);
  (*names)[(*n)++] = arena_strdup(a, name);
}

/* The values whose shape follows the dims: inferred (and folded) at the
 * largest extents and at each dim's smallest and middle value, the values
 * of the same name whose shapes differ. Folding them into data would fix
 * their size, so the compiles leave them to the run. Those of one shape
 * whose data differs (a dim's value as a tensor) stay data, which the C
 * backend writes into the run function (Value.dim_valued). */
static void find_runtime_sized(Ctx *x) {
  Arena *ha = arena_new();
  size_t vcap = 0;
  Bindings hb = bind_at(x, ha, x->hi);
  Graph *top = driver_prepare(ha, x->model, &hb);
  /* its warnings are every sample's: once is enough */
  x->warnings_were = diag_warnings(0);
  size_t cap = 0;
  for (int i = 0; i < x->k; i++)
    for (int w = 0; w < 2; w++) {
      int64_t d[DIMFIT_MAX_DIMS];
      memcpy(d, x->hi, sizeof d);
      d[i] = w ? x->lo[i] + (x->hi[i] - x->lo[i]) / 2 : x->lo[i];
      if (d[i] == x->hi[i]) continue;
      Arena *pa = arena_new();
      diag_note_push(arena_printf(x->a, "inferring for %s", point_str(x, d)));
      Bindings b = bind_at(x, pa, d);
      Graph *g = driver_prepare(pa, x->model, &b);
      diag_note_pop();
      int moves = 0;
      for (int v = 0; v < top->ninputs && v < g->ninputs; v++)
        moves |=
            top->inputs[v]->rank != g->inputs[v]->rank ||
            memcmp(top->inputs[v]->dims, g->inputs[v]->dims,
                   sizeof(int64_t) * (size_t)(top->inputs[v]->rank > 0 ? top->inputs[v]->rank : 0));
      if (!moves)
        diag_fatal("--dim %s=%" PRId64 "..%" PRId64
                   ": no input of the model has that dim, so "
                   "a range of it changes nothing",
                   x->o->ranges[i].name, x->lo[i], x->hi[i]);
      for (int v = 0; v < top->nvalues; v++) {
        const Value *a = top->values[v], *b;
        if (!a->name || !*a->name || a->rank < 0 || !(b = ir_lookup(g, a->name))) continue;
        if (b->rank == a->rank && !memcmp(a->dims, b->dims, sizeof(int64_t) * (size_t)a->rank)) {
          if (a->data && b->data && a->dtype != DT_STRING && memcmp(a->data, b->data, ir_nbytes(a)))
            add_name(x->a, &x->runtime_valued, &x->nruntime_valued, &vcap, a->name);
          continue;
        }
        add_name(x->a, &x->runtime_sized, &x->nruntime_sized, &cap, a->name);
      }
      arena_free(pa);
    }
  arena_free(ha);
}

/* The whole pipeline at point d, in arena pa: the plan, the files in t
 * (tokenized), and the weights' bytes in *w when w is given. */
static Plan *compile_at(Ctx *x, Arena *pa, const int64_t *d, Texts *t, char **w, size_t *wn) {
  const CompileOptions *o = x->o;
  diag_note_push(arena_printf(x->a, "compiling for %s", point_str(x, d)));
  Bindings b = bind_at(x, pa, d);
  Graph *g = model_load(pa, x->model);
  g->runtime_sized = x->runtime_sized;
  g->nruntime_sized = x->nruntime_sized;
  infer_bind(g, &b);
  infer_graph(g);
  for (int i = 0; i < g->nvalues; i++)
    for (int k = 0; g->values[i]->data && k < x->nruntime_valued; k++)
      if (g->values[i]->name && !strcmp(g->values[i]->name, x->runtime_valued[k]))
        g->values[i]->dim_valued = 1;
  g->target = o->target;
  Plan *p = driver_plan(g, &o->passes);
  int to_file;
  EmitOptions eo = driver_emit_options(p, o, x->c_path, &to_file);
  char *cb = NULL, *hb = NULL, *wb = NULL;
  size_t cn = 0, hn = 0, wbn = 0;
  FILE *cf = open_memstream(&cb, &cn), *hf = open_memstream(&hb, &hn);
  /* a sample's weights are not kept: the source names their fingerprint */
  FILE *wf = !to_file ? NULL : w ? open_memstream(&wb, &wbn) : fopen("/dev/null", "wb");
  if (!cf || !hf || (to_file && !wf)) diag_oom();
  emitc_write(p, &eo, cf, hf, wf);
  if (fclose(cf) || fclose(hf) || (wf && fclose(wf))) diag_oom();
  if (w) {
    *w = wb;
    *wn = wbn;
  } else {
    free(wb);
  }
  t->c = (Text){arena_strndup(pa, cb, cn), cn, NULL, 0};
  t->h = (Text){arena_strndup(pa, hb, hn), hn, NULL, 0};
  free(cb);
  free(hb);
  tokenize(pa, &t->c);
  tokenize(pa, &t->h);
  find_body(x, t);
  diag_note_pop();
  return p;
}

static int outside(const Texts *t, int i) { return i <= t->body0 || i >= t->body1; }

/* token i of text t, for messages: "line N of FILE (`the line`)" */
static const char *line_of(const Ctx *x, const Text *t, int i, const char *file) {
  int line = 1;
  const char *s = t->s, *at = s + (i < t->nt ? t->t[i].off : (int)t->n), *bol = s;
  for (const char *q = s; q < at; q++)
    if (*q == '\n') line++, bol = q + 1;
  const char *eol = strchr(at, '\n');
  while (*bol == ' ') bol++;
  return arena_printf(x->a, "line %d of %s (`%.*s`)", line, file,
                      (int)((eol ? eol : s + t->n) - bol), bol);
}

/* the step of the run function that the text at off belongs to, as its
 * comment names it ("#12 MatMul 'name'", "fused: #3 Mul 'a' + #4 Add 'b'"),
 * or NULL */
static const char *step_of(const Ctx *x, const Text *t, int off) {
  const char *best = NULL;
  for (const char *q = t->s; (q = strstr(q, "\n  /* ")) && q < t->s + off; q++)
    if (q[6] == '#' || !strncmp(q + 6, "fused: #", 8)) best = q + 6;
  if (!best) return NULL;
  const char *end = strchr(best, '\n');
  if (*best == '#') /* up to the name's closing quote */
    for (const char *c = best; c < end; c++)
      if (c[0] == '\'' && c[1] == ':') end = c + 1;
  return arena_printf(x->a, "%.*s", (int)(end - best), best);
}

/* where integer token i of text t is, for messages: its step (the node)
 * and its line */
static const char *place(const Ctx *x, const Text *t, int i, const char *file) {
  const char *step = step_of(x, t, t->t[i].off);
  return arena_printf(x->a, "%s%s%sthe number %.*s at %s", step ? "step " : "", step ? step : "",
                      step ? ": " : "", t->t[i].len, t->s + t->t[i].off, line_of(x, t, i, file));
}

/* the first token outside the run function where texts t differ from the
 * first sample's, for messages */
static const char *first_difference(const Ctx *x, const Texts *t) {
  const Texts *f = &x->first;
  const Text *pair[2][2] = {{&f->c, &t->c}, {&f->h, &t->h}};
  const char *file[2] = {path_base(x->c_path), "the header"};
  for (int w = 0; w < 2; w++) {
    const Text *a = pair[w][0], *b = pair[w][1];
    for (int i = 0, j = 0; i < a->nt || j < b->nt; i++, j++) {
      if (!w && i == f->body0) i = f->body1, j = t->body1; /* the body may differ */
      int same =
          i < a->nt && j < b->nt && a->t[i].len == b->t[j].len &&
          (a->t[i].isint || !memcmp(a->s + a->t[i].off, b->s + b->t[j].off, (size_t)a->t[i].len));
      if (same && a->t[i].isint) /* integers may differ, but not in kind */
        same = a->t[i].isint == b->t[j].isint;
      if (!same)
        return arena_printf(x->a, "%s against %s", line_of(x, a, i, file[w]),
                            line_of(x, b, j, file[w]));
    }
  }
  return "the integers outside the run function";
}

/* records the sample at d: the files t and the plan p compiled there. The
 * first (the largest extents, kept by the caller) is what the others must
 * agree with outside the run function. */
static Probe *record(Ctx *x, const int64_t *d, const Texts *tp, const Plan *p) {
  const Texts t = *tp;
  const Text *c = &t.c, *h = &t.h;
  uint64_t body = skeleton_hash(c, t.body0, t.body1, 14695981039346656037u);
  uint64_t rest =
      skeleton_hash(h, 0, h->nt, skeleton_hash(c, t.body1, c->nt, skeleton_hash(c, 0, t.body0, 1)));
  int nrest = 0, nbody = 0;
  for (int i = 0; i < c->nt; i++) {
    nrest += c->t[i].isint == 'i' && outside(&t, i);
    nbody += c->t[i].isint == 'i' && !outside(&t, i);
  }
  for (int i = 0; i < h->nt; i++) nrest += h->t[i].isint == 'i';
  if (!x->nprobes) {
    x->rest_hash = rest;
    x->nrest = nrest;
    x->first = t;
  } else if (rest != x->rest_hash || nrest != x->nrest) {
    diag_fatal(
        "--dim: outside the run function, the code for %s differs from the code for %s "
        "(the weights, or a declaration): %s",
        point_str(x, x->probes[0].d), point_str(x, d), first_difference(x, &t));
  }
  int f = 0;
  while (f < x->nforms && x->forms[f].body_hash != body) f++;
  if (f == x->nforms) {
    x->forms = arena_grow(x->a, x->forms, &x->forms_cap, (size_t)f + 1, sizeof *x->forms);
    x->forms[x->nforms++] = (Form){body, nbody};
  }
  x->probes =
      arena_grow(x->a, x->probes, &x->probes_cap, (size_t)x->nprobes + 1, sizeof *x->probes);
  Probe *pr = &x->probes[x->nprobes++];
  memset(pr, 0, sizeof *pr);
  memcpy(pr->d, d, sizeof(int64_t) * (size_t)x->k);
  pr->form = f;
  pr->ints = arena_array(x->a, (size_t)(nbody + nrest) + 1, sizeof *pr->ints);
  int n = 0;
  for (int i = t.body0; i < t.body1; i++)
    if (c->t[i].isint == 'i') pr->ints[n++] = tok_int(c, i);
  for (int i = 0; i < c->nt; i++)
    if (c->t[i].isint == 'i' && outside(&t, i)) pr->ints[n++] = tok_int(c, i);
  for (int i = 0; i < h->nt; i++)
    if (h->t[i].isint == 'i') pr->ints[n++] = tok_int(h, i);
  pr->narena = p->narena;
  pr->ninplace = p->ninplace;
  pr->sizes = arena_array(x->a, (size_t)p->narena + 1, sizeof *pr->sizes);
  for (int i = 0; i < p->narena; i++) pr->sizes[i] = (int64_t)ir_nbytes(p->arena_vals[i]);
  pr->arena_bytes = p->arena_bytes;
  pr->lower_bound = p->lower_bound;
  return pr;
}

/* the sample at d (compiled once) */
static Probe *probe(Ctx *x, const int64_t *d) {
  for (int i = 0; i < x->nprobes; i++)
    if (!memcmp(x->probes[i].d, d, sizeof(int64_t) * (size_t)x->k)) return &x->probes[i];
  Arena *pa = arena_new();
  Texts t;
  Plan *p = compile_at(x, pa, d, &t, NULL, NULL);
  Probe *pr = record(x, d, &t, p);
  arena_free(pa);
  return pr;
}

/* the values a sweep of [lo, hi] visits, ascending */
static int sweep_values(int64_t lo, int64_t hi, int64_t *v) {
  int n = 0;
  if (hi - lo < SWEEP_ALL) {
    for (int64_t d = lo; d <= hi; d++) v[n++] = d;
    return n;
  }
  for (int64_t d = lo; d < lo + SWEEP_ENDS; d++) v[n++] = d;
  for (int s = 1; s <= SWEEP_SPREAD; s++) {
    int64_t d = lo + SWEEP_ENDS + (hi - lo - 2 * SWEEP_ENDS) * s / (SWEEP_SPREAD + 1);
    if (d > v[n - 1]) v[n++] = d;
  }
  for (int64_t d = hi - SWEEP_ENDS + 1; d <= hi; d++)
    if (d > v[n - 1]) v[n++] = d;
  return n;
}

#define MAX_SWEEP (SWEEP_ALL + 2 * SWEEP_ENDS + SWEEP_SPREAD)

/* A cell: per dim a segment [lo, hi] where the program has one form. */
typedef struct Cell {
  int64_t lo[DIMFIT_MAX_DIMS], hi[DIMFIT_MAX_DIMS];
  int form;
} Cell;

static int in_cell(const Ctx *x, const Cell *c, const int64_t *d) {
  for (int i = 0; i < x->k; i++)
    if (d[i] < c->lo[i] || d[i] > c->hi[i]) return 0;
  return 1;
}

/* the sweeps and grid of a cell, all of the cell's form */
static void sample_cell(Ctx *x, const Cell *c) {
  int64_t d[DIMFIT_MAX_DIMS], v[MAX_SWEEP];
  for (int i = 0; i < x->k; i++) {
    int n = sweep_values(c->lo[i], c->hi[i], v);
    for (int j = 0; j < n; j++) {
      memcpy(d, c->hi, sizeof d);
      d[i] = v[j];
      probe(x, d);
    }
  }
  /* points off the sweeps and the grid, where the dims vary together */
  uint64_t lcg = 88172645463325252u;
  for (int t = 0; t < SPOT_CHECKS && x->k > 1; t++) {
    for (int i = 0; i < x->k; i++) {
      lcg = lcg * 6364136223846793005u + 1442695040888963407u;
      d[i] = c->lo[i] + (int64_t)((lcg >> 33) % (uint64_t)(c->hi[i] - c->lo[i] + 1));
    }
    probe(x, d);
  }
  int ncorner = 1;
  for (int i = 0; i < x->k; i++) ncorner *= 3;
  for (int t = 0; t < ncorner; t++) {
    for (int i = 0, r = t; i < x->k; r /= 3, i++) {
      int64_t pick[3] = {c->lo[i], c->lo[i] + (c->hi[i] - c->lo[i]) / 2, c->hi[i]};
      d[i] = pick[r % 3];
    }
    probe(x, d);
  }
  for (int i = 0; i < x->nprobes; i++)
    if (in_cell(x, c, x->probes[i].d) && x->probes[i].form != c->form)
      diag_fatal(
          "--dim: the code for %s and for %s differ in form, and the two are not told "
          "apart by ranges of each dim",
          point_str(x, x->probes[i].d), point_str(x, c->hi));
}

/* Along dim i from the largest extents: the segments of one form. Adjacent
 * samples of different forms are bisected to the value where it changes. */
static int segments(Ctx *x, int i, int64_t *seg_lo, int64_t *seg_hi) {
  int64_t v[MAX_SWEEP * 2], d[DIMFIT_MAX_DIMS];
  int form[MAX_SWEEP * 2];
  int n = sweep_values(x->lo[i], x->hi[i], v);
  memcpy(d, x->hi, sizeof d);
  for (int j = 0; j < n; j++) {
    d[i] = v[j];
    form[j] = probe(x, d)->form;
  }
  int nseg = 0;
  int64_t start = v[0];
  for (int j = 0; j < n; j++) {
    if (j + 1 < n && form[j + 1] == form[j]) continue;
    int64_t end = v[j];
    if (j + 1 < n) {
      /* bisect (v[j], v[j+1]) */
      int64_t a = v[j], b = v[j + 1];
      while (b - a > 1) {
        d[i] = a + (b - a) / 2;
        if (probe(x, d)->form == form[j])
          a = d[i];
        else
          b = d[i];
      }
      end = a;
    }
    if (nseg == MAX_SEGMENTS)
      diag_fatal("--dim: the code takes more than %d forms along %s: narrow the range",
                 MAX_SEGMENTS, x->o->ranges[i].name);
    seg_lo[nseg] = start;
    seg_hi[nseg++] = end;
    start = end + 1;
  }
  return nseg;
}

/* the value at p of fitted integer pos: of the body (f >= 0), or of the
 * rest (f < 0), which follows the body's integers */
static int64_t val(const Ctx *x, const Probe *p, int f, int pos) {
  return p->ints[f >= 0 ? pos : x->forms[p->form].nbody + pos];
}

/* the C expression of fitted integer `pos` of form f over cell c (f < 0:
 * of the rest, over every form); NULL if it does not vary */
static const char *fit(Ctx *x, const Cell *c, int f, int pos, const Text *t, int tok,
                       const char *file) {
  int64_t first = 0;
  int seen = 0, varies = 0;
  for (int i = 0; i < x->nprobes; i++) {
    const Probe *p = &x->probes[i];
    if (!in_cell(x, c, p->d) || (f >= 0 && p->form != f)) continue;
    if (!seen++) first = val(x, p, f, pos);
    varies |= val(x, p, f, pos) != first;
  }
  if (!varies) return NULL;
  DimExpr e = {0};
  e.k = x->k;
  for (int i = 0; i < x->k; i++) {
    /* this dim's sweep: the other dims at the cell's largest */
    int64_t dv[MAX_SWEEP * 2], fv[MAX_SWEEP * 2];
    int n = 0;
    for (int j = 0; j < x->nprobes; j++) {
      const Probe *p = &x->probes[j];
      int on = in_cell(x, c, p->d) && (f < 0 || p->form == f);
      for (int r = 0; on && r < x->k; r++) on = r == i || p->d[r] == c->hi[r];
      if (!on || n == MAX_SWEEP * 2) continue;
      int at = n++;
      while (at > 0 && dv[at - 1] > p->d[i]) {
        dv[at] = dv[at - 1];
        fv[at] = fv[at - 1];
        at--;
      }
      dv[at] = p->d[i];
      fv[at] = val(x, p, f, pos);
    }
    if (!dimfit_1d(dv, fv, n, &e.atom[i], &e.deg[i]))
      diag_fatal(
          "--dim: %s takes values along %s that are no polynomial of degree <= 2 in "
          "it or in a floor division of it (%" PRId64 " at %s=%" PRId64 ", %" PRId64 " at %" PRId64
          ")",
          place(x, t, tok, file), x->o->ranges[i].name, fv[0], x->o->ranges[i].name, dv[0],
          fv[n - 1], dv[n - 1]);
  }
  int64_t pts[DIMFIT_MAX_DIMS][DIMFIT_MAX_DEG + 1];
  int64_t vals[DIMFIT_MAX_TERMS];
  int ok = dimfit_grid(x->k, e.atom, e.deg, c->lo, c->hi, pts);
  for (int t = 0, nt = dimexpr_terms(&e); ok && t < nt; t++) {
    int64_t d[DIMFIT_MAX_DIMS];
    for (int i = 0, r = t; i < x->k; r /= e.deg[i] + 1, i++) d[i] = pts[i][r % (e.deg[i] + 1)];
    const Probe *p = probe(x, d);
    if (f >= 0 && p->form != f)
      diag_fatal("--dim: the code for %s changes form inside a range of one form", point_str(x, d));
    vals[t] = val(x, p, f, pos);
  }
  ok = ok && dimfit_solve(&e, pts, vals);
  for (int i = 0; ok && i < x->nprobes; i++) {
    const Probe *p = &x->probes[i];
    if (in_cell(x, c, p->d) && (f < 0 || p->form == f))
      ok = dimexpr_eval(&e, p->d) == val(x, p, f, pos);
  }
  if (!ok)
    diag_fatal("--dim: %s is no sum of products of the dims' terms that holds at every sample",
               place(x, t, tok, file));
  return dimexpr_c(x->a, &e, f < 0 ? x->mnames : x->names);
}

/* text t from token `from` to token `to` (the bytes from the first's start
 * to the last's end, or to the end of the text), with the fitted integers
 * that have an expression replaced, and the arena sizes by `arena`, in
 * order; `statics`: drop `static` from the declarations that then hold an
 * expression */
static char *substitute(Arena *a, const Text *t, int from, int to, int start, int end,
                        const char *const *expr, const char *const *arena, int statics) {
  char *out = arena_printf(a, "%s", "");
  int at = start, n = 0, na = 0;
  for (int i = from; i < to; i++) {
    if (t->t[i].isint == 'a') {
      out = arena_printf(a, "%s%.*s%s", out, t->t[i].off - at, t->s + at, arena[na++]);
      at = t->t[i].off + t->t[i].len;
      continue;
    }
    if (t->t[i].isint != 'i') {
      if (statics && t->t[i].len == 6 && !memcmp(t->s + t->t[i].off, "static", 6)) {
        int j = i, depth = 0, any = 0, k = n;
        for (; j < to; j++) {
          char ch = t->s[t->t[j].off];
          if (t->t[j].isint == 'i' && expr[k++]) any = 1;
          if (t->t[j].len != 1) continue;
          if (ch == '(' || ch == '{' || ch == '[') depth++;
          if (ch == ')' || ch == '}' || ch == ']') depth--;
          if (ch == ';' && !depth) break;
        }
        if (any) {
          out = arena_printf(a, "%s%.*s", out, t->t[i].off - at, t->s + at);
          at = t->t[i].off + 7; /* "static " */
        }
      }
      continue;
    }
    if (expr[n]) {
      out = arena_printf(a, "%s%.*s%s", out, t->t[i].off - at, t->s + at, expr[n]);
      at = t->t[i].off + t->t[i].len;
    }
    n++;
  }
  return arena_printf(a, "%s%.*s", out, end - at, t->s + at);
}

/* the run function's parameters as arguments: the last name of each */
static const char *call_args(const Ctx *x, const Texts *t) {
  const Text *c = &t->c;
  char *s = arena_printf(x->a, "%s", "");
  int last = -1, depth = 0;
  for (int i = t->fn + 2; i < t->body0; i++) {
    if (tok_is(c, i, "(")) depth++;
    if (depth && tok_is(c, i, ")")) {
      depth--;
      continue;
    }
    if (!depth && (tok_is(c, i, ",") || tok_is(c, i, ")"))) {
      if (last >= 0)
        s = arena_printf(x->a, "%s%s%.*s", s, *s ? ", " : "", c->t[last].len,
                         c->s + c->t[last].off);
      last = -1;
    } else if (ident(c->s[c->t[i].off]) && !c->t[i].isint) {
      last = i;
    }
  }
  return s;
}

static void put_cond(const Ctx *x, const Cell *c, FILE *f) {
  const char *sep = "";
  for (int i = 0; i < x->k; i++) {
    if (c->lo[i] > x->lo[i])
      fprintf(f, "%s%s >= %" PRId64, sep, x->names[i], c->lo[i]), sep = " && ";
    if (c->hi[i] < x->hi[i])
      fprintf(f, "%s%s <= %" PRId64, sep, x->names[i], c->hi[i]), sep = " && ";
  }
}

int dimrange_compile(Arena *a, const char *model, const CompileOptions *o, const char *c_path,
                     Plan **max) {
  Ctx x = {0};
  x.a = a;
  x.model = model;
  x.o = o;
  x.c_path = c_path;
  x.k = o->nranges;
  if (x.k > DIMFIT_MAX_DIMS) diag_fatal("--dim: at most %d dims may take ranges", DIMFIT_MAX_DIMS);
  for (int i = 0; i < x.k; i++) {
    x.lo[i] = o->ranges[i].lo;
    x.hi[i] = o->ranges[i].hi;
    x.names[i] = arena_printf(a, "dim_%s", emitc_mangle(a, o->ranges[i].name));
    x.mnames[i] = arena_printf(a, "(%s)", x.names[i]);
  }
#if defined(__GLIBC__)
  /* every sample allocates the model's size again and frees it: keep the
   * freed memory for the next one rather than handing it back to the
   * system and faulting it in again (most of the compile's time) */
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif
  find_runtime_sized(&x);
  /* the largest extents: the sample every other is compared with, and the
   * files outside the run function, the plan and the weights */
  Texts T0;
  *max = compile_at(&x, a, x.hi, &T0, &x.weights, &x.nweights);
  record(&x, x.hi, &T0, *max);
  /* the forms along each dim, and their cells */
  int64_t seg_lo[DIMFIT_MAX_DIMS][MAX_SEGMENTS], seg_hi[DIMFIT_MAX_DIMS][MAX_SEGMENTS];
  int nseg[DIMFIT_MAX_DIMS], ncells = 1;
  for (int i = 0; i < x.k; i++) ncells *= nseg[i] = segments(&x, i, seg_lo[i], seg_hi[i]);
  if (ncells > MAX_CELLS)
    diag_fatal("--dim: the code takes %d forms over these ranges (at most %d): narrow them", ncells,
               MAX_CELLS);
  Cell *cells = arena_array(a, (size_t)ncells, sizeof *cells);
  int64_t arena_bytes = 0, lower_bound = 0;
  for (int t = 0; t < ncells; t++) {
    Cell *c = &cells[t];
    for (int i = 0, r = t; i < x.k; r /= nseg[i], i++) {
      c->lo[i] = seg_lo[i][r % nseg[i]];
      c->hi[i] = seg_hi[i][r % nseg[i]];
    }
    const Probe *top = probe(&x, c->hi);
    c->form = top->form;
    sample_cell(&x, c);
    /* the plan of the cell's largest point holds every point of the cell */
    for (int i = 0; i < x.nprobes; i++) {
      const Probe *p = &x.probes[i];
      int fits =
          !in_cell(&x, c, p->d) || (p->narena == top->narena && p->ninplace == top->ninplace);
      for (int v = 0; fits && in_cell(&x, c, p->d) && v < p->narena; v++)
        fits = p->sizes[v] <= top->sizes[v];
      if (!fits)
        diag_fatal("--dim: the memory plan for %s does not hold the intermediates of %s",
                   point_str(&x, c->hi), point_str(&x, p->d));
    }
    if (top->arena_bytes > arena_bytes) arena_bytes = top->arena_bytes;
    if (top->lower_bound > lower_bound) lower_bound = top->lower_bound;
  }
  int to_file;
  EmitOptions eo = driver_emit_options(*max, o, c_path, &to_file);
  Cell box;
  memcpy(box.lo, x.lo, sizeof box.lo);
  memcpy(box.hi, x.hi, sizeof box.hi);
  const char *cname = path_base(c_path);
  int n = 0;
  for (int i = 0; i < T0.c.nt; i++)
    if (T0.c.t[i].isint == 'i' && outside(&T0, i)) {
      if (fit(&x, &box, -1, n++, &T0.c, i, cname))
        diag_fatal("--dim: %s depends on the dims outside the run function",
                   place(&x, &T0.c, i, cname));
    }
  const char **hexpr = arena_array(a, (size_t)x.nrest + 1, sizeof *hexpr);
  for (int i = 0, m = 0; i < T0.h.nt; i++)
    if (T0.h.t[i].isint == 'i') hexpr[m++] = fit(&x, &box, -1, n++, &T0.h, i, eo.header_name);
  /* the header's varying numbers are in the shape macros, which take the dims */
  const char *harena[2] = {arena_printf(a, "%" PRId64, arena_bytes),
                           arena_printf(a, "%" PRId64, lower_bound)};
  char *h = substitute(a, &T0.h, 0, T0.h.nt, 0, (int)T0.h.n, hexpr, harena, 0);
  const char *carena[1] = {arena_printf(a, "%" PRId64, arena_bytes ? (arena_bytes + 7) / 8 : 1)};
  /* the source: with one form, the run function's body; with more, a
   * function per form (each as big as a static compile's run function,
   * which the C compiler optimizes alike) and a run function that calls
   * the one for the dims, the largest last */
  char *cb = NULL;
  size_t cn = 0;
  FILE *cf = open_memstream(&cb, &cn);
  if (!cf) diag_oom();
  const char **none = arena_array(a, (size_t)T0.c.nt + 1, sizeof *none);
  const Text *C0 = &T0.c;
  int def = ncells == 1 ? T0.body0 + 1 : T0.fn - 1; /* the `int` that starts it */
  fputs(substitute(a, C0, 0, def, 0, C0->t[def].off, none, carena, 0), cf);
  const char *params = C0->s + C0->t[T0.fn + 1].off + 1;
  int nparams = C0->t[T0.body0 - 1].off - C0->t[T0.fn + 1].off - 1;
  const char *args = call_args(&x, &T0);
  for (int t = 0; t < ncells; t++) {
    const Cell *c = &cells[t];
    Texts T;
    if (t == ncells - 1)
      T = T0;
    else
      compile_at(&x, a, c->hi, &T, NULL, NULL);
    const char **e = arena_array(a, (size_t)x.forms[c->form].nbody + 1, sizeof *e);
    for (int i = T.body0, m = 0; i < T.body1; i++)
      if (T.c.t[i].isint == 'i') {
        e[m] = fit(&x, c, c->form, m, &T.c, i, cname);
        m++;
      }
    char *body = substitute(a, &T.c, T.body0 + 1, T.body1, T.c.t[T.body0].off + 1,
                            T.c.t[T.body1].off, e, NULL, 1);
    if (ncells == 1) {
      fputs(body, cf);
      continue;
    }
    fputs("/* the run where ", cf);
    if (t < ncells - 1)
      put_cond(&x, c, cf);
    else
      fputs("no other form's condition holds", cf);
    fprintf(cf, " */\nstatic int %s_run_form%d(%.*s) {%s}\n\n", o->prefix, t, nparams, params,
            body);
  }
  if (ncells > 1) {
    fprintf(cf, "%.*s", C0->t[T0.body0].off + 1 - C0->t[def].off, C0->s + C0->t[def].off);
    for (int t = 0; t < ncells - 1; t++) {
      fputs("\n  if (", cf);
      put_cond(&x, &cells[t], cf);
      fprintf(cf, ") return %s_run_form%d(%s);", o->prefix, t, args);
    }
    fprintf(cf, "\n  return %s_run_form%d(%s);\n", o->prefix, ncells - 1, args);
  }
  fputs(T0.c.s + T0.c.t[T0.body1].off, cf);
  if (fclose(cf)) diag_oom();
  FILE *out_c = out_open(c_path, "w"), *out_h = out_open(path_with_ext(a, c_path, ".h"), "w");
  fwrite(cb, 1, cn, out_c);
  fputs(h, out_h);
  free(cb);
  /* the weights are the largest extents' (the same at every sample) */
  if (to_file)
    fwrite(x.weights, 1, x.nweights, out_open(path_with_ext(a, c_path, ".weights"), "wb"));
  free(x.weights);
  diag_warnings(x.warnings_were);
  (*max)->arena_bytes = arena_bytes;
  return to_file;
}
