//! The heartbeat region of a volume (docs/ocfs2-tools-reference.md §6.2, §8.7) and the slots
//! the kernel writes in it (reference §6.6).

use crate::device::ReadAt;
use crate::error::{HeartbeatError, HeartbeatSlotError, ReadError};
use crate::format::hb;
use crate::le::{Le, OutOfBounds};
use crate::superblock::{uuid_hex, Uuid};
use crate::volume::Volume;

/// Name of the heartbeat system file.
pub const HEARTBEAT_FILE: &str = "heartbeat";

/// What o2hb needs to heartbeat on a volume: the values written to
/// `cluster/<cluster>/heartbeat/<name>/{block_bytes,start_block,blocks}` in configfs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeartbeatRegion {
    uuid: Uuid,
    block_bytes: u32,
    start_block: u64,
    blocks: u32,
}

impl HeartbeatRegion {
    /// The volume UUID; its hex form is the region name.
    pub fn uuid(&self) -> Uuid {
        self.uuid
    }

    /// The region name: the UUID as 32 upper-case hex digits.
    pub fn name(&self) -> String {
        uuid_hex(&self.uuid)
    }

    /// Bytes per heartbeat slot: the device sector size.
    pub fn block_bytes(&self) -> u32 {
        self.block_bytes
    }

    /// First slot, in units of `block_bytes` from the start of the device.
    pub fn start_block(&self) -> u64 {
        self.start_block
    }

    /// Number of slots: always 255, one per node number.
    pub fn blocks(&self) -> u32 {
        self.blocks
    }

    /// Byte offset of node `node`'s slot, `None` beyond the last slot.
    pub fn slot_offset(&self, node: u32) -> Option<u64> {
        if node >= self.blocks {
            return None;
        }
        self.start_block
            .checked_add(u64::from(node))?
            .checked_mul(u64::from(self.block_bytes))
    }
}

impl<R: ReadAt> Volume<R> {
    /// The heartbeat region of this volume for a device with `sector_size`-byte sectors
    /// (`BLKSSZGET`; 512 for an image file), checked as libo2cb checks it.
    pub fn heartbeat_region(&self, sector_size: u32) -> Result<HeartbeatRegion, HeartbeatError> {
        if !sector_size.is_power_of_two() || sector_size < 512 {
            return Err(HeartbeatError::InvalidSectorSize { sector_size });
        }
        let inode = self.system_inode(HEARTBEAT_FILE)?;
        if inode.has_inline_data() {
            return Err(HeartbeatError::InlineData);
        }
        let list = inode.extent_list()?;
        if list.depth != 0 {
            return Err(HeartbeatError::NotALeaf { depth: list.depth });
        }
        let [extent] = list.records[..] else {
            return Err(HeartbeatError::ExtentCount {
                // At most what fits in a block, so it fits in u16.
                records: u16::try_from(list.records.len()).unwrap_or(u16::MAX),
            });
        };
        let sb = self.superblock();
        let block_size = sb.block_size().bytes();
        if block_size < sector_size {
            return Err(HeartbeatError::BlockSmallerThanSector {
                block_size,
                sector_size,
            });
        }
        let blocks = u64::from(extent.clusters) << sb.blocks_per_cluster_bits();
        if blocks < u64::from(hb::BLOCKS) {
            return Err(HeartbeatError::TooShort { blocks });
        }
        let total_blocks = sb.total_blocks();
        if extent
            .blkno
            .checked_add(blocks)
            .is_none_or(|end| end > total_blocks)
        {
            return Err(HeartbeatError::OutsideVolume {
                blkno: extent.blkno,
                blocks,
                total_blocks,
            });
        }
        // blkno < 2^43 here, so the product fits in u64.
        let sectors_per_block = u64::from(block_size / sector_size);
        Ok(HeartbeatRegion {
            uuid: sb.uuid(),
            block_bytes: sector_size,
            start_block: extent.blkno * sectors_per_block,
            blocks: hb::BLOCKS,
        })
    }

    /// Reads and decodes node `node`'s heartbeat slot.
    pub fn read_heartbeat_slot(
        &self,
        region: &HeartbeatRegion,
        node: u32,
    ) -> Result<HeartbeatSlot, ReadError> {
        let offset = region
            .slot_offset(node)
            .ok_or(ReadError::NoHeartbeatSlot { node })?;
        let sector = self.read_bytes(offset, region.block_bytes as usize)?;
        HeartbeatSlot::decode(&sector).map_err(|_| ReadError::ShortRead {
            offset,
            wanted: hb::LEN,
            got: sector.len(),
        })
    }
}

/// One node's heartbeat slot as the kernel writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HeartbeatSlot {
    /// Wall-clock seconds of the write; 0 in a slot never written.
    pub seq: u64,
    /// The writer's node number.
    pub node: u8,
    /// The stored checksum.
    pub checksum: u32,
    /// Random, non-zero, new at each region start.
    pub generation: u64,
    /// The writer's dead threshold × 2000.
    pub dead_ms: u32,
    /// Whether `checksum` matches the sector. Note that an all-zero (freshly formatted)
    /// sector does match: the kernel's CRC of zeros from a zero seed is 0. Use
    /// [`HeartbeatSlot::is_written`] to tell slots never written apart.
    pub checksum_valid: bool,
}

