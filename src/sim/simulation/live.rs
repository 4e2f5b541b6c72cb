//! Live sessions: a real client (telnet, swaks, a mail program) talking to a
//! simulated server. Sans-IO like the rest of the core: bytes come in with
//! the simulation's current time, replies go out; the sockets, threads and
//! TLS are in `crate::live`, which drives these methods from one thread.
//!
//! A live client sits at a node of the world (`--client-at`): a client PC,
//! or one host of a population. Its connection crosses the routers on the
//! path like a simulated one (OP25B drops it), the server judges it by that
//! node's address (relay restriction, POP-before-SMTP, SPF, greylisting),
//! and every message the server accepts becomes an ordinary message of the
//! run: one per accepted recipient, held by the server from then on,
//! relayed hop by hop and counted in the report.

use std::net::Ipv4Addr;
use std::sync::Arc;

use super::server_env::Env;
use super::{Simulation, bump};
use crate::scenario::NodeKind;
use crate::sim::defense::auth;
use crate::sim::message::{Fate, Hop, Line, MailClass, Message, MsgId, NewMessage, Said};
use crate::sim::outcome::Arrival;
use crate::sim::router::{self, Forwarding};
use crate::sim::smtp::Reply;
use crate::sim::smtp::server::{self, Output, RelayGrant, ServerSession};
use crate::sim::trace::TraceEvent;
use crate::units::SimTime;

/// Where the live client sits in the world.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LiveClient {
    /// Its node (a client PC, a population, a bot).
    pub node: usize,
    /// Which host of a population (0 otherwise).
    pub host: u32,
}

/// A live client's SMTP session with one simulated server.
#[derive(Debug)]
pub struct LiveSmtp {
    pub server: usize,
    /// The port as the simulated world sees it (25, 587, 465).
    pub port: u16,
    pub client: LiveClient,
    /// The address the server sees (the NAT router's, the host's lease).
    pub client_ip: Ipv4Addr,
    pub session: ServerSession,
    pub started: SimTime,
    /// The dialogue so far, as a hop's transcript shows it (passwords masked,
    /// message content summarised).
    pub transcript: Vec<Line>,
    /// Messages this session handed to the server.
    pub messages: Vec<MsgId>,
    /// Why the connection never reached the server (dropped by a router,
    /// no route, nothing listening).
    pub failed: Option<String>,
}

/// A message accepted from a live client, with the text it sent (kept by
/// the live front end for POP3 `RETR`; the core keeps no message bodies).
#[derive(Debug, Clone)]
pub struct LiveMessage {
    pub id: MsgId,
    pub content: Arc<[u8]>,
}

/// Why a live POP3 login failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PopLoginError {
    /// The server holds no such mailbox.
    NoMailbox,
    /// The password does not match the server's accounts.
    BadPassword,
}

/// A hop's transcript keeps at most this many octets of a client line.
const TRANSCRIPT_LINE_MAX: usize = 200;

impl Simulation {
    /// The index of the node with this id, if the world has one.
    pub fn find_node(&self, id: &str) -> Option<usize> {
        self.node_by_id.get(id).copied()
    }

    /// The address a live client at `c` has now.
    pub fn live_client_ip(&self, c: LiveClient) -> Ipv4Addr {
        self.nodes[c.node].public_ip(c.host, self.now())
    }

