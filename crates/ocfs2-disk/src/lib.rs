//! Read-only access to the parts of an OCFS2 volume the o2cb tools need: quick detection as
//! `mounted.ocfs2 -d` does it, a full open with libocfs2's superblock validation, system
//! directory lookups, the heartbeat region and slots, and the slot map. On volumes with
//! metadata checks (`META_ECC`), every metadata block read is verified, and one flipped bit
//! repaired, as libocfs2 does ([`block_check`]).
//!
//! The crate does no I/O of its own: it reads through [`ReadAt`], implemented for byte
//! slices, vectors and already-open files. Every read is bounded by the volume and by sane
//! limits, so a truncated, corrupt or hostile image gives an error, never a panic, an endless
//! loop or a huge allocation.
//!
//! [`image::ImageBuilder`] makes small valid (and deliberately broken) images for tests.
//!
//! ```
//! use ocfs2_disk::{image::ImageBuilder, quick_detect, OpenOptions, Volume};
//!
//! let image = ImageBuilder::new().label("data").build().unwrap();
//! let found = quick_detect(&image.bytes).unwrap().expect("an OCFS2 volume");
//! assert_eq!(found.label().to_string(), "data");
//!
//! let volume = Volume::open(&image.bytes, OpenOptions::new()).unwrap();
//! let region = volume.heartbeat_region(512).unwrap();
//! assert_eq!((region.block_bytes(), region.start_block(), region.blocks()), (512, 128, 255));
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod block_check;
mod detect;
mod device;
mod dir;
mod error;
mod features;
mod format;
mod heartbeat;
#[cfg(any(test, feature = "image"))]
pub mod image;
mod inode;
mod le;
mod slot_map;
mod superblock;
mod volume;

pub use block_check::BlockKind;
pub use detect::{detect_in, quick_detect, QuickDetect, QUICK_DETECT_LEN};
pub use device::{ReadAt, WithSize};
pub use error::{HeartbeatError, HeartbeatSlotError, OpenError, ReadError, SlotMapError};
pub use features::{Compat, Incompat, RoCompat, StackFlags};
pub use heartbeat::{slot_checksum, HeartbeatRegion, HeartbeatSlot, HEARTBEAT_FILE};
pub use le::OutOfBounds;
pub use slot_map::{SlotEntry, SlotMap, SlotMapFormat, SLOT_MAP_FILE};
pub use superblock::{uuid_hex, BlockSize, ClusterInfo, Label, Superblock, Uuid, VolumeStack};
pub use volume::{OpenOptions, Volume};
