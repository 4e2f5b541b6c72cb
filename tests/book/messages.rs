//! The list of every message `relaysim check` can give, generated from the
//! code into `book/src/generated/check-messages.md` (which the scenario
//! reference includes), and checked to be fresh on every test run.
//!
//! Regenerate with `UPDATE_BOOK=1 cargo test --test book` (the test then
//! fails, so the switch cannot be left on by accident; run it again without
//! the switch). The list is read from the source: the `#[error]` templates
//! of `ProblemKind` (src/scenario/error.rs) and `UnitError` (src/units.rs),
//! and every `c.invalid(…)`, `c.report(…)` and `check_ref(…)` call of
//! the validator (src/scenario/validate/), with the literal texts filled in and the parts
//! that depend on the file shown as ‹name›.

use std::fs;

use crate::markdown::{root, src};

/// Splits `s` (the text after an opening parenthesis) into the top-level
/// arguments of the call, and returns them with the length consumed.
fn call_args(s: &str) -> (Vec<String>, usize) {
    let mut args = Vec::new();
    let mut depth = 0i32;
    let mut cur = String::new();
    let mut chars = s.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => {
                cur.push(c);
                while let Some((_, c)) = chars.next() {
                    cur.push(c);
                    if c == '\\' {
                        if let Some((_, e)) = chars.next() {
                            cur.push(e);
                        }
                    } else if c == '"' {
                        break;
                    }
                }
                continue;
            }
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' if depth == 0 => {
                args.push(cur.trim().to_string());
                args.retain(|a| !a.is_empty());
                return (args, i + 1);
            }
            ')' | ']' | '}' => depth -= 1,
            ',' if depth == 0 => {
                args.push(std::mem::take(&mut cur).trim().to_string());
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    panic!("unbalanced call: {}", &s[..s.len().min(200)]);
}

/// The content of a Rust string literal (`"…"`, possibly split with `\`
/// line continuations), unescaped.
fn literal(s: &str) -> Option<String> {
    let s = s.trim();
    let inner = s.strip_prefix('"')?.strip_suffix('"')?;
    let mut out = String::new();
    let mut it = inner.chars();
    while let Some(c) = it.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match it.next() {
            Some('n') => out.push('\n'),
            Some('\n') => {
                // A line continuation skips the next line's indentation.
                let rest: String = it.clone().collect();
                let skip = rest.len() - rest.trim_start().len();
                for _ in 0..skip {
                    it.next();
                }
            }
            Some(e) => out.push(e),
            None => {}
        }
    }
    Some(out)
}

/// A format template with `{name}` shown as ‹name› and `{}` as ‹…›.
fn show_template(t: &str) -> String {
    let mut out = String::new();
    let mut rest = t;
    while let Some(i) = rest.find('{') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(a) = after.strip_prefix('{') {
            out.push('{');
            rest = a;
            continue;
        }
        let end = after.find('}').expect("closed placeholder");
        let name = after[..end].split(':').next().unwrap_or_default();
        out.push_str(&if name.is_empty() { "‹…›".to_string() } else { format!("‹{name}›") });
        rest = &after[end + 1..];
    }
    out.push_str(&rest.replace("}}", "}"));
    out
}

/// What an argument expression says: its literal text, a format template, or
/// ‹name› for a value that depends on the scenario.
fn render(expr: &str) -> String {
    let e = expr.trim().trim_start_matches('&');
    if let Some(l) = literal(e) {
        return l;
    }
    for suffix in [".into()", ".to_string()", ".clone()"] {
        if let Some(base) = e.strip_suffix(suffix) {
            return render(base);
        }
    }
    if let Some(inner) = e.strip_prefix("format!(") {
        let (args, _) = call_args(inner);
        return show_template(&literal(&args[0]).expect("format! starts with a literal"));
    }
    let name: String = e.chars().take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '.').collect();
    format!("‹{}›", name.rsplit('.').next().unwrap_or(&name))
}

/// A field path as the problem is placed: placeholders shown as `…`.
fn render_path(expr: &str) -> String {
    let e = expr.trim().trim_start_matches('&');
    let text = if let Some(l) = literal(e) {
        l
    } else if let Some(inner) = e.strip_prefix("format!(") {
        literal(&call_args(inner).0[0]).unwrap()
    } else {
        return "(several places)".into();
    };
    let shown = show_template(&text);
    // A path that starts with a local variable (`{p}.kind`, `{ap}.node`):
    // the part before the dot is the node, source or step being checked.
    match shown.strip_prefix('‹').and_then(|r| r.split_once('›')) {
        Some((_, rest)) => format!("…{rest}"),
        None => shown,
    }
}

