//! Inodes, extent trees and file contents (docs/ocfs2-tools-reference.md §8.2, §8.5).

use std::collections::HashSet;

use crate::block_check::BlockKind;
use crate::device::ReadAt;
use crate::error::ReadError;
use crate::format::{extent, inode};
use crate::le::{Le, OutOfBounds};
use crate::volume::Volume;

/// Extent blocks one file may have. A system file has at most a handful; this bounds the
/// work a hostile tree (wide at every level) can cause.
const MAX_EXTENT_BLOCKS: usize = 256;
/// Leaf extents one file may have, for the same reason.
const MAX_LEAF_EXTENTS: usize = 4096;

/// An inode block and the header fields this crate uses.
#[derive(Debug, Clone)]
pub(crate) struct Inode {
    pub(crate) blkno: u64,
    pub(crate) block: Vec<u8>,
    pub(crate) size: u64,
    pub(crate) mode: u16,
    pub(crate) dyn_features: u16,
}

impl Inode {
    /// Decodes an inode block whose signature and block check the caller has checked.
    fn parse(blkno: u64, block: Vec<u8>) -> Result<Self, ReadError> {
        let le = Le(&block);
        let fields = || -> Result<_, OutOfBounds> {
            Ok((
                le.u32(inode::FLAGS)?,
                le.u64(inode::BLKNO)?,
                le.u64(inode::SIZE)?,
                le.u16(inode::MODE)?,
                le.u16(inode::DYN_FEATURES)?,
            ))
        };
        let (flags, claimed, size, mode, dyn_features) =
            fields().map_err(|source| ReadError::Truncated { blkno, source })?;
        if flags & inode::FL_VALID == 0 {
            return Err(ReadError::InodeNotValid { blkno });
        }
        // libocfs2 does not compare i_blkno, the kernel does; a mismatch means the block
        // is not the inode it is supposed to be.
        if claimed != blkno {
            return Err(ReadError::InodeBlockMismatch { blkno, claimed });
        }
        Ok(Inode {
            blkno,
            block,
            size,
            mode,
            dyn_features,
        })
    }

    pub(crate) fn is_dir(&self) -> bool {
        self.mode & inode::S_IFMT == inode::S_IFDIR
    }

    pub(crate) fn has_inline_data(&self) -> bool {
        self.dyn_features & inode::DYN_INLINE_DATA != 0
    }

    /// The inline data area as `id_count` declares it; callers clip it to `i_size`.
    pub(crate) fn inline_data(&self) -> Result<&[u8], ReadError> {
        let le = Le(&self.block);
        let truncated = |source| ReadError::Truncated {
            blkno: self.blkno,
            source,
        };
        let count = le.u16(inode::INLINE_COUNT).map_err(truncated)?;
        le.bytes(inode::INLINE_DATA, usize::from(count))
            .map_err(truncated)
    }

    /// The extent list in `id2`.
    pub(crate) fn extent_list(&self) -> Result<ExtentList, ReadError> {
        ExtentList::parse(self.blkno, &self.block, inode::ID2)
    }
}

/// One extent record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ExtentRecord {
    /// First logical cluster covered.
    pub(crate) cpos: u32,
    /// Clusters covered (`e_leaf_clusters` in leaves, `e_int_clusters` in interior nodes).
    pub(crate) clusters: u32,
    /// Physical block of the first cluster (leaves) or of the child extent block.
    pub(crate) blkno: u64,
}

/// An extent list: the records in use, and the depth of the tree below it.
#[derive(Debug, Clone)]
pub(crate) struct ExtentList {
    pub(crate) depth: u16,
    pub(crate) records: Vec<ExtentRecord>,
}

impl ExtentList {
    /// Parses the list at `offset` of `block` (the block numbered `blkno`). The number of
    /// records in use is bounded by what fits in the block, whatever `l_count` claims.
    pub(crate) fn parse(blkno: u64, block: &[u8], offset: usize) -> Result<Self, ReadError> {
        let le = Le(block);
        let truncated = |source| ReadError::Truncated { blkno, source };
        let depth = le.u16(offset + extent::TREE_DEPTH).map_err(truncated)?;
        let in_use = le.u16(offset + extent::NEXT_FREE_REC).map_err(truncated)?;
        let first = offset + extent::RECORDS;
        let capacity = block.len().saturating_sub(first) / extent::RECORD_LEN;
        if usize::from(in_use) > capacity {
            return Err(ReadError::CorruptExtentList {
                blkno,
                reason: "more records in use than fit in the block",
            });
        }
        let records = (0..usize::from(in_use))
            .map(|i| {
                let at = first + i * extent::RECORD_LEN;
                let clusters = if depth == 0 {
                    u32::from(le.u16(at + extent::E_LEAF_CLUSTERS)?)
                } else {
                    le.u32(at + extent::E_INT_CLUSTERS)?
                };
                Ok(ExtentRecord {
                    cpos: le.u32(at + extent::E_CPOS)?,
                    clusters,
                    blkno: le.u64(at + extent::E_BLKNO)?,
                })
            })
            .collect::<Result<_, OutOfBounds>>()
            .map_err(truncated)?;
        Ok(ExtentList { depth, records })
    }
}

/// The leaf extents of a file, enough to map its logical blocks to physical ones.
#[derive(Debug, Clone)]
pub(crate) struct ExtentMap {
    leaves: Vec<ExtentRecord>,
    /// log2 of the fs blocks in a cluster.
    blocks_per_cluster_bits: u32,
}

