//! Greylisting with postgrey's semantics (RFC 6647; postgrey 1.37 defaults).
//!
//! The key is the triplet (client address or its /24, envelope sender,
//! recipient). A new triplet is refused with 450 for `delay`; a retry after
//! that passes, and the triplet stays good. A first retry later than
//! `retry_window` starts over; entries unused for `max_age` are forgotten.
//! A client with `auto_whitelist` successful deliveries (at most one counted
//! per hour) is not greylisted any more. postgrey answers `DEFER_IF_PERMIT`,
//! so the server asks it only for mail it would otherwise accept.

use rustc_hash::FxHashMap as HashMap;
use std::net::Ipv4Addr;

use crate::scenario::Greylist;
use crate::units::{HOUR, SECOND, SimTime};

/// What postgrey says about one recipient.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GreylistVerdict {
    /// `450 4.7.1 … Greylisted`: come back later.
    Defer,
    /// Pass; `delayed_s` is how long the triplet waited (for `X-Greylist:`),
    /// zero for a known triplet.
    Pass { delayed_s: u64 },
    /// Passed without a lookup: whitelisted or auto-whitelisted client.
    Whitelisted,
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    first: SimTime,
    last: SimTime,
}

#[derive(Debug, Clone, Copy, Default)]
struct ClientAwl {
    count: u32,
    last_counted: Option<SimTime>,
}

/// postgrey's two databases: triplets and auto-whitelisted clients.
#[derive(Debug, Default)]
pub struct GreylistDb {
    /// Triplets by client key, then by sender and recipient.
    triplets: HashMap<u32, HashMap<Box<str>, Entry>>,
    clients: HashMap<u32, ClientAwl>,
    scratch: String,
}

impl GreylistDb {
    /// The client part of the key: the /24 by default (postgrey's lookup by subnet).
    fn client_key(cfg: &Greylist, ip: Ipv4Addr) -> u32 {
        let raw = u32::from(ip);
        if cfg.lookup_by_host { raw } else { raw & 0xFFFF_FF00 }
    }

