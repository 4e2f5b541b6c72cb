//! The window's edit mode: a teacher builds or changes the world on the map
//! (place, move, link, delete, fill in forms) instead of writing RON. Every
//! change goes through [`crate::editor::Editor`], the same operations the
//! headless tests drive; this file only turns clicks and drags into them.
//!
//! While editing, the run is set aside: the map draws the edited world (even
//! one with checker errors, which cannot run) and the simulation holds an
//! empty placeholder. Leaving edit mode starts the edited world from t = 0.

pub mod form;
pub mod panel;

use std::path::PathBuf;

use bevy::input::mouse::{MouseScrollUnit, MouseWheel};
use bevy::prelude::*;
use bevy::window::PrimaryWindow;
use bevy_egui::input::EguiWantsInput;

use crate::editor::{Editor, Item, Op, palette};
use crate::gui::flights::Flights;
use crate::gui::playback::{Playback, SimState};
use crate::gui::scene::{CameraView, UiState};
use crate::gui::{AppSet, Selection, icons, label_layout};
use crate::scenario::Scenario;
use crate::units::Duration;

/// What the pointer does on the map.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tool {
    /// Click to select, drag a node to move it, drag the background to pan.
    #[default]
    Select,
    /// Click to place a node of this kind.
    Place(palette::Kind),
    /// Drag from a node to another to link them (Shift+drag does too).
    Link,
}

/// A drag in progress on the map.
#[derive(Debug, Clone, PartialEq)]
pub enum Drag {
    /// Moving node `index` (its id), drawn at `at` until released.
    Move { index: usize, id: String, at: Vec2, moved: bool },
    /// Drawing a link from node `from` to the pointer at `to`.
    Link { from: usize, to: Vec2 },
    /// Panning the map.
    Pan { last: Vec2 },
}

/// A question the window asks before it acts.
#[derive(Debug, Clone, PartialEq)]
pub enum Dialog {
    /// Delete this item (and, for a node, its links)?
    ConfirmDelete(Item),
    /// Where to save (a path typed by the teacher).
    SaveAs { path: String },
    /// Saving would drop comments of the file: save anyway?
    LoseComments { save_as: Option<PathBuf>, count: usize },
    /// The world has checker errors and cannot run: keep editing or discard?
    CannotRun,
    /// Start a new world from a template (its key).
    NewWorld { key: String },
}

/// The edit mode's state: `editor` is `Some` while editing.
#[derive(Resource, Default)]
pub struct EditMode {
    pub editor: Option<Editor>,
    pub tool: Tool,
    pub selected: Option<Item>,
    pub drag: Option<Drag>,
    pub dialog: Option<Dialog>,
    /// The last thing done or refused, shown in the edit bar.
    pub status: Option<(String, bool)>,
    /// What the run showed when editing began (Discard goes back to it).
    entry: Option<(PathBuf, Scenario)>,
    /// Text typed into form fields, kept until applied: (item, path) → text.
    pub drafts: std::collections::HashMap<(Item, String), String>,
    /// Values a field refused: (item, path) → why.
    pub refused: std::collections::HashMap<(Item, String), String>,
    /// The list shown beside the form (ISPs, zones, traffic).
    pub list: panel::ListTab,
    /// The Save as dialog has put the keyboard in its file name.
    pub save_as_focused: bool,
    /// The form's rows, for (item, the editor's revision).
    pub rows: Option<(Item, u64, Vec<crate::editor::form::Row>)>,
}

impl EditMode {
    pub fn active(&self) -> bool {
        self.editor.is_some()
    }

    /// Applies `op`, shows the edited world and reports a refusal.
    pub fn apply(&mut self, op: Op, state: &mut SimState, view: &mut CameraView) -> bool {
        let Some(editor) = self.editor.as_mut() else { return false };
        match editor.apply(op) {
            Ok(applied) => {
                if let Some(item) = applied.created {
                    self.selected = Some(item);
                }
                self.status = None;
                show(editor, state, view);
                true
            }
            Err(e) => {
                self.status = Some((e.to_string(), true));
                false
            }
        }
    }

