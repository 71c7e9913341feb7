# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
# harness self-test: need_rs at run time makes a case SKIP (expected SKIP)
need_rs kt-no-such-binary
fail "need_rs did not skip"
