//! Our `o2cb` against Debian's C `o2cb` on the same inputs: the same stdout, the same exit
//! status, and files that mean the same (byte-identical where the input was already in the
//! C tools' canonical form). Deliberate differences are listed in docs/compatibility.md and
//! asserted here as exactly that difference.

mod common;

use std::ffi::OsString;
use std::path::Path;

use common::{classic_meaning, fixtures, ours, reference, run_in, words, Run};

/// One side of a comparison: a scratch directory holding `cluster.conf`.
struct Side {
    dir: tempfile::TempDir,
}

impl Side {
    fn new(start: Option<&[u8]>) -> Side {
        let dir = tempfile::tempdir().unwrap();
        if let Some(bytes) = start {
            std::fs::write(dir.path().join("cluster.conf"), bytes).unwrap();
        }
        Side { dir }
    }

    fn run(&self, bin: &Path, args: &[OsString]) -> Run {
        run_in(bin, self.dir.path(), args)
    }
}

/// How a step's results must relate.
#[derive(Clone, Copy, Debug)]
enum Expect {
    /// Same stdout and status; files mean the same (byte-identical if `canonical`).
    Same,
    /// The C tool wraps `node_count` below zero to 4294967295; ours stops at 0.
    NodeCountStopsAtZero,
    /// The C tool writes `region =` (a file it then refuses to read); ours refuses.
    EmptyRegionRefused,
    /// The C tool crashes (SIGSEGV) on a cluster stanza without a name; ours reports it.
    NamelessClusterReported,
    /// The C tool drops stanzas naming an undefined cluster when it rewrites the file; ours
    /// keeps them, so a cluster added later under that name takes them over (and says so).
    OrphansAdopted,
}

struct Case {
    name: &'static str,
    start: Start,
    steps: &'static [(&'static str, Expect)],
}

