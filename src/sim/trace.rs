//! The trace: what happened, in order, for animation and for tests. Recording
//! is optional so that large statistical runs pay nothing for it.

use serde::Serialize;

use super::message::MsgId;
use crate::units::SimTime;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum TraceEvent {
    Injected { msg: MsgId, node: usize },
    HopStarted { msg: MsgId, from: usize, to: usize },
    HopEnded { msg: MsgId, from: usize, to: usize, accepted: bool, result: String },
    Dropped { msg: MsgId, router: usize },
    Delivered { msg: MsgId, node: usize },
    Bounced { msg: MsgId, bounce: MsgId, node: usize },
    Rejected { msg: MsgId },
    Lost { msg: MsgId },
}

#[derive(Debug, Clone, Default)]
pub struct Trace {
    enabled: bool,
    pub events: Vec<(SimTime, TraceEvent)>,
}

impl Trace {
    pub fn new(enabled: bool) -> Self {
        Trace { enabled, events: Vec::new() }
    }
    pub fn is_enabled(&self) -> bool {
        self.enabled
    }
    pub fn push(&mut self, t: SimTime, e: TraceEvent) {
        if self.enabled {
            self.events.push((t, e));
        }
    }
}
