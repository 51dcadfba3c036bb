#!/usr/bin/env python3
"""Writes the two bundled seed models in mlc's text form (and as .onnx):

  mlp.onnxtxt  a Keras-style Sequential MLP: 10 inputs -> Dense 64 relu -> Dense 1,
               written the way tf2onnx exports Dense layers (MatMul + Add + Relu),
               batch dimension symbolic ("batch")
  net.onnxtxt  a PyTorch-style `Net` (nn.Linear(10, 1)), written the way
               torch.onnx exports nn.Linear (Gemm with transB=1), batch 1

Weights are random with a fixed seed, so the files are reproducible.
Usage: make_seed_models.py [OUTDIR]   (default: this script's folder)"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper, printer


def mlp():
    rng = np.random.default_rng(0)
    w1 = rng.standard_normal((10, 64)).astype(np.float32) * np.float32(0.3)
    b1 = rng.standard_normal(64).astype(np.float32) * np.float32(0.1)
    w2 = rng.standard_normal((64, 1)).astype(np.float32) * np.float32(0.3)
    b2 = rng.standard_normal(1).astype(np.float32) * np.float32(0.1)
    nodes = [
        helper.make_node("MatMul", ["dense_input", "dense/kernel"], ["dense/MatMul"], name="dense/MatMul"),
        helper.make_node("Add", ["dense/MatMul", "dense/bias"], ["dense/BiasAdd"], name="dense/BiasAdd"),
        helper.make_node("Relu", ["dense/BiasAdd"], ["dense/Relu"], name="dense/Relu"),
        helper.make_node("MatMul", ["dense/Relu", "dense_1/kernel"], ["dense_1/MatMul"], name="dense_1/MatMul"),
        helper.make_node("Add", ["dense_1/MatMul", "dense_1/bias"], ["dense_1"], name="dense_1/BiasAdd"),
    ]
    graph = helper.make_graph(
        nodes, "sequential",
        [helper.make_tensor_value_info("dense_input", TensorProto.FLOAT, ["batch", 10])],
        [helper.make_tensor_value_info("dense_1", TensorProto.FLOAT, ["batch", 1])],
        [numpy_helper.from_array(w1, "dense/kernel"), numpy_helper.from_array(b1, "dense/bias"),
         numpy_helper.from_array(w2, "dense_1/kernel"), numpy_helper.from_array(b2, "dense_1/bias")])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)],
                             producer_name="mlc seed models (Keras-style)", ir_version=8)


def net():
    rng = np.random.default_rng(1)
    w = rng.standard_normal((1, 10)).astype(np.float32) * np.float32(0.3)
    b = rng.standard_normal(1).astype(np.float32) * np.float32(0.1)
    nodes = [helper.make_node("Gemm", ["input", "fc.weight", "fc.bias"], ["output"],
                              name="/fc/Gemm", alpha=1.0, beta=1.0, transB=1)]
    graph = helper.make_graph(
        nodes, "main_graph",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 10])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 1])],
        [numpy_helper.from_array(w, "fc.weight"), numpy_helper.from_array(b, "fc.bias")])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)],
                             producer_name="mlc seed models (PyTorch-style)", ir_version=8)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    for name, model in (("mlp", mlp()), ("net", net())):
        onnx.checker.check_model(model)
        onnx.save(model, os.path.join(out, name + ".onnx"))
        with open(os.path.join(out, name + ".onnxtxt"), "w") as f:
            f.write(printer.to_text(model) + "\n")


if __name__ == "__main__":
    main()
