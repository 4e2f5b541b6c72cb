//! The command line: `relaysim run | check | show`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use relaysim::scenario::{self, LoadError};
use relaysim::sim::{MsgId, RunOptions, inspect};
use relaysim::stats::Report;
use relaysim::units::Duration;

#[derive(Parser)]
#[command(
    name = "relaysim",
    version,
    about = "An educational SMTP network simulator: relays, spam, and the defenses that fought it"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Table,
    Json,
}

#[derive(Subcommand)]
enum Command {
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
    },
    /// Check scenario files and report every problem with file:line:column.
    Check {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Run a scenario and print one message's path, headers and SMTP dialogues.
    Show {
        file: PathBuf,
        /// The message number (see the `#` in other outputs; 0 is the first mail sent).
        #[arg(long, default_value = "0")]
        message: u32,
        #[arg(long)]
        seed: Option<u64>,
        #[arg(long)]
        until: Option<Duration>,
    },
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Run { file, seed, until, format, no_transcripts } => {
            let s = match load(&file) {
                Ok(s) => s,
                Err(code) => return code,
            };
            let opts =
                RunOptions { seed: seed.unwrap_or(s.seed), transcripts: no_transcripts.then_some(false), trace: false };
            let sim = relaysim::run(s, opts, until.map(|d| d.0));
            let report = Report::of(&sim);
            match format {
                Format::Table => print!("{}", report.to_table()),
                Format::Json => match serde_json::to_string_pretty(&report) {
                    Ok(j) => println!("{j}"),
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
                    Ok(_) => println!("{}: ok", f.display()),
                    Err(e) => {
                        eprintln!("{e}");
                        bad += 1;
                    }
                }
            }
            if bad > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS }
        }
        Command::Show { file, message, seed, until } => {
            let s = match load(&file) {
                Ok(s) => s,
                Err(code) => return code,
            };
            let opts = RunOptions { seed: seed.unwrap_or(s.seed), transcripts: Some(true), trace: false };
            let sim = relaysim::run(s, opts, until.map(|d| d.0));
            match inspect::describe(&sim, MsgId(message)) {
                Some(text) => {
                    print!("{text}");
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
