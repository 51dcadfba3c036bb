"""Running the bundled mlc: where the package's files are, mlc compile."""
import os
import subprocess
import tempfile

_HERE = os.path.dirname(os.path.abspath(__file__))


class MlcError(RuntimeError):
    """mlc refused a model (the message is mlc's), or a built model failed"""


def data_dir():
    """the folder the wheel installs mlc's files into: bin/mlc, lib/libmlc_rt.a,
    include/mlc/, share/mlc/runtime/ (the runtime's sources), lib/cmake/mlc/"""
    return os.environ.get("MLC_DATA_DIR") or os.path.join(_HERE, "data")


def executable():
    """the mlc executable: $MLC_EXECUTABLE, else the bundled one"""
    return os.environ.get("MLC_EXECUTABLE") or os.path.join(data_dir(), "bin", "mlc")


def cmake_dir():
    """the CMake package's folder: find_package(mlc) with mlc_DIR set to it"""
    return os.path.join(data_dir(), "lib", "cmake", "mlc")


def run_mlc(args, check=True):
    """runs mlc with the argument list args; its CompletedProcess (text
    stdout, stderr). check: raise MlcError with mlc's message on failure."""
    r = subprocess.run([executable()] + [os.fspath(a) for a in args], capture_output=True,
                       text=True)
    if check and r.returncode != 0:
        msg = (r.stderr or r.stdout).strip() or f"mlc exited with status {r.returncode}"
        raise MlcError(msg)
    return r


def _model_path(model, tmp):
    """a path for model: a path as it is, an onnx.ModelProto written into tmp"""
    if hasattr(model, "SerializeToString"):
        path = os.path.join(tmp, "model.onnx")
        with open(path, "wb") as f:
            f.write(model.SerializeToString())
        return path
    return os.fspath(model)


def _pairs(x, fmt):
    """{name: value} or ["name=value", ...] as "name=value" strings"""
    if x is None:
        return []
    if isinstance(x, dict):
        return [f"{k}={fmt(v)}" for k, v in x.items()]
    return [str(s) for s in x]


def _shape(v):
    if isinstance(v, str):
        return v
    return "x".join(str(int(d)) for d in v)


def compile(model, out, dims=None, shapes=None, name="model", weights="auto", options=()):
    """mlc compile: model (a .onnx or .onnxtxt path, or an onnx.ModelProto) to
    C. out: the .c file to write, or a folder (then FOLDER/NAME.c); the header
    is beside it. dims: {"batch": 1} (--dim), shapes: {"x": (1, 3, 224, 224)}
    or {"x": "1x3x224x224"} (--shape), name: the C prefix (--name), weights:
    inline, file or auto (--weights), options: more flags of mlc compile.
    Returns the path of the .c file; raises MlcError with mlc's message."""
    out = os.fspath(out)
    if os.path.isdir(out) or out.endswith(os.sep) or not out.endswith(".c"):
        os.makedirs(out, exist_ok=True)
        out = os.path.join(out, f"{name}.c")
    else:
        os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    args = []
    for d in _pairs(dims, str):
        args += ["--dim", d]
    for s in _pairs(shapes, _shape):
        args += ["--shape", s]
    args += ["--name", name, f"--weights={weights}"] + [str(o) for o in options]
    with tempfile.TemporaryDirectory() as tmp:
        run_mlc(["compile", _model_path(model, tmp)] + args + ["-o", out])
    return out
