//! The generated benchmark world: "an Internet's worth of mail", for
//! measuring speed and memory at scale.
//!
//! At scale 1.0: 100 ISPs, each with one population of customer PCs
//! (1,000,000 hosts in all, 2% infected), an ISP relay and a router; 10,000
//! recipient domains, each with its own MX behind one of 40 hosting
//! providers; about 10 million messages per simulated day (6 M legit, 4 M
//! spam). A smaller `scale` shrinks hosts, domains and rates together (never
//! below two ISPs and ten domains), so a scaled world is a faithful miniature.
//!
//! Defenses are mixed by a fixed rule of the index (no RNG: the file is the
//! same on every machine): OP25B with submission (587 + AUTH) at two ISPs in
//! five, and at the MXes greylisting, SPF rejection, both, or nothing.

use crate::scenario::{
    Account, Adapt, Credentials, Filter, Greylist, Isp, LegitSource, Link, MailClient, MailServer, Node, NodeKind,
    Population, Retry, Router, Scenario, Source, SpamCampaign, SpfAction, SpfCheck, Strategy, Zone,
};
use crate::units::{Cidr, Duration, Ip, Rate, Timestamp};

/// Full-scale numbers from the issue; everything else derives from them.
const ISPS: f64 = 100.0;
const HOSTS: f64 = 1_000_000.0;
const DOMAINS: f64 = 10_000.0;
/// Messages per simulated day: 60% legit, 40% spam (about 10 M in all).
const LEGIT_PER_DAY: f64 = 6_000_000.0;
const SPAM_PER_DAY: f64 = 4_000_000.0;
/// Infected share of every population (the issue's 2%).
const INFECTED: f64 = 0.02;
/// Domains per hosting provider (one /24 of server addresses each).
const DOMAINS_PER_HOSTER: usize = 250;
/// Recipients on each legit source's and each campaign's list.
const LIST_LEN: usize = 200;

/// How big the generated world is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Size {
    pub isps: usize,
    pub hosts_per_isp: u32,
    pub domains: usize,
    pub legit_per_day: f64,
    pub spam_per_day: f64,
}

impl Size {
    /// The issue's world times `scale` (1.0 = full size).
    pub fn at(scale: f64) -> Size {
        let scale = if scale.is_finite() && scale > 0.0 { scale.min(1.0) } else { 1.0 };
        let isps = ((ISPS * scale).ceil() as usize).clamp(2, ISPS as usize);
        let hosts = (HOSTS * scale).round().max(isps as f64 * 50.0);
        Size {
            isps,
            hosts_per_isp: (hosts / isps as f64).round() as u32,
            domains: ((DOMAINS * scale).ceil() as usize).max(10),
            legit_per_day: LEGIT_PER_DAY * scale,
            spam_per_day: SPAM_PER_DAY * scale,
        }
    }
}

fn cidr(s: &str) -> Cidr {
    s.parse().unwrap_or_else(|_| unreachable!("generated CIDR {s} is well formed"))
}

fn ip(s: &str) -> Ip {
    s.parse().unwrap_or_else(|_| unreachable!("generated address {s} is well formed"))
}

fn per_hour(per_day: f64) -> Rate {
    // Two decimals keep the file readable; the rounding error is < 0.01/h.
    let text = format!("{:.2}/h", per_day / 24.0);
    text.parse().unwrap_or_else(|_| unreachable!("generated rate {text} is well formed"))
}

/// Every other MX defense, chosen by the domain's index.
fn mx_defenses(d: usize) -> (Option<Greylist>, Option<SpfCheck>) {
    let spf = || SpfCheck {
        on_fail: SpfAction::Reject,
        on_softfail: SpfAction::Mark,
        on_permerror: SpfAction::Mark,
        on_temperror: SpfAction::Mark,
    };
    match d % 10 {
        0..=2 => (Some(Greylist::default()), None),
        3..=5 => (None, Some(spf())),
        6 => (Some(Greylist::default()), Some(spf())),
        _ => (None, None),
    }
}

/// Does ISP `i` block outbound port 25 (and so offer submission with AUTH)?
fn has_op25b(i: usize) -> bool {
    i % 5 < 2
}

/// The mailboxes of domain `d`: a few named users; anything else is unknown
/// (so a dictionary attack meets `550 User unknown`).
const USERS: [&str; 6] = ["info", "sales", "u0", "u1", "u2", "u3"];

