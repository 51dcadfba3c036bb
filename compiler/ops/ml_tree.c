/* Tree ensembles of ai.onnx.ml: TreeEnsembleRegressor and
 * TreeEnsembleClassifier (opsets 1 to 4, with opset 3's *_as_tensor
 * attributes) and TreeEnsemble (opset 5).
 *
 * All three compile their attributes into one layout, the runtime's MlcTrees
 * (runtime/mlc_rt_ml.h): an int64 constant with the roots, node records, leaf
 * ranges, target ids and labels, and a double constant with thresholds, set
 * members, leaf weights and base values. Opsets 1-4 name nodes by (tree id,
 * node id) and mark leaves with mode LEAF, attaching weights to leaves by
 * id; opset 5 indexes nodes and leaves directly and gives each leaf one
 * weight. Every reference is resolved and checked here (children exist,
 * feature ids are inside X's rows, target ids inside the outputs), so the
 * kernel can trust them.
 *
 * Semantics follow onnxruntime: a tree's root is the first node listed for
 * it; weights attached to a node that is not a leaf are ignored; the
 * classifier always sums, and decides two-class labels and scores by
 * onnxruntime's rules (see runtime/ml.c). String class labels are refused:
 * the classifiers here make numeric labels only.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "ops.h"

typedef struct Forest {
  MlcTrees p;            /* the kernel's counts and modes */
  int64_t *roots;        /* ntrees; a root < 0 is leaf -1 - root */
  int64_t *recs;         /* nnodes * MLC_TREE_REC */
  double *vals;          /* nvals: thresholds, then set members */
  int64_t *lstart;       /* nleaves + 1 */
  int64_t *ltgt;         /* nweights */
  double *lw;            /* nweights */
  double *base;          /* nbase */
  const int64_t *labels; /* classifier: ntargets */
} Forest;

/* an int-list attribute that must have `count` entries (count < 0: any);
 * absent: NULL and 0 entries when optional */
static int64_t ints_of(const Node *n, const char *name, int64_t count, int optional,
                       const int64_t **out) {
  int k = attr_ints(n, name, out);
  if (k < 0) {
    if (!optional) diag_node_fatal(n, "attribute '%s' is required", name);
    *out = NULL;
    return 0;
  }
  if (count >= 0 && k != count)
    diag_node_fatal(n, "'%s' has %d entries; the nodes need %lld", name, k, (long long)count);
  return k;
}

static int64_t *alloc_i64(Graph *g, int64_t n) {
  return arena_array(g->arena, (size_t)n + 1, sizeof(int64_t));
}

static void check_feature(const Node *n, int64_t f, int64_t features, int64_t node) {
  if (f < 0 || f >= features)
    diag_node_fatal(n, "node %lld tests feature %lld; the input has %lld features", (long long)node,
                    (long long)f, (long long)features);
}

static int agg_of(const Node *n, const char *s) {
  static const char *names[] = {"AVERAGE", "SUM", "MIN", "MAX"};
  for (int i = 0; i < 4; i++)
    if (!strcmp(s, names[i])) return i;
  diag_node_fatal(n, "unknown aggregate_function '%s' (expected AVERAGE, SUM, MIN or MAX)", s);
}

/* ---- opsets 1 to 4: nodes named by (tree id, node id) ---------------------------- */

typedef struct NodeKey {
  int64_t tree, node, pos;
} NodeKey;

