//! The timeline: every entry inside the run, naming nodes, ISPs, kinds and
//! sources that exist, and switching only what the nodes named can have.

use std::collections::HashMap;

use super::{Checker, Nodes, is_mail_server, one_of};
use crate::scenario::error::ProblemKind;
use crate::scenario::schema::*;
use crate::units::format_ms;

/// The node kinds a `Kind("…")` may name.
pub const KIND_NAMES: [&str; 10] = [
    "ClientPc",
    "SpamBot",
    "Population",
    "Router",
    "IspRelay",
    "OpenRelay",
    "SpammerServer",
    "Mx",
    "MailboxServer",
    "Dns",
];

/// Why `node` cannot have `defense` (`None`: it can). Mirrors what
/// [`crate::sim::Simulation::set_defense`] needs.
pub fn cannot_have(node: &Node, defense: Defense) -> Option<&'static str> {
    match (&node.kind, defense) {
        (NodeKind::Router(r), Defense::Op25b) => {
            (r.filters.is_empty() && node.isp.is_none()).then_some("a Router with `filters` or an `isp`")
        }
        (_, Defense::Op25b) => Some("a Router"),
        (k, Defense::PopBeforeSmtp) => match k.mail_server() {
            None => Some("a mail server"),
            Some(m) if m.pop_before_smtp.is_none() => Some("`pop_before_smtp` settings in the file"),
            Some(_) => None,
        },
        (k, _) => (!is_mail_server(k)).then_some("a mail server"),
    }
}

/// Does node `n` belong to the set (ignoring what the change needs)?
pub fn in_set(set: &NodeSet, n: &Node) -> bool {
    match set {
        NodeSet::Node(id) => n.id == *id,
        NodeSet::Kind(k) => n.kind.name() == k,
        NodeSet::Isp(isp) => n.isp.as_deref() == Some(isp.as_str()),
    }
}

/// Does a timeline entry infect hosts of population `n`?
pub(super) fn infected_later(s: &Scenario, n: &Node) -> bool {
    s.timeline.iter().any(|e| matches!(&e.change, Change::Infect { nodes, .. } if in_set(nodes, n)))
}

pub(super) fn check_timeline(c: &mut Checker, s: &Scenario, nodes: &Nodes<'_>, sources: &HashMap<&str, usize>) {
    for (i, e) in s.timeline.iter().enumerate() {
        let p = format!("timeline[{i}]");
        check_when(c, &format!("{p}.at"), s, e.at);
        let cp = format!("{p}.change");
        match &e.change {
            Change::Switch { nodes: set, defense, .. } => {
                check_set(c, s, nodes, &format!("{cp}.nodes"), set, |n| cannot_have(n, *defense))
            }
            Change::Set { nodes: set, setting } => {
                let d = setting.defense();
                check_set(c, s, nodes, &format!("{cp}.nodes"), set, |n| cannot_have(n, d))
            }
            Change::CloseRelay(id) => {
                let set = NodeSet::Node(id.clone());
                let d = Defense::RelayRestriction;
                check_set(c, s, nodes, &cp, &set, |n| cannot_have(n, d))
            }
            Change::Publish { domain, txt } => {
                if domain.is_empty() || domain.contains('@') {
                    c.invalid(&format!("{cp}.domain"), "domain", format!("`{domain}` is not a domain name"));
                }
                for (j, t) in txt.iter().enumerate() {
                    if t.is_empty() {
                        c.invalid(&format!("{cp}.txt[{j}]"), "TXT record", "must not be empty");
                    }
                }
            }
            Change::Infect { nodes: set, hosts } | Change::Clean { nodes: set, hosts } => {
                let what = e.change.name();
                check_set(c, s, nodes, &format!("{cp}.nodes"), set, |n| {
                    (!matches!(n.kind, NodeKind::Population(_))).then_some("a Population")
                });
                match hosts {
                    Hosts::Share(x) if !(0.0..=1.0).contains(x) || x.is_nan() => {
                        c.invalid(&format!("{cp}.hosts[0]"), what, format!("share {x} is not between 0.0 and 1.0"))
                    }
                    Hosts::Count(0) => c.invalid(&format!("{cp}.hosts[0]"), what, "a count of 0 hosts does nothing"),
                    _ => {}
                }
            }
            Change::Traffic { source, set } => {
                match sources.get(source.as_str()).map(|&k| &s.traffic[k]) {
                    None => c.report(
                        &format!("{cp}.source"),
                        ProblemKind::UnknownReference {
                            what: "traffic source",
                            id: source.clone(),
                            expected: one_of(
                                s.traffic.iter().filter(|t| !matches!(t, Source::Once(_))).map(|t| t.id()),
                                "the id of a spam campaign or legit source",
                            ),
                        },
                    ),
                    Some(Source::Once(_)) => c.invalid(
                        &format!("{cp}.source"),
                        "Traffic",
                        format!("`{source}` is a single mail (Once): only campaigns and legit sources have a rate"),
                    ),
                    Some(_) => {}
                }
                if let TrafficChange::Rate(r) = set {
                    super::times::check_rate(c, &format!("{cp}.set[0]"), r.per_ms);
                }
            }
        }
    }
}

