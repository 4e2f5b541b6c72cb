//! Macro strings (RFC 7208 §7). They are parsed when a record is read, so a
//! bad macro is a syntax error (permerror) wherever it sits in the record,
//! and expanded later against the query in a [`MacroContext`].

use std::fmt::Write as _;
use std::net::IpAddr;

use thiserror::Error;

/// A macro-string that does not follow the §7.1 grammar.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MacroError {
    /// `%` not followed by `{`, `%`, `_` or `-` (§7.1).
    #[error("'%' at offset {0} is not followed by '{{', '%', '_' or '-'")]
    BadPercent(usize),
    /// `%{` without a closing `}`.
    #[error("unterminated macro at offset {0}")]
    Unterminated(usize),
    /// A letter outside `slodipvhcrt` (§7.2).
    #[error("unknown macro letter {0:?}")]
    UnknownLetter(char),
    /// `c`, `r` or `t` outside explanation text (§7.2).
    #[error("macro letter {0:?} is only allowed in exp= text")]
    ExpOnlyLetter(char),
    /// Bad digits, reversal flag or delimiter inside `%{...}` (§7.1).
    #[error("invalid macro transformer in %{{{0}}}")]
    BadTransformer(String),
    /// A character outside the allowed set (visible ASCII, plus space in
    /// explanation text).
    #[error("character {0:?} is not allowed here")]
    BadChar(char),
}

/// Where a macro-string appears; decides which letters and characters are
/// allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MacroMode {
    /// A `domain-spec` (mechanism target, `redirect=`, `exp=`): no c/r/t.
    Domain,
    /// The value of an unknown modifier: any letter, never expanded.
    Modifier,
    /// Explanation text fetched for `exp=`: any letter, spaces allowed.
    Explanation,
}

/// The macro letters of RFC 7208 §7.2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MacroLetter {
    Sender,
    LocalPart,
    SenderDomain,
    Domain,
    Ip,
    ValidatedPtr,
    IpVersion,
    Helo,
    ClientIp,
    Receiver,
    Timestamp,
}

impl MacroLetter {
    fn from_char(c: char) -> Option<(Self, bool)> {
        let letter = match c.to_ascii_lowercase() {
            's' => MacroLetter::Sender,
            'l' => MacroLetter::LocalPart,
            'o' => MacroLetter::SenderDomain,
            'd' => MacroLetter::Domain,
            'i' => MacroLetter::Ip,
            'p' => MacroLetter::ValidatedPtr,
            'v' => MacroLetter::IpVersion,
            'h' => MacroLetter::Helo,
            'c' => MacroLetter::ClientIp,
            'r' => MacroLetter::Receiver,
            't' => MacroLetter::Timestamp,
            _ => return None,
        };
        let exp_only = matches!(letter, MacroLetter::ClientIp | MacroLetter::Receiver | MacroLetter::Timestamp);
        Some((letter, exp_only))
    }
}

/// One `%{...}` expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MacroExpr {
    pub letter: MacroLetter,
    /// Uppercase letter: URL-escape the value (§7.3).
    pub url_escape: bool,
    /// Keep this many right-hand parts (§7.3), always >= 1.
    pub keep: Option<u32>,
    pub reverse: bool,
    /// Split characters; empty means the default ".".
    pub delimiters: String,
}

/// A piece of a macro-string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MacroToken {
    Literal(String),
    /// `%%`, `%_` or `%-`, stored as their expansion.
    Escape(&'static str),
    Expr(MacroExpr),
}

/// A parsed macro-string.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MacroString {
    tokens: Vec<MacroToken>,
}

/// The query values macros expand to (§7.2).
#[derive(Debug, Clone)]
pub struct MacroContext<'a> {
    pub local_part: &'a str,
    pub sender_domain: &'a str,
    /// The domain whose record is being evaluated (`%{d}`).
    pub domain: &'a str,
    pub ip: IpAddr,
    pub helo: &'a str,
    pub receiver: &'a str,
    pub timestamp: u64,
    /// `%{p}`; `None` expands to "unknown".
    pub validated_ptr: Option<&'a str>,
}

/// Delimiters allowed inside `%{...}` (§7.1).
const DELIMITERS: &str = ".-+,/_=";

impl MacroString {
    /// Parses `text` for the given position in a record.
    pub fn parse(text: &str, mode: MacroMode) -> Result<Self, MacroError> {
        let mut tokens = Vec::new();
        let mut literal = String::new();
        let mut chars = text.char_indices();
        while let Some((pos, c)) = chars.next() {
            if c != '%' {
                let visible = c.is_ascii_graphic();
                let space = c == ' ' && mode == MacroMode::Explanation;
                if !(visible || space) {
                    return Err(MacroError::BadChar(c));
                }
                literal.push(c);
                continue;
            }
            let token = match chars.next().map(|(_, c)| c) {
                Some('%') => MacroToken::Escape("%"),
                Some('_') => MacroToken::Escape(" "),
                Some('-') => MacroToken::Escape("%20"),
                Some('{') => {
                    let mut body = String::new();
                    loop {
                        match chars.next() {
                            Some((_, '}')) => break,
                            Some((_, c)) => body.push(c),
                            None => return Err(MacroError::Unterminated(pos)),
                        }
                    }
                    MacroToken::Expr(parse_expr(&body, mode)?)
                }
                _ => return Err(MacroError::BadPercent(pos)),
            };
            if !literal.is_empty() {
                tokens.push(MacroToken::Literal(std::mem::take(&mut literal)));
            }
            tokens.push(token);
        }
        if !literal.is_empty() {
            tokens.push(MacroToken::Literal(literal));
        }
        Ok(MacroString { tokens })
    }

