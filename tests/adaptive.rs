//! Campaigns that adapt: capacity moves toward the channels that work, from
//! what the spam software sees, deterministically; and retry behaviour per
//! host as a mix. Directional tests on era 4's world (not tuned to
//! published numbers).

mod common;

use relaysim::scenario;
use relaysim::sim::channel::Channel;
use relaysim::sim::{Fate, MailClass, RunOptions, Simulation};
use relaysim::units::HOUR;

const ERA4: &str = "scenarios/history/04-smtp-auth.ron";

/// Era 4's world for `days` days, with one more campaign (`campaign`, a
/// `Spam(…)`) and `timeline`.
fn world(days: u32, campaign: &str, timeline: &str) -> String {
    let src = std::fs::read_to_string(common::path(ERA4)).expect("era 4 is readable");
    let src = src.replacen("duration: \"1d\"", &format!("duration: \"{days}d\""), 1);
    let at = src.find("    traffic: [\n").expect("a traffic list") + "    traffic: [\n".len();
    let src = format!("{}        {campaign},\n{}", &src[..at], &src[at..]);
    let at = src.find("\nScenario(").expect("`Scenario(`") + "\nScenario(".len();
    format!("{}\n    timeline: [{timeline}],{}", &src[..at], &src[at..])
}

fn adaptive(channels: &str) -> String {
    format!(
        r#"Spam(id: "adaptive", senders: ["pop-a", "pop-b"], rate: "120/h", strategy: DirectToMx,
             adapt: Adaptive(channels: [{channels}], window: "6h", retool: "12h", explore: 0.05),
             forged_from: ["{{rand}}@deals.example"],
             to: ["bob@company.example", "carol@company.example", "dave@company.example"])"#
    )
}

fn run(src: &str, seed: u64) -> Simulation {
    let s = scenario::parse(src, "adaptive.ron").unwrap_or_else(|e| panic!("should load:\n{e}"));
    let end = s.duration.0;
    relaysim::run(s, RunOptions::new(seed).transcripts(false).keep_messages(true), Some(end))
}

/// Spam of source `source` written in [from, to) hours: (sent, delivered).
fn written(
    sim: &Simulation,
    source: &str,
    from: u64,
    to: u64,
    keep: impl Fn(&Simulation, usize) -> bool,
) -> (u64, u64) {
    let k = sim.scenario.traffic.iter().position(|s| s.id() == source).expect("the source");
    let mut n = (0, 0);
    for (i, m) in sim.messages.iter().enumerate() {
        if m.source == Some(k) && m.created >= from * HOUR && m.created < to * HOUR && keep(sim, i) {
            n.0 += 1;
            n.1 += u64::from(matches!(m.fate, Fate::Delivered { .. }));
        }
    }
    n
}

fn from_isp_a_direct(sim: &Simulation, i: usize) -> bool {
    let m = &sim.messages[i];
    sim.nodes[m.origin].id == "pop-a" && sim.channel_of(m) == Some(Channel::Direct)
}

const OP25B_AT_A: &str = r#"(at: "2d", change: Switch(nodes: Isp("isp-a"), defense: Op25b, on: true))"#;

