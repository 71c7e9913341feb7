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
# wait_until SECONDS CMD...: poll CMD every 0.2 s until it succeeds, for SECONDS of
# wall time at most (a deadline, not a count: a slow CMD, e.g. crm_mon under TCG, must
# not stretch the wait), then once more
wait_until() {
  _wdl=$(($(date +%s) + $1)); shift
  while [ "$(date +%s)" -lt "$_wdl" ]; do
    "$@" && return 0
    sleep 0.2
  done
  "$@"
}

# wait_or_fail SECONDS WHAT SHOW CMD...: wait_until CMD; print "TIME WHAT: N.NNs"; on
# time-out run SHOW (a command that shows why: logs, state) and fail the case
wait_or_fail() {
  _wft=$1 _wfw=$2 _wfs=$3; shift 3
  _wf0=$(now)
  if wait_until "$_wft" "$@"; then
    echo "TIME $_wfw: $(elapsed "$_wf0")s"
    return 0
  fi
  $_wfs
  fail "$_wfw: not after ${_wft}s"
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

# driver_setup DEFAULT_TIMEOUT [PRELUDE]: what every driver sets up first: WORKROOT (the
# cases' scratch root, made here), DEFAULT_TIMEOUT ($RG_CASE_TIMEOUT, else the one
# given), SUITE_T0 (now), the counters PASS, FAIL, SKIP (report_case) and BROKEN (a
# story's first failure, story_precheck); a PRELUDE file (cluster-lib.sh, ...) is
# exported for the cases to source after lib.sh, with NODE
driver_setup() {
  PASS=0 FAIL=0 SKIP=0 BROKEN=''
  WORKROOT=/tmp/kt
  DEFAULT_TIMEOUT=${RG_CASE_TIMEOUT:-$1}
  mkdir -p "$WORKROOT"
  SUITE_T0=$(now)
  [ -z "${2:-}" ] || export KT_PRELUDE="$2" NODE
}

# case_begin NAME: the line that opens a case's part of the console (the host cuts the
# case logs from it); sets t0, when the case began
case_begin() {
  echo
  echo "=== CASE-BEGIN $1"
  t0=$(now)
}

# story_precheck FILE: before a case of a story (run-cluster.sh, run-pacemaker.sh): sets
# KT_RESULT and KT_REASON to SKIP when an earlier case broke the story ($BROKEN says
# which), FAIL when the file is missing, SKIP when our binaries it needs are absent;
# leaves KT_RESULT empty when the case is to run
story_precheck() {
  KT_RESULT='' KT_REASON=''
  if [ -n "${BROKEN:-}" ]; then
    KT_RESULT=SKIP KT_REASON=$BROKEN
  elif [ ! -f "$1" ]; then
    KT_RESULT=FAIL KT_REASON="no such case file $1"
  else
    _spm=$(missing_bins "$1")
    [ -z "$_spm" ] || KT_RESULT=SKIP KT_REASON="our binaries not built yet: $_spm"
  fi
}

# report_case NAME RESULT REASON T0 WORKROOT: print the case's result line
#   CASE NAME: RESULT (N.NNs)[ -- REASON]
# (T0: when it began), record it in WORKROOT/results and count it in PASS, FAIL, SKIP
report_case() {
  _rcl="CASE $1: $2 ($(elapsed "$4")s)${3:+ -- $3}"
  echo "$_rcl"
  echo "$_rcl" >> "$5/results"
  case $2 in
    PASS) PASS=$((PASS + 1)) ;;
    SKIP) SKIP=$((SKIP + 1)) ;;
    *) FAIL=$((FAIL + 1)) ;;
  esac
}
# suite_summary TITLE WORKROOT T0: every result again, then
#   SUITE-SUMMARY pass=N fail=N skip=N time=N.Ns
# true when no case failed
suite_summary() {
  echo
  echo "=== SUITE RESULTS$1"
  cat "$2/results" 2>/dev/null
  echo "SUITE-SUMMARY pass=$PASS fail=$FAIL skip=$SKIP time=$(elapsed "$3")s"
  [ "$FAIL" = 0 ]
}

