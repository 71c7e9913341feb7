//! Reading the small files the kernel generates (`/proc/mounts`, sysfs and configfs
//! attributes, debugfs): open, read until end of file, close.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

/// The file's content as text. `std::fs::read_to_string` first asks the file's size (and
/// `Read::read_to_string` its size and position), which the kernel's generated files do not
/// know (they report 0 or 4096): one or two system calls per file for nothing, paid many times
/// by `o2cb.init status`, which monitors call every few seconds.
pub fn read_to_string(path: &Path) -> io::Result<String> {
    let mut file = File::open(path)?;
    let mut bytes = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => bytes.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    String::from_utf8(bytes).map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            "stream did not contain valid UTF-8",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_small_and_large_files_whole() {
        let dir = tempfile::tempdir().unwrap();
        for len in [0, 1, 4095, 4096, 4097, 100_000] {
            let p = dir.path().join(format!("f{len}"));
            let text: String = (0..len)
                .map(|i| char::from(b'a' + (i % 26) as u8))
                .collect();
            std::fs::write(&p, &text).unwrap();
            assert_eq!(read_to_string(&p).unwrap(), text, "{len} bytes");
        }
        let bad = dir.path().join("bad");
        std::fs::write(&bad, [0xff, 0xfe]).unwrap();
        assert_eq!(
            read_to_string(&bad).unwrap_err().kind(),
            io::ErrorKind::InvalidData
        );
        assert_eq!(
            read_to_string(&dir.path().join("missing"))
                .unwrap_err()
                .kind(),
            io::ErrorKind::NotFound
        );
    }
}
