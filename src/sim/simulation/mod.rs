//! The simulation: one event loop that moves SMTP sessions over the network,
//! keeps senders' queues and injects traffic. A run is a pure function of
//! (scenario, seed).
//!
//! Heads up: read `engine.rs` (ordering rules) and `smtp/` (the dialogue)
//! first. This module only glues them: it opens connections through routers
//! and carries each command and reply across the link latency. What a sender
//! does with the outcome (hand over, retry, move on, bounce, give up) is
//! decided one level up, in `outcome.rs` and `retry.rs`.
//!
//! This file holds the run's state and its event loop; the rest is split by
//! concern: `traffic.rs` injects mail, `attempt.rs` plans a delivery attempt
//! (who connects where), `mx.rs` resolves and caches MX targets,
//! `session.rs` steps an SMTP session over the network (with its timers),
//! `pop3.rs` the POP3 logins, and `server_env.rs` lends a receiving server
//! its knowledge.

mod attempt;
mod blocklist;
mod callback;
mod channels;
mod live;
mod mx;
mod pop3;
mod server_env;
mod session;
mod throttle;
mod traffic;

use rustc_hash::FxHashMap as HashMap;
use smallvec::SmallVec;
use smol_str::SmolStr;
use std::net::Ipv4Addr;
use std::sync::Arc;

use crate::scenario::{NodeKind, Scenario, Source};
use crate::sim::dns::Dns;
use crate::sim::engine::EventQueue;
use crate::sim::hop_facts::HopFacts;
use crate::sim::message::{Address, Fate, Holder, Message, MsgId};
use crate::sim::topology::Topology;
use crate::sim::trace::Trace;
use crate::sim::world::{self, NodeRt};
use crate::stats::tally::Tally;
use crate::units::SimTime;

pub use live::{LiveClient, LiveMessage, LiveSmtp, PopLoginError};
pub(crate) use mx::Targets;
pub use session::CONNECT_TIMEOUT_MS;
pub(crate) use session::{Pending, Session};
use traffic::SourceRt;

/// The most messages whose room is reserved when a run starts (16 M).
const MAX_RESERVED_MESSAGES: usize = 1 << 24;

#[derive(Debug, Clone, Copy)]
pub(crate) enum Event {
    /// The next mail of a traffic source: its index in the low 20 bits, the
    /// source's generation above them (see `traffic.rs`: an arrival
    /// scheduled before a timeline entry changed the source is stale).
    Traffic(u32),
    /// Timeline entry `n` of the scenario (see `sim/timeline.rs`).
    Timeline(u32),
    /// The next exchange of session `n`.
    Step(u32),
    /// A (re)try to deliver a message from its current holder.
    Attempt(MsgId),
}

/// Options of one run: `RunOptions::new(seed).transcripts(false).trace(true)`.
/// More options may come; the struct is built with these methods.
#[derive(Debug, Clone, Copy, Default)]
#[non_exhaustive]
pub struct RunOptions {
    pub seed: u64,
    /// Keep every hop's dialogue (scenario setting unless overridden).
    pub transcripts: Option<bool>,
    /// Record the trace of events (the GUI's animation and the narration's
    /// event triggers need it).
    pub trace: bool,
    /// Keep every message after it ends (`messages[n]` is message `n`), or
    /// fold it into the counts and reuse its storage. By default a run keeps
    /// them when it keeps transcripts or a trace (someone will read them).
    pub keep_messages: Option<bool>,
    /// A folding run's exact delays per series before its histogram takes
    /// over (default [`crate::stats::tally::EXACT_DELAYS`]; 0: histogram only).
    pub exact_delays: Option<usize>,
}

