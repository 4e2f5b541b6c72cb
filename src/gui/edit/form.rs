//! One item's form in the side column: every field of the reference with a
//! typed input, its default marked, and the checker's message under the
//! field it concerns. A value is applied on Enter or when the input loses
//! focus; a value the schema refuses stays in the input with serde's reason.

use bevy_egui::egui;

use super::EditMode;
use crate::editor::form::{Input, Row};
use crate::editor::{Item, Op};
use crate::gui::playback::SimState;
use crate::gui::scene::{CameraView, Lang};
use crate::gui::text::tr;
use crate::scenario::Scenario;
use crate::scenario::doc::{self, Doc, DocPath, Step};

/// The item's value as a tree (to take a list apart).
fn item_doc(s: &Scenario, item: &Item) -> Option<Doc> {
    let r = match item {
        Item::Scenario => doc::to_doc(s),
        Item::Isp(id) => doc::to_doc(s.isps.iter().find(|i| i.id == *id)?),
        Item::Node(id) => doc::to_doc(s.nodes.iter().find(|n| n.id == *id)?),
        Item::Link(k) => doc::to_doc(s.links.get(*k)?),
        Item::Zone(d) => doc::to_doc(s.dns.iter().find(|z| z.domain == *d)?),
        Item::Source(id) => doc::to_doc(s.traffic.iter().find(|t| t.id() == id)?),
    };
    r.ok()
}

/// A list's items as RON with `add` (typed by the teacher) at its end.
fn list_with(s: &Scenario, item: &Item, path: &DocPath, add: Option<&str>) -> Option<String> {
    let d = item_doc(s, item)?;
    let items = match d.get(path) {
        Some(Doc::Seq(items)) => items.clone(),
        _ => Vec::new(),
    };
    let mut parts: Vec<String> = items.iter().map(|v| v.to_ron()).collect();
    if let Some(a) = add {
        parts.push(a.to_string());
    }
    Some(format!("[{}]", parts.join(", ")))
}

/// Draws the form of `item` and applies what the teacher changes.
pub fn show(
    ui: &mut egui::Ui,
    edit: &mut EditMode,
    item: &Item,
    state: &mut SimState,
    view: &mut CameraView,
    lang: Lang,
) {
    let Some(editor) = edit.editor.as_ref() else { return };
    // Rows are made again only when the item or the world changed (making
    // them reads values back through serde: tens of milliseconds).
    let revision = editor.revision();
    let fresh = edit.rows.as_ref().is_some_and(|(i, r, _)| i == item && *r == revision);
    if !fresh {
        edit.rows = Some((item.clone(), revision, crate::editor::form::rows(editor, item)));
    }
    let rows = edit.rows.as_ref().map(|(_, _, r)| r.clone()).unwrap_or_default();
    // Messages about the item as a whole stand above its fields.
    let whole: Vec<String> =
        editor.problems_of(item).filter(|p| p.path.0.is_empty()).map(|p| p.message.clone()).collect();
    for m in whole {
        ui.colored_label(egui::Color32::from_rgb(255, 120, 100), format!("⚠ {m}"));
    }
    if rows.is_empty() {
        ui.weak(tr(lang, "(nothing to set)", "(設定項目なし)"));
        return;
    }
    let mut ops: Vec<Op> = Vec::new();
    let mut opened_ron: Option<(String, String)> = None;
    // Items of these lists can be taken out (a tuple's parts cannot).
    let lists: Vec<DocPath> =
        rows.iter().filter(|r| matches!(r.input, Input::List { .. })).map(|r| r.path.clone()).collect();
    for row in &rows {
        let key = (item.clone(), row.path.to_string());
        ui.horizontal(|ui| {
            ui.add_space(12.0 * row.depth as f32);
            field(ui, edit, item, row, &key, state, &mut ops, &mut opened_ron, lang);
            remove_button(ui, item, row, &lists, state, &mut ops, lang, edit);
        });
        if let Some(p) = &row.problem {
            ui.horizontal(|ui| {
                ui.add_space(12.0 * row.depth as f32 + 12.0);
                ui.colored_label(egui::Color32::from_rgb(255, 120, 100), format!("⚠ {p}"));
            });
        }
        if let Some(why) = edit.refused.get(&key) {
            ui.horizontal(|ui| {
                ui.add_space(12.0 * row.depth as f32 + 12.0);
                ui.colored_label(egui::Color32::from_rgb(255, 170, 90), why.clone());
            });
        } else if let Some(h) = row.hint.as_ref().filter(|_| edit.drafts.contains_key(&key)) {
            let h = match lang {
                Lang::Ja => crate::editor::form::hint_ja(h).map_or_else(|| h.clone(), str::to_string),
                Lang::En => h.clone(),
            };
            ui.horizontal(|ui| {
                ui.add_space(12.0 * row.depth as f32 + 12.0);
                ui.weak(h);
            });
        }
    }
    if let Some((k, v)) = opened_ron {
        edit.drafts.insert((item.clone(), k), v);
    }
    for op in ops {
        let key = match &op {
            Op::SetField { path, .. } => Some((item.clone(), path.to_string())),
            _ => None,
        };
        let ok = edit.apply(op, state, view);
        if let Some(key) = key {
            if ok {
                edit.drafts.remove(&key);
                edit.refused.remove(&key);
            } else if let Some((why, _)) = edit.status.clone() {
                edit.refused.insert(key, why);
            }
        }
    }
}

