/* String kernels: StringConcat, StringSplit, StringNormalizer, LabelEncoder
 * with string keys or values, RegexFullMatch.
 *
 * A string tensor is an array of pointers (mlc_rt_str). Kernels copy
 * pointers where they can (a result equal to an input string points at it)
 * and write new bytes only into the run's string region (mlc_rt.h): the
 * region's first int64 counts the bytes used, and a string that does not
 * fit becomes "" while the count becomes -1, which the generated code turns
 * into an error code. Nothing here allocates or keeps state between calls.
 *
 * Case changes cover ASCII and the Latin-1 letters (U+00C0..U+00FE but the
 * multiplication and division signs, and the letters whose other case lies
 * outside Latin-1 or is two letters: ß, ÿ); both cases of these take the
 * same number of UTF-8 bytes, so a changed string is as long as its source.
 *
 * RegexFullMatch runs a program the compiler made (compiler/ops/string.c) as a
 * Thompson NFA over code points: one pass over the string with a set of
 * program counters, so time is linear in the string times the program and a
 * hostile pattern cannot make it backtrack.
 */
#include <string.h>

#include "mlc_rt.h"

/* ---- the string region ------------------------------------------------------ */

/* n bytes (and a NUL) in the region, or NULL when they do not fit */
static char *region_alloc(void *region, int64_t cap, size_t n) {
  int64_t *used = (int64_t *)region;
  int64_t room = cap - MLC_RT_STR_HEADER - *used;
  if (*used < 0 || room < 1 || (uint64_t)n > (uint64_t)room - 1) {
    *used = -1;
    return NULL;
  }
  char *p = (char *)region + MLC_RT_STR_HEADER + *used;
  *used += (int64_t)n + 1;
  p[n] = 0;
  return p;
}

/* a copy of s[0..n) in the region, or "" */
static mlc_rt_str region_copy(void *region, int64_t cap, const char *s, size_t n) {
  char *p = region_alloc(region, cap, n);
  if (!p) return "";
  memcpy(p, s, n);
  return p;
}

/* ---- StringConcat --------------------------------------------------------------- */

void mlc_rt_str_concat(const void *params, void *const *io) {
  const MlcEw *p = (const MlcEw *)params;
  const mlc_rt_str *a = (const mlc_rt_str *)io[MLC_STR_CONCAT_A];
  const mlc_rt_str *b = (const mlc_rt_str *)io[MLC_STR_CONCAT_B];
  mlc_rt_str *y = (mlc_rt_str *)io[MLC_STR_CONCAT_Y];
  int64_t idx[MLC_RT_MAX_RANK] = {0}, o0 = 0, o1 = 0, cap = (int64_t)p->p0;
  for (int64_t i = 0; i < p->count; i++) {
    const char *x = a[o0], *z = b[o1];
    size_t nx = strlen(x), nz = strlen(z);
    if (!nz || !nx) {
      y[i] = nz ? z : x;
    } else {
      char *d = region_alloc(io[MLC_STR_CONCAT_REGION], cap, nx + nz);
      if (d) {
        memcpy(d, x, nx);
        memcpy(d + nx, z, nz);
      }
      y[i] = d ? d : "";
    }
    for (int d = (int)p->rank - 1; d >= 0; d--) {
      o0 += p->s0[d];
      o1 += p->s1[d];
      if (++idx[d] < p->dims[d]) break;
      o0 -= p->s0[d] * p->dims[d];
      o1 -= p->s1[d] * p->dims[d];
      idx[d] = 0;
    }
  }
}

/* ---- StringSplit ------------------------------------------------------------------ */

static int is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* The next piece of s at *at: its start and length; returns 0 when there is
 * none. With a delimiter every occurrence separates (empty pieces too);
 * without, runs of whitespace do and none is empty. `last`: this piece may
 * not be split further (maxsplit reached) and takes the rest. */
static int next_piece(const char *s, size_t *at, const char *delim, size_t dl, int last,
                      size_t *start, size_t *len) {
  size_t i = *at, n = strlen(s);
  if (!dl) {
    while (i < n && is_space(s[i])) i++;
    if (i >= n) return 0;
    *start = i;
    /* the last piece keeps its trailing whitespace, as Python's split does */
    while (i < n && (last || !is_space(s[i]))) i++;
    *len = i - *start;
    *at = i;
    return 1;
  }
  if (i > n) return 0;
  *start = i;
  const char *hit = last ? NULL : strstr(s + i, delim);
  size_t e = hit ? (size_t)(hit - s) : n;
  *len = e - i;
  *at = hit ? e + dl : n + 1; /* past the end: no more pieces */
  return 1;
}