# guest_net_up IP: the two-guest network (a virtio NIC on QEMU's socket network):
# eth0 up with IP/24, node1 and node2 named in /etc/hosts
guest_net_up() {
  modprobe virtio_net 2>&1 || echo "driver: modprobe virtio_net failed"
  wait_until 10 test -e /sys/class/net/eth0 || echo "driver: no eth0"
  ip link set eth0 up && ip addr add "$1/24" dev eth0 || echo "driver: cannot configure eth0"
  printf '%s node1\n%s node2\n' 10.77.0.1 10.77.0.2 >> /etc/hosts
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

# ------------------------------------------------------------------ the user stack
# corosync + dlm_controld, for `pcmk` volumes (the case needs the "ha" image layer:
# `# layers: ha` in its header).  There is no o2cb cluster on this stack: membership is
# corosync's, locking the kernel's DLM (one lockspace per mounted volume, named by its
# UUID), and the C mount.ocfs2 needs no control daemon (README.md, "The user stack").
# The daemons are started in sessions of their own, so that
# they outlive the case's process group where a two-node story needs that; the
# teardown stops them in any case.
STACK_FILE=/sys/fs/ocfs2/cluster_stack
DLM_CFS=$CFS/dlm
DLM_SYS=/sys/kernel/dlm
US_RUN=/run/kt-userstack            # pid files, the stack value before, logs
HA_DAEMONS="corosync dlm_controld"
PCMK_DAEMONS="pacemakerd pacemaker-controld pacemaker-schedulerd pacemaker-execd
  pacemaker-attrd pacemaker-fenced pacemaker-based"
# util-linux's mount (the ha layer).  A bare `mount` in a busybox ash script runs
# busybox's own applet even when util-linux's comes first on PATH (so do modprobe and
# umount), and busybox's mount calls the mount.ocfs2 helper only after a raw mount(2)
# without the helper's options failed: name util-linux's by its path, as a real
# system's `mount -t ocfs2` would run it.
UL_MOUNT=/bin/mount
# corosync's token timeout (ms): generous, TCG is slow and two guests share two cores
: "${KT_COROSYNC_TOKEN:=10000}"
# dlm_controld's options for the harness without Pacemaker: no fencing (nothing could
# carry it out), no start-up fencing of nodes not yet seen
: "${KT_DLM_ARGS:=--enable_fencing 0 --enable_startup_fencing 0}"

# have_layer NAME: the guest was booted with that image layer
have_layer() { case " ${RG_LAYERS:-} " in *" $1 "*) return 0 ;; esac; return 1; }