/// One row's name and input.
#[allow(clippy::too_many_arguments)]
fn field(
    ui: &mut egui::Ui,
    edit: &mut EditMode,
    item: &Item,
    row: &Row,
    key: &(Item, String),
    state: &SimState,
    ops: &mut Vec<Op>,
    opened_ron: &mut Option<(String, String)>,
    lang: Lang,
) {
    let set = |value: String| Op::SetField { item: item.clone(), path: row.path.clone(), value };
    let name = if row.is_default { egui::RichText::new(&row.name).weak() } else { egui::RichText::new(&row.name) };
    match &row.input {
        Input::Group => {
            ui.strong(&row.name);
        }
        Input::Bool(b) => {
            let mut v = *b;
            if ui.checkbox(&mut v, name).changed() {
                ops.push(set(v.to_string()));
            }
        }
        Input::Choice { variants, current } => {
            ui.label(name);
            let mut chosen = None;
            egui::ComboBox::from_id_salt(("choice", key.1.as_str())).selected_text(current.as_str()).show_ui(
                ui,
                |ui| {
                    for v in variants {
                        if ui.selectable_label(v == current, v.as_str()).clicked() && v != current {
                            chosen = Some(v.clone());
                        }
                    }
                },
            );
            if let Some(v) = chosen {
                // A unit variant is its name; one with settings starts empty.
                let tries = [v.clone(), format!("{v}()")];
                match first_accepted(edit, item, &row.path, &tries) {
                    Some(value) => ops.push(set(value)),
                    None => *opened_ron = Some((key.1.clone(), format!("{v}()"))),
                }
            }
        }
        Input::Optional { on } => {
            let mut v = *on;
            if ui.checkbox(&mut v, name).changed() {
                if !v {
                    ops.push(set("None".into()));
                } else {
                    let on = edit.editor.as_ref().and_then(|e| crate::editor::form::on_value(e, item, &row.path));
                    match on.filter(|v| first_accepted(edit, item, &row.path, std::slice::from_ref(v)).is_some()) {
                        Some(value) => ops.push(set(value)),
                        None => *opened_ron = Some((key.1.clone(), String::new())),
                    }
                }
            }
            if edit.drafts.contains_key(key) {
                ron_input(ui, edit, key, &set, ops, lang);
            }
        }
        Input::List { len } => {
            ui.label(name);
            ui.weak(format!("({len})"));
            let add_key = (key.0.clone(), format!("{}+", key.1));
            if ui.small_button(tr(lang, "+ add", "+ 追加")).clicked() {
                let added = edit.editor.as_ref().and_then(|e| crate::editor::form::list_with_added(e, item, &row.path));
                match added.filter(|v| first_accepted(edit, item, &row.path, std::slice::from_ref(v)).is_some()) {
                    Some(value) => ops.push(set(value)),
                    None => *opened_ron = Some((add_key.1.clone(), String::new())),
                }
            }
            if let Some(text) = edit.drafts.get_mut(&add_key) {
                let r =
                    ui.add(egui::TextEdit::singleline(text).hint_text(tr(lang, "new item (RON)", "新しい項目 (RON)")));
                if r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) {
                    let t = text.clone();
                    if let Some(v) = list_with(&state.scenario, item, &row.path, Some(&t)) {
                        ops.push(set(v));
                    }
                    edit.drafts.remove(&add_key);
                }
            }
        }
        Input::Text(v) | Input::Ron(v) => {
            let raw = matches!(row.input, Input::Ron(_));
            ui.label(name);
            let text = edit.drafts.entry(key.clone()).or_insert_with(|| v.clone());
            let r = ui.add(egui::TextEdit::singleline(text).desired_width(180.0));
            if (r.lost_focus() || ui.input(|i| i.key_pressed(egui::Key::Enter))) && *text != *v {
                let value = if raw { text.clone() } else { quoted(text) };
                ops.push(set(value));
            } else if !r.has_focus() && *text == *v {
                edit.drafts.remove(key);
            }
        }
        Input::Int(n) => number(ui, edit, key, name, &n.to_string(), &set, ops),
        Input::Float(f) => number(ui, edit, key, name, &format!("{f:?}"), &set, ops),
    }
}

