#!/usr/bin/env python3
"""The small quantized models that ctest quant_models checks (committed
here, a few KB each): kws_dscnn16 (models/zoo/kws.py, 16 channels) through
models/export_quant.py in both of onnxruntime's formats, QDQ and QOperator,
with the value_info that onnxruntime's shape inference adds left out (mlc
infers shapes itself). Needs the zoo's packages (torch; `MLC_SETUP_ZOO=1
bash scripts/setup.sh`); the same packages write the same files.

usage: make_models.py   (rewrites tests/models/quant/*.onnx)"""
import os
import subprocess
import sys
import tempfile

import onnx

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
NAMES = ("kws_dscnn16_int8_qdq", "kws_dscnn16_int8_qop")


def main():
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, os.path.join(ROOT, "models", "export_quant.py"),
                        "--out", tmp, *NAMES], check=True)
        for n in NAMES:
            model = onnx.load(os.path.join(tmp, n + ".onnx"))
            del model.graph.value_info[:]
            onnx.checker.check_model(model)
            onnx.save(model, os.path.join(HERE, n + ".onnx"))
            print(f"wrote {os.path.relpath(os.path.join(HERE, n + '.onnx'), ROOT)}")


if __name__ == "__main__":
    main()
