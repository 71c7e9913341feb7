#!/usr/bin/env bash
# Peak memory and time of real edits by our `o2cb`, on generated files of several shapes.
# Results and how to read them: docs/benchmarks.md ("Edits: memory and time").
#
#   (a) peak RSS of `o2cb --config-file=F add-cluster bench` (and of `o2cb check F`) on
#       ~10 MB files of each shape: blank lines, comment lines, node stanzas, header-only
#       stanzas, attribute lines, long values, a value of continuation lines, rejected lines;
#       printed with its ratio to the file size (goal: at most 10);
#   (b) wall time of `remove-node`, `add-cluster` and `heartbeat-mode` on a cluster of
#       10,000, 40,000 and 100,000 nodes (goal: linear).
#
# usage: scripts/bench-edit.sh [--binary PATH] [--mb N]
#   --binary PATH   measure this o2cb instead of building ours (e.g. an older build)
#   --mb N          size of the shape files in MB (default 10)
# Needs GNU time (/usr/bin/time) and awk. Cargo's target directory is $CARGO_TARGET_DIR
# when set, else ./target.
set -euo pipefail
cd "$(dirname "$0")/.."

binary=""
mb=10
while [ $# -gt 0 ]; do
    case "$1" in
        --binary) binary="$2"; shift 2 ;;
        --mb) mb="$2"; shift 2 ;;
        *) echo "usage: $0 [--binary PATH] [--mb N]" >&2; exit 2 ;;
    esac
done
[ -x /usr/bin/time ] || { echo "$0: GNU time (/usr/bin/time) is needed" >&2; exit 1; }

if [ -z "$binary" ]; then
    cargo build --release --quiet -p o2cb
    binary="${CARGO_TARGET_DIR:-$PWD/target}/release/o2cb"
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

bytes=$((mb * 1000 * 1000))
head='cluster:\n\tname = web\n\theartbeat_mode = local\n\tnode_count = 0\n\n'

# Each shape: a cluster stanza, then the shape's lines up to about $bytes.
shape() {
    local name="$1"
    awk -v shape="$name" -v bytes="$bytes" -v head="$head" 'BEGIN {
        printf head
        if (shape == "blank-lines") {
            for (n = 0; n < bytes; n += 1000) { s = ""; for (i = 0; i < 1000; i++) s = s "\n"; printf "%s", s }
        } else if (shape == "comment-lines") {
            for (n = 0; n < bytes; n += 2000) { s = ""; for (i = 0; i < 1000; i++) s = s "#\n"; printf "%s", s }
        } else if (shape == "node-stanzas") {
            for (k = 0; n < bytes; k++) {
                s = sprintf("node:\n\tcluster = web\n\tnumber = %d\n\tip_port = 7777\n\tip_address = 10.%d.%d.%d\n\tname = n%d\n\n", k, int(k / 62500), int(k / 250) % 250, k % 250 + 1, k)
                printf "%s", s; n += length(s)
            }
        } else if (shape == "header-only-stanzas") {
            for (n = 0; n < bytes; n += 3000) { s = ""; for (i = 0; i < 1000; i++) s = s "x:\n"; printf "%s", s }
        } else if (shape == "attribute-lines") {
            printf "x:\n"
            for (n = 0; n < bytes; n += 4000) { s = ""; for (i = 0; i < 1000; i++) s = s " a=\n"; printf "%s", s }
        } else if (shape == "long-values") {
            v = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
            while (length(v) < 1000000) v = v v
            printf "x:\n"
            for (n = 0; n < bytes; n += length(v) + 6) printf "\tv = %s\n", v
        } else if (shape == "continuation-value") {
            printf "x:\n\tv = "
            for (n = 0; n < bytes; n += 3000) { s = ""; for (i = 0; i < 1000; i++) s = s "a\\\n"; printf "%s", s }
            printf "a\n"
        } else if (shape == "rejected-lines") {
            for (n = 0; n < bytes; n += 2000) { s = ""; for (i = 0; i < 1000; i++) s = s "-\n"; printf "%s", s }
        }
    }'
}

# peak RSS in KB, wall seconds and CPU seconds (user + system) of one run:
# "KB WALL CPU STATUS"
measure() {
    local status=0
    /usr/bin/time -f '%M %e %U %S' -o "$tmp/time" "$@" >/dev/null 2>"$tmp/stderr" || status=$?
    tail -1 "$tmp/time" | awk -v s="$status" '{ printf "%s %s %.2f %s\n", $1, $2, $3 + $4, s }'
}

echo "binary: $binary"
echo "machine: $(nproc) CPUs, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)"
echo
echo "(a) peak RSS, ${mb} MB files"
printf '%-22s %12s | %10s %6s %5s | %10s %6s %5s\n' shape "file bytes" "edit KB" ratio exit "check KB" ratio exit
for s in blank-lines comment-lines node-stanzas header-only-stanzas attribute-lines long-values continuation-value rejected-lines; do
    shape "$s" > "$tmp/$s.conf"
    size=$(stat -c %s "$tmp/$s.conf")
    cp "$tmp/$s.conf" "$tmp/work.conf"
    read -r ekb _ _ estatus < <(measure "$binary" --config-file="$tmp/work.conf" add-cluster bench)
    read -r ckb _ _ cstatus < <(measure "$binary" check "$tmp/$s.conf")
    printf '%-22s %12d | %10d %6.1f %5d | %10d %6.1f %5d\n' "$s" "$size" \
        "$ekb" "$(awk -v k="$ekb" -v s="$size" 'BEGIN { print k * 1024 / s }')" "$estatus" \
        "$ckb" "$(awk -v k="$ckb" -v s="$size" 'BEGIN { print k * 1024 / s }')" "$cstatus"
    rm -f "$tmp/$s.conf" "$tmp/work.conf" "$tmp/work.conf.bak"
done

echo
echo "(b) edit time on a cluster of N nodes: CPU seconds (user + system), wall seconds in ()"
printf '%-8s %12s | %16s %16s %16s\n' nodes "file bytes" remove-node add-cluster heartbeat-mode
for n in 10000 40000 100000; do
    awk -v n="$n" 'BEGIN {
        printf "cluster:\n\tname = web\n\theartbeat_mode = local\n\tnode_count = %d\n\n", n
        for (k = 0; k < n; k++)
            printf "node:\n\tcluster = web\n\tnumber = %d\n\tip_port = 7777\n\tip_address = 10.%d.%d.%d\n\tname = n%d\n\n", k, int(k / 62500), int(k / 250) % 250, k % 250 + 1, k
    }' > "$tmp/nodes.conf"
    size=$(stat -c %s "$tmp/nodes.conf")
    row=()
    for cmd in "remove-node web n5" "add-cluster bench" "heartbeat-mode web global"; do
        cp "$tmp/nodes.conf" "$tmp/work.conf"
        # shellcheck disable=SC2086
        read -r _ wall cpu status < <(measure "$binary" --config-file="$tmp/work.conf" $cmd)
        [ "$status" = 0 ] || { echo "$0: o2cb $cmd failed: $(cat "$tmp/stderr")" >&2; exit 1; }
        row+=("$cpu ($wall)")
    done
    printf '%-8d %12d | %16s %16s %16s\n' "$n" "$size" "${row[@]}"
done
