//! The machine, as the o2cb tools see it: system paths under one root, configuration files
//! replaced safely, the host name, kernel modules, mounts, semaphores and block devices.
//!
//! This is one of the two crates that touch the system (the other is `configfs`); everything
//! here resolves its paths through [`SysRoot`], so tests can run against a temporary root.

pub mod blkid;
pub mod conffile;
pub mod device;
pub mod dlmfs;
pub mod fsmount;
pub mod hostname;
pub mod ionice;
pub mod kernel_file;
pub mod modules;
pub mod mounts;
pub mod paths;
pub mod process;
pub mod resolve;
pub mod runstate;
pub mod semaphore;
pub mod signals;
pub mod stack;
pub mod userstack;
pub mod volume;

pub use conffile::{FileError, FileKind, LockHolder, LockedFile, Replaced};
pub use paths::SysRoot;
