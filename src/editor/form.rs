//! The form of one item: every field of the reference with its value (or
//! its default), the kind of input it takes, and the checker's message for it.
//!
//! Rows are made from the item's [`Doc`] tree, in the order the file writes
//! it, one row per value, children after their parent one level deeper.
//! What the tree does not show comes from serde (see `probe.rs`): fields
//! that serde skipped because they had their default are added with that
//! default, an enum's variants are asked of its deserializer, and whether a
//! value is the default is found by reading the item back without it. The
//! hint of a text field says what its type reads (`a duration such as
//! 10m`), found by offering that type sample values, so no field is listed
//! by hand except for the plain strings that name something (addresses,
//! host names, node ids).
//!
//! The rows of one item take a few milliseconds to make: the window makes
//! them again when the selection or [`Editor::revision`] changes, not every frame.
//!
//! Paths: a row's `path` is what [`super::Op::SetField`] takes to change
//! that value. Lists are changed as a whole: [`list_with_added`] and
//! [`list_without`] give the new list's text; [`on_value`] the text that
//! turns an optional setting on. A variant that holds a list
//! (`OpenRelays([..])`) has its `Choice` row, then a `List` row at the same
//! path named after the variant, then the items. `Some` and newtype variants are transparent in paths
//! (`kind.relay`, `traffic[0].strategy[1]`); the content of a newtype
//! variant that holds a single value (`Fixed("15m")`, `Immediate(3)`) has no
//! path of its own: its row is the variant's, as `Input::Ron` of the whole
//! variant.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::probe::{self, at, fields_in, struct_fields_mut, type_name, variants_in};
use super::{Editor, Item};
use crate::scenario::Scenario;
use crate::scenario::doc::{Doc, DocPath, Step, VariantContent, to_doc};

/// One line of a form.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The field's path within the item (the path [`super::Op::SetField`] takes).
    pub path: DocPath,
    /// Nesting depth, for indentation.
    pub depth: usize,
    /// The field's name as the file writes it (`relay`, `retry`, `[0]`).
    pub name: String,
    pub input: Input,
    /// The value is the default (the file need not write it).
    pub is_default: bool,
    /// What the value is, for a hint under an empty or wrong input (`a
    /// duration such as 10m`), when known.
    pub hint: Option<String>,
    /// The checker's message for this field, if any.
    pub problem: Option<String>,
    /// The field is optional: setting it to `None` turns it off (the window
    /// offers a switch next to the input).
    pub optional: bool,
}

/// How a field is edited.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// Text as RON would read it without quotes (strings, durations, rates,
    /// addresses, networks); set with the value quoted.
    Text(String),
    Int(i128),
    Float(f64),
    Bool(bool),
    /// One of an enum's variants (a unit variant, or the name of one that
    /// holds settings, which follow as rows of their own).
    Choice {
        variants: Vec<String>,
        current: String,
    },
    /// An optional setting: off (`None`) or on (its settings follow).
    Optional {
        on: bool,
    },
    /// A list: its items follow; the window offers add and remove.
    List {
        len: usize,
    },
    /// A struct or tuple whose fields follow.
    Group,
    /// A value with no input of its own (maps, ...): edited as RON text.
    Ron(String),
}

