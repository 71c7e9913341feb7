//! The superblock and the values it carries: block size, label, UUID, features and the
//! cluster stack the volume was formatted for (docs/ocfs2-tools-reference.md §8.3, §6.2, §7.3).

use std::borrow::Cow;
use std::fmt;
pub use uuid::Uuid;

use crate::features::{Compat, Incompat, RoCompat, StackFlags};
use crate::format::{inode, sb};
use crate::le::{until_nul, Le, OutOfBounds};

/// A file system block size: 512, 1024, 2048 or 4096 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BlockSize(u8);

impl BlockSize {
    /// 512 bytes.
    pub const B512: Self = Self(9);
    /// 1 KiB.
    pub const B1K: Self = Self(10);
    /// 2 KiB.
    pub const B2K: Self = Self(11);
    /// 4 KiB.
    pub const B4K: Self = Self(12);
    /// Every block size, in the order libocfs2 probes them.
    pub const ALL: [Self; 4] = [Self::B512, Self::B1K, Self::B2K, Self::B4K];

    /// The block size of `2^bits` bytes, if OCFS2 allows it.
    pub fn from_bits(bits: u32) -> Option<Self> {
        Self::ALL.into_iter().find(|b| b.bits() == bits)
    }

    /// The block size of `bytes` bytes, if OCFS2 allows it.
    pub fn from_bytes(bytes: u32) -> Option<Self> {
        Self::ALL.into_iter().find(|b| b.bytes() == bytes)
    }

    /// log2 of the size.
    pub const fn bits(self) -> u32 {
        self.0 as u32
    }

    /// The size in bytes.
    pub const fn bytes(self) -> u32 {
        1 << self.0
    }

    /// The size in bytes, for buffer lengths.
    pub(crate) const fn len(self) -> usize {
        1 << self.0
    }
}

impl fmt::Display for BlockSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.bytes())
    }
}

/// The volume label: up to 64 bytes, NUL-padded, not necessarily NUL-terminated.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Label([u8; sb::LABEL_LEN]);

impl Label {
    /// A label from the raw 64-byte field.
    pub const fn from_raw(raw: [u8; sb::LABEL_LEN]) -> Self {
        Label(raw)
    }

    /// The label bytes up to the first NUL, never more than the 64 bytes of the field (the C
    /// `mounted.ocfs2` prints past the end of a full label into the UUID; we do not).
    pub fn as_bytes(&self) -> &[u8] {
        until_nul(&self.0)
    }

    /// The raw field.
    pub fn raw(&self) -> &[u8; sb::LABEL_LEN] {
        &self.0
    }

    /// The label as text; bytes that are not UTF-8 become U+FFFD.
    pub fn to_string_lossy(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(self.as_bytes())
    }
}

impl fmt::Debug for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Label({:?})", self.to_string_lossy())
    }
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_string_lossy())
    }
}

/// The 32 upper-case hex digits (in byte order, no dashes) the C tools print for a volume
/// UUID, which also name the volume's heartbeat region and its entry in cluster.conf.
pub fn uuid_hex(uuid: &Uuid) -> String {
    format!("{:X}", uuid.simple())
}

/// The cluster info of the superblock (`ci_stack`, `ci_stackflags`, `ci_cluster`), present
/// when the volume has the `USERSPACE_STACK` or `CLUSTERINFO` feature.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClusterInfo {
    stack: [u8; sb::CI_STACK_LEN],
    flags: StackFlags,
    cluster: [u8; sb::CI_CLUSTER_LEN],
}

impl ClusterInfo {
    /// Cluster info from its raw fields.
    pub const fn new(
        stack: [u8; sb::CI_STACK_LEN],
        flags: StackFlags,
        cluster: [u8; sb::CI_CLUSTER_LEN],
    ) -> Self {
        ClusterInfo {
            stack,
            flags,
            cluster,
        }
    }

    /// The stack name (`o2cb`, `pcmk`, `cman`, ...) up to its first NUL.
    pub fn stack(&self) -> &[u8] {
        until_nul(&self.stack)
    }

