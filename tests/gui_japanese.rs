//! Japanese, completely: the panels are drawn (without a window, by egui
//! alone) in Japanese for every era, with each kind of inspector, the
//! statistics, the event list and the help open, and every word they show
//! must be Japanese, protocol text (monospace: envelopes, headers, SMTP
//! dialogues), a name from the scenario file, or a technical term that
//! Japanese uses as it is (SMTP, MX, SPF, …).
#![cfg(feature = "gui")]

use std::collections::BTreeSet;
use std::path::Path;

use bevy_egui::egui;
use relaysim::editor::Item;
use relaysim::editor::form::Input;
use relaysim::gui::edit::{self, Dialog, EditMode, panel::ListTab};
use relaysim::gui::events::EventList;
use relaysim::gui::flights::Flights;
use relaysim::gui::panels::{self, NarrationState, Panels};
use relaysim::gui::playback::{Playback, SimState};
use relaysim::gui::scene::{BottomTab, CameraView, Lang, UiState};
use relaysim::gui::stats::Series;
use relaysim::gui::{Queues, Selection};
use relaysim::sim::Fate;

/// Terms written the same way in Japanese texts on mail.
const TERMS: &[&str] = &[
    "SMTP",
    "ESMTP",
    "MX",
    "DNS",
    "POP",
    "AUTH",
    "SPF",
    "OP25B",
    "PC",
    "ISP",
    "UTC",
    "IP",
    "TLS",
    "STARTTLS",
    "Received",
    "From",
    "MAIL",
    "FROM",
    "RCPT",
    "TO",
    "DATA",
    "EHLO",
    "HELO",
    "QUIT",
    "RSET",
    "id",
    "xx",
    "p95",
    "English",
    "relaysim",
    "compare",
    "pass",
    "fail",
    "softfail",
    "neutral",
    "none",
    "temperror",
    "permerror",
    "Space",
    "Home",
    "Esc",
    "H",
    "F1",
    "N",
    "L",
    "P",
    "S",
    "A",
    "B",
    "C",
    "D",
    "E",
    "ms",
    "s",
    "d",
    "h",
    "min",
    "postgrey",
    "Postfix",
    "RFC",
    "F",
    "before", // "POP before SMTP" is its name in Japanese too
    "RON",    // the file format's name
    "Shift",  // a key
    "Ctrl",   // keys: Ctrl+Z, Ctrl+Y
    "Z",
    "Y",
    "check", // `relaysim check`, a command
    "ron",   // a file name's extension
];

/// Words of the scenario file itself (ids, addresses, and its labels and
/// names in `lang`: the file's own translation where it has one).
fn scenario_words(state: &SimState, lang: &str) -> BTreeSet<String> {
    // Not the narration: it has Japanese of its own.
    let s = &state.scenario;
    let nodes: Vec<(&str, &str)> = s.nodes.iter().map(|n| (n.id.as_str(), n.label_in(lang))).collect();
    let isps: Vec<(&str, &str)> = s.isps.iter().map(|i| (i.id.as_str(), i.name_in(lang))).collect();
    let name = s.names.0.get(lang).unwrap_or(&s.name);
    let text = format!("{name} {nodes:?} {isps:?} {:?} {:?}", s.dns, s.traffic);
    words(&text).into_iter().collect()
}

fn words(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| w.chars().any(|c| c.is_ascii_alphabetic()))
        .map(str::to_string)
        .collect()
}