/// The rows of `item`'s form (empty when it does not exist). A checker
/// message is put on the deepest row at or above the field it concerns;
/// messages about the item as a whole (an empty path) are on no row: the
/// window shows them above the form ([`Editor::problems_of`]).
pub fn rows(editor: &Editor, item: &Item) -> Vec<Row> {
    let s = &editor.scenario;
    let mut rows = match item {
        // The lists of items have forms of their own.
        // (Made from a copy without them: reading the whole world back for
        // each field's default would be slow.)
        Item::Scenario => {
            let own =
                Scenario { isps: vec![], nodes: vec![], links: vec![], dns: vec![], traffic: vec![], ..s.clone() };
            Form::rows_except(&own, &["isps", "nodes", "links", "dns", "traffic"])
        }
        Item::Isp(id) => s.isps.iter().find(|i| &i.id == id).map(Form::rows_of).unwrap_or_default(),
        Item::Node(id) => s.nodes.iter().find(|n| &n.id == id).map(Form::rows_of).unwrap_or_default(),
        Item::Link(i) => s.links.get(*i).map(Form::rows_of).unwrap_or_default(),
        Item::Zone(d) => s.dns.iter().find(|z| &z.domain == d).map(Form::rows_of).unwrap_or_default(),
        Item::Source(id) => s.traffic.iter().find(|t| t.id() == id).map(Form::rows_of).unwrap_or_default(),
    };
    // The checker's message goes to the deepest row at or above its path.
    for p in editor.problems_of(item) {
        let best = rows.iter_mut().filter(|r| p.path.0.starts_with(&r.path.0)).max_by_key(|r| r.path.0.len());
        if let Some(r) = best {
            r.problem = Some(match r.problem.take() {
                Some(before) => format!("{before}\n{}", p.message),
                None => p.message.clone(),
            });
        }
    }
    rows
}

/// Runs `$body` with `$v` bound to the item's value, whatever its type
/// (`None` when the item does not exist).
macro_rules! with_item {
    ($editor:expr, $item:expr, |$v:ident| $body:expr) => {{
        let s = &$editor.scenario;
        match $item {
            Item::Scenario => {
                let $v = s;
                Some($body)
            }
            Item::Isp(id) => s.isps.iter().find(|i| &i.id == id).map(|$v| $body),
            Item::Node(id) => s.nodes.iter().find(|n| &n.id == id).map(|$v| $body),
            Item::Link(i) => s.links.get(*i).map(|$v| $body),
            Item::Zone(d) => s.dns.iter().find(|z| &z.domain == d).map(|$v| $body),
            Item::Source(id) => s.traffic.iter().find(|t| t.id() == id).map(|$v| $body),
        }
    }};
}

/// The RON text that turns the optional setting at `path` on: with its
/// defaults where it has some (`()` for postgrey's settings), else with
/// empty required fields (`(server: "")`) for the teacher to fill in.
pub fn on_value(editor: &Editor, item: &Item, path: &DocPath) -> Option<String> {
    with_item!(editor, item, |v| probe::sample(v, path, false)).flatten()
}

/// The RON text of the list at `path` with one more item at its end (a
/// copy of its last item, or a plain value of its type), for the window's
/// "add" button: set it with [`super::Op::SetField`] at `path`.
pub fn list_with_added(editor: &Editor, item: &Item, path: &DocPath) -> Option<String> {
    with_item!(editor, item, |v| {
        let doc = to_doc(v).ok();
        match doc.as_ref().and_then(|d| at(d, path)).map(Doc::inner) {
            Some(Doc::Seq(items)) if !items.is_empty() => {
                let mut texts: Vec<String> = items.iter().map(Doc::to_ron).collect();
                texts.extend(texts.last().cloned());
                Some(in_variant(doc.as_ref(), path, format!("[{}]", texts.join(", "))))
            }
            // An empty list, or one serde skipped for being empty.
            Some(Doc::Seq(_)) | None => probe::sample(v, path, true).map(|l| in_variant(doc.as_ref(), path, l)),
            Some(_) => None,
        }
    })
    .flatten()
}

/// The RON text of the list at `path` without its item `index`, for the
/// window's "remove" button.
pub fn list_without(editor: &Editor, item: &Item, path: &DocPath, index: usize) -> Option<String> {
    with_item!(editor, item, |v| {
        let doc = to_doc(v).ok();
        match doc.as_ref().and_then(|d| at(d, path)).map(Doc::inner) {
            Some(Doc::Seq(items)) if index < items.len() => {
                let texts: Vec<String> =
                    items.iter().enumerate().filter(|(i, _)| *i != index).map(|(_, d)| d.to_ron()).collect();
                Some(in_variant(doc.as_ref(), path, format!("[{}]", texts.join(", "))))
            }
            _ => None,
        }
    })
    .flatten()
}

