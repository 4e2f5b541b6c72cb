//! A mail message as the simulator tracks it: envelope, headers as they grow
//! hop by hop, every hop's SMTP dialogue, and its fate.

use serde::Serialize;

use std::sync::Arc;

use super::smtp::reply::ReplyText;
use super::smtp::{Body, Command, MailParams, Reply};
use crate::units::{SimTime, Timestamp, rfc5322_date};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct MsgId(pub u32);

/// An e-mail address (or a host name in EHLO), shared: the SMTP sessions
/// and commands of a message clone it by reference count, not by copying.
pub type Address = Arc<str>;

/// The kinds of mail counted apart in every report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MailClass {
    Legit,
    Spam,
    /// A bounce (DSN) to the real sender of the original.
    Bounce,
    /// A bounce to a forged, innocent sender (Postfix BACKSCATTER_README).
    Backscatter,
}

impl MailClass {
    pub const ALL: [MailClass; 4] = [MailClass::Legit, MailClass::Spam, MailClass::Bounce, MailClass::Backscatter];
    pub fn name(self) -> &'static str {
        match self {
            MailClass::Legit => "legit",
            MailClass::Spam => "spam",
            MailClass::Bounce => "bounce",
            MailClass::Backscatter => "backscatter",
        }
    }
}

/// Where a message ended (or stands, while it is still on its way).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "state", rename_all = "lowercase")]
pub enum Fate {
    /// Waiting in a queue or in a session; `queued` in the counts.
    Queued,
    /// Placed in a recipient's mailbox.
    Delivered { at: SimTime, node: usize },
    /// Refused with a permanent reply, or blocked, and the sender learnt it
    /// (by a reply or a bounce).
    Rejected { at: SimTime, node: Option<usize>, reason: Box<str> },
    /// Dropped with nobody told (a sender that gave up silently, an expired bounce).
    Lost { at: SimTime, reason: Box<str> },
}

impl Fate {
    pub fn is_final(&self) -> bool {
        !matches!(self, Fate::Queued)
    }

    /// When the message reached this fate (`None` while it is still queued).
    pub fn settled_at(&self) -> Option<SimTime> {
        match self {
            Fate::Queued => None,
            Fate::Delivered { at, .. } | Fate::Rejected { at, .. } | Fate::Lost { at, .. } => Some(*at),
        }
    }
}

/// Who has the message now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Holder {
    /// Still with its originator (mail client outbox, spam software).
    Sender,
    /// In the queue of a mail server.
    Node(usize),
}

/// One line of an SMTP dialogue, as a reader sees it (see [`Hop::transcript`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Line {
    pub t: SimTime,
    /// `C` for the client, `S` for the server, `*` for what happened on the wire.
    pub who: char,
    pub text: String,
}

/// One delivery attempt between two nodes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hop {
    pub from: usize,
    pub to: usize,
    pub from_ip: std::net::Ipv4Addr,
    pub to_ip: std::net::Ipv4Addr,
    pub port: u16,
    pub started: SimTime,
    pub ended: SimTime,
    /// The decisive reply (or `connect timed out`), kept with transcripts or
    /// a trace (empty in statistical runs, which never read it).
    pub result: String,
    pub accepted: bool,
    /// The dialogue as it was recorded (with transcripts only): replies and
    /// commands as values, whose texts are shared, not formatted. Read it
    /// with [`Hop::transcript`], which renders the lines.
    #[serde(rename = "transcript", serialize_with = "serialize_transcript")]
    pub said: Vec<(SimTime, Said)>,
}

/// One thing said on a connection, kept as the values that were sent (32
/// bytes with its time, no text of its own): a large run with transcripts
/// records millions, and most are never read, so the text is made only when
/// someone reads it ([`Hop::transcript`]).
#[derive(Debug, Clone, PartialEq)]
pub enum Said {
    /// A reply (every line of a multi-line one) with a fixed text …
    ReplyFixed(u16, &'static str),
    /// … or a text made once and shared (a server's banner and EHLO list).
    ReplyShared(u16, Arc<str>),
    /// The client's commands, by their arguments.
    Ehlo(Address),
    Helo(Address),
    /// `MAIL FROM` with its `SIZE` (`u32::MAX`: none) and `BODY` (0 none, 1 7BIT, 2 8BITMIME).
    MailFrom(Address, u32, u8),
    RcptTo(Address),
    /// A command without arguments.
    Bare(Bare),
    Content(u32),
    /// The TCP connection opened (`*`), on every hop.
    Connected {
        to: std::net::Ipv4Addr,
        port: u16,
        from: std::net::Ipv4Addr,
    },
    /// Anything else, as text: what happened on the wire (`*`), POP3.
    Static(char, &'static str),
    Text(char, Box<str>),
}

/// The commands without arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bare {
    StartTls,
    Data,
    Rset,
    Noop,
    Quit,
}

impl Said {
    /// A server's reply.
    pub fn reply(r: &Reply) -> Self {
        match &r.text {
            ReplyText::Fixed(t) => Said::ReplyFixed(r.code, t),
            ReplyText::Shared(t) => Said::ReplyShared(r.code, Arc::clone(t)),
        }
    }

