/* Model names and messages as JSON strings and XML text. Names can hold any
 * bytes: valid UTF-8 passes through, bytes that are not valid UTF-8 become
 * U+FFFD (one per maximal subpart, as Python's errors="replace" decodes
 * them), and what the format cannot hold raw is escaped. In the C backend,
 * which writes names into the JSON of the generated profile, and so below
 * the tool, which writes mlc info --json and mlc test --junit with them. */
#ifndef MLC_TEXTESC_H
#define MLC_TEXTESC_H

#include <stdio.h>

/* "s" with quotes, backslashes and control characters escaped (\n, \t,
 * \u0001...) */
void put_json_string(FILE *f, const char *s);

/* s for an XML attribute or element: & < > " ' as entities; tab, newline and
 * carriage return as character references; other control characters,
 * which XML 1.0 cannot hold at all, as U+FFFD */
void put_xml_text(FILE *f, const char *s);

#endif
