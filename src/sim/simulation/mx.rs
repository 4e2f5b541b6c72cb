//! Choosing where to connect: A and MX lookups the way a real client does
//! them (RFC 5321 §5.1), with a per-run cache of each domain's MX targets.

use smallvec::{SmallVec, smallvec};
use smol_str::SmolStr;
use std::net::Ipv4Addr;

use super::Simulation;

/// The servers a session tries in turn (MX preference), with their
/// addresses: one or two nearly always, kept inline (no allocation per
/// attempt, and the MX cache's entries hold them without a pointer to follow).
pub(crate) type Targets = SmallVec<[(usize, Ipv4Addr); 2]>;

impl Simulation {
    /// Resolves a host name to a node the way a real client does: A lookup,
    /// then the node at that address.
    fn resolve(&mut self, host: &str) -> Option<(usize, Ipv4Addr)> {
        let ip = *self.dns.a(host).first()?;
        let node = *self.node_by_ip.get(&u32::from(ip))?;
        Some((node, ip))
    }

    /// The MX targets of a domain, most preferred first. The zones do not
    /// change during a run, so each domain is resolved once; later lookups
    /// are answered from the cache and counted as the same DNS queries.
    ///
    /// A server that finds itself among the MX hosts (`exclude`) keeps only
    /// the hosts more preferred than itself, as Postfix's `smtp` client does
    /// (RFC 5321 §5.1: the records at its own preference and higher are
    /// discarded; if none is left, the message is returned as undeliverable,
    /// see [`Self::mx_loops_back`]).
    pub(super) fn mx_targets(&mut self, domain: &str, exclude: Option<usize>) -> Targets {
        if let Some((all, prefs, queries)) = self.mx_cache.get(domain) {
            self.dns.queries += queries;
            let own = exclude.and_then(|x| all.iter().position(|(n, _)| *n == x)).map(|i| prefs[i]);
            return all
                .iter()
                .zip(prefs)
                .filter(|((n, _), p)| Some(*n) != exclude && own.is_none_or(|own| **p < own))
                .map(|(t, _)| *t)
                .collect();
        }
        let before = self.dns.queries;
        let mut hosts = self.dns.mx_records(domain);
        // Most preferred first; ties keep the zone's order (reproducible runs).
        hosts.sort_by_key(|(pref, _)| *pref);
        let (mut all, mut prefs) = (Targets::new(), SmallVec::new());
        for (pref, h) in &hosts {
            if let Some(t) = self.resolve(h) {
                all.push(t);
                prefs.push(*pref);
            }
        }
        let queries = self.dns.queries - before;
        self.dns.queries = before;
        self.mx_cache.insert(SmolStr::new(domain), (all, prefs, queries));
        self.mx_targets(domain, exclude)
    }

    /// Is node `n` among the MX hosts of `domain` (so that mail it relays
    /// there would come back to it)? Answered from the MX cache, which the
    /// attempt that asks has just filled.
    pub(super) fn mx_loops_back(&self, domain: &str, n: usize) -> bool {
        self.mx_cache.get(domain).is_some_and(|(all, _, _)| all.iter().any(|(x, _)| *x == n))
    }

    pub(super) fn node_target(&self, n: usize) -> Targets {
        self.nodes[n].ip.map(|ip| smallvec![(n, ip)]).unwrap_or_default()
    }
}
