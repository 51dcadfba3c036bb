#!/usr/bin/env python3
"""The benchmark: mlc's generated C against onnxruntime, same machine, same
inputs, batch 1, on the benchmark models present.

For each model: `mlc info` (arena against its lower bound, nodes before and
after the passes), `mlc compile --weights=file` (wall and CPU time, medians
of 3, peak memory), the generated .c built with the runtime's own flags
(wall time and peak memory of the compiler), then latency: bench/harness.c
linked with the model (generic over models through a small generated
header) and the runtime, once single-threaded and once with the thread pool
at 2 threads, and onnxruntime in this process at 1 and at 2 intra-op
threads (inter-op 1), all fed the same random inputs (fixed seed; integer
inputs drawn from the range the zoo export recorded in the model's
metadata). After a warm-up of each, the four take turns in rounds of timed
blocks (the order rotating each round, a pause of 50 ms between blocks so
that one engine's spinning pool threads do not compete with the next) so
that noise on a shared machine hits all of them; the table gives medians (and p10-p90) over every timed
run, and for the single-threaded runs the median CPU time, which waiting
for a busy machine's cores does not inflate. The harness also counts the
allocator calls made during the timed runs (expected: 0), and the outputs
of both harnesses are compared with onnxruntime's (rtol 1e-3, atol 1e-4, as
the model tests do). bench/peak.c, built with the same flags, measures the
machine's single-core float32 FMA peak, and each model's FLOPs per second of
mlc's single-threaded CPU time are given as a share of it.

The runtime and the generated code are built with the same flags, and the
code is planned for the instruction set they give (mlc compile
--target=native under -march=native, else generic): by
default run.py configures its own CMake builds (build/bench/cmake, Release,
-DMLC_NATIVE=ON, so -march=native; build/bench/cmake-threads, the same with
-DMLC_THREADS=ON, for its runtime) and reads the runtime's flags from the
first; --mlc uses an existing build (that mlc, the libmlc_rt.a and the flags
beside it; a threaded mlc only if that runtime has the pool) instead.

Writes results.md (tables, the done-when checks, the machine) and
results.svg (the latency ratios) into --out: bench/ for a full run, which
also copies the tables into README.md between <!-- bench:begin --> and
<!-- bench:end -->; build/bench/ for --quick or --models runs, which leave
the committed results alone. Exits 1 if a model fails to compile, build or
run, its outputs differ from onnxruntime's, or a check fails.

The int8 rows are the quantized models of models/export_quant.py present in
the zoo folder (QDQ and QOperator forms of the image models and of the
keyword spotter, BERT-tiny dynamically quantized), measured like the others
against onnxruntime running the same quantized model; their outputs are
held to the quantized models' tolerance of tests/models/check_models.py
(within 3 quantization steps, the same top-1 class), and a table gives
mlc's weights file against the float model's and their latencies against
the float rows. A quantized model that mlc refuses is a row saying why (the
ops it lacks), not a failure. A full run includes the int8 rows that are
present; --int8 runs only them (a float model named in --models then
stands for its quantized forms).

--profile MODEL measures nothing else: it prints the per-node time table
of mlc's single-threaded run of one benchmark model, compiled with mlc
compile --profile (and writes the Chrome trace of its last run beside it);
with --threads 2, of its run on the threaded runtime at 2 threads.

usage: python3 bench/run.py [--models a,b] [--int8] [--quick] [--mlc BUILD/mlc]
                            [--zoo DIR] [--out DIR] [--work DIR]
                            [--profile MODEL [--threads N]]"""
import argparse
import datetime
import gc
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnx
import onnxruntime as ort

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "models"))
import check_models  # noqa: E402  (the quantized models' tolerance; models/zoo/common.py)
import common  # noqa: E402  (the zoo's metadata: input ranges, quantization steps)

# (name, model file relative to the zoo folder or the repository, mlc arguments)
MODELS = [
    ("mlp", os.path.join(ROOT, "models", "mlp.onnxtxt"), ["--dim", "batch=1"]),
    ("resnet18", "resnet18.onnx", []),
    ("resnet50", "resnet50.onnx", []),
    ("mobilenet_v2", "mobilenet_v2.onnx", []),
    ("squeezenet1_1", "squeezenet1_1.onnx", []),
    ("bert_tiny", "bert_tiny.onnx", []),
    ("bert_base", "bert_base.onnx", []),
    ("kws_dscnn", "kws_dscnn.onnx", []),
]
# the int8 rows: quantized models of models/export_quant.py (name, file,
# mlc arguments, the float model they were made from), run where present
INT8_MODELS = [(f"{src}_int8_{fmt}", f"{src}_int8_{fmt}.onnx", [], src)
               for src in ("resnet18", "mobilenet_v2", "squeezenet1_1", "kws_dscnn")
               for fmt in ("qdq", "qop")] + [
    ("bert_tiny_int8_dynamic", "bert_tiny_int8_dynamic.onnx", [], "bert_tiny")]

# the done-when limits the table is checked against
ARENA_RATIO_MAX = 1.10
RESNET50_COMPILE_S = 1.0
RESNET50_BUILD_S = 30.0
RESNET50_BUILD_MB = 2048.0

RTOL, ATOL = 1e-3, 1e-4  # as tests/models/check_models.py
QUANT_STEPS = check_models.QUANT_STEPS  # the quantized models' tolerance, in steps
SETTLE_S = 0.05  # between two engines' blocks: the last one's spinning threads go idle

# mlc's dtype names (model.h comments) as numpy types
NP_DTYPES = {"float": np.float32, "double": np.float64, "float16": np.float16, "bool": np.bool_,
             "int8": np.int8, "int16": np.int16, "int32": np.int32, "int64": np.int64,
             "uint8": np.uint8, "uint16": np.uint16, "uint32": np.uint32, "uint64": np.uint64}


