/* Bump allocator in chained blocks; large requests get a block of their own. */
#include "arena.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"

struct ArenaBlock {
  ArenaBlock *next;
  size_t size, used;
  _Alignas(16) unsigned char data[];
};

enum { BLOCK_SIZE = 1 << 20 };

Arena *arena_new(void) {
  Arena *a = calloc(1, sizeof *a);
  if (!a) diag_oom();
  return a;
}

void arena_free(Arena *a) {
  if (!a) return;
  for (ArenaBlock *b = a->head, *n; b; b = n) {
    n = b->next;
    free(b);
  }
  free(a);
}

void *arena_alloc(Arena *a, size_t n) {
  n = (n + 15) & ~(size_t)15;
  ArenaBlock *b = a->head;
  if (!b || b->size - b->used < n) {
    size_t sz = n > BLOCK_SIZE / 4 ? n : BLOCK_SIZE;
    ArenaBlock *nb = malloc(sizeof *nb + sz);
    if (!nb) diag_oom();
    nb->size = sz;
    nb->used = 0;
    if (b && n > BLOCK_SIZE / 4) {
      /* keep the current block for small allocations */
      nb->next = b->next;
      b->next = nb;
    } else {
      nb->next = b;
      a->head = nb;
    }
    b = nb;
  }
  void *p = b->data + b->used;
  b->used += n;
  a->used_total += n;
  memset(p, 0, n);
  return p;
}

void *arena_array(Arena *a, size_t count, size_t elem) {
  if (elem && count > (SIZE_MAX / 2) / elem) diag_oom();
  return arena_alloc(a, count * elem);
}

char *arena_strndup(Arena *a, const char *s, size_t n) {
  char *d = arena_alloc(a, n + 1);
  memcpy(d, s, n);
  d[n] = 0;
  return d;
}

char *arena_strdup(Arena *a, const char *s) { return s ? arena_strndup(a, s, strlen(s)) : NULL; }

char *arena_printf(Arena *a, const char *fmt, ...) {
  va_list ap, ap2;
  va_start(ap, fmt);
  va_copy(ap2, ap);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  char *s = arena_alloc(a, (size_t)n + 1);
  vsnprintf(s, (size_t)n + 1, fmt, ap2);
  va_end(ap2);
  return s;
}

/* Lists of large elements (kernel calls of a lowering, a few hundred bytes
 * each) start with room for one: most stay that short, and a graph makes
 * one per node, sometimes several. */
void *arena_grow(Arena *a, void *old, size_t *cap, size_t need, size_t elem) {
  if (need <= *cap) return old;
  size_t nc = *cap ? *cap * 2 : elem > 128 ? 1 : 8;
  while (nc < need) nc *= 2;
  void *p = arena_array(a, nc, elem);
  if (old) memcpy(p, old, *cap * elem);
  *cap = nc;
  return p;
}
