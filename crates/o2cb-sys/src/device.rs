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
    #[error("{}", described(.0, .0.as_read()))]
    Disk(#[from] ocfs2_disk::OpenError),
    #[error("{}", described(.0, .0.as_read()))]
    Heartbeat(#[from] ocfs2_disk::HeartbeatError),
}

/// libocfs2's words, and for a block check that failed, which block: the C tools name none
/// (and `o2cb` shows `Unknown code ocfs 58`).
fn described(e: &dyn std::fmt::Display, read: Option<&ocfs2_disk::ReadError>) -> String {
    match read {
        Some(r) if r.is_block_check() => format!("{e} ({})", r.reason()),
        _ => e.to_string(),
    }
}

/// Opens a device or image read-only as OCFS2 (heartbeat-only volumes allowed, as every
/// cluster tool allows them) and returns its UUID in the 32-upper-case-hex form.
pub fn volume_uuid(path: &Path) -> Result<String, VolumeError> {
    let file = File::open(path).map_err(VolumeError::Open)?;
    let volume = Volume::open(file, OpenOptions::new().allow_heartbeat_device(true))?;
    Ok(volume.superblock().uuid().to_string())
}

/// What a volume's superblock says about it, for checking it against cluster.conf.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VolumeFacts {
    /// 32 upper-case hex digits.
    pub uuid: String,
    /// Up to 64 bytes, without the NUL padding.
    pub label: Vec<u8>,
    pub max_slots: u16,
    /// The on-disk cluster name, for volumes that carry cluster information.
    pub cluster: Option<Vec<u8>>,
}

/// Reads a device's or image's superblock (read-only, heartbeat-only volumes allowed).
pub fn volume_facts(path: &Path) -> Result<VolumeFacts, VolumeError> {
    let file = File::open(path).map_err(VolumeError::Open)?;
    let volume = Volume::open(file, OpenOptions::new().allow_heartbeat_device(true))?;
    let sb = volume.superblock();
    Ok(VolumeFacts {
        uuid: sb.uuid().to_string(),
        label: sb.label().as_bytes().to_vec(),
        max_slots: sb.max_slots(),
        cluster: sb.cluster_info().map(|c| c.cluster().to_vec()),
    })
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

/// A volume's heartbeat region as the kernel needs it (spec §6.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceRegion {
    /// The volume UUID: the region's name.
    pub uuid: String,
    pub block_bytes: u32,
    pub start_block: u64,
    pub blocks: u32,
}

/// Reads a device's superblock and heartbeat file to get its region parameters.
pub fn heartbeat_region(path: &Path) -> Result<DeviceRegion, VolumeError> {
    let file = File::open(path).map_err(VolumeError::Open)?;
    let sector = sector_size(&file);
    let volume = Volume::open(file, OpenOptions::new().allow_heartbeat_device(true))?;
    let region = volume.heartbeat_region(sector)?;
    Ok(DeviceRegion {
        uuid: region.name(),
        block_bytes: region.block_bytes(),
        start_block: region.start_block(),
        blocks: region.blocks(),
    })
}

/// The block devices holding the volumes with these UUIDs (32 upper-case hex digits):
/// found through libblkid on a real system, among the files under `<root>/dev` under a test
/// root, and confirmed by reading each candidate's superblock. The first match wins.
pub fn find_volumes(
    root: &crate::SysRoot,
    uuids: &[&str],
) -> std::collections::HashMap<String, std::path::PathBuf> {
    let candidates: Vec<std::path::PathBuf> = if root.is_real_root() {
        crate::blkid::ocfs2_devices()
            .into_iter()
            .filter(|d| uuids.contains(&d.uuid.as_str()))
            .map(|d| d.path)
            .collect()
    } else {
        std::fs::read_dir(root.dev())
            .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default()
    };
    let mut found = std::collections::HashMap::new();
    for path in candidates {
        if let Ok(uuid) = volume_uuid(&path) {
            if uuids.contains(&uuid.as_str()) {
                found.entry(uuid).or_insert(path);
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use ocfs2_disk::block_check::flip;
    use ocfs2_disk::image::ImageBuilder;

    /// A META_ECC image with two bits flipped in block `blkno`, which no ECC repairs.
    fn damaged(blkno: u64) -> tempfile::NamedTempFile {
        let image = ImageBuilder::new().meta_ecc(true).build().unwrap();
        let mut bytes = image.bytes;
        let at = blkno as usize * 4096;
        flip(&mut bytes[at..], 0x40 * 8);
        flip(&mut bytes[at..], 0x40 * 8 + 1);
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), bytes).unwrap();
        file
    }

    #[test]
    fn a_failed_block_check_names_the_block() {
        let superblock = damaged(2);
        let err = volume_facts(superblock.path()).unwrap_err().to_string();
        assert!(
            err.starts_with("Bad CRC32 (superblock in block 2: block check failed: stored CRC32 "),
            "{err}"
        );
        let heartbeat_inode = damaged(7);
        assert!(volume_facts(heartbeat_inode.path()).is_ok());
        let err = heartbeat_region(heartbeat_inode.path())
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("Bad CRC32 (inode in block 7: block check failed"),
            "{err}"
        );
        // Other failures keep libocfs2's words alone.
        let zero = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(zero.path(), vec![0u8; 1 << 20]).unwrap();
        let err = volume_facts(zero.path()).unwrap_err().to_string();
        assert_eq!(err, "Bad magic number in superblock");
    }
}
