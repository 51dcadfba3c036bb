#!/usr/bin/env python3
"""The benchmark models on a GPU (scripts/gpu_check.sh runs it there): each
model is exported by the zoo's own scripts (random weights, batch 1),
compiled with `mlc compile --target=cuda`, built with nvcc for this GPU,
run on random inputs and compared with onnxruntime on the CPU (rtol 1e-3,
atol 1e-4, fp32), then timed at batch 1 (median of CUDA-event timings of
the replayed graph) against PyTorch eager and torch.compile of the same
architecture on the same GPU, TF32 off everywhere. Prints one markdown
table; a model whose packages are missing is a row that says so.

usage: gpu_bench.py --mlc MLC --rt-cuda LIB --arch sm_XX [--out FILE] [--runs N] [NAME...]"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "models", "zoo"))
MODELS = ["resnet18", "resnet50", "mobilenet_v2", "squeezenet1_1", "bert_tiny", "bert_base"]
RTOL, ATOL = 1e-3, 1e-4
NP = {"tensor(float)": np.float32, "tensor(int64)": np.int64, "tensor(int32)": np.int32}


def torch_model(name):
    """(module on the GPU, its inputs) of the architecture the zoo exports"""
    import torch
    if name.startswith("bert"):
        import hf_models
        cfg, cls, seq, fields = hf_models.config(name)
        torch.manual_seed(0)
        model = hf_models.traceable(cls(cfg).eval(), fields)
        ids = torch.randint(0, 1000, (1, seq))
        args = (ids, torch.ones(1, seq, dtype=torch.int64))
    else:
        import torchvision_models
        model = torchvision_models.build(name)
        args = (torch.randn(1, 3, 224, 224),)
    return model.cuda().eval(), tuple(a.cuda() for a in args)


def torch_latency(model, args, runs):
    """median ms of `runs` timed calls after warm-up"""
    import torch
    times = []
    with torch.no_grad():
        for _ in range(10):
            model(*args)
        for _ in range(runs):
            t0, t1 = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            t0.record()
            model(*args)
            t1.record()
            t1.synchronize()
            times.append(t0.elapsed_time(t1))
    return float(np.median(times))


def inputs_for(sess, rng):
    """random inputs as the zoo records their ranges (model metadata)"""
    meta = sess.get_modelmeta().custom_metadata_map
    feeds = {}
    for i in sess.get_inputs():
        shape = [d if isinstance(d, int) else 1 for d in i.shape]
        dt = NP[i.type]
        rng_key = "mlc_zoo.range." + i.name
        if rng_key in meta and dt != np.float32:
            lo, hi = (int(float(v)) for v in meta[rng_key].split()[:2])
            feeds[i.name] = rng.integers(lo, hi, shape).astype(dt)
        elif dt == np.float32:
            feeds[i.name] = rng.standard_normal(shape).astype(dt)
        else:
            feeds[i.name] = rng.integers(0, 2, shape).astype(dt)
    return feeds


def mlc_row(args, name, onnx_path, work):
    """(max |error| ok?, detail, latency ms) of the compiled model"""
    import onnxruntime as ort
    cu, harness = os.path.join(work, "model.cu"), os.path.join(work, "harness.cu")
    subprocess.run([args.mlc, "compile", onnx_path, "--target=cuda", "-o", cu,
                    f"--harness={harness}"], check=True, capture_output=True)
    rt = os.path.join(ROOT, "runtime")
    prog = os.path.join(work, "prog")
    subprocess.run(["nvcc", "-std=c++17", "-O2", f"-arch={args.arch}", f"-I{rt}",
                    f"-I{rt}/cuda", cu, harness, args.rt_cuda, "-lcublas", "-lcudnn", "-o", prog],
                   check=True, capture_output=True)
    sess = ort.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
    feeds = inputs_for(sess, np.random.default_rng(0))
    want = sess.run(None, feeds)
    files = []
    for k, i in enumerate(sess.get_inputs()):
        files.append(os.path.join(work, f"in{k}.bin"))
        feeds[i.name].tofile(files[-1])
    outs = [os.path.join(work, f"out{k}.bin") for k in range(len(want))]
    r = subprocess.run([prog, os.path.join(work, "model.weights"), *files, *outs],
                       capture_output=True, text=True, env=dict(os.environ,
                                                                MLC_TIME_RUNS=str(args.runs)))
    if r.returncode:
        return False, f"run failed: {r.stderr.strip()[-300:]}", None
    worst, ok = 0.0, True
    for w, path in zip(want, outs):
        got = np.fromfile(path, dtype=w.dtype).reshape(w.shape)
        err = np.abs(got.astype(np.float64) - w)
        ok &= bool(np.all(err <= ATOL + RTOL * np.abs(w)))
        worst = max(worst, float(err.max(initial=0)))
    ms = [float(x.split()[1]) for x in r.stdout.splitlines() if x.startswith("latency_ms")]
    return ok, f"max |error| {worst:.2e}", ms[0] if ms else None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mlc", required=True)
    ap.add_argument("--rt-cuda", required=True)
    ap.add_argument("--arch", required=True)
    ap.add_argument("--out", default=None)
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("names", nargs="*")
    args = ap.parse_args()
    import torch
    if not torch.cuda.is_available():
        sys.exit("gpu_bench: no GPU (torch.cuda.is_available() is false)")
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    rows = ["| model | matches onnxruntime | mlc (ms) | PyTorch eager (ms) | torch.compile (ms) "
            "| mlc / torch.compile |", "|---|---|--:|--:|--:|--:|"]
    failed = 0
    with tempfile.TemporaryDirectory() as zoo:
        for name in args.names or MODELS:
            r = subprocess.run([sys.executable, os.path.join(ROOT, "models", "export_zoo.py"),
                                "--out", zoo, name], capture_output=True, text=True)
            path = os.path.join(zoo, name + ".onnx")
            if not os.path.exists(path):
                rows.append(f"| {name} | not exported: {r.stdout.strip()[-120:]} | | | | |")
                continue
            with tempfile.TemporaryDirectory() as work:
                try:
                    ok, detail, ms = mlc_row(args, name, path, work)
                except subprocess.CalledProcessError as e:
                    ok, detail, ms = False, f"build failed: {e.stderr[-300:]!r}", None
            failed += not ok
            eager = compiled = None
            try:
                model, inputs = torch_model(name)
                eager = torch_latency(model, inputs, args.runs)
                compiled = torch_latency(torch.compile(model), inputs, args.runs)
            except Exception as e:  # a missing package or a compile failure: say so
                detail += f"; torch: {type(e).__name__}: {str(e)[:80]}"
            f = lambda v: f"{v:.3f}" if v is not None else "-"  # noqa: E731
            ratio = f"{ms / compiled:.2f}" if ms and compiled else "-"
            rows.append(f"| {name} | {'yes' if ok else 'NO'} ({detail}) | {f(ms)} | {f(eager)} "
                        f"| {f(compiled)} | {ratio} |")
    table = "\n".join(rows)
    gpu = torch.cuda.get_device_name(0)
    text = f"GPU: {gpu}, batch 1, fp32 (TF32 off), median of {args.runs} runs\n\n{table}\n"
    print(text)
    if args.out:
        open(args.out, "w").write(text)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
