//! お馴染さん方式 ("regulars"), the scheme of seed 003: a client address
//! never seen before (一見さん, a stranger) is refused with a temporary
//! error; when the same address comes back after `delay`, it becomes a
//! regular (お馴染さん) and passes from then on, whatever it sends, until it
//! has not been seen for `max_age`.
//!
//! The difference from postgrey (`greylist.rs`) is the key: the address
//! alone, not the triplet (address, sender, recipient). So a server is
//! delayed once, not once per new sender and recipient, and its costs are
//! the seed's own findings:
//!
//! - §2.4: spam sent through a regular (a big provider's server, a mailing
//!   list) is accepted: the address alone cannot tell;
//! - §2.3: a provider that retries from another of its servers is a new
//!   stranger each time, and waits until it retries from the same one;
//!   a shared whitelist of such providers is the seed's remedy;
//! - §2.5: a sender that never retries never becomes a regular.
//!
//! Like postgrey it answers `DEFER_IF_PERMIT`: the server asks only about
//! mail it would otherwise accept. The defaults are postgrey's (300 s,
//! 2 days, 35 days) so that the two schemes compare on the same traffic.

use rustc_hash::FxHashMap as HashMap;
use std::net::Ipv4Addr;

use crate::scenario::Familiar;
use crate::units::{SECOND, SimTime};

/// What the scheme says about one client address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FamiliarVerdict {
    /// A stranger, or one that came back too soon: try again later.
    Defer,
    /// A stranger that came back after the delay: now a regular.
    /// `waited_s` is how long it waited since its first contact.
    Admitted { waited_s: u64 },
    /// A regular: passes.
    Regular,
    /// On the shared whitelist: passes without a lookup.
    Whitelisted,
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    /// The first contact of the current wait (or of the regular's admission).
    first: SimTime,
    /// The last contact.
    last: SimTime,
    regular: bool,
}

/// The scheme's one table: client key → entry.
#[derive(Debug, Default)]
pub struct FamiliarDb {
    entries: HashMap<u32, Entry>,
    /// Addresses admitted as regulars so far (a regular forgotten and
    /// admitted again counts again).
    admitted: u64,
}

impl FamiliarDb {
    fn key(cfg: &Familiar, ip: Ipv4Addr) -> u32 {
        let raw = u32::from(ip);
        if cfg.by_subnet { raw & 0xFFFF_FF00 } else { raw }
    }

    /// Regulars admitted so far.
    pub fn admitted(&self) -> u64 {
        self.admitted
    }

    /// The verdict for a client at `ip` at time `now`; records the contact.
    pub fn check(&mut self, cfg: &Familiar, now: SimTime, ip: Ipv4Addr) -> FamiliarVerdict {
        if cfg.whitelist.iter().any(|c| c.contains(ip)) {
            return FamiliarVerdict::Whitelisted;
        }
        let key = Self::key(cfg, ip);
        let stranger = Entry { first: now, last: now, regular: false };
        let e = self.entries.entry(key).or_insert(stranger);
        if e.regular {
            if now - e.last > cfg.max_age.0 {
                // Forgotten: a stranger again.
                *e = stranger;
                return FamiliarVerdict::Defer;
            }
            e.last = now;
            return FamiliarVerdict::Regular;
        }
        if now - e.first > cfg.retry_window.0 {
            // Came back too late: the wait starts over.
            *e = stranger;
            return FamiliarVerdict::Defer;
        }
        e.last = now;
        if now - e.first < cfg.delay.0 {
            return FamiliarVerdict::Defer;
        }
        e.regular = true;
        self.admitted += 1;
        FamiliarVerdict::Admitted { waited_s: (now - e.first) / SECOND }
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
    fn a_stranger_waits_once_then_is_a_regular_for_everything_it_sends() {
        let cfg = Familiar::default();
        let mut db = FamiliarDb::default();
        let c = ip("192.0.2.10");
        assert_eq!(db.check(&cfg, 0, c), FamiliarVerdict::Defer);
        assert_eq!(db.check(&cfg, 4 * MINUTE, c), FamiliarVerdict::Defer, "too soon");
        assert_eq!(db.check(&cfg, 5 * MINUTE, c), FamiliarVerdict::Admitted { waited_s: 300 });
        // Any sender, any recipient: the address alone is asked about.
        assert_eq!(db.check(&cfg, 5 * MINUTE + 1, c), FamiliarVerdict::Regular);
        assert_eq!(db.check(&cfg, DAY, c), FamiliarVerdict::Regular);
        assert_eq!(db.admitted(), 1);
    }

    #[test]
    fn each_server_of_a_pool_is_a_stranger_unless_keyed_by_its_24() {
        let cfg = Familiar::default();
        let mut db = FamiliarDb::default();
        assert_eq!(db.check(&cfg, 0, ip("198.18.1.25")), FamiliarVerdict::Defer);
        assert_eq!(db.check(&cfg, 10 * MINUTE, ip("198.18.1.26")), FamiliarVerdict::Defer, "another server");
        assert_eq!(db.check(&cfg, 20 * MINUTE, ip("198.18.1.25")), FamiliarVerdict::Admitted { waited_s: 1200 });
        let by_net = Familiar { by_subnet: true, ..Familiar::default() };
        let mut db = FamiliarDb::default();
        db.check(&by_net, 0, ip("198.18.1.25"));
        assert_eq!(db.check(&by_net, 10 * MINUTE, ip("198.18.1.26")), FamiliarVerdict::Admitted { waited_s: 600 });
    }

    #[test]
    fn the_whitelist_passes_and_late_returns_and_old_regulars_start_over() {
        let cfg = Familiar { whitelist: vec!["198.18.0.0/16".parse().unwrap()], ..Familiar::default() };
        let mut db = FamiliarDb::default();
        assert_eq!(db.check(&cfg, 0, ip("198.18.3.1")), FamiliarVerdict::Whitelisted);
        let c = ip("192.0.2.10");
        db.check(&cfg, 0, c);
        assert_eq!(db.check(&cfg, 3 * DAY, c), FamiliarVerdict::Defer, "after the 2-day window");
        assert!(matches!(db.check(&cfg, 3 * DAY + 6 * MINUTE, c), FamiliarVerdict::Admitted { .. }));
        assert_eq!(db.check(&cfg, 3 * DAY + 36 * DAY + 7 * MINUTE, c), FamiliarVerdict::Defer, "forgotten");
    }
}
