//! Every message injected ends in exactly one state, whatever the seed.

mod common;

use proptest::prelude::*;
use relaysim::scenario::Scenario;
use relaysim::sim::RunOptions;
use relaysim::stats::Report;
use relaysim::units::HOUR;

fn short(mut s: Scenario, hours: u64) -> Scenario {
    s.duration.0 = hours * HOUR;
    s
}

/// Every scenario file shipped in `scenarios/history` and `scenarios/examples`
/// (the folders are walked, so a new file is covered without editing this).
fn shipped_scenarios() -> Vec<String> {
    let mut files = Vec::new();
    for dir in ["scenarios/history", "scenarios/examples"] {
        for e in std::fs::read_dir(common::path(dir)).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "ron") {
                files.push(format!("{dir}/{}", p.file_name().unwrap().to_string_lossy()));
            }
        }
    }
    files.sort();
    files
}

#[test]
fn every_shipped_scenario_conserves_messages() {
    let files = shipped_scenarios();
    assert!(files.len() >= 11, "the lessons and examples are missing: {files:?}");
    for f in &files {
        let f = f.as_str();
        // A run of years (era 8) is checked over its first 400 days here;
        // tests/arms_race.rs checks the whole of it.
        let s = common::load(f);
        let s = if s.duration.0 > 400 * 24 * HOUR { short(s, 400 * 24) } else { s };
        let r = Report::of(&common::run(s, 11));
        common::assert_conserved(&r);
        let total: u64 = r.mail.values().map(|c| c.counts.sent).sum();
        let by_source: u64 = r.sources.values().map(|c| c.sent).sum();
        let bounces = r.mail["bounce"].counts.sent + r.mail["backscatter"].counts.sent;
        assert_eq!(total, by_source + bounces, "{f}: every message has a source or is a bounce");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    #[test]
    fn conservation_holds_for_any_seed_and_end_time(seed in any::<u64>(), hours in 1u64..5, era2 in any::<bool>()) {
        let f = if era2 { "scenarios/history/02-relay-restriction.ron" } else { "scenarios/history/01-open-relay.ron" };
        let s = short(common::load(f), hours);
        // Stop mid-flight (not on a round time) so that sessions are cut off.
        let sim = relaysim::run(s, RunOptions::new(seed).transcripts(false), Some(hours * HOUR - 1234));
        let r = Report::of(&sim);
        for c in r.mail.values() {
            prop_assert!(c.counts.balanced());
        }
        for c in r.sources.values() {
            prop_assert!(c.balanced());
        }
    }
}
