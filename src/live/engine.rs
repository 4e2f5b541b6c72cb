//! The engine's side of the live ports: the one thread that owns the
//! simulation answers every live connection through channels. The network
//! threads (`listener.rs`) only move bytes; each request is answered at the
//! simulation's current time, between two of its own events, so the world's
//! own traffic stays exactly what the seed makes it.
//!
//! The CLI (`serve`) calls [`Engine::pump`] in its paced loop; the GUI can
//! call the same once per frame after it advanced the simulation.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::time::Duration;

use serde::Serialize;

use super::pop3::{self, LoginError, Maildrop, Stored};
use crate::sim::smtp::server::Output;
use crate::sim::{LiveClient, LiveSmtp, MsgId, PopLoginError, Simulation};
use crate::units::SimTime;

/// Which simulated service a live port reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    /// An SMTP server (`node`), on simulated `port` (25, 587, 465).
    Smtp { node: usize, port: u16 },
    /// A POP3 server holding mailboxes.
    Pop3 { node: usize },
}

/// A network thread's request.
#[derive(Debug)]
pub enum ToEngine {
    /// A new connection: the engine answers with the greeting.
    Open { conn: u64, service: Service, peer: IpAddr, reply: Sender<FromEngine> },
    /// Bytes from the client: the engine answers (possibly with nothing).
    Data { conn: u64, bytes: Vec<u8> },
    /// The client was silent too long, or the session ran out of time.
    Timeout { conn: u64 },
    /// The connection is gone.
    Closed { conn: u64 },
}

/// The engine's answer to one request (or its shutdown notice).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FromEngine {
    pub bytes: Vec<u8>,
    /// Start TLS after sending `bytes` (the `220` to `STARTTLS`).
    pub starttls: bool,
    pub close: bool,
}

/// Bounds on one live session's work (RFC 5321 §4.5.3 bounds lines and
/// messages; these bound the rest).
#[derive(Debug, Clone, Copy)]
pub struct SessionLimits {
    /// Commands (lines answered) per session; Postfix has no such limit but
    /// bounds errors, so a well-behaved client never meets it.
    pub commands: u32,
}

impl Default for SessionLimits {
    fn default() -> Self {
        SessionLimits { commands: 1000 }
    }
}

/// One live session as the report lists it.
#[derive(Debug, Clone, Serialize)]
pub struct SessionRecord {
    pub protocol: &'static str,
    pub node: String,
    /// The address the simulated server saw.
    pub client_ip: String,
    /// The real peer (a student's machine).
    pub peer: String,
    pub started_s: f64,
    pub ended_s: f64,
    /// Messages handed to the server (their numbers, as `show --message` takes).
    pub messages: Vec<u32>,
    /// The POP3 user logged in, if any.
    pub pop_login: Option<String>,
    /// Why the connection never reached the server, if it did not.
    pub failed: Option<String>,
    /// The last reply the server gave.
    pub last_reply: String,
    /// The dialogue, as `relaysim show` prints a hop's.
    pub transcript: Vec<String>,
}

enum Conn {
    Smtp {
        live: Box<LiveSmtp>,
        reply: Sender<FromEngine>,
        peer: IpAddr,
        commands: u32,
    },
    Pop3 {
        session: Box<pop3::Session>,
        node: usize,
        reply: Sender<FromEngine>,
        started: SimTime,
        record: Box<SessionRecord>,
    },
}

/// The engine's live state: open connections, the bodies of live messages
/// (for POP3 `RETR`), what POP3 clients deleted, and finished sessions.
pub struct Engine {
    rx: Receiver<ToEngine>,
    client: LiveClient,
    limits: SessionLimits,
    conns: BTreeMap<u64, Conn>,
    bodies: HashMap<MsgId, Arc<[u8]>>,
    /// Messages removed from their maildrop by a POP3 `DELE` + `QUIT`.
    removed: BTreeSet<MsgId>,
    pub sessions: Vec<SessionRecord>,
}

impl Engine {
    pub fn new(rx: Receiver<ToEngine>, client: LiveClient, limits: SessionLimits) -> Self {
        Engine {
            rx,
            client,
            limits,
            conns: BTreeMap::new(),
            bodies: HashMap::new(),
            removed: BTreeSet::new(),
            sessions: Vec::new(),
        }
    }

    /// Open live connections.
    pub fn open_connections(&self) -> usize {
        self.conns.len()
    }

    /// Answers requests at the simulation's current time: waits up to
    /// `wait` for the first, then takes every one already queued. Returns
    /// how many it answered.
    pub fn pump(&mut self, sim: &mut Simulation, wait: Duration) -> usize {
        let first = match self.rx.recv_timeout(wait) {
            Ok(r) => r,
            Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => return 0,
        };
        self.handle(sim, first);
        let mut n = 1;
        while let Ok(r) = self.rx.try_recv() {
            self.handle(sim, r);
            n += 1;
        }
        n
    }

