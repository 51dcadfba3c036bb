#!/usr/bin/env python3
"""Models compiled for the instruction sets this CPU runs (mlc compile
--target), checked against onnxruntime as check_models.py does: the code
paths a planned target takes and generic code does not, on whole graphs.
The models are built here, with fixed seeds, so that every such path has
work: convs whose weights are packed at compile time in both tile heights,
3x3 convs by Winograd F(4x4) and F(2x2), stride-2 im2col, depthwise,
MaxPool, a residual, MatMul and Gemm against packed constant B (Gemm's
transposed), and batched products of two activations.

For each target (x86-64-v4 where the CPU has AVX-512F, x86-64-v3 where it
has AVX2 and FMA, aarch64 on an aarch64 host, and generic everywhere)
`mlc test` builds the runtime from its sources with that target's flags
(--cc) and the generated code with them.

usage: planned.py --mlc BUILD/mlc"""
import argparse
import os
import platform
import re
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import check_models  # noqa: E402


def targets():
    """(name, cflags) of the targets this machine runs"""
    found = [("generic", "")]
    if platform.machine() in ("aarch64", "arm64"):
        return found + [("aarch64", "")]
    try:
        flags = set(re.search(r"^flags\s*:(.*)$", open("/proc/cpuinfo").read(), re.M)
                    .group(1).split())
    except (OSError, AttributeError):
        return found
    if {"avx2", "fma"} <= flags:
        found.append(("x86-64-v3", "-march=x86-64-v3"))
    if "avx512f" in flags:
        found.append(("x86-64-v4", "-march=x86-64-v4"))
    return found


class Builder:
    """a graph of float32 nodes with random weights (fixed seed)"""

    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)
        self.nodes, self.inits = [], []

    def weight(self, name, shape, scale):
        a = (self.rng.standard_normal(shape) * scale).astype(np.float32)
        self.inits.append(numpy_helper.from_array(a, name))
        return name

    def const(self, name, array):
        self.inits.append(numpy_helper.from_array(array, name))
        return name

    def node(self, op, ins, out, **attrs):
        self.nodes.append(helper.make_node(op, ins, [out], name=out, **attrs))
        return out

    def conv(self, x, name, c, m, k, stride=1, group=1, relu=True):
        w = self.weight(name + ".w", (m, c // group, k, k), (2.0 / (c // group * k * k)) ** 0.5)
        b = self.weight(name + ".b", (m,), 0.1)
        y = self.node("Conv", [x, w, b], name, kernel_shape=[k, k], strides=[stride, stride],
                      pads=[k // 2] * 4, group=group)
        return self.node("Relu", [y], name + ".relu") if relu else y

    def model(self, name, inputs, output, out_shape):
        g = helper.make_graph(self.nodes, name, inputs,
                              [helper.make_tensor_value_info(output, TensorProto.FLOAT,
                                                             out_shape)], self.inits)
        return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])


def cnn():
    b = Builder(1)
    x = b.conv("x", "stem", 3, 64, 3, stride=2)  # 28x28, stride-2 im2col
    x = b.conv(x, "wino4", 64, 64, 3)  # Winograd F(4x4): 49 tiles
    p = b.node("MaxPool", [x], "pool", kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
    x = b.conv(p, "expand", 64, 96, 1)  # packed, 12-row tiles
    x = b.conv(x, "dw", 96, 96, 3, group=96)  # depthwise
    x = b.conv(x, "project", 96, 64, 1, relu=False)  # packed, 8-row tiles
    x = b.node("Relu", [b.node("Add", [x, p], "residual")], "residual.relu")
    x = b.conv(x, "down", 64, 128, 3, stride=2)  # 7x7
    x = b.conv(x, "wino2", 128, 128, 3)  # Winograd F(2x2): 16 tiles
    x = b.conv(x, "down1x1", 128, 80, 1, stride=2)  # 1x1 stride 2: 4x4
    x = b.node("Flatten", [b.node("GlobalAveragePool", [x], "gap")], "flat")
    w = b.weight("fc.w", (10, 80), 0.1)
    y = b.node("Gemm", [x, w, b.weight("fc.b", (10,), 0.1)], "fc", transB=1)
    return b.model("cnn_planned", [helper.make_tensor_value_info("x", TensorProto.FLOAT,
                                                                [1, 3, 56, 56])], y, [1, 10])


def dense():
    b = Builder(2)
    h = b.node("MatMul", ["x", b.weight("w1", (64, 100), 0.15)], "fc1")  # B packed, 2x40 rows
    h = b.node("Relu", [b.node("Add", [h, b.weight("b1", (100,), 0.1)], "fc1.b")], "fc1.relu")
    q = b.node("Reshape", [h, b.const("heads", np.array([2, 40, 4, 25], np.int64))], "q")
    q = b.node("Transpose", [q], "qt", perm=[0, 2, 1, 3])  # 2x4x40x25
    kt = b.node("Transpose", [q], "kt", perm=[0, 1, 3, 2])
    s = b.node("Softmax", [b.node("MatMul", [q, kt], "scores")], "probs", axis=-1)  # batched
    o = b.node("MatMul", [s, q], "ctx")  # 2x4x40x25
    o = b.node("Reshape", [b.node("Transpose", [o], "ctxt", perm=[0, 2, 1, 3]),
                           b.const("flat_shape", np.array([80, 100], np.int64))], "merged")
    w = b.weight("w2", (70, 100), 0.1)
    y = b.node("Gemm", [o, w, b.weight("b2", (70,), 0.1)], "fc2", transB=1)  # B^T packed
    return b.model("dense_planned", [helper.make_tensor_value_info("x", TensorProto.FLOAT,
                                                                  [2, 40, 64])], y, [80, 70])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mlc", required=True)
    args = ap.parse_args()
    failed = total = 0
    with tempfile.TemporaryDirectory() as work:
        paths = []
        for m in (cnn(), dense()):
            onnx.checker.check_model(m)
            paths.append(os.path.join(work, m.graph.name + ".onnx"))
            onnx.save(m, paths[-1])
        for name, cflags in targets():
            extra = ["--target=" + name]
            if name != "generic":
                extra += ["--cc=cc"] + (["--cflags=" + cflags] if cflags else [])
            d = os.path.join(work, name)
            for path in paths:
                good, line, secs = check_models.check(args.mlc, path, d, 2, extra)
                total += 1
                failed += not good
                print(f"{'ok  ' if good else 'FAIL'} {os.path.basename(path)} for {name} "
                      f"({secs:.1f} s): {line}")
    print(f"planned models: {total - failed} of {total} match onnxruntime")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
