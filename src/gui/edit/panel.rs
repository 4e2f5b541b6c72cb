//! The panels of edit mode: the edit bar (done, undo, save, templates) with
//! the palette, the side column (the selected item's form and the lists of
//! ISPs, zones and traffic), the checker's messages at the bottom, and the
//! questions asked before deleting, saving without comments or leaving.

use std::path::PathBuf;

use bevy_egui::egui;

use super::{Dialog, EditMode, Tool};
use crate::editor::{Item, Op, SaveError, Section, palette::Kind, templates};
use crate::gui::icons::IconKind;
use crate::gui::playback::{Playback, SimState};
use crate::gui::scene::{CameraView, Lang, UiState};
use crate::gui::text::{kind_name, tr};

/// What the side column lists besides the selected item's form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ListTab {
    /// The selected item's form.
    #[default]
    Selection,
    /// The scenario's own fields.
    World,
    Isps,
    Zones,
    Traffic,
}

/// A palette entry in words.
pub fn palette_name(k: Kind, lang: Lang) -> &'static str {
    match k {
        Kind::ClientPc => kind_name(IconKind::Pc, lang),
        Kind::Population => kind_name(IconKind::Population, lang),
        Kind::SpamBot => kind_name(IconKind::Bot, lang),
        Kind::Router => kind_name(IconKind::Router, lang),
        Kind::RouterOp25b => tr(lang, "router with OP25B", "OP25B ルータ"),
        Kind::RouterNat => tr(lang, "NAT router", "NAT ルータ"),
        Kind::IspRelay => kind_name(IconKind::Relay, lang),
        Kind::OpenRelay => kind_name(IconKind::OpenRelay, lang),
        Kind::SpammerServer => kind_name(IconKind::SpammerServer, lang),
        Kind::Mx => kind_name(IconKind::Mx, lang),
        Kind::MailboxServer => kind_name(IconKind::MailboxServer, lang),
        Kind::Dns => kind_name(IconKind::Dns, lang),
    }
}

/// Everything edit mode draws in egui for one frame.
pub fn draw(
    root: &mut egui::Ui,
    ctx: &egui::Context,
    edit: &mut EditMode,
    state: &mut SimState,
    playback: &mut Playback,
    ui_state: &mut UiState,
    view: &mut CameraView,
) {
    let lang = ui_state.lang;
    edit_bar(root, edit, state, playback, ui_state, view);
    let sizes = crate::gui::layout::panel_sizes(ctx.viewport_rect().size(), root.available_rect_before_wrap().top());
    if sizes.bottom > 0.0 {
        problems_panel(root, edit, lang, sizes.bottom);
    }
    egui::Panel::right("inspector")
        .default_size(sizes.right)
        .size_range(sizes.right.min(200.0)..=sizes.right)
        .resizable(true)
        .show(root, |ui| side_column(ui, edit, state, view, lang));
    let free = root.available_rect_before_wrap();
    let z = ctx.zoom_factor();
    ui_state.free_rect =
        Some(egui::Rect::from_min_max((free.min.to_vec2() * z).to_pos2(), (free.max.to_vec2() * z).to_pos2()));
    dialogs(ctx, edit, state, playback, view, lang);
}

