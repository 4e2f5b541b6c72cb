//! Building and changing a world without writing RON: the operations the
//! window's edit mode performs (place, move, link, delete, set a field),
//! undo and redo, the checker run after every change with its messages tied
//! to the items and fields they concern, templates, and saving through the
//! same writer as `relaysim fmt`.
//!
//! Nothing here depends on Bevy: the headless tests drive the same
//! operations the window does.
//!
//! SKELETON: signatures are the contract between the editor core (helper
//! `edit`) and the window; the `edit` helper fills the bodies in.

pub mod form;
pub mod palette;
mod replace;
pub mod templates;

use std::path::{Path, PathBuf};

use crate::scenario::doc::DocPath;
use crate::scenario::format::{Formatted, LostComment};
use crate::scenario::{LoadError, Scenario};
use crate::units::Duration;

/// One item of a scenario that the editor shows a form for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Item {
    /// The scenario's own fields (name, duration, seed, start, ...).
    Scenario,
    Isp(String),
    Node(String),
    /// A link, by its index in `links`.
    Link(usize),
    /// A DNS zone, by its domain.
    Zone(String),
    /// A traffic source or spam campaign, by its id.
    Source(String),
}

/// The lists [`Op::AddItem`] adds to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Section {
    Isp,
    Zone,
    Legit,
    Spam,
    Once,
}

/// One edit. Every edit can be undone.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// Places a new node of `kind` at `at` (world units, as the map draws
    /// them), in `isp` when given; its id is made unique (`router-2`).
    AddNode {
        kind: palette::Kind,
        at: (f32, f32),
        isp: Option<String>,
    },
    MoveNode {
        id: String,
        to: (f32, f32),
    },
    /// Sets the drawn position of every node at once (the window does this
    /// before the first move, so the automatic layout the teacher sees is kept).
    PlaceAll {
        positions: Vec<(String, (f32, f32))>,
    },
    /// Deletes a node and its links (references elsewhere stay, and the
    /// checker reports them next to their fields).
    DeleteNode {
        id: String,
    },
    Link {
        a: String,
        b: String,
        latency: Duration,
    },
    Unlink {
        a: String,
        b: String,
    },
    SetLatency {
        a: String,
        b: String,
        latency: Duration,
    },
    /// Sets the field at `path` of `item` to `value`, a RON value (`"25"`,
    /// `"\"10m\""`, `"Open"`, `"None"`, `"(user: \"a\", password: \"b\")"`).
    /// Renaming a node (path `id`) also renames every reference to it.
    SetField {
        item: Item,
        path: DocPath,
        value: String,
    },
    /// Adds a new item to `section`, made from a sensible default.
    AddItem {
        section: Section,
    },
    DeleteItem {
        item: Item,
    },
}

/// What an edit did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Applied {
    /// The item it created, if any (to select it).
    pub created: Option<Item>,
}

/// Why an edit was refused (the scenario is unchanged).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EditError {
    #[error("no such {what} `{id}`")]
    NoSuch { what: &'static str, id: String },
    #[error("`{path}`: {why}")]
    BadValue { path: String, why: String },
    #[error("{0}")]
    Refused(String),
}

/// A checker message tied to the item and field it concerns.
#[derive(Debug, Clone, PartialEq)]
pub struct EditProblem {
    /// `None` when the message is about the world as a whole.
    pub item: Option<Item>,
    /// The field within the item (empty for the item as a whole).
    pub path: DocPath,
    pub message: String,
}

/// Why saving failed.
#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    #[error("no file yet: use Save as")]
    NoPath,
    #[error("{} comment(s) of the file would be lost", .0.len())]
    WouldLoseComments(Vec<LostComment>),
    #[error("{file}: cannot write: {source}")]
    Io { file: String, source: std::io::Error },
}

/// What a save wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct Saved {
    pub path: PathBuf,
    /// The saved world has checker errors: it can be saved, not run.
    pub problems: usize,
}

/// A world being edited, with its history.
#[derive(Debug, Clone)]
pub struct Editor {
    pub scenario: Scenario,
    /// Where Save writes (`None` for a new world or a built-in lesson).
    pub path: Option<PathBuf>,
}

impl Editor {
    /// Starts editing `scenario`, read from `original` text (for its comments).
    pub fn new(_scenario: Scenario, _path: Option<PathBuf>, _original: Option<String>) -> Editor {
        todo!("edit helper")
    }
    /// Opens a file or a built-in lesson; one that reads but has checker
    /// errors opens too, with its problems listed.
    pub fn open(_path: &Path) -> Result<Editor, LoadError> {
        todo!("edit helper")
    }
    pub fn apply(&mut self, _op: Op) -> Result<Applied, EditError> {
        todo!("edit helper")
    }
    pub fn undo(&mut self) -> bool {
        todo!("edit helper")
    }
    pub fn redo(&mut self) -> bool {
        todo!("edit helper")
    }
    pub fn can_undo(&self) -> bool {
        todo!("edit helper")
    }
    pub fn can_redo(&self) -> bool {
        todo!("edit helper")
    }
    /// Changed since opened or last saved.
    pub fn dirty(&self) -> bool {
        todo!("edit helper")
    }
    /// The checker's messages for the world as it is now.
    pub fn problems(&self) -> &[EditProblem] {
        todo!("edit helper")
    }
    /// No checker errors: the world can be run.
    pub fn runnable(&self) -> bool {
        self.problems().is_empty()
    }
    /// The text Save would write.
    pub fn formatted(&self) -> Formatted {
        todo!("edit helper")
    }
    /// Saves to [`Editor::path`]; refuses to drop comments unless `drop_comments`.
    pub fn save(&mut self, _drop_comments: bool) -> Result<Saved, SaveError> {
        todo!("edit helper")
    }
    pub fn save_as(&mut self, _path: &Path, _drop_comments: bool) -> Result<Saved, SaveError> {
        todo!("edit helper")
    }
}
