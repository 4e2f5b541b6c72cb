//! What serde knows about a type and its `Doc` does not show: every field
//! of a struct (a field skipped when it has its default is missing from the
//! tree), every variant of an enum, and the kind of value a missing field
//! takes.
//!
//! Serde's derived deserializers say all of this in their errors: a struct
//! with `deny_unknown_fields` that meets an unknown field answers with the
//! list of the fields it expects, and an enum that meets an unknown variant
//! with its variants. So the item's RON is written with a probe put at the
//! place asked about and read back; the answer is cached by type name.
//! Nothing here lists a schema type by hand.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::ron_options;
use crate::scenario::doc::{Doc, DocPath, Step, VariantContent, to_doc};

/// The name of a field no struct has.
const PROBE_FIELD: &str = "__relaysim_probe";
/// The name of a variant no enum has.
const PROBE_VARIANT: &str = "RelaysimProbe";
/// A string no scenario holds, standing for a value to be put in its place.
pub(crate) const MARKER: &str = "\u{1}relaysim-value\u{1}";

type Names = &'static [&'static str];

fn cache() -> &'static Mutex<HashMap<String, Option<Names>>> {
    static CACHE: OnceLock<Mutex<HashMap<String, Option<Names>>>> = OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(HashMap::new()))
}

fn cached(key: String, find: impl FnOnce() -> Option<Names>) -> Option<Names> {
    if let Some(v) = cache().lock().ok().and_then(|c| c.get(&key).copied()) {
        return v;
    }
    let v = find();
    if let Ok(mut c) = cache().lock() {
        c.insert(key, v);
    }
    v
}

/// The fields of a struct value, through `Some` and newtype variants.
pub(crate) fn struct_fields_mut(doc: &mut Doc) -> Option<&mut Vec<(&'static str, Doc)>> {
    match doc {
        Doc::Struct { fields, .. } => Some(fields),
        Doc::Option(Some(inner)) => struct_fields_mut(inner),
        Doc::Variant { content: VariantContent::Newtype(inner), .. } => struct_fields_mut(inner),
        Doc::Variant { content: VariantContent::Struct(fields), .. } => Some(fields),
        _ => None,
    }
}

/// The fields of a struct value (see [`struct_fields_mut`]).
pub(crate) fn struct_fields(doc: &Doc) -> Option<&Vec<(&'static str, Doc)>> {
    match doc {
        Doc::Struct { fields, .. } => Some(fields),
        Doc::Option(Some(inner)) => struct_fields(inner),
        Doc::Variant { content: VariantContent::Newtype(inner), .. } => struct_fields(inner),
        Doc::Variant { content: VariantContent::Struct(fields), .. } => Some(fields),
        _ => None,
    }
}

/// The type name of a struct value, for the cache (`Enum::Variant` for a
/// struct variant).
pub(crate) fn type_name(doc: &Doc) -> Option<String> {
    match doc {
        Doc::Struct { name, .. } => Some(name.to_string()),
        Doc::Option(Some(inner)) => type_name(inner),
        Doc::Variant { content: VariantContent::Newtype(inner), .. } => type_name(inner),
        Doc::Variant { name, variant, content: VariantContent::Struct(_) } => Some(format!("{name}::{variant}")),
        _ => None,
    }
}

/// Reads `text` as a `T` with the scenario files' RON options.
pub(crate) fn read<T: DeserializeOwned>(text: &str) -> Result<T, ron::error::SpannedError> {
    ron_options().from_str(text)
}

/// The value at `path` (the root for an empty path).
pub(crate) fn at<'d>(doc: &'d Doc, path: &DocPath) -> Option<&'d Doc> {
    if path.0.is_empty() { Some(doc) } else { doc.get(path) }
}

/// The value at `path`, to change it.
pub(crate) fn at_mut<'d>(doc: &'d mut Doc, path: &DocPath) -> Option<&'d mut Doc> {
    if path.0.is_empty() { Some(doc) } else { doc.get_mut(path) }
}

/// Every field of the struct at `path` in a value's tree, in declaration
/// order (`None` when there is no struct there, or it accepts unknown fields).
pub(crate) fn fields_in<T: DeserializeOwned>(doc: &Doc, path: &DocPath) -> Option<Names> {
    let key = type_name(at(doc, path)?)?;
    cached(format!("fields {key}"), || {
        let mut doc = doc.clone();
        struct_fields_mut(at_mut(&mut doc, path)?)?.insert(0, (PROBE_FIELD, Doc::Unit));
        match read::<T>(&doc.to_ron()) {
            Err(e) => match e.code {
                ron::Error::NoSuchStructField { expected, .. } => Some(expected),
                _ => None,
            },
            Ok(_) => None,
        }
    })
}

/// Every variant of the enum at `path` in a value's tree (also where the
/// value is `None` or missing, when its parent is there).
pub(crate) fn variants_in<T: DeserializeOwned>(doc: &Doc, path: &DocPath) -> Option<Names> {
    let find = || {
        let mut doc = doc.clone();
        let probe = Doc::Variant { name: "", variant: PROBE_VARIANT, content: VariantContent::Unit };
        put::<T>(&mut doc, path, probe)?;
        match read::<T>(&doc.to_ron()) {
            Err(e) => match e.code {
                ron::Error::NoSuchEnumVariant { expected, .. } => Some(expected),
                _ => None,
            },
            Ok(_) => None,
        }
    };
    match enum_name(doc, path) {
        Some(key) => cached(format!("variants {key}"), find),
        None => find(),
    }
}

