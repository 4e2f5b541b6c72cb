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