/// Texts drawn in one frame: the text, whether it is monospace, and its
/// smallest font size in window pixels.
fn drawn(shapes: &[egui::epaint::ClippedShape], zoom: f32) -> Vec<(String, bool, f32)> {
    fn walk(s: &egui::Shape, zoom: f32, out: &mut Vec<(String, bool, f32)>) {
        match s {
            egui::Shape::Text(t) => {
                let secs = &t.galley.job.sections;
                let mono = secs.iter().all(|x| x.format.font_id.family == egui::FontFamily::Monospace);
                let px = secs.iter().map(|x| x.format.font_id.size * zoom).fold(f32::MAX, f32::min);
                out.push((t.galley.text().to_string(), mono, px));
            }
            egui::Shape::Vec(v) => v.iter().for_each(|x| walk(x, zoom, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    for c in shapes {
        walk(&c.shape, zoom, &mut out);
    }
    out
}

/// Draws the panels twice (the first frame installs fonts and sizes) and
/// returns what the second one drew.
fn frame(
    ctx: &egui::Context,
    state: &mut SimState,
    ui_state: &mut UiState,
    sel: &mut Selection,
    tab: u8,
) -> Vec<(String, bool, f32)> {
    frame_editing(ctx, state, ui_state, sel, tab, &mut EditMode::default())
}

/// [`frame`] with edit mode's state (active when it holds an editor).
fn frame_editing(
    ctx: &egui::Context,
    state: &mut SimState,
    ui_state: &mut UiState,
    sel: &mut Selection,
    tab: u8,
    edit: &mut EditMode,
) -> Vec<(String, bool, f32)> {
    let mut playback = Playback::default();
    let mut narration = NarrationState { guess: None, revealed: true };
    let mut view = CameraView::default();
    let flights = Flights::default();
    let mut series = Series::default();
    series.compute(&state.sim, state.clock);
    let queues = Queues::default();
    let mut events = EventList::default();
    let mut out = Vec::new();
    for _ in 0..2 {
        ui_state.bottom_tab = if tab == 1 { BottomTab::Events } else { BottomTab::Statistics };
        // A 1280x720 window, in egui's points (presenter mode zooms).
        let input = egui::RawInput {
            screen_rect: Some(egui::Rect::from_min_size(
                egui::Pos2::ZERO,
                egui::vec2(1280.0, 720.0) / ctx.zoom_factor(),
            )),
            ..Default::default()
        };
        ctx.begin_pass(input);
        {
            panels::draw(
                ctx,
                Panels {
                    state: &mut *state,
                    playback: &mut playback,
                    ui_state: &mut *ui_state,
                    sel: &mut *sel,
                    narration: &mut narration,
                    view: &mut view,
                    flights: &flights,
                    series: &series,
                    queues: &queues,
                    events: &mut events,
                    edit: &mut *edit,
                },
            );
        }
        let mut o = ctx.end_pass();
        out = drawn(&o.shapes, ctx.zoom_factor());
        o.textures_delta.clear();
    }
    out
}

/// English words left in what the panels draw for `file` in `lang`.
fn english_in(file: &Path, lang: Lang) -> (BTreeSet<String>, usize) {
    let mut english = BTreeSet::new();
    let mut texts_seen = 0;
    let mut state = SimState::load(file).unwrap();
    // Half the run, at most a day (era 8 spans 14 years).
    state.seek((state.end() / 2).min(86_400_000));
    let code = lang.code();
    let allowed: BTreeSet<String> =
        scenario_words(&state, code).into_iter().chain(TERMS.iter().map(|s| s.to_string())).collect();
    let ctx = egui::Context::default();
    let mut ui_state = UiState { lang, show_stats: true, show_help: true, ..Default::default() };
    // Views: the legend; a delivered and a refused message; each node; the event list.
    let mut views: Vec<(Selection, u8)> = vec![(Selection::default(), 0), (Selection::default(), 1)];
    for kind in [0, 1] {
        let m = state.sim.messages.iter().find(|m| match kind {
            0 => matches!(m.fate, Fate::Delivered { .. }),
            _ => matches!(m.fate, Fate::Rejected { .. }),
        });
        if let Some(m) = m {
            views.push((Selection { node: None, msg: Some(m.id) }, 0));
        }
    }
    for n in 0..state.scenario.nodes.len() {
        views.push((Selection { node: Some(n), msg: None }, 0));
    }
    for (mut sel, tab) in views {
        for (text, mono, _) in frame(&ctx, &mut state, &mut ui_state, &mut sel, tab) {
            texts_seen += 1;
            if mono {
                continue;
            }
            for w in words(&text) {
                // Numbers with units (`12s`, `3d`) pass.
                let letters: String = w.chars().filter(|c| c.is_ascii_alphabetic()).collect();
                if allowed.contains(&w) || allowed.contains(&letters) || TERMS.contains(&letters.as_str()) {
                    continue;
                }
                english.insert(format!("{w:?} in {text:?}"));
            }
        }
    }
    (english, texts_seen)
}

#[test]
fn the_check_finds_english_in_the_english_window() {
    // The same check on the English window finds plenty: it can fail.
    let (english, _) = english_in(Path::new("scenarios/history/01-open-relay.ron"), Lang::En);
    assert!(english.len() > 50, "{english:?}");
}

#[test]
fn every_word_the_panels_show_in_japanese_mode_is_japanese() {
    let mut files: Vec<_> = std::fs::read_dir("scenarios/history").unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    let mut english = BTreeSet::new();
    let mut texts_seen = 0;
    for file in &files {
        let (e, n) = english_in(file, Lang::Ja);
        english.extend(e);
        texts_seen += n;
    }
    assert!(texts_seen > 1000, "only {texts_seen} texts drawn");
    assert!(
        english.is_empty(),
        "English left in Japanese mode ({}):\n{}",
        english.len(),
        english.into_iter().collect::<Vec<_>>().join("\n")
    );
}

/// The map in Japanese: the same layout checks as in English (texts are
/// wider or narrower), and its own words (the population's line, a drop's
/// explanation) in Japanese, and the node labels and group names in the
/// file's Japanese.
#[test]
fn the_map_in_japanese_is_laid_out_cleanly_and_says_its_words_in_japanese() {
    use relaysim::gui::layout_dump::{Headless, Kind, headless};
    let mut files: Vec<_> = std::fs::read_dir("scenarios/history").unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    let mut english = BTreeSet::new();
    for file in &files {
        let state = SimState::load(file).unwrap();
        let allowed: BTreeSet<String> =
            scenario_words(&state, "ja").into_iter().chain(TERMS.iter().map(|s| s.to_string())).collect();
        for (size, presenter) in [((1280.0, 720.0), true), ((1920.0, 1080.0), false)] {
            let h = Headless {
                file: file.clone(),
                after: 2 * 3_600_000,
                size,
                presenter,
                node: Some("mx-co".into()),
                japanese: true,
                ..Default::default()
            };
            let dump = headless(&h).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            let problems = dump.problems(0.6);
            assert!(problems.is_empty(), "{} {size:?} presenter {presenter}:\n{}", file.display(), problems.join("\n"));
            for item in dump.items.iter().filter(|i| matches!(i.kind, Kind::Label | Kind::Group | Kind::Bubble)) {
                // A reply is the server's own words (protocol text).
                let reply = item.text.trim_start_matches(['↩', '✖', ' ']).starts_with(|c: char| c.is_ascii_digit());
                if reply {
                    continue;
                }
                for w in words(&item.text) {
                    let letters: String = w.chars().filter(|c| c.is_ascii_alphabetic()).collect();
                    if !(allowed.contains(&w) || allowed.contains(&letters) || TERMS.contains(&letters.as_str())) {
                        english.insert(format!("{w:?} in {:?}", item.text));
                    }
                }
            }
        }
    }
    assert!(english.is_empty(), "English on the Japanese map:\n{}", english.into_iter().collect::<Vec<_>>().join("\n"));
}

/// Every lesson and example names its nodes, networks and itself in
/// Japanese too, so the Japanese map and era menu carry no English labels.
/// (A name of acronyms and letters, "ISP A" or "DNS", is the same in both.)
#[test]
fn every_shipped_scenario_has_japanese_labels() {
    let words_to_translate =
        |t: &Option<String>| t.as_deref().is_some_and(|t| t.chars().any(|c| c.is_ascii_lowercase()));
    let mut missing = Vec::new();
    for entry in relaysim::tour::all() {
        let s = entry.load().unwrap();
        if !s.names.0.contains_key("ja") {
            missing.push(format!("{}: the scenario's name", entry.name));
        }
        for n in s.nodes.iter().filter(|n| words_to_translate(&n.label) && !n.labels.0.contains_key("ja")) {
            missing.push(format!("{}: node {}", entry.name, n.id));
        }
        for i in s.isps.iter().filter(|i| words_to_translate(&i.name) && !i.names.0.contains_key("ja")) {
            missing.push(format!("{}: network {}", entry.name, i.id));
        }
    }
    assert!(missing.is_empty(), "labels without Japanese:\n{}", missing.join("\n"));
}

#[test]
fn presenter_mode_has_no_panel_text_below_14_px() {
    let mut state = SimState::load(Path::new("scenarios/history/05-op25b-submission.ron")).unwrap();
    state.seek(state.end() / 2);
    let ctx = egui::Context::default();
    let mut ui_state = UiState { presenter: true, show_stats: true, show_help: true, ..Default::default() };
    let msg = state.sim.messages.iter().find(|m| matches!(m.fate, Fate::Rejected { .. })).map(|m| m.id);
    let mut small = BTreeSet::new();
    let mut measured = 0;
    for (mut sel, tab) in [
        (Selection::default(), 0u8),
        (Selection::default(), 1),
        (Selection { node: None, msg }, 0),
        (Selection { node: Some(0), msg: None }, 0),
    ] {
        for (text, _, px) in frame(&ctx, &mut state, &mut ui_state, &mut sel, tab) {
            measured += 1;
            // Plot tick numbers are drawn by egui_plot in its own small size.
            if px < 13.99 && !text.trim().chars().all(|c| c.is_ascii_digit() || c == '.' || c == '-') {
                small.insert(format!("{px:.1} px: {text:?}"));
            }
        }
    }
    assert!(measured > 200, "only {measured} texts measured");
    assert!(
        small.is_empty(),
        "text below 14 px in presenter mode:\n{}",
        small.into_iter().collect::<Vec<_>>().join("\n")
    );
}

/// Edit mode in Japanese: the edit bar, the palette, every node's form, the
/// lists and each question the editor asks. Field names, variant names and
/// values are the file's own words (as the reference writes them).
#[test]
fn edit_mode_speaks_japanese() {
    let mut state = SimState::load(Path::new("scenarios/history/01-open-relay.ron")).unwrap();
    let ctx = egui::Context::default();
    let mut ui_state = UiState { lang: Lang::Ja, show_stats: true, ..Default::default() };
    let mut sel = Selection::default();
    let mut edit = EditMode::default();
    edit::enter(&mut edit, &mut state, &mut Playback::default(), &mut sel);
    let mut allowed: BTreeSet<String> =
        scenario_words(&state, "ja").into_iter().chain(TERMS.iter().map(|s| s.to_string())).collect();
    // File names (the open file, the name Save as offers).
    allowed.extend(words("01-open-relay.ron world.ron"));
    let s = state.scenario.clone();
    let mut items: Vec<(Item, ListTab)> = vec![(Item::Scenario, ListTab::World)];
    items.extend(s.nodes.iter().map(|n| (Item::Node(n.id.clone()), ListTab::Selection)));
    items.extend(s.isps.iter().map(|i| (Item::Isp(i.id.clone()), ListTab::Isps)));
    items.extend(s.dns.iter().map(|z| (Item::Zone(z.domain.clone()), ListTab::Zones)));
    items.extend(s.traffic.iter().map(|t| (Item::Source(t.id().to_string()), ListTab::Traffic)));
    items.push((Item::Link(0), ListTab::Selection));
    // The file's words in the forms: names, variants and values.
    for (item, _) in &items {
        for row in relaysim::editor::form::rows(edit.editor.as_ref().unwrap(), item) {
            let mut text = format!("{} {:?}", row.name, row.path);
            match &row.input {
                Input::Text(v) | Input::Ron(v) => text += v,
                Input::Choice { variants, current } => text += &format!("{variants:?} {current}"),
                _ => {}
            }
            allowed.extend(words(&text));
        }
    }
    let mut english = BTreeSet::new();
    let mut seen = 0;
    let dialogs = [
        None,
        Some(Dialog::ConfirmDelete(Item::Node("relay-a".into()))),
        Some(Dialog::SaveAs { path: "world.ron".into() }),
        Some(Dialog::LoseComments { save_as: None, count: 3 }),
        Some(Dialog::CannotRun),
        Some(Dialog::NewWorld { key: "empty".into() }),
    ];
    let views = items
        .into_iter()
        .map(|(i, t)| (Some(i), t, None))
        .chain(dialogs.into_iter().map(|d| (None, ListTab::Selection, d)));
    for (item, tab, dialog) in views {
        edit.selected = item;
        edit.list = tab;
        edit.dialog = dialog;
        for (text, mono, _) in frame_editing(&ctx, &mut state, &mut ui_state, &mut sel, 0, &mut edit) {
            seen += 1;
            if mono {
                continue;
            }
            for w in words(&text) {
                let letters: String = w.chars().filter(|c| c.is_ascii_alphabetic()).collect();
                if !(allowed.contains(&w) || allowed.contains(&letters) || TERMS.contains(&letters.as_str())) {
                    english.insert(format!("{w:?} in {text:?}"));
                }
            }
        }
    }
    assert!(seen > 500, "only {seen} texts drawn");
    assert!(
        english.is_empty(),
        "English in Japanese edit mode:\n{}",
        english.into_iter().collect::<Vec<_>>().join("\n")
    );
}
