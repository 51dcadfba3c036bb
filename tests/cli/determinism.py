#!/usr/bin/env python3
"""Compiling the same model twice gives byte-identical files: the .c, the .h
and the .weights, with weights inline and in a file, at every optimization
level, from two output folders and two working directories. Covers the seed
models, the hostile-model corpus's models that compile, and every Nth ONNX
node test (--every 1 for all of them).

usage: determinism.py --mlc PATH [--node-tests DIR] [--every N]
"""
import argparse
import glob
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def compile_twice(mlc, model, flags, d):
    outs = []
    for k in ("a", "b"):
        sub = os.path.join(d, k)
        os.makedirs(sub, exist_ok=True)
        r = subprocess.run([mlc, "compile", os.path.abspath(model), "-o", "m.c", *flags],
                           capture_output=True, cwd=sub, timeout=120)
        if r.returncode:
            return None  # a model mlc refuses has nothing to compare
        files = {}
        for f in sorted(os.listdir(sub)):
            with open(os.path.join(sub, f), "rb") as fh:
                files[f] = fh.read()
            os.remove(os.path.join(sub, f))
        outs.append(files)
    return outs[0] == outs[1], sorted(outs[0])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mlc", required=True)
    ap.add_argument("--node-tests", default=os.path.join(ROOT, "build", "onnx-tests", "node"))
    ap.add_argument("--every", type=int, default=10)
    args = ap.parse_args()
    models = sorted(glob.glob(os.path.join(ROOT, "models", "*.onnxtxt")))
    models += [m for m in sorted(glob.glob(os.path.join(ROOT, "tests", "bad", "**", "*.onnx"),
                                           recursive=True))]
    nodes = sorted(glob.glob(os.path.join(args.node_tests, "test_*", "model.onnx")))
    models += nodes[::args.every]
    variants = [["--dim", "batch=1"], ["--dim", "batch=1", "--weights=file"], ["--dim", "batch=1", "-O0"]]
    compared = bad = 0
    with tempfile.TemporaryDirectory() as d:
        for m in models:
            for v in variants:
                r = compile_twice(args.mlc, m, v, d)
                if r is None:
                    continue
                compared += 1
                if not r[0]:
                    bad += 1
                    print("FAIL %s %s: the two compiles differ (%s)" % (m, " ".join(v), ", ".join(r[1])))
    print("%d compiles compared twice, %d differ" % (compared, bad))
    sys.exit(1 if bad or not compared else 0)


if __name__ == "__main__":
    main()
