//! What a receiving SMTP server knows and keeps while it answers: its
//! domains and mailboxes, accounts, rate limits, SPF and greylisting state,
//! lent to its session through the [`ServerEnv`] trait so that the server's
//! state machine (`smtp/server.rs`) never sees the simulation.

use std::net::Ipv4Addr;

use super::bump;
use crate::scenario::{Restriction, SpfAction};
use crate::sim::defense::familiar::FamiliarVerdict;
use crate::sim::defense::greylist::GreylistVerdict;
use crate::sim::defense::{auth, spf_check};
use crate::sim::dns::Dns;
use crate::sim::smtp::server::ServerEnv;
use crate::sim::spf::{self, SpfResult};
use crate::sim::world::NodeRt;
use crate::units::{HOUR, SimTime};

/// The receiving server's knowledge and state, lent to its SMTP session.
pub(super) struct Env<'a> {
    pub(super) nodes: &'a mut [NodeRt],
    /// The receiving server's index in `nodes`.
    pub(super) server: usize,
    pub(super) dns: &'a mut Dns,
    /// The time of the command being answered.
    pub(super) now: SimTime,
}

impl ServerEnv for Env<'_> {
    fn is_local_domain(&self, d: &str) -> bool {
        self.nodes[self.server].is_local_domain(d)
    }
    fn mailbox_exists(&self, a: &str) -> Option<bool> {
        let node = &self.nodes[self.server];
        match node.mailbox_node {
            // A front MX knows the users only if it verifies recipients.
            Some(mb) => {
                let verify = node.kind.mail_server().is_some_and(|m| m.verify_recipients);
                verify.then(|| self.nodes[mb].mailboxes.contains(a))
            }
            None => Some(node.mailboxes.contains(a)),
        }
    }
    fn auth_offered(&self) -> bool {
        self.nodes[self.server].kind.mail_server().is_some_and(|m| !m.accounts.is_empty())
    }
    fn check_credentials(&mut self, user: &str, password: &str) -> bool {
        let node = &mut self.nodes[self.server];
        let ok = node.kind.mail_server().is_some_and(|m| auth::verify(&m.accounts, user, password));
        if ok {
            node.counters.auth_ok += 1;
        } else {
            node.counters.auth_failed += 1;
        }
        ok
    }
    fn within_rate_limit(&mut self, user: &str) -> bool {
        let node = &mut self.nodes[self.server];
        match node.kind.mail_server().and_then(|m| m.auth_rate_limit) {
            Some(rate) => node.rate.allow(user, self.now, rate.per_ms * HOUR as f64),
            None => true,
        }
    }
    fn spf(&mut self, ip: Ipv4Addr, helo: &str, mail_from: &str) -> Option<(SpfResult, SpfAction)> {
        let cfg = self.nodes[self.server].kind.mail_server()?.spf.clone()?;
        let result = spf::check_mail_from(self.dns, spf_check::ip(ip), mail_from, helo);
        bump(&mut self.nodes[self.server].counters.spf, result.as_str());
        let action = match &result {
            SpfResult::Fail { .. } => cfg.on_fail,
            SpfResult::SoftFail => cfg.on_softfail,
            SpfResult::PermError(_) => cfg.on_permerror,
            SpfResult::TempError(_) => cfg.on_temperror,
            _ => SpfAction::Mark,
        };
        Some((result, action))
    }
    fn greylist(&mut self, ip: Ipv4Addr, sender: &str, rcpt: &str) -> Option<GreylistVerdict> {
        // The table may be another server's (a shared `database`): borrowed
        // out of its node for the lookup.
        let home = self.nodes[self.server].greylist_home;
        let mut db = std::mem::take(&mut self.nodes[home].greylist);
        let node = &mut self.nodes[self.server];
        let v = node
            .kind
            .mail_server()
            .and_then(|m| m.greylist.as_ref())
            .map(|cfg| db.check(cfg, self.now, ip, sender, rcpt));
        self.nodes[home].greylist = db;
        let (v, node) = (v?, &mut self.nodes[self.server]);
        match v {
            GreylistVerdict::Defer => node.counters.greylisted += 1,
            GreylistVerdict::Pass { delayed_s } if delayed_s > 0 => node.counters.greylist_passed += 1,
            _ => {}
        }
        Some(v)
    }
    fn familiar(&mut self, ip: Ipv4Addr) -> Option<FamiliarVerdict> {
        let home = self.nodes[self.server].familiar_home;
        let mut db = std::mem::take(&mut self.nodes[home].familiar);
        let node = &self.nodes[self.server];
        let v = node.kind.mail_server().and_then(|m| m.familiar.as_ref()).map(|cfg| db.check(cfg, self.now, ip));
        self.nodes[home].familiar = db;
        let (v, node) = (v?, &mut self.nodes[self.server]);
        match v {
            FamiliarVerdict::Defer => node.counters.familiar_deferred += 1,
            FamiliarVerdict::Admitted { .. } => node.counters.familiar_admitted += 1,
            FamiliarVerdict::Regular | FamiliarVerdict::Whitelisted => node.counters.familiar_passed += 1,
        }
        Some(v)
    }
    fn blocklisted(&mut self, ip: Ipv4Addr) -> Option<(String, String)> {
        let cfg = self.nodes[self.server].kind.mail_server()?.dnsbl.as_ref()?;
        if cfg.at != crate::scenario::DnsblStage::Rcpt {
            return None;
        }
        let zones = cfg.zones.clone();
        let (found, asked) = super::blocklist::first_listing(self.dns, &zones, ip, self.now);
        self.nodes[self.server].counters.dnsbl_lookups += asked;
        found.map(|(zone, listing)| {
            let reason = listing.reason(&zone);
            (zone, reason)
        })
    }
    fn verify_sender(&mut self, _ip: Ipv4Addr, sender: &str) -> Option<crate::sim::smtp::Reply> {
        super::callback::verify(self, sender)
    }
    fn relays_for(&self, domain: &str) -> bool {
        self.nodes[self.server].relay_domains.contains_lowercase(&crate::sim::world::lowercase(domain))
    }
    fn restrictions(&self) -> &[Restriction] {
        self.nodes[self.server].kind.mail_server().map_or(&Restriction::DEFAULT_ORDER, |m| m.restrictions())
    }
}
