//! An OCFS2 volume on one of this machine's devices: opened, found by UUID, its superblock
//! and its heartbeat region. Every tool reads volumes through here, so a UUID always leads
//! to the same device (one search order) and a device is read the same way (one open).
//! Which devices may hold a volume, and how they are read so that what another node wrote
//! is seen, is in `devices`.

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};

use ocfs2_disk::{HeartbeatError, OpenError, OpenOptions, ReadError, Superblock, Volume};

use crate::paths::SysRoot;

mod devices;

pub use devices::{
    device_size, is_read_only_device, ocfs2_devices, open_for_detect, parse_partitions, Candidate,
    FreshReader,
};

/// A device with a readable OCFS2 superblock.
#[derive(Debug)]
pub struct OpenedVolume {
    /// The path as given or found.
    path: PathBuf,
    volume: Volume<FreshReader>,
    sector_size: u32,
}

/// Why a device's volume could not be read. `Display` is libocfs2's words (what the C tools
/// print), followed, for a metadata block whose check failed, by which block; [`detail`]
/// says what exactly happened.
///
/// [`detail`]: VolumeError::detail
#[derive(Debug, thiserror::Error)]
pub enum VolumeError {
    /// The path names nothing usable.
    #[error("{}", device_text(.path, .source))]
    Device { path: PathBuf, source: io::Error },
    /// Not an OCFS2 volume, or one libocfs2 would refuse.
    #[error("{}", described(.source, .source.as_read()))]
    Disk { path: PathBuf, source: OpenError },
    /// The heartbeat system file cannot carry a region.
    #[error("{}", described(.source, .source.as_read()))]
    Heartbeat {
        path: PathBuf,
        source: HeartbeatError,
    },
}

/// libocfs2's words for an open that failed (as `mount.ocfs2` 1.8.7 prints them).
fn device_text(path: &Path, e: &io::Error) -> &'static str {
    if path.as_os_str().is_empty() {
        "Illegal or malformed device name"
    } else if e.kind() == io::ErrorKind::NotFound {
        "Device name specified was not found"
    } else {
        "I/O error on channel"
    }
}

/// libocfs2's words, and for a block check that failed, which block: the C tools name none
/// (and `o2cb` shows `Unknown code ocfs 58`).
fn described(e: &dyn std::fmt::Display, read: Option<&ReadError>) -> String {
    match read {
        Some(r) if r.is_block_check() => format!("{e} ({})", r.reason()),
        _ => e.to_string(),
    }
}

impl VolumeError {
    /// libocfs2's words alone.
    pub fn words(&self) -> String {
        match self {
            VolumeError::Device { path, source } => device_text(path, source).to_string(),
            VolumeError::Disk { source, .. } => source.to_string(),
            VolumeError::Heartbeat { source, .. } => source.to_string(),
        }
    }

    /// What exactly happened, naming the device.
    pub fn detail(&self) -> String {
        match self {
            VolumeError::Device { path, source } => format!("{}: {source}", path.display()),
            VolumeError::Disk {
                path,
                source: OpenError::BadMagic,
            } => format!(
                "{} has no OCFS2 superblock (not formatted with mkfs.ocfs2?)",
                path.display()
            ),
            VolumeError::Disk { path, source } => {
                format!("{}: {}", path.display(), source.reason())
            }
            VolumeError::Heartbeat { path, source } => {
                format!("{}: {}", path.display(), source.reason())
            }
        }
    }
}

/// A volume's heartbeat region on its device, as the kernel needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceRegion {
    /// The region's name: the volume UUID, 32 upper-case hex digits.
    pub name: String,
    pub device: PathBuf,
    pub block_bytes: u32,
    pub start_block: u64,
    pub blocks: u32,
}

