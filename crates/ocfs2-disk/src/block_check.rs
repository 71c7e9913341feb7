//! The block check of OCFS2 metadata (the `META_ECC` feature, `mkfs.ocfs2
//! --fs-features=metaecc`): a CRC32 that detects damage and a Hamming code that repairs a
//! single flipped bit.
//!
//! Every metadata block carries an 8-byte check: `bc_crc32e` (le32), `bc_ecc` (le16) and a
//! reserved le16. Where it sits depends on the kind of block ([`BlockKind`]). Both codes
//! are computed over the whole block with those 8 bytes taken as zero, so the reserved half
//! is never looked at.
//!
//! - The CRC is the reflected CRC-32 of Ethernet and zlib (polynomial 0x04C11DB7, bits taken
//!   least significant first), started from all ones and **not** inverted at the end: the
//!   bitwise complement of what zlib's `crc32` (and the crc32fast crate) return.
//! - The ECC is a Hamming code over the bits of the block, taken byte by byte, least
//!   significant bit first. Code positions are numbered from 1; the powers of two are the
//!   parity positions, and data bit *i* takes the *(i+1)*-th position that is not a power
//!   of two (bit 0 → 3, bit 1 → 5, bit 2 → 6, bit 3 → 7, bit 4 → 9, ...). The ECC is the
//!   XOR of the positions of all set data bits: parity bit *k* of the code is bit *k* of
//!   that XOR. A block of 4 KiB has 32 768 data bits, so the positions, and the ECC, fit in
//!   16 bits.
//!
//! A reader verifies a block as the C tools (libocfs2 1.8.7) do: if the CRC matches, the block
//! is good, whatever the ECC says. Otherwise the ECC of the block as read is XORed with the
//! stored one; a non-zero result that is not a power of two names the position of one
//! flipped data bit, which is flipped back, and the block is good if the CRC now matches.
//! Anything else is a failure ("Bad CRC32"). It follows that a flip in the stored ECC or in
//! the reserved bytes is harmless, a flip of one data bit is repaired (in memory: nothing is
//! written back), and a flip in the stored CRC itself is fatal, since the data then agree
//! with their ECC and there is nothing to repair. This was established on volumes made by
//! `mkfs.ocfs2` 1.8.7, whose stored values these functions reproduce for every block kind
//! below, by flipping bits and asking `mounted.ocfs2 -f` and `tunefs.ocfs2 -Q` (see the
//! crate's tests and docs/compatibility.md).

use std::fmt;

use crate::format::dirent;

/// Bytes of the check structure.
pub const CHECK_LEN: usize = 8;

/// The kinds of metadata block that carry a check, and where each keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BlockKind {
    /// The superblock (an inode at block 2): `i_check` at 0x80.
    Superblock,
    /// An inode (`INODE01`): `i_check` at 0x80.
    Inode,
    /// An extent block (`EXBLK01`): `h_check` at 0x08, right after the signature.
    ExtentBlock,
    /// A directory block: `db_check`, the last 8 bytes of its 64-byte trailer (`DIRTRL1`),
    /// which ends the block.
    DirBlock,
    /// An allocation group descriptor (`GROUP01`): `bg_check` at 0x30. This crate reads
    /// none; the kind lets tests check what mkfs wrote.
    GroupDescriptor,
}

impl BlockKind {
    /// Offset of the check within a block of `block_len` bytes.
    pub const fn check_offset(self, block_len: usize) -> usize {
        match self {
            BlockKind::Superblock | BlockKind::Inode => 0x80,
            BlockKind::ExtentBlock => 0x08,
            BlockKind::GroupDescriptor => 0x30,
            BlockKind::DirBlock => block_len - CHECK_LEN,
        }
    }

    /// The kind of a block, told by its signature (a directory block by the signature of
    /// its trailer); `None` for blocks without a check (file data, heartbeat, slot map).
    pub fn of_block(block: &[u8]) -> Option<Self> {
        let signatures: [(&[u8], BlockKind); 4] = [
            (b"OCFSV2", BlockKind::Superblock),
            (b"INODE01", BlockKind::Inode),
            (b"EXBLK01", BlockKind::ExtentBlock),
            (b"GROUP01", BlockKind::GroupDescriptor),
        ];
        if let Some(&(_, kind)) = signatures.iter().find(|(sig, _)| block.starts_with(sig)) {
            return Some(kind);
        }
        let trailer = block.len().checked_sub(dirent::TRAILER_LEN)?;
        let at = trailer + dirent::TRAILER_SIGNATURE;
        (block.get(at..at + dirent::TRAILER_MAGIC.len()) == Some(dirent::TRAILER_MAGIC))
            .then_some(BlockKind::DirBlock)
    }
}

impl fmt::Display for BlockKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BlockKind::Superblock => "superblock",
            BlockKind::Inode => "inode",
            BlockKind::ExtentBlock => "extent block",
            BlockKind::DirBlock => "directory block",
            BlockKind::GroupDescriptor => "group descriptor",
        })
    }
}

/// The two codes of a block check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct BlockCheck {
    /// `bc_crc32e`.
    pub crc32e: u32,
    /// `bc_ecc`.
    pub ecc: u16,
}

