//! `relaysim serve` with real clients: the built program on free loopback
//! ports, driven by Python's smtplib and poplib and by swaks, as a student
//! would (issue 16 §4). Each test starts its own server on port 0 (the
//! `listening:` line says which port it got), so tests run in parallel.
//!
//! Never a wall-clock assertion: a test polls with generous timeouts and
//! fails only when something never happens. Python 3 and swaks are
//! required; a test fails with a clear message when one is missing.

#![cfg(feature = "cli")]

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A running `relaysim serve`.
struct Serve {
    child: Child,
    /// The bound port of each `--smtp`/`--pop3`, in the order given.
    ports: Vec<u16>,
    rest: mpsc::Receiver<String>,
}

impl Serve {
    fn start(args: &[&str]) -> Serve {
        let mut child = Command::new(env!("CARGO_BIN_EXE_relaysim"))
            .arg("serve")
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start relaysim serve");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let wanted = args.iter().filter(|a| **a == "--smtp" || **a == "--pop3").count();
        let mut ports = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        while ports.len() < wanted {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = match rx.recv_timeout(left) {
                Ok(l) => l,
                Err(_) => {
                    let _ = child.kill();
                    let mut err = String::new();
                    let _ = child.stderr.take().unwrap().read_to_string(&mut err);
                    panic!("serve {args:?} printed no `listening:` line for every port; stderr:\n{err}");
                }
            };
            if let Some(rest) = line.strip_prefix("listening: ") {
                let addr = rest.split_whitespace().nth(1).unwrap();
                ports.push(addr.rsplit_once(':').unwrap().1.parse().unwrap());
            }
        }
        Serve { child, ports, rest: rx }
    }

