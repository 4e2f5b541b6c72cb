//! The command line: `relaysim` (the classroom GUI on the history tour),
//! `relaysim gui FILE`, and `run | check | show | compare`.

/// mimalloc, measured against glibc's malloc on the benchmark world's day:
/// about a fifth less CPU time (see the book's performance chapter).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use relaysim::scenario::{self, LoadError};
use relaysim::sim::{MsgId, RunOptions, inspect};
use relaysim::stats::Report;
use relaysim::units::Duration;

mod bench_cli;

#[derive(Parser)]
#[command(
    name = "relaysim",
    version,
    about = "An educational SMTP network simulator: relays, spam, and the defenses that fought it"
)]
struct Cli {
    /// Without a command: the classroom GUI on the history tour (era 1).
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Table,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Open a scenario in the classroom GUI (watch mail hop; inspect any message).
    #[cfg(feature = "gui")]
    Gui {
        /// The scenario file (default: era 1 of the history tour).
        file: Option<PathBuf>,
        /// Save a screenshot to this PNG file and exit.
        #[arg(long)]
        screenshot: Option<PathBuf>,
        /// With --screenshot: advance the simulation this far first (e.g. "2h").
        #[arg(long)]
        after: Option<Duration>,
        /// Measure frame time over this many frames with 2,000 messages in flight, print it and exit.
        #[arg(long)]
        bench_frames: Option<u32>,
        /// Start in presenter mode (large fonts, high contrast).
        #[arg(long)]
        presenter: bool,
        /// Start with the panels and the narration in Japanese.
        #[arg(long)]
        japanese: bool,
        /// Open this message (number as `show --list` gives it) in the inspector.
        #[arg(long)]
        message: Option<u32>,
        /// Open this node (its id) in the inspector.
        #[arg(long)]
        node: Option<String>,
        /// Write every text and panel drawn at --after (window pixels) to this JSON file and exit.
        #[arg(long)]
        layout_json: Option<PathBuf>,
        /// Window size, e.g. 1920x1080 (default: the monitor's size; 1280x720 for screenshots and layouts).
        #[arg(long, value_parser = relaysim::gui::screenshot::parse_size)]
        size: Option<(u32, u32)>,
        /// Open full screen.
        #[arg(long)]
        fullscreen: bool,
    },
    /// Compare a screenshot with a reference image (CI): fails when they differ
    /// by more than the tolerances.
    #[cfg(feature = "gui")]
    #[command(hide = true)]
    ImageDiff {
        actual: PathBuf,
        reference: PathBuf,
        /// Largest mean difference per channel allowed (0..1).
        #[arg(long, default_value = "0.01")]
        max_mean: f64,
        /// Largest share of clearly different pixels allowed (0..1).
        #[arg(long, default_value = "0.01")]
        max_pixels: f64,
    },
    /// Run a scenario headless and print the results.
    Run {
        file: PathBuf,
        /// Seed of the random streams (default: the scenario's `seed`).
        #[arg(long)]
        seed: Option<u64>,
        /// Stop at this simulated time (e.g. "2d"; default: the scenario's duration).
        #[arg(long)]
        until: Option<Duration>,
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
        /// Drop SMTP transcripts (for large statistical runs).
        #[arg(long)]
        no_transcripts: bool,
        /// Print the scenario's narration steps as they fire, then the results.
        #[arg(long)]
        narrate: bool,
        /// Language of the narration: a code such as `en` or `ja`, or `all` for
        /// every language written. A language no text has is an error; a single
        /// text that lacks it is shown in English, marked `(en*)`.
        #[arg(long, default_value = "en", requires = "narrate")]
        lang: relaysim::narrate::Lang,
    },
    /// Check scenario files and report every problem with file:line:column.
    Check {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Run scenarios over N seeds and compare them: means, 95% intervals and
    /// paired differences to the first (the baseline); CSV, JSON and charts to --out.
    Compare {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Replications per scenario (replication k uses seed S+k in every scenario).
        #[arg(long, default_value = "10")]
        replications: usize,
        /// First seed.
        #[arg(long, default_value = "1")]
        seed: u64,
        /// Runs in parallel (default: the number of CPUs).
        #[arg(long)]
        jobs: Option<usize>,
        /// Directory for replications.csv, summary.csv, compare.json and charts/.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Override a parameter in every scenario: PATH=VALUE (repeatable),
        /// e.g. `nodes[mx-co].kind.greylist.delay=60s`.
        #[arg(long = "set")]
        set: Vec<String>,
        /// A parameter study: PATH=V1,V2,... or PATH=START..END:STEP; one variant per value.
        #[arg(long)]
        sweep: Option<String>,
    },
    /// Run a scenario and print one message's path, headers and SMTP dialogues.
    Show {
        file: PathBuf,
        /// The message number (`--list` shows them; 0 is the first mail sent).
        #[arg(long, default_value = "0")]
        message: u32,
        /// List the messages (number, class, source, envelope, fate) instead.
        #[arg(long)]
        list: bool,
        /// With --list: only the messages of this traffic source.
        #[arg(long)]
        source: Option<String>,
        #[arg(long)]
        seed: Option<u64>,
        #[arg(long)]
        until: Option<Duration>,
        /// Apply the narration's actions (sent mails, switched defenses), as
        /// `run --narrate` does, so message numbers match a narrated run.
        #[arg(long)]
        narrate: bool,
    },
    /// Write the generated benchmark world (issue 7) as a scenario file.
    GenerateBench(bench_cli::GenerateArgs),
    /// Measure speed and memory: the engine, a whole run, compare's scaling.
    Bench {
        #[command(subcommand)]
        what: bench_cli::BenchCommand,
    },
}

/// Writes to stdout; a closed pipe (`relaysim … | head`) ends the program quietly.
fn emit(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if out.write_all(text.as_bytes()).and_then(|_| out.flush()).is_err() {
        std::process::exit(0);
    }
}

fn load(file: &Path) -> Result<scenario::Scenario, ExitCode> {
    scenario::load(file).map_err(|e| {
        eprintln!("{e}");
        if let LoadError::Problems(p) = &e {
            eprintln!("{} problem(s) found", p.len());
        }
        ExitCode::from(1)
    })
}

/// Era 1 of the history tour, wherever the program is started from.
#[cfg(feature = "gui")]
fn first_era() -> PathBuf {
    relaysim::gui::panels::history_files()
        .into_iter()
        .next()
        .unwrap_or_else(|| PathBuf::from("scenarios/history/01-open-relay.ron"))
}

#[cfg(feature = "gui")]
fn gui(opts: relaysim::gui::GuiOptions) -> ExitCode {
    match relaysim::gui::run(opts) {
        bevy::app::AppExit::Success => ExitCode::SUCCESS,
        bevy::app::AppExit::Error(code) => ExitCode::from(code.get()),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let Some(command) = cli.command else {
        #[cfg(feature = "gui")]
        return gui(relaysim::gui::GuiOptions { file: first_era(), ..Default::default() });
        #[cfg(not(feature = "gui"))]
        {
            eprintln!("this build has no GUI (feature `gui`); try `relaysim run FILE` or `relaysim --help`");
            return ExitCode::from(2);
        }
    };
    match command {
        #[cfg(feature = "gui")]
        Command::Gui {
            file,
            screenshot,
            after,
            bench_frames,
            presenter,
            japanese,
            message,
            node,
            layout_json,
            size,
            fullscreen,
        } => gui(relaysim::gui::GuiOptions {
            file: file.unwrap_or_else(first_era),
            screenshot,
            after: after.map(|d| d.0),
            bench_frames,
            presenter,
            japanese,
            message,
            node,
            layout_json,
            size,
            fullscreen,
        }),
        #[cfg(feature = "gui")]
        Command::ImageDiff { actual, reference, max_mean, max_pixels } => {
            match relaysim::gui::imgdiff::compare_files(&actual, &reference) {
                Ok(d) => {
                    emit(&format!(
                        "mean difference {:.4} (max {max_mean}), pixels differing {:.4} (max {max_pixels})\n",
                        d.mean, d.pixels
                    ));
                    if d.mean <= max_mean && d.pixels <= max_pixels {
                        ExitCode::SUCCESS
                    } else {
                        eprintln!("{} differs from {}", actual.display(), reference.display());
                        ExitCode::from(1)
                    }
                }
                Err(e) => {
                    eprintln!("{e}");
                    ExitCode::from(1)
                }
            }
        }
        Command::Run { file, seed, until, format, no_transcripts, narrate, lang } => {
            let s = match load(&file) {
                Ok(s) => s,
                Err(code) => return code,
            };
            let opts =
                RunOptions { seed: seed.unwrap_or(s.seed), transcripts: no_transcripts.then_some(false), trace: false };
            let mut report;
            if narrate {
                let n = match relaysim::narrate::run(s, opts, until.map(|d| d.0), &lang) {
                    Ok(n) => n,
                    Err(e) => {
                        eprintln!("{}: {e}", file.display());
                        return ExitCode::from(1);
                    }
                };
                report = Report::of(&n.sim);
                match format {
                    Format::Table => emit(&format!("{}\n", n.text)),
                    // JSON stays one object: the steps reached go in it.
                    Format::Json => report.narration = n.fired,
                }
            } else {
                // A large run shows a progress bar (on a terminal only).
                let terminal = std::io::IsTerminal::is_terminal(&std::io::stderr());
                let sim = relaysim::perf::run_with_progress(s, opts, until.map(|d| d.0), terminal);
                report = Report::of(&sim);
            }
            match format {
                Format::Table => emit(&report.to_table()),
                Format::Json => match serde_json::to_string_pretty(&report) {
                    Ok(j) => emit(&format!("{j}\n")),
                    Err(e) => {
                        eprintln!("cannot write JSON: {e}");
                        return ExitCode::from(2);
                    }
                },
            }
            ExitCode::SUCCESS
        }
        Command::Check { files } => {
            let mut bad = 0;
            for f in &files {
                match scenario::load(f) {
                    Ok(_) => emit(&format!("{}: ok\n", f.display())),
                    Err(e) => {
                        eprintln!("{e}");
                        bad += 1;
                    }
                }
            }
            if bad > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS }
        }
        Command::Compare { files, replications, seed, jobs, out, set, sweep } => {
            compare(files, replications, seed, jobs, out, set, sweep)
        }
        Command::GenerateBench(args) => bench_cli::generate(args),
        Command::Bench { what } => bench_cli::bench(what),
        Command::Show { file, message, seed, until, list, source, narrate } => {
            let s = match load(&file) {
                Ok(s) => s,
                Err(code) => return code,
            };
            let opts = RunOptions { seed: seed.unwrap_or(s.seed), transcripts: Some(true), trace: false };
            let sim = if narrate {
                match relaysim::narrate::run(s, opts, until.map(|d| d.0), &relaysim::narrate::Lang::One("en".into())) {
                    Ok(n) => n.sim,
                    Err(e) => {
                        eprintln!("{}: {e}", file.display());
                        return ExitCode::from(1);
                    }
                }
            } else {
                relaysim::run(s, opts, until.map(|d| d.0))
            };
            if list {
                emit(&inspect::list(&sim, source.as_deref()));
                return ExitCode::SUCCESS;
            }
            match inspect::describe(&sim, MsgId(message)) {
                Some(text) => {
                    emit(&text);
                    ExitCode::SUCCESS
                }
                None => {
                    eprintln!("no message #{message}: the run sent {} message(s)", sim.messages.len());
                    ExitCode::from(1)
                }
            }
        }
    }
}

fn compare(
    files: Vec<PathBuf>,
    replications: usize,
    seed: u64,
    jobs: Option<usize>,
    out: Option<PathBuf>,
    set: Vec<String>,
    sweep: Option<String>,
) -> ExitCode {
    use relaysim::stats::compare::{self, Options, Variant};
    use relaysim::stats::{charts, overrides};
    use std::io::IsTerminal;

    let fail = |msg: String| {
        eprintln!("{msg}");
        ExitCode::from(1)
    };
    if replications == 0 {
        return fail("--replications must be at least 1".into());
    }
    let sets: Vec<overrides::Override> = match set.iter().map(|s| overrides::Override::parse(s)).collect() {
        Ok(v) => v,
        Err(e) => return fail(e.to_string()),
    };
    let sweep_values: Vec<Option<overrides::Override>> = match &sweep {
        Some(s) => match overrides::sweep(s) {
            Ok(v) => v.into_iter().map(Some).collect(),
            Err(e) => return fail(e.to_string()),
        },
        None => vec![None],
    };
    let mut variants = Vec::new();
    for f in &files {
        let base = match load(f) {
            Ok(s) => s,
            Err(code) => return code,
        };
        let stem = f.file_stem().map_or(f.display().to_string(), |s| s.to_string_lossy().to_string());
        for sw in &sweep_values {
            let mut all = sets.clone();
            all.extend(sw.clone());
            let scenario = match overrides::apply(&base, &all, &f.display().to_string()) {
                Ok(s) => s,
                Err(e) => return fail(e.to_string()),
            };
            let name = match sw {
                Some(o) => format!("{stem} [{}]", o.value),
                None => stem.clone(),
            };
            variants.push(Variant { name, file: f.display().to_string(), overrides: all, swept: sw.clone(), scenario });
        }
    }
    let jobs = jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let opts = Options { replications, seed, jobs, progress: std::io::stderr().is_terminal() };
    let result = compare::run(&variants, opts);
    emit(&result.to_table());
    if let Some(dir) = out {
        if let Err(e) = result.write_data(&dir) {
            return fail(format!("{}: {e}", dir.display()));
        }
        match charts::write(&result, &dir.join("charts")) {
            Ok(files) => emit(&format!(
                "\nwrote {}/replications.csv, summary.csv, compare.json and {} chart files in {}/charts",
                dir.display(),
                files.len(),
                dir.display()
            )),
            Err(e) => return fail(e.to_string()),
        }
    }
    ExitCode::SUCCESS
}
