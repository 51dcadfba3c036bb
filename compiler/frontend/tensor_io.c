/* Tensors in files, and the file helpers the ONNX reader and writer share.
 *
 * A tensor file is either NumPy's .npy (what people have at hand) or a
 * serialized TensorProto (what the ONNX backend tests ship); the first bytes
 * tell them apart, not the name. .npy is read for the dtypes the IR can hold,
 * little-endian and in C order; the header is a Python dict literal, parsed
 * by a small reader that accepts what numpy writes and nothing looser.
 * numpy has no 4- or 2-bit integers: int4 and int2 tensors are written as
 * int8, uint4 and uint2 as uint8 (the bytes mlc holds, values unchanged);
 * .npy files are never read as those types (a .pb file carries them).
 *
 * Test data may also be a SequenceProto, MapProto or OptionalProto (from
 * onnx-data.proto, which the system's onnx.proto lacks). Their fields overlap
 * TensorProto's numbers, so they may unpack as a strange tensor; a segment or
 * an unknown field gives them away, and they are refused as not tensors.
 * Where the model declares a sequence or optional, data_load reads those two
 * with a small reader of the wire format (their tensors through protobuf-c);
 * maps and nested sequences are refused.
 */
#define _XOPEN_SOURCE 700 /* fileno */

#include "tensor_io.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "diag.h"
#include "onnx_io.h"

/* ---- files ------------------------------------------------------------------------ */

unsigned char *io_read_file(const char *path, size_t *len) {
  /* O_NONBLOCK: opening a pipe must not wait for a writer */
  int fd = open(path, O_RDONLY | O_NONBLOCK);
  if (fd < 0) diag_fatal("cannot read '%s': %s", path, strerror(errno));
  struct stat st;
  if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
    close(fd);
    diag_fatal("cannot read '%s': not a regular file", path);
  }
  FILE *f = fdopen(fd, "rb");
  if (!f) {
    close(fd);
    diag_fatal("cannot read '%s': %s", path, strerror(errno));
  }
  size_t n = (size_t)st.st_size;
  unsigned char *buf = malloc(n ? n : 1);
  size_t got = buf ? fread(buf, 1, n, f) : 0;
  int e = errno;
  fclose(f);
  if (!buf || got != n) {
    free(buf);
    diag_fatal("cannot read '%s': %s", path, buf ? strerror(e) : "out of memory");
  }
  *len = n;
  return buf;
}

/* Output goes only to regular files: a path that is a device, a pipe, a
 * folder or a symbolic link (which rename would replace) is refused. */
void io_check_dest(const char *path) {
  struct stat st;
  if (lstat(path, &st)) return; /* not there yet */
  if (!S_ISREG(st.st_mode))
    diag_fatal(
        "cannot write '%s': it exists and is %s; mlc writes only regular files (give "
        "another -o)",
        path,
        S_ISLNK(st.st_mode)   ? "a symbolic link"
        : S_ISDIR(st.st_mode) ? "a folder"
                              : "not a regular file");
}

void io_write_file(const char *path, const void *buf, size_t len) {
  io_check_dest(path);
  size_t n = strlen(path) + 32;
  char *tmp = malloc(n);
  if (!tmp) diag_oom();
  snprintf(tmp, n, "%s.tmp-%ld", path, (long)getpid());
  int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0666);
  FILE *f = fd < 0 ? NULL : fdopen(fd, "wb");
  if (!f && fd >= 0) close(fd);
  int ok = f && fwrite(buf, 1, len, f) == len;
  int e = errno;
  if (f && fclose(f)) ok = 0, e = errno;
  if (ok) {
    struct stat st;
    if (!lstat(path, &st) && !S_ISREG(st.st_mode)) ok = 0, e = EEXIST;
  }
  if (ok && rename(tmp, path)) ok = 0, e = errno;
  if (!ok && fd >= 0) remove(tmp);
  free(tmp);
  if (!ok) diag_fatal("cannot write '%s': %s", path, strerror(e));
}

