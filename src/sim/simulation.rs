//! The simulation: one event loop that moves SMTP sessions over the network,
//! keeps senders' queues and injects traffic. A run is a pure function of
//! (scenario, seed).
//!
//! Heads up: read `engine.rs` (ordering rules) and `smtp/` (the dialogue)
//! first. This file only glues them: it opens connections through routers,
//! carries each command and reply across the link latency, and decides what a
//! sender does with the outcome (hand over, retry, move on, bounce, give up).

use rustc_hash::FxHashMap as HashMap;
use smallvec::{SmallVec, smallvec};
use smol_str::SmolStr;
use std::net::Ipv4Addr;
use std::sync::Arc;

use super::defense::greylist::GreylistVerdict;
use super::defense::{auth, spf_check};
use super::dns::Dns;
use super::engine::EventQueue;
use super::hop_facts::HopFacts;
use super::message::{Address, Content, Fate, Holder, Hop, Line, MailClass, Message, MsgId, NewMessage};
use super::rng::{self, Stream};
use super::router::{self, Forwarding};
use super::smtp::server::{self, RelayGrant, ServerEnv, ServerSession};
use super::smtp::{Action, ClientSession, Command, Outcome, Reply};
use super::spf::{self, SpfResult};
use super::topology::Topology;
use super::trace::{Trace, TraceEvent};
use super::world::{self, NodeRt};
use crate::scenario::{Credentials, MailClient, NodeKind, Restriction, Scenario, Source, SpfAction, Strategy};
use crate::units::{HOUR, SECOND, SimTime, rfc5322_date};

/// Postfix `smtp_connect_timeout` (30 s): how long a client waits for a SYN
/// that a router silently dropped.
pub const CONNECT_TIMEOUT_MS: u64 = 30 * SECOND;
/// The servers a session tries in turn (MX preference), with their
/// addresses: one or two nearly always, kept inline (no allocation per
/// attempt, and the MX cache's entries hold them without a pointer to follow).
pub(crate) type Targets = SmallVec<[(usize, Ipv4Addr); 2]>;

/// The most messages whose room is reserved when a run starts (16 M).
const MAX_RESERVED_MESSAGES: usize = 1 << 24;
/// Message sizes in bytes, for the `DATA` line and byte counts.
const LEGIT_BYTES: u32 = 4_200;
const SPAM_BYTES: u32 = 2_300;
const BOUNCE_BYTES: u32 = 3_100;

#[derive(Debug, Clone, Copy)]
pub(crate) enum Event {
    /// The next mail of traffic source `n`.
    Traffic(u32),
    /// The next exchange of session `n`.
    Step(u32),
    /// A (re)try to deliver a message from its current holder.
    Attempt(MsgId),
}

/// What a session waits for at its next step.
#[derive(Debug, Clone)]
pub(crate) enum Pending {
    Connect,
    Reply(Reply),
    Finish(Outcome),
}

pub(crate) struct Session {
    pub(crate) msg: MsgId,
    pub(crate) client_node: usize,
    pub(crate) client_ip: Ipv4Addr,
    /// Servers to try in order (MX preference), and which one is current.
    pub(crate) targets: Targets,
    pub(crate) target: usize,
    pub(crate) port: u16,
    pub(crate) rtt: u64,
    pub(crate) server: ServerSession,
    pub(crate) client: ClientSession,
    pub(crate) pending: Pending,
    pub(crate) queue_id: String,
}

