//! The lesson's narration: steps with unique ids and English text,
//! references that exist, answers among the choices, actions that can be
//! carried out, and event triggers that some event can match.

use std::collections::HashMap;

use super::addresses::{check_address, check_targets};
use super::triggers::{check_can_fire, check_switch_off};
use super::{Checker, Nodes, check_ref, is_mail_server, one_of};
use crate::scenario::error::ProblemKind;
use crate::scenario::schema::*;

/// The lesson's steps: unique ids, English text, references that exist,
/// answers among the choices, actions that can be carried out.
pub(super) fn check_narration(
    c: &mut Checker,
    s: &Scenario,
    nodes: &Nodes<'_>,
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
