//! Offsets, sizes and magic values of the on-disk structures (docs/ocfs2-tools-reference.md
//! §6.6, §8), shared by the reader and the test image builder so that the two cannot disagree
//! silently.

/// Inode (dinode) header, offsets within the block (reference §8.2).
pub(crate) mod inode {
    pub(crate) const CLUSTERS: usize = 0x14;
    pub(crate) const SIZE: usize = 0x20;
    pub(crate) const MODE: usize = 0x28;
    #[cfg(any(test, feature = "image"))] // only the image builder writes it
    pub(crate) const LINKS_COUNT: usize = 0x2A;
    pub(crate) const FLAGS: usize = 0x2C;
    pub(crate) const BLKNO: usize = 0x50;
    pub(crate) const DYN_FEATURES: usize = 0x76;
    /// Start of the `id2` union: superblock fields, extent list or inline data.
    pub(crate) const ID2: usize = 0xC0;
    /// Inline data: `id_count` at id2, the bytes from 0xC8.
    pub(crate) const INLINE_COUNT: usize = ID2;
    pub(crate) const INLINE_DATA: usize = 0xC8;

    /// Ordinary inodes; libocfs2 compares the 7 characters.
    pub(crate) const MAGIC: &[u8] = b"INODE01";

    pub(crate) const FL_VALID: u32 = 0x1;
    #[cfg(any(test, feature = "image"))] // only the image builder writes it
    pub(crate) const FL_SYSTEM: u32 = 0x10;
    #[cfg(any(test, feature = "image"))] // only the image builder writes it
    pub(crate) const FL_SUPER_BLOCK: u32 = 0x20;
    #[cfg(any(test, feature = "image"))] // only the image builder writes it
    pub(crate) const FL_HEARTBEAT: u32 = 0x200;

    pub(crate) const DYN_INLINE_DATA: u16 = 0x1;

    pub(crate) const S_IFMT: u16 = 0xF000;
    pub(crate) const S_IFDIR: u16 = 0x4000;
    #[cfg(any(test, feature = "image"))] // only the image builder writes it
    pub(crate) const S_IFREG: u16 = 0x8000;
}

/// Superblock fields, offsets within the superblock block (reference §8.3).
pub(crate) mod sb {
    /// libocfs2 compares the 6 characters, so `OCFSV2\0\1` still counts.
    pub(crate) const MAGIC: &[u8] = b"OCFSV2";
    /// The superblock always lives in fs block 2.
    pub(crate) const BLKNO: u64 = 2;
    /// Everything the readers look at lies in the first 512 bytes.
    pub(crate) const LEN: usize = 512;

    pub(crate) const MINOR_REV: usize = 0xC2;
    pub(crate) const FEATURE_COMPAT: usize = 0xDC;
    pub(crate) const FEATURE_INCOMPAT: usize = 0xE0;
    pub(crate) const FEATURE_RO_COMPAT: usize = 0xE4;
    pub(crate) const ROOT_BLKNO: usize = 0xE8;
    pub(crate) const SYSTEM_DIR_BLKNO: usize = 0xF0;
    pub(crate) const BLOCKSIZE_BITS: usize = 0xF8;
    pub(crate) const CLUSTERSIZE_BITS: usize = 0xFC;
    pub(crate) const MAX_SLOTS: usize = 0x100;
    pub(crate) const LABEL: usize = 0x110;
    pub(crate) const LABEL_LEN: usize = 64;
    pub(crate) const UUID: usize = 0x150;
    pub(crate) const CI_STACK: usize = 0x160;
    pub(crate) const CI_STACK_LEN: usize = 4;
    pub(crate) const CI_STACKFLAGS: usize = 0x164;
    pub(crate) const CI_CLUSTER: usize = 0x168;
    pub(crate) const CI_CLUSTER_LEN: usize = 16;

    /// What `mkfs.ocfs2` writes as `s_minor_rev_level`.
    #[cfg(any(test, feature = "image"))] // only the image builder writes it
    pub(crate) const MKFS_MINOR_REV: u16 = 90;
}

