/* TensorProto <-> Tensor.
 *
 * A TensorProto carries its elements in one of four places: raw_data
 * (little-endian bytes), the one typed repeated field its data type selects
 * (ONNX widens the small types, float16 and float8 bit patterns included, into
 * int32_data), string_data, or a file beside the model. The reader accepts
 * exactly one of them and checks the element count against the shape, so the
 * rest of the compiler can trust `nbytes`. The writer always emits raw_data
 * (string_data for strings), the form every reader accepts.
 *
 * int4, uint4 and float4e2m1 are packed two to a byte in the file, int2 and
 * uint2 four, the first element in the low bits; mlc holds them one to a
 * byte (ir.c), so they are unpacked here and packed again on the way out.
 * int32_data holds one packed byte per entry, or, as onnx.parser writes it,
 * one element per entry; the entry count tells which.
 *
 * External data paths come from untrusted files: they must be relative, have
 * no ".." component, and still lie inside the model's folder after realpath
 * has resolved symlinks.
 */
#define _XOPEN_SOURCE 700 /* realpath, fseeko, fileno */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "diag.h"
#include "onnx_io.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "raw_data is little-endian and mlc copies it as it is"
#endif

/* a cap on one tensor, far above real weights, below what overflows size_t */
#define MAX_TENSOR_BYTES ((uint64_t)IR_MAX_TENSOR_BYTES)

static int fail(char *err, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t len, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, len, fmt, ap);
  va_end(ap);
  return -1;
}

const char *onnx_dtype_label(int t) {
  return t > 0 && t < DT_COUNT_ && strcmp(dtype_name((DType)t), "undefined") ? dtype_name((DType)t)
                                                                             : "unknown";
}

const char *onnx_bytes_str(Arena *a, const ProtobufCBinaryData *b) {
  const char *s = (const char *)b->data;
  return s && b->len ? arena_strndup(a, s, strnlen(s, b->len)) : arena_strdup(a, "");
}

char *onnx_dir_of(Arena *a, const char *path) {
  const char *slash = strrchr(path, '/');
  if (!slash) return arena_strdup(a, ".");
  return arena_strndup(a, path, slash == path ? 1 : (size_t)(slash - path));
}

/* ---- where the elements are ------------------------------------------------- */

typedef enum Field { F_FLOAT, F_INT32, F_STRING, F_INT64, F_DOUBLE, F_UINT64, F_COUNT } Field;

static const char *const field_name[F_COUNT] = {"float_data", "int32_data",  "string_data",
                                                "int64_data", "double_data", "uint64_data"};

/* the typed field that holds `t`, and how many entries an element takes */
static Field field_of(DType t, int *per_elem) {
  *per_elem = t == DT_COMPLEX64 || t == DT_COMPLEX128 ? 2 : 1;
  switch (t) {
  case DT_FLOAT:
  case DT_COMPLEX64: return F_FLOAT;
  case DT_DOUBLE:
  case DT_COMPLEX128: return F_DOUBLE;
  case DT_INT64: return F_INT64;
  case DT_UINT32:
  case DT_UINT64: return F_UINT64;
  case DT_STRING: return F_STRING;
  default: return F_INT32;
  }
}

static size_t field_count(const Onnx__TensorProto *tp, Field f) {
  switch (f) {
  case F_FLOAT: return tp->n_float_data;
  case F_INT32: return tp->n_int32_data;
  case F_STRING: return tp->n_string_data;
  case F_INT64: return tp->n_int64_data;
  case F_DOUBLE: return tp->n_double_data;
  default: return tp->n_uint64_data;
  }
}

/* Narrows the typed field to elements of dtype_size(t) bytes. Fields whose
 * entries already have the element's width are copied as they are. */
static void copy_typed(const Onnx__TensorProto *tp, DType t, Field f, void *dst, size_t count) {
  size_t es = dtype_size(t);
  if (f == F_INT32 && es < 4) {
    for (size_t i = 0; i < count; i++) {
      int32_t v = tp->int32_data[i];
      if (t == DT_BOOL) v = v != 0;
      if (es == 1)
        ((uint8_t *)dst)[i] = (uint8_t)v;
      else
        ((uint16_t *)dst)[i] = (uint16_t)v;
    }
    return;
  }
  if (t == DT_UINT32) {
    for (size_t i = 0; i < count; i++) ((uint32_t *)dst)[i] = (uint32_t)tp->uint64_data[i];
    return;
  }
  const void *src = f == F_FLOAT    ? (const void *)tp->float_data
                    : f == F_INT32  ? (const void *)tp->int32_data
                    : f == F_INT64  ? (const void *)tp->int64_data
                    : f == F_DOUBLE ? (const void *)tp->double_data
                                    : (const void *)tp->uint64_data;
  if (count) memcpy(dst, src, count * (f == F_FLOAT || f == F_INT32 ? 4 : 8));
}

