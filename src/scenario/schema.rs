//! The typed shape of a scenario file. Serde reads RON straight into these
//! types (`deny_unknown_fields` everywhere, so a misspelt field is an error
//! with its position), then `validate` checks what types cannot: references,
//! duplicate ids, overlapping ranges, impossible numbers.
//!
//! Cross references between nodes use node ids (`server: "relay-a"`), so a
//! dangling one is reported where it is written. Addresses (`alice@isp-a.example`)
//! are resolved the way real mail is: by the DNS zones of the scenario.

use serde::{Deserialize, Serialize};

use crate::units::{Cidr, Duration, Ip, Rate, Timestamp};

fn yes() -> bool {
    true
}
fn default_start() -> Timestamp {
    // A Monday morning in the open-relay era.
    Timestamp(920_278_800) // 1999-03-01T09:00:00Z
}
fn default_latency() -> Duration {
    Duration(10)
}
fn smtp_port() -> u16 {
    25
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Shown in titles and reports.
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Wall-clock time of the start, for `Date:` and `Received:` stamps.
    #[serde(default = "default_start")]
    pub start: Timestamp,
    /// How long traffic runs; queues are left as they are at the end.
    pub duration: Duration,
    /// The default seed (the command line's `--seed` overrides it).
    #[serde(default)]
    pub seed: u64,
    /// Keep every hop's SMTP dialogue and the trace headers servers add
    /// (turn off for large statistical runs: counts are the same either way).
    #[serde(default = "yes")]
    pub transcripts: bool,
    #[serde(default)]
    pub isps: Vec<Isp>,
    pub nodes: Vec<Node>,
    #[serde(default)]
    pub links: Vec<Link>,
    #[serde(default)]
    pub dns: Vec<Zone>,
    #[serde(default)]
    pub traffic: Vec<Source>,
    /// A lesson's ordered steps, shown as the run advances (see [`Step`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub narration: Vec<Step>,
}

impl Scenario {
    /// Mail the traffic sources are expected to inject up to `end` (each
    /// source's rate times the part of its `start`..`end` before `end`), for
    /// sizing a run's storage and its progress bar, and for `check`'s limits.
    pub fn expected_messages(&self, end: crate::units::SimTime) -> f64 {
        let span = |start: Duration, stop: Option<Duration>| {
            stop.map_or(end, |e| e.0.min(end)).saturating_sub(start.0.min(end)) as f64
        };
        self.traffic
            .iter()
            .map(|src| match src {
                Source::Legit(l) => l.rate.per_ms * span(l.start, l.end),
                Source::Spam(sp) => sp.rate.per_ms * span(sp.start, sp.end),
                Source::Once(_) => 1.0,
            })
            .sum()
    }
}

