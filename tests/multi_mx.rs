//! Several MX hosts (seed 003 §3.3): a backup MX that accepts everything and
//! relays to the primary ("Fallback MX considered harmful"), senders that
//! move to the next MX after a 4xx, spam software aimed at the least
//! preferred MX, equally preferred MX hosts in random order, and greylisting
//! databases kept per MX or shared. On `scenarios/examples/backup-mx.ron`.

mod common;

use relaysim::scenario::{self, Defense};
use relaysim::sim::{Fate, Message, RunOptions, Simulation};
use relaysim::stats::Report;
use relaysim::units::{HOUR, SECOND};

const FILE: &str = "scenarios/examples/backup-mx.ron";

fn from_source<'a>(sim: &'a Simulation, id: &str) -> Vec<&'a Message> {
    let i = sim.scenario.traffic.iter().position(|s| s.id() == id).expect("source");
    sim.messages.iter().filter(|m| m.source == Some(i)).collect()
}

fn delivered(m: &Message) -> bool {
    matches!(m.fate, Fate::Delivered { .. })
}

#[test]
fn spam_aimed_at_the_backup_mx_gets_around_the_primarys_greylisting() {
    let (sim, r) = common::run_file(FILE, 5);
    common::assert_conserved(&r);
    let (backup, primary) = (sim.index_of("mx-backup"), sim.index_of("mx-co"));
    // Effect: at the front door, fire-and-forget spam is greylisted and lost ...
    let direct = from_source(&sim, "spam-direct");
    assert!(r.sources["spam-direct"].lost > r.sources["spam-direct"].sent / 2, "{:?}", r.sources["spam-direct"]);
    // ... except while the primary is down, when it falls over to the backup too.
    for m in direct.iter().filter(|m| delivered(m)) {
        assert!(m.hops.iter().any(|h| h.to == backup), "a direct spam delivered without the backup: #{}", m.id.0);
        assert!((12 * HOUR..13 * HOUR).contains(&m.created), "only during the outage: {}", m.created);
    }
    // Cost: aimed at the backup, it arrives, through the backup, never greylisted.
    let via = from_source(&sim, "spam-backup");
    let ok: Vec<_> = via.iter().filter(|m| delivered(m)).collect();
    assert!(ok.len() * 2 > via.len(), "{} of {}", ok.len(), via.len());
    for m in &ok {
        assert_eq!(m.hops[0].to, backup, "the bot spoke to the least preferred MX");
        assert!(m.hops.iter().all(|h| !h.result.contains("Greylisted")), "#{}", m.id.0);
        assert!(m.hops.iter().any(|h| h.from == backup && h.to == primary && h.accepted));
    }
    // Cost: the backup does not know the users, and bounces to forged senders.
    assert!(r.nodes["mx-backup"].bounces_sent > 100);
    assert!(r.mail["backscatter"].counts.delivered > 100);
    assert!(
        r.nodes["mx-co"].refused["user_unknown"] > r.sources["spam-direct"].rejected,
        "the backup's relayed spam too"
    );
}

#[test]
fn a_backup_switched_off_closes_the_back_door_and_leaves_no_fallback() {
    let run = |backup_on: bool| {
        let mut sim = Simulation::new(common::load(FILE), RunOptions::new(5));
        assert_eq!(sim.defense_on("mx-backup", Defense::BackupMx), Some(true));
        sim.set_defense("mx-backup", Defense::BackupMx, backup_on).unwrap();
        sim.run_until(sim.scenario.duration.0);
        let r = Report::of(&sim);
        common::assert_conserved(&r);
        r
    };
    let (on, off) = (run(true), run(false));
    assert!(on.sources["spam-backup"].delivered > 100);
    assert_eq!(off.sources["spam-backup"].delivered, 0, "`554 5.7.1 Relay access denied` at the backup");
    assert!(off.nodes["mx-backup"].refused["relay_denied"] > 0);
    assert_eq!(off.mail["backscatter"].counts.sent, 0, "no backup accepting unknown users, no backscatter");
    // The cost: an MX record that names a server refusing the domain turns
    // every fallback into a permanent refusal. The older MTA moves on after
    // the primary's 450 and gets 554 at the backup: its mail bounces ...
    assert_eq!((on.sources["old-relay-users"].rejected, on.sources["customers-a"].rejected), (0, 0));
    assert!(off.sources["old-relay-users"].rejected > off.sources["old-relay-users"].sent / 2);
    // ... and so does mail sent while the primary is down.
    assert!(off.sources["customers-a"].rejected > 0);
    assert!(off.mail["bounce"].counts.delivered > 100, "returned to their real senders");
    let mut sim = Simulation::new(common::load(FILE), RunOptions::new(5));
    assert!(sim.set_defense("mx-co", Defense::BackupMx, true).is_err(), "the primary has no relay_domains");
}

