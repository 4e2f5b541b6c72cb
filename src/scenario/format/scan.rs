//! A small, tolerant reader of RON text that finds where each field and
//! list item of a file starts and ends, and the comments and blank lines
//! around them. It never fails: unbalanced brackets, unterminated strings
//! and unknown characters are taken as they come (the formatter only uses
//! what it finds to place comments and to keep fields an author wrote).

use crate::scenario::doc::{DocPath, Step};

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Tok {
    Open(char),
    Close(char),
    Comma,
    Colon,
    /// An identifier, number, string or character, as written.
    Atom(String),
}

#[derive(Debug, Clone)]
pub(super) struct Token {
    pub tok: Tok,
    /// 1-based line of the token's first character.
    pub line: usize,
}

/// What lies between two tokens, besides spaces.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Trivia {
    /// One or more empty lines.
    Blank,
    /// A `//` or `/* */` comment, as written; `trailing` when it follows a
    /// token on the same line.
    Comment { text: String, line: usize, trailing: bool },
}

/// The tokens of `src`; `trivia[i]` is what comes before token `i`
/// (`trivia[tokens.len()]`: after the last one).
pub(super) struct Lexed {
    pub tokens: Vec<Token>,
    pub trivia: Vec<Vec<Trivia>>,
}

pub(super) fn lex(src: &str) -> Lexed {
    let src = src.strip_prefix('\u{feff}').unwrap_or(src);
    let chars: Vec<char> = src.chars().collect();
    let mut tokens = Vec::new();
    let mut trivia = vec![Vec::new()];
    let mut line = 1;
    // The line of the last token, to tell a trailing comment from a leading one.
    let mut last_tok_line = 0;
    let mut i = 0;
    let mut newlines_in_space = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            if c == '\n' {
                line += 1;
                newlines_in_space += 1;
                if newlines_in_space == 2
                    && let Some(t) = trivia.last_mut()
                {
                    t.push(Trivia::Blank);
                }
            }
            i += 1;
            continue;
        }
        newlines_in_space = 0;
        if c == '/' && chars.get(i + 1) == Some(&'/') {
            let start = i;
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
            let text: String = chars[start..i].iter().collect::<String>().trim_end().to_string();
            let trailing = last_tok_line == line && !tokens.is_empty();
            if let Some(t) = trivia.last_mut() {
                t.push(Trivia::Comment { text, line, trailing });
            }
            continue;
        }
        if c == '/' && chars.get(i + 1) == Some(&'*') {
            let (start, start_line) = (i, line);
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    if chars[i] == '\n' {
                        line += 1;
                    }
                    i += 1;
                }
            }
            let mut text: String = chars[start..i.min(chars.len())].iter().collect();
            // Unterminated: closed, so the text it is written into still reads.
            for _ in 0..depth {
                text.push_str(" */");
            }
            let trailing = last_tok_line == start_line && !tokens.is_empty();
            if let Some(t) = trivia.last_mut() {
                t.push(Trivia::Comment { text, line: start_line, trailing });
            }
            continue;
        }
        let tok_line = line;
        let tok = match c {
            '(' | '[' | '{' => {
                i += 1;
                Tok::Open(c)
            }
            ')' | ']' | '}' => {
                i += 1;
                Tok::Close(c)
            }
            ',' => {
                i += 1;
                Tok::Comma
            }
            ':' => {
                i += 1;
                Tok::Colon
            }
            '"' => {
                let start = i;
                i = skip_string(&chars, i + 1, &mut line);
                Tok::Atom(chars[start..i].iter().collect())
            }
            '\'' => {
                let start = i;
                i = skip_char(&chars, i + 1);
                Tok::Atom(chars[start..i].iter().collect())
            }
            _ => {
                let start = i;
                // A raw or byte string: r"…", r#"…"#, b"…", br#"…"#.
                let mut j = i;
                if chars[j] == 'b' {
                    j += 1;
                }
                if chars.get(j) == Some(&'r') {
                    let mut k = j + 1;
                    while chars.get(k) == Some(&'#') {
                        k += 1;
                    }
                    if chars.get(k) == Some(&'"') {
                        i = skip_raw(&chars, k + 1, k - j - 1, &mut line);
                        tokens.push(Token { tok: Tok::Atom(chars[start..i].iter().collect()), line: tok_line });
                        trivia.push(Vec::new());
                        last_tok_line = line;
                        continue;
                    }
                } else if j > i && chars.get(j) == Some(&'"') {
                    i = skip_string(&chars, j + 1, &mut line);
                    tokens.push(Token { tok: Tok::Atom(chars[start..i].iter().collect()), line: tok_line });
                    trivia.push(Vec::new());
                    last_tok_line = line;
                    continue;
                }
                while i < chars.len() && !is_break(&chars, i) {
                    i += 1;
                }
                if i == start {
                    i += 1;
                }
                Tok::Atom(chars[start..i].iter().collect())
            }
        };
        tokens.push(Token { tok, line: tok_line });
        trivia.push(Vec::new());
        last_tok_line = line;
    }
    Lexed { tokens, trivia }
}