    /// All 4 bytes of `ci_stack`: libo2cb compares the full field with the running stack.
    pub fn stack_raw(&self) -> &[u8; sb::CI_STACK_LEN] {
        &self.stack
    }

    /// The stack name as text.
    pub fn stack_lossy(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(self.stack())
    }

    /// The cluster name up to its first NUL (it may fill all 16 bytes).
    pub fn cluster(&self) -> &[u8] {
        until_nul(&self.cluster)
    }

    /// All 16 bytes of `ci_cluster`.
    pub fn cluster_raw(&self) -> &[u8; sb::CI_CLUSTER_LEN] {
        &self.cluster
    }

    /// The cluster name as text.
    pub fn cluster_lossy(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(self.cluster())
    }

    /// `ci_stackflags`.
    pub fn flags(&self) -> StackFlags {
        self.flags
    }

    /// Whether the volume asks for global heartbeat.
    pub fn global_heartbeat(&self) -> bool {
        self.flags.contains(StackFlags::GLOBAL_HEARTBEAT)
    }
}

impl fmt::Debug for ClusterInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClusterInfo")
            .field("stack", &self.stack_lossy())
            .field("flags", &self.flags)
            .field("cluster", &self.cluster_lossy())
            .finish()
    }
}

/// The cluster stack a volume declares, as `mounted.ocfs2` shows it (reference §7.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VolumeStack {
    /// `LOCAL_MOUNT`: no cluster at all (shown as `None`), whatever the cluster info says.
    LocalMount,
    /// No cluster info: the classic o2cb stack with the default cluster.
    Classic,
    /// The stack and cluster named by the cluster info.
    Declared(ClusterInfo),
}

impl VolumeStack {
    fn new(incompat: Incompat, cluster_info: Option<ClusterInfo>) -> Self {
        if incompat.contains(Incompat::LOCAL_MOUNT) {
            return VolumeStack::LocalMount;
        }
        match cluster_info {
            Some(info) => VolumeStack::Declared(info),
            None => VolumeStack::Classic,
        }
    }

    /// The Stack column: `None`, `o2cb`, or the declared stack name.
    pub fn label(&self) -> Cow<'_, str> {
        match self {
            VolumeStack::LocalMount => Cow::Borrowed("None"),
            VolumeStack::Classic => Cow::Borrowed("o2cb"),
            VolumeStack::Declared(info) => info.stack_lossy(),
        }
    }

    /// The Cluster column: the declared cluster name, else empty.
    pub fn cluster(&self) -> Cow<'_, str> {
        match self {
            VolumeStack::Declared(info) => info.cluster_lossy(),
            _ => Cow::Borrowed(""),
        }
    }

    /// The `G` flag: a declared stack that is exactly `o2cb` with the global-heartbeat flag.
    /// A classic volume never shows it, even if a stale flag byte is set (checked against
    /// `mounted.ocfs2` 1.8.7).
    pub fn global_heartbeat(&self) -> bool {
        match self {
            VolumeStack::Declared(info) => info.stack() == b"o2cb" && info.global_heartbeat(),
            _ => false,
        }
    }
}

/// The superblock fields, read from the first 512 bytes of the superblock block without any
/// validation beyond the signature. Quick detect uses it as is; a full open validates it.
#[derive(Debug, Clone)]
pub(crate) struct RawSuperblock {
    pub(crate) blkno: u64,
    pub(crate) clusters: u32,
    pub(crate) minor_rev: u16,
    pub(crate) compat: Compat,
    pub(crate) incompat: Incompat,
    pub(crate) ro_compat: RoCompat,
    pub(crate) root_dir_blkno: u64,
    pub(crate) system_dir_blkno: u64,
    pub(crate) blocksize_bits: u32,
    pub(crate) clustersize_bits: u32,
    pub(crate) max_slots: u16,
    pub(crate) label: Label,
    pub(crate) uuid: Uuid,
    pub(crate) cluster_info_raw: ClusterInfo,
}

