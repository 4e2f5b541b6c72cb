//! Callback verification of senders (seed 003 §2.6): the MX asks the sender
//! domain's MX about the sender before it accepts. Its effect (made-up
//! forged senders refused), its limits (a real address passes) and its
//! costs (callbacks on innocent domains, a site that greylists delays its
//! own mail), on `scenarios/examples/callback.ron`.

mod common;

use relaysim::scenario::{self, Defense};
use relaysim::sim::{Fate, Message, RunOptions, Simulation};
use relaysim::stats::Report;
use relaysim::units::SECOND;

const FILE: &str = "scenarios/examples/callback.ron";

fn from_source<'a>(sim: &'a Simulation, id: &str) -> Vec<&'a Message> {
    let i = sim.scenario.traffic.iter().position(|s| s.id() == id).expect("source");
    sim.messages.iter().filter(|m| m.source == Some(i)).collect()
}

#[test]
fn made_up_senders_are_refused_after_a_callback_to_their_domain() {
    let (sim, r) = common::run_file(FILE, 17);
    common::assert_conserved(&r);
    let forged = &r.sources["spam-forged"];
    assert_eq!(forged.rejected, forged.sent, "{forged:?}");
    let m = from_source(&sim, "spam-forged")[0];
    let result = &m.hops[0].result;
    assert!(
        result.starts_with(&format!("550 5.1.7 <{}>: Sender address rejected: undeliverable address: host smtp.bigmail.example[198.18.1.25] said: 550 5.1.1 <{}>: Recipient address rejected: User unknown", m.mail_from, m.mail_from)),
        "{result}"
    );
    assert!(result.ends_with("(in reply to RCPT TO command)"), "{result}");
    // A real address passes: a callback checks that the sender exists, not who sent.
    assert_eq!(r.sources["spam-real-sender"].delivered, r.sources["spam-real-sender"].sent);
}

#[test]
fn callbacks_load_the_forged_domain_and_delay_a_site_that_greylists() {
    let (sim, r) = common::run_file(FILE, 17);
    // Every made-up sender is a callout to bigmail.example's MX, which never asked for it.
    let big = &r.nodes["bigmail"];
    assert!(big.callbacks_received * 100 >= r.sources["spam-forged"].sent * 99, "{big:?}");
    assert_eq!(big.sessions_in, big.callbacks_received, "all its incoming sessions are callbacks");
    assert_eq!(big.refused["user_unknown"], big.callbacks_received - 1, "one for hanako, the real address");
    // Deliverable senders are remembered (31 days): one callout per sender.
    assert!(r.nodes["relay-a"].callbacks_received <= r.sources["customers-a"].sent);
    assert!(r.nodes["mx-co"].callbacks_made < r.nodes["mx-co"].sessions_in);
    // greyco greylists the callback: its first mail waits out the delay, then
    // the positive result is cached and the rest pass at once.
    let grey = from_source(&sim, "greyco-users");
    let delays: Vec<u64> = grey
        .iter()
        .filter_map(|m| match m.fate {
            Fate::Delivered { at, .. } => Some(at - m.created),
            _ => None,
        })
        .collect();
    assert_eq!(delays.len(), grey.len());
    assert!(delays[0] >= 300 * SECOND, "{}", delays[0]);
    assert!(delays.iter().skip(1).all(|&d| d < 10 * SECOND));
    let first = grey[0];
    assert!(first.hops[0].result.starts_with("450 4.1.7 <ken@greyco.example>: Sender address rejected: unverified address: host mail.greyco.example[198.51.100.70] said: 450 4.7.1"), "{}", first.hops[0].result);
    assert_eq!(r.nodes["greyco"].callbacks_received, 2);
    let json = serde_json::to_value(&r).unwrap();
    assert!(json["nodes"]["mx-co"]["callbacks_made"].as_u64().unwrap() > 0);
    assert!(json["nodes"]["bigmail"]["callbacks_received"].as_u64().unwrap() > 0);
    assert!(json["nodes"]["mx-co"]["refused"]["unverified_sender"].as_u64().unwrap() > 0);
}

#[test]
fn switched_off_nobody_is_called_back() {
    let mut sim = Simulation::new(common::load(FILE), RunOptions::new(17));
    assert_eq!(sim.defense_on("mx-co", Defense::VerifySender), Some(true));
    sim.set_defense("mx-co", Defense::VerifySender, false).unwrap();
    sim.run_until(sim.scenario.duration.0);
    let r = Report::of(&sim);
    assert_eq!(r.sources["spam-forged"].delivered, r.sources["spam-forged"].sent);
    assert!(r.nodes["bigmail"].callbacks_received == 0 && r.nodes["bigmail"].sessions_in == 0);
}

#[test]
fn a_reply_code_that_does_not_refuse_is_an_error_at_its_place() {
    let src = std::fs::read_to_string(common::path(FILE)).unwrap();
    let bad = src.replace("SenderVerify(reject_code: 550)", "SenderVerify(reject_code: 250)");
    let e = scenario::parse(&bad, "b.ron").unwrap_err().to_string();
    assert!(e.contains("reject_code: 250 is not a 4xx or 5xx reply code"), "{e}");
    let line = bad.lines().position(|l| l.contains("reject_code: 250")).unwrap() + 1;
    assert!(e.contains(&format!("b.ron:{line}:")), "{e}");
}
