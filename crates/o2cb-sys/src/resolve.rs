//! Host name to IPv4 address, as `o2cb add-node` does it when no `--ip` is given.
//!
//! `std::net::ToSocketAddrs` asks for every address family and wraps resolver errors in
//! its own words; the C tool asks `getaddrinfo` for IPv4 stream addresses only, takes the
//! first, and reports `gai_strerror`'s text. Scripts see that text, so this calls the C
//! library directly.
#![allow(unsafe_code)]

use std::ffi::{CStr, CString};
use std::net::Ipv4Addr;

/// Why a name did not resolve: `gai_strerror`'s text (e.g. "Name or service not known").
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ResolveError(pub String);

/// The first IPv4 address `getaddrinfo(name, NULL, {AF_INET, SOCK_STREAM})` returns.
pub fn resolve_ipv4(name: &[u8]) -> Result<Ipv4Addr, ResolveError> {
    let c_name =
        CString::new(name).map_err(|_| ResolveError("Name or service not known".into()))?;
    // SAFETY: addrinfo is plain old data; all-zero is the documented "no hints" value.
    let mut hints: libc::addrinfo = unsafe { std::mem::zeroed() };
    hints.ai_family = libc::AF_INET;
    hints.ai_socktype = libc::SOCK_STREAM;
    let mut result: *mut libc::addrinfo = std::ptr::null_mut();
    // SAFETY: c_name is a valid NUL-terminated string, hints is initialised, and result
    // is a valid out-pointer; on success the list is freed below exactly once.
    let rc = unsafe { libc::getaddrinfo(c_name.as_ptr(), std::ptr::null(), &hints, &mut result) };
    if rc != 0 {
        // SAFETY: gai_strerror returns a pointer to a static NUL-terminated string.
        let text = unsafe { CStr::from_ptr(libc::gai_strerror(rc)) };
        return Err(ResolveError(text.to_string_lossy().into_owned()));
    }
    let mut found = None;
    let mut p = result;
    while !p.is_null() {
        // SAFETY: p is a node of the list getaddrinfo returned and has not been freed.
        let ai = unsafe { &*p };
        if ai.ai_family == libc::AF_INET && !ai.ai_addr.is_null() {
            // SAFETY: for AF_INET entries ai_addr points to a sockaddr_in.
            let sin = unsafe { &*(ai.ai_addr as *const libc::sockaddr_in) };
            found = Some(Ipv4Addr::from(u32::from_be(sin.sin_addr.s_addr)));
            break;
        }
        p = ai.ai_next;
    }
    // SAFETY: result came from a successful getaddrinfo call and is freed once.
    unsafe { libc::freeaddrinfo(result) };
    found.ok_or_else(|| ResolveError("Address family for hostname not supported".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn localhost_resolves_to_loopback() {
        assert_eq!(resolve_ipv4(b"localhost"), Ok(Ipv4Addr::LOCALHOST));
    }

    #[test]
    fn unknown_names_report_the_resolver_text() {
        let e = resolve_ipv4(b"no-such-host.invalid").unwrap_err();
        assert!(!e.0.is_empty());
    }
}