fn mail_server(hostname: String, domains: Vec<String>, mailboxes: Vec<String>) -> MailServer {
    MailServer {
        hostname,
        domains,
        relay: None,
        mailbox: None,
        mailboxes,
        verify_recipients: false,
        queue: Default::default(),
        down: vec![],
        ports: vec![25],
        accounts: vec![],
        auth_rate_limit: None,
        pop_before_smtp: None,
        greylist: None,
        spf: None,
        outbound_ips: vec![],
        retries: true,
        forwards: vec![],
        outbound_choice: Default::default(),
        relayhost: None,
        transport: vec![],
        recipient_restrictions: vec![],
        familiar: None,
        relay_domains: vec![],
        next_mx_after_4xx: false,
        dnsbl: None,
        tarpit: None,
        connection_rate_limit: None,
        verify_sender: None,
    }
}

fn node(id: String, isp: Option<String>, ip: Option<Ip>, kind: NodeKind) -> Node {
    Node { id, label: None, labels: Default::default(), isp, ip, position: None, nat: None, kind }
}

fn link(a: &str, b: &str, ms: u64) -> Link {
    Link { a: a.to_string(), b: b.to_string(), latency: Duration(ms) }
}

/// A deterministic spread of recipients: `k`-th pick of list `list`.
fn spread(list: usize, k: usize, n: usize) -> usize {
    // A multiplicative hash walks all of 0..n evenly without an RNG.
    ((list as u64 * 7_919 + k as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 20) as usize % n
}

/// Builds the benchmark world at `scale` (1.0 = the issue's full size).
pub fn internet(scale: f64) -> Scenario {
    let size = Size::at(scale);
    let mut isps = Vec::new();
    let mut nodes = vec![node("core".into(), None, None, NodeKind::Router(Router::default()))];
    let mut links = Vec::new();
    let mut dns = Vec::new();
    let mut traffic = Vec::new();

    for i in 0..size.isps {
        let isp = format!("isp{i}");
        let domain = format!("isp{i}.example");
        isps.push(Isp {
            id: isp.clone(),
            name: None,
            names: Default::default(),
            customers: vec![cidr(&format!("10.{i}.0.0/16"))],
            servers: vec![cidr(&format!("172.16.{i}.0/24"))],
        });
        let filters = if has_op25b(i) { vec![Filter::Op25b { isp: isp.clone() }] } else { vec![] };
        nodes.push(node(format!("r{i}"), Some(isp.clone()), None, NodeKind::Router(Router { filters })));
        // Every customer `user<n>@` of the ISP has a mailbox on its relay.
        let mut relay = mail_server(format!("mail.{domain}"), vec![domain.clone()], vec![format!("*@{domain}")]);
        let mut client =
            MailClient { server: format!("relay{i}"), port: 25, retry: Retry::mail_client(), auth: None, pop: None };
        if has_op25b(i) {
            // RFC 6409 submission with SMTP-AUTH: what an OP25B ISP gives its customers.
            relay.ports = vec![25, 587];
            relay.accounts = vec![Account { user: format!("*@{domain}"), password: "secret".into(), weak: false }];
            client.port = 587;
            client.auth = Some(Credentials { user: format!("user{{i}}@{domain}"), password: "secret".into() });
        }
        nodes.push(node(
            format!("relay{i}"),
            Some(isp.clone()),
            Some(ip(&format!("172.16.{i}.10"))),
            NodeKind::IspRelay(relay),
        ));
        nodes.push(node(
            format!("pop{i}"),
            Some(isp.clone()),
            None,
            NodeKind::Population(Population {
                count: size.hosts_per_isp,
                infected: INFECTED,
                domain: domain.clone(),
                mail_client: client,
                lease: None,
            }),
        ));
        links.push(link(&format!("pop{i}"), &format!("r{i}"), 5));
        links.push(link(&format!("relay{i}"), &format!("r{i}"), 1));
        links.push(link(&format!("r{i}"), "core", 10 + (i % 20) as u64));
        dns.push(Zone {
            domain: domain.clone(),
            mx: vec![(10, format!("mail.{domain}"))],
            a: vec![],
            txt: vec![format!("v=spf1 ip4:172.16.{i}.0/24 -all")],
            blocklist: None,
        });
    }

    let hosters = size.domains.div_ceil(DOMAINS_PER_HOSTER);
    for g in 0..hosters {
        isps.push(Isp {
            id: format!("hoster{g}"),
            name: None,
            names: Default::default(),
            customers: vec![],
            servers: vec![cidr(&format!("100.{}.0.0/24", 64 + g))],
        });
        nodes.push(node(format!("hr{g}"), Some(format!("hoster{g}")), None, NodeKind::Router(Router::default())));
        links.push(link(&format!("hr{g}"), "core", 15 + (g % 10) as u64));
    }
    for d in 0..size.domains {
        let (g, k) = (d / DOMAINS_PER_HOSTER, d % DOMAINS_PER_HOSTER);
        let domain = format!("d{d}.example");
        let mut mx = mail_server(
            format!("mx.{domain}"),
            vec![domain.clone()],
            USERS.iter().map(|u| format!("{u}@{domain}")).collect(),
        );
        (mx.greylist, mx.spf) = mx_defenses(d);
        let address = format!("100.{}.0.{}", 64 + g, k + 1);
        nodes.push(node(format!("mx{d}"), Some(format!("hoster{g}")), Some(ip(&address)), NodeKind::Mx(mx)));
        links.push(link(&format!("mx{d}"), &format!("hr{g}"), 2));
        let txt = if d % 2 == 0 { vec![format!("v=spf1 ip4:{address} -all")] } else { vec![] };
        dns.push(Zone {
            domain: domain.clone(),
            mx: vec![(10, format!("mx.{domain}"))],
            a: vec![],
            txt,
            blocklist: None,
        });
    }

    let (n_isps, n_dom) = (size.isps, size.domains);
    for i in 0..n_isps {
        // Legit: four in five mails go to a domain's real users, the rest to
        // customers of other ISPs.
        let to: Vec<String> = (0..LIST_LEN)
            .map(|k| {
                let r = spread(i, k, n_dom * 5);
                if r % 5 == 4 {
                    let j = spread(i + 1_000, k, n_isps);
                    format!("user{}@isp{j}.example", r % size.hosts_per_isp as usize)
                } else {
                    format!("{}@d{}.example", USERS[r % USERS.len()], r / 5 % n_dom)
                }
            })
            .collect();
        traffic.push(Source::Legit(LegitSource {
            id: format!("legit{i}"),
            from: format!("pop{i}"),
            sender: None,
            rate: per_hour(size.legit_per_day / n_isps as f64),
            to,
            start: Duration(0),
            end: None,
            subject: None,
        }));
        // Spam from the infected PCs, straight to the victims' MXes; half
        // the list is guessed names (`admin@`, `webmaster@`) that do not exist.
        let to: Vec<String> = (0..LIST_LEN)
            .map(|k| {
                let d = spread(i + 2_000, k, n_dom);
                let user = if k % 2 == 0 { USERS[k / 2 % USERS.len()] } else { ["admin", "webmaster"][k / 2 % 2] };
                format!("{user}@d{d}.example")
            })
            .collect();
        let forged_from: Vec<String> = (0..20)
            .map(|k| {
                if k % 2 == 0 {
                    format!("{{rand}}@isp{}.example", spread(i + 3_000, k, n_isps))
                } else {
                    format!("{{rand}}@d{}.example", spread(i + 4_000, k, n_dom))
                }
            })
            .collect();
        traffic.push(Source::Spam(SpamCampaign {
            id: format!("spam{i}"),
            senders: vec![format!("pop{i}")],
            strategy: Strategy::DirectToMx,
            rate: per_hour(size.spam_per_day / n_isps as f64),
            forged_from,
            to,
            retry: Retry::Never,
            retry_mix: Vec::new(),
            adapt: Adapt::Fixed,
            start: Duration(0),
            end: None,
            subject: None,
            reply_timeout: None,
        }));
    }

    Scenario {
        name: format!("Benchmark: an Internet's worth of mail (scale {scale})"),
        names: Default::default(),
        description: format!(
            "Generated by `relaysim generate-bench --scale {scale}`: {} ISPs, {} customer hosts \
             ({}% infected), {} domains with MXes, about {:.0} messages per day.",
            size.isps,
            size.hosts_per_isp as usize * size.isps,
            INFECTED * 100.0,
            size.domains,
            size.legit_per_day + size.spam_per_day
        ),
        start: Timestamp(1_262_336_400), // 2010-01-01T09:00:00Z
        duration: Duration(86_400_000),
        seed: 1,
        transcripts: false,
        isps,
        nodes,
        links,
        dns,
        traffic,
        narration: Vec::new(),
        timeline: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_size_matches_the_issue() {
        let s = Size::at(1.0);
        assert_eq!(s.isps, 100);
        assert_eq!(s.hosts_per_isp as usize * s.isps, 1_000_000);
        assert_eq!(s.domains, 10_000);
        assert_eq!((s.legit_per_day + s.spam_per_day) as u64, 10_000_000);
    }

    #[test]
    fn a_small_world_loads_and_validates() {
        let s = internet(0.001);
        let text = crate::scenario::to_ron(&s).unwrap();
        let back = crate::scenario::parse(&text, "bench.ron").unwrap();
        assert_eq!(back.nodes.len(), s.nodes.len());
        assert_eq!(back.traffic.len(), 4);
    }
}
