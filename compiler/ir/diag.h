/* Diagnostics for users: every error names the file and, where there is one,
 * the node (name, index, op). Errors unwind with longjmp to the innermost
 * diag_try point, which the CLI sets per command (and `mlc test` per model),
 * so no caller has to thread error codes through the IR. Everything the
 * failed work allocated lives in its arena, freed by the catcher. */
#ifndef MLC_DIAG_H
#define MLC_DIAG_H

#include <setjmp.h>
#include <stdnoreturn.h>

struct Node;

typedef struct DiagScope {
  jmp_buf jb;
  struct DiagScope *prev;
  int quiet; /* keep messages in `text` instead of printing them */
  int notes; /* notes pushed when the scope was entered */
  char text[2048];
} DiagScope;

/* Usage: DiagScope s; if (!setjmp(s.jb)) { diag_enter(&s); ...; diag_leave(&s); }
 *        else { /+ error: diag_enter's scope has already been left +/ } */
void diag_enter(DiagScope *s);
void diag_leave(DiagScope *s);

void diag_set_file(const char *file); /* file named by messages */
const char *diag_file(void);

noreturn void diag_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
noreturn void diag_node_fatal(const struct Node *n, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* record an error and go on (to list several at once); diag_flush unwinds if any */
void diag_node_error(const struct Node *n, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void diag_flush(void);
/* A note about where mlc is working (an If branch, say), added to every error
 * until it is popped; an error unwinds the notes of the scopes it leaves.
 * The note must live until popped. */
void diag_note_push(const char *note);
void diag_note_pop(void);
void diag_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* turns warnings on or off (a compile repeated at many sizes says each once);
 * returns whether they were on */
int diag_warnings(int on);
noreturn void diag_oom(void);
noreturn void diag_internal(const char *file, int line, const char *cond);

#define MLC_ASSERT(c) ((c) ? (void)0 : diag_internal(__FILE__, __LINE__, #c))

#endif
