#!/usr/bin/env python3
"""Runs the model zoo (models/export_zoo.py) through mlc: for each model in
the cache folder, `mlc compile` (timed), then the check of check_models.py
(random inputs with a fixed seed, onnxruntime's outputs as reference,
`mlc test -v` through the interpreter and the generated C at rtol 1e-3,
atol 1e-4). Integer inputs are drawn from the range the export recorded in
the model's metadata (token ids within the vocabulary, masks 0/1).

Prints a markdown table (model, framework, ops, parameters, worst absolute
error of the interpreter and of the C, compile time, status), also written
to --table FILE. With --diagnose, a model whose outputs differ from
onnxruntime's is run again with every intermediate value exposed, in
onnxruntime and in `mlc run`, and the first node whose outputs diverge is
named. Exits 1 if a model fails (an export error counts; a framework whose
packages are not installed is reported and skipped).

The quantized models of models/export_quant.py (--quant: all of them; or
by name in --models) are checked by check_models.check_quant instead: every
output within 3 quantization steps of onnxruntime's and the same top-1, in
the interpreter and the generated C; a model mlc refuses is reported with
the unsupported ops (status "refused: ...") and counts as a failure.

usage: zoo.py --mlc BUILD/mlc [--dir DIR] [--export] [--fast | --quant | --models a,b]
              [--table FILE] [--diagnose] [-j N]"""
import argparse
import collections
import glob
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

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "models"))
import check_models  # noqa: E402
import export_quant  # noqa: E402
import export_zoo  # noqa: E402
from common import metadata, quant_metadata  # noqa: E402  (models/zoo, on the path)

# small models of every framework that mlc takes today, which together take
# well under two minutes on two cores, export included (lstm, gru and
# sklearn_mlp belong here once mlc has LSTM, GRU and the ai.onnx.ml Scaler)
FAST = ("squeezenet1_1", "squeezenet1_1_functions", "bert_tiny", "tabular", "keras_mlp",
        "keras_cnn", "jax_cnn")
RTOL, ATOL = 1e-3, 1e-4


def zoo_inputs(model, rng):
    """check_models' random inputs, with each input recorded as ranging
    over [LO, HI) drawn from that range instead."""
    return check_models.metadata_inputs(model, {p.key: p.value for p in model.metadata_props},
                                        rng)


# check_models.check draws its inputs through this module global
check_models.random_inputs = zoo_inputs


def function_ops(model):
    """Op histogram of the model as it runs: calls of model-local functions
    are counted as the ops of their bodies."""
    funcs = {(f.domain, f.name): f for f in model.functions}
    count = collections.Counter()

    def walk(nodes, depth):
        for n in nodes:
            f = funcs.get((n.domain, n.op_type))
            if f is not None and depth < 16:
                walk(f.node, depth + 1)
            else:
                count[n.op_type] += 1
    walk(model.graph.node, 0)
    return count


def parameters(model):
    """Elements of the initializers and of Constant nodes' tensors."""
    total = sum(int(np.prod(t.dims)) for t in model.graph.initializer)
    for n in model.graph.node:
        if n.op_type == "Constant":
            total += sum(int(np.prod(a.t.dims)) for a in n.attribute if a.name == "value")
    return total


def constant_outputs(work, name):
    """Reference outputs of more than one element that are all the same (a
    zero-initialised head): comparing them proves little."""
    out = []
    for f in sorted(glob.glob(os.path.join(work, name, "test_data_set_0", "output_*.pb"))):
        t = onnx.TensorProto()
        with open(f, "rb") as fh:
            t.ParseFromString(fh.read())
        v = numpy_helper.to_array(t)
        if v.size > 1 and np.all(v == v.flat[0]):
            out.append(t.name)
    return out


def symbolic_inputs(path):
    """Does the model leave input dims symbolic? Those models are exported
    for compiles with run-time dims, which tests/dims/check_dims.py runs."""
    model = onnx.load(path, load_external_data=False)
    return any(d.dim_param for i in model.graph.input
               for d in i.type.tensor_type.shape.dim)


def run_compile(mlc, path, work):
    out = os.path.join(work, "compiled", os.path.splitext(os.path.basename(path))[0] + ".c")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    t0 = time.time()
    r = subprocess.run([mlc, "compile", path, "-o", out], capture_output=True, text=True)
    secs = time.time() - t0
    for f in glob.glob(os.path.splitext(out)[0] + ".*"):
        os.remove(f)
    return r.returncode == 0, secs, check_models.compile_reason(r.stderr) if r.returncode else ""