class Settings:
    """How long each part runs: a full run, or --quick."""

    def __init__(self, quick):
        self.quick = quick
        self.compile_reps = 1 if quick else 3
        self.rounds = 3 if quick else 10
        self.block_s = 0.05 if quick else 0.4  # target time of one engine's block
        self.block_min = 1 if quick else 3  # runs per block, whatever they take
        self.block_max = 200
        self.warm_runs = 1 if quick else 3
        self.warm_ms = 50 if quick else 1000
        self.peak_s = 0.2 if quick else 1.0  # how long bench/peak.c measures


class Failed(Exception):
    pass


def log(*a):
    print(*a, file=sys.stderr, flush=True)


# ---- processes -------------------------------------------------------------------------------

def measured(cmd):
    """Runs cmd; returns (wall seconds, CPU seconds, peak resident MB, stdout,
    stderr), CPU and peak of the command and its children. Raises Failed on
    a non-zero exit.

    CPU and peak come from GNU time (/usr/bin/time): Linux carries a
    process's peak across exec, so the rusage of a child forked from this
    (big) process would report this process's size; time forks from a small
    one. Without GNU time both are None."""
    gnu_time = shutil.which("time", path="/usr/bin:/bin")
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err, \
            tempfile.NamedTemporaryFile("r") as usage:
        t = time.perf_counter()
        p = subprocess.run(([gnu_time, "-f", "%M %U %S", "-o", usage.name] if gnu_time else [])
                           + cmd, stdout=out, stderr=err)
        wall = time.perf_counter() - t
        out.seek(0)
        err.seek(0)
        so, se = out.read(), err.read()
        used = usage.read().split()[-3:] if gnu_time else None
    if p.returncode:
        lines = (se or so).strip().splitlines()
        raise Failed(f"{os.path.basename(cmd[0])} exit {p.returncode}: "
                     f"{lines[-1] if lines else ''}")
    if not used or len(used) != 3:
        return wall, None, None, so, se
    return wall, float(used[1]) + float(used[2]), int(used[0]) / 1024.0, so, se


def runtime_flags(build):
    """The flags the build's mlc_rt target was compiled with (CMake's
    flags.make): warnings, -fPIC and -g left out, the last -O kept."""
    path = os.path.join(build, "CMakeFiles", "mlc_rt.dir", "flags.make")
    try:
        text = open(path).read()
    except OSError:
        raise Failed(f"{path}: not found (is {build} a CMake build of mlc?)")
    toks = []
    for key in ("C_DEFINES", "C_FLAGS"):
        m = re.search(rf"^{key} = (.*)$", text, re.M)
        toks += m.group(1).split() if m else []
    opt = [t for t in toks if re.fullmatch(r"-O.?", t)][-1:]
    keep = [t for t in toks if not (t.startswith("-W") or t.startswith("-pedantic")
                                    or t in ("-fPIC", "-g") or re.fullmatch(r"-O.?", t))]
    return opt + keep


def cmake_build(build, options, target):
    log(f"building {target} ({' '.join(options)}) in {os.path.relpath(build, ROOT)}")
    for cmd in (["cmake", "-S", ROOT, "-B", build, "-DCMAKE_BUILD_TYPE=Release", *options],
                ["make", "-C", build, "-j2", target]):
        r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if r.returncode:
            sys.exit(f"bench: {' '.join(cmd[:2])} failed:\n{r.stderr}")


def setup_build(args):
    """(mlc, libmlc_rt.a, the runtime with its thread pool or None, flags):
    bench's own builds, or the one of --mlc (its runtime serves both if it
    has the pool, else there is no threaded mlc)."""
    if args.mlc:
        build = os.path.dirname(os.path.abspath(args.mlc))
        mlc = os.path.abspath(args.mlc)
    else:
        build = os.path.join(ROOT, "build", "bench", "cmake")
        cmake_build(build, ["-DMLC_NATIVE=ON", "-DMLC_THREADS=OFF"], "mlc")
        threads = os.path.join(ROOT, "build", "bench", "cmake-threads")
        cmake_build(threads, ["-DMLC_NATIVE=ON", "-DMLC_THREADS=ON"], "mlc_rt")
        mlc = os.path.join(build, "mlc")
    rtlib = os.path.join(build, "libmlc_rt.a")
    for f in (mlc, rtlib):
        if not os.path.exists(f):
            sys.exit(f"bench: {f} not found")
    try:
        flags = runtime_flags(build)
    except Failed as e:
        sys.exit(f"bench: {e}")
    if args.mlc:
        rtlib_mt = rtlib if "-DMLC_RT_THREADS" in flags else None
    else:
        rtlib_mt = os.path.join(threads, "libmlc_rt.a")
    return mlc, rtlib, rtlib_mt, [f for f in flags if f != "-DMLC_RT_THREADS"]


# ---- mlc: info, compile, build ---------------------------------------------------------------

def mlc_info(mlc, src, margs):
    out = measured([mlc, "info", src, *margs])[3]
    m = re.search(r"^arena: (\d+) bytes \(lower bound (\d+), ratio ([\d.]+)\)", out, re.M)
    before = re.search(r"^nodes: (\d+)", out, re.M)
    flops = re.search(r"^FLOPs: (\d+)", out, re.M)
    after = re.search(r"^nodes after passes \(-O2\): (\d+)", out, re.M)
    if not (m and before and after and flops):
        raise Failed("mlc info: unexpected output")
    return {"arena": int(m.group(1)), "lower_bound": int(m.group(2)), "flops": int(flops.group(1)),
            "arena_ratio": float(m.group(3)), "nodes": (int(before.group(1)), int(after.group(1)))}


