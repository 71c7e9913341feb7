//! `Document::parse` on a generated ~10 MB cluster.conf: many clusters, each with nodes and
//! heartbeat regions, a comment now and then, stanzas laid out as people write them (mixed
//! indentation, keys in any order). Reported as throughput (MB/s); the goal is ≥ 200 MB/s.
//!
//! Three measurements show where the time goes: the whole `Document::parse` (syntax tree,
//! model, diagnostics), the syntax tree alone, and the line index used to place
//! diagnostics.

use std::hint::black_box;

use cluster_conf::{syntax, Document, LineIndex};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

#[path = "common/generate.rs"]
mod generate;

use generate::{generate, NODES_PER_CLUSTER, REGIONS_PER_CLUSTER};

fn parse(c: &mut Criterion) {
    let text = generate().into_bytes();
    // The input must be what it claims: valid, and all of it in the model.
    let doc = Document::parse(text.clone());
    assert!(
        !doc.has_classic_or_extension_errors(),
        "the generated file is valid"
    );
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
