//! The egui panels: playback bar, inspectors, statistics plots, the error
//! window, the help overlay and the narration.

use std::path::PathBuf;

use bevy::prelude::*;
use bevy_egui::{EguiContexts, egui};

use crate::gui::events::EventList;
use crate::gui::flights::Flights;
use crate::gui::playback::{self, Playback, SPEEDS, SimState};
use crate::gui::scene::{BottomTab, CameraView, Lang, SHORTCUTS, UiState};
use crate::gui::stats::Series;
use crate::gui::text::{self, class_name, defense_name, elapsed, kind_name, span, tr, wall_clock};
use crate::gui::{Queues, Selection, fonts, icons};
use crate::sim::message::Holder;
use crate::sim::{Fate, MailClass, MsgId};

/// The narration's state (logic and window), and the panels' drawing (window
/// only: [`view_plugin`]).
pub(super) fn plugin(app: &mut App) {
    app.init_resource::<NarrationState>();
}

/// The panels, drawn in egui's pass.
pub(super) fn view_plugin(app: &mut App) {
    app.add_systems(bevy_egui::EguiPrimaryContextPass, ui);
}

/// The history tour, in order: the files in `scenarios/history` when the
/// program runs in the source tree (they reload when edited), otherwise the
/// eras built into the program (`era:1`, …; see [`crate::tour`]).
pub fn history_files() -> Vec<PathBuf> {
    if let Ok(rd) = std::fs::read_dir("scenarios/history") {
        let mut v: Vec<PathBuf> =
            rd.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.extension().is_some_and(|x| x == "ron")).collect();
        v.sort();
        if !v.is_empty() {
            return v;
        }
    }
    crate::tour::eras().iter().map(|e| PathBuf::from(e.name)).collect()
}

/// What the narration panel shows.
#[derive(Resource, Debug, Default, Clone)]
pub struct NarrationState {
    /// The class's guess for the current step's question (index of a choice).
    pub guess: Option<usize>,
    /// The answer to the current step's question is shown.
    pub revealed: bool,
}

/// Space and the play button. While a question waits, the first press shows
/// the answer (the class has guessed); the next one plays on.
pub fn play_pause(state: &mut SimState, playback: &mut Playback, narration: &mut NarrationState) {
    if state.question_open {
        narration.revealed = true;
        state.question_open = false;
        return;
    }
    playback.playing = !playback.playing;
}

/// Goes on without answering the step's question.
pub fn skip_question(state: &mut SimState, playback: &mut Playback) {
    state.question_open = false;
    playback.playing = true;
}

/// Runs on until the next narration step fires (the `N` key and the button).
pub fn next_narration_step(
    state: &mut SimState,
    playback: &mut Playback,
    narration: &mut NarrationState,
    _view: &mut CameraView,
) {
    if state.advance_to_next_step() {
        playback.playing = false;
        narration.guess = None;
        narration.revealed = false;
    }
}

/// Points the camera at what a newly fired step names and selects its message.
pub fn follow_new_steps(
    state: &mut SimState,
    narration: &mut NarrationState,
    view: &mut CameraView,
    sel: &mut Selection,
    positions: &[Vec2],
) {
    let fired = std::mem::take(&mut state.new_steps);
    let Some(last) = fired.last() else { return };
    narration.guess = None;
    narration.revealed = false;
    let Some(step) = state.narrator.steps().get(last.step).cloned() else { return };
    let points: Vec<Vec2> = step
        .focus
        .nodes
        .iter()
        .filter_map(|id| state.scenario.nodes.iter().position(|n| n.id == *id))
        .filter_map(|i| positions.get(i).copied())
        .collect();
    if !points.is_empty() {
        view.focus = Some(points.iter().copied().sum::<Vec2>() / points.len() as f32);
        if points.len() == 1 {
            sel.node = state.scenario.nodes.iter().position(|n| Some(&n.id) == step.focus.nodes.first());
        }
    }
    // The message the step is about opens in the inspector: the one it
    // names, the one its action sent, or the one whose event fired it.
    let sent = last.sent;
    let named = step.focus.message.as_ref().and_then(|r| state.narrator.resolve(&state.sim, r));
    if let Some(m) = named.or(sent).or(last.msg) {
        sel.msg = Some(m);
    }
}

/// Colour of a reply code: green 2xx/3xx, amber 4xx, red 5xx.
fn reply_colour(text: &str) -> egui::Color32 {
    match text.as_bytes().first() {
        Some(b'2') | Some(b'3') => egui::Color32::from_rgb(110, 210, 120),
        Some(b'4') => egui::Color32::from_rgb(240, 180, 40),
        Some(b'5') => egui::Color32::from_rgb(240, 90, 80),
        _ => egui::Color32::GRAY,
    }
}

fn class_colour(c: MailClass) -> egui::Color32 {
    let s = icons::class_colour(c).to_srgba();
    egui::Color32::from_rgb((s.red * 255.0) as u8, (s.green * 255.0) as u8, (s.blue * 255.0) as u8)
}

/// Everything the panels read and change, borrowed for one frame: the
/// Bevy system [`ui`] fills it from resources, tests from plain values.
pub struct Panels<'a> {
    pub state: &'a mut SimState,
    pub playback: &'a mut Playback,
    pub ui_state: &'a mut UiState,
    pub sel: &'a mut Selection,
    pub narration: &'a mut NarrationState,
    pub view: &'a mut CameraView,
    pub flights: &'a Flights,
    pub series: &'a Series,
    pub queues: &'a Queues,
    pub events: &'a mut EventList,
    pub edit: &'a mut crate::gui::edit::EditMode,
}

#[allow(clippy::too_many_arguments)]
pub fn ui(
    mut contexts: EguiContexts,
    mut state: ResMut<SimState>,
    mut playback: ResMut<Playback>,
    mut ui_state: ResMut<UiState>,
    mut sel: ResMut<Selection>,
    mut narration: ResMut<NarrationState>,
    mut view: ResMut<CameraView>,
    mut clear: ResMut<ClearColor>,
    flights: Res<Flights>,
    series: Res<Series>,
    queues: Res<Queues>,
    mut events: ResMut<EventList>,
    mut edit: ResMut<crate::gui::edit::EditMode>,
) -> Result {
    let _own = crate::gui::own_time::Span::start("panels::ui");
    let ctx = contexts.ctx_mut()?;
    clear.0 = if ui_state.presenter { Color::BLACK } else { Color::srgb(0.06, 0.07, 0.10) };
    draw(
        ctx,
        Panels {
            state: &mut state,
            playback: &mut playback,
            ui_state: &mut ui_state,
            sel: &mut sel,
            narration: &mut narration,
            view: &mut view,
            flights: &flights,
            series: &series,
            queues: &queues,
            events: &mut events,
            edit: &mut edit,
        },
    );
    Ok(())
}

