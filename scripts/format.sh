#!/usr/bin/env bash
# Formats mlc's C (and CUDA) sources with clang-format (.clang-format), or with --check
# lists the files that differ from it and exits 1. The runtime's family
# headers (runtime/mlc_rt*.h) are X-macro tables aligned by hand and are left
# out, as is the op table (compiler/ops/ops.def).
set -euo pipefail
cd "$(dirname "$0")/.."
files=$(find compiler passes plan codegen tool runtime tests/unit tests/fuzz tests/cuda examples \
  bench \( -name '*.[ch]' -o -name '*.cu' \) ! -name 'mlc_rt*.h' | sort)
if [ "${1:-}" = --check ]; then
  bad=0
  for f in $files; do
    if ! clang-format --style=file "$f" | cmp -s - "$f"; then echo "$f"; bad=1; fi
  done
  exit $bad
fi
clang-format -i --style=file $files
