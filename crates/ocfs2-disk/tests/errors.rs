//! Every failure the reader reports, from deliberately broken fixture images: the message
//! (snapshotted) and, where a C tool reports the same failure, the same text as the C tool.

mod common;

use std::fmt::Write as _;

use common::{c_tool, expected_full, run};
use ocfs2_disk::image::{ClusterStack, Image, ImageBuilder, SystemDirLayout};
use ocfs2_disk::{quick_detect, BlockSize, OpenOptions, Volume};

/// Offsets of the fields the cases corrupt (docs/ocfs2-tools-reference.md §8.2, §8.3, §8.5, §8.6).
const I_SIZE: u64 = 0x20;
const I_MODE: u64 = 0x28;
const I_FLAGS: u64 = 0x2C;
const I_BLKNO: u64 = 0x50;
const I_DYN_FEATURES: u64 = 0x76;
const L_TREE_DEPTH: u64 = 0xC0;
const L_NEXT_FREE_REC: u64 = 0xC4;
const REC0_LEAF_CLUSTERS: u64 = 0xD4;
const REC0_BLKNO: u64 = 0xD8;
const S_INCOMPAT: u64 = 0xE0;
const S_ROOT: u64 = 0xE8;
const S_SYSDIR: u64 = 0xF0;
const S_BLOCKSIZE_BITS: u64 = 0xF8;
const S_CLUSTERSIZE_BITS: u64 = 0xFC;
const S_MAX_SLOTS: u64 = 0x100;
const DIRENT_REC_LEN: u64 = 8;

/// Writes `bytes` at byte `offset` of block `blkno`.
fn patch(image: &mut Image, blkno: u64, offset: u64, bytes: &[u8]) {
    let at = (blkno * u64::from(image.layout.block_size.bytes()) + offset) as usize;
    image.bytes[at..at + bytes.len()].copy_from_slice(bytes);
}

fn recipe() -> Image {
    ImageBuilder::new().slot(0, 3).slot(2, 12).build().unwrap()
}

fn with(f: impl FnOnce(&mut Image)) -> Image {
    let mut image = recipe();
    f(&mut image);
    image
}

fn open_cases() -> Vec<(&'static str, Vec<u8>)> {
    let sb = |offset: u64, bytes: &[u8]| {
        let bytes = bytes.to_vec();
        with(move |img| patch(img, 2, offset, &bytes)).bytes
    };
    vec![
        (
            "ocfs1_major_version",
            with(|img| patch(img, 0, 4, &2u32.to_le_bytes())).bytes,
        ),
        (
            "ocfs1_signature",
            with(|img| patch(img, 0, 8, b"OracleCFS")).bytes,
        ),
        ("no_signature", vec![0u8; 1 << 20]),
        ("truncated_block_0", recipe().bytes[..100].to_vec()),
        (
            "truncated_before_superblock",
            recipe().bytes[..8192 + 100].to_vec(),
        ),
        ("incompat_bit_0", sb(S_INCOMPAT, &0x4101u32.to_le_bytes())),
        (
            "incompat_unknown_high_bit",
            ImageBuilder::new()
                .extra_incompat(0x1_0000)
                .build()
                .unwrap()
                .bytes,
        ),
        (
            "zero_blocksize_bits",
            sb(S_BLOCKSIZE_BITS, &0u32.to_le_bytes()),
        ),
        ("superblock_blkno_3", sb(I_BLKNO, &3u64.to_le_bytes())),
        (
            "clustersize_bits_11",
            sb(S_CLUSTERSIZE_BITS, &11u32.to_le_bytes()),
        ),
        (
            "clustersize_bits_21",
            sb(S_CLUSTERSIZE_BITS, &21u32.to_le_bytes()),
        ),
        ("zero_root_dir", sb(S_ROOT, &0u64.to_le_bytes())),
        ("zero_system_dir", sb(S_SYSDIR, &0u64.to_le_bytes())),
        ("max_slots_256", sb(S_MAX_SLOTS, &256u16.to_le_bytes())),
        (
            "blocksize_bits_11_at_4k",
            sb(S_BLOCKSIZE_BITS, &11u32.to_le_bytes()),
        ),
        (
            "blocksize_bits_13_at_4k",
            sb(S_BLOCKSIZE_BITS, &13u32.to_le_bytes()),
        ),
        (
            "blocksize_bits_u32_max",
            sb(S_BLOCKSIZE_BITS, &u32::MAX.to_le_bytes()),
        ),
    ]
}

