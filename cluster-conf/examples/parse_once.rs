//! One `Document::parse` (or, with the argument `tree`, one `syntax::parse`) of the file the
//! `parse` benchmark generates, for counting instructions (docs/benchmarks.md):
//!
//! ```sh
//! cargo build --release -p cluster-conf --example parse_once
//! valgrind --tool=callgrind --toggle-collect='*doc_parse*' target/release/examples/parse_once
//! valgrind --tool=callgrind --toggle-collect='*tree_parse*' target/release/examples/parse_once tree
//! ```

use cluster_conf::{syntax, Document};

#[path = "../benches/common/generate.rs"]
mod generate;

#[inline(never)]
fn doc_parse(text: Vec<u8>) -> Document {
    Document::parse(text)
}

#[inline(never)]
fn tree_parse(text: &[u8]) -> syntax::SyntaxTree {
    syntax::parse(text)
}

fn main() {
    let text = generate::generate().into_bytes();
    if std::env::args().nth(1).as_deref() == Some("tree") {
        std::hint::black_box(tree_parse(&text));
    } else {
        std::hint::black_box(doc_parse(text));
    }
}
