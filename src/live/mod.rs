//! Live ports: real mail clients (telnet, swaks, Python's smtplib and
//! poplib, Thunderbird) talk to the simulated world (`relaysim serve`).
//!
//! The core stays free of sockets: the simulation's live sessions
//! (`sim::simulation::live`) take bytes and the current simulated time.
//! Here are the rest: which port maps to which simulated server (`spec`
//! below), the sockets and threads (`listener.rs`), TLS (`tls.rs`), POP3
//! (`pop3.rs`), the wall-clock pacing (`pacing.rs`) and the engine's side
//! that answers the network threads through channels (`engine.rs`).
//!
//! Safety: ports bind to loopback unless `--listen-any`; nothing here
//! connects out (the listener only binds and accepts); connections, lines,
//! messages, commands and time per session are bounded; nothing is written
//! to disk (the caller writes `--out`).

pub mod engine;
pub mod listener;
pub mod pacing;
pub mod pop3;
pub mod report;
pub mod tls;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use crate::scenario::NodeKind;
use crate::sim::{LiveClient, Simulation};
use crate::units::SimTime;
use engine::{Engine, Service, SessionLimits};
use listener::{Bounds, Listeners, Port};

/// `--smtp ADDR:PORT=NODE[:SIMPORT]` or `--pop3 ADDR:PORT=NODE`, as typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortSpec {
    pub addr: SocketAddr,
    pub node: String,
    /// The port the simulated world sees (SMTP only): 25, 587 or 465.
    pub sim_port: Option<u16>,
}

impl std::str::FromStr for PortSpec {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (addr, node) = s
            .split_once('=')
            .ok_or_else(|| format!("expected ADDR:PORT=NODE (e.g. 127.0.0.1:2525=relay-a), got {s:?}"))?;
        let addr: SocketAddr =
            addr.parse().map_err(|_| format!("{addr:?} is not an address with a port (e.g. 127.0.0.1:2525)"))?;
        let (node, sim_port) = match node.rsplit_once(':') {
            Some((n, p)) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => {
                let p: u16 = p.parse().map_err(|_| format!("bad simulated port {p:?}"))?;
                (n, Some(p))
            }
            _ => (node, None),
        };
        if node.is_empty() {
            return Err(format!("no node id after '=' in {s:?}"));
        }
        Ok(PortSpec { addr, node: node.to_string(), sim_port })
    }
}

/// `--client-at NODE[/HOST]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientSpec {
    pub node: String,
    pub host: u32,
}

impl std::str::FromStr for ClientSpec {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.split_once('/') {
            Some((n, h)) => {
                let host = h.parse().map_err(|_| format!("bad host number {h:?} in {s:?} (NODE/N)"))?;
                Ok(ClientSpec { node: n.to_string(), host })
            }
            None => Ok(ClientSpec { node: s.to_string(), host: 0 }),
        }
    }
}

/// What `serve` (and the GUI) are asked to open.
#[derive(Debug, Clone, Default)]
pub struct LiveOptions {
    pub smtp: Vec<PortSpec>,
    pub pop3: Vec<PortSpec>,
    pub client_at: Option<ClientSpec>,
    /// Accept addresses other than loopback (a classroom LAN).
    pub listen_any: bool,
    pub bounds: Option<Bounds>,
    pub commands: Option<u32>,
}

impl LiveOptions {
    pub fn is_empty(&self) -> bool {
        self.smtp.is_empty() && self.pop3.is_empty()
    }
}