fn is_break(chars: &[char], i: usize) -> bool {
    let c = chars[i];
    c.is_whitespace() || "()[]{},:\"'".contains(c) || (c == '/' && matches!(chars.get(i + 1), Some('/') | Some('*')))
}

/// Past the closing quote of a string whose opening quote is before `i`.
fn skip_string(chars: &[char], mut i: usize, line: &mut usize) -> usize {
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 2,
            '"' => return i + 1,
            c => {
                if c == '\n' {
                    *line += 1;
                }
                i += 1;
            }
        }
    }
    chars.len()
}

fn skip_raw(chars: &[char], mut i: usize, hashes: usize, line: &mut usize) -> usize {
    while i < chars.len() {
        if chars[i] == '"' && (1..=hashes).all(|h| chars.get(i + h) == Some(&'#')) {
            return i + 1 + hashes;
        }
        if chars[i] == '\n' {
            *line += 1;
        }
        i += 1;
    }
    chars.len()
}

fn skip_char(chars: &[char], mut i: usize) -> usize {
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 2,
            '\'' => return i + 1,
            '\n' => return i,
            _ => i += 1,
        }
    }
    chars.len()
}

/// A field, list item or map entry of the file, and where it is.
#[derive(Debug, Clone)]
pub(super) struct Element {
    pub path: DocPath,
    pub first_tok: usize,
    pub last_tok: usize,
}

/// The structure of a file: its elements in document order (a parent
/// before its children), and for each closing bracket the path of what it closes.
pub(super) struct Scanned {
    pub lexed: Lexed,
    pub elements: Vec<Element>,
    /// Token index of a closing bracket → the path of the value it ends.
    pub closes: std::collections::HashMap<usize, DocPath>,
    /// The first token of the scenario value (after the file's header comments).
    pub root_first: Option<usize>,
    pub root_last: Option<usize>,
}

/// A group between brackets, as read.
struct Group {
    open: char,
    named: bool,
    elems: Vec<Elem>,
    close_tok: Option<usize>,
}

struct Elem {
    key: Option<String>,
    first_tok: usize,
    last_tok: usize,
    group: Option<Group>,
}

struct Parser<'a> {
    toks: &'a [Token],
    pos: usize,
    /// Groups open around the current token.
    depth: usize,
}

/// Groups nested deeper than this are read as flat tokens (no elements),
/// so no input can exhaust the stack.
const MAX_DEPTH: usize = 128;

