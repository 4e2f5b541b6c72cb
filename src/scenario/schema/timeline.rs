//! The scenario's timeline: dated changes to the world that are part of the
//! scenario itself (a defense deployed at ISP A on 2005-06-01, a relay
//! closing, bots infected or cleaned, a campaign stopping). Unlike a
//! narration's what-if actions, every way of running the file (`run`,
//! `compare`, `show`, `run --narrate`, the GUI) applies them, at their time,
//! as events of the simulation.
//!
//! An entry never draws from a traffic source's random stream: a file and
//! its variant with one more entry send the same mail up to that entry's
//! time, so `compare` stays paired (common random numbers).

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{Defense, Greylist, Localized, SpfCheck};
use crate::units::{Duration, Rate, SimTime, Timestamp};

impl super::Scenario {
    /// The highest rate (per ms) source `id` sends at: its own, or one a
    /// timeline entry sets (an upper bound for estimates of the work asked).
    pub fn peak_rate(&self, id: &str, own: Rate) -> f64 {
        self.timeline
            .iter()
            .filter_map(|e| match &e.change {
                Change::Traffic { source, set: TrafficChange::Rate(r) } if source == id => Some(r.per_ms),
                _ => None,
            })
            .fold(own.per_ms, f64::max)
    }
}

/// One dated change.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Dated {
    /// When: a duration from the start (`"30d"`) or a date
    /// (`"2005-06-01"`, `"2005-06-01T09:00:00Z"`) within the run.
    pub at: When,
    pub change: Change,
    /// What the GUI's timeline strip and reports call it (optional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<Localized>,
}

/// A point in the run: a duration from the start or a wall-clock date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    After(Duration),
    Date(Timestamp),
}

impl When {
    /// Simulated time (ms from the start) of this point; `None` for a date
    /// before the scenario's start.
    pub fn sim_time(self, start: Timestamp) -> Option<SimTime> {
        match self {
            When::After(d) => Some(d.0),
            When::Date(t) => u64::try_from(t.0 - start.0).ok().map(|s| s.saturating_mul(1000)),
        }
    }
}

impl std::str::FromStr for When {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let t = s.trim();
        if let Ok(ts) = t.parse::<Timestamp>() {
            return Ok(When::Date(ts));
        }
        // A bare date is midnight UTC of that day.
        if t.len() == 10
            && let Ok(ts) = format!("{t}T00:00:00Z").parse::<Timestamp>()
        {
            return Ok(When::Date(ts));
        }
        t.parse::<Duration>().map(When::After).map_err(|_| {
            format!("`{s}` is neither a duration (e.g. `30d`, `1w2d`) nor a date (e.g. `2005-06-01` or `2005-06-01T09:00:00Z`)")
        })
    }
}

impl std::fmt::Display for When {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            When::After(d) => write!(f, "{d}"),
            // Midnight as the bare date an author writes (`2005-06-01`), so a
            // formatted file keeps it; it reads back the same.
            When::Date(t) => {
                let full = t.to_string();
                write!(f, "{}", full.strip_suffix("T00:00:00Z").unwrap_or(&full))
            }
        }
    }
}

impl<'de> Deserialize<'de> for When {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl Serialize for When {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// What changes.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub enum Change {
    /// Switch `defense` on or off on `nodes`, with the node's own settings
    /// from the file when it has them, else the real defaults (as the
    /// narration's `Switch`). On a group (`Kind`, `Isp`), only the nodes that
    /// can have the defense: routers for `Op25b`, mail servers for the rest.
    Switch { nodes: NodeSet, defense: Defense, on: bool },
    /// A third party's relay is closed: it relays for its own networks only
    /// (the same as switching `RelayRestriction` on).
    CloseRelay(String),
    /// Change a setting on mail servers (switching that defense on with it).
    Set { nodes: NodeSet, setting: Setting },
    /// Replace the TXT records of `domain` (e.g. a domain publishing SPF).
    Publish { domain: String, txt: Vec<String> },
    /// Hosts of populations get infected with spam software: `hosts` of
    /// the clean ones (a `Share` of all the population's hosts).
    Infect { nodes: NodeSet, hosts: Hosts },
    /// Infected hosts of populations get cleaned: `hosts` of the infected
    /// ones (a `Share` of the infected).
    Clean { nodes: NodeSet, hosts: Hosts },
    /// A traffic source (a spam campaign or a legit source) starts, stops or
    /// changes its rate.
    Traffic { source: String, set: TrafficChange },
}

impl Change {
    pub fn name(&self) -> &'static str {
        match self {
            Change::Switch { .. } => "Switch",
            Change::CloseRelay(_) => "CloseRelay",
            Change::Set { .. } => "Set",
            Change::Publish { .. } => "Publish",
            Change::Infect { .. } => "Infect",
            Change::Clean { .. } => "Clean",
            Change::Traffic { .. } => "Traffic",
        }
    }
}

/// The nodes a change applies to.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub enum NodeSet {
    /// One node by id.
    Node(String),
    /// Every node of a kind (`"Mx"`, `"IspRelay"`, `"Router"`, `"Population"`…).
    Kind(String),
    /// Every node of an ISP (`isp: "<id>"`).
    Isp(String),
}

/// How many hosts.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize)]
pub enum Hosts {
    Count(u32),
    /// 0.0 to 1.0.
    Share(f64),
}

/// A setting a timeline entry may change.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub enum Setting {
    /// postgrey with these settings.
    Greylist(Greylist),
    /// SPF checks with these actions.
    Spf(SpfCheck),
}

impl Setting {
    pub fn defense(&self) -> Defense {
        match self {
            Setting::Greylist(_) => Defense::Greylist,
            Setting::Spf(_) => Defense::Spf,
        }
    }
}

/// What happens to a traffic source.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize)]
pub enum TrafficChange {
    /// Starts sending now (after a `Stop`, or before its `start`); nothing
    /// after its `end`.
    Start,
    /// Stops sending now (mail already sent goes on its way).
    Stop,
    /// Sends at this rate from now on.
    Rate(Rate),
}