    /// Undo (`true`) or redo (`false`) one edit.
    pub fn undo_redo(&mut self, undo: bool, state: &mut SimState, view: &mut CameraView) {
        let Some(editor) = self.editor.as_mut() else { return };
        let done = if undo { editor.undo() } else { editor.redo() };
        if done {
            self.drafts.clear();
            self.refused.clear();
            // The selection may name an item the undo removed.
            if self.selected.as_ref().is_some_and(|i| !exists(&editor.scenario, i)) {
                self.selected = None;
            }
            show(editor, state, view);
        }
    }

    /// Before a node is placed, moved or deleted: every node gets the place
    /// it is drawn at, so the layout the teacher sees stays put.
    fn pin_layout(&mut self, positions: &[Vec2], state: &mut SimState, view: &mut CameraView) {
        let Some(editor) = self.editor.as_ref() else { return };
        if editor.scenario.nodes.iter().all(|n| n.position.is_some()) || positions.len() != editor.scenario.nodes.len()
        {
            return;
        }
        let positions = editor.scenario.nodes.iter().zip(positions).map(|(n, p)| (n.id.clone(), (p.x, p.y))).collect();
        self.apply(Op::PlaceAll { positions }, state, view);
    }
}

/// Whether `item` is still in `s`.
pub fn exists(s: &Scenario, item: &Item) -> bool {
    match item {
        Item::Scenario => true,
        Item::Isp(id) => s.isps.iter().any(|i| i.id == *id),
        Item::Node(id) => s.nodes.iter().any(|n| n.id == *id),
        Item::Link(i) => *i < s.links.len(),
        Item::Zone(d) => s.dns.iter().any(|z| z.domain == *d),
        Item::Source(id) => s.traffic.iter().any(|t| t.id() == id),
    }
}

/// Draws the edited world: the map shows `editor.scenario` while the
/// simulation stays an empty placeholder (a world with errors cannot run).
/// The camera keeps its place: an edit is not a new run to fit.
fn show(editor: &Editor, state: &mut SimState, view: &mut CameraView) {
    state.scenario = editor.scenario.clone();
    state.generation += 1;
    if let Some(f) = view.fitted.as_mut() {
        f.0 = state.generation;
    }
}

/// Enters edit mode on the world the window shows.
pub fn enter(edit: &mut EditMode, state: &mut SimState, playback: &mut Playback, sel: &mut Selection) {
    if edit.active() {
        return;
    }
    playback.playing = false;
    let path = state.path.clone();
    let file = path.display().to_string();
    // A built-in lesson has no file to write back to: Save as asks for one.
    let (own_path, original) = if crate::tour::is_tour_name(&file) {
        (None, crate::tour::find(&file).map(|e| e.text.to_string()))
    } else {
        (Some(path.clone()), std::fs::read_to_string(&path).ok())
    };
    let editor = Editor::new(state.scenario.clone(), own_path, original);
    edit.entry = Some((path.clone(), state.scenario.clone()));
    let placeholder = crate::scenario::parse(crate::gui::scene::EMPTY_SCENARIO, "(editing)")
        .expect("the built-in placeholder scenario is valid");
    let mut s = SimState::from_scenario(path, placeholder);
    s.scenario = editor.scenario.clone();
    s.generation = state.generation + 1;
    *state = s;
    *sel = Selection::default();
    edit.editor = Some(editor);
    edit.tool = Tool::Select;
    edit.selected = None;
    edit.drag = None;
    edit.status = None;
}

/// Leaves edit mode: the edited world runs from t = 0 (paused on its first
/// step). A world with checker errors cannot run: the teacher is asked
/// whether to keep editing or discard the changes.
pub fn leave(edit: &mut EditMode, state: &mut SimState, playback: &mut Playback, discard: bool) {
    let Some(editor) = edit.editor.as_ref() else { return };
    if !discard && !editor.runnable() {
        edit.dialog = Some(Dialog::CannotRun);
        return;
    }
    let path = editor.path.clone().or_else(|| edit.entry.as_ref().map(|e| e.0.clone())).unwrap_or_default();
    let scenario = if discard {
        edit.entry.as_ref().map_or_else(|| editor.scenario.clone(), |e| e.1.clone())
    } else {
        editor.scenario.clone()
    };
    let mut s = SimState::from_scenario(path, scenario);
    s.generation = state.generation + 1;
    *state = s;
    playback.playing = false;
    edit.editor = None;
    edit.entry = None;
    edit.dialog = None;
    edit.drag = None;
    edit.selected = None;
    edit.drafts.clear();
    edit.refused.clear();
}

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<EditMode>().add_systems(Update, start_editing.in_set(AppSet::Input));
}