impl BlockCheck {
    /// The codes of `block` as they should be, its check at `at` taken as zero.
    ///
    /// # Panics
    /// If the check does not lie within the block.
    pub fn compute(block: &[u8], at: usize) -> Self {
        BlockCheck {
            crc32e: crc32e(block, at),
            ecc: ecc(block, at),
        }
    }

    /// The codes stored in `block` at `at`.
    ///
    /// # Panics
    /// If the check does not lie within the block.
    pub fn stored(block: &[u8], at: usize) -> Self {
        let field = &block[at..at + CHECK_LEN];
        BlockCheck {
            crc32e: u32::from_le_bytes([field[0], field[1], field[2], field[3]]),
            ecc: u16::from_le_bytes([field[4], field[5]]),
        }
    }

    /// Writes the codes, and a zero reserved half, into `block` at `at`.
    ///
    /// # Panics
    /// If the check does not lie within the block.
    pub fn store(self, block: &mut [u8], at: usize) {
        let field = &mut block[at..at + CHECK_LEN];
        field[..4].copy_from_slice(&self.crc32e.to_le_bytes());
        field[4..6].copy_from_slice(&self.ecc.to_le_bytes());
        field[6..].fill(0);
    }
}

/// Computes the check of a `kind` block and stores it (what a writer does last).
///
/// # Panics
/// If the block is shorter than its check's offset requires.
pub fn seal(block: &mut [u8], kind: BlockKind) {
    let at = kind.check_offset(block.len());
    BlockCheck::compute(block, at).store(block, at);
}

/// A block that passed its check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verified {
    /// The CRC matched as read.
    Intact,
    /// One flipped bit was repaired: bit `bit % 8` of byte `bit / 8`.
    Corrected {
        /// The data bit flipped back.
        bit: usize,
    },
}

/// A block whose check fails and which its ECC cannot repair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "block check failed: stored CRC32 {:08x}, computed {:08x}, and its ECC repairs no \
     single bit",
    stored.crc32e,
    computed.crc32e
)]
pub struct CheckMismatch {
    /// What the block stores.
    pub stored: BlockCheck,
    /// What its contents give.
    pub computed: BlockCheck,
}

/// Verifies a `kind` block in place, repairing one flipped data bit as the C tools do (see
/// the module documentation). On failure the block is left as it was read.
///
/// # Panics
/// If the block is shorter than its check's offset requires.
pub fn verify(block: &mut [u8], kind: BlockKind) -> Result<Verified, CheckMismatch> {
    let at = kind.check_offset(block.len());
    let stored = BlockCheck::stored(block, at);
    let crc = crc32e(block, at);
    if crc == stored.crc32e {
        return Ok(Verified::Intact);
    }
    let computed = BlockCheck {
        crc32e: crc,
        ecc: ecc(block, at),
    };
    let failed = CheckMismatch { stored, computed };
    let check_bits = at * 8..(at + CHECK_LEN) * 8;
    // A position inside the check itself would repair nothing the CRC covers.
    let Some(bit) = data_bit(computed.ecc ^ stored.ecc, block.len() * 8)
        .filter(|bit| !check_bits.contains(bit))
    else {
        return Err(failed);
    };
    flip(block, bit);
    if crc32e(block, at) == stored.crc32e {
        Ok(Verified::Corrected { bit })
    } else {
        flip(block, bit);
        Err(failed)
    }
}

/// Flips bit `bit % 8` of byte `bit / 8`.
pub fn flip(block: &mut [u8], bit: usize) {
    block[bit / 8] ^= 1 << (bit % 8);
}

/// The CRC of `block` with the 8 check bytes at `at` taken as zero.
fn crc32e(block: &[u8], at: usize) -> u32 {
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(&block[..at]);
    hasher.update(&[0; CHECK_LEN]);
    hasher.update(&block[at + CHECK_LEN..]);
    // crc32fast inverts on the way out; OCFS2 keeps the register as it is.
    !hasher.finalize()
}

/// The Hamming ECC of `block` with the 8 check bytes at `at` taken as zero.
fn ecc(block: &[u8], at: usize) -> u16 {
    let check = at..at + CHECK_LEN;
    let mut parity = 0u32;
    let mut positions = CodePositions::new();
    for (i, &byte) in block.iter().enumerate() {
        let byte = if check.contains(&i) { 0 } else { byte };
        for bit in 0..8 {
            let position = positions.next_position();
            if byte >> bit & 1 == 1 {
                parity ^= position;
            }
        }
    }
    // Positions stay below 2^16 for blocks of up to 8 KiB, and OCFS2 blocks are 4 KiB at
    // most; the on-disk field keeps the low 16 bits.
    parity as u16
}

/// The code positions of data bits 0, 1, 2, ... in turn: every position from 3 on that is
/// not a power of two.
struct CodePositions {
    next: u32,
    next_power: u32,
}

impl CodePositions {
    fn new() -> Self {
        CodePositions {
            next: 3,
            next_power: 4,
        }
    }

