//! Traffic: the sources of mail (legit senders, single mails, spam
//! campaigns) and how spam software delivers (its strategy).

use serde::{Deserialize, Serialize};

use super::{Adapt, Credentials, Retry, RetryShare};
use crate::units::{Duration, Rate};

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
    /// Retry behaviour per host, as a mix (e.g. Levine's measured 35% never,
    /// 31% too soon, 34% RFC-like); replaces `retry` when given.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub retry_mix: Vec<RetryShare>,
    /// How it adapts (default `Fixed`: `strategy` as written).
    #[serde(default, skip_serializing_if = "Adapt::is_fixed")]
    pub adapt: Adapt,
    #[serde(default)]
    pub start: Duration,
    #[serde(default)]
    pub end: Option<Duration>,
    #[serde(default)]
    pub subject: Option<String>,
    /// How long the spam software waits for each reply before it gives up
    /// on the session (default: RFC 5321 §4.5.3.2's five minutes; ratware
    /// often waits only seconds, which is what a tarpit exploits).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_timeout: Option<Duration>,
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
    /// Look up the victim's MX hosts and speak to the least preferred one
    /// first: a backup MX often lacks the primary's filters.
    BackupMx,
    /// Through open proxies (seed 003 §3.5): hosts at some ISP that forward
    /// the spammer's TCP connections, so each SMTP session comes from a
    /// proxy's address, straight to the victim's MX (node ids of
    /// `ClientPc`s or `SpamBot`s; message `k` uses proxy `k mod n`).
    OpenProxies(Vec<String>),
    /// Relays first; when every relay on the list refused, direct to the MX.
    OpenRelaysThenDirect(Vec<String>),
    /// Submit through the victims' ISP relay with stolen SMTP-AUTH
    /// credentials. Hosts outside `share` go direct to the MX.
    StolenCredentials { relay: String, port: u16, credentials: Vec<Credentials>, share: f64 },
}
