//! DNS blocklists (seed 003 §3.5, §4): zones of the simulated DNS fed by a
//! published dial-up range and by spam traps, asked at `RCPT TO` or at the
//! connection; their effect and their cost (a shared relay that relays some
//! spam is listed with all its customers), on `scenarios/examples/dnsbl.ron`
//! and on the small test world.

mod common;

use common::world::World;
use relaysim::scenario::{self, Defense};
use relaysim::sim::{Fate, Message, RunOptions, Simulation};
use relaysim::stats::Report;
use relaysim::units::{HOUR, MINUTE};

const FILE: &str = "scenarios/examples/dnsbl.ron";

fn from_source<'a>(sim: &'a Simulation, id: &str) -> Vec<&'a Message> {
    let i = sim.scenario.traffic.iter().position(|s| s.id() == id).expect("source");
    sim.messages.iter().filter(|m| m.source == Some(i)).collect()
}

fn refused_by_list(m: &Message) -> Option<&str> {
    m.hops.iter().map(|h| h.result.as_str()).find(|r| r.contains("blocked using"))
}

#[test]
fn a_published_dial_up_range_refuses_bots_on_dynamic_addresses() {
    let (sim, r) = common::run_file(FILE, 7);
    common::assert_conserved(&r);
    for m in from_source(&sim, "spam-dialup") {
        if m.rcpt.ends_with("@company.example") {
            let why = refused_by_list(m).unwrap_or_else(|| panic!("#{} reached the company: {:?}", m.id.0, m.fate));
            let ip = m.hops[0].from_ip;
            assert_eq!(
                why,
                format!(
                    "554 5.7.1 Service unavailable; Client host [{ip}] blocked using dul.dnsbl.example; Dynamic address range: send through your provider's mail server, see http://dul.dnsbl.example/dul"
                )
            );
            assert!(matches!(m.fate, Fate::Rejected { .. }));
        }
    }
    assert!(r.nodes["mx-co"].refused["blocklisted"] > 1000);
    assert!(r.nodes["mx-co"].dnsbl_lookups > r.nodes["mx-co"].refused["blocklisted"]);
}

#[test]
fn a_trap_hit_lists_the_shared_relay_and_its_honest_customers_are_refused_with_it() {
    let (sim, r) = common::run_file(FILE, 7);
    let (relay, trap) = (sim.index_of("relay-a"), sim.index_of("trap-mx"));
    // The first spam the relay handed to the trap.
    let first_hit = from_source(&sim, "spam-via-isp-relay")
        .iter()
        .flat_map(|m| m.hops.iter())
        .filter(|h| h.from == relay && h.to == trap && h.accepted)
        .map(|h| h.ended)
        .min()
        .expect("a trap hit");
    let legit = from_source(&sim, "customers-a");
    let to_mx = |m: &Message| m.hops.iter().find(|h| h.from == relay).map(|h| h.started);
    // Before the listing appears (10 minutes later) ISP A's mail gets through ...
    for m in legit.iter().filter(|m| to_mx(m).is_some_and(|t| t < first_hit + 10 * MINUTE)) {
        assert!(matches!(m.fate, Fate::Delivered { .. }), "#{} before the listing: {:?}", m.id.0, m.fate);
    }
    // ... after it, every mail of every ISP A customer is refused, and bounced to them.
    let after: Vec<_> = legit.iter().filter(|m| to_mx(m).is_some_and(|t| t > first_hit + 11 * MINUTE)).collect();
    assert!(after.len() > 100);
    for m in &after {
        let why = refused_by_list(m).unwrap_or_else(|| panic!("#{}: {:?}", m.id.0, m.fate));
        assert!(
            why.contains(
                "Client host [192.0.2.10] blocked using traps.dnsbl.example; Listed for sending to spam traps"
            )
        );
        assert!(matches!(m.fate, Fate::Rejected { .. }));
    }
    assert_eq!(r.mail["bounce"].counts.delivered, r.sources["customers-a"].rejected, "each one told by a bounce");
    // ISP B's relay relays no spam: never listed.
    assert_eq!(r.sources["customers-b"].delivered, r.sources["customers-b"].sent);
    // Counted where it happened: the relay's trap hits, the MX's lookups.
    let json = serde_json::to_value(&r).unwrap();
    assert!(json["nodes"]["relay-a"]["trap_hits"].as_u64().unwrap() > 100);
    assert!(json["nodes"]["relay-b"].get("trap_hits").is_none());
    assert!(json["nodes"]["mx-co"]["dnsbl_lookups"].as_u64().unwrap() > 0);
    assert!(json["nodes"]["mx-co"]["refused"]["blocklisted"].as_u64().unwrap() > 0);
}

#[test]
fn switched_off_the_list_refuses_nobody() {
    let mut sim = Simulation::new(common::load(FILE), RunOptions::new(7));
    assert_eq!(sim.defense_on("mx-co", Defense::Dnsbl), Some(true));
    sim.set_defense("mx-co", Defense::Dnsbl, false).unwrap();
    sim.run_until(sim.scenario.duration.0);
    let r = Report::of(&sim);
    assert_eq!(r.sources["customers-a"].delivered, r.sources["customers-a"].sent);
    assert!(!r.nodes["mx-co"].refused.contains_key("blocklisted"));
    assert!(r.sources["spam-dialup"].delivered * 10 > r.sources["spam-dialup"].sent * 9, "the bots get in");
    let mut sim = Simulation::new(common::load(FILE), RunOptions::new(7));
    assert!(sim.set_defense("relay-b", Defense::Dnsbl, true).is_err(), "relay-b has no dnsbl settings");
}