    /// SIGTERM, then everything it printed after the ready lines.
    fn stop(mut self) -> (bool, String) {
        // The shell's own `kill` (no procps needed).
        let status = Command::new("sh").arg("-c").arg(format!("kill -TERM {}", self.child.id())).status();
        assert!(status.is_ok_and(|s| s.success()), "kill -TERM failed");
        let deadline = Instant::now() + Duration::from_secs(60);
        let exited = loop {
            if let Some(st) = self.child.try_wait().unwrap() {
                break st.success();
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("serve did not stop within 60 s of SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let mut out = String::new();
        while let Ok(l) = self.rest.recv_timeout(Duration::from_secs(5)) {
            out.push_str(&l);
            out.push('\n');
        }
        (exited, out)
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The clients, in Python: `smtp` sends one mail and prints the outcome as
/// `CODE text`; `pop` logs in and prints `COUNT` then each message.
const CLIENT: &str = r#"
import sys, smtplib, poplib, ssl
mode = sys.argv[1]
if mode == "smtp":
    port, sender, rcpt, subject, tls, user, pw = sys.argv[2:9]
    body = "From: %s\r\nTo: %s\r\nSubject: %s\r\n\r\nHello from a real mail client.\r\n.a line with a dot\r\n" % (sender, rcpt, subject)
    s = smtplib.SMTP("127.0.0.1", int(port), local_hostname="student-pc", timeout=60)
    s.ehlo()
    if tls == "tls":
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        s.starttls(context=ctx)
        s.ehlo()
    if user != "-":
        s.login(user, pw)
    try:
        s.sendmail(sender, [rcpt], body)
        print("250 sent")
    except smtplib.SMTPRecipientsRefused as e:
        code, msg = list(e.recipients.values())[0]
        print(code, msg.decode())
    except smtplib.SMTPResponseException as e:
        print(e.smtp_code, e.smtp_error.decode())
    s.quit()
elif mode == "pop":
    port, user, pw = sys.argv[2:5]
    p = poplib.POP3("127.0.0.1", int(port), timeout=60)
    p.user(user)
    p.pass_(pw)
    n, _ = p.stat()
    print(n)
    for i in range(1, n + 1):
        print("\n".join(l.decode() for l in p.retr(i)[1]))
    p.quit()
"#;

fn python(args: &[&str]) -> String {
    let out = Command::new("python3")
        .arg("-c")
        .arg(CLIENT)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("python3 is required for the live tests (apt-get install python3): {e}"));
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "python {args:?} failed:\n{text}\n{}", String::from_utf8_lossy(&out.stderr));
    text
}

fn smtp(port: u16, from: &str, to: &str, subject: &str) -> String {
    python(&["smtp", &port.to_string(), from, to, subject, "plain", "-", "-"]).trim().to_string()
}

/// Polls `pop` until the mailbox holds a message with `subject` (the
/// simulation relays at its own pace).
fn fetch(port: u16, user: &str, pw: &str, subject: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let got = python(&["pop", &port.to_string(), user, pw]);
        if got.contains(subject) {
            return got;
        }
        assert!(Instant::now() < deadline, "no message {subject:?} for {user} within 60 s; last listing:\n{got}");
        std::thread::sleep(Duration::from_millis(300));
    }
}

fn p(port: u16) -> String {
    port.to_string()
}

#[test]
fn era1_open_relay_delivers_and_pop3_fetches_it_back() {
    let s = Serve::start(&[
        "era:1",
        "--smtp",
        "127.0.0.1:0=relay-a",
        "--pop3",
        "127.0.0.1:0=relay-a",
        "--client-at",
        "alice",
    ]);
    // The open relay takes mail for its own users from anyone.
    let r = smtp(s.ports[0], "student@isp-a.example", "user4@isp-a.example", "lab one");
    assert_eq!(r, "250 sent");
    let got = fetch(s.ports[1], "user4@isp-a.example", "any", "lab one");
    assert!(got.contains("Received: from student-pc"), "{got}");
    assert!(got.contains(".a line with a dot"), "dot-stuffing undone both ways:\n{got}");
    let (ok, report) = s.stop();
    assert!(ok, "serve exits 0 on SIGTERM");
    assert!(report.contains("Live sessions: 2"), "{report}");
}

#[test]
fn era1_open_relay_relays_for_an_outsider_and_era2_refuses() {
    // Era 1: relay-a relays anywhere for anyone.
    let s = Serve::start(&["era:1", "--smtp", "127.0.0.1:0=relay-a", "--client-at", "ken", "--format", "json"]);
    assert_eq!(smtp(s.ports[0], "ken@isp-a.example", "bob@company.example", "via the open relay"), "250 sent");
    let (ok, out) = s.stop();
    assert!(ok);
    let json: serde_json::Value = serde_json::from_str(&out[out.find('{').unwrap()..]).unwrap();
    assert_eq!(json["live"]["messages"], 1, "{out}");
    assert_eq!(json["live"]["list"][0]["node"], "relay-a");

    // Era 2: ken sits at a hotel, outside ISP A's networks: no relaying.
    let s = Serve::start(&["era:2", "--smtp", "127.0.0.1:0=relay-a", "--client-at", "ken"]);
    let r = smtp(s.ports[0], "ken@isp-a.example", "bob@company.example", "refused");
    assert_eq!(r, "554 5.7.1 <bob@company.example>: Relay access denied");
}

#[test]
fn era3_pop_before_smtp_opens_relaying() {
    let s = Serve::start(&[
        "era:3",
        "--smtp",
        "127.0.0.1:0=relay-a",
        "--pop3",
        "127.0.0.1:0=relay-a",
        "--client-at",
        "ken",
    ]);
    let (smtp_port, pop_port) = (s.ports[0], s.ports[1]);
    assert!(smtp(smtp_port, "ken@isp-a.example", "bob@company.example", "before").starts_with("554 5.7.1"));
    // A POP3 login from ken's (NAT) address: POP-before-SMTP trusts it now.
    let listing = python(&["pop", &p(pop_port), "ken@isp-a.example", "whatever"]);
    assert!(listing.starts_with('0') || listing.chars().next().is_some_and(|c| c.is_ascii_digit()), "{listing}");
    assert_eq!(smtp(smtp_port, "ken@isp-a.example", "bob@company.example", "after pop"), "250 sent");
}

#[test]
fn era5_submission_587_with_starttls_and_auth_plain_delivers() {
    // Era 5: relay-a listens on 587 (submission, RFC 6409).
    let s = Serve::start(&[
        "era:5",
        "--smtp",
        "127.0.0.1:0=relay-a:587",
        "--pop3",
        "127.0.0.1:0=mbox-co",
        "--client-at",
        "ken",
    ]);
    let port = p(s.ports[0]);
    // Without AUTH: RFC 6409 §4.3.
    let r = python(&["smtp", &port, "ken@isp-a.example", "bob@company.example", "no auth", "tls", "-", "-"]);
    assert!(r.starts_with("530 5.7.0"), "{r}");
    let r = python(&[
        "smtp",
        &port,
        "ken@isp-a.example",
        "bob@company.example",
        "with auth",
        "tls",
        "ken@isp-a.example",
        "pw-a",
    ]);
    assert_eq!(r.trim(), "250 sent");
    let got = fetch(s.ports[1], "bob@company.example", "any", "with auth");
    assert!(got.contains("with ESMTPSA"), "TLS and AUTH in Received (RFC 3848):\n{got}");
}

#[test]
fn era5_swaks_starttls_auth_and_era1_plain() {
    let swaks = |args: &[&str]| {
        let out = Command::new("swaks")
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("swaks is required for the live tests (apt-get install swaks): {e}"));
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    let s = Serve::start(&["era:5", "--smtp", "127.0.0.1:0=relay-a:587", "--client-at", "ken"]);
    let port = p(s.ports[0]);
    let out = swaks(&[
        "--server",
        "127.0.0.1",
        "--port",
        &port,
        "--tls",
        "--auth",
        "PLAIN",
        "--auth-user",
        "ken@isp-a.example",
        "--auth-password",
        "pw-a",
        "--from",
        "ken@isp-a.example",
        "--to",
        "bob@company.example",
        "--helo",
        "ken-laptop",
    ]);
    assert!(out.contains("<-  220 2.0.0 Ready to start TLS"), "{out}");
    assert!(out.contains("=== TLS started"), "{out}");
    assert!(out.contains("235 2.7.0 Authentication successful"), "{out}");
    assert!(out.contains("250 2.0.0 Ok: queued as"), "{out}");

    let s = Serve::start(&["era:1", "--smtp", "127.0.0.1:0=relay-univ", "--client-at", "alice"]);
    let out = swaks(&[
        "--server",
        "127.0.0.1",
        "--port",
        &p(s.ports[0]),
        "--from",
        "x@y.example",
        "--to",
        "bob@company.example",
    ]);
    assert!(out.contains("250 2.0.0 Ok: queued as"), "{out}");
}

#[test]
fn era7_greylisting_defers_then_accepts_the_retry() {
    // postgrey's 300 s delay passes in 5 s of wall time at --speed 60. Ken
    // sits at a hotel (Alice's ISP blocks outbound port 25 since era 5).
    let s = Serve::start(&["era:7", "--smtp", "127.0.0.1:0=mx-co", "--client-at", "ken", "--speed", "60"]);
    let port = s.ports[0];
    let first = smtp(port, "student@example.org", "bob@company.example", "grey");
    assert!(first.starts_with("450 4.7.1 <bob@company.example>: Recipient address rejected: Greylisted"), "{first}");
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        std::thread::sleep(Duration::from_secs(1));
        let r = smtp(port, "student@example.org", "bob@company.example", "grey");
        if r == "250 sent" {
            break;
        }
        assert!(r.starts_with("450 4.7.1"), "only greylisting may defer: {r}");
        assert!(Instant::now() < deadline, "the retry was never accepted");
    }
}

#[test]
fn sigterm_ends_an_open_session_with_421_and_prints_the_report() {
    use std::io::Write;
    let s = Serve::start(&["era:1", "--smtp", "127.0.0.1:0=relay-a", "--format", "json"]);
    let mut c = std::net::TcpStream::connect(("127.0.0.1", s.ports[0])).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let mut r = BufReader::new(c.try_clone().unwrap());
    let mut line = String::new();
    r.read_line(&mut line).unwrap();
    assert!(line.starts_with("220 "), "{line}");
    c.write_all(b"HELO student\r\n").unwrap();
    line.clear();
    r.read_line(&mut line).unwrap();
    assert!(line.starts_with("250 "), "{line}");
    let (ok, out) = s.stop();
    line.clear();
    r.read_line(&mut line).unwrap();
    assert!(line.starts_with("421 4.3.2 mail.isp-a.example Service shutting down"), "{line}");
    assert!(ok);
    let json: serde_json::Value = serde_json::from_str(&out[out.find('{').unwrap()..]).unwrap();
    assert_eq!(json["live"]["sessions"], 1);
    assert!(json["mail"]["legit"]["sent"].as_u64().is_some());
}

#[test]
fn connections_per_client_are_bounded() {
    let s = Serve::start(&["era:1", "--smtp", "127.0.0.1:0=relay-a", "--max-per-client", "1"]);
    let first = std::net::TcpStream::connect(("127.0.0.1", s.ports[0])).unwrap();
    let mut r = BufReader::new(first);
    let mut line = String::new();
    r.read_line(&mut line).unwrap();
    assert!(line.starts_with("220 "));
    let second = std::net::TcpStream::connect(("127.0.0.1", s.ports[0])).unwrap();
    second.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let mut r2 = BufReader::new(second);
    line.clear();
    r2.read_line(&mut line).unwrap();
    assert_eq!(line, "421 4.7.0 Error: too many connections from 127.0.0.1\r\n");
}

#[test]
fn only_loopback_unless_listen_any() {
    let out = Command::new(env!("CARGO_BIN_EXE_relaysim"))
        .args(["serve", "era:1", "--smtp", "0.0.0.0:0=relay-a"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not a loopback address") && err.contains("--listen-any"), "{err}");
    // Bad ports and nodes are refused before anything is bound.
    for (spec, says) in [
        ("127.0.0.1:0=nowhere", "no node \"nowhere\""),
        ("127.0.0.1:0=alice", "not a mail server"),
        ("127.0.0.1:0=relay-a:587", "does not listen on port 587"),
    ] {
        let out =
            Command::new(env!("CARGO_BIN_EXE_relaysim")).args(["serve", "era:1", "--smtp", spec]).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{spec}");
        assert!(String::from_utf8_lossy(&out.stderr).contains(says), "{spec}");
    }
}

/// The sockets the process holds: every one is a listener or a
/// connection accepted on a live port. A socket it had opened itself
/// (`connect`) would have another local port.
#[test]
fn the_server_opens_no_outbound_socket() {
    let s = Serve::start(&["era:1", "--smtp", "127.0.0.1:0=relay-a", "--pop3", "127.0.0.1:0=relay-a"]);
    // Keep a session open while looking, after a mail went through the world.
    assert_eq!(smtp(s.ports[0], "a@isp-a.example", "bob@company.example", "outbound?"), "250 sent");
    let held = std::net::TcpStream::connect(("127.0.0.1", s.ports[0])).unwrap();
    std::thread::sleep(Duration::from_millis(500));
    let pid = s.child.id();
    let mut inodes = Vec::new();
    for fd in std::fs::read_dir(format!("/proc/{pid}/fd")).expect("/proc is needed for this test") {
        let target = std::fs::read_link(fd.unwrap().path()).map(|p| p.display().to_string()).unwrap_or_default();
        if let Some(i) = target.strip_prefix("socket:[").and_then(|t| t.strip_suffix(']')) {
            inodes.push(i.to_string());
        }
    }
    let mut seen = 0;
    for table in ["tcp", "tcp6", "udp", "udp6"] {
        let text = std::fs::read_to_string(format!("/proc/{pid}/net/{table}")).unwrap_or_default();
        for row in text.lines().skip(1) {
            let f: Vec<&str> = row.split_whitespace().collect();
            if f.len() < 10 || !inodes.contains(&f[9].to_string()) {
                continue;
            }
            seen += 1;
            let local_port = u16::from_str_radix(f[1].rsplit_once(':').unwrap().1, 16).unwrap();
            assert!(table.starts_with("tcp"), "a UDP socket: {row}");
            assert!(s.ports.contains(&local_port), "a socket not on a live port (an outbound connection?): {row}");
        }
    }
    assert!(seen >= 3, "the two listeners and the held session should be seen, saw {seen}");
    drop(held);
    // And the code has no path that connects out.
    // (The core has no sockets at all; the live module only binds and accepts.)
    for (dir, banned) in [
        ("src/sim", &["TcpStream", "TcpListener", "UdpSocket"][..]),
        ("src/live", &["TcpStream::connect", "UdpSocket", ".connect_timeout("][..]),
    ] {
        for f in walk(dir) {
            let text = std::fs::read_to_string(&f).unwrap();
            for bad in banned {
                assert!(!text.contains(bad), "{f} mentions {bad}");
            }
        }
    }
}

fn walk(dir: &str) -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p.display().to_string()));
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p.display().to_string());
        }
    }
    out
}