    fn handle(&mut self, sim: &mut Simulation, req: ToEngine) {
        match req {
            ToEngine::Open { conn, service, peer, reply } => self.open(sim, conn, service, peer, reply),
            ToEngine::Data { conn, bytes } => self.data(sim, conn, &bytes),
            ToEngine::Timeout { conn } => self.timeout(sim, conn),
            ToEngine::Closed { conn } => self.close(sim, conn),
        }
    }

    fn open(&mut self, sim: &mut Simulation, conn: u64, service: Service, peer: IpAddr, reply: Sender<FromEngine>) {
        match service {
            Service::Smtp { node, port } => {
                let (live, out) = sim.live_smtp_open(self.client, node, port);
                let _ = reply.send(answer(&out, false));
                let live = Box::new(live);
                if out.close {
                    if let Some(why) = &live.failed {
                        // For the teacher's terminal: why a student's client saw nothing.
                        eprintln!("live: connection from {peer} to {}: {why}", sim.nodes[node].id);
                    }
                    self.sessions.push(smtp_record(sim, &live, peer));
                } else {
                    self.conns.insert(conn, Conn::Smtp { live, reply, peer, commands: 0 });
                }
            }
            Service::Pop3 { node } => {
                let session = Box::new(pop3::Session::new(&sim.nodes[node].hostname));
                let _ = reply.send(FromEngine { bytes: session.greeting(), ..FromEngine::default() });
                let ip = sim.live_client_ip(self.client);
                let t = sim.now();
                let record = SessionRecord {
                    protocol: "pop3",
                    node: sim.nodes[node].id.clone(),
                    client_ip: ip.to_string(),
                    peer: peer.to_string(),
                    started_s: t as f64 / 1000.0,
                    ended_s: t as f64 / 1000.0,
                    messages: Vec::new(),
                    pop_login: None,
                    failed: None,
                    last_reply: String::new(),
                    transcript: vec![format!("S: {}", String::from_utf8_lossy(&session.greeting()).trim_end())],
                };
                self.conns.insert(conn, Conn::Pop3 { session, node, reply, started: t, record: Box::new(record) });
            }
        }
    }

    fn data(&mut self, sim: &mut Simulation, conn: u64, bytes: &[u8]) {
        let limit = self.limits.commands;
        let Some(c) = self.conns.get_mut(&conn) else { return };
        let done = match c {
            Conn::Smtp { live, reply, commands, .. } => {
                let was_tls = live.session.tls;
                let (mut out, made) = sim.live_smtp_receive(live, bytes);
                for m in made {
                    self.bodies.insert(m.id, m.content);
                }
                *commands = commands.saturating_add(out.replies.len() as u32);
                if *commands > limit && !out.close {
                    // Bounded: a session gets so many answers, then 421 (Postfix's wording).
                    let host = sim.nodes[live.server].hostname.clone();
                    let r = crate::sim::smtp::Reply::new(421, format!("4.7.0 {host} Error: too many commands"));
                    out.replies.push(r);
                    out.close = true;
                }
                let starttls = !was_tls && live.session.tls;
                let _ = reply.send(answer(&out, starttls));
                out.close
            }
            Conn::Pop3 { session, node, reply, record, .. } => {
                let ip = sim.live_client_ip(self.client);
                let node = *node;
                let mut drop = Mailbox { sim, node, ip, bodies: &self.bodies, removed: &self.removed };
                let out = session.receive(bytes, &mut drop);
                for line in String::from_utf8_lossy(bytes).lines() {
                    let upper = line.to_ascii_uppercase();
                    let shown = if upper.starts_with("PASS") { "PASS ********".to_string() } else { line.to_string() };
                    record.transcript.push(format!("C: {shown}"));
                }
                let text = String::from_utf8_lossy(&out.bytes);
                for line in text.lines().filter(|l| l.starts_with("+OK") || l.starts_with("-ERR")) {
                    record.transcript.push(format!("S: {line}"));
                    record.last_reply = line.to_string();
                }
                if let Some(u) = &out.logged_in {
                    record.pop_login = Some(u.clone());
                }
                self.removed.extend(out.removed.iter().map(|&id| MsgId(id as u32)));
                let _ = reply.send(FromEngine { bytes: out.bytes, starttls: false, close: out.close });
                out.close
            }
        };
        if done {
            self.close(sim, conn);
        }
    }

