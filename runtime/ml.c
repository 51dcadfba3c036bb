/* Kernels of the classic-ML domain (ai.onnx.ml): Normalizer, key lookups
 * (LabelEncoder, OneHotEncoder), the classifiers' and regressors'
 * post-transforms and labels, and tree ensembles.
 *
 * The post-transforms and the label rules follow onnxruntime, which is what
 * these models are exported against (skl2onnx, onnxmltools): transforms run
 * in float; with one score a row only PROBIT applies; PROBIT uses the same
 * closed-form approximation of erfinv (Winitzki's, a = 0.147), so its
 * results agree to float precision rather than to the exact function.
 *
 * A tree ensemble arrives as two constant arrays the lowering builds from the
 * node attributes (see MlcTrees): int64 records and double values. A
 * traversal takes at most nnodes steps, so a malformed ensemble whose
 * branches loop ends (that tree then adds nothing) instead of hanging.
 */
#include <string.h>

#include "mlc_rt.h"

/* ---- post-transforms ------------------------------------------------------ */

static float ml_logistic(float v) {
  float e = 1 / (1 + expf(-fabsf(v)));
  return v < 0 ? 1 - e : e;
}

/* erfinv by Winitzki's approximation, as onnxruntime computes it */
static float ml_erfinv(float x) {
  float sgn = x < 0 ? -1.0f : 1.0f;
  float l = logf((1 - x) * (1 + x));
  float a = 2 / (3.14159265358979f * 0.147f) + 0.5f * l;
  return sgn * sqrtf(-a + sqrtf(a * a - l / 0.147f));
}

static float ml_probit(float p) { return 1.41421356f * ml_erfinv(2 * p - 1); }

/* softmax over n scores; zero: entries within 1e-7 of 0 stay (scaled) zeros */
static void ml_softmax(float *s, int64_t n, int zero) {
  float mx = -3.402823466e+38f, sum = 0;
  int64_t i;
  for (i = 0; i < n; i++) mx = s[i] > mx ? s[i] : mx;
  for (i = 0; i < n; i++) {
    if (zero && s[i] <= 1e-7f && s[i] >= -1e-7f) {
      s[i] *= expf(-mx);
    } else {
      s[i] = expf(s[i] - mx);
      sum += s[i];
    }
  }
  for (i = 0; i < n; i++) s[i] /= sum;
}

/* the post-transform of a row of n scores; one score takes only PROBIT */
static void ml_post_row(float *s, int64_t n, int64_t kind) {
  int64_t i;
  if (kind == MLC_ML_PROBIT) {
    for (i = 0; i < n; i++) s[i] = ml_probit(s[i]);
  } else if (n < 2) {
    return;
  } else if (kind == MLC_ML_LOGISTIC) {
    for (i = 0; i < n; i++) s[i] = ml_logistic(s[i]);
  } else if (kind == MLC_ML_SOFTMAX || kind == MLC_ML_SOFTMAX_ZERO) {
    ml_softmax(s, n, kind == MLC_ML_SOFTMAX_ZERO);
  }
}

void mlc_rt_ml_post(const void *params, void *const *io) {
  const MlcMlPost *p = (const MlcMlPost *)params;
  const float *x = (const float *)io[MLC_ML_POST_X];
  float *y = (float *)io[MLC_ML_POST_Y];
  if (x != y) memcpy(y, x, (size_t)(p->rows * p->n) * sizeof *y);
  for (int64_t r = 0; r < p->rows; r++) ml_post_row(y + r * p->n, p->n, p->kind);
}

/* LinearClassifier: the label from the raw scores, then the transformed
 * scores; one class decides by its sign and, with two labels, writes the
 * two columns [1 - s, s] (s after LOGISTIC or PROBIT) */