enum Start {
    None,
    Fixture(&'static str),
    Generated(fn() -> Vec<u8>),
}

impl Start {
    fn bytes(&self) -> Option<Vec<u8>> {
        match self {
            Start::None => None,
            Start::Fixture(f) => Some(std::fs::read(fixtures().join(f)).unwrap()),
            Start::Generated(f) => Some(f()),
        }
    }
}

use Expect::*;

const CANON_A: &str = "valid/example-a-canonical.conf";

fn full_cluster() -> Vec<u8> {
    let mut text =
        String::from("cluster:\n\tname = full\n\theartbeat_mode = local\n\tnode_count = 255\n\n");
    for n in 0..255 {
        text.push_str(&format!(
            "node:\n\tcluster = full\n\tnumber = {n}\n\tip_port = 7777\n\tip_address = 10.1.{}.{}\n\tname = n{n}\n\n",
            n / 200,
            n % 200 + 1
        ));
    }
    text.into_bytes()
}

static CASES: &[Case] = &[
    Case {
        name: "build a cluster from nothing",
        start: Start::None,
        steps: &[
            ("add-cluster alpha", Same),
            ("add-node --ip 10.0.0.1 alpha n1", Same),
            ("add-node --ip 10.0.0.2 --port 7778 alpha n2", Same),
            ("add-node --ip 10.0.0.3 --number 9 alpha n3", Same),
            ("list-cluster alpha", Same),
            ("list-cluster --oneline alpha", Same),
            ("list-clusters", Same),
        ],
    },
    Case {
        name: "two clusters, interleaved additions",
        start: Start::None,
        steps: &[
            ("add-cluster a", Same),
            ("add-cluster b", Same),
            ("add-node --ip 10.0.2.1 b nb", Same),
            ("add-node --ip 10.0.1.1 a na", Same),
            ("add-heartbeat b 77D95EF51C0149D2823674FCC162CF8B", Same),
            ("add-heartbeat a DCDA2845177F4D59A0F2DCD8DE507CC3", Same),
            ("heartbeat-mode a global", Same),
            ("add-node --ip 10.0.1.2 a na2", Same),
            ("add-heartbeat b BBA1DBD0F73F449384CE75197D9B7098", Same),
            ("list-cluster a", Same),
            ("list-cluster --oneline b", Same),
            ("remove-cluster a", Same),
            ("list-clusters", Same),
        ],
    },
    Case {
        name: "remove and re-add on the canonical example",
        start: Start::Fixture(CANON_A),
        steps: &[
            ("remove-node ocfs2 db1", Same),
            ("add-node --ip 10.0.0.3 ocfs2 db3", Same),
            ("list-nodes ocfs2", Same),
            ("remove-cluster ocfs2", Same),
            ("list-clusters", Same),
        ],
    },
    Case {
        name: "global heartbeat regions",
        start: Start::Fixture("valid/example-c-global.conf"),
        steps: &[
            (
                "remove-heartbeat webcluster DCDA2845177F4D59A0F2DCD8DE507CC3",
                Same,
            ),
            (
                "add-heartbeat webcluster 11111111222233334444555566667777",
                Same,
            ),
            ("heartbeat-mode webcluster local", Same),
            ("list-heartbeats webcluster", Same),
            ("list-heartbeats --oneline webcluster", Same),
            ("heartbeat-mode webcluster global", Same),
            ("remove-node webcluster node6", Same),
        ],
    },
    Case {
        name: "edits between two canonical clusters",
        start: Start::Fixture("valid/two-clusters-canonical.conf"),
        steps: &[
            ("add-node --ip 10.0.1.5 one a5", Same),
            ("add-heartbeat one 0123456789ABCDEF0123456789ABCDE0", Same),
            ("add-node --ip 10.0.2.9 two b9", Same),
            ("remove-cluster one", Same),
            ("add-cluster three", Same),
            ("add-node --ip 10.0.3.1 three c1", Same),
        ],
    },
    Case {
        name: "add-cluster name rules",
        start: Start::Fixture(CANON_A),
        steps: &[
            ("add-cluster 'a b'", Same),
            ("add-cluster 12345678901234567", Same),
            ("add-cluster 1234567890123456", Same),
            ("add-cluster ' '", Same),
            ("add-cluster ''", Same),
            ("add-cluster", Same),
            ("add-cluster ocfs2", Same),
            ("add-cluster ' padded '", Same),
            ("add-cluster --x", Same),
            ("add-cluster a.b", Same),
            ("list-clusters", Same),
        ],
    },
    Case {
        name: "add-node refusals",
        start: Start::Fixture(CANON_A),
        steps: &[
            ("add-node --ip 10.0.0.01 ocfs2 x", Same),
            ("add-node --ip '' ocfs2 x", Same),
            ("add-node --number 300 --ip 10.0.0.9 ocfs2 x", Same),
            ("add-node --number -5 --ip 10.0.0.9 ocfs2 x", Same),
            ("add-node --number 0 --ip 10.0.0.9 ocfs2 x", Same),
            ("add-node --number '' --ip 10.0.0.9 ocfs2 x", Same),
            ("add-node --ip 10.0.0.9 nosuch x", Same),
            ("add-node --ip 10.0.0.9 ocfs2", Same),
            ("add-node", Same),
            ("add-node --port abc --ip 10.0.0.9 ocfs2 x", Same),
            ("add-node --number 1x --ip 10.0.0.9 ocfs2 x", Same),
            ("add-node --ip 10.0.0.9 ocfs2 db1", Same),
            ("add-node --ip 10.0.0.9 ocfs2 ' '", Same),
            ("add-node --foo ocfs2 x", Same),
            ("add-node -x ocfs2 x", Same),
            ("add-node ocfs2 x --ip", Same),
            ("add-node ocfs2 nonexistent.invalid", Same),
            ("list-cluster ocfs2", Same),
        ],
    },
    Case {
        name: "add-node argument forms",
        start: Start::Fixture(CANON_A),
        steps: &[
            ("add-node --port 0x10 --ip 10.0.0.10 ocfs2 hex", Same),
            ("add-node --port -1 --ip 10.0.0.11 ocfs2 dflt", Same),
            ("add-node --port -2 --ip 10.0.0.12 ocfs2 wrap", Same),
            ("add-node --port 70000 --ip 10.0.0.13 ocfs2 big", Same),
            ("add-node --number 017 --ip 10.0.0.14 ocfs2 oct", Same),
            ("add-node --number=-1 --ip=10.0.0.15 ocfs2 auto", Same),
            ("add-node --i=10.0.0.16 --p 7779 --n 40 ocfs2 abbrev", Same),
            ("add-node ocfs2 after --ip 10.0.0.17", Same),
            ("add-node --ip 10.0.0.18 ocfs2 extra operands here", Same),
            ("add-node --ip 10.0.0.19 -- ocfs2 dashdash", Same),
            ("add-node --ip 10.0.0.20 ocfs2 ' spaced '", Same),
            (
                "add-node --number ' 50' --port ' 9' --ip 10.0.0.21 ocfs2 blanks",
                Same,
            ),
            ("add-node --number +51 --ip 10.0.0.22 ocfs2 plus", Same),
            ("add-node ocfs2 localhost", Same),
            ("list-cluster --oneline ocfs2", Same),
            ("list-cluster ocfs2", Same),
        ],
    },
    Case {
        name: "remove-node refusals and trimming",
        start: Start::Fixture(CANON_A),
        steps: &[
            ("remove-node nosuch db1", Same),
            ("remove-node ocfs2 nosuch", Same),
            ("remove-node ocfs2 ' db1 '", Same),
            ("remove-node ' ocfs2 ' db1", Same),
            ("remove-node ocfs2 ''", Same),
            ("remove-node ocfs2", Same),
            ("remove-node", Same),
            ("remove-cluster ''", Same),
            ("remove-cluster '  '", Same),
            ("remove-cluster nosuch", Same),
            ("remove-cluster ' ocfs2 '", Same),
        ],
    },
    Case {
        name: "node_count below zero",
        start: Start::Fixture("valid/duplicate-key-last-wins.conf"),
        steps: &[
            ("add-cluster z", Same),
            ("add-node --ip 10.9.0.1 z zn", Same),
            ("remove-node z zn", Same),
            ("remove-node z zn", Same),
            ("add-node --ip 10.9.0.2 z zn2", Same),
            ("remove-node z zn2", Same),
            ("add-node --ip 10.9.0.3 z zn3", Same),
            ("remove-node z zn3", Same),
        ],
    },
    Case {
        name: "node_count wraps in the C tool",
        start: Start::Fixture("valid/duplicate-number-and-ip-accepted.conf"),
        steps: &[
            ("remove-node a n1", Same),
            ("remove-node a n2", Same),
            ("add-node --ip 10.0.0.5 a n5", Same),
            ("add-node --ip 10.0.0.6 a n6", Same),
            ("remove-node a n5", Same),
            ("remove-node a n6", Same),
            ("add-cluster b", Same),
            ("add-node --ip 10.0.0.7 b n7", Same),
        ],
    },
    Case {
        name: "heartbeat-mode arguments",
        start: Start::Fixture(CANON_A),
        steps: &[
            ("heartbeat-mode ocfs2 Global", Same),
            ("heartbeat-mode ocfs2 ' local'", Same),
            ("heartbeat-mode ocfs2", Same),
            ("heartbeat-mode nosuch global", Same),
            ("heartbeat-mode ocfs2 local", Same),
            ("heartbeat-mode ocfs2 global", Same),
            ("list-cluster --oneline ocfs2", Same),
        ],
    },
    Case {
        name: "hand-edited file keeps its meaning",
        start: Start::Fixture("valid/example-d-hand-edited.conf"),
        steps: &[
            ("list-clusters", Same),
            ("list-cluster prod", Same),
            ("add-node --ip 172.16.1.3 prod p3", Same),
            ("heartbeat-mode test global", Same),
            ("add-heartbeat test 99999999999999999999999999999999", Same),
            ("remove-node prod p1", Same),
            ("remove-cluster test", Same),
            // Last: from here on the files differ by the adopted node.
            ("add-cluster lab", OrphansAdopted),
            ("list-cluster --oneline lab", OrphansAdopted),
        ],
    },
    Case {
        name: "RHEL5-era file without heartbeat_mode",
        start: Start::Fixture("valid/example-b-classic-rhel5.conf"),
        steps: &[
            ("list-cluster ocfs2", Same),
            ("add-node --ip 10.0.0.3 ocfs2 db3", Same),
            ("heartbeat-mode ocfs2 global", Same),
            ("add-heartbeat ocfs2 AAAABBBBCCCCDDDDEEEEFFFF00001111", Same),
            ("list-cluster ocfs2", Same),
        ],
    },
    Case {
        name: "per-filesystem stanzas are invisible to classic commands",
        start: Start::Fixture("valid/with-filesystem-stanzas.conf"),
        steps: &[
            ("list-cluster a", Same),
            ("add-node --ip 10.4.4.4 a n4", Same),
            ("add-cluster other", Same),
        ],
    },
    Case {
        name: "heartbeat region arguments",
        start: Start::Fixture(CANON_A),
        steps: &[
            ("add-heartbeat ocfs2 '  AAAA  '", Same),
            ("add-heartbeat ocfs2 AAAA", Same),
            ("remove-heartbeat ocfs2 ' AAAA '", Same),
            ("remove-heartbeat ocfs2 BBBB", Same),
            ("add-heartbeat nosuch AAAA", Same),
            ("add-heartbeat ocfs2", Same),
            ("remove-heartbeat ocfs2", Same),
            ("add-heartbeat ocfs2 /no/such/device", Same),
            ("list-heartbeats ocfs2", Same),
            ("remove-heartbeat ocfs2 AAAA", Same),
            ("remove-heartbeat ocfs2 /no/such/device", Same),
        ],
    },
    Case {
        name: "empty region",
        start: Start::Fixture(CANON_A),
        steps: &[("add-heartbeat ocfs2 ''", EmptyRegionRefused)],
    },
    Case {
        name: "blank region",
        start: Start::Fixture(CANON_A),
        steps: &[("add-heartbeat ocfs2 ' '", EmptyRegionRefused)],
    },
    Case {
        name: "a full cluster",
        start: Start::Generated(full_cluster),
        steps: &[
            ("add-node --ip 10.2.0.1 full extra", Same),
            ("remove-node full n17", Same),
            ("add-node --ip 10.2.0.1 full extra", Same),
            ("list-cluster --oneline full", Same),
        ],
    },
    Case {
        name: "global options and command dispatch",
        start: Start::Fixture(CANON_A),
        steps: &[
            ("", Same),
            ("-h", Same),
            ("--help", Same),
            ("-V", Same),
            ("--version", Same),
            ("--bogus list-clusters", Same),
            ("-x list-clusters", Same),
            ("nosuch", Same),
            ("-v list-clusters", Same),
            ("-vvv list-clusters", Same),
            ("list-clusters extra words", Same),
            ("list-clusters --oneline", Same),
            ("list-cluster nosuch", Same),
            ("list-cluster", Same),
            ("list-cluster --bad ocfs2", Same),
            ("list-cluster -o ocfs2", Same),
            ("list-cluster --o ocfs2", Same),
            ("list-nodes ocfs2 --oneline", Same),
            ("list-nodes --oneline ' ocfs2'", Same),
            ("list-heartbeats --oneline --oneline ocfs2", Same),
            ("-v add-cluster verbose", Same),
            ("--verbose remove-cluster verbose", Same),
        ],
    },
    Case {
        name: "unnamed cluster stanza",
        start: Start::Fixture("invalid/cluster-without-name.conf"),
        steps: &[
            ("list-clusters", NamelessClusterReported),
            ("add-cluster x", NamelessClusterReported),
        ],
    },
];

fn compare(case: &str, step: &str, expect: Expect, canonical_start: bool, c: &Run, rs: &Run) {
    let what = format!("case `{case}`, step `o2cb {step}`");
    match expect {
        Same => {
            assert_eq!(
                rs.stdout_str(),
                c.stdout_str(),
                "stdout differs: {what}\nours stderr: {}",
                rs.stderr_str()
            );
            assert_eq!(
                rs.status,
                c.status,
                "exit status differs: {what}\nC stderr: {}\nours stderr: {}",
                c.stderr_str(),
                rs.stderr_str()
            );
            match (&c.file, &rs.file) {
                (None, None) => {}
                (Some(cf), Some(rf)) => {
                    if canonical_start {
                        assert_eq!(
                            String::from_utf8_lossy(rf),
                            String::from_utf8_lossy(cf),
                            "file bytes differ: {what}"
                        );
                    }
                    assert_eq!(
                        String::from_utf8_lossy(&classic_meaning(rf)),
                        String::from_utf8_lossy(&classic_meaning(cf)),
                        "file meaning differs: {what}"
                    );
                }
                (cf, rf) => panic!(
                    "one side has no file: {what}: C {:?} ours {:?}",
                    cf.is_some(),
                    rf.is_some()
                ),
            }
        }
        NodeCountStopsAtZero => {
            assert_eq!(rs.status, c.status, "{what}");
            let cf = String::from_utf8_lossy(c.file.as_deref().unwrap()).into_owned();
            let rf = String::from_utf8_lossy(rs.file.as_deref().unwrap()).into_owned();
            assert!(cf.contains("node_count = 4294967295"), "{what}: {cf}");
            assert!(rf.contains("node_count = 0"), "{what}: {rf}");
        }
        EmptyRegionRefused => {
            assert_eq!(c.status, 0, "{what}");
            assert!(
                String::from_utf8_lossy(c.file.as_deref().unwrap()).contains("\tregion =\n"),
                "{what}"
            );
            assert_eq!(rs.status, 1, "{what}");
            assert!(
                rs.stderr_str().contains("usage: add-heartbeat"),
                "{what}: {}",
                rs.stderr_str()
            );
            assert!(
                !String::from_utf8_lossy(rs.file.as_deref().unwrap()).contains("region ="),
                "{what}"
            );
        }
        OrphansAdopted => {
            assert_eq!(rs.status, c.status, "{what}");
            let cf = classic_meaning(c.file.as_deref().unwrap());
            let rf = classic_meaning(rs.file.as_deref().unwrap());
            let cf = String::from_utf8_lossy(&cf);
            let rf = String::from_utf8_lossy(&rf);
            assert!(!cf.contains("name = l1"), "{what}: {cf}");
            assert!(rf.contains("name = l1"), "{what}: {rf}");
            if step.starts_with("add-cluster") {
                assert!(
                    rs.stderr_str()
                        .contains("takes over stanzas that already named it: nodes [l1]"),
                    "{what}: {}",
                    rs.stderr_str()
                );
            } else {
                assert!(
                    rs.stdout_str().contains("node: 0 l1 172.16.9.1:7777 lab"),
                    "{what}"
                );
            }
        }
        NamelessClusterReported => {
            assert_eq!(
                c.status,
                128 + 11,
                "{what}: the C tool is expected to crash"
            );
            assert_eq!(rs.status, 1, "{what}");
            assert!(
                rs.stderr_str().contains("cluster stanza has no `name`"),
                "{what}: {}",
                rs.stderr_str()
            );
            assert_eq!(rs.file, c.file, "{what}: neither may touch the file");
        }
    }
}

/// A difference that is not one of the documented ones fails the test; the documented ones
/// are asserted to be exactly as documented.
#[test]
fn edit_sequences_match_the_c_tool() {
    let Some(c_bin) = reference("o2cb") else {
        eprintln!("skipped: the C o2cb is not installed");
        return;
    };
    let mut steps_run = 0;
    for case in CASES {
        let start = case.start.bytes();
        let canonical_start = start.as_deref().is_none_or(|b| classic_meaning(b) == b);
        let c = Side::new(start.as_deref());
        let rs = Side::new(start.as_deref());
        for (step, expect) in case.steps {
            let args = words(step);
            let c_run = c.run(&c_bin, &args);
            let rs_run = rs.run(&ours(), &args);
            let expect = match (expect, &c_run.file) {
                // The wrap shows up whenever the C tool stored a count below zero.
                (Same, Some(f))
                    if String::from_utf8_lossy(f).contains("node_count = 4294967295") =>
                {
                    NodeCountStopsAtZero
                }
                (e, _) => *e,
            };
            compare(case.name, step, expect, canonical_start, &c_run, &rs_run);
            if matches!(expect, NodeCountStopsAtZero) {
                // From here on the two files legitimately differ in the count; continue
                // from the same file on both sides.
                std::fs::copy(
                    c.dir.path().join("cluster.conf"),
                    rs.dir.path().join("cluster.conf"),
                )
                .unwrap();
            }
            steps_run += 1;
        }
    }
    eprintln!("{} edit sequences, {steps_run} steps compared", CASES.len());
    assert!(steps_run >= 150);
}

/// Every valid fixture, read through every listing command of both tools.
#[test]
fn listings_of_valid_files_match_the_c_tool() {
    let Some(c_bin) = reference("o2cb") else {
        eprintln!("skipped: the C o2cb is not installed");
        return;
    };
    let mut compared = 0;
    for entry in std::fs::read_dir(fixtures().join("valid")).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        let doc = cluster_conf::Document::parse(bytes.clone());
        assert!(
            !doc.has_classic_errors(),
            "{}: {}",
            path.display(),
            doc.render_diagnostics("f", |_| true)
        );
        let mut commands = vec![
            "list-clusters".to_string(),
            "list-cluster nosuch".to_string(),
        ];
        for c in &doc.config().clusters {
            let name = String::from_utf8_lossy(&c.name);
            for cmd in [
                "list-cluster",
                "list-cluster --oneline",
                "list-nodes",
                "list-nodes --oneline",
                "list-heartbeats",
                "list-heartbeats --oneline",
            ] {
                commands.push(format!("{cmd} '{name}'"));
            }
        }
        let side = Side::new(Some(&bytes));
        for cmd in &commands {
            let args = words(cmd);
            let c_run = side.run(&c_bin, &args);
            let rs_run = side.run(&ours(), &args);
            compare(
                &path.display().to_string(),
                cmd,
                Same,
                false,
                &c_run,
                &rs_run,
            );
            compared += 1;
        }
    }
    eprintln!("{compared} listing cases compared");
    assert!(compared >= 100);
}

