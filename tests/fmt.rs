//! `relaysim fmt` and the formatter the editor saves with
//! (`scenario::format::format`): every shipped scenario formats to a text
//! that reads back as the same scenario, runs the same, keeps its comments,
//! and formats to itself; edits keep the comments of what they did not touch.
#![cfg(feature = "cli")]

use std::path::PathBuf;
use std::process::Command;

use proptest::prelude::*;
use relaysim::scenario::format::{Formatted, format};
use relaysim::scenario::{self, Scenario};
use relaysim::sim::RunOptions;
use relaysim::stats::Report;

fn relaysim(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_relaysim"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the binary runs")
}

/// A fresh directory for one test's files.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("relaysim-fmt-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    dir
}

/// The `//` and `/* */` comments of RON text, trimmed, in order. Strings
/// are skipped (a `//` in a URL is not a comment).
fn comments(src: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = src.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => {
                while let Some((_, c)) = chars.next() {
                    match c {
                        '\\' => {
                            chars.next();
                        }
                        '"' => break,
                        _ => {}
                    }
                }
            }
            '/' if matches!(chars.peek(), Some((_, '/'))) => {
                let end = src[i..].find('\n').map_or(src.len(), |e| i + e);
                out.push(src[i..end].trim().to_string());
                while chars.peek().is_some_and(|&(j, _)| j < end) {
                    chars.next();
                }
            }
            '/' if matches!(chars.peek(), Some((_, '*'))) => {
                let end = src[i..].find("*/").map_or(src.len(), |e| i + e + 2);
                out.push(src[i..end].trim().to_string());
                while chars.peek().is_some_and(|&(j, _)| j < end) {
                    chars.next();
                }
            }
            _ => {}
        }
    }
    out
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

fn same(a: &Scenario, b: &Scenario) -> bool {
    scenario::to_ron(a).ok() == scenario::to_ron(b).ok()
}

fn formatted(name: &str) -> (Scenario, &'static str, Formatted) {
    let e = relaysim::tour::find(name).expect("a shipped scenario");
    let s = e.load().expect("ships valid");
    let f = format(&s, Some(e.text));
    (s, e.text, f)
}

/// A short run (one simulated hour, no transcripts) and its report.
fn report(s: Scenario) -> Report {
    let opts = RunOptions::new(s.seed).transcripts(false);
    let hour: relaysim::units::Duration = "1h".parse().expect("a duration");
    Report::of(&relaysim::run(s, opts, Some(hour.0)))
}

#[test]
fn every_shipped_scenario_formats_to_the_same_scenario_with_its_comments() {
    for e in relaysim::tour::all() {
        let (s, text, f) = formatted(e.name);
        let back = scenario::parse(&f.text, "formatted.ron")
            .unwrap_or_else(|err| panic!("{}: the formatted text does not check:\n{err}\n{}", e.name, f.text));
        assert!(same(&back, &s), "{}: reads back as another scenario", e.name);
        assert_eq!(sorted(comments(&f.text)), sorted(comments(text)), "{}: comments", e.name);
        assert_eq!(f.lost_comments, vec![], "{}", e.name);
        assert_eq!(f.lines.len(), f.text.lines().count(), "{}: one path per line", e.name);
        let again = format(&back, Some(&f.text));
        assert_eq!(again.text, f.text, "{}: formatting the formatted text changes it", e.name);
    }
}

#[test]
fn every_shipped_scenario_runs_the_same_once_formatted() {
    for e in relaysim::tour::all() {
        let (s, _, f) = formatted(e.name);
        let back = scenario::parse(&f.text, "formatted.ron").expect("checks");
        assert_eq!(report(back), report(s), "{}: another run", e.name);
    }
}

#[test]
fn lines_name_the_field_written_on_them() {
    let (_, _, f) = formatted("era:2");
    let lines: Vec<&str> = f.text.lines().collect();
    let at = lines.iter().position(|l| l.trim_start().starts_with("relay: IspNetworks")).expect("a relay line");
    assert_eq!(f.lines[at].to_string(), "nodes[10].kind.relay");
    let node = lines.iter().position(|l| l.contains("Node(id: \"relay-a\"")).expect("relay-a");
    assert_eq!(f.lines[node].to_string(), "nodes[10]");
    assert_eq!(f.lines[0].to_string(), "", "the header belongs to the scenario");
}

