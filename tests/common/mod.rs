//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

use relaysim::scenario::{self, Scenario};
use relaysim::sim::{RunOptions, Simulation};
use relaysim::stats::Report;

pub mod world;

pub fn path(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(rel)
}

pub fn load(rel: &str) -> Scenario {
    scenario::load(&path(rel)).unwrap_or_else(|e| panic!("{rel} should load:\n{e}"))
}

pub fn parse(src: &str) -> Scenario {
    scenario::parse(src, "test.ron").unwrap_or_else(|e| panic!("scenario should load:\n{e}"))
}

pub fn run(s: Scenario, seed: u64) -> Simulation {
    relaysim::run(s, RunOptions::new(seed).trace(true), None)
}

pub fn run_file(rel: &str, seed: u64) -> (Simulation, Report) {
    let sim = run(load(rel), seed);
    let report = Report::of(&sim);
    (sim, report)
}

/// Every class and source balances: sent = delivered + rejected + lost + queued.
pub fn assert_conserved(r: &Report) {
    for (name, c) in &r.mail {
        assert!(c.counts.balanced(), "class {name} does not add up: {:?}", c.counts);
    }
    for (name, c) in &r.sources {
        assert!(c.balanced(), "source {name} does not add up: {c:?}");
    }
}

/// A small world: one ISP with a relay, a company MX, a router between them.
/// `{relay}`, `{router_filters}`, `{mx_extra}` and `{traffic}` are filled in.
pub fn small_world(relay: &str, router_filters: &str, mx_extra: &str, traffic: &str) -> String {
    format!(
        r#"Scenario(
    name: "small world",
    duration: "6h",
    isps: [
        Isp(id: "isp-a", customers: ["10.1.0.0/16"], servers: ["192.0.2.0/26"]),
        Isp(id: "hotel", customers: ["10.3.0.0/24"]),
        Isp(id: "company", servers: ["203.0.113.0/28"]),
    ],
    nodes: [
        Node(id: "internet", kind: Router()),
        Node(id: "edge-a", isp: "isp-a", kind: Router(filters: [{router_filters}])),
        Node(id: "alice", isp: "isp-a", ip: "10.1.0.25", kind: ClientPc(user: "alice@isp-a.example", mail_client: MailClient(server: "relay-a"))),
        Node(id: "ken", isp: "hotel", ip: "10.3.0.7", kind: ClientPc(user: "ken@isp-a.example", mail_client: MailClient(server: "relay-a", retry: Never))),
        Node(id: "bot", isp: "isp-a", ip: "10.1.66.6", kind: SpamBot()),
        Node(id: "relay-a", isp: "isp-a", ip: "192.0.2.10", kind: IspRelay(hostname: "mail.isp-a.example", domains: ["isp-a.example"], mailboxes: ["*@isp-a.example"], relay: {relay})),
        Node(id: "mx-co", isp: "company", ip: "203.0.113.10", kind: Mx(hostname: "mx.company.example", domains: ["company.example"], mailboxes: ["bob@company.example"] {mx_extra})),
    ],
    links: [
        Link(a: "alice", b: "edge-a", latency: "5ms"),
        Link(a: "bot", b: "edge-a", latency: "5ms"),
        Link(a: "relay-a", b: "edge-a", latency: "1ms"),
        Link(a: "edge-a", b: "internet", latency: "10ms"),
        Link(a: "ken", b: "internet", latency: "30ms"),
        Link(a: "mx-co", b: "internet", latency: "10ms"),
    ],
    dns: [
        Zone(domain: "isp-a.example", mx: [(10, "mail.isp-a.example")]),
        Zone(domain: "company.example", mx: [(10, "mx.company.example")]),
    ],
    traffic: [{traffic}],
)"#
    )
}
