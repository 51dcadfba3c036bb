#!/usr/bin/env python3
"""The passes change no result: every model runs through `mlc run -O0` (the
graph as the model states it, constants folded) and `mlc run -O2` (every
pass), and the outputs must agree (rtol 1e-4; integers and booleans
exactly; NaN where NaN). A quantized model of the zoo, whose metadata
gives its outputs' quantization steps, may differ by as many steps as
it may from onnxruntime (tests/models/check_models.py): from -O1 on,
the qdq pass computes its QDQ-form ops as integer ops, which round once
where the float form rounds each sum.

Models: the ONNX node tests listed PASS in tests/conformance/status.txt
(inputs from test_data_set_0, inputs the table lists as frozen passed with
--const), models/*.onnxtxt, and with --zoo the exported model zoo (random
inputs). Prints one line per disagreement or failure and
the counts; exits 1 if any model disagrees or fails at one level only.

usage: o0_vs_o2.py --mlc BUILD/mlc [--node-tests DIR] [--sample N] [--zoo [DIR]]
                   [--models FILE...] [-j N]"""
import argparse
import concurrent.futures
import glob
import os
import random
import re
import subprocess
import sys
import tempfile

import numpy as np
import onnx

os.environ["MLC_CHECK_IR"] = "1"  # mlc checks the IR after every pass
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "models"))
from check_models import QUANT_STEPS, common  # noqa: E402
STATUS = os.path.join(ROOT, "tests", "conformance", "status.txt")
RTOL, ATOL = 1e-4, 1e-5  # ATOL scaled by the largest |value| of the output


def mlc_run(mlc, model, inputs, consts, level, out, timeout=600):
    """runs the model at -O{level}; inputs/consts: [(name, file)]; outputs to
    the folder out. Returns (ok, stderr)"""
    cmd = [mlc, "run", model, f"-O{level}", "-o", out]
    cmd += [f"--input={n}={f}" for n, f in inputs]
    cmd += [f"--const={n}={f}" for n, f in consts]
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return False, "timed out"
    return r.returncode == 0, r.stderr.strip()


def close(a, b):
    """'' if arrays a (-O2) and b (-O0) agree, else what differs"""
    if a.dtype != b.dtype or a.shape != b.shape:
        return f"{a.dtype}{list(a.shape)} vs {b.dtype}{list(b.shape)}"
    if a.dtype.kind not in "fc":
        bad = a != b
    else:
        a64, b64 = a.astype(np.float64), b.astype(np.float64)
        nan = np.isnan(a64) | np.isnan(b64)
        with np.errstate(invalid="ignore"):
            finite = np.abs(b64[np.isfinite(b64)])
            atol = ATOL * max(1.0, finite.max() if finite.size else 1.0)
            bad = np.where(nan, np.isnan(a64) != np.isnan(b64),
                           ~(np.abs(a64 - b64) <= atol + RTOL * np.abs(b64)) & (a64 != b64))
    if not bad.any():
        return ""
    i = np.unravel_index(np.argmax(bad), bad.shape) if bad.ndim else ()
    return f"[{','.join(map(str, i))}] -O2 {a[i]!r} vs -O0 {b[i]!r} ({int(bad.sum())} differ)"


def steps_close(a, b, step):
    """'' if a (-O2) and b (-O0) are within QUANT_STEPS steps of `step`"""
    d = float(np.max(np.abs(a.astype(np.float64) - b.astype(np.float64)))) if a.size else 0.0
    return "" if d <= QUANT_STEPS * step * (1 + 1e-6) else f"{d / step:.2f} steps apart"


