/* Lexer of the text form. Tokens follow onnx's parser: identifiers are C
 * identifiers (names with other characters are written as strings), a string
 * escapes the next character with a backslash and may span lines, numbers
 * have no leading '+' or '.', and inf/nan are plain words that the grammar
 * reads as numbers where it expects one. `=>` is one token, as onnx's parser
 * requires the two characters to touch. '#' starts a comment to the end of
 * the line.
 *
 * The text is untrusted and need not end with a NUL: every read checks
 * `end`. Values are converted with the C library (strtoll, strtof, strtod), so
 * the numbers the writer prints come back bit-exactly. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "diag.h"
#include "txt.h"

void lex_init(Lexer *L, Arena *a, const char *text, size_t len) {
  memset(L, 0, sizeof *L);
  L->arena = a;
  L->cur = L->line_start = text;
  L->end = text + len;
  if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3)) L->cur = L->line_start = text + 3;
  L->line = 1;
  lex_next(L);
}

static void describe(const Tok *t, char *buf, size_t n) {
  if (t->kind == TK_EOF) {
    snprintf(buf, n, "end of input");
    return;
  }
  size_t len = t->len > 40 ? 40 : t->len, k = 0;
  buf[k++] = '\'';
  for (size_t i = 0; i < len && k + 6 < n; i++) {
    unsigned char ch = (unsigned char)t->p[i];
    if (ch >= 0x20 && ch < 0x7f)
      buf[k++] = (char)ch;
    else
      k += (size_t)snprintf(buf + k, n - k, "\\x%02x", ch);
  }
  snprintf(buf + k, n - k, "%s'", t->len > len ? "..." : "");
}

void lex_error(const Lexer *L, const char *fmt, ...) {
  char msg[512], found[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  describe(&L->tok, found, sizeof found);
  diag_fatal("%d:%d: %s, found %s", L->tok.line, L->tok.col, msg, found);
}

static void skip_space(Lexer *L) {
  while (L->cur < L->end) {
    char c = *L->cur;
    if (c == '\n') {
      L->line++;
      L->line_start = ++L->cur;
    } else if (c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f') {
      L->cur++;
    } else if (c == '#') {
      while (L->cur < L->end && *L->cur != '\n') L->cur++;
    } else {
      break;
    }
  }
}

/* ASCII only, whatever the locale */
static int is_digit(char c) { return c >= '0' && c <= '9'; }
static int is_ident_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
static int is_ident_char(char c) { return is_ident_start(c) || is_digit(c); }

static int special_float_word(const char *p, size_t n) {
  return (n == 3 && (!strncasecmp(p, "inf", 3) || !strncasecmp(p, "nan", 3))) ||
         (n == 8 && !strncasecmp(p, "infinity", 8));
}

int lex_is_special_float(const Tok *t) {
  return t->kind == TK_IDENT && special_float_word(t->p, t->len);
}

static void lex_number(Lexer *L) {
  Tok *t = &L->tok;
  const char *s = L->cur, *e = L->end;
  if (*s == '-') s++;
  if (s < e && is_ident_start(*s)) {
    const char *w = s;
    while (s < e && is_ident_char(*s)) s++;
    t->len = (size_t)(s - L->cur);
    if (!special_float_word(w, (size_t)(s - w))) lex_error(L, "expected a number after '-'");
    t->kind = TK_FLOAT;
    L->cur = s;
    return;
  }
  if (s >= e || !is_digit(*s)) {
    t->len = 1;
    lex_error(L, "expected a digit after '-'");
  }
  t->kind = TK_INT;
  while (s < e && is_digit(*s)) s++;
  if (s < e && *s == '.') {
    t->kind = TK_FLOAT;
    for (s++; s < e && is_digit(*s);) s++;
  }
  if (s < e && (*s == 'e' || *s == 'E')) {
    t->kind = TK_FLOAT;
    s++;
    if (s < e && (*s == '+' || *s == '-')) s++;
    if (s >= e || !is_digit(*s)) {
      t->len = (size_t)(s - L->cur);
      lex_error(L, "expected the digits of an exponent");
    }
    while (s < e && is_digit(*s)) s++;
  }
  t->len = (size_t)(s - L->cur);
  L->cur = s;
}

static void lex_string_tok(Lexer *L) {
  Tok *t = &L->tok;
  const char *s = L->cur + 1;
  int line = L->line;
  const char *ls = L->line_start;
  for (; s < L->end && *s != '"'; s++) {
    if (*s == '\\' && s + 1 < L->end) s++;
    if (*s == '\n') {
      line++;
      ls = s + 1;
    }
  }
  if (s >= L->end) {
    t->len = 1;
    lex_error(L, "unterminated string");
  }
  t->kind = TK_STRING;
  t->len = (size_t)(s + 1 - L->cur);
  L->cur = s + 1;
  L->line = line;
  L->line_start = ls;
}

