#!/usr/bin/env python3
"""mlc in a build pipeline (docs/ci.md): the runtime ABI check in generated
code, mlc info --json, mlc test --junit, and mlc test on a target (--cc,
--cflags, --exec; qemu-aarch64 where a cross compiler and qemu-user are
installed, skipped with a reason otherwise).

usage: test_pipeline.py --mlc PATH --runtime-lib PATH"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

import numpy as np
import onnx
from onnx import TensorProto as TP
from onnx import helper as h
from onnx import numpy_helper

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RUNTIME = os.path.join(ROOT, "runtime")
MLP = os.path.join(ROOT, "models", "mlp.onnxtxt")
results = []


def mlc(*args, **kw):
    return subprocess.run([MLC, *args], capture_output=True, text=True, timeout=300, **kw)


def check(name, cond, detail=""):
    results.append(cond)
    print(f"{'PASS' if cond else 'FAIL'} {name}{'' if cond else ': ' + detail}")


def abi(d):
    """generated code names the runtime ABI it was made for and refuses
    another at compile time"""
    core = open(os.path.join(RUNTIME, "mlc_rt_core.h")).read()
    m = re.search(r"^#define MLC_RT_ABI (\d+)$", core, re.M)
    check("mlc_rt_core.h defines MLC_RT_ABI", m is not None)
    if not m:
        return
    n = int(m.group(1))
    out = os.path.join(d, "m.c")
    r = mlc("compile", MLP, "--dim", "batch=1", "-o", out)
    src = open(out).read() if r.returncode == 0 else ""
    check("the generated source checks the ABI",
          f"#if !defined(MLC_RT_ABI) || MLC_RT_ABI != {n}\n" in src, r.stderr)
    cc = ["cc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-c", out, "-o",
          os.path.join(d, "m.o")]
    r = subprocess.run(cc + ["-I" + RUNTIME], capture_output=True, text=True)
    check("it builds against this runtime", r.returncode == 0, r.stderr)
    other = os.path.join(d, "other-runtime")
    os.makedirs(other)
    for f in os.listdir(RUNTIME):
        if f.endswith(".h"):
            shutil.copy(os.path.join(RUNTIME, f), other)
    with open(os.path.join(other, "mlc_rt_core.h"), "w") as f:
        f.write(core.replace(m.group(0), f"#define MLC_RT_ABI {n + 1}"))
    r = subprocess.run(cc + ["-I" + other], capture_output=True, text=True)
    check("against a runtime of another ABI it fails, saying why",
          r.returncode != 0 and f"model was generated for mlc runtime ABI {n}" in r.stderr,
          r.stderr)


def info_json(d):
    """mlc info --json: the text form's facts, one JSON object, any name"""
    for args in (("--dim", "batch=1"), ("--dim", "batch=1", "-O0")):
        text = mlc("info", MLP, *args)
        r = mlc("info", MLP, *args, "--json")
        try:
            j = json.loads(r.stdout)
        except ValueError as e:
            check("info --json is JSON", False, f"{e}: {r.stdout!r} {r.stderr}")
            continue
        t = text.stdout
        want = {
            "model": MLP,
            "opset": int(re.search(r"^opset: (\d+)", t, re.M).group(1)),
            "inputs": [{"name": "dense_input", "type": "float", "shape": [1, 10]}],
            "parameters": {"count": 769, "bytes": 3076},
            "flops": int(re.search(r"^FLOPs: (\d+)", t, re.M).group(1)),
        }
        arena = re.search(r"^arena: (\d+) bytes \(lower bound (\d+), ratio ([\d.]+)\)", t, re.M)
        ops = dict(re.findall(r"^  (\S+) +(\d+)$", t.split("nodes after")[0], re.M))
        after = dict(re.findall(r"^  (\S+) +(\d+)$", t.split("nodes after")[1], re.M))
        ok = (r.returncode == 0 and all(j.get(k) == v for k, v in want.items()) and
              j["producer"]["name"] == "mlc seed models (Keras-style)" and
              j["arena"] == {"bytes": int(arena.group(1)), "lower_bound": int(arena.group(2)),
                             "ratio": float(arena.group(3))} and
              j["nodes"]["ops"] == {k: int(v) for k, v in ops.items()} and
              j["nodes_after_passes"]["ops"] == {k: int(v) for k, v in after.items()} and
              j["nodes_after_passes"]["count"] == sum(int(v) for v in after.values()) and
              j["opt_level"] == (0 if "-O0" in args else 2) and "unbound" not in j)
        check(f"info --json {' '.join(args)} says what the text says", ok, r.stdout + t)
    r = mlc("info", os.path.join(ROOT, "tests", "bad", "symbolic.onnxtxt"), "--json")
    j = json.loads(r.stdout) if r.returncode == 0 else {}
    check("info --json with unbound dims: symbolic dims as strings, the message, no plan",
          j.get("inputs") == [{"name": "x", "type": "float", "shape": ["batch", "seq"]}] and
          "'batch'" in j.get("unbound", "") and "--dim" in j["unbound"] and
          not {"flops", "arena", "nodes_after_passes", "opt_level"} & set(j) and
          j["nodes"] == {"count": 1, "ops": {"Relu": 1}} and j["producer"] is None,
          r.stdout + r.stderr)
    # names with quotes, backslashes, control characters, non-ASCII and
    # bytes that are not UTF-8 (placeholders of the same length replaced in
    # the serialized model)
    odd = 'q"b\\s\n\t\x01\x1f\x7f\u00fc\u2028</x>'
    bad = [b"\xff\xfe\xfd\xfc", b"\xc3\x28\x80\xbf", b"\xe2\x82\xf0\x28", b"\xed\xa0\x80\x2a",
           b"\xf0\x9f\x98\x80"]
    ph = ["QQ%02d" % i for i in range(len(bad))]
    vi = lambda n, dims: h.make_tensor_value_info(n, TP.FLOAT, dims)  # noqa: E731
    nodes = [h.make_node("Relu", [odd], [p]) for p in ph]
    m = h.make_model(h.make_graph(nodes, "g", [vi(odd, ["n\"\x02", 3])],
                                  [vi(p, ["n\"\x02", 3]) for p in ph]),
                     opset_imports=[h.make_opsetid("", 17)], producer_name="p\x03")
    m.ir_version = 8
    raw = m.SerializeToString()
    for p, b in zip(ph, bad):
        raw = raw.replace(p.encode(), b)
    path = os.path.join(d, "names.onnx")
    open(path, "wb").write(raw)
    r = subprocess.run([MLC, "info", path, "--json"], capture_output=True, timeout=60)
    try:
        j = json.loads(r.stdout.decode("utf-8"))  # strict: the output is UTF-8
    except ValueError as e:
        j = {}
        check("info --json escapes any name", False, f"{e}: {r.stdout!r} {r.stderr!r}")
    if j:
        check("info --json escapes quotes, backslashes, control characters",
              j["inputs"][0]["name"] == odd and j["inputs"][0]["shape"] == ['n"\x02', 3] and
              j["producer"]["name"] == "p\x03", repr(j))
        check("info --json replaces what is not UTF-8 as Python's decoder does",
              [o["name"] for o in j["outputs"]] == [b.decode("utf-8", "replace") for b in bad]
              and j["outputs"][-1]["name"] == "\U0001f600", repr(j["outputs"]))
        r = subprocess.run([MLC, "info", path, "--json", "--dim", 'n"\x02=2'], capture_output=True,
                           timeout=60)
        check("info --json of that model bound", r.returncode == 0 and
              json.loads(r.stdout.decode())["flops"] > 0, repr(r.stdout + r.stderr))


