//! The discrete-event queue at the heart of the simulator.
//!
//! Heads up: everything else in `sim/` assumes two properties from this file,
//! so keep them when optimising it:
//! 1. Events come out ordered by `(time, insertion sequence)`: two events at the
//!    same millisecond leave in the order they were scheduled, so a run never
//!    depends on queue internals (the nexosim / SimCore rule).
//! 2. Nothing may be scheduled before `now` ([`ScheduleError::InPast`]).
//!
//! There is no cancellation: the simulation never takes an event back, so a
//! set of cancelled events would only cost a check on every event taken out.
//!
//! The queue is a radix heap (Ahuja, Mehlhorn, Orlin and Tarjan 1990), which
//! fits a simulation clock exactly: keys are integers and never go below the
//! last one taken out. Bucket `k` holds the events whose time first differs
//! from `last` (the smallest time seen) in bit `k - 1`; bucket 0 holds those
//! at `last` itself, in FIFO order. Taking out refills bucket 0 by spreading
//! the lowest non-empty bucket over the buckets below it, so each event moves
//! at most 64 times in its life and the work is sequential in memory: unlike
//! a binary heap, it keeps its speed at a million pending events (measured in
//! `relaysim bench engine`; see the book's performance page).
//!
//! Equal times stay in insertion order without comparing sequence numbers:
//! events with the same time always sit in the same bucket, every bucket is
//! appended to in insertion order, and a bucket is only ever spread into
//! empty buckets, in its own order.
//!
//! Entries hold their payload inline (no side table, no allocation per event
//! once the buckets have grown).

use std::collections::VecDeque;

use crate::units::SimTime;

/// Refusals of [`EventQueue::schedule`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    #[error("cannot schedule an event at {at} ms: the clock is already at {now} ms")]
    InPast { at: SimTime, now: SimTime },
}

struct Entry<P> {
    time: SimTime,
    seq: u64,
    payload: P,
}

/// A priority queue of future events with payloads of type `P`.
pub struct EventQueue<P> {
    /// Events at time `last`, in insertion order.
    current: VecDeque<Entry<P>>,
    /// `buckets[k - 1]` is bucket `k` (k = 1..=64).
    buckets: Vec<Vec<Entry<P>>>,
    /// Bit `k - 1` set when bucket `k` is not empty.
    occupied: u64,
    /// The smallest time in the queue (or of the last event taken out).
    last: SimTime,
    len: usize,
    next_seq: u64,
    now: SimTime,
    /// `(time, seq)` of the last event taken out: debug builds check that
    /// every event leaves after it (rule 1 above).
    last_out: Option<(SimTime, u64)>,
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

    /// `n` is a hint for how many events will be pending at once.
    pub fn with_capacity(n: usize) -> Self {
        EventQueue {
            current: VecDeque::with_capacity(n.min(1024)),
            buckets: (0..64).map(|_| Vec::new()).collect(),
            occupied: 0,
            last: 0,
            len: 0,
            next_seq: 0,
            now: 0,
            last_out: None,
            popped: 0,
        }
    }

    /// The time of the last event taken out (the simulation clock).
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// Events scheduled and not yet taken out.
    pub fn pending(&self) -> usize {
        self.len
    }

    /// Events taken out so far.
    pub fn popped(&self) -> u64 {
        self.popped
    }

