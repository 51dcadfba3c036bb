#!/usr/bin/env python3
"""mlc compile --profile: small models compiled with it, built with -Werror
-pedantic and run a few times by a tiny driver; the table must list every
step of the run function once, with the runs as its calls, and the Chrome
trace must parse as JSON with one event per step of the last run. Without
--profile nothing of it is written.

usage: profile.py BUILD_DIR"""
import json
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODELS = [(os.path.join(ROOT, "models", "mlp.onnxtxt"), ["--dim", "batch=1"]),
          (os.path.join(ROOT, "models", "net.onnxtxt"), []),
          (os.path.join(ROOT, "tests", "models", "functions.onnxtxt"), [])]
RUNS = 3
DRIVER = """#include <stdio.h>
#include <stdlib.h>
#include "m.h"
int main(void) {
  static unsigned char in[8][1 << 16], out[8][1 << 16];
  int i;
  for (i = 0; i < %d; i++)
    if (m_run(%s) != M_OK) return 1;
  if (m_profile_write("table.txt", "trace.json") != M_OK) return 2;
  return m_profile_write("no/such/folder/t.txt", NULL) == M_ERR_PROFILE ? 0 : 3;
}
"""
results = []


def check(name, cond, detail=""):
    results.append(cond)
    print(f"{'PASS' if cond else 'FAIL'} {name}{'' if cond else ': ' + detail}")
    return cond


def run(*cmd, cwd=None):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=cwd)


def one(build, model, margs, d):
    name = os.path.basename(model)
    c = os.path.join(d, "m.c")
    r = run(os.path.join(build, "mlc"), "compile", model, *margs, "--name", "m", "--profile",
            "-o", c)
    if not check(f"{name}: compile --profile", r.returncode == 0, r.stderr):
        return
    header = open(os.path.join(d, "m.h")).read()
    nin = int(re.search(r"#define M_NUM_INPUTS (\d+)", header).group(1))
    nout = int(re.search(r"#define M_NUM_OUTPUTS (\d+)", header).group(1))
    args = ", ".join([f"(void *)in[{i}]" for i in range(nin)] +
                     [f"(void *)out[{i}]" for i in range(nout)])
    with open(os.path.join(d, "drv.c"), "w") as f:
        f.write(DRIVER % (RUNS, args))
    r = run("cc", "-std=c99", "-O1", "-Wall", "-Wextra", "-Werror", "-pedantic", "-I" + d,
            "-I" + os.path.join(ROOT, "runtime"), c, os.path.join(d, "drv.c"),
            os.path.join(build, "libmlc_rt.a"), "-lm", "-o", os.path.join(d, "drv"))
    if not check(f"{name}: the profiled code builds with -Werror -pedantic", r.returncode == 0,
                 r.stderr):
        return
    r = run(os.path.join(d, "drv"), cwd=d)
    if not check(f"{name}: runs and writes its profile", r.returncode == 0, r.stderr):
        return
    steps = len(re.findall(r"^  prof_t = profile_step\(", open(c).read(), re.M))
    # the table: a header, the column names, then one line per step
    lines = open(os.path.join(d, "table.txt")).read().splitlines()
    rows = [ln.split() for ln in lines[2:]]
    check(f"{name}: the table lists every step, each run once",
          steps > 0 and len(rows) == steps and f": {RUNS} runs," in lines[0] and
          all(int(x[3]) == RUNS for x in rows) and
          len({(x[0], x[-1]) for x in rows}) == steps, "\n".join(lines))
    totals = [float(x[4]) for x in rows]
    check(f"{name}: the table is sorted by time", totals == sorted(totals, reverse=True),
          "\n".join(lines))
    try:
        trace = json.load(open(os.path.join(d, "trace.json")))
    except ValueError as e:
        check(f"{name}: the trace is JSON", False, str(e))
        return
    nodes = [e for e in trace["traceEvents"] if e.get("cat") == "node"]
    runs = [e for e in trace["traceEvents"] if e.get("cat") == "run"]
    check(f"{name}: the trace has one complete event per step of the last run",
          len(nodes) == steps and len(runs) == 1 and
          all(e["ph"] == "X" and e["dur"] >= 0 and e["ts"] >= 0 and "shape" in e["args"]
              for e in nodes) and
          {e["args"]["node"] for e in nodes} == {int(x[0]) for x in rows},
          json.dumps(trace)[:2000])
    plain = os.path.join(d, "plain.c")
    run(os.path.join(build, "mlc"), "compile", model, *margs, "--name", "m", "-o", plain)
    check(f"{name}: without --profile, no trace of it",
          "profile" not in open(plain).read() + open(plain[:-2] + ".h").read())


def main():
    build = sys.argv[1]
    for model, margs in MODELS:
        with tempfile.TemporaryDirectory() as d:
            one(build, model, margs, d)
    passed = sum(results)
    print(f"{passed} passed, {len(results) - passed} failed")
    sys.exit(0 if passed == len(results) else 1)


if __name__ == "__main__":
    main()
