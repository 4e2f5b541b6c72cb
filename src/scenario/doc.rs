//! A scenario (or any part of it) as a tree of named values: what serde
//! writes, with struct, field and variant names kept. The formatter prints
//! it as RON, the editor's forms show and change it field by field.

use serde::Serialize;
use serde::de::DeserializeOwned;

mod ser;
#[cfg(test)]
mod tests;
mod write;

pub use write::{escape_char, escape_str, float};

/// One value, as serde serializes it.
#[derive(Debug, Clone, PartialEq)]
pub enum Doc {
    Unit,
    Bool(bool),
    Int(i128),
    Float(f64),
    Char(char),
    Str(String),
    /// `None`, or `Some(value)` (written as the bare value: RON's implicit Some).
    Option(Option<Box<Doc>>),
    Seq(Vec<Doc>),
    Tuple(Vec<Doc>),
    Map(Vec<(Doc, Doc)>),
    /// A struct: its Rust type name and its fields in declaration order.
    Struct {
        name: &'static str,
        fields: Vec<(&'static str, Doc)>,
    },
    /// An enum variant: `Open`, `ClientPc(..)`, `Block(port: 25, ..)`.
    Variant {
        name: &'static str,
        variant: &'static str,
        content: VariantContent,
    },
}

/// What an enum variant holds.
#[derive(Debug, Clone, PartialEq)]
pub enum VariantContent {
    Unit,
    /// A newtype variant (`IspRelay(MailServer)`): written unwrapped, and
    /// transparent in paths.
    Newtype(Box<Doc>),
    Tuple(Vec<Doc>),
    Struct(Vec<(&'static str, Doc)>),
}

/// One step of a path into a [`Doc`]. `Some` and newtype variants are
/// transparent: `kind.relay` reaches a mail server's relay policy.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Step {
    Field(String),
    Index(usize),
}

/// A path such as `kind.filters[0].port` (see [`Step`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DocPath(pub Vec<Step>);

impl std::fmt::Display for DocPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, s) in self.0.iter().enumerate() {
            match s {
                Step::Field(n) if i == 0 => write!(f, "{n}")?,
                Step::Field(n) => write!(f, ".{n}")?,
                Step::Index(k) => write!(f, "[{k}]")?,
            }
        }
        Ok(())
    }
}

impl std::str::FromStr for DocPath {
    type Err = String;
    /// Reads `kind.filters[0].port` back.
    fn from_str(s: &str) -> Result<Self, String> {
        let mut steps = Vec::new();
        for part in s.split('.').filter(|p| !p.is_empty()) {
            let (name, rest) = part.split_once('[').map_or((part, ""), |(a, b)| (a, b));
            if !name.is_empty() {
                steps.push(Step::Field(name.to_string()));
            }
            for idx in rest.split('[').filter(|p| !p.is_empty()) {
                let n = idx.trim_end_matches(']').parse().map_err(|_| format!("bad index in `{s}`"))?;
                steps.push(Step::Index(n));
            }
        }
        Ok(DocPath(steps))
    }
}

/// Why a value could not be turned into a [`Doc`] (serde's custom errors).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("cannot represent the value: {0}")]
pub struct DocError(pub String);

impl serde::ser::Error for DocError {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        DocError(msg.to_string())
    }
}

/// The tree of `value`.
pub fn to_doc<T: Serialize + ?Sized>(value: &T) -> Result<Doc, DocError> {
    value.serialize(ser::DocSerializer)
}

impl Doc {
    /// The value at `path`, through `Some` and newtype variants.
    pub fn get(&self, path: &DocPath) -> Option<&Doc> {
        let mut at = self;
        for step in &path.0 {
            at = at.step(step)?;
        }
        Some(at)
    }

    /// The value at `path`, to change it in place.
    pub fn get_mut(&mut self, path: &DocPath) -> Option<&mut Doc> {
        let mut at = self;
        for step in &path.0 {
            at = at.step_mut(step)?;
        }
        Some(at)
    }

    /// The value itself, or what a `Some` or a newtype variant holds (paths
    /// go through them).
    pub fn inner(&self) -> &Doc {
        match self {
            Doc::Option(Some(d)) => d.inner(),
            Doc::Variant { content: VariantContent::Newtype(d), .. } => d.inner(),
            d => d,
        }
    }

    /// [`Doc::inner`], to change it.
    pub fn inner_mut(&mut self) -> &mut Doc {
        match self {
            Doc::Option(Some(d)) => d.inner_mut(),
            Doc::Variant { content: VariantContent::Newtype(d), .. } => d.inner_mut(),
            d => d,
        }
    }

    /// One step down: a field of a struct (or struct variant, or a map's
    /// string key), an item of a sequence or tuple (or tuple variant).
    fn step(&self, step: &Step) -> Option<&Doc> {
        match (self.inner(), step) {
            (Doc::Struct { fields, .. }, Step::Field(n))
            | (Doc::Variant { content: VariantContent::Struct(fields), .. }, Step::Field(n)) => {
                fields.iter().find(|(f, _)| f == n).map(|(_, d)| d)
            }
            (Doc::Map(entries), Step::Field(n)) => {
                entries.iter().find(|(k, _)| matches!(k, Doc::Str(s) if s == n)).map(|(_, d)| d)
            }
            (Doc::Seq(items), Step::Index(i))
            | (Doc::Tuple(items), Step::Index(i))
            | (Doc::Variant { content: VariantContent::Tuple(items), .. }, Step::Index(i)) => items.get(*i),
            _ => None,
        }
    }

    fn step_mut(&mut self, step: &Step) -> Option<&mut Doc> {
        match (self.inner_mut(), step) {
            (Doc::Struct { fields, .. }, Step::Field(n))
            | (Doc::Variant { content: VariantContent::Struct(fields), .. }, Step::Field(n)) => {
                fields.iter_mut().find(|(f, _)| f == n).map(|(_, d)| d)
            }
            (Doc::Map(entries), Step::Field(n)) => {
                entries.iter_mut().find(|(k, _)| matches!(k, Doc::Str(s) if s == n)).map(|(_, d)| d)
            }
            (Doc::Seq(items), Step::Index(i))
            | (Doc::Tuple(items), Step::Index(i))
            | (Doc::Variant { content: VariantContent::Tuple(items), .. }, Step::Index(i)) => items.get_mut(*i),
            _ => None,
        }
    }

    /// The value as RON on one line, in the scenario files' dialect (implicit
    /// `Some`, unwrapped newtype variants), readable by [`from_doc`].
    /// Structs are written without their names: `(user: "a", password: "b")`.
    pub fn to_ron(&self) -> String {
        let mut out = String::new();
        write::value(&mut out, self, false);
        out
    }

    /// [`Doc::to_ron`] with the names of structs, as the shipped files write
    /// their items (`Credentials(user: "a", password: "b")`) and as the
    /// formatter does. RON reads a struct with or without its name.
    pub fn to_ron_named(&self) -> String {
        let mut out = String::new();
        write::value(&mut out, self, true);
        out
    }
}

/// Reads a value back from its tree (through its RON text, so serde's own
/// defaults and checks apply).
pub fn from_doc<T: DeserializeOwned>(doc: &Doc) -> Result<T, ron::error::SpannedError> {
    super::ron_options().from_str(&doc.to_ron())
}
