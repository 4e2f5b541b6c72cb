//! The measurements of `relaysim bench`: the engine's hold model, a whole
//! run of a scenario, and `compare` with one and two jobs.
//!
//! Wall-clock time is read here and only here: it never reaches a
//! simulation, whose results stay a pure function of (scenario, seed).

use std::time::Instant;

use crate::progress::Bar;
use serde::Serialize;

use crate::scenario::Scenario;
use crate::sim::engine::EventQueue;
use crate::sim::{RunOptions, Simulation, rng};
use crate::stats::compare::{self, Options, Variant};
use crate::units::SimTime;

/// The hold model at one queue size (`seconds` is CPU time on Linux).
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
    let cpu = super::cpu_seconds();
    hold(ops);
    // CPU time where known: other programs on the machine then cost nothing.
    let seconds = super::cpu_seconds().zip(cpu).map_or(start.elapsed().as_secs_f64(), |(b, a)| b - a);
    EngineSpeed { pending, ops, seconds, events_per_s: ops as f64 / seconds }
}

/// One whole run, transcripts off (unless asked for).
#[derive(Debug, Clone, Serialize)]
pub struct RunSpeed {
    pub scenario: String,
    pub simulated_ms: SimTime,
    /// Building the runtime world (nodes, DNS, routes are lazy).
    pub setup_s: f64,
    /// The event loop alone: wall time, and CPU time (which leaves out
    /// waiting for a core on a busy machine).
    pub run_s: f64,
    pub run_cpu_s: Option<f64>,
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
    /// Seconds the rates are computed over: CPU time where known, else wall time.
    pub fn seconds(&self) -> f64 {
        self.run_cpu_s.unwrap_or(self.run_s)
    }
    pub fn events_per_s(&self) -> f64 {
        self.events as f64 / self.seconds()
    }
    pub fn sessions_per_s(&self) -> f64 {
        self.sessions as f64 / self.seconds()
    }
    pub fn messages_per_s(&self) -> f64 {
        self.messages as f64 / self.seconds()
    }
    /// Memory the run added, per message it created: a statistical run folds
    /// finished messages and reuses their storage, so this falls as runs
    /// grow longer (it was about 185 bytes when every message was kept).
    pub fn bytes_per_message(&self) -> Option<f64> {
        let grown = self.peak_rss?.saturating_sub(self.rss_before?);
        (self.messages > 0).then(|| grown as f64 / self.messages as f64)
    }
}

/// Runs `scenario` to `until` with transcripts off (or on, as `show` and the
/// GUI run), timing setup and the event loop apart. With `progress`, a bar
/// on stderr shows simulated time and an estimate of the time left.
pub fn run_speed(scenario: Scenario, seed: u64, until: Option<SimTime>, transcripts: bool, progress: bool) -> RunSpeed {
    let name = scenario.name.clone();
    let end = until.unwrap_or(scenario.duration.0);
    let rss_before = super::rss_bytes();
    let t0 = Instant::now();
    let mut sim = Simulation::new(scenario, RunOptions::new(seed).transcripts(transcripts));
    let setup_s = t0.elapsed().as_secs_f64();

    let t1 = Instant::now();
    let cpu1 = super::cpu_seconds();
    let mut peak_in_flight = 0;
    run_in_slices(&mut sim, end, progress, |sim| peak_in_flight = peak_in_flight.max(sim.in_flight()));
    let run_s = t1.elapsed().as_secs_f64();
    let run_cpu_s = super::cpu_seconds().zip(cpu1).map(|(b, a)| b - a);
    let sessions = sim.nodes.iter().map(|n| n.counters.sessions_out).sum();
    RunSpeed {
        scenario: name,
        simulated_ms: end,
        setup_s,
        run_s,
        run_cpu_s,
        events: sim.events(),
        sessions,
        messages: sim.messages_created(),
        peak_in_flight,
        rss_before,
        peak_rss: super::peak_rss_bytes(),
    }
}

/// Runs `sim` to `end` in hundredths, calling `each` after every slice; with
/// `progress`, a bar on stderr shows the simulated time reached and an
/// estimate of the time left. The result is the same as `sim.run_until(end)`.
pub fn run_in_slices(sim: &mut Simulation, end: SimTime, progress: bool, mut each: impl FnMut(&Simulation)) {
    let bar = Bar::new(end / 1000, progress, "{bar:40} {msg} simulated  {elapsed} elapsed, ~{eta} left");
    let start = sim.now();
    let slices = 100u64;
    for k in 1..=slices {
        if k == slices {
            sim.run_until(end);
        } else {
            sim.run_events_until(start + end.saturating_sub(start) / slices * k);
        }
        each(sim);
        bar.set(sim.now() / 1000, || crate::units::format_ms(sim.now()));
    }
    bar.finish();
}

