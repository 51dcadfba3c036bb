#!/usr/bin/env python3
"""Cases for the ops of onnxruntime's com.microsoft domain that mlc takes
(Inverse, and the quantized ops of onnxruntime's quantizer, QGemm among
them), in the ONNX backend-test layout under tests/contrib/cases
(committed; ctest contrib_ops runs `mlc test` on them). The expected outputs come from onnxruntime, which
defines these ops, except for float16 inputs of Inverse: onnxruntime
computes those in half precision (its Inverse is up to 2e-3 off the exact
inverse), so their expected output is the exact inverse (numpy, float64)
rounded to float16, which mlc (computing in double) must match.

`mlc test` compares integer outputs exactly, so the quantized cases use
scales that are no round numbers: results then rarely fall within float
error of a rounding tie, where onnxruntime's arithmetic (scale ratios
folded together, an approximate sigmoid) and mlc's (dequantize, float op,
quantize) may round apart by one step. DynamicQuantizeLSTM is the
exception that needs a tolerance (data.json): onnxruntime quantizes X and
the hidden state for each product, mlc runs the float LSTM on the
dequantized weights.

usage: make_cases.py   (rewrites tests/contrib/cases)"""
import json
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


def case(name, op, inputs, attrs=None, exact=None, inits=None, order=None, nout=1, tol=None,
         out_type=None):
    """one node of domain com.microsoft on the given inputs (fed by the test)
    and initializers; order: the node's input names ("" for an absent one),
    by default the inputs' then the initializers'; exact: a function of the
    inputs giving the expected output instead of onnxruntime's; tol:
    data.json's tolerances; out_type: the outputs' numpy type when not the
    first input's"""
    d = os.path.join(ROOT, name)
    os.makedirs(os.path.join(d, "test_data_set_0"))
    ins = [h.make_tensor_value_info(k, h.np_dtype_to_tensor_dtype(v.dtype), v.shape)
           for k, v in inputs.items()]
    outs = [f"y{j}" if nout > 1 else "y" for j in range(nout)]
    node = h.make_node(op, order if order is not None else list(inputs) + list(inits or {}), outs,
                       domain="com.microsoft", **(attrs or {}))
    first = h.np_dtype_to_tensor_dtype(np.dtype(out_type or next(iter(inputs.values())).dtype))
    # outputs of the first input's type, shaped once onnxruntime has run
    g = h.make_graph([node], name, ins, [h.make_tensor_value_info(o, first, None) for o in outs],
                     [nh.from_array(v, k) for k, v in (inits or {}).items()])
    m = h.make_model(g, opset_imports=[h.make_opsetid("", 17), h.make_opsetid("com.microsoft", 1)])
    m.ir_version = 9
    ys = ort.InferenceSession(m.SerializeToString(),
                              providers=["CPUExecutionProvider"]).run(None, inputs)
    if exact:
        ys = [exact(*inputs.values()).astype(ys[0].dtype)]
    for o, y in zip(m.graph.output, ys):
        o.CopyFrom(h.make_tensor_value_info(o.name, h.np_dtype_to_tensor_dtype(y.dtype), y.shape))
    onnx.save(m, os.path.join(d, "model.onnx"))
    for i, (k, v) in enumerate(inputs.items()):
        onnx.save_tensor(nh.from_array(v, k), os.path.join(d, "test_data_set_0", f"input_{i}.pb"))
    for j, (o, y) in enumerate(zip(outs, ys)):
        onnx.save_tensor(nh.from_array(y, o), os.path.join(d, "test_data_set_0", f"output_{j}.pb"))
    if tol:
        with open(os.path.join(d, "data.json"), "w") as f:
            json.dump(tol, f)
            f.write("\n")


def well_conditioned(shape, dtype):
    """random matrices plus a multiple of the identity, so that float16
    inputs still have inverses the tolerance can check"""
    n = shape[-1]
    return (rng.standard_normal(shape) + 2 * n * np.eye(n)).astype(dtype)


