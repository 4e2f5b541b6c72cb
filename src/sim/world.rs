//! The runtime form of a scenario's nodes: addresses assigned, relay policies
//! resolved, mailbox tables built, infected hosts chosen.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::net::Ipv4Addr;

use serde::Serialize;
use std::collections::BTreeMap;

use super::defense::auth::RateLimiter;
use super::defense::conn_rate::ConnectionRates;
use super::defense::familiar::FamiliarDb;
use super::defense::greylist::GreylistDb;
use super::defense::op25b::{self, Block};
use super::defense::pop_before_smtp::PopLogins;
use super::defense::tarpit::TarpitDb;
use super::name_set::NameSet;
use super::rng;
use super::smtp::server::{RelayGrant, ServerTexts};
use crate::scenario::{NodeKind, RelayPolicy, Scenario, Window};
use crate::units::{Cidr, SimTime};
use smallvec::SmallVec;
use std::sync::Arc;

/// Per-node counters, as reported in `nodes.<id>`.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct NodeCounters {
    /// SMTP connections that reached this server.
    pub sessions_in: u64,
    /// Delivery sessions this node opened (as a client).
    pub sessions_out: u64,
    /// Messages it accepted (`250 queued as`).
    pub accepted: u64,
    /// Accepted messages for domains that are not its own.
    pub relayed: u64,
    /// Messages placed in its mailboxes.
    pub delivered: u64,
    /// Refusals it gave, by reason (`relay_denied`, `user_unknown`, …).
    pub refused: BTreeMap<&'static str, u64>,
    /// Temporary failures of its own outgoing deliveries.
    pub deferred: u64,
    /// Bounces (DSNs) it generated.
    pub bounces_sent: u64,
    /// Messages in its queue when the run ended.
    pub queued: u64,
    /// Routers: connections inspected, and dropped (OP25B and other filters).
    pub connections_seen: u64,
    pub dropped: u64,
    /// Recipients refused with 450 by postgrey, and triplets that passed after waiting.
    pub greylisted: u64,
    pub greylist_passed: u64,
    /// SPF results of the senders it checked (`pass`, `fail`, …).
    pub spf: BTreeMap<&'static str, u64>,
    /// SMTP-AUTH logins that succeeded and failed.
    pub auth_ok: u64,
    pub auth_failed: u64,
    /// POP3 logins it served.
    pub pop_logins: u64,
    /// Messages it forwarded to another address.
    pub forwarded: u64,
    /// Bytes of message content it accepted.
    pub bytes_in: u64,
    /// お馴染さん方式 (seed 003): recipients refused because the client
    /// address was a stranger; strangers admitted as regulars after waiting;
    /// recipients passed as regulars or whitelisted clients. Left out of
    /// the report while zero, so reports of servers without it are unchanged.
    #[serde(skip_serializing_if = "is_zero")]
    pub familiar_deferred: u64,
    #[serde(skip_serializing_if = "is_zero")]
    pub familiar_admitted: u64,
    #[serde(skip_serializing_if = "is_zero")]
    pub familiar_passed: u64,
    /// As a sender: sessions that moved on to the next MX host after a
    /// `4xx` reply (`next_mx_after_4xx`).
    #[serde(skip_serializing_if = "is_zero")]
    pub next_mx_after_4xx: u64,
    /// DNS blocklist zones it asked about its clients.
    #[serde(skip_serializing_if = "is_zero")]
    pub dnsbl_lookups: u64,
    /// Messages from one of its addresses that a spam trap received (each
    /// one lists that address).
    #[serde(skip_serializing_if = "is_zero")]
    pub trap_hits: u64,
    /// Sessions it slowed with its tarpit, the seconds of replies it held
    /// back, and the slowed sessions whose client gave up waiting.
    #[serde(skip_serializing_if = "is_zero")]
    pub tarpitted: u64,
    #[serde(skip_serializing_if = "is_zero")]
    pub tarpit_seconds: u64,
    #[serde(skip_serializing_if = "is_zero")]
    pub tarpit_abandoned: u64,
    /// As a client: sessions it gave up on because a reply took longer than its timeout.
    #[serde(skip_serializing_if = "is_zero")]
    pub timeouts: u64,
    /// Callback verification: callouts it made to check senders, and
    /// callouts it received from other servers checking its addresses.
    #[serde(skip_serializing_if = "is_zero")]
    pub callbacks_made: u64,
    #[serde(skip_serializing_if = "is_zero")]
    pub callbacks_received: u64,
    /// An open proxy: SMTP connections it opened on behalf of a spammer.
    #[serde(skip_serializing_if = "is_zero")]
    pub proxied: u64,
}

