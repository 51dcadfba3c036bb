#!/usr/bin/env python3
"""mlc compile --dim NAME=LO..HI: each model is compiled once with its
ranges, built once (-Werror -pedantic) with its test main, and run at
several extents (both ends of every range among them) against
onnxruntime on the same inputs (rtol 1e-3, atol 1e-4). Then the run-time
checks: an extent outside a range makes the run return PREFIX_ERR_DIMS.

Cases:
  mlp      the seed MLP (models/mlp.onnxtxt), --dim batch=1..16
  encoder  a BERT-style encoder layer made here with the shape arithmetic
           exporters write (Shape, Gather, Concat, Reshape, Range, an
           additive attention mask), --dim batch=1..4 --dim seq=1..64
and with --zoo DIR (models/export_zoo.py bert_tiny_dims crnn):
  bert_tiny_dims  transformers' BERT-tiny, --dim batch=1..4 --dim seq=1..128
  crnn            a CNN + LSTM text-line recognizer, --dim width=16..256

usage: check_dims.py --mlc MLC --build BUILD_DIR [--zoo DIR] [--only NAME]"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "models", "zoo"))
from common import draw, metadata  # noqa: E402

RTOL, ATOL = 1e-3, 1e-4
ONNX_TO_NP = {TensorProto.FLOAT: np.float32, TensorProto.INT64: np.int64,
              TensorProto.INT32: np.int32}


def encoder(path):
    """One BERT-style layer: positions (Range over seq, Gather), Q/K/V, heads
    split and merged with Reshape shapes built from Shape/Gather/Concat, a
    scaled score, an additive mask from a 0/1 input, Softmax, output
    projection, residual and LayerNorm; width 32, 4 heads of 8, positions
    up to 64."""
    rng = np.random.default_rng(0)
    w, heads, hd = 32, 4, 8
    inits, nodes = [], []

    def const(name, arr):
        inits.append(numpy_helper.from_array(np.asarray(arr), name))
        return name

    def node(op, ins, outs, **attrs):
        nodes.append(helper.make_node(op, ins, outs, name=outs[0] + "_n", **attrs))
        return outs[0]

    def weight(name, *shape):
        return const(name, (rng.standard_normal(shape) / np.sqrt(shape[0])).astype(np.float32))

    i0, i1 = const("i0", np.array(0, np.int64)), const("i1", np.array(1, np.int64))
    ax0 = const("ax0", np.array([0], np.int64))
    node("Shape", ["x"], ["shp"])
    b = node("Unsqueeze", [node("Gather", ["shp", i0], ["b0"], axis=0), ax0], ["b"])
    s0 = node("Gather", ["shp", i1], ["s0"], axis=0)
    s = node("Unsqueeze", [s0, ax0], ["s"])
    pos = node("Range", [i0, s0, i1], ["pos"])
    pe = node("Gather", [weight("pos_table", 64, w), pos], ["pe"], axis=0)
    h = node("Add", ["x", pe], ["h"])
    split = node("Concat", [b, s, const("hh", np.array([heads, hd], np.int64))], ["split"], axis=0)

    def proj(tag, perm):
        y = node("Add", [node("MatMul", [h, weight("w" + tag, w, w)], [tag + "m"]),
                         weight("b" + tag, w)], [tag + "a"])
        return node("Transpose", [node("Reshape", [y, split], [tag + "r"])], [tag + "t"], perm=perm)

    q, k, v = proj("q", [0, 2, 1, 3]), proj("k", [0, 2, 3, 1]), proj("v", [0, 2, 1, 3])
    sc = node("Mul", [node("MatMul", [q, k], ["qk"]),
                      const("scale", np.array(1 / np.sqrt(hd), np.float32))], ["sc"])
    m = node("Unsqueeze", [node("Cast", ["mask"], ["mf"], to=TensorProto.FLOAT),
                           const("ax12", np.array([1, 2], np.int64))], ["mu"])
    bias = node("Mul", [node("Sub", [const("one", np.array(1, np.float32)), m], ["inv"]),
                        const("big", np.array(-10000, np.float32))], ["bias"])
    p = node("Softmax", [node("Add", [sc, bias], ["scm"])], ["p"], axis=-1)
    ctx = node("Transpose", [node("MatMul", [p, v], ["pv"])], ["ctx"], perm=[0, 2, 1, 3])
    merge = node("Concat", [b, s, const("ww", np.array([w], np.int64))], ["merge"], axis=0)
    o = node("Add", [node("MatMul", [node("Reshape", [ctx, merge], ["ctxr"]), weight("wo", w, w)],
                          ["om"]), weight("bo", w)], ["oa"])
    node("LayerNormalization", [node("Add", [o, h], ["res"]),
                                const("g", np.ones(w, np.float32)), const("beta", np.zeros(w, np.float32))],
         ["y"], axis=-1, epsilon=1e-5)
    graph = helper.make_graph(
        nodes, "encoder",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", "seq", w]),
         helper.make_tensor_value_info("mask", TensorProto.INT64, ["batch", "seq"])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", "seq", w])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, path)


# name: (model file or maker, {dim: (lo, hi)}, extents to run: tuples in dim order)
CASES = {
    "mlp": (os.path.join(ROOT, "models", "mlp.onnxtxt"), {"batch": (1, 16)},
            [(1,), (2,), (5,), (11,), (16,)]),
    "encoder": (encoder, {"batch": (1, 4), "seq": (1, 64)},
                [(1, 1), (1, 64), (4, 1), (4, 64), (2, 17), (3, 33)]),
}
ZOO = {
    "bert_tiny_dims": ({"batch": (1, 4), "seq": (1, 128)},
                       [(1, 1), (1, 128), (4, 1), (4, 128), (2, 7), (3, 50)]),
    "crnn": ({"width": (16, 256)}, [(16,), (17,), (100,), (129,), (256,)]),
}

results = []


def check(name, cond, detail=""):
    results.append(cond)
    print(f"{'PASS' if cond else 'FAIL'} {name}{'' if cond else ': ' + detail}", flush=True)
    return cond


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=1800, **kw)


def onnx_model(path, d):
    """an .onnxtxt is converted for onnxruntime by mlc itself"""
    if not path.endswith(".onnxtxt"):
        return path
    out = os.path.join(d, "model.onnx")
    r = run([ARGS.mlc, "convert", path, "-o", out])
    if r.returncode:
        sys.exit(r.stderr)
    return out


def inputs_for(model, dims, point):
    """inputs of the model at the point: symbolic dims from it; integers in
    the ranges the model records, else token-like ids; floats normal"""
    _, ranges = metadata(model)
    rng = np.random.default_rng(sum(point) + 7)
    feeds = []
    for vi in model.graph.input:
        if vi.name in {i.name for i in model.graph.initializer}:
            continue
        shape = []
        for dim in vi.type.tensor_type.shape.dim:
            shape.append(point[list(dims).index(dim.dim_param)] if dim.dim_param else dim.dim_value)
        dt = ONNX_TO_NP[vi.type.tensor_type.elem_type]
        if vi.name in ranges:
            lo, hi = ranges[vi.name]
            a = draw(rng, lo, hi, shape, dt)
        elif dt == np.float32:
            a = rng.standard_normal(shape).astype(dt)
        else:  # a 0/1 mask, mostly ones, the first position kept
            a = (rng.random(shape) < 0.8).astype(dt)
            a[..., 0] = 1
        feeds.append((vi.name, np.ascontiguousarray(a)))
    return feeds


def run_prog(d, point, weights, feeds, nouts):
    """the built test main at the point: dims, weights, input and output files"""
    args = [os.path.join(d, "prog"), *map(str, point), *weights]
    for i, (_, a) in enumerate(feeds):
        p = os.path.join(d, f"in{i}.bin")
        a.tofile(p)
        args.append(p)
    return run(args + [os.path.join(d, f"out{i}.bin") for i in range(nouts)])


def one(name, path, dims, points):
    import onnxruntime as ort
    with tempfile.TemporaryDirectory() as d:
        src = path
        if callable(path):
            src = os.path.join(d, name + ".onnx")
            path(src)
        ref = onnx_model(src, d)
        model = onnx.load(ref)
        flags = [f"--dim={k}={lo}..{hi}" for k, (lo, hi) in dims.items()]
        c = os.path.join(d, "m.c")
        t0 = time.time()
        r = run([ARGS.mlc, "compile", src, *flags, "--name", "m", "-o", c,
                 "--harness", os.path.join(d, "main.c")])
        if not check(f"{name}: compile {' '.join(flags)} ({time.time() - t0:.1f} s)",
                     r.returncode == 0, r.stderr):
            return
        r = run(["cc", "-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", "-pedantic",
                 "-I" + os.path.join(ROOT, "runtime"), "-I" + d, c, os.path.join(d, "main.c"),
                 os.path.join(ARGS.build, "libmlc_rt.a"), "-lm", "-o", os.path.join(d, "prog")])
        if not check(f"{name}: builds with -Werror -pedantic", r.returncode == 0, r.stderr):
            return
        weights = [os.path.join(d, "m.weights")] if os.path.exists(os.path.join(d, "m.weights")) else []
        sess = ort.InferenceSession(ref, providers=["CPUExecutionProvider"])
        outs = [o.name for o in model.graph.output]
        for point in points:
            feeds = inputs_for(model, dims, point)
            want = sess.run(outs, dict(feeds))
            r = run_prog(d, point, weights, feeds, len(outs))
            at = ", ".join(f"{k}={v}" for k, v in zip(dims, point))
            if not check(f"{name}: runs at {at}", r.returncode == 0, r.stderr):
                continue
            worst, ok = 0.0, True
            for i, w in enumerate(want):
                got = np.fromfile(os.path.join(d, f"out{i}.bin"), dtype=w.dtype)
                if got.size != w.size:
                    ok = False
                    worst = float("inf")
                    continue
                got = got.reshape(w.shape)
                worst = max(worst, float(np.max(np.abs(got - w))) if w.size else 0.0)
                ok &= bool(np.allclose(got, w, rtol=RTOL, atol=ATOL))
            check(f"{name}: matches onnxruntime at {at} (max |error| {worst:.2g})", ok)
        # outside the ranges: the run refuses
        for k, (lo, hi) in dims.items():
            for bad in (lo - 1, hi + 1):
                point = [dims[j][1] for j in dims]
                point[list(dims).index(k)] = bad
                feeds = inputs_for(model, dims, [max(1, x) for x in point])
                r = run_prog(d, point, weights, feeds, len(outs))
                check(f"{name}: {k}={bad} is refused", "run failed: 5" in r.stderr,
                      r.stderr or f"exit {r.returncode}")


def mlc_test():
    """mlc test --dim: one build of the encoder for data sets of several
    extents, written in the ONNX backend-test layout with onnxruntime's
    outputs"""
    import onnxruntime as ort
    dims = CASES["encoder"][1]
    with tempfile.TemporaryDirectory() as d:
        t = os.path.join(d, "encoder")
        os.makedirs(t)
        encoder(os.path.join(t, "model.onnx"))
        model = onnx.load(os.path.join(t, "model.onnx"))
        sess = ort.InferenceSession(os.path.join(t, "model.onnx"),
                                    providers=["CPUExecutionProvider"])
        for n, point in enumerate([(1, 1), (4, 64), (2, 9), (3, 40)]):
            sd = os.path.join(t, f"test_data_set_{n}")
            os.makedirs(sd)
            feeds = inputs_for(model, dims, point)
            outs = sess.run(None, dict(feeds))
            for kind, arrays in (("input", [a for _, a in feeds]), ("output", outs)):
                for k, a in enumerate(arrays):
                    with open(os.path.join(sd, f"{kind}_{k}.pb"), "wb") as f:
                        f.write(numpy_helper.from_array(a).SerializeToString())
        r = run([ARGS.mlc, "test", "--dim", "batch=1..4", "--dim", "seq=1..64", "--atol=1e-4", t])
        check("mlc test --dim: one build, four data sets of other extents",
              r.returncode == 0 and "PASS" in r.stdout, r.stdout + r.stderr)
        r = run([ARGS.mlc, "test", "--dim", "batch=1..2", "--dim", "seq=1..64", "--mode=c", t])
        check("mlc test --dim: a data set outside the range fails",
              r.returncode == 1 and "data set 1 has batch=4, outside --dim batch=1..2" in r.stdout,
              r.stdout + r.stderr)
        r = run([ARGS.mlc, "test", "--dim", "batch=2", t])
        check("mlc test --dim takes ranges only",
              r.returncode == 1 and "takes a range LO..HI" in r.stderr, r.stderr)


# a model whose sizes grow as n^3, outside the closed forms
CUBE = """<
   ir_version: 8,
   opset_import: ["" : 17]
