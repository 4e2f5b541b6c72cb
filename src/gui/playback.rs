//! The running simulation and the controls that move it: play, pause, speed,
//! step to the next SMTP event, and going back by deterministic replay (a run
//! is a pure function of its file and seed, so "back to T" is "again to T").

use std::path::{Path, PathBuf};

use bevy::prelude::*;

use crate::scenario::{self, Defense, Scenario, Trigger};
use crate::sim::{Fired, Narrator, RunOptions, Simulation};
use crate::units::SimTime;

/// The playback controls and the system that moves the simulation.
pub(super) fn plugin(app: &mut App) {
    app.init_resource::<Playback>().add_systems(Update, advance.in_set(crate::gui::AppSet::Advance));
}

/// Speeds offered, in simulated seconds per real second, with their names.
pub const SPEEDS: [(f64, &str); 9] = [
    (1.0, "real time"),
    (10.0, "10 s/s"),
    (60.0, "1 min/s"),
    (300.0, "5 min/s"),
    (1_440.0, "1 day/min"),
    (4_320.0, "3 days/min"),
    (10_080.0, "1 week/min"),
    (43_200.0, "30 days/min"),
    (144_000.0, "100 days/min"),
];

/// At most this many core events per frame, so a frame stays short even at
/// the highest speed (the clock then runs slower than asked).
pub const EVENT_BUDGET: usize = 20_000;

/// The simulation shown, with the file it came from.
#[derive(Resource)]
pub struct SimState {
    pub path: PathBuf,
    /// The last scenario that loaded without errors.
    pub scenario: Scenario,
    pub sim: Simulation,
    /// Simulated time shown (ms); the core has handled every event up to it.
    pub clock: SimTime,
    /// Trace events already turned into animation.
    pub cursor: usize,
    /// The checker's messages when the file on disk has errors.
    pub error: Option<String>,
    /// Bumped whenever the run restarts (reload, replay): views start afresh.
    pub generation: u64,
    /// What-if switches flipped during this run, replayed when going back.
    pub what_ifs: Vec<WhatIf>,
    /// How many of `what_ifs` the current run has applied.
    what_ifs_applied: usize,
    /// The lesson runner (the scenario's `narration`), fed the same events.
    pub narrator: Narrator,
    /// A step asked to pause (action `Pause`); the playback picks it up.
    pub pause_requested: bool,
    /// Steps fired since the panel last looked (camera focus, reveal).
    pub new_steps: Vec<Fired>,
    /// The last step fired asks the class a question that is not answered
    /// (revealed) or skipped yet: the run waits for it.
    pub question_open: bool,
}

/// A defense turned on or off on a node at a simulated time by the teacher.
#[derive(Debug, Clone, PartialEq)]
pub struct WhatIf {
    pub at: SimTime,
    pub node: String,
    pub defense: Defense,
    pub on: bool,
}

/// The playback controls.
#[derive(Resource, Debug, Clone)]
pub struct Playback {
    pub playing: bool,
    /// Index into [`SPEEDS`].
    pub speed: usize,
    /// Jump over quiet periods instead of waiting through them.
    pub skip_idle: bool,
    /// Animation frozen (screenshots): nothing moves.
    pub frozen: bool,
    /// Pause when the clock reaches this time (screenshots).
    pub stop_at: Option<SimTime>,
    /// Real seconds the envelopes may still move while paused: a step (→)
    /// plays its own hop, then the picture holds still again.
    pub animate_for: f64,
    /// Run through narration pauses and questions (screenshots, benchmarks).
    pub ignore_pauses: bool,
}

impl Default for Playback {
    /// Paused: a lesson opens on its first step, and the teacher starts it.
    fn default() -> Self {
        Playback {
            playing: false,
            speed: 2,
            skip_idle: true,
            frozen: false,
            stop_at: None,
            animate_for: 0.0,
            ignore_pauses: false,
        }
    }
}

