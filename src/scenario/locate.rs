//! Finds where a value stands in a RON file, so that problems found after
//! parsing (a dangling node reference, an overlapping range) can still be
//! reported with a line and column.
//!
//! Serde forgets positions once a value is read, so this file re-reads the
//! source with a small, tolerant scanner and records the position of every
//! value under a path such as `nodes[3].kind.mailbox` or `dns[0].mx[1][1]`.
//! Struct and enum-variant names add nothing to a path; named fields add
//! `.field`; list and tuple elements add `[i]`.

use std::collections::HashMap;

/// A 1-based line and column (counted in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Pos {
    pub line: usize,
    pub col: usize,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Open(char),
    Close(char),
    Colon,
    Comma,
    Ident(String),
    Scalar,
}

fn tokenize(src: &str) -> Vec<(Tok, Pos)> {
    let mut out = Vec::new();
    let chars: Vec<char> = src.chars().collect();
    let (mut i, mut line, mut col) = (0usize, 1usize, 1usize);
    let bump = |i: &mut usize, line: &mut usize, col: &mut usize, chars: &[char]| {
        if chars[*i] == '\n' {
            *line += 1;
            *col = 1;
        } else {
            *col += 1;
        }
        *i += 1;
    };
    while i < chars.len() {
        let c = chars[i];
        let pos = Pos { line, col };
        if c.is_whitespace() {
            bump(&mut i, &mut line, &mut col, &chars);
        } else if c == '/' && chars.get(i + 1) == Some(&'/') {
            while i < chars.len() && chars[i] != '\n' {
                bump(&mut i, &mut line, &mut col, &chars);
            }
        } else if c == '/' && chars.get(i + 1) == Some(&'*') {
            let mut depth = 0usize;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    bump(&mut i, &mut line, &mut col, &chars);
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    bump(&mut i, &mut line, &mut col, &chars);
                    if depth == 0 {
                        bump(&mut i, &mut line, &mut col, &chars);
                        break;
                    }
                }
                bump(&mut i, &mut line, &mut col, &chars);
            }
        } else if c == '"' || c == '\'' {
            bump(&mut i, &mut line, &mut col, &chars);
            while i < chars.len() && chars[i] != c {
                if chars[i] == '\\' && i + 1 < chars.len() {
                    bump(&mut i, &mut line, &mut col, &chars);
                }
                bump(&mut i, &mut line, &mut col, &chars);
            }
            if i < chars.len() {
                bump(&mut i, &mut line, &mut col, &chars);
            }
            out.push((Tok::Scalar, pos));
        } else if c == 'r' && matches!(chars.get(i + 1), Some('#') | Some('"')) {
            // Raw string r#"..."#.
            bump(&mut i, &mut line, &mut col, &chars);
            let mut hashes = 0;
            while i < chars.len() && chars[i] == '#' {
                hashes += 1;
                bump(&mut i, &mut line, &mut col, &chars);
            }
            if i < chars.len() {
                bump(&mut i, &mut line, &mut col, &chars);
            }
            'raw: while i < chars.len() {
                if chars[i] == '"' && (1..=hashes).all(|k| chars.get(i + k) == Some(&'#')) {
                    for _ in 0..=hashes {
                        bump(&mut i, &mut line, &mut col, &chars);
                    }
                    break 'raw;
                }
                bump(&mut i, &mut line, &mut col, &chars);
            }
            out.push((Tok::Scalar, pos));
        } else if "([{".contains(c) {
            out.push((Tok::Open(c), pos));
            bump(&mut i, &mut line, &mut col, &chars);
        } else if ")]}".contains(c) {
            out.push((Tok::Close(c), pos));
            bump(&mut i, &mut line, &mut col, &chars);
        } else if c == ':' {
            out.push((Tok::Colon, pos));
            bump(&mut i, &mut line, &mut col, &chars);
        } else if c == ',' {
            out.push((Tok::Comma, pos));
            bump(&mut i, &mut line, &mut col, &chars);
        } else if c == '#' {
            // `#![enable(...)]` attribute: skip to the closing bracket.
            while i < chars.len() && chars[i] != ']' {
                bump(&mut i, &mut line, &mut col, &chars);
            }
            if i < chars.len() {
                bump(&mut i, &mut line, &mut col, &chars);
            }
        } else {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || "_.+-".contains(chars[i])) {
                bump(&mut i, &mut line, &mut col, &chars);
            }
            if i == start {
                bump(&mut i, &mut line, &mut col, &chars);
                continue;
            }
            let word: String = chars[start..i].iter().collect();
            let first = word.chars().next().unwrap_or('0');
            if first.is_alphabetic() || first == '_' {
                out.push((Tok::Ident(word), pos));
            } else {
                out.push((Tok::Scalar, pos));
            }
        }
    }
    out
}

