//! Small OCFS2 images for tests, built to the minimal fixture recipe of
//! docs/ocfs2-tools-reference.md §8.9: a superblock, a root and a system directory, the
//! `slot_map` and `heartbeat` system files, and nothing else (no journals or allocators, so
//! they are not mountable). Both the C `mounted.ocfs2` and this crate's reader accept them.
//!
//! The defaults reproduce the recipe exactly (4 KiB blocks and clusters, 4 MiB, o2cb stack
//! `prod`, 4 extended slots, system directory at block 4 with its entries in block 5, slot map
//! data in block 8, heartbeat area at blocks 16..272); the setters cover its variants.
//!
//! ```
//! use ocfs2_disk::image::{ClusterStack, ImageBuilder};
//! use ocfs2_disk::{BlockSize, SlotMapFormat};
//!
//! let image = ImageBuilder::new()
//!     .block_size(BlockSize::B1K)
//!     .stack(ClusterStack::Userspace { stack: *b"pcmk", cluster: b"hacluster".to_vec() })
//!     .slot_map_format(SlotMapFormat::Classic)
//!     .slot(1, 7)
//!     .build()
//!     .unwrap();
//! assert_eq!(image.layout.superblock_offset, 2048);
//! ```

use crate::block_check::{self, BlockKind};
use crate::features::{Incompat, StackFlags};
use crate::format::{dirent, extent, inode, ocfs1, sb, slot_map};
use crate::heartbeat::HeartbeatSlot;
use crate::slot_map::SlotMapFormat;
use crate::superblock::BlockSize;

/// The cluster stack written into the superblock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClusterStack {
    /// No cluster info: the classic o2cb stack (what mkfs writes without `--cluster-stack`).
    Classic,
    /// `CLUSTERINFO` naming the o2cb stack and a cluster (up to 16 bytes).
    O2cb {
        /// The cluster name.
        cluster: Vec<u8>,
        /// `--global-heartbeat`.
        global_heartbeat: bool,
    },
    /// `USERSPACE_STACK` naming another stack (e.g. `pcmk`) and a cluster.
    Userspace {
        /// The 4-byte stack name.
        stack: [u8; 4],
        /// The cluster name.
        cluster: Vec<u8>,
    },
    /// `LOCAL_MOUNT` (`mkfs -M local`): no cluster.
    Local,
}

/// Where the system directory keeps its entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SystemDirLayout {
    /// Inside the inode (`INLINE_DATA`), as mkfs does for small directories.
    Inline,
    /// In blocks mapped by an extent tree of the given depth (0: records in the inode; more:
    /// a chain of `EXBLK01` blocks above the leaf).
    Extents {
        /// The tree depth.
        depth: u16,
    },
}

/// Parameters the builder cannot turn into an image.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// A label longer than its 64-byte field.
    #[error("label of {0} bytes does not fit in 64")]
    LabelTooLong(usize),
    /// A cluster name longer than its 16-byte field.
    #[error("cluster name of {0} bytes does not fit in 16")]
    ClusterNameTooLong(usize),
    /// Cluster size bits outside 12..=20.
    #[error("cluster size bits {0} outside 12..=20")]
    ClusterSizeBits(u32),
    /// A slot number not below `max_slots`.
    #[error("slot {slot} is not below max_slots {max_slots}")]
    SlotOutOfRange {
        /// The slot.
        slot: u16,
        /// The number of slots.
        max_slots: u16,
    },
    /// A node number the classic slot map cannot hold (it is le16 and 0xFFFF means empty).
    #[error("node {0} does not fit in a classic slot map")]
    NodeTooLargeForClassic(u32),
    /// A heartbeat slot for a node beyond the heartbeat area.
    #[error("heartbeat slot for node {0} lies outside the heartbeat area")]
    HeartbeatNodeOutOfRange(u8),
    /// The system directory entries do not fit where they were asked to go.
    #[error("system directory entries do not fit: {0}")]
    DirectoryTooLarge(&'static str),
    /// An extent tree deeper than OCFS2 allows.
    #[error("extent tree depth {0} is deeper than 5")]
    DepthTooLarge(u16),
    /// The requested image size cannot hold the layout.
    #[error("image of {size} bytes is too small, {needed} bytes needed")]
    TooSmall {
        /// The requested size.
        size: u64,
        /// The size the layout needs.
        needed: u64,
    },
}

/// Where the builder put things, so tests can check or corrupt them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// The block size.
    pub block_size: BlockSize,
    /// Byte offset of the superblock (2 × block size).
    pub superblock_offset: u64,
    /// Root directory inode.
    pub root_dir_blkno: u64,
    /// System directory inode.
    pub system_dir_blkno: u64,
    /// System directory data blocks in logical order (empty when inline).
    pub system_dir_blocks: Vec<u64>,
    /// Extent blocks of the system directory, from the top of the tree down.
    pub extent_blocks: Vec<u64>,
    /// Slot map inode.
    pub slot_map_inode: u64,
    /// First block of the slot map data.
    pub slot_map_blkno: u64,
    /// Heartbeat inode.
    pub heartbeat_inode: u64,
    /// First block of the heartbeat area.
    pub heartbeat_blkno: u64,
    /// Length of the heartbeat extent in clusters.
    pub heartbeat_clusters: u32,
    /// Total size in bytes.
    pub size: u64,
    /// Every block that carries a block check, with its kind, in block order: filled only
    /// for `META_ECC` images.
    pub checked_blocks: Vec<(u64, BlockKind)>,
}

