//! What a router does with a connection passing through it.

use std::net::Ipv4Addr;

use super::defense::op25b::Block;

/// A router's verdict on a new TCP connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Forwarding {
    Forward,
    /// Silently dropped: the client sees its connection time out.
    Drop,
}

/// Drops the connection when any block rule matches it (its port, a source
/// in `from`, a destination not in `unless_to`); otherwise forwards it.
pub fn inspect(rules: &[Block], src: Ipv4Addr, dst: Ipv4Addr, port: u16) -> Forwarding {
    let hit = rules.iter().any(|b| {
        b.port == port && b.from.iter().any(|r| r.contains(src)) && !b.unless_to.iter().any(|r| r.contains(dst))
    });
    if hit { Forwarding::Drop } else { Forwarding::Forward }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_rules_spare_the_listed_destinations() {
        let f = vec![Block {
            port: 25,
            from: vec!["10.1.0.0/16".parse().unwrap()],
            unless_to: vec!["192.0.2.0/26".parse().unwrap()],
        }];
        let pc: Ipv4Addr = "10.1.0.9".parse().unwrap();
        assert_eq!(inspect(&f, pc, "203.0.113.10".parse().unwrap(), 25), Forwarding::Drop);
        assert_eq!(inspect(&f, pc, "192.0.2.10".parse().unwrap(), 25), Forwarding::Forward);
        assert_eq!(inspect(&f, pc, "203.0.113.10".parse().unwrap(), 587), Forwarding::Forward);
        assert_eq!(inspect(&f, "10.2.0.9".parse().unwrap(), "203.0.113.10".parse().unwrap(), 25), Forwarding::Forward);
    }
}
