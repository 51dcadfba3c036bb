#!/usr/bin/env python3
"""Hostile names end to end: models whose node, tensor, graph and model names,
doc strings and producer fields hold comment ends, newlines, a trailing
backslash, trigraphs, quotes, printf formats, NUL bytes, invalid UTF-8, C
keywords, reserved identifiers, the generated code's own names, and names
that collide once sanitized. Each model

  - compiles, and the generated C builds with gcc and with clang
    (-std=c99 -Wall -Wextra -Werror -pedantic), weights inline and in a file;
  - defines no global symbol but the entry points, and once preprocessed
    (comments gone, string literals dropped) holds no token the names tried
    to inject;
  - computes what onnxruntime computes, through the interpreter and the
    generated C (`mlc test`, once per compiler).

usage: hostile_names.py --mlc PATH [--test-cc CC,CC] [--keep DIR]
(--test-cc: the compilers `mlc test` builds with, default gcc,clang; a
sanitizer build of mlc links with its own compiler only)
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto as TP
from onnx import helper as h
from onnx import numpy_helper as nh

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CFLAGS = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic"]

# Each tries to end a comment or a string, start a preprocessor line, splice
# a line, form a trigraph, or define a symbol (evil*: no such token may
# survive preprocessing outside a string).
INJECT = [
    "x*/ int evil_a; /*",
    "*/ int evil_b(void) { return 1; } /*",
    "\n#error evil_c\n",
    "\r\n#define model_run evil_d\r\n",
    "trailing\\",
    "??/\nint evil_e;",
    "\"; int evil_f; const char *s = \"",
    "'evil_g'",
    "%s%s%s%n%p%x",
    "/* nested */ evil_h */",
]
# C keywords, reserved identifiers and the generated code's own names
KEYWORDS = ["int", "return", "static", "main", "_Bool", "__reserved", "_Upper", "A", "p", "io",
            "x0", "y", "o", "i0", "weights", "arena_storage", "model_run", "NULL", "memcpy"]
# equal once non-identifier characters are replaced by '_' (or hex-escaped)
COLLIDE = ["a.b", "a_b", "a__b", "a_2eb", "a-b", "a b", "a\u00e9b", "a\U0001F600b"]


def vi(name, t=TP.FLOAT, shape=(2, 4)):
    return h.make_tensor_value_info(name, t, list(shape))


def chain_model(names, inputs, outputs, doc):
    """x -> a chain of elementwise ops, kernels and views, every value and
    node named from `names`; two inputs, three outputs (one a constant)"""
    used = set(inputs) | set(outputs)
    pool = [n for n in names if n not in used]

    def nxt():
        """the next name not used yet; variants once the list runs out"""
        k = 0
        while True:
            for n in pool:
                cand = n if k == 0 else "%s%d" % (n, k)
                if cand not in used:
                    used.add(cand)
                    return cand
            k += 1
    rng = np.random.RandomState(0)
    nodes, inits = [], []
    x0, x1 = inputs
    w = nxt()
    inits.append(nh.from_array(rng.randn(4, 4).astype(np.float32), w))
    b = nxt()
    inits.append(nh.from_array(rng.randn(4).astype(np.float32), b))
    cur = x0
    for op in ("MatMul", "Add", "Relu", "Mul", "Sigmoid", "Softmax", "Transpose", "Reshape",
               "Concat", "Tanh"):
        out = nxt()
        if op == "MatMul":
            nodes.append(h.make_node(op, [cur, w], [out], name=nxt(), doc_string=doc))
        elif op == "Add":
            nodes.append(h.make_node(op, [cur, b], [out], name=nxt(), doc_string=doc))
        elif op == "Mul":
            nodes.append(h.make_node(op, [cur, x1], [out], name=nxt()))
        elif op == "Softmax":
            nodes.append(h.make_node(op, [cur], [out], name=nxt(), axis=-1))
        elif op == "Transpose":
            nodes.append(h.make_node(op, [cur], [out], name=nxt(), perm=[1, 0]))
        elif op == "Reshape":
            s = nxt()
            inits.append(nh.from_array(np.array([2, 4], np.int64), s))
            nodes.append(h.make_node(op, [cur, s], [out], name=nxt()))
        elif op == "Concat":
            nodes.append(h.make_node(op, [cur, x0], [out], name=nxt(), axis=0))
        else:
            nodes.append(h.make_node(op, [cur], [out], name=nxt()))
        cur = out
    y0, y1, y2 = outputs
    nodes.append(h.make_node("Identity", [cur], [y0], name=nxt()))
    nodes.append(h.make_node("Relu", [x1], [y1], name=nxt()))
    c = nxt()
    inits.append(nh.from_array(np.arange(3, dtype=np.float32), c))
    nodes.append(h.make_node("Identity", [c], [y2], name=nxt()))
    g = h.make_graph(nodes, doc, [vi(x0), vi(x1)],
                     [vi(y0, shape=(4, 4)), vi(y1), vi(y2, shape=(3,))], inits, doc_string=doc)
    m = h.make_model(g, opset_imports=[h.make_opsetid("", 17)], producer_name=doc,
                     producer_version=doc, doc_string=doc, domain="evil*/")
    m.ir_version = 8
    m.metadata_props.add(key=doc, value=doc)
    return m


def models():
    names = INJECT + KEYWORDS + COLLIDE + ["n" * 5000, "\u00fcber", "t\x00one", "t\x00two"]
    out = {}
    out["inject"] = chain_model(names, [INJECT[0], INJECT[2]], [INJECT[1], INJECT[5], INJECT[3]],
                                "*/ ??/ \\\n#error evil_doc")
    out["keywords"] = chain_model(KEYWORDS + COLLIDE, ["int", "a.b"], ["return", "a_b", "a__b"],
                                  "int main(void) { return evil_k; }")
    out["collide"] = chain_model(COLLIDE + KEYWORDS, ["a.b", "a_b"], ["a__b", "a_2eb", "a-b"], "c")
    out["nul"] = chain_model(["t\x00one", "t\x00two", "t\x00", "t"] + KEYWORDS, ["x\x00in", "x"],
                             ["y\x00a", "y\x00b", "y"], "nul\x00doc")
    # invalid UTF-8: placeholders of the same length, replaced in the bytes
    bad = [b"\xff\xfe\xfd\xfc", b"\xc3\x28\x80\xbf", b"\xe2\x82\xf0\x28", b"\xed\xa0\x80\x2a"]
    ph = ["QQ%02d" % i for i in range(len(bad))]
    m = chain_model(ph + KEYWORDS, ["in0", "in1"], ["out0", "out1", "out2"], "QQ00 doc")
    raw = m.SerializeToString()
    for p, b in zip(ph, bad):
        raw = raw.replace(p.encode(), b)
    out["utf8"] = raw
    return out


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, **kw)


def strip_strings(src):
    return re.sub(r'"(\\.|[^"\\])*"', '""', src)


def check_model(mlc, name, raw, work, results, test_cc):
    d = os.path.join(work, name)
    os.makedirs(os.path.join(d, "test_data_set_0"))
    path = os.path.join(d, "model.onnx")
    with open(path, "wb") as f:
        f.write(raw)
    sess = ort.InferenceSession(path)
    rng = np.random.RandomState(1)
    feeds = {}
    for k, i in enumerate(sess.get_inputs()):
        x = rng.randn(2, 4).astype(np.float32)
        feeds[i.name] = x
        with open(os.path.join(d, "test_data_set_0", "input_%d.pb" % k), "wb") as f:
            f.write(nh.from_array(x, "in%d" % k).SerializeToString())
    for k, y in enumerate(sess.run(None, feeds)):
        with open(os.path.join(d, "test_data_set_0", "output_%d.pb" % k), "wb") as f:
            f.write(nh.from_array(y, "out%d" % k).SerializeToString())

    def report(what, ok, detail=""):
        results.append(ok)
        print("%s %s: %s%s" % ("PASS" if ok else "FAIL", name, what, "" if ok else ": " + detail[-2000:]))

    for cc in test_cc:
        r = run([mlc, "test", d], env=dict(os.environ, MLC_CC=cc), text=True)
        report("mlc test with %s" % cc, r.returncode == 0 and "1 passed" in r.stdout, r.stdout + r.stderr)
    for weights in ("inline", "file"):
        c = os.path.join(d, "w_" + weights, "m.c")
        os.makedirs(os.path.dirname(c))
        r = run([mlc, "compile", path, "-o", c, "--weights=" + weights], text=True)
        if r.returncode:
            report("compile --weights=%s" % weights, False, r.stderr)
            continue
        for cc in ("gcc", "clang"):
            obj = c[:-2] + "_" + cc + ".o"
            r = run([cc, *CFLAGS, "-I" + os.path.join(ROOT, "runtime"), "-c", c, "-o", obj], text=True)
            report("--weights=%s builds with %s" % (weights, cc), r.returncode == 0, r.stderr)
            if r.returncode:
                continue
            syms = run(["nm", "-g", "--defined-only", obj], text=True).stdout.split()
            glob = sorted(s for s in syms[2::3])
            want = ["model_run", "model_run_with_arena"] + (["model_load_weights"] if weights == "file" else [])
            report("--weights=%s global symbols" % weights, sorted(want) == glob, str(glob))
        pre = run(["gcc", "-std=c99", "-E", "-P", "-I" + os.path.join(ROOT, "runtime"), c],
                  text=True, errors="replace").stdout
        pre = strip_strings(pre)
        hits = sorted(set(re.findall(r"(?<![A-Za-z0-9_])evil\w*", pre)))
        report("--weights=%s nothing injected" % weights, not hits, str(hits))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mlc", required=True)
    ap.add_argument("--keep", help="keep the models and generated code in this folder")
    ap.add_argument("--test-cc", default="gcc,clang")
    args = ap.parse_args()
    work = args.keep or tempfile.mkdtemp(prefix="mlc-names-")
    if args.keep and os.path.exists(work):
        shutil.rmtree(work)
    results = []
    try:
        for name, m in models().items():
            raw = m if isinstance(m, bytes) else m.SerializeToString()
            check_model(args.mlc, name, raw, work, results, args.test_cc.split(","))
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print("%d passed, %d failed" % (sum(results), len(results) - sum(results)))
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
