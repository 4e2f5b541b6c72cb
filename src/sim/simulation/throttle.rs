//! Throttling in the run (seed 003 §3.2): a server's tarpit holds back its
//! replies to addresses it does not know yet; the client's reply timeout
//! decides whether it waits. The tarpit's table is in `defense/tarpit.rs`;
//! the replies are carried in `session.rs`.

use std::net::Ipv4Addr;

use super::Simulation;
use super::session::REPLY_TIMEOUT_MS;
use crate::scenario::Source;
use crate::sim::message::{Holder, MsgId};
use crate::sim::smtp::Reply;
use crate::units::SimTime;

impl Simulation {
    /// How long server `n` holds back each reply to `client` at `t`.
    pub(super) fn tarpit_delay(&mut self, n: usize, client: Ipv4Addr, t: SimTime) -> u64 {
        let node = &mut self.nodes[n];
        let Some(cfg) = node.kind.mail_server().and_then(|m| m.tarpit.as_ref()) else { return 0 };
        let delay = node.tarpit.delay_for(cfg, client, t);
        if delay > 0 {
            node.counters.tarpitted += 1;
        }
        delay
    }

    /// Server `n`'s answer instead of a greeting when `client` opened more
    /// connections this minute than `connection_rate_limit` allows.
    pub(super) fn connection_rate_refusal(&mut self, n: usize, client: Ipv4Addr, t: SimTime) -> Option<Reply> {
        let node = &mut self.nodes[n];
        let limit = node.kind.mail_server()?.connection_rate_limit?;
        if node.conn_rates.allow(client, t, limit) {
            return None;
        }
        Some(Reply::too_many_connections(&node.hostname, client))
    }

    /// `client` waited out server `n`'s tarpit and delivered: known from now on.
    pub(super) fn tarpit_passed(&mut self, n: usize, client: Ipv4Addr, t: SimTime) {
        self.nodes[n].tarpit.learn(client, t);
    }

    /// How long the sender of `id` waits for each reply: its spam
    /// software's `reply_timeout`, else RFC 5321's five minutes.
    pub(super) fn reply_timeout_of(&self, id: MsgId) -> u64 {
        let m = &self.messages[id.0 as usize];
        match (m.holder, m.source.map(|s| &self.traffic[s])) {
            (Holder::Sender, Some(Source::Spam(sp))) => sp.reply_timeout.map_or(REPLY_TIMEOUT_MS, |d| d.0),
            _ => REPLY_TIMEOUT_MS,
        }
    }
}
