#!/usr/bin/env bash
# The seed MLP and a small CNN in WebAssembly: cross-built with clang for
# wasm32-wasi against wasi-libc, run by node's WASI (run.mjs), output checked
# against the host's.
# Usage: run.sh [MLC [WORKDIR]]   (default: build mlc; build/targets/wasm)
set -euo pipefail
source "$(dirname "$0")/../targets/common.sh"
tgt_init wasm "$@"
here=$TGT_ROOT/examples/wasm

tgt_objects "$WORK/wasm" clang --target=wasm32-wasi
# wasm-ld drops what nothing calls without being asked; --strip-all drops
# the names and the C library's debug sections (160 KB of the module), as a
# product ships it
clang --target=wasm32-wasi -O2 $TGT_OBJS -lm -Wl,--strip-all -o "$WORK/app.wasm"

tgt_host
# (node says on stderr that its WASI is experimental)
tgt_run node --experimental-wasi-unstable-preview1 "$here/run.mjs" "$WORK/app.wasm"

echo "sizes (bytes):"
echo "  app.wasm $(stat -c %s "$WORK/app.wasm")"
tgt_compare
