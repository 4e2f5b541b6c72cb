//! Checks a parsed scenario as a whole and reports every problem at once.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};

use super::error::{Problem, ProblemKind};
use super::locate::Locator;
use super::schema::*;
use super::work::Amount;
use crate::units::Cidr;

struct Checker<'a> {
    file: &'a str,
    loc: LazyLocator<'a>,
    problems: Vec<Problem>,
}

/// The [`Locator`] of the source, built on the first position asked for: a
/// valid file never pays for it (a 100 MB file took 4 GiB to locate every
/// value in it).
struct LazyLocator<'a> {
    src: &'a str,
    built: std::cell::OnceCell<Locator>,
}

impl LazyLocator<'_> {
    fn find(&self, path: &str) -> super::Pos {
        self.built.get_or_init(|| Locator::new(self.src)).find(path)
    }
}

impl Checker<'_> {
    fn report(&mut self, path: &str, kind: ProblemKind) {
        self.problems.push(Problem { file: self.file.to_string(), pos: self.loc.find(path), kind });
    }
    fn invalid(&mut self, path: &str, what: impl Into<String>, why: impl Into<String>) {
        self.report(path, ProblemKind::Invalid { what: what.into(), why: why.into() });
    }
}

/// Splits `user@domain`, refusing what is not a plausible address.
pub fn split_address(a: &str) -> Option<(&str, &str)> {
    let (l, d) = a.rsplit_once('@')?;
    let ok = !l.is_empty()
        && !d.is_empty()
        && !d.starts_with('.')
        && !d.ends_with('.')
        && d.contains('.')
        && !a.contains(char::is_whitespace);
    ok.then_some((l, d))
}

/// Node ids grouped by what a reference may point at.
fn is_mail_server(k: &NodeKind) -> bool {
    k.mail_server().is_some()
}

pub fn validate(s: &Scenario, src: &str, file: &str) -> Vec<Problem> {
    validate_with(s, src, file, Some(&super::work::Limits::default())).0
}

