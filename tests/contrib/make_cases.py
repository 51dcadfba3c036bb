#!/usr/bin/env python3
"""Cases for the ops of onnxruntime's com.microsoft domain that mlc takes
(Inverse), in the ONNX backend-test layout under tests/contrib/cases
(committed; ctest contrib_ops runs `mlc test` on them). The expected outputs
come from onnxruntime, which defines these ops, except for float16 inputs:
onnxruntime computes those in half precision (its Inverse is up to 2e-3 off
the exact inverse), so their expected output is the exact inverse (numpy,
float64) rounded to float16, which mlc (computing in double) must match.

usage: make_cases.py   (rewrites tests/contrib/cases)"""
import os
import shutil

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto as TP
from onnx import helper as h
from onnx import numpy_helper as nh

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "cases")
rng = np.random.default_rng(0)


def case(name, op, inputs, attrs=None, exact=None):
    """one node of domain com.microsoft on the given inputs; exact: a function
    of the inputs giving the expected output instead of onnxruntime's"""
    d = os.path.join(ROOT, name)
    os.makedirs(os.path.join(d, "test_data_set_0"))
    ins = [h.make_tensor_value_info(k, h.np_dtype_to_tensor_dtype(v.dtype), v.shape)
           for k, v in inputs.items()]
    node = h.make_node(op, list(inputs), ["y"], domain="com.microsoft", **(attrs or {}))
    first = next(iter(inputs.values()))
    out = h.make_tensor_value_info("y", h.np_dtype_to_tensor_dtype(first.dtype), None)
    g = h.make_graph([node], name, ins, [out])
    m = h.make_model(g, opset_imports=[h.make_opsetid("", 17), h.make_opsetid("com.microsoft", 1)])
    m.ir_version = 9
    y = ort.InferenceSession(m.SerializeToString(),
                             providers=["CPUExecutionProvider"]).run(None, inputs)[0]
    if exact:
        y = exact(*inputs.values()).astype(y.dtype)
    g.output[0].CopyFrom(h.make_tensor_value_info("y", h.np_dtype_to_tensor_dtype(y.dtype),
                                                  y.shape))
    onnx.save(m, os.path.join(d, "model.onnx"))
    for i, (k, v) in enumerate(inputs.items()):
        onnx.save_tensor(nh.from_array(v, k), os.path.join(d, "test_data_set_0", f"input_{i}.pb"))
    onnx.save_tensor(nh.from_array(y, "y"), os.path.join(d, "test_data_set_0", "output_0.pb"))


def well_conditioned(shape, dtype):
    """random matrices plus a multiple of the identity, so that float16
    inputs still have inverses the tolerance can check"""
    n = shape[-1]
    return (rng.standard_normal(shape) + 2 * n * np.eye(n)).astype(dtype)


def main():
    shutil.rmtree(ROOT, ignore_errors=True)
    case("inverse_float_3x3", "Inverse", {"x": well_conditioned((3, 3), np.float32)})
    case("inverse_double_batch", "Inverse", {"x": well_conditioned((2, 3, 4, 4), np.float64)})
    case("inverse_float16", "Inverse", {"x": well_conditioned((2, 5, 5), np.float16)},
         exact=lambda x: np.linalg.inv(x.astype(np.float64)))
    case("inverse_1x1", "Inverse", {"x": np.array([[4.0]], np.float32)})
    # a zero on the diagonal: partial pivoting must swap rows
    case("inverse_pivot", "Inverse", {"x": np.array([[0, 2, 1], [1, 0, 3], [4, 1, 0]],
                                                    np.float32)})
    case("inverse_random_8x8", "Inverse", {"x": rng.standard_normal((8, 8)).astype(np.float64)})


if __name__ == "__main__":
    main()