impl RawSuperblock {
    /// `None` when `buf` does not start with the `OCFSV2` signature or is shorter than the
    /// 512 bytes the fields occupy.
    pub(crate) fn parse(buf: &[u8]) -> Option<Self> {
        if buf.len() < sb::LEN || !buf.starts_with(sb::MAGIC) {
            return None;
        }
        Self::fields(Le(buf)).ok()
    }

    fn fields(le: Le<'_>) -> Result<Self, OutOfBounds> {
        Ok(RawSuperblock {
            blkno: le.u64(inode::BLKNO)?,
            clusters: le.u32(inode::CLUSTERS)?,
            minor_rev: le.u16(sb::MINOR_REV)?,
            compat: Compat::from_bits(le.u32(sb::FEATURE_COMPAT)?),
            incompat: Incompat::from_bits(le.u32(sb::FEATURE_INCOMPAT)?),
            ro_compat: RoCompat::from_bits(le.u32(sb::FEATURE_RO_COMPAT)?),
            root_dir_blkno: le.u64(sb::ROOT_BLKNO)?,
            system_dir_blkno: le.u64(sb::SYSTEM_DIR_BLKNO)?,
            blocksize_bits: le.u32(sb::BLOCKSIZE_BITS)?,
            clustersize_bits: le.u32(sb::CLUSTERSIZE_BITS)?,
            max_slots: le.u16(sb::MAX_SLOTS)?,
            label: Label(le.array(sb::LABEL)?),
            uuid: Uuid::from_bytes(le.array(sb::UUID)?),
            cluster_info_raw: ClusterInfo {
                stack: le.array(sb::CI_STACK)?,
                flags: StackFlags::from_bits(le.u8(sb::CI_STACKFLAGS)?),
                cluster: le.array(sb::CI_CLUSTER)?,
            },
        })
    }

    /// The cluster info, if the features say it is meaningful (reference §6.2).
    pub(crate) fn cluster_info(&self) -> Option<ClusterInfo> {
        self.incompat
            .intersects(Incompat::USERSPACE_STACK | Incompat::CLUSTERINFO)
            .then_some(self.cluster_info_raw)
    }

    pub(crate) fn stack(&self) -> VolumeStack {
        VolumeStack::new(self.incompat, self.cluster_info())
    }
}

/// A validated superblock (see [`crate::Volume::open`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Superblock {
    pub(crate) block_size: BlockSize,
    pub(crate) cluster_size_bits: u32,
    pub(crate) clusters: u32,
    pub(crate) minor_rev: u16,
    pub(crate) max_slots: u16,
    pub(crate) label: Label,
    pub(crate) uuid: Uuid,
    pub(crate) compat: Compat,
    pub(crate) incompat: Incompat,
    pub(crate) ro_compat: RoCompat,
    pub(crate) cluster_info: Option<ClusterInfo>,
    pub(crate) root_dir_blkno: u64,
    pub(crate) system_dir_blkno: u64,
}

impl Superblock {
    /// The file system block size.
    pub fn block_size(&self) -> BlockSize {
        self.block_size
    }

    /// log2 of the cluster size, 12..=20.
    pub fn cluster_size_bits(&self) -> u32 {
        self.cluster_size_bits
    }

    /// The cluster size in bytes (4 KiB ..= 1 MiB).
    pub fn cluster_size(&self) -> u32 {
        1 << self.cluster_size_bits
    }

    /// The volume size in clusters (`i_clusters` of the superblock inode).
    pub fn clusters(&self) -> u32 {
        self.clusters
    }

    /// The volume size in file system blocks.
    pub fn total_blocks(&self) -> u64 {
        u64::from(self.clusters) << self.blocks_per_cluster_bits()
    }

    /// log2 of the number of blocks in a cluster.
    pub(crate) fn blocks_per_cluster_bits(&self) -> u32 {
        self.cluster_size_bits - self.block_size.bits()
    }

    /// `s_minor_rev_level` (mkfs writes 90).
    pub fn minor_rev(&self) -> u16 {
        self.minor_rev
    }

