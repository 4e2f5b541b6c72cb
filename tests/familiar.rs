//! お馴染さん方式 (seed 003): first-contact refusal keyed by the client
//! address. Its effect and its costs on the example scenario and on the
//! small test world, side by side with postgrey on the same traffic, and
//! its settings, switch and counters.

mod common;

use common::world::World;
use relaysim::scenario::{self, Defense};
use relaysim::sim::{Fate, Message, RunOptions, Simulation};
use relaysim::stats::Report;
use relaysim::units::{MINUTE, SECOND};

fn run(w: &World, seed: u64) -> (Simulation, Report) {
    let sim = common::run(common::parse(&w.render()), seed);
    let r = Report::of(&sim);
    common::assert_conserved(&r);
    (sim, r)
}

fn from_source<'a>(sim: &'a Simulation, id: &str) -> Vec<&'a Message> {
    let i = sim.scenario.traffic.iter().position(|s| s.id() == id).expect("source");
    sim.messages.iter().filter(|m| m.source == Some(i)).collect()
}

/// Delivery delays of a source's delivered mail, in ms, in sending order.
fn delays(sim: &Simulation, id: &str) -> Vec<u64> {
    from_source(sim, id)
        .iter()
        .filter_map(|m| match m.fate {
            Fate::Delivered { at, .. } => Some(at - m.created),
            _ => None,
        })
        .collect()
}

const REGULARS: &str = "scenarios/examples/regulars.ron";
const GREYLISTING: &str = "scenarios/examples/regulars-greylisting.ron";

// ----- the example: effect and cost --------------------------------------------------

#[test]
fn each_server_waits_once_then_everything_it_sends_passes() {
    let (sim, r) = common::run_file(REGULARS, 3);
    common::assert_conserved(&r);
    // Effect: ISP A's relay waits for its first contact only.
    let a = delays(&sim, "customers-a");
    assert_eq!(a.len() as u64, r.sources["customers-a"].sent, "all of ISP A's mail arrives");
    assert!(a[0] >= 300 * SECOND, "the first mail waited out the delay: {} ms", a[0]);
    let slow = a.iter().filter(|&&d| d >= 300 * SECOND).count();
    assert!(slow < 10, "only the mails sent during the first wait are delayed: {slow}");
    assert!(r.mail["legit"].delay_s.median < 1.0, "{:?}", r.mail["legit"].delay_s);
    assert!(r.nodes["relay-a"].deferred < 10, "relay-a deferred {} times", r.nodes["relay-a"].deferred);
    // Effect: fire-and-forget bots on dynamic addresses lose most of their spam.
    let direct = &r.sources["spam-direct"];
    assert!(direct.lost > direct.sent / 2, "{direct:?}");
    // The refusal is the seed's temporary error, counted by its reason.
    let mx = &r.nodes["mx-co"];
    assert!(mx.refused["first_contact"] > 100 && mx.familiar_deferred == mx.refused["first_contact"]);
    assert!(mx.familiar_admitted > 0 && mx.familiar_passed > mx.familiar_admitted);
    let first = from_source(&sim, "customers-a")[0];
    assert!(
        first.hops.iter().any(|h| h.result
            == "450 4.7.1 <".to_string()
                + &first.rcpt
                + ">: Recipient address rejected: First contact from [192.0.2.10], try again later"),
        "{:?}",
        first.hops.iter().map(|h| &h.result).collect::<Vec<_>>()
    );
}