/// An Internet service provider: who owns which addresses.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Isp {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    /// The dynamic pool its customers' PCs get addresses from.
    #[serde(default)]
    pub customers: Vec<Cidr>,
    /// Static addresses of its own servers.
    #[serde(default)]
    pub servers: Vec<Cidr>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Node {
    pub id: String,
    #[serde(default)]
    pub label: Option<String>,
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

/// Whom a mail server relays for (mail to domains that are not its own).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub enum RelayPolicy {
    /// Relay for anyone: the open relay of the 1990s.
    Open,
    /// Relay only for clients inside these ranges (Postfix `mynetworks`).
    MyNetworks(Vec<Cidr>),
    /// `mynetworks` set to the ranges of the node's own ISP.
    IspNetworks,
    /// Relay for nobody: accept only mail for local domains.
    LocalOnly,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MailServer {
    /// The server's name: its A record, its `Received: by` and `220` greeting.
    pub hostname: String,
    /// Domains it accepts mail for from anyone (Postfix `mydestination`).
    #[serde(default)]
    pub domains: Vec<String>,
    /// Default: `Open` for open relays and spammer servers, `IspNetworks` for
    /// ISP relays, `LocalOnly` for MXes.
    #[serde(default)]
    pub relay: Option<RelayPolicy>,
    /// Node id of the mailbox server that mail for local domains is handed to;
    /// when absent, mailboxes are on this server.
    #[serde(default)]
    pub mailbox: Option<String>,
    /// Mailboxes kept on this server (`"bob@x.example"`, or `"*@x.example"` for
    /// every local part), when it has no separate mailbox server.
    #[serde(default)]
    pub mailboxes: Vec<String>,
    /// Check recipients at `RCPT` time against the mailbox server's list
    /// (Postfix `relay_recipient_maps`); without it, unknown users are bounced
    /// after acceptance (backscatter, Postfix BACKSCATTER_README).
    #[serde(default)]
    pub verify_recipients: bool,
    /// The outgoing queue's retry schedule.
    #[serde(default)]
    pub queue: Backoff,
    /// Periods when the server answers `421` to every connection.
    #[serde(default)]
    pub down: Vec<Window>,
    /// TCP ports it listens on: 25 (relay and MX), 587 (submission: STARTTLS
    /// and AUTH required, RFC 6409), 465 (implicit TLS and AUTH, RFC 8314).
    #[serde(default = "default_ports")]
    pub ports: Vec<u16>,
    /// SMTP-AUTH accounts (RFC 4954); AUTH is offered when there are any.
    #[serde(default)]
    pub accounts: Vec<Account>,
    /// Most messages an authenticated account may send per hour (`"100/h"`).
    #[serde(default)]
    pub auth_rate_limit: Option<Rate>,
    /// Relay for addresses that logged in to POP3 recently.
    #[serde(default)]
    pub pop_before_smtp: Option<PopBeforeSmtp>,
    /// postgrey in front of this server.
    #[serde(default)]
    pub greylist: Option<Greylist>,
    /// SPF checks of the envelope sender (postfix-policyd-spf style).
    #[serde(default)]
    pub spf: Option<SpfCheck>,
    /// A pool of outbound addresses: each delivery attempt uses the next one
    /// (as large providers send from many machines).
    #[serde(default)]
    pub outbound_ips: Vec<Ip>,
    /// `false`: a sender that never retries; a temporary failure loses the
    /// mail without a bounce.
    #[serde(default = "yes")]
    pub retries: bool,
    /// Plain forwarding `(from, to)`: mail for `from` is sent on to `to` with
    /// the envelope sender kept (which breaks SPF at the next MX).
    #[serde(default)]
    pub forwards: Vec<(String, String)>,
    /// How a sending pool's address is chosen for each attempt (default: in order).
    #[serde(default, skip_serializing_if = "OutboundChoice::is_in_order")]
    pub outbound_choice: OutboundChoice,
    /// Node id of a smarthost: mail for domains that are not its own goes
    /// there instead of to the MX (Postfix `relayhost`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relayhost: Option<String>,
    /// `(domain, node id)`: mail for `domain` goes to that node, whatever the
    /// MX says (Postfix `transport_maps` with `smtp:[host]`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub transport: Vec<(String, String)>,
    /// The checks at `RCPT TO`, in order (Postfix `smtpd_recipient_restrictions`);
    /// empty: the default order (see [`Restriction::DEFAULT_ORDER`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recipient_restrictions: Vec<Restriction>,
}

/// How a server with `outbound_ips` picks the address of each attempt.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
pub enum OutboundChoice {
    /// Attempt `k` of a message uses address `k mod n`, starting from the first.
    #[default]
    InOrder,
    /// Any address of the pool, drawn for each attempt from the server's own
    /// random stream (what real pools behind a load balancer do).
    Random,
}

impl OutboundChoice {
    fn is_in_order(&self) -> bool {
        *self == OutboundChoice::InOrder
    }
}

/// One check of a mail server at `RCPT TO`, as in Postfix's
/// `smtpd_recipient_restrictions`. The list is read in order: the first
/// check that permits or rejects decides; a list that runs out permits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
pub enum Restriction {
    /// `permit_mynetworks`: a client the server relays for by address
    /// (`relay`, or a recent POP3 login under `pop_before_smtp`) is accepted.
    PermitMynetworks,
    /// `permit_sasl_authenticated`: an authenticated client is accepted.
    PermitSaslAuthenticated,
    /// `reject_unauth_destination`: a recipient outside the server's
    /// `domains` is refused (`554 5.7.1 Relay access denied`).
    RejectUnauthDestination,
    /// `check_policy_service` with postfix-policyd-spf (needs `spf`).
    CheckSpf,
    /// `check_policy_service` with postgrey (needs `greylist`); it answers
    /// `DEFER_IF_PERMIT`, so it defers only mail that is then permitted.
    CheckGreylist,
}

impl Restriction {
    /// The order a server uses when `recipient_restrictions` is empty:
    /// Postfix's `smtpd_relay_restrictions` default (`permit_mynetworks,
    /// permit_sasl_authenticated, reject_unauth_destination`), then the
    /// policy services as postgrey's and policyd-spf's documentation place them.
    pub const DEFAULT_ORDER: [Restriction; 5] = [
        Restriction::PermitMynetworks,
        Restriction::PermitSaslAuthenticated,
        Restriction::RejectUnauthDestination,
        Restriction::CheckSpf,
        Restriction::CheckGreylist,
    ];
    pub fn name(self) -> &'static str {
        match self {
            Restriction::PermitMynetworks => "PermitMynetworks",
            Restriction::PermitSaslAuthenticated => "PermitSaslAuthenticated",
            Restriction::RejectUnauthDestination => "RejectUnauthDestination",
            Restriction::CheckSpf => "CheckSpf",
            Restriction::CheckGreylist => "CheckGreylist",
        }
    }
}

