#!/usr/bin/env python3
"""What a new user meets first: each case here is a bug a first try at mlc
hit on real models, kept so that it stays fixed.

- several --dim flags (a crash), an unknown --dim name (ignored silently);
- -o naming something that is not a regular file (it was replaced);
- mlc test where nothing ran (it exited 0), --rtol/--atol;
- a negative dim_value (refused even with --shape);
- mlc info on a model with unbound dims (printed nothing useful), and its
  parameter count for weights held in Constant nodes (0);
- an error inside an If branch compiled for a run-time condition (no word
  of the condition or of --const);
- elements the spec leaves undefined (a float to int4 Cast out of range)
  compared against whatever the reference wrote;
- mlc --version, and the version in the generated files.

usage: first_contact.py BUILD_DIR"""
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto as TP
from onnx import helper as h
from onnx import numpy_helper

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BAD = os.path.join(ROOT, "tests", "bad")
MLP = os.path.join(ROOT, "models", "mlp.onnxtxt")
SYM = os.path.join(BAD, "symbolic.onnxtxt")
results = []


def mlc(*args):
    return subprocess.run([MLC, *args], capture_output=True, text=True, timeout=60)


def check(name, cond, detail=""):
    results.append(cond)
    print(f"{'PASS' if cond else 'FAIL'} {name}{'' if cond else ': ' + detail}")


def model(nodes, inputs, outputs, inits=()):
    g = h.make_graph(nodes, "g", inputs, outputs, list(inits))
    m = h.make_model(g, opset_imports=[h.make_opsetid("", 21)])
    m.ir_version = 10
    return m


def test_folder(d, name, m, ins, outs):
    """an ONNX backend-test folder d/name"""
    t = os.path.join(d, name)
    os.makedirs(os.path.join(t, "test_data_set_0"))
    onnx.save(m, os.path.join(t, "model.onnx"))
    for kind, arrays in (("input", ins), ("output", outs)):
        for k, a in enumerate(arrays):
            tp = numpy_helper.from_array(a, m.graph.input[k].name if kind == "input"
                                         else m.graph.output[k].name)
            with open(os.path.join(t, "test_data_set_0", f"{kind}_{k}.pb"), "wb") as f:
                f.write(tp.SerializeToString())
    return t


def dims(d):
    r = mlc("info", MLP, "--dim", "batch=1", "--dim", "other=2")
    check("two --dim flags, one unknown: no crash, a warning naming the dims there are",
          r.returncode == 0 and "parameters: 769" in r.stdout and
          "--dim other: the model's inputs have no dimension of that name (they have 'batch')"
          in r.stderr, f"rc={r.returncode} {r.stderr}")
    r = mlc("compile", SYM, "--dim", "batch=2", "--dim", "seq=3", "-o", os.path.join(d, "s.c"))
    check("two --dim flags bind two dims", r.returncode == 0 and not r.stderr.count("warning"),
          r.stderr)
    r = mlc("info", SYM, "--dim", "batch=2", "--dim", "batch=3")
    check("one dim bound twice to different values is an error",
          r.returncode == 1 and "'batch' is bound twice (2 and 3)" in r.stderr, r.stderr)


def outputs(d):
    target = os.path.join(d, "target.c")
    open(target, "w").write("keep me\n")
    link = os.path.join(d, "link.c")
    os.symlink(target, link)
    r = mlc("compile", MLP, "--dim", "batch=1", "-o", link)
    check("-o a symbolic link: refused, the link and its target kept",
          r.returncode == 1 and "it exists and is a symbolic link" in r.stderr and
          os.path.islink(link) and open(target).read() == "keep me\n" and
          not os.path.exists(os.path.join(d, "link.h")), r.stderr)
    fifo = os.path.join(d, "pipe.c")
    os.mkfifo(fifo)
    r = mlc("compile", MLP, "--dim", "batch=1", "-o", fifo)
    check("-o a pipe: refused", r.returncode == 1 and "is not a regular file" in r.stderr,
          r.stderr)
    r = mlc("compile", MLP, "--dim", "batch=1", "-o", d)
    check("-o a folder: refused", r.returncode == 1 and "it exists and is a folder" in r.stderr,
          r.stderr)
    left = [f for f in os.listdir(d) if ".tmp-" in f]
    check("no temporary files left", not left, str(left))
    out = os.path.join(d, "again.c")
    for _ in range(2):
        r = mlc("compile", MLP, "--dim", "batch=1", "-o", out)
    check("-o over a regular file still works", r.returncode == 0, r.stderr)
    r = mlc("run", MLP, "--dim", "batch=1", "--input", "dense_input=" + fifo, "-o", d)
    check("mlc run reads no pipe as a tensor", r.returncode == 1, r.stderr)


