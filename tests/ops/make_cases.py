#!/usr/bin/env python3
"""Cases for the element ops beyond the ONNX node tests: BitShift on signed
and unsigned types with broadcasting, negative shifts and shifts past the
width; Pow with mixed base and exponent types; BitCast, including the
sub-byte types and int8 to bool; MatMul on double (broadcast batches, 1-D
operands, k = 0); TfIdfVectorizer (TF/IDF/TFIDF, weights, int32 input,
permuted indexes, large skips, repeated n-grams, max_gram_length beyond the
pool); integer reductions that overflow (they wrap, as numpy's do;
onnxruntime saturates some of them). Expected outputs come from the onnx
reference implementation,
checked against onnxruntime where it takes the model (a difference is
printed). The cases are written in the ONNX backend-test layout to
tests/ops/cases (committed) and checked with `mlc test` (ctest: element_ops).

usage: make_cases.py   (rewrites tests/ops/cases)"""
import numpy as np, onnx, os, shutil
from onnx import helper as h, TensorProto as TP, numpy_helper as nh
from onnx.reference import ReferenceEvaluator
root = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'cases')
shutil.rmtree(root, ignore_errors=True)
rng = np.random.default_rng(0)

def case(name, node, inputs, opset, out_type=None, expected=None):
    d = os.path.join(root, name); os.makedirs(d + '/test_data_set_0')
    ins = [h.make_tensor_value_info(k, h.np_dtype_to_tensor_dtype(v.dtype), v.shape) for k, v in inputs.items()]
    g = h.make_graph([node], name, ins, [h.make_tensor_value_info('y', out_type or 0, None)])
    m = h.make_model(g, opset_imports=[h.make_opsetid('', opset)])
    m.ir_version = 10
    if expected is None:
        try:
            expected = ReferenceEvaluator(m).run(None, inputs)[0]
        except Exception as e:
            expected = None
        try:
            import onnxruntime as ort
            m2 = onnx.ModelProto(); m2.CopyFrom(m)
            m2.graph.output[0].CopyFrom(h.make_tensor_value_info('y', out_type or h.np_dtype_to_tensor_dtype(expected.dtype), None))
            eo = ort.InferenceSession(m2.SerializeToString(), providers=['CPUExecutionProvider']).run(None, inputs)[0]
            if expected is None: expected = eo
            elif not np.allclose(eo.astype(np.float64), expected.astype(np.float64), equal_nan=True): print('REF/ORT DIFFER', name, expected, eo)
        except Exception as e:
            print('ort fails', name, str(e)[:100])
    g.output[0].CopyFrom(h.make_tensor_value_info('y', h.np_dtype_to_tensor_dtype(expected.dtype), expected.shape))
    onnx.save(m, d + '/model.onnx')
    for i, (k, v) in enumerate(inputs.items()):
        onnx.save_tensor(nh.from_array(v, k), f'{d}/test_data_set_0/input_{i}.pb')
    onnx.save_tensor(nh.from_array(expected, 'y'), f'{d}/test_data_set_0/output_0.pb')

# BitShift signed, broadcast, shifts in [-3, width+3]
for t in [np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint64]:
    info = np.iinfo(t)
    a = rng.integers(info.min, info.max, size=(3, 5), dtype=t, endpoint=True)
    bits = info.bits
    lo = -3 if info.min < 0 else 0
    b = rng.integers(lo, bits + 3, size=(5,)).astype(t)
    for dr in ['LEFT', 'RIGHT']:
        case(f'bitshift_{dr}_{t.__name__}', h.make_node('BitShift', ['a', 'b'], ['y'], direction=dr), {'a': a, 'b': b}, 28)

# Pow mixed
def pw(name, a, b):
    case('pow_' + name, h.make_node('Pow', ['a', 'b'], ['y']), {'a': a, 'b': b}, 15)
pw('f32_i8', rng.normal(size=(4, 3)).astype(np.float32), np.array([0, 3, -2], np.int8))
pw('f64_f32', rng.uniform(0.1, 3, size=(4, 3)), np.array([0.5, 3, -2], np.float32))
pw('f32_f64', rng.uniform(0.1, 3, size=(4, 3)).astype(np.float32), np.array([0.5, 3, -2.5]))
pw('i32_i64', np.array([[-3, 2, 7], [5, -1, 0]], np.int32), np.array([3, 5, 2], np.int64))
pw('i64_i32', np.array([[-3, 2, 7], [5, -1, 0]], np.int64), np.array([3, 5, 2], np.int32))
pw('i64_u8', np.array([[-3, 2, 7], [5, -1, 0]], np.int64), np.array([3, 5, 2], np.uint8))
pw('i32_f64', np.array([[-3, 2, 7], [5, 1, 0]], np.int32), np.array([3, 0.5, 2]))
pw('f16_i32', np.array([[-3, 2, 7], [5, -1, 0.5]], np.float16), np.array([3, 2, -2], np.int32))

# BitCast extra
def bc(name, x, to, exp=None):
    case('bitcast_' + name, h.make_node('BitCast', ['x'], ['y'], to=to), {'x': x}, 26, expected=exp)
bc('u8_bool', np.array([0, 1, 0, 1], np.uint8), TP.BOOL)
bc('f16_bf16', np.array([1.5, -2, 65504, 0.1], np.float16), TP.BFLOAT16,
   exp=None)
