//! The statistics the window shows: where the mail of each class stands at
//! the clock, and how that grew over simulated time. Counted from the core's
//! messages with the same code as `relaysim run` ([`Counts::add_as_of`],
//! [`Delay::of`]), so after any jump (next step, seek, step back, era switch)
//! the window says what `run --until` says at the same time: nothing is
//! counted from the animation, which skips what a jump passes over.

use bevy::prelude::*;

use crate::gui::playback::{Playback, SimState};
use crate::sim::channel::Channel;
use crate::sim::{MailClass, Simulation};
use crate::stats::summary::{Delay, MailCounts as Counts};
use crate::units::SimTime;

/// The statistics, recounted when the clock moves.
pub(super) fn plugin(app: &mut App) {
    app.init_resource::<Series>().add_systems(Update, update_series.in_set(crate::gui::AppSet::Count));
}

/// Samples drawn over a run (the plot's resolution: 12 minutes of a day).
const SAMPLES: u64 = 120;
/// While playing, the counts are refreshed at most this often (real seconds):
/// each refresh walks every message.
const REFRESH_S: f64 = 0.2;

/// The counts of each class ([`MailClass::ALL`] order) at one moment.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClassCounts(pub [Counts; 4]);

impl ClassCounts {
    pub fn of(&self, c: MailClass) -> &Counts {
        &self.0[class_index(c)]
    }
}

fn class_index(c: MailClass) -> usize {
    MailClass::ALL.iter().position(|&x| x == c).unwrap_or(0)
}

/// One point of the plots: the counts at `at`, and the median delay of the
/// legitimate mail delivered in the period that ends there.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub at: SimTime,
    pub counts: ClassCounts,
    pub legit_delay_median_s: Option<f64>,
    /// Spam sent in the period that ends here, by channel ([`Channel::ALL`]
    /// order): the campaign's channel mix as it moves.
    pub spam_by_channel: [u64; 6],
}

/// The statistics at the clock and their history.
#[derive(Resource, Default)]
pub struct Series {
    /// Counts at [`Series::clock`], as `run --until clock` reports them.
    pub now: ClassCounts,
    /// Delivery delay of the legitimate mail delivered so far (`run`'s `delay_s`).
    pub legit_delay: Delay,
    /// The simulated time these numbers are for.
    pub clock: SimTime,
    /// One sample per period from 0 to the clock (the last one at the clock).
    pub samples: Vec<Sample>,
    /// Simulated time between samples.
    pub every: SimTime,
    /// The channels spam has used so far, in [`Channel::ALL`] order.
    pub channels_used: Vec<Channel>,
    /// What the numbers were last computed for: (run generation, clock, messages).
    computed: Option<(u64, SimTime, usize)>,
    /// Real time of the last refresh.
    refreshed_at: f64,
}

