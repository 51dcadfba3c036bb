/* String ops: StringConcat, StringSplit, StringNormalizer, RegexFullMatch.
 * (Equal and Where on strings are elementwise functions of the runtime;
 * LabelEncoder's string tables are in op_ml.c.)
 *
 * A string tensor is an array of pointers; new bytes go to the run's string
 * region (ir_string_region), which every lowering here passes as an io
 * tensor. StringSplit's width and StringNormalizer's count after dropping
 * stopwords depend on the data: for constant inputs they are computed here,
 * while inferring, so the result is an ordinary constant; for run-time
 * inputs the output is data-dependent (infer_dynamic) with a bound that the
 * attributes give (maxsplit + 1 columns, the input's count). StringSplit
 * without maxsplit has no bound, so its input must be known at compile
 * time.
 *
 * RegexFullMatch's pattern is compiled here, once, into a program for the
 * runtime's Thompson NFA (runtime/string.c): a parse into a small tree, then
 * code with repetitions expanded. The syntax is RE2's common part; anything
 * else is refused at compile time with the node named.
 */
#include <string.h>

#include "diag.h"
#include "infer.h"
#include "interp.h"
#include "ops.h"

static void need_strings(const Node *n, int i) {
  if (n->in[i]->dtype != DT_STRING)
    diag_node_fatal(n, "input %d must be a string tensor, not %s", i, dtype_name(n->in[i]->dtype));
}

/* a compile-time string tensor [k] */
static Value *str_const(Graph *g, const char *const *s, int64_t k) {
  Value *v = ir_value_new(g, NULL);
  v->dtype = DT_STRING;
  ir_set_shape(v, 1, &k);
  const char **d = ir_alloc_data(g, v);
  for (int64_t i = 0; i < k; i++) d[i] = arena_strdup(g->arena, s[i]);
  return v;
}

/* ---- StringConcat ------------------------------------------------------------------- */

void infer_StringConcat(Graph *g, Node *n) {
  (void)g;
  need_strings(n, 0);
  need_strings(n, 1);
  infer_broadcast(n, 2, n->in, n->out[0]);
  n->out[0]->dtype = DT_STRING;
}

void lower_StringConcat(Graph *g, Node *n, Lowering *L) {
  /* lower_ew sets up a broadcasting binary call on strings (Equal's): its
   * MlcEw parameters and its slots a, b, y are the concat kernel's too
   * (MLC_STR_CONCAT_A, _B, _Y); p0 carries the region's size */
  KCall *c = lower_ew(g, n, L, "equal", DT_STRING, n->in, n->out[0], (double)ir_string_bytes, 0);
  c->kernel = K_str_concat;
  c->io[MLC_STR_CONCAT_REGION] = ir_string_region(g);
  c->nio = MLC_STR_CONCAT_NIO;
}

/* ---- StringSplit ---------------------------------------------------------------------- */

static int64_t split_maxsplit(const Node *n) {
  int64_t m = attr_i(n, "maxsplit", -1);
  return m < 0 ? -1 : m;
}

/* the split call into y (NULL: widths only), lengths and the widest row */
static void lower_split(Graph *g, Node *n, Lowering *L, Value *y, Value *lengths, Value *cols,
                        int64_t width) {
  const char *delim = attr_s(n, "delimiter", "");
  KCall *c = lower_add(g, L, K_str_split);
  MlcStrSplit *p = KC_PARAMS(c, MlcStrSplit);
  p->count = ir_numel(n->in[0]);
  p->cols = width;
  p->maxsplit = split_maxsplit(n);
  p->cap = ir_string_bytes;
  c->io[MLC_STR_SPLIT_X] = n->in[0];
  c->io[MLC_STR_SPLIT_DELIMITER] = *delim ? str_const(g, &delim, 1) : NULL;
  c->io[MLC_STR_SPLIT_Y] = y;
  c->io[MLC_STR_SPLIT_LENGTHS] = lengths;
  c->io[MLC_STR_SPLIT_COLS] = cols;
  c->io[MLC_STR_SPLIT_REGION] = ir_string_region(g);
  c->nio = MLC_STR_SPLIT_NIO;
}

