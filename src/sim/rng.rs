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
    let u = unit(s);
    let gap = -(1.0 - u).ln() * mean_ms;
    if gap.is_finite() { gap.round().min(u64::MAX as f64 / 2.0) as u64 } else { u64::MAX / 2 }
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
}
