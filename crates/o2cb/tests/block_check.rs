//! `o2cb add-heartbeat C DEV` on loop devices whose volume has metadata checks (`META_ECC`),
//! against the C tool: for bits flipped in the superblock (repaired or refused) and in the
//! other metadata blocks (which neither tool reads here), the same exit status, stdout and
//! cluster.conf. Needs root and loop devices; skipped without them.

mod common;

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{ours, reference, run_in, Run};
use ocfs2_disk::block_check::flip;
use ocfs2_disk::image::variants;
use ocfs2_disk::BlockKind;

/// A loop device over an image file, detached on drop.
struct LoopDevice(PathBuf);

impl LoopDevice {
    fn attach(file: &Path) -> Option<LoopDevice> {
        let out = Command::new("losetup")
            .args(["--find", "--show"])
            .arg(file)
            .output()
            .ok()?;
        let dev = String::from_utf8(out.stdout).ok()?;
        (out.status.success() && !dev.trim().is_empty())
            .then(|| LoopDevice(PathBuf::from(dev.trim())))
    }

    /// Drops the device's cached blocks, so that a change written to the image is read.
    fn flush(&self) {
        let status = Command::new("blockdev")
            .arg("--flushbufs")
            .arg(&self.0)
            .status()
            .unwrap();
        assert!(status.success());
    }
}

impl Drop for LoopDevice {
    fn drop(&mut self) {
        let _ = Command::new("losetup").arg("-d").arg(&self.0).status();
    }
}

/// A cluster in the C tools' canonical form, so that both write the same file.
const CONF: &str = "cluster:\n\tname = c\n\theartbeat_mode = local\n\tnode_count = 0\n\n";

fn add_heartbeat(bin: &Path, dev: &Path) -> Run {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("cluster.conf"), CONF).unwrap();
    run_in(
        bin,
        dir.path(),
        &["add-heartbeat".into(), "c".into(), dev.into()],
    )
}

/// Sets of bits to flip in a block of `len` bytes whose check is at byte `at`.
fn flip_sets(at: usize, len: usize) -> Vec<Vec<usize>> {
    let at = at * 8;
    let mut sets: Vec<Vec<usize>> = (0..10)
        .map(|i| vec![i * len * 8 / 10 + 7 * i + 2])
        .collect();
    sets.retain(|s| !(at..at + 64).contains(&s[0]));
    sets.extend([
        vec![at + 1],
        vec![at + 31],
        vec![at + 32],
        vec![at + 47],
        vec![at + 63],
        vec![0xE1 * 8 + 3],
        vec![0x150 * 8, 0x150 * 8 + 9],
        vec![0x110 * 8 + 4, at + 2],
        vec![0x110 * 8 + 4, at + 36],
        vec![0x110 * 8 + 4, at + 50],
        vec![0x110 * 8 + 4, 0xE1 * 8 + 3],
    ]);
    sets
}

/// Runs both tools on `dev` with each flip set applied in turn to block `blkno` of `image`.
/// Returns the cases compared, and how many of them the C tool refused for the check.
fn compare(
    c: &Path,
    name: &str,
    image: &File,
    dev: &LoopDevice,
    blkno: u64,
    len: usize,
    sets: &[Vec<usize>],
) -> (usize, usize) {
    let mut block = vec![0u8; len];
    let mut crc_failures = 0;
    let offset = blkno * len as u64;
    image.read_exact_at(&mut block, offset).unwrap();
    for bits in sets {
        let mut changed = block.clone();
        for &bit in bits {
            flip(&mut changed, bit);
        }
        image.write_all_at(&changed, offset).unwrap();
        dev.flush();
        let want = add_heartbeat(c, &dev.0);
        let got = add_heartbeat(&ours(), &dev.0);
        let what = format!("{name}: block {blkno}, bits {bits:?}");
        assert_eq!(got.status, want.status, "{what}: status\n{got:?}\n{want:?}");
        assert_eq!(got.stdout_str(), want.stdout_str(), "{what}: stdout");
        assert_eq!(got.file, want.file, "{what}: cluster.conf");
        let err = got.stderr_str();
        if want.stderr_str().contains("Unknown code ocfs 58") {
            // The C tool's text for a failed block check; ours says what failed, and where.
            assert!(
                err.starts_with("o2cb: Bad CRC32 (superblock in block 2: block check failed")
                    && err.contains("while reading region on device"),
                "{what}: {err}"
            );
            crc_failures += 1;
        } else if want.status != 0 {
            // Other refusals (a flipped signature bit): "Unknown code ocfs 8" there, the
            // libocfs2 text here.
            assert!(
                err.contains("while reading region on device"),
                "{what}: {err}"
            );
        }
    }
    image.write_all_at(&block, offset).unwrap();
    dev.flush();
    (sets.len(), crc_failures)
}

