//! Times, rates and retry schedules: numbers that must be positive, spans
//! that end after they start, windows that do not overlap, and retry
//! schedules that cannot retry forever at once.

use super::Checker;
use crate::scenario::schema::*;

pub(super) fn check_backoff(c: &mut Checker, path: &str, b: &Backoff) {
    use crate::scenario::work::{MAX_QUEUE_LIFETIME, MIN_BACKOFF};
    check_shape(c, &format!("{path}.shape"), &b.shape);
    if b.min.0 == 0 {
        c.invalid(&format!("{path}.min"), "min", "a retry delay of 0s would retry forever at once");
    } else if b.min < MIN_BACKOFF {
        c.invalid(
            &format!("{path}.min"),
            "min",
            format!("{} is below {MIN_BACKOFF}, the least Postfix accepts for minimal_backoff_time", b.min),
        );
    }
    if b.lifetime > MAX_QUEUE_LIFETIME {
        c.invalid(
            &format!("{path}.lifetime"),
            "lifetime",
            format!("{} is more than {MAX_QUEUE_LIFETIME}, the most Postfix keeps a message queued", b.lifetime),
        );
    }
    if b.max < b.min {
        c.invalid(&format!("{path}.max"), "max", format!("{} is shorter than min {}", b.max, b.min));
    }
}

/// The retry shapes: a delay of 0 would retry forever at once.
pub(super) fn check_shape(c: &mut Checker, path: &str, shape: &Shape) {
    use crate::scenario::work::MIN_BACKOFF;
    match shape {
        Shape::Doubling => {}
        Shape::Fixed(d) if d.0 == 0 => {
            c.invalid(&format!("{path}[0]"), "Fixed", "a retry delay of 0s would retry forever at once")
        }
        Shape::Postfix { queue_run_delay } if queue_run_delay.0 == 0 => {
            c.invalid(&format!("{path}.queue_run_delay"), "queue_run_delay", "must be longer than 0s")
        }
        Shape::Delays(list) if list.is_empty() => {
            c.invalid(&format!("{path}[0]"), "Delays", "needs at least one delay, e.g. `Delays([\"5m\", \"30m\"])`")
        }
        Shape::Fixed(d) if *d < MIN_BACKOFF => c.invalid(
            &format!("{path}[0]"),
            "Fixed",
            format!("{d} is below {MIN_BACKOFF}, the least Postfix accepts for minimal_backoff_time"),
        ),
        Shape::Delays(list) => {
            for (j, d) in list.iter().enumerate() {
                if d.0 == 0 {
                    c.invalid(&format!("{path}[0][{j}]"), "Delays", "a retry delay of 0s would retry forever at once");
                } else if *d < MIN_BACKOFF {
                    c.invalid(
                        &format!("{path}[0][{j}]"),
                        "Delays",
                        format!("{d} is below {MIN_BACKOFF}, the least Postfix accepts for minimal_backoff_time"),
                    );
                }
            }
        }
        _ => {}
    }
}

pub(super) fn check_windows(c: &mut Checker, path: &str, w: &[Window]) {
    for (j, w) in w.iter().enumerate() {
        if w.to <= w.from {
            c.invalid(
                &format!("{path}[{j}].to"),
                "down window",
                format!("ends ({}) before it starts ({})", w.to, w.from),
            );
        }
    }
}

pub(super) fn check_rate(c: &mut Checker, path: &str, per_ms: f64) {
    if per_ms <= 0.0 || !per_ms.is_finite() {
        c.invalid(path, "rate", "must be more than 0 per unit of time");
    }
}

pub(super) fn check_span(c: &mut Checker, p: &str, start: u64, end: Option<u64>) {
    if let Some(end) = end
        && end <= start
    {
        c.invalid(&format!("{p}.end"), "end", "comes before start");
    }
}
