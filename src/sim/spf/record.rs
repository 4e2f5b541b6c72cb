//! SPF record parser (RFC 7208 §4.5, §4.6.1, §5, §6, §12). The whole record
//! is parsed before evaluation so a syntax error anywhere is a permerror
//! (§4.6), even after a matching mechanism.

use std::net::{Ipv4Addr, Ipv6Addr};

use thiserror::Error;

use super::cidr::{DualCidr, parse_prefix, split_dual_cidr};
use super::domain::has_valid_domain_end;
use super::macro_expand::{MacroError, MacroMode, MacroString};

/// Why a `v=spf1` record is unusable.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ParseError {
    #[error("record does not start with \"v=spf1\"")]
    NotSpf,
    #[error("record contains non-ASCII characters")]
    NonAscii,
    #[error("unknown mechanism {0:?}")]
    UnknownMechanism(String),
    #[error("invalid modifier name {0:?}")]
    InvalidModifierName(String),
    #[error("modifier {0}= appears more than once")]
    DuplicateModifier(&'static str),
    #[error("{0:?} needs a domain-spec")]
    MissingDomain(String),
    #[error("invalid domain-spec {0:?}")]
    InvalidDomainSpec(String),
    #[error("unexpected argument in {0:?}")]
    UnexpectedArgument(String),
    #[error("invalid CIDR length {0:?}")]
    InvalidCidr(String),
    #[error("invalid IPv4 network {0:?}")]
    InvalidIp4(String),
    #[error("invalid IPv6 network {0:?}")]
    InvalidIp6(String),
    #[error("bad macro in {term:?}: {source}")]
    Macro { term: String, source: MacroError },
}

/// Directive prefix (§4.6.2); `+` when absent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Qualifier {
    Pass,
    Fail,
    SoftFail,
    Neutral,
}

/// The mechanisms of §5. A `None` domain means the current `<domain>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mechanism {
    All,
    Include(MacroString),
    A { domain: Option<MacroString>, cidr: DualCidr },
    Mx { domain: Option<MacroString>, cidr: DualCidr },
    Ptr(Option<MacroString>),
    Ip4 { net: Ipv4Addr, prefix: u8 },
    Ip6 { net: Ipv6Addr, prefix: u8 },
    Exists(MacroString),
}

impl Mechanism {
    /// Mechanisms that count against the 10-lookup limit (§4.6.4).
    pub fn queries_dns(&self) -> bool {
        !matches!(self, Mechanism::All | Mechanism::Ip4 { .. } | Mechanism::Ip6 { .. })
    }
}

/// A qualified mechanism.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    pub qualifier: Qualifier,
    pub mechanism: Mechanism,
}

/// A parsed `v=spf1` record.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Record {
    pub directives: Vec<Directive>,
    /// `redirect=` (§6.1).
    pub redirect: Option<MacroString>,
    /// `exp=` (§6.2).
    pub explanation: Option<MacroString>,
    /// Unrecognized modifiers, kept but ignored (§6).
    pub unknown_modifiers: Vec<(String, MacroString)>,
}

/// A TXT string is an SPF record when it is exactly "v=spf1" or starts with
/// "v=spf1 ", ignoring ASCII case (§4.5).
pub fn is_spf_record(txt: &str) -> bool {
    let b = txt.as_bytes();
    b.get(..6).is_some_and(|v| v.eq_ignore_ascii_case(b"v=spf1")) && matches!(b.get(6), None | Some(b' '))
}

impl Record {
    /// Parses a record selected by [`is_spf_record`]. Terms are separated by
    /// one or more spaces only (§4.6.1); any other byte ends up inside a
    /// term and fails its grammar.
    pub fn parse(text: &str) -> Result<Record, ParseError> {
        if !is_spf_record(text) {
            return Err(ParseError::NotSpf);
        }
        if !text.is_ascii() {
            return Err(ParseError::NonAscii); // §3.1: 7-bit ASCII only
        }
        let mut record = Record::default();
        for term in text.split(' ').skip(1).filter(|t| !t.is_empty()) {
            record.add_term(term)?;
        }
        Ok(record)
    }

    fn add_term(&mut self, term: &str) -> Result<(), ParseError> {
        // A modifier's name runs up to "=" with no ":" or "/" before it (§4.6.1).
        if let Some((name, value)) = term.split_once('=')
            && !name.contains([':', '/'])
        {
            return self.add_modifier(name, value);
        }
        let (qualifier, body) = split_qualifier(term);
        let mechanism = parse_mechanism(term, body)?;
        self.directives.push(Directive { qualifier, mechanism });
        Ok(())
    }

