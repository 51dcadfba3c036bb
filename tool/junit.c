/* `mlc test --junit`: the results as JUnit XML (junit.h). */
#include "junit.h"

#include <string.h>

#include "textesc.h"

/* the last component of a path, without trailing slashes */
static const char *base_name(Arena *a, const char *dir) {
  size_t n = strlen(dir);
  while (n > 1 && dir[n - 1] == '/') n--;
  const char *p = dir + n;
  while (p > dir && p[-1] != '/') p--;
  return arena_strndup(a, p, (size_t)(dir + n - p));
}

/* the name of the folder that holds test folder dir ("mlc" if none) */
static const char *suite_name(Arena *a, const char *dir) {
  size_t n = strlen(dir);
  while (n > 0 && dir[n - 1] == '/') n--;
  while (n > 0 && dir[n - 1] != '/') n--; /* the test's own name */
  while (n > 0 && dir[n - 1] == '/') n--;
  if (!n) return "mlc";
  const char *p = base_name(a, arena_strndup(a, dir, n));
  return *p && strcmp(p, ".") && strcmp(p, "..") ? p : "mlc";
}

void junit_write(Arena *a, FILE *f, char *const *tests, char *const *results, int n, int fail,
                 int skip) {
  fprintf(f,
          "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
          "<testsuite name=\"mlc test\" tests=\"%d\" failures=\"%d\" errors=\"0\" "
          "skipped=\"%d\">\n",
          n, fail, skip);
  for (int i = 0; i < n; i++) {
    const char *tab = strchr(results[i], '\t'), *msg = tab + 1;
    fputs("  <testcase classname=\"", f);
    put_xml_text(f, suite_name(a, tests[i]));
    fputs("\" name=\"", f);
    put_xml_text(f, base_name(a, tests[i]));
    if (!strncmp(results[i], "PASS", 4) && !*msg) {
      fputs("\"/>\n", f);
      continue;
    }
    fputs("\">", f);
    if (!strncmp(results[i], "FAIL", 4) || !strncmp(results[i], "UNSUPPORTED", 11)) {
      int failed = results[i][0] == 'F';
      fputs(failed ? "\n    <failure message=\"" : "\n    <skipped message=\"", f);
      put_xml_text(f, msg);
      if (failed) {
        fputs("\">", f);
        put_xml_text(f, msg);
        fputs("</failure>\n  ", f);
      } else {
        fputs("\"/>\n  ", f);
      }
    } else if (*msg) {
      fputs("\n    <system-out>", f);
      put_xml_text(f, msg);
      fputs("</system-out>\n  ", f);
    }
    fputs("</testcase>\n", f);
  }
  fputs("</testsuite>\n", f);
}
