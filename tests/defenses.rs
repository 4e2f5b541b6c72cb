//! Each defense of the history and each sender behaviour, on a small world,
//! checked through the messages' stories (hops, dialogue, headers) and the
//! JSON counters.

mod common;

use common::world::World;
use relaysim::sim::{Fate, MailClass, Message, Simulation};
use relaysim::stats::Report;
use relaysim::units::{MINUTE, SECOND};

fn run(w: &World, seed: u64) -> (Simulation, Report) {
    let sim = common::run(common::parse(&w.render()), seed);
    let r = Report::of(&sim);
    common::assert_conserved(&r);
    (sim, r)
}

fn from_source<'a>(sim: &'a Simulation, id: &str) -> Vec<&'a Message> {
    let i = sim.scenario.traffic.iter().position(|s| s.id() == id).expect("source");
    sim.messages.iter().filter(|m| m.source == Some(i)).collect()
}

fn delivered(m: &Message) -> bool {
    matches!(m.fate, Fate::Delivered { .. })
}

/// The replies a server gave in a message's dialogues.
fn server_lines(m: &Message) -> Vec<String> {
    m.hops.iter().flat_map(|h| h.transcript()).filter(|l| l.who == 'S').map(|l| l.text).collect()
}

// ----- POP-before-SMTP -------------------------------------------------------

#[test]
fn pop_before_smtp_lets_the_user_relay_and_a_bot_behind_the_same_nat_inside_the_window() {
    let w = World {
        duration: "3h",
        relay_a: r#"relay: LocalOnly, pop_before_smtp: PopBeforeSmtp(server: "relay-a", window: "30m")"#.into(),
        nodes: r#"
        Node(id: "alice", isp: "isp-a", ip: "10.1.9.20", nat: "home", kind: ClientPc(user: "alice@isp-a.example",
            mail_client: MailClient(server: "relay-a", pop: PopClient(server: "relay-a")))),
        Node(id: "bot", isp: "isp-a", ip: "10.1.9.66", nat: "home", kind: SpamBot()),"#
            .into(),
        links: r#"Link(a: "alice", b: "home", latency: "1ms"), Link(a: "bot", b: "home", latency: "1ms"),"#.into(),
        traffic: r#"
        Once(id: "alice", from: "alice", to: "bob@company.example", at: "1h"),
        Spam(id: "bot", senders: ["bot"], rate: "30/h", strategy: OpenRelays(["relay-a"]),
             forged_from: ["x@isp-b.example"], to: ["carol@company.example"]),"#
            .into(),
        ..World::default()
    };
    let (sim, r) = run(&w, 4);
    let alice = &from_source(&sim, "alice")[0];
    assert!(delivered(alice), "the POP login opened the relay: {:?}", alice.fate);
    assert_eq!(alice.hops[0].port, 110, "POP3 first, then SMTP");
    let (login, window_end) = (60 * MINUTE, 90 * MINUTE);
    let spam = from_source(&sim, "bot");
    let inside: Vec<_> =
        spam.iter().filter(|m| m.created > login + SECOND && m.created < window_end - SECOND).collect();
    let outside: Vec<_> =
        spam.iter().filter(|m| m.created < login - SECOND || m.created > window_end + SECOND).collect();
    assert!(!inside.is_empty() && !outside.is_empty());
    // The bot shares Alice's public address: inside the window it relays.
    assert!(inside.iter().all(|m| m.hops[0].accepted), "relayed within the window");
    assert!(inside.iter().all(|m| m.hops[0].from_ip.to_string() == "10.1.9.1"), "seen as the NAT router");
    // Outside it is refused.
    assert!(
        outside
            .iter()
            .all(|m| matches!(&m.fate, Fate::Rejected { reason, .. } if reason.contains("Relay access denied")))
    );
    assert_eq!(r.nodes["relay-a"].pop_logins, 1);
}

#[test]
fn a_client_that_sends_before_it_receives_is_refused_the_first_time() {
    let w = World {
        relay_a: r#"relay: LocalOnly, pop_before_smtp: PopBeforeSmtp(server: "relay-a")"#.into(),
        nodes: r#"
        Node(id: "oe", isp: "isp-a", ip: "10.1.0.30", kind: ClientPc(user: "taro@isp-a.example",
            mail_client: MailClient(server: "relay-a", pop: PopClient(server: "relay-a", send_first: true)))),"#
            .into(),
        links: r#"Link(a: "oe", b: "edge-a", latency: "5ms"),"#.into(),
        traffic: r#"Once(id: "taro", from: "oe", to: "bob@company.example", at: "1m"),"#.into(),
        ..World::default()
    };
    let (sim, _) = run(&w, 0);
    let m = &from_source(&sim, "taro")[0];
    let smtp: Vec<_> = m.hops.iter().filter(|h| h.port == 25 && h.from == sim.index_of("oe")).collect();
    assert!(smtp[0].result.contains("Relay access denied"), "first send before the POP login: {}", smtp[0].result);
    assert!(smtp[1].accepted, "the next send/receive cycle, after the login, goes through");
    assert!(delivered(m));
}

