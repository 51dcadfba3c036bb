#!/usr/bin/env python3
"""The command line as a user meets it: help, errors on bad models (message
format, exit status 1, no output left behind), symbolic dims, determinism,
and a compiled model built and run as a product would.

usage: test_cli.py BUILD_DIR"""
import filecmp
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BAD = os.path.join(ROOT, "tests", "bad")
results = []


def mlc(*args):
    return subprocess.run([MLC, *args], capture_output=True, text=True, timeout=60)


def check(name, cond, detail=""):
    results.append(cond)
    print(f"{'PASS' if cond else 'FAIL'} {name}{'' if cond else ': ' + detail}")


def refuses(name, model, *needles, extra=()):
    """compile MODEL must fail with exit 1, an error line naming the file and
    each needle, and leave no output file"""
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "out.c")
        r = mlc("compile", os.path.join(BAD, model), "-o", out, *extra)
        left = os.listdir(d)
        msg = r.stderr
        ok = (r.returncode == 1 and msg.startswith(f"mlc: error: {os.path.join(BAD, model)}: ")
              and all(n in msg for n in needles) and not left and "Traceback" not in msg)
        check(name, ok, f"rc={r.returncode} left={left} stderr={msg!r}")


def main():
    global MLC
    build = sys.argv[1]
    MLC = os.path.join(build, "mlc")

    r = mlc("--help")
    check("mlc --help", r.returncode == 0 and "compile" in r.stdout)
    for cmd in ("compile", "run", "info", "convert", "test"):
        r = mlc(cmd, "--help")
        check(f"mlc {cmd} --help", r.returncode == 0 and "usage: mlc " + cmd in r.stdout, r.stderr)
    r = mlc("frobnicate")
    check("unknown command", r.returncode == 1 and "unknown command" in r.stderr)
    r = mlc("compile", os.path.join(ROOT, "models", "net.onnxtxt"), "-o", "/tmp/x.c", "--bogus")
    check("unknown option", r.returncode == 1 and "unknown option '--bogus'" in r.stderr)

    refuses("garbage bytes", "garbage.onnx", "not a valid ONNX model")
    refuses("truncated file", "truncated.onnx", "not a valid ONNX model")
    refuses("every unsupported op listed at once", "unsupported_ops.onnxtxt",
            "node 'first' (#0 Frobnicate): unsupported op 'Frobnicate'",
            "node 'third' (#2 Twiddle): unsupported op 'Twiddle' in domain 'com.example'")
    refuses("bad permutation", "bad_perm.onnxtxt", "node 'tr' (#0 Transpose): ")
    refuses("dangling input", "dangling_input.onnxtxt", "node 'add' (#0 Add): ", "'nowhere'")
    refuses("cycle", "cycle.onnxtxt", "cycle")
    refuses("broadcast mismatch", "broadcast.onnxtxt", "node 'badd' (#0 Add): ", "broadcast")
    refuses("recursive local function", "recursive_function.onnxtxt",
            "node 'call' (#0 Ping): local function 'Ping' calls itself")
    refuses("data-dependent size consumed", "dynamic_consumer.onnxtxt",
            "node 'tr' (#1 Transpose): the size of 'i' is known only at run time")
    refuses("unbound symbolic dims", "symbolic.onnxtxt", "'batch'", "'seq'", "--dim")
    refuses("missing model", "no_such_model.onnx", "cannot")

    with tempfile.TemporaryDirectory() as d:
        sym = os.path.join(BAD, "symbolic.onnxtxt")
        r = mlc("compile", sym, "--dim", "batch=2", "--shape", "x=2x5", "-o", os.path.join(d, "s.c"))
        check("--dim and --shape bind symbolic dims", r.returncode == 0, r.stderr)
        mlp = os.path.join(ROOT, "models", "mlp.onnxtxt")
        os.makedirs(os.path.join(d, "a"))
        os.makedirs(os.path.join(d, "b"))
        a, b = os.path.join(d, "a", "m.c"), os.path.join(d, "b", "m.c")
        mlc("compile", mlp, "--dim", "batch=1", "-o", a)
        mlc("compile", mlp, "--dim", "batch=1", "-o", b)
        same = filecmp.cmp(a, b, shallow=False) and filecmp.cmp(a[:-2] + ".h", b[:-2] + ".h", shallow=False)
        check("output is byte-identical for the same input", same)
        # build and run as a product would: the example program
        out = os.path.join(d, "mlp.c")
        r = mlc("compile", mlp, "--dim", "batch=1", "--name", "mlp", "-o", out)
        exe = os.path.join(d, "mlp")
        cc = subprocess.run(["cc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic",
                             "-I" + d, "-I" + os.path.join(ROOT, "runtime"), out,
                             os.path.join(ROOT, "examples", "mlp_main.c"),
                             os.path.join(build, "libmlc_rt.a"), "-lm", "-o", exe],
                            capture_output=True, text=True)
        check("generated MLP builds with -Werror -pedantic", cc.returncode == 0, cc.stderr)
        run = subprocess.run([exe], capture_output=True, text=True) if cc.returncode == 0 else None
        check("generated MLP runs", run is not None and run.returncode == 0 and "mlp(" in run.stdout)
        # text <-> onnx round trip keeps the model
        txt = os.path.join(d, "rt.onnxtxt")
        onx = os.path.join(d, "rt.onnx")
        r1 = mlc("convert", mlp, "-o", onx)
        r2 = mlc("convert", onx, "-o", txt)
        same = r1.returncode == 0 and r2.returncode == 0 and open(txt).read() == open(mlp).read()
        check("convert onnxtxt -> onnx -> onnxtxt is stable", same, r1.stderr + r2.stderr)
        r = mlc("info", mlp, "--dim", "batch=1")
        check("info", r.returncode == 0 and "parameters: 769" in r.stdout and "arena:" in r.stdout,
              r.stdout + r.stderr)

    # string tensors in generated C (its own script: it builds its model with onnx)
    r = subprocess.run([sys.executable, os.path.join(ROOT, "tests", "cli", "strings.py"), build],
                       capture_output=True, text=True, timeout=300)
    check("string tensors (tests/cli/strings.py)", r.returncode == 0, r.stdout + r.stderr)
    # sequence and optional inputs and outputs (--seq, --none): its own script too
    r = subprocess.run([sys.executable, os.path.join(ROOT, "tests", "cli", "sequences.py"), build],
                       capture_output=True, text=True, timeout=300)
    check("sequences and optionals (tests/cli/sequences.py)", r.returncode == 0,
          r.stdout + r.stderr)

    passed = sum(results)
    print(f"{passed} passed, {len(results) - passed} failed")
    sys.exit(0 if passed == len(results) else 1)


if __name__ == "__main__":
    main()
