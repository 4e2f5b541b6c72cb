//! The book has no broken links: every relative link and image resolves to a
//! file inside `book/src`, every `#anchor` to a heading of its target, every
//! chapter is in `SUMMARY.md`, and every `{{#include}}` finds its file
//! (checked while chapters are read). Links to the web are not fetched.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use crate::markdown::{Chapter, chapters, normalize_id, rel, src};

fn is_external(dest: &str) -> bool {
    dest.starts_with("http://") || dest.starts_with("https://") || dest.starts_with("mailto:")
}

/// `a/b/../c` → `a/c`, without touching the file system.
fn clean(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            c => out.push(c),
        }
    }
    out
}

#[test]
fn every_relative_link_and_anchor_resolves() {
    let all: BTreeMap<PathBuf, Chapter> = chapters().into_iter().map(|p| (p.clone(), Chapter::load(&p))).collect();
    let mut failures = Vec::new();
    let mut checked = 0;
    for ch in all.values() {
        for l in &ch.links {
            if is_external(&l.dest) {
                continue;
            }
            checked += 1;
            let (file, anchor) = match l.dest.split_once('#') {
                Some((f, a)) => (f, Some(a)),
                None => (l.dest.as_str(), None),
            };
            let target = if file.is_empty() { ch.path.clone() } else { clean(&ch.path.parent().unwrap().join(file)) };
            if !target.starts_with(src()) {
                failures.push(format!(
                    "{}: `{}` leaves book/src (the HTML book cannot serve it)",
                    ch.at(l.line),
                    l.dest
                ));
                continue;
            }
            if !target.exists() {
                failures.push(format!("{}: `{}`: no file {}", ch.at(l.line), l.dest, rel(&target)));
                continue;
            }
            let Some(anchor) = anchor else { continue };
            match all.get(&target) {
                Some(t) if t.headings.iter().any(|h| h.id == anchor) => {}
                Some(t) => failures.push(format!(
                    "{}: `{}`: no heading with id `{anchor}` in {} (ids: {})",
                    ch.at(l.line),
                    l.dest,
                    rel(&target),
                    t.headings.iter().map(|h| h.id.as_str()).collect::<Vec<_>>().join(", ")
                )),
                None => failures.push(format!(
                    "{}: `{}`: an anchor into a file that is not a chapter",
                    ch.at(l.line),
                    l.dest
                )),
            }
        }
    }
    assert!(failures.is_empty(), "{} broken link(s) in the book:\n{}", failures.len(), failures.join("\n"));
    assert!(checked > 20, "only {checked} relative links found: is the parser reading the book?");
}

#[test]
fn every_chapter_is_in_the_summary_and_every_summary_entry_exists() {
    let summary = Chapter::load(&src().join("SUMMARY.md"));
    let listed: Vec<PathBuf> = summary.links.iter().map(|l| clean(&src().join(&l.dest))).collect();
    let mut failures = Vec::new();
    for p in &listed {
        if !p.exists() {
            failures.push(format!("SUMMARY.md lists {}, which does not exist", rel(p)));
        }
    }
    for p in chapters() {
        if p != src().join("SUMMARY.md") && !listed.contains(&p) {
            failures.push(format!("{} is not in SUMMARY.md, so mdbook does not build it", rel(&p)));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn heading_ids_follow_mdbook() {
    assert_eq!(normalize_id("What `check` reports"), "what-check-reports");
    assert_eq!(normalize_id("IspRelay, OpenRelay, SpammerServer, Mx"), "isprelay-openrelay-spammerserver-mx");
    assert_eq!(normalize_id("Era 1: open relays"), "era-1-open-relays");
}
