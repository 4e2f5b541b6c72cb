//! A configurable small world for defense tests: ISP A (with a home NAT
//! router), ISP B, a company MX, and a hosting network for bulk senders.

pub struct World {
    pub duration: &'static str,
    pub relay_a: String,
    pub relay_b: String,
    pub mx_co: String,
    pub mx_corp: String,
    pub edge_a_filters: String,
    pub nodes: String,
    pub links: String,
    pub zones: String,
    pub spf_a: String,
    pub traffic: String,
}

impl Default for World {
    fn default() -> Self {
        World {
            duration: "6h",
            relay_a: String::new(),
            relay_b: String::new(),
            mx_co: String::new(),
            mx_corp: String::new(),
            edge_a_filters: String::new(),
            nodes: String::new(),
            links: String::new(),
            zones: String::new(),
            spf_a: String::new(),
            traffic: String::new(),
        }
    }
}

impl World {
    pub fn render(&self) -> String {
        format!(
            r#"Scenario(
    name: "defenses",
    duration: "{duration}",
    isps: [
        Isp(id: "isp-a", customers: ["10.1.0.0/16"], servers: ["192.0.2.0/26"]),
        Isp(id: "isp-b", customers: ["10.2.0.0/16"], servers: ["198.51.100.0/26"]),
        Isp(id: "company", servers: ["203.0.113.0/28"]),
        Isp(id: "hosting", servers: ["203.0.113.64/26"]),
    ],
    nodes: [
        Node(id: "internet", kind: Router()),
        Node(id: "edge-a", isp: "isp-a", kind: Router(filters: [{edge_a_filters}])),
        Node(id: "home", label: "home NAT router", isp: "isp-a", ip: "10.1.9.1", kind: Router()),
        Node(id: "relay-a", isp: "isp-a", ip: "192.0.2.10", kind: IspRelay(hostname: "mail.isp-a.example",
            domains: ["isp-a.example"], mailboxes: ["*@isp-a.example"], {relay_a})),
        Node(id: "relay-b", isp: "isp-b", ip: "198.51.100.10", kind: IspRelay(hostname: "mail.isp-b.example",
            domains: ["isp-b.example"], mailboxes: ["*@isp-b.example"], {relay_b})),
        Node(id: "mx-co", isp: "company", ip: "203.0.113.10", kind: Mx(hostname: "mx.company.example",
            domains: ["company.example"], mailboxes: ["bob@company.example", "carol@company.example"], {mx_co})),
        Node(id: "mx-corp", isp: "company", ip: "203.0.113.12", kind: Mx(hostname: "mx.corp.example",
            domains: ["corp.example"], mailbox: "mbox-corp", {mx_corp})),
        Node(id: "mbox-corp", isp: "company", ip: "203.0.113.13", kind: MailboxServer(hostname: "mbox.corp.example",
            mailboxes: ["dave@corp.example"])),
        {nodes}
    ],
    links: [
        Link(a: "edge-a", b: "internet", latency: "10ms"),
        Link(a: "home", b: "edge-a", latency: "5ms"),
        Link(a: "relay-a", b: "edge-a", latency: "1ms"),
        Link(a: "relay-b", b: "internet", latency: "10ms"),
        Link(a: "mx-co", b: "internet", latency: "10ms"),
        Link(a: "mx-corp", b: "internet", latency: "10ms"),
        Link(a: "mbox-corp", b: "mx-corp", latency: "1ms"),
        {links}
    ],
    dns: [
        Zone(domain: "isp-a.example", mx: [(10, "mail.isp-a.example")], txt: [{spf_a}]),
        Zone(domain: "isp-b.example", mx: [(10, "mail.isp-b.example")]),
        Zone(domain: "company.example", mx: [(10, "mx.company.example")]),
        Zone(domain: "corp.example", mx: [(10, "mx.corp.example")]),
        {zones}
    ],
    traffic: [{traffic}],
)"#,
            duration = self.duration,
            edge_a_filters = self.edge_a_filters,
            relay_a = self.relay_a,
            relay_b = self.relay_b,
            mx_co = self.mx_co,
            mx_corp = self.mx_corp,
            nodes = self.nodes,
            links = self.links,
            zones = self.zones,
            spf_a = self.spf_a,
            traffic = self.traffic,
        )
    }
}