/// Open in edit mode (`--edit`, `--new TEMPLATE`), with `--node` selected.
#[derive(Resource, Debug, Clone, Default)]
pub struct StartEditing {
    pub template: Option<String>,
    pub node: Option<String>,
}

fn start_editing(
    mut commands: Commands,
    start: Option<Res<StartEditing>>,
    mut edit: ResMut<EditMode>,
    mut state: ResMut<SimState>,
    mut playback: ResMut<Playback>,
    mut sel: ResMut<Selection>,
    view: Option<ResMut<CameraView>>,
) {
    let Some(start) = start else { return };
    let mut fallback = CameraView::default();
    let view = match view {
        Some(v) => v.into_inner(),
        None => &mut fallback,
    };
    enter(&mut edit, &mut state, &mut playback, &mut sel);
    if let Some(key) = &start.template {
        panel::new_world(&mut edit, &mut state, view, key);
    }
    if let Some(id) = &start.node {
        edit.selected = Some(Item::Node(id.clone()));
    }
    commands.remove_resource::<StartEditing>();
}

/// The window's part: keys and mouse on the map, and the edit marks.
pub(super) fn view_plugin(app: &mut App) {
    app.add_systems(Update, (keys, mouse).chain().after(start_editing).in_set(AppSet::Input))
        .add_systems(Update, draw_marks.in_set(AppSet::Draw));
}

/// E enters and leaves edit mode; while editing, Ctrl+Z / Ctrl+Y (or
/// Ctrl+Shift+Z) undo and redo, Delete asks to delete the selection, Esc
/// drops the tool and the selection.
fn keys(
    keys: Res<ButtonInput<KeyCode>>,
    wants: Option<Res<EguiWantsInput>>,
    mut edit: ResMut<EditMode>,
    mut state: ResMut<SimState>,
    mut playback: ResMut<Playback>,
    mut sel: ResMut<Selection>,
    mut view: ResMut<CameraView>,
) {
    if wants.as_ref().is_some_and(|w| w.wants_keyboard_input()) || edit.dialog.is_some() {
        return;
    }
    if keys.just_pressed(KeyCode::KeyE) {
        if edit.active() {
            leave(&mut edit, &mut state, &mut playback, false);
        } else {
            enter(&mut edit, &mut state, &mut playback, &mut sel);
        }
        return;
    }
    if !edit.active() {
        return;
    }
    let ctrl = keys.any_pressed([KeyCode::ControlLeft, KeyCode::ControlRight]);
    let shift = keys.any_pressed([KeyCode::ShiftLeft, KeyCode::ShiftRight]);
    if ctrl && keys.just_pressed(KeyCode::KeyZ) {
        edit.undo_redo(!shift, &mut state, &mut view);
    } else if ctrl && keys.just_pressed(KeyCode::KeyY) {
        edit.undo_redo(false, &mut state, &mut view);
    }
    if keys.any_just_pressed([KeyCode::Delete, KeyCode::Backspace])
        && let Some(item) = edit.selected.clone().filter(|i| *i != Item::Scenario)
    {
        edit.dialog = Some(Dialog::ConfirmDelete(item));
    }
    if keys.just_pressed(KeyCode::Escape) {
        edit.tool = Tool::Select;
        edit.selected = None;
        edit.drag = None;
    }
}

/// The node under `world`, if any (the nearest within its disc).
fn node_at(positions: &[Vec2], world: Vec2, scale: f32) -> Option<usize> {
    let pick = (icons::RADIUS + 4.0).max(20.0 * scale);
    positions
        .iter()
        .enumerate()
        .map(|(i, p)| (i, p.distance(world)))
        .filter(|(_, d)| *d < pick)
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(i, _)| i)
}