impl RunOptions {
    /// A run with `seed`: transcripts as the scenario says, no trace.
    pub fn new(seed: u64) -> Self {
        RunOptions { seed, transcripts: None, trace: false, keep_messages: None, exact_delays: None }
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
    /// Keep every finished message (`true`), or fold it into the counts and
    /// reuse its storage (`false`), whatever transcripts and trace say.
    pub fn keep_messages(mut self, keep: bool) -> Self {
        self.keep_messages = Some(keep);
        self
    }
    /// How many delays per series a folding run keeps exactly before it
    /// moves them to its histogram (0: the histogram from the first).
    pub fn exact_delays(mut self, n: usize) -> Self {
        self.exact_delays = Some(n);
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
    /// The messages. A run that keeps them (see [`RunOptions::keep_messages`])
    /// holds every message ever sent, message `n` at index `n`. A folding
    /// run holds the messages in flight and the slots of finished ones,
    /// which its next messages reuse: a [`MsgId`] is then a slot, and a
    /// finished message lives on only in `folded`.
    pub messages: Vec<Message>,
    /// Slots of folded messages, free for the next ones (folding runs).
    free_messages: Vec<u32>,
    /// Messages created (injected, bounces, what-ifs).
    created: u64,
    /// Messages in a final state (delivered, rejected, lost).
    pub(crate) finished: u64,
    /// A folding run's counts of its finished messages (`None` when the run
    /// keeps its messages).
    folded: Option<Tally>,
    sources: Vec<SourceRt>,
    /// The scenario's traffic sources, shared so that handling a mail never
    /// copies a source (and its recipient lists).
    pub(crate) traffic: Arc<[Source]>,
    pub(crate) keep_transcripts: bool,
    pub trace: Trace,
    /// The adaptive campaigns, by traffic source (`None`: a fixed one).
    pub campaigns: Vec<Option<crate::sim::campaign::AdaptRt>>,
    /// Counts of finished messages over time (see `sim/series.rs`).
    pub series: crate::sim::series::SeriesCounts,
    /// The timeline entries applied so far, in order.
    pub timeline_applied: Vec<crate::sim::timeline::Applied>,
    /// The null reverse-path `<>` of every bounce: one shared empty text.
    pub(crate) empty_address: Address,
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
        dns.blocklists = blocklist::zones(&scenario);

        let mut queue = EventQueue::with_capacity(1024);
        let sources = traffic::start(&scenario, seed, &mut queue);
        crate::sim::timeline::schedule(&scenario, &mut queue);
        let campaigns = crate::sim::campaign::AdaptRt::all(&scenario, seed);
        let keep_transcripts = opts.transcripts.unwrap_or(scenario.transcripts);
        // Room for every message from the start: growing a store of millions
        // of messages copies it and touches its memory twice. Only pages
        // written count against memory, so a generous estimate (10% for
        // bounces and chance) costs nothing; the cap keeps one allocation
        // within what an ordinary machine grants, and a machine that refuses
        // it anyway just grows the store as it goes.
        let keep_messages = opts.keep_messages.unwrap_or(keep_transcripts || opts.trace);
        let expected_messages = (scenario.expected_messages(scenario.duration.0) * 1.1) as usize;
        let mut messages = Vec::new();
        if keep_messages {
            let _ = messages.try_reserve_exact(expected_messages.min(MAX_RESERVED_MESSAGES));
        }
        let folded = (!keep_messages).then(|| {
            Tally::new(scenario.traffic.len(), opts.exact_delays.unwrap_or(crate::stats::tally::EXACT_DELAYS))
        });
        let traffic: Arc<[Source]> = scenario.traffic.clone().into();
        let (scenario_start, scenario_duration) = (scenario.start, scenario.duration.0);
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
            free_messages: Vec::new(),
            created: 0,
            finished: 0,
            folded,
            sources,
            traffic,
            keep_transcripts,
            trace: Trace::new(opts.trace),
            timeline_applied: Vec::new(),
            campaigns,
            series: crate::sim::series::SeriesCounts::new(scenario_start, scenario_duration),
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
        self.created - self.finished
    }

    /// Messages created so far (injected mail, bounces, what-ifs).
    pub fn messages_created(&self) -> u64 {
        self.created
    }

    /// Whether every message is kept after it ends (`messages[n]` is message
    /// `n`); otherwise finished messages are folded into counts.
    pub fn keeps_messages(&self) -> bool {
        self.folded.is_none()
    }

    /// The counts of every message so far: the running tally of a folding
    /// run plus its messages still queued, or a tally of every message kept.
    pub fn tally(&self) -> Tally {
        match &self.folded {
            Some(t) => {
                let mut t = t.clone();
                for m in self.messages.iter().filter(|m| !m.fate.is_final()) {
                    t.fold(m, || self.hop_facts(m));
                }
                t
            }
            None => {
                let mut t = Tally::new(self.scenario.traffic.len(), usize::MAX);
                for m in &self.messages {
                    t.fold(m, || self.hop_facts(m));
                }
                t
            }
        }
    }

    /// The number the next message gets: a free slot in a folding run, else
    /// the next index. [`Self::store_message`] puts it there.
    pub(crate) fn next_message_id(&self) -> MsgId {
        MsgId(self.free_messages.last().copied().unwrap_or(self.messages.len() as u32))
    }

    /// Stores a new message at its id (see [`Self::next_message_id`]); a
    /// reused slot lends its hop list's memory.
    pub(crate) fn store_message(&mut self, mut m: Message) {
        self.created += 1;
        let slot = m.id.0 as usize;
        if slot == self.messages.len() {
            self.messages.push(m);
            return;
        }
        debug_assert_eq!(self.free_messages.last(), Some(&m.id.0), "a message goes to the next free slot");
        self.free_messages.pop();
        let old = &mut self.messages[slot];
        let mut hops = std::mem::take(&mut old.hops);
        hops.clear();
        m.hops = hops;
        *old = m;
    }

    /// A message reached its final state: a folding run counts it now and
    /// frees its slot (nothing else refers to it any more: its session has
    /// ended and no attempt of it is pending). A run that keeps its messages
    /// counts them when a report is asked for.
    pub(crate) fn settle(&mut self, id: MsgId) {
        self.finished += 1;
        // The series by period and channel (`sim/series.rs`) count here too.
        let m = &self.messages[id.0 as usize];
        let channel = self.channel_of(m);
        self.series.count(m, channel);
        if let Some(t) = &mut self.folded {
            let (nodes, m) = (&self.nodes, &self.messages[id.0 as usize]);
            t.fold(m, || HopFacts::of(nodes, m));
            self.free_messages.push(id.0);
        }
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
            Event::Traffic(src) => self.inject(src, t),
            Event::Timeline(k) => self.apply_timeline(k as usize, t),
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

    /// The path a connection from node `a` to node `b` takes (the GUI draws
    /// messages along it); `None` when the two are not connected.
    pub fn route(&mut self, a: usize, b: usize) -> Option<crate::sim::topology::Route> {
        if a >= self.nodes.len() || b >= self.nodes.len() {
            return None;
        }
        self.topo.route(a, b)
    }

    /// What the reports need of a message's hops.
    pub fn hop_facts(&self, m: &Message) -> HopFacts {
        HopFacts::of(&self.nodes, m)
    }

    /// The index of a node id (validated scenarios only name existing nodes).
    pub fn index_of(&self, id: &str) -> usize {
        self.node_by_id.get(id).copied().unwrap_or(0)
    }

    /// The mail server at `ip`, if any (for reverse DNS in `Received:`).
    pub(crate) fn server_at(&self, ip: Ipv4Addr) -> Option<&NodeRt> {
        self.node_by_ip.get(&u32::from(ip)).map(|&i| &self.nodes[i]).filter(|n| n.kind.mail_server().is_some())
    }
}

/// Counts one more `key` in a report map.
pub(crate) fn bump(map: &mut std::collections::BTreeMap<&'static str, u64>, key: &'static str) {
    *map.entry(key).or_default() += 1;
}
