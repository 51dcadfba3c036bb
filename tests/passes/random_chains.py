#!/usr/bin/env python3
"""Random chains for the passes: Transposes by random permutations between
elementwise ops with constants of every broadcastable shape (so Transposes
sink, meet and cancel, and constants get transposed), BatchNormalization
after Conv, Gemm, MatMul or nothing (bnfold, bnsplit), MatMul with constant
weights, and the exporter spellings of GELU, SiLU and softmax (patterns).
Each graph runs at -O0 and -O2 (o0_vs_o2.py), which must agree.

usage: random_chains.py --mlc BUILD/mlc [-n N] [--seed S] [--keep DIR]"""
import argparse
import os
import random
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import o0_vs_o2  # noqa: E402


class Chain:
    def __init__(self, rng):
        self.rng = rng
        self.rank = rng.choice([2, 3, 4])
        self.dims = [rng.choice([1, 2, 3]) for _ in range(self.rank)]
        self.shape = list(self.dims)
        self.inits, self.nodes = [], []
        self.cur, self.k = "x", 0

    def const(self, dims, lo=-2.0, hi=2.0):
        self.k += 1
        name = f"c{self.k}"
        n = 1
        for d in dims:
            n *= d
        vals = ", ".join(str(round(self.rng.uniform(lo, hi), 3)) for _ in range(n))
        self.inits.append(f"float[{','.join(map(str, dims))}] {name} = {{{vals}}}"
                          if dims else f"float {name} = {{{vals}}}")
        return name

    def scalar(self, value, dtype="float"):
        self.k += 1
        self.inits.append(f"{dtype} c{self.k} = {{{value}}}")
        return f"c{self.k}"

    def emit(self, text):
        self.k += 1
        v = f"v{self.k}"
        self.nodes.append(f"{v} = {text}")
        self.cur = v
        return v

    # ---- steps -----------------------------------------------------------------
    def transpose(self):
        p = list(range(len(self.shape)))
        self.rng.shuffle(p)
        self.emit(f"Transpose <perm: ints = [{', '.join(map(str, p))}]> ({self.cur})")
        self.shape = [self.shape[j] for j in p]

    def unary(self):
        op = self.rng.choice(["Relu", "Neg", "Tanh", "Sigmoid", "Abs", "Softsign"])
        self.emit(f"{op} ({self.cur})")

    def binary(self):
        op = self.rng.choice(["Add", "Mul", "Sub", "Div", "Max"])
        r = self.rng.randint(0, len(self.shape))
        c = self.const([self.rng.choice([1, s]) for s in self.shape[len(self.shape) - r:]],
                       0.5 if op == "Div" else -2.0, 2.0)
        a, b = (self.cur, c) if op == "Div" or self.rng.random() < 0.6 else (c, self.cur)
        self.emit(f"{op} ({a}, {b})")

    def batchnorm(self):
        if len(self.shape) < 2:
            return
        ch = self.shape[1]
        kind = self.rng.choice(["none", "conv", "gemm", "matmul"])
        if kind == "conv" and len(self.shape) >= 3:
            m = self.rng.choice([1, 2, 3])
            w = self.const([m, ch] + [1] * (len(self.shape) - 2))
            bias = f", {self.const([m])}" if self.rng.random() < 0.5 else ""
            self.emit(f"Conv ({self.cur}, {w}{bias})")
            self.shape[1] = ch = m
        elif kind in ("gemm", "matmul") and len(self.shape) == 2:
            m = self.rng.choice([1, 2, 3])
            w = self.const([self.shape[1], m])
            if kind == "gemm":
                self.emit(f"Gemm ({self.cur}, {w}, {self.const([m])})")
            else:
                self.emit(f"MatMul ({self.cur}, {w})")
            self.shape[1] = ch = m
        params = [self.const([ch], 0.5, 2.0) for _ in range(4)]
        self.emit(f"BatchNormalization ({self.cur}, {', '.join(params)})")

    def matmul(self):
        m = self.rng.choice([1, 2, 3])
        w = self.const([self.shape[-1], m])
        self.emit(f"MatMul ({self.cur}, {w})")
        self.shape[-1] = m

    def pattern(self):
        x = self.cur
        kind = self.rng.choice(["gelu", "silu", "softmax"])
        if kind == "gelu":
            d = self.emit(f"Div ({x}, {self.scalar(1.4142135)})")
            e = self.emit(f"Erf ({d})")
            a = self.emit(f"Add ({e}, {self.scalar(1)})")
            m = self.emit(f"Mul ({x}, {a})")
            self.emit(f"Mul ({m}, {self.scalar(0.5)})")
        elif kind == "silu":
            s = self.emit(f"Sigmoid ({x})")
            self.emit(f"Mul ({s}, {x})")
        else:
            axis = self.rng.randrange(len(self.shape))
            mx = self.emit(f"ReduceMax <axes: ints = [{axis}], keepdims: int = 1> ({x})")
            s = self.emit(f"Sub ({x}, {mx})")
            e = self.emit(f"Exp ({s})")
            k = self.scalar(axis, "int64[1]")
            r = self.emit(f"ReduceSum <keepdims: int = 1> ({e}, {k})")
            self.emit(f"Div ({e}, {r})")

    def text(self):
        steps = [self.transpose] * 3 + [self.unary] * 2 + [self.binary] * 3 + \
            [self.batchnorm, self.matmul, self.pattern]
        for _ in range(self.rng.randint(3, 9)):
            self.rng.choice(steps)()
        return (f'<ir_version: 8, opset_import: ["" : 17]>\n'
                f'g (float[{",".join(map(str, self.dims))}] x) => '
                f'(float[{",".join(map(str, self.shape))}] y)\n' +
                (f"<{', '.join(self.inits)}>\n" if self.inits else "") +
                "{\n" + "".join(f"  {n}\n" for n in self.nodes) +
                f"  y = Identity ({self.cur})\n}}\n")


def run(mlc, n, seed, keep=None):
    """(graphs that agree, list of (path, status, message) that do not)"""
    rng = random.Random(seed)
    bad, same = [], 0
    with tempfile.TemporaryDirectory(prefix="mlc-chains-") as tmp:
        for i in range(n):
            path = os.path.join(keep or tmp, f"chain_{seed}_{i}.onnxtxt")
            open(path, "w").write(Chain(rng).text())
            status, msg = o0_vs_o2.file_model_job(mlc, path)
            if status == "same":
                same += 1
            else:
                bad.append((path, status, msg))
    return same, bad


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mlc", required=True)
    ap.add_argument("-n", type=int, default=100)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep", default=None, help="write the graphs to DIR")
    args = ap.parse_args()
    same, bad = run(args.mlc, args.n, args.seed, args.keep)
    for path, status, msg in bad:
        print(f"{status.upper()} {path}: {msg}")
    print(f"random chains: {same} of {args.n} agree at -O0 and -O2")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
