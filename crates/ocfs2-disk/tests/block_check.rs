//! The block check of `META_ECC` volumes on the builder's images: one flipped bit anywhere
//! in a checked block changes nothing a reader sees, except in the stored CRC, where it is
//! as fatal as real damage; two flipped bits are refused with an error naming the block,
//! unless the reserved half of the check (never read) or its ECC (read only when the CRC
//! fails) took them. (The same rules hold for
//! `mkfs.ocfs2` volumes and agree with the C tools: tests/mkfs.rs,
//! mounted/tests/block_check_against_c.rs.)

use ocfs2_disk::block_check::{self, BlockCheck, CHECK_LEN};
use ocfs2_disk::image::{variants, Image, ImageBuilder};
use ocfs2_disk::{BlockKind, HeartbeatError, OpenError, OpenOptions, ReadError, SlotMapError};
use ocfs2_disk::{BlockSize, Volume};
use std::sync::OnceLock;

use proptest::prelude::*;

/// The META_ECC bit of `s_feature_incompat` (0x800 of the le32 at 0xE0), as a bit of the
/// superblock.
const META_ECC_BIT: usize = 0xE1 * 8 + 3;

/// What one step of a reader ends with.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Value(String),
    /// A block check failed, in this block of this kind.
    BadCheck(u64, BlockKind),
    Other(String),
}

fn read_error(e: &ReadError) -> Step {
    match e {
        ReadError::BadBlockCheck { blkno, kind, .. } => Step::BadCheck(*blkno, *kind),
        other => Step::Other(format!("{other:?}")),
    }
}

/// Everything a full reader does: open, the heartbeat region, the slot map, and a lookup
/// that walks the whole system directory.
fn outcome(bytes: &[u8]) -> Vec<Step> {
    let volume = match Volume::open(bytes, OpenOptions::new().allow_heartbeat_device(true)) {
        Ok(v) => v,
        Err(OpenError::Read(e)) => return vec![read_error(&e)],
        Err(e) => return vec![Step::Other(format!("{e:?}"))],
    };
    let sb = volume.superblock();
    let mut steps = vec![Step::Value(format!(
        "{} {:?} {} {}",
        ocfs2_disk::uuid_hex(&sb.uuid()),
        sb.label(),
        sb.incompat(),
        sb.max_slots()
    ))];
    steps.push(match volume.heartbeat_region(512) {
        Ok(r) => Step::Value(format!("{} {} {}", r.name(), r.start_block(), r.blocks())),
        Err(HeartbeatError::Read(e)) => read_error(&e),
        Err(e) => Step::Other(format!("{e:?}")),
    });
    steps.push(match volume.slot_map() {
        Ok(m) => Step::Value(format!("{:?}", m.occupied().collect::<Vec<_>>())),
        Err(SlotMapError::Read(e)) => read_error(&e),
        Err(e) => Step::Other(format!("{e:?}")),
    });
    steps.push(match volume.system_file_blkno("journal:0000") {
        Ok(b) => Step::Value(b.to_string()),
        Err(e) => read_error(&e),
    });
    steps
}