#[test]
fn op25b_drops_a_home_client_on_port_25() {
    // Era 5: ISP A's router drops port 25 from its customers to the outside.
    let s = Serve::start(&["era:5", "--smtp", "127.0.0.1:0=mx-co", "--client-at", "alice", "--format", "json"]);
    let mut c = std::net::TcpStream::connect(("127.0.0.1", s.ports[0])).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let mut got = Vec::new();
    let _ = c.read_to_end(&mut got);
    assert!(got.is_empty(), "no greeting through a dropped connection: {:?}", String::from_utf8_lossy(&got));
    let (_, out) = s.stop();
    let json: serde_json::Value = serde_json::from_str(&out[out.find('{').unwrap()..]).unwrap();
    let failed = json["live"]["list"][0]["failed"].as_str().unwrap_or_default().to_string();
    assert!(failed.contains("dropped by router router-a"), "{out}");
}

#[test]
fn implicit_tls_on_465_with_auth_login() {
    // Era 5 with relay-a also listening on 465 (RFC 8314 implicit TLS).
    let era5 =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/history/05-op25b-submission.ron"))
            .unwrap()
            .replacen("ports: [25, 587],", "ports: [25, 587, 465],", 1);
    let file = std::env::temp_dir().join(format!("relaysim-live-465-{}.ron", std::process::id()));
    std::fs::write(&file, era5).unwrap();
    let s = Serve::start(&["--smtp", "127.0.0.1:0=relay-a:465", "--client-at", "ken", file.to_str().unwrap()]);
    let script = r#"
import sys, smtplib, ssl
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
s = smtplib.SMTP_SSL("127.0.0.1", int(sys.argv[1]), local_hostname="ken-laptop", context=ctx, timeout=60)
code, ehlo = s.ehlo()
print("ehlo", code, b"AUTH PLAIN LOGIN" in ehlo)
s.user, s.password = "ken@isp-a.example", "wrong"
try:
    s.auth("LOGIN", s.auth_login, initial_response_ok=False)
except smtplib.SMTPAuthenticationError as e:
    print("bad", e.smtp_code, e.smtp_error.decode())
s.user, s.password = "ken@isp-a.example", "pw-a"
print("good", s.auth("LOGIN", s.auth_login, initial_response_ok=False)[0])
s.sendmail("ken@isp-a.example", ["bob@company.example"], "Subject: over 465\r\n\r\nhi\r\n")
print("sent")
s.quit()
"#;
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(s.ports[0].to_string())
        .output()
        .unwrap_or_else(|e| panic!("python3 is required for the live tests: {e}"));
    let _ = std::fs::remove_file(&file);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}\n{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(
        text.lines().collect::<Vec<_>>(),
        ["ehlo 250 True", "bad 535 5.7.8 Authentication credentials invalid", "good 235", "sent"],
        "{text}"
    );
}

