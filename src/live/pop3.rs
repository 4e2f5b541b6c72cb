//! A POP3 server session (RFC 1939), sans-IO: bytes in, bytes out.
//!
//! Heads up: read RFC 1939 §3 (the states), §5 (the TRANSACTION commands)
//! and §6 (UPDATE) first. The three states are the enum [`State`]; every
//! command goes through one `match (state, command)`. The maildrop is lent
//! through [`Maildrop`]: a login there is a real login in the simulated
//! world (POP-before-SMTP trusts the address from then on).
//!
//! Bounded whatever arrives: a command line is cut at
//! [`LINE_MAX`] octets (RFC 2449 §4: 255 octets, the reader keeps a little
//! more room), and after [`ERROR_LIMIT`] errors the server hangs up.

use crate::sim::smtp::parse::LineReader;

/// The most octets of a command line kept (RFC 2449 §4 allows 255 per
/// command; longer lines are refused whole).
pub const LINE_MAX: usize = 512;
/// Errors before the server hangs up (as Postfix's `smtpd_hard_error_limit`
/// does for SMTP; RFC 1939 sets none).
pub const ERROR_LIMIT: u32 = 20;

/// One message of a maildrop as the session lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    /// A stable id (the simulation's message number), for `UIDL` and `DELE`.
    pub id: u64,
    /// The message text, lines ending in CRLF.
    pub text: Vec<u8>,
}

/// Why a login failed (the reply text says it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginError {
    NoMailbox,
    BadPassword,
}

/// What the session needs of the world.
pub trait Maildrop {
    /// Logs `user` in with `password`; the maildrop's messages on success.
    fn login(&mut self, user: &str, password: &str) -> Result<Vec<Stored>, LoginError>;
}

/// RFC 1939 §3: the session's states.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    /// Greeted; `USER` given or not.
    Authorization { user: Option<String> },
    /// Logged in: the maildrop as it was at login, and what `DELE` marked.
    Transaction { user: String, messages: Vec<Stored>, deleted: Vec<bool> },
    /// `QUIT` or an error limit: nothing more is read.
    Closed,
}

/// What the server sends back, and whether it hangs up.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Output {
    pub bytes: Vec<u8>,
    pub close: bool,
    /// On `QUIT` in TRANSACTION (the UPDATE state, §6): the ids removed.
    pub removed: Vec<u64>,
    /// A login succeeded in this call: the user.
    pub logged_in: Option<String>,
}

/// One POP3 command (RFC 1939 §4–§7, plus `CAPA` of RFC 2449 and `UIDL`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    User(String),
    Pass(String),
    Stat,
    List(Option<usize>),
    Uidl(Option<usize>),
    Retr(usize),
    Dele(usize),
    Noop,
    Rset,
    Quit,
    Capa,
}

/// Why a line is not a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    Unknown,
    /// A missing or malformed argument.
    Syntax(&'static str),
    TooLong,
}

/// Parses one command line (without its line ending).
pub fn parse(line: &[u8]) -> Result<Command, ParseError> {
    let text = std::str::from_utf8(line).map_err(|_| ParseError::Unknown)?;
    let (verb, arg) = match text.split_once(' ') {
        Some((v, a)) => (v, Some(a)),
        None => (text, None),
    };
    let number = |a: Option<&str>| -> Result<usize, ParseError> {
        a.map(str::trim).and_then(|a| a.parse::<usize>().ok()).ok_or(ParseError::Syntax("message number"))
    };
    let optional = |a: Option<&str>| -> Result<Option<usize>, ParseError> {
        match a.map(str::trim) {
            None | Some("") => Ok(None),
            some => number(some).map(Some),
        }
    };
    match verb.to_ascii_uppercase().as_str() {
        "USER" => match arg.map(str::trim) {
            Some(a) if !a.is_empty() => Ok(Command::User(a.to_string())),
            _ => Err(ParseError::Syntax("USER name")),
        },
        // RFC 1939 §7: the password may contain spaces.
        "PASS" => match arg {
            Some(a) => Ok(Command::Pass(a.to_string())),
            None => Err(ParseError::Syntax("PASS string")),
        },
        "STAT" => Ok(Command::Stat),
        "LIST" => optional(arg).map(Command::List),
        "UIDL" => optional(arg).map(Command::Uidl),
        "RETR" => number(arg).map(Command::Retr),
        "DELE" => number(arg).map(Command::Dele),
        "NOOP" => Ok(Command::Noop),
        "RSET" => Ok(Command::Rset),
        "QUIT" => Ok(Command::Quit),
        "CAPA" => Ok(Command::Capa),
        _ => Err(ParseError::Unknown),
    }
}

