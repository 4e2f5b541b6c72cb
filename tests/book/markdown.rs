//! Reading the book's Markdown the way mdBook does: `{{#include}}` expanded
//! first, then CommonMark with mdBook's extensions (tables, heading ids).

use std::fs;
use std::path::{Path, PathBuf};

use pulldown_cmark::{CodeBlockKind, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The book's source folder.
pub fn src() -> PathBuf {
    root().join("book/src")
}

/// Every `.md` file under `book/src`, sorted, except generated fragments
/// (`generated/` holds files that chapters include, not chapters).
pub fn chapters() -> Vec<PathBuf> {
    let mut out = Vec::new();
    walk(&src(), &mut out);
    out.retain(|p| p.extension().is_some_and(|e| e == "md") && !p.starts_with(src().join("generated")));
    out.sort();
    out
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let p = e.unwrap().path();
        if p.is_dir() { walk(&p, out) } else { out.push(p) }
    }
}

/// A path relative to the repository root, for messages.
pub fn rel(p: &Path) -> String {
    p.strip_prefix(root()).unwrap_or(p).display().to_string()
}

/// The text of a chapter with every `{{#include PATH}}` (and
/// `{{#include PATH:START:END}}`, 1-based line numbers) replaced by the
/// file's text, as mdBook's preprocessor does. A missing file is an error.
///
/// Also returns, for every line of the result, the line of the file it came
/// from (an included line maps to its `{{#include}}`), so that messages name
/// the line an author sees.
pub fn expand(file: &Path) -> Result<(String, Vec<usize>), String> {
    let src = fs::read_to_string(file).map_err(|e| format!("{}: {e}", rel(file)))?;
    let mut out = Vec::new();
    let mut lines = Vec::new();
    for (n, line) in src.lines().enumerate() {
        let e = expand_depth(file, line, 0)?;
        lines.extend(std::iter::repeat_n(n + 1, e.lines().count().max(1)));
        out.push(e);
    }
    Ok((out.join("\n") + "\n", lines))
}

