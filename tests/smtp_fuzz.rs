//! The SMTP server's byte path promises, whatever a client sends: no panic,
//! bounded memory, and every complete line answered (or the session closed)
//! (what live sessions will rely on). Inputs mix SMTP's own vocabulary (verbs, paths,
//! parameters, CRLF, bare LF, dots) with arbitrary bytes, cut at random
//! points, so most cases reach the deeper states (AUTH, DATA).

use std::net::Ipv4Addr;

use proptest::prelude::*;
use relaysim::scenario::SpfAction;
use relaysim::sim::defense::greylist::GreylistVerdict;
use relaysim::sim::smtp::parse::{COMMAND_LINE_MAX, LineReader, TEXT_LINE_MAX, parse_command};
use relaysim::sim::smtp::server::{BareNewline, ServerEnv, ServerSession, ServerTexts, State};
use relaysim::sim::spf::SpfResult;

/// A company MX with one user and an account.
struct Env;

impl ServerEnv for Env {
    fn is_local_domain(&self, d: &str) -> bool {
        d == "company.example"
    }
    fn mailbox_exists(&self, a: &str) -> Option<bool> {
        Some(a == "bob@company.example")
    }
    fn auth_offered(&self) -> bool {
        true
    }
    fn check_credentials(&mut self, u: &str, p: &str) -> bool {
        u == "bob" && p == "pw"
    }
    fn within_rate_limit(&mut self, _: &str) -> bool {
        true
    }
    fn spf(&mut self, _: Ipv4Addr, _: &str, _: &str) -> Option<(SpfResult, SpfAction)> {
        None
    }
    fn greylist(&mut self, _: Ipv4Addr, _: &str, _: &str) -> Option<GreylistVerdict> {
        None
    }
}

/// A piece of a client's stream.
fn piece() -> impl Strategy<Value = Vec<u8>> {
    let words = prop::sample::select(vec![
        "EHLO pc",
        "HELO pc",
        "ehlo",
        "MAIL FROM:<a@x.example>",
        "MAIL FROM:<>",
        "MAIL FROM:<a@x> SIZE=99999999999",
        "MAIL FROM:<a@x> BODY=8BITMIME",
        "RCPT TO:<bob@company.example>",
        "RCPT TO:<eve@else.example>",
        "RCPT TO:<>",
        "DATA",
        "RSET",
        "NOOP",
        "QUIT",
        "STARTTLS",
        "AUTH PLAIN",
        "AUTH LOGIN",
        "AUTH PLAIN AGJvYgBwdw==",
        "Ym9i",
        "cHc=",
        "*",
        "VRFY bob",
        "GET /",
        ".",
        "..",
        "",
        "\r\n",
        "\n",
        "\r",
        "\r\n.\r\n",
        "\n.\n",
        " ",
        "<",
        ">",
        ":",
        "=",
        "\0",
        "\u{00ff}",
    ])
    .prop_map(|w| w.as_bytes().to_vec());
    prop_oneof![
        4 => words,
        1 => prop::collection::vec(any::<u8>(), 0..40),
        1 => (0usize..1500).prop_map(|n| vec![b'x'; n]),
    ]
}

