# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
# rs-register-rejections: every registration the kernel refuses. For each, our
# `o2cb register-cluster` must fail like the C tool (exit 1), say in words what clashed,
# and leave configfs exactly as it was before the command. Each refusal is run twice:
# with our checks (we refuse before touching the kernel) and with
# O2CB_KERNEL_CHECKS_ONLY=1 (the test hook that lets the kernel itself refuse, so the undo
# of what the run had already created is proven on the real kernel).
# needs: o2cb
# timeout: 240
set -eu
C_O2CB=$(cbin o2cb)
RS_O2CB=$(rsbin o2cb)
CONF=/etc/ocfs2/cluster.conf

# refused NAME EXPECTED_WORDS EXPECTED_KERNEL_WORDS: the cluster.conf in place must be refused.
refused() {
  _name=$1 _words=$2 _kwords=$3
  step "$_name"
  cat "$CONF"
  dump_tree > before.tree
  for mode in checked kernel; do
    _rc=0
    if [ $mode = kernel ]; then
      O2CB_KERNEL_CHECKS_ONLY=1 "$RS_O2CB" register-cluster web > rs.out 2> rs.err || _rc=$?
      _want=$_kwords
    else
      "$RS_O2CB" register-cluster web > rs.out 2> rs.err || _rc=$?
      _want=$_words
    fi
    cat rs.err
    [ "$_rc" = 1 ] || fail "$_name ($mode): exit status $_rc, expected 1"
    [ ! -s rs.out ] || fail "$_name ($mode): unexpected stdout: $(cat rs.out)"
    grep -qF -- "$_want" rs.err || fail "$_name ($mode): stderr does not say: $_want"
    dump_tree > after.tree
    assert_same_file before.tree after.tree "$_name ($mode): configfs must be as before"
  done
  # The reference fails too (and leaves what it had registered behind).
  _rc=0; "$C_O2CB" register-cluster web > /dev/null 2> c.err || _rc=$?
  say "C tool: exit $_rc: $(cat c.err)"
  [ "$_rc" = 1 ] || fail "$_name: the C tool exited $_rc"
  teardown_all
  # teardown_all clears everything; put back what the case had before, if anything.
  [ -n "${RESTORE:-}" ] && eval "$RESTORE"
  return 0
}

write_cluster_conf "$CONF" web node1:0:127.0.0.1:7777 node2:1:127.0.0.1:7777
refused "duplicate IP" "node node2: ip 127.0.0.1 is already used by node node1" \
  "node node2: ip 127.0.0.1 is already used by node node1 (kernel: EEXIST)"

write_cluster_conf "$CONF" web node1:0:127.0.0.1:7777 node2:0:127.0.0.2:7777
refused "duplicate number" "node node2: number 0 is already used by node node1" \
  "node node2: number 0 is already used by node node1 (kernel: EEXIST)"

write_cluster_conf "$CONF" web node1:0:127.0.0.1:65535
refused "port 65535" "node node1: port 65535 is out of range; the kernel accepts 1 to 65534" \
  "node node1: port 65535 is out of range; the kernel accepts 1 to 65534 (kernel: ERANGE)"

long=node1aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
write_cluster_conf "$CONF" web node1:0:127.0.0.1:7777 "$long:1:127.0.0.2:7777"
refused "over-long node name" "is 68 bytes long; the kernel accepts at most 64" \
  "the name is too long; the kernel accepts at most 64 bytes (kernel: ENAMETOOLONG)"

write_cluster_conf "$CONF" web node1:0:127.0.0.1:7777 NODE1:1:127.0.0.2:7777
refused "a second local node" "nodes node1 and NODE1 both match this host's name" \
  "node NODE1: cannot be this host's node: node node1 already is (kernel: EBUSY)"

# Only the kernel knows this one: the local node's address is on no interface here.
write_cluster_conf "$CONF" web node2:1:127.0.0.2:7777 node1:0:192.0.2.10:7777
refused "local address not on this host" "is not configured on any interface here" \
  "is not configured on any interface here, so the kernel cannot listen on it (kernel: EADDRNOTAVAIL)"

step "a second cluster"
write_cluster_conf "$CONF" first node1:0:127.0.0.1:7777
"$RS_O2CB" register-cluster first || fail "registering the first cluster"
write_cluster_conf /etc/ocfs2/second.conf second node1:0:127.0.0.1:7777
# same file name for both tools: swap the file in
cp /etc/ocfs2/second.conf "$CONF"
sed -i 's/second/web/' "$CONF"
RESTORE='write_cluster_conf /tmp/first.conf first node1:0:127.0.0.1:7777; "$RS_O2CB" --config-file=/tmp/first.conf register-cluster first'
refused "a second cluster" "cluster web: cluster first is already registered; the kernel runs one cluster at a time" \
  "cluster web: cluster first is already registered; the kernel runs one cluster at a time (kernel: ENOSPC)"
RESTORE=
"$RS_O2CB" --config-file=/tmp/first.conf unregister-cluster first || fail "unregistering the first cluster"
assert_cluster_empty
say "every refusal explained, configfs untouched"
