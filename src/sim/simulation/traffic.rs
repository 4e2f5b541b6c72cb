//! Mail entering the world: each traffic source is a seeded random stream
//! of arrivals (Poisson, or one mail at a set time), and each arrival is a
//! new message handed to its first delivery attempt.

use std::sync::Arc;

use super::{Event, Simulation};
use crate::scenario::{NodeKind, Scenario, Source, Strategy};
use crate::sim::engine::EventQueue;
use crate::sim::message::{Address, Holder, MailClass, Message, NewMessage};
use crate::sim::rng::{self, Stream};
use crate::sim::trace::TraceEvent;
use crate::units::SimTime;

pub(super) struct SourceRt {
    rng: Stream,
    /// The recipients, made shared once: every mail to one shares its text.
    to: Vec<Address>,
    mean_gap_ms: f64,
    /// Rounding error of the arrival times so far (fast sources only: see
    /// [`rng::CARRY_BELOW_MS`]).
    carry: Option<f64>,
    end: SimTime,
}

impl SourceRt {
    /// The time to the next mail, in ms.
    fn next_gap(&mut self) -> u64 {
        match &mut self.carry {
            Some(carry) => rng::exp_gap_carried(&mut self.rng, self.mean_gap_ms, carry),
            None => rng::exp_gap_ms(&mut self.rng, self.mean_gap_ms),
        }
    }
}

/// The run time of every traffic source, with the first arrival of each
/// scheduled on `queue`.
pub(super) fn start(scenario: &Scenario, seed: u64, queue: &mut EventQueue<Event>) -> Vec<SourceRt> {
    let mut sources = Vec::new();
    let traffic_end = scenario.duration.0;
    for (i, src) in scenario.traffic.iter().enumerate() {
        let (rate, start, end) = match src {
            Source::Legit(l) => (l.rate, l.start.0, l.end.map_or(traffic_end, |e| e.0.min(traffic_end))),
            Source::Spam(s) => (s.rate, s.start.0, s.end.map_or(traffic_end, |e| e.0.min(traffic_end))),
            Source::Once(o) => (crate::units::Rate::per_hour(0.0), o.at.0, o.at.0.saturating_add(1)),
        };
        let to = match src {
            Source::Legit(l) => l.to.iter().map(|a| Address::from(a.as_str())).collect(),
            Source::Spam(s) => s.to.iter().map(|a| Address::from(a.as_str())).collect(),
            Source::Once(_) => Vec::new(),
        };
        let mut rt = SourceRt {
            rng: rng::stream(seed, "traffic", src.id()),
            to,
            mean_gap_ms: rate.mean_gap_ms(),
            carry: (rate.mean_gap_ms() < rng::CARRY_BELOW_MS).then_some(0.0),
            end,
        };
        let first = match src {
            Source::Once(o) => o.at.0,
            _ => start.saturating_add(rt.next_gap()),
        };
        if first < end {
            queue.schedule_in(first, Event::Traffic(i as u32));
        }
        sources.push(rt);
    }
    sources
}

