#!/usr/bin/env bash
# Runs every test suite: set up, build (warnings as errors), then ctest:
# the command line and bad models (cli), the seed models against
# onnxruntime (models), and the ONNX backend tests in both modes against the
# committed status table (conformance).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
cd build
ctest --output-on-failure "$@"
