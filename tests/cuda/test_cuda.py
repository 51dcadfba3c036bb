#!/usr/bin/env python3
"""The CUDA backend as far as a machine without a GPU can check it:
`mlc compile --target=cuda` writes model.cu, model.h and model.weights that
nvcc compiles with -Werror all-warnings for sm_80 and sm_90; the header is
plain C (a C99 program using it compiles with -pedantic and links with the
CUDA runtime); the test harness links; what the backend cannot run is
refused at once, naming every node, with nothing written; the flags that
belong to one backend are refused by the other. With --zoo DIR, the
benchmark models there compile too.

usage: test_cuda.py --mlc BUILD/mlc --rt-cuda BUILD/libmlc_rt_cuda.a [--zoo DIR]"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
RT = os.path.join(ROOT, "runtime")
ARCHS = ["-gencode", "arch=compute_80,code=sm_80", "-gencode", "arch=compute_90,code=sm_90"]
NVCC = shutil.which("nvcc") or "/usr/local/cuda/bin/nvcc"
CUDA_INCLUDE = os.path.join(os.path.dirname(os.path.dirname(os.path.realpath(NVCC))), "include")
BENCH_MODELS = ["resnet18", "resnet50", "mobilenet_v2", "squeezenet1_1", "bert_tiny", "bert_base"]
results = []


def check(name, cond, detail=""):
    results.append(cond)
    print(f"{'PASS' if cond else 'FAIL'} {name}{'' if cond else ': ' + detail}", flush=True)


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=900, **kw)


def nvcc_c(src, obj):
    return run([NVCC, "-std=c++17", "-O2", "-Werror", "all-warnings", *ARCHS, f"-I{RT}",
                f"-I{RT}/cuda", "-c", src, "-o", obj])


def compiles(name, mlc, model, args, d):
    """the model compiles with --target=cuda, and nvcc compiles its source"""
    cu = os.path.join(d, f"{name}.cu")
    r = run([mlc, "compile", model, "--target=cuda", "-o", cu, *args])
    ok = r.returncode == 0 and all(os.path.exists(os.path.join(d, name + e))
                                   for e in (".cu", ".h", ".weights"))
    check(f"{name}: mlc compile --target=cuda", ok, r.stderr)
    if not ok:
        return False
    r = nvcc_c(cu, os.path.join(d, f"{name}.o"))
    check(f"{name}: nvcc -Werror all-warnings, sm_80 and sm_90", r.returncode == 0 and
          not r.stderr.strip(), r.stderr[-2000:])
    return r.returncode == 0


def refused(name, mlc, args, *needles):
    with tempfile.TemporaryDirectory() as d:
        r = run([mlc, "compile", *args, "-o", os.path.join(d, "m.cu")])
        left = os.listdir(d)
        check(name, r.returncode == 1 and all(n in r.stderr for n in needles) and not left,
              f"rc={r.returncode} left={left} stderr={r.stderr!r}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mlc", required=True)
    ap.add_argument("--rt-cuda", required=True)
    ap.add_argument("--zoo", default=None)
    args = ap.parse_args()
    mlc = args.mlc
    mlp = os.path.join(ROOT, "models", "mlp.onnxtxt")
    with tempfile.TemporaryDirectory() as d:
        # a product in C around the model: header, source, runtime, link
        if compiles("mlp", mlc, mlp, ["--dim", "batch=1"], d):
            h = open(os.path.join(d, "mlp.h")).read()
            check("mlp.h: init, run, free, the device arena size",
                  all(s in h for s in ("int model_init(model_state **model",
                                       "int model_run(model_state *model, cudaStream_t stream, "
                                       "const float *in_dense__input, float *out_dense__1)",
                                       "void model_free(model_state *model)",
                                       "#define MODEL_CUDA_ARENA_BYTES ")), h)
            app = os.path.join(d, "app.o")
            r = run(["cc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", f"-I{d}",
                     "-isystem", CUDA_INCLUDE, "-c", os.path.join(HERE, "app.c"), "-o", app])
            check("a C99 program includes the header (-pedantic)", r.returncode == 0, r.stderr)
            r = run([NVCC, app, os.path.join(d, "mlp.o"), args.rt_cuda, "-lcublas", "-lcudnn",
                     "-o", os.path.join(d, "app")])
            check("it links with the CUDA runtime, cuBLAS and cuDNN", r.returncode == 0,
                  r.stderr[-2000:])
            cu = open(os.path.join(d, "mlp.cu")).read()
            check("fp32 by default: no TF32", "mlc_rtcu_init(&m->rt, 0)" in cu)
        r = run([mlc, "compile", mlp, "--dim", "batch=1", "--target=cuda", "--precision=tf32",
                 "-o", os.path.join(d, "tf.cu")])
        check("--precision=tf32 lets the products use TF32",
              r.returncode == 0 and "mlc_rtcu_init(&m->rt, 1)" in
              open(os.path.join(d, "tf.cu")).read(), r.stderr)
        # the harness mlc test --target=cuda builds links (runs need a GPU)
        node = os.path.join(os.path.dirname(os.path.abspath(mlc)), "onnx-tests", "node")
        if os.path.isdir(os.path.join(node, "test_gemm_all_attributes")):
            r = run([mlc, "test", "--target=cuda", "--cflags=-arch=sm_90", "--keep",
                     f"--runtime-cuda-lib={args.rt_cuda}",
                     os.path.join(node, "test_gemm_all_attributes")])
            check("mlc test --target=cuda builds the model and its harness",
                  "did not build" not in r.stdout, r.stdout)
            for k in [w.rstrip("]") for w in r.stdout.split() if "mlc-test-" in w]:
                shutil.rmtree(k, ignore_errors=True)
        # a test the backend refuses after its folder was made: the folder goes too
        if os.path.isdir(os.path.join(node, "test_adagrad")):
            with tempfile.TemporaryDirectory() as tmp:
                r = run([mlc, "test", "--target=cuda", "--build-only",
                         os.path.join(node, "test_adagrad")], env={**os.environ, "TMPDIR": tmp})
                left = os.listdir(tmp)
                check("mlc test leaves no folder for a test it cannot compile",
                      "UNSUPPORTED" in r.stdout and not left, f"left={left} {r.stdout}")
    # what the backend cannot do, said at once, nothing written
    refused("ops without a CUDA kernel are listed at once", mlc,
            [os.path.join(HERE, "no_kernel.onnxtxt"), "--target=cuda"],
            "node 'det' (#0 Det): no CUDA kernel", "node 'top' (#1 TopK): no CUDA kernel")
    refused("--precision=fp16 is refused, saying what there is", mlc,
            [mlp, "--dim", "batch=1", "--target=cuda", "--precision=fp16"], "not supported yet")
    refused("--precision belongs to --target=cuda", mlc,
            [mlp, "--dim", "batch=1", "--precision=tf32"], "--precision is for --target=cuda")
    refused("--weights=inline is for the C backend", mlc,
            [mlp, "--dim", "batch=1", "--target=cuda", "--weights=inline"], "--weights=inline")
    refused("--profile is for the C backend", mlc,
            [mlp, "--dim", "batch=1", "--target=cuda", "--profile"], "--profile")
    if args.zoo:
        with tempfile.TemporaryDirectory() as d:
            for m in BENCH_MODELS:
                path = os.path.join(args.zoo, m + ".onnx")
                if os.path.exists(path):
                    compiles(m, mlc, path, [], d)
                else:
                    print(f"SKIP {m}: not exported (models/export_zoo.py)")
    print(f"{sum(results)} of {len(results)} passed")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
