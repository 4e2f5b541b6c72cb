//! The lesson's narration: steps with unique ids and English text,
//! references that exist, answers among the choices, actions that can be
//! carried out, and event triggers that some event can match.

use std::collections::HashMap;

use super::addresses::{check_address, check_targets};
use super::{Checker, check_ref, is_mail_server, one_of};
use crate::scenario::error::ProblemKind;
use crate::scenario::schema::*;

/// The lesson's steps: unique ids, English text, references that exist,
/// answers among the choices, actions that can be carried out.
pub(super) fn check_narration(
    c: &mut Checker,
    s: &Scenario,
    nodes: &HashMap<&str, (usize, &Node)>,
    sources: &HashMap<&str, usize>,
    has_mx: &dyn Fn(&str) -> bool,
) {
    let mut steps: HashMap<&str, usize> = HashMap::new();
    // Steps whose action sends a mail: they name a message source too.
    let senders: HashMap<&str, usize> = s
        .narration
        .iter()
        .enumerate()
        .filter(|(_, st)| matches!(st.action, Some(Action::SendMail(_) | Action::SendSpam(_))))
        .map(|(i, st)| (st.id.as_str(), i))
        .collect();
    for (i, st) in s.narration.iter().enumerate() {
        let p = format!("narration[{i}]");
        if st.id.is_empty() {
            c.invalid(&format!("{p}.id"), "step id", "must not be empty");
        }
        if let Some(&first) = steps.get(st.id.as_str()) {
            let first_line = c.loc.find(&format!("narration[{first}].id")).line;
            c.report(&format!("{p}.id"), ProblemKind::Duplicate { what: "step id", id: st.id.clone(), first_line });
        } else if sources.contains_key(st.id.as_str()) && senders.contains_key(st.id.as_str()) {
            c.invalid(
                &format!("{p}.id"),
                format!("step id `{}`", st.id),
                "is also a traffic source id; a step that sends mail needs its own name",
            );
        } else {
            steps.insert(&st.id, i);
        }
        check_localized(c, &format!("{p}.title"), "title", &st.title);
        check_localized(c, &format!("{p}.text"), "text", &st.text);

        // The trigger.
        let tp = format!("{p}.trigger");
        match &st.trigger {
            Trigger::At(t) if *t > s.duration => c.invalid(
                &format!("{tp}[0]"),
                "At",
                format!("{t} is after the end of the scenario ({}): the step would never fire", s.duration),
            ),
            _ => {}
        }
        if let Some(m) = st.trigger.filter() {
            if let Some(src) = &m.source {
                check_msg_source(c, &format!("{tp}[0].source"), src, sources, &senders, Some(i));
            }
            for (field, id) in [("origin", &m.origin), ("node", &m.node)] {
                if let Some(id) = id
                    && !nodes.contains_key(id.as_str())
                {
                    c.report(
                        &format!("{tp}[0].{field}"),
                        ProblemKind::UnknownReference { what: "node", id: id.clone(), expected: "a node id".into() },
                    );
                }
            }
        }
        if let Some(m) = st.trigger.message() {
            check_msg_ref(c, &format!("{tp}[0]"), m, s, sources, &senders, Some(i));
        }
        if st.trigger.filter().is_some() {
            check_can_fire(c, &tp, s, i, nodes, sources, &senders);
        }
        // A source that starts sending only after the end never sends.
        let named = st.trigger.message().map(|m| &m.source).or(st.trigger.filter().and_then(|m| m.source.as_ref()));
        let start = named.and_then(|src| sources.get(src.as_str())).map(|&k| match &s.traffic[k] {
            Source::Legit(l) => l.start,
            Source::Spam(sp) => sp.start,
            Source::Once(o) => o.at,
        });
        if let (Some(src), Some(start)) = (named, start)
            && start >= s.duration
        {
            c.invalid(
                &format!("{tp}[0].source"),
                format!("source `{src}`"),
                format!(
                    "starts at {start}, not before the end of the scenario ({}): it sends nothing, so the step would never fire",
                    s.duration
                ),
            );
        }

        // What to look at.
        for (j, id) in st.focus.nodes.iter().enumerate() {
            if !nodes.contains_key(id.as_str()) {
                c.report(
                    &format!("{p}.focus.nodes[{j}]"),
                    ProblemKind::UnknownReference { what: "node", id: id.clone(), expected: "a node id".into() },
                );
            }
        }
        if let Some(m) = &st.focus.message {
            check_msg_ref(c, &format!("{p}.focus.message"), m, s, sources, &senders, None);
        }

        // The question.
        if let Some(q) = &st.predict {
            let qp = format!("{p}.predict");
            check_localized(c, &format!("{qp}.question"), "question", &q.question);
            check_localized(c, &format!("{qp}.explanation"), "explanation", &q.explanation);
            if q.choices.len() < 2 {
                c.invalid(&format!("{qp}.choices"), "choices", "a prediction needs at least two choices");
            }
            for (j, ch) in q.choices.iter().enumerate() {
                check_localized(c, &format!("{qp}.choices[{j}]"), "choice", ch);
            }
            if q.answer >= q.choices.len() {
                c.invalid(
                    &format!("{qp}.answer"),
                    "answer",
                    format!("{} is not the index of a choice (0 to {})", q.answer, q.choices.len().saturating_sub(1)),
                );
            }
        }

        // The action.
        let ap = format!("{p}.action");
        match &st.action {
            Some(Action::SendMail(m)) => {
                check_ref(c, nodes, &format!("{ap}.from"), &m.from, "a ClientPc, Population or mail server", |k| {
                    matches!(k, NodeKind::ClientPc(_) | NodeKind::Population(_)) || is_mail_server(k)
                });
                check_targets(c, &format!("{ap}.to"), std::slice::from_ref(&m.to), has_mx);
                if let Some(a) = &m.sender {
                    check_address(c, &format!("{ap}.sender"), a);
                }
            }
            Some(Action::SendSpam(m)) => {
                let campaign = sources.get(m.campaign.as_str()).map(|&k| &s.traffic[k]);
                if !matches!(campaign, Some(Source::Spam(_))) {
                    let spam = s.traffic.iter().filter(|t| matches!(t, Source::Spam(_))).map(|t| t.id());
                    c.report(
                        &format!("{ap}.campaign"),
                        ProblemKind::UnknownReference {
                            what: "spam campaign",
                            id: m.campaign.clone(),
                            expected: one_of(spam, "the id of a Spam traffic source"),
                        },
                    );
                }
                check_targets(c, &format!("{ap}.to"), std::slice::from_ref(&m.to), has_mx);
                if let Some(a) = &m.forged_from {
                    check_address(c, &format!("{ap}.forged_from"), a);
                }
            }
            Some(Action::Switch(sw)) => {
                if sw.defense.on_router() {
                    check_ref(c, nodes, &format!("{ap}.node"), &sw.node, "a Router", |k| {
                        matches!(k, NodeKind::Router(_))
                    });
                    let isp = nodes.get(sw.node.as_str()).and_then(|(_, n)| n.isp.as_ref());
                    let has_filters = nodes
                        .get(sw.node.as_str())
                        .is_some_and(|(_, n)| matches!(&n.kind, NodeKind::Router(r) if !r.filters.is_empty()));
                    if nodes.contains_key(sw.node.as_str()) && isp.is_none() && !has_filters {
                        c.invalid(
                            &format!("{ap}.node"),
                            format!("router `{}`", sw.node),
                            "has no `isp` (whose customers OP25B would block) and no filters of its own",
                        );
                    }
                } else {
                    check_ref(c, nodes, &format!("{ap}.node"), &sw.node, "a mail server", is_mail_server);
                    let server = nodes.get(sw.node.as_str()).and_then(|(_, n)| n.kind.mail_server());
                    if sw.defense == Defense::PopBeforeSmtp && server.is_some_and(|m| m.pop_before_smtp.is_none()) {
                        c.invalid(
                            &format!("{ap}.defense"),
                            "PopBeforeSmtp",
                            format!("node `{}` has no `pop_before_smtp` settings to switch on", sw.node),
                        );
                    }
                    if sw.defense == Defense::RelayRestriction
                        && nodes.get(sw.node.as_str()).is_some_and(|(_, n)| n.isp.is_none())
                    {
                        c.invalid(
                            &format!("{ap}.node"),
                            format!("node `{}`", sw.node),
                            "has no `isp` whose networks it could restrict relaying to",
                        );
                    }
                }
            }
            Some(Action::Pause) | None => {}
        }
        if let Some(Action::Switch(sw)) = &st.action
            && !sw.on
        {
            check_switch_off(c, &ap, s, i, sw, nodes);
        }
    }
}