/// The server's side of one POP3 session.
#[derive(Debug, Clone)]
pub struct Session {
    state: State,
    lines: LineReader,
    errors: u32,
    hostname: String,
}

impl Session {
    pub fn new(hostname: &str) -> Self {
        Session {
            state: State::Authorization { user: None },
            lines: LineReader::new(LINE_MAX),
            errors: 0,
            hostname: hostname.to_string(),
        }
    }

    pub fn state(&self) -> &State {
        &self.state
    }

    /// RFC 1939 §4: the greeting.
    pub fn greeting(&self) -> Vec<u8> {
        format!("+OK {} POP3 server ready\r\n", self.hostname).into_bytes()
    }

    /// Bytes from the client: every complete line answered in order.
    pub fn receive(&mut self, mut input: &[u8], drop: &mut dyn Maildrop) -> Output {
        let mut out = Output::default();
        while !input.is_empty() && self.state != State::Closed {
            let Some(line) = self.lines.next_line(&mut input) else { break };
            let ok = if line.too_long {
                err(&mut out, "line too long")
            } else {
                match parse(&line.text) {
                    Ok(cmd) => self.transition(cmd, drop, &mut out),
                    Err(ParseError::Unknown) => err(&mut out, "unknown command"),
                    Err(ParseError::Syntax(what)) => err(&mut out, &format!("syntax: {what}")),
                    Err(ParseError::TooLong) => err(&mut out, "line too long"),
                }
            };
            if !ok {
                self.errors += 1;
                if self.errors >= ERROR_LIMIT {
                    out.bytes.extend_from_slice(b"-ERR too many errors\r\n");
                    self.state = State::Closed;
                }
            }
        }
        out.close |= self.state == State::Closed;
        out
    }

