# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# host-lib.sh - host-side pieces shared by run-suite.sh (one guest) and
# run-cluster.sh (two guests): where our binaries are, and staging them into a
# guest overlay under their installed names.

# help_text: the runner's header comment (from its third line to the first line that is
# not a comment) is its help; usage prints it and exits 2
help_text() { awk 'NR > 2 && /^#/ { sub(/^# ?/, ""); print; next } NR > 2 { exit }' "$0"; }
usage() { help_text >&2; exit 2; }

# runner_option ARG [VALUE]: the options every runner takes: --build, --no-build,
# --bin-dir DIR, --cases-dir DIR, --case-timeout S, --timeout S, --quiet, --results DIR
# (they set BUILD, BIN_DIR, CASES_DIR, CASE_TIMEOUT, TIMEOUT, QUIET, RESULTS); sets
# RUNNER_SHIFT to the number of words used, 0 for any other word
runner_option() {
  RUNNER_SHIFT=2
  case "$1" in
    --build) BUILD=1; RUNNER_SHIFT=1 ;;
    --no-build) BUILD=0; RUNNER_SHIFT=1 ;;
    --quiet) QUIET=1; RUNNER_SHIFT=1 ;;
    --bin-dir|--cases-dir|--case-timeout|--timeout|--results)
      [ $# -ge 2 ] || { echo "$1 needs a value" >&2; exit 2; }
      case "$1" in
        --bin-dir) BIN_DIR="$(realpath "$2")"; BUILD=0 ;;
        --cases-dir) CASES_DIR="$(realpath "$2")" ;;
        --case-timeout) CASE_TIMEOUT="$2" ;;
        --timeout) TIMEOUT="$2" ;;
        --results) RESULTS="$(realpath -m "$2")" ;;
      esac ;;
    *) RUNNER_SHIFT=0 ;;
  esac
}

# cargo name -> installed name (cargo forbids '.' in package names)
OURS_BINS="o2cb:o2cb o2cb_ctl:o2cb_ctl o2cb_init:o2cb.init ocfs2_hb_ctl:ocfs2_hb_ctl
      mount_ocfs2:mount.ocfs2 mounted_ocfs2:mounted.ocfs2"

