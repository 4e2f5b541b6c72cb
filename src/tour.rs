//! The history tour and the example scenarios, compiled into the program.
//!
//! Every lesson (`scenarios/history/*.ron`) and example
//! (`scenarios/examples/*.ron`) is embedded with `include_str!`, so an
//! installed `relaysim` runs them from any directory. They are named
//! `era:N` and `example:NAME`; [`crate::scenario::load`] accepts these names
//! wherever it accepts a file, and problems in an embedded file are reported
//! as `era:3 (scenarios/history/03-pop-before-smtp.ron):LINE:COL`.
//!
//! ```
//! let era = relaysim::tour::find("era:1").expect("era 1 is embedded");
//! assert_eq!(era.path, "scenarios/history/01-open-relay.ron");
//! assert!(era.load().is_ok());
//! ```

use std::path::{Path, PathBuf};

use crate::scenario::{self, LoadError, Scenario};

/// One embedded scenario file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    /// The name to give on the command line: `era:3`, `example:backscatter`.
    pub name: &'static str,
    /// Where the file lives in the source tree (and under `tour --export DIR`,
    /// without the leading `scenarios/`).
    pub path: &'static str,
    /// The file's text.
    pub text: &'static str,
}

macro_rules! entry {
    ($name:literal, $path:literal) => {
        Entry { name: $name, path: $path, text: include_str!(concat!("../", $path)) }
    };
}

/// The history tour, era 1 first.
static ERAS: &[Entry] = &[
    entry!("era:1", "scenarios/history/01-open-relay.ron"),
    entry!("era:2", "scenarios/history/02-relay-restriction.ron"),
    entry!("era:3", "scenarios/history/03-pop-before-smtp.ron"),
    entry!("era:4", "scenarios/history/04-smtp-auth.ron"),
    entry!("era:5", "scenarios/history/05-op25b-submission.ron"),
    entry!("era:6", "scenarios/history/06-spf.ron"),
    entry!("era:7", "scenarios/history/07-greylisting.ron"),
    entry!("era:8", "scenarios/history/08-arms-race.ron"),
];

/// The small example scenarios, in file-name order.
static EXAMPLES: &[Entry] = &[
    entry!("example:backscatter", "scenarios/examples/backscatter.ron"),
    entry!("example:backup-mx", "scenarios/examples/backup-mx.ron"),
    entry!("example:callback", "scenarios/examples/callback.ron"),
    entry!("example:dnsbl", "scenarios/examples/dnsbl.ron"),
    entry!("example:greylisting-edge-cases", "scenarios/examples/greylisting-edge-cases.ron"),
    entry!("example:ignoring-hosts", "scenarios/examples/ignoring-hosts.ron"),
    entry!("example:mx-outage", "scenarios/examples/mx-outage.ron"),
    entry!("example:open-proxy", "scenarios/examples/open-proxy.ron"),
    entry!("example:regulars-greylisting", "scenarios/examples/regulars-greylisting.ron"),
    entry!("example:regulars", "scenarios/examples/regulars.ron"),
    entry!("example:relay-chain", "scenarios/examples/relay-chain.ron"),
    entry!("example:restriction-order", "scenarios/examples/restriction-order.ron"),
    entry!("example:smarthost", "scenarios/examples/smarthost.ron"),
    entry!("example:tarpit", "scenarios/examples/tarpit.ron"),
];

/// The history tour's lessons, era 1 first.
pub fn eras() -> &'static [Entry] {
    ERAS
}

/// The example scenarios.
pub fn examples() -> &'static [Entry] {
    EXAMPLES
}

/// Every embedded file: the eras, then the examples.
pub fn all() -> impl Iterator<Item = &'static Entry> {
    ERAS.iter().chain(EXAMPLES)
}

/// Whether `name` has the form of a tour name (`era:…` or `example:…`),
/// whether or not such an entry exists.
pub fn is_tour_name(name: &str) -> bool {
    name.starts_with("era:") || name.starts_with("example:")
}

/// The entry named `name`: `era:3` (also `era:03`) or `example:backscatter`.
pub fn find(name: &str) -> Option<&'static Entry> {
    if let Some(n) = name.strip_prefix("era:") {
        let n: usize = n.parse().ok()?;
        return ERAS.get(n.checked_sub(1)?);
    }
    EXAMPLES.iter().find(|e| e.name == name)
}

impl Entry {
    /// How messages name this file: `era:3 (scenarios/history/03-pop-before-smtp.ron)`.
    pub fn label(&self) -> String {
        format!("{} ({})", self.name, self.path)
    }

