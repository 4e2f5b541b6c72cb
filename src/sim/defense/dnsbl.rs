//! DNS blocklists (seed 003 §3.5, §4): zones that list client addresses,
//! asked as Postfix's `reject_rbl_client` asks them. A listed address
//! `a.b.c.d` answers `d.c.b.a.<zone>` with an A record `127.0.0.x` and a
//! TXT record giving the reason; an address not listed has no record
//! (NXDOMAIN).
//!
//! Listings come from mechanisms:
//! - a dial-up list (a "DUL"): ISPs publish their dynamic customer ranges,
//!   listed for the whole run (`127.0.0.10`, as Spamhaus's PBL answers for
//!   ranges an ISP listed itself);
//! - spam traps: addresses no person uses, so only spammers (who harvest or
//!   guess addresses) write to them. A hit lists the address that handed
//!   the message to the trap's server after a delay (reports are processed
//!   in batches) until `expiry` after its last hit (SpamCop: 24 hours),
//!   answered `127.0.0.2`. The address is the last hop's: a shared ISP relay
//!   that relays some spam is listed, with all its legit customers behind it.

use rustc_hash::FxHashMap as HashMap;
use std::net::Ipv4Addr;

use crate::scenario::Blocklist;
use crate::units::{Cidr, SimTime};

/// The A record a listed address gets: why it is listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listing {
    /// `127.0.0.2`: it sent to a spam trap.
    Trap,
    /// `127.0.0.10`: a dynamic range its ISP published.
    Dynamic,
}

