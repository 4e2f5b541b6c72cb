//! Adaptive campaigns inside the run: a spam mail gets its channel when it
//! is written, its attempts are planned by that channel, and every attempt's
//! outcome is reported back to the campaign (`sim/campaign/adapt.rs` holds
//! the rule). A fixed campaign's mail has no channel here and goes by its
//! strategy, exactly as before.

use std::sync::Arc;

use super::Simulation;
use super::attempt::Plan;
use crate::scenario::{Credentials, NodeKind, Retry, SpamCampaign};
use crate::sim::campaign::retry_mix;
use crate::sim::channel::Channel;
use crate::sim::message::{Holder, Message, MsgId};
use crate::units::SimTime;

impl Simulation {
    /// Gives a new spam mail of adaptive campaign `src` its channel, drawn
    /// for sender number `sender` (in the campaign's `senders`).
    pub(super) fn assign_channel(&mut self, m: &mut Message, src: usize, sender: usize, relay_start: u16, t: SimTime) {
        let Some(Some(a)) = self.campaigns.get_mut(src) else { return };
        let Some(ch) = a.choose(sender, t) else { return };
        m.channel = Some(ch);
        m.direct = matches!(ch, Channel::Direct | Channel::OwnServer);
        let relays = a.relays.len();
        m.relay_cursor = if relays > 0 { relay_start % relays as u16 } else { 0 };
    }

    /// Where spam software connects for a mail of an adaptive campaign:
    /// `mail` is its (source, relay cursor, origin, origin host).
    pub(super) fn plan_channel(
        &mut self,
        mut plan: Plan,
        mail: (Option<usize>, u16, usize, u32),
        ch: Channel,
        domain: &str,
    ) -> Plan {
        let (source, cursor, origin, host) = mail;
        match ch {
            Channel::OpenRelay => {
                let relays = self.campaigns.get(source.unwrap_or(usize::MAX)).and_then(|a| a.as_ref());
                if let Some(relay) = relays.and_then(|a| a.relays.get(cursor as usize % a.relays.len().max(1))) {
                    let n = self.index_of(&relay.clone());
                    plan.targets = self.node_target(n);
                }
            }
            Channel::StolenAuth => {
                // The owner's mail client settings, with the owner's password.
                let NodeKind::Population(p) = &self.nodes[origin].kind else { return plan };
                let mc = p.mail_client.clone();
                let server = self.index_of(&mc.server);
                plan.targets = self.node_target(server);
                plan.port = if self.nodes[server].ports.contains(&587) { 587 } else { mc.port };
                plan.credentials = mc
                    .auth
                    .map(|c| Credentials { user: c.user.replace("{i}", &host.to_string()), password: c.password });
            }
            Channel::Direct | Channel::OwnServer | Channel::BackupMx | Channel::Proxy => {
                plan.targets = self.mx_targets(domain, None, origin);
            }
        }
        plan
    }

    /// Spam software heard back from the first server of an attempt of `id`.
    pub(crate) fn observe_attempt(&mut self, id: MsgId, accepted: bool, t: SimTime) {
        let m = &self.messages[id.0 as usize];
        let (Some(ch), Some(src), Holder::Sender) = (m.channel, m.source, m.holder) else { return };
        let origin = &self.nodes[m.origin].id;
        let traffic = Arc::clone(&self.traffic);
        let Some(crate::scenario::Source::Spam(c)) = traffic.get(src) else { return };
        let Some(sender) = c.senders.iter().position(|s| s == origin) else { return };
        if let Some(Some(a)) = self.campaigns.get_mut(src) {
            a.observe(sender, ch, accepted, t);
        }
    }

    /// The relays spam software cycles through for `m` (its channel's list,
    /// or its strategy's).
    pub(crate) fn spam_relays(&self, m: &Message, sp: &SpamCampaign) -> usize {
        match m.channel {
            None => sp.strategy.relays().len(),
            Some(Channel::OpenRelay) => {
                m.source.and_then(|s| self.campaigns.get(s)).and_then(|a| a.as_ref()).map_or(0, |a| a.relays.len())
            }
            Some(_) => 0,
        }
    }

    /// How the host that sent `m` retries: its part of the campaign's
    /// `retry_mix`, or the campaign's `retry`.
    pub(crate) fn spam_retry(&self, m: &Message, sp: &SpamCampaign) -> Retry {
        if sp.retry_mix.is_empty() {
            return sp.retry.clone();
        }
        let sender = &self.nodes[m.origin].id;
        retry_mix::pick(&sp.retry_mix, self.seed, &sp.id, sender, m.origin_host).cloned().unwrap_or(Retry::Never)
    }
}
