//! Outbound Port 25 Blocking (JEAG recommendations, 2006): the ISP's edge
//! router drops TCP/25 from its dynamic customer pool to any address outside
//! the ISP, so its own relay stays reachable and everything else is not.

use crate::scenario::{Filter, Isp};
use crate::units::Cidr;

/// A filter rule with every range resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    pub port: u16,
    pub from: Vec<Cidr>,
    pub unless_to: Vec<Cidr>,
}

/// Resolves a router's filters (OP25B names an ISP) into plain block rules.
pub fn resolve(filters: &[Filter], isps: &[Isp]) -> Vec<Block> {
    filters
        .iter()
        .map(|f| match f {
            Filter::Block { port, from, unless_to } => {
                Block { port: *port, from: from.clone(), unless_to: unless_to.clone() }
            }
            Filter::Op25b { isp } => {
                let isp = isps.iter().find(|i| &i.id == isp);
                Block {
                    port: 25,
                    from: isp.map(|i| i.customers.clone()).unwrap_or_default(),
                    unless_to: isp.map(|i| i.customers.iter().chain(&i.servers).copied().collect()).unwrap_or_default(),
                }
            }
        })
        .collect()
}
