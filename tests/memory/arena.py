#!/usr/bin/env python3
"""The planned arena of a model stays within a bound: small-target memory
(the GEMM kernels' scratch is what their code path uses, nothing for a
product too thin to pack) must not creep back.

usage: arena.py --mlc MLC --max BYTES MODEL [mlc info flags...]"""
import argparse
import re
import subprocess
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mlc", required=True)
    ap.add_argument("--max", type=int, required=True, help="the most bytes the arena may take")
    ap.add_argument("model")
    args, flags = ap.parse_known_args()
    r = subprocess.run([args.mlc, "info", args.model] + flags, capture_output=True, text=True)
    m = re.search(r"^arena: (\d+) bytes", r.stdout, re.M)
    if r.returncode != 0 or not m:
        print(f"FAIL mlc info {args.model} gave no arena:\n{r.stdout}{r.stderr}")
        return 1
    got = int(m.group(1))
    ok = got <= args.max
    print(f"{'ok' if ok else 'FAIL'} {args.model} {' '.join(flags)}: arena {got} bytes "
          f"(at most {args.max})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
