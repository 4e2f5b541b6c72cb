//! POP-before-SMTP (DRAC, the pop-before-smtp daemon): a successful POP3
//! login records the client's address and time; for `window` after it, the
//! relay lets that address relay. It trusts an address, not a person: every
//! host behind the same NAT router, and the next customer given the same
//! dynamic address, inherit the permission.

use rustc_hash::FxHashMap as HashMap;
use std::net::Ipv4Addr;

use crate::units::SimTime;

#[derive(Debug, Default, Clone)]
pub struct PopLogins {
    /// By address: the latest login and the one before it. A login is
    /// recorded when its POP3 session starts, at the time its `PASS` will
    /// succeed (a few round trips later); until then the previous login of
    /// the address (another host behind the same NAT) still counts.
    last: HashMap<u32, [SimTime; 2]>,
}

impl PopLogins {
    pub fn record(&mut self, ip: Ipv4Addr, t: SimTime) {
        let e = self.last.entry(u32::from(ip)).or_insert([t, t]);
        if t >= e[1] {
            *e = [e[1], t];
        } else if t > e[0] {
            e[0] = t;
        }
    }
    /// How long ago the address logged in, if within `window`.
    pub fn permits(&self, ip: Ipv4Addr, t: SimTime, window: u64) -> Option<u64> {
        let [before, latest] = *self.last.get(&u32::from(ip))?;
        let at = if latest <= t { latest } else { before };
        (at <= t && t - at <= window).then_some(t - at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::units::MINUTE;

    #[test]
    fn a_login_permits_its_address_for_the_window_only() {
        let mut p = PopLogins::default();
        let ip: Ipv4Addr = "203.0.113.5".parse().unwrap();
        p.record(ip, 10 * MINUTE);
        assert_eq!(p.permits(ip, 39 * MINUTE, 30 * MINUTE), Some(29 * MINUTE));
        assert_eq!(p.permits(ip, 41 * MINUTE, 30 * MINUTE), None);
        assert_eq!(p.permits("203.0.113.6".parse().unwrap(), 11 * MINUTE, 30 * MINUTE), None);
    }

    #[test]
    fn a_login_still_under_way_leaves_the_previous_one_in_force() {
        let mut p = PopLogins::default();
        let ip: Ipv4Addr = "203.0.113.5".parse().unwrap();
        p.record(ip, 10 * MINUTE);
        p.record(ip, 20 * MINUTE); // its PASS succeeds at 20 min
        assert_eq!(p.permits(ip, 15 * MINUTE, 30 * MINUTE), Some(5 * MINUTE));
        assert_eq!(p.permits(ip, 21 * MINUTE, 30 * MINUTE), Some(MINUTE));
    }
}
