//! Quick detect, as `mounted.ocfs2 -d` does it (docs/ocfs2-tools-reference.md §7.3): look for
//! the signature at block 2 for each block size, take the first hit, validate nothing else.

use std::io;

use crate::device::ReadAt;
use crate::error::ReadError;
use crate::features::Incompat;
use crate::format::sb;
use crate::superblock::{BlockSize, Label, RawSuperblock, Uuid, VolumeStack};

/// The bytes quick detect reads: enough to cover block 2 at a block size of 4 KiB, plus the
/// 512 bytes of superblock fields there.
pub const QUICK_DETECT_LEN: usize = 8192 + sb::LEN;

/// What quick detect finds on an OCFS2 volume.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuickDetect {
    block_size: BlockSize,
    label: Label,
    uuid: Uuid,
    incompat: Incompat,
    stack: VolumeStack,
}

impl QuickDetect {
    /// The block size at which the signature was found (its superblock is at twice that
    /// offset). The superblock's own block size field is not consulted.
    pub fn block_size(&self) -> BlockSize {
        self.block_size
    }

    /// Byte offset of the superblock.
    pub fn superblock_offset(&self) -> u64 {
        u64::from(self.block_size.bytes()) * sb::BLKNO
    }

    /// The volume label (at most 64 bytes).
    pub fn label(&self) -> &Label {
        &self.label
    }

    /// The volume UUID.
    pub fn uuid(&self) -> Uuid {
        self.uuid
    }

    /// The incompatible feature bits, unknown ones included.
    pub fn incompat(&self) -> Incompat {
        self.incompat
    }

    /// The Stack, Cluster and flag columns.
    pub fn stack(&self) -> VolumeStack {
        self.stack
    }
}

/// Looks for an OCFS2 superblock with a single read of the first [`QUICK_DETECT_LEN`] bytes
/// (one read per device matters when scanning every disk of a large machine). Short devices
/// are fine: a block size whose superblock lies past the end is simply not a match.
/// `Ok(None)` means "not OCFS2".
pub fn quick_detect<R: ReadAt + ?Sized>(dev: &R) -> Result<Option<QuickDetect>, ReadError> {
    let mut buf = vec![0u8; QUICK_DETECT_LEN];
    let got = loop {
        match dev.read_at(0, &mut buf) {
            Ok(n) => break n.min(buf.len()),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(source) => {
                return Err(ReadError::Io {
                    offset: 0,
                    len: QUICK_DETECT_LEN,
                    source,
                })
            }
        }
    };
    Ok(detect_in(&buf[..got]))
}

/// Quick detect on bytes already read from the start of a device.
pub fn detect_in(head: &[u8]) -> Option<QuickDetect> {
    BlockSize::ALL.into_iter().find_map(|block_size| {
        let start = block_size.len() * sb::BLKNO as usize;
        // The reference reads 512 bytes at each offset and stops at the first short read;
        // a superblock cut off by the end of the device is therefore no match.
        let raw = RawSuperblock::parse(head.get(start..start + sb::LEN)?)?;
        Some(QuickDetect {
            block_size,
            label: raw.label,
            uuid: raw.uuid,
            incompat: raw.incompat,
            stack: raw.stack(),
        })
    })
}
