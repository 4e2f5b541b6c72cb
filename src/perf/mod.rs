//! Speed and scale (issue 7): the generated benchmark world and the
//! measurements behind `relaysim bench`. Nothing here is used by a normal
//! run; it measures the core from outside.
//!
//! Every measurement prints what it did, so the numbers in the book's
//! performance page can be reproduced with one command each.

pub mod measure;
pub mod world;

pub use measure::{CompareScaling, EngineSpeed, RunSpeed, compare_scaling, engine_hold, run_speed};
pub use world::{Size, internet};

/// Peak resident memory of this process so far (Linux `VmHWM`), in bytes.
pub fn peak_rss_bytes() -> Option<u64> {
    proc_status_kib("VmHWM:").map(|k| k * 1024)
}

/// Current resident memory of this process (Linux `VmRSS`), in bytes.
pub fn rss_bytes() -> Option<u64> {
    proc_status_kib("VmRSS:").map(|k| k * 1024)
}

fn proc_status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line[field.len()..].trim().trim_end_matches("kB").trim().parse().ok()
}
