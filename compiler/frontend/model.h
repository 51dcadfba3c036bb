/* Loading and saving models by file type: ONNX protobuf, or the text form
 * (.onnxtxt, .txt). Everything else in mlc takes either. */
#ifndef MLC_MODEL_H
#define MLC_MODEL_H

#include "ir.h"

int model_is_text(const char *path);
Graph *model_load(Arena *a, const char *path);
void model_save(const Graph *g, const char *path);

#endif
