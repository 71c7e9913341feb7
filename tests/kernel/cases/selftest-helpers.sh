# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
# selftest-helpers: the comparison helpers must be able to fail.  Two
# different configfs trees (one directory more; then only one attribute
# value different) must make assert_same_file report a difference with a
# diff; equal ones must pass; the strace normaliser must make two runs that
# differ only in fd numbers compare equal, and keep a different value
# visible.  Uses hand-written configfs only (no tools).
# timeout: 60
set -eu
CL=$CLUSTER_DIR/kt
N=$CL/node/n1

# must_differ A B WHAT: assert_same_file must FAIL on A and B and print a
# unified diff; it runs in a subshell because a failing assert exits
must_differ() {
  if (assert_same_file "$1" "$2" "$3") > differ.out 2>&1; then
    cat differ.out
    fail "assert_same_file passed on different files ($3)"
  fi
  sed 's/^/  | /' differ.out
  grep -q '^DIFFERENT: ' differ.out || fail "no DIFFERENT line for $3"
  grep -q '^@@ ' differ.out || fail "no unified diff for $3"
}

step "an empty tree and a tree with a cluster differ"
dump_tree > empty.txt
[ ! -s empty.txt ] || fail "tree not empty at start"
mkdir "$CL"
dump_tree > one.txt
cat one.txt
must_differ empty.txt one.txt "empty vs one cluster"
grep -q '^+cluster/kt/$' differ.out || fail "the diff does not show the new cluster"

step "the same tree twice is the same"
dump_tree > one-again.txt
assert_same_file one.txt one-again.txt "tree dumped twice"

step "trees that differ only in one attribute value differ"
strace_cfs w1.trace sh -c "printf 40000 > $CL/idle_timeout_ms"
dump_tree > two.txt
must_differ one.txt two.txt "idle_timeout_ms 30000 vs 40000"
grep -q '^-cluster/kt/idle_timeout_ms = 30000$' differ.out || fail "old value not in the diff"
grep -q '^+cluster/kt/idle_timeout_ms = 40000$' differ.out || fail "new value not in the diff"

step "normalised traces ignore fd numbers but not values"
mkdir "$N"
# the same write through fd 3 and, with two more fds open, through fd 5
# (tee writes through the fd it opened; dd would move it to fd 1)
strace_cfs p1.trace sh -c "printf 7777 | tee $N/ipv4_port >/dev/null"
printf 'write %s "7777" = 4\n' "$N/ipv4_port" > p.expected
assert_same_file p.expected p1.trace "normalised attribute write"
rmdir "$N"; mkdir "$N"
strace_cfs p2.trace sh -c "exec 3</dev/null 4</dev/null; printf 7777 | tee $N/ipv4_port >/dev/null"
grep -q "write(3<$N/ipv4_port>" p1.trace.raw || fail "first run did not write through fd 3"
grep -q "write(5<$N/ipv4_port>" p2.trace.raw || fail "second run did not write through fd 5"
assert_same_file p1.trace p2.trace "the same write through different fds"
rmdir "$N"; mkdir "$N"
strace_cfs p3.trace sh -c "printf '7778\n' | tee $N/ipv4_port >/dev/null"
must_differ p1.trace p3.trace "7777 vs 7778\\n"
grep -q '^+write .*/ipv4_port "7778\\n" = 5$' differ.out || fail "the newline is not visible in the diff"

step "failed operations keep their errno"
expect_rc 1 strace_cfs e.trace sh -c "mkdir $CL/node/n1 2>/dev/null"
assert_contains e.trace "^mkdir $N = -1 EEXIST$"
[ "$(cfs_count e.trace)" = 1 ] || fail "cfs_count: expected 1 operation"
[ "$(cfs_count e.trace rmdir)" = 0 ] || fail "cfs_count: expected no rmdir"

step "teardown_all removes a local node and the cluster"
printf 127.0.0.1 > "$N/ipv4_address"
printf 0 > "$N/num"
printf 1 > "$N/local"
dump_tree
teardown_all
assert_cluster_empty
say "helpers behave"
