//! The scenario's timeline: dated changes applied by every way of running a
//! file, checked with positions, and never shifting a source's random stream.

mod common;

use relaysim::scenario::{self, Defense};
use relaysim::sim::{Fate, MailClass, RunOptions, Simulation};
use relaysim::stats::Report;
use relaysim::units::HOUR;

const ERA4: &str = "scenarios/history/04-smtp-auth.ron";

/// Era 4's text with `entries` as its timeline.
fn era4_with(entries: &str) -> String {
    let src = std::fs::read_to_string(common::path(ERA4)).expect("era 4 is readable");
    let at = src.find("\nScenario(").expect("era 4 starts with `Scenario(`") + "\nScenario(".len();
    format!("{}\n    timeline: [{entries}],{}", &src[..at], &src[at..])
}

fn sim_of(src: &str, seed: u64) -> Simulation {
    let s = scenario::parse(src, "era4.ron").unwrap_or_else(|e| panic!("should load:\n{e}"));
    Simulation::new(s, RunOptions::new(seed).transcripts(false).keep_messages(true))
}

fn run(src: &str, seed: u64) -> Simulation {
    let mut sim = sim_of(src, seed);
    let end = sim.scenario.duration.0;
    sim.run_until(end);
    sim
}

/// Spam of `origin` created after `from` (ms) that its origin handed straight to the MX.
fn direct_delivered_after(sim: &Simulation, origin: &str, from: u64) -> usize {
    sim.messages
        .iter()
        .filter(|m| m.class == MailClass::Spam && sim.nodes[m.origin].id == origin && m.created > from)
        .filter(|m| matches!(m.fate, Fate::Delivered { .. }) && sim.hop_facts(m).direct_from_origin)
        .count()
}

fn created_after(sim: &Simulation, source: &str, from: u64, to: u64) -> usize {
    let k = sim.scenario.traffic.iter().position(|s| s.id() == source).expect("source exists");
    sim.messages.iter().filter(|m| m.source == Some(k) && m.created >= from && m.created < to).count()
}

fn problems(src: &str) -> Vec<String> {
    match scenario::parse(src, "era4.ron") {
        Ok(_) => vec![],
        Err(e) => e.problems().iter().map(|p| p.to_string()).collect(),
    }
}

