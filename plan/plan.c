/* Lowering and static memory planning.
 *
 * Every node is lowered to runtime calls (views to none: their output shares
 * input 0's bytes). An op whose output is its inputs side by side (Concat)
 * has the inputs made only for it written there by their producers, where
 * each is one run of the output's bytes (a view of the output at its
 * offset), and copies only the rest. An intermediate lives from the first
 * step that touches it to the last; two values may share bytes only if
 * their lifetimes do not overlap, or if an elementwise call writes its
 * output over an input that dies there (in-place). Placement is greedy:
 * each allocation at the lowest offset that clears every already-placed one
 * it overlaps in time, in a few orders (largest first, largest area,
 * longest, earliest), keeping the smallest arena. The string region
 * (ir_string_region) spans every step. Graph inputs, outputs and constants
 * never enter the arena: generated code reads and writes the caller's
 * buffers directly.
 */
#include "plan.h"

#include <stdlib.h>
#include <string.h>

#include "diag.h"

Value *plan_root(Value *v) {
  while (v->view_of) v = v->view_of;
  return v;
}

int64_t plan_view_off(const Value *v) {
  int64_t off = 0;
  for (; v->view_of; v = v->view_of) off += v->view_off;
  return off;
}

static int64_t align_up(int64_t x) { return (x + PLAN_ALIGN - 1) / PLAN_ALIGN * PLAN_ALIGN; }

typedef struct Live {
  Value *v;
  int first, last;
  int64_t size;
  int unit; /* the allocation it shares (in-place reuse joins values) */
} Live;

/* an allocation: one value, or several joined by in-place reuse */
typedef struct Unit {
  int first, last;
  int64_t size, off;
} Unit;

static int in_arena(const Value *root) {
  return !root->data && !root->is_input && !root->is_output && !root->local;
}

/* Placement orders tried; the smallest arena wins. Largest first is the usual
 * winner; the others help when long-lived small values fragment it. */
static int cmp_i64(int64_t a, int64_t b) { return a < b ? -1 : a > b; }
static int by_size(const Unit *x, const Unit *y) {
  return cmp_i64(y->size, x->size) ? cmp_i64(y->size, x->size) : x->first - y->first;
}
static int by_start(const Unit *x, const Unit *y) {
  return x->first != y->first ? x->first - y->first : cmp_i64(y->size, x->size);
}
static int by_area(const Unit *x, const Unit *y) {
  int64_t ax = x->size * (x->last - x->first + 1), ay = y->size * (y->last - y->first + 1);
  return cmp_i64(ay, ax) ? cmp_i64(ay, ax) : by_size(x, y);
}
static int by_length(const Unit *x, const Unit *y) {
  int lx = x->last - x->first, ly = y->last - y->first;
  return lx != ly ? ly - lx : by_size(x, y);
}
static int (*const orders[])(const Unit *, const Unit *) = {by_size, by_area, by_length, by_start};

static const Unit *sort_units;
static int (*sort_cmp)(const Unit *, const Unit *);
static int cmp_index(const void *a, const void *b) {
  int i = *(const int *)a, j = *(const int *)b;
  int c = sort_cmp(&sort_units[i], &sort_units[j]);
  return c ? c : i - j; /* deterministic */
}

static int by_off(const void *a, const void *b) {
  const Unit *x = *(Unit *const *)a, *y = *(Unit *const *)b;
  return cmp_i64(x->off, y->off);
}

/* lowest offset where u clears every placed unit overlapping it in time */
static int64_t first_fit(const Unit *u, Unit **placed, int nplaced, Unit **tmp) {
  int k = 0;
  for (int i = 0; i < nplaced; i++)
    if (placed[i]->first <= u->last && u->first <= placed[i]->last) tmp[k++] = placed[i];
  if (k) qsort(tmp, (size_t)k, sizeof *tmp, by_off);
  int64_t off = 0;
  for (int i = 0; i < k; i++) {
    if (off + u->size <= tmp[i]->off) break;
    if (tmp[i]->off + tmp[i]->size > off) off = tmp[i]->off + tmp[i]->size;
  }
  return off;
}

/* greedy placement in one order; returns the arena size */
static int64_t place_in_order(Unit *u, int n, const int *order, Unit **placed, Unit **tmp) {
  int64_t top = 0;
  for (int i = 0; i < n; i++) {
    Unit *x = &u[order[i]];
    x->off = first_fit(x, placed, i, tmp);
    placed[i] = x;
    if (x->off + x->size > top) top = x->off + x->size;
  }
  return top;
}

