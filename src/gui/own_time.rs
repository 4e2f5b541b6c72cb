//! Time spent in the project's own systems, for `--bench-frames`: the frame
//! time on a software renderer is mostly Bevy's and Mesa's, so the benchmark
//! reports ours apart, system by system. Each of our systems opens a
//! [`Span`] with its name on entry; the benchmark reads the totals once a
//! frame. (A static, not a resource: a resource would make Bevy run the
//! systems one after another to share it.)

use std::sync::Mutex;
use std::time::Instant;

static TOTALS: Mutex<Vec<(&'static str, u64)>> = Mutex::new(Vec::new());

/// Counts the time until it is dropped, under `name`.
pub struct Span(&'static str, Instant);

impl Span {
    pub fn start(name: &'static str) -> Self {
        Span(name, Instant::now())
    }
}

impl Drop for Span {
    fn drop(&mut self) {
        let ns = self.1.elapsed().as_nanos() as u64;
        if let Ok(mut t) = TOTALS.lock() {
            match t.iter_mut().find(|(n, _)| *n == self.0) {
                Some((_, v)) => *v += ns,
                None => t.push((self.0, ns)),
            }
        }
    }
}

/// Milliseconds counted per system since the last call, and their sum.
pub fn take() -> (f64, Vec<(&'static str, f64)>) {
    let Ok(mut t) = TOTALS.lock() else { return (0.0, Vec::new()) };
    let per: Vec<(&'static str, f64)> = t.iter().map(|(n, v)| (*n, *v as f64 / 1e6)).collect();
    for (_, v) in t.iter_mut() {
        *v = 0;
    }
    (per.iter().map(|(_, v)| v).sum(), per)
}
