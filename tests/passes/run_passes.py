#!/usr/bin/env python3
"""Pass tests, text in and text out: each tests/passes/PASS/CASE.in.onnxtxt
is compiled at -O2 with --dump-after=PASS, and the printed graph must equal
CASE.out.onnxtxt byte for byte; each line of an optional CASE.stderr must
appear in what mlc prints on stderr (warnings). Each case then runs through
`mlc run -O0` and `mlc run -O2` on random inputs, which must agree
(o0_vs_o2.py), as must a sample of the ONNX node tests that pass and 100
random chains (random_chains.py).

--update rewrites the .out files from what mlc prints now (review the diff).

usage: run_passes.py --mlc BUILD/mlc [--update] [--filter SUBSTR] [--sample N]
                     [--random N] [--node-tests DIR]"""
import argparse
import glob
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import o0_vs_o2  # noqa: E402
import random_chains  # noqa: E402


def dump(mlc, src, pass_name, tmp):
    r = subprocess.run([mlc, "compile", src, "-o", os.path.join(tmp, "x.c"),
                        f"--dump-after={pass_name}"], capture_output=True, text=True, timeout=120)
    return r.returncode, r.stdout, r.stderr


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mlc", required=True)
    ap.add_argument("--update", action="store_true")
    ap.add_argument("--filter", default="")
    ap.add_argument("--sample", type=int, default=60, help="node tests for -O0 vs -O2")
    ap.add_argument("--random", type=int, default=100, help="random chains (random_chains.py)")
    ap.add_argument("--node-tests", default=None, help="default BUILD/onnx-tests/node")
    args = ap.parse_args()
    bad = 0
    cases = sorted(glob.glob(os.path.join(HERE, "*", "*.in.onnxtxt")))
    cases = [c for c in cases if args.filter in os.path.relpath(c, HERE)]
    jobs = []
    with tempfile.TemporaryDirectory() as tmp:
        for src in cases:
            pass_name = os.path.basename(os.path.dirname(src))
            name = os.path.relpath(src, HERE)[:-len(".in.onnxtxt")]
            expected = src[:-len(".in.onnxtxt")] + ".out.onnxtxt"
            rc, out, err = dump(args.mlc, src, pass_name, tmp)
            if rc:
                print(f"FAIL {name}: mlc exits {rc}: {err.strip()}")
                bad += 1
                continue
            if args.update:
                if not os.path.exists(expected) or open(expected).read() != out:
                    open(expected, "w").write(out)
                    print(f"UPDATED {name}")
            elif not os.path.exists(expected):
                print(f"FAIL {name}: no {os.path.relpath(expected, HERE)} (run with --update)")
                bad += 1
                continue
            elif open(expected).read() != out:
                got = os.path.join(tmp, os.path.basename(expected))
                open(got, "w").write(out)
                diff = subprocess.run(["diff", "-u", expected, got], capture_output=True,
                                      text=True).stdout
                print(f"FAIL {name}: the graph after {pass_name} differs:\n{diff}")
                bad += 1
                continue
            want = src[:-len(".in.onnxtxt")] + ".stderr"
            missing = [w for w in (open(want).read().splitlines() if os.path.exists(want) else [])
                       if w and w not in err]
            if missing:
                print(f"FAIL {name}: mlc does not say {missing[0]!r}; it says {err.strip()!r}")
                bad += 1
                continue
            print(f"PASS {name}")
            jobs.append((name, o0_vs_o2.file_model_job, (args.mlc, src)))
    node_jobs = []
    node_dir = args.node_tests or os.path.join(os.path.dirname(os.path.abspath(args.mlc)),
                                               "onnx-tests", "node")
    if args.sample and os.path.isdir(node_dir) and not args.filter:
        import random
        tests = sorted(t for t in o0_vs_o2.passing_node_tests().items()
                       if os.path.isdir(os.path.join(node_dir, t[0])))
        tests = sorted(random.Random(1).sample(tests, min(args.sample, len(tests))))
        node_jobs = [(f"node/{t}", o0_vs_o2.node_test_job,
                      (args.mlc, os.path.join(node_dir, t), fr)) for t, fr in tests]
    # every pass test must run; of the node tests, those with outputs .npy
    # cannot hold are not compared
    c = o0_vs_o2.run_all(jobs, 2, strict=True)
    n = o0_vs_o2.run_all(node_jobs, 2)
    for k in c:
        c[k] += n[k] if k != "skip" else 0
    same, wrong = random_chains.run(args.mlc, args.random if not args.filter else 0, 1)
    for path, status, msg in wrong:
        print(f"{status.upper():7} random chain {os.path.basename(path)} (random_chains.py "
              f"--seed 1 --keep DIR writes it): {msg}")
    print(f"{len(cases) - bad}/{len(cases)} pass tests print as expected; -O0 vs -O2: "
          f"{c['same']} agree, {c['differ']} differ, {c['fail']} fail at one level, "
          f"{c['skip']} do not run; random chains: {same} of {same + len(wrong)} agree")
    return 1 if bad or c["differ"] or c["fail"] or c["skip"] or wrong else 0


if __name__ == "__main__":
    sys.exit(main())
