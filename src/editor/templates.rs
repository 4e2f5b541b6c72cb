//! Worlds to start from: the tour's base world, an empty world with one ISP
//! and one MX, and each example.
//!
//! SKELETON (edit helper).

use crate::scenario::Scenario;

/// One template of "New world from template".
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    /// `base`, `empty`, or an example's name (`example:backscatter`).
    pub key: String,
    pub title: String,
    pub title_ja: String,
}

/// Every template, `base` and `empty` first.
pub fn templates() -> Vec<Template> {
    todo!("edit helper")
}

/// The world of a template (`None` for an unknown key).
pub fn make(_key: &str) -> Option<Scenario> {
    todo!("edit helper")
}