/// The top bar while editing: leave, undo/redo, save, templates, the tools
/// and the palette, and the state of the world (saved, problems).
fn edit_bar(
    root: &mut egui::Ui,
    edit: &mut EditMode,
    state: &mut SimState,
    playback: &mut Playback,
    ui_state: &mut UiState,
    view: &mut CameraView,
) {
    let lang = ui_state.lang;
    egui::Panel::top("controls").show(root, |ui| {
        ui.horizontal_wrapped(|ui| {
            let Some(editor) = edit.editor.as_ref() else { return };
            let (can_undo, can_redo, dirty, problems) =
                (editor.can_undo(), editor.can_redo(), editor.dirty(), editor.problems().len());
            let title = editor.path.as_ref().map_or_else(
                || tr(lang, "(not saved yet)", "(未保存)").to_string(),
                |p| p.file_name().map_or_else(|| p.display().to_string(), |f| f.to_string_lossy().to_string()),
            );
            ui.strong(format!("✏ {}: {title}{}", tr(lang, "Editing", "編集中"), if dirty { " *" } else { "" }));
            ui.separator();
            let done = ui.button(tr(lang, "▶ Done: run it", "▶ 完了して実行")).on_hover_text(tr(
                lang,
                "leave edit mode and run from 0:00 (E)",
                "編集を終えて 0:00 から実行 (E)",
            ));
            if done.clicked() {
                super::leave(edit, state, playback, false);
                return;
            }
            if ui.button(tr(lang, "Discard", "変更を破棄")).clicked() {
                super::leave(edit, state, playback, true);
                return;
            }
            ui.separator();
            if ui
                .add_enabled(can_undo, egui::Button::new(tr(lang, "Undo", "元に戻す")))
                .on_hover_text(tr(lang, "undo (Ctrl+Z)", "元に戻す (Ctrl+Z)"))
                .clicked()
            {
                edit.undo_redo(true, state, view);
            }
            if ui
                .add_enabled(can_redo, egui::Button::new(tr(lang, "Redo", "やり直す")))
                .on_hover_text(tr(lang, "redo (Ctrl+Y)", "やり直す (Ctrl+Y)"))
                .clicked()
            {
                edit.undo_redo(false, state, view);
            }
            ui.separator();
            if ui.button(tr(lang, "Save", "保存")).clicked() {
                save(edit, state, None, false, lang);
            }
            if ui.button(tr(lang, "Save as…", "名前を付けて保存…")).clicked() {
                let suggested = edit
                    .editor
                    .as_ref()
                    .and_then(|e| e.path.clone())
                    .map_or_else(|| "my-world.ron".to_string(), |p| p.display().to_string());
                edit.dialog = Some(Dialog::SaveAs { path: suggested });
            }
            let mut chosen = None;
            egui::ComboBox::from_id_salt("template").selected_text(tr(lang, "New world…", "新しい世界…")).show_ui(
                ui,
                |ui| {
                    for t in templates::templates() {
                        let title = if lang == Lang::Ja { &t.title_ja } else { &t.title };
                        if ui.selectable_label(false, title.as_str()).clicked() {
                            chosen = Some(t.key.clone());
                        }
                    }
                },
            );
            if let Some(key) = chosen {
                edit.dialog = Some(Dialog::NewWorld { key });
            }
            ui.separator();
            if problems == 0 {
                ui.colored_label(egui::Color32::from_rgb(140, 220, 140), tr(lang, "✔ ready to run", "✔ 実行できます"));
            } else {
                ui.colored_label(
                    egui::Color32::from_rgb(255, 120, 100),
                    match lang {
                        Lang::En => format!("⚠ {problems} problem(s): can be saved, not run"),
                        Lang::Ja => format!("⚠ 問題 {problems} 件: 保存はできますが実行はできません"),
                    },
                );
            }
            ui.separator();
            if ui.selectable_label(lang == Lang::Ja, "日本語").clicked() {
                ui_state.lang = if lang == Lang::Ja { Lang::En } else { Lang::Ja };
            }
            if ui.selectable_label(ui_state.presenter, tr(lang, "Presenter", "発表モード")).clicked() {
                ui_state.presenter = !ui_state.presenter;
            }
        });
        // The tools and the palette: one click picks a kind, the next click
        // on the map places it (inside an ISP's outline: in that ISP).
        ui.horizontal_wrapped(|ui| {
            ui.selectable_value(&mut edit.tool, Tool::Select, tr(lang, "☝ Select / move", "☝ 選択・移動"))
                .on_hover_text(tr(
                    lang,
                    "drag a node to move it; Shift+drag to link",
                    "ノードをドラッグで移動、Shift+ドラッグで接続",
                ));
            ui.selectable_value(&mut edit.tool, Tool::Link, tr(lang, "Link", "接続")).on_hover_text(tr(
                lang,
                "drag from a node to another",
                "ノードから別のノードへドラッグ",
            ));
            ui.separator();
            ui.label(tr(lang, "Place:", "配置:"));
            for &k in Kind::all() {
                ui.selectable_value(&mut edit.tool, Tool::Place(k), palette_name(k, lang));
            }
        });
        if let Some((msg, bad)) = &edit.status {
            let colour =
                if *bad { egui::Color32::from_rgb(255, 170, 90) } else { egui::Color32::from_rgb(140, 220, 140) };
            ui.colored_label(colour, msg.as_str());
        }
    });
}

