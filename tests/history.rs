//! The history tour: seven eras on one base world, each showing its point in
//! the JSON counts of the same seed, and every narration step firing.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::OnceLock;

use relaysim::narrate::{self, Languages};
use relaysim::scenario::{self, Scenario};
use relaysim::sim::{MsgId, RunOptions, Simulation};
use relaysim::stats::Report;
use relaysim::units::MINUTE;

const ERAS: [&str; 7] = [
    "scenarios/history/01-open-relay.ron",
    "scenarios/history/02-relay-restriction.ron",
    "scenarios/history/03-pop-before-smtp.ron",
    "scenarios/history/04-smtp-auth.ron",
    "scenarios/history/05-op25b-submission.ron",
    "scenarios/history/06-spf.ron",
    "scenarios/history/07-greylisting.ron",
];
const SEED: u64 = 1;

/// One narrated run of an era: its report, the steps fired, and the text in English and Japanese.
struct Era {
    scenario: Scenario,
    report: Report,
    fired: Vec<String>,
    /// The message each fired step names (`Fired::msg`), by step id.
    fired_msgs: Vec<(String, Option<MsgId>)>,
    text_en: String,
    text_ja: String,
    /// The dial-up bot's spam that ISP A's relay relayed, each with whether
    /// the POP login that permitted it was made by another customer.
    dialup_relayed: Vec<(MsgId, bool)>,
}

/// Spam of `spam-dialup` relayed by `relay-a`, each with whether the last POP
/// login from its address within DRAC's 30 minutes (what the relay checks)
/// was made by another dial-up customer, the address's previous holder.
fn dialup_relayed(sim: &Simulation) -> Vec<(MsgId, bool)> {
    let relay = sim.index_of("relay-a");
    let src = sim.scenario.traffic.iter().position(|t| t.id() == "spam-dialup").expect("spam-dialup in the base world");
    // Every POP3 login at relay-a: (address, time, who).
    let logins: Vec<_> = sim
        .messages
        .iter()
        .flat_map(|m| {
            m.hops
                .iter()
                .filter(move |h| h.port == 110 && h.to == relay)
                .map(move |h| (h.from_ip, h.started, (m.origin, m.origin_host)))
        })
        .collect();
    sim.messages
        .iter()
        .filter(|m| m.source == Some(src))
        .filter_map(|m| {
            let hop = m.hops.iter().find(|h| h.to == relay && h.port == 25 && h.accepted)?;
            let last = logins
                .iter()
                .filter(|(ip, at, _)| *ip == hop.from_ip && *at <= hop.started && hop.started - at <= 30 * MINUTE)
                .max_by_key(|(_, at, _)| *at);
            Some((m.id, last.is_some_and(|(_, _, who)| *who != (m.origin, m.origin_host))))
        })
        .collect()
}

/// Each era is run once (narrated, which also gives the plain results: the
/// eras' narration has no actions) and shared by the tests.
fn eras() -> &'static [Era] {
    static ERAS_RUN: OnceLock<Vec<Era>> = OnceLock::new();
    ERAS_RUN.get_or_init(|| {
        ERAS.iter()
            .map(|f| {
                let scenario = common::load(f);
                let opts = RunOptions::new(SEED).transcripts(false).trace(true);
                let n = narrate::run(scenario.clone(), opts, None, &Languages::One("en".into())).unwrap();
                let report = Report::of(&n.sim);
                common::assert_conserved(&report);
                let text_ja =
                    narrate::render(&n.sim, &scenario.narration, &n.fired, &Languages::One("ja".into())).unwrap();
                let fired = n.fired.iter().map(|f| f.id.clone()).collect();
                let fired_msgs = n.fired.iter().map(|f| (f.id.clone(), f.msg)).collect();
                let dialup_relayed = dialup_relayed(&n.sim);
                Era { scenario, report, fired, fired_msgs, text_en: n.text, text_ja, dialup_relayed }
            })
            .collect()
    })
}

fn era(n: usize) -> &'static Report {
    &eras()[n - 1].report
}

fn ron_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            ron_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "ron") {
            out.push(p);
        }
    }
}

#[test]
fn every_scenario_file_passes_the_checker() {
    let mut files = Vec::new();
    ron_files(&common::path("scenarios"), &mut files);
    files.sort();
    assert!(files.len() >= 11, "seven eras and the examples: {files:?}");
    for f in &files {
        if let Err(e) = scenario::load(f) {
            panic!("{}:\n{e}", f.display());
        }
    }
}

