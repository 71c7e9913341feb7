# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
# rs-configfs-numbers: the text a number reaches configfs as. The kernel reads the node
# attributes with base 0 (`07777` is octal 4095, `0x1e61` is 7777) and refuses a sign;
# cluster.conf's numbers are decimal. The C tools write the text they were given, so
# `o2cb_ctl -C -i -a ip_port=07777` registers port 4095 while cluster.conf says 7777, and
# `number=+5` is refused by the kernel (exit 251, nothing changed) although the same
# command without -i writes number 5. Ours writes the decimal value cluster.conf means on
# every path (`o2cb_ctl -C -i`, `o2cb register-cluster`, `o2cb_ctl -H online`): see
# docs/compatibility.md. Each input is run by both tools from the same registered cluster;
# the tables (exit status, configfs, cluster.conf) are printed side by side and ours pinned.
# needs: o2cb o2cb_ctl
# timeout: 600
set -eu
C_O2CB=$(cbin o2cb)
CONF=/etc/ocfs2/cluster.conf

# attr NODE ATTR: the node's attribute in configfs, `-` when the node is not there
attr() {
  if [ -d "$CLUSTER_DIR/web/node/$1" ]; then cat "$CLUSTER_DIR/web/node/$1/$2"; else echo -; fi
}
# conf_node NODE: the node's number and ip_port in cluster.conf, `-` when it has none
conf_node() {
  awk -v want="$1" '
    function flush() { if (name == want) out = "number=" num " ip_port=" port; name = "" }
    /^[a-z]+:/ { flush(); num = ""; port = "" }
    $1 == "number" { num = $3 } $1 == "ip_port" { port = $3 } $1 == "name" { name = $3 }
    END { flush(); print (out == "" ? "-" : out) }' "$CONF"
}
# state NODE: one line of what configfs and cluster.conf hold of the node
state() {
  printf 'configfs num=%s ipv4_port=%s; conf %s' "$(attr "$1" num)" "$(attr "$1" ipv4_port)" "$(conf_node "$1")"
}
# clean: no cluster left in configfs, whichever tool left what
clean() {
  for _n in "$CLUSTER_DIR"/web/node/*; do
    if [ -d "$_n" ]; then rmdir "$_n"; fi
  done
  if [ -d "$CLUSTER_DIR/web" ]; then rmdir "$CLUSTER_DIR/web"; fi
  assert_cluster_empty
}

# add SIDE O2CB_CTL ATTR=VALUE...: node4 added with -C -i to the registered cluster web
add() {
  _side=$1 _ctl=$2; shift 2
  write_cluster_conf "$CONF" web node1:0:127.0.0.1:7777 node2:1:127.0.0.2:7777
  "$C_O2CB" register-cluster web || fail "register-cluster web"
  _rc=0
  _args=""
  for _a in "$@"; do _args="$_args -a $_a"; done
  # shellcheck disable=SC2086 # the values have no blanks
  "$_ctl" -C -i -n node4 -t node -a ip_address=10.0.0.4 $_args -a cluster=web > out 2> err || _rc=$?
  sed 's/^/    /' out err
  echo "-C -i $*: exit $_rc; $(state node4)" >> "$_side.add"
  clean
}

# register SIDE HOW NUMBER PORT: node3 in cluster.conf with these texts, registered by HOW
register() {
  _side=$1 _how=$2
  write_cluster_conf "$CONF" web node1:0:127.0.0.1:7777 "node3:$3:10.0.0.3:$4"
  _rc=0
  case $_how in
    register) "$(side_bin "$_side" o2cb)" register-cluster web > out 2> err || _rc=$? ;;
    online) "$(side_bin "$_side" o2cb_ctl)" -H -n web -t cluster -a online=yes > out 2> err || _rc=$? ;;
  esac
  sed 's/^/    /' out err
  echo "$_how number=$3 ip_port=$4: exit $_rc; $(state node3)" >> "$_side.register"
  clean
}
side_bin() { if [ "$1" = c ]; then cbin "$2"; else rsbin "$2"; fi; }

for side in c rs; do
  step "$side: o2cb_ctl -C -i"
  for v in 7777 07777 +5 0x1e61; do
    add "$side" "$(side_bin "$side" o2cb_ctl)" "ip_port=$v"
  done
  for v in 7777 07777 +5 0x1e61 05 010 3; do
    add "$side" "$(side_bin "$side" o2cb_ctl)" ip_port=7777 "number=$v"
  done
  step "$side: numbers in cluster.conf, registered"
  for how in register online; do
    for p in 7777 07777 +5 0x1e61; do register "$side" "$how" 3 "$p"; done
    for n in 010 +5 0x1e; do register "$side" "$how" "$n" 7777; done
  done
done

step "C vs ours"
paste -d '\n' c.add rs.add | sed 'n;s/^/  ours: /' | sed '/^  ours/!s/^/C:     /'
paste -d '\n' c.register rs.register | sed 'n;s/^/  ours: /' | sed '/^  ours/!s/^/C:     /'

step "pinned: the C tool's -C -i as measured, and ours"
# C: the text goes to the kernel as typed: 07777 is port 4095 and 010 node 8 while
# cluster.conf says 7777 and 10; +5 is refused (EINVAL, exit 251, nothing written).
cat > c.add.expected <<'EOF'
-C -i ip_port=7777: exit 0; configfs num=2 ipv4_port=7777; conf number=2 ip_port=7777
-C -i ip_port=07777: exit 0; configfs num=2 ipv4_port=4095; conf number=2 ip_port=7777
-C -i ip_port=+5: exit 251; configfs num=- ipv4_port=-; conf -
-C -i ip_port=0x1e61: exit 222; configfs num=- ipv4_port=-; conf -
-C -i ip_port=7777 number=7777: exit 251; configfs num=- ipv4_port=-; conf -
-C -i ip_port=7777 number=07777: exit 251; configfs num=- ipv4_port=-; conf -
-C -i ip_port=7777 number=+5: exit 251; configfs num=- ipv4_port=-; conf -
-C -i ip_port=7777 number=0x1e61: exit 222; configfs num=- ipv4_port=-; conf -
-C -i ip_port=7777 number=05: exit 0; configfs num=5 ipv4_port=7777; conf number=5 ip_port=7777
-C -i ip_port=7777 number=010: exit 0; configfs num=8 ipv4_port=7777; conf number=10 ip_port=7777
-C -i ip_port=7777 number=3: exit 0; configfs num=3 ipv4_port=7777; conf number=3 ip_port=7777
EOF
# ours: configfs always holds what cluster.conf says; +5 is 5, as on the file paths below
cat > rs.add.expected <<'EOF'
-C -i ip_port=7777: exit 0; configfs num=2 ipv4_port=7777; conf number=2 ip_port=7777
-C -i ip_port=07777: exit 0; configfs num=2 ipv4_port=7777; conf number=2 ip_port=7777
-C -i ip_port=+5: exit 0; configfs num=2 ipv4_port=5; conf number=2 ip_port=5
-C -i ip_port=0x1e61: exit 222; configfs num=- ipv4_port=-; conf -
-C -i ip_port=7777 number=7777: exit 251; configfs num=- ipv4_port=-; conf -
-C -i ip_port=7777 number=07777: exit 251; configfs num=- ipv4_port=-; conf -
-C -i ip_port=7777 number=+5: exit 0; configfs num=5 ipv4_port=7777; conf number=5 ip_port=7777
-C -i ip_port=7777 number=0x1e61: exit 222; configfs num=- ipv4_port=-; conf -
-C -i ip_port=7777 number=05: exit 0; configfs num=5 ipv4_port=7777; conf number=5 ip_port=7777
-C -i ip_port=7777 number=010: exit 0; configfs num=10 ipv4_port=7777; conf number=10 ip_port=7777
-C -i ip_port=7777 number=3: exit 0; configfs num=3 ipv4_port=7777; conf number=3 ip_port=7777
EOF
# the file paths: both toolsets read cluster.conf's numbers as decimal (a sign allowed,
# hexadecimal refused) and write the decimal value
cat > rs.register.expected <<'EOF'
register number=3 ip_port=7777: exit 0; configfs num=3 ipv4_port=7777; conf number=3 ip_port=7777
register number=3 ip_port=07777: exit 0; configfs num=3 ipv4_port=7777; conf number=3 ip_port=07777
register number=3 ip_port=+5: exit 0; configfs num=3 ipv4_port=5; conf number=3 ip_port=+5
register number=3 ip_port=0x1e61: exit 1; configfs num=- ipv4_port=-; conf number=3 ip_port=0x1e61
register number=010 ip_port=7777: exit 0; configfs num=10 ipv4_port=7777; conf number=010 ip_port=7777
register number=+5 ip_port=7777: exit 0; configfs num=5 ipv4_port=7777; conf number=+5 ip_port=7777
register number=0x1e ip_port=7777: exit 1; configfs num=- ipv4_port=-; conf number=0x1e ip_port=7777
online number=3 ip_port=7777: exit 0; configfs num=3 ipv4_port=7777; conf number=3 ip_port=7777
online number=3 ip_port=07777: exit 0; configfs num=3 ipv4_port=7777; conf number=3 ip_port=07777
online number=3 ip_port=+5: exit 0; configfs num=3 ipv4_port=5; conf number=3 ip_port=+5
online number=3 ip_port=0x1e61: exit 251; configfs num=- ipv4_port=-; conf number=3 ip_port=0x1e61
online number=010 ip_port=7777: exit 0; configfs num=10 ipv4_port=7777; conf number=010 ip_port=7777
online number=+5 ip_port=7777: exit 0; configfs num=5 ipv4_port=7777; conf number=+5 ip_port=7777
online number=0x1e ip_port=7777: exit 251; configfs num=- ipv4_port=-; conf number=0x1e ip_port=7777
EOF
assert_same_file c.add.expected c.add "the C tool's o2cb_ctl -C -i"
assert_same_file rs.add.expected rs.add "our o2cb_ctl -C -i"
assert_same_file c.register rs.register "register-cluster / -H online, C vs ours"
assert_same_file rs.register.expected rs.register "our register-cluster / -H online"
