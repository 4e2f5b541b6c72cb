//! Bytes to commands: the live path's front end to the server's state
//! machine (the simulated client hands over typed [`Command`]s instead).
//!
//! Heads up: read RFC 5321 §4.1.1 (command syntax), §4.1.2 (paths) and
//! §4.5.3.1 (size limits) first, then RFC 1870 (SIZE), RFC 6152 (8BITMIME)
//! and RFC 4954/4616 (AUTH PLAIN).
//!
//! Two layers, both bounded whatever arrives:
//! - [`LineReader`] cuts a byte stream into lines at LF (CRLF or a bare LF,
//!   as Postfix accepts in commands), keeping at most `limit` octets of a
//!   line; a longer line is reported as too long once its end arrives, and
//!   its excess is never stored.
//! - [`parse_command`] turns one line into a [`Request`] or a [`ParseError`]
//!   that knows the reply Postfix gives.

use std::fmt;

use super::{Body, Command, MailParams, Reply};
use crate::sim::message::Address;

/// RFC 5321 §4.5.3.1.4: a command line is at most 512 octets, CRLF included.
pub const COMMAND_LINE_MAX: usize = 512;
/// RFC 5321 §4.5.3.1.6: a line of message text is at most 1000 octets, CRLF included.
pub const TEXT_LINE_MAX: usize = 1000;
/// RFC 5321 §4.5.3.1.3: a path (`<local@domain>`) is at most 256 octets.
pub const PATH_MAX: usize = 256;

/// How a line ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// `<CR><LF>`, the only ending RFC 5321 §2.3.8 allows.
    Crlf,
    /// A bare `<LF>`; Postfix (`smtpd_forbid_bare_newline = normal`, the
    /// default since 3.9) takes it as a line end, except in the end-of-data
    /// marker.
    BareLf,
}

/// One line cut from the stream, without its ending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// The first octets of the line (all of it unless `too_long`).
    pub text: Vec<u8>,
    pub ending: Ending,
    /// The line (ending included) was longer than the reader's limit; `text`
    /// holds only its start.
    pub too_long: bool,
}

/// Cuts a stream into lines, storing at most `limit` octets of any line.
#[derive(Debug, Clone)]
pub struct LineReader {
    limit: usize,
    buf: Vec<u8>,
    /// Octets of the current line seen so far (stored or not).
    seen: usize,
    /// The last octet of the current line seen so far (a CR before the LF?).
    last: Option<u8>,
}

impl LineReader {
    /// A reader for lines of at most `limit` octets, ending included.
    pub fn new(limit: usize) -> Self {
        LineReader { limit, buf: Vec::new(), seen: 0, last: None }
    }

    /// Octets of an unfinished line held so far (never more than the limit).
    pub fn pending(&self) -> usize {
        self.buf.len()
    }

    /// Takes bytes from the front of `input` up to the end of the next line
    /// and returns that line; `None` when `input` ran out first (the start
    /// of the line is kept for the next call).
    pub fn next_line(&mut self, input: &mut &[u8]) -> Option<Line> {
        let (chunk, rest, done) = match input.iter().position(|&b| b == b'\n') {
            Some(i) => (&input[..i], &input[i + 1..], true),
            None => (*input, &[][..], false),
        };
        *input = rest;
        // Keep room for the ending within the limit.
        let room = self.limit.saturating_sub(self.buf.len());
        self.buf.extend_from_slice(&chunk[..chunk.len().min(room)]);
        self.seen = self.seen.saturating_add(chunk.len());
        if let Some(&b) = chunk.last() {
            self.last = Some(b);
        }
        if !done {
            return None;
        }
        let crlf = self.last == Some(b'\r');
        let mut text = std::mem::take(&mut self.buf);
        let seen = std::mem::take(&mut self.seen);
        self.last = None;
        if crlf && text.len() == seen {
            text.pop();
        }
        // Counted as if ended by CRLF: a bare LF is one octet short.
        let octets = seen.saturating_add(if crlf { 1 } else { 2 });
        let too_long = octets > self.limit;
        text.truncate(self.limit.saturating_sub(2));
        Some(Line { text, ending: if crlf { Ending::Crlf } else { Ending::BareLf }, too_long })
    }
}

