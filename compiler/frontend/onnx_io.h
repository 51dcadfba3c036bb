/* ONNX protobuf files <-> the IR.
 *
 * The reader turns a ModelProto into a Graph whose every byte lives in the
 * caller's arena: the unpacked protobuf is freed before onnx_load returns,
 * whether it succeeds or reports an error. The writer builds a ModelProto from
 * the IR (initializers as raw little-endian bytes) and replaces the file
 * atomically. Errors go through diag_fatal (the model's file is the one
 * diag_set_file names; the caller sets it).
 *
 * The TensorProto conversions are shared with tensor_io.c, which reads and
 * writes the backend tests' input_K.pb / output_K.pb files.
 */
#ifndef MLC_ONNX_IO_H
#define MLC_ONNX_IO_H

#include <stddef.h>
#include <stdint.h>

#include "ir.h"
#include "onnx.pb-c.h"

/* diag_fatal on errors ("cannot read", "not a valid ONNX model") */
Graph *onnx_load(Arena *a, const char *path);
/* path: for g->file and the folder of external data (NULL: none allowed) */
Graph *onnx_load_bytes(Arena *a, const uint8_t *buf, size_t len, const char *path);
/* IR -> ModelProto, written to path.tmp and renamed over path */
void onnx_save(const Graph *g, const char *path);

/* TensorProto -> Tensor, data copied into the arena. base_dir: folder that
 * external data must lie in (NULL: external data is an error). Returns 0, or
 * -1 with a message in err. */
int onnx_tensor_from_proto(Arena *a, const Onnx__TensorProto *tp, const char *base_dir, Tensor *out,
                           char *err, size_t errlen);
/* Tensor -> TensorProto (raw_data, or string_data for strings). tp's arrays
 * live in `a` or point into t->data, so t must outlive tp. */
void onnx_tensor_to_proto(Arena *a, const Tensor *t, Onnx__TensorProto *tp);

/* dtype_name, or "unknown" for numbers that are no ONNX type, for messages */
const char *onnx_dtype_label(int t);
/* a protobuf string or bytes field as a C string in the arena: the IR's
 * strings end at the first NUL, so an embedded NUL cuts it */
const char *onnx_bytes_str(Arena *a, const ProtobufCBinaryData *b);
/* the folder of a file path, for external data ("." when it has none) */
char *onnx_dir_of(Arena *a, const char *path);

#endif
