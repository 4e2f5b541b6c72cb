//! The command line: `relaysim` (the classroom GUI on the history tour),
//! `relaysim gui FILE`, `run | check | fmt | show | compare | tour`.
//!
//! Exit statuses are the constants in [`status`], listed in `--help`.

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

/// Exit statuses, distinct so scripts can tell what went wrong. Status 2 is
/// left to the argument parser: it means the command line itself was wrong.
mod status {
    /// A scenario with problems, a value that makes no sense, a message that
    /// does not exist, a screenshot that differs: the input was refused.
    pub const INVALID: u8 = 1;
    /// Results, a screenshot or exported files could not be written.
    pub const OUTPUT: u8 = 3;
    /// The classroom window was asked for, but this build has no GUI.
    #[cfg_attr(feature = "gui", allow(dead_code))]
    pub const NO_GUI: u8 = 4;
}

const AFTER_HELP: &str = "\
Scenarios:
  Wherever a FILE is expected, a lesson or example built into the program can
  be named instead: era:1 ... era:8 (the history tour) or example:NAME, e.g.
  example:backscatter. `relaysim tour` lists them all.

Exit status:
  0  success
  1  invalid input (a scenario with problems, a bad value, no such message)
     or a failed run
  2  the command line is wrong (unknown command or option, missing argument)
  3  output could not be written (JSON, --out files, a screenshot, an export)
  4  the GUI was asked for, but this build has none (built without `gui`)";

#[derive(Parser)]
#[command(
    name = "relaysim",
    version,
    about = "An educational SMTP network simulator: relays, spam, and the defenses that fought it",
    after_help = AFTER_HELP
)]
struct Cli {
    /// Without a command: the classroom window on the history tour (era 1).
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    /// Tables to read.
    Table,
    /// One JSON object, for scripts.
    Json,
}

/// Help for every scenario argument.
const FILE_HELP: &str = "The scenario: a RON file, or a built-in lesson or example (era:3, example:backscatter)";

