//! The typed shape of a scenario file. Serde reads RON straight into these
//! types (`deny_unknown_fields` everywhere, so a misspelt field is an error
//! with its position), then `validate` checks what types cannot: references,
//! duplicate ids, overlapping ranges, impossible numbers.
//!
//! Cross references between nodes use node ids (`server: "relay-a"`), so a
//! dangling one is reported where it is written. Addresses (`alice@isp-a.example`)
//! are resolved the way real mail is: by the DNS zones of the scenario.
//!
//! This file holds the scenario as a whole; its parts are one file each:
//! the world's ISPs, links and DNS zones (`world.rs`), the nodes and their
//! kinds (`nodes.rs`), mail servers and their defenses (`servers.rs`), retry
//! schedules (`retry.rs`), traffic sources (`traffic.rs`), the lesson's
//! narration (`narration.rs`) and the dated changes of the timeline
//! (`timeline.rs`). Every type is re-exported here.

use serde::{Deserialize, Serialize};

use crate::units::{Duration, Timestamp};

mod campaign;
mod dnsbl;
mod familiar;
mod narration;
mod nodes;
mod retry;
mod servers;
mod timeline;
mod traffic;
mod world;

pub use campaign::*;
pub use dnsbl::*;
pub use familiar::*;
pub use narration::*;
pub use nodes::*;
pub use retry::*;
pub use servers::*;
pub use timeline::*;
pub use traffic::*;
pub use world::*;

fn yes() -> bool {
    true
}
fn default_start() -> Timestamp {
    // A Monday morning in the open-relay era.
    Timestamp(920_278_800) // 1999-03-01T09:00:00Z
}
fn default_latency() -> Duration {
    Duration(10)
}
fn smtp_port() -> u16 {
    25
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Shown in titles and reports.
    pub name: String,
    /// The name in other languages, for the window's era menu: `{"ja": "…"}`.
    #[serde(default, skip_serializing_if = "Localized::is_empty")]
    pub names: Localized,
    #[serde(default)]
    pub description: String,
    /// Wall-clock time of the start, for `Date:` and `Received:` stamps.
    #[serde(default = "default_start")]
    pub start: Timestamp,
    /// How long traffic runs; queues are left as they are at the end.
    pub duration: Duration,
    /// The default seed (the command line's `--seed` overrides it).
    #[serde(default)]
    pub seed: u64,
    /// Keep every hop's SMTP dialogue and the trace headers servers add
    /// (turn off for large statistical runs: counts are the same either way).
    #[serde(default = "yes")]
    pub transcripts: bool,
    #[serde(default)]
    pub isps: Vec<Isp>,
    pub nodes: Vec<Node>,
    #[serde(default)]
    pub links: Vec<Link>,
    #[serde(default)]
    pub dns: Vec<Zone>,
    #[serde(default)]
    pub traffic: Vec<Source>,
    /// A lesson's ordered steps, shown as the run advances (see [`Step`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub narration: Vec<Step>,
    /// Dated changes to the world, applied by every way of running the file
    /// (see [`Dated`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub timeline: Vec<Dated>,
}

impl Scenario {
    /// Mail the traffic sources are expected to inject up to `end` (each
    /// source's rate, or the highest the timeline gives it, times the part of its `start`..`end` before `end`), for
    /// sizing a run's storage and its progress bar, and for `check`'s limits.
    pub fn expected_messages(&self, end: crate::units::SimTime) -> f64 {
        let span = |start: Duration, stop: Option<Duration>| {
            stop.map_or(end, |e| e.0.min(end)).saturating_sub(start.0.min(end)) as f64
        };
        self.traffic
            .iter()
            .map(|src| match src {
                Source::Legit(l) => self.peak_rate(&l.id, l.rate) * span(l.start, l.end),
                Source::Spam(sp) => self.peak_rate(&sp.id, sp.rate) * span(sp.start, sp.end),
                Source::Once(_) => 1.0,
            })
            .sum()
    }
}
