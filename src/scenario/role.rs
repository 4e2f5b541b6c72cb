//! What each kind of node does in the mail system, in one order that every
//! drawing of a world uses (the GUI's rows, the book's world figures).

use super::NodeKind;

/// A node's part in delivering mail, ordered from the customers' edge to the
/// backbone: the order in which a mail meets them on its way out of an ISP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// Where mail is written or spam starts: PCs, bots, populations.
    Client,
    /// Servers that speak SMTP to other servers: relays, MXs, spammers' servers.
    MailServer,
    /// The server holding the mailboxes, read with POP3.
    Mailbox,
    /// The network itself: routers and the name server.
    Network,
}

impl Role {
    /// The role's place in the order above (0 for `Client`).
    pub fn rank(self) -> usize {
        self as usize
    }
}

impl NodeKind {
    /// What this kind of node does, for ordering and grouping in drawings.
    pub fn role(&self) -> Role {
        match self {
            NodeKind::ClientPc(_) | NodeKind::SpamBot(_) | NodeKind::Population(_) => Role::Client,
            NodeKind::IspRelay(_) | NodeKind::OpenRelay(_) | NodeKind::SpammerServer(_) | NodeKind::Mx(_) => {
                Role::MailServer
            }
            NodeKind::MailboxServer(_) => Role::Mailbox,
            NodeKind::Router(_) | NodeKind::Dns => Role::Network,
        }
    }
}