impl MailServer {
    /// The `RCPT TO` checks in force: the written list, or the default order.
    pub fn restrictions(&self) -> &[Restriction] {
        if self.recipient_restrictions.is_empty() { &Restriction::DEFAULT_ORDER } else { &self.recipient_restrictions }
    }
}

fn default_ports() -> Vec<u16> {
    vec![25]
}

/// An SMTP-AUTH account. `user` may be `*@domain` for every user of a domain.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Account {
    pub user: String,
    pub password: String,
    /// A guessable password: spam operators may have stolen it.
    #[serde(default)]
    pub weak: bool,
}

/// POP-before-SMTP (DRAC, the pop-before-smtp daemon).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PopBeforeSmtp {
    /// Node id of the POP3 server whose logins count.
    pub server: String,
    /// How long a login permits relaying (DRAC `-e` default: 30 minutes).
    #[serde(default = "PopBeforeSmtp::default_window")]
    pub window: Duration,
}

impl PopBeforeSmtp {
    fn default_window() -> Duration {
        Duration::from_mins(30)
    }
}

/// postgrey's settings, with its defaults.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Greylist {
    /// `--delay` (300 s): how long a new triplet is refused.
    #[serde(default = "Greylist::default_delay")]
    pub delay: Duration,
    /// `--retry-window` (2 d): the first retry must come within this.
    #[serde(default = "Greylist::default_retry_window")]
    pub retry_window: Duration,
    /// `--max-age` (35 d): entries unused this long are forgotten.
    #[serde(default = "Greylist::default_max_age")]
    pub max_age: Duration,
    /// `--auto-whitelist-clients` (5): successful deliveries after which a
    /// client is no longer greylisted (0 turns it off).
    #[serde(default = "Greylist::default_awl")]
    pub auto_whitelist: u32,
    /// `--lookup-by-host`: key on the full address, not its /24.
    #[serde(default)]
    pub lookup_by_host: bool,
    /// Clients never greylisted (`whitelist_clients`).
    #[serde(default)]
    pub whitelist: Vec<Cidr>,
}

impl Greylist {
    fn default_delay() -> Duration {
        Duration::from_secs(300)
    }
    fn default_retry_window() -> Duration {
        Duration::from_secs(2 * 86_400)
    }
    fn default_max_age() -> Duration {
        Duration::from_secs(35 * 86_400)
    }
    fn default_awl() -> u32 {
        5
    }
}

