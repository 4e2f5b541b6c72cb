//! Throttling instead of temporary errors (seed 003 §3.2): a tarpit slows
//! the replies to unknown clients; spam software with a short reply timeout
//! gives up, patient MTAs deliver and are known from then on. On
//! `scenarios/examples/tarpit.ron`.

mod common;

use relaysim::scenario::{self, Defense};
use relaysim::sim::{Fate, Message, RunOptions, Simulation};
use relaysim::stats::Report;
use relaysim::units::SECOND;

const FILE: &str = "scenarios/examples/tarpit.ron";

fn from_source<'a>(sim: &'a Simulation, id: &str) -> Vec<&'a Message> {
    let i = sim.scenario.traffic.iter().position(|s| s.id() == id).expect("source");
    sim.messages.iter().filter(|m| m.source == Some(i)).collect()
}

fn delay(m: &Message) -> Option<u64> {
    match m.fate {
        Fate::Delivered { at, .. } => Some(at - m.created),
        _ => None,
    }
}

#[test]
fn spam_software_with_a_short_timeout_gives_up_before_the_greeting() {
    let (sim, r) = common::run_file(FILE, 11);
    common::assert_conserved(&r);
    let impatient = &r.sources["spam-impatient"];
    assert!(impatient.sent > 1000);
    assert_eq!(impatient.lost, impatient.sent, "{impatient:?}");
    let m = from_source(&sim, "spam-impatient")[0];
    let lines: Vec<String> = m.hops[0].transcript().iter().map(|l| format!("{} {}", l.who, l.text)).collect();
    assert!(
        lines.iter().any(|l| l.contains("no reply from 203.0.113.10 within 10s: conversation timed out")),
        "{lines:#?}"
    );
    assert!(!lines.iter().any(|l| l.starts_with("S 220")), "it hung up before the greeting: {lines:#?}");
    assert!(m.hops[0].result.contains("conversation timed out after 10s"));
    // Nothing was refused: the server only held its replies back.
    let mx = &r.nodes["mx-co"];
    assert!(mx.refused.is_empty(), "{:?}", mx.refused);
    assert!(mx.tarpit_abandoned >= impatient.sent);
    assert!(mx.tarpit_seconds >= 10 * mx.tarpit_abandoned, "the server held each session open");
}

#[test]
fn a_patient_mta_waits_once_then_is_answered_at_once() {
    let (sim, r) = common::run_file(FILE, 11);
    let a: Vec<u64> = from_source(&sim, "customers-a").iter().filter_map(|m| delay(m)).collect();
    assert_eq!(a.len() as u64, r.sources["customers-a"].sent, "every mail arrives");
    // Greeting, EHLO, MAIL, RCPT, DATA and the end of data: six replies 30 s late.
    assert!(a[0] >= 180 * SECOND && a[0] < 181 * SECOND, "{}", a[0]);
    let slow = a.iter().filter(|&&d| d >= 30 * SECOND).count();
    assert!(slow < 10, "only the mails sent during the first delivery wait: {slow}");
    // A server that never retries loses nothing: nobody is refused.
    assert_eq!(r.sources["shop-orders"].delivered, r.sources["shop-orders"].sent);
    // The cost: spam software that waits like an MTA gets through too.
    assert_eq!(r.sources["spam-patient"].delivered, r.sources["spam-patient"].sent);
    let json = serde_json::to_value(&r).unwrap();
    for key in ["tarpitted", "tarpit_seconds", "tarpit_abandoned"] {
        assert!(json["nodes"]["mx-co"][key].as_u64().unwrap() > 0, "{key}");
    }
    assert!(json["nodes"]["relay-a"].get("timeouts").is_none(), "Postfix never timed out");
}

#[test]
fn switched_off_everyone_is_answered_at_once() {
    let mut sim = Simulation::new(common::load(FILE), RunOptions::new(11));
    assert_eq!(sim.defense_on("mx-co", Defense::Tarpit), Some(true));
    sim.set_defense("mx-co", Defense::Tarpit, false).unwrap();
    sim.run_until(sim.scenario.duration.0);
    let r = Report::of(&sim);
    assert_eq!(r.sources["spam-impatient"].delivered, r.sources["spam-impatient"].sent);
    assert!(r.source_delay_s["customers-a"].max < 1.0);
    // And on with the defaults where the file has none.
    let mut sim = Simulation::new(common::load(FILE), RunOptions::new(11));
    sim.set_defense("relay-a", Defense::Tarpit, true).unwrap();
    assert_eq!(sim.defense_on("relay-a", Defense::Tarpit), Some(true));
}

#[test]
fn tarpit_settings_are_checked_where_they_are_written() {
    let src = std::fs::read_to_string(common::path(FILE)).unwrap();
    let bad = src
        .replace(r#"tarpit: Tarpit(delay: "30s")"#, r#"tarpit: Tarpit(delay: "0s")"#)
        .replace(r#"reply_timeout: "10s","#, r#"reply_timeout: "0s","#);
    let e = scenario::parse(&bad, "b.ron").unwrap_err().to_string();
    assert!(e.contains("delay: 0s would slow nobody"), "{e}");
    assert!(e.contains("reply_timeout: 0s would give up before any reply"), "{e}");
    let line = bad.lines().position(|l| l.contains(r#"Tarpit(delay: "0s")"#)).unwrap() + 1;
    assert!(e.contains(&format!("b.ron:{line}:")), "{e}");
}