impl Simulation {
    pub(super) fn inject(&mut self, src: usize, t: SimTime) {
        let traffic = Arc::clone(&self.traffic);
        let source = &traffic[src];
        let id = self.next_message_id();
        let rt = &mut self.sources[src];
        // Every draw is made whatever the defenses do, in a fixed order, so the
        // same seed sends the same mails in every scenario (common random numbers).
        let msg = match source {
            Source::Legit(l) => {
                let origin = self.node_by_id.get(&l.from).copied().unwrap_or(0);
                let (host, from) = match &self.nodes[origin].kind {
                    NodeKind::Population(p) => {
                        let h = rng::index(&mut rt.rng, p.count as usize) as u32;
                        (h, format!("user{h}@{}", p.domain))
                    }
                    NodeKind::ClientPc(pc) => (0, pc.user.clone()),
                    // A server sending on its own: the mail starts in its queue.
                    _ => (0, l.sender.clone().unwrap_or_else(|| format!("noreply@{}", self.nodes[origin].hostname))),
                };
                let rcpt = Arc::clone(&rt.to[rng::index(&mut rt.rng, rt.to.len())]);
                // Content is kept only with transcripts (statistics never read it).
                let subject = match &l.subject {
                    _ if !self.keep_transcripts => String::new(),
                    Some(s) => s.clone(),
                    None => format!("Message {} from {}", id.0, from),
                };
                let header_from = if self.keep_transcripts { from.clone() } else { String::new() };
                let mut m = Message::new(NewMessage {
                    id,
                    class: MailClass::Legit,
                    source: Some(src),
                    mail_from: from.into(),
                    rcpt,
                    header_from,
                    subject,
                    forged: false,
                    created: t,
                    origin,
                    origin_host: host,
                });
                if self.nodes[origin].kind.mail_server().is_some() {
                    m.holder = Holder::Node(origin);
                }
                m
            }
            Source::Once(o) => {
                let origin = self.node_by_id.get(&o.from).copied().unwrap_or(0);
                let from = match &self.nodes[origin].kind {
                    NodeKind::ClientPc(pc) => pc.user.clone(),
                    _ => String::new(),
                };
                let subject = o.subject.clone().unwrap_or_else(|| format!("Message {} from {}", id.0, from));
                Message::new(NewMessage {
                    id,
                    class: MailClass::Legit,
                    source: Some(src),
                    mail_from: from.clone().into(),
                    rcpt: o.to.clone().into(),
                    header_from: from,
                    subject,
                    forged: false,
                    created: t,
                    origin,
                    origin_host: 0,
                })
            }
            Source::Spam(s) => {
                let sender = &s.senders[rng::index(&mut rt.rng, s.senders.len())];
                let origin = self.node_by_id.get(sender).copied().unwrap_or(0);
                let pick = rng::index(&mut rt.rng, self.nodes[origin].infected.len().max(1));
                let host = self.nodes[origin].infected.get(pick).copied().unwrap_or(0);
                // Ratware makes up a new local part for every message: `{rand}`.
                let tag = rng::index(&mut rt.rng, 1_000_000);
                let forged =
                    s.forged_from[rng::index(&mut rt.rng, s.forged_from.len())].replace("{rand}", &format!("{tag:06}"));
                let rcpt = Arc::clone(&rt.to[rng::index(&mut rt.rng, rt.to.len())]);
                let relay_start = rng::index(&mut rt.rng, 1 << 16) as u16;
                let subject = match &s.subject {
                    _ if !self.keep_transcripts => String::new(),
                    Some(s) => s.clone(),
                    None => "Cheap meds, best prices!!!".into(),
                };
                let header_from = if self.keep_transcripts { forged.clone() } else { String::new() };
                // Only an address the sending party does not own is forged: a
                // spammer's server sending from its own domain is not.
                let owned = self.nodes[origin].owns_address(&forged);
                let mut m = Message::new(NewMessage {
                    id,
                    class: MailClass::Spam,
                    source: Some(src),
                    mail_from: forged.into(),
                    rcpt,
                    header_from,
                    subject,
                    forged: !owned,
                    created: t,
                    origin,
                    origin_host: host,
                });
                let relays = s.strategy.relays().len();
                m.relay_cursor = if relays > 0 { relay_start % relays as u16 } else { 0 };
                m.direct = matches!(s.strategy, Strategy::DirectToMx);
                m
            }
        };
        let gap = if matches!(source, Source::Once(_)) { u64::MAX / 4 } else { rt.next_gap() };
        let (next, end) = (t.saturating_add(gap), rt.end);
        if next < end {
            self.queue.schedule_in(next - t, Event::Traffic(src as u32));
        }
        self.trace.push(t, TraceEvent::Injected { msg: id, node: msg.origin });
        self.store_message(msg);
        self.attempt(id, t);
    }
}