/// A list's item can be taken out (✖ after it).
fn remove_button(
    ui: &mut egui::Ui,
    item: &Item,
    row: &Row,
    lists: &[DocPath],
    state: &SimState,
    ops: &mut Vec<Op>,
    lang: Lang,
    edit: &EditMode,
) {
    // A setting that can be switched off (its value stays in the form until then).
    if row.optional && !matches!(row.input, Input::Optional { .. }) {
        let mut on = true;
        if ui.checkbox(&mut on, "").on_hover_text(tr(lang, "switch this setting off", "この設定をオフにする")).changed()
        {
            ops.push(Op::SetField { item: item.clone(), path: row.path.clone(), value: "None".into() });
        }
    }
    let Some(Step::Index(k)) = row.path.0.last() else { return };
    let parent = DocPath(row.path.0[..row.path.0.len() - 1].to_vec());
    let _ = state;
    if lists.contains(&parent)
        && ui.small_button("✖").on_hover_text(tr(lang, "remove this item", "この項目を削除")).clicked()
        && let Some(v) = edit.editor.as_ref().and_then(|e| crate::editor::form::list_without(e, item, &parent, *k))
    {
        ops.push(Op::SetField { item: item.clone(), path: parent, value: v });
    }
}

/// A number typed as text (applied when the input loses focus).
fn number(
    ui: &mut egui::Ui,
    edit: &mut EditMode,
    key: &(Item, String),
    name: egui::RichText,
    current: &str,
    set: &dyn Fn(String) -> Op,
    ops: &mut Vec<Op>,
) {
    ui.label(name);
    let text = edit.drafts.entry(key.clone()).or_insert_with(|| current.to_string());
    let r = ui.add(egui::TextEdit::singleline(text).desired_width(90.0));
    if (r.lost_focus() || ui.input(|i| i.key_pressed(egui::Key::Enter))) && text.trim() != current {
        ops.push(set(text.trim().to_string()));
    } else if !r.has_focus() && text == current {
        edit.drafts.remove(key);
    }
}

/// A free RON input for a value the window cannot guess (a setting that
/// needs fields of its own), applied on Enter.
fn ron_input(
    ui: &mut egui::Ui,
    edit: &mut EditMode,
    key: &(Item, String),
    set: &dyn Fn(String) -> Op,
    ops: &mut Vec<Op>,
    lang: Lang,
) {
    if let Some(text) = edit.drafts.get_mut(key) {
        let r = ui.add(egui::TextEdit::singleline(text).hint_text(tr(lang, "value (RON)", "値 (RON)")));
        if r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) {
            ops.push(set(text.clone()));
        }
    }
}

/// `text` as a RON string.
fn quoted(text: &str) -> String {
    ron::to_string(text).unwrap_or_else(|_| format!("{text:?}"))
}

/// The first of `tries` the schema accepts at `path` (tried on a copy of
/// the editor, so nothing is recorded).
fn first_accepted(edit: &EditMode, item: &Item, path: &DocPath, tries: &[String]) -> Option<String> {
    let editor = edit.editor.as_ref()?;
    tries.iter().find_map(|v| {
        let mut probe = editor.clone();
        probe.apply(Op::SetField { item: item.clone(), path: path.clone(), value: v.clone() }).ok().map(|_| v.clone())
    })
}