/* how many pieces s splits into, at most max (max < 0: no limit) */
static int64_t count_pieces(const char *s, const char *delim, size_t dl, int64_t maxsplit) {
  size_t at = 0, st, len;
  int64_t k = 0;
  while (next_piece(s, &at, delim, dl, maxsplit >= 0 && k == maxsplit, &st, &len)) k++;
  return k;
}

void mlc_rt_str_split(const void *params, void *const *io) {
  const MlcStrSplit *p = (const MlcStrSplit *)params;
  const mlc_rt_str *x = (const mlc_rt_str *)io[MLC_STR_SPLIT_X];
  const mlc_rt_str *dp = (const mlc_rt_str *)io[MLC_STR_SPLIT_DELIMITER];
  const char *delim = dp ? *dp : "";
  mlc_rt_str *y = (mlc_rt_str *)io[MLC_STR_SPLIT_Y];
  int64_t *lengths = (int64_t *)io[MLC_STR_SPLIT_LENGTHS];
  int64_t *cols = (int64_t *)io[MLC_STR_SPLIT_COLS];
  void *region = io[MLC_STR_SPLIT_REGION];
  size_t dl = strlen(delim);
  int64_t w = 0;
  for (int64_t i = 0; i < p->count; i++) {
    int64_t k = count_pieces(x[i], delim, dl, p->maxsplit);
    if (y && k > p->cols) k = p->cols; /* the planned bound; maxsplit keeps below it */
    lengths[i] = k;
    if (k > w) w = k;
  }
  *cols = w;
  if (!y) return; /* the widths only (the compiler sizes a constant's output) */
  for (int64_t i = 0; i < p->count * p->cols; i++) y[i] = "";
  for (int64_t i = 0; i < p->count; i++) {
    size_t at = 0, st, len;
    const char *s = x[i];
    for (int64_t k = 0; k < lengths[i]; k++) {
      next_piece(s, &at, delim, dl, p->maxsplit >= 0 && k == p->maxsplit, &st, &len);
      /* a piece that ends the string is the string's own tail */
      y[i * w + k] = !s[st + len] ? s + st : region_copy(region, p->cap, s + st, len);
    }
  }
}

/* ---- case ------------------------------------------------------------------------ */

/* the Latin-1 code point of the 2-byte UTF-8 sequence at s whose case
 * changes within Latin-1, or -1 */
static int latin1_letter(const unsigned char *s) {
  if (s[0] != 0xc3 || (s[1] & 0xc0) != 0x80) return -1;
  int c = 0xc0 | (s[1] & 0x3f);
  return c == 0xd7 || c == 0xf7 || c == 0xdf || c == 0xff ? -1 : c;
}

/* s with its case changed (MLC_STR_LOWER / UPPER) into d (same length), or
 * whether it would change at all when d is NULL */
static int change_case(const char *s, char *d, int64_t how) {
  int changed = 0;
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    unsigned char c = *p;
    int l1 = latin1_letter(p);
    if (l1 >= 0) {
      int lower = l1 >= 0xe0, want = how == MLC_STR_LOWER ? l1 | 0x20 : l1 & ~0x20;
      changed |= lower != (how == MLC_STR_LOWER);
      if (d) {
        *d++ = (char)0xc3;
        *d++ = (char)(0x80 | (want & 0x3f));
      }
      p++;
      continue;
    }
    if (how == MLC_STR_LOWER && c >= 'A' && c <= 'Z') c = (unsigned char)(c + 32), changed = 1;
    if (how == MLC_STR_UPPER && c >= 'a' && c <= 'z') c = (unsigned char)(c - 32), changed = 1;
    if (d) *d++ = (char)c;
  }
  return changed;
}

/* the character at *s, lower-cased when it is an ASCII or Latin-1 letter,
 * advancing *s; other bytes stand for themselves (Latin-1 letters are kept
 * apart from single bytes) */
static int fold_next(const unsigned char **s) {
  const unsigned char *p = *s;
  int l1 = latin1_letter(p);
  *s = p + (l1 >= 0 ? 2 : 1);
  if (l1 >= 0) return 0x100 | l1 | 0x20;
  return *p >= 'A' && *p <= 'Z' ? *p + 32 : *p;
}

static int caseless_eq(const char *a, const char *b) {
  const unsigned char *p = (const unsigned char *)a, *q = (const unsigned char *)b;
  while (*p && *q)
    if (fold_next(&p) != fold_next(&q)) return 0;
  return !*p && !*q;
}