static void place(Plan *p, Live *lives, int n, Unit *units, int nunits) {
  Arena *a = p->g->arena;
  Unit **placed = arena_array(a, (size_t)nunits + 1, sizeof *placed);
  Unit **tmp = arena_array(a, (size_t)nunits + 1, sizeof *tmp);
  int *order = arena_array(a, (size_t)nunits + 1, sizeof *order);
  int64_t *best_off = arena_array(a, (size_t)nunits + 1, sizeof *best_off);
  int64_t best = -1;
  for (size_t k = 0; k < sizeof orders / sizeof *orders; k++) {
    for (int i = 0; i < nunits; i++) order[i] = i;
    sort_units = units;
    sort_cmp = orders[k];
    if (nunits) qsort(order, (size_t)nunits, sizeof *order, cmp_index);
    int64_t top = place_in_order(units, nunits, order, placed, tmp);
    if (best < 0 || top < best) {
      best = top;
      for (int i = 0; i < nunits; i++) best_off[i] = units[i].off;
    }
  }
  p->arena_bytes = best < 0 ? 0 : best;
  for (int i = 0; i < n; i++) lives[i].v->offset = best_off[lives[i].unit];
  /* lower bound: the most bytes live at one step */
  int64_t *live = arena_array(a, (size_t)p->nsteps + 1, sizeof *live);
  for (int i = 0; i < nunits; i++)
    for (int s = units[i].first; s <= units[i].last; s++) live[s] += units[i].size;
  for (int s = 0; s < p->nsteps; s++)
    if (live[s] > p->lower_bound) p->lower_bound = live[s];
}

/* The output of an elementwise call may take the bytes of its first input
 * when that input is read for the last time here, has the output's shape (no
 * broadcast: element i is read before element i is written) and no later
 * call of the same step reads it. */
static int inplace_source(const Step *st, int c, const Live *lives, int s) {
  const KCall *k = &st->calls[c];
  int nin = ktab[k->kernel].ew_arity;
  /* an ew kernel's first input and its output (MLC_EW1_*, MLC_EW2_*, MLC_EW3_*: the
   * output follows the nin inputs) */
  Value *x = k->io[0], *y = k->io[nin];
  if (!nin || !x || !y) return -1;
  Value *in = plan_root(x), *out = plan_root(y);
  if (!in_arena(in) || !in_arena(out) || in == out || in->plan_index < 0 || out->plan_index < 0)
    return -1;
  if (ir_nbytes(in) != ir_nbytes(out) || !ir_same_shape(x, y)) return -1;
  if (lives[in->plan_index].last != s || lives[out->plan_index].first != s) return -1;
  for (int j = 1; j < nin; j++)
    if (k->io[j] && plan_root(k->io[j]) == in) return -1;
  /* no later call of the step reads the input, no earlier one touched the output */
  for (int c2 = 0; c2 < st->ncalls; c2++) {
    if (c2 == c) continue;
    Value *watch = c2 > c ? in : out;
    for (int j = 0; j < st->calls[c2].nio; j++)
      if (st->calls[c2].io[j] && plan_root(st->calls[c2].io[j]) == watch) return -1;
  }
  return in->plan_index;
}

/* A fused loop reads every operand element before it stores that element of
 * its output, so the output may take the bytes of any operand of its shape
 * that dies here. */
static int inplace_fused(const Step *st, const Live *lives, int s) {
  const KCall *last = &st->calls[st->ncalls - 1];
  Value *out = plan_root(last->io[ktab[last->kernel].ew_arity]);
  if (!in_arena(out) || out->plan_index < 0 || lives[out->plan_index].first != s) return -1;
  for (int c = 0; c < st->ncalls; c++)
    for (int j = 0; j < ktab[st->calls[c].kernel].ew_arity; j++) {
      Value *v = st->calls[c].io[j], *in = plan_root(v);
      if (!in_arena(in) || in->plan_index < 0 || lives[in->plan_index].last != s) continue;
      if (ir_nbytes(in) == ir_nbytes(out) && ir_same_shape(v, out)) {
        /* every read of it must be at the output's element */
        int ok = 1;
        for (int c2 = 0; c2 < st->ncalls; c2++)
          for (int j2 = 0; j2 < ktab[st->calls[c2].kernel].ew_arity; j2++)
            if (plan_root(st->calls[c2].io[j2]) == in && !ir_same_shape(st->calls[c2].io[j2], out))
              ok = 0;
        if (ok) return in->plan_index;
      }
    }
  return -1;
}

/* The inputs of OPF_JOINS node n that can be views of its output: made by
 * a node for it alone, placed in the arena, at an offset the plan's
 * alignment keeps. Not with run-time dims, where the offsets would follow
 * them. */
static void inputs_in_place(const Graph *g, Node *n) {
  Value *y = n->out[0];
  if (ir_runtime_dims(g) || !in_arena(y) || y->view_of || y->dtype == DT_STRING) return;
  for (int i = 0; i < n->nin; i++) {
    Value *v = n->in[i];
    int64_t off = input_run_offset(n, i);
    if (off < 0 || off % PLAN_ALIGN || !v->producer || !in_arena(v) || v->view_of ||
        v->nusers != 1 || !ir_nbytes(v))
      continue;
    int once = 1;
    for (int j = 0; j < n->nin; j++) once &= j == i || n->in[j] != v;
    if (once) {
      v->view_of = y;
      v->view_off = off;
    }
  }
}

