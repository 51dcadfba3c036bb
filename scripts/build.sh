#!/usr/bin/env bash
# Configures and builds mlc and its runtime into build/ (Release, warnings as errors).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMLC_WERROR=ON >/dev/null
cmake --build build -j"$(nproc)"
