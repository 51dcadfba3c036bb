#!/usr/bin/env bash
# The seed MLP and a small CNN on a Cortex-M3 microcontroller: cross-built
# with arm-none-eabi-gcc and newlib (nano, semihosting), run on the emulated
# Arm MPS2 AN385 board, output checked against the host's.
# Usage: run.sh [MLC [WORKDIR]]   (default: build mlc; build/targets/cortex-m)
set -euo pipefail
source "$(dirname "$0")/../targets/common.sh"
tgt_init cortex-m "$@"
here=$TGT_ROOT/examples/cortex-m

CPU="-mthumb -mcpu=cortex-m3"
tgt_objects "$WORK/arm" arm-none-eabi-gcc $CPU --specs=nano.specs
arm-none-eabi-gcc $CPU --specs=nano.specs $TGT_CFLAGS -c "$here/startup.c" -o "$WORK/arm/startup.o"
# our startup code and linker script instead of the C library's crt0; newlib
# nano (small stdio, float printing pulled in explicitly) over semihosting
arm-none-eabi-gcc $CPU --specs=nano.specs --specs=rdimon.specs -nostartfiles -T "$here/mps2.ld" \
  -Wl,--gc-sections -Wl,-Map="$WORK/app.map" -u _printf_float \
  "$WORK/arm/startup.o" $TGT_OBJS -lm -o "$WORK/app.elf"

tgt_host
# semihosting carries stdout and the exit status (the fault handler's is 2)
tgt_run qemu-system-arm -M mps2-an385 -nographic -monitor none -serial none \
  -semihosting-config enable=on,target=native -kernel "$WORK/app.elf"

echo "sizes (bytes; flash = text + data, RAM = data + bss, stack and heap aside):"
arm-none-eabi-size "$WORK/arm/mlp.o" "$WORK/arm/cnn.o" "$WORK/app.elf" |
  awk 'NR == 1 { printf "  %-10s %8s %8s %8s %8s %8s\n", "", "text", "data", "bss", "flash", "RAM"; next }
       { n = $6; sub(".*/", "", n); printf "  %-10s %8d %8d %8d %8d %8d\n", n, $1, $2, $3, $1 + $2, $2 + $3 }'
tgt_compare
