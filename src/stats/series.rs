//! A run's mail period by period: what `run --format json` prints as
//! `series`. Each period counts, for every class of mail, the messages
//! written in it (`sent`) and those that reached their end in it
//! (`delivered`, `rejected`, `lost`), and for spam the messages of each
//! channel (`spam_channels`: sent in the period, delivered in the period).
//! Mail still on its way at the end is counted as sent only, so the
//! periods add up to the run's totals: `sent` to `sent`, `delivered` to
//! `delivered`, and so on (`queued` is what sent leaves over).
//!
//! Periods are calendar periods in UTC (an hour, a day, a week from Monday,
//! a month), the first starting at the run's start and the last ending at
//! its end.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::sim::channel::Channel;
use crate::sim::series::{Bucket, SeriesCounts};
use crate::sim::{MailClass, Simulation};
use crate::units::{DAY, HOUR, SimTime, Timestamp, civil, days_from_civil};

/// The length of a period of the series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum Period {
    Hour,
    Day,
    Week,
    Month,
}

impl Period {
    /// The period that suits a run of `duration` ms: about 10 to 200 periods.
    pub fn for_run(duration: SimTime) -> Period {
        match duration {
            d if d <= 2 * DAY => Period::Hour,
            d if d <= 60 * DAY => Period::Day,
            d if d <= 400 * DAY => Period::Week,
            _ => Period::Month,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Period::Hour => "hour",
            Period::Day => "day",
            Period::Week => "week",
            Period::Month => "month",
        }
    }

    /// The start (Unix seconds) of the period holding `t` (Unix seconds).
    fn start_of(self, t: i64) -> i64 {
        let day = t.div_euclid(86_400) * 86_400;
        match self {
            Period::Hour => t.div_euclid(3600) * 3600,
            Period::Day => day,
            // 1970-01-01 was a Thursday: Monday is 3 days earlier.
            Period::Week => (t + 3 * 86_400).div_euclid(7 * 86_400) * 7 * 86_400 - 3 * 86_400,
            Period::Month => {
                let (y, m, ..) = civil(t);
                days_from_civil(y, m, 1) * 86_400
            }
        }
    }

    /// The start of the period after the one starting at `start`.
    fn next(self, start: i64) -> i64 {
        match self {
            Period::Hour => start + 3600,
            Period::Day => start + 86_400,
            Period::Week => start + 7 * 86_400,
            Period::Month => {
                let (y, m, ..) = civil(start);
                let (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
                days_from_civil(y, m, 1) * 86_400
            }
        }
    }
}

/// Why a series cannot be made.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SeriesError {
    #[error("--period hour: this run is longer than a year and is counted by day; choose day, week or month")]
    TooFine,
}

/// Where one class's messages of a period went.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PeriodCounts {
    pub sent: u64,
    pub delivered: u64,
    pub rejected: u64,
    pub lost: u64,
}

/// One channel's spam in a period.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ChannelCounts {
    pub sent: u64,
    pub delivered: u64,
}

/// One period of the series.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PeriodReport {
    /// RFC 3339 (UTC).
    pub start: String,
    pub end: String,
    pub mail: BTreeMap<String, PeriodCounts>,
    /// Only the channels the run used.
    pub spam_channels: BTreeMap<String, ChannelCounts>,
}

/// The series of a run: in the JSON, `series_period` (`"hour"`, `"day"`,
/// `"week"` or `"month"`) and `series`, the list of periods.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Series {
    #[serde(rename = "series_period")]
    pub period: &'static str,
    #[serde(rename = "series")]
    pub periods: Vec<PeriodReport>,
}

impl Series {
    /// The run's mail by `period` (default: [`Period::for_run`] of the scenario's duration).
    pub fn of(sim: &Simulation, period: Option<Period>) -> Result<Series, SeriesError> {
        let period = period.unwrap_or_else(|| Period::for_run(sim.scenario.duration.0));
        let counts = sim.series_counts();
        if period == Period::Hour && counts.bucket_ms > HOUR {
            return Err(SeriesError::TooFine);
        }
        Ok(Self::from_counts(&counts, sim.scenario.start, sim.now(), period))
    }

