#!/usr/bin/env bash
# Installs everything mlc needs to build and test on a fresh Debian machine.
# Idempotent: packages already present are skipped quickly.
set -euo pipefail

APT_PKGS="build-essential cmake pkg-config clang protobuf-c-compiler libprotobuf-c-dev libonnx-dev"
PIP_PKGS="numpy onnx onnxruntime"

need_apt=""
for p in $APT_PKGS; do
  dpkg -s "$p" >/dev/null 2>&1 || need_apt="$need_apt $p"
done
if [ -n "$need_apt" ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $need_apt >/dev/null
fi

PY=${PYTHON:-python3}
if ! $PY -c "import numpy, onnx, onnxruntime" >/dev/null 2>&1; then
  $PY -m pip install -q $PIP_PKGS
fi
if [ "${MLC_SETUP_ZOO:-0}" = 1 ]; then
  $PY -c "import torch, torchvision" >/dev/null 2>&1 ||
    $PY -m pip install -q torch torchvision
  # the other frameworks of the model zoo (models/zoo/): the PyPI names of
  # the modules that are not there (found without importing them: tensorflow
  # takes seconds to import)
  zoo_pkgs=$($PY -c '
import importlib.util
need = {"transformers": "transformers", "onnxscript": "onnxscript",
        "tensorflow": "tensorflow-cpu", "tf2onnx": "tf2onnx", "jax": "jax", "flax": "flax",
        "jax2onnx": "jax2onnx", "sklearn": "scikit-learn", "skl2onnx": "skl2onnx"}
print(" ".join(p for m, p in need.items() if importlib.util.find_spec(m) is None))')
  [ -z "$zoo_pkgs" ] || $PY -m pip install -q $zoo_pkgs
fi