#[test]
fn with_adaptation_op25b_at_one_isp_moves_its_spam_and_the_total_holds() {
    let sim = run(&world(4, &adaptive(r#"OpenRelays(["relay-univ"]), Direct, StolenAuth"#), OP25B_AT_A), 1);
    let all = |_: &Simulation, _: usize| true;
    let (_, before) = written(&sim, "adaptive", 24, 48, all);
    let (_, after) = written(&sim, "adaptive", 72, 96, all);
    let change = after as f64 / before as f64 - 1.0;
    assert!(change.abs() <= 0.15, "delivered spam {before} the day before, {after} a day after: {change:+.3}");
    // ISP A's direct spam: nothing delivered once OP25B is on, and next to
    // nothing tried once the campaign has retooled.
    let (a_direct_sent, a_direct_delivered) = written(&sim, "adaptive", 49, 96, from_isp_a_direct);
    assert_eq!(a_direct_delivered, 0);
    let (late_direct, _) = written(&sim, "adaptive", 72, 96, from_isp_a_direct);
    let (a_sent, _) = written(&sim, "adaptive", 72, 96, |s, i| s.nodes[s.messages[i].origin].id == "pop-a");
    assert!(a_direct_sent > 0);
    assert!(
        (late_direct as f64) < 0.1 * a_sent as f64,
        "ISP A's direct share after retooling: {late_direct} of {a_sent}"
    );
    // Its capacity went to its own ISP's relay with its owners' passwords.
    let stolen = |s: &Simulation, i: usize| {
        let m = &s.messages[i];
        s.nodes[m.origin].id == "pop-a" && s.channel_of(m) == Some(Channel::StolenAuth)
    };
    let (stolen_before, _) = written(&sim, "adaptive", 24, 48, stolen);
    let (stolen_after, _) = written(&sim, "adaptive", 72, 96, stolen);
    assert!(stolen_after > 2 * stolen_before, "stolen_auth from ISP A: {stolen_before} then {stolen_after}");
}

#[test]
fn a_fixed_campaign_loses_what_op25b_blocks() {
    let fixed = r#"Spam(id: "adaptive", senders: ["pop-a", "pop-b"], rate: "120/h", strategy: DirectToMx,
             forged_from: ["{rand}@deals.example"],
             to: ["bob@company.example", "carol@company.example", "dave@company.example"])"#;
    let sim = run(&world(4, fixed, OP25B_AT_A), 1);
    let all = |_: &Simulation, _: usize| true;
    let (_, before) = written(&sim, "adaptive", 24, 48, all);
    let (_, after) = written(&sim, "adaptive", 72, 96, all);
    assert!((after as f64) < 0.7 * before as f64, "fixed: {before} then {after}");
}

#[test]
fn adaptation_is_deterministic_and_leaves_other_sources_alone() {
    let src = world(3, &adaptive(r#"OpenRelays(["relay-univ"]), Direct, StolenAuth"#), OP25B_AT_A);
    let a = run(&src, 7);
    let b = run(&src, 7);
    let report = relaysim::stats::Report::of;
    assert_eq!(report(&a), report(&b));
    // The other sources send exactly what they send without the adaptive
    // campaign's choices: the same campaign, fixed, gives the same mail
    // from every other source.
    let fixed = src.replace(
        r#"adapt: Adaptive(channels: [OpenRelays(["relay-univ"]), Direct, StolenAuth], window: "6h", retool: "12h", explore: 0.05),"#,
        "",
    );
    let c = run(&fixed, 7);
    let k = a.scenario.traffic.iter().position(|s| s.id() == "adaptive").expect("the campaign");
    let written = |sim: &Simulation| -> Vec<(Option<usize>, u64, usize, u32)> {
        sim.messages
            .iter()
            .filter(|m| m.class != MailClass::Bounce && m.class != MailClass::Backscatter)
            .map(|m| (m.source, m.created, m.origin, m.origin_host))
            .collect()
    };
    let (wa, wc) = (written(&a), written(&c));
    assert_eq!(wa.len(), wc.len(), "the same mail written");
    let mut a_sorted: Vec<_> = wa.iter().filter(|m| m.0 != Some(k)).collect();
    let mut c_sorted: Vec<_> = wc.iter().filter(|m| m.0 != Some(k)).collect();
    a_sorted.sort();
    c_sorted.sort();
    assert_eq!(a_sorted, c_sorted, "every other source writes the same mails at the same times");
}

#[test]
fn a_retry_mix_gives_hosts_their_own_behaviour() {
    let mixed = r#"Spam(id: "adaptive", senders: ["pop-c"], rate: "60/h", strategy: DirectToMx,
             retry_mix: [
                 (share: 0.35, retry: Never),
                 (share: 0.31, retry: Immediate(2)),
                 (share: 0.34, retry: Rfc(min: "5m", max: "30m", lifetime: "1d")),
             ],
             forged_from: ["{rand}@deals.example"],
             to: ["bob@company.example", "carol@company.example", "dave@company.example"])"#;
    // Greylisting at the MX: hosts that never retry lose their mail, hosts
    // that retry too soon are refused again, RFC-like ones get through.
    let grey = r#"(at: "1s", change: Set(nodes: Node("mx-co"), setting: Greylist(delay: "5m", auto_whitelist: 0, lookup_by_host: true)))"#;
    let sim = run(&world(1, mixed, grey), 3);
    let k = sim.scenario.traffic.iter().position(|s| s.id() == "adaptive").expect("the campaign");
    let mine: Vec<_> = sim.messages.iter().filter(|m| m.source == Some(k)).collect();
    let delivered = mine.iter().filter(|m| matches!(m.fate, Fate::Delivered { .. })).count() as f64;
    let share = delivered / mine.len() as f64;
    assert!((0.24..=0.44).contains(&share), "about the RFC-like third gets through greylisting: {share:.2}");
    // Per host, one behaviour: a host whose mail got through after a retry
    // never lost one for lack of retrying.
    let sp = match &sim.scenario.traffic[k] {
        relaysim::scenario::Source::Spam(sp) => sp.clone(),
        _ => unreachable!(),
    };
    for m in &mine {
        let r = relaysim::sim::campaign::retry_mix::pick(&sp.retry_mix, 3, "adaptive", "pop-c", m.origin_host);
        if matches!(r, Some(relaysim::scenario::Retry::Never)) {
            assert!(!matches!(m.fate, Fate::Delivered { .. }), "a host that never retries is greylisted for good");
        }
    }
}

#[test]
fn check_explains_every_mistake_in_a_channel_list() {
    let cases = [
        (adaptive(""), "an adaptive campaign needs at least one channel".to_string()),
        (adaptive("Direct, Direct"), "Direct: is in the list twice".to_string()),
        (adaptive(r#"OpenRelays(["nowhere"])"#), "unknown node `nowhere`".into()),
        (adaptive("OwnServer, Direct"), "none of the senders is a SpammerServer".into()),
        (adaptive("Direct, StolenAuth").replace("0.05", "0.8"), "is not between 0.0 and 0.500".into()),
    ];
    for (campaign, expected) in cases {
        let src = world(1, &campaign, "");
        let line = src.lines().position(|l| l.contains("Spam(id: \"adaptive\"")).expect("the campaign") + 1;
        let problems: Vec<String> = match scenario::parse(&src, "adaptive.ron") {
            Ok(_) => vec![],
            Err(e) => e.problems().iter().map(|p| p.to_string()).collect(),
        };
        assert_eq!(problems.len(), 1, "{campaign}: {problems:?}");
        assert!(problems[0].contains(&expected), "expected `{expected}` in {}", problems[0]);
        let at: usize = problems[0].split(':').nth(1).and_then(|l| l.parse().ok()).expect("a line");
        assert!((line..line + 3).contains(&at), "reported in the campaign (line {line}): {}", problems[0]);
    }
    let mix = r#"Spam(id: "adaptive", senders: ["pop-c"], rate: "60/h", strategy: DirectToMx,
             retry_mix: [(share: 0.5, retry: Never), (share: 0.3, retry: Immediate(2))],
             forged_from: ["{rand}@deals.example"], to: ["bob@company.example"])"#;
    let e = scenario::parse(&world(1, mix, ""), "adaptive.ron").expect_err("shares of 0.8");
    assert!(e.to_string().contains("the shares add up to 0.8"), "{e}");
}

/// The share of delivered spam of the campaign written on day `d` that went out by `channel`.
fn delivered_share(sim: &Simulation, d: u64, channel: Channel) -> f64 {
    let (_, all) = written(sim, "adaptive", 24 * d, 24 * (d + 1), |_, _| true);
    let (_, by) = written(sim, "adaptive", 24 * d, 24 * (d + 1), |s, i| {
        matches!(s.messages[i].fate, Fate::Delivered { .. }) && s.channel_of(&s.messages[i]) == Some(channel)
    });
    by as f64 / all.max(1) as f64
}

#[test]
fn closing_relays_one_by_one_moves_spam_off_them_gradually() {
    let campaign = r#"Spam(id: "adaptive", senders: ["pop-c"], rate: "120/h", strategy: DirectToMx,
             adapt: Adaptive(channels: [OpenRelays(["relay-univ", "relay-a", "relay-b", "bigmail"]), Direct, StolenAuth],
                             window: "6h", retool: "6h", explore: 0.05),
             forged_from: ["{rand}@deals.example"],
             to: ["bob@company.example", "carol@company.example", "dave@company.example"])"#;
    let timeline = r#"
        (at: "1s", change: Switch(nodes: Node("relay-a"), defense: RelayRestriction, on: false)),
        (at: "1s", change: Switch(nodes: Node("relay-b"), defense: RelayRestriction, on: false)),
        (at: "1s", change: Switch(nodes: Node("bigmail"), defense: RelayRestriction, on: false)),
        (at: "1d", change: CloseRelay("relay-univ")),
        (at: "2d", change: CloseRelay("relay-a")),
        (at: "3d", change: CloseRelay("relay-b")),
        (at: "4d", change: CloseRelay("bigmail"))"#;
    let sim = run(&world(6, campaign, timeline), 1);
    let shares: Vec<f64> = (0..6).map(|d| delivered_share(&sim, d, Channel::OpenRelay)).collect();
    assert!(shares[0] > 0.25, "open relays carry their part at first: {shares:?}");
    for d in 1..5 {
        assert!(shares[d] < shares[d - 1], "each closing lowers the open-relay share: {shares:?}");
    }
    for d in 1..4 {
        assert!(shares[d] > 0.1, "gradually, not a cliff, while some relay is open: {shares:?}");
    }
    assert!(shares[4] < 0.02 && shares[5] < 0.02, "nothing through relays once all are closed: {shares:?}");
    let direct: Vec<f64> = (0..6).map(|d| delivered_share(&sim, d, Channel::Direct)).collect();
    assert!(direct[5] > direct[0], "the spam moved to other channels: {direct:?}");
}

#[test]
fn after_op25b_everywhere_stolen_auth_rises() {
    let campaign = r#"Spam(id: "adaptive", senders: ["pop-a", "pop-b", "pop-c"], rate: "120/h", strategy: DirectToMx,
             adapt: Adaptive(channels: [OpenRelays(["relay-univ"]), Direct, StolenAuth], window: "6h", retool: "12h"),
             forged_from: ["{rand}@deals.example"],
             to: ["bob@company.example", "carol@company.example", "dave@company.example"])"#;
    let timeline = r#"(at: "1d", change: Switch(nodes: Kind("Router"), defense: Op25b, on: true))"#;
    let sim = run(&world(3, campaign, timeline), 1);
    let before = delivered_share(&sim, 0, Channel::StolenAuth);
    let after = delivered_share(&sim, 2, Channel::StolenAuth);
    assert!(after > 2.0 * before && after > 0.8, "stolen_auth's share of delivered spam: {before:.2} then {after:.2}");
}