static int find_unit(int *parent, int x) {
  while (parent[x] != x) x = parent[x] = parent[parent[x]];
  return x;
}

Plan *plan_build(Graph *g) {
  Arena *a = g->arena;
  Plan *p = arena_alloc(a, sizeof *p);
  p->g = g;
  for (int i = 0; i < g->nvalues; i++) {
    g->values[i]->view_of = NULL;
    g->values[i]->view_off = 0;
    g->values[i]->offset = -1;
  }
  ir_rebuild_uses(g);
  p->steps = arena_array(a, (size_t)g->nnodes + 1, sizeof *p->steps);
  for (int i = 0; i < g->nnodes; i++) {
    Node *n = g->nodes[i];
    const OpInfo *op = &optab[n->op];
    Lowering L = {0};
    L.target = ir_target(g);
    if (op->flags & OPF_VIEW) {
      /* a view that is a graph output must fill the caller's buffer */
      if (!n->out[0]->is_output) {
        n->out[0]->view_of = n->in[0];
        continue;
      }
      lower_copy_all(g, &L, n->in[0], n->out[0]);
    } else {
      if (op->flags & OPF_JOINS) inputs_in_place(g, n);
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
  for (int i = 0; i < g->nvalues; i++) g->values[i]->plan_index = -1;
  int nconsts = 0;
  size_t ccap = 0;
  for (int s = 0; s < p->nsteps; s++) {
    for (int c = 0; c < p->steps[s].ncalls; c++) {
      KCall *k = &p->steps[s].calls[c];
      for (int j = 0; j < k->nio; j++) {
        if (!k->io[j]) continue;
        Value *r = plan_root(k->io[j]);
        if (r->data && r->plan_index < 0) {
          r->plan_index = nconsts;
          p->consts = arena_grow(a, p->consts, &ccap, (size_t)nconsts + 1, sizeof *p->consts);
          p->consts[nconsts++] = r;
          continue;
        }
        if (!in_arena(r)) continue;
        if (r->plan_index < 0) {
          lives = arena_grow(a, lives, &cap, (size_t)n + 1, sizeof *lives);
          r->plan_index = n;
          lives[n++] = (Live){r, s, s, align_up((int64_t)ir_nbytes(r)), 0};
        }
        lives[r->plan_index].last = s;
      }
    }
  }
  /* The string region lives for the whole run: string outputs may point
   * into it until the next run with the same arena. */
  Graph *top = g;
  while (top->parent) top = top->parent;
  if (top->strings && top->strings->plan_index >= 0 && p->nsteps) {
    lives[top->strings->plan_index].first = 0;
    lives[top->strings->plan_index].last = p->nsteps - 1;
  }
  /* outputs known at compile time are copied from a constant */
  for (int i = 0; i < g->noutputs; i++) {
    Value *r = g->outputs[i];
    if (r->data && r->plan_index < 0) {
      r->plan_index = nconsts;
      p->consts = arena_grow(a, p->consts, &ccap, (size_t)nconsts + 1, sizeof *p->consts);
      p->consts[nconsts++] = r;
    }
  }
  p->nconsts = nconsts;
  p->narena = n;
  p->arena_vals = arena_array(a, (size_t)n + 1, sizeof *p->arena_vals);
  for (int i = 0; i < n; i++) p->arena_vals[i] = lives[i].v;
  /* in-place reuse joins an output to its input's allocation */
  int *parent = arena_array(a, (size_t)n + 1, sizeof *parent);
  for (int i = 0; i < n; i++) parent[i] = i;
  for (int s = 0; s < p->nsteps; s++) {
    const Step *st = &p->steps[s];
    int fused = st->node && (optab[st->node->op].flags & OPF_FUSED);
    for (int c = fused ? st->ncalls - 1 : 0; c < st->ncalls; c++) {
      int src = fused ? inplace_fused(st, lives, s) : inplace_source(st, c, lives, s);
      if (src < 0) continue;
      const KCall *k = &st->calls[c];
      int dst = plan_root(k->io[ktab[k->kernel].ew_arity])->plan_index;
      parent[find_unit(parent, dst)] = find_unit(parent, src);
      p->ninplace++;
    }
  }
  int nunits = 0;
  int *unit_of = arena_array(a, (size_t)n + 1, sizeof *unit_of);
  for (int i = 0; i < n; i++) unit_of[i] = -1;
  Unit *units = arena_array(a, (size_t)n + 1, sizeof *units);
  for (int i = 0; i < n; i++) {
    int r = find_unit(parent, i);
    if (unit_of[r] < 0) {
      unit_of[r] = nunits;
      units[nunits++] = (Unit){lives[i].first, lives[i].last, lives[i].size, 0};
    }
    Unit *u = &units[unit_of[r]];
    lives[i].unit = unit_of[r];
    if (lives[i].first < u->first) u->first = lives[i].first;
    if (lives[i].last > u->last) u->last = lives[i].last;
    if (lives[i].size > u->size) u->size = lives[i].size;
  }
  place(p, lives, n, units, nunits);
  return p;
}
