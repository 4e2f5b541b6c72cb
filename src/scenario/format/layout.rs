//! Lays a scenario's tree out as lines, the way the shipped files are
//! written: the scenario's fields one per line, its lists one item per
//! line; an item on one line when it fits in [`WIDTH`] columns, otherwise
//! its leading simple fields on its first line and the rest below it,
//! indented (`Node(id: "a", …, kind: IspRelay(` then the relay's fields).
//!
//! Every line records the paths of the fields and items that start and end
//! on it, for placing comments and for [`super::Formatted::lines`].

use crate::scenario::doc::{Doc, DocPath, Step, VariantContent};

/// The width an item is kept within when it is written on one line
/// (in characters).
pub(super) const WIDTH: usize = 100;
/// The width of the first line of an item broken over lines, which holds
/// its leading simple fields (ids, labels, addresses).
const HEAD_WIDTH: usize = 150;
const INDENT: usize = 4;

#[derive(Debug, Clone, Default)]
pub(super) struct Line {
    pub indent: usize,
    pub text: String,
    /// Fields and items that start on this line, outermost first.
    pub starts: Vec<DocPath>,
    /// Fields and items that end on this line.
    pub ends: Vec<DocPath>,
    /// The value being written when the line began (for lines where
    /// nothing starts: closing brackets).
    pub ctx: DocPath,
}

impl Line {
    /// The innermost path that covers everything on the line.
    pub fn innermost(&self) -> DocPath {
        let Some(first) = self.starts.first() else { return self.ctx.clone() };
        let mut common = first.0.len();
        for p in &self.starts[1..] {
            common = common.min(first.0.iter().zip(&p.0).take_while(|(a, b)| a == b).count());
        }
        DocPath(first.0[..common].to_vec())
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    /// On one line if it fits, else broken.
    Auto,
    /// A struct's fields one per line (the scenario itself, and a value
    /// opened at the end of its parent's first line).
    Body,
    /// A list broken even when it would fit (the scenario's lists).
    Lines,
}

#[derive(Default)]
pub(super) struct Layout {
    pub lines: Vec<Line>,
}

/// The fields, items or entries of a value, with the step to each
/// (`Some` and newtype variants are transparent, as in paths).
fn children(d: &Doc) -> Vec<(Step, &Doc)> {
    match d {
        Doc::Option(Some(x)) | Doc::Variant { content: VariantContent::Newtype(x), .. } => children(x),
        Doc::Struct { fields, .. } | Doc::Variant { content: VariantContent::Struct(fields), .. } => {
            fields.iter().map(|(n, v)| (Step::Field(n.to_string()), v)).collect()
        }
        Doc::Seq(items) | Doc::Tuple(items) | Doc::Variant { content: VariantContent::Tuple(items), .. } => {
            items.iter().enumerate().map(|(i, v)| (Step::Index(i), v)).collect()
        }
        Doc::Map(entries) => entries
            .iter()
            .enumerate()
            .map(|(i, (k, v))| match k {
                Doc::Str(s) => (Step::Field(s.clone()), v),
                _ => (Step::Index(i), v),
            })
            .collect(),
        _ => vec![],
    }
}

fn with(path: &DocPath, step: Step) -> DocPath {
    let mut p = path.clone();
    p.0.push(step);
    p
}

/// A struct (or struct variant) with fields, that can be opened at the end
/// of a line and written field by field below it.
fn openable(d: &Doc) -> bool {
    match d.inner() {
        Doc::Struct { fields, .. } | Doc::Variant { content: VariantContent::Struct(fields), .. } => !fields.is_empty(),
        _ => false,
    }
}

/// Whether a list, tuple or map holds structs (then it is not "simple").
fn holds_structs(d: &Doc) -> bool {
    match d.inner() {
        Doc::Seq(items) | Doc::Tuple(items) | Doc::Variant { content: VariantContent::Tuple(items), .. } => {
            items.iter().any(|i| openable(i) || holds_structs(i))
        }
        Doc::Map(entries) => entries.iter().any(|(_, v)| openable(v) || holds_structs(v)),
        _ => false,
    }
}

fn breakable(d: &Doc) -> bool {
    !children(d).is_empty()
}

fn chars(s: &str) -> usize {
    s.chars().count()
}

impl Layout {
    /// Lays out a whole scenario.
    pub fn scenario(root: &Doc) -> Layout {
        let mut l = Layout::default();
        let root_path = DocPath::default();
        l.new_line(0, &root_path);
        l.start(&root_path);
        l.value(root, &root_path, 0, 0, Mode::Body);
        l.end(&root_path);
        l
    }

