#!/usr/bin/env python3
"""Flash and RAM of the keyword spotter on a Cortex-M4, float and int8:
each model of MODELS present in the zoo folder is compiled by mlc (weights
inline, as a microcontroller without a file system takes them), built with
arm-none-eabi-gcc for a Cortex-M4 with its FPU (-mcpu=cortex-m4 -mthumb
-mfloat-abi=hard -mfpu=fpv4-sp-d16 -Os, newlib nano, unused sections
dropped at link time) into a small program that runs the model once on a
static input, and measured against the same program without the model
call (arm-none-eabi-size -A of both): what the model adds is its code (the
generated code and the runtime kernels and C library pieces it pulls in:
.text), its weights and constants (.rodata), and its RAM (.data and .bss:
the static arena, MODEL_ARENA_BYTES of its header, and what the kernels
keep). flash = text + rodata + data (the initial values of .data live in
flash), RAM = data + bss. Nothing runs: these are sizes.

The toolchain comes with `MLC_SETUP_TARGETS=1 bash scripts/setup.sh`; the
models with models/export_zoo.py kws_dscnn and models/export_quant.py.
Prints a markdown table (also to --table FILE); a model mlc refuses is a
row saying why.

usage: python3 bench/sizes.py [--mlc BUILD/mlc] [--zoo DIR] [--work DIR] [--table FILE]"""
import argparse
import os
import re
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "models"))
from check_models import compile_reason  # noqa: E402

# (row, file in the zoo folder)
MODELS = [("kws_dscnn (float)", "kws_dscnn.onnx"),
          ("kws_dscnn_int8_qdq", "kws_dscnn_int8_qdq.onnx"),
          ("kws_dscnn_int8_qop", "kws_dscnn_int8_qop.onnx")]
CC = "arm-none-eabi-gcc"
CPU = ["-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16"]
CFLAGS = ["-std=c99", "-Os", "-fno-strict-aliasing", "-ffunction-sections", "-fdata-sections"]

# the program: the model run once on a ramp, the top class kept where the
# optimizer cannot drop it; without MODEL_CALL the same program minus the
# call (the baseline). A vector table of two words and a reset handler
# that calls main: enough to link, not to run on a board.
MAIN_C = r"""#include "kws.h"

static float x[KWS_INPUT0_COUNT], y[KWS_OUTPUT0_COUNT];
volatile int top;

int main(void) {
  for (int i = 0; i < KWS_INPUT0_COUNT; i++) x[i] = (float)i / 64.0f - 0.5f;
#ifdef MODEL_CALL
  if (kws_run(x, y) != KWS_OK) return 1;
#endif
  int best = 0;
  for (int i = 1; i < KWS_OUTPUT0_COUNT; i++)
    if (y[i] > y[best]) best = i;
  top = best;
  return 0;
}

void reset_handler(void) {
  main();
  for (;;) {
  }
}

__attribute__((section(".vectors"), used)) static void *const vectors[2] = {
    (void *)0x20010000, (void *)reset_handler};
"""


def run(cmd, cwd=None):
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd)
    if r.returncode:
        raise RuntimeError(f"{os.path.basename(cmd[0])} failed: "
                           + (r.stderr.strip().splitlines() or ["?"])[-1])
    return r.stdout


def sections(elf):
    """{section: bytes} of arm-none-eabi-size -A, grouped: text (code and
    the unwinding index), rodata, data, bss"""
    out = {"text": 0, "rodata": 0, "data": 0, "bss": 0}
    for line in run(["arm-none-eabi-size", "-A", elf]).splitlines():
        m = re.match(r"^(\.\S+)\s+(\d+)\s+\d+$", line)
        if not m:
            continue
        name, size = m.group(1), int(m.group(2))
        if name.startswith((".text", ".ARM", ".vectors", ".init", ".fini")):
            out["text"] += size
        elif name.startswith(".rodata"):
            out["rodata"] += size
        elif name.startswith((".data", ".init_array", ".fini_array", ".preinit_array")):
            out["data"] += size
        elif name.startswith((".bss", ".noinit")):
            out["bss"] += size
    return out