#[test]
fn op25b_switched_on_at_an_isp_stops_its_direct_spam_from_then_on() {
    let base = run(&era4_with(""), 1);
    let dated = run(&era4_with(r#"(at: "12h", change: Switch(nodes: Isp("isp-a"), defense: Op25b, on: true))"#), 1);
    // Mail written a minute after the switch no longer reaches an MX straight from ISP A.
    let after = 12 * HOUR + 60_000;
    assert!(direct_delivered_after(&base, "pop-a", after) > 0, "without the entry, ISP A's bots go direct");
    assert_eq!(direct_delivered_after(&dated, "pop-a", after), 0, "OP25B at ISP A from 12h");
    assert!(direct_delivered_after(&dated, "pop-b", after) > 0, "ISP B did not block");
    assert_eq!(dated.defense_on("router-a", Defense::Op25b), Some(true));
    assert_eq!(dated.defense_on("router-b", Defense::Op25b), Some(false));
    assert_eq!(dated.timeline_applied.len(), 1);
    assert_eq!(dated.timeline_applied[0].at, 12 * HOUR);
    assert_eq!(dated.timeline_applied[0].error, None);
}

#[test]
fn a_date_and_the_same_duration_are_the_same_entry() {
    // Era 4 starts 2003-09-01T09:00:00Z.
    let by_date = run(&era4_with(r#"(at: "2003-09-01T21:00:00Z", change: CloseRelay("relay-univ"))"#), 3);
    let by_span = run(&era4_with(r#"(at: "12h", change: CloseRelay("relay-univ"))"#), 3);
    assert_eq!(Report::of(&by_date), Report::of(&by_span));
    assert_eq!(by_date.defense_on("relay-univ", Defense::RelayRestriction), Some(true));
    let bare_day = run(&era4_with(r#"(at: "2003-09-02", change: CloseRelay("relay-univ"))"#), 3);
    assert_eq!(bare_day.timeline_applied[0].at, 15 * HOUR, "a bare date is midnight UTC");
}

/// Common random numbers: a file and its variant with one more (late) entry
/// are identical up to that entry's time, so `compare` stays paired.
#[test]
fn one_more_late_entry_changes_nothing_before_its_time() {
    let entries = [
        r#"(at: "18h", change: Switch(nodes: Kind("Router"), defense: Op25b, on: true))"#,
        r#"(at: "18h", change: Traffic(source: "spam-direct", set: Rate("1000/h")))"#,
        r#"(at: "18h", change: Clean(nodes: Isp("isp-a"), hosts: Share(0.5)))"#,
        r#"(at: "18h", change: Infect(nodes: Node("pop-c"), hosts: Count(40)))"#,
    ];
    let early = r#"(at: "6h", change: CloseRelay("relay-univ")),"#;
    for extra in entries {
        for seed in [1, 2] {
            let mut a = sim_of(&era4_with(early), seed);
            let mut b = sim_of(&era4_with(&format!("{early} {extra}")), seed);
            let before = 18 * HOUR - 1;
            a.run_until(before);
            b.run_until(before);
            assert_eq!(Report::of(&a), Report::of(&b), "{extra}, seed {seed}: identical before 18h");
            assert_eq!(a.messages.len(), b.messages.len());
            let end = a.scenario.duration.0;
            a.run_until(end);
            b.run_until(end);
            assert_ne!(Report::of(&a), Report::of(&b), "{extra}: the entry changes what comes after it");
        }
    }
}

#[test]
fn a_campaign_stops_starts_again_and_changes_rate() {
    let sim = run(
        &era4_with(
            r#"(at: "4h", change: Traffic(source: "spam-direct", set: Stop)),
               (at: "8h", change: Traffic(source: "spam-direct", set: Start)),
               (at: "12h", change: Traffic(source: "spam-direct", set: Rate("1000/h"))),
               (at: "13h", change: Traffic(source: "spam-direct", set: Start))"#,
        ),
        1,
    );
    let n = |from: u64, to: u64| created_after(&sim, "spam-direct", from * HOUR, to * HOUR);
    assert!(n(0, 4) > 200, "100/h before the stop: {}", n(0, 4));
    assert_eq!(n(4, 8), 0, "stopped from 4h to 8h");
    assert!((250..=560).contains(&n(8, 12)), "100/h again: {}", n(8, 12));
    // 1000/h from 12h; a `Start` while it sends changes nothing.
    assert!((3500..=4500).contains(&n(12, 16)), "1000/h: {}", n(12, 16));
}

#[test]
fn cleaned_populations_send_no_spam_and_infected_ones_do() {
    let sim = run(
        &era4_with(
            r#"(at: "6h", change: Clean(nodes: Node("pop-c"), hosts: Share(1.0))),
               (at: "12h", change: Infect(nodes: Isp("isp-c"), hosts: Count(5)))"#,
        ),
        1,
    );
    let from_c = |from: u64, to: u64| {
        sim.messages
            .iter()
            .filter(|m| m.class == MailClass::Spam && sim.nodes[m.origin].id == "pop-c")
            .filter(|m| m.created >= from * HOUR && m.created < to * HOUR)
            .collect::<Vec<_>>()
    };
    assert!(!from_c(0, 6).is_empty());
    assert!(from_c(6, 12).is_empty(), "every infected host of ISP C cleaned at 6h");
    let later = from_c(12, 24);
    assert!(!later.is_empty(), "5 hosts infected at 12h send again");
    let hosts: std::collections::BTreeSet<u32> = later.iter().map(|m| m.origin_host).collect();
    assert!(hosts.len() <= 5, "only the 5 newly infected hosts send: {hosts:?}");
    let c = sim.index_of("pop-c");
    assert_eq!(sim.nodes[c].infected.len(), 5);
}

#[test]
fn settings_and_published_records_change_with_the_timeline() {
    let sim = run(
        &era4_with(
            r#"(at: "1h", change: Set(nodes: Kind("Mx"), setting: Greylist(delay: "10m"))),
               (at: "2h", change: Publish(domain: "isp-a.example", txt: ["v=spf1 ip4:192.0.2.0/26 -all"])),
               (at: "3h", change: Switch(nodes: Node("mx-co"), defense: Spf, on: true))"#,
        ),
        1,
    );
    assert_eq!(sim.defense_on("mx-co", Defense::Greylist), Some(true));
    assert_eq!(sim.defense_on("mx-co", Defense::Spf), Some(true));
    let mx = &sim.nodes[sim.index_of("mx-co")];
    let g = mx.kind.mail_server().and_then(|m| m.greylist.as_ref()).expect("greylisting on");
    assert_eq!(g.delay.0, 600_000);
    assert!(sim.nodes[sim.index_of("mx-co")].counters.greylisted > 0, "greylisting at work");
    assert_eq!(sim.timeline_applied.iter().filter(|a| a.error.is_some()).count(), 0);
}

#[test]
fn check_explains_every_mistake_in_a_timeline_with_its_position() {
    let cases: [(&str, &str); 12] = [
        (r#"(at: "2d", change: CloseRelay("relay-univ"))"#, "not before the end of the run (1d)"),
        (r#"(at: "2003-08-01", change: CloseRelay("relay-univ"))"#, "before the scenario's start"),
        (
            r#"(at: "2003-09-03", change: CloseRelay("relay-univ"))"#,
            "not before the end of the run (2003-09-02T09:00:00Z",
        ),
        (r#"(at: "soon", change: CloseRelay("relay-univ"))"#, "neither a duration"),
        (r#"(at: "1h", change: CloseRelay("relay-x"))"#, "unknown node `relay-x`"),
        (r#"(at: "1h", change: CloseRelay("pop-a"))"#, "cannot take this change: it needs a mail server"),
        (r#"(at: "1h", change: Switch(nodes: Node("mx-co"), defense: Op25b, on: true))"#, "it needs a Router"),
        (
            r#"(at: "1h", change: Switch(nodes: Node("relay-a"), defense: PopBeforeSmtp, on: true))"#,
            "`pop_before_smtp` settings",
        ),
        (r#"(at: "1h", change: Switch(nodes: Isp("isp-z"), defense: Op25b, on: true))"#, "unknown ISP `isp-z`"),
        (r#"(at: "1h", change: Switch(nodes: Kind("Bridge"), defense: Spf, on: true))"#, "kind `Bridge`"),
        (r#"(at: "1h", change: Traffic(source: "spam-x", set: Stop))"#, "unknown traffic source `spam-x`"),
        (r#"(at: "1h", change: Infect(nodes: Node("pop-a"), hosts: Share(1.5)))"#, "not between 0.0 and 1.0"),
    ];
    for (entry, expected) in cases {
        let src = era4_with(entry);
        let line = src.lines().position(|l| l.contains("timeline: [")).expect("timeline line") + 1;
        let found = problems(&src);
        assert_eq!(found.len(), 1, "{entry}: one problem, got {found:?}");
        assert!(found[0].contains(expected), "{entry}: expected `{expected}` in {}", found[0]);
        assert!(
            found[0].starts_with(&format!("era4.ron:{line}:")),
            "{entry}: reported on the entry's line {line}: {}",
            found[0]
        );
    }
}

#[test]
fn a_population_infected_only_later_may_be_a_campaign_sender() {
    let src = era4_with(r#"(at: "1h", change: Infect(nodes: Node("pop-dial"), hosts: Count(3)))"#)
        .replace("count: 100, infected: 0.01,", "count: 100, infected: 0.0,");
    assert!(problems(&src).is_empty(), "{:?}", problems(&src));
}

/// `run`, `run --narrate` and the library apply the same timeline.
#[cfg(feature = "cli")]
#[test]
fn run_and_narrated_run_apply_the_timeline_alike() {
    let dir = std::env::temp_dir().join(format!("relaysim-timeline-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("era4-timeline.ron");
    let src = era4_with(r#"(at: "2h", change: Traffic(source: "spam-direct", set: Stop))"#);
    std::fs::write(&file, &src).expect("write");
    let cli = |extra: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_relaysim"))
            .args(["run", file.to_str().expect("utf-8 path"), "--format", "json"])
            .args(extra)
            .output()
            .expect("the binary runs");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice::<serde_json::Value>(&out.stdout).expect("JSON")
    };
    let plain = cli(&[]);
    let narrated = cli(&["--narrate"]);
    assert_eq!(plain["sources"], narrated["sources"]);
    let lib = Report::of(&run(&src, 1));
    let sent = plain["sources"]["spam-direct"]["sent"].as_u64().expect("a count");
    assert_eq!(sent, lib.sources["spam-direct"].sent);
    assert!(sent < 300, "stopped after 2h at 100/h: {sent}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_rate_raised_by_the_timeline_counts_in_the_limits_on_work() {
    let src = era4_with(r#"(at: "1h", change: Traffic(source: "spam-direct", set: Rate("100000000/h")))"#);
    let found = problems(&src);
    assert!(found.iter().any(|p| p.contains("more than the limit")), "{found:?}");
}