/// Lays out and handles every panel for one frame.
pub fn draw(ctx: &egui::Context, p: Panels) {
    let Panels { state, playback, ui_state, sel, narration, view, flights, series, queues, events, edit } = p;
    if !ui_state.fonts_installed {
        fonts::install(ctx);
        ui_state.fonts_installed = true;
    }
    // Presenter mode: everything larger, white on black.
    let zoom = if ui_state.presenter { 1.4 } else { 1.0 };
    if (ctx.zoom_factor() - zoom).abs() > 0.01 {
        ctx.set_zoom_factor(zoom);
    }
    let mut visuals = egui::Visuals::dark();
    if ui_state.presenter {
        visuals.override_text_color = Some(egui::Color32::WHITE);
        visuals.panel_fill = egui::Color32::BLACK;
        visuals.window_fill = egui::Color32::BLACK;
    }
    // Only on a change: setting the style asks egui for another frame.
    if ctx.global_style().visuals != visuals {
        ctx.set_visuals(visuals);
    }
    // Small text (notes under the narration, hints) stays readable from the
    // back of a room: at least 14 px in presenter mode (10 points × 1.4).
    let small = if ui_state.presenter { 10.0 } else { 9.0 };
    if ctx.global_style().text_styles.get(&egui::TextStyle::Small).is_some_and(|f| f.size != small) {
        ctx.all_styles_mut(|st| {
            if let Some(f) = st.text_styles.get_mut(&egui::TextStyle::Small) {
                f.size = small;
            }
        });
    }
    let lang = ui_state.lang;
    if edit.active() {
        let mut root = egui::Ui::new(
            ctx.clone(),
            "root".into(),
            egui::UiBuilder::new().layer_id(egui::LayerId::background()).max_rect(ctx.viewport_rect()),
        );
        crate::gui::edit::panel::draw(&mut root, ctx, edit, state, playback, ui_state, view);
        return;
    }
    // Screenshots (no following) keep what `--node`/`--message` opened.
    let (mut no_move, mut keep) = (CameraView::default(), sel.clone());
    let (camera, chosen) = if ui_state.follow_focus { (&mut *view, &mut *sel) } else { (&mut no_move, &mut keep) };
    follow_new_steps(state, narration, camera, chosen, &flights.positions);

    // Panels live in a root Ui covering the window (egui 0.36 panels are shown in a Ui).
    let mut root = egui::Ui::new(
        ctx.clone(),
        "root".into(),
        egui::UiBuilder::new().layer_id(egui::LayerId::background()).max_rect(ctx.viewport_rect()),
    );
    top_bar(&mut root, state, playback, ui_state, narration, view, sel, flights, edit);
    // Panel sizes that leave the map 60% of the window (layout::panel_sizes).
    let sizes = crate::gui::layout::panel_sizes(ctx.viewport_rect().size(), root.available_rect_before_wrap().top());
    if ui_state.show_stats && sizes.bottom > 0.0 {
        let start = state.scenario.start;
        let tab = &mut ui_state.bottom_tab;
        if let Some((t, m)) = bottom_panel(&mut root, series, events, state, sel, start, lang, sizes.bottom, tab) {
            // A row of the event list: its message, at its moment.
            playback.playing = false;
            state.seek(t);
            sel.msg = Some(m);
        }
    }
    egui::Panel::right("inspector").default_size(sizes.right).size_range(sizes.right.min(200.0)..=sizes.right).resizable(true).show(&mut root, |ui| {
        egui::ScrollArea::vertical().show(ui, |ui| {
            narration_panel(ui, state, playback, narration, view, lang);
            ui.separator();
            if let Some(m) = sel.msg {
                message_inspector(ui, state, m, sel, lang);
            } else if let Some(n) = sel.node {
                node_inspector(ui, state, n, queues, sel, lang);
            } else {
                ui.heading(tr(lang, "Inspector", "インスペクタ"));
                ui.label(tr(
                    lang,
                    "Click a node for its configuration, counters and queue; click an envelope for its path, SMTP dialogues and headers.",
                    "ノードをクリックすると設定・カウンタ・キューを、封筒をクリックすると経路・SMTP の対話・ヘッダを表示します。",
                ));
                legend(ui, lang);
            }
        });
    });
    // What is left is the picture; the words painted on it stay inside.
    // In window pixels (egui points times its zoom), for the camera fit.
    let free = root.available_rect_before_wrap();
    let z = ctx.zoom_factor();
    ui_state.free_rect =
        Some(egui::Rect::from_min_max((free.min.to_vec2() * z).to_pos2(), (free.max.to_vec2() * z).to_pos2()));
    if let Some(err) = state.error.clone() {
        egui::Window::new(tr(lang, "The scenario file has errors", "シナリオファイルにエラーがあります"))
            .anchor(egui::Align2::CENTER_CENTER, egui::vec2(0.0, 0.0))
            .collapsible(false)
            .default_width(560.0)
            .show(ctx, |ui| {
                ui.colored_label(
                    egui::Color32::from_rgb(255, 120, 100),
                    tr(
                        lang,
                        "Still showing the last scenario that loaded. Fix the file and save: it reloads by itself.",
                        "最後に読み込めたシナリオを表示しています。ファイルを直して保存すると自動で再読み込みします。",
                    ),
                );
                ui.separator();
                ui.monospace(err);
            });
    }
    if ui_state.show_help {
        egui::Window::new(tr(lang, "Keyboard shortcuts", "キーボード操作"))
            .anchor(egui::Align2::CENTER_CENTER, egui::vec2(0.0, 0.0))
            .collapsible(false)
            .show(ctx, |ui| {
                egui::Grid::new("keys").striped(true).show(ui, |ui| {
                    for (k, en, ja) in SHORTCUTS {
                        ui.strong(k);
                        ui.label(tr(lang, en, ja));
                        ui.end_row();
                    }
                });
                if ui.button(tr(lang, "Close", "閉じる")).clicked() {
                    ui_state.show_help = false;
                }
            });
    }
}