def first_divergence(mlc, path, work):
    """Names the first node (in graph order) whose outputs differ between
    onnxruntime and `mlc run`, with every intermediate value made a graph
    output. Returns a one-line description."""
    model = check_models.load(path)
    feeds = zoo_inputs(model, np.random.default_rng(0))
    try:
        inferred = onnx.shape_inference.infer_shapes(model)
    except Exception:  # too big for in-memory inference: exposed values get no type
        inferred = model
    types = {vi.name: vi.type for vi in inferred.graph.value_info}
    outputs = {o.name for o in model.graph.output}
    exposed = []
    for node in model.graph.node:
        for o in node.output:
            if o and o not in outputs and o in types and node.op_type != "Constant":
                model.graph.output.add(name=o).type.CopyFrom(types[o])
                exposed.append(o)
    d = os.path.join(work, "diagnose")
    os.makedirs(d, exist_ok=True)
    mpath = os.path.join(d, "model.onnx")
    onnx.save(model, mpath)
    names = [o.name for o in model.graph.output]
    ref = dict(zip(names, ort.InferenceSession(mpath, providers=["CPUExecutionProvider"])
                   .run(None, feeds)))
    args = [mlc, "run", mpath, "-o", os.path.join(d, "out")]
    for k, (n, v) in enumerate(feeds.items()):
        np.save(os.path.join(d, f"in{k}.npy"), v)
        args += ["--input", f"{n}={os.path.join(d, f'in{k}.npy')}"]
    r = subprocess.run(args, capture_output=True, text=True)
    if r.returncode:
        return "mlc run with the values exposed failed: " + check_models.compile_reason(r.stderr)
    got = {}
    for k, n in enumerate(names):
        files = glob.glob(os.path.join(d, "out", f"{k}_*.npy"))
        if files:
            got[n] = np.load(files[0])
    for node in model.graph.node:
        for o in node.output:
            if o not in got or o not in ref:
                continue
            a, b = np.asarray(got[o]), np.asarray(ref[o])
            if a.shape != b.shape:
                return (f"first divergence at node '{node.name}' ({node.op_type}): output '{o}' "
                        f"has shape {list(a.shape)}, onnxruntime {list(b.shape)}")
            if a.dtype == np.bool_ or b.dtype == np.bool_:
                a, b = a.astype(np.int8), b.astype(np.int8)
            a, b = a.astype(np.float64), b.astype(np.float64)
            bad = ~np.isclose(a, b, rtol=RTOL, atol=ATOL, equal_nan=True)
            if bad.any():
                err = np.abs(a - b)
                i = int(np.argmax(np.where(bad, err, -1)))
                ins = ", ".join(f"'{x}'" for x in node.input if x)
                return (f"first divergence at node '{node.name}' ({node.op_type}, inputs {ins}): "
                        f"output '{o}' max |error| {np.nanmax(np.where(bad, err, 0)):.3g}, "
                        f"{int(bad.sum())} of {bad.size} elements off (at flat index {i}: "
                        f"mlc {a.flat[i]:.6g}, onnxruntime {b.flat[i]:.6g})")
    return f"no intermediate value differs ({len(exposed)} compared); only the graph outputs do"


def export_models(names, cache):
    """Runs the export drivers (export_zoo.py for float models,
    export_quant.py for quantized ones); returns ({name: reason} of models
    skipped for missing packages, {name: error} of failed exports)."""
    quant = export_quant.catalog()
    skipped, failed = {}, {}
    for script, todo in (("export_zoo.py", [n for n in names if n not in quant]),
                         ("export_quant.py", [n for n in names if n in quant])):
        if not todo:
            continue
        r = subprocess.run([sys.executable, os.path.join(ROOT, "models", script),
                            "--out", cache, *todo], capture_output=True, text=True)
        for line in r.stdout.splitlines():
            m = re.match(r"(skipped|FAILED) (\S+): (.*)", line)
            if m:
                (skipped if m.group(1) == "skipped" else failed)[m.group(2)] = m.group(3)
        if r.returncode and not failed:
            failed["(export)"] = (r.stderr.strip().splitlines() or [f"{script} failed"])[-1]
    return skipped, failed


