#!/usr/bin/env python3
"""Sequence and optional graph inputs from the command line: `--seq NAME=N`
gives a sequence input its length (its elements become inputs NAME.K, shaped
by the model, --shape NAME.K=DIMS or --dim), a sequence output becomes one
output per element, `--none NAME` leaves an optional input empty. Checks the
errors without them, the generated header, and that the C builds with
-Werror -pedantic and computes the right thing.

usage: sequences.py BUILD_DIR"""
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto as TP
from onnx import helper as h

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
results = []


def check(name, cond, detail=""):
    results.append(cond)
    print(f"{'PASS' if cond else 'FAIL'} {name}{'' if cond else ': ' + detail}")


def seq_model(path):
    """x: seq(float[N,3]), w: float[N,3], o: optional(float[3]) ->
    y = ConcatFromSequence(x, axis 0), z = SequenceInsert(x, w) (a sequence),
    has = OptionalHasElement(o)"""
    nodes = [h.make_node("ConcatFromSequence", ["x"], ["y"], axis=0, name="cat"),
             h.make_node("SequenceInsert", ["x", "w"], ["z"], name="ins"),
             h.make_node("OptionalHasElement", ["o"], ["has"], name="has")]
    opt = h.make_optional_type_proto(h.make_tensor_type_proto(TP.FLOAT, [3]))
    g = h.make_graph(nodes, "seq_cli",
                     [h.make_tensor_sequence_value_info("x", TP.FLOAT, ["N", 3]),
                      h.make_tensor_value_info("w", TP.FLOAT, ["N", 3]),
                      h.make_value_info("o", opt)],
                     [h.make_tensor_value_info("y", TP.FLOAT, None),
                      h.make_tensor_sequence_value_info("z", TP.FLOAT, None),
                      h.make_tensor_value_info("has", TP.BOOL, [])])
    onnx.save(h.make_model(g, opset_imports=[h.make_opsetid("", 18)]), path)


MAIN = r"""
#include <stdio.h>
#include "m.h"
int main(void) {
  float x0[2 * 3], x1[4 * 3], w[2 * 3], o[3] = {0}, y[6 * 3], z0[6], z1[12], z2[6];
  unsigned char has = 7;
  int i;
  for (i = 0; i < 6; i++) x0[i] = (float)i;
  for (i = 0; i < 12; i++) x1[i] = (float)(100 + i);
  for (i = 0; i < 6; i++) w[i] = (float)(-i);
  if (m_run(x0, x1, w, o, y, z0, z1, z2, &has) != M_OK) return 1;
  for (i = 0; i < 18; i++) printf("%g ", y[i]);
  printf("| %g %g %g | %d\n", z0[5], z1[11], z2[5], has);
  return 0;
}
"""


def main():
    build = sys.argv[1]
    mlc = os.path.join(build, "mlc")
    run = lambda *a: subprocess.run([mlc, *a], capture_output=True, text=True, timeout=60)
    with tempfile.TemporaryDirectory() as d:
        model = os.path.join(d, "seq.onnx")
        seq_model(model)
        out = os.path.join(d, "m.c")

        r = run("compile", model, "-o", out)
        check("a sequence input without --seq is refused",
              r.returncode == 1 and "graph input 'x' is a sequence" in r.stderr
              and "--seq x=N" in r.stderr and not os.path.exists(out), r.stderr)
        r = run("compile", model, "--seq", "x=2", "--none", "w", "--dim", "N=2", "-o", out)
        check("--none on an input that is not optional is refused",
              r.returncode == 1 and "--none w: input 'w' is not an optional" in r.stderr, r.stderr)
        r = run("compile", model, "--seq", "o=2", "--dim", "N=2", "-o", out)
        check("--seq on an input that is not a sequence is refused",
              r.returncode == 1 and "--seq o: input 'o' is not a sequence" in r.stderr, r.stderr)
        r = run("compile", model, "--seq", "x=2", "-o", out)
        check("unbound element dims are listed", r.returncode == 1 and "'N'" in r.stderr
              and "input 'x.0'" in r.stderr, r.stderr)

        r = run("compile", model, "--seq", "x=2", "--shape", "x.1=4x3", "--dim", "N=2",
                "--name", "m", "-o", out)
        check("--seq with --shape NAME.K and --dim compiles", r.returncode == 0, r.stderr)
        hdr = open(out[:-2] + ".h").read() if r.returncode == 0 else ""
        for want in ['#define M_NUM_INPUTS 4', '#define M_INPUT3_NAME "o"', '#define M_INPUT0_NAME "x.0"',
                     '#define M_INPUT1_DIMS {4, 3}', "element 1 of sequence 'x'",
                     "Input 'x' is a sequence of 2", "Output 'z' is a sequence of 3",
                     '#define M_NUM_OUTPUTS 5', '#define M_OUTPUT1_NAME "z.0"',
                     '#define M_OUTPUT3_DIMS {2, 3}', "const float *in_x_2e1"]:
            check(f"header has {want}", want in hdr, hdr)

        with open(os.path.join(d, "main.c"), "w") as f:
            f.write(MAIN)
        exe = os.path.join(d, "prog")
        cc = subprocess.run(["cc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic",
                             "-I" + d, "-I" + os.path.join(ROOT, "runtime"), out,
                             os.path.join(d, "main.c"), os.path.join(build, "libmlc_rt.a"),
                             "-lm", "-o", exe], capture_output=True, text=True)
        check("the generated C builds with -Werror -pedantic", cc.returncode == 0, cc.stderr)
        got = subprocess.run([exe], capture_output=True, text=True) if cc.returncode == 0 else None
        y = np.concatenate([np.arange(6), 100 + np.arange(12)])
        want = " ".join(f"{v:g}" for v in y) + " | 5 111 -5 | 1"
        check("it computes the sequence ops", got is not None and got.stdout.strip() == want,
              got.stdout if got else "")

        r = run("compile", model, "--seq", "x=1", "--dim", "N=2", "--none", "o", "--name", "m",
                "-o", out)
        hdr = open(out[:-2] + ".h").read() if r.returncode == 0 else ""
        check("--none leaves the optional input out", r.returncode == 0
              and "Input 'o' is an optional, empty in this build" in hdr
              and "#define M_NUM_INPUTS 2" in hdr, r.stderr + hdr)

    passed = sum(results)
    print(f"{passed} passed, {len(results) - passed} failed")
    sys.exit(0 if passed == len(results) else 1)


if __name__ == "__main__":
    main()