/// The checker's messages for the edited world; a click selects the item.
fn problems_panel(root: &mut egui::Ui, edit: &mut EditMode, lang: Lang, height: f32) {
    egui::Panel::bottom("stats").resizable(true).default_size(height).size_range(40.0..=height).show(root, |ui| {
        let Some(editor) = edit.editor.as_ref() else { return };
        ui.strong(tr(lang, "Checker", "チェック結果"));
        let problems = editor.problems().to_vec();
        egui::ScrollArea::vertical().show(ui, |ui| {
            if problems.is_empty() {
                ui.label(tr(
                    lang,
                    "No problems: `relaysim check` accepts this world.",
                    "問題はありません (`relaysim check` が通ります)。",
                ));
            }
            for p in problems {
                let place = match &p.item {
                    Some(item) => format!(
                        "{}{}",
                        item_name(item, lang),
                        if p.path.0.is_empty() { String::new() } else { format!(" · {}", p.path) }
                    ),
                    None => tr(lang, "world", "全体").to_string(),
                };
                let text = format!("⚠ {place}: {}", p.message);
                if ui
                    .selectable_label(false, egui::RichText::new(text).color(egui::Color32::from_rgb(255, 140, 120)))
                    .clicked()
                    && let Some(item) = p.item
                {
                    edit.selected = Some(item);
                    edit.list = ListTab::Selection;
                }
            }
        });
    });
}

/// How an item is named in lists and messages.
pub fn item_name(item: &Item, lang: Lang) -> String {
    match item {
        Item::Scenario => tr(lang, "the scenario", "シナリオ全体").into(),
        Item::Isp(id) | Item::Node(id) | Item::Source(id) => id.clone(),
        Item::Link(k) => format!("links[{k}]"),
        Item::Zone(d) => d.clone(),
    }
}

/// The heading of an item's form: a link by its two ends.
fn item_title(s: &crate::scenario::Scenario, item: &Item, lang: Lang) -> String {
    match item {
        Item::Link(k) => s.links.get(*k).map_or_else(|| item_name(item, lang), |l| format!("{} — {}", l.a, l.b)),
        _ => item_name(item, lang),
    }
}

/// The side column: tabs for the selection and the lists, then a form.
fn side_column(ui: &mut egui::Ui, edit: &mut EditMode, state: &mut SimState, view: &mut CameraView, lang: Lang) {
    ui.horizontal_wrapped(|ui| {
        ui.selectable_value(&mut edit.list, ListTab::Selection, tr(lang, "Selected", "選択中"));
        ui.selectable_value(&mut edit.list, ListTab::World, tr(lang, "World", "全体"));
        ui.selectable_value(&mut edit.list, ListTab::Isps, "ISP");
        ui.selectable_value(&mut edit.list, ListTab::Zones, "DNS");
        ui.selectable_value(&mut edit.list, ListTab::Traffic, tr(lang, "Traffic", "送信元"));
    });
    ui.separator();
    egui::ScrollArea::vertical().show(ui, |ui| {
        let Some(editor) = edit.editor.as_ref() else { return };
        let s = &editor.scenario;
        // The list of the tab, with add buttons; a click selects for the form.
        let (items, adds): (Vec<Item>, Vec<(Section, &str, &str)>) = match edit.list {
            ListTab::Selection => (vec![], vec![]),
            ListTab::World => (vec![], vec![]),
            ListTab::Isps => (s.isps.iter().map(|i| Item::Isp(i.id.clone())).collect(), vec![(Section::Isp, "+ ISP", "+ ISP")]),
            ListTab::Zones => {
                (s.dns.iter().map(|z| Item::Zone(z.domain.clone())).collect(), vec![(Section::Zone, "+ zone", "+ ゾーン")])
            }
            ListTab::Traffic => (
                s.traffic.iter().map(|t| Item::Source(t.id().to_string())).collect(),
                vec![
                    (Section::Legit, "+ legit mail", "+ 正規メール"),
                    (Section::Spam, "+ spam campaign", "+ スパム送信"),
                    (Section::Once, "+ one mail", "+ 1 通のメール"),
                ],
            ),
        };
        let mut add = None;
        if !adds.is_empty() {
            ui.horizontal_wrapped(|ui| {
                for (section, en, ja) in adds {
                    if ui.button(tr(lang, en, ja)).clicked() {
                        add = Some(section);
                    }
                }
            });
        }
        for it in items {
            let on = edit.selected.as_ref() == Some(&it);
            if ui.selectable_label(on, item_name(&it, lang)).clicked() {
                edit.selected = Some(it);
            }
        }
        if let Some(section) = add {
            edit.apply(Op::AddItem { section }, state, view);
        }
        let item = match edit.list {
            ListTab::World => Some(Item::Scenario),
            ListTab::Selection => edit.selected.clone(),
            _ => edit.selected.clone().filter(|i| {
                matches!(
                    (edit.list, i),
                    (ListTab::Isps, Item::Isp(_)) | (ListTab::Zones, Item::Zone(_)) | (ListTab::Traffic, Item::Source(_))
                )
            }),
        };
        let Some(item) = item else {
            if edit.list == ListTab::Selection {
                ui.heading(tr(lang, "Building a world", "世界を作る"));
                ui.label(tr(
                    lang,
                    "Pick a kind above and click the map to place it (inside an ISP's outline: in that ISP). Drag a node to move it; Shift+drag, or the Link tool, from one node to another to link them. Click a node or a link to fill in its settings here. Every change is checked at once; the messages are shown at the bottom and next to the fields.",
                    "上で種類を選び、地図をクリックして配置します (ISP の枠の中なら その ISP に属します)。ノードをドラッグで移動、Shift+ドラッグ (または接続ツール) でノード同士を接続。ノードやリンクをクリックすると、ここで設定できます。変更はすぐにチェックされ、結果は下と各項目の横に表示されます。",
                ));
            }
            return;
        };
        ui.separator();
        let title = edit.editor.as_ref().map_or_else(|| item_name(&item, lang), |e| item_title(&e.scenario, &item, lang));
        ui.horizontal(|ui| {
            ui.heading(title);
            if item != Item::Scenario && ui.button(tr(lang, "🗑 Delete", "🗑 削除")).clicked() {
                edit.dialog = Some(Dialog::ConfirmDelete(item.clone()));
            }
        });
        super::form::show(ui, edit, &item, state, view, lang);
    });
}

