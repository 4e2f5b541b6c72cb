//! Behaviour of deliveries: relaying, refusals, retries, bounces, routers.

mod common;

use common::*;
use relaysim::sim::{Fate, MailClass, MsgId};

fn fate(sim: &relaysim::sim::Simulation, id: u32) -> &Fate {
    &sim.messages[id as usize].fate
}

#[test]
fn a_relayed_mail_reaches_the_mailbox_with_one_received_header_per_hop() {
    let (sim, r) = run_file("scenarios/examples/relay-chain.ron", 0);
    assert!(matches!(fate(&sim, 0), Fate::Delivered { .. }));
    let m = &sim.messages[0];
    let received: Vec<&String> = m.headers().iter().filter(|h| h.starts_with("Received:")).collect();
    assert_eq!(received.len(), 3, "B, C and D each add one");
    // Newest first: D's line on top, B's at the bottom (RFC 5321 §4.4).
    assert!(received[0].contains("by mbox.company.example"));
    assert!(received[2].contains("from alice-pc (unknown [10.1.0.25])"));
    assert!(m.headers()[0].starts_with("Return-Path: <alice@isp-a.example>"));
    assert_eq!(r.nodes["relay-a"].relayed, 1);
    assert_eq!(r.nodes["mbox-co"].delivered, 1);
}

#[test]
fn mynetworks_refuses_to_relay_for_a_roaming_user_but_accepts_local_mail() {
    let traffic = r#"
        Once(id: "home", from: "alice", to: "bob@company.example", at: "1m"),
        Once(id: "roaming", from: "ken", to: "bob@company.example", at: "2m"),
        Once(id: "to-local", from: "ken", to: "alice@isp-a.example", at: "3m"),"#;
    let sim = run(parse(&small_world("IspNetworks", "", "", traffic)), 0);
    assert!(matches!(fate(&sim, 0), Fate::Delivered { .. }), "a customer inside the ISP relays");
    match fate(&sim, 1) {
        Fate::Rejected { reason, .. } => assert_eq!(&**reason, "554 5.7.1 <bob@company.example>: Relay access denied"),
        f => panic!("roaming mail should be refused, got {f:?}"),
    }
    assert!(matches!(fate(&sim, 2), Fate::Delivered { .. }), "mail *for* the ISP's own domain is accepted from anyone");
    let relay = &sim.nodes[sim.index_of("relay-a")].counters;
    assert_eq!(relay.refused.get("relay_denied"), Some(&1));
    // The refusal is visible in the transcript.
    let t = &sim.messages[1].hops[0].transcript;
    assert!(t.iter().any(|l| l.who == 'S' && l.text.contains("Relay access denied")));
}

#[test]
fn a_temporary_failure_is_retried_on_the_postfix_schedule() {
    let (sim, r) = run_file("scenarios/examples/mx-outage.ron", 0);
    let m = &sim.messages[0];
    let Fate::Delivered { at, .. } = m.fate else { panic!("should arrive after the outage: {:?}", m.fate) };
    // Attempts by the relay at +0, +5m, +10m, +20m fail with 421 (the MX is
    // down until 40m); the one 40 minutes later (at ~1h16m) succeeds.
    let relay_hops: Vec<_> = m.hops.iter().filter(|h| h.from == sim.index_of("relay-a")).collect();
    assert_eq!(relay_hops.len(), 5);
    assert!(relay_hops[..4].iter().all(|h| h.result.starts_with("421 4.3.2")));
    let gaps: Vec<u64> = relay_hops.windows(2).map(|w| (w[1].started - w[0].started) / 60_000).collect();
    assert_eq!(gaps, vec![5, 10, 20, 40], "minimal_backoff_time 300 s, doubling");
    assert!(at > 40 * 60_000);
    assert_eq!(r.nodes["relay-a"].deferred, 4);
    assert_eq!(r.mail["legit"].counts.lost, 0);
}

#[test]
fn a_permanent_failure_after_acceptance_bounces_to_the_envelope_sender() {
    let (sim, r) = run_file("scenarios/examples/mx-outage.ron", 0);
    // Message 1 went to a user that does not exist at the company.
    assert!(matches!(fate(&sim, 1), Fate::Rejected { .. }));
    let bounce = sim.messages.iter().find(|m| m.bounce_of == Some(MsgId(1))).expect("a bounce");
    assert_eq!(&*bounce.mail_from, "", "bounces use the null reverse-path (RFC 5321 §4.5.5)");
    assert_eq!(&*bounce.rcpt, "alice@isp-a.example");
    assert_eq!(bounce.class, MailClass::Bounce, "alice really sent it: not backscatter");
    assert!(matches!(bounce.fate, Fate::Delivered { .. }));
    assert_eq!(r.nodes["relay-a"].bounces_sent, 1);
}

#[test]
fn bounces_to_forged_senders_are_backscatter() {
    let (sim, r) = run_file("scenarios/examples/backscatter.ron", 3);
    let spam = &r.mail["spam"].counts;
    let back = &r.mail["backscatter"].counts;
    assert!(spam.sent > 20);
    assert!(back.sent > 0 && back.sent == spam.rejected, "every spam to an unknown user is bounced");
    assert_eq!(back.delivered, back.sent, "Tanaka's mailbox receives them all");
    assert!(
        sim.messages.iter().filter(|m| m.class == MailClass::Backscatter).all(|m| &*m.rcpt == "tanaka@isp-b.example")
    );
    // With recipient verification at the MX the spam is refused at RCPT time: no backscatter.
    let mut s = load("scenarios/examples/backscatter.ron");
    for n in &mut s.nodes {
        if let relaysim::scenario::NodeKind::Mx(m) = &mut n.kind {
            m.verify_recipients = true;
        }
    }
    let r2 = relaysim::stats::Report::of(&run(s, 3));
    assert_eq!(r2.mail["backscatter"].counts.sent, 0);
    assert_eq!(r2.mail["spam"].counts.sent, spam.sent, "same traffic whatever the defense");
    assert_eq!(r2.nodes["mx-co"].refused.get("user_unknown"), Some(&spam.rejected));
}

