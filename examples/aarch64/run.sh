#!/usr/bin/env bash
# The seed MLP and a small CNN on 64-bit Arm Linux: cross-built with
# aarch64-linux-gnu-gcc against glibc, run with qemu-aarch64 (user mode,
# the cross C library from /usr/aarch64-linux-gnu), output checked against
# the host's: with the runtime's NEON kernels within the model tests'
# tolerance, with its portable C (MLC_RT_PORTABLE) bit for bit.
# Usage: run.sh [MLC [WORKDIR]]   (default: build mlc; build/targets/aarch64)
set -euo pipefail
source "$(dirname "$0")/../targets/common.sh"
tgt_init aarch64 "$@"

# the runtime's NEON kernels, against the host within tolerance (their
# fused multiply-adds round differently from the host's portable C) ...
tgt_objects "$WORK/a64-neon" aarch64-linux-gnu-gcc
aarch64-linux-gnu-gcc $TGT_OBJS -Wl,--gc-sections -lm -o "$WORK/app-neon"
tgt_host
tgt_run qemu-aarch64 -L /usr/aarch64-linux-gnu "$WORK/app-neon"
tgt_compare_close "NEON kernels"

# ... and its portable C, bit for bit
tgt_objects "$WORK/a64" aarch64-linux-gnu-gcc -DMLC_RT_PORTABLE
aarch64-linux-gnu-gcc $TGT_OBJS -Wl,--gc-sections -lm -o "$WORK/app"
tgt_run qemu-aarch64 -L /usr/aarch64-linux-gnu "$WORK/app"

echo "sizes (bytes; the program is linked dynamically against glibc):"
aarch64-linux-gnu-size "$WORK/a64/mlp.o" "$WORK/a64/cnn.o" "$WORK/app" |
  awk 'NR == 1 { printf "  %-10s %8s %8s %8s\n", "", "text", "data", "bss"; next }
       { n = $6; sub(".*/", "", n); printf "  %-10s %8d %8d %8d\n", n, $1, $2, $3 }'
echo "  app file: $(stat -c %s "$WORK/app") bytes"
tgt_compare
