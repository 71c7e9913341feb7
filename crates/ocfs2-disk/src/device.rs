//! The one door through which the library reads a device or an image.
//!
//! The library never opens anything: the caller hands it something that can do positional
//! reads. Opening block devices (O_DIRECT, fadvise, size ioctls) is the job of the crate that
//! touches the machine; it can wrap its handle in [`WithSize`] to tell us the device size.

use std::fs::File;
use std::io;

/// Positional reads from a device or an image, plus an optional size.
pub trait ReadAt {
    /// Reads up to `buf.len()` bytes at byte `offset`. Returns the number of bytes read; 0
    /// means end of device. Like `pread(2)`, a short count is not an error by itself.
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize>;

    /// The size of the device in bytes when it is cheap to know, used to refuse reads (and
    /// allocations) that could never be satisfied. `None` when unknown.
    fn size_hint(&self) -> Option<u64> {
        None
    }
}

impl ReadAt for [u8] {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        let Ok(start) = usize::try_from(offset) else {
            return Ok(0);
        };
        let Some(available) = self.get(start..) else {
            return Ok(0);
        };
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        Ok(n)
    }

    fn size_hint(&self) -> Option<u64> {
        u64::try_from(self.len()).ok()
    }
}

impl ReadAt for Vec<u8> {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        self.as_slice().read_at(offset, buf)
    }

    fn size_hint(&self) -> Option<u64> {
        self.as_slice().size_hint()
    }
}

impl<T: ReadAt + ?Sized> ReadAt for &T {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        (**self).read_at(offset, buf)
    }

    fn size_hint(&self) -> Option<u64> {
        (**self).size_hint()
    }
}

impl ReadAt for File {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        std::os::unix::fs::FileExt::read_at(self, buf, offset)
    }

    /// Only regular files report a size: `metadata().len()` is 0 for a block device, and
    /// asking the kernel for a device's size is an ioctl, which belongs to the caller
    /// (see [`WithSize`]).
    fn size_hint(&self) -> Option<u64> {
        let meta = self.metadata().ok()?;
        meta.is_file().then_some(meta.len())
    }
}

/// A reader whose size the caller already knows (e.g. from `BLKGETSIZE64`).
#[derive(Debug, Clone)]
pub struct WithSize<R> {
    inner: R,
    size: u64,
}

impl<R> WithSize<R> {
    /// Wraps `inner`, declaring that it holds `size` bytes.
    pub fn new(inner: R, size: u64) -> Self {
        WithSize { inner, size }
    }

    /// Gives the wrapped reader back.
    pub fn into_inner(self) -> R {
        self.inner
    }
}

impl<R: ReadAt> ReadAt for WithSize<R> {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read_at(offset, buf)
    }

    fn size_hint(&self) -> Option<u64> {
        Some(self.size)
    }
}

/// Reads until `buf` is full or the device ends (retrying interrupted and short reads, which
/// block devices and pipes may give); returns how many bytes were read.
pub(crate) fn read_full<R: ReadAt + ?Sized>(
    dev: &R,
    offset: u64,
    buf: &mut [u8],
) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        let Some(at) = offset.checked_add(filled as u64) else {
            break;
        };
        match dev.read_at(at, &mut buf[filled..]) {
            Ok(0) => break,
            // A reader that claims more than it was given is broken; never index past the
            // buffer because of it.
            Ok(n) => filled = filled.saturating_add(n).min(buf.len()),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slice_reads_are_clipped_at_the_end() {
        let data = [1u8, 2, 3, 4];
        let mut buf = [0u8; 3];
        assert_eq!(data[..].read_at(2, &mut buf).unwrap(), 2);
        assert_eq!(buf, [3, 4, 0]);
        assert_eq!(data[..].read_at(4, &mut buf).unwrap(), 0);
        assert_eq!(data[..].read_at(u64::MAX, &mut buf).unwrap(), 0);
    }

    /// A reader that hands out one byte per call, to show that `read_full` keeps going.
    struct Trickle(Vec<u8>);
    impl ReadAt for Trickle {
        fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
            let n = buf.len().min(1);
            self.0.read_at(offset, &mut buf[..n])
        }
    }

    #[test]
    fn read_full_collects_short_reads_until_the_end() {
        let dev = Trickle(vec![7, 8, 9]);
        let mut buf = [0u8; 5];
        assert_eq!(read_full(&dev, 1, &mut buf).unwrap(), 2);
        assert_eq!(&buf[..2], &[8, 9]);
    }

    #[test]
    fn with_size_reports_the_declared_size() {
        let dev = WithSize::new(vec![0u8; 4], 1 << 30);
        assert_eq!(dev.size_hint(), Some(1 << 30));
        assert_eq!(Vec::<u8>::new().size_hint(), Some(0));
    }
}
