//! Which devices of this machine may carry an OCFS2 volume, and reading a device so that
//! what another node wrote is seen rather than a stale page cache.
//!
//! Discovery uses libblkid (every device family, NVMe included; the C tools walk
//! `/proc/partitions` and know only some names), then orders the devices as
//! `/proc/partitions` lists them, which is the order the C tools print and pick them in.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use ocfs2_disk::ReadAt;

use crate::paths::SysRoot;

/// A device that may hold an OCFS2 volume.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub path: PathBuf,
    /// The UUID libblkid read; `None` when not probed (test roots).
    pub uuid: Option<uuid::Uuid>,
}

/// Every device that may hold an OCFS2 volume, in `/proc/partitions` order: on a real
/// system the block devices libblkid identifies as OCFS2; under a test root every entry
/// of `<root>/dev` (image files stand in for devices), sorted by name. Callers confirm by
/// reading the superblock.
pub fn ocfs2_devices(root: &SysRoot) -> Vec<Candidate> {
    if !root.is_real_root() {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(root.dev())
            .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        paths.sort();
        return paths
            .into_iter()
            .map(|path| Candidate { path, uuid: None })
            .collect();
    }
    let order = partition_order(root);
    let mut devices: Vec<(usize, Candidate)> = crate::blkid::ocfs2_devices()
        .into_iter()
        .map(|d| {
            let rank = std::fs::metadata(&d.path)
                .ok()
                .and_then(|m| order.get(&m.rdev()).copied())
                .unwrap_or(usize::MAX);
            (
                rank,
                Candidate {
                    path: d.path,
                    uuid: d.uuid,
                },
            )
        })
        .collect();
    // Stable: devices /proc/partitions does not list keep libblkid's order, at the end.
    devices.sort_by_key(|(rank, _)| *rank);
    devices.into_iter().map(|(_, c)| c).collect()
}

/// Device number → position in `/proc/partitions`.
fn partition_order(root: &SysRoot) -> HashMap<u64, usize> {
    let text = std::fs::read_to_string(root.proc_partitions()).unwrap_or_default();
    parse_partitions(&text)
        .into_iter()
        .enumerate()
        .map(|(i, (major, minor, _))| (nix::sys::stat::makedev(major, minor), i))
        .collect()
}

/// The `major minor #blocks name` lines of `/proc/partitions` (header and blank lines
/// skipped, as anything that does not parse).
pub fn parse_partitions(text: &str) -> Vec<(u64, u64, String)> {
    text.lines()
        .filter_map(|line| {
            let mut f = line.split_whitespace();
            let major = f.next()?.parse().ok()?;
            let minor = f.next()?.parse().ok()?;
            let _blocks: u64 = f.next()?.parse().ok()?;
            let name = f.next()?.to_string();
            Some((major, minor, name))
        })
        .collect()
}

/// The bytes the C tools drop from the page cache before detecting a volume.
const DETECT_ADVISE_LEN: i64 = 1 << 20;

/// Whether what the page cache holds for this file may be stale: only for block devices,
/// which other nodes write behind this kernel's back. A regular file (an image) has one
/// page cache for every writer on this machine, `O_DIRECT` writers included.
fn cache_may_be_stale(file: &File) -> bool {
    file.metadata()
        .is_ok_and(|m| m.file_type().is_block_device())
}

/// Opens a device for quick detection, read-only. On a block device the first MiB is
/// dropped from the page cache first, so the read sees the disk (as `mounted.ocfs2 -d`
/// does; another node may have just formatted it). The C tool drops the cache of image
/// files too, which only makes it read the disk again.
pub fn open_for_detect(path: &Path) -> io::Result<File> {
    let file = File::open(path)?;
    if cache_may_be_stale(&file) {
        // Advice only: a failure changes nothing about the read.
        let _ = nix::fcntl::posix_fadvise(
            &file,
            0,
            DETECT_ADVISE_LEN,
            nix::fcntl::PosixFadviseAdvice::POSIX_FADV_DONTNEED,
        );
    }
    Ok(file)
}

/// Alignment of direct reads: a multiple of every logical sector size (512..=4096).
const DIRECT_ALIGN: usize = 4096;

/// A device read without the page cache (`O_DIRECT`), as libocfs2 reads for a full open:
/// the slot map changes under us as other nodes mount and unmount. Regular files (images)
/// are read through the page cache, which is never stale for them (see
/// [`open_for_detect`]).
#[derive(Debug)]
pub struct FreshReader {
    file: File,
    direct: bool,
    size: Option<u64>,
}

impl FreshReader {
    pub fn open(path: &Path) -> io::Result<FreshReader> {
        let file = File::open(path)?;
        if cache_may_be_stale(&file) {
            drop(file);
            Self::open_direct(path)
        } else {
            let size = device_size(&file);
            Ok(FreshReader {
                file,
                direct: false,
                size,
            })
        }
    }