def test_folder(d, name, nodes, ins, outs, inits=()):
    """an ONNX backend-test folder d/name: ins and outs map names to arrays"""
    vi = lambda n, a: h.make_tensor_value_info(n, TP.FLOAT, a.shape)  # noqa: E731
    g = h.make_graph(nodes, "g", [vi(n, a) for n, a in ins.items()],
                     [vi(n, a) for n, a in outs.items()], list(inits))
    m = h.make_model(g, opset_imports=[h.make_opsetid("", 17)])
    m.ir_version = 8
    t = os.path.join(d, name)
    os.makedirs(os.path.join(t, "test_data_set_0"))
    onnx.save(m, os.path.join(t, "model.onnx"))
    for kind, arrays in (("input", ins), ("output", outs)):
        for k, (n, a) in enumerate(arrays.items()):
            with open(os.path.join(t, "test_data_set_0", f"{kind}_{k}.pb"), "wb") as f:
                f.write(numpy_helper.from_array(a, n).SerializeToString())
    return t


def cases(d):
    """a few passing tests in d"""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, 4)).astype(np.float32)
    b = rng.standard_normal((4,)).astype(np.float32)
    w = rng.standard_normal((4, 5)).astype(np.float32)
    test_folder(d, "relu", [h.make_node("Relu", ["x"], ["y"])], {"x": x},
                {"y": np.maximum(x, 0)})
    test_folder(d, "add_broadcast", [h.make_node("Add", ["x", "b"], ["y"])], {"x": x, "b": b},
                {"y": x + b})
    test_folder(d, "matmul_weights", [h.make_node("MatMul", ["x", "w"], ["y"])], {"x": x},
                {"y": x @ w}, [numpy_helper.from_array(w, "w")])
    e = np.exp(x - x.max(-1, keepdims=True))
    test_folder(d, "softmax", [h.make_node("Softmax", ["x"], ["y"])], {"x": x},
                {"y": e / e.sum(-1, keepdims=True)})
    return 4