#[test]
fn the_eras_share_one_base_world() {
    let all: Vec<Scenario> = ERAS.iter().map(|f| common::load(f)).collect();
    let first = &all[0];
    let ids = |s: &Scenario| -> Vec<(String, &'static str, Option<String>)> {
        s.nodes.iter().map(|n| (n.id.clone(), n.kind.name(), n.isp.clone())).collect()
    };
    let traffic = |s: &Scenario| serde_json::to_string(&s.traffic).unwrap();
    let isps = |s: &Scenario| serde_json::to_string(&s.isps).unwrap();
    let links = |s: &Scenario| serde_json::to_string(&s.links).unwrap();
    let zones = |s: &Scenario| -> Vec<(String, String)> {
        s.dns.iter().map(|z| (z.domain.clone(), format!("{:?}", z.mx))).collect()
    };
    for (s, f) in all.iter().zip(ERAS).skip(1) {
        assert_eq!(ids(s), ids(first), "{f}: same nodes, kinds and ISPs as era 1");
        assert_eq!(traffic(s), traffic(first), "{f}: same traffic sources, rates and recipients");
        assert_eq!(isps(s), isps(first), "{f}: same ISPs and address ranges");
        assert_eq!(links(s), links(first), "{f}: same links");
        assert_eq!(zones(s), zones(first), "{f}: same domains and MX records");
        assert_eq!((s.seed, s.duration), (first.seed, first.duration), "{f}: same seed and duration");
    }
    // Same seed, same traffic: every era sends exactly the same mail.
    for n in 2..=7 {
        for (id, c) in &era(1).sources {
            assert_eq!(era(n).sources[id].sent, c.sent, "era {n}, source {id}");
        }
    }
}

#[test]
fn era2_fewer_spam_deliveries_through_isp_relays_than_era1() {
    let (e1, e2) = (&era(1).mail["spam"], &era(2).mail["spam"]);
    assert!(e2.via_isp_relay < e1.via_isp_relay, "{} vs {}", e2.via_isp_relay, e1.via_isp_relay);
    assert!(e2.via_open_relay < e1.via_open_relay);
    assert_eq!(era(2).sources["ken-roaming"].delivered, 0, "the roaming user is locked out");
}

#[test]
fn era3_pop_before_smtp_lets_roaming_users_and_their_nat_neighbours_relay() {
    let (e2, e3) = (era(2), era(3));
    assert!(e3.sources["ken-roaming"].delivered > 0 && e2.sources["ken-roaming"].delivered == 0);
    // The send-first mail client gets through on its next cycle.
    assert!(e3.sources["mika-roaming"].delivered > 0 && e2.sources["mika-roaming"].delivered == 0);
    assert!(e3.source_delay_s["mika-roaming"].median >= 600.0, "one Outbox cycle late");
    // The leak: the hotel guest's laptop relays from Ken's NAT address.
    assert_eq!(e2.sources["spam-hotel"].delivered, 0);
    assert!(e3.sources["spam-hotel"].delivered > 0);
    assert!(e3.nodes["relay-a"].pop_logins > 0);
}

#[test]
fn era3_the_next_holder_of_a_reassigned_dynamic_address_relays_on_the_previous_ones_login() {
    let e3 = &eras()[2];
    let inherited: Vec<MsgId> = e3.dialup_relayed.iter().filter(|(_, other)| *other).map(|(m, _)| *m).collect();
    assert!(!inherited.is_empty(), "the dial-up bot relays on another customer's POP login");
    // Locked out before POP-before-SMTP (its address is not ISP A's)...
    assert_eq!(era(2).sources["spam-dialup"].delivered, 0);
    assert!(e3.report.sources["spam-dialup"].delivered > 0);
    // ...and again from SMTP-AUTH on: each session must log in itself.
    for n in 4..=7 {
        assert_eq!(era(n).sources["spam-dialup"].delivered, 0, "era {n}");
        assert!(eras()[n - 1].dialup_relayed.is_empty(), "era {n}");
    }
    // The dial-up customers themselves send in eras 3 and 4, not in era 2.
    assert_eq!(era(2).sources["dialup-users"].delivered, 0);
    assert!(e3.report.sources["dialup-users"].delivered > 0 && era(4).sources["dialup-users"].delivered > 0);
    // The narration points at one such message.
    let (_, msg) = e3.fired_msgs.iter().find(|(id, _)| id == "reassigned-leak").expect("the step fires");
    assert!(inherited.contains(&msg.expect("an Accepted step names its message")), "{msg:?} of {inherited:?}");
}

