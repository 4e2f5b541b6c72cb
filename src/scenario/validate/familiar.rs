//! The receiving-side defenses of seed 003: お馴染さん方式's numbers, shared
//! tables, and a backup MX's `relay_domains`.

use super::Checker;
use crate::scenario::error::ProblemKind;
use crate::scenario::schema::*;

/// `familiar`: a delay of 0 refuses nobody; a return window shorter than
/// the delay admits nobody.
pub(super) fn check_familiar(c: &mut Checker, path: &str, f: &Familiar) {
    if f.delay.0 == 0 {
        c.invalid(&format!("{path}.delay"), "delay", "0s would refuse nobody (try \"5m\")");
    }
    if f.retry_window < f.delay {
        c.invalid(
            &format!("{path}.retry_window"),
            "retry_window",
            format!("{} is shorter than delay {}: no stranger could ever come back in time", f.retry_window, f.delay),
        );
    }
    if f.max_age.0 == 0 {
        c.invalid(&format!("{path}.max_age"), "max_age", "0s would forget every regular at once (try \"35d\")");
    }
    check_database(c, &format!("{path}.database"), f.database.as_deref());
}

/// `verify_sender`: its reply code refuses, temporarily or for good.
pub(super) fn check_verify_sender(c: &mut Checker, path: &str, v: &SenderVerify) {
    if !(400..600).contains(&v.reject_code) {
        c.invalid(
            &format!("{path}.reject_code"),
            "reject_code",
            format!("{} is not a 4xx or 5xx reply code (try 550)", v.reject_code),
        );
    }
}

/// `tarpit`: a delay of 0 slows nobody.
pub(super) fn check_tarpit(c: &mut Checker, path: &str, t: &Tarpit) {
    if t.delay.0 == 0 {
        c.invalid(&format!("{path}.delay"), "delay", "0s would slow nobody (try \"30s\")");
    }
}

/// A spam campaign's `reply_timeout`: a client that waits 0s never hears a reply.
pub(super) fn check_reply_timeouts(c: &mut Checker, s: &Scenario) {
    for (i, src) in s.traffic.iter().enumerate() {
        if let Source::Spam(sp) = src
            && sp.reply_timeout.is_some_and(|d| d.0 == 0)
        {
            c.invalid(
                &format!("traffic[{i}].reply_timeout"),
                "reply_timeout",
                "0s would give up before any reply (try \"10s\")",
            );
        }
    }
}

/// A shared table's name: any text but an empty one.
pub(super) fn check_database(c: &mut Checker, path: &str, name: Option<&str>) {
    if name.is_some_and(|n| n.trim().is_empty()) {
        c.invalid(path, "database", "an empty name shares nothing (try \"mx-pool\")");
    }
}

/// `relay_domains`: domain names, none of them one of the server's own.
pub(super) fn check_relay_domains(c: &mut Checker, path: &str, m: &MailServer) {
    for (j, d) in m.relay_domains.iter().enumerate() {
        if d.is_empty() || d.contains('@') || d.contains(char::is_whitespace) {
            c.invalid(
                &format!("{path}[{j}]"),
                format!("domain `{d}`"),
                "is not a domain name (try \"company.example\")",
            );
        } else if m.domains.iter().any(|x| x.eq_ignore_ascii_case(d)) {
            c.invalid(
                &format!("{path}[{j}]"),
                format!("domain `{d}`"),
                "is also in `domains`: a server is either the final destination of a domain or its backup",
            );
        }
    }
}

/// DNS blocklists: each blocklist zone's ISPs, traps and times; each mail
/// server's `dnsbl` names blocklist zones.
pub(super) fn check_blocklists(c: &mut Checker, s: &Scenario) {
    for (i, z) in s.dns.iter().enumerate() {
        let Some(b) = &z.blocklist else { continue };
        let p = format!("dns[{i}].blocklist");
        for (j, isp) in b.dynamic_of.iter().enumerate() {
            if !s.isps.iter().any(|x| x.id == *isp) {
                c.report(
                    &format!("{p}.dynamic_of[{j}]"),
                    ProblemKind::UnknownReference {
                        what: "ISP",
                        id: isp.clone(),
                        expected: super::one_of(s.isps.iter().map(|i| i.id.as_str()), "an ISP id"),
                    },
                );
            }
        }
        for (j, t) in b.traps.iter().enumerate() {
            match t.strip_prefix("*@") {
                Some(d) if !d.is_empty() && !d.contains('@') => {}
                Some(_) => c.invalid(&format!("{p}.traps[{j}]"), format!("trap `{t}`"), "is not `*@domain`"),
                None => super::addresses::check_address(c, &format!("{p}.traps[{j}]"), t),
            }
        }
        if b.expiry.0 == 0 {
            c.invalid(&format!("{p}.expiry"), "expiry", "0s would list nothing (SpamCop keeps a listing \"24h\")");
        }
        if b.dynamic_of.is_empty() && b.ranges.is_empty() && b.traps.is_empty() {
            c.invalid(&p, "blocklist", "lists nothing: give `dynamic_of`, `ranges` or `traps`");
        }
    }
    for (i, n) in s.nodes.iter().enumerate() {
        let Some(d) = n.kind.mail_server().and_then(|m| m.dnsbl.as_ref()) else { continue };
        let p = format!("nodes[{i}].kind.dnsbl.zones");
        if d.zones.is_empty() {
            c.invalid(&p, "zones", "asks no blocklist (try `zones: [\"dnsbl.example\"]`)");
        }
        for (j, zone) in d.zones.iter().enumerate() {
            let is_list = s.dns.iter().any(|z| z.domain.eq_ignore_ascii_case(zone) && z.blocklist.is_some());
            if !is_list {
                let lists: Vec<&str> =
                    s.dns.iter().filter(|z| z.blocklist.is_some()).map(|z| z.domain.as_str()).collect();
                c.invalid(
                    &format!("{p}[{j}]"),
                    format!("zone `{zone}`"),
                    format!(
                        "is not a blocklist: expected one of the zones with a `blocklist` ({})",
                        if lists.is_empty() { "there is none".to_string() } else { lists.join(", ") }
                    ),
                );
            }
        }
    }
}

/// `OpenProxies`: at least one proxy, each a single host (a `ClientPc` or a
/// `SpamBot`).
pub(super) fn check_proxies(c: &mut Checker, s: &Scenario, nodes: &super::Nodes<'_>) {
    for (i, src) in s.traffic.iter().enumerate() {
        let Source::Spam(sp) = src else { continue };
        let Strategy::OpenProxies(proxies) = &sp.strategy else { continue };
        if proxies.is_empty() {
            c.invalid(&format!("traffic[{i}].strategy"), "strategy", "OpenProxies needs at least one proxy");
        }
        for (j, id) in proxies.iter().enumerate() {
            super::check_ref(c, nodes, &format!("traffic[{i}].strategy[0][{j}]"), id, "a ClientPc or SpamBot", |k| {
                matches!(k, NodeKind::ClientPc(_) | NodeKind::SpamBot(_))
            });
        }
    }
}
