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
