//! DNS blocklists (seed 003 §3.5 and §4): a zone of the scenario's DNS that
//! lists client addresses, and the check a mail server makes against it.

use serde::{Deserialize, Serialize};

use crate::units::{Cidr, Duration};

/// A DNS blocklist published as a zone (`Zone(domain: "dnsbl.example",
/// blocklist: Blocklist(…))`): a listed address `a.b.c.d` has the records
/// `d.c.b.a.<zone>` A `127.0.0.x` and TXT (the reason). What is listed comes
/// from mechanisms, never from a share of the traffic.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Blocklist {
    /// ISPs that publish their dynamic customer ranges (a dial-up list, a
    /// "DUL"): each one's `customers` ranges are listed for the whole run,
    /// answered `127.0.0.10` (as Spamhaus's PBL answers for ranges an ISP
    /// listed itself).
    #[serde(default)]
    pub dynamic_of: Vec<String>,
    /// Further ranges listed for the whole run, answered `127.0.0.10`.
    #[serde(default)]
    pub ranges: Vec<Cidr>,
    /// Spam traps: addresses no person uses (`"trap@x.example"`, or
    /// `"*@x.example"` for a whole domain). A message accepted for one by its
    /// domain's server lists the address of the client that handed it over,
    /// answered `127.0.0.2`.
    #[serde(default)]
    pub traps: Vec<String>,
    /// How long after a trap hit the listing appears (reports are processed
    /// in batches).
    #[serde(default = "Blocklist::default_listing_delay")]
    pub listing_delay: Duration,
    /// How long a trap listing lasts after its last hit (SpamCop: 24 hours).
    #[serde(default = "Blocklist::default_expiry")]
    pub expiry: Duration,
}

impl Blocklist {
    fn default_listing_delay() -> Duration {
        Duration::from_mins(10)
    }
    fn default_expiry() -> Duration {
        Duration::from_secs(86_400)
    }
}

/// Postfix's `reject_rbl_client`: the blocklists a server asks about each
/// client, and when.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DnsblCheck {
    /// Blocklist zones to ask, in order (each a `Zone` with a `blocklist`).
    pub zones: Vec<String>,
    /// When: at `RCPT TO` in the restriction order (Postfix's default,
    /// `smtpd_delay_reject = yes`), or at the connection, before the
    /// greeting (as postscreen and rblsmtpd do): the cheapest for the server.
    #[serde(default)]
    pub at: DnsblStage,
}

/// When a server asks its blocklists.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
pub enum DnsblStage {
    /// At `RCPT TO`, where `RejectRblClient` stands in `recipient_restrictions`.
    #[default]
    Rcpt,
    /// At the connection: a listed client is greeted with `554` (RFC 5321
    /// §3.1: no SMTP service here) and the session ends.
    Connect,
}
