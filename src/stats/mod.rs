//! Numbers from runs: per-run summaries now; replications, confidence
//! intervals and comparisons build on these.

/// Charts of a comparison (plotters): part of the command line (feature `cli`).
#[cfg(feature = "cli")]
pub mod charts;
pub mod compare;
pub mod interval;
pub mod metrics;
pub mod overrides;
pub mod series;
pub mod shard;
pub mod summary;
pub mod tally;

pub use summary::{MailCounts, Report};
