//! Block devices found by libblkid, which knows every device family the kernel has (SCSI,
//! virtio, Xen, NVMe, md, dm, DRBD, RBD, NBD, loop, ...), unlike the C tools' name-prefix
//! scan (reference issue #51: global heartbeat never found NVMe devices).
#![allow(unsafe_code)]

use std::ffi::{CStr, CString};
use std::path::PathBuf;

use blkid_sys as sys;

/// A device libblkid identified as OCFS2, with the UUID it read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ocfs2Device {
    pub path: PathBuf,
    /// The UUID libblkid read (in its `8-4-4-4-12` form), if it could read one.
    pub uuid: Option<uuid::Uuid>,
}

/// Every block device with an OCFS2 superblock, in libblkid's order. Probes the devices
/// afresh (no cache file is read or written).
pub fn ocfs2_devices() -> Vec<Ocfs2Device> {
    let mut found = Vec::new();
    let no_cache_file = CString::new("/dev/null").expect("no NUL");
    let type_tag = CString::new("TYPE").expect("no NUL");
    let ocfs2 = CString::new("ocfs2").expect("no NUL");
    let uuid_tag = CString::new("UUID").expect("no NUL");
    let mut cache: sys::blkid_cache = std::ptr::null_mut();
    // SAFETY: cache is a valid out-pointer; with the /dev/null file name libblkid keeps the
    // cache in memory only. Every pointer libblkid returns is used before blkid_put_cache,
    // and strings it allocates are freed with free() as its documentation requires.
    unsafe {
        if sys::blkid_get_cache(&mut cache, no_cache_file.as_ptr()) != 0 || cache.is_null() {
            return found;
        }
        sys::blkid_probe_all(cache);
        let iter = sys::blkid_dev_iterate_begin(cache);
        if !iter.is_null() {
            sys::blkid_dev_set_search(iter, type_tag.as_ptr() as *mut _, ocfs2.as_ptr() as *mut _);
            let mut dev: sys::blkid_dev = std::ptr::null_mut();
            while sys::blkid_dev_next(iter, &mut dev) == 0 {
                let name = sys::blkid_dev_devname(dev);
                if name.is_null() {
                    continue;
                }
                let path = CStr::from_ptr(name).to_string_lossy().into_owned();
                let value = sys::blkid_get_tag_value(cache, uuid_tag.as_ptr(), name);
                let uuid = if value.is_null() {
                    None
                } else {
                    let s = CStr::from_ptr(value).to_string_lossy().into_owned();
                    libc::free(value.cast());
                    uuid::Uuid::parse_str(&s).ok()
                };
                found.push(Ocfs2Device {
                    path: PathBuf::from(path),
                    uuid,
                });
            }
            sys::blkid_dev_iterate_end(iter);
        }
        sys::blkid_put_cache(cache);
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scanning_does_not_crash_without_devices() {
        // This machine may have no OCFS2 device; the scan must simply find none or some.
        let devices = ocfs2_devices();
        assert!(devices.iter().all(|d| d.path.starts_with("/dev")));
    }
}