struct SourceRt {
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

/// Options of one run: `RunOptions::new(seed).transcripts(false).trace(true)`.
/// More options may come; the struct is built with these methods.
#[derive(Debug, Clone, Copy, Default)]
#[non_exhaustive]
pub struct RunOptions {
    pub seed: u64,
    /// Keep every hop's dialogue (scenario setting unless overridden).
    pub transcripts: Option<bool>,
    /// Record the trace of events for animation.
    pub trace: bool,
}

impl RunOptions {
    /// A run with `seed`: transcripts as the scenario says, no trace.
    pub fn new(seed: u64) -> Self {
        RunOptions { seed, transcripts: None, trace: false }
    }
    /// Keep (`true`) or drop every hop's dialogue, whatever the scenario says.
    pub fn transcripts(mut self, keep: bool) -> Self {
        self.transcripts = Some(keep);
        self
    }
    /// Record the trace of events (the GUI's animation and the narration's
    /// event triggers need it).
    pub fn trace(mut self, on: bool) -> Self {
        self.trace = on;
        self
    }
}

/// One run of a scenario: the world's nodes, DNS and links, the event queue,
/// every message sent so far and the SMTP sessions in flight. Deterministic:
/// the same scenario and seed give the same run on every machine.
///
/// Build it with [`Simulation::new`] and advance it with
/// [`Simulation::run_until`] (or use [`crate::run`]); read the results
/// with [`crate::stats::Report::of`], one message's story with
/// [`crate::sim::inspect::describe`]. The GUI advances the same type a
/// slice at a time and animates its trace.
pub struct Simulation {
    pub scenario: Scenario,
    pub seed: u64,
    pub nodes: Vec<NodeRt>,
    node_by_ip: HashMap<u32, usize>,
    node_by_id: HashMap<String, usize>,
    topo: Topology,
    pub dns: Dns,
    pub(crate) queue: EventQueue<Event>,
    /// Open SMTP sessions, boxed: a step takes its session out and puts it
    /// back, which moves a pointer instead of ~500 bytes.
    pub(crate) sessions: Vec<Option<Box<Session>>>,
    pub(crate) free_sessions: Vec<u32>,
    /// Scratch space for the routers on a connection's path.
    via_scratch: Vec<usize>,
    /// Resolved MX targets by domain, with their preferences, and the DNS
    /// queries a lookup costs.
    mx_cache: HashMap<SmolStr, (Targets, SmallVec<[u16; 2]>, u64)>,
    pub messages: Vec<Message>,
    /// Messages in a final state (delivered, rejected, lost).
    pub(crate) finished: u64,
    sources: Vec<SourceRt>,
    /// The scenario's traffic sources, shared so that handling a mail never
    /// copies a source (and its recipient lists).
    pub(crate) traffic: Arc<[Source]>,
    pub(crate) keep_transcripts: bool,
    pub trace: Trace,
    /// The null reverse-path `<>` and what a compacted message keeps of its
    /// envelope: one shared empty text, so that neither allocates.
    pub(crate) empty_address: Address,
}

/// The receiving server's knowledge and state, lent to its SMTP session.
struct Env<'a> {
    nodes: &'a mut [NodeRt],
    /// The receiving server's index in `nodes`.
    server: usize,
    dns: &'a mut Dns,
    /// The time of the command being answered.
    now: SimTime,
}

impl ServerEnv for Env<'_> {
    fn is_local_domain(&self, d: &str) -> bool {
        self.nodes[self.server].is_local_domain(d)
    }
    fn mailbox_exists(&self, a: &str) -> Option<bool> {
        let node = &self.nodes[self.server];
        match node.mailbox_node {
            // A front MX knows the users only if it verifies recipients.
            Some(mb) => {
                let verify = node.kind.mail_server().is_some_and(|m| m.verify_recipients);
                verify.then(|| self.nodes[mb].mailboxes.contains(a))
            }
            None => Some(node.mailboxes.contains(a)),
        }
    }
    fn auth_offered(&self) -> bool {
        self.nodes[self.server].kind.mail_server().is_some_and(|m| !m.accounts.is_empty())
    }
    fn check_credentials(&mut self, user: &str, password: &str) -> bool {
        let node = &mut self.nodes[self.server];
        let ok = node.kind.mail_server().is_some_and(|m| auth::verify(&m.accounts, user, password));
        if ok {
            node.counters.auth_ok += 1;
        } else {
            node.counters.auth_failed += 1;
        }
        ok
    }
    fn within_rate_limit(&mut self, user: &str) -> bool {
        let node = &mut self.nodes[self.server];
        match node.kind.mail_server().and_then(|m| m.auth_rate_limit) {
            Some(rate) => node.rate.allow(user, self.now, rate.per_ms * HOUR as f64),
            None => true,
        }
    }
    fn spf(&mut self, ip: Ipv4Addr, helo: &str, mail_from: &str) -> Option<(SpfResult, SpfAction)> {
        let cfg = self.nodes[self.server].kind.mail_server()?.spf.clone()?;
        let result = spf::check_mail_from(self.dns, spf_check::ip(ip), mail_from, helo);
        bump(&mut self.nodes[self.server].counters.spf, result.as_str());
        let action = match &result {
            SpfResult::Fail { .. } => cfg.on_fail,
            SpfResult::SoftFail => cfg.on_softfail,
            SpfResult::PermError(_) => cfg.on_permerror,
            SpfResult::TempError(_) => cfg.on_temperror,
            _ => SpfAction::Mark,
        };
        Some((result, action))
    }
    fn greylist(&mut self, ip: Ipv4Addr, sender: &str, rcpt: &str) -> Option<GreylistVerdict> {
        let node = &mut self.nodes[self.server];
        let cfg = node.kind.mail_server()?.greylist.as_ref()?;
        let v = node.greylist.check(cfg, self.now, ip, sender, rcpt);
        match v {
            GreylistVerdict::Defer => node.counters.greylisted += 1,
            GreylistVerdict::Pass { delayed_s } if delayed_s > 0 => node.counters.greylist_passed += 1,
            _ => {}
        }
        Some(v)
    }
    fn restrictions(&self) -> &[Restriction] {
        self.nodes[self.server].kind.mail_server().map_or(&Restriction::DEFAULT_ORDER, |m| m.restrictions())
    }
}