/// A list that is the content of a newtype variant (`OpenRelays([..])`)
/// is set with its variant around it.
fn in_variant(doc: Option<&Doc>, path: &DocPath, list: String) -> String {
    let mut at_path = doc.and_then(|d| at(d, path));
    while let Some(Doc::Option(Some(inner))) = at_path {
        at_path = Some(inner);
    }
    match at_path {
        Some(Doc::Variant { variant, content: VariantContent::Newtype(_), .. }) => format!("{variant}({list})"),
        _ => list,
    }
}

/// Making the rows of one value of type `T`.
struct Form<'a, T> {
    value: &'a T,
    doc: Doc,
    rows: Vec<Row>,
    /// Fields of the value itself that get no rows.
    skip: &'static [&'static str],
}

impl<'a, T: Serialize + DeserializeOwned> Form<'a, T> {
    fn rows_of(value: &'a T) -> Vec<Row> {
        Self::rows_except(value, &[])
    }

    fn rows_except(value: &'a T, skip: &'static [&'static str]) -> Vec<Row> {
        let Ok(doc) = to_doc(value) else { return vec![] };
        let mut f = Form { value, doc: doc.clone(), rows: vec![], skip };
        f.children(&doc, &DocPath::default(), 0);
        f.rows
    }

    fn push(&mut self, path: &DocPath, depth: usize, input: Input, optional: bool) {
        let name = match path.0.last() {
            Some(Step::Field(n)) => n.clone(),
            Some(Step::Index(i)) => format!("[{i}]"),
            None => String::new(),
        };
        let is_default = self.is_default(path);
        // Text, and optional settings that are off (what to type to turn them on).
        let hint = match &input {
            Input::Text(_) | Input::Optional { on: false } => self.hint(path),
            _ => None,
        };
        self.rows.push(Row { path: path.clone(), depth, name, input, is_default, hint, problem: None, optional });
    }

    /// The row of `doc` at `path`, then its children.
    fn value(&mut self, doc: &Doc, path: &DocPath, depth: usize, optional: bool) {
        match doc {
            Doc::Str(s) => self.push(path, depth, Input::Text(s.clone()), optional),
            Doc::Char(c) => self.push(path, depth, Input::Text(c.to_string()), optional),
            Doc::Int(n) => self.push(path, depth, Input::Int(*n), optional),
            Doc::Float(x) => self.push(path, depth, Input::Float(*x), optional),
            Doc::Bool(b) => self.push(path, depth, Input::Bool(*b), optional),
            Doc::Unit => self.push(path, depth, Input::Ron("()".into()), optional),
            Doc::Map(_) => self.push(path, depth, Input::Ron(doc.to_ron()), optional),
            Doc::Option(None) => self.push(path, depth, Input::Optional { on: false }, true),
            Doc::Option(Some(inner)) => match inner.as_ref() {
                Doc::Struct { .. } | Doc::Seq(_) | Doc::Tuple(_) => {
                    self.push(path, depth, Input::Optional { on: true }, true);
                    self.value(inner, path, depth + 1, false);
                }
                other => self.value(other, path, depth, true),
            },
            Doc::Seq(items) => {
                self.push(path, depth, Input::List { len: items.len() }, optional);
                self.children(doc, path, depth + 1);
            }
            Doc::Tuple(_) | Doc::Struct { .. } => {
                self.push(path, depth, Input::Group, optional);
                self.children(doc, path, depth + 1);
            }
            Doc::Variant { variant, content, .. } => {
                let variants = variants_in::<T>(&self.doc, path).map(|v| v.iter().map(|s| s.to_string()).collect());
                let input = match content {
                    VariantContent::Newtype(inner) if !matches!(inner.as_ref(), Doc::Struct { .. } | Doc::Seq(_)) => {
                        Input::Ron(doc.to_ron())
                    }
                    VariantContent::Tuple(_) => Input::Ron(doc.to_ron()),
                    _ => Input::Choice {
                        variants: variants.unwrap_or_else(|| vec![variant.to_string()]),
                        current: variant.to_string(),
                    },
                };
                let leaf = matches!(input, Input::Ron(_));
                self.push(path, depth, input, optional);
                if let VariantContent::Newtype(inner) = content
                    && let Doc::Seq(items) = inner.as_ref()
                {
                    // The list the variant holds (`OpenRelays([..])`): a row
                    // of its own, at the same path, named after the variant.
                    self.push(path, depth + 1, Input::List { len: items.len() }, false);
                    if let Some(r) = self.rows.last_mut() {
                        r.name = variant.to_string();
                    }
                    self.children(doc, path, depth + 2);
                } else if !leaf {
                    self.children(doc, path, depth + 1);
                }
            }
        }
    }

    /// The rows of what `doc` holds: fields (with those serde skipped),
    /// items, a variant's settings.
    fn children(&mut self, doc: &Doc, path: &DocPath, depth: usize) {
        let with = |step: Step| {
            let mut p = path.clone();
            p.0.push(step);
            p
        };
        match doc.inner() {
            Doc::Seq(items) | Doc::Tuple(items) | Doc::Variant { content: VariantContent::Tuple(items), .. } => {
                for (i, d) in items.iter().enumerate() {
                    self.value(d, &with(Step::Index(i)), depth, false);
                }
            }
            inner @ (Doc::Struct { .. } | Doc::Variant { content: VariantContent::Struct(_), .. }) => {
                let present = probe::struct_fields(inner).cloned().unwrap_or_default();
                let all: Vec<&'static str> = match fields_in::<T>(&self.doc, path) {
                    Some(all) => all.to_vec(),
                    None => present.iter().map(|(k, _)| *k).collect(),
                };
                for name in all {
                    if path.0.is_empty() && self.skip.contains(&name) {
                        continue;
                    }
                    let p = with(Step::Field(name.to_string()));
                    match present.iter().find(|(k, _)| *k == name) {
                        Some((_, d)) => self.value(d, &p, depth, false),
                        None => self.missing(&p, depth),
                    }
                }
            }
            _ => {}
        }
    }