void io_guarded(void (*body)(void *), void (*cleanup)(void *), void *ctx) {
  DiagScope s;
  s.quiet = 1; /* the message is passed on as it is, once */
  if (setjmp(s.jb)) {
    cleanup(ctx);
    diag_fatal("%s", s.text);
  }
  diag_enter(&s);
  body(ctx);
  diag_leave(&s);
}

/* ---- .npy -------------------------------------------------------------------- */

static const char npy_magic[6] = "\x93NUMPY";

/* descr without its byte-order character */
static const struct {
  const char *code;
  DType t;
} npy_types[] = {
    {"f4", DT_FLOAT},     {"f8", DT_DOUBLE},      {"i1", DT_INT8},  {"i2", DT_INT16},
    {"i4", DT_INT32},     {"i8", DT_INT64},       {"u1", DT_UINT8}, {"u2", DT_UINT16},
    {"u4", DT_UINT32},    {"u8", DT_UINT64},      {"b1", DT_BOOL},  {"f2", DT_FLOAT16},
    {"c8", DT_COMPLEX64}, {"c16", DT_COMPLEX128},
};

typedef struct Cursor {
  const char *p, *end;
} Cursor;

static void skip_ws(Cursor *c) {
  while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n')) c->p++;
}

static int eat(Cursor *c, char ch) {
  skip_ws(c);
  if (c->p < c->end && *c->p == ch) {
    c->p++;
    return 1;
  }
  return 0;
}

/* a quoted Python string without escapes, into out[cap] */
static int read_str(Cursor *c, char *out, size_t cap) {
  skip_ws(c);
  if (c->p >= c->end || (*c->p != '\'' && *c->p != '"')) return 0;
  char q = *c->p++;
  size_t n = 0;
  while (c->p < c->end && *c->p != q) {
    if (*c->p == '\\' || n + 1 >= cap) return 0;
    out[n++] = *c->p++;
  }
  out[n] = 0;
  return c->p++ < c->end;
}

static int read_word(Cursor *c, const char *w) {
  skip_ws(c);
  size_t n = strlen(w);
  if ((size_t)(c->end - c->p) < n || memcmp(c->p, w, n)) return 0;
  c->p += n;
  return 1;
}

static int read_shape(Cursor *c, Tensor *t) {
  if (!eat(c, '(')) return 0;
  t->rank = 0;
  while (!eat(c, ')')) {
    skip_ws(c);
    int64_t d = 0;
    const char *start = c->p;
    while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
      if (d > (INT64_MAX - 9) / 10) return 0;
      d = d * 10 + (*c->p++ - '0');
    }
    if (c->p == start || t->rank == IR_MAX_RANK) return 0;
    t->dims[t->rank++] = d;
    if (!eat(c, ',')) {
      if (!eat(c, ')')) return 0;
      break;
    }
  }
  return 1;
}

/* the header dict; returns a complaint, or NULL */
static const char *npy_header(const char *h, size_t n, Tensor *t) {
  Cursor c = {h, h + n};
  char key[32], descr[32] = "";
  int fortran = 0, have_shape = 0;
  if (!eat(&c, '{')) return "its header is not a dict";
  while (!eat(&c, '}')) {
    if (!read_str(&c, key, sizeof key) || !eat(&c, ':')) return "its header is malformed";
    if (!strcmp(key, "descr")) {
      if (!read_str(&c, descr, sizeof descr)) return "its descr is not a plain type string";
    } else if (!strcmp(key, "fortran_order")) {
      if (read_word(&c, "True"))
        fortran = 1;
      else if (!read_word(&c, "False"))
        return "its fortran_order is neither True nor False";
    } else if (!strcmp(key, "shape")) {
      if (!read_shape(&c, t)) return "its shape is not a tuple of at most 8 sizes";
      have_shape = 1;
    } else {
      return "its header has an unknown key";
    }
    if (!eat(&c, ',')) {
      if (!eat(&c, '}')) return "its header is malformed";
      break;
    }
  }
  if (!descr[0] || !have_shape) return "its header lacks descr or shape";
  if (fortran && t->rank > 1) return "it is in Fortran order; mlc reads C order only";
  for (size_t i = 0; i < sizeof npy_types / sizeof *npy_types; i++)
    if (!strcmp(descr + 1, npy_types[i].code)) {
      t->dtype = npy_types[i].t;
      size_t es = dtype_size(t->dtype);
      if (descr[0] == '>' && es > 1) return "it is big-endian; mlc reads little-endian only";
      if (descr[0] != '<' && descr[0] != '|' && !(descr[0] == '>' && es == 1))
        return "its descr has an unknown byte order";
      return NULL;
    }
  return "its dtype is not one mlc reads (bool, int8-64, uint8-64, float16/32/64, complex)";
}

