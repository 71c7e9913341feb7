//! The volume a command acts on: opened by path, or found by UUID among the machine's
//! devices.

use std::io;
use std::path::{Path, PathBuf};

use configfs::{ConfigfsName, NameError, NameKind, RegionParams};
use o2cb_sys::volumes::FreshReader;
use o2cb_sys::SysRoot;
use ocfs2_disk::{HeartbeatError, OpenError, OpenOptions, Superblock, Volume};

use crate::error::Reported;

/// A device with a readable OCFS2 superblock.
#[derive(Debug)]
pub struct OpenedVolume {
    /// The path as given or found.
    pub path: PathBuf,
    volume: Volume<FreshReader>,
    sector_size: u32,
}

/// Why a device could not be used.
#[derive(Debug, thiserror::Error)]
pub enum VolumeError {
    /// The path names nothing usable.
    #[error("{}", device_text(.path, .source))]
    Device { path: PathBuf, source: io::Error },
    /// Not an OCFS2 volume, or one libocfs2 would refuse.
    #[error("{source}")]
    Disk { path: PathBuf, source: OpenError },
    /// The heartbeat system file cannot carry a region.
    #[error("{source}")]
    Heartbeat {
        path: PathBuf,
        source: HeartbeatError,
    },
    /// The UUID cannot name a configfs region (never for a real superblock).
    #[error("Internal logic failure")]
    RegionName(NameError),
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

impl Reported for VolumeError {
    fn text(&self) -> String {
        self.to_string()
    }

    fn detail(&self) -> Option<String> {
        match self {
            VolumeError::Device { path, source } => Some(format!("{}: {source}", path.display())),
            VolumeError::Disk { path, source } => match source {
                OpenError::BadMagic => Some(format!(
                    "{} has no OCFS2 superblock (not formatted with mkfs.ocfs2?)",
                    path.display()
                )),
                _ => Some(format!("{}: {}", path.display(), source.reason())),
            },
            VolumeError::Heartbeat { path, source } => {
                Some(format!("{}: {}", path.display(), source.reason()))
            }
            VolumeError::RegionName(e) => Some(e.to_string()),
        }
    }
}

impl OpenedVolume {
    /// Opens `path` read-only (bypassing the page cache, so a volume another node just
    /// formatted is seen as it is) and reads its superblock. Heartbeat-only devices are
    /// accepted, as by every cluster tool.
    pub fn open(path: &Path) -> Result<OpenedVolume, VolumeError> {
        let device = |source| VolumeError::Device {
            path: path.to_path_buf(),
            source,
        };
        if path.as_os_str().is_empty() {
            return Err(device(io::Error::from(io::ErrorKind::InvalidInput)));
        }
        let reader = FreshReader::open(path).map_err(device)?;
        let sector_size = o2cb_sys::device::sector_size(reader.file());
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

    pub fn superblock(&self) -> &Superblock {
        self.volume.superblock()
    }

    /// The UUID as the region is named: 32 upper-case hex digits.
    pub fn uuid(&self) -> String {
        self.superblock().uuid().to_hex()
    }

    /// Whether the device refuses writes (a clustered mount cannot heartbeat on it).
    pub fn is_read_only_device(&self) -> bool {
        o2cb_sys::volumes::is_read_only_device(self.volume.device().file())
    }

    /// The volume's heartbeat region on this device (spec §6.2).
    pub fn region(&self) -> Result<RegionParams, VolumeError> {
        let region = self
            .volume
            .heartbeat_region(self.sector_size)
            .map_err(|source| VolumeError::Heartbeat {
                path: self.path.clone(),
                source,
            })?;
        Ok(RegionParams {
            name: ConfigfsName::new(NameKind::Region, region.name().as_bytes())
                .map_err(VolumeError::RegionName)?,
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
    /// reference matches them (the region name and the semaphore key are the exact text).
    pub other_case: Option<(PathBuf, String)>,
}

impl Reported for NotFound {
    fn text(&self) -> String {
        self.to_string()
    }

    fn detail(&self) -> Option<String> {
        Some(match &self.other_case {
            Some((path, uuid)) => format!(
                "no OCFS2 device has UUID {}; {} has {uuid} (UUIDs are matched exactly, in \
                 upper case as mounted.ocfs2 -d prints them)",
                self.uuid,
                path.display()
            ),
            None => format!("no OCFS2 device has UUID {}", self.uuid),
        })
    }
}

/// Finds the device with volume UUID `uuid` (exactly: same letter case). First the device
/// the running region of that name heartbeats on (`running_dev`, the kernel's name such as
/// `sdb` or `dm-3`: what the heartbeat really uses, also on multipath); then every OCFS2
/// device libblkid finds, in `/proc/partitions` order (the reference scans
/// `/proc/partitions` and knows only some device names).
pub fn find_by_uuid(
    root: &SysRoot,
    running_dev: Option<&str>,
    uuid: &str,
) -> Result<OpenedVolume, NotFound> {
    let matches = |v: &OpenedVolume| v.uuid() == uuid;
    if let Some(dev) = running_dev.filter(|d| !d.is_empty() && !d.contains('/')) {
        if let Ok(v) = OpenedVolume::open(&root.dev().join(dev)) {
            if matches(&v) {
                return Ok(v);
            }
        }
    }
    let mut other_case = None;
    for candidate in o2cb_sys::volumes::ocfs2_devices(root) {
        if let Some(known) = &candidate.uuid {
            if known != uuid {
                if known.eq_ignore_ascii_case(uuid) && other_case.is_none() {
                    other_case = Some((root.display_path(&candidate.path), known.clone()));
                }
                continue;
            }
        }
        let Ok(v) = OpenedVolume::open(&candidate.path) else {
            continue;
        };
        if matches(&v) {
            return Ok(v);
        }
        if v.uuid().eq_ignore_ascii_case(uuid) && other_case.is_none() {
            other_case = Some((root.display_path(&candidate.path), v.uuid()));
        }
    }
    Err(NotFound {
        uuid: uuid.to_owned(),
        other_case,
    })
}