/// `relaysim run`: a plain run, with a progress bar when it is large (over
/// 100,000 expected messages) and stderr is a terminal.
pub fn run_with_progress(scenario: Scenario, opts: RunOptions, until: Option<SimTime>, terminal: bool) -> Simulation {
    let end = until.unwrap_or(scenario.duration.0);
    let progress = terminal && scenario.expected_messages(end) > 100_000.0;
    let mut sim = Simulation::new(scenario, opts);
    run_in_slices(&mut sim, end, progress, |_| {});
    sim
}

/// Sizes of the records a run keeps, in bytes (without the heap memory
/// their strings and lists own): what one message costs while it is in
/// flight (message, SMTP session, pending events) and after it ended.
pub fn record_sizes() -> Vec<(&'static str, usize)> {
    use crate::sim::message::{Hop, Message};
    use std::mem::size_of;
    vec![
        ("Message", size_of::<Message>()),
        ("Hop", size_of::<Hop>()),
        ("Session (in flight only)", size_of::<crate::sim::simulation::Session>()),
        ("pending event", size_of::<crate::sim::simulation::Event>() + 16),
        ("transcript entry", size_of::<(SimTime, crate::sim::message::Said)>()),
        ("trace header", size_of::<crate::sim::message::Header>()),
    ]
}

/// `compare` on one scenario with 1 and with 2 jobs. Each figure is the
/// fastest of the repeats: a shared machine only ever slows a run down.
#[derive(Debug, Clone, Serialize)]
pub struct CompareScaling {
    pub replications: usize,
    pub repeats: usize,
    /// Wall seconds with 1 job and with 2.
    pub one_job_s: f64,
    pub two_jobs_s: f64,
    /// CPU seconds of the process (all threads) with 1 job and with 2.
    pub one_job_cpu_s: Option<f64>,
    pub two_jobs_cpu_s: Option<f64>,
}

impl CompareScaling {
    pub fn speedup(&self) -> f64 {
        self.one_job_s / self.two_jobs_s
    }
    /// The speed-up two idle cores would give if the work per run stays
    /// the same: 2 x (CPU with 1 job) / (CPU with 2 jobs). On a busy
    /// machine wall time cannot show scaling; this shows whether the jobs
    /// slow each other down (shared state, locks, memory bandwidth).
    pub fn cpu_bound_speedup(&self) -> Option<f64> {
        Some(2.0 * self.one_job_cpu_s? / self.two_jobs_cpu_s?)
    }
}

/// Times `compare` of `scenario` over `replications` seeds with 1 and 2 jobs
/// (the results are identical; only the wall time differs), `repeats` times
/// each, alternating, so that a change in the machine's load hits both.
pub fn compare_scaling(scenario: &Scenario, file: &str, replications: usize, repeats: usize) -> CompareScaling {
    let variants = vec![Variant {
        name: "bench".into(),
        file: file.into(),
        overrides: vec![],
        swept: None,
        scenario: scenario.clone(),
    }];
    let time = |jobs: usize| {
        let t = Instant::now();
        let cpu = super::process_cpu_seconds();
        let r = compare::run(&variants, Options { replications, seed: 1, jobs, progress: false });
        std::hint::black_box(r);
        let cpu = super::process_cpu_seconds().zip(cpu).map(|(b, a)| b - a);
        (t.elapsed().as_secs_f64(), cpu)
    };
    let fastest = |a: (f64, Option<f64>), b: (f64, Option<f64>)| if b.0 < a.0 { b } else { a };
    let (mut one, mut two) = ((f64::INFINITY, None), (f64::INFINITY, None));
    for _ in 0..repeats.max(1) {
        one = fastest(one, time(1));
        two = fastest(two, time(2));
    }
    CompareScaling {
        replications,
        repeats: repeats.max(1),
        one_job_s: one.0,
        two_jobs_s: two.0,
        one_job_cpu_s: one.1,
        two_jobs_cpu_s: two.1,
    }
}
