//! The one way scenarios are written: `relaysim fmt` and the window's editor
//! (Save) both call [`format`], so a file saved by the editor is what `fmt`
//! would have made of it.
//!
//! The text is laid out from the scenario's tree ([`super::doc`]) as the
//! shipped files are written (see `layout`), without the fields whose value
//! is serde's default (`defaults`) unless the original file wrote them at
//! that place.
//!
//! Comments of the original are carried over: each belongs to the field or
//! item it precedes, or trails on the same line (`scan`). Items of `nodes`,
//! `isps`, `traffic` and `narration` are known by their `id`, DNS zones by
//! their `domain`, links by their ends, other items by their index (`keys`),
//! so a comment stays with its item when items before it are deleted or
//! added. A comment is written again when the field or item it belongs to
//! is still there (whatever its value now); when that is gone, the comment
//! is listed in [`Formatted::lost_comments`], never dropped silently.
//! Comments inside an item belong to the item's field or sub-item they
//! precede, by its path in the item (inner lists by index). Comments before
//! the scenario (the file's header) are always kept, and so are those after
//! it. Blank lines between items are kept (several as one); `#![enable(..)]`
//! lines are not (the loader enables both extensions the text uses).

mod defaults;
mod keys;
mod layout;
mod scan;
#[cfg(test)]
mod tests;

use std::collections::{HashMap, HashSet};

use super::Scenario;
use super::doc::{DocPath, to_doc};
use keys::KeyMap;
use layout::Layout;
use scan::{Scanned, Tok, Trivia};

/// A scenario written as RON text.
#[derive(Debug, Clone, PartialEq)]
pub struct Formatted {
    pub text: String,
    /// For each line of `text` (line 1 at index 0): the path, from the
    /// scenario's root, of the innermost value written on it (e.g.
    /// `nodes[3].kind.relay`), so a checker message at a line can be shown
    /// next to the field it concerns.
    pub lines: Vec<DocPath>,
    /// Comments of `original` that have no place in `text` (their item was
    /// deleted or changed): the editor asks before it saves without them.
    pub lost_comments: Vec<LostComment>,
}

/// A comment of the original file that the new text does not carry.
#[derive(Debug, Clone, PartialEq)]
pub struct LostComment {
    /// Line in the original file.
    pub line: usize,
    pub text: String,
}

/// Where a comment (or blank line) of the original goes.
#[derive(Debug, Clone, PartialEq)]
enum Anchor {
    /// Before the scenario: always kept.
    Header,
    /// After the scenario's closing parenthesis.
    Footer,
    /// On the lines before the field or item with this key.
    Before(String),
    /// At the end of the line where the field or item starts.
    AfterStart(String),
    /// At the end of the line where the field or item ends.
    AfterEnd(String),
    /// Before the closing bracket of this value (after its last item).
    BeforeClose(String),
}

/// Writes `s` as RON. `original`, the text the scenario was read from, gives
/// the comments to keep (those of items that are still there).
pub fn format(s: &Scenario, original: Option<&str>) -> Formatted {
    let Ok(doc) = to_doc(s) else {
        // Not reachable for a scenario (every type serializes); kept total.
        let text = super::to_ron(s).unwrap_or_default();
        let lines = text.lines().map(|_| DocPath::default()).collect();
        return Formatted { text, lines, lost_comments: vec![] };
    };
    let scanned = original.map(scan::scan);
    // Items are known by their ids when the original reads as a scenario;
    // otherwise by their index, on both sides.
    let orig_doc = original
        .and_then(|o| super::ron_options().from_str::<Scenario>(o.strip_prefix('\u{feff}').unwrap_or(o)).ok())
        .and_then(|o| to_doc(&o).ok());
    let (orig_keys, new_keys) = match &orig_doc {
        Some(o) => (KeyMap::of(o), KeyMap::of(&doc)),
        None if original.is_some() => (KeyMap::default(), KeyMap::default()),
        None => (KeyMap::default(), KeyMap::of(&doc)),
    };
    let written: HashSet<String> =
        scanned.iter().flat_map(|sc| sc.elements.iter().map(|e| orig_keys.key(&e.path))).collect();
    let pruned = defaults::prune(&doc, &|p| written.contains(&new_keys.key(p)));
    let layout = Layout::scenario(&pruned);
    let anchored = scanned.as_ref().map(|sc| anchors(sc, &orig_keys)).unwrap_or_default();
    assemble(&layout, &new_keys, anchored)
}