/// [`validate`] against `limits` on the work asked for (`None`: no limits,
/// as with `--force`); also says whether the locator was built.
pub fn validate_with(
    s: &Scenario,
    src: &str,
    file: &str,
    limits: Option<&super::work::Limits>,
) -> (Vec<Problem>, bool) {
    let mut c = Checker { file, loc: LazyLocator { src, built: std::cell::OnceCell::new() }, problems: Vec::new() };

    if s.duration.0 == 0 {
        c.invalid("duration", "duration", "must be longer than 0s");
    }

    // Unique ids.
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (i, isp) in s.isps.iter().enumerate() {
        let path = format!("isps[{i}].id");
        if let Some(&first) = seen.get(isp.id.as_str()) {
            let first_line = c.loc.find(&format!("isps[{first}].id")).line;
            c.report(&path, ProblemKind::Duplicate { what: "ISP id", id: isp.id.clone(), first_line });
        } else {
            seen.insert(&isp.id, i);
        }
    }
    let mut nodes: HashMap<&str, (usize, &Node)> = HashMap::new();
    for (i, n) in s.nodes.iter().enumerate() {
        if let Some(&(first, _)) = nodes.get(n.id.as_str()) {
            let first_line = c.loc.find(&format!("nodes[{first}].id")).line;
            c.report(
                &format!("nodes[{i}].id"),
                ProblemKind::Duplicate { what: "node id", id: n.id.clone(), first_line },
            );
        } else {
            nodes.insert(&n.id, (i, n));
        }
    }
    let mut sources: HashMap<&str, usize> = HashMap::new();
    for (i, t) in s.traffic.iter().enumerate() {
        if let Some(&first) = sources.get(t.id()) {
            let first_line = c.loc.find(&format!("traffic[{first}].id")).line;
            c.report(
                &format!("traffic[{i}].id"),
                ProblemKind::Duplicate { what: "traffic source id", id: t.id().to_string(), first_line },
            );
        } else {
            sources.insert(t.id(), i);
        }
    }
    let isps: HashMap<&str, &Isp> = s.isps.iter().map(|i| (i.id.as_str(), i)).collect();

    // Address ranges must not overlap between or within ISPs.
    let ranges: Vec<(usize, &str, usize, &Cidr)> = s
        .isps
        .iter()
        .enumerate()
        .flat_map(|(i, isp)| {
            let cust = isp.customers.iter().enumerate().map(move |(j, r)| (i, "customers", j, r));
            cust.chain(isp.servers.iter().enumerate().map(move |(j, r)| (i, "servers", j, r)))
        })
        .collect();
    for (a, (ia, fa, ja, ra)) in ranges.iter().enumerate() {
        for (ib, _fb, _jb, rb) in ranges.iter().skip(a + 1) {
            if ra.overlaps(rb) {
                c.report(
                    &format!("isps[{ia}].{fa}[{ja}]"),
                    ProblemKind::OverlappingRanges {
                        isp: s.isps[*ia].id.clone(),
                        range: ra.to_string(),
                        other_isp: s.isps[*ib].id.clone(),
                        other: rb.to_string(),
                    },
                );
            }
        }
    }

    // Nodes: ISP membership, addresses, kind-specific references and numbers.
    let mut ips: HashMap<u32, usize> = HashMap::new();
    let mut hostnames: HashMap<String, usize> = HashMap::new();
    for (i, n) in s.nodes.iter().enumerate() {
        let p = format!("nodes[{i}]");
        let isp = match &n.isp {
            Some(id) => match isps.get(id.as_str()) {
                Some(isp) => Some(*isp),
                None => {
                    let expected = one_of(s.isps.iter().map(|i| i.id.as_str()), "an ISP id");
                    c.report(
                        &format!("{p}.isp"),
                        ProblemKind::UnknownReference { what: "ISP", id: id.clone(), expected },
                    );
                    None
                }
            },
            None => None,
        };
        if let Some(ip) = n.ip {
            let raw = u32::from(ip.0);
            if let Some(&other) = ips.get(&raw) {
                c.invalid(&format!("{p}.ip"), "ip", format!("{ip} is already used by node `{}`", s.nodes[other].id));
            } else {
                ips.insert(raw, i);
            }
            if let Some(isp) = isp {
                let inside = isp.customers.iter().chain(&isp.servers).any(|r| r.contains(ip.0));
                if !inside {
                    c.invalid(&format!("{p}.ip"), "ip", format!("{ip} is outside the ranges of ISP `{}`", isp.id));
                }
            }
        }
        let needs_address = !matches!(n.kind, NodeKind::Router(_) | NodeKind::Dns | NodeKind::Population(_));
        if needs_address && n.ip.is_none() {
            let has_range = isp.is_some_and(|isp| {
                let ranges = if matches!(n.kind, NodeKind::ClientPc(_) | NodeKind::SpamBot(_)) {
                    &isp.customers
                } else {
                    &isp.servers
                };
                !ranges.is_empty()
            });
            if !has_range {
                c.invalid(
                    &format!("{p}.id"),
                    format!("node `{}`", n.id),
                    "needs an `ip`, or an `isp` with a range to take one from",
                );
            }
        }
        let hostname = match &n.kind {
            NodeKind::ClientPc(pc) => {
                check_address(&mut c, &format!("{p}.kind.user"), &pc.user);
                check_client(&mut c, &nodes, &format!("{p}.kind.mail_client"), &pc.mail_client);
                pc.hostname.clone()
            }
            NodeKind::SpamBot(b) => b.hostname.clone(),
            NodeKind::Population(pop) => {
                if pop.lease.is_some_and(|l| l.0 == 0) {
                    c.invalid(&format!("{p}.kind.lease"), "lease", "must be longer than 0s");
                }
                if pop.count == 0 {
                    c.invalid(&format!("{p}.kind.count"), "count", "a population needs at least one host");
                }
                if !(0.0..=1.0).contains(&pop.infected) || pop.infected.is_nan() {
                    c.invalid(
                        &format!("{p}.kind.infected"),
                        "infected",
                        format!("{} is not a share between 0.0 and 1.0", pop.infected),
                    );
                }
                match isp {
                    Some(isp) => {
                        let room: u64 = isp.customers.iter().map(|r| r.size().saturating_sub(2)).sum();
                        if room < pop.count as u64 {
                            c.invalid(
                                &format!("{p}.kind.count"),
                                "count",
                                format!(
                                    "{} hosts do not fit in the customer ranges of ISP `{}` ({room} addresses)",
                                    pop.count, isp.id
                                ),
                            );
                        }
                    }
                    None => c.invalid(
                        &format!("{p}.id"),
                        format!("population `{}`", n.id),
                        "needs an `isp` whose customer range gives its hosts addresses",
                    ),
                }
                check_client(&mut c, &nodes, &format!("{p}.kind.mail_client"), &pop.mail_client);
                None
            }
            NodeKind::Router(r) => {
                for (j, f) in r.filters.iter().enumerate() {
                    match f {
                        Filter::Block { port: 0, .. } => {
                            c.invalid(&format!("{p}.kind.filters[{j}].port"), "port", "0 is not a TCP port")
                        }
                        Filter::Op25b { isp } if !isps.contains_key(isp.as_str()) => c.report(
                            &format!("{p}.kind.filters[{j}].isp"),
                            ProblemKind::UnknownReference {
                                what: "ISP",
                                id: isp.clone(),
                                expected: "an ISP id".into(),
                            },
                        ),
                        _ => {}
                    }
                }
                None
            }
            NodeKind::IspRelay(m) | NodeKind::OpenRelay(m) | NodeKind::SpammerServer(m) | NodeKind::Mx(m) => {
                if let Some(mb) = &m.mailbox {
                    match nodes.get(mb.as_str()) {
                        None => c.report(
                            &format!("{p}.kind.mailbox"),
                            ProblemKind::UnknownReference {
                                what: "node",
                                id: mb.clone(),
                                expected: "the id of a MailboxServer node".into(),
                            },
                        ),
                        Some((_, t)) if !matches!(t.kind, NodeKind::MailboxServer(_)) => c.report(
                            &format!("{p}.kind.mailbox"),
                            ProblemKind::WrongKind {
                                id: mb.clone(),
                                found: t.kind.name(),
                                expected: "a MailboxServer",
                            },
                        ),
                        _ => {}
                    }
                    if !m.mailboxes.is_empty() {
                        c.invalid(
                            &format!("{p}.kind.mailboxes"),
                            "mailboxes",
                            "a server that hands mail to a `mailbox` server keeps no mailboxes itself",
                        );
                    }
                }
                if m.relay == Some(RelayPolicy::IspNetworks) && isp.is_none() {
                    c.invalid(
                        &format!("{p}.kind.relay"),
                        "relay: IspNetworks",
                        "the node has no `isp` whose ranges could be used",
                    );
                }
                for (j, mbx) in m.mailboxes.iter().enumerate() {
                    check_mailbox(&mut c, &format!("{p}.kind.mailboxes[{j}]"), mbx, &m.domains);
                }
                check_backoff(&mut c, &format!("{p}.kind.queue"), &m.queue);
                for (j, port) in m.ports.iter().enumerate() {
                    if *port == 0 {
                        c.invalid(&format!("{p}.kind.ports[{j}]"), "port", "0 is not a TCP port");
                    }
                }
                if m.ports.is_empty() {
                    c.invalid(&format!("{p}.kind.ports"), "ports", "a mail server must listen on at least one port");
                }
                if let Some(pb) = &m.pop_before_smtp {
                    check_ref(
                        &mut c,
                        &nodes,
                        &format!("{p}.kind.pop_before_smtp.server"),
                        &pb.server,
                        "a server with mailboxes",
                        |k| {
                            matches!(k, NodeKind::MailboxServer(_))
                                || k.mail_server().is_some_and(|m| !m.mailboxes.is_empty())
                        },
                    );
                }
                if let Some(g) = &m.greylist
                    && g.delay.0 == 0
                {
                    c.invalid(&format!("{p}.kind.greylist.delay"), "delay", "0s would greylist nothing");
                }
                if let Some(r) = &m.auth_rate_limit {
                    check_rate(&mut c, &format!("{p}.kind.auth_rate_limit"), r.per_ms);
                }
                check_forwards(&mut c, &format!("{p}.kind.forwards"), &m.forwards);
                check_windows(&mut c, &format!("{p}.kind.down"), &m.down);
                check_next_hops(&mut c, &nodes, &p, &n.id, m);
                Some(m.hostname.clone())
            }
            NodeKind::MailboxServer(m) => {
                check_forwards(&mut c, &format!("{p}.kind.forwards"), &m.forwards);
                for (j, mbx) in m.mailboxes.iter().enumerate() {
                    check_mailbox(&mut c, &format!("{p}.kind.mailboxes[{j}]"), mbx, &[]);
                }
                check_windows(&mut c, &format!("{p}.kind.down"), &m.down);
                Some(m.hostname.clone())
            }
            NodeKind::Dns => None,
        };
        if let Some(h) = hostname {
            let h = h.to_ascii_lowercase();
            if let Some(&other) = hostnames.get(&h) {
                c.invalid(
                    &format!("{p}.kind.hostname"),
                    format!("host name `{h}`"),
                    format!("is already used by node `{}`", s.nodes[other].id),
                );
            } else {
                hostnames.insert(h, i);
            }
        }
    }

    check_outbound_ips(&mut c, s, &isps);
    check_relayhost_loops(&mut c, s);

    // NAT routers.
    for (i, n) in s.nodes.iter().enumerate() {
        if let Some(r) = &n.nat {
            check_ref(&mut c, &nodes, &format!("nodes[{i}].nat"), r, "a Router", |k| matches!(k, NodeKind::Router(_)));
            if nodes.get(r.as_str()).is_some_and(|(_, rn)| rn.ip.is_none()) {
                c.invalid(
                    &format!("nodes[{i}].nat"),
                    format!("NAT router `{r}`"),
                    "needs an `ip`: the public address its hosts share",
                );
            }
        }
    }

    // Links.
    for (i, l) in s.links.iter().enumerate() {
        for (end, id) in [("a", &l.a), ("b", &l.b)] {
            if !nodes.contains_key(id.as_str()) {
                c.report(
                    &format!("links[{i}].{end}"),
                    ProblemKind::UnknownReference { what: "node", id: id.clone(), expected: "a node id".into() },
                );
            }
        }
        if l.a == l.b {
            c.invalid(&format!("links[{i}].b"), "link", "joins a node to itself");
        }
        if l.latency > super::work::MAX_LATENCY {
            c.invalid(
                &format!("links[{i}].latency"),
                "latency",
                format!(
                    "{} is more than {} (no SMTP dialogue crosses such a link)",
                    l.latency,
                    super::work::MAX_LATENCY
                ),
            );
        }
    }

    // DNS zones.
    let mut zones: BTreeMap<String, usize> = BTreeMap::new();
    let mut a_names: HashSet<String> = hostnames.keys().cloned().collect();
    for z in &s.dns {
        for (name, _) in &z.a {
            a_names.insert(name.to_ascii_lowercase());
        }
    }
    for (i, z) in s.dns.iter().enumerate() {
        let d = z.domain.to_ascii_lowercase();
        if let Some(&first) = zones.get(&d) {
            let first_line = c.loc.find(&format!("dns[{first}].domain")).line;
            c.report(&format!("dns[{i}].domain"), ProblemKind::Duplicate { what: "zone", id: d.clone(), first_line });
        } else {
            zones.insert(d, i);
        }
        for (j, (_, host)) in z.mx.iter().enumerate() {
            if !a_names.contains(&host.to_ascii_lowercase()) {
                c.report(
                    &format!("dns[{i}].mx[{j}][1]"),
                    ProblemKind::UnknownReference {
                        what: "MX host",
                        id: host.clone(),
                        expected: "the hostname of a mail server node or a name with an `a` record".into(),
                    },
                );
            }
        }
    }
    let has_mx = |domain: &str| zones.get(&domain.to_ascii_lowercase()).is_some_and(|&i| !s.dns[i].mx.is_empty());

    // Traffic.
    for (i, t) in s.traffic.iter().enumerate() {
        let p = format!("traffic[{i}]");
        match t {
            Source::Legit(l) => {
                match nodes.get(l.from.as_str()) {
                    None => c.report(
                        &format!("{p}.from"),
                        ProblemKind::UnknownReference {
                            what: "node",
                            id: l.from.clone(),
                            expected: "the id of a ClientPc, Population or mail server node".into(),
                        },
                    ),
                    Some((_, n))
                        if !matches!(n.kind, NodeKind::ClientPc(_) | NodeKind::Population(_))
                            && !is_mail_server(&n.kind) =>
                    {
                        c.report(
                            &format!("{p}.from"),
                            ProblemKind::WrongKind {
                                id: l.from.clone(),
                                found: n.kind.name(),
                                expected: "a ClientPc, Population or mail server",
                            },
                        )
                    }
                    _ => {}
                }
                if let Some(a) = &l.sender {
                    check_address(&mut c, &format!("{p}.sender"), a);
                }
                check_rate(&mut c, &format!("{p}.rate"), l.rate.per_ms);
                check_targets(&mut c, &format!("{p}.to"), &l.to, &has_mx);
                check_span(&mut c, &p, l.start.0, l.end.map(|e| e.0));
            }
            Source::Once(o) => {
                match nodes.get(o.from.as_str()) {
                    None => c.report(
                        &format!("{p}.from"),
                        ProblemKind::UnknownReference {
                            what: "node",
                            id: o.from.clone(),
                            expected: "the id of a ClientPc node".into(),
                        },
                    ),
                    Some((_, n)) if !matches!(n.kind, NodeKind::ClientPc(_)) => c.report(
                        &format!("{p}.from"),
                        ProblemKind::WrongKind { id: o.from.clone(), found: n.kind.name(), expected: "a ClientPc" },
                    ),
                    _ => {}
                }
                check_targets(&mut c, &format!("{p}.to"), std::slice::from_ref(&o.to), &has_mx);
                if o.at >= s.duration {
                    c.invalid(
                        &format!("{p}.at"),
                        "at",
                        format!("{} is not before the end of the scenario ({})", o.at, s.duration),
                    );
                }
            }
            Source::Spam(sp) => {
                if sp.senders.is_empty() {
                    c.invalid(&format!("{p}.senders"), "senders", "a campaign needs at least one sender");
                }
                for (j, id) in sp.senders.iter().enumerate() {
                    match nodes.get(id.as_str()) {
                        None => c.report(
                            &format!("{p}.senders[{j}]"),
                            ProblemKind::UnknownReference {
                                what: "node",
                                id: id.clone(),
                                expected: "the id of a SpamBot, Population or SpammerServer node".into(),
                            },
                        ),
                        Some((_, n)) => match &n.kind {
                            NodeKind::SpamBot(_) | NodeKind::SpammerServer(_) => {}
                            NodeKind::Population(pop)
                                if pop.infected > 0.0 && (pop.count as f64 * pop.infected).round() >= 1.0 => {}
                            NodeKind::Population(_) => c.invalid(
                                &format!("{p}.senders[{j}]"),
                                format!("population `{id}`"),
                                "has no infected hosts to send spam from",
                            ),
                            k => c.report(
                                &format!("{p}.senders[{j}]"),
                                ProblemKind::WrongKind {
                                    id: id.clone(),
                                    found: k.name(),
                                    expected: "a SpamBot, Population or SpammerServer",
                                },
                            ),
                        },
                    }
                }
                let relays = sp.strategy.relays();
                if let Strategy::StolenCredentials { relay, port, credentials, share } = &sp.strategy {
                    let sp_path = format!("{p}.strategy");
                    check_ref(&mut c, &nodes, &format!("{sp_path}.relay"), relay, "a mail server", is_mail_server);
                    if *port == 0 {
                        c.invalid(&format!("{sp_path}.port"), "port", "0 is not a TCP port");
                    }
                    if !(0.0..=1.0).contains(share) {
                        c.invalid(&format!("{sp_path}.share"), "share", format!("{share} is not between 0.0 and 1.0"));
                    }
                    if credentials.is_empty() {
                        c.invalid(
                            &format!("{sp_path}.credentials"),
                            "credentials",
                            "needs at least one stolen account",
                        );
                    }
                    // Only guessable passwords get stolen by brute force.
                    // A relay without accounts does not offer AUTH yet (an era before
                    // SMTP-AUTH): the credentials are simply never asked for.
                    let accounts = nodes
                        .get(relay.as_str())
                        .and_then(|(_, n)| n.kind.mail_server())
                        .map(|m| &m.accounts)
                        .filter(|a| !a.is_empty());
                    for (j, cr) in credentials.iter().enumerate() {
                        let weak = accounts.is_some_and(|a| {
                            a.iter().any(|a| a.weak && a.user == cr.user && a.password == cr.password)
                        });
                        if accounts.is_some() && !weak {
                            c.invalid(
                                &format!("{sp_path}.credentials[{j}]"),
                                format!("stolen account `{}`", cr.user),
                                format!("is not a `weak: true` account of `{relay}` (only weak passwords are guessed)"),
                            );
                        }
                    }
                }
                if matches!(sp.strategy, Strategy::OpenRelays(_)) && relays.is_empty() {
                    c.invalid(&format!("{p}.strategy"), "strategy", "OpenRelays needs at least one relay");
                }
                for (j, id) in relays.iter().enumerate() {
                    match nodes.get(id.as_str()) {
                        None => c.report(
                            &format!("{p}.strategy[0][{j}]"),
                            ProblemKind::UnknownReference {
                                what: "node",
                                id: id.clone(),
                                expected: "the id of a mail server node".into(),
                            },
                        ),
                        Some((_, n)) if !is_mail_server(&n.kind) => c.report(
                            &format!("{p}.strategy[0][{j}]"),
                            ProblemKind::WrongKind { id: id.clone(), found: n.kind.name(), expected: "a mail server" },
                        ),
                        _ => {}
                    }
                }
                check_rate(&mut c, &format!("{p}.rate"), sp.rate.per_ms);
                check_targets(&mut c, &format!("{p}.to"), &sp.to, &has_mx);
                if sp.forged_from.is_empty() {
                    c.invalid(&format!("{p}.forged_from"), "forged_from", "needs at least one address");
                }
                for (j, a) in sp.forged_from.iter().enumerate() {
                    check_address(&mut c, &format!("{p}.forged_from[{j}]"), a);
                }
                if let Retry::Rfc(b) = &sp.retry {
                    check_backoff(&mut c, &format!("{p}.retry[0]"), b);
                }
                check_span(&mut c, &p, sp.start.0, sp.end.map(|e| e.0));
            }
        }
    }

    check_narration(&mut c, s, &nodes, &sources, &has_mx);

    // Every mail client must be able to reach its server over the links:
    // one pass labels the connected parts, then each client is one lookup
    // (a search per client took minutes for 30,000 PCs).
    if c.problems.is_empty() {
        let part = components(s);
        let reachable = |a: &str, b: &str| a == b || part.get(a).is_some_and(|pa| part.get(b) == Some(pa));
        for (i, n) in s.nodes.iter().enumerate() {
            let client = match &n.kind {
                NodeKind::ClientPc(pc) => Some(&pc.mail_client),
                NodeKind::Population(pop) => Some(&pop.mail_client),
                _ => None,
            };
            if let Some(mc) = client
                && !reachable(&n.id, &mc.server)
            {
                c.report(
                    &format!("nodes[{i}].kind.mail_client.server"),
                    ProblemKind::NoRoute { from: n.id.clone(), to: mc.server.clone() },
                );
            }
        }
    }
    // The work it asks for, once the file is otherwise valid.
    if c.problems.is_empty()
        && let Some(limits) = limits
    {
        for (path, measure, asked, limit) in super::work::over(s, limits) {
            let (asked, limit) = (Amount { measure, value: asked }, Amount { measure, value: limit });
            c.report(&path, ProblemKind::TooMuchWork { asked, limit });
        }
    }
    c.problems.sort_by_key(|p| p.pos);
    let located = c.loc.built.get().is_some();
    (c.problems, located)
}