#[test]
fn a_reassigned_dynamic_address_inherits_another_customers_pop_login() {
    let w = World {
        duration: "12h",
        relay_a: r#"relay: LocalOnly, pop_before_smtp: PopBeforeSmtp(server: "relay-a")"#.into(),
        nodes: r#"
        Node(id: "pop", isp: "isp-a", kind: Population(count: 4, infected: 0.25, domain: "isp-a.example", lease: "20m",
            mail_client: MailClient(server: "relay-a", pop: PopClient(server: "relay-a")))),"#
            .into(),
        links: r#"Link(a: "pop", b: "edge-a", latency: "5ms"),"#.into(),
        traffic: r#"
        Legit(id: "users", from: "pop", rate: "6/h", to: ["bob@company.example"]),
        Spam(id: "bot", senders: ["pop"], rate: "30/h", strategy: OpenRelays(["relay-a"]),
             forged_from: ["x@isp-b.example"], to: ["carol@company.example"]),"#
            .into(),
        ..World::default()
    };
    let (sim, _) = run(&w, 9);
    // POP logins: (address, time, host) from the legit users' stories.
    let logins: Vec<_> = from_source(&sim, "users")
        .iter()
        .flat_map(|m| m.hops.iter().filter(|h| h.port == 110).map(move |h| (h.from_ip, h.started, m.origin_host)))
        .collect();
    let inherited = from_source(&sim, "bot").into_iter().filter(|s| s.hops[0].accepted).any(|s| {
        logins.iter().any(|(ip, at, host)| {
            *ip == s.hops[0].from_ip && *at <= s.created && s.created - at <= 30 * MINUTE && *host != s.origin_host
        })
    });
    assert!(inherited, "a bot relayed on a login made by the address's previous holder");
}

// ----- SMTP-AUTH and the submission port ---------------------------------------

fn auth_world(client: &str, traffic: &str) -> World {
    World {
        relay_a: r#"relay: LocalOnly, ports: [25, 587, 465],
            accounts: [Account(user: "alice@isp-a.example", password: "s3cret"), Account(user: "weak@isp-a.example", password: "123456", weak: true)],
            auth_rate_limit: "10/h""#
            .into(),
        nodes: client.into(),
        links: r#"Link(a: "pc", b: "internet", latency: "20ms"),"#.into(),
        traffic: traffic.into(),
        ..World::default()
    }
}

fn pc(port: u16, auth: &str) -> String {
    format!(
        r#"Node(id: "pc", label: "roaming laptop", ip: "198.51.100.40", kind: ClientPc(user: "alice@isp-a.example",
            mail_client: MailClient(server: "relay-a", port: {port}, retry: Never{auth}))),"#
    )
}

#[test]
fn smtp_auth_permits_relaying_per_session_and_refuses_bad_credentials() {
    let once = r#"Once(id: "m", from: "pc", to: "bob@company.example", at: "1m"),"#;
    let ok = r#", auth: Credentials(user: "alice@isp-a.example", password: "s3cret")"#;
    let (sim, r) = run(&auth_world(&pc(25, ok), once), 0);
    let m = &from_source(&sim, "m")[0];
    assert!(delivered(m));
    assert!(server_lines(m).iter().any(|l| l == "235 2.7.0 Authentication successful"));
    assert!(
        m.headers().iter().any(|h| h.contains("by mail.isp-a.example (Postfix) with ESMTPA")),
        "{:#?}",
        m.headers()
    );
    assert_eq!(r.nodes["relay-a"].auth_ok, 1);

    let bad = r#", auth: Credentials(user: "alice@isp-a.example", password: "guess")"#;
    let (sim, r) = run(&auth_world(&pc(25, bad), once), 0);
    let m = &from_source(&sim, "m")[0];
    assert!(
        matches!(&m.fate, Fate::Rejected { reason, .. } if &**reason == "535 5.7.8 Authentication credentials invalid")
    );
    assert_eq!(r.nodes["relay-a"].auth_failed, 1);

    let (sim, _) = run(&auth_world(&pc(25, ""), once), 0);
    assert!(
        matches!(&from_source(&sim, "m")[0].fate, Fate::Rejected { reason, .. } if reason.contains("Relay access denied"))
    );
}

