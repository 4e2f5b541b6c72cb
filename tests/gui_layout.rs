//! The window's layout, measured without a window: every era of the history
//! tour at 1280x720 and 1920x1080, normal and presenter mode, with an
//! inspector open. The real panel and overlay systems run on an egui context
//! (see `relaysim::gui::layout_dump::headless`), so the rectangles checked are
//! the ones drawn: no two texts overlap, no text covers a node or leaves the
//! map, every node is inside the visible map, the map is at least 60% of the
//! window, and no reply loses words.
#![cfg(feature = "gui")]

use std::path::PathBuf;

use relaysim::gui::layout_dump::{Headless, Kind, LayoutDump, headless};

/// A busy moment of each era (replies on screen).
const AFTER: u64 = 2 * 3_600_000;

fn era(n: usize) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios/history");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "ron"))
        .collect();
    files.sort();
    files[n - 1].clone()
}

fn check(file: PathBuf, size: (f32, f32), presenter: bool, node: Option<&str>, message: Option<u32>) -> LayoutDump {
    let h = Headless {
        file: file.clone(),
        after: AFTER,
        size,
        presenter,
        node: node.map(String::from),
        message,
        ..Default::default()
    };
    let dump = headless(&h).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let what = format!("{} at {}x{}{}", file.display(), size.0, size.1, if presenter { " presenter" } else { "" });
    // RELAYSIM_LAYOUT_OUT=DIR keeps every layout as JSON, to look at.
    if let Some(dir) = std::env::var_os("RELAYSIM_LAYOUT_OUT") {
        let stem = file.file_stem().unwrap().to_string_lossy().to_string();
        let name = format!(
            "{stem}-{}x{}{}{}.json",
            size.0,
            size.1,
            if presenter { "-p" } else { "" },
            message.map_or(String::new(), |m| format!("-m{m}"))
        );
        dump.write(&PathBuf::from(dir).join(name)).unwrap();
    }
    let problems = dump.problems(0.6);
    assert!(problems.is_empty(), "{what}:\n  {}", problems.join("\n  "));
    assert!(
        (dump.window[0] - size.0).abs() < 1.0 && (dump.window[1] - size.1).abs() < 1.0,
        "{what}: {:?}",
        dump.window
    );
    assert!(dump.nodes_total > 10, "{what}: {} nodes", dump.nodes_total);
    // Texts on the map are large enough to read from the back of a room.
    let least = if presenter { 16.0 } else { 13.0 };
    for i in dump.items.iter().filter(|i| i.kind.is_text()) {
        assert!(i.font_px >= least, "{what}: {:?} {:?} at {} px", i.kind, i.text, i.font_px);
    }
    // Every node is named on the map (whole or shortened).
    assert_eq!(dump.labels_hidden, 0, "{what}: labels with no room");
    assert_eq!(dump.bubbles_hidden, 0, "{what}: replies with no room");
    dump
}

fn era_in_every_setting(n: usize) -> Vec<LayoutDump> {
    let mut v = Vec::new();
    for size in [(1280.0, 720.0), (1920.0, 1080.0)] {
        for presenter in [false, true] {
            v.push(check(era(n), size, presenter, Some("mx-co"), None));
        }
    }
    v
}

#[test]
fn era_1_lays_out_cleanly() {
    let dumps = era_in_every_setting(1);
    // Envelopes are drawn large enough to hit.
    let env = dumps[0].items.iter().find(|i| i.kind == Kind::Envelope).expect("mail in flight at 2h");
    assert!(env.rect[2] >= 36.0 && env.rect[3] >= 24.0, "{env:?}");
}

#[test]
fn era_2_lays_out_cleanly() {
    era_in_every_setting(2);
}

#[test]
fn era_3_lays_out_cleanly() {
    era_in_every_setting(3);
}

#[test]
fn era_4_lays_out_cleanly() {
    era_in_every_setting(4);
}

#[test]
fn era_5_lays_out_cleanly() {
    era_in_every_setting(5);
}

#[test]
fn era_6_lays_out_cleanly() {
    era_in_every_setting(6);
}

#[test]
fn era_7_shows_the_whole_greylisting_reply() {
    let dumps = era_in_every_setting(7);
    let bubbles: Vec<&str> =
        dumps.iter().flat_map(|d| d.items.iter()).filter(|i| i.kind == Kind::Bubble).map(|i| i.text.as_str()).collect();
    assert!(bubbles.iter().any(|t| t.contains("Greylisted")), "no greylisting reply in full: {bubbles:?}");
}

#[test]
fn a_message_inspector_keeps_the_map_whole() {
    // The message inspector has long lines (headers, transcripts).
    for presenter in [false, true] {
        check(era(1), (1280.0, 720.0), presenter, None, Some(1));
    }
}

#[test]
fn the_window_draws_what_the_headless_layout_computes() {
    // tests/gui/era1-frozen-layout.json was written by the real window:
    //   xvfb-run -a -s "-screen 0 1280x720x24" target/debug/relaysim gui tests/gui/era1-frozen.ron \
    //     --after 2h --layout-json tests/gui/era1-frozen-layout.json
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join("tests/gui/era1-frozen-layout.json")).unwrap();
    let window: serde_json::Value = serde_json::from_str(&text).unwrap();
    let h = Headless {
        file: root.join("tests/gui/era1-frozen.ron"),
        after: AFTER,
        size: (1280.0, 720.0),
        ..Default::default()
    };
    let dump = headless(&h).unwrap();
    let ours: serde_json::Value = serde_json::from_str(&serde_json::to_string(&dump).unwrap()).unwrap();
    let close = |a: &serde_json::Value, b: &serde_json::Value| {
        let (a, b) = (a.as_array().unwrap(), b.as_array().unwrap());
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x.as_f64().unwrap() - y.as_f64().unwrap()).abs() < 1.0)
    };
    assert!(close(&window["map_rect"], &ours["map_rect"]), "{} vs {}", window["map_rect"], ours["map_rect"]);
    let words = |v: &serde_json::Value| -> Vec<serde_json::Value> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| ["label", "group", "node", "bubble", "badge"].contains(&i["kind"].as_str().unwrap()))
            .cloned()
            .collect()
    };
    let (a, b) = (words(&window), words(&ours));
    assert_eq!(a.len(), b.len(), "{a:#?}\nvs\n{b:#?}");
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x["text"], y["text"]);
        assert!(close(&x["rect"], &y["rect"]), "{x} vs {y}");
    }
}

/// Edit mode: the edit bar with the palette, a node's form in the side
/// column and the checker's panel leave the map its share, and the map's
/// words do not collide, at both sizes, in both languages and modes.
#[test]
fn edit_mode_lays_out_cleanly() {
    for size in [(1280.0, 720.0), (1920.0, 1080.0)] {
        for presenter in [false, true] {
            for japanese in [false, true] {
                let h = Headless {
                    file: era(1),
                    after: 0,
                    size,
                    presenter,
                    japanese,
                    node: Some("relay-c".into()),
                    edit: true,
                    ..Default::default()
                };
                let dump = headless(&h).unwrap();
                let what = format!("edit mode {size:?} presenter {presenter} japanese {japanese}");
                let problems = dump.problems(0.6);
                assert!(problems.is_empty(), "{what}:\n  {}", problems.join("\n  "));
                assert_eq!(dump.labels_hidden, 0, "{what}: labels with no room");
                assert!(dump.nodes_total > 10, "{what}");
            }
        }
    }
}
