#![allow(dead_code)]
//! The engine queue as it was before the radix heap (a binary heap of 24-byte
//! entries and a payload slab), kept only as the benchmark's reference.
//! Original notes follow.
//!
//! The discrete-event queue at the heart of the simulator.
//!
//! Heads up: everything else in `sim/` assumes three properties from this file,
//! so keep them when optimising it:
//! 1. Events come out ordered by `(time, insertion sequence)`: two events at the
//!    same millisecond leave in the order they were scheduled, so a run never
//!    depends on heap internals (the nexosim / SimCore rule).
//! 2. Nothing may be scheduled before `now` ([`ScheduleError::InPast`]).
//! 3. Cancellation is lazy: a cancelled event stays in the heap and is skipped
//!    when it surfaces, so cancelling costs O(1).
//!
//! Heap entries are small `Copy` values; payloads live apart in a slab whose
//! slots carry a generation, so a stale entry or key can never reach a reused slot.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

type SimTime = u64;

/// Refusals of [`EventQueue::schedule`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScheduleError {
    InPast { at: SimTime, now: SimTime },
}

/// Names a scheduled event so that it can be cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EventKey {
    slot: u32,
    generation: u32,
}

/// What the heap holds: 24 bytes, ordered by time then sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Entry {
    time: SimTime,
    seq: u64,
    slot: u32,
    generation: u32,
}

struct Slot<P> {
    generation: u32,
    payload: Option<P>,
}

/// A priority queue of future events with payloads of type `P`.
pub struct EventQueue<P> {
    heap: BinaryHeap<Reverse<Entry>>,
    slots: Vec<Slot<P>>,
    free: Vec<u32>,
    next_seq: u64,
    now: SimTime,
    live: usize,
    popped: u64,
}

impl<P> Default for EventQueue<P> {
    fn default() -> Self {
        Self::new()
    }
}

impl<P> EventQueue<P> {
    pub fn new() -> Self {
        Self::with_capacity(0)
    }

    pub fn with_capacity(n: usize) -> Self {
        EventQueue {
            heap: BinaryHeap::with_capacity(n),
            slots: Vec::with_capacity(n),
            free: Vec::new(),
            next_seq: 0,
            now: 0,
            live: 0,
            popped: 0,
        }
    }

    /// The time of the last event taken out (the simulation clock).
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// Events scheduled and neither taken out nor cancelled.
    pub fn pending(&self) -> usize {
        self.live
    }

    /// Events taken out so far.
    pub fn popped(&self) -> u64 {
        self.popped
    }

    /// Schedules `payload` at absolute time `at`.
    pub fn schedule(&mut self, at: SimTime, payload: P) -> Result<EventKey, ScheduleError> {
        if at < self.now {
            return Err(ScheduleError::InPast { at, now: self.now });
        }
        let slot = match self.free.pop() {
            Some(i) => {
                self.slots[i as usize].payload = Some(payload);
                i
            }
            None => {
                self.slots.push(Slot { generation: 0, payload: Some(payload) });
                (self.slots.len() - 1) as u32
            }
        };
        let generation = self.slots[slot as usize].generation;
        self.heap.push(Reverse(Entry { time: at, seq: self.next_seq, slot, generation }));
        self.next_seq += 1;
        self.live += 1;
        Ok(EventKey { slot, generation })
    }

    /// Schedules `payload` `delay` milliseconds from now (never in the past).
    pub fn schedule_in(&mut self, delay: SimTime, payload: P) -> EventKey {
        let at = self.now.saturating_add(delay);
        match self.schedule(at, payload) {
            Ok(k) => k,
            // `at >= now` by construction.
            Err(_) => unreachable!("schedule_in computed a time before now"),
        }
    }

    /// Cancels a pending event; returns its payload if it was still pending.
    pub fn cancel(&mut self, key: EventKey) -> Option<P> {
        let slot = self.slots.get_mut(key.slot as usize)?;
        if slot.generation != key.generation {
            return None;
        }
        let p = slot.payload.take()?;
        slot.generation = slot.generation.wrapping_add(1);
        self.free.push(key.slot);
        self.live -= 1;
        Some(p)
    }

    /// The time of the next live event, if any.
    pub fn peek_time(&mut self) -> Option<SimTime> {
        while let Some(Reverse(e)) = self.heap.peek().copied() {
            if self.is_live(&e) {
                return Some(e.time);
            }
            self.heap.pop();
        }
        None
    }

    /// Takes out the next event and advances the clock to its time.
    pub fn pop(&mut self) -> Option<(SimTime, P)> {
        while let Some(Reverse(e)) = self.heap.pop() {
            if !self.is_live(&e) {
                continue; // lazily cancelled
            }
            let slot = &mut self.slots[e.slot as usize];
            let p = slot.payload.take()?;
            slot.generation = slot.generation.wrapping_add(1);
            self.free.push(e.slot);
            self.live -= 1;
            self.popped += 1;
            self.now = e.time;
            return Some((e.time, p));
        }
        None
    }

    /// Moves the clock forward to `t` without an event (e.g. the end of a run).
    pub fn advance_to(&mut self, t: SimTime) {
        self.now = self.now.max(t);
    }

    fn is_live(&self, e: &Entry) -> bool {
        let s = &self.slots[e.slot as usize];
        s.generation == e.generation && s.payload.is_some()
    }
}
