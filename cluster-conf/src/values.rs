//! Value parsers that accept exactly what the C library calls used by the reference accept.

use std::fmt;
use std::net::Ipv4Addr;
use std::str::FromStr;

/// Why a number was refused, in the reference's two categories.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NumberError {
    /// Empty, not a number, or trailing junk (the reference's EINVAL).
    Invalid,
    /// A number, but too big (ERANGE).
    OutOfRange,
}

/// `strtoul(s, &end, 10)` followed by the reference's "the whole string must be consumed and
/// non-empty" check, then `max`. Like glibc, leading white space and a sign are accepted and a
/// minus sign negates in unsigned arithmetic (so `-1` is out of range, `-0` is 0).
pub fn parse_c_ulong(s: &[u8], max: u64) -> Result<u64, NumberError> {
    let mut i = 0;
    while i < s.len() && matches!(s[i], b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r') {
        i += 1;
    }
    let negative = match s.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let digits = &s[i..];
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return Err(NumberError::Invalid);
    }
    let mut value: u64 = 0;
    for &d in digits {
        value = value
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(d - b'0')))
            .ok_or(NumberError::OutOfRange)?;
    }
    if negative {
        value = value.wrapping_neg();
    }
    if value > max {
        return Err(NumberError::OutOfRange);
    }
    Ok(value)
}

/// `strtol(s, &end, 0)` with the whole-string check, as the `o2cb` tool parses `--port` and
/// `--number`: `0x` hexadecimal and leading-zero octal are accepted. Like C, the empty
/// string passes the check and reads as 0.
pub fn parse_c_long_base0(s: &str) -> Option<i64> {
    parse_c_long(s, true)
}

/// `strtol(s, &end, 10)` with the whole-string check (`o2cb_ctl -a ip_port=`, `number=`).
/// The empty string reads as 0, as in C.
pub fn parse_c_long_base10(s: &str) -> Option<i64> {
    parse_c_long(s, false)
}

fn parse_c_long(s: &str, base0: bool) -> Option<i64> {
    if s.is_empty() {
        return Some(0);
    }
    let t = s.trim_start_matches([' ', '\t', '\n', '\x0b', '\x0c', '\r']);
    let (negative, t) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let (radix, digits) = if !base0 {
        (10, t)
    } else if let Some(rest) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        if rest.is_empty() || !rest.as_bytes()[0].is_ascii_hexdigit() {
            // strtol parses just the "0" and leaves "x...": trailing junk.
            return None;
        }
        (16, rest)
    } else if t.len() > 1 && t.starts_with('0') {
        (8, &t[1..])
    } else {
        (10, t)
    };
    if digits.is_empty() || digits.starts_with(['+', '-']) {
        return None;
    }
    // strtol saturates at the ends of `long`'s range: the sign applies before the clamp, so
    // `-9223372036854775808` is exactly LONG_MIN and anything beyond either end the end.
    let magnitude = match u128::from_str_radix(digits, radix) {
        Ok(v) => v.min(u128::from(u64::MAX) + 1),
        Err(e) if matches!(e.kind(), std::num::IntErrorKind::PosOverflow) => u128::MAX,
        Err(_) => return None,
    };
    let magnitude = i128::try_from(magnitude).unwrap_or(i128::MAX);
    let value = if negative { -magnitude } else { magnitude };
    Some(value.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64)
}

/// `inet_pton(AF_INET, ...)`: exactly four dot-separated decimal octets, each 0–255 and
/// without leading zeros.
pub fn parse_inet_pton(s: &[u8]) -> Option<Ipv4Addr> {
    let mut octets = [0u8; 4];
    let mut part = 0;
    // Digits of the current octet, and its value so far.
    let mut digits = 0;
    let mut value: u32 = 0;
    for &c in s {
        match c {
            b'0'..=b'9' => {
                // No leading zeros, at most 3 digits, at most 255.
                if digits == 1 && value == 0 {
                    return None;
                }
                value = value * 10 + u32::from(c - b'0');
                digits += 1;
                if value > 255 {
                    return None;
                }
            }
            b'.' if digits > 0 && part < 3 => {
                octets[part] = value as u8;
                part += 1;
                digits = 0;
                value = 0;
            }
            _ => return None,
        }
    }
    if digits == 0 || part != 3 {
        return None;
    }
    octets[3] = value as u8;
    Some(Ipv4Addr::from(octets))
}