impl OpenedVolume {
    /// Opens `path` read-only, bypassing the page cache on block devices (a volume another
    /// node just formatted, or whose slot map it just changed, is seen as it is), and reads
    /// its superblock. Heartbeat-only devices are accepted, as by every cluster tool.
    pub fn open(path: &Path) -> Result<OpenedVolume, VolumeError> {
        let device = |source| VolumeError::Device {
            path: path.to_path_buf(),
            source,
        };
        if path.as_os_str().is_empty() {
            return Err(device(io::Error::from(io::ErrorKind::InvalidInput)));
        }
        let reader = FreshReader::open(path).map_err(device)?;
        let sector_size = crate::device::sector_size(reader.file());
        let volume = Volume::open(reader, OpenOptions::new().allow_heartbeat_device(true))
            .map_err(|source| VolumeError::Disk {
                path: path.to_path_buf(),
                source,
            })?;
        Ok(OpenedVolume {
            path: path.to_path_buf(),
            volume,
            sector_size,
        })
    }

    /// The path the volume was opened by.
    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn superblock(&self) -> &Superblock {
        self.volume.superblock()
    }

    pub fn uuid(&self) -> ocfs2_disk::Uuid {
        self.superblock().uuid()
    }

    /// The UUID as regions and cluster.conf name it: 32 upper-case hex digits.
    pub fn uuid_hex(&self) -> String {
        ocfs2_disk::uuid_hex(&self.uuid())
    }

    /// Whether the device refuses writes (a clustered mount cannot heartbeat on it).
    pub fn is_read_only_device(&self) -> bool {
        is_read_only_device(self.volume.device().file())
    }

    /// The volume's heartbeat region on this device.
    pub fn region(&self) -> Result<DeviceRegion, VolumeError> {
        let region = self
            .volume
            .heartbeat_region(self.sector_size)
            .map_err(|source| VolumeError::Heartbeat {
                path: self.path.clone(),
                source,
            })?;
        Ok(DeviceRegion {
            name: region.name(),
            device: self.path.clone(),
            block_bytes: region.block_bytes(),
            start_block: region.start_block(),
            blocks: region.blocks(),
        })
    }
}

/// No device carries the UUID asked for.
#[derive(Debug, thiserror::Error)]
#[error("Directory entry not found")]
pub struct NotFound {
    pub uuid: String,
    /// A device whose UUID differs only in letter case: UUIDs are matched exactly, as the
    /// C tools match them (the region name and the semaphore key are the exact text).
    pub other_case: Option<(PathBuf, String)>,
}

impl NotFound {
    /// What exactly was not found, and a near miss.
    pub fn detail(&self) -> String {
        match &self.other_case {
            Some((path, uuid)) => format!(
                "no OCFS2 device has UUID {}; {} has {uuid} (UUIDs are matched exactly, in \
                 upper case as mounted.ocfs2 -d prints them)",
                self.uuid,
                path.display()
            ),
            None => format!("no OCFS2 device has UUID {}", self.uuid),
        }
    }
}

/// The devices to look for volumes on, in the one order every tool uses: first the device
/// a running heartbeat region uses (`running_dev`, the kernel's name such as `sdb` or
/// `dm-3`: what the heartbeat really reads, also on multipath), then every OCFS2 device
/// libblkid finds, in `/proc/partitions` order (the C tools scan `/proc/partitions` and
/// know only some device names).
fn candidates(root: &SysRoot, running_dev: Option<&str>) -> Vec<Candidate> {
    let running = running_dev
        .filter(|d| !d.is_empty() && !d.contains('/'))
        .map(|d| Candidate {
            path: root.dev().join(d),
            uuid: None,
        });
    running.into_iter().chain(ocfs2_devices(root)).collect()
}

