/* Tensors in files: NumPy .npy and ONNX TensorProto .pb (the layout of the
 * ONNX backend tests' test_data_set_N/input_K.pb). Also the file helpers that
 * the ONNX reader and writer share, and output files that appear whole or
 * not at all. */
#ifndef MLC_TENSOR_IO_H
#define MLC_TENSOR_IO_H

#include <stddef.h>
#include <stdio.h>

#include "ir.h"

/* .npy (v1-v3, little-endian, C order) or a TensorProto, told apart by the
 * NPY magic; diag_fatal with a message naming the file otherwise */
Tensor *tensor_load(Arena *a, const char *path);
/* .npy when the path ends in ".npy", else a TensorProto */
void tensor_save(const Tensor *t, const char *path);

/* One value of ONNX test data: a tensor, a sequence of tensors
 * (SequenceProto) or an optional of either (OptionalProto), maybe empty.
 * A sequence's elements are named "NAME[K]" for messages. */
typedef struct DataValue {
  Tensor *t;      /* a tensor, or NULL */
  Tensor **items; /* a sequence's elements */
  int nitems;
  int is_seq, none;
} DataValue;

/* path read as a graph input or output declares it (Value.decl_seq,
 * decl_opt): a tensor file, or a SequenceProto or OptionalProto .pb */
DataValue *data_load(Arena *a, const char *path, int seq, int opt);

/* a protobuf varint from p[*i..len), *i moved past it; 0 if malformed */
int io_read_varint(const uint8_t *p, size_t len, size_t *i, uint64_t *out);

/* the whole file in a malloc'd buffer (the caller frees it); diag_fatal
 * "cannot read 'PATH': REASON" */
unsigned char *io_read_file(const char *path, size_t *len);
/* writes PATH.tmp, then renames it over PATH, so readers never see a partial
 * file; diag_fatal "cannot write 'PATH': REASON" */
void io_write_file(const char *path, const void *buf, size_t len);
/* Output files of several parts (or written bit by bit): opened as PATH.tmp-PID and renamed into place by
 * out_commit_all; a failure anywhere removes every temporary (out_abort_all,
 * called by the command's error handler). */
FILE *out_open(const char *path, const char *mode);
void out_commit_all(void);
void out_abort_all(void);

/* refuses (diag_fatal) an output path that exists and is not a regular file:
 * a device, a pipe, a folder, a symbolic link */
void io_check_dest(const char *path);
/* Runs body(ctx); if it reports an error, runs cleanup(ctx) and passes the
 * error on to the enclosing diag scope. For work that holds memory outside
 * an arena (unpacked protobufs, scratch arenas) across calls that may
 * diag_fatal. On success the caller cleans up. */
void io_guarded(void (*body)(void *), void (*cleanup)(void *), void *ctx);

#endif