#[derive(Subcommand)]
enum Command {
    /// Open a scenario in the classroom window (watch mail hop; inspect any message).
    #[cfg_attr(not(feature = "gui"), allow(dead_code))]
    Gui {
        /// The scenario: a RON file (reloaded when saved), or a built-in
        /// lesson or example such as era:3 (default: era 1 of the history tour).
        file: Option<PathBuf>,
        /// Save a screenshot to this PNG file and exit.
        #[arg(long)]
        screenshot: Option<PathBuf>,
        /// With --screenshot: advance the simulation this far first (e.g. "2h").
        #[arg(long)]
        after: Option<Duration>,
        /// Measure the window's frame time over this many frames with 2,000
        /// messages in flight, print it and exit.
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
        /// Show the event list (the SMTP events so far) instead of the statistics.
        #[arg(long)]
        events: bool,
        /// Write every text and panel drawn at --after (window pixels) to this JSON file and exit.
        #[arg(long)]
        layout_json: Option<PathBuf>,
        /// Window size, e.g. 1920x1080 (default: the monitor's size; 1280x720 for screenshots and layouts).
        #[arg(long, value_parser = parse_size)]
        size: Option<(u32, u32)>,
        /// Open full screen.
        #[arg(long)]
        fullscreen: bool,
        /// Open in edit mode: build or change the world in the window (E toggles it).
        #[arg(long)]
        edit: bool,
        /// Open in edit mode on a new world from a template: `base` (the
        /// tour's world), `empty` (one ISP and one MX) or an example's name
        /// (`example:backscatter`).
        #[arg(long = "new", value_name = "TEMPLATE")]
        new_world: Option<String>,
        #[command(flatten)]
        live: LiveArgs,
    },
    /// Open live ports: real mail clients (telnet, swaks, Thunderbird) talk
    /// SMTP and POP3 to simulated servers while the world runs, paced to the
    /// wall clock. Stops on Ctrl-C (SIGINT) or SIGTERM and prints the report.
    #[command(after_long_help = SERVE_HELP)]
    Serve {
        #[arg(help = FILE_HELP)]
        file: PathBuf,
        #[command(flatten)]
        live: LiveArgs,
        /// Seed of the random streams (default: the scenario's `seed`).
        #[arg(long)]
        seed: Option<u64>,
        /// How to print the report at the end.
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
        /// Also write the report (in --format) to this file: the only file `serve` writes.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Stop by itself after this much simulated time (e.g. "2h"; default: run until stopped).
        #[arg(long)]
        until: Option<Duration>,
        /// Run a scenario that asks for more work than `check` allows.
        #[arg(long)]
        force: bool,
    },
    /// Compare a screenshot with a reference image (for the test scripts):
    /// fails when they differ by more than the tolerances.
    #[cfg(feature = "gui")]
    #[command(hide = true)]
    ImageDiff {
        /// The screenshot to check (PNG).
        actual: PathBuf,
        /// The image it should look like (PNG).
        reference: PathBuf,
        /// Largest mean difference per channel allowed (0..1).
        #[arg(long, default_value = "0.01")]
        max_mean: f64,
        /// Largest share of clearly different pixels allowed (0..1).
        #[arg(long, default_value = "0.01")]
        max_pixels: f64,
    },
    /// Run a scenario without a window and print the results.
    Run {
        #[arg(help = FILE_HELP)]
        file: PathBuf,
        /// Seed of the random streams (default: the scenario's `seed`).
        #[arg(long)]
        seed: Option<u64>,
        /// Stop at this simulated time (e.g. "2d"; default: the scenario's duration).
        #[arg(long)]
        until: Option<Duration>,
        /// How to print the results.
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
        /// Keep no SMTP dialogues (faster for large runs; the counts are the same).
        #[arg(long)]
        no_transcripts: bool,
        /// Print the scenario's narration steps as they fire, then the results.
        #[arg(long)]
        narrate: bool,
        /// Language of the narration: a code such as `en` or `ja`, or `all` for
        /// every language written. A language no text has is an error; a single
        /// text that lacks it is shown in English, marked `(en*)`.
        #[arg(long, default_value = "en", requires = "narrate")]
        lang: relaysim::narrate::Languages,
        /// Run a scenario that asks for more work than `check` allows.
        #[arg(long)]
        force: bool,
        /// The periods of the JSON's `series` (default: from the run's length:
        /// hours up to 2 days, days up to 60, weeks up to 400, else months).
        #[arg(long, value_enum)]
        period: Option<relaysim::stats::series::Period>,
    },
    /// Check scenario files and report every problem with file:line:column.
    Check {
        /// The scenarios to check (files, or built-in names such as era:3).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Accept scenarios that ask for more work (mails, hosts, retries,
        /// memory) than the limits; every other problem is still reported.
        #[arg(long)]
        force: bool,
    },
    /// Write a scenario in the canonical layout (the one the editor saves),
    /// keeping its comments; to stdout, unless --out or --in-place.
    Fmt {
        #[arg(help = FILE_HELP)]
        file: PathBuf,
        /// Write the formatted text to this file instead of stdout.
        #[arg(long, conflicts_with_all = ["in_place", "check"])]
        out: Option<PathBuf>,
        /// Rewrite FILE itself.
        #[arg(short = 'i', long, conflicts_with = "check")]
        in_place: bool,
        /// Write nothing; exit with status 1 if FILE is not already formatted
        /// (the first line that differs is named).
        #[arg(long)]
        check: bool,
    },
    /// Run scenarios over N seeds and compare them: means, 95% intervals and
    /// paired differences to the first (the baseline); CSV, JSON and charts to --out.
    /// `compare merge DIR... --out OUT` combines the outputs of `--shard` runs.
    #[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
    Compare {
        #[command(subcommand)]
        merge: Option<CompareCommand>,
        /// The scenarios to compare, the baseline first (files, or built-in
        /// names such as era:1 era:2).
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
        /// Run only the K-th of N equal parts of the study (e.g. 3/8) and write
        /// DIR/shard.json to --out; `compare merge` combines the N parts.
        #[arg(long, requires = "out")]
        shard: Option<relaysim::stats::shard::ShardSpec>,
        /// Run scenarios that ask for more work than `check` allows.
        #[arg(long)]
        force: bool,
    },
    /// Combine the `--out` directories of `compare --shard K/N` runs into the
    /// files one machine would have written (the same as `compare merge`).
    CompareMerge(MergeArgs),
    /// Run a scenario and print one message's path, headers and SMTP dialogues.
    Show {
        #[arg(help = FILE_HELP)]
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
        /// Seed of the random streams (default: the scenario's `seed`).
        #[arg(long)]
        seed: Option<u64>,
        /// Stop at this simulated time (e.g. "2h"; default: the scenario's duration).
        #[arg(long)]
        until: Option<Duration>,
        /// Run a scenario that asks for more work than `check` allows.
        #[arg(long)]
        force: bool,
        /// Apply the narration's actions (sent mails, switched defenses), as
        /// `run --narrate` does, so message numbers match a narrated run.
        #[arg(long)]
        narrate: bool,
    },
    /// List the lessons and examples built into the program, or write them
    /// to a folder to read and edit.
    Tour {
        /// Write every lesson and example under this folder (DIR/history/...,
        /// DIR/examples/...); files already there with other text are not overwritten.
        #[arg(long, value_name = "DIR")]
        export: Option<PathBuf>,
    },
    /// For developers: write the generated benchmark world (a large
    /// Internet-like scenario) as a scenario file.
    #[command(hide = true)]
    GenerateBench(bench_cli::GenerateArgs),
    /// For developers: measure speed and memory (the event queue, a whole
    /// run, compare on one and two cores).
    #[command(hide = true)]
    Bench {
        #[command(subcommand)]
        what: bench_cli::BenchCommand,
    },
}

