#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# run-guest.sh - boot a throw-away Linux guest (Debian bookworm's kernel with
# configfs and the OCFS2 o2cb modules) under QEMU and run one script in it.
#
# usage: run-guest.sh [options] EXTRA_DIR GUEST_SCRIPT
#   EXTRA_DIR     directory copied to /extra in the guest (on PATH); '-' for none
#   GUEST_SCRIPT  run by the guest's /init as `/bin/sh /guest-cmd.sh` (busybox
#                 ash); its exit status becomes ours
# options:
#   --overlay DIR     copy DIR's contents onto the guest root (repeatable)
#   --layer NAME      append the image layer cache/NAME.cpio.gz (setup.sh --layer
#                     NAME; "ha", "pacemaker") to the base initramfs (repeatable;
#                     a layer's own lower layers must be named too, lowest first)
#   --disks N         number of fresh sparse virtio disks (/dev/vda...), default 1
#   --disk-size SIZE  size of each fresh disk (truncate syntax), default 256M
#   --disk FILE       attach an existing raw image instead (repeatable);
#                     FILE:shared opens it for sharing with another guest
#   --net NETSPEC     a virtio NIC on QEMU -netdev NETSPEC, e.g.
#                     socket,id=n0,listen=127.0.0.1:40000 (default: none)
#   --mac MAC         the NIC's MAC address (two guests on one network need
#                     different ones; default QEMU's 52:54:00:12:34:56)
#   --mem SIZE        guest memory, default 256M (96M is too little to unpack)
#   --smp N           guest CPUs, default 1 (TCG; the host has 2 cores, shared)
#   --hostname NAME   guest hostname, default node1
#   --timeout SEC     kill QEMU after SEC seconds of wall time, default 600
#   --append ARGS     extra kernel command line
#   --env KEY=VAL     pass RG_KEY=VAL to the guest script (rg.key=val on the
#                     kernel command line; no spaces in VAL), repeatable
#   --no-modules      do not insmod the OCFS2 modules in /init
#   --no-setup        do not run setup.sh (the caller already did)
#   --log FILE        console log (default: cache/last-console.log)
#   --quiet           do not copy the console to stdout (the log still gets it)
#   --quiet-kernel    boot with loglevel=4 (kernel notices kept out of the console)
#   --pidfile FILE    QEMU writes its pid there (a harness that must kill this guest
#                     as a fence would, run-pacemaker.sh)
#   --ctl-pipe PATH   a second serial port (/dev/ttyS1 in the guest) on the FIFOs
#                     PATH.in (host to guest) and PATH.out (guest to host), which
#                     the caller makes (mkfifo) and reads and writes
# environment: RG_CACHE (cache dir), RG_ACCEL (default "kvm:tcg": KVM when the
#   CPU shows vmx/svm, else TCG)
#
# exit status: the guest script's status (GUEST-EXIT=<n> on the console);
#   124 the guest did not finish within --timeout (killed),
#   125 no GUEST-EXIT marker: kernel panic (reported) or QEMU failure,
#   2 usage errors.
set -euo pipefail

# the header comment above is the help text
help_text() { awk 'NR > 2 && /^#/ { sub(/^# ?/, ""); print; next } NR > 2 { exit }' "$0"; }

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE="${RG_CACHE:-$HERE/cache}"
NDISKS=1 DISK_SIZE=256M MEM=256M SMP=1 HOST=node1 TIMEOUT=600
APPEND='' MODULES=1 LOG='' LOGLEVEL=7 SETUP=1 QUIET=0 NET=none MAC='' PIDFILE='' CTL=''
DISKS=() OVERLAYS=() LAYERS=()
usage() { help_text >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --overlay) OVERLAYS+=("$2"); shift 2 ;;
    --layer) LAYERS+=("$2"); shift 2 ;;
    --disks) NDISKS="$2"; shift 2 ;;
    --disk-size) DISK_SIZE="$2"; shift 2 ;;
    --disk) d=${2%:shared}; DISKS+=("$(realpath "$d")${2#"$d"}"); shift 2 ;;
    --net) NET="$2"; shift 2 ;;
    --mac) MAC="$2"; shift 2 ;;
    --mem) MEM="$2"; shift 2 ;;
    --smp) SMP="$2"; shift 2 ;;
    --hostname) HOST="$2"; shift 2 ;;
    --timeout) TIMEOUT="$2"; shift 2 ;;
    --append) APPEND="$APPEND $2"; shift 2 ;;
    --env) k="${2%%=*}"; APPEND="$APPEND rg.$(echo "$k" | tr 'A-Z_' 'a-z.')=${2#*=}"; shift 2 ;;
    --no-modules) MODULES=0; shift ;;
    --no-setup) SETUP=0; shift ;;
    --log) LOG="$2"; shift 2 ;;
    --quiet) QUIET=1; shift ;;
    --quiet-kernel) LOGLEVEL=4; shift ;;
    --pidfile) PIDFILE="$2"; shift 2 ;;
    --ctl-pipe) CTL="$2"; shift 2 ;;
    -h|--help) usage ;;
    --) shift; break ;;
    -) break ;;
    -*) echo "run-guest.sh: unknown option $1" >&2; usage ;;
    *) break ;;
  esac
