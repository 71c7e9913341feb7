//! Typed errors. Where the reference reports a failure with a libocfs2 or libo2cb message,
//! `Display` is exactly that text (docs/ocfs2-tools-reference.md Appendix A, or as
//! `mounted.ocfs2 -f` and `debugfs.ocfs2` 1.8.7 print it for the same corruption), so a binary
//! can print `<program>: <text> while ...` as the C tools do. The fields say what exactly
//! failed, and `reason()` spells it out for verbose output. Failures the reference does not
//! detect get a precise text of their own.

use std::io;

use crate::block_check::{BlockKind, CheckMismatch};
use crate::features::Incompat;
use crate::le::OutOfBounds;

/// A failure to read or decode metadata after the superblock: inodes, extent trees,
/// directories, file contents.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    /// The device returned an error.
    #[error("I/O error on channel")]
    Io {
        /// Byte offset of the read.
        offset: u64,
        /// Bytes asked for.
        len: usize,
        /// What the device said.
        #[source]
        source: io::Error,
    },
    /// The device ended before the bytes asked for.
    #[error("Attempt to read block from filesystem resulted in short read")]
    ShortRead {
        /// Byte offset of the read.
        offset: u64,
        /// Bytes asked for.
        wanted: usize,
        /// Bytes the device had.
        got: usize,
    },
    /// A file's extents do not cover a block below its size. libocfs2 reads such a file
    /// short, hence the same text.
    #[error("Attempt to read block from filesystem resulted in short read")]
    Hole {
        /// The inode.
        blkno: u64,
        /// The logical block without an extent.
        logical_block: u64,
    },
    /// A block number outside the volume (the reference would try the read and fail with
    /// an I/O error past the end of the device, or read beyond the file system).
    #[error("block {blkno} is outside the volume ({total_blocks} blocks)")]
    BlockOutOfRange {
        /// The block asked for.
        blkno: u64,
        /// Volume size in blocks, from the superblock.
        total_blocks: u64,
    },
    /// A metadata block fails its block check (`META_ECC`) and its ECC cannot repair it.
    /// libocfs2's `OCFS2_ET_BAD_CRC32`.
    #[error("Bad CRC32")]
    BadBlockCheck {
        /// The block read.
        blkno: u64,
        /// What it should hold.
        kind: BlockKind,
        /// The stored and the computed codes.
        mismatch: CheckMismatch,
    },
    /// A directory block of a `META_ECC` volume does not end with a `DIRTRL1` trailer.
    #[error("Bad magic number in directory block")]
    BadDirTrailer {
        /// The block read.
        blkno: u64,
    },
    /// A block that should hold an inode does not carry the `INODE01` signature.
    #[error("Bad magic number in inode")]
    BadInodeSignature {
        /// The block read.
        blkno: u64,
    },
    /// An inode without the VALID flag (deleted or never used).
    #[error("Inode is not valid (active)")]
    InodeNotValid {
        /// The block read.
        blkno: u64,
    },
    /// An inode that names another block as its own (libocfs2 does not check this; the
    /// kernel does).
    #[error("inode in block {blkno} claims to be block {claimed}")]
    InodeBlockMismatch {
        /// The block read.
        blkno: u64,
        /// Its `i_blkno`.
        claimed: u64,
    },
    /// A block that should hold an extent block does not carry the `EXBLK01` signature.
    #[error("Bad magic number in extent block")]
    BadExtentBlockSignature {
        /// The block read.
        blkno: u64,
    },
    /// An extent block that names another block as its own.
    #[error("Extent block is corrupt")]
    ExtentBlockMismatch {
        /// The block read.
        blkno: u64,
        /// Its `h_blkno`.
        claimed: u64,
    },
    /// An extent list that cannot be right (too many records, too deep, a cycle).
    #[error("corrupt extent list in block {blkno}: {reason}")]
    CorruptExtentList {
        /// The inode or extent block holding the list.
        blkno: u64,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A directory whose entries do not chain correctly.
    #[error("OCFS2 directory corrupted")]
    CorruptDirectory {
        /// The directory inode.
        dir_blkno: u64,
        /// Offset within the directory data.
        offset: u64,
        /// What is wrong.
        reason: &'static str,
    },
    /// An inode that should be a directory is not one.
    #[error("OCFS2 inode is not a directory")]
    NotADirectory {
        /// The inode.
        blkno: u64,
    },
    /// The name is not in the directory.
    #[error("Directory entry not found")]
    NotFound {
        /// The name looked up.
        name: String,
    },
    /// Metadata larger than any valid volume has; read no further rather than loop or
    /// allocate without bound.
    #[error("{what} of inode {blkno} exceed the limit of {limit}")]
    TooLarge {
        /// The inode whose data is too large.
        blkno: u64,
        /// What was being counted.
        what: &'static str,
        /// The limit.
        limit: u64,
    },
    /// A node number without a heartbeat slot.
    #[error("node {node} has no heartbeat slot (node numbers are 0..=254)")]
    NoHeartbeatSlot {
        /// The node number asked for.
        node: u32,
    },
    /// A structure shorter than its fields (a guard: block buffers are sized first).
    #[error("truncated on-disk structure in block {blkno}: {source}")]
    Truncated {
        /// The block being decoded.
        blkno: u64,
        /// Which field did not fit.
        #[source]
        source: OutOfBounds,
    },
}

