#!/usr/bin/env python3
"""Cases for the Gradient op (ai.onnx.preview.training) beyond the two ONNX
tests: broadcasting Add/Mul, Div, MatMul chains (vectors and batches), Gemm,
Relu/Sigmoid/Tanh/Exp/Log, a value with two readers, an x that y does not
depend on, Reshape/Transpose/Flatten/Sum, Softmax and the reductions, a
Gradient taken at inputs other than the named values, a gradient of a
gradient, double precision and a left-out output.

Each case gives the forward computation in numpy and its gradients written
out by hand; the script checks the forward against onnxruntime (the model
without its Gradient node) and the gradients against central differences in
double precision, then writes the model and the expected outputs (y, then
the gradients) in the ONNX backend-test layout to tests/grad/cases
(committed), checked with `mlc test tests/grad/cases`.

usage: make_cases.py   (rewrites tests/grad/cases)"""
import os, shutil
import numpy as np, onnx, onnxruntime as ort
from onnx import helper, numpy_helper, TensorProto as TP

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'cases')
shutil.rmtree(root, ignore_errors=True)
rng = np.random.default_rng(7)
TRAIN = 'ai.onnx.preview.training'


def rand(*shape, lo=-1.0, hi=1.0):
    return rng.uniform(lo, hi, size=shape)


def numeric(fwd, feeds, name, eps=1e-6):
    """d sum(fwd) / d feeds[name] by central differences, in double"""
    x = feeds[name]
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        for s in (1, -1):
            f = dict(feeds)
            f[name] = x.copy()
            f[name][i] += s * eps
            g[i] += s * np.sum(fwd(f)) / (2 * eps)
    return g


def case(name, nodes, feeds, fwd, grads, xs, zs=(), y='y', ginputs=None, gouts=None,
         dt=TP.FLOAT, opset=17, inits=(), check=True):
    """feeds: graph inputs (double arrays); fwd(feeds) -> y; grads: the
    expected d sum(y)/dx for x in xs, in numpy; ginputs: the Gradient's
    inputs (default xs + zs); gouts: its output names ('' leaves one out)"""
    npt = np.float64 if dt == TP.DOUBLE else np.float32
    feeds = {k: v.astype(np.float64) for k, v in feeds.items()}
    known = dict(feeds, **{k: v.astype(np.float64) for k, v in inits if v.dtype.kind == 'f'})
    for x, g in zip(xs, grads):
        if check and g is not None:
            num = numeric(fwd, known, x)
            assert np.allclose(g, num, rtol=1e-4, atol=1e-5), (name, x, g, num)
    gouts = gouts if gouts is not None else ['d_' + x for x in xs]
    names = dict(xs=list(xs), zs=list(zs)) if zs else dict(xs=list(xs))
    grad = helper.make_node('Gradient', ginputs or list(xs) + list(zs), gouts,
                            name=name + '_grad', domain=TRAIN, y=y, **names)
    vi = lambda n, shape: helper.make_tensor_value_info(n, dt, shape)
    inputs = [vi(k, list(v.shape)) for k, v in feeds.items()]
    yv = fwd(known)
    outs = [vi(y, list(np.shape(yv)))] + [vi(o, list(np.shape(g))) for g, o in zip(grads, gouts) if o]
    expect = [yv] + [g for g, o in zip(grads, gouts) if o]
    inits = [numpy_helper.from_array(v.astype(npt) if v.dtype.kind == 'f' else v, k)
             for k, v in inits]
    opsets = [helper.make_opsetid('', opset), helper.make_opsetid(TRAIN, 1)]
    m = helper.make_model(helper.make_graph(nodes + [grad], name, inputs, outs, inits),
                          opset_imports=opsets, ir_version=10)
    onnx.checker.check_model(m)
    if any(n.domain == TRAIN for n in nodes):  # onnxruntime has no Gradient
        fm = None
    else:
        fm = helper.make_model(helper.make_graph(nodes, name, inputs, outs[:1], inits),
                           opset_imports=opsets[:1], ir_version=10)
        sess = ort.InferenceSession(fm.SerializeToString(), providers=['CPUExecutionProvider'])
        got = sess.run(None, {k: v.astype(npt) for k, v in feeds.items()})[0]
        assert np.allclose(got, yv, rtol=1e-4, atol=1e-5), (name, got, yv)
    d = os.path.join(root, name, 'test_data_set_0')
    os.makedirs(d)
    onnx.save(m, os.path.join(root, name, 'model.onnx'))
    for i, (k, v) in enumerate(feeds.items()):
        t = numpy_helper.from_array(v.astype(npt), k)
        open(f'{d}/input_{i}.pb', 'wb').write(t.SerializeToString())
    for i, (o, v) in enumerate(zip(outs, expect)):
        t = numpy_helper.from_array(np.asarray(v).astype(npt), o.name)
        open(f'{d}/output_{i}.pb', 'wb').write(t.SerializeToString())


N = helper.make_node
sig = lambda v: 1 / (1 + np.exp(-v))

