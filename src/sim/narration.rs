//! The lesson runner: moves a simulation forward and says when the next
//! narration step fires, with its simulated time. The CLI (`run --narrate`)
//! and the GUI drive the same runner, so a lesson checked headless is the
//! lesson the class sees.
//!
//! Steps fire strictly in order. Time triggers fire at their exact time;
//! event triggers read the simulation's trace from where the previous step
//! fired; message triggers look at the named message's fate. Nothing here
//! draws a random number: a narrated run is as reproducible as any other.
//!
//! Event triggers need the simulation built with
//! `RunOptions::new(seed).trace(true)`: without a trace such a step could never fire, so [`Narrator::new`]
//! and every call that moves the lesson on return
//! [`NarrationError::NoTrace`] instead of waiting silently forever. Message
//! triggers need the finished messages, which a traced run keeps (and
//! `RunOptions::keep_messages(true)` does without a trace); a plain
//! statistical run folds them, and gets [`NarrationError::NoMessages`].
//!
//! Two ways to drive it:
//! - headless, to the end: `narrator.run_to(&mut sim, end)` returns every
//!   step fired (what `relaysim run --narrate` prints);
//! - step by step (a GUI): `narrator.advance(&mut sim, limit)` runs the
//!   simulation only until the next step fires (or `limit`), so the lesson can
//!   stop there; or run the simulation yourself and call `narrator.poll(&mut
//!   sim)` after each slice (in a loop: several steps may be due at once).
//!
//! A fired step's action (send a mail, switch a defense) is applied by the
//! narrator itself, through [`Simulation::send_mail`], [`Simulation::send_spam`]
//! and [`Simulation::set_defense`] (the GUI's what-if switches call the last
//! one directly). `Pause` only sets [`Fired::pause`]: pausing is the driver's job.

use std::collections::BTreeMap;

use super::message::{Fate, Holder, MailClass, MsgId};
use super::simulation::Simulation;
use super::trace::TraceEvent;
use crate::scenario::{Action, Class, Match, MsgRef, Scenario, Step, Trigger};
use crate::units::SimTime;

/// Why a lesson cannot go on with a simulation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NarrationError {
    /// A step waits for an event, but the simulation records no trace.
    #[error(
        "narration step `{step}` waits for an event, but the simulation records no trace \
         (build it with `RunOptions::new(seed).trace(true)`): the step could never fire"
    )]
    NoTrace { step: String },
    /// A step waits for a message's fate, but the simulation folds finished
    /// messages into counts (a plain statistical run) and keeps none to look at.
    #[error(
        "narration step `{step}` waits for a message's fate, but the simulation keeps no finished \
         message (build it with `RunOptions::new(seed).keep_messages(true)` or `.trace(true)`)"
    )]
    NoMessages { step: String },
}

/// A step that fired: the record the CLI prints and the GUI shows.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Fired {
    /// Index into the scenario's `narration`.
    pub step: usize,
    pub id: String,
    /// Simulated time (ms from the start) at which it fired.
    pub at: SimTime,
    /// The message whose event fired it (event and message triggers): what
    /// to show the class (`relaysim show --message N`).
    pub msg: Option<MsgId>,
    /// The mail its action sent, if any.
    pub sent: Option<MsgId>,
    /// The step asks to pause (action `Pause`).
    pub pause: bool,
    /// Why its action could not be carried out (a what-if on a node that
    /// cannot take it); the step still counts as reached.
    pub action_error: Option<String>,
}

/// Drives the narration of one run. ([`Default`]: a lesson without steps.)
#[derive(Debug, Clone, Default)]
pub struct Narrator {
    steps: Vec<Step>,
    source_ids: Vec<String>,
    next: usize,
    /// Trace events already looked at.
    cursor: usize,
    /// When the previous step fired (the start for the first).
    last_at: SimTime,
    fired: Vec<Fired>,
    /// Mail sent by step actions, by step id.
    step_mail: BTreeMap<String, MsgId>,
    /// Messages of each traffic source in the order sent, read incrementally.
    by_source: Vec<Vec<MsgId>>,
    scanned: usize,
}

impl Narrator {
    /// The lesson of the simulation's scenario. An error when a step waits
    /// for an event and the simulation records no trace.
    pub fn new(sim: &Simulation) -> Result<Self, NarrationError> {
        let n = Self::of(&sim.scenario);
        n.check_trace(sim)?;
        Ok(n)
    }

