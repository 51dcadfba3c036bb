/* C backend: names from the model as C identifiers (mangled one-to-one),
 * and comments and string literals that nothing in a name can end or
 * splice. */
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "diag.h"
#include "emitc_int.h"

/* ---- names, comments, strings ----------------------------------------------- */

/* alnum stays; '_' becomes "__"; any other byte "_hh": decodable, so distinct
 * names stay distinct */
const char *emitc_mangle(Arena *a, const char *name) {
  size_t n = strlen(name);
  char *s = arena_alloc(a, 3 * n + 1), *d = s;
  for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
    if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')) {
      *d++ = (char)*p;
    } else if (*p == '_') {
      *d++ = '_';
      *d++ = '_';
    } else {
      d += sprintf(d, "_%02x", *p);
    }
  }
  *d = 0;
  return s;
}

int emitc_valid_prefix(const char *s) {
  if (!*s || (*s >= '0' && *s <= '9') || strlen(s) > 40) return 0;
  for (; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
          *s == '_'))
      return 0;
  return 1;
}

/* text inside a comment: printable ASCII only, and nothing that could end the
 * comment, splice a line or form a trigraph */
void emitc_put_comment(FILE *f, const char *s) {
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    unsigned char c = *p;
    if (c < 0x20 || c > 0x7e || c == '\\' || c == '?') c = '.';
    if (c == '*' && p[1] == '/') c = '.';
    if (c == '/' && p[1] == '*') c = '.';
    fputc(c, f);
  }
}

void emitc_put_cstring(FILE *f, const char *s) {
  fputc('"', f);
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p == '"' || *p == '\\')
      fprintf(f, "\\%c", *p);
    else if (*p < 0x20 || *p > 0x7e || *p == '?')
      fprintf(f, "\\%03o", *p);
    else
      fputc(*p, f);
  }
  fputc('"', f);
}

/* macros use the prefix in capitals: MODEL_ARENA_BYTES beside model_run() */
const char *emitc_macro_prefix(Arena *a, const char *prefix) {
  char *s = arena_strdup(a, prefix);
  for (char *p = s; *p; p++)
    if (*p >= 'a' && *p <= 'z') *p = (char)(*p - 'a' + 'A');
  return s;
}