#[test]
fn the_submission_ports_require_tls_and_auth() {
    let once = r#"Once(id: "m", from: "pc", to: "bob@company.example", at: "1m"),"#;
    let ok = r#", auth: Credentials(user: "alice@isp-a.example", password: "s3cret")"#;
    let (sim, _) = run(&auth_world(&pc(587, ok), once), 0);
    let m = &from_source(&sim, "m")[0];
    assert!(delivered(m));
    let lines = m.hops[0].transcript();
    let client: Vec<_> = lines.iter().filter(|l| l.who == 'C').map(|l| l.text.as_str()).collect();
    assert_eq!(
        &client[..4],
        ["EHLO pc-pc", "STARTTLS", "EHLO pc-pc", "AUTH PLAIN AGFsaWNlQGlzcC1hLmV4YW1wbGUAczNjcmV0"]
    );
    assert!(m.headers().iter().any(|h| h.contains("with ESMTPSA")));

    let (sim, _) = run(&auth_world(&pc(465, ok), once), 0);
    let m = &from_source(&sim, "m")[0];
    assert!(delivered(m) && m.headers().iter().any(|h| h.contains("with ESMTPSA")), "implicit TLS on 465");

    let (sim, _) = run(&auth_world(&pc(587, ""), once), 0);
    let m = &from_source(&sim, "m")[0];
    assert!(
        matches!(&m.fate, Fate::Rejected { reason, .. } if &**reason == "530 5.7.0 Authentication required"),
        "{:?}",
        m.fate
    );
}

#[test]
fn stolen_weak_credentials_relay_spam_until_the_rate_limit() {
    let bots = r#"Node(id: "bots", isp: "isp-b", kind: Population(count: 100, infected: 0.5, domain: "isp-b.example",
        mail_client: MailClient(server: "relay-b"))),"#;
    let traffic = r#"Spam(id: "stolen", senders: ["bots"], rate: "60/h",
        strategy: StolenCredentials(relay: "relay-a", port: 587, share: 1.0,
            credentials: [Credentials(user: "weak@isp-a.example", password: "123456")]),
        forged_from: ["weak@isp-a.example"], to: ["bob@company.example"]),"#;
    let mut w = auth_world(bots, traffic);
    w.links = r#"Link(a: "bots", b: "internet", latency: "20ms"),"#.into();
    let (sim, r) = run(&w, 1);
    let spam = from_source(&sim, "stolen");
    let through_relay = spam.iter().filter(|m| m.hops.first().is_some_and(|h| h.accepted)).count() as u64;
    assert!(through_relay > 0, "the ISP's own relay sends the spam");
    assert!(r.mail["spam"].counts.delivered > 0);
    // At most 10 per hour get past the per-account limit: 6 h -> at most 60.
    assert!(through_relay <= 60, "{through_relay}");
    assert!(r.nodes["relay-a"].refused.get("rate_limited").copied().unwrap_or(0) > 0);
    assert!(spam.iter().any(|m| server_lines(m).iter().any(|l| l.contains("sender rate limit exceeded"))));
}

#[test]
fn validation_refuses_stealing_a_strong_password() {
    let traffic = r#"Spam(id: "s", senders: ["bot"], rate: "1/h",
        strategy: StolenCredentials(relay: "relay-a", port: 587, share: 1.0,
            credentials: [Credentials(user: "alice@isp-a.example", password: "s3cret")]),
        forged_from: ["x@isp-a.example"], to: ["bob@company.example"]),"#;
    let mut w = auth_world(r#"Node(id: "bot", isp: "isp-b", ip: "10.2.0.5", kind: SpamBot()),"#, traffic);
    w.links = r#"Link(a: "bot", b: "internet", latency: "20ms"),"#.into();
    let err = relaysim::scenario::parse(&w.render(), "t.ron").unwrap_err().to_string();
    assert!(err.contains("is not a `weak: true` account"), "{err}");
}

// ----- OP25B --------------------------------------------------------------------