/// Where a sender connects and how it introduces itself.
struct Plan {
    client_node: usize,
    client_ip: Ipv4Addr,
    ehlo: Address,
    targets: Targets,
    port: u16,
    credentials: Option<Credentials>,
    /// How long after the attempt starts the SMTP connection is opened
    /// (a mail client that logs in to POP3 first).
    start_after: u64,
}

impl Simulation {
    /// Prepares a run of a validated scenario.
    pub fn new(scenario: Scenario, opts: RunOptions) -> Self {
        let seed = opts.seed;
        let nodes = world::build_nodes(&scenario, seed);
        let id_index: HashMap<&str, usize> = nodes.iter().enumerate().map(|(i, n)| (n.id.as_str(), i)).collect();
        let links: Vec<(usize, usize, u64)> = scenario
            .links
            .iter()
            .filter_map(|l| Some((*id_index.get(l.a.as_str())?, *id_index.get(l.b.as_str())?, l.latency.0)))
            .collect();
        let topo = Topology::new(nodes.len(), &links);

        let mut dns = Dns::default();
        let mut node_by_ip = HashMap::default();
        let mut node_by_id = HashMap::default();
        for (i, n) in nodes.iter().enumerate() {
            if let Some(ip) = n.ip {
                node_by_ip.insert(u32::from(ip), i);
                if n.kind.mail_server().is_some() || matches!(n.kind, NodeKind::MailboxServer(_)) {
                    dns.add_a(&n.hostname, ip);
                    dns.add_ptr(ip, &n.hostname);
                }
            }
            node_by_id.insert(n.id.clone(), i);
            // A sending pool's other addresses belong to the same server (and resolve back to it).
            for ip in n.kind.mail_server().map(|m| m.outbound_ips.as_slice()).unwrap_or(&[]) {
                node_by_ip.entry(u32::from(ip.0)).or_insert(i);
                dns.add_ptr(ip.0, &n.hostname);
            }
        }
        for z in &scenario.dns {
            for (pref, host) in &z.mx {
                dns.add_mx(&z.domain, *pref, host);
            }
            for (name, ip) in &z.a {
                dns.add_a(name, ip.0);
            }
            for t in &z.txt {
                dns.add_txt(&z.domain, t);
            }
        }

        let mut queue = EventQueue::with_capacity(1024);
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
        let keep_transcripts = opts.transcripts.unwrap_or(scenario.transcripts);
        // Room for every message from the start: growing a store of millions
        // of messages copies it and touches its memory twice. Only pages
        // written count against memory, so a generous estimate (10% for
        // bounces and chance) costs nothing; the cap keeps one allocation
        // within what an ordinary machine grants, and a machine that refuses
        // it anyway just grows the store as it goes.
        let expected_messages = (scenario.expected_messages(scenario.duration.0) * 1.1) as usize;
        let mut messages = Vec::new();
        let _ = messages.try_reserve_exact(expected_messages.min(MAX_RESERVED_MESSAGES));
        let traffic: Arc<[Source]> = scenario.traffic.clone().into();
        Simulation {
            scenario,
            seed,
            nodes,
            node_by_ip,
            node_by_id,
            topo,
            dns,
            queue,
            sessions: Vec::new(),
            free_sessions: Vec::new(),
            via_scratch: Vec::new(),
            mx_cache: HashMap::default(),
            messages,
            finished: 0,
            sources,
            traffic,
            keep_transcripts,
            trace: Trace::new(opts.trace),
            empty_address: Address::from(""),
        }
    }

    pub fn now(&self) -> SimTime {
        self.queue.now()
    }

    /// Events handled so far.
    pub fn events(&self) -> u64 {
        self.queue.popped()
    }

    /// Messages created and not yet in a final state.
    pub fn in_flight(&self) -> u64 {
        self.messages.len() as u64 - self.finished
    }

    /// Runs every event up to and including time `end`, then sets the clock there.
    pub fn run_until(&mut self, end: SimTime) {
        self.run_events_until(end);
        self.count_queues();
    }

    /// [`Self::run_until`] without recounting the queues (which visits every
    /// message): for callers that advance in many small slices, such as a
    /// progress bar, and call `run_until` for the last one.
    pub fn run_events_until(&mut self, end: SimTime) {
        while let Some(t) = self.queue.peek_time() {
            if t > end {
                break;
            }
            self.step_one();
        }
        self.queue.advance_to(end);
    }

    /// Handles the next event; false when nothing is left.
    pub fn step_one(&mut self) -> bool {
        let Some((t, ev)) = self.queue.pop() else {
            return false;
        };
        match ev {
            Event::Traffic(src) => self.inject(src as usize, t),
            Event::Step(sid) => self.session_step(sid, t),
            Event::Attempt(msg) => self.attempt(msg, t),
        }
        true
    }