const SERVE_HELP: &str = "\
Examples:
  relaysim serve era:1 --smtp 127.0.0.1:2525=relay-a --pop3 127.0.0.1:1110=relay-a
  relaysim serve era:5 --smtp 127.0.0.1:2587=relay-a:587 --client-at ken
  relaysim serve era:7 --smtp 127.0.0.1:2525=mx-co --client-at ken --speed 60

Each port prints `listening: smtp 127.0.0.1:2525 -> relay-a` when ready.
A port stands for the simulated port given after the node (NODE:587), else
for its own number when that is 25, 587 or 465, else for 25. Port 587 asks
for STARTTLS and AUTH (RFC 6409), 465 is TLS from the start (RFC 8314); the
certificate is self-signed, made at start, its fingerprint printed.
Ports listen on loopback only unless --listen-any. Nothing connects out:
the world is simulated.";

/// The live-port flags of `serve` and `gui`.
#[derive(clap::Args, Default)]
struct LiveArgs {
    /// A live SMTP port: ADDR:PORT=NODE[:SIMPORT], e.g. 127.0.0.1:2525=relay-a
    /// or 127.0.0.1:2587=relay-a:587 (repeatable).
    #[arg(long, value_name = "ADDR:PORT=NODE")]
    smtp: Vec<relaysim::live::PortSpec>,
    /// A live POP3 port on a server holding mailboxes: ADDR:PORT=NODE (repeatable).
    #[arg(long, value_name = "ADDR:PORT=NODE")]
    pop3: Vec<relaysim::live::PortSpec>,
    /// Where the live client sits in the world: a ClientPc, a SpamBot, or
    /// host N of a Population (NODE/N). Default: the first ClientPc.
    #[arg(long, value_name = "NODE[/N]")]
    client_at: Option<relaysim::live::ClientSpec>,
    /// Simulated seconds per real second (1 = real time).
    #[arg(long, default_value = "1", value_name = "X")]
    speed: f64,
    /// Allow addresses other than loopback (a classroom network). Prints a warning.
    #[arg(long)]
    listen_any: bool,
    /// At most this many live connections at once (Postfix default_process_limit).
    #[arg(long, default_value = "100", value_name = "N")]
    max_connections: usize,
    /// At most this many live connections from one address (Postfix
    /// smtpd_client_connection_count_limit).
    #[arg(long, default_value = "50", value_name = "N")]
    max_per_client: usize,
    /// Seconds a live SMTP client may stay silent (Postfix smtpd_timeout);
    /// POP3 clients get at least 10 minutes (RFC 1939 §3).
    #[arg(long, default_value = "300", value_name = "SECONDS")]
    idle_timeout: u64,
    /// Commands answered per live session before `421` and a close.
    #[arg(long, default_value = "1000", value_name = "N")]
    max_commands: u32,
}

