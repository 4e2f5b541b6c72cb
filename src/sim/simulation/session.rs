//! An SMTP session on the wire: the TCP connection through the routers on
//! its path, then each command and reply carried across the link latency,
//! one event per exchange. The session's pending step and its timers live
//! here, next to the state they time.
//!
//! Heads up: read RFC 5321 §4.5.3.2 (timeouts) and `smtp/` (the dialogue)
//! first.

use std::net::Ipv4Addr;
use std::sync::Arc;

use super::server_env::Env;
use super::{Event, Simulation, Targets, bump};
use crate::scenario::NodeKind;
use crate::sim::message::{Hop, MsgId, Said};
use crate::sim::router::{self, Forwarding};
use crate::sim::smtp::server::{self, RelayGrant, ServerSession};
use crate::sim::smtp::{Action, ClientSession, Command, Outcome, Reply};
use crate::sim::trace::TraceEvent;
use crate::units::{SECOND, SimTime};

/// Postfix `smtp_connect_timeout` (30 s): how long a client waits for a SYN
/// that a router silently dropped. RFC 5321 §4.5.3.2 sets no connect
/// timeout (it gives the client 5 minutes for the 220 greeting of a server
/// that accepted the connection; the servers here greet at once).
pub const CONNECT_TIMEOUT_MS: u64 = 30 * SECOND;

/// What a session waits for at its next step, due when its `Event::Step`
/// fires: the timer is the variant. A SYN dropped on the way is a `Finish`
/// due [`CONNECT_TIMEOUT_MS`] later; a reply is due one round trip after its
/// command.
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
    /// How long the server holds back each reply (a tarpit; 0 normally).
    pub(crate) reply_delay: u64,
    /// How long the client waits for a reply before it gives up (RFC 5321
    /// §4.5.3.2: 5 minutes; spam software often only seconds).
    pub(crate) reply_timeout: u64,
}

/// RFC 5321 §4.5.3.2's client timeouts, as Postfix sets them
/// (`smtp_helo_timeout`, `smtp_mail_timeout`, `smtp_rcpt_timeout`: 300 s).
pub const REPLY_TIMEOUT_MS: u64 = 300 * SECOND;

impl Simulation {
    /// Records what was said on the message's current hop (transcripts only).
    pub(super) fn said(&mut self, id: MsgId, t: SimTime, said: impl FnOnce() -> Said) {
        if self.keep_transcripts
            && let Some(h) = self.messages[id.0 as usize].hops.last_mut()
        {
            h.said.push((t, said()));
        }
    }

    /// A line of text on the message's current hop, made only when
    /// transcripts are kept: statistical runs format nothing on the hot path.
    pub(super) fn line_with(&mut self, id: MsgId, t: SimTime, who: char, text: impl FnOnce() -> String) {
        self.said(id, t, || Said::Text(who, text().into()));
    }

    pub(super) fn session_step(&mut self, sid: u32, t: SimTime) {
        let Some(mut s) = self.sessions.get_mut(sid as usize).and_then(Option::take) else {
            return;
        };
        let pending = std::mem::replace(&mut s.pending, Pending::Connect);
        match pending {
            Pending::Connect => self.connect(sid, &mut s, t),
            Pending::Reply(reply) => {
                self.said(s.msg, t, || Said::reply(&reply));
                if !reply.is_positive() {
                    let reason = server::refusal_reason(&reply);
                    let server = s.targets[s.target].0;
                    bump(&mut self.nodes[server].counters.refused, reason);
                }
                match s.client.on_reply(&reply) {
                    Action::Send(cmd) => {
                        self.said(s.msg, t, || Said::command(&cmd));
                        let server_node = s.targets[s.target].0;
                        // Queue ids appear only in texts for readers (replies, `Received:`).
                        let readers = self.keep_transcripts || self.trace.is_enabled();
                        if readers && matches!(cmd, Command::Content { .. }) {
                            s.queue_id = queue_id(s.msg, server_node, t);
                        }
                        let mut env = Env { nodes: &mut self.nodes, server: server_node, dns: &mut self.dns, now: t };
                        let r = s.server.respond(&cmd, &mut env, &s.queue_id);
                        self.send_reply(sid, &mut s, r, t);
                    }
                    Action::QuitWith(outcome) => {
                        if s.reply_delay > 0 && outcome == Outcome::Accepted {
                            self.tarpit_passed(s.targets[s.target].0, s.client_ip, t);
                        }
                        if reply.code != 421 {
                            self.said(s.msg, t, || Said::command(&Command::Quit));
                            self.said(s.msg, t.saturating_add(s.rtt), || Said::reply(&Reply::bye()));
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
            said: Vec::new(),
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
        // Before any dialogue: the connection rate limit (anvil), then the
        // blocklists asked at the connection.
        if s.server.state() != &crate::sim::smtp::server::State::Closed
            && let Some(refusal) =
                self.connection_rate_refusal(server, from_ip, t).or_else(|| self.blocklist_greeting(server, from_ip, t))
        {
            s.server.refuse_greeting(refusal);
        }
        self.nodes[server].counters.sessions_in += 1;
        self.said(s.msg, t, || Said::Connected { to: ip, port: s.port, from: from_ip });
        if s.server.state() != &crate::sim::smtp::server::State::Closed {
            s.reply_delay = self.tarpit_delay(server, from_ip, t);
        }
        let greeting = s.server.greet();
        self.send_reply(sid, s, greeting, t);
    }

    /// Carries a server's reply back to the client: one round trip, plus
    /// what a tarpit holds it back. A client whose timeout runs out first
    /// gives up on the session (Postfix: "conversation timed out"), as if
    /// the server had not answered: it tries the next MX, or later.
    fn send_reply(&mut self, sid: u32, s: &mut Session, reply: Reply, t: SimTime) {
        let wait = s.rtt.saturating_add(s.reply_delay);
        if s.reply_delay > 0 {
            // The server holds the session open while it waits.
            let held = s.reply_delay.min(s.reply_timeout);
            self.nodes[s.targets[s.target].0].counters.tarpit_seconds += held / SECOND;
        }
        if s.reply_delay > 0 && wait > s.reply_timeout {
            let (ip, timeout) = (s.targets[s.target].1, s.reply_timeout);
            self.line_with(s.msg, t.saturating_add(timeout), '*', || {
                format!("no reply from {ip} within {}: conversation timed out", crate::units::format_ms(timeout))
            });
            self.nodes[s.client_node].counters.timeouts += 1;
            self.nodes[s.targets[s.target].0].counters.tarpit_abandoned += 1;
            s.pending = Pending::Finish(Outcome::ConnectFailed {
                reason: format!("conversation timed out after {}", crate::units::format_ms(timeout)),
                blocked_by: None,
            });
            self.queue.schedule_in(timeout, Event::Step(sid));
            return;
        }
        s.pending = Pending::Reply(reply);
        self.queue.schedule_in(wait, Event::Step(sid));
    }
}

pub(super) fn queue_id(msg: MsgId, node: usize, t: SimTime) -> String {
    // Postfix short queue ids look like `4ABCD1234F`: deterministic here.
    let h = (msg.0 as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (node as u64).wrapping_mul(0xC2B2_AE3D_27D4_EB4F) ^ t;
    let mut id = format!("{:010X}", h >> 24);
    id.truncate(10);
    id
}
