#!/usr/bin/env bash
# Configures and builds mlc and its runtime into build/ (warnings as errors),
# with the tests' Python the project's .venv (scripts/setup.sh makes it).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMLC_WERROR=ON \
  -DPython3_EXECUTABLE="$PWD/.venv/bin/python3" >/dev/null
cmake --build build -j"$(nproc)"
