"""verify(): a model through mlc against onnxruntime on random inputs."""
import os
import tempfile

import numpy as np

from ._build import load
from ._compile import MlcError, _model_path, compile, run_mlc


_INTS = {"int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"}


def _random(t, rng):
    if t.type == "string":
        return np.array([f"s{int(v)}" for v in rng.integers(0, 10, t.count)],
                        dtype=object).reshape(t.shape)
    if t.type == "bool":
        return rng.integers(0, 2, t.shape).astype(np.bool_)
    if t.type in ("float", "double", "float16"):
        return rng.standard_normal(t.shape).astype(t.dtype)
    if t.type in _INTS:
        return rng.integers(0, 10, t.shape).astype(t.dtype)
    raise MlcError(f"input '{t.name}': verify cannot make {t.type} inputs for onnxruntime")


def verify(model, dims=None, shapes=None, rtol=1e-3, atol=1e-4, seed=0, options=()):
    """compiles model (a path or an onnx.ModelProto) with dims and shapes as
    compile() takes them, builds and loads it, runs it on random inputs and
    compares every output with onnxruntime's. Returns the worst absolute
    error over all outputs; raises MlcError when an output is off by more
    than atol + rtol * |expected| (or has another shape or type)."""
    import onnxruntime as ort

    rng = np.random.default_rng(seed)
    with tempfile.TemporaryDirectory() as tmp:
        path = _model_path(model, tmp)
        if path.endswith(".onnxtxt"):  # onnxruntime reads the binary form
            onnx_path = os.path.join(tmp, "model.onnx")
            run_mlc(["convert", path, "-o", onnx_path])
            path = onnx_path
        compile(path, tmp, dims=dims, shapes=shapes, name="model", options=options)
        m = load(tmp, "model")
        feeds = {t.name: _random(t, rng) for t in m.inputs}
        got = m(**feeds)
        so = ort.SessionOptions()
        so.log_severity_level = 3
        sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
        names = [o.name for o in sess.get_outputs()]
        want = dict(zip(names, sess.run(names, feeds)))
    worst = 0.0
    bad = []
    for t in m.outputs:
        if t.name not in want:
            continue  # an output mlc adds (a data-dependent size)
        g, w = got[t.name], np.asarray(want[t.name])
        if g.shape != w.shape:
            bad.append(f"'{t.name}': shape {g.shape}, onnxruntime {w.shape}")
            continue
        if t.type == "string" or g.dtype == np.bool_ or np.issubdtype(g.dtype, np.integer):
            n = int(np.sum(g != w))
            if n:
                bad.append(f"'{t.name}': {n} of {g.size} elements differ")
            worst = max(worst, float(n > 0))
            continue
        g64, w64 = g.astype(np.float64), w.astype(np.float64)
        both_nan = np.isnan(g64) & np.isnan(w64)
        err = np.where(both_nan, 0.0, np.abs(g64 - w64))
        err = np.where(np.isnan(err), np.inf, err)
        e = float(err.max()) if err.size else 0.0
        worst = max(worst, e)
        over = err > atol + rtol * np.abs(w64)
        if over.any():
            bad.append(f"'{t.name}': {int(over.sum())} of {g.size} elements off by more than "
                       f"atol={atol} + rtol={rtol} * |expected| (worst {e:.3g})")
    if bad:
        raise MlcError("mlc and onnxruntime differ: " + "; ".join(bad))
    return worst