#[test]
fn op25b_blocks_direct_to_mx_bots_and_the_company_server_on_25_but_not_587() {
    let w = World {
        edge_a_filters: r#"Op25b(isp: "isp-a")"#.into(),
        mx_co: r#"ports: [25, 587], accounts: [Account(user: "ken@company.example", password: "pw")]"#.into(),
        nodes: r#"
        Node(id: "bot", isp: "isp-a", ip: "10.1.66.6", kind: SpamBot()),
        Node(id: "ken25", isp: "isp-a", ip: "10.1.0.40", kind: ClientPc(user: "ken@company.example",
            mail_client: MailClient(server: "mx-co", port: 25, retry: Never, auth: Credentials(user: "ken@company.example", password: "pw")))),
        Node(id: "ken587", isp: "isp-a", ip: "10.1.0.41", kind: ClientPc(user: "ken@company.example",
            mail_client: MailClient(server: "mx-co", port: 587, auth: Credentials(user: "ken@company.example", password: "pw")))),
        Node(id: "alice", isp: "isp-a", ip: "10.1.0.25", kind: ClientPc(user: "alice@isp-a.example", mail_client: MailClient(server: "relay-a"))),"#
            .into(),
        links: r#"Link(a: "bot", b: "edge-a", latency: "5ms"), Link(a: "ken25", b: "edge-a", latency: "5ms"),
                  Link(a: "ken587", b: "edge-a", latency: "5ms"), Link(a: "alice", b: "edge-a", latency: "5ms"),"#
            .into(),
        traffic: r#"
        Spam(id: "direct", senders: ["bot"], rate: "20/h", strategy: DirectToMx, forged_from: ["x@isp-b.example"], to: ["bob@company.example"]),
        Once(id: "ken25", from: "ken25", to: "carol@isp-b.example", at: "1m"),
        Once(id: "ken587", from: "ken587", to: "carol@isp-b.example", at: "2m"),
        Once(id: "alice", from: "alice", to: "bob@company.example", at: "3m"),"#
            .into(),
        ..World::default()
    };
    let (sim, r) = run(&w, 2);
    let direct = &r.sources["direct"];
    assert!(direct.sent > 50);
    assert_eq!(direct.delivered, 0, "a no-retry bot behind OP25B delivers nothing directly");
    assert_eq!(r.sources["ken25"].delivered, 0, "the company server on port 25 is blocked too");
    assert!(
        matches!(&from_source(&sim, "ken25")[0].fate, Fate::Rejected { reason, .. } if reason.contains("dropped by edge-a"))
    );
    assert_eq!(r.sources["ken587"].delivered, 1, "the same server on 587 with AUTH goes through");
    assert_eq!(r.sources["alice"].delivered, 1, "the ISP's own relay stays reachable");
    assert_eq!(r.nodes["edge-a"].dropped, direct.sent + 1);
}

// ----- SPF ----------------------------------------------------------------------

fn spf_world(traffic: &str) -> World {
    World {
        duration: "3h",
        spf_a: r#""v=spf1 ip4:192.0.2.0/26 -all""#.into(),
        mx_co: r#"spf: SpfCheck()"#.into(),
        relay_b: r#"forwards: [("fwd@isp-b.example", "bob@company.example")]"#.into(),
        nodes: r#"
        Node(id: "bot", isp: "isp-b", ip: "10.2.66.6", kind: SpamBot()),
        Node(id: "spamhost", isp: "hosting", ip: "203.0.113.70", kind: SpammerServer(hostname: "mta.cheap-meds.example",
            domains: ["cheap-meds.example"], mailboxes: ["*@cheap-meds.example"])),
        Node(id: "alice", isp: "isp-a", ip: "10.1.0.25", kind: ClientPc(user: "alice@isp-a.example", mail_client: MailClient(server: "relay-a"))),"#
            .into(),
        links: r#"Link(a: "bot", b: "internet", latency: "20ms"), Link(a: "spamhost", b: "internet", latency: "5ms"),
                  Link(a: "alice", b: "edge-a", latency: "5ms"),"#
            .into(),
        zones: r#"Zone(domain: "cheap-meds.example", mx: [(10, "mta.cheap-meds.example")], txt: ["v=spf1 ip4:203.0.113.64/26 -all"]),"#.into(),
        traffic: traffic.into(),
        ..World::default()
    }
}

#[test]
fn spf_refuses_forged_senders_of_protected_domains_and_passes_the_real_ones() {
    let traffic = r#"
        Spam(id: "forged", senders: ["bot"], rate: "20/h", strategy: DirectToMx, forged_from: ["alice@isp-a.example"], to: ["bob@company.example"]),
        Spam(id: "own-domain", senders: ["spamhost"], rate: "10/h", strategy: DirectToMx, forged_from: ["deals@cheap-meds.example"], to: ["bob@company.example"]),
        Once(id: "alice", from: "alice", to: "bob@company.example", at: "1m"),"#;
    let (sim, r) = run(&spf_world(traffic), 3);
    assert_eq!(r.sources["forged"].delivered, 0);
    let forged = &from_source(&sim, "forged")[0];
    assert!(
        server_lines(forged)
            .iter()
            .any(|l| l.starts_with("550 5.7.23 <alice@isp-a.example>: Sender address rejected: SPF validation failed"))
    );
    assert!(r.sources["own-domain"].delivered > 0, "spammers publish SPF for their own domains");
    let alice = &from_source(&sim, "alice")[0];
    assert!(delivered(alice));
    assert!(
        alice.headers().iter().any(|h| h.starts_with("Received-SPF: pass") || h.starts_with("Received-SPF: Pass")),
        "{:#?}",
        alice.headers()
    );
    assert!(
        alice
            .headers()
            .iter()
            .any(|h| h.contains("Authentication-Results: mx.company.example; spf=pass smtp.mailfrom=isp-a.example"))
    );
    assert_eq!(r.nodes["mx-co"].spf.get("fail").copied(), Some(r.sources["forged"].sent));
    assert!(r.nodes["mx-co"].spf.get("pass").copied().unwrap_or(0) > 0);
}

