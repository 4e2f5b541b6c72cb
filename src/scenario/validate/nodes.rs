//! Nodes: ISP membership, unique addresses and host names, and each kind's
//! own references and numbers (a mail server's relays, accounts, queue and
//! defenses; a mail client's server; a router's filters).

use std::collections::HashMap;

use super::addresses::{check_address, check_forwards, check_mailbox};
use super::times::{check_backoff, check_rate, check_windows};
use super::{Checker, Nodes, check_ref, is_mail_server, one_of};
use crate::scenario::error::ProblemKind;
use crate::scenario::schema::*;

/// Every node on its own; returns the host names taken (lower case) and by
/// which node, for the DNS zones' checks.
pub(super) fn check_nodes(
    c: &mut Checker,
    s: &Scenario,
    nodes: &Nodes<'_>,
    isps: &HashMap<&str, &Isp>,
) -> HashMap<String, usize> {
    let mut ips: HashMap<u32, usize> = HashMap::new();
    let mut hostnames: HashMap<String, usize> = HashMap::new();
    for (i, n) in s.nodes.iter().enumerate() {
        let p = format!("nodes[{i}]");
        let isp = match &n.isp {
            Some(id) => match isps.get(id.as_str()) {
                Some(isp) => Some(*isp),
                None => {
                    let expected = one_of(s.isps.iter().map(|i| i.id.as_str()), "an ISP id");
                    c.report(
                        &format!("{p}.isp"),
                        ProblemKind::UnknownReference { what: "ISP", id: id.clone(), expected },
                    );
                    None
                }
            },
            None => None,
        };
        if let Some(ip) = n.ip {
            let raw = u32::from(ip.0);
            if let Some(&other) = ips.get(&raw) {
                c.invalid(&format!("{p}.ip"), "ip", format!("{ip} is already used by node `{}`", s.nodes[other].id));
            } else {
                ips.insert(raw, i);
            }
            if let Some(isp) = isp {
                let inside = isp.customers.iter().chain(&isp.servers).any(|r| r.contains(ip.0));
                if !inside {
                    c.invalid(&format!("{p}.ip"), "ip", format!("{ip} is outside the ranges of ISP `{}`", isp.id));
                }
            }
        }
        let needs_address = !matches!(n.kind, NodeKind::Router(_) | NodeKind::Dns | NodeKind::Population(_));
        if needs_address && n.ip.is_none() {
            let has_range = isp.is_some_and(|isp| {
                let ranges = if matches!(n.kind, NodeKind::ClientPc(_) | NodeKind::SpamBot(_)) {
                    &isp.customers
                } else {
                    &isp.servers
                };
                !ranges.is_empty()
            });
            if !has_range {
                c.invalid(
                    &format!("{p}.id"),
                    format!("node `{}`", n.id),
                    "needs an `ip`, or an `isp` with a range to take one from",
                );
            }
        }
        let hostname = match &n.kind {
            NodeKind::ClientPc(pc) => {
                check_address(c, &format!("{p}.kind.user"), &pc.user);
                check_client(c, nodes, &format!("{p}.kind.mail_client"), &pc.mail_client);
                pc.hostname.clone()
            }
            NodeKind::SpamBot(b) => b.hostname.clone(),
            NodeKind::Population(pop) => {
                if pop.lease.is_some_and(|l| l.0 == 0) {
                    c.invalid(&format!("{p}.kind.lease"), "lease", "must be longer than 0s");
                }
                if pop.count == 0 {
                    c.invalid(&format!("{p}.kind.count"), "count", "a population needs at least one host");
                }
                if !(0.0..=1.0).contains(&pop.infected) || pop.infected.is_nan() {
                    c.invalid(
                        &format!("{p}.kind.infected"),
                        "infected",
                        format!("{} is not a share between 0.0 and 1.0", pop.infected),
                    );
                }
                match isp {
                    Some(isp) => {
                        let room: u64 = isp.customers.iter().map(|r| r.size().saturating_sub(2)).sum();
                        if room < pop.count as u64 {
                            c.invalid(
                                &format!("{p}.kind.count"),
                                "count",
                                format!(
                                    "{} hosts do not fit in the customer ranges of ISP `{}` ({room} addresses)",
                                    pop.count, isp.id
                                ),
                            );
                        }
                    }
                    None => c.invalid(
                        &format!("{p}.id"),
                        format!("population `{}`", n.id),
                        "needs an `isp` whose customer range gives its hosts addresses",
                    ),
                }
                check_client(c, nodes, &format!("{p}.kind.mail_client"), &pop.mail_client);
                None
            }
            NodeKind::Router(r) => {
                for (j, f) in r.filters.iter().enumerate() {
                    match f {
                        Filter::Block { port: 0, .. } => {
                            c.invalid(&format!("{p}.kind.filters[{j}].port"), "port", "0 is not a TCP port")
                        }
                        Filter::Op25b { isp } if !isps.contains_key(isp.as_str()) => c.report(
                            &format!("{p}.kind.filters[{j}].isp"),
                            ProblemKind::UnknownReference {
                                what: "ISP",
                                id: isp.clone(),
                                expected: "an ISP id".into(),
                            },
                        ),
                        _ => {}
                    }
                }
                None
            }
            NodeKind::IspRelay(m) | NodeKind::OpenRelay(m) | NodeKind::SpammerServer(m) | NodeKind::Mx(m) => {
                if let Some(mb) = &m.mailbox {
                    match nodes.get(mb.as_str()) {
                        None => c.report(
                            &format!("{p}.kind.mailbox"),
                            ProblemKind::UnknownReference {
                                what: "node",
                                id: mb.clone(),
                                expected: "the id of a MailboxServer node".into(),
                            },
                        ),
                        Some((_, t)) if !matches!(t.kind, NodeKind::MailboxServer(_)) => c.report(
                            &format!("{p}.kind.mailbox"),
                            ProblemKind::WrongKind {
                                id: mb.clone(),
                                found: t.kind.name(),
                                expected: "a MailboxServer",
                            },
                        ),
                        _ => {}
                    }
                    if !m.mailboxes.is_empty() {
                        c.invalid(
                            &format!("{p}.kind.mailboxes"),
                            "mailboxes",
                            "a server that hands mail to a `mailbox` server keeps no mailboxes itself",
                        );
                    }
                }
                if m.relay == Some(RelayPolicy::IspNetworks) && isp.is_none() {
                    c.invalid(
                        &format!("{p}.kind.relay"),
                        "relay: IspNetworks",
                        "the node has no `isp` whose ranges could be used",
                    );
                }
                for (j, mbx) in m.mailboxes.iter().enumerate() {
                    check_mailbox(c, &format!("{p}.kind.mailboxes[{j}]"), mbx, &m.domains);
                }
                check_backoff(c, &format!("{p}.kind.queue"), &m.queue);
                for (j, port) in m.ports.iter().enumerate() {
                    if *port == 0 {
                        c.invalid(&format!("{p}.kind.ports[{j}]"), "port", "0 is not a TCP port");
                    }
                }
                if m.ports.is_empty() {
                    c.invalid(&format!("{p}.kind.ports"), "ports", "a mail server must listen on at least one port");
                }
                if let Some(pb) = &m.pop_before_smtp {
                    check_ref(
                        c,
                        nodes,
                        &format!("{p}.kind.pop_before_smtp.server"),
                        &pb.server,
                        "a server with mailboxes",
                        |k| {
                            matches!(k, NodeKind::MailboxServer(_))
                                || k.mail_server().is_some_and(|m| !m.mailboxes.is_empty())
                        },
                    );
                }
                if let Some(g) = &m.greylist
                    && g.delay.0 == 0
                {
                    c.invalid(&format!("{p}.kind.greylist.delay"), "delay", "0s would greylist nothing");
                }
                if let Some(f) = &m.familiar {
                    super::familiar::check_familiar(c, &format!("{p}.kind.familiar"), f);
                }
                if let Some(g) = &m.greylist {
                    super::familiar::check_database(c, &format!("{p}.kind.greylist.database"), g.database.as_deref());
                }
                super::familiar::check_relay_domains(c, &format!("{p}.kind.relay_domains"), m);
                if m.connection_rate_limit == Some(0) {
                    c.invalid(
                        &format!("{p}.kind.connection_rate_limit"),
                        "connection_rate_limit",
                        "0 would refuse every connection (leave it out for no limit; try 10)",
                    );
                }
                if let Some(v) = &m.verify_sender {
                    super::familiar::check_verify_sender(c, &format!("{p}.kind.verify_sender"), v);
                }
                if let Some(t) = &m.tarpit {
                    super::familiar::check_tarpit(c, &format!("{p}.kind.tarpit"), t);
                }
                if let Some(r) = &m.auth_rate_limit {
                    check_rate(c, &format!("{p}.kind.auth_rate_limit"), r.per_ms);
                }
                check_forwards(c, &format!("{p}.kind.forwards"), &m.forwards);
                check_windows(c, &format!("{p}.kind.down"), &m.down);
                check_next_hops(c, nodes, &p, &n.id, m);
                Some(m.hostname.clone())
            }
            NodeKind::MailboxServer(m) => {
                check_forwards(c, &format!("{p}.kind.forwards"), &m.forwards);
                for (j, mbx) in m.mailboxes.iter().enumerate() {
                    check_mailbox(c, &format!("{p}.kind.mailboxes[{j}]"), mbx, &[]);
                }
                check_windows(c, &format!("{p}.kind.down"), &m.down);
                Some(m.hostname.clone())
            }
            NodeKind::Dns => None,
        };
        if let Some(h) = hostname {
            let h = h.to_ascii_lowercase();
            if let Some(&other) = hostnames.get(&h) {
                c.invalid(
                    &format!("{p}.kind.hostname"),
                    format!("host name `{h}`"),
                    format!("is already used by node `{}`", s.nodes[other].id),
                );
            } else {
                hostnames.insert(h, i);
            }
        }
    }
    hostnames
}

