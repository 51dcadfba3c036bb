#!/usr/bin/env python3
"""Moves the exact pins of scripts/requirements.txt to the newest versions
PyPI serves (with --zoo, also those of scripts/requirements-zoo.txt, resolved
against the new test set), then refreshes .venv, rebuilds mlc and rewrites
the conformance table (tests/conformance/status.txt) with the new onnx's
node tests. Review `git diff` afterwards: a test that passed and now fails
is printed as a REGRESSION and must be fixed (or its reason understood)
before the new pins are committed.

usage: python3 scripts/bump-pins.py [--zoo]"""
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORE = os.path.join(ROOT, "scripts", "requirements.txt")
ZOO = os.path.join(ROOT, "scripts", "requirements-zoo.txt")
MARK = "# --- what they need"


def norm(name):
    return name.lower().replace("_", "-")


def split(path):
    """(the lines before the first pin, the top-level package names, the
    marker line) of a lock file: its top-level pins come first, then the
    marker, then what they need"""
    head, tops, mark = [], [], None
    for line in open(path):
        line = line.rstrip("\n")
        if line.startswith(MARK):
            mark = line
            break
        if "==" in line:
            tops.append(line.split("==")[0])
        elif not tops:
            head.append(line)
    return head, tops, mark


def resolve(venv, args):
    """pip-installs args into a new venv; its `pip freeze` lines"""
    subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    pip = [os.path.join(venv, "bin", "python3"), "-m", "pip"]
    subprocess.run(pip + ["install", "-q", "--disable-pip-version-check"] + args, check=True)
    out = subprocess.run(pip + ["freeze"], check=True, capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if "==" in line]


def write(path, frozen, skip=()):
    """rewrites the lock file at path with the versions pip froze, leaving
    out the names in skip (pinned by the file it includes)"""
    head, tops, mark = split(path)
    pins = {norm(line.split("==")[0]): line for line in frozen}
    top_lines = [pins[norm(t)] for t in tops]
    rest = sorted((line for k, line in pins.items()
                   if k not in {norm(t) for t in tops} and k not in skip), key=str.lower)
    with open(path, "w") as f:
        f.write("\n".join(head + top_lines + [mark] + rest) + "\n")
    print(f"wrote {os.path.relpath(path, ROOT)}: " + ", ".join(top_lines))


def main():
    zoo = "--zoo" in sys.argv[1:]
    if any(a not in ("--zoo",) for a in sys.argv[1:]):
        sys.exit(__doc__)
    with tempfile.TemporaryDirectory() as tmp:
        write(CORE, resolve(os.path.join(tmp, "core"), split(CORE)[1]))
        if zoo:
            core = {norm(line.split("==")[0]) for line in open(CORE) if "==" in line}
            write(ZOO, resolve(os.path.join(tmp, "zoo"), ["-r", CORE] + split(ZOO)[1]), core)
    env = dict(os.environ, MLC_SETUP_ZOO="1" if zoo else "0")
    subprocess.run(["bash", "scripts/setup.sh"], cwd=ROOT, env=env, check=True)
    subprocess.run(["bash", "scripts/build.sh"], cwd=ROOT, check=True)
    r = subprocess.run([os.path.join(ROOT, ".venv", "bin", "python3"),
                        os.path.join(ROOT, "tests", "conformance", "run.py"),
                        "--mlc", os.path.join(ROOT, "build", "mlc"), "--update"], cwd=ROOT)
    print("conformance table rewritten; see `git diff tests/conformance/status.txt`" +
          ("" if r.returncode == 0 else " (it lists REGRESSIONs above: fix them first)"))
    sys.exit(r.returncode)


if __name__ == "__main__":
    main()