    /// The row of a field serde skipped (it has its default): what kind of
    /// value it takes is found by offering it empty values of each kind.
    fn missing(&mut self, path: &DocPath, depth: usize) {
        let takes = |t: &str| super::ops::with_value(self.value, path, t).is_ok();
        let input = if takes("None") {
            Input::Optional { on: false }
        } else if takes("[]") {
            Input::List { len: 0 }
        } else if takes("{}") {
            Input::Ron("{}".into())
        } else if takes("false") {
            Input::Bool(false)
        } else if let Some(variants) = variants_in::<T>(&self.doc, path) {
            // The default is the variant that serde skips again.
            let current = variants
                .iter()
                .find(|v| {
                    super::ops::with_value(self.value, path, v)
                        .ok()
                        .and_then(|t| to_doc(&t).ok())
                        .is_some_and(|d| at(&d, path).is_none())
                })
                .unwrap_or(&"")
                .to_string();
            Input::Choice { variants: variants.iter().map(|s| s.to_string()).collect(), current }
        } else {
            Input::Ron(String::new())
        };
        let optional = matches!(input, Input::Optional { .. });
        self.push(path, depth, input, optional);
        if let Some(r) = self.rows.last_mut() {
            r.is_default = true;
        }
    }

    /// Whether the field at `path` holds what serde gives when it is left
    /// out (only fields of structs have defaults).
    fn is_default(&self, path: &DocPath) -> bool {
        let Some(now) = at(&self.doc, path) else { return true };
        // Only what leads to the field is read back (a lesson's other steps
        // would make each row cost a reading of the whole lesson).
        let mut doc = self.doc.clone();
        let mut steps = Vec::new();
        prune(&mut doc, &path.0, &mut steps);
        let path = &DocPath(steps);
        let Some((Step::Field(name), parent)) = path.0.split_last() else { return false };
        let Some(fields) = probe::at_mut(&mut doc, &DocPath(parent.to_vec())).and_then(struct_fields_mut) else {
            return false;
        };
        fields.retain(|(k, _)| k != name);
        let Ok(back) = probe::read::<T>(&doc.to_ron()) else { return false };
        let Ok(back) = to_doc(&back) else { return false };
        at(&back, path).is_none_or(|d| d == now)
    }