#[test]
fn plain_forwarding_breaks_spf_at_the_final_mx() {
    let traffic = r#"Once(id: "alice", from: "alice", to: "fwd@isp-b.example", at: "1m"),"#;
    let (sim, r) = run(&spf_world(traffic), 0);
    let m = &from_source(&sim, "alice")[0];
    assert!(m.headers().iter().any(|h| h == "Delivered-To: fwd@isp-b.example"));
    assert_eq!(&*m.rcpt, "bob@company.example");
    assert!(
        matches!(&m.fate, Fate::Rejected { reason, .. } if reason.contains("SPF validation failed")),
        "{:?}",
        m.fate
    );
    assert_eq!(r.nodes["relay-b"].forwarded, 1);
    // The forwarder bounces it back to Alice, who really sent it.
    assert_eq!(r.mail["bounce"].counts.delivered, 1);
}

#[test]
fn spf_cuts_backscatter_to_forged_protected_senders() {
    // The bot forges alice's address towards unknown users at corp.example,
    // whose MX accepts every recipient and bounces later.
    let traffic = r#"Spam(id: "s", senders: ["bot"], rate: "20/h", strategy: DirectToMx,
        forged_from: ["alice@isp-a.example"], to: ["nobody@corp.example"]),"#;
    let mut w = spf_world(traffic);
    let (_, without) = run(&w, 5);
    assert!(without.mail["backscatter"].counts.delivered > 0, "bounces land in alice's mailbox");
    // With SPF at the MX, the forged mail is refused during the session: no bounce.
    w.mx_corp = "spf: SpfCheck()".into();
    let (_, with) = run(&w, 5);
    assert_eq!(with.mail["backscatter"].counts.sent, 0);
    assert_eq!(with.mail["spam"].counts.sent, without.mail["spam"].counts.sent, "same traffic");
    assert_eq!(with.nodes["mx-corp"].refused.get("spf").copied(), Some(with.mail["spam"].counts.sent));
}

// ----- greylisting -----------------------------------------------------------------

fn grey_world(mx: &str, nodes: &str, traffic: &str) -> World {
    World {
        duration: "1d",
        mx_co: format!("greylist: Greylist({mx})"),
        nodes: nodes.into(),
        links: r#"Link(a: "alice", b: "edge-a", latency: "5ms"), Link(a: "bot", b: "internet", latency: "20ms"),
                  Link(a: "pool", b: "internet", latency: "5ms"), Link(a: "oneshot", b: "internet", latency: "5ms"),"#
            .into(),
        traffic: traffic.into(),
        ..World::default()
    }
}

const GREY_NODES: &str = r#"
    Node(id: "alice", isp: "isp-a", ip: "10.1.0.25", kind: ClientPc(user: "alice@isp-a.example", mail_client: MailClient(server: "relay-a"))),
    Node(id: "bot", isp: "isp-b", ip: "10.2.66.6", kind: SpamBot()),
    Node(id: "pool", isp: "hosting", ip: "203.0.113.65", kind: IspRelay(hostname: "out.bigmail.example", domains: ["bigmail.example"],
        mailboxes: ["*@bigmail.example"], outbound_ips: ["203.0.113.65", "203.0.113.66", "203.0.113.67"])),
    Node(id: "oneshot", isp: "hosting", ip: "203.0.113.80", kind: IspRelay(hostname: "notify.shop.example", domains: ["shop.example"],
        mailboxes: ["*@shop.example"], retries: false)),"#;

#[test]
fn greylisted_legit_mail_arrives_after_the_first_retry_with_the_delay_recorded() {
    let traffic = r#"Once(id: "alice", from: "alice", to: "bob@company.example", at: "1m"),"#;
    let (sim, r) = run(&grey_world("", GREY_NODES, traffic), 0);
    let m = &from_source(&sim, "alice")[0];
    let to_mx: Vec<_> = m.hops.iter().filter(|h| h.to == sim.index_of("mx-co")).collect();
    assert!(to_mx[0].result.contains("450 4.7.1 <bob@company.example>: Recipient address rejected: Greylisted"));
    assert!(to_mx[1].accepted);
    assert_eq!(to_mx[1].started - to_mx[0].ended, 300 * SECOND, "Postfix's first retry 300 s after the 450");
    let Fate::Delivered { at, .. } = m.fate else { panic!("{:?}", m.fate) };
    assert!(at - m.created >= 300 * SECOND);
    assert!(r.mail["legit"].delay_s.median >= 300.0, "the delay is recorded");
    assert!(
        m.headers()
            .iter()
            .any(|h| h.starts_with("X-Greylist: delayed 300 seconds by postgrey-1.37 at mx.company.example"))
    );
    assert_eq!((r.nodes["mx-co"].greylisted, r.nodes["mx-co"].greylist_passed), (1, 1));
}

