/* mlc runtime, family tfidf. TfIdfVectorizer's n-gram counting.
 *
 * Parameter structs (S) and kernels (K, io in order: inputs, then
 * outputs); mlc_rt.h gathers every family's lists. */
#ifndef MLC_RT_TFIDF_H
#define MLC_RT_TFIDF_H

#include "mlc_rt_core.h"

#define MLC_RT_PARAMS_TFIDF(S, I, D, IA, DA)                                  \
  /* TfIdfVectorizer over rows of cols tokens (int64, or int32 when           \
     x_bits is 32): n-grams of min..max tokens, skip + 1 apart at most        \
     (unigrams once), looked up in the sorted pool table; idf 1: counts       \
     become 0/1 before the weights multiply */                                \
  S(MlcTfIdf, I(rows) I(cols) I(out) I(min) I(max) I(skip) I(x_bits)          \
              I(idf))

#define MLC_RT_KERNELS_TFIDF(K)                                               \
  /* table (int64): per n-gram size 0..max its entries' offset and count,     \
     then each entry's tokens and output column, sorted by tokens;            \
     weights: double, one per output column */                                \
  K(tfidf, MlcTfIdf)           /* io: x, table, weights|NULL, y (float) */

#ifdef __cplusplus
extern "C" {
#endif

MLC_RT_DECLARE(MLC_RT_PARAMS_TFIDF, MLC_RT_KERNELS_TFIDF)

/* io slots: where each kernel finds its tensors in io[] (the lowering
 * fills them by these names, the kernel reads them by these names) */
/* tfidf */
enum { MLC_TFIDF_X, MLC_TFIDF_TABLE, MLC_TFIDF_WEIGHTS, MLC_TFIDF_Y,
       MLC_TFIDF_NIO };

#ifdef __cplusplus
}
#endif
#endif /* MLC_RT_TFIDF_H */