/// Whether `defense` is on at `node` after the steps before `before`: as
/// the file configures it, then each earlier `Switch` of it there.
pub(super) fn on_before(s: &Scenario, before: usize, node: &Node, defense: Defense) -> Option<bool> {
    let configured = match (&node.kind, defense) {
        (NodeKind::Router(r), Defense::Op25b) => !r.filters.is_empty(),
        (k, Defense::PopBeforeSmtp) => k.mail_server()?.pop_before_smtp.is_some(),
        (k, Defense::Spf) => k.mail_server()?.spf.is_some(),
        (k, Defense::Greylist) => k.mail_server()?.greylist.is_some(),
        (k, Defense::VerifyRecipients) => k.mail_server()?.verify_recipients,
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
pub(super) fn check_switch_off(
    c: &mut Checker,
    ap: &str,
    s: &Scenario,
    i: usize,
    sw: &Switch,
    nodes: &HashMap<&str, (usize, &Node)>,
) {
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
    nodes: &HashMap<&str, (usize, &Node)>,
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

/// A localized text: English present, every text non-empty, codes such as `ja` or `pt-BR`.
pub(super) fn check_localized(c: &mut Checker, path: &str, what: &str, t: &Localized) {
    if !t.0.contains_key("en") {
        c.invalid(path, what, "needs an English text (`\"en\": \"…\"`), the fallback for every language");
    }
    for (lang, text) in &t.0 {
        let mut parts = lang.split('-');
        let primary = parts.next().unwrap_or("");
        let ok = (2..=3).contains(&primary.len())
            && primary.chars().all(|ch| ch.is_ascii_lowercase())
            && parts.all(|x| !x.is_empty() && x.len() <= 8 && x.chars().all(|ch| ch.is_ascii_alphanumeric()));
        if !ok {
            c.invalid(
                path,
                format!("language `{lang}`"),
                "is not a language code (expected e.g. \"en\", \"ja\", \"pt-BR\")",
            );
        }
        if text.trim().is_empty() {
            c.invalid(path, format!("{what} in `{lang}`"), "must not be empty");
        }
    }
}

/// A message source named by a step: a traffic source, or an earlier step that sends mail.
pub(super) fn check_msg_source(
    c: &mut Checker,
    path: &str,
    src: &str,
    sources: &HashMap<&str, usize>,
    senders: &HashMap<&str, usize>,
    before: Option<usize>,
) {
    if sources.contains_key(src) {
        return;
    }
    match senders.get(src) {
        Some(&k) if before.is_none_or(|b| k < b) => {}
        Some(_) => c.invalid(
            path,
            format!("source `{src}`"),
            "is a later step (or this one): a step can only wait for mail sent before it",
        ),
        None => c.report(
            path,
            ProblemKind::UnknownReference {
                what: "message source",
                id: src.to_string(),
                expected: "a traffic source id, or the id of a step with a SendMail/SendSpam action".into(),
            },
        ),
    }
}

pub(super) fn check_msg_ref(
    c: &mut Checker,
    path: &str,
    m: &MsgRef,
    s: &Scenario,
    sources: &HashMap<&str, usize>,
    senders: &HashMap<&str, usize>,
    before: Option<usize>,
) {
    check_msg_source(c, &format!("{path}.source"), &m.source, sources, senders, before);
    let single = senders.contains_key(m.source.as_str())
        || sources.get(m.source.as_str()).is_some_and(|&k| matches!(s.traffic[k], Source::Once(_)));
    if single && m.index > 0 {
        c.invalid(&format!("{path}.index"), "index", format!("`{}` sends a single mail: use index 0", m.source));
    }
}