#[test]
fn no_retry_bots_lose_and_rfc_retrying_bots_get_through() {
    let spam = |retry: &str| {
        format!(
            r#"Spam(id: "s", senders: ["bot"], rate: "10/h", strategy: DirectToMx, retry: {retry},
               forged_from: ["x{{rand}}@isp-b.example"], to: ["bob@company.example"]),"#
        )
    };
    let (_, never) = run(&grey_world("", GREY_NODES, &spam("Never")), 6);
    assert!(never.sources["s"].sent > 100);
    assert_eq!(never.sources["s"].delivered, 0);
    assert_eq!(never.sources["s"].lost, never.sources["s"].sent, "a 450 and no retry: lost");
    let (_, immediate) = run(&grey_world("", GREY_NODES, &spam("Immediate(3)")), 6);
    assert_eq!(immediate.sources["s"].delivered, 0, "reconnecting at once does not wait out the delay");
    let (_, rfc) = run(&grey_world("", GREY_NODES, &spam(r#"Rfc(min: "10m", max: "1h", lifetime: "1d")"#)), 6);
    assert!(rfc.sources["s"].delivered > rfc.sources["s"].sent * 9 / 10, "bots that adapted get through");
}

#[test]
fn a_pool_sender_waits_longer_without_subnet_matching_and_a_never_retrying_sender_loses_mail() {
    let traffic = r#"
        Legit(id: "pool", from: "pool", sender: "news@bigmail.example", rate: "4/h", to: ["bob@company.example", "carol@company.example"]),
        Legit(id: "oneshot", from: "oneshot", sender: "orders@shop.example", rate: "2/h", to: ["bob@company.example"]),"#;
    let median = |mx: &str| {
        let (sim, r) = run(&grey_world(mx, GREY_NODES, traffic), 8);
        let first_contact: Vec<u64> = from_source(&sim, "pool")
            .iter()
            .filter_map(|m| match m.fate {
                Fate::Delivered { at, .. } if m.hops.len() > 1 => Some(at - m.created),
                _ => None,
            })
            .collect();
        (first_contact.iter().sum::<u64>() / first_contact.len().max(1) as u64, r)
    };
    let (by_subnet, r) = median("auto_whitelist: 0");
    let (by_host, _) = median("auto_whitelist: 0, lookup_by_host: true");
    assert!(by_host > by_subnet, "the retry comes from another address of the pool: {by_host} vs {by_subnet}");
    assert!(r.sources["oneshot"].sent > 10);
    assert!(r.sources["oneshot"].lost > 0, "a sender that never retries loses its greylisted mail");
    assert_eq!(r.sources["oneshot"].rejected, 0, "silently: no bounce");
}

#[test]
fn a_greylisting_decision_is_readable_in_the_transcript_and_counters_are_in_the_json() {
    let traffic = r#"Once(id: "alice", from: "alice", to: "bob@company.example", at: "1m"),"#;
    let (sim, r) = run(&grey_world("", GREY_NODES, traffic), 0);
    let m = &from_source(&sim, "alice")[0];
    let t = relaysim::sim::inspect::describe(&sim, m.id).unwrap();
    assert!(t.contains("RCPT TO:<bob@company.example>") && t.contains("Greylisted"), "{t}");
    let json = serde_json::to_value(&r).unwrap();
    for key in ["sessions_in", "relayed", "refused", "dropped", "greylisted", "spf"] {
        assert!(json["nodes"]["mx-co"].get(key).is_some(), "nodes.mx-co.{key}");
    }
    assert_eq!(json["nodes"]["mx-co"]["refused"]["greylisted"], 1);
}

// ----- senders --------------------------------------------------------------------

#[test]
fn spam_software_can_retry_from_another_infected_host() {
    let w = World {
        duration: "2h",
        mx_co: r#"down: [Window(from: "0s", to: "3h")]"#.into(),
        nodes: r#"Node(id: "bots", isp: "isp-b", kind: Population(count: 50, infected: 0.2, domain: "isp-b.example",
            mail_client: MailClient(server: "relay-b"))),"#
            .into(),
        links: r#"Link(a: "bots", b: "internet", latency: "20ms"),"#.into(),
        traffic: r#"Spam(id: "s", senders: ["bots"], rate: "6/h", strategy: DirectToMx, retry: OtherHost(2),
             forged_from: ["x@isp-b.example"], to: ["bob@company.example"]),"#
            .into(),
        ..World::default()
    };
    let (sim, _) = run(&w, 1);
    let m = from_source(&sim, "s").into_iter().next().expect("spam");
    assert_eq!(m.hops.len(), 3);
    let ips: std::collections::BTreeSet<_> = m.hops.iter().map(|h| h.from_ip).collect();
    assert_eq!(ips.len(), 3, "each retry comes from another infected host");
    assert!(matches!(m.fate, Fate::Lost { .. }));
    assert!(sim.messages.iter().all(|m| m.class != MailClass::Backscatter));
}

// ----- what scenario authors could not express before -----------------------