/// A sending pool's addresses belong to its server: each lies in the ranges
/// of the server's own ISP (of some ISP, for a server without one), and none
/// is another node's `ip` or in another server's pool (servers would see one
/// machine's connections as the other's).
fn check_outbound_ips(c: &mut Checker, s: &Scenario, isps: &HashMap<&str, &Isp>) {
    let mut owner: HashMap<u32, usize> = HashMap::new();
    for (i, n) in s.nodes.iter().enumerate() {
        if let Some(ip) = n.ip {
            owner.entry(u32::from(ip.0)).or_insert(i);
        }
    }
    for (i, n) in s.nodes.iter().enumerate() {
        let Some(m) = n.kind.mail_server() else { continue };
        let own_isp = n.isp.as_deref().and_then(|id| isps.get(id));
        for (j, ip) in m.outbound_ips.iter().enumerate() {
            let path = format!("nodes[{i}].kind.outbound_ips[{j}]");
            let inside = match own_isp {
                Some(isp) => isp.customers.iter().chain(&isp.servers).any(|r| r.contains(ip.0)),
                None => {
                    s.isps.iter().flat_map(|isp| isp.customers.iter().chain(&isp.servers)).any(|r| r.contains(ip.0))
                }
            };
            if !inside {
                let whose = own_isp.map_or("any ISP".to_string(), |isp| format!("ISP `{}`", isp.id));
                c.invalid(&path, "outbound address", format!("{ip} is outside the ranges of {whose}"));
            }
            match owner.get(&u32::from(ip.0)) {
                Some(&other) if other != i => c.invalid(
                    &path,
                    "outbound address",
                    format!("{ip} is already used by node `{}`", s.nodes[other].id),
                ),
                Some(_) => {}
                None => {
                    owner.insert(u32::from(ip.0), i);
                }
            }
        }
    }
}

