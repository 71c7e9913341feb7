# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
# 00-network: the two guests see each other: their network (ping), the
# barrier carrying a payload both ways, and the shared disk (a block written
# by node1 with O_DIRECT is read back by node2 with O_DIRECT).
# timeout: 60
set -eu
step "ping $PEER"
run ping -c 1 -W 5 "$PEER_IP"
step "barrier payload"
got=$(barrier payload "from $NODE")
[ "$got" = "from $PEER" ] || fail "barrier payload: got '$got', wanted 'from $PEER'"
say "$PEER says: $got"
step "shared disk"
on node1 sh -c 'printf "written by node1 %s\n" "$(cat /proc/sys/kernel/random/boot_id)" |
  dd of=/dev/vdc bs=4096 count=1 conv=sync oflag=direct 2>/dev/null'
id=$(on node1 cat /proc/sys/kernel/random/boot_id)
peer_id=$(barrier written "$id")
if [ "$NODE" = node2 ]; then
  line=$(dd if=/dev/vdc bs=4096 count=1 iflag=direct 2>/dev/null | head -n 1)
  [ "$line" = "written by node1 $peer_id" ] || fail "node2 read '$line' from the shared disk"
  say "node2 reads node1's block: $line"
fi
barrier read
on node1 dd if=/dev/zero of=/dev/vdc bs=4096 count=1 oflag=direct 2>/dev/null