void lex_next(Lexer *L) {
  skip_space(L);
  Tok *t = &L->tok;
  t->p = L->cur;
  t->line = L->line;
  t->col = (int)(L->cur - L->line_start) + 1;
  t->len = 0;
  t->c = 0;
  if (L->cur >= L->end) {
    t->kind = TK_EOF;
    return;
  }
  char c = *L->cur;
  if (is_ident_start(c)) {
    const char *s = L->cur;
    while (s < L->end && is_ident_char(*s)) s++;
    t->kind = TK_IDENT;
    t->len = (size_t)(s - L->cur);
    L->cur = s;
  } else if (is_digit(c) || c == '-') {
    lex_number(L);
  } else if (c == '"') {
    lex_string_tok(L);
  } else if (c == '=' && L->cur + 1 < L->end && L->cur[1] == '>') {
    t->kind = TK_ARROW;
    t->len = 2;
    L->cur += 2;
  } else if (c && strchr("<>()[]{},=:.?@", c)) {
    t->kind = TK_PUNCT;
    t->c = c;
    t->len = 1;
    L->cur++;
  } else {
    t->kind = TK_PUNCT;
    t->len = 1;
    lex_error(L, "unexpected character");
  }
}

int lex_is(const Lexer *L, char punct) { return L->tok.kind == TK_PUNCT && L->tok.c == punct; }

int lex_word(const Lexer *L, const char *word) {
  size_t n = strlen(word);
  return L->tok.kind == TK_IDENT && L->tok.len == n && !memcmp(L->tok.p, word, n);
}

int lex_accept(Lexer *L, char punct) {
  if (!lex_is(L, punct)) return 0;
  lex_next(L);
  return 1;
}

void lex_expect(Lexer *L, char punct, const char *what) {
  if (!lex_accept(L, punct)) lex_error(L, "expected '%c' %s", punct, what);
}

/* the string token's contents: a backslash keeps the next character as is.
 * The IR's strings end at a NUL, which cuts them as the importer does. */
static const char *unescape(Lexer *L) {
  const Tok *t = &L->tok;
  char *d = arena_alloc(L->arena, t->len);
  size_t k = 0;
  for (size_t i = 1; i + 1 < t->len; i++) {
    if (t->p[i] == '\\') i++;
    d[k++] = t->p[i];
  }
  d[k] = 0;
  return d;
}

const char *lex_take_name(Lexer *L, const char *what) {
  const char *s;
  if (L->tok.kind == TK_IDENT)
    s = arena_strndup(L->arena, L->tok.p, L->tok.len);
  else if (L->tok.kind == TK_STRING)
    s = unescape(L);
  else
    lex_error(L, "expected %s", what);
  lex_next(L);
  return s;
}

const char *lex_take_string(Lexer *L, const char *what) {
  if (L->tok.kind != TK_STRING) lex_error(L, "expected %s (a quoted string)", what);
  const char *s = unescape(L);
  lex_next(L);
  return s;
}

/* the token's text, NUL-terminated, for the strto* functions */
static void number_text(const Lexer *L, char *buf, size_t n) {
  if (L->tok.len >= n) lex_error(L, "number too long");
  memcpy(buf, L->tok.p, L->tok.len);
  buf[L->tok.len] = 0;
}

int64_t lex_take_int(Lexer *L, const char *what) {
  if (L->tok.kind != TK_INT) lex_error(L, "expected %s (an integer)", what);
  char buf[128];
  number_text(L, buf, sizeof buf);
  errno = 0;
  long long v = strtoll(buf, NULL, 10);
  if (errno == ERANGE) lex_error(L, "%s is out of the range of int64", what);
  lex_next(L);
  return (int64_t)v;
}

uint64_t lex_take_uint(Lexer *L, const char *what) {
  if (L->tok.kind != TK_INT || L->tok.p[0] == '-')
    lex_error(L, "expected %s (an unsigned integer)", what);
  char buf[128];
  number_text(L, buf, sizeof buf);
  errno = 0;
  unsigned long long v = strtoull(buf, NULL, 10);
  if (errno == ERANGE) lex_error(L, "%s is out of the range of uint64", what);
  lex_next(L);
  return (uint64_t)v;
}

/* inf, -inf, nan: written as words, never out of range */
static int is_word(const Tok *t) { return !is_digit(t->p[t->p[0] == '-']); }

static void check_number(const Lexer *L, const char *what) {
  if (L->tok.kind != TK_INT && L->tok.kind != TK_FLOAT && !lex_is_special_float(&L->tok))
    lex_error(L, "expected %s (a number)", what);
}

/* Underflow to a subnormal or zero is fine (the printer writes 1e-45);
 * overflow of a finite literal is an error, as in onnx's parser. */
double lex_take_double(Lexer *L, const char *what) {
  check_number(L, what);
  char buf[128];
  number_text(L, buf, sizeof buf);
  errno = 0;
  double v = strtod(buf, NULL);
  if (errno == ERANGE && isinf(v) && !is_word(&L->tok))
    lex_error(L, "%s is out of the range of double", what);
  lex_next(L);
  return v;
}

float lex_take_float(Lexer *L, const char *what) {
  check_number(L, what);
  char buf[128];
  number_text(L, buf, sizeof buf);
  errno = 0;
  float v = strtof(buf, NULL);
  if (errno == ERANGE && isinf(v) && !is_word(&L->tok))
    lex_error(L, "%s is out of the range of float", what);
  lex_next(L);
  return v;
}