/// The link passing under `world`, if any (within a few pixels of it).
fn link_at(s: &Scenario, positions: &[Vec2], world: Vec2, scale: f32) -> Option<usize> {
    let index = |id: &str| s.nodes.iter().position(|n| n.id == id);
    let near = 6.0 * scale.max(0.5);
    s.links
        .iter()
        .enumerate()
        .filter_map(|(k, l)| {
            let (a, b) = (*positions.get(index(&l.a)?)?, *positions.get(index(&l.b)?)?);
            let ab = b - a;
            let t = ((world - a).dot(ab) / ab.length_squared().max(1e-6)).clamp(0.0, 1.0);
            let d = (a + ab * t).distance(world);
            (d < near && t > 0.0 && t < 1.0).then_some((k, d))
        })
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(k, _)| k)
}

/// The ISP whose outline holds `world`, if any (where a placed node goes).
fn isp_at(s: &Scenario, positions: &[Vec2], world: Vec2) -> Option<String> {
    let outlines = crate::gui::overlay::outlines(s, positions);
    outlines
        .iter()
        .enumerate()
        .filter_map(|(g, r)| r.filter(|r| r.contains(world)).map(|r| (g, r.size().x * r.size().y)))
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .and_then(|(g, _)| s.isps.get(g).map(|i| i.id.clone()))
}

/// The latency a new link gets (the schema's default).
const NEW_LINK_LATENCY: Duration = Duration(10);

/// Click, drag and wheel on the map while editing (the view's own mouse
/// handling stands aside): place with a palette tool, select, move a node,
/// link two nodes, pan and zoom.
fn mouse(
    buttons: Res<ButtonInput<MouseButton>>,
    keys: Res<ButtonInput<KeyCode>>,
    mut wheel: MessageReader<MouseWheel>,
    wants: Option<Res<EguiWantsInput>>,
    windows: Query<&Window, With<PrimaryWindow>>,
    flights: Res<Flights>,
    ui: Option<Res<UiState>>,
    mut edit: ResMut<EditMode>,
    mut state: ResMut<SimState>,
    mut view: ResMut<CameraView>,
) {
    if !edit.active() {
        return;
    }
    let scroll: f32 = wheel.read().map(|w| if w.unit == MouseScrollUnit::Line { w.y } else { w.y / 40.0 }).sum();
    let Ok(window) = windows.single() else { return };
    let Some(cursor) = window.cursor_position() else { return };
    let size = bevy_egui::egui::vec2(window.width(), window.height());
    let to_world = |v: &CameraView, p: Vec2| {
        label_layout::to_world(
            label_layout::View { centre: v.centre, scale: v.scale },
            size,
            bevy_egui::egui::pos2(p.x, p.y),
        )
    };
    let world = to_world(&view, cursor);
    let map = view.map.or(ui.as_ref().and_then(|u| u.free_rect));
    let over_map = map.is_none_or(|r| r.contains(bevy_egui::egui::pos2(cursor.x, cursor.y)));
    let over_ui = !over_map
        || edit.dialog.is_some()
        || wants.as_ref().is_some_and(|w| w.wants_pointer_input() || w.is_pointer_over_area());
    // A drag goes on over the panels; a new click there is egui's.
    if over_ui && edit.drag.is_none() {
        return;
    }
    if scroll != 0.0 && !over_ui {
        view.scale = (view.scale * (1.0 - 0.1 * scroll)).clamp(0.05, 20.0);
        let moved = to_world(&view, cursor);
        view.centre += world - moved;
        view.focus = None;
    }
    let positions = flights.positions.clone();
    let scale = view.scale;
    if buttons.just_pressed(MouseButton::Left) && !over_ui {
        let shift = keys.any_pressed([KeyCode::ShiftLeft, KeyCode::ShiftRight]);
        let hit = node_at(&positions, world, scale);
        let scenario = &state.scenario;
        match (edit.tool, hit) {
            (Tool::Place(kind), _) => {
                let isp = isp_at(scenario, &positions, world);
                edit.pin_layout(&positions, &mut state, &mut view);
                edit.apply(Op::AddNode { kind, at: (world.x, world.y), isp }, &mut state, &mut view);
                // One placement per pick (Shift keeps the kind for more).
                if !shift {
                    edit.tool = Tool::Select;
                }
            }
            (Tool::Link, Some(i)) => edit.drag = Some(Drag::Link { from: i, to: world }),
            (Tool::Select, Some(i)) if shift => edit.drag = Some(Drag::Link { from: i, to: world }),
            (Tool::Select, Some(i)) => {
                let id = scenario.nodes[i].id.clone();
                edit.selected = Some(Item::Node(id.clone()));
                edit.drag = Some(Drag::Move { index: i, id, at: positions[i], moved: false });
            }
            (_, None) => {
                if let Some(k) = link_at(scenario, &positions, world, scale) {
                    edit.selected = Some(Item::Link(k));
                } else {
                    if edit.tool == Tool::Select {
                        edit.selected = None;
                    }
                    edit.drag = Some(Drag::Pan { last: cursor });
                }
            }
        }
        return;
    }
    if buttons.pressed(MouseButton::Left) {
        match edit.drag.as_mut() {
            Some(Drag::Move { at, moved, .. }) => {
                if at.distance(world) > 0.5 {
                    *moved = true;
                }
                *at = world;
            }
            Some(Drag::Link { to, .. }) => *to = world,
            Some(Drag::Pan { last }) => {
                let d = cursor - *last;
                view.centre += Vec2::new(-d.x, d.y) * scale;
                *last = cursor;
                view.focus = None;
            }
            None => {}
        }
        return;
    }
    // Released: a move or a link is one edit.
    match edit.drag.take() {
        Some(Drag::Move { id, at, moved: true, .. }) => {
            edit.pin_layout(&positions, &mut state, &mut view);
            edit.apply(Op::MoveNode { id, to: (at.x, at.y) }, &mut state, &mut view);
        }
        Some(Drag::Link { from, .. }) => {
            if let Some(to) = node_at(&positions, world, scale).filter(|&t| t != from) {
                let (a, b) = (state.scenario.nodes[from].id.clone(), state.scenario.nodes[to].id.clone());
                edit.apply(Op::Link { a, b, latency: NEW_LINK_LATENCY }, &mut state, &mut view);
            }
        }
        _ => {}
    }
}

