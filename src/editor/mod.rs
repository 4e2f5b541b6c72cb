//! Building and changing a world without writing RON: the operations the
//! window's edit mode performs (place, move, link, delete, set a field),
//! undo and redo, the checker run after every change with its messages tied
//! to the items and fields they concern, templates, and saving through the
//! same writer as `relaysim fmt`.
//!
//! Nothing here depends on Bevy: the headless tests drive the same
//! operations the window does.
//!
//! How it fits together: [`Editor::apply`] runs one [`Op`] on a copy of the
//! scenario (`ops.rs`) and keeps the copy only when the op succeeded, so a
//! refused edit changes nothing. Fields are set through the scenario's
//! [`Doc`](crate::scenario::doc::Doc) tree: the new value is written into the
//! item's RON and read back with serde, so a wrong value is refused with
//! serde's own message and every check the loader makes on a value applies.
//! Renaming an id renames its references (`refs.rs`). After every edit,
//! undo and redo, the checker runs on the text Save would write; each
//! message is tied to the item and field written on its line, through the
//! formatter's per-line paths. Field and variant lists for the forms come
//! from serde too (`probe.rs`), so a field added to the schema appears in
//! the window without a change here.

pub mod form;
mod ops;
pub mod palette;
mod probe;
mod refs;
mod replace;
pub mod templates;

use std::path::{Path, PathBuf};

use crate::scenario::doc::{DocPath, Step};
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
    /// The item it created, if any (to select it). After
    /// [`Op::SetField`], the item changed, under its new name when the
    /// edit renamed it (`None` for the scenario's own fields).
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

/// How many edits undo remembers (the oldest are forgotten first).
pub const HISTORY: usize = 500;

/// A world being edited, with its history.
///
/// Undo keeps a copy of the whole scenario before each edit (a few hundred
/// kilobytes for the tour's world): simple, and exact whatever the edit
/// did, renames included.
#[derive(Debug, Clone)]
pub struct Editor {
    pub scenario: Scenario,
    /// Where Save writes (`None` for a new world or a built-in lesson).
    pub path: Option<PathBuf>,
    /// The text the scenario was read from (or last saved as): its comments
    /// are kept by Save where their items are unchanged.
    original: Option<String>,
    /// States before each edit, with their revisions; the last is undone first.
    undo: Vec<(Scenario, u64)>,
    redo: Vec<(Scenario, u64)>,
    /// Every state gets a new number, so undoing back to the saved state is clean.
    revision: u64,
    next_revision: u64,
    saved_revision: u64,
    problems: Vec<EditProblem>,
}

impl Editor {
    /// Starts editing `scenario`, read from `original` text (for its comments).
    pub fn new(scenario: Scenario, path: Option<PathBuf>, original: Option<String>) -> Editor {
        let mut e = Editor {
            scenario,
            path,
            original,
            undo: Vec::new(),
            redo: Vec::new(),
            revision: 0,
            next_revision: 1,
            saved_revision: 0,
            problems: Vec::new(),
        };
        e.recheck();
        e
    }

    /// Opens a file or a built-in lesson; one that reads but has checker
    /// errors opens too, with its problems listed.
    pub fn open(path: &Path) -> Result<Editor, LoadError> {
        let (src, file) = crate::scenario::source(path)?;
        let src = src.strip_prefix('\u{feff}').unwrap_or(&src).to_string();
        let scenario = crate::scenario::parse_syntax(&src, &file)?;
        // A built-in lesson has no file to save to.
        let path = (!crate::tour::is_tour_name(&path.display().to_string())).then(|| path.to_path_buf());
        Ok(Editor::new(scenario, path, Some(src)))
    }