    fn new_line(&mut self, indent: usize, ctx: &DocPath) {
        self.lines.push(Line { indent, ctx: ctx.clone(), ..Line::default() });
    }

    fn cur(&mut self) -> &mut Line {
        if self.lines.is_empty() {
            self.lines.push(Line::default());
        }
        let n = self.lines.len() - 1;
        &mut self.lines[n]
    }

    fn push(&mut self, s: &str) {
        self.cur().text.push_str(s);
    }

    fn col(&self) -> usize {
        self.lines.last().map_or(0, |l| l.indent + chars(&l.text))
    }

    fn start(&mut self, p: &DocPath) {
        self.cur().starts.push(p.clone());
    }

    fn end(&mut self, p: &DocPath) {
        self.cur().ends.push(p.clone());
    }

    /// Records every field and item inside `d`, written on the current line.
    fn register(&mut self, d: &Doc, path: &DocPath) {
        for (step, v) in children(d) {
            let p = with(path, step);
            self.start(&p);
            self.end(&p);
            self.register(v, &p);
        }
    }

    /// A field or item on a line of its own: `prefix` (`name: ` or nothing),
    /// the value, a comma.
    fn element(&mut self, prefix: &str, d: &Doc, path: &DocPath, indent: usize, mode: Mode) {
        self.new_line(indent, path);
        self.start(path);
        self.push(prefix);
        self.value(d, path, indent, 1, mode);
        self.push(",");
        self.end(path);
    }

    /// Writes `d` from the current position; `tail` characters will follow
    /// it on its last line.
    fn value(&mut self, d: &Doc, path: &DocPath, indent: usize, tail: usize, mode: Mode) {
        if mode == Mode::Auto || !breakable(d) {
            let one = d.to_ron_named();
            if !breakable(d) || self.col() + chars(&one) + tail <= WIDTH {
                self.push(&one);
                self.register(d, path);
                return;
            }
        }
        match d {
            Doc::Option(Some(x)) => self.value(x, path, indent, tail, mode),
            Doc::Variant { variant, content: VariantContent::Newtype(x), .. } => match &**x {
                Doc::Struct { fields, .. } => self.fields(variant, fields, path, indent, tail, mode),
                x => {
                    self.push(variant);
                    self.push("(");
                    self.value(x, path, indent, tail + 1, Mode::Auto);
                    self.push(")");
                }
            },
            Doc::Variant { variant, content: VariantContent::Struct(fields), .. } => {
                self.fields(variant, fields, path, indent, tail, mode)
            }
            Doc::Struct { name, fields } => self.fields(name, fields, path, indent, tail, mode),
            Doc::Variant { variant, content: VariantContent::Tuple(items), .. } => {
                self.list(&format!("{variant}("), d, items.len(), ")", path, indent)
            }
            Doc::Seq(items) => self.list("[", d, items.len(), "]", path, indent),
            Doc::Tuple(items) => self.list("(", d, items.len(), ")", path, indent),
            Doc::Map(entries) => self.list("{", d, entries.len(), "}", path, indent),
            d => {
                let one = d.to_ron_named();
                self.push(&one);
            }
        }
    }

