#!/usr/bin/env bash
# Our `o2cb` against the C one (Debian's ocfs2-tools) on the same generated files; prints
# ratios (ours / C). Results and how to read them: docs/benchmarks.md.
#
#   (a) instructions (valgrind --tool=callgrind; stable on a busy machine) for
#       `o2cb --config-file=F list-cluster C` on a 255-node, 32-region file;
#   (b) wall time (hyperfine) for `o2cb --config-file=F list-clusters` on files of 500,
#       1,000 and 2,000 clusters of 8 nodes each.
#
# usage: scripts/bench-vs-c.sh [--runs N] [--instructions-too]
#   --runs N              runs per wall-time measurement (default 10)
#   --instructions-too    also count the instructions of (b), which do not depend on the
#                         machine's load (slow: the C tool runs ~15 G instructions at 2,000)
# The C tool is taken from $C_O2CB (default /usr/sbin/o2cb). Cargo's target directory is
# $CARGO_TARGET_DIR when set, else ./target.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=10
instructions_too=0
while [ $# -gt 0 ]; do
    case "$1" in
        --runs) runs="$2"; shift 2 ;;
        --instructions-too) instructions_too=1; shift ;;
        *) echo "usage: $0 [--runs N] [--instructions-too]" >&2; exit 2 ;;
    esac
done

c_o2cb="${C_O2CB:-/usr/sbin/o2cb}"
for tool in valgrind hyperfine awk "$c_o2cb"; do
    command -v "$tool" >/dev/null || { echo "$0: $tool is needed (scripts/install-deps.sh)" >&2; exit 1; }
done

cargo build --release --quiet -p o2cb
ours="${CARGO_TARGET_DIR:-$PWD/target}/release/o2cb"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# One cluster C in global mode with 255 nodes and 32 regions, as the C tool writes it.
awk 'BEGIN {
    printf "cluster:\n\tname = C\n\theartbeat_mode = global\n\tnode_count = 255\n\n"
    for (r = 0; r < 32; r++)
        printf "heartbeat:\n\tcluster = C\n\tregion = %032X\n\n", r + 1
    for (n = 0; n < 255; n++)
        printf "node:\n\tcluster = C\n\tnumber = %d\n\tip_port = 7777\n\tip_address = 10.0.%d.%d\n\tname = node%d\n\n", n, int(n / 200), n % 200 + 1, n
}' > "$tmp/one-cluster.conf"

# N clusters c0..c(N-1) of 8 nodes each.
many_clusters() {
    awk -v n="$1" 'BEGIN {
        for (c = 0; c < n; c++)
            printf "cluster:\n\tname = c%d\n\theartbeat_mode = local\n\tnode_count = 8\n\n", c
        for (c = 0; c < n; c++)
            for (k = 0; k < 8; k++)
                printf "node:\n\tcluster = c%d\n\tnumber = %d\n\tip_port = 7777\n\tip_address = 10.%d.%d.%d\n\tname = c%dn%d\n\n", c, k, int(c / 250), c % 250, k + 1, c, k
    }'
}
sizes=(500 1000 2000)
for n in "${sizes[@]}"; do
    many_clusters "$n" > "$tmp/clusters-$n.conf"
done

# The comparison means nothing unless both tools say the same thing.
same_output() {
    local a b
    a="$("$c_o2cb" "$@")"
    b="$("$ours" "$@")"
    [ "$a" = "$b" ] || { echo "$0: the tools disagree on: o2cb $*" >&2; exit 1; }
}
same_output --config-file="$tmp/one-cluster.conf" list-cluster C
for n in "${sizes[@]}"; do
    same_output --config-file="$tmp/clusters-$n.conf" list-clusters
done

echo "machine: $(nproc) CPUs, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)"
echo "C tool:  $c_o2cb ($(dpkg-query -W -f '${Package} ${Version}' ocfs2-tools 2>/dev/null || echo 'version unknown'))"
echo "ours:    $ours"
echo

# (a) instructions
instructions() {
    valgrind --tool=callgrind --callgrind-out-file="$tmp/callgrind.out" "$@" \
        > /dev/null 2> "$tmp/callgrind.log"
    awk '/Collected :/ { print $NF }' "$tmp/callgrind.log"
}
args=(--config-file="$tmp/one-cluster.conf" list-cluster C)
c_ir="$(instructions "$c_o2cb" "${args[@]}")"
our_ir="$(instructions "$ours" "${args[@]}")"
echo "(a) instructions, list-cluster C, 255 nodes and 32 regions (valgrind --tool=callgrind)"
printf '    %-8s %14s\n' C "$c_ir" ours "$our_ir"
awk -v o="$our_ir" -v c="$c_ir" 'BEGIN { printf "    ours/C   %14.3f   (goal <= 0.3)\n\n", o / c }'

# (b) wall time
mean_seconds() {
    hyperfine --shell=none --warmup 1 --runs "$runs" --style none \
        --export-json "$tmp/hyperfine.json" "$*" > /dev/null 2> "$tmp/hyperfine.log"
    awk -F': ' '/"mean"/ { gsub(/,/, "", $2); print $2; exit }' "$tmp/hyperfine.json"
}
echo "(b) wall time, list-clusters, clusters of 8 nodes (hyperfine, mean of $runs runs)"
printf '    %8s %9s %12s %12s %10s\n' clusters "size" "C (s)" "ours (s)" "ours/C"
declare -A c_mean our_mean
for n in "${sizes[@]}"; do
    f="$tmp/clusters-$n.conf"
    c_mean[$n]="$(mean_seconds "$c_o2cb" --config-file="$f" list-clusters)"
    our_mean[$n]="$(mean_seconds "$ours" --config-file="$f" list-clusters)"
    awk -v n="$n" -v kb="$(( $(stat -c %s "$f") / 1024 ))" -v c="${c_mean[$n]}" -v o="${our_mean[$n]}" \
        'BEGIN { printf "    %8d %6d KB %12.4f %12.5f %10.4f\n", n, kb, c, o, o / c }'
done
first="${sizes[0]}"
last="${sizes[-1]}"
awk -v f="$first" -v l="$last" -v c0="${c_mean[$first]}" -v c1="${c_mean[$last]}" \
    -v o0="${our_mean[$first]}" -v o1="${our_mean[$last]}" 'BEGIN {
    printf "    growth from %d to %d clusters (x%d input): C x%.1f, ours x%.1f\n", f, l, l / f, c1 / c0, o1 / o0
    printf "    goal at %d clusters: ours/C <= 0.02\n", l
}'

if [ "$instructions_too" -eq 1 ]; then
    echo
    echo "(b') instructions, list-clusters (valgrind --tool=callgrind)"
    printf '    %8s %16s %14s %10s\n' clusters C ours ours/C
    for n in "${sizes[@]}"; do
        args=(--config-file="$tmp/clusters-$n.conf" list-clusters)
        c_ir="$(instructions "$c_o2cb" "${args[@]}")"
        our_ir="$(instructions "$ours" "${args[@]}")"
        awk -v n="$n" -v c="$c_ir" -v o="$our_ir" 'BEGIN { printf "    %8d %16d %14d %10.4f\n", n, c, o, o / c }'
    done
fi