/* ---- sub-byte types ------------------------------------------------------------ */

/* bits per element of a type packed in files; 0 for the others */
static int packed_bits(DType t) {
  switch (t) {
  case DT_INT4:
  case DT_UINT4:
  case DT_FLOAT4E2M1: return 4;
  case DT_INT2:
  case DT_UINT2: return 2;
  default: return 0;
  }
}

static uint64_t packed_bytes(DType t, uint64_t numel) {
  return (numel * (uint64_t)packed_bits(t) + 7) / 8;
}

/* the byte mlc holds for the low bits of `v`: sign-extended for int4, int2 */
static uint8_t unpack_one(DType t, unsigned v) {
  int bits = packed_bits(t);
  unsigned mask = (1u << bits) - 1;
  v &= mask;
  if ((t == DT_INT4 || t == DT_INT2) && v >> (bits - 1)) v |= 0xffu & ~mask;
  return (uint8_t)v;
}

static void unpack(DType t, const uint8_t *src, uint8_t *dst, uint64_t numel) {
  int bits = packed_bits(t), per = 8 / bits;
  for (uint64_t i = 0; i < numel; i++)
    dst[i] = unpack_one(t, (unsigned)src[i / per] >> (i % per * bits));
}

/* int32_data of a packed type: one element per entry (count == numel), else
 * one packed byte per entry; the caller has checked the count */
static void unpack_int32(const Onnx__TensorProto *tp, DType t, uint8_t *dst, uint64_t numel) {
  int bits = packed_bits(t), per = 8 / bits;
  int each = tp->n_int32_data == numel;
  for (uint64_t i = 0; i < numel; i++)
    dst[i] = each ? unpack_one(t, (unsigned)tp->int32_data[i])
                  : unpack_one(t, (unsigned)tp->int32_data[i / per] >> (i % per * bits));
}

/* ---- external data ------------------------------------------------------------- */

static int parse_u64(const char *s, uint64_t *out) {
  if (!*s) return -1;
  uint64_t v = 0;
  for (; *s; s++) {
    if (*s < '0' || *s > '9' || v > (UINT64_MAX - 9) / 10) return -1;
    v = v * 10 + (uint64_t)(*s - '0');
  }
  *out = v;
  return 0;
}

/* a relative path with no ".." component ('\\' counts as a separator too, so
 * files written on Windows cannot climb out either) */
static int path_is_confined(const char *loc) {
  if (loc[0] == '/' || loc[0] == '\\') return 0;
  for (const char *p = loc; *p;) {
    size_t n = strcspn(p, "/\\");
    if (n == 2 && p[0] == '.' && p[1] == '.') return 0;
    p += n;
    if (*p) p++;
  }
  return 1;
}

/* The resolved path of `file` (malloc'd) if it lies under `dir` once both
 * are resolved, symlinks included; NULL with *why set otherwise. */
static char *resolve_inside(const char *dir, const char *file, const char **why) {
  char *rf = realpath(file, NULL);
  if (!rf) {
    *why = strerror(errno);
    return NULL;
  }
  char *rd = realpath(dir, NULL);
  size_t n = rd ? strlen(rd) : 0;
  int inside = rd && (!strcmp(rd, "/") || (!strncmp(rf, rd, n) && rf[n] == '/'));
  free(rd);
  if (inside) return rf;
  free(rf);
  *why = "it resolves to a place outside the model's folder";
  return NULL;
}

/* *dst is allocated once the file is known to hold the bytes: a small model
 * must not make mlc allocate what its shape claims before that is checked */
