#!/usr/bin/env bash
# Runs Debian's ocf-tester (resource-agents) on ocf:o2cb:filesystem.
#
# ocf-tester starts, stops and monitors the resource for real. On this machine there is no
# OCFS2 kernel, so the agent runs against a temporary system root (O2CB_SYSROOT) with the
# per-fs layout selected: `configfs` there is a plain directory tree, so the test proves the
# agent's plumbing and OCF contract (exit codes, idempotent start/stop, probes without
# binaries), while the layout's rules are proven by crates/configfs/tests/perfs.rs and the
# classic layout on a real kernel by tests/kernel/cases/perfs-*.sh.
#   tests/ocf/run-ocf-tester.sh [O2CB_BINARY]
set -euo pipefail
cd "$(dirname "$0")/../.."
o2cb=${1:-}
if [ -z "$o2cb" ]; then
    cargo build --release --quiet --bin o2cb
    o2cb="$PWD/target/release/o2cb"
fi
command -v ocf-tester >/dev/null && command -v xmllint >/dev/null || {
    echo "run-ocf-tester.sh: ocf-tester and xmllint are needed (resource-agents, libxml2-utils)" >&2
    exit 2
}
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
chmod 755 "$root"
# The per-fs layout's default group, which such a kernel would create.
mkdir -p "$root/etc/ocfs2" "$root/etc/default" "$root/sys/kernel/config/cluster/ocfs2" "$root/dev" "$root/run"
# A real OCFS2 volume (an image file) for the heartbeat geometry and the slot count.
truncate -s 64M "$root/dev/vdz"
mkfs.ocfs2 -q -F -b 4K -C 4K -N 4 --cluster-stack=o2cb --cluster-name=web -L ocftest "$root/dev/vdz" >/dev/null
host=$(hostname)
cat > "$root/etc/default/o2cb" <<CONF
O2CB_ENABLED=true
O2CB_BOOTCLUSTER=web
O2CB_FS_LAYOUT=per-fs
CONF
cat > "$root/etc/ocfs2/cluster.conf" <<CONF
cluster:
	name = web
	heartbeat_mode = local
	node_count = 2

node:
	cluster = web
	number = 0
	ip_port = 7777
	ip_address = 10.9.0.1
	name = $host

node:
	cluster = web
	number = 1
	ip_port = 7777
	ip_address = 10.9.0.2
	name = other

CONF
O2CB_SYSROOT=$root "$o2cb" --config-file="$root/etc/ocfs2/cluster.conf" add-filesystem web "$root/dev/vdz"
uuid=$(O2CB_SYSROOT=$root "$o2cb" --config-file="$root/etc/ocfs2/cluster.conf" list-filesystems --oneline | awk '/^filesystem:/ {print $2}')
O2CB_SYSROOT=$root "$o2cb" --config-file="$root/etc/ocfs2/cluster.conf" add-filesystem-node "$uuid" "$host"
O2CB_SYSROOT=$root "$o2cb" --config-file="$root/etc/ocfs2/cluster.conf" add-filesystem-node --slot 3 "$uuid" other
cat "$root/etc/ocfs2/cluster.conf"
export O2CB_SYSROOT=$root
ocf-tester -v -n fs-$uuid -o uuid="$uuid" -o conffile="$root/etc/ocfs2/cluster.conf" -o o2cb="$o2cb" \
    "$PWD/dist/ocf/filesystem"
echo "ocf-tester passed for ocf:o2cb:filesystem (uuid $uuid)"
