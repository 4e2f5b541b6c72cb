//! Time spent in the project's own systems, for `--bench-frames`: the frame
//! time on a software renderer is mostly Bevy's and Mesa's, so the benchmark
//! reports ours apart. Each of our systems opens a [`Span`] on entry; the
//! spans add up in one counter that the benchmark reads once a frame. (An
//! atomic, not a resource: a resource would make Bevy run the systems one
//! after another to share it.)

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

static NANOS: AtomicU64 = AtomicU64::new(0);

/// Counts the time until it is dropped.
pub struct Span(Instant);

impl Span {
    pub fn start() -> Self {
        Span(Instant::now())
    }
}

impl Drop for Span {
    fn drop(&mut self) {
        NANOS.fetch_add(self.0.elapsed().as_nanos() as u64, Ordering::Relaxed);
    }
}

/// Milliseconds counted since the last call.
pub fn take_ms() -> f64 {
    NANOS.swap(0, Ordering::Relaxed) as f64 / 1e6
}
