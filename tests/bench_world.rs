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
fn folded_messages_report_what_kept_messages_report() {
    // A plain statistical run folds each message into its counts when it
    // ends (its hops reduced to the facts the reports read: open relay, ISP
    // relay, direct to MX, SMTP attempts) and reuses its storage. A run
    // that keeps its messages counts them all at the end, from their hops.
    // Eras with open relays, POP-before-SMTP and OP25B exercise every fact;
    // within the exact limit both give the same report and metrics, byte
    // for byte.
    for file in [
        "scenarios/history/01-open-relay.ron",
        "scenarios/history/03-pop-before-smtp.ron",
        "scenarios/history/05-op25b-submission.ron",
    ] {
        let s = common::load(file);
        let run = |keep| {
            let sim = relaysim::run(s.clone(), RunOptions::new(11).transcripts(false).keep_messages(keep), None);
            assert_eq!(sim.keeps_messages(), keep);
            if !keep {
                assert!((sim.messages.len() as u64) < sim.messages_created() / 4, "{file}: slots are reused");
            }
            (serde_json::to_string(&Report::of(&sim)).unwrap(), relaysim::stats::metrics::of(&sim))
        };
        let (full, folded) = (run(true), run(false));
        assert_eq!(full.0, folded.0, "{file}: report");
        assert_eq!(full.1, folded.1, "{file}: metrics");
        assert!(full.1["spam_via_open_relay"] > 0.0 || !file.contains("01-"), "era 1 has open-relay spam");
    }
}

#[test]
fn a_folding_run_holds_the_messages_in_flight_not_the_messages_sent() {
    // Memory flat in simulated time: four times the hours send about four
    // times the mail, but the store only ever grows to the most messages
    // on their way at once (its slots are reused).
    let run = |hours| relaysim::run(small_world(hours), RunOptions::new(2).transcripts(false), None);
    let (short, long) = (run(1), run(4));
    assert!(long.messages_created() > 3 * short.messages_created(), "the longer run sends more");
    assert!(
        long.messages.len() < short.messages.len() * 2,
        "slots: {} after 1 h, {} after 4 h",
        short.messages.len(),
        long.messages.len()
    );
    assert!((long.messages.len() as u64) < long.messages_created() / 10);
}

#[test]
fn delay_quantiles_from_the_histogram_stay_within_its_bound_on_every_era() {
    // With no exact delays at all, a folding run reads its quantiles from
    // the HDR histogram: never below the exact nearest-rank value and at
    // most 0.1% above it (book: Performance). Every count is unchanged.
    let within = |exact: f64, hist: f64, what: &str| {
        assert!(hist >= exact && hist <= exact * 1.001 + 1e-9, "{what}: exact {exact}, histogram {hist}");
    };
    for k in 1..=7 {
        let file = std::fs::read_dir(common::path("scenarios/history"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.file_name().unwrap().to_string_lossy().starts_with(&format!("0{k}-")))
            .unwrap_or_else(|| panic!("era {k} is in scenarios/history"));
        let s = relaysim::scenario::load(&file).unwrap();
        let exact = Report::of(&relaysim::run(s.clone(), RunOptions::new(3).keep_messages(true), None));
        let hist = Report::of(&relaysim::run(
            s,
            RunOptions::new(3).transcripts(false).keep_messages(false).exact_delays(0),
            None,
        ));
        let name = file.display();
        for (c, e) in &exact.mail {
            let h = &hist.mail[c];
            assert_eq!((&e.counts, e.via_open_relay, e.via_isp_relay), (&h.counts, h.via_open_relay, h.via_isp_relay));
            within(e.delay_s.median, h.delay_s.median, &format!("{name} {c} median"));
            within(e.delay_s.p95, h.delay_s.p95, &format!("{name} {c} p95"));
            assert_eq!(e.delay_s.max, h.delay_s.max, "{name} {c} max");
        }
        for (src, e) in &exact.source_delay_s {
            within(e.median, hist.source_delay_s[src].median, &format!("{name} {src} median"));
        }
        assert_eq!(
            (&exact.sources, &exact.spam_origins, &exact.nodes),
            (&hist.sources, &hist.spam_origins, &hist.nodes)
        );
    }
}