/// Every invalid fixture is refused by both (the C tool crashes on one; see
/// `unnamed cluster stanza`), with the file untouched.
#[test]
fn invalid_files_are_refused_like_the_c_tool() {
    let Some(c_bin) = reference("o2cb") else {
        eprintln!("skipped: the C o2cb is not installed");
        return;
    };
    let mut compared = 0;
    for entry in std::fs::read_dir(fixtures().join("invalid")).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        for cmd in ["list-clusters", "add-cluster fresh", "remove-cluster a"] {
            let side = Side::new(Some(&bytes));
            let args = words(cmd);
            let c_run = side.run(&c_bin, &args);
            let rs_run = side.run(&ours(), &args);
            let what = format!("{} / {cmd}", path.display());
            if c_run.status == 139 {
                compare(&what, cmd, NamelessClusterReported, false, &c_run, &rs_run);
            } else {
                assert_eq!(c_run.status, 1, "{what}");
                assert_eq!(rs_run.status, 1, "{what}: {}", rs_run.stderr_str());
                assert!(
                    rs_run.stdout.is_empty() && c_run.stdout.is_empty(),
                    "{what}"
                );
                assert_eq!(
                    rs_run.file.as_deref(),
                    Some(&bytes[..]),
                    "{what}: file touched"
                );
                assert!(
                    rs_run.stderr_str().contains("cluster.conf:"),
                    "{what}: no location in {}",
                    rs_run.stderr_str()
                );
            }
            compared += 1;
        }
    }
    eprintln!("{compared} invalid-file cases compared");
    assert!(compared >= 80);
}

