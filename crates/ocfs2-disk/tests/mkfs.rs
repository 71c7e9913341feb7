//! Cross-checks against volumes made by the real `mkfs.ocfs2` on sparse files: what our
//! reader decodes must agree with `debugfs.ocfs2` (superblock, heartbeat file, slot map,
//! heartbeat slots) and with `mounted.ocfs2 -d/-f`. Skipped when ocfs2-tools is missing.

mod common;

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions as FileOptions};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use common::{c_tool, expected_full, expected_quick, run};
use ocfs2_disk::block_check::BlockCheck;
use ocfs2_disk::image::live_slot;
use ocfs2_disk::{BlockKind, Incompat, OpenOptions, SlotMapFormat, Volume};

/// (name, size in MiB, mkfs arguments). Block sizes 512..4K, cluster sizes 4K..1M, 1 to 64
/// slots, labels up to the 63 bytes mkfs allows, every stack choice, global heartbeat,
/// heartbeat devices, both slot map formats, inline and multi-block system directories.
const PARAMETER_SETS: &[(&str, u64, &str)] = &[
    (
        "o2cb_4k",
        100,
        "-b 4K -C 4K -N 4 -L mylabel --cluster-stack=o2cb --cluster-name=prod",
    ),
    ("b512_classic_stack", 64, "-b 512 -C 4K -N 2 -J size=4M"),
    (
        "b1k_c1m_label63",
        300,
        "-b 1K -C 1M -N 8 -J size=16M \
         -L abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-",
    ),
    ("b1k_c256k_n40", 300, "-b 1K -C 256K -N 40 -J size=4M"),
    (
        "b2k_c64k_pcmk",
        300,
        "-b 2K -C 64K -N 8 --cluster-stack=pcmk --cluster-name=hacluster",
    ),
    ("local_c32k", 64, "-b 4K -C 32K -M local"),
    (
        "global_heartbeat_name16",
        100,
        "-b 4K -C 4K -N 8 --global-heartbeat --cluster-stack=o2cb \
         --cluster-name=abcdefghijklmnop",
    ),
    (
        "classic_slot_map",
        64,
        "-b 4K -N 3 --fs-features=noextended-slotmap",
    ),
    (
        "b512_n64_multiblock_dir",
        300,
        "-b 512 -C 4K -N 64 -J size=4M",
    ),
    (
        "b2k_c128k_n33_o2cb",
        300,
        "-b 2K -C 128K -N 33 -J size=4M --cluster-stack=o2cb --cluster-name=big",
    ),
    ("heartbeat_device_b1k", 2, "-H -b 1K -C 4K -N 1"),
    ("heartbeat_device_b512", 4, "-H -b 512 -C 4K"),
    ("max_compat", 64, "--fs-feature-level=max-compat -b 4K -N 4"),
    (
        "no_inline_no_indexed_n16",
        100,
        "--fs-features=noinline-data,noindexed-dirs -b 4K -N 16",
    ),
    ("metaecc", 64, "--fs-features=metaecc -b 4K -N 2"),
    ("c1m_n1", 300, "-b 4K -C 1M -N 1"),
];

