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
    last: HashMap<u32, SimTime>,
}

impl PopLogins {
    pub fn record(&mut self, ip: Ipv4Addr, t: SimTime) {
        self.last.insert(u32::from(ip), t);
    }
    /// How long ago the address logged in, if within `window`.
    pub fn permits(&self, ip: Ipv4Addr, t: SimTime, window: u64) -> Option<u64> {
        let at = *self.last.get(&u32::from(ip))?;
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
}