# default_bin_dir REPO: the release directory of the workspace's cargo target
# dir ($CARGO_TARGET_DIR honoured, else what cargo metadata says)
default_bin_dir() {
  local repo=$1 tdir
  if [ -n "${CARGO_TARGET_DIR:-}" ]; then
    echo "$(realpath -m "$CARGO_TARGET_DIR")/release"
  elif command -v cargo >/dev/null; then
    tdir=$(cd "$repo" && cargo metadata --format-version 1 --no-deps 2>/dev/null |
           sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
    echo "${tdir:-$repo/target}/release"
  else
    echo "$repo/target/release"
  fi
}

# stage_ours BIN_DIR DEST: copy each of our binaries found in BIN_DIR (cargo or
# installed name) to DEST under its installed name; sets the arrays STAGED and
# ABSENT (installed names)
stage_ours() {
  local bin_dir=$1 dest=$2 pair cargo_name inst src cand
  STAGED=() ABSENT=()
  mkdir -p "$dest"
  for pair in $OURS_BINS; do
    cargo_name=${pair%%:*} inst=${pair#*:}
    src=''
    for cand in "$bin_dir/$cargo_name" "$bin_dir/$inst"; do
      if [ -f "$cand" ] && [ -x "$cand" ]; then src=$cand; break; fi
    done
    if [ -n "$src" ]; then
      cp "$src" "$dest/$inst"; STAGED+=("$inst")
    else
      ABSENT+=("$inst")
    fi
  done
}

# secs T0: seconds of wall time since T0 (date +%s.%N), one decimal
secs() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}'; }

# run_setup HERE CACHE [LAYER...]: build the guest cache once, and the image layers
# asked for (the lock keeps concurrent runs from building it twice; flock is in
# util-linux, essential on Debian)
run_setup() {
  local here=$1 cache=$2 l args=()
  shift 2
  for l in "$@"; do args+=(--layer "$l"); done
  mkdir -p "$cache"
  if command -v flock >/dev/null; then
    flock "$cache/.setup.lock" "$here/setup.sh" ${args[@]+"${args[@]}"} >&2
  else
    "$here/setup.sh" ${args[@]+"${args[@]}"} >&2
  fi
}

# The image layers (layers.sh: which exist, what each sits on, the memory a guest with
# it gets).  A case names the layers it needs in its header, "# layers: ha".
# shellcheck source=layers.sh
. "$(dirname "${BASH_SOURCE[0]}")/layers.sh"
# case_layers FILE: the layers its "# layers:" header names, blank-separated
case_layers() { sed -n 's/^#[[:space:]]*layers:[[:space:]]*//p' "$1" | tr '\n' ' ' | xargs; }
# layer_stack LAYER...: those layers and the ones below them, each once, lowest first;
# an unknown name is a usage error (exit 2)
layer_stack() {
  local l out=()
  _ls_add() {
    local x b
    [ -n "${LAYER_PKGS[$1]+x}" ] || { echo "unknown image layer '$1' (known: ${!LAYER_PKGS[*]})" >&2; exit 2; }
    for b in ${LAYER_BELOW[$1]}; do _ls_add "$b"; done
    for x in ${out[@]+"${out[@]}"}; do [ "$x" = "$1" ] && return 0; done
    out+=("$1")
  }
  for l in "$@"; do _ls_add "$l"; done
  echo "${out[*]+${out[*]}}"
}
# layer_mem DEFAULT LAYER...: guest memory for a guest with these layers (the largest)
layer_mem() {
  local m=$1 l v
  shift
  for l in "$@"; do
    v=${LAYER_MEM[$l]:-}
    [ -n "$v" ] && [ "${v%M}" -gt "${m%M}" ] && m=$v
  done
  echo "$m"
}

# collect_cases PROG CASES_DIR [CASE...]: fills CASES (names in run order) and
# CASE_FILE[name] (the files) from NAME, NAME.sh or paths; every *.sh of
# CASES_DIR in name order when none is given.  Usage errors exit 2.
collect_cases() {
  local prog=$1 dir=$2 a f n
  shift 2
  CASES=()
  declare -gA CASE_FILE=()
  if [ $# -eq 0 ]; then
    for f in "$dir"/*.sh; do [ -e "$f" ] && set -- "$@" "$f"; done
  fi
  for a in "$@"; do
    if [[ $a == */* ]]; then f=$(realpath -m "$a"); else f="$dir/${a%.sh}.sh"; fi
    n=$(basename "$f" .sh)
    [ -f "$f" ] || { echo "$prog: no case $f" >&2; exit 2; }
    # the name travels through the console and file names
    [[ $n =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]*$ ]] || { echo "$prog: bad case name '$n'" >&2; exit 2; }
    [ -z "${CASE_FILE[$n]:-}" ] || { echo "$prog: case $n given twice" >&2; exit 2; }
    CASES+=("$n"); CASE_FILE[$n]=$f
  done
  [ ${#CASES[@]} -gt 0 ] || { echo "$prog: no cases in $dir" >&2; exit 2; }
}

# stage_cases DIR CASE...: the case files into DIR/cases/NAME.sh and their names, in
# order, into DIR/cases.list (what the guest drivers read); sets CASES_TIME to the sum of
# their timeouts ($CASE_TIMEOUT where a case has none) plus 15 s each (the teardown)
stage_cases() {
  local dir=$1 c
  shift
  CASES_TIME=0
  mkdir -p "$dir/cases"
  rm -f "$dir/cases/"*.sh
  : > "$dir/cases.list"
  for c in "$@"; do
    install -m 0644 "${CASE_FILE[$c]}" "$dir/cases/$c.sh"
    echo "$c" >> "$dir/cases.list"
    CASES_TIME=$((CASES_TIME + $(case_timeout "${CASE_FILE[$c]}" "$CASE_TIMEOUT") + 15))
  done
}

# case_timeout FILE DEFAULT: the case's "# timeout: N" header, else DEFAULT
case_timeout() {
  local t
  t=$(sed -n 's/^#[[:space:]]*timeout:[[:space:]]*\([0-9][0-9]*\).*/\1/p' "$1" | head -1)
  echo "${t:-$2}"
}

# prepare HERE REPO PROG: the guest image (setup.sh, once, with the layers in
# $NEED_LAYERS), our binaries (cargo build
# --release when BUILD=1) and where they are (BIN_DIR, unless set); sets CACHE,
# T_SETUP and T_BUILD (seconds, "-" when not built)
prepare() {
  local here=$1 repo=$2 prog=$3 t
  t=$(date +%s.%N)
  CACHE="${RG_CACHE:-$here/cache}"
  # shellcheck disable=SC2086 # a word list
  run_setup "$here" "$CACHE" ${NEED_LAYERS:-}
  T_SETUP=$(secs "$t")
  T_BUILD=-
  if [ "${BUILD:-1}" = 1 ]; then
    t=$(date +%s.%N)
    echo "[$prog] cargo build --release --workspace --bins" >&2
    (cd "$repo" && cargo build --release --workspace --bins) >&2
    T_BUILD=$(secs "$t")
  fi
  [ -n "${BIN_DIR:-}" ] || BIN_DIR=$(default_bin_dir "$repo")
}

# shared_disks DIR N: N raw images of 256 MiB in DIR (a file system with O_DIRECT: QEMU's
# cache=none needs it; tmpfs may not have it), as run-guest.sh arguments in DISK_ARGS.
# Written out in full, not sparse: with two guests doing O_DIRECT I/O to the same image,
# blocks allocated under them add a race the tests are not about.
shared_disks() {
  local i
  DISK_ARGS=()
  for i in $(seq 1 "$2"); do
    head -c 256M /dev/zero > "$1/shared$i.img"
    DISK_ARGS+=(--disk "$1/shared$i.img:shared")
  done
}

# split_case_logs CONSOLE DIR [SUFFIX]: each case's part of a guest's console (from
# "=== CASE-BEGIN NAME" to its "CASE NAME: ..." line) into DIR/NAME[SUFFIX].log
split_case_logs() {
  awk -v dir="$2" -v sfx="${3:-}" '
    /^=== CASE-BEGIN / { f = dir "/" $3 sfx ".log" }
    f { print > f }
    /^CASE [^ ]+: (PASS|FAIL|SKIP)/ { f = "" }' "$1"
}

# case_line CONSOLE CASE RC LIMIT: the case's result line in a guest's console, or a
# "CASE NAME: FAIL (no result)" line saying why there is none (RC: the guest's exit
# status as run-guest.sh reports it; LIMIT: its wall-clock limit)
case_line() {
  local line why
  line=$(grep -m1 -E "^CASE ${2//./\\.}: (PASS|FAIL|SKIP)" "$1" || true)
  if [ -z "$line" ]; then
    why="the guest ended before it (status $3)"
    [ "$3" = 124 ] && why="the guest was killed at the ${4}s limit"
    [ "$3" = 125 ] && why="the guest died (kernel panic or QEMU failure)"
    line="CASE $2: FAIL (no result) -- $why"
  fi
  echo "$line"
}

# count_result LINE CASE: count a result line in pass, fail or skip
count_result() {
  case "$1" in
    "CASE $2: PASS"*) pass=$((pass + 1)) ;;
    "CASE $2: SKIP"*) skip=$((skip + 1)) ;;
    *) fail=$((fail + 1)) ;;
  esac
}

# show_failed_logs SUMMARY DIR PREFIX SUFFIX N: the last N lines of the log of every case
# SUMMARY lists as failed ("PREFIX CASE: FAIL ..." lines; its log DIR/CASE+SUFFIX.log)
show_failed_logs() {
  local c f
  for c in ${CASES[@]+"${CASES[@]}"}; do
    f="$2/$c$4.log"
    if grep -q "^$3${c//./\\.}: FAIL" "$1" && [ -s "$f" ]; then
      echo; echo "---------- $c${4:+ on ${4#.}} (last $5 lines of $f)"
      tail -n "$5" "$f" | tr -d '\r'
    fi
  done
}