    /// The state machine: one arm per (state, command). Returns false for
    /// an `-ERR` reply (counted towards the error limit).
    fn transition(&mut self, cmd: Command, drop: &mut dyn Maildrop, out: &mut Output) -> bool {
        let state = std::mem::replace(&mut self.state, State::Closed);
        let (next, ok) = match (state, cmd) {
            (State::Closed, _) => (State::Closed, true),
            // RFC 2449 §5: CAPA in any state.
            (s, Command::Capa) => {
                out.bytes.extend_from_slice(b"+OK Capability list follows\r\nUSER\r\nUIDL\r\n.\r\n");
                (s, true)
            }
            // RFC 1939 §6: QUIT in TRANSACTION enters UPDATE: marked messages go.
            (State::Transaction { messages, deleted, .. }, Command::Quit) => {
                out.removed = messages.iter().zip(&deleted).filter(|(_, d)| **d).map(|(m, _)| m.id).collect();
                ok(out, "Bye");
                (State::Closed, true)
            }
            // RFC 1939 §4: QUIT in AUTHORIZATION ends the session, nothing changes.
            (_, Command::Quit) => {
                ok(out, "Bye");
                (State::Closed, true)
            }
            // RFC 1939 §5: NOOP.
            (s, Command::Noop) => {
                ok(out, "");
                (s, true)
            }
            // RFC 1939 §7: USER names the mailbox; PASS follows.
            (State::Authorization { .. }, Command::User(u)) => {
                ok(out, "send your password");
                (State::Authorization { user: Some(u) }, true)
            }
            (State::Authorization { user: Some(u) }, Command::Pass(p)) => match drop.login(&u, &p) {
                Ok(messages) => {
                    let n = messages.len();
                    let octets: usize = messages.iter().map(|m| m.text.len()).sum();
                    ok(out, &format!("Logged in: {n} messages ({octets} octets)"));
                    out.logged_in = Some(u.clone());
                    let deleted = vec![false; n];
                    (State::Transaction { user: u, messages, deleted }, true)
                }
                // RFC 1939 §7: a failed PASS returns to AUTHORIZATION.
                Err(e) => {
                    let why = match e {
                        LoginError::NoMailbox => "[AUTH] no such mailbox",
                        LoginError::BadPassword => "[AUTH] Authentication failed",
                    };
                    (State::Authorization { user: None }, err(out, why))
                }
            },
            (s @ State::Authorization { .. }, Command::Pass(_)) => (s, err(out, "USER first")),
            (s @ State::Authorization { .. }, _) => (s, err(out, "not logged in")),
            (s @ State::Transaction { .. }, Command::User(_) | Command::Pass(_)) => (s, err(out, "already logged in")),
            // RFC 1939 §5: STAT counts the messages not marked deleted.
            (State::Transaction { user, messages, deleted }, Command::Stat) => {
                let live = messages.iter().zip(&deleted).filter(|(_, d)| !**d);
                let (n, octets) = live.fold((0, 0), |(n, o), (m, _)| (n + 1, o + m.text.len()));
                ok(out, &format!("{n} {octets}"));
                (State::Transaction { user, messages, deleted }, true)
            }
            // RFC 1939 §5: LIST without an argument lists every message not deleted.
            (State::Transaction { user, messages, deleted }, Command::List(None)) => {
                ok(out, "scan listing follows");
                for (i, m) in messages.iter().enumerate().filter(|(i, _)| !deleted[*i]) {
                    out.bytes.extend_from_slice(format!("{} {}\r\n", i + 1, m.text.len()).as_bytes());
                }
                out.bytes.extend_from_slice(b".\r\n");
                (State::Transaction { user, messages, deleted }, true)
            }
            (State::Transaction { user, messages, deleted }, cmd) => {
                let ok_ = self.with_message(&cmd, &messages, &deleted, out);
                let mut deleted = deleted;
                match cmd {
                    Command::Dele(n) if ok_ => deleted[n - 1] = true,
                    Command::Rset => deleted.iter_mut().for_each(|d| *d = false),
                    _ => {}
                }
                (State::Transaction { user, messages, deleted }, ok_)
            }
        };
        self.state = next;
        ok
    }

    /// The TRANSACTION commands that name one message (RFC 1939 §5), and RSET.
    fn with_message(&self, cmd: &Command, messages: &[Stored], deleted: &[bool], out: &mut Output) -> bool {
        let pick = |n: usize| -> Option<&Stored> {
            (n >= 1 && n <= messages.len() && !deleted[n - 1]).then(|| &messages[n - 1])
        };
        match cmd {
            Command::Rset => {
                let n = messages.len();
                let octets: usize = messages.iter().map(|m| m.text.len()).sum();
                ok(out, &format!("maildrop has {n} messages ({octets} octets)"));
                true
            }
            Command::List(Some(n)) | Command::Uidl(Some(n)) | Command::Retr(n) | Command::Dele(n) => {
                let Some(m) = pick(*n) else { return err(out, "no such message") };
                match cmd {
                    Command::List(_) => ok(out, &format!("{n} {}", m.text.len())),
                    Command::Uidl(_) => ok(out, &format!("{n} relaysim-{}", m.id)),
                    Command::Dele(_) => ok(out, &format!("message {n} deleted")),
                    _ => {
                        ok(out, &format!("{} octets", m.text.len()));
                        stuffed(&m.text, &mut out.bytes);
                    }
                }
                true
            }
            Command::Uidl(None) => {
                ok(out, "unique-id listing follows");
                for (i, m) in messages.iter().enumerate().filter(|(i, _)| !deleted[*i]) {
                    out.bytes.extend_from_slice(format!("{} relaysim-{}\r\n", i + 1, m.id).as_bytes());
                }
                out.bytes.extend_from_slice(b".\r\n");
                true
            }
            _ => err(out, "unknown command"),
        }
    }
}

