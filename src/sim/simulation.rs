//! The simulation: one event loop that moves SMTP sessions over the network,
//! keeps senders' queues and injects traffic. A run is a pure function of
//! (scenario, seed).
//!
//! Heads up: read `engine.rs` (ordering rules) and `smtp/` (the dialogue)
//! first. This file only glues them: it opens connections through routers,
//! carries each command and reply across the link latency, and decides what a
//! sender does with the outcome (hand over, retry, move on, bounce, give up).

use std::collections::HashMap;
use std::net::Ipv4Addr;

use super::dns::Dns;
use super::engine::EventQueue;
use super::message::{Fate, Holder, Hop, Line, MailClass, Message, MsgId};
use super::rng::{self, Stream};
use super::router::{self, Verdict};
use super::smtp::server::{self, Recipients, ServerSession};
use super::smtp::{Action, ClientSession, Command, Outcome, Reply};
use super::topology::Topology;
use super::trace::{Trace, TraceEvent};
use super::world::{self, NodeRt};
use crate::scenario::{NodeKind, Retry, Scenario, Source, Strategy};
use crate::units::{SECOND, SimTime, rfc5322_date};

/// Postfix `smtp_connect_timeout` (30 s): how long a client waits for a SYN
/// that a router silently dropped.
pub const CONNECT_TIMEOUT_MS: u64 = 30 * SECOND;
/// Spam software that "reconnects immediately" still needs a moment.
const RECONNECT_MS: u64 = SECOND;
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
    pub(crate) targets: Vec<(usize, Ipv4Addr)>,
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
    mean_gap_ms: f64,
    start: SimTime,
    end: SimTime,
}

/// Options of one run.
#[derive(Debug, Clone, Copy, Default)]
pub struct RunOptions {
    pub seed: u64,
    /// Keep every hop's dialogue (scenario setting unless overridden).
    pub transcripts: Option<bool>,
    /// Record the trace of events for animation.
    pub trace: bool,
}

pub struct Simulation {
    pub scenario: Scenario,
    pub seed: u64,
    pub nodes: Vec<NodeRt>,
    node_by_ip: HashMap<u32, usize>,
    node_by_id: HashMap<String, usize>,
    topo: Topology,
    pub dns: Dns,
    pub(crate) queue: EventQueue<Event>,
    pub(crate) sessions: Vec<Option<Session>>,
    pub(crate) free_sessions: Vec<u32>,
    pub messages: Vec<Message>,
    sources: Vec<SourceRt>,
    pub(crate) keep_transcripts: bool,
    pub trace: Trace,
}

struct RecipientView<'a> {
    node: &'a NodeRt,
    nodes: &'a [NodeRt],
}

impl Recipients for RecipientView<'_> {
    fn is_local_domain(&self, d: &str) -> bool {
        self.node.is_local_domain(d)
    }
    fn mailbox_exists(&self, a: &str) -> Option<bool> {
        match self.node.mailbox_node {
            // A front MX knows the users only if it verifies recipients.
            Some(mb) => {
                let verify = self
                    .node
                    .kind
                    .mail_server()
                    .is_some_and(|m| m.verify_recipients);
                verify.then(|| self.nodes[mb].mailboxes.contains(a))
            }
            None => Some(self.node.mailboxes.contains(a)),
        }
    }
}

impl Simulation {
    /// Prepares a run of a validated scenario.
    pub fn new(scenario: Scenario, opts: RunOptions) -> Self {
        let seed = opts.seed;
        let nodes = world::build_nodes(&scenario, seed);
        let id_index: HashMap<&str, usize> = nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (n.id.as_str(), i))
            .collect();
        let links: Vec<(usize, usize, u64)> = scenario
            .links
            .iter()
            .filter_map(|l| {
                Some((
                    *id_index.get(l.a.as_str())?,
                    *id_index.get(l.b.as_str())?,
                    l.latency.0,
                ))
            })
            .collect();
        let topo = Topology::new(nodes.len(), &links);

