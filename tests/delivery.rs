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
    let headers = m.headers();
    let received: Vec<&String> = headers.iter().filter(|h| h.starts_with("Received:")).collect();
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
    let t = &sim.messages[1].hops[0].transcript();
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
    assert!(hop.transcript().iter().any(|l| l.text.contains("dropped by router edge-a")));
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

// ----- what scenario authors could not express before -----------------------

/// The small world with `extra` nodes, links and zones added, and `relay`
/// as relay-a's extra settings (after `relay: IspNetworks`).
fn world_with(relay_extra: &str, nodes: &str, links: &str, zones: &str, traffic: &str) -> String {
    small_world(&format!("IspNetworks{relay_extra}"), "", "", traffic)
        .replace("    ],\n    links: [", &format!("{nodes}\n    ],\n    links: ["))
        .replace("    ],\n    dns: [", &format!("{links}\n    ],\n    dns: ["))
        .replace("    ],\n    traffic:", &format!("{zones}\n    ],\n    traffic:"))
}

#[test]
fn an_mx_that_points_back_at_the_relay_is_a_mail_loop() {
    let w = world_with(
        "",
        "",
        "",
        r#"Zone(domain: "loop.example", mx: [(10, "mail.isp-a.example")]),"#,
        r#"Once(id: "m", from: "alice", to: "carol@loop.example", at: "1m"),"#,
    );
    let sim = run(parse(&w), 0);
    match fate(&sim, 0) {
        // Postfix: "mail for loop.example loops back to myself", RFC 3463 X.4.6.
        Fate::Rejected { reason, .. } => {
            assert_eq!(&**reason, "550 5.4.6 <carol@loop.example>: mail for loop.example loops back to myself")
        }
        f => panic!("the relay is the best MX of a domain it does not accept: {f:?}"),
    }
    // A domain with no MX at all is still "not found".
    let w = world_with(
        "",
        "",
        "",
        r#"Zone(domain: "nowhere.example", a: [("x.nowhere.example", "198.51.100.99")]),"#,
        r#"Once(id: "m", from: "alice", to: "carol@nowhere.example", at: "1m"),"#,
    );
    let mut s = relaysim::scenario::parse(&w.replace("carol@nowhere.example", "bob@company.example"), "t.ron").unwrap();
    if let relaysim::scenario::Source::Once(o) = &mut s.traffic[0] {
        o.to = "carol@nowhere.example".into(); // the checker would refuse a domain without MX
    }
    let sim = run(s, 0);
    assert!(matches!(fate(&sim, 0), Fate::Rejected { reason, .. } if reason.contains("5.1.2")), "{:?}", fate(&sim, 0));
}

#[test]
fn a_backup_mx_keeps_only_the_more_preferred_hosts() {
    // relay-a is MX 20 of backup.example and mx-co is MX 10: relay-a sends on to mx-co.
    let w = world_with(
        "",
        "",
        "",
        r#"Zone(domain: "backup.example", mx: [(10, "mx.company.example"), (20, "mail.isp-a.example")]),"#,
        r#"Once(id: "m", from: "alice", to: "bob@backup.example", at: "1m"),"#,
    );
    let sim = run(parse(&w), 0);
    let m = &sim.messages[0];
    assert_eq!(m.hops.iter().filter(|h| h.to == sim.index_of("mx-co")).count(), 1, "{:?}", m.fate);
}

