#!/usr/bin/env python3
"""Run-time dims against static compiles: the speed of a model compiled
once with ranges (mlc compile --dim NAME=LO..HI) at its largest extents and
at smaller ones, against the model compiled with those extents fixed, same
machine, same run.

Both builds are planned for this machine (--target=native, weights in a
file) and linked into one program (prefixes s and d) with the runtime
bench/run.py builds (build/bench/cmake, -march=native; or --mlc's build),
fed the same inputs. After a warm-up they take turns in timed blocks of
about 20 ms, the order alternating, and the table gives the median CPU time
per run of each and their ratio (ranges / static: 1.05 is 5 % slower). The
outputs of the two are compared too (they run the same kernels on the same
numbers, so they must agree to rounding).

Models: the seed MLP (batch 1..16), the BERT-style encoder of
tests/dims/check_dims.py (batch 1..4, seq 1..64), and from the zoo folder
when exported (models/export_zoo.py bert_tiny_dims crnn): BERT-tiny (batch
1..4, seq 1..128) and the CNN + LSTM text-line recognizer (width 16..256).

Writes dims.md into --out (bench/ by default; the README links it).

usage: dims.py [--mlc BUILD/mlc] [--zoo DIR] [--out DIR] [--rounds N] [--models a,b]"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnx

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "dims"))
import run as bench  # noqa: E402
from check_dims import encoder  # noqa: E402

CTYPES = {onnx.TensorProto.FLOAT: ("float", np.float32),
          onnx.TensorProto.INT64: ("int64_t", np.int64)}

# name: (source or maker, {dim: (lo, hi)}, extents to time, in dim order)
MODELS = [
    ("mlp", os.path.join(ROOT, "models", "mlp.onnxtxt"), {"batch": (1, 16)},
     [(16,), (4,), (3,), (2,), (1,)]),
    ("encoder", encoder, {"batch": (1, 4), "seq": (1, 64)}, [(4, 64), (1, 64), (1, 16)]),
    ("bert_tiny_dims", None, {"batch": (1, 4), "seq": (1, 128)},
     [(4, 128), (1, 128), (1, 32)]),
    ("crnn", None, {"width": (16, 256)}, [(256,), (128,), (64,)]),
]

DRIVER = r"""#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "s.h"
#include "d.h"

static void *slurp(const char *path) {
  FILE *f = fopen(path, "rb");
  long n;
  void *b;
  if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) exit(2);
  b = malloc((size_t)n + 1);
  if (!b || fread(b, 1, (size_t)n, f) != (size_t)n) exit(2);
  fclose(f);
  return b;
}
static long size_of(const char *path) {
  FILE *f = fopen(path, "rb");
  long n = -1;
  if (f && !fseek(f, 0, SEEK_END)) n = ftell(f);
  if (f) fclose(f);
  return n;
}
static double cpu_now(void) {
  struct timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}
static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}
%(decls)s
static int run_s(void) { return s_run(%(sargs)s); }
static int run_d(void) { return d_run(%(dims)s, %(dargs)s); }

