//! Retry behaviour per host, as a mix: each infected host of a campaign
//! behaves one way (never retries, retries too soon, retries like an MTA),
//! drawn once for that host from a stream of its own, named after the
//! campaign, the sender and the host. The same host always behaves the
//! same way in a run, whatever else happens, and no other stream moves.

use crate::scenario::{Retry, RetryShare};
use crate::sim::rng;

/// The retry behaviour of host `host` of sender `sender` in `campaign`.
pub fn pick<'a>(mix: &'a [RetryShare], seed: u64, campaign: &str, sender: &str, host: u32) -> Option<&'a Retry> {
    let mut stream = rng::stream(seed, "retry-mix", &format!("{campaign}/{sender}/{host}"));
    let u = rng::unit(&mut stream);
    let total: f64 = mix.iter().map(|r| r.share).sum();
    let mut acc = 0.0;
    for r in mix {
        acc += r.share / total;
        if u < acc {
            return Some(&r.retry);
        }
    }
    mix.last().map(|r| &r.retry)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mix_gives_each_behaviour_about_its_share() {
        let mix = vec![
            RetryShare { share: 0.35, retry: Retry::Never },
            RetryShare { share: 0.31, retry: Retry::Immediate(3) },
            RetryShare { share: 0.34, retry: Retry::OtherHost(2) },
        ];
        let n = 10_000;
        let never = (0..n).filter(|&h| pick(&mix, 1, "c", "pop", h) == Some(&Retry::Never)).count();
        assert!((3_300..=3_700).contains(&never), "{never}");
        // The same host always behaves the same way.
        assert_eq!(pick(&mix, 1, "c", "pop", 17), pick(&mix, 1, "c", "pop", 17));
    }
}
