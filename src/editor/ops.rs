//! The edits themselves, each on a scenario that is thrown away when the
//! edit fails (see [`super::Editor::apply`]).

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::probe;
use super::refs::{self, Of};
use super::{Applied, EditError, Item, Op, Section};
use crate::scenario::doc::DocPath;
use crate::scenario::{Isp, Link, NodeKind, Scenario, Source, Zone};
use crate::units::Cidr;

pub(super) fn apply(s: &mut Scenario, op: Op) -> Result<Applied, EditError> {
    match op {
        Op::AddNode { kind, at, isp } => {
            if let Some(isp) = &isp {
                isp_index(s, isp)?;
            }
            finite(at)?;
            let id = fresh(kind.id_prefix(), |id| s.nodes.iter().any(|n| n.id == id));
            let mut node = kind.new_node(&id, isp.as_deref(), s);
            node.position = Some(at);
            s.nodes.push(node);
            Ok(created(Item::Node(id)))
        }
        Op::MoveNode { id, to } => {
            finite(to)?;
            let i = node_index(s, &id)?;
            s.nodes[i].position = Some(to);
            Ok(Applied::default())
        }
        Op::PlaceAll { positions } => {
            for (id, to) in positions {
                finite(to)?;
                let i = node_index(s, &id)?;
                s.nodes[i].position = Some(to);
            }
            Ok(Applied::default())
        }
        Op::DeleteNode { id } => {
            let i = node_index(s, &id)?;
            s.nodes.remove(i);
            s.links.retain(|l| l.a != id && l.b != id);
            Ok(Applied::default())
        }
        Op::Link { a, b, latency } => {
            if a == b {
                return Err(EditError::Refused(format!("a node cannot be linked to itself (`{a}`)")));
            }
            node_index(s, &a)?;
            node_index(s, &b)?;
            if link_index(s, &a, &b).is_ok() {
                return Err(EditError::Refused(format!("`{a}` and `{b}` are linked already")));
            }
            s.links.push(Link { a, b, latency });
            Ok(created(Item::Link(s.links.len() - 1)))
        }
        Op::Unlink { a, b } => {
            let i = link_index(s, &a, &b)?;
            s.links.remove(i);
            Ok(Applied::default())
        }
        Op::SetLatency { a, b, latency } => {
            let i = link_index(s, &a, &b)?;
            s.links[i].latency = latency;
            Ok(Applied::default())
        }
        Op::SetField { item, path, value } => set_field(s, item, &path, &value),
        Op::AddItem { section } => add_item(s, section),
        Op::DeleteItem { item } => delete_item(s, item),
    }
}

/// A position the file can hold (RON has no infinite or NaN coordinates to read back).
fn finite((x, y): (f32, f32)) -> Result<(), EditError> {
    if x.is_finite() && y.is_finite() {
        Ok(())
    } else {
        Err(EditError::Refused(format!("({x}, {y}) is not a position")))
    }
}

fn created(item: Item) -> Applied {
    Applied { created: Some(item) }
}

/// `prefix-N` with the smallest N from 1 that `taken` refuses not.
pub(super) fn fresh(prefix: &str, taken: impl Fn(&str) -> bool) -> String {
    (1..).map(|n| format!("{prefix}-{n}")).find(|id| !taken(id)).unwrap_or_else(|| prefix.to_string())
}

fn node_index(s: &Scenario, id: &str) -> Result<usize, EditError> {
    s.nodes.iter().position(|n| n.id == id).ok_or_else(|| no_such("node", id))
}

fn isp_index(s: &Scenario, id: &str) -> Result<usize, EditError> {
    s.isps.iter().position(|n| n.id == id).ok_or_else(|| no_such("ISP", id))
}

fn zone_index(s: &Scenario, domain: &str) -> Result<usize, EditError> {
    s.dns.iter().position(|z| z.domain == domain).ok_or_else(|| no_such("zone", domain))
}

fn source_index(s: &Scenario, id: &str) -> Result<usize, EditError> {
    s.traffic.iter().position(|t| t.id() == id).ok_or_else(|| no_such("traffic source", id))
}

