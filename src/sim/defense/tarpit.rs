//! Throttling instead of a temporary error (seed 003 §3.2): a tarpit holds
//! back every reply to a client address it does not know yet. The client's
//! own timeout decides what happens: RFC 5321 §4.5.3.2 gives an MTA five
//! minutes per reply (Postfix `smtp_helo_timeout`, `smtp_mail_timeout`,
//! `smtp_rcpt_timeout`: 300 s), so a patient MTA waits and delivers, and is
//! known from then on; spam software that gives up after a few seconds
//! leaves without sending anything. Nothing is refused.

use rustc_hash::FxHashMap as HashMap;
use std::net::Ipv4Addr;

use crate::scenario::Tarpit;
use crate::units::SimTime;

/// The addresses that got through the tarpit, with when they were last seen.
#[derive(Debug, Default)]
pub struct TarpitDb {
    known: HashMap<u32, SimTime>,
}

impl TarpitDb {
    /// How long each reply to `ip` is held back at `now` (0: not slowed).
    pub fn delay_for(&mut self, cfg: &Tarpit, ip: Ipv4Addr, now: SimTime) -> u64 {
        if cfg.whitelist.iter().any(|c| c.contains(ip)) {
            return 0;
        }
        match self.known.get_mut(&u32::from(ip)) {
            Some(last) if now - *last <= cfg.max_age.0 => {
                *last = now;
                0
            }
            _ => cfg.delay.0,
        }
    }

    /// `ip` waited out the tarpit and delivered: known from now on.
    pub fn learn(&mut self, ip: Ipv4Addr, now: SimTime) {
        self.known.insert(u32::from(ip), now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::units::{DAY, SECOND};

    #[test]
    fn strangers_are_slowed_until_they_deliver_once() {
        let cfg = Tarpit::default();
        let mut db = TarpitDb::default();
        let ip: Ipv4Addr = "192.0.2.10".parse().unwrap();
        assert_eq!(db.delay_for(&cfg, ip, 0), 30 * SECOND);
        db.learn(ip, 0);
        assert_eq!(db.delay_for(&cfg, ip, DAY), 0);
        assert_eq!(db.delay_for(&cfg, ip, 37 * DAY), 30 * SECOND, "forgotten after max_age unseen");
        let listed = Tarpit { whitelist: vec!["10.0.0.0/8".parse().unwrap()], ..Tarpit::default() };
        assert_eq!(db.delay_for(&listed, "10.1.2.3".parse().unwrap(), 0), 0);
    }
}