def compare(mlc, model, inputs, consts=(), steps=None):
    """(status, message): status 'same', 'differ', 'fail' (one level fails,
    the other not) or 'skip' (both fail: a model mlc does not run); steps:
    the quantization step of each output named there"""
    with tempfile.TemporaryDirectory(prefix="mlc-o0o2-") as d:
        outs = [os.path.join(d, "O0"), os.path.join(d, "O2")]
        r0 = mlc_run(mlc, model, inputs, consts, 0, outs[0])
        r2 = mlc_run(mlc, model, inputs, consts, 2, outs[1])
        if not r0[0] and not r2[0]:
            return "skip", r0[1].splitlines()[-1] if r0[1] else ""
        if not r0[0] or not r2[0]:
            return "fail", f"-O{0 if not r0[0] else 2} fails: {(r0[1] or r2[1])[-300:]}"
        names = sorted(os.listdir(outs[0]))
        if names != sorted(os.listdir(outs[1])):
            return "differ", f"outputs {names} vs {sorted(os.listdir(outs[1]))}"
        for f in names:
            try:
                b = np.load(os.path.join(outs[0], f), allow_pickle=False)
                a = np.load(os.path.join(outs[1], f), allow_pickle=False)
            except ValueError:
                continue  # strings: not written as plain arrays
            step = (steps or {}).get(f.split("_", 1)[1][:-len(".npy")])
            msg = steps_close(a, b, step) if step and a.shape == b.shape else close(a, b)
            if msg:
                return "differ", f"{f}: {msg}"
        return "same", ""


# ---- inputs ---------------------------------------------------------------------

def model_inputs(mlc, model):
    """[(name, dtype, dims)] from `mlc info -O0`, symbolic dims bound to 2;
    None if mlc cannot read it"""
    cmd = [mlc, "info", model, "-O0"]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    # with dims unbound, info names them (and stops short of the plan)
    syms = re.findall(r"'([^']*)' \(input '", r.stdout + r.stderr)
    if syms:
        cmd += [f"--dim={s}=2" for s in syms]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if r.returncode:
        return None
    res = []
    for line in r.stdout.splitlines():
        m = re.match(r"input  (.*): (\w+) (\S+)$", line)
        if m:
            dims = [] if m.group(3) == "scalar" else [int(x) for x in m.group(3).split("x")]
            res.append((m.group(1), m.group(2), dims))
    return res


NP_TYPES = {"float": np.float32, "double": np.float64, "float16": np.float16,
            "int64": np.int64, "int32": np.int32, "int8": np.int8, "uint8": np.uint8,
            "int16": np.int16, "uint16": np.uint16, "uint32": np.uint32, "uint64": np.uint64,
            "bool": np.bool_}


def random_inputs(mlc, model, folder, seed=0):
    """random .npy files for the model's inputs: floats normal, integers in
    [0, 2) (valid token ids and attention masks alike); None if a type has no
    numpy equivalent"""
    ins = model_inputs(mlc, model)
    if ins is None:
        return None
    rng = np.random.default_rng(seed)
    files = []
    for i, (name, dt, dims) in enumerate(ins):
        t = NP_TYPES.get(dt)
        if t is None:
            return None
        if np.issubdtype(t, np.floating):
            x = rng.standard_normal(dims).astype(t)
        else:
            x = rng.integers(0, 2, dims).astype(t)
        path = os.path.join(folder, f"in{i}.npy")
        np.save(path, x)
        files.append((name, path))
    return files


# ---- the model sets ------------------------------------------------------------------

def passing_node_tests(status=STATUS):
    """{test: [frozen input names]} of the node tests the table lists PASS"""
    tests = {}
    for line in open(status):
        parts = line.rstrip("\n").split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("node/") or parts[1] != "PASS":
            continue
        m = re.search(r"\(frozen:([^)]*)\)", parts[2] if len(parts) > 2 else "")
        tests[parts[0][5:]] = m.group(1).split() if m else []
    return tests


