//! The live sessions in the run's report: a table section after the
//! usual tables, or a `live` object in the JSON.

use serde::Serialize;

use super::engine::SessionRecord;
use crate::sim::{MsgId, Simulation};
use crate::stats::Report;

/// The JSON of `serve`: the run's report with `live` added.
pub fn json(report: &Report, sessions: &[SessionRecord]) -> serde_json::Result<String> {
    #[derive(Serialize)]
    struct Live<'a> {
        sessions: usize,
        messages: usize,
        list: &'a [SessionRecord],
    }
    let mut v = serde_json::to_value(report)?;
    let messages = sessions.iter().map(|s| s.messages.len()).sum();
    let live = Live { sessions: sessions.len(), messages, list: sessions };
    if let serde_json::Value::Object(map) = &mut v {
        map.insert("live".into(), serde_json::to_value(live)?);
    }
    serde_json::to_string_pretty(&v)
}

/// The live sessions as a table section: one line each, then its
/// dialogue; then each live message's story as `relaysim show` tells it
/// (its path, headers and every hop's dialogue so far).
pub fn table(sim: &Simulation, sessions: &[SessionRecord]) -> String {
    let mut out = format!("\nLive sessions: {}\n", sessions.len());
    for s in sessions {
        let msgs = if s.messages.is_empty() {
            String::new()
        } else {
            let ids: Vec<String> = s.messages.iter().map(|m| format!("#{m}")).collect();
            format!(", messages {}", ids.join(" "))
        };
        let what = s.failed.as_deref().unwrap_or(&s.last_reply);
        out.push_str(&format!(
            "  {} {} from {} (seen as {}) at {:.0}s-{:.0}s{msgs}: {what}\n",
            s.protocol, s.node, s.peer, s.client_ip, s.started_s, s.ended_s
        ));
        for l in &s.transcript {
            out.push_str(&format!("      {l}\n"));
        }
    }
    for id in sessions.iter().flat_map(|s| &s.messages) {
        if let Some(story) = crate::sim::inspect::describe(sim, MsgId(*id)) {
            out.push_str(&format!("\nLive message #{id}\n{story}"));
        }
    }
    out
}
