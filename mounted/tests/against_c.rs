//! Our `mounted.ocfs2 -d` and `-f` against the C tool (ocfs2-tools 1.8.7) on the same image
//! files: stdout, stderr and exit status byte for byte. Images come from the real
//! `mkfs.ocfs2` (block and cluster sizes, slot counts, labels up to the 63 bytes mkfs
//! allows, every stack, global heartbeat, local volumes, heartbeat devices, feature sets)
//! and from ocfs2-disk's builder (slot maps with mounted nodes in both formats, node numbers
//! beyond 254, damaged volumes). Skipped when ocfs2-tools is not installed.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use ocfs2_disk::image::{variants, ClusterStack, ImageBuilder};
use ocfs2_disk::{BlockKind, OpenOptions, SlotMapFormat, Volume};

/// The C tool: `/sbin/NAME`, or where dpkg diverted it when our package is installed over
/// ocfs2-tools (`NAME.ocfs2-tools`). Only a binary linked with com_err (the C tools are;
/// ours never are) counts, so that ours is never compared with itself.
fn c_tool(name: &str) -> Option<PathBuf> {
    ["/sbin", "/usr/sbin"]
        .iter()
        .flat_map(|d| {
            [
                Path::new(d).join(format!("{name}.ocfs2-tools")),
                Path::new(d).join(name),
            ]
        })
        .find(|p| {
            std::fs::read(p).is_ok_and(|bytes| {
                bytes
                    .windows(b"libcom_err.so".len())
                    .any(|w| w == b"libcom_err.so")
            })
        })
}

fn ours() -> &'static str {
    env!("CARGO_BIN_EXE_mounted_ocfs2")
}

fn run(program: &Path, args: &[&str]) -> Output {
    Command::new(program)
        .args(args)
        // No cluster here: both print node numbers.
        .env_remove("O2CB_SYSROOT")
        .output()
        .unwrap()
}

