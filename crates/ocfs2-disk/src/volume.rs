//! Full open with the validation libocfs2's `ocfs2_open` does (docs/ocfs2-tools-reference.md
//! §8.1, §8.4), and block reads within the volume.

use crate::block_check::{self, BlockKind};
use crate::device::{read_full, ReadAt};
use crate::error::{OpenError, ReadError};
use crate::features::Incompat;
use crate::format::{ocfs1, sb};
use crate::le::Le;
use crate::superblock::{BlockSize, RawSuperblock, Superblock};

/// How much a full open tolerates.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OpenOptions {
    allow_heartbeat_device: bool,
}

impl OpenOptions {
    /// The defaults of libocfs2: heartbeat-only devices are refused.
    pub fn new() -> Self {
        Self::default()
    }

    /// Accepts heartbeat-only devices, as every cluster tool (mounted, mount, hb_ctl) does.
    pub fn allow_heartbeat_device(mut self, allow: bool) -> Self {
        self.allow_heartbeat_device = allow;
        self
    }
}

/// An opened OCFS2 volume: a device and its validated superblock. Opening reads block 0 and
/// the superblock; everything else is read on demand.
pub struct Volume<R> {
    dev: R,
    sb: Superblock,
}

/// Shows the superblock only: the device may be a whole image in memory.
impl<R> std::fmt::Debug for Volume<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Volume")
            .field("superblock", &self.sb)
            .finish_non_exhaustive()
    }
}

/// Cluster size bits libocfs2 accepts (4 KiB ..= 1 MiB).
const CLUSTER_SIZE_BITS: std::ops::RangeInclusive<u32> = 12..=20;
/// The slot map and the heartbeat area have room for node numbers 0..=254 only.
const MAX_SLOTS: u16 = 255;

impl<R: ReadAt> Volume<R> {
    /// Opens `dev` read-only and validates its superblock as libocfs2 does, in its order.
    ///
    /// On a `META_ECC` volume the superblock's block check comes right after the signature
    /// is found, before any field is validated, and one flipped bit is repaired in memory
    /// (see [`crate::block_check`]); a check that fails is final, the remaining block sizes
    /// are not probed (as with libocfs2 1.8.7).
    pub fn open(dev: R, options: OpenOptions) -> Result<Self, OpenError> {
        check_not_ocfs1(&dev)?;
        let (probed, mut block, raw) = probe_superblock(&dev)?;
        let raw = if raw.incompat.contains(Incompat::META_ECC) {
            verify(sb::BLKNO, &mut block, BlockKind::Superblock)?;
            RawSuperblock::parse(&block).ok_or(OpenError::BadMagic)?
        } else {
            raw
        };
        let sb = validate(probed, &raw, options)?;
        Ok(Volume { dev, sb })
    }

    /// The validated superblock.
    pub fn superblock(&self) -> &Superblock {
        &self.sb
    }

    /// The device this volume reads from.
    pub fn device(&self) -> &R {
        &self.dev
    }

    /// Gives the device back.
    pub fn into_device(self) -> R {
        self.dev
    }

    /// Reads fs block `blkno`, which must lie within the volume.
    pub(crate) fn read_block(&self, blkno: u64) -> Result<Vec<u8>, ReadError> {
        let total_blocks = self.sb.total_blocks();
        if blkno >= total_blocks {
            return Err(ReadError::BlockOutOfRange {
                blkno,
                total_blocks,
            });
        }
        // Cannot overflow: total_blocks < 2^32 clusters * 2^11 blocks per cluster.
        let offset = blkno * u64::from(self.sb.block_size.bytes());
        read_exact(&self.dev, offset, self.sb.block_size.len())
    }

    /// Reads metadata block `blkno` that should be a `kind` block. On a `META_ECC` volume its
    /// block check is verified and one flipped bit repaired in memory, as the C tools do.
    pub(crate) fn read_metadata(&self, blkno: u64, kind: BlockKind) -> Result<Vec<u8>, ReadError> {
        let mut block = self.read_block(blkno)?;
        self.verify(blkno, &mut block, kind)?;
        Ok(block)
    }

    /// Verifies the check of `block`, just read from `blkno`, when the volume has `META_ECC`.
    pub(crate) fn verify(
        &self,
        blkno: u64,
        block: &mut [u8],
        kind: BlockKind,
    ) -> Result<(), ReadError> {
        if self.sb.incompat.contains(Incompat::META_ECC) {
            verify(blkno, block, kind)?;
        }
        Ok(())
    }

    /// Reads `len` bytes at a byte offset (heartbeat sectors are not fs blocks).
    pub(crate) fn read_bytes(&self, offset: u64, len: usize) -> Result<Vec<u8>, ReadError> {
        read_exact(&self.dev, offset, len)
    }
}

