//! `run --format json`'s `series`: the run's mail period by period, whose
//! periods add up to the run's totals.

mod common;

use relaysim::sim::RunOptions;
use relaysim::stats::Report;
use relaysim::stats::series::{Period, Series};
use relaysim::units::HOUR;

fn load(name: &str) -> relaysim::scenario::Scenario {
    relaysim::tour::find(name).unwrap_or_else(|| panic!("{name} is in the tour")).load().expect("valid")
}

fn assert_totals(file: &str, seed: u64, period: Option<Period>, until: Option<u64>) -> Series {
    let s = load(file);
    let sim = relaysim::run(s, RunOptions::new(seed).transcripts(false), until);
    let report = Report::of(&sim);
    let series = Series::of(&sim, period).expect("a series");
    for (class, c) in &report.mail {
        let t = series.total(class);
        assert_eq!(
            (t.sent, t.delivered, t.rejected, t.lost),
            (c.counts.sent, c.counts.delivered, c.counts.rejected, c.counts.lost),
            "{file} {class}: the periods add up to the run's totals"
        );
    }
    let spam = &report.mail["spam"].counts;
    let channels: Vec<String> = series.periods[0].spam_channels.keys().cloned().collect();
    let (sent, delivered) =
        channels.iter().map(|c| series.channel_total(c)).fold((0, 0), |(s, d), c| (s + c.sent, d + c.delivered));
    assert_eq!((sent, delivered), (spam.sent, spam.delivered), "{file}: every spam has one channel");
    for p in &series.periods {
        assert_eq!(p.spam_channels.keys().cloned().collect::<Vec<_>>(), channels, "the same channels in every period");
    }
    series
}

#[test]
fn the_periods_add_up_to_the_runs_totals() {
    for era in 1..=7 {
        let file = format!("era:{era}");
        let series = assert_totals(&file, 1, None, None);
        assert_eq!(series.period, "hour");
        assert_eq!(series.periods.len(), 24, "{file}: a day starting on the hour");
    }
    // Stopped early, with mail still on its way; and by day and by week.
    assert_totals("era:5", 2, Some(Period::Day), Some(5 * HOUR + 1234));
    assert_totals("example:mx-outage", 1, Some(Period::Week), None);
}

#[test]
fn periods_start_and_end_with_the_run() {
    let sim = relaysim::run(load("era:5"), RunOptions::new(1).transcripts(false), Some(90 * 60_000));
    let series = Series::of(&sim, Some(Period::Day)).expect("a series");
    assert_eq!(series.periods.len(), 1);
    assert_eq!(series.periods[0].start, "2006-03-06T09:00:00Z");
    assert_eq!(series.periods[0].end, "2006-03-06T10:30:00Z");
    let hourly = Series::of(&sim, Some(Period::Hour)).expect("a series");
    assert_eq!(hourly.periods.len(), 2);
    assert_eq!(hourly.periods[1].start, "2006-03-06T10:00:00Z");
}

#[test]
fn era_channels_are_the_ways_spam_goes_out() {
    let series = assert_totals("era:4", 1, None, None);
    let used: Vec<&String> = series.periods[0].spam_channels.keys().collect();
    assert_eq!(used, ["direct", "open_relay", "own_server", "stolen_auth"]);
    assert!(series.channel_total("stolen_auth").delivered > 0);
    assert!(series.channel_total("own_server").delivered > 0);
}

#[cfg(feature = "cli")]
#[test]
fn run_json_has_the_series_and_its_period() {
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_relaysim"))
            .args(args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .expect("the binary runs")
    };
    let out = run(&["run", "era:2", "--format", "json", "--period", "day", "--until", "30h"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["series_period"], "day");
    let periods = v["series"].as_array().expect("a list of periods");
    assert_eq!(periods.len(), 2, "2000-03-06 from 09:00, and 2000-03-07 to 15:00");
    assert_eq!(periods[1]["start"], "2000-03-07T00:00:00Z");
    assert_eq!(periods[1]["end"], "2000-03-07T15:00:00Z");
    for f in ["sent", "delivered", "rejected", "lost"] {
        assert!(periods[0]["mail"]["spam"][f].is_u64(), "mail.spam.{f}");
    }
    assert!(periods[0]["spam_channels"]["open_relay"]["sent"].is_u64());
    // Tables have no series.
    let table = run(&["run", "era:2", "--until", "1h"]);
    assert!(!String::from_utf8_lossy(&table.stdout).contains("series"));
}

/// A run of more than a year is counted by day: an hourly series is refused
/// with a reason, not made up.
#[test]
fn a_run_of_years_has_no_hourly_series() {
    let src = std::fs::read_to_string(common::path("scenarios/examples/backscatter.ron")).expect("readable");
    let src = src.replacen("duration: \"2h\"", "duration: \"400d\"", 1);
    let s = relaysim::scenario::parse(&src, "long.ron").expect("valid");
    let sim = relaysim::run(s, RunOptions::new(1).transcripts(false), Some(3 * HOUR));
    let err = Series::of(&sim, Some(Period::Hour)).expect_err("counted by day");
    assert!(err.to_string().contains("choose day, week or month"), "{err}");
    let daily = Series::of(&sim, Some(Period::Day)).expect("by day");
    assert_eq!(daily.total("spam").sent, Report::of(&sim).mail["spam"].counts.sent);
}
