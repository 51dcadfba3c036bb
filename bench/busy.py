#!/usr/bin/env python3
"""Two threads on a machine with one core busy: mlc's thread pool and
onnxruntime's, while another program keeps the last core busy.

A product rarely has the machine to itself. This runs, for each model
chosen, mlc at 2 threads and onnxruntime at 2 intra-op threads while a busy
loop pinned to the last core competes with them for it, both fed the same
inputs, in interleaved blocks as bench/run.py times them (its engines,
builds and settings); and mlc at 1 thread on the idle machine, for the
scale. It prints a table and writes it to busy.md in --out (default
build/bench/): mlc 2T / onnxruntime 2T with the core busy, and mlc 2T busy
/ mlc 1T idle (above 1: the second thread costs more than it brings).

usage: python3 bench/busy.py [--models a,b] [--quick] [--mlc BUILD/mlc]
                             [--zoo DIR] [--out DIR] [--work DIR]"""
import argparse
import os
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import run  # noqa: E402  (bench/run.py: builds, engines, settings)

DEFAULT_MODELS = "mobilenet_v2,squeezenet1_1"


def busy_core():
    """A busy loop on the last core (the caller kills it)."""
    last = max(os.sched_getaffinity(0))
    return subprocess.Popen(["sh", "-c", "while :; do :; done"],
                            preexec_fn=lambda: os.sched_setaffinity(0, {last}))


def measure(mlc, rtlibs, flags, src, margs, work, st):
    ins, outs, weights = run.compile_and_build(mlc, rtlibs, flags, src, margs, work, st, {})
    model, meta = run.model_and_meta(src)
    feeds = run.make_inputs(ins, run.common.parse_ranges(meta), work)
    one = run.MlcEngine(work, "harness", 1, ins, outs, weights, st)
    try:
        run.rounds([one], st)
    finally:
        one.close()
    hog = busy_core()
    engines = []
    try:
        engines = [run.MlcEngine(work, "harness_mt", 2, ins, outs, weights, st),
                   run.OrtEngine(model, feeds, 2, st)]
        run.rounds(engines, st)
    finally:
        hog.kill()
        hog.wait()
        for e in engines:
            e.close()
    med = [float(np.median(e.times)) * 1e3 for e in [one, *engines]]
    return {"mlc1": med[0], "mlc2": med[1], "ort2": med[2]}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--models", default=DEFAULT_MODELS,
                    help=f"comma-separated benchmark models (default {DEFAULT_MODELS})")
    ap.add_argument("--quick", action="store_true", help="fewer runs and rounds")
    ap.add_argument("--mlc", help="use this mlc and the runtime of its build folder")
    ap.add_argument("--zoo", default=os.path.join(run.ROOT, "build", "zoo"), help="exported models")
    ap.add_argument("--out", default=os.path.join(run.ROOT, "build", "bench"),
                    help="where busy.md goes (default build/bench/)")
    ap.add_argument("--work", default=os.path.join(run.ROOT, "build", "bench", "work"),
                    help="scratch folder (default build/bench/work)")
    args = ap.parse_args()
    if len(os.sched_getaffinity(0)) < 2:
        sys.exit("bench: busy.py needs two cores or more")
    known = {n: (p, a) for n, p, a in run.MODELS}
    chosen = args.models.split(",")
    unknown = [n for n in chosen if n not in known]
    if unknown:
        sys.exit(f"bench: unknown model(s) {', '.join(unknown)}; known: {', '.join(known)}")
    st = run.Settings(args.quick)
    mlc, rtlib, rtlib_mt, flags = run.setup_build(args)
    if not rtlib_mt:
        sys.exit(f"bench: {args.mlc} has no threaded runtime")
    target = ["--target=native"] if "-march=native" in flags else []
    rows = []
    for name in chosen:
        path, margs = known[name]
        src = path if os.path.isabs(path) else os.path.join(args.zoo, path)
        if not os.path.exists(src):
            sys.exit(f"bench: {src} not present")
        run.log(f"{name}: ...")
        try:
            r = measure(mlc, (rtlib, rtlib_mt), flags, src, [*margs, *target],
                        os.path.join(args.work, name), st)
        except run.Failed as e:
            sys.exit(f"bench: {name}: {e}")
        rows.append(f"| {name} | {r['mlc1']:.3g} | {r['mlc2']:.3g} | {r['ort2']:.3g} | "
                    f"{r['mlc2'] / r['ort2']:.2f} | {r['mlc2'] / r['mlc1']:.2f} |")
    cpu, cores, _ = run.machine()
    table = "\n".join([
        f"Two threads with the last core kept busy by another program; {cpu}, {cores} cores.",
        "Medians, ms.", "",
        "| model | mlc 1T idle | mlc 2T busy | ort 2T busy | mlc / ort 2T busy | "
        "mlc 2T busy / 1T idle |",
        "| --- | ---: | ---: | ---: | ---: | ---: |", *rows, ""])
    print(table)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "busy.md"), "w") as f:
        f.write(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