    /// Applies one edit; a refused edit changes nothing (not the history either).
    ///
    /// Every applied edit is one step of undo: the window applies
    /// [`Op::MoveNode`] once at the end of a drag, not at every frame of it.
    pub fn apply(&mut self, op: Op) -> Result<Applied, EditError> {
        // Positions are not checked: a move needs no new check.
        let moves = matches!(op, Op::MoveNode { .. } | Op::PlaceAll { .. });
        let mut next = self.scenario.clone();
        let applied = ops::apply(&mut next, op)?;
        let before = std::mem::replace(&mut self.scenario, next);
        self.undo.push((before, self.revision));
        if self.undo.len() > HISTORY {
            self.undo.remove(0);
        }
        self.redo.clear();
        self.revision = self.next_revision;
        self.next_revision += 1;
        if !moves {
            self.recheck();
        }
        Ok(applied)
    }

    pub fn undo(&mut self) -> bool {
        let Some((s, rev)) = self.undo.pop() else { return false };
        let now = std::mem::replace(&mut self.scenario, s);
        self.redo.push((now, self.revision));
        self.revision = rev;
        self.recheck();
        true
    }

    pub fn redo(&mut self) -> bool {
        let Some((s, rev)) = self.redo.pop() else { return false };
        let now = std::mem::replace(&mut self.scenario, s);
        self.undo.push((now, self.revision));
        self.revision = rev;
        self.recheck();
        true
    }

    pub fn can_undo(&self) -> bool {
        !self.undo.is_empty()
    }

    pub fn can_redo(&self) -> bool {
        !self.redo.is_empty()
    }

    /// A number that changes with every edit, undo and redo (the window
    /// makes a form's rows again when it changes).
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// Changed since opened or last saved.
    pub fn dirty(&self) -> bool {
        self.revision != self.saved_revision
    }

    /// The checker's messages for the world as it is now.
    pub fn problems(&self) -> &[EditProblem] {
        &self.problems
    }

    /// No checker errors: the world can be run.
    pub fn runnable(&self) -> bool {
        self.problems().is_empty()
    }

    /// The checker's messages for one item (the window's form shows them).
    pub fn problems_of<'a>(&'a self, item: &'a Item) -> impl Iterator<Item = &'a EditProblem> + 'a {
        self.problems.iter().filter(move |p| p.item.as_ref() == Some(item))
    }

    /// The text Save would write.
    pub fn formatted(&self) -> Formatted {
        crate::scenario::format::format(&self.scenario, self.original.as_deref())
    }

    /// Saves to [`Editor::path`]; refuses to drop comments unless `drop_comments`.
    pub fn save(&mut self, drop_comments: bool) -> Result<Saved, SaveError> {
        let path = self.path.clone().ok_or(SaveError::NoPath)?;
        self.save_as(&path, drop_comments)
    }

    pub fn save_as(&mut self, path: &Path, drop_comments: bool) -> Result<Saved, SaveError> {
        let f = self.formatted();
        if !f.lost_comments.is_empty() && !drop_comments {
            return Err(SaveError::WouldLoseComments(f.lost_comments));
        }
        std::fs::write(path, &f.text).map_err(|source| SaveError::Io { file: path.display().to_string(), source })?;
        self.original = Some(f.text);
        self.path = Some(path.to_path_buf());
        self.saved_revision = self.revision;
        Ok(Saved { path: path.to_path_buf(), problems: self.problems.len() })
    }

    /// The name problems are reported under.
    fn file(&self) -> String {
        self.path.as_ref().map_or_else(|| "untitled.ron".to_string(), |p| p.display().to_string())
    }

    /// Runs the checker on the text Save would write, and ties each message
    /// to the item and field written on its line.
    fn recheck(&mut self) {
        let f = self.formatted();
        let limits = crate::scenario::work::Limits::default();
        let (found, _) = crate::scenario::validate::validate_with(&self.scenario, &f.text, &self.file(), Some(&limits));
        let doc = crate::scenario::doc::to_doc(&self.scenario).ok();
        let lines: Vec<&str> = f.text.lines().collect();
        self.problems = found
            .into_iter()
            .map(|p| {
                let line = p.pos.line.checked_sub(1);
                let mut at = line.and_then(|l| f.lines.get(l)).cloned().unwrap_or_default();
                if let (Some(text), Some(doc)) = (line.and_then(|l| lines.get(l)), &doc) {
                    at = refine(at, text, p.pos.col, doc);
                }
                let (item, path) = locate(&self.scenario, at);
                EditProblem { item, path, message: p.kind.to_string() }
            })
            .collect();
    }
}