#[test]
fn era4_smtp_auth_closes_the_leak_but_a_weak_password_is_abused() {
    let (e3, e4) = (era(3), era(4));
    assert_eq!(e4.sources["spam-hotel"].delivered, 0, "each session must log in itself");
    assert!(e4.sources["ken-roaming"].delivered > 0 && e4.sources["mika-roaming"].delivered > 0);
    assert!(e4.nodes["relay-a"].auth_ok > 0);
    assert!(e4.sources["spam-stolen-auth"].delivered > 0, "stolen password relays");
    assert!(e4.mail["spam"].via_isp_relay < e3.mail["spam"].via_isp_relay);
    assert_eq!(e4.mail["spam"].via_isp_relay, e4.sources["spam-stolen-auth"].delivered, "only the stolen account");
    // Displacement: relaying spam software moves to the last open relay.
    assert!(e4.mail["spam"].via_open_relay > e3.mail["spam"].via_open_relay);
    assert!(e4.nodes["relay-univ"].relayed > e3.nodes["relay-univ"].relayed);
}

#[test]
fn era5_op25b_stops_direct_spam_from_its_isps_and_displaces_it() {
    let (e4, e5) = (era(4), era(5));
    for isp in ["pop-a", "pop-b"] {
        assert!(e4.spam_origins[isp].delivered_direct > 0, "{isp} reached MXes directly before OP25B");
        assert_eq!(e5.spam_origins[isp].delivered_direct, 0, "{isp}: OP25B");
    }
    assert!(e5.spam_origins["pop-c"].delivered_direct > 0, "ISP C has no OP25B: displacement");
    assert!(e5.nodes["router-a"].dropped > 0);
    // The home worker on port 25 is blocked like a bot (he moves to 587 in era 6).
    assert!(e4.sources["hiro-home"].delivered > 0);
    assert_eq!(e5.sources["hiro-home"].delivered, 0);
    assert!(era(6).sources["hiro-home"].delivered > 0);
    // Authenticated spam through the own ISP's relay is not blocked.
    assert!(e5.sources["spam-stolen-auth"].delivered > 0);
}

#[test]
fn era6_spf_cuts_backscatter_breaks_forwarding_and_passes_the_spammers_own_domain() {
    let (e5, e6) = (era(5), era(6));
    let bs = |r: &Report| r.mail["backscatter"].counts.delivered;
    assert!(bs(e6) < bs(e5), "{} vs {}", bs(e6), bs(e5));
    assert!(e6.nodes["mx-co"].spf.get("fail").copied().unwrap_or(0) > 0);
    // A forwarded mail fails SPF at the company MX.
    assert!(e5.sources["to-prof"].delivered > 0);
    assert_eq!(e6.sources["to-prof"].delivered, 0);
    assert!(e6.sources["to-prof"].rejected > 0);
    // The spammer's own domain has a valid record: its spam passes.
    assert!(e6.sources["spam-own-domain"].delivered > 0);
    assert_eq!(e6.sources["spam-own-domain"].delivered, e6.sources["spam-own-domain"].sent);
}

#[test]
fn era7_greylisting_delays_legit_mail_and_loses_what_is_never_retried() {
    let (e6, e7) = (era(6), era(7));
    let median = |r: &Report| r.mail["legit"].delay_s.median;
    assert!(median(e7) > median(e6), "{} vs {}", median(e7), median(e6));
    assert!(median(e7) >= 300.0, "postgrey's 5 minutes");
    // Fire-and-forget spam software loses; retrying spam gets through, late.
    assert!(e6.sources["spam-isp-c"].delivered > 0);
    assert_eq!(e7.sources["spam-isp-c"].delivered, 0);
    assert!(e7.sources["spam-isp-c"].lost > 0);
    assert!(e7.sources["spam-isp-c-retrying"].delivered > 0);
    assert!(e7.source_delay_s["spam-isp-c-retrying"].median >= 300.0);
    // The pool sender retries from other /24s and waits longer than a one-address sender.
    assert!(e7.source_delay_s["bigmail-users"].max > e7.source_delay_s["alice"].max);
    // The shop's server never retries: it loses mail.
    assert_eq!(e6.sources["shop-orders"].lost, 0);
    assert!(e7.sources["shop-orders"].lost > 0);
}

