//! The node kinds a teacher can place, each with sensible settings to start from.
//!
//! A new node must be one the scenario schema accepts as it is (every
//! required field filled in), and as far as the world allows one the checker
//! accepts too: settings that name other nodes point at what the world
//! already has (a PC's outgoing server is its ISP's relay, a MX hands its
//! mail to the ISP's mailbox server), and host names and domains are made
//! from the node's id and its ISP (`mx-1.isp-c.example`), so two new nodes
//! never clash. Settings the world cannot supply yet (a PC placed before any
//! mail server) are left as empty references: the checker then names the
//! field to fill in.

use crate::scenario::{
    ClientPc, Filter, MailClient, MailServer, MailboxServer, Node, NodeKind, Population, Retry, Router, Scenario,
    SpamBot,
};

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
        match self {
            Kind::ClientPc => "pc",
            Kind::Population => "customers",
            Kind::SpamBot => "bot",
            Kind::Router => "router",
            Kind::RouterOp25b => "op25b",
            Kind::RouterNat => "nat",
            Kind::IspRelay => "relay",
            Kind::OpenRelay => "open-relay",
            Kind::SpammerServer => "spam-srv",
            Kind::Mx => "mx",
            Kind::MailboxServer => "mbox",
            Kind::Dns => "dns",
        }
    }

    /// What the palette calls this kind, in English and in Japanese.
    pub fn label(self) -> (&'static str, &'static str) {
        match self {
            Kind::ClientPc => ("Client PC", "クライアント PC"),
            Kind::Population => ("Customers (a group of PCs)", "利用者 (PC のグループ)"),
            Kind::SpamBot => ("Infected PC (spam bot)", "感染した PC (スパムボット)"),
            Kind::Router => ("Router", "ルータ"),
            Kind::RouterOp25b => ("Router with OP25B", "OP25B 付きルータ"),
            Kind::RouterNat => ("NAT router", "NAT ルータ"),
            Kind::IspRelay => ("ISP mail server", "ISP のメールサーバ"),
            Kind::OpenRelay => ("Open relay", "オープンリレー"),
            Kind::SpammerServer => ("Spammer's server", "スパム業者のサーバ"),
            Kind::Mx => ("MX (incoming mail server)", "MX (受信メールサーバ)"),
            Kind::MailboxServer => ("Mailbox server (POP3)", "メールボックスサーバ (POP3)"),
            Kind::Dns => ("DNS server", "DNS サーバ"),
        }
    }

    /// The palette entry that places a node like `node` (the kind the window
    /// shows for it): routers with an OP25B filter or a fixed address are
    /// told apart from plain ones.
    pub fn of(node: &Node) -> Kind {
        match &node.kind {
            NodeKind::ClientPc(_) => Kind::ClientPc,
            NodeKind::SpamBot(_) => Kind::SpamBot,
            NodeKind::Population(_) => Kind::Population,
            NodeKind::Router(r) if r.filters.iter().any(|f| matches!(f, Filter::Op25b { .. })) => Kind::RouterOp25b,
            NodeKind::Router(_) if node.ip.is_some() => Kind::RouterNat,
            NodeKind::Router(_) => Kind::Router,
            NodeKind::IspRelay(_) => Kind::IspRelay,
            NodeKind::OpenRelay(_) => Kind::OpenRelay,
            NodeKind::SpammerServer(_) => Kind::SpammerServer,
            NodeKind::Mx(_) => Kind::Mx,
            NodeKind::MailboxServer(_) => Kind::MailboxServer,
            NodeKind::Dns => Kind::Dns,
        }
    }

    /// A new node of this kind named `id` in `isp`, with settings that refer
    /// to what `world` already has (its ISP's relay as outgoing server, ...).
    pub fn new_node(self, id: &str, isp: Option<&str>, world: &Scenario) -> Node {
        let near = Near { world, isp };
        let domain = near.domain();
        let kind = match self {
            Kind::ClientPc => NodeKind::ClientPc(ClientPc {
                user: format!("{id}@{domain}"),
                hostname: None,
                mail_client: near.mail_client(),
            }),
            Kind::Population => NodeKind::Population(Population {
                count: 100,
                infected: 0.02,
                domain: domain.clone(),
                mail_client: near.mail_client(),
                lease: None,
            }),
            Kind::SpamBot => NodeKind::SpamBot(SpamBot::default()),
            Kind::Router | Kind::RouterNat => NodeKind::Router(Router::default()),
            Kind::RouterOp25b => NodeKind::Router(Router {
                filters: isp.map(|i| Filter::Op25b { isp: i.to_string() }).into_iter().collect(),
            }),
            Kind::IspRelay => NodeKind::IspRelay(MailServer {
                mailboxes: vec![format!("*@{domain}")],
                ..mail_server(near.free_hostname(format!("mail.{domain}"), format!("{id}.{domain}")), &domain)
            }),
            Kind::OpenRelay => NodeKind::OpenRelay(mail_server(format!("{id}.{domain}"), &domain)),
            Kind::SpammerServer => {
                let own = format!("{id}.example");
                NodeKind::SpammerServer(MailServer {
                    mailboxes: vec![format!("*@{own}")],
                    ..mail_server(format!("mail.{own}"), &own)
                })
            }
            Kind::Mx => NodeKind::Mx(MailServer {
                mailbox: near.mailbox_server(),
                ..mail_server(format!("{id}.{domain}"), &domain)
            }),
            Kind::MailboxServer => NodeKind::MailboxServer(MailboxServer {
                hostname: format!("{id}.{domain}"),
                mailboxes: vec![format!("*@{domain}")],
                down: vec![],
                forwards: vec![],
            }),
            Kind::Dns => NodeKind::Dns,
        };
        // A NAT router needs an address of its own (the one its hosts share):
        // the first host of its ISP's customer range.
        let ip = match self {
            Kind::RouterNat => near.isp_ranges().next().and_then(|c| c.host(0)).map(crate::units::Ip),
            _ => None,
        };
        Node {
            id: id.to_string(),
            label: None,
            labels: Default::default(),
            isp: isp.map(str::to_string),
            ip,
            position: None,
            nat: None,
            kind,
        }
    }
}

