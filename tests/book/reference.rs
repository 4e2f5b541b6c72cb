//! The scenario reference (`book/src/reference.md`) cannot fall behind the
//! schema: every struct field and enum variant of `src/scenario/schema/`
//! must be documented in the reference section for its type.

use std::fs;

use crate::markdown::{Chapter, root, src};

/// A type of the schema as written in `src/scenario/schema/`.
#[derive(Debug)]
struct Type {
    name: String,
    is_enum: bool,
    /// Struct fields, or the variants of an enum.
    members: Vec<String>,
    /// Fields of struct-like enum variants (`Block { port, … }`).
    variant_fields: Vec<String>,
}

/// Reads the `pub struct` and `pub enum` definitions of the schema's files.
/// This relies on rustfmt's layout (one field or variant per line, four
/// spaces).
fn schema_types() -> Vec<Type> {
    let dir = root().join("src/scenario/schema");
    let mut files: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "rs"))
        .collect();
    files.sort();
    assert!(files.len() > 1, "no schema files in {}", dir.display());
    let text: String = files.iter().map(|f| fs::read_to_string(f).unwrap() + "\n").collect();
    let mut out: Vec<Type> = Vec::new();
    let mut cur: Option<Type> = None;
    let mut in_variant = false;
    let ident = |s: &str| s.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect::<String>();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("pub struct ").or_else(|| line.strip_prefix("pub enum ")) {
            if line.trim_end().ends_with('{') {
                cur = Some(Type {
                    name: ident(rest),
                    is_enum: line.starts_with("pub enum"),
                    members: vec![],
                    variant_fields: vec![],
                });
            }
            continue;
        }
        let Some(t) = cur.as_mut() else { continue };
        if line == "}" {
            out.extend(cur.take());
            continue;
        }
        let trimmed = line.trim_start();
        if trimmed.starts_with("//") || trimmed.starts_with('#') || trimmed.is_empty() {
            continue;
        }
        let indent = line.len() - trimmed.len();
        if !t.is_enum {
            if let Some(f) = trimmed.strip_prefix("pub ") {
                t.members.push(ident(f));
            }
        } else if indent == 4 {
            if in_variant && trimmed.starts_with('}') {
                in_variant = false;
                continue;
            }
            t.members.push(ident(trimmed));
            if let Some((_, inner)) = trimmed.split_once('{') {
                if let Some((inner, _)) = inner.split_once('}') {
                    for f in inner.split(',').filter_map(|f| f.split_once(':')) {
                        t.variant_fields.push(f.0.trim().to_string());
                    }
                } else {
                    in_variant = true;
                }
            }
        } else if in_variant
            && indent == 8
            && let Some((f, _)) = trimmed.split_once(':')
        {
            t.variant_fields.push(f.trim().to_string());
        }
    }
    out
}

/// Where each type is documented: the heading's text (without backticks),
/// and whether its fields have their own table rows (`true`) or are
/// described inline in another type's section (`false`).
fn section_of(ty: &str) -> Option<(&'static str, bool)> {
    Some(match ty {
        "Scenario" => ("Scenario", true),
        "Isp" => ("Isp", true),
        "Node" => ("Node", true),
        "NodeKind" => ("Node kinds", true),
        "ClientPc" => ("ClientPc", true),
        "MailClient" => ("MailClient", true),
        "Credentials" | "PopClient" => ("MailClient", false),
        "SpamBot" => ("SpamBot", true),
        "Population" => ("Population", true),
        "Router" => ("Router", true),
        "Filter" => ("Filter", false),
        "RelayPolicy" => ("RelayPolicy", true),
        "MailServer" => ("MailServer", true),
        "Account" => ("Account", true),
        "PopBeforeSmtp" => ("MailServer", false),
        "Greylist" => ("Greylist", true),
        "Familiar" => ("Familiar", true),
        "Blocklist" => ("Blocklist", true),
        "Tarpit" => ("Tarpit", true),
        "SenderVerify" => ("SenderVerify", true),
        "DnsblCheck" => ("DnsblCheck", true),
        "DnsblStage" => ("DnsblCheck", false),
        "SpfCheck" => ("SpfCheck", true),
        "SpfAction" => ("SpfCheck", false),
        "MailboxServer" => ("MailboxServer", true),
        "Window" => ("Window", false),
        "Backoff" => ("Backoff", true),
        "Shape" => ("Backoff", false),
        "OutboundChoice" => ("MailServer", false),
        "Restriction" => ("Restriction", true),
        "Retry" => ("Retry", true),
        "Link" => ("Link", true),
        "Zone" => ("Zone", true),
        "Source" => ("Traffic sources", true),
        "OnceMail" => ("Once", true),
        "LegitSource" => ("Legit", true),
        "SpamCampaign" => ("Spam", true),
        "Strategy" => ("Strategy", true),
        "Step" => ("Step", true),
        "Trigger" => ("Trigger", true),
        "Match" => ("Match", true),
        "Class" => ("Class", true),
        "MsgRef" => ("MsgRef", true),
        "Focus" => ("Focus", true),
        "Predict" => ("Predict", true),
        "Action" => ("Action", true),
        "SendMail" | "SendSpam" | "Switch" => ("Action", false),
        "Defense" => ("Defense", true),
        "Adapt" | "Adaptive" => ("Adapt", true),
        "ChannelUse" => ("Adapt", true),
        "RetryShare" => ("Adapt", false),
        "Dated" => ("Dated", true),
        "When" => ("Dated", false),
        "Change" => ("Change", true),
        "Hosts" | "Setting" | "TrafficChange" => ("Change", false),
        "NodeSet" => ("NodeSet", true),
        _ => return None,
    })
}

