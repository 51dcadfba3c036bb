#!/usr/bin/env python3
"""Cases for the index ops (compiler/op_index.c, op_index2.c) beyond the ONNX
node tests: broadcasting and repeated Einsum labels, scatter reductions on
integers, batch dims, NaN and ties in TopK, float16 detours, run-time Trilu k,
old opsets. Each case is one node; its expected outputs come from
onnxruntime, or from the onnx reference implementation where onnxruntime
lacks the op or type. Inputs listed in `consts` become initializers (the
compile-time path); the others are graph inputs (the kernels run). The cases
are written in the ONNX backend-test layout and checked with `mlc test`
(interpreter and generated C).

usage: check_index.py --mlc BUILD/mlc [-j N] [-k SUBSTRING]"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import helper, numpy_helper

RNG = np.random.default_rng(0)


def f32(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


def f64(*shape):
    return RNG.standard_normal(shape)


def ints(lo, hi, shape, dt=np.int64):
    return RNG.integers(lo, hi, shape).astype(dt)


def case(name, op, inputs, attrs=None, consts=(), opset=None, nout=1, domain="",
         ref="ort"):
    return dict(name=name, op=op, inputs=inputs, attrs=attrs or {}, consts=consts,
                opset=opset, nout=nout, domain=domain, ref=ref)


def cases():
    c = []
    # GatherElements / ScatterElements / Scatter
    c.append(case("gather_elements_3d_axis1", "GatherElements",
                  [("x", f32(3, 4, 5)), ("i", ints(-4, 4, (3, 2, 5)))], {"axis": 1}))
    c.append(case("gather_elements_int32_idx", "GatherElements",
                  [("x", ints(0, 9, (4, 3), np.int32)), ("i", ints(0, 3, (2, 3), np.int32))],
                  {"axis": -1}))
    c.append(case("gather_elements_const_idx", "GatherElements",
                  [("x", f64(5, 2)), ("i", ints(0, 5, (3, 2)))], {"axis": 0}, consts=("i",)))
    for red in ["none", "add", "mul", "max", "min"]:
        c.append(case(f"scatter_elements_{red}_int32", "ScatterElements",
                      [("x", ints(-5, 5, (3, 4), np.int32)),
                       ("i", ints(0, 3, (3, 4))), ("u", ints(-5, 5, (3, 4), np.int32))],
                      {"axis": 0, "reduction": red}, ref="onnx"))
    c.append(case("scatter_elements_add_f16", "ScatterElements",
                  [("x", f32(4, 3).astype(np.float16)), ("i", ints(0, 4, (2, 3))),
                   ("u", f32(2, 3).astype(np.float16))], {"axis": 0, "reduction": "add"}))
    c.append(case("scatter_elements_3d_neg", "ScatterElements",
                  [("x", f32(2, 5, 3)), ("i", ints(-5, 5, (2, 2, 3))), ("u", f32(2, 2, 3))],
                  {"axis": 1}, ref="onnx"))
    c.append(case("scatter_opset9", "Scatter",
                  [("x", f32(3, 3)), ("i", ints(0, 3, (2, 3))), ("u", f32(2, 3))],
                  {"axis": 1}, opset=9))
    # GatherND / ScatterND
    c.append(case("gathernd_slices", "GatherND",
                  [("x", f32(3, 4, 5)), ("i", ints(-3, 3, (2, 2, 1)))]))
    c.append(case("gathernd_batch2", "GatherND",
                  [("x", f32(2, 3, 4, 5)), ("i", ints(0, 4, (2, 3, 6, 1)))],
                  {"batch_dims": 2}))
    c.append(case("gathernd_full_tuples_opset11", "GatherND",
                  [("x", ints(0, 50, (3, 4))), ("i", ints(0, 3, (5, 2)))], opset=11))
    for red in ["add", "mul", "max", "min"]:
        c.append(case(f"scatternd_{red}_i64", "ScatterND",
                      [("x", ints(-9, 9, (4, 3))), ("i", np.array([[1], [3], [1]])),
                       ("u", ints(-9, 9, (3, 3)))], {"reduction": red}))
    c.append(case("scatternd_elements_f64", "ScatterND",
                  [("x", f64(3, 3)), ("i", np.array([[0, 1], [2, -1]])), ("u", f64(2))]))
    # TensorScatter
    c.append(case("tensorscatter_circular_wrap", "TensorScatter",
                  [("c", f32(2, 3, 5, 4)), ("u", f32(2, 3, 3, 4)), ("w", np.array([3, 1]))],
                  {"mode": "circular"}, ref="onnx"))
    c.append(case("tensorscatter_no_indices", "TensorScatter",
                  [("c", f32(2, 6, 4)), ("u", f32(2, 2, 4))], {"axis": 1}, ref="onnx"))
    # OneHot, Hardmax
    c.append(case("onehot_axis0_runtime_values", "OneHot",
                  [("i", ints(-6, 6, (2, 3))), ("d", np.array(5.0, np.float32)),
                   ("v", np.array([2, 7], np.int64))], {"axis": 0}, consts=("d",),
                  ref="onnx"))
    c.append(case("onehot_int32_idx_double", "OneHot",
                  [("i", ints(0, 4, (3,), np.int32)), ("d", np.array(4, np.int64)),
                   ("v", np.array([0.5, -1.0]))], consts=("d",), ref="onnx"))
    c.append(case("hardmax_opset11_flatten", "Hardmax", [("x", f32(2, 3, 4))], {"axis": 1},
                  opset=11))
    c.append(case("hardmax_ties_double", "Hardmax",
                  [("x", np.array([[1, 3, 3, 0], [2, 2, 2, 2]], np.float64))], {"axis": 1}))
    c.append(case("hardmax_f16", "Hardmax", [("x", f32(3, 4).astype(np.float16))],
                  {"axis": 0}))
    # Trilu
    c.append(case("trilu_runtime_k_upper", "Trilu",
                  [("x", f32(2, 4, 6)), ("k", np.array(-2, np.int64))]))
    c.append(case("trilu_runtime_k_lower_big", "Trilu",
                  [("x", ints(0, 9, (3, 5))), ("k", np.array(100, np.int64))], {"upper": 0}))
    c.append(case("trilu_const_k", "Trilu",
                  [("x", f64(5, 3)), ("k", np.array(1, np.int64))], {"upper": 0},
                  consts=("k",)))
    # CumSum / CumProd
    c.append(case("cumsum_3d_mid_rev_excl", "CumSum",
                  [("x", f32(2, 4, 3)), ("a", np.array(1, np.int32))],
                  {"reverse": 1, "exclusive": 1}, consts=("a",)))
    c.append(case("cumsum_int64_axis0", "CumSum",
                  [("x", ints(-9, 9, (4, 2))), ("a", np.array(0, np.int64))], consts=("a",)))
    c.append(case("cumsum_f16", "CumSum",
                  [("x", f32(6).astype(np.float16)), ("a", np.array(0, np.int64))],
                  consts=("a",), ref="onnx"))
    c.append(case("cumprod_rev", "CumProd",
                  [("x", f32(3, 4)), ("a", np.array(-1, np.int64))], {"reverse": 1},
                  consts=("a",), opset=26, ref="onnx"))
    # TopK
    x = np.array([[3, 1, np.nan, 3, -np.inf, 2], [0, 0, 0, 0, 0, 0]], np.float32)
    c.append(case("topk_nan_ties_largest", "TopK", [("x", x), ("k", np.array([4]))],
                  consts=("k",), nout=2, ref="onnx"))
    c.append(case("topk_ties_smallest_axis0", "TopK",
                  [("x", ints(0, 3, (7, 3), np.int32)), ("k", np.array([5]))],
                  {"axis": 0, "largest": 0}, consts=("k",), nout=2))
    c.append(case("topk_opset1_attr", "TopK", [("x", f32(3, 5))], {"k": 2}, opset=1, nout=2))
    c.append(case("topk_k0", "TopK", [("x", f32(3, 5)), ("k", np.array([0]))],
                  consts=("k",), nout=2, ref="onnx"))
    c.append(case("topk_f16_mid", "TopK",
                  [("x", f32(2, 9, 3).astype(np.float16)), ("k", np.array([3]))],
                  {"axis": 1}, consts=("k",), nout=2))
    # Compress, ArrayFeatureExtractor
    c.append(case("compress_flat_short_cond", "Compress",
                  [("x", f32(2, 3)), ("c", np.array([0, 1, 1, 0], bool))], consts=("c",)))
    c.append(case("compress_axis1_int8", "Compress",
                  [("x", ints(-9, 9, (2, 4, 2), np.int8)), ("c", np.array([1, 0, 1, 1], bool))],
                  {"axis": 1}, consts=("c",)))
    c.append(case("array_feature_extractor_1d", "ArrayFeatureExtractor",
                  [("x", f32(5)), ("i", np.array([4, 0, 0]))], domain="ai.onnx.ml"))
    # ReverseSequence
    c.append(case("reversesequence_3d", "ReverseSequence",
                  [("x", f32(5, 3, 2)), ("l", np.array([5, 0, 2]))]))
    c.append(case("reversesequence_batch_major_int", "ReverseSequence",
                  [("x", ints(0, 99, (3, 4, 2), np.int32)), ("l", np.array([1, 4, 3]))],
                  {"batch_axis": 0, "time_axis": 1}))
    # EyeLike
    c.append(case("eyelike_neg_k_bool", "EyeLike", [("x", f32(5, 3))],
                  {"k": -2, "dtype": onnx.TensorProto.BOOL}, ref="onnx"))
    c.append(case("eyelike_k_out_of_range", "EyeLike", [("x", ints(0, 2, (3, 4)))],
                  {"k": 7}))
    # Einsum
    c.append(case("einsum_three_operands", "Einsum",
                  [("a", f32(2, 3)), ("b", f32(3, 4)), ("c", f32(4, 5))],
                  {"equation": "ij,jk,kl->il"}))
    c.append(case("einsum_ellipsis_broadcast", "Einsum",
                  [("a", f64(2, 1, 3, 4)), ("b", f64(5, 4, 2))],
                  {"equation": "...ij,...jk->...ik"}, ref="onnx"))
    c.append(case("einsum_implicit_outer", "Einsum", [("a", f32(3)), ("b", f32(4))],
                  {"equation": "i,j"}))
    c.append(case("einsum_trace_and_diag", "Einsum", [("a", f64(4, 4)), ("b", f64(4, 4))],
                  {"equation": "ii,jj->"}, ref="onnx"))
    c.append(case("einsum_int32_bilinear", "Einsum",
                  [("a", ints(-3, 3, (2, 3), np.int32)), ("b", ints(-3, 3, (3, 3), np.int32)),
                   ("c", ints(-3, 3, (2, 3), np.int32))], {"equation": "bi,ij,bj->b"},
                  ref="onnx"))
    c.append(case("einsum_attention_like", "Einsum",
                  [("q", f32(2, 3, 4, 8)), ("k", f32(2, 3, 5, 8))],
                  {"equation": "bhqd,bhkd->bhqk"}))
    c.append(case("einsum_f16", "Einsum", [("a", f32(3, 4).astype(np.float16)),
                                           ("b", f32(4).astype(np.float16))],
                  {"equation": "ij,j->i"}))
    # Det
    c.append(case("det_4x4_batch", "Det", [("x", f64(2, 3, 4, 4))]))
    c.append(case("det_singular", "Det",
                  [("x", np.array([[1, 2, 3], [2, 4, 6], [0, 1, 5]], np.float32))]))
    # NonZero, Unique: compile time only
    c.append(case("nonzero_const_float", "NonZero",
                  [("x", np.array([[0, -0.0, 1.5], [np.nan, 0, 2]], np.float32))],
                  consts=("x",)))
    c.append(case("unique_axis1_unsorted", "Unique",
                  [("x", np.array([[1, 0, 1, 2], [3, 3, 3, 3]], np.float32))],
                  {"axis": 1, "sorted": 0}, consts=("x",), nout=4))
    c.append(case("unique_int64_sorted", "Unique",
                  [("x", np.array([5, -1, 5, 2, -1, -1]))], consts=("x",), nout=4))
    return c


def reference(cs, model, feeds):
    """onnxruntime, or the onnx reference where asked or where onnxruntime
    does not run the case"""
    if cs["ref"] == "ort":
        import onnxruntime as ort
        try:
            sess = ort.InferenceSession(model.SerializeToString(),
                                        providers=["CPUExecutionProvider"])
            return sess.run(None, feeds)
        except Exception as e:  # noqa: BLE001 - any refusal: fall back
            print(f"{cs['name']}: onnxruntime: {str(e).splitlines()[0][:100]}; "
                  "using the onnx reference", file=sys.stderr)
    from onnx.reference import ReferenceEvaluator
    return ReferenceEvaluator(model).run(None, feeds)


def build(cs, root):
    ins = cs["inputs"]
    outs = [f"y{k}" for k in range(cs["nout"])]
    node = helper.make_node(cs["op"], [n for n, _ in ins], outs, domain=cs["domain"],
                            **cs["attrs"])
    inits = [numpy_helper.from_array(a, n) for n, a in ins if n in cs["consts"]]
    gin = [helper.make_tensor_value_info(n, helper.np_dtype_to_tensor_dtype(a.dtype), a.shape)
           for n, a in ins if n not in cs["consts"]]
    gout = [onnx.ValueInfoProto(name=o) for o in outs]
    graph = helper.make_graph([node], cs["name"], gin, gout, inits)
    opsets = [helper.make_opsetid("", cs["opset"] or 24)]
    if cs["domain"]:
        opsets.append(helper.make_opsetid(cs["domain"], 1))
    model = helper.make_model(graph, opset_imports=opsets)
    model.ir_version = 10
    model = onnx.shape_inference.infer_shapes(model)
    feeds = {n: a for n, a in ins if n not in cs["consts"]}
    got = reference(cs, model, feeds)
    # the outputs' real types and shapes, which mlc reads from the model
    del model.graph.output[:]
    for o, v in zip(outs, got):
        v = np.asarray(v)
        model.graph.output.append(helper.make_tensor_value_info(
            o, helper.np_dtype_to_tensor_dtype(v.dtype), v.shape))
    d = os.path.join(root, "test_" + cs["name"])
    os.makedirs(os.path.join(d, "test_data_set_0"))
    onnx.save(model, os.path.join(d, "model.onnx"))
    for k, (n, a) in enumerate(feeds.items()):
        with open(os.path.join(d, "test_data_set_0", f"input_{k}.pb"), "wb") as f:
            f.write(numpy_helper.from_array(a, n).SerializeToString())
    for k, (o, v) in enumerate(zip(outs, got)):
        with open(os.path.join(d, "test_data_set_0", f"output_{k}.pb"), "wb") as f:
            f.write(numpy_helper.from_array(np.asarray(v), o).SerializeToString())
    with open(os.path.join(d, "data.json"), "w") as f:
        json.dump({"rtol": 1e-3, "atol": 1e-5}, f)
    return d


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mlc", required=True)
    ap.add_argument("-j", type=int, default=1)
    ap.add_argument("-k", default="", help="only cases whose name contains this")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as root:
        dirs = [build(cs, root) for cs in cases() if args.k in cs["name"]]
        r = subprocess.run([args.mlc, "test", "-v", "-j", str(args.j)] + dirs)
    return r.returncode


if __name__ == "__main__":
    sys.exit(main())
