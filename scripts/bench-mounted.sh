#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# bench-mounted.sh - our mounted.ocfs2 -d against the C one (ocfs2-tools) on 256 image
# files, one device argument per run, as a script or a monitoring agent asks about one
# volume at a time. Prints the time per run of each, the ratio ours/C (goal: <= 0.5) and
# the reads each makes per device (strace).
#
# usage: scripts/bench-mounted.sh [--ours PATH] [--c PATH] [--rounds N]
#   --ours PATH   our binary (default: cargo build --release -p mounted, then
#                 $CARGO_TARGET_DIR/release/mounted_ocfs2)
#   --c PATH      the C tool (default /sbin/mounted.ocfs2, or /sbin/mounted.ocfs2.ocfs2-tools
#                 where our package diverted it; a binary without com_err is not the C tool)
#   --rounds N    rounds over the 256 images per tool; the best round counts (default 5)
#
# How the comparison is made fair:
# - The images: 8 layouts made by the real mkfs.ocfs2 (block sizes 512..4K, cluster sizes
#   4K..1M, slots 1..16, o2cb/pcmk/classic stacks, global heartbeat, a local volume, a
#   heartbeat device), 32 sparse copies of each. Both tools read the same files, in the
#   same order, after the same warm-up round.
# - The C tool calls libo2cb's start-up, which on a machine without the OCFS2 stack glue
#   forks /sbin/modprobe twice per run. On a cluster node the glue is loaded and it does
#   not. So both tools run in a private mount namespace where /sys/fs/ocfs2/cluster_stack
#   says "o2cb" (a tmpfs over /sys/fs, nothing else changes), as on a node; the time
#   with the forks, as this machine has it, is printed too.
# - Every run is a fresh process started by the same shell loop, interleaved with the
#   others. Starting and ending any process costs about as much as the whole work of
#   mounted.ocfs2 -d on one image, and it is the same for both, so it is measured with an
#   empty program (true) and the ratio of what each tool adds to it is the headline; the
#   ratio of whole runs is printed too.
# - Image files are never stale in the page cache (every writer on this machine shares
#   it), so ours reads them from it; the C tool drops their first MiB from the cache before
#   each run and reads the disk again. On block devices both drop it.
# Needs root (the mount namespace) and strace for the read counts.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
OURS='' C='' ROUNDS=5
while [ $# -gt 0 ]; do
  case $1 in
    --ours) OURS=$2; shift 2 ;;
    --c) C=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    -h|--help) awk 'NR > 2 && /^#/ { sub(/^# ?/, ""); print; next } NR > 2 { exit }' "$0"; exit 0 ;;
    *) echo "bench-mounted: unknown argument $1" >&2; exit 2 ;;
  esac
done
if [ -z "$C" ]; then
  for cand in /sbin/mounted.ocfs2.ocfs2-tools /sbin/mounted.ocfs2; do
    if [ -f "$cand" ] && grep -q libcom_err "$cand"; then C=$cand; break; fi
  done
fi
[ -n "$C" ] || { echo "bench-mounted: the C mounted.ocfs2 (ocfs2-tools) is not installed" >&2; exit 1; }
MKFS=/sbin/mkfs.ocfs2
[ -x "$C" ] && [ -x "$MKFS" ] || { echo "bench-mounted: needs ocfs2-tools ($C, $MKFS)" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "bench-mounted: needs root (a private mount namespace)" >&2; exit 1; }
if [ -z "$OURS" ]; then
  (cd "$REPO" && cargo build --release -q -p mounted) >&2
  tdir=${CARGO_TARGET_DIR:-$REPO/target}
  OURS=$(realpath -m "$tdir")/release/mounted_ocfs2
fi
[ -x "$OURS" ] || { echo "bench-mounted: no binary at $OURS" >&2; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/bench-mounted.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
# Private copies: a package installed or removed meanwhile changes nothing here.
cp "$C" "$WORK/mounted.ocfs2.c" && C=$WORK/mounted.ocfs2.c
cp "$OURS" "$WORK/mounted.ocfs2.ours" && OURS=$WORK/mounted.ocfs2.ours
LAYOUTS=(
  "-b 4K -C 4K -N 4 --cluster-stack=o2cb --cluster-name=prod -L data"
  "-b 512 -C 4K -N 2"
  "-b 1K -C 64K -N 8 --cluster-stack=pcmk --cluster-name=hacluster -L pcmk"
  "-b 2K -C 8K -N 16 --global-heartbeat --cluster-stack=o2cb --cluster-name=web"
  "-b 4K -C 1M -N 1 -L bigclusters"
  "-b 4K -C 32K -M local -L local"
  "-b 1K -C 4K -N 3 --fs-features=noextended-slotmap"
  "-H -b 1K -C 4K -L hb"
)
n=0
for layout in "${LAYOUTS[@]}"; do
  tpl=$WORK/template.img
  rm -f "$tpl"
  case $layout in -H*) size=2M ;; *"-C 1M"*) size=128M ;; *) size=96M ;; esac
  truncate -s "$size" "$tpl"
  # shellcheck disable=SC2086 # the layout is a list of options
  "$MKFS" -F -q $layout -J size=4M "$tpl" > /dev/null 2>&1 ||
    "$MKFS" -F -q $layout "$tpl" > /dev/null 2>&1 ||
    { echo "bench-mounted: mkfs.ocfs2 $layout failed" >&2; exit 1; }
  for _ in $(seq 32); do
    n=$((n + 1))
    cp --sparse=always "$tpl" "$WORK/vol$(printf %03d "$n").img"
  done
