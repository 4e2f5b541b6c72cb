//! Narration steps in scenario files (checked with positions like every other
//! field), the runner that fires them, and the what-ifs their actions use.

mod common;

use relaysim::scenario::{self, Defense, SendMail, SendSpam};
use relaysim::sim::{Fate, MailClass, Narrator, RunOptions, Simulation, WhatIfError};
use relaysim::units::{HOUR, MINUTE};

fn world(narration: &str) -> String {
    let base = common::small_world(
        "IspNetworks",
        "",
        "",
        r#"Once(id: "m", from: "alice", to: "bob@company.example", at: "1m"),
           Spam(id: "bot", senders: ["bot"], rate: "20/h", strategy: DirectToMx,
                forged_from: ["x@isp-a.example"], to: ["bob@company.example", "nobody@company.example"]),"#,
    );
    let end = base.rfind(')').unwrap();
    format!("{}    narration: [{narration}],\n)", &base[..end])
}

fn problems(narration: &str) -> Vec<String> {
    match scenario::parse(&world(narration), "n.ron") {
        Ok(_) => panic!("should not load"),
        Err(e) => e.problems().iter().map(|p| p.to_string()).collect(),
    }
}

const STEP: &str =
    r#"Step(id: "s", trigger: At("1m"), title: {"en": "T", "ja": "題"}, text: {"en": "x", "ja": "本文"})"#;

#[test]
fn a_narrated_world_loads() {
    let s = common::parse(&world(STEP));
    assert_eq!(s.narration.len(), 1);
    assert_eq!(s.narration[0].title.get("ja"), "題");
    assert_eq!(s.narration[0].title.get("fr"), "T", "English is the fallback");
}

