#!/usr/bin/env bash
# Proves the README's two commands on a really fresh Debian 12: debootstraps
# a minimal bookworm root into a new folder, clones this repository's HEAD
# into it, and runs `bash scripts/quickstart.sh` and `bash scripts/test.sh`
# there as root, with an empty environment. Nothing of this machine's
# packages, Python or build reaches the root; only its CA certificates do
# (package downloads may pass through a proxy that this machine trusts).
# Needs root, debootstrap and the network to Debian and PyPI; takes a few
# minutes for the root and the tests' time on top. Not part of CI.
#
# usage: sudo bash scripts/fresh-debian-check.sh [ROOT_DIR]   (default: a new
#        folder under /tmp; removed afterwards unless KEEP=1)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
root=${1:-$(mktemp -d /tmp/mlc-fresh-XXXXXX)}
mirror=${MIRROR:-http://deb.debian.org/debian}

[ "$(id -u)" -eq 0 ] || { echo "fresh-debian-check: run as root" >&2; exit 1; }
command -v debootstrap >/dev/null || {
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap; }

cleanup() {
  for m in dev/pts dev proc sys; do umount -l "$root/$m" 2>/dev/null || true; done
  [ "${KEEP:-0}" = 1 ] || rm -rf "$root"
}
trap cleanup EXIT

echo "== debootstrap bookworm (minbase) into $root"
debootstrap --variant=minbase bookworm "$root" "$mirror" >"$root.debootstrap.log" 2>&1 ||
  { tail -20 "$root.debootstrap.log"; exit 1; }
rm -f "$root.debootstrap.log"

# the machine's trust store and name resolution, as a machine of this kind has
mkdir -p "$root/usr/local/share/ca-certificates" "$root/etc/ssl/certs"
cp -L /etc/resolv.conf "$root/etc/resolv.conf"
cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/" 2>/dev/null || true
mount -t proc proc "$root/proc"
mount --rbind /sys "$root/sys"
mount --rbind /dev "$root/dev"

echo "== clone $(git -C "$repo" rev-parse --short HEAD) into the root"
git clone -q --no-hardlinks "$repo" "$root/root/mlc"

run() {
  echo "== $*"
  chroot "$root" /usr/bin/env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    LANG=C.UTF-8 SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
    PIP_CERT=/etc/ssl/certs/ca-certificates.crt /bin/bash -c "cd /root/mlc && $*"
}
start=$(date +%s)
run bash scripts/quickstart.sh
run bash scripts/test.sh
echo "== both README commands passed on a fresh Debian 12 root in $(( $(date +%s) - start )) s"