/// The text of the section under the heading `title`, up to the next heading
/// of the same or a higher level.
fn section(ch: &Chapter, title: &str) -> Option<String> {
    let i = ch.headings.iter().position(|h| h.text.trim() == title)?;
    let h = &ch.headings[i];
    let end = ch.headings[i + 1..].iter().find(|n| n.level <= h.level).map_or(usize::MAX, |n| n.line);
    Some(
        ch.text
            .lines()
            .enumerate()
            .filter(|(n, _)| n + 1 > h.line && n + 1 < end)
            .map(|(_, l)| l)
            .collect::<Vec<_>>()
            .join("\n"),
    )
}

/// A table row whose first cell names the member: `` | `name` | `` or
/// `` | `a`, `b` | ``; for enums also `` | `Name(…)` | ``.
fn has_row(section: &str, member: &str) -> bool {
    section.lines().filter_map(|l| l.strip_prefix('|')).filter_map(|l| l.split('|').next()).any(|cell| {
        cell.contains(&format!("`{member}`"))
            || cell.contains(&format!("`{member}("))
            || cell.contains(&format!("`{member} "))
    })
}

fn mentions(section: &str, word: &str) -> bool {
    section.match_indices(word).any(|(i, _)| {
        let before = section[..i].chars().next_back();
        let after = section[i + word.len()..].chars().next();
        let boundary = |c: Option<char>| c.is_none_or(|c| !(c.is_alphanumeric() || c == '_'));
        boundary(before) && boundary(after)
    })
}

#[test]
fn every_schema_field_and_variant_is_in_the_reference() {
    let types = schema_types();
    assert!(types.len() >= 25, "the schema parse found only {} types: {types:?}", types.len());
    let ch = Chapter::load(&src().join("reference.md"));
    let mut failures = Vec::new();
    for t in &types {
        let Some((title, rows)) = section_of(&t.name) else {
            failures.push(format!(
                "schema type `{}` has no section in the reference (add it to reference.md and to section_of in tests/book/reference.rs)",
                t.name
            ));
            continue;
        };
        let Some(sec) = section(&ch, title) else {
            failures.push(format!("reference.md has no heading `{title}` (for schema type `{}`)", t.name));
            continue;
        };
        for m in &t.members {
            // An enum variant may have its own sub-heading instead of a row.
            let sub_heading = t.is_enum && sec.lines().any(|l| l.starts_with('#') && mentions(l, m));
            let ok = sub_heading || if rows { has_row(&sec, m) } else { mentions(&sec, m) };
            if !ok {
                let how = if rows { "table row (or sub-heading)" } else { "mention" };
                failures.push(format!("`{}::{m}` has no {how} in the section `{title}` of reference.md", t.name));
            }
        }
        for f in &t.variant_fields {
            if !mentions(&sec, f) {
                failures
                    .push(format!("field `{f}` of an enum variant of `{}` is not in the section `{title}`", t.name));
            }
        }
    }
    assert!(failures.is_empty(), "the scenario reference is behind the schema:\n{}", failures.join("\n"));
}

#[test]
fn the_schema_reader_sees_fields_and_variants() {
    let types = schema_types();
    let find = |n: &str| types.iter().find(|t| t.name == n).unwrap_or_else(|| panic!("no type {n}"));
    assert!(find("MailServer").members.contains(&"verify_recipients".to_string()));
    assert!(find("Retry").members.contains(&"OtherHost".to_string()));
    assert!(find("Filter").variant_fields.contains(&"unless_to".to_string()));
    assert!(find("Strategy").variant_fields.contains(&"share".to_string()));
    assert_eq!(find("NodeKind").members.len(), 10);
}
