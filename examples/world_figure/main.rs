//! `cargo run --example world_figure -- FILE [--seed N] > world.svg`: the
//! world of a scenario as SVG, with what every machine did in one run (the
//! book's figure of each history era; book/generate.sh runs it, and so does
//! .ci/run). It checks what it draws: the counts add up and every node has
//! its box.

mod render;

use std::process::ExitCode;

use relaysim::sim::RunOptions;
use relaysim::stats::Report;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(file) = args.first() else {
        eprintln!("usage: world_figure FILE [--seed N]");
        return ExitCode::from(2);
    };
    let scenario = match relaysim::scenario::load(std::path::Path::new(file)) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(1);
        }
    };
    let seed = match args.iter().position(|a| a == "--seed").and_then(|i| args.get(i + 1)) {
        Some(s) => match s.parse() {
            Ok(n) => n,
            Err(_) => {
                eprintln!("--seed {s}: not a number");
                return ExitCode::from(2);
            }
        },
        None => scenario.seed,
    };
    let sim = relaysim::run(scenario.clone(), RunOptions::new(seed).transcripts(false), None);
    let report = Report::of(&sim);
    // The figure's counters add up: every message sent ends delivered,
    // rejected, lost or still queued, in every class and for every source.
    for (class, c) in &report.mail {
        assert!(c.counts.balanced(), "{class}: sent is not delivered + rejected + lost + queued");
    }
    for (source, c) in &report.sources {
        assert!(c.balanced(), "source {source}: sent is not delivered + rejected + lost + queued");
    }
    let svg = render::world_svg(&scenario, &report);
    // One whole SVG document, with a box for every node.
    assert!(svg.starts_with("<svg ") && svg.trim_end().ends_with("</svg>"), "not one SVG document");
    for node in &scenario.nodes {
        assert!(svg.contains(&format!(">{}<", node.id)), "node {} is not drawn", node.id);
    }
    print!("{svg}");
    ExitCode::SUCCESS
}
