//! A per-client connection rate limit (seed 003 §3.4: hosts that keep
//! reconnecting after errors are refused by tcpserver rules, or dropped at
//! the router). Postfix's anvil counts each client's connections per
//! `anvil_rate_time_unit` (60 s); a connection over
//! `smtpd_client_connection_rate_limit` is answered `421 4.7.0 … too many
//! connections` before any dialogue, so a client that ignores errors costs
//! the server one reply instead of a whole dialogue.

use rustc_hash::FxHashMap as HashMap;
use std::net::Ipv4Addr;

use crate::units::{MINUTE, SimTime};

/// Postfix `anvil_rate_time_unit`.
pub const RATE_TIME_UNIT_MS: u64 = MINUTE;

/// Connections per client in its current time unit.
#[derive(Debug, Default)]
pub struct ConnectionRates {
    windows: HashMap<u32, (SimTime, u32)>,
}

impl ConnectionRates {
    /// Counts a connection from `ip` at `now`; false when it is over `limit`
    /// in the time unit that began with the client's first connection in it.
    pub fn allow(&mut self, ip: Ipv4Addr, now: SimTime, limit: u32) -> bool {
        let w = self.windows.entry(u32::from(ip)).or_insert((now, 0));
        if now - w.0 >= RATE_TIME_UNIT_MS {
            *w = (now, 0);
        }
        w.1 += 1;
        w.1 <= limit
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::units::SECOND;

    #[test]
    fn the_connection_over_the_limit_in_a_minute_is_refused() {
        let mut r = ConnectionRates::default();
        let ip: Ipv4Addr = "10.5.9.9".parse().unwrap();
        assert!((0..3).all(|k| r.allow(ip, k * SECOND, 3)));
        assert!(!r.allow(ip, 10 * SECOND, 3));
        assert!(r.allow("10.5.9.10".parse().unwrap(), 10 * SECOND, 3), "each client on its own");
        assert!(r.allow(ip, 60 * SECOND, 3), "a new minute");
    }
}
