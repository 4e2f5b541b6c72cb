//! The form of one item: every field of the reference with its value (or
//! its default), the kind of input it takes, and the checker's message for it.
//!
//! SKELETON (edit helper).

use super::{Editor, Item};
use crate::scenario::doc::DocPath;

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

/// The rows of `item`'s form (empty when it does not exist).
pub fn rows(_editor: &Editor, _item: &Item) -> Vec<Row> {
    todo!("edit helper")
}
