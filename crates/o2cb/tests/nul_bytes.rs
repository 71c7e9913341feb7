//! NUL bytes in cluster.conf, ours against Debian's C `o2cb`, over a generated corpus.
//!
//! The C scanner stops at a NUL byte — except right after the first character of a word
//! (letters, digits, `_`), where it reads past the NUL and the word characters after it
//! (docs/compatibility.md; `cluster_conf::syntax::nul_is_skipped`). Each file of the corpus
//! is read by both tools through `list-clusters` and `list-cluster` of every cluster listed;
//! stdout and exit status must be the same. The one documented difference: where the C tool
//! crashes on a `cluster:` stanza without a name (a NUL can hide the rest of `name`), ours
//! reports it and exits 1.
//!
//! The corpus: NUL bytes inserted at every position of small files that have one of each
//! construct (headers, keys, values of length 1, 2 and more, comments, blank lines,
//! continuation lines, unknown stanzas, bytes ≥ 0x80), in several patterns (`NUL`,
//! `NUL a NUL`, `NUL ab`, `NUL LF`) and as a replacement of each byte; then files
//! assembled at random from stanza pieces with one to three NUL bytes at random places.

mod common;

use std::ffi::OsString;
use std::path::Path;

use common::{ours, reference, run_in, Run};

/// Small files with one of each construct a NUL byte can follow.
const BASES: &[&[u8]] = &[
    b"# a\n#b c\ncluster:\n\tname = web\n# x y\n\tnode_count = 2\n\theartbeat_mode = global\n\nnode:\n\tcluster = web\n\tnumber = 1\n\tip_port = 7777\n\tip_address = 10.0.0.1\n\tname = a\n\tk = v\\\nw x\\\n y\n\nz:\n  _ = - . \\a\xc3\xa9 b\n\t1 = 2\n\n \t\nheartbeat:\n\tcluster = web\n\tregion = ABC\n",
    b"cluster:\n\tname = w\n\tnode_count = 1\n\nnode:\n\tcluster = w\n\tname = bb\n\tnumber = 0\n\tip_address = 10.0.0.2\n\tip_port = 7777\n\nnode:\n\tip_port = 7\n\tip_address = 1.2.3.4\n\tnumber = 12\n\tname = c_d\n\tcluster = w\n",
];

const PATTERNS: &[&[u8]] = &[b"\0", b"\0a\0", b"\0ab", b"\0\n"];

/// Stanza pieces for the random files.
const PIECES: &[&[u8]] = &[
    b"cluster:\n",
    b"\tname = web\n",
    b"\tname = w\n",
    b"\tnode_count = 2\n",
    b"\tnode_count = 1\n",
    b"\theartbeat_mode = global\n",
    b"\n",
    b"node:\n",
    b"\tcluster = web\n",
    b"\tcluster = w\n",
    b"\tnumber = 1\n",
    b"\tnumber = 0\n",
    b"\tip_port = 7777\n",
    b"\tip_address = 10.0.0.1\n",
    b"\tip_address = 10.0.0.2\n",
    b"\tname = a\n",
    b"\tname = bb\n",
    b"# c\n",
    b"#\n",
    b"# a b c\n",
    b"heartbeat:\n",
    b"\tregion = A\n",
    b"\tregion = ABC\n",
    b"\tx = y\\\n",
    b"z:\n",
    b"\t_ = -\n",
    b"\tname = a.b-c d\n",
    b"\tname = \xc3\xa9t\xc3\xa9\n",
    b" \n",
    b"\tname = \\a\n",
];

/// xorshift64*: a fixed corpus, the same in every run.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 33) as usize % n
    }
}

fn corpus() -> Vec<Vec<u8>> {
    let mut files = Vec::new();
    for base in BASES {
        for p in 0..=base.len() {
            for pattern in PATTERNS {
                let mut f = base[..p].to_vec();
                f.extend_from_slice(pattern);
                f.extend_from_slice(&base[p..]);
                files.push(f);
            }
            if p < base.len() {
                let mut f = base.to_vec();
                f[p] = 0;
                files.push(f);
            }
        }
    }
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..400 {
        let mut f = b"cluster:\n\tname = web\n\tnode_count = 2\n\n".to_vec();
        for _ in 0..3 + rng.below(12) {
            f.extend_from_slice(PIECES[rng.below(PIECES.len())]);
        }
        for _ in 0..1 + rng.below(3) {
            let p = rng.below(f.len() + 1);
            if rng.below(2) == 0 || p == f.len() {
                f.insert(p, 0);
            } else {
                f[p] = 0;
            }
        }
        files.push(f);
    }
    files
}

/// What a tool makes of a file: `list-clusters`, then `list-cluster` of each cluster.
fn reading(bin: &Path, dir: &Path) -> Vec<(i32, Vec<u8>)> {
    let list = run_in(bin, dir, &[OsString::from("list-clusters")]);
    let mut out = vec![(list.status, list.stdout.clone())];
    if list.status == 0 {
        for name in list.stdout.split(|&b| b == b'\n').filter(|n| !n.is_empty()) {
            use std::os::unix::ffi::OsStrExt;
            let args = [
                OsString::from("list-cluster"),
                std::ffi::OsStr::from_bytes(name).to_os_string(),
            ];
            let Run { status, stdout, .. } = run_in(bin, dir, &args);
            out.push((status, stdout));
        }
    }
    out
}

#[test]
fn files_with_nul_bytes_read_as_the_c_tool_reads_them() {
    let Some(c_bin) = reference("o2cb") else {
        eprintln!("skipped: the C o2cb is not installed");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (mut compared, mut crashes, mut read_past) = (0, 0, 0);
    for file in corpus() {
        std::fs::write(dir.path().join("cluster.conf"), &file).unwrap();
        let theirs = reading(&c_bin, dir.path());
        let mine = reading(&ours(), dir.path());
        let shown = String::from_utf8_lossy(&file).replace('\0', "\\0");
        if theirs[0].0 == 128 + 11 {
            // The C tool crashes on a `cluster:` stanza without `name`.
            crashes += 1;
            let run = run_in(&ours(), dir.path(), &[OsString::from("list-clusters")]);
            assert_eq!(run.status, 1, "{shown}");
            assert!(
                run.stderr_str().contains("cluster stanza has no `name`"),
                "{shown}: {}",
                run.stderr_str()
            );
            continue;
        }
        assert_eq!(
            mine, theirs,
            "the tools read this file differently:\n{shown}"
        );
        if cluster_conf::Document::parse(file.clone())
            .tree()
            .skipped_nuls()
            > 0
        {
            read_past += 1;
        }
        compared += 1;
    }
    eprintln!(
        "{compared} files compared ({read_past} with NUL bytes read past), {crashes} C crashes"
    );
    assert!(compared >= 2000 && read_past >= 400);
}
