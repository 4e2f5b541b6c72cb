//! Worlds to start from: the tour's base world, an empty world with one ISP
//! and one MX, and each example.
//!
//! The base world is era 1's file without its lesson (narration and
//! timeline): the ISPs, users, servers, DNS and traffic that every era of
//! the tour shares, with era 1's open relays. The empty world is the least
//! that passes the checker and runs: one ISP with its router on the
//! Internet, its MX handing mail to a mailbox server, a DNS server, and the
//! zone that makes the MX findable. Examples are taken as they are shipped.

use crate::scenario::{Localized, Scenario};
use crate::tour;
use crate::units::Duration;

/// One template of "New world from template".
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    /// `base`, `empty`, or an example's name (`example:backscatter`).
    pub key: String,
    pub title: String,
    pub title_ja: String,
}

/// Every template, `base` and `empty` first.
pub fn templates() -> Vec<Template> {
    let mut all = vec![
        Template {
            key: "base".into(),
            title: "The tour's world (era 1, without the lesson)".into(),
            title_ja: "ツアーの世界 (第1期、解説なし)".into(),
        },
        Template {
            key: "empty".into(),
            title: "An empty world: one ISP and one MX".into(),
            title_ja: "空の世界: ISP 1 つと MX 1 台".into(),
        },
    ];
    all.extend(tour::examples().iter().map(|e| Template {
        key: e.name.to_string(),
        title: e.title().to_string(),
        title_ja: e.title_in("ja"),
    }));
    all
}

/// The world of a template (`None` for an unknown key).
pub fn make(key: &str) -> Option<Scenario> {
    match key {
        "base" => {
            let mut s = tour::find("era:1")?.load().ok()?;
            s.narration.clear();
            s.timeline.clear();
            s.name = "My world".into();
            s.names = Localized([("ja".to_string(), "わたしの世界".to_string())].into());
            s.description = "Built from the tour's world (era 1: every server relays for anyone).".into();
            Some(s)
        }
        "empty" => empty(),
        _ if key.starts_with("example:") => tour::find(key)?.load().ok(),
        _ => None,
    }
}

/// An editor on a new world from template `key`, with the template's
/// comments (the tour's world keeps era 1's comments on what it keeps) and
/// no file yet (Save as).
pub fn editor(key: &str) -> Option<super::Editor> {
    let scenario = make(key)?;
    let original = match key {
        "base" => {
            // Written once with era 1's comments: those of its lesson, which
            // the template leaves out, are not asked about at every save.
            let era = tour::find("era:1")?;
            Some(crate::scenario::format::format(&scenario, Some(era.text)).text)
        }
        "empty" => Some(EMPTY.to_string()),
        _ => Some(tour::find(key)?.text.to_string()),
    };
    Some(super::Editor::new(scenario, None, original))
}

/// One ISP (`isp-a`, with a router on the Internet), its MX and mailbox
/// server, a DNS server, and the zone with the MX record.
pub const EMPTY: &str = r#"Scenario(
    name: "A new world",
    names: {"ja": "新しい世界"},
    duration: "1d",
    seed: 1,
    isps: [
        Isp(id: "isp-a", name: "ISP A", customers: ["10.1.0.0/16"], servers: ["192.0.2.0/26"]),
    ],
    nodes: [
        Node(id: "internet", label: "Internet", labels: {"ja": "インターネット"}, position: (0.0, 0.0), kind: Router()),
        Node(id: "router-a", isp: "isp-a", position: (-200.0, 0.0), kind: Router()),
        Node(id: "dns", label: "DNS", ip: "198.51.100.53", position: (0.0, 150.0), kind: Dns),
        Node(id: "mx-a", isp: "isp-a", position: (-350.0, 80.0), kind: Mx(
            hostname: "mx.isp-a.example",
            domains: ["isp-a.example"],
            mailbox: "mbox-a",
        )),
        Node(id: "mbox-a", isp: "isp-a", position: (-350.0, -80.0), kind: MailboxServer(
            hostname: "mbox.isp-a.example",
            mailboxes: ["*@isp-a.example"],
        )),
    ],
    links: [
        Link(a: "router-a", b: "internet", latency: "15ms"),
        Link(a: "dns", b: "internet", latency: "5ms"),
        Link(a: "mx-a", b: "router-a", latency: "1ms"),
        Link(a: "mbox-a", b: "router-a", latency: "1ms"),
    ],
    dns: [
        Zone(domain: "isp-a.example", mx: [(10, "mx.isp-a.example")]),
    ],
)
"#;

fn empty() -> Option<Scenario> {
    crate::scenario::parse(EMPTY, "template:empty").ok()
}

/// A world with nothing in it: where a world built from scratch starts.
pub fn blank() -> Scenario {
    Scenario {
        name: "A new world".into(),
        names: Localized::default(),
        description: String::new(),
        start: crate::units::Timestamp(920_278_800),
        duration: Duration(crate::units::DAY),
        seed: 1,
        transcripts: true,
        isps: vec![],
        nodes: vec![],
        links: vec![],
        dns: vec![],
        traffic: vec![],
        narration: vec![],
        timeline: vec![],
    }
}