    /// The time of the next pending event.
    pub fn next_event_time(&mut self) -> Option<SimTime> {
        self.queue.peek_time()
    }

    fn count_queues(&mut self) {
        for n in &mut self.nodes {
            n.counters.queued = 0;
        }
        for m in &self.messages {
            if let (Fate::Queued, Holder::Node(n)) = (&m.fate, m.holder) {
                self.nodes[n].counters.queued += 1;
            }
        }
    }

    // ----- traffic --------------------------------------------------------

    fn inject(&mut self, src: usize, t: SimTime) {
        let traffic = Arc::clone(&self.traffic);
        let source = &traffic[src];
        let rt = &mut self.sources[src];
        let id = MsgId(self.messages.len() as u32);
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
        self.messages.push(msg);
        self.attempt(id, t);
    }

    // ----- choosing where to connect ---------------------------------------

    /// Resolves a host name to a node the way a real client does: A lookup,
    /// then the node at that address.
    fn resolve(&mut self, host: &str) -> Option<(usize, Ipv4Addr)> {
        let ip = *self.dns.a(host).first()?;
        let node = *self.node_by_ip.get(&u32::from(ip))?;
        Some((node, ip))
    }

    /// The MX targets of a domain, most preferred first. The zones do not
    /// change during a run, so each domain is resolved once; later lookups
    /// are answered from the cache and counted as the same DNS queries.
    ///
    /// A server that finds itself among the MX hosts (`exclude`) keeps only
    /// the hosts more preferred than itself, as Postfix's `smtp` client does
    /// (RFC 5321 §5.1: the records at its own preference and higher are
    /// discarded; if none is left, the message is returned as undeliverable,
    /// see [`Self::mx_loops_back`]).
    fn mx_targets(&mut self, domain: &str, exclude: Option<usize>) -> Targets {
        if let Some((all, prefs, queries)) = self.mx_cache.get(domain) {
            self.dns.queries += queries;
            let own = exclude.and_then(|x| all.iter().position(|(n, _)| *n == x)).map(|i| prefs[i]);
            return all
                .iter()
                .zip(prefs)
                .filter(|((n, _), p)| Some(*n) != exclude && own.is_none_or(|own| **p < own))
                .map(|(t, _)| *t)
                .collect();
        }
        let before = self.dns.queries;
        let mut hosts = self.dns.mx_records(domain);
        // Most preferred first; ties keep the zone's order (reproducible runs).
        hosts.sort_by_key(|(pref, _)| *pref);
        let (mut all, mut prefs) = (Targets::new(), SmallVec::new());
        for (pref, h) in &hosts {
            if let Some(t) = self.resolve(h) {
                all.push(t);
                prefs.push(*pref);
            }
        }
        let queries = self.dns.queries - before;
        self.dns.queries = before;
        self.mx_cache.insert(SmolStr::new(domain), (all, prefs, queries));
        self.mx_targets(domain, exclude)
    }

    /// Is node `n` among the MX hosts of `domain` (so that mail it relays
    /// there would come back to it)? Answered from the MX cache, which the
    /// attempt that asks has just filled.
    fn mx_loops_back(&self, domain: &str, n: usize) -> bool {
        self.mx_cache.get(domain).is_some_and(|(all, _, _)| all.iter().any(|(x, _)| *x == n))
    }

    fn node_target(&self, n: usize) -> Targets {
        self.nodes[n].ip.map(|ip| smallvec![(n, ip)]).unwrap_or_default()
    }

