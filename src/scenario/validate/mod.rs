//! Checks a parsed scenario as a whole and reports every problem at once.
//!
//! One pass per concern, in the order a reader fixes a file: unique ids
//! (here), addresses (`addresses.rs`), nodes (`nodes.rs`), the network and
//! DNS (`network.rs`), traffic (`traffic.rs`) and the lesson's narration
//! (`narration.rs`, with `triggers.rs` for its triggers and switches), the
//! timeline's dated changes (`timeline.rs`), adaptive campaigns and retry
//! mixes (`campaign.rs`);
//! `times.rs` holds the checks of durations, rates and retry schedules that
//! they share. Every problem is collected, then sorted by position.

mod addresses;
mod campaign;
mod familiar;
mod narration;
mod network;
mod nodes;
pub mod timeline;
mod times;
mod traffic;
mod triggers;

use std::collections::HashMap;

use super::error::{Problem, ProblemKind};
use super::locate::Locator;
use super::schema::*;
use crate::scenario::work::Amount;

pub use addresses::split_address;

/// The scenario's nodes by id, with their index in `nodes` (the first
/// node of each id).
type Nodes<'s> = HashMap<&'s str, (usize, &'s Node)>;

struct Checker<'a> {
    file: &'a str,
    loc: LazyLocator<'a>,
    problems: Vec<Problem>,
}

/// The [`Locator`] of the source, built on the first position asked for: a
/// valid file never pays for it (a 100 MB file took 4 GiB to locate every
/// value in it).
struct LazyLocator<'a> {
    src: &'a str,
    built: std::cell::OnceCell<Locator>,
}

impl LazyLocator<'_> {
    fn find(&self, path: &str) -> super::Pos {
        self.built.get_or_init(|| Locator::new(self.src)).find(path)
    }
}

impl Checker<'_> {
    fn report(&mut self, path: &str, kind: ProblemKind) {
        self.problems.push(Problem { file: self.file.to_string(), pos: self.loc.find(path), kind });
    }
    fn invalid(&mut self, path: &str, what: impl Into<String>, why: impl Into<String>) {
        self.report(path, ProblemKind::Invalid { what: what.into(), why: why.into() });
    }
}

/// Node ids grouped by what a reference may point at.
fn is_mail_server(k: &NodeKind) -> bool {
    k.mail_server().is_some()
}

pub fn validate(s: &Scenario, src: &str, file: &str) -> Vec<Problem> {
    validate_with(s, src, file, Some(&crate::scenario::work::Limits::default())).0
}

/// [`validate`] against `limits` on the work asked for (`None`: no limits,
/// as with `--force`); also says whether the locator was built.
pub fn validate_with(
    s: &Scenario,
    src: &str,
    file: &str,
    limits: Option<&crate::scenario::work::Limits>,
) -> (Vec<Problem>, bool) {
    let mut c = Checker { file, loc: LazyLocator { src, built: std::cell::OnceCell::new() }, problems: Vec::new() };

    if s.duration.0 == 0 {
        c.invalid("duration", "duration", "must be longer than 0s");
    }

    let (nodes, sources) = unique_ids(&mut c, s);
    let isps: HashMap<&str, &Isp> = s.isps.iter().map(|i| (i.id.as_str(), i)).collect();
    addresses::check_ranges(&mut c, s);
    let hostnames = nodes::check_nodes(&mut c, s, &nodes, &isps);
    addresses::check_outbound_ips(&mut c, s, &isps);
    nodes::check_relayhost_loops(&mut c, s);
    network::check_nat(&mut c, s, &nodes);
    network::check_links(&mut c, s, &nodes);
    let zones = network::check_zones(&mut c, s, &hostnames);
    familiar::check_blocklists(&mut c, s);
    familiar::check_reply_timeouts(&mut c, s);
    familiar::check_proxies(&mut c, s, &nodes);
    let has_mx = |domain: &str| zones.get(&domain.to_ascii_lowercase()).is_some_and(|&i| !s.dns[i].mx.is_empty());
    traffic::check_traffic(&mut c, s, &nodes, &has_mx);
    narration::check_narration(&mut c, s, &nodes, &sources, &has_mx);
    timeline::check_timeline(&mut c, s, &nodes, &sources);
    campaign::check_campaigns(&mut c, s, &nodes);
    // Routes are looked for only in an otherwise valid file.
    if c.problems.is_empty() {
        network::check_reachable(&mut c, s);
    }
    // The work it asks for, once the file is otherwise valid.
    if c.problems.is_empty()
        && let Some(limits) = limits
    {
        for (path, measure, asked, limit) in crate::scenario::work::over(s, limits) {
            let (asked, limit) = (Amount { measure, value: asked }, Amount { measure, value: limit });
            c.report(&path, ProblemKind::TooMuchWork { asked, limit });
        }
    }
    c.problems.sort_by_key(|p| p.pos);
    let located = c.loc.built.get().is_some();
    (c.problems, located)
}

/// Ids of ISPs, nodes and traffic sources are unique; returns the nodes
/// and the sources by id (the first of each id).
fn unique_ids<'s>(c: &mut Checker, s: &'s Scenario) -> (Nodes<'s>, HashMap<&'s str, usize>) {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (i, isp) in s.isps.iter().enumerate() {
        let path = format!("isps[{i}].id");
        if let Some(&first) = seen.get(isp.id.as_str()) {
            let first_line = c.loc.find(&format!("isps[{first}].id")).line;
            c.report(&path, ProblemKind::Duplicate { what: "ISP id", id: isp.id.clone(), first_line });
        } else {
            seen.insert(&isp.id, i);
        }
    }
    let mut nodes: Nodes = HashMap::new();
    for (i, n) in s.nodes.iter().enumerate() {
        if let Some(&(first, _)) = nodes.get(n.id.as_str()) {
            let first_line = c.loc.find(&format!("nodes[{first}].id")).line;
            c.report(
                &format!("nodes[{i}].id"),
                ProblemKind::Duplicate { what: "node id", id: n.id.clone(), first_line },
            );
        } else {
            nodes.insert(&n.id, (i, n));
        }
    }
    let mut sources: HashMap<&str, usize> = HashMap::new();
    for (i, t) in s.traffic.iter().enumerate() {
        if let Some(&first) = sources.get(t.id()) {
            let first_line = c.loc.find(&format!("traffic[{first}].id")).line;
            c.report(
                &format!("traffic[{i}].id"),
                ProblemKind::Duplicate { what: "traffic source id", id: t.id().to_string(), first_line },
            );
        } else {
            sources.insert(t.id(), i);
        }
    }
    (nodes, sources)
}

fn one_of<'a>(ids: impl Iterator<Item = &'a str>, what: &str) -> String {
    let ids: Vec<String> = ids.map(|i| format!("`{i}`")).collect();
    if ids.is_empty() { what.to_string() } else { format!("{what} (one of {})", ids.join(", ")) }
}

/// Checks that `id` names a node of the expected kind, reporting where it is written.
fn check_ref(
    c: &mut Checker,
    nodes: &Nodes<'_>,
    path: &str,
    id: &str,
    expected: &'static str,
    ok: impl Fn(&NodeKind) -> bool,
) {
    match nodes.get(id) {
        None => c.report(
            path,
            ProblemKind::UnknownReference {
                what: "node",
                id: id.to_string(),
                expected: format!("the id of {expected}"),
            },
        ),
        Some((_, n)) if !ok(&n.kind) => {
            c.report(path, ProblemKind::WrongKind { id: id.to_string(), found: n.kind.name(), expected })
        }
        _ => {}
    }
}