/// A command line, read: a command, or the first step of an AUTH dialogue.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    Command(Command),
    /// `AUTH PLAIN` without an initial response, or `AUTH LOGIN`: the server
    /// asks for the credentials with `334` (RFC 4954 §4).
    AuthChallenge(Mechanism),
}

/// The SASL mechanisms the server lists (`AUTH PLAIN LOGIN`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mechanism {
    Plain,
    Login,
}

/// Why a line is not a command the server can act on, with Postfix's reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    /// An empty line (Postfix smtpd.c).
    Empty,
    /// Over [`COMMAND_LINE_MAX`] octets.
    LineTooLong,
    /// A verb the server does not know.
    Unknown,
    /// `VRFY`, which this server does not answer (Postfix `disable_vrfy_command = yes`).
    VrfyDisabled,
    /// `GET`, `POST`, `CONNECT`: a web client or a proxy abuser (Postfix
    /// `smtpd_forbidden_commands`); the server hangs up.
    Forbidden,
    /// `EHLO`/`HELO` without a name.
    HeloSyntax {
        verb: &'static str,
    },
    /// `MAIL` not followed by `FROM:`.
    MailSyntax,
    /// `RCPT` not followed by `TO:`.
    RcptSyntax,
    BadSender,
    BadRecipient,
    /// A parameter that takes no arguments got some (`DATA x`).
    NoArguments {
        verb: &'static str,
    },
    /// `SIZE=` not a number (RFC 1870).
    BadSize,
    /// A MAIL or RCPT parameter this server does not support (RFC 5321 §4.1.1.11: 555).
    UnsupportedOption(String),
    /// `AUTH` without a mechanism.
    AuthSyntax,
    /// A mechanism the server does not offer (RFC 4954 §4: 504).
    UnknownMechanism,
    /// An initial response or a reply to `334` that is not base64 (RFC 4954 §4: 501).
    BadBase64,
    /// `*` in answer to `334`: the client gave up (RFC 4954 §4).
    AuthAborted,
}

impl ParseError {
    /// The reply Postfix gives for this error.
    pub fn reply(&self) -> Reply {
        match self {
            ParseError::Empty => Reply::new(500, "5.5.2 Error: bad syntax"),
            ParseError::LineTooLong => Reply::new(500, "5.5.0 Error: line too long"),
            ParseError::Unknown => Reply::new(502, "5.5.2 Error: command not recognized"),
            ParseError::VrfyDisabled => Reply::new(502, "5.5.1 VRFY command is disabled"),
            ParseError::Forbidden => Reply::new(221, "2.7.0 Error: I can break rules, too. Goodbye."),
            ParseError::HeloSyntax { verb } => Reply::new(501, format!("Syntax: {verb} hostname")),
            ParseError::MailSyntax => Reply::new(501, "5.5.4 Syntax: MAIL FROM:<address>"),
            ParseError::RcptSyntax => Reply::new(501, "5.5.4 Syntax: RCPT TO:<address>"),
            ParseError::BadSender => Reply::new(501, "5.1.7 Bad sender address syntax"),
            ParseError::BadRecipient => Reply::new(501, "5.1.3 Bad recipient address syntax"),
            ParseError::NoArguments { verb } => Reply::new(501, format!("5.5.4 Syntax: {verb}")),
            ParseError::BadSize => Reply::new(501, "5.5.4 Bad message size syntax"),
            ParseError::UnsupportedOption(o) => Reply::new(555, format!("5.5.4 Unsupported option: {o}")),
            ParseError::AuthSyntax => Reply::new(501, "5.5.4 Syntax: AUTH mechanism"),
            ParseError::UnknownMechanism => Reply::new(504, "5.5.4 Unrecognized authentication type"),
            ParseError::BadBase64 => Reply::new(501, "5.5.2 Invalid base64 data in initial response"),
            ParseError::AuthAborted => Reply::new(501, "5.7.0 Authentication aborted"),
        }
    }

    /// Does the server hang up after this reply?
    pub fn closes(&self) -> bool {
        matches!(self, ParseError::Forbidden)
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.reply())
    }
}

impl std::error::Error for ParseError {}