void mlc_rt_ml_linclass(const void *params, void *const *io) {
  const MlcMlLinClass *p = (const MlcMlLinClass *)params;
  const float *s = (const float *)io[MLC_ML_LINCLASS_SCORES];
  const int64_t *labels = (const int64_t *)io[MLC_ML_LINCLASS_LABELS];
  int64_t *y = (int64_t *)io[MLC_ML_LINCLASS_Y];
  float *z = (float *)io[MLC_ML_LINCLASS_Z];
  int64_t k = p->classes;
  for (int64_t r = 0; r < p->rows; r++) {
    const float *row = s + r * k;
    int64_t best = 0;
    if (k == 1) {
      best = row[0] > 0;
      if (y) y[r] = p->nlabels == 2 ? labels[best] : best;
      if (!z) continue;
      if (p->nlabels == 2) {
        float v = row[0];
        if (p->post == MLC_ML_LOGISTIC)
          v = ml_logistic(v);
        else if (p->post == MLC_ML_PROBIT)
          v = ml_probit(v);
        z[2 * r] = 1 - v;
        z[2 * r + 1] = v;
      } else {
        z[r] = p->post == MLC_ML_PROBIT ? ml_probit(row[0]) : row[0];
      }
      continue;
    }
    for (int64_t j = 1; j < k; j++)
      if (row[j] > row[best]) best = j;
    if (y) y[r] = p->nlabels ? labels[best] : best;
    if (z) {
      memcpy(z + r * k, row, (size_t)k * sizeof *z);
      ml_post_row(z + r * k, k, p->post);
    }
  }
}

/* ---- Normalizer ------------------------------------------------------------- */

void mlc_rt_ml_normalize(const void *params, void *const *io) {
  const MlcMlNorm *p = (const MlcMlNorm *)params;
  const float *x = (const float *)io[MLC_ML_NORMALIZE_X];
  float *y = (float *)io[MLC_ML_NORMALIZE_Y];
  for (int64_t r = 0; r < p->rows; r++) {
    const float *a = x + r * p->len;
    float *b = y + r * p->len, d = 0;
    int64_t i;
    if (p->kind == MLC_ML_NORM_MAX) {
      d = p->len ? a[0] : 0;
      for (i = 1; i < p->len; i++) d = a[i] > d ? a[i] : d;
    } else if (p->kind == MLC_ML_NORM_L1) {
      for (i = 0; i < p->len; i++) d += fabsf(a[i]);
    } else {
      for (i = 0; i < p->len; i++) d += a[i] * a[i];
      d = sqrtf(d);
    }
    for (i = 0; i < p->len; i++) b[i] = d != 0 ? a[i] / d : a[i];
  }
}

/* ---- lookups -------------------------------------------------------------- */

static double get_f64(const void *x, int64_t t, int64_t i) {
  switch (t) {
  case MLC_DT_FLOAT: return ((const float *)x)[i];
  case MLC_DT_DOUBLE: return ((const double *)x)[i];
  case MLC_DT_INT32: return ((const int32_t *)x)[i];
  case MLC_DT_INT16: return ((const int16_t *)x)[i];
  default: return (double)((const int64_t *)x)[i];
  }
}

static int64_t get_i64(const void *x, int64_t t, int64_t i) {
  switch (t) {
  case MLC_DT_FLOAT: return mlc_rt_d2i(((const float *)x)[i], INT64_MIN, INT64_MAX);
  case MLC_DT_DOUBLE: return mlc_rt_d2i(((const double *)x)[i], INT64_MIN, INT64_MAX);
  case MLC_DT_INT32: return ((const int32_t *)x)[i];
  case MLC_DT_INT16: return ((const int16_t *)x)[i];
  default: return ((const int64_t *)x)[i];
  }
}

static void put(void *y, int64_t t, int64_t i, double d, int64_t v, int is_int) {
  switch (t) {
  case MLC_DT_FLOAT: ((float *)y)[i] = is_int ? (float)v : (float)d; break;
  case MLC_DT_DOUBLE: ((double *)y)[i] = is_int ? (double)v : d; break;
  case MLC_DT_INT32:
    ((int32_t *)y)[i] = (int32_t)(is_int ? v : mlc_rt_d2i(d, INT32_MIN, INT32_MAX));
    break;
  case MLC_DT_INT16:
    ((int16_t *)y)[i] = (int16_t)(is_int ? v : mlc_rt_d2i(d, INT16_MIN, INT16_MAX));
    break;
  default: ((int64_t *)y)[i] = is_int ? v : mlc_rt_d2i(d, INT64_MIN, INT64_MAX); break;
  }
}