impl Default for Greylist {
    fn default() -> Self {
        Greylist {
            delay: Self::default_delay(),
            retry_window: Self::default_retry_window(),
            max_age: Self::default_max_age(),
            auto_whitelist: Self::default_awl(),
            lookup_by_host: false,
            whitelist: vec![],
        }
    }
}

/// What an SPF-checking server does with each result (RFC 7208 §8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
pub enum SpfAction {
    /// Refuse with 5xx.
    Reject,
    /// Refuse with 4xx (try again later).
    Defer,
    /// Accept, recording the result in `Received-SPF:`.
    Mark,
}

/// postfix-policyd-spf-python's defaults: reject `fail`, mark the rest.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SpfCheck {
    #[serde(default = "SpfCheck::reject")]
    pub on_fail: SpfAction,
    /// RFC 7208 §8.5: softfail SHOULD NOT alone cause rejection.
    #[serde(default = "SpfCheck::mark")]
    pub on_softfail: SpfAction,
    #[serde(default = "SpfCheck::mark")]
    pub on_permerror: SpfAction,
    #[serde(default = "SpfCheck::mark")]
    pub on_temperror: SpfAction,
}

impl SpfCheck {
    fn reject() -> SpfAction {
        SpfAction::Reject
    }
    fn mark() -> SpfAction {
        SpfAction::Mark
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MailboxServer {
    pub hostname: String,
    /// The mailboxes it holds (`"bob@x.example"` or `"*@x.example"`).
    pub mailboxes: Vec<String>,
    #[serde(default)]
    pub down: Vec<Window>,
    /// Plain forwarding `(from, to)`, as a user's `.forward` file.
    #[serde(default)]
    pub forwards: Vec<(String, String)>,
}

/// A time interval from the start of the run, `[from, to)`.
#[derive(Debug, Clone, Copy, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Window {
    pub from: Duration,
    pub to: Duration,
}

/// The retry schedule of a queue: RFC 5321 §4.5.4.1 with Postfix's defaults.
/// The data only: the delays it gives ([`Backoff::delay_at`]) and when a
/// queue gives up are worked out in the simulation's retry room
/// (`sim/retry.rs`).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Backoff {
    /// First retry delay, doubled on each attempt (Postfix `minimal_backoff_time` 300 s).
    #[serde(default = "Backoff::default_min")]
    pub min: Duration,
    /// Ceiling of the delay (Postfix `maximal_backoff_time` 4000 s).
    #[serde(default = "Backoff::default_max")]
    pub max: Duration,
    /// Give up and bounce after this long (Postfix `maximal_queue_lifetime` 5 d).
    #[serde(default = "Backoff::default_lifetime")]
    pub lifetime: Duration,
    /// How the delay grows from one attempt to the next (default: doubling).
    #[serde(default, skip_serializing_if = "Shape::is_doubling")]
    pub shape: Shape,
}

/// The shape of a retry schedule ([`Backoff`]'s `shape`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
pub enum Shape {
    /// `min`, doubled after each failure, never more than `max`.
    #[default]
    Doubling,
    /// The same delay every time: a queue run every N (`Fixed("15m")`).
    Fixed(Duration),
    /// Postfix's queue manager (qmgr_active.c): the delay is the time the
    /// message has spent in the queue, at least `min` and at most `max`
    /// (`minimal_backoff_time`, `maximal_backoff_time`); the retry then waits
    /// for the next scan of the deferred queue, every `queue_run_delay`
    /// (300 s by default) from the start of the run.
    Postfix { queue_run_delay: Duration },
    /// These delays in turn; the last one repeats (`Delays(["5m", "30m", "2h"])`).
    Delays(Vec<Duration>),
}

impl Shape {
    fn is_doubling(&self) -> bool {
        *self == Shape::Doubling
    }
}

