//! The DNS view the evaluator needs, as a trait so the simulator's in-memory
//! zones (or a test fixture) can answer synchronously.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use thiserror::Error;

/// A failed lookup. "No data" (the name exists, the type does not) is not an
/// error: it is `Ok` with an empty vector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum DnsError {
    /// RCODE 3: the name does not exist (RFC 7208 §4.3, §4.6.4 void lookup).
    #[error("no such domain")]
    NxDomain,
    /// No answer in time: maps to temperror (RFC 7208 §2.6.6).
    #[error("timeout")]
    Timeout,
    /// Any other RCODE (SERVFAIL, REFUSED, CNAME loop...): also temperror.
    #[error("server failure")]
    ServFail,
}

/// Lookups used by `check_host()`. Names are passed without a trailing dot;
/// implementations should compare them case-insensitively and follow CNAMEs.
/// Methods take `&mut self` so an implementation can count or log queries.
pub trait SpfDns {
    /// TXT records of `name`, each record's character-strings concatenated
    /// without separator (RFC 7208 §3.3).
    fn txt(&mut self, name: &str) -> Result<Vec<String>, DnsError>;
    /// A records of `name`.
    fn a(&mut self, name: &str) -> Result<Vec<Ipv4Addr>, DnsError>;
    /// AAAA records of `name`.
    fn aaaa(&mut self, name: &str) -> Result<Vec<Ipv6Addr>, DnsError>;
    /// MX records of `name` as (preference, exchange).
    fn mx(&mut self, name: &str) -> Result<Vec<(u16, String)>, DnsError>;
    /// PTR records of the reverse name of `ip` (see [`reverse_name`]).
    fn ptr(&mut self, ip: IpAddr) -> Result<Vec<String>, DnsError>;
}

/// The reverse-mapping name of `ip`: `d.c.b.a.in-addr.arpa` or the 32
/// nibbles of an IPv6 address under `ip6.arpa` (RFC 7208 §5.5).
pub fn reverse_name(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, d] = v4.octets();
            format!("{d}.{c}.{b}.{a}.in-addr.arpa")
        }
        IpAddr::V6(v6) => {
            let mut out = String::with_capacity(72);
            for byte in v6.octets().iter().rev() {
                out.push_str(&format!("{:x}.{:x}.", byte & 0xf, byte >> 4));
            }
            out.push_str("ip6.arpa");
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reverse_names() {
        let v4: IpAddr = "192.0.2.3".parse().unwrap();
        assert_eq!(reverse_name(v4), "3.2.0.192.in-addr.arpa");
        let v6: IpAddr = "2001:db8::cb01".parse().unwrap();
        assert_eq!(reverse_name(v6), "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa");
    }
}
