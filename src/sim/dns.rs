//! The simulated DNS: MX, A and TXT records from the scenario's zones, plus an
//! A record for every server's host name. Lookups are answered at once; they
//! are counted so that DNS load can be reported.

use rustc_hash::FxHashMap as HashMap;
use std::net::Ipv4Addr;

use super::defense::dnsbl::{BlocklistZone, Listing};
use crate::units::SimTime;

#[derive(Debug, Default, Clone)]
pub struct Dns {
    mx: HashMap<String, Vec<(u16, String)>>,
    a: HashMap<String, Vec<Ipv4Addr>>,
    txt: HashMap<String, Vec<String>>,
    ptr: HashMap<u32, Vec<String>>,
    /// Zones that are DNS blocklists: their records change as listings
    /// come and go, so they answer from their listings.
    pub blocklists: Vec<BlocklistZone>,
    pub queries: u64,
}

impl Dns {
    pub fn add_mx(&mut self, domain: &str, pref: u16, host: &str) {
        self.mx.entry(domain.to_ascii_lowercase()).or_default().push((pref, host.to_ascii_lowercase()));
    }
    pub fn add_a(&mut self, name: &str, ip: Ipv4Addr) {
        self.a.entry(name.to_ascii_lowercase()).or_default().push(ip);
    }
    /// A PTR record (reverse DNS) for a server's address.
    pub fn add_ptr(&mut self, ip: Ipv4Addr, name: &str) {
        self.ptr.entry(u32::from(ip)).or_default().push(name.to_ascii_lowercase());
    }
    pub fn ptr_of(&mut self, ip: Ipv4Addr) -> Vec<String> {
        self.queries += 1;
        self.ptr.get(&u32::from(ip)).cloned().unwrap_or_default()
    }
    /// Does any record exist at `name`?
    pub fn has_name(&self, name: &str) -> bool {
        let n = name.to_ascii_lowercase();
        self.mx.contains_key(&n) || self.a.contains_key(&n) || self.txt.contains_key(&n)
    }
    /// MX records with their preferences, as a resolver returns them.
    pub fn mx_records(&mut self, domain: &str) -> Vec<(u16, String)> {
        self.queries += 1;
        self.mx.get(&domain.to_ascii_lowercase()).cloned().unwrap_or_default()
    }
    /// Replaces the TXT records at `name` (none: removes them).
    pub fn set_txt(&mut self, name: &str, texts: &[String]) {
        let name = name.to_ascii_lowercase();
        if texts.is_empty() {
            self.txt.remove(&name);
        } else {
            self.txt.insert(name, texts.to_vec());
        }
    }
    pub fn add_txt(&mut self, name: &str, text: &str) {
        self.txt.entry(name.to_ascii_lowercase()).or_default().push(text.to_string());
    }

    /// MX hosts of `domain`, most preferred first (RFC 5321 §5.1); ties keep
    /// the order of the zone file so that runs are reproducible.
    pub fn mx(&mut self, domain: &str) -> Vec<String> {
        self.queries += 1;
        let mut v = self.mx.get(&domain.to_ascii_lowercase()).cloned().unwrap_or_default();
        v.sort_by_key(|(pref, _)| *pref);
        v.into_iter().map(|(_, h)| h).collect()
    }
    pub fn a(&mut self, name: &str) -> Vec<Ipv4Addr> {
        self.queries += 1;
        self.a.get(&name.to_ascii_lowercase()).cloned().unwrap_or_default()
    }
    /// Asks blocklist `zone` about `ip` at `now` (`d.c.b.a.<zone>` A; when
    /// listed, TXT too, as Postfix asks for the reason): why it is listed.
    /// A zone that is not a blocklist lists nothing.
    pub fn blocklist(&mut self, zone: &str, ip: Ipv4Addr, now: SimTime) -> Option<Listing> {
        self.queries += 1;
        let listing = self.blocklists.iter().find(|z| z.zone.eq_ignore_ascii_case(zone))?.lookup(ip, now);
        self.queries += u64::from(listing.is_some());
        listing
    }
    pub fn txt(&mut self, name: &str) -> Vec<String> {
        self.queries += 1;
        self.txt.get(&name.to_ascii_lowercase()).cloned().unwrap_or_default()
    }
}
