//! The generated benchmark world (src/perf/world.rs), scaled down: it runs to the end
//! and every message is accounted for. Speed is measured by `relaysim bench`,
//! never asserted here.

mod common;

use relaysim::perf;
use relaysim::sim::{Fate, RunOptions};
use relaysim::stats::Report;
use relaysim::units::HOUR;

fn small_world(hours: u64) -> relaysim::scenario::Scenario {
    let mut s = perf::internet(0.001);
    s.duration.0 = hours * HOUR;
    s
}

#[test]
fn a_scaled_down_benchmark_world_conserves_every_message() {
    let sim = relaysim::run(small_world(3), RunOptions::new(7).transcripts(false), None);
    let r = Report::of(&sim);
    common::assert_conserved(&r);
    for class in ["legit", "spam"] {
        let c = &r.mail[class].counts;
        assert!(c.sent > 100, "{class}: the world sends mail ({c:?})");
        assert_eq!(c.sent, c.delivered + c.rejected + c.lost + c.queued, "{class}");
    }
    // The defenses do something: spam is refused or lost, legit mostly arrives.
    assert!(r.mail["spam"].counts.rejected + r.mail["spam"].counts.lost > 0);
    assert!(r.mail["legit"].counts.delivered * 10 > r.mail["legit"].counts.sent * 8);
    // The running count of messages on their way agrees with their fates.
    let queued = sim.messages.iter().filter(|m| matches!(m.fate, Fate::Queued)).count() as u64;
    assert_eq!(sim.in_flight(), queued);
}

#[test]
fn transcripts_change_no_count() {
    // Without transcripts the core skips dialogue, trace headers and content;
    // the numbers must be exactly the same.
    let run = |transcripts| {
        let sim = relaysim::run(small_world(2), RunOptions::new(3).transcripts(transcripts), None);
        serde_json::to_string(&Report::of(&sim)).unwrap()
    };
    assert_eq!(run(true), run(false));
}

#[test]
fn the_committed_small_world_is_the_generator_output() {
    // `relaysim generate-bench --scale 0.01 --out scenarios/bench/internet-small.ron`
    let file = std::fs::read_to_string(common::path("scenarios/bench/internet-small.ron")).unwrap();
    let body = file.lines().skip_while(|l| l.starts_with("//")).collect::<Vec<_>>().join("\n");
    let generated = relaysim::scenario::to_ron(&perf::internet(0.01)).unwrap();
    assert_eq!(body.trim_end(), generated.trim_end(), "regenerate scenarios/bench/internet-small.ron");
    common::load("scenarios/bench/internet-small.ron");
}

#[test]
fn running_in_slices_for_a_progress_bar_changes_nothing() {
    let opts = RunOptions::new(5).transcripts(false);
    let whole = relaysim::run(small_world(2), opts, None);
    let sliced = perf::run_with_progress(small_world(2), opts, None, false);
    assert_eq!(whole.events(), sliced.events());
    assert_eq!(
        serde_json::to_string(&Report::of(&whole)).unwrap(),
        serde_json::to_string(&Report::of(&sliced)).unwrap()
    );
}

#[test]
fn finished_messages_reduced_to_hop_facts_report_what_full_messages_report() {
    // A plain statistical run drops a finished message's hops and keeps only
    // the facts the reports read (open relay, ISP relay, direct to MX, SMTP
    // attempts). Eras with open relays, POP-before-SMTP and OP25B exercise
    // every fact; a run with transcripts keeps the hops and works the facts
    // out from them. Both must give the same report and the same metrics.
    for file in [
        "scenarios/history/01-open-relay.ron",
        "scenarios/history/03-pop-before-smtp.ron",
        "scenarios/history/05-op25b-submission.ron",
    ] {
        let s = common::load(file);
        let run = |transcripts| {
            let sim = relaysim::run(s.clone(), RunOptions::new(11).transcripts(transcripts), None);
            assert_eq!(sim.messages.iter().any(|m| m.facts.is_some()), !transcripts, "{file}");
            (serde_json::to_string(&Report::of(&sim)).unwrap(), relaysim::stats::metrics::of(&sim))
        };
        let (full, compact) = (run(true), run(false));
        assert_eq!(full.0, compact.0, "{file}: report");
        assert_eq!(full.1, compact.1, "{file}: metrics");
        assert!(full.1["spam_via_open_relay"] > 0.0 || !file.contains("01-"), "era 1 has open-relay spam");
    }
}
