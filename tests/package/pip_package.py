#!/usr/bin/env python3
"""The pip package (docs/embedding.md): builds the wheel from the source tree
(pip wheel --no-build-isolation: offline, with scikit-build-core from
scripts/requirements.txt installed), installs it into a fresh venv that sees
this Python's packages (numpy, onnx, onnxruntime), and runs the module's
compile, load and verify, the `mlc` command and the wheel's CMake package
there. Exits 77 (skipped) when scikit-build-core is not installed.

usage: pip_package.py --src SOURCE_DIR --work WORK_DIR"""
import argparse
import os
import shutil
import subprocess
import sys
import sysconfig

CHECK = r'''
import os, subprocess, sys
import numpy as np
import onnx
import mlc_compiler as mlc

src, work = sys.argv[1], sys.argv[2]
here = os.path.dirname(mlc.__file__)
assert here.startswith(sys.prefix), f"mlc_compiler imported from {here}, not the venv"
mlp, net = os.path.join(src, "models", "mlp.onnxtxt"), os.path.join(src, "models", "net.onnxtxt")

# the `mlc` command: the bundled executable
v = subprocess.run(["mlc", "--version"], capture_output=True, text=True, check=True).stdout
assert mlc.__version__ in v, (v, mlc.__version__)
print("mlc --version:", v.strip())
# `mlc test` of the wheel's mlc links generated code with the wheel's runtime
t = subprocess.run(["mlc", "test", "-v", os.path.join(src, "tests", "contrib", "cases")],
                   capture_output=True, text=True)
assert t.returncode == 0 and os.path.join(here, "data") in t.stderr, (t.stdout, t.stderr)
print(t.stderr.strip().splitlines()[0])

# compile, load, call by position and by name; as the quickstart's program
c = mlc.compile(mlp, os.path.join(work, "mlp"), dims={"batch": 1}, name="mlp")
run = mlc.load(os.path.dirname(c), name="mlp")
x = (np.arange(10, dtype=np.float32) / 10).reshape(1, 10)
y = run(x)["dense_1"]
assert np.array_equal(y, run(dense_input=x)["dense_1"])
print("mlp(0.0, 0.1, ..., 0.9) = %f" % y[0, 0])
import onnxruntime as ort
onnx_mlp = os.path.join(work, "mlp.onnx")
subprocess.run(["mlc", "convert", mlp, "-o", onnx_mlp], check=True)
ref = ort.InferenceSession(onnx_mlp).run(None, {"dense_input": x})[0]
assert np.allclose(y, ref, rtol=1e-4, atol=1e-5), (y, ref)

# weights in a file, outputs as a list, a model given as an onnx.ModelProto
c = mlc.compile(onnx.load(onnx_mlp), os.path.join(work, "mlpw", "m.c"), dims={"batch": 2},
                weights="file", name="mlpw")
assert os.path.exists(os.path.join(work, "mlpw", "m.weights"))
(y2,) = mlc.load(c, as_list=True)(np.concatenate([x, x]))
assert y2.shape == (2, 1) and np.allclose(y2, np.concatenate([ref, ref]), rtol=1e-4, atol=1e-5)

# mlc's message when it refuses
try:
    mlc.compile(mlp, os.path.join(work, "bad"))
    raise SystemExit("compiling with batch unbound did not fail")
except mlc.MlcError as e:
    assert "batch" in str(e), e
    print("refused:", str(e).splitlines()[0])

# against onnxruntime on random inputs
for model, dims in ((mlp, {"batch": 3}), (net, None)):
    print("verify", os.path.basename(model), mlc.verify(model, dims=dims))

# the wheel's CMake package builds the example product
print("cmake package:", mlc.cmake_dir())
'''


def run(cmd, **kw):
    print("+", " ".join(cmd), flush=True)
    return subprocess.run(cmd, check=True, **kw)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--src", required=True)
    ap.add_argument("--work", required=True)
    a = ap.parse_args()
    try:
        import scikit_build_core  # noqa: F401
    except ImportError:
        print("SKIP: scikit-build-core is not installed (scripts/setup.sh installs "
              "scripts/requirements.txt)")
        return 77
    shutil.rmtree(a.work, ignore_errors=True)
    os.makedirs(a.work)
    env = dict(os.environ, CMAKE_BUILD_PARALLEL_LEVEL=os.environ.get("CMAKE_BUILD_PARALLEL_LEVEL",
                                                                     "2"))
    dist = os.path.join(a.work, "dist")
    run([sys.executable, "-m", "pip", "wheel", a.src, "--no-deps", "--no-build-isolation",
         "--no-index", "-q", "-w", dist], env=env)
    wheels = [os.path.join(dist, f) for f in os.listdir(dist) if f.endswith(".whl")]
    assert len(wheels) == 1, wheels
    print("wheel:", os.path.basename(wheels[0]))

    # a fresh venv that sees this Python's packages (numpy, onnx, onnxruntime)
    venv = os.path.join(a.work, "venv")
    run([sys.executable, "-m", "venv", venv])
    vpy = os.path.join(venv, "bin", "python3")
    purelib = subprocess.run([vpy, "-c", "import sysconfig; print(sysconfig.get_paths()"
                              "['purelib'])"], check=True, capture_output=True,
                             text=True).stdout.strip()
    with open(os.path.join(purelib, "tests_python.pth"), "w") as f:
        for key in ("purelib", "platlib"):
            f.write(sysconfig.get_paths()[key] + "\n")
    run([vpy, "-m", "pip", "install", "-q", "--no-deps", "--no-index", wheels[0]])

    check = os.path.join(a.work, "check.py")
    with open(check, "w") as f:
        f.write(CHECK)
    venv_env = dict(env, PATH=os.path.join(venv, "bin") + os.pathsep + env["PATH"],
                    MLC_CACHE_DIR=os.path.join(a.work, "cache"))
    for k in ("MLC_EXECUTABLE", "MLC_DATA_DIR", "PYTHONPATH"):
        venv_env.pop(k, None)
    run([vpy, check, a.src, a.work], env=venv_env, cwd=a.work)
    cmake_dir = subprocess.run([vpy, "-c", "import mlc_compiler; print(mlc_compiler.cmake_dir())"],
                               env=venv_env, check=True, capture_output=True,
                               text=True).stdout.strip()
    app = os.path.join(a.work, "app")
    run(["cmake", "-S", os.path.join(a.src, "examples", "cmake-app"), "-B", app,
         f"-Dmlc_DIR={cmake_dir}"], env=venv_env, stdout=subprocess.DEVNULL)
    run(["cmake", "--build", app], env=venv_env, stdout=subprocess.DEVNULL)
    out = run([os.path.join(app, "app")], capture_output=True, text=True).stdout
    print(out, end="")
    assert out.startswith("mlp(0.0, 0.1, ..., 0.9) = "), out
    print("package pip: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