static int read_external(Arena *a, const Onnx__TensorProto *tp, const char *base_dir,
                         const char *name, void **dst, uint64_t nbytes, char *err, size_t errlen) {
  if (!base_dir)
    return fail(err, errlen,
                "tensor '%s' refers to external data, which is not "
                "allowed here",
                name);
  const char *loc = NULL;
  uint64_t offset = 0, length = 0;
  int has_length = 0;
  for (size_t i = 0; i < tp->n_external_data; i++) {
    const char *k = tp->external_data[i]->key ? tp->external_data[i]->key : "";
    const char *v = tp->external_data[i]->value ? tp->external_data[i]->value : "";
    uint64_t *num = !strcmp(k, "offset") ? &offset : !strcmp(k, "length") ? &length : NULL;
    if (!strcmp(k, "location"))
      loc = v;
    else if (num && parse_u64(v, num))
      return fail(err, errlen,
                  "tensor '%s': external data %s '%s' is not a "
                  "non-negative integer",
                  name, k, v);
    has_length |= num == &length;
  }
  if (!loc || !*loc)
    return fail(err, errlen,
                "tensor '%s' refers to external data but gives no "
                "location",
                name);
  if (!path_is_confined(loc))
    return fail(err, errlen,
                "tensor '%s': external data location '%s' must be a "
                "relative path inside the model's folder",
                name, loc);
  const char *path = arena_printf(a, "%s/%s", base_dir, loc);
  const char *why = NULL;
  char *real = resolve_inside(base_dir, path, &why);
  /* non-blocking: opening a FIFO the model names must not wait for a writer
   * (fstat then refuses it); the flag does not matter for regular files */
  int fd = real ? open(real, O_RDONLY | O_NONBLOCK) : -1;
  FILE *f = fd >= 0 ? fdopen(fd, "rb") : NULL;
  if (fd >= 0 && !f) close(fd);
  free(real);
  struct stat st;
  if (!why && !f) why = strerror(errno);
  if (!why && (fstat(fileno(f), &st) || !S_ISREG(st.st_mode))) why = "it is not a regular file";
  uint64_t size = why ? 0 : (uint64_t)st.st_size;
  if (!why && offset > size)
    why = "the offset lies past its end";
  else if (!why && has_length && length > size - offset)
    why = "offset + length lies past its end";
  else if (!why && (has_length ? length : size - offset) != nbytes)
    why = "the length does not match the tensor's shape and type";
  else if (!why && (*dst = arena_alloc(a, nbytes ? (size_t)nbytes : 1)) && nbytes &&
           (fseeko(f, (off_t)offset, SEEK_SET) || fread(*dst, 1, nbytes, f) != nbytes))
    why = "reading it failed";
  if (f) fclose(f);
  if (why)
    return fail(err, errlen,
                "tensor '%s': external data file '%s' (offset %" PRIu64 ", %" PRIu64
                " bytes needed): %s",
                name, path, offset, nbytes, why);
  return 0;
}

/* ---- TensorProto -> Tensor --------------------------------------------------- */

static int read_strings(Arena *a, const Onnx__TensorProto *tp, const char *name, uint64_t numel,
                        Tensor *out, char *err, size_t errlen) {
  if (tp->n_string_data != numel)
    return fail(err, errlen, "tensor '%s' holds %zu strings but its shape needs %" PRIu64, name,
                tp->n_string_data, numel);
  const char **s = arena_array(a, numel ? numel : 1, sizeof *s);
  for (size_t i = 0; i < numel; i++) s[i] = onnx_bytes_str(a, &tp->string_data[i]);
  out->data = s;
  out->nbytes = numel * sizeof *s;
  return 0;
}

