//! Addresses, mail and IP: plausible `user@domain` forms, mailboxes in a
//! server's own domains, forwards, recipients that mail can reach, IP
//! ranges that no two ISPs share, and sending pools inside their server's
//! ranges.

use std::collections::{HashMap, HashSet};

use super::Checker;
use crate::scenario::error::ProblemKind;
use crate::scenario::schema::*;
use crate::units::Cidr;

/// ISP address ranges must not overlap, between or within ISPs.
pub(super) fn check_ranges(c: &mut Checker, s: &Scenario) {
    let ranges: Vec<(usize, &str, usize, &Cidr)> = s
        .isps
        .iter()
        .enumerate()
        .flat_map(|(i, isp)| {
            let cust = isp.customers.iter().enumerate().map(move |(j, r)| (i, "customers", j, r));
            cust.chain(isp.servers.iter().enumerate().map(move |(j, r)| (i, "servers", j, r)))
        })
        .collect();
    for (a, (ia, fa, ja, ra)) in ranges.iter().enumerate() {
        for (ib, _fb, _jb, rb) in ranges.iter().skip(a + 1) {
            if ra.overlaps(rb) {
                c.report(
                    &format!("isps[{ia}].{fa}[{ja}]"),
                    ProblemKind::OverlappingRanges {
                        isp: s.isps[*ia].id.clone(),
                        range: ra.to_string(),
                        other_isp: s.isps[*ib].id.clone(),
                        other: rb.to_string(),
                    },
                );
            }
        }
    }
}

/// Splits `user@domain`, refusing what is not a plausible address.
pub fn split_address(a: &str) -> Option<(&str, &str)> {
    let (l, d) = a.rsplit_once('@')?;
    let ok = !l.is_empty()
        && !d.is_empty()
        && !d.starts_with('.')
        && !d.ends_with('.')
        && d.contains('.')
        && !a.contains(char::is_whitespace);
    ok.then_some((l, d))
}

pub(super) fn check_address(c: &mut Checker, path: &str, a: &str) {
    if split_address(a).is_none() {
        c.report(path, ProblemKind::BadAddress { address: a.to_string() });
    }
}

pub(super) fn check_forwards(c: &mut Checker, path: &str, fw: &[(String, String)]) {
    for (j, (from, to)) in fw.iter().enumerate() {
        check_address(c, &format!("{path}[{j}][0]"), from);
        check_address(c, &format!("{path}[{j}][1]"), to);
    }
}

pub(super) fn check_mailbox(c: &mut Checker, path: &str, mbx: &str, domains: &[String]) {
    match split_address(mbx) {
        None => c.report(path, ProblemKind::BadAddress { address: mbx.to_string() }),
        Some((_, d)) if !domains.is_empty() && !domains.iter().any(|x| x.eq_ignore_ascii_case(d)) => {
            c.invalid(path, format!("mailbox `{mbx}`"), "its domain is not one of the server's `domains`")
        }
        _ => {}
    }
}

pub(super) fn check_targets(c: &mut Checker, path: &str, to: &[String], has_mx: &dyn Fn(&str) -> bool) {
    if to.is_empty() {
        c.invalid(path, "to", "needs at least one recipient");
    }
    let mut reported = HashSet::new();
    for (j, a) in to.iter().enumerate() {
        match split_address(a) {
            None => c.report(&format!("{path}[{j}]"), ProblemKind::BadAddress { address: a.clone() }),
            Some((_, d)) if !has_mx(d) && reported.insert(d.to_ascii_lowercase()) => {
                c.report(&format!("{path}[{j}]"), ProblemKind::NoMx { domain: d.to_string() })
            }
            _ => {}
        }
    }
}

/// A sending pool's addresses belong to its server: each lies in the ranges
/// of the server's own ISP (of some ISP, for a server without one), and none
/// is another node's `ip` or in another server's pool (servers would see one
/// machine's connections as the other's).
pub(super) fn check_outbound_ips(c: &mut Checker, s: &Scenario, isps: &HashMap<&str, &Isp>) {
    let mut owner: HashMap<u32, usize> = HashMap::new();
    for (i, n) in s.nodes.iter().enumerate() {
        if let Some(ip) = n.ip {
            owner.entry(u32::from(ip.0)).or_insert(i);
        }
    }
    for (i, n) in s.nodes.iter().enumerate() {
        let Some(m) = n.kind.mail_server() else { continue };
        let own_isp = n.isp.as_deref().and_then(|id| isps.get(id));
        for (j, ip) in m.outbound_ips.iter().enumerate() {
            let path = format!("nodes[{i}].kind.outbound_ips[{j}]");
            let inside = match own_isp {
                Some(isp) => isp.customers.iter().chain(&isp.servers).any(|r| r.contains(ip.0)),
                None => {
                    s.isps.iter().flat_map(|isp| isp.customers.iter().chain(&isp.servers)).any(|r| r.contains(ip.0))
                }
            };
            if !inside {
                let whose = own_isp.map_or("any ISP".to_string(), |isp| format!("ISP `{}`", isp.id));
                c.invalid(&path, "outbound address", format!("{ip} is outside the ranges of {whose}"));
            }
            match owner.get(&u32::from(ip.0)) {
                Some(&other) if other != i => c.invalid(
                    &path,
                    "outbound address",
                    format!("{ip} is already used by node `{}`", s.nodes[other].id),
                ),
                Some(_) => {}
                None => {
                    owner.insert(u32::from(ip.0), i);
                }
            }
        }
    }
}