    fn timeout(&mut self, sim: &mut Simulation, conn: u64) {
        let Some(c) = self.conns.get_mut(&conn) else { return };
        match c {
            Conn::Smtp { live, reply, .. } => {
                let out = sim.live_smtp_timeout(live);
                let _ = reply.send(FromEngine { close: true, ..answer(&out, false) });
            }
            Conn::Pop3 { reply, .. } => {
                // RFC 1939 §3: an idle client is logged out without UPDATE.
                let bytes = b"-ERR autologout: idle too long\r\n".to_vec();
                let _ = reply.send(FromEngine { bytes, starttls: false, close: true });
            }
        }
        self.close(sim, conn);
    }

    fn close(&mut self, sim: &mut Simulation, conn: u64) {
        let Some(c) = self.conns.remove(&conn) else { return };
        let t = sim.now();
        match c {
            Conn::Smtp { live, peer, .. } => self.sessions.push(smtp_record(sim, &live, peer)),
            Conn::Pop3 { mut record, started, .. } => {
                record.started_s = started as f64 / 1000.0;
                record.ended_s = t as f64 / 1000.0;
                self.sessions.push(*record);
            }
        }
    }

    /// Ends every open session: SMTP clients get `421 4.3.2 … shutting
    /// down` (RFC 5321 §3.8), POP3 clients `-ERR` (no UPDATE, §6).
    pub fn shutdown(&mut self, sim: &mut Simulation) {
        let open: Vec<u64> = self.conns.keys().copied().collect();
        for conn in open {
            if let Some(c) = self.conns.get(&conn) {
                let bytes = match c {
                    Conn::Smtp { live, .. } => format!(
                        "421 4.3.2 {} Service shutting down, closing transmission channel\r\n",
                        // The run may have been replaced (a reload, the window's
                        // edit mode): its nodes are not the session's.
                        sim.nodes.get(live.server).map_or("relaysim", |n| n.hostname.as_str())
                    ),
                    Conn::Pop3 { .. } => "-ERR server shutting down\r\n".to_string(),
                };
                let reply = match c {
                    Conn::Smtp { reply, .. } | Conn::Pop3 { reply, .. } => reply,
                };
                let _ = reply.send(FromEngine { bytes: bytes.into_bytes(), starttls: false, close: true });
            }
            self.close(sim, conn);
        }
    }
}

/// The bytes of the server's replies.
fn answer(out: &Output, starttls: bool) -> FromEngine {
    let mut bytes = Vec::new();
    for r in &out.replies {
        for l in r.lines() {
            bytes.extend_from_slice(l.as_bytes());
            bytes.extend_from_slice(b"\r\n");
        }
    }
    FromEngine { bytes, starttls, close: out.close }
}

fn smtp_record(sim: &Simulation, live: &LiveSmtp, peer: IpAddr) -> SessionRecord {
    let fmt = |l: &crate::sim::message::Line| format!("{}: {}", l.who, l.text);
    SessionRecord {
        protocol: "smtp",
        node: sim.nodes.get(live.server).map_or_else(|| "(run replaced)".to_string(), |n| n.id.clone()),
        client_ip: live.client_ip.to_string(),
        peer: peer.to_string(),
        started_s: live.started as f64 / 1000.0,
        ended_s: sim.now() as f64 / 1000.0,
        messages: live.messages.iter().map(|m| m.0).collect(),
        pop_login: None,
        failed: live.failed.clone(),
        last_reply: live.transcript.iter().rev().find(|l| l.who == 'S').map(|l| l.text.clone()).unwrap_or_default(),
        transcript: live.transcript.iter().map(fmt).collect(),
    }
}

/// The maildrop of a POP3 login: the messages the simulation delivered
/// to the mailbox, less those a POP3 client removed.
struct Mailbox<'a> {
    sim: &'a mut Simulation,
    node: usize,
    ip: std::net::Ipv4Addr,
    bodies: &'a HashMap<MsgId, Arc<[u8]>>,
    removed: &'a BTreeSet<MsgId>,
}

impl Maildrop for Mailbox<'_> {
    fn login(&mut self, user: &str, password: &str) -> Result<Vec<Stored>, LoginError> {
        let address = self.sim.live_pop_login(self.node, self.ip, user, password).map_err(|e| match e {
            PopLoginError::NoMailbox => LoginError::NoMailbox,
            PopLoginError::BadPassword => LoginError::BadPassword,
        })?;
        let ids = self.sim.mailbox(self.node, &address);
        Ok(ids
            .into_iter()
            .filter(|id| !self.removed.contains(id))
            .map(|id| Stored {
                id: u64::from(id.0),
                text: self.sim.message_text(id, self.bodies.get(&id).map(|b| &b[..])),
            })
            .collect())
    }
}