def test_command(d):
    empty = os.path.join(d, "empty")
    os.makedirs(empty)
    r = mlc("test", empty)
    check("mlc test on an empty folder fails", r.returncode == 1 and "no test found" in r.stderr,
          f"rc={r.returncode} {r.stderr}")
    uns = os.path.join(d, "unsupported")
    os.makedirs(uns)
    x = h.make_tensor_value_info("x", TP.FLOAT, [2])
    y = h.make_tensor_value_info("y", TP.FLOAT, [2])
    test_folder(uns, "t1", model([h.make_node("Frobnicate", ["x"], ["y"])], [x], [y]),
                [np.ones(2, np.float32)], [np.ones(2, np.float32)])
    r = mlc("test", uns)
    check("mlc test where every test is unsupported fails",
          r.returncode == 1 and "no test ran: all 1 unsupported" in r.stderr,
          f"rc={r.returncode} {r.stdout} {r.stderr}")
    # a result near 0 off by float32 noise: fails at atol 1e-7, passes at --atol 1e-5
    tol = os.path.join(d, "tol")
    test_folder(tol, "near0", model([h.make_node("Identity", ["x"], ["y"])], [x], [y]),
                [np.array([1e-6, 1.0], np.float32)], [np.array([3e-6, 1.0], np.float32)])
    r = mlc("test", tol)
    check("a result off by 2e-6 near 0 fails at the default tolerance", r.returncode == 1,
          r.stdout)
    r = mlc("test", "--atol=1e-5", "--rtol", "0", tol)
    check("--atol 1e-5 passes it", r.returncode == 0 and "1 passed" in r.stdout, r.stdout)
    r = mlc("test", "--atol=-1", tol)
    check("--atol takes a number >= 0", r.returncode == 1 and "--atol" in r.stderr, r.stderr)
    # float to int4 out of range: the spec leaves it undefined; the reference's
    # value there (7 here; numpy 2.4 writes 0) is not compared, the others are
    cast = os.path.join(d, "cast")
    xi = np.array([-9, -8, 0, 7, 8, 12.5], np.float32)
    m = model([h.make_node("Cast", ["x"], ["y"], to=TP.INT4)],
              [h.make_tensor_value_info("x", TP.FLOAT, [6])],
              [h.make_tensor_value_info("y", TP.INT4, [6])])
    yi = np.array([5, -8, 0, 7, 3, 1], np.int8)  # garbage where undefined
    t = test_folder(cast, "cast_int4", m, [xi], [])
    tp = h.make_tensor("y", TP.INT4, [6], yi.tolist())
    with open(os.path.join(t, "test_data_set_0", "output_0.pb"), "wb") as f:
        f.write(tp.SerializeToString())
    r = mlc("test", cast)
    check("float to int4 out of range is not compared",
          r.returncode == 0 and "3 elements not compared" in r.stdout, r.stdout + r.stderr)
    tp = h.make_tensor("y", TP.INT4, [6], [5, -8, 1, 7, 3, 1])  # a defined element wrong
    with open(os.path.join(t, "test_data_set_0", "output_0.pb"), "wb") as f:
        f.write(tp.SerializeToString())
    r = mlc("test", cast)
    check("the defined elements still are", r.returncode == 1 and "[2] = 0" in r.stdout,
          r.stdout)


def negative_dim(d):
    neg = os.path.join(BAD, "dims", "negative_input_dim.onnx")  # x: float[2, -2]
    r = mlc("compile", neg, "--shape", "x=2x5", "-o", os.path.join(d, "neg.c"))
    check("a negative dim_value is bound by --shape", r.returncode == 0, r.stderr)
    r = mlc("compile", neg, "-o", os.path.join(d, "neg.c"))
    check("unbound, the message says it is unnamed or negative and how to bind it",
          r.returncode == 1 and "(input 'x' dim 1, unnamed or negative in the model: "
          "--shape x=DIMS binds it)" in r.stderr, r.stderr)


