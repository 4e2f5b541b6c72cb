//! The sockets: one thread accepts on each live port, one thread per
//! connection moves bytes between the client and the engine (`engine.rs`),
//! with TLS where the port or `STARTTLS` asks for it.
//!
//! Safety, by construction: this module only ever calls `bind` and
//! `accept`; nothing here (or anywhere in `live`) opens a connection out.
//! Bounded: connections in all and per client address (excess gets
//! Postfix's `421 4.7.0 … too many connections` and a close), bytes per read,
//! idle time and session time (then the server's `421 4.4.2`).

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rustls::{ServerConfig, ServerConnection, StreamOwned};

use super::engine::{FromEngine, Service, ToEngine};

/// Bounds on the live ports (Postfix defaults where it has one).
#[derive(Debug, Clone, Copy)]
pub struct Bounds {
    /// Open connections in all (Postfix `default_process_limit`, 100).
    pub connections: usize,
    /// Open connections from one address (Postfix
    /// `smtpd_client_connection_count_limit`, 50).
    pub per_client: usize,
    /// An SMTP client silent this long is disconnected (Postfix `smtpd_timeout`, 300 s).
    pub idle: Duration,
    /// The same for POP3: RFC 1939 §3 asks for at least 10 minutes.
    pub pop3_idle: Duration,
    /// The longest session (Postfix has none; a classroom needs one).
    pub session: Duration,
}

impl Default for Bounds {
    fn default() -> Self {
        Bounds {
            connections: 100,
            per_client: 50,
            idle: Duration::from_secs(300),
            pop3_idle: Duration::from_secs(600),
            session: Duration::from_secs(3600),
        }
    }
}

/// Bytes read from a socket at a time (a line is at most 1000 octets; a
/// message arrives in many reads).
const READ_CHUNK: usize = 16 * 1024;
/// How often a blocked read wakes to check the stop flag and the timers.
const TICK: Duration = Duration::from_millis(100);
/// How long a connection thread waits for the engine's answer.
const ENGINE_WAIT: Duration = Duration::from_secs(60);

/// One live port.
#[derive(Debug, Clone)]
pub struct Port {
    pub addr: SocketAddr,
    pub service: Service,
    /// Port 465: TLS from the first byte (RFC 8314 §3.3).
    pub implicit_tls: bool,
}

/// The running listeners.
pub struct Listeners {
    stop: Arc<AtomicBool>,
    accept_threads: Vec<JoinHandle<()>>,
    conn_threads: Arc<Mutex<Vec<JoinHandle<()>>>>,
    /// The addresses actually bound (port 0 becomes a real port).
    pub bound: Vec<SocketAddr>,
}

struct Shared {
    tx: Sender<ToEngine>,
    tls: Option<Arc<ServerConfig>>,
    bounds: Bounds,
    stop: Arc<AtomicBool>,
    next_conn: AtomicU64,
    open: Mutex<HashMap<IpAddr, usize>>,
    conn_threads: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

/// Binds every port (all or none) and starts accepting.
pub fn start(
    ports: &[Port],
    tx: Sender<ToEngine>,
    tls: Option<Arc<ServerConfig>>,
    bounds: Bounds,
) -> io::Result<Listeners> {
    let mut sockets = Vec::new();
    for p in ports {
        let l = TcpListener::bind(p.addr).map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", p.addr)))?;
        l.set_nonblocking(true)?;
        sockets.push((l, p.clone()));
    }
    let stop = Arc::new(AtomicBool::new(false));
    let conn_threads = Arc::new(Mutex::new(Vec::new()));
    let shared = Arc::new(Shared {
        tx,
        tls,
        bounds,
        stop: Arc::clone(&stop),
        next_conn: AtomicU64::new(1),
        open: Mutex::new(HashMap::new()),
        conn_threads: Arc::clone(&conn_threads),
    });
    let mut bound = Vec::new();
    let mut accept_threads = Vec::new();
    for (l, p) in sockets {
        bound.push(l.local_addr()?);
        let shared = Arc::clone(&shared);
        accept_threads.push(std::thread::spawn(move || accept_loop(l, p, shared)));
    }
    Ok(Listeners { stop, accept_threads, conn_threads, bound })
}

impl Listeners {
    /// Stops accepting; open connections end when the engine tells them
    /// (its shutdown) or at their next tick.
    pub fn stop_accepting(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        for h in self.accept_threads.drain(..) {
            let _ = h.join();
        }
    }