/// (name, size in MiB, mkfs arguments).
const MKFS: &[(&str, u64, &[&str])] = &[
    (
        "o2cb_4k",
        100,
        &[
            "-b",
            "4K",
            "-C",
            "4K",
            "-N",
            "4",
            "-L",
            "mylabel",
            "--cluster-stack=o2cb",
            "--cluster-name=prod",
        ],
    ),
    (
        "b512_classic",
        64,
        &["-b", "512", "-C", "4K", "-N", "2", "-J", "size=4M"],
    ),
    (
        "b1k_c1m_label63",
        300,
        &[
            "-b",
            "1K",
            "-C",
            "1M",
            "-N",
            "8",
            "-J",
            "size=16M",
            "-L",
            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-",
        ],
    ),
    (
        "b1k_c256k_n40",
        300,
        &["-b", "1K", "-C", "256K", "-N", "40", "-J", "size=4M"],
    ),
    (
        "b2k_c64k_pcmk",
        300,
        &[
            "-b",
            "2K",
            "-C",
            "64K",
            "-N",
            "8",
            "--cluster-stack=pcmk",
            "--cluster-name=hacluster",
        ],
    ),
    (
        "cman",
        100,
        &[
            "-N",
            "2",
            "-J",
            "size=4M",
            "--cluster-stack=cman",
            "--cluster-name=rhcluster",
        ],
    ),
    (
        "local_c32k",
        64,
        &["-b", "4K", "-C", "32K", "-M", "local", "-L", "local-volume"],
    ),
    (
        "global_name16",
        100,
        &[
            "-b",
            "4K",
            "-C",
            "4K",
            "-N",
            "8",
            "--global-heartbeat",
            "--cluster-stack=o2cb",
            "--cluster-name=abcdefghijklmnop",
        ],
    ),
    (
        "global_b512",
        64,
        &[
            "-b",
            "512",
            "-N",
            "1",
            "-J",
            "size=4M",
            "--global-heartbeat",
            "--cluster-stack=o2cb",
            "--cluster-name=g",
        ],
    ),
    (
        "classic_slot_map",
        64,
        &["-b", "4K", "-N", "3", "--fs-features=noextended-slotmap"],
    ),
    (
        "b512_n64",
        300,
        &["-b", "512", "-C", "4K", "-N", "64", "-J", "size=4M"],
    ),
    (
        "b2k_c128k_n33",
        300,
        &[
            "-b",
            "2K",
            "-C",
            "128K",
            "-N",
            "33",
            "-J",
            "size=4M",
            "--cluster-stack=o2cb",
            "--cluster-name=big",
        ],
    ),
    (
        "b4k_c8k_n100",
        1024,
        &[
            "-b", "4K", "-C", "8K", "-N", "100", "-J", "size=4M", "-L", "hundred",
        ],
    ),
    (
        "heartbeat_dev_b1k",
        2,
        &["-H", "-b", "1K", "-C", "4K", "-N", "1"],
    ),
    (
        "heartbeat_dev_b512",
        4,
        &["-H", "-b", "512", "-C", "4K", "-L", "hb"],
    ),
    (
        "heartbeat_dev_global",
        2,
        &[
            "-H",
            "-b",
            "1K",
            "--cluster-stack=o2cb",
            "--cluster-name=hb",
            "--global-heartbeat",
        ],
    ),
    (
        "max_compat",
        64,
        &["--fs-feature-level=max-compat", "-b", "4K", "-N", "4"],
    ),
    (
        "max_features",
        64,
        &["--fs-feature-level=max-features", "-b", "4K", "-N", "4"],
    ),
    (
        "no_inline_no_indexed_n16",
        100,
        &[
            "--fs-features=noinline-data,noindexed-dirs",
            "-b",
            "4K",
            "-N",
            "16",
        ],
    ),
    (
        "metaecc",
        64,
        &["--fs-features=metaecc", "-b", "4K", "-N", "2"],
    ),
    ("c1m_n1", 300, &["-b", "4K", "-C", "1M", "-N", "1"]),
    ("mail", 200, &["-T", "mail", "-N", "2", "-L", "mail spool"]),
    (
        "label_spaces_utf8",
        64,
        &["-N", "2", "-L", "données partagées"],
    ),
    (
        "label_long_cluster",
        100,
        &[
            "-N",
            "4",
            "-L",
            "0123456789012345678901234567890123456789",
            "--cluster-stack=o2cb",
            "--cluster-name=a",
        ],
    ),
];

/// Both tools with `args`: equal stdout, stderr and status.
fn same_as_c(c: &Path, what: &str, args: &[&str]) {
    let want = run(c, args);
    let got = run(Path::new(ours()), args);
    assert_eq!(
        String::from_utf8_lossy(&got.stdout),
        String::from_utf8_lossy(&want.stdout),
        "{what}: stdout"
    );
    assert_eq!(
        String::from_utf8_lossy(&got.stderr),
        String::from_utf8_lossy(&want.stderr),
        "{what}: stderr"
    );
    assert_eq!(got.status.code(), want.status.code(), "{what}: status");
}

/// Both tools on `device`, in each mode.
fn compare(c: &Path, name: &str, device: &str) {
    for mode in ["-d", "-f"] {
        same_as_c(c, &format!("{name} {mode}"), &[mode, device]);
    }
}

/// The C tool, or `None` (and a note) when ocfs2-tools is not installed.
fn c_mounted() -> Option<PathBuf> {
    let c = c_tool("mounted.ocfs2");
    if c.is_none() {
        eprintln!("skipping: ocfs2-tools is not installed");
    }
    c
}

/// The C tool and mkfs.ocfs2, or `None` (and a note) when ocfs2-tools is not installed.
fn c_and_mkfs() -> Option<(PathBuf, PathBuf)> {
    let tools = c_tool("mounted.ocfs2").zip(c_tool("mkfs.ocfs2"));
    if tools.is_none() {
        eprintln!("skipping: ocfs2-tools is not installed");
    }
    tools
}