static void npy_load(Arena *a, const char *path, const unsigned char *buf, size_t len, Tensor *t) {
  if (len < 10 || buf[6] < 1 || buf[6] > 3)
    diag_fatal("'%s': not a .npy file mlc reads (format version 1-3)", path);
  size_t hl = buf[8] | (size_t)buf[9] << 8, off = 10;
  if (buf[6] > 1) {
    if (len < 12) diag_fatal("'%s': the .npy file is truncated", path);
    hl |= (size_t)buf[10] << 16 | (size_t)buf[11] << 24;
    off = 12;
  }
  if (hl > len - off) diag_fatal("'%s': the .npy file is truncated", path);
  const char *why = npy_header((const char *)buf + off, hl, t);
  if (why) diag_fatal("'%s': cannot read this .npy file: %s", path, why);
  off += hl;
  size_t es = dtype_size(t->dtype);
  uint64_t nbytes = es;
  int zero = 0, overflow = 0;
  for (int i = 0; i < t->rank; i++) {
    uint64_t d = (uint64_t)t->dims[i];
    zero |= !d;
    if (d && nbytes > UINT64_MAX / d)
      overflow = 1;
    else
      nbytes *= d;
  }
  if (zero) nbytes = 0;
  if (overflow && !zero) diag_fatal("'%s': the .npy file's shape is too large", path);
  if (nbytes != len - off)
    diag_fatal(
        "'%s': the .npy file holds %zu bytes of data but its shape and dtype "
        "need %" PRIu64,
        path, len - off, nbytes);
  t->nbytes = (size_t)nbytes;
  t->data = arena_alloc(a, t->nbytes ? t->nbytes : 1);
  if (t->nbytes) memcpy(t->data, buf + off, t->nbytes);
}

/* the type a tensor is written as: the sub-byte integers widened */
static DType npy_save_type(DType t) {
  switch (t) {
  case DT_INT4:
  case DT_INT2: return DT_INT8;
  case DT_UINT4:
  case DT_UINT2: return DT_UINT8;
  default: return t;
  }
}

/* the whole file: magic, version 1.0, header padded to 64 bytes with '\n' */
static void npy_save(Arena *scratch, const Tensor *t, const char *path) {
  const char *code = NULL;
  for (size_t i = 0; i < sizeof npy_types / sizeof *npy_types; i++)
    if (npy_types[i].t == npy_save_type(t->dtype)) code = npy_types[i].code;
  if (!code)
    diag_fatal("cannot write '%s': .npy has no %s type; write a .pb file instead", path,
               dtype_name(t->dtype));
  char shape[IR_MAX_RANK * 24 + 4] = "(";
  size_t sl = 1;
  for (int i = 0; i < t->rank; i++)
    sl += (size_t)snprintf(shape + sl, sizeof shape - sl, "%" PRId64 "%s", t->dims[i],
                           t->rank == 1      ? ","
                           : i + 1 < t->rank ? ", "
                                             : "");
  snprintf(shape + sl, sizeof shape - sl, ")");
  char *dict = arena_printf(scratch, "{'descr': '%c%s', 'fortran_order': False, 'shape': %s, }",
                            dtype_size(t->dtype) == 1 ? '|' : '<', code, shape);
  size_t dl = strlen(dict), hl = (dl + 1 + 10 + 63) / 64 * 64 - 10;
  size_t numel = 1;
  for (int i = 0; i < t->rank; i++) numel *= (size_t)t->dims[i];
  size_t nbytes = numel * dtype_size(t->dtype);
  MLC_ASSERT(t->nbytes >= nbytes);
  unsigned char *buf = arena_alloc(scratch, 10 + hl + nbytes);
  memcpy(buf, npy_magic, 6);
  buf[6] = 1;
  buf[7] = 0;
  buf[8] = (unsigned char)(hl & 0xff);
  buf[9] = (unsigned char)(hl >> 8);
  memset(buf + 10, ' ', hl);
  memcpy(buf + 10, dict, dl);
  buf[10 + hl - 1] = '\n';
  if (nbytes) memcpy(buf + 10 + hl, t->data, nbytes);
  io_write_file(path, buf, 10 + hl + nbytes);
}

