# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
# selftest: fails on node2 before a barrier; node1, waiting there, must learn
# it at once (not after the barrier timeout) and fail too.
# timeout: 60
set -eu
on node2 fail "deliberate failure on node2"
barrier after-failure
