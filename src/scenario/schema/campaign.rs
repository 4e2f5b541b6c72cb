//! How a spam campaign adapts: the channels it can use and the rule that
//! moves its capacity between them, and the retry behaviour of its hosts as
//! a mix. Data only: the behaviour is in `sim/campaign/`.

use serde::{Deserialize, Serialize};

use super::{NodeKind, Retry};
use crate::units::Duration;

/// A campaign's adaptation policy.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
pub enum Adapt {
    /// Its `strategy`, as written, whatever happens (the default).
    #[default]
    Fixed,
    /// Watches how each channel fares from each of its senders and moves
    /// its capacity toward the channels that work (see [`Adaptive`]).
    Adaptive(Adaptive),
}

impl Adapt {
    pub fn is_fixed(&self) -> bool {
        *self == Adapt::Fixed
    }
}

/// The adaptive policy: every `window`, for each sender, the share of
/// attempts of each channel that the first server accepted (its success
/// rate); the sender's capacity is then split in proportion to those rates,
/// each channel keeping at least `explore`, and the new split is used
/// `retool` later (spammers took days to weeks to change their tools).
/// A channel not tried in a window keeps its last rate. The channel of each
/// mail is drawn from the campaign's own random stream.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Adaptive {
    /// The repertoire; the campaign starts with its capacity spread evenly
    /// over the channels each sender can use.
    pub channels: Vec<ChannelUse>,
    /// How long outcomes are gathered before the split is reconsidered.
    #[serde(default = "Adaptive::default_window")]
    pub window: Duration,
    /// Delay between a decision and the new split taking effect.
    #[serde(default = "Adaptive::default_retool")]
    pub retool: Duration,
    /// The least share of capacity each usable channel keeps (0.0 to 1/n):
    /// a closed channel is still tried now and then, and found again when
    /// it opens.
    #[serde(default = "Adaptive::default_explore")]
    pub explore: f64,
}

impl Adaptive {
    fn default_window() -> Duration {
        Duration(crate::units::DAY)
    }
    fn default_retool() -> Duration {
        Duration(7 * crate::units::DAY)
    }
    fn default_explore() -> f64 {
        0.05
    }
}

/// A channel of an adaptive campaign.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub enum ChannelUse {
    /// Third parties' relays from this list (a refusal moves on to the next).
    OpenRelays(Vec<String>),
    /// From an infected host straight to the recipient's MX.
    Direct,
    /// From the campaign's own servers (its `SpammerServer` senders), to the MX.
    OwnServer,
    /// Through the infected host's own ISP relay, with the password its
    /// owner's mail client keeps (the population's `mail_client`: its
    /// server, its `auth`, port 587 when the server listens there).
    StolenAuth,
}

impl ChannelUse {
    /// Whether a sender of this kind can use the channel: a spammer's
    /// server sends from itself or through relays; an infected host through
    /// relays, straight to the MX, or through its own ISP relay with its
    /// owner's password (a population whose mail client has `auth`).
    pub fn usable_by(&self, kind: &NodeKind) -> bool {
        match (kind, self) {
            (NodeKind::SpammerServer(_), c) => matches!(c, ChannelUse::OwnServer | ChannelUse::OpenRelays(_)),
            (NodeKind::SpamBot(_), c) => matches!(c, ChannelUse::OpenRelays(_) | ChannelUse::Direct),
            (NodeKind::Population(p), ChannelUse::StolenAuth) => p.mail_client.auth.is_some(),
            (NodeKind::Population(_), c) => matches!(c, ChannelUse::OpenRelays(_) | ChannelUse::Direct),
            _ => false,
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            ChannelUse::OpenRelays(_) => "OpenRelays",
            ChannelUse::Direct => "Direct",
            ChannelUse::OwnServer => "OwnServer",
            ChannelUse::StolenAuth => "StolenAuth",
        }
    }
}

/// One part of a retry mix: this share of the hosts retries this way.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RetryShare {
    pub share: f64,
    pub retry: Retry,
}
