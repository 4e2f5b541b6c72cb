//! The message content after `354`: lines up to `<CRLF>.<CRLF>`, with the
//! client's dot-stuffing undone.
//!
//! Heads up: read RFC 5321 §4.1.1.4 (DATA), §4.5.2 (transparency: the
//! client doubles a leading dot, the server removes it) and §4.5.3.1.6 (a
//! text line is at most 1000 octets), and Postfix's `smtpd_forbid_bare_newline`
//! (the SMTP smuggling fix, <https://www.postfix.org/smtp-smuggling.html>).
//!
//! Bare LF, as Postfix 3.9's default (`normal`) treats it: a line ending in
//! a bare `<LF>` is taken as if it ended in `<CRLF>`, but only the standard
//! sequence `<CR><LF>.<CR><LF>` ends the data. A `.` line that ends in a
//! bare LF, or that follows a line ending in one, is content (one empty
//! line, once unstuffed), so `<LF>.<LF>` cannot smuggle a second message.
//!
//! Bounded: the reader keeps at most [`super::parse::TEXT_LINE_MAX`] octets
//! of a line and at most `size_limit` octets of content; the rest is counted
//! and dropped.

use super::parse::{Ending, LineReader, TEXT_LINE_MAX};

/// What the content turned out to be once its end marker arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataEnd {
    /// Octets of content after unstuffing, every line counted with CRLF.
    pub bytes: u64,
    /// The content kept (at most the size limit; all of it unless `too_big`).
    pub content: Vec<u8>,
    /// A line was longer than 1000 octets (RFC 5321 §4.5.3.1.6).
    pub line_too_long: bool,
    /// Some line ended in a bare LF.
    pub bare_lf: bool,
}

/// Reads the content of one message.
#[derive(Debug, Clone)]
pub struct DataReader {
    lines: LineReader,
    size_limit: u64,
    bytes: u64,
    content: Vec<u8>,
    line_too_long: bool,
    bare_lf: bool,
    /// The previous line ended in CRLF (true at the start: the `DATA`
    /// command's own CRLF comes first).
    after_crlf: bool,
    /// Stop at the first bare LF (Postfix `smtpd_forbid_bare_newline = reject`).
    stop_at_bare_lf: bool,
}

impl DataReader {
    /// A reader that keeps at most `size_limit` octets of content.
    pub fn new(size_limit: u64) -> Self {
        DataReader {
            lines: LineReader::new(TEXT_LINE_MAX),
            size_limit,
            bytes: 0,
            content: Vec::new(),
            line_too_long: false,
            bare_lf: false,
            after_crlf: true,
            stop_at_bare_lf: false,
        }
    }

    /// A reader that stops at the first line ending in a bare LF: `feed`
    /// then returns at once with `bare_lf` set (the server refuses and hangs up).
    pub fn stopping_at_bare_lf(mut self) -> Self {
        self.stop_at_bare_lf = true;
        self
    }

    /// Takes bytes from the front of `input` until the end marker, and then
    /// says what the content was; `None` when `input` ran out first. Bytes
    /// after the marker stay in `input` (the next pipelined command).
    pub fn feed(&mut self, input: &mut &[u8]) -> Option<DataEnd> {
        while let Some(line) = self.lines.next_line(input) {
            let crlf = line.ending == Ending::Crlf;
            let after_crlf = std::mem::replace(&mut self.after_crlf, crlf);
            // RFC 5321 §4.1.1.4: <CRLF>.<CRLF> ends the data (Postfix: only that sequence).
            if line.text == b"." && crlf && after_crlf && !line.too_long {
                return Some(self.finish());
            }
            self.bare_lf |= !crlf;
            if !crlf && self.stop_at_bare_lf {
                return Some(self.finish());
            }
            self.line_too_long |= line.too_long;
            // RFC 5321 §4.5.2: a leading dot was doubled by the client.
            let text = line.text.strip_prefix(b".").unwrap_or(&line.text);
            let n = text.len() as u64 + 2;
            self.bytes = self.bytes.saturating_add(n);
            if self.bytes <= self.size_limit {
                self.content.extend_from_slice(text);
                self.content.extend_from_slice(b"\r\n");
            }
        }
        None
    }

