#!/usr/bin/env python3
"""The CUDA backend on the ONNX node tests, without a GPU: every node test
that the C backend passes (tests/conformance/status.txt) goes through
`mlc test --target=cuda --build-only`, which compiles its generated CUDA
with nvcc -Werror all-warnings for sm_80 and sm_90. A test is BUILT (the
backend accepts it and nvcc compiles it), UNSUPPORTED (the backend has no
kernel for one of its steps; the reason names it) or FAIL (nvcc refused the
code: a bug).

The committed table (tests/cuda/status.txt) lists every test with its
status; this runner fails on any FAIL and on a test listed BUILT that no
longer builds. --update rewrites the table; --every N checks every Nth test
only (CI: the whole list takes nvcc about 45 minutes on 2 cores); --redo
STATUS only the tests the table lists with STATUS (after adding kernels:
--redo UNSUPPORTED --update), keeping the other rows.

usage: build_node_tests.py --mlc BUILD/mlc [--every N] [--redo STATUS] [--update] [-j N]"""
import argparse
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "conformance"))
from run import read_table  # noqa: E402  (the conformance table's format, which this one shares)

ARCHS = "-gencode arch=compute_80,code=sm_80 -gencode arch=compute_90,code=sm_90"


def c_names(c_table):
    """the node tests the C backend passes"""
    return sorted(k[len("node/"):] for k, (s, _) in c_table.items()
                  if k.startswith("node/") and s == "PASS")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mlc", required=True)
    ap.add_argument("--node-tests", default=None, help="default BUILD/onnx-tests/node")
    ap.add_argument("--table", default=os.path.join(HERE, "status.txt"))
    ap.add_argument("--every", type=int, default=1)
    ap.add_argument("--redo", default=None)
    ap.add_argument("--update", action="store_true")
    ap.add_argument("-j", type=int, default=os.cpu_count() or 2)
    args = ap.parse_args()
    build = os.path.dirname(os.path.abspath(args.mlc))
    node = args.node_tests or os.path.join(build, "onnx-tests", "node")
    if not os.path.isdir(node):
        subprocess.run([sys.executable, os.path.join(ROOT, "tests", "conformance",
                                                     "gen_node_tests.py"), node], check=True)
    c_table = read_table(os.path.join(ROOT, "tests", "conformance", "status.txt"))
    every = c_names(c_table)
    old = read_table(args.table)
    names = [n for n in every if not args.redo or old.get(n, ("",))[0] == args.redo]
    names = names[::args.every]
    with tempfile.NamedTemporaryFile("r", suffix=".txt") as st:
        subprocess.run([args.mlc, "test", "--target=cuda", "--build-only", f"-j{args.j}",
                        f"--cflags={ARCHS}", f"--status={st.name}"] +
                       [os.path.join(node, n) for n in names], stdout=subprocess.DEVNULL)
        now = {}
        for line in open(st.name):
            parts = line.rstrip("\n").split(" ", 2)
            now[parts[0]] = (parts[1], parts[2] if len(parts) > 2 else "")
    if args.redo:  # the table's other rows stand
        now = {**{k: v for k, v in old.items() if k in set(every)}, **now}
    built = sum(1 for s, _ in now.values() if s == "BUILT")
    fails = sorted(k for k, (s, _) in now.items() if s == "FAIL")
    lost = sorted(k for k in now if old.get(k, ("",))[0] == "BUILT" and now[k][0] != "BUILT")
    print(f"CUDA backend: {built} of {len(now)} node tests that the C backend passes "
          f"are accepted and compile ({100.0 * built / max(len(now), 1):.1f} %)")
    for k in fails:
        print(f"FAIL {k}: {now[k][1]}")
    for k in lost:
        print(f"REGRESSION {k}: was BUILT, now {now[k][0]} {now[k][1]}")
    if args.update:
        with open(args.table, "w") as f:
            f.write("# CUDA backend on the node tests the C backend passes: TEST STATUS [REASON];\n"
                    "# regenerate with tests/cuda/build_node_tests.py --mlc build/mlc --update\n")
            for k in sorted(now):
                s, why = now[k]
                f.write(f"{k} {s}{' ' + why if why else ''}\n")
    return 1 if fails or lost else 0


if __name__ == "__main__":
    sys.exit(main())