    /// A client's command.
    pub fn command(c: &Command) -> Self {
        match c {
            Command::Ehlo(h) => Said::Ehlo(Arc::clone(h)),
            Command::Helo(h) => Said::Helo(Arc::clone(h)),
            Command::MailFrom(a, p) if p.size.is_none_or(|n| n < u32::MAX as u64) => {
                let body = match p.body {
                    None => 0,
                    Some(Body::SevenBit) => 1,
                    Some(Body::EightBitMime) => 2,
                };
                Said::MailFrom(Arc::clone(a), p.size.map_or(u32::MAX, |n| n as u32), body)
            }
            Command::RcptTo(a) => Said::RcptTo(Arc::clone(a)),
            Command::StartTls => Said::Bare(Bare::StartTls),
            Command::Data => Said::Bare(Bare::Data),
            Command::Rset => Said::Bare(Bare::Rset),
            Command::Noop => Said::Bare(Bare::Noop),
            Command::Quit => Said::Bare(Bare::Quit),
            Command::Content { bytes } => Said::Content(*bytes),
            // AUTH (rare) and anything unusual: as text at once.
            other => Said::Text('C', other.to_string().into()),
        }
    }

    /// Who said it and the command or reply it stands for (`None`: text).
    fn render(&self, t: SimTime, out: &mut Vec<Line>) {
        let reply = |code, text| Reply { code, text, refusal: None };
        let command = match self {
            Said::ReplyFixed(code, text) => {
                return out.extend(reply(*code, ReplyText::Fixed(text)).lines().into_iter().map(|text| Line {
                    t,
                    who: 'S',
                    text,
                }));
            }
            Said::ReplyShared(code, text) => {
                let lines = reply(*code, ReplyText::Shared(Arc::clone(text))).lines();
                return out.extend(lines.into_iter().map(|text| Line { t, who: 'S', text }));
            }
            Said::Static(who, text) => return out.push(Line { t, who: *who, text: text.to_string() }),
            Said::Connected { to, port, from } => {
                return out.push(Line { t, who: '*', text: format!("connected to {to}:{port} from {from}") });
            }
            Said::Text(who, text) => return out.push(Line { t, who: *who, text: text.to_string() }),
            Said::Ehlo(h) => Command::Ehlo(Arc::clone(h)),
            Said::Helo(h) => Command::Helo(Arc::clone(h)),
            Said::MailFrom(a, size, body) => Command::MailFrom(
                Arc::clone(a),
                MailParams {
                    size: (*size != u32::MAX).then_some(*size as u64),
                    body: match body {
                        1 => Some(Body::SevenBit),
                        2 => Some(Body::EightBitMime),
                        _ => None,
                    },
                },
            ),
            Said::RcptTo(a) => Command::RcptTo(Arc::clone(a)),
            Said::Bare(Bare::StartTls) => Command::StartTls,
            Said::Bare(Bare::Data) => Command::Data,
            Said::Bare(Bare::Rset) => Command::Rset,
            Said::Bare(Bare::Noop) => Command::Noop,
            Said::Bare(Bare::Quit) => Command::Quit,
            Said::Content(bytes) => Command::Content { bytes: *bytes },
        };
        out.push(Line { t, who: 'C', text: command.to_string() });
    }
}

impl Hop {
    /// The dialogue line by line, as `show` and the GUI print it: `C` for
    /// the client, `S` for the server (one line per line of a multi-line
    /// reply, RFC 5321 §4.2.1), `*` for what happened on the wire.
    pub fn transcript(&self) -> Vec<Line> {
        render(&self.said)
    }
}

/// Lines from what was said (see [`Hop::transcript`]).
fn render(said: &[(SimTime, Said)]) -> Vec<Line> {
    let mut out = Vec::with_capacity(said.len() + 8);
    for (t, said) in said {
        said.render(*t, &mut out);
    }
    out
}

fn serialize_transcript<S: serde::Serializer>(said: &[(SimTime, Said)], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(render(said))
}

/// What a message is made from when it enters the world: see [`Message::new`].
#[derive(Debug, Clone)]
pub struct NewMessage {
    pub id: MsgId,
    pub class: MailClass,
    /// Index of the traffic source that injects it (none for bounces and
    /// mails sent by a what-if).
    pub source: Option<usize>,
    /// Envelope sender (`MAIL FROM`); empty for the null reverse-path `<>`.
    pub mail_from: Address,
    /// Envelope recipient (`RCPT TO`).
    pub rcpt: Address,
    /// The `From:` header and the subject; both empty for a message without
    /// content (statistical runs keep none).
    pub header_from: String,
    pub subject: String,
    /// The envelope sender is not the real sender's (spam, backscatter).
    pub forged: bool,
    /// When it was written.
    pub created: SimTime,
    /// The node that sends it first, and which of its hosts (for a population).
    pub origin: usize,
    pub origin_host: u32,
}

/// One mail as the simulation tracks it, from the moment its origin writes
/// it to its [`Fate`]: the envelope, the headers that grow hop by hop, every
/// hop's SMTP dialogue (when transcripts are kept), who holds it now and how
/// often it has been tried. Messages are numbered in the order they enter the
/// world ([`MsgId`]), which is the number `relaysim show --message N` takes.
#[derive(Debug, Clone, Serialize)]
pub struct Message {
    pub id: MsgId,
    pub class: MailClass,
    /// Index of the traffic source that injected it (none for bounces).
    pub source: Option<usize>,
    pub bounce_of: Option<MsgId>,
    /// Envelope sender (`MAIL FROM`); empty for the null reverse-path `<>`.
    pub mail_from: Address,
    /// Envelope recipient (`RCPT TO`), one per message.
    pub rcpt: Address,