/// A sparse image of `mib` MiB in `dir`, formatted by `mkfs.ocfs2 -F -q ARGS`.
fn mkfs_image(mkfs: &Path, dir: &Path, name: &str, mib: u64, args: &[&str]) -> PathBuf {
    let path = dir.join(format!("{name}.img"));
    File::create(&path).unwrap().set_len(mib << 20).unwrap();
    let out = Command::new(mkfs)
        .args(["-F", "-q"])
        .args(args)
        .arg(&path)
        .output()
        .unwrap();
    assert!(out.status.success(), "{name}: mkfs.ocfs2 failed: {out:?}");
    path
}

#[test]
fn mkfs_volumes_are_shown_exactly_as_the_c_tool_shows_them() {
    let Some((c, mkfs)) = c_and_mkfs() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    for &(name, mib, args) in MKFS {
        let path = mkfs_image(&mkfs, dir.path(), name, mib, args);
        let device = path.to_str().unwrap();
        compare(&c, name, device);
        std::fs::remove_file(&path).unwrap();
    }
    assert!(MKFS.len() >= 20);
}

fn slot_maps() -> Vec<(&'static str, ImageBuilder)> {
    let full = (0..255).fold(ImageBuilder::new().max_slots(255), |b, s| {
        b.slot(s, u32::from(s))
    });
    vec![
        ("one_node", ImageBuilder::new().slot(0, 0)),
        (
            "node_254_and_255",
            ImageBuilder::new()
                .slot(1, 254)
                .slot(2, 255)
                .slot(3, 4_000_000),
        ),
        ("every_slot_of_255", full),
        (
            "classic_holes",
            ImageBuilder::new()
                .stack(ClusterStack::Classic)
                .slot_map_format(SlotMapFormat::Classic)
                .max_slots(8)
                .slot(7, 9)
                .slot(2, 0)
                .slot(5, 65534),
        ),
        (
            "pcmk_mounted",
            ImageBuilder::new()
                .stack(ClusterStack::Userspace {
                    stack: *b"pcmk",
                    cluster: b"hacluster".to_vec(),
                })
                .slot(3, 2),
        ),
        (
            "local_mounted",
            ImageBuilder::new().stack(ClusterStack::Local).slot(0, 0),
        ),
    ]
}

#[test]
fn builder_volumes_and_slot_maps_are_shown_exactly_as_the_c_tool_shows_them() {
    let Some(c) = c_mounted() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    for (name, builder) in variants().into_iter().chain(slot_maps()) {
        let image = builder.build().unwrap();
        let path = dir.path().join(format!("{name}.img"));
        std::fs::write(&path, &image.bytes).unwrap();
        let device = path.to_str().unwrap();
        if name == "full_label" {
            // The reference prints a 64-byte label on into the UUID bytes
            // (docs/ocfs2-tools-reference.md §7.3, an oddity); we stop at 64. Everything else
            // is the same.
            let want = run(&c, &["-d", device]).stdout;
            let got = run(Path::new(ours()), &["-d", device]).stdout;
            let label = [b'L'; 64];
            let at = want.windows(64).position(|w| w == label).unwrap() + 64;
            assert_eq!(&got[..got.len() - 1], &want[..at], "{name}");
            assert_ne!(want[at], b'\n', "{name}: the reference no longer overruns?");
            continue;
        }
        compare(&c, name, device);
    }
}

#[test]
fn verbose_quick_detect_says_which_device_it_probes() {
    let Some(c) = c_mounted() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v.img");
    std::fs::write(&path, ImageBuilder::new().build().unwrap().bytes).unwrap();
    for args in [
        &["-v", "-d"][..],
        &["-v", "-f"],
        &["-dv"],
        &["-f", "-d"],
        &["-d", "-f"],
    ] {
        let args: Vec<&str> = args
            .iter()
            .copied()
            .chain([path.to_str().unwrap()])
            .collect();
        same_as_c(&c, &format!("{args:?}"), &args);
    }
}

#[test]
fn devices_that_are_not_ocfs2_print_the_header_only() {
    let Some(c) = c_mounted() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let zero = dir.path().join("zero.img");
    File::create(&zero).unwrap().set_len(10 << 20).unwrap();
    let tiny = dir.path().join("tiny.img");
    std::fs::write(&tiny, b"OCFSV2").unwrap();
    let missing = dir.path().join("missing.img");
    for device in [&zero, &tiny, &missing, &dir.path().to_path_buf()] {
        compare(&c, "not ocfs2", device.to_str().unwrap());
    }
    compare(&c, "/dev/null", "/dev/null");
}