impl Playback {
    /// Simulated milliseconds per real second.
    pub fn ms_per_s(&self) -> f64 {
        SPEEDS[self.speed.min(SPEEDS.len() - 1)].0 * 1000.0
    }
    pub fn faster(&mut self) {
        self.speed = (self.speed + 1).min(SPEEDS.len() - 1);
    }
    pub fn slower(&mut self) {
        self.speed = self.speed.saturating_sub(1);
    }

    /// Real seconds of animation this frame: all of `dt` while playing, the
    /// rest of a step's hop while paused, nothing when frozen.
    pub fn animation_dt(&mut self, dt: f64) -> f64 {
        if self.frozen {
            0.0
        } else if self.playing {
            self.animate_for = 0.0;
            dt
        } else {
            let d = dt.min(self.animate_for);
            self.animate_for -= d;
            d
        }
    }
}

fn new_sim(scenario: &Scenario) -> Simulation {
    let opts = RunOptions::new(scenario.seed).transcripts(true).trace(true);
    Simulation::new(scenario.clone(), opts)
}

impl SimState {
    /// Loads a scenario file; the error is the checker's report.
    pub fn load(path: &Path) -> Result<Self, String> {
        let scenario = scenario::load(path).map_err(|e| e.to_string())?;
        Ok(Self::from_scenario(path.to_path_buf(), scenario))
    }

    pub fn from_scenario(path: PathBuf, scenario: Scenario) -> Self {
        let sim = new_sim(&scenario);
        // `new_sim` records the trace, so this cannot fail; if it ever did,
        // the lesson is shown as an error rather than steps that never fire.
        let (narrator, error) = match Narrator::new(&sim) {
            Ok(n) => (n, None),
            Err(e) => (Narrator::default(), Some(e.to_string())),
        };
        let mut state = SimState {
            path,
            scenario,
            sim,
            clock: 0,
            cursor: 0,
            error,
            generation: 0,
            what_ifs: Vec::new(),
            what_ifs_applied: 0,
            narrator,
            pause_requested: false,
            new_steps: Vec::new(),
            question_open: false,
        };
        state.open_on_first_step();
        state
    }

    /// A lesson opens on its first step (run to it, without animation):
    /// the class sees the opening question before anything moves.
    fn open_on_first_step(&mut self) {
        if self.narrator.fired().is_empty() && !self.narrator.steps().is_empty() {
            self.advance_to_next_step();
        }
        self.pause_requested = false;
    }

    /// The end of the run as the file sets it.
    pub fn end(&self) -> SimTime {
        self.scenario.duration.0
    }

