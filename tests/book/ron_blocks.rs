//! Every ```ron block of the book goes through the scenario checker.
//!
//! Conventions (the info string after the fence):
//! - `ron`: a whole scenario, loaded with `relaysim::scenario::parse` exactly
//!   as `relaysim check` does; it must have no problem.
//! - `ron,fragment=TYPE`: one or more values of a schema type (`Node`,
//!   `Source`, `Zone`, …), separated by commas as in a list; parsed into
//!   `Vec<TYPE>` with the loader's RON options.
//! - `ron,excerpt=PATH`: lines copied from a file of the repository (a
//!   shipped scenario); they must appear there, in order, each run of lines
//!   contiguous. A line `// …` marks lines left out. The file itself is
//!   checked by the tests that check every shipped scenario.

use std::fs;

use relaysim::scenario::*;
use ron::extensions::Extensions;
use serde::de::DeserializeOwned;

use crate::markdown::{Chapter, chapters, rel, root};

fn ron_options() -> ron::Options {
    // The same extensions as `relaysim::scenario::load` turns on.
    ron::Options::default().with_default_extension(Extensions::IMPLICIT_SOME | Extensions::UNWRAP_VARIANT_NEWTYPES)
}

fn parse_list<T: DeserializeOwned>(text: &str) -> Result<usize, String> {
    let body = text.trim().trim_end_matches(',');
    ron_options().from_str::<Vec<T>>(&format!("[\n{body}\n]")).map(|v| v.len()).map_err(|e| e.to_string())
}

/// Parses a fragment into the named schema type.
fn check_fragment(ty: &str, text: &str) -> Result<usize, String> {
    match ty {
        "Scenario" => parse_list::<Scenario>(text),
        "Isp" => parse_list::<Isp>(text),
        "Node" => parse_list::<Node>(text),
        "NodeKind" => parse_list::<NodeKind>(text),
        "MailClient" => parse_list::<MailClient>(text),
        "MailServer" => parse_list::<MailServer>(text),
        "Filter" => parse_list::<Filter>(text),
        "RelayPolicy" => parse_list::<RelayPolicy>(text),
        "Account" => parse_list::<Account>(text),
        "Greylist" => parse_list::<Greylist>(text),
        "SpfCheck" => parse_list::<SpfCheck>(text),
        "Backoff" => parse_list::<Backoff>(text),
        "Retry" => parse_list::<Retry>(text),
        "Window" => parse_list::<Window>(text),
        "Link" => parse_list::<Link>(text),
        "Zone" => parse_list::<Zone>(text),
        "Source" => parse_list::<Source>(text),
        "Strategy" => parse_list::<Strategy>(text),
        "Step" => parse_list::<Step>(text),
        "Trigger" => parse_list::<Trigger>(text),
        "Match" => parse_list::<Match>(text),
        "MsgRef" => parse_list::<MsgRef>(text),
        "Focus" => parse_list::<Focus>(text),
        "Predict" => parse_list::<Predict>(text),
        "Action" => parse_list::<Action>(text),
        "Dated" => parse_list::<Dated>(text),
        other => Err(format!("unknown fragment type `{other}` (add it to tests/book/ron_blocks.rs)")),
    }
}

/// Checks that the lines of `excerpt` appear in `file`, in order; `// …`
/// separates runs of lines that must each be contiguous.
fn check_excerpt(path: &str, excerpt: &str) -> Result<(), String> {
    let file = fs::read_to_string(root().join(path)).map_err(|e| format!("{path}: {e}"))?;
    let lines: Vec<&str> = file.lines().map(str::trim).collect();
    let mut from = 0;
    let mut run: Vec<&str> = Vec::new();
    let mut runs: Vec<Vec<&str>> = Vec::new();
    for l in excerpt.lines().map(str::trim) {
        if l == "// …" || l == "// ..." {
            runs.push(std::mem::take(&mut run));
        } else if !l.is_empty() {
            run.push(l);
        }
    }
    runs.push(run);
    for run in runs.into_iter().filter(|r| !r.is_empty()) {
        let found = (from..lines.len().saturating_sub(run.len() - 1))
            .find(|&i| lines[i..].iter().filter(|l| !l.is_empty()).take(run.len()).eq(run.iter()));
        match found {
            Some(i) => from = i + 1,
            None => return Err(format!("these lines are not in {path} (in this order):\n{}", run.join("\n"))),
        }
    }
    Ok(())
}

