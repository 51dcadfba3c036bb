#!/usr/bin/env python3
"""Conformance: every ONNX backend test that ships in the installed `onnx`
package (node tests, plus the pytorch-converted, pytorch-operator and simple
folders), through `mlc test` in both modes (interpreter and generated C).

The committed status table (tests/conformance/status.txt) lists every test
with PASS, FAIL or UNSUPPORTED and the reason. This runner fails if a test
listed as PASS no longer passes. With --update it rewrites the table.

usage: run.py --mlc BUILD/mlc [--data DIR] [--update] [-j N] [--filter SUBSTR]"""
import argparse
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
KINDS = ("node", "pytorch-converted", "pytorch-operator", "simple")


def read_table(path):
    table = {}
    if os.path.exists(path):
        for line in open(path):
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            parts = line.split(" ", 2)
            table[parts[0]] = (parts[1], parts[2] if len(parts) > 2 else "")
    return table


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mlc", required=True)
    ap.add_argument("--data", default=None)
    ap.add_argument("--table", default=os.path.join(HERE, "status.txt"))
    ap.add_argument("--update", action="store_true")
    ap.add_argument("--filter", default="")
    ap.add_argument("-j", type=int, default=os.cpu_count() or 2)
    args = ap.parse_args()
    data = args.data or os.path.join(os.path.dirname(os.path.abspath(args.mlc)), "onnx-tests")
    subprocess.run([sys.executable, os.path.join(HERE, "gen_node_tests.py"),
                    os.path.join(data, "node")], check=True)
    now = {}
    for kind in KINDS:
        root = os.path.join(data, kind)
        dirs = sorted(d for d in os.listdir(root) if args.filter in d and
                      os.path.isdir(os.path.join(root, d)))
        if not dirs:
            continue
        with tempfile.NamedTemporaryFile("r", suffix=".txt") as st:
            subprocess.run([args.mlc, "test", f"-j{args.j}", f"--status={st.name}"] +
                           [os.path.join(root, d) for d in dirs], stdout=subprocess.DEVNULL)
            for line in open(st.name):
                parts = line.rstrip("\n").split(" ", 2)
                now[f"{kind}/{parts[0]}"] = (parts[1], parts[2] if len(parts) > 2 else "")
    old = read_table(args.table)
    regressions = [k for k, (s, _) in old.items() if s == "PASS" and now.get(k, ("MISSING",))[0] != "PASS"
                   and (not args.filter or args.filter in k)]
    for kind in KINDS:
        keys = [k for k in now if k.startswith(kind + "/")]
        if keys:
            p = sum(1 for k in keys if now[k][0] == "PASS")
            print(f"{kind}: {p}/{len(keys)} pass ({100.0 * p / len(keys):.1f} %)")
    for k in regressions:
        print(f"REGRESSION {k}: {now.get(k, ('MISSING', ''))}")
    if args.update and not args.filter:
        with open(args.table, "w") as f:
            f.write("# mlc conformance status: TEST STATUS [REASON]; regenerate with\n"
                    "# tests/conformance/run.py --mlc build/mlc --update\n")
            for k in sorted(now):
                s, r = now[k]
                f.write(f"{k} {s}{' ' + r if r else ''}\n")
    count = {s: sum(1 for v, _ in now.values() if v == s) for s in ("PASS", "FAIL", "UNSUPPORTED")}
    print(f"conformance: {count['PASS']} pass, {count['FAIL']} fail, "
          f"{count['UNSUPPORTED']} unsupported; {len(regressions)} regressions")
    sys.exit(1 if regressions else 0)


if __name__ == "__main__":
    main()