impl LiveArgs {
    fn options(&self) -> relaysim::live::LiveOptions {
        relaysim::live::LiveOptions {
            smtp: self.smtp.clone(),
            pop3: self.pop3.clone(),
            client_at: self.client_at.clone(),
            listen_any: self.listen_any,
            bounds: Some(relaysim::live::listener::Bounds {
                connections: self.max_connections,
                per_client: self.max_per_client,
                idle: std::time::Duration::from_secs(self.idle_timeout),
                pop3_idle: std::time::Duration::from_secs(self.idle_timeout.max(600)),
                ..Default::default()
            }),
            commands: Some(self.max_commands),
        }
    }
}

#[derive(Subcommand)]
enum CompareCommand {
    /// Combine the `--out` directories of `compare --shard K/N` runs.
    Merge(MergeArgs),
}

#[derive(clap::Args)]
struct MergeArgs {
    /// The shard directories (each a `--out DIR` of `compare --shard`), in any order.
    #[arg(required = true)]
    dirs: Vec<PathBuf>,
    /// Directory for replications.csv, summary.csv, compare.json and charts/.
    #[arg(long)]
    out: Option<PathBuf>,
}

/// Writes to stdout; a closed pipe (`relaysim … | head`) ends the program quietly.
fn emit(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if out.write_all(text.as_bytes()).and_then(|_| out.flush()).is_err() {
        std::process::exit(0);
    }
}

fn load(file: &Path, force: bool) -> Result<scenario::Scenario, ExitCode> {
    scenario::load_with(file, scenario::CheckOptions { force }).map_err(|e| {
        eprintln!("{e}");
        if let LoadError::Problems(p) = &e {
            eprintln!("{} problem(s) found", p.len());
        }
        ExitCode::from(status::INVALID)
    })
}

/// A scenario's short name in tables: the file name without its extension
/// (also for a built-in `era:N`, so tables read the same either way).
fn stem(f: &Path) -> String {
    if let Some(e) = f.to_str().and_then(relaysim::tour::find) {
        return e.stem().to_string();
    }
    f.file_stem().map_or(f.display().to_string(), |s| s.to_string_lossy().to_string())
}

/// Era 1 of the history tour, wherever the program is started from.
#[cfg(feature = "gui")]
fn first_era() -> PathBuf {
    relaysim::gui::panels::history_files().into_iter().next().unwrap_or_else(|| PathBuf::from("era:1"))
}

#[cfg(feature = "gui")]
fn gui(opts: relaysim::gui::GuiOptions) -> ExitCode {
    match relaysim::gui::run(opts) {
        bevy::app::AppExit::Success => ExitCode::SUCCESS,
        // 1: a --node or --message the scenario does not have; 3: the
        // screenshot could not be made or saved.
        bevy::app::AppExit::Error(code) => ExitCode::from(code.get()),
    }
}