/// Reads one command line (its ending already removed).
pub fn parse_command(line: &[u8]) -> Result<Request, ParseError> {
    // RFC 5321 §4.1.1: the verb, then (for most) one space and arguments.
    let line = trim(line);
    if line.is_empty() {
        return Err(ParseError::Empty);
    }
    let (verb, args) = match line.iter().position(|&b| b == b' ') {
        Some(i) => (&line[..i], trim(&line[i + 1..])),
        None => (line, &[][..]),
    };
    let no_args = |verb: &'static str, c: Command| {
        if args.is_empty() { Ok(Request::Command(c)) } else { Err(ParseError::NoArguments { verb }) }
    };
    let is = |name: &str| verb.eq_ignore_ascii_case(name.as_bytes());
    if is("EHLO") || is("HELO") {
        let ehlo = is("EHLO");
        let name = std::str::from_utf8(args).ok().filter(|s| !s.is_empty() && s.bytes().all(|b| b > b' ' && b < 0x7f));
        let Some(name) = name else {
            return Err(ParseError::HeloSyntax { verb: if ehlo { "EHLO" } else { "HELO" } });
        };
        let name: Address = name.into();
        Ok(Request::Command(if ehlo { Command::Ehlo(name) } else { Command::Helo(name) }))
    } else if is("MAIL") {
        let rest = strip_prefix_ci(args, b"FROM:").ok_or(ParseError::MailSyntax)?;
        let (path, params) = path_and_params(rest, ParseError::MailSyntax)?;
        let from = address(path, true).ok_or(ParseError::BadSender)?;
        let mut p = MailParams::default();
        for param in params {
            let (key, value) = split_param(param);
            if key.eq_ignore_ascii_case(b"SIZE") {
                // RFC 1870 §6: SIZE=<digits>.
                let digits = value.filter(|v| !v.is_empty() && v.len() <= 19 && v.iter().all(u8::is_ascii_digit));
                let n = digits.and_then(|v| std::str::from_utf8(v).ok()?.parse().ok()).ok_or(ParseError::BadSize)?;
                p.size = Some(n);
            } else if key.eq_ignore_ascii_case(b"BODY") && value.is_some_and(|v| v.eq_ignore_ascii_case(b"8BITMIME")) {
                p.body = Some(Body::EightBitMime); // RFC 6152
            } else if key.eq_ignore_ascii_case(b"BODY") && value.is_some_and(|v| v.eq_ignore_ascii_case(b"7BIT")) {
                p.body = Some(Body::SevenBit);
            } else if !(key.eq_ignore_ascii_case(b"RET") || key.eq_ignore_ascii_case(b"ENVID")) {
                // DSN's RET and ENVID are accepted and ignored (RFC 3461 §4.3, §4.4).
                return Err(ParseError::UnsupportedOption(lossy(param)));
            }
        }
        Ok(Request::Command(Command::MailFrom(from, p)))
    } else if is("RCPT") {
        let rest = strip_prefix_ci(args, b"TO:").ok_or(ParseError::RcptSyntax)?;
        let (path, params) = path_and_params(rest, ParseError::RcptSyntax)?;
        let to = address(path, false).ok_or(ParseError::BadRecipient)?;
        for param in params {
            let (key, _) = split_param(param);
            // DSN's NOTIFY and ORCPT are accepted and ignored (RFC 3461 §4.1, §4.2).
            if !(key.eq_ignore_ascii_case(b"NOTIFY") || key.eq_ignore_ascii_case(b"ORCPT")) {
                return Err(ParseError::UnsupportedOption(lossy(param)));
            }
        }
        Ok(Request::Command(Command::RcptTo(to)))
    } else if is("DATA") {
        no_args("DATA", Command::Data)
    } else if is("RSET") {
        no_args("RSET", Command::Rset)
    } else if is("QUIT") {
        no_args("QUIT", Command::Quit)
    } else if is("STARTTLS") {
        no_args("STARTTLS", Command::StartTls)
    } else if is("NOOP") {
        // RFC 5321 §4.1.1.9: NOOP may carry a string, which is ignored.
        Ok(Request::Command(Command::Noop))
    } else if is("AUTH") {
        auth(args)
    } else if is("VRFY") {
        Err(ParseError::VrfyDisabled)
    } else if is("GET") || is("POST") || is("CONNECT") {
        Err(ParseError::Forbidden)
    } else {
        Err(ParseError::Unknown)
    }
}

