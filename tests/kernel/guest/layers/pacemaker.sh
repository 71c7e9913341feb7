# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
# Layer "pacemaker": sourced by the guest's /init after ha.sh.  Pacemaker's daemons run
# as hacluster:haclient and keep their state under /var/lib/pacemaker and /run/crm.
grep -q '^haclient:' /etc/group || echo 'haclient:x:189:' >> /etc/group
grep -q '^hacluster:' /etc/passwd ||
  echo 'hacluster:x:189:189:cluster user:/var/lib/pacemaker:/bin/false' >> /etc/passwd
mkdir -p /var/lib/pacemaker/cib /var/lib/pacemaker/pengine /var/lib/pacemaker/blackbox \
  /var/lib/pacemaker/cores /var/log/pacemaker /run/crm
chown -R hacluster:haclient /var/lib/pacemaker /var/log/pacemaker /run/crm
chmod 0750 /var/lib/pacemaker/cib /run/crm
