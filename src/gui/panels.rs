//! The egui panels: playback bar, inspectors, statistics plots, the error
//! window, the help overlay and the narration.

use std::path::PathBuf;

use bevy::prelude::*;
use bevy_egui::{EguiContexts, egui};

use crate::gui::flights::Flights;
use crate::gui::playback::{Playback, SPEEDS, SimState, clock_text};
use crate::gui::scene::{CameraView, Lang, SHORTCUTS, UiState};
use crate::gui::stats::Series;
use crate::gui::{Queues, Selection, fonts, icons};
use crate::scenario::Defense;
use crate::sim::message::Holder;
use crate::sim::{Fate, MailClass, MsgId};
use crate::units::format_ms;

/// The history tour's scenario files, in order (`scenarios/history/*.ron`).
pub fn history_files() -> Vec<PathBuf> {
    let mut dirs = vec![PathBuf::from("scenarios/history")];
    dirs.push(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios/history"));
    for d in dirs {
        if let Ok(rd) = std::fs::read_dir(&d) {
            let mut v: Vec<PathBuf> = rd
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "ron"))
                .collect();
            v.sort();
            if !v.is_empty() {
                return v;
            }
        }
    }
    Vec::new()
}

/// What the narration panel shows.
#[derive(Resource, Debug, Default, Clone)]
pub struct NarrationState {
    /// The class's guess for the current step's question (index of a choice).
    pub guess: Option<usize>,
    /// The answer to the current step's question is shown.
    pub revealed: bool,
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
    let sent = last.sent;
    let named = step.focus.message.as_ref().and_then(|r| state.narrator.resolve(&state.sim, r));
    if let Some(m) = named.or(sent) {
        sel.msg = Some(m);
    }
}

