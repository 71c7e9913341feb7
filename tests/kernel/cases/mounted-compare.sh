# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
# mounted-compare: our mounted.ocfs2 scans the machine's disks (through libblkid) and prints
# exactly what the C one prints (which reads /proc/partitions): four volumes of different
# kinds (o2cb cluster with a 63-byte label, pcmk with 1 KiB blocks, a local volume, a global
# heartbeat device), then with one disk wiped, in -d and -f, scanning and by device, with
# and without a registered cluster.
# needs: mounted.ocfs2 o2cb
# timeout: 120
set -eu
RS=$(rsbin mounted.ocfs2)
C=$(cbin mounted.ocfs2)

timed mkfs-a mkfs.ocfs2 -q -b 4K -C 4K -N 4 --cluster-stack=o2cb --cluster-name=ocfs2 \
  -L abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789- /dev/vda
timed mkfs-b mkfs.ocfs2 -q -b 1K -C 4K -N 2 -J size=4M --cluster-stack=pcmk --cluster-name=hacluster -L pcmk /dev/vdb
timed mkfs-c mkfs.ocfs2 -q -b 2K -C 8K -M local -L "local volume" /dev/vdc
timed mkfs-d mkfs.ocfs2 -q -H -b 1K -C 4K --cluster-stack=o2cb --cluster-name=ocfs2 --global-heartbeat -L hb /dev/vdd

# same ARGS...: both tools print the same on stdout and stderr, with the same status
same() {
  _rc=0; "$C" "$@" > c.out 2> c.err || _rc=$?; echo "exit $_rc" >> c.out
  _rc=0; "$RS" "$@" > rs.out 2> rs.err || _rc=$?; echo "exit $_rc" >> rs.out
  cat rs.out rs.err
  assert_same_file c.out rs.out "mounted.ocfs2 $* (stdout, status)"
  assert_same_file c.err rs.err "mounted.ocfs2 $* (stderr)"
}

step "four volumes, no cluster"
for mode in -d -f; do
  same "$mode"
  for d in $KT_DISKS; do same "$mode" "$d"; done
done

step "with a registered cluster"
write_cluster_conf /etc/ocfs2/cluster.conf ocfs2 node1:0:127.0.0.1:7777 node2:1:127.0.0.2:7777
run "$(rsbin o2cb)" register-cluster ocfs2
same -f
same -d

step "one disk wiped"
wipe_disk /dev/vdb
same -d
same -f
run "$(rsbin o2cb)" unregister-cluster ocfs2
