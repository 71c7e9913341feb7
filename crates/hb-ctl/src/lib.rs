//! `ocfs2_hb_ctl` and `mount.ocfs2`: the mount-time side of the o2cb cluster stack.
//!
//! - [`region`]: starting and stopping a local heartbeat region under libo2cb's SysV
//!   semaphore reference counting, so the C tools and ours can share one node;
//! - [`join`]: the group join of a mount (the volume checked against the running stack,
//!   cluster and heartbeat mode; the per-filesystem policy hook; the heartbeat start) and
//!   the leave at umount;
//! - [`policy`]: the per-filesystem policy of cluster.conf that `mount.ocfs2` enforces;
//! - [`o2cb_sys::volume`]: a volume opened by device or found by UUID (libblkid);
//! - [`hbctl`], [`mount`]: the two commands; the binaries are one-line mains over them.
//!
//! Every failure is worded as the reference words it, then says what exactly is wrong
//! ([`error`]).

pub mod error;
pub mod hbctl;
pub mod join;
pub mod mount;
pub mod policy;
pub mod region;