    /// What a text field reads, from its type (found by trying samples) or,
    /// for plain strings, its name.
    fn hint(&self, path: &DocPath) -> Option<String> {
        // The key: the nearest struct above and the steps from it, list
        // items as `[]` (all alike), tuple elements by position.
        let mut key = String::new();
        let mut field = None;
        let mut in_tuple = false;
        for n in (0..path.0.len()).rev() {
            let above = at(&self.doc, &DocPath(path.0[..n].to_vec()));
            match &path.0[n] {
                Step::Field(f) => {
                    key = format!(".{f}{key}");
                    field = field.or(Some(f.as_str()));
                }
                Step::Index(i) if matches!(above.map(Doc::inner), Some(Doc::Tuple(_))) => {
                    key = format!("[{i}]{key}");
                    in_tuple |= field.is_none();
                }
                Step::Index(_) => key = format!("[]{key}"),
            }
            if let Some(owner) = above.and_then(type_name) {
                key = format!("{owner}{key}");
                break;
            }
        }
        let field = field?;
        hint_cache(key, || {
            let takes = |t: &str| super::ops::with_value(self.value, path, t).is_ok();
            if !takes("\"\\u{1}\"") {
                return SAMPLES.iter().find(|(sample, _)| takes(sample)).map(|(_, hint)| hint.to_string());
            }
            // A plain string: what it names, by its field (not for the
            // elements of a tuple, which the field's name does not describe).
            if in_tuple {
                return None;
            }
            NAMED.iter().find(|(names, _)| names.contains(&field)).map(|(_, h)| h.to_string())
        })
    }
}

/// Cuts `doc` down to what leads to `path` (lists on the way keep only the
/// item on it, other lists are emptied), for reading it back quickly;
/// `out` gets the path in the cut tree. The value at the path is kept whole.
fn prune(doc: &mut Doc, path: &[Step], out: &mut Vec<Step>) {
    let Some((step, rest)) = path.split_first() else { return };
    match (doc, step) {
        (Doc::Option(Some(inner)), _) => prune(inner, path, out),
        (Doc::Variant { content: VariantContent::Newtype(inner), .. }, _) => prune(inner, path, out),
        (Doc::Struct { fields, .. }, Step::Field(n))
        | (Doc::Variant { content: VariantContent::Struct(fields), .. }, Step::Field(n)) => {
            for (k, v) in fields.iter_mut() {
                if k == n {
                    out.push(step.clone());
                    prune(v, rest, out);
                } else {
                    empty_lists(v);
                }
            }
        }
        (Doc::Seq(items), Step::Index(i)) if *i < items.len() => {
            let mut item = items.swap_remove(*i);
            out.push(Step::Index(0));
            prune(&mut item, rest, out);
            *items = vec![item];
        }
        (Doc::Tuple(items), Step::Index(i))
        | (Doc::Variant { content: VariantContent::Tuple(items), .. }, Step::Index(i)) => {
            for (k, v) in items.iter_mut().enumerate() {
                if k == *i {
                    out.push(step.clone());
                    prune(v, rest, out);
                } else {
                    empty_lists(v);
                }
            }
        }
        // Maps and anything else: kept as they are.
        _ => out.extend(path.iter().cloned()),
    }
}

