//! SMTP-AUTH (RFC 4954): accounts, the `AUTH PLAIN` initial response, and a
//! per-account outbound rate limit (a stolen account should not send without
//! bound).

use rustc_hash::FxHashMap as HashMap;
use std::collections::VecDeque;

use crate::scenario::Account;
use crate::units::{HOUR, SimTime};

/// Does `user`/`password` match an account (`*@domain` matches every user there)?
pub fn verify(accounts: &[Account], user: &str, password: &str) -> bool {
    accounts.iter().any(|a| {
        let user_ok = match a.user.strip_prefix("*@") {
            Some(d) => user.rsplit_once('@').is_some_and(|(_, ud)| ud.eq_ignore_ascii_case(d)),
            None => a.user == user,
        };
        user_ok && a.password == password
    })
}

/// The `AUTH PLAIN` initial response: base64 of `\0user\0password` (RFC 4616).
/// Shown in transcripts so students see that PLAIN is readable without TLS.
pub fn plain_response(user: &str, password: &str) -> String {
    base64(format!("\0{user}\0{password}").as_bytes())
}

fn base64(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(T[(n >> (18 - 6 * k) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Messages per account over the last hour.
#[derive(Debug, Default)]
pub struct RateLimiter {
    sent: HashMap<String, VecDeque<SimTime>>,
}

impl RateLimiter {
    /// Counts one message for `user` at `t` unless that exceeds `per_hour`.
    pub fn allow(&mut self, user: &str, t: SimTime, per_hour: f64) -> bool {
        let q = self.sent.entry(user.to_string()).or_default();
        while q.front().is_some_and(|&s| t - s >= HOUR) {
            q.pop_front();
        }
        if (q.len() as f64) < per_hour {
            q.push_back(t);
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_is_base64_of_the_credentials() {
        assert_eq!(plain_response("tim", "tanstaaftanstaaf"), "AHRpbQB0YW5zdGFhZnRhbnN0YWFm"); // RFC 4616 §4
    }

    #[test]
    fn domain_wide_accounts_and_rate_limits() {
        let acc = vec![Account { user: "*@isp-a.example".into(), password: "pw".into(), weak: false }];
        assert!(verify(&acc, "user7@isp-a.example", "pw"));
        assert!(!verify(&acc, "user7@isp-a.example", "guess"));
        assert!(!verify(&acc, "user7@isp-b.example", "pw"));
        let mut r = RateLimiter::default();
        assert!(r.allow("u", 0, 2.0) && r.allow("u", 1, 2.0));
        assert!(!r.allow("u", 2, 2.0));
        assert!(r.allow("u", HOUR + 1, 2.0));
    }
}