#[allow(clippy::too_many_arguments)]
fn top_bar(
    root: &mut egui::Ui,
    state: &mut SimState,
    playback: &mut Playback,
    ui_state: &mut UiState,
    narration: &mut NarrationState,
    view: &mut CameraView,
    sel: &mut Selection,
    flights: &Flights,
    edit: &mut crate::gui::edit::EditMode,
) {
    let lang = ui_state.lang;
    egui::Panel::top("controls").show(root, |ui| {
        ui.horizontal_wrapped(|ui| {
            // The era menu: the whole history tour, one click away.
            let current = state.path.file_stem().map(|s| s.to_string_lossy().to_string()).unwrap_or_default();
            let mut open = None;
            // Each era by its title (the scenario's name), its file on hover.
            let title = |p: &PathBuf| -> String {
                let stem = p.file_stem().map(|s| s.to_string_lossy().to_string()).unwrap_or_default();
                crate::tour::eras()
                    .iter()
                    .find(|e| e.stem() == stem || e.name == p.to_string_lossy())
                    .map_or(stem, |e| e.title_in(lang.code()))
            };
            let shown = title(&state.path);
            egui::ComboBox::from_id_salt("era")
                .selected_text(shown)
                .width(if ui_state.presenter { 190.0 } else { 260.0 })
                .show_ui(ui, |ui| {
                    for p in &ui_state.eras {
                        let name = p.file_stem().map(|s| s.to_string_lossy().to_string()).unwrap_or_default();
                        let item = ui.selectable_label(name == current || *p == state.path, title(p));
                        if item.on_hover_text(p.display().to_string()).clicked() {
                            open = Some(p.clone());
                        }
                    }
                });
            if let Some(p) = open {
                match SimState::load(&p) {
                    Ok(mut s) => {
                        s.generation = state.generation + 1;
                        *state = s;
                        *sel = Selection::default();
                        *narration = NarrationState::default();
                        // A new lesson opens paused on its first step.
                        playback.playing = false;
                    }
                    Err(e) => state.error = Some(e),
                }
            }
            ui.separator();
            let play = if state.question_open {
                tr(lang, "✔ Show the answer", "✔ 答えを見る")
            } else if playback.playing {
                tr(lang, "⏸ Pause", "⏸ 一時停止")
            } else {
                tr(lang, "▶ Play", "▶ 再生")
            };
            if ui.button(play).on_hover_text(tr(lang, "Space", "スペースキー")).clicked() {
                play_pause(state, playback, narration);
            }
            if ui.button("⏮").on_hover_text(tr(lang, "restart (Home)", "最初から (Home)")).clicked() {
                playback::restart(state, playback);
                *narration = NarrationState::default();
            }
            if ui.button("◀").on_hover_text(tr(lang, "step back (←)", "一つ戻る (←)")).clicked() {
                playback::step_back(state, playback);
            }
            if ui.button("▶|").on_hover_text(tr(lang, "next SMTP event (→)", "次の SMTP イベント (→)")).clicked()
            {
                playback::step_forward(state, playback);
            }
            if ui.button(tr(lang, "next step ⏭", "次のステップ ⏭")).on_hover_text("N").clicked() {
                next_narration_step(state, playback, narration, view);
            }
            ui.separator();
            if ui.button("−").on_hover_text("-").clicked() {
                playback.slower();
            }
            ui.label(speed_name(playback.speed, lang));
            if ui.button("+").on_hover_text("+").clicked() {
                playback.faster();
            }
            let skip = if ui_state.presenter {
                tr(lang, "skip", "飛ばす")
            } else {
                tr(lang, "skip idle", "待ち時間を飛ばす")
            };
            ui.checkbox(&mut playback.skip_idle, skip).on_hover_text(tr(
                lang,
                "jump over quiet periods",
                "何も起きない時間を飛ばす",
            ));
            ui.separator();
            ui.strong(elapsed(state.clock))
                .on_hover_text(format!("{} (UTC)", wall_clock(state.scenario.start, state.clock)));
            if !ui_state.presenter {
                // The date only where there is room (always on the clock's hover).
                ui.label(wall_clock(state.scenario.start, state.clock));
            }
            ui.label(format!("· {} {}", flights.in_flight(), tr(lang, "in flight", "通信中")));
        });
        // The timeline (a click or a drag seeks; going back replays the run),
        // then the view's switches: two rows, even in presenter mode.
        ui.horizontal(|ui| {
            let switches = if ui_state.presenter { 300.0 } else { 250.0 };
            if let Some(t) = timeline(ui, state, ui_state, lang, switches) {
                playback.playing = false;
                state.seek(t);
            }
            ui.separator();
            if ui.selectable_label(lang == Lang::Ja, "日本語").clicked() {
                ui_state.lang = if lang == Lang::Ja { Lang::En } else { Lang::Ja };
            }
            if ui.selectable_label(ui_state.presenter, tr(lang, "Presenter", "発表モード")).clicked() {
                ui_state.presenter = !ui_state.presenter;
            }
            if ui.selectable_label(ui_state.show_stats, tr(lang, "Statistics", "統計")).clicked() {
                ui_state.show_stats = !ui_state.show_stats;
            }
            if ui
                .button(tr(lang, "✏ Edit", "✏ 編集"))
                .on_hover_text(tr(lang, "build or change the world (E)", "世界を作る・変える (E)"))
                .clicked()
            {
                crate::gui::edit::enter(edit, state, playback, sel);
            }
            if ui.button("?").on_hover_text(tr(lang, "keyboard shortcuts (H)", "キーボード操作 (H)")).clicked() {
                ui_state.show_help = !ui_state.show_help;
            }
        });
    });
}

/// A speed of [`SPEEDS`] in the window's language.
fn speed_name(i: usize, lang: Lang) -> &'static str {
    const JA: [&str; 9] =
        ["実時間", "10秒/秒", "1分/秒", "5分/秒", "1日/分", "3日/分", "1週間/分", "30日/分", "100日/分"];
    let i = i.min(SPEEDS.len() - 1);
    if lang == Lang::Ja { JA[i] } else { SPEEDS[i].1 }
}