def junit(d):
    """mlc test --junit: XML that CI servers read, escaped, all or nothing"""
    one = np.ones(2, np.float32)
    suite = os.path.join(d, "suite")
    test_folder(suite, "ok", [h.make_node("Relu", ["x"], ["y"])], {"x": one}, {"y": one})
    odd = "odd <&\"'> \x01"
    test_folder(suite, odd, [h.make_node("Frobnicate", ["x"], ["y"])], {"x": one}, {"y": one})
    xml, status = os.path.join(d, "results.xml"), os.path.join(d, "status.txt")
    r = mlc("test", suite, "--junit", xml, f"--status={status}")
    try:
        root = ET.parse(xml).getroot()
    except (OSError, ET.ParseError) as e:
        check("--junit writes XML", False, f"{e} {r.stdout} {r.stderr}")
        return
    tcs = root.findall("testcase")
    by = {t.get("name"): t for t in tcs}
    oddx = odd.replace("\x01", "\ufffd")  # XML 1.0 has no control characters
    check("--junit: a testsuite with the counts, a testcase per test named after its folder",
          r.returncode == 0 and root.tag == "testsuite" and root.get("tests") == "2" and
          root.get("failures") == "0" and root.get("skipped") == "1" and
          sorted(by) == sorted(["ok", oddx]) and all(t.get("classname") == "suite" for t in tcs),
          ET.tostring(root, encoding="unicode"))
    sk = by.get(oddx)
    check("--junit: <skipped message> for UNSUPPORTED, escaped",
          sk is not None and len(by["ok"]) == 0 and sk.find("skipped") is not None and
          "Frobnicate" in sk.find("skipped").get("message"), ET.tostring(root, encoding="unicode"))
    # a failing test: <failure message>, and the file written whole with --status
    test_folder(suite, "wrong", [h.make_node("Relu", ["x"], ["y"])], {"x": one},
                {"y": one * 2})
    r = mlc("test", suite, f"--junit={xml}")
    root = ET.parse(xml).getroot()
    fl = [t for t in root.findall("testcase") if t.get("name") == "wrong"]
    check("--junit: <failure message> for FAIL",
          r.returncode == 1 and root.get("failures") == "1" and root.get("tests") == "3" and
          fl and "expected 2" in fl[0].find("failure").get("message"),
          ET.tostring(root, encoding="unicode"))
    os.remove(xml)
    os.remove(status)
    r = mlc("test", suite, "--status", status, "--junit", os.path.join(d, "no", "such", "r.xml"))
    check("--junit where it cannot write: an error, and no --status file either",
          r.returncode == 1 and not os.path.exists(status) and
          not [f for f in os.listdir(d) if ".tmp" in f], r.stderr + str(os.listdir(d)))