    /// A live client connects to `server` on simulated `port` now: the
    /// connection crosses the routers on the path (which may drop it, as
    /// OP25B does), then the server greets (or says 421 when it is down).
    /// A connection that never reaches the server comes back with no reply
    /// and `close` set, and `failed` says why.
    pub fn live_smtp_open(&mut self, client: LiveClient, server: usize, port: u16) -> (LiveSmtp, Output) {
        let t = self.now();
        let from_ip = self.live_client_ip(client);
        let to_ip = self.nodes[server].ip.unwrap_or(Ipv4Addr::UNSPECIFIED);
        let texts = Arc::clone(&self.nodes[server].texts);
        let mut live = LiveSmtp {
            server,
            port,
            client,
            client_ip: from_ip,
            session: ServerSession::new(texts, port, false, from_ip, None),
            started: t,
            transcript: Vec::new(),
            messages: Vec::new(),
            failed: None,
        };
        if let Some(why) = self.live_path_blocked(client.node, server, from_ip, to_ip, port) {
            live.note(t, '*', why.clone());
            live.failed = Some(why);
            return (live, Output { close: true, ..Output::default() });
        }
        let node = &self.nodes[server];
        let grant = node.relay_by_address(from_ip).or_else(|| {
            let (pop, window) = node.pop_before_smtp?;
            self.nodes[pop].pop.permits(from_ip, t, window).map(|ago_ms| RelayGrant::PopBeforeSmtp { ago_ms })
        });
        live.session = ServerSession::new(Arc::clone(&node.texts), port, node.available(t), from_ip, grant);
        live.session.tls_available = node.ports.iter().any(|p| *p == 587 || *p == 465);
        self.nodes[server].counters.sessions_in += 1;
        live.note(t, '*', format!("live client connected to {to_ip}:{port} from {from_ip}"));
        let out = live.session.open(t);
        live.replies(t, &out);
        self.count_refusals(server, &out);
        (live, out)
    }

    /// Why a connection from node `from` never reaches `server`, if it does not.
    fn live_path_blocked(
        &mut self,
        from: usize,
        server: usize,
        from_ip: Ipv4Addr,
        to_ip: Ipv4Addr,
        port: u16,
    ) -> Option<String> {
        let mut via = std::mem::take(&mut self.via_scratch);
        let found = self.topo.path(from, server, &mut via);
        let mut dropped_by = None;
        if found.is_some() {
            for &r in &via {
                if !matches!(self.nodes[r].kind, NodeKind::Router(_)) {
                    continue;
                }
                self.nodes[r].counters.connections_seen += 1;
                if router::inspect(&self.nodes[r].filters, from_ip, to_ip, port) == Forwarding::Drop {
                    self.nodes[r].counters.dropped += 1;
                    dropped_by = Some(r);
                    break;
                }
            }
        }
        self.via_scratch = via;
        if found.is_none() {
            return Some(format!("connect to {to_ip}:{port}: No route to host"));
        }
        if let Some(r) = dropped_by {
            return Some(format!("SYN to {to_ip}:{port} dropped by router {}", self.nodes[r].id));
        }
        if !self.nodes[server].listens(port) {
            return Some(format!("connect to {to_ip}:{port}: Connection refused"));
        }
        None
    }

    /// Bytes from the live client now: the server's replies, and every
    /// message it accepted, which joins the run as an ordinary message.
    pub fn live_smtp_receive(&mut self, live: &mut LiveSmtp, bytes: &[u8]) -> (Output, Vec<LiveMessage>) {
        let t = self.now();
        live.client_lines(t, bytes);
        let next = self.next_message_id();
        let queue_id = super::session::queue_id(next, live.server, t);
        let out = {
            let mut env = Env { nodes: &mut self.nodes, server: live.server, dns: &mut self.dns, now: t };
            live.session.receive(t, bytes, &mut env, &queue_id)
        };
        live.replies(t, &out);
        self.count_refusals(live.server, &out);
        let mut made = Vec::new();
        for (content, env) in out.accepted.iter().zip(&out.envelopes) {
            let content: Arc<[u8]> = content.as_slice().into();
            for rcpt in &env.rcpts {
                let id = self.live_message(live, &env.mail_from, rcpt, &content, &queue_id, t);
                live.messages.push(id);
                made.push(LiveMessage { id, content: Arc::clone(&content) });
            }
        }
        (out, made)
    }

    /// The live client was silent too long (or the session must end): the
    /// server's `421` and the close.
    pub fn live_smtp_timeout(&mut self, live: &mut LiveSmtp) -> Output {
        let t = self.now();
        let out = live.session.on_timer(SimTime::MAX);
        live.replies(t, &out);
        out
    }

    fn count_refusals(&mut self, server: usize, out: &Output) {
        for r in out.replies.iter().filter(|r| r.code >= 400) {
            bump(&mut self.nodes[server].counters.refused, server::refusal_reason(r));
        }
    }

