# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
#
# driver.sh - guest side of run-suite.sh (busybox ash, run by /guest-cmd.sh).
# Runs the cases named in /kt/cases.list (files /kt/cases/NAME.sh), one after
# the other, each in its own process and session, and prints for each
#   === CASE-BEGIN NAME
#   ... what the case prints, then its kernel messages and the teardown ...
#   CASE NAME: PASS|FAIL|SKIP (N.Ns)[ -- reason]
# and at the end
#   SUITE-SUMMARY pass=N fail=N skip=N time=N.Ns
# Exit status: 0 when no case failed, 1 otherwise.
#
# Between cases it restores a clean state: kills what the case left running,
# tears down mounts, heartbeat regions, nodes and clusters (lib.sh
# teardown_all), restores /etc/ocfs2, /etc/default, hb_ctl_path and the
# hostname, zeroes the start of every disk, and checks that configfs is
# empty again; a case after which that fails is FAIL.
#
# Case headers read here (comment lines anywhere in the case file):
#   # needs: o2cb mount.ocfs2   our binaries (installed names) the case runs;
#                                any missing -> SKIP without running it
#   # timeout: 120              seconds before the case is killed (FAIL);
#                                default $RG_CASE_TIMEOUT or 180
#   # boot: bare                 run in a guest of its own in which no module is
#                                loaded and configfs is not mounted (run-suite.sh)
#   # layers: ha pacemaker       image layers the case needs (run-suite.sh boots such
#                                cases in a guest with those layers and more memory);
#                                a case whose layer this guest lacks is FAIL
#
# Module-wide values (o2hb's dead_threshold and mode, hb_ctl_path, the stack file) and
# the list of loaded modules are recorded when the guest starts ($KT_STATE0); the
# teardown puts back whatever a case changed, and a value that stays changed is
# "not clean" (lib.sh, module_wide_*).
set -u   # not -e: the driver must outlive anything a case or a teardown does
KT=/kt
# shellcheck source=SCRIPTDIR/../lib.sh
. "$KT/lib.sh"
: "${RG_DISKS:=}" "${KVER:=$(uname -r)}"   # exported by /init
driver_setup 180

# what a case may change in /etc, saved once to be put back after each case (the
# user stack's configuration only where the ha layer brought it)
SAVE=$WORKROOT/.etc
ETC_SAVED=
mkdir -p "$SAVE"
for _e in ocfs2 default corosync dlm; do
  [ -d "/etc/$_e" ] || continue
  cp -a "/etc/$_e" "$SAVE/$_e" && ETC_SAVED="$ETC_SAVED $_e"
done
HOST0=$(hostname)
restore_etc() {
  for _e in $ETC_SAVED; do
    rm -rf "/etc/${_e:?}"; cp -a "$SAVE/$_e" "/etc/$_e"
  done
  [ "$(hostname)" = "$HOST0" ] || hostname "$HOST0"
}

# the modules /init loaded; a case may have unloaded some
reload_modules() {
  # shellcheck disable=SC2013 # one path a line
  for _m in $(cat /etc/rg-modules); do
    _n=$(basename "$_m"); _n=${_n%%.ko*}; _n=$(echo "$_n" | tr - _)
    [ -d "/sys/module/$_n" ] || insmod "/lib/modules/$KVER/$_m" 2>&1 || true
  done
  grep -q " $CFS configfs " /proc/mounts || mount -t configfs configfs "$CFS"
}

wipe_disks() {
  for _d in $RG_DISKS; do wipe_disk "$_d" || echo "driver: cannot wipe $_d"; done
}


echo "SUITE-BEGIN cases=$(wc -l < "$KT/cases.list") kernel=$(uname -r) host=$HOST0 disks=$RG_DISKS"
# our binaries, and whether the guest's libc can load them (a binary built
# against a newer glibc than bookworm's would fail every case that uses it)
for _b in "$RS_SBIN"/*; do
  [ -e "$_b" ] || { echo "ours: none in $RS_SBIN"; break; }
  _libs=$(/lib64/ld-linux-x86-64.so.2 --list "$_b" 2>&1 | grep -E 'not found|version .* not found' || true)
  if [ -n "$_libs" ]; then echo "ours: $_b: CANNOT LOAD: $_libs"; else echo "ours: $_b"; fi
done
# module-wide values as the guest started; a bare boot starts with nothing loaded, but
# the state every case is brought back to has /init's modules loaded
export KT_STATE0=$WORKROOT/.state0
module_wide_record "$KT_STATE0"
if [ "${RG_BOOT:-}" = bare ]; then
  for _m in $(cat /etc/rg-modules); do _m=${_m##*/}; _m=${_m%%.ko*}; echo "$_m" | tr - _; done |
    sort -u - "$KT_STATE0.modules" > "$KT_STATE0.m" && mv "$KT_STATE0.m" "$KT_STATE0.modules"
fi
echo "module-wide at start: $(tr '\n' ' ' < "$KT_STATE0")"
echo "layers: ${RG_LAYERS:-none}"
dmesg -c > /dev/null   # boot messages are not any case's

# A bare boot (rg.boot=bare: no modules, no configfs) is the clean state its one case
# starts from; after the case the usual state is restored and checked.
FRESH_BARE=0
[ "${RG_BOOT:-}" = bare ] && FRESH_BARE=1
run_case() {
  name=$1 f=$KT/cases/$1.sh
  case_begin "$name"
  result='' reason=''
  if [ "$FRESH_BARE" = 1 ]; then
    FRESH_BARE=0
  elif ! state_clean > "$WORKROOT/.dirty" 2>&1; then
    teardown_all 2>&1 | sed 's/^/  teardown: /'
    if ! state_clean > "$WORKROOT/.dirty" 2>&1; then
      result=FAIL reason="not run: no clean state to start from ($(cat "$WORKROOT/.dirty"))"
    fi
  fi
  if [ -z "$result" ] && [ ! -f "$f" ]; then
    result=FAIL reason="no such case file $f"
  fi
  if [ -z "$result" ]; then
    for _l in $(case_header layers "$f"); do
      have_layer "$_l" || result=FAIL reason="needs the image layer $_l, which this guest was booted without"
    done
  fi
  if [ -z "$result" ]; then
    missing=$(missing_bins "$f")
    [ -z "$missing" ] || result=SKIP reason="our binaries not built yet: $missing"
  fi
  if [ -z "$result" ]; then
    tmo=$(case_timeout_of "$f" "$DEFAULT_TIMEOUT")
    run_isolated "$name" "$f" "$tmo" "$WORKROOT"
    kernel_messages "$name" "$WORKROOT"
    result=$KT_RESULT reason=$KT_REASON
  fi
  # back to a clean state for the next case, whatever happened
  teardown_all > "$WORKROOT/.td" 2>&1 || true
  if [ -s "$WORKROOT/.td" ]; then echo "--- teardown after $name:"; sed 's/^/  /' "$WORKROOT/.td"; fi
  restore_etc
  reload_modules
  wipe_disks
  if ! state_clean > "$WORKROOT/.dirty" 2>&1; then
    result=FAIL reason="${reason:+$reason; }teardown could not restore a clean state: $(cat "$WORKROOT/.dirty")"
  fi
  dmesg -c > /dev/null
  report_case "$name" "$result" "$reason" "$t0" "$WORKROOT"
}

# shellcheck disable=SC2013 # one case name a line, no blanks
for c in $(cat "$KT/cases.list"); do
  run_case "$c"
done

suite_summary "" "$WORKROOT" "$SUITE_T0"