/// Reads one reply line from a raw connection.
fn reply_line(r: &mut BufReader<std::net::TcpStream>) -> String {
    let mut line = String::new();
    r.read_line(&mut line).unwrap();
    line
}

#[test]
fn a_silent_client_and_a_talkative_one_get_421() {
    use std::io::Write;
    let s = Serve::start(&["era:1", "--smtp", "127.0.0.1:0=relay-a", "--idle-timeout", "1", "--max-commands", "3"]);
    // Silent past --idle-timeout (Postfix smtpd_timeout): 421 4.4.2.
    let c = std::net::TcpStream::connect(("127.0.0.1", s.ports[0])).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let mut r = BufReader::new(c);
    assert!(reply_line(&mut r).starts_with("220 "));
    assert_eq!(reply_line(&mut r), "421 4.4.2 mail.isp-a.example Error: timeout exceeded\r\n");
    // More commands than --max-commands: 421 4.7.0 and a close.
    let mut c = std::net::TcpStream::connect(("127.0.0.1", s.ports[0])).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let mut r = BufReader::new(c.try_clone().unwrap());
    assert!(reply_line(&mut r).starts_with("220 "));
    c.write_all(b"NOOP\r\nNOOP\r\nNOOP\r\nNOOP\r\n").unwrap();
    let mut lines = Vec::new();
    loop {
        let l = reply_line(&mut r);
        if l.is_empty() {
            break;
        }
        lines.push(l);
    }
    assert_eq!(lines.last().map(String::as_str), Some("421 4.7.0 mail.isp-a.example Error: too many commands\r\n"));
}