/// Each comment and blank line of the original, with its place.
fn anchors(sc: &Scanned, keys: &KeyMap) -> Vec<(Anchor, Trivia)> {
    let toks = &sc.lexed.tokens;
    let depth = |i: usize| sc.elements[i].path.0.len();
    // The outermost element starting (ending) on each line, and at each token.
    let mut start_on_line: HashMap<usize, usize> = HashMap::new();
    let mut end_on_line: HashMap<usize, usize> = HashMap::new();
    let mut start_at_tok: HashMap<usize, usize> = HashMap::new();
    for (i, e) in sc.elements.iter().enumerate() {
        let (l0, l1) = (toks[e.first_tok].line, toks[e.last_tok].line);
        let better = |cur: Option<&usize>| cur.is_none_or(|&c| depth(i) < depth(c));
        if better(start_on_line.get(&l0)) {
            start_on_line.insert(l0, i);
        }
        if better(end_on_line.get(&l1)) {
            end_on_line.insert(l1, i);
        }
        if better(start_at_tok.get(&e.first_tok)) {
            start_at_tok.insert(e.first_tok, i);
        }
    }
    let key = |i: usize| keys.key(&sc.elements[i].path);
    let mut out = Vec::new();
    for (t, trivia) in sc.lexed.trivia.iter().enumerate() {
        for item in trivia {
            let anchor = if Some(t) <= sc.root_first || t == 0 {
                Anchor::Header
            } else if sc.root_last.is_none_or(|r| t > r) {
                Anchor::Footer
            } else {
                let trailing = match item {
                    Trivia::Comment { line, trailing: true, .. } => start_on_line
                        .get(line)
                        .filter(|&&i| sc.elements[i].first_tok < t)
                        .map(|&i| Anchor::AfterStart(key(i)))
                        .or_else(|| {
                            end_on_line
                                .get(line)
                                .filter(|&&i| sc.elements[i].last_tok < t)
                                .map(|&i| Anchor::AfterEnd(key(i)))
                        }),
                    _ => None,
                };
                trailing.unwrap_or_else(|| match start_at_tok.get(&t) {
                    Some(&i) => Anchor::Before(key(i)),
                    None => match (&toks[t].tok, sc.closes.get(&t)) {
                        (Tok::Close(_), Some(p)) => Anchor::BeforeClose(keys.key(p)),
                        // Inside an element (between a field's name and its
                        // value, say): before the innermost one holding it.
                        _ => sc
                            .elements
                            .iter()
                            .rposition(|e| e.first_tok <= t && t <= e.last_tok)
                            .map_or(Anchor::Footer, |i| Anchor::Before(key(i))),
                    },
                })
            };
            out.push((anchor, item.clone()));
        }
    }
    out
}

/// The text: the layout's lines with the comments put back.
fn assemble(layout: &Layout, keys: &KeyMap, anchored: Vec<(Anchor, Trivia)>) -> Formatted {
    let lines = &layout.lines;
    let mut start_line: HashMap<String, usize> = HashMap::new();
    let mut end_line: HashMap<String, usize> = HashMap::new();
    for (n, l) in lines.iter().enumerate() {
        for p in &l.starts {
            start_line.entry(keys.key(p)).or_insert(n);
        }
        for p in &l.ends {
            end_line.insert(keys.key(p), n);
        }
    }
    let mut header = Vec::new();
    let mut footer = Vec::new();
    // (comment or blank, one level deeper: inside a value, before its closing bracket)
    let mut before: HashMap<usize, Vec<(Trivia, bool)>> = HashMap::new();
    let mut after: HashMap<usize, Vec<String>> = HashMap::new();
    let mut lost_comments = Vec::new();
    for (anchor, item) in anchored {
        let at = match &anchor {
            Anchor::Header => {
                header.push(item);
                continue;
            }
            Anchor::Footer => {
                footer.push(item);
                continue;
            }
            Anchor::Before(k) | Anchor::AfterStart(k) => start_line.get(k),
            Anchor::AfterEnd(k) | Anchor::BeforeClose(k) => end_line.get(k),
        };
        match (at, item) {
            (Some(&n), Trivia::Comment { text, .. })
                if matches!(anchor, Anchor::AfterStart(_) | Anchor::AfterEnd(_)) =>
            {
                after.entry(n).or_default().push(text)
            }
            (Some(&n), item) => {
                let inside = matches!(anchor, Anchor::BeforeClose(_));
                before.entry(n).or_default().push((item, inside))
            }
            (None, Trivia::Comment { text, line, .. }) => lost_comments.push(LostComment { line, text }),
            (None, Trivia::Blank) => {}
        }
    }

    let mut text = String::new();
    let mut paths = Vec::new();
    let mut last_blank = true;
    let mut last_opens = false;
    let emit = |text: &mut String, paths: &mut Vec<DocPath>, line: String, path: DocPath| {
        text.push_str(line.trim_end());
        text.push('\n');
        paths.push(path);
    };
    for item in &header {
        match item {
            Trivia::Blank if !last_blank => {
                emit(&mut text, &mut paths, String::new(), DocPath::default());
                last_blank = true;
            }
            Trivia::Blank => {}
            Trivia::Comment { text: c, .. } => {
                emit(&mut text, &mut paths, c.clone(), DocPath::default());
                last_blank = false;
            }
        }
    }
    for (n, l) in lines.iter().enumerate() {
        let path = l.innermost();
        let pad = " ".repeat(l.indent);
        let items = before.get(&n).map_or(&[][..], Vec::as_slice);
        // A line that only closes brackets: comments left inside the value
        // are indented as its items are.
        let closer = l.text.starts_with([')', ']', '}']);
        for (k, (item, inside)) in items.iter().enumerate() {
            let pad = if *inside && closer { " ".repeat(l.indent + 4) } else { pad.clone() };
            // No blank line right before a closing bracket.
            let comment_follows = items[k..].iter().any(|(t, _)| matches!(t, Trivia::Comment { .. }));
            match item {
                Trivia::Blank if !last_blank && !last_opens && (comment_follows || !closer) => {
                    emit(&mut text, &mut paths, String::new(), path.clone());
                    last_blank = true;
                }
                Trivia::Blank => {}
                Trivia::Comment { text: c, .. } => {
                    emit(&mut text, &mut paths, format!("{pad}{c}"), path.clone());
                    last_blank = false;
                    last_opens = false;
                }
            }
        }
        let mut line = format!("{pad}{}", l.text);
        for c in after.get(&n).into_iter().flatten() {
            line.push(' ');
            line.push_str(c);
        }
        last_opens = l.text.ends_with(['(', '[', '{']);
        last_blank = false;
        emit(&mut text, &mut paths, line, path);
    }
    for item in &footer {
        if let Trivia::Comment { text: c, .. } = item {
            emit(&mut text, &mut paths, c.clone(), DocPath::default());
        }
    }
    Formatted { text, lines: paths, lost_comments }
}