/// `relayhost` and `transport`: the next hop is another mail server.
pub(super) fn check_next_hops(c: &mut Checker, nodes: &Nodes<'_>, p: &str, id: &str, m: &MailServer) {
    let mut hops: Vec<(String, &String)> = Vec::new();
    if let Some(h) = &m.relayhost {
        hops.push((format!("{p}.kind.relayhost"), h));
    }
    for (j, (domain, h)) in m.transport.iter().enumerate() {
        if domain.is_empty() || domain.contains('@') || domain.contains(char::is_whitespace) {
            c.invalid(&format!("{p}.kind.transport[{j}][0]"), format!("domain `{domain}`"), "is not a domain name");
        }
        if m.transport[..j].iter().any(|(d, _)| d.eq_ignore_ascii_case(domain)) {
            c.invalid(&format!("{p}.kind.transport[{j}][0]"), format!("domain `{domain}`"), "is listed twice");
        }
        hops.push((format!("{p}.kind.transport[{j}][1]"), h));
    }
    for (path, h) in hops {
        if h == id {
            c.invalid(&path, format!("next hop `{h}`"), "is the server itself: its mail would loop back to it");
        } else {
            check_ref(c, nodes, &path, h, "a mail server", is_mail_server);
        }
    }
}

/// Smarthosts that send to each other in a ring would pass mail round
/// forever (Postfix stops it only at `hopcount_limit`, 50 `Received:` lines).
pub(super) fn check_relayhost_loops(c: &mut Checker, s: &Scenario) {
    let index: HashMap<&str, usize> = s.nodes.iter().enumerate().map(|(i, n)| (n.id.as_str(), i)).collect();
    let next = |i: usize| -> Option<usize> {
        let h = s.nodes[i].kind.mail_server()?.relayhost.as_deref()?;
        index.get(h).copied().filter(|&j| j != i)
    };
    for start in 0..s.nodes.len() {
        let mut seen = vec![start];
        let mut cur = start;
        while let Some(j) = next(cur) {
            if j == start {
                let ring: Vec<String> = seen.iter().map(|&k| format!("`{}`", s.nodes[k].id)).collect();
                c.invalid(
                    &format!("nodes[{start}].kind.relayhost"),
                    "relayhost",
                    format!(
                        "the smarthosts send to each other in a ring ({}): mail would never leave",
                        ring.join(" → ")
                    ),
                );
                break;
            }
            if seen.contains(&j) {
                break;
            }
            seen.push(j);
            cur = j;
        }
    }
}

