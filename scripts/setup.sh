#!/usr/bin/env bash
# Installs everything mlc needs to build and test on a fresh Debian 12 machine:
# the Debian packages (compilers, cmake, protobuf-c, the onnx.proto schema,
# Python with venv), then the project's virtual environment .venv with the
# exact Python packages of scripts/requirements.txt (and, with MLC_SETUP_ZOO=1,
# those of scripts/requirements-zoo.txt for the model zoo's exporters). With
# MLC_SETUP_TARGETS=1 it also installs the cross toolchains and emulators of
# examples/cortex-m, examples/aarch64 and examples/wasm (docs/targets.md).
# Idempotent: what is already there is skipped quickly; .venv is refreshed
# only when a requirements file changed. PYTHON picks the interpreter the
# environment is made from (default: python3).
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PKGS="build-essential cmake pkg-config clang clang-format protobuf-c-compiler libprotobuf-c-dev
  libonnx-dev python3 python3-venv"

need_apt=""
for p in $APT_PKGS; do
  dpkg -s "$p" >/dev/null 2>&1 || need_apt="$need_apt $p"
done
if [ -n "$need_apt" ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "setup: installing Debian packages:$need_apt"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $need_apt >/dev/null
fi

# the targets (opt-in: a few hundred MiB that only the targets tests use;
# nodejs runs the wasm example's WASI module);
# without recommends, which would pull a GUI into qemu-system-arm, so the C
# library of the aarch64 cross compiler is named
if [ "${MLC_SETUP_TARGETS:-0}" = 1 ]; then
  clang_major=$(clang -dumpversion | cut -d. -f1)
  TARGET_PKGS="gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm
    gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user
    wasi-libc lld libclang-rt-$clang_major-dev-wasm32 nodejs"
  need_apt=""
  for p in $TARGET_PKGS; do
    dpkg -s "$p" >/dev/null 2>&1 || need_apt="$need_apt $p"
  done
  if [ -n "$need_apt" ]; then
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    echo "setup: installing the targets' Debian packages:$need_apt"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
      -o DPkg::Lock::Timeout=300 $need_apt >/dev/null
  fi
fi

REQ=scripts/requirements.txt
ZOO=scripts/requirements-zoo.txt
[ "${MLC_SETUP_ZOO:-0}" = 1 ] && REQ=$ZOO
VENV=.venv
# what is installed: a requirements file and a hash of it with the core file
# it includes (the zoo's set holds the core set, so either stamp satisfies it)
stamp() { echo "$1 $(cat "$1" scripts/requirements.txt | sha256sum | cut -c1-16)"; }
if ! "$VENV/bin/python3" -c "" 2>/dev/null; then
  rm -rf "$VENV"
  echo "setup: making the virtual environment $VENV"
  "${PYTHON:-python3}" -m venv "$VENV"
fi
have=$(cat "$VENV/.mlc-requirements" 2>/dev/null || true)
if [ "$have" != "$(stamp "$REQ")" ] && [ "$have" != "$(stamp "$ZOO")" ]; then
  echo "setup: installing $REQ into $VENV"
  "$VENV/bin/python3" -m pip install -q --disable-pip-version-check -r "$REQ"
  stamp "$REQ" > "$VENV/.mlc-requirements"
fi
