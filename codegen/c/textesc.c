/* Model names and messages as JSON strings and XML text (textesc.h). */
#include "textesc.h"

#include <stddef.h>

/* length of the valid UTF-8 sequence at s (1 to 4: no overlong forms, no
 * surrogates, nothing above U+10FFFF), or minus the length of its maximal
 * subpart (the bytes that start a valid sequence before it breaks), which
 * becomes one U+FFFD, as Unicode recommends and Python's decoder does */
static int utf8_len(const unsigned char *s) {
  unsigned c = s[0];
  if (c < 0x80) return 1;
  int n = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
  if (!n) return -1;
  unsigned lo = 0x80, hi = 0xbf; /* range of the second byte */
  if (c == 0xe0) lo = 0xa0;
  if (c == 0xed) hi = 0x9f;
  if (c == 0xf0) lo = 0x90;
  if (c == 0xf4) hi = 0x8f;
  if (s[1] < lo || s[1] > hi) return -1;
  for (int i = 2; i < n; i++)
    if (s[i] < 0x80 || s[i] > 0xbf) return -i;
  return n;
}

static const char replacement[] = "\xef\xbf\xbd"; /* U+FFFD */

void put_json_string(FILE *f, const char *str) {
  const unsigned char *s = (const unsigned char *)str;
  fputc('"', f);
  while (*s) {
    int n = utf8_len(s);
    if (n < 0) {
      fputs(replacement, f);
      s -= n;
    } else if (n > 1) {
      fwrite(s, 1, (size_t)n, f);
      s += n;
    } else {
      unsigned c = *s++;
      if (c == '"' || c == '\\')
        fprintf(f, "\\%c", c);
      else if (c == '\n')
        fputs("\\n", f);
      else if (c == '\t')
        fputs("\\t", f);
      else if (c == '\r')
        fputs("\\r", f);
      else if (c < 0x20 || c == 0x7f)
        fprintf(f, "\\u%04x", c);
      else
        fputc((int)c, f);
    }
  }
  fputc('"', f);
}

void put_xml_text(FILE *f, const char *str) {
  const unsigned char *s = (const unsigned char *)str;
  while (*s) {
    int n = utf8_len(s);
    if (n < 0) {
      fputs(replacement, f);
      s -= n;
    } else if (n > 1) {
      /* U+FFFE and U+FFFF are no XML characters either */
      if (n == 3 && s[0] == 0xef && s[1] == 0xbf && s[2] >= 0xbe)
        fputs(replacement, f);
      else
        fwrite(s, 1, (size_t)n, f);
      s += n;
    } else {
      unsigned c = *s++;
      switch (c) {
      case '&': fputs("&amp;", f); break;
      case '<': fputs("&lt;", f); break;
      case '>': fputs("&gt;", f); break;
      case '"': fputs("&quot;", f); break;
      case '\'': fputs("&apos;", f); break;
      case '\t': fputs("&#9;", f); break;
      case '\n': fputs("&#10;", f); break;
      case '\r': fputs("&#13;", f); break;
      default:
        if (c < 0x20)
          fputs(replacement, f);
        else
          fputc((int)c, f);
      }
    }
  }
}