fn tr(lang: Lang, en: &'static str, ja: &'static str) -> &'static str {
    if lang == Lang::Ja { ja } else { en }
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
) -> Result {
    let ctx = contexts.ctx_mut()?;
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
        clear.0 = Color::BLACK;
    } else {
        clear.0 = Color::srgb(0.06, 0.07, 0.10);
    }
    ctx.set_visuals(visuals);
    let lang = ui_state.lang;
    let mut no_move = CameraView::default();
    let camera = if ui_state.follow_focus { &mut *view } else { &mut no_move };
    follow_new_steps(&mut state, &mut narration, camera, &mut sel, &flights.positions);

    // Panels live in a root Ui covering the window (egui 0.36 panels are shown in a Ui).
    let mut root = egui::Ui::new(
        ctx.clone(),
        "root".into(),
        egui::UiBuilder::new().layer_id(egui::LayerId::background()).max_rect(ctx.viewport_rect()),
    );
    top_bar(&mut root, &mut state, &mut playback, &mut ui_state, &mut narration, &mut view, &mut sel, &flights);
    // gui-layout: panel sizes that leave the map 60% of the window (layout::panel_sizes).
    let sizes = crate::gui::layout::panel_sizes(ctx.viewport_rect().size(), root.available_rect_before_wrap().top());
    if ui_state.show_stats && sizes.bottom > 0.0 {
        stats_panel(&mut root, &series, lang, sizes.bottom);
    }
    egui::Panel::right("inspector").default_size(sizes.right).size_range(sizes.right.min(200.0)..=sizes.right).resizable(true).show(&mut root, |ui| {
        egui::ScrollArea::vertical().show(ui, |ui| {
            narration_panel(ui, &mut state, &mut playback, &mut narration, &mut view, lang);
            ui.separator();
            if let Some(m) = sel.msg {
                message_inspector(ui, &state, m, &mut sel, lang);
            } else if let Some(n) = sel.node {
                node_inspector(ui, &mut state, n, &queues, &mut sel, lang);
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
                    for (k, what) in SHORTCUTS {
                        ui.strong(k);
                        ui.label(what);
                        ui.end_row();
                    }
                });
                if ui.button(tr(lang, "Close", "閉じる")).clicked() {
                    ui_state.show_help = false;
                }
            });
    }
    Ok(())
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
) {
    let lang = ui_state.lang;
    egui::Panel::top("controls").show(root, |ui| {
        ui.horizontal_wrapped(|ui| {
            // The era menu: the whole history tour, one click away.
            let current = state.path.file_stem().map(|s| s.to_string_lossy().to_string()).unwrap_or_default();
            let mut open = None;
            egui::ComboBox::from_id_salt("era").selected_text(&current).width(200.0).show_ui(ui, |ui| {
                for p in &ui_state.eras {
                    let name = p.file_stem().map(|s| s.to_string_lossy().to_string()).unwrap_or_default();
                    if ui.selectable_label(name == current, &name).clicked() {
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
                        playback.playing = true;
                    }
                    Err(e) => state.error = Some(e),
                }
            }
            ui.separator();
            let play = if playback.playing {
                tr(lang, "⏸ Pause", "⏸ 一時停止")
            } else {
                tr(lang, "▶ Play", "▶ 再生")
            };
            if ui.button(play).on_hover_text("Space").clicked() {
                playback.playing = !playback.playing;
            }
            if ui.button("⏮").on_hover_text(tr(lang, "restart (Home)", "最初から (Home)")).clicked() {
                state.replay_to(0);
            }
            if ui.button("◀").on_hover_text(tr(lang, "step back (←)", "一つ戻る (←)")).clicked() {
                playback.playing = false;
                let t = state.previous_event_time();
                state.replay_to(t);
            }
            if ui.button("▶|").on_hover_text(tr(lang, "next SMTP event (→)", "次の SMTP イベント (→)")).clicked()
            {
                playback.playing = false;
                state.step_to_next_smtp_event();
            }
            if ui.button(tr(lang, "next step ⏭", "次のステップ ⏭")).on_hover_text("N").clicked() {
                next_narration_step(state, playback, narration, view);
            }
            ui.separator();
            if ui.button("−").on_hover_text("-").clicked() {
                playback.slower();
            }
            ui.label(SPEEDS[playback.speed].1);
            if ui.button("+").on_hover_text("+").clicked() {
                playback.faster();
            }
            ui.checkbox(&mut playback.skip_idle, tr(lang, "skip idle", "待ち時間を飛ばす"));
            ui.separator();
            ui.strong(clock_text(state.clock));
            ui.label(format!("· {} {}", flights.in_flight(), tr(lang, "in flight", "通信中")));
            ui.separator();
            if ui.selectable_label(lang == Lang::Ja, "日本語").clicked() {
                ui_state.lang = if lang == Lang::Ja { Lang::En } else { Lang::Ja };
            }
            if ui.selectable_label(ui_state.presenter, tr(lang, "Presenter", "発表モード")).clicked() {
                ui_state.presenter = !ui_state.presenter;
            }
            if ui.selectable_label(ui_state.show_stats, tr(lang, "Plots", "グラフ")).clicked() {
                ui_state.show_stats = !ui_state.show_stats;
            }
            if ui.button("?").on_hover_text("H").clicked() {
                ui_state.show_help = !ui_state.show_help;
            }
        });
        // The timeline: dragging back replays the run from the start.
        ui.horizontal(|ui| {
            let end = state.end();
            let mut t = ui_state.scrub.unwrap_or(state.clock) as f64 / 60_000.0;
            ui.spacing_mut().slider_width = (ui.available_width() - 120.0).max(100.0);
            let r = ui.add(egui::Slider::new(&mut t, 0.0..=end as f64 / 60_000.0).show_value(false).text(format!(
                "{} / {}",
                format_ms(state.clock),
                format_ms(end)
            )));
            if r.dragged() {
                ui_state.scrub = Some((t * 60_000.0) as u64);
            }
            if r.drag_stopped() || (r.changed() && !r.dragged()) {
                let target = (t * 60_000.0) as u64;
                ui_state.scrub = None;
                if target < state.clock {
                    state.replay_to(target);
                } else {
                    state.advance_to(target, usize::MAX);
                    state.cursor = state.sim.trace.events.len();
                }
            }
        });
        ui.label(egui::RichText::new(&state.scenario.name).strong());
    });
}

fn legend(ui: &mut egui::Ui, lang: Lang) {
    ui.add_space(8.0);
    ui.strong(tr(lang, "Envelopes", "封筒の色"));
    for c in MailClass::ALL {
        ui.colored_label(class_colour(c), format!("✉ {}", c.name()));
    }
    ui.add_space(4.0);
    ui.strong(tr(lang, "Replies", "応答"));
    ui.colored_label(reply_colour("4"), "↩ 4xx: try again later (back to the sender's queue)");
    ui.colored_label(reply_colour("5"), "✖ 5xx: refused for good");
    ui.colored_label(egui::Color32::from_rgb(200, 80, 200), "✖ dropped by a router (OP25B)");
    ui.colored_label(egui::Color32::from_rgb(230, 140, 20), "● badge: mail waiting in a queue / outbox");
}

fn node_inspector(ui: &mut egui::Ui, state: &mut SimState, n: usize, queues: &Queues, sel: &mut Selection, lang: Lang) {
    {
        let (Some(node), Some(rt)) = (state.scenario.nodes.get(n), state.sim.nodes.get(n)) else {
            return;
        };
        let kind = icons::IconKind::of(&node.kind);
        ui.heading(node.label.as_deref().unwrap_or(&node.id));
        ui.label(format!("{} · id {}", kind.name(), node.id));
        if let Some(ip) = rt.ip {
            ui.label(format!("{} {}", ip, rt.hostname));
        }
        if let Some(isp) = &node.isp {
            ui.label(format!("ISP: {isp}"));
        }
    }
    what_if_switches(ui, state, n, lang);
    let state = &*state;
    let (Some(node), Some(rt)) = (state.scenario.nodes.get(n), state.sim.nodes.get(n)) else {
        return;
    };
    ui.add_space(6.0);
    egui::CollapsingHeader::new(tr(lang, "Configuration", "設定")).default_open(true).show(ui, |ui| {
        ui.monospace(config_text(&node.kind));
    });
    egui::CollapsingHeader::new(tr(lang, "Counters", "カウンタ")).default_open(true).show(ui, |ui| {
        let c = &rt.counters;
        egui::Grid::new("counters").striped(true).show(ui, |ui| {
            let rows: [(&str, u64); 12] = [
                ("sessions in", c.sessions_in),
                ("sessions out", c.sessions_out),
                ("accepted", c.accepted),
                ("relayed", c.relayed),
                ("delivered", c.delivered),
                ("deferred (4xx)", c.deferred),
                ("greylisted", c.greylisted),
                ("bounces sent", c.bounces_sent),
                ("dropped", c.dropped),
                ("auth ok / failed", c.auth_ok * 1_000_000 + c.auth_failed),
                ("POP logins", c.pop_logins),
                ("forwarded", c.forwarded),
            ];
            for (k, v) in rows {
                if k.starts_with("auth") {
                    ui.label(k);
                    ui.label(format!("{} / {}", c.auth_ok, c.auth_failed));
                } else {
                    ui.label(k);
                    ui.label(v.to_string());
                }
                ui.end_row();
            }
            for (reason, v) in &c.refused {
                ui.colored_label(reply_colour("5"), format!("refused: {reason}"));
                ui.label(v.to_string());
                ui.end_row();
            }
            for (result, v) in &c.spf {
                ui.label(format!("SPF {result}"));
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
                let here = match m.holder {
                    Holder::Node(h) => h == n,
                    Holder::Sender => m.origin == n,
                };
                if here && matches!(m.fate, Fate::Queued) {
                    let text = format!("#{} {} → {} (attempts {})", m.id.0, m.class.name(), m.rcpt, m.attempts);
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

/// A node's settings as the file gives them (RON-like, for reading).
fn config_text(kind: &crate::scenario::NodeKind) -> String {
    format!("{kind:#?}")
}

fn message_inspector(ui: &mut egui::Ui, state: &SimState, id: MsgId, sel: &mut Selection, lang: Lang) {
    let Some(m) = state.sim.messages.get(id.0 as usize) else { return };
    let name = |n: usize| state.scenario.nodes.get(n).map_or("?", |x| x.id.as_str());
    ui.horizontal(|ui| {
        ui.heading(format!("{} #{}", tr(lang, "Message", "メッセージ"), m.id.0));
        ui.colored_label(class_colour(m.class), m.class.name());
        if ui.small_button("✖").clicked() {
            sel.msg = None;
        }
    });
    ui.label(format!("Subject: {}", m.subject()));
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
    if let Some(b) = m.bounce_of
        && ui.link(format!("bounce of #{}", b.0)).clicked()
    {
        sel.msg = Some(b);
    }
    let path: Vec<&str> =
        std::iter::once(name(m.origin)).chain(m.hops.iter().filter(|h| h.accepted).map(|h| name(h.to))).collect();
    ui.label(format!("{}: {}", tr(lang, "Path", "経路"), path.join(" → ")));
    let (fate, colour) = match &m.fate {
        Fate::Queued => (format!("{} ({:?})", tr(lang, "on its way", "配送中"), m.holder), egui::Color32::LIGHT_BLUE),
        Fate::Delivered { at, node } => {
            (format!("delivered to {} after {}", name(*node), format_ms(at - m.created)), reply_colour("2"))
        }
        Fate::Rejected { at, node, reason } => {
            (format!("refused at {} by {}: {}", format_ms(*at), node.map_or("?", name), reason), reply_colour("5"))
        }
        Fate::Lost { at, reason } => (format!("lost at {}: {}", format_ms(*at), reason), reply_colour("4")),
    };
    ui.colored_label(colour, egui::RichText::new(fate).strong());
    egui::CollapsingHeader::new(tr(lang, "Headers (newest first)", "ヘッダ (新しい順)")).default_open(true).show(
        ui,
        |ui| {
            for h in m.headers() {
                ui.monospace(h);
            }
        },
    );
    for (i, h) in m.hops.iter().enumerate() {
        let mut result = h.result.clone();
        if result.chars().count() > 48 {
            result = result.chars().take(47).chain(std::iter::once('…')).collect();
        }
        let title = format!("Hop {}: {} → {} :{}  {}", i + 1, name(h.from), name(h.to), h.port, result);
        egui::CollapsingHeader::new(egui::RichText::new(title).color(reply_colour(&h.result)))
            .id_salt(("hop", i))
            .default_open(i + 1 == m.hops.len())
            .show(ui, |ui| {
                ui.label(format!("{} → {}   {} .. {}", h.from_ip, h.to_ip, format_ms(h.started), format_ms(h.ended)));
                for l in &h.transcript {
                    let c = match l.who {
                        'C' => egui::Color32::from_rgb(130, 190, 255),
                        'S' => reply_colour(&l.text),
                        _ => egui::Color32::GRAY,
                    };
                    ui.colored_label(c, egui::RichText::new(format!("{}: {}", l.who, l.text.trim_end())).monospace());
                }
            });
    }
}

fn stats_panel(root: &mut egui::Ui, series: &Series, lang: Lang, height: f32) {
    use egui_plot::{Legend, Line, Plot, PlotPoints};
    egui::Panel::bottom("stats").resizable(true).default_size(height).size_range(40.0..=height).show(root, |ui| {
        ui.horizontal(|ui| {
            let n = &series.now;
            ui.strong(tr(lang, "Statistics", "統計"));
            ui.label(format!(
                "legit {} sent / {} delivered · spam {} sent / {} delivered · refused {} · bounces {} · legit delay {:.1} s",
                n.legit_sent,
                n.legit_delivered,
                n.spam_sent,
                n.spam_delivered,
                n.refused,
                n.bounces,
                n.legit_delay_s()
            ));
        });
        let mut pts = series.samples.clone();
        if let Some(last) = series.samples.last()
            && series.now != last.1 {
                pts.push((last.0 + series.every, series.now));
            }
        let hours = |t: u64| t as f64 / 3_600_000.0;
        let line = |name: &str, f: &dyn Fn(&crate::gui::stats::Counts) -> f64, c: egui::Color32| {
            Line::new(name.to_string(), PlotPoints::from(pts.iter().map(|(t, k)| [hours(*t), f(k)]).collect::<Vec<_>>()))
                .color(c)
        };
        ui.columns(2, |cols| {
            Plot::new("counts").legend(Legend::default()).allow_scroll(false).show(&mut cols[0], |p| {
                p.line(line("legit sent", &|k| k.legit_sent as f64, class_colour(MailClass::Legit)));
                p.line(line("legit delivered", &|k| k.legit_delivered as f64, egui::Color32::from_rgb(110, 210, 120)));
                p.line(line("spam sent", &|k| k.spam_sent as f64, class_colour(MailClass::Spam)));
                p.line(line("spam delivered", &|k| k.spam_delivered as f64, egui::Color32::from_rgb(255, 150, 60)));
                p.line(line("refused", &|k| k.refused as f64, egui::Color32::GRAY));
            });
            Plot::new("delay").legend(Legend::default()).allow_scroll(false).show(&mut cols[1], |p| {
                p.line(line("legit delay (s, mean)", &|k| k.legit_delay_s(), class_colour(MailClass::Legit)));
                p.line(line("bounces", &|k| k.bounces as f64, class_colour(MailClass::Backscatter)));
            });
        });
    });
}

/// Defense switches for one node: a what-if that changes the run from now on.
fn what_if_switches(ui: &mut egui::Ui, state: &mut SimState, n: usize, lang: Lang) {
    let Some(id) = state.scenario.nodes.get(n).map(|x| x.id.clone()) else { return };
    let switches: Vec<(Defense, bool)> =
        Defense::ALL.iter().filter_map(|&d| state.sim.defense_on(&id, d).map(|on| (d, on))).collect();
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
            if ui.checkbox(&mut v, d.name()).changed() {
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
                    .map(|w| format!("{} {} {} at {}", w.node, w.defense.name(), if w.on { "on" } else { "off" }, format_ms(w.at)))
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
    let code = if lang == Lang::Ja { "ja" } else { "en" };
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
    ui.small(format!("{} {}", tr(lang, "at", "時刻"), clock_text(last.at)));
    ui.label(step.text.get(code));
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
            } else if ui.button(tr(lang, "Reveal the answer", "答えを見る")).clicked() {
                narration.revealed = true;
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
