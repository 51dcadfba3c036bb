#!/usr/bin/env bash
# The CUDA backend's checks that need a GPU, in one short run on a machine
# that has one (docs/cuda.md). Two steps:
#
#   bash scripts/gpu_check.sh --prepare     # here (no GPU needed): gpu-kit/
#   bash scripts/gpu_check.sh [PARTS...]    # there, from a copy of the repo
#                                           # with gpu-kit/ beside it
#
# --prepare builds a statically linked mlc (the GPU machine may lack
# protobuf-c) and packs the node tests the CUDA backend accepts
# (tests/cuda/status.txt) into gpu-kit/. There, with nvcc, a C compiler,
# Python with numpy, PyTorch and onnxruntime, the parts (default: all) are
#   kernels  the CUDA runtime's kernels against the C ones
#            (tests/cuda/check_*.cu)
#   nodes    the accepted node tests through generated CUDA, run on the GPU
#            and compared with their expected outputs (mlc test --target=cuda)
#   bench    the benchmark models against onnxruntime (rtol 1e-3, atol 1e-4)
#            and their batch-1 latency against PyTorch eager and
#            torch.compile (bench/gpu_bench.py)
# Results go to $OUT (default gpu-out/). Exits 1 if any part failed.
set -uo pipefail
cd "$(dirname "$0")/.."
KIT=gpu-kit

if [ "${1:-}" = "--prepare" ]; then
  set -e
  bash scripts/setup.sh
  cmake -S . -B build-static -DCMAKE_BUILD_TYPE=Release -DMLC_CUDA=OFF -DMLC_BUILD_TESTS=OFF \
    -DMLC_STATIC_PROTOBUF_C=ON \
    -DCMAKE_EXE_LINKER_FLAGS=-static >/dev/null
  cmake --build build-static -j"$(nproc)" --target mlc
  mkdir -p "$KIT"
  cp build-static/mlc "$KIT/mlc"
  node="$KIT/node"
  rm -rf "$node"
  .venv/bin/python3 tests/conformance/gen_node_tests.py build-static/onnx-tests/node >/dev/null
  mkdir -p "$node"
  awk '$2 == "BUILT" {print $1}' tests/cuda/status.txt | while read -r t; do
    cp -r "build-static/onnx-tests/node/$t" "$node/"
  done
  tar -C "$KIT" -czf "$KIT/node.tgz" node
  rm -rf "$node"
  echo "gpu_check: $KIT/ ready ($(du -sh "$KIT" | cut -f1)); carry it to the GPU machine"
  exit 0
fi

OUT=${OUT:-gpu-out}
mkdir -p "$OUT" && OUT=$(cd "$OUT" && pwd)
parts=${*:-kernels nodes bench}
[ -x "$KIT/mlc" ] || { echo "gpu_check: no $KIT/mlc: run scripts/gpu_check.sh --prepare first" >&2; exit 2; }
cap=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader | head -1 | tr -d .)
[ -n "$cap" ] || { echo "gpu_check: no GPU (nvidia-smi)" >&2; exit 2; }
ARCH=sm_$cap
JOBS=$(nproc)
LIB=$OUT/lib
mkdir -p "$LIB/c" "$LIB/cu"
echo "gpu_check: $(nvidia-smi --query-gpu=name --format=csv,noheader | head -1), $ARCH"

# the runtimes, built here for this GPU
ls runtime/*.c | xargs -P "$JOBS" -I{} sh -c \
  'cc -std=c99 -O2 -Iruntime -c {} -o "$0/c/$(basename {} .c).o"' "$LIB" || exit 1
ar rcs "$LIB/libmlc_rt.a" "$LIB"/c/*.o
ls runtime/cuda/*.cu | xargs -P "$JOBS" -I{} sh -c \
  'nvcc -std=c++17 -O2 -arch=$1 -Iruntime -Iruntime/cuda -c {} -o "$0/cu/$(basename {} .cu).o"' \
  "$LIB" "$ARCH" || exit 1
ar rcs "$LIB/libmlc_rt_cuda.a" "$LIB"/cu/*.o
failed=0

for part in $parts; do
  case $part in
  kernels)
    for c in dnn data misc; do
      nvcc -std=c++17 -O2 -arch="$ARCH" -Iruntime -Iruntime/cuda "tests/cuda/check_$c.cu" \
        "$LIB/libmlc_rt_cuda.a" "$LIB/libmlc_rt.a" -lcublas -lcudnn -lm -o "$LIB/check_$c" &&
        "$LIB/check_$c" >"$OUT/check_$c.txt" 2>&1
      rc=$?
      echo "kernels $c: $([ $rc = 0 ] && echo pass || echo "FAIL (exit $rc)") ($(grep -c . "$OUT/check_$c.txt") lines in $OUT/check_$c.txt)"
      [ $rc = 0 ] || failed=1
    done
    ;;
  nodes)
    rm -rf "$LIB/node" && tar -C "$LIB" -xzf "$KIT/node.tgz"
    "$KIT/mlc" test --target=cuda -j"$JOBS" --cflags="-arch=$ARCH" --runtime-include="$PWD/runtime" \
      --runtime-cuda-lib="$LIB/libmlc_rt_cuda.a" --status="$OUT/node_status.txt" --atol=1e-4 \
      "$LIB/node" >"$OUT/node_tests.txt" 2>&1 || failed=1
    echo "nodes: $(tail -1 "$OUT/node_tests.txt") (per test: $OUT/node_status.txt)"
    ;;
  bench)
    python3 bench/gpu_bench.py --mlc "$KIT/mlc" --rt-cuda "$LIB/libmlc_rt_cuda.a" --arch "$ARCH" \
      --out "$OUT/gpu_bench.md" || failed=1
    ;;
  *) echo "gpu_check: unknown part '$part' (kernels, nodes, bench)" >&2; exit 2 ;;
  esac
done
exit $failed
