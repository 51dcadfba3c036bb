/* mlc's text form: the ONNX textual syntax, the language that
 * onnx.parser.parse_model reads and onnx.printer.to_text writes.
 *
 *   <ir_version: 8, opset_import: ["" : 18]>
 *   main (float[N,10] x) => (float[N,64] y)
 *      <float[64,10] w = {...}>
 *   {
 *      y = Gemm <transB: int = 1> (x, w)
 *   }
 *
 * txt_parse builds the IR the way the ONNX importer does (values by name,
 * initializers as values with data, ir_toposort at the end) and reports bad
 * text as "LINE:COL: ..." through diag_fatal. txt_write prints a graph in the
 * printer's layout, so a model, a pass test and an IR dump are one language
 * and read -> write -> read -> write is byte-stable.
 *
 * The lexer's interface below is private to txt_read.c and txt_lex.c. */
#ifndef MLC_TXT_H
#define MLC_TXT_H

#include <stddef.h>
#include <stdio.h>
#include <stdnoreturn.h>

#include "ir.h"

/* `path` names the file in messages (diag_set_file) and in g->file; NULL ok */
Graph *txt_parse(Arena *a, const char *text, size_t len, const char *path);
Graph *txt_load(Arena *a, const char *path);
void txt_write(FILE *f, const Graph *g); /* whole model, deterministic */

/* ---- lexer (internal) ------------------------------------------------------ */

typedef enum TokKind {
  TK_EOF,
  TK_IDENT,  /* [A-Za-z_][A-Za-z0-9_]* */
  TK_STRING, /* "..." with backslash escapes */
  TK_INT,    /* -?[0-9]+ */
  TK_FLOAT,  /* -?[0-9]+(.[0-9]*)?([eE][+-]?[0-9]+)?, or -inf, -nan */
  TK_PUNCT,  /* one of < > ( ) [ ] { } , = : . ? @ ; the char in `c` */
  TK_ARROW,  /* => */
} TokKind;

typedef struct Tok {
  TokKind kind;
  char c;
  const char *p; /* the token's text */
  size_t len;
  int line, col;
} Tok;

typedef struct Lexer {
  Arena *arena;
  const char *cur, *end, *line_start;
  int line;
  Tok tok; /* the lookahead */
} Lexer;

void lex_init(Lexer *L, Arena *a, const char *text, size_t len);
void lex_next(Lexer *L);
int lex_is(const Lexer *L, char punct);         /* lookahead is this punct */
int lex_word(const Lexer *L, const char *word); /* lookahead is this ident */
int lex_is_special_float(const Tok *t);         /* ident inf, infinity or nan */
/* "LINE:COL: MSG, found 'TOKEN'" at the lookahead */
noreturn void lex_error(const Lexer *L, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* the lookahead's value; each checks the kind, reports, then advances */
const char *lex_take_name(Lexer *L, const char *what); /* ident or string */
const char *lex_take_string(Lexer *L, const char *what);
int64_t lex_take_int(Lexer *L, const char *what);
uint64_t lex_take_uint(Lexer *L, const char *what);
double lex_take_double(Lexer *L, const char *what); /* int, float, inf, nan */
float lex_take_float(Lexer *L, const char *what);
void lex_expect(Lexer *L, char punct, const char *what);
int lex_accept(Lexer *L, char punct); /* advances when the lookahead matches */

#endif