#[test]
fn add_heartbeat_judges_the_superblock_check_as_the_c_tool_does() {
    let (Some(c), Some(mkfs)) = (reference("o2cb"), reference("mkfs.ocfs2")) else {
        eprintln!("skipped: ocfs2-tools is not installed");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut images: Vec<(String, PathBuf)> = Vec::new();
    for (name, args) in [
        (
            "b512_noinline",
            "-b 512 -C 4K -N 4 -J size=4M --fs-features=metaecc,noinline-data",
        ),
        ("b4k", "-b 4K -N 2 -J size=4M --fs-features=metaecc"),
    ] {
        let path = dir.path().join(format!("{name}.img"));
        File::create(&path).unwrap().set_len(64 << 20).unwrap();
        let out = Command::new(&mkfs)
            .args(["-F", "-q"])
            .args(args.split_whitespace())
            .arg(&path)
            .output()
            .unwrap();
        assert!(out.status.success(), "{name}: {out:?}");
        images.push((name.to_owned(), path));
    }
    for (name, builder) in variants() {
        if name == "meta_ecc_extent_tree_depth_2_1k" || name == "meta_ecc_heartbeat_device" {
            let path = dir.path().join(format!("{name}.img"));
            std::fs::write(&path, builder.build().unwrap().bytes).unwrap();
            images.push((name.to_owned(), path));
        }
    }
    let (mut cases, mut refused) = (0, 0);
    for (name, path) in &images {
        let Some(dev) = LoopDevice::attach(path) else {
            eprintln!("skipped: no loop device could be set up (they need root)");
            return;
        };
        let image = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .unwrap();
        let volume = ocfs2_disk::Volume::open(
            &image,
            ocfs2_disk::OpenOptions::new().allow_heartbeat_device(true),
        )
        .unwrap();
        let len = volume.superblock().block_size().bytes() as usize;
        let at = BlockKind::Superblock.check_offset(len);
        let (n, failed) = compare(&c, name, &image, &dev, 2, len, &flip_sets(at, len));
        cases += n;
        refused += failed;
        // Other metadata: read by neither tool here (add-heartbeat wants the UUID only).
        let sysdir = volume.superblock().system_dir_blkno();
        let hb = volume.system_file_blkno("heartbeat").unwrap();
        for blkno in [sysdir, hb] {
            cases += compare(
                &c,
                name,
                &image,
                &dev,
                blkno,
                len,
                &[vec![0x40 * 8, 0x41 * 8]],
            )
            .0;
        }
    }
    eprintln!("{cases} add-heartbeat cases compared, {refused} refused for the block check");
    assert!(cases >= 80 && refused >= 20, "{cases} {refused}");
    // The pristine volumes still add their region.
    let (_, path) = &images[0];
    let dev = LoopDevice::attach(path).unwrap();
    let run = add_heartbeat(&ours(), &dev.0);
    assert_eq!(run.status, 0, "{run:?}");
}