/// The enum's type name at `path`, when a value is there to tell it.
fn enum_name(doc: &Doc, path: &DocPath) -> Option<String> {
    match at(doc, path)? {
        Doc::Variant { name, .. } => Some(name.to_string()),
        Doc::Option(Some(inner)) => match inner.as_ref() {
            Doc::Variant { name, .. } => Some(name.to_string()),
            _ => None,
        },
        _ => None,
    }
}

/// Puts `value` at `path` in `doc` (the tree of a `T`): in place of what is
/// there, or as a new field of the struct above it (a field serde skipped
/// because it had its default). `None` when there is no such place.
pub(crate) fn put<T: DeserializeOwned>(doc: &mut Doc, path: &DocPath, value: Doc) -> Option<()> {
    if let Some(here) = at_mut(doc, path) {
        *here = value;
        return Some(());
    }
    let (Step::Field(name), parent) = path.0.split_last()? else { return None };
    let parent = DocPath(parent.to_vec());
    // The field's `&'static` name, from serde's own list.
    let name: &'static str = fields_in::<T>(doc, &parent)?.iter().find(|f| **f == name.as_str())?;
    struct_fields_mut(at_mut(doc, &parent)?)?.push((name, value));
    Some(())
}

/// Whether `text` is one RON value: no `,` or `:` outside brackets and
/// strings (which would set other fields than the one asked for).
pub(crate) fn one_value(text: &str) -> bool {
    let (mut depth, mut in_str, mut escaped) = (0i32, false, false);
    for c in text.chars() {
        if in_str {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_str = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_str = true,
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => {
                depth -= 1;
                if depth < 0 {
                    return false;
                }
            }
            ',' | ':' if depth == 0 => return false,
            _ => {}
        }
    }
    depth == 0 && !in_str && !text.trim().is_empty()
}

/// Why [`try_value`] could not set a value.
#[derive(Debug)]
pub(crate) enum TryError {
    /// The text is more than one value (`"a", ip: "1.2.3.4"`).
    NotOne,
    /// No such field.
    NoPlace,
    /// The value cannot be represented as a tree (serde's custom error).
    Doc(String),
    /// Serde's answer when the item is read back with the value.
    Ron(ron::Error),
}

/// `value` with the field at `path` set to the RON `text`: the value's RON
/// is written with `text` in that place and read back, so serde checks it
/// (and applies its defaults). A field serde skipped can be set too.
pub(crate) fn try_value<T: Serialize + DeserializeOwned>(value: &T, path: &DocPath, text: &str) -> Result<T, TryError> {
    if !one_value(text) {
        return Err(TryError::NotOne);
    }
    let mut doc = to_doc(value).map_err(|e| TryError::Doc(e.to_string()))?;
    put::<T>(&mut doc, path, Doc::Str(MARKER.to_string())).ok_or(TryError::NoPlace)?;
    let written = doc.to_ron();
    let marker = Doc::Str(MARKER.to_string()).to_ron();
    if written.matches(&marker).count() != 1 {
        return Err(TryError::NoPlace);
    }
    read::<T>(&written.replacen(&marker, text, 1)).map_err(|e| TryError::Ron(e.code))
}

/// Values to offer a field of unknown type, simplest first.
const SIMPLE: [&str; 11] =
    ["()", "[]", "{}", "\"\"", "0", "false", "0.0", "\"0s\"", "\"1/h\"", "\"10.0.0.0/8\"", "\"192.0.2.1\""];

/// Elements of the pairs to offer (the schema's tuples are pairs: an MX
/// record, an A record, a forward, a position).
const PAIRED: [&str; 3] = ["0", "\"\"", "\"192.0.2.1\""];

/// A RON value the field at `path` of `value` accepts, as plain as can be
/// found (`()` for a struct whose fields all have defaults, `""` for a
/// string, the first unit variant of an enum, a struct with its required
/// fields filled with such values): what the window puts in an optional
/// setting turned on, for the teacher to change. With `list`, the value is
/// a list of one such item (for the first item of an empty list).
pub(crate) fn sample<T: Serialize + DeserializeOwned>(value: &T, path: &DocPath, list: bool) -> Option<String> {
    let wrap = |t: &str| if list { format!("[{t}]") } else { t.to_string() };
    let ok = |t: &str| try_value(value, path, &wrap(t));
    if let Some(t) = SIMPLE.iter().find(|t| ok(t).is_ok()) {
        return Some(wrap(t));
    }
    let pairs = PAIRED.iter().flat_map(|a| PAIRED.iter().map(move |b| format!("({a}, {b})")));
    if let Some(t) = pairs.clone().find(|t| ok(t).is_ok()) {
        return Some(wrap(&t));
    }
    if let Err(TryError::Ron(ron::Error::NoSuchEnumVariant { expected, .. })) = ok(PROBE_VARIANT) {
        return expected.iter().find(|v| ok(v).is_ok()).map(|v| wrap(v));
    }
    // A struct: its required fields one by one, each with the first simple
    // value it takes.
    let mut fields: Vec<(&str, &str)> = Vec::new();
    for _ in 0..16 {
        let text = format!("({})", fields.iter().map(|(f, v)| format!("{f}: {v}")).collect::<Vec<_>>().join(", "));
        match ok(&text) {
            Ok(_) => return Some(wrap(&text)),
            Err(TryError::Ron(ron::Error::MissingStructField { field, .. })) => fields.push((field, SIMPLE[0])),
            Err(_) => {
                // The last field's value is of the wrong type: the next one.
                let (_, v) = fields.last_mut()?;
                let next = SIMPLE.iter().position(|s| s == v)? + 1;
                *v = SIMPLE.get(next)?;
            }
        }
    }
    None
}