    /// Starts a delivery attempt of `id` by whoever holds it now.
    pub(crate) fn attempt(&mut self, id: MsgId, t: SimTime) {
        let m = &self.messages[id.0 as usize];
        if m.fate.is_final() {
            return;
        }
        let rcpt = Arc::clone(&m.rcpt);
        let rcpt_domain = rcpt.rsplit_once('@').map_or("", |(_, d)| d);
        let plan = match m.holder {
            Holder::Node(n) if self.nodes[n].is_local_domain(rcpt_domain) && self.nodes[n].mailbox_node.is_none() => {
                // The holder is the final destination (a bounce to one of its
                // own users, a forward): local delivery, no SMTP hop.
                self.deliver_locally(id, n, t);
                return;
            }
            Holder::Node(n) => self.plan_relay(n, id, rcpt_domain),
            Holder::Sender => self.plan_sender(id, rcpt_domain, t),
        };
        if plan.targets.is_empty() {
            let rcpt = &self.messages[id.0 as usize].rcpt;
            let reply = if self.mx_loops_back(rcpt_domain, plan.client_node) {
                // Postfix smtp_addr.c: the best MX is this server itself, for a
                // domain it does not accept as its own. RFC 3463 §3.5: X.4.6
                // "Routing loop detected".
                Reply::new(550, format!("5.4.6 <{rcpt}>: mail for {rcpt_domain} loops back to myself"))
            } else {
                // Postfix: "Host or domain name not found" is a permanent failure.
                Reply::new(550, format!("5.1.2 <{rcpt}>: Host or domain name not found"))
            };
            self.failed(id, Outcome::Permanent(reply), t, None);
            return;
        }
        self.nodes[plan.client_node].counters.sessions_out += 1;
        let m = &mut self.messages[id.0 as usize];
        m.attempts += 1;
        let bytes = match m.class {
            MailClass::Legit => LEGIT_BYTES,
            MailClass::Spam => SPAM_BYTES,
            _ => BOUNCE_BYTES,
        };
        let mut client = ClientSession::new(plan.ehlo, m.mail_from.clone(), m.rcpt.clone(), bytes);
        // RFC 6409 / RFC 8314: mail clients upgrade with STARTTLS on 587.
        client.starttls = plan.port == 587;
        client.credentials = plan.credentials;
        let session = Session {
            msg: id,
            client_node: plan.client_node,
            client_ip: plan.client_ip,
            targets: plan.targets,
            target: 0,
            port: plan.port,
            rtt: 1,
            server: ServerSession::new(
                Arc::clone(&self.nodes[plan.client_node].texts),
                plan.port,
                true,
                plan.client_ip,
                None,
            ),
            client,
            pending: Pending::Connect,
            queue_id: String::new(),
        };
        let sid = match self.free_sessions.pop() {
            Some(i) => {
                self.sessions[i as usize] = Some(Box::new(session));
                i
            }
            None => {
                self.sessions.push(Some(Box::new(session)));
                (self.sessions.len() - 1) as u32
            }
        };
        self.queue.schedule_in(plan.start_after, Event::Step(sid));
    }

    /// A mail server delivering from its queue: to the mailbox server for
    /// local domains, else to the MX. A sending pool uses its next address.
    fn plan_relay(&mut self, n: usize, id: MsgId, domain: &str) -> Plan {
        // A transport map entry or a smarthost (Postfix `transport_maps`,
        // `relayhost`) names the next hop itself: no MX lookup.
        let targets = match (self.nodes[n].next_hop(domain), self.nodes[n].mailbox_node) {
            (Some(hop), _) => self.node_target(hop),
            (None, Some(mb)) if self.nodes[n].is_local_domain(domain) => self.node_target(mb),
            _ => self.mx_targets(domain, Some(n)),
        };
        let node = &mut self.nodes[n];
        let attempts = self.messages[id.0 as usize].attempts as usize;
        let pool = node.kind.mail_server().map(|m| m.outbound_ips.as_slice()).unwrap_or(&[]);
        let client_ip = match (pool.len(), node.outbound_rng.as_mut()) {
            (0, _) => node.ip.unwrap_or(Ipv4Addr::UNSPECIFIED),
            (k, None) => pool[attempts % k].0,
            // `outbound_choice: Random`: one draw per attempt, from the node's own stream.
            (k, Some(r)) => pool[rng::index(r, k)].0,
        };
        let node = &self.nodes[n];
        Plan {
            client_node: n,
            client_ip,
            ehlo: Arc::clone(&node.texts.hostname),
            targets,
            port: 25,
            credentials: None,
            start_after: 0,
        }
    }

    /// The mail client of a legit message still with its writer.
    pub(crate) fn mail_client_of(&self, id: MsgId) -> Option<&MailClient> {
        let m = &self.messages[id.0 as usize];
        if m.class != MailClass::Legit || m.holder != Holder::Sender {
            return None;
        }
        match &self.nodes[m.origin].kind {
            NodeKind::ClientPc(pc) => Some(&pc.mail_client),
            NodeKind::Population(p) => Some(&p.mail_client),
            _ => None,
        }
    }

