# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
#
# lib.sh - helpers for kernel test cases, sourced inside the guest (busybox
# ash) by guest/driver.sh before each case and by the case itself.  See
# README.md for how a case uses them.  Conventions:
#   * a helper that checks something fails the case by calling `fail`, which
#     exits the case's shell (each case runs in its own process);
#   * exit status 77 means SKIP (the automake convention), anything else
#     non-zero FAIL;
#   * C tools by full path: $C_SBIN/NAME (/sbin), ours: $RS_SBIN/NAME
#     (/opt/rs/sbin, not on PATH), both under the installed (dotted) names.

CFS=/sys/kernel/config
CLUSTER_DIR=$CFS/cluster
C_SBIN=/sbin
RS_SBIN=/opt/rs/sbin
HB_CTL_PATH_FILE=/proc/sys/fs/ocfs2/nm/hb_ctl_path
# what the kernel runs at mount/umount (ocfs2_hb_ctl -P / -K); the teardown
# puts it back if a case pointed it elsewhere
HB_CTL_DEFAULT=/sbin/ocfs2_hb_ctl

# ------------------------------------------------------------------ output
say()  { echo "$*"; }
step() { echo; echo "--- $*"; }
fail() { echo "FAIL: $*"; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }

# run CMD...: show it, run it, fail the case if it fails
run() {
  echo "+ $*"
  "$@" || fail "exit status $?: $*"
}

# expect_rc N CMD...: run CMD, fail unless its exit status is N
expect_rc() {
  _want=$1; shift
  echo "+ $* (expecting status $_want)"
  _erc=0; "$@" || _erc=$?
  [ "$_erc" = "$_want" ] || fail "exit status $_erc, wanted $_want: $*"
}

# ------------------------------------------------------------------ binaries
cbin()  { echo "$C_SBIN/$1"; }
rsbin() { echo "$RS_SBIN/$1"; }
have_rs() { [ -x "$RS_SBIN/$1" ]; }

# need_rs NAME...: skip the case unless all of our binaries are present.
# (The `# needs: NAME...` header is checked by the driver before the case
# starts; this is for needs found out at run time.)
need_rs() {
  _miss=
  for _b in "$@"; do have_rs "$_b" || _miss="$_miss $_b"; done
  [ -z "$_miss" ] || skip "our binaries not built yet:$_miss"
}

