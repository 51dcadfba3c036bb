# Shared steps of the target examples (sourced by examples/*/run.sh; see
# docs/targets.md). A run.sh calls, in order:
#   tgt_init NAME [MLC [WORK]]  set up (toolchains included), build mlc unless
#                               MLC names one, compile both models into WORK
#                               (default build/targets/NAME, emptied first)
#   tgt_objects DIR CC FLAGS... compile the runtime, both models and main.c
#                               into DIR, one object each ($TGT_OBJS)
#   tgt_host                    the same program built and run on the host
#   tgt_run CMD...              the program on the target, its output shown
#                               and kept in WORK/target.txt
#   tgt_compare                 the target's output against the host's
#   tgt_compare_close LABEL     the same within the model tests' tolerance
set -euo pipefail
TGT_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TGT_DIR=$TGT_ROOT/examples/targets

# the flags every build of the program shares, the host's included: C99 as
# the README promises, the runtime's own -fno-strict-aliasing, and no fused
# multiply-add, which gcc contracts on aarch64 in GNU mode and which would
# change the last bits (the check compares bits)
TGT_CFLAGS="-std=c99 -O2 -ffp-contract=off -fno-strict-aliasing -Wall -Wextra -Werror -pedantic"

tgt_init() {
  TGT_NAME=$1
  # paths given are the caller's, relative to where it was
  MLC=${2:+$(realpath "$2")}
  WORK=$(realpath -m "${3:-$TGT_ROOT/build/targets/$TGT_NAME}")
  cd "$TGT_ROOT"
  # the setup's apt-get takes a lock that concurrent tests would trip over
  mkdir -p build
  MLC_SETUP_TARGETS=1 flock build/.setup.lock bash scripts/setup.sh
  if [ -z "$MLC" ]; then
    bash scripts/build.sh
    MLC=$TGT_ROOT/build/mlc
  fi
  case "$WORK" in
    / | "$TGT_ROOT" | "$HOME") echo "$TGT_NAME: refusing to empty $WORK" >&2 && exit 2 ;;
  esac
  rm -rf "$WORK"
  mkdir -p "$WORK"
  # mlc's report goes to a log, shown only when it fails
  if ! { "$MLC" compile models/mlp.onnxtxt --dim batch=1 --name mlp -o "$WORK/mlp.c" &&
    "$MLC" compile "$TGT_DIR/cnn.onnxtxt" --name cnn -o "$WORK/cnn.c"; } >"$WORK/mlc.log" 2>&1; then
    cat "$WORK/mlc.log"
    exit 1
  fi
  TGT_SOURCES="$(ls runtime/*.c) $WORK/mlp.c $WORK/cnn.c $TGT_DIR/main.c"
}

# one object per source, as many compilers at once as there are cores (a
# failing one fails the run: wait returns its status under set -e); unused
# functions are left out at link time (-ffunction-sections)
tgt_objects() {
  local dir=$1 src obj p pids=() jobs
  shift
  jobs=$(nproc)
  mkdir -p "$dir"
  TGT_OBJS=""
  for src in $TGT_SOURCES; do
    obj=$dir/$(basename "$src" .c).o
    TGT_OBJS="$TGT_OBJS $obj"
    "$@" $TGT_CFLAGS -ffunction-sections -fdata-sections -Iruntime -I"$WORK" -c "$src" -o "$obj" &
    pids+=($!)
    if [ ${#pids[@]} -ge "$jobs" ]; then
      wait "${pids[0]}"
      pids=("${pids[@]:1}")
    fi
  done
  for p in "${pids[@]}"; do wait "$p"; done
}

tgt_host() {
  tgt_objects "$WORK/host" cc
  cc $TGT_OBJS -Wl,--gc-sections -lm -o "$WORK/host/app"
  "$WORK/host/app" >"$WORK/host.txt"
}

# a hung program is stopped by the timeout; a failed one fails the run
tgt_run() {
  local rc=0
  timeout 120 "$@" >"$WORK/target.txt" || rc=$?
  cat "$WORK/target.txt"
  if [ $rc -ne 0 ]; then
    echo "$TGT_NAME: the program failed on the target (exit status $rc)"
    exit 1
  fi
}

# the target's output against the host's within the model tests' tolerance
# (|t - h| <= 1e-4 + 1e-3 |h| per value): for kernels whose arithmetic
# differs from the host's portable C in its last bits (fused multiply-adds,
# another order of the sums)
tgt_compare_close() {
  local label=$1
  if awk -F' = ' 'NR == FNR { h[$1] = $2; n++; next }
      !($1 in h) { bad = bad "\n  " $1 " missing on the host"; next }
      { d = $2 - h[$1]; if (d < 0) d = -d; a = h[$1] < 0 ? -h[$1] : h[$1];
        if (d > 1e-4 + 1e-3 * a) bad = bad "\n  " $1 ": " $2 ", host " h[$1]; m++ }
      END { if (bad != "" || m != n) { printf "%s", bad; exit 1 } }' \
    "$WORK/host.txt" "$WORK/target.txt"; then
    echo "$TGT_NAME ($label): output within rtol 1e-3, atol 1e-4 of the host's ($(grep -c . "$WORK/target.txt") lines)"
  else
    echo
    echo "$TGT_NAME ($label): output differs from the host's"
    exit 1
  fi
}

tgt_compare() {
  if cmp -s "$WORK/target.txt" "$WORK/host.txt"; then
    echo "$TGT_NAME: output identical to the host's ($(grep -c . "$WORK/target.txt") lines)"
  else
    echo "$TGT_NAME: output differs from the host's:"
    diff "$WORK/host.txt" "$WORK/target.txt" || true
    exit 1
  fi
}
