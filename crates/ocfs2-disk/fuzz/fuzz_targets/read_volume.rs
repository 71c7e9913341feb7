//! Everything the reader does, on arbitrary bytes taken as the start of a 4 MiB device
//! whose rest is zero (so seeds can be builder images with their zero tail cut off).
//!
//! Run: `cargo +nightly fuzz run read_volume corpus/read_volume seeds/read_volume --
//! -max_len=135000` (the largest seed is 131 KiB).
#![no_main]

use std::io;

use libfuzzer_sys::fuzz_target;
use ocfs2_disk::{
    block_check, detect_in, quick_detect, BlockKind, HeartbeatSlot, Incompat, OpenOptions, ReadAt,
    SlotMap, SlotMapFormat, Volume,
};

const DEVICE_SIZE: u64 = 4 << 20;

/// The input, zero-extended to `DEVICE_SIZE`. Odd-length inputs hide the size, to also
/// run the paths where the reader cannot know it in advance.
struct ZeroTail<'a>(&'a [u8]);

impl ReadAt for ZeroTail<'_> {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        let size = DEVICE_SIZE.max(self.0.len() as u64);
        let n = size.saturating_sub(offset).min(buf.len() as u64) as usize;
        buf[..n].fill(0);
        if let Ok(start) = usize::try_from(offset) {
            if let Some(data) = self.0.get(start..) {
                let m = data.len().min(n);
                buf[..m].copy_from_slice(&data[..m]);
            }
        }
        Ok(n)
    }

    fn size_hint(&self) -> Option<u64> {
        (self.0.len() % 2 == 0).then(|| DEVICE_SIZE.max(self.0.len() as u64))
    }
}

fuzz_target!(|data: &[u8]| {
    let dev = ZeroTail(data);
    let quick = quick_detect(&dev).expect("reads from memory do not fail");
    if data.len() >= ocfs2_disk::QUICK_DETECT_LEN {
        assert_eq!(quick, detect_in(data));
    }
    let _ = HeartbeatSlot::decode(data);
    let _ = SlotMap::decode(SlotMapFormat::Classic, 255, data);

    let Ok(volume) = Volume::open(&dev, OpenOptions::new().allow_heartbeat_device(true)) else {
        return;
    };
    let sb = volume.superblock();
    // A volume that opens has a superblock quick detect also finds, with the same fields
    // once a bit the block check repaired is repaired for quick detect too (it verifies
    // nothing, like `mounted.ocfs2 -d`).
    let quick = quick.expect("an opened volume has a signature");
    let quick = if sb.incompat().contains(Incompat::META_ECC) {
        let at = quick.superblock_offset() as usize;
        let mut head = vec![0u8; at + sb.block_size().bytes() as usize];
        let _ = dev.read_at(0, &mut head);
        block_check::verify(&mut head[at..], BlockKind::Superblock).expect("the open verified it");
        detect_in(&head).expect("still a signature")
    } else {
        quick
    };
    assert_eq!(quick.uuid(), sb.uuid());
    assert_eq!(quick.label(), sb.label());
    assert_eq!(quick.stack(), sb.stack());
    assert_eq!(quick.block_size(), sb.block_size());
    assert!((12..=20).contains(&sb.cluster_size_bits()));
    assert!(sb.max_slots() <= 255);

    for sector in [512, 4096] {
        if let Ok(region) = volume.heartbeat_region(sector) {
            assert_eq!(region.blocks(), 255);
            assert_eq!(region.block_bytes(), sector);
            for node in [0, 3, 254] {
                let _ = volume.read_heartbeat_slot(&region, node);
            }
        }
    }
    if let Ok(map) = volume.slot_map() {
        assert_eq!(map.len(), usize::from(sb.max_slots()));
        assert!(map.occupied().all(|(slot, _)| slot < sb.max_slots()));
    }
    let _ = volume.system_file_blkno("journal:0000");
});
