//! The one way scenarios are written: `relaysim fmt` and the window's editor
//! (Save) both call [`format`], so a file saved by the editor is what `fmt`
//! would have made of it.
//!
//! SKELETON: signatures are the contract; the `fmt` helper fills them in.

use super::Scenario;
use super::doc::DocPath;

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

/// Writes `s` as RON. `original`, the text the scenario was read from, gives
/// the comments to keep (those of items that are still there).
pub fn format(s: &Scenario, original: Option<&str>) -> Formatted {
    let _ = original;
    let text = super::to_ron(s).unwrap_or_default();
    let lines = text.lines().map(|_| DocPath::default()).collect();
    Formatted { text, lines, lost_comments: vec![] }
}
