//! The scenario's timeline at run time: each dated entry is one event of the
//! simulation, scheduled when the run is built, and applied when it comes
//! out of the queue. `run`, `compare`, `show`, `run --narrate` and the GUI
//! all build a [`Simulation`], so all of them apply the same entries at the
//! same times.
//!
//! Switches go through the same code as the narration's what-ifs
//! ([`Simulation::set_defense`]), so a dated deployment and a click change
//! the world the same way. No entry draws from a traffic source's random
//! stream: hosts to infect or clean are chosen from a stream of their own,
//! named after the entry, so a file and its variant with one more entry are
//! identical up to that entry's time (common random numbers in `compare`).

use super::rng;
use super::simulation::{Event, Simulation};
use crate::scenario::validate::timeline::{cannot_have, in_set};
use crate::scenario::{Change, Defense, Hosts, NodeKind, NodeSet, Scenario, Setting};
use crate::units::SimTime;

/// An entry applied: what the GUI's strip and reports can show.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Applied {
    /// Index into the scenario's `timeline`.
    pub entry: usize,
    pub at: SimTime,
    /// Why part of it could not be carried out (a validated file has none).
    pub error: Option<String>,
}

/// The simulated time of every entry (ms from the start), in file order;
/// `None` for a date before the start (which `check` refuses).
pub fn times(s: &Scenario) -> Vec<Option<SimTime>> {
    s.timeline.iter().map(|e| e.at.sim_time(s.start)).collect()
}

/// Schedules every entry inside the run, in file order (entries at the same
/// time apply in that order).
pub(crate) fn schedule(s: &Scenario, queue: &mut super::engine::EventQueue<Event>) {
    for (k, t) in times(s).into_iter().enumerate() {
        if let Some(t) = t
            && t < s.duration.0
        {
            queue.schedule_in(t, Event::Timeline(k as u32));
        }
    }
}

impl Simulation {
    /// Applies timeline entry `k` at time `t`.
    pub(crate) fn apply_timeline(&mut self, k: usize, t: SimTime) {
        let Some(entry) = self.scenario.timeline.get(k).cloned() else { return };
        let mut errors: Vec<String> = Vec::new();
        match &entry.change {
            Change::Switch { nodes, defense, on } => {
                for id in self.targets(nodes, Some(*defense)) {
                    if let Err(e) = self.set_defense(&id, *defense, *on) {
                        errors.push(e.to_string());
                    }
                }
            }
            Change::CloseRelay(id) => {
                if let Err(e) = self.set_defense(id, Defense::RelayRestriction, true) {
                    errors.push(e.to_string());
                }
            }
            Change::Set { nodes, setting } => {
                for id in self.targets(nodes, Some(setting.defense())) {
                    let i = self.index_of(&id);
                    if let Some(m) = super::whatif::mail_server_mut(&mut self.nodes[i].kind) {
                        match setting {
                            Setting::Greylist(g) => m.greylist = Some(g.clone()),
                            Setting::Spf(c) => m.spf = Some(c.clone()),
                        }
                    }
                }
            }
            Change::Publish { domain, txt } => self.dns.set_txt(domain, txt),
            Change::Infect { nodes, hosts } => {
                for id in self.targets(nodes, None) {
                    self.infect(k, &id, *hosts, true);
                }
            }
            Change::Clean { nodes, hosts } => {
                for id in self.targets(nodes, None) {
                    self.infect(k, &id, *hosts, false);
                }
            }
            Change::Traffic { source, set } => match self.scenario.traffic.iter().position(|s| s.id() == source) {
                Some(src) => self.change_traffic(src, *set, t),
                None => errors.push(format!("unknown traffic source `{source}`")),
            },
        }
        let error = (!errors.is_empty()).then(|| errors.join("; "));
        self.timeline_applied.push(Applied { entry: k, at: t, error });
    }

    /// The ids of the nodes a set names that can take `defense` (with
    /// `None`: the populations of the set).
    fn targets(&self, set: &NodeSet, defense: Option<Defense>) -> Vec<String> {
        self.scenario
            .nodes
            .iter()
            .filter(|n| in_set(set, n))
            .filter(|n| match defense {
                Some(d) => matches!(set, NodeSet::Node(_)) || cannot_have(n, d).is_none(),
                None => matches!(n.kind, NodeKind::Population(_)),
            })
            .map(|n| n.id.clone())
            .collect()
    }

    /// Infects (or cleans) hosts of population `id`, chosen from the entry's
    /// own stream: `Count(k)` hosts, or a `Share` of all its hosts (infect)
    /// or of its infected hosts (clean).
    fn infect(&mut self, entry: usize, id: &str, hosts: Hosts, infect: bool) {
        let i = self.index_of(id);
        let mut stream = rng::stream(self.seed, "timeline", &format!("{entry}/{id}"));
        let node = &mut self.nodes[i];
        let count = node.host_count;
        // The hosts that can change: the clean ones (infect) or the infected (clean).
        let pool: Vec<u32> = if infect {
            let mut infected = node.infected.iter().peekable();
            (0..count)
                .filter(|h| {
                    while infected.peek().is_some_and(|&&x| x < *h) {
                        infected.next();
                    }
                    infected.peek() != Some(&h)
                })
                .collect()
        } else {
            node.infected.clone()
        };
        let k = match hosts {
            Hosts::Count(k) => k,
            Hosts::Share(x) if infect => (count as f64 * x).round() as u32,
            Hosts::Share(x) => (node.infected.len() as f64 * x).round() as u32,
        }
        .min(pool.len() as u32);
        let picked: Vec<u32> =
            rng::sample_distinct(&mut stream, pool.len() as u32, k).into_iter().map(|j| pool[j as usize]).collect();
        if infect {
            node.infected.extend(picked);
            node.infected.sort_unstable();
        } else {
            node.infected.retain(|h| picked.binary_search(h).is_err());
        }
    }
}