    fn next_position(&mut self) -> u32 {
        if self.next == self.next_power {
            self.next += 1;
            self.next_power <<= 1;
        }
        let position = self.next;
        self.next += 1;
        position
    }
}

/// The data bit at code position `syndrome`, if it names one among `data_bits`: zero means
/// no error, a power of two an error in a parity bit, which leaves the data alone.
fn data_bit(syndrome: u16, data_bits: usize) -> Option<usize> {
    let s = u32::from(syndrome);
    if s.count_ones() <= 1 {
        return None;
    }
    // Below s lie s - 1 positions, floor(log2 s) + 1 of them powers of two.
    let bit = (s - 2 - s.ilog2()) as usize;
    (bit < data_bits).then_some(bit)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The catalogue check value of CRC-32/ISO-HDLC is 0xCBF43926 for "123456789"; OCFS2
    /// keeps it uninverted. With the check field (here the first 8 bytes) zero, the
    /// payload is what is hashed.
    #[test]
    fn crc_is_the_uninverted_crc32() {
        let mut block = [0u8; 17];
        block[8..].copy_from_slice(b"123456789");
        block[..8].fill(0xA5);
        assert_eq!(
            crc32e(&block, 0),
            !crc32fast::hash(&[&[0u8; 8][..], b"123456789"].concat())
        );
        assert_eq!(!crc32fast::hash(b"123456789"), !0xCBF4_3926);
    }

    #[test]
    fn positions_skip_the_powers_of_two() {
        let mut p = CodePositions::new();
        let first: Vec<u32> = (0..12).map(|_| p.next_position()).collect();
        assert_eq!(first, [3, 5, 6, 7, 9, 10, 11, 12, 13, 14, 15, 17]);
        // And back again: every position that is not a power of two names its data bit.
        let mut p = CodePositions::new();
        for bit in 0..40_000usize {
            let position = p.next_position();
            assert_eq!(data_bit(position as u16, 1 << 20), Some(bit));
        }
        for parity in [0u16, 1, 2, 4, 8, 1 << 15] {
            assert_eq!(data_bit(parity, 1 << 20), None);
        }
        assert_eq!(data_bit(3, 0), None);
    }

    fn xor(positions: &[u16]) -> u16 {
        positions.iter().fold(0, |a, b| a ^ b)
    }

    /// Hand-computed: the ECC is the XOR of the positions of the set bits, LSB first.
    #[test]
    fn ecc_xors_the_positions_of_set_bits() {
        let mut block = [0u8; 16];
        assert_eq!(ecc(&block, 8), 0);
        block[0] = 0b0000_0001; // bit 0 → 3
        assert_eq!(ecc(&block, 8), 3);
        block[0] = 0b0001_0011; // bits 0, 1, 4 → 3 ^ 5 ^ 9
        assert_eq!(ecc(&block, 8), 3 ^ 5 ^ 9);
        block[0] = 0xFF; // bits 0..8 → positions 3, 5, 6, 7, 9, 10, 11, 12
        assert_eq!(ecc(&block, 8), xor(&[3, 5, 6, 7, 9, 10, 11, 12]));
        // Bytes of the check field count as zero.
        block[8..].fill(0xFF);
        assert_eq!(ecc(&block, 8), xor(&[3, 5, 6, 7, 9, 10, 11, 12]));
        // With the field at 0 instead, byte 0 counts as zero and bits 64..128 are the set
        // ones: moving the field changes which bits count, not their positions.
        assert_eq!(ecc(&block, 0), {
            let mut p = CodePositions::new();
            let positions: Vec<u32> = (0..128).map(|_| p.next_position()).collect();
            positions[64..].iter().fold(0u32, |a, &b| a ^ b) as u16
        });
    }

    fn sealed(len: usize, kind: BlockKind) -> Vec<u8> {
        let mut block: Vec<u8> = (0..len).map(|i| (i * 7 + i / 13) as u8).collect();
        seal(&mut block, kind);
        block
    }

    #[test]
    fn sealed_blocks_verify_intact() {
        for kind in [
            BlockKind::Inode,
            BlockKind::ExtentBlock,
            BlockKind::DirBlock,
        ] {
            let mut block = sealed(512, kind);
            assert_eq!(verify(&mut block, kind), Ok(Verified::Intact));
        }
    }

    #[test]
    fn the_check_field_obeys_the_c_rule() {
        let kind = BlockKind::Inode;
        let good = sealed(1024, kind);
        let at = kind.check_offset(1024);
        // The ECC and reserved halves are not looked at while the CRC matches.
        for bit in (at + 4) * 8..(at + 8) * 8 {
            let mut block = good.clone();
            flip(&mut block, bit);
            assert_eq!(verify(&mut block, kind), Ok(Verified::Intact), "bit {bit}");
        }
        // A flipped CRC bit cannot be repaired: the data agree with their ECC.
        for bit in at * 8..(at + 4) * 8 {
            let mut block = good.clone();
            flip(&mut block, bit);
            let before = block.clone();
            assert!(verify(&mut block, kind).is_err(), "bit {bit}");
            assert_eq!(block, before, "a failed verify leaves the block alone");
        }
    }
}
