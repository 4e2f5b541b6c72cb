//! Seeded random streams. Each traffic source (and each population's choice
//! of infected hosts) draws from its own ChaCha stream derived from the run's
//! seed and the source's id, so adding, removing or re-configuring a defense
//! never changes which mails are sent (common random numbers across scenarios).

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

pub type Stream = ChaCha8Rng;

/// FNV-1a: a stable hash of an id, identical on every platform and release.
fn fnv1a(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3))
}

/// The stream named `purpose`/`id` under `seed`.
pub fn stream(seed: u64, purpose: &str, id: &str) -> Stream {
    let mut s = ChaCha8Rng::seed_from_u64(seed ^ fnv1a(purpose).rotate_left(17) ^ fnv1a(id));
    // Decorrelate nearby seeds; the first word is discarded by design.
    let _ = s.next_u64();
    s
}

/// A uniform float in [0, 1) with 53 random bits (portable: no platform float tricks).
pub fn unit(s: &mut Stream) -> f64 {
    (s.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// A uniform index below `n` (n > 0), by Lemire's multiply-shift (bias < 2^-32 for our n).
pub fn index(s: &mut Stream, n: usize) -> usize {
    ((s.next_u64() as u128 * n.max(1) as u128) >> 64) as usize
}

/// An exponential gap with the given mean (a Poisson process), in whole ms.
pub fn exp_gap_ms(s: &mut Stream, mean_ms: f64) -> u64 {
    exp_gap_carried(s, mean_ms, &mut 0.0)
}

/// Mean gaps below this are rounded with a carried remainder
/// ([`exp_gap_carried`]); above it, rounding each gap on its own is already
/// exact to better than one part in 10^6 (the bias of rounding an
/// exponential gap of mean m is about 1/(24 m^2)), and keeping it there
/// keeps every run of a slower source identical to what it always was.
pub const CARRY_BELOW_MS: f64 = 1_000.0;

/// An exponential gap in whole ms whose rounding error is carried into the
/// next gap (`carry` in (-0.5, 0.5] ms), so that the arrival times are the
/// exact Poisson times rounded to the ms: no gap is lost to rounding, and a
/// source of 10/ms sends 10 mails per ms, many of them in the same ms.
/// Without the carry, a mean gap of 0.1 ms rounds to 0 almost always (14 times
/// the mails asked for), and 100/ms stops the clock at t = 0.
pub fn exp_gap_carried(s: &mut Stream, mean_ms: f64, carry: &mut f64) -> u64 {
    let u = unit(s);
    let gap = -(1.0 - u).ln() * mean_ms + *carry;
    if !gap.is_finite() {
        return u64::MAX / 2;
    }
    let whole = gap.round().clamp(0.0, u64::MAX as f64 / 2.0);
    *carry = if whole >= u64::MAX as f64 / 2.0 { 0.0 } else { gap - whole };
    whole as u64
}

/// `k` distinct indices below `n`, sorted (Floyd's algorithm: O(k) draws).
pub fn sample_distinct(s: &mut Stream, n: u32, k: u32) -> Vec<u32> {
    let k = k.min(n);
    let mut chosen = std::collections::BTreeSet::new();
    for j in (n - k)..n {
        let t = index(s, j as usize + 1) as u32;
        if !chosen.insert(t) {
            chosen.insert(j);
        }
    }
    chosen.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_reproducible_and_independent() {
        let a1: Vec<u64> = (0..3).map(|_| 0).scan(stream(7, "traffic", "a"), |s, _| Some(s.next_u64())).collect();
        let a2: Vec<u64> = (0..3).map(|_| 0).scan(stream(7, "traffic", "a"), |s, _| Some(s.next_u64())).collect();
        let b: Vec<u64> = (0..3).map(|_| 0).scan(stream(7, "traffic", "b"), |s, _| Some(s.next_u64())).collect();
        assert_eq!(a1, a2);
        assert_ne!(a1, b);
    }

    #[test]
    fn distinct_samples_are_distinct() {
        let mut s = stream(1, "t", "x");
        let v = sample_distinct(&mut s, 100, 30);
        assert_eq!(v.len(), 30);
        assert!(v.windows(2).all(|w| w[0] < w[1]) && v.iter().all(|&x| x < 100));
        assert_eq!(sample_distinct(&mut s, 5, 9), vec![0, 1, 2, 3, 4]);
    }

    /// Arrivals in `window_ms` of a Poisson source with this mean gap, as the
    /// simulation draws them.
    fn arrivals(mean_ms: f64, window_ms: u64, carried: bool) -> u64 {
        let mut s = stream(3, "traffic", "fast");
        let (mut t, mut n, mut carry) = (0u64, 0u64, 0.0);
        loop {
            let gap = if carried { exp_gap_carried(&mut s, mean_ms, &mut carry) } else { exp_gap_ms(&mut s, mean_ms) };
            t = t.saturating_add(gap);
            if t >= window_ms {
                return n;
            }
            n += 1;
        }
    }

    #[test]
    fn fast_sources_send_what_was_asked() {
        // 2/ms, 10/ms, 10^5/s and 10^6/s: 10^6 expected mails each (Poisson
        // noise 0.1%), counted within 1%.
        for per_ms in [2.0, 10.0, 100.0, 1000.0] {
            let window = (1e6 / per_ms) as u64;
            let n = arrivals(1.0 / per_ms, window, true) as f64;
            assert!((n / 1e6 - 1.0).abs() < 0.01, "{per_ms}/ms sent {n} of 10^6");
        }
        // What rounding each gap on its own gave (the bug): 1.15x at 2/ms.
        let n = arrivals(0.5, 500_000, false) as f64;
        assert!(n / 1e6 > 1.1, "{n}");
        // Above the threshold both agree (so slow sources are unchanged).
        let (a, b) = (arrivals(CARRY_BELOW_MS, 1_000_000_000, true), arrivals(CARRY_BELOW_MS, 1_000_000_000, false));
        assert!((a as f64 / b as f64 - 1.0).abs() < 0.001, "{a} {b}");
    }
}