impl Layout {
    /// The checked blocks a reader reads (the superblock, the system directory and its
    /// blocks, the slot map and heartbeat inodes): all of them but the root directory's
    /// inode, which neither this crate nor the C tools look at.
    pub fn checked_blocks_read(&self) -> Vec<(u64, BlockKind)> {
        let root = self.root_dir_blkno;
        self.checked_blocks
            .iter()
            .copied()
            .filter(|&(blkno, _)| blkno != root)
            .collect()
    }
}

/// A built image: the bytes to write to a file, and where things are.
#[derive(Debug, Clone)]
pub struct Image {
    /// The whole image.
    pub bytes: Vec<u8>,
    /// Block numbers of its structures.
    pub layout: Layout,
}

/// Builds test images; see the module documentation.
#[derive(Debug, Clone)]
pub struct ImageBuilder {
    block_size: BlockSize,
    cluster_size_bits: u32,
    size: u64,
    label: Vec<u8>,
    uuid: [u8; 16],
    stack: ClusterStack,
    slot_map_format: SlotMapFormat,
    max_slots: u16,
    slots: Vec<(u16, u32)>,
    slot_map_size: Option<u64>,
    heartbeat_device: bool,
    heartbeat_clusters: Option<u32>,
    heartbeat_slots: Vec<HeartbeatSlot>,
    extra_incompat: u32,
    ocfs1_header: bool,
    system_dir: SystemDirLayout,
    dir_trailers: bool,
    dir_padding: usize,
    meta_ecc: bool,
}