/// Saves to `to` (or the editor's own file), asking first when comments
/// would be lost.
fn save(edit: &mut EditMode, state: &mut SimState, to: Option<PathBuf>, drop_comments: bool, lang: Lang) {
    let Some(editor) = edit.editor.as_mut() else { return };
    let result = match &to {
        Some(p) => editor.save_as(p, drop_comments),
        None => editor.save(drop_comments),
    };
    edit.status = Some(match result {
        Ok(saved) => {
            // The watcher follows the saved file from now on.
            state.path = saved.path.clone();
            let msg = match lang {
                Lang::En if saved.problems > 0 => {
                    format!("saved {} ({} problem(s): it cannot run until fixed)", saved.path.display(), saved.problems)
                }
                Lang::En => format!("saved {}", saved.path.display()),
                Lang::Ja if saved.problems > 0 => {
                    format!(
                        "{} に保存しました (問題 {} 件: 直すまで実行できません)",
                        saved.path.display(),
                        saved.problems
                    )
                }
                Lang::Ja => format!("{} に保存しました", saved.path.display()),
            };
            (msg, false)
        }
        Err(SaveError::NoPath) => {
            edit.dialog = Some(Dialog::SaveAs { path: "my-world.ron".into() });
            return;
        }
        Err(SaveError::WouldLoseComments(c)) => {
            edit.dialog = Some(Dialog::LoseComments { save_as: to, count: c.len() });
            return;
        }
        Err(e) => (e.to_string(), true),
    });
}

