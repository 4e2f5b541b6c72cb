//! A comparison split over machines: `compare … --shard K/N --out DIR` runs
//! only shard K's part of the study and writes `DIR/shard.json`;
//! `compare merge DIR… --out OUT` reads the N shard files and writes exactly
//! the files one machine would have written.
//!
//! The study's jobs are numbered in the order one machine collects them
//! (variant by variant, replication by replication); shard K of N takes the
//! K-th of N contiguous blocks of that list, as equal as they can be. Every
//! run is a pure function of (scenario, seed), so where a job runs changes
//! nothing in its numbers. A shard file records what it belongs to (a hash
//! of the variants' scenarios and settings, the seeds, the replications and
//! the program's version), and `merge` refuses shards of different studies,
//! a shard given twice or one missing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::compare::{self, Comparison, Run, Variant, VariantMeta};

/// The format name written in every shard file.
pub const FORMAT: &str = "relaysim-compare-shard/1";
/// The file a shard writes in its `--out` directory.
pub const FILE: &str = "shard.json";

/// `K/N`: the K-th (1-based) of N shards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShardSpec {
    pub index: usize,
    pub count: usize,
}

/// Why a `--shard` value or a merge was refused.
#[derive(Debug, thiserror::Error)]
pub enum ShardError {
    #[error("--shard `{0}`: expected K/N with 1 <= K <= N, e.g. 2/8")]
    Spec(String),
    #[error("{path}: cannot read: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("{path}: not a relaysim shard file: {why}")]
    NotShard { path: String, why: String },
    #[error("{path}: {what} is {found}, but {first} has {expected}: these shards are not from the same study")]
    Mixed { path: String, first: String, what: &'static str, found: String, expected: String },
    #[error("{path}: shard {index}/{count} was given already in {other}")]
    Duplicate { path: String, other: String, index: usize, count: usize },
    #[error("shard(s) {missing} of {count} missing: merge needs every shard of the study")]
    Missing { missing: String, count: usize },
    #[error("no shard directories given")]
    Empty,
}

impl std::str::FromStr for ShardSpec {
    type Err = ShardError;
    fn from_str(s: &str) -> Result<Self, ShardError> {
        let err = || ShardError::Spec(s.to_string());
        let (k, n) = s.trim().split_once('/').ok_or_else(err)?;
        let (index, count): (usize, usize) =
            (k.trim().parse().map_err(|_| err())?, n.trim().parse().map_err(|_| err())?);
        if index == 0 || index > count {
            return Err(err());
        }
        Ok(ShardSpec { index, count })
    }
}

impl std::fmt::Display for ShardSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl ShardSpec {
    /// The jobs of this shard among `total`.
    pub fn jobs(&self, total: usize) -> std::ops::Range<usize> {
        let at = |k: usize| ((k as u128 * total as u128) / self.count as u128) as usize;
        at(self.index - 1)..at(self.index)
    }
}

/// One run as a shard keeps it: metrics as Rust writes an `f64` (shortest
/// text that reads back to the same bits), so the merge is exact.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ShardRun {
    pub variant: usize,
    pub replication: usize,
    pub seed: u64,
    pub metrics: BTreeMap<String, String>,
}

/// The contents of `shard.json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ShardFile {
    pub format: String,
    /// The relaysim version that ran it (a merge takes one version only).
    pub version: String,
    /// FNV-1a over every variant's scenario, name, file and settings.
    pub study_hash: String,
    pub shard: usize,
    pub shards: usize,
    pub replications: usize,
    /// The study's first seed (replication k uses seed + k).
    pub seed: u64,
    /// The jobs this shard ran, `[first, end)` of `total_jobs`.
    pub jobs: (usize, usize),
    pub total_jobs: usize,
    /// The seeds among this shard's runs, lowest and highest (none when empty).
    pub seeds: Option<(u64, u64)>,
    pub variants: Vec<VariantMeta>,
    pub runs: Vec<ShardRun>,
}

fn fnv1a(h: u64, bytes: &[u8]) -> u64 {
    bytes.iter().fold(h, |h, &b| (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3))
}

/// A hash of what makes the study: each variant's scenario (as RON), name,
/// file and settings, the replications and the first seed.
pub fn study_hash(variants: &[Variant], replications: usize, seed: u64) -> String {
    let mut h = 0xcbf2_9ce4_8422_2325;
    for v in variants {
        let ron = crate::scenario::to_ron(&v.scenario).unwrap_or_default();
        let meta = VariantMeta::of(v);
        for part in [ron.as_str(), &meta.name, &meta.file, &meta.overrides.join("\u{1f}"), "\u{1e}"] {
            h = fnv1a(h, part.as_bytes());
            h = fnv1a(h, &[0]);
        }
    }
    h = fnv1a(h, format!("{replications}/{seed}").as_bytes());
    format!("{h:016x}")
}

/// Runs shard `spec` of the study and returns its file's contents.
pub fn run(variants: &[Variant], opts: compare::Options, spec: ShardSpec) -> ShardFile {
    let total = variants.len() * opts.replications;
    let range = spec.jobs(total);
    let runs = compare::run_jobs(variants, opts, range.clone());
    let seeds = runs.iter().map(|r| r.seed).min().zip(runs.iter().map(|r| r.seed).max());
    ShardFile {
        format: FORMAT.into(),
        version: env!("CARGO_PKG_VERSION").into(),
        study_hash: study_hash(variants, opts.replications, opts.seed),
        shard: spec.index,
        shards: spec.count,
        replications: opts.replications,
        seed: opts.seed,
        jobs: (range.start, range.end),
        total_jobs: total,
        seeds,
        variants: variants.iter().map(VariantMeta::of).collect(),
        runs: runs
            .into_iter()
            .map(|r| ShardRun {
                variant: r.variant,
                replication: r.replication,
                seed: r.seed,
                metrics: r.metrics.into_iter().map(|(k, v)| (k, v.to_string())).collect(),
            })
            .collect(),
    }
}

