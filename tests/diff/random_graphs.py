#!/usr/bin/env python3
"""Differential testing against onnxruntime: random valid graphs of the ops
mlc supports, with NaN-free inputs, computed by onnxruntime, by mlc's
interpreter and by the C mlc generates (`mlc test`, both modes).

Each graph starts from one to three float inputs of random shapes and grows
by 3 to 14 random nodes (elementwise chains with broadcasting, MatMul, Gemm,
Conv, pooling, normalizations, softmax, reductions, and the shape ops), each
checked by ONNX shape inference as it is added. Ops with a restricted domain
get a guarded input (Log of |x| + 1, Div by |y| + 1, ...), so no output is
NaN or infinite; a graph whose reference output is anyway is drawn again.
Discontinuous ops (Floor, Round, casts to integers) are left out: a 1-ulp
difference would flip them. The graph's unused values are its outputs.

A graph passes when every output matches in both modes (rtol 1e-3, atol
1e-4). The script also replays fixed regression models (bugs the random
graphs or review found) the same way.

usage: random_graphs.py --mlc PATH [-n N] [--seed S] [--keep DIR] [-j J]
    CI:     -n 100 --seed 1
    a full run: -n 1000 --seed 1 (README, Robustness)
"""
import argparse
import collections
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto as TP
from onnx import helper as h
from onnx import numpy_helper as nh
from onnx import shape_inference

OPSET = 17
UNARY = ["Relu", "Sigmoid", "Tanh", "Abs", "Neg", "Softsign", "Erf", "Sin", "Cos", "Atan",
         "HardSwish", "Softplus", "Asinh"]
UNARY_ATTR = [("LeakyRelu", {"alpha": 0.1}), ("Elu", {"alpha": 0.7}), ("Selu", {}),
              ("HardSigmoid", {"alpha": 0.3, "beta": 0.4}), ("Celu", {"alpha": 1.3}),
              ("ThresholdedRelu", {"alpha": 0.2})]
GUARDED = ["Sqrt", "Log", "Reciprocal", "Exp"]
BINARY = ["Add", "Sub", "Mul", "Max", "Min"]


class Graph:
    def __init__(self, rng):
        self.rng = rng
        self.nodes, self.inits, self.inputs = [], [], []
        self.shapes = {}  # float values -> shape
        self.used = set()
        self.n = 0
        self.ops = []

    def name(self):
        self.n += 1
        return "v%d" % self.n

    def const(self, arr):
        nm = "c%d" % (len(self.inits) + 1)
        self.inits.append(nh.from_array(np.asarray(arr), nm))
        return nm

    def fconst(self, shape, lo=-1.0, hi=1.0):
        return self.const(self.rng.uniform(lo, hi, shape).astype(np.float32))

    def pick(self, min_rank=0, max_rank=8):
        c = [v for v, s in self.shapes.items() if min_rank <= len(s) <= max_rank]
        if not c:
            return None
        # prefer recent values: graphs get deep, not only wide
        c.sort(key=lambda v: int(v[1:]) if v[1:].isdigit() else 0)
        return c[-1 - min(int(self.rng.exponential(2.0)), len(c) - 1)]

    def model(self, outputs):
        read = {i for n in self.nodes for i in n.input}
        g = h.make_graph(self.nodes, "random", self.inputs,
                         [h.make_tensor_value_info(o, TP.FLOAT, None) for o in outputs],
                         [t for t in self.inits if t.name in read])
        m = h.make_model(g, opset_imports=[h.make_opsetid("", OPSET)], producer_name="random_graphs")
        m.ir_version = 8
        return m

    def add(self, op, ins, attrs=None, nout=1, out_float=True):
        """appends the node if ONNX shape inference accepts it; returns the
        outputs or None"""
        outs = [self.name() for _ in range(nout)]
        node = h.make_node(op, ins, outs, name="n%d_%s" % (len(self.nodes), op), **(attrs or {}))
        self.nodes.append(node)
        try:
            m = shape_inference.infer_shapes(self.model(outs), strict_mode=True)
            shapes = {}
            for vi in m.graph.output:
                t = vi.type.tensor_type
                dims = [d.dim_value if d.HasField("dim_value") else -1 for d in t.shape.dim]
                if not t.HasField("shape") or min(dims + [1]) < 1 or np.prod(dims) > 20000:
                    raise ValueError("bad shape")
                shapes[vi.name] = tuple(dims)
        except Exception:
            self.nodes.pop()
            return None
        for i in ins:
            self.used.add(i)
        self.ops.append(op)
        if out_float:
            self.shapes.update(shapes)
        return outs


