# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
# harness self-test: a case that fails must be reported FAIL (expected FAIL)
say "failing on purpose"
fail "deliberate failure"