    pub fn check(&mut self, cfg: &Greylist, now: SimTime, ip: Ipv4Addr, sender: &str, rcpt: &str) -> GreylistVerdict {
        if cfg.whitelist.iter().any(|c| c.contains(ip)) {
            return GreylistVerdict::Whitelisted;
        }
        let client = Self::client_key(cfg, ip);
        if cfg.auto_whitelist > 0 && self.clients.get(&client).is_some_and(|a| a.count >= cfg.auto_whitelist) {
            return GreylistVerdict::Whitelisted;
        }
        // One string per triplet, sender and recipient in lower case joined by
        // a line break (never part of an address, RFC 5321 §4.1.2): a lookup
        // copies nothing, only a new triplet allocates.
        self.scratch.clear();
        self.scratch.push_str(sender);
        self.scratch.push('\n');
        self.scratch.push_str(rcpt);
        self.scratch.make_ascii_lowercase();
        let known = self.triplets.get(&client).and_then(|m| m.get(self.scratch.as_str()));
        let first = match known {
            Some(e) => {
                let passed_before = e.last - e.first >= cfg.delay.0;
                if now - e.last > cfg.max_age.0 || (!passed_before && now - e.first > cfg.retry_window.0) {
                    now // expired, or the first retry came too late: start over
                } else {
                    e.first
                }
            }
            None => now,
        };
        let entries = self.triplets.entry(client).or_default();
        match entries.get_mut(self.scratch.as_str()) {
            Some(e) => *e = Entry { first, last: now },
            None => {
                entries.insert(self.scratch.as_str().into(), Entry { first, last: now });
            }
        }
        if now - first < cfg.delay.0 {
            return GreylistVerdict::Defer;
        }
        if cfg.auto_whitelist > 0 {
            let awl = self.clients.entry(client).or_default();
            if awl.last_counted.is_none_or(|t| now - t >= HOUR) {
                awl.count += 1;
                awl.last_counted = Some(now);
            }
        }
        GreylistVerdict::Pass { delayed_s: (now - first) / SECOND }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::units::{DAY, MINUTE};

    fn ip(s: &str) -> Ipv4Addr {
        s.parse().unwrap()
    }

    #[test]
    fn first_attempt_deferred_retry_after_delay_passes_and_stays_good() {
        let cfg = Greylist::default();
        let mut db = GreylistDb::default();
        let c = ip("192.0.2.10");
        assert_eq!(db.check(&cfg, 0, c, "a@x", "b@y"), GreylistVerdict::Defer);
        assert_eq!(db.check(&cfg, 4 * MINUTE, c, "a@x", "b@y"), GreylistVerdict::Defer, "too early");
        assert_eq!(db.check(&cfg, 5 * MINUTE, c, "a@x", "b@y"), GreylistVerdict::Pass { delayed_s: 300 });
        assert_eq!(db.check(&cfg, DAY, c, "a@x", "b@y"), GreylistVerdict::Pass { delayed_s: 86_400 });
    }

    #[test]
    fn subnet_matching_lets_a_pool_retry_from_a_neighbour() {
        let mut db = GreylistDb::default();
        let by_net = Greylist::default();
        assert_eq!(db.check(&by_net, 0, ip("198.51.100.1"), "a@x", "b@y"), GreylistVerdict::Defer);
        assert_eq!(
            db.check(&by_net, 6 * MINUTE, ip("198.51.100.2"), "a@x", "b@y"),
            GreylistVerdict::Pass { delayed_s: 360 }
        );
        let by_host = Greylist { lookup_by_host: true, ..Greylist::default() };
        let mut db = GreylistDb::default();
        db.check(&by_host, 0, ip("198.51.100.1"), "a@x", "b@y");
        assert_eq!(
            db.check(&by_host, 6 * MINUTE, ip("198.51.100.2"), "a@x", "b@y"),
            GreylistVerdict::Defer,
            "a new triplet for the other host"
        );
    }

    #[test]
    fn a_first_retry_after_the_retry_window_starts_over() {
        let cfg = Greylist::default();
        let mut db = GreylistDb::default();
        let c = ip("192.0.2.10");
        db.check(&cfg, 0, c, "a@x", "b@y");
        assert_eq!(db.check(&cfg, 3 * DAY, c, "a@x", "b@y"), GreylistVerdict::Defer);
    }

    #[test]
    fn whitelisted_clients_pass_and_old_entries_expire() {
        let cfg = Greylist { whitelist: vec!["198.51.100.0/24".parse().unwrap()], ..Greylist::default() };
        let mut db = GreylistDb::default();
        assert_eq!(db.check(&cfg, 0, ip("198.51.100.9"), "a@x", "b@y"), GreylistVerdict::Whitelisted);
        let c = ip("192.0.2.10");
        db.check(&cfg, 0, c, "a@x", "b@y");
        assert!(matches!(db.check(&cfg, 10 * MINUTE, c, "a@x", "b@y"), GreylistVerdict::Pass { .. }));
        // Unused for longer than max_age (35 d): forgotten, greylisted again.
        assert_eq!(db.check(&cfg, 10 * MINUTE + 36 * DAY, c, "a@x", "b@y"), GreylistVerdict::Defer);
    }

    #[test]
    fn clients_are_auto_whitelisted_after_five_hourly_successes() {
        let cfg = Greylist::default();
        let mut db = GreylistDb::default();
        let c = ip("192.0.2.10");
        for k in 0..5u64 {
            let rcpt = format!("u{k}@y");
            let t0 = k * 2 * HOUR;
            assert_eq!(db.check(&cfg, t0, c, "a@x", &rcpt), GreylistVerdict::Defer);
            assert!(matches!(db.check(&cfg, t0 + 10 * MINUTE, c, "a@x", &rcpt), GreylistVerdict::Pass { .. }));
        }
        assert_eq!(db.check(&cfg, 11 * HOUR, c, "new@x", "new@y"), GreylistVerdict::Whitelisted);
    }

    #[test]
    fn the_auto_whitelist_counts_and_whitelists_the_whole_24() {
        // Key by subnet (postgrey's default): successes from three addresses of
        // one /24 add up, and a fourth address of it is whitelisted too.
        let cfg = Greylist::default();
        let mut db = GreylistDb::default();
        for k in 0..5u64 {
            let c = ip(&format!("198.18.1.{}", 25 + k % 3));
            let rcpt = format!("u{k}@y");
            let t0 = k * 2 * HOUR;
            assert_eq!(db.check(&cfg, t0, c, "a@x", &rcpt), GreylistVerdict::Defer);
            assert!(matches!(db.check(&cfg, t0 + 10 * MINUTE, c, "a@x", &rcpt), GreylistVerdict::Pass { .. }));
        }
        assert_eq!(db.check(&cfg, 11 * HOUR, ip("198.18.1.200"), "n@x", "n@y"), GreylistVerdict::Whitelisted);
        assert_eq!(db.check(&cfg, 11 * HOUR, ip("198.18.2.25"), "n@x", "n@y"), GreylistVerdict::Defer, "another /24");
        // `lookup_by_host`: each address on its own.
        let cfg = Greylist { lookup_by_host: true, ..Greylist::default() };
        let mut db = GreylistDb::default();
        for k in 0..5u64 {
            let c = ip(&format!("198.18.1.{}", 25 + k % 3));
            let rcpt = format!("u{k}@y");
            let _ = db.check(&cfg, k * 2 * HOUR, c, "a@x", &rcpt);
            let _ = db.check(&cfg, k * 2 * HOUR + 10 * MINUTE, c, "a@x", &rcpt);
        }
        assert_eq!(db.check(&cfg, 11 * HOUR, ip("198.18.1.25"), "n@x", "n@y"), GreylistVerdict::Defer);
    }
}
