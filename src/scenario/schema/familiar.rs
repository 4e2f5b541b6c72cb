//! The receiving-side defenses of seed 003 that are not postgrey: the
//! お馴染さん方式 ("regulars" scheme), which refuses the first contact of an
//! unknown client address with a temporary error and trusts the address
//! once it has come back.

use serde::{Deserialize, Serialize};

use crate::units::{Cidr, Duration};

/// お馴染さん方式: first-contact refusal keyed by the client's address alone
/// (seed 003). An address never seen is a stranger (一見さん) and is told to
/// try again later; one that comes back after `delay` becomes a regular
/// (お馴染さん) and passes from then on, whatever it sends, until it has not
/// been seen for `max_age`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Familiar {
    /// How long a stranger must stay away before its return is accepted
    /// (postgrey's `--delay`, 300 s, so that the two schemes compare).
    #[serde(default = "Familiar::default_delay")]
    pub delay: Duration,
    /// The return must come within this, else the address starts over
    /// (postgrey's `--retry-window`, 2 d).
    #[serde(default = "Familiar::default_retry_window")]
    pub retry_window: Duration,
    /// A regular not seen for this long is forgotten (postgrey's `--max-age`, 35 d).
    #[serde(default = "Familiar::default_max_age")]
    pub max_age: Duration,
    /// Key on the client's /24 instead of its address (the seed: "/24 で判定
    /// することも検討しています"), so a pool's neighbouring servers share one entry.
    #[serde(default)]
    pub by_subnet: bool,
    /// The shared mail whitelist: clients that are never refused (the seed
    /// registers providers that send from several servers).
    #[serde(default)]
    pub whitelist: Vec<Cidr>,
    /// The name of a table several servers share (the seed §3.3: the MX hosts
    /// of one domain must share their short-term list); servers without it
    /// keep their own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
}

impl Familiar {
    fn default_delay() -> Duration {
        Duration::from_secs(300)
    }
    fn default_retry_window() -> Duration {
        Duration::from_secs(2 * 86_400)
    }
    fn default_max_age() -> Duration {
        Duration::from_secs(35 * 86_400)
    }
}

impl Default for Familiar {
    fn default() -> Self {
        Familiar {
            delay: Self::default_delay(),
            retry_window: Self::default_retry_window(),
            max_age: Self::default_max_age(),
            by_subnet: false,
            whitelist: vec![],
            database: None,
        }
    }
}

/// Throttling instead of temporary errors (seed 003 §3.2: "一時エラーを返事
/// するのをやめて、throttling だけで運用できるかもしれません"): the server
/// slows every reply to a client address it does not know yet (a tarpit,
/// like sendmail's `greet_pause` or a teergrube). Software with short
/// timeouts gives up; a patient MTA delivers, and its address is known from
/// then on.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Tarpit {
    /// How long each reply (the greeting included) is held back.
    #[serde(default = "Tarpit::default_delay")]
    pub delay: Duration,
    /// A known address not seen for this long is slowed again.
    #[serde(default = "Tarpit::default_max_age")]
    pub max_age: Duration,
    /// Clients never slowed.
    #[serde(default)]
    pub whitelist: Vec<Cidr>,
}

impl Tarpit {
    fn default_delay() -> Duration {
        Duration::from_secs(30)
    }
    fn default_max_age() -> Duration {
        Duration::from_secs(35 * 86_400)
    }
}

impl Default for Tarpit {
    fn default() -> Self {
        Tarpit { delay: Self::default_delay(), max_age: Self::default_max_age(), whitelist: vec![] }
    }
}

/// Callback verification of the envelope sender (seed 003 §2.6; Postfix
/// `reject_unverified_sender`, Exim's sender callout): before accepting,
/// the server connects to the sender domain's MX and asks `RCPT
/// TO:<sender>` with the null sender, then says `QUIT`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SenderVerify {
    /// The reply code when the sender's MX refuses the address for good
    /// (Postfix `unverified_sender_reject_code`, 450 by default; 550 to
    /// refuse for good). A temporary failure is always answered 450
    /// (`unverified_sender_defer_code`).
    #[serde(default = "SenderVerify::default_reject_code")]
    pub reject_code: u16,
    /// How long an address found deliverable is remembered (Postfix
    /// `address_verify_positive_expire_time`, 31 days).
    #[serde(default = "SenderVerify::default_positive")]
    pub positive_ttl: Duration,
    /// How long an address found undeliverable is remembered
    /// (`address_verify_negative_expire_time`, 3 days).
    #[serde(default = "SenderVerify::default_negative")]
    pub negative_ttl: Duration,
}

impl SenderVerify {
    fn default_reject_code() -> u16 {
        450
    }
    fn default_positive() -> Duration {
        Duration::from_secs(31 * 86_400)
    }
    fn default_negative() -> Duration {
        Duration::from_secs(3 * 86_400)
    }
}

impl Default for SenderVerify {
    fn default() -> Self {
        SenderVerify {
            reject_code: Self::default_reject_code(),
            positive_ttl: Self::default_positive(),
            negative_ttl: Self::default_negative(),
        }
    }
}
