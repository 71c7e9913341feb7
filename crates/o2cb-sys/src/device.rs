//! Block devices: what they are, and the OCFS2 volume on them.

use std::fs::File;
use std::os::unix::fs::FileTypeExt;
use std::path::Path;

use ocfs2_disk::{OpenOptions, Volume};

/// Whether `path` is a block device (following symlinks, as `stat` does).
pub fn is_block_device(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.file_type().is_block_device())
}

/// Why a device's volume could not be read: the libocfs2 text the reference shows.
#[derive(Debug, thiserror::Error)]
pub enum VolumeError {
    #[error("{0}")]
    Open(std::io::Error),
    #[error("{0}")]
    Disk(#[from] ocfs2_disk::OpenError),
}

/// Opens a device or image read-only as OCFS2 (heartbeat-only volumes allowed, as every
/// cluster tool allows them) and returns its UUID in the 32-upper-case-hex form.
pub fn volume_uuid(path: &Path) -> Result<String, VolumeError> {
    let file = File::open(path).map_err(VolumeError::Open)?;
    let volume = Volume::open(file, OpenOptions::new().allow_heartbeat_device(true))?;
    Ok(volume.superblock().uuid().to_string())
}
