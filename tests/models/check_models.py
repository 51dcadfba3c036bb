#!/usr/bin/env python3
"""Checks real models end to end against onnxruntime: random inputs (fixed
seed) go through onnxruntime for the reference, then through `mlc test`
(interpreter and generated C, built and run) at rtol 1e-3, atol 1e-4.
Symbolic dims are bound to 1. Prints one line per model with the largest
absolute error of each mode; exits 1 if any model fails.

Quantized models (--quant; models/export_quant.py) are held to their own
tolerance instead (check_quant): on each of QUANT_SETS random inputs, every
output within QUANT_STEPS quantization steps of onnxruntime's, in the
interpreter (`mlc run`) and in the generated C (built into a shared library
with the runtime beside mlc and called through ctypes), and the same top-1
class (or, where the reference's top classes are within the tolerance of
each other, any of them: they are a tie at this precision). The line
also gives how far onnxruntime itself lands from its default with its graph
optimizations off (QDQ pairs computed as written, in float, instead of
fused into integer kernels), which puts the numbers in proportion. An
output's step is what the export recorded in the model's metadata
(the scale of the DequantizeLinear that makes it; 1 for an integer output);
an output without one (a dynamically quantized model's float outputs) gets
the step of 8 bits over its reference's range, (max - min) / 255. A model
that mlc refuses is reported with the reason (the unsupported ops) and
fails.

usage: check_models.py --mlc BUILD/mlc [--quant] MODEL...
       (.onnx or .onnxtxt)"""
import argparse
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnx
import onnxruntime as ort
from onnx import numpy_helper

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "models", "zoo"))
sys.path.insert(0, os.path.join(ROOT, "python"))
import common  # noqa: E402  (models/zoo/common.py: the zoo's metadata)

QUANT_STEPS = 3  # the quantized models' tolerance, in quantization steps
QUANT_SETS = 3  # random inputs per quantized model

NP_TYPES = {1: np.float32, 11: np.float64, 7: np.int64, 6: np.int32, 9: np.bool_,
            3: np.int8, 2: np.uint8}


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


_random_inputs = random_inputs  # metadata_inputs' base, whoever replaces random_inputs


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


def compile_reason(stderr):
    """One line out of mlc's errors: the unsupported ops, else the first error."""
    unsupported = sorted(set(re.findall(r"unsupported op '([^']+)'", stderr)))
    if unsupported:
        return "unsupported op " + ", ".join(unsupported)
    for line in stderr.splitlines():
        if "error:" in line:
            return re.sub(r"^mlc: error: [^:]+: ", "", line.strip())
    return stderr.strip().splitlines()[-1] if stderr.strip() else "mlc failed"


def metadata_inputs(model, meta, rng):
    """random_inputs, with the inputs the export recorded a range for drawn
    from it (common.draw)"""
    feeds = _random_inputs(model, rng)
    for name, (lo, hi) in common.parse_ranges(meta).items():
        if name in feeds:
            feeds[name] = common.draw(rng, lo, hi, feeds[name].shape, feeds[name].dtype)
    return feeds


def quant_error(got, want, step):
    """the largest |got - want| in quantization steps (step None: 8 bits
    over want's range)"""
    g, w = np.asarray(got, np.float64), np.asarray(want, np.float64)
    if g.shape != w.shape:
        return np.inf
    if step is None:
        step = max(float(w.max() - w.min()), 1e-12) / 255 if w.size else 1.0
    # outputs are whole steps apart, up to float32 rounding: 3 steps are 3
    return round(float(np.max(np.abs(g - w))) / step, 3) if w.size else 0.0


def same_top1(got, want, step):
    """the same top-1 class, or one the reference ranks within the
    tolerance of its top (a near tie, where either class is within
    QUANT_STEPS of the reference)"""
    g, w = np.asarray(got, np.float64).ravel(), np.asarray(want, np.float64).ravel()
    if step is None:
        step = max(float(w.max() - w.min()), 1e-12) / 255
    return int(round((w.max() - w[np.argmax(g)]) / step, 3) <= QUANT_STEPS)


def build_c(mlc, src, work):
    """mlc compile, the C built into a shared library with the runtime of
    mlc's build folder: (the loaded model (mlc_compiler's ctypes wrapper) or
    None, why mlc refused it or None, mlc compile's seconds)"""
    from mlc_compiler._build import Model
    out_c = os.path.join(work, "model.c")
    t0 = time.time()
    r = subprocess.run([mlc, "compile", src, "-o", out_c], capture_output=True, text=True)
    secs = time.time() - t0
    if r.returncode:
        return None, compile_reason(r.stderr), secs
    rtlib = os.path.join(os.path.dirname(os.path.abspath(mlc)), "libmlc_rt.a")
    so = os.path.join(work, "model.so")
    cc = os.environ.get("CC", "cc").split()
    r = subprocess.run(cc + ["-std=c99", "-O2", "-fPIC", "-fno-strict-aliasing", "-shared",
                             "-I", work, "-I", os.path.join(ROOT, "runtime"), out_c, rtlib,
                             "-lm", "-pthread", "-o", so], capture_output=True, text=True)
    if r.returncode:
        raise RuntimeError("building the generated C failed: "
                           + (r.stderr.strip().splitlines() or ["?"])[-1])
    return Model(so, os.path.join(work, "model.h"), "model",
                 os.path.join(work, "model.weights"), as_list=True), None, secs