    /// Waits up to `limit` for the connection threads to finish.
    pub fn join(&mut self, limit: Duration) {
        let deadline = Instant::now() + limit;
        let handles: Vec<JoinHandle<()>> = std::mem::take(&mut *lock(&self.conn_threads));
        for h in handles {
            while !h.is_finished() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(10));
            }
            if h.is_finished() {
                let _ = h.join();
            }
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn accept_loop(l: TcpListener, port: Port, shared: Arc<Shared>) {
    while !shared.stop.load(Ordering::SeqCst) {
        match l.accept() {
            Ok((stream, peer)) => admit(stream, peer, &port, &shared),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => std::thread::sleep(Duration::from_millis(20)),
            Err(_) => std::thread::sleep(Duration::from_millis(20)),
        }
    }
}

/// Counts the connection in, or refuses it over the bounds.
fn admit(mut stream: TcpStream, peer: SocketAddr, port: &Port, shared: &Arc<Shared>) {
    let ip = peer.ip();
    let refused = {
        let mut open = lock(&shared.open);
        let total: usize = open.values().sum();
        let mine = open.get(&ip).copied().unwrap_or(0);
        if total >= shared.bounds.connections || mine >= shared.bounds.per_client {
            true
        } else {
            *open.entry(ip).or_default() += 1;
            false
        }
    };
    if refused {
        // Postfix (anvil): `421 4.7.0 <host> Error: too many connections from <ip>`.
        let text = match port.service {
            Service::Smtp { .. } => format!("421 4.7.0 Error: too many connections from {ip}\r\n"),
            Service::Pop3 { .. } => "-ERR [SYS/TEMP] too many connections\r\n".to_string(),
        };
        if !port.implicit_tls {
            let _ = stream.set_nonblocking(false);
            let _ = stream.write_all(text.as_bytes());
        }
        return;
    }
    let conn = shared.next_conn.fetch_add(1, Ordering::SeqCst);
    let (shared2, port) = (Arc::clone(shared), port.clone());
    let h = std::thread::spawn(move || {
        let _ = serve_connection(stream, conn, ip, &port, &shared2);
        let _ = shared2.tx.send(ToEngine::Closed { conn });
        let mut open = lock(&shared2.open);
        if let Some(n) = open.get_mut(&ip) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                open.remove(&ip);
            }
        }
    });
    let mut threads = lock(&shared.conn_threads);
    threads.retain(|h| !h.is_finished());
    threads.push(h);
}

/// A plain or TLS stream.
enum Io {
    Plain(TcpStream),
    Tls(Box<StreamOwned<ServerConnection, TcpStream>>),
    Gone,
}

impl Io {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Io::Plain(s) => s.read(buf),
            Io::Tls(s) => s.read(buf),
            Io::Gone => Ok(0),
        }
    }
    fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        match self {
            Io::Plain(s) => s.write_all(bytes).and_then(|_| s.flush()),
            Io::Tls(s) => s.write_all(bytes).and_then(|_| s.flush()),
            Io::Gone => Ok(()),
        }
    }
    fn upgrade(self, cfg: &Arc<ServerConfig>) -> io::Result<Io> {
        match self {
            Io::Plain(s) => {
                let conn = ServerConnection::new(Arc::clone(cfg)).map_err(io::Error::other)?;
                Ok(Io::Tls(Box::new(StreamOwned::new(conn, s))))
            }
            other => Ok(other),
        }
    }
    fn shutdown(&mut self) {
        match self {
            Io::Plain(s) => {
                let _ = s.shutdown(std::net::Shutdown::Both);
            }
            Io::Tls(s) => {
                s.conn.send_close_notify();
                let _ = s.flush();
                let _ = s.sock.shutdown(std::net::Shutdown::Both);
            }
            Io::Gone => {}
        }
    }
}

fn serve_connection(stream: TcpStream, conn: u64, ip: IpAddr, port: &Port, shared: &Shared) -> io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(TICK))?;
    stream.set_nodelay(true)?;
    let mut io = Io::Plain(stream);
    if port.implicit_tls {
        let Some(cfg) = &shared.tls else { return Ok(()) };
        io = io.upgrade(cfg)?;
    }
    let (reply_tx, reply_rx) = mpsc::channel();
    shared
        .tx
        .send(ToEngine::Open { conn, service: port.service, peer: ip, reply: reply_tx })
        .map_err(io::Error::other)?;
    let started = Instant::now();
    let idle = match port.service {
        Service::Smtp { .. } => shared.bounds.idle,
        Service::Pop3 { .. } => shared.bounds.pop3_idle,
    };
    let mut last = Instant::now();
    let mut buf = vec![0u8; READ_CHUNK];
    let mut waiting = true; // for the greeting
    loop {
        // The engine's answer to the last request (or its shutdown notice).
        let msg = if waiting {
            waiting = false;
            match reply_rx.recv_timeout(ENGINE_WAIT) {
                Ok(m) => Some(m),
                Err(_) => break,
            }
        } else {
            reply_rx.try_recv().ok()
        };
        if let Some(FromEngine { bytes, starttls, close }) = msg {
            io.send(&bytes)?;
            if close {
                break;
            }
            if starttls {
                let Some(cfg) = &shared.tls else { break };
                io = std::mem::replace(&mut io, Io::Gone).upgrade(cfg)?;
            }
        }
        if shared.stop.load(Ordering::SeqCst) {
            // The engine's shutdown notice (`421 4.3.2`) comes on the
            // channel; without it (the engine is gone), just close.
            if let Ok(FromEngine { bytes, .. }) = reply_rx.recv_timeout(Duration::from_secs(2)) {
                let _ = io.send(&bytes);
            }
            break;
        }
        if last.elapsed() >= idle || started.elapsed() >= shared.bounds.session {
            let _ = shared.tx.send(ToEngine::Timeout { conn });
            waiting = true;
            last = Instant::now();
            continue;
        }
        match io.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                last = Instant::now();
                shared.tx.send(ToEngine::Data { conn, bytes: buf[..n].to_vec() }).map_err(io::Error::other)?;
                waiting = true;
            }
            Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    io.shutdown();
    Ok(())
}
