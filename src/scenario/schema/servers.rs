//! Mail servers: whom they relay for, the `RCPT TO` restrictions in order,
//! their sending pools, accounts and defenses (POP-before-SMTP, greylisting,
//! SPF), and mailbox servers.

use serde::{Deserialize, Serialize};

use super::{Backoff, DnsblCheck, Familiar, SenderVerify, Tarpit, yes};
use crate::units::{Cidr, Duration, Ip, Rate};

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
    /// お馴染さん方式 in front of this server (seed 003): refuse the first
    /// contact of an unknown client address, trust it once it comes back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub familiar: Option<Familiar>,
    /// Domains it accepts mail for from anyone without being their final
    /// destination (Postfix `relay_domains`): a backup MX, which queues the
    /// mail and relays it to a more preferred MX of the domain.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub relay_domains: Vec<String>,
    /// As a sender: after a `4xx` reply, try the next MX host at once, as
    /// sendmail-era MTAs did (RFC 5321 §5.1 allows it). Off: Postfix's
    /// `smtp`, which moves on only when the connection fails or the server
    /// greets with `421`, and otherwise retries later.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub next_mx_after_4xx: bool,
    /// DNS blocklists it asks about each client (Postfix `reject_rbl_client`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dnsbl: Option<DnsblCheck>,
    /// Slow every reply to client addresses it does not know yet (seed 003
    /// §3.2: throttling instead of temporary errors).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tarpit: Option<Tarpit>,
    /// Most connections one client address may open per minute (Postfix
    /// `smtpd_client_connection_rate_limit`, per `anvil_rate_time_unit`
    /// 60 s); beyond it the connection is answered `421 4.7.0` and closed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_rate_limit: Option<u32>,
    /// Callback verification of the envelope sender (Postfix
    /// `reject_unverified_sender`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verify_sender: Option<SenderVerify>,
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
    /// The お馴染さん方式 check (needs `familiar`): like postgrey, it defers
    /// only mail that is then permitted.
    CheckFamiliar,
    /// `reject_rbl_client` (needs `dnsbl` at `Rcpt`): a client listed in one
    /// of the zones is refused with `554 5.7.1`.
    RejectRblClient,
    /// `reject_unverified_sender` (needs `verify_sender`): a callback to the
    /// sender domain's MX.
    RejectUnverifiedSender,
}

impl Restriction {
    /// The order a server uses when `recipient_restrictions` is empty:
    /// Postfix's `smtpd_relay_restrictions` default (`permit_mynetworks,
    /// permit_sasl_authenticated, reject_unauth_destination`), then the
    /// policy services as postgrey's and policyd-spf's documentation place them.
    /// The お馴染さん check sits before postgrey: the cheaper question
    /// (the address alone) is asked first.
    /// Blocklists come right after `reject_unauth_destination`, as
    /// Postfix's documentation places `reject_rbl_client`.
    pub const DEFAULT_ORDER: [Restriction; 8] = [
        Restriction::PermitMynetworks,
        Restriction::PermitSaslAuthenticated,
        Restriction::RejectUnauthDestination,
        Restriction::RejectRblClient,
        Restriction::RejectUnverifiedSender,
        Restriction::CheckSpf,
        Restriction::CheckFamiliar,
        Restriction::CheckGreylist,
    ];
    pub fn name(self) -> &'static str {
        match self {
            Restriction::PermitMynetworks => "PermitMynetworks",
            Restriction::PermitSaslAuthenticated => "PermitSaslAuthenticated",
            Restriction::RejectUnauthDestination => "RejectUnauthDestination",
            Restriction::CheckSpf => "CheckSpf",
            Restriction::CheckGreylist => "CheckGreylist",
            Restriction::CheckFamiliar => "CheckFamiliar",
            Restriction::RejectRblClient => "RejectRblClient",
            Restriction::RejectUnverifiedSender => "RejectUnverifiedSender",
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
    /// The name of a triplet database several servers share (several MX
    /// hosts asking one postgrey); servers without it keep their own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
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
            database: None,
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
