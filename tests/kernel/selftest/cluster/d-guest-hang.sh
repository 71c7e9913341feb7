# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
# selftest: outlives the guests' wall-clock limit (run with --timeout): both
# guests are killed and reported.
# timeout: 600
set -eu
sleep 1000