/// The timeline: the run's length, the clock, the narration steps fired so
/// far. A click or a drag (on release) seeks; returns the time asked for.
fn timeline(ui: &mut egui::Ui, state: &SimState, ui_state: &mut UiState, lang: Lang, reserve: f32) -> Option<u64> {
    let end = state.end().max(1);
    let mut seek = None;
    ui.horizontal(|ui| {
        let label_w = 190.0 + reserve;
        let w = (ui.available_width() - label_w).max(100.0);
        let (rect, resp) = ui.allocate_exact_size(egui::vec2(w, 22.0), egui::Sense::click_and_drag());
        let x_of = |t: u64| rect.left() + rect.width() * (t as f32 / end as f32);
        let t_of = |x: f32| (((x - rect.left()) / rect.width()).clamp(0.0, 1.0) as f64 * end as f64) as u64;
        let painter = ui.painter_at(rect.expand(2.0));
        let rail = egui::Rect::from_center_size(rect.center(), egui::vec2(rect.width(), 8.0));
        painter.rect_filled(rail, 4.0, egui::Color32::from_gray(70));
        let shown = ui_state.scrub.unwrap_or(state.clock);
        let done = egui::Rect::from_min_max(rail.min, egui::pos2(x_of(shown), rail.max.y));
        painter.rect_filled(done, 4.0, egui::Color32::from_rgb(90, 140, 220));
        for f in state.narrator.fired() {
            let x = x_of(f.at);
            painter.line_segment(
                [egui::pos2(x, rect.top() + 1.0), egui::pos2(x, rect.bottom() - 1.0)],
                egui::Stroke::new(2.0, egui::Color32::from_rgb(250, 210, 80)),
            );
        }
        // The scenario's dated changes (its `timeline`): a diamond each,
        // filled once the run has passed it.
        let dated = crate::sim::timeline::times(&state.scenario);
        let mut near: Option<(f32, usize)> = None;
        let hover_x = resp.hover_pos().map(|p| p.x);
        for (i, t) in dated.iter().enumerate() {
            let Some(t) = *t else { continue };
            let x = x_of(t.min(end));
            let centre = egui::pos2(x, rect.center().y);
            let d = 6.0;
            let diamond = vec![centre + egui::vec2(0.0, -d), centre + egui::vec2(d, 0.0), centre + egui::vec2(0.0, d), centre + egui::vec2(-d, 0.0)];
            let colour = egui::Color32::from_rgb(80, 220, 220);
            let fill = if t <= shown { colour } else { egui::Color32::from_gray(40) };
            painter.add(egui::Shape::convex_polygon(diamond, fill, egui::Stroke::new(1.5, colour)));
            if let Some(hx) = hover_x
                && (hx - x).abs() <= 6.0
                && near.is_none_or(|(dx, _)| (hx - x).abs() < dx)
            {
                near = Some(((hx - x).abs(), i));
            }
        }
        painter.circle_filled(egui::pos2(x_of(shown), rect.center().y), 8.0, egui::Color32::WHITE);
        let resp = match near {
            Some((_, i)) => {
                let e = &state.scenario.timeline[i];
                let when = dated[i].map(|t| wall_clock(state.scenario.start, t)).unwrap_or_default();
                // Without a label, the entry as the file writes it.
                let what = e.label.as_ref().map_or_else(
                    || ron::ser::to_string(&e.change).unwrap_or_default(),
                    |l| l.get(lang.code()).to_string(),
                );
                resp.on_hover_text(format!("{when}\n{what}"))
            }
            None => resp.on_hover_text(tr(
                lang,
                "Click or drag to go to a moment (going back replays the run). Yellow marks: lesson steps. Diamonds: the scenario's dated changes.",
                "クリックかドラッグでその時刻へ (戻るときは最初から再実行)。黄色の印は授業のステップ、ひし形はシナリオの日付つきの変化。",
            )),
        };
        if let Some(p) = resp.interact_pointer_pos() {
            if resp.dragged() {
                ui_state.scrub = Some(t_of(p.x));
            }
            if resp.clicked() || resp.drag_stopped() {
                seek = Some(t_of(p.x));
                ui_state.scrub = None;
            }
        } else if resp.drag_stopped() {
            seek = ui_state.scrub.take();
        }
        ui.label(format!("{} / {}", elapsed(shown), elapsed(state.end())));
    });
    seek
}

fn legend(ui: &mut egui::Ui, lang: Lang) {
    ui.add_space(8.0);
    ui.strong(tr(lang, "Envelopes", "封筒の色"));
    for c in MailClass::ALL {
        ui.colored_label(class_colour(c), format!("✉ {}", class_name(c, lang)));
    }
    ui.add_space(4.0);
    ui.strong(tr(lang, "Replies", "応答"));
    ui.colored_label(
        reply_colour("4"),
        tr(lang, "↩ 4xx: try again later (back to the sender's queue)", "↩ 4xx: あとで再送 (送信者のキューに戻る)"),
    );
    ui.colored_label(reply_colour("5"), tr(lang, "✖ 5xx: refused for good", "✖ 5xx: 恒久的に拒否"));
    ui.colored_label(
        egui::Color32::from_rgb(200, 80, 200),
        tr(lang, "✖ dropped by a router (OP25B)", "✖ ルータが遮断 (OP25B)"),
    );
    ui.colored_label(
        egui::Color32::from_rgb(230, 140, 20),
        tr(lang, "● badge: mail waiting in a queue / outbox", "● バッジ: キュー・送信箱で待っているメール"),
    );
}