    /// The number of node slots: how many nodes may mount the volume at once.
    pub fn max_slots(&self) -> u16 {
        self.max_slots
    }

    /// The volume label.
    pub fn label(&self) -> &Label {
        &self.label
    }

    /// The volume UUID.
    pub fn uuid(&self) -> Uuid {
        self.uuid
    }

    /// Compatible features.
    pub fn compat(&self) -> Compat {
        self.compat
    }

    /// Incompatible features.
    pub fn incompat(&self) -> Incompat {
        self.incompat
    }

    /// Read-only compatible features.
    pub fn ro_compat(&self) -> RoCompat {
        self.ro_compat
    }

    /// The cluster info, when the volume declares a stack (`USERSPACE_STACK` or
    /// `CLUSTERINFO`); `None` means the classic o2cb stack and the default cluster.
    pub fn cluster_info(&self) -> Option<&ClusterInfo> {
        self.cluster_info.as_ref()
    }

    /// The stack as `mounted.ocfs2` shows it.
    pub fn stack(&self) -> VolumeStack {
        VolumeStack::new(self.incompat, self.cluster_info)
    }

    /// Whether the volume is only a global heartbeat device.
    pub fn is_heartbeat_device(&self) -> bool {
        self.incompat.contains(Incompat::HEARTBEAT_DEV)
    }

    /// Whether the volume is formatted for local (non-clustered) mounts.
    pub fn is_local(&self) -> bool {
        self.incompat.contains(Incompat::LOCAL_MOUNT)
    }

    /// The root directory inode's block number.
    pub fn root_dir_blkno(&self) -> u64 {
        self.root_dir_blkno
    }

    /// The system directory inode's block number.
    pub fn system_dir_blkno(&self) -> u64 {
        self.system_dir_blkno
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_text_is_upper_case_hex_in_byte_order() {
        let uuid: Uuid = "77d95ef5-1c01-49d2-8236-74fcc162cf8b".parse().unwrap();
        assert_eq!(uuid_hex(&uuid), "77D95EF51C0149D2823674FCC162CF8B");
        assert_eq!(uuid.as_bytes()[0], 0x77);
    }

    #[test]
    fn full_label_stops_at_64_bytes() {
        let label = Label::from_raw([b'x'; 64]);
        assert_eq!(label.as_bytes().len(), 64);
        let mut raw = [0u8; 64];
        raw[..3].copy_from_slice(b"abc");
        assert_eq!(Label::from_raw(raw).to_string(), "abc");
    }

    #[test]
    fn block_sizes() {
        assert_eq!(BlockSize::from_bits(11), Some(BlockSize::B2K));
        assert_eq!(BlockSize::from_bytes(4096), Some(BlockSize::B4K));
        assert_eq!(BlockSize::from_bits(13), None);
        assert_eq!(BlockSize::from_bytes(0), None);
    }

    fn info(stack: &[u8; 4], flags: u8) -> ClusterInfo {
        ClusterInfo::new(
            *stack,
            StackFlags::from_bits(flags),
            *b"prod\0\0\0\0\0\0\0\0\0\0\0\0",
        )
    }

    #[test]
    fn stack_column_rules() {
        let o2cb = info(b"o2cb", 1);
        let both = Incompat::LOCAL_MOUNT | Incompat::CLUSTERINFO;
        assert_eq!(VolumeStack::new(both, Some(o2cb)).label(), "None");
        assert!(!VolumeStack::new(both, Some(o2cb)).global_heartbeat());
        let declared = VolumeStack::new(Incompat::CLUSTERINFO, Some(o2cb));
        assert_eq!(
            (declared.label(), declared.cluster()),
            ("o2cb".into(), "prod".into())
        );
        assert!(declared.global_heartbeat());
        let pcmk = VolumeStack::new(Incompat::USERSPACE_STACK, Some(info(b"pcmk", 1)));
        assert!(!pcmk.global_heartbeat());
        assert_eq!(VolumeStack::new(Incompat::default(), None).label(), "o2cb");
    }
}
