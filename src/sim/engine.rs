//! The discrete-event queue at the heart of the simulator.
//!
//! Heads up: everything else in `sim/` assumes three properties from this file,
//! so keep them when optimising it:
//! 1. Events come out ordered by `(time, insertion sequence)`: two events at the
//!    same millisecond leave in the order they were scheduled, so a run never
//!    depends on queue internals (the nexosim / SimCore rule).
//! 2. Nothing may be scheduled before `now` ([`ScheduleError::InPast`]).
//! 3. Cancellation is lazy: a cancelled event stays in the queue and is skipped
//!    when it surfaces, so cancelling costs O(1).
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

use rustc_hash::FxHashSet as HashSet;
use std::collections::VecDeque;

use crate::units::SimTime;

/// Refusals of [`EventQueue::schedule`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    #[error("cannot schedule an event at {at} ms: the clock is already at {now} ms")]
    InPast { at: SimTime, now: SimTime },
}

/// Names a scheduled event so that it can be cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EventKey {
    time: SimTime,
    seq: u64,
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
    /// Sequence numbers of cancelled events still in the queue.
    cancelled: HashSet<u64>,
    /// Cancelled events already skipped (so a second cancel says no). Only
    /// cancellations fill it; the simulation itself never cancels.
    skipped: HashSet<u64>,
    len: usize,
    next_seq: u64,
    now: SimTime,
    /// `(time, seq)` of the last event taken out: every key up to it is gone.
    last_popped: Option<(SimTime, u64)>,
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
            cancelled: HashSet::default(),
            skipped: HashSet::default(),
            len: 0,
            next_seq: 0,
            now: 0,
            last_popped: None,
            popped: 0,
        }
    }

    /// The time of the last event taken out (the simulation clock).
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// Events scheduled and neither taken out nor cancelled.
    pub fn pending(&self) -> usize {
        self.len - self.cancelled.len()
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
        if at < self.last {
            // Only after `peek_time` moved `last` past the clock: start the
            // buckets again from `at` (rare, O(n), keeps the order).
            self.rebase(at);
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        self.len += 1;
        self.place(Entry { time: at, seq, payload });
        Ok(EventKey { time: at, seq })
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

    /// Cancels a pending event; true if it was still pending.
    pub fn cancel(&mut self, key: EventKey) -> bool {
        if self.last_popped.is_some_and(|p| (key.time, key.seq) <= p) || self.skipped.contains(&key.seq) {
            return false; // already taken out (keys leave in increasing order) or skipped
        }
        self.cancelled.insert(key.seq)
    }

    /// The time of the next live event, if any.
    pub fn peek_time(&mut self) -> Option<SimTime> {
        loop {
            if !self.refill() {
                return None;
            }
            let e = self.current.front()?;
            if self.cancelled.is_empty() || !self.cancelled.contains(&e.seq) {
                return Some(e.time);
            }
            if let Some(e) = self.current.pop_front() {
                self.discard(e.seq);
            }
        }
    }

    /// Takes out the next event and advances the clock to its time.
    pub fn pop(&mut self) -> Option<(SimTime, P)> {
        loop {
            if !self.refill() {
                return None;
            }
            let e = self.current.pop_front()?;
            if !self.cancelled.is_empty() && self.cancelled.contains(&e.seq) {
                self.discard(e.seq);
                continue; // lazily cancelled
            }
            self.len -= 1;
            self.popped += 1;
            self.now = e.time;
            self.last_popped = Some((e.time, e.seq));
            return Some((e.time, e.payload));
        }
    }

    /// Moves the clock forward to `t` without an event (e.g. the end of a run).
    pub fn advance_to(&mut self, t: SimTime) {
        self.now = self.now.max(t);
    }

    fn discard(&mut self, seq: u64) {
        self.cancelled.remove(&seq);
        self.skipped.insert(seq);
        self.len -= 1;
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

    #[test]
    fn cancelled_events_are_skipped_and_slots_reused_safely() {
        let mut q = EventQueue::new();
        let a = q.schedule(1, "a").unwrap();
        let _b = q.schedule(2, "b").unwrap();
        assert!(q.cancel(a));
        assert!(!q.cancel(a), "double cancel is a no-op");
        let c = q.schedule(3, "c").unwrap();
        assert!(!q.cancel(a), "a stale key cannot cancel another event");
        assert_eq!(q.pending(), 2);
        assert_eq!(q.pop(), Some((2, "b")));
        assert_eq!(q.pop(), Some((3, "c")));
        assert!(!q.cancel(c), "an event taken out cannot be cancelled");
        assert_eq!(q.pop(), None);
    }

    proptest! {
        #[test]
        fn pops_are_sorted_stable_and_complete(
            times in proptest::collection::vec(0u64..50, 0..200),
            cancel_mask in proptest::collection::vec(any::<bool>(), 200),
        ) {
            let mut q = EventQueue::new();
            let keys: Vec<_> = times.iter().enumerate()
                .map(|(i, &t)| q.schedule(t, i).unwrap()).collect();
            let mut expected: Vec<(u64, usize)> = Vec::new();
            for (i, k) in keys.iter().enumerate() {
                if cancel_mask[i] { q.cancel(*k); } else { expected.push((times[i], i)); }
            }
            expected.sort(); // by time, then by insertion index
            let got: Vec<_> = std::iter::from_fn(|| q.pop()).collect();
            prop_assert_eq!(got, expected);
        }

        /// Interleaved scheduling, peeking, cancelling and taking out, checked
        /// against a sorted list: the radix buckets never change the order.
        #[test]
        fn interleaved_operations_match_a_sorted_model(
            ops in proptest::collection::vec((0u8..4, 0u64..5_000), 0..400),
        ) {
            let mut q = EventQueue::new();
            let mut model: Vec<(u64, u64, EventKey)> = Vec::new(); // (time, seq, key)
            let mut seq = 0u64;
            for (op, x) in ops {
                match op {
                    0 | 1 => {
                        // Often the same time (0), sometimes far ahead.
                        let at = q.now() + if op == 0 { x % 3 } else { x * x };
                        let k = q.schedule(at, seq).unwrap();
                        model.push((at, seq, k));
                        seq += 1;
                    }
                    2 => {
                        model.sort_by_key(|m| (m.0, m.1));
                        let want = model.first().map(|m| (m.0, m.1));
                        if !model.is_empty() { model.remove(0); }
                        prop_assert_eq!(q.pop(), want);
                    }
                    _ => {
                        if x % 2 == 0 {
                            model.sort_by_key(|m| (m.0, m.1));
                            prop_assert_eq!(q.peek_time(), model.first().map(|m| m.0));
                        } else if !model.is_empty() {
                            let i = x as usize % model.len();
                            let (_, _, k) = model.remove(i);
                            prop_assert!(q.cancel(k));
                            prop_assert!(!q.cancel(k));
                        }
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