/// Empties every list in `doc` (serde reads an empty list as well as a full one).
fn empty_lists(doc: &mut Doc) {
    match doc {
        Doc::Seq(items) => items.clear(),
        Doc::Option(Some(inner)) | Doc::Variant { content: VariantContent::Newtype(inner), .. } => empty_lists(inner),
        Doc::Tuple(items) | Doc::Variant { content: VariantContent::Tuple(items), .. } => {
            items.iter_mut().for_each(empty_lists)
        }
        Doc::Struct { fields, .. } | Doc::Variant { content: VariantContent::Struct(fields), .. } => {
            fields.iter_mut().for_each(|(_, v)| empty_lists(v))
        }
        Doc::Map(entries) => entries.iter_mut().for_each(|(_, v)| empty_lists(v)),
        _ => {}
    }
}

/// Values of the typed strings, with what to say about a field that takes
/// one (a date first: a field that takes a date takes a duration too).
const SAMPLES: [(&str, &str); 6] = [
    ("\"2005-06-01\"", "a date such as 2005-06-01 or a duration such as 30d"),
    ("\"10m\"", "a duration such as 10m, 30s, 2h or 1d12h"),
    ("\"40/h\"", "a rate such as 40/h or 2.5/min"),
    ("\"10.1.0.0/16\"", "a network such as 10.1.0.0/16"),
    ("\"192.0.2.10\"", "an address such as 192.0.2.10"),
    ("\"1999-03-01T09:00:00Z\"", "a time such as 1999-03-01T09:00:00Z"),
];

/// Plain strings that name something, by field name.
const NAMED: [(&[&str], &str); 6] = [
    (&["user", "to", "forged_from", "sender", "mailboxes", "forwards"], "a mail address such as bob@company.example"),
    (&["hostname", "outbound_ips"], "a host name such as mail.isp-a.example"),
    (&["domain", "domains", "relay_domains"], "a domain such as isp-a.example"),
    (
        &["server", "mailbox", "relayhost", "from", "senders", "nat", "a", "b", "relay", "node", "nodes", "origin"],
        "the id of a node",
    ),
    (&["isp", "dynamic_of"], "the id of an ISP"),
    (&["password"], "a password"),
];

/// The hints in Japanese, for the window's Japanese labels.
const HINTS_JA: [(&str, &str); 12] = [
    ("a date such as 2005-06-01 or a duration such as 30d", "日付 (例: 2005-06-01) または時間の長さ (例: 30d)"),
    ("a duration such as 10m, 30s, 2h or 1d12h", "時間の長さ (例: 10m, 30s, 2h, 1d12h)"),
    ("a rate such as 40/h or 2.5/min", "頻度 (例: 40/h, 2.5/min)"),
    ("a network such as 10.1.0.0/16", "ネットワーク (例: 10.1.0.0/16)"),
    ("an address such as 192.0.2.10", "IP アドレス (例: 192.0.2.10)"),
    ("a time such as 1999-03-01T09:00:00Z", "日時 (例: 1999-03-01T09:00:00Z)"),
    ("a mail address such as bob@company.example", "メールアドレス (例: bob@company.example)"),
    ("a host name such as mail.isp-a.example", "ホスト名 (例: mail.isp-a.example)"),
    ("a domain such as isp-a.example", "ドメイン (例: isp-a.example)"),
    ("the id of a node", "ノードの id"),
    ("the id of an ISP", "ISP の id"),
    ("a password", "パスワード"),
];

/// A row's hint in Japanese (`None` for a text this table does not know).
pub fn hint_ja(hint: &str) -> Option<&'static str> {
    HINTS_JA.iter().find(|(en, _)| *en == hint).map(|(_, ja)| *ja)
}

fn hint_cache(key: String, find: impl FnOnce() -> Option<String>) -> Option<String> {
    static CACHE: OnceLock<Mutex<HashMap<String, Option<String>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(v) = cache.lock().ok().and_then(|c| c.get(&key).cloned()) {
        return v;
    }
    let v = find();
    if let Ok(mut c) = cache.lock() {
        c.insert(key, v.clone());
    }
    v
}