/// For `skip_serializing_if`: counters of defenses added after the report's
/// shape was fixed appear only where they counted something.
fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// Whom a server relays for, resolved to ranges.
#[derive(Debug, Clone, PartialEq)]
pub enum RelayNets {
    Open,
    Only(Vec<Cidr>),
}

/// The mailboxes a server holds.
#[derive(Debug, Clone, Default)]
pub struct MailboxTable {
    exact: NameSet,
    /// Domains with a catch-all (`*@domain`).
    any_in: NameSet,
}

impl MailboxTable {
    fn new(entries: &[String]) -> Self {
        let mut t = MailboxTable::default();
        for e in entries {
            match e.strip_prefix("*@") {
                Some(d) => t.any_in.insert(d),
                None => t.exact.insert(e),
            }
        }
        t
    }
    pub fn contains(&self, address: &str) -> bool {
        // Addresses are nearly always lower case already: copy only when not.
        let a = lowercase(address);
        let d = a.rsplit_once('@').map_or("", |(_, d)| d);
        self.exact.contains_lowercase(&a) || self.any_in.contains_lowercase(d)
    }
    pub fn domains(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .exact
            .iter()
            .filter_map(|a| a.rsplit_once('@').map(|(_, d)| d.to_string()))
            .chain(self.any_in.iter().map(str::to_string))
            .collect();
        v.sort();
        v.dedup();
        v
    }
}

/// `s` in ASCII lower case, borrowed when it already is.
pub(crate) fn lowercase(s: &str) -> std::borrow::Cow<'_, str> {
    if s.bytes().any(|b| b.is_ascii_uppercase()) { s.to_ascii_lowercase().into() } else { s.into() }
}

/// A node at run time.
pub struct NodeRt {
    pub id: String,
    pub kind: NodeKind,
    pub ip: Option<Ipv4Addr>,
    pub hostname: String,
    /// Its SMTP banner and EHLO replies (servers only answer with them).
    pub texts: Arc<ServerTexts>,
    pub relay: RelayNets,
    /// The domains it accepts mail for (`mydestination`).
    pub local_domains: NameSet,
    pub mailboxes: MailboxTable,
    /// Index of the mailbox server that local mail is handed to.
    pub mailbox_node: Option<usize>,
    /// Populations: the addresses of host `i` come from here.
    pub host_pool: Vec<Cidr>,
    pub host_offset: u64,
    /// Populations: indices of infected hosts (sorted).
    pub infected: Vec<u32>,
    pub host_count: u32,
    /// Populations: addresses move to the next host every `lease` ms.
    pub lease: Option<u64>,
    /// The address servers see for this node when it sits behind NAT.
    pub nat_ip: Option<Ipv4Addr>,
    /// Routers: filter rules, resolved.
    pub filters: Vec<Block>,
    /// Mail servers: TCP ports listened on.
    pub ports: SmallVec<[u16; 4]>,
    /// Relay for POP-authenticated addresses: (POP server node, window ms).
    pub pop_before_smtp: Option<(usize, u64)>,
    /// Plain forwarding `(from, to)`.
    pub forwards: Vec<(String, String)>,
    /// The address ranges of the node's own ISP (its "own" clients).
    pub home_nets: Vec<Cidr>,
    /// Smarthost routing: the node all non-local mail goes to (`relayhost`),
    /// and the next hop by recipient domain (`transport`).
    pub relayhost: Option<usize>,
    pub transport: Vec<(String, usize)>,
    /// A sending pool with `outbound_choice: Random` draws from this stream,
    /// its own, so that no other stream shifts.
    pub outbound_rng: Option<rng::Stream>,
    pub pop: PopLogins,
    pub greylist: GreylistDb,
    /// お馴染さん方式's table of strangers and regulars.
    pub familiar: FamiliarDb,
    /// The tarpit's table of addresses that waited it out.
    pub tarpit: TarpitDb,
    /// Each client's connections in the current minute (Postfix anvil).
    pub conn_rates: ConnectionRates,
    /// Callback verification results: sender → (deliverable, until).
    pub verify_cache: HashMap<Box<str>, (bool, SimTime)>,
    /// The nodes whose greylisting and お馴染さん tables this server uses:
    /// itself, or the first server naming the same shared `database`.
    pub greylist_home: usize,
    pub familiar_home: usize,
    /// Domains it relays for from anyone (`relay_domains`: a backup MX).
    pub relay_domains: NameSet,
    /// The order of equally preferred MX hosts is drawn from this stream,
    /// the node's own (RFC 5321 §5.1), made when first needed.
    pub mx_rng: Option<rng::Stream>,
    pub rate: RateLimiter,
    pub counters: NodeCounters,
}

