//! The channels spam gets out by: the ways a campaign's software hands its
//! mail to the world. Reports count spam per channel, which is how the
//! arms race shows: when one channel closes, the mail moves to another.

use serde::Serialize;

use super::message::{MailClass, Message};
use super::simulation::Simulation;
use crate::scenario::{NodeKind, Source, Strategy};

/// A channel of spam, as reports name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// Through a third party's open relay.
    OpenRelay,
    /// From an infected host straight to the recipient's MX.
    Direct,
    /// From the spammer's own server (own domain, own addresses).
    OwnServer,
    /// Through the bot's own ISP relay with a stolen SMTP-AUTH password.
    StolenAuth,
    /// To the lowest-preference (backup) MX of the recipient's domain.
    BackupMx,
    /// Through an open proxy.
    Proxy,
}

impl Channel {
    pub const ALL: [Channel; 6] = [
        Channel::OpenRelay,
        Channel::Direct,
        Channel::OwnServer,
        Channel::StolenAuth,
        Channel::BackupMx,
        Channel::Proxy,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Channel::OpenRelay => "open_relay",
            Channel::Direct => "direct",
            Channel::OwnServer => "own_server",
            Channel::StolenAuth => "stolen_auth",
            Channel::BackupMx => "backup_mx",
            Channel::Proxy => "proxy",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

impl Simulation {
    /// The channel spam message `m` uses now (the last it tried: spam
    /// software that gave up on its relays and went direct is `Direct`);
    /// `None` for mail that is not a campaign's spam.
    pub fn channel_of(&self, m: &Message) -> Option<Channel> {
        if m.class != MailClass::Spam {
            return None;
        }
        if m.channel.is_some() {
            return m.channel;
        }
        let Some(Source::Spam(sp)) = m.source.map(|s| &self.traffic[s]) else { return None };
        let origin = &self.nodes[m.origin];
        let on_own_server = matches!(origin.kind, NodeKind::SpammerServer(_));
        let direct = if on_own_server { Channel::OwnServer } else { Channel::Direct };
        Some(match &sp.strategy {
            Strategy::OpenRelays(r) | Strategy::OpenRelaysThenDirect(r) if !m.direct && !r.is_empty() => {
                Channel::OpenRelay
            }
            // The first `share` of the infected hosts hold a stolen account
            // (as `attempt.rs` plans it).
            Strategy::StolenCredentials { share, credentials, .. } if !m.direct && !credentials.is_empty() => {
                let infected = &origin.infected;
                let (pos, holders) = if infected.is_empty() {
                    (0, usize::from(*share > 0.0))
                } else {
                    (
                        infected.binary_search(&m.origin_host).unwrap_or(0),
                        (infected.len() as f64 * share).ceil() as usize,
                    )
                };
                if pos < holders { Channel::StolenAuth } else { direct }
            }
            _ => direct,
        })
    }
}