    fn of(scenario: &Scenario) -> Self {
        Narrator {
            steps: scenario.narration.clone(),
            source_ids: scenario.traffic.iter().map(|s| s.id().to_string()).collect(),
            next: 0,
            cursor: 0,
            last_at: 0,
            fired: Vec::new(),
            step_mail: BTreeMap::new(),
            by_source: vec![Vec::new(); scenario.traffic.len()],
            scanned: 0,
        }
    }

    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    /// Without a trace, no step still to come may wait for an event.
    fn check_trace(&self, sim: &Simulation) -> Result<(), NarrationError> {
        let ahead = || self.steps.iter().skip(self.next);
        if !sim.keeps_messages()
            && let Some(s) = ahead().find(|s| {
                matches!(s.trigger, Trigger::MessageDelivered(_) | Trigger::MessageFailed(_) | Trigger::MessageFinal(_))
            })
        {
            return Err(NarrationError::NoMessages { step: s.id.clone() });
        }
        if sim.trace.is_enabled() {
            return Ok(());
        }
        match ahead().find(|s| s.trigger.filter().is_some()) {
            Some(s) => Err(NarrationError::NoTrace { step: s.id.clone() }),
            None => Ok(()),
        }
    }

    /// The step waiting to fire.
    pub fn next_step(&self) -> Option<&Step> {
        self.steps.get(self.next)
    }

    /// Every step reached so far, in order.
    pub fn fired(&self) -> &[Fired] {
        &self.fired
    }

    pub fn is_done(&self) -> bool {
        self.next >= self.steps.len()
    }

    /// The message a reference names, once it exists.
    pub fn resolve(&mut self, sim: &Simulation, r: &MsgRef) -> Option<MsgId> {
        if let Some(id) = self.step_mail.get(&r.source) {
            return (r.index == 0).then_some(*id);
        }
        self.scan(sim);
        let k = self.source_ids.iter().position(|s| *s == r.source)?;
        self.by_source[k].get(r.index as usize).copied()
    }

    /// Runs the simulation until the next step fires, or to `limit` if none
    /// does by then. Returns the step fired (its action already applied).
    pub fn advance(&mut self, sim: &mut Simulation, limit: SimTime) -> Result<Option<Fired>, NarrationError> {
        loop {
            if let Some(f) = self.poll(sim)? {
                return Ok(Some(f));
            }
            let Some(step) = self.steps.get(self.next) else {
                sim.run_until(limit);
                return Ok(None);
            };
            let due = match step.trigger {
                Trigger::At(t) => Some(t.0),
                Trigger::After(d) => Some(self.last_at.saturating_add(d.0)),
                _ => None,
            };
            let next_event = sim.next_event_time();
            if let Some(d) = due
                && d <= limit
                && next_event.is_none_or(|e| d < e)
            {
                // Nothing happens before the step's time: move the clock there.
                sim.run_until(d);
                continue;
            }
            match next_event {
                Some(e) if e <= limit => {
                    sim.step_one();
                }
                _ => {
                    sim.run_until(limit);
                    return self.poll(sim);
                }
            }
        }
    }

    /// Runs to `end`, firing every step it can; returns the steps fired.
    pub fn run_to(&mut self, sim: &mut Simulation, end: SimTime) -> Result<Vec<Fired>, NarrationError> {
        let mut out = Vec::new();
        while let Some(f) = self.advance(sim, end)? {
            out.push(f);
        }
        Ok(out)
    }

    /// Fires the next step if what the simulation has done so far triggers
    /// it, without running the simulation (for a GUI that steps it itself).
    pub fn poll(&mut self, sim: &mut Simulation) -> Result<Option<Fired>, NarrationError> {
        self.check_trace(sim)?;
        Ok(self.poll_traced(sim))
    }

    fn poll_traced(&mut self, sim: &mut Simulation) -> Option<Fired> {
        let step = self.steps.get(self.next)?.clone();
        let now = sim.now();
        let events = sim.trace.events.len();
        let mut msg = None;
        let at = match &step.trigger {
            Trigger::At(t) => (t.0 <= now).then(|| t.0.max(self.last_at)),
            Trigger::After(d) => {
                let due = self.last_at.saturating_add(d.0);
                (due <= now).then_some(due)
            }
            Trigger::MessageDelivered(r) | Trigger::MessageFailed(r) | Trigger::MessageFinal(r) => {
                let id = self.resolve(sim, r)?;
                msg = Some(id);
                let fate = &sim.messages[id.0 as usize].fate;
                let (ok, at) = match fate {
                    Fate::Queued => return None,
                    Fate::Delivered { at, .. } => (!matches!(step.trigger, Trigger::MessageFailed(_)), *at),
                    Fate::Rejected { at, .. } | Fate::Lost { at, .. } => {
                        (!matches!(step.trigger, Trigger::MessageDelivered(_)), *at)
                    }
                };
                // A message that ended the other way never fires this step.
                ok.then(|| at.max(self.last_at))
            }
            _ => {
                let found = self.find_event(sim, &step.trigger);
                match found {
                    Some((pos, t, m)) => {
                        self.cursor = pos + 1;
                        msg = Some(m);
                        Some(t.max(self.last_at))
                    }
                    None => {
                        self.cursor = events;
                        None
                    }
                }
            }
        }?;
        if step.trigger.filter().is_none() {
            self.cursor = events;
        }
        Some(self.fire(sim, step, at, msg))
    }