    fn add_modifier(&mut self, name: &str, value: &str) -> Result<(), ParseError> {
        // name = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." )  (§12)
        let valid_name = name.as_bytes().first().is_some_and(u8::is_ascii_alphabetic)
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
        if !valid_name {
            return Err(ParseError::InvalidModifierName(name.to_string()));
        }
        let term = format!("{name}={value}");
        if name.eq_ignore_ascii_case("redirect") {
            set_once(&mut self.redirect, domain_spec(&term, value)?, "redirect")
        } else if name.eq_ignore_ascii_case("exp") {
            set_once(&mut self.explanation, domain_spec(&term, value)?, "exp")
        } else {
            let value =
                MacroString::parse(value, MacroMode::Modifier).map_err(|source| ParseError::Macro { term, source })?;
            self.unknown_modifiers.push((name.to_string(), value));
            Ok(())
        }
    }
}

/// Strips the optional qualifier (§4.6.2).
fn split_qualifier(term: &str) -> (Qualifier, &str) {
    let qualifiers =
        [('+', Qualifier::Pass), ('-', Qualifier::Fail), ('~', Qualifier::SoftFail), ('?', Qualifier::Neutral)];
    for (c, q) in qualifiers {
        if let Some(body) = term.strip_prefix(c) {
            return (q, body);
        }
    }
    (Qualifier::Pass, term)
}

/// `redirect` and `exp` may appear at most once each (§6).
fn set_once(slot: &mut Option<MacroString>, value: MacroString, name: &'static str) -> Result<(), ParseError> {
    if slot.is_some() {
        return Err(ParseError::DuplicateModifier(name));
    }
    *slot = Some(value);
    Ok(())
}

fn parse_mechanism(term: &str, body: &str) -> Result<Mechanism, ParseError> {
    let split = body.find([':', '/']).unwrap_or(body.len());
    let (name, rest) = body.split_at(split);
    let unexpected = || ParseError::UnexpectedArgument(term.to_string());
    match name.to_ascii_lowercase().as_str() {
        "all" if rest.is_empty() => Ok(Mechanism::All),
        "all" => Err(unexpected()),
        "include" => Ok(Mechanism::Include(required_domain(term, rest)?)),
        "exists" => Ok(Mechanism::Exists(required_domain(term, rest)?)),
        "ptr" => match rest.strip_prefix(':') {
            Some(spec) => Ok(Mechanism::Ptr(Some(domain_spec(term, spec)?))),
            None if rest.is_empty() => Ok(Mechanism::Ptr(None)),
            None => Err(unexpected()),
        },
        "a" => {
            let (domain, cidr) = domain_and_cidr(term, rest)?;
            Ok(Mechanism::A { domain, cidr })
        }
        "mx" => {
            let (domain, cidr) = domain_and_cidr(term, rest)?;
            Ok(Mechanism::Mx { domain, cidr })
        }
        "ip4" => {
            let (net, prefix) = network(term, rest, 32)?;
            let net = net.parse().map_err(|_| ParseError::InvalidIp4(term.to_string()))?;
            Ok(Mechanism::Ip4 { net, prefix })
        }
        "ip6" => {
            let (net, prefix) = network(term, rest, 128)?;
            let net = net.parse().map_err(|_| ParseError::InvalidIp6(term.to_string()))?;
            Ok(Mechanism::Ip6 { net, prefix })
        }
        _ => Err(ParseError::UnknownMechanism(term.to_string())),
    }
}

/// `":" domain-spec`, mandatory (include, exists).
fn required_domain(term: &str, rest: &str) -> Result<MacroString, ParseError> {
    match rest.strip_prefix(':') {
        Some(spec) => domain_spec(term, spec),
        None => Err(ParseError::MissingDomain(term.to_string())),
    }
}

/// `[ ":" domain-spec ] [ dual-cidr-length ]` (a, mx; §5.3, §5.4).
fn domain_and_cidr(term: &str, rest: &str) -> Result<(Option<MacroString>, DualCidr), ParseError> {
    match rest.strip_prefix(':') {
        Some(arg) => {
            let (spec, cidr) = split_dual_cidr(arg)?;
            Ok((Some(domain_spec(term, spec)?), cidr))
        }
        None => {
            let (left, cidr) = split_dual_cidr(rest)?;
            if !left.is_empty() {
                return Err(ParseError::UnexpectedArgument(term.to_string()));
            }
            Ok((None, cidr))
        }
    }
}

/// `":" ip-network [ "/" length ]` (ip4, ip6; §5.6).
fn network<'t>(term: &str, rest: &'t str, max: u8) -> Result<(&'t str, u8), ParseError> {
    let arg = rest.strip_prefix(':').ok_or_else(|| ParseError::MissingDomain(term.to_string()))?;
    match arg.split_once('/') {
        Some((net, digits)) => Ok((net, parse_prefix(digits, max)?)),
        None => Ok((arg, max)),
    }
}

/// A non-empty domain-spec with valid macros and `domain-end` (§7.1).
fn domain_spec(term: &str, spec: &str) -> Result<MacroString, ParseError> {
    if spec.is_empty() {
        return Err(ParseError::MissingDomain(term.to_string()));
    }
    let parsed = MacroString::parse(spec, MacroMode::Domain)
        .map_err(|source| ParseError::Macro { term: term.to_string(), source })?;
    if !has_valid_domain_end(&parsed) {
        return Err(ParseError::InvalidDomainSpec(spec.to_string()));
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests;
