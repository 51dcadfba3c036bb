#!/usr/bin/env python3
"""Checks real models end to end against onnxruntime: random inputs (fixed
seed) go through onnxruntime for the reference, then through `mlc test`
(interpreter and generated C, built and run) at rtol 1e-3, atol 1e-4.
Symbolic dims are bound to 1. Prints one line per model with the largest
absolute error of each mode; exits 1 if any model fails.

usage: check_models.py --mlc BUILD/mlc MODEL...   (.onnx or .onnxtxt)"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnx
import onnxruntime as ort
from onnx import numpy_helper

NP_TYPES = {1: np.float32, 11: np.float64, 7: np.int64, 6: np.int32, 9: np.bool_}


def load(path):
    if path.endswith(".onnxtxt") or path.endswith(".txt"):
        return onnx.parser.parse_model(open(path).read())
    return onnx.load(path)


def random_inputs(model, rng):
    inits = {i.name for i in model.graph.initializer}
    feeds = {}
    for vi in model.graph.input:
        if vi.name in inits:
            continue
        tt = vi.type.tensor_type
        shape = [d.dim_value if d.HasField("dim_value") else 1 for d in tt.shape.dim]
        dt = NP_TYPES[tt.elem_type]
        if dt in (np.float32, np.float64):
            feeds[vi.name] = rng.standard_normal(shape).astype(dt)
        elif dt == np.bool_:
            feeds[vi.name] = rng.integers(0, 2, shape).astype(dt)
        else:
            feeds[vi.name] = rng.integers(0, 100, shape).astype(dt)
    return feeds


def check(mlc, path, workdir, jobs, mlc_args=()):
    """path's model against onnxruntime through `mlc test` (with mlc_args)"""
    model = load(path)
    name = os.path.splitext(os.path.basename(path))[0]
    d = os.path.join(workdir, name)
    os.makedirs(os.path.join(d, "test_data_set_0"), exist_ok=True)
    onnx.save(model, os.path.join(d, "model.onnx"))
    feeds = random_inputs(model, np.random.default_rng(0))
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = jobs
    sess = ort.InferenceSession(os.path.join(d, "model.onnx"), opts,
                                providers=["CPUExecutionProvider"])
    outs = sess.run(None, feeds)
    for k, (n, v) in enumerate(feeds.items()):
        with open(os.path.join(d, "test_data_set_0", f"input_{k}.pb"), "wb") as f:
            f.write(numpy_helper.from_array(v, n).SerializeToString())
    for k, (o, v) in enumerate(zip(sess.get_outputs(), outs)):
        with open(os.path.join(d, "test_data_set_0", f"output_{k}.pb"), "wb") as f:
            f.write(numpy_helper.from_array(np.asarray(v), o.name).SerializeToString())
    with open(os.path.join(d, "data.json"), "w") as f:
        json.dump({"rtol": 1e-3, "atol": 1e-4}, f)
    t0 = time.time()
    r = subprocess.run([mlc, "test", "-v", *mlc_args, d], capture_output=True, text=True)
    line = r.stdout.splitlines()[0] if r.stdout else r.stderr.strip()
    return r.returncode == 0 and line.startswith("PASS"), line, time.time() - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mlc", required=True)
    ap.add_argument("-j", type=int, default=1)
    ap.add_argument("models", nargs="+")
    args = ap.parse_args()
    failed = 0
    with tempfile.TemporaryDirectory() as work:
        for path in args.models:
            good, line, secs = check(args.mlc, path, work, args.j)
            failed += not good
            print(f"{'ok  ' if good else 'FAIL'} {os.path.basename(path)} ({secs:.1f} s): {line}")
    print(f"models: {len(args.models) - failed} match onnxruntime, {failed} do not")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