#[test]
fn every_ron_block_is_checked() {
    let mut failures = Vec::new();
    let mut counts = [0usize; 3];
    for path in chapters() {
        let ch = Chapter::load(&path);
        for b in ch.blocks.iter().filter(|b| b.info == "ron" || b.info.starts_with("ron,")) {
            let at = ch.at(b.line);
            let result = if b.info == "ron" {
                counts[0] += 1;
                parse(&b.text, &at).map(|_| ()).map_err(|e| e.to_string())
            } else if let Some(ty) = b.info.strip_prefix("ron,fragment=") {
                counts[1] += 1;
                match check_fragment(ty, &b.text) {
                    Ok(0) => Err("an empty fragment".into()),
                    Ok(_) => Ok(()),
                    Err(e) => Err(e),
                }
            } else if let Some(file) = b.info.strip_prefix("ron,excerpt=") {
                counts[2] += 1;
                check_excerpt(file, &b.text)
            } else {
                Err(format!("unknown info string `{}` (see tests/book/ron_blocks.rs)", b.info))
            };
            if let Err(e) = result {
                failures.push(format!("{at}: ```{}\n{e}\n", b.info));
            }
        }
        // A RON block with another language tag would escape the check.
        for b in ch.blocks.iter().filter(|b| b.info.is_empty() && b.text.contains("Scenario(")) {
            failures.push(format!("{}: a scenario in a block without `ron`", ch.at(b.line)));
        }
    }
    assert!(failures.is_empty(), "{} RON block(s) of the book fail:\n{}", failures.len(), failures.join("\n"));
    assert!(counts[0] >= 1, "the book should show whole scenarios (found {})", counts[0]);
    eprintln!("checked {} scenarios, {} fragments, {} excerpts", counts[0], counts[1], counts[2]);
}

#[test]
fn the_checker_refuses_a_bad_fragment_and_a_wrong_excerpt() {
    assert!(check_fragment("Node", r#"Node(id: "x", kind: Router(), colour: "red")"#).is_err());
    assert!(check_fragment("Node", r#"Node(id: "x", kind: Router()),"#).is_ok());
    assert!(check_fragment("Window", r#"Window(from: "0s", to: "10 minutes")"#).is_err());
    assert!(check_excerpt("scenarios/examples/relay-chain.ron", "Scenario(\n    duration: \"10m\",").is_err());
    assert!(check_excerpt("scenarios/examples/relay-chain.ron", "Scenario(\n// …\n    duration: \"10m\",").is_ok());
}

/// The book's own example files (`book/examples/`): the tutorial's steps must
/// load; the files that show errors (`*broken*`, `typo*`) must not.
#[test]
fn the_book_example_files_load_or_fail_as_intended() {
    let mut files = Vec::new();
    let mut dirs = vec![root().join("book/examples")];
    while let Some(d) = dirs.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "ron") {
                files.push(p);
            }
        }
    }
    assert!(files.len() >= 5, "book/examples has {} RON files", files.len());
    for f in files {
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        let bad = name.contains("broken") || name.starts_with("typo");
        match (load(&f), bad) {
            (Ok(_), false) | (Err(_), true) => {}
            (Ok(_), true) => panic!("{} should show an error but loads", rel(&f)),
            (Err(e), false) => panic!("{} does not load:\n{e}", rel(&f)),
        }
    }
}