impl Series {
    /// Counts everything again from the simulation's messages at `clock`.
    pub fn compute(&mut self, sim: &Simulation, clock: SimTime) {
        let every = (sim.scenario.duration.0 / SAMPLES).max(1000);
        let bins = (clock / every) as usize + 1;
        // Per period: messages sent, and fates reached, per class; and the
        // delays of the legitimate mail delivered in it.
        let mut sent = vec![[0u64; 4]; bins];
        let mut settled = vec![[Counts::default(), Counts::default(), Counts::default(), Counts::default()]; bins];
        let mut delays: Vec<Vec<u64>> = vec![Vec::new(); bins];
        let mut channels = vec![[0u64; 6]; bins];
        let mut now = ClassCounts::default();
        let mut legit_delays = Vec::new();
        for m in &sim.messages {
            if m.created > clock {
                continue;
            }
            let c = class_index(m.class);
            now.0[c].add_as_of(&m.fate, clock);
            sent[(m.created / every) as usize][c] += 1;
            if let Some(ch) = sim.channel_of(m) {
                channels[(m.created / every) as usize][ch.index()] += 1;
            }
            if let Some(at) = m.fate.settled_at().filter(|&at| at <= clock) {
                let b = (at / every) as usize;
                settled[b][c].settle(&m.fate);
                if m.class == MailClass::Legit && matches!(m.fate, crate::sim::Fate::Delivered { .. }) {
                    delays[b].push(at - m.created);
                    legit_delays.push(at - m.created);
                }
            }
        }
        let mut samples = Vec::with_capacity(bins + 1);
        samples.push(Sample {
            at: 0,
            counts: ClassCounts::default(),
            legit_delay_median_s: None,
            spam_by_channel: [0; 6],
        });
        let mut used = [false; 6];
        let mut run = ClassCounts::default();
        for b in 0..bins {
            for c in 0..4 {
                let k = &mut run.0[c];
                k.sent += sent[b][c];
                k.delivered += settled[b][c].delivered;
                k.rejected += settled[b][c].rejected;
                k.lost += settled[b][c].lost;
                k.queued = k.sent - k.delivered - k.rejected - k.lost;
            }
            let at = ((b as u64 + 1) * every).min(clock);
            let d = std::mem::take(&mut delays[b]);
            let median = (!d.is_empty()).then(|| Delay::of(d).median);
            for (u, n) in used.iter_mut().zip(channels[b]) {
                *u |= n > 0;
            }
            if at > samples.last().map_or(0, |s| s.at) {
                samples.push(Sample {
                    at,
                    counts: run.clone(),
                    legit_delay_median_s: median,
                    spam_by_channel: channels[b],
                });
            }
        }
        self.now = now;
        self.legit_delay = Delay::of(legit_delays);
        self.clock = clock;
        self.samples = samples;
        self.every = every;
        self.channels_used = Channel::ALL.into_iter().filter(|c| used[c.index()]).collect();
    }

    /// Whether the numbers are for this run at this clock.
    pub fn is_current(&self, state: &SimState) -> bool {
        self.computed == Some((state.generation, state.clock, state.sim.messages.len()))
    }
}

/// Recounts when the clock or the run changed: at once after a jump or while
/// paused, at most every [`REFRESH_S`] while playing.
pub fn update_series(time: Res<Time>, state: Res<SimState>, playback: Res<Playback>, mut series: ResMut<Series>) {
    let _own = crate::gui::own_time::Span::start("stats::update_series");
    if series.is_current(&state) {
        return;
    }
    let now = time.elapsed_secs_f64();
    let same_run = series.computed.is_some_and(|(g, _, _)| g == state.generation);
    if same_run && playback.playing && now - series.refreshed_at < REFRESH_S {
        return;
    }
    series.compute(&state.sim, state.clock);
    series.computed = Some((state.generation, state.clock, state.sim.messages.len()));
    series.refreshed_at = now;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::RunOptions;
    use crate::stats::summary::Report;

    #[test]
    fn counts_at_the_end_are_the_reports_and_samples_add_up() {
        let s = crate::scenario::load(std::path::Path::new("scenarios/examples/backscatter.ron")).unwrap();
        let end = s.duration.0;
        let sim = crate::run(s, RunOptions::new(1).transcripts(false).keep_messages(true), None);
        let mut series = Series::default();
        series.compute(&sim, end);
        let report = Report::of(&sim);
        for c in MailClass::ALL {
            assert_eq!(series.now.of(c), &report.mail[c.name()].counts, "{}", c.name());
        }
        assert_eq!(series.samples.last().unwrap().counts, series.now);
        assert_eq!(series.legit_delay, report.mail["legit"].delay_s);
        for w in series.samples.windows(2) {
            assert!(w[0].at < w[1].at);
            for c in 0..4 {
                assert!(w[0].counts.0[c].sent <= w[1].counts.0[c].sent);
                assert!(w[1].counts.0[c].balanced());
            }
        }
    }
}
