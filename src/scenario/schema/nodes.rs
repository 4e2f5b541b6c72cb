//! The nodes of a scenario and their kinds: the actors of the mail system
//! (PCs, mail clients, populations of hosts, spam bots, routers) and the
//! settings each kind has. Mail servers have their own file (`servers.rs`).

use serde::{Deserialize, Serialize};

use super::{Localized, MailServer, MailboxServer, Retry, smtp_port};
use crate::units::{Cidr, Duration, Ip};

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Node {
    pub id: String,
    #[serde(default)]
    pub label: Option<String>,
    /// The label in other languages, for the window: `{"ja": "会社の MX"}`.
    #[serde(default, skip_serializing_if = "Localized::is_empty")]
    pub labels: Localized,
    /// The ISP whose network the node sits in (its address comes from there).
    #[serde(default)]
    pub isp: Option<String>,
    /// A fixed address; when absent, the next free one of the ISP's range.
    #[serde(default)]
    pub ip: Option<Ip>,
    /// Where the GUI draws it; laid out automatically when absent.
    #[serde(default)]
    pub position: Option<(f32, f32)>,
    /// The id of a NAT router (a Router with an `ip`) this host sits behind:
    /// servers see the router's address, shared by every host behind it.
    #[serde(default)]
    pub nat: Option<String>,
    pub kind: NodeKind,
}

impl Node {
    /// What the window calls this node in `lang` (a language code): its
    /// label in that language, else its label, else its id.
    pub fn label_in(&self, lang: &str) -> &str {
        self.labels.0.get(lang).or(self.label.as_ref()).unwrap_or(&self.id)
    }
}

/// Every node is a real actor of the mail system.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub enum NodeKind {
    /// A customer's PC with a mail client (MUA).
    ClientPc(ClientPc),
    /// An infected client PC whose spam software sends mail on its own.
    SpamBot(SpamBot),
    /// Many customer PCs of one ISP drawn as one group, some of them infected.
    Population(Population),
    /// A router on the path; it can inspect and drop connections.
    Router(Router),
    /// An ISP's outgoing mail server (MSA/MTA), often also its domain's MX.
    IspRelay(MailServer),
    /// A third party's server that relays for anyone.
    OpenRelay(MailServer),
    /// A server the spammer owns, on static addresses with its own domain.
    SpammerServer(MailServer),
    /// A domain's mail exchanger, the first hop in the recipient's domain.
    Mx(MailServer),
    /// The server holding the mailboxes, read with POP3.
    MailboxServer(MailboxServer),
    /// The name server that serves the scenario's zones.
    Dns,
}

impl NodeKind {
    pub fn name(&self) -> &'static str {
        match self {
            NodeKind::ClientPc(_) => "ClientPc",
            NodeKind::SpamBot(_) => "SpamBot",
            NodeKind::Population(_) => "Population",
            NodeKind::Router(_) => "Router",
            NodeKind::IspRelay(_) => "IspRelay",
            NodeKind::OpenRelay(_) => "OpenRelay",
            NodeKind::SpammerServer(_) => "SpammerServer",
            NodeKind::Mx(_) => "Mx",
            NodeKind::MailboxServer(_) => "MailboxServer",
            NodeKind::Dns => "Dns",
        }
    }
    pub fn mail_server(&self) -> Option<&MailServer> {
        match self {
            NodeKind::IspRelay(m) | NodeKind::OpenRelay(m) | NodeKind::SpammerServer(m) | NodeKind::Mx(m) => Some(m),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ClientPc {
    /// The user's own address (the `From:` of what they write).
    pub user: String,
    /// The host name the mail client greets with (`EHLO`).
    #[serde(default)]
    pub hostname: Option<String>,
    pub mail_client: MailClient,
}

/// A mail client's outgoing-server settings, as in its account dialog.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MailClient {
    /// The node id of the outgoing (SMTP) server.
    pub server: String,
    #[serde(default = "smtp_port")]
    pub port: u16,
    /// What the client does with mail it could not hand over.
    #[serde(default = "Retry::mail_client")]
    pub retry: Retry,
    /// SMTP-AUTH credentials (RFC 4954), used when the server offers AUTH.
    /// In a population, `{i}` in the user name stands for the host number.
    #[serde(default)]
    pub auth: Option<Credentials>,
    /// The POP3 account the client checks on every send/receive cycle.
    #[serde(default)]
    pub pop: Option<PopClient>,
}

/// A user name and password.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    pub user: String,
    pub password: String,
}

/// A mail client's POP3 settings.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PopClient {
    /// Node id of the server holding the mailbox.
    pub server: String,
    /// Sends before it receives on each cycle (as some mail clients of the
    /// POP-before-SMTP years did): the first send after a while comes before
    /// the POP login that would permit it.
    #[serde(default)]
    pub send_first: bool,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SpamBot {
    #[serde(default)]
    pub hostname: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Population {
    /// How many customer PCs.
    pub count: u32,
    /// Share infected with spam software, 0.0 to 1.0.
    #[serde(default)]
    pub infected: f64,
    /// Users' mail domain: host `i` is `user<i>@<domain>`.
    pub domain: String,
    pub mail_client: MailClient,
    /// Dynamic addresses are reassigned every `lease`: host `i` moves to the
    /// next host's address, so an address passes from one customer to another.
    #[serde(default)]
    pub lease: Option<Duration>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Router {
    #[serde(default)]
    pub filters: Vec<Filter>,
}

/// A packet filter rule on a router.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub enum Filter {
    /// Drop connections to `port` from the `from` ranges, unless they go to
    /// one of the `unless_to` ranges.
    Block {
        port: u16,
        from: Vec<Cidr>,
        #[serde(default)]
        unless_to: Vec<Cidr>,
    },
    /// Outbound Port 25 Blocking for an ISP (JEAG 2006): drop TCP/25 from the
    /// ISP's customer ranges to anything outside the ISP's own ranges.
    Op25b { isp: String },
}