impl NodeRt {
    pub fn is_local_domain(&self, d: &str) -> bool {
        self.local_domains.contains_lowercase(&lowercase(d))
    }

    /// The address servers see for host `i` at time `t`: behind NAT the
    /// router's, in a population the host's current dynamic address.
    pub fn public_ip(&self, i: u32, t: SimTime) -> Ipv4Addr {
        if let Some(nat) = self.nat_ip {
            return nat;
        }
        match self.lease {
            Some(lease) if lease > 0 && self.host_count > 0 => {
                let k = t / lease;
                self.host_ip(((i as u64 + k) % self.host_count as u64) as u32)
            }
            _ => self.host_ip(i),
        }
    }

    /// Address slot `i` of a population (or the node's own address).
    pub fn host_ip(&self, i: u32) -> Ipv4Addr {
        if self.host_pool.is_empty() {
            return self.ip.unwrap_or(Ipv4Addr::UNSPECIFIED);
        }
        pool_address(&self.host_pool, self.host_offset + i as u64)
    }

    pub fn available(&self, t: SimTime) -> bool {
        let down: &[Window] = match &self.kind {
            NodeKind::MailboxServer(m) => &m.down,
            k => k.mail_server().map_or(&[], |m| &m.down),
        };
        !down.iter().any(|w| w.from.0 <= t && t < w.to.0)
    }

    /// Relay permission by address alone (open, or `mynetworks`).
    pub fn relay_by_address(&self, client: Ipv4Addr) -> Option<RelayGrant> {
        match &self.relay {
            RelayNets::Open => Some(RelayGrant::Open),
            RelayNets::Only(nets) => nets.iter().any(|n| n.contains(client)).then_some(RelayGrant::MyNetworks),
        }
    }

    /// Does this node own the mail address `a`, so that mail it sends from
    /// `a` is not forged? A mail server owns the addresses of its own
    /// `domains` (a spammer's server sending from its own domain); PCs, bots
    /// and populations own no address a spam campaign names.
    pub fn owns_address(&self, a: &str) -> bool {
        self.kind.mail_server().is_some() && a.rsplit_once('@').is_some_and(|(_, d)| self.is_local_domain(d))
    }

    /// The fixed next hop for mail to `domain`, if this server has one:
    /// its `transport` entry for the domain, else for a domain that is not
    /// its own, its `relayhost`.
    pub fn next_hop(&self, domain: &str) -> Option<usize> {
        let d = lowercase(domain);
        let mapped = self.transport.iter().find(|(td, _)| *td == *d).map(|(_, n)| *n);
        mapped.or(self.relayhost.filter(|_| !self.is_local_domain(&d)))
    }

    /// Is anything listening on `port`?
    pub fn listens(&self, port: u16) -> bool {
        self.ports.contains(&port)
    }
}

/// Servers that name the same greylisting or お馴染さん `database` use the
/// tables of the first of them (several MX hosts asking one postgrey).
pub(crate) fn share_databases(s: &Scenario, out: &mut [NodeRt]) {
    let mut grey: HashMap<&str, usize> = HashMap::default();
    let mut familiar: HashMap<&str, usize> = HashMap::default();
    for (i, n) in s.nodes.iter().enumerate() {
        let Some(m) = n.kind.mail_server() else { continue };
        if let Some(db) = m.greylist.as_ref().and_then(|g| g.database.as_deref()) {
            out[i].greylist_home = *grey.entry(db).or_insert(i);
        }
        if let Some(db) = m.familiar.as_ref().and_then(|f| f.database.as_deref()) {
            out[i].familiar_home = *familiar.entry(db).or_insert(i);
        }
    }
}