# (a + b) * c with b and c broadcast
f = dict(a=rand(2, 3), b=rand(3), c=rand(2, 1))
case('bcast_add_mul', [N('Add', ['a', 'b'], ['s']), N('Mul', ['s', 'c'], ['y'])], f,
     lambda f: (f['a'] + f['b']) * f['c'],
     [np.broadcast_to(f['c'], (2, 3)), np.sum(np.broadcast_to(f['c'], (2, 3)), 0),
      np.sum(f['a'] + f['b'], 1, keepdims=True)], ['a', 'b', 'c'])

# a / b - b, b broadcast over rows
f = dict(a=rand(2, 3), b=rand(1, 3, lo=0.5, hi=2))
case('div_sub', [N('Div', ['a', 'b'], ['q']), N('Sub', ['q', 'b'], ['y'])], f,
     lambda f: f['a'] / f['b'] - f['b'],
     [np.broadcast_to(1 / f['b'], (2, 3)), np.sum(-f['a'] / f['b'] ** 2 - 1, 0, keepdims=True)],
     ['a', 'b'])

# x w1 w2, x not differentiated (zs)
f = dict(x=rand(2, 3), w1=rand(3, 4), w2=rand(4, 2))
one = np.ones((2, 2))
case('matmul_chain', [N('MatMul', ['x', 'w1'], ['h']), N('MatMul', ['h', 'w2'], ['y'])], f,
     lambda f: f['x'] @ f['w1'] @ f['w2'],
     [f['x'].T @ one @ f['w2'].T, (f['x'] @ f['w1']).T @ one], ['w1', 'w2'], zs=['x'])

# vector . matrix . vector, and a batch times a matrix
f = dict(v=rand(3), m=rand(3, 4), u=rand(4), p=rand(2, 2, 3))
case('matmul_vec_batch',
     [N('MatMul', ['v', 'm'], ['vm']), N('MatMul', ['vm', 'u'], ['s']),
      N('MatMul', ['p', 'm'], ['pm']), N('Mul', ['pm', 's'], ['y'])], f,
     lambda f: (f['p'] @ f['m']) * (f['v'] @ f['m'] @ f['u']),
     [f['m'] @ f['u'] * np.sum(f['p'] @ f['m']),
      np.sum(f['p'], (0, 1))[:, None] * np.ones((1, 4)) * (f['v'] @ f['m'] @ f['u'])
      + np.sum(f['p'] @ f['m']) * np.outer(f['v'], f['u']),
      (f['v'] @ f['m']) * np.sum(f['p'] @ f['m']),
      np.broadcast_to((np.ones(4) @ f['m'].T) * (f['v'] @ f['m'] @ f['u']), (2, 2, 3))],
     ['v', 'm', 'u', 'p'])

# a small MLP: Gemm (transposed weights), Relu, MatMul, Sigmoid
f = dict(x=rand(3, 4), w=rand(5, 4), b=rand(5), w2=rand(5, 2))
def mlp(f):
    return sig(np.maximum(f['x'] @ f['w'].T + f['b'], 0) @ f['w2'])
h = f['x'] @ f['w'].T + f['b']
r = np.maximum(h, 0)
s = sig(r @ f['w2'])
dh = (s * (1 - s)) @ f['w2'].T * (h > 0)
case('mlp_gemm', [N('Gemm', ['x', 'w', 'b'], ['h'], transB=1), N('Relu', ['h'], ['r']),
                  N('MatMul', ['r', 'w2'], ['o']), N('Sigmoid', ['o'], ['y'])], f, mlp,
     [dh.T @ f['x'], dh.sum(0), r.T @ (s * (1 - s))], ['w', 'b', 'w2'], zs=['x'])

# Gemm with alpha, beta, transposed A, and C broadcast from a column
f = dict(a=rand(4, 3), b=rand(4, 2), c=rand(3, 1))
one = np.ones((3, 2))
case('gemm_trans', [N('Gemm', ['a', 'b', 'c'], ['y'], transA=1, alpha=0.5, beta=2.0)], f,
     lambda f: 0.5 * f['a'].T @ f['b'] + 2 * f['c'],
     [0.5 * f['b'] @ one.T, 0.5 * f['a'] @ one, np.full((3, 1), 4.0)], ['a', 'b', 'c'])

# weights as initializers (the whole gradient is known at compile time
# for them) next to a run-time input
f = dict(x=rand(2, 3))
w = rand(3, 2)
t = np.tanh(f['x'] @ w)
case('const_weights', [N('MatMul', ['x', 'w'], ['m']), N('Tanh', ['m'], ['y'])], f,
     lambda f: np.tanh(f['x'] @ f['w']),
     [f['x'].T @ (1 - t ** 2), (1 - t ** 2) @ w.T], ['w', 'x'], inits=[('w', w)])

# one input read by five activations (its adjoint sums them)
f = dict(a=rand(2, 3), b=rand(2, 3, lo=0.5, hi=2))
def acts(f):
    a = f['a']
    return np.tanh(a) * sig(a) + np.maximum(a, 0) + np.exp(a) - np.log(f['b'])
