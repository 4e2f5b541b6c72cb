//! The POP3 server's byte path (`relaysim serve --pop3`) promises, whatever
//! a client sends: no panic, every complete line answered with `+OK` or
//! `-ERR` (or the session closed), at most one answer per line, and the
//! error limit closes a session that only sends garbage. Inputs mix POP3's
//! own vocabulary with arbitrary bytes, cut at random points.

#![cfg(feature = "cli")]

use proptest::prelude::*;
use relaysim::live::pop3::{self, ERROR_LIMIT, LoginError, Maildrop, Session, State, Stored};

struct Box1;

impl Maildrop for Box1 {
    fn login(&mut self, u: &str, p: &str) -> Result<Vec<Stored>, LoginError> {
        match (u, p) {
            ("bob@x.example", "pw") => Ok(vec![
                Stored { id: 1, text: b"Subject: a\r\n\r\n.\r\n..\r\nx\r\n".to_vec() },
                Stored { id: 2, text: b"Subject: b\r\n\r\nbody\r\n".to_vec() },
            ]),
            ("bob@x.example", _) => Err(LoginError::BadPassword),
            _ => Err(LoginError::NoMailbox),
        }
    }
}

fn piece() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(b"USER bob@x.example\r\n".to_vec()),
        Just(b"PASS pw\r\n".to_vec()),
        Just(b"PASS wrong\r\n".to_vec()),
        Just(b"STAT\r\n".to_vec()),
        Just(b"LIST\r\n".to_vec()),
        Just(b"LIST 2\r\n".to_vec()),
        Just(b"UIDL\r\n".to_vec()),
        Just(b"RETR 1\r\n".to_vec()),
        Just(b"RETR 99999999999999999999\r\n".to_vec()),
        Just(b"DELE 1\r\n".to_vec()),
        Just(b"RSET\r\n".to_vec()),
        Just(b"NOOP\r\n".to_vec()),
        Just(b"CAPA\r\n".to_vec()),
        Just(b"QUIT\r\n".to_vec()),
        Just(b"\n".to_vec()),
        Just(b"\r\n".to_vec()),
        proptest::collection::vec(any::<u8>(), 0..40),
        proptest::collection::vec(Just(b'A'), 400..1200),
    ]
}

/// The number of lines the server must have read: every LF while open.
fn lines(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| b == b'\n').count()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn every_line_is_answered_or_the_session_closes(pieces in proptest::collection::vec(piece(), 0..40), cut in 1usize..64) {
        let input: Vec<u8> = pieces.concat();
        let mut s = Session::new("mail.x.example");
        let mut out = Vec::new();
        let mut closed = false;
        for chunk in input.chunks(cut) {
            if closed {
                break;
            }
            let o = s.receive(chunk, &mut Box1);
            out.extend_from_slice(&o.bytes);
            closed = o.close;
        }
        let text = String::from_utf8_lossy(&out);
        // Status lines are those that start a response (multi-line bodies
        // are dot-stuffed, so a body line never starts with `+OK`/`-ERR`
        // unless the message says so; the maildrop here never does).
        let answers = text.lines().filter(|l| l.starts_with("+OK") || l.starts_with("-ERR")).count();
        if closed {
            prop_assert!(*s.state() == State::Closed);
        } else {
            prop_assert_eq!(answers, lines(&input), "one answer per line:\n{}", text);
        }
        prop_assert!(answers <= lines(&input) + 1);
    }

    #[test]
    fn garbage_is_bounded_by_the_error_limit(junk in proptest::collection::vec(any::<u8>(), 0..4000)) {
        let mut s = Session::new("h");
        let mut input = junk;
        input.extend(b"\n".repeat(ERROR_LIMIT as usize * 2));
        let o = s.receive(&input, &mut Box1);
        prop_assert!(o.close || s.state() != &State::Closed);
        prop_assert!(o.bytes.len() < 64 * (ERROR_LIMIT as usize + 2) + 4096);
    }

    #[test]
    fn parse_never_panics(line in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = pop3::parse(&line);
    }
}