    /// Schedules `payload` at absolute time `at`.
    pub fn schedule(&mut self, at: SimTime, payload: P) -> Result<(), ScheduleError> {
        if at < self.now {
            return Err(ScheduleError::InPast { at, now: self.now });
        }
        if at < self.last {
            // Only after `peek_time` moved `last` past the clock: start the
            // buckets again from `at` (rare, O(n), keeps the order).
            self.rebase(at);
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        self.len += 1;
        self.place(Entry { time: at, seq, payload });
        Ok(())
    }

    /// Schedules `payload` `delay` milliseconds from now (never in the past).
    pub fn schedule_in(&mut self, delay: SimTime, payload: P) {
        let at = self.now.saturating_add(delay);
        match self.schedule(at, payload) {
            Ok(()) => {}
            // `at >= now` by construction.
            Err(_) => unreachable!("schedule_in computed a time before now"),
        }
    }

    /// The time of the next event, if any.
    pub fn peek_time(&mut self) -> Option<SimTime> {
        if !self.refill() {
            return None;
        }
        self.current.front().map(|e| e.time)
    }

    /// Takes out the next event and advances the clock to its time.
    pub fn pop(&mut self) -> Option<(SimTime, P)> {
        if !self.refill() {
            return None;
        }
        let e = self.current.pop_front()?;
        debug_assert!(self.last_out.is_none_or(|last| last < (e.time, e.seq)), "events left out of order");
        self.last_out = Some((e.time, e.seq));
        self.len -= 1;
        self.popped += 1;
        self.now = e.time;
        Some((e.time, e.payload))
    }

    /// Moves the clock forward to `t` without an event (e.g. the end of a run).
    pub fn advance_to(&mut self, t: SimTime) {
        self.now = self.now.max(t);
    }

    /// The bucket of time `t` (`t >= last`).
    #[inline]
    fn bucket_of(&self, t: SimTime) -> usize {
        (64 - (t ^ self.last).leading_zeros()) as usize
    }

    #[inline]
    fn place(&mut self, e: Entry<P>) {
        match self.bucket_of(e.time) {
            0 => self.current.push_back(e),
            k => {
                self.buckets[k - 1].push(e);
                self.occupied |= 1 << (k - 1);
            }
        }
    }

    /// Makes `current` non-empty if any event is left: spreads the lowest
    /// non-empty bucket, whose smallest time becomes `last`.
    fn refill(&mut self) -> bool {
        if !self.current.is_empty() {
            return true;
        }
        if self.occupied == 0 {
            return false;
        }
        let k = self.occupied.trailing_zeros() as usize;
        let mut spread = std::mem::take(&mut self.buckets[k]);
        self.occupied &= !(1 << k);
        self.last = spread.iter().map(|e| e.time).min().unwrap_or(self.last);
        for e in spread.drain(..) {
            self.place(e);
        }
        // Keep the emptied bucket's memory for its next tenants.
        self.buckets[k] = spread;
        true
    }

    /// Lowers `last` to `at` and places every event again, in order.
    fn rebase(&mut self, at: SimTime) {
        let mut all: Vec<Entry<P>> = self.current.drain(..).collect();
        for b in &mut self.buckets {
            all.append(b);
        }
        // Equal times share one bucket in insertion order; a stable sort by
        // time keeps that order.
        all.sort_by_key(|e| e.time);
        self.occupied = 0;
        self.last = at;
        for e in all {
            self.place(e);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn equal_times_leave_in_insertion_order() {
        let mut q = EventQueue::new();
        for i in 0..5 {
            q.schedule(10, i).unwrap();
        }
        q.schedule(5, 99).unwrap();
        let out: Vec<_> = std::iter::from_fn(|| q.pop()).collect();
        assert_eq!(out, vec![(5, 99), (10, 0), (10, 1), (10, 2), (10, 3), (10, 4)]);
    }

    #[test]
    fn the_past_is_refused() {
        let mut q = EventQueue::new();
        q.schedule(100, ()).unwrap();
        q.pop();
        assert_eq!(q.schedule(99, ()), Err(ScheduleError::InPast { at: 99, now: 100 }));
        assert!(q.schedule(100, ()).is_ok());
    }

    proptest! {
        #[test]
        fn pops_are_sorted_stable_and_complete(
            times in proptest::collection::vec(0u64..50, 0..200),
        ) {
            let mut q = EventQueue::new();
            for (i, &t) in times.iter().enumerate() {
                q.schedule(t, i).unwrap();
            }
            let mut expected: Vec<(u64, usize)> = times.iter().enumerate().map(|(i, &t)| (t, i)).collect();
            expected.sort(); // by time, then by insertion index
            let got: Vec<_> = std::iter::from_fn(|| q.pop()).collect();
            prop_assert_eq!(got, expected);
        }

        /// Interleaved scheduling, peeking and taking out, checked against a
        /// sorted list: the radix buckets never change the order.
        #[test]
        fn interleaved_operations_match_a_sorted_model(
            ops in proptest::collection::vec((0u8..4, 0u64..5_000), 0..400),
        ) {
            let mut q = EventQueue::new();
            let mut model: Vec<(u64, u64)> = Vec::new(); // (time, seq)
            let mut seq = 0u64;
            for (op, x) in ops {
                match op {
                    0 | 1 => {
                        // Often the same time (0), sometimes far ahead.
                        let at = q.now() + if op == 0 { x % 3 } else { x * x };
                        q.schedule(at, seq).unwrap();
                        model.push((at, seq));
                        seq += 1;
                    }
                    2 => {
                        model.sort_by_key(|m| (m.0, m.1));
                        let want = model.first().map(|m| (m.0, m.1));
                        if !model.is_empty() { model.remove(0); }
                        prop_assert_eq!(q.pop(), want);
                    }
                    _ => {
                        model.sort_by_key(|m| (m.0, m.1));
                        prop_assert_eq!(q.peek_time(), model.first().map(|m| m.0));
                    }
                }
                prop_assert_eq!(q.pending(), model.len());
            }
            model.sort_by_key(|m| (m.0, m.1));
            let got: Vec<_> = std::iter::from_fn(|| q.pop()).collect();
            let want: Vec<_> = model.iter().map(|m| (m.0, m.1)).collect();
            prop_assert_eq!(got, want);
        }

        /// Scheduling between the clock and a time `peek_time` looked ahead
        /// to (the rebase path) keeps the order.
        #[test]
        fn scheduling_before_a_peeked_time_keeps_order(
            later in proptest::collection::vec(100u64..200, 1..50),
            early in proptest::collection::vec(0u64..100, 1..50),
        ) {
            let mut q = EventQueue::new();
            for (i, t) in later.iter().enumerate() { q.schedule(*t, i).unwrap(); }
            prop_assert!(q.peek_time().is_some());
            for (i, t) in early.iter().enumerate() { q.schedule(*t, 1_000 + i).unwrap(); }
            let mut want: Vec<(u64, usize)> = later.iter().enumerate().map(|(i, t)| (*t, i))
                .chain(early.iter().enumerate().map(|(i, t)| (*t, 1_000 + i))).collect();
            want.sort_by_key(|w| (w.0, w.1 >= 1_000, w.1));
            let got: Vec<_> = std::iter::from_fn(|| q.pop()).collect();
            prop_assert_eq!(got, want);
        }
    }
}