#[test]
fn its_costs_are_the_seeds_findings() {
    let (sim, r) = common::run_file(REGULARS, 3);
    // §2.4: spam through a regular big provider's server is accepted.
    let via = &r.sources["spam-via-bigmail"];
    assert_eq!(via.delivered, via.sent, "{via:?}");
    let d = delays(&sim, "spam-via-bigmail");
    let at_once = d.iter().filter(|&&ms| ms < 10 * SECOND).count();
    assert!(at_once > d.len() * 3 / 4, "once bigmail is a regular its spam passes at once: {at_once} of {}", d.len());
    // §2.3: the pool provider waits until it retries from the same server
    // (5 + 10 + 20 minutes of Postfix backoff), then passes at once.
    let pool = delays(&sim, "bigmail-users");
    assert!(pool[0] >= 35 * MINUTE, "first contact through three servers: {} s", pool[0] / SECOND);
    assert!(pool.iter().skip(3).all(|&ms| ms < 10 * SECOND), "later mail leaves from the regular first server");
    // §2.3's remedy: the shared whitelist.
    assert!(delays(&sim, "webmail-users").iter().all(|&ms| ms < 10 * SECOND));
    assert_eq!(r.nodes["webmail"].deferred, 0);
    // A bot on a fixed address that comes back is a regular.
    let bot = &r.sources["spam-impatient"];
    assert!(bot.delivered > bot.sent / 2, "{bot:?}");
    // §2.5: a server without a queue loses its first mail only.
    assert_eq!(r.sources["shop-orders"].lost, 1);
}

#[test]
fn beside_greylisting_on_the_same_traffic() {
    // The two files are one world: only the MX's defense (and the texts) differ.
    let (mut a, mut b) = (common::load(REGULARS), common::load(GREYLISTING));
    for s in [&mut a, &mut b] {
        s.name.clear();
        s.names = Default::default();
        s.description.clear();
        s.narration.clear();
        for n in &mut s.nodes {
            if let relaysim::scenario::NodeKind::Mx(m) = &mut n.kind {
                m.familiar = None;
                m.greylist = None;
            }
        }
    }
    assert_eq!(scenario::to_ron(&a).unwrap(), scenario::to_ron(&b).unwrap(), "the files drifted apart");
    let (_, reg) = common::run_file(REGULARS, 3);
    let (_, grey) = common::run_file(GREYLISTING, 3);
    for (id, c) in &reg.sources {
        assert_eq!(c.sent, grey.sources[id].sent, "source {id} sends the same mails in both");
    }
    // Greylisting delays legit mail far more (each new triplet waits) ...
    assert!(grey.mail["legit"].delay_s.median >= 300.0 && reg.mail["legit"].delay_s.median < 1.0);
    assert!(grey.nodes["relay-a"].deferred > 10 * reg.nodes["relay-a"].deferred.max(1));
    assert!(grey.sources["shop-orders"].lost > reg.sources["shop-orders"].lost);
    // ... and lets less spam through: a new made-up sender is a new triplet.
    assert!(grey.mail["spam"].counts.delivered * 2 < reg.mail["spam"].counts.delivered);
    assert_eq!(grey.sources["spam-impatient"].delivered, 0);
}

// ----- the mechanism on the small world ----------------------------------------------

fn pool_world(familiar: &str) -> World {
    World {
        duration: "6h",
        mx_co: format!("familiar: Familiar({familiar})"),
        nodes: r#"
    Node(id: "pool", isp: "hosting", ip: "203.0.113.65", kind: IspRelay(hostname: "out.bigmail.example", domains: ["bigmail.example"],
        mailboxes: ["*@bigmail.example"], outbound_ips: ["203.0.113.65", "203.0.113.66", "203.0.113.67"])),"#
            .into(),
        links: r#"Link(a: "pool", b: "internet", latency: "5ms"),"#.into(),
        traffic: r#"Legit(id: "pool", from: "pool", sender: "news@bigmail.example", rate: "2/h", to: ["bob@company.example"]),"#
            .into(),
        ..World::default()
    }
}