    pub fn tokens(&self) -> &[MacroToken] {
        &self.tokens
    }

    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }

    /// Whether expansion needs the (DNS-derived) `%{p}` value.
    pub fn uses_ptr(&self) -> bool {
        self.tokens.iter().any(|t| matches!(t, MacroToken::Expr(e) if e.letter == MacroLetter::ValidatedPtr))
    }

    /// Expands every macro (§7.3). Cannot fail: the syntax was checked by
    /// [`MacroString::parse`].
    pub fn expand(&self, ctx: &MacroContext<'_>) -> String {
        let mut out = String::new();
        for token in &self.tokens {
            match token {
                MacroToken::Literal(s) => out.push_str(s),
                MacroToken::Escape(s) => out.push_str(s),
                MacroToken::Expr(e) => {
                    let value = transform(&letter_value(e.letter, ctx), e);
                    if e.url_escape {
                        url_escape_into(&value, &mut out);
                    } else {
                        out.push_str(&value);
                    }
                }
            }
        }
        out
    }
}

/// Parses the inside of `%{...}`: letter, digits, "r", delimiters (§7.1).
fn parse_expr(body: &str, mode: MacroMode) -> Result<MacroExpr, MacroError> {
    let bad = || MacroError::BadTransformer(body.to_string());
    let mut chars = body.chars().peekable();
    let first = chars.next().ok_or_else(bad)?;
    let (letter, exp_only) = MacroLetter::from_char(first).ok_or(MacroError::UnknownLetter(first))?;
    if exp_only && mode == MacroMode::Domain {
        return Err(MacroError::ExpOnlyLetter(first));
    }
    let mut digits: Option<u32> = None;
    while let Some(d) = chars.peek().and_then(|c| c.to_digit(10)) {
        chars.next();
        digits = Some(digits.unwrap_or(0).saturating_mul(10).saturating_add(d));
    }
    if digits == Some(0) {
        return Err(bad()); // "If a DIGIT is specified, the value MUST be nonzero" (§7.3)
    }
    let reverse = chars.next_if(|c| c.eq_ignore_ascii_case(&'r')).is_some();
    let delimiters: String = chars.collect();
    if !delimiters.chars().all(|c| DELIMITERS.contains(c)) {
        return Err(bad());
    }
    Ok(MacroExpr { letter, url_escape: first.is_ascii_uppercase(), keep: digits, reverse, delimiters })
}

fn letter_value(letter: MacroLetter, ctx: &MacroContext<'_>) -> String {
    match letter {
        MacroLetter::Sender => format!("{}@{}", ctx.local_part, ctx.sender_domain),
        MacroLetter::LocalPart => ctx.local_part.to_string(),
        MacroLetter::SenderDomain => ctx.sender_domain.to_string(),
        MacroLetter::Domain => ctx.domain.to_string(),
        MacroLetter::Ip => dotted_ip(ctx.ip),
        MacroLetter::ValidatedPtr => ctx.validated_ptr.unwrap_or("unknown").to_string(),
        MacroLetter::IpVersion => match ctx.ip {
            IpAddr::V4(_) => "in-addr".to_string(),
            IpAddr::V6(_) => "ip6".to_string(),
        },
        MacroLetter::Helo => ctx.helo.to_string(),
        // RFC 5952 text form for IPv6, dotted quad for IPv4 (§7.3).
        MacroLetter::ClientIp => ctx.ip.to_string(),
        MacroLetter::Receiver => ctx.receiver.to_string(),
        MacroLetter::Timestamp => ctx.timestamp.to_string(),
    }
}

/// `%{i}`: dotted quad, or 32 dot-separated nibbles for IPv6 (§7.3). The
/// nibbles are uppercase like pySPF's, which the RFC 7208 test suite's
/// expected explanations follow; DNS matching is case-insensitive anyway.
fn dotted_ip(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let mut out = String::with_capacity(63);
            for byte in v6.octets() {
                if !out.is_empty() {
                    out.push('.');
                }
                let _ = write!(out, "{:X}.{:X}", byte >> 4, byte & 0xf);
            }
            out
        }
    }
}

/// Applies split / reverse / keep-right-hand-parts, rejoining with "."
/// (§7.3). Without transformers the value is used as is.
fn transform(value: &str, e: &MacroExpr) -> String {
    if e.keep.is_none() && !e.reverse && e.delimiters.is_empty() {
        return value.to_string();
    }
    let delims = if e.delimiters.is_empty() { "." } else { e.delimiters.as_str() };
    let mut parts: Vec<&str> = value.split(|c| delims.contains(c)).collect();
    if e.reverse {
        parts.reverse();
    }
    if let Some(keep) = e.keep {
        let keep = usize::try_from(keep).unwrap_or(usize::MAX);
        let skip = parts.len().saturating_sub(keep);
        parts.drain(..skip);
    }
    parts.join(".")
}

/// URL-escapes everything outside the RFC 3986 unreserved set (§7.3).
fn url_escape_into(value: &str, out: &mut String) {
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
}

#[cfg(test)]
mod tests;