#[cfg(not(feature = "gui"))]
fn no_gui() -> ExitCode {
    eprintln!("this build has no GUI (built without the `gui` feature); try `relaysim run FILE` or `relaysim --help`");
    ExitCode::from(status::NO_GUI)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let Some(command) = cli.command else {
        #[cfg(feature = "gui")]
        return gui(relaysim::gui::GuiOptions { file: first_era(), ..Default::default() });
        #[cfg(not(feature = "gui"))]
        return no_gui();
    };
    match command {
        #[cfg(not(feature = "gui"))]
        Command::Gui { .. } => no_gui(),
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
            events,
            layout_json,
            size,
            fullscreen,
            edit,
            new_world,
            live,
        } => {
            let options = live.options();
            let live_speed = if options.is_empty() {
                None
            } else {
                match relaysim::live::check_speed(live.speed) {
                    Ok(s) => Some(s),
                    Err(e) => {
                        eprintln!("{e}");
                        return ExitCode::from(status::INVALID);
                    }
                }
            };
            gui(relaysim::gui::GuiOptions {
                file: file.unwrap_or_else(first_era),
                screenshot,
                after: after.map(|d| d.0),
                bench_frames,
                presenter,
                japanese,
                message,
                node,
                events,
                layout_json,
                size,
                fullscreen,
                live: options,
                live_speed,
                edit: edit || new_world.is_some(),
                new_world,
            })
        }
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
                        ExitCode::from(status::INVALID)
                    }
                }
                Err(e) => {
                    eprintln!("{e}");
                    ExitCode::from(status::INVALID)
                }
            }
        }
        Command::Run { file, seed, until, format, no_transcripts, narrate, lang, force, period } => {
            let s = match load(&file, force) {
                Ok(s) => s,
                Err(code) => return code,
            };
            let opts = RunOptions::new(seed.unwrap_or(s.seed));
            let opts = if no_transcripts { opts.transcripts(false) } else { opts };
            let mut report;
            let series = |sim: &relaysim::sim::Simulation| match format {
                Format::Json => relaysim::stats::series::Series::of(sim, period).map(Some),
                Format::Table => Ok(None),
            };
            if narrate {
                let n = match relaysim::narrate::run(s, opts, until.map(|d| d.0), &lang) {
                    Ok(n) => n,
                    Err(e) => {
                        eprintln!("{}: {e}", file.display());
                        return ExitCode::from(status::INVALID);
                    }
                };
                report = Report::of(&n.sim);
                report.series = match series(&n.sim) {
                    Ok(s) => s,
                    Err(e) => {
                        eprintln!("{e}");
                        return ExitCode::from(status::INVALID);
                    }
                };
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
                report.series = match series(&sim) {
                    Ok(s) => s,
                    Err(e) => {
                        eprintln!("{e}");
                        return ExitCode::from(status::INVALID);
                    }
                };
            }
            match format {
                Format::Table => emit(&report.to_table()),
                Format::Json => match serde_json::to_string_pretty(&report) {
                    Ok(j) => emit(&format!("{j}\n")),
                    Err(e) => {
                        eprintln!("cannot write JSON: {e}");
                        return ExitCode::from(status::OUTPUT);
                    }
                },
            }
            ExitCode::SUCCESS
        }
        Command::Check { files, force } => {
            let mut bad = 0;
            for f in &files {
                match scenario::load_with(f, scenario::CheckOptions { force }) {
                    Ok(_) => {
                        // Settings that can never take effect: warned, not failed.
                        for w in scenario::warnings_in(f) {
                            eprintln!("{w}");
                        }
                        emit(&format!("{}: ok\n", f.display()))
                    }
                    Err(e) => {
                        eprintln!("{e}");
                        bad += 1;
                    }
                }
            }
            if bad > 0 { ExitCode::from(status::INVALID) } else { ExitCode::SUCCESS }
        }
        Command::Fmt { file, out, in_place, check } => fmt(&file, out.as_deref(), in_place, check),
        Command::Tour { export: None } => {
            emit(&relaysim::tour::listing());
            ExitCode::SUCCESS
        }
        Command::Tour { export: Some(dir) } => match relaysim::tour::export(&dir) {
            Ok(files) => {
                emit(&format!("wrote {} lessons and examples under {}\n", files.len(), dir.display()));
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("{e}");
                ExitCode::from(status::OUTPUT)
            }
        },
        Command::Compare { merge: Some(CompareCommand::Merge(args)), .. } | Command::CompareMerge(args) => {
            compare_merge(args)
        }
        Command::Compare { merge: None, files, replications, seed, jobs, out, set, sweep, shard, force } => {
            compare(CompareArgs { files, replications, seed, jobs, out, set, sweep, shard, force })
        }
        Command::Serve { file, live, seed, format, out, until, force } => {
            serve(ServeArgs { file, live, seed, format, out, until, force })
        }
        Command::GenerateBench(args) => bench_cli::generate(args),
        Command::Bench { what } => bench_cli::bench(what),
        Command::Show { file, message, seed, until, list, source, narrate, force } => {
            let s = match load(&file, force) {
                Ok(s) => s,
                Err(code) => return code,
            };
            let opts = RunOptions::new(seed.unwrap_or(s.seed)).transcripts(true);
            let sim = if narrate {
                match relaysim::narrate::run(
                    s,
                    opts,
                    until.map(|d| d.0),
                    &relaysim::narrate::Languages::One("en".into()),
                ) {
                    Ok(n) => n.sim,
                    Err(e) => {
                        eprintln!("{}: {e}", file.display());
                        return ExitCode::from(status::INVALID);
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
                    eprintln!("no message #{message}: the run sent {} message(s)", sim.messages_created());
                    ExitCode::from(status::INVALID)
                }
            }
        }
    }
}