    /// Opens with `O_DIRECT`; where that is refused (tmpfs), reads through the cache after
    /// dropping it.
    fn open_direct(path: &Path) -> io::Result<FreshReader> {
        let (file, direct) = match OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_DIRECT)
            .open(path)
        {
            Ok(f) => (f, true),
            Err(e) if e.raw_os_error() == Some(libc::EINVAL) => {
                let f = File::open(path)?;
                let _ = nix::fcntl::posix_fadvise(
                    &f,
                    0,
                    0,
                    nix::fcntl::PosixFadviseAdvice::POSIX_FADV_DONTNEED,
                );
                (f, false)
            }
            Err(e) => return Err(e),
        };
        let size = device_size(&file);
        Ok(FreshReader { file, direct, size })
    }

    /// The open file (for ioctls such as the sector size).
    pub fn file(&self) -> &File {
        &self.file
    }

    /// Whether reads bypass the page cache.
    pub fn is_direct(&self) -> bool {
        self.direct
    }
}

impl ReadAt for FreshReader {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        if !self.direct {
            return std::os::unix::fs::FileExt::read_at(&self.file, buf, offset);
        }
        // O_DIRECT wants offset, length and buffer aligned: read the aligned span around
        // the request into an aligned bounce buffer and copy the part asked for.
        let align = DIRECT_ALIGN as u64;
        let start = offset - offset % align;
        let skip = (offset - start) as usize;
        let span = (skip + buf.len()).div_ceil(DIRECT_ALIGN) * DIRECT_ALIGN;
        let mut bounce = vec![0u8; span + DIRECT_ALIGN];
        let at = bounce.as_ptr().align_offset(DIRECT_ALIGN);
        let aligned = &mut bounce[at..at + span];
        let got = std::os::unix::fs::FileExt::read_at(&self.file, aligned, start)?;
        let n = got.saturating_sub(skip).min(buf.len());
        buf[..n].copy_from_slice(&aligned[skip..skip + n]);
        Ok(n)
    }

    fn size_hint(&self) -> Option<u64> {
        self.size
    }
}

// BLKGETSIZE64: a block device's size in bytes.
nix::ioctl_read!(blkgetsize64, 0x12, 114, u64);
// BLKROGET: whether a block device is read-only.
nix::ioctl_read_bad!(blkroget, 0x125e, libc::c_int);

/// The size of a block device (its ioctl) or a regular file; `None` for anything else.
#[allow(unsafe_code)]
pub fn device_size(file: &File) -> Option<u64> {
    let meta = file.metadata().ok()?;
    if meta.is_file() {
        return Some(meta.len());
    }
    if !meta.file_type().is_block_device() {
        return None;
    }
    let mut size: u64 = 0;
    // SAFETY: BLKGETSIZE64 writes one u64 through the pointer, which points to `size`.
    unsafe { blkgetsize64(file.as_raw_fd(), &mut size) }.ok()?;
    Some(size)
}

/// Whether the file is a block device set read-only (`blockdev --setro`, a write-protected
/// LUN). Regular files are never read-only in this sense.
#[allow(unsafe_code)]
pub fn is_read_only_device(file: &File) -> bool {
    if !file
        .metadata()
        .is_ok_and(|m| m.file_type().is_block_device())
    {
        return false;
    }
    let mut ro: libc::c_int = 0;
    // SAFETY: BLKROGET writes one int through the pointer, which points to `ro`.
    unsafe { blkroget(file.as_raw_fd(), &mut ro) }.is_ok_and(|_| ro != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions_lines_parse_and_the_header_is_skipped() {
        let text = "major minor  #blocks  name\n\n 254        0  268435456 vda\n 259  1 100 nvme0n1p1\n   7        0     102400 loop0\n";
        assert_eq!(
            parse_partitions(text),
            [
                (254, 0, "vda".to_string()),
                (259, 1, "nvme0n1p1".to_string()),
                (7, 0, "loop0".to_string())
            ]
        );
    }

    #[test]
    fn a_test_root_offers_its_dev_entries_in_name_order() {
        let dir = tempfile::tempdir().unwrap();
        let dev = dir.path().join("dev");
        std::fs::create_dir(&dev).unwrap();
        for name in ["vdb", "vda", "nvme0n1"] {
            std::fs::write(dev.join(name), b"").unwrap();
        }
        let root = SysRoot::new(dir.path());
        let names: Vec<String> = ocfs2_devices(&root)
            .iter()
            .map(|c| c.path.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["nvme0n1", "vda", "vdb"]);
    }

    #[test]
    fn direct_reads_return_exactly_the_bytes_asked_for() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("img");
        let data: Vec<u8> = (0..20_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(&path, &data).unwrap();
        // The O_DIRECT path, which block devices take (tmpfs refuses it: then buffered).
        let reader = FreshReader::open_direct(&path).unwrap();
        assert_eq!(reader.size_hint(), Some(20_000));
        assert!(!FreshReader::open(&path).unwrap().is_direct());
        for (offset, len) in [(0, 512), (1024, 512), (4095, 3), (8192, 4096), (19_990, 64)] {
            let mut buf = vec![0u8; len];
            let n = reader.read_at(offset as u64, &mut buf).unwrap();
            let want = &data[offset..(offset + len).min(data.len())];
            assert_eq!(&buf[..n], want, "offset {offset} len {len}");
        }
        let mut buf = [0u8; 16];
        assert_eq!(reader.read_at(30_000, &mut buf).unwrap(), 0);
    }

    #[test]
    fn regular_files_are_not_read_only_devices() {
        let file = tempfile::tempfile().unwrap();
        assert!(!is_read_only_device(&file));
        assert_eq!(device_size(&file), Some(0));
    }
}