    fn finish(&mut self) -> DataEnd {
        let end = DataEnd {
            bytes: self.bytes,
            content: std::mem::take(&mut self.content),
            line_too_long: self.line_too_long,
            bare_lf: self.bare_lf,
        };
        *self = DataReader { stop_at_bare_lf: self.stop_at_bare_lf, ..DataReader::new(self.size_limit) };
        end
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(input: &[u8]) -> (Option<DataEnd>, usize) {
        let mut r = DataReader::new(10_240_000);
        let mut rest = input;
        let end = r.feed(&mut rest);
        (end, rest.len())
    }

    #[test]
    fn crlf_dot_crlf_ends_the_data_and_leaves_what_follows() {
        let (end, left) = read(b"Subject: hi\r\n\r\nbody\r\n.\r\nQUIT\r\n");
        let end = end.expect("ended");
        assert_eq!(end.content, b"Subject: hi\r\n\r\nbody\r\n");
        assert_eq!(end.bytes, 21);
        assert_eq!(left, 6, "QUIT is the next command");
        assert!(!end.bare_lf && !end.line_too_long);
    }

    #[test]
    fn an_empty_message_is_just_the_dot() {
        let end = read(b".\r\n").0.unwrap();
        assert_eq!((end.bytes, end.content.len()), (0, 0));
    }

    #[test]
    fn leading_dots_are_unstuffed() {
        let end = read(b"..hidden\r\n...\r\n.x\r\n.\r\n").0.unwrap();
        assert_eq!(end.content, b".hidden\r\n..\r\nx\r\n");
    }

    #[test]
    fn bare_lf_lines_are_content_but_never_end_the_data() {
        // Postfix `normal`: a bare LF ends a line, but <LF>.<LF> is not the end.
        let (end, _) = read(b"one\ntwo\r\n.\nthree\r\n");
        assert!(end.is_none(), "LF.LF and CRLF.LF do not end the data");
        let (end, _) = read(b"one\n.\r\n");
        assert!(end.is_none(), "LF.CRLF does not either");
        let end = read(b"one\n.\r\nsmuggled\r\n.\r\n").0.unwrap();
        assert_eq!(end.content, b"one\r\n\r\nsmuggled\r\n", "the bare-LF dot line is an empty content line");
        assert!(end.bare_lf);
    }

    #[test]
    fn a_strict_reader_stops_at_the_first_bare_lf() {
        let mut r = DataReader::new(1000).stopping_at_bare_lf();
        let mut input = &b"fine\r\nbare\nrest\r\n.\r\n"[..];
        let end = r.feed(&mut input).unwrap();
        assert!(end.bare_lf);
        assert_eq!(input, b"rest\r\n.\r\n");
        // The next message starts afresh, still strict.
        assert!(r.feed(&mut &b"x\n"[..]).unwrap().bare_lf);
    }

    #[test]
    fn the_end_marker_may_arrive_in_pieces() {
        let whole = b"a\r\n..b\r\n.\r\nNOOP\r\n";
        for cut in 0..whole.len() {
            let mut r = DataReader::new(1000);
            let mut first = &whole[..cut];
            let mut end = r.feed(&mut first);
            let mut second = &whole[cut..];
            if end.is_none() {
                end = r.feed(&mut second);
            } else {
                assert!(first.is_empty() || cut > 8);
            }
            let end = end.unwrap_or_else(|| panic!("cut at {cut}"));
            assert_eq!(end.content, b"a\r\n.b\r\n", "cut at {cut}");
        }
    }

    #[test]
    fn long_lines_and_big_messages_are_counted_not_kept() {
        let mut input = vec![b'x'; 5000];
        input.extend_from_slice(b"\r\n.\r\n");
        let end = read(&input).0.unwrap();
        assert!(end.line_too_long);
        let mut r = DataReader::new(10);
        let end = r.feed(&mut &b"12345678\r\n12345678\r\n.\r\n"[..]).unwrap();
        assert_eq!(end.bytes, 20);
        assert_eq!(end.content, b"12345678\r\n", "only what fits the limit is kept");
        // A line of exactly 1000 octets with its CRLF is within the limit.
        let mut input = vec![b'y'; TEXT_LINE_MAX - 2];
        input.extend_from_slice(b"\r\n.\r\n");
        assert!(!read(&input).0.unwrap().line_too_long);
    }
}