impl Backoff {
    fn default_min() -> Duration {
        Duration::from_secs(300)
    }
    fn default_max() -> Duration {
        Duration::from_secs(4000)
    }
    fn default_lifetime() -> Duration {
        Duration::from_secs(5 * 86_400)
    }
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            min: Self::default_min(),
            max: Self::default_max(),
            lifetime: Self::default_lifetime(),
            shape: Shape::Doubling,
        }
    }
}

/// What a sender does after a temporary failure (4xx, timeout, refused).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub enum Retry {
    /// Fire and forget: most spam software.
    Never,
    /// Reconnect at once, ignoring RFC 5321, up to this many extra attempts.
    Immediate(u32),
    /// Retry at once from another infected host, up to this many times.
    OtherHost(u32),
    /// Keep the mail and retry on a schedule, like an MTA or a mail client's outbox.
    Rfc(Backoff),
}

impl Retry {
    /// Mail clients keep unsent mail in the outbox and retry at each
    /// send/receive cycle (modelled as 10 minutes, giving up after a day).
    pub fn mail_client() -> Retry {
        Retry::Rfc(Backoff {
            min: Duration::from_mins(10),
            max: Duration::from_mins(10),
            lifetime: Duration::from_secs(86_400),
            shape: Shape::Doubling,
        })
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Link {
    pub a: String,
    pub b: String,
    /// One-way latency.
    #[serde(default = "default_latency")]
    pub latency: Duration,
}

/// DNS records of one domain. A records of every node's hostname are
/// published automatically.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Zone {
    pub domain: String,
    /// `(preference, host name)`, lowest preference tried first (RFC 5321 §5.1).
    #[serde(default)]
    pub mx: Vec<(u16, String)>,
    /// Extra A records `(name, address)`.
    #[serde(default)]
    pub a: Vec<(String, Ip)>,
    /// TXT records, e.g. SPF policies.
    #[serde(default)]
    pub txt: Vec<String>,
}

/// A source of mail: one seeded random stream each.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub enum Source {
    Legit(LegitSource),
    Spam(SpamCampaign),
    /// One legit mail at a fixed time: for demonstrations and narration.
    Once(OnceMail),
}

