# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
# harness self-test: a case that hangs is killed at its timeout, with the
# processes it started (expected FAIL, "timed out")
# timeout: 5
sleep 301 &
say "sleeping past the timeout"
sleep 300
