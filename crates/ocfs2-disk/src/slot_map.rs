//! The slot map: which node uses which slot of the volume (docs/ocfs2-tools-reference.md §8.8).

use crate::device::ReadAt;
use crate::error::SlotMapError;
use crate::features::Incompat;
use crate::format::slot_map as fmt;
use crate::le::Le;
use crate::volume::Volume;

/// Name of the slot map system file.
pub const SLOT_MAP_FILE: &str = "slot_map";

/// The two on-disk layouts of the slot map.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SlotMapFormat {
    /// One le16 node number per slot, 0xFFFF for an empty slot.
    Classic,
    /// 8 bytes per slot: a validity byte and an le32 node number (`EXTENDED_SLOT_MAP`).
    Extended,
}

impl SlotMapFormat {
    /// The format a volume with these features uses.
    pub fn for_features(incompat: Incompat) -> Self {
        if incompat.contains(Incompat::EXTENDED_SLOT_MAP) {
            SlotMapFormat::Extended
        } else {
            SlotMapFormat::Classic
        }
    }

    /// Bytes per slot.
    pub fn entry_len(self) -> usize {
        match self {
            SlotMapFormat::Classic => fmt::CLASSIC_ENTRY_LEN,
            SlotMapFormat::Extended => fmt::EXTENDED_ENTRY_LEN,
        }
    }
}

/// One slot: its number and the node using it, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SlotEntry {
    /// Slot number, `0..max_slots`.
    pub slot: u16,
    /// The node number holding the slot; `None` when the slot is free. A node number may be
    /// out of the 0..=254 range on a corrupt volume (mounted.ocfs2 prints those as
    /// `Unknown`).
    pub node: Option<u32>,
}

/// The decoded slot map.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotMap {
    format: SlotMapFormat,
    nodes: Vec<Option<u32>>,
}

impl SlotMap {
    /// Decodes `max_slots` entries from the start of `data`, the slot map file's contents.
    pub fn decode(
        format: SlotMapFormat,
        max_slots: u16,
        data: &[u8],
    ) -> Result<Self, SlotMapError> {
        let needed = usize::from(max_slots) * format.entry_len();
        let Some(entries) = data.get(..needed) else {
            return Err(SlotMapError::ShortFile {
                size: data.len() as u64,
                needed: needed as u64,
            });
        };
        let nodes = entries
            .chunks_exact(format.entry_len())
            .map(|entry| decode_entry(format, entry))
            .collect();
        Ok(SlotMap { format, nodes })
    }

    /// The on-disk layout.
    pub fn format(&self) -> SlotMapFormat {
        self.format
    }

    /// Number of slots.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether the volume has no slots (heartbeat devices).
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// The node in slot `slot`, `None` when free or beyond the last slot.
    pub fn node(&self, slot: u16) -> Option<u32> {
        self.nodes.get(usize::from(slot)).copied().flatten()
    }

    /// Every slot in order, free ones included.
    pub fn entries(&self) -> impl Iterator<Item = SlotEntry> + '_ {
        // There are at most 255 slots, so the index fits in u16.
        (0u16..)
            .zip(&self.nodes)
            .map(|(slot, &node)| SlotEntry { slot, node })
    }

    /// The occupied slots in slot order, as `(slot, node)`: the nodes that have the volume
    /// mounted (or crashed while they had it).
    pub fn occupied(&self) -> impl Iterator<Item = (u16, u32)> + '_ {
        self.entries()
            .filter_map(|entry| entry.node.map(|node| (entry.slot, node)))
    }
}

fn decode_entry(format: SlotMapFormat, entry: &[u8]) -> Option<u32> {
    let le = Le(entry);
    match format {
        SlotMapFormat::Classic => le
            .u16(0)
            .ok()
            .filter(|&node| node != fmt::CLASSIC_EMPTY)
            .map(u32::from),
        SlotMapFormat::Extended => {
            let valid = le.u8(fmt::ES_VALID).ok()? != 0;
            valid.then(|| le.u32(fmt::ES_NODE_NUM).ok()).flatten()
        }
    }
}

impl<R: ReadAt> Volume<R> {
    /// Loads the slot map, read without any cluster lock (like `mounted.ocfs2 -f`, it may
    /// show a crashed node until recovery runs).
    pub fn slot_map(&self) -> Result<SlotMap, SlotMapError> {
        let sb = self.superblock();
        let format = SlotMapFormat::for_features(sb.incompat());
        let inode = self.system_inode(SLOT_MAP_FILE)?;
        let needed = usize::from(sb.max_slots()) * format.entry_len();
        if inode.size < needed as u64 {
            return Err(SlotMapError::ShortFile {
                size: inode.size,
                needed: needed as u64,
            });
        }
        let data = self.read_file_prefix(&inode, needed)?;
        SlotMap::decode(format, sb.max_slots(), &data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classic_holes_are_0xffff() {
        let data = [3, 0, 0xFF, 0xFF, 12, 0, 0xFF, 0xFF];
        let map = SlotMap::decode(SlotMapFormat::Classic, 4, &data).unwrap();
        assert_eq!(map.occupied().collect::<Vec<_>>(), [(0, 3), (2, 12)]);
        assert_eq!(map.node(1), None);
        assert_eq!(map.node(9), None);
    }

    #[test]
    fn extended_validity_byte_decides() {
        let mut data = [0u8; 24];
        data[0] = 1;
        data[4] = 3;
        data[8] = 0; // invalid, node number ignored
        data[12] = 9;
        data[16] = 0x80;
        data[20..24].copy_from_slice(&300u32.to_le_bytes());
        let map = SlotMap::decode(SlotMapFormat::Extended, 3, &data).unwrap();
        assert_eq!(map.occupied().collect::<Vec<_>>(), [(0, 3), (2, 300)]);
        assert_eq!(map.len(), 3);
    }

    #[test]
    fn too_little_data_is_a_short_read() {
        let err = SlotMap::decode(SlotMapFormat::Extended, 4, &[0u8; 31]).unwrap_err();
        assert!(matches!(
            err,
            SlotMapError::ShortFile {
                size: 31,
                needed: 32
            }
        ));
        assert_eq!(
            err.to_string(),
            "Attempt to read block from filesystem resulted in short read"
        );
    }
}
