#!/usr/bin/env python3
"""mlc compile --target: the names it takes, and code for one ISA that
refuses to build with flags for another (#error) and to link with a runtime
built for another (the symbol only that runtime defines). The x86 parts run
on x86-64 hosts; the run of AVX-512 code only on a CPU that has AVX-512F.

usage: targets.py BUILD_DIR"""
import concurrent.futures
import glob
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RUNTIME = os.path.join(ROOT, "runtime")
MLP = os.path.join(ROOT, "models", "mlp.onnxtxt")
MAIN = os.path.join(ROOT, "examples", "mlp_main.c")
CFLAGS = ["-std=c99", "-O1", "-Wall", "-Wextra", "-Werror", "-pedantic"]
results = []


def check(name, cond, detail=""):
    results.append(cond)
    print(f"{'PASS' if cond else 'FAIL'} {name}{'' if cond else ': ' + detail}")


def run(*cmd, cwd=None):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=cwd)


def cpu_flags():
    try:
        text = open("/proc/cpuinfo").read()
    except OSError:
        return set()
    m = re.search(r"^flags\s*:(.*)$", text, re.M)
    return set(m.group(1).split()) if m else set()


def compile_mlp(d, target, name="mlp"):
    """mlc compile the MLP for target into d/name/; the path of the .c"""
    os.makedirs(os.path.join(d, name), exist_ok=True)
    out = os.path.join(d, name, "mlp.c")
    r = run(MLC, "compile", MLP, "--dim", "batch=1", "--name", "mlp", f"--target={target}",
            "-o", out)
    check(f"compile --target={target}", r.returncode == 0 and
          f"target {target}" in r.stderr, r.stderr)
    return out


def build(c, flags, runtime, exe):
    """the example program around c, built with flags and linked with runtime"""
    return run("cc", *CFLAGS, *flags, "-I" + os.path.dirname(c), "-I" + RUNTIME, c, MAIN,
               *runtime, "-lm", "-o", exe)


def runtime_objects(d, flags):
    """the runtime compiled with flags into d (two files at a time)"""
    os.makedirs(d)

    def one(src):
        obj = os.path.join(d, os.path.basename(src)[:-2] + ".o")
        r = run("cc", "-std=c99", "-O1", "-fno-strict-aliasing", *flags, "-I" + RUNTIME, "-c",
                src, "-o", obj)
        return obj if r.returncode == 0 else r.stderr
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        objs = list(pool.map(one, sorted(glob.glob(os.path.join(RUNTIME, "*.c")))))
    bad = [o for o in objs if not o.endswith(".o")]
    check(f"the runtime builds with {' '.join(flags)}", not bad, "\n".join(bad))
    return objs


def names(d):
    with tempfile.TemporaryDirectory() as t:
        out = os.path.join(t, "m.c")
        r = run(MLC, "compile", MLP, "--dim", "batch=1", "--target=frobnicator", "-o", out)
        check("an unknown target is refused, naming the choices, writing nothing",
              r.returncode == 1 and "'frobnicator'" in r.stderr and
              all(n in r.stderr for n in ("generic", "x86-64-v3", "x86-64-v4", "aarch64",
                                          "native")) and not os.listdir(t), r.stderr)
    r = run(MLC, "compile", "--help")
    check("compile --help describes --target", r.returncode == 0 and "--target=T" in r.stdout)
    r = run(MLC, "info", MLP, "--dim", "batch=1", "--target=aarch64")
    check("info names the target", r.returncode == 0 and "\ntarget: aarch64\n" in r.stdout,
          r.stdout + r.stderr)
    r = run(MLC, "info", MLP, "--dim", "batch=1", "--target=x86-64-v3", "--json")
    check("info --json names the target",
          r.returncode == 0 and json.loads(r.stdout).get("target") == "x86-64-v3", r.stdout)
    r = run(MLC, "info", MLP, "--dim", "batch=1", "--json")
    check("the default target is generic",
          r.returncode == 0 and json.loads(r.stdout).get("target") == "generic", r.stdout)
    r = run(MLC, "run", MLP, "--target=generic")
    check("mlc run refuses --target, saying why",
          r.returncode == 1 and "mlc run interprets the model" in r.stderr, r.stderr)
    # what native resolves to, on this machine
    flags = cpu_flags()
    machine = platform.machine()
    if machine in ("x86_64", "AMD64"):
        want = ("x86-64-v4" if "avx512f" in flags else
                "x86-64-v3" if {"avx2", "fma"} <= flags else "generic")
    else:
        want = "aarch64" if machine in ("aarch64", "arm64") else "generic"
    out = os.path.join(d, "native.c")
    r = run(MLC, "compile", MLP, "--dim", "batch=1", "--target=native", "-o", out)
    check(f"--target=native is {want} here, and says so",
          r.returncode == 0 and f"target {want})" in r.stderr, r.stderr)
    # generic code is what it always was: no guard, no reference
    plain, generic = os.path.join(d, "plain.c"), os.path.join(d, "generic.c")
    run(MLC, "compile", MLP, "--dim", "batch=1", "-o", plain)
    run(MLC, "compile", MLP, "--dim", "batch=1", "--target=generic", "-o", generic)
    same = open(plain).read().replace('"plain.h"', '"generic.h"') == open(generic).read()
    check("--target=generic writes the default code", same and
          "mlc_rt_isa" not in open(generic).read())