/// The questions asked before acting.
fn dialogs(
    ctx: &egui::Context,
    edit: &mut EditMode,
    state: &mut SimState,
    playback: &mut Playback,
    view: &mut CameraView,
    lang: Lang,
) {
    let Some(dialog) = edit.dialog.clone() else { return };
    let window = |title: &str| {
        egui::Window::new(title.to_string())
            .anchor(egui::Align2::CENTER_CENTER, egui::vec2(0.0, 0.0))
            .collapsible(false)
            .resizable(false)
    };
    match dialog {
        Dialog::ConfirmDelete(item) => {
            window(tr(lang, "Delete?", "削除しますか?")).show(ctx, |ui| {
                let what = item_name(&item, lang);
                ui.label(match (lang, &item) {
                    (Lang::En, Item::Node(_)) => format!("Delete node `{what}` and its links? (Undo brings it back.)"),
                    (Lang::Ja, Item::Node(_)) => {
                        format!("ノード `{what}` とそのリンクを削除しますか? (元に戻すで戻せます)")
                    }
                    (Lang::En, _) => format!("Delete `{what}`? (Undo brings it back.)"),
                    (Lang::Ja, _) => format!("`{what}` を削除しますか? (元に戻すで戻せます)"),
                });
                ui.horizontal(|ui| {
                    if ui.button(tr(lang, "Delete", "削除")).clicked() {
                        let op = match &item {
                            Item::Node(id) => Op::DeleteNode { id: id.clone() },
                            other => Op::DeleteItem { item: other.clone() },
                        };
                        if matches!(item, Item::Node(_)) {
                            let positions: Vec<bevy::math::Vec2> = crate::gui::layout::positions(&state.scenario);
                            edit.pin_layout(&positions, state, view);
                        }
                        if edit.apply(op, state, view) {
                            edit.selected = None;
                        }
                        edit.dialog = None;
                    }
                    if ui.button(tr(lang, "Cancel", "キャンセル")).clicked() {
                        edit.dialog = None;
                    }
                });
            });
        }
        Dialog::SaveAs { mut path } => {
            window(tr(lang, "Save as", "名前を付けて保存")).show(ctx, |ui| {
                ui.label(tr(lang, "File (RON):", "ファイル (RON):"));
                let out = egui::TextEdit::singleline(&mut path).desired_width(380.0).show(ui);
                // Opened: the whole name selected, ready to be typed over.
                if !out.response.has_focus() && !edit.save_as_focused {
                    out.response.request_focus();
                    let mut st = out.state.clone();
                    let all = egui::text::CCursorRange::two(
                        egui::text::CCursor::new(0),
                        egui::text::CCursor::new(path.chars().count()),
                    );
                    st.cursor.set_char_range(Some(all));
                    st.store(ui.ctx(), out.response.id);
                    edit.save_as_focused = true;
                }
                edit.dialog = Some(Dialog::SaveAs { path: path.clone() });
                ui.horizontal(|ui| {
                    let enter = ui.input(|i| i.key_pressed(egui::Key::Enter));
                    if (ui.button(tr(lang, "Save", "保存")).clicked() || enter) && !path.trim().is_empty() {
                        edit.dialog = None;
                        edit.save_as_focused = false;
                        save(edit, state, Some(PathBuf::from(path.trim())), false, lang);
                    }
                    if ui.button(tr(lang, "Cancel", "キャンセル")).clicked() {
                        edit.dialog = None;
                        edit.save_as_focused = false;
                    }
                });
            });
        }
        Dialog::LoseComments { save_as, count } => {
            window(tr(lang, "Comments would be lost", "コメントが失われます")).show(ctx, |ui| {
                ui.label(match lang {
                    Lang::En => format!(
                        "{count} comment(s) of the file belong to items you deleted or changed and would not be saved."
                    ),
                    Lang::Ja => {
                        format!("ファイルのコメント {count} 件は、削除・変更した項目に付いていたため保存されません。")
                    }
                });
                ui.horizontal(|ui| {
                    if ui.button(tr(lang, "Save without them", "コメントなしで保存")).clicked() {
                        edit.dialog = None;
                        save(edit, state, save_as.clone(), true, lang);
                    }
                    if ui.button(tr(lang, "Cancel", "キャンセル")).clicked() {
                        edit.dialog = None;
                    }
                });
            });
        }
        Dialog::CannotRun => {
            window(tr(lang, "This world cannot run yet", "この世界はまだ実行できません")).show(ctx, |ui| {
                let n = edit.editor.as_ref().map_or(0, |e| e.problems().len());
                ui.label(match lang {
                    Lang::En => format!(
                        "The checker has {n} message(s) (listed at the bottom). Fix them, or discard the changes."
                    ),
                    Lang::Ja => {
                        format!("チェックで {n} 件の問題があります (下に一覧)。直すか、変更を破棄してください。")
                    }
                });
                ui.horizontal(|ui| {
                    if ui.button(tr(lang, "Keep editing", "編集を続ける")).clicked() {
                        edit.dialog = None;
                    }
                    if ui.button(tr(lang, "Discard changes", "変更を破棄")).clicked() {
                        super::leave(edit, state, playback, true);
                    }
                });
            });
        }
        Dialog::NewWorld { key } => {
            window(tr(lang, "New world", "新しい世界")).show(ctx, |ui| {
                ui.label(tr(
                    lang,
                    "Start a new world from this template? The world being edited is replaced (Undo brings it back).",
                    "このテンプレートから新しい世界を始めますか? 編集中の世界は置き換わります (元に戻すで戻せます)。",
                ));
                ui.horizontal(|ui| {
                    if ui.button(tr(lang, "Start", "開始")).clicked() {
                        edit.dialog = None;
                        new_world(edit, state, view, &key);
                    }
                    if ui.button(tr(lang, "Cancel", "キャンセル")).clicked() {
                        edit.dialog = None;
                    }
                });
            });
        }
    }
}

/// Replaces the edited world with a template's (one undoable edit per item
/// would be slow to undo; the whole world is swapped in one step).
pub fn new_world(edit: &mut EditMode, state: &mut SimState, view: &mut CameraView, key: &str) {
    let Some(world) = templates::make(key) else { return };
    let Some(editor) = edit.editor.as_mut() else { return };
    match editor.replace_world(world) {
        Ok(()) => {
            edit.selected = None;
            edit.drafts.clear();
            edit.refused.clear();
            super::show(editor, state, view);
            view.fitted = None;
        }
        Err(e) => edit.status = Some((e.to_string(), true)),
    }
}