done
rm -f "$WORK/template.img"
IMAGES=("$WORK"/vol*.img)
printf '%s\n' "${IMAGES[@]}" > "$WORK/list"

# The timing loop. Runs are interleaved (for each image: every tool in turn), so that the
# load of a shared machine, which drifts, weighs on all alike; each run is timed with bash's
# own clock (no extra process). Prints "NAME MICROSECONDS" for each tool's best round.
cat > "$WORK/loop.sh" <<'EOF'
#!/bin/bash
set -euo pipefail
export LC_ALL=C
list=$1 rounds=$2; shift 2
mapfile -t images < "$list"
declare -A prog best
names=()
for pair in "$@"; do names+=("${pair%%=*}"); prog[${pair%%=*}]=${pair#*=}; done
for ((r = 0; r <= rounds; r++)); do
  declare -A sum=()
  for i in "${images[@]}"; do
    for n in "${names[@]}"; do
      t0=${EPOCHREALTIME/./}
      "${prog[$n]}" -d "$i" > /dev/null || true
      t1=${EPOCHREALTIME/./}
      sum[$n]=$(( ${sum[$n]:-0} + t1 - t0 ))
    done
  done
  # round 0 warms the page cache and the binaries up and does not count
  ((r == 0)) && continue
  for n in "${names[@]}"; do
    if [ -z "${best[$n]:-}" ] || [ "${sum[$n]}" -lt "${best[$n]}" ]; then best[$n]=${sum[$n]}; fi
  done
done
for n in "${names[@]}"; do echo "$n ${best[$n]}"; done
EOF
chmod +x "$WORK/loop.sh"
TRUE=$(type -P true)
# As on a cluster node: the stack glue's file says o2cb, so libo2cb forks nothing.
NODE_SETUP='mount -t tmpfs bench /sys/fs && mkdir /sys/fs/ocfs2 && echo o2cb > /sys/fs/ocfs2/cluster_stack'
node=$(unshare -m sh -c "$NODE_SETUP && exec \"\$0\" \"\$@\"" "$WORK/loop.sh" "$WORK/list" "$ROUNDS" \
  "c=$C" "ours=$OURS" "true=$TRUE")
here=$("$WORK/loop.sh" "$WORK/list" 1 "c=$C" "ours=$OURS")
ns() { awk -v k="$1" '$1 == k {print $2}' <<< "$2"; }
C_US=$(ns c "$node") OURS_US=$(ns ours "$node") TRUE_US=$(ns true "$node")
HERE_C_US=$(ns c "$here") HERE_OURS_US=$(ns ours "$here")
N=${#IMAGES[@]}
per_run() { awk -v t="$1" -v n="$N" 'BEGIN { printf "%.3f ms", t / n / 1e3 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

# Reads of the image per run, counted with strace on one image of each layout.
reads() {
  local prog=$1 img total=0 bytes=0 out
  for img in "${IMAGES[@]:0:1}" "${IMAGES[@]:32:1}" "${IMAGES[@]:64:1}" "${IMAGES[@]:96:1}" \
             "${IMAGES[@]:128:1}" "${IMAGES[@]:160:1}" "${IMAGES[@]:192:1}" "${IMAGES[@]:224:1}"; do
    strace -f -y -e trace=read,pread64,readv,preadv,preadv2 -o "$WORK/trace" \
      "$prog" -d "$img" > /dev/null 2>&1
    out=$(grep -F "<$img>" "$WORK/trace" || true)
    total=$((total + $(grep -c . <<< "$out" || true)))
    bytes=$((bytes + $(awk -F'= ' '{ s += $NF } END { print s + 0 }' <<< "$out")))
  done
  awk -v r="$total" -v b="$bytes" 'BEGIN { printf "%.1f reads, %d bytes per device", r / 8, b / 8 }'
}

echo "images: $N (${#LAYOUTS[@]} mkfs.ocfs2 layouts x 32 sparse copies), one device argument per run,"
echo "        runs interleaved, best of $ROUNDS rounds after a warm-up round"
echo "as on a cluster node (stack glue present):"
echo "  C    mounted.ocfs2 -d:  $(per_run "$C_US") per run"
echo "  ours mounted.ocfs2 -d:  $(per_run "$OURS_US") per run"
echo "  an empty program (true): $(per_run "$TRUE_US") per run (starting and ending a process)"
echo "  ratio ours/C of what each tool adds to an empty program: $(ratio "$((OURS_US - TRUE_US))" "$((C_US - TRUE_US))") (goal <= 0.5)"
echo "  ratio ours/C of the whole run, process start included: $(ratio "$OURS_US" "$C_US")"
echo "as this machine is (no stack glue: the C tool forks /sbin/modprobe twice per run):"
echo "  C $(per_run "$HERE_C_US"), ours $(per_run "$HERE_OURS_US") per run; ratio ours/C $(ratio "$HERE_OURS_US" "$HERE_C_US")"
if command -v strace > /dev/null; then
  echo "reads of the device: C $(reads "$C"); ours $(reads "$OURS")"
fi