#[test]
fn a_pool_in_one_24_waits_less_when_keyed_by_subnet_and_not_at_all_when_whitelisted() {
    let first = |f: &str| {
        let (sim, r) = run(&pool_world(f), 1);
        assert_eq!(r.sources["pool"].delivered, r.sources["pool"].sent);
        let later = from_source(&sim, "pool").into_iter().filter(|m| m.created > 60 * MINUTE);
        assert!(
            later.filter_map(|m| m.fate.settled_at().map(|at| at - m.created)).all(|d| d < 10 * SECOND),
            "later mail passes at once ({f})"
        );
        delays(&sim, "pool")[0]
    };
    let by_host = first("");
    let by_subnet = first("by_subnet: true");
    let listed = first(r#"whitelist: ["203.0.113.64/26"]"#);
    assert!(by_host >= 35 * MINUTE, "back to the first server after 5 + 10 + 20 min: {by_host}");
    assert!((5 * MINUTE..10 * MINUTE).contains(&by_subnet), "the neighbour's retry matches the /24: {by_subnet}");
    assert!(listed < 10 * SECOND, "{listed}");
}

#[test]
fn the_switch_turns_it_on_during_a_run_and_the_counters_reach_the_json() {
    let w = World { mx_co: String::new(), ..pool_world("") };
    let mut sim = Simulation::new(common::parse(&w.render()), RunOptions::new(1));
    assert_eq!(sim.defense_on("mx-co", Defense::Familiar), Some(false));
    sim.set_defense("mx-co", Defense::Familiar, true).unwrap();
    assert_eq!(sim.defense_on("mx-co", Defense::Familiar), Some(true));
    assert!(sim.set_defense("internet", Defense::Familiar, true).is_err(), "a router has no SMTP");
    sim.run_until(sim.scenario.duration.0);
    let r = Report::of(&sim);
    assert!(r.nodes["mx-co"].familiar_deferred > 0);
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["nodes"]["mx-co"]["familiar_admitted"], 1);
    assert!(json["nodes"]["mx-co"]["refused"]["first_contact"].as_u64().unwrap() > 0);
    assert!(json["nodes"]["relay-a"].get("familiar_deferred").is_none(), "left out where it counted nothing");
}

#[test]
fn run_format_json_prints_the_counters() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_relaysim"))
        .args(["run", "example:regulars", "--format", "json", "--no-transcripts"])
        .output()
        .expect("the binary runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mx = &json["nodes"]["mx-co"];
    for key in ["familiar_deferred", "familiar_admitted", "familiar_passed"] {
        assert!(mx[key].as_u64().is_some_and(|n| n > 0), "nodes.mx-co.{key}: {mx}");
    }
}

// ----- settings and the checker ----------------------------------------------------------

#[test]
fn bad_settings_are_reported_where_they_are_written() {
    let bad = World { mx_co: r#"familiar: Familiar(delay: "0s", max_age: "0s")"#.into(), ..World::default() };
    let e = scenario::parse(&bad.render(), "t.ron").unwrap_err().to_string();
    assert!(e.contains("error: delay: 0s would refuse nobody"), "{e}");
    assert!(e.contains("error: max_age: 0s would forget every regular at once"), "{e}");
    let line = bad.render().lines().position(|l| l.contains("familiar: Familiar(")).unwrap() + 1;
    assert!(e.contains(&format!("t.ron:{line}:")), "the position of the setting: {e}");
    let short = World { mx_co: r#"familiar: Familiar(delay: "1h", retry_window: "30m")"#.into(), ..World::default() };
    let e = scenario::parse(&short.render(), "t.ron").unwrap_err().to_string();
    assert!(e.contains("30m is shorter than delay 1h"), "{e}");
    let typo = World { mx_co: r#"familiar: Familiar(dealy: "5m")"#.into(), ..World::default() };
    let e = scenario::parse(&typo.render(), "t.ron").unwrap_err().to_string();
    assert!(e.contains("dealy") && e.contains("delay"), "the misspelt field and what was expected: {e}");
}

#[test]
fn check_warns_when_the_restriction_list_leaves_it_out() {
    let w = World {
        mx_co: r#"familiar: Familiar(), recipient_restrictions: [PermitMynetworks, RejectUnauthDestination]"#.into(),
        ..World::default()
    };
    let src = w.render();
    let s = common::parse(&src);
    let warnings = relaysim::scenario::warnings::warnings(&s, &src, "t.ron");
    assert!(
        warnings.iter().any(|w| w.to_string().contains("`familiar` never takes effect")
            && w.to_string().contains("CheckFamiliar")),
        "{warnings:?}"
    );
}