void mlc_rt_str_normalize(const void *params, void *const *io) {
  const MlcStrNorm *p = (const MlcStrNorm *)params;
  const mlc_rt_str *x = (const mlc_rt_str *)io[MLC_STR_NORMALIZE_X];
  const mlc_rt_str *stop = (const mlc_rt_str *)io[MLC_STR_NORMALIZE_STOPWORDS];
  mlc_rt_str *y = (mlc_rt_str *)io[MLC_STR_NORMALIZE_Y];
  int64_t k = 0;
  for (int64_t i = 0; i < p->len && k < p->out_len; i++) {
    int drop = 0;
    for (int64_t j = 0; j < p->nstop && !drop; j++)
      drop = p->case_sensitive ? mlc_rt_streq(x[i], stop[j]) : caseless_eq(x[i], stop[j]);
    if (drop) continue;
    const char *s = x[i];
    if (p->case_change != MLC_STR_NONE && change_case(s, NULL, p->case_change)) {
      char *d = region_alloc(io[MLC_STR_NORMALIZE_REGION], p->cap, strlen(s));
      if (d) change_case(s, d, p->case_change);
      s = d ? d : "";
    }
    y[k++] = s;
  }
  int64_t *count = (int64_t *)io[MLC_STR_NORMALIZE_COUNT];
  if (count) *count = k ? k : 1;
  for (; k < p->out_len; k++) y[k] = "";
}

/* ---- LabelEncoder ------------------------------------------------------------------ */

/* key at against item i of x: <0, 0, >0 */
static int cmp_key(const MlcStrMap *p, const void *keys, int64_t at, const void *x, int64_t i) {
  if (p->key_t == MLC_DT_STRING)
    return strcmp(((const mlc_rt_str *)keys)[at], ((const mlc_rt_str *)x)[i]);
  if (p->key_t == MLC_DT_INT64) {
    int64_t a = ((const int64_t *)keys)[at];
    int64_t b = p->in_t == MLC_DT_INT32   ? ((const int32_t *)x)[i]
                : p->in_t == MLC_DT_INT16 ? ((const int16_t *)x)[i]
                                          : ((const int64_t *)x)[i];
    return (a > b) - (a < b);
  }
  double a = ((const double *)keys)[at];
  double b = p->in_t == MLC_DT_FLOAT ? ((const float *)x)[i] : ((const double *)x)[i];
  return (a > b) - (a < b); /* a NaN matches nothing */
}

void mlc_rt_str_map(const void *params, void *const *io) {
  const MlcStrMap *p = (const MlcStrMap *)params;
  const void *x = io[MLC_STR_MAP_X], *keys = io[MLC_STR_MAP_KEYS], *vals = io[MLC_STR_MAP_VALS];
  void *y = io[MLC_STR_MAP_Y];
  for (int64_t i = 0; i < p->count; i++) {
    int64_t lo = 0, hi = p->nkeys;
    while (lo < hi) {
      int64_t mid = lo + (hi - lo) / 2;
      if (cmp_key(p, keys, mid, x, i) < 0)
        lo = mid + 1;
      else
        hi = mid;
    }
    int found = lo < p->nkeys && !cmp_key(p, keys, lo, x, i);
    switch (p->out_t) {
    case MLC_DT_STRING:
      ((mlc_rt_str *)y)[i] =
          found ? ((const mlc_rt_str *)vals)[lo] : *(const mlc_rt_str *)io[MLC_STR_MAP_DEF];
      break;
    case MLC_DT_INT64: ((int64_t *)y)[i] = found ? ((const int64_t *)vals)[lo] : p->def_i; break;
    case MLC_DT_INT32:
      ((int32_t *)y)[i] = (int32_t)(found ? ((const int64_t *)vals)[lo] : p->def_i);
      break;
    case MLC_DT_INT16:
      ((int16_t *)y)[i] = (int16_t)(found ? ((const int64_t *)vals)[lo] : p->def_i);
      break;
    case MLC_DT_DOUBLE: ((double *)y)[i] = found ? ((const double *)vals)[lo] : p->def_f; break;
    default: ((float *)y)[i] = (float)(found ? ((const double *)vals)[lo] : p->def_f);
    }
  }
}

/* ---- RegexFullMatch ---------------------------------------------------------------- */

/* the code point at *s (advancing it); a byte that starts no valid UTF-8
 * sequence reads as U+FFFD */