def runtime_objects(work):
    """the runtime compiled for the Cortex-M4, one object per source"""
    rt = os.path.join(ROOT, "runtime")
    os.makedirs(work, exist_ok=True)
    objs = []
    for f in sorted(os.listdir(rt)):
        if f.endswith(".c"):
            objs.append(os.path.join(work, f[:-2] + ".o"))
            run([CC, *CPU, *CFLAGS, "-I", rt, "-c", os.path.join(rt, f), "-o", objs[-1]])
    return objs


def build(mlc, src, work, rt_objs):
    """({text, rodata, data, bss} the model adds, its ARENA_BYTES), or
    raises RuntimeError (mlc's reason first when mlc refuses it)"""
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    r = subprocess.run([mlc, "compile", src, "--name", "kws", "--weights=inline", "-o",
                        os.path.join(work, "kws.c")], capture_output=True, text=True)
    if r.returncode:
        raise RuntimeError("refused by mlc: " + compile_reason(r.stderr))
    with open(os.path.join(work, "main.c"), "w") as f:
        f.write(MAIN_C)
    header = open(os.path.join(work, "kws.h")).read()
    arena = int(re.search(r"#define KWS_ARENA_BYTES \(?(\d+)", header).group(1))
    objs = rt_objs + [os.path.join(work, "kws.o")]
    run([CC, *CPU, *CFLAGS, "-I", os.path.join(ROOT, "runtime"), "-I", work, "-c",
         os.path.join(work, "kws.c"), "-o", objs[-1]])
    sizes = {}
    for label, defs in (("model", ["-DMODEL_CALL"]), ("base", [])):
        o = os.path.join(work, f"main_{label}.o")
        run([CC, *CPU, *CFLAGS, *defs, "-I", os.path.join(ROOT, "runtime"), "-I", work, "-c",
             os.path.join(work, "main.c"), "-o", o])
        elf = os.path.join(work, f"{label}.elf")
        run([CC, *CPU, "--specs=nano.specs", "--specs=nosys.specs", "-nostartfiles",
             "-Wl,--gc-sections", "-Wl,-e,reset_handler", o, *objs, "-lm", "-o", elf])
        sizes[label] = sections(elf)
    return {k: sizes["model"][k] - sizes["base"][k] for k in sizes["model"]}, arena


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mlc", default=os.path.join(ROOT, "build", "mlc"))
    ap.add_argument("--zoo", default=os.path.join(ROOT, "build", "zoo"), help="exported models")
    ap.add_argument("--work", default=os.path.join(ROOT, "build", "sizes"),
                    help="scratch folder (default build/sizes)")
    ap.add_argument("--table", help="also write the table to this file")
    args = ap.parse_args()
    if not shutil.which(CC):
        sys.exit(f"sizes: {CC} not found (MLC_SETUP_TARGETS=1 bash scripts/setup.sh)")
    gcc = run([CC, "--version"]).splitlines()[0]
    L = [f"Cortex-M4 (`{' '.join(CPU)} -Os`, {gcc}, newlib nano), bytes the model adds to "
         "a program that does not call it:", "",
         "| model | code (.text) | weights, constants (.rodata) | .data | .bss "
         "| arena (ARENA_BYTES) | flash = text + rodata + data | RAM = data + bss |",
         "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    failed = 0
    rt_objs = runtime_objects(os.path.join(args.work, "runtime"))
    for row, path in MODELS:
        src = os.path.join(args.zoo, path)
        if not os.path.exists(src):
            L.append(f"| {row} | not present (models/export_zoo.py, models/export_quant.py) "
                     "|||||||")
            continue
        try:
            d, arena = build(args.mlc, src, os.path.join(args.work, os.path.splitext(path)[0]),
                             rt_objs)
        except RuntimeError as e:
            failed += not str(e).startswith("refused by mlc")
            L.append(f"| {row} | {e} |||||||")
            continue
        L.append(f"| {row} | {d['text']} | {d['rodata']} | {d['data']} | {d['bss']} | {arena} "
                 f"| {d['text'] + d['rodata'] + d['data']} | {d['data'] + d['bss']} |")
    table = "\n".join(L) + "\n"
    print(table, end="")
    if args.table:
        with open(args.table, "w") as f:
            f.write(table)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