def qgemm_exact(a, k, trans_b, alpha=1.0):
    """QGemm's output from the exact int32 sums, in onnxruntime's float
    arithmetic: the scale alpha * a_scale * b_scale / y_scale, the product
    with each sum, rounded half to even, clamped"""
    zp = k["b_zp"].astype(np.int64)
    b = k["b"].astype(np.int64) - (zp[:, None] if trans_b else zp)
    acc = (a.astype(np.int64) - int(k["a_zp"])) @ (b.T if trans_b else b) + k["c"]
    scale = np.float32(alpha) * k["a_scale"] * k["b_scale"] / k["y_scale"]
    y = np.rint(acc.astype(np.float32) * scale) + int(k["y_zp"])
    info = np.iinfo(k["y_zp"].dtype)
    return np.clip(y, info.min, info.max)


def qtensor(shape, dtype):
    info = np.iinfo(dtype)
    return rng.integers(info.min, info.max, size=shape, endpoint=True).astype(dtype)


def qweights(shape, dtype):
    """quantized weights; int8 ones in 7 bits, as onnxruntime's quantizer
    writes them for x86 (reduce_range): its uint8 x int8 products add pairs
    in int16, which 8-bit weights overflow"""
    w = qtensor(shape, dtype)
    return w // 2 if dtype == np.int8 else w


def qparams(dtype):
    """a scale that is no round number and a zero point near the middle"""
    info = np.iinfo(dtype)
    mid = (int(info.min) + int(info.max)) // 2
    return (np.float32(rng.uniform(0.01, 0.1)),
            np.array(rng.integers(mid - 40, mid + 40), dtype))


def qlinear_case(name, op, shapes, dtype, attrs=None, runtime=False, no_zero_point=False):
    """op on quantized tensors of these shapes, then Y's scale and zero
    point: the layout of QLinearAdd/Mul and the one-input QLinear ops.
    Scales and zero points are initializers, or fed (runtime); with
    no_zero_point Y's is left out (0; onnxruntime's type inference fails
    without the inputs')."""
    inputs, inits, order = {}, {}, []
    params = inputs if runtime else inits
    for i, shape in enumerate(shapes + [None]):
        s, z = qparams(dtype)
        if shape is not None:
            inputs[f"x{i}"] = qtensor(shape, dtype)
            order.append(f"x{i}")
        params[f"s{i}"] = np.array(s, np.float32)
        order.append(f"s{i}")
        if not (no_zero_point and shape is None):
            params[f"z{i}"] = z
            order.append(f"z{i}")
    case(name, op, inputs, attrs, inits=inits, order=order)


def concat_case(name, shapes, dtype, axis, share=True):
    """QLinearConcat: Y's scale and zero point, then triples; with share
    the first input has Y's, so that onnxruntime copies it as it is"""
    ys, yz = qparams(dtype)
    inputs, inits, order = {}, {"ys": np.array(ys), "yz": yz}, ["ys", "yz"]
    for i, shape in enumerate(shapes):
        s, z = (ys, yz) if share and i == 0 else qparams(dtype)
        inputs[f"x{i}"] = qtensor(shape, dtype)
        inits[f"s{i}"], inits[f"z{i}"] = np.array(s), z
        order += [f"x{i}", f"s{i}", f"z{i}"]
    case(name, "QLinearConcat", inputs, {"axis": axis}, inits=inits, order=order)


def softmax_case(name, shape, dtype, attrs):
    """QLinearSoftmax with the quantizer's output parameters: 1/256, and
    zero point 0 or -128. Inputs of a small range keep every probability
    below 255.5/256, where onnxruntime wraps int8 around."""
    inputs = {"x": rng.integers(-60, 60, size=shape, endpoint=True).astype(dtype)}
    inits = {"xs": np.array(np.float32(rng.uniform(0.02, 0.05))),
             "xz": np.array(3, dtype), "ys": np.array(1 / 256, np.float32),
             "yz": np.array(0 if dtype == np.uint8 else -128, dtype)}
    if dtype == np.uint8:
        inputs["x"] = (inputs["x"].astype(np.int32) + 128).astype(np.uint8)
    case(name, "QLinearSoftmax", inputs, attrs, inits=inits, order=["x", "xs", "xz", "ys", "yz"])