/// The retry shapes: a delay of 0 would retry forever at once.
fn check_shape(c: &mut Checker, path: &str, shape: &Shape) {
    use super::work::MIN_BACKOFF;
    match shape {
        Shape::Doubling => {}
        Shape::Fixed(d) if d.0 == 0 => {
            c.invalid(&format!("{path}[0]"), "Fixed", "a retry delay of 0s would retry forever at once")
        }
        Shape::Postfix { queue_run_delay } if queue_run_delay.0 == 0 => {
            c.invalid(&format!("{path}.queue_run_delay"), "queue_run_delay", "must be longer than 0s")
        }
        Shape::Delays(list) if list.is_empty() => {
            c.invalid(&format!("{path}[0]"), "Delays", "needs at least one delay, e.g. `Delays([\"5m\", \"30m\"])`")
        }
        Shape::Fixed(d) if *d < MIN_BACKOFF => c.invalid(
            &format!("{path}[0]"),
            "Fixed",
            format!("{d} is below {MIN_BACKOFF}, the least Postfix accepts for minimal_backoff_time"),
        ),
        Shape::Delays(list) => {
            for (j, d) in list.iter().enumerate() {
                if d.0 == 0 {
                    c.invalid(&format!("{path}[0][{j}]"), "Delays", "a retry delay of 0s would retry forever at once");
                } else if *d < MIN_BACKOFF {
                    c.invalid(
                        &format!("{path}[0][{j}]"),
                        "Delays",
                        format!("{d} is below {MIN_BACKOFF}, the least Postfix accepts for minimal_backoff_time"),
                    );
                }
            }
        }
        _ => {}
    }
}

