# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
# harness self-test: a guest that never finishes is killed at the host's
# wall-clock limit and reported (run alone by selftest.sh with --timeout)
# timeout: 600
say "hanging on purpose"
sleep 1000