#[test]
fn an_explicit_default_stays_and_an_implicit_one_is_not_added() {
    let src = "Scenario(name: \"x\", duration: \"1d\", seed: 0, nodes: [\n    // the client\n    Node(id: \"pc\", kind: ClientPc(user: \"a@b.example\", mail_client: MailClient(server: \"r\", port: 25))),\n    Node(id: \"r\", kind: IspRelay(hostname: \"r.example\")),\n])\n";
    let s = scenario::parse_syntax(src, "t.ron").expect("reads");
    let f = format(&s, Some(src));
    assert!(f.text.contains("port: 25"), "written by the author:\n{}", f.text);
    assert!(f.text.contains("seed: 0"), "{}", f.text);
    assert!(!f.text.contains("retry:"), "a default the author did not write:\n{}", f.text);
    assert!(!f.text.contains("ports:"), "{}", f.text);
    assert!(
        f.text.contains("    // the client\n        Node(id: \"pc\"")
            || f.text.contains("        // the client\n        Node(id: \"pc\"")
    );
    let without = format(&s, None);
    assert!(!without.text.contains("port: 25") && !without.text.contains("seed: 0"), "{}", without.text);
}

/// Where a node's text begins in the original (its `Node(id: "…"` line).
fn node_line(text: &str, id: &str) -> Option<usize> {
    let needle = format!("Node(id: \"{id}\"");
    text.lines().position(|l| l.contains(&needle)).map(|i| i + 1)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Deleting a node loses only the comments written between the node
    /// before it and the node after it; relabelling or adding a node, or
    /// changing a link's latency, loses none. Every comment of the original
    /// is either in the new text or listed as lost.
    #[test]
    fn edits_keep_the_comments_of_what_they_do_not_touch(which in 0usize..22, edit in 0u8..4, pick in any::<prop::sample::Index>()) {
        let entries: Vec<_> = relaysim::tour::all().collect();
        let e = entries[which % entries.len()];
        let original = e.load().expect("ships valid");
        let mut s = original.clone();
        let i = pick.index(s.nodes.len());
        let mut lost_allowed = None;
        match edit {
            0 => {
                let id = s.nodes[i].id.clone();
                let from = i.checked_sub(1).and_then(|p| node_line(e.text, &original.nodes[p].id)).unwrap_or(0);
                let to = original.nodes.get(i + 1).and_then(|n| node_line(e.text, &n.id)).unwrap_or(usize::MAX);
                prop_assert!(node_line(e.text, &id).is_some());
                lost_allowed = Some((from, to));
                s.nodes.remove(i);
            }
            1 => s.nodes[i].label = Some("Relabelled \"node\" // not a comment".into()),
            2 => {
                let mut n = s.nodes[i].clone();
                n.id = format!("{}-copy", n.id);
                s.nodes.insert(i, n);
            }
            _ => {
                let k = i % s.links.len().max(1);
                if let Some(l) = s.links.get_mut(k) {
                    l.latency = "7ms".parse().expect("a duration");
                }
            }
        }
        let f = format(&s, Some(e.text));
        let back = scenario::parse_syntax(&f.text, "edited.ron").expect("the text reads back");
        prop_assert!(same(&back, &s));
        let mut kept_and_lost = comments(&f.text);
        kept_and_lost.extend(f.lost_comments.iter().map(|c| c.text.trim().to_string()));
        prop_assert_eq!(sorted(kept_and_lost), sorted(comments(e.text)));
        match lost_allowed {
            None => prop_assert_eq!(&f.lost_comments, &vec![]),
            Some((from, to)) => {
                for c in &f.lost_comments {
                    prop_assert!(c.line > from && c.line < to, "{}: comment at line {} lost, outside {}..{}", e.name, c.line, from, to);
                }
            }
        }
        // Formatting the edited text again keeps it.
        let again = format(&back, Some(&f.text));
        prop_assert_eq!(again.text, f.text);
    }
}

