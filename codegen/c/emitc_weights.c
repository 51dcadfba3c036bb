/* C backend: the constants, as static const arrays in the source or as one
 * weights blob beside it, and the numbers printed so that they read back
 * exactly. */
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "diag.h"
#include "emitc_int.h"

/* ---- constants ------------------------------------------------------------------------ */

void emitc_put_double(FILE *f, double x, int is_float) {
  if (isnan(x))
    fputs("NAN", f);
  else if (isinf(x))
    fputs(x < 0 ? "-INFINITY" : "INFINITY", f);
  else if (is_float) {
    char buf[40];
    snprintf(buf, sizeof buf, "%.9g", x);
    fputs(buf, f);
    if (!strpbrk(buf, ".eE")) fputs(".0", f);
    fputc('f', f);
  } else {
    char buf[40];
    snprintf(buf, sizeof buf, "%.17g", x);
    fputs(buf, f);
    if (!strpbrk(buf, ".eE")) fputs(".0", f);
  }
}

static void put_elem(FILE *f, const Value *v, int64_t i) {
  const void *d = v->data;
  switch (v->dtype) {
  case DT_STRING: emitc_put_cstring(f, ((const char *const *)d)[i]); break;
  case DT_FLOAT: emitc_put_double(f, ((const float *)d)[i], 1); break;
  case DT_DOUBLE: emitc_put_double(f, ((const double *)d)[i], 0); break;
  case DT_INT64: {
    int64_t x = ((const int64_t *)d)[i];
    if (x == INT64_MIN)
      fputs("(-9223372036854775807LL - 1)", f);
    else
      fprintf(f, "%" PRId64 "LL", x);
    break;
  }
  case DT_UINT64: fprintf(f, "%" PRIu64 "ULL", ((const uint64_t *)d)[i]); break;
  case DT_INT32: {
    int32_t x = ((const int32_t *)d)[i];
    if (x == INT32_MIN)
      fputs("(-2147483647 - 1)", f);
    else
      fprintf(f, "%" PRId32, x);
    break;
  }
  case DT_UINT32: fprintf(f, "%" PRIu32 "u", ((const uint32_t *)d)[i]); break;
  case DT_INT16: fprintf(f, "%d", ((const int16_t *)d)[i]); break;
  case DT_INT8:
  case DT_INT4:
  case DT_INT2: fprintf(f, "%d", ((const int8_t *)d)[i]); break;
  default: /* unsigned 8/16-bit storage: uint8, bool, float16, bfloat16, float8, uint4... */
    if (dtype_size(v->dtype) == 2)
      fprintf(f, "%u", ((const uint16_t *)d)[i]);
    else
      fprintf(f, "%u", ((const uint8_t *)d)[i]);
  }
}

size_t emitc_const_bytes(const Plan *p) {
  size_t n = 0;
  for (int i = 0; i < p->nconsts; i++) n += ir_nbytes(p->consts[i]);
  return n;
}

/* all constants, or with a weights file the strings (pointers have no place
 * in a file) */
/* one constant as an array: `static const` at file scope, or (indent)
 * `const` in the run function */
static void put_const(Emit *e, const Value *v, const char *indent) {
  FILE *f = e->f;
  int64_t n = ir_numel(v);
  fprintf(f, "%s/* ", indent);
  emitc_put_comment(f, v->name);
  fputs(": ", f);
  emitc_put_shape(f, v);
  fputs(" */\n", f);
  fprintf(f, "%s%sconst %s %s[%" PRId64 "] = {", indent, *indent ? "" : "static ", emitc_ctype(v),
          emitc_const_name(e, v), n ? n : 1);
  if (!n) fputs("0", f);
  for (int64_t k = 0; k < n; k++) {
    if (k % 8 == 0) fprintf(f, "\n%s  ", indent);
    put_elem(f, v, k);
    if (k + 1 < n) fputs(k % 8 == 7 ? "," : ", ", f);
  }
  fprintf(f, "\n%s};\n%s", indent, *indent ? "" : "\n");
}

void emitc_inline_consts(Emit *e) {
  for (int i = 0; i < e->p->nconsts; i++) {
    Value *v = e->p->consts[i];
    if ((e->weights_file && v->dtype != DT_STRING) || v->dim_valued) continue;
    put_const(e, v, "");
  }
}

void emitc_dim_valued_consts(Emit *e) {
  for (int i = 0; i < e->p->nconsts; i++)
    if (e->p->consts[i]->dim_valued) put_const(e, e->p->consts[i], "  ");
}

/* FNV-1a over the bytes in 8-byte words (little-endian), then the bytes
 * past the last whole word: a byte at a time it costs as much as writing
 * the file */
static uint64_t fingerprint(uint64_t h, const unsigned char *d, size_t n) {
  size_t k = 0;
  for (; k + 8 <= n; k += 8) {
    uint64_t word = 0;
    for (int b = 0; b < 8; b++) word |= (uint64_t)d[k + b] << (8 * b);
    h = (h ^ word) * 1099511628211ull;
  }
  for (; k < n; k++) h = (h ^ d[k]) * 1099511628211ull;
  return h;
}

uint64_t emitc_write_weights(Emit *e, FILE *w) {
  int64_t off = 64;
  uint64_t h = 1469598103934665603ull;
  e->const_off = arena_array(e->a, (size_t)e->p->nconsts + 1, sizeof *e->const_off);
  for (int i = 0; i < e->p->nconsts; i++) {
    Value *v = e->p->consts[i];
    e->const_off[i] = off;
    if (v->dtype == DT_STRING || v->dim_valued) continue;
    h = fingerprint(h, v->data, ir_nbytes(v));
    off += ((int64_t)ir_nbytes(v) + 63) / 64 * 64;
  }
  unsigned char hdr[64] = {0};
  memcpy(hdr, EMITC_WEIGHTS_MAGIC, sizeof EMITC_WEIGHTS_MAGIC);
  for (int b = 0; b < 8; b++) {
    hdr[16 + b] = (unsigned char)((uint64_t)off >> (8 * b));
    hdr[24 + b] = (unsigned char)(h >> (8 * b));
  }
  fwrite(hdr, 1, 64, w);
  static const unsigned char zeros[64];
  for (int i = 0; i < e->p->nconsts; i++) {
    size_t nb = ir_nbytes(e->p->consts[i]);
    if (e->p->consts[i]->dtype == DT_STRING || e->p->consts[i]->dim_valued) continue;
    fwrite(e->p->consts[i]->data, 1, nb, w);
    fwrite(zeros, 1, (size_t)((int64_t)(nb + 63) / 64 * 64 - (int64_t)nb), w);
  }
  return h;
}