    /// One accepted recipient of a live message: a new message of the run,
    /// its first hop the live session, now held by the server.
    fn live_message(
        &mut self,
        live: &LiveSmtp,
        mail_from: &str,
        rcpt: &str,
        content: &[u8],
        queue_id: &str,
        t: SimTime,
    ) -> MsgId {
        let id = self.next_message_id();
        let (header_from, subject) = header_fields(content);
        let mut m = Message::new(NewMessage {
            id,
            class: MailClass::Legit,
            source: None,
            mail_from: mail_from.into(),
            rcpt: rcpt.into(),
            header_from: if header_from.is_empty() { mail_from.to_string() } else { header_from },
            subject: if subject.is_empty() { "(live message)".to_string() } else { subject },
            forged: false,
            created: live.started,
            origin: live.client.node,
            origin_host: live.client.host,
        });
        m.attempts = 1;
        m.hops.push(Hop {
            from: live.client.node,
            to: live.server,
            from_ip: live.client_ip,
            to_ip: self.nodes[live.server].ip.unwrap_or(Ipv4Addr::UNSPECIFIED),
            port: live.port,
            started: live.started,
            ended: t,
            result: Reply::queued(queue_id).to_string(),
            accepted: true,
            said: live.transcript.iter().map(|l| (l.t, Said::Text(l.who, l.text.as_str().into()))).collect(),
        });
        self.store_message(m);
        self.nodes[live.client.node].counters.sessions_out += 1;
        self.trace.push(t, TraceEvent::Injected { msg: id, node: live.client.node });
        self.trace.push(t, TraceEvent::HopStarted { msg: id, from: live.client.node, to: live.server });
        let result = Reply::queued(queue_id).to_string();
        self.trace
            .push(t, TraceEvent::HopEnded { msg: id, from: live.client.node, to: live.server, accepted: true, result });
        let how = Arrival {
            ehlo: &live.session.helo,
            client_ip: live.client_ip,
            server: &live.session,
            queue_id,
            bytes: content.len() as u64,
        };
        self.accept(id, live.server, t, &how);
        id
    }

    /// A live POP3 login (RFC 1939 `USER`/`PASS`) at `server` from `ip`
    /// now. It is a real login in the world: POP-before-SMTP trusts the
    /// address from now on. The mailbox must exist on the server; the
    /// password is checked against the server's accounts when it has any
    /// (the scenarios before SMTP-AUTH have none: any password opens an
    /// existing mailbox there). Returns the mailbox's address.
    pub fn live_pop_login(
        &mut self,
        server: usize,
        ip: Ipv4Addr,
        user: &str,
        password: &str,
    ) -> Result<String, PopLoginError> {
        let node = &self.nodes[server];
        if !node.mailboxes.contains(user) {
            return Err(PopLoginError::NoMailbox);
        }
        let accounts = node.kind.mail_server().map(|m| m.accounts.as_slice()).unwrap_or(&[]);
        if !accounts.is_empty() && !auth::verify(accounts, user, password) {
            return Err(PopLoginError::BadPassword);
        }
        let t = self.now();
        let node = &mut self.nodes[server];
        node.pop.record(ip, t);
        node.counters.pop_logins += 1;
        Ok(user.to_string())
    }

    /// The messages delivered to `address` at `server`, oldest first.
    pub fn mailbox(&self, server: usize, address: &str) -> Vec<MsgId> {
        self.messages
            .iter()
            .filter(|m| matches!(m.fate, Fate::Delivered { node, .. } if node == server))
            .filter(|m| m.rcpt.eq_ignore_ascii_case(address))
            .map(|m| m.id)
            .collect()
    }

    /// A delivered message as its recipient reads it (RFC 5322, CRLF line
    /// ends): the trace headers the relays added, then `body`, the text the
    /// live client sent; a simulated message gets a short made-up one.
    pub fn message_text(&self, id: MsgId, body: Option<&[u8]>) -> Vec<u8> {
        let Some(m) = self.messages.get(id.0 as usize) else { return Vec::new() };
        let mut text = String::new();
        for h in m.headers() {
            text.push_str(&h.replace('\n', "\r\n"));
            text.push_str("\r\n");
        }
        let mut out = text.into_bytes();
        match body {
            Some(b) => out.extend_from_slice(b),
            None => {
                let date = crate::units::rfc5322_date(self.scenario.start, m.created);
                let made = format!(
                    "From: {}\r\nTo: <{}>\r\nSubject: {}\r\nDate: {date}\r\nMessage-ID: <{}@relaysim>\r\n\r\n\
                     (a simulated message: the simulation keeps no body)\r\n",
                    m.header_from(),
                    m.rcpt,
                    m.subject(),
                    m.id.0
                );
                out.extend_from_slice(made.as_bytes());
            }
        }
        out
    }
}