/// The field at column `col` of a line that writes several
/// (`mail_client: MailClient(server: "nope", port: 25)`): the names before
/// the column, by nesting, added to the path of the line's value `base`,
/// when the scenario has that field; else `base`.
fn refine(base: DocPath, line: &str, col: usize, doc: &crate::scenario::doc::Doc) -> DocPath {
    let mut names: Vec<Option<String>> = vec![None];
    let (mut word, mut in_str, mut escaped) = (String::new(), false, false);
    for c in line.chars().take(col.saturating_sub(1)) {
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
            '(' | '[' | '{' => names.push(None),
            ')' | ']' | '}' => {
                names.pop();
                if names.is_empty() {
                    names.push(None);
                }
            }
            ':' if !word.is_empty() => {
                if let Some(last) = names.last_mut() {
                    *last = Some(std::mem::take(&mut word));
                }
            }
            ',' => {
                if let Some(last) = names.last_mut() {
                    *last = None;
                }
            }
            c if c.is_alphanumeric() || c == '_' => {
                word.push(c);
                continue;
            }
            _ => {}
        }
        word.clear();
    }
    let mut names: Vec<String> = names.into_iter().flatten().collect();
    // The line may begin with the field its path ends with.
    if let (Some(Step::Field(last)), Some(first)) = (base.0.last(), names.first())
        && last == first
    {
        names.remove(0);
    }
    if names.is_empty() {
        return base;
    }
    let mut path = base.clone();
    path.0.extend(names.into_iter().map(Step::Field));
    if doc.get(&path).is_some() { path } else { base }
}

/// The item a path from the scenario's root is in, and the rest of the
/// path (`nodes[3].kind.relay` → node 3's id and `kind.relay`).
pub fn locate(s: &Scenario, path: DocPath) -> (Option<Item>, DocPath) {
    let mut steps = path.0.into_iter();
    let (Some(Step::Field(list)), rest) = (steps.next(), steps) else { return (None, DocPath::default()) };
    let mut rest: Vec<Step> = rest.collect();
    let index = match rest.first() {
        Some(Step::Index(i)) => Some(*i),
        _ => None,
    };
    let item = match (list.as_str(), index) {
        ("isps", Some(i)) => s.isps.get(i).map(|x| Item::Isp(x.id.clone())),
        ("nodes", Some(i)) => s.nodes.get(i).map(|x| Item::Node(x.id.clone())),
        ("links", Some(i)) => (i < s.links.len()).then_some(Item::Link(i)),
        ("dns", Some(i)) => s.dns.get(i).map(|x| Item::Zone(x.domain.clone())),
        ("traffic", Some(i)) => s.traffic.get(i).map(|x| Item::Source(x.id().to_string())),
        _ => None,
    };
    match item {
        Some(item) => {
            rest.remove(0);
            (Some(item), DocPath(rest))
        }
        None => {
            rest.insert(0, Step::Field(list));
            (Some(Item::Scenario), DocPath(rest))
        }
    }
}

/// RON as scenario files are read: `relay: Open` for an `Option`, and
/// `IspRelay(hostname: …)` for a variant holding a struct (the loader's options).
pub(crate) fn ron_options() -> ron::Options {
    use ron::extensions::Extensions;
    ron::Options::default().with_default_extension(Extensions::IMPLICIT_SOME | Extensions::UNWRAP_VARIANT_NEWTYPES)
}
