//! `relaysim compare`: every scenario variant over N replications with common
//! random numbers (replication k of every variant uses seed `seed + k`), run
//! in parallel; means with 95% intervals and paired differences to the first
//! variant (the baseline). Results are identical whatever the number of jobs:
//! each run is a pure function of (scenario, seed) and results are collected
//! in job order.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use rayon::prelude::*;
use serde::Serialize;

use super::interval::Estimate;
use super::metrics::{self, KEY_METRICS};
use super::overrides::Override;
use crate::progress::Bar;
use crate::scenario::Scenario;
use crate::sim::RunOptions;

/// One row of the comparison: a scenario file with its overrides.
#[derive(Debug, Clone)]
pub struct Variant {
    /// Short name for tables and charts (`01-open-relay`, `07-greylisting [delay=60s]`).
    pub name: String,
    pub file: String,
    pub overrides: Vec<Override>,
    /// The swept setting that makes this variant, if any.
    pub swept: Option<Override>,
    pub scenario: Scenario,
}

#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct Options {
    pub replications: usize,
    pub seed: u64,
    pub jobs: usize,
    /// Draw a progress bar on the terminal (never when output is not a terminal).
    pub progress: bool,
}

impl Options {
    /// `replications` runs of each variant, replication k with seed `seed + k`,
    /// `jobs` at a time, without a progress bar.
    pub fn new(replications: usize, seed: u64, jobs: usize) -> Self {
        Options { replications, seed, jobs, progress: false }
    }
    /// Draw a progress bar on stderr (only ever wanted on a terminal).
    pub fn progress(mut self, on: bool) -> Self {
        self.progress = on;
        self
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Run {
    pub variant: usize,
    pub replication: usize,
    pub seed: u64,
    pub metrics: BTreeMap<String, f64>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct MetricSummary {
    #[serde(flatten)]
    pub estimate: Estimate,
    /// Paired difference to the baseline (first variant), replication by replication.
    pub diff: Estimate,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct VariantSummary {
    pub name: String,
    pub file: String,
    pub overrides: Vec<String>,
    pub swept: Option<String>,
    pub metrics: BTreeMap<String, MetricSummary>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Comparison {
    pub replications: usize,
    pub seed: u64,
    pub variants: Vec<VariantSummary>,
    pub runs: Vec<Run>,
}

/// Runs every variant `replications` times and summarises.
pub fn run(variants: &[Variant], opts: Options) -> Comparison {
    let runs = run_jobs(variants, opts, 0..variants.len() * opts.replications);
    summarise(&variants.iter().map(VariantMeta::of).collect::<Vec<_>>(), runs, opts.replications, opts.seed)
}

/// Runs jobs `range` of the whole study, where job `j` is replication
/// `j % replications` of variant `j / replications` (a shard runs a part).
pub fn run_jobs(variants: &[Variant], opts: Options, range: std::ops::Range<usize>) -> Vec<Run> {
    let jobs: Vec<(usize, usize)> = range.map(|j| (j / opts.replications, j % opts.replications)).collect();
    let bar = Bar::new(jobs.len() as u64, opts.progress, "{bar:40} {pos}/{len} runs  {elapsed} elapsed, ~{eta} left");
    let one = |&(v, k): &(usize, usize)| {
        let seed = opts.seed.wrapping_add(k as u64);
        let sim = crate::run(variants[v].scenario.clone(), RunOptions::new(seed).transcripts(false), None);
        bar.inc(1);
        Run { variant: v, replication: k, seed, metrics: metrics::of(&sim) }
    };
    let runs: Vec<Run> = match rayon::ThreadPoolBuilder::new().num_threads(opts.jobs.max(1)).build() {
        Ok(pool) => pool.install(|| jobs.par_iter().map(one).collect()),
        Err(_) => jobs.iter().map(one).collect(),
    };
    bar.finish();
    runs
}

/// What the summary needs of a variant (a shard file keeps this, not the scenario).
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct VariantMeta {
    pub name: String,
    pub file: String,
    pub overrides: Vec<String>,
    pub swept: Option<String>,
}

impl VariantMeta {
    pub fn of(v: &Variant) -> Self {
        VariantMeta {
            name: v.name.clone(),
            file: v.file.clone(),
            overrides: v.overrides.iter().map(|o| o.to_string()).collect(),
            swept: v.swept.as_ref().map(|o| o.to_string()),
        }
    }
}

/// The comparison of `runs` (in job order: variant, then replication).
pub fn summarise(variants: &[VariantMeta], runs: Vec<Run>, replications: usize, seed: u64) -> Comparison {
    let column = |v: usize, m: &str| -> Vec<f64> {
        runs.iter().filter(|r| r.variant == v).map(|r| r.metrics.get(m).copied().unwrap_or(0.0)).collect()
    };
    let names: Vec<String> = runs
        .iter()
        .flat_map(|r| r.metrics.keys().cloned())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let summaries = variants
        .iter()
        .enumerate()
        .map(|(v, var)| VariantSummary {
            name: var.name.clone(),
            file: var.file.clone(),
            overrides: var.overrides.clone(),
            swept: var.swept.clone(),
            metrics: names
                .iter()
                .map(|m| {
                    let xs = column(v, m);
                    (
                        m.clone(),
                        MetricSummary { estimate: Estimate::of(&xs), diff: Estimate::paired(&column(0, m), &xs) },
                    )
                })
                .collect(),
        })
        .collect();
    Comparison { replications, seed, variants: summaries, runs }
}

/// Short column headers for the key metrics.
fn header(m: &str) -> &str {
    match m {
        "spam_inbox_rate" => "spam inbox",
        "legit_delivery_rate" => "legit deliv.",
        "legit_delay_median_s" => "delay med s",
        "legit_delay_p95_s" => "delay p95 s",
        "legit_lost" => "legit lost",
        "legit_rejected" => "legit rej.",
        "backscatter_delivered" => "backscatter",
        "spam_via_open_relay" => "via open rel.",
        "bot_effort" => "bot effort",
        other => other,
    }
}

fn cell(e: &Estimate, signed: bool) -> String {
    let digits = if e.mean.abs() < 10.0 { 3 } else { 1 };
    if signed {
        format!("{:+.*}±{:.*}", digits, e.mean, digits, e.ci95)
    } else {
        format!("{:.*}±{:.*}", digits, e.mean, digits, e.ci95)
    }
}

impl Comparison {
    /// The table: one row per variant (mean ± 95% half-width), and under it
    /// the paired difference to the baseline.
    pub fn to_table(&self) -> String {
        let mut o = String::new();
        let _ = writeln!(
            o,
            "{} replications per scenario, seeds {}..{} (common random numbers); mean ± 95% CI half-width",
            self.replications,
            self.seed,
            self.seed.saturating_add(self.replications.saturating_sub(1) as u64)
        );
        let width = self.variants.iter().map(|v| v.name.len()).max().unwrap_or(8).max(10) + 2;
        let _ = write!(o, "{:<width$}", "scenario");
        for (m, _, _) in KEY_METRICS {
            let _ = write!(o, " {:>16}", header(m));
        }
        let _ = writeln!(o);
        for (i, v) in self.variants.iter().enumerate() {
            let _ = write!(o, "{:<width$}", v.name);
            for (m, _, _) in KEY_METRICS {
                let _ = write!(o, " {:>16}", v.metrics.get(m).map_or("-".into(), |s| cell(&s.estimate, false)));
            }
            let _ = writeln!(o);
            if i > 0 {
                let _ = write!(o, "{:<width$}", "  Δ vs baseline");
                for (m, _, _) in KEY_METRICS {
                    let _ = write!(o, " {:>16}", v.metrics.get(m).map_or("-".into(), |s| cell(&s.diff, true)));
                }
                let _ = writeln!(o);
            }
        }
        let _ = writeln!(o, "\nbaseline: {}.", self.variants.first().map_or("", |v| v.name.as_str()));
        for (m, unit, what) in KEY_METRICS {
            let _ = writeln!(o, "  {:<14} {what} ({unit})", header(m));
        }
        o
    }

    /// Writes `replications.csv`, `summary.csv` and `compare.json` to `dir`.
    pub fn write_data(&self, dir: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(dir)?;
        let names: Vec<&String> = self.variants.first().map(|v| v.metrics.keys().collect()).unwrap_or_default();
        let mut reps = String::from("scenario,file,setting,replication,seed");
        for m in &names {
            reps.push(',');
            reps.push_str(m);
        }
        reps.push('\n');
        for r in &self.runs {
            let v = &self.variants[r.variant];
            let _ = write!(
                reps,
                "{},{},{},{},{}",
                csv(&v.name),
                csv(&v.file),
                csv(&v.overrides.join(" ")),
                r.replication,
                r.seed
            );
            for m in &names {
                let _ = write!(reps, ",{}", r.metrics.get(*m).copied().unwrap_or(0.0));
            }
            reps.push('\n');
        }
        std::fs::write(dir.join("replications.csv"), reps)?;
        let mut sum = String::from("scenario,file,setting,metric,n,mean,ci95,diff_mean,diff_ci95\n");
        for v in &self.variants {
            for (m, s) in &v.metrics {
                let _ = writeln!(
                    sum,
                    "{},{},{},{},{},{},{},{},{}",
                    csv(&v.name),
                    csv(&v.file),
                    csv(&v.overrides.join(" ")),
                    m,
                    s.estimate.n,
                    s.estimate.mean,
                    s.estimate.ci95,
                    s.diff.mean,
                    s.diff.ci95
                );
            }
        }
        std::fs::write(dir.join("summary.csv"), sum)?;
        let json = serde_json::to_string_pretty(self).map_err(std::io::Error::other)?;
        std::fs::write(dir.join("compare.json"), json + "\n")
    }
}

/// RFC 4180 quoting where needed.
fn csv(s: &str) -> String {
    if s.contains([',', '"', '\n']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_string() }
}
