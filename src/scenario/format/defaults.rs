//! Leaving out what serde would fill in anyway: a field whose value is its
//! default is not written, unless the author wrote it at that place.
//!
//! Whether a value is a field's default is found generically: the field is
//! taken out of the scenario's tree and the text read back; if serde gives
//! the same value, it is the default. The answer depends only on the
//! struct's type, the field and the value, so it is cached by those (for
//! the whole process: the editor formats on every Save).

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use crate::scenario::Scenario;
use crate::scenario::doc::{Doc, DocPath, Step, VariantContent, from_doc, to_doc};

/// (type name and its field names, field, value as RON) → is the default.
type Cache = HashMap<(String, &'static str, String), bool>;

fn cache() -> &'static Mutex<Cache> {
    static CACHE: OnceLock<Mutex<Cache>> = OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(HashMap::new()))
}

/// Values longer than this are checked every time, not cached (whole lists).
const CACHED_TEXT: usize = 512;
/// The cache is emptied when it grows past this many answers.
const CACHE_LIMIT: usize = 20_000;

/// `root` (a scenario's tree) without its default fields, except those for
/// which `keep` says the author wrote them.
pub(super) fn prune(root: &Doc, keep: &dyn Fn(&DocPath) -> bool) -> Doc {
    let mut out = root.clone();
    let mut path = DocPath::default();
    prune_in(root, &mut out, &mut path, keep);
    out
}

fn prune_in(root: &Doc, d: &mut Doc, path: &mut DocPath, keep: &dyn Fn(&DocPath) -> bool) {
    match d {
        Doc::Option(Some(inner)) => prune_in(root, inner, path, keep),
        Doc::Variant { content: VariantContent::Newtype(inner), .. } => prune_in(root, inner, path, keep),
        Doc::Seq(items) | Doc::Tuple(items) | Doc::Variant { content: VariantContent::Tuple(items), .. } => {
            for (i, item) in items.iter_mut().enumerate() {
                path.0.push(Step::Index(i));
                prune_in(root, item, path, keep);
                path.0.pop();
            }
        }
        Doc::Map(entries) => {
            for (k, v) in entries.iter_mut() {
                if let Doc::Str(k) = k {
                    path.0.push(Step::Field(k.clone()));
                    prune_in(root, v, path, keep);
                    path.0.pop();
                }
            }
        }
        Doc::Struct { name, fields } => {
            let ty = type_key(name, None, fields);
            prune_fields(root, &ty, fields, path, keep);
        }
        Doc::Variant { name, variant, content: VariantContent::Struct(fields) } => {
            let ty = type_key(name, Some(variant), fields);
            prune_fields(root, &ty, fields, path, keep);
        }
        _ => {}
    }
}

fn type_key(name: &str, variant: Option<&str>, fields: &[(&'static str, Doc)]) -> String {
    let names: Vec<&str> = fields.iter().map(|(n, _)| *n).collect();
    format!("{name}::{}({})", variant.unwrap_or(""), names.join(","))
}

fn prune_fields(
    root: &Doc,
    ty: &str,
    fields: &mut Vec<(&'static str, Doc)>,
    path: &mut DocPath,
    keep: &dyn Fn(&DocPath) -> bool,
) {
    let mut kept = Vec::with_capacity(fields.len());
    for (name, mut value) in std::mem::take(fields) {
        path.0.push(Step::Field(name.to_string()));
        let drop = !keep(path) && {
            path.0.pop();
            let d = is_default(root, path, ty, name, &value);
            path.0.push(Step::Field(name.to_string()));
            d
        };
        if !drop {
            prune_in(root, &mut value, path, keep);
            kept.push((name, value));
        }
        path.0.pop();
    }
    *fields = kept;
}

/// Whether field `name` (holding `value`) of the struct at `at` is what
/// serde gives when the field is left out.
fn is_default(root: &Doc, at: &DocPath, ty: &str, name: &'static str, value: &Doc) -> bool {
    let text = value.to_ron();
    let key = (ty.to_string(), name, text);
    let cached = key.2.len() <= CACHED_TEXT;
    if cached && let Some(&answer) = cache().lock().ok().and_then(|c| c.get(&key).copied()).as_ref() {
        return answer;
    }
    let answer = check(root, at, name, value);
    if cached && let Ok(mut c) = cache().lock() {
        if c.len() > CACHE_LIMIT {
            c.clear();
        }
        c.insert(key, answer);
    }
    answer
}

fn check(root: &Doc, at: &DocPath, name: &'static str, value: &Doc) -> bool {
    let (mut small, at) = shrink(root, at);
    let Some(target) = small.get_mut(&at) else { return false };
    let fields = match target.inner_mut() {
        Doc::Struct { fields, .. } | Doc::Variant { content: VariantContent::Struct(fields), .. } => fields,
        _ => return false,
    };
    fields.retain(|(n, _)| *n != name);
    let Ok(back) = from_doc::<Scenario>(&small) else { return false };
    let Ok(back) = to_doc(&back) else { return false };
    let mut field = at;
    field.0.push(Step::Field(name.to_string()));
    back.get(&field) == Some(value)
}

/// The scenario reduced to what the check needs: every top-level list
/// emptied, except the one item the path goes into (moved to index 0).
fn shrink(root: &Doc, at: &DocPath) -> (Doc, DocPath) {
    let Doc::Struct { name, fields } = root else { return (root.clone(), at.clone()) };
    let (list, index) = match (at.0.first(), at.0.get(1)) {
        (Some(Step::Field(l)), Some(Step::Index(i))) => (Some(l.as_str()), *i),
        _ => (None, 0),
    };
    let mut at = at.clone();
    let fields = fields
        .iter()
        .map(|(n, v)| match v {
            Doc::Seq(items) if Some(*n) == list => {
                at.0[1] = Step::Index(0);
                (*n, Doc::Seq(items.get(index).cloned().into_iter().collect()))
            }
            Doc::Seq(_) => (*n, Doc::Seq(vec![])),
            v => (*n, v.clone()),
        })
        .collect();
    (Doc::Struct { name, fields }, at)
}
