//! Hosts that ignore errors (seed 003 §2.1, §3.4): spam software that
//! reconnects at once after every error, 5xx included, and a per-client
//! connection rate limit (Postfix anvil) that answers it before any
//! dialogue. The load on the MX with and without the rule, on
//! `scenarios/examples/ignoring-hosts.ron`.

mod common;

use relaysim::scenario::{self, Defense};
use relaysim::sim::{RunOptions, Simulation};
use relaysim::stats::Report;
use relaysim::units::SECOND;

const FILE: &str = "scenarios/examples/ignoring-hosts.ron";

fn run(rule: bool) -> (Simulation, Report) {
    let mut sim = Simulation::new(common::load(FILE), RunOptions::new(13).trace(true));
    assert_eq!(sim.defense_on("mx-co", Defense::ConnectionRateLimit), Some(true));
    sim.set_defense("mx-co", Defense::ConnectionRateLimit, rule).unwrap();
    sim.run_until(sim.scenario.duration.0);
    let r = Report::of(&sim);
    common::assert_conserved(&r);
    (sim, r)
}

/// SMTP replies the MX gave: the load of its dialogues.
fn replies_at(sim: &Simulation, node: &str) -> usize {
    let n = sim.index_of(node);
    sim.messages
        .iter()
        .flat_map(|m| m.hops.iter())
        .filter(|h| h.to == n)
        .map(|h| h.transcript().iter().filter(|l| l.who == 'S').count())
        .sum()
}

#[test]
fn a_host_that_ignores_a_550_reconnects_at_once_again_and_again() {
    let (sim, r) = run(false);
    let i = sim.scenario.traffic.iter().position(|s| s.id() == "spam-ignoring").unwrap();
    let m = sim.messages.iter().find(|m| m.source == Some(i)).unwrap();
    assert_eq!(m.hops.len(), 31, "the first attempt and 30 reconnects");
    assert!(m.hops.iter().all(|h| h.result.starts_with("550 5.1.1")), "refused for good every time");
    assert!(m.hops.windows(2).all(|w| w[1].started - w[0].ended == SECOND), "a second later each time");
    assert!(r.nodes["mx-co"].refused["user_unknown"] > 8000);
}

#[test]
fn the_rule_answers_it_before_any_dialogue_and_the_load_drops() {
    let (with_sim, with) = run(true);
    let (without_sim, without) = run(false);
    // The same mail is sent either way.
    for (id, c) in &with.sources {
        assert_eq!(c.sent, without.sources[id].sent, "{id}");
    }
    let mx_with = &with.nodes["mx-co"];
    let limited = mx_with.refused["too_many_connections"];
    assert!(limited > 5000, "{limited}");
    assert!(mx_with.refused["user_unknown"] * 3 < without.nodes["mx-co"].refused["user_unknown"]);
    // The load: dialogues and replies at the MX, and the whole run's events.
    let dialogues = |r: &Report| {
        r.nodes["mx-co"].sessions_in - r.nodes["mx-co"].refused.get("too_many_connections").copied().unwrap_or(0)
    };
    assert!(dialogues(&with) * 4 < dialogues(&without) * 3, "{} vs {}", dialogues(&with), dialogues(&without));
    assert!(replies_at(&with_sim, "mx-co") * 4 < replies_at(&without_sim, "mx-co") * 3);
    assert!(with.events < without.events);
    // The reply: Postfix's, before any dialogue.
    let refused = with_sim
        .messages
        .iter()
        .flat_map(|m| m.hops.iter())
        .find(|h| h.result.contains("too many connections"))
        .expect("a refused connection");
    assert_eq!(refused.result, "421 4.7.0 mx.company.example Error: too many connections from 10.5.200.9");
    assert!(!refused.transcript().iter().any(|l| l.text.starts_with("EHLO")), "no dialogue");
    // Honest senders: ISP A's relay is never limited; the busy provider is, a few times.
    assert_eq!(with.sources["customers-a"].delivered, with.sources["customers-a"].sent);
    assert!(with.nodes["bigmail"].deferred > 0 && without.nodes["bigmail"].deferred == 0);
    let json = serde_json::to_value(&with).unwrap();
    assert!(json["nodes"]["mx-co"]["refused"]["too_many_connections"].as_u64().unwrap() > 0);
}

#[test]
fn the_rule_is_checked_and_switched() {
    let src = std::fs::read_to_string(common::path(FILE)).unwrap();
    let bad = src.replace("connection_rate_limit: 10,", "connection_rate_limit: 0,");
    let e = scenario::parse(&bad, "b.ron").unwrap_err().to_string();
    assert!(e.contains("connection_rate_limit: 0 would refuse every connection"), "{e}");
    let line = bad.lines().position(|l| l.contains("connection_rate_limit: 0,")).unwrap() + 1;
    assert!(e.contains(&format!("b.ron:{line}:")), "{e}");
    let mut sim = Simulation::new(common::load(FILE), RunOptions::new(13));
    assert!(sim.set_defense("relay-a", Defense::ConnectionRateLimit, true).is_err(), "no limit in the file");
}