/// Positions of every value in a RON document, by path.
#[derive(Debug, Default)]
pub struct Locator {
    map: HashMap<String, Pos>,
}

impl Locator {
    pub fn new(src: &str) -> Self {
        let toks = tokenize(src);
        let mut loc = Locator::default();
        let mut i = 0;
        loc.value(&toks, &mut i, String::new(), 0);
        loc
    }

    /// The position of `path`, or of its nearest recorded ancestor.
    pub fn find(&self, path: &str) -> Pos {
        let mut p = path.to_string();
        loop {
            if let Some(pos) = self.map.get(&p) {
                return *pos;
            }
            match p.rfind(['.', '[']) {
                Some(cut) => p.truncate(cut),
                None => return self.map.get("").copied().unwrap_or(Pos { line: 1, col: 1 }),
            }
        }
    }

    fn value(&mut self, t: &[(Tok, Pos)], i: &mut usize, path: String, depth: usize) {
        if *i >= t.len() || depth > 256 {
            return;
        }
        self.map.entry(path.clone()).or_insert(t[*i].1);
        match &t[*i].0 {
            Tok::Ident(_) => {
                *i += 1;
                if matches!(t.get(*i), Some((Tok::Open('('), _))) {
                    self.group(t, i, &path, ')', depth);
                }
            }
            Tok::Open(c) => {
                let close = match c {
                    '(' => ')',
                    '[' => ']',
                    _ => '}',
                };
                self.group(t, i, &path, close, depth);
            }
            _ => *i += 1,
        }
    }

    /// Reads `( … )`, `[ … ]` or `{ … }` starting at the opening token.
    fn group(&mut self, t: &[(Tok, Pos)], i: &mut usize, path: &str, close: char, depth: usize) {
        *i += 1;
        let mut index = 0;
        while *i < t.len() {
            match &t[*i].0 {
                Tok::Close(_) => {
                    *i += 1;
                    return;
                }
                Tok::Comma => {
                    *i += 1;
                    continue;
                }
                _ => {}
            }
            let named = match (&t[*i].0, t.get(*i + 1).map(|x| &x.0)) {
                (Tok::Ident(name), Some(Tok::Colon)) if close != ']' => Some(name.clone()),
                (Tok::Scalar, Some(Tok::Colon)) if close == '}' => Some(format!("{{{index}}}")),
                _ => None,
            };
            let before = *i;
            match named {
                Some(name) => {
                    *i += 2;
                    let sub = if path.is_empty() { name } else { format!("{path}.{name}") };
                    self.value(t, i, sub, depth + 1);
                }
                None => self.value(t, i, format!("{path}[{index}]"), depth + 1),
            }
            index += 1;
            if *i == before {
                *i += 1; // never stall on unexpected input
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_point_at_values() {
        let src = "Scenario(\n  name: \"x\", // c\n  nodes: [\n    Node(id: \"a\", kind: Mx(hostname: \"mx\", relay: Some(MyNetworks([\"10.0.0.0/8\"])))),\n  ],\n  dns: [Zone(domain: \"d\", mx: [(10, \"mx\")])],\n)";
        let l = Locator::new(src);
        assert_eq!(l.find("name"), Pos { line: 2, col: 9 });
        assert_eq!(l.find("nodes[0].id"), Pos { line: 4, col: 14 });
        assert_eq!(l.find("nodes[0].kind.hostname"), Pos { line: 4, col: 38 });
        assert_eq!(l.find("dns[0].mx[0][1]"), Pos { line: 6, col: 37 });
        // Unknown paths fall back to the nearest ancestor.
        assert_eq!(l.find("nodes[0].kind.nonexistent"), l.find("nodes[0].kind"));
    }
}