/// `META_ECC` volumes from `mkfs.ocfs2`: every block size, block and inline directories,
/// global heartbeat.
const META_ECC: &[(&str, u64, &str)] = &[
    (
        "ecc_b512_n16_noinline",
        100,
        "-b 512 -C 4K -N 16 -J size=4M --fs-features=metaecc,noinline-data",
    ),
    (
        "ecc_b1k_c8k_noinline",
        100,
        "-b 1K -C 8K -N 8 -J size=4M --fs-features=metaecc,noinline-data",
    ),
    (
        "ecc_b2k_c64k_global",
        300,
        "-b 2K -C 64K -N 8 --cluster-stack=o2cb --cluster-name=prod --global-heartbeat \
         --fs-features=metaecc",
    ),
    ("ecc_b4k_inline", 64, "-b 4K -N 4 --fs-features=metaecc"),
];

/// Bit flips in one block of a file, undone on drop.
struct Flips<'a> {
    file: &'a File,
    at: u64,
    original: Vec<u8>,
}

impl<'a> Flips<'a> {
    fn new(file: &'a File, block: &[u8], at: u64, bits: &[usize]) -> Self {
        use std::os::unix::fs::FileExt;
        let mut changed = block.to_vec();
        for &bit in bits {
            ocfs2_disk::block_check::flip(&mut changed, bit);
        }
        file.write_all_at(&changed, at).unwrap();
        Flips {
            file,
            at,
            original: block.to_vec(),
        }
    }
}

impl Drop for Flips<'_> {
    fn drop(&mut self) {
        use std::os::unix::fs::FileExt;
        self.file.write_all_at(&self.original, self.at).unwrap();
    }
}

/// The flips tried on a block that readers read: data bits spread over the block (some in
/// signatures, which are looked at before some checks), each part of the check, and pairs
/// of bits no ECC repairs.
fn flip_sets(kind: BlockKind, len: usize) -> Vec<Vec<usize>> {
    let at = kind.check_offset(len) * 8;
    let mut sets: Vec<Vec<usize>> = (0..6).map(|i| vec![i * len * 8 / 6 + 8 * i + 3]).collect();
    sets.retain(|s| !(at..at + 64).contains(&s[0]));
    sets.extend([
        vec![at + 5],                 // the stored CRC
        vec![at + 32 + 9],            // the stored ECC
        vec![at + 48 + 2],            // the reserved half
        vec![0x41 * 8, 0x41 * 8 + 7], // two data bits
        vec![0x60 * 8 + 1, at + 3],   // a data bit and a CRC bit
        vec![0x60 * 8 + 1, at + 40],  // a data bit and an ECC bit
        vec![0x60 * 8 + 1, at + 60],  // a data bit and a reserved bit: repaired
    ]);
    sets
}

/// One volume: flips in every block a reader reads (many kinds of flip) and in up to 8 other
/// metadata blocks (two bits each: neither tool may read them), `mounted.ocfs2 -f` (and
/// `-d` for the superblock) compared with the C tool each time. Returns the cases run.
fn compare_flips(c: &Path, name: &str, path: &Path, read: &[(u64, BlockKind)]) -> usize {
    use std::os::unix::fs::FileExt;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .unwrap();
    let device = path.to_str().unwrap();
    let volume = Volume::open(&file, OpenOptions::new().allow_heartbeat_device(true)).unwrap();
    let len = volume.superblock().block_size().bytes() as usize;
    let total = file.metadata().unwrap().len();
    let mut others = Vec::new();
    let mut block = vec![0u8; len];
    for blkno in 0..total / len as u64 {
        file.read_exact_at(&mut block, blkno * len as u64).unwrap();
        if let Some(kind) = BlockKind::of_block(&block) {
            if !read.iter().any(|&(b, _)| b == blkno) {
                others.push((blkno, kind));
            }
        }
    }
    let step = others.len().div_ceil(8).max(1);
    let others = others.into_iter().step_by(step);
    let mut cases = 0;
    let mut try_flips = |blkno: u64, kind: BlockKind, bits: &[usize]| {
        let at = blkno * len as u64;
        file.read_exact_at(&mut block, at).unwrap();
        let _flips = Flips::new(&file, &block, at, bits);
        let what = format!("{name}: block {blkno} ({kind}), bits {bits:?}");
        same_as_c(c, &format!("{what} -f"), &["-f", device]);
        if kind == BlockKind::Superblock {
            same_as_c(c, &format!("{what} -d"), &["-d", device]);
        }
        cases += 1;
    };
    for &(blkno, kind) in read {
        for bits in flip_sets(kind, len) {
            try_flips(blkno, kind, &bits);
        }
    }
    for (blkno, kind) in others {
        try_flips(blkno, kind, &[0x44 * 8, 0x45 * 8]);
    }
    cases
}