/* ---- TensorProto --------------------------------------------------------------- */

typedef struct ProtoJob {
  Arena *a;
  const char *path;
  Onnx__TensorProto *tp;
  Tensor *t;
} ProtoJob;

static void proto_to_tensor(void *p) {
  ProtoJob *job = p;
  if (job->tp->segment || job->tp->base.n_unknown_fields)
    diag_fatal(
        "'%s' holds no tensor (a sequence, map or optional value?); mlc "
        "supports only tensors",
        job->path);
  char err[512];
  if (!onnx_tensor_from_proto(job->a, job->tp, NULL, job->t, err, sizeof err)) return;
  /* A sequence, map or optional unpacks as a tensor whose name bytes became
   * its dims, without a name of its own and often without data: that is what
   * fails. Say so, since the message about the tensor would puzzle. */
  const Onnx__TensorProto *tp = job->tp;
  int data = tp->has_raw_data || tp->n_external_data || tp->n_float_data || tp->n_int32_data ||
             tp->n_string_data || tp->n_int64_data || tp->n_double_data || tp->n_uint64_data;
  if (!data || !tp->name || !*tp->name)
    diag_fatal(
        "'%s' holds no tensor mlc can read (%s); sequence, map and optional "
        "values are not supported",
        job->path, err);
  diag_fatal("'%s': %s", job->path, err);
}

static void free_proto(void *p) { onnx__tensor_proto__free_unpacked(((ProtoJob *)p)->tp, NULL); }

static void pb_load(Arena *a, const char *path, const unsigned char *buf, size_t len, Tensor *t) {
  ProtoJob job = {.a = a, .path = path, .t = t};
  job.tp = onnx__tensor_proto__unpack(NULL, len, buf);
  if (!job.tp)
    diag_fatal(
        "'%s' is neither a .npy file nor an ONNX TensorProto (protobuf parse "
        "failed; sequence, map and optional values are not supported)",
        path);
  io_guarded(proto_to_tensor, free_proto, &job);
  free_proto(&job);
}

/* ---- SequenceProto and OptionalProto ----------------------------------------------- */

int io_read_varint(const uint8_t *p, size_t len, size_t *i, uint64_t *out) {
  uint64_t v = 0;
  for (int shift = 0; shift < 64 && *i < len; shift += 7) {
    uint8_t b = p[(*i)++];
    v |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80)) {
      *out = v;
      return 1;
    }
  }
  return 0;
}

/* field numbers of onnx-data.proto: both messages start with name = 1 and
 * elem_type = 2; then the kinds of values they hold */
enum { F_NAME = 1, F_TENSOR = 3, F_SPARSE = 4, F_SEQUENCE = 5, F_MAP = 6, F_OPTIONAL = 7 };

typedef struct Field {
  uint64_t num;
  const uint8_t *p; /* a length-delimited field's bytes, else NULL */
  size_t len;
} Field;