void infer_StringSplit(Graph *g, Node *n) {
  Value *x = n->in[0], *y = n->out[0], *z = n->nout > 1 ? n->out[1] : NULL;
  need_strings(n, 0);
  if (x->rank >= IR_MAX_RANK) diag_node_fatal(n, "input rank %d is too large", x->rank);
  if (z) {
    ir_copy_type(z, x);
    z->dtype = DT_INT64;
  }
  int64_t dims[IR_MAX_RANK], one = 1, maxsplit = split_maxsplit(n);
  memcpy(dims, x->dims, sizeof x->dims);
  y->dtype = DT_STRING;
  if (!x->data) {
    if (maxsplit < 0) infer_need_const(n, x); /* no bound on the width */
    if (maxsplit >= INT32_MAX)
      diag_node_fatal(n, "maxsplit %lld is too large", (long long)maxsplit);
    dims[x->rank] = maxsplit + 1;
    set_shape_checked(n, y, x->rank + 1, dims);
    infer_dynamic(g, y, x->rank);
    return;
  }
  /* known input: the width first, then the pieces at that width */
  Value *lengths = lower_temp(g, DT_INT64, x->rank, x->dims),
        *cols = lower_temp(g, DT_INT64, 0, &one);
  Lowering L = {0};
  Value *outs[3] = {lengths, cols, y};
  lower_split(g, n, &L, NULL, lengths, cols, 0);
  interp_lowered(g, n, &L, outs, 2);
  dims[x->rank] = *(const int64_t *)cols->data;
  set_shape_checked(n, y, x->rank + 1, dims);
  if (!infer_fold_budget(g, ir_nbytes(y)))
    diag_node_fatal(n, "splitting its constant input makes too much data for compile time");
  L.ncalls = 0;
  lengths->data = cols->data = NULL;
  lower_split(g, n, &L, y, lengths, cols, dims[x->rank]);
  interp_lowered(g, n, &L, outs, 3);
  if (z) z->data = lengths->data;
}

void lower_StringSplit(Graph *g, Node *n, Lowering *L) {
  Value *y = n->out[0], *lengths = n->nout > 1 ? n->out[1] : NULL;
  int64_t one = 1;
  if (!lengths) lengths = lower_temp(g, DT_INT64, n->in[0]->rank, n->in[0]->dims);
  lower_split(g, n, L, y, lengths, y->dyn_count ? y->dyn_count : lower_temp(g, DT_INT64, 0, &one),
              y->dims[y->rank - 1]);
}

/* ---- StringNormalizer -------------------------------------------------------------------- */

static void lower_normalize(Graph *g, Node *n, Lowering *L, Value *y, Value *count) {
  const char *act = attr_s(n, "case_change_action", "NONE");
  const Attr *stop = ir_attr(n, "stopwords");
  KCall *c = lower_add(g, L, K_str_normalize);
  MlcStrNorm *p = KC_PARAMS(c, MlcStrNorm);
  p->len = ir_numel(n->in[0]);
  p->out_len = ir_numel(y);
  p->nstop = stop ? stop->n : 0;
  p->case_change = !strcmp(act, "LOWER")   ? MLC_STR_LOWER
                   : !strcmp(act, "UPPER") ? MLC_STR_UPPER
                                           : MLC_STR_NONE;
  p->case_sensitive = attr_i(n, "is_case_sensitive", 0) != 0;
  p->cap = ir_string_bytes;
  c->io[MLC_STR_NORMALIZE_X] = n->in[0];
  c->io[MLC_STR_NORMALIZE_STOPWORDS] = p->nstop ? str_const(g, stop->strings, stop->n) : NULL;
  c->io[MLC_STR_NORMALIZE_Y] = y;
  c->io[MLC_STR_NORMALIZE_COUNT] = count;
  c->io[MLC_STR_NORMALIZE_REGION] = ir_string_region(g);
  c->nio = MLC_STR_NORMALIZE_NIO;
}