#[test]
fn an_mta_that_tries_the_next_mx_after_a_4xx_is_never_greylisted_here() {
    let (sim, r) = common::run_file(FILE, 5);
    let (backup, primary) = (sim.index_of("mx-backup"), sim.index_of("mx-co"));
    let first = from_source(&sim, "old-relay-users").into_iter().find(|m| m.created < 12 * HOUR).unwrap();
    let from_relay: Vec<_> = first.hops.iter().filter(|h| h.from == sim.index_of("relay-old")).collect();
    assert_eq!(from_relay[0].to, primary);
    assert!(from_relay[0].result.starts_with("450 4.7.1"), "{}", from_relay[0].result);
    assert_eq!((from_relay[1].to, from_relay[1].accepted), (backup, true), "at once to the next MX");
    assert_eq!(from_relay[1].started, from_relay[0].ended, "in the same delivery attempt");
    assert!(r.source_delay_s["old-relay-users"].median < 5.0);
    assert!(r.source_delay_s["customers-a"].median >= 300.0, "Postfix retries the primary later");
    assert!(r.nodes["relay-old"].next_mx_after_4xx > 100);
    let json = serde_json::to_value(&r).unwrap();
    assert!(json["nodes"]["relay-old"]["next_mx_after_4xx"].as_u64().unwrap() > 0);
    assert!(json["nodes"]["relay-a"].get("next_mx_after_4xx").is_none(), "left out where it counted nothing");
}

#[test]
fn mx_hosts_that_do_not_share_their_database_greylist_a_retry_again() {
    let (sim, r) = common::run_file(FILE, 5);
    // RFC 5321 §5.1: equally preferred hosts in random order, so both get mail.
    for n in ["mx1-twin", "mx2-twin", "mx1-shared", "mx2-shared"] {
        assert!(r.nodes[n].sessions_in > 100, "{n}: {}", r.nodes[n].sessions_in);
    }
    // Shared: every triplet waits once, whichever host the retry reaches.
    assert!(r.source_delay_s["to-shared"].max < 301.0, "{:?}", r.source_delay_s["to-shared"]);
    // Own databases: a retry that reaches the other host waits again.
    assert!(r.source_delay_s["to-twin"].max >= 600.0, "{:?}", r.source_delay_s["to-twin"]);
    let twice = from_source(&sim, "to-twin")
        .iter()
        .filter(|m| m.hops.iter().filter(|h| h.result.contains("Greylisted")).count() >= 2)
        .count();
    assert!(twice > 10, "greylisted at both hosts: {twice}");
    let grey = |a: &str, b: &str| r.nodes[a].greylisted + r.nodes[b].greylisted;
    assert!(grey("mx1-twin", "mx2-twin") > grey("mx1-shared", "mx2-shared"));
    // The random order is the sender's own stream: the same seed, the same run.
    let (_, again) = common::run_file(FILE, 5);
    assert_eq!(r, again);
}

#[test]
fn the_backup_keeps_mail_while_the_primary_is_down() {
    let (sim, _) = common::run_file(FILE, 5);
    let backup = sim.index_of("mx-backup");
    let during: Vec<_> = from_source(&sim, "customers-a")
        .into_iter()
        .filter(|m| (12 * HOUR + 10 * SECOND..13 * HOUR - 10 * SECOND).contains(&m.created))
        .collect();
    assert!(!during.is_empty());
    for m in during {
        assert!(m.hops.iter().any(|h| h.to == backup && h.accepted), "#{} went to the backup", m.id.0);
        let Fate::Delivered { at, .. } = m.fate else { panic!("#{}: {:?}", m.id.0, m.fate) };
        assert!(at >= 13 * HOUR, "delivered when the primary was back");
    }
}

#[test]
fn relay_domains_and_databases_are_checked_where_they_are_written() {
    let src = std::fs::read_to_string(common::path(FILE)).unwrap();
    let bad = src
        .replace(
            r#"relay_domains: ["company.example"],"#,
            r#"domains: ["company.example"], relay_domains: ["company.example", "bob@x"],"#,
        )
        .replace(r#"database: "shared-postgrey")"#, r#"database: " ")"#);
    let e = scenario::parse(&bad, "b.ron").unwrap_err().to_string();
    assert!(e.contains("domain `company.example`: is also in `domains`"), "{e}");
    assert!(e.contains("domain `bob@x`: is not a domain name"), "{e}");
    assert!(e.contains("database: an empty name shares nothing"), "{e}");
    let line = bad.lines().position(|l| l.contains("relay_domains: [\"company.example\", \"bob@x\"]")).unwrap() + 1;
    assert!(e.contains(&format!("b.ron:{line}:")), "{e}");
}