fn node_inspector(ui: &mut egui::Ui, state: &mut SimState, n: usize, queues: &Queues, sel: &mut Selection, lang: Lang) {
    {
        let (Some(node), Some(rt)) = (state.scenario.nodes.get(n), state.sim.nodes.get(n)) else {
            return;
        };
        let kind = icons::IconKind::of(&node.kind);
        ui.horizontal(|ui| {
            ui.heading(node.label_in(lang.code()));
            if ui.small_button("✖").on_hover_text(tr(lang, "close (Esc)", "閉じる (Esc)")).clicked() {
                sel.node = None;
            }
        });
        ui.label(format!("{} · id {}", kind_name(kind, lang), node.id));
        if let Some(ip) = rt.ip {
            ui.monospace(format!("{} {}", ip, rt.hostname));
        }
        if let Some(isp) = &node.isp {
            let name =
                state.scenario.isps.iter().find(|i| i.id == *isp).map_or(isp.as_str(), |i| i.name_in(lang.code()));
            ui.label(format!("{}: {}", tr(lang, "network", "ネットワーク"), name));
        }
    }
    what_if_switches(ui, state, n, lang);
    let state = &*state;
    let (Some(node), Some(rt)) = (state.scenario.nodes.get(n), state.sim.nodes.get(n)) else {
        return;
    };
    ui.add_space(6.0);
    egui::CollapsingHeader::new(tr(lang, "Configuration", "設定")).default_open(true).show(ui, |ui| {
        config_grid(ui, &node.kind, lang);
    });
    egui::CollapsingHeader::new(tr(lang, "Counters", "カウンタ")).default_open(true).show(ui, |ui| {
        let c = &rt.counters;
        egui::Grid::new("counters").striped(true).show(ui, |ui| {
            let rows: [(&str, &str, u64); 11] = [
                ("sessions in", "受けた接続", c.sessions_in),
                ("sessions out", "送った接続", c.sessions_out),
                ("accepted", "受け付け", c.accepted),
                ("relayed", "中継", c.relayed),
                ("delivered", "配達", c.delivered),
                ("deferred (4xx)", "一時エラー (4xx)", c.deferred),
                ("greylisted", "グレイリスト", c.greylisted),
                ("bounces sent", "送ったバウンス", c.bounces_sent),
                ("dropped", "遮断", c.dropped),
                ("POP logins", "POP ログイン", c.pop_logins),
                ("forwarded", "転送", c.forwarded),
            ];
            for (en, ja, v) in rows {
                ui.label(tr(lang, en, ja));
                ui.label(v.to_string());
                ui.end_row();
            }
            ui.label(tr(lang, "AUTH ok / failed", "AUTH 成功 / 失敗"));
            ui.label(format!("{} / {}", c.auth_ok, c.auth_failed));
            ui.end_row();
            for (reason, v) in &c.refused {
                ui.colored_label(
                    reply_colour("5"),
                    format!("{}: {}", tr(lang, "refused", "拒否"), text::reason_name(reason, lang)),
                );
                ui.label(v.to_string());
                ui.end_row();
            }
            for (result, v) in &c.spf {
                ui.label(format!("SPF {}", text::spf_result_name(result, lang)));
                ui.label(v.to_string());
                ui.end_row();
            }
        });
    });
    let waiting = queues.at.get(n).copied().unwrap_or(0);
    egui::CollapsingHeader::new(format!("{} ({waiting})", tr(lang, "Queue", "キュー"))).default_open(true).show(
        ui,
        |ui| {
            let mut shown = 0;
            for m in state.sim.messages.iter().rev() {
                if m.waiting_at() == Some(n) {
                    let text = format!(
                        "#{} {} → {} ({} {})",
                        m.id.0,
                        class_name(m.class, lang),
                        m.rcpt,
                        tr(lang, "attempts", "試行"),
                        m.attempts
                    );
                    if ui
                        .add(egui::Button::new(egui::RichText::new(text).color(class_colour(m.class))).frame(false))
                        .clicked()
                    {
                        sel.msg = Some(m.id);
                    }
                    shown += 1;
                    if shown >= 40 {
                        ui.label("…");
                        break;
                    }
                }
            }
            if shown == 0 {
                ui.label(tr(lang, "empty", "空"));
            }
        },
    );
}

/// A node's settings as the file gives them, in words: each field on a row,
/// durations as `5 min`, settings that are off as "off", nested settings
/// indented (the file's names, written as words).
fn config_grid(ui: &mut egui::Ui, kind: &crate::scenario::NodeKind, lang: Lang) {
    let value = serde_json::to_value(kind).unwrap_or(serde_json::Value::Null);
    let mut rows = Vec::new();
    config_rows(&value, 0, lang, &mut rows);
    egui::Grid::new("config").striped(true).show(ui, |ui| {
        for (depth, key, val) in rows {
            // Names as the file spells them (what an author types), values in words.
            ui.monospace(format!("{}{}", "  ".repeat(depth), key));
            match val {
                ConfigValue::Words(w) => ui.add(egui::Label::new(w).wrap()),
                ConfigValue::File(w) => ui.add(egui::Label::new(egui::RichText::new(w).monospace()).wrap()),
            };
            ui.end_row();
        }
    });
}

/// A setting's value: in the window's words (durations, on/off), or as the
/// file writes it (names, addresses, enum variants).
enum ConfigValue {
    Words(String),
    File(String),
}

/// Flattens a settings value into (depth, name, value) rows.
fn config_rows(v: &serde_json::Value, depth: usize, lang: Lang, out: &mut Vec<(usize, String, ConfigValue)>) {
    use serde_json::Value;
    let Value::Object(map) = v else {
        out.push((depth, String::new(), config_value(v, lang)));
        return;
    };
    for (k, v) in map {
        match v {
            // An enum variant or a group with settings: its name, then its settings.
            Value::Object(inner) if depth < 4 && !inner.is_empty() => {
                out.push((depth, k.clone(), ConfigValue::Words(String::new())));
                config_rows(v, depth + 1, lang, out);
            }
            _ => out.push((depth, k.clone(), config_value(v, lang))),
        }
    }
}

/// One setting's value.
fn config_value(v: &serde_json::Value, lang: Lang) -> ConfigValue {
    use serde_json::Value;
    let words = |s: &str| ConfigValue::Words(s.to_string());
    match v {
        Value::Null => words(tr(lang, "off", "なし")),
        Value::Bool(true) => words(tr(lang, "yes", "はい")),
        Value::Bool(false) => words(tr(lang, "no", "いいえ")),
        Value::Number(n) => ConfigValue::File(n.to_string()),
        Value::String(s) => match s.parse::<crate::units::Duration>() {
            // Durations are written `300s` in files: shown as `5 min`.
            Ok(d) if s.chars().next().is_some_and(|c| c.is_ascii_digit()) && !s.contains('/') => {
                ConfigValue::Words(span(d.0, lang))
            }
            _ => ConfigValue::File(s.clone()),
        },
        Value::Array(items) if items.is_empty() => words(tr(lang, "none", "なし")),
        Value::Array(_) | Value::Object(_) => ConfigValue::File(
            serde_json::to_string(v).unwrap_or_default().replace(['"', '{', '}'], "").replace(',', ", "),
        ),
    }
}

