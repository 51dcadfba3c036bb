/* One growing arena per compilation: everything the IR owns is allocated here
 * and freed at once with arena_free. Allocation never fails silently: on
 * exhaustion it reports and exits through the diagnostics module. */
#ifndef MLC_ARENA_H
#define MLC_ARENA_H

#include <stddef.h>

typedef struct ArenaBlock ArenaBlock;
typedef struct Arena {
  ArenaBlock *head;
  size_t used_total;
} Arena;

Arena *arena_new(void);
void arena_free(Arena *a);
/* zeroed, 16-byte aligned */
void *arena_alloc(Arena *a, size_t n);
void *arena_array(Arena *a, size_t count, size_t elem); /* overflow-checked */
char *arena_strdup(Arena *a, const char *s);
char *arena_strndup(Arena *a, const char *s, size_t n);
char *arena_printf(Arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* grow an arena array (old contents copied); *cap is updated */
void *arena_grow(Arena *a, void *old, size_t *cap, size_t need, size_t elem);

#endif