#[test]
fn a_pop3_session_takes_round_trips_over_the_same_links_as_smtp() {
    let w = World {
        relay_a: r#"relay: LocalOnly, pop_before_smtp: PopBeforeSmtp(server: "relay-a")"#.into(),
        nodes: r#"
        Node(id: "pc", isp: "isp-a", ip: "10.1.0.30", kind: ClientPc(user: "taro@isp-a.example",
            mail_client: MailClient(server: "relay-a", pop: PopClient(server: "relay-a")))),"#
            .into(),
        links: r#"Link(a: "pc", b: "edge-a", latency: "5ms"),"#.into(),
        traffic: r#"Once(id: "taro", from: "pc", to: "bob@company.example", at: "1m"),"#.into(),
        ..World::default()
    };
    let (sim, _) = run(&w, 0);
    let m = &from_source(&sim, "taro")[0];
    let (pop, smtp) = (&m.hops[0], &m.hops[1]);
    assert_eq!((pop.port, smtp.port), (110, 25));
    // pc → edge-a → relay-a: 5 ms + 1 ms one way, 12 ms a round trip; the
    // greeting, USER, PASS and QUIT take one each (RFC 1939).
    assert_eq!(pop.ended - pop.started, 4 * 12, "POP3 crosses the links like SMTP");
    let times: Vec<u64> = pop.transcript().iter().map(|l| l.t - pop.started).collect();
    assert_eq!(times, [0, 12, 12, 24, 24, 36, 36, 48]);
    assert_eq!(smtp.started, pop.ended, "the client sends once it has received");
    assert!(delivered(m), "the login, recorded when PASS was answered, permits the relay");
}

#[test]
fn a_spammers_server_sending_from_its_own_domain_is_not_forging() {
    let traffic = r#"
        Spam(id: "mixed", senders: ["spamhost"], rate: "20/h", strategy: DirectToMx,
             forged_from: ["deals@cheap-meds.example", "alice@isp-a.example"], to: ["bob@company.example"]),"#;
    let (sim, _) = run(&spf_world(traffic), 3);
    let spam = from_source(&sim, "mixed");
    let own: Vec<_> = spam.iter().filter(|m| &*m.mail_from == "deals@cheap-meds.example").collect();
    let other: Vec<_> = spam.iter().filter(|m| &*m.mail_from == "alice@isp-a.example").collect();
    assert!(!own.is_empty() && !other.is_empty());
    assert!(own.iter().all(|m| !m.forged), "the spammer owns cheap-meds.example: its real address");
    assert!(other.iter().all(|m| m.forged), "alice's address is not the spammer's: forged");
    let story = |m: &Message| relaysim::sim::inspect::describe(&sim, m.id).unwrap();
    assert!(!story(own[0]).contains("(forged sender)"), "{}", story(own[0]));
    assert!(story(other[0]).contains("(forged sender)"));
}

#[test]
fn bounces_to_a_spammers_own_address_are_bounces_not_backscatter() {
    // The MX accepts any local recipient and bounces unknown ones later.
    let w = World {
        mx_corp: String::new(),
        nodes: r#"
        Node(id: "spamhost", isp: "hosting", ip: "203.0.113.70", kind: SpammerServer(hostname: "mta.cheap-meds.example",
            domains: ["cheap-meds.example"], mailboxes: ["*@cheap-meds.example"])),"#
            .into(),
        links: r#"Link(a: "spamhost", b: "internet", latency: "5ms"),"#.into(),
        zones: r#"Zone(domain: "cheap-meds.example", mx: [(10, "mta.cheap-meds.example")]),"#.into(),
        traffic: r#"Spam(id: "own", senders: ["spamhost"], rate: "10/h", strategy: DirectToMx,
             forged_from: ["deals@cheap-meds.example"], to: ["nobody@corp.example"]),"#
            .into(),
        ..World::default()
    };
    let (sim, r) = run(&w, 1);
    assert!(r.sources["own"].sent > 0);
    let bounces: Vec<_> = sim.messages.iter().filter(|m| m.bounce_of.is_some()).collect();
    assert!(!bounces.is_empty(), "the unknown recipient is bounced after acceptance");
    assert!(bounces.iter().all(|b| b.class == MailClass::Bounce), "to the spammer's real address");
    assert_eq!(r.mail["backscatter"].counts.sent, 0);
}

