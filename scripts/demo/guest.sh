# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
# The demo, inside the guest (busybox ash): a freshly booted machine with nothing of the
# cluster stack loaded, our binaries installed at /sbin in place of the C tools (only
# mkfs.ocfs2 is the C one). Prints a transcript between DEMO-BEGIN and DEMO-END.
export PATH=/sbin:/usr/sbin:/bin:/usr/bin
for b in /opt/rs/sbin/*; do cp "$b" /sbin/; done
modprobe virtio_pci; modprobe virtio_blk
i=0; while [ ! -e /dev/vdb ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
export PS4=
STEP=0
step() { STEP=$((STEP + 1)); printf '\n== %s. %s\n' "$STEP" "$*"; }
note() { printf '# %s\n' "$*"; }
show() {
  printf '$ %s\n' "$*"
  rc=0; "$@" 2>&1 || rc=$?
  [ "$rc" = 0 ] || printf '(exit status %s)\n' "$rc"
  return 0
}
must() { show "$@"; [ "$rc" = 0 ] || { echo "DEMO-FAILED at: $*"; echo DEMO-END; exit 1; }; }
loaded() { awk '$1 ~ /^(configfs|ocfs2)/ {print $1}' /proc/modules | sort | tr '\n' ' '; }

echo DEMO-BEGIN
T0=$(cut -d' ' -f1 /proc/uptime)
note "Linux $(uname -r) (Debian bookworm's kernel) under QEMU; this machine is $(hostname)."
note "Cluster modules loaded now: [$(loaded)]; configfs mounted: $(grep -c ' configfs ' /proc/mounts)"

step "Describe the cluster in /etc/ocfs2/cluster.conf (our o2cb)"
must o2cb add-cluster demo
must o2cb add-node --ip 127.0.0.1 --port 7777 --number 0 demo node1
must o2cb add-node --ip 127.0.0.2 --port 7777 --number 1 demo node2
must o2cb list-cluster --oneline demo
must o2cb check

step "Settings for the init logic in /etc/default/o2cb"
note "(o2cb.init configure asks for these, or takes them as options: --enable --cluster demo ...)"
cat > /etc/default/o2cb <<'CONF'
O2CB_ENABLED=true
O2CB_STACK=o2cb
O2CB_BOOTCLUSTER=demo
O2CB_HEARTBEAT_THRESHOLD=31
O2CB_IDLE_TIMEOUT_MS=30000
O2CB_KEEPALIVE_DELAY_MS=2000
O2CB_RECONNECT_DELAY_MS=2000
CONF
must cat /etc/default/o2cb

step "Bring the cluster online (our o2cb.init start)"
must o2cb.init start
must o2cb.init status
note "Modules loaded now: [$(loaded)]"

step "Make an OCFS2 volume (the C mkfs.ocfs2) and mount it (our mount.ocfs2)"
must mkfs.ocfs2 -q -b 4K -C 4K -N 4 -L shared --cluster-stack=o2cb --cluster-name=demo /dev/vda
mkdir -p /mnt/shared
must mount.ocfs2 /dev/vda /mnt/shared
printf '$ echo "hello from $(hostname)" > /mnt/shared/hello\n'
echo "hello from $(hostname)" > /mnt/shared/hello
must cat /mnt/shared/hello
must mounted.ocfs2 -d
must mounted.ocfs2 -f
note "The heartbeat region mount.ocfs2 started, and its reference count:"
must ocfs2_hb_ctl -I -d /dev/vda
must o2cb.init status

step "One filesystem as a cluster of its own: members and pinned slots (our extension)"
must mkfs.ocfs2 -q -b 4K -C 4K -N 4 -L pinned --cluster-stack=o2cb --cluster-name=demo /dev/vdb
must o2cb add-filesystem demo /dev/vdb
must o2cb add-filesystem-node --slot 2 /dev/vdb node1
must o2cb list-filesystems --oneline
mkdir -p /mnt/pinned
must mount.ocfs2 /dev/vdb /mnt/pinned
note "The kernel says where node1 went:"
dmesg | sed -n 's/.*\(ocfs2: Mounting device .*\)/\1/p' | tail -n 1
must o2cb remove-filesystem-node /dev/vdb node1
must o2cb add-filesystem-node /dev/vdb node2
show umount /mnt/pinned
note "node1 is no longer a member: mounting is refused, and says why"
show mount.ocfs2 /dev/vdb /mnt/pinned

step "Stop cleanly (umount; our o2cb.init stop)"
must umount /mnt/shared
must o2cb.init stop
show o2cb.init status
note "Modules loaded now: [$(loaded)]"
T1=$(cut -d' ' -f1 /proc/uptime)
echo
note "Done in $(awk -v a="$T0" -v b="$T1" 'BEGIN{printf "%.0f", b-a}') s of guest time."
echo DEMO-END