    /// The envelope sender is someone who did not send it.
    pub forged: bool,
    pub created: SimTime,
    /// The node (and population host) that wrote it.
    pub origin: usize,
    pub origin_host: u32,
    /// What a reader sees beyond the envelope; none in statistical runs,
    /// which never read it (and hold millions of messages).
    #[serde(flatten)]
    pub content: Option<Box<Content>>,
    /// Every delivery attempt (a folding run reduces them to
    /// [`HopFacts`](super::hop_facts::HopFacts) when the message ends).
    pub hops: Vec<Hop>,
    pub fate: Fate,
    pub holder: Holder,
    /// Attempts made by the current holder.
    pub attempts: u32,
    /// When the current holder took it (queue lifetimes count from here).
    pub held_since: SimTime,
    /// Spam software: which relay of its list it is on, and whether it went direct.
    pub relay_cursor: u16,
    pub relays_tried: u16,
    pub direct: bool,
    /// The channel an adaptive campaign chose for it (`None` for every other
    /// mail: a fixed campaign's channel follows from its strategy).
    pub channel: Option<super::channel::Channel>,
    /// Times it was forwarded to another address.
    pub forwarded: u8,
}

/// The parts of a message only a reader looks at.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Content {
    /// The `From:` header, which may differ from the envelope.
    pub header_from: String,
    pub subject: String,
    /// Trace headers, newest first (RFC 5321 §4.4), as recorded: read them
    /// with [`Message::headers`].
    pub headers: Vec<Header>,
}

/// A trace header as recorded when a server took the message; its text
/// (with its date) is made only when someone reads it ([`Message::headers`]).
#[derive(Debug, Clone, PartialEq)]
pub enum Header {
    Received(Box<Received>),
    /// postgrey's note on a mail that passed after waiting.
    Greylisted {
        secs: u64,
        by: Address,
        date: Timestamp,
    },
    /// `Return-Path:`, added by the server that delivers (RFC 5321 §4.4).
    ReturnPath(Address),
    /// Any other header, as text.
    Text(Box<str>),
}

/// The values of one `Received:` line.
#[derive(Debug, Clone, PartialEq)]
pub struct Received {
    /// The client's EHLO name, its reverse DNS name and its address.
    pub ehlo: Address,
    pub rdns: Option<Address>,
    pub ip: std::net::Ipv4Addr,
    /// The server, how the client came in (`ESMTPA`, …) and its queue id.
    pub by: Address,
    pub with: &'static str,
    pub id: Box<str>,
    pub rcpt: Address,
    /// When (seconds since the Unix epoch).
    pub date: Timestamp,
}