def target(d):
    """mlc test on a target: --cc, --cflags, --exec, --runtime-lib,
    --runtime-include; under qemu-aarch64 where it is installed"""
    other = os.path.join(d, "abi-runtime")
    d = os.path.join(d, "cases")
    n = cases(d)
    r = mlc("test", "-j2", "--exec", "env", d)
    check("--exec env (a trivial wrapper) runs the programs", r.returncode == 0 and
          f"{n} passed" in r.stdout, r.stdout + r.stderr)
    r = mlc("test", "--mode=c", "--exec=false", os.path.join(d, "relu"))
    check("--exec is what runs them", r.returncode == 1 and "generated program failed" in r.stdout,
          r.stdout + r.stderr)
    r = mlc("test", "--mode=c", "--cflags=-O2 -DNDEBUG", os.path.join(d, "relu"))
    check("--cflags adds flags", r.returncode == 0, r.stdout + r.stderr)
    r = mlc("test", "--mode=c", "--cflags", "-include /no/such/header.h", os.path.join(d, "relu"))
    check("--cflags reaches the compiler", r.returncode == 1 and "did not build" in r.stdout,
          r.stdout + r.stderr)
    r = mlc("test", "--mode=c", "--runtime-lib", RTLIB, os.path.join(d, "relu"))
    check("--runtime-lib links that runtime", r.returncode == 0, r.stdout + r.stderr)
    r = mlc("test", "--mode=c", "--runtime-lib", "/no/such/libmlc_rt.a", os.path.join(d, "relu"))
    check("--runtime-lib is what links", r.returncode == 1 and "did not build" in r.stdout,
          r.stdout + r.stderr)
    # headers of another ABI: the build log says so
    os.makedirs(other)
    core = open(os.path.join(RUNTIME, "mlc_rt_core.h")).read()
    for f in os.listdir(RUNTIME):
        if f.endswith(".h"):
            shutil.copy(os.path.join(RUNTIME, f), other)
    with open(os.path.join(other, "mlc_rt_core.h"), "w") as f:
        f.write(re.sub(r"#define MLC_RT_ABI \d+", "#define MLC_RT_ABI 999", core))
    r = mlc("test", "--mode=c", "--runtime-include", other, os.path.join(d, "relu"))
    logs = [open(os.path.join(k, "build.log")).read()
            for k in re.findall(r"see (\S+)/build.log", r.stdout)]
    check("--runtime-include: headers of another ABI stop the build",
          r.returncode == 1 and logs and "was generated for mlc runtime ABI" in logs[0],
          r.stdout + "".join(logs))
    if shutil.which("clang"):
        r = mlc("test", "-j2", "--cc", "clang", d)
        check("--cc clang builds the runtime and the tests with clang",
              r.returncode == 0 and f"{n} passed" in r.stdout, r.stdout + r.stderr)
        r = mlc("test", "--mode=c", "--cc", "clang", "--cflags=-DNDEBUG", "--cflags",
                "-include /no/such.h", os.path.join(d, "relu"))
        check("--cc: a runtime that does not build is an error naming its log",
              r.returncode == 1 and "the runtime did not build with --cc clang" in r.stderr,
              r.stdout + r.stderr)
    else:
        print("SKIP --cc clang: clang is not installed")
    cross, qemu = shutil.which("aarch64-linux-gnu-gcc"), shutil.which("qemu-aarch64")
    sysroot = "/usr/aarch64-linux-gnu"
    if cross and qemu and os.path.isdir(sysroot):
        r = mlc("test", "-j2", "--mode=c", "--cc", cross, "--exec", f"{qemu} -L {sysroot}", d)
        check(f"the tests built for aarch64 pass under qemu-aarch64 ({n} tests)",
              r.returncode == 0 and f"{n} passed" in r.stdout, r.stdout + r.stderr)
    else:
        print("SKIP aarch64 under qemu: needs aarch64-linux-gnu-gcc, qemu-aarch64 and " + sysroot
              + " (apt-get install gcc-aarch64-linux-gnu qemu-user)")


def main():
    global MLC, RTLIB
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mlc", required=True)
    ap.add_argument("--runtime-lib", required=True)
    args = ap.parse_args()
    MLC, RTLIB = args.mlc, args.runtime_lib
    # what mlc test keeps for a look (a build that failed) goes in here too
    work = tempfile.mkdtemp(prefix="mlc-pipeline-")
    os.environ["TMPDIR"] = work
    try:
        for case in (abi, info_json, junit, target):
            with tempfile.TemporaryDirectory(dir=work) as d:
                case(d)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    passed = sum(results)
    print(f"{passed} passed, {len(results) - passed} failed")
    sys.exit(0 if passed == len(results) else 1)


if __name__ == "__main__":
    main()