void infer_StringNormalizer(Graph *g, Node *n) {
  Value *x = n->in[0], *y = n->out[0];
  const char *act = attr_s(n, "case_change_action", "NONE");
  const Attr *stop = ir_attr(n, "stopwords");
  need_strings(n, 0);
  attr_s(n, "locale", ""); /* accepted: case changes are ASCII and Latin-1 */
  if (strcmp(act, "NONE") && strcmp(act, "LOWER") && strcmp(act, "UPPER"))
    diag_node_fatal(n, "case_change_action must be NONE, LOWER or UPPER, not '%s'", act);
  if (stop && stop->kind != AK_STRINGS) diag_node_fatal(n, "attribute 'stopwords' must be strings");
  if (!(x->rank == 1 || (x->rank == 2 && x->dims[0] == 1)))
    diag_node_fatal(n, "input must be [C] or [1, C], not %s", ir_shape_str(g->arena, x));
  ir_copy_type(y, x);
  if (!stop || !stop->n) return; /* one output per input */
  /* stopwords leave a data-dependent count, at least one ("" if none is left) */
  int axis = x->rank - 1;
  if (y->dims[axis] == 0) y->dims[axis] = 1;
  if (!x->data) {
    infer_dynamic(g, y, axis);
    return;
  }
  int64_t one = 1;
  Value *full = lower_temp(g, DT_STRING, y->rank, y->dims),
        *count = lower_temp(g, DT_INT64, 0, &one);
  Value *outs[2] = {full, count};
  Lowering L = {0};
  lower_normalize(g, n, &L, full, count);
  interp_lowered(g, n, &L, outs, 2);
  y->dims[axis] = *(const int64_t *)count->data; /* the kept strings lead */
  y->data = full->data;
}

void lower_StringNormalizer(Graph *g, Node *n, Lowering *L) {
  lower_normalize(g, n, L, n->out[0], n->out[0]->dyn_count);
}

/* ---- regular expressions -------------------------------------------------------------------
 * RE2 syntax, its common part: UTF-8 literals; .; [...] with ranges,
 * negation and \d \w \s \D \W \S inside; \d \D \w \W \s \S, \b \B, ^ $ \A
 * \z; escaped punctuation, \n \t \r \f \v, \xHH and \x{H...}; groups (...)
 * and (?:...); |; * + ? {m} {m,} {m,n}, each possibly lazy (a trailing ?,
 * the same thing for a full match). '.' does not match a newline, as in
 * RE2. Flags, named groups, \p classes, POSIX classes and other escapes are
 * refused. */

#define RX_MAX_DEPTH 64    /* nested groups */
#define RX_MAX_REPEAT 1000 /* RE2's bound on {m,n} */
#define RX_MAX_INST 20000  /* program size once repetitions are expanded */

enum { RX_LIT, RX_ANY, RX_CLASS, RX_ASSERT, RX_CAT, RX_ALT, RX_REP };

typedef struct Rx {
  int kind;
  int64_t c;       /* LIT: code point; ASSERT: MLC_RX_* */
  int64_t *ranges; /* CLASS: lo, hi pairs */
  int nranges, neg;
  struct Rx **kids; /* CAT, ALT: the parts; REP: one */
  int nkids;
  size_t kids_cap, ranges_cap;
  int min, max; /* REP; max -1: unbounded */
} Rx;

typedef struct RxParser {
  const Node *n;
  Arena *a;
  const unsigned char *p;
  int depth;
} RxParser;

static Rx *rx_new(RxParser *P, int kind) {
  Rx *r = arena_alloc(P->a, sizeof *r);
  r->kind = kind;
  return r;
}

static void rx_add_kid(RxParser *P, Rx *r, Rx *kid) {
  r->kids = arena_grow(P->a, r->kids, &r->kids_cap, (size_t)r->nkids + 1, sizeof *r->kids);
  r->kids[r->nkids++] = kid;
}