def guard(g, x, op):
    """x made safe for op: |x| + 1 for Log and Reciprocal, |x| for Sqrt,
    tanh(x) for Exp"""
    if op == "Exp":
        return g.add("Tanh", [x])[0]
    a = g.add("Abs", [x])[0]
    if op == "Sqrt":
        return a
    return g.add("Add", [a, g.const(np.ones(1, np.float32))])[0]


def broadcast_partner(g, shape):
    """a second operand for a binary op: an existing value of a compatible
    shape, or a constant shaped like a suffix of x's with some dims 1"""
    r = g.rng
    same = [v for v, s in g.shapes.items() if s == shape]
    if same and r.rand() < 0.4:
        return same[r.randint(len(same))]
    k = r.randint(0, len(shape) + 1)
    s = [d if r.rand() < 0.6 else 1 for d in shape[len(shape) - k:]]
    return g.fconst(s)


def step(g):
    r = g.rng
    kind = r.choice(["unary", "unary", "binary", "binary", "guarded", "matmul", "gemm", "conv",
                     "pool", "gpool", "norm", "softmax", "reduce", "arg", "shape", "shape",
                     "concat", "split", "slice", "gather", "clip", "where", "pad", "expand"])
    x = g.pick()
    if x is None:
        return
    s = g.shapes[x]
    rank = len(s)
    if kind == "unary":
        if r.rand() < 0.3:
            op, a = UNARY_ATTR[r.randint(len(UNARY_ATTR))]
            g.add(op, [x], a)
        else:
            g.add(UNARY[r.randint(len(UNARY))], [x])
    elif kind == "binary":
        y = broadcast_partner(g, s)
        ins = [x, y] if r.rand() < 0.7 else [y, x]
        op = BINARY[r.randint(len(BINARY))] if r.rand() < 0.8 else "Div"
        if op == "Div":
            ins[1] = guard(g, ins[1], "Reciprocal")
        g.add(op, ins)
    elif kind == "guarded":
        op = GUARDED[r.randint(len(GUARDED))]
        g.add(op, [guard(g, x, op)])
        if r.rand() < 0.3:
            base = guard(g, x, "Log")
            g.add("Pow", [base, g.const(np.array(r.uniform(0.5, 2.0), np.float32))])
    elif kind == "matmul" and rank >= 1:
        k, n = s[-1], r.randint(1, 7)
        batched = rank >= 3 and r.rand() < 0.3
        g.add("MatMul", [x, g.fconst((s[-3], k, n) if batched else (k, n))])
    elif kind == "gemm" and rank == 2:
        m, k = s
        n = r.randint(1, 7)
        tb = int(r.rand() < 0.5)
        w = g.fconst((n, k) if tb else (k, n))
        ins = [x, w] + ([g.fconst((n,) if r.rand() < 0.5 else (1, n))] if r.rand() < 0.7 else [])
        g.add("Gemm", ins, {"transB": tb, "alpha": float(r.uniform(0.5, 1.5)),
                            "beta": float(r.uniform(0.5, 1.5))})
    elif kind == "conv" and rank in (3, 4):
        c = s[1]
        group = c if (r.rand() < 0.25 and c > 1) else 1
        m = group * r.randint(1, 3) if group > 1 else r.randint(1, 5)
        kern = [int(r.randint(1, min(3, d) + 1)) for d in s[2:]]
        attrs = {"kernel_shape": kern, "strides": [int(r.randint(1, 3)) for _ in kern],
                 "dilations": [int(r.randint(1, 3)) if kk > 1 else 1 for kk in kern],
                 "group": group}
        if r.rand() < 0.5:
            attrs["pads"] = [int(r.randint(0, kk)) for kk in kern] * 2
        elif r.rand() < 0.3:
            attrs["auto_pad"] = "SAME_UPPER"
            attrs.pop("dilations")
        ins = [x, g.fconst([m, c // group] + kern)] + ([g.fconst([m])] if r.rand() < 0.6 else [])
        g.add("Conv", ins, attrs)
    elif kind == "pool" and rank in (3, 4):
        kern = [int(r.randint(1, min(3, d) + 1)) for d in s[2:]]
        attrs = {"kernel_shape": kern, "strides": [int(r.randint(1, 3)) for _ in kern]}
        if r.rand() < 0.5:
            attrs["pads"] = [int(r.randint(0, kk)) for kk in kern] * 2
        op = "MaxPool" if r.rand() < 0.5 else "AveragePool"
        if op == "AveragePool" and "pads" in attrs:
            attrs["count_include_pad"] = int(r.rand() < 0.5)
        if r.rand() < 0.3:
            attrs["ceil_mode"] = 1
        g.add(op, [x], attrs)
    elif kind == "gpool" and rank >= 3:
        g.add("GlobalAveragePool" if r.rand() < 0.5 else "GlobalMaxPool", [x])
    elif kind == "norm" and rank >= 2:
        if r.rand() < 0.5:
            c = s[1]
            g.add("BatchNormalization", [x, g.fconst([c], 0.5, 1.5), g.fconst([c]), g.fconst([c]),
                                         g.fconst([c], 0.5, 2.0)], {"epsilon": 1e-3})
        else:
            ax = int(r.randint(-rank, 0))
            sh = list(s[ax:])
            g.add("LayerNormalization", [x, g.fconst(sh, 0.5, 1.5), g.fconst(sh)], {"axis": ax})
    elif kind == "softmax" and rank >= 1:
        g.add("Softmax" if r.rand() < 0.6 else "LogSoftmax", [x], {"axis": int(r.randint(-rank, rank))})
    elif kind == "reduce" and rank >= 1:
        op = ["ReduceMean", "ReduceMax", "ReduceMin", "ReduceSum", "ReduceL2", "ReduceSumSquare"][r.randint(6)]
        # each axis once (mlc refuses an axis listed twice, as -1 and rank-1 say)
        axes = sorted(set(int(a) % rank for a in r.randint(-rank, rank, r.randint(1, rank + 1))))
        axes = [a - rank if r.rand() < 0.5 else a for a in axes]
        kd = int(r.rand() < 0.5)
        if op == "ReduceSum":
            g.add(op, [x, g.const(np.array(axes, np.int64))], {"keepdims": kd})
        else:
            g.add(op, [x], {"axes": axes, "keepdims": kd})
    elif kind == "arg" and rank >= 1:
        out = g.add("ArgMax" if r.rand() < 0.5 else "ArgMin", [x],
                    {"axis": int(r.randint(-rank, rank)), "keepdims": int(r.rand() < 0.5)}, out_float=False)
        if out:
            g.add("Cast", [out[0]], {"to": TP.FLOAT})
    elif kind == "shape":
        c = r.randint(5)
        if c == 0 and rank >= 2:
            g.add("Transpose", [x], {"perm": [int(p) for p in r.permutation(rank)]})
        elif c == 1:
            n = int(np.prod(s))
            fac = [d for d in range(1, n + 1) if n % d == 0]
            a = fac[r.randint(len(fac))]
            g.add("Reshape", [x, g.const(np.array([a, -1] if r.rand() < 0.5 else [-1, n // a], np.int64))])
        elif c == 2 and rank >= 1:
            g.add("Flatten", [x], {"axis": int(r.randint(-rank, rank + 1))})
        elif c == 3 and rank < 6:
            g.add("Unsqueeze", [x, g.const(np.array([int(r.randint(-rank - 1, rank + 1))], np.int64))])
        elif c == 4:
            ones = [i for i, d in enumerate(s) if d == 1]
            if ones:
                g.add("Squeeze", [x, g.const(np.array([ones[r.randint(len(ones))]], np.int64))])
    elif kind == "concat" and rank >= 1:
        ax = int(r.randint(-rank, rank))
        other = [v for v, t in g.shapes.items() if len(t) == rank and all(
            t[i] == s[i] for i in range(rank) if i != ax % rank)]
        y = other[r.randint(len(other))]
        g.add("Concat", [x, y] if r.rand() < 0.5 else [y, x, x], {"axis": ax})
    elif kind == "split" and rank >= 1:
        ax = int(r.randint(rank))
        if s[ax] >= 2:
            a = int(r.randint(1, s[ax]))
            g.add("Split", [x, g.const(np.array([a, s[ax] - a], np.int64))], {"axis": ax}, nout=2)
    elif kind == "slice" and rank >= 1:
        ax = int(r.randint(rank))
        d = s[ax]
        if r.rand() < 0.7:
            st, en, sp = int(r.randint(-d, d)), int(r.randint(-d - 1, d + 2)), int(r.choice([1, 1, 2, 3]))
        else:
            st, en, sp = int(r.randint(-d, d)), int(r.randint(-d - 2, d)), int(r.choice([-1, -2]))
        g.add("Slice", [x, g.const(np.array([st], np.int64)), g.const(np.array([en], np.int64)),
                        g.const(np.array([ax], np.int64)), g.const(np.array([sp], np.int64))])
    elif kind == "gather" and rank >= 1:
        ax = int(r.randint(-rank, rank))
        d = s[ax]
        idx = r.randint(-d, d, size=[int(r.randint(1, 4))] if r.rand() < 0.7 else [])
        g.add("Gather", [x, g.const(np.array(idx, np.int64))], {"axis": ax})
    elif kind == "clip":
        lo = float(r.uniform(-1, 0))
        g.add("Clip", [x, g.const(np.array(lo, np.float32)), g.const(np.array(lo + r.uniform(0.1, 2), np.float32))])
    elif kind == "where":
        y = broadcast_partner(g, s)
        c = g.add("Greater", [x, y], out_float=False)
        if c:
            g.add("Where", [c[0], x, y])
    elif kind == "pad" and rank >= 1:
        pads = [int(r.randint(0, 3)) for _ in range(2 * rank)]
        mode = ["constant", "reflect", "edge"][r.randint(3)]
        if mode == "reflect":
            pads = [min(p, s[i % rank] - 1) for i, p in enumerate(pads)]
        ins = [x, g.const(np.array(pads, np.int64))]
        if mode == "constant":
            ins.append(g.const(np.array(r.uniform(-1, 1), np.float32)))
        g.add("Pad", ins, {"mode": mode})
    elif kind == "expand" and rank >= 1:
        if r.rand() < 0.5:
            shape = [d if d != 1 else int(r.randint(1, 4)) for d in s]
            if r.rand() < 0.3:
                shape = [int(r.randint(1, 3))] + shape
            g.add("Expand", [x, g.const(np.array(shape, np.int64))])
        else:
            g.add("Tile", [x, g.const(np.array([int(r.randint(1, 3)) for _ in s], np.int64))])


def random_graph(rng):
    g = Graph(rng)
    for i in range(rng.randint(1, 4)):
        rank = rng.randint(1, 5)
        shape = [int(rng.randint(1, 7)) for _ in range(rank)]
        nm = "in%d" % i
        g.inputs.append(h.make_tensor_value_info(nm, TP.FLOAT, shape))
        g.shapes[nm] = tuple(shape)
    want = rng.randint(3, 15)
    for _ in range(want * 4):
        if len(g.nodes) >= want:
            break
        step(g)
    if not g.nodes:
        return None
    outs = [v for v in g.shapes if v not in g.used and not v.startswith("in")]
    return g, g.model(outs[-4:]) if outs else None


def write_test(d, m, rng):
    """model.onnx and one data set with onnxruntime's outputs; False when the
    reference is not finite or onnxruntime refuses the graph"""
    os.makedirs(os.path.join(d, "test_data_set_0"))
    path = os.path.join(d, "model.onnx")
    onnx.save(m, path)
    try:
        so = ort.SessionOptions()
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
        sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
        feeds = {}
        for k, i in enumerate(sess.get_inputs()):
            x = rng.uniform(-2, 2, i.shape).astype(np.float32)
            feeds[i.name] = x
            with open(os.path.join(d, "test_data_set_0", "input_%d.pb" % k), "wb") as f:
                f.write(nh.from_array(x, i.name).SerializeToString())
        outs = sess.run(None, feeds)
    except Exception as e:  # noqa: BLE001 - any refusal means: draw another
        return str(e).split("\n")[0][:200]
    for k, y in enumerate(outs):
        if not np.all(np.isfinite(y)) or np.abs(y).max(initial=0) > 1e6:
            return "not finite"
        with open(os.path.join(d, "test_data_set_0", "output_%d.pb" % k), "wb") as f:
            f.write(nh.from_array(y, m.graph.output[k].name).SerializeToString())
    with open(os.path.join(d, "data.json"), "w") as f:
        json.dump({"rtol": 1e-3, "atol": 1e-4}, f)
    return None


def write_fixed(d, m, feeds, outs):
    """a test whose reference is given, not onnxruntime's"""
    os.makedirs(os.path.join(d, "test_data_set_0"))
    onnx.save(m, os.path.join(d, "model.onnx"))
    for kind, arrs in (("input", feeds), ("output", outs)):
        for k, a in enumerate(arrs):
            with open(os.path.join(d, "test_data_set_0", "%s_%d.pb" % (kind, k)), "wb") as f:
                f.write(nh.from_array(a, "%s%d" % (kind, k)).SerializeToString())


def integer_edges():
    """Integer elementwise ops where C has undefined behaviour (or traps):
    mlc defines them (README, Robustness), so the reference is mlc's rule,
    not onnxruntime's, which traps on INT_MIN / -1. Both modes must agree
    with it, and the sanitizer build must find nothing."""
    lo, hi = -2**31, 2**31 - 1
    a = np.array([lo, 7, -7, 5, hi, lo, 3], np.int32)
    b = np.array([-1, 0, 2, -1, 2, -1, -2], np.int32)
    wrap = lambda x: np.array(x, np.int64).astype(np.uint32).astype(np.int32)
    outs = {
        "Div": wrap([lo, 0, -3, -5, hi // 2, lo, -1]),
        "Mod": np.array([0, 0, 1, 0, 1, 0, -1], np.int32),
        "Mul": wrap(np.array(a, np.int64) * np.array(b, np.int64)),
        "Sub": wrap(np.array(a, np.int64) - np.array(b, np.int64)),
    }
    nodes = [h.make_node(op, ["a", "b"], [op.lower()]) for op in outs]
    g = h.make_graph(nodes, "integer_edges",
                     [h.make_tensor_value_info(n, TP.INT32, [7]) for n in "ab"],
                     [h.make_tensor_value_info(op.lower(), TP.INT32, [7]) for op in outs])
    m = h.make_model(g, opset_imports=[h.make_opsetid("", OPSET)])
    m.ir_version = 8
    return m, [a, b], list(outs.values())


def vi(name, shape):
    return h.make_tensor_value_info(name, TP.FLOAT, list(shape))


def regressions():
    """fixed models for bugs found on the way; each must pass like a random one"""
    ms = {}
    # nested Loops: the outer unrolling kept inserting at a stale position,
    # so the schedule ran iterations in the wrong order (op_seq.c settle)
    def body(nodes, suffix, inits=()):
        return h.make_graph(nodes, "body" + suffix,
                            [h.make_tensor_value_info("i" + suffix, TP.INT64, []),
                             h.make_tensor_value_info("c" + suffix, TP.BOOL, []), vi("v" + suffix, (2, 3))],
                            [h.make_tensor_value_info("co" + suffix, TP.BOOL, []), vi("vo" + suffix, (2, 3))],
                            list(inits))
    one = nh.from_array(np.ones((2, 3), np.float32), "one")
    inner = body([h.make_node("Identity", ["c2"], ["co2"]), h.make_node("Add", ["v2", "one"], ["vo2"])], "2", [one])
    outer = body([h.make_node("Identity", ["c1"], ["co1"]),
                  h.make_node("Loop", ["m3", "t", "v1"], ["in_out"], body=inner),
                  h.make_node("Mul", ["in_out", "two"], ["vo1"])], "1",
                 [nh.from_array(np.array(3, np.int64), "m3"), nh.from_array(np.full((2, 3), 2, np.float32), "two")])
    g = h.make_graph([h.make_node("Loop", ["m4", "t", "x"], ["y"], body=outer)], "nested_loops",
                     [vi("x", (2, 3))], [vi("y", (2, 3))],
                     [nh.from_array(np.array(4, np.int64), "m4"), nh.from_array(np.array(True), "t")])
    ms["nested_loops"] = g
    out = {}
    for k, g in ms.items():
        m = h.make_model(g, opset_imports=[h.make_opsetid("", OPSET)])
        m.ir_version = 8
        out[k] = m
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mlc", required=True)
    ap.add_argument("-n", type=int, default=100, help="random graphs to compare")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("-j", type=int, default=2)
    ap.add_argument("--keep", help="write the tests here and keep them")
    args = ap.parse_args()
    ort.set_default_logger_severity(3)
    work = args.keep or tempfile.mkdtemp(prefix="mlc-diff-")
    if args.keep and os.path.exists(work):
        shutil.rmtree(work)
    os.makedirs(work, exist_ok=True)
    rng = np.random.RandomState(args.seed)
    made, drawn, why_redrawn = 0, 0, collections.Counter()
    ops = {}
    try:
        for name, m in regressions().items():
            d = os.path.join(work, "reg_" + name)
            err = write_test(d, m, rng)
            assert err is None, (name, err)
            ops["reg_" + name] = [n.op_type for n in m.graph.node]
        m, feeds, outs = integer_edges()
        write_fixed(os.path.join(work, "reg_integer_edges"), m, feeds, outs)
        ops["reg_integer_edges"] = [n.op_type for n in m.graph.node]
        while made < args.n:
            drawn += 1
            r = random_graph(rng)
            if not r or r[1] is None:
                why_redrawn["no graph"] += 1
                continue
            g, m = r
            d = os.path.join(work, "g%04d" % made)
            err = write_test(d, m, rng)
            if err:
                why_redrawn[err if err == "not finite" else "onnxruntime refused"] += 1
                shutil.rmtree(d)
                continue
            ops["g%04d" % made] = g.ops
            made += 1
        status = os.path.join(work, "status.txt")
        subprocess.run([args.mlc, "test", "-j", str(args.j), "--status=" + status, work],
                       capture_output=True, text=True)
        res = {}
        with open(status) as f:
            for line in f:
                p = line.rstrip("\n").split(" ", 2)
                res[p[0]] = (p[1], p[2] if len(p) > 2 else "")
        bad = {k: v for k, v in res.items() if v[0] != "PASS"}
        per_op = collections.Counter()
        for k in bad:
            for op in set(ops.get(k, [])):
                per_op[op] += 1
        for k, (st, why) in sorted(bad.items()):
            print("%s %s: %s [%s]" % (st, k, why[:300], " ".join(ops.get(k, []))))
        print("drew %d graphs for %d (redrawn: %s)" % (drawn, made, dict(why_redrawn)))
        print("ops in the graphs: %s" % dict(collections.Counter(o for v in ops.values() for o in v)))
        if per_op:
            print("ops in mismatching graphs: %s" % dict(per_op.most_common()))
        nreg = len(regressions()) + 1
        print("%d graphs (+%d regression models): %d pass, %d mismatch or refused" %
              (made, nreg, len(res) - len(bad), len(bad)))
        ok = not bad and len(res) == made + nreg
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
