//! What can be wrong with a scenario file, each with where it is.

use std::fmt;

pub use super::locate::Pos;

/// One problem found in a scenario file.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub file: String,
    pub pos: Pos,
    pub kind: ProblemKind,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: error: {}", self.file, self.pos.line, self.pos.col, self.kind)
    }
}

/// The kinds of problem the checker reports.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ProblemKind {
    /// RON syntax, a misspelt field or a value of the wrong type (from serde).
    #[error("{0}")]
    Syntax(String),
    #[error("duplicate {what} `{id}` (first defined at line {first_line})")]
    Duplicate { what: &'static str, id: String, first_line: usize },
    #[error("unknown {what} `{id}`: expected {expected}")]
    UnknownReference { what: &'static str, id: String, expected: String },
    #[error("`{id}` is {} {found} node, but {expected} is expected here", article(found))]
    WrongKind { id: String, found: &'static str, expected: &'static str },
    #[error("range {range} of ISP `{isp}` overlaps {other} of ISP `{other_isp}`")]
    OverlappingRanges { isp: String, range: String, other_isp: String, other: String },
    #[error("domain `{domain}` receives mail in this scenario but has no MX record (add a Zone with `mx`)")]
    NoMx { domain: String },
    #[error("no route from `{from}` to `{to}`: add links that join them")]
    NoRoute { from: String, to: String },
    #[error("`{address}` is not a mail address (expected local-part@domain)")]
    BadAddress { address: String },
    #[error("{what}: {why}")]
    Invalid { what: String, why: String },
    #[error("not UTF-8 text (byte 0x{byte:02X} here): save the file as UTF-8")]
    NotUtf8 { byte: u8 },
    /// More work than [`super::work::Limits`] allows (lifted by `--force`).
    #[error(
        "this scenario asks for about {asked}, more than the limit ({limit}): shorten or slow it down, or run it anyway with --force"
    )]
    TooMuchWork { asked: super::work::Amount, limit: super::work::Amount },
}

impl ProblemKind {
    /// Whether `--force` lifts this problem (an estimate of work, not an error in the file).
    pub fn forceable(&self) -> bool {
        matches!(self, ProblemKind::TooMuchWork { .. })
    }
}

/// Why a scenario could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{file}: cannot read: {source}")]
    Io { file: String, source: std::io::Error },
    #[error("{}", .0.iter().map(|p| p.to_string()).collect::<Vec<_>>().join("\n"))]
    Problems(Vec<Problem>),
    #[error("{name}: no such lesson or example (`relaysim tour` lists them)")]
    NotInTour { name: String },
}

impl LoadError {
    pub fn problems(&self) -> &[Problem] {
        match self {
            LoadError::Problems(p) => p,
            LoadError::Io { .. } | LoadError::NotInTour { .. } => &[],
        }
    }
}

/// "a" or "an" before a node kind's name.
fn article(word: &str) -> &'static str {
    if word.starts_with(['A', 'E', 'I', 'O', 'U']) { "an" } else { "a" }
}