#[test]
fn an_open_relay_can_check_spf_when_the_order_puts_it_first() {
    let traffic = r#"
        Spam(id: "forged", senders: ["bot"], rate: "20/h", strategy: OpenRelays(["open"]), forged_from: ["alice@isp-a.example"], to: ["bob@company.example"]),
        Spam(id: "own-domain", senders: ["spamhost"], rate: "10/h", strategy: OpenRelays(["open"]), forged_from: ["deals@cheap-meds.example"], to: ["bob@company.example"]),"#;
    let open = |order: &str| {
        let mut w = spf_world(traffic);
        w.mx_co = String::new();
        w.nodes += &format!(
            r#"
        Node(id: "open", isp: "hosting", ip: "203.0.113.80", kind: OpenRelay(hostname: "mail.open.example",
            spf: SpfCheck(){order})),"#
        );
        w.links += r#"Link(a: "open", b: "internet", latency: "5ms"),"#;
        run(&w, 3)
    };
    // Postfix's default order: every client of an open relay is permitted
    // before the SPF check is reached (and `check` warns about it).
    let (_, r) = open("");
    assert!(r.sources["forged"].delivered > 0);
    assert_eq!(r.nodes["open"].spf.values().sum::<u64>(), 0, "SPF never asked");
    // `[CheckSpf, PermitMynetworks]`: SPF first, then relay for anyone.
    let (sim, r) = open(", recipient_restrictions: [CheckSpf, PermitMynetworks]");
    assert_eq!(r.sources["forged"].delivered, 0);
    let forged = &from_source(&sim, "forged")[0];
    assert!(server_lines(forged).iter().any(|l| l.starts_with("550 5.7.23")), "{:?}", server_lines(forged));
    assert!(r.sources["own-domain"].delivered > 0, "an SPF pass is then relayed");
    assert!(r.nodes["open"].relayed > 0);
}

#[test]
fn greylisting_defers_only_what_the_rest_of_the_list_would_permit() {
    // DEFER_IF_PERMIT: greylisting before reject_unauth_destination does not
    // turn a relay refusal (554) into a deferral (450).
    let w = World {
        mx_co: r#"greylist: Greylist(), recipient_restrictions: [CheckGreylist, PermitMynetworks, RejectUnauthDestination]"#
            .into(),
        nodes: r#"
        Node(id: "bot", isp: "isp-b", ip: "10.2.66.6", kind: SpamBot()),"#
            .into(),
        links: r#"Link(a: "bot", b: "internet", latency: "20ms"),"#.into(),
        traffic: r#"
        Spam(id: "relay-try", senders: ["bot"], rate: "10/h", strategy: OpenRelays(["mx-co"]), forged_from: ["x@isp-b.example"], to: ["dave@corp.example"]),
        Spam(id: "local", senders: ["bot"], rate: "10/h", strategy: DirectToMx, forged_from: ["x@isp-b.example"], to: ["bob@company.example"]),"#
            .into(),
        ..World::default()
    };
    let (sim, r) = run(&w, 2);
    let tried = &from_source(&sim, "relay-try")[0];
    assert!(server_lines(tried).iter().any(|l| l.starts_with("554 5.7.1")), "{:?}", server_lines(tried));
    let local = &from_source(&sim, "local")[0];
    assert!(server_lines(local).iter().any(|l| l.starts_with("450 4.7.1")), "{:?}", server_lines(local));
    assert_eq!(r.nodes["mx-co"].refused.get("relay_denied").copied(), Some(r.sources["relay-try"].sent));
}

#[test]
fn a_single_spambot_with_a_stolen_account_authenticates_and_the_relay_relays() {
    let traffic = r#"Spam(id: "stolen", senders: ["pc"], rate: "6/h",
        strategy: StolenCredentials(relay: "relay-a", port: 587, share: 0.5,
            credentials: [Credentials(user: "weak@isp-a.example", password: "123456")]),
        forged_from: ["weak@isp-a.example"], to: ["bob@company.example"]),"#;
    let bot = r#"Node(id: "pc", isp: "isp-b", ip: "10.2.0.5", kind: SpamBot()),"#;
    let (sim, r) = run(&auth_world(bot, traffic), 1);
    let spam = from_source(&sim, "stolen");
    let first = &spam[0].hops[0];
    assert_eq!((sim.nodes[first.to].id.as_str(), first.port), ("relay-a", 587), "not directly to the MX");
    assert!(server_lines(spam[0]).iter().any(|l| l.starts_with("235 2.7.0")), "it authenticates");
    assert!(r.nodes["relay-a"].relayed > 0);
}

#[test]
fn a_server_that_never_retries_counts_its_deferrals_and_loses_the_mail() {
    let w = World {
        relay_a: r#"retries: false"#.into(),
        mx_co: r#"down: [Window(from: "0s", to: "1h")]"#.into(),
        nodes: r#"
        Node(id: "alice", isp: "isp-a", ip: "10.1.0.25", kind: ClientPc(user: "alice@isp-a.example", mail_client: MailClient(server: "relay-a"))),"#
            .into(),
        links: r#"Link(a: "alice", b: "edge-a", latency: "5ms"),"#.into(),
        traffic: r#"Once(id: "m", from: "alice", to: "bob@company.example", at: "1m"),"#.into(),
        ..World::default()
    };
    let (sim, r) = run(&w, 0);
    assert_eq!(r.nodes["relay-a"].deferred, 1, "`deferred` counts the temporary failure");
    assert!(matches!(from_source(&sim, "m")[0].fate, Fate::Lost { .. }), "but nothing retries it");
}