/// A relay that relays spam for two hours, to a trap and to the company,
/// and legit mail all day; the company asks the trap list at `stage`.
fn trap_world(stage: &str, expiry: &str) -> World {
    World {
        duration: "2d",
        relay_a: "relay: IspNetworks".into(),
        mx_co: format!(r#"dnsbl: DnsblCheck(zones: ["traps.bl.example"]{stage})"#),
        nodes: r#"
    Node(id: "alice", isp: "isp-a", ip: "10.1.0.25", kind: ClientPc(user: "alice@isp-a.example", mail_client: MailClient(server: "relay-a"))),
    Node(id: "bot", isp: "isp-a", ip: "10.1.66.6", kind: SpamBot()),
    Node(id: "trap", isp: "hosting", ip: "203.0.113.70", kind: Mx(hostname: "mx.trap.example", domains: ["trap.example"], mailboxes: ["*@trap.example"])),"#
            .into(),
        links: r#"Link(a: "alice", b: "edge-a", latency: "5ms"), Link(a: "bot", b: "edge-a", latency: "5ms"),
                  Link(a: "trap", b: "internet", latency: "5ms"),"#
            .into(),
        zones: format!(
            r#"Zone(domain: "trap.example", mx: [(10, "mx.trap.example")]),
               Zone(domain: "traps.bl.example", blocklist: Blocklist(traps: ["spam@trap.example"]{expiry})),"#
        ),
        traffic: r#"
        Legit(id: "alice", from: "alice", rate: "4/h", to: ["bob@company.example"]),
        Spam(id: "s", senders: ["bot"], rate: "30/h", strategy: OpenRelays(["relay-a"]), end: "2h",
             forged_from: ["x{rand}@isp-b.example"], to: ["spam@trap.example", "carol@company.example"]),"#
            .into(),
        ..World::default()
    }
}

#[test]
fn a_listing_expires_a_day_after_the_last_hit() {
    let sim = common::run(common::parse(&trap_world("", "").render()), 2);
    let r = Report::of(&sim);
    common::assert_conserved(&r);
    let last_hit = from_source(&sim, "s")
        .iter()
        .flat_map(|m| m.hops.iter())
        .filter(|h| h.to == sim.index_of("trap") && h.accepted)
        .map(|h| h.ended)
        .max()
        .unwrap();
    assert!(last_hit < 2 * HOUR + MINUTE);
    let until = last_hit + 10 * MINUTE + 24 * HOUR;
    let alice = from_source(&sim, "alice");
    let refused = alice.iter().filter(|m| refused_by_list(m).is_some()).count();
    assert!(refused > 50, "{refused}");
    for m in alice.iter().filter(|m| m.created > until + MINUTE) {
        assert!(matches!(m.fate, Fate::Delivered { .. }), "#{} after the expiry: {:?}", m.id.0, m.fate);
    }
    // A shorter expiry lets her through sooner.
    let short = common::run(common::parse(&trap_world("", r#", expiry: "1h""#).render()), 2);
    let refused_short = from_source(&short, "alice").iter().filter(|m| refused_by_list(m).is_some()).count();
    assert!(refused_short < refused, "{refused_short} vs {refused}");
}

#[test]
fn asked_at_the_connection_a_listed_client_gets_554_instead_of_the_greeting() {
    let sim = common::run(common::parse(&trap_world(", at: Connect", "").render()), 2);
    let r = Report::of(&sim);
    let refused: Vec<_> = from_source(&sim, "alice").into_iter().filter(|m| refused_by_list(m).is_some()).collect();
    assert!(!refused.is_empty());
    let mx = sim.index_of("mx-co");
    let hop = refused[0].hops.iter().find(|h| h.to == mx).unwrap();
    let lines: Vec<_> = hop.transcript().iter().map(|l| format!("{} {}", l.who, l.text)).collect();
    assert!(
        lines[1]
            .starts_with("S 554 5.7.1 Service unavailable; Client host [192.0.2.10] blocked using traps.bl.example"),
        "{lines:#?}"
    );
    assert!(!lines.iter().any(|l| l.starts_with("C EHLO")), "no dialogue after the refusal: {lines:#?}");
    assert!(r.nodes["mx-co"].refused["blocklisted"] > 0);
}

#[test]
fn blocklist_settings_are_checked_where_they_are_written() {
    let src = std::fs::read_to_string(common::path(FILE)).unwrap();
    let bad = src
        .replace(
            r#"zones: ["dul.dnsbl.example", "traps.dnsbl.example"]"#,
            r#"zones: ["dul.dnsbl.example", "company.example"]"#,
        )
        .replace(r#"dynamic_of: ["dialup"]"#, r#"dynamic_of: ["dial-up"]"#)
        .replace(r#"traps: ["*@old-domain.example"]"#, r#"traps: ["nobody"], expiry: "0s""#);
    let e = scenario::parse(&bad, "b.ron").unwrap_err().to_string();
    assert!(e.contains("zone `company.example`: is not a blocklist: expected one of the zones with a `blocklist` (dul.dnsbl.example, traps.dnsbl.example)"), "{e}");
    assert!(e.contains("dial-up"), "{e}");
    assert!(e.contains("nobody"), "{e}");
    assert!(e.contains("expiry: 0s would list nothing"), "{e}");
    let line = bad.lines().position(|l| l.contains(r#"dynamic_of: ["dial-up"]"#)).unwrap() + 1;
    assert!(e.contains(&format!("b.ron:{line}:")), "{e}");
}
