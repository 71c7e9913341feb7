# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
# 40-leave: node2 unmounts its volumes, drops its heartbeat reference and runs
# our `o2cb.init stop`: nothing of the cluster is left there.  node1 sees node2
# leave (the DLM domains, o2net), keeps reading and writing the shared volume,
# and `mounted.ocfs2 -f` there lists node1 alone; then node1 stops cleanly.
# timeout: 180
set -eu
uuid=$(/sbin/ocfs2_hb_ctl -I -d /dev/vda | sed -n 's/.*\([0-9A-F]\{32\}\).*/\1/p' | head -n 1)
REGION=$CLUSTER_DIR/kt/heartbeat/$uuid

# leave: unmount everything, drop the -S reference, stop
leave() {
  for m in $(awk '$3 == "ocfs2" {print $2}' /proc/mounts | sort -r); do
    timed "umount $m" run umount "$m"
  done
  # the kernel ran our ocfs2_hb_ctl -K at umount; our -S reference keeps the
  # shared volume's region
  [ -d "$REGION" ] || fail "the region of /dev/vda went with the umount (the -S reference was lost)"
  run /sbin/ocfs2_hb_ctl -K -d /dev/vda kt-cm
  wait_until 10 test ! -d "$REGION" || fail "region $uuid still there after -K"
  timed stop run /sbin/o2cb.init stop
  [ ! -d "$CLUSTER_DIR/kt" ] || fail "cluster kt still registered after stop"
  ! grep -q ocfs2 /proc/mounts || fail "still mounted: $(grep ocfs2 /proc/mounts)"
  # LSB: 3 when the cluster is not running
  expect_rc 3 /sbin/o2cb.init status
}

step "node2 leaves"
on node2 leave
barrier node2-gone

if [ "$NODE" = node1 ]; then
  step "node1 sees node2 leave"
  t0=$(now)
  wait_until 60 sh -c "! grep -qw 1 /sys/kernel/debug/o2net/connected_nodes" ||
    fail "o2net still connected to node2 after 60 s"
  say "o2net lost node2 after $(elapsed "$t0")s"
  dmesg | grep -E 'o2net|o2dlm|leaves domain' || true

  step "node1 keeps working"
  echo "after node2 left" > /mnt/shared/alone
  dd if=/dev/urandom of=/mnt/shared/blob-alone bs=1M count=4 2>/dev/null
  sync
  echo 3 > /proc/sys/vm/drop_caches
  [ "$(cat /mnt/shared/alone)" = "after node2 left" ] || fail "read back differs"
  [ "$(cat /mnt/shared/from-node2)" != "" ] || fail "node2's file is gone"
  /sbin/mounted.ocfs2 -f | tee mounted.out
  line=$(grep '^/dev/vda ' mounted.out) || fail "/dev/vda not listed"
  case $line in *node2*) fail "node2 still listed after it left: $line" ;; esac
  case $line in *node1*) ;; *) fail "node1 not listed: $line" ;; esac

  step "node1 stops"
  leave
fi
barrier done
