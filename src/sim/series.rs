//! Counts over time, gathered as messages end: the one place where a
//! finished message is counted ([`Simulation::settled`]), so that a run can
//! report its mail period by period (`run --format json`'s `series`) without
//! keeping every message.
//!
//! Counts go into base buckets aligned on UTC: hours for runs up to a year,
//! days for longer ones. Every hour, day, week (from Monday) and month of the
//! calendar starts on a bucket boundary, so reports add buckets up into any
//! of those periods exactly.

use super::channel::Channel;
use super::message::{Fate, MailClass, Message};
use super::simulation::Simulation;
use crate::units::{DAY, HOUR, SimTime, Timestamp};

/// Runs longer than this count by day, shorter ones by hour.
pub const HOURLY_UP_TO: u64 = 366 * DAY;

/// The counts of one base bucket.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Bucket {
    /// By class (`MailClass` order): sent, delivered, rejected, lost.
    pub mail: [[u64; 4]; 4],
    /// By channel (`Channel` order): spam sent, spam delivered.
    pub channels: [[u64; 2]; 6],
}

impl Bucket {
    pub fn add(&mut self, other: &Bucket) {
        for (a, b) in self.mail.iter_mut().flatten().zip(other.mail.iter().flatten()) {
            *a += b;
        }
        for (a, b) in self.channels.iter_mut().flatten().zip(other.channels.iter().flatten()) {
            *a += b;
        }
    }
}

/// The buckets of one run.
#[derive(Debug, Clone)]
pub struct SeriesCounts {
    /// Length of a bucket (ms): an hour or a day.
    pub bucket_ms: u64,
    /// Where the start falls in its bucket (ms after the bucket's UTC start).
    offset_ms: u64,
    /// Buckets of finished messages, from the one holding the start.
    pub buckets: Vec<Bucket>,
}

impl SeriesCounts {
    pub fn new(start: Timestamp, duration: u64) -> Self {
        let bucket_ms = if duration > HOURLY_UP_TO { DAY } else { HOUR };
        let offset_ms = (start.0.rem_euclid((bucket_ms / 1000) as i64) as u64) * 1000;
        SeriesCounts { bucket_ms, offset_ms, buckets: Vec::new() }
    }

    /// The bucket of simulated time `t`.
    pub fn index(&self, t: SimTime) -> usize {
        ((self.offset_ms + t) / self.bucket_ms) as usize
    }

    /// The wall-clock start (Unix seconds) of bucket `i`.
    pub fn bucket_start(&self, start: Timestamp, i: usize) -> i64 {
        start.0 - (self.offset_ms / 1000) as i64 + (i as u64 * self.bucket_ms / 1000) as i64
    }

    fn at(&mut self, t: SimTime) -> &mut Bucket {
        let i = self.index(t);
        if i >= self.buckets.len() {
            self.buckets.resize(i + 1, Bucket::default());
        }
        &mut self.buckets[i]
    }

    /// Counts message `m` (of `channel`, for spam): sent when it was
    /// written, and, once final, its fate when it reached it.
    pub fn count(&mut self, m: &Message, channel: Option<Channel>) {
        let class = class_index(m.class);
        self.at(m.created).mail[class][0] += 1;
        if let Some(c) = channel {
            self.at(m.created).channels[c.index()][0] += 1;
        }
        let (col, at) = match m.fate {
            Fate::Queued => return,
            Fate::Delivered { at, .. } => (1, at),
            Fate::Rejected { at, .. } => (2, at),
            Fate::Lost { at, .. } => (3, at),
        };
        let b = self.at(at);
        b.mail[class][col] += 1;
        if let (Some(c), 1) = (channel, col) {
            b.channels[c.index()][1] += 1;
        }
    }
}

pub fn class_index(c: MailClass) -> usize {
    match c {
        MailClass::Legit => 0,
        MailClass::Spam => 1,
        MailClass::Bounce => 2,
        MailClass::Backscatter => 3,
    }
}

impl Simulation {
    /// The run's counts over time so far: the finished messages' buckets
    /// plus the messages still on their way (counted as sent).
    pub fn series_counts(&self) -> SeriesCounts {
        let mut s = self.series.clone();
        for m in self.messages.iter().filter(|m| !m.fate.is_final()) {
            s.count(m, self.channel_of(m));
        }
        s
    }
}