def x86(d):
    """the guards and the link check, with gcc's -march levels"""
    v3, v4 = compile_mlp(d, "x86-64-v3", "v3"), compile_mlp(d, "x86-64-v4", "v4")
    arm = compile_mlp(d, "aarch64", "arm")
    for c, flags, needle in (
            (v4, ["-march=x86-64"], "generated for target x86-64-v4 (AVX-512F): build it with "
                                    "-march=x86-64-v4"),
            (v3, ["-march=x86-64"], "generated for target x86-64-v3 (AVX2 and FMA): build it "
                                    "with -march=x86-64-v3"),
            (v3, ["-march=x86-64-v4"], "built with AVX-512F it would not match the runtime"),
            (arm, [], "generated for target aarch64 (NEON): build it with a compiler for "
                      "aarch64")):
        r = run("cc", *CFLAGS, *flags, "-I" + os.path.dirname(c), "-I" + RUNTIME, "-c", c,
                "-o", os.path.join(d, "x.o"))
        check(f"{os.path.basename(os.path.dirname(c))} code with {' '.join(flags) or 'no flags'}"
              " stops at its #error", r.returncode != 0 and "#error" in r.stderr and
              needle in r.stderr, r.stderr)
    rt4 = runtime_objects(os.path.join(d, "rt4"), ["-march=x86-64-v4"])
    r = build(v3, ["-march=x86-64-v3"], rt4, os.path.join(d, "v3app"))
    check("v3 code fails to link with a v4 runtime, naming the symbol",
          r.returncode != 0 and "mlc_rt_isa_x86_64_v3" in r.stderr, r.stderr)
    r = build(v4, ["-march=x86-64-v4"], [os.path.join(BUILD, "libmlc_rt.a")],
              os.path.join(d, "v4app"))
    have = re.search(r"\bmlc_rt_isa_(\w+)", run("nm", os.path.join(BUILD, "libmlc_rt.a")).stdout)
    if have and have.group(1) != "x86_64_v4":
        check(f"v4 code fails to link with this build's runtime ({have.group(1)})",
              r.returncode != 0 and "undefined reference to `mlc_rt_isa_x86_64_v4'" in r.stderr,
              r.stderr)
    exe = os.path.join(d, "v4app")
    r = build(v4, ["-march=x86-64-v4"], rt4, exe)
    check("v4 code builds and links with flags and a runtime for v4", r.returncode == 0, r.stderr)
    if "avx512f" not in cpu_flags():
        print("SKIP running AVX-512 code: this CPU has no AVX-512F")
        return
    ref = os.path.join(d, "genapp")
    build(compile_mlp(d, "generic", "gen"), [], [os.path.join(BUILD, "libmlc_rt.a")], ref)
    got, want = run(exe), run(ref)
    check("v4 code computes what generic code does", got.returncode == 0 and
          got.stdout == want.stdout and "mlp(" in got.stdout, got.stdout + want.stdout)
    # mlc test builds for the target with its flags and the runtime given
    lib = os.path.join(d, "librt4.a")
    run("ar", "rcs", lib, *rt4)
    cases = [os.path.join(ROOT, "tests", "ops", "cases", c) for c in ("matmul_2d", "pow_f32_i8")]
    r = run(MLC, "test", "--mode=c", "--target=x86-64-v4", "--cflags=-march=x86-64-v4",
            "--runtime-lib", lib, *cases)
    check("mlc test --target=x86-64-v4 builds and runs for it",
          r.returncode == 0 and "2 passed, 0 failed" in r.stdout, r.stdout + r.stderr)
    r = run(MLC, "test", "--mode=c", "--target=x86-64-v4", *cases[:1])
    check("mlc test --target without its flags fails the build",
          r.returncode == 1 and "did not build" in r.stdout, r.stdout + r.stderr)
    # the failed build's folder is kept for a look, its log named: look, then remove it
    kept = re.findall(r"see (\S*mlc-test-\w+)/build\.log", r.stdout)
    check("the failed build's folder is kept, with its log",
          len(kept) == 1 and "#error" in open(os.path.join(kept[0], "build.log")).read(), r.stdout)
    for k in kept:
        shutil.rmtree(k, ignore_errors=True)


def main():
    global MLC, BUILD
    BUILD = sys.argv[1]
    MLC = os.path.join(BUILD, "mlc")
    with tempfile.TemporaryDirectory() as d:
        names(d)
        if platform.machine() in ("x86_64", "AMD64"):
            x86(d)
        else:
            print("SKIP the x86 guards: not an x86-64 host")
    passed = sum(results)
    print(f"{passed} passed, {len(results) - passed} failed")
    sys.exit(0 if passed == len(results) else 1)


if __name__ == "__main__":
    main()