static void rx_add_range(RxParser *P, Rx *r, int64_t lo, int64_t hi) {
  r->ranges =
      arena_grow(P->a, r->ranges, &r->ranges_cap, 2 * (size_t)r->nranges + 2, sizeof *r->ranges);
  r->ranges[2 * r->nranges] = lo;
  r->ranges[2 * r->nranges + 1] = hi;
  r->nranges++;
}

_Noreturn static void rx_fail(RxParser *P, const char *what) {
  diag_node_fatal(P->n, "pattern: %s (at offset %d)", what,
                  (int)(P->p - (const unsigned char *)attr_s(P->n, "pattern", "")));
}

/* one UTF-8 code point of the pattern */
static int64_t rx_utf8(RxParser *P) {
  const unsigned char *s = P->p;
  int n = s[0] < 0x80             ? 0
          : (s[0] & 0xe0) == 0xc0 ? 1
          : (s[0] & 0xf0) == 0xe0 ? 2
          : (s[0] & 0xf8) == 0xf0 ? 3
                                  : -1;
  if (n < 0) rx_fail(P, "it is not valid UTF-8");
  int64_t c = s[0] & (n ? 0x3f >> n : 0x7f);
  for (int k = 1; k <= n; k++) {
    if ((s[k] & 0xc0) != 0x80) rx_fail(P, "it is not valid UTF-8");
    c = c << 6 | (s[k] & 0x3f);
  }
  P->p += n + 1;
  return c;
}

/* \d \w \s as ranges, sorted */
static const int64_t rx_digit[] = {'0', '9'};
static const int64_t rx_wordc[] = {'0', '9', 'A', 'Z', '_', '_', 'a', 'z'};
static const int64_t rx_space[] = {'\t', '\n', '\f', '\r', ' ', ' '};

/* adds the class of \d \w \s (or, upper-case, its complement) to r; 0 if
 * e names none */
static int rx_perl_class(RxParser *P, Rx *r, int e) {
  const int64_t *set;
  int n;
  switch (e | 0x20) {
  case 'd': set = rx_digit, n = 1; break;
  case 'w': set = rx_wordc, n = 4; break;
  case 's': set = rx_space, n = 3; break;
  default: return 0;
  }
  if (e >= 'a') {
    for (int k = 0; k < n; k++) rx_add_range(P, r, set[2 * k], set[2 * k + 1]);
    return 1;
  }
  int64_t lo = 0;
  for (int k = 0; k < n; k++) {
    if (set[2 * k] > lo) rx_add_range(P, r, lo, set[2 * k] - 1);
    lo = set[2 * k + 1] + 1;
  }
  rx_add_range(P, r, lo, 0x10ffff);
  return 1;
}

static int hexval(int c) {
  return c >= '0' && c <= '9'                     ? c - '0'
         : (c | 0x20) >= 'a' && (c | 0x20) <= 'f' ? (c | 0x20) - 'a' + 10
                                                  : -1;
}

/* the code point of an escape that stands for one character (after the
 * backslash), or -1 */
static int64_t rx_char_escape(RxParser *P) {
  int e = *P->p;
  static const char ctl[] = "n\nt\tr\rf\fv\v";
  for (int k = 0; ctl[k]; k += 2)
    if (e == ctl[k]) {
      P->p++;
      return ctl[k + 1];
    }
  if (e == 'x') {
    int64_t c = 0;
    int digits = 0;
    P->p++;
    if (*P->p == '{') {
      for (P->p++; hexval(*P->p) >= 0 && digits < 7; P->p++, digits++) c = c * 16 + hexval(*P->p);
      if (*P->p != '}' || !digits || c > 0x10ffff) rx_fail(P, "bad \\x{...} escape");
      P->p++;
      return c;
    }
    for (; digits < 2 && hexval(*P->p) >= 0; P->p++, digits++) c = c * 16 + hexval(*P->p);
    if (digits != 2) rx_fail(P, "bad \\x escape");
    return c;
  }
  if (e && e < 0x80 && !((e >= '0' && e <= '9') || ((e | 0x20) >= 'a' && (e | 0x20) <= 'z'))) {
    P->p++;
    return e; /* escaped punctuation stands for itself */
  }
  return -1;
}

