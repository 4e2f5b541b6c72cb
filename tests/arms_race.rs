//! Era 8, the arms race in one run (1997 to 2010): directional tests, not
//! tuned to published numbers. One run of the file is shared by the tests.

mod common;

use std::sync::OnceLock;

use relaysim::sim::channel::Channel;
use relaysim::sim::{Fate, Fired, Narrator, RunOptions, Simulation};
use relaysim::units::{DAY, Timestamp};

const FILE: &str = "scenarios/history/08-arms-race.ron";

/// The run, narrated (its steps have no actions: the run is the file's).
fn run() -> &'static (Simulation, Vec<Fired>) {
    static RUN: OnceLock<(Simulation, Vec<Fired>)> = OnceLock::new();
    RUN.get_or_init(|| {
        let s = common::load(FILE);
        let (seed, end) = (s.seed, s.duration.0);
        let mut sim = Simulation::new(s, RunOptions::new(seed).transcripts(false).keep_messages(true));
        let mut narrator = Narrator::new(&sim).expect("time triggers need no trace");
        let fired = narrator.run_to(&mut sim, end).expect("the lesson runs");
        (sim, fired)
    })
}

fn sim() -> &'static Simulation {
    &run().0
}

/// Simulated time (ms) of a date.
fn at(date: &str) -> u64 {
    let t: Timestamp = format!("{date}T00:00:00Z").parse().expect("a date");
    (t.0 - sim().scenario.start.0) as u64 * 1000
}

/// Delivered spam of `source` written in [from, to), and how much of it went by `channel`.
fn delivered(source: &str, from: &str, to: &str, channel: Option<Channel>) -> u64 {
    let s = sim();
    let k = s.scenario.traffic.iter().position(|x| x.id() == source).expect("the source");
    let (a, b) = (at(from), at(to));
    s.messages
        .iter()
        .filter(|m| m.source == Some(k) && m.created >= a && m.created < b)
        .filter(|m| matches!(m.fate, Fate::Delivered { .. }))
        .filter(|m| channel.is_none_or(|c| s.channel_of(m) == Some(c)))
        .count() as u64
}

fn share(source: &str, from: &str, to: &str, channel: Channel) -> f64 {
    delivered(source, from, to, Some(channel)) as f64 / delivered(source, from, to, None).max(1) as f64
}

#[test]
fn the_spammer_moves_off_the_relays_gradually_as_they_close() {
    let years = ["1997-06-01", "1998-06-01", "1999-06-01", "2000-06-01", "2001-06-01", "2002-06-01"];
    let shares: Vec<f64> = years.windows(2).map(|w| share("spammers", w[0], w[1], Channel::OpenRelay)).collect();
    assert!(shares[0] > 0.4, "open relays carry much of it at first: {shares:?}");
    for w in shares.windows(2) {
        assert!(w[1] < w[0], "each year of closings lowers the relays' share: {shares:?}");
    }
    assert!(shares[2] > 0.1, "gradually, not a cliff: {shares:?}");
    assert!(shares[4] < 0.05, "next to nothing once every relay is closed: {shares:?}");
    // The spam moved to the spammer's own server: it still arrives.
    let before = delivered("spammers", "1997-06-01", "1998-06-01", None);
    let after = delivered("spammers", "2002-06-01", "2003-06-01", None);
    assert!(after as f64 > 0.8 * before as f64, "delivered spam {before} then {after}");
}

#[test]
fn op25b_at_isp_a_ends_its_direct_spam_and_the_botnet_total_holds() {
    let s = sim();
    let k = s.scenario.traffic.iter().position(|x| x.id() == "botnet").expect("the botnet");
    let a_direct_delivered = s
        .messages
        .iter()
        .filter(|m| m.source == Some(k) && m.created >= at("2005-06-02") && s.nodes[m.origin].id == "pop-a")
        .filter(|m| matches!(m.fate, Fate::Delivered { .. }) && s.channel_of(m) == Some(Channel::Direct))
        .count();
    assert_eq!(a_direct_delivered, 0, "OP25B at ISP A from 2005-06-01");
    let per_day =
        |from: &str, to: &str| delivered("botnet", from, to, None) as f64 / ((at(to) - at(from)) / DAY) as f64;
    let before = per_day("2005-03-01", "2005-06-01");
    let after = per_day("2005-09-01", "2005-12-01");
    let change = after / before - 1.0;
    assert!(change.abs() <= 0.15, "botnet's delivered spam per day: {before:.1} then {after:.1} ({change:+.3})");
}

#[test]
fn after_op25b_in_japan_stolen_auth_rises() {
    let before = share("botnet", "2004-06-01", "2005-06-01", Channel::StolenAuth);
    let after = share("botnet", "2006-06-01", "2007-06-01", Channel::StolenAuth);
    assert!(after > 1.5 * before, "stolen_auth's share of the botnet's delivered spam: {before:.2} then {after:.2}");
}

#[test]
fn greylisting_moves_isp_cs_bots_to_stolen_passwords() {
    let s = sim();
    let k = s.scenario.traffic.iter().position(|x| x.id() == "botnet").expect("the botnet");
    let share = |from: &str, to: &str, channel: Channel| {
        let mine: Vec<_> = s
            .messages
            .iter()
            .filter(|m| m.source == Some(k) && s.nodes[m.origin].id == "pop-c")
            .filter(|m| m.created >= at(from) && m.created < at(to))
            .collect();
        mine.iter().filter(|m| s.channel_of(m) == Some(channel)).count() as f64 / mine.len().max(1) as f64
    };
    let (direct_before, direct_after) =
        (share("2007-01-01", "2007-06-01", Channel::Direct), share("2008-01-01", "2008-06-01", Channel::Direct));
    let (stolen_before, stolen_after) = (
        share("2007-01-01", "2007-06-01", Channel::StolenAuth),
        share("2008-01-01", "2008-06-01", Channel::StolenAuth),
    );
    assert!(direct_after < 0.5 * direct_before, "ISP C's direct share: {direct_before:.2} then {direct_after:.2}");
    assert!(stolen_after > stolen_before, "ISP C's stolen_auth share: {stolen_before:.2} then {stolen_after:.2}");
}

#[test]
fn the_series_adds_up_and_is_monthly() {
    let series = relaysim::stats::series::Series::of(sim(), None).expect("a series");
    assert_eq!(series.period, "month");
    assert_eq!(series.periods.first().map(|p| p.start.as_str()), Some("1997-01-06T00:00:00Z"));
    let report = relaysim::stats::Report::of(sim());
    assert_eq!(series.total("spam").delivered, report.mail["spam"].counts.delivered);
    let used: Vec<&String> = series.periods[0].spam_channels.keys().collect();
    assert_eq!(used, ["direct", "open_relay", "own_server", "stolen_auth"]);
}

#[test]
fn every_step_fires_and_speaks_english_and_japanese() {
    let (sim, fired) = run();
    assert_eq!(fired.len(), sim.scenario.narration.len(), "every step fires");
    for st in &sim.scenario.narration {
        for lang in ["en", "ja"] {
            assert!(st.text.0.contains_key(lang) && st.title.0.contains_key(lang), "{} in {lang}", st.id);
        }
    }
    assert!(fired.iter().all(|f| f.action_error.is_none()));
}