/// The edit marks: the selection, the node being moved, the link being
/// drawn, and a red ring on every node the checker has a message for.
fn draw_marks(mut g: Gizmos, edit: Res<EditMode>, state: Res<SimState>, flights: Res<Flights>) {
    let Some(editor) = edit.editor.as_ref() else { return };
    let pos = &flights.positions;
    if pos.len() != state.scenario.nodes.len() {
        return;
    }
    let index = |id: &str| state.scenario.nodes.iter().position(|n| n.id == id);
    for p in editor.problems() {
        if let Some(Item::Node(id)) = &p.item
            && let Some(i) = index(id)
        {
            g.circle_2d(pos[i], icons::RADIUS + 10.0, Color::srgb(1.0, 0.35, 0.3));
        }
    }
    match &edit.selected {
        Some(Item::Node(id)) => {
            if let Some(i) = index(id) {
                g.circle_2d(pos[i], icons::RADIUS + 6.0, Color::srgb(1.0, 0.9, 0.2));
            }
        }
        Some(Item::Link(k)) => {
            if let Some(l) = state.scenario.links.get(*k)
                && let (Some(a), Some(b)) = (index(&l.a), index(&l.b))
            {
                g.line_2d(pos[a], pos[b], Color::srgb(1.0, 0.9, 0.2));
            }
        }
        _ => {}
    }
    match &edit.drag {
        Some(Drag::Move { index, at, moved: true, .. }) => {
            if let Some(kind) = state.scenario.nodes.get(*index).map(|n| icons::IconKind::of(&n.kind)) {
                icons::draw(&mut g, kind, *at, Color::srgba(1.0, 1.0, 1.0, 0.6));
                g.circle_2d(*at, icons::RADIUS, Color::srgb(1.0, 0.9, 0.2));
            }
        }
        Some(Drag::Link { from, to }) => {
            if let Some(a) = pos.get(*from) {
                g.line_2d(*a, *to, Color::srgb(0.4, 0.9, 1.0));
            }
        }
        _ => {}
    }
}