struct CompareArgs {
    files: Vec<PathBuf>,
    replications: usize,
    seed: u64,
    jobs: Option<usize>,
    out: Option<PathBuf>,
    set: Vec<String>,
    sweep: Option<String>,
    shard: Option<relaysim::stats::shard::ShardSpec>,
    force: bool,
}

/// Runs of one `compare` study (variants x replications) at most: each
/// run's numbers are kept for the summary (about a kilobyte each), so 10^6
/// runs hold about 1 GB. The bound is on the whole study, sharded or not,
/// since `compare merge` holds every run on one machine.
const MAX_RUNS: u128 = 1_000_000;

/// Refuses an `--out` that cannot take the results before any run starts
/// (a read-only directory used to fail after hours of runs).
/// `relaysim fmt`: see the command's help. A file with problems the checker
/// finds (but correct syntax) is formatted all the same, with a note.
fn fmt(file: &Path, out: Option<&Path>, in_place: bool, check: bool) -> ExitCode {
    let (src, name) = match scenario::source(file) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(status::INVALID);
        }
    };
    let s = match scenario::parse_syntax(&src, &name) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(status::INVALID);
        }
    };
    if let Err(LoadError::Problems(p)) = scenario::parse(&src, &name) {
        eprintln!("note: {name}: {} problem(s) found by `relaysim check`; formatted all the same", p.len());
    }
    let src = src.strip_prefix('\u{feff}').unwrap_or(&src);
    let f = scenario::format::format(&s, Some(src));
    for c in &f.lost_comments {
        eprintln!("{name}:{}: comment not kept: {}", c.line, c.text);
    }
    if check {
        return match src.lines().zip(f.text.lines()).position(|(a, b)| a != b) {
            None if src.lines().count() == f.text.lines().count() && src.ends_with('\n') => ExitCode::SUCCESS,
            at => {
                let line = at.unwrap_or_else(|| src.lines().count().min(f.text.lines().count())) + 1;
                eprintln!("{name}:{line}: not formatted (`relaysim fmt --in-place` rewrites it)");
                ExitCode::from(status::INVALID)
            }
        };
    }
    let target = match (out, in_place) {
        (Some(o), _) => o,
        (None, true) if relaysim::tour::is_tour_name(&file.display().to_string()) => {
            eprintln!("{name}: a built-in scenario cannot be rewritten (use --out)");
            return ExitCode::from(status::INVALID);
        }
        (None, true) => file,
        (None, false) => {
            emit(&f.text);
            return ExitCode::SUCCESS;
        }
    };
    match std::fs::write(target, &f.text) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{}: {e}", target.display());
            ExitCode::from(status::OUTPUT)
        }
    }
}