    /// When the next narration step or replayed what-if is due by the clock
    /// alone (time triggers), if any.
    fn timed_due(&self) -> Option<SimTime> {
        let last = self.narrator.fired().last().map_or(0, |f| f.at);
        let step = self.narrator.next_step().and_then(|s| match s.trigger {
            Trigger::At(t) => Some(t.0.max(last)),
            Trigger::After(d) => Some(last.saturating_add(d.0)),
            _ => None,
        });
        let what_if = self.what_ifs.get(self.what_ifs_applied).map(|w| w.at);
        match (step, what_if) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Runs the core up to `target` (at most `budget` events), firing
    /// narration steps and replaying what-ifs on the way; stops early when a
    /// step asks to pause. Returns the clock reached.
    pub fn advance_to(&mut self, target: SimTime, budget: usize) -> SimTime {
        self.advance_inner(target, budget, false)
    }

    fn advance_inner(&mut self, target: SimTime, budget: usize, stop_on_step: bool) -> SimTime {
        let target = target.min(self.end());
        let mut n = 0;
        let steps_before = self.narrator.fired().len();
        // A time trigger that did not fire when due is not retried at that time.
        let mut tried: Option<SimTime> = None;
        loop {
            if self.pause_requested || (stop_on_step && self.narrator.fired().len() > steps_before) {
                return self.clock;
            }
            let next = self.sim.next_event_time();
            if let Some(d) = self.timed_due()
                && d <= target
                && next.is_none_or(|e| d < e)
                && tried != Some(d)
            {
                self.sim.run_until(d);
                self.clock = self.clock.max(d);
                self.apply_what_ifs_due();
                self.poll_narration();
                if self.timed_due() == Some(d) {
                    tried = Some(d);
                }
                continue;
            }
            match next {
                Some(t) if t <= target => {
                    if n >= budget {
                        self.clock = self.clock.max(t);
                        return self.clock;
                    }
                    self.sim.step_one();
                    self.clock = self.clock.max(t);
                    self.poll_narration();
                    n += 1;
                }
                _ => break,
            }
        }
        self.clock = self.clock.max(target);
        self.clock
    }

    /// Switches the teacher flipped, due by now (replays only).
    fn apply_what_ifs_due(&mut self) {
        while let Some(w) = self.what_ifs.get(self.what_ifs_applied).filter(|w| w.at <= self.clock) {
            let _ = self.sim.set_defense(&w.node, w.defense, w.on);
            self.what_ifs_applied += 1;
        }
    }

    fn poll_narration(&mut self) {
        loop {
            match self.narrator.poll(&mut self.sim) {
                Ok(Some(f)) => {
                    // A question waits for the class; so does a step that says Pause.
                    let asks = self.narrator.steps().get(f.step).is_some_and(|s| s.predict.is_some());
                    self.question_open = asks;
                    self.pause_requested |= f.pause || asks;
                    self.new_steps.push(f);
                }
                Ok(None) => break,
                Err(e) => {
                    self.error = Some(e.to_string());
                    break;
                }
            }
        }
    }

    /// Runs until the next narration step fires (or the end); false if none did.
    pub fn advance_to_next_step(&mut self) -> bool {
        let before = self.narrator.fired().len();
        self.pause_requested = false;
        self.question_open = false;
        self.advance_inner(self.end(), usize::MAX, true);
        // Do not animate the whole stretch jumped over.
        self.cursor = self.sim.trace.events.len();
        self.narrator.fired().len() > before
    }

    /// Turns a defense on or off from now on (a what-if: the run changes).
    pub fn switch(&mut self, node: &str, defense: Defense, on: bool) -> Result<(), String> {
        self.sim.set_defense(node, defense, on).map_err(|e| e.to_string())?;
        self.what_ifs.push(WhatIf { at: self.clock, node: node.to_string(), defense, on });
        self.what_ifs_applied = self.what_ifs.len();
        Ok(())
    }

    /// Handles one core event and fires what it triggers.
    fn step_event(&mut self) -> bool {
        let more = self.sim.step_one();
        self.poll_narration();
        more
    }

    /// Runs until the core records the next thing worth seeing (a hop, a
    /// drop, a delivery); returns false when nothing is left before the end.
    pub fn step_to_next_smtp_event(&mut self) -> bool {
        let before = self.sim.trace.events.len();
        while let Some(t) = self.sim.next_event_time() {
            if t > self.end() {
                break;
            }
            self.step_event();
            self.clock = self.clock.max(t);
            if self.sim.trace.events.len() > before {
                return true;
            }
        }
        false
    }

    /// Starts the run again and replays it to `t` (deterministic: same file,
    /// same seed, same what-if switches at the same times).
    pub fn replay_to(&mut self, t: SimTime) {
        self.sim = new_sim(&self.scenario);
        self.narrator = match Narrator::new(&self.sim) {
            Ok(n) => n,
            Err(e) => {
                self.error = Some(e.to_string());
                Narrator::default()
            }
        };
        self.clock = 0;
        self.generation += 1;
        self.question_open = false;
        // Switches made later than `t` are undone by going back before them.
        self.what_ifs.retain(|w| w.at <= t);
        self.what_ifs_applied = 0;
        // What was flipped at time 0 applies before anything happens.
        self.apply_what_ifs_due();
        self.run_through_to(t);
    }

    /// Runs to `t` through any narration pause on the way, then shows the
    /// step it stopped on again (focus, question: open only if that step
    /// fired right at `t`) and animates nothing that was jumped over.
    fn run_through_to(&mut self, t: SimTime) {
        let t = t.min(self.end());
        loop {
            self.pause_requested = false;
            self.advance_to(t, usize::MAX);
            if self.clock >= t {
                break;
            }
        }
        self.pause_requested = false;
        let last = self.new_steps.pop();
        self.new_steps.clear();
        if let Some(f) = last {
            self.question_open &= f.at == self.clock;
            self.new_steps.push(f);
        }
        self.cursor = self.sim.trace.events.len();
    }

    /// Goes to `t`: forward by running on, back by replaying. Narration
    /// pauses on the way do not stop a seek; a question is open afterwards
    /// only if its step fired right at `t`.
    pub fn seek(&mut self, t: SimTime) {
        let t = t.min(self.end());
        if t < self.clock {
            self.replay_to(t);
            return;
        }
        self.new_steps.clear();
        self.run_through_to(t);
    }

    /// The time of the trace event before the clock (for "step back").
    pub fn previous_event_time(&self) -> SimTime {
        self.sim.trace.events.iter().rev().map(|(t, _)| *t).find(|&t| t < self.clock).unwrap_or(0)
    }

    /// Swaps in a new scenario (file reloaded) and replays it to the same time.
    pub fn replace_scenario(&mut self, scenario: Scenario) {
        let t = self.clock;
        self.scenario = scenario;
        self.error = None;
        self.what_ifs.clear();
        self.what_ifs_applied = 0;
        self.replay_to(t);
    }
}

/// `→`: pause, run to the next SMTP event and let its hop play.
pub fn step_forward(state: &mut SimState, playback: &mut Playback) {
    playback.playing = false;
    state.step_to_next_smtp_event();
    playback.animate_for = crate::gui::flights::HOP_SECONDS * 1.05;
}

/// `←`: pause and replay the run to the event before the clock.
pub fn step_back(state: &mut SimState, playback: &mut Playback) {
    playback.playing = false;
    let t = state.previous_event_time();
    state.replay_to(t);
}

/// `Home`: back to the start, paused on the first step.
pub fn restart(state: &mut SimState, playback: &mut Playback) {
    playback.playing = false;
    state.replay_to(0);
    state.open_on_first_step();
}

/// Moves the simulation forward by the frame's share of simulated time.
pub fn advance(
    time: Res<Time>,
    mut state: ResMut<SimState>,
    mut playback: ResMut<Playback>,
    flights: Res<crate::gui::flights::Flights>,
) {
    let _own = crate::gui::own_time::Span::start("playback::advance");
    if state.question_open && !playback.ignore_pauses {
        playback.playing = false;
    }
    if !playback.playing || playback.frozen {
        return;
    }
    let dt = time.delta_secs_f64();
    let mut target = state.clock + (dt * playback.ms_per_s()).round() as SimTime;
    // Quiet period: nothing in flight and the next event more than two real
    // seconds away at this speed: go straight to it.
    if playback.skip_idle
        && flights.in_flight() == 0
        && let Some(next) = state.sim.next_event_time()
        && next > target
        && (next - target) as f64 > 2.0 * playback.ms_per_s()
    {
        target = next;
    }
    if let Some(stop) = playback.stop_at {
        target = target.min(stop);
    }
    let end = state.end();
    state.advance_to(target, EVENT_BUDGET);
    if state.pause_requested {
        // A narration step asked the teacher to take over (or asks a question).
        state.pause_requested = false;
        if playback.ignore_pauses {
            state.question_open = false;
        } else {
            playback.playing = false;
        }
    }
    if state.clock >= end || playback.stop_at.is_some_and(|s| state.clock >= s) {
        playback.playing = false;
    }
}