/// OCFS1 volume header in block 0 (reference §8.1).
pub(crate) mod ocfs1 {
    pub(crate) const MAJOR_VERSION: usize = 4;
    pub(crate) const SIGNATURE: usize = 8;
    pub(crate) const MAGIC: &[u8] = b"OracleCFS";
}

/// Extent lists (reference §8.5).
pub(crate) mod extent {
    /// Header: `l_tree_depth`, `l_count`, `l_next_free_rec` (le16 each), then records.
    pub(crate) const TREE_DEPTH: usize = 0x0;
    #[cfg(any(test, feature = "image"))] // only the image builder writes it
    pub(crate) const COUNT: usize = 0x2;
    pub(crate) const NEXT_FREE_REC: usize = 0x4;
    pub(crate) const RECORDS: usize = 0x10;
    pub(crate) const RECORD_LEN: usize = 16;
    /// Record fields relative to the record.
    pub(crate) const E_CPOS: usize = 0x0;
    pub(crate) const E_LEAF_CLUSTERS: usize = 0x4;
    pub(crate) const E_INT_CLUSTERS: usize = 0x4;
    pub(crate) const E_BLKNO: usize = 0x8;

    /// Extent blocks (`EXBLK01`) carry their list at 0x30.
    pub(crate) const BLOCK_MAGIC: &[u8] = b"EXBLK01";
    /// `h_blkno`: the block's own number, which libocfs2 checks ("Extent block is corrupt"
    /// when it differs; offset confirmed with `debugfs.ocfs2 -R "extent <N>"`).
    pub(crate) const BLOCK_BLKNO: usize = 0x18;
    pub(crate) const BLOCK_LIST: usize = 0x30;

    /// The kernel never builds trees deeper than this (`OCFS2_MAX_PATH_DEPTH`); a deeper
    /// claim can only come from a corrupt or hostile image.
    pub(crate) const MAX_DEPTH: u16 = 5;
}

/// Directory entries (reference §8.6).
pub(crate) mod dirent {
    pub(crate) const INODE: usize = 0x0;
    pub(crate) const REC_LEN: usize = 0x8;
    pub(crate) const NAME_LEN: usize = 0xA;
    #[cfg(any(test, feature = "image"))] // only the image builder writes it
    pub(crate) const FILE_TYPE: usize = 0xB;
    pub(crate) const NAME: usize = 0xC;
    pub(crate) const HEADER_LEN: usize = 12;

    /// Directory block trailer: a free-looking entry of 64 bytes at the end of each block.
    pub(crate) const TRAILER_LEN: usize = 64;
    pub(crate) const TRAILER_SIGNATURE: usize = 0x10;
    pub(crate) const TRAILER_MAGIC: &[u8] = b"DIRTRL1";

    #[cfg(any(test, feature = "image"))] // only the image builder writes it
    pub(crate) const FT_REG_FILE: u8 = 1;
    #[cfg(any(test, feature = "image"))] // only the image builder writes it
    pub(crate) const FT_DIR: u8 = 2;

    /// Smallest record that can hold a name of `name_len` bytes.
    pub(crate) const fn min_rec_len(name_len: usize) -> usize {
        (name_len + HEADER_LEN + 3) & !3
    }
}

/// Slot map entries (reference §8.8).
pub(crate) mod slot_map {
    pub(crate) const CLASSIC_ENTRY_LEN: usize = 2;
    pub(crate) const CLASSIC_EMPTY: u16 = 0xFFFF;
    pub(crate) const EXTENDED_ENTRY_LEN: usize = 8;
    pub(crate) const ES_VALID: usize = 0;
    pub(crate) const ES_NODE_NUM: usize = 4;
}

/// One heartbeat slot (reference §6.6).
pub(crate) mod hb {
    pub(crate) const SEQ: usize = 0x00;
    pub(crate) const NODE: usize = 0x08;
    pub(crate) const CKSUM: usize = 0x0C;
    pub(crate) const GENERATION: usize = 0x10;
    pub(crate) const DEAD_MS: usize = 0x18;
    /// Bytes covered by the fields above.
    pub(crate) const LEN: usize = 0x1C;
    /// libo2cb always asks the kernel for 255 slots, one per possible node number.
    pub(crate) const BLOCKS: u32 = 255;
}