/// A mail server with the schema's defaults, for `domain`.
fn mail_server(hostname: String, domain: &str) -> MailServer {
    // The schema's own defaults, read through serde so they stay in step
    // with it; the text is a constant (a test reads it too).
    let blank: MailServer = ron::from_str(BLANK_SERVER).expect("the blank mail server is valid RON");
    MailServer { hostname, domains: vec![domain.to_string()], ..blank }
}

/// A mail server with only its required field, the rest left to serde's defaults.
pub(crate) const BLANK_SERVER: &str = "MailServer(hostname: \"\")";

/// What a new node in `isp` can refer to.
struct Near<'a> {
    world: &'a Scenario,
    isp: Option<&'a str>,
}

impl Near<'_> {
    /// Nodes of the same ISP first, then the rest of the world.
    fn nodes(&self) -> impl Iterator<Item = &Node> {
        let same = |n: &&Node| n.isp.as_deref() == self.isp && self.isp.is_some();
        self.world.nodes.iter().filter(same).chain(self.world.nodes.iter().filter(move |n| !same(n)))
    }

    /// The mail domain of the ISP: its relay's first domain, else
    /// `<isp>.example`, else `example.net`.
    fn domain(&self) -> String {
        let own = self.world.nodes.iter().filter(|n| n.isp.as_deref() == self.isp && self.isp.is_some());
        own.filter_map(|n| n.kind.mail_server()).find_map(|m| m.domains.first().cloned()).unwrap_or_else(|| match self
            .isp
        {
            Some(isp) => format!("{isp}.example"),
            None => "example.net".to_string(),
        })
    }

    /// The outgoing server a mail client of this ISP uses: its ISP relay,
    /// else any ISP relay, else any mail server; empty when there is none.
    fn mail_client(&self) -> MailClient {
        let relay = self
            .nodes()
            .find(|n| matches!(n.kind, NodeKind::IspRelay(_)))
            .or_else(|| self.nodes().find(|n| n.kind.mail_server().is_some()));
        MailClient {
            server: relay.map(|n| n.id.clone()).unwrap_or_default(),
            port: 25,
            retry: Retry::mail_client(),
            auth: None,
            pop: None,
        }
    }

    /// The mailbox server of this ISP (a MX then hands mail to it).
    fn mailbox_server(&self) -> Option<String> {
        let own = self.world.nodes.iter().filter(|n| n.isp.as_deref() == self.isp && self.isp.is_some());
        own.filter(|n| matches!(n.kind, NodeKind::MailboxServer(_))).map(|n| n.id.clone()).next()
    }

    /// `wanted` when no node has that host name yet, else `otherwise`.
    fn free_hostname(&self, wanted: String, otherwise: String) -> String {
        let taken = self.world.nodes.iter().any(|n| match &n.kind {
            NodeKind::MailboxServer(m) => m.hostname == wanted,
            k => k.mail_server().is_some_and(|m| m.hostname == wanted),
        });
        if taken { otherwise } else { wanted }
    }

    /// The ISP's customer ranges.
    fn isp_ranges(&self) -> impl Iterator<Item = &crate::units::Cidr> {
        self.world.isps.iter().filter(|i| Some(i.id.as_str()) == self.isp).flat_map(|i| i.customers.iter())
    }
}
