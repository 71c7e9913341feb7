//! Block devices: what they are and their sector size. The OCFS2 volume on a device is read
//! through [`crate::volume`].

use std::fs::File;
use std::os::unix::fs::FileTypeExt;
use std::path::Path;

/// Whether `path` is a block device (following symlinks, as `stat` does).
pub fn is_block_device(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.file_type().is_block_device())
}

// BLKSSZGET: the logical sector size of a block device.
nix::ioctl_read_bad!(blksszget, 0x1268, libc::c_int);

/// The device's logical sector size (the heartbeat region's block size), or 512 when the
/// file is not a block device (an image file), as libocfs2 does.
#[allow(unsafe_code)]
pub fn sector_size(file: &File) -> u32 {
    use std::os::fd::AsRawFd;
    let mut size: libc::c_int = 0;
    // SAFETY: BLKSSZGET writes one int through the pointer, which points to `size`; on a
    // file that is not a block device the kernel returns ENOTTY and writes nothing.
    match unsafe { blksszget(file.as_raw_fd(), &mut size) } {
        Ok(_) if size > 0 => size as u32,
        _ => 512,
    }
}
