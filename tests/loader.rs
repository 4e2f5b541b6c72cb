//! Scenario files: every problem named with file:line:column, never a panic.

mod common;

use proptest::prelude::*;
use relaysim::scenario::{self, ProblemKind};

fn problems(src: &str) -> Vec<relaysim::scenario::Problem> {
    match scenario::parse(src, "bad.ron") {
        Ok(_) => panic!("should not load"),
        Err(e) => e.problems().to_vec(),
    }
}

fn base() -> String {
    common::small_world("IspNetworks", "", "", r#"Once(id: "m", from: "alice", to: "bob@company.example", at: "1m"),"#)
}

#[test]
fn the_base_world_loads() {
    common::parse(&base());
}

#[test]
fn a_syntax_error_names_its_line_and_column() {
    let src = base().replace(r#"name: "small world","#, r#"name: "small world" oops"#);
    let p = problems(&src);
    assert_eq!(p.len(), 1);
    assert_eq!((p[0].pos.line, p[0].file.as_str()), (2, "bad.ron"));
    assert!(matches!(p[0].kind, ProblemKind::Syntax(_)));
    assert!(p[0].to_string().starts_with("bad.ron:2:"));
}

#[test]
fn an_unknown_field_is_reported_with_its_line_and_the_expected_fields() {
    let src = base().replace(r#"duration: "6h","#, "duration: \"6h\",\n    speling: 3,");
    let p = problems(&src);
    assert_eq!(p[0].pos.line, 4);
    let msg = p[0].to_string();
    assert!(msg.contains("speling") && msg.contains("expected one of"), "{msg}");
}

#[test]
fn a_bad_duration_is_explained() {
    let src = base().replace(r#"duration: "6h","#, r#"duration: "6 hours","#);
    let p = problems(&src);
    assert_eq!(p[0].pos.line, 3);
    assert!(p[0].to_string().contains("is not a duration"), "{}", p[0]);
}

#[test]
fn every_validation_problem_is_reported_at_once_at_its_place() {
    let src = base()
        .replace(
            r#"MailClient(server: "relay-a"))),
        Node(id: "ken""#,
            r#"MailClient(server: "relay-x"))),
        Node(id: "ken""#,
        )
        .replace(r#"Link(a: "bot", b: "edge-a""#, r#"Link(a: "bott", b: "edge-a""#)
        .replace(r#"Isp(id: "hotel", customers: ["10.3.0.0/24"])"#, r#"Isp(id: "hotel", customers: ["10.1.0.0/24"])"#)
        .replace(r#"Node(id: "bot", isp"#, r#"Node(id: "alice", isp"#);
    let p = problems(&src);
    let text: Vec<String> = p.iter().map(|x| x.to_string()).collect();
    let find =
        |needle: &str| text.iter().find(|t| t.contains(needle)).unwrap_or_else(|| panic!("no `{needle}` in {text:#?}"));
    // Dangling reference: line 12 holds alice's mail client.
    assert!(find("unknown node `relay-x`").starts_with("bad.ron:12:"));
    assert!(find("unknown node `bott`").starts_with("bad.ron:20:"));
    assert!(find("duplicate node id `alice`").starts_with("bad.ron:14:"));
    assert!(find("overlaps 10.1.0.0/24 of ISP `hotel`").starts_with("bad.ron:5:"));
    assert!(find("10.3.0.7 is outside the ranges of ISP `hotel`").starts_with("bad.ron:13:"));
    assert!(p.len() >= 4);
}

#[test]
fn a_recipient_domain_without_mx_is_refused() {
    let src = base().replace(r#"to: "bob@company.example""#, r#"to: "bob@nowhere.example""#);
    let p = problems(&src);
    assert!(matches!(&p[0].kind, ProblemKind::NoMx { domain } if domain == "nowhere.example"));
}

#[test]
fn impossible_numbers_and_bad_cidrs_are_refused() {
    let src = base().replace(r#"customers: ["10.3.0.0/24"]"#, r#"customers: ["10.3.0.1/24"]"#);
    assert!(problems(&src)[0].to_string().contains("host bits"));
    let src = base().replace(r#"at: "1m""#, r#"at: "7h""#);
    assert!(problems(&src)[0].to_string().contains("not before the end"));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Arbitrary text never panics the loader.
    #[test]
    fn arbitrary_text_never_panics(s in "\\PC{0,400}") {
        let _ = scenario::parse(&s, "fuzz.ron");
    }

    /// A valid file cut or corrupted anywhere gives errors, never a panic.
    #[test]
    fn corrupted_files_never_panic(cut in 0usize..3000, junk in "[(){}\\[\\]:,\"a-z0-9 ]{0,8}") {
        let src = base();
        let cut = cut.min(src.len());
        let cut = (0..=cut).rev().find(|&i| src.is_char_boundary(i)).unwrap_or(0);
        let broken = format!("{}{}{}", &src[..cut], junk, &src[cut..]);
        let _ = scenario::parse(&broken, "fuzz.ron");
        let _ = scenario::parse(&src[..cut], "fuzz.ron");
    }
}

#[test]
fn every_shipped_scenario_survives_a_round_trip_through_ron() {
    for dir in ["scenarios/history", "scenarios/examples"] {
        for entry in std::fs::read_dir(common::path(dir)).unwrap() {
            let path = entry.unwrap().path();
            let s = scenario::load(&path).unwrap();
            let text = scenario::to_ron(&s).unwrap();
            let back = scenario::parse(&text, "round-trip.ron").unwrap_or_else(|e| panic!("{}:\n{e}", path.display()));
            assert_eq!(scenario::to_ron(&back).unwrap(), text, "{}", path.display());
        }
    }
}

// ----- what scenario authors could not express before ---------------------------

fn texts(src: &str) -> Vec<String> {
    problems(src).iter().map(|p| p.to_string()).collect()
}

#[test]
fn outbound_addresses_must_be_the_servers_own() {
    let pool =
        |ips: &str| base().replace(r#"relay: IspNetworks)"#, &format!(r#"relay: IspNetworks, outbound_ips: [{ips}])"#));
    common::parse(&pool(r#""192.0.2.10", "192.0.2.11""#));
    let t = texts(&pool(r#""192.0.2.11", "198.18.9.9""#));
    assert!(t.iter().any(|x| x.contains("198.18.9.9 is outside the ranges of ISP `isp-a`")), "{t:#?}");
    let t = texts(&pool(r#""203.0.113.10""#));
    assert!(t.iter().any(|x| x.contains("203.0.113.10 is outside the ranges of ISP `isp-a`")), "{t:#?}");
    // 192.0.2.20 inside ISP A's servers, but another node's address.
    let src = pool(r#""192.0.2.20""#).replace(
        r#"Node(id: "mx-co""#,
        r#"Node(id: "other", isp: "isp-a", ip: "192.0.2.20", kind: OpenRelay(hostname: "o.example")),
        Node(id: "mx-co""#,
    );
    let t = texts(&src);
    assert!(t.iter().any(|x| x.contains("192.0.2.20 is already used by node `other`")), "{t:#?}");
    assert!(t[0].starts_with("bad.ron:15:"), "at the address in the pool: {t:#?}");
}

#[test]
fn syntax_errors_say_what_to_write_with_an_example() {
    let first = |src: &str| texts(src)[0].clone();
    // A variant holding a value, written with a field name.
    let src = base().replace(r#"retry: Never"#, r#"retry: Immediate(count: 5)"#);
    let e = first(&src);
    assert!(
        e.contains(
            "`Immediate` takes its value directly, without a field name (`count:`): write `retry: Immediate(3)`"
        ),
        "{e}"
    );
    // A variant with named fields, written with a bare value.
    let src = base().replace(r#"Router(filters: [])"#, r#"Router(filters: [Op25b("isp-a")])"#);
    let e = first(&src);
    assert!(e.contains("`Op25b` takes named fields (`name: value`): write `Op25b(isp: \"isp-a\")`"), "{e}");
    // An unquoted duration.
    let src = base().replace(r#"duration: "6h","#, r#"duration: 6h,"#);
    let e = first(&src);
    assert!(e.contains("`duration` is written as text in quotes: `duration: \"6h\"`"), "{e}");
    assert!(e.starts_with("bad.ron:3:"), "{e}");
    // The reader's own words are kept at the end.
    assert!(e.ends_with("(the RON reader said: Expected string)"), "{e}");
}

#[test]
fn next_hops_and_retry_shapes_are_checked() {
    let relay = |extra: &str| base().replace(r#"relay: IspNetworks)"#, &format!(r#"relay: IspNetworks{extra})"#));
    let t = texts(&relay(r#", relayhost: "relay-a""#));
    assert!(t.iter().any(|x| x.contains("next hop `relay-a`: is the server itself")), "{t:#?}");
    let t = texts(&relay(r#", relayhost: "alice""#));
    assert!(t.iter().any(|x| x.contains("`alice` is a ClientPc node, but a mail server is expected")), "{t:#?}");
    let t = texts(&relay(r#", transport: [("company.example", "nope")]"#));
    assert!(t.iter().any(|x| x.contains("unknown node `nope`")), "{t:#?}");
    // Two smarthosts that send to each other.
    let ring = relay(r#", relayhost: "mx-co""#).replace(
        r#"mailboxes: ["bob@company.example"] "#,
        r#"mailboxes: ["bob@company.example"], relayhost: "relay-a""#,
    );
    let t = texts(&ring);
    assert!(
        t.iter().any(|x| x.contains("the smarthosts send to each other in a ring (`relay-a` → `mx-co`)")),
        "{t:#?}"
    );
    for (shape, want) in [
        (r#"Fixed("0s")"#, "Fixed: a retry delay of 0s"),
        (r#"Delays([])"#, "Delays: needs at least one delay"),
        (r#"Delays(["5m", "0s"])"#, "Delays: a retry delay of 0s"),
        (r#"Postfix(queue_run_delay: "0s")"#, "queue_run_delay: must be longer than 0s"),
    ] {
        let t = texts(&relay(&format!(", queue: Backoff(shape: {shape})")));
        assert!(t.iter().any(|x| x.contains(want)), "{shape}: {t:#?}");
    }
    common::parse(&relay(r#", queue: Backoff(min: "1m", shape: Postfix(queue_run_delay: "300s"))"#));
}

#[test]
fn settings_that_never_take_effect_are_warned_about() {
    use relaysim::scenario::warnings::warnings;
    let open = |extra: &str| base().replace(r#"relay: IspNetworks)"#, &format!(r#"relay: Open{extra})"#));
    let warned = |src: &str| -> Vec<String> {
        let s = common::parse(src);
        warnings(&s, src, "w.ron").iter().map(|w| w.to_string()).collect()
    };
    let w = warned(&open(", spf: SpfCheck()"));
    assert_eq!(w.len(), 1, "{w:#?}");
    assert!(
        w[0].starts_with("w.ron:15:")
            && w[0].contains("warning: `spf` never takes effect: this server relays for everyone"),
        "{w:#?}"
    );
    assert!(warned(&open(", spf: SpfCheck(), recipient_restrictions: [CheckSpf, PermitMynetworks]")).is_empty());
    let w = warned(&open(", greylist: Greylist(), recipient_restrictions: [CheckSpf, PermitMynetworks, CheckSpf]"));
    let joined = w.join("\n");
    assert!(
        joined.contains("`greylist` never takes effect: `recipient_restrictions` has no `CheckGreylist`"),
        "{joined}"
    );
    assert!(joined.contains("`CheckSpf` does nothing: the server has no `spf` settings"), "{joined}");
    assert!(joined.contains("`CheckSpf` is listed twice"), "{joined}");
    assert!(warned(&base()).is_empty(), "the base world has nothing to warn about");
    let w = warned(&open(r#", pop_before_smtp: PopBeforeSmtp(server: "relay-a"), outbound_choice: Random"#)).join("\n");
    assert!(w.contains("`pop_before_smtp` never takes effect"), "{w}");
    assert!(w.contains("`outbound_choice: Random` does nothing without `outbound_ips`"), "{w}");
    let w = warned(&base().replace(
        r#"mailboxes: ["bob@company.example"] "#,
        r#"mailboxes: ["bob@company.example"], verify_recipients: true"#,
    ));
    assert!(w.iter().any(|x| x.contains("`verify_recipients` does nothing without `mailbox`")), "{w:#?}");
    for dir in ["scenarios/history", "scenarios/examples"] {
        for e in std::fs::read_dir(common::path(dir)).unwrap() {
            let p = e.unwrap().path();
            let w = relaysim::scenario::warnings_in(&p);
            if p.ends_with("restriction-order.ron") {
                // The example shows the warning on purpose, on its default-order relay.
                assert_eq!(w.len(), 1, "{w:#?}");
                assert!(w[0].to_string().contains("`spf` never takes effect"));
            } else {
                assert!(w.is_empty(), "{}: {w:#?}", p.display());
            }
        }
    }
}