/// Reads exactly `len` bytes or says why not.
pub(crate) fn read_exact<R: ReadAt + ?Sized>(
    dev: &R,
    offset: u64,
    len: usize,
) -> Result<Vec<u8>, ReadError> {
    let short = |got| ReadError::ShortRead {
        offset,
        wanted: len,
        got,
    };
    // Refuse before allocating when the device is known to be too small.
    if let Some(size) = dev.size_hint() {
        let available = size.saturating_sub(offset);
        if available < len as u64 {
            return Err(short(usize::try_from(available).unwrap_or(usize::MAX)));
        }
    }
    let mut buf = vec![0u8; len];
    let got = read_full(dev, offset, &mut buf).map_err(|source| ReadError::Io {
        offset,
        len,
        source,
    })?;
    if got < len {
        return Err(short(got));
    }
    Ok(buf)
}

/// libocfs2 refuses a device whose block 0 holds an OCFS (version 1) volume header.
fn check_not_ocfs1<R: ReadAt + ?Sized>(dev: &R) -> Result<(), OpenError> {
    let header = read_exact(dev, 0, sb::LEN)?;
    let le = Le(&header);
    let major_version = le.u32(ocfs1::MAJOR_VERSION).ok();
    let signature = le.bytes(ocfs1::SIGNATURE, ocfs1::MAGIC.len()).ok();
    if major_version == Some(2) || signature == Some(ocfs1::MAGIC) {
        return Err(OpenError::OcfsV1Volume);
    }
    Ok(())
}

/// Tries block 2 at each block size. A read that fails or finds no signature moves on to
/// the next size; if no size has the signature, the first hard I/O error (if any) is more
/// telling than "bad magic".
fn probe_superblock<R: ReadAt + ?Sized>(
    dev: &R,
) -> Result<(BlockSize, Vec<u8>, RawSuperblock), OpenError> {
    let mut io_error: Option<ReadError> = None;
    for block_size in BlockSize::ALL {
        let offset = u64::from(block_size.bytes()) * sb::BLKNO;
        match read_exact(dev, offset, block_size.len()) {
            Ok(block) => {
                if let Some(raw) = RawSuperblock::parse(&block) {
                    return Ok((block_size, block, raw));
                }
            }
            Err(e @ ReadError::Io { .. }) => {
                io_error.get_or_insert(e);
            }
            Err(_) => {}
        }
    }
    Err(io_error.map_or(OpenError::BadMagic, OpenError::Read))
}

/// Verifies a block's check (see [`crate::block_check`]), naming the block when it fails.
fn verify(blkno: u64, block: &mut [u8], kind: BlockKind) -> Result<(), ReadError> {
    block_check::verify(block, kind)
        .map(drop)
        .map_err(|mismatch| ReadError::BadBlockCheck {
            blkno,
            kind,
            mismatch,
        })
}

fn validate(
    probed: BlockSize,
    raw: &RawSuperblock,
    options: OpenOptions,
) -> Result<Superblock, OpenError> {
    let unknown = raw.incompat.difference(Incompat::SUPPORTED);
    if !unknown.is_empty() {
        return Err(OpenError::UnsupportedFeatures { unknown });
    }
    if raw.incompat.contains(Incompat::HEARTBEAT_DEV) && !options.allow_heartbeat_device {
        return Err(OpenError::HeartbeatDevice);
    }
    if raw.blocksize_bits == 0 {
        return Err(OpenError::ZeroBlockSizeBits);
    }
    if raw.blkno != sb::BLKNO {
        return Err(OpenError::SuperblockBlockMismatch { claimed: raw.blkno });
    }
    if !CLUSTER_SIZE_BITS.contains(&raw.clustersize_bits) {
        return Err(OpenError::ClusterSizeBits {
            bits: raw.clustersize_bits,
        });
    }
    if raw.root_dir_blkno == 0 {
        return Err(OpenError::ZeroRootDir);
    }
    if raw.system_dir_blkno == 0 {
        return Err(OpenError::ZeroSystemDir);
    }
    if raw.max_slots > MAX_SLOTS {
        return Err(OpenError::TooManySlots {
            max_slots: raw.max_slots,
        });
    }
    if raw.blocksize_bits != probed.bits() {
        return Err(OpenError::UnexpectedBlockSize {
            probed: probed.bytes(),
            blocksize_bits: raw.blocksize_bits,
        });
    }
    Ok(Superblock {
        block_size: probed,
        cluster_size_bits: raw.clustersize_bits,
        clusters: raw.clusters,
        minor_rev: raw.minor_rev,
        max_slots: raw.max_slots,
        label: raw.label,
        uuid: raw.uuid,
        compat: raw.compat,
        incompat: raw.incompat,
        ro_compat: raw.ro_compat,
        cluster_info: raw.cluster_info(),
        root_dir_blkno: raw.root_dir_blkno,
        system_dir_blkno: raw.system_dir_blkno,
    })
}