def parse_header(path):
    """[(name, numpy dtype, dims)] of the inputs and of the outputs, from the
    comments and macros of the generated model.h."""
    text = open(path).read()
    io = {}
    for kind in ("INPUT", "OUTPUT"):
        io[kind] = []
        n = int(re.search(rf"#define MODEL_NUM_{kind}S (\d+)", text).group(1))
        for i in range(n):
            dtype = re.search(rf"^/\* {kind} {i} '.*': (\w+) ", text, re.M).group(1)
            name = re.search(rf'#define MODEL_{kind}{i}_NAME "(.*)"$', text, re.M).group(1)
            dims = re.search(rf"#define MODEL_{kind}{i}_DIMS \{{(.*)\}}", text).group(1)
            rank = int(re.search(rf"#define MODEL_{kind}{i}_RANK (\d+)", text).group(1))
            if dtype not in NP_DTYPES:
                raise Failed(f"{kind.lower()} {i}: type {dtype} not handled by the bench")
            shape = tuple(int(d) for d in dims.split(",")) if rank else ()
            io[kind].append((name.encode().decode("unicode_escape"), NP_DTYPES[dtype], shape))
    return io["INPUT"], io["OUTPUT"]


def write_bench_header(work, ins, outs, weights, profile):
    """bench_model.h: what harness.c needs to know of this model; profile:
    None, or the paths the harness writes a model compiled with --profile's
    table and trace to."""
    def sizes(kind, vals):
        return "{" + ", ".join(f"MODEL_{kind}{i}_COUNT * {np.dtype(t).itemsize}"
                               for i, (_, t, _) in enumerate(vals)) + "}"
    args = [f"in[{i}]" for i in range(len(ins))] + [f"out[{i}]" for i in range(len(outs))]
    with open(os.path.join(work, "bench_model.h"), "w") as f:
        f.write("/* Generated by bench/run.py from model.h. */\n#include \"model.h\"\n"
                f"#define BENCH_NIN {len(ins)}\n#define BENCH_NOUT {len(outs)}\n"
                f"#define BENCH_IN_BYTES {sizes('INPUT', ins) if ins else '{0}'}\n"
                f"#define BENCH_OUT_BYTES {sizes('OUTPUT', outs) if outs else '{0}'}\n"
                f"#define BENCH_RUN(in, out) model_run({', '.join(args)})\n"
                f"#define BENCH_WEIGHTS {1 if weights else 0}\n")
        if profile:
            f.write(f"#define BENCH_PROFILE_TABLE {json.dumps(profile[0])}\n"
                    f"#define BENCH_PROFILE_TRACE {json.dumps(profile[1])}\n")


def compile_and_build(mlc, rtlibs, flags, src, margs, work, st, res, profile=None):
    """mlc compile (timed), the generated .c built (timed, peak memory), the
    harnesses linked: `harness` with the plain runtime (rtlibs[0]), and
    `harness_mt` with the threaded one (rtlibs[1], if any); fills res;
    returns (inputs, outputs, weights file or None). profile: as
    write_bench_header takes it (margs then hold --profile)."""
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    out_c = os.path.join(work, "model.c")
    runs = [measured([mlc, "compile", src, *margs, "--weights=file", "-o", out_c])
            for _ in range(st.compile_reps)]
    res["compile_s"] = float(np.median([r[0] for r in runs]))
    res["compile_cpu"] = runs[0][1] if None in (r[1] for r in runs) else \
        float(np.median([r[1] for r in runs]))
    res["compile_mb"] = runs[0][2]
    inc = ["-I", work, "-I", os.path.join(ROOT, "runtime")]
    cc = os.environ.get("CC", "cc")
    wall, _, peak, _, _ = measured([cc, *flags, *inc, "-c", out_c, "-o",
                                    os.path.join(work, "model.o")])
    res["build_s"], res["build_mb"] = wall, peak
    ins, outs = parse_header(os.path.join(work, "model.h"))
    weights = os.path.join(work, "model.weights")
    weights = weights if os.path.exists(weights) else None
    res["weights_bytes"] = os.path.getsize(weights) if weights else 0
    write_bench_header(work, ins, outs, weights, profile)
    for exe, lib in zip(("harness", "harness_mt"), rtlibs):
        if lib:
            measured([cc, *flags, "-Wall", "-Wextra", "-Werror", "-pedantic", *inc,
                      os.path.join(HERE, "harness.c"), os.path.join(work, "model.o"), lib,
                      "-lm", "-pthread",
                      "-Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=free",
                      "-o", os.path.join(work, exe)])
    return ins, outs, weights


def weights_bytes(mlc, src, margs, work):
    """the size of the weights file mlc compile --weights=file writes for src"""
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    measured([mlc, "compile", src, *margs, "--weights=file", "-o", os.path.join(work, "model.c")])
    weights = os.path.join(work, "model.weights")
    size = os.path.getsize(weights) if os.path.exists(weights) else 0
    shutil.rmtree(work, ignore_errors=True)
    return size


# ---- the engines -----------------------------------------------------------------------------

class MlcEngine:
    """A harness process at `threads` threads, driven block by block over
    its stdin."""

    def __init__(self, work, exe, threads, ins, outs, weights, st):
        self.out_files = [os.path.join(work, f"out{i}.{exe}.bin") for i in range(len(outs))]
        cmd = [os.path.join(work, exe), weights or "-",
               *[os.path.join(work, f"in{i}.bin") for i in range(len(ins))],
               *self.out_files, str(st.warm_runs), str(st.warm_ms), str(threads)]
        self.p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True)
        line = self.p.stdout.readline().split()
        if len(line) != 3 or line[0] != "ready":
            self.p.kill()
            raise Failed(f"{exe}: " + (self.p.stderr.read().strip() or "no answer"))
        if int(line[2]) != threads:
            self.p.kill()
            raise Failed(f"{exe}: the runtime runs {line[2]} threads, not {threads}")
        self.estimate = float(line[1]) * 1e-9
        self.times, self.cpu, self.allocs = [], [], 0

    def outputs(self, outs):
        return [np.fromfile(f, dtype=t).reshape(s) for f, (_, t, s) in zip(self.out_files, outs)]

    def block(self, n):
        self.p.stdin.write(f"{n}\n")
        self.p.stdin.flush()
        vals = self.p.stdout.readline().split()
        if len(vals) != 2 * n + 1:
            raise Failed("harness: " + (self.p.stderr.read().strip() or "died"))
        self.allocs += int(vals[0])
        self.times += [float(v) * 1e-9 for v in vals[1::2]]
        self.cpu += [float(v) * 1e-9 for v in vals[2::2]]

    def close(self):
        self.p.stdin.close()
        self.p.wait()