/* one class member: a character (returned) or a \d-like set (added; -1) */
static int64_t rx_class_item(RxParser *P, Rx *r) {
  if (!*P->p) rx_fail(P, "missing ]");
  if (P->p[0] == '[' && P->p[1] == ':') rx_fail(P, "POSIX classes [:...:] are not supported");
  if (*P->p != '\\') return rx_utf8(P);
  P->p++;
  if (rx_perl_class(P, r, *P->p)) {
    P->p++;
    return -1;
  }
  int64_t c = rx_char_escape(P);
  if (c < 0) rx_fail(P, "this escape is not supported in a class");
  return c;
}

static Rx *rx_class(RxParser *P) {
  Rx *r = rx_new(P, RX_CLASS);
  if (*P->p == '^') {
    r->neg = 1;
    P->p++;
  }
  for (int first = 1; first || *P->p != ']'; first = 0) {
    int64_t lo = first && *P->p == ']' ? (P->p++, ']') : rx_class_item(P, r);
    if (lo < 0) continue;
    if (P->p[0] == '-' && P->p[1] && P->p[1] != ']') {
      P->p++;
      int64_t hi = rx_class_item(P, r);
      if (hi < lo) rx_fail(P, "bad character class range");
      rx_add_range(P, r, lo, hi);
    } else {
      rx_add_range(P, r, lo, lo);
    }
  }
  P->p++;
  return r;
}

static Rx *rx_alt(RxParser *P);

static Rx *rx_atom(RxParser *P) {
  int c = *P->p;
  Rx *r;
  switch (c) {
  case '(':
    P->p++;
    if (*P->p == '?') {
      if (P->p[1] != ':') rx_fail(P, "flags and named groups are not supported");
      P->p += 2;
    }
    if (++P->depth > RX_MAX_DEPTH) rx_fail(P, "groups nest too deeply");
    r = rx_alt(P);
    P->depth--;
    if (*P->p != ')') rx_fail(P, "missing )");
    P->p++;
    return r;
  case '[': P->p++; return rx_class(P);
  case '.': P->p++; return rx_new(P, RX_ANY);
  case '^':
  case '$':
    P->p++;
    r = rx_new(P, RX_ASSERT);
    r->c = c == '^' ? MLC_RX_BOL : MLC_RX_EOL;
    return r;
  case '*':
  case '+':
  case '?': rx_fail(P, "missing argument to a repetition operator");
  case '\\':
    P->p++;
    if (!*P->p) rx_fail(P, "trailing \\");
    r = rx_new(P, RX_CLASS);
    if (rx_perl_class(P, r, *P->p)) {
      P->p++;
      return r;
    }
    if (strchr("bBAz", *P->p)) {
      r->kind = RX_ASSERT;
      r->c = *P->p == 'b'   ? MLC_RX_WORDB
             : *P->p == 'B' ? MLC_RX_NWORDB
             : *P->p == 'A' ? MLC_RX_BOL
                            : MLC_RX_EOL;
      P->p++;
      return r;
    }
    r->kind = RX_LIT;
    if ((r->c = rx_char_escape(P)) < 0) rx_fail(P, "this escape is not supported");
    return r;
  default:
    r = rx_new(P, RX_LIT);
    r->c = rx_utf8(P);
    return r;
  }
}

/* a decimal count of a repetition, or -1 */
static int rx_count(RxParser *P) {
  int v = -1;
  for (; *P->p >= '0' && *P->p <= '9'; P->p++) {
    v = (v < 0 ? 0 : v) * 10 + (*P->p - '0');
    if (v > RX_MAX_REPEAT) rx_fail(P, "a repetition count is above 1000");
  }
  return v;
}