/// A stream made of pieces, mostly ended by CRLF.
fn stream() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec((piece(), prop::bool::weighted(0.7)), 0..60).prop_map(|parts| {
        let mut out = Vec::new();
        for (p, crlf) in parts {
            out.extend_from_slice(&p);
            if crlf {
                out.extend_from_slice(b"\r\n");
            }
        }
        out
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Any bytes, in any cuts: no panic; in command mode every complete line
    /// gets at least one reply unless the session has closed; the server
    /// keeps no more than a line's worth of a line it has not finished.
    #[test]
    fn every_line_is_answered_or_the_session_closed(
        input in stream(),
        cuts in prop::collection::vec(0usize..2000, 0..8),
        strict in any::<bool>(),
    ) {
        let mut s = ServerSession::new(ServerTexts::new("mx.company.example"), 25, true, Ipv4Addr::new(198, 51, 100, 7), None);
        if strict {
            s.limits.bare_newline = BareNewline::Reject;
        }
        let mut env = Env;
        let opened = s.open(0);
        prop_assert_eq!(opened.replies.len(), 1);
        let mut points: Vec<usize> = cuts.into_iter().map(|c| c.min(input.len())).collect();
        points.push(input.len());
        points.sort_unstable();
        let mut at = 0;
        let mut closed = false;
        for (t, end) in points.into_iter().enumerate() {
            let chunk = &input[at..end];
            at = end;
            if closed {
                break;
            }
            // Complete command lines in this chunk, if the server reads commands all along.
            let commands_only = matches!(s.state(), State::Init | State::Ready | State::Mail | State::Rcpt);
            let out = s.receive(t as u64, chunk, &mut env, "QID");
            for r in &out.replies {
                prop_assert!((200..600).contains(&r.code), "a reply code out of range: {r}");
            }
            if out.close {
                prop_assert_eq!(s.state(), &State::Closed);
                closed = true;
            } else if commands_only && !out.replies.is_empty() {
                // Replies come only for input: never more than lines plus the 421 of the error limit.
                let lines = chunk.iter().filter(|&&b| b == b'\n').count() + 1;
                prop_assert!(out.replies.len() <= lines + 1);
            }
            if !closed {
                prop_assert!(s.poll_at().is_some(), "an open session always has its idle timer");
            }
        }
        prop_assert!(s.errors() <= s.limits.hard_errors);
    }

    /// A stream of only complete command lines, none of them `DATA`, `AUTH`
    /// or a forbidden web verb: exactly one reply per line until the session closes.
    #[test]
    fn one_reply_per_command_line(lines in prop::collection::vec(piece(), 1..40)) {
        let mut s = ServerSession::new(ServerTexts::new("mx.company.example"), 25, true, Ipv4Addr::new(198, 51, 100, 7), None);
        let mut env = Env;
        s.open(0);
        for l in lines {
            let l: Vec<u8> = l.into_iter().filter(|&b| b != b'\n' && b != b'\r').collect();
            let upper = String::from_utf8_lossy(&l).to_ascii_uppercase();
            if upper.starts_with("DATA") || upper.starts_with("AUTH") || upper.starts_with("GET") || upper.starts_with("QUIT") {
                continue;
            }
            let mut bytes = l.clone();
            bytes.extend_from_slice(b"\r\n");
            let out = s.receive(0, &bytes, &mut env, "QID");
            if out.close {
                prop_assert_eq!(out.replies.len(), 2, "the reply, then 421 too many errors");
                break;
            }
            prop_assert_eq!(out.replies.len(), 1, "for {:?}", String::from_utf8_lossy(&l));
        }
    }

    /// The parser alone: any line of any bytes is a request or an error with a reply.
    #[test]
    fn the_parser_never_panics(line in prop::collection::vec(any::<u8>(), 0..600)) {
        match parse_command(&line) {
            Ok(_) => {}
            Err(e) => prop_assert!((200..600).contains(&e.reply().code)),
        }
    }

    /// The line reader never holds more than its limit, however the bytes come.
    #[test]
    fn the_line_reader_is_bounded(input in prop::collection::vec(prop_oneof![Just(b'\n'), Just(b'\r'), any::<u8>()], 0..5000), text in any::<bool>()) {
        let limit = if text { TEXT_LINE_MAX } else { COMMAND_LINE_MAX };
        let mut r = LineReader::new(limit);
        let mut rest = input.as_slice();
        let mut total = 0;
        while let Some(line) = r.next_line(&mut rest) {
            prop_assert!(line.text.len() <= limit - 2);
            total += 1;
        }
        prop_assert!(r.pending() <= limit);
        prop_assert_eq!(total, input.iter().filter(|&&b| b == b'\n').count());
    }
}