fn check_out_dir(dir: &Path) -> Result<(), String> {
    if dir.exists() && !dir.is_dir() {
        return Err(format!(
            "--out {}: this is a file, not a directory; give a directory to write into",
            dir.display()
        ));
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("--out {}: cannot create the directory: {e}", dir.display()))?;
    let probe = dir.join(format!(".relaysim-write-test-{}", std::process::id()));
    std::fs::write(&probe, b"")
        .map_err(|e| format!("--out {}: cannot write into the directory: {e}", dir.display()))?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}

/// Prints the table and writes the data files and charts (compare and merge).
fn write_comparison(result: &relaysim::stats::compare::Comparison, out: Option<&Path>) -> ExitCode {
    emit(&result.to_table());
    if let Some(dir) = out {
        if let Err(e) = result.write_data(dir) {
            eprintln!("{}: {e}", dir.display());
            return ExitCode::from(status::OUTPUT);
        }
        match relaysim::stats::charts::write(result, &dir.join("charts")) {
            Ok(files) => emit(&format!(
                "\nwrote {}/replications.csv, summary.csv, compare.json and {} chart files in {}/charts",
                dir.display(),
                files.len(),
                dir.display()
            )),
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::from(status::OUTPUT);
            }
        }
    }
    ExitCode::SUCCESS
}

fn compare_merge(args: MergeArgs) -> ExitCode {
    if let Some(dir) = &args.out
        && let Err(e) = check_out_dir(dir)
    {
        eprintln!("{e}");
        return ExitCode::from(status::OUTPUT);
    }
    match relaysim::stats::shard::merge(&args.dirs) {
        Ok(result) => write_comparison(&result, args.out.as_deref()),
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(1)
        }
    }
}

