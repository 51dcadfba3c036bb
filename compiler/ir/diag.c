/* Messages go to stderr as `mlc: error: FILE: ...`, or into the current
 * scope's buffer when it is quiet (mlc test reports them one line per test). */
#include "diag.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ir.h"

static DiagScope *top;
static const char *cur_file = "<input>";
static int pending;
enum { MAX_NOTES = 64 };
static const char *notes[MAX_NOTES];
static int nnotes; /* may pass MAX_NOTES: the deepest are not kept */

void diag_note_push(const char *note) {
  if (nnotes < MAX_NOTES) notes[nnotes] = note;
  nnotes++;
}

void diag_note_pop(void) {
  if (nnotes) nnotes--;
}

void diag_enter(DiagScope *s) {
  s->prev = top;
  s->text[0] = 0;
  s->notes = nnotes;
  top = s;
  pending = 0;
}

void diag_leave(DiagScope *s) {
  if (top == s) top = s->prev;
}

void diag_set_file(const char *file) { cur_file = file ? file : "<input>"; }
const char *diag_file(void) { return cur_file; }

static void emit(const char *kind, const char *prefix, const char *fmt, va_list ap) {
  char msg[1536];
  int n = vsnprintf(msg, sizeof msg, fmt, ap);
  /* the innermost note kept says where */
  int k = nnotes < MAX_NOTES ? nnotes : MAX_NOTES;
  if (k && n >= 0 && (size_t)n < sizeof msg)
    snprintf(msg + n, sizeof msg - (size_t)n, " (%s)", notes[k - 1]);
  if (top && top->quiet) {
    size_t len = strlen(top->text);
    snprintf(top->text + len, sizeof top->text - len, "%s%s%s", len ? "; " : "", prefix, msg);
  } else {
    fprintf(stderr, "mlc: %s: %s: %s%s\n", kind, cur_file, prefix, msg);
  }
}

static noreturn void unwind(void) {
  if (!top) exit(1);
  DiagScope *s = top;
  top = s->prev;
  pending = 0;
  nnotes = s->notes;
  longjmp(s->jb, 1);
}

static void node_prefix(const Node *n, char *buf, size_t len) {
  if (!n) {
    buf[0] = 0;
    return;
  }
  snprintf(buf, len, "node '%s' (#%d %s): ", n->name ? n->name : "", n->index, n->op_type);
}

void diag_fatal(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  emit("error", "", fmt, ap);
  va_end(ap);
  unwind();
}

void diag_node_fatal(const Node *n, const char *fmt, ...) {
  char pre[512];
  node_prefix(n, pre, sizeof pre);
  va_list ap;
  va_start(ap, fmt);
  emit("error", pre, fmt, ap);
  va_end(ap);
  unwind();
}

void diag_node_error(const Node *n, const char *fmt, ...) {
  char pre[512];
  node_prefix(n, pre, sizeof pre);
  va_list ap;
  va_start(ap, fmt);
  emit("error", pre, fmt, ap);
  va_end(ap);
  pending++;
}

void diag_flush(void) {
  if (pending) unwind();
}

static int warnings_off;

int diag_warnings(int on) {
  int was = !warnings_off;
  warnings_off = !on;
  return was;
}

void diag_warn(const char *fmt, ...) {
  if ((top && top->quiet) || warnings_off) return;
  va_list ap;
  va_start(ap, fmt);
  char msg[1536];
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  fprintf(stderr, "mlc: warning: %s: %s\n", cur_file, msg);
}

void diag_oom(void) { diag_fatal("out of memory"); }

void diag_internal(const char *file, int line, const char *cond) {
  diag_fatal("internal error at %s:%d: %s", file, line, cond);
}