# write_corosync_conf FILE CLUSTER NAME:NODEID:ADDR...: corosync.conf for knet without
# encryption (so no authkey), the nodes as given; with two nodes votequorum's two_node
# (which implies wait_for_all: quorate once both were seen)
write_corosync_conf() {
  _f=$1 _c=$2; shift 2
  mkdir -p "$(dirname "$_f")"
  {
    printf 'totem {\n\tversion: 2\n\tcluster_name: %s\n\ttransport: knet\n' "$_c"
    printf '\tcrypto_cipher: none\n\tcrypto_hash: none\n\ttoken: %s\n}\n\n' "$KT_COROSYNC_TOKEN"
    printf 'nodelist {\n'
    for _n in "$@"; do
      IFS=: read -r _name _id _addr <<EOF
$_n
EOF
      printf '\tnode {\n\t\tname: %s\n\t\tnodeid: %s\n\t\tring0_addr: %s\n\t}\n' "$_name" "$_id" "$_addr"
    done
    printf '}\n\nquorum {\n\tprovider: corosync_votequorum\n'
    [ $# != 2 ] || printf '\ttwo_node: 1\n'
    printf '}\n\nlogging {\n\tto_stderr: yes\n\tto_syslog: no\n\tto_logfile: no\n\ttimestamp: on\n}\n'
  } > "$_f"
}

running() { pidof "$1" > /dev/null 2>&1; }
corosync_quorate() { corosync-quorumtool -s 2>/dev/null | grep -qE '^Quorate: +Yes'; }
dlm_ready() { dlm_tool status 2>/dev/null | grep -q 'quorate 1'; }

# us_start NAME CMD...: start a daemon in a session of its own, stdout and stderr to
# $US_RUN/NAME.log
us_start() {
  _usn=$1; shift
  mkdir -p "$US_RUN"
  echo "+ $* (in the background, log $US_RUN/$_usn.log)"
  setsid "$@" < /dev/null >> "$US_RUN/$_usn.log" 2>&1 &
  echo $! > "$US_RUN/$_usn.pid"
}
# us_wait SECONDS WHAT CMD...: wait for CMD; on time-out show the daemons' logs and fail
us_wait() { _uwt=$1 _uww=$2; shift 2; wait_or_fail "$_uwt" "$_uww" us_logs "$@"; }
us_logs() {
  for _l in "$US_RUN"/*.log; do [ -f "$_l" ] && { echo "--- $_l"; tail -n 30 "$_l"; }; done
}

# corosync_start CLUSTER NAME:NODEID:ADDR...: write /etc/corosync/corosync.conf and start
# corosync in the foreground mode (in the background here).  Records the stack file's
# value so that user_stack_down can put it back.
corosync_start() {
  running corosync && fail "corosync is already running"
  mkdir -p "$US_RUN"
  [ -e "$US_RUN/stack.before" ] || cat "$STACK_FILE" > "$US_RUN/stack.before" 2>/dev/null || true
  write_corosync_conf /etc/corosync/corosync.conf "$@"
  us_start corosync corosync -f
}
# dlm_start: load the DLM and start dlm_controld ($KT_DLM_ARGS) in the foreground mode
dlm_start() {
  running dlm_controld && fail "dlm_controld is already running"
  modprobe dlm || fail "modprobe dlm failed"
  # a guest booted bare has configfs unmounted: dlm_controld needs it (as the
  # ocf:pacemaker:controld agent does, mount it)
  grep -q " $CFS configfs " /proc/mounts || mount -t configfs configfs "$CFS" ||
    fail "cannot mount configfs"
  # shellcheck disable=SC2086 # options
  us_start dlm_controld dlm_controld --foreground $KT_DLM_ARGS
}

# user_stack_up CLUSTER [NAME:NODEID:ADDR...]: corosync (a one-node cluster of this
# guest, by its host name, nodeid 1, on 127.0.0.1, unless nodes are given) and
# dlm_controld; returns once corosync is quorate and the DLM says "quorate 1"
# (dlm_tool's exit status is 0 before that).  $KT_US_TIMEOUT (120) bounds each wait.
user_stack_up() {
  _usc=${1:?user_stack_up: cluster name}; shift
  [ $# -gt 0 ] || set -- "$(hostname):1:127.0.0.1"
  have_layer ha || fail "the user stack needs the ha image layer (header: # layers: ha)"
  corosync_start "$_usc" "$@"
  us_wait "${KT_US_TIMEOUT:-120}" "corosync quorate" corosync_quorate
  dlm_start
  us_wait "${KT_US_TIMEOUT:-120}" "dlm ready" dlm_ready
}

# mem_report LABEL: one line "MEM LABEL: N MiB used of N MiB; rss corosync N MiB, ..."
# (used: MemTotal - MemAvailable; the resident memory of the cluster daemons running,
# Pacemaker's six daemons and pacemakerd summed as pacemaker)
mem_report() {
  _mr=''
  for _d in corosync dlm_controld pacemaker; do
    case $_d in pacemaker) _dn=$PCMK_DAEMONS ;; *) _dn=$_d ;; esac
    # shellcheck disable=SC2086 # names
    _kb=$(for _p in $(pidof $_dn); do cat "/proc/$_p/status"; done 2>/dev/null |
          awk '/^VmRSS:/ {s += $2} END {print s + 0}')
    [ "$_kb" -gt 0 ] && _mr="$_mr, $_d $((_kb / 1024)) MiB"
  done
  awk -v l="$1" -v r="${_mr#, }" '/^MemTotal:/ {t = $2} /^MemAvailable:/ {a = $2}
    END {printf "MEM %s: %d MiB used of %d MiB%s\n", l, (t - a) / 1024, t / 1024, (r == "" ? "" : "; rss " r)}' /proc/meminfo
}

# user_stack_down: stop dlm_controld, then corosync; no lockspace, no DLM configfs
# entries are left, and the stack file is what it was before user_stack_up (when
# nothing is mounted).  Fails (without stopping anything) while lockspaces exist:
# unmount first.
user_stack_down() {
  _usl=$(dlm_lockspaces)
  [ -z "$_usl" ] || fail "user_stack_down: lockspaces still exist ($_usl): unmount first"
  stop_daemon dlm_controld 30 || fail "dlm_controld did not stop"
  stop_daemon corosync 30 || fail "corosync did not stop"
  dlm_configfs_clean || fail "DLM configfs entries could not be removed"
  stack_restore
  rm -rf "$US_RUN"
}

# main_pids NAME: the processes of that name whose parent is not one of them (a daemon
# without its helpers: dlm_controld forks one, and a SIGTERM to both at once leaves the
# daemon waiting for the helper it lost)
main_pids() {
  _mp=" $(pidof "$1") "
  for _p in $_mp; do
    _pp=$(awk '{print $4}' "/proc/$_p/stat" 2>/dev/null) || continue
    case $_mp in *" $_pp "*) ;; *) echo "$_p" ;; esac
  done
}
# stop_daemon NAME SECONDS: SIGTERM to the daemon, wait up to SECONDS for it and its
# helpers to end, then SIGKILL; false if it had to be killed or survived
stop_daemon() {
  running "$1" || return 0
  echo "stopping $1 ($(main_pids "$1" | xargs))"
  # shellcheck disable=SC2046 # pids
  kill -TERM $(main_pids "$1") 2>/dev/null
  wait_until "$2" sh -c "! pidof $1 > /dev/null" && return 0
  echo "$1 ignored SIGTERM for $2 s: SIGKILL"
  # shellcheck disable=SC2046 # pids
  kill -KILL $(pidof "$1") 2>/dev/null
  wait_until 5 sh -c "! pidof $1 > /dev/null"
  return 1
}
# dlm_lockspaces: the kernel's DLM lockspaces (one per mounted pcmk volume), blank-separated
dlm_lockspaces() { [ -d "$DLM_SYS" ] && ls "$DLM_SYS" 2>/dev/null | tr '\n' ' ' | sed 's/ $//'; }
# dlm_configfs_clean: remove what dlm_controld left in the DLM's configfs tree (it
# removes its entries when it stops cleanly, not when killed)
dlm_configfs_clean() {
  _dc=$DLM_CFS/cluster
  [ -d "$_dc" ] || return 0
  for _s in "$_dc"/spaces/*/; do
    [ -d "$_s" ] || continue
    for _n in "$_s"nodes/*/; do [ -d "$_n" ] && rmdir "$_n"; done
    rmdir "$_s"
  done
  for _n in "$_dc"/comms/*/; do [ -d "$_n" ] && rmdir "$_n"; done
  rmdir "$_dc"
}
# stack_restore: put the stack file back to what it was before the user stack came up
# (o2cb if not recorded); only possible when no OCFS2 volume is mounted
stack_restore() {
  _want=o2cb
  [ -s "$US_RUN/stack.before" ] && _want=$(cat "$US_RUN/stack.before")
  [ -w "$STACK_FILE" ] || return 0
  [ "$(cat "$STACK_FILE")" = "$_want" ] && return 0
  if awk '$3 == "ocfs2" {f=1} END{exit !f}' /proc/mounts; then
    echo "stack file stays $(cat "$STACK_FILE"): a volume is mounted"; return 1
  fi
  echo "stack file: $(cat "$STACK_FILE") -> $_want"
  printf '%s' "$_want" > "$STACK_FILE"
}

# ------------------------------------------------------------------ module-wide state
# Values that belong to a loaded module, not to anything a case creates and removes: a
# case that changes one changes it for every later case unless it is put back.  o2hb's
# dead_threshold and mode live in the module and are only reachable through a
# registered cluster's heartbeat directory (removing the cluster keeps them, and a new
# cluster reads them); hb_ctl_path and the stack file are module parameters in all but
# name.  module_wide_read prints them as KEY=VALUE lines (a value that cannot be read,
# e.g. a module not loaded, is left out); the driver records them when the guest starts
# and module_wide_restore puts back any that changed.  Modules are part of it: those
# loaded after the record (e.g. dlm and ocfs2_stack_user by a user-stack case) are
# unloaded again, which also resets the DLM's own module-wide configfs values.
O2HB_WIDE="dead_threshold mode"
# the temporary cluster through which the o2hb values are read and written
O2HB_PROBE=kt-module-wide
module_wide_read() {
  [ -r "$HB_CTL_PATH_FILE" ] && echo "hb_ctl_path=$(cat "$HB_CTL_PATH_FILE")"
  [ -r "$STACK_FILE" ] && echo "cluster_stack=$(cat "$STACK_FILE")"
  _o2hb_dir || return 0
  for _k in $O2HB_WIDE; do echo "o2hb.$_k=$(cat "$_O2HB/heartbeat/$_k")"; done
  _o2hb_done
}
# _o2hb_dir: sets _O2HB to a cluster directory to read the o2hb values through (an
# existing cluster, else a temporary one); false when o2nm is not there
_o2hb_dir() {
  _O2HB= _O2HB_TMP=
  [ -d "$CLUSTER_DIR" ] || return 1
  for _c in "$CLUSTER_DIR"/*/; do [ -d "$_c" ] && { _O2HB=${_c%/}; return 0; }; done
  mkdir "$CLUSTER_DIR/$O2HB_PROBE" 2>/dev/null || return 1
  _O2HB=$CLUSTER_DIR/$O2HB_PROBE _O2HB_TMP=1
}
_o2hb_done() { [ -z "$_O2HB_TMP" ] || rmdir "$_O2HB"; }
# modules_loaded: names of the loaded modules, sorted
modules_loaded() { awk '{print $1}' /proc/modules | sort; }
# module_wide_record FILE: the values and the module list now
module_wide_record() {
  module_wide_read > "$1"
  modules_loaded > "$1.modules"
}
# module_wide_diff FILE: the recorded values that differ now ("KEY: now -> recorded"),
# and the modules loaded since ("module +NAME")
module_wide_diff() {
  [ -f "$1" ] || return 0
  module_wide_read | awk -F= -v rec="$1" '
    BEGIN { while ((getline l < rec) > 0) { k = l; sub(/=.*/, "", k); v = l; sub(/^[^=]*=/, "", v); was[k] = v } }
    { k = $0; sub(/=.*/, "", k); v = $0; sub(/^[^=]*=/, "", v); if ((k in was) && was[k] != v) print k ": " v " -> " was[k] }'
  # (busybox has no comm)
  [ -f "$1.modules" ] && modules_loaded | grep -vxF -f "$1.modules" | sed 's/^/module +/'
  return 0
}
# module_wide_restore FILE: unload the modules loaded since the record (newest first),
# then write back every value that differs; prints what it did, false if something
# could not be put back
module_wide_restore() {
  [ -f "$1" ] || return 0
  _mwr=0
  if [ -f "$1.modules" ]; then
    # /proc/modules lists the newest first: users before what they use
    for _m in $(awk '{print $1}' /proc/modules); do
      grep -qx "$_m" "$1.modules" && continue
      echo "module-wide: rmmod $_m (loaded since the guest started)"
      rmmod "$_m" 2>&1 || _mwr=1
    done
  fi
  _mwd=$(module_wide_diff "$1" | grep -v '^module +')
  [ -n "$_mwd" ] || return $_mwr
  echo "$_mwd" | while IFS= read -r _l; do echo "module-wide: restoring $_l"; done
  for _kv in $(grep -E '^(hb_ctl_path|cluster_stack)=' "$1"); do
    _k=${_kv%%=*} _v=${_kv#*=}
    case $_k in
      hb_ctl_path) _f=$HB_CTL_PATH_FILE ;;
      *) _f=$STACK_FILE ;;
    esac
    [ "$(cat "$_f")" = "$_v" ] || printf '%s' "$_v" > "$_f" || _mwr=1
  done
  if grep -q '^o2hb\.' "$1" && _o2hb_dir; then
    for _k in $O2HB_WIDE; do
      _v=$(sed -n "s/^o2hb\.$_k=//p" "$1")
      [ -n "$_v" ] && [ "$(cat "$_O2HB/heartbeat/$_k")" != "$_v" ] || continue
      printf '%s' "$_v" > "$_O2HB/heartbeat/$_k" || _mwr=1
    done
    _o2hb_done
  fi
  return $_mwr
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
  # Pacemaker would restart or remount what is stopped below: it goes first, at once
  for _d in $PCMK_DAEMONS; do
    # shellcheck disable=SC2046 # pids
    running "$_d" && { echo "teardown: kill $_d"; kill -KILL $(pidof "$_d"); }
  done
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
  # the user stack: with the volumes unmounted dlm_controld stops on SIGTERM
  for _d in dlm_controld corosync; do
    running "$_d" && { echo "teardown: stop $_d"; stop_daemon "$_d" 10 > /dev/null || true; }
  done
  if [ -d "$DLM_CFS/cluster" ]; then
    echo "teardown: remove the DLM's configfs entries"
    dlm_configfs_clean 2>&1 || _ok=1
  fi
  # (the stack file is one of the module-wide values put back below)
  rm -rf "$US_RUN"
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
  # module-wide values and modules, as they were when the guest started (the driver
  # records them in $KT_STATE0)
  if [ -n "${KT_STATE0:-}" ]; then
    module_wide_restore "$KT_STATE0" 2>&1 | sed 's/^/teardown: /'
    [ -z "$(module_wide_diff "$KT_STATE0")" ] || _ok=1
  fi
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
  for _d in $HA_DAEMONS $PCMK_DAEMONS; do running "$_d" && _dirty="$_dirty running:$_d"; done
  [ -z "$(dlm_lockspaces)" ] || _dirty="$_dirty dlm-lockspaces:$(dlm_lockspaces | tr ' ' ,)"
  [ ! -d "$DLM_CFS/cluster" ] || _dirty="$_dirty dlm-configfs"
  if [ -n "${KT_STATE0:-}" ]; then
    _mw=$(module_wide_diff "$KT_STATE0" | tr '\n' ';' | sed 's/;$//; s/ /_/g')
    [ -z "$_mw" ] || _dirty="$_dirty module-wide:$_mw"
  fi
  [ -z "$_dirty" ] && return 0
  echo "dirty:$_dirty"
  return 1
}
_no_o2hb_threads() { ! grep -qs '^o2hb' /proc/[0-9]*/comm; }
