//! Speed and scale: the generated benchmark world and the measurements
//! behind `relaysim bench`, which measure the core from outside. A normal
//! `relaysim run` uses one thing from here, [`run_with_progress`] (a plain
//! run that shows a progress bar when it is large).
//!
//! Every measurement prints what it did, so the numbers in the book's
//! performance page can be reproduced with one command each.

pub mod measure;
pub mod world;

pub use measure::{
    CompareScaling, EngineSpeed, RunSpeed, compare_scaling, engine_hold, record_sizes, run_in_slices, run_speed,
    run_with_progress,
};
pub use world::{Size, internet};

/// Peak resident memory of this process so far (Linux `VmHWM`), in bytes.
pub fn peak_rss_bytes() -> Option<u64> {
    proc_status_kib("VmHWM:").map(|k| k * 1024)
}

/// Current resident memory of this process (Linux `VmRSS`), in bytes.
pub fn rss_bytes() -> Option<u64> {
    proc_status_kib("VmRSS:").map(|k| k * 1024)
}

/// CPU time this thread has run so far (Linux `/proc/thread-self/schedstat`),
/// in seconds: unlike wall time, it does not count waiting for a core that
/// other programs hold.
pub fn cpu_seconds() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = s.split_whitespace().next()?.parse().ok()?;
    Some(ns as f64 / 1e9)
}

/// CPU time of the whole process (every thread) so far, from
/// `/proc/self/stat` (user + system, in clock ticks of 1/100 s on Linux).
pub fn process_cpu_seconds() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which is in parentheses and may hold spaces).
    let rest = &s[s.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 / 100.0)
}

fn proc_status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line[field.len()..].trim().trim_end_matches("kB").trim().parse().ok()
}
