//! 255 nodes and 1,000 filesystems, half of their members pinned: the largest cluster.conf
//! the kernel's node limit allows, allocated in one go as `o2cb` does on every start.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use slots::{allocate, Cluster, Filesystem, Member, Slot};

const NODES: u32 = 255;
const FILESYSTEMS: usize = 1_000;

/// A small deterministic generator, so every run measures the same input.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, bound: usize) -> usize {
        (self.next() % bound as u64) as usize
    }
}

fn input() -> (Vec<Cluster>, Vec<Filesystem>) {
    let cluster = Cluster {
        name: b"big".to_vec(),
        nodes: (0..NODES)
            .map(|n| (format!("node{n:03}").into_bytes(), n))
            .collect(),
    };
    let names: Vec<Vec<u8>> = cluster.nodes.keys().cloned().collect();
    let mut random = SplitMix(0x0CF5_2000);
    let filesystems = (0..FILESYSTEMS)
        .map(|i| {
            // Every fourth filesystem has all 255 nodes as members, the rest a random subset.
            let count = if i % 4 == 0 {
                names.len()
            } else {
                1 + random.below(names.len())
            };
            let mut order: Vec<usize> = (0..names.len()).collect();
            for at in (1..order.len()).rev() {
                order.swap(at, random.below(at + 1));
            }
            let slots = (count + random.below(8)).min(255) as Slot;
            let mut free_slots: Vec<Slot> = (0..slots).collect();
            for at in (1..free_slots.len()).rev() {
                free_slots.swap(at, random.below(at + 1));
            }
            let members = order[..count]
                .iter()
                .enumerate()
                .map(|(k, &node)| Member {
                    node: names[node].clone(),
                    pinned: (k % 2 == 0).then(|| free_slots[k]),
                })
                .collect();
            Filesystem {
                uuid: format!("{i:032X}"),
                label: Some(format!("fs{i}").into_bytes()),
                cluster: b"big".to_vec(),
                slots,
                members,
            }
        })
        .collect();
    (vec![cluster], filesystems)
}

fn bench(c: &mut Criterion) {
    let (clusters, filesystems) = input();
    let results = allocate(&clusters, &filesystems);
    assert!(
        results.iter().all(Result::is_ok),
        "the benchmark input is valid"
    );
    c.bench_function("255 nodes x 1000 filesystems", |b| {
        b.iter(|| allocate(black_box(&clusters), black_box(&filesystems)))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