impl ReadError {
    /// Whether a metadata block failed its block check.
    pub fn is_block_check(&self) -> bool {
        matches!(self, ReadError::BadBlockCheck { .. })
    }

    /// A precise account of what failed, for verbose output.
    pub fn reason(&self) -> String {
        match self {
            ReadError::Io {
                offset,
                len,
                source,
            } => format!("reading {len} bytes at byte {offset}: {source}"),
            ReadError::ShortRead {
                offset,
                wanted,
                got,
            } => format!("{wanted} bytes wanted at byte {offset}, the device has {got}"),
            ReadError::Hole {
                blkno,
                logical_block,
            } => format!("inode {blkno} has no extent for its logical block {logical_block}"),
            ReadError::BadBlockCheck {
                blkno,
                kind,
                mismatch,
            } => format!("{kind} in block {blkno}: {mismatch}"),
            ReadError::BadDirTrailer { blkno } => {
                format!("directory block {blkno} does not end with a DIRTRL1 trailer")
            }
            ReadError::BadInodeSignature { blkno } => {
                format!("block {blkno} does not start with INODE01")
            }
            ReadError::InodeNotValid { blkno } => {
                format!("inode {blkno} does not have the VALID flag")
            }
            ReadError::BadExtentBlockSignature { blkno } => {
                format!("block {blkno} does not start with EXBLK01")
            }
            ReadError::ExtentBlockMismatch { blkno, claimed } => {
                format!("extent block {blkno} claims to be block {claimed}")
            }
            ReadError::CorruptDirectory {
                dir_blkno,
                offset,
                reason,
            } => format!("directory {dir_blkno}, byte {offset} of its data: {reason}"),
            ReadError::NotADirectory { blkno } => format!("inode {blkno} is not a directory"),
            ReadError::NotFound { name } => format!("no entry named {name:?}"),
            other => other.to_string(),
        }
    }
}

/// Why [`crate::Volume::open`] refused a device (reference §8.4), in the order it checks.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// Reading block 0 failed.
    #[error(transparent)]
    Read(#[from] ReadError),
    /// Block 0 holds an OCFS (version 1) volume header.
    #[error("Device contains an OCFS volume")]
    OcfsV1Volume,
    /// No `OCFSV2` signature in block 2 for any block size.
    #[error("Bad magic number in superblock")]
    BadMagic,
    /// Incompatible feature bits libocfs2 does not know.
    #[error("Unsupported feature(s) found")]
    UnsupportedFeatures {
        /// The unknown bits.
        unknown: Incompat,
    },
    /// A heartbeat-only device, and the caller did not allow one. libocfs2 reports this as
    /// an unsupported feature (checked with `fsck.ocfs2 -n` 1.8.7).
    #[error("Unsupported feature(s) found")]
    HeartbeatDevice,
    /// `s_blocksize_bits` is 0.
    #[error("The OCFS2 superblock is corrupt")]
    ZeroBlockSizeBits,
    /// The superblock's `i_blkno` is not 2.
    #[error("The OCFS2 superblock is corrupt")]
    SuperblockBlockMismatch {
        /// Its `i_blkno`.
        claimed: u64,
    },
    /// `s_clustersize_bits` outside 12..=20.
    #[error("The OCFS2 superblock is corrupt")]
    ClusterSizeBits {
        /// The value found.
        bits: u32,
    },
    /// `s_root_blkno` is 0.
    #[error("The OCFS2 superblock is corrupt")]
    ZeroRootDir,
    /// `s_system_dir_blkno` is 0.
    #[error("The OCFS2 superblock is corrupt")]
    ZeroSystemDir,
    /// `s_max_slots` above 255.
    #[error("The OCFS2 superblock is corrupt")]
    TooManySlots {
        /// The value found.
        max_slots: u16,
    },
    /// The signature was found at the block size `probed`, but `s_blocksize_bits` says
    /// another one.
    #[error("Filesystem has unexpected block size")]
    UnexpectedBlockSize {
        /// The block size at which block 2 carried the signature.
        probed: u32,
        /// `s_blocksize_bits`.
        blocksize_bits: u32,
    },
}

impl OpenError {
    /// The read that failed, if that is why the open failed.
    pub fn as_read(&self) -> Option<&ReadError> {
        match self {
            OpenError::Read(e) => Some(e),
            _ => None,
        }
    }