fn message_inspector(ui: &mut egui::Ui, state: &SimState, id: MsgId, sel: &mut Selection, lang: Lang) {
    let Some(m) = state.sim.messages.get(id.0 as usize) else { return };
    let name = |n: usize| state.scenario.nodes.get(n).map_or("?", |x| x.id.as_str());
    let at = |t: u64| format!("{} ({})", elapsed(t), wall_clock(state.scenario.start, t));
    ui.horizontal(|ui| {
        ui.heading(format!("{} #{}", tr(lang, "Message", "メッセージ"), m.id.0));
        ui.colored_label(class_colour(m.class), class_name(m.class, lang));
        if ui.small_button("✖").on_hover_text(tr(lang, "close (Esc)", "閉じる (Esc)")).clicked() {
            sel.msg = None;
        }
    });
    ui.horizontal_wrapped(|ui| {
        ui.label(format!("{}:", tr(lang, "Subject", "件名")));
        ui.monospace(m.subject());
    });
    // Envelope sender and header From in two boxes of their own colour: spam
    // forges the second, and servers only ever see the first.
    let mono = |t: String| egui::Label::new(egui::RichText::new(t).monospace()).wrap_mode(egui::TextWrapMode::Wrap);
    egui::Frame::group(ui.style()).fill(egui::Color32::from_rgb(20, 45, 70)).show(ui, |ui| {
        ui.set_width(ui.available_width());
        ui.strong(tr(lang, "Envelope (SMTP: what servers check)", "エンベロープ (SMTP: サーバが見るもの)"));
        ui.add(mono(format!("MAIL FROM:<{}>", m.mail_from)));
        ui.add(mono(format!("RCPT TO:<{}>", m.rcpt)));
    });
    egui::Frame::group(ui.style()).fill(egui::Color32::from_rgb(60, 45, 20)).show(ui, |ui| {
        ui.set_width(ui.available_width());
        ui.strong(tr(lang, "Header (what the reader sees)", "ヘッダ (読み手に見えるもの)"));
        ui.add(mono(format!("From: {}", m.header_from())));
    });
    if m.forged {
        ui.colored_label(reply_colour("5"), tr(lang, "⚠ forged sender", "⚠ 送信者が詐称されています"));
    }
    if let Some(ch) = state.sim.channel_of(m) {
        ui.label(format!("{}: {}", tr(lang, "Spam channel", "スパムの経路"), text::channel_name(ch, lang)));
    }
    if let Some(b) = m.bounce_of
        && ui.link(format!("{} #{}", tr(lang, "bounce of", "元のメール"), b.0)).clicked()
    {
        sel.msg = Some(b);
    }
    let path: Vec<&str> =
        std::iter::once(name(m.origin)).chain(m.hops.iter().filter(|h| h.accepted).map(|h| name(h.to))).collect();
    ui.label(format!("{}: {}", tr(lang, "Path", "経路"), path.join(" → ")));
    let (fate, colour) = match &m.fate {
        Fate::Queued => {
            let holder = match m.holder {
                Holder::Sender => {
                    format!("{} {}", tr(lang, "still with its sender", "まだ送信者の手元:"), name(m.origin))
                }
                Holder::Node(n) => format!("{} {}", tr(lang, "in the queue of", "キューで待機:"), name(n)),
            };
            (format!("{} ({holder})", tr(lang, "on its way", "配送中")), egui::Color32::LIGHT_BLUE)
        }
        Fate::Delivered { at: t, node } => (
            format!(
                "{} {} {} {} ({})",
                tr(lang, "delivered to", "配達先:"),
                name(*node),
                tr(lang, "after", "所要"),
                span(t - m.created, lang),
                elapsed(*t)
            ),
            reply_colour("2"),
        ),
        Fate::Rejected { at: t, node, .. } => (
            format!(
                "{} {} {} {}",
                tr(lang, "refused at", "拒否:"),
                at(*t),
                tr(lang, "by", "サーバ:"),
                node.map_or("?", name)
            ),
            reply_colour("5"),
        ),
        Fate::Lost { at: t, .. } => (format!("{} {}", tr(lang, "lost at", "消失:"), at(*t)), reply_colour("4")),
    };
    ui.add(egui::Label::new(egui::RichText::new(fate).strong().color(colour)).wrap());
    // The reason as the core records it (the reply given, or why the sender gave up).
    if let Fate::Rejected { reason, .. } | Fate::Lost { reason, .. } = &m.fate {
        ui.add(egui::Label::new(egui::RichText::new(reason.as_ref()).monospace().color(colour)).wrap());
    }
    egui::CollapsingHeader::new(tr(lang, "Headers (newest first)", "ヘッダ (新しい順)")).default_open(true).show(
        ui,
        |ui| {
            for h in m.headers() {
                ui.add(mono(h.to_string()));
            }
        },
    );
    for (i, h) in m.hops.iter().enumerate() {
        // The whole reply: its reason words are the point of the lesson.
        let title = format!("{} {}: {} → {} :{}", tr(lang, "Hop", "ホップ"), i + 1, name(h.from), name(h.to), h.port);
        egui::CollapsingHeader::new(egui::RichText::new(title).color(reply_colour(&h.result)))
            .id_salt(("hop", i))
            .default_open(i + 1 == m.hops.len())
            .show(ui, |ui| {
                ui.label(
                    egui::RichText::new(h.result.lines().next().unwrap_or(""))
                        .monospace()
                        .color(reply_colour(&h.result)),
                );
                ui.label(format!("{} → {}   {} – {}", h.from_ip, h.to_ip, elapsed(h.started), elapsed(h.ended)));
                for l in &h.transcript() {
                    let c = match l.who {
                        'C' => egui::Color32::from_rgb(130, 190, 255),
                        'S' => reply_colour(&l.text),
                        _ => egui::Color32::GRAY,
                    };
                    ui.add(
                        egui::Label::new(
                            egui::RichText::new(format!("{}: {}", l.who, l.text.trim_end())).monospace().color(c),
                        )
                        .wrap(),
                    );
                }
            });
    }
}

#[allow(clippy::too_many_arguments)]
/// The bottom panel: statistics (as `relaysim run` counts them) and plots,
/// or the event list. Returns an event-list row clicked: (time, message).
fn bottom_panel(
    root: &mut egui::Ui,
    series: &Series,
    events: &mut EventList,
    state: &SimState,
    sel: &Selection,
    start: crate::units::Timestamp,
    lang: Lang,
    height: f32,
    tab: &mut BottomTab,
) -> Option<(u64, MsgId)> {
    let mut clicked = None;
    egui::Panel::bottom("stats").resizable(true).default_size(height).size_range(40.0..=height).show(root, |ui| {
        // Everything fits the height the map leaves (the tabs stand at the
        // left, so no row is spent on them).
        let h = ui.available_height();
        ui.horizontal_top(|ui| {
            ui.vertical(|ui| {
                ui.set_width(90.0);
                ui.selectable_value(tab, BottomTab::Statistics, tr(lang, "Statistics", "統計")).on_hover_text(format!(
                    "{} ({} UTC)",
                    elapsed(series.clock),
                    wall_clock(start, series.clock)
                ));
                ui.selectable_value(tab, BottomTab::Events, tr(lang, "Events", "イベント一覧"));
            });
            ui.separator();
            ui.vertical(|ui| {
                ui.set_max_height(h);
                if *tab == BottomTab::Events {
                    clicked = crate::gui::events::table(ui, events, state, sel, lang);
                } else {
                    stats_view(ui, series, lang, h);
                }
            });
        });
    });
    clicked
}

