//! The local host name, and whether a configured node name means this host.

use std::io;

/// `gethostname()`, as bytes.
pub fn hostname() -> io::Result<Vec<u8>> {
    use std::os::unix::ffi::OsStringExt;
    nix::unistd::gethostname()
        .map(OsStringExt::into_vec)
        .map_err(io::Error::from)
}

/// Whether the configured node name `node` designates the host called `host` (spec §2.6):
/// the host name starts with the node name, compared without regard to ASCII case, and
/// ends there or continues with a `.` (so `db1` is local on `db1.example.com` but not on
/// `db10`).
pub fn node_is_local(node: &[u8], host: &[u8]) -> bool {
    host.len() >= node.len()
        && host[..node.len()].eq_ignore_ascii_case(node)
        && matches!(host.get(node.len()), None | Some(b'.'))
}

#[cfg(test)]
mod tests {
    use super::node_is_local;

    #[test]
    fn node_names_match_host_name_prefixes_up_to_a_dot() {
        assert!(node_is_local(b"db1", b"db1"));
        assert!(node_is_local(b"db1", b"DB1"));
        assert!(node_is_local(b"db1", b"db1.example.com"));
        assert!(!node_is_local(b"db1", b"db10"));
        assert!(!node_is_local(b"db1", b"db1-a"));
        assert!(node_is_local(b"db1.example.com", b"db1.example.com"));
        assert!(!node_is_local(b"db1.example.com", b"db1"));
        assert!(!node_is_local(b"db1.example.com", b"db1.example.org"));
    }
}