/* the next field of message p[*i..len); 0 at its end */
static int next_field(const char *path, const char *msg, const uint8_t *p, size_t len, size_t *i,
                      Field *f) {
  if (*i >= len) return 0;
  uint64_t tag = 0, n;
  int ok = io_read_varint(p, len, i, &tag);
  f->num = tag >> 3;
  f->p = NULL;
  switch (ok ? tag & 7 : 7) {
  case 0: ok = io_read_varint(p, len, i, &n); break;
  case 1:
  case 5: {
    size_t w = (tag & 7) == 1 ? 8 : 4;
    ok = len - *i >= w;
    *i += ok ? w : 0;
    break;
  }
  case 2:
    ok = io_read_varint(p, len, i, &n) && n <= len - *i;
    if (ok) {
      f->p = p + *i;
      f->len = (size_t)n;
      *i += (size_t)n;
    }
    break;
  default: ok = 0; break;
  }
  if (!ok) diag_fatal("'%s' is not a valid %s (protobuf parse failed)", path, msg);
  return 1;
}

static void refuse_kind(const char *path, const Field *f) {
  if (f->p && f->num >= F_SPARSE && f->num <= F_OPTIONAL)
    diag_fatal("'%s' holds %s; mlc reads sequences and optionals of tensors only", path,
               f->num == F_SPARSE     ? "a sparse tensor"
               : f->num == F_SEQUENCE ? "a sequence"
               : f->num == F_MAP      ? "a map"
                                      : "an optional");
}

static void seq_parse(Arena *a, const char *path, const uint8_t *p, size_t len, DataValue *d) {
  const char *name = "sequence";
  size_t i = 0, cap = 0;
  Field f;
  d->is_seq = 1;
  while (next_field(path, "SequenceProto", p, len, &i, &f)) {
    if (f.num == F_NAME && f.p && f.len) name = arena_strndup(a, (const char *)f.p, f.len);
    if (f.num != F_TENSOR || !f.p) {
      refuse_kind(path, &f);
      continue;
    }
    d->items = arena_grow(a, d->items, &cap, (size_t)d->nitems + 1, sizeof *d->items);
    Tensor *t = d->items[d->nitems++] = arena_alloc(a, sizeof *t);
    pb_load(a, path, f.p, f.len, t);
  }
  for (int k = 0; k < d->nitems; k++) d->items[k]->name = arena_printf(a, "%s[%d]", name, k);
}

/* an OptionalProto holding nothing is an empty optional */
static void opt_parse(Arena *a, const char *path, const uint8_t *p, size_t len, DataValue *d) {
  size_t i = 0;
  Field f;
  d->none = 1;
  while (next_field(path, "OptionalProto", p, len, &i, &f)) {
    if (f.num == F_TENSOR && f.p) {
      d->t = arena_alloc(a, sizeof *d->t);
      pb_load(a, path, f.p, f.len, d->t);
    } else if (f.num == F_SEQUENCE && f.p) {
      seq_parse(a, path, f.p, f.len, d);
    } else {
      refuse_kind(path, &f);
      continue;
    }
    d->none = 0;
  }
}

/* ---- entry points ----------------------------------------------------------------- */

typedef struct LoadJob {
  Arena *a;
  const char *path;
  unsigned char *buf;
  size_t len;
  Tensor *t;
  DataValue *d; /* a sequence or optional, else NULL */
  int opt;
} LoadJob;

static void load(void *p) {
  LoadJob *job = p;
  int npy = job->len >= sizeof npy_magic && !memcmp(job->buf, npy_magic, sizeof npy_magic);
  if (job->d && npy)
    diag_fatal("'%s' is a .npy file; a sequence or optional is read from a .pb file", job->path);
  if (job->d && job->opt)
    opt_parse(job->a, job->path, job->buf, job->len, job->d);
  else if (job->d)
    seq_parse(job->a, job->path, job->buf, job->len, job->d);
  else if (npy)
    npy_load(job->a, job->path, job->buf, job->len, job->t);
  else
    pb_load(job->a, job->path, job->buf, job->len, job->t);
}

static void free_buf(void *p) { free(((LoadJob *)p)->buf); }

