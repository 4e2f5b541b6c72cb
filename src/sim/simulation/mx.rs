//! Choosing where to connect: A and MX lookups the way a real client does
//! them (RFC 5321 §5.1), with a per-run cache of each domain's MX targets.

use smallvec::{SmallVec, smallvec};
use smol_str::SmolStr;
use std::net::Ipv4Addr;

use super::Simulation;
use crate::sim::rng;

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
    ///
    /// Hosts of equal preference come in an order drawn for each attempt
    /// from the `client` node's own stream (RFC 5321 §5.1: the client MUST
    /// randomize them to spread the load); a domain without ties draws nothing.
    pub(super) fn mx_targets(&mut self, domain: &str, exclude: Option<usize>, client: usize) -> Targets {
        if let Some((all, prefs, queries)) = self.mx_cache.get(domain) {
            self.dns.queries += queries;
            let own = exclude.and_then(|x| all.iter().position(|(n, _)| *n == x)).map(|i| prefs[i]);
            let kept: SmallVec<[((usize, Ipv4Addr), u16); 4]> = all
                .iter()
                .zip(prefs)
                .filter(|((n, _), p)| Some(*n) != exclude && own.is_none_or(|own| **p < own))
                .map(|(t, p)| (*t, *p))
                .collect();
            let mut out: Targets = kept.iter().map(|(t, _)| *t).collect();
            if kept.windows(2).any(|w| w[0].1 == w[1].1) {
                self.shuffle_ties(&mut out, &kept, client);
            }
            return out;
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
        self.mx_targets(domain, exclude, client)
    }

    /// Shuffles each run of equally preferred hosts in `out` (Fisher–Yates).
    fn shuffle_ties(&mut self, out: &mut Targets, kept: &[((usize, Ipv4Addr), u16)], client: usize) {
        let node = &mut self.nodes[client];
        if node.mx_rng.is_none() {
            node.mx_rng = Some(rng::stream(self.seed, "mx-order", &node.id));
        }
        let Some(r) = node.mx_rng.as_mut() else { return };
        let mut start = 0;
        while start < kept.len() {
            let end = start + kept[start..].iter().take_while(|(_, p)| *p == kept[start].1).count();
            for i in (start + 1..end).rev() {
                let j = start + rng::index(r, i - start + 1);
                out.swap(i, j);
            }
            start = end;
        }
    }

    /// The MX targets of `domain` with the least preferred first (spam
    /// software that aims at backup MX hosts).
    pub(super) fn mx_targets_backup_first(&mut self, domain: &str, client: usize) -> Targets {
        let mut t = self.mx_targets(domain, None, client);
        t.reverse();
        t
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
