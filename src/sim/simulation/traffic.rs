//! Mail entering the world: each traffic source is a seeded random stream
//! of arrivals (Poisson, or one mail at a set time), and each arrival is a
//! new message handed to its first delivery attempt.
//!
//! A timeline entry may start, stop or re-rate a source while the run goes
//! on. The queue cannot take an event back, so each source has a
//! generation, carried in its arrival events: a change moves the generation
//! on, and an arrival of an older generation is ignored when it comes out.
//! A source never changed stays at generation 0, so its events are what
//! they always were.

use std::sync::Arc;

use super::{Event, Simulation};
use crate::scenario::{NodeKind, Scenario, Source, Strategy, TrafficChange};
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
    /// When the source begins (its `start`).
    start: SimTime,
    /// Moves on with every timeline change (see the module's doc).
    generation: u32,
    /// An arrival of the current generation is scheduled.
    pending: bool,
}

/// Bits of an arrival event that hold the source's index (the rest: its generation).
const SOURCE_BITS: u32 = 20;
const SOURCE_MASK: u32 = (1 << SOURCE_BITS) - 1;

fn arrival(src: usize, generation: u32) -> Event {
    debug_assert!(src as u32 <= SOURCE_MASK, "more than 2^20 traffic sources");
    Event::Traffic(src as u32 | generation << SOURCE_BITS)
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
            start,
            generation: 0,
            pending: false,
        };
        let first = match src {
            Source::Once(o) => o.at.0,
            _ => start.saturating_add(rt.next_gap()),
        };
        if first < end {
            queue.schedule_in(first, arrival(i, 0));
            rt.pending = true;
        }
        sources.push(rt);
    }
    sources
}

impl Simulation {
    pub(super) fn inject(&mut self, event: u32, t: SimTime) {
        let src = (event & SOURCE_MASK) as usize;
        if event >> SOURCE_BITS != self.sources[src].generation {
            return; // scheduled before a timeline entry changed the source
        }
        let traffic = Arc::clone(&self.traffic);
        let source = &traffic[src];
        let id = self.next_message_id();
        let rt = &mut self.sources[src];
        // Every draw is made whatever the defenses do, in a fixed order, so the
        // same seed sends the same mails in every scenario (common random numbers).
        // A spam mail's sender number and relay draw, for an adaptive campaign.
        let mut spam_draws = None;
        let mut msg = match source {
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
                let sender_k = rng::index(&mut rt.rng, s.senders.len());
                let sender = &s.senders[sender_k];
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
                spam_draws = Some((sender_k, relay_start));
                m
            }
        };
        let gap = if matches!(source, Source::Once(_)) { u64::MAX / 4 } else { rt.next_gap() };
        let (next, end) = (t.saturating_add(gap), rt.end);
        if next < end {
            self.queue.schedule_in(next - t, arrival(src, rt.generation));
        } else {
            rt.pending = false;
        }
        // A population whose infected hosts were all cleaned (timeline) sends
        // no spam; its draws were made all the same (common random numbers).
        if matches!(source, Source::Spam(_))
            && matches!(self.nodes[msg.origin].kind, NodeKind::Population(_))
            && self.nodes[msg.origin].infected.is_empty()
        {
            return;
        }
        if let Some((sender, relay_start)) = spam_draws
            && self.campaigns[src].is_some()
        {
            self.assign_channel(&mut msg, src, sender, relay_start, t);
        }
        self.trace.push(t, TraceEvent::Injected { msg: id, node: msg.origin });
        self.store_message(msg);
        self.attempt(id, t);
    }
}

impl Simulation {
    /// A timeline entry starts, stops or re-rates source `src` at `t`. A new
    /// rate takes effect at once: the next arrival is drawn afresh at it
    /// (exponential gaps have no memory, so this is the same process).
    pub(crate) fn change_traffic(&mut self, src: usize, change: TrafficChange, t: SimTime) {
        if matches!(self.traffic[src], Source::Once(_)) {
            return;
        }
        let rt = &mut self.sources[src];
        let redraw = match change {
            TrafficChange::Stop => {
                rt.generation = (rt.generation + 1) & (u32::MAX >> SOURCE_BITS);
                rt.pending = false;
                false
            }
            // Already sending: nothing to do.
            TrafficChange::Start => !(rt.pending && t >= rt.start),
            TrafficChange::Rate(r) => {
                rt.mean_gap_ms = r.mean_gap_ms();
                rt.carry = (rt.mean_gap_ms < rng::CARRY_BELOW_MS).then_some(rt.carry.unwrap_or(0.0));
                rt.pending
            }
        };
        if !redraw {
            return;
        }
        if matches!(change, TrafficChange::Start) {
            rt.start = rt.start.min(t);
        }
        rt.generation = (rt.generation + 1) & (u32::MAX >> SOURCE_BITS);
        let next = rt.start.max(t).saturating_add(rt.next_gap());
        rt.pending = next < rt.end;
        if rt.pending {
            let ev = arrival(src, rt.generation);
            self.queue.schedule_in(next - t, ev);
        }
    }
}
