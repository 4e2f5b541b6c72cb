use super::*;

#[test]
fn shipped_files_format_and_read_back() {
    for e in crate::tour::all() {
        let s = e.load().expect("ships valid");
        let f = format(&s, Some(e.text));
        let back =
            crate::scenario::parse(&f.text, e.name).unwrap_or_else(|err| panic!("{}: {err}\n{}", e.name, f.text));
        assert_eq!(crate::scenario::to_ron(&back).ok(), crate::scenario::to_ron(&s).ok(), "{}", e.name);
    }
}

#[test]
#[ignore = "writes the formatted shipped files to /tmp/fmt-out for reading"]
fn dump() {
    let _ = std::fs::create_dir_all("/tmp/fmt-out");
    for e in crate::tour::all() {
        let s = e.load().expect("ships valid");
        let f = format(&s, Some(e.text));
        let _ = std::fs::write(format!("/tmp/fmt-out/{}.ron", e.stem()), &f.text);
        let lines: Vec<String> = f.lines.iter().map(|p| p.to_string()).collect();
        let _ = std::fs::write(format!("/tmp/fmt-out/{}.paths", e.stem()), lines.join("\n"));
        let _ = std::fs::write(format!("/tmp/fmt-out/{}.lost", e.stem()), format!("{:#?}", f.lost_comments));
    }
}

/// The comments of a text, as written (trimmed).
fn comments(src: &str) -> Vec<String> {
    scan::lex(src)
        .trivia
        .into_iter()
        .flatten()
        .filter_map(|t| match t {
            Trivia::Comment { text, .. } => Some(text.trim().to_string()),
            Trivia::Blank => None,
        })
        .collect()
}

#[test]
fn shipped_files_keep_every_comment_and_format_is_idempotent() {
    for e in crate::tour::all() {
        let s = e.load().expect("ships valid");
        let f = format(&s, Some(e.text));
        assert_eq!(f.lost_comments, vec![], "{}", e.name);
        let mut want = comments(e.text);
        let mut got = comments(&f.text);
        want.sort();
        got.sort();
        assert_eq!(got, want, "{}", e.name);
        let again = format(&crate::scenario::parse(&f.text, e.name).expect("reads back"), Some(&f.text));
        assert_eq!(again.text, f.text, "{}: not idempotent", e.name);
        assert_eq!(again.lost_comments, vec![]);
        assert_eq!(f.lines.len(), f.text.lines().count(), "{}", e.name);
    }
}

#[test]
fn a_deleted_node_loses_its_own_comments_only() {
    let e = crate::tour::find("era:2").expect("era 2");
    let mut s = e.load().expect("ships valid");
    s.nodes.retain(|n| n.id != "relay-univ" && n.id != "smtp-co");
    let f = format(&s, Some(e.text));
    let lost: Vec<&str> = f.lost_comments.iter().map(|c| c.text.as_str()).collect();
    assert_eq!(
        lost,
        vec![
            "// The company's outgoing server for staff working from home (SMTP-AUTH on 25 and 587).",
            "// Dave (a former professor) forwards his old address to work. Plain",
            "// forwarding keeps the envelope sender, which breaks SPF (era 6).",
        ]
    );
    assert!(f.text.contains("relay: IspNetworks, // mynetworks = this ISP's ranges"));
    assert!(f.text.contains("        // Mail servers.\n        Node(id: \"relay-a\""));
}

#[test]
fn comments_follow_their_item_when_items_move() {
    let src = "// header\n\nScenario(name: \"x\", duration: \"1d\",\n    nodes: [\n        // first\n        Node(id: \"a\", kind: Dns),\n        Node(id: \"b\", kind: Dns), // second\n        /* end of the list */\n    ],\n) // after\n";
    let mut s = crate::scenario::parse_syntax(src, "t.ron").expect("reads");
    s.nodes.reverse();
    let f = format(&s, Some(src));
    assert_eq!(f.lost_comments, vec![]);
    assert_eq!(
        f.text,
        "// header\n\nScenario(\n    name: \"x\",\n    duration: \"1d\",\n    nodes: [\n        Node(id: \"b\", kind: Dns), // second\n        // first\n        Node(id: \"a\", kind: Dns),\n        /* end of the list */\n    ],\n)\n// after\n"
    );
}

#[test]
fn a_comment_left_in_an_emptied_value_keeps_its_place() {
    let src = "Scenario(name: \"x\", duration: \"1d\", nodes: [\n    Node(id: \"r\", kind: Router(\n        // filters to come\n    )),\n\n])\n";
    let s = crate::scenario::parse_syntax(src, "t.ron").expect("reads");
    let f = format(&s, Some(src));
    assert_eq!(f.lost_comments, vec![]);
    assert!(
        f.text.contains("        // filters to come\n        Node(id: \"r\", kind: Router()),\n    ],"),
        "{}",
        f.text
    );
    let again = format(&s, Some(&f.text));
    assert_eq!(again.text, f.text);
}

#[test]
fn deep_or_broken_originals_are_read_without_failing() {
    let s = crate::tour::find("example:relay-chain").and_then(|e| e.load().ok()).expect("an example");
    let deep = format!("{}{}", "(".repeat(100_000), ")".repeat(3));
    for original in [deep.as_str(), "", "/* open", "\"open", "r#\"raw", "'", "#![enable(x)]", ")))]]]", "// only"] {
        let f = format(&s, Some(original));
        let back = crate::scenario::parse_syntax(&f.text, "t.ron").expect("reads back");
        assert_eq!(crate::scenario::to_ron(&back).ok(), crate::scenario::to_ron(&s).ok());
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 64, ..Default::default() })]

    /// Whatever text is given as the original, the result reads back as the
    /// scenario, and every comment of it is either written or listed as lost.
    #[test]
    fn any_original_text_is_survived(cut in 0usize..4000, junk in "[(){}\\[\\],:\"'/*a-z \n#r]{0,40}") {
        let e = crate::tour::find("example:dnsbl").expect("an example");
        let s = e.load().expect("ships valid");
        let at = e.text.char_indices().map(|(i, _)| i).nth(cut).unwrap_or(e.text.len());
        let original = format!("{}{junk}{}", &e.text[..at], &e.text[at..]);
        let f = format(&s, Some(&original));
        let back = crate::scenario::parse_syntax(&f.text, "t.ron");
        proptest::prop_assert!(back.is_ok(), "{}", f.text);
        proptest::prop_assert_eq!(comments(&f.text).len() + f.lost_comments.len(), comments(&original).len(), "{}", f.text);
    }
}