class OrtEngine:
    """An onnxruntime session at `threads` intra-op threads, inputs and
    outputs bound once (IOBinding) so that a timed run is one call."""

    def __init__(self, model, feeds, threads, st):
        self.label = f"ort {threads}T"
        so = ort.SessionOptions()
        so.intra_op_num_threads = threads
        so.inter_op_num_threads = 1
        so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        self.sess = ort.InferenceSession(model, so, providers=["CPUExecutionProvider"])
        self.ref = self.sess.run(None, feeds)
        self.bind = self.sess.io_binding()
        for name, x in feeds.items():
            self.bind.bind_cpu_input(name, x)
        self.out = [np.empty_like(r) for r in self.ref]
        for o, buf in zip(self.sess.get_outputs(), self.out):
            self.bind.bind_output(o.name, "cpu", 0, buf.dtype, buf.shape, buf.ctypes.data)
        t0, n = time.perf_counter(), 0
        while n < st.warm_runs or time.perf_counter() - t0 < st.warm_ms / 1000:
            self.sess.run_with_iobinding(self.bind)
            n += 1
        self.estimate = (time.perf_counter() - t0) / n
        self.times, self.cpu = [], []

    def block(self, n):
        run, bind = self.sess.run_with_iobinding, self.bind
        clock, cpu_clock = time.perf_counter_ns, time.process_time_ns
        times, cpu = [], []
        for _ in range(n):
            c = cpu_clock()
            t = clock()
            run(bind)
            times.append(clock() - t)
            cpu.append(cpu_clock() - c)
        self.times += [t * 1e-9 for t in times]
        self.cpu += [c * 1e-9 for c in cpu]

    def close(self):
        self.sess = self.bind = None


def make_inputs(ins, ranges, work):
    """Random inputs (seed 0) as ORT feeds, also written as raw files for
    the harness: floats from the recorded range (uniform, per channel where
    recorded so: the quantized image models' calibration range), else
    standard normal; integers from the recorded range, else [0, 100);
    booleans 0/1 (as check_models.py draws them)."""
    rng = np.random.default_rng(0)
    feeds = {}
    for i, (name, t, shape) in enumerate(ins):
        if np.issubdtype(t, np.floating) and name in ranges:
            x = common.draw(rng, *ranges[name], shape, t)
        elif np.issubdtype(t, np.floating):
            x = rng.standard_normal(shape).astype(t)
        elif t == np.bool_:
            x = rng.integers(0, 2, shape).astype(t)
        else:
            lo, hi = ranges.get(name, (0, 100))
            x = rng.integers(lo, hi, shape).astype(t)
        x = np.ascontiguousarray(x)
        x.tofile(os.path.join(work, f"in{i}.bin"))
        feeds[name] = x
    return feeds


def stats(times):
    t = np.array(times) * 1e3
    return {"median": float(np.median(t)), "p10": float(np.percentile(t, 10)),
            "p90": float(np.percentile(t, 90)), "n": len(t)}


def model_and_meta(src):
    """the model as onnxruntime takes it (a path or bytes), and its metadata
    (models/zoo/common.py: the inputs' ranges the zoo export recorded; a
    quantized model's output steps)"""
    if src.endswith(".onnxtxt"):
        model = onnx.parser.parse_model(open(src).read()).SerializeToString()
    else:
        model = src
    probe = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
    return model, probe.get_modelmeta().custom_metadata_map


def compare(got, ref, names, quant, res):
    """mlc's outputs against onnxruntime's into res: max_err (the largest
    absolute difference, or for a quantized model the largest in its
    quantization steps) and outputs_ok (float: rtol/atol; quantized: within
    QUANT_STEPS steps and the same top-1, as tests/models/check_models.py)"""
    if quant is None:
        res["max_err"] = max([res["max_err"]] + [float(np.max(np.abs(g.astype(np.float64) - r)))
                                                 for g, r in zip(got, ref) if g.size])
        res["outputs_ok"] &= all(np.allclose(g, r, rtol=RTOL, atol=ATOL)
                                 for g, r in zip(got, ref))
        return
    for n, g, r in zip(names, got, ref):
        step = quant["steps"].get(n)
        res["max_err"] = max(res["max_err"], check_models.quant_error(g, r, step))
        if n == quant["top1"]:
            res["outputs_ok"] &= bool(check_models.same_top1(g, r, step))
    res["outputs_ok"] &= res["max_err"] <= QUANT_STEPS


def rounds(engines, st):
    """st.rounds rounds of a timed block of each engine, the order rotating
    each round, each block about st.block_s long"""
    counts = [max(st.block_min, min(st.block_max, int(st.block_s / max(e.estimate, 1e-9))))
              for e in engines]
    gc.disable()
    try:
        for r in range(st.rounds):
            for k in range(len(engines)):
                j = (r + k) % len(engines)
                engines[j].block(counts[j])
                # a thread pool spins a while after its last job (onnxruntime's
                # by default, mlc's briefly): on two cores it would take one
                # from the block that follows
                time.sleep(SETTLE_S)
    finally:
        gc.enable()