        let mut dns = Dns::default();
        let mut node_by_ip = HashMap::new();
        let mut node_by_id = HashMap::new();
        for (i, n) in nodes.iter().enumerate() {
            if let Some(ip) = n.ip {
                node_by_ip.insert(u32::from(ip), i);
                if n.kind.mail_server().is_some() || matches!(n.kind, NodeKind::MailboxServer(_)) {
                    dns.add_a(&n.hostname, ip);
                }
            }
            node_by_id.insert(n.id.clone(), i);
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
                Source::Legit(l) => (
                    l.rate,
                    l.start.0,
                    l.end.map_or(traffic_end, |e| e.0.min(traffic_end)),
                ),
                Source::Spam(s) => (
                    s.rate,
                    s.start.0,
                    s.end.map_or(traffic_end, |e| e.0.min(traffic_end)),
                ),
                Source::Once(o) => (crate::units::Rate::per_hour(0.0), o.at.0, o.at.0 + 1),
            };
            let mut rt = SourceRt {
                rng: rng::stream(seed, "traffic", src.id()),
                mean_gap_ms: rate.mean_gap_ms(),
                start,
                end,
            };
            let first = match src {
                Source::Once(o) => o.at.0,
                _ => start.saturating_add(rng::exp_gap_ms(&mut rt.rng, rt.mean_gap_ms)),
            };
            if first < end {
                queue.schedule_in(first, Event::Traffic(i as u32));
            }
            sources.push(rt);
        }
        let keep_transcripts = opts.transcripts.unwrap_or(scenario.transcripts);
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
            messages: Vec::new(),
            sources,
            keep_transcripts,
            trace: Trace::new(opts.trace),
        }
    }

    pub fn now(&self) -> SimTime {
        self.queue.now()
    }

    /// Events handled so far.
    pub fn events(&self) -> u64 {
        self.queue.popped()
    }

    /// Runs every event up to and including time `end`, then sets the clock there.
    pub fn run_until(&mut self, end: SimTime) {
        while let Some(t) = self.queue.peek_time() {
            if t > end {
                break;
            }
            self.step_one();
        }
        self.queue.advance_to(end);
        self.count_queues();
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
        let source = self.scenario.traffic[src].clone();
        let rt = &mut self.sources[src];
        let id = MsgId(self.messages.len() as u32);
        // Every draw is made whatever the defenses do, in a fixed order, so the
        // same seed sends the same mails in every scenario (common random numbers).
        let msg = match &source {
            Source::Legit(l) => {
                let origin = self.node_by_id.get(&l.from).copied().unwrap_or(0);
                let (host, from) = match &self.nodes[origin].kind {
                    NodeKind::Population(p) => {
                        let h = rng::index(&mut rt.rng, p.count as usize) as u32;
                        (h, format!("user{h}@{}", p.domain))
                    }
                    NodeKind::ClientPc(pc) => (0, pc.user.clone()),
                    _ => (0, String::new()),
                };
                let rcpt = l.to[rng::index(&mut rt.rng, l.to.len())].clone();
                let subject = l
                    .subject
                    .clone()
                    .unwrap_or_else(|| format!("Message {} from {}", id.0, from));
                Message::new(
                    id,
                    MailClass::Legit,
                    Some(src),
                    from.clone(),
                    rcpt,
                    from,
                    subject,
                    false,
                    t,
                    origin,
                    host,
                )
            }
            Source::Once(o) => {
                let origin = self.node_by_id.get(&o.from).copied().unwrap_or(0);
                let from = match &self.nodes[origin].kind {
                    NodeKind::ClientPc(pc) => pc.user.clone(),
                    _ => String::new(),
                };
                let subject = o
                    .subject
                    .clone()
                    .unwrap_or_else(|| format!("Message {} from {}", id.0, from));
                Message::new(
                    id,
                    MailClass::Legit,
                    Some(src),
                    from.clone(),
                    o.to.clone(),
                    from,
                    subject,
                    false,
                    t,
                    origin,
                    0,
                )
            }
            Source::Spam(s) => {
                let sender = &s.senders[rng::index(&mut rt.rng, s.senders.len())];
                let origin = self.node_by_id.get(sender).copied().unwrap_or(0);
                let pick = rng::index(&mut rt.rng, self.nodes[origin].infected.len().max(1));
                let host = self.nodes[origin].infected.get(pick).copied().unwrap_or(0);
                let forged = s.forged_from[rng::index(&mut rt.rng, s.forged_from.len())].clone();
                let rcpt = s.to[rng::index(&mut rt.rng, s.to.len())].clone();
                let relay_start = rng::index(&mut rt.rng, 1 << 16) as u16;
                let subject = s
                    .subject
                    .clone()
                    .unwrap_or_else(|| "Cheap meds, best prices!!!".into());
                let mut m = Message::new(
                    id,
                    MailClass::Spam,
                    Some(src),
                    forged.clone(),
                    rcpt,
                    forged,
                    subject,
                    true,
                    t,
                    origin,
                    host,
                );
                let relays = match &s.strategy {
                    Strategy::OpenRelays(r) | Strategy::OpenRelaysThenDirect(r) => r.len(),
                    Strategy::DirectToMx => 0,
                };
                m.relay_cursor = if relays > 0 {
                    relay_start % relays as u16
                } else {
                    0
                };
                m.direct = relays == 0;
                m
            }
        };
        let gap = if matches!(source, Source::Once(_)) {
            u64::MAX / 4
        } else {
            rng::exp_gap_ms(&mut rt.rng, rt.mean_gap_ms)
        };
        let (next, end) = (t.saturating_add(gap), rt.end);
        let _ = rt.start;
        if next < end {
            self.queue.schedule_in(next - t, Event::Traffic(src as u32));
        }
        self.trace.push(
            t,
            TraceEvent::Injected {
                msg: id,
                node: msg.origin,
            },
        );
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

    /// The MX targets of a domain, most preferred first.
    fn mx_targets(&mut self, domain: &str, exclude: Option<usize>) -> Vec<(usize, Ipv4Addr)> {
        let hosts = self.dns.mx(domain);
        hosts
            .iter()
            .filter_map(|h| self.resolve(h))
            .filter(|(n, _)| Some(*n) != exclude)
            .collect()
    }

    fn node_target(&self, n: usize) -> Vec<(usize, Ipv4Addr)> {
        self.nodes[n].ip.map(|ip| vec![(n, ip)]).unwrap_or_default()
    }

    /// Starts a delivery attempt of `id` by whoever holds it now.
    pub(crate) fn attempt(&mut self, id: MsgId, t: SimTime) {
        let m = &self.messages[id.0 as usize];
        if m.fate.is_final() {
            return;
        }
        let (origin, host, holder, rcpt_domain) = (
            m.origin,
            m.origin_host,
            m.holder,
            m.rcpt_domain().to_string(),
        );
        let (client_node, client_ip, ehlo, targets, port) = match holder {
            Holder::Node(n)
                if self.nodes[n].is_local_domain(&rcpt_domain)
                    && self.nodes[n].mailbox_node.is_none() =>
            {
                // The holder is the final destination (e.g. a bounce to one of
                // its own users): local delivery, no SMTP hop.
                self.deliver_locally(id, n, t);
                return;
            }
            Holder::Node(n) => {
                let targets = match self.nodes[n].mailbox_node {
                    Some(mb) if self.nodes[n].is_local_domain(&rcpt_domain) => self.node_target(mb),
                    _ => self.mx_targets(&rcpt_domain, Some(n)),
                };
                let ip = self.nodes[n].ip.unwrap_or(Ipv4Addr::UNSPECIFIED);
                (n, ip, self.nodes[n].hostname.clone(), targets, 25)
            }
            Holder::Sender => {
                let ip = self.nodes[origin].host_ip(host);
                let source = m.source.map(|s| self.scenario.traffic[s].clone());
                match (&self.nodes[origin].kind, source) {
                    (NodeKind::ClientPc(pc), _) => {
                        let (srv, port) = (pc.mail_client.server.clone(), pc.mail_client.port);
                        let s = self.index_of(&srv);
                        (
                            origin,
                            ip,
                            self.nodes[origin].hostname.clone(),
                            self.node_target(s),
                            port,
                        )
                    }
                    (NodeKind::Population(p), Some(Source::Legit(_) | Source::Once(_))) => {
                        let (srv, port) = (p.mail_client.server.clone(), p.mail_client.port);
                        let s = self.index_of(&srv);
                        (origin, ip, format!("PC-{host}"), self.node_target(s), port)
                    }
                    (_, Some(Source::Spam(sp))) => {
                        // Ratware greets with the forged sender's domain (or its own name on a spammer's server).
                        let ehlo = match &self.nodes[origin].kind {
                            NodeKind::SpammerServer(_) => self.nodes[origin].hostname.clone(),
                            _ => m
                                .mail_from
                                .rsplit_once('@')
                                .map_or("localhost".into(), |(_, d)| d.to_string()),
                        };
                        let relays = match &sp.strategy {
                            Strategy::OpenRelays(r) | Strategy::OpenRelaysThenDirect(r) => {
                                r.clone()
                            }
                            Strategy::DirectToMx => vec![],
                        };
                        let targets = if !m.direct && !relays.is_empty() {
                            let r = self.index_of(&relays[m.relay_cursor as usize % relays.len()]);
                            self.node_target(r)
                        } else {
                            self.mx_targets(&rcpt_domain, None)
                        };
                        (origin, ip, ehlo, targets, 25)
                    }
                    _ => (origin, ip, "localhost".into(), vec![], 25),
                }
            }
        };
        if targets.is_empty() {
            // Postfix: "Host or domain name not found" is a permanent failure.
            let reply = Reply::new(
                550,
                format!(
                    "5.1.2 <{}>: Host or domain name not found",
                    self.messages[id.0 as usize].rcpt
                ),
            );
            self.failed(id, Outcome::Permanent(reply), t, None);
            return;
        }
        self.nodes[client_node].counters.sessions_out += 1;
        let m = &mut self.messages[id.0 as usize];
        m.attempts += 1;
        let bytes = match m.class {
            MailClass::Legit => LEGIT_BYTES,
            MailClass::Spam => SPAM_BYTES,
            _ => BOUNCE_BYTES,
        };
        let client = ClientSession::new(ehlo, m.mail_from.clone(), m.rcpt.clone(), bytes);
        let session = Session {
            msg: id,
            client_node,
            client_ip,
            targets,
            target: 0,
            port,
            rtt: 1,
            server: ServerSession {
                hostname: String::new(),
                relay_permitted: false,
                available: true,
            },
            client,
            pending: Pending::Connect,
            queue_id: String::new(),
        };
        let sid = match self.free_sessions.pop() {
            Some(i) => {
                self.sessions[i as usize] = Some(session);
                i
            }
            None => {
                self.sessions.push(Some(session));
                (self.sessions.len() - 1) as u32
            }
        };
        self.queue.schedule_in(0, Event::Step(sid));
        let _ = t;
    }

    /// The index of a node id (validated scenarios only name existing nodes).
    pub fn index_of(&self, id: &str) -> usize {
        self.node_by_id.get(id).copied().unwrap_or(0)
    }

    /// The mail server at `ip`, if any (for reverse DNS in `Received:`).
    pub(crate) fn server_at(&self, ip: Ipv4Addr) -> Option<&NodeRt> {
        self.node_by_ip
            .get(&u32::from(ip))
            .map(|&i| &self.nodes[i])
            .filter(|n| n.kind.mail_server().is_some())
    }

    // ----- the session ----------------------------------------------------

    fn line(&mut self, id: MsgId, t: SimTime, who: char, text: String) {
        if self.keep_transcripts
            && let Some(h) = self.messages[id.0 as usize].hops.last_mut()
        {
            h.transcript.push(Line { t, who, text });
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
                for l in reply.lines() {
                    self.line(s.msg, t, 'S', l);
                }
                if !reply.is_positive() {
                    let reason = server::refusal_reason(&reply);
                    let server = s.targets[s.target].0;
                    *self.nodes[server]
                        .counters
                        .refused
                        .entry(reason.to_string())
                        .or_default() += 1;
                }
                match s.client.on_reply(&reply) {
                    Action::Send(cmd) => {
                        self.line(s.msg, t, 'C', cmd.to_string());
                        let server_node = s.targets[s.target].0;
                        let view = RecipientView {
                            node: &self.nodes[server_node],
                            nodes: &self.nodes,
                        };
                        if matches!(cmd, Command::Content { .. }) {
                            s.queue_id = queue_id(s.msg, server_node, t);
                        }
                        let r = s.server.respond(&cmd, &view, &s.queue_id);
                        s.pending = Pending::Reply(r);
                        self.queue.schedule_in(s.rtt, Event::Step(sid));
                    }
                    Action::QuitWith(outcome) => {
                        self.line(s.msg, t, 'C', "QUIT".into());
                        self.line(s.msg, t + s.rtt, 'S', Reply::bye().to_string());
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
        self.messages[s.msg.0 as usize].hops.push(Hop {
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
        self.trace.push(
            t,
            TraceEvent::HopStarted {
                msg: s.msg,
                from: s.client_node,
                to: server,
            },
        );
        let Some(route) = self.topo.route(s.client_node, server).cloned() else {
            self.line(
                s.msg,
                t,
                '*',
                format!("connect to {ip}:{}: No route to host", s.port),
            );
            s.pending = Pending::Finish(Outcome::ConnectFailed {
                reason: "No route to host".into(),
                blocked_by: None,
            });
            self.queue.schedule_in(0, Event::Step(sid));
            return;
        };
        s.rtt = (2 * route.one_way_ms).max(1);
        for &r in &route.via {
            let NodeKind::Router(cfg) = &self.nodes[r].kind else {
                continue;
            };
            let verdict = router::inspect(&cfg.filters, from_ip, ip, s.port);
            self.nodes[r].counters.connections_seen += 1;
            if verdict == Verdict::Drop {
                self.nodes[r].counters.dropped += 1;
                let name = self.nodes[r].id.clone();
                self.line(
                    s.msg,
                    t,
                    '*',
                    format!("SYN to {ip}:{} dropped by router {name}", s.port),
                );
                self.line(
                    s.msg,
                    t + CONNECT_TIMEOUT_MS,
                    '*',
                    format!("connect to {ip}:{}: Connection timed out", s.port),
                );
                self.trace.push(
                    t,
                    TraceEvent::Dropped {
                        msg: s.msg,
                        router: r,
                    },
                );
                s.pending = Pending::Finish(Outcome::ConnectFailed {
                    reason: format!("connection timed out (dropped by {name})"),
                    blocked_by: Some(r),
                });
                self.queue.schedule_in(CONNECT_TIMEOUT_MS, Event::Step(sid));
                return;
            }
        }
        let node = &self.nodes[server];
        s.server = ServerSession {
            hostname: node.hostname.clone(),
            relay_permitted: node.relay_permitted(from_ip),
            available: node.available(t),
        };
        self.nodes[server].counters.sessions_in += 1;
        self.line(
            s.msg,
            t,
            '*',
            format!("connected to {ip}:{} from {from_ip}", s.port),
        );
        s.pending = Pending::Reply(s.server.greet());
        self.queue.schedule_in(s.rtt, Event::Step(sid));
    }
}

fn queue_id(msg: MsgId, node: usize, t: SimTime) -> String {
    // Postfix short queue ids look like `4ABCD1234F`: deterministic here.
    let h = (msg.0 as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
        ^ (node as u64).wrapping_mul(0xC2B2_AE3D_27D4_EB4F)
        ^ t;
    format!("{:010X}", h >> 24)[..10].to_string()
}

impl Message {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        id: MsgId,
        class: MailClass,
        source: Option<usize>,
        mail_from: String,
        rcpt: String,
        header_from: String,
        subject: String,
        forged: bool,
        t: SimTime,
        origin: usize,
        host: u32,
    ) -> Self {
        Message {
            id,
            class,
            source,
            bounce_of: None,
            mail_from,
            rcpt,
            header_from,
            subject,
            forged,
            created: t,
            origin,
            origin_host: host,
            headers: Vec::new(),
            hops: Vec::new(),
            fate: Fate::Queued,
            holder: Holder::Sender,
            attempts: 0,
            held_since: t,
            relay_cursor: 0,
            relays_tried: 0,
            direct: false,
        }
    }
}

pub(crate) fn date(s: &Simulation, t: SimTime) -> String {
    rfc5322_date(s.scenario.start, t)
}

/// The delay before the next try of a sender with policy `r`, after
/// `attempts` tries and `waited` ms since it started; `None` = give up.
pub(crate) fn retry_after(r: &Retry, attempts: u32, waited: u64) -> Option<u64> {
    match r {
        Retry::Never => None,
        Retry::Immediate(n) => (attempts <= *n).then_some(RECONNECT_MS),
        Retry::Rfc(b) => {
            let d = b.delay_after(attempts);
            (waited + d <= b.lifetime.0).then_some(d)
        }
    }
}
