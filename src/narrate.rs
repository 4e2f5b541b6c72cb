//! `relaysim run --narrate`: a lesson as text. Runs the scenario with the
//! [`Narrator`], and writes each step as it fires, with its simulated time,
//! its prediction question and, when the next step fires, the answer.

use std::fmt::Write;

use crate::scenario::{Action, Localized, Scenario, Step, Trigger};
use crate::sim::{Fired, NarrationError, Narrator, RunOptions, Simulation};
use crate::units::{DAY, HOUR, MINUTE, SECOND, SimTime};

/// Which languages to print.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Languages {
    /// One language. It must be written in at least one text of the
    /// narration; a single text that lacks it is shown in English, marked.
    One(String),
    /// Every language the steps are written in, English first.
    All,
}

/// Why a narration cannot be told.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NarrateError {
    /// `--lang xx` where no text of any step is written in `xx`: printing it
    /// all in English instead would hide a typo or a missing translation.
    #[error("no narration text is written in `{lang}`: the narration has {}", available.join(", "))]
    UnknownLanguage { lang: String, available: Vec<String> },
    #[error(transparent)]
    Narration(#[from] NarrationError),
}

impl std::str::FromStr for Languages {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(if s == "all" { Languages::All } else { Languages::One(s.to_string()) })
    }
}

/// Every text of a step: title, text, and the prediction's question, choices and explanation.
fn texts(step: &Step) -> impl Iterator<Item = &Localized> {
    let predict = step
        .predict
        .iter()
        .flat_map(|p| std::iter::once(&p.question).chain(p.choices.iter()).chain(std::iter::once(&p.explanation)));
    [&step.title, &step.text].into_iter().chain(predict)
}

/// The languages the steps are written in, English first.
pub fn languages(steps: &[Step]) -> Vec<String> {
    let mut v: Vec<String> = steps.iter().flat_map(texts).flat_map(Localized::languages).map(str::to_string).collect();
    v.sort_by_key(|l| (l != "en", l.clone()));
    v.dedup();
    v
}

impl Languages {
    /// The language codes to print; an error for a language no text has
    /// (a narration without steps has nothing to translate: any is fine).
    pub fn codes(&self, steps: &[Step]) -> Result<Vec<String>, NarrateError> {
        let available = languages(steps);
        match self {
            Languages::One(l) if steps.is_empty() || available.contains(l) => Ok(vec![l.clone()]),
            Languages::One(l) => Err(NarrateError::UnknownLanguage { lang: l.clone(), available }),
            Languages::All => Ok(available),
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
/// The language is checked before anything runs.
pub fn run(
    scenario: Scenario,
    opts: RunOptions,
    until: Option<SimTime>,
    lang: &Languages,
) -> Result<Narrated, NarrateError> {
    lang.codes(&scenario.narration)?;
    let end = until.unwrap_or(scenario.duration.0);
    // Event triggers read the trace: a narrated run records it unless every
    // step fires at a time (a lesson of years, era 8, would keep millions
    // of events for nothing). The counts are the same either way.
    let needs_trace = scenario.narration.iter().any(|s| s.trigger.filter().is_some());
    let mut sim = Simulation::new(scenario, opts.trace(needs_trace || opts.trace));
    let mut narrator = Narrator::new(&sim)?;
    let fired = narrator.run_to(&mut sim, end)?;
    let text = render(&sim, narrator.steps(), &fired, lang)?;
    Ok(Narrated { sim, fired, text })
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

/// Texts shown in English because they lack the language asked for.
#[derive(Default)]
struct Fallbacks(usize);

impl Fallbacks {
    /// The text in `lang`, with a mark when it is the English fallback.
    fn get<'a>(&mut self, text: &'a Localized, lang: &str) -> (&'a str, &'static str) {
        if text.0.contains_key(lang) || lang == "en" {
            (text.get(lang), "")
        } else {
            self.0 += 1;
            (text.get(lang), FALLBACK_MARK)
        }
    }
}

/// Marks a text printed in English because it lacks the language asked for.
pub const FALLBACK_MARK: &str = "(en*) ";

fn say(o: &mut String, fb: &mut Fallbacks, indent: &str, langs: &[String], text: &Localized, prefix: &str) {
    for l in langs {
        let tag = if langs.len() > 1 { format!("[{l}] ") } else { String::new() };
        let (t, mark) = fb.get(text, l);
        let mut lines = t.lines();
        let _ = writeln!(o, "{indent}{tag}{prefix}{mark}{}", lines.next().unwrap_or(""));
        for line in lines {
            let _ = writeln!(o, "{indent}{tag}{line}");
        }
    }
}

fn answer(o: &mut String, fb: &mut Fallbacks, langs: &[String], step_no: usize, step: &Step) {
    let Some(p) = &step.predict else { return };
    let _ = writeln!(o, "    Answer to step {step_no}:");
    for l in langs {
        let tag = if langs.len() > 1 { format!("[{l}] ") } else { String::new() };
        let (choice, mark) = p.choices.get(p.answer).map_or(("", ""), |c| fb.get(c, l));
        let _ = writeln!(o, "      {tag}{}) {mark}{choice}", letter(p.answer));
        let (why, mark) = fb.get(&p.explanation, l);
        let _ = writeln!(o, "      {tag}{mark}{why}");
    }
}

/// The lesson as text: steps in the order they fired, then those not reached.
/// A text missing the language asked for is shown in English, marked
/// [`FALLBACK_MARK`], and a last line counts them.
pub fn render(sim: &Simulation, steps: &[Step], fired: &[Fired], lang: &Languages) -> Result<String, NarrateError> {
    let langs = lang.codes(steps)?;
    let mut fb = Fallbacks::default();
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
            answer(&mut o, &mut fb, &langs, f.step, p);
        }
        say(&mut o, &mut fb, "    ", &langs, &step.title, "# ");
        say(&mut o, &mut fb, "    ", &langs, &step.text, "");
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
            say(&mut o, &mut fb, "    ", &langs, &p.question, "Predict: ");
            for (i, c) in p.choices.iter().enumerate() {
                say(&mut o, &mut fb, "      ", &langs, c, &format!("{}) ", letter(i)));
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
        answer(&mut o, &mut fb, &langs, f.step + 1, p);
    }
    let reached = fired.len();
    if reached < total {
        let _ = writeln!(o, "\nNot reached ({} of {total} steps):", total - reached);
        for (i, s) in steps.iter().enumerate().skip(reached) {
            let _ = writeln!(o, "  step {}/{total} · {} (trigger {})", i + 1, s.id, describe(&s.trigger));
        }
    }
    if fb.0 > 0 {
        let missing: Vec<&str> = langs.iter().map(String::as_str).filter(|l| *l != "en").collect();
        let _ = writeln!(
            o,
            "\n{} text(s) have no {} version and are shown in English, marked {}",
            fb.0,
            missing.join("/"),
            FALLBACK_MARK.trim_end()
        );
    }
    Ok(o)
}

fn describe(t: &Trigger) -> String {
    format!("{t:?}")
}
