//! relaysim: an educational SMTP network simulator.
//!
//! Start with `sim` (the deterministic core), `scenario` (the files that
//! describe a world) and `stats` (what a run reports). The command line in
//! `main.rs` is a thin layer over [`run`].

#[cfg(feature = "gui")]
pub mod gui;
pub mod narrate;
pub mod perf;
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