# ------------------------------------------------------------------ time
# Guest clock (seconds since boot, 2 decimals); under TCG it follows the
# host's wall clock closely enough for durations.
now() { read -r _u _ < /proc/uptime; echo "$_u"; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.2f", b-a}'; }
# timed LABEL CMD...: run CMD, print "TIME LABEL: N.NNs", keep its status
timed() {
  _tl=$1; shift
  _t0=$(now)
  _trc=0; "$@" || _trc=$?
  echo "TIME $_tl: $(elapsed "$_t0")s"
  return $_trc
}
# wait_until SECONDS CMD...: poll CMD every 0.2 s until it succeeds
wait_until() {
  _n=$(($1 * 5)); shift
  while [ "$_n" -gt 0 ]; do
    "$@" && return 0
    sleep 0.2; _n=$((_n - 1))
  done
  "$@"
}

# ------------------------------------------------------------------ cluster.conf
# write_cluster_conf FILE CLUSTER NAME:NUM:IP:PORT...
# Writes cluster.conf in the C tools' canonical layout (o2cb add-cluster /
# add-node: key order as o2cb 1.8.7 writes it, tab indent, blank line after
# each stanza), so either toolset reads what the other would have written.
write_cluster_conf() {
  _f=$1 _c=$2; shift 2
  mkdir -p "$(dirname "$_f")"
  {
    printf 'cluster:\n\tname = %s\n\theartbeat_mode = local\n\tnode_count = %s\n\n' "$_c" "$#"
    for _n in "$@"; do
      IFS=: read -r _name _num _ip _port <<EOF
$_n
EOF
      printf 'node:\n\tcluster = %s\n\tnumber = %s\n\tip_port = %s\n\tip_address = %s\n\tname = %s\n\n' \
        "$_c" "$_num" "$_port" "$_ip" "$_name"
    done
  } > "$_f"
}

# ------------------------------------------------------------------ configfs tree
# dump_tree [--raw] [DIR]: the configfs tree under DIR (default the whole
# cluster tree), one line per entry, sorted bytewise, paths relative to
# /sys/kernel/config:
#   cluster/ocfs2/                        a directory
#   cluster/ocfs2/idle_timeout_ms = 30000 an attribute and its value (the one
#                                         trailing newline dropped, others as \n)
# The region attribute `pid` is a kernel thread id that changes from run to
# run, so it reads `<pid>` unless --raw; nothing else is rewritten.
# shellcheck disable=SC2120 # cases pass the arguments
dump_tree() {
  _raw=0
  [ "${1:-}" = --raw ] && { _raw=1; shift; }
  _root=${1:-$CLUSTER_DIR}
  [ -d "$_root" ] || { echo "(no $_root)"; return 0; }
  find "$_root" -mindepth 1 | LC_ALL=C sort | while IFS= read -r _p; do
    _rel=${_p#"$CFS"/}
    if [ -L "$_p" ]; then
      echo "$_rel -> $(readlink "$_p")"
    elif [ -d "$_p" ]; then
      echo "$_rel/"
    else
      if _v=$(cat "$_p" 2>/dev/null); then
        # $(...) already dropped trailing newlines; keep inner ones visible
        _v=$(printf '%s' "$_v" | awk 'NR>1{printf "\\n"} {printf "%s", $0}')
        if [ "$_raw" = 0 ] && [ "${_p##*/}" = pid ] && [ -n "$_v" ]; then _v='<pid>'; fi
      else
        _v='<unreadable>'
      fi
      echo "$_rel = $_v"
    fi
  done
}

# cluster_empty: true when no cluster is registered (configfs back to empty)
cluster_empty() { [ -d "$CLUSTER_DIR" ] && [ -z "$(ls -A "$CLUSTER_DIR")" ]; }
assert_cluster_empty() {
  cluster_empty || { dump_tree "$CLUSTER_DIR"; fail "configfs cluster tree is not empty"; }
}

# ------------------------------------------------------------------ strace
# Which syscalls we trace: the configfs and mount interface of the tools.
# mkdirat/unlinkat/pwrite64 besides the classic calls because a Rust program
# (or a newer libc) may reach the same kernel operation through them.
STRACE_SET=mkdir,mkdirat,rmdir,unlink,unlinkat,openat,write,pwrite64,mount,umount2

# traced OUT CMD...: run CMD under strace -f and write its configfs and mount
# syscalls, normalised (see cfs_normalise), to OUT; the raw trace is kept in
# OUT.raw.  Silent (CMD's own stdout and stderr pass through untouched, so a
# case can capture them); returns CMD's status.
traced() {
  _out=$1; shift
  _src=0
  strace -q -f -y -s 4096 -e trace=$STRACE_SET -o "$_out.raw" "$@" || _src=$?
  cfs_normalise < "$_out.raw" > "$_out"
  return $_src
}
# strace_cfs OUT CMD...: the same, showing the command and the normalised
# trace on stdout
strace_cfs() {
  _so=$1; shift
  echo "+ strace $*"
  _src2=0
  traced "$_so" "$@" || _src2=$?
  sed 's/^/  | /' "$_so"
  return $_src2
}

# cfs_normalise < RAW > OUT: reduce an `strace -f -y` log to what the kernel
# sees of configfs and mount, in order, in a form two runs can be diffed by:
#   mkdir PATH = RET           mkdir / mkdirat (the mode is dropped: configfs
#                              ignores it)
#   rmdir PATH = RET           rmdir / unlinkat(AT_REMOVEDIR)
#   unlink PATH = RET
#   write PATH "VALUE" = RET   write / pwrite64 on an fd open on a configfs
#                              file: the fd is replaced by the file's path
#                              (so fd numbers never matter); a heartbeat
#                              `dev` value is an fd number too: it reads
#                              "<fd>" and its byte count "<len>"
#   open-w PATH = -1 ERR       a failed open for writing (successful opens
#                              are dropped: their flags, e.g. O_CLOEXEC, are
#                              an implementation detail)
#   mount(...) = RET / umount2(...) = RET   as strace prints them
# Pids and the errno text are dropped; RET is `0`, a count or `-1 ENAME`.
# Lines strace splits (<unfinished ...> / <... resumed>) are joined first.
# Anything else (reads, other files) is not part of the comparison: ours may
# legitimately differ there.
cfs_normalise() {
  awk -v cfs="$CFS" '
  function ret(s,   r) {           # " = -1 EBUSY (Device or resource busy)" -> "-1 EBUSY"
    r = s; sub(/^.*\) += /, "", r); sub(/ \(.*\)$/, "", r); return r
  }
  function fdpath(s) {             # "3</sys/x/y>" -> "/sys/x/y"
    if (match(s, /^[0-9]+<[^>]*>/)) { s = substr(s, RSTART, RLENGTH); sub(/^[0-9]+</, "", s); sub(/>$/, "", s); return s }
    return ""
  }
  function dirjoin(d, p) {         # dirfd argument + relative path
    if (substr(p, 1, 1) == "/") return p
    if (d == "AT_FDCWD") return p
    return fdpath(d) "/" p
  }
  function qarg(s, n,   i, a) {    # n-th (1-based) double-quoted string in s
    a = s
    for (i = 1; i <= n; i++) {
      if (!match(a, /"([^"\\]|\\.)*"/)) return ""
      if (i == n) return substr(a, RSTART + 1, RLENGTH - 2)
      a = substr(a, RSTART + RLENGTH)
    }
  }
  function emit(s) { if (s != "") out[slot] = s }
  {
    line = $0
    pid = ""
    if (match(line, /^[0-9]+ +/)) { pid = substr(line, 1, RLENGTH); sub(/ +$/, "", pid); line = substr(line, RLENGTH + 1) }
    if (line ~ /^(\+\+\+|---) /) next                      # exits and signals
    # a call split by another process keeps the place where it started
    if (line ~ / <unfinished \.\.\.>$/) { sub(/ <unfinished \.\.\.>$/, "", line); part[pid] = line; pslot[pid] = n++; next }
    if (line ~ /^<\.\.\. [a-z0-9_]+ resumed>/) {
      sub(/^<\.\.\. [a-z0-9_]+ resumed>/, "", line); line = part[pid] line; slot = pslot[pid]; delete part[pid]
    } else slot = n++
    if (!match(line, /^[a-z0-9_]+\(/)) next
    sc = substr(line, 1, RLENGTH - 1)
    args = substr(line, RLENGTH + 1)
    r = ret(line)
    if (sc == "mkdir" || sc == "rmdir" || sc == "unlink") {
      p = qarg(args, 1)
      if (index(p, cfs) == 1) emit(sc " " p " = " r)
    } else if (sc == "mkdirat" || sc == "unlinkat") {
      split(args, f, ", ")
      p = dirjoin(f[1], qarg(args, 1))
      if (index(p, cfs) != 1) next
      if (sc == "mkdirat") emit("mkdir " p " = " r)
      else if (args ~ /AT_REMOVEDIR/) emit("rmdir " p " = " r)
      else emit("unlink " p " = " r)
    } else if (sc == "write" || sc == "pwrite64") {
      p = fdpath(args)
      if (index(p, cfs) != 1) next
      v = qarg(args, 1)
      if (p ~ /\/heartbeat\/[^\/]+\/dev$/) { v = "<fd>"; if (r ~ /^[0-9]+$/) r = "<len>" }
      emit("write " p " \"" v "\" = " r)
    } else if (sc == "openat") {
      split(args, f, ", ")
      p = dirjoin(f[1], qarg(args, 1))
      if (index(p, cfs) == 1 && args ~ /O_WRONLY|O_RDWR|O_CREAT/ && r ~ /^-1/) emit("open-w " p " = " r)
    } else if (sc == "mount" || sc == "umount2") {
      o = line; sub(/ += .*$/, "", o)
      emit(o " = " r)
    }
  }
  END { for (i = 0; i < n; i++) if (i in out) print out[i] }'
}

# cfs_count FILE [KIND]: number of normalised operations in FILE (all, or
# those of one KIND: mkdir, rmdir, write, mount, ...)
cfs_count() {
  if [ -n "${2:-}" ]; then
    grep -c "^$2[ (]" "$1" || true
  else
    grep -c . "$1" || true
  fi
}

# ------------------------------------------------------------------ asserts
# assert_same_file EXPECTED ACTUAL [WHAT]: pass when the files are identical,
# else print a unified diff (--- EXPECTED, +++ ACTUAL) and fail the case
assert_same_file() {
  [ -f "$1" ] || fail "assert_same_file: $1 does not exist"
  [ -f "$2" ] || fail "assert_same_file: $2 does not exist"
  if cmp -s "$1" "$2"; then
    echo "same: ${3:-$1 = $2}"
    return 0
  fi
  echo "DIFFERENT: ${3:-$1 vs $2}"
  diff -u "$1" "$2" || true
  fail "${3:-$1 and $2} differ"
}

# assert_contains FILE PATTERN (grep -E)
assert_contains() {
  grep -qE -- "$2" "$1" || { sed 's/^/  | /' "$1"; fail "$1 does not match /$2/"; }
}

# ------------------------------------------------------------------ disks, dlmfs
# The driver gives every case blank disks; a case may still want a new one.
wipe_disk() { dd if=/dev/zero of="$1" bs=1M count=4 conv=fsync 2>/dev/null; }
mount_dlmfs() {
  mkdir -p /dlm
  grep -q ' /dlm ocfs2_dlmfs ' /proc/mounts || run mount -t ocfs2_dlmfs ocfs2_dlmfs /dlm
}

# ------------------------------------------------------------------ running a case
# (used by the drivers, guest/driver.sh and guest/cluster-driver.sh)
# case_header KEY FILE: the values of the "# KEY: VALUE" lines of a case file
case_header() { sed -n "s/^#[[:space:]]*$1:[[:space:]]*//p" "$2" | tr '\n' ' '; }
# missing_bins FILE: those of our binaries its "# needs:" header names that are
# not there (empty when none)
missing_bins() {
  _mb=
  for _b in $(case_header needs "$1"); do have_rs "$_b" || _mb="$_mb $_b"; done
  echo "${_mb# }"
}
# case_timeout_of FILE DEFAULT: its "# timeout:" header, else DEFAULT
case_timeout_of() {
  _to=$(case_header timeout "$1" | awk '{print $1+0}')
  [ "${_to:-0}" -gt 0 ] && echo "$_to" || echo "$2"
}

# run_isolated NAME FILE TIMEOUT WORKROOT: run the case FILE in a fresh scratch
# directory WORKROOT/NAME, in its own process and session, after sourcing
# /kt/lib.sh and the files in $KT_PRELUDE; kill it after TIMEOUT seconds.
# Sets KT_RESULT (PASS, FAIL, SKIP) and KT_REASON.
run_isolated() {
  _name=$1 _f=$2 _tmo=$3 _root=$4
  _wd=$_root/$_name
  rm -rf "$_wd" "$_root/.timeout"; mkdir -p "$_wd"
  # own session (setsid in a non-leader child execs in place, so $! is the
  # session and group id): every process the case starts can be killed as a
  # group at the end
  (
    cd "$_wd" || exit 1
    export KT_CASE="$_name" KT_WORK="$_wd" KT_DISKS="${RG_DISKS:-}"
    # shellcheck disable=SC2016 # expanded by the case's shell
    exec setsid /bin/sh -c '. /kt/lib.sh; for _p in ${KT_PRELUDE:-}; do . "$_p"; done; . "$1"' "$_name" "$_f"
  ) < /dev/null &
  _cpid=$!
  # shellcheck disable=SC2016 # expanded by the watchdog's shell
  setsid /bin/sh -c 'sleep "$1"; : > "$3"
    echo "TIMEOUT: case $4 still running after $1 s; killing its processes"
    kill -TERM -"$2" 2>/dev/null; sleep 3; kill -KILL -"$2" 2>/dev/null' \
    kt-watchdog "$_tmo" "$_cpid" "$_root/.timeout" "$_name" < /dev/null &
  _wpid=$!
  _rc=0; wait "$_cpid" || _rc=$?
  kill -KILL -"$_wpid" 2>/dev/null
  kill -KILL -"$_cpid" 2>/dev/null   # daemons the case left behind
  wait "$_wpid" 2>/dev/null
  KT_REASON=
  if [ -e "$_root/.timeout" ]; then KT_RESULT=FAIL KT_REASON="timed out after ${_tmo}s"
  elif [ "$_rc" = 0 ]; then KT_RESULT=PASS
  elif [ "$_rc" = 77 ]; then KT_RESULT=SKIP KT_REASON="skipped by the case"
  else KT_RESULT=FAIL KT_REASON="exit status $_rc"
  fi
  rm -rf "$_wd"
}

# kernel_messages NAME WORKROOT: print the kernel messages since the last call
# (dmesg -c) as "  kmsg: ..." lines; an oops or warning turns KT_RESULT into
# FAIL even if the case itself did not notice
kernel_messages() {
  dmesg -c > "$2/.kmsg" 2>/dev/null
  [ -s "$2/.kmsg" ] || return 0
  echo "--- kernel messages during $1:"
  sed 's/^/  kmsg: /' "$2/.kmsg"
  _bug=$(grep -m1 -E 'Oops|BUG:|WARNING:|general protection|Call Trace|soft lockup|blocked for more than' "$2/.kmsg" || true)
  if [ -n "$_bug" ] && [ "$KT_RESULT" != FAIL ]; then KT_RESULT=FAIL KT_REASON="kernel reported: $_bug"; fi
}

# ------------------------------------------------------------------ teardown
# teardown_all: bring the machine back to "nothing registered": unmount OCFS2
# volumes and dlmfs, stop heartbeat regions, remove nodes and clusters.  By
# hand first (plain rmdir: what the kernel allows is known, see
# configfs-errno.md), then with the C tools as a fallback.  Best effort: it
# reports what it could not undo and returns non-zero then; state_clean is
# the judge.
teardown_all() {
  _ok=0
  # the kernel runs hb_ctl_path at umount; a case may have pointed it at a
  # wrapper or at our binary: put the C tool back first
  if [ -w "$HB_CTL_PATH_FILE" ] && [ "$(cat "$HB_CTL_PATH_FILE")" != "$HB_CTL_DEFAULT" ]; then
    echo "$HB_CTL_DEFAULT" > "$HB_CTL_PATH_FILE" || _ok=1
  fi
  # /proc/mounts escapes blanks in mount points (\040), so words are lines
  # shellcheck disable=SC2013
  for _m in $(awk '$3 == "ocfs2" {print $2}' /proc/mounts | sort -r); do
    echo "teardown: umount $_m"
    umount "$_m" 2>&1 || umount -f "$_m" 2>&1 || _ok=1
  done
  # shellcheck disable=SC2013
  for _m in $(awk '$3 == "ocfs2_dlmfs" {print $2}' /proc/mounts); do
    echo "teardown: umount $_m (dlmfs)"
    umount "$_m" 2>&1 || _ok=1
  done
  for _c in "$CLUSTER_DIR"/*/; do
    [ -d "$_c" ] || continue
    _cn=$(basename "$_c")
    for _r in "$_c"heartbeat/*/; do
      [ -d "$_r" ] || continue
      echo "teardown: rmdir heartbeat region $(basename "$_r")"
      rmdir "$_r" 2>&1 || "$C_SBIN/ocfs2_hb_ctl" -K -u "$(basename "$_r")" 2>&1 || _ok=1
    done
    for _n in "$_c"node/*/; do
      [ -d "$_n" ] || continue
      echo "teardown: rmdir node $(basename "$_n")"
      rmdir "$_n" 2>&1 || _ok=1
    done
    echo "teardown: rmdir cluster $_cn"
    if ! rmdir "$_c" 2>&1; then
      "$C_SBIN/o2cb" unregister-cluster "$_cn" 2>&1 || _ok=1
    fi
  done
  return $_ok
}

# state_clean: true when nothing of OCFS2 is left (prints what is left
# otherwise).  Heartbeat threads stop asynchronously, so wait a little.
state_clean() {
  _dirty=
  grep -q " $CFS configfs " /proc/mounts || _dirty="$_dirty configfs-not-mounted"
  [ -d "$CLUSTER_DIR" ] || _dirty="$_dirty no-$CLUSTER_DIR(ocfs2_nodemanager-unloaded?)"
  cluster_empty || _dirty="$_dirty cluster:$(cd "$CLUSTER_DIR" 2>/dev/null && echo *)"
  if awk '$3 ~ /^ocfs2/ {f=1} END{exit !f}' /proc/mounts; then
    _dirty="$_dirty mounts:$(awk '$3 ~ /^ocfs2/ {printf "%s,", $2}' /proc/mounts)"
  fi
  if ! wait_until 5 _no_o2hb_threads; then _dirty="$_dirty o2hb-threads"; fi
  [ -z "$_dirty" ] && return 0
  echo "dirty:$_dirty"
  return 1
}
_no_o2hb_threads() { ! grep -qs '^o2hb' /proc/[0-9]*/comm; }
