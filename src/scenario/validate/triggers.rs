//! The narration's triggers and switches, checked against the world:
//! event triggers whose filter no event can ever match, and switches that
//! turn off a defense that is not on at that point of the lesson.

use super::{Checker, Nodes, is_mail_server};
use crate::scenario::schema::*;
use std::collections::HashMap;

/// Whether `defense` is on at `node` after the steps before `before`: as
/// the file configures it, then each earlier `Switch` of it there.
pub(super) fn on_before(s: &Scenario, before: usize, node: &Node, defense: Defense) -> Option<bool> {
    let configured = match (&node.kind, defense) {
        (NodeKind::Router(r), Defense::Op25b) => !r.filters.is_empty(),
        (k, Defense::PopBeforeSmtp) => k.mail_server()?.pop_before_smtp.is_some(),
        (k, Defense::Spf) => k.mail_server()?.spf.is_some(),
        (k, Defense::Greylist) => k.mail_server()?.greylist.is_some(),
        (k, Defense::VerifyRecipients) => k.mail_server()?.verify_recipients,
        (k, Defense::Familiar) => k.mail_server()?.familiar.is_some(),
        (k, Defense::BackupMx) => !k.mail_server()?.relay_domains.is_empty(),
        (k, Defense::Dnsbl) => k.mail_server()?.dnsbl.is_some(),
        (k, Defense::Tarpit) => k.mail_server()?.tarpit.is_some(),
        (k, Defense::VerifySender) => k.mail_server()?.verify_sender.is_some(),
        (k, Defense::ConnectionRateLimit) => k.mail_server()?.connection_rate_limit.is_some(),
        // Relay restriction depends on the kind, `relay` and the ISP: not checked.
        _ => return None,
    };
    let switched = s.narration[..before].iter().rev().find_map(|st| match &st.action {
        Some(Action::Switch(sw)) if sw.node == node.id && sw.defense == defense => Some(sw.on),
        _ => None,
    });
    Some(switched.unwrap_or(configured))
}

/// A switch that turns off what is not on does nothing.
pub(super) fn check_switch_off(c: &mut Checker, ap: &str, s: &Scenario, i: usize, sw: &Switch, nodes: &Nodes<'_>) {
    let Some((_, node)) = nodes.get(sw.node.as_str()) else { return };
    if on_before(s, i, node, sw.defense) == Some(false) {
        c.invalid(
            &format!("{ap}.on"),
            format!("switching {} off", sw.defense.name()),
            format!(
                "does nothing: it is not on at `{}` (neither in the file nor switched on by an earlier step)",
                sw.node
            ),
        );
    }
}