    fn from_counts(counts: &SeriesCounts, start: Timestamp, now: SimTime, period: Period) -> Series {
        let run_start = start.0;
        let run_end = start.0 + (now / 1000) as i64 + i64::from(!now.is_multiple_of(1000));
        // Periods from the one holding the start to the one holding the end.
        let mut bounds = Vec::new();
        let mut p = period.start_of(run_start);
        loop {
            let next = period.next(p);
            bounds.push((p, next));
            if next >= run_end {
                break;
            }
            p = next;
        }
        let mut sums = vec![Bucket::default(); bounds.len()];
        for (i, b) in counts.buckets.iter().enumerate() {
            let t = counts.bucket_start(start, i).max(run_start);
            let k = bounds.partition_point(|&(_, end)| end <= t).min(bounds.len() - 1);
            sums[k].add(b);
        }
        let mut used = [false; 6];
        for s in &sums {
            for (c, u) in used.iter_mut().enumerate() {
                *u |= s.channels[c][0] + s.channels[c][1] > 0;
            }
        }
        let stamp = |t: i64| Timestamp(t).to_string();
        let periods = bounds
            .iter()
            .zip(&sums)
            .map(|(&(a, b), s)| PeriodReport {
                start: stamp(a.max(run_start)),
                end: stamp(b.min(run_end)),
                mail: MailClass::ALL
                    .iter()
                    .map(|c| {
                        let m = s.mail[crate::sim::series::class_index(*c)];
                        let counts = PeriodCounts { sent: m[0], delivered: m[1], rejected: m[2], lost: m[3] };
                        (c.name().to_string(), counts)
                    })
                    .collect(),
                spam_channels: Channel::ALL
                    .iter()
                    .filter(|c| used[c.index()])
                    .map(|c| {
                        let [sent, delivered] = s.channels[c.index()];
                        (c.name().to_string(), ChannelCounts { sent, delivered })
                    })
                    .collect(),
            })
            .collect();
        Series { period: period.name(), periods }
    }

    /// The sum of every period's counts of `class`.
    pub fn total(&self, class: &str) -> PeriodCounts {
        let mut t = PeriodCounts::default();
        for p in &self.periods {
            if let Some(c) = p.mail.get(class) {
                t.sent += c.sent;
                t.delivered += c.delivered;
                t.rejected += c.rejected;
                t.lost += c.lost;
            }
        }
        t
    }

    /// The sum of every period's counts of spam `channel`.
    pub fn channel_total(&self, channel: &str) -> ChannelCounts {
        let mut t = ChannelCounts::default();
        for c in self.periods.iter().filter_map(|p| p.spam_channels.get(channel)) {
            t.sent += c.sent;
            t.delivered += c.delivered;
        }
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> i64 {
        s.parse::<Timestamp>().unwrap().0
    }

    #[test]
    fn periods_follow_the_utc_calendar() {
        let t = ts("2005-06-15T13:45:00Z"); // a Wednesday
        assert_eq!(Period::Hour.start_of(t), ts("2005-06-15T13:00:00Z"));
        assert_eq!(Period::Day.start_of(t), ts("2005-06-15T00:00:00Z"));
        assert_eq!(Period::Week.start_of(t), ts("2005-06-13T00:00:00Z"));
        assert_eq!(Period::Month.start_of(t), ts("2005-06-01T00:00:00Z"));
        assert_eq!(Period::Month.next(ts("2005-12-01T00:00:00Z")), ts("2006-01-01T00:00:00Z"));
        assert_eq!(Period::Month.next(ts("2004-02-01T00:00:00Z")), ts("2004-03-01T00:00:00Z"));
    }

    #[test]
    fn the_default_period_suits_the_run() {
        assert_eq!(Period::for_run(DAY), Period::Hour);
        assert_eq!(Period::for_run(30 * DAY), Period::Day);
        assert_eq!(Period::for_run(365 * DAY), Period::Week);
        assert_eq!(Period::for_run(13 * 365 * DAY), Period::Month);
    }
}
