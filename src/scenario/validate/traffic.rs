//! Traffic sources: who sends, to whom, how often and when, and what spam
//! software does (its senders, forged addresses, relays and retries).

use super::addresses::{check_address, check_targets};
use super::times::{check_backoff, check_rate, check_span};
use super::{Checker, Nodes, check_ref, is_mail_server};
use crate::scenario::error::ProblemKind;
use crate::scenario::schema::*;

/// Every traffic source on its own; `has_mx` says whether a domain has MX records.
pub(super) fn check_traffic(c: &mut Checker, s: &Scenario, nodes: &Nodes<'_>, has_mx: &dyn Fn(&str) -> bool) {
    for (i, t) in s.traffic.iter().enumerate() {
        let p = format!("traffic[{i}]");
        match t {
            Source::Legit(l) => {
                match nodes.get(l.from.as_str()) {
                    None => c.report(
                        &format!("{p}.from"),
                        ProblemKind::UnknownReference {
                            what: "node",
                            id: l.from.clone(),
                            expected: "the id of a ClientPc, Population or mail server node".into(),
                        },
                    ),
                    Some((_, n))
                        if !matches!(n.kind, NodeKind::ClientPc(_) | NodeKind::Population(_))
                            && !is_mail_server(&n.kind) =>
                    {
                        c.report(
                            &format!("{p}.from"),
                            ProblemKind::WrongKind {
                                id: l.from.clone(),
                                found: n.kind.name(),
                                expected: "a ClientPc, Population or mail server",
                            },
                        )
                    }
                    _ => {}
                }
                if let Some(a) = &l.sender {
                    check_address(c, &format!("{p}.sender"), a);
                }
                check_rate(c, &format!("{p}.rate"), l.rate.per_ms);
                check_targets(c, &format!("{p}.to"), &l.to, &has_mx);
                check_span(c, &p, l.start.0, l.end.map(|e| e.0));
            }
            Source::Once(o) => {
                match nodes.get(o.from.as_str()) {
                    None => c.report(
                        &format!("{p}.from"),
                        ProblemKind::UnknownReference {
                            what: "node",
                            id: o.from.clone(),
                            expected: "the id of a ClientPc node".into(),
                        },
                    ),
                    Some((_, n)) if !matches!(n.kind, NodeKind::ClientPc(_)) => c.report(
                        &format!("{p}.from"),
                        ProblemKind::WrongKind { id: o.from.clone(), found: n.kind.name(), expected: "a ClientPc" },
                    ),
                    _ => {}
                }
                check_targets(c, &format!("{p}.to"), std::slice::from_ref(&o.to), &has_mx);
                if o.at >= s.duration {
                    c.invalid(
                        &format!("{p}.at"),
                        "at",
                        format!("{} is not before the end of the scenario ({})", o.at, s.duration),
                    );
                }
            }
            Source::Spam(sp) => {
                if sp.senders.is_empty() {
                    c.invalid(&format!("{p}.senders"), "senders", "a campaign needs at least one sender");
                }
                for (j, id) in sp.senders.iter().enumerate() {
                    match nodes.get(id.as_str()) {
                        None => c.report(
                            &format!("{p}.senders[{j}]"),
                            ProblemKind::UnknownReference {
                                what: "node",
                                id: id.clone(),
                                expected: "the id of a SpamBot, Population or SpammerServer node".into(),
                            },
                        ),
                        Some((_, n)) => match &n.kind {
                            NodeKind::SpamBot(_) | NodeKind::SpammerServer(_) => {}
                            NodeKind::Population(pop)
                                if pop.infected > 0.0 && (pop.count as f64 * pop.infected).round() >= 1.0 => {}
                            // Hosts infected later by the timeline.
                            NodeKind::Population(_) if super::timeline::infected_later(s, n) => {}
                            NodeKind::Population(_) => c.invalid(
                                &format!("{p}.senders[{j}]"),
                                format!("population `{id}`"),
                                "has no infected hosts to send spam from (and no timeline `Infect` for it)",
                            ),
                            k => c.report(
                                &format!("{p}.senders[{j}]"),
                                ProblemKind::WrongKind {
                                    id: id.clone(),
                                    found: k.name(),
                                    expected: "a SpamBot, Population or SpammerServer",
                                },
                            ),
                        },
                    }
                }
                let relays = sp.strategy.relays();
                if let Strategy::StolenCredentials { relay, port, credentials, share } = &sp.strategy {
                    let sp_path = format!("{p}.strategy");
                    check_ref(c, nodes, &format!("{sp_path}.relay"), relay, "a mail server", is_mail_server);
                    if *port == 0 {
                        c.invalid(&format!("{sp_path}.port"), "port", "0 is not a TCP port");
                    }
                    if !(0.0..=1.0).contains(share) {
                        c.invalid(&format!("{sp_path}.share"), "share", format!("{share} is not between 0.0 and 1.0"));
                    }
                    if credentials.is_empty() {
                        c.invalid(
                            &format!("{sp_path}.credentials"),
                            "credentials",
                            "needs at least one stolen account",
                        );
                    }
                    // Only guessable passwords get stolen by brute force.
                    // A relay without accounts does not offer AUTH yet (an era before
                    // SMTP-AUTH): the credentials are simply never asked for.
                    let accounts = nodes
                        .get(relay.as_str())
                        .and_then(|(_, n)| n.kind.mail_server())
                        .map(|m| &m.accounts)
                        .filter(|a| !a.is_empty());
                    for (j, cr) in credentials.iter().enumerate() {
                        let weak = accounts.is_some_and(|a| {
                            a.iter().any(|a| a.weak && a.user == cr.user && a.password == cr.password)
                        });
                        if accounts.is_some() && !weak {
                            c.invalid(
                                &format!("{sp_path}.credentials[{j}]"),
                                format!("stolen account `{}`", cr.user),
                                format!("is not a `weak: true` account of `{relay}` (only weak passwords are guessed)"),
                            );
                        }
                    }
                }
                if matches!(sp.strategy, Strategy::OpenRelays(_)) && relays.is_empty() {
                    c.invalid(&format!("{p}.strategy"), "strategy", "OpenRelays needs at least one relay");
                }
                for (j, id) in relays.iter().enumerate() {
                    match nodes.get(id.as_str()) {
                        None => c.report(
                            &format!("{p}.strategy[0][{j}]"),
                            ProblemKind::UnknownReference {
                                what: "node",
                                id: id.clone(),
                                expected: "the id of a mail server node".into(),
                            },
                        ),
                        Some((_, n)) if !is_mail_server(&n.kind) => c.report(
                            &format!("{p}.strategy[0][{j}]"),
                            ProblemKind::WrongKind { id: id.clone(), found: n.kind.name(), expected: "a mail server" },
                        ),
                        _ => {}
                    }
                }
                check_rate(c, &format!("{p}.rate"), sp.rate.per_ms);
                check_targets(c, &format!("{p}.to"), &sp.to, &has_mx);
                if sp.forged_from.is_empty() {
                    c.invalid(&format!("{p}.forged_from"), "forged_from", "needs at least one address");
                }
                for (j, a) in sp.forged_from.iter().enumerate() {
                    check_address(c, &format!("{p}.forged_from[{j}]"), a);
                }
                if let Retry::Rfc(b) = &sp.retry {
                    check_backoff(c, &format!("{p}.retry[0]"), b);
                }
                check_span(c, &p, sp.start.0, sp.end.map(|e| e.0));
            }
        }
    }
}