/// A heartbeat mode as the cluster stanza and configfs spell it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Hash)]
pub enum HeartbeatMode {
    #[default]
    Local,
    Global,
}

impl HeartbeatMode {
    pub fn as_str(self) -> &'static str {
        match self {
            HeartbeatMode::Local => "local",
            HeartbeatMode::Global => "global",
        }
    }

    /// The file accepts the words in any case.
    pub fn from_config(value: &[u8]) -> Option<HeartbeatMode> {
        if value.eq_ignore_ascii_case(b"local") {
            Some(HeartbeatMode::Local)
        } else if value.eq_ignore_ascii_case(b"global") {
            Some(HeartbeatMode::Global)
        } else {
            None
        }
    }
}

impl fmt::Display for HeartbeatMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An OCFS2 volume UUID: 16 bytes, written as 32 upper-case hex digits (the form the
/// superblock, configfs region names and `mounted.ocfs2` use).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FsUuid(pub [u8; 16]);

impl FsUuid {
    /// Accepts 32 hex digits in any case, with or without dashes anywhere.
    pub fn parse(text: &[u8]) -> Option<FsUuid> {
        let mut bytes = [0u8; 16];
        let mut n = 0;
        for &c in text {
            if c == b'-' {
                continue;
            }
            let digit = (c as char).to_digit(16)? as u8;
            if n >= 32 {
                return None;
            }
            bytes[n / 2] |= if n % 2 == 0 { digit << 4 } else { digit };
            n += 1;
        }
        (n == 32).then_some(FsUuid(bytes))
    }
}

impl fmt::Display for FsUuid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02X}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for FsUuid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FsUuid({self})")
    }
}

impl FromStr for FsUuid {
    type Err = InvalidUuid;