fn expand_depth(file: &Path, text: &str, depth: u32) -> Result<String, String> {
    if depth > 5 {
        return Err(format!("{}: includes nested too deep", rel(file)));
    }
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find("{{#include ") {
        if rest[..i].ends_with('\\') {
            // `\{{#include …}}` is mdBook's escape: shown as written.
            out.push_str(&rest[..i - 1]);
            out.push_str("{{");
            rest = &rest[i + 2..];
            continue;
        }
        out.push_str(&rest[..i]);
        let after = &rest[i + "{{#include ".len()..];
        let end = after.find("}}").ok_or_else(|| format!("{}: unclosed {{{{#include", rel(file)))?;
        let spec = after[..end].trim();
        let mut parts = spec.split(':');
        let path = parts.next().unwrap_or_default();
        let target = file.parent().unwrap().join(path);
        let body = fs::read_to_string(&target).map_err(|e| format!("{}: {{{{#include {spec}}}}}: {e}", rel(file)))?;
        let lines: Vec<&str> = body.lines().collect();
        let num = |s: Option<&str>, dflt: usize| s.filter(|s| !s.is_empty()).map_or(Ok(dflt), |s| s.parse());
        let body = match (parts.next(), parts.next()) {
            (None, _) => body.clone(),
            (a, b) if a.is_some_and(|a| a.parse::<usize>().is_ok() || a.is_empty()) => {
                let from = num(a, 1).map_err(|e| format!("{}: {spec}: {e}", rel(file)))?;
                let to = num(b, lines.len()).map_err(|e| format!("{}: {spec}: {e}", rel(file)))?;
                lines.get(from.saturating_sub(1)..to.min(lines.len())).unwrap_or(&[]).join("\n")
            }
            _ => return Err(format!("{}: {{{{#include {spec}}}}}: anchors are not used in this book", rel(file))),
        };
        let body = body.strip_suffix('\n').unwrap_or(&body);
        out.push_str(&expand_depth(&target, body, depth + 1)?);
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

/// A fenced code block.
pub struct Block {
    /// The info string (`ron`, `ron,fragment=Node`, `sh`, `text`).
    pub info: String,
    pub text: String,
    /// 1-based line of the opening fence in the expanded text.
    pub line: usize,
}

/// A link or image destination.
pub struct Link {
    pub dest: String,
    pub line: usize,
}

/// A heading, with the id mdBook gives it.
pub struct Heading {
    pub level: usize,
    pub text: String,
    pub id: String,
    pub line: usize,
}

/// What the tests need from one chapter.
pub struct Chapter {
    pub path: PathBuf,
    pub text: String,
    pub blocks: Vec<Block>,
    pub links: Vec<Link>,
    pub headings: Vec<Heading>,
    /// The source line of each line of `text`.
    source_lines: Vec<usize>,
}

impl Chapter {
    pub fn load(path: &Path) -> Chapter {
        let (text, source_lines) = expand(path).unwrap_or_else(|e| panic!("{e}"));
        let line_of = |offset: usize| text[..offset].matches('\n').count() + 1;
        let opts = Options::ENABLE_TABLES
            | Options::ENABLE_FOOTNOTES
            | Options::ENABLE_STRIKETHROUGH
            | Options::ENABLE_TASKLISTS
            | Options::ENABLE_HEADING_ATTRIBUTES;
        let mut blocks = Vec::new();
        let mut links = Vec::new();
        let mut headings: Vec<Heading> = Vec::new();
        let mut in_block: Option<Block> = None;
        let mut in_heading: Option<Heading> = None;
        for (ev, range) in Parser::new_ext(&text, opts).into_offset_iter() {
            match ev {
                Event::Start(Tag::CodeBlock(kind)) => {
                    let info = match kind {
                        CodeBlockKind::Fenced(i) => i.to_string(),
                        CodeBlockKind::Indented => String::new(),
                    };
                    in_block = Some(Block { info, text: String::new(), line: line_of(range.start) });
                }
                Event::End(TagEnd::CodeBlock) => blocks.extend(in_block.take()),
                Event::Start(Tag::Link { dest_url, .. }) | Event::Start(Tag::Image { dest_url, .. }) => {
                    links.push(Link { dest: dest_url.to_string(), line: line_of(range.start) })
                }
                Event::Start(Tag::Heading { level, id, .. }) => {
                    in_heading = Some(Heading {
                        level: level_number(level),
                        text: String::new(),
                        id: id.map(|i| i.to_string()).unwrap_or_default(),
                        line: line_of(range.start),
                    })
                }
                Event::End(TagEnd::Heading(_)) => {
                    if let Some(mut h) = in_heading.take() {
                        if h.id.is_empty() {
                            let base = normalize_id(h.text.trim());
                            // mdBook numbers repeated ids: `x`, `x-1`, `x-2`.
                            let mut id = base.clone();
                            let mut n = 1;
                            while headings.iter().any(|o| o.id == id) {
                                id = format!("{base}-{n}");
                                n += 1;
                            }
                            h.id = id;
                        }
                        headings.push(h);
                    }
                }
                Event::Text(t) | Event::Code(t) => {
                    if let Some(b) = in_block.as_mut() {
                        b.text.push_str(&t);
                    } else if let Some(h) = in_heading.as_mut() {
                        h.text.push_str(&t);
                    }
                }
                _ => {}
            }
        }
        Chapter { path: path.to_path_buf(), text, blocks, links, headings, source_lines }
    }

    /// `file:line` of a line of the expanded text, for messages: the line in
    /// the chapter's own file.
    pub fn at(&self, line: usize) -> String {
        let src = self.source_lines.get(line.saturating_sub(1)).copied().unwrap_or(line);
        format!("{}:{src}", rel(&self.path))
    }
}

fn level_number(l: HeadingLevel) -> usize {
    match l {
        HeadingLevel::H1 => 1,
        HeadingLevel::H2 => 2,
        HeadingLevel::H3 => 3,
        HeadingLevel::H4 => 4,
        HeadingLevel::H5 => 5,
        HeadingLevel::H6 => 6,
    }
}

/// mdBook's `normalize_id`: keep letters, digits, `_` and `-`, turn
/// whitespace into `-`, lowercase ASCII, drop the rest.
pub fn normalize_id(s: &str) -> String {
    s.chars()
        .filter_map(|c| {
            if c.is_alphanumeric() || c == '_' || c == '-' {
                Some(c.to_ascii_lowercase())
            } else if c.is_whitespace() {
                Some('-')
            } else {
                None
            }
        })
        .collect()
}