/// The mail table of `relaysim run` at the clock, and the plots over time.
fn stats_view(ui: &mut egui::Ui, series: &Series, lang: Lang, height: f32) {
    use egui_plot::{Legend, Line, Plot, PlotPoints};
    // Too low for a readable plot (presenter mode on a small screen): the table alone.
    let plots = height >= 110.0;
    // The channel mix once spam has more than one way in (the arms race).
    let mix = series.channels_used.len() >= 2;
    ui.columns(
        if !plots {
            1
        } else if mix {
            4
        } else {
            3
        },
        |cols| {
            cols[0].spacing_mut().item_spacing.y = 1.0;
            // Classes with no mail yet are left out (legit and spam always shown).
            let shown: Vec<MailClass> = MailClass::ALL
                .into_iter()
                .filter(|&c| matches!(c, MailClass::Legit | MailClass::Spam) || series.now.of(c).sent > 0)
                .collect();
            egui::ScrollArea::vertical().id_salt("mail-table-scroll").max_height(height).show(&mut cols[0], |ui| {
                egui::Grid::new("mail-table").striped(true).show(ui, |ui| {
                    ui.strong(tr(lang, "mail", "メール"));
                    for c in text::column_names(lang) {
                        ui.strong(c);
                    }
                    ui.end_row();
                    for &c in &shown {
                        let k = series.now.of(c);
                        ui.colored_label(class_colour(c), class_name(c, lang));
                        for v in [k.sent, k.delivered, k.rejected, k.lost, k.queued] {
                            ui.label(v.to_string());
                        }
                        ui.end_row();
                    }
                    ui.label(tr(lang, "legit delay", "正規の遅延"));
                    let d = &series.legit_delay;
                    ui.label(format!("{} {:.1} s", tr(lang, "median", "中央値"), d.median));
                    ui.label(format!("p95 {:.1} s", d.p95));
                    ui.end_row();
                });
            });
            if !plots {
                return;
            }
            let unit = TimeUnit::for_run(series.samples.last().map_or(0, |s| s.at).max(series.every));
            let line = |name: String, f: &dyn Fn(&crate::gui::stats::ClassCounts) -> u64, c: egui::Color32| {
                let pts: Vec<[f64; 2]> = series.samples.iter().map(|s| [unit.of(s.at), f(&s.counts) as f64]).collect();
                Line::new(name, PlotPoints::from(pts)).color(c)
            };
            let x_label = unit.axis(lang);
            Plot::new("counts")
                .height(height)
                .legend(Legend::default())
                .allow_scroll(false)
                .x_axis_label(x_label)
                .y_axis_label(tr(lang, "messages", "通数"))
                .show(&mut cols[1], |p| {
                    let (sent, delivered, rejected) =
                        (tr(lang, "sent", "送信"), tr(lang, "delivered", "配達"), tr(lang, "rejected", "拒否"));
                    let legit = class_name(MailClass::Legit, lang);
                    let spam = class_name(MailClass::Spam, lang);
                    p.line(line(
                        format!("{legit} {sent}"),
                        &|k| k.of(MailClass::Legit).sent,
                        class_colour(MailClass::Legit),
                    ));
                    p.line(line(
                        format!("{legit} {delivered}"),
                        &|k| k.of(MailClass::Legit).delivered,
                        egui::Color32::from_rgb(110, 210, 120),
                    ));
                    p.line(line(
                        format!("{spam} {sent}"),
                        &|k| k.of(MailClass::Spam).sent,
                        class_colour(MailClass::Spam),
                    ));
                    p.line(line(
                        format!("{spam} {delivered}"),
                        &|k| k.of(MailClass::Spam).delivered,
                        egui::Color32::from_rgb(255, 150, 60),
                    ));
                    p.line(line(
                        format!("{spam} {rejected}"),
                        &|k| k.of(MailClass::Spam).rejected,
                        egui::Color32::GRAY,
                    ));
                    p.line(line(
                        format!("{} {sent}", class_name(MailClass::Backscatter, lang)),
                        &|k| k.of(MailClass::Backscatter).sent,
                        class_colour(MailClass::Backscatter),
                    ));
                });
            if mix {
                channel_mix(&mut cols[3], series, lang, height, unit);
            }
            Plot::new("delay")
                .height(height)
                .legend(Legend::default())
                .allow_scroll(false)
                .x_axis_label(x_label)
                .y_axis_label(tr(lang, "seconds", "秒"))
                .show(&mut cols[2], |p| {
                    let pts: Vec<[f64; 2]> = series
                        .samples
                        .iter()
                        .filter_map(|s| s.legit_delay_median_s.map(|d| [unit.of(s.at), d]))
                        .collect();
                    p.points(
                        egui_plot::Points::new(
                            tr(lang, "legit delay, median per period", "正規メールの遅延 (期間ごとの中央値)"),
                            PlotPoints::from(pts),
                        )
                        .radius(3.0)
                        .color(class_colour(MailClass::Legit)),
                    );
                });
        },
    );
}

/// Defense switches for one node: a what-if that changes the run from now on.
/// The plots' time axis in a unit that fits what has run: hours for a day
/// or three, days up to two years, then years (era 8 spans fourteen).
#[derive(Debug, Clone, Copy, PartialEq)]
enum TimeUnit {
    Hours,
    Days,
    Years,
}

impl TimeUnit {
    fn for_run(shown: u64) -> Self {
        const DAY: u64 = 86_400_000;
        if shown <= 3 * DAY {
            TimeUnit::Hours
        } else if shown <= 730 * DAY {
            TimeUnit::Days
        } else {
            TimeUnit::Years
        }
    }
    fn of(self, t: u64) -> f64 {
        t as f64
            / match self {
                TimeUnit::Hours => 3_600_000.0,
                TimeUnit::Days => 86_400_000.0,
                TimeUnit::Years => 365.25 * 86_400_000.0,
            }
    }
    fn axis(self, lang: Lang) -> &'static str {
        match self {
            TimeUnit::Hours => tr(lang, "simulated time (h)", "シミュレーション時刻 (時間)"),
            TimeUnit::Days => tr(lang, "simulated time (days)", "シミュレーション時刻 (日)"),
            TimeUnit::Years => tr(lang, "simulated time (years)", "シミュレーション時刻 (年)"),
        }
    }
}