Tensor *tensor_load(Arena *a, const char *path) {
  LoadJob job = {.a = a, .path = path, .t = arena_alloc(a, sizeof(Tensor))};
  job.buf = io_read_file(path, &job.len);
  io_guarded(load, free_buf, &job);
  free_buf(&job);
  if (!job.t->name) job.t->name = "";
  return job.t;
}

DataValue *data_load(Arena *a, const char *path, int seq, int opt) {
  DataValue *d = arena_alloc(a, sizeof *d);
  if (!seq && !opt) {
    d->t = tensor_load(a, path);
    return d;
  }
  LoadJob job = {.a = a, .path = path, .d = d, .opt = opt};
  job.buf = io_read_file(path, &job.len);
  io_guarded(load, free_buf, &job);
  free_buf(&job);
  if (d->t && !d->t->name) d->t->name = "";
  return d;
}

typedef struct SaveJob {
  const Tensor *t;
  const char *path;
  Arena *scratch;
} SaveJob;

static void save(void *p) {
  SaveJob *job = p;
  size_t pl = strlen(job->path);
  if (pl >= 4 && !strcmp(job->path + pl - 4, ".npy")) {
    npy_save(job->scratch, job->t, job->path);
    return;
  }
  Onnx__TensorProto tp;
  onnx_tensor_to_proto(job->scratch, job->t, &tp);
  size_t len = onnx__tensor_proto__get_packed_size(&tp);
  uint8_t *buf = arena_alloc(job->scratch, len ? len : 1);
  size_t packed = onnx__tensor_proto__pack(&tp, buf);
  MLC_ASSERT(packed == len);
  io_write_file(job->path, buf, len);
}

static void free_scratch(void *p) { arena_free(((SaveJob *)p)->scratch); }

void tensor_save(const Tensor *t, const char *path) {
  SaveJob job = {.t = t, .path = path, .scratch = arena_new()};
  io_guarded(save, free_scratch, &job);
  free_scratch(&job);
}

/* ---- all-or-nothing output files ---------------------------------------------- */

typedef struct OutFile {
  char *path, *tmp;
  FILE *f;
} OutFile;

static OutFile outs[8];
static int nouts;

FILE *out_open(const char *path, const char *mode) {
  if (nouts == (int)(sizeof outs / sizeof *outs)) diag_fatal("too many output files");
  io_check_dest(path);
  size_t n = strlen(path) + 32;
  char *tmp = malloc(n);
  char *p = strdup(path);
  if (!tmp || !p) diag_oom();
  snprintf(tmp, n, "%s.tmp-%ld", path, (long)getpid());
  /* a new file: never through a link or over something already there */
  int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0666);
  FILE *f = fd < 0 ? NULL : fdopen(fd, mode);
  if (!f) {
    if (fd >= 0) {
      close(fd);
      remove(tmp);
    }
    free(tmp);
    free(p);
    diag_fatal("cannot write '%s': %s", path, strerror(errno));
  }
  outs[nouts++] = (OutFile){p, tmp, f};
  return f;
}

static void release(int i) {
  free(outs[i].path);
  free(outs[i].tmp);
}

void out_commit_all(void) {
  int ok = 1;
  for (int i = 0; i < nouts; i++) io_check_dest(outs[i].path); /* again: time has passed */
  for (int i = 0; i < nouts; i++) ok &= fclose(outs[i].f) == 0;
  for (int i = 0; i < nouts && ok; i++) ok &= rename(outs[i].tmp, outs[i].path) == 0;
  if (!ok) {
    const char *bad = nouts ? outs[0].path : "";
    for (int i = 0; i < nouts; i++) {
      remove(outs[i].tmp);
      release(i);
    }
    nouts = 0;
    diag_fatal("cannot write '%s'", bad);
  }
  for (int i = 0; i < nouts; i++) release(i);
  nouts = 0;
}

void out_abort_all(void) {
  for (int i = 0; i < nouts; i++) {
    fclose(outs[i].f);
    remove(outs[i].tmp);
    release(i);
  }
  nouts = 0;
}