/// Event triggers whose filter no event can ever match, found from the file
/// alone: the wrong kind of node for the event, a class the named source
/// never sends, an origin that is not one of its senders, a bounce asked by
/// source (bounces have none), greylisting where nothing greylists.
pub(super) fn check_can_fire(
    c: &mut Checker,
    tp: &str,
    s: &Scenario,
    i: usize,
    nodes: &Nodes<'_>,
    sources: &HashMap<&str, usize>,
    senders: &HashMap<&str, usize>,
) {
    let trigger = &s.narration[i].trigger;
    let Some(m) = trigger.filter() else { return };
    let name = trigger_name(trigger);
    let at = |field: &str| format!("{tp}[0].{field}");
    let kind = |id: &Option<String>| id.as_ref().and_then(|id| nodes.get(id.as_str())).map(|(_, n)| &n.kind);
    let server = |k: &NodeKind| is_mail_server(k) || matches!(k, NodeKind::MailboxServer(_));

    // Where the event happens.
    if let (Some(k), Some(id)) = (kind(&m.node), &m.node) {
        match trigger {
            Trigger::Dropped(_) if !matches!(k, NodeKind::Router(_)) => c.invalid(
                &at("node"),
                name,
                format!("`{id}` is not a Router: only routers drop connections, so the step would never fire"),
            ),
            Trigger::Dropped(_) => {}
            _ if !server(k) => c.invalid(
                &at("node"),
                name,
                format!(
                    "`{id}` is not a mail server or mailbox server, where this event happens: the step would never fire"
                ),
            ),
            _ => {}
        }
    }
    if let (Some(NodeKind::Router(_) | NodeKind::Dns), Some(id)) = (kind(&m.origin), &m.origin) {
        c.invalid(&at("origin"), name, format!("`{id}` cannot write mail: the step would never fire"));
    }

    // Bounces: the event's message is the bounce, which no source sent.
    if matches!(trigger, Trigger::Bounced(_)) {
        if m.source.is_some() {
            c.invalid(
                &at("source"),
                name,
                "a bounce has no traffic source (filter by class, origin or node): the step would never fire",
            );
        }
        if let Some(cl @ (Class::Legit | Class::Spam)) = m.class {
            c.invalid(
                &at("class"),
                name,
                format!("a bounce is of class Bounce or Backscatter, not {cl:?}: the step would never fire"),
            );
        }
        return;
    }

    // What the named source sends, and from where.
    if let Some(src) = &m.source {
        let (class, origins): (Class, Vec<&str>) = match sources.get(src.as_str()).map(|&k| &s.traffic[k]) {
            Some(Source::Legit(l)) => (Class::Legit, vec![l.from.as_str()]),
            Some(Source::Once(o)) => (Class::Legit, vec![o.from.as_str()]),
            Some(Source::Spam(sp)) => (Class::Spam, sp.senders.iter().map(String::as_str).collect()),
            None => match senders.get(src.as_str()).and_then(|&k| s.narration[k].action.as_ref()) {
                Some(Action::SendMail(a)) => (Class::Legit, vec![a.from.as_str()]),
                // A campaign's mail comes from one of its senders.
                Some(Action::SendSpam(a)) => match sources.get(a.campaign.as_str()).map(|&k| &s.traffic[k]) {
                    Some(Source::Spam(sp)) => (Class::Spam, sp.senders.iter().map(String::as_str).collect()),
                    _ => return,
                },
                _ => return,
            },
        };
        if let Some(cl) = m.class
            && cl != class
        {
            c.invalid(
                &at("class"),
                name,
                format!("`{src}` sends {class:?} mail, not {cl:?}: the step would never fire"),
            );
        }
        if let Some(o) = &m.origin
            && !origins.contains(&o.as_str())
        {
            c.invalid(
                &at("origin"),
                name,
                format!("`{src}` sends from {}, not `{o}`: the step would never fire", origins.join(", ")),
            );
        }
    }

    // Greylisting: only where a server greylists (in the file or switched on before).
    if matches!(trigger, Trigger::Greylisted(_)) {
        let greylists = |n: &Node| on_before(s, i, n, Defense::Greylist) == Some(true);
        match &m.node {
            Some(id) => {
                if let Some((_, n)) = nodes.get(id.as_str())
                    && server(&n.kind)
                    && !greylists(n)
                {
                    c.invalid(
                        &at("node"),
                        name,
                        format!("`{id}` does not greylist (no `greylist`, and no earlier step switches it on): the step would never fire"),
                    );
                }
            }
            None if !s.nodes.iter().any(greylists) => c.invalid(
                tp,
                name,
                "no node greylists (no `greylist`, and no earlier step switches it on): the step would never fire",
            ),
            None => {}
        }
    }
}

pub(super) fn trigger_name(t: &Trigger) -> &'static str {
    match t {
        Trigger::At(_) => "At",
        Trigger::After(_) => "After",
        Trigger::Delivered(_) => "Delivered",
        Trigger::Rejected(_) => "Rejected",
        Trigger::Dropped(_) => "Dropped",
        Trigger::Greylisted(_) => "Greylisted",
        Trigger::Accepted(_) => "Accepted",
        Trigger::Refused(_) => "Refused",
        Trigger::Bounced(_) => "Bounced",
        Trigger::Lost(_) => "Lost",
        Trigger::MessageDelivered(_) => "MessageDelivered",
        Trigger::MessageFailed(_) => "MessageFailed",
        Trigger::MessageFinal(_) => "MessageFinal",
    }
}