/// The entry's time lies within the run: not before the start, before the end.
fn check_when(c: &mut Checker, path: &str, s: &Scenario, at: When) {
    match at.sim_time(s.start) {
        None => c.invalid(path, "at", format!("{at} is before the scenario's start ({})", s.start)),
        Some(t) if t >= s.duration.0 => {
            let end = crate::units::Timestamp(s.start.0 + (s.duration.0 / 1000) as i64);
            match at {
                When::After(_) => {
                    c.invalid(path, "at", format!("{at} is not before the end of the run ({})", s.duration))
                }
                When::Date(_) => c.invalid(
                    path,
                    "at",
                    format!(
                        "{at} is not before the end of the run ({end}: start {} + duration {})",
                        s.start,
                        format_ms(s.duration.0)
                    ),
                ),
            }
        }
        Some(_) => {}
    }
}

/// A node set names what exists, and at least one node in it can take the
/// change (`cannot` says why a node cannot). A single node must be able to.
fn check_set(
    c: &mut Checker,
    s: &Scenario,
    nodes: &Nodes<'_>,
    path: &str,
    set: &NodeSet,
    cannot: impl Fn(&Node) -> Option<&'static str>,
) {
    match set {
        NodeSet::Node(id) => {
            let at = format!("{path}[0]");
            match nodes.get(id.as_str()) {
                None => c.report(
                    &at,
                    ProblemKind::UnknownReference { what: "node", id: id.clone(), expected: "a node id".into() },
                ),
                Some((_, n)) => {
                    if let Some(needs) = cannot(n) {
                        c.invalid(
                            &at,
                            format!("`{id}` ({})", n.kind.name()),
                            format!("cannot take this change: it needs {needs}"),
                        );
                    }
                }
            }
        }
        NodeSet::Kind(k) => {
            let at = format!("{path}[0]");
            if !KIND_NAMES.contains(&k.as_str()) {
                c.invalid(&at, format!("kind `{k}`"), one_of(KIND_NAMES.iter().copied(), "expected a node kind"));
            } else if !s.nodes.iter().any(|n| in_set(set, n) && cannot(n).is_none()) {
                c.invalid(&at, format!("kind `{k}`"), "no node of this kind can take this change: it does nothing");
            }
        }
        NodeSet::Isp(isp) => {
            let at = format!("{path}[0]");
            if !s.isps.iter().any(|i| i.id == *isp) {
                c.report(
                    &at,
                    ProblemKind::UnknownReference {
                        what: "ISP",
                        id: isp.clone(),
                        expected: one_of(s.isps.iter().map(|i| i.id.as_str()), "an ISP id"),
                    },
                );
            } else if !s.nodes.iter().any(|n| in_set(set, n) && cannot(n).is_none()) {
                c.invalid(
                    &at,
                    format!("ISP `{isp}`"),
                    "none of its nodes can take this change (no node with this `isp` can): it does nothing",
                );
            }
        }
    }
}