int onnx_tensor_from_proto(Arena *a, const Onnx__TensorProto *tp, const char *base_dir, Tensor *out,
                           char *err, size_t errlen) {
  memset(out, 0, sizeof *out);
  const char *name = tp->name ? tp->name : "";
  out->name = arena_strdup(a, name);
  if (tp->n_dims > IR_MAX_RANK)
    return fail(err, errlen, "tensor '%s' has rank %zu; mlc supports up to %d", name, tp->n_dims,
                IR_MAX_RANK);
  DType t = tp->has_data_type ? (DType)tp->data_type : DT_UNDEF;
  size_t es = t == DT_STRING ? sizeof(const char *) : dtype_size(t);
  if (t == DT_UNDEF) return fail(err, errlen, "tensor '%s' has no data type", name);
  if (!es)
    return fail(err, errlen,
                "tensor '%s' has data type %s (%d), which mlc does not "
                "support",
                name, onnx_dtype_label(t), (int)t);
  uint64_t numel = 1;
  for (size_t i = 0; i < tp->n_dims; i++) {
    int64_t d = tp->dims[i];
    if (d < 0) return fail(err, errlen, "tensor '%s' has negative dimension %" PRId64, name, d);
    if (d && numel > MAX_TENSOR_BYTES / es / (uint64_t)d)
      return fail(err, errlen, "tensor '%s' is larger than mlc's limit of %" PRIu64 " bytes", name,
                  MAX_TENSOR_BYTES);
    numel *= (uint64_t)d;
    out->dims[i] = d;
  }
  out->rank = (int)tp->n_dims;
  out->dtype = t;
  if (tp->segment)
    return fail(err, errlen,
                "tensor '%s' is a segment of a larger tensor, which mlc "
                "does not support",
                name);

  size_t ntyped = 0;
  for (int f = 0; f < F_COUNT; f++) ntyped += field_count(tp, (Field)f);
  int external =
      tp->has_data_location && tp->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
  int raw = tp->has_raw_data && (tp->raw_data.len || (!ntyped && !external));
  if (raw + external + (ntyped > 0) > 1)
    return fail(err, errlen, "tensor '%s' has its data in more than one place:%s%s%s", name,
                raw ? " raw_data" : "", ntyped ? " typed fields" : "",
                external ? " external file" : "");
  if (t == DT_STRING && (raw || external))
    return fail(err, errlen, "tensor '%s' of strings must keep them in string_data", name);
  if (t == DT_STRING) return read_strings(a, tp, name, numel, out, err, errlen);

  /* the shape may claim gigabytes: the data is allocated only once the file
   * has shown that it holds them */
  uint64_t nbytes = numel * es, stored = packed_bits(t) ? packed_bytes(t, numel) : nbytes;
  out->nbytes = (size_t)nbytes;
  if (external) {
    void *file_data = NULL;
    if (read_external(a, tp, base_dir, name, &file_data, stored, err, errlen)) return -1;
    out->data = file_data;
    if (packed_bits(t)) {
      out->data = arena_alloc(a, nbytes ? (size_t)nbytes : 1);
      unpack(t, file_data, out->data, numel);
    }
    return 0;
  }
  if (raw) {
    if (tp->raw_data.len != stored)
      return fail(err, errlen,
                  "tensor '%s' has %zu bytes of raw_data but its shape "
                  "and type need %" PRIu64,
                  name, tp->raw_data.len, stored);
    out->data = arena_alloc(a, nbytes ? (size_t)nbytes : 1);
    if (packed_bits(t))
      unpack(t, tp->raw_data.data, out->data, numel);
    else if (nbytes)
      memcpy(out->data, tp->raw_data.data, (size_t)nbytes);
    return 0;
  }
  int per;
  Field f = field_of(t, &per);
  for (int o = 0; o < F_COUNT; o++)
    if (o != (int)f && field_count(tp, (Field)o))
      return fail(err, errlen,
                  "tensor '%s' of type %s has data in %s, which does not "
                  "hold that type",
                  name, dtype_name(t), field_name[o]);
  size_t have = field_count(tp, f);
  if (packed_bits(t)) {
    if (have != numel && have != stored)
      return fail(err, errlen,
                  "tensor '%s' has %zu entries in int32_data but its shape needs %" PRIu64
                  " (packed) or %" PRIu64 " (one element each)",
                  name, have, stored, numel);
    out->data = arena_alloc(a, nbytes ? (size_t)nbytes : 1);
    unpack_int32(tp, t, out->data, numel);
    return 0;
  }
  if (have != numel * (uint64_t)per)
    return fail(err, errlen, "tensor '%s' has %zu entries in %s but its shape needs %" PRIu64, name,
                have, field_name[f], numel * (uint64_t)per);
  out->data = arena_alloc(a, nbytes ? (size_t)nbytes : 1);
  copy_typed(tp, t, f, out->data, have);
  return 0;
}

/* ---- Tensor -> TensorProto -------------------------------------------------- */

void onnx_tensor_to_proto(Arena *a, const Tensor *t, Onnx__TensorProto *tp) {
  onnx__tensor_proto__init(tp);
  MLC_ASSERT(t->rank >= 0 && t->rank <= IR_MAX_RANK);
  if (t->name && *t->name) tp->name = arena_strdup(a, t->name);
  tp->has_data_type = 1;
  tp->data_type = (int32_t)t->dtype;
  tp->n_dims = (size_t)t->rank;
  tp->dims = arena_array(a, (size_t)t->rank + 1, sizeof *tp->dims);
  size_t numel = 1;
  for (int i = 0; i < t->rank; i++) {
    tp->dims[i] = t->dims[i];
    numel *= (size_t)t->dims[i];
  }
  if (t->dtype == DT_STRING) {
    const char *const *s = t->data;
    tp->n_string_data = numel;
    tp->string_data = arena_array(a, numel + 1, sizeof *tp->string_data);
    for (size_t i = 0; i < numel; i++) {
      tp->string_data[i].len = strlen(s[i]);
      tp->string_data[i].data = (uint8_t *)arena_strdup(a, s[i]);
    }
    return;
  }
  size_t nbytes = numel * dtype_size(t->dtype);
  MLC_ASSERT(dtype_size(t->dtype) && t->nbytes >= nbytes && (t->data || !nbytes));
  tp->has_raw_data = 1;
  tp->raw_data.len = nbytes;
  tp->raw_data.data = t->data;
  int bits = packed_bits(t->dtype);
  if (bits) {
    int per = 8 / bits;
    const uint8_t *src = t->data;
    tp->raw_data.len = (size_t)packed_bytes(t->dtype, numel);
    tp->raw_data.data = arena_alloc(a, tp->raw_data.len + 1);
    memset(tp->raw_data.data, 0, tp->raw_data.len);
    for (size_t i = 0; i < numel; i++)
      tp->raw_data.data[i / per] |= (uint8_t)((src[i] & ((1u << bits) - 1)) << (i % per * bits));
  }
}