def run_interp(mlc, src, feeds, work, k):
    """the model's outputs through `mlc run`, in output order"""
    d = os.path.join(work, f"interp{k}")
    os.makedirs(d, exist_ok=True)
    args = [mlc, "run", src, "-o", d]
    for i, (n, v) in enumerate(feeds.items()):
        np.save(os.path.join(d, f"in{i}.npy"), v)
        args += ["--input", f"{n}={os.path.join(d, f'in{i}.npy')}"]
    r = subprocess.run(args, capture_output=True, text=True)
    if r.returncode:
        raise RuntimeError("mlc run failed: " + compile_reason(r.stderr))
    outs = sorted(glob.glob(os.path.join(d, "*_*.npy")),
                  key=lambda f: int(os.path.basename(f).split("_")[0]))
    return [np.load(f) for f in outs if not os.path.basename(f).startswith("in")]


def check_quant(mlc, path, workdir, jobs, sets=QUANT_SETS):
    """path's quantized model against onnxruntime at QUANT_STEPS steps and
    the same top-1. Returns (status, line, details): status "ok", "refused"
    (mlc compile refused it: line says why) or "FAIL"; details: {"interp",
    "c": worst error in steps, "ort_literal": the same of onnxruntime with its
    graph optimizations off (which reads QDQ pairs as written, in float,
    where its default fuses them into integer kernels), for reference, "top1": [matches, runs] of the top-1 class,
    "compile_s": mlc compile's seconds}."""
    model = load(path)
    meta = {p.key: p.value for p in model.metadata_props}
    quant = common.quant_metadata(meta) or {"steps": {}, "top1": None}
    name = os.path.splitext(os.path.basename(path))[0]
    work = os.path.join(workdir, name)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    t0 = time.time()
    details = {"interp": 0.0, "c": 0.0, "ort_literal": 0.0, "top1": [0, 0], "compile_s": 0.0}
    try:
        compiled, reason, details["compile_s"] = build_c(mlc, path, work)
        if compiled is None:
            return "refused", f"refused: {reason}", details
        sessions = []
        for level in (ort.GraphOptimizationLevel.ORT_ENABLE_ALL,
                      ort.GraphOptimizationLevel.ORT_DISABLE_ALL):
            opts = ort.SessionOptions()
            opts.intra_op_num_threads = jobs
            opts.graph_optimization_level = level
            sessions.append(ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"]))
        names = [o.name for o in sessions[0].get_outputs()]
        rng = np.random.default_rng(0)
        for k in range(sets):
            feeds = metadata_inputs(model, meta, rng)
            want, literal = (s.run(None, feeds) for s in sessions)
            got = {"interp": run_interp(mlc, path, feeds, work, k), "c": compiled(**feeds),
                   "ort_literal": literal}
            for mode, outs in got.items():
                if len(outs) < len(want):
                    raise RuntimeError(f"{mode}: {len(outs)} outputs, expected {len(want)}")
                for n, g, w in zip(names, outs, want):
                    details[mode] = max(details[mode], quant_error(g, w, quant["steps"].get(n)))
                    if n == quant["top1"] and mode != "ort_literal":
                        details["top1"][0] += same_top1(g, w, quant["steps"].get(n))
                        details["top1"][1] += 1
    except RuntimeError as e:
        return "FAIL", f"FAIL: {e}", details
    top1 = details["top1"]
    good = max(details["interp"], details["c"]) <= QUANT_STEPS and top1[0] == top1[1]
    line = (f"{'PASS' if good else 'FAIL'}: {sets} inputs, worst interp {details['interp']:.2f}, "
            f"c {details['c']:.2f} steps (limit {QUANT_STEPS})"
            + (f", top-1 same {top1[0]}/{top1[1]}" if top1[1] else "")
            + f"; onnxruntime unoptimized {details['ort_literal']:.2f} steps from its default"
            + f" ({time.time() - t0:.1f} s)")
    return "ok" if good else "FAIL", line, details


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mlc", required=True)
    ap.add_argument("-j", type=int, default=1)
    ap.add_argument("--quant", action="store_true",
                    help="quantized models: within 3 quantization steps, same top-1")
    ap.add_argument("models", nargs="+")
    args = ap.parse_args()
    failed = 0
    with tempfile.TemporaryDirectory() as work:
        for path in args.models:
            name = os.path.basename(path)
            if args.quant:
                status, line, _ = check_quant(args.mlc, path, work, args.j)
                good = status == "ok"
                print(f"{'ok  ' if good else 'FAIL'} {name}: {line}", flush=True)
            else:
                good, line, secs = check(args.mlc, path, work, args.j)
                print(f"{'ok  ' if good else 'FAIL'} {name} ({secs:.1f} s): {line}", flush=True)
            failed += not good
    print(f"models: {len(args.models) - failed} match onnxruntime, {failed} do not")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
