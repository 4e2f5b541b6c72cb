//! Statistics over simulated time for the live plots, counted from the same
//! trace the animation uses: sent, delivered and refused per class, and the
//! delay of legitimate mail.

use bevy::prelude::*;

use crate::sim::trace::TraceEvent;
use crate::sim::{MailClass, Simulation};
use crate::units::SimTime;

/// Cumulative counts at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Counts {
    pub legit_sent: u64,
    pub spam_sent: u64,
    pub legit_delivered: u64,
    pub spam_delivered: u64,
    /// Refused for good or lost (all classes).
    pub refused: u64,
    /// Bounces and backscatter created.
    pub bounces: u64,
    /// Sum and count of legitimate delivery delays (ms).
    pub legit_delay_sum: u64,
    pub legit_delay_n: u64,
}

impl Counts {
    /// Mean delay of legitimate mail delivered so far, in seconds.
    pub fn legit_delay_s(&self) -> f64 {
        if self.legit_delay_n == 0 { 0.0 } else { self.legit_delay_sum as f64 / self.legit_delay_n as f64 / 1000.0 }
    }
}

/// Samples of [`Counts`] over simulated time.
#[derive(Resource, Default)]
pub struct Series {
    pub now: Counts,
    pub samples: Vec<(SimTime, Counts)>,
    /// Simulated time between samples.
    pub every: SimTime,
}

impl Series {
    /// Starts again for a run, counting what it has done up to `clock` (a
    /// replay jumps there without animation).
    pub fn reset(&mut self, sim: &Simulation, clock: SimTime) {
        self.every = (sim.scenario.duration.0 / 240).max(1000);
        self.samples.clear();
        self.samples.push((0, Counts::default()));
        self.now = Counts::default();
        for (t, ev) in &sim.trace.events {
            if *t > clock {
                break;
            }
            self.record(sim, *t, ev);
        }
    }

    pub fn record(&mut self, sim: &Simulation, t: SimTime, ev: &TraceEvent) {
        self.sample(sim, t);
        let class = |m: &crate::sim::MsgId| sim.messages.get(m.0 as usize).map(|m| m.class);
        match ev {
            TraceEvent::Injected { msg, .. } => match class(msg) {
                Some(MailClass::Legit) => self.now.legit_sent += 1,
                Some(MailClass::Spam) => self.now.spam_sent += 1,
                _ => {}
            },
            TraceEvent::Delivered { msg, .. } => match class(msg) {
                Some(MailClass::Legit) => {
                    self.now.legit_delivered += 1;
                    if let Some(m) = sim.messages.get(msg.0 as usize) {
                        self.now.legit_delay_sum += t.saturating_sub(m.created);
                        self.now.legit_delay_n += 1;
                    }
                }
                Some(MailClass::Spam) => self.now.spam_delivered += 1,
                _ => {}
            },
            TraceEvent::Rejected { .. } | TraceEvent::Lost { .. } => self.now.refused += 1,
            TraceEvent::Bounced { .. } => self.now.bounces += 1,
            _ => {}
        }
    }

    /// Adds a sample if the time has come.
    pub fn sample(&mut self, _sim: &Simulation, t: SimTime) {
        let last = self.samples.last().map_or(0, |s| s.0);
        if self.every > 0 && t >= last + self.every {
            self.samples.push((t - t % self.every, self.now));
        }
    }
}
