//! `Document::parse` on a generated ~10 MB cluster.conf: many clusters, each with nodes and
//! heartbeat regions, a comment now and then, stanzas laid out as people write them (mixed
//! indentation, keys in any order). Reported as throughput (MB/s); the goal is ≥ 200 MB/s.
//!
//! Three measurements show where the time goes: the whole `Document::parse` (syntax tree,
//! model, diagnostics), the syntax tree alone, and the line index used to place
//! diagnostics.

use std::fmt::Write as _;
use std::hint::black_box;

use cluster_conf::{syntax, Document, LineIndex};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

/// Target size of the generated file.
const TARGET_BYTES: usize = 10 * 1024 * 1024;
const NODES_PER_CLUSTER: usize = 200;
const REGIONS_PER_CLUSTER: usize = 16;

/// A big, valid, hand-edited-looking cluster.conf of about `TARGET_BYTES`.
fn generate() -> String {
    let mut s = String::with_capacity(TARGET_BYTES + 64 * 1024);
    let mut c = 0;
    while s.len() < TARGET_BYTES {
        let _ = writeln!(
            s,
            "# cluster {c}: {NODES_PER_CLUSTER} nodes, global heartbeat"
        );
        let _ = write!(
            s,
            "cluster:\n\tname = c{c}\n\theartbeat_mode = global\n\tnode_count = {NODES_PER_CLUSTER}\n\n"
        );
        for r in 0..REGIONS_PER_CLUSTER {
            let _ = write!(
                s,
                "heartbeat:\n\tcluster = c{c}\n\tregion = {:016X}{:016X}\n\n",
                c as u64 * 0x9E37_79B9,
                r as u64 + 1
            );
        }
        for n in 0..NODES_PER_CLUSTER {
            if n % 50 == 0 {
                let _ = writeln!(s, "# rack {}", n / 50);
            }
            if n % 2 == 0 {
                let _ = write!(
                    s,
                    "node:\n\tcluster = c{c}\n\tnumber = {n}\n\tip_port = 7777\n\tip_address = 10.{}.{}.{}\n\tname = c{c}-node{n}\n\n",
                    c % 250,
                    n / 250,
                    n % 250 + 1
                );
            } else {
                let _ = write!(
                    s,
                    "node:\n    name = c{c}-node{n}\n    cluster = c{c}\n    number = {n}\n    ip_address = 10.{}.{}.{}\n    ip_port = 7777\n\n",
                    c % 250,
                    n / 250,
                    n % 250 + 1
                );
            }
        }
        c += 1;
    }
    s
}

fn parse(c: &mut Criterion) {
    let text = generate().into_bytes();
    // The input must be what it claims: valid, and all of it in the model.
    let doc = Document::parse(text.clone());
    assert!(!doc.has_any_errors(), "the generated file is valid");
    let clusters = doc.config().clusters.len();
    assert!(clusters > 1);
    assert!(doc
        .config()
        .clusters
        .iter()
        .all(|c| c.nodes.len() == NODES_PER_CLUSTER && c.regions.len() == REGIONS_PER_CLUSTER));
    drop(doc);

    let mut group = c.benchmark_group("parse");
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.sample_size(20);
    group.bench_function("Document::parse 10MB", |b| {
        b.iter_batched(
            || text.clone(),
            |t| black_box(Document::parse(t)),
            criterion::BatchSize::LargeInput,
        )
    });
    group.bench_function("syntax::parse 10MB", |b| {
        b.iter(|| black_box(syntax::parse(black_box(&text))))
    });
    group.bench_function("LineIndex::new 10MB", |b| {
        b.iter(|| black_box(LineIndex::new(black_box(&text))))
    });
    group.finish();
}

criterion_group!(benches, parse);
criterion_main!(benches);