    /// The originator: a mail client submitting to its server, or spam software.
    fn plan_sender(&mut self, id: MsgId, domain: &str, t: SimTime) -> Plan {
        let m = &self.messages[id.0 as usize];
        let (origin, host) = (m.origin, m.origin_host);
        let client_ip = self.nodes[origin].public_ip(host, t);
        let mut plan = Plan {
            client_node: origin,
            client_ip,
            ehlo: "localhost".into(),
            targets: Targets::new(),
            port: 25,
            credentials: None,
            start_after: 0,
        };
        let client = self.mail_client_of(id).map(|mc| {
            let pop_first = mc.pop.as_ref().filter(|p| !p.send_first).map(|p| self.index_of(&p.server));
            (pop_first, self.index_of(&mc.server), mc.port, mc.auth.clone())
        });
        if let Some((pop_first, server, port, auth)) = client {
            if let Some(pop) = pop_first {
                // Receive first, then send: the POP3 session ends before SMTP starts.
                plan.start_after = self.pop_login(id, pop, client_ip, t);
            }
            plan.ehlo = match &self.nodes[origin].kind {
                NodeKind::Population(_) => format!("PC-{host}").into(),
                _ => Arc::clone(&self.nodes[origin].texts.hostname),
            };
            plan.targets = self.node_target(server);
            plan.port = port;
            plan.credentials =
                auth.map(|c| Credentials { user: c.user.replace("{i}", &host.to_string()), password: c.password });
            return plan;
        }
        let traffic = Arc::clone(&self.traffic);
        let Some(Source::Spam(sp)) = m.source.map(|s| &traffic[s]) else { return plan };
        // Ratware greets with the forged sender's domain (or its own name on a spammer's server).
        plan.ehlo = match &self.nodes[origin].kind {
            NodeKind::SpammerServer(_) => Arc::clone(&self.nodes[origin].texts.hostname),
            NodeKind::SpamBot(b) if b.hostname.is_some() => Arc::clone(&self.nodes[origin].texts.hostname),
            _ => m.mail_from.rsplit_once('@').map_or("localhost".into(), |(_, d)| d.into()),
        };
        let direct = m.direct;
        let cursor = m.relay_cursor as usize;
        match &sp.strategy {
            Strategy::OpenRelays(r) | Strategy::OpenRelaysThenDirect(r) if !direct && !r.is_empty() => {
                plan.targets = self.node_target(self.index_of(&r[cursor % r.len()]));
            }
            Strategy::StolenCredentials { relay, port, credentials, share } if !direct => {
                // The first `share` of the infected hosts hold a stolen account.
                // A single bot or server holds one when `share` > 0.
                let infected = &self.nodes[origin].infected;
                let (pos, holders) = if infected.is_empty() {
                    (0, usize::from(*share > 0.0))
                } else {
                    (infected.binary_search(&host).unwrap_or(0), (infected.len() as f64 * share).ceil() as usize)
                };
                if pos < holders && !credentials.is_empty() {
                    plan.targets = self.node_target(self.index_of(relay));
                    plan.port = *port;
                    plan.credentials = Some(credentials[pos % credentials.len()].clone());
                } else {
                    plan.targets = self.mx_targets(domain, None);
                }
            }
            _ => plan.targets = self.mx_targets(domain, None),
        }
        plan
    }

    /// A POP3 login: the server records the address and time (what
    /// POP-before-SMTP trusts), and the message's story shows the dialogue.
    /// The session crosses the same links as SMTP does: the greeting comes
    /// one round trip after the connection, and `USER`, `PASS` and `QUIT`
    /// take one round trip each (RFC 1939 §4, §7). The login counts from the
    /// moment `PASS` is answered. Returns how long the session takes (what a
    /// mail client that receives first waits before it sends).
    pub(crate) fn pop_login(&mut self, id: MsgId, server: usize, ip: Ipv4Addr, t: SimTime) -> u64 {
        let m = &self.messages[id.0 as usize];
        let (origin, user) = (m.origin, m.mail_from.clone());
        let to_ip = self.nodes[server].ip.unwrap_or(Ipv4Addr::UNSPECIFIED);
        let mut via = std::mem::take(&mut self.via_scratch);
        let one_way = self.topo.path(origin, server, &mut via);
        self.via_scratch = via;
        let rtt = one_way.map_or(0, |d| (2 * d).max(1));
        let ended = t + 4 * rtt;
        let result = if one_way.is_some() { "+OK Logged in (POP3)" } else { "No route to host (POP3)" };
        if one_way.is_some() {
            self.nodes[server].pop.record(ip, t + 3 * rtt);
            self.nodes[server].counters.pop_logins += 1;
        }
        let hop = Hop {
            from: origin,
            to: server,
            from_ip: ip,
            to_ip,
            port: 110,
            started: t,
            ended,
            result: result.into(),
            accepted: false,
            transcript: Vec::new(),
        };
        let hops = &mut self.messages[id.0 as usize].hops;
        hops.reserve_exact(1); // most messages make one or two hops
        hops.push(hop);
        if one_way.is_none() {
            self.line_with(id, t, '*', || format!("connect to {to_ip}:110: No route to host"));
            return 0;
        }
        let lines = [
            (0, '*', format!("connected to {to_ip}:110 from {ip}")),
            (1, 'S', "+OK POP3 server ready".to_string()),
            (1, 'C', format!("USER {user}")),
            (2, 'S', "+OK".to_string()),
            (2, 'C', "PASS ********".to_string()),
            (3, 'S', "+OK Logged in.".to_string()),
            (3, 'C', "QUIT".to_string()),
            (4, 'S', "+OK Bye".to_string()),
        ];
        if self.keep_transcripts {
            for (k, who, text) in lines {
                self.line(id, t + k * rtt, who, text);
            }
        }
        4 * rtt
    }

