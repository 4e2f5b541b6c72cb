//! CIDR lengths (`ip4-cidr-length`, `ip6-cidr-length`, `dual-cidr-length`,
//! RFC 7208 §5.6) and network membership tests.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::record::ParseError;

/// Prefix lengths for `a` / `mx`: one per address family (§5.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DualCidr {
    pub v4: u8,
    pub v6: u8,
}

impl Default for DualCidr {
    fn default() -> Self {
        DualCidr { v4: 32, v6: 128 }
    }
}

/// Parses the digits of a CIDR length: no sign, no leading zero (like
/// `ip4-network`, §5.6), at most `max`.
pub fn parse_prefix(digits: &str, max: u8) -> Result<u8, ParseError> {
    let bad = || ParseError::InvalidCidr(digits.to_string());
    let ok_shape = !digits.is_empty()
        && digits.len() <= 3
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'));
    if !ok_shape {
        return Err(bad());
    }
    digits.parse::<u8>().ok().filter(|p| *p <= max).ok_or_else(bad)
}

/// Splits a trailing `dual-cidr-length` off `arg`, returning the remainder.
/// `"/24//64"` gives `("", 24, 64)`; `"x.com/24"` gives `("x.com", 24, 128)`.
/// A suffix whose digits are not a valid length is an error.
pub fn split_dual_cidr(arg: &str) -> Result<(&str, DualCidr), ParseError> {
    let mut rest = arg;
    let mut cidr = DualCidr::default();
    if let Some((head, digits)) = rest.rsplit_once("//")
        && is_digits(digits)
    {
        cidr.v6 = parse_prefix(digits, 128)?;
        rest = head;
    }
    if let Some((head, digits)) = rest.rsplit_once('/')
        && is_digits(digits)
    {
        cidr.v4 = parse_prefix(digits, 32)?;
        rest = head;
    }
    Ok((rest, cidr))
}

fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// An IPv4-mapped IPv6 client address is treated as IPv4 (§5).
pub fn unmap(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// Whether `ip` lies in `net/prefix`.
pub fn v4_in(ip: Ipv4Addr, net: Ipv4Addr, prefix: u8) -> bool {
    let mask = u32::MAX.checked_shl(32 - u32::from(prefix.min(32))).unwrap_or(0);
    u32::from(ip) & mask == u32::from(net) & mask
}

/// Whether `ip` lies in `net/prefix`.
pub fn v6_in(ip: Ipv6Addr, net: Ipv6Addr, prefix: u8) -> bool {
    let mask = u128::MAX.checked_shl(128 - u32::from(prefix.min(128))).unwrap_or(0);
    u128::from(ip) & mask == u128::from(net) & mask
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dual_cidr_suffixes() {
        let c = |v4, v6| DualCidr { v4, v6 };
        assert_eq!(split_dual_cidr("").unwrap(), ("", c(32, 128)));
        assert_eq!(split_dual_cidr("/24//64").unwrap(), ("", c(24, 64)));
        assert_eq!(split_dual_cidr("//0").unwrap(), ("", c(32, 0)));
        assert_eq!(split_dual_cidr("x.com/24").unwrap(), ("x.com", c(24, 128)));
        assert_eq!(split_dual_cidr("/24/64").unwrap_err(), ParseError::InvalidCidr("64".into()));
        assert_eq!(split_dual_cidr("foo:bar/baz.com").unwrap(), ("foo:bar/baz.com", c(32, 128)));
        assert!(split_dual_cidr("/33").is_err());
        assert!(split_dual_cidr("//129").is_err());
        assert!(split_dual_cidr("/032").is_err());
    }

    #[test]
    fn membership() {
        let a: Ipv4Addr = "1.2.3.4".parse().unwrap();
        assert!(v4_in(a, "1.1.1.1".parse().unwrap(), 0));
        assert!(v4_in(a, "1.2.3.0".parse().unwrap(), 24));
        assert!(!v4_in(a, "1.2.3.5".parse().unwrap(), 32));
        let b: Ipv6Addr = "cafe:babe:8000::".parse().unwrap();
        assert!(v6_in(b, "cafe:babe:8000::".parse().unwrap(), 33));
        assert!(!v6_in(b, "cafe:babe::".parse().unwrap(), 33));
        assert!(v6_in(b, "::".parse().unwrap(), 0));
    }
}