/* the position of x among n ascending keys, or -1; NaN keys sort last and
 * match a NaN */
static int64_t find_f64(const double *k, int64_t n, double x) {
  int64_t lo = 0, hi = n;
  if (x != x) return n && k[n - 1] != k[n - 1] ? n - 1 : -1;
  while (lo < hi) {
    int64_t mid = lo + (hi - lo) / 2;
    if (k[mid] < x)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < n && k[lo] == x ? lo : -1;
}

static int64_t find_i64(const int64_t *k, int64_t n, int64_t x) {
  int64_t lo = 0, hi = n;
  while (lo < hi) {
    int64_t mid = lo + (hi - lo) / 2;
    if (k[mid] < x)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < n && k[lo] == x ? lo : -1;
}

void mlc_rt_ml_map(const void *params, void *const *io) {
  const MlcMlMap *p = (const MlcMlMap *)params;
  const void *x = io[MLC_ML_MAP_X], *keys = io[MLC_ML_MAP_KEYS], *vals = io[MLC_ML_MAP_VALUES];
  void *y = io[MLC_ML_MAP_Y];
  for (int64_t i = 0; i < p->count; i++) {
    int64_t at = p->key_int ? find_i64((const int64_t *)keys, p->nkeys, get_i64(x, p->in_t, i))
                            : find_f64((const double *)keys, p->nkeys, get_f64(x, p->in_t, i));
    if (at < 0)
      put(y, p->out_t, i, p->def_f, p->def_i, (int)p->val_int);
    else if (p->val_int)
      put(y, p->out_t, i, 0, ((const int64_t *)vals)[at], 1);
    else
      put(y, p->out_t, i, ((const double *)vals)[at], 0, 0);
  }
}

/* ---- tree ensembles ------------------------------------------------------- */

/* the leaf tree t of row x ends in, or -1 if its branches never reach one */
static int64_t tree_leaf(const MlcTrees *p, const int64_t *nodes, const double *vals, const void *x,
                         int64_t row, int64_t t) {
  int64_t at = nodes[t];
  const int64_t *recs = nodes + p->ntrees;
  for (int64_t steps = 0; at >= 0 && steps < p->nnodes; steps++) {
    const int64_t *r = recs + at * MLC_TREE_REC;
    double v = get_f64(x, p->x_t, row * p->features + r[0]), th = vals[at];
    int go;
    switch (r[1]) {
    case MLC_TREE_LEQ: go = v <= th; break;
    case MLC_TREE_LT: go = v < th; break;
    case MLC_TREE_GTE: go = v >= th; break;
    case MLC_TREE_GT: go = v > th; break;
    case MLC_TREE_EQ: go = v == th; break;
    case MLC_TREE_NEQ: go = v != th; break;
    default: { /* MLC_TREE_MEMBER: the set's members follow in vals */
      const double *m = vals + r[5];
      go = 0;
      for (int64_t k = 0; k < r[6] && !go; k++) go = m[k] == v;
    }
    }
    if (!go && r[2] && v != v) go = 1; /* missing values take the true branch */
    at = go ? r[3] : r[4];
  }
  return at < 0 ? -1 - at : -1;
}

/* the classifier's label and scores from per-class sums s (has: any
 * weight reached the class), as onnxruntime decides them; z has ntargets
 * columns */
static int64_t classify(const MlcTrees *p, double *s, double *has, const double *base,
                        const int64_t *labels, float *z) {
  int64_t n = p->ntargets, best = -1, size = n, j;
  int extra = -1; /* how one score becomes two columns */
  float v[2];
  if (n > 2) {
    for (j = 0; j < p->nbase && j < n; j++) {
      s[j] = has[j] ? s[j] + base[j] : base[j];
      has[j] = 1;
    }
    for (j = 0; j < n; j++)
      if (has[j] && (best < 0 || s[j] > s[best])) best = j;
    for (j = 0; j < n; j++) z[j] = has[j] ? (float)s[j] : 0;
    ml_post_row(z, n, p->post);
    return labels[best < 0 ? 0 : best];
  }
  if (p->nbase == 2) {
    if (has[1]) {
      s[1] = base[1] + (has[0] ? s[0] : 0);
      s[0] = -s[1];
    } else {
      s[1] += base[1];
      s[0] += base[0];
    }
  } else if (p->nbase == 1) {
    s[0] += base[0];
    if (!has[1]) size = 1;
  } else if (p->nbase == 0) {
    extra = 3;
    if (!has[1]) size = 1;
  }
  {
    double pos = size == 2 && has[1] ? s[1] : has[0] ? s[0] : 0;
    if (!p->binary) {
      best = pos > 0;
    } else if (p->all_pos) {
      best = pos > 0.5;
      extra = best ? 0 : 1;
    } else {
      best = pos > 0;
      extra = best ? 2 : 3;
    }
    if (p->binary) best = labels[best];
  }
  v[0] = has[0] ? (float)s[0] : 0;
  v[1] = has[1] ? (float)s[1] : 0;
  if (size == 2) {
    z[0] = v[0];
    z[1] = v[1];
    ml_post_row(z, 2, p->post);
  } else if (p->post == MLC_ML_PROBIT) {
    z[0] = ml_probit(v[0]);
    z[1] = 0;
  } else if (extra == 0 || extra == 1) {
    z[0] = 1 - v[0];
    z[1] = v[0];
  } else if (extra >= 2) {
    z[0] = p->post == MLC_ML_LOGISTIC ? ml_logistic(-v[0]) : -v[0];
    z[1] = p->post == MLC_ML_LOGISTIC ? ml_logistic(v[0]) : v[0];
  } else {
    z[0] = v[0];
    z[1] = 0;
  }
  return best;
}

void mlc_rt_tree_ensemble(const void *params, void *const *io) {
  const MlcTrees *p = (const MlcTrees *)params;
  const void *x = io[MLC_TREE_ENSEMBLE_X];
  const int64_t *ints = (const int64_t *)io[MLC_TREE_ENSEMBLE_INTS];
  const double *vals = (const double *)io[MLC_TREE_ENSEMBLE_VALS];
  int64_t *label = (int64_t *)io[MLC_TREE_ENSEMBLE_LABEL];
  void *y = io[MLC_TREE_ENSEMBLE_Y];
  double *s = (double *)io[MLC_TREE_ENSEMBLE_SCRATCH], *has = s + p->ntargets;
  const int64_t *leaf_start = ints + p->ntrees + p->nnodes * MLC_TREE_REC;
  const int64_t *leaf_tgt = leaf_start + p->nleaves + 1, *labels = leaf_tgt + p->nweights;
  const double *leaf_w = vals + p->nvals, *base = leaf_w + p->nweights;
  for (int64_t row = 0; row < p->rows; row++) {
    int64_t j;
    for (j = 0; j < p->ntargets; j++) s[j] = has[j] = 0;
    for (int64_t t = 0; t < p->ntrees; t++) {
      int64_t leaf = tree_leaf(p, ints, vals, x, row, t);
      if (leaf < 0) continue;
      for (int64_t w = leaf_start[leaf]; w < leaf_start[leaf + 1]; w++) {
        int64_t k = leaf_tgt[w];
        double v = leaf_w[w];
        if (p->agg == MLC_TREE_MIN)
          s[k] = !has[k] || v < s[k] ? v : s[k];
        else if (p->agg == MLC_TREE_MAX)
          s[k] = !has[k] || v > s[k] ? v : s[k];
        else
          s[k] += v;
        has[k] = 1;
      }
    }
    if (p->classifier) {
      int64_t l = classify(p, s, has, base, labels, (float *)y + row * p->ntargets);
      if (label) label[row] = l;
      continue;
    }
    /* a target no tree scored is 0 (one target: its base value) */
    for (j = 0; j < p->ntargets; j++) {
      double v = has[j] ? s[j] : 0;
      if (p->agg == MLC_TREE_AVERAGE) v /= (double)p->ntrees;
      if (p->nbase == p->ntargets && (has[j] || p->ntargets == 1)) v += base[j];
      s[j] = v;
    }
    if (p->y_t == MLC_DT_DOUBLE && p->post == MLC_ML_NONE) {
      memcpy((double *)y + row * p->ntargets, s, (size_t)p->ntargets * sizeof *s);
    } else {
      /* transforms run in float; has[] is free now and holds a float row */
      float *f = p->y_t == MLC_DT_DOUBLE ? (float *)(void *)has : (float *)y + row * p->ntargets;
      for (j = 0; j < p->ntargets; j++) f[j] = (float)s[j];
      ml_post_row(f, p->ntargets, p->post);
      for (j = 0; p->y_t == MLC_DT_DOUBLE && j < p->ntargets; j++)
        ((double *)y)[row * p->ntargets + j] = f[j];
    }
  }
}

/* ---- support vector machines ------------------------------------------------ */

/* the kernel of x and v over n features */
static float svm_kernel(const MlcSvm *p, const float *x, const float *v, int64_t n) {
  float s = 0;
  int64_t i;
  if (p->kernel == MLC_SVM_RBF) {
    for (i = 0; i < n; i++) s += (x[i] - v[i]) * (x[i] - v[i]);
    return expf(-(float)p->gamma * s);
  }
  for (i = 0; i < n; i++) s += x[i] * v[i];
  if (p->kernel == MLC_SVM_POLY)
    return powf((float)p->gamma * s + (float)p->coef0, (float)p->degree);
  if (p->kernel == MLC_SVM_SIGMOID) return tanhf((float)p->gamma * s + (float)p->coef0);
  return s;
}

/* libsvm's pairwise coupling: the k class probabilities p from the pairwise
 * ones r (k x k), by onnxruntime's iteration in float */
static void svm_coupling(int64_t k, const float *r, float *q, float *qp, float *p) {
  float eps = 0.005f / (float)k;
  int64_t i, j, it;
  for (i = 0; i < k; i++) {
    p[i] = 1.0f / (float)k;
    q[i * k + i] = 0;
    for (j = 0; j < i; j++) {
      q[i * k + i] += r[j * k + i] * r[j * k + i];
      q[i * k + j] = q[j * k + i];
    }
    for (j = i + 1; j < k; j++) {
      q[i * k + i] += r[j * k + i] * r[j * k + i];
      q[i * k + j] = -r[j * k + i] * r[i * k + j];
    }
  }
  for (it = 0; it < 100; it++) {
    float pqp = 0, maxerr = 0;
    for (i = 0; i < k; i++) {
      qp[i] = 0;
      for (j = 0; j < k; j++) qp[i] += q[i * k + j] * p[j];
      pqp += p[i] * qp[i];
    }
    for (i = 0; i < k; i++) {
      float e = fabsf(qp[i] - pqp);
      maxerr = e > maxerr ? e : maxerr;
    }
    if (maxerr < eps) break;
    for (i = 0; i < k; i++) {
      float diff = (-qp[i] + pqp) / q[i * k + i];
      p[i] += diff;
      pqp = (pqp + diff * (diff * q[i * k + i] + 2 * qp[i])) / (1 + diff) / (1 + diff);
      for (j = 0; j < k; j++) {
        qp[j] = (qp[j] + diff * q[i * k + j]) / (1 + diff);
        p[j] /= 1 + diff;
      }
    }
  }
}

/* one row's pairwise scores (one per pair of classes, in libsvm's order)
 * and votes from its kernel values */
static void svm_pairs(const MlcSvm *p, const float *coef, const float *rho, const int64_t *counts,
                      const float *kv, float *pair, float *votes) {
  int64_t c = p->classes, at = 0, si = 0, i, j, m;
  for (i = 0; i < c; i++) votes[i] = 0;
  for (i = 0; i < c - 1; i++) {
    int64_t sj = si + counts[i];
    for (j = i + 1; j < c; j++) {
      double sum = rho[at];
      for (m = 0; m < counts[i]; m++) sum += coef[(j - 1) * p->nvec + si + m] * kv[si + m];
      for (m = 0; m < counts[j]; m++) sum += coef[i * p->nvec + sj + m] * kv[sj + m];
      pair[at++] = (float)sum;
      votes[sum > 0 ? i : j] += 1;
      sj += counts[j];
    }
    si += counts[i];
  }
}

void mlc_rt_svm(const void *params, void *const *io) {
  const MlcSvm *p = (const MlcSvm *)params;
  const float *x = (const float *)io[MLC_SVM_X], *sv = (const float *)io[MLC_SVM_VECTORS];
  const float *coef = (const float *)io[MLC_SVM_CONSTS], *rho = coef + p->ncoef;
  const float *pa = rho + p->nrho, *pb = pa + p->nprob;
  const int64_t *counts = (const int64_t *)io[MLC_SVM_COUNTS];
  const int64_t *labels = (const int64_t *)io[MLC_SVM_LABELS];
  int64_t c = p->classes, npair = c * (c - 1) / 2, r, j;
  float *kv = (float *)io[MLC_SVM_SCRATCH], *pair = kv + p->nvec, *votes = pair + npair;
  float *qp = votes + c, *pr = qp + c, *q = pr + c * c;
  for (r = 0; r < p->rows; r++) {
    const float *xr = x + r * p->features;
    float *z = (float *)io[MLC_SVM_Z] + r * p->zcols, best_w = 0;
    int64_t best = 0, nscores = c;
    int extra = -1; /* how one score becomes two columns */
    for (j = 0; j < p->nvec; j++) kv[j] = svm_kernel(p, xr, sv + j * p->features, p->features);
    if (!p->classifier) {
      float y = rho[0];
      if (p->nvec)
        for (j = 0; j < p->nvec; j++) y += coef[j] * kv[j];
      else
        y += svm_kernel(p, xr, coef, p->features);
      if (p->one_class) y = y > 0 ? 1.0f : -1.0f;
      ((float *)io[MLC_SVM_Y])[r] = y;
      continue;
    }
    if (!p->nvec) {
      /* linear: one score per class, the label from the best one */
      for (j = 0; j < c; j++)
        z[j] = svm_kernel(p, xr, coef + j * p->features, p->features) + rho[0];
      for (j = 1; j < c; j++)
        if (z[j] > z[best]) best = j;
      best_w = z[best];
    } else {
      svm_pairs(p, coef, rho, counts, kv, pair, votes);
      for (j = 1; j < c; j++)
        if (votes[j] > votes[best]) best = j;
      if (p->nprob) {
        int64_t at = 0, i, k;
        for (i = 0; i < c; i++) pr[i * c + i] = 0;
        for (i = 0; i < c - 1; i++)
          for (k = i + 1; k < c; k++, at++) {
            float v = 1 - ml_logistic(pair[at] * pa[at] + pb[at]);
            v = v < 1e-7f ? 1e-7f : v > 1 - 1e-7f ? 1 - 1e-7f : v;
            pr[i * c + k] = v;
            pr[k * c + i] = 1 - v;
          }
        svm_coupling(c, pr, q, qp, z);
      } else {
        nscores = npair;
        memcpy(z, pair, (size_t)npair * sizeof *z);
        if (c <= 2) extra = p->post == MLC_ML_NONE ? 2 : 0;
      }
    }
    if (io[MLC_SVM_Y]) {
      int64_t *y = (int64_t *)io[MLC_SVM_Y];
      if (npair != 1)
        y[r] = labels[best];
      else if (p->nlabels != 2)
        y[r] = best_w > 0;
      else if (!p->nprob && ((p->all_pos && best_w >= 0.5f) || (!p->all_pos && best_w > 0)))
        y[r] = labels[1];
      else
        y[r] = labels[best];
    }
    if (nscores > 1) {
      ml_post_row(z, nscores, p->post);
    } else if (p->post == MLC_ML_PROBIT) {
      z[0] = ml_probit(z[0]);
    } else if (extra == 0) {
      z[1] = z[0];
      z[0] = 1 - z[1];
    } else if (extra == 2) {
      z[1] = z[0];
      z[0] = -z[1];
    }
  }
}