/// A server that sends on its own through a pool of three addresses, to an
/// MX that is down for the first hour (so every message is tried several times).
fn pool_world(choice: &str) -> relaysim::scenario::Scenario {
    let w = small_world(
        &format!(r#"IspNetworks, outbound_ips: ["192.0.2.11", "192.0.2.12", "192.0.2.13"]{choice}"#),
        "",
        r#", down: [Window(from: "0s", to: "1h")]"#,
        r#"Legit(id: "news", from: "relay-a", rate: "30/h", to: ["bob@company.example"], end: "2h"),"#,
    );
    parse(&w)
}

#[test]
fn an_outbound_pool_is_walked_in_order_or_drawn_at_random_per_attempt() {
    let first_ips = |sim: &relaysim::sim::Simulation| -> Vec<String> {
        sim.messages.iter().filter(|m| !m.hops.is_empty()).map(|m| m.hops[0].from_ip.to_string()).collect()
    };
    let in_order = run(pool_world(""), 4);
    assert!(first_ips(&in_order).iter().all(|ip| ip == "192.0.2.11"), "each message starts from the first address");
    let random = run(pool_world(", outbound_choice: Random"), 4);
    let ips: std::collections::BTreeSet<String> =
        random.messages.iter().flat_map(|m| m.hops.iter().map(|h| h.from_ip.to_string())).collect();
    assert_eq!(ips.len(), 3, "every address of the pool is drawn: {ips:?}");
    assert!(first_ips(&random).iter().any(|ip| ip != "192.0.2.11"));
    // The server's own stream: the mail sent is the same, message by message.
    let sent = |sim: &relaysim::sim::Simulation| -> Vec<(u64, String)> {
        sim.messages.iter().filter(|m| m.class == MailClass::Legit).map(|m| (m.created, m.rcpt.to_string())).collect()
    };
    assert_eq!(sent(&in_order), sent(&random));
    let again = run(pool_world(", outbound_choice: Random"), 4);
    assert_eq!(first_ips(&random), first_ips(&again), "the same seed draws the same addresses");
}

#[test]
fn retry_shapes_fixed_delays_and_postfix_give_their_schedules() {
    use relaysim::scenario::{Backoff, Shape};
    use relaysim::units::{Duration, MINUTE};
    let min = |ms: u64| ms / MINUTE;
    let fixed = Backoff { shape: Shape::Fixed(Duration::from_mins(15)), ..Backoff::default() };
    assert_eq!((1..5).map(|a| min(fixed.delay_at(a, 0, 0))).collect::<Vec<_>>(), [15, 15, 15, 15]);
    let list = Backoff {
        shape: Shape::Delays(vec![Duration::from_mins(5), Duration::from_mins(30), Duration::from_mins(120)]),
        ..Backoff::default()
    };
    assert_eq!((1..6).map(|a| min(list.delay_at(a, 0, 0))).collect::<Vec<_>>(), [5, 30, 120, 120, 120]);
    // Postfix: delay = time in queue clamped to [300 s, 4000 s], then the next
    // deferred-queue scan (every 300 s). A message arriving at a scan:
    let postfix = Backoff { shape: Shape::Postfix { queue_run_delay: Duration::from_secs(300) }, ..Backoff::default() };
    let (arrived, mut now, mut attempts, mut at) = (10 * MINUTE, 10 * MINUTE, 0, vec![]);
    while at.len() < 7 {
        attempts += 1;
        now += postfix.delay_at(attempts, now - arrived, now);
        at.push(min(now - arrived));
    }
    assert_eq!(at, [5, 10, 20, 40, 80, 150, 220], "5, 10, 20, 40, 80 min, then every 4000 s rounded up to a scan");
    assert!(at.iter().all(|m| (m + 10) % 5 == 0), "on the 5-minute scans");
}

#[test]
fn a_queue_with_a_list_of_delays_retries_at_exactly_those_delays() {
    let w = small_world(
        r#"IspNetworks, queue: Backoff(shape: Delays(["10m", "50m"]))"#,
        "",
        r#", down: [Window(from: "0s", to: "1h")]"#,
        r#"Once(id: "m", from: "alice", to: "bob@company.example", at: "1m"),"#,
    );
    let sim = run(parse(&w), 0);
    let m = &sim.messages[0];
    let relay = sim.index_of("relay-a");
    let starts: Vec<u64> = m.hops.iter().filter(|h| h.from == relay).map(|h| h.started).collect();
    let gaps: Vec<u64> = starts.windows(2).map(|w| (w[1] - w[0]) / 60_000).collect();
    assert_eq!(gaps, [10, 50], "then the MX is up");
    assert!(matches!(m.fate, Fate::Delivered { .. }));
}

/// A company gateway (`gw`) that relays for ISP A's servers.
const GATEWAY: &str = r#"
        Node(id: "gw", isp: "company", ip: "203.0.113.11", kind: IspRelay(hostname: "gw.company.example",
            relay: MyNetworks(["192.0.2.0/26"]))),"#;
const GATEWAY_LINK: &str = r#"        Link(a: "gw", b: "internet", latency: "2ms"),"#;

#[test]
fn a_smarthost_receives_all_outgoing_mail_instead_of_the_mx() {
    let w = world_with(
        r#", relayhost: "gw""#,
        GATEWAY,
        GATEWAY_LINK,
        "",
        r#"Once(id: "out", from: "alice", to: "bob@company.example", at: "1m"),
           Once(id: "local", from: "alice", to: "carol@isp-a.example", at: "2m"),"#,
    );
    let sim = run(parse(&w), 0);
    let path = |i: usize| -> Vec<&str> {
        sim.messages[i].hops.iter().filter(|h| h.accepted).map(|h| sim.nodes[h.to].id.as_str()).collect()
    };
    assert_eq!(path(0), ["relay-a", "gw", "mx-co"], "relay → smarthost → MX");
    assert!(matches!(fate(&sim, 0), Fate::Delivered { .. }));
    assert_eq!(path(1), ["relay-a"], "the relay's own domains stay local");
    let received = sim.messages[0].headers().iter().filter(|h| h.starts_with("Received:")).count();
    assert_eq!(received, 3);
}

#[test]
fn a_transport_map_sends_one_domain_to_a_fixed_next_hop() {
    let w = world_with(
        r#", transport: [("company.example", "gw")]"#,
        GATEWAY,
        GATEWAY_LINK,
        r#"Zone(domain: "other.example", mx: [(10, "mx.company.example")]),"#,
        r#"Once(id: "mapped", from: "alice", to: "bob@company.example", at: "1m"),
           Once(id: "not-mapped", from: "alice", to: "bob@other.example", at: "2m"),"#,
    );
    let sim = run(parse(&w), 0);
    let hops = |i: usize| -> Vec<&str> {
        sim.messages[i].hops.iter().filter(|h| h.accepted).map(|h| sim.nodes[h.to].id.as_str()).collect()
    };
    assert_eq!(hops(0), ["relay-a", "gw", "mx-co"]);
    let tried: Vec<&str> = sim.messages[1].hops.iter().map(|h| sim.nodes[h.to].id.as_str()).collect();
    assert_eq!(tried, ["relay-a", "mx-co"], "other domains follow their MX (which refuses to relay for them)");
}

#[test]
fn the_smarthost_and_restriction_order_examples_do_what_their_comments_say() {
    let (sim, r) = run_file("scenarios/examples/smarthost.ron", 0);
    assert_conserved(&r);
    let path = |i: usize| -> Vec<&str> {
        sim.messages[i].hops.iter().filter(|h| h.accepted).map(|h| sim.nodes[h.to].id.as_str()).collect()
    };
    assert_eq!(path(0), ["internal", "gateway", "relay-a"]);
    assert_eq!(path(1), ["relay-a", "mx-co", "scanner", "mbox-co"]);
    assert!(sim.messages.iter().all(|m| matches!(m.fate, Fate::Delivered { .. })));

    let (_, r) = run_file("scenarios/examples/restriction-order.ron", 0);
    assert_conserved(&r);
    assert_eq!(r.sources["via-default"].rejected, 0, "the default order never asks SPF on an open relay");
    assert!(r.nodes["relay-default"].spf.is_empty());
    assert!(r.sources["via-spf-first"].rejected > 0, "SPF first refuses the forged isp-a.example senders");
    assert_eq!(r.nodes["relay-spf-first"].refused.get("spf").copied(), Some(r.sources["via-spf-first"].rejected));
}
