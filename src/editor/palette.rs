//! The node kinds a teacher can place, each with sensible settings to start from.
//!
//! SKELETON (edit helper).

use crate::scenario::{Node, Scenario};

/// One entry of the palette.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    ClientPc,
    Population,
    SpamBot,
    Router,
    /// A router with Outbound Port 25 Blocking for its ISP.
    RouterOp25b,
    /// A NAT router (hosts behind it share its address).
    RouterNat,
    IspRelay,
    OpenRelay,
    SpammerServer,
    Mx,
    MailboxServer,
    Dns,
}

impl Kind {
    /// Every kind, in the palette's order.
    pub fn all() -> &'static [Kind] {
        &[
            Kind::ClientPc,
            Kind::Population,
            Kind::SpamBot,
            Kind::Router,
            Kind::RouterOp25b,
            Kind::RouterNat,
            Kind::IspRelay,
            Kind::OpenRelay,
            Kind::SpammerServer,
            Kind::Mx,
            Kind::MailboxServer,
            Kind::Dns,
        ]
    }
    /// The id prefix of new nodes (`router` → `router-2`).
    pub fn id_prefix(self) -> &'static str {
        todo!("edit helper")
    }
    /// A new node of this kind named `id` in `isp`, with settings that refer
    /// to what `world` already has (its ISP's relay as outgoing server, ...).
    pub fn new_node(self, _id: &str, _isp: Option<&str>, _world: &Scenario) -> Node {
        todo!("edit helper")
    }
}
