//! Truncated, corrupt and hostile images: every outcome is an error or a value, never a
//! panic, an endless loop or an allocation beyond the image.

use std::io;

use ocfs2_disk::image::{variants, Image, ImageBuilder, SystemDirLayout};
use ocfs2_disk::{
    quick_detect, BlockSize, OpenError, OpenOptions, ReadAt, ReadError, SlotMapError, Volume,
    WithSize,
};

/// Runs every operation of the crate on `dev`, returning a one-word outcome per step.
fn exercise<R: ReadAt>(dev: R) -> Vec<&'static str> {
    let mut outcome = vec![match quick_detect(&dev) {
        Ok(Some(_)) => "detected",
        Ok(None) => "not-ocfs2",
        Err(_) => "detect-error",
    }];
    let volume = match Volume::open(dev, OpenOptions::new().allow_heartbeat_device(true)) {
        Ok(volume) => volume,
        Err(_) => {
            outcome.push("open-error");
            return outcome;
        }
    };
    for sector in [512, 4096] {
        outcome.push(match volume.heartbeat_region(sector) {
            Ok(region) => {
                for node in [0, 3, 254] {
                    let _ = volume.read_heartbeat_slot(&region, node);
                }
                "region"
            }
            Err(_) => "region-error",
        });
    }
    outcome.push(match volume.slot_map() {
        Ok(_) => "slot-map",
        Err(_) => "slot-map-error",
    });
    outcome
}

/// A small deterministic generator (xorshift64*), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// The byte ranges holding metadata: superblock, inodes, directory and extent blocks, the
/// slot map. Corrupting zeros elsewhere would mostly test nothing.
fn metadata_ranges(image: &Image) -> Vec<std::ops::Range<usize>> {
    let b = image.layout.block_size.bytes() as usize;
    let l = &image.layout;
    let mut blocks = vec![0, 2, 3, 4, 6, 7, l.slot_map_blkno];
    blocks.extend(&l.system_dir_blocks);
    blocks.extend(&l.extent_blocks);
    blocks
        .into_iter()
        .map(|blk| blk as usize * b..(blk as usize + 1) * b)
        .collect()
}

#[test]
fn random_corruption_of_every_variant_never_panics() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut seen = std::collections::BTreeSet::new();
    for (name, builder) in variants() {
        let mut image = builder.size(0).build().unwrap();
        let intact = exercise(&image.bytes);
        let ranges = metadata_ranges(&image);
        for _ in 0..300 {
            let mut saved = Vec::new();
            for _ in 0..1 + rng.below(6) {
                let range = &ranges[rng.below(ranges.len())];
                let at = range.start + rng.below(range.len());
                saved.push((at, image.bytes[at]));
                // Small values, 0xFF and random bytes all make interesting lengths/counts.
                image.bytes[at] = match rng.below(4) {
                    0 => 0,
                    1 => 0xFF,
                    2 => image.bytes[at] ^ (1 << rng.below(8)),
                    _ => rng.next() as u8,
                };
            }
            seen.insert(exercise(&image.bytes).join(","));
            for (at, byte) in saved.into_iter().rev() {
                image.bytes[at] = byte;
            }
        }
        // Every byte was put back: the outcome is the intact one again.
        assert_eq!(exercise(&image.bytes), intact, "{name}");
    }
    // The corruption reached every stage.
    for outcome in ["open-error", "region-error", "slot-map-error", "slot-map"] {
        assert!(
            seen.iter().any(|s| s.contains(outcome)),
            "{outcome}: {seen:?}"
        );
    }
}

#[test]
fn every_truncation_is_an_error_not_a_panic() {
    for block_size in BlockSize::ALL {
        let image = ImageBuilder::new()
            .block_size(block_size)
            .size(0)
            .build()
            .unwrap();
        let b = block_size.bytes() as usize;
        let superblock_end = 2 * b + 512;
        let slot_map_end = (image.layout.slot_map_blkno as usize + 1) * b;
        for len in (0..image.bytes.len())
            .step_by(97)
            .chain([superblock_end - 1, superblock_end])
        {
            let outcome = exercise(&image.bytes[..len]);
            // Quick detect needs all 512 bytes of the superblock, like mounted.ocfs2.
            let detected = outcome[0] == "detected";
            assert_eq!(detected, len >= superblock_end, "{block_size} at {len}");
            // The slot map needs every block up to its data.
            if len < slot_map_end {
                assert_ne!(outcome.last(), Some(&"slot-map"), "{block_size} at {len}");
            }
        }
    }
}