impl LiveSmtp {
    fn note(&mut self, t: SimTime, who: char, text: String) {
        self.transcript.push(Line { t, who, text });
    }

    fn replies(&mut self, t: SimTime, out: &Output) {
        for r in &out.replies {
            for l in r.lines() {
                self.note(t, 'S', l);
            }
        }
    }

    /// The client's lines as a transcript shows them: commands as typed
    /// (credentials masked), message content as its size only.
    fn client_lines(&mut self, t: SimTime, bytes: &[u8]) {
        use crate::sim::smtp::server::State;
        let mut in_data = *self.session.state() == State::Data;
        // Lines still to come of an AUTH exchange (RFC 4954 §4): masked.
        let mut auth_lines = match self.session.state() {
            State::Auth(crate::sim::smtp::server::AuthStep::LoginUser) => 2,
            State::Auth(_) => 1,
            _ => 0,
        };
        let mut content = 0usize;
        for raw in bytes.split_inclusive(|&b| b == b'\n') {
            if in_data {
                content += raw.len();
                if raw == b".\r\n" || raw == b".\n" {
                    self.note(t, 'C', format!("[message content: {content} octets]"));
                    self.note(t, 'C', ".".to_string());
                    content = 0;
                    in_data = false;
                }
                continue;
            }
            let line = String::from_utf8_lossy(raw);
            let line = line.trim_end_matches(['\r', '\n']);
            let upper = line.to_ascii_uppercase();
            let shown = if auth_lines > 0 {
                auth_lines -= 1;
                "********".to_string()
            } else if let Some(rest) = upper.strip_prefix("AUTH ") {
                let mut words = rest.split_whitespace();
                let mech = words.next().unwrap_or("").to_string();
                let initial = words.next().is_some();
                auth_lines = match (mech.as_str(), initial) {
                    ("LOGIN", false) => 2,
                    ("LOGIN", true) | ("PLAIN", false) => 1,
                    _ => 0,
                };
                if initial { format!("AUTH {mech} ********") } else { format!("AUTH {mech}") }
            } else {
                let mut s = line.to_string();
                if s.len() > TRANSCRIPT_LINE_MAX {
                    let mut cut = TRANSCRIPT_LINE_MAX;
                    while !s.is_char_boundary(cut) {
                        cut -= 1;
                    }
                    s.truncate(cut);
                    s.push_str(" [...]");
                }
                s
            };
            in_data = upper == "DATA";
            self.note(t, 'C', shown);
        }
        if content > 0 {
            self.note(t, 'C', format!("[message content: {content} octets so far]"));
        }
    }
}

/// The `From:` and `Subject:` of a message's header section (unfolded lines only).
fn header_fields(content: &[u8]) -> (String, String) {
    let text = String::from_utf8_lossy(content);
    let (mut from, mut subject) = (String::new(), String::new());
    for line in text.lines() {
        if line.is_empty() {
            break;
        }
        let Some((name, value)) = line.split_once(':') else { continue };
        if name.eq_ignore_ascii_case("from") && from.is_empty() {
            from = value.trim().chars().take(200).collect();
        } else if name.eq_ignore_ascii_case("subject") && subject.is_empty() {
            subject = value.trim().chars().take(200).collect();
        }
    }
    (from, subject)
}

#[cfg(test)]
mod tests {
    use super::header_fields;

    #[test]
    fn header_fields_stop_at_the_body() {
        let (f, s) = header_fields(b"From: Ann <a@x.example>\r\nSubject: hi\r\n\r\nSubject: not this\r\n");
        assert_eq!((f.as_str(), s.as_str()), ("Ann <a@x.example>", "hi"));
    }
}