done
[ $# -eq 2 ] || usage
EXTRA="$1" SCRIPT="$2"
[ "$EXTRA" = - ] || [ -d "$EXTRA" ] || { echo "run-guest.sh: $EXTRA is not a directory" >&2; exit 2; }
[ -f "$SCRIPT" ] || { echo "run-guest.sh: $SCRIPT not found" >&2; exit 2; }

# base initramfs + kernel; the lock keeps concurrent runs from building the
# cache twice
mkdir -p "$CACHE"
if [ "$SETUP" = 1 ]; then
  if command -v flock >/dev/null; then
    flock "$CACHE/.setup.lock" "$HERE/setup.sh" >&2
  else
    "$HERE/setup.sh" >&2
  fi
fi
if ! [ -s "$CACHE/base.cpio.gz" ] || ! [ -x "$CACHE/busybox" ]; then
  echo "run-guest.sh: cache not built (run setup.sh)" >&2; exit 2
fi
for l in ${LAYERS[@]+"${LAYERS[@]}"}; do
  [ -s "$CACHE/$l.cpio.gz" ] || { echo "run-guest.sh: no layer $l (run setup.sh --layer $l)" >&2; exit 2; }
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/rg.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
[ -n "$LOG" ] || LOG="$CACHE/last-console.log"
mkdir -p "$(dirname "$LOG")"

# make_initrd OUT: the cached base archive, the image layers asked for, plus a
# per-run layer (/extra, overlays, /guest-cmd.sh); the kernel unpacks
# concatenated archives in order and later files win, so the base is never
# rebuilt for a run
make_initrd() {
  local out="$1" layer="$WORK/layer" o
  mkdir -p "$layer/extra"
  [ "$EXTRA" = - ] || cp -a "$EXTRA/." "$layer/extra/"
  for o in ${OVERLAYS[@]+"${OVERLAYS[@]}"}; do cp -a "$o/." "$layer/"; done
  install -m 0755 "$SCRIPT" "$layer/guest-cmd.sh"
  (cd "$layer" && find . -mindepth 1 | LC_ALL=C sort | "$CACHE/busybox" cpio -o -H newc 2>/dev/null) |
    gzip -1 > "$WORK/layer.cpio.gz"
  local parts=("$CACHE/base.cpio.gz")
  for o in ${LAYERS[@]+"${LAYERS[@]}"}; do parts+=("$CACHE/$o.cpio.gz"); done
  cat "${parts[@]}" "$WORK/layer.cpio.gz" > "$out"
}

# accelerator: KVM only where the CPU advertises it (on this project's hosts
# /dev/kvm may exist but cannot run a stock kernel), else TCG
ACCEL_ARGS=()
IFS=: read -ra accs <<< "${RG_ACCEL:-kvm:tcg}"
for a in "${accs[@]}"; do
  if [ "$a" = kvm ] && ! { [ -r /dev/kvm ] && [ -w /dev/kvm ] && grep -qE 'vmx|svm' /proc/cpuinfo; }; then
    continue
  fi
  ACCEL_ARGS+=(-accel "$a")
done
[ ${#ACCEL_ARGS[@]} -gt 0 ] || ACCEL_ARGS=(-accel tcg)

# qemu_argv INITRD CMDLINE NETSPEC DISK...: the whole QEMU command line of one
# guest, into the array QEMU_ARGV.  All QEMU knowledge is here so that a
# two-node run can call it once per guest:
#   NETSPEC  "none", or QEMU -netdev options such as
#            "socket,id=n0,listen=127.0.0.1:40000" / "socket,id=n0,connect=..."
#            (guest-to-guest network; the guest then sees a virtio NIC)
#   DISK     "FILE" or "FILE:shared"; a shared disk is opened by both guests,
#            so QEMU's image locking is turned off and share-rw allowed
qemu_argv() {
  local initrd="$1" cmdline="$2" net="$3" d file i=0
  shift 3
  QEMU_ARGV=(qemu-system-x86_64 "${ACCEL_ARGS[@]}"
    -m "$MEM" -smp "$SMP" -nodefaults -no-user-config -display none -vga none
    -no-reboot -serial stdio -monitor none
    -kernel "$CACHE/vmlinuz" -initrd "$initrd" -append "$cmdline")
  [ -z "$CTL" ] || QEMU_ARGV+=(-serial "pipe:$CTL")
  [ -z "$PIDFILE" ] || QEMU_ARGV+=(-pidfile "$PIDFILE")
  if [ "$net" = none ]; then
    QEMU_ARGV+=(-nic none)
  else
    QEMU_ARGV+=(-netdev "$net"
                -device "virtio-net-pci,netdev=$(echo "$net" | sed -n 's/.*id=\([^,]*\).*/\1/p')${MAC:+,mac=$MAC}")
  fi
  for d in "$@"; do
    file=${d%:shared}
    if [ "$d" != "$file" ]; then
      QEMU_ARGV+=(-drive "file=$file,format=raw,if=none,id=d$i,cache=none,file.locking=off"
                  -device "virtio-blk-pci,drive=d$i,share-rw=on")
    else
      # cache=unsafe: these disks are thrown away, so never wait for fsync
      QEMU_ARGV+=(-drive "file=$file,format=raw,if=none,id=d$i,cache=unsafe"
                  -device "virtio-blk-pci,drive=d$i")
    fi
    i=$((i+1))
  done
}

# run_qemu LOG: run QEMU_ARGV under the wall-clock timeout, console to LOG
# (and stdout unless --quiet); sets QRC to QEMU's status (124/137 = killed)
run_qemu() {
  local log="$1"
  set +e
  if [ "$QUIET" = 1 ]; then
    timeout -k 5 "$TIMEOUT" "${QEMU_ARGV[@]}" </dev/null >"$log" 2>&1
    QRC=$?
  else
    timeout -k 5 "$TIMEOUT" "${QEMU_ARGV[@]}" </dev/null 2>&1 | tee "$log"
    QRC=${PIPESTATUS[0]}
  fi
  set -e
}

make_initrd "$WORK/initrd.gz"
if [ ${#DISKS[@]} -eq 0 ]; then
  for i in $(seq 1 "$NDISKS"); do
    truncate -s "$DISK_SIZE" "$WORK/disk$i.img"   # sparse: costs nothing until written
    DISKS+=("$WORK/disk$i.img")
  done
fi
# panic=-1 + -no-reboot: a kernel panic ends QEMU at once instead of hanging
# until the timeout; softlockup_panic turns a kernel spin (a known o2nm bug
# class) into such a panic
CMDLINE="console=ttyS0 panic=-1 softlockup_panic=1 loglevel=$LOGLEVEL rg.hostname=$HOST rg.modules=$MODULES$APPEND"
qemu_argv "$WORK/initrd.gz" "$CMDLINE" "$NET" ${DISKS[@]+"${DISKS[@]}"}

echo "[run-guest] accel: ${ACCEL_ARGS[*]}  mem=$MEM smp=$SMP disks=${#DISKS[@]} timeout=${TIMEOUT}s${LAYERS[*]:+ layers=${LAYERS[*]}} initrd=$(du -k "$WORK/initrd.gz" | cut -f1)K" >&2
start=$(date +%s.%N)
run_qemu "$LOG"
elapsed=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}')

marker=$(tr -d '\r' < "$LOG" | sed -n 's/^GUEST-EXIT=\([0-9][0-9]*\).*/\1/p' | tail -1)
panic=$(tr -d '\r' < "$LOG" | grep -m1 -E 'Kernel panic|kernel BUG at|BUG: soft lockup' || true)
if [ "$QRC" = 124 ] || [ "$QRC" = 137 ]; then
  echo "[run-guest] TIMEOUT: guest killed after ${TIMEOUT}s (wall ${elapsed}s); console log: $LOG" >&2
  exit 124
fi
if [ -z "$marker" ]; then
  if [ -n "$panic" ]; then
    echo "[run-guest] KERNEL PANIC: $panic (qemu rc=$QRC, wall ${elapsed}s); console log: $LOG" >&2
  else
    echo "[run-guest] no GUEST-EXIT marker (qemu rc=$QRC, wall ${elapsed}s); console log: $LOG" >&2
  fi
  exit 125
fi
echo "[run-guest] guest exit status $marker (qemu rc=$QRC, wall ${elapsed}s)" >&2
exit "$marker"
