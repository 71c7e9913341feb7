#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The demo: builds the tools, boots a real Linux kernel (Debian bookworm's, with configfs
# and the OCFS2 modules) under QEMU with our binaries installed in place of the C ones, and
# shows a cluster brought online by o2cb.init start, an OCFS2 volume made and mounted,
# mounted.ocfs2 -f, o2cb.init status, a filesystem run as a cluster of its own, and a clean
# stop. A few minutes on a fresh machine (packages, the guest image, the build); about a
# minute after that.
#   scripts/demo.sh              the demo
#   scripts/demo.sh --console    the guest's whole console, kernel messages included
#   scripts/demo-config.sh       the configuration commands alone, no kernel needed
set -euo pipefail
cd "$(dirname "$0")/.."
console=0
case "${1:-}" in
  --console) console=1 ;;
  '') ;;
  *) echo "usage: $0 [--console]" >&2; exit 2 ;;
esac
scripts/install-deps.sh
echo "Building the tools (cargo build --release)..."
cargo build --release --quiet --bins
. tests/kernel/host-lib.sh
echo "Preparing the guest image (tests/kernel/setup.sh; downloads once)..."
run_setup "$PWD/tests/kernel" "${RG_CACHE:-$PWD/tests/kernel/cache}" 2>&1 | tail -n 1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
stage_ours "$(default_bin_dir "$PWD")" "$work/overlay/opt/rs/sbin"
echo "Booting the guest (software emulation: ~10 s to a shell)..."
t0=$(date +%s)
filter() {
  if [ "$console" = 1 ]; then tr -d '\r'; else tr -d '\r' | sed -n '/^DEMO-BEGIN$/,/^DEMO-END$/{/^DEMO-\(BEGIN\|END\)$/d;p}'; fi
}
rc=0
tests/kernel/run-guest.sh --no-setup --quiet-kernel --hostname node1 --disks 2 \
  --append "rg.modules=0 rg.configfs=0" --overlay "$work/overlay" --timeout 600 \
  --log "$work/console.log" - scripts/demo/guest.sh 2> "$work/run-guest.err" | filter || rc=$?
if grep -q '^DEMO-FAILED' "$work/console.log" || ! grep -q '^DEMO-END' "$work/console.log"; then
  { echo "The demo did not run to its end:"; cat "$work/run-guest.err"
    tr -d '\r' < "$work/console.log" | tail -n 30; } >&2
  exit 1
fi
echo
echo "Demo finished in $(( $(date +%s) - t0 )) s wall time (boot, demo, power off)."
exit "$rc"
