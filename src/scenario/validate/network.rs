//! The network: NAT routers, links, DNS zones and whether each mail client
//! can reach its server over the links.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};

use super::{Checker, Nodes, check_ref};
use crate::scenario::error::ProblemKind;
use crate::scenario::schema::*;

/// A host behind NAT names a router with a public address.
pub(super) fn check_nat(c: &mut Checker, s: &Scenario, nodes: &Nodes<'_>) {
    for (i, n) in s.nodes.iter().enumerate() {
        if let Some(r) = &n.nat {
            check_ref(c, nodes, &format!("nodes[{i}].nat"), r, "a Router", |k| matches!(k, NodeKind::Router(_)));
            if nodes.get(r.as_str()).is_some_and(|(_, rn)| rn.ip.is_none()) {
                c.invalid(
                    &format!("nodes[{i}].nat"),
                    format!("NAT router `{r}`"),
                    "needs an `ip`: the public address its hosts share",
                );
            }
        }
    }
}

/// Links join two existing, different nodes, with a latency SMTP can cross.
pub(super) fn check_links(c: &mut Checker, s: &Scenario, nodes: &Nodes<'_>) {
    for (i, l) in s.links.iter().enumerate() {
        for (end, id) in [("a", &l.a), ("b", &l.b)] {
            if !nodes.contains_key(id.as_str()) {
                c.report(
                    &format!("links[{i}].{end}"),
                    ProblemKind::UnknownReference { what: "node", id: id.clone(), expected: "a node id".into() },
                );
            }
        }
        if l.a == l.b {
            c.invalid(&format!("links[{i}].b"), "link", "joins a node to itself");
        }
        if l.latency > crate::scenario::work::MAX_LATENCY {
            c.invalid(
                &format!("links[{i}].latency"),
                "latency",
                format!(
                    "{} is more than {} (no SMTP dialogue crosses such a link)",
                    l.latency,
                    crate::scenario::work::MAX_LATENCY
                ),
            );
        }
    }
}

/// Zones are unique and their MX hosts resolve; returns each zone's index
/// by domain (lower case).
pub(super) fn check_zones(
    c: &mut Checker,
    s: &Scenario,
    hostnames: &HashMap<String, usize>,
) -> BTreeMap<String, usize> {
    let mut zones: BTreeMap<String, usize> = BTreeMap::new();
    let mut a_names: HashSet<String> = hostnames.keys().cloned().collect();
    for z in &s.dns {
        for (name, _) in &z.a {
            a_names.insert(name.to_ascii_lowercase());
        }
    }
    for (i, z) in s.dns.iter().enumerate() {
        let d = z.domain.to_ascii_lowercase();
        if let Some(&first) = zones.get(&d) {
            let first_line = c.loc.find(&format!("dns[{first}].domain")).line;
            c.report(&format!("dns[{i}].domain"), ProblemKind::Duplicate { what: "zone", id: d.clone(), first_line });
        } else {
            zones.insert(d, i);
        }
        for (j, (_, host)) in z.mx.iter().enumerate() {
            if !a_names.contains(&host.to_ascii_lowercase()) {
                c.report(
                    &format!("dns[{i}].mx[{j}][1]"),
                    ProblemKind::UnknownReference {
                        what: "MX host",
                        id: host.clone(),
                        expected: "the hostname of a mail server node or a name with an `a` record".into(),
                    },
                );
            }
        }
    }
    zones
}

/// Every mail client must be able to reach its server over the links:
/// one pass labels the connected parts, then each client is one lookup
/// (a search per client took minutes for 30,000 PCs).
pub(super) fn check_reachable(c: &mut Checker, s: &Scenario) {
    let part = components(s);
    let reachable = |a: &str, b: &str| a == b || part.get(a).is_some_and(|pa| part.get(b) == Some(pa));
    for (i, n) in s.nodes.iter().enumerate() {
        let client = match &n.kind {
            NodeKind::ClientPc(pc) => Some(&pc.mail_client),
            NodeKind::Population(pop) => Some(&pop.mail_client),
            _ => None,
        };
        if let Some(mc) = client
            && !reachable(&n.id, &mc.server)
        {
            c.report(
                &format!("nodes[{i}].kind.mail_client.server"),
                ProblemKind::NoRoute { from: n.id.clone(), to: mc.server.clone() },
            );
        }
    }
}

/// The connected part of the link graph each linked node is in (a label
/// per node id; nodes without links have none).
pub(super) fn components(s: &Scenario) -> HashMap<&str, usize> {
    let mut adj: HashMap<&str, Vec<&str>> = HashMap::new();
    for l in &s.links {
        adj.entry(&l.a).or_default().push(&l.b);
        adj.entry(&l.b).or_default().push(&l.a);
    }
    let mut part: HashMap<&str, usize> = HashMap::new();
    let mut label = 0;
    for l in &s.links {
        let from = l.a.as_str();
        if part.contains_key(from) {
            continue;
        }
        part.insert(from, label);
        let mut q = VecDeque::from([from]);
        while let Some(n) = q.pop_front() {
            for &m in adj.get(n).into_iter().flatten() {
                if !part.contains_key(m) {
                    part.insert(m, label);
                    q.push_back(m);
                }
            }
        }
        label += 1;
    }
    part
}