def info(d):
    r = mlc("info", SYM)
    check("mlc info with unbound dims prints inputs, outputs and ops",
          r.returncode == 0 and "input  x: float [batch,seq]" in r.stdout and
          "output y: float [batch,seq]" in r.stdout and "Relu" in r.stdout and
          "parameters: 0" in r.stdout and "once every dimension is bound" in r.stdout and
          "'batch'" in r.stdout, r.stdout + r.stderr)
    w = numpy_helper.from_array(np.arange(12, dtype=np.float32).reshape(3, 4), "w")
    m = model([h.make_node("Constant", [], ["w"], value=w),
               h.make_node("Constant", [], ["b"], value_floats=[1.0, 2.0, 3.0, 4.0]),
               h.make_node("MatMul", ["x", "w"], ["xw"]), h.make_node("Add", ["xw", "b"], ["y"])],
              [h.make_tensor_value_info("x", TP.FLOAT, ["n", 3])],
              [h.make_tensor_value_info("y", TP.FLOAT, ["n", 4])],
              [numpy_helper.from_array(np.zeros(2, np.float32), "unused")])
    path = os.path.join(d, "consts.onnx")
    onnx.save(m, path)
    for extra in ((), ("--dim", "n=2")):
        r = mlc("info", path, *extra)
        check(f"parameters count Constant nodes {' '.join(extra) or '(unbound)'}",
              r.returncode == 0 and "parameters: 18 (72 bytes)" in r.stdout, r.stdout + r.stderr)
    r = mlc("info", path, "--dim", "n=2")
    check("bound, info goes on to FLOPs and the arena",
          "FLOPs:" in r.stdout and "arena:" in r.stdout, r.stdout)
    # an integer product counts its operations as a float one does: a 1x1
    # QLinearConv of 2 into 3 channels over 4x4 pixels, 2 * 3 * 2 * 16
    i8 = [numpy_helper.from_array(np.array(v, np.int8), k) for k, v in
          (("z", 0), ("wq", np.ones((3, 2, 1, 1))), ("wz", 0))]
    f32 = [numpy_helper.from_array(np.array(0.5, np.float32), k) for k in ("s",)]
    m = model([h.make_node("QLinearConv", ["x", "s", "z", "wq", "s", "wz", "s", "z"], ["y"])],
              [h.make_tensor_value_info("x", TP.INT8, [1, 2, 4, 4])],
              [h.make_tensor_value_info("y", TP.INT8, [1, 3, 4, 4])], i8 + f32)
    path = os.path.join(d, "qconv.onnx")
    onnx.save(m, path)
    r = mlc("info", path)
    check("info counts an integer conv's operations", "FLOPs: 192\n" in r.stdout,
          r.stdout + r.stderr)


def if_branch(d):
    path = os.path.join(BAD, "if_runtime_branch.onnxtxt")
    r = mlc("compile", path, "-o", os.path.join(d, "if.c"))
    check("an error in an If branch names the If, the condition's input and --const",
          r.returncode == 1 and "node 'else/bad_reshape' (#1 Reshape): cannot reshape" in r.stderr
          and "in the else branch of If 'pick' (#2)" in r.stderr and
          "comes from input 'sr'" in r.stderr and "--const sr=VALUE" in r.stderr, r.stderr)
    r = mlc("compile", path, "--const", "sr=16000", "-o", os.path.join(d, "if.c"))
    check("--const sr=16000 compiles only the branch taken", r.returncode == 0, r.stderr)
    r = mlc("compile", path, "--const", "sr=1,2", "-o", os.path.join(d, "if.c"))
    check("--const with the wrong count of numbers is refused",
          r.returncode == 1 and "2 numbers given; input 'sr' has shape scalar" in r.stderr,
          r.stderr)


def version(d):
    r = mlc("--version")
    ok = r.returncode == 0 and r.stdout.startswith("mlc ")
    check("mlc --version", ok, r.stdout)
    v = r.stdout.split()[1] if ok else "?"
    out = os.path.join(d, "v.c")
    mlc("compile", MLP, "--dim", "batch=1", "-o", out)
    first = [open(p).readline() for p in (out, out[:-2] + ".h")]
    check("the generated files name the version",
          all(f"Generated by mlc {v} from" in line for line in first), str(first))


def main():
    global MLC
    MLC = os.path.join(sys.argv[1], "mlc")
    for case in (dims, outputs, test_command, negative_dim, info, if_branch, version):
        with tempfile.TemporaryDirectory() as d:
            case(d)
    passed = sum(results)
    print(f"{passed} passed, {len(results) - passed} failed")
    sys.exit(0 if passed == len(results) else 1)


if __name__ == "__main__":
    main()