>
cube (float[n] x) => (float[1] y)
{
   s = Shape (x)
   sq = Mul (s, s)
   ss = Mul (sq, s)
   z = ConstantOfShape (ss)
   y = ReduceSum (z)
}
"""


def cli():
    """the flags' errors and the other commands"""
    mlp = os.path.join(ROOT, "models", "mlp.onnxtxt")
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "m.c")
        for flag, says in (("batch=4..2", "a range is LO..HI with 1 <= LO <= HI"),
                           ("batch=0..2", "a range is LO..HI with 1 <= LO <= HI"),
                           ("batch=1..x", "a range is LO..HI")):
            r = run([ARGS.mlc, "compile", mlp, "--dim", flag, "-o", out])
            check(f"cli: --dim {flag} is refused", r.returncode == 1 and says in r.stderr,
                  r.stderr)
        for extra, says in ((["--target=cuda"], "--dim ranges are for the C backend"),
                            (["--profile"], "--profile times one shape")):
            r = run([ARGS.mlc, "compile", mlp, "--dim", "batch=1..4", *extra, "-o", out])
            check(f"cli: a range with {extra[0]} is refused",
                  r.returncode == 1 and says in r.stderr and not os.path.exists(out), r.stderr)
        r = run([ARGS.mlc, "compile", mlp, "--dim", "batch=2", "--dim", "foo=1..3", "-o", out])
        check("cli: a range of a dim the model lacks is refused, with one warning",
              r.returncode == 1 and "no input of the model has that dim" in r.stderr and
              r.stderr.count("warning") == 1 and not os.path.exists(out), r.stderr)
        r = run([ARGS.mlc, "run", mlp, "--dim", "batch=1..4"])
        check("cli: mlc run refuses a range", r.returncode == 1 and "mlc run takes" in r.stderr,
              r.stderr)
        r = run([ARGS.mlc, "info", mlp, "--dim", "batch=1..4"])
        check("cli: mlc info names the range",
              r.returncode == 0 and "run-time dims: batch 1..4" in r.stdout, r.stderr)
        cube = os.path.join(d, "cube.onnxtxt")
        with open(cube, "w") as f:
            f.write(CUBE)
        r = run([ARGS.mlc, "compile", cube, "--dim", "n=1..20", "-o", out])
        check("cli: a size of n^3 is refused, naming the step and the dim",
              r.returncode == 1 and "step #3 ConstantOfShape" in r.stderr and
              "along n that are no polynomial" in r.stderr and not os.path.exists(out), r.stderr)
        r = run([ARGS.mlc, "compile", mlp, "--dim", "batch=3..3", "-o", out])
        check("cli: a range of one value is static code",
              r.returncode == 0 and "dim_batch" not in open(os.path.join(d, "m.h")).read(),
              r.stderr)


def main():
    global ARGS
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mlc", required=True)
    ap.add_argument("--build", required=True, help="the build folder (libmlc_rt.a)")
    ap.add_argument("--zoo", help="folder of the exported zoo models")
    ap.add_argument("--only", help="one case")
    ARGS = ap.parse_args()
    if not ARGS.only:
        cli()
        mlc_test()
    cases = dict(CASES)
    if ARGS.zoo:
        for n, (dims, points) in ZOO.items():
            path = os.path.join(ARGS.zoo, n + ".onnx")
            if os.path.exists(path):
                cases[n] = (path, dims, points)
            else:
                print(f"SKIP {n}: no {path} (models/export_zoo.py {n})")
    for n, (path, dims, points) in cases.items():
        if not ARGS.only or ARGS.only == n:
            one(n, path, dims, points)
    print(f"{sum(results)}/{len(results)} passed")
    sys.exit(0 if results and all(results) else 1)


if __name__ == "__main__":
    main()