    /// Items (or map entries) one per line between `open` and `close`; a
    /// list of plain values (strings, numbers) fills its lines instead.
    fn list(&mut self, open: &str, d: &Doc, _len: usize, close: &str, path: &DocPath, indent: usize) {
        self.push(open);
        if let Doc::Seq(items) = d
            && items.iter().all(|i| !breakable(i))
        {
            self.fill(items, path, indent + INDENT);
            self.new_line(indent, path);
            self.push(close);
            return;
        }
        let is_map = matches!(d, Doc::Map(_));
        let entries: Vec<(Option<&Doc>, &Doc)> = match d {
            Doc::Map(e) => e.iter().map(|(k, v)| (Some(k), v)).collect(),
            _ => children(d).into_iter().map(|(_, v)| (None, v)).collect(),
        };
        for ((step, _), (key, v)) in children(d).into_iter().zip(entries) {
            let p = with(path, step);
            let prefix = match (is_map, key) {
                (true, Some(k)) => format!("{}: ", k.to_ron_named()),
                _ => String::new(),
            };
            self.element(&prefix, v, &p, indent + INDENT, Mode::Auto);
        }
        self.new_line(indent, path);
        self.push(close);
    }

    /// Plain items, as many on each line as fit.
    fn fill(&mut self, items: &[Doc], path: &DocPath, indent: usize) {
        for (i, item) in items.iter().enumerate() {
            let one = item.to_ron_named();
            let p = with(path, Step::Index(i));
            if i == 0 || self.col() + 1 + chars(&one) + 1 > WIDTH {
                self.new_line(indent, path);
            } else {
                self.push(" ");
            }
            self.start(&p);
            self.push(&one);
            self.push(",");
            self.end(&p);
        }
    }

    /// A struct broken over lines (see the module's description).
    fn fields(
        &mut self,
        name: &str,
        fields: &[(&'static str, Doc)],
        path: &DocPath,
        indent: usize,
        tail: usize,
        mode: Mode,
    ) {
        self.push(name);
        self.push("(");
        let inner = indent + INDENT;
        if mode != Mode::Auto || fields.is_empty() {
            for (n, v) in fields {
                let m = if path.0.is_empty() && matches!(v, Doc::Seq(items) if !items.is_empty()) {
                    Mode::Lines
                } else {
                    Mode::Auto
                };
                self.element(&format!("{n}: "), v, &with(path, Step::Field(n.to_string())), inner, m);
            }
            self.new_line(indent, path);
            self.push(")");
            return;
        }
        // The leading simple fields stay on the first line.
        // `name: value,` on a line of its own at `inner` fits in WIDTH.
        let fits_alone = |(n, v): &(&'static str, Doc)| inner + chars(n) + chars(&v.to_ron_named()) + 3 <= WIDTH;
        let simple = |f: &(&'static str, Doc)| !openable(&f.1) && !holds_structs(&f.1) && fits_alone(f);
        // As many as fit in HEAD_WIDTH: the shipped files' node lines run
        // past WIDTH with their ids, labels and addresses.
        let mut col = self.col();
        let run = fields
            .iter()
            .take_while(|f| {
                col += chars(f.0) + 4 + chars(&f.1.to_ron_named());
                simple(f) && col <= HEAD_WIDTH
            })
            .count();
        for (i, (n, v)) in fields[..run].iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            let p = with(path, Step::Field(n.to_string()));
            self.start(&p);
            self.push(&format!("{n}: "));
            self.push(&v.to_ron_named());
            self.register(v, &p);
            self.end(&p);
        }
        let rest = &fields[run..];
        if rest.is_empty() {
            // Simple fields only: one line, however long (an ISP with its names).
            self.push(")");
            return;
        }
        if let [(n, v)] = rest
            && openable(v)
            && !fits_alone(&rest[0])
        {
            // The last field opened on the first line: `kind: IspRelay(`.
            if run > 0 {
                self.push(", ");
            }
            let p = with(path, Step::Field(n.to_string()));
            self.start(&p);
            self.push(&format!("{n}: "));
            self.value(v, &p, indent, tail + 1, Mode::Body);
            self.end(&p);
            self.push(")");
            return;
        }
        if run > 0 {
            self.push(",");
        }
        for (n, v) in rest {
            self.element(&format!("{n}: "), v, &with(path, Step::Field(n.to_string())), inner, Mode::Auto);
        }
        self.new_line(indent, path);
        self.push(")");
    }
}