/// The link between `a` and `b`, either way round.
fn link_index(s: &Scenario, a: &str, b: &str) -> Result<usize, EditError> {
    s.links
        .iter()
        .position(|l| (l.a == a && l.b == b) || (l.a == b && l.b == a))
        .ok_or_else(|| no_such("link", &format!("{a} – {b}")))
}

fn no_such(what: &'static str, id: &str) -> EditError {
    EditError::NoSuch { what, id: id.to_string() }
}

// ----- SetField -------------------------------------------------------------

fn set_field(s: &mut Scenario, item: Item, path: &DocPath, text: &str) -> Result<Applied, EditError> {
    match item {
        Item::Scenario => {
            *s = with_value(s, path, text)?;
            Ok(Applied::default())
        }
        Item::Node(id) => {
            let i = node_index(s, &id)?;
            let new = with_value(&s.nodes[i], path, text)?;
            let new_id = new.id.clone();
            s.nodes[i] = new;
            if new_id != id {
                if s.nodes.iter().filter(|n| n.id == new_id).count() > 1 {
                    return Err(EditError::Refused(format!("there is a node `{new_id}` already")));
                }
                rename(s, Of::Node, &id, &new_id)?;
            }
            Ok(created(Item::Node(new_id)))
        }
        Item::Isp(id) => {
            let i = isp_index(s, &id)?;
            let new = with_value(&s.isps[i], path, text)?;
            let new_id = new.id.clone();
            s.isps[i] = new;
            if new_id != id {
                if s.isps.iter().filter(|n| n.id == new_id).count() > 1 {
                    return Err(EditError::Refused(format!("there is an ISP `{new_id}` already")));
                }
                rename(s, Of::Isp, &id, &new_id)?;
            }
            Ok(created(Item::Isp(new_id)))
        }
        Item::Link(i) => {
            let link = s.links.get(i).ok_or_else(|| no_such("link", &i.to_string()))?;
            s.links[i] = with_value(link, path, text)?;
            Ok(created(Item::Link(i)))
        }
        Item::Zone(domain) => {
            let i = zone_index(s, &domain)?;
            let new: Zone = with_value(&s.dns[i], path, text)?;
            let item = Item::Zone(new.domain.clone());
            s.dns[i] = new;
            Ok(created(item))
        }
        Item::Source(id) => {
            let i = source_index(s, &id)?;
            let new: Source = with_value(&s.traffic[i], path, text)?;
            let new_id = new.id().to_string();
            s.traffic[i] = new;
            if new_id != id {
                if s.traffic.iter().filter(|t| t.id() == new_id).count() > 1 {
                    return Err(EditError::Refused(format!("there is a traffic source `{new_id}` already")));
                }
                rename(s, Of::Source, &id, &new_id)?;
            }
            Ok(created(Item::Source(new_id)))
        }
    }
}

fn rename(s: &mut Scenario, of: Of, old: &str, new: &str) -> Result<(), EditError> {
    refs::rename(s, of, old, new).map(|_| ()).map_err(EditError::Refused)
}

/// `value` with the field at `path` set to the RON `text` (see
/// [`probe::try_value`]), or why not as an edit error.
pub(super) fn with_value<T: Serialize + DeserializeOwned>(
    value: &T,
    path: &DocPath,
    text: &str,
) -> Result<T, EditError> {
    probe::try_value(value, path, text).map_err(|e| match e {
        probe::TryError::NotOne => {
            EditError::BadValue { path: path.to_string(), why: format!("`{text}` is not one value") }
        }
        probe::TryError::NoPlace => no_such("field", &path.to_string()),
        probe::TryError::Doc(why) => EditError::Refused(why),
        probe::TryError::Ron(e) => EditError::BadValue { path: path.to_string(), why: e.to_string() },
    })
}

// ----- AddItem, DeleteItem ----------------------------------------------------

