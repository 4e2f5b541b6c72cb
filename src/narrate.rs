//! `relaysim run --narrate`: a lesson as text. Runs the scenario with the
//! [`Narrator`], and writes each step as it fires, with its simulated time,
//! its prediction question and, when the next step fires, the answer.

use std::fmt::Write;

use crate::scenario::{Action, Localized, Scenario, Step, Trigger};
use crate::sim::{Fired, Narrator, RunOptions, Simulation};
use crate::units::{DAY, HOUR, MINUTE, SECOND, SimTime};

/// Which languages to print.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lang {
    /// One language (English where a text lacks it).
    One(String),
    /// Every language the steps are written in, English first.
    All,
}

impl std::str::FromStr for Lang {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(if s == "all" { Lang::All } else { Lang::One(s.to_string()) })
    }
}

impl Lang {
    fn codes(&self, steps: &[Step]) -> Vec<String> {
        match self {
            Lang::One(l) => vec![l.clone()],
            Lang::All => {
                let mut v: Vec<String> = steps
                    .iter()
                    .flat_map(|s| s.title.languages().chain(s.text.languages()))
                    .map(str::to_string)
                    .collect();
                v.sort_by_key(|l| (l != "en", l.clone()));
                v.dedup();
                v
            }
        }
    }
}

/// A narrated run: the finished simulation, the steps reached and the text.
pub struct Narrated {
    pub sim: Simulation,
    pub fired: Vec<Fired>,
    pub text: String,
}

/// Runs `scenario` to `until` (default: its duration) with its narration.
pub fn run(scenario: Scenario, opts: RunOptions, until: Option<SimTime>, lang: &Lang) -> Narrated {
    let end = until.unwrap_or(scenario.duration.0);
    let mut narrator = Narrator::new(&scenario);
    let mut sim = Simulation::new(scenario, RunOptions { trace: true, ..opts });
    let fired = narrator.run_to(&mut sim, end);
    let text = render(&sim, narrator.steps(), &fired, lang);
    Narrated { sim, fired, text }
}

/// `+HH:MM:SS` from the start (`+1d 02:00:00` past a day; milliseconds when not whole).
pub fn clock(ms: SimTime) -> String {
    let mut s = String::from("+");
    if ms >= DAY {
        let _ = write!(s, "{}d ", ms / DAY);
    }
    let _ = write!(s, "{:02}:{:02}:{:02}", ms % DAY / HOUR, ms % HOUR / MINUTE, ms % MINUTE / SECOND);
    if !ms.is_multiple_of(SECOND) {
        let _ = write!(s, ".{:03}", ms % SECOND);
    }
    s
}

fn letter(i: usize) -> char {
    (b'a' + (i % 26) as u8) as char
}

fn say(o: &mut String, indent: &str, langs: &[String], text: &Localized, prefix: &str) {
    for l in langs {
        let tag = if langs.len() > 1 { format!("[{l}] ") } else { String::new() };
        let mut lines = text.get(l).lines();
        let _ = writeln!(o, "{indent}{tag}{prefix}{}", lines.next().unwrap_or(""));
        for line in lines {
            let _ = writeln!(o, "{indent}{tag}{line}");
        }
    }
}

fn answer(o: &mut String, langs: &[String], step_no: usize, step: &Step) {
    let Some(p) = &step.predict else { return };
    let _ = writeln!(o, "    Answer to step {step_no}:");
    for l in langs {
        let tag = if langs.len() > 1 { format!("[{l}] ") } else { String::new() };
        let choice = p.choices.get(p.answer).map_or("", |c| c.get(l));
        let _ = writeln!(o, "      {tag}{}) {choice}", letter(p.answer));
        let _ = writeln!(o, "      {tag}{}", p.explanation.get(l));
    }
}

/// The lesson as text: steps in the order they fired, then those not reached.
pub fn render(sim: &Simulation, steps: &[Step], fired: &[Fired], lang: &Lang) -> String {
    let langs = lang.codes(steps);
    let mut o = String::new();
    let _ = writeln!(
        o,
        "Narration: {} (seed {}, {} steps, {})\n",
        sim.scenario.name,
        sim.seed,
        steps.len(),
        langs.join("+")
    );
    let total = steps.len();
    let mut prev: Option<&Step> = None;
    for f in fired {
        let step = &steps[f.step];
        let _ = writeln!(o, "[{}] step {}/{total} · {}", clock(f.at), f.step + 1, step.id);
        if let Some(p) = prev {
            answer(&mut o, &langs, f.step, p);
        }
        say(&mut o, "    ", &langs, &step.title, "# ");
        say(&mut o, "    ", &langs, &step.text, "");
        if let Some(m) = f.msg {
            let _ = writeln!(o, "    Message: #{} (relaysim show FILE --narrate --message {})", m.0, m.0);
        }
        let mut focus: Vec<String> = step.focus.nodes.clone();
        if let Some(m) = &step.focus.message {
            focus.push(format!("message {} #{}", m.source, m.index));
        }
        if !focus.is_empty() {
            let _ = writeln!(o, "    Focus: {}", focus.join(", "));
        }
        if let Some(p) = &step.predict {
            say(&mut o, "    ", &langs, &p.question, "Predict: ");
            for (i, c) in p.choices.iter().enumerate() {
                say(&mut o, "      ", &langs, c, &format!("{}) ", letter(i)));
            }
        }
        if let Some(a) = &step.action {
            let what = match a {
                Action::SendMail(m) => format!("send a mail {} -> {}", m.from, m.to),
                Action::SendSpam(m) => format!("send a spam of {} -> {}", m.campaign, m.to),
                Action::Switch(s) => {
                    format!("switch {} {} at {}", s.defense.name(), if s.on { "on" } else { "off" }, s.node)
                }
                Action::Pause => "pause".into(),
            };
            let sent = f.sent.map(|m| format!(" (message #{})", m.0)).unwrap_or_default();
            let err = f.action_error.as_ref().map(|e| format!(" FAILED: {e}")).unwrap_or_default();
            let _ = writeln!(o, "    Action: {what}{sent}{err}");
        }
        prev = Some(step);
    }
    if let (Some(p), Some(f)) = (prev, fired.last()) {
        let _ = writeln!(o, "[{}] end of the narration", clock(sim.now()));
        answer(&mut o, &langs, f.step + 1, p);
    }
    let reached = fired.len();
    if reached < total {
        let _ = writeln!(o, "\nNot reached ({} of {total} steps):", total - reached);
        for (i, s) in steps.iter().enumerate().skip(reached) {
            let _ = writeln!(o, "  step {}/{total} · {} (trigger {})", i + 1, s.id, describe(&s.trigger));
        }
    }
    o
}

fn describe(t: &Trigger) -> String {
    format!("{t:?}")
}
