# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
# harness self-test: a case whose binary is absent is SKIP and never runs
# (expected SKIP)
# needs: o2cb kt-no-such-binary
: > /tmp/kt-b-ran
fail "this case must not run"