int main(int argc, char **argv) {
  int rounds = atoi(argv[3]), k, r, e, i;
  int (*run[2])(void) = {run_s, run_d};
  double *t[2], one, c;
  int64_t reps;
  if (s_load_weights(slurp(argv[1]), (size_t)size_of(argv[1])) != S_OK) return 3;
  if (d_load_weights(slurp(argv[2]), (size_t)size_of(argv[2])) != D_OK) return 3;
%(fill)s
  for (e = 0; e < 2; e++)
    for (k = 0; k < 3; k++)
      if (run[e]()) return 4;
  c = cpu_now();
  run_s();
  one = cpu_now() - c;
  reps = one > 0.02 ? 1 : (int64_t)(0.02 / (one > 1e-7 ? one : 1e-7));
  t[0] = calloc((size_t)rounds, sizeof(double));
  t[1] = calloc((size_t)rounds, sizeof(double));
  for (r = 0; r < rounds; r++)
    for (i = 0; i < 2; i++) {
      int64_t j;
      e = (r + i) %% 2;
      c = cpu_now();
      for (j = 0; j < reps; j++) run[e]();
      t[e][r] = (cpu_now() - c) / (double)reps;
    }
  qsort(t[0], (size_t)rounds, sizeof(double), cmp);
  qsort(t[1], (size_t)rounds, sizeof(double), cmp);
%(dump)s
  printf("%%.9g %%.9g\n", t[0][rounds / 2], t[1][rounds / 2]);
  return 0;
}
"""


def compile_pair(mlc, src, dims, point, work):
    """s.c/d.c (and their headers and weights) for the point"""
    fixed = [f"--dim={k}={v}" for k, v in zip(dims, point)]
    ranged = [f"--dim={k}={lo}..{hi}" for k, (lo, hi) in dims.items()]
    common = ["--target=native", "--weights=file"]
    t = time.time()
    subprocess.run([mlc, "compile", src, *fixed, *common, "--name", "s", "-o",
                    os.path.join(work, "s.c")], check=True, capture_output=True)
    static_s = time.time() - t
    t = time.time()
    if not os.path.exists(os.path.join(work, "d.c")):
        subprocess.run([mlc, "compile", src, *ranged, *common, "--name", "d", "-o",
                        os.path.join(work, "d.c")], check=True, capture_output=True)
    return static_s, time.time() - t


def driver(model, dims, point, work):
    """the C driver for one point: inputs filled alike for both builds"""
    ins = [i for i in model.graph.input if i.name not in {x.name for x in model.graph.initializer}]
    outs = list(model.graph.output)
    decls, fill, dump = [], [], []
    for k, vi in enumerate(ins):
        ct = CTYPES[vi.type.tensor_type.elem_type][0]
        decls.append(f"static {ct} *in{k};")
        fill.append(f"  in{k} = calloc((size_t)S_INPUT{k}_COUNT, sizeof *in{k});\n"
                    f"  for (i = 0; i < S_INPUT{k}_COUNT; i++) in{k}[i] = "
                    + ("(float)((i * 7919) % 1000) / 500.0f - 1.0f;" if ct == "float" else "1;"))
    for k, vi in enumerate(outs):
        ct = CTYPES[vi.type.tensor_type.elem_type][0]
        decls.append(f"static {ct} *so{k}, *do{k};")
        fill.append(f"  so{k} = calloc((size_t)S_OUTPUT{k}_COUNT, sizeof *so{k});\n"
                    f"  do{k} = calloc((size_t)S_OUTPUT{k}_COUNT, sizeof *do{k});")
        dump.append(f"  {{ FILE *f = fopen(\"s{k}.bin\", \"wb\"); fwrite(so{k}, sizeof *so{k}, "
                    f"(size_t)S_OUTPUT{k}_COUNT, f); fclose(f); }}\n"
                    f"  {{ FILE *f = fopen(\"d{k}.bin\", \"wb\"); fwrite(do{k}, sizeof *do{k}, "
                    f"(size_t)S_OUTPUT{k}_COUNT, f); fclose(f); }}")
    sargs = ", ".join([f"in{k}" for k in range(len(ins))] + [f"so{k}" for k in range(len(outs))])
    dargs = ", ".join([f"in{k}" for k in range(len(ins))] + [f"do{k}" for k in range(len(outs))])
    src = DRIVER % {"decls": "\n".join(decls), "sargs": sargs, "dargs": dargs,
                    "dims": ", ".join(map(str, point)), "fill": "\n".join(fill),
                    "dump": "\n".join(dump)}
    with open(os.path.join(work, "main.c"), "w") as f:
        f.write(src)
    return [vi.type.tensor_type.elem_type for vi in outs]


def one(mlc, rtlib, flags, name, src, dims, points, rounds, work):
    rows = []
    ref = src
    if src.endswith(".onnxtxt"):
        ref = os.path.join(work, name + ".onnx")
        subprocess.run([mlc, "convert", src, "-o", ref], check=True, capture_output=True)
    model = onnx.load(ref)
    for point in points:
        for f in ("s.c", "s.h", "s.weights", "prog"):
            if os.path.exists(os.path.join(work, f)):
                os.remove(os.path.join(work, f))
        static_s, ranged_s = compile_pair(mlc, src, dims, point, work)
        types = driver(model, dims, point, work)
        cc = os.environ.get("CC", "cc")
        r = subprocess.run([cc, "-std=c99", *flags, "-I" + os.path.join(ROOT, "runtime"),
                            "-I" + work, os.path.join(work, "s.c"), os.path.join(work, "d.c"),
                            os.path.join(work, "main.c"), rtlib, "-lm", "-o",
                            os.path.join(work, "prog")], capture_output=True, text=True)
        if r.returncode:
            raise bench.Failed(f"{name}: the build failed:\n{r.stderr}")
        r = subprocess.run([os.path.join(work, "prog"), os.path.join(work, "s.weights"),
                            os.path.join(work, "d.weights"), str(rounds)],
                           capture_output=True, text=True, cwd=work)
        if r.returncode:
            raise bench.Failed(f"{name}: driver exit {r.returncode}")
        ts, td = map(float, r.stdout.split())
        worst = 0.0
        for k, t in enumerate(types):
            dt = CTYPES[t][1]
            a = np.fromfile(os.path.join(work, f"s{k}.bin"), dtype=dt)
            b = np.fromfile(os.path.join(work, f"d{k}.bin"), dtype=dt)
            worst = max(worst, float(np.max(np.abs(a.astype(np.float64) - b))) if a.size else 0.0)
        at = ", ".join(f"{k}={v}" for k, v in zip(dims, point))
        ranges = ", ".join(f"{k} {lo}..{hi}" for k, (lo, hi) in dims.items())
        rows.append((name, ranges, at, ts, td, worst, ranged_s if point == points[0] else None))
        bench.log(f"{name} at {at}: static {ts * 1e3:.3f} ms, ranges {td * 1e3:.3f} ms "
                  f"({td / ts:.3f}), outputs differ by {worst:.2g}")
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mlc", help="an mlc build to use (its libmlc_rt.a and flags too)")
    ap.add_argument("--zoo", default=os.path.join(ROOT, "build", "zoo"))
    ap.add_argument("--out", default=HERE)
    ap.add_argument("--rounds", type=int, default=41)
    ap.add_argument("--models", help="comma-separated names (default: all); the table then "
                    "goes to build/bench unless --out is given")
    args = ap.parse_args()
    only = args.models.split(",") if args.models else None
    if only and args.out == HERE:
        args.out = os.path.join(ROOT, "build", "bench")
    args.models = None
    mlc, rtlib, _, flags = bench.setup_build(args)
    rows, missing = [], []
    with tempfile.TemporaryDirectory() as work:
        for name, src, dims, points in MODELS:
            if only and name not in only:
                continue
            d = os.path.join(work, name)
            os.makedirs(d)
            if src is None:
                src = os.path.join(args.zoo, name + ".onnx")
                if not os.path.exists(src):
                    missing.append(name)
                    bench.log(f"{name}: not in {args.zoo} (models/export_zoo.py {name})")
                    continue
            elif callable(src):
                path = os.path.join(d, name + ".onnx")
                src(path)
                src = path
            rows += one(mlc, rtlib, flags, name, src, dims, points, args.rounds, d)
    cpu, cores, ccv = bench.machine()
    lines = ["# Run-time dims against static compiles", "",
             f"`bench/dims.py` on {cpu}, {cores} cores, {ccv}; one thread, CPU time per run "
             f"(median of {args.rounds} timed blocks each).", "",
             "The ranged build is one compile for the whole range; each static build is "
             "compiled for the extents of its row.", "",
             "| model | ranges | run at | static (µs) | ranges (µs) | ranges / static "
             "| outputs differ by | ranged compile (s) |",
             "| --- | --- | --- | --: | --: | --: | --: | --: |"]
    for name, ranges, at, ts, td, worst, cs in rows:
        lines.append(f"| {name} | {ranges} | {at} | {ts * 1e6:.4g} | {td * 1e6:.4g} | "
                     f"{td / ts:.3f} | {worst:.2g} | {'' if cs is None else f'{cs:.2f}'} |")
    if missing:
        lines += ["", "Not measured (not exported): " + ", ".join(missing) + "."]
    text = "\n".join(lines) + "\n"
    print(text)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "dims.md"), "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