a = f['a']
case('activations', [N('Tanh', ['a'], ['t']), N('Sigmoid', ['a'], ['s']), N('Mul', ['t', 's'], ['ts']),
                     N('Relu', ['a'], ['r']), N('Exp', ['a'], ['e']), N('Log', ['b'], ['l']),
                     N('Sum', ['ts', 'r', 'e'], ['p']), N('Sub', ['p', 'l'], ['y'])], f, acts,
     [(1 - np.tanh(a) ** 2) * sig(a) + np.tanh(a) * sig(a) * (1 - sig(a)) + (a > 0) + np.exp(a),
      -1 / f['b']], ['a', 'b'])

# h = a b read twice (h + h h); d does not reach y and gets zeros
f = dict(a=rand(3), b=rand(3), d=rand(2, 2))
hh = f['a'] * f['b']
case('two_users_indep', [N('Mul', ['a', 'b'], ['h']), N('Mul', ['h', 'h'], ['h2']),
                         N('Add', ['h', 'h2'], ['y']), N('Neg', ['d'], ['unused'])], f,
     lambda f: f['a'] * f['b'] + (f['a'] * f['b']) ** 2,
     [(1 + 2 * hh) * f['b'], np.zeros((2, 2))], ['a', 'd'])

# Reshape, Transpose, Flatten and a weight: the adjoints move with the data
f = dict(a=rand(2, 3), w=rand(2, 3))
shape = [('shape', np.array([3, 2], np.int64))]
def moves(f):
    return (f['a'].reshape(3, 2).T * f['w']).reshape(1, 6)
case('reshape_transpose',
     [N('Reshape', ['a', 'shape'], ['r']), N('Transpose', ['r'], ['t'], perm=[1, 0]),
      N('Mul', ['t', 'w'], ['m']), N('Flatten', ['m'], ['y'], axis=0)], f, moves,
     [f['w'].T.reshape(2, 3), f['a'].reshape(3, 2).T], ['a', 'w'],
     inits=[(k, v) for k, v in shape])

# a classifier's loss: mean of log-softmax times targets, and a softmax
f = dict(x=rand(2, 3), w=rand(3, 4), t=rand(2, 4, lo=0, hi=1))
def smax(v):
    e = np.exp(v - v.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)
def loss(f):
    z = f['x'] @ f['w']
    return np.mean(np.log(smax(z)) * f['t'], axis=1) + np.sum(smax(z) * f['t'])
z = f['x'] @ f['w']
p = smax(z)
gl = f['t'] / 4 - p * np.sum(f['t'] / 4, -1, keepdims=True)
gs = 2 * p * (f['t'] - np.sum(f['t'] * p, -1, keepdims=True))  # ss is broadcast over 2 rows
case('softmax_loss',
     [N('MatMul', ['x', 'w'], ['z']), N('LogSoftmax', ['z'], ['ls'], axis=-1),
      N('Mul', ['ls', 't'], ['lt']), N('ReduceMean', ['lt'], ['lm'], axes=[1], keepdims=0),
      N('Softmax', ['z'], ['sm'], axis=-1), N('Mul', ['sm', 't'], ['st']),
      N('ReduceSum', ['st'], ['ss'], keepdims=0), N('Add', ['lm', 'ss'], ['y'])], f, loss,
     [f['x'].T @ (gl + gs)], ['w'], zs=['x', 't'])

# the gradient at other values: h = 2a is named, h1 given; y = h h w
f = dict(a=rand(3), h1=rand(3), w=rand(3))
case('at_inputs', [N('Add', ['a', 'a'], ['h']), N('Mul', ['h', 'h'], ['hh']),
                   N('Mul', ['hh', 'w'], ['y'])], f,
     lambda f: 4 * f['a'] ** 2 * f['w'],
     [2 * f['h1'] * f['w'], f['h1'] ** 2], ['h', 'w'], ginputs=['h1', 'w'], check=False)

# a gradient of a gradient: y = w^3 sums to 3 w^2, whose gradient is 6 w
f = dict(w=rand(4))
g1 = helper.make_node('Gradient', ['w'], ['g'], name='first', domain=TRAIN, xs=['w'], y='c')
case('second_order', [N('Mul', ['w', 'w'], ['ww']), N('Mul', ['ww', 'w'], ['c']), g1,
                      N('Identity', ['g'], ['y'])], f,
     lambda f: 3 * f['w'] ** 2, [6 * f['w']], ['w'])

# double precision, the first output left out
f = dict(a=rand(2, 2), b=rand(2, 2), c=rand(2, 3))
m = f['a'] * f['b']
dt = 1 - np.tanh(m @ f['c']) ** 2
case('double_skip', [N('Mul', ['a', 'b'], ['m']), N('MatMul', ['m', 'c'], ['p']),
                     N('Tanh', ['p'], ['y'])], f,
     lambda f: np.tanh((f['a'] * f['b']) @ f['c']),
     [None, dt @ f['c'].T * f['a'], m.T @ dt], ['a', 'b', 'c'], gouts=['', 'd_b', 'd_c'],
     dt=TP.DOUBLE)