impl HeartbeatSlot {
    /// Decodes one slot from its sector (512 bytes or more; the checksum covers the whole
    /// sector).
    pub fn decode(sector: &[u8]) -> Result<Self, HeartbeatSlotError> {
        let too_short = |_: OutOfBounds| HeartbeatSlotError {
            len: sector.len(),
            min: hb::LEN,
        };
        let le = Le(sector);
        let checksum = le.u32(hb::CKSUM).map_err(too_short)?;
        Ok(HeartbeatSlot {
            seq: le.u64(hb::SEQ).map_err(too_short)?,
            node: le.u8(hb::NODE).map_err(too_short)?,
            checksum,
            generation: le.u64(hb::GENERATION).map_err(too_short)?,
            dead_ms: le.u32(hb::DEAD_MS).map_err(too_short)?,
            checksum_valid: checksum == slot_checksum(sector),
        })
    }

    /// Whether any node ever wrote this slot (the kernel never writes a zero `seq`).
    pub fn is_written(&self) -> bool {
        self.seq != 0
    }

    /// The sector of `sector_len` bytes the kernel would write for these values, with a
    /// correct checksum (`checksum` and `checksum_valid` are ignored).
    pub fn encode(&self, sector_len: usize) -> Result<Vec<u8>, HeartbeatSlotError> {
        if sector_len < hb::LEN {
            return Err(HeartbeatSlotError {
                len: sector_len,
                min: hb::LEN,
            });
        }
        let mut sector = vec![0u8; sector_len];
        sector[hb::SEQ..hb::SEQ + 8].copy_from_slice(&self.seq.to_le_bytes());
        sector[hb::NODE] = self.node;
        sector[hb::GENERATION..hb::GENERATION + 8].copy_from_slice(&self.generation.to_le_bytes());
        sector[hb::DEAD_MS..hb::DEAD_MS + 4].copy_from_slice(&self.dead_ms.to_le_bytes());
        let checksum = slot_checksum(&sector);
        sector[hb::CKSUM..hb::CKSUM + 4].copy_from_slice(&checksum.to_le_bytes());
        Ok(sector)
    }
}

/// The kernel's `crc32_le(0, sector)` with the checksum field taken as zero.
///
/// `crc32_le` starts from the given value and applies no final inversion, while zlib's
/// `crc32` (which crc32fast computes) inverts on entry and exit: starting crc32fast from
/// `!0` and inverting its result yields the kernel's value.
pub fn slot_checksum(sector: &[u8]) -> u32 {
    let mut hasher = crc32fast::Hasher::new_with_initial(!0);
    let field = hb::CKSUM..hb::CKSUM + 4;
    match (sector.get(..field.start), sector.get(field.end..)) {
        (Some(before), Some(after)) => {
            hasher.update(before);
            hasher.update(&[0; 4]);
            hasher.update(after);
        }
        _ => hasher.update(sector),
    }
    !hasher.finalize()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The test vector of reference §6.6.
    fn vector_slot() -> HeartbeatSlot {
        HeartbeatSlot {
            seq: 1_700_000_000,
            node: 3,
            generation: 0x1122_3344_5566_7788,
            dead_ms: 62_000,
            ..HeartbeatSlot::default()
        }
    }

    #[test]
    fn checksum_matches_the_spec_vector() {
        let sector = vector_slot().encode(512).unwrap();
        assert_eq!(slot_checksum(&sector), 0xCD9A_F8C8);
        let slot = HeartbeatSlot::decode(&sector).unwrap();
        assert_eq!(slot.checksum, 0xCD9A_F8C8);
        assert!(slot.checksum_valid);
        assert_eq!(
            slot,
            HeartbeatSlot {
                checksum: 0xCD9A_F8C8,
                checksum_valid: true,
                ..vector_slot()
            }
        );
    }

    #[test]
    fn any_changed_byte_breaks_the_checksum() {
        let mut sector = vector_slot().encode(512).unwrap();
        sector[511] = 1;
        assert!(!HeartbeatSlot::decode(&sector).unwrap().checksum_valid);
    }

    /// Reference §6.6 calls the CRC of a formatted slot invalid, but crc32_le from a zero seed
    /// over zeros is 0, which is what such a slot stores; `is_written` is what tells.
    #[test]
    fn formatted_slot_is_unwritten_and_its_zero_checksum_matches() {
        let slot = HeartbeatSlot::decode(&[0u8; 512]).unwrap();
        assert!(!slot.is_written());
        assert_eq!(slot_checksum(&[0u8; 512]), 0);
        assert!(slot.checksum_valid);
        assert!(HeartbeatSlot::decode(&vector_slot().encode(512).unwrap())
            .unwrap()
            .is_written());
    }

    #[test]
    fn short_sectors_are_refused() {
        let err = HeartbeatSlot::decode(&[0u8; 27]).unwrap_err();
        assert_eq!(err, HeartbeatSlotError { len: 27, min: 28 });
        assert!(vector_slot().encode(16).is_err());
        // The checksum of a short buffer is still defined (no panic).
        let _ = slot_checksum(&[1, 2, 3]);
    }

    #[test]
    fn slot_offsets_follow_the_region() {
        let region = HeartbeatRegion {
            uuid: Uuid::from_bytes([0; 16]),
            block_bytes: 512,
            start_block: 49_200,
            blocks: 255,
        };
        assert_eq!(region.slot_offset(0), Some(49_200 * 512));
        assert_eq!(region.slot_offset(254), Some((49_200 + 254) * 512));
        assert_eq!(region.slot_offset(255), None);
    }
}
