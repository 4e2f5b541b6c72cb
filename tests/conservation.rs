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

#[test]
fn every_shipped_scenario_conserves_messages() {
    for f in [
        "scenarios/history/01-open-relay.ron",
        "scenarios/history/02-relay-restriction.ron",
        "scenarios/examples/relay-chain.ron",
        "scenarios/examples/backscatter.ron",
        "scenarios/examples/mx-outage.ron",
        "scenarios/examples/greylisting-edge-cases.ron",
        "scenarios/history/03-pop-before-smtp.ron",
        "scenarios/history/05-op25b-submission.ron",
        "scenarios/history/07-greylisting.ron",
    ] {
        let (_, r) = common::run_file(f, 11);
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
        let sim = relaysim::run(s, RunOptions { seed, transcripts: Some(false), trace: false }, Some(hours * HOUR - 1234));
        let r = Report::of(&sim);
        for c in r.mail.values() {
            prop_assert!(c.counts.balanced());
        }
        for c in r.sources.values() {
            prop_assert!(c.balanced());
        }
    }
}
