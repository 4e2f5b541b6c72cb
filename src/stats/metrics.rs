//! The numbers compared between scenarios, computed from one finished run.

use std::collections::BTreeMap;

use crate::scenario::NodeKind;
use crate::sim::Simulation;
use crate::stats::summary::Report;

/// A metric's name, its unit, and what it says, in table order.
pub const KEY_METRICS: [(&str, &str, &str); 9] = [
    ("spam_inbox_rate", "share", "spam delivered / spam sent"),
    ("legit_delivery_rate", "share", "legit delivered / legit sent"),
    ("legit_delay_median_s", "s", "median legit delivery delay"),
    ("legit_delay_p95_s", "s", "95th percentile legit delivery delay"),
    ("legit_lost", "messages", "legit mail dropped silently"),
    ("legit_rejected", "messages", "legit mail refused or bounced"),
    ("backscatter_delivered", "messages", "bounces delivered to innocent, forged senders"),
    ("spam_via_open_relay", "messages", "spam delivered through third-party open relays"),
    ("bot_effort", "attempts", "spam connection attempts per spam delivered"),
];

/// Every metric of one run, by name (key metrics plus per-server load).
pub fn of(sim: &Simulation) -> BTreeMap<String, f64> {
    let tally = sim.tally();
    let r = Report::from_tally(sim, &tally);
    let ratio = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    let legit = &r.mail["legit"];
    let spam = &r.mail["spam"];
    let attempts = tally.spam_attempts;
    let mut out = BTreeMap::from([
        ("spam_inbox_rate".to_string(), ratio(spam.counts.delivered, spam.counts.sent)),
        ("legit_delivery_rate".to_string(), ratio(legit.counts.delivered, legit.counts.sent)),
        ("legit_delay_median_s".to_string(), legit.delay_s.median),
        ("legit_delay_p95_s".to_string(), legit.delay_s.p95),
        ("legit_lost".to_string(), legit.counts.lost as f64),
        ("legit_rejected".to_string(), legit.counts.rejected as f64),
        ("backscatter_delivered".to_string(), r.mail["backscatter"].counts.delivered as f64),
        ("spam_via_open_relay".to_string(), spam.via_open_relay as f64),
        // With nothing delivered, every attempt was wasted: count them all.
        ("bot_effort".to_string(), attempts as f64 / spam.counts.delivered.max(1) as f64),
    ]);
    for n in &sim.nodes {
        let server = n.kind.mail_server().is_some() || matches!(n.kind, NodeKind::MailboxServer(_));
        if server {
            out.insert(format!("sessions_in.{}", n.id), n.counters.sessions_in as f64);
            out.insert(format!("bytes_in.{}", n.id), n.counters.bytes_in as f64);
        }
    }
    out
}