impl Source {
    pub fn id(&self) -> &str {
        match self {
            Source::Legit(s) => &s.id,
            Source::Spam(s) => &s.id,
            Source::Once(s) => &s.id,
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct OnceMail {
    pub id: String,
    /// Node id of the ClientPc that writes it.
    pub from: String,
    pub to: String,
    pub at: Duration,
    #[serde(default)]
    pub subject: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LegitSource {
    pub id: String,
    /// Node id of a ClientPc or a Population whose users write the mail, or
    /// of a mail server that sends on its own (a provider, a mailing list).
    pub from: String,
    /// The envelope sender when `from` is a mail server (default `noreply@<hostname>`).
    #[serde(default)]
    pub sender: Option<String>,
    /// Poisson rate for the whole source (a population's total, not per host).
    pub rate: Rate,
    /// Recipients, chosen uniformly.
    pub to: Vec<String>,
    #[serde(default)]
    pub start: Duration,
    #[serde(default)]
    pub end: Option<Duration>,
    #[serde(default)]
    pub subject: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SpamCampaign {
    pub id: String,
    /// Node ids that send: SpamBots, Populations (their infected hosts) or SpammerServers.
    pub senders: Vec<String>,
    pub strategy: Strategy,
    pub rate: Rate,
    /// Envelope senders to forge, chosen uniformly (innocent people receive the bounces).
    pub forged_from: Vec<String>,
    /// Target list: valid and invalid recipients, chosen uniformly.
    pub to: Vec<String>,
    #[serde(default = "Retry::never")]
    pub retry: Retry,
    #[serde(default)]
    pub start: Duration,
    #[serde(default)]
    pub end: Option<Duration>,
    #[serde(default)]
    pub subject: Option<String>,
}

impl Retry {
    fn never() -> Retry {
        Retry::Never
    }
}

impl Strategy {
    /// The third-party relays on the spammer's list (none for other strategies).
    pub fn relays(&self) -> &[String] {
        match self {
            Strategy::OpenRelays(r) | Strategy::OpenRelaysThenDirect(r) => r,
            _ => &[],
        }
    }
}

/// How spam software gets its mail to the victims.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub enum Strategy {
    /// Through third-party relays from the spammer's list: start with a random
    /// one, move to the next when refused (`5xx`) or unreachable.
    OpenRelays(Vec<String>),
    /// Look up the victim's MX and speak to it directly.
    DirectToMx,
    /// Relays first; when every relay on the list refused, direct to the MX.
    OpenRelaysThenDirect(Vec<String>),
    /// Submit through the victims' ISP relay with stolen SMTP-AUTH
    /// credentials. Hosts outside `share` go direct to the MX.
    StolenCredentials { relay: String, port: u16, credentials: Vec<Credentials>, share: f64 },
}

// ----- narration ------------------------------------------------------------

/// Text in several languages: `{"en": "…", "ja": "…"}`. English is required
/// (the fallback for every other language); any language code may be added.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(transparent)]
pub struct Localized(pub std::collections::BTreeMap<String, String>);

impl Localized {
    /// The text in `lang`, or in English when that language is missing.
    pub fn get(&self, lang: &str) -> &str {
        self.0.get(lang).or_else(|| self.0.get("en")).map_or("", String::as_str)
    }
    /// The languages written, in code order.
    pub fn languages(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }
}

/// One step of a lesson: when it fires, what it says, what to look at, an
/// optional question for the class and an optional action on the world.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// Unique among the steps; an action's mail is named after it (`Msg(source: "<id>")`).
    pub id: String,
    pub trigger: Trigger,
    pub title: Localized,
    pub text: Localized,
    #[serde(default)]
    pub focus: Focus,
    #[serde(default)]
    pub predict: Option<Predict>,
    #[serde(default)]
    pub action: Option<Action>,
}

/// When a step fires. Steps fire in order: a step's trigger is watched only
/// from the moment the previous step fired, so "the first spam delivered"
/// means the first one after the previous step.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub enum Trigger {
    /// At this simulated time from the start (at once if it has passed).
    At(Duration),
    /// This long after the previous step fired.
    After(Duration),
    /// A matching message is placed in a mailbox (`node`: the mailbox's server).
    Delivered(Match),
    /// A matching message is refused for good (`node`: the server that refused it).
    Rejected(Match),
    /// A router drops a matching message's connection (`node`: the router).
    Dropped(Match),
    /// A server greylists a matching message with `450` (`node`: the server).
    Greylisted(Match),
    /// A server accepts a matching message (`node`: the server), e.g. a relay.
    Accepted(Match),
    /// One delivery attempt of a matching message fails: a server refuses it
    /// (4xx or 5xx) or the connection fails (`node`: the server tried); the
    /// sender may try again.
    Refused(Match),
    /// A server generates a bounce; the match is on the bounce itself, so
    /// `Match(class: Backscatter)` is the first bounce to a forged sender.
    Bounced(Match),
    /// A matching message is lost without anyone told (a sender gave up).
    Lost(Match),
    /// This message reaches a mailbox.
    MessageDelivered(MsgRef),
    /// This message is refused or lost.
    MessageFailed(MsgRef),
    /// This message reaches its end, whatever it is (for revealing a prediction).
    MessageFinal(MsgRef),
}

impl Trigger {
    /// The message the trigger names, if any.
    pub fn message(&self) -> Option<&MsgRef> {
        match self {
            Trigger::MessageDelivered(m) | Trigger::MessageFailed(m) | Trigger::MessageFinal(m) => Some(m),
            _ => None,
        }
    }
    pub fn filter(&self) -> Option<&Match> {
        match self {
            Trigger::Delivered(m)
            | Trigger::Rejected(m)
            | Trigger::Dropped(m)
            | Trigger::Greylisted(m)
            | Trigger::Accepted(m)
            | Trigger::Refused(m)
            | Trigger::Bounced(m)
            | Trigger::Lost(m) => Some(m),
            _ => None,
        }
    }
}

/// Which messages an event trigger watches; every field given must match.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Match {
    #[serde(default)]
    pub class: Option<Class>,
    /// The traffic source that sent it (or the step whose action sent it).
    #[serde(default)]
    pub source: Option<String>,
    /// The node that wrote it (a population, a bot, a PC, a server).
    #[serde(default)]
    pub origin: Option<String>,
    /// The node where the event happens (see each trigger).
    #[serde(default)]
    pub node: Option<String>,
}

/// The classes of mail, as reports count them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
pub enum Class {
    Legit,
    Spam,
    Bounce,
    Backscatter,
}

/// A message named by its traffic source and its number within that source
/// (0 = the first it sent). A step with a `SendMail`/`SendSpam` action is a
/// source too: `Msg(source: "<step id>")` is the mail it sent.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MsgRef {
    pub source: String,
    #[serde(default)]
    pub index: u32,
}

