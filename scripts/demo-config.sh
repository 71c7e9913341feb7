#!/usr/bin/env bash
# A tour of the tools: builds them, then shows the o2cb configuration commands at work on a
# scratch cluster.conf, side by side with what they keep that the C tools drop.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cargo build --release --quiet --bins
bin="$PWD/target/release"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
conf="$work/cluster.conf"
say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
run() { say "$*"; "$@" || echo "(exit status $?)"; }

o2cb() { "$bin/o2cb" --config-file="$conf" "$@"; }

cat > "$conf" <<'CONF'
# Cluster for the web farm -- maintained by hand, please keep this comment.
cluster:
	name = web
	heartbeat_mode = local
	node_count = 1

node:
	cluster = web
	number = 0
	ip_port = 7777
	ip_address = 10.0.0.1
	name = alpha
	rack = r12
CONF
say "cat cluster.conf"; cat "$conf"
run o2cb add-node --ip 10.0.0.2 web beta
run o2cb list-cluster --oneline web
say "cat cluster.conf   # the comment and the unknown key 'rack' survived"; cat "$conf"
run o2cb add-node --ip 10.0.0.2 --number 300 web gamma

printf 'cluster :\n\tname = web\n\n\tnode_count = 1\nnode:\n\tname = a\n\tcluster = web\n\tnumber = 0\n\tip_address = 10.0.0.01\n\tip_port = 7777\n' > "$work/broken.conf"
say "cat broken.conf"; cat "$work/broken.conf"
(cd "$work" && run "$bin/o2cb" check broken.conf)