    /// The file name without its folder and extension: `03-pop-before-smtp`.
    pub fn stem(&self) -> &'static str {
        let file = self.path.rsplit('/').next().unwrap_or(self.path);
        file.strip_suffix(".ron").unwrap_or(file)
    }

    /// The scenario's `name` field (its title), read without checking the
    /// whole file; empty if there is none.
    pub fn title(&self) -> &'static str {
        self.text
            .lines()
            .filter_map(|l| l.trim_start().strip_prefix("name:"))
            .filter_map(|rest| {
                let rest = rest.trim_start().strip_prefix('"')?;
                Some(&rest[..rest.find('"')?])
            })
            .next()
            .unwrap_or("")
    }

    /// The title in `lang` (a language code): the file's `names` entry for it,
    /// else its `name`. Each file is parsed once per process, on first use.
    pub fn title_in(&self, lang: &str) -> String {
        static NAMES: std::sync::OnceLock<Vec<(&'static str, crate::scenario::Localized)>> = std::sync::OnceLock::new();
        let names =
            NAMES.get_or_init(|| all().filter_map(|e| Some((e.name, e.load().ok()?.names))).collect::<Vec<_>>());
        names
            .iter()
            .find(|(n, _)| *n == self.name)
            .and_then(|(_, l)| l.0.get(lang).cloned())
            .unwrap_or_else(|| self.title().to_string())
    }

    /// Parses and checks the embedded file.
    pub fn load(&self) -> Result<Scenario, LoadError> {
        scenario::parse(self.text, &self.label())
    }

    /// Where [`export`] writes this file under `dir`.
    pub fn export_path(&self, dir: &Path) -> PathBuf {
        dir.join(self.path.strip_prefix("scenarios/").unwrap_or(self.path))
    }
}

/// Why [`export`] stopped.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("{}: {source}", .path.display())]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{}: exists and differs from the embedded file (not overwritten)", .path.display())]
    Exists { path: PathBuf },
}

/// Writes every embedded file under `dir` (`dir/history/01-open-relay.ron`,
/// `dir/examples/backscatter.ron`, …) and returns the paths written. A file
/// that is already there with the same text is left alone; one with other
/// text (a student's edits) is never overwritten: that is an error.
pub fn export(dir: &Path) -> Result<Vec<PathBuf>, ExportError> {
    let mut written = Vec::new();
    for e in all() {
        let path = e.export_path(dir);
        match std::fs::read_to_string(&path) {
            Ok(old) if old == e.text => {}
            Ok(_) => return Err(ExportError::Exists { path }),
            Err(_) => {
                let io = |source| ExportError::Io { path: path.clone(), source };
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent).map_err(io)?;
                }
                std::fs::write(&path, e.text).map_err(io)?;
            }
        }
        written.push(path);
    }
    Ok(written)
}

/// The listing `relaysim tour` prints.
pub fn listing() -> String {
    let mut out =
        String::from("The history tour (open one with `relaysim gui era:N`, run it with `relaysim run era:N`):\n");
    out.push_str(&section(ERAS));
    out.push_str("\nExamples (`relaysim run example:NAME`):\n");
    out.push_str(&section(EXAMPLES));
    out.push_str("\n`relaysim tour --export DIR` writes these files to DIR to read and edit.\n");
    out
}

/// One line per entry: its name, then its title, in two columns.
fn section(entries: &[Entry]) -> String {
    let width = entries.iter().map(|e| e.name.len()).max().unwrap_or(0);
    entries.iter().map(|e| format!("  {:width$}  {}\n", e.name, e.title())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_resolve() {
        assert_eq!(find("era:3").map(|e| e.stem()), Some("03-pop-before-smtp"));
        assert_eq!(find("era:03").map(|e| e.name), Some("era:3"));
        assert_eq!(find("example:backscatter").map(|e| e.path), Some("scenarios/examples/backscatter.ron"));
        assert!(find("era:0").is_none());
        assert!(find("era:9").is_none());
        assert!(find("example:nope").is_none());
        assert!(find("scenarios/history/01-open-relay.ron").is_none());
    }

    #[test]
    fn titles_are_the_scenario_names() {
        for e in all() {
            let s = e.load().unwrap_or_else(|err| panic!("{}: {err}", e.name));
            assert_eq!(e.title(), s.name, "{}", e.name);
        }
    }

    /// Every lesson and example in the source tree is embedded (a new file
    /// must be added to the tables above).
    #[test]
    fn every_file_is_embedded() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        for (dir, table) in [("scenarios/history", ERAS), ("scenarios/examples", EXAMPLES)] {
            let mut on_disk: Vec<String> = std::fs::read_dir(root.join(dir))
                .unwrap()
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "ron"))
                .map(|p| format!("{dir}/{}", p.file_name().unwrap().to_string_lossy()))
                .collect();
            on_disk.sort();
            let embedded: Vec<String> = table.iter().map(|e| e.path.to_string()).collect();
            assert_eq!(embedded, on_disk, "{dir}");
        }
    }

    #[test]
    fn problems_name_the_embedded_file() {
        let e = find("era:3").unwrap();
        let broken = Entry { text: "(name: 3)", ..*e };
        let err = broken.load().unwrap_err().to_string();
        assert!(err.starts_with("era:3 (scenarios/history/03-pop-before-smtp.ron):1:"), "{err}");
    }
}
