"""mlc from Python (docs/embedding.md): compile an ONNX model to C with the
bundled mlc, build the C with the system's C compiler and call it through
ctypes, and check it against onnxruntime.

    import mlc_compiler as mlc
    mlc.compile("model.onnx", "out/", dims={"batch": 1})  # out/model.c, out/model.h
    run = mlc.load("out/")                                 # builds out/model.so
    outputs = run(x)                                       # {name: numpy array}
    mlc.verify("model.onnx", dims={"batch": 1})            # the worst error
"""
from ._compile import MlcError, compile, data_dir, executable, cmake_dir, run_mlc

__all__ = ["compile", "load", "verify", "Model", "MlcError", "run_mlc", "executable",
           "data_dir", "cmake_dir", "runtime_library"]


def _version():
    try:
        from importlib.metadata import version
        return version("mlc-compiler")
    except Exception:  # not installed as a distribution (a source checkout)
        return "unknown"


__version__ = _version()


def __getattr__(name):
    """load, Model, runtime_library and verify need numpy: imported on first
    use, so that the `mlc` command runs without it"""
    if name in ("load", "Model", "runtime_library"):
        from . import _build
        return getattr(_build, name)
    if name == "verify":
        from ._verify import verify
        return verify
    raise AttributeError(f"module 'mlc_compiler' has no attribute {name!r}")
