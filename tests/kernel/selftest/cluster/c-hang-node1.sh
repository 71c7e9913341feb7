# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
# selftest: node1 hangs past its case timeout: killed by the case watchdog,
# FAIL "timed out"; node2 waits at the barrier and fails when it never comes.
# timeout: 10
set -eu
on node1 sleep 1000
barrier never