    /// The path a connection from node `a` to node `b` takes (the GUI draws
    /// messages along it); `None` when the two are not connected.
    pub fn route(&mut self, a: usize, b: usize) -> Option<crate::sim::topology::Route> {
        if a >= self.nodes.len() || b >= self.nodes.len() {
            return None;
        }
        self.topo.route(a, b)
    }

    /// What the reports need of a message's hops: kept when a statistical
    /// run dropped the hops, else worked out from them.
    pub fn hop_facts(&self, m: &Message) -> HopFacts {
        m.facts.unwrap_or_else(|| HopFacts::of(&self.nodes, m))
    }

    /// The index of a node id (validated scenarios only name existing nodes).
    pub fn index_of(&self, id: &str) -> usize {
        self.node_by_id.get(id).copied().unwrap_or(0)
    }

    /// The mail server at `ip`, if any (for reverse DNS in `Received:`).
    pub(crate) fn server_at(&self, ip: Ipv4Addr) -> Option<&NodeRt> {
        self.node_by_ip.get(&u32::from(ip)).map(|&i| &self.nodes[i]).filter(|n| n.kind.mail_server().is_some())
    }

    // ----- the session ----------------------------------------------------

    fn line(&mut self, id: MsgId, t: SimTime, who: char, text: String) {
        if self.keep_transcripts
            && let Some(h) = self.messages[id.0 as usize].hops.last_mut()
        {
            h.transcript.push(Line { t, who, text });
        }
    }

    /// [`Self::line`] that builds its text only when transcripts are kept:
    /// statistical runs format nothing on the hot path.
    fn line_with(&mut self, id: MsgId, t: SimTime, who: char, text: impl FnOnce() -> String) {
        if self.keep_transcripts {
            self.line(id, t, who, text());
        }
    }

    fn session_step(&mut self, sid: u32, t: SimTime) {
        let Some(mut s) = self.sessions.get_mut(sid as usize).and_then(Option::take) else {
            return;
        };
        let pending = std::mem::replace(&mut s.pending, Pending::Connect);
        match pending {
            Pending::Connect => self.connect(sid, &mut s, t),
            Pending::Reply(reply) => {
                if self.keep_transcripts {
                    for l in reply.lines() {
                        self.line(s.msg, t, 'S', l);
                    }
                }
                if !reply.is_positive() {
                    let reason = server::refusal_reason(&reply);
                    let server = s.targets[s.target].0;
                    bump(&mut self.nodes[server].counters.refused, reason);
                }
                match s.client.on_reply(&reply) {
                    Action::Send(cmd) => {
                        self.line_with(s.msg, t, 'C', || cmd.to_string());
                        let server_node = s.targets[s.target].0;
                        // Queue ids appear only in texts for readers (replies, `Received:`).
                        let readers = self.keep_transcripts || self.trace.is_enabled();
                        if readers && matches!(cmd, Command::Content { .. }) {
                            s.queue_id = queue_id(s.msg, server_node, t);
                        }
                        let mut env = Env { nodes: &mut self.nodes, server: server_node, dns: &mut self.dns, now: t };
                        let r = s.server.respond(&cmd, &mut env, &s.queue_id);
                        s.pending = Pending::Reply(r);
                        self.queue.schedule_in(s.rtt, Event::Step(sid));
                    }
                    Action::QuitWith(outcome) => {
                        if reply.code != 421 {
                            self.line_with(s.msg, t, 'C', || "QUIT".into());
                            self.line_with(s.msg, t.saturating_add(s.rtt), 'S', || Reply::bye().to_string());
                        }
                        self.finish(sid, s, outcome, t);
                        return;
                    }
                }
            }
            Pending::Finish(outcome) => {
                self.finish(sid, s, outcome, t);
                return;
            }
        }
        self.sessions[sid as usize] = Some(s);
    }