/// `AUTH mechanism [initial-response]` (RFC 4954 §4).
fn auth(args: &[u8]) -> Result<Request, ParseError> {
    let mut words = args.split(|&b| b == b' ').filter(|w| !w.is_empty());
    let mech = words.next().ok_or(ParseError::AuthSyntax)?;
    let initial = words.next();
    if mech.eq_ignore_ascii_case(b"PLAIN") {
        match initial {
            None => Ok(Request::AuthChallenge(Mechanism::Plain)),
            Some(r) => plain(r).map(Request::Command),
        }
    } else if mech.eq_ignore_ascii_case(b"LOGIN") {
        // RFC 4954 allows an initial response with LOGIN too, but Postfix's
        // clients do not send one; it is refused as a syntax error.
        if initial.is_some() { Err(ParseError::AuthSyntax) } else { Ok(Request::AuthChallenge(Mechanism::Login)) }
    } else {
        Err(ParseError::UnknownMechanism)
    }
}

/// The PLAIN message `[authzid] NUL authcid NUL passwd` (RFC 4616 §2),
/// base64-encoded. A message that decodes but is malformed gives empty
/// credentials, which the server refuses as invalid (535), as Postfix does.
pub fn plain(response: &[u8]) -> Result<Command, ParseError> {
    base64_decode(response).map(|raw| plain_message(&raw)).ok_or(ParseError::BadBase64)
}

/// A decoded PLAIN message as a command (empty credentials when malformed).
pub fn plain_message(raw: &[u8]) -> Command {
    let mut parts = raw.split(|&b| b == 0);
    let (_authz, user, password) = (parts.next(), parts.next(), parts.next());
    let creds = match (user, password, parts.next()) {
        (Some(u), Some(p), None) => std::str::from_utf8(u).ok().zip(std::str::from_utf8(p).ok()),
        _ => None,
    };
    let (user, password) = creds.unwrap_or(("", ""));
    Command::Auth { user: user.into(), password: password.into() }
}

/// A base64 line answering `334` (RFC 4954 §4), decoded; `*` cancels.
pub fn auth_response(line: &[u8]) -> Result<Vec<u8>, ParseError> {
    let line = trim(line);
    if line == b"*" {
        return Err(ParseError::AuthAborted);
    }
    base64_decode(line).ok_or(ParseError::BadBase64)
}

/// `<path> [params]` or, as Postfix accepts by default, a bare address.
fn path_and_params(rest: &[u8], err: ParseError) -> Result<(&[u8], Vec<&[u8]>), ParseError> {
    let rest = trim(rest);
    let (path, tail) = if rest.first() == Some(&b'<') {
        let end = rest.iter().position(|&b| b == b'>').ok_or(err.clone())?;
        (&rest[1..end], &rest[end + 1..])
    } else {
        let end = rest.iter().position(|&b| b == b' ').unwrap_or(rest.len());
        if end == 0 {
            return Err(err);
        }
        (&rest[..end], &rest[end..])
    };
    if !tail.is_empty() && tail[0] != b' ' {
        return Err(err);
    }
    Ok((path, tail.split(|&b| b == b' ').filter(|p| !p.is_empty()).collect()))
}

/// An address as RFC 5321 §4.1.2 allows it, loosely: printable ASCII,
/// no spaces or brackets, `local@domain` with both parts present, or a
/// bare `postmaster` (§4.5.1); `<>` only as a sender (§4.5.5).
fn address(path: &[u8], sender: bool) -> Option<Address> {
    if path.is_empty() {
        return sender.then(|| "".into());
    }
    if path.len() > PATH_MAX - 2 || !path.iter().all(|&b| b > b' ' && b < 0x7f && !b"<>()[]\\,;\"".contains(&b)) {
        return None;
    }
    let s = std::str::from_utf8(path).ok()?;
    match s.rsplit_once('@') {
        Some((local, domain)) if !local.is_empty() && !domain.is_empty() && !domain.contains('@') => Some(s.into()),
        None if !sender && s.eq_ignore_ascii_case("postmaster") => Some(s.into()),
        _ => None,
    }
}

