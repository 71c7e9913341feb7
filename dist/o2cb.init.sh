#!/bin/sh
# /etc/init.d/o2cb: the O2CB cluster stack for OCFS2 (o2cb-rs).
# The logic lives in /sbin/o2cb.init; this file gives it the LSB header and the
# name the usage line shows.
#
# chkconfig: 2345 24 19
# description: Load O2CB cluster services at system boot.
#
### BEGIN INIT INFO
# Provides:          o2cb
# Required-Start:    $network $local_fs
# Required-Stop:     $local_fs $network
# Should-Start:
# Default-Start:     2 3 4 5
# Default-Stop:      0 1 6
# Short-Description: Load O2CB cluster services at system boot.
# Description:       Load O2CB cluster services at system boot.
### END INIT INFO

O2CB_INIT_SCRIPT="$0"
export O2CB_INIT_SCRIPT
exec /sbin/o2cb.init "$@"