/// Every class of value `--number` and `--port` can take, through both tools: decimal, octal,
/// hexadecimal, signs, blanks, the 32-bit and 64-bit boundaries on both sides, values that
/// saturate `strtol`, and junk. The C tool stores `strtol`'s `long` in an `int` before its
/// checks, so values wrap modulo 2^32; ours must do the same.
#[test]
fn numeric_options_wrap_like_a_c_int_for_every_class_of_value() {
    let Some(c_bin) = reference("o2cb") else {
        eprintln!("skipped: the C o2cb is not installed");
        return;
    };
    let mut values: Vec<String> = Vec::new();
    for base in [0i128, 1 << 31, 1 << 32, 1 << 63, 1 << 64] {
        for delta in [-2i128, -1, 0, 1, 5, 7777, 254, 255] {
            let v = base + delta;
            values.push(v.to_string());
            values.push((-v).to_string());
            if v >= 0 {
                values.push(format!("0x{v:x}"));
                values.push(format!("0{v:o}"));
            }
        }
    }
    values.extend(
        [
            "",
            " 5",
            "+5",
            "-0",
            "0x",
            "08",
            "1e3",
            "5 ",
            "99999999999999999999999",
            "-99999999999999999999999",
            "0xffffffff",
            "0x100000005",
            "037777777777",
        ]
        .map(String::from),
    );
    let start = b"cluster:\n\tname = c\n\theartbeat_mode = local\n\tnode_count = 1\n\nnode:\n\tcluster = c\n\tnumber = 3\n\tip_port = 7777\n\tip_address = 10.0.0.3\n\tname = three\n\n";
    let mut compared = 0;
    for v in &values {
        for opt in ["--number", "--port"] {
            let args: Vec<OsString> = ["add-node", opt, v, "--ip", "10.0.0.9", "c", "x"]
                .iter()
                .map(OsString::from)
                .collect();
            let c = Side::new(Some(start));
            let rs = Side::new(Some(start));
            let c_run = c.run(&c_bin, &args);
            let rs_run = rs.run(&ours(), &args);
            compare(
                "numeric classes",
                &format!("add-node {opt} '{v}'"),
                Same,
                true,
                &c_run,
                &rs_run,
            );
            compared += 1;
        }
    }
    eprintln!("{compared} numeric option values compared");
}
