#!/usr/bin/env python3
"""The fuzz regression run, in every build: the committed crashers
(tests/fuzz/crashers), the committed corpus (tests/fuzz/corpus) and the
hostile-model corpus (tests/bad) go once each through the fuzz harness built
as a plain program (fuzz_onnx_replay, fuzz_txt_replay): every input must be
compiled or refused, with no signal and no hang. In a libFuzzer build
(-DMLC_FUZZ=ON) it then fuzzes each target for --seconds (default 30) on a
scratch copy of the corpus and fails on any crash, leak, timeout or OOM.

usage: run_corpus.py --build DIR [--seconds N]
"""
import argparse
import glob
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
BAD = os.path.join(os.path.dirname(HERE), "bad")


def inputs(front):
    ext = "onnx" if front == "onnx" else "onnxtxt"
    files = []
    for d in ("crashers", "corpus"):
        files += sorted(glob.glob(os.path.join(HERE, d, front, "*")))
    files += sorted(glob.glob(os.path.join(BAD, "**", "*." + ext), recursive=True))
    return [f for f in files if os.path.isfile(f)]


def replay(build, front):
    exe = os.path.join(build, "fuzz_%s_replay" % front)
    files = inputs(front)
    failed = 0
    for k in range(0, len(files), 200):  # one process per batch, as the fuzzer would run them
        batch = files[k:k + 200]
        try:
            r = subprocess.run([exe] + batch, capture_output=True, text=True, timeout=600)
        except subprocess.TimeoutExpired:
            print("FAIL %s replay: a batch hung (first file %s)" % (front, batch[0]))
            failed += 1
            continue
        if r.returncode != 0:
            failed += 1
            print("FAIL %s replay (exit %d) in a batch from %s:\n%s" %
                  (front, r.returncode, batch[0], r.stderr[-3000:]))
    print("%s %s: %d inputs replayed" % ("FAIL" if failed else "PASS", front, len(files)))
    return failed == 0


def fuzz(build, front, seconds):
    exe = os.path.join(build, "fuzz_" + front)
    with tempfile.TemporaryDirectory() as d:
        corpus = os.path.join(d, "corpus")
        os.makedirs(corpus)
        for f in inputs(front):
            shutil.copy(f, os.path.join(corpus, "%d" % len(os.listdir(corpus))))
        r = subprocess.run([exe, "-max_total_time=%d" % seconds, "-timeout=10", "-rss_limit_mb=2048",
                            "-malloc_limit_mb=2048", "-artifact_prefix=%s/" % d, corpus],
                           capture_output=True, text=True)
        ok = r.returncode == 0
        tail = [l for l in r.stderr.splitlines() if l.startswith("#") or "ERROR" in l or "SUMMARY" in l]
        print("%s %s: fuzzed %d s: %s" % ("PASS" if ok else "FAIL", front, seconds,
                                          tail[-1] if tail else r.stderr[-500:]))
        if not ok:
            print(r.stderr[-3000:])
            for a in glob.glob(os.path.join(d, "*-*")):
                keep = os.path.join(tempfile.gettempdir(), "mlc-" + os.path.basename(a))
                shutil.copy(a, keep)
                print("kept the input as %s" % keep)
        return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", required=True)
    ap.add_argument("--seconds", type=int, default=30)
    args = ap.parse_args()
    ok = all([replay(args.build, f) for f in ("onnx", "txt")])
    if os.path.exists(os.path.join(args.build, "fuzz_onnx")):
        ok = all([fuzz(args.build, f, args.seconds) for f in ("onnx", "txt")]) and ok
    else:
        print("no libFuzzer build in %s (cmake -DMLC_FUZZ=ON with CC=clang): replayed only" % args.build)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