/// `relayhost` and `transport`: the next hop is another mail server.
fn check_next_hops(c: &mut Checker, nodes: &HashMap<&str, (usize, &Node)>, p: &str, id: &str, m: &MailServer) {
    let mut hops: Vec<(String, &String)> = Vec::new();
    if let Some(h) = &m.relayhost {
        hops.push((format!("{p}.kind.relayhost"), h));
    }
    for (j, (domain, h)) in m.transport.iter().enumerate() {
        if domain.is_empty() || domain.contains('@') || domain.contains(char::is_whitespace) {
            c.invalid(&format!("{p}.kind.transport[{j}][0]"), format!("domain `{domain}`"), "is not a domain name");
        }
        if m.transport[..j].iter().any(|(d, _)| d.eq_ignore_ascii_case(domain)) {
            c.invalid(&format!("{p}.kind.transport[{j}][0]"), format!("domain `{domain}`"), "is listed twice");
        }
        hops.push((format!("{p}.kind.transport[{j}][1]"), h));
    }
    for (path, h) in hops {
        if h == id {
            c.invalid(&path, format!("next hop `{h}`"), "is the server itself: its mail would loop back to it");
        } else {
            check_ref(c, nodes, &path, h, "a mail server", is_mail_server);
        }
    }
}

/// Smarthosts that send to each other in a ring would pass mail round
/// forever (Postfix stops it only at `hopcount_limit`, 50 `Received:` lines).
fn check_relayhost_loops(c: &mut Checker, s: &Scenario) {
    let index: HashMap<&str, usize> = s.nodes.iter().enumerate().map(|(i, n)| (n.id.as_str(), i)).collect();
    let next = |i: usize| -> Option<usize> {
        let h = s.nodes[i].kind.mail_server()?.relayhost.as_deref()?;
        index.get(h).copied().filter(|&j| j != i)
    };
    for start in 0..s.nodes.len() {
        let mut seen = vec![start];
        let mut cur = start;
        while let Some(j) = next(cur) {
            if j == start {
                let ring: Vec<String> = seen.iter().map(|&k| format!("`{}`", s.nodes[k].id)).collect();
                c.invalid(
                    &format!("nodes[{start}].kind.relayhost"),
                    "relayhost",
                    format!(
                        "the smarthosts send to each other in a ring ({}): mail would never leave",
                        ring.join(" → ")
                    ),
                );
                break;
            }
            if seen.contains(&j) {
                break;
            }
            seen.push(j);
            cur = j;
        }
    }
}