impl std::fmt::Display for Header {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            // RFC 5321 §4.4 trace field, in Postfix's layout; `with` says how
            // the client came in (RFC 3848: ESMTPA after AUTH, S with TLS).
            Header::Received(r) => write!(
                f,
                "Received: from {} ({} [{}])\n\tby {} (Postfix) with {} id {}\n\tfor <{}>; {}",
                r.ehlo,
                r.rdns.as_deref().unwrap_or("unknown"),
                r.ip,
                r.by,
                r.with,
                r.id,
                r.rcpt,
                rfc5322_date(r.date, 0)
            ),
            Header::Greylisted { secs, by, date } => {
                write!(f, "X-Greylist: delayed {secs} seconds by postgrey-1.37 at {by}; {}", rfc5322_date(*date, 0))
            }
            Header::ReturnPath(a) => write!(f, "Return-Path: <{a}>"),
            Header::Text(t) => f.write_str(t),
        }
    }
}

impl Serialize for Header {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
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
            fate: Fate::Queued,
            holder: Holder::Sender,
            attempts: 0,
            held_since: created,
            relay_cursor: 0,
            relays_tried: 0,
            direct: false,
            channel: None,
            forwarded: 0,
        }
    }

    /// The `From:` header ("" when the run keeps no content).
    pub fn header_from(&self) -> &str {
        self.content.as_ref().map_or("", |c| &c.header_from)
    }
    /// The node where the message waits, if it is still on its way: the
    /// server whose queue holds it, or its origin (a client's outbox, spam
    /// software's list). The one rule for "queued here", in reports and the GUI.
    pub fn waiting_at(&self) -> Option<usize> {
        match (&self.fate, self.holder) {
            (Fate::Queued, Holder::Node(n)) => Some(n),
            (Fate::Queued, Holder::Sender) => Some(self.origin),
            _ => None,
        }
    }

    pub fn subject(&self) -> &str {
        self.content.as_ref().map_or("", |c| &c.subject)
    }
    /// Trace headers, newest first, as a reader sees them.
    pub fn headers(&self) -> Vec<String> {
        self.content.as_ref().map_or(Vec::new(), |c| c.headers.iter().map(Header::to_string).collect())
    }
    /// The trace headers, to add one.
    pub fn headers_mut(&mut self) -> &mut Vec<Header> {
        &mut self.content.get_or_insert_with(Default::default).headers
    }

    pub fn rcpt_domain(&self) -> &str {
        self.rcpt.rsplit_once('@').map_or("", |(_, d)| d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(said: Said) -> Vec<(char, String)> {
        render(&[(5, said)]).into_iter().map(|l| (l.who, l.text)).collect()
    }

    #[test]
    fn what_was_said_renders_as_the_command_and_reply_themselves() {
        let a: Address = "alice@isp-a.example".into();
        let commands = [
            Command::Ehlo("pc.example".into()),
            Command::Helo("pc.example".into()),
            Command::MailFrom(Arc::clone(&a), MailParams::default()),
            Command::MailFrom(Arc::clone(&a), MailParams { size: Some(4200), body: Some(Body::EightBitMime) }),
            Command::MailFrom(Arc::clone(&a), MailParams { size: Some(u64::MAX), body: Some(Body::SevenBit) }),
            Command::RcptTo(a),
            Command::Auth { user: "alice".into(), password: "pw".into() },
            Command::StartTls,
            Command::Data,
            Command::Rset,
            Command::Noop,
            Command::Content { bytes: 2300 },
            Command::Quit,
        ];
        for c in commands {
            assert_eq!(lines(Said::command(&c)), [('C', c.to_string())], "{c:?}");
        }
        let ehlo = Reply::new(250, String::from("mx.example\nPIPELINING\nSTARTTLS"));
        let expected: Vec<(char, String)> = ehlo.lines().into_iter().map(|l| ('S', l)).collect();
        assert_eq!(lines(Said::reply(&ehlo)), expected);
        assert_eq!(lines(Said::reply(&Reply::bye())), [('S', "221 2.0.0 Bye".to_string())]);
        let connected = Said::Connected { to: [192, 0, 2, 25].into(), port: 587, from: [10, 1, 0, 25].into() };
        assert_eq!(lines(connected), [('*', "connected to 192.0.2.25:587 from 10.1.0.25".to_string())]);
        assert!(std::mem::size_of::<(SimTime, Said)>() <= 32, "a transcript entry stays small");
    }
}