    /// A precise account of what failed, for verbose output.
    pub fn reason(&self) -> String {
        match self {
            OpenError::Read(e) => e.reason(),
            OpenError::OcfsV1Volume => "block 0 holds an OCFS version 1 header".into(),
            OpenError::BadMagic => "no OCFSV2 signature at block 2 for any block size".into(),
            OpenError::UnsupportedFeatures { unknown } => {
                format!("unknown incompatible feature bits {:#x}", unknown.bits())
            }
            OpenError::HeartbeatDevice => "the volume is a heartbeat device".into(),
            OpenError::ZeroBlockSizeBits => "block size bits are 0".into(),
            OpenError::SuperblockBlockMismatch { claimed } => {
                format!("the superblock claims to be block {claimed}, not 2")
            }
            OpenError::ClusterSizeBits { bits } => {
                format!("cluster size bits {bits} outside 12..=20")
            }
            OpenError::ZeroRootDir => "the root directory block is 0".into(),
            OpenError::ZeroSystemDir => "the system directory block is 0".into(),
            OpenError::TooManySlots { max_slots } => {
                format!("{max_slots} node slots, more than 255")
            }
            OpenError::UnexpectedBlockSize {
                probed,
                blocksize_bits,
            } => format!(
                "superblock found with {probed}-byte blocks but block size bits are \
                 {blocksize_bits}"
            ),
        }
    }
}

/// Why the heartbeat region of a volume could not be described (reference §6.2).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HeartbeatError {
    /// Finding or reading the heartbeat system file failed.
    #[error(transparent)]
    Read(#[from] ReadError),
    /// The sector size given is not a power of two of at least 512 bytes.
    #[error("invalid device sector size {sector_size}")]
    InvalidSectorSize {
        /// The value given.
        sector_size: u32,
    },
    /// The heartbeat inode keeps its data inline instead of in an extent.
    #[error("Invalid heartbeat file")]
    InlineData,
    /// The extent tree is not a single leaf.
    #[error("Invalid heartbeat file")]
    NotALeaf {
        /// `l_tree_depth`.
        depth: u16,
    },
    /// The extent list does not hold exactly one record.
    #[error("Invalid heartbeat file")]
    ExtentCount {
        /// `l_next_free_rec`.
        records: u16,
    },
    /// The single extent is shorter than the 255 slots.
    #[error("Invalid heartbeat file")]
    TooShort {
        /// Its length in fs blocks.
        blocks: u64,
    },
    /// The extent does not lie within the volume (the reference would hand such a region to
    /// the kernel, which would then write heartbeats over whatever is there).
    #[error("Invalid heartbeat file")]
    OutsideVolume {
        /// First block of the extent.
        blkno: u64,
        /// Its length in fs blocks.
        blocks: u64,
        /// Volume size in blocks.
        total_blocks: u64,
    },
    /// Heartbeat slots are one sector each and must fit in an fs block.
    #[error("The block size is smaller than the sector size on this device")]
    BlockSmallerThanSector {
        /// The fs block size.
        block_size: u32,
        /// The device sector size.
        sector_size: u32,
    },
}

impl HeartbeatError {
    /// The read that failed, if that is why the region could not be described.
    pub fn as_read(&self) -> Option<&ReadError> {
        match self {
            HeartbeatError::Read(e) => Some(e),
            _ => None,
        }
    }

    /// A precise account of what failed, for verbose output.
    pub fn reason(&self) -> String {
        match self {
            HeartbeatError::Read(e) => e.reason(),
            HeartbeatError::InlineData => "the heartbeat file has inline data".into(),
            HeartbeatError::NotALeaf { depth } => {
                format!("the heartbeat extent tree has depth {depth}, not 0")
            }
            HeartbeatError::ExtentCount { records } => {
                format!("the heartbeat file has {records} extents, not 1")
            }
            HeartbeatError::TooShort { blocks } => {
                format!("the heartbeat extent has {blocks} blocks, fewer than 255")
            }
            HeartbeatError::OutsideVolume {
                blkno,
                blocks,
                total_blocks,
            } => format!(
                "the heartbeat extent (from block {blkno}, {blocks} blocks) ends past the volume's \
                 {total_blocks} blocks"
            ),
            HeartbeatError::BlockSmallerThanSector {
                block_size,
                sector_size,
            } => format!("{block_size}-byte blocks, {sector_size}-byte sectors"),
            other => other.to_string(),
        }
    }
}

/// Why the slot map could not be loaded (reference §8.8).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SlotMapError {
    /// Finding or reading the slot map system file failed.
    #[error(transparent)]
    Read(#[from] ReadError),
    /// The file is smaller than `max_slots` entries.
    #[error("Attempt to read block from filesystem resulted in short read")]
    ShortFile {
        /// `i_size` of the slot map.
        size: u64,
        /// Bytes `max_slots` entries take.
        needed: u64,
    },
}

impl SlotMapError {
    /// A precise account of what failed, for verbose output.
    pub fn reason(&self) -> String {
        match self {
            SlotMapError::Read(e) => e.reason(),
            SlotMapError::ShortFile { size, needed } => {
                format!("the slot map holds {size} bytes, its slots need {needed}")
            }
        }
    }
}

/// A heartbeat slot buffer too short to hold the slot fields.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("heartbeat slot of {len} bytes is shorter than the {min} bytes of its fields")]
pub struct HeartbeatSlotError {
    /// The length given.
    pub len: usize,
    /// The minimum.
    pub min: usize,
}
