//! The text every tool writes to configfs attributes, in one place so that
//! `o2cb register-cluster`, `o2cb_ctl -H online` and `o2cb_ctl -C -i` cannot disagree.
//!
//! The kernel reads the node manager's numeric attributes with base 0: a leading `0` is
//! octal and `0x` hexadecimal, and a sign is refused. So a number is always written as the
//! plain decimal digits of the value the tool parsed, never as the text the user typed:
//! `ip_port=07777` is port 7777 in cluster.conf and must be 7777 in the kernel too, not 4095
//! (docs/compatibility.md, "o2cb_ctl -C -i").

/// A number as configfs is given it: decimal digits, no sign, no leading zero.
pub fn number(n: impl Into<u64>) -> Vec<u8> {
    n.into().to_string().into_bytes()
}

/// A boolean attribute (`local`, `active`): `1` or `0`.
pub fn flag(on: bool) -> Vec<u8> {
    if on { b"1" } else { b"0" }.to_vec()
}

/// The attributes of a node (or a per-filesystem member, whose `slot` stands where a
/// node's `num` does), in the only order the kernel accepts: port and address before the
/// number, all three before `local`.
pub(crate) fn node_attrs(
    port: u32,
    address: &str,
    (number_attr, number_value): (&'static str, u32),
    local: bool,
) -> [(&'static str, Vec<u8>); 4] {
    [
        ("ipv4_port", number(port)),
        ("ipv4_address", address.as_bytes().to_vec()),
        (number_attr, number(number_value)),
        ("local", flag(local)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_plain_decimal() {
        // 0o7777 is what the kernel would make of the text "07777".
        assert_eq!(number(7777u32), b"7777");
        assert_eq!(number(0u32), b"0");
        assert_eq!(number(u64::MAX), u64::MAX.to_string().as_bytes());
        assert_ne!(number(0o7777u32), b"07777");
    }

    #[test]
    fn node_attributes_come_in_the_kernels_order() {
        let attrs = node_attrs(7777, "10.0.0.4", ("num", 5), true);
        let shown: Vec<(&str, &[u8])> = attrs.iter().map(|(a, v)| (*a, v.as_slice())).collect();
        assert_eq!(
            shown,
            [
                ("ipv4_port", &b"7777"[..]),
                ("ipv4_address", b"10.0.0.4"),
                ("num", b"5"),
                ("local", b"1"),
            ]
        );
    }
}