def check_one(args, name, path, work):
    """Compiles and checks one model: ([framework, ops, parameters, worst
    errors, compile seconds], status), status "ok" if it matches."""
    model = onnx.load(path)
    ops = function_ops(model)
    cells = [metadata(model)[0], f"{sum(ops.values())} ({len(ops)})", f"{parameters(model):,}"]
    quantized = quant_metadata({p.key: p.value for p in model.metadata_props})
    del model
    if quantized:
        status, line, d = check_models.check_quant(args.mlc, path, work, args.j)
        err = f"{d['interp']:.2f} / {d['c']:.2f} steps" if status != "refused" else ""
        if status == "ok" and d["top1"][1]:
            err += f", top-1 {d['top1'][0]}/{d['top1'][1]}"
        shutil.rmtree(os.path.join(work, name), ignore_errors=True)
        return cells + [err, f"{d['compile_s']:.2f}"], "ok" if status == "ok" else line
    ok, secs, status = run_compile(args.mlc, path, work)
    err = ""
    if ok:
        try:
            good, line, _ = check_models.check(args.mlc, path, work, args.j)
        except Exception as e:  # onnxruntime refused the model: no reference
            good, line = False, f"- {name}: reference failed: {str(e).splitlines()[0]}"
        m = re.search(r"interp ([^,\s]+), c ([^,\s]+)", line)
        err = f"{m.group(1)} / {m.group(2)}" if m else ""
        flat = constant_outputs(work, name)
        status = "ok"
        if not good:
            status = re.sub(r"^\S+\s+\S+:\s*", "", line)
            if args.diagnose and "FAIL" in line:
                status += "; " + first_divergence(args.mlc, path, work)
        elif flat:
            status = "the reference output is constant: " + ", ".join(flat)
        shutil.rmtree(os.path.join(work, name), ignore_errors=True)  # a copy of the model
    return cells + [err, f"{secs:.2f}"], status


def row(*cells):
    return "| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mlc", required=True)
    ap.add_argument("--dir", default=export_zoo.DEFAULT_OUT, help="model cache (default build/zoo)")
    ap.add_argument("--export", action="store_true", help="export missing models first")
    ap.add_argument("--models", help="comma-separated model names (default: all)")
    ap.add_argument("--fast", action="store_true", help="the small subset CI runs")
    ap.add_argument("--quant", action="store_true",
                    help="the quantized models (models/export_quant.py)")
    ap.add_argument("--table", help="also write the markdown table to this file")
    ap.add_argument("--diagnose", action="store_true",
                    help="find the first diverging node of each mismatching model")
    ap.add_argument("-j", type=int, default=1, help="onnxruntime threads")
    args = ap.parse_args()

    catalog = {n: fw for n, _, fw in export_zoo.catalog()}
    catalog.update({n: f"int8 {fmt} of {src}" for n, (src, fmt) in export_quant.catalog().items()})
    if args.models:
        names = args.models.split(",")
    elif args.fast:
        names = list(FAST)
    elif args.quant:
        names = list(export_quant.catalog())
    else:
        cached = glob.glob(os.path.join(args.dir, "*.onnx"))
        names = [n for n, _, _ in export_zoo.catalog()] if args.export else sorted(
            os.path.splitext(os.path.basename(p))[0] for p in cached)
    skipped, export_failed = export_models(names, args.dir) if args.export else ({}, {})

    lines = [row("model", "framework", "ops (distinct)", "parameters", "worst error interp / C",
                 "compile (s)", "status"), row(*["---"] * 7)]
    passed = failed = 0
    with tempfile.TemporaryDirectory() as work:
        for name in names:
            path = os.path.join(args.dir, name + ".onnx")
            fw = catalog.get(name, "?")
            if name in skipped or name in export_failed or not os.path.exists(path):
                reason = (f"skipped: {skipped[name]}" if name in skipped else
                          f"export failed: {export_failed[name]}" if name in export_failed else
                          "not exported (export_zoo.py NAME)")
                failed += name not in skipped
                lines.append(row(name, fw, "", "", "", "", reason))
                print(f"{name}: {reason}", file=sys.stderr, flush=True)
                continue
            if symbolic_inputs(path):
                reason = "skipped: symbolic dims (tests/dims/check_dims.py checks it)"
                lines.append(row(name, fw, "", "", "", "", reason))
                print(f"{name}: {reason}", file=sys.stderr, flush=True)
                continue
            cells, status = check_one(args, name, path, work)
            fw = cells[0] if cells[0] != "?" else fw
            passed += status == "ok"
            failed += status != "ok"
            lines.append(row(name, fw, *cells[1:], status))
            print(f"{name}: {status} ({cells[-1]} s compile)", file=sys.stderr, flush=True)
    table = "\n".join(lines) + "\n"
    print(table, end="")
    if args.table:
        with open(args.table, "w") as f:
            f.write(table)
    if not passed and not failed:
        print("zoo: no model to check (export packages missing?): skipped")
        return 0
    print(f"zoo: {passed} passed, {failed} failed"
          + (f", {len(skipped)} skipped" if skipped else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
