//! Feature and flag words of the superblock, as small bit-set types with the names the
//! reference tools print.
//!
//! The names are the ones `debugfs.ocfs2 -R stats` (ocfs2-tools 1.8.7) prints for each bit,
//! checked by setting the bits one at a time on a real image; `mkfs.ocfs2 --fs-features` and
//! `tunefs.ocfs2` accept the same spellings for the bits they can change.

use std::fmt;
use std::ops::BitOr;

macro_rules! bit_set {
    (
        $(#[$meta:meta])*
        $name:ident($repr:ty) {
            $( $(#[$flag_meta:meta])* $flag:ident = $bit:literal => $text:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
        pub struct $name($repr);

        impl $name {
            $( $(#[$flag_meta])* pub const $flag: Self = Self($bit); )*

            /// Every bit this library has a name for.
            pub const KNOWN: Self = Self(0 $(| $bit)*);

            const NAMES: &'static [(Self, &'static str)] = &[$((Self::$flag, $text)),*];

            /// The set holding exactly `bits`, unknown bits included.
            pub const fn from_bits(bits: $repr) -> Self {
                Self(bits)
            }

            /// The raw on-disk value.
            pub const fn bits(self) -> $repr {
                self.0
            }

            /// Whether no bit is set.
            pub const fn is_empty(self) -> bool {
                self.0 == 0
            }

            /// Whether every bit of `other` is set in `self`.
            pub const fn contains(self, other: Self) -> bool {
                self.0 & other.0 == other.0
            }

            /// Whether any bit of `other` is set in `self`.
            pub const fn intersects(self, other: Self) -> bool {
                self.0 & other.0 != 0
            }

            /// The bits of `self` that are not in `other`.
            pub const fn difference(self, other: Self) -> Self {
                Self(self.0 & !other.0)
            }

            /// The set bits this library has no name for.
            pub const fn unknown(self) -> Self {
                self.difference(Self::KNOWN)
            }

            /// Names of the known bits that are set, in the order `debugfs.ocfs2` prints them
            /// (its table order, which is not bit order).
            pub fn names(self) -> impl Iterator<Item = &'static str> {
                Self::NAMES
                    .iter()
                    .filter(move |(flag, _)| self.contains(*flag))
                    .map(|&(_, text)| text)
            }
        }

        impl BitOr for $name {
            type Output = Self;
            fn bitor(self, rhs: Self) -> Self {
                Self(self.0 | rhs.0)
            }
        }

        /// The names of the set bits separated by spaces; bits without a name are shown as
        /// one hexadecimal `unknown(0x..)` word at the end.
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let mut sep = "";
                for name in self.names() {
                    write!(f, "{sep}{name}")?;
                    sep = " ";
                }
                if !self.unknown().is_empty() {
                    write!(f, "{sep}unknown({:#x})", self.unknown().0)?;
                }
                Ok(())
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:#x}: {})", stringify!($name), self.0, self)
            }
        }
    };
}

bit_set! {
    /// `s_feature_compat`: features an older reader may ignore.
    Compat(u32) {
        /// Backup superblocks at fixed offsets.
        BACKUP_SB = 0x0001 => "backup-super",
        /// Journals use the JBD2 superblock format.
        JBD2_SB = 0x0002 => "strict-journal-super",
    }
}

bit_set! {
    /// `s_feature_incompat`: features a reader must understand to use the volume.
    ///
    /// Listed in `debugfs.ocfs2`'s order, so that [`Incompat::names`] prints like it.
    Incompat(u32) {
        /// The volume is only a global heartbeat area, without a file system to mount.
        HEARTBEAT_DEV = 0x0002 => "heartbeat-device",
        /// An online resize was interrupted.
        RESIZE_INPROG = 0x0004 => "aborted-resize",
        /// Local (non-clustered) volume: no heartbeat, no cluster stack.
        LOCAL_MOUNT = 0x0008 => "local",
        /// Sparse files.
        SPARSE_ALLOC = 0x0010 => "sparse",
        /// Slot map entries of 8 bytes with a validity byte.
        EXTENDED_SLOT_MAP = 0x0100 => "extended-slotmap",
        /// A tunefs.ocfs2 operation was interrupted.
        TUNEFS_INPROG = 0x0020 => "aborted-tunefs",
        /// Cluster stack other than o2cb, named in the cluster info.
        USERSPACE_STACK = 0x0080 => "userspace-stack",
        /// Small files and directories may live inside their inode.
        INLINE_DATA = 0x0040 => "inline-data",
        /// Metadata checksums and error correction.
        META_ECC = 0x0800 => "metaecc",
        /// Extended attributes.
        XATTR = 0x0200 => "xattr",
        /// Indexed directories (and trailers at the end of directory blocks).
        INDEXED_DIRS = 0x0400 => "indexed-dirs",
        /// Reflinks.
        REFCOUNT_TREE = 0x1000 => "refcount",
        /// Discontiguous block groups.
        DISCONTIG_BG = 0x2000 => "discontig-bg",
        /// The cluster info names the o2cb stack and the cluster.
        CLUSTERINFO = 0x4000 => "clusterinfo",
        /// Appending direct I/O.
        APPEND_DIO = 0x8000 => "append-dio",
    }
}

bit_set! {
    /// `s_feature_ro_compat`: features a reader may ignore but a writer must understand.
    RoCompat(u32) {
        /// Unwritten extents.
        UNWRITTEN = 0x0001 => "unwritten",
        /// User quotas.
        USRQUOTA = 0x0002 => "usrquota",
        /// Group quotas.
        GRPQUOTA = 0x0004 => "grpquota",
    }
}

bit_set! {
    /// `ci_stackflags` of the cluster info.
    ///
    /// The name is the one `debugfs.ocfs2 -R stats` prints (`Cluster flags: 1 Globalheartbeat`).
    StackFlags(u8) {
        /// The o2cb cluster runs global heartbeat (`mkfs.ocfs2 --global-heartbeat`).
        GLOBAL_HEARTBEAT = 0x01 => "Globalheartbeat",
    }
}

impl Incompat {
    /// The bits libocfs2 1.8 accepts (0x0002..=0x8000, every bit named above); any other
    /// bit makes a full open fail with "Unsupported feature(s) found".
    pub const SUPPORTED: Self = Self::KNOWN;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mkfs_default_incompat_prints_like_debugfs() {
        // `debugfs.ocfs2 -R stats` on a default mkfs 1.8.7 volume with an o2cb stack.
        let bits = Incompat::from_bits(63312);
        assert_eq!(
            bits.to_string(),
            "sparse extended-slotmap inline-data xattr indexed-dirs refcount discontig-bg \
             clusterinfo append-dio"
        );
        assert!(bits.unknown().is_empty());
        assert_eq!(
            Incompat::KNOWN.to_string(),
            "heartbeat-device aborted-resize local sparse extended-slotmap aborted-tunefs \
             userspace-stack inline-data metaecc xattr indexed-dirs refcount discontig-bg \
             clusterinfo append-dio"
        );
    }

    #[test]
    fn unknown_bits_are_kept_and_shown() {
        let bits = Incompat::from_bits(0x1_0008);
        assert_eq!(bits.unknown(), Incompat::from_bits(0x1_0000));
        assert_eq!(bits.to_string(), "local unknown(0x10000)");
        assert_eq!(
            format!("{bits:?}"),
            "Incompat(0x10008: local unknown(0x10000))"
        );
        assert_eq!(Incompat::SUPPORTED.bits(), 0xFFFE);
    }

    #[test]
    fn set_operations() {
        let both = Compat::BACKUP_SB | Compat::JBD2_SB;
        assert!(both.contains(Compat::JBD2_SB));
        assert!(both.intersects(Compat::BACKUP_SB));
        assert_eq!(both.difference(Compat::BACKUP_SB), Compat::JBD2_SB);
        assert_eq!(
            both.names().collect::<Vec<_>>(),
            ["backup-super", "strict-journal-super"]
        );
        assert!(StackFlags::default().is_empty());
    }
}
