//! Directory lookup, enough to find system files by name (docs/ocfs2-tools-reference.md §8.6).

use crate::block_check::BlockKind;
use crate::device::ReadAt;
use crate::error::ReadError;
use crate::features::Incompat;
use crate::format::dirent;
use crate::inode::{too_large, Inode};
use crate::le::{Le, OutOfBounds};
use crate::volume::Volume;

/// Directory blocks a lookup will scan. The system directory of a 255-slot volume with
/// 512-byte blocks needs about 130; a larger claim is corruption, not a directory.
const MAX_DIR_BLOCKS: usize = 4096;

impl<R: ReadAt> Volume<R> {
    /// The inode block of `name` in the system directory.
    pub fn system_file_blkno(&self, name: &str) -> Result<u64, ReadError> {
        let dir = self.read_inode(self.superblock().system_dir_blkno())?;
        self.lookup(&dir, name.as_bytes())?
            .ok_or_else(|| ReadError::NotFound {
                name: name.to_owned(),
            })
    }

    /// The inode of `name` in the system directory.
    pub(crate) fn system_inode(&self, name: &str) -> Result<Inode, ReadError> {
        self.read_inode(self.system_file_blkno(name)?)
    }

    /// Looks `name` up in directory `dir`, whether its entries live inline in the inode or
    /// in blocks mapped by its extent tree.
    fn lookup(&self, dir: &Inode, name: &[u8]) -> Result<Option<u64>, ReadError> {
        if !dir.is_dir() {
            return Err(ReadError::NotADirectory { blkno: dir.blkno });
        }
        if dir.has_inline_data() {
            let data = dir.inline_data()?;
            // Entries chain to i_size, which cannot exceed the inline area.
            let Some(entries) = usize::try_from(dir.size).ok().and_then(|n| data.get(..n)) else {
                return Err(corrupt(dir, 0, "i_size exceeds the inline data area"));
            };
            return scan_block(dir, 0, entries, name);
        }
        let map = self.extent_map(dir)?;
        let block_len = self.superblock().block_size().len() as u64;
        let blocks = dir.size.div_ceil(block_len);
        if blocks > MAX_DIR_BLOCKS as u64 {
            return Err(too_large(dir, "directory blocks", MAX_DIR_BLOCKS));
        }
        for lblk in 0..blocks {
            let offset = lblk * block_len;
            let Some(pblk) = map.physical(lblk) else {
                return Err(corrupt(dir, offset, "hole in directory"));
            };
            let block = self.read_dir_block(pblk)?;
            if let Some(found) = scan_block(dir, offset, &block, name)? {
                return Ok(Some(found));
            }
        }
        Ok(None)
    }

    /// Reads a directory block. On a `META_ECC` volume every directory block ends with a
    /// trailer carrying its block check: the check is verified first, then the trailer's
    /// signature (the order of libocfs2's reports).
    fn read_dir_block(&self, blkno: u64) -> Result<Vec<u8>, ReadError> {
        let block = self.read_metadata(blkno, BlockKind::DirBlock)?;
        if self.superblock().incompat().contains(Incompat::META_ECC) {
            let at = block.len() - dirent::TRAILER_LEN + dirent::TRAILER_SIGNATURE;
            if block.get(at..at + dirent::TRAILER_MAGIC.len()) != Some(dirent::TRAILER_MAGIC) {
                return Err(ReadError::BadDirTrailer { blkno });
            }
        }
        Ok(block)
    }
}

/// Scans the entries of one directory block (or of the inline area). Entries with inode 0
/// are free; the 64-byte trailer of indexed directories looks like one and is skipped with
/// them. Every record is at least 12 bytes, so the scan always ends.
fn scan_block(dir: &Inode, base: u64, data: &[u8], name: &[u8]) -> Result<Option<u64>, ReadError> {
    let mut pos = 0usize;
    while pos < data.len() {
        let at = |reason| corrupt(dir, base + pos as u64, reason);
        let le = Le(data);
        let header = || -> Result<_, OutOfBounds> {
            Ok((
                le.u64(pos + dirent::INODE)?,
                le.u16(pos + dirent::REC_LEN)?,
                le.u8(pos + dirent::NAME_LEN)?,
            ))
        };
        let (inode, rec_len, name_len) =
            header().map_err(|_| at("entry header runs past the block"))?;
        let rec_len = usize::from(rec_len);
        let name_len = usize::from(name_len);
        if rec_len < dirent::HEADER_LEN || rec_len % 4 != 0 {
            return Err(at("record length not a multiple of 4 of at least 12"));
        }
        if rec_len < dirent::min_rec_len(name_len) {
            return Err(at("record too short for its name"));
        }
        let Some(record) = data.get(pos..pos + rec_len) else {
            return Err(at("record runs past the block"));
        };
        if inode != 0 && record.get(dirent::NAME..dirent::NAME + name_len) == Some(name) {
            return Ok(Some(inode));
        }
        pos += rec_len;
    }
    Ok(None)
}

fn corrupt(dir: &Inode, offset: u64, reason: &'static str) -> ReadError {
    ReadError::CorruptDirectory {
        dir_blkno: dir.blkno,
        offset,
        reason,
    }
}
