//! Bounds-checked little-endian field access.
//!
//! Every on-disk integer goes through here, so a truncated or hostile buffer yields an
//! [`OutOfBounds`] instead of a panic, whatever offset a corrupt field points to.

/// A field that lies (partly) outside the buffer it was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("field of {len} bytes at offset {offset} lies outside a buffer of {size} bytes")]
pub struct OutOfBounds {
    /// Offset of the field within the buffer.
    pub offset: usize,
    /// Length of the field.
    pub len: usize,
    /// Length of the buffer.
    pub size: usize,
}

/// A read-only view of an on-disk structure.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Le<'a>(pub(crate) &'a [u8]);

impl<'a> Le<'a> {
    pub(crate) fn bytes(self, offset: usize, len: usize) -> Result<&'a [u8], OutOfBounds> {
        offset
            .checked_add(len)
            .and_then(|end| self.0.get(offset..end))
            .ok_or(OutOfBounds {
                offset,
                len,
                size: self.0.len(),
            })
    }

    pub(crate) fn array<const N: usize>(self, offset: usize) -> Result<[u8; N], OutOfBounds> {
        let slice = self.bytes(offset, N)?;
        let mut out = [0u8; N];
        out.copy_from_slice(slice);
        Ok(out)
    }

    pub(crate) fn u8(self, offset: usize) -> Result<u8, OutOfBounds> {
        Ok(self.array::<1>(offset)?[0])
    }

    pub(crate) fn u16(self, offset: usize) -> Result<u16, OutOfBounds> {
        self.array(offset).map(u16::from_le_bytes)
    }

    pub(crate) fn u32(self, offset: usize) -> Result<u32, OutOfBounds> {
        self.array(offset).map(u32::from_le_bytes)
    }

    pub(crate) fn u64(self, offset: usize) -> Result<u64, OutOfBounds> {
        self.array(offset).map(u64::from_le_bytes)
    }
}

/// The bytes of a fixed-size, NUL-padded on-disk string up to its first NUL (all of it when
/// there is none: labels and cluster names may fill their field).
pub(crate) fn until_nul(raw: &[u8]) -> &[u8] {
    let end = raw.iter().position(|&b| b == 0).unwrap_or(raw.len());
    &raw[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_little_endian_and_bounded() {
        let buf = [0x01, 0x02, 0x03, 0x04, 0x05];
        let le = Le(&buf);
        assert_eq!(le.u16(0).unwrap(), 0x0201);
        assert_eq!(le.u32(1).unwrap(), 0x0504_0302);
        assert_eq!(
            le.u64(0).unwrap_err(),
            OutOfBounds {
                offset: 0,
                len: 8,
                size: 5
            }
        );
        assert!(le.bytes(usize::MAX, 2).is_err());
    }

    #[test]
    fn until_nul_keeps_a_full_field() {
        assert_eq!(until_nul(b"ab\0c"), b"ab");
        assert_eq!(until_nul(b"abcd"), b"abcd");
    }
}