static int cmp_nodekey(const void *a, const void *b) {
  const NodeKey *x = a, *y = b;
  if (x->tree != y->tree) return x->tree < y->tree ? -1 : 1;
  if (x->node != y->node) return x->node < y->node ? -1 : 1;
  return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* the position of node (tree, id) in the attribute lists, or -1 */
static int64_t find_node(const NodeKey *keys, int64_t n, int64_t tree, int64_t id) {
  int64_t lo = 0, hi = n;
  while (lo < hi) {
    int64_t mid = lo + (hi - lo) / 2;
    if (keys[mid].tree < tree || (keys[mid].tree == tree && keys[mid].node < id))
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < n && keys[lo].tree == tree && keys[lo].node == id ? keys[lo].pos : -1;
}

static int mode_of(const Node *n, const char *s) {
  static const char *names[] = {"BRANCH_LEQ", "BRANCH_LT",  "BRANCH_GTE",    "BRANCH_GT",
                                "BRANCH_EQ",  "BRANCH_NEQ", "BRANCH_MEMBER", "LEAF"};
  for (int i = 0; i < 8; i++)
    if (!strcmp(s, names[i])) return i == 7 ? -1 : i;
  diag_node_fatal(n, "unknown node mode '%s'", s);
}

typedef struct WeightKey {
  int64_t leaf, pos;
} WeightKey;

static int cmp_weightkey(const void *a, const void *b) {
  const WeightKey *x = a, *y = b;
  if (x->leaf != y->leaf) return x->leaf < y->leaf ? -1 : 1;
  return x->pos < y->pos ? -1 : x->pos > y->pos;
}

static void forest_v3(Graph *g, const Node *n, int classifier, int64_t features, Forest *f) {
  const char *pre = classifier ? "class" : "target";
  char name[64];
  const int64_t *tree, *nid, *feat, *tid, *fid, *miss, *wtree, *wnode, *wid;
  int64_t nn = ints_of(n, "nodes_nodeids", -1, 0, &nid);
  ints_of(n, "nodes_treeids", nn, 0, &tree);
  ints_of(n, "nodes_featureids", nn, 0, &feat);
  ints_of(n, "nodes_truenodeids", nn, 0, &tid);
  ints_of(n, "nodes_falsenodeids", nn, 0, &fid);
  int64_t nmiss = ints_of(n, "nodes_missing_value_tracks_true", -1, 1, &miss);
  const Attr *modes = ir_attr(n, "nodes_modes");
  if (!modes || modes->kind != AK_STRINGS || modes->n != nn)
    diag_node_fatal(n, "'nodes_modes' must list one mode per node (%lld)", (long long)nn);
  double *th;
  if (ml_numbers(g, n, "nodes_values", "nodes_values_as_tensor", &th) != nn)
    diag_node_fatal(n, "'nodes_values' must hold one value per node (%lld)", (long long)nn);
  /* nodes and leaves in list order */
  int64_t *enc = alloc_i64(g, nn), nnodes = 0, nleaves = 0;
  for (int64_t i = 0; i < nn; i++)
    enc[i] = mode_of(n, modes->strings[i]) < 0 ? -1 - nleaves++ : nnodes++;
  NodeKey *keys = arena_array(g->arena, (size_t)nn + 1, sizeof *keys);
  for (int64_t i = 0; i < nn; i++) keys[i] = (NodeKey){tree[i], nid[i], i};
  qsort(keys, (size_t)nn, sizeof *keys, cmp_nodekey);
  for (int64_t i = 1; i < nn; i++)
    if (keys[i].tree == keys[i - 1].tree && keys[i].node == keys[i - 1].node)
      diag_node_fatal(n, "node %lld of tree %lld is listed twice", (long long)keys[i].node,
                      (long long)keys[i].tree);
  MlcTrees *p = &f->p;
  p->nnodes = nnodes;
  p->nleaves = nleaves;
  p->nvals = nnodes;
  f->recs = alloc_i64(g, nnodes * MLC_TREE_REC);
  f->vals = arena_array(g->arena, (size_t)nnodes + 1, sizeof *f->vals);
  for (int64_t i = 0; i < nn; i++) {
    if (enc[i] < 0) continue;
    int64_t *r = f->recs + enc[i] * MLC_TREE_REC, kids[2] = {tid[i], fid[i]};
    int mode = mode_of(n, modes->strings[i]);
    if (mode == MLC_TREE_MEMBER)
      diag_node_fatal(n, "BRANCH_MEMBER needs TreeEnsemble (ai.onnx.ml opset 5)");
    check_feature(n, feat[i], features, nid[i]);
    r[0] = feat[i];
    r[1] = mode;
    r[2] = i < nmiss && miss[i] == 1;
    for (int k = 0; k < 2; k++) {
      int64_t at = find_node(keys, nn, tree[i], kids[k]);
      if (at < 0 || at == i)
        diag_node_fatal(n, "node %lld of tree %lld has %s child %lld, which is %s",
                        (long long)nid[i], (long long)tree[i], k ? "false" : "true",
                        (long long)kids[k], at < 0 ? "not in the tree" : "itself");
      r[3 + k] = enc[at];
    }
    f->vals[enc[i]] = th[i];
  }
  /* each new tree id starts a tree at its first listed node */
  f->roots = alloc_i64(g, nn);
  for (int64_t i = 0; i < nn; i++)
    if (!i || tree[i] != tree[i - 1]) f->roots[p->ntrees++] = enc[i];
  /* weights, grouped by leaf in (tree, node) order as onnxruntime sums them */
  snprintf(name, sizeof name, "%s_nodeids", pre);
  int64_t nw = ints_of(n, name, -1, 1, &wnode);
  snprintf(name, sizeof name, "%s_treeids", pre);
  ints_of(n, name, nw, nw == 0, &wtree);
  snprintf(name, sizeof name, "%s_ids", pre);
  ints_of(n, name, nw, nw == 0, &wid);
  char wname[64], tname[64];
  snprintf(wname, sizeof wname, "%s_weights", pre);
  snprintf(tname, sizeof tname, "%s_weights_as_tensor", pre);
  double *wv;
  int64_t nwv = ml_numbers(g, n, wname, tname, &wv);
  if (nwv != nw && !(nw == 0 && nwv < 0))
    diag_node_fatal(n, "'%s' must hold one weight per entry of '%s_nodeids' (%lld)", wname, pre,
                    (long long)nw);
  WeightKey *wk = arena_array(g->arena, (size_t)nw + 1, sizeof *wk);
  int64_t kept = 0;
  p->all_pos = 1;
  for (int64_t i = 0; i < nw; i++) {
    int64_t at = find_node(keys, nn, wtree[i], wnode[i]);
    if (at < 0)
      diag_node_fatal(n, "a weight names node %lld of tree %lld, which does not exist",
                      (long long)wnode[i], (long long)wtree[i]);
    if (wv[i] < 0) p->all_pos = 0;
    if (wid[i] < 0 || wid[i] >= p->ntargets)
      diag_node_fatal(n, "a weight is for %s %lld of %lld", classifier ? "class" : "target",
                      (long long)wid[i], (long long)p->ntargets);
    if (enc[at] >= 0) continue; /* not a leaf: ignored, as onnxruntime does */
    wk[kept++] = (WeightKey){-1 - enc[at], i};
  }
  qsort(wk, (size_t)kept, sizeof *wk, cmp_weightkey);
  if (!classifier && p->ntargets == 1) {
    /* onnxruntime scores one target by each leaf's first weight, or the
     * leaf's own value when it has none */
    WeightKey *one = arena_array(g->arena, (size_t)nleaves + 1, sizeof *one);
    int64_t *leaf_pos = alloc_i64(g, nleaves), m = 0;
    for (int64_t i = 0; i < nn; i++)
      if (enc[i] < 0) leaf_pos[-1 - enc[i]] = i;
    for (int64_t l = 0, w = 0; l < nleaves; l++) {
      while (w < kept && wk[w].leaf < l) w++;
      one[m++] = w < kept && wk[w].leaf == l ? wk[w] : (WeightKey){l, -1 - leaf_pos[l]};
    }
    wk = one;
    kept = m;
  }
  p->nweights = kept;
  f->lstart = alloc_i64(g, nleaves + 1);
  f->ltgt = alloc_i64(g, kept);
  f->lw = arena_array(g->arena, (size_t)kept + 1, sizeof *f->lw);
  for (int64_t i = 0; i < kept; i++) {
    f->lstart[wk[i].leaf + 1]++;
    /* pos < 0: the value of node -1 - pos */
    f->ltgt[i] = wk[i].pos < 0 ? 0 : wid[wk[i].pos];
    f->lw[i] = wk[i].pos < 0 ? th[-1 - wk[i].pos] : wv[wk[i].pos];
  }
  for (int64_t l = 0; l < nleaves; l++) f->lstart[l + 1] += f->lstart[l];
  /* two classes, weights for one of them: onnxruntime's binary case */
  p->binary = classifier && p->ntargets == 2 && nw > 0;
  for (int64_t i = 1; p->binary && i < nw; i++) p->binary = wid[i] == wid[0];
  int64_t nb = ml_numbers(g, n, "base_values", "base_values_as_tensor", &f->base);
  p->nbase = nb < 0 ? 0 : nb;
  p->post = ml_post_kind(n, attr_s(n, "post_transform", "NONE"));
  p->agg = classifier ? MLC_TREE_SUM : agg_of(n, attr_s(n, "aggregate_function", "SUM"));
}

/* ---- opset 5: TreeEnsemble -------------------------------------------------------- */

static void forest_v5(Graph *g, const Node *n, int64_t features, Forest *f) {
  const int64_t *feat, *tid, *tleaf, *fid, *fleaf, *miss, *roots, *ltgt;
  MlcTrees *p = &f->p;
  int64_t nn = ints_of(n, "nodes_featureids", -1, 0, &feat);
  ints_of(n, "nodes_truenodeids", nn, 0, &tid);
  ints_of(n, "nodes_trueleafs", nn, 0, &tleaf);
  ints_of(n, "nodes_falsenodeids", nn, 0, &fid);
  ints_of(n, "nodes_falseleafs", nn, 0, &fleaf);
  int64_t nmiss = ints_of(n, "nodes_missing_value_tracks_true", -1, 1, &miss);
  int64_t nt = ints_of(n, "tree_roots", -1, 0, &roots);
  int64_t nl = ints_of(n, "leaf_targetids", -1, 0, &ltgt);
  double *splits, *modes, *lw, *members;
  if (ml_numbers(g, n, NULL, "nodes_splits", &splits) != nn)
    diag_node_fatal(n, "'nodes_splits' must hold one value per node (%lld)", (long long)nn);
  if (ml_numbers(g, n, NULL, "nodes_modes", &modes) != nn)
    diag_node_fatal(n, "'nodes_modes' must hold one mode per node (%lld)", (long long)nn);
  if (ml_numbers(g, n, NULL, "leaf_weights", &lw) != nl)
    diag_node_fatal(n, "'leaf_weights' must hold one weight per leaf (%lld)", (long long)nl);
  int64_t nmem = ml_numbers(g, n, NULL, "membership_values", &members);
  p->nnodes = nn;
  p->nleaves = p->nweights = nl;
  f->recs = alloc_i64(g, nn * MLC_TREE_REC);
  f->vals = arena_array(g->arena, (size_t)(nn + (nmem > 0 ? nmem : 0)) + 1, sizeof *f->vals);
  memcpy(f->vals, splits, (size_t)nn * sizeof *splits);
  p->nvals = nn;
  int64_t mi = 0;
  for (int64_t i = 0; i < nn; i++) {
    int64_t *r = f->recs + i * MLC_TREE_REC, kid[2] = {tid[i], fid[i]};
    int64_t leaf[2] = {tleaf[i], fleaf[i]};
    if (!(modes[i] >= 0 && modes[i] <= MLC_TREE_MEMBER) || modes[i] != floor(modes[i]))
      diag_node_fatal(n, "node %lld has mode %g (expected 0 to 6)", (long long)i, modes[i]);
    check_feature(n, feat[i], features, i);
    r[0] = feat[i];
    r[1] = (int64_t)modes[i];
    r[2] = i < nmiss && miss[i] == 1;
    for (int k = 0; k < 2; k++) {
      if (kid[k] < 0 || kid[k] >= (leaf[k] ? nl : nn))
        diag_node_fatal(n, "node %lld has %s child %lld, beyond the %s", (long long)i,
                        k ? "false" : "true", (long long)kid[k], leaf[k] ? "leaves" : "nodes");
      r[3 + k] = leaf[k] ? -1 - kid[k] : kid[k];
    }
    if (r[1] != MLC_TREE_MEMBER) continue;
    /* this node's set: the next members up to a NaN */
    r[5] = p->nvals;
    while (mi < nmem && !isnan(members[mi])) f->vals[p->nvals++] = members[mi++];
    if (mi++ >= nmem)
      diag_node_fatal(n, "'membership_values' has no (NaN-ended) set for node %lld", (long long)i);
    r[6] = p->nvals - r[5];
  }
  f->roots = alloc_i64(g, nt);
  p->ntrees = nt;
  for (int64_t t = 0; t < nt; t++) {
    int64_t r = roots[t];
    if (r < 0 || r >= nn)
      diag_node_fatal(n, "tree %lld has root %lld of %lld nodes", (long long)t, (long long)r,
                      (long long)nn);
    /* a lone leaf: both branches the same leaf */
    f->roots[t] = tleaf[r] && fleaf[r] && tid[r] == fid[r] ? -1 - tid[r] : r;
  }
  f->lstart = alloc_i64(g, nl + 1);
  for (int64_t l = 0; l <= nl; l++) f->lstart[l] = l;
  for (int64_t l = 0; l < nl; l++)
    if (ltgt[l] < 0 || ltgt[l] >= p->ntargets)
      diag_node_fatal(n, "leaf %lld is for target %lld of %lld", (long long)l, (long long)ltgt[l],
                      (long long)p->ntargets);
  f->ltgt = (int64_t *)ltgt;
  f->lw = lw;
  int64_t agg = attr_i(n, "aggregate_function", 1), post = attr_i(n, "post_transform", 0);
  if (agg < 0 || agg > 3) diag_node_fatal(n, "aggregate_function is %lld", (long long)agg);
  if (post < 0 || post > 4) diag_node_fatal(n, "post_transform is %lld", (long long)post);
  /* the numbering is the spec's (1 SOFTMAX, 2 LOGISTIC), which is
   * MLC_ML_*'s; onnxruntime 1.31 swaps the two */
  p->agg = agg;
  p->post = post;
}

/* ---- the ops ------------------------------------------------------------------------- */

static void forest_read(Graph *g, const Node *n, Forest *f) {
  const Value *x = n->in[0];
  int64_t features;
  memset(f, 0, sizeof *f);
  MlcTrees *p = &f->p;
  p->classifier = n->op == OP_TreeEnsembleClassifier;
  if (n->op == OP_TreeEnsemble && x->dtype != DT_FLOAT && x->dtype != DT_DOUBLE)
    diag_node_fatal(n, "input is %s; TreeEnsemble takes float or double", dtype_name(x->dtype));
  ml_check_input(n, x);
  ml_rows(n, x, 1, &p->rows, &features);
  p->features = features;
  p->x_t = x->dtype == DT_DOUBLE ? DT_DOUBLE : DT_FLOAT;
  p->y_t = n->op == OP_TreeEnsemble ? p->x_t : DT_FLOAT;
  if (p->classifier) {
    ml_no_strings(n, "classlabels_strings");
    int k = attr_ints(n, "classlabels_int64s", &f->labels);
    if (k < 2)
      diag_node_fatal(n, "a classifier needs at least two class labels (classlabels_int64s)");
    p->ntargets = k;
  } else {
    p->ntargets = attr_i(n, "n_targets", 1);
    if (p->ntargets < 1 || p->ntargets > ((int64_t)1 << 31))
      diag_node_fatal(n, "n_targets is %lld", (long long)p->ntargets);
  }
  if (n->op == OP_TreeEnsemble)
    forest_v5(g, n, features, f);
  else
    forest_v3(g, n, p->classifier, features, f);
  /* base values of another count are ignored, as onnxruntime does, except
   * that more than a classifier's classes is an error */
  if (p->classifier && p->ntargets > 2 && p->nbase > p->ntargets)
    diag_node_fatal(n, "base_values has %lld values for %lld classes", (long long)p->nbase,
                    (long long)p->ntargets);
}

void infer_TreeEnsemble(Graph *g, Node *n) {
  Forest f;
  forest_read(g, n, &f);
  int64_t d[2] = {f.p.rows, f.p.ntargets};
  int z = f.p.classifier;
  if (z && n->out[0]) {
    set_shape_checked(n, n->out[0], 1, &f.p.rows);
    n->out[0]->dtype = DT_INT64;
  }
  Value *y = z ? (n->nout > 1 ? n->out[1] : NULL) : n->out[0];
  if (y) {
    set_shape_checked(n, y, 2, d);
    y->dtype = f.p.y_t;
  }
}

void lower_TreeEnsemble(Graph *g, Node *n, Lowering *L) {
  Forest f;
  forest_read(g, n, &f);
  MlcTrees *p = &f.p;
  int64_t nl = p->classifier ? p->ntargets : 0;
  int64_t ni = p->ntrees + p->nnodes * MLC_TREE_REC + p->nleaves + 1 + p->nweights + nl;
  int64_t nv = p->nvals + p->nweights + p->nbase;
  int64_t *ints = alloc_i64(g, ni), *at = ints;
  double *vals = arena_array(g->arena, (size_t)nv + 1, sizeof *vals);
#define PUT(dst, src, count)                                             \
  do {                                                                   \
    if ((count) != 0) memcpy(dst, src, (size_t)(count) * sizeof *(dst)); \
    dst += count;                                                        \
  } while (0)
  PUT(at, f.roots, p->ntrees);
  PUT(at, f.recs, p->nnodes * MLC_TREE_REC);
  PUT(at, f.lstart, p->nleaves + 1);
  PUT(at, f.ltgt, p->nweights);
  PUT(at, f.labels, nl);
  double *v = vals;
  PUT(v, f.vals, p->nvals);
  PUT(v, f.lw, p->nweights);
  PUT(v, f.base, p->nbase);
#undef PUT
  /* the y buffer must exist for the kernel even when unused */
  int64_t d[2] = {p->rows, p->ntargets};
  Value *y = p->classifier ? (n->nout > 1 ? n->out[1] : NULL) : n->out[0];
  if (!y) y = lower_temp(g, p->y_t, 2, d);
  KCall *c = lower_add(g, L, K_tree_ensemble);
  *KC_PARAMS(c, MlcTrees) = *p;
  int64_t words = 2 * p->ntargets;
  c->io[MLC_TREE_ENSEMBLE_X] =
      p->x_t == n->in[0]->dtype ? n->in[0] : lower_as_type(g, L, n->in[0], DT_FLOAT);
  c->io[MLC_TREE_ENSEMBLE_INTS] = ml_const(g, DT_INT64, ni, DT_INT64, ints);
  c->io[MLC_TREE_ENSEMBLE_VALS] = ml_const(g, DT_DOUBLE, nv, DT_DOUBLE, vals);
  c->io[MLC_TREE_ENSEMBLE_Y] = y;
  c->io[MLC_TREE_ENSEMBLE_LABEL] = p->classifier ? n->out[0] : NULL;
  c->io[MLC_TREE_ENSEMBLE_SCRATCH] = lower_temp(g, DT_DOUBLE, 1, &words);
  c->nio = MLC_TREE_ENSEMBLE_NIO;
}
