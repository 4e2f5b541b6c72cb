//! Numbers from runs: per-run summaries now; replications, confidence
//! intervals and comparisons build on these.

pub mod summary;

pub use summary::{Counts, Report};