def node_test_job(mlc, folder, frozen):
    import onnx  # the installed package reads the test's input names
    model = os.path.join(folder, "model.onnx")
    m = onnx.load(model, load_external_data=False)
    inits = {t.name for t in m.graph.initializer}
    names = [i.name for i in m.graph.input if i.name not in inits]
    data = os.path.join(folder, "test_data_set_0")
    files = [(n, os.path.join(data, f"input_{k}.pb")) for k, n in enumerate(names)]
    consts = [(n, f) for n, f in files if n in frozen]
    inputs = [(n, f) for n, f in files if n not in frozen]
    return compare(mlc, model, inputs, consts)


def file_model_job(mlc, model):
    steps = None
    if model.endswith(".onnx"):
        m = onnx.load(model, load_external_data=False)
        quant = common.quant_metadata({p.key: p.value for p in m.metadata_props})
        steps = quant and quant["steps"]
    with tempfile.TemporaryDirectory(prefix="mlc-o0o2-in-") as d:
        files = random_inputs(mlc, model, d)
        if files is None:
            return "skip", "mlc does not read it, or an input type has no numpy equivalent"
        return compare(mlc, model, files, steps=steps)


def run_all(jobs, nproc, strict=False):
    """jobs: [(name, fn, args)] -> counts; prints what differs or fails
    (strict: also what mlc does not run)"""
    counts = {"same": 0, "differ": 0, "fail": 0, "skip": 0}
    with concurrent.futures.ThreadPoolExecutor(nproc) as ex:
        futs = [(name, ex.submit(fn, *args)) for name, fn, args in jobs]
        for name, fut in futs:
            try:
                status, msg = fut.result()
            except Exception as e:  # a test folder the script cannot read
                status, msg = "fail", f"{type(e).__name__}: {e}"
            counts[status] += 1
            if status in ("differ", "fail") or (strict and status == "skip"):
                print(f"{status.upper():7} {name}: {msg}", flush=True)
    return counts


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mlc", required=True)
    ap.add_argument("--node-tests", default=None)
    ap.add_argument("--sample", type=int, default=0, help="node tests to check (0: all)")
    ap.add_argument("--zoo", nargs="?", const="", default=None,
                    help="also the zoo models DIR/*.onnx (default BUILD/zoo, else build/zoo)")
    ap.add_argument("--models", nargs="*", default=None)
    ap.add_argument("-j", type=int, default=2)
    args = ap.parse_args()
    build = os.path.dirname(os.path.abspath(args.mlc))
    node_dir = args.node_tests or os.path.join(build, "onnx-tests", "node")
    jobs = []
    if os.path.isdir(node_dir):
        tests = sorted(t for t in passing_node_tests().items()
                       if os.path.isdir(os.path.join(node_dir, t[0])))
        if args.sample and args.sample < len(tests):
            tests = sorted(random.Random(0).sample(tests, args.sample))
        jobs += [(f"node/{t}", node_test_job, (args.mlc, os.path.join(node_dir, t), fr))
                 for t, fr in tests]
    else:
        print(f"no node tests at {node_dir}: generate them (tests/conformance/run.py)")
    models = args.models if args.models is not None else sorted(
        glob.glob(os.path.join(ROOT, "models", "*.onnxtxt")))
    if args.zoo is not None:
        zoo = args.zoo or next((d for d in (os.path.join(build, "zoo"),
                                            os.path.join(ROOT, "build", "zoo"))
                                if os.path.isdir(d)), "")
        models += sorted(glob.glob(os.path.join(zoo, "*.onnx")))
    jobs += [(os.path.relpath(m, ROOT) if m.startswith(ROOT) else m, file_model_job,
              (args.mlc, m)) for m in models]
    c = run_all(jobs, args.j)
    print(f"-O0 vs -O2: {c['same']} agree, {c['differ']} differ, {c['fail']} fail at one "
          f"level, {c['skip']} not compared (mlc does not run them, or an output type has no "
          f".npy form)")
    return 1 if c["differ"] or c["fail"] else 0


if __name__ == "__main__":
    sys.exit(main())
