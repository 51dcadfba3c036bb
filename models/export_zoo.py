#!/usr/bin/env python3
"""Exports the model zoo: real architectures from several frameworks with
random weights and fixed seeds (nothing is downloaded), fixed shapes, batch
1, as ONNX files OUT/NAME.onnx (default build/zoo). Files that exist are
kept unless their script (or models/zoo/common.py) is newer. One script per
framework in models/zoo/ defines FRAMEWORK and MODELS (name -> function
writing the file); each framework's exports run in a child process, so that
torch, TensorFlow and JAX never share one, and a framework whose packages
are missing is skipped with the reason.

Prints one line per model: `exported|cached NAME FILE (FRAMEWORK)`,
`skipped NAME: no module 'X'` or `FAILED NAME: error`. Exits 1 if an export
failed (not for missing packages).

usage: export_zoo.py [--out OUT] [--list] [NAME...]   (default: all models)"""
import argparse
import importlib
import os
import sys
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DEFAULT_OUT = os.path.join(ROOT, "build", "zoo")
SCRIPTS = ("torchvision_models", "hf_models", "torch_rnn", "tabular", "kws", "keras_models",
           "jax_models", "sklearn_models")
sys.path.insert(0, os.path.join(HERE, "zoo"))


def catalog():
    """[(name, script, framework)] in export order; importing a script
    imports no framework (they import theirs when exporting)."""
    out = []
    for s in SCRIPTS:
        mod = importlib.import_module(s)
        out += [(n, s, mod.FRAMEWORK) for n in mod.MODELS]
    return out


def up_to_date(path, script):
    """The cached file exists and is newer than the scripts that make it
    (like make: an edited script exports its models again)."""
    sources = [os.path.join(HERE, "zoo", f) for f in (script + ".py", "common.py")]
    return os.path.exists(path) and os.path.getmtime(path) >= max(map(os.path.getmtime, sources))


def report_failure(name, e):
    """what an export that failed prints: the traceback, then one line"""
    traceback.print_exc()
    print(f"FAILED {name}: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}",
          flush=True)


def export_here(script, names, out):
    """Child side: exports `names` of one script; returns the failure count."""
    mod = importlib.import_module(script)
    failed = 0
    for n in names:
        path = os.path.join(out, n + ".onnx")
        try:
            mod.MODELS[n](path)
            print(f"exported {n} {path} ({mod.FRAMEWORK})", flush=True)
        except ModuleNotFoundError as e:
            print(f"skipped {n}: no module {e.name!r}", flush=True)
        except Exception as e:  # report it, export the rest
            report_failure(n, e)
            failed += 1
    return failed


def export(names, out):
    """Parent side: exports the missing files of `names` (all if empty);
    returns the number of failed exports."""
    import subprocess
    cat = catalog()
    known = {n for n, _, _ in cat}
    unknown = [n for n in names if n not in known]
    if unknown:
        sys.exit(f"export_zoo: unknown model(s) {', '.join(unknown)}; --list lists them")
    os.makedirs(out, exist_ok=True)
    todo = {}
    for n, script, fw in cat:
        if names and n not in names:
            continue
        path = os.path.join(out, n + ".onnx")
        if up_to_date(path, script):
            print(f"cached {n} {path} ({fw})", flush=True)
        else:
            todo.setdefault(script, []).append(n)
    failed = 0
    for script, todo_names in todo.items():
        r = subprocess.run([sys.executable, os.path.abspath(__file__), "--child", script,
                            "--out", out, *todo_names])
        failed += r.returncode != 0
    return failed


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=DEFAULT_OUT, help="cache folder (default build/zoo)")
    ap.add_argument("--list", action="store_true", help="list the models and exit")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("names", nargs="*")
    args = ap.parse_args()
    if args.list:
        for n, script, fw in catalog():
            print(f"{n:28} {fw:28} models/zoo/{script}.py")
        return 0
    if args.child:
        return 1 if export_here(args.child, args.names, args.out) else 0
    return 1 if export(args.names, args.out) else 0


if __name__ == "__main__":
    sys.exit(main())