def measure(src, work, ins, outs, weights, st, res):
    """The interleaved latency rounds; fills res."""
    model, meta = model_and_meta(src)
    feeds = make_inputs(ins, common.parse_ranges(meta), work)
    quant = common.quant_metadata(meta)
    engines, keys = [], ["mlc1", "ort1", "ort2"]
    try:
        engines.append(MlcEngine(work, "harness", 1, ins, outs, weights, st))
        engines += [OrtEngine(model, feeds, n, st) for n in (1, 2)]
        if os.path.exists(os.path.join(work, "harness_mt")):
            engines.append(MlcEngine(work, "harness_mt", 2, ins, outs, weights, st))
            keys.append("mlc2")
        mlcs = [e for e in engines if isinstance(e, MlcEngine)]
        ref = engines[1].ref
        res["max_err"], res["outputs_ok"] = 0.0, True
        names = [o.name for o in engines[1].sess.get_outputs()]
        for got in (e.outputs(outs) for e in mlcs):
            compare(got, ref, names, quant, res)
        rounds(engines, st)
        for e, key in zip(engines, keys):
            res[key] = stats(e.times)
            res[key + "cpu"] = stats(e.cpu)
        res["allocs"] = sum(e.allocs for e in mlcs) / sum(len(e.times) for e in mlcs)
    finally:
        for e in engines:
            e.close()


def profile(mlc, rtlibs, flags, src, margs, work, st, threads):
    """--profile MODEL: the model compiled with mlc compile --profile, run by
    the harness at `threads` threads (the threaded runtime, rtlibs[1], above
    one) for the rounds of a latency measurement after its warm-up; prints
    its table of nodes by time."""
    table, trace = os.path.join(work, "profile.txt"), os.path.join(work, "trace.json")
    ins, outs, weights = compile_and_build(mlc, rtlibs, flags, src, [*margs, "--profile"],
                                           work, st, {}, (table, trace))
    make_inputs(ins, common.parse_ranges(model_and_meta(src)[1]), work)
    exe = "harness_mt" if threads > 1 else "harness"
    e = MlcEngine(work, exe, threads, ins, outs, weights, st)
    try:
        n = max(st.block_min, min(st.block_max, int(st.block_s / max(e.estimate, 1e-9))))
        for _ in range(st.rounds):
            e.block(n)
    finally:
        e.close()  # the harness writes the profile as it ends
    if e.p.returncode or not os.path.exists(table):
        raise Failed("harness: " + (e.p.stderr.read().strip() or "wrote no profile"))
    print(open(table).read(), end="")
    log(f"Chrome trace of the last run (chrome://tracing, Perfetto): {trace}")


# ---- report ----------------------------------------------------------------------------------

def fma_peak(flags, work, st):
    """the single-core float32 FMA peak in GFLOP/s, measured by bench/peak.c
    built with the runtime's flags"""
    os.makedirs(work, exist_ok=True)
    exe = os.path.join(work, "peak")
    cc = os.environ.get("CC", "cc")
    subprocess.run([cc, *flags, os.path.join(HERE, "peak.c"), "-o", exe], check=True)
    out = subprocess.run([exe, str(st.peak_s)], capture_output=True, text=True, check=True)
    return float(out.stdout.split()[1])


# the CPU features that decide which of mlc's kernels run, as /proc/cpuinfo
# names them (x86 flags, aarch64 Features)
ISA_FLAGS = (("avx512f", "AVX-512F"), ("avx512_vnni", "AVX-512 VNNI"), ("avx2", "AVX2"),
             ("fma", "FMA"), ("asimd", "NEON"), ("asimddp", "NEON dot product"))


def machine():
    """the CPU (name, family and model, the instruction sets mlc's kernels
    use), the number of cores, and the C compiler's version line"""
    cpu = "?"
    try:
        info = open("/proc/cpuinfo").read()
        name = re.search(r"^(model name|Processor|CPU part)\s*: (.*)$", info, re.M)
        fam = re.search(r"^cpu family\s*: (\d+)$", info, re.M)
        model = re.search(r"^model\s*: (\d+)$", info, re.M)
        flags = re.search(r"^(flags|Features)\s*: (.*)$", info, re.M)
        have = set(flags.group(2).split()) if flags else set()
        isa = [n for f, n in ISA_FLAGS if f in have] or ["no SIMD extension mlc uses"]
        where = f"family {fam.group(1)}, model {model.group(1)}; " if fam and model else ""
        cpu = f"{name.group(2) if name else '?'} ({where}{', '.join(isa)})"
    except OSError:
        pass
    cc = os.environ.get("CC", "cc")
    ver = subprocess.run([cc, "--version"], capture_output=True, text=True).stdout.splitlines()
    return cpu, os.cpu_count(), ver[0] if ver else cc


def fmt_ms(s):
    v = s["median"]
    return f"{v:.0f}" if v >= 100 else f"{v:.3g}"


def fmt_mb(v):
    return "?" if v is None else f"{v:.0f}"


def fmt_range(s):
    return f"{fmt_ms({'median': s['p10']})}–{fmt_ms({'median': s['p90']})}"


def checks(results):
    """[(what, ok)]: the done-when items of the benchmark issue."""
    out = []
    done = [r for r in results if "mlc1" in r]
    if done:
        worst = max(done, key=lambda r: r["arena_ratio"])
        out.append((f"arena ≤ {ARENA_RATIO_MAX:.2f}× lower bound on every model "
                    f"(worst {worst['arena_ratio']:.3f}, {worst['name']})",
                    worst["arena_ratio"] <= ARENA_RATIO_MAX))
        worst = max(done, key=lambda r: r["allocs"])
        out.append((f"0 allocator calls per inference (worst {worst['allocs']:g}, {worst['name']})",
                    worst["allocs"] == 0))
        bad = [r["name"] for r in done if not r["outputs_ok"]]
        int8 = any(r["source"] for r in done)
        out.append(("outputs match onnxruntime (rtol 1e-3, atol 1e-4"
                    + (f"; int8 rows: within {QUANT_STEPS} quantization steps, same top-1"
                       if int8 else "") + ")"
                    + (f": not {', '.join(bad)}" if bad else ""), not bad))
    r50 = [r for r in results if r["name"] == "resnet50" and "build_s" in r]
    if r50:
        r = r50[0]
        cpu = "?" if r["compile_cpu"] is None else f"{r['compile_cpu']:.2f}"
        out.append((f"`mlc compile` of resnet50 ≤ {RESNET50_COMPILE_S:g} s wall "
                    f"({r['compile_s']:.2f} s wall, {cpu} s CPU)",
                    r["compile_s"] <= RESNET50_COMPILE_S))
        out.append((f"its C builds in ≤ {RESNET50_BUILD_S:g} s and ≤ 2 GB "
                    f"({r['build_s']:.1f} s, {fmt_mb(r['build_mb'])} MB)",
                    r["build_s"] <= RESNET50_BUILD_S and r["build_mb"] is not None
                    and r["build_mb"] <= RESNET50_BUILD_MB))
    return out


