#!/usr/bin/env python3
"""The text form (compiler/txt_*.c), through `mlc convert`:

1. each tests/txt/NAME.onnxtxt re-prints as NAME.expected, and the re-print
   re-prints unchanged (read -> write -> read -> write is byte-stable);
   onnx's own parser reads every re-print;
2. bad texts fail with exit status 1, a LINE:COL message and no output file;
3. with --node-tests DIR (and the onnx package): every model there, printed by
   onnx.printer.to_text, reads and re-prints byte-identically, unless mlc
   rejects it (types it does not support); any crash or difference fails.

usage: test_txt.py --mlc BUILD/mlc [--node-tests DIR]"""
import argparse
import glob
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
HEAD = '<ir_version: 8, opset_import: ["" : 18]>\n'

# (text, what the message must contain)
BAD = [
    (HEAD + 'g (float[2] x) => (float[2] y) {\n  y = Relu (x\n}\n',
     "4:1: expected ')' after the node inputs, found '}'"),
    (HEAD + 'g (float[2] x) => (float[2] y) {\n  y = Relu (z)\n}\n',
     "3:13: input 'z' is not produced by any node, graph input or initializer"),
    (HEAD + 'g (float[2] x) => (float[2] y) {\n  y = Relu (x)\n  y = Relu (x)\n}\n',
     "4:3: 'y' is defined twice"),
    (HEAD + 'g (float[2] x) => (float[2] q) {\n  y = Relu (x)\n}\n',
     "2:29: graph output 'q' is not produced"),
    (HEAD + 'g (float[2] x) => (float[2] y) <float[3] w = {1, 2}> {\n  y = Relu (x)\n}\n',
     "2:51: the tensor needs 3 values but has only 2"),
    (HEAD + 'g (float[2] x) => (float[2] y) <int8[1] w = {300}> {\n  y = Relu (x)\n}\n',
     "2:46: 300 is out of the range of int8"),
    (HEAD + 'g (float[2] x) => (float[2] y) <float[1] w = {1e40}> {\n  y = Relu (x)\n}\n',
     "out of the range of float"),
    (HEAD + 'g (float[2] x) => (float[2] y) <float[99999999999] w = {1}> {\n y = Relu (x)\n}\n',
     "more than the text can hold"),
    (HEAD + 'g (float[1,2,3,4,5,6,7,8,9] x) => (float[2] y) {\n  y = Relu (x)\n}\n',
     "more than 8 dimensions"),
    (HEAD + 'g (float[2] x) => (float[2] y) {\n  y = Relu <a: ints = 3> (x)\n}\n',
     "3:23: expected '['"),
    (HEAD + 'g (float[2] x) => (float[2] y) {\n  y = foo.Relu (x)\n}\n',
     "the node's domain 'foo' is not imported"),
    (HEAD + 'g (seq(float) x) => (float[2] y) {\n  y = Relu (x)\n}\n',
     "graph input 'x' has a seq, map, optional or sparse_tensor type"),
    (HEAD + 'g (float[2] x) => (float[2] y) {\n  y = Relu (x) "open\n}\n',
     "3:16: unterminated string"),
    ('g (float[2] x) => (float[2] y) {\n  y = Relu (x)\n}\n',
     "the model imports no operator set"),
    (HEAD + 'g (bool c) => (float y) {\n  y = If (c) <then_branch: graph = ' +
     'a () => (float o) { o = If (c) <then_branch: graph = ' * 33 + 'x',
     "subgraphs nested deeper than 32 levels"),
    ('\x00\xff', "1:1: unexpected character"),
]


def convert(mlc, src, dst):
    return subprocess.run([mlc, "convert", src, "-o", dst], capture_output=True, text=True)


def check_samples(mlc, tmp):
    bad = 0
    for src in sorted(glob.glob(os.path.join(HERE, "*.onnxtxt"))):
        name = os.path.basename(src)[:-len(".onnxtxt")]
        out1, out2 = os.path.join(tmp, name + ".1.onnxtxt"), os.path.join(tmp, name + ".2.onnxtxt")
        r = convert(mlc, src, out1)
        if r.returncode:
            print(f"FAIL {name}: {r.stderr.strip()}")
            bad += 1
            continue
        text = open(out1).read()
        if text != open(os.path.join(HERE, name + ".expected")).read():
            print(f"FAIL {name}: re-print differs from {name}.expected (see {out1})")
            bad += 1
            continue
        r = convert(mlc, out1, out2)
        if r.returncode or open(out2).read() != text:
            print(f"FAIL {name}: the re-print does not re-print unchanged")
            bad += 1
            continue
        try:
            import onnx.parser
            onnx.parser.parse_model(text)
        except ImportError:
            pass
        except Exception as e:  # noqa: BLE001 - any parse error is a failure
            print(f"FAIL {name}: onnx.parser rejects the re-print: {e}")
            bad += 1
            continue
        print(f"ok   {name}")
    return bad


def check_bad(mlc, tmp):
    bad = 0
    for i, (text, want) in enumerate(BAD):
        src, dst = os.path.join(tmp, f"bad{i}.onnxtxt"), os.path.join(tmp, f"bad{i}.out.onnxtxt")
        with open(src, "w", encoding="latin-1") as f:
            f.write(text)
        r = convert(mlc, src, dst)
        if r.returncode != 1 or want not in r.stderr or os.path.exists(dst):
            print(f"FAIL bad{i}: status {r.returncode}, wanted '{want}' in: {r.stderr.strip()}")
            bad += 1
    print(f"bad texts: {len(BAD) - bad}/{len(BAD)} rejected as expected")
    return bad


def check_node_tests(mlc, root, tmp):
    try:
        import onnx
        import onnx.printer
    except ImportError:
        print("node tests: skipped (no onnx package)")
        return 0
    same = rejected = 0
    bad = 0
    src, dst = os.path.join(tmp, "node.onnxtxt"), os.path.join(tmp, "node.out.onnxtxt")
    for path in sorted(glob.glob(os.path.join(root, "*", "model.onnx"))):
        name = os.path.basename(os.path.dirname(path))
        text = onnx.printer.to_text(onnx.load(path)) + "\n"
        with open(src, "w") as f:
            f.write(text)
        if os.path.exists(dst):
            os.remove(dst)
        r = convert(mlc, src, dst)
        if r.returncode == 1 and ("mlc does not support" in r.stderr or
                                  "not supported by mlc" in r.stderr):
            rejected += 1
        elif r.returncode:
            print(f"FAIL {name}: status {r.returncode}: {r.stderr.strip()}")
            bad += 1
        elif open(dst).read() != text:
            print(f"FAIL {name}: the re-print differs from onnx.printer's text")
            bad += 1
        else:
            same += 1
    print(f"node tests: {same} re-printed identically, {rejected} rejected (unsupported "
          f"types), {bad} failed")
    return bad


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mlc", required=True)
    ap.add_argument("--node-tests", default=None)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        bad = check_samples(args.mlc, tmp) + check_bad(args.mlc, tmp)
        if args.node_tests:
            bad += check_node_tests(args.mlc, args.node_tests, tmp)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
