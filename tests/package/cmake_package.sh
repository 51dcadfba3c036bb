#!/usr/bin/env bash
# The CMake package (docs/embedding.md), one way of using it per MODE:
#   install   install this build of mlc into a fresh prefix (cmake --install),
#             build examples/cmake-app against it (find_package) and run it
#   subdir    build examples/cmake-app with mlc's source tree added by
#             add_subdirectory, and run it
#   runtime   configure and build mlc with MLC_BUILD_COMPILER=OFF (and the
#             thread pool) with protoc-c, onnx.proto and protobuf-c poisoned,
#             proving it never looks for them; install it and build the app
#             against it with this build's mlc as the host compiler
# Each run of the app must print what examples/mlp_main.c prints, built the
# way scripts/quickstart.sh builds it.
# usage: cmake_package.sh MODE SOURCE_DIR BUILD_DIR WORK_DIR [GENERATOR] [CC]
set -euo pipefail
mode=$1 src=$2 build=$3 work=$4 gen=${5:-Unix Makefiles} cc=${6:-cc}
rm -rf "$work"
mkdir -p "$work/ref"
export CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-2}
cmk=(-G "$gen" -DCMAKE_C_COMPILER="$cc")

# what the quickstart's program prints
"$build/mlc" compile "$src/models/mlp.onnxtxt" --dim batch=1 --name mlp -o "$work/ref/mlp.c" \
  >/dev/null
"$cc" -std=c99 -O2 -I"$work/ref" -I"$src/runtime" "$work/ref/mlp.c" "$src/examples/mlp_main.c" \
  "$build/libmlc_rt.a" -lm -o "$work/ref/mlp"
"$work/ref/mlp" >"$work/expected.txt"

app() { # build examples/cmake-app with the given flags, run it, compare
  cmake -S "$src/examples/cmake-app" -B "$work/app" "${cmk[@]}" "$@" >"$work/app.log" 2>&1 ||
    { cat "$work/app.log"; exit 1; }
  cmake --build "$work/app" >>"$work/app.log" 2>&1 || { cat "$work/app.log"; exit 1; }
  "$work/app/app" >"$work/got.txt"
  cat "$work/got.txt"
  diff -u "$work/expected.txt" "$work/got.txt"
  # a second build does nothing: the model's C is not made again
  if cmake --build "$work/app" | grep "mlc compile"; then
    echo "FAIL: an up-to-date build compiled the model again"
    exit 1
  fi
}

case $mode in
install)
  cmake --install "$build" --prefix "$work/prefix" >/dev/null
  for f in bin/mlc lib/libmlc_rt.a include/mlc/mlc_rt.h include/mlc/mlc_rt_core.h \
    share/mlc/runtime/parallel.h share/mlc/runtime/nn.c lib/cmake/mlc/mlcConfig.cmake \
    lib/cmake/mlc/mlcConfigVersion.cmake lib/cmake/mlc/mlcAddModel.cmake \
    lib/pkgconfig/mlc-runtime.pc; do
    [ -f "$work/prefix/$f" ] || { echo "FAIL: $f not installed"; exit 1; }
  done
  app -DCMAKE_PREFIX_PATH="$work/prefix"
  # the installed mlc tests generated code against its own runtime
  "$work/prefix/bin/mlc" test -v "$src/tests/contrib/cases" >"$work/test.log" 2>&1 ||
    { cat "$work/test.log"; exit 1; }
  grep -q "runtime headers in $work/prefix/share/mlc/runtime, linking '$work/prefix/lib/libmlc_rt.a'" \
    "$work/test.log" || { echo "FAIL: the installed mlc test used another runtime"; cat "$work/test.log"; exit 1; }
  # pkg-config: the same program built by hand
  if command -v pkg-config >/dev/null; then
    flags=$(PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig" pkg-config --cflags --libs mlc-runtime)
    # shellcheck disable=SC2086
    "$cc" -std=c99 -I"$work/app/mlc/mlp" "$work/app/mlc/mlp/mlp.c" "$src/examples/mlp_main.c" \
      $flags -o "$work/pc-app"
    "$work/pc-app" | diff -u "$work/expected.txt" -
    echo "pkg-config: $flags"
  fi
  ;;
subdir)
  app -DMLC_SOURCE_DIR="$src"
  ;;
runtime)
  cmake -S "$src" -B "$work/rt" "${cmk[@]}" -DMLC_BUILD_COMPILER=OFF -DMLC_THREADS=ON \
    -DONNX_PROTO=/nonexistent/onnx.proto -DPROTOC_C=/nonexistent/protoc-c \
    -DPROTOBUF_C_LIB=/nonexistent/libprotobuf-c.a >"$work/rt.log" 2>&1 ||
    { cat "$work/rt.log"; exit 1; }
  # CMake names the -D variables that no command read
  for v in ONNX_PROTO PROTOC_C PROTOBUF_C_LIB; do
    grep -q "^    $v\$" "$work/rt.log" ||
      { cat "$work/rt.log"; echo "FAIL: the runtime-only build read $v"; exit 1; }
  done
  cmake --build "$work/rt" >>"$work/rt.log" 2>&1 || { cat "$work/rt.log"; exit 1; }
  [ ! -e "$work/rt/mlc" ] || { echo "FAIL: the runtime-only build made mlc"; exit 1; }
  cmake --install "$work/rt" --prefix "$work/prefix" >/dev/null
  [ ! -e "$work/prefix/bin/mlc" ] || { echo "FAIL: the runtime-only build installed mlc"; exit 1; }
  grep -q MLC_RT_THREADS "$work/prefix/lib/pkgconfig/mlc-runtime.pc"
  app -DCMAKE_PREFIX_PATH="$work/prefix" -DMLC_EXECUTABLE="$build/mlc"
  ;;
*)
  echo "unknown mode $mode"
  exit 2
  ;;
esac
echo "package $mode: ok"