def int8_table(results):
    """the int8 rows beside their float models: weights file sizes, and the
    latencies of both where this run measured the float model too"""
    rows = [r for r in results if r.get("source")]
    if not rows:
        return []
    mb = 1024.0 * 1024.0
    by_name = {r["name"]: r for r in results}
    L = ["", "| int8 row | format | float model | weights MB | float weights MB | int8 / float "
         "weights | mlc 1T int8 / float | ort 1T int8 / float | mlc 1T / ort 1T, int8 |",
         "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in rows:
        fmt = r["name"].rsplit("_", 1)[1]
        fl = by_name.get(r["source"], {})
        if "refused" in r:
            L.append(f"| {r['name']} | {fmt} | {r['source']} | refused by mlc: {r['refused']} "
                     "||||||")
            continue
        if "mlc1" not in r:
            L.append(f"| {r['name']} | {fmt} | {r['source']} | failed ||||||")
            continue
        fw, w = r.get("float_weights"), r["weights_bytes"]

        def ratio(key):
            return f"{r[key]['median'] / fl[key]['median']:.2f}" if key in fl else "–"
        L.append(f"| {r['name']} | {fmt} | {r['source']} | {w / mb:.2f} "
                 f"| {f'{fw / mb:.2f}' if fw else '–'} | {f'{w / fw:.2f}' if fw else '–'} "
                 f"| {ratio('mlc1')} | {ratio('ort1')} "
                 f"| {r['mlc1']['median'] / r['ort1']['median']:.2f} |")
    L.append("")
    L.append("int8 rows: the quantized models of `models/export_quant.py` (qdq: "
             "QuantizeLinear/DequantizeLinear around float ops; qop: onnxruntime's QOperator "
             "ops; dynamic: weights int8, activations quantized at run time), against "
             "onnxruntime running the same quantized model, in the rounds above; their "
             f"outputs must lie within {QUANT_STEPS} quantization steps of onnxruntime's, "
             "with the same top-1 class (`tests/models/check_models.py`). Weights: the "
             "`--weights=file` file mlc writes for the code timed (under a planned target, "
             "float 3x3 convs carry Winograd-transformed filters, up to 4x the model's); "
             "int8 / float: latency medians against the float model's row of this run.")
    return L


def report(results, missing, flags, st, load, peak):
    cpu, ncpu, ccver = machine()
    mb = 1024.0 * 1024.0
    L = []
    L.append(f"Measured {datetime.date.today().isoformat()} on {cpu} ({ncpu} cores, "
             f"load average {load[0]:.1f} before, {load[1]:.1f} after), "
             f"onnxruntime {ort.__version__}, {ccver}; measured float32 FMA peak of one "
             f"core {peak:.1f} GFLOP/s (`bench/peak.c`).")
    threaded = any("mlc2" in r for r in results)
    L.append(f"Runtime and generated code built with `{' '.join(flags)}`; "
             f"weights in a file (`--weights=file`). Batch 1; "
             f"{st.rounds} interleaved rounds of each column; medians in ms, p10–p90 below "
             "them; CPU: the CPU time of the process during a run (median), what a "
             "single-threaded run would take on an idle core, near enough. % of peak: the "
             "model's FLOPs (`mlc info`, convolutions counted directly) per second of mlc 1T "
             "CPU time, against the measured FMA peak. ort: onnxruntime "
             "at 1 or 2 intra-op threads (inter-op 1), timed around `run_with_iobinding` from "
             "Python. mlc 1T: the default runtime (single-threaded); "
             + ("mlc 2T: the runtime built with its thread pool (`-DMLC_THREADS=ON`), "
                "`mlc_rt_set_threads(2)`." if threaded else
                "no threaded runtime in this run: the 2T ratio uses mlc 1T (marked ¹)."))
    if st.quick:
        L.append("**Quick run**: few rounds, numbers are rough.")
    L.append("")
    L.append("| model | mlc 1T | ort 1T | mlc / ort 1T | mlc 1T CPU | ort 1T CPU | mlc / ort CPU "
             "| mlc 1T % of peak | mlc 2T | ort 2T | mlc / ort 2T | allocs / inference "
             "| max abs diff |")
    L.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: "
             "| ---: |")
    for r in results:
        if "refused" in r:
            L.append(f"| {r['name']} | refused by mlc: {r['refused']} ||||||||||||")
            continue
        if "mlc1" not in r:
            L.append(f"| {r['name']} | failed: {r['error']} ||||||||||||")
            continue
        m1, m2, o1, o2 = r["mlc1"], r.get("mlc2"), r["ort1"], r["ort2"]
        c1, co = r["mlc1cpu"], r["ort1cpu"]
        ratio2 = f"{(m2 or m1)['median'] / o2['median']:.2f}{'' if m2 else '¹'}"
        L.append(f"| {r['name']} {r['shape']} | {fmt_ms(m1)}<br>{fmt_range(m1)} "
                 f"| {fmt_ms(o1)}<br>{fmt_range(o1)} | {m1['median'] / o1['median']:.2f} "
                 f"| {fmt_ms(c1)} | {fmt_ms(co)} | {c1['median'] / co['median']:.2f} "
                 f"| {100 * r['flops'] / (c1['median'] * 1e-3) / (peak * 1e9):.0f} % "
                 f"| {fmt_ms(m2) + '<br>' + fmt_range(m2) if m2 else '–'} "
                 f"| {fmt_ms(o2)}<br>{fmt_range(o2)} | {ratio2} "
                 f"| {r['allocs']:g} | "
                 + (f"{r['max_err']:.2f} steps" if r["source"] else f"{r['max_err']:.1e}")
                 + f"{'' if r['outputs_ok'] else ' ✗'} |")
    L.append("")
    L.append("| model | mlc compile s | CPU s | mlc peak MB | C build s | C build peak MB "
             "| arena MB | lower bound MB | arena / bound | nodes before → after passes |")
    L.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in results:
        if "arena" not in r:
            continue
        cpu = "?" if r.get("compile_cpu") is None else f"{r['compile_cpu']:.2f}"
        L.append(f"| {r['name']} | "
                 + (f"{r['compile_s']:.2f} | {cpu} | {fmt_mb(r['compile_mb'])} | "
                    if "compile_s" in r else "– | – | – | ")
                 + (f"{r['build_s']:.1f} | {fmt_mb(r['build_mb'])}" if "build_s" in r
                    else "– | –")
                 + f" | {r['arena'] / mb:.2f} | {r['lower_bound'] / mb:.2f} "
                 f"| {r['arena_ratio']:.3f} | {r['nodes'][0]} → {r['nodes'][1]} |")
    L.append("")
    L.append("mlc compile: wall time and CPU time (user + system), medians of "
             f"{st.compile_reps}, and peak resident memory; C build: `cc -c` of the generated "
             ".c, wall time and peak resident memory of the compiler (GNU time). Arena and "
             "nodes from `mlc info`.")
    L += int8_table(results)
    float_missing = [n for n in missing if n not in {m[0] for m in INT8_MODELS}]
    int8_missing = [n for n in missing if n not in float_missing]
    if float_missing:
        L.append("")
        L.append("Not present (export with `python3 models/export_zoo.py NAME`): "
                 + ", ".join(float_missing) + ".")
    if int8_missing:
        L.append("")
        L.append("Not present (export with `python3 models/export_quant.py NAME`): "
                 + ", ".join(int8_missing) + ".")
    L.append("")
    L.append("Checks:")
    L.append("")
    for what, ok in checks(results):
        L.append(f"- {'✓' if ok else '✗'} {what}")
    L.append("")
    L.append("On a shared machine timings are noisy: the interleaving spreads the noise "
             "over every column, the CPU times are steadier than the latencies, and where "
             "more threads want to run than there are cores (see the load average) a "
             "2-thread process gets a bigger share of them than a 1-thread one, so the 2T "
             "columns can beat 1T by more than 2×. The seed MLP measures overheads: "
             "onnxruntime's times include the Python call (about 3 µs), mlc's CPU times the "
             "clock reads.")
    return "\n".join(L) + "\n"


