//! The seven `check_host()` results (RFC 7208 §2.6) and the typed reasons
//! behind temperror / permerror, so headers and logs can say why.

use std::fmt;

use thiserror::Error;

use super::dns::DnsError;
use super::record::ParseError;

/// Outcome of `check_host()` (RFC 7208 §2.6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SpfResult {
    /// No SPF record, or the domain is not a usable DNS name (§2.6.1, §4.3).
    None,
    /// The domain makes no assertion about the client (§2.6.2).
    Neutral,
    /// The client is authorized (§2.6.3).
    Pass,
    /// The client is not authorized (§2.6.4). `explanation` is the expanded
    /// `exp=` text (§6.2), or `None` when there is no usable one and the
    /// caller should use its default.
    Fail { explanation: Option<String> },
    /// Weak statement that the client is probably not authorized (§2.6.5).
    SoftFail,
    /// A transient (DNS) error (§2.6.6).
    TempError(SpfError),
    /// The published records could not be interpreted (§2.6.7).
    PermError(SpfError),
}

impl SpfResult {
    /// The lowercase result name used in headers (RFC 7208 §9.1, RFC 8601).
    pub fn as_str(&self) -> &'static str {
        match self {
            SpfResult::None => "none",
            SpfResult::Neutral => "neutral",
            SpfResult::Pass => "pass",
            SpfResult::Fail { .. } => "fail",
            SpfResult::SoftFail => "softfail",
            SpfResult::TempError(_) => "temperror",
            SpfResult::PermError(_) => "permerror",
        }
    }

    /// The `exp=` explanation of a fail result, if one was found.
    pub fn explanation(&self) -> Option<&str> {
        match self {
            SpfResult::Fail { explanation } => explanation.as_deref(),
            _ => None,
        }
    }

    /// Why the result is temperror or permerror.
    pub fn problem(&self) -> Option<&SpfError> {
        match self {
            SpfResult::TempError(e) | SpfResult::PermError(e) => Some(e),
            _ => None,
        }
    }
}

impl fmt::Display for SpfResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Reason for a temperror or permerror result.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SpfError {
    /// A lookup failed with something other than NXDOMAIN (temperror).
    #[error("DNS {rtype} lookup for {name}: {kind}")]
    Dns { name: String, rtype: &'static str, kind: DnsError },
    /// More than one `v=spf1` record (§4.5).
    #[error("{0} publishes more than one v=spf1 record")]
    MultipleRecords(String),
    /// The selected record does not follow the grammar (§4.6, §12).
    #[error("invalid SPF record at {domain}: {source}")]
    Syntax { domain: String, source: ParseError },
    /// More than 10 mechanisms/modifiers that query DNS (§4.6.4).
    #[error("more than {0} DNS-querying mechanisms or modifiers")]
    TooManyLookups(u32),
    /// More than 2 lookups that returned no answer (§4.6.4).
    #[error("more than {0} void DNS lookups")]
    TooManyVoidLookups(u32),
    /// An `mx` target with more than 10 MX records (§4.6.4).
    #[error("{domain} has {count} MX records (limit 10)")]
    TooManyMx { domain: String, count: usize },
    /// `include:` target without an SPF record (§5.2).
    #[error("include target {0} has no SPF record")]
    IncludeNone(String),
    /// `redirect=` target malformed or without an SPF record (§6.1).
    #[error("redirect target {0} has no SPF record")]
    RedirectNone(String),
    /// Defensive bound on include/redirect nesting; the lookup limit should
    /// always trigger first.
    #[error("include/redirect nesting deeper than {0}")]
    TooDeep(u32),
}