#[test]
fn every_step_of_every_era_fires_in_english_and_japanese() {
    for (e, f) in eras().iter().zip(ERAS) {
        let steps = &e.scenario.narration;
        assert!(steps.len() >= 4, "{f}: a lesson has several steps");
        assert!(steps.iter().any(|s| s.predict.is_some()), "{f}: at least one prediction");
        let all: Vec<String> = steps.iter().map(|s| s.id.clone()).collect();
        assert_eq!(e.fired, all, "{f}: every step fires, in order");
        for s in steps {
            for lang in ["en", "ja"] {
                assert!(s.title.0.contains_key(lang) && s.text.0.contains_key(lang), "{f}: {} in {lang}", s.id);
            }
            assert!(e.text_en.contains(s.title.get("en")), "{f}: {}", s.id);
            assert!(e.text_ja.contains(s.title.get("ja")), "{f}: {}", s.id);
            if let Some(p) = &s.predict {
                assert!(e.text_ja.contains(p.explanation.get("ja")), "{f}: the answer is revealed");
                assert!(p.choices.iter().all(|c| c.0.contains_key("ja")));
            }
        }
        assert!(!e.text_en.contains("Not reached") && !e.text_ja.contains("Not reached"));
        // Japanese text really is Japanese.
        assert!(e.text_ja.chars().any(|c| ('\u{3040}'..='\u{30ff}').contains(&c)), "{f}");
    }
}

#[test]
fn every_step_of_every_example_fires() {
    for f in [
        "scenarios/examples/relay-chain.ron",
        "scenarios/examples/backscatter.ron",
        "scenarios/examples/mx-outage.ron",
        "scenarios/examples/greylisting-edge-cases.ron",
    ] {
        let s = common::load(f);
        assert!(!s.narration.is_empty(), "{f} is narrated");
        let opts = RunOptions::new(s.seed).transcripts(false).trace(true);
        let n = narrate::run(s.clone(), opts, None, &Languages::All).unwrap();
        let ids: Vec<&str> = n.fired.iter().map(|f| f.id.as_str()).collect();
        let all: Vec<&str> = s.narration.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, all, "{f}");
        assert!(n.fired.iter().all(|f| f.action_error.is_none()), "{f}");
    }
}

#[test]
fn narration_steps_fire_in_time_order() {
    for (e, f) in eras().iter().zip(ERAS) {
        let times: Vec<&str> =
            e.text_en.lines().filter(|l| l.starts_with("[+")).map(|l| &l[..l.find(']').unwrap()]).collect();
        assert!(times.len() > e.fired.len(), "{f}");
        let set: BTreeSet<_> = e.fired.iter().collect();
        assert_eq!(set.len(), e.fired.len(), "{f}: each step fires once");
    }
}

#[cfg(feature = "cli")]
#[test]
fn the_cli_narrates_in_japanese_and_puts_steps_in_the_json() {
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_relaysim"))
            .args(args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .unwrap()
    };
    let out = run(&["run", "scenarios/examples/backscatter.ron", "--narrate", "--lang", "ja"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("辞書攻撃") && text.contains("Answer to step 1"), "{text}");
    assert!(text.contains("mail ") && text.contains("sent"), "the results follow the narration");
    let out = run(&["run", "scenarios/examples/backscatter.ron", "--narrate", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    assert_eq!(v["narration"].as_array().unwrap().len(), 5);
    assert_eq!(v["narration"][3]["id"], "verify-on");
    // An era through the binary, both languages at once.
    let out = run(&["run", "scenarios/history/07-greylisting.ron", "--narrate", "--lang", "all"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let headers = text.lines().filter(|l| l.starts_with("[+") && l.contains("] step ")).count();
    assert_eq!(headers, common::load("scenarios/history/07-greylisting.ron").narration.len());
    assert!(!text.contains("Not reached"));
    assert!(text.contains("[en] # Come back in five minutes") && text.contains("[ja] # 5分後にまた来てください"));
    // The message a step names is the same message in `show --narrate`.
    let id = v["narration"][4]["msg"].as_u64().expect("the refused spam");
    let shown = run(&["show", "scenarios/examples/backscatter.ron", "--narrate", "--message", &id.to_string()]);
    let shown = String::from_utf8(shown.stdout).unwrap();
    assert!(shown.contains("(spam)") && shown.contains("User unknown"), "{shown}");
    let plain = run(&["run", "scenarios/examples/backscatter.ron", "--format", "json"]);
    let p: serde_json::Value = serde_json::from_slice(&plain.stdout).unwrap();
    assert!(p.get("narration").is_none(), "plain runs keep their JSON shape");
}