#[test]
fn fmt_writes_to_stdout_what_the_library_writes() {
    let out = relaysim(&["fmt", "example:dnsbl"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let (_, _, f) = formatted("example:dnsbl");
    assert_eq!(String::from_utf8_lossy(&out.stdout), f.text);
    let file = relaysim(&["fmt", "scenarios/examples/dnsbl.ron"]);
    assert_eq!(file.stdout, out.stdout, "a file and its built-in name format alike");
}

#[test]
fn fmt_out_writes_a_file_that_check_accepts_and_fmt_check_passes() {
    let dir = scratch("out");
    let out = dir.join("era2.ron");
    let o = relaysim(&["fmt", "era:2", "--out", out.to_str().expect("utf-8 path")]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(o.stdout.is_empty());
    let c = relaysim(&["check", out.to_str().expect("utf-8 path")]);
    assert!(c.status.success(), "{}", String::from_utf8_lossy(&c.stderr));
    let k = relaysim(&["fmt", "--check", out.to_str().expect("utf-8 path")]);
    assert_eq!(k.status.code(), Some(0), "{}", String::from_utf8_lossy(&k.stderr));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn fmt_check_fails_on_an_unformatted_file_and_names_the_line() {
    let k = relaysim(&["fmt", "--check", "scenarios/examples/dnsbl.ron"]);
    assert_eq!(k.status.code(), Some(1));
    let err = String::from_utf8_lossy(&k.stderr);
    assert!(err.contains("scenarios/examples/dnsbl.ron:") && err.contains("not formatted"), "{err}");
    assert!(k.stdout.is_empty());
}

#[test]
fn fmt_in_place_rewrites_the_file_and_refuses_a_built_in_name() {
    let dir = scratch("inplace");
    let file = dir.join("w.ron");
    std::fs::write(
        &file,
        "Scenario(name: \"w\", duration: \"1d\",\n  nodes: [Node(id: \"dns\", kind: Dns)], // the DNS\n)\n",
    )
    .expect("written");
    let p = file.to_str().expect("utf-8 path");
    let o = relaysim(&["fmt", "-i", p]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = std::fs::read_to_string(&file).expect("read back");
    assert!(text.contains("// the DNS"), "{text}");
    assert_eq!(relaysim(&["fmt", "--check", p]).status.code(), Some(0), "{text}");
    let b = relaysim(&["fmt", "--in-place", "era:1"]);
    assert_eq!(b.status.code(), Some(1));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn fmt_reports_a_syntax_error_with_its_position() {
    let dir = scratch("syntax");
    let file = dir.join("bad.ron");
    std::fs::write(&file, "Scenario(\n    name: \"x\",\n    duration: \"1d\"\n    nodes: [],\n)\n").expect("written");
    let p = file.to_str().expect("utf-8 path");
    let o = relaysim(&["fmt", p]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains(&format!("{p}:4:")), "{err}");
    assert!(o.stdout.is_empty());
    let missing = relaysim(&["fmt", dir.join("none.ron").to_str().expect("utf-8 path")]);
    assert_eq!(missing.status.code(), Some(1));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn fmt_formats_a_world_with_errors_and_says_so() {
    let dir = scratch("errors");
    let file = dir.join("dup.ron");
    std::fs::write(
        &file,
        "Scenario(name: \"x\", duration: \"1d\", nodes: [Node(id: \"a\", kind: Dns), Node(id: \"a\", kind: Dns)])\n",
    )
    .expect("written");
    let o = relaysim(&["fmt", file.to_str().expect("utf-8 path")]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stderr).contains("problem(s)"));
    assert!(String::from_utf8_lossy(&o.stdout).contains("Node(id: \"a\", kind: Dns),\n        Node(id: \"a\""));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn fmt_out_to_an_unwritable_place_is_status_3() {
    let dir = scratch("unwritable");
    let out = dir.join("no-such-dir").join("x.ron");
    let o = relaysim(&["fmt", "era:1", "--out", out.to_str().expect("utf-8 path")]);
    assert_eq!(o.status.code(), Some(3));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_benchmark_world_formats_to_the_same_scenario() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/bench/internet-small.ron");
    let text = std::fs::read_to_string(path).expect("the benchmark world");
    let s = scenario::parse_syntax(&text, path).expect("reads");
    let f = format(&s, Some(&text));
    let back = scenario::parse_syntax(&f.text, "formatted.ron").expect("reads back");
    assert!(same(&back, &s));
    assert_eq!(sorted(comments(&f.text)), sorted(comments(&text)));
    assert_eq!(format(&back, Some(&f.text)).text, f.text);
}

#[test]
fn a_checker_message_on_the_formatted_text_points_at_its_field() {
    let mut s = relaysim::tour::find("era:2").and_then(|e| e.load().ok()).expect("era 2");
    let i = s.nodes.iter().position(|n| n.id == "alice").expect("alice");
    if let scenario::NodeKind::ClientPc(pc) = &mut s.nodes[i].kind {
        pc.mail_client.server = "no-such-relay".into();
    }
    let f = format(&s, relaysim::tour::find("era:2").map(|e| e.text));
    let Err(scenario::LoadError::Problems(problems)) = scenario::parse(&f.text, "edited.ron") else {
        panic!("a dangling server is refused")
    };
    let p = problems.iter().find(|p| f.text.lines().nth(p.pos.line - 1).is_some_and(|l| l.contains("no-such-relay")));
    let p = p.unwrap_or_else(|| panic!("a problem on the line of the server: {problems:?}"));
    let path = f.lines[p.pos.line - 1].to_string();
    assert!(path.starts_with(&format!("nodes[{i}].kind.mail_client")), "{path}");
}