/// Finds the device with volume UUID `uuid` (exactly: same letter case), in the order of
/// [`candidates`].
pub fn find_by_uuid(
    root: &SysRoot,
    running_dev: Option<&str>,
    uuid: &str,
) -> Result<OpenedVolume, NotFound> {
    let mut other_case = None;
    for candidate in candidates(root, running_dev) {
        if let Some(known) = candidate.uuid.as_ref().map(ocfs2_disk::uuid_hex) {
            if known != uuid {
                if known.eq_ignore_ascii_case(uuid) && other_case.is_none() {
                    other_case = Some((root.display_path(&candidate.path), known));
                }
                continue;
            }
        }
        let Ok(v) = OpenedVolume::open(&candidate.path) else {
            continue;
        };
        let found = v.uuid_hex();
        if found == uuid {
            return Ok(v);
        }
        if found.eq_ignore_ascii_case(uuid) && other_case.is_none() {
            other_case = Some((root.display_path(&candidate.path), found));
        }
    }
    Err(NotFound {
        uuid: uuid.to_owned(),
        other_case,
    })
}

/// The volumes with these UUIDs, each found as [`find_by_uuid`] finds it (the first device
/// in the one order), in one pass over the devices.
pub fn find_all(root: &SysRoot, uuids: &[&str]) -> HashMap<String, OpenedVolume> {
    let mut found = HashMap::new();
    for candidate in candidates(root, None) {
        if found.len() == uuids.len() {
            break;
        }
        if candidate
            .uuid
            .as_ref()
            .is_some_and(|u| !uuids.contains(&ocfs2_disk::uuid_hex(u).as_str()))
        {
            continue;
        }
        let Ok(v) = OpenedVolume::open(&candidate.path) else {
            continue;
        };
        let uuid = v.uuid_hex();
        if uuids.contains(&uuid.as_str()) {
            found.entry(uuid).or_insert(v);
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
        let err = OpenedVolume::open(superblock.path())
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("Bad CRC32 (superblock in block 2: block check failed: stored CRC32 "),
            "{err}"
        );
        let heartbeat_inode = damaged(7);
        let volume = OpenedVolume::open(heartbeat_inode.path()).unwrap();
        let err = volume.region().unwrap_err();
        assert!(
            err.to_string()
                .starts_with("Bad CRC32 (inode in block 7: block check failed"),
            "{err}"
        );
        assert_eq!(err.words(), "Bad CRC32");
        // Other failures keep libocfs2's words alone.
        let zero = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(zero.path(), vec![0u8; 1 << 20]).unwrap();
        let err = OpenedVolume::open(zero.path()).unwrap_err();
        assert_eq!(err.to_string(), "Bad magic number in superblock");
        assert!(err
            .detail()
            .ends_with("has no OCFS2 superblock (not formatted with mkfs.ocfs2?)"));
    }

    fn image_in(dir: &Path, name: &str, tag: u8) -> String {
        let image = ImageBuilder::new().uuid([tag; 16]).build().unwrap();
        std::fs::write(dir.join(name), image.bytes).unwrap();
        format!("{:02X}", tag).repeat(16)
    }

    #[test]
    fn one_order_finds_the_running_device_first_then_the_rest_by_name() {
        let root = tempfile::tempdir().unwrap();
        let dev = root.path().join("dev");
        std::fs::create_dir(&dev).unwrap();
        let a = image_in(&dev, "vda", 0xAA);
        image_in(&dev, "vdb", 0xAA);
        let b = image_in(&dev, "vdc", 0xBB);
        let root = SysRoot::new(root.path());
        assert_eq!(
            find_by_uuid(&root, None, &a).unwrap().path(),
            dev.join("vda")
        );
        assert_eq!(
            find_by_uuid(&root, Some("vdb"), &a).unwrap().path(),
            dev.join("vdb")
        );
        let all = find_all(&root, &[&a, &b]);
        assert_eq!(all[&a].path(), dev.join("vda"));
        assert_eq!(all[&b].path(), dev.join("vdc"));
        let missing = find_by_uuid(&root, None, &a.to_ascii_lowercase()).unwrap_err();
        assert_eq!(
            missing.other_case,
            Some((PathBuf::from("/dev/vda"), a.clone()))
        );
    }
}