#[test]
fn a_router_can_drop_connections_and_a_no_retry_bot_delivers_nothing() {
    let filter = r#"Block(port: 25, from: ["10.1.0.0/16"], unless_to: ["192.0.2.0/26"])"#;
    let traffic = r#"
        Spam(id: "direct", senders: ["bot"], rate: "20/h", strategy: DirectToMx,
             forged_from: ["x@isp-a.example"], to: ["bob@company.example"]),
        Once(id: "alice", from: "alice", to: "bob@company.example", at: "1m"),"#;
    let sim = run(parse(&small_world("IspNetworks", filter, "", traffic)), 5);
    let r = relaysim::stats::Report::of(&sim);
    let spam = &r.sources["direct"];
    assert!(spam.sent > 50);
    assert_eq!(spam.delivered, 0);
    assert_eq!(spam.rejected, spam.sent, "blocked on the way");
    assert_eq!(r.nodes["edge-a"].dropped, spam.sent);
    assert_eq!(r.nodes["mx-co"].sessions_in, 1, "only Alice's mail, through her ISP's relay");
    assert_eq!(r.sources["alice"].delivered, 1, "the ISP's own relay stays reachable");
    let hop = &sim.messages.iter().find(|m| m.class == MailClass::Spam).unwrap().hops[0];
    assert!(hop.transcript.iter().any(|l| l.text.contains("dropped by router edge-a")));
}

#[test]
fn spam_software_retries_as_configured() {
    let traffic = |retry: &str| {
        format!(
            r#"Spam(id: "s", senders: ["bot"], rate: "6/h", strategy: DirectToMx, retry: {retry},
                   forged_from: ["x@isp-a.example"], to: ["bob@company.example"]),"#
        )
    };
    // The MX is down the whole run: every attempt gets 421.
    let down = r#", down: [Window(from: "0s", to: "7h")]"#;
    let attempts = |retry: &str| {
        let sim = run(parse(&small_world("Open", "", down, &traffic(retry))), 2);
        let m = sim.messages.iter().find(|m| m.created < 3_600_000).expect("a spam in the first hour");
        (m.hops.len(), m.fate.clone())
    };
    let (never, fate) = attempts("Never");
    assert_eq!(never, 1);
    assert!(matches!(fate, Fate::Lost { .. }), "a 4xx and no retry: lost silently");
    assert_eq!(attempts("Immediate(3)").0, 4);
    let (rfc, _) = attempts(r#"Rfc(min: "5m", max: "1h", lifetime: "2h")"#);
    assert!(rfc > 3, "RFC-style retries keep trying ({rfc} attempts)");
}

#[test]
fn spam_moves_down_its_relay_list_when_refused() {
    let (_, r1) = run_file("scenarios/history/01-open-relay.ron", 1);
    let (_, r2) = run_file("scenarios/history/02-relay-restriction.ron", 1);
    // Same traffic in both eras.
    assert_eq!(r1.mail["spam"].counts.sent, r2.mail["spam"].counts.sent);
    assert_eq!(r1.mail["legit"].counts.sent, r2.mail["legit"].counts.sent);
    // Era 1: spam is delivered through third-party open relays.
    assert!(r1.mail["spam"].via_open_relay > 0);
    // Era 2: the ISP relays refuse outsiders; the last open relay carries more,
    // but third-party relaying as a whole falls.
    assert!(r2.nodes["relay-a"].refused.get("relay_denied").copied().unwrap_or(0) > 0);
    assert!(r2.nodes["relay-univ"].relayed > r1.nodes["relay-univ"].relayed);
    assert!(r2.mail["spam"].via_open_relay < r1.mail["spam"].via_open_relay);
    assert!(r2.mail["spam"].via_open_relay > 0, "the university's relay is still open");
    // The roaming user can no longer send.
    assert_eq!(r1.sources["ken-roaming"].rejected, 0);
    assert_eq!(r2.sources["ken-roaming"].delivered, 0);
    assert!(r2.sources["ken-roaming"].rejected > 0);
}

#[test]
fn automatic_addresses_never_collide_with_a_population() {
    // A PC with no fixed address, declared before a population of the same ISP.
    let src = r#"Scenario(name: "t", duration: "1h",
        isps: [Isp(id: "isp-a", customers: ["10.1.0.0/24"], servers: ["192.0.2.0/26"])],
        nodes: [
            Node(id: "pc", isp: "isp-a", kind: ClientPc(user: "a@isp-a.example", mail_client: MailClient(server: "relay"))),
            Node(id: "pop", isp: "isp-a", kind: Population(count: 5, domain: "isp-a.example", mail_client: MailClient(server: "relay"))),
            Node(id: "relay", isp: "isp-a", kind: IspRelay(hostname: "mail.isp-a.example", domains: ["isp-a.example"], mailboxes: ["*@isp-a.example"])),
        ],
        links: [Link(a: "pc", b: "relay"), Link(a: "pop", b: "relay")],
    )"#;
    let nodes = relaysim::sim::world::build_nodes(&parse(src), 0);
    let pop: Vec<_> = (0..5).map(|h| nodes[1].host_ip(h)).collect();
    let pc = nodes[0].ip.unwrap();
    assert!(!pop.contains(&pc), "{pc} is also a population host's address");
    assert_eq!(nodes[2].ip.unwrap().to_string(), "192.0.2.1", "servers come from the server range");
}
