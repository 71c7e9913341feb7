#!/usr/bin/env bash
# The project's tests: every crate's unit, snapshot, property and differential tests
# (the C ocfs2-tools must be installed: scripts/install-deps.sh), then the real-kernel suite
# (one guest) and the two-node clusters (two guests sharing disks and a network), on the
# o2cb stack and on the user stack.
#   scripts/test.sh            everything
#   scripts/test.sh --no-kernel  skip the QEMU suites
set -euo pipefail
cd "$(dirname "$0")/.."
kernel=1
for a in "$@"; do
    case "$a" in
        --no-kernel) kernel=0 ;;
        *) echo "usage: $0 [--no-kernel]" >&2; exit 2 ;;
    esac
done
# debian/copyright and the rpm spec's License tag list every crate compiled into the
# binaries: a dependency added to Cargo.lock without scripts/gen-copyright.py fails here,
# in seconds, before anything is built.
scripts/gen-copyright.py --check
scripts/gen-copyright-test.py
# The `ci` profile (Cargo.toml): optimised, without link-time optimisation.
cargo test --workspace --all-targets --profile ci
cargo test --workspace --doc --profile ci
# The OCF resource agent under Debian's ocf-tester (with the o2cb the tests just built).
tests/ocf/run-ocf-tester.sh "$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')/ci/o2cb"
if [ "$kernel" -eq 1 ] && [ -x tests/kernel/run-suite.sh ]; then
    tests/kernel/run-suite.sh --quiet
    tests/kernel/run-cluster.sh --no-build --quiet
    # the user stack across two guests: corosync, dlm_controld, our mount.ocfs2 at /sbin
    tests/kernel/run-cluster.sh --no-build --quiet --stack pcmk --ours
fi
