//! relaysim: an educational SMTP network simulator.
//!
//! Start with `sim` (the deterministic core), `scenario` (the files that
//! describe a world) and `stats` (what a run reports). `tour` holds the
//! history lessons and examples built into the program. The command line in
//! `main.rs` is a thin layer over [`run`].
//!
//! Driving a run from Rust: load era 1 of the history tour (open relays),
//! run six simulated hours and read the report.
//!
//! ```
//! use relaysim::sim::RunOptions;
//! use relaysim::stats::Report;
//! use relaysim::units::HOUR;
//!
//! let scenario = relaysim::tour::find("era:1").unwrap().load().expect("era 1 is valid");
//! let opts = RunOptions::new(scenario.seed).transcripts(false);
//! let sim = relaysim::run(scenario, opts, Some(6 * HOUR));
//! let report = Report::of(&sim);
//!
//! // Every message is accounted for...
//! for class in report.mail.values() {
//!     assert!(class.counts.balanced());
//! }
//! // ...and in the open-relay era, spam reaches inboxes through open relays.
//! let spam = &report.mail["spam"];
//! assert!(spam.counts.delivered > 0);
//! assert!(spam.via_open_relay > 0);
//! ```

pub mod editor;
#[cfg(feature = "gui")]
pub mod gui;
#[cfg(feature = "cli")]
pub mod live;
pub mod narrate;
pub mod perf;
mod progress;
pub mod scenario;
pub mod sim;
pub mod stats;
pub mod tour;
pub mod units;

use scenario::Scenario;
use sim::{RunOptions, Simulation};
use units::SimTime;

/// Runs a scenario to `until` (default: its duration) and returns the finished simulation.
pub fn run(scenario: Scenario, opts: RunOptions, until: Option<SimTime>) -> Simulation {
    let end = until.unwrap_or(scenario.duration.0);
    let mut sim = Simulation::new(scenario, opts);
    sim.run_until(end);
    sim
}
