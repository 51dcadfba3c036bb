#!/usr/bin/env python3
"""Writes the hostile-model regression corpus: tests/bad/<class>/<case>.onnx
(or .onnxtxt) and tests/bad/manifest.txt, one line per case:

    CLASS/CASE.EXT | expected message substring

run_bad.py checks that `mlc compile` refuses each case with exit status 1, a
message that names the file and contains the substring, within a second, and
leaves no output file. An expected text of OK instead marks a hostile model
that must compile (out-of-order nodes, data in a legal but odd place) and
still leave nothing bigger than the limit run_bad.py sets.

The outputs are committed; this script documents how each was made and
re-creates them byte for byte (fixed seeds, no timestamps):

    python3 tests/bad/make_bad.py

It also writes tests/fuzz/crashers/onnx/*.onnx: hand-made models for bugs
found by review rather than by the fuzzer, replayed with the fuzzer's crashers.
"""
import os
import struct

import numpy as np
import onnx
from onnx import TensorProto as TP
from onnx import helper as h
from onnx import numpy_helper as nh

HERE = os.path.dirname(os.path.abspath(__file__))
CRASHERS = os.path.join(os.path.dirname(HERE), "fuzz", "crashers", "onnx")
CASES = []  # (relative path, expected)


# ---- writing ------------------------------------------------------------------------------