fn ok(out: &mut Output, text: &str) {
    let line = if text.is_empty() { "+OK\r\n".to_string() } else { format!("+OK {text}\r\n") };
    out.bytes.extend_from_slice(line.as_bytes());
}

/// Writes `-ERR text`; always false (an error).
fn err(out: &mut Output, text: &str) -> bool {
    out.bytes.extend_from_slice(format!("-ERR {text}\r\n").as_bytes());
    false
}

/// A multi-line response body (RFC 1939 §3): lines ending in CRLF, a
/// leading `.` doubled, then the `.` line.
fn stuffed(text: &[u8], out: &mut Vec<u8>) {
    for line in text.split_inclusive(|&b| b == b'\n') {
        let body = line.strip_suffix(b"\n").unwrap_or(line);
        let body = body.strip_suffix(b"\r").unwrap_or(body);
        if body.first() == Some(&b'.') {
            out.push(b'.');
        }
        out.extend_from_slice(body);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b".\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Drop1;
    impl Maildrop for Drop1 {
        fn login(&mut self, u: &str, p: &str) -> Result<Vec<Stored>, LoginError> {
            match (u, p) {
                ("bob@x.example", "pw") => Ok(vec![
                    Stored { id: 7, text: b"Subject: a\r\n\r\n.dot\r\n".to_vec() },
                    Stored { id: 9, text: b"Subject: b\r\n\r\nhi\r\n".to_vec() },
                ]),
                ("bob@x.example", _) => Err(LoginError::BadPassword),
                _ => Err(LoginError::NoMailbox),
            }
        }
    }

    fn say(s: &mut Session, line: &str) -> String {
        String::from_utf8(s.receive(format!("{line}\r\n").as_bytes(), &mut Drop1).bytes).unwrap()
    }

    #[test]
    fn login_list_retr_dele_quit() {
        let mut s = Session::new("mail.x.example");
        assert!(say(&mut s, "STAT").starts_with("-ERR"));
        assert!(say(&mut s, "USER bob@x.example").starts_with("+OK"));
        assert!(say(&mut s, "PASS nope").starts_with("-ERR [AUTH]"));
        say(&mut s, "USER bob@x.example");
        assert!(say(&mut s, "PASS pw").starts_with("+OK Logged in: 2"));
        assert_eq!(say(&mut s, "STAT"), "+OK 2 38\r\n");
        assert_eq!(say(&mut s, "LIST"), "+OK scan listing follows\r\n1 20\r\n2 18\r\n.\r\n");
        assert_eq!(say(&mut s, "RETR 1"), "+OK 20 octets\r\nSubject: a\r\n\r\n..dot\r\n.\r\n");
        assert!(say(&mut s, "DELE 1").starts_with("+OK"));
        assert!(say(&mut s, "RETR 1").starts_with("-ERR"));
        assert_eq!(say(&mut s, "STAT"), "+OK 1 18\r\n");
        let out = s.receive(b"QUIT\r\n", &mut Drop1);
        assert!(out.close);
        assert_eq!(out.removed, vec![7]);
    }

    #[test]
    fn rset_undeletes_and_quit_in_authorization_removes_nothing() {
        let mut s = Session::new("h");
        say(&mut s, "USER bob@x.example");
        say(&mut s, "PASS pw");
        say(&mut s, "DELE 2");
        assert!(say(&mut s, "RSET").starts_with("+OK"));
        assert!(s.receive(b"QUIT\r\n", &mut Drop1).removed.is_empty());
        let mut s = Session::new("h");
        let out = s.receive(b"QUIT\r\n", &mut Drop1);
        assert!(out.close && out.removed.is_empty());
    }

    #[test]
    fn errors_are_bounded() {
        let mut s = Session::new("h");
        let out = s.receive("BOGUS\r\n".repeat(50).as_bytes(), &mut Drop1);
        assert!(out.close);
        assert_eq!(String::from_utf8(out.bytes).unwrap().matches("-ERR").count(), ERROR_LIMIT as usize + 1);
    }
}