bc('f32_u32', np.array([[1.5, -2], [np.inf, np.nan]], np.float32), TP.UINT32)
bc('i16_f16', np.array([15360, -1, 31744, 0], np.int16), TP.FLOAT16)

# MatMul double
def mm(name, a, b):
    case('matmul_' + name, h.make_node('MatMul', ['a', 'b'], ['y']), {'a': a, 'b': b}, 13)
mm('2d', rng.normal(size=(5, 7)), rng.normal(size=(7, 3)))
mm('bcast', rng.normal(size=(2, 1, 5, 7)), rng.normal(size=(3, 7, 4)))
mm('vec_mat', rng.normal(size=(7,)), rng.normal(size=(2, 7, 4)))
mm('mat_vec', rng.normal(size=(2, 3, 7)), rng.normal(size=(7,)))
mm('shared_b', rng.normal(size=(2, 3, 5, 7)), rng.normal(size=(7, 4)))
mm('k0', np.zeros((3, 0)), np.zeros((0, 4)))

# Integer reductions that overflow: sums, |x| and squares wrap modulo 2^64
# as numpy's do (mlc accumulates in uint64_t: no signed overflow)
big = np.array([[2**62, 2**62, -2**63 + 1], [-2**63, 5, -2**63]], np.int64)
for op in ['ReduceSum', 'ReduceL1', 'ReduceSumSquare', 'ReduceProd']:
    case('wrap_' + op, h.make_node(op, ['x'], ['y'], keepdims=0), {'x': big}, 13)
case('wrap_ReduceSum_int32', h.make_node('ReduceSum', ['x'], ['y'], keepdims=0),
     {'x': np.array([[2**31 - 1, 1], [-2**31, -1]], np.int32)}, 13)

# TfIdf
def tf(name, x, **attrs):
    case('tfidf_' + name, h.make_node('TfIdfVectorizer', ['x'], ['y'], **attrs), {'x': x}, 9, out_type=TP.FLOAT)
pool = [2, 3, 5, 4,  5, 6, 7, 8, 6, 7, 3, 5,  2, 3, 5, 7, 8, 6]
x = rng.integers(2, 9, size=(3, 12)).astype(np.int64)
base = dict(max_gram_length=3, min_gram_length=1, max_skip_count=2, ngram_counts=[0, 4, 12], ngram_indexes=[0, 1, 2, 3, 4, 5, 6, 7, 8, 9], pool_int64s=pool)
tf('tf_tri', x, mode='TF', **base)
tf('idf_w', x.astype(np.int32), mode='IDF', weights=[0.5, 1, 2, 3, 4, 5, 6, 7, 8, 9.25], **base)
tf('tfidf_w', x, mode='TFIDF', weights=[0.5, 1, 2, 3, 4, 5, 6, 7, 8, 9.25], **base)
tf('idf_now', x[0], mode='IDF', **base)
b2 = dict(base); b2['ngram_indexes'] = [3, 9, 1, 0, 4, 4, 6, 7, 2, 5, 8]; b2['min_gram_length'] = 2; b2['max_skip_count'] = 100
tf('perm_min2_bigskip', x, mode='TF', **b2)
b3 = dict(base); b3['pool_int64s'] = [2, 3, 2, 4, 5, 6, 5, 6, 7, 8, 2, 3, 5, 2, 3, 5, 8, 6]
tf('repeats', x, mode='TFIDF', weights=[1.5] * 10, **b3)
b4 = dict(base); b4['max_gram_length'] = 7
tf('max_beyond', x, mode='TF', **b4)

# BitCast between the sub-byte types (values given by hand)
def case_bits(name, frm, to, xs, ys):
    d = os.path.join(root, 'bitcast_' + name); os.makedirs(d + '/test_data_set_0')
    g = h.make_graph([h.make_node('BitCast', ['x'], ['y'], to=to)], name, [h.make_tensor_value_info('x', frm, [len(xs)])], [h.make_tensor_value_info('y', to, [len(ys)])])
    m = h.make_model(g, opset_imports=[h.make_opsetid('', 26)]); m.ir_version = 11
    onnx.save(m, d + '/model.onnx')
    onnx.save_tensor(h.make_tensor('x', frm, [len(xs)], xs), d + '/test_data_set_0/input_0.pb')
    onnx.save_tensor(h.make_tensor('y', to, [len(ys)], ys), d + '/test_data_set_0/output_0.pb')
case_bits('i4_u4', TP.INT4, TP.UINT4, [-8, -3, -1, 0, 5, 7], [8, 13, 15, 0, 5, 7])
case_bits('u4_i4', TP.UINT4, TP.INT4, [8, 13, 15, 0, 5, 7], [-8, -3, -1, 0, 5, 7])
# float4e2m1 codes: 0b0001 = 0.5, 0b1001 = -0.5, 0b0111 = 6, 0b1111 = -6
case_bits('i4_f4', TP.INT4, TP.FLOAT4E2M1, [1, -7, 7, -1], [0.5, -0.5, 6.0, -6.0])
case_bits('f4_i4', TP.FLOAT4E2M1, TP.INT4, [0.5, -0.5, 6.0, -6.0], [1, -7, 7, -1])
case_bits('i2_u2', TP.INT2, TP.UINT2, [-2, -1, 0, 1], [2, 3, 0, 1])
case_bits('u2_i2', TP.UINT2, TP.INT2, [2, 3, 0, 1], [-2, -1, 0, 1])
case_bits('i8_bool', TP.INT8, TP.BOOL, [0, 1, 0], [False, True, False])