    fn fire(&mut self, sim: &mut Simulation, step: Step, at: SimTime, msg: Option<MsgId>) -> Fired {
        let mut fired =
            Fired { step: self.next, id: step.id.clone(), at, msg, sent: None, pause: false, action_error: None };
        let when = at.max(sim.now());
        match &step.action {
            Some(Action::SendMail(m)) => match sim.send_mail(m, when) {
                Ok(id) => fired.sent = Some(id),
                Err(e) => fired.action_error = Some(e.to_string()),
            },
            Some(Action::SendSpam(m)) => match sim.send_spam(m, when) {
                Ok(id) => fired.sent = Some(id),
                Err(e) => fired.action_error = Some(e.to_string()),
            },
            Some(Action::Switch(s)) => {
                if let Err(e) = sim.set_defense(&s.node, s.defense, s.on) {
                    fired.action_error = Some(e.to_string());
                }
            }
            Some(Action::Pause) => fired.pause = true,
            None => {}
        }
        if let Some(id) = fired.sent {
            self.step_mail.insert(step.id.clone(), id);
        }
        self.next += 1;
        self.last_at = at;
        self.fired.push(fired.clone());
        fired
    }

    /// The first trace event from the cursor on that the trigger matches.
    fn find_event(&mut self, sim: &Simulation, trigger: &Trigger) -> Option<(usize, SimTime, MsgId)> {
        let want = trigger.filter()?;
        for (pos, (t, ev)) in sim.trace.events.iter().enumerate().skip(self.cursor) {
            // (the message the event is about, the node where it happened)
            let hit: Option<(MsgId, Option<usize>)> = match (trigger, ev) {
                (Trigger::Delivered(_), TraceEvent::Delivered { msg, node }) => Some((*msg, Some(*node))),
                (Trigger::Dropped(_), TraceEvent::Dropped { msg, router }) => Some((*msg, Some(*router))),
                (Trigger::Accepted(_), TraceEvent::HopEnded { msg, to, accepted: true, .. }) => Some((*msg, Some(*to))),
                (Trigger::Refused(_), TraceEvent::HopEnded { msg, to, accepted: false, .. }) => Some((*msg, Some(*to))),
                (Trigger::Greylisted(_), TraceEvent::HopEnded { msg, to, accepted: false, result, .. })
                    if result.contains("Greylisted") =>
                {
                    Some((*msg, Some(*to)))
                }
                (Trigger::Bounced(_), TraceEvent::Bounced { bounce, node, .. }) => Some((*bounce, Some(*node))),
                (Trigger::Rejected(_), TraceEvent::Bounced { msg, node, .. }) => Some((*msg, Some(*node))),
                (Trigger::Rejected(_), TraceEvent::Rejected { msg }) => {
                    let node = match &sim.messages[msg.0 as usize].fate {
                        Fate::Rejected { node, .. } => *node,
                        _ => None,
                    };
                    Some((*msg, node))
                }
                (Trigger::Lost(_), TraceEvent::Lost { msg }) => {
                    let node = match sim.messages[msg.0 as usize].holder {
                        Holder::Node(n) => Some(n),
                        Holder::Sender => None,
                    };
                    Some((*msg, node))
                }
                _ => None,
            };
            if let Some((msg, node)) = hit
                && self.matches(sim, want, msg, node)
            {
                return Some((pos, *t, msg));
            }
        }
        None
    }

    fn matches(&self, sim: &Simulation, want: &Match, msg: MsgId, node: Option<usize>) -> bool {
        let Some(m) = sim.messages.get(msg.0 as usize) else { return false };
        if let Some(c) = want.class
            && class_of(c) != m.class
        {
            return false;
        }
        if let Some(src) = &want.source {
            let by_source = m.source.is_some_and(|k| self.source_ids.get(k) == Some(src));
            let by_step = self.step_mail.get(src) == Some(&msg);
            if !by_source && !by_step {
                return false;
            }
        }
        if let Some(o) = &want.origin
            && sim.nodes[m.origin].id != *o
        {
            return false;
        }
        if let Some(n) = &want.node
            && node.is_none_or(|k| sim.nodes[k].id != *n)
        {
            return false;
        }
        true
    }

    fn scan(&mut self, sim: &Simulation) {
        for m in &sim.messages[self.scanned.min(sim.messages.len())..] {
            if let Some(k) = m.source
                && let Some(list) = self.by_source.get_mut(k)
            {
                list.push(m.id);
            }
        }
        self.scanned = sim.messages.len();
    }
}

fn class_of(c: Class) -> MailClass {
    match c {
        Class::Legit => MailClass::Legit,
        Class::Spam => MailClass::Spam,
        Class::Bounce => MailClass::Bounce,
        Class::Backscatter => MailClass::Backscatter,
    }
}
