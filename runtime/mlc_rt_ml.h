/* mlc runtime, family ml. Classic ML (ai.onnx.ml): normalizers, post-
 * transforms, linear models, lookups, tree ensembles and SVMs.
 *
 * Parameter structs (S) and kernels (K, io in order: inputs, then
 * outputs); mlc_rt.h gathers every family's lists. */
#ifndef MLC_RT_ML_H
#define MLC_RT_ML_H

#include "mlc_rt_core.h"

#define MLC_RT_PARAMS_ML(S, I, D, IA, DA)                                     \
  /* Normalizer of rows of len floats by their max, L1 or L2 norm (kind:      \
     MLC_ML_NORM_*); a zero divisor leaves the row as it is */                \
  S(MlcMlNorm, I(rows) I(len) I(kind))                                        \
  /* the post-transform of rows of n scores; one score takes only PROBIT */   \
  S(MlcMlPost, I(rows) I(n) I(kind))                                          \
  /* LinearClassifier's labels and transformed scores from raw ones           \
     [rows, classes]; one class with two labels gives two columns */          \
  S(MlcMlLinClass, I(rows) I(classes) I(post) I(nlabels))                     \
  /* lookup of count items of type in_t (MLC_DT_*) among nkeys ascending      \
     keys (int64 if key_int, else double): the value at the key's place       \
     (int64 if val_int, else double) or the default, stored as out_t */       \
  S(MlcMlMap, I(count) I(nkeys) I(in_t) I(out_t) I(key_int) I(val_int)        \
              D(def_f) I(def_i))                                              \
  /* tree ensemble over rows of features values (x_t float or double).        \
     ints: ntrees roots, nnodes records of MLC_TREE_REC (feature, mode,       \
     missing goes true, true child, false child, set start, set length;       \
     a child < 0 is leaf -1 - child), nleaves + 1 leaf starts, nweights       \
     target ids, then a classifier's ntargets labels. vals: nnodes            \
     thresholds and set members (nvals in all), nweights leaf weights,        \
     nbase base values. agg: MLC_TREE_AVERAGE..MAX; binary, all_pos: a        \
     two-class classifier with weights for one class (all positive) */        \
  S(MlcTrees, I(rows) I(features) I(ntrees) I(nnodes) I(nleaves)              \
              I(nweights) I(nvals) I(ntargets) I(agg) I(post) I(x_t)          \
              I(y_t) I(classifier) I(binary) I(all_pos) I(nbase))             \
  /* SVMRegressor / SVMClassifier over rows of features floats: nvec          \
     support vectors (0: linear model, one coefficient row per class),        \
     kernel MLC_SVM_*; consts holds coefficients (ncoef), rho (nrho), then    \
     prob_a and prob_b (nprob each). A classifier has classes classes,        \
     vectors per class in counts; zcols scores per row */                     \
  S(MlcSvm, I(rows) I(features) I(nvec) I(classes) I(kernel) D(gamma)         \
            D(coef0) D(degree) I(ncoef) I(nrho) I(nprob) I(post)              \
            I(classifier) I(one_class) I(all_pos) I(nlabels) I(zcols))

#define MLC_RT_KERNELS_ML(K)                                                  \
  /* ai.onnx.ml */                                                            \
  K(ml_normalize, MlcMlNorm)   /* io: x, y (float) */                         \
  K(ml_post, MlcMlPost)        /* io: x, y (float; may be one buffer) */      \
  K(ml_linclass, MlcMlLinClass) /* io: scores, labels|NULL (int64),           \
                                   y|NULL (int64), z|NULL (float) */          \
  K(ml_map, MlcMlMap)          /* io: x, keys, values, y */                   \
  /* scratch: 2 * ntargets doubles; label: classifiers */                     \
  K(tree_ensemble, MlcTrees)   /* io: x, ints (int64), vals (double), y,      \
                                  label|NULL (int64), scratch */              \
  /* y: a classifier's labels (int64), else [rows, 1] values; z: a            \
     classifier's scores, always given; scratch:                              \
     mlc_rt_svm_scratch() floats; counts: int64 vectors per class */          \
  K(svm, MlcSvm)               /* io: x, vectors|NULL, consts, counts|NULL,   \
                                  labels|NULL (int64), y|NULL, z|NULL,        \
                                  scratch */

#ifdef __cplusplus
extern "C" {
#endif

MLC_RT_DECLARE(MLC_RT_PARAMS_ML, MLC_RT_KERNELS_ML)

/* io slots: where each kernel finds its tensors in io[] (the lowering
 * fills them by these names, the kernel reads them by these names) */
/* ml_normalize */
enum { MLC_ML_NORMALIZE_X, MLC_ML_NORMALIZE_Y, MLC_ML_NORMALIZE_NIO };
/* ml_post */
enum { MLC_ML_POST_X, MLC_ML_POST_Y, MLC_ML_POST_NIO };
/* ml_linclass */
enum { MLC_ML_LINCLASS_SCORES, MLC_ML_LINCLASS_LABELS, MLC_ML_LINCLASS_Y,
       MLC_ML_LINCLASS_Z, MLC_ML_LINCLASS_NIO };
/* ml_map */
enum { MLC_ML_MAP_X, MLC_ML_MAP_KEYS, MLC_ML_MAP_VALUES, MLC_ML_MAP_Y,
       MLC_ML_MAP_NIO };
/* tree_ensemble */
enum { MLC_TREE_ENSEMBLE_X, MLC_TREE_ENSEMBLE_INTS, MLC_TREE_ENSEMBLE_VALS,
       MLC_TREE_ENSEMBLE_Y, MLC_TREE_ENSEMBLE_LABEL,
       MLC_TREE_ENSEMBLE_SCRATCH, MLC_TREE_ENSEMBLE_NIO };
/* svm */
enum { MLC_SVM_X, MLC_SVM_VECTORS, MLC_SVM_CONSTS, MLC_SVM_COUNTS,
       MLC_SVM_LABELS, MLC_SVM_Y, MLC_SVM_Z, MLC_SVM_SCRATCH, MLC_SVM_NIO };

enum { MLC_ML_NONE, MLC_ML_SOFTMAX, MLC_ML_LOGISTIC, MLC_ML_SOFTMAX_ZERO,
       MLC_ML_PROBIT };
enum { MLC_ML_NORM_MAX, MLC_ML_NORM_L1, MLC_ML_NORM_L2 };
enum { MLC_TREE_LEQ, MLC_TREE_LT, MLC_TREE_GTE, MLC_TREE_GT, MLC_TREE_EQ,
       MLC_TREE_NEQ, MLC_TREE_MEMBER, MLC_TREE_REC = 7 };
enum { MLC_TREE_AVERAGE, MLC_TREE_SUM, MLC_TREE_MIN, MLC_TREE_MAX };
enum { MLC_SVM_LINEAR, MLC_SVM_POLY, MLC_SVM_RBF, MLC_SVM_SIGMOID };
/* svm: per row, the kernel values, the pairwise scores, votes, and the
 * pairwise probabilities with their solver's matrix and vector */
static inline int64_t mlc_rt_svm_scratch(const MlcSvm *p) {
  int64_t c = p->classes;
  return p->nvec + c * (c - 1) / 2 + 2 * c + 2 * c * c;
}

#ifdef __cplusplus
}
#endif
#endif /* MLC_RT_ML_H */
