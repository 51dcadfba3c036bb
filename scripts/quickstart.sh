#!/usr/bin/env bash
# Quick start: set up, build mlc, compile the bundled MLP to C, build it into a
# small program with examples/mlp_main.c and run it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
mkdir -p out
set -x
build/mlc compile models/mlp.onnxtxt --dim batch=1 --name mlp -o out/mlp.c
cc -std=c99 -O2 -Wall -Wextra -Werror -pedantic -Iout -Iruntime \
   out/mlp.c examples/mlp_main.c build/libmlc_rt.a -lm -o out/mlp
out/mlp