fn one_of<'a>(ids: impl Iterator<Item = &'a str>, what: &str) -> String {
    let ids: Vec<String> = ids.map(|i| format!("`{i}`")).collect();
    if ids.is_empty() { what.to_string() } else { format!("{what} (one of {})", ids.join(", ")) }
}

fn check_address(c: &mut Checker, path: &str, a: &str) {
    if split_address(a).is_none() {
        c.report(path, ProblemKind::BadAddress { address: a.to_string() });
    }
}

fn check_forwards(c: &mut Checker, path: &str, fw: &[(String, String)]) {
    for (j, (from, to)) in fw.iter().enumerate() {
        check_address(c, &format!("{path}[{j}][0]"), from);
        check_address(c, &format!("{path}[{j}][1]"), to);
    }
}

fn check_mailbox(c: &mut Checker, path: &str, mbx: &str, domains: &[String]) {
    match split_address(mbx) {
        None => c.report(path, ProblemKind::BadAddress { address: mbx.to_string() }),
        Some((_, d)) if !domains.is_empty() && !domains.iter().any(|x| x.eq_ignore_ascii_case(d)) => {
            c.invalid(path, format!("mailbox `{mbx}`"), "its domain is not one of the server's `domains`")
        }
        _ => {}
    }
}

fn check_client(c: &mut Checker, nodes: &HashMap<&str, (usize, &Node)>, path: &str, mc: &MailClient) {
    match nodes.get(mc.server.as_str()) {
        None => c.report(
            &format!("{path}.server"),
            ProblemKind::UnknownReference {
                what: "node",
                id: mc.server.clone(),
                expected: "the id of a mail server node".into(),
            },
        ),
        Some((_, n)) if !is_mail_server(&n.kind) => c.report(
            &format!("{path}.server"),
            ProblemKind::WrongKind { id: mc.server.clone(), found: n.kind.name(), expected: "a mail server" },
        ),
        _ => {}
    }
    if mc.port == 0 {
        c.invalid(&format!("{path}.port"), "port", "0 is not a TCP port");
    }
    if let Some(pop) = &mc.pop {
        check_ref(c, nodes, &format!("{path}.pop.server"), &pop.server, "a server with mailboxes", |k| {
            matches!(k, NodeKind::MailboxServer(_)) || k.mail_server().is_some_and(|m| !m.mailboxes.is_empty())
        });
    }
    if let Some(a) = &mc.auth
        && a.user.is_empty()
    {
        c.invalid(&format!("{path}.auth.user"), "user", "must not be empty");
    }
    if let Retry::Rfc(b) = &mc.retry {
        check_backoff(c, &format!("{path}.retry[0]"), b);
    }
}