/* {m}, {m,} or {m,n} at P->p: 1 with the bounds, or 0 (then '{' is a literal) */
static int rx_braces(RxParser *P, int *min, int *max) {
  const unsigned char *start = P->p;
  P->p++;
  *min = rx_count(P);
  *max = *min;
  if (*P->p == ',') {
    P->p++;
    *max = *P->p == '}' ? -1 : rx_count(P);
    if (*max == -1 && *P->p != '}') *min = -1;
  }
  if (*min < 0 || *P->p != '}') {
    P->p = start;
    return 0;
  }
  P->p++;
  if (*max >= 0 && *max < *min) rx_fail(P, "a repetition's maximum is below its minimum");
  return 1;
}

static Rx *rx_repeat(RxParser *P) {
  Rx *atom = rx_atom(P);
  int min, max;
  switch (*P->p) {
  case '*': min = 0, max = -1, P->p++; break;
  case '+': min = 1, max = -1, P->p++; break;
  case '?': min = 0, max = 1, P->p++; break;
  case '{':
    if (rx_braces(P, &min, &max)) break;
    return atom;
  default: return atom;
  }
  if (*P->p == '?') P->p++; /* lazy: the same set of full matches */
  if (*P->p == '*' || *P->p == '+' || (*P->p == '?') ||
      (*P->p == '{' && rx_braces(P, &(int){0}, &(int){0})))
    rx_fail(P, "a repetition of a repetition is not supported");
  Rx *r = rx_new(P, RX_REP);
  r->min = min;
  r->max = max;
  rx_add_kid(P, r, atom);
  return r;
}

static Rx *rx_alt(RxParser *P) {
  Rx *alt = rx_new(P, RX_ALT);
  for (;;) {
    Rx *cat = rx_new(P, RX_CAT);
    while (*P->p && *P->p != '|' && *P->p != ')') rx_add_kid(P, cat, rx_repeat(P));
    rx_add_kid(P, alt, cat);
    if (*P->p != '|') return alt->nkids == 1 ? cat : alt;
    P->p++;
  }
}

typedef struct RxProg {
  const Node *n;
  Arena *a;
  int64_t *code, *ranges;
  int64_t ninst, nranges;
  size_t code_cap, ranges_cap;
} RxProg;

static int64_t rx_emit(RxProg *G, int64_t op, int64_t x, int64_t y) {
  if (G->ninst == RX_MAX_INST)
    diag_node_fatal(G->n,
                    "pattern: too large (more than %d instructions once its "
                    "repetitions are expanded)",
                    RX_MAX_INST);
  G->code = arena_grow(G->a, G->code, &G->code_cap, 3 * (size_t)G->ninst + 3, sizeof *G->code);
  int64_t *in = G->code + 3 * G->ninst;
  in[0] = op, in[1] = x, in[2] = y;
  return G->ninst++;
}

