# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
# Layer "ha" (corosync, dlm_controld, util-linux mount): sourced by the guest's /init
# (busybox ash, PID 1) after /proc, /sys, /dev, /run and configfs are up.  What the
# daemons need at run time that a Debian system would have made at install or boot.
# corosync writes its lock file under /var/run: as on Debian, it is /run
if [ ! -L /var/run ]; then rm -rf /var/run; ln -s /run /var/run; fi
mkdir -p /var/lib/corosync /var/log/corosync /etc/corosync /etc/dlm \
  /var/log/dlm_controld /run/dlm_controld /run/cluster
# dlm_controld and the C mount.ocfs2 open /dev/misc/dlm-control, -monitor and
# dlm_plock (udev's rules make them); devtmpfs puts the nodes in /dev when the dlm
# module loads, so the links may dangle until then
mkdir -p /dev/misc
for _d in dlm-control dlm-monitor dlm_plock; do ln -sf "../$_d" "/dev/misc/$_d"; done
