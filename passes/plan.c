/* Lowering and static memory planning.
 *
 * Every node is lowered to runtime calls (views to none: their output shares
 * input 0's bytes). An intermediate lives from the first step that touches it
 * to the last; two values may share bytes only if their lifetimes do not
 * overlap. Placement is greedy by size, largest first, each at the lowest
 * offset that clears every already-placed value it overlaps in time: the
 * classic heuristic, near the lower bound (peak live bytes) on the CNNs and
 * transformers we measured. Graph inputs, outputs and constants never enter
 * the arena: generated code reads and writes the caller's buffers directly.
 */
#include "plan.h"

#include <stdlib.h>
#include <string.h>

#include "diag.h"

Value *plan_root(Value *v) {
  while (v->view_of) v = v->view_of;
  return v;
}

static int64_t align_up(int64_t x) { return (x + PLAN_ALIGN - 1) / PLAN_ALIGN * PLAN_ALIGN; }

typedef struct Live {
  Value *v;
  int first, last;
  int64_t size;
} Live;

static int by_size(const void *a, const void *b) {
  const Live *x = a, *y = b;
  if (x->size != y->size) return x->size > y->size ? -1 : 1;
  if (x->first != y->first) return x->first - y->first;
  return x->v->id - y->v->id;
}

static int by_offset(const void *a, const void *b) {
  const Live *x = *(Live *const *)a, *y = *(Live *const *)b;
  return x->v->offset < y->v->offset ? -1 : x->v->offset > y->v->offset;
}

static int in_arena(const Value *root) {
  return !root->data && !root->is_input && !root->is_output;
}

/* lowest offset where `size` bytes clear every placed value overlapping in time */
static int64_t first_fit(Live *cur, Live **placed, int nplaced, Live **tmp) {
  int k = 0;
  for (int i = 0; i < nplaced; i++)
    if (placed[i]->first <= cur->last && cur->first <= placed[i]->last) tmp[k++] = placed[i];
  if (k) qsort(tmp, (size_t)k, sizeof *tmp, by_offset);
  int64_t off = 0;
  for (int i = 0; i < k; i++) {
    int64_t lo = tmp[i]->v->offset, hi = lo + tmp[i]->size;
    if (off + cur->size <= lo) break;
    if (hi > off) off = hi;
  }
  return off;
}

static void place(Plan *p, Live *lives, int n) {
  Arena *a = p->g->arena;
  if (n) qsort(lives, (size_t)n, sizeof *lives, by_size);
  Live **placed = arena_array(a, (size_t)n + 1, sizeof *placed);
  Live **tmp = arena_array(a, (size_t)n + 1, sizeof *tmp);
  int64_t top = 0;
  for (int i = 0; i < n; i++) {
    lives[i].v->offset = first_fit(&lives[i], placed, i, tmp);
    placed[i] = &lives[i];
    if (lives[i].v->offset + lives[i].size > top) top = lives[i].v->offset + lives[i].size;
  }
  p->arena_bytes = top;
  /* lower bound: the most bytes live at one step */
  int64_t *live = arena_array(a, (size_t)p->nsteps + 1, sizeof *live);
  for (int i = 0; i < n; i++)
    for (int s = lives[i].first; s <= lives[i].last; s++) live[s] += lives[i].size;
  for (int s = 0; s < p->nsteps; s++)
    if (live[s] > p->lower_bound) p->lower_bound = live[s];
}

Plan *plan_build(Graph *g) {
  Arena *a = g->arena;
  Plan *p = arena_alloc(a, sizeof *p);
  p->g = g;
  for (int i = 0; i < g->nvalues; i++) {
    g->values[i]->view_of = NULL;
    g->values[i]->offset = -1;
  }
  p->steps = arena_array(a, (size_t)g->nnodes + 1, sizeof *p->steps);
  for (int i = 0; i < g->nnodes; i++) {
    Node *n = g->nodes[i];
    const OpInfo *op = &optab[n->op];
    Lowering L = {0};
    if (op->flags & OPF_VIEW) {
      /* a view that is a graph output must fill the caller's buffer */
      if (!n->out[0]->is_output) {
        n->out[0]->view_of = n->in[0];
        continue;
      }
      lower_copy_all(g, &L, n->in[0], n->out[0]);
    } else {
      op->lower(g, n, &L);
    }
    Step *s = &p->steps[p->nsteps++];
    s->node = n;
    s->calls = L.calls;
    s->ncalls = L.ncalls;
  }
  /* lifetimes over steps; values are collected in first-use order */
  int n = 0;
  size_t cap = 0;
  Live *lives = NULL;
  for (int i = 0; i < g->nvalues; i++) g->values[i]->mark = -1;
  int nconsts = 0;
  size_t ccap = 0;
  for (int s = 0; s < p->nsteps; s++) {
    for (int c = 0; c < p->steps[s].ncalls; c++) {
      KCall *k = &p->steps[s].calls[c];
      for (int j = 0; j < k->nio; j++) {
        if (!k->io[j]) continue;
        Value *r = plan_root(k->io[j]);
        if (r->data && r->mark < 0) {
          r->mark = nconsts;
          p->consts = arena_grow(a, p->consts, &ccap, (size_t)nconsts + 1, sizeof *p->consts);
          p->consts[nconsts++] = r;
          continue;
        }
        if (!in_arena(r)) continue;
        if (r->mark < 0) {
          lives = arena_grow(a, lives, &cap, (size_t)n + 1, sizeof *lives);
          r->mark = n;
          lives[n++] = (Live){r, s, s, align_up((int64_t)ir_nbytes(r))};
        }
        lives[r->mark].last = s;
      }
    }
  }
  /* outputs known at compile time are copied from a constant */
  for (int i = 0; i < g->noutputs; i++) {
    Value *r = g->outputs[i];
    if (r->data && r->mark < 0) {
      r->mark = nconsts;
      p->consts = arena_grow(a, p->consts, &ccap, (size_t)nconsts + 1, sizeof *p->consts);
      p->consts[nconsts++] = r;
    }
  }
  p->nconsts = nconsts;
  p->narena = n;
  p->arena_vals = arena_array(a, (size_t)n + 1, sizeof *p->arena_vals);
  for (int i = 0; i < n; i++) p->arena_vals[i] = lives[i].v;
  place(p, lives, n);
  return p;
}