static void rx_compile(RxProg *G, const Rx *r) {
  switch (r->kind) {
  case RX_LIT: rx_emit(G, MLC_RX_CHAR, r->c, 0); break;
  case RX_ANY: rx_emit(G, MLC_RX_ANY, 0, 0); break;
  case RX_ASSERT: rx_emit(G, r->c, 0, 0); break;
  case RX_CLASS:
    G->ranges = arena_grow(G->a, G->ranges, &G->ranges_cap,
                           (size_t)G->nranges + 2 * (size_t)r->nranges + 1, sizeof *G->ranges);
    memcpy(G->ranges + G->nranges, r->ranges, 2 * (size_t)r->nranges * sizeof *r->ranges);
    rx_emit(G, MLC_RX_CLASS, G->nranges, 2 * (int64_t)r->nranges + r->neg);
    G->nranges += 2 * r->nranges;
    break;
  case RX_CAT:
    for (int k = 0; k < r->nkids; k++) rx_compile(G, r->kids[k]);
    break;
  case RX_ALT: {
    /* SPLIT to each alternative but the last; each jumps to the end */
    int64_t *jumps = arena_array(G->a, (size_t)r->nkids, sizeof *jumps);
    for (int k = 0; k < r->nkids; k++) {
      int64_t split = k + 1 < r->nkids ? rx_emit(G, MLC_RX_SPLIT, G->ninst + 1, 0) : -1;
      rx_compile(G, r->kids[k]);
      if (split < 0) break;
      jumps[k] = rx_emit(G, MLC_RX_JMP, 0, 0);
      G->code[3 * split + 2] = G->ninst;
    }
    for (int k = 0; k + 1 < r->nkids; k++) G->code[3 * jumps[k] + 1] = G->ninst;
    break;
  }
  default: { /* RX_REP: min copies, then a loop or max - min optional ones */
    for (int k = 0; k < r->min; k++) rx_compile(G, r->kids[0]);
    if (r->max < 0) {
      int64_t split = rx_emit(G, MLC_RX_SPLIT, G->ninst + 1, 0);
      rx_compile(G, r->kids[0]);
      rx_emit(G, MLC_RX_JMP, split, 0);
      G->code[3 * split + 2] = G->ninst;
      break;
    }
    int64_t *splits = arena_array(G->a, (size_t)(r->max - r->min) + 1, sizeof *splits);
    for (int k = 0; k < r->max - r->min; k++) {
      splits[k] = rx_emit(G, MLC_RX_SPLIT, G->ninst + 1, 0);
      rx_compile(G, r->kids[0]);
    }
    for (int k = 0; k < r->max - r->min; k++) G->code[3 * splits[k] + 2] = G->ninst;
  }
  }
}

/* the program of the node's pattern: instructions, then class ranges */
static Value *rx_program(Graph *g, const Node *n, int64_t *ninst) {
  const Attr *pa = ir_attr(n, "pattern");
  if (!pa || pa->kind != AK_STRING) diag_node_fatal(n, "needs the string attribute 'pattern'");
  RxParser P = {n, g->arena, (const unsigned char *)pa->s, 0};
  Rx *root = rx_alt(&P);
  if (*P.p) rx_fail(&P, "unmatched )");
  RxProg G = {n, g->arena, NULL, NULL, 0, 0, 0, 0};
  rx_compile(&G, root);
  rx_emit(&G, MLC_RX_MATCH, 0, 0);
  int64_t len = 3 * G.ninst + G.nranges;
  Value *v = lower_temp(g, DT_INT64, 1, &len);
  int64_t *d = ir_alloc_data(g, v);
  memcpy(d, G.code, 3 * (size_t)G.ninst * sizeof *d);
  if (G.nranges) memcpy(d + 3 * G.ninst, G.ranges, (size_t)G.nranges * sizeof *d);
  *ninst = G.ninst;
  return v;
}

void infer_RegexFullMatch(Graph *g, Node *n) {
  int64_t ninst;
  need_strings(n, 0);
  rx_program(g, n, &ninst); /* its errors belong to inference */
  ir_copy_type(n->out[0], n->in[0]);
  n->out[0]->dtype = DT_BOOL;
}

void lower_RegexFullMatch(Graph *g, Node *n, Lowering *L) {
  int64_t ninst;
  Value *prog = rx_program(g, n, &ninst);
  KCall *c = lower_add(g, L, K_regex_match);
  MlcRegex *p = KC_PARAMS(c, MlcRegex);
  int64_t scratch = 5 * ninst + 1;
  p->count = ir_numel(n->in[0]);
  p->ninst = ninst;
  c->io[MLC_REGEX_MATCH_X] = n->in[0];
  c->io[MLC_REGEX_MATCH_PROGRAM] = prog;
  c->io[MLC_REGEX_MATCH_Y] = n->out[0];
  c->io[MLC_REGEX_MATCH_SCRATCH] = lower_temp(g, DT_INT64, 1, &scratch);
  c->nio = MLC_REGEX_MATCH_NIO;
}
