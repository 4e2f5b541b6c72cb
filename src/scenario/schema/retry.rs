//! Retry settings: a queue's schedule ([`Backoff`] and its [`Shape`]) and a
//! sender's policy after a temporary failure ([`Retry`]). Data only: the
//! delays and when to give up are worked out by the simulation's retry room
//! (`sim/retry.rs`).

use serde::{Deserialize, Serialize};

use crate::units::Duration;

/// The retry schedule of a queue: RFC 5321 §4.5.4.1 with Postfix's defaults.
/// The data only: the delays it gives ([`Backoff::delay_at`]) and when a
/// queue gives up are worked out in the simulation's retry room
/// (`sim/retry.rs`).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Backoff {
    /// First retry delay, doubled on each attempt (Postfix `minimal_backoff_time` 300 s).
    #[serde(default = "Backoff::default_min")]
    pub min: Duration,
    /// Ceiling of the delay (Postfix `maximal_backoff_time` 4000 s).
    #[serde(default = "Backoff::default_max")]
    pub max: Duration,
    /// Give up and bounce after this long (Postfix `maximal_queue_lifetime` 5 d).
    #[serde(default = "Backoff::default_lifetime")]
    pub lifetime: Duration,
    /// How the delay grows from one attempt to the next (default: doubling).
    #[serde(default, skip_serializing_if = "Shape::is_doubling")]
    pub shape: Shape,
}

/// The shape of a retry schedule ([`Backoff`]'s `shape`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
pub enum Shape {
    /// `min`, doubled after each failure, never more than `max`.
    #[default]
    Doubling,
    /// The same delay every time: a queue run every N (`Fixed("15m")`).
    Fixed(Duration),
    /// Postfix's queue manager (qmgr_active.c): the delay is the time the
    /// message has spent in the queue, at least `min` and at most `max`
    /// (`minimal_backoff_time`, `maximal_backoff_time`); the retry then waits
    /// for the next scan of the deferred queue, every `queue_run_delay`
    /// (300 s by default) from the start of the run.
    Postfix { queue_run_delay: Duration },
    /// These delays in turn; the last one repeats (`Delays(["5m", "30m", "2h"])`).
    Delays(Vec<Duration>),
}

impl Shape {
    fn is_doubling(&self) -> bool {
        *self == Shape::Doubling
    }
}

impl Backoff {
    fn default_min() -> Duration {
        Duration::from_secs(300)
    }
    fn default_max() -> Duration {
        Duration::from_secs(4000)
    }
    fn default_lifetime() -> Duration {
        Duration::from_secs(5 * 86_400)
    }
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            min: Self::default_min(),
            max: Self::default_max(),
            lifetime: Self::default_lifetime(),
            shape: Shape::Doubling,
        }
    }
}

/// What a sender does after a temporary failure (4xx, timeout, refused).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub enum Retry {
    /// Fire and forget: most spam software.
    Never,
    /// Reconnect at once, ignoring RFC 5321, up to this many extra attempts.
    Immediate(u32),
    /// Retry at once from another infected host, up to this many times.
    OtherHost(u32),
    /// Reconnect at once after any error, a permanent `5xx` too, ignoring
    /// RFC 5321, up to this many extra attempts (seed 003 §2.1, §3.4).
    IgnoreErrors(u32),
    /// Keep the mail and retry on a schedule, like an MTA or a mail client's outbox.
    Rfc(Backoff),
}

impl Retry {
    /// Mail clients keep unsent mail in the outbox and retry at each
    /// send/receive cycle (modelled as 10 minutes, giving up after a day).
    pub fn mail_client() -> Retry {
        Retry::Rfc(Backoff {
            min: Duration::from_mins(10),
            max: Duration::from_mins(10),
            lifetime: Duration::from_secs(86_400),
            shape: Shape::Doubling,
        })
    }
}