impl ExtentMap {
    /// The physical block holding logical block `lblk`, `None` for a hole.
    pub(crate) fn physical(&self, lblk: u64) -> Option<u64> {
        let cluster = lblk >> self.blocks_per_cluster_bits;
        self.leaves.iter().find_map(|leaf| {
            let start = u64::from(leaf.cpos);
            let within = cluster.checked_sub(start)?;
            if within >= u64::from(leaf.clusters) {
                return None;
            }
            let first_lblk = start << self.blocks_per_cluster_bits;
            leaf.blkno.checked_add(lblk - first_lblk)
        })
    }
}

impl<R: ReadAt> Volume<R> {
    /// Reads and checks the inode in block `blkno`.
    ///
    /// The signature comes first, then the block check, then the fields: the order in which
    /// libocfs2 reports them (a block that is no inode at all is "Bad magic number in
    /// inode"; an inode that fails its check is "Bad CRC32" even if its VALID flag is also
    /// gone).
    pub(crate) fn read_inode(&self, blkno: u64) -> Result<Inode, ReadError> {
        let mut block = self.read_block(blkno)?;
        if !block.starts_with(inode::MAGIC) {
            return Err(ReadError::BadInodeSignature { blkno });
        }
        self.verify(blkno, &mut block, BlockKind::Inode)?;
        Inode::parse(blkno, block)
    }

    /// Walks the extent tree of `inode` down to its leaves. Every child must be exactly one
    /// level below its parent and no extent block may be visited twice, so a cycle or a
    /// shared subtree in a corrupt image ends with an error instead of looping.
    pub(crate) fn extent_map(&self, inode: &Inode) -> Result<ExtentMap, ReadError> {
        let root = inode.extent_list()?;
        if root.depth > extent::MAX_DEPTH {
            return Err(ReadError::CorruptExtentList {
                blkno: inode.blkno,
                reason: "tree deeper than any OCFS2 tree can be",
            });
        }
        let mut leaves = Vec::new();
        let mut visited = HashSet::new();
        let mut pending = vec![(inode.blkno, root)];
        while let Some((blkno, list)) = pending.pop() {
            if list.depth == 0 {
                leaves.extend(list.records.into_iter().filter(|r| r.clusters > 0));
                if leaves.len() > MAX_LEAF_EXTENTS {
                    return Err(too_large(inode, "leaf extents", MAX_LEAF_EXTENTS));
                }
                continue;
            }
            // Children are pushed in reverse so that leaves come out in record order.
            for record in list.records.iter().rev() {
                if !visited.insert(record.blkno) {
                    return Err(ReadError::CorruptExtentList {
                        blkno,
                        reason: "extent block referenced twice",
                    });
                }
                if visited.len() > MAX_EXTENT_BLOCKS {
                    return Err(too_large(inode, "extent blocks", MAX_EXTENT_BLOCKS));
                }
                let child = self.read_extent_block(record.blkno)?;
                if child.depth.checked_add(1) != Some(list.depth) {
                    return Err(ReadError::CorruptExtentList {
                        blkno: record.blkno,
                        reason: "depth is not one less than its parent's",
                    });
                }
                pending.push((record.blkno, child));
            }
        }
        Ok(ExtentMap {
            leaves,
            blocks_per_cluster_bits: self.superblock().blocks_per_cluster_bits(),
        })
    }

    fn read_extent_block(&self, blkno: u64) -> Result<ExtentList, ReadError> {
        // Unlike an inode's, an extent block's check comes before its signature (the order
        // of libocfs2's reports).
        let block = self.read_metadata(blkno, BlockKind::ExtentBlock)?;
        if !block.starts_with(extent::BLOCK_MAGIC) {
            return Err(ReadError::BadExtentBlockSignature { blkno });
        }
        let claimed = Le(&block)
            .u64(extent::BLOCK_BLKNO)
            .map_err(|source| ReadError::Truncated { blkno, source })?;
        if claimed != blkno {
            return Err(ReadError::ExtentBlockMismatch { blkno, claimed });
        }
        ExtentList::parse(blkno, &block, extent::BLOCK_LIST)
    }

    /// The first `len` bytes of a file, which the caller has checked against `i_size`.
    /// System files are never sparse: like libocfs2, a hole ends the read short.
    pub(crate) fn read_file_prefix(&self, inode: &Inode, len: usize) -> Result<Vec<u8>, ReadError> {
        if inode.has_inline_data() {
            let data = inode.inline_data()?;
            let mut out = data.get(..len).unwrap_or(data).to_vec();
            out.resize(len, 0);
            return Ok(out);
        }
        let map = self.extent_map(inode)?;
        let block_len = self.superblock().block_size().len();
        let mut out = Vec::with_capacity(len);
        let mut lblk = 0u64;
        while out.len() < len {
            let want = (len - out.len()).min(block_len);
            let pblk = map.physical(lblk).ok_or(ReadError::Hole {
                blkno: inode.blkno,
                logical_block: lblk,
            })?;
            out.extend_from_slice(&self.read_block(pblk)?[..want]);
            lblk += 1;
        }
        Ok(out)
    }
}

pub(crate) fn too_large(inode: &Inode, what: &'static str, limit: usize) -> ReadError {
    ReadError::TooLarge {
        blkno: inode.blkno,
        what,
        limit: limit as u64,
    }
}