    /// Opens the TCP connection: through every router on the path, then the
    /// server's greeting (or 421 when it is down).
    fn connect(&mut self, sid: u32, s: &mut Session, t: SimTime) {
        let (server, ip) = s.targets[s.target];
        let from_ip = s.client_ip;
        let hops = &mut self.messages[s.msg.0 as usize].hops;
        hops.reserve_exact(1); // most messages make one or two hops
        hops.push(Hop {
            from: s.client_node,
            to: server,
            from_ip,
            to_ip: ip,
            port: s.port,
            started: t,
            ended: t,
            result: String::new(),
            accepted: false,
            transcript: Vec::new(),
        });
        self.trace.push(t, TraceEvent::HopStarted { msg: s.msg, from: s.client_node, to: server });
        let mut via = std::mem::take(&mut self.via_scratch);
        let found = self.topo.path(s.client_node, server, &mut via);
        // Every router on the path inspects the SYN; the first to drop it wins.
        let mut dropped_by = None;
        for &r in &via {
            if found.is_none() || !matches!(self.nodes[r].kind, NodeKind::Router(_)) {
                continue;
            }
            let verdict = router::inspect(&self.nodes[r].filters, from_ip, ip, s.port);
            self.nodes[r].counters.connections_seen += 1;
            if verdict == Forwarding::Drop {
                self.nodes[r].counters.dropped += 1;
                dropped_by = Some(r);
                break;
            }
        }
        self.via_scratch = via;
        let Some(one_way_ms) = found else {
            self.line_with(s.msg, t, '*', || format!("connect to {ip}:{}: No route to host", s.port));
            s.pending = Pending::Finish(Outcome::ConnectFailed { reason: "No route to host".into(), blocked_by: None });
            self.queue.schedule_in(0, Event::Step(sid));
            return;
        };
        s.rtt = one_way_ms.saturating_mul(2).max(1);
        if let Some(r) = dropped_by {
            let name = self.nodes[r].id.clone();
            self.line_with(s.msg, t, '*', || format!("SYN to {ip}:{} dropped by router {name}", s.port));
            self.line_with(s.msg, t.saturating_add(CONNECT_TIMEOUT_MS), '*', || {
                format!("connect to {ip}:{}: Connection timed out", s.port)
            });
            self.trace.push(t, TraceEvent::Dropped { msg: s.msg, router: r });
            s.pending = Pending::Finish(Outcome::ConnectFailed {
                reason: format!("connection timed out (dropped by {name})"),
                blocked_by: Some(r),
            });
            self.queue.schedule_in(CONNECT_TIMEOUT_MS, Event::Step(sid));
            return;
        }
        let node = &self.nodes[server];
        if !node.listens(s.port) {
            // Nothing listens there: the TCP RST comes back at once.
            self.line_with(s.msg, t.saturating_add(s.rtt), '*', || {
                format!("connect to {ip}:{}: Connection refused", s.port)
            });
            s.pending =
                Pending::Finish(Outcome::ConnectFailed { reason: "Connection refused".into(), blocked_by: None });
            self.queue.schedule_in(s.rtt, Event::Step(sid));
            return;
        }
        let grant = node.relay_by_address(from_ip).or_else(|| {
            let (pop, window) = node.pop_before_smtp?;
            self.nodes[pop].pop.permits(from_ip, t, window).map(|ago_ms| RelayGrant::PopBeforeSmtp { ago_ms })
        });
        s.server = ServerSession::new(Arc::clone(&node.texts), s.port, node.available(t), from_ip, grant);
        // A server with a submission port has TLS configured, so it offers STARTTLS.
        s.server.tls_available = node.ports.iter().any(|p| *p == 587 || *p == 465);
        self.nodes[server].counters.sessions_in += 1;
        self.line_with(s.msg, t, '*', || format!("connected to {ip}:{} from {from_ip}", s.port));
        s.pending = Pending::Reply(s.server.greet());
        self.queue.schedule_in(s.rtt, Event::Step(sid));
    }
}

/// Counts one more `key` in a report map.
pub(crate) fn bump(map: &mut std::collections::BTreeMap<&'static str, u64>, key: &'static str) {
    *map.entry(key).or_default() += 1;
}

fn queue_id(msg: MsgId, node: usize, t: SimTime) -> String {
    // Postfix short queue ids look like `4ABCD1234F`: deterministic here.
    let h = (msg.0 as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (node as u64).wrapping_mul(0xC2B2_AE3D_27D4_EB4F) ^ t;
    let mut id = format!("{:010X}", h >> 24);
    id.truncate(10);
    id
}

impl Message {
    /// A message entering the world: held by its sender, not yet tried.
    pub fn new(m: NewMessage) -> Self {
        let NewMessage {
            id,
            class,
            source,
            mail_from,
            rcpt,
            header_from,
            subject,
            forged,
            created,
            origin,
            origin_host,
        } = m;
        Message {
            id,
            class,
            source,
            bounce_of: None,
            mail_from,
            rcpt,
            content: (!header_from.is_empty() || !subject.is_empty())
                .then(|| Box::new(Content { header_from, subject, headers: Vec::new() })),
            forged,
            created,
            origin,
            origin_host,
            hops: Vec::new(),
            facts: None,
            fate: Fate::Queued,
            holder: Holder::Sender,
            attempts: 0,
            held_since: created,
            relay_cursor: 0,
            relays_tried: 0,
            direct: false,
            forwarded: 0,
        }
    }
}

pub(crate) fn date(s: &Simulation, t: SimTime) -> String {
    rfc5322_date(s.scenario.start, t)
}
