//! Human-readable views of one message: its path, headers as the recipient
//! sees them, every hop's SMTP dialogue and its fate. Used by `relaysim show`
//! and the golden transcript tests.

use std::fmt::Write;

use super::message::{Fate, MsgId};
use super::simulation::Simulation;
use crate::units::format_ms;

/// The full story of message `id`, or `None` if there is no such message.
pub fn describe(sim: &Simulation, id: MsgId) -> Option<String> {
    let m = sim.messages.get(id.0 as usize)?;
    let name = |n: usize| sim.nodes.get(n).map_or("?", |x| x.id.as_str());
    let mut o = String::new();
    let _ = writeln!(o, "Message #{} ({}), created at {}", m.id.0, m.class.name(), format_ms(m.created));
    let _ = writeln!(
        o,
        "  envelope: MAIL FROM:<{}> RCPT TO:<{}>{}",
        m.mail_from,
        m.rcpt,
        if m.forged { "  (forged sender)" } else { "" }
    );
    let _ = writeln!(o, "  header:   From: {}   Subject: {}", m.header_from(), m.subject());
    if let Some(b) = m.bounce_of {
        let _ = writeln!(o, "  bounce of message #{}", b.0);
    }
    let path: Vec<&str> =
        std::iter::once(name(m.origin)).chain(m.hops.iter().filter(|h| h.accepted).map(|h| name(h.to))).collect();
    let _ = writeln!(o, "  path:     {}", path.join(" -> "));
    let fate = match &m.fate {
        Fate::Queued => "still queued".to_string(),
        Fate::Delivered { at, node } => format!(
            "delivered to a mailbox on {} at {} (after {})",
            name(*node),
            format_ms(*at),
            format_ms(at - m.created)
        ),
        Fate::Rejected { at, node, reason } => {
            format!("rejected at {} by {}: {}", format_ms(*at), node.map_or("?", name), reason)
        }
        Fate::Lost { at, reason } => format!("lost at {}: {}", format_ms(*at), reason),
    };
    let _ = writeln!(o, "  fate:     {fate}");
    let _ = writeln!(o, "\nHeaders (newest first):");
    for h in m.headers() {
        let _ = writeln!(o, "{h}");
    }
    for (i, h) in m.hops.iter().enumerate() {
        let _ = writeln!(
            o,
            "\nHop {} [{} -> {}] {} -> {}:{}  {} .. {}  => {}",
            i + 1,
            name(h.from),
            name(h.to),
            h.from_ip,
            h.to_ip,
            h.port,
            format_ms(h.started),
            format_ms(h.ended),
            h.result
        );
        for l in &h.transcript() {
            let _ = writeln!(o, "  {:>10}  {}: {}", format_ms(l.t), l.who, l.text.replace("\r\n", " "));
        }
    }
    Some(o)
}

/// One line per message: number, class, source, envelope and fate, so a
/// teacher can find the message to `show`.
pub fn list(sim: &Simulation, source: Option<&str>) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "{:>6}  {:<11} {:<18} {:<32} {:<28} fate", "#", "class", "source", "from", "to");
    for m in &sim.messages {
        let src = m.source.map_or("(bounce)", |i| sim.scenario.traffic[i].id());
        if source.is_some_and(|s| s != src) {
            continue;
        }
        let fate = match &m.fate {
            Fate::Queued => "queued".to_string(),
            Fate::Delivered { at, .. } => format!("delivered after {}", format_ms(at - m.created)),
            Fate::Rejected { reason, .. } => format!("rejected: {}", reason.lines().next().unwrap_or("")),
            Fate::Lost { reason, .. } => format!("lost: {reason}"),
        };
        let from = if m.mail_from.is_empty() { "<>" } else { &*m.mail_from };
        let _ = writeln!(o, "{:>6}  {:<11} {:<18} {:<32} {:<28} {}", m.id.0, m.class.name(), src, from, m.rcpt, fate);
    }
    o
}