/// The `#[error("…")]` templates of an enum, by variant name.
fn error_templates(file: &str, enum_name: &str) -> Vec<(String, String)> {
    let text = fs::read_to_string(root().join(file)).unwrap();
    let start = text.find(&format!("pub enum {enum_name} {{")).expect("enum");
    let body = &text[start..];
    let body = &body[..body.find("\n}").unwrap()];
    let mut out = Vec::new();
    let mut rest = body;
    while let Some(i) = rest.find("#[error(") {
        let (args, used) = call_args(&rest[i + "#[error(".len()..]);
        let after = &rest[i + "#[error(".len() + used..];
        let after = after.trim_start().trim_start_matches(']').trim_start();
        let variant: String = after.chars().take_while(|c| c.is_alphanumeric()).collect();
        out.push((variant, literal(&args[0]).expect("error template literal")));
        rest = after;
    }
    out
}

/// Fills a `ProblemKind` template with the fields written at a call site.
fn fill(template: &str, fields: &[(String, String)]) -> String {
    let mut t = template.to_string();
    for (k, v) in fields {
        t = t.replace(&format!("{{{k}}}"), v);
    }
    if t.contains("{}") {
        // WrongKind: `{}` is the article of `found`.
        let found = fields.iter().find(|(k, _)| k == "found").map(|(_, v)| v.as_str()).unwrap_or("");
        let article = if found.starts_with('‹') {
            "a(n)"
        } else if found.starts_with(['A', 'E', 'I', 'O', 'U']) {
            "an"
        } else {
            "a"
        };
        t = t.replacen("{}", article, 1);
    }
    show_template(&t)
}

struct Row {
    kind: String,
    path: String,
    message: String,
}

/// The validator's files, in the order its passes run (every file of
/// src/scenario/validate/ must be listed: [`validator_source`] checks).
const VALIDATOR_FILES: [&str; 11] = [
    "mod.rs",
    "addresses.rs",
    "nodes.rs",
    "network.rs",
    "traffic.rs",
    "times.rs",
    "narration.rs",
    "triggers.rs",
    "timeline.rs",
    "campaign.rs",
    "familiar.rs",
];

/// The validator's source, its files one after the other.
fn validator_source() -> String {
    let dir = root().join("src/scenario/validate");
    let mut on_disk: Vec<String> = fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .filter(|n| n.ends_with(".rs"))
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = VALIDATOR_FILES.iter().map(|f| f.to_string()).collect();
    listed.sort();
    assert_eq!(listed, on_disk, "list every file of src/scenario/validate/ in VALIDATOR_FILES");
    VALIDATOR_FILES.iter().map(|f| fs::read_to_string(dir.join(f)).unwrap()).collect::<Vec<_>>().join("\n")
}