    fn from_str(s: &str) -> Result<FsUuid, InvalidUuid> {
        FsUuid::parse(s.as_bytes()).ok_or(InvalidUuid)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("not a filesystem UUID (expected 32 hexadecimal digits)")]
pub struct InvalidUuid;

/// Bytes for display in a message: printable text as it is, `\\`, `\n`, `\t`, `\r`, `\0`
/// for those bytes, and `\xNN` for other control bytes and bytes that are not UTF-8.
pub fn escaped(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bstr::ByteSlice::utf8_chunks(bytes) {
        for c in chunk.valid().chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\t' => out.push_str("\\t"),
                '\r' => out.push_str("\\r"),
                '\0' => out.push_str("\\0"),
                c if c.is_control() => {
                    for b in c.to_string().bytes() {
                        out.push_str(&format!("\\x{b:02X}"));
                    }
                }
                c => out.push(c),
            }
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaped_shows_every_byte_unambiguously() {
        assert_eq!(escaped(b"web"), "web");
        assert_eq!(escaped(b"a b#=:"), "a b#=:");
        assert_eq!(escaped(b"q\\"), "q\\\\");
        assert_eq!(escaped(b"a\nb\tc\rd\0e"), "a\\nb\\tc\\rd\\0e");
        assert_eq!(escaped(b"\x7f\x1b"), "\\x7F\\x1B");
        assert_eq!(escaped("\u{e9}t\u{e9}".as_bytes()), "\u{e9}t\u{e9}");
        assert_eq!(escaped(b"caf\xe9"), "caf\\xE9");
    }

    #[test]
    fn strtoul_accepts_what_glibc_accepts() {
        let max = u64::from(u32::MAX);
        assert_eq!(parse_c_ulong(b"7777", max), Ok(7777));
        assert_eq!(parse_c_ulong(b"+3", max), Ok(3));
        assert_eq!(parse_c_ulong(b"-0", max), Ok(0));
        assert_eq!(parse_c_ulong(b"\n 12", max), Ok(12));
        assert_eq!(parse_c_ulong(b"007", max), Ok(7));
        assert_eq!(parse_c_ulong(b"4294967295", max), Ok(4294967295));
        assert_eq!(
            parse_c_ulong(b"4294967296", max),
            Err(NumberError::OutOfRange)
        );
        assert_eq!(parse_c_ulong(b"-1", max), Err(NumberError::OutOfRange));
        assert_eq!(
            parse_c_ulong(b"99999999999999999999999", max),
            Err(NumberError::OutOfRange)
        );
        assert_eq!(parse_c_ulong(b"", max), Err(NumberError::Invalid));
        assert_eq!(parse_c_ulong(b"+", max), Err(NumberError::Invalid));
        assert_eq!(parse_c_ulong(b"12a", max), Err(NumberError::Invalid));
        assert_eq!(parse_c_ulong(b"0x10", max), Err(NumberError::Invalid));
        assert_eq!(parse_c_ulong(b"1 2", max), Err(NumberError::Invalid));
    }

    #[test]
    fn strtol_base0_reads_hex_and_octal() {
        assert_eq!(parse_c_long_base0("0x1e61"), Some(7777));
        assert_eq!(parse_c_long_base0("017"), Some(15));
        assert_eq!(parse_c_long_base0("-1"), Some(-1));
        assert_eq!(parse_c_long_base0("0"), Some(0));
        assert_eq!(parse_c_long_base0("08"), None);
        assert_eq!(parse_c_long_base0("12x"), None);
        assert_eq!(parse_c_long_base0(""), Some(0));
        assert_eq!(parse_c_long_base0(" "), None);
        assert_eq!(parse_c_long_base0("+"), None);
        assert_eq!(parse_c_long_base10("017"), Some(17));
        assert_eq!(parse_c_long_base10("0x10"), None);
        assert_eq!(parse_c_long_base0("0x"), None);
    }

    #[test]
    fn inet_pton_is_strict() {
        assert_eq!(
            parse_inet_pton(b"10.0.0.1"),
            Some(Ipv4Addr::new(10, 0, 0, 1))
        );
        assert_eq!(parse_inet_pton(b"0.0.0.0"), Some(Ipv4Addr::UNSPECIFIED));
        assert_eq!(
            parse_inet_pton(b"255.255.255.255"),
            Some(Ipv4Addr::BROADCAST)
        );
        assert_eq!(
            parse_inet_pton(b"192.168.100.7"),
            Some(Ipv4Addr::new(192, 168, 100, 7))
        );
        for bad in [
            &b"10.0.0.01"[..],
            b"10.0.0",
            b"10.0.0.1.1",
            b"256.0.0.1",
            b"1.2.3.-4",
            b" 1.2.3.4",
            b"1.2.3.4 ",
            b"::1",
            b"localhost",
            b"",
            b"1..2.3",
            b"1.2.3.4.",
            b".1.2.3",
            b"1.2.3.",
            b"1.2.3.00",
            b"1.2.3.0255",
            b"1.2.3.1000",
            b"1.2.3.4a",
            b"0x1.2.3.4",
        ] {
            assert_eq!(
                parse_inet_pton(bad),
                None,
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn uuid_ignores_dashes_and_case() {
        let u = FsUuid::parse(b"7a5b5e0d-1a2b-4c3d-9e8f-0011223344aa").unwrap();
        assert_eq!(u.to_string(), "7A5B5E0D1A2B4C3D9E8F0011223344AA");
        assert!(FsUuid::parse(b"7A5B5E0D1A2B4C3D9E8F0011223344A").is_none());
        assert!(FsUuid::parse(b"7A5B5E0D1A2B4C3D9E8F0011223344AAB").is_none());
        assert!(FsUuid::parse(b"7A5B5E0D1A2B4C3D9E8F0011223344AG").is_none());
    }
}
