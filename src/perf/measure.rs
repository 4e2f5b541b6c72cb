//! The measurements of `relaysim bench`: the engine's hold model, a whole
//! run of a scenario, and `compare` with one and two jobs.
//!
//! Wall-clock time is read here and only here: it never reaches a
//! simulation, whose results stay a pure function of (scenario, seed).

use std::time::Instant;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;

use crate::scenario::Scenario;
use crate::sim::engine::EventQueue;
use crate::sim::{RunOptions, Simulation, rng};
use crate::stats::compare::{self, Options, Variant};
use crate::units::SimTime;

/// The hold model at one queue size.
#[derive(Debug, Clone, Serialize)]
pub struct EngineSpeed {
    pub pending: usize,
    pub ops: u64,
    pub seconds: f64,
    pub events_per_s: f64,
}

/// The classic hold model (Vaucher and Duval 1975): a queue kept at
/// `pending` events; each operation takes the earliest out and schedules a
/// new one an exponential gap (mean `pending` ms) later. Gaps are drawn
/// beforehand so the RNG is not measured; `ops` operations are timed after
/// as many again of warm-up.
pub fn engine_hold(pending: usize, ops: u64) -> EngineSpeed {
    let mut s = rng::stream(42, "bench", "hold");
    let gaps: Vec<u64> = (0..65_536).map(|_| rng::exp_gap_ms(&mut s, pending as f64)).collect();
    let mut q: EventQueue<u64> = EventQueue::with_capacity(pending);
    for (i, g) in gaps.iter().cycle().take(pending).enumerate() {
        q.schedule_in(*g, i as u64);
    }
    let mut k = 0usize;
    let mut hold = |n: u64| {
        for _ in 0..n {
            let Some((t, p)) = q.pop() else { return };
            k = (k + 1) & 65_535;
            q.schedule_in(gaps[k], std::hint::black_box(p));
            std::hint::black_box(t);
        }
    };
    hold(ops.min(pending as u64 * 2));
    let start = Instant::now();
    hold(ops);
    let seconds = start.elapsed().as_secs_f64();
    EngineSpeed { pending, ops, seconds, events_per_s: ops as f64 / seconds }
}

/// One whole run, transcripts off.
#[derive(Debug, Clone, Serialize)]
pub struct RunSpeed {
    pub scenario: String,
    pub simulated_ms: SimTime,
    /// Building the runtime world (nodes, DNS, routes are lazy).
    pub setup_s: f64,
    /// The event loop alone.
    pub run_s: f64,
    pub events: u64,
    /// SMTP sessions opened (every delivery attempt, refused or not).
    pub sessions: u64,
    /// Messages created (injected mail and bounces).
    pub messages: u64,
    /// The most messages on their way (not yet in a final state) at once,
    /// sampled at each hundredth of the run.
    pub peak_in_flight: u64,
    /// Resident memory before the world was built and at its peak (bytes, Linux).
    pub rss_before: Option<u64>,
    pub peak_rss: Option<u64>,
}

impl RunSpeed {
    pub fn events_per_s(&self) -> f64 {
        self.events as f64 / self.run_s
    }
    pub fn sessions_per_s(&self) -> f64 {
        self.sessions as f64 / self.run_s
    }
    pub fn messages_per_s(&self) -> f64 {
        self.messages as f64 / self.run_s
    }
    /// Memory the run added, per message it kept (every message is kept
    /// until the end, so this bounds the cost of one in flight).
    pub fn bytes_per_message(&self) -> Option<f64> {
        let grown = self.peak_rss?.saturating_sub(self.rss_before?);
        (self.messages > 0).then(|| grown as f64 / self.messages as f64)
    }
}

/// Runs `scenario` to `until` with transcripts off, timing setup and the
/// event loop apart. With `progress`, a bar on stderr shows simulated time
/// and an estimate of the time left.
pub fn run_speed(scenario: Scenario, seed: u64, until: Option<SimTime>, progress: bool) -> RunSpeed {
    let name = scenario.name.clone();
    let end = until.unwrap_or(scenario.duration.0);
    let rss_before = super::rss_bytes();
    let t0 = Instant::now();
    let mut sim = Simulation::new(scenario, RunOptions { seed, transcripts: Some(false), trace: false });
    let setup_s = t0.elapsed().as_secs_f64();

    let bar = ProgressBar::new(end / 1000);
    if progress {
        bar.set_draw_target(ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template(
            "{bar:40} {msg} simulated  {elapsed} elapsed, ~{eta} left  ({per_sec} simulated s)",
        ) {
            bar.set_style(style);
        }
    } else {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    }
    let t1 = Instant::now();
    let slices = 100u64;
    let mut peak_in_flight = 0;
    for k in 1..=slices {
        let to = end / slices * k + if k == slices { end % slices } else { 0 };
        sim.run_until(to);
        peak_in_flight = peak_in_flight.max(sim.in_flight());
        bar.set_position(to / 1000);
        bar.set_message(crate::units::format_ms(to));
    }
    let run_s = t1.elapsed().as_secs_f64();
    bar.finish_and_clear();
    let sessions = sim.nodes.iter().map(|n| n.counters.sessions_out).sum();
    RunSpeed {
        scenario: name,
        simulated_ms: end,
        setup_s,
        run_s,
        events: sim.events(),
        sessions,
        messages: sim.messages.len() as u64,
        peak_in_flight,
        rss_before,
        peak_rss: super::peak_rss_bytes(),
    }
}

/// `compare` on one scenario with 1 and with 2 jobs.
#[derive(Debug, Clone, Serialize)]
pub struct CompareScaling {
    pub replications: usize,
    /// Wall seconds with 1 job and with 2.
    pub one_job_s: f64,
    pub two_jobs_s: f64,
}

impl CompareScaling {
    pub fn speedup(&self) -> f64 {
        self.one_job_s / self.two_jobs_s
    }
}

/// Times `compare` of `scenario` over `replications` seeds with 1 and 2 jobs
/// (the results are identical; only the wall time differs).
pub fn compare_scaling(scenario: &Scenario, file: &str, replications: usize) -> CompareScaling {
    let variants = vec![Variant {
        name: "bench".into(),
        file: file.into(),
        overrides: vec![],
        swept: None,
        scenario: scenario.clone(),
    }];
    let time = |jobs: usize| {
        let t = Instant::now();
        let r = compare::run(&variants, Options { replications, seed: 1, jobs, progress: false });
        std::hint::black_box(r);
        t.elapsed().as_secs_f64()
    };
    let one_job_s = time(1);
    let two_jobs_s = time(2);
    CompareScaling { replications, one_job_s, two_jobs_s }
}
