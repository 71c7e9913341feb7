//! The local host name. (Whether a configured node name means this host is
//! `cluster_conf::node_is_local`: it is a rule about the configuration, not the machine.)

use std::io;

/// `gethostname()`, as bytes.
pub fn hostname() -> io::Result<Vec<u8>> {
    use std::os::unix::ffi::OsStringExt;
    nix::unistd::gethostname()
        .map(OsStringExt::into_vec)
        .map_err(io::Error::from)
}
