#!/usr/bin/env python3
"""The floor plan, checked: each family of ops has one name in four places.

- compiler/ops/ops.def: a section `/* family NAME: ... */`; every infer_ and
  lower_ function its rows name is defined in compiler/ops/NAME.c or
  NAME_*.c (or in the shared kit, compiler/ops/ops.c);
- compiler/ops/: every other .c file is a family's (NAME.c, NAME_*.c) or one
  of the ops layer's own (ops.c, infer.c, interp.c, kernels.c);
- runtime/mlc_rt_NAME.h: the family's parameter structs and kernels
  (MLC_RT_PARAMS_NAME, MLC_RT_KERNELS_NAME); mlc_rt.h includes it and
  gathers both lists;
- runtime/: every kernel of MLC_RT_KERNELS_NAME is defined in
  runtime/NAME.c or NAME_*.c (told from the object files of the built
  runtime library, so macro-made kernels count), and every runtime .c file is
  a family's or one of the runtime's own (parallel.c).
A family may have no kernels (its ops fold, or lower to other families'
kernels) or no ops (none today). Also: no source file over 1000 lines.

usage: check_layout.py [--lib BUILD/libmlc_rt.a]"""
import argparse
import glob
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OPS = os.path.join(ROOT, "compiler", "ops")
RT = os.path.join(ROOT, "runtime")
OPS_OWN = {"ops", "infer", "interp", "kernels", "TEMPLATE"}  # TEMPLATE.c: the op to copy
RT_OWN = {"parallel"}
MAX_LINES = 1000
problems = []


def family_of(stem, families):
    """the family a file stem belongs to: NAME or NAME_*"""
    for f in sorted(families, key=len, reverse=True):
        if stem == f or stem.startswith(f + "_"):
            return f
    return None


def defined_functions(path):
    return set(re.findall(r"^(?:void|Value \*|KCall \*)\s*((?:infer|lower)_\w+)\s*\(",
                          open(path).read(), re.M))


def ops_families():
    """{family: [(op, infer, lower)]} from ops.def"""
    fams, cur = {}, None
    for line in open(os.path.join(OPS, "ops.def")):
        m = re.match(r"/\* family (\w+):", line)
        if m:
            cur = m.group(1)
            if cur in fams:
                problems.append(f"ops.def: family '{cur}' has two sections")
            fams[cur] = []
            continue
        m = re.match(r"OP\((\w+),.*?,\s*(infer_\w+),\s*(lower_\w+)", line)
        if m:
            if cur is None:
                problems.append(f"ops.def: {m.group(1)} is in no family section")
                continue
            fams[cur].append(m.groups())
    return fams


def check_ops(fams):
    files = {os.path.basename(p)[:-2]: p for p in glob.glob(os.path.join(OPS, "*.c"))}
    kit = defined_functions(files["ops"])
    for stem in files:
        if stem not in OPS_OWN and family_of(stem, fams) is None:
            problems.append(f"compiler/ops/{stem}.c belongs to no family of ops.def")
    for fam, rows in fams.items():
        if fam not in files:
            problems.append(f"family '{fam}' has no compiler/ops/{fam}.c")
        defs = set(kit)
        for stem, path in files.items():
            if family_of(stem, fams) == fam:
                defs |= defined_functions(path)
        for op, infer, lower in rows:
            for fn in (infer, lower):
                if fn not in defs:
                    problems.append(f"{op} (family {fam}): {fn} is not defined in "
                                    f"compiler/ops/{fam}.c, {fam}_*.c or ops.c")


def runtime_families():
    """{family: [kernel]} from runtime/mlc_rt_*.h"""
    fams = {}
    for h in glob.glob(os.path.join(RT, "mlc_rt_*.h")):
        fam = os.path.basename(h)[len("mlc_rt_"):-2]
        if fam == "core":
            continue
        s = open(h).read()
        m = re.search(r"#define MLC_RT_KERNELS_(\w+)\(K\)((?:.*\\\n)*.*)", s)
        if not m or m.group(1) != fam.upper():
            problems.append(f"runtime/mlc_rt_{fam}.h defines no MLC_RT_KERNELS_{fam.upper()}")
            continue
        if f"#define MLC_RT_PARAMS_{fam.upper()}(" not in s:
            problems.append(f"runtime/mlc_rt_{fam}.h defines no MLC_RT_PARAMS_{fam.upper()}")
        fams[fam] = re.findall(r"\bK\((\w+),", m.group(2))
    umbrella = open(os.path.join(RT, "mlc_rt.h")).read()
    for fam in fams:
        for need in (f'#include "mlc_rt_{fam}.h"', f"MLC_RT_KERNELS_{fam.upper()}(K)",
                     f"MLC_RT_PARAMS_{fam.upper()}(S, I, D, IA, DA)"):
            if need not in umbrella:
                problems.append(f"runtime/mlc_rt.h lacks {need}")
    return fams


def check_runtime(fams, ops_fams, lib):
    stems = [os.path.basename(p)[:-2] for p in glob.glob(os.path.join(RT, "*.c"))]
    for stem in stems:
        if stem not in RT_OWN and family_of(stem, fams) is None:
            problems.append(f"runtime/{stem}.c belongs to no family (runtime/mlc_rt_*.h)")
    for fam in fams:
        if fam not in ops_fams:
            problems.append(f"runtime family '{fam}' is no family of ops.def")
    if not lib:
        return
    # defined kernel symbols per object file of the runtime library
    out = subprocess.run(["nm", "-A", "--defined-only", lib], capture_output=True, text=True,
                         check=True).stdout
    where = {}
    for line in out.splitlines():
        m = re.match(r".*?:(\w+)\.c\.o:\s*\w+ T mlc_rt_(\w+)$", line)
        if m:
            where[m.group(2)] = m.group(1)
    for fam, kernels in fams.items():
        for k in kernels:
            stem = where.get(k)
            if stem is None:
                problems.append(f"kernel {k} (runtime/mlc_rt_{fam}.h) is defined nowhere")
            elif family_of(stem, [fam]) != fam:
                problems.append(f"kernel {k} of family {fam} is defined in runtime/{stem}.c")


def check_sizes():
    for pattern in ("compiler/*/*.[ch]", "compiler/ops/ops.def", "passes/*.[ch]", "plan/*.[ch]",
                    "codegen/*/*.[ch]", "tool/*.[ch]", "runtime/*.[ch]"):
        for p in glob.glob(os.path.join(ROOT, pattern)):
            n = sum(1 for _ in open(p))
            if n > MAX_LINES:
                problems.append(f"{os.path.relpath(p, ROOT)} has {n} lines (at most {MAX_LINES})")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lib", help="the built runtime library, to check where kernels live")
    args = ap.parse_args()
    ops_fams = ops_families()
    check_ops(ops_fams)
    check_runtime(runtime_families(), ops_fams, args.lib)
    check_sizes()
    for p in problems:
        print("FAIL", p)
    print(f"layout: {len(ops_fams)} families; {len(problems)} problems")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
