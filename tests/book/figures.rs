//! The figures of the history chapters (`book/src/generated/history/*/world.svg`,
//! written by book/generate.sh with `examples/world_figure`) are what the
//! current code draws: each era is run again here with its own seed and
//! drawn with the same code.

use std::fs;

use relaysim::sim::RunOptions;
use relaysim::stats::Report;

use crate::markdown::{rel, root, src};

#[path = "../../examples/world_figure/render.rs"]
mod render;

#[test]
fn the_world_figures_are_fresh() {
    let mut stale = Vec::new();
    let mut eras: Vec<_> = fs::read_dir(root().join("scenarios/history")).unwrap().map(|e| e.unwrap().path()).collect();
    eras.sort();
    for f in eras.iter().filter(|p| p.extension().is_some_and(|e| e == "ron")) {
        let s = relaysim::scenario::load(f).unwrap_or_else(|e| panic!("{e}"));
        let sim = relaysim::run(s.clone(), RunOptions::new(s.seed).transcripts(false), None);
        let want = render::world_svg(&s, &Report::of(&sim));
        let svg = src().join(format!("generated/history/{}/world.svg", f.file_stem().unwrap().to_string_lossy()));
        if fs::read_to_string(&svg).ok().as_deref() != Some(want.as_str()) {
            stale.push(rel(&svg));
        }
    }
    assert!(stale.is_empty(), "stale figures (run book/generate.sh and commit): {stale:?}");
}