/// Every problem the validator reports, in the order of the source.
fn validator_rows() -> Vec<Row> {
    let templates = error_templates("src/scenario/error.rs", "ProblemKind");
    let template = |v: &str| -> &str {
        &templates.iter().find(|(n, _)| n == v).unwrap_or_else(|| panic!("no template for {v}")).1
    };
    let text = validator_source();
    let mut rows = Vec::new();
    let calls = ["c.invalid(", "c.report(", "check_ref("];
    let mut pos = 0;
    while let Some((i, call)) = calls.iter().filter_map(|c| text[pos..].find(c).map(|i| (pos + i, *c))).min() {
        pos = i + call.len();
        if text[..i].ends_with("fn ") {
            continue; // the definition of a helper, not a call
        }
        let (args, _) = call_args(&text[pos..]);
        match call {
            "c.invalid(" => {
                let (path, what, why) = (&args[0], &args[1], &args[2]);
                rows.push(Row {
                    kind: "Invalid".into(),
                    path: render_path(path),
                    message: format!("{}: {}", render(what), render(why)),
                });
            }
            "c.report(" => {
                if args[1] == "kind" {
                    continue; // `report` itself forwarding
                }
                let expr = args[1].trim();
                let rest = expr.strip_prefix("ProblemKind::").unwrap_or_else(|| panic!("cannot read report({expr})"));
                let variant: String = rest.chars().take_while(|c| c.is_alphanumeric()).collect();
                let after = rest[variant.len()..].trim_start();
                let fields: Vec<(String, String)> = match after.chars().next() {
                    Some('{') => call_args(&after[1..])
                        .0
                        .iter()
                        .map(|f| match f.split_once(':') {
                            Some((k, v)) => (k.trim().to_string(), render(v)),
                            None => (f.trim().to_string(), format!("‹{}›", f.trim())),
                        })
                        .collect(),
                    Some('(') => {
                        call_args(&after[1..]).0.iter().enumerate().map(|(n, v)| (n.to_string(), render(v))).collect()
                    }
                    _ => vec![],
                };
                rows.push(Row {
                    kind: variant.clone(),
                    path: render_path(&args[0]),
                    message: fill(template(&variant), &fields),
                });
            }
            _ => {
                // check_ref(c, nodes, path, id, expected, ok)
                let expected = render(&args[4]);
                let path = render_path(&args[2]);
                let unknown = fill(
                    template("UnknownReference"),
                    &[
                        ("what".into(), "node".into()),
                        ("id".into(), "‹id›".into()),
                        ("expected".into(), format!("the id of {expected}")),
                    ],
                );
                let wrong = fill(
                    template("WrongKind"),
                    &[("id".into(), "‹id›".into()), ("found".into(), "‹found›".into()), ("expected".into(), expected)],
                );
                rows.push(Row { kind: "UnknownReference".into(), path: path.clone(), message: unknown });
                rows.push(Row { kind: "WrongKind".into(), path, message: wrong });
            }
        }
    }
    rows
}

fn code(s: &str) -> String {
    format!("`` {} ``", s.replace('|', "\\|"))
}

/// The generated page.
fn page() -> String {
    let mut out = String::from(
        "<!-- Generated by `UPDATE_BOOK=1 cargo test --test book` from src/scenario/error.rs, \
         src/scenario/validate.rs and src/units.rs. Do not edit. -->\n\n",
    );
    out.push_str("Messages of values that cannot be read (reported as syntax problems, at the value):\n\n");
    out.push_str("| problem | message |\n|---|---|\n");
    for (v, t) in error_templates("src/units.rs", "UnitError") {
        out.push_str(&format!(
            "| `{v}` | {} |\n",
            code(&show_template(&t).replace("‹0›", "‹text›").replace("‹1›", "‹network›"))
        ));
    }
    out.push_str("\nMessages of the checks that run on a file that was read (all reported at once):\n\n");
    out.push_str("| kind | placed at | message |\n|---|---|---|\n");
    let mut seen = Vec::new();
    for r in validator_rows() {
        let line = format!("| `{}` | {} | {} |\n", r.kind, code(&r.path), code(&r.message));
        if !seen.contains(&line) {
            seen.push(line);
        }
    }
    for l in seen {
        out.push_str(&l);
    }
    out
}

#[test]
fn the_list_of_check_messages_is_fresh() {
    let file = src().join("generated/check-messages.md");
    let want = page();
    if std::env::var_os("UPDATE_BOOK").is_some() {
        let changed = fs::read_to_string(&file).ok().as_deref() != Some(want.as_str());
        fs::write(&file, &want).unwrap();
        // Fail, as `UPDATE_GOLDEN` does, so the switch is never left on by
        // accident: a run with it set never passes.
        panic!(
            "{} {}: review the diff, then run again without UPDATE_BOOK",
            if changed { "rewrote" } else { "rewrote (unchanged)" },
            file.display()
        );
    }
    let have = fs::read_to_string(&file).unwrap_or_default();
    assert!(
        have == want,
        "book/src/generated/check-messages.md is stale: run `UPDATE_BOOK=1 cargo test --test book` and commit it"
    );
}

#[test]
fn every_problem_kind_has_a_row() {
    let rows = validator_rows();
    for (variant, _) in error_templates("src/scenario/error.rs", "ProblemKind") {
        // Syntax problems come from the RON reader and NotUtf8 from reading
        // the file (src/scenario/mod.rs), not the validator.
        if variant != "Syntax" && variant != "NotUtf8" {
            assert!(rows.iter().any(|r| r.kind == variant), "no call site reports {variant}");
        }
    }
    assert!(rows.len() > 50, "only {} messages read from the validator", rows.len());
    assert!(rows.iter().any(|r| r.message == "delay: 0s would greylist nothing"));
    assert!(rows.iter().any(|r| r.message == "duplicate node id `‹id›` (first defined at line ‹first_line›)"));
}