#[test]
fn reader_agrees_with_the_c_tools_on_mkfs_volumes() {
    let (Some(mkfs), Some(debugfs), Some(mounted)) = (
        c_tool("mkfs.ocfs2"),
        c_tool("debugfs.ocfs2"),
        c_tool("mounted.ocfs2"),
    ) else {
        eprintln!(
            "skipping: mkfs.ocfs2, debugfs.ocfs2 or mounted.ocfs2 (ocfs2-tools) is not installed"
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    for &(name, mib, args) in PARAMETER_SETS {
        let path = make_volume(&mkfs, dir.path(), name, mib, args);
        let device = path.to_str().unwrap();
        let c = CTools {
            debugfs: &debugfs,
            device,
        };
        check_superblock(name, &c, &path);
        check_heartbeat(name, &c, &path);
        check_slot_map(name, &c, &path);
        check_mounted(name, &mounted, &path);
        std::fs::remove_file(&path).unwrap();
    }
}

/// A sparse file of `mib` MiB in `dir`, formatted by `mkfs.ocfs2 -F -q ARGS`.
fn make_volume(mkfs: &Path, dir: &Path, name: &str, mib: u64, args: &str) -> PathBuf {
    let path = dir.join(format!("{name}.img"));
    File::create(&path).unwrap().set_len(mib << 20).unwrap();
    let device = path.to_str().unwrap();
    let args: Vec<&str> = args.split_whitespace().collect();
    let out = run(mkfs, &[&["-F", "-q"], &args[..], &[device]].concat());
    assert!(out.status.success(), "{name}: mkfs failed: {out:?}");
    path
}

struct CTools<'a> {
    debugfs: &'a Path,
    device: &'a str,
}

impl CTools<'_> {
    fn debugfs(&self, request: &str) -> String {
        let out = run(self.debugfs, &["-R", request, self.device]);
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

fn open(path: &Path) -> Volume<File> {
    let file = File::open(path).unwrap();
    Volume::open(file, OpenOptions::new().allow_heartbeat_device(true)).unwrap()
}

/// `debugfs.ocfs2 -R stats` as key/value pairs (`Key: value` parts separated by 3 spaces).
fn stats(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .flat_map(|line| line.trim_start_matches('\t').split("   "))
        .filter_map(|part| part.split_once(": "))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect()
}

fn check_superblock(name: &str, c: &CTools<'_>, path: &Path) {
    let volume = open(path);
    let sb = volume.superblock();
    let stats = stats(&c.debugfs("stats"));
    let field = |key: &str| {
        stats
            .get(key)
            .unwrap_or_else(|| panic!("{name}: no {key}"))
            .as_str()
    };
    let bits_and_names = |bits: u32, names: String| format!("{bits} {names}").trim().to_owned();
    assert_eq!(field("UUID"), ocfs2_disk::uuid_hex(&sb.uuid()), "{name}");
    assert_eq!(field("Label"), sb.label().to_string(), "{name}");
    assert_eq!(field("Revision"), format!("0.{}", sb.minor_rev()), "{name}");
    assert_eq!(
        field("Max Node Slots"),
        sb.max_slots().to_string(),
        "{name}"
    );
    assert_eq!(
        field("Block Size Bits"),
        sb.block_size().bits().to_string(),
        "{name}"
    );
    assert_eq!(
        field("Cluster Size Bits"),
        sb.cluster_size_bits().to_string(),
        "{name}"
    );
    assert_eq!(field("Clusters"), sb.clusters().to_string(), "{name}");
    assert_eq!(
        field("Root Blknum"),
        sb.root_dir_blkno().to_string(),
        "{name}"
    );
    assert_eq!(
        field("System Dir Blknum"),
        sb.system_dir_blkno().to_string(),
        "{name}"
    );
    let compat = bits_and_names(sb.compat().bits(), sb.compat().to_string());
    assert_eq!(field("Feature Compat"), compat, "{name}");
    let incompat = bits_and_names(sb.incompat().bits(), sb.incompat().to_string());
    assert_eq!(field("Feature Incompat"), incompat, "{name}");
    let ro_compat = bits_and_names(sb.ro_compat().bits(), sb.ro_compat().to_string());
    assert_eq!(field("Feature RO compat"), ro_compat, "{name}");
    match sb.cluster_info() {
        None => assert_eq!(field("Cluster stack"), "classic o2cb", "{name}"),
        Some(info) => {
            assert_eq!(field("Cluster stack"), info.stack_lossy(), "{name}");
            assert_eq!(field("Cluster name"), info.cluster_lossy(), "{name}");
            let flags = bits_and_names(info.flags().bits().into(), info.flags().to_string());
            assert_eq!(field("Cluster flags"), flags, "{name}");
        }
    }
}

/// The heartbeat inode and its one extent, as debugfs shows them, and the region we derive.
fn check_heartbeat(name: &str, c: &CTools<'_>, path: &Path) {
    let volume = open(path);
    let sb = volume.superblock();
    let inode = volume.system_file_blkno("heartbeat").unwrap();
    let stat = c.debugfs(&format!("stat <{inode}>"));
    assert!(
        stat.contains("Flags: Valid System Heartbeat"),
        "{name}: {stat}"
    );
    // debugfs cannot read the inline system directory mkfs writes on some heartbeat
    // devices (inline data without the inline-data feature); elsewhere its lookup must
    // find the same inode, and its `hb` command the slots we read.
    let by_name = c.debugfs("stat //heartbeat");
    let debugfs_finds_it = by_name.contains("Inode: ");
    assert!(
        debugfs_finds_it || sb.is_heartbeat_device(),
        "{name}: {by_name}"
    );
    if debugfs_finds_it {
        assert!(
            by_name.contains(&format!("Inode: {inode} ")),
            "{name}: {by_name}"
        );
    }
    // The extent table's single row: index, offset, clusters, block, flags.
    let row: Vec<u64> = stat
        .lines()
        .skip_while(|l| !l.contains("## Offset"))
        .nth(1)
        .unwrap_or_else(|| panic!("{name}: no extent in {stat}"))
        .split_whitespace()
        .take(4)
        .map(|n| n.parse().unwrap())
        .collect();
    let (clusters, blkno) = (row[2], row[3]);
    let block_size = u64::from(sb.block_size().bytes());
    let region = volume.heartbeat_region(512).unwrap();
    assert_eq!(region.start_block(), blkno * block_size / 512, "{name}");
    assert_eq!(
        (region.block_bytes(), region.blocks()),
        (512, 255),
        "{name}"
    );
    assert_eq!(region.name(), ocfs2_disk::uuid_hex(&sb.uuid()), "{name}");
    assert!(
        clusters * u64::from(sb.cluster_size()) >= 256 * block_size,
        "{name}"
    );
    if block_size == 4096 {
        let region = volume.heartbeat_region(4096).unwrap();
        assert_eq!(region.start_block(), blkno, "{name}");
    } else {
        volume.heartbeat_region(4096).unwrap_err();
    }

    // A live slot written where the region says node 5 lives: debugfs must see it there.
    let slot = live_slot(5);
    let offset = region.slot_offset(5).unwrap();
    let file = FileOptions::new().write(true).open(path).unwrap();
    file.write_all_at(&slot.encode(512).unwrap(), offset)
        .unwrap();
    let read = volume.read_heartbeat_slot(&region, 5).unwrap();
    assert!(read.checksum_valid && read.is_written(), "{name}");
    let want = format!(
        "\t   5: {:>4} {:016x} {:016x} {:08x} {:>6}\n",
        read.node, read.seq, read.generation, read.checksum, read.dead_ms
    );
    if debugfs_finds_it {
        let hb = c.debugfs("hb");
        assert!(
            hb.ends_with(&want),
            "{name}: debugfs says\n{hb}we say\n{want}"
        );
    }
}

/// Occupies some slots by writing the slot map where debugfs says it is, then compares
/// our decoding with `debugfs -R slotmap`.
fn check_slot_map(name: &str, c: &CTools<'_>, path: &Path) {
    let volume = open(path);
    let sb = volume.superblock();
    if sb.is_heartbeat_device() {
        return;
    }
    let max_slots = sb.max_slots();
    let format = SlotMapFormat::for_features(sb.incompat());
    let stat = c.debugfs("stat //slot_map");
    let data_blkno: u64 = stat
        .lines()
        .skip_while(|l| !l.contains("## Offset"))
        .nth(1)
        .and_then(|row| row.split_whitespace().nth(3))
        .unwrap_or_else(|| panic!("{name}: no slot map extent in {stat}"))
        .parse()
        .unwrap();
    // Slot s holds node 3s+1 for every third slot.
    let occupied: Vec<(u16, u32)> = (0..max_slots)
        .step_by(3)
        .map(|s| (s, 3 * u32::from(s) + 1))
        .collect();
    let mut data = vec![0u8; usize::from(max_slots) * format.entry_len()];
    for slot in 0..max_slots {
        let node = occupied.iter().find(|o| o.0 == slot).map(|o| o.1);
        let entry = &mut data[usize::from(slot) * format.entry_len()..][..format.entry_len()];
        match (format, node) {
            (SlotMapFormat::Classic, Some(n)) => entry.copy_from_slice(&(n as u16).to_le_bytes()),
            (SlotMapFormat::Classic, None) => entry.copy_from_slice(&[0xFF, 0xFF]),
            (SlotMapFormat::Extended, Some(n)) => {
                entry[0] = 1;
                entry[4..8].copy_from_slice(&n.to_le_bytes());
            }
            (SlotMapFormat::Extended, None) => {}
        }
    }
    let offset = data_blkno * u64::from(sb.block_size().bytes());
    let file = FileOptions::new().write(true).open(path).unwrap();
    file.write_all_at(&data, offset).unwrap();

    let map = volume.slot_map().unwrap();
    assert_eq!(map.len(), usize::from(max_slots), "{name}");
    assert_eq!(map.occupied().collect::<Vec<_>>(), occupied, "{name}");
    let shown: Vec<(u16, u32)> = c
        .debugfs("slotmap")
        .lines()
        .skip(1)
        .map(|l| {
            let mut n = l.split_whitespace().map(|n| n.parse().unwrap());
            (n.next().unwrap() as u16, n.next().unwrap())
        })
        .collect();
    assert_eq!(shown, occupied, "{name}: debugfs slotmap");
}

fn check_mounted(name: &str, mounted: &Path, path: &Path) {
    let device = path.to_str().unwrap();
    let quick = run(mounted, &["-d", device]);
    let file = File::open(path).unwrap();
    assert_eq!(
        String::from_utf8_lossy(&quick.stdout),
        expected_quick(device, &file),
        "{name}: -d"
    );
    let full = run(mounted, &["-f", device]);
    let (out, err) = expected_full(device, &file);
    assert_eq!(String::from_utf8_lossy(&full.stdout), out, "{name}: -f");
    assert_eq!(
        String::from_utf8_lossy(&full.stderr),
        err,
        "{name}: -f stderr"
    );
}

/// `META_ECC` volumes of every block size, with inline and block directories, indexed or
/// not, and several cluster sizes.
const META_ECC_SETS: &[(&str, u64, &str)] = &[
    (
        "b512_noinline_n16",
        100,
        "-b 512 -C 4K -N 16 -J size=4M --fs-features=metaecc,noinline-data",
    ),
    (
        "b1k_c8k_noinline",
        100,
        "-b 1K -C 8K -N 8 -J size=4M --fs-features=metaecc,noinline-data",
    ),
    (
        "b2k_c64k_o2cb",
        300,
        "-b 2K -C 64K -N 8 --cluster-stack=o2cb --cluster-name=prod --fs-features=metaecc",
    ),
    (
        "b4k_noindexed",
        64,
        "-b 4K -N 4 --fs-features=metaecc,noinline-data,noindexed-dirs",
    ),
    (
        "b4k_c1m",
        300,
        "-b 4K -C 1M -N 2 -J size=16M --fs-features=metaecc",
    ),
];

/// Our CRC32 and Hamming code reproduce what `mkfs.ocfs2` stored in every metadata block
/// it wrote, of every kind (superblock, inodes, group descriptors, directory blocks), and
/// the reader opens these volumes with the checks verified.
#[test]
fn block_checks_reproduce_what_mkfs_wrote() {
    let Some(mkfs) = c_tool("mkfs.ocfs2") else {
        eprintln!("skipping: mkfs.ocfs2 (ocfs2-tools) is not installed");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut total: BTreeMap<String, usize> = BTreeMap::new();
    for &(name, mib, args) in META_ECC_SETS {
        let path = make_volume(&mkfs, dir.path(), name, mib, args);
        let volume = open(&path);
        let block_len = volume.superblock().block_size().bytes() as usize;
        assert!(volume.superblock().incompat().contains(Incompat::META_ECC));
        volume.slot_map().unwrap();
        volume.heartbeat_region(512).unwrap();

        let file = File::open(&path).unwrap();
        let mut chunk = vec![0u8; 1 << 20];
        let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
        for start in (0..mib << 20).step_by(chunk.len()) {
            file.read_exact_at(&mut chunk, start).unwrap();
            for (i, block) in chunk.chunks_exact(block_len).enumerate() {
                let Some(kind) = BlockKind::of_block(block) else {
                    continue;
                };
                let at = kind.check_offset(block_len);
                let blkno = start / block_len as u64 + i as u64;
                assert_eq!(
                    BlockCheck::stored(block, at),
                    BlockCheck::compute(block, at),
                    "{name}: block {blkno} ({kind})"
                );
                *kinds.entry(kind.to_string()).or_default() += 1;
            }
        }
        for kind in ["superblock", "inode", "group descriptor"] {
            assert!(kinds.contains_key(kind), "{name}: no {kind} in {kinds:?}");
        }
        if args.contains("noinline-data") {
            assert!(kinds.contains_key("directory block"), "{name}: {kinds:?}");
        }
        for (kind, n) in kinds {
            *total.entry(kind).or_default() += n;
        }
        std::fs::remove_file(&path).unwrap();
    }
    eprintln!("blocks whose stored check we reproduced: {total:?}");
}