impl Listing {
    pub fn a_record(self) -> Ipv4Addr {
        match self {
            Listing::Trap => Ipv4Addr::new(127, 0, 0, 2),
            Listing::Dynamic => Ipv4Addr::new(127, 0, 0, 10),
        }
    }
    /// The TXT record's text.
    pub fn reason(self, zone: &str) -> String {
        match self {
            Listing::Trap => format!("Listed for sending to spam traps, see http://{zone}/lookup"),
            Listing::Dynamic => {
                format!("Dynamic address range: send through your provider's mail server, see http://{zone}/dul")
            }
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct TrapListing {
    /// Listed from (the first hit plus the listing delay).
    from: SimTime,
    /// Listed until (the last hit plus the delay and the expiry).
    until: SimTime,
}

/// One blocklist zone at run time.
#[derive(Debug, Clone)]
pub struct BlocklistZone {
    pub zone: String,
    static_ranges: Vec<Cidr>,
    /// Trap addresses (lower case) and whole trap domains (`*@domain`).
    traps: Vec<String>,
    trap_domains: Vec<String>,
    listing_delay: u64,
    expiry: u64,
    listed: HashMap<u32, TrapListing>,
}

impl BlocklistZone {
    /// The zone `zone` with the scenario's settings; `dynamic` are the
    /// customer ranges of the ISPs named in `dynamic_of`.
    pub fn new(zone: &str, cfg: &Blocklist, dynamic: Vec<Cidr>) -> Self {
        let mut static_ranges = dynamic;
        static_ranges.extend(cfg.ranges.iter().copied());
        let (mut traps, mut trap_domains) = (Vec::new(), Vec::new());
        for t in &cfg.traps {
            match t.strip_prefix("*@") {
                Some(d) => trap_domains.push(d.to_ascii_lowercase()),
                None => traps.push(t.to_ascii_lowercase()),
            }
        }
        BlocklistZone {
            zone: zone.to_ascii_lowercase(),
            static_ranges,
            traps,
            trap_domains,
            listing_delay: cfg.listing_delay.0,
            expiry: cfg.expiry.0,
            listed: HashMap::default(),
        }
    }

    /// Is `rcpt` one of this list's spam traps?
    pub fn is_trap(&self, rcpt: &str) -> bool {
        let r = rcpt.to_ascii_lowercase();
        let domain = r.rsplit_once('@').map_or("", |(_, d)| d);
        self.traps.contains(&r) || self.trap_domains.iter().any(|d| d == domain)
    }

    /// A trap hit at `now` by a message handed over from `ip`.
    pub fn trap_hit(&mut self, ip: Ipv4Addr, now: SimTime) {
        let listed_from = now.saturating_add(self.listing_delay);
        let until = listed_from.saturating_add(self.expiry);
        let e = self.listed.entry(u32::from(ip)).or_insert(TrapListing { from: listed_from, until });
        if e.until <= listed_from {
            // The old listing ran out before this hit shows: listed anew.
            e.from = listed_from;
        }
        e.until = e.until.max(until);
    }

    /// The answer for `ip` at `now`: why it is listed, if it is.
    pub fn lookup(&self, ip: Ipv4Addr, now: SimTime) -> Option<Listing> {
        if self.listed.get(&u32::from(ip)).is_some_and(|l| l.from <= now && now < l.until) {
            return Some(Listing::Trap);
        }
        self.static_ranges.iter().any(|r| r.contains(ip)).then_some(Listing::Dynamic)
    }
}

/// The name a resolver asks for `ip` in `zone`: the address's octets
/// reversed, then the zone (`10.2.0.192.dnsbl.example` for 192.0.2.10).
pub fn query_name(ip: Ipv4Addr, zone: &str) -> String {
    let [a, b, c, d] = ip.octets();
    format!("{d}.{c}.{b}.{a}.{zone}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::units::{HOUR, MINUTE};

    fn ip(s: &str) -> Ipv4Addr {
        s.parse().unwrap()
    }

    fn zone(traps: &[&str]) -> BlocklistZone {
        let cfg = Blocklist {
            dynamic_of: vec![],
            ranges: vec!["10.6.0.0/16".parse().unwrap()],
            traps: traps.iter().map(|t| t.to_string()).collect(),
            listing_delay: crate::units::Duration::from_mins(10),
            expiry: crate::units::Duration::from_secs(86_400),
        };
        BlocklistZone::new("DNSBL.example", &cfg, vec!["10.9.0.0/24".parse().unwrap()])
    }

    #[test]
    fn the_query_name_reverses_the_octets() {
        assert_eq!(query_name(ip("192.0.2.10"), "dnsbl.example"), "10.2.0.192.dnsbl.example");
    }

    #[test]
    fn static_ranges_are_listed_from_the_start() {
        let z = zone(&[]);
        assert_eq!(z.lookup(ip("10.6.3.4"), 0), Some(Listing::Dynamic));
        assert_eq!(z.lookup(ip("10.9.0.200"), 0), Some(Listing::Dynamic), "an ISP's published range");
        assert_eq!(z.lookup(ip("192.0.2.10"), 0), None);
        assert_eq!(Listing::Dynamic.a_record(), ip("127.0.0.10"));
    }

    #[test]
    fn a_trap_hit_lists_after_the_delay_until_the_expiry_after_the_last_hit() {
        let mut z = zone(&["trap@x.example", "*@traps.example"]);
        assert!(z.is_trap("Trap@X.example") && z.is_trap("anyone@traps.example") && !z.is_trap("bob@x.example"));
        let relay = ip("192.0.2.10");
        z.trap_hit(relay, HOUR);
        assert_eq!(z.lookup(relay, HOUR + 9 * MINUTE), None, "reports are processed in batches");
        assert_eq!(z.lookup(relay, HOUR + 10 * MINUTE), Some(Listing::Trap));
        z.trap_hit(relay, 10 * HOUR);
        assert_eq!(z.lookup(relay, 30 * HOUR), Some(Listing::Trap), "the expiry counts from the last hit");
        assert_eq!(z.lookup(relay, 34 * HOUR + 10 * MINUTE), None, "delisted 24 h after the last hit shows");
        z.trap_hit(relay, 40 * HOUR);
        assert_eq!(z.lookup(relay, 40 * HOUR + 5 * MINUTE), None, "a new listing waits for its batch too");
        assert_eq!(z.lookup(relay, 40 * HOUR + 10 * MINUTE), Some(Listing::Trap));
    }
}
