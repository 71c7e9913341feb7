//! The fixture variants of docs/ocfs2-tools-reference.md §8.9: what our reader decodes from
//! each (snapshots), and agreement with the real `mounted.ocfs2` and `debugfs.ocfs2` on the
//! same images.

mod common;

use common::{c_tool, describe, expected_full, expected_quick, run};
use ocfs2_disk::image::{live_slot, variants, ImageBuilder};
use ocfs2_disk::{OpenOptions, Volume};

#[test]
fn reader_decodes_every_variant() {
    for (name, builder) in variants() {
        let image = builder.build().unwrap_or_else(|e| panic!("{name}: {e}"));
        insta::assert_snapshot!(name, describe(&image.bytes));
    }
}

#[test]
fn recipe_layout_is_the_specs() {
    let image = ImageBuilder::new().build().unwrap();
    let l = &image.layout;
    assert_eq!(image.bytes.len(), 4 << 20);
    assert_eq!((l.root_dir_blkno, l.system_dir_blkno), (3, 4));
    assert_eq!(l.system_dir_blocks, [5]);
    assert_eq!((l.slot_map_inode, l.slot_map_blkno), (6, 8));
    assert_eq!(
        (l.heartbeat_inode, l.heartbeat_blkno, l.heartbeat_clusters),
        (7, 16, 256)
    );
    // "region parameters for a 512-byte-sector backing file: block_bytes 512, start_block
    // 128, blocks 255"
    let volume = Volume::open(&image.bytes, OpenOptions::new()).unwrap();
    let region = volume.heartbeat_region(512).unwrap();
    assert_eq!(
        (region.block_bytes(), region.start_block(), region.blocks()),
        (512, 128, 255)
    );
    assert_eq!(region.name(), "7A5B5E0D1A2B4C3D9E8F0011223344AA");
    assert_eq!(volume.system_file_blkno("slot_map").unwrap(), 6);
}

#[test]
fn mounted_ocfs2_agrees_on_every_variant() {
    let Some(mounted) = c_tool("mounted.ocfs2") else {
        eprintln!("skipping: mounted.ocfs2 (ocfs2-tools) is not installed");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    for (name, builder) in variants() {
        let image = builder.build().unwrap();
        let path = dir.path().join(format!("{name}.img"));
        std::fs::write(&path, &image.bytes).unwrap();
        let device = path.to_str().unwrap();

        let quick = run(&mounted, &["-d", device]);
        assert!(quick.status.success(), "{name}: {quick:?}");
        let want = expected_quick(device, &image.bytes);
        let got = String::from_utf8_lossy(&quick.stdout);
        if name == "full_label" {
            // The C tool prints a 64-byte label past its end, into the UUID bytes; we stop
            // at 64 (reference §7.3 Oddity).
            let want = want.trim_end_matches('\n');
            assert!(got.starts_with(want), "{name}:\n{got}\n{want}");
            assert!(
                got.len() > want.len() + 1,
                "{name}: the overrun is gone?\n{got}"
            );
        } else {
            assert_eq!(got, want, "{name}: mounted.ocfs2 -d");
        }

        let full = run(&mounted, &["-f", device]);
        assert!(full.status.success(), "{name}: {full:?}");
        let (want_out, want_err) = expected_full(device, &image.bytes);
        assert_eq!(
            String::from_utf8_lossy(&full.stdout),
            want_out,
            "{name}: -f stdout"
        );
        assert_eq!(
            String::from_utf8_lossy(&full.stderr),
            want_err,
            "{name}: -f stderr"
        );
    }
}

/// `debugfs.ocfs2 -R hb` prints `node: node seq generation checksum deadms` for each slot
/// that was written; our decoding must agree, checksum included.
#[test]
fn debugfs_agrees_on_heartbeat_slots() {
    let Some(debugfs) = c_tool("debugfs.ocfs2") else {
        eprintln!("skipping: debugfs.ocfs2 (ocfs2-tools) is not installed");
        return;
    };
    let image = ImageBuilder::new()
        .heartbeat_slot(live_slot(3))
        .heartbeat_slot(live_slot(254))
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hb.img");
    std::fs::write(&path, &image.bytes).unwrap();
    let out = run(&debugfs, &["-R", "hb", path.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout);

    let volume = Volume::open(&image.bytes, OpenOptions::new()).unwrap();
    let region = volume.heartbeat_region(512).unwrap();
    let mut want = String::from("\tnode: node              seq       generation checksum deadms\n");
    for node in 0..255 {
        let slot = volume.read_heartbeat_slot(&region, node).unwrap();
        if slot.is_written() {
            assert!(slot.checksum_valid, "node {node}");
            want += &format!(
                "\t{node:>4}: {:>4} {:016x} {:016x} {:08x} {:>6}\n",
                slot.node, slot.seq, slot.generation, slot.checksum, slot.dead_ms
            );
        }
    }
    assert_eq!(text, want);
}
