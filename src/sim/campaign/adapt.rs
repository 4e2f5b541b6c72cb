//! An adaptive campaign at run time: the rule of [`Adaptive`] made
//! mechanism. Each sender of the campaign splits its share of the capacity
//! over the channels it can use; every mail's channel is drawn from that
//! split with the campaign's own random stream (so the traffic stream, and
//! every other source, draws exactly what it would without adaptation).
//!
//! The spam software sees only what a client sees: whether the first
//! server of an attempt took the mail (`250`) or not (a refusal, a dropped
//! or timed-out connection). Those outcomes are counted per sender and
//! channel; at the end of every `window` each channel's success rate is
//! worked out (a channel not tried keeps its last rate; an untried one is
//! believed to work), the new split is made in proportion to the rates with
//! a floor of `explore` per channel, and it takes effect `retool` later.
//!
//! Nothing here schedules an event: the windows and the pending splits are
//! brought up to date whenever the campaign sends or hears back.

use std::collections::VecDeque;

use crate::scenario::{Adaptive, ChannelUse, Scenario, Source, SpamCampaign};
use crate::sim::channel::Channel;
use crate::sim::rng::{self, Stream};
use crate::units::SimTime;

/// The run-time state of one adaptive campaign.
#[derive(Debug, Clone)]
pub struct AdaptRt {
    rng: Stream,
    /// The repertoire, in the file's order.
    pub channels: Vec<Channel>,
    /// The open relays of the `OpenRelays` channel (empty without one).
    pub relays: Vec<String>,
    window: u64,
    retool: u64,
    explore: f64,
    /// Per sender (the campaign's `senders` order), per repertoire channel:
    /// whether it can use it, its current share, its last success rate and
    /// this window's (tried, accepted).
    usable: Vec<Vec<bool>>,
    pub weights: Vec<Vec<f64>>,
    rates: Vec<Vec<f64>>,
    counts: Vec<Vec<[u64; 2]>>,
    window_end: SimTime,
    /// Splits decided and not yet in effect: (when, split).
    pending: VecDeque<(SimTime, Vec<Vec<f64>>)>,
    /// Every split that took effect: (when, sender, shares), for reports
    /// and the GUI's channel plot.
    pub history: Vec<(SimTime, Vec<Vec<f64>>)>,
}

/// Which channel of the repertoire a `ChannelUse` is.
pub fn channel_of_use(u: &ChannelUse) -> Channel {
    match u {
        ChannelUse::OpenRelays(_) => Channel::OpenRelay,
        ChannelUse::Direct => Channel::Direct,
        ChannelUse::OwnServer => Channel::OwnServer,
        ChannelUse::StolenAuth => Channel::StolenAuth,
    }
}

impl AdaptRt {
    pub fn new(s: &Scenario, seed: u64, campaign: &SpamCampaign, a: &Adaptive) -> Self {
        let channels: Vec<Channel> = a.channels.iter().map(channel_of_use).collect();
        let relays = a
            .channels
            .iter()
            .find_map(|u| match u {
                ChannelUse::OpenRelays(r) => Some(r.clone()),
                _ => None,
            })
            .unwrap_or_default();
        let usable: Vec<Vec<bool>> = campaign
            .senders
            .iter()
            .map(|id| {
                let kind = s.nodes.iter().find(|n| n.id == *id).map(|n| &n.kind);
                a.channels.iter().map(|u| kind.is_some_and(|k| u.usable_by(k))).collect()
            })
            .collect();
        let weights = usable.iter().map(|u| even(u)).collect();
        let n = channels.len();
        AdaptRt {
            rng: rng::stream(seed, "adapt", &campaign.id),
            relays,
            window: a.window.0.max(1),
            retool: a.retool.0,
            explore: a.explore,
            rates: vec![vec![1.0; n]; usable.len()],
            counts: vec![vec![[0; 2]; n]; usable.len()],
            weights,
            usable,
            window_end: campaign.start.0.saturating_add(a.window.0.max(1)),
            pending: VecDeque::new(),
            history: Vec::new(),
            channels,
        }
    }

    /// The adaptive campaigns of a scenario, by traffic source index.
    pub fn all(s: &Scenario, seed: u64) -> Vec<Option<AdaptRt>> {
        s.traffic
            .iter()
            .map(|src| match src {
                Source::Spam(c) => match &c.adapt {
                    crate::scenario::Adapt::Adaptive(a) => Some(AdaptRt::new(s, seed, c, a)),
                    crate::scenario::Adapt::Fixed => None,
                },
                _ => None,
            })
            .collect()
    }

    /// Brings windows and pending splits up to time `t`.
    fn catch_up(&mut self, t: SimTime) {
        while t >= self.window_end {
            let at = self.window_end;
            self.decide(at);
            self.window_end = self.window_end.saturating_add(self.window);
        }
        while self.pending.front().is_some_and(|(due, _)| *due <= t) {
            if let Some((due, split)) = self.pending.pop_front() {
                self.weights = split.clone();
                self.history.push((due, split));
            }
        }
    }

    /// The end of a window at `at`: new rates, and the split they call for.
    fn decide(&mut self, at: SimTime) {
        let mut split = self.weights.clone();
        for (s, usable) in self.usable.iter().enumerate() {
            for (c, counts) in self.counts[s].iter_mut().enumerate() {
                let [tried, accepted] = *counts;
                if tried > 0 {
                    self.rates[s][c] = accepted as f64 / tried as f64;
                }
                *counts = [0, 0];
            }
            let k = usable.iter().filter(|&&u| u).count();
            if k == 0 {
                continue;
            }
            let floor = self.explore.min(1.0 / k as f64);
            let total: f64 = usable.iter().zip(&self.rates[s]).filter(|(u, _)| **u).map(|(_, r)| r).sum();
            for (c, w) in split[s].iter_mut().enumerate() {
                *w = match (usable[c], total > 0.0) {
                    (false, _) => 0.0,
                    (true, true) => floor + (1.0 - k as f64 * floor) * self.rates[s][c] / total,
                    (true, false) => 1.0 / k as f64,
                };
            }
        }
        let due = at.saturating_add(self.retool);
        self.pending.push_back((due, split));
    }

    /// The channel of sender `sender`'s next mail at `t` (an index into
    /// the repertoire), drawn from its current split.
    pub fn choose(&mut self, sender: usize, t: SimTime) -> Option<Channel> {
        self.catch_up(t);
        let w = self.weights.get(sender)?;
        let u = rng::unit(&mut self.rng);
        let mut acc = 0.0;
        let mut last = None;
        for (c, &wc) in w.iter().enumerate() {
            if wc <= 0.0 {
                continue;
            }
            acc += wc;
            last = Some(self.channels[c]);
            if u < acc {
                return last;
            }
        }
        last
    }

    /// One attempt of sender `sender` on `channel` ended: the first server
    /// took the mail (`accepted`) or not.
    pub fn observe(&mut self, sender: usize, channel: Channel, accepted: bool, t: SimTime) {
        self.catch_up(t);
        let Some(c) = self.channels.iter().position(|&x| x == channel) else { return };
        if let Some(counts) = self.counts.get_mut(sender) {
            counts[c][0] += 1;
            counts[c][1] += u64::from(accepted);
        }
    }
}

fn even(usable: &[bool]) -> Vec<f64> {
    let k = usable.iter().filter(|&&u| u).count().max(1) as f64;
    usable.iter().map(|&u| if u { 1.0 / k } else { 0.0 }).collect()
}
