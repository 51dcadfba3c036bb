#!/usr/bin/env python3
"""Writes cnn.onnxtxt, the small CNN the target examples run next to the seed
MLP (models/net.onnxtxt is a single Gemm, not a CNN):

  input float[1,1,8,8] -> Conv 4x3x3 pad 1 -> Relu -> MaxPool 2
                       -> Conv 8x3x3 pad 1 -> Relu -> MaxPool 2
                       -> Flatten -> Gemm 32 -> 10 -> output float[1,10]

666 weights (2.6 KB), random with a fixed seed so the file is reproducible.
Usage: make_cnn.py [OUT]   (default: cnn.onnxtxt next to this script)"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper, printer


def cnn():
    rng = np.random.default_rng(7)

    def init(name, *shape, scale):
        a = (rng.standard_normal(shape) * scale).astype(np.float32)
        return numpy_helper.from_array(a, name)

    inits = [init("conv1.weight", 4, 1, 3, 3, scale=0.5), init("conv1.bias", 4, scale=0.1),
             init("conv2.weight", 8, 4, 3, 3, scale=0.3), init("conv2.bias", 8, scale=0.1),
             init("fc.weight", 10, 32, scale=0.3), init("fc.bias", 10, scale=0.1)]
    conv = dict(kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    pool = dict(kernel_shape=[2, 2], strides=[2, 2])
    nodes = [
        helper.make_node("Conv", ["input", "conv1.weight", "conv1.bias"], ["c1"], name="/conv1/Conv", **conv),
        helper.make_node("Relu", ["c1"], ["r1"], name="/relu1/Relu"),
        helper.make_node("MaxPool", ["r1"], ["p1"], name="/pool1/MaxPool", **pool),
        helper.make_node("Conv", ["p1", "conv2.weight", "conv2.bias"], ["c2"], name="/conv2/Conv", **conv),
        helper.make_node("Relu", ["c2"], ["r2"], name="/relu2/Relu"),
        helper.make_node("MaxPool", ["r2"], ["p2"], name="/pool2/MaxPool", **pool),
        helper.make_node("Flatten", ["p2"], ["f"], name="/Flatten", axis=1),
        helper.make_node("Gemm", ["f", "fc.weight", "fc.bias"], ["output"], name="/fc/Gemm",
                         alpha=1.0, beta=1.0, transB=1),
    ]
    graph = helper.make_graph(
        nodes, "cnn",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 1, 8, 8])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 10])], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)],
                             producer_name="mlc target examples (PyTorch-style)", ir_version=8)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "cnn.onnxtxt")
    model = cnn()
    onnx.checker.check_model(model, full_check=True)
    with open(out, "w") as f:
        f.write(printer.to_text(model) + "\n")


if __name__ == "__main__":
    main()