/// Checks that `id` names a node of the expected kind, reporting where it is written.
fn check_ref(
    c: &mut Checker,
    nodes: &HashMap<&str, (usize, &Node)>,
    path: &str,
    id: &str,
    expected: &'static str,
    ok: impl Fn(&NodeKind) -> bool,
) {
    match nodes.get(id) {
        None => c.report(
            path,
            ProblemKind::UnknownReference {
                what: "node",
                id: id.to_string(),
                expected: format!("the id of {expected}"),
            },
        ),
        Some((_, n)) if !ok(&n.kind) => {
            c.report(path, ProblemKind::WrongKind { id: id.to_string(), found: n.kind.name(), expected })
        }
        _ => {}
    }
}

fn check_backoff(c: &mut Checker, path: &str, b: &Backoff) {
    use super::work::{MAX_QUEUE_LIFETIME, MIN_BACKOFF};
    check_shape(c, &format!("{path}.shape"), &b.shape);
    if b.min.0 == 0 {
        c.invalid(&format!("{path}.min"), "min", "a retry delay of 0s would retry forever at once");
    } else if b.min < MIN_BACKOFF {
        c.invalid(
            &format!("{path}.min"),
            "min",
            format!("{} is below {MIN_BACKOFF}, the least Postfix accepts for minimal_backoff_time", b.min),
        );
    }
    if b.lifetime > MAX_QUEUE_LIFETIME {
        c.invalid(
            &format!("{path}.lifetime"),
            "lifetime",
            format!("{} is more than {MAX_QUEUE_LIFETIME}, the most Postfix keeps a message queued", b.lifetime),
        );
    }
    if b.max < b.min {
        c.invalid(&format!("{path}.max"), "max", format!("{} is shorter than min {}", b.max, b.min));
    }
}