#[test]
fn english_is_required_and_language_codes_are_checked() {
    let p = problems(r#"Step(id: "s", trigger: At("1m"), title: {"ja": "題"}, text: {"en": "x", "JA!": "y"})"#);
    assert_eq!(p.len(), 2, "{p:?}");
    assert!(p[0].contains("title") && p[0].contains("English"), "{}", p[0]);
    assert!(p[1].contains("language `JA!`: is not a language code"), "{}", p[1]);
    assert!(p.iter().all(|m| m.starts_with("n.ron:")));
}

#[test]
fn references_answers_and_times_are_checked_where_they_are_written() {
    let p = problems(
        r#"
        Step(id: "a", trigger: At("7h"), title: {"en": "T"}, text: {"en": "x"},
             focus: Focus(nodes: ["nowhere"])),
        Step(id: "a", trigger: Delivered(source: "nosuch"), title: {"en": "T"}, text: {"en": "x"},
             predict: Predict(question: {"en": "?"}, choices: [{"en": "y"}, {"en": "n"}], answer: 2, explanation: {"en": "."})),
        Step(id: "c", trigger: MessageFinal(source: "m", index: 1), title: {"en": "T"}, text: {"en": "x"},
             action: Switch(node: "mx-co", defense: Op25b, on: true)),
        Step(id: "d", trigger: At("1h"), title: {"en": "T"}, text: {"en": "x"},
             action: SendSpam(campaign: "m", to: "bob@company.example")),"#,
    );
    let all = p.join("\n");
    for want in [
        "7h is after the end of the scenario",
        "unknown node `nowhere`",
        "duplicate step id `a`",
        "unknown message source `nosuch`",
        "2 is not the index of a choice",
        "`m` sends a single mail: use index 0",
        "`mx-co` is a Mx node, but a Router is expected",
        "unknown spam campaign `m`",
    ] {
        assert!(all.contains(want), "missing {want:?} in:\n{all}");
    }
    // Each at its own line, in file order.
    let lines: Vec<usize> = p.iter().map(|m| m.split(':').nth(1).unwrap().parse().unwrap()).collect();
    assert!(lines.windows(2).all(|w| w[0] <= w[1]), "{lines:?}");
    assert!(lines[0] > 30, "positions point into the narration, not the top: {lines:?}");
}

#[test]
fn a_step_can_wait_only_for_mail_sent_by_an_earlier_step() {
    let p = problems(
        r#"
        Step(id: "wait", trigger: MessageDelivered(source: "send"), title: {"en": "T"}, text: {"en": "x"}),
        Step(id: "send", trigger: At("1h"), title: {"en": "T"}, text: {"en": "x"},
             action: SendMail(from: "alice", to: "bob@company.example")),"#,
    );
    assert!(p[0].contains("is a later step"), "{p:?}");
    common::parse(&world(
        r#"
        Step(id: "send", trigger: At("1h"), title: {"en": "T"}, text: {"en": "x"},
             action: SendMail(from: "alice", to: "bob@company.example")),
        Step(id: "wait", trigger: MessageDelivered(source: "send"), title: {"en": "T"}, text: {"en": "x"}),"#,
    ));
}

fn sim_of(narration: &str) -> Simulation {
    let s = common::parse(&world(narration));
    Simulation::new(s, RunOptions::new(2).transcripts(true).trace(true))
}

#[test]
fn steps_fire_in_order_at_their_times_and_events_and_actions_run() {
    let mut sim = sim_of(
        r#"
        Step(id: "start", trigger: At("30s"), title: {"en": "T"}, text: {"en": "x"}),
        Step(id: "alice-in", trigger: MessageDelivered(source: "m"), title: {"en": "T"}, text: {"en": "x"}),
        Step(id: "later", trigger: After("10m"), title: {"en": "T"}, text: {"en": "x"},
             action: SendMail(from: "alice", to: "bob@company.example", subject: "What if?")),
        Step(id: "sent-in", trigger: MessageDelivered(source: "later"), title: {"en": "T"}, text: {"en": "x"}),
        Step(id: "spam-in", trigger: Delivered(class: Spam, node: "mx-co"), title: {"en": "T"}, text: {"en": "x"}),
        Step(id: "pause", trigger: After("1m"), title: {"en": "T"}, text: {"en": "x"}, action: Pause),"#,
    );
    let mut n = Narrator::new(&sim).unwrap();
    let fired = n.run_to(&mut sim, 6 * HOUR).unwrap();
    let ids: Vec<&str> = fired.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(ids, ["start", "alice-in", "later", "sent-in", "spam-in", "pause"]);
    assert_eq!(fired[0].at, 30_000, "a time trigger fires at its exact time");
    let alice = &sim.messages[0];
    assert!(matches!(alice.fate, Fate::Delivered { at, .. } if at == fired[1].at));
    assert_eq!(fired[2].at, fired[1].at + 10 * MINUTE, "After counts from the previous step");
    let sent = fired[2].sent.expect("the action sent a mail");
    let m = &sim.messages[sent.0 as usize];
    assert_eq!((m.subject(), m.created), ("What if?", fired[2].at));
    assert!(matches!(m.fate, Fate::Delivered { at, .. } if at == fired[3].at));
    assert!(fired.windows(2).all(|w| w[0].at <= w[1].at));
    assert!(fired[5].pause && !fired[4].pause);
    assert!(n.is_done());
    assert_eq!(n.fired().len(), 6);
    assert_eq!(sim.now(), 6 * HOUR, "the run goes on to the end after the last step");
}

#[test]
fn the_same_narrated_run_twice_is_identical() {
    let go = || {
        let mut sim = sim_of(STEP);
        let mut n = Narrator::new(&sim).unwrap();
        let f = n.run_to(&mut sim, 6 * HOUR).unwrap();
        (f, relaysim::stats::Report::of(&sim))
    };
    assert_eq!(go(), go());
}

#[test]
fn switching_recipient_verification_on_ends_backscatter_from_then_on() {
    let s = common::load("scenarios/examples/backscatter.ron");
    let mut sim = Simulation::new(s, RunOptions::new(0).transcripts(false).trace(true));
    let mut n = Narrator::new(&sim).unwrap();
    let fired = n.run_to(&mut sim, 2 * HOUR).unwrap();
    let switch = fired.iter().find(|f| f.id == "verify-on").expect("the switch step fires").at;
    let bounces: Vec<_> = sim.messages.iter().filter(|m| m.class == MailClass::Backscatter).collect();
    assert!(bounces.iter().any(|b| b.created < switch), "backscatter before the switch");
    assert!(bounces.iter().all(|b| b.created < switch + MINUTE), "none after (but mail already in flight)");
    assert_eq!(sim.defense_on("mx-co", Defense::VerifyRecipients), Some(true));
}

#[test]
fn what_ifs_switch_defenses_and_refuse_what_cannot_apply() {
    let mut sim = sim_of(STEP);
    assert_eq!(sim.defense_on("mx-co", Defense::Greylist), Some(false));
    sim.set_defense("mx-co", Defense::Greylist, true).unwrap();
    assert_eq!(sim.defense_on("mx-co", Defense::Greylist), Some(true));
    sim.set_defense("edge-a", Defense::Op25b, true).unwrap();
    assert_eq!(sim.defense_on("edge-a", Defense::Op25b), Some(true));
    sim.set_defense("relay-a", Defense::RelayRestriction, false).unwrap();
    assert_eq!(sim.defense_on("relay-a", Defense::RelayRestriction), Some(false));
    assert!(matches!(sim.set_defense("edge-a", Defense::Spf, true), Err(WhatIfError::NotApplicable { .. })));
    assert!(matches!(sim.set_defense("relay-a", Defense::PopBeforeSmtp, true), Err(WhatIfError::NoSettings { .. })));
    assert_eq!(sim.set_defense("nope", Defense::Spf, true), Err(WhatIfError::UnknownNode("nope".into())));
    // With greylisting on, a spam that never retries is lost; OP25B keeps
    // the bot from the MX altogether.
    sim.set_defense("edge-a", Defense::Op25b, false).unwrap();
    let spam =
        sim.send_spam(&SendSpam { campaign: "bot".into(), to: "bob@company.example".into(), forged_from: None }, 0);
    let legit = sim.send_mail(
        &SendMail { from: "alice".into(), to: "bob@company.example".into(), sender: None, subject: None },
        MINUTE,
    );
    sim.run_until(HOUR);
    let (spam, legit) = (spam.unwrap(), legit.unwrap());
    assert!(
        matches!(sim.messages[spam.0 as usize].fate, Fate::Lost { .. }),
        "{:?}",
        sim.messages[spam.0 as usize].fate
    );
    assert!(matches!(sim.messages[legit.0 as usize].fate, Fate::Delivered { .. }), "the relay retries after 5 minutes");
    assert!(sim.messages[legit.0 as usize].headers().iter().any(|h| h.starts_with("X-Greylist")));
    assert!(matches!(
        sim.send_mail(
            &SendMail { from: "alice".into(), to: "bob@company.example".into(), sender: None, subject: None },
            0
        ),
        Err(WhatIfError::InPast { .. })
    ));
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(24))]

    /// Time triggers fire at exactly their times, in order, whatever the mix
    /// of `At` (absolute; at once when already past) and `After` (relative).
    #[test]
    fn time_triggers_fire_at_their_exact_times(
        steps in proptest::collection::vec((proptest::bool::ANY, 0u64..120), 1..8),
        seed in 0u64..1000,
    ) {
        let text: Vec<String> = steps
            .iter()
            .enumerate()
            .map(|(i, (abs, m))| {
                let trig = if *abs { format!(r#"At("{m}m")"#) } else { format!(r#"After("{m}m")"#) };
                format!(r#"Step(id: "s{i}", trigger: {trig}, title: {{"en": "T"}}, text: {{"en": "x"}}),"#)
            })
            .collect();
        let s = common::parse(&world(&text.join("\n")));
        let mut sim = Simulation::new(s, RunOptions::new(seed).transcripts(false).trace(true));
        let mut n = Narrator::new(&sim).unwrap();
        let fired = n.run_to(&mut sim, 6 * HOUR).unwrap();
        let mut last = 0;
        // Steps due after the end of the run (6 h) are not reached.
        let expected: Vec<u64> = steps
            .iter()
            .map(|(abs, m)| {
                last = if *abs { (m * MINUTE).max(last) } else { last + m * MINUTE };
                last
            })
            .take_while(|t| *t <= 6 * HOUR)
            .collect();
        let got: Vec<u64> = fired.iter().map(|f| f.at).collect();
        proptest::prop_assert_eq!(got, expected);
    }
}

// ----- languages ---------------------------------------------------------------

#[test]
fn a_language_no_text_has_is_an_error_naming_those_written() {
    use relaysim::narrate::{self, Languages, NarrateError};
    let s = common::parse(&world(
        r#"Step(id: "a", trigger: At("1m"), title: {"en": "One", "ja": "一"}, text: {"en": "x", "ja": "エックス"}),"#,
    ));
    let opts = RunOptions::new(0).transcripts(false).trace(true);
    let err = narrate::run(s.clone(), opts, None, &Languages::One("fr".into())).err().expect("no step is in French");
    assert_eq!(err, NarrateError::UnknownLanguage { lang: "fr".into(), available: vec!["en".into(), "ja".into()] });
    assert_eq!(err.to_string(), "no narration text is written in `fr`: the narration has en, ja");
    assert!(narrate::run(s, opts, None, &Languages::One("ja".into())).is_ok());
}

/// Through the binary: exit status 1, the error on stderr, nothing on stdout.
#[cfg(feature = "cli")]
#[test]
fn the_cli_refuses_a_language_no_text_has() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_relaysim"))
        .args(["run", "scenarios/examples/backscatter.ron", "--narrate", "--lang", "xx"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("scenarios/examples/backscatter.ron: no narration text is written in `xx`"), "{err}");
    assert!(err.contains("en, ja"), "{err}");
    assert!(out.stdout.is_empty());
}

#[test]
fn a_single_text_missing_the_language_is_shown_in_english_and_marked() {
    use relaysim::narrate::{self, FALLBACK_MARK, Languages};
    // The title is translated, the text is not.
    let s = common::parse(&world(
        r#"Step(id: "a", trigger: At("1m"), title: {"en": "One", "ja": "一"}, text: {"en": "Only in English"}),"#,
    ));
    let opts = RunOptions::new(0).transcripts(false).trace(true);
    let n = narrate::run(s.clone(), opts, None, &Languages::One("ja".into())).unwrap();
    assert!(n.text.contains("    # 一\n"), "{}", n.text);
    assert!(n.text.contains(&format!("    {FALLBACK_MARK}Only in English\n")), "{}", n.text);
    assert!(n.text.contains("1 text(s) have no ja version and are shown in English, marked (en*)"), "{}", n.text);
    // English itself is never marked, and `all` marks the missing Japanese.
    let en = narrate::run(s.clone(), opts, None, &Languages::One("en".into())).unwrap().text;
    assert!(!en.contains(FALLBACK_MARK) && !en.contains("shown in English"), "{en}");
    let all = narrate::run(s, opts, None, &Languages::All).unwrap().text;
    assert!(all.contains(&format!("[ja] {FALLBACK_MARK}Only in English")), "{all}");
}

// ----- the trace ---------------------------------------------------------------

#[test]
fn event_triggers_without_a_trace_are_an_error_not_a_silent_never() {
    use relaysim::sim::NarrationError;
    let s = common::parse(&world(
        r#"
        Step(id: "start", trigger: At("30s"), title: {"en": "T"}, text: {"en": "x"}),
        Step(id: "spam-in", trigger: Delivered(class: Spam), title: {"en": "T"}, text: {"en": "x"}),"#,
    ));
    let untraced = || Simulation::new(s.clone(), RunOptions::new(2).transcripts(false));
    let no_trace = NarrationError::NoTrace { step: "spam-in".into() };
    assert_eq!(Narrator::new(&untraced()).err(), Some(no_trace.clone()));
    assert!(no_trace.to_string().contains(".trace(true)"), "{no_trace}");

    // A narrator made for a traced run cannot be driven on an untraced one.
    let traced = Simulation::new(s.clone(), RunOptions::new(2).transcripts(false).trace(true));
    let mut n = Narrator::new(&traced).unwrap();
    let mut sim = untraced();
    assert_eq!(n.poll(&mut sim), Err(no_trace.clone()));
    assert_eq!(n.advance(&mut sim, HOUR), Err(no_trace.clone()));
    assert_eq!(n.run_to(&mut sim, HOUR), Err(no_trace));
    assert!(n.fired().is_empty(), "nothing fired, nothing silently skipped");

    // Time and message triggers need no trace.
    let timed = common::parse(&world(
        r#"
        Step(id: "start", trigger: At("30s"), title: {"en": "T"}, text: {"en": "x"}),
        Step(id: "in", trigger: MessageDelivered(source: "m"), title: {"en": "T"}, text: {"en": "x"}),"#,
    ));
    let mut sim = Simulation::new(timed.clone(), RunOptions::new(2).transcripts(false).keep_messages(true));
    let fired = Narrator::new(&sim).unwrap().run_to(&mut sim, HOUR).unwrap();
    assert_eq!(fired.len(), 2);
    // A plain statistical run folds finished messages: a message trigger says so.
    let folding = Simulation::new(timed, RunOptions::new(2).transcripts(false));
    assert_eq!(Narrator::new(&folding).err(), Some(NarrationError::NoMessages { step: "in".into() }));
}

// ----- steps that could never fire ----------------------------------------------

#[test]
fn steps_that_could_never_fire_are_errors_at_their_position() {
    let t = |trigger: &str| format!(r#"Step(id: "s", trigger: {trigger}, title: {{"en": "T"}}, text: {{"en": "x"}}),"#);
    let cases = [
        (t(r#"Dropped(node: "mx-co")"#), "`mx-co` is not a Router: only routers drop connections"),
        (t(r#"Delivered(node: "edge-a")"#), "`edge-a` is not a mail server or mailbox server"),
        (t(r#"Accepted(origin: "internet")"#), "`internet` cannot write mail"),
        (t(r#"Bounced(source: "bot")"#), "a bounce has no traffic source"),
        (t(r#"Bounced(class: Spam)"#), "a bounce is of class Bounce or Backscatter, not Spam"),
        (t(r#"Delivered(source: "m", class: Spam)"#), "`m` sends Legit mail, not Spam"),
        (t(r#"Refused(source: "bot", origin: "alice")"#), "`bot` sends from bot, not `alice`"),
        (t(r#"Greylisted(node: "mx-co")"#), "`mx-co` does not greylist"),
        (t(r#"Greylisted(class: Spam)"#), "no node greylists"),
        (
            r#"Step(id: "s", trigger: At("1m"), title: {"en": "T"}, text: {"en": "x"},
                    action: Switch(node: "mx-co", defense: Spf, on: false)),"#
                .to_string(),
            "switching Spf off: does nothing: it is not on at `mx-co`",
        ),
    ];
    for (step, want) in cases {
        let p = problems(&step);
        assert_eq!(p.len(), 1, "{step}\n{p:?}");
        assert!(p[0].contains(want), "{step}\nwanted {want:?} in {}", p[0]);
        // The position is the step's own line (the narration starts after line 30).
        let line: usize = p[0].split(':').nth(1).unwrap().parse().unwrap();
        assert!(line > 30, "{}", p[0]);
        if !want.contains("no node greylists") && !want.contains("switching") {
            assert!(p[0].contains("the step would never fire"), "{}", p[0]);
        }
    }
    // A source that starts after the end of the scenario (6h) sends nothing.
    let late = common::small_world(
        "IspNetworks",
        "",
        "",
        r#"Once(id: "m", from: "alice", to: "bob@company.example", at: "7h"),
           Spam(id: "bot", senders: ["bot"], rate: "20/h", strategy: DirectToMx, start: "6h",
                forged_from: ["x@isp-a.example"], to: ["bob@company.example"]),"#,
    );
    let late = format!(
        "{}    narration: [{}\n{}],\n)",
        &late[..late.rfind(')').unwrap()],
        t(r#"MessageDelivered(source: "m")"#),
        t(r#"Delivered(source: "bot")"#)
    );
    let p: Vec<String> =
        scenario::parse(&late, "late.ron").unwrap_err().problems().iter().map(|p| p.to_string()).collect();
    let all = p.join("\n");
    assert!(all.contains("source `m`: starts at 7h, not before the end of the scenario (6h)"), "{all}");
    assert!(all.contains("source `bot`: starts at 6h, not before the end of the scenario (6h)"), "{all}");
    assert_eq!(p.iter().filter(|m| m.contains("the step would never fire")).count(), 2, "{all}");

    // The same triggers are fine where they can happen: greylisting switched
    // on by an earlier step, then off again; a bounce by class and node.
    common::parse(&world(
        r#"
        Step(id: "on", trigger: At("1m"), title: {"en": "T"}, text: {"en": "x"},
             action: Switch(node: "mx-co", defense: Greylist, on: true)),
        Step(id: "grey", trigger: Greylisted(node: "mx-co", source: "bot", class: Spam, origin: "bot"), title: {"en": "T"}, text: {"en": "x"}),
        Step(id: "off", trigger: After("1m"), title: {"en": "T"}, text: {"en": "x"},
             action: Switch(node: "mx-co", defense: Greylist, on: false)),
        Step(id: "bs", trigger: Bounced(class: Backscatter, node: "mx-co"), title: {"en": "T"}, text: {"en": "x"}),
        Step(id: "drop", trigger: Dropped(node: "edge-a"), title: {"en": "T"}, text: {"en": "x"}),"#,
    ));
}

#[test]
fn actions_apply_only_in_a_narrated_run() {
    let steps = r#"
        Step(id: "later", trigger: At("10m"), title: {"en": "T"}, text: {"en": "x"},
             action: SendMail(from: "alice", to: "bob@company.example", subject: "What if?")),"#;
    // A plain run (`run`, `compare`) runs the world as written: no step's mail.
    let mut plain = sim_of(steps);
    plain.run_until(6 * HOUR);
    assert!(plain.messages.iter().all(|m| m.subject() != "What if?"), "a plain run sends no step's mail");
    let mut narrated = sim_of(steps);
    let mut n = Narrator::new(&narrated).unwrap();
    n.run_to(&mut narrated, 6 * HOUR).unwrap();
    assert!(narrated.messages.iter().any(|m| m.subject() == "What if?"), "the narrated run sends it");
}