/// Builder setters that just store their argument in the field of the same name.
macro_rules! setters {
    ($($(#[$doc:meta])* $name:ident: $ty:ty,)*) => {
        $(
            $(#[$doc])*
            pub fn $name(mut self, $name: $ty) -> Self {
                self.$name = $name;
                self
            }
        )*
    };
}

/// Inode blocks, fixed by the recipe for every block size (they all lie below 8 × 4 KiB).
const ROOT_DIR: u64 = 3;
const SYSTEM_DIR: u64 = 4;
const SLOT_MAP_INODE: u64 = 6;
const HEARTBEAT_INODE: u64 = 7;
/// Where the recipe puts the data, in bytes; used as lower bounds for every block size so
/// that the 4 KiB layout is exactly the recipe's.
const DIR_DATA_AT: u64 = 5 * 4096;
const SLOT_MAP_AT: u64 = 8 * 4096;
const HEARTBEAT_AT: u64 = 16 * 4096;
/// mkfs sizes the heartbeat file as 256 fs blocks, rounded up to whole clusters.
const HEARTBEAT_FILE_BLOCKS: u64 = 256;
const DEFAULT_SIZE: u64 = 4 << 20;

impl Default for ImageBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl ImageBuilder {
    /// The recipe's image: 4 KiB blocks and clusters, 4 MiB, o2cb cluster `prod`, 4 empty
    /// extended slots, label `fixture`.
    pub fn new() -> Self {
        ImageBuilder {
            block_size: BlockSize::B4K,
            cluster_size_bits: 12,
            size: DEFAULT_SIZE,
            label: b"fixture".to_vec(),
            uuid: *b"\x7a\x5b\x5e\x0d\x1a\x2b\x4c\x3d\x9e\x8f\x00\x11\x22\x33\x44\xaa",
            stack: ClusterStack::O2cb {
                cluster: b"prod".to_vec(),
                global_heartbeat: false,
            },
            slot_map_format: SlotMapFormat::Extended,
            max_slots: 4,
            slots: Vec::new(),
            slot_map_size: None,
            heartbeat_device: false,
            heartbeat_clusters: None,
            heartbeat_slots: Vec::new(),
            extra_incompat: 0,
            ocfs1_header: false,
            system_dir: SystemDirLayout::Extents { depth: 0 },
            dir_trailers: false,
            dir_padding: 0,
            meta_ecc: false,
        }
    }

    setters! {
        /// The fs block size (the superblock moves to 2 × this).
        block_size: BlockSize,
        /// log2 of the cluster size (12..=20).
        cluster_size_bits: u32,
        /// Total image size in bytes (rounded up to whole clusters, grown if too small).
        size: u64,
        /// The volume UUID.
        uuid: [u8; 16],
        /// The cluster stack.
        stack: ClusterStack,
        /// The slot map layout (`Extended` sets `EXTENDED_SLOT_MAP`).
        slot_map_format: SlotMapFormat,
        /// The number of node slots.
        max_slots: u16,
        /// Sets `HEARTBEAT_DEV`: a global heartbeat device.
        heartbeat_device: bool,
        /// Extra incompatible feature bits (e.g. an unknown one).
        extra_incompat: u32,
        /// Writes an OCFS (version 1) volume header into block 0.
        ocfs1_header: bool,
        /// Where the system directory keeps its entries.
        system_dir: SystemDirLayout,
        /// Ends every system directory block with a `DIRTRL1` trailer (and sets
        /// `INDEXED_DIRS`), as mkfs 1.8 does.
        dir_trailers: bool,
        /// Adds this many entries (`orphan_dir:NNNN`, pointing at the root directory) before the
        /// system files, to spread the system directory over several blocks.
        dir_padding: usize,
        /// Sets `META_ECC` and seals every metadata block with its block check (directory
        /// blocks then end with trailers, as the kernel and mkfs write them).
        meta_ecc: bool,
    }

    /// The volume label, up to 64 bytes (all 64 leave it without a terminator).
    pub fn label(mut self, label: impl AsRef<[u8]>) -> Self {
        self.label = label.as_ref().to_vec();
        self
    }

    /// Marks `slot` as used by node `node`.
    pub fn slot(mut self, slot: u16, node: u32) -> Self {
        self.slots.push((slot, node));
        self
    }

    /// Overrides the slot map's `i_size` (to make it shorter than its entries).
    pub fn slot_map_size(mut self, size: u64) -> Self {
        self.slot_map_size = Some(size);
        self
    }

    /// Overrides the length of the heartbeat extent, in clusters.
    pub fn heartbeat_clusters(mut self, clusters: u32) -> Self {
        self.heartbeat_clusters = Some(clusters);
        self
    }

    /// Writes a heartbeat slot as a live node would, with 512-byte sectors, at the slot of
    /// `slot.node`.
    pub fn heartbeat_slot(mut self, slot: HeartbeatSlot) -> Self {
        self.heartbeat_slots.push(slot);
        self
    }

    /// Builds the image.
    pub fn build(&self) -> Result<Image, BuildError> {
        self.check()?;
        let geometry = Geometry {
            block: self.block_size.len() as u64,
            cluster: 1 << self.cluster_size_bits,
        };
        let entries = self.dir_entries();
        let mut alloc = Allocator::new(geometry);

        let (dir_data, dir_blocks) = match self.system_dir {
            SystemDirLayout::Inline => {
                let data = pack_entries(&entries, inline_capacity(geometry), false)?;
                if data.len() > 1 {
                    return Err(BuildError::DirectoryTooLarge("inline data holds one block"));
                }
                (data, Vec::new())
            }
            SystemDirLayout::Extents { .. } => {
                let trailers = self.dir_trailers || self.meta_ecc;
                let data = pack_entries(&entries, geometry.block as usize, trailers)?;
                let bytes = data.len() as u64 * geometry.block;
                let first = alloc.take(DIR_DATA_AT, bytes, true);
                let blocks = (first..).take(data.len()).collect();
                (data, blocks)
            }
        };
        let slot_map_bytes = u64::from(self.max_slots) * self.slot_map_format.entry_len() as u64;
        let slot_map_alloc = geometry.round_to_cluster(slot_map_bytes.max(1));
        let slot_map_blkno = alloc.take(SLOT_MAP_AT, slot_map_alloc, true);
        let heartbeat_clusters = self.heartbeat_clusters.unwrap_or_else(|| {
            let bytes = geometry.round_to_cluster(HEARTBEAT_FILE_BLOCKS * geometry.block);
            u32::try_from(bytes / geometry.cluster).unwrap_or(u32::MAX)
        });
        let heartbeat_bytes = u64::from(heartbeat_clusters) * geometry.cluster;
        let heartbeat_blkno = alloc.take(HEARTBEAT_AT, heartbeat_bytes.max(1), true);
        let depth = match self.system_dir {
            SystemDirLayout::Extents { depth } => depth,
            SystemDirLayout::Inline => 0,
        };
        let extent_blocks: Vec<u64> = (0..depth)
            .map(|_| alloc.take(0, geometry.block, false))
            .collect();

        let size = geometry.round_to_cluster(self.size.max(alloc.end));
        let mut img = vec![0u8; usize::try_from(size).unwrap_or(usize::MAX)];
        let layout = Layout {
            block_size: self.block_size,
            superblock_offset: sb::BLKNO * geometry.block,
            root_dir_blkno: ROOT_DIR,
            system_dir_blkno: SYSTEM_DIR,
            system_dir_blocks: dir_blocks,
            extent_blocks,
            slot_map_inode: SLOT_MAP_INODE,
            slot_map_blkno,
            heartbeat_inode: HEARTBEAT_INODE,
            heartbeat_blkno,
            heartbeat_clusters,
            size,
            checked_blocks: Vec::new(),
        };
        let mut w = Writer {
            img: &mut img,
            geometry,
        };
        if self.ocfs1_header {
            w.put(0, ocfs1::MAJOR_VERSION as u64, &2u32.to_le_bytes());
            w.put(0, ocfs1::SIGNATURE as u64, ocfs1::MAGIC);
        }
        self.write_superblock(&mut w, size);
        w.inode(ROOT_DIR, inode::FL_VALID, inode::S_IFDIR | 0o755, 0, 0);
        self.write_system_dir(&mut w, &layout, &dir_data)?;
        self.write_slot_map(&mut w, &layout, slot_map_alloc);
        self.write_heartbeat(&mut w, &layout)?;
        let mut layout = layout;
        if self.meta_ecc {
            layout.checked_blocks = checked_blocks(&layout);
            for &(blkno, kind) in &layout.checked_blocks {
                block_check::seal(w.block_mut(blkno), kind);
            }
        }
        Ok(Image { bytes: img, layout })
    }

    fn check(&self) -> Result<(), BuildError> {
        if self.label.len() > sb::LABEL_LEN {
            return Err(BuildError::LabelTooLong(self.label.len()));
        }
        if let ClusterStack::O2cb { cluster, .. } | ClusterStack::Userspace { cluster, .. } =
            &self.stack
        {
            if cluster.len() > sb::CI_CLUSTER_LEN {
                return Err(BuildError::ClusterNameTooLong(cluster.len()));
            }
        }
        if !(12..=20).contains(&self.cluster_size_bits) {
            return Err(BuildError::ClusterSizeBits(self.cluster_size_bits));
        }
        for &(slot, node) in &self.slots {
            if slot >= self.max_slots {
                return Err(BuildError::SlotOutOfRange {
                    slot,
                    max_slots: self.max_slots,
                });
            }
            if self.slot_map_format == SlotMapFormat::Classic && node >= 0xFFFF {
                return Err(BuildError::NodeTooLargeForClassic(node));
            }
        }
        if let SystemDirLayout::Extents { depth } = self.system_dir {
            if depth > extent::MAX_DEPTH {
                return Err(BuildError::DepthTooLarge(depth));
            }
        }
        Ok(())
    }

    fn incompat(&self) -> Incompat {
        let mut bits = Incompat::from_bits(self.extra_incompat);
        bits = bits
            | match &self.stack {
                ClusterStack::Classic => Incompat::default(),
                ClusterStack::O2cb { .. } => Incompat::CLUSTERINFO,
                ClusterStack::Userspace { .. } => Incompat::USERSPACE_STACK,
                ClusterStack::Local => Incompat::LOCAL_MOUNT,
            };
        if self.slot_map_format == SlotMapFormat::Extended {
            bits = bits | Incompat::EXTENDED_SLOT_MAP;
        }
        if self.heartbeat_device {
            bits = bits | Incompat::HEARTBEAT_DEV;
        }
        if self.system_dir == SystemDirLayout::Inline {
            bits = bits | Incompat::INLINE_DATA;
        }
        if self.dir_trailers {
            bits = bits | Incompat::INDEXED_DIRS;
        }
        if self.meta_ecc {
            bits = bits | Incompat::META_ECC;
        }
        bits
    }

    fn write_superblock(&self, w: &mut Writer<'_>, size: u64) {
        let g = w.geometry;
        let clusters = u32::try_from(size / g.cluster).unwrap_or(u32::MAX);
        let flags = inode::FL_VALID | inode::FL_SYSTEM | inode::FL_SUPER_BLOCK;
        let blk = sb::BLKNO;
        w.put(blk, 0, sb::MAGIC);
        w.put(blk, inode::BLKNO as u64, &blk.to_le_bytes());
        w.put(blk, inode::CLUSTERS as u64, &clusters.to_le_bytes());
        w.put(blk, inode::FLAGS as u64, &flags.to_le_bytes());
        w.put(blk, sb::MINOR_REV as u64, &sb::MKFS_MINOR_REV.to_le_bytes());
        w.put(
            blk,
            sb::FEATURE_INCOMPAT as u64,
            &self.incompat().bits().to_le_bytes(),
        );
        w.put(blk, sb::ROOT_BLKNO as u64, &ROOT_DIR.to_le_bytes());
        w.put(blk, sb::SYSTEM_DIR_BLKNO as u64, &SYSTEM_DIR.to_le_bytes());
        w.put(
            blk,
            sb::BLOCKSIZE_BITS as u64,
            &self.block_size.bits().to_le_bytes(),
        );
        w.put(
            blk,
            sb::CLUSTERSIZE_BITS as u64,
            &self.cluster_size_bits.to_le_bytes(),
        );
        w.put(blk, sb::MAX_SLOTS as u64, &self.max_slots.to_le_bytes());
        w.put(blk, sb::LABEL as u64, &self.label);
        w.put(blk, sb::UUID as u64, &self.uuid);
        let (stack, flags, cluster): (&[u8], StackFlags, &[u8]) = match &self.stack {
            ClusterStack::O2cb {
                cluster,
                global_heartbeat,
            } => {
                let flags = if *global_heartbeat {
                    StackFlags::GLOBAL_HEARTBEAT
                } else {
                    StackFlags::default()
                };
                (b"o2cb", flags, cluster)
            }
            ClusterStack::Userspace { stack, cluster } => (stack, StackFlags::default(), cluster),
            ClusterStack::Classic | ClusterStack::Local => return,
        };
        w.put(blk, sb::CI_STACK as u64, stack);
        w.put(blk, sb::CI_STACKFLAGS as u64, &[flags.bits()]);
        w.put(blk, sb::CI_CLUSTER as u64, cluster);
    }

    /// `.` and `..`, the padding, then the two system files this crate looks up, last so
    /// that a lookup has to walk every block.
    fn dir_entries(&self) -> Vec<DirEntry> {
        let entry = |name: &[u8], inode, file_type| DirEntry {
            name: name.to_vec(),
            inode,
            file_type,
        };
        let mut entries = vec![
            entry(b".", SYSTEM_DIR, dirent::FT_DIR),
            entry(b"..", SYSTEM_DIR, dirent::FT_DIR),
        ];
        entries.extend((0..self.dir_padding).map(|i| {
            let name = format!("orphan_dir:{i:04}");
            entry(name.as_bytes(), ROOT_DIR, dirent::FT_DIR)
        }));
        entries.push(entry(b"slot_map", SLOT_MAP_INODE, dirent::FT_REG_FILE));
        entries.push(entry(b"heartbeat", HEARTBEAT_INODE, dirent::FT_REG_FILE));
        entries
    }

    fn write_system_dir(
        &self,
        w: &mut Writer<'_>,
        layout: &Layout,
        dir_data: &[Vec<u8>],
    ) -> Result<(), BuildError> {
        let g = w.geometry;
        let mode = inode::S_IFDIR | 0o755;
        let flags = inode::FL_VALID | inode::FL_SYSTEM;
        if self.system_dir == SystemDirLayout::Inline {
            let capacity = inline_capacity(g);
            let data = dir_data.concat();
            w.inode(SYSTEM_DIR, flags, mode, capacity as u64, 0);
            w.put(
                SYSTEM_DIR,
                inode::DYN_FEATURES as u64,
                &inode::DYN_INLINE_DATA.to_le_bytes(),
            );
            w.put(
                SYSTEM_DIR,
                inode::INLINE_COUNT as u64,
                &(capacity as u16).to_le_bytes(),
            );
            w.put(SYSTEM_DIR, inode::INLINE_DATA as u64, &data);
            return Ok(());
        }
        for (data, &blkno) in dir_data.iter().zip(&layout.system_dir_blocks) {
            w.put(blkno, 0, data);
        }
        let dir_bytes = dir_data.len() as u64 * g.block;
        let clusters = g.round_to_cluster(dir_bytes) / g.cluster;
        w.inode(SYSTEM_DIR, flags, mode, dir_bytes, clusters as u32);
        // One leaf record per cluster, so a multi-cluster directory also exercises lookups
        // across records.
        let first_cluster =
            layout.system_dir_blocks.first().copied().unwrap_or(0) * g.block / g.cluster;
        let leaves: Vec<Record> = (0..clusters)
            .map(|c| Record {
                cpos: c as u32,
                clusters: 1,
                blkno: (first_cluster + c) * g.cluster / g.block,
            })
            .collect();
        let leaf_capacity =
            (g.block as usize - extent::BLOCK_LIST - extent::RECORDS) / extent::RECORD_LEN;
        let root_capacity = (g.block as usize - inode::ID2 - extent::RECORDS) / extent::RECORD_LEN;
        let capacity = if layout.extent_blocks.is_empty() {
            root_capacity
        } else {
            leaf_capacity
        };
        if leaves.len() > capacity {
            return Err(BuildError::DirectoryTooLarge(
                "more clusters than extent records",
            ));
        }
        // Interior records span the whole directory; the chain ends in the leaf block.
        let depth = layout.extent_blocks.len() as u16;
        let mut parent = (SYSTEM_DIR, inode::ID2 as u64, root_capacity);
        for (level, &eb) in layout.extent_blocks.iter().enumerate() {
            let record = Record {
                cpos: 0,
                clusters: clusters as u32,
                blkno: eb,
            };
            w.extent_list(
                parent.0,
                parent.1,
                depth - level as u16,
                parent.2,
                &[record],
            );
            w.put(eb, 0, extent::BLOCK_MAGIC);
            w.put(eb, extent::BLOCK_BLKNO as u64, &eb.to_le_bytes());
            parent = (eb, extent::BLOCK_LIST as u64, leaf_capacity);
        }
        w.extent_list(parent.0, parent.1, 0, parent.2, &leaves);
        Ok(())
    }

    fn write_slot_map(&self, w: &mut Writer<'_>, layout: &Layout, alloc_bytes: u64) {
        let g = w.geometry;
        let size = self.slot_map_size.unwrap_or(alloc_bytes);
        let clusters = (alloc_bytes / g.cluster) as u32;
        let flags = inode::FL_VALID | inode::FL_SYSTEM;
        w.one_extent_file(SLOT_MAP_INODE, flags, size, clusters, layout.slot_map_blkno);
        let entry_len = self.slot_map_format.entry_len() as u64;
        for slot in 0..self.max_slots {
            let node = self
                .slots
                .iter()
                .rev()
                .find(|&&(s, _)| s == slot)
                .map(|&(_, node)| node);
            let at = u64::from(slot) * entry_len;
            match (self.slot_map_format, node) {
                (SlotMapFormat::Classic, node) => {
                    let raw = node.map_or(slot_map::CLASSIC_EMPTY, |n| n as u16);
                    w.put(layout.slot_map_blkno, at, &raw.to_le_bytes());
                }
                (SlotMapFormat::Extended, Some(node)) => {
                    w.put(layout.slot_map_blkno, at + slot_map::ES_VALID as u64, &[1]);
                    w.put(
                        layout.slot_map_blkno,
                        at + slot_map::ES_NODE_NUM as u64,
                        &node.to_le_bytes(),
                    );
                }
                (SlotMapFormat::Extended, None) => {}
            }
        }
    }

    fn write_heartbeat(&self, w: &mut Writer<'_>, layout: &Layout) -> Result<(), BuildError> {
        let g = w.geometry;
        let clusters = layout.heartbeat_clusters;
        let flags = inode::FL_VALID | inode::FL_SYSTEM | inode::FL_HEARTBEAT;
        let size = u64::from(clusters) * g.cluster;
        w.one_extent_file(
            HEARTBEAT_INODE,
            flags,
            size,
            clusters,
            layout.heartbeat_blkno,
        );
        const SECTOR: u64 = 512;
        for slot in &self.heartbeat_slots {
            let at = u64::from(slot.node) * SECTOR;
            if at + SECTOR > size {
                return Err(BuildError::HeartbeatNodeOutOfRange(slot.node));
            }
            let sector = slot.encode(SECTOR as usize).unwrap_or_default();
            w.put(layout.heartbeat_blkno, at, &sector);
        }
        Ok(())
    }
}

/// The named fixture variants: the recipe (with slots 0 and 2 used by nodes 3 and 12) and every
/// variant reference §8.9 lists, plus the directory layouts a reader must walk (inline,
/// trailers, several blocks, extent trees of depth 1 and 2), live heartbeat slots, a short slot
/// map, and `META_ECC` volumes whose every metadata block carries its check. Tests of other
/// crates (mounted.ocfs2, hb_ctl) can run over the same set.
pub fn variants() -> Vec<(&'static str, ImageBuilder)> {
    let mut all = reference_variants();
    all.extend(reader_variants());
    all.extend(meta_ecc_variants());
    all
}

/// The recipe, with nodes 3 and 12 in slots 0 and 2.
fn recipe() -> ImageBuilder {
    ImageBuilder::new().slot(0, 3).slot(2, 12)
}

fn o2cb_stack(cluster: &str, global_heartbeat: bool) -> ClusterStack {
    ClusterStack::O2cb {
        cluster: cluster.as_bytes().to_vec(),
        global_heartbeat,
    }
}

fn extent_tree(depth: u16) -> SystemDirLayout {
    SystemDirLayout::Extents { depth }
}

/// A global heartbeat device: no slots, no slot map in use.
fn global_heartbeat_device() -> ImageBuilder {
    ImageBuilder::new()
        .heartbeat_device(true)
        .stack(o2cb_stack("prod", true))
        .max_slots(0)
}

/// The recipe and the variants the reference lists: block sizes, the classic slot map, many
/// slots, a heartbeat device, each cluster stack, a full label, an unknown feature and an
/// OCFS1 header.
fn reference_variants() -> Vec<(&'static str, ImageBuilder)> {
    let classic = ImageBuilder::new()
        .stack(ClusterStack::Classic)
        .slot_map_format(SlotMapFormat::Classic)
        .max_slots(6)
        .slot(1, 5)
        .slot(3, 0)
        .slot(4, 254);
    let many_slots = ImageBuilder::new()
        .max_slots(255)
        .slot(0, 1)
        .slot(100, 7)
        .slot(254, 200)
        .slot(7, 300);
    let pcmk = ClusterStack::Userspace {
        stack: *b"pcmk",
        cluster: b"hacluster".to_vec(),
    };
    vec![
        ("recipe_4k", recipe()),
        ("block_512", recipe().block_size(BlockSize::B512)),
        ("block_1k", recipe().block_size(BlockSize::B1K)),
        ("block_2k", recipe().block_size(BlockSize::B2K)),
        ("classic_slot_map", classic),
        ("extended_many_slots", many_slots),
        ("heartbeat_device", global_heartbeat_device()),
        ("local_mount", recipe().stack(ClusterStack::Local)),
        ("userspace_pcmk", recipe().stack(pcmk)),
        (
            "cluster_name_16",
            recipe().stack(o2cb_stack("abcdefghijklmnop", false)),
        ),
        ("global_heartbeat", recipe().stack(o2cb_stack("prod", true))),
        ("full_label", recipe().label([b'L'; 64])),
        ("unknown_incompat", recipe().extra_incompat(0x1_0000)),
        ("ocfs1_header", recipe().ocfs1_header(true)),
    ]
}

/// What a reader must also walk: each system directory layout, big clusters on small
/// blocks, live heartbeat slots and a slot map shorter than its slots.
fn reader_variants() -> Vec<(&'static str, ImageBuilder)> {
    let b512 = recipe().block_size(BlockSize::B512);
    let b1k = recipe().block_size(BlockSize::B1K);
    vec![
        (
            "inline_system_dir",
            recipe()
                .block_size(BlockSize::B2K)
                .system_dir(SystemDirLayout::Inline),
        ),
        (
            "trailers_multi_block",
            b1k.clone().dir_trailers(true).dir_padding(60),
        ),
        (
            "extent_tree_depth_1",
            b512.system_dir(extent_tree(1))
                .dir_trailers(true)
                .dir_padding(200),
        ),
        ("extent_tree_depth_2", recipe().system_dir(extent_tree(2))),
        ("cluster_64k_block_1k", b1k.cluster_size_bits(16)),
        (
            "live_heartbeat",
            recipe()
                .heartbeat_slot(live_slot(3))
                .heartbeat_slot(live_slot(12)),
        ),
        ("short_slot_map", recipe().slot_map_size(15)),
    ]
}

/// `META_ECC` volumes, over the layouts whose blocks carry a check in different places.
fn meta_ecc_variants() -> Vec<(&'static str, ImageBuilder)> {
    vec![
        ("meta_ecc", recipe().meta_ecc(true)),
        (
            "meta_ecc_inline_system_dir",
            recipe()
                .block_size(BlockSize::B2K)
                .system_dir(SystemDirLayout::Inline)
                .meta_ecc(true),
        ),
        (
            "meta_ecc_extent_tree_depth_1",
            recipe()
                .block_size(BlockSize::B512)
                .system_dir(extent_tree(1))
                .dir_padding(200)
                .meta_ecc(true),
        ),
        (
            "meta_ecc_extent_tree_depth_2_1k",
            recipe()
                .block_size(BlockSize::B1K)
                .system_dir(extent_tree(2))
                .dir_padding(60)
                .meta_ecc(true),
        ),
        (
            "meta_ecc_heartbeat_device",
            global_heartbeat_device().meta_ecc(true),
        ),
    ]
}

/// The blocks of `layout` that carry a check: the superblock, the four inodes, the system
/// directory's blocks and its extent blocks.
fn checked_blocks(layout: &Layout) -> Vec<(u64, BlockKind)> {
    let mut blocks = vec![
        (sb::BLKNO, BlockKind::Superblock),
        (layout.root_dir_blkno, BlockKind::Inode),
        (layout.system_dir_blkno, BlockKind::Inode),
        (layout.slot_map_inode, BlockKind::Inode),
        (layout.heartbeat_inode, BlockKind::Inode),
    ];
    blocks.extend(
        layout
            .system_dir_blocks
            .iter()
            .map(|&b| (b, BlockKind::DirBlock)),
    );
    blocks.extend(
        layout
            .extent_blocks
            .iter()
            .map(|&b| (b, BlockKind::ExtentBlock)),
    );
    blocks.sort_unstable_by_key(|&(b, _)| b);
    blocks
}

/// A slot as a live node writes it: seq, node and generation derived from the node number.
pub fn live_slot(node: u8) -> HeartbeatSlot {
    HeartbeatSlot {
        seq: 1_700_000_000 + u64::from(node),
        node,
        generation: 0x1122_3344_5566_7700 | u64::from(node),
        dead_ms: 62_000,
        ..HeartbeatSlot::default()
    }
}

/// Block and cluster sizes in bytes.
#[derive(Debug, Clone, Copy)]
struct Geometry {
    block: u64,
    cluster: u64,
}

impl Geometry {
    fn round_to_cluster(self, bytes: u64) -> u64 {
        bytes.div_ceil(self.cluster) * self.cluster
    }
}

fn inline_capacity(g: Geometry) -> usize {
    g.block as usize - inode::INLINE_DATA
}

fn root_capacity(g: Geometry) -> usize {
    (g.block as usize - inode::ID2 - extent::RECORDS) / extent::RECORD_LEN
}

/// Hands out byte ranges that do not overlap the inode blocks or each other.
#[derive(Debug)]
struct Allocator {
    geometry: Geometry,
    used: Vec<(u64, u64)>,
    end: u64,
}

impl Allocator {
    fn new(geometry: Geometry) -> Self {
        let b = geometry.block;
        // Blocks 0..=4 (boot area, superblock, root and system directory inodes) and 6..=7.
        let used = vec![(0, 5 * b), (6 * b, 8 * b)];
        Allocator {
            geometry,
            used,
            end: 8 * b,
        }
    }

    /// The first free block of `len` bytes at or after `at`, cluster-aligned if `cluster`.
    fn take(&mut self, at: u64, len: u64, cluster: bool) -> u64 {
        let align = if cluster {
            self.geometry.cluster
        } else {
            self.geometry.block
        };
        let mut start = at.div_ceil(align) * align;
        while let Some(&(_, end)) = self
            .used
            .iter()
            .find(|&&(s, e)| start < e && s < start + len)
        {
            start = end.div_ceil(align) * align;
        }
        self.used.push((start, start + len));
        self.end = self.end.max(start + len);
        start / self.geometry.block
    }
}

/// An extent record to write.
#[derive(Debug, Clone, Copy)]
struct Record {
    cpos: u32,
    clusters: u32,
    blkno: u64,
}

/// Writes into the image by block number and offset.
struct Writer<'a> {
    img: &'a mut [u8],
    geometry: Geometry,
}

impl Writer<'_> {
    fn block_mut(&mut self, blkno: u64) -> &mut [u8] {
        let len = self.geometry.block as usize;
        let at = blkno as usize * len;
        &mut self.img[at..at + len]
    }

    fn put(&mut self, blkno: u64, offset: u64, data: &[u8]) {
        let at = (blkno * self.geometry.block + offset) as usize;
        self.img[at..at + data.len()].copy_from_slice(data);
    }

    fn inode(&mut self, blkno: u64, flags: u32, mode: u16, size: u64, clusters: u32) {
        self.put(blkno, 0, inode::MAGIC);
        self.put(blkno, inode::BLKNO as u64, &blkno.to_le_bytes());
        self.put(blkno, inode::FLAGS as u64, &flags.to_le_bytes());
        self.put(blkno, inode::MODE as u64, &mode.to_le_bytes());
        let links: u16 = if mode & inode::S_IFMT == inode::S_IFDIR {
            2
        } else {
            1
        };
        self.put(blkno, inode::LINKS_COUNT as u64, &links.to_le_bytes());
        self.put(blkno, inode::SIZE as u64, &size.to_le_bytes());
        self.put(blkno, inode::CLUSTERS as u64, &clusters.to_le_bytes());
    }

    /// A regular file whose data is one extent of `clusters` clusters at `data_blkno`.
    fn one_extent_file(
        &mut self,
        blkno: u64,
        flags: u32,
        size: u64,
        clusters: u32,
        data_blkno: u64,
    ) {
        self.inode(blkno, flags, inode::S_IFREG | 0o644, size, clusters);
        let record = Record {
            cpos: 0,
            clusters,
            blkno: data_blkno,
        };
        let capacity = root_capacity(self.geometry);
        self.extent_list(blkno, inode::ID2 as u64, 0, capacity, &[record]);
    }

    fn extent_list(&mut self, blkno: u64, at: u64, depth: u16, count: usize, records: &[Record]) {
        self.put(blkno, at + extent::TREE_DEPTH as u64, &depth.to_le_bytes());
        self.put(
            blkno,
            at + extent::COUNT as u64,
            &(count as u16).to_le_bytes(),
        );
        self.put(
            blkno,
            at + extent::NEXT_FREE_REC as u64,
            &(records.len() as u16).to_le_bytes(),
        );
        for (i, r) in records.iter().enumerate() {
            let rec = at + (extent::RECORDS + i * extent::RECORD_LEN) as u64;
            self.put(blkno, rec + extent::E_CPOS as u64, &r.cpos.to_le_bytes());
            if depth == 0 {
                let clusters = u16::try_from(r.clusters).unwrap_or(u16::MAX);
                self.put(
                    blkno,
                    rec + extent::E_LEAF_CLUSTERS as u64,
                    &clusters.to_le_bytes(),
                );
            } else {
                self.put(
                    blkno,
                    rec + extent::E_INT_CLUSTERS as u64,
                    &r.clusters.to_le_bytes(),
                );
            }
            self.put(blkno, rec + extent::E_BLKNO as u64, &r.blkno.to_le_bytes());
        }
    }
}

/// A directory entry to write.
#[derive(Debug, Clone)]
struct DirEntry {
    name: Vec<u8>,
    inode: u64,
    file_type: u8,
}

/// Packs directory entries into blocks of `block_len` bytes (the last entry of each block
/// stretches to its end, or to the trailer). Returns the blocks.
fn pack_entries(
    entries: &[DirEntry],
    block_len: usize,
    trailers: bool,
) -> Result<Vec<Vec<u8>>, BuildError> {
    let room = if trailers {
        block_len.saturating_sub(dirent::TRAILER_LEN)
    } else {
        block_len
    };
    // The entries of each block, with their offsets.
    let mut blocks: Vec<Vec<(usize, &DirEntry)>> = vec![Vec::new()];
    let mut used = 0;
    for entry in entries {
        let len = dirent::min_rec_len(entry.name.len());
        if len > room {
            return Err(BuildError::DirectoryTooLarge(
                "an entry is larger than a block",
            ));
        }
        if used + len > room {
            blocks.push(Vec::new());
            used = 0;
        }
        if let Some(block) = blocks.last_mut() {
            block.push((used, entry));
        }
        used += len;
    }
    Ok(blocks
        .iter()
        .map(|block| {
            let mut data = vec![0u8; block_len];
            for (i, &(at, entry)) in block.iter().enumerate() {
                let end = block.get(i + 1).map_or(room, |next| next.0);
                write_dirent(&mut data[at..], entry, (end - at) as u16);
            }
            if trailers {
                // A free-looking entry of 64 bytes carrying the trailer signature.
                let t = room;
                data[t + dirent::REC_LEN..t + dirent::REC_LEN + 2]
                    .copy_from_slice(&(dirent::TRAILER_LEN as u16).to_le_bytes());
                data[t + dirent::TRAILER_SIGNATURE..t + dirent::TRAILER_SIGNATURE + 7]
                    .copy_from_slice(dirent::TRAILER_MAGIC);
            }
            data
        })
        .collect())
}

fn write_dirent(at: &mut [u8], entry: &DirEntry, rec_len: u16) {
    let name = &entry.name;
    at[dirent::INODE..dirent::INODE + 8].copy_from_slice(&entry.inode.to_le_bytes());
    at[dirent::REC_LEN..dirent::REC_LEN + 2].copy_from_slice(&rec_len.to_le_bytes());
    at[dirent::NAME_LEN] = name.len() as u8;
    at[dirent::FILE_TYPE] = entry.file_type;
    at[dirent::NAME..dirent::NAME + name.len()].copy_from_slice(name);
}