static int64_t next_cp(const unsigned char **s) {
  const unsigned char *p = *s;
  int64_t c = p[0];
  int n = c < 0x80             ? 0
          : (c & 0xe0) == 0xc0 ? 1
          : (c & 0xf0) == 0xe0 ? 2
          : (c & 0xf8) == 0xf0 ? 3
                               : -1;
  if (n < 0) {
    *s = p + 1;
    return 0xfffd;
  }
  c &= n ? 0x3f >> n : 0x7f;
  for (int k = 1; k <= n; k++) {
    if ((p[k] & 0xc0) != 0x80) {
      *s = p + 1;
      return 0xfffd;
    }
    c = c << 6 | (p[k] & 0x3f);
  }
  *s = p + n + 1;
  return c;
}

static int is_word(int64_t c) {
  return c == '_' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

typedef struct Nfa {
  const int64_t *prog, *ranges;
  int64_t ninst;
  int64_t *mark, *stack;
  int64_t gen;
} Nfa;

/* adds pc and what it reaches without reading (jumps, splits, assertions
 * that hold between code points prev and next; -1: the string's edge) to
 * list, each once per step */
static void add_thread(Nfa *m, int64_t *list, int64_t *n, int64_t pc, int64_t prev, int64_t next) {
  int64_t top = 0;
  m->stack[top++] = pc;
  while (top) {
    pc = m->stack[--top];
    if (pc < 0 || pc >= m->ninst || m->mark[pc] == m->gen) continue;
    m->mark[pc] = m->gen;
    const int64_t *in = m->prog + 3 * pc;
    int go = 1;
    switch (in[0]) {
    case MLC_RX_JMP: m->stack[top++] = in[1]; continue;
    case MLC_RX_SPLIT:
      m->stack[top++] = in[2];
      m->stack[top++] = in[1];
      continue;
    case MLC_RX_BOL: go = prev < 0; break;
    case MLC_RX_EOL: go = next < 0; break;
    case MLC_RX_WORDB: go = is_word(prev) != is_word(next); break;
    case MLC_RX_NWORDB: go = is_word(prev) == is_word(next); break;
    default: list[(*n)++] = pc; continue;
    }
    if (go) m->stack[top++] = pc + 1;
  }
}

static int in_class(const Nfa *m, const int64_t *in, int64_t c) {
  const int64_t *r = m->ranges + in[1];
  int hit = 0;
  for (int64_t k = 0; k < in[2] / 2 && !hit; k++) hit = c >= r[2 * k] && c <= r[2 * k + 1];
  return hit != (int)(in[2] & 1);
}

static int full_match(Nfa *m, const char *str, int64_t *cur, int64_t *nxt) {
  const unsigned char *s = (const unsigned char *)str;
  int64_t ncur = 0, prev = -1, c = *s ? next_cp(&s) : -1;
  for (int64_t i = 0; i < m->ninst; i++) m->mark[i] = 0;
  m->gen = 1;
  add_thread(m, cur, &ncur, 0, prev, c);
  for (;;) {
    int64_t after = c < 0 ? -1 : *s ? next_cp(&s) : -1, nn = 0;
    m->gen++;
    for (int64_t t = 0; t < ncur; t++) {
      const int64_t *in = m->prog + 3 * cur[t];
      int ok;
      switch (in[0]) {
      case MLC_RX_MATCH:
        if (c < 0) return 1;
        continue;
      case MLC_RX_CHAR: ok = c == in[1]; break;
      case MLC_RX_ANY: ok = c >= 0 && c != '\n'; break;
      default: ok = c >= 0 && in_class(m, in, c); break;
      }
      if (ok && c >= 0) add_thread(m, nxt, &nn, cur[t] + 1, c, after);
    }
    if (c < 0 || !nn) return 0;
    int64_t *t = cur;
    cur = nxt;
    nxt = t;
    ncur = nn;
    prev = c;
    c = after;
  }
}

void mlc_rt_regex_match(const void *params, void *const *io) {
  const MlcRegex *p = (const MlcRegex *)params;
  const mlc_rt_str *x = (const mlc_rt_str *)io[MLC_REGEX_MATCH_X];
  uint8_t *y = (uint8_t *)io[MLC_REGEX_MATCH_Y];
  int64_t *scratch = (int64_t *)io[MLC_REGEX_MATCH_SCRATCH];
  Nfa m;
  m.prog = (const int64_t *)io[MLC_REGEX_MATCH_PROGRAM];
  m.ranges = m.prog + 3 * p->ninst;
  m.ninst = p->ninst;
  m.mark = scratch + 2 * p->ninst;
  m.stack = scratch + 3 * p->ninst;
  m.gen = 0;
  for (int64_t i = 0; i < p->count; i++)
    y[i] = (uint8_t)full_match(&m, x[i], scratch, scratch + p->ninst);
}