def svg(results):
    """A bar chart of mlc/onnxruntime latency ratios, log scale, bars from 1."""
    rows = [r for r in results if "mlc1" in r]
    threaded = all("mlc2" in r for r in rows)
    ratios = [(r["name"], (r["mlc1"]["median"] / r["ort1"]["median"],
                           r["mlc1cpu"]["median"] / r["ort1cpu"]["median"],
                           r["mlc2" if threaded else "mlc1"]["median"] / r["ort2"]["median"]))
              for r in rows]
    colors = ("#4878a8", "#90b8d8", "#e8a040")
    lo = min([0.5] + [min(v) for _, v in ratios])
    hi = max([2.0] + [max(v) for _, v in ratios])
    lo2, hi2 = np.floor(np.log2(lo)), np.ceil(np.log2(hi))
    left, width, bar, gap, top = 130, 520, 10, 14, 50
    h = top + len(ratios) * (3 * bar + gap) + 50

    def x(v):
        return left + (np.log2(v) - lo2) / (hi2 - lo2) * width

    S = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 60}" height="{h}" '
         'font-family="sans-serif" font-size="12">',
         '<rect width="100%" height="100%" fill="white"/>',
         f'<text x="{left}" y="18" font-size="14">mlc latency / onnxruntime latency '
         '(batch 1, lower is better)</text>',
         f'<rect x="{left}" y="28" width="10" height="10" fill="{colors[0]}"/>'
         f'<text x="{left + 14}" y="37">1 thread each</text>',
         f'<rect x="{left + 110}" y="28" width="10" height="10" fill="{colors[1]}"/>'
         f'<text x="{left + 124}" y="37">1 thread, CPU time</text>',
         f'<rect x="{left + 250}" y="28" width="10" height="10" fill="{colors[2]}"/>'
         f'<text x="{left + 264}" y="37">onnxruntime 2 threads, mlc '
         f'{"2 threads" if threaded else "1 thread"}</text>']
    y = top
    for name, vals in ratios:
        S.append(f'<text x="{left - 8}" y="{y + 2 * bar}" text-anchor="end">{name}</text>')
        for v, color in zip(vals, colors):
            x0, x1 = sorted((x(1.0), x(v)))
            S.append(f'<rect x="{x0:.1f}" y="{y}" width="{max(x1 - x0, 1):.1f}" height="{bar}" '
                     f'fill="{color}"/>')
            S.append(f'<text x="{x1 + 4 if v >= 1 else x0 - 4:.1f}" y="{y + bar - 2}" '
                     f'font-size="10" text-anchor="{"start" if v >= 1 else "end"}">{v:.2f}</text>')
            y += bar
        y += gap
    for e in range(int(lo2), int(hi2) + 1):
        v = 2.0 ** e
        S.append(f'<line x1="{x(v):.1f}" y1="{top - 6}" x2="{x(v):.1f}" y2="{y}" '
                 f'stroke="{"black" if e == 0 else "#ccc"}"/>')
        label = f"{v:g}×" if v >= 1 else f"1/{1 / v:g}×"
        S.append(f'<text x="{x(v):.1f}" y="{y + 14}" text-anchor="middle">{label}</text>')
    S.append("</svg>")
    return "\n".join(S) + "\n"