/// Spam sent per period by channel, stacked: each band is one channel, the
/// top edge the campaigns' total, so a shift between channels shows as one
/// band growing while another thins.
fn channel_mix(ui: &mut egui::Ui, series: &Series, lang: Lang, height: f32, unit: TimeUnit) {
    use egui_plot::{Legend, Plot};
    const COLOURS: [egui::Color32; 6] = [
        egui::Color32::from_rgb(230, 90, 80),
        egui::Color32::from_rgb(240, 170, 60),
        egui::Color32::from_rgb(170, 110, 230),
        egui::Color32::from_rgb(90, 170, 240),
        egui::Color32::from_rgb(120, 200, 120),
        egui::Color32::from_rgb(200, 200, 200),
    ];
    Plot::new("channels")
        .height(height)
        .legend(Legend::default())
        .allow_scroll(false)
        .x_axis_label(unit.axis(lang))
        .y_axis_label(tr(lang, "spam sent per period", "期間ごとのスパム送信数"))
        .show(ui, |p| {
            let used = &series.channels_used;
            let xs: Vec<f64> = series.samples.iter().map(|s| unit.of(s.at)).collect();
            let mut below = vec![0.0; xs.len()];
            for &ch in used {
                let above: Vec<f64> =
                    series.samples.iter().zip(&below).map(|(s, b)| b + s.spam_by_channel[ch.index()] as f64).collect();
                let c = COLOURS[ch.index()];
                p.add(
                    egui_plot::FilledArea::new(text::channel_name(ch, lang), &xs, &below, &above)
                        .fill_color(c.gamma_multiply(0.6))
                        .stroke(egui::Stroke::new(1.0, c)),
                );
                below = above;
            }
        });
}

fn what_if_switches(ui: &mut egui::Ui, state: &mut SimState, n: usize, lang: Lang) {
    let Some(id) = state.scenario.nodes.get(n).map(|x| x.id.clone()) else { return };
    let switches: Vec<(crate::scenario::Defense, bool)> =
        crate::scenario::Defense::ALL.iter().filter_map(|&d| state.sim.defense_on(&id, d).map(|on| (d, on))).collect();
    if switches.is_empty() {
        return;
    }
    egui::Frame::group(ui.style()).fill(egui::Color32::from_rgb(50, 35, 15)).show(ui, |ui| {
        ui.strong(tr(lang, "What if…", "もしも…"));
        ui.label(tr(
            lang,
            "Switching a defense changes this run from now on (going back undoes it). For a clean A/B comparison use `relaysim compare`.",
            "防御を切り替えると、この実行が今から変わります（巻き戻すと元に戻ります）。きれいな A/B 比較には `relaysim compare` を使ってください。",
        ));
        for (d, on) in switches {
            let mut v = on;
            if ui.checkbox(&mut v, defense_name(d, lang)).changed() {
                let done = state.switch(&id, d, v);
                ui.ctx().data_mut(|m| m.insert_temp(egui::Id::new(("what-if-error", &id)), done.err()));
            }
        }
        let failed: Option<Option<String>> = ui.ctx().data(|m| m.get_temp(egui::Id::new(("what-if-error", &id))));
        if let Some(Some(e)) = failed {
            ui.colored_label(reply_colour("5"), e);
        }
        if !state.what_ifs.is_empty() {
            ui.small(format!(
                "{}: {}",
                tr(lang, "switched in this run", "この実行での切り替え"),
                state
                    .what_ifs
                    .iter()
                    .map(|w| format!(
                        "{} {} {} ({})",
                        w.node,
                        defense_name(w.defense, lang),
                        if w.on { tr(lang, "on", "オン") } else { tr(lang, "off", "オフ") },
                        elapsed(w.at)
                    ))
                    .collect::<Vec<_>>()
                    .join("; ")
            ));
        }
    });
}

fn narration_panel(
    ui: &mut egui::Ui,
    state: &mut SimState,
    playback: &mut Playback,
    narration: &mut NarrationState,
    view: &mut CameraView,
    lang: Lang,
) {
    let code = lang.code();
    let steps = state.narrator.steps().len();
    if steps == 0 {
        return;
    }
    let fired = state.narrator.fired().to_vec();
    ui.horizontal(|ui| {
        ui.heading(tr(lang, "Lesson", "授業"));
        ui.label(format!("{}/{}", fired.len(), steps));
        if !state.narrator.is_done() && ui.button(tr(lang, "next step ⏭", "次へ ⏭")).on_hover_text("N").clicked()
        {
            next_narration_step(state, playback, narration, view);
        }
    });
    let Some(last) = fired.last() else {
        ui.label(tr(
            lang,
            "The lesson starts when the first step fires: press Play or N.",
            "最初のステップで授業が始まります。再生か N を押してください。",
        ));
        return;
    };
    let Some(step) = state.narrator.steps().get(last.step).cloned() else { return };
    ui.label(egui::RichText::new(step.title.get(code)).strong().size(18.0));
    ui.small(format!(
        "{} {} ({})",
        tr(lang, "at", "時刻"),
        elapsed(last.at),
        wall_clock(state.scenario.start, last.at)
    ));
    ui.label(step.text.get(code));
    if let Some(m) = last.msg.or(last.sent) {
        ui.small(format!(
            "{} #{} {}",
            tr(lang, "→ message", "→ メッセージ"),
            m.0,
            tr(lang, "is open in the inspector below.", "を下のインスペクタに表示しています。")
        ));
    }
    if let Some(e) = &last.action_error {
        ui.colored_label(
            reply_colour("5"),
            format!("{}: {e}", tr(lang, "the step's action failed", "ステップの操作に失敗")),
        );
    }
    if let Some(p) = &step.predict {
        egui::Frame::group(ui.style()).show(ui, |ui| {
            ui.strong(format!("? {}", p.question.get(code)));
            for (i, c) in p.choices.iter().enumerate() {
                let mut text = egui::RichText::new(format!("{}. {}", (b'A' + i as u8) as char, c.get(code)));
                if narration.revealed && i == p.answer {
                    text = text.color(reply_colour("2")).strong();
                } else if narration.guess == Some(i) {
                    text = text.color(egui::Color32::from_rgb(130, 190, 255));
                }
                if ui.selectable_label(narration.guess == Some(i), text).clicked() {
                    narration.guess = Some(i);
                }
            }
            if narration.revealed {
                ui.label(p.explanation.get(code));
            } else {
                ui.horizontal(|ui| {
                    if ui.button(tr(lang, "Reveal the answer", "答えを見る")).clicked() {
                        narration.revealed = true;
                        state.question_open = false;
                    }
                    if state.question_open && ui.button(tr(lang, "Skip ▶", "とばす ▶")).clicked() {
                        skip_question(state, playback);
                    }
                });
                if state.question_open {
                    ui.small(tr(
                        lang,
                        "The run waits for the class's answer.",
                        "クラスの答えを待って、実行は止まっています。",
                    ));
                }
            }
        });
    }
    if !state.narrator.is_done() {
        ui.small(tr(
            lang,
            "The next step comes when the run gets there (or press N).",
            "次のステップは実行がそこに達すると表示されます（N で進む）。",
        ));
    }
}
