# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
# selftest: follows a failed case, so it must be SKIP on both nodes.
# timeout: 30
set -eu
barrier never-reached
