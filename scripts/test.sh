#!/usr/bin/env bash
# Runs the test suites: set up, build (warnings as errors), then ctest: the
# command line, text form and bad models (cli), real models against
# onnxruntime (models), the ONNX backend tests in both modes against the
# committed status table (conformance), a short fuzz run (fuzz). The full
# model zoo and the benchmark are slow: `ctest -L zoo`, `ctest -L bench`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
cd build
ctest --output-on-failure -LE "zoo|bench" "$@"
