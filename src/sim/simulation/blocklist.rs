//! DNS blocklists in the run: the zones built from the scenario, the spam
//! trap hits that list addresses, and the check at the connection. The
//! zones' logic is in `defense/dnsbl.rs`; the check at `RCPT TO` goes
//! through the server's restriction list (`server_env.rs`).

use std::net::Ipv4Addr;

use super::Simulation;
use crate::scenario::{DnsblStage, Scenario};
use crate::sim::defense::dnsbl::{BlocklistZone, Listing};
use crate::sim::message::MsgId;
use crate::sim::smtp::Reply;
use crate::units::SimTime;

/// The blocklist zones of a scenario, each with the customer ranges of the
/// ISPs that publish them.
pub(super) fn zones(s: &Scenario) -> Vec<BlocklistZone> {
    s.dns
        .iter()
        .filter_map(|z| {
            let b = z.blocklist.as_ref()?;
            let dynamic = s.isps.iter().filter(|i| b.dynamic_of.contains(&i.id)).flat_map(|i| i.customers.clone());
            Some(BlocklistZone::new(&z.domain, b, dynamic.collect()))
        })
        .collect()
}

impl Simulation {
    /// Server `n` accepted message `id` from `client` (node `from`): a spam
    /// trap of some blocklist, received by its own domain's first server,
    /// lists the client. The trap domain's own hops (its MX handing the
    /// message to its mailbox server) list nobody.
    pub(crate) fn note_trap_hit(&mut self, id: MsgId, n: usize, from: usize, client: Ipv4Addr, t: SimTime) {
        if self.dns.blocklists.is_empty() {
            return;
        }
        let m = &self.messages[id.0 as usize];
        let domain = m.rcpt_domain();
        if !self.nodes[n].is_local_domain(domain) || self.nodes[from].is_local_domain(domain) {
            return;
        }
        let mut hit = false;
        for z in &mut self.dns.blocklists {
            if z.is_trap(&m.rcpt) {
                z.trap_hit(client, t);
                hit = true;
            }
        }
        if hit && let Some(&owner) = self.node_by_ip.get(&u32::from(client)) {
            self.nodes[owner].counters.trap_hits += 1;
        }
    }

    /// The greeting of server `n` to `client` when it asks its blocklists at
    /// the connection and one lists the client (postscreen, rblsmtpd).
    pub(super) fn blocklist_greeting(&mut self, n: usize, client: Ipv4Addr, t: SimTime) -> Option<Reply> {
        let cfg = self.nodes[n].kind.mail_server()?.dnsbl.as_ref()?;
        if cfg.at != DnsblStage::Connect {
            return None;
        }
        let zones = cfg.zones.clone();
        let (found, asked) = first_listing(&mut self.dns, &zones, client, t);
        self.nodes[n].counters.dnsbl_lookups += asked;
        let (zone, listing) = found?;
        Some(Reply::blocklisted(client, &zone, &listing.reason(&zone)))
    }
}

/// The first of `zones` that lists `ip` at `now`, asking them in order
/// (Postfix stops at the first listing), and how many were asked.
pub(crate) fn first_listing(
    dns: &mut crate::sim::dns::Dns,
    zones: &[String],
    ip: Ipv4Addr,
    now: SimTime,
) -> (Option<(String, Listing)>, u64) {
    let mut asked = 0;
    for z in zones {
        asked += 1;
        if let Some(l) = dns.blocklist(z, ip, now) {
            return (Some((z.clone(), l)), asked);
        }
    }
    (None, asked)
}