impl Parser<'_> {
    fn peek(&self, k: usize) -> Option<&Tok> {
        self.toks.get(self.pos + k).map(|t| &t.tok)
    }

    /// A value: an atom, an atom followed by a group (`Name(..)`), or a group.
    /// Returns its group, if any, and its last token.
    fn value(&mut self) -> (Option<Group>, usize) {
        let mut named = false;
        if let Some(Tok::Atom(_)) = self.peek(0) {
            self.pos += 1;
            if !matches!(self.peek(0), Some(Tok::Open(_))) {
                return (None, self.pos - 1);
            }
            named = true;
        }
        match self.peek(0) {
            Some(Tok::Open(c)) => {
                let c = *c;
                let g = self.group(c, named);
                let last = g.close_tok.unwrap_or(self.pos.saturating_sub(1));
                (Some(g), last)
            }
            _ => (None, self.pos.saturating_sub(1)),
        }
    }

    fn group(&mut self, open: char, named: bool) -> Group {
        self.pos += 1;
        if self.depth >= MAX_DEPTH {
            return self.skip_group(open, named);
        }
        self.depth += 1;
        let g = self.group_elems(open, named);
        self.depth -= 1;
        g
    }

    /// Past the closing bracket of a group too deep to read, by counting brackets.
    fn skip_group(&mut self, open: char, named: bool) -> Group {
        let mut level = 1;
        while let Some(t) = self.peek(0).cloned() {
            self.pos += 1;
            match t {
                Tok::Open(_) => level += 1,
                Tok::Close(_) => {
                    level -= 1;
                    if level == 0 {
                        return Group { open, named, elems: vec![], close_tok: Some(self.pos - 1) };
                    }
                }
                _ => {}
            }
        }
        Group { open, named, elems: vec![], close_tok: None }
    }

    fn group_elems(&mut self, open: char, named: bool) -> Group {
        let mut elems = Vec::new();
        loop {
            match self.peek(0) {
                None => return Group { open, named, elems, close_tok: None },
                Some(Tok::Close(_)) => {
                    self.pos += 1;
                    return Group { open, named, elems, close_tok: Some(self.pos - 1) };
                }
                Some(Tok::Comma) | Some(Tok::Colon) => self.pos += 1,
                Some(_) => {
                    let first_tok = self.pos;
                    let mut key = None;
                    if open != '[' && matches!(self.peek(1), Some(Tok::Colon)) {
                        if let Some(Tok::Atom(a)) = self.peek(0) {
                            key = Some(unquote(a));
                        }
                        if key.is_some() {
                            self.pos += 2;
                        }
                    }
                    let (group, last_tok) = self.value();
                    // Anything else up to the next comma or closer belongs to it.
                    let mut last = last_tok;
                    while let Some(t) = self.peek(0) {
                        if matches!(t, Tok::Comma | Tok::Close(_)) {
                            break;
                        }
                        if matches!(t, Tok::Open(_)) {
                            let (_, l) = self.value();
                            last = l;
                        } else {
                            last = self.pos;
                            self.pos += 1;
                        }
                    }
                    elems.push(Elem { key, first_tok, last_tok: last.max(first_tok), group });
                }
            }
        }
    }
}

/// A map key or field name as the path names it: `"ja"` → `ja`.
fn unquote(a: &str) -> String {
    a.strip_prefix('"').and_then(|s| s.strip_suffix('"')).unwrap_or(a).to_string()
}

pub(super) fn scan(src: &str) -> Scanned {
    let lexed = lex(src);
    let mut p = Parser { toks: &lexed.tokens, pos: 0, depth: 0 };
    let mut elements = Vec::new();
    let mut closes = std::collections::HashMap::new();
    let (mut root_first, mut root_last) = (None, None);
    // `#![enable(implicit_some)]` and the like: the formatter's text needs
    // none (the loader enables both extensions), so they are not kept.
    while matches!(p.peek(0), Some(Tok::Atom(a)) if a.starts_with('#')) {
        p.value();
    }
    if p.pos < lexed.tokens.len() {
        let first = p.pos;
        root_first = Some(first);
        let (group, last) = p.value();
        root_last = Some(last);
        elements.push(Element { path: DocPath::default(), first_tok: first, last_tok: last });
        if let Some(g) = group {
            walk(&g, &DocPath::default(), &mut elements, &mut closes);
        }
    }
    Scanned { lexed, elements, closes, root_first, root_last }
}

/// Gives every element of `g` its path, as [`crate::scenario::doc::Doc::get`]
/// reads it: `Some(..)` and a newtype variant's parentheses are transparent.
fn walk(g: &Group, base: &DocPath, out: &mut Vec<Element>, closes: &mut std::collections::HashMap<usize, DocPath>) {
    if let Some(c) = g.close_tok {
        closes.insert(c, base.clone());
    }
    let transparent = g.open == '(' && g.named && g.elems.len() == 1 && g.elems[0].key.is_none();
    for (i, e) in g.elems.iter().enumerate() {
        let path = if transparent {
            base.clone()
        } else {
            let step = match &e.key {
                Some(k) => Step::Field(k.clone()),
                None => Step::Index(i),
            };
            let mut p = base.clone();
            p.0.push(step);
            p
        };
        if !transparent {
            out.push(Element { path: path.clone(), first_tok: e.first_tok, last_tok: e.last_tok });
        }
        if let Some(inner) = &e.group {
            walk(inner, &path, out, closes);
        }
    }
}