fn add_item(s: &mut Scenario, section: Section) -> Result<Applied, EditError> {
    let quote = |t: &str| ron::to_string(t).unwrap_or_else(|_| "\"\"".into());
    let recipient = some_recipient(s);
    let item = match section {
        Section::Isp => {
            let id = fresh("isp", |id| s.isps.iter().any(|i| i.id == id));
            let used: Vec<Cidr> = s.isps.iter().flat_map(|i| i.customers.iter().chain(&i.servers)).copied().collect();
            let free = |c: &Cidr| !used.iter().any(|u| u.overlaps(c));
            let customers = (1..=255).map(|n| format!("10.{n}.0.0/16")).filter_map(|t| t.parse().ok()).find(free);
            let servers = (0..=255).map(|n| format!("172.16.{n}.0/24")).filter_map(|t| t.parse().ok()).find(free);
            let name = format!("ISP {}", id.trim_start_matches("isp-"));
            s.isps.push(Isp {
                id: id.clone(),
                name: Some(name),
                names: Default::default(),
                customers: customers.into_iter().collect(),
                servers: servers.into_iter().collect(),
            });
            Item::Isp(id)
        }
        Section::Zone => {
            let domain = fresh("domain", |d| s.dns.iter().any(|z| z.domain == format!("{d}.example")));
            let domain = format!("{domain}.example");
            s.dns.push(Zone { domain: domain.clone(), mx: vec![], a: vec![], txt: vec![], blocklist: None });
            Item::Zone(domain)
        }
        Section::Legit | Section::Spam | Section::Once => {
            let prefix = match section {
                Section::Legit => "legit",
                Section::Spam => "spam",
                _ => "once",
            };
            let id = fresh(prefix, |id| s.traffic.iter().any(|t| t.id() == id));
            let writer = s
                .nodes
                .iter()
                .find(|n| matches!(n.kind, NodeKind::ClientPc(_)))
                .or_else(|| s.nodes.iter().find(|n| matches!(n.kind, NodeKind::Population(_))));
            let sender = s
                .nodes
                .iter()
                .find(|n| matches!(&n.kind, NodeKind::Population(p) if p.infected > 0.0))
                .or_else(|| s.nodes.iter().find(|n| matches!(n.kind, NodeKind::SpamBot(_))));
            let id_of = |n: Option<&crate::scenario::Node>| quote(n.map_or("", |n| n.id.as_str()));
            let to = quote(&recipient);
            let text = match section {
                Section::Legit => {
                    format!("Legit(id: {}, from: {}, rate: \"10/h\", to: [{to}])", quote(&id), id_of(writer))
                }
                Section::Spam => {
                    let forged = quote(&format!("someone@{}", recipient.rsplit('@').next().unwrap_or("example.com")));
                    format!(
                        "Spam(id: {}, senders: [{}], strategy: DirectToMx, rate: \"30/h\", forged_from: [{forged}], to: [{to}])",
                        quote(&id),
                        id_of(sender)
                    )
                }
                _ => format!("Once(id: {}, from: {}, to: {to}, at: \"1m\")", quote(&id), id_of(writer)),
            };
            let source: Source = probe::read(&text).map_err(|e| EditError::Refused(e.code.to_string()))?;
            s.traffic.push(source);
            Item::Source(id)
        }
    };
    Ok(created(item))
}

/// A mailbox of the world to send to: the first one a mailbox server or a
/// mail server keeps (`*@domain` as `user@domain`).
fn some_recipient(s: &Scenario) -> String {
    let boxes = s.nodes.iter().flat_map(|n| match &n.kind {
        NodeKind::MailboxServer(m) => m.mailboxes.as_slice(),
        k => k.mail_server().map_or(&[][..], |m| m.mailboxes.as_slice()),
    });
    boxes.map(|b| b.replace("*@", "user@")).next().unwrap_or_else(|| "user@example.com".to_string())
}

fn delete_item(s: &mut Scenario, item: Item) -> Result<Applied, EditError> {
    match item {
        Item::Scenario => return Err(EditError::Refused("the world itself cannot be deleted".into())),
        Item::Node(id) => return apply(s, Op::DeleteNode { id }),
        Item::Isp(id) => {
            let i = isp_index(s, &id)?;
            s.isps.remove(i);
        }
        Item::Link(i) => {
            if i >= s.links.len() {
                return Err(no_such("link", &i.to_string()));
            }
            s.links.remove(i);
        }
        Item::Zone(domain) => {
            let i = zone_index(s, &domain)?;
            s.dns.remove(i);
        }
        Item::Source(id) => {
            let i = source_index(s, &id)?;
            s.traffic.remove(i);
        }
    }
    Ok(Applied::default())
}