fn compare(args: CompareArgs) -> ExitCode {
    use relaysim::stats::compare::{self, Options, Variant};
    use relaysim::stats::overrides;
    use std::io::IsTerminal;

    let CompareArgs { files, replications, seed, jobs, out, set, sweep, shard, force } = args;
    let fail = |msg: String| {
        eprintln!("{msg}");
        ExitCode::from(status::INVALID)
    };
    let cannot_write = |msg: String| {
        eprintln!("{msg}");
        ExitCode::from(status::OUTPUT)
    };
    if replications == 0 {
        return fail("--replications must be at least 1".into());
    }
    if seed.checked_add(replications as u64 - 1).is_none() {
        return fail(format!(
            "--seed {seed} with {replications} replications needs seeds up to {seed}+{}, beyond the largest seed {}",
            replications - 1,
            u64::MAX
        ));
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
    let runs = (files.len() as u128) * (sweep_values.len() as u128) * replications as u128;
    if runs > MAX_RUNS {
        return fail(format!(
            "{runs} runs ({} scenario(s) x {replications} replications): more than {MAX_RUNS} runs in one study",
            files.len() * sweep_values.len()
        ));
    }
    if let Some(dir) = &out
        && let Err(e) = check_out_dir(dir)
    {
        return cannot_write(e);
    }
    let mut variants = Vec::new();
    for f in &files {
        let base = match load(f, force) {
            Ok(s) => s,
            Err(code) => return code,
        };
        let stem = stem(f);
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
    let opts = Options::new(replications, seed, jobs).progress(std::io::stderr().is_terminal());
    if let (Some(spec), Some(dir)) = (shard, &out) {
        let file = relaysim::stats::shard::run(&variants, opts, spec);
        return match file.write(dir) {
            Ok(path) => {
                let seeds = file.seeds.map_or("no runs".to_string(), |(a, b)| format!("seeds {a}..{b}"));
                emit(&format!(
                    "shard {spec}: jobs {}..{} of {} ({seeds}); wrote {}\n",
                    file.jobs.0,
                    file.jobs.1,
                    file.total_jobs,
                    path.display()
                ));
                ExitCode::SUCCESS
            }
            Err(e) => cannot_write(format!("{}: {e}", dir.display())),
        };
    }
    let result = compare::run(&variants, opts);
    write_comparison(&result, out.as_deref())
}

/// Parses `WxH` (e.g. `1920x1080`).
fn parse_size(s: &str) -> Result<(u32, u32), String> {
    let (w, h) = s.split_once(['x', 'X']).ok_or_else(|| format!("expected WIDTHxHEIGHT, got {s:?}"))?;
    let w: u32 = w.trim().parse().map_err(|_| format!("bad width in {s:?}"))?;
    let h: u32 = h.trim().parse().map_err(|_| format!("bad height in {s:?}"))?;
    if !(320..=10_000).contains(&w) || !(240..=10_000).contains(&h) {
        return Err(format!("size {w}x{h} out of range (320x240 to 10000x10000)"));
    }
    Ok((w, h))
}

struct ServeArgs {
    file: PathBuf,
    live: LiveArgs,
    seed: Option<u64>,
    format: Format,
    out: Option<PathBuf>,
    until: Option<Duration>,
    force: bool,
}

/// `relaysim serve`: live ports on a world paced to the wall clock.
fn serve(args: ServeArgs) -> ExitCode {
    use std::sync::Arc;
    use std::sync::atomic::AtomicBool;

    let ServeArgs { file, live, seed, format, out, until, force } = args;
    let opts = live.options();
    if opts.is_empty() {
        eprintln!("serve: give at least one --smtp or --pop3 port");
        return ExitCode::from(2);
    }
    let speed = match relaysim::live::check_speed(live.speed) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(status::INVALID);
        }
    };
    let s = match load(&file, force) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let mut sim = relaysim::sim::Simulation::new(s.clone(), RunOptions::new(seed.unwrap_or(s.seed)).transcripts(true));
    let mut ports = match relaysim::live::start(&sim, &opts) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(status::INVALID);
        }
    };
    let stop = Arc::new(AtomicBool::new(false));
    if let Err(e) = relaysim::live::stop_on_signal(Arc::clone(&stop)) {
        eprintln!("{e}");
        return ExitCode::from(status::INVALID);
    }
    for w in &ports.warnings {
        eprintln!("{w}");
    }
    emit(&format!("{}\n", ports.tls_line));
    for l in &ports.ready_lines {
        emit(&format!("{l}\n"));
    }
    relaysim::live::run_paced(&mut sim, &mut ports, speed, &stop, until.map(|d| d.0));
    ports.stop(&mut sim);
    let now = sim.now();
    sim.run_until(now);
    let report = Report::of(&sim);
    let sessions = &ports.engine.sessions;
    let text = match format {
        Format::Table => format!("{}{}", report.to_table(), relaysim::live::report::table(&sim, sessions)),
        Format::Json => match relaysim::live::report::json(&report, sessions) {
            Ok(j) => format!("{j}\n"),
            Err(e) => {
                eprintln!("cannot write JSON: {e}");
                return ExitCode::from(status::OUTPUT);
            }
        },
    };
    emit(&text);
    if let Some(path) = out
        && let Err(e) = std::fs::write(&path, &text)
    {
        eprintln!("{}: {e}", path.display());
        return ExitCode::from(status::OUTPUT);
    }
    ExitCode::SUCCESS
}