/// On volumes with metadata checks, a flipped bit in any block either tool reads is
/// repaired or refused exactly as the C tool does: a refused superblock leaves the device
/// out of `-f` (and changes nothing for `-d`), a refused inode or directory block is
/// `Unknown: Bad CRC32`.
#[test]
fn block_checks_are_judged_as_the_c_tool_judges_them() {
    let Some((c, mkfs)) = c_and_mkfs() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut cases = 0;
    for &(name, mib, args) in META_ECC {
        let args: Vec<&str> = args.split_whitespace().collect();
        let path = mkfs_image(&mkfs, dir.path(), name, mib, &args);
        let read = {
            let volume = Volume::open(File::open(&path).unwrap(), OpenOptions::new()).unwrap();
            let sb = volume.superblock();
            let mut read = vec![
                (2, BlockKind::Superblock),
                (sb.system_dir_blkno(), BlockKind::Inode),
            ];
            for file in ["slot_map", "heartbeat"] {
                read.push((volume.system_file_blkno(file).unwrap(), BlockKind::Inode));
            }
            read
        };
        // The system directory's blocks, if it has any, are found by the scan.
        let read = with_system_dir_blocks(&path, read);
        cases += compare_flips(&c, name, &path, &read);
        std::fs::remove_file(&path).unwrap();
    }
    for (name, builder) in variants() {
        if !name.starts_with("meta_ecc") {
            continue;
        }
        let image = builder.build().unwrap();
        let path = dir.path().join(format!("{name}.img"));
        std::fs::write(&path, &image.bytes).unwrap();
        let read = image.layout.checked_blocks_read();
        cases += compare_flips(&c, name, &path, &read);
    }
    eprintln!("{cases} flipped volumes compared");
    assert!(cases >= 400, "{cases}");
}

/// Adds the directory blocks of the system directory (the first data block of its
/// extent, and the blocks after it while they are directory blocks).
fn with_system_dir_blocks(path: &Path, mut read: Vec<(u64, BlockKind)>) -> Vec<(u64, BlockKind)> {
    use std::os::unix::fs::FileExt;
    let file = File::open(path).unwrap();
    let volume = Volume::open(&file, OpenOptions::new()).unwrap();
    let sb = volume.superblock();
    let len = sb.block_size().bytes() as usize;
    let mut inode = vec![0u8; len];
    file.read_exact_at(&mut inode, sb.system_dir_blkno() * len as u64)
        .unwrap();
    let inline = u16::from_le_bytes([inode[0x76], inode[0x77]]) & 1 == 1;
    if inline {
        return read;
    }
    // The first leaf record of the extent list at 0xC0: e_blkno at 0xD8.
    let first = u64::from_le_bytes(inode[0xD8..0xE0].try_into().unwrap());
    let size = u64::from_le_bytes(inode[0x20..0x28].try_into().unwrap());
    let blocks = size / len as u64;
    let mut block = vec![0u8; len];
    for blkno in first..first + blocks {
        file.read_exact_at(&mut block, blkno * len as u64).unwrap();
        if BlockKind::of_block(&block) != Some(BlockKind::DirBlock) {
            break;
        }
        read.push((blkno, BlockKind::DirBlock));
    }
    read
}