impl ShardFile {
    /// Writes `dir/shard.json`.
    pub fn write(&self, dir: &Path) -> std::io::Result<PathBuf> {
        std::fs::create_dir_all(dir)?;
        let path = dir.join(FILE);
        let json = serde_json::to_string_pretty(self).map_err(std::io::Error::other)?;
        std::fs::write(&path, json + "\n")?;
        Ok(path)
    }

    fn read(dir: &Path) -> Result<(ShardFile, String), ShardError> {
        let path = if dir.is_dir() { dir.join(FILE) } else { dir.to_path_buf() };
        let name = path.display().to_string();
        let text = std::fs::read_to_string(&path).map_err(|source| ShardError::Read { path: name.clone(), source })?;
        let f: ShardFile =
            serde_json::from_str(&text).map_err(|e| ShardError::NotShard { path: name.clone(), why: e.to_string() })?;
        if f.format != FORMAT {
            return Err(ShardError::NotShard {
                path: name,
                why: format!("format `{}`, expected `{FORMAT}`", f.format),
            });
        }
        Ok((f, name))
    }
}

/// Reads the shard files in `dirs` (each a `--out` directory of a shard, or
/// its `shard.json`) and combines them into the comparison one machine
/// would have made.
pub fn merge(dirs: &[PathBuf]) -> Result<Comparison, ShardError> {
    let mut shards: Vec<(ShardFile, String)> = Vec::new();
    for d in dirs {
        shards.push(ShardFile::read(d)?);
    }
    let Some((first, first_name)) = shards.first().cloned() else { return Err(ShardError::Empty) };
    let mut seen: BTreeMap<usize, String> = BTreeMap::new();
    for (f, name) in &shards {
        let mixed = |what: &'static str, found: String, expected: String| ShardError::Mixed {
            path: name.clone(),
            first: first_name.clone(),
            what,
            found,
            expected,
        };
        if f.version != first.version {
            return Err(mixed("the relaysim version", f.version.clone(), first.version.clone()));
        }
        if f.study_hash != first.study_hash || f.variants != first.variants {
            return Err(mixed("the study hash", f.study_hash.clone(), first.study_hash.clone()));
        }
        if f.replications != first.replications {
            return Err(mixed("replications", f.replications.to_string(), first.replications.to_string()));
        }
        if f.seed != first.seed {
            return Err(mixed("the first seed", f.seed.to_string(), first.seed.to_string()));
        }
        if f.shards != first.shards {
            return Err(mixed("the number of shards", f.shards.to_string(), first.shards.to_string()));
        }
        if let Some(other) = seen.insert(f.shard, name.clone()) {
            return Err(ShardError::Duplicate { path: name.clone(), other, index: f.shard, count: f.shards });
        }
    }
    let missing: Vec<String> = (1..=first.shards).filter(|k| !seen.contains_key(k)).map(|k| k.to_string()).collect();
    if !missing.is_empty() {
        return Err(ShardError::Missing { missing: missing.join(", "), count: first.shards });
    }
    let mut runs = Vec::with_capacity(first.total_jobs);
    for (f, name) in &shards {
        for r in &f.runs {
            let seed = f.seed.checked_add(r.replication as u64);
            if r.variant >= f.variants.len() || r.replication >= f.replications || seed != Some(r.seed) {
                return Err(ShardError::NotShard {
                    path: name.clone(),
                    why: format!("run {}/{} (seed {}) is not part of the study", r.variant, r.replication, r.seed),
                });
            }
            let mut metrics = BTreeMap::new();
            for (k, v) in &r.metrics {
                let x: f64 = v.parse().map_err(|_| ShardError::NotShard {
                    path: name.clone(),
                    why: format!("metric {k} = `{v}` is not a number"),
                })?;
                metrics.insert(k.clone(), x);
            }
            runs.push(Run { variant: r.variant, replication: r.replication, seed: r.seed, metrics });
        }
    }
    runs.sort_by_key(|r| (r.variant, r.replication));
    runs.dedup_by_key(|r| (r.variant, r.replication));
    if runs.len() != first.total_jobs || Some(first.total_jobs) != first.variants.len().checked_mul(first.replications)
    {
        return Err(ShardError::NotShard {
            path: first_name,
            why: format!("the shards hold {} runs, the study has {}", runs.len(), first.total_jobs),
        });
    }
    Ok(compare::summarise(&first.variants, runs, first.replications, first.seed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_cover_every_job_once() {
        for total in [0, 1, 5, 17, 100] {
            for count in 1..=7 {
                let mut all = Vec::new();
                for index in 1..=count {
                    all.extend(ShardSpec { index, count }.jobs(total));
                }
                assert_eq!(all, (0..total).collect::<Vec<_>>(), "{total} jobs in {count} shards");
            }
        }
        assert!("0/3".parse::<ShardSpec>().is_err());
        assert!("4/3".parse::<ShardSpec>().is_err());
        assert!("x".parse::<ShardSpec>().is_err());
        assert_eq!("2/3".parse::<ShardSpec>().unwrap(), ShardSpec { index: 2, count: 3 });
    }
}