fn split_param(p: &[u8]) -> (&[u8], Option<&[u8]>) {
    match p.iter().position(|&b| b == b'=') {
        Some(i) => (&p[..i], Some(&p[i + 1..])),
        None => (p, None),
    }
}

fn strip_prefix_ci<'a>(s: &'a [u8], prefix: &[u8]) -> Option<&'a [u8]> {
    (s.len() >= prefix.len() && s[..prefix.len()].eq_ignore_ascii_case(prefix)).then(|| &s[prefix.len()..])
}

fn trim(s: &[u8]) -> &[u8] {
    let start = s.iter().position(|&b| b != b' ' && b != b'\t').unwrap_or(s.len());
    let end = s.iter().rposition(|&b| b != b' ' && b != b'\t').map_or(start, |i| i + 1);
    &s[start..end.max(start)]
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Standard base64 (RFC 4648 §4) with padding; `=` alone is the empty string
/// (RFC 4954 §4). `None` for anything else.
pub fn base64_decode(s: &[u8]) -> Option<Vec<u8>> {
    if s == b"=" {
        return Some(Vec::new());
    }
    if !s.len().is_multiple_of(4) {
        return None;
    }
    let val = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let mut out = Vec::with_capacity(s.len() / 4 * 3);
    let chunks = s.len() / 4;
    for (i, c) in s.chunks(4).enumerate() {
        let pad = c.iter().rev().take_while(|&&b| b == b'=').count();
        if pad > 2 || (pad > 0 && i + 1 != chunks) {
            return None;
        }
        let mut n = 0u32;
        for &b in &c[..4 - pad] {
            n = n << 6 | val(b)?;
        }
        n <<= 6 * pad as u32;
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes[..3 - pad]);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmd(s: &str) -> Result<Request, ParseError> {
        parse_command(s.as_bytes())
    }
    fn ok(s: &str) -> Command {
        match cmd(s) {
            Ok(Request::Command(c)) => c,
            other => panic!("{s}: {other:?}"),
        }
    }
    fn lines(reader: &mut LineReader, mut input: &[u8]) -> Vec<Line> {
        std::iter::from_fn(|| reader.next_line(&mut input)).collect()
    }

    #[test]
    fn verbs_are_case_insensitive() {
        assert_eq!(ok("ehlo pc.example"), Command::Ehlo("pc.example".into()));
        assert_eq!(ok("HeLo pc"), Command::Helo("pc".into()));
        assert_eq!(ok("data"), Command::Data);
        assert_eq!(ok("Rset"), Command::Rset);
        assert_eq!(ok("NOOP anything at all"), Command::Noop);
        assert_eq!(ok("quit"), Command::Quit);
        assert_eq!(ok("StartTLS"), Command::StartTls);
    }

    #[test]
    fn mail_and_rcpt_paths() {
        assert_eq!(ok("MAIL FROM:<a@x.example>"), Command::MailFrom("a@x.example".into(), MailParams::default()));
        assert_eq!(ok("mail from: <a@x.example>"), Command::MailFrom("a@x.example".into(), MailParams::default()));
        assert_eq!(ok("MAIL FROM:a@x.example"), Command::MailFrom("a@x.example".into(), MailParams::default()));
        assert_eq!(ok("MAIL FROM:<>"), Command::MailFrom("".into(), MailParams::default()), "the null sender");
        assert_eq!(ok("RCPT TO:<b@y.example>"), Command::RcptTo("b@y.example".into()));
        assert_eq!(ok("RCPT TO:<Postmaster>"), Command::RcptTo("Postmaster".into()));
        assert_eq!(ok("RCPT TO:<b@y.example> NOTIFY=NEVER"), Command::RcptTo("b@y.example".into()));
    }

    #[test]
    fn mail_parameters_size_and_body() {
        let p = |size, body| MailParams { size, body };
        assert_eq!(ok("MAIL FROM:<a@x> SIZE=1000"), Command::MailFrom("a@x".into(), p(Some(1000), None)));
        assert_eq!(
            ok("MAIL FROM:<a@x> BODY=8BITMIME SIZE=5"),
            Command::MailFrom("a@x".into(), p(Some(5), Some(Body::EightBitMime)))
        );
        assert_eq!(ok("MAIL FROM:<a@x> body=7bit"), Command::MailFrom("a@x".into(), p(None, Some(Body::SevenBit))));
        assert_eq!(cmd("MAIL FROM:<a@x> SIZE=big"), Err(ParseError::BadSize));
        assert_eq!(cmd("MAIL FROM:<a@x> SIZE=99999999999999999999"), Err(ParseError::BadSize));
        assert_eq!(
            cmd("MAIL FROM:<a@x> BODY=BINARYMIME"),
            Err(ParseError::UnsupportedOption("BODY=BINARYMIME".into()))
        );
        assert_eq!(cmd("MAIL FROM:<a@x> SMTPUTF8").unwrap_err().reply().code, 555);
    }

    #[test]
    fn syntax_errors_get_postfix_replies() {
        let r = |s: &str| cmd(s).unwrap_err().reply().to_string();
        assert_eq!(r(""), "500 5.5.2 Error: bad syntax");
        assert_eq!(r("   "), "500 5.5.2 Error: bad syntax");
        assert_eq!(r("XYZZY"), "502 5.5.2 Error: command not recognized");
        assert_eq!(r("EHLO"), "501 Syntax: EHLO hostname");
        assert_eq!(r("HELO"), "501 Syntax: HELO hostname");
        assert_eq!(r("MAIL"), "501 5.5.4 Syntax: MAIL FROM:<address>");
        assert_eq!(r("MAIL TO:<a@x>"), "501 5.5.4 Syntax: MAIL FROM:<address>");
        assert_eq!(r("MAIL FROM:<a@x"), "501 5.5.4 Syntax: MAIL FROM:<address>");
        assert_eq!(r("MAIL FROM:<a@x>junk"), "501 5.5.4 Syntax: MAIL FROM:<address>");
        assert_eq!(r("MAIL FROM:<no-at-sign>"), "501 5.1.7 Bad sender address syntax");
        assert_eq!(r("MAIL FROM:<a b@x>"), "501 5.1.7 Bad sender address syntax");
        assert_eq!(r("RCPT FROM:<a@x>"), "501 5.5.4 Syntax: RCPT TO:<address>");
        assert_eq!(r("RCPT TO:<>"), "501 5.1.3 Bad recipient address syntax");
        assert_eq!(r("RCPT TO:<@x>"), "501 5.1.3 Bad recipient address syntax");
        assert_eq!(r("DATA now"), "501 5.5.4 Syntax: DATA");
        assert_eq!(r("RSET please"), "501 5.5.4 Syntax: RSET");
        assert_eq!(r("VRFY bob"), "502 5.5.1 VRFY command is disabled");
        assert_eq!(r("GET / HTTP/1.1"), "221 2.7.0 Error: I can break rules, too. Goodbye.");
        assert!(cmd("POST /").unwrap_err().closes());
        let long = format!("RCPT TO:<{}@x.example>", "a".repeat(300));
        assert_eq!(r(&long), "501 5.1.3 Bad recipient address syntax", "a path over 256 octets");
    }

    #[test]
    fn auth_plain_and_its_errors() {
        // RFC 4616 §4's example.
        assert_eq!(
            ok("AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm"),
            Command::Auth { user: "tim".into(), password: "tanstaaftanstaaf".into() }
        );
        assert_eq!(cmd("auth plain"), Ok(Request::AuthChallenge(Mechanism::Plain)));
        assert_eq!(cmd("AUTH LOGIN"), Ok(Request::AuthChallenge(Mechanism::Login)));
        assert_eq!(cmd("AUTH"), Err(ParseError::AuthSyntax));
        assert_eq!(cmd("AUTH CRAM-MD5").unwrap_err().reply().code, 504);
        assert_eq!(
            cmd("AUTH PLAIN !!!!").unwrap_err().reply().to_string(),
            "501 5.5.2 Invalid base64 data in initial response"
        );
        assert_eq!(cmd("AUTH PLAIN abc"), Err(ParseError::BadBase64), "not a multiple of four");
        // Decodes, but is not authzid NUL user NUL password: empty credentials.
        assert_eq!(ok("AUTH PLAIN dGlt"), Command::Auth { user: "".into(), password: "".into() });
        assert_eq!(auth_response(b"*"), Err(ParseError::AuthAborted));
        assert_eq!(auth_response(b"dGlt"), Ok(b"tim".to_vec()));
    }

    #[test]
    fn base64_round_trips_the_encoder() {
        for s in ["", "a", "ab", "abc", "abcd", "\0tim\0pw"] {
            let e = base64_encode_for_test(s.as_bytes());
            assert_eq!(base64_decode(e.as_bytes()).as_deref(), Some(s.as_bytes()), "{s:?}");
        }
        assert_eq!(base64_decode(b"="), Some(vec![]));
        assert_eq!(base64_decode(b"QQ==QQ=="), None, "padding only at the end");
        assert_eq!(base64_decode(b"Q==="), None);
    }

    fn base64_encode_for_test(d: &[u8]) -> String {
        const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = String::new();
        for c in d.chunks(3) {
            let n = (c[0] as u32) << 16 | (*c.get(1).unwrap_or(&0) as u32) << 8 | *c.get(2).unwrap_or(&0) as u32;
            for k in 0..4 {
                out.push(if k <= c.len() { T[(n >> (18 - 6 * k) & 63) as usize] as char } else { '=' });
            }
        }
        out
    }

    #[test]
    fn lines_end_at_crlf_or_a_bare_lf() {
        let mut r = LineReader::new(COMMAND_LINE_MAX);
        let got = lines(&mut r, b"EHLO a\r\nNOOP\nQUIT");
        assert_eq!(got.len(), 2);
        assert_eq!((got[0].text.as_slice(), got[0].ending), (&b"EHLO a"[..], Ending::Crlf));
        assert_eq!((got[1].text.as_slice(), got[1].ending), (&b"NOOP"[..], Ending::BareLf));
        assert_eq!(r.pending(), 4, "QUIT waits for its line end");
        let got = lines(&mut r, b"\r\n");
        assert_eq!(got[0].text, b"QUIT");
        assert_eq!(got[0].ending, Ending::Crlf);
    }

    #[test]
    fn a_line_split_anywhere_reads_the_same() {
        let whole = b"MAIL FROM:<a@x.example>\r\n";
        for cut in 0..whole.len() {
            let mut r = LineReader::new(COMMAND_LINE_MAX);
            let mut first = &whole[..cut];
            assert!(r.next_line(&mut first).is_none() || cut == whole.len());
            let mut second = &whole[cut..];
            let l = r.next_line(&mut second).expect("a line");
            assert_eq!(l.text, b"MAIL FROM:<a@x.example>", "cut at {cut}");
            assert_eq!(l.ending, Ending::Crlf, "cut at {cut}");
        }
    }

    #[test]
    fn the_512_octet_limit_counts_the_crlf() {
        let exact = format!("NOOP {}\r\n", "x".repeat(COMMAND_LINE_MAX - 7));
        assert_eq!(exact.len(), COMMAND_LINE_MAX);
        let mut r = LineReader::new(COMMAND_LINE_MAX);
        assert!(!lines(&mut r, exact.as_bytes())[0].too_long);
        let over = format!("NOOP {}\r\n", "x".repeat(COMMAND_LINE_MAX - 6));
        assert!(lines(&mut r, over.as_bytes())[0].too_long);
        // A bare LF counts as if it were CRLF: 511 octets + LF is 512.
        let bare = format!("NOOP {}\n", "x".repeat(COMMAND_LINE_MAX - 7));
        assert!(!lines(&mut r, bare.as_bytes())[0].too_long);
        // A huge line is never stored whole.
        let mut r = LineReader::new(COMMAND_LINE_MAX);
        let mut big: &[u8] = &[b'x'; 100_000];
        assert!(r.next_line(&mut big).is_none());
        assert!(r.pending() <= COMMAND_LINE_MAX);
        let l = r.next_line(&mut &b"\r\n"[..]).unwrap();
        assert!(l.too_long && l.text.len() <= COMMAND_LINE_MAX);
    }
}