/// Two records of the root list point at the same extent block: a DAG, or a cycle once the
/// depths are forged. Either way each extent block is read at most once.
#[test]
fn shared_or_cyclic_extent_blocks_are_refused() {
    let mut image = ImageBuilder::new()
        .system_dir(SystemDirLayout::Extents { depth: 1 })
        .build()
        .unwrap();
    let eb = image.layout.extent_blocks[0];
    let sysdir = 4 * 4096;
    // Second record in the root list, same child.
    let (first, second) = (sysdir + 0xD0, sysdir + 0xE0);
    image.bytes.copy_within(first..first + 16, second);
    image.bytes[sysdir + 0xC4] = 2;
    let volume = Volume::open(&image.bytes, OpenOptions::new()).unwrap();
    let err = volume.slot_map().unwrap_err();
    assert!(
        matches!(
            err,
            SlotMapError::Read(ReadError::CorruptExtentList { blkno: 4, .. })
        ),
        "{err:?}"
    );

    // The extent block claims depth 1 and points at itself.
    let mut image = ImageBuilder::new()
        .system_dir(SystemDirLayout::Extents { depth: 1 })
        .build()
        .unwrap();
    let at = eb as usize * 4096 + 0x30;
    image.bytes[at..at + 2].copy_from_slice(&1u16.to_le_bytes());
    image.bytes[at + 0x18..at + 0x20].copy_from_slice(&eb.to_le_bytes());
    let volume = Volume::open(&image.bytes, OpenOptions::new()).unwrap();
    let err = volume.system_file_blkno("slot_map").unwrap_err();
    assert!(
        matches!(err, ReadError::CorruptExtentList { .. }),
        "{err:?}"
    );
}

#[test]
fn sizes_from_the_image_do_not_drive_allocations() {
    // A slot map claiming 2^63 bytes: only max_slots entries are read.
    let mut image = ImageBuilder::new().slot(1, 9).build().unwrap();
    let i_size = 6 * 4096 + 0x20;
    image.bytes[i_size..i_size + 8].copy_from_slice(&(1u64 << 63).to_le_bytes());
    let volume = Volume::open(&image.bytes, OpenOptions::new()).unwrap();
    assert_eq!(volume.slot_map().unwrap().node(1), Some(9));

    // A volume claiming 2^32 clusters on a 4 MiB image, and a slot map far out in them:
    // the read fails as short before any buffer is allocated for it.
    let mut image = ImageBuilder::new().build().unwrap();
    let sb = 2 * 4096;
    image.bytes[sb + 0x14..sb + 0x18].copy_from_slice(&u32::MAX.to_le_bytes());
    let slot_map_extent = 6 * 4096 + 0xD8;
    image.bytes[slot_map_extent..slot_map_extent + 8].copy_from_slice(&(1u64 << 31).to_le_bytes());
    let volume = Volume::open(&image.bytes, OpenOptions::new()).unwrap();
    let err = volume.slot_map().unwrap_err();
    assert!(
        matches!(err, SlotMapError::Read(ReadError::ShortRead { got: 0, .. })),
        "{err:?}"
    );

    // A device declared smaller than the image is read no further than declared: the
    // superblock fits, the system directory does not.
    let image = ImageBuilder::new().build().unwrap();
    let small = WithSize::new(&image.bytes, 3 * 4096);
    assert!(quick_detect(&small).unwrap().is_some());
    let volume = Volume::open(small, OpenOptions::new()).unwrap();
    let err = volume.slot_map().unwrap_err();
    assert!(
        matches!(err, SlotMapError::Read(ReadError::ShortRead { got: 0, .. })),
        "{err:?}"
    );
}

/// A device that fails every read, or claims to have read more than it was asked.
#[derive(Debug)]
struct Broken {
    lie: bool,
}

impl ReadAt for Broken {
    fn read_at(&self, _offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        if self.lie {
            Ok(buf.len() + 100)
        } else {
            Err(io::Error::other("medium error"))
        }
    }
}

#[test]
fn failing_and_lying_devices() {
    let err = quick_detect(&Broken { lie: false }).unwrap_err();
    assert_eq!(err.to_string(), "I/O error on channel");
    assert!(err.reason().contains("medium error"), "{}", err.reason());
    let err = Volume::open(Broken { lie: false }, OpenOptions::new()).unwrap_err();
    assert!(
        matches!(err, OpenError::Read(ReadError::Io { offset: 0, .. })),
        "{err:?}"
    );
    // A device that returns counts beyond the buffer reads as zeros, harmlessly.
    assert_eq!(quick_detect(&Broken { lie: true }).unwrap(), None);
    let err = Volume::open(Broken { lie: true }, OpenOptions::new()).unwrap_err();
    assert!(matches!(err, OpenError::BadMagic), "{err:?}");
}
