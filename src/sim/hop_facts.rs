//! What the reports need to know about a message's hops, in a few bytes.
//!
//! A statistical run of a large world finishes millions of messages; it
//! works these facts out when a message reaches its final state, folds them
//! into its counts and reuses the message's storage (see
//! `Simulation::settle`). Runs that keep their messages keep the hops, and
//! the facts are worked out from them when a report is made, by the same
//! code, so both give the same report.

use serde::Serialize;

use super::message::{Hop, Message};
use super::world::{NodeRt, RelayNets};
use crate::scenario::NodeKind;

/// POP3 (RFC 1939): a login before sending, recorded as a hop but not an
/// SMTP delivery attempt.
const POP3_PORT: u16 = 110;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct HopFacts {
    /// A third party's open relay accepted it (see [`is_third_party_open_relay`]).
    pub via_open_relay: bool,
    /// An ISP's relay accepted it for a domain not its own.
    pub via_isp_relay: bool,
    /// The first server to accept it was the recipient's own, straight from
    /// the origin: no relay in between (what OP25B stops).
    pub direct_from_origin: bool,
    /// SMTP connection attempts (POP3 logins not counted).
    pub smtp_attempts: u32,
}

impl HopFacts {
    /// The facts of `m`'s hops, for the nodes of its run.
    pub fn of(nodes: &[NodeRt], m: &Message) -> Self {
        let rcpt_domain = m.rcpt_domain();
        let accepted = || m.hops.iter().filter(|h| h.accepted);
        let first = m.hops.iter().find(|h| h.accepted);
        HopFacts {
            via_open_relay: accepted().any(|h| is_third_party_open_relay(&nodes[h.to], h, rcpt_domain)),
            via_isp_relay: accepted().any(|h| is_isp_relaying(&nodes[h.to], rcpt_domain)),
            direct_from_origin: first.is_some_and(|h| h.from == m.origin && nodes[h.to].is_local_domain(rcpt_domain)),
            smtp_attempts: m.hops.iter().filter(|h| h.port != POP3_PORT).count() as u32,
        }
    }
}

/// A server that relayed for a stranger because it relays for anyone: open,
/// and the client is outside the server's own ISP (not its own customer).
fn is_third_party_open_relay(n: &NodeRt, hop: &Hop, rcpt_domain: &str) -> bool {
    n.relay == RelayNets::Open
        && !matches!(n.kind, NodeKind::SpammerServer(_))
        && !n.is_local_domain(rcpt_domain)
        && !n.home_nets.iter().any(|c| c.contains(hop.from_ip))
}

/// A hop that an ISP's relay accepted for a domain that is not its own.
fn is_isp_relaying(n: &NodeRt, rcpt_domain: &str) -> bool {
    matches!(n.kind, NodeKind::IspRelay(_)) && !n.is_local_domain(rcpt_domain)
}
