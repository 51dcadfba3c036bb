/* TfIdfVectorizer (ai.onnx, opset 9 on): per row of tokens, the counts of
 * the n-grams of a pool given as attributes, weighted.
 *
 * The semantics are the ONNX reference's (which follows onnxruntime's):
 * ngram_counts splits pool_int64s into runs of 1-grams, 2-grams, ...; the
 * i-th n-gram of the pool, counting every size, is counted in output column
 * ngram_indexes[i], and a repeated n-gram in the column of its last
 * occurrence. Only sizes min_gram_length..max_gram_length are looked for,
 * at every position of a row with tokens 1 to max_skip_count + 1 apart;
 * unigrams, which no distance changes, are counted once. TF keeps the
 * counts, IDF turns them into 0 or 1, and both IDF and TFIDF multiply by
 * the weight of the output column (1 without weights).
 *
 * The pool is known at compile time, so it becomes one constant table of
 * every n-gram that can count, sorted and without repeats, grouped by size,
 * which the runtime's tfidf kernel binary-searches; the rest of the
 * attributes become its parameters. Every attribute is checked here, so the
 * kernel's table lookups and column writes stay in bounds. mlc has no
 * string tensors: string pools and inputs are refused.
 */
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "ops.h"

/* output columns beyond this are certainly a mistake (and out + 1 cannot
 * overflow); the driver limits the output's size further */
#define MAX_COLUMN ((int64_t)1 << 40)

/* one n-gram of the pool that can count */
typedef struct Gram {
  const int64_t *tok;
  int64_t n, seq, col;
} Gram;

/* the checked attributes; grams only when a table is wanted */
typedef struct TfIdf {
  int64_t out, min, max, skip;
  int idf;
  Gram *grams;
  int64_t ngrams;
  const double *w;
  int nw;
} TfIdf;

/* by size, then tokens, then pool order, so the last of a run of repeats is
 * the one that counts */