/// Why the live ports could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    #[error(
        "{0}: not a loopback address; the live ports listen on loopback only unless --listen-any is given (for a classroom network)"
    )]
    NotLoopback(SocketAddr),
    #[error("no node {0:?} in this scenario")]
    UnknownNode(String),
    #[error("--smtp {addr}: node {node:?} is a {kind}, not a mail server")]
    NotSmtp { addr: SocketAddr, node: String, kind: &'static str },
    #[error("--smtp {addr}: {node:?} does not listen on port {port} in this scenario (it listens on {ports})")]
    NotListening { addr: SocketAddr, node: String, port: u16, ports: String },
    #[error("--pop3 {addr}: node {node:?} holds no mailboxes")]
    NoMailboxes { addr: SocketAddr, node: String },
    #[error("--client-at {0}: a live client sits at a ClientPc, a Population (NODE/N for host N) or a SpamBot")]
    NotAClient(String),
    #[error("--client-at {node}/{host}: the population has {count} hosts")]
    NoSuchHost { node: String, host: u32, count: u32 },
    #[error("--client-at is needed: the scenario has no ClientPc to put the live client at")]
    NoClient,
    #[error("--speed {0}: give a number above 0 (1 = real time, 60 = a minute per second)")]
    BadSpeed(f64),
    #[error(transparent)]
    Tls(#[from] tls::TlsError),
    #[error("cannot listen: {0}")]
    Io(#[from] std::io::Error),
}

/// The live ports, running: the network threads and the engine's side.
pub struct Live {
    pub engine: Engine,
    pub listeners: Listeners,
    /// One `listening: …` line per port, for stdout.
    pub ready_lines: Vec<String>,
    /// The certificate's fingerprint (`tls: self-signed certificate, SHA-256 …`).
    pub tls_line: String,
    /// Warnings (e.g. --listen-any), for stderr.
    pub warnings: Vec<String>,
}

/// The simulated port a listener stands for: as given, else the real port
/// when it is 25, 587 or 465, else 25.
fn sim_port(spec: &PortSpec) -> u16 {
    spec.sim_port.unwrap_or(match spec.addr.port() {
        p @ (25 | 465 | 587) => p,
        _ => 25,
    })
}

/// Resolves `--client-at` (default: the first ClientPc).
pub fn client_of(sim: &Simulation, spec: Option<&ClientSpec>) -> Result<LiveClient, LiveError> {
    let Some(spec) = spec else {
        let node = sim.nodes.iter().position(|n| matches!(n.kind, NodeKind::ClientPc(_))).ok_or(LiveError::NoClient)?;
        return Ok(LiveClient { node, host: 0 });
    };
    let node = sim.find_node(&spec.node).ok_or_else(|| LiveError::UnknownNode(spec.node.clone()))?;
    match &sim.nodes[node].kind {
        NodeKind::ClientPc(_) | NodeKind::SpamBot(_) if spec.host == 0 => {}
        NodeKind::Population(p) if spec.host < p.count => {}
        NodeKind::Population(p) => {
            return Err(LiveError::NoSuchHost { node: spec.node.clone(), host: spec.host, count: p.count });
        }
        _ => return Err(LiveError::NotAClient(spec.node.clone())),
    }
    Ok(LiveClient { node, host: spec.host })
}

/// Checks the options against the world, binds every port and starts the
/// network threads. Nothing is bound unless every port is valid.
pub fn start(sim: &Simulation, opts: &LiveOptions) -> Result<Live, LiveError> {
    let client = client_of(sim, opts.client_at.as_ref())?;
    let mut warnings = Vec::new();
    let mut ports = Vec::new();
    let mut ready_lines = Vec::new();
    let mut names = vec!["localhost".to_string()];
    for (spec, pop) in opts.smtp.iter().map(|s| (s, false)).chain(opts.pop3.iter().map(|s| (s, true))) {
        if !spec.addr.ip().is_loopback() && !opts.listen_any {
            return Err(LiveError::NotLoopback(spec.addr));
        }
        let node = sim.find_node(&spec.node).ok_or_else(|| LiveError::UnknownNode(spec.node.clone()))?;
        let n = &sim.nodes[node];
        names.push(n.hostname.clone());
        let service = if pop {
            if n.mailboxes.domains().is_empty() && !matches!(n.kind, NodeKind::MailboxServer(_)) {
                return Err(LiveError::NoMailboxes { addr: spec.addr, node: spec.node.clone() });
            }
            Service::Pop3 { node }
        } else {
            if n.kind.mail_server().is_none() {
                return Err(LiveError::NotSmtp { addr: spec.addr, node: spec.node.clone(), kind: n.kind.name() });
            }
            let port = sim_port(spec);
            if !n.listens(port) {
                let ports = n.ports.iter().map(|p| p.to_string()).collect::<Vec<_>>().join(", ");
                return Err(LiveError::NotListening { addr: spec.addr, node: spec.node.clone(), port, ports });
            }
            Service::Smtp { node, port }
        };
        let implicit_tls = matches!(service, Service::Smtp { port: 465, .. });
        ports.push(Port { addr: spec.addr, service, implicit_tls });
    }
    if opts.listen_any && ports.iter().any(|p| !p.addr.ip().is_loopback()) {
        warnings.push(
            "warning: --listen-any: the live ports accept connections from other machines on this network".into(),
        );
    }
    names.sort();
    names.dedup();
    let tls = tls::self_signed(names)?;
    let tls_line = format!("tls: self-signed certificate, SHA-256 fingerprint {}", tls.fingerprint);
    let (tx, rx) = mpsc::channel();
    let listeners = listener::start(&ports, tx, Some(tls.config), opts.bounds.unwrap_or_default())?;
    for (p, addr) in ports.iter().zip(&listeners.bound) {
        // As typed in --smtp: the simulated port follows the node when it is not 25.
        let (proto, node, extra) = match p.service {
            Service::Smtp { node, port: 25 } => ("smtp", node, String::new()),
            Service::Smtp { node, port } => ("smtp", node, format!(":{port}")),
            Service::Pop3 { node } => ("pop3", node, String::new()),
        };
        ready_lines.push(format!("listening: {proto} {addr} -> {}{extra}", sim.nodes[node].id));
    }
    let limits = SessionLimits { commands: opts.commands.unwrap_or(SessionLimits::default().commands) };
    Ok(Live { engine: Engine::new(rx, client, limits), listeners, ready_lines, tls_line, warnings })
}

impl Live {
    /// Stops accepting, ends every open session cleanly and waits (a
    /// little) for the network threads.
    pub fn stop(&mut self, sim: &mut Simulation) {
        self.listeners.stop_accepting();
        self.engine.shutdown(sim);
        self.listeners.join(Duration::from_secs(3));
        // The threads' last words (their `Closed`) need no answer.
        while self.engine.pump(sim, Duration::from_millis(1)) > 0 {}
    }
}

/// Runs the simulation paced to the wall clock (`speed` simulated seconds
/// per second), answering the live ports, until `stop` is set or the
/// simulated clock reaches `until`.
pub fn run_paced(sim: &mut Simulation, live: &mut Live, speed: f64, stop: &AtomicBool, until: Option<SimTime>) {
    let pacer = pacing::Pacer::new(sim.now(), speed);
    // The world's events run in slices, so that a fast speed still answers
    // live clients between them.
    const SLICE_MS: u64 = 60_000;
    while !stop.load(Ordering::SeqCst) && until.is_none_or(|end| sim.now() < end) {
        let target = until.map_or(pacer.now(), |end| pacer.now().min(end));
        while sim.now() < target {
            let next = target.min(sim.now().saturating_add(SLICE_MS));
            sim.run_events_until(next);
            live.engine.pump(sim, Duration::ZERO);
        }
        live.engine.pump(sim, Duration::from_millis(10));
    }
}

/// Sets `flag` on SIGINT (Ctrl-C) or SIGTERM.
pub fn stop_on_signal(flag: Arc<AtomicBool>) -> Result<(), String> {
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(signal, Arc::clone(&flag)).map_err(|e| format!("cannot handle signals: {e}"))?;
    }
    Ok(())
}

/// Checks `--speed`.
pub fn check_speed(speed: f64) -> Result<f64, LiveError> {
    if speed.is_finite() && speed > 0.0 && speed <= 1e6 { Ok(speed) } else { Err(LiveError::BadSpeed(speed)) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_specs_parse() {
        let s: PortSpec = "127.0.0.1:2525=relay-a".parse().unwrap();
        assert_eq!((s.addr.port(), s.node.as_str(), s.sim_port), (2525, "relay-a", None));
        let s: PortSpec = "127.0.0.1:2587=relay-a:587".parse().unwrap();
        assert_eq!((s.node.as_str(), s.sim_port, sim_port(&s)), ("relay-a", Some(587), 587));
        let s: PortSpec = "[::1]:465=mx".parse().unwrap();
        assert_eq!(sim_port(&s), 465);
        assert!("relay-a".parse::<PortSpec>().is_err());
        assert!("localhost:25=relay-a".parse::<PortSpec>().is_err());
        let c: ClientSpec = "pop-a/7".parse().unwrap();
        assert_eq!((c.node.as_str(), c.host), ("pop-a", 7));
    }
}