pub(super) fn check_client(c: &mut Checker, nodes: &Nodes<'_>, path: &str, mc: &MailClient) {
    match nodes.get(mc.server.as_str()) {
        None => c.report(
            &format!("{path}.server"),
            ProblemKind::UnknownReference {
                what: "node",
                id: mc.server.clone(),
                expected: "the id of a mail server node".into(),
            },
        ),
        Some((_, n)) if !is_mail_server(&n.kind) => c.report(
            &format!("{path}.server"),
            ProblemKind::WrongKind { id: mc.server.clone(), found: n.kind.name(), expected: "a mail server" },
        ),
        _ => {}
    }
    if mc.port == 0 {
        c.invalid(&format!("{path}.port"), "port", "0 is not a TCP port");
    }
    if let Some(pop) = &mc.pop {
        check_ref(c, nodes, &format!("{path}.pop.server"), &pop.server, "a server with mailboxes", |k| {
            matches!(k, NodeKind::MailboxServer(_)) || k.mail_server().is_some_and(|m| !m.mailboxes.is_empty())
        });
    }
    if let Some(a) = &mc.auth
        && a.user.is_empty()
    {
        c.invalid(&format!("{path}.auth.user"), "user", "must not be empty");
    }
    if let Retry::Rfc(b) = &mc.retry {
        check_backoff(c, &format!("{path}.retry[0]"), b);
    }
}