/// The `n`-th usable address across a list of ranges.
fn pool_address(pool: &[Cidr], mut n: u64) -> Ipv4Addr {
    for r in pool {
        let usable = r.size().saturating_sub(2).max(1);
        if n < usable {
            return r.host(n).unwrap_or(Ipv4Addr::UNSPECIFIED);
        }
        n -= usable;
    }
    Ipv4Addr::UNSPECIFIED
}

/// Builds the runtime nodes; addresses are assigned in declaration order
/// (populations first in their ISP's customer ranges, then single hosts).
pub fn build_nodes(s: &Scenario, seed: u64) -> Vec<NodeRt> {
    let isp_index: HashMap<&str, usize> = s.isps.iter().enumerate().map(|(i, x)| (x.id.as_str(), i)).collect();
    let node_index: HashMap<&str, usize> = s.nodes.iter().enumerate().map(|(i, n)| (n.id.as_str(), i)).collect();
    let mut used: HashSet<u32> = s.nodes.iter().filter_map(|n| n.ip.map(|ip| u32::from(ip.0))).collect();
    // A server's sending pool is taken too: no other node is given one of its addresses.
    used.extend(
        s.nodes.iter().filter_map(|n| n.kind.mail_server()).flat_map(|m| &m.outbound_ips).map(|ip| u32::from(ip.0)),
    );
    // Populations take the start of their ISP's customer pool first, so that
    // hosts given an address automatically never collide with them.
    let mut pool_used: HashMap<usize, u64> = HashMap::default();
    let mut offsets: HashMap<usize, u64> = HashMap::default();
    for (ni, n) in s.nodes.iter().enumerate() {
        if let (NodeKind::Population(p), Some(i)) = (&n.kind, n.isp.as_deref().and_then(|i| isp_index.get(i).copied()))
        {
            let off = pool_used.entry(i).or_default();
            offsets.insert(ni, *off);
            for h in 0..p.count as u64 {
                used.insert(u32::from(pool_address(&s.isps[i].customers, *off + h)));
            }
            *off += p.count as u64;
        }
    }

    let mut out: Vec<NodeRt> = Vec::with_capacity(s.nodes.len());
    for (ni, n) in s.nodes.iter().enumerate() {
        let isp = n.isp.as_deref().and_then(|i| isp_index.get(i).copied());
        let mut rt = NodeRt {
            id: n.id.clone(),
            kind: n.kind.clone(),
            ip: n.ip.map(|i| i.0),
            hostname: String::new(),
            texts: ServerTexts::new(""),
            relay: RelayNets::Only(vec![]),
            local_domains: NameSet::default(),
            mailboxes: MailboxTable::default(),
            mailbox_node: None,
            host_pool: vec![],
            host_offset: 0,
            infected: vec![],
            host_count: 0,
            lease: None,
            nat_ip: None,
            filters: vec![],
            ports: SmallVec::new(),
            pop_before_smtp: None,
            forwards: vec![],
            home_nets: isp
                .map(|i| s.isps[i].customers.iter().chain(&s.isps[i].servers).copied().collect())
                .unwrap_or_default(),
            relayhost: None,
            transport: vec![],
            outbound_rng: None,
            pop: PopLogins::default(),
            greylist: GreylistDb::default(),
            familiar: FamiliarDb::default(),
            tarpit: TarpitDb::default(),
            conn_rates: ConnectionRates::default(),
            verify_cache: HashMap::default(),
            greylist_home: ni,
            familiar_home: ni,
            relay_domains: NameSet::default(),
            mx_rng: None,
            rate: RateLimiter::default(),
            counters: NodeCounters::default(),
        };
        match &n.kind {
            NodeKind::Population(p) => {
                if let Some(i) = isp {
                    rt.host_pool = s.isps[i].customers.clone();
                    rt.host_offset = offsets.get(&ni).copied().unwrap_or(0);
                }
                let k = (p.count as f64 * p.infected).round() as u32;
                rt.infected = rng::sample_distinct(&mut rng::stream(seed, "infected", &n.id), p.count, k);
                rt.host_count = p.count;
                rt.lease = p.lease.map(|l| l.0);
                rt.hostname = format!("{}.{}", n.id, p.domain);
            }
            NodeKind::ClientPc(pc) => rt.hostname = pc.hostname.clone().unwrap_or_else(|| format!("{}-pc", n.id)),
            NodeKind::SpamBot(b) => rt.hostname = b.hostname.clone().unwrap_or_else(|| format!("{}-pc", n.id)),
            NodeKind::MailboxServer(m) => {
                rt.ports = SmallVec::from_slice(&[25]);
                rt.forwards = m.forwards.clone();
                rt.hostname = m.hostname.clone();
                rt.mailboxes = MailboxTable::new(&m.mailboxes);
                rt.local_domains = rt.mailboxes.domains().into_iter().collect();
            }
            NodeKind::Router(r) => {
                rt.hostname = n.id.clone();
                rt.filters = op25b::resolve(&r.filters, &s.isps);
            }
            NodeKind::Dns => rt.hostname = n.id.clone(),
            NodeKind::IspRelay(m) | NodeKind::OpenRelay(m) | NodeKind::SpammerServer(m) | NodeKind::Mx(m) => {
                let k = &n.kind;
                rt.hostname = m.hostname.clone();
                rt.local_domains = m.domains.iter().cloned().collect();
                rt.relay_domains = m.relay_domains.iter().map(|d| d.to_ascii_lowercase()).collect();
                rt.mailboxes = MailboxTable::new(&m.mailboxes);
                rt.mailbox_node = m.mailbox.as_deref().and_then(|id| node_index.get(id).copied());
                rt.ports = SmallVec::from_slice(&m.ports);
                rt.forwards = m.forwards.clone();
                rt.relayhost = m.relayhost.as_deref().and_then(|id| node_index.get(id).copied());
                rt.transport = m
                    .transport
                    .iter()
                    .filter_map(|(d, id)| Some((d.to_ascii_lowercase(), *node_index.get(id.as_str())?)))
                    .collect();
                if m.outbound_choice == crate::scenario::OutboundChoice::Random && !m.outbound_ips.is_empty() {
                    rt.outbound_rng = Some(rng::stream(seed, "outbound", &n.id));
                }
                rt.pop_before_smtp =
                    m.pop_before_smtp.as_ref().and_then(|p| Some((*node_index.get(p.server.as_str())?, p.window.0)));
                let policy = m.relay.clone().unwrap_or(match k {
                    NodeKind::OpenRelay(_) | NodeKind::SpammerServer(_) => RelayPolicy::Open,
                    NodeKind::IspRelay(_) => RelayPolicy::IspNetworks,
                    _ => RelayPolicy::LocalOnly,
                });
                rt.relay = match policy {
                    RelayPolicy::Open => RelayNets::Open,
                    RelayPolicy::MyNetworks(nets) => RelayNets::Only(nets),
                    RelayPolicy::IspNetworks => RelayNets::Only(
                        isp.map(|i| s.isps[i].customers.iter().chain(&s.isps[i].servers).copied().collect())
                            .unwrap_or_default(),
                    ),
                    RelayPolicy::LocalOnly => RelayNets::Only(vec![]),
                };
            }
        }
        rt.texts = ServerTexts::new(&rt.hostname);
        // Auto-assign an address from the ISP when none was given.
        if rt.ip.is_none()
            && !matches!(n.kind, NodeKind::Population(_) | NodeKind::Router(_) | NodeKind::Dns)
            && let Some(i) = isp
        {
            let ranges = if matches!(n.kind, NodeKind::ClientPc(_) | NodeKind::SpamBot(_)) {
                &s.isps[i].customers
            } else {
                &s.isps[i].servers
            };
            'find: for r in ranges {
                for h in 0..r.size().saturating_sub(2).max(1) {
                    if let Some(ip) = r.host(h)
                        && used.insert(u32::from(ip))
                    {
                        rt.ip = Some(ip);
                        break 'find;
                    }
                }
            }
        }
        out.push(rt);
    }
    share_databases(s, &mut out);
    // NAT: hosts behind a router are seen with the router's address.
    for (i, n) in s.nodes.iter().enumerate() {
        if let Some(r) = n.nat.as_deref().and_then(|id| node_index.get(id)) {
            out[i].nat_ip = s.nodes[*r].ip.map(|ip| ip.0);
        }
    }
    out
}
