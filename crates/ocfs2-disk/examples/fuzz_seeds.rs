//! Writes the fixture variants as fuzz seeds: `fuzz_seeds DIR`. The trailing zeros are cut
//! off; the fuzz target reads the input as the start of a zero-filled device.
fn main() {
    let dir = std::path::PathBuf::from(std::env::args().nth(1).expect("usage: fuzz_seeds DIR"));
    for (name, builder) in ocfs2_disk::image::variants() {
        let image = builder.build().expect("fixture");
        let end = image
            .bytes
            .iter()
            .rposition(|&b| b != 0)
            .map_or(0, |i| i + 1);
        std::fs::write(dir.join(name), &image.bytes[..end]).expect("write seed");
    }
}