/// What the GUI highlights while a step is shown.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Focus {
    #[serde(default)]
    pub nodes: Vec<String>,
    #[serde(default)]
    pub message: Option<MsgRef>,
}

/// A question for the class, asked when the step fires; the answer and its
/// explanation are revealed when the next step fires (or at the end).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Predict {
    pub question: Localized,
    pub choices: Vec<Localized>,
    /// Index into `choices` (0 = the first).
    pub answer: usize,
    pub explanation: Localized,
}

/// What a step does to the world when it fires (narrated runs only).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub enum Action {
    /// Send one legit mail now.
    SendMail(SendMail),
    /// Send one more mail of a spam campaign now.
    SendSpam(SendSpam),
    /// Switch a defense on a node on or off (a what-if).
    Switch(Switch),
    /// Stop here until the teacher continues (the GUI pauses; the CLI notes it).
    Pause,
}

/// One legit mail: `from` is a ClientPc (through its mail client), a
/// Population (its host 0) or a mail server (from its own queue).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SendMail {
    pub from: String,
    pub to: String,
    /// Envelope sender for a mail server (default `noreply@<hostname>`).
    #[serde(default)]
    pub sender: Option<String>,
    #[serde(default)]
    pub subject: Option<String>,
}

/// One spam of `campaign`, sent by its first sender (first infected host)
/// with its strategy; `forged_from` defaults to the campaign's first.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SendSpam {
    pub campaign: String,
    pub to: String,
    #[serde(default)]
    pub forged_from: Option<String>,
}

/// Turn `defense` on `node` on or off.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Switch {
    pub node: String,
    pub defense: Defense,
    pub on: bool,
}

/// The defenses that can be switched while a run goes on. Switching on uses
/// the node's own settings from the file when it has them, else the defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
pub enum Defense {
    /// A mail server relays only for its ISP's networks (off: open relay).
    RelayRestriction,
    /// POP-before-SMTP (needs `pop_before_smtp` settings in the file).
    PopBeforeSmtp,
    /// Outbound Port 25 Blocking on a router (for the router's own ISP).
    Op25b,
    /// SPF checks at a mail server.
    Spf,
    /// postgrey at a mail server.
    Greylist,
    /// Recipient verification at `RCPT` (no backscatter).
    VerifyRecipients,
}

impl Defense {
    pub const ALL: [Defense; 6] = [
        Defense::RelayRestriction,
        Defense::PopBeforeSmtp,
        Defense::Op25b,
        Defense::Spf,
        Defense::Greylist,
        Defense::VerifyRecipients,
    ];
    pub fn name(self) -> &'static str {
        match self {
            Defense::RelayRestriction => "RelayRestriction",
            Defense::PopBeforeSmtp => "PopBeforeSmtp",
            Defense::Op25b => "Op25b",
            Defense::Spf => "Spf",
            Defense::Greylist => "Greylist",
            Defense::VerifyRecipients => "VerifyRecipients",
        }
    }
    /// Routers carry OP25B; every other defense sits on a mail server.
    pub fn on_router(self) -> bool {
        self == Defense::Op25b
    }
}
