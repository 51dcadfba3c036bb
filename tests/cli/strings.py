#!/usr/bin/env python3
"""String tensors through generated C, as a product would use them: a model
with StringConcat, Equal, a hostile constant string (quotes, backslashes,
a comment end, a trigraph, a newline), a Gather of strings into the arena
and an input copied to an output is compiled with a small string region,
built with -std=c99 -Wall -Wextra -Werror -pedantic (gcc, and clang when
present) and run from a C main that checks the strings, the
PREFIX_ERR_STRINGS return of a run whose strings outgrow the region, and a
good run after it. The same code is built and run for a 32-bit target too
(gcc -m32, or clang's i386 target), where a string is a 4-byte pointer: it
is skipped with the reason printed when no 32-bit toolchain is installed
(Debian: gcc-multilib).

usage: strings.py BUILD_DIR"""
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import numpy_helper
from onnx import TensorProto as TP
from onnx import helper as h

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HOSTILE = 'q"b\\s*/c??/n\nl??=e\t\u00e9/*x'

MAIN = r"""
#include <stdio.h>
#include <string.h>

#include "str.h"

static int fails;
static void expect(int ok, const char *what) {
  if (!ok) {
    printf("FAIL %s\n", what);
    fails++;
  }
}

int main(void) {
  const char *x[2] = {"ab", ""}, *y[2] = {"cd", "ef"};
  const char *z[2], *h[2], *t[1], *r[2], *c[2];
  uint8_t e[2];
  char big1[201], big2[201];
  int rc = str_run(x, y, z, e, h, t, r, c);
  expect(rc == STR_OK, "first run returns STR_OK");
  expect(!strcmp(z[0], "abcd") && !strcmp(z[1], "ef"), "StringConcat");
  expect(e[0] == 0 && e[1] == 1, "Equal of strings");
  expect(!strcmp(t[0], HOSTILE), "the hostile constant round-trips");
  expect(!strncmp(h[0], HOSTILE, strlen(HOSTILE)) && !strcmp(h[0] + strlen(HOSTILE), "ab"),
         "a constant broadcast into StringConcat");
  expect(!strcmp(r[0], "cd") && !strcmp(r[1], "abef"), "strings gathered into the arena");
  expect(c[0] == x[0] && c[1] == x[1], "an input copied to an output");
  memset(big1, 'a', 200);
  memset(big2, 'b', 200);
  big1[200] = big2[200] = 0;
  x[0] = big1;
  y[0] = big2;
  rc = str_run(x, y, z, e, h, t, r, c);
  expect(rc == STR_ERR_STRINGS, "a run whose strings outgrow the region returns STR_ERR_STRINGS");
  x[0] = "ab";
  y[0] = "cd";
  rc = str_run(x, y, z, e, h, t, r, c);
  expect(rc == STR_OK && !strcmp(z[0], "abcd"), "the next run starts with an empty region");
  printf("%s %d-byte strings\n", fails ? "FAILED" : "OK", (int)sizeof(const char *));
  return fails != 0;
}
"""


def c_string(s):
    """s as a C string literal for the test's main"""
    out = '"'
    for b in s.encode():
        out += "\\%03o" % b if b < 0x20 or b > 0x7E or chr(b) in '"\\?' else chr(b)
    return out + '"'


def toolchain_32(d):
    """a compiler command that builds and runs 32-bit x86 programs here, or None"""
    probe = os.path.join(d, "probe.c")
    with open(probe, "w") as f:
        f.write("int main(void) { return sizeof(void *) == 4 ? 0 : 1; }\n")
    for cc in (["gcc", "-m32"], ["clang", "--target=i386-linux-gnu"], ["clang", "-m32"]):
        if not shutil.which(cc[0]):
            continue
        exe = os.path.join(d, "probe")
        b = subprocess.run(cc + [probe, "-o", exe], capture_output=True)
        if b.returncode == 0 and subprocess.run([exe]).returncode == 0:
            return cc
    return None