#[test]
fn open_errors() {
    let dir = tempfile::tempdir().unwrap();
    let debugfs = c_tool("debugfs.ocfs2");
    let mut report = String::new();
    for (name, bytes) in open_cases() {
        let err =
            Volume::open(&bytes, OpenOptions::new().allow_heartbeat_device(true)).expect_err(name);
        writeln!(report, "{name}: {err} ({})", err.reason()).unwrap();
        // Quick detect validates nothing but the signature: it still lists these.
        let listed = quick_detect(&bytes).unwrap().is_some();
        let has_signature = !matches!(
            name,
            "no_signature" | "truncated_block_0" | "truncated_before_superblock"
        );
        assert_eq!(listed, has_signature, "{name}");

        let Some(debugfs) = &debugfs else { continue };
        let path = dir.path().join(format!("{name}.img"));
        std::fs::write(&path, &bytes).unwrap();
        let out = run(debugfs, &["-R", "stats", path.to_str().unwrap()]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let want = format!("open: {err} while opening context for device");
        if name.starts_with("truncated") {
            // libocfs2 reports the short device differently; ours names the short read.
            assert!(stderr.starts_with("open: "), "{name}: {stderr}");
        } else {
            assert!(
                stderr.starts_with(&want),
                "{name}: C says {stderr:?}, we say {want:?}"
            );
        }
    }
    insta::assert_snapshot!(report);
}

/// libocfs2 refuses heartbeat devices unless the caller allows them; fsck.ocfs2 does not.
#[test]
fn heartbeat_device_is_refused_unless_allowed() {
    let image = ImageBuilder::new()
        .heartbeat_device(true)
        .stack(ClusterStack::O2cb {
            cluster: b"prod".to_vec(),
            global_heartbeat: true,
        })
        .build()
        .unwrap();
    let err = Volume::open(&image.bytes, OpenOptions::new()).unwrap_err();
    insta::assert_snapshot!(
        format!("{err} ({}) [{err:?}]", err.reason()),
        @"Unsupported feature(s) found (the volume is a heartbeat device) [HeartbeatDevice]"
    );
    let volume = Volume::open(
        &image.bytes,
        OpenOptions::new().allow_heartbeat_device(true),
    );
    assert!(volume.unwrap().superblock().is_heartbeat_device());

    let Some(fsck) = c_tool("fsck.ocfs2") else {
        eprintln!("skipping the C comparison: fsck.ocfs2 is not installed");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hb.img");
    std::fs::write(&path, &image.bytes).unwrap();
    let out = run(&fsck, &["-n", path.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("fsck.ocfs2: {err} while opening")),
        "{stderr}"
    );
}

/// Broken system directories and system files. The slot map is what `mounted.ocfs2 -f`
/// loads, so for these its `Unknown: <text>` must match ours.
fn metadata_cases() -> Vec<(&'static str, Image)> {
    let depth_1 = || {
        ImageBuilder::new()
            .slot(0, 3)
            .system_dir(SystemDirLayout::Extents { depth: 1 })
            .build()
            .unwrap()
    };
    let dir_block = |img: &Image| img.layout.system_dir_blocks[0];
    vec![
        (
            "slot_map_entry_renamed",
            with(|img| patch(img, dir_block(img), 32 + 12 + 7, b"X")),
        ),
        (
            "slot_map_inode_signature",
            with(|img| patch(img, 6, 0, b"INODE02")),
        ),
        (
            "slot_map_inode_not_valid",
            with(|img| patch(img, 6, I_FLAGS, &0x10u32.to_le_bytes())),
        ),
        (
            "slot_map_inode_wrong_blkno",
            with(|img| patch(img, 6, I_BLKNO, &9u64.to_le_bytes())),
        ),
        (
            "slot_map_without_extents",
            with(|img| patch(img, 6, L_NEXT_FREE_REC, &[0, 0])),
        ),
        (
            "slot_map_extent_past_volume",
            with(|img| patch(img, 6, REC0_BLKNO, &1_000_000u64.to_le_bytes())),
        ),
        (
            "slot_map_short_i_size",
            with(|img| patch(img, 6, I_SIZE, &31u64.to_le_bytes())),
        ),
        (
            "system_dir_signature",
            with(|img| patch(img, 4, 0, b"INODE02")),
        ),
        (
            "system_dir_is_a_file",
            with(|img| patch(img, 4, I_MODE, &0o100_644u16.to_le_bytes())),
        ),
        (
            "system_dir_empty",
            with(|img| patch(img, 4, I_SIZE, &0u64.to_le_bytes())),
        ),
        (
            "dirent_rec_len_0",
            with(|img| patch(img, dir_block(img), DIRENT_REC_LEN, &0u16.to_le_bytes())),
        ),
        (
            "dirent_rec_len_13",
            with(|img| patch(img, dir_block(img), DIRENT_REC_LEN, &13u16.to_le_bytes())),
        ),
        (
            "dirent_rec_len_past_block",
            with(|img| patch(img, dir_block(img), DIRENT_REC_LEN, &8192u16.to_le_bytes())),
        ),
        (
            "dirent_name_longer_than_record",
            with(|img| patch(img, dir_block(img), 10, &[200])),
        ),
        (
            "system_dir_depth_1_without_extent_block",
            with(|img| patch(img, 4, L_TREE_DEPTH, &1u16.to_le_bytes())),
        ),
        ("extent_block_signature", {
            let mut img = depth_1();
            let eb = img.layout.extent_blocks[0];
            patch(&mut img, eb, 0, b"EXBLK02");
            img
        }),
        ("extent_block_wrong_blkno", {
            let mut img = depth_1();
            let eb = img.layout.extent_blocks[0];
            patch(&mut img, eb, 0x18, &0u64.to_le_bytes());
            img
        }),
        ("extent_block_depth_mismatch", {
            let mut img = depth_1();
            let eb = img.layout.extent_blocks[0];
            patch(&mut img, eb, 0x30, &1u16.to_le_bytes());
            img
        }),
        (
            "extent_tree_too_deep",
            with(|img| patch(img, 4, L_TREE_DEPTH, &6u16.to_le_bytes())),
        ),
        (
            "system_dir_absurd_size",
            with(|img| patch(img, 4, I_SIZE, &(1u64 << 40).to_le_bytes())),
        ),
        (
            "system_dir_hole",
            with(|img| patch(img, 4, 0xD0, &5u32.to_le_bytes())),
        ),
        (
            "extent_records_overflow_block",
            with(|img| patch(img, 4, L_NEXT_FREE_REC, &244u16.to_le_bytes())),
        ),
    ]
}

/// Whether the C tool's message for this case is one of ours (the rest are failures the C
/// tool reports differently or not at all; see each variant's documentation).
fn c_says_the_same(name: &str) -> bool {
    !matches!(
        name,
        "slot_map_inode_wrong_blkno"
            | "slot_map_extent_past_volume"
            | "extent_block_depth_mismatch"
            | "extent_tree_too_deep"
            | "system_dir_absurd_size"
            | "system_dir_hole"
            | "extent_records_overflow_block"
    )
}

#[test]
fn metadata_errors() {
    let mounted = c_tool("mounted.ocfs2");
    let dir = tempfile::tempdir().unwrap();
    let mut report = String::new();
    for (name, image) in metadata_cases() {
        let volume = Volume::open(&image.bytes, OpenOptions::new()).expect(name);
        let err = volume.slot_map().expect_err(name);
        writeln!(report, "{name}: {err} ({})", err.reason()).unwrap();

        let Some(mounted) = &mounted else { continue };
        if !c_says_the_same(name) {
            continue;
        }
        let path = dir.path().join(format!("{name}.img"));
        std::fs::write(&path, &image.bytes).unwrap();
        let device = path.to_str().unwrap();
        let out = run(mounted, &["-f", device]);
        let (want_out, want_err) = expected_full(device, &image.bytes);
        assert_eq!(String::from_utf8_lossy(&out.stdout), want_out, "{name}");
        assert_eq!(String::from_utf8_lossy(&out.stderr), want_err, "{name}");
    }
    insta::assert_snapshot!(report);
}

#[test]
fn heartbeat_errors() {
    // Each case corrupts one field of the heartbeat inode (block 7).
    let hb = |offset: u64, bytes: &[u8]| with(|img| patch(img, 7, offset, bytes));
    let block_1k = ImageBuilder::new().block_size(BlockSize::B1K).build();
    let cases: Vec<(&str, Image, u32)> = vec![
        ("sector_size_0", recipe(), 0),
        ("sector_size_1000", recipe(), 1000),
        ("sector_size_256", recipe(), 256),
        ("block_smaller_than_sector", block_1k.unwrap(), 4096),
        ("inline_heartbeat", hb(I_DYN_FEATURES, &[1, 0]), 512),
        ("tree_depth_1", hb(L_TREE_DEPTH, &[1, 0]), 512),
        ("two_extents", hb(L_NEXT_FREE_REC, &[2, 0]), 512),
        ("no_extent", hb(L_NEXT_FREE_REC, &[0, 0]), 512),
        (
            "254_blocks",
            hb(REC0_LEAF_CLUSTERS, &254u16.to_le_bytes()),
            512,
        ),
        (
            "extent_past_volume",
            hb(REC0_BLKNO, &1000u64.to_le_bytes()),
            512,
        ),
        (
            "extent_blkno_overflows",
            hb(REC0_BLKNO, &u64::MAX.to_le_bytes()),
            512,
        ),
        (
            "heartbeat_entry_missing",
            with(|img| patch(img, 5, 52 + 12, b"H")),
            512,
        ),
    ];
    let mut report = String::new();
    for (name, image, sector_size) in cases {
        let volume = Volume::open(&image.bytes, OpenOptions::new()).expect(name);
        let err = volume.heartbeat_region(sector_size).expect_err(name);
        writeln!(report, "{name}: {err} ({}) [{err:?}]", err.reason()).unwrap();
    }
    // Exactly 255 blocks is enough.
    let exact = hb(REC0_LEAF_CLUSTERS, &255u16.to_le_bytes());
    let volume = Volume::open(&exact.bytes, OpenOptions::new()).unwrap();
    assert_eq!(volume.heartbeat_region(512).unwrap().blocks(), 255);
    // A node number without a slot.
    let region = volume.heartbeat_region(512).unwrap();
    let err = volume.read_heartbeat_slot(&region, 255).unwrap_err();
    writeln!(report, "read_slot_255: {err}").unwrap();
    insta::assert_snapshot!(report);
}
