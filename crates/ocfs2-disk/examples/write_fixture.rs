//! Writes a fixture variant to a path (for poking at it with the C tools):
//! `write_fixture PATH [depth]`.
use ocfs2_disk::image::{ImageBuilder, SystemDirLayout};

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("usage: write_fixture PATH [depth]");
    let depth: u16 = args.next().map_or(0, |d| d.parse().expect("depth"));
    let image = ImageBuilder::new()
        .slot(0, 3)
        .slot(2, 12)
        .system_dir(SystemDirLayout::Extents { depth })
        .build()
        .expect("fixture");
    std::fs::write(path, image.bytes).expect("write");
}
