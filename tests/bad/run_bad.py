#!/usr/bin/env python3
"""Runs the hostile-model corpus listed in tests/bad/manifest.txt (written by
make_bad.py) through `mlc compile`. A case passes when mlc refuses it with
exit status 1, a first line `mlc: error: FILE: ...` that contains the
expected text and no "internal error", within the time limit, and leaves
nothing in the output folder. Cases marked OK must compile (exit 0) within
five times the limit (they write their output), writing at most 128 MiB. A signal, a hang (10 s) or memory past the
limit (4 GiB of address space, unless --sanitized: ASan reserves more) fails.

usage: run_bad.py [--mlc PATH] [--time-limit S] [--sanitized] [-v] [FILTER...]
"""
import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def read_manifest():
    cases = []
    with open(os.path.join(HERE, "manifest.txt")) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            rel, expected = (s.strip() for s in line.split(" | ", 1))
            cases.append((rel, expected))
    return cases


def limit_memory():
    resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))


def run_case(mlc, rel, expected, args):
    path = os.path.join(HERE, rel)
    with tempfile.TemporaryDirectory() as d:
        if rel == "external/fifo.onnx":
            # a FIFO beside the model (git cannot hold one): opening it must not block
            beside = os.path.join(d, "model")
            os.makedirs(beside)
            shutil.copy(path, beside)
            os.mkfifo(os.path.join(beside, "fifo.bin"))
            path = os.path.join(beside, os.path.basename(rel))
        out = os.path.join(d, "out", "out.c")
        os.makedirs(os.path.dirname(out))
        d = os.path.dirname(out)
        t0 = time.monotonic()
        try:
            r = subprocess.run([mlc, "compile", path, "-o", out], capture_output=True,
                               timeout=10, preexec_fn=None if args.sanitized else limit_memory)
        except subprocess.TimeoutExpired:
            return "hung (10 s)"
        dt = time.monotonic() - t0
        left = sorted(os.listdir(d))
        size = sum(os.path.getsize(os.path.join(d, f)) for f in left)
        err = r.stderr.decode("utf-8", "replace")
        first = err.split("\n", 1)[0]
        if r.returncode < 0:
            return "killed by signal %d: %s" % (-r.returncode, err[-500:])
        limit = args.time_limit * (5 if expected == "OK" else 1)
        if dt > limit:
            return "took %.2f s (limit %.2f s)" % (dt, limit)
        if expected == "OK":
            if r.returncode != 0:
                return "was refused: %s" % first
            if size > 128 << 20:
                return "wrote %d bytes" % size
            return None
        if r.returncode != 1:
            return "exit status %d: %s" % (r.returncode, err[-500:])
        if left:
            return "left files behind: %s" % left
        if not first.startswith("mlc: error: %s: " % path):
            return "first line does not name the file: %r" % first
        if expected not in err.replace(path, ""):  # the file's name may hold the word
            return "message lacks %r: %r" % (expected, first)
        if "internal error" in err or "Sanitizer" in err or "runtime error" in err:
            return "internal error: %r" % err[-500:]
        if args.verbose:
            print("     %s: %s" % (rel, first[len("mlc: error: ") + len(path) + 2:][:150]))
        return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mlc", default=os.path.join(ROOT, "build", "mlc"))
    ap.add_argument("--time-limit", type=float, default=1.0)
    ap.add_argument("--sanitized", action="store_true", help="mlc is an ASan build: no address-space limit")
    ap.add_argument("-v", "--verbose", action="store_true", help="print each refusal's message")
    ap.add_argument("filter", nargs="*", help="only cases whose path contains one of these")
    args = ap.parse_args()
    cases = [c for c in read_manifest() if not args.filter or any(f in c[0] for f in args.filter)]
    failed = 0
    per_class = {}
    for rel, expected in cases:
        why = run_case(args.mlc, rel, expected, args)
        cls = rel.split("/")[0]
        per_class[cls] = per_class.get(cls, 0) + 1
        if why:
            failed += 1
            print("FAIL %s: %s" % (rel, why))
        elif args.verbose:
            print("PASS %s" % rel)
    print("classes: " + ", ".join("%s %d" % kv for kv in sorted(per_class.items())))
    print("%d cases, %d passed, %d failed" % (len(cases), len(cases) - failed, failed))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