def update_readme(table):
    path = os.path.join(ROOT, "README.md")
    text = open(path).read()
    begin, end = "<!-- bench:begin -->", "<!-- bench:end -->"
    if begin not in text or end not in text:
        log("bench: README.md has no bench markers; not updated")
        return
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    open(path, "w").write(f"{head}{begin}\n{table}{end}{tail}")


# ---- main ------------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--models", help="comma-separated subset (default: all present)")
    ap.add_argument("--quick", action="store_true", help="fewer runs and rounds")
    ap.add_argument("--mlc", help="use this mlc and the runtime of its build folder")
    ap.add_argument("--zoo", default=os.path.join(ROOT, "build", "zoo"), help="exported models")
    ap.add_argument("--out", help="where results.md/svg go (default: bench/ for a full run, "
                    "build/bench/ otherwise)")
    ap.add_argument("--work", default=os.path.join(ROOT, "build", "bench", "work"),
                    help="scratch folder (default build/bench/work)")
    ap.add_argument("--profile", metavar="MODEL", help="only print the per-node time table of "
                    "mlc's single-threaded run of MODEL (mlc compile --profile)")
    ap.add_argument("--threads", type=int, default=1, choices=(1, 2),
                    help="--profile's run at this many threads (default 1)")
    ap.add_argument("--int8", action="store_true", help="only the int8 rows (the quantized "
                    "models; a float model named in --models stands for its quantized ones)")
    args = ap.parse_args()
    if args.threads != 1 and not args.profile:
        ap.error("--threads goes with --profile (the full run measures 1 and 2 threads)")
    models = [(n, p, a, None) for n, p, a in MODELS] + INT8_MODELS
    names = [m[0] for m in models]
    chosen = [args.profile] if args.profile else args.models.split(",") if args.models else names
    unknown = [n for n in chosen if n not in names]
    if unknown:
        sys.exit(f"bench: unknown model(s) {', '.join(unknown)}; known: {', '.join(names)}")
    if args.int8:
        chosen = [n for n, _, _, src in INT8_MODELS if n in chosen or src in chosen]
    full = not args.quick and not args.models and not args.int8
    out = args.out or (HERE if full else os.path.join(ROOT, "build", "bench"))
    st = Settings(args.quick)
    mlc, rtlib, rtlib_mt, flags = setup_build(args)
    # the code planned for the instruction set the runtime is built for:
    # this machine's with -march=native (bench's own builds), else generic
    target = ["--target=native"] if "-march=native" in flags else []
    if args.profile:
        _, path, margs, _ = next(m for m in models if m[0] == args.profile)
        src = path if os.path.isabs(path) else os.path.join(args.zoo, path)
        if not os.path.exists(src):
            sys.exit(f"bench: {src} not present")
        try:
            if args.threads > 1 and not rtlib_mt:
                raise Failed(f"--threads {args.threads}: {args.mlc} has no threaded runtime")
            profile(mlc, (rtlib, rtlib_mt if args.threads > 1 else None), flags, src,
                    [*margs, *target], os.path.join(args.work, args.profile), st, args.threads)
        except Failed as e:
            sys.exit(f"bench: {args.profile}: {e}")
        return 0
    load0 = os.getloadavg()[0]
    peak = fma_peak(flags, args.work, st)
    log(f"float32 FMA peak of one core: {peak:.1f} GFLOP/s")

    results, missing = [], []
    for name, path, margs, source in models:
        if name not in chosen:
            continue
        margs = [*margs, *target]
        src = path if os.path.isabs(path) else os.path.join(args.zoo, path)
        if not os.path.exists(src):
            missing.append(name)
            log(f"{name}: {src} not present")
            continue
        log(f"{name}: ...")
        res = {"name": name, "source": source}
        results.append(res)
        work = os.path.join(args.work, name)
        try:
            if source:
                # a quantized model mlc cannot take yet is a row saying why, no failure
                r = subprocess.run([mlc, "info", src, *margs], capture_output=True, text=True)
                if r.returncode:
                    res["refused"] = check_models.compile_reason(r.stderr)
                    log(f"{name}: refused by mlc: {res['refused']}")
                    continue
                # the float model's weights file, as this run wrote it or mlc writes it
                done = [r for r in results if r["name"] == source and "weights_bytes" in r]
                fsrc = os.path.join(args.zoo, source + ".onnx")
                res["float_weights"] = done[0]["weights_bytes"] if done else \
                    weights_bytes(mlc, fsrc, margs, work) if os.path.exists(fsrc) else None
            res.update(mlc_info(mlc, src, margs))
            ins, outs, weights = compile_and_build(mlc, (rtlib, rtlib_mt), flags, src, margs, work,
                                                   st, res)
            res["shape"] = " ".join("x".join(map(str, s)) for _, _, s in ins)
            measure(src, work, ins, outs, weights, st, res)
            log(f"{name}: " + ", ".join(f"{k} {res[k]['median']:.3g} ms" for k in
                                        ("mlc1", "ort1", "mlc2", "ort2") if k in res)
                + f", max diff {res['max_err']:.1e}" + (" steps" if source else ""))
        except Failed as e:
            res["error"] = str(e)
            log(f"{name}: FAILED: {e}")
    if not results:
        sys.exit("bench: no model to run")

    table = report(results, missing, flags, st, (load0, os.getloadavg()[0]), peak)
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "results.md"), "w") as f:
        f.write("# mlc benchmark\n\n`python3 bench/run.py` (see README, Benchmarks).\n\n" + table)
    with open(os.path.join(out, "results.svg"), "w") as f:
        f.write(svg(results))
    if full and not args.out:
        update_readme(table)
    print(table)
    log(f"wrote {os.path.join(out, 'results.md')} and results.svg")
    failed = [r for r in results if "error" in r or not r.get("outputs_ok", True)]
    return 1 if failed or not all(ok for _, ok in checks(results)) else 0


if __name__ == "__main__":
    sys.exit(main())