static int gram_cmp(const void *pa, const void *pb) {
  const Gram *a = pa, *b = pb;
  if (a->n != b->n) return a->n < b->n ? -1 : 1;
  for (int64_t j = 0; j < a->n; j++)
    if (a->tok[j] != b->tok[j]) return a->tok[j] < b->tok[j] ? -1 : 1;
  return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static void tfidf_parse(Graph *g, const Node *n, TfIdf *t, int want_grams) {
  const Value *x = n->in[0];
  ml_no_strings(n, "pool_strings");
  if (x->dtype != DT_INT64 && x->dtype != DT_INT32)
    diag_node_fatal(n, "input is %s; mlc's TfIdfVectorizer takes int32 or int64 tokens",
                    dtype_name(x->dtype));
  if (x->rank > 2) diag_node_fatal(n, "input must be [C] or [N, C], not rank %d", x->rank);
  const char *mode = attr_s(n, "mode", "");
  if (strcmp(mode, "TF") && strcmp(mode, "IDF") && strcmp(mode, "TFIDF"))
    diag_node_fatal(n, "mode must be TF, IDF or TFIDF, not '%s'", mode);
  t->idf = !strcmp(mode, "IDF");
  t->min = attr_i(n, "min_gram_length", 0);
  t->max = attr_i(n, "max_gram_length", 0);
  t->skip = attr_i(n, "max_skip_count", 0);
  if (t->min < 1 || t->max < t->min)
    diag_node_fatal(n, "need 1 <= min_gram_length <= max_gram_length (got %lld and %lld)",
                    (long long)t->min, (long long)t->max);
  if (t->skip < 0)
    diag_node_fatal(n, "max_skip_count must not be negative (got %lld)", (long long)t->skip);

  const int64_t *pool, *counts, *idx;
  int np = attr_ints(n, "pool_int64s", &pool);
  int nc = attr_ints(n, "ngram_counts", &counts);
  int ni = attr_ints(n, "ngram_indexes", &idx);
  if (np < 0 || nc < 0 || ni <= 0)
    diag_node_fatal(n, "pool_int64s, ngram_counts and ngram_indexes must be given");
  t->out = 0;
  for (int i = 0; i < ni; i++) {
    if (idx[i] < 0 || idx[i] >= MAX_COLUMN)
      diag_node_fatal(n, "ngram_indexes[%d] = %lld is out of range", i, (long long)idx[i]);
    if (idx[i] + 1 > t->out) t->out = idx[i] + 1;
  }
  for (int i = 0; i < nc; i++)
    if (counts[i] < (i ? counts[i - 1] : 0) || counts[i] > np)
      diag_node_fatal(n,
                      "ngram_counts must not decrease and stay within the pool's %d "
                      "entries (entry %d is %lld)",
                      np, i, (long long)counts[i]);
  /* n-grams past the longest run's size never count */
  if (t->max > nc) t->max = nc;

  t->nw = t->idf || !strcmp(mode, "TFIDF") ? attr_floats(n, "weights", &t->w) : -1;
  if (t->nw > 0 && t->nw < t->out)
    diag_node_fatal(n, "weights has %d entries, fewer than the %lld output columns", t->nw,
                    (long long)t->out);

  /* the pool's n-grams in order; id counts every size, as the columns do */
  t->grams = want_grams ? arena_array(g->arena, (size_t)np + 1, sizeof *t->grams) : NULL;
  t->ngrams = 0;
  int64_t id = 0;
  for (int i = 0; i < nc; i++) {
    int64_t size = i + 1, end = i + 1 < nc ? counts[i + 1] : np;
    int64_t k = (end - counts[i]) / size;
    if (size < t->min || size > t->max) {
      id += k;
      continue;
    }
    if (id + k > ni)
      diag_node_fatal(n, "ngram_indexes has %d entries, fewer than the pool's n-grams", ni);
    for (int64_t j = 0; j < k && t->grams; j++)
      t->grams[t->ngrams++] = (Gram){pool + counts[i] + j * size, size, id + j, idx[id + j]};
    id += k;
  }
}

void infer_TfIdfVectorizer(Graph *g, Node *n) {
  TfIdf t;
  tfidf_parse(g, n, &t, 0);
  const Value *x = n->in[0];
  int64_t dims[2] = {x->rank == 2 ? x->dims[0] : t.out, t.out};
  set_shape_checked(n, n->out[0], x->rank == 2 ? 2 : 1, x->rank == 2 ? dims : dims + 1);
  n->out[0]->dtype = DT_FLOAT;
}

/* the kernel's table: per size 0..max the offset and count of its entries,
 * then the entries (tokens, column), repeats dropped */
static Value *tfidf_table(Graph *g, TfIdf *t) {
  qsort(t->grams, (size_t)t->ngrams, sizeof *t->grams, gram_cmp);
  int64_t head = 2 * (t->max + 1), len = head;
  for (int64_t i = 0; i < t->ngrams; i++) len += t->grams[i].n + 1;
  int64_t *tab = arena_array(g->arena, (size_t)len, sizeof *tab);
  memset(tab, 0, (size_t)head * sizeof *tab);
  int64_t at = head;
  for (int64_t i = 0; i < t->ngrams; i++) {
    const Gram *e = &t->grams[i];
    if (i + 1 < t->ngrams && e->n == e[1].n &&
        !memcmp(e->tok, e[1].tok, (size_t)e->n * sizeof *e->tok))
      continue; /* a later repeat follows */
    if (!tab[2 * e->n + 1]) tab[2 * e->n] = at;
    tab[2 * e->n + 1]++;
    memcpy(tab + at, e->tok, (size_t)e->n * sizeof *tab);
    tab[at + e->n] = e->col;
    at += e->n + 1;
  }
  return ml_const(g, DT_INT64, at, DT_INT64, tab);
}

void lower_TfIdfVectorizer(Graph *g, Node *n, Lowering *L) {
  TfIdf t;
  tfidf_parse(g, n, &t, 1);
  const Value *x = n->in[0];
  KCall *c = lower_add(g, L, K_tfidf);
  MlcTfIdf *p = KC_PARAMS(c, MlcTfIdf);
  p->rows = x->rank == 2 ? x->dims[0] : 1;
  p->cols = x->rank ? x->dims[x->rank - 1] : 1;
  p->out = t.out;
  p->min = t.min;
  p->max = t.max;
  /* tokens cols or more apart never make an n-gram of two */
  p->skip = t.skip < p->cols ? t.skip : p->cols;
  p->x_bits = x->dtype == DT_INT32 ? 32 : 64;
  p->idf = t.idf;
  c->io[MLC_TFIDF_X] = n->in[0];
  c->io[MLC_TFIDF_TABLE] = tfidf_table(g, &t);
  c->io[MLC_TFIDF_WEIGHTS] = t.nw > 0 ? ml_const(g, DT_DOUBLE, t.out, DT_DOUBLE, t.w) : NULL;
  c->io[MLC_TFIDF_Y] = n->out[0];
  c->nio = MLC_TFIDF_NIO;
}