/// The META_ECC variants, built once.
fn meta_ecc_images() -> &'static [(&'static str, Image)] {
    static IMAGES: OnceLock<Vec<(&'static str, Image)>> = OnceLock::new();
    IMAGES.get_or_init(|| {
        let images: Vec<_> = variants()
            .into_iter()
            .filter(|(name, _)| name.starts_with("meta_ecc"))
            .map(|(name, b)| (name, b.build().unwrap()))
            .collect();
        assert!(images.len() >= 5, "the META_ECC variants are gone");
        images
    })
}

fn block_of(image: &Image, blkno: u64) -> std::ops::Range<usize> {
    let len = image.layout.block_size.bytes() as usize;
    let at = blkno as usize * len;
    at..at + len
}

fn flipped(image: &Image, blkno: u64, bits: &[usize]) -> Vec<u8> {
    let mut bytes = image.bytes.clone();
    let range = block_of(image, blkno);
    for &bit in bits {
        block_check::flip(&mut bytes[range.clone()], bit);
    }
    bytes
}

/// Damage no ECC repairs, away from every signature: two bits of byte 0x40.
fn damaged(image: &Image, blkno: u64) -> Vec<u8> {
    flipped(image, blkno, &[0x40 * 8, 0x40 * 8 + 1])
}

/// The blocks a reader reads.
fn read_by_readers(image: &Image) -> Vec<(u64, BlockKind)> {
    let blocks = image.layout.checked_blocks_read();
    assert!(blocks.len() >= 4);
    blocks
}

/// The signature bytes looked at before the check: `OCFSV2`, `INODE01`; the others come
/// after it.
fn signature_len(kind: BlockKind) -> usize {
    match kind {
        BlockKind::Superblock => 6,
        BlockKind::Inode => 7,
        _ => 0,
    }
}

/// The rule for one flipped bit, checked against the pristine outcome.
fn check_single_flip(image: &Image, pristine: &[Step], blkno: u64, kind: BlockKind, bit: usize) {
    let len = image.layout.block_size.bytes() as usize;
    let at = kind.check_offset(len);
    let got = outcome(&flipped(image, blkno, &[bit]));
    if blkno == 2 && bit == META_ECC_BIT {
        // The volume no longer claims META_ECC, so nothing is checked (as in libocfs2).
        assert!(
            matches!(&got[0], Step::Value(v) if !v.contains("metaecc")),
            "{got:?}"
        );
        assert_eq!(got[1..], pristine[1..]);
    } else if bit < signature_len(kind) * 8 {
        // An inode's (and the superblock's) signature is looked at before its check, so a
        // flip there is a wrong signature, as libocfs2 reports it.
        let mut smashed = image.bytes.clone();
        smashed[block_of(image, blkno).start + bit / 8] ^= 0xFF;
        assert_eq!(
            got,
            outcome(&smashed),
            "block {blkno}, bit {bit} of the signature"
        );
    } else if (at * 8..(at + 4) * 8).contains(&bit) {
        assert_eq!(
            got,
            outcome(&damaged(image, blkno)),
            "block {blkno}, bit {bit} of the stored CRC"
        );
    } else {
        assert_eq!(got, pristine, "block {blkno}, bit {bit}");
    }
}

#[test]
fn pristine_images_read_like_their_unchecked_twins() {
    for (name, image) in meta_ecc_images() {
        let steps = outcome(&image.bytes);
        // Open, heartbeat region, slot map (the journal lookup walks the directory to its
        // end and finds nothing).
        assert!(
            steps[..3].iter().all(|s| matches!(s, Step::Value(_))),
            "{name}: {steps:?}"
        );
        for &(blkno, kind) in &image.layout.checked_blocks {
            let block = &image.bytes[block_of(image, blkno)];
            let at = kind.check_offset(block.len());
            assert_eq!(
                BlockCheck::stored(block, at),
                BlockCheck::compute(block, at),
                "{name}: block {blkno}"
            );
            assert_eq!(
                BlockKind::of_block(block),
                Some(kind),
                "{name}: block {blkno}"
            );
        }
    }
    // Without META_ECC the checks are not looked at: a zero check is fine.
    let plain = ImageBuilder::new().build().unwrap();
    assert!(outcome(&plain.bytes)[..3]
        .iter()
        .all(|s| matches!(s, Step::Value(_))));
}

/// Every bit of every checked block of a 512-byte-block image with an extent tree and a
/// directory of several blocks.
#[test]
fn every_single_flip_is_repaired_except_in_the_crc() {
    let image = ImageBuilder::new()
        .block_size(BlockSize::B512)
        .system_dir(ocfs2_disk::image::SystemDirLayout::Extents { depth: 1 })
        .dir_padding(40)
        .slot(1, 9)
        .meta_ecc(true)
        .build()
        .unwrap();
    let pristine = outcome(&image.bytes);
    let mut cases = 0;
    for &(blkno, kind) in &image.layout.checked_blocks {
        for bit in 0..512 * 8 {
            check_single_flip(&image, &pristine, blkno, kind, bit);
            cases += 1;
        }
    }
    assert!(cases >= 8 * 4096, "{cases}");
}

#[test]
fn double_flips_are_refused_naming_the_block() {
    for (name, image) in meta_ecc_images() {
        let pristine = outcome(&image.bytes);
        for (blkno, kind) in read_by_readers(image) {
            let got = outcome(&damaged(image, blkno));
            assert_ne!(got, pristine, "{name}: block {blkno}");
            for (step, want) in got.iter().zip(&pristine) {
                assert!(
                    step == want || *step == Step::BadCheck(blkno, kind),
                    "{name}: block {blkno}: {step:?}"
                );
            }
        }
    }
}

/// The error a binary shows: libocfs2's words, and the block in the detail.
#[test]
fn the_error_names_the_block_and_its_kind() {
    let image = ImageBuilder::new().meta_ecc(true).build().unwrap();
    let bytes = damaged(&image, 2);
    let err = Volume::open(&bytes[..], OpenOptions::new()).unwrap_err();
    assert_eq!(err.to_string(), "Bad CRC32");
    let reason = err.reason();
    assert!(
        reason.starts_with("superblock in block 2: block check failed: stored CRC32 "),
        "{reason}"
    );
    let bytes = damaged(&image, image.layout.slot_map_inode);
    let volume = Volume::open(&bytes[..], OpenOptions::new()).unwrap();
    let err = volume.slot_map().unwrap_err();
    assert_eq!(err.to_string(), "Bad CRC32");
    assert!(
        err.reason()
            .starts_with("inode in block 6: block check failed"),
        "{}",
        err.reason()
    );
}

/// A directory block of a META_ECC volume must end with its trailer: checked after the
/// block check, as libocfs2 does.
#[test]
fn a_directory_block_without_trailer_is_refused_after_its_check() {
    let image = ImageBuilder::new().meta_ecc(true).build().unwrap();
    let dir = image.layout.system_dir_blocks[0];
    let range = block_of(&image, dir);
    let mut bytes = image.bytes.clone();
    let block = &mut bytes[range];
    let sig = block.len() - 64 + 0x10;
    block[sig] = b'X';
    let unsealed = bytes.clone();
    block_check::seal(&mut bytes[block_of(&image, dir)], BlockKind::DirBlock);
    let volume = Volume::open(&bytes[..], OpenOptions::new()).unwrap();
    let err = volume.system_file_blkno("slot_map").unwrap_err();
    assert!(matches!(err, ReadError::BadDirTrailer { blkno } if blkno == dir));
    assert_eq!(err.to_string(), "Bad magic number in directory block");
    // One changed byte of the signature is more than one bit: the check fails first.
    let volume = Volume::open(&unsealed[..], OpenOptions::new()).unwrap();
    let err = volume.system_file_blkno("slot_map").unwrap_err();
    assert!(matches!(err, ReadError::BadBlockCheck { blkno, .. } if blkno == dir));
}

/// The order of the checks, as libocfs2 reports them: an inode's signature before its
/// check, an extent block's check before its signature, the superblock's check before the
/// validation of its fields.
#[test]
fn checks_come_in_libocfs2_order() {
    let image = ImageBuilder::new()
        .system_dir(ocfs2_disk::image::SystemDirLayout::Extents { depth: 1 })
        .meta_ecc(true)
        .build()
        .unwrap();
    let smash = |blkno: u64, offset: usize| {
        let mut bytes = image.bytes.clone();
        let at = block_of(&image, blkno).start + offset;
        bytes[at] ^= 0xFF;
        bytes
    };
    let inode = image.layout.slot_map_inode;
    let bytes = smash(inode, 0);
    let volume = Volume::open(&bytes[..], OpenOptions::new()).unwrap();
    assert!(matches!(
        volume.slot_map().unwrap_err(),
        SlotMapError::Read(ReadError::BadInodeSignature { .. })
    ));
    let extent = image.layout.extent_blocks[0];
    let bytes = smash(extent, 0);
    let volume = Volume::open(&bytes[..], OpenOptions::new()).unwrap();
    assert!(matches!(
        volume.slot_map().unwrap_err(),
        SlotMapError::Read(ReadError::BadBlockCheck {
            kind: BlockKind::ExtentBlock,
            ..
        })
    ));
    // Cluster size bits 12 → 243: invalid, but the check fails first.
    let bytes = smash(2, 0xFC);
    assert!(matches!(
        Volume::open(&bytes[..], OpenOptions::new()).unwrap_err(),
        OpenError::Read(ReadError::BadBlockCheck {
            blkno: 2,
            kind: BlockKind::Superblock,
            ..
        })
    ));
    // The META_ECC bit itself flipped off: nothing is checked any more, on any block.
    let mut bytes = flipped(&image, 2, &[META_ECC_BIT]);
    let range = block_of(&image, inode);
    bytes[range.start + 0x200] ^= 0xFF;
    let volume = Volume::open(&bytes[..], OpenOptions::new()).unwrap();
    assert!(!volume
        .superblock()
        .incompat()
        .contains(ocfs2_disk::Incompat::META_ECC));
    assert!(volume.slot_map().is_ok());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Any one bit of any checked block of any META_ECC variant.
    #[test]
    fn one_flip_anywhere(variant in 0usize..64, block in 0usize..64, bit in 0usize..4096 * 8) {
        let images = meta_ecc_images();
        let (_, image) = &images[variant % images.len()];
        let (blkno, kind) = image.layout.checked_blocks[block % image.layout.checked_blocks.len()];
        let bit = bit % (image.layout.block_size.bytes() as usize * 8);
        check_single_flip(image, &outcome(&image.bytes), blkno, kind, bit);
    }

    /// Any two bits of a block the readers read: refused with the block named, unless
    /// they are in the reserved half (ignored) or the stored ECC (ignored while the CRC
    /// matches).
    #[test]
    fn two_flips_anywhere(
        variant in 0usize..64,
        block in 0usize..64,
        a in 0usize..4096 * 8,
        b in 0usize..4096 * 8,
    ) {
        let images = meta_ecc_images();
        let (_, image) = &images[variant % images.len()];
        let blocks = read_by_readers(image);
        let (blkno, kind) = blocks[block % blocks.len()];
        let len = image.layout.block_size.bytes() as usize;
        // Signatures are looked at before some checks; leave them whole.
        let (a, b) = (8 * 8 + a % ((len - 8) * 8), 8 * 8 + b % ((len - 8) * 8));
        prop_assume!(a != b);
        prop_assume!(blkno != 2 || (a != META_ECC_BIT && b != META_ECC_BIT));
        let got = outcome(&flipped(image, blkno, &[a, b]));
        let pristine = outcome(&image.bytes);
        let at = kind.check_offset(len);
        let reserved = (at + 6) * 8..(at + CHECK_LEN) * 8;
        let stored_ecc = (at + 4) * 8..(at + 6) * 8;
        // The reserved half is never looked at: a flip there is no flip at all.
        let counted: Vec<usize> = [a, b].into_iter().filter(|x| !reserved.contains(x)).collect();
        if counted.iter().all(|x| stored_ecc.contains(x)) {
            // The CRC matches: the ECC is not consulted.
            prop_assert_eq!(got, pristine);
        } else if let [one] = counted[..] {
            prop_assert_eq!(got, outcome(&flipped(image, blkno, &[one])));
        } else {
            prop_assert_ne!(&got, &pristine);
            for (step, want) in got.iter().zip(&pristine) {
                prop_assert!(step == want || *step == Step::BadCheck(blkno, kind), "{:?}", step);
            }
        }
    }
}