def model():
    k = h.make_tensor("k", TP.STRING, [1], [HOSTILE.encode()])
    swap = h.make_tensor("swap", TP.INT64, [2], [1, 0])
    nodes = [h.make_node("StringConcat", ["x", "y"], ["z"], name="concat"),
             h.make_node("Equal", ["z", "y"], ["e"], name="eq"),
             h.make_node("StringConcat", ["k", "x"], ["h"], name="prefix"),
             h.make_node("Identity", ["k"], ["t"], name="konst"),
             h.make_node("Gather", ["x", "swap"], ["xs"], name="swap"),
             h.make_node("StringConcat", ["xs", "y"], ["r"], name="swapped"),
             h.make_node("Identity", ["x"], ["c"], name="copy")]
    g = h.make_graph(nodes, "strings",
                     [h.make_tensor_value_info("x", TP.STRING, [2]),
                      h.make_tensor_value_info("y", TP.STRING, [2])],
                     [h.make_tensor_value_info("z", TP.STRING, [2]),
                      h.make_tensor_value_info("e", TP.BOOL, [2]),
                      h.make_tensor_value_info("h", TP.STRING, [2]),
                      h.make_tensor_value_info("t", TP.STRING, [1]),
                      h.make_tensor_value_info("r", TP.STRING, [2]),
                      h.make_tensor_value_info("c", TP.STRING, [2])], [k, swap])
    return h.make_model(g, opset_imports=[h.make_opsetid("", 20)])


def main():
    build = sys.argv[1]
    results = []
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "str.onnx")
        onnx.save(model(), path)
        out = os.path.join(d, "str.c")
        r = subprocess.run([os.path.join(build, "mlc"), "compile", path, "--name", "str",
                            "--string-bytes=256", "-o", out], capture_output=True, text=True)
        results.append(("compiles", r.returncode == 0, r.stderr))
        header = open(out[:-2] + ".h").read() if r.returncode == 0 else ""
        results.append(("header gives the region and the error code",
                        "#define STR_STRING_BYTES 256" in header and "STR_ERR_STRINGS 3" in header,
                        header))
        with open(os.path.join(d, "main.c"), "w") as f:
            f.write("#define HOSTILE " + c_string(HOSTILE) + "\n" + MAIN)
        for cc in ["cc"] + (["clang"] if shutil.which("clang") else []):
            exe = os.path.join(d, "prog_" + cc)
            b = subprocess.run([cc, "-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic",
                                "-I" + d, "-I" + os.path.join(ROOT, "runtime"), out,
                                os.path.join(d, "main.c"), os.path.join(build, "libmlc_rt.a"),
                                "-lm", "-o", exe], capture_output=True, text=True)
            results.append((f"builds with {cc} -Werror -pedantic", b.returncode == 0, b.stderr))
            run = subprocess.run([exe], capture_output=True, text=True) if b.returncode == 0 else None
            results.append((f"runs ({cc})", run is not None and run.stdout.startswith("OK "),
                            run.stdout if run else ""))
        # a 32-bit target: the product's strings are 4-byte pointers
        cc32 = toolchain_32(d)
        if cc32 is None:
            print("SKIP strings: 32-bit build: no 32-bit toolchain (gcc -m32 needs the Debian "
                  "package gcc-multilib)")
        else:
            exe = os.path.join(d, "prog32")
            runtime = sorted(os.path.join(ROOT, "runtime", f)
                             for f in os.listdir(os.path.join(ROOT, "runtime")) if f.endswith(".c"))
            b = subprocess.run(cc32 + ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic",
                                       "-I" + d, "-I" + os.path.join(ROOT, "runtime"), "-c", out,
                                       os.path.join(d, "main.c")], capture_output=True, text=True,
                               cwd=d)
            if b.returncode == 0:
                b = subprocess.run(cc32 + ["-std=c99", "-O1", "-I" + os.path.join(ROOT, "runtime"),
                                           os.path.join(d, "str.o"), os.path.join(d, "main.o")]
                                   + runtime + ["-lm", "-o", exe], capture_output=True, text=True)
            results.append((f"builds for 32 bits ({' '.join(cc32)})", b.returncode == 0, b.stderr))
            run = subprocess.run([exe], capture_output=True, text=True) if b.returncode == 0 else None
            results.append(("runs with 4-byte strings",
                            run is not None and run.stdout.strip() == "OK 4-byte strings",
                            run.stdout if run else ""))
        # the interpreter refuses such a run with a message
        for name, v in (("x", "a" * 200), ("y", "b" * 200)):
            t = numpy_helper.from_array(np.array([v, "c"], dtype=object), name)
            open(os.path.join(d, name + ".pb"), "wb").write(t.SerializeToString())
        r = subprocess.run([os.path.join(build, "mlc"), "run", path, "--string-bytes=256",
                            "--input", "x=" + os.path.join(d, "x.pb"),
                            "--input", "y=" + os.path.join(d, "y.pb")], capture_output=True, text=True)
        results.append(("mlc run reports strings that outgrow the region",
                        r.returncode == 1 and "--string-bytes" in r.stderr, r.stdout + r.stderr))
    for name, ok, detail in results:
        print(f"{'PASS' if ok else 'FAIL'} strings: {name}{'' if ok else ': ' + detail}")
    sys.exit(0 if all(ok for _, ok, _ in results) else 1)


if __name__ == "__main__":
    main()