def dqmatmul_case(name, ashape, bshape, dtype, per_column=False, zero_point=True, bias=True):
    """DynamicQuantizeMatMul of float A and quantized B"""
    cols = bshape[-1]
    n = cols if per_column else 1
    s = rng.uniform(0.01, 0.05, n).astype(np.float32)
    z = np.array([qparams(dtype)[1] for _ in range(n)], dtype)
    inits = {"b": qweights(bshape, dtype), "bs": s if per_column else s.reshape(()),
             "bz": z if per_column else z.reshape(())}
    order = ["a", "b", "bs", "bz" if zero_point else ""]
    if bias:
        inits["bias"] = rng.standard_normal(cols).astype(np.float32)
        order.append("bias")
    if not zero_point:
        del inits["bz"]
    case(name, "DynamicQuantizeMatMul", {"a": rng.standard_normal(ashape).astype(np.float32)},
         inits=inits, order=order)


def dqlstm_case(name, seq, batch, size, hidden, dtype, direction, per_column, extras, tol):
    """DynamicQuantizeLSTM: weights as onnxruntime's quantizer writes them
    ([dirs, rows, 4 * hidden], a zero point of 0 for int8 and one value
    for all of uint8, as onnxruntime requires); extras: B,
    initial_h, initial_c and P"""
    dirs = 2 if direction == "bidirectional" else 1
    inits, order = {}, ["x"]
    for w, rows in (("w", size), ("r", hidden)):
        n = 4 * hidden if per_column else 1
        zero = 0 if dtype == np.int8 else 128
        inits[w] = qweights((dirs, rows, 4 * hidden), dtype)
        s = rng.uniform(0.02, 0.06, (dirs, n)).astype(np.float32)
        z = np.full((dirs, n), zero + (dtype == np.uint8) * rng.integers(-20, 20), dtype)
        inits[w + "s"], inits[w + "z"] = (s, z) if per_column else (s[:, 0], z[:, 0])
    opt = {"b": (dirs, 8 * hidden), "h0": (dirs, batch, hidden), "c0": (dirs, batch, hidden),
           "p": (dirs, 3 * hidden)}
    for k in ("b", "h0", "c0", "p"):
        if k in extras:
            inits[k] = (0.5 * rng.standard_normal(opt[k])).astype(np.float32)
    order = ["x", "w", "r"] + [k if k in extras else "" for k in ("b", "", "h0", "c0", "p")]
    order[4] = ""  # sequence_lens
    order += ["ws", "wz", "rs", "rz"]
    case(name, "DynamicQuantizeLSTM",
         {"x": rng.standard_normal((seq, batch, size)).astype(np.float32)},
         {"hidden_size": hidden, "direction": direction}, inits=inits, order=order, nout=3,
         tol=tol)


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
    for t, tn in ((np.uint8, "uint8"), (np.int8, "int8")):
        for op in ("QLinearAdd", "QLinearMul"):
            low = op[7:].lower()
            qlinear_case(f"qlinear{low}_{tn}", op, [(2, 3, 5), (2, 3, 5)], t)
            qlinear_case(f"qlinear{low}_{tn}_broadcast", op, [(3, 1, 7), (4, 1)], t)
            qlinear_case(f"qlinear{low}_{tn}_scalar", op, [(), (5, 3)], t)
        qlinear_case(f"qlinearleakyrelu_{tn}", "QLinearLeakyRelu", [(3, 7, 5)], t,
                     {"alpha": 0.13})
        qlinear_case(f"qlinearsigmoid_{tn}", "QLinearSigmoid", [(4, 9, 7)], t)
        qlinear_case(f"qlinearglobalaveragepool_{tn}", "QLinearGlobalAveragePool",
                     [(2, 3, 5, 7)], t)
        qlinear_case(f"qlinearglobalaveragepool_{tn}_channels_last", "QLinearGlobalAveragePool",
                     [(2, 5, 7, 3)], t, {"channels_last": 1})
        qlinear_case(f"qlinearaveragepool_{tn}", "QLinearAveragePool", [(2, 3, 7, 9)], t,
                     {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1]})
        qlinear_case(f"qlinearaveragepool_{tn}_channels_last", "QLinearAveragePool",
                     [(2, 6, 7, 5)], t, {"kernel_shape": [2, 3], "pads": [0, 1, 1, 0],
                                         "count_include_pad": 1, "channels_last": 1})
        concat_case(f"qlinearconcat_{tn}_axis0", [(2, 3, 4), (1, 3, 4), (3, 3, 4)], t, 0)
        concat_case(f"qlinearconcat_{tn}_axis1", [(2, 1, 5), (2, 4, 5)], t, 1, share=False)
        concat_case(f"qlinearconcat_{tn}_last", [(3, 2, 3), (3, 2, 1), (3, 2, 6)], t, -1)
        softmax_case(f"qlinearsoftmax_{tn}_last", (3, 4, 11), t, {"opset": 13})
        softmax_case(f"qlinearsoftmax_{tn}_middle", (3, 9, 4), t, {"opset": 13, "axis": 1})
        dqmatmul_case(f"dynamicquantizematmul_{tn}", (3, 7), (7, 5), t, bias=False)
        dqmatmul_case(f"dynamicquantizematmul_{tn}_bias", (2, 3, 6), (6, 4), t,
                      zero_point=False)
        dqmatmul_case(f"dynamicquantizematmul_{tn}_per_column", (4, 5), (5, 6), t,
                      per_column=True)
    # before opset 13 the axis coerces the input to 2-D: all dims from it on
    softmax_case("qlinearsoftmax_uint8_opset12", (2, 3, 4), np.uint8, {"opset": 12, "axis": 1})
    qlinear_case("qlinearadd_int8_runtime_params", "QLinearAdd", [(3, 4), (3, 4)], np.int8,
                 runtime=True)
    qlinear_case("qlinearmul_uint8_no_zero_point", "QLinearMul", [(2, 5), (5,)], np.uint8,
                 no_zero_point=True)
    qlinear_case("qlinearaveragepool_uint8_ceil_1d", "QLinearAveragePool", [(1, 2, 10)],
                 np.uint8, {"kernel_shape": [3], "strides": [2], "ceil_mode": 1})
    # onnxruntime quantizes X and the hidden state for each product: its
    # outputs are off the float LSTM's by that rounding
    tol = {"rtol": 0.0, "atol": 0.03}
    dqlstm_case("dynamicquantizelstm_int8", 4, 2, 3, 5, np.int8, "forward", False, (), tol)
    dqlstm_case("dynamicquantizelstm_uint8_bidirectional", 3, 2, 4, 3, np.uint8,
                "bidirectional", True, ("b", "h0", "c0", "p"), tol)
    # QGemm as quantize_static writes it: uint8 or int8 A, per-column int8
    # weights (B^T), an int32 bias, requantized; and float out (no y). The
    # expected output is the exact sum requantized as onnxruntime does:
    # its uint8 x int8 kernel without AVX-512 VNNI sums pairs of products in
    # saturating 16 bits, off where they overflow
    for t, zp in ((np.uint8, 131), (np.int8, -3)):
        k = {"a_scale": np.array(0.02, np.float32), "a_zp": np.array(zp, t),
             "b": rng.integers(-127, 128, (21, 37), dtype=np.int8),
             "b_scale": rng.uniform(0.001, 0.01, 21).astype(np.float32),
             "b_zp": np.zeros(21, np.int8), "c": rng.integers(-2000, 2000, 21, dtype=np.int32),
             "y_scale": np.array(0.05, np.float32), "y_zp": np.array(zp // 2, t)}
        case(f"qgemm_{np.dtype(t).name}", "QGemm",
             {"a": rng.integers(np.iinfo(t).min, np.iinfo(t).max, (3, 37), dtype=t)},
             attrs={"transB": 1}, inits=k, exact=lambda a, k=k: qgemm_exact(a, k, True))
    case("qgemm_float_out", "QGemm",
         {"a": rng.integers(0, 255, (5, 19), dtype=np.uint8)}, attrs={"alpha": 0.5},
         out_type=np.float32,
         inits={"a_scale": np.array(0.03, np.float32), "a_zp": np.array(120, np.uint8),
                "b": rng.integers(0, 255, (19, 10), dtype=np.uint8),
                "b_scale": np.array(0.004, np.float32), "b_zp": np.array(128, np.uint8),
                "c": rng.integers(-500, 500, 10, dtype=np.int32)})


if __name__ == "__main__":
    main()