/// The world's own traffic under `serve` is what the seed makes it: with
/// no live client, `serve --until T` reports what `run --until T` does.
#[test]
fn serve_without_clients_reports_what_run_reports() {
    let serve = Command::new(env!("CARGO_BIN_EXE_relaysim"))
        .args(["serve", "era:2", "--smtp", "127.0.0.1:0=relay-a", "--speed", "36000", "--until", "1h"])
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert!(serve.status.success(), "{}", String::from_utf8_lossy(&serve.stderr));
    let text = String::from_utf8_lossy(&serve.stdout);
    let served: serde_json::Value = serde_json::from_str(&text[text.find('{').unwrap()..]).unwrap();
    let run = Command::new(env!("CARGO_BIN_EXE_relaysim"))
        .args(["run", "era:2", "--until", "1h", "--format", "json"])
        .output()
        .unwrap();
    let ran: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(served["live"]["sessions"], 0);
    for key in ["sim_time_s", "events", "mail", "sources", "nodes"] {
        assert_eq!(served[key], ran[key], "{key} differs between serve and run");
    }
}

#[test]
fn pop3_dele_and_quit_remove_a_message_for_good() {
    let s = Serve::start(&["era:1", "--smtp", "127.0.0.1:0=relay-a", "--pop3", "127.0.0.1:0=relay-a"]);
    for subject in ["first", "second"] {
        assert_eq!(smtp(s.ports[0], "a@isp-a.example", "user9@isp-a.example", subject), "250 sent");
    }
    fetch(s.ports[1], "user9@isp-a.example", "x", "second");
    let script = r#"
import sys, poplib
p = poplib.POP3("127.0.0.1", int(sys.argv[1]), timeout=60)
p.user("user9@isp-a.example"); p.pass_("x")
print(p.stat()[0], len(p.uidl()[1]))
p.dele(1)
print(p.stat()[0])
p.quit()
p = poplib.POP3("127.0.0.1", int(sys.argv[1]), timeout=60)
p.user("user9@isp-a.example"); p.pass_("x")
print(p.stat()[0], b"second" in b"\n".join(p.retr(1)[1]))
try:
    p.user("nobody@elsewhere.example"); p.pass_("x")
except poplib.error_proto as e:
    print(e)
p.quit()
"#;
    let out = Command::new("python3").arg("-c").arg(script).arg(s.ports[1].to_string()).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(text.lines().collect::<Vec<_>>(), ["2 2", "1", "1 True", "b'-ERR already logged in'"], "{text}");
}
