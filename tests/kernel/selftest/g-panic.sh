# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
# harness self-test: a kernel panic ends the guest; the host must report it
# and fail this case and every case after it (run alone by selftest.sh)
say "crashing the kernel on purpose"
sync
echo c > /proc/sysrq-trigger
sleep 30