def write(rel, data):
    path = os.path.join(HERE, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(path, "wb") as f:
        f.write(data)


def case(rel, expected, data):
    """one corpus file and what mlc must say about it"""
    if isinstance(data, onnx.ModelProto):
        data = data.SerializeToString()
    write(rel, data)
    CASES.append((rel, expected))


def crasher(name, m):
    os.makedirs(CRASHERS, exist_ok=True)
    with open(os.path.join(CRASHERS, name + ".onnx"), "wb") as f:
        f.write(m.SerializeToString())


# ---- models -------------------------------------------------------------------------------

def vi(name, t=TP.FLOAT, shape=(2, 3)):
    return h.make_tensor_value_info(name, t, list(shape) if shape is not None else None)


def model(nodes, inputs=None, outputs=None, inits=(), opset=17, opsets=None, ir=8,
          functions=(), name="g"):
    inputs = [vi("x")] if inputs is None else inputs
    outputs = [vi("y")] if outputs is None else outputs
    g = h.make_graph(nodes, name, inputs, outputs, list(inits))
    ops = [h.make_opsetid(d, v) for d, v in (opsets or [("", opset)])]
    m = h.make_model(g, opset_imports=ops, functions=list(functions),
                     producer_name="make_bad")
    m.ir_version = ir
    return m


def relu_model():
    return model([h.make_node("Relu", ["x"], ["y"], name="r")])


def i64(*v):
    return np.array(v, np.int64)


def const(name, arr):
    return nh.from_array(np.asarray(arr), name)


def unary(op, inits=(), inputs=None, outputs=None, opset=17, node_inputs=None, **attrs):
    """one node named 'n' reading x (and the initializers) into y"""
    ins = node_inputs or ["x"] + [t.name for t in inits]
    return model([h.make_node(op, ins, ["y"], name="n", **attrs)], inputs, outputs,
                 inits, opset=opset)


# ---- protobuf wire format -------------------------------------------------------------------

def varint(n):
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def fld(num, data):
    return varint(num << 3 | 2) + varint(len(data)) + data


def vfld(num, v):
    return varint(num << 3) + varint(v)


# ModelProto: ir_version=1 graph=7 opset_import=8 functions=25
# GraphProto: node=1 name=2 initializer=5 input=11 output=12
# NodeProto: input=1 output=2 name=3 op_type=4 attribute=5 domain=7
# AttributeProto: name=1 g=6 type=20; ValueInfoProto: name=1 type=2
# TypeProto: tensor_type=1 sequence_type=4; Tensor: elem_type=1 shape=2
HEADER = vfld(1, 8) + fld(8, vfld(2, 17))  # ir_version 8, opset 17


def raw_graph(body):
    return HEADER + fld(7, body)


# ==== classes ================================================================================

def garbage():
    base = relu_model().SerializeToString()
    rng = np.random.RandomState(1)
    bad = "is not a valid ONNX model"
    case("garbage/truncated_half.onnx", bad, base[: len(base) // 2])
    case("garbage/truncated_last_byte.onnx", bad, base[:-1])
    case("garbage/random_bytes.onnx", bad, rng.bytes(512))
    case("garbage/empty.onnx", "it has no graph", b"")
    case("garbage/png_header.onnx", bad, b"\x89PNG\r\n\x1a\n" + rng.bytes(64))
    case("garbage/text_as_onnx.onnx", bad,
         "<ir_version: 8, opset_import: [\"\" : 17]>\ng (float[2] x) => (float[2] y) "
         "{ y = Relu(x) }\n")
    case("garbage/truncated.onnxtxt", "found end of input",
         "<ir_version: 8, opset_import: [\"\" : 17]>g (float[2] x) => (float[2] y) { y = R")
    case("garbage/binary.onnxtxt", "1:1: ", base)
    case("garbage/unterminated_string.onnxtxt", "unterminated",
         "<ir_version: 8, opset_import: [\"\" : 17]>\ng (float[2] x) => (float[2] y)\n"
         "{\n  [\"n] y = Relu(x)\n}\n")


def wire():
    bad = "is not a valid ONNX model"
    ok = relu_model().SerializeToString()
    case("wire/overlong_varint_tag.onnx", bad, ok + b"\xff" * 10 + b"\x01")
    case("wire/overlong_varint_value.onnx", bad, vfld(1, 8)[:1] + b"\x80" * 12 + b"\x00")
    case("wire/length_past_end.onnx", bad, HEADER + varint(7 << 3 | 2) + varint(1000) + b"\0" * 10)
    node = fld(1, b"x") + fld(2, b"y") + fld(4, b"Relu")
    inner = varint(1 << 3 | 2) + varint(len(node) + 40) + node  # node longer than the graph
    case("wire/nested_length_past_end.onnx", bad, raw_graph(inner + fld(11, fld(1, b"x"))))
    case("wire/huge_length.onnx", bad, HEADER + varint(7 << 3 | 2) + varint(2**63) + b"\0" * 8)
    case("wire/message_as_varint.onnx", bad, HEADER + vfld(7, 5))
    case("wire/wire_type_7.onnx", bad, HEADER + varint(7 << 3 | 7) + b"\0")
    case("wire/field_number_0.onnx", bad, HEADER + varint(0 << 3 | 0) + b"\0")
    case("wire/start_group.onnx", bad, HEADER + varint(7 << 3 | 3) + b"\0" * 4)
    # a tensor whose packed dims end in the middle of a varint
    tensor = fld(1, b"\x02\x80") + vfld(2, 1) + fld(8, b"w")
    case("wire/packed_dims_cut.onnx", bad,
         raw_graph(fld(1, node) + fld(5, tensor) + fld(11, fld(1, b"x")) + fld(12, fld(1, b"y"))))


def nest_if(k):
    """an If whose then-branch holds an If ... k levels deep, wire-encoded"""
    g = fld(1, fld(1, b"x") + fld(2, b"o") + fld(4, b"Relu")) + fld(12, fld(1, b"o"))
    for _ in range(k):
        attr = fld(1, b"then_branch") + vfld(20, 5) + fld(6, g)
        g = fld(1, fld(1, b"c") + fld(2, b"o") + fld(4, b"If") + fld(5, attr)) + fld(12, fld(1, b"o"))
    return g


def nesting():
    g = nest_if(40) + fld(11, fld(1, b"c")) + fld(11, fld(1, b"x"))
    case("nesting/subgraphs_40.onnx", "subgraphs nest more than 32 deep", raw_graph(g))
    deep = b""
    for _ in range(3000):  # attribute -> graph -> node -> attribute ...
        deep = fld(1, fld(5, fld(6, deep)))
    case("nesting/messages_9000.onnx", "messages nest more than", raw_graph(deep))
    ty = fld(1, vfld(1, 1))
    for _ in range(200):  # TypeProto.sequence_type.elem_type ...
        ty = fld(4, fld(1, ty))
    case("nesting/types_200.onnx", "messages nest more than",
         raw_graph(fld(11, fld(1, b"x") + fld(2, ty))))
    leaf = "e () => (float[2] y) { y = Relu(x) }"
    body = leaf
    for i in range(40):  # an If whose then-branch is an If ...
        body = ("b%d () => (float[2] y) { y = If (c) <then_branch: graph = %s, "
                "else_branch: graph = %s> }" % (i, body, leaf))
    case("nesting/subgraphs_40.onnxtxt", "subgraphs nested deeper than",
         "<ir_version: 8, opset_import: [\"\" : 17]>\n"
         "g (bool c, float[2] x) => (float[2] y) {\n y = If (c) <then_branch: graph = %s, "
         "else_branch: graph = %s>\n}" % (body, leaf))
    seq = "float[2]"
    for _ in range(100):
        seq = "seq(%s)" % seq
    case("nesting/types_100.onnxtxt", "types nested deeper than",
         "<ir_version: 8, opset_import: [\"\" : 17]>\ng (%s x) => (float[2] y) { y = Relu(x) }\n" % seq)


def dims():
    case("dims/negative_input_dim.onnx",
         "(input 'x' dim 1, unnamed or negative in the model: --shape x=DIMS",
         model([h.make_node("Relu", ["x"], ["y"])], [vi("x", shape=(2, -2))]))
    w = TP(name="w", data_type=TP.FLOAT, dims=[2, -3])
    case("dims/negative_initializer_dim.onnx", "negative dimension -3",
         unary("Add", [w], node_inputs=["x", "w"]))
    w = TP(name="w", data_type=TP.FLOAT, dims=[2**40, 2**40])
    case("dims/initializer_product_overflow.onnx", "larger than mlc's limit",
         unary("Add", [w], node_inputs=["x", "w"]))
    w = TP(name="w", data_type=TP.FLOAT, dims=[2**62, 4, 0])
    case("dims/initializer_dim_2_62.onnx", "larger than mlc's limit",
         unary("Add", [w], node_inputs=["x", "w"]))
    case("dims/rank_9_input.onnx", "rank 9; mlc supports up to 8",
         model([h.make_node("Relu", ["x"], ["y"])], [vi("x", shape=[1] * 9)]))
    case("dims/input_2_62_elements.onnx", "graph input 'x' is larger than mlc's limit",
         model([h.make_node("Identity", ["x"], ["y"])], [vi("x", shape=(2**31, 2**31))],
               [vi("y", shape=(2**31, 2**31))]))
    case("dims/input_product_wraps.onnx", "graph input 'x' is larger than mlc's limit",
         model([h.make_node("Identity", ["x"], ["y"])], [vi("x", shape=(2**32, 2**32, 16))],
               [vi("y", shape=(2**32, 2**32, 16))]))
    case("dims/reshape_2_62.onnx", "too many elements",
         unary("Reshape", [const("s", i64(2**62, 2**62, 0))]))
    case("dims/constantofshape_negative.onnx", "negative",
         model([h.make_node("ConstantOfShape", ["s"], ["y"], name="n")], [], [vi("y", shape=None)],
               [const("s", i64(2, -1))]))


def rawdata():
    def raw_model(arr_bytes, dims, dtype=TP.FLOAT, node=("Add", ["x", "w"])):
        w = TP(name="w", data_type=dtype, dims=list(dims), raw_data=arr_bytes)
        return model([h.make_node(node[0], node[1], ["y"], name="n")], inits=[w])
    ones = np.ones(6, np.float32).tobytes()
    case("rawdata/short.onnx", "has 20 bytes of raw_data but its shape and type need 24",
         raw_model(ones[:20], [2, 3]))
    case("rawdata/long.onnx", "has 28 bytes of raw_data but its shape and type need 24",
         raw_model(ones + b"\0" * 4, [2, 3]))
    case("rawdata/bytes_for_empty.onnx", "has 4 bytes of raw_data but its shape and type need 0",
         raw_model(ones[:4], [0, 3]))
    case("rawdata/int64_odd_length.onnx", "has 15 bytes of raw_data",
         raw_model(b"\1" * 15, [2], TP.INT64, ("Reshape", ["x", "w"])))
    # 12 GiB declared, 8 bytes given: refused without allocating the 12 GiB
    case("rawdata/declares_12gib.onnx", "has 8 bytes of raw_data but its shape and type need 12884901888",
         raw_model(b"\0" * 8, [2**30, 3]))
    t = TP(name="v", data_type=TP.FLOAT, dims=[3], raw_data=ones[:8])
    case("rawdata/constant_attribute_short.onnx", "attribute 'value'",
         model([h.make_node("Constant", [], ["y"], name="n", value=t)], [], [vi("y", shape=(3,))]))


def tensordata():
    def init_model(w, op="Add"):
        return model([h.make_node(op, ["x", "w"], ["y"], name="n")], inits=[w])
    case("tensordata/no_data_type.onnx", "tensor 'w' has no data type",
         init_model(TP(name="w", dims=[2, 3], float_data=[1] * 6)))
    case("tensordata/data_type_99.onnx", "data type unknown (99)",
         init_model(TP(name="w", data_type=99, dims=[2, 3], raw_data=b"\0" * 24)))
    case("tensordata/data_type_int4.onnx", "different types (float and int4)",
         init_model(TP(name="w", data_type=TP.INT4, dims=[2, 3], raw_data=b"\0" * 3)))
    t = h.make_tensor("w", TP.FLOAT, [2, 3], [1.0] * 6)
    t.raw_data = np.ones(6, np.float32).tobytes()
    case("tensordata/raw_and_typed.onnx", "has its data in more than one place", init_model(t))
    t = h.make_tensor("w", TP.FLOAT, [2, 3], [1.0] * 6)
    t.int64_data.extend([1])
    case("tensordata/wrong_typed_field.onnx", "has data in int64_data, which does not hold that type",
         init_model(t))
    t = h.make_tensor("w", TP.FLOAT, [2, 3], [1.0] * 6)
    del t.float_data[5]
    case("tensordata/typed_short.onnx", "has 5 entries in float_data but its shape needs 6",
         init_model(t))
    t = h.make_tensor("w", TP.FLOAT, [2, 3], [1.0] * 6)
    t.float_data.append(1.0)
    case("tensordata/typed_long.onnx", "has 7 entries in float_data but its shape needs 6",
         init_model(t))
    case("tensordata/no_data.onnx", "has 0 entries in float_data but its shape needs 6",
         init_model(TP(name="w", data_type=TP.FLOAT, dims=[2, 3])))
    t = TP(name="w", data_type=TP.FLOAT, dims=[2, 3])
    t.string_data.extend([b"a"] * 6)
    case("tensordata/strings_for_float.onnx", "has data in string_data", init_model(t))
    t = h.make_tensor("w", TP.FLOAT, [2, 3], [1.0] * 6)
    t.segment.begin = 0
    t.segment.end = 6
    case("tensordata/segment.onnx", "is a segment of a larger tensor", init_model(t))
    t = h.make_tensor("w", TP.FLOAT, [2, 3], np.ones(6, np.float32).tobytes(), raw=True)
    t.data_location = TP.EXTERNAL
    e = t.external_data.add()
    e.key, e.value = "location", "w.bin"
    case("tensordata/raw_and_external.onnx", "has its data in more than one place", init_model(t))
    w = h.make_tensor("w", TP.FLOAT, [2, 3], [1.0] * 6)
    case("tensordata/duplicate_initializer.onnx", "initializer 'w' is given twice",
         model([h.make_node("Add", ["x", "w"], ["y"], name="n")], inits=[w, w]))
    w = TP(name="w", data_type=TP.STRING, dims=[2, 3], string_data=[b"s"] * 6)
    case("tensordata/string_initializer.onnx", "inputs 0 and 1 have different types (float and string)", init_model(w))
    w = TP(name="w", data_type=TP.COMPLEX64, dims=[2, 3], float_data=[0.0] * 12)
    case("tensordata/complex_initializer.onnx", "complex64", init_model(w))


def bombs():
    def cos(shape, dtype=np.float32):
        return model([h.make_node("ConstantOfShape", ["s"], ["y"], name="n",
                                  value=nh.from_array(np.ones(1, dtype)))],
                     [], [vi("y", shape=None)], [const("s", i64(*shape))])
    case("bombs/constantofshape_2_60.onnx", "more than 2^40 elements", cos([2**20, 2**20, 2**20]))
    case("bombs/constantofshape_32gib.onnx", "larger than mlc's limit", cos([2**33]))
    case("bombs/constantofshape_int64_2_40.onnx", "larger than mlc's limit", cos([2**40], np.int64))
    case("bombs/tile_2_60.onnx", "more than 2^40 elements",
         unary("Tile", [const("r", i64(2**30, 2**30))], outputs=[vi("y", shape=None)]))
    case("bombs/expand_2_41.onnx", "more than 2^40 elements",
         unary("Expand", [const("s", i64(2**41, 1))], [vi("x", shape=(1, 3))],
               outputs=[vi("y", shape=None)]))
    case("bombs/range_2_62.onnx", "too many elements",
         model([h.make_node("Range", ["a", "b", "d"], ["y"], name="n")], [],
               [vi("y", TP.INT64, None)],
               [const("a", np.array(0, np.int64)), const("b", np.array(2**62, np.int64)),
                const("d", np.array(1, np.int64))]))
    case("bombs/pad_2_50.onnx", "too large",
         unary("Pad", [const("p", i64(0, 2**50, 0, 2**50))], outputs=[vi("y", shape=None)]))
    body = h.make_graph([h.make_node("Identity", ["c_in"], ["c_out"]),
                         h.make_node("Add", ["v_in", "one"], ["v_out"])], "body",
                        [vi("i", TP.INT64, ()), vi("c_in", TP.BOOL, ()), vi("v_in", shape=(2, 3))],
                        [vi("c_out", TP.BOOL, ()), vi("v_out", shape=(2, 3))],
                        [const("one", np.ones((2, 3), np.float32))])
    case("bombs/loop_10_9_iterations.onnx", "too many to unroll",
         model([h.make_node("Loop", ["M", "T", "x"], ["y"], name="n", body=body)],
               inits=[const("M", np.array(10**9, np.int64)), const("T", np.array(True))]))
    inner = h.make_node("Loop", ["M", "T", "v_in"], ["v_out"], name="inner", body=body)
    outer_body = h.make_graph([h.make_node("Identity", ["c_in"], ["c_out"]), inner], "outer",
                              [vi("i", TP.INT64, ()), vi("c_in", TP.BOOL, ()),
                               vi("v_in", shape=(2, 3))],
                              [vi("c_out", TP.BOOL, ()), vi("v_out", shape=(2, 3))])
    case("bombs/nested_loops_2_28.onnx", "unrolling adds more than",
         model([h.make_node("Loop", ["M", "T", "x"], ["y"], name="n", body=outer_body)],
               inits=[const("M", np.array(16000, np.int64)), const("T", np.array(True))]))
    # 200 folded 16 MiB constants would be 3.2 GB of compile-time data and of
    # weights: folding has a budget, past it they stay ConstantOfShape nodes
    nodes, outs = [], []
    for i in range(200):
        nodes.append(h.make_node("ConstantOfShape", ["s"], ["c%d" % i], value=nh.from_array(
            np.full(1, i, np.float32))))
        outs.append(vi("c%d" % i, shape=None))
    case("bombs/fold_200_x_16mib.onnx", "OK",
         model(nodes, [], outs, [const("s", i64(2048, 2048))]))


def order():
    case("order/cycle_2.onnx", "cycle",
         model([h.make_node("Relu", ["z"], ["a"], name="a"), h.make_node("Add", ["x", "a"], ["z"], name="b"),
                h.make_node("Relu", ["a"], ["y"], name="c")]))
    case("order/cycle_3_out_of_order.onnx", "cycle",
         model([h.make_node("Relu", ["x"], ["y"], name="out"),
                h.make_node("Relu", ["p"], ["q"], name="n3"), h.make_node("Relu", ["q"], ["r"], name="n1"),
                h.make_node("Relu", ["r"], ["p"], name="n2")]))
    sub = h.make_graph([h.make_node("Relu", ["b"], ["a"], name="s1"), h.make_node("Relu", ["a"], ["b"], name="s2")],
                       "then", [], [vi("b")])
    case("order/cycle_in_subgraph.onnx", "cycle",
         model([h.make_node("If", ["c"], ["y"], name="if", then_branch=sub, else_branch=sub)],
               [vi("x"), vi("c", TP.BOOL, ())]))
    case("order/cycle.onnxtxt", "cycle",
         "<ir_version: 8, opset_import: [\"\" : 17]>\ng (float[2,3] x) => (float[2,3] y)\n{\n"
         "   [\"n1\"] a = Add (x, b)\n   [\"n2\"] b = Relu (a)\n   [\"n3\"] y = Relu (b)\n}\n")
    # the If's branch reads z, which is made from the If's output
    then = h.make_graph([h.make_node("Relu", ["z"], ["t"], name="t")], "then", [], [vi("t")])
    other = h.make_graph([h.make_node("Neg", ["x"], ["e"], name="e")], "else", [], [vi("e")])
    case("order/cycle_through_subgraph.onnx", "cycle",
         model([h.make_node("If", ["c"], ["y0"], name="if", then_branch=then, else_branch=other),
                h.make_node("Relu", ["y0"], ["z"], name="r"), h.make_node("Identity", ["z"], ["y"], name="o")],
               [vi("x"), vi("c", TP.BOOL, ())]))
    then = h.make_graph([h.make_node("Relu", ["y"], ["t"], name="t")], "then", [], [vi("t")])
    case("order/subgraph_reads_node_output.onnx", "is both an output of the node and read by its subgraph",
         model([h.make_node("If", ["c"], ["y"], name="if", then_branch=then, else_branch=other)],
               [vi("x"), vi("c", TP.BOOL, ())]))
    # the If comes first but its branch reads w, made by a later node: sorted
    then = h.make_graph([h.make_node("Relu", ["w"], ["t"], name="t")], "then", [], [vi("t")])
    case("order/subgraph_reads_later_value.onnx", "OK",
         model([h.make_node("If", ["c"], ["y"], name="if", then_branch=then, else_branch=other),
                h.make_node("Neg", ["x"], ["w"], name="n")], [vi("x"), vi("c", TP.BOOL, ())]))
    case("order/out_of_order.onnx", "OK",
         model([h.make_node("Relu", ["z"], ["y"], name="b"), h.make_node("Relu", ["x"], ["z"], name="a")]))


def func(name, nodes, inputs=("a",), outputs=("b",), domain="local"):
    return h.make_function(domain, name, list(inputs), list(outputs), nodes,
                           [h.make_opsetid("", 17), h.make_opsetid("local", 1)])


def fmodel(functions, call="f"):
    return model([h.make_node(call, ["x"], ["y"], name="call", domain="local")],
                 opsets=[("", 17), ("local", 1)], functions=functions)


def functions():
    f = func("f", [h.make_node("f", ["a"], ["b"], domain="local")])
    case("functions/recursive_self.onnx", "calls itself", fmodel([f]))
    f = func("f", [h.make_node("g", ["a"], ["b"], domain="local")])
    g = func("g", [h.make_node("f", ["a"], ["b"], domain="local")])
    case("functions/mutual_recursion.onnx", "calls itself", fmodel([f, g]))
    then = h.make_graph([h.make_node("f", ["a"], ["t"], domain="local")], "then", [], [vi("t")])
    f = func("f", [h.make_node("If", ["c"], ["b"], then_branch=then, else_branch=then)],
             inputs=("a", "c"))
    case("functions/recursive_through_if.onnx", "calls itself",
         model([h.make_node("f", ["x", "c"], ["y"], name="call", domain="local")],
               [vi("x"), vi("c", TP.BOOL, ())], opsets=[("", 17), ("local", 1)], functions=[f]))
    fs = [func("f0", [h.make_node("Relu", ["a"], ["b"])])]
    for k in range(1, 31):  # f30 expands to 2^30 Relus
        fs.append(func("f%d" % k, [h.make_node("f%d" % (k - 1), ["a"], ["t"], domain="local"),
                                   h.make_node("f%d" % (k - 1), ["t"], ["b"], domain="local")]))
    case("functions/exponential_2_30.onnx", "more than", fmodel(fs, "f30"))
    f = func("f", [h.make_node("Add", ["a", "a2"], ["b"])], inputs=("a", "a2"))
    case("functions/wrong_arity.onnx", "required input 1 is missing", fmodel([f]))
    n = h.make_node("LeakyRelu", ["x"], ["y"], name="n")
    n.attribute.extend([h.make_attribute_ref("alpha", onnx.AttributeProto.FLOAT)])
    case("functions/attribute_reference_outside_function.onnx",
         "refers to 'alpha', an attribute of a calling function, but the node is not in a function",
         model([n]))
    case("functions/attribute_reference_outside_function.onnxtxt",
         "an attribute reference (@name) outside a function",
         "<ir_version: 8, opset_import: [\"\" : 17]>\ng (float[2,3] x) => (float[2,3] y)\n{\n"
         "   [\"n\"] y = LeakyRelu <alpha: float = @alpha> (x)\n}\n")
    case("functions/recursive.onnxtxt", "calls itself",
         "<ir_version: 8, opset_import: [\"\" : 17, \"local\" : 1]>\n"
         "g (float[2,3] x) => (float[2,3] y)\n{\n   [\"call\"] y = local.f (x)\n}\n"
         "<domain: \"local\", opset_import: [\"\" : 17, \"local\" : 1]>\n"
         "f (a) => (b)\n{\n   b = local.f (a)\n}\n")


def refs():
    case("refs/undefined_node_input.onnx", "input 'nowhere' is not produced",
         model([h.make_node("Add", ["x", "nowhere"], ["y"], name="n")]))
    case("refs/undefined_graph_output.onnx", "graph output 'y' is not produced",
         model([h.make_node("Relu", ["x"], ["z"], name="n")]))
    case("refs/missing_initializer.onnx", "input 'W' is not produced",
         model([h.make_node("Conv", ["x", "W"], ["y"], name="conv")],
               [vi("x", shape=(1, 1, 4, 4))], [vi("y", shape=None)]))
    case("refs/missing_required_input.onnx", "required input 1 is missing",
         model([h.make_node("Add", ["x", ""], ["y"], name="n")]))
    sub = h.make_graph([h.make_node("Relu", ["q"], ["o"], name="inner")], "then", [], [vi("o")])
    case("refs/undefined_in_subgraph.onnx", "input 'q' is not produced",
         model([h.make_node("If", ["c"], ["y"], name="if", then_branch=sub, else_branch=sub)],
               [vi("x"), vi("c", TP.BOOL, ())]))
    case("refs/graph_output_no_name.onnx", "graph output #0 has no name",
         model([h.make_node("Relu", ["x"], ["y"], name="n")], outputs=[vi("")]))
    case("refs/first_output_no_name.onnx", "its first output has no name",
         model([h.make_node("Relu", ["x"], [""], name="n"), h.make_node("Relu", ["x"], ["y"], name="m")]))
    case("refs/dangling.onnxtxt", "'nowhere'",
         "<ir_version: 8, opset_import: [\"\" : 17]>\ng (float[2,3] x) => (float[2,3] y)\n{\n"
         "   [\"add\"] y = Add (x, nowhere)\n}\n")


def axes():
    X3 = [vi("x", shape=(2, 3, 4))]
    Y = [vi("y", shape=None)]
    case("axes/softmax_axis_5.onnx", "axis 5", unary("Softmax", axis=5, outputs=Y))
    case("axes/transpose_perm_repeated.onnx", "perm", unary("Transpose", perm=[0, 0], outputs=Y))
    case("axes/transpose_perm_out_of_range.onnx", "perm", unary("Transpose", perm=[0, 5], outputs=Y))
    case("axes/gather_index_3_of_3.onnx", "index 3 is out of range",
         unary("Gather", [const("i", i64(3))], axis=1, outputs=Y))
    case("axes/gather_index_int64_min.onnx", "out of range",
         unary("Gather", [const("i", i64(-2**63))], axis=1, outputs=Y))
    case("axes/concat_axis_minus_4.onnx", "axis -4",
         model([h.make_node("Concat", ["x", "x"], ["y"], name="n", axis=-4)], X3, Y))
    case("axes/squeeze_axis_3.onnx", "out of range",
         unary("Squeeze", [const("a", i64(3))], X3, Y))
    case("axes/reducesum_axis_7.onnx", "out of range",
         unary("ReduceSum", [const("a", i64(7))], X3, Y))
    case("axes/split_axis_int64_min.onnx", "out of range",
         model([h.make_node("Split", ["x"], ["y", "z"], name="n", axis=-2**63)], X3,
               [vi("y", shape=None), vi("z", shape=None)]))
    case("axes/argmax_axis_3.onnx", "out of range", unary("ArgMax", axis=3, inputs=X3, outputs=Y))
    case("axes/flatten_axis_4.onnx", "axis 4 is out of range", unary("Flatten", axis=4, inputs=X3, outputs=Y))


def shapemath():
    X4 = [vi("x", shape=(1, 4, 8, 8))]
    Y = [vi("y", shape=None)]
    W = const("W", np.ones((4, 4, 3, 3), np.float32))
    W2 = const("W", np.ones((4, 2, 3, 3), np.float32))

    def conv(w=W, **a):
        return model([h.make_node("Conv", ["x", "W"], ["y"], name="conv", **a)], X4, Y, [w])
    case("shapemath/conv_group_0.onnx", "group", conv(group=0))
    case("shapemath/conv_group_3.onnx", "group", conv(W2, group=3))
    case("shapemath/conv_stride_0.onnx", "stride", conv(strides=[0, 1]))
    case("shapemath/conv_dilation_0.onnx", "dilation", conv(dilations=[1, 0]))
    case("shapemath/conv_stride_2_62.onnx", "'strides' entry 0", conv(strides=[2**62, 2**62]))
    case("shapemath/conv_pads_2_62.onnx", "pads", conv(pads=[2**62, 2**62, 2**62, 2**62]))
    case("shapemath/conv_kernel_larger_than_input.onnx", "window (3 with dilation 1) is larger than the padded input (2)",
         model([h.make_node("Conv", ["x", "W"], ["y"], name="conv")], [vi("x", shape=(1, 4, 2, 2))], Y, [W]))
    case("shapemath/maxpool_stride_0.onnx", "stride",
         unary("MaxPool", kernel_shape=[2, 2], strides=[0, 0], inputs=X4, outputs=Y))
    case("shapemath/maxpool_kernel_0.onnx", "kernel",
         unary("MaxPool", kernel_shape=[0, 2], inputs=X4, outputs=Y))
    case("shapemath/averagepool_kernel_larger.onnx", "window (9 with dilation 1) is larger than the padded input (8)",
         unary("AveragePool", kernel_shape=[9, 9], inputs=X4, outputs=Y))
    case("shapemath/range_delta_0.onnx", "delta is 0",
         model([h.make_node("Range", ["a", "b", "d"], ["y"], name="n")], [], [vi("y", TP.INT64, None)],
               [const("a", np.array(0, np.int64)), const("b", np.array(5, np.int64)),
                const("d", np.array(0, np.int64))]))
    case("shapemath/reshape_count.onnx", "cannot reshape",
         unary("Reshape", [const("s", i64(5, 5))], outputs=Y))
    case("shapemath/reshape_minus1_of_0.onnx", "-1",
         unary("Reshape", [const("s", i64(0, -1))], [vi("x", shape=(0, 3))], Y))
    case("shapemath/split_num_outputs_0.onnx", "num_outputs",
         model([h.make_node("Split", ["x"], ["y"], name="n", axis=0, num_outputs=0)], opset=18, outputs=Y))
    case("shapemath/split_sizes_sum.onnx", "split",
         model([h.make_node("Split", ["x", "s"], ["y", "z"], name="n", axis=1)],
               outputs=[vi("y", shape=None), vi("z", shape=None)], inits=[const("s", i64(1, 1))]))
    case("shapemath/slice_step_0.onnx", "step",
         unary("Slice", [const("s", i64(0)), const("e", i64(1)), const("a", i64(0)), const("t", i64(0))],
               outputs=Y))
    case("shapemath/depthtospace_blocksize_0.onnx", "blocksize",
         unary("DepthToSpace", blocksize=0, inputs=X4, outputs=Y))
    case("shapemath/spacetodepth_blocksize_0.onnx", "blocksize",
         unary("SpaceToDepth", blocksize=0, inputs=X4, outputs=Y))


def inout():
    case("inout/self_loop.onnx", "both an input and an output of the node",
         model([h.make_node("Add", ["x", "z"], ["z"], name="n"), h.make_node("Relu", ["z"], ["y"], name="m")]))
    case("inout/output_is_graph_input.onnx", "output 'x' is already a graph input",
         model([h.make_node("Relu", ["x"], ["x"], name="n")], outputs=[vi("x")]))
    case("inout/output_is_initializer.onnx", "output 'w' is already an initializer",
         model([h.make_node("Relu", ["x"], ["w"], name="n"), h.make_node("Relu", ["w"], ["y"], name="m")],
               inits=[const("w", np.ones((2, 3), np.float32))]))
    case("inout/same_output_twice_in_node.onnx", "output 'a' is already",
         model([h.make_node("Split", ["x"], ["a", "a"], name="n", axis=0),
                h.make_node("Relu", ["a"], ["y"], name="m")], outputs=[vi("y", shape=None)]))
    case("inout/two_nodes_one_output.onnx", "output 'y' is already an output of node 'a'",
         model([h.make_node("Relu", ["x"], ["y"], name="a"), h.make_node("Relu", ["x"], ["y"], name="b")]))
    case("inout/self_loop.onnxtxt", "both an input and an output",
         "<ir_version: 8, opset_import: [\"\" : 17]>\ng (float[2,3] x) => (float[2,3] y)\n{\n"
         "   [\"n\"] z = Add (x, z)\n   [\"m\"] y = Relu (z)\n}\n")


def external():
    d = "external"
    write(d + "/w.bin", b"\0" * 8 + np.arange(6, dtype=np.float32).tobytes())
    write(d + "/sub/w2.bin", np.arange(6, dtype=np.float32).tobytes())
    write("outside.bin", np.arange(6, dtype=np.float32).tobytes())
    for link, target in (("link_out.bin", "../outside.bin"), ("link_abs.bin", "/etc/passwd"),
                         ("link_in.bin", "sub/w2.bin")):
        p = os.path.join(HERE, d, link)
        if os.path.lexists(p):
            os.remove(p)
        os.symlink(target, p)

    def ext(name, expected, **kv):
        w = TP(name="w", data_type=TP.FLOAT, dims=[2, 3])
        w.data_location = TP.EXTERNAL
        for k, v in kv.items():
            e = w.external_data.add()
            e.key, e.value = k, str(v)
        case("%s/%s.onnx" % (d, name), expected,
             model([h.make_node("Add", ["x", "w"], ["y"], name="n")], inits=[w]))
    inside = "must be a relative path inside the model's folder"
    ext("absolute_path", inside, location="/etc/hostname")
    ext("dotdot", inside, location="../outside.bin")
    ext("dotdot_nested", inside, location="sub/../../outside.bin")
    ext("dotdot_backslash", inside, location="sub\\..\\..\\outside.bin")
    ext("symlink_out", "outside the model's folder", location="link_out.bin")
    ext("symlink_absolute", "outside the model's folder", location="link_abs.bin")
    ext("offset_length_overflow", "lies past its end", location="w.bin", offset=2**63 + 5, length=2**63)
    ext("offset_past_end", "the offset lies past its end", location="w.bin", offset=100)
    ext("length_mismatch", "the length does not match", location="w.bin", offset=8, length=20)
    ext("missing_file", "No such file", location="nope.bin")
    ext("directory", "not a regular file", location="sub")
    # git keeps no FIFOs: run_bad.py runs this one beside a FIFO it makes
    ext("fifo", "not a regular file", location="fifo.bin")
    ext("no_location", "gives no location", offset=0)
    ext("offset_negative", "is not a non-negative integer", location="w.bin", offset=-1)
    ext("offset_2_64", "is not a non-negative integer", location="w.bin", offset=2**64)
    ext("ok_offset", "OK", location="w.bin", offset=8, length=24)
    ext("ok_symlink_inside", "OK", location="link_in.bin")


def unknown():
    case("unknown/op.onnx", "unsupported op 'Frobnicate'",
         model([h.make_node("Frobnicate", ["x"], ["y"], name="n")]))
    case("unknown/domain_not_imported.onnx", "domain 'com.example' is not imported",
         model([h.make_node("Relu", ["x"], ["y"], name="n", domain="com.example")]))
    case("unknown/op_in_custom_domain.onnx", "unsupported op 'Twiddle' in domain 'com.example'",
         model([h.make_node("Twiddle", ["x"], ["y"], name="n", domain="com.example")],
               opsets=[("", 17), ("com.example", 1)]))
    case("unknown/opset_1000.onnx", "at opset 1000 is not supported", model([h.make_node("Relu", ["x"], ["y"], name="n")], opset=1000))
    case("unknown/opset_2_32_plus_17.onnx", "imports domain '' without a valid version", model([h.make_node("Relu", ["x"], ["y"], name="n")], opset=2**32 + 17))
    case("unknown/opset_0.onnx", "without a valid version", model([h.make_node("Relu", ["x"], ["y"], name="n")], opset=0))
    case("unknown/opset_negative.onnx", "without a valid version", model([h.make_node("Relu", ["x"], ["y"], name="n")], opset=-5))
    case("unknown/domain_twice.onnx", "more than once",
         model([h.make_node("Relu", ["x"], ["y"], name="n")], opsets=[("", 17), ("ai.onnx", 13)]))
    case("unknown/no_opset_import.onnx", "imports no operator set", _no_opsets())
    case("unknown/ml_op.onnx", "unsupported op 'LinearFrobnicator' in domain 'ai.onnx.ml'",
         model([h.make_node("LinearFrobnicator", ["x"], ["y"], name="n", domain="ai.onnx.ml",
                            coefficients=[1.0] * 6, classlabels_ints=[0, 1])],
               opsets=[("", 17), ("ai.onnx.ml", 3)]))
    case("unknown/op_type_not_a_name.onnx", "op type 'Resh#pe' in domain '' is not a name",
         model([h.make_node("Resh#pe", ["x"], ["y"], name="n")]))
    case("unknown/domain_not_a_name.onnx", "is not a name",
         model([h.make_node("Relu", ["x"], ["y"], name="n", domain="com..x")],
               opsets=[("", 17), ("com..x", 1)]))
    case("unknown/relu_opset_5.onnx", "OK", model([h.make_node("Relu", ["x"], ["y"], name="n")], opset=5))
    case("unknown/several.onnxtxt", "unsupported op 'Frob'",
         "<ir_version: 8, opset_import: [\"\" : 17]>\ng (float[2,3] x) => (float[2,3] y)\n{\n"
         "   [\"a\"] z = Frob (x)\n   [\"b\"] y = Twiddle (z)\n}\n")


def _no_opsets():
    m = model([h.make_node("Relu", ["x"], ["y"], name="n")])
    del m.opset_import[:]
    return m


def types():
    Y = [vi("y", shape=None)]
    case("types/add_float_int64.onnx", "int64",
         model([h.make_node("Add", ["x", "z"], ["y"], name="n")], [vi("x"), vi("z", TP.INT64)], Y))
    case("types/matmul_int32_float.onnx", "int32",
         model([h.make_node("MatMul", ["x", "z"], ["y"], name="n")], [vi("x"), vi("z", TP.INT32, (3, 2))], Y))
    case("types/where_float_condition.onnx", "bool",
         model([h.make_node("Where", ["x", "x", "x"], ["y"], name="n")], outputs=Y))
    case("types/gather_float_indices.onnx", "indices must be",
         unary("Gather", [const("i", np.zeros(1, np.float32))], outputs=Y))
    case("types/perm_as_floats.onnx", "attribute 'perm' is floats, expected ints",
         unary("Transpose", perm=[1.0, 0.0], outputs=Y))
    case("types/axis_as_string.onnx", "attribute 'axis' is a string, expected an int",
         unary("Softmax", axis="one", outputs=Y))
    case("types/cast_to_999.onnx", "cannot cast to element type", unary("Cast", to=999, outputs=Y))
    case("types/cast_to_string.onnx", "string", unary("Cast", to=TP.STRING, outputs=Y))
    case("types/cast_from_string.onnx", "cannot cast from element type string",
         model([h.make_node("Cast", ["x"], ["y"], name="n", to=TP.FLOAT)], [vi("x", TP.STRING)]))
    m = model([h.make_node("Relu", ["x"], ["y"], name="n")])
    m.graph.input[0].type.tensor_type.ClearField("elem_type")
    case("types/input_no_element_type.onnx", "graph input 'x' has no element type", m)
    m = model([], [vi("x"), vi("unused")], [vi("x")])
    m.graph.input[1].type.tensor_type.ClearField("elem_type")
    case("types/unused_input_no_element_type.onnx", "graph input 'unused' has no element type", m)
    case("types/input_string.onnx", "Add is not supported for element type string",
         model([h.make_node("Add", ["x", "x"], ["y"], name="n")], [vi("x", TP.STRING)], [vi("y", TP.STRING)]))
    case("types/input_sequence.onnx", "is a sequence",
         model([h.make_node("Identity", ["x"], ["y"], name="n")],
               [h.make_tensor_sequence_value_info("x", TP.FLOAT, [2])], Y))


def quant():
    """onnxruntime's quantized ops (com.microsoft) with malformed parameters"""
    ms = [("", 17), ("com.microsoft", 1)]
    u8 = [vi("x", TP.UINT8, (2, 3))]

    def qop(op, ins, inits, inputs=u8, nout=1, **attrs):
        return model([h.make_node(op, ins, ["y", "y1", "y2"][:nout], name="n",
                                  domain="com.microsoft", **attrs)],
                     inputs, [vi("y", TP.UINT8, None)], inits, opsets=ms)
    s, z = const("s", np.float32(0.1)), const("z", np.uint8(3))
    case("quant/qlinearadd_scale_per_channel.onnx", "the scale of B has shape 3; it must be a scalar",
         qop("QLinearAdd", ["x", "s", "z", "x", "s3", "z", "s", "z"],
             [s, z, const("s3", np.ones(3, np.float32))]))
    case("quant/qlinearsigmoid_float.onnx", "X is float; QLinearSigmoid takes int8 or uint8",
         qop("QLinearSigmoid", ["x", "s", "z", "s", "z"], [s, z], [vi("x")]))
    case("quant/qlinearleakyrelu_zero_point_type.onnx",
         "the zero point of Y is int8; it must be uint8 like its tensor",
         qop("QLinearLeakyRelu", ["x", "s", "z", "s", "zi"], [s, z, const("zi", np.int8(0))]))
    case("quant/qlinearconcat_no_triples.onnx", "it has 6 inputs; it takes Y's scale and zero point",
         qop("QLinearConcat", ["s", "z", "x", "s", "z", "x"], [s, z], axis=0))
    case("quant/qlinearsoftmax_no_opset.onnx", "attribute opset is missing",
         qop("QLinearSoftmax", ["x", "s", "z", "s", "z"], [s, z]))
    case("quant/qlinearglobalaveragepool_rank2.onnx", "X has rank 2; it must be [N, C, spatial...]",
         qop("QLinearGlobalAveragePool", ["x", "s", "z", "s", "z"], [s, z]))
    case("quant/dynamicquantizematmul_bias_shape.onnx",
         "bias is float of shape 3; it must be float of shape 4, one per column of B",
         qop("DynamicQuantizeMatMul", ["x", "b", "s", "", "bias"],
             [const("b", np.zeros((3, 4), np.int8)), s, const("bias", np.zeros(3, np.float32))],
             [vi("x")]))
    w, r = np.zeros((1, 3, 8), np.int8), np.zeros((1, 2, 8), np.int8)
    case("quant/dynamicquantizelstm_scale_shape.onnx",
         "W's scale is float of shape 1x4; it must be float of shape 1 or 1x8",
         qop("DynamicQuantizeLSTM", ["x", "w", "r", "", "", "", "", "", "ws", "wz", "rs", "rz"],
             [const("w", w), const("r", r), const("ws", np.ones((1, 4), np.float32)),
              const("wz", np.zeros((1, 4), np.int8)), const("rs", np.ones(1, np.float32)),
              const("rz", np.zeros(1, np.int8))],
             [vi("x", TP.FLOAT, (2, 1, 3))], nout=3, hidden_size=2))


def attrs():
    Y = [vi("y", shape=None)]
    case("attrs/perm_20000.onnx", "perm", unary("Transpose", perm=list(range(20000)), outputs=Y))
    case("attrs/kernel_shape_20000.onnx", "kernel_shape",
         model([h.make_node("Conv", ["x", "W"], ["y"], name="conv", kernel_shape=[3] * 20000)],
               [vi("x", shape=(1, 1, 4, 4))], Y, [const("W", np.ones((1, 1, 3, 3), np.float32))]))
    case("attrs/pads_20000.onnx", "pads",
         model([h.make_node("MaxPool", ["x"], ["y"], name="pool", kernel_shape=[2, 2], pads=[0] * 20000)],
               [vi("x", shape=(1, 1, 4, 4))], Y))
    case("attrs/axes_20000.onnx", "axes", unary("ReduceSum", axes=list(range(20000)), opset=11, outputs=Y))
    case("attrs/5000_attributes.onnx", "attributes",
         model([h.make_node("Relu", ["x"], ["y"], name="n", **{"a%d" % i: i for i in range(5000)})]))
    case("attrs/attribute_twice.onnx", "attribute 'alpha' is given twice",
         _attr_twice())
    nodes = [h.make_node("Relu", ["x"], ["y"], name="n")]
    many = [vi("x")] + [vi("u%d" % i) for i in range(30000)]
    case("attrs/30000_inputs.onnx", "OK", model(nodes, many))
    m = model(nodes)
    for i in range(5000):
        m.opset_import.add(domain="d%d" % i, version=1)
    case("attrs/5000_opset_imports.onnx", "operator sets", m)


def _attr_twice():
    n = h.make_node("LeakyRelu", ["x"], ["y"], name="n", alpha=0.1)
    n.attribute.extend([h.make_attribute("alpha", 0.2)])
    return model([n])


def names():
    case("names/empty_input_name.onnx", "graph input #0 has no name",
         model([h.make_node("Relu", ["x"], ["y"], name="n")], [vi("")]))
    case("names/input_listed_twice.onnx", "graph input 'x' is listed twice",
         model([h.make_node("Relu", ["x"], ["y"], name="n")], [vi("x"), vi("x")]))
    case("names/output_listed_twice.onnx", "graph output 'y' is listed twice",
         model([h.make_node("Relu", ["x"], ["y"], name="n")], outputs=[vi("y"), vi("y")]))
    case("names/initializer_no_name.onnx", "initializer #0 has no name",
         model([h.make_node("Relu", ["x"], ["y"], name="n")], inits=[const("", np.ones(1, np.float32))]))
    case("names/nul_in_attribute_string.onnx", "holds a string with a NUL byte",
         unary("Pad", [const("p", i64(0, 0, 0, 0))], mode=b"constant\0junk"))
    # names equal up to a NUL byte stay distinct (hostile_names.py checks the values)
    case("names/nul_in_names.onnx", "OK",
         model([h.make_node("Relu", ["x\0in"], ["t\0one"], name="n\0a"),
                h.make_node("Neg", ["x\0in"], ["t\0two"], name="n\0b"),
                h.make_node("Add", ["t\0one", "t\0two"], ["y"], name="n\0c")], [vi("x\0in")]))
    case("names/comment_end_and_newlines.onnx", "OK",
         model([h.make_node("Relu", ["*/x\n#error"], ["??/\\"], name="*/ int evil; /*")],
               [vi("*/x\n#error")], [vi("??/\\")]))


def crashers():
    """models that crashed or misbehaved before a fix; they must now compile"""
    def fold(op, a, b, dtype):
        return model([h.make_node(op, ["a", "b"], ["y"], name="n")], [], [vi("y", dtype, None)],
                     [const("a", a), const("b", b)])
    i32, i64_ = np.int32, np.int64
    crasher("div_int32_min_by_minus_1", fold("Div", np.array([-2**31], i32), np.array([-1], i32), TP.INT32))
    crasher("mod_int64_min_by_minus_1", fold("Mod", np.array([-2**63], i64_), np.array([-1], i64_), TP.INT64))
    crasher("mul_int64_overflow", fold("Mul", np.array([2**62], i64_), np.array([5], i64_), TP.INT64))
    crasher("pow_int32_overflow", fold("Pow", np.array([7], i32), np.array([100], i32), TP.INT32))


def main():
    for make in (garbage, wire, nesting, dims, rawdata, tensordata, bombs, order, functions,
                 refs, axes, shapemath, inout, external, unknown, types, quant, attrs, names,
                 crashers):
        make()
    with open(os.path.join(HERE, "manifest.txt"), "w") as f:
        f.write("# CLASS/CASE | expected message substring (OK: must compile); "
                "written by make_bad.py\n")
        for rel, expected in CASES:
            f.write("%s | %s\n" % (rel, expected))
    print("%d cases" % len(CASES))


if __name__ == "__main__":
    main()