fn check_windows(c: &mut Checker, path: &str, w: &[Window]) {
    for (j, w) in w.iter().enumerate() {
        if w.to <= w.from {
            c.invalid(
                &format!("{path}[{j}].to"),
                "down window",
                format!("ends ({}) before it starts ({})", w.to, w.from),
            );
        }
    }
}

fn check_rate(c: &mut Checker, path: &str, per_ms: f64) {
    if per_ms <= 0.0 || !per_ms.is_finite() {
        c.invalid(path, "rate", "must be more than 0 per unit of time");
    }
}

fn check_targets(c: &mut Checker, path: &str, to: &[String], has_mx: &dyn Fn(&str) -> bool) {
    if to.is_empty() {
        c.invalid(path, "to", "needs at least one recipient");
    }
    let mut reported = HashSet::new();
    for (j, a) in to.iter().enumerate() {
        match split_address(a) {
            None => c.report(&format!("{path}[{j}]"), ProblemKind::BadAddress { address: a.clone() }),
            Some((_, d)) if !has_mx(d) && reported.insert(d.to_ascii_lowercase()) => {
                c.report(&format!("{path}[{j}]"), ProblemKind::NoMx { domain: d.to_string() })
            }
            _ => {}
        }
    }
}

fn check_span(c: &mut Checker, p: &str, start: u64, end: Option<u64>) {
    if let Some(end) = end
        && end <= start
    {
        c.invalid(&format!("{p}.end"), "end", "comes before start");
    }
}

/// The connected part of the link graph each linked node is in (a label
/// per node id; nodes without links have none).
fn components(s: &Scenario) -> HashMap<&str, usize> {
    let mut adj: HashMap<&str, Vec<&str>> = HashMap::new();
    for l in &s.links {
        adj.entry(&l.a).or_default().push(&l.b);
        adj.entry(&l.b).or_default().push(&l.a);
    }
    let mut part: HashMap<&str, usize> = HashMap::new();
    let mut label = 0;
    for l in &s.links {
        let from = l.a.as_str();
        if part.contains_key(from) {
            continue;
        }
        part.insert(from, label);
        let mut q = VecDeque::from([from]);
        while let Some(n) = q.pop_front() {
            for &m in adj.get(n).into_iter().flatten() {
                if !part.contains_key(m) {
                    part.insert(m, label);
                    q.push_back(m);
                }
            }
        }
        label += 1;
    }
    part
}

/// The lesson's steps: unique ids, English text, references that exist,
/// answers among the choices, actions that can be carried out.
fn check_narration(
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
fn on_before(s: &Scenario, before: usize, node: &Node, defense: Defense) -> Option<bool> {
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
fn check_switch_off(
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
fn check_can_fire(
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

fn trigger_name(t: &Trigger) -> &'static str {
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
fn check_localized(c: &mut Checker, path: &str, what: &str, t: &Localized) {
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
fn check_msg_source(
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

fn check_msg_ref(
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
