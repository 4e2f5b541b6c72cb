//! Scenario files: RON read into a typed schema, then checked as a whole.
//!
//! Every problem is reported with file, line and column; loading never panics,
//! whatever the input (a property test feeds it arbitrary text).

pub mod doc;
pub mod error;
pub mod format;
pub mod hints;
pub mod locate;
pub mod role;
pub mod schema;
pub mod validate;
pub mod warnings;
pub mod work;

use std::path::Path;

use ron::extensions::Extensions;

pub use error::{LoadError, Pos, Problem, ProblemKind};
pub use role::Role;
pub use schema::*;
pub use warnings::{Warning, WarningKind};

/// RON extensions on by default, so authors can write `relay: Open` for an
/// `Option` and `IspRelay(hostname: …)` for a variant holding a struct.
fn ron_options() -> ron::Options {
    ron::Options::default().with_default_extension(Extensions::IMPLICIT_SOME | Extensions::UNWRAP_VARIANT_NEWTYPES)
}

/// How a scenario is checked.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CheckOptions {
    /// Accept a scenario that asks for more work than [`work::Limits`]
    /// allows (`--force`).
    pub force: bool,
}

/// Reads and checks a scenario file, or an embedded one named `era:N` or
/// `example:NAME` (see [`crate::tour`]).
pub fn load(path: &Path) -> Result<Scenario, LoadError> {
    load_with(path, CheckOptions::default())
}

/// [`load`] with options.
pub fn load_with(path: &Path, opts: CheckOptions) -> Result<Scenario, LoadError> {
    let file = path.display().to_string();
    if crate::tour::is_tour_name(&file) {
        return match crate::tour::find(&file) {
            Some(entry) => entry.load(),
            None => Err(LoadError::NotInTour { name: file }),
        };
    }
    let bytes = std::fs::read(path).map_err(|source| LoadError::Io { file: file.clone(), source })?;
    let src = text(bytes, &file)?;
    parse_with(&src, &file, opts)
}

/// The text of a scenario file, or of a built-in `era:N` / `example:NAME`,
/// with the name to give it in messages (as [`load`] names it).
pub fn source(path: &Path) -> Result<(String, String), LoadError> {
    let file = path.display().to_string();
    if crate::tour::is_tour_name(&file) {
        return match crate::tour::find(&file) {
            Some(entry) => Ok((entry.text.to_string(), entry.label())),
            None => Err(LoadError::NotInTour { name: file }),
        };
    }
    let bytes = std::fs::read(path).map_err(|source| LoadError::Io { file: file.clone(), source })?;
    Ok((text(bytes, &file)?, file))
}

/// The text of a file: UTF-8 (a byte-order mark is skipped, as editors on
/// Windows write one); anything else is reported at the first bad byte.
fn text(bytes: Vec<u8>, file: &str) -> Result<String, LoadError> {
    let bytes = match bytes.strip_prefix(b"\xEF\xBB\xBF") {
        Some(rest) => rest.to_vec(),
        None => bytes,
    };
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let good = &e.as_bytes()[..at];
        let line = good.iter().filter(|&&b| b == b'\n').count() + 1;
        // Valid UTF-8 up to `at`, so counting characters is safe.
        let line_start = good.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
        let col = std::str::from_utf8(&good[line_start..]).map_or(1, |s| s.chars().count() + 1);
        LoadError::Problems(vec![Problem {
            file: file.to_string(),
            pos: Pos { line, col },
            kind: ProblemKind::NotUtf8 { byte: e.as_bytes()[at] },
        }])
    })
}

/// Parses and checks scenario text; `file` names it in messages.
pub fn parse(src: &str, file: &str) -> Result<Scenario, LoadError> {
    parse_with(src, file, CheckOptions::default())
}

/// Reads scenario text into its types without checking it as a whole (no
/// references, limits or ranges checked): what `relaysim fmt` and the
/// editor need to write a world that still has errors. A syntax error is
/// reported with its position, as by [`parse`].
pub fn parse_syntax(src: &str, file: &str) -> Result<Scenario, LoadError> {
    let src = src.strip_prefix('\u{feff}').unwrap_or(src);
    ron_options().from_str(src).map_err(|e| {
        let pos = Pos { line: e.span.start.line.max(1), col: e.span.start.col.max(1) };
        LoadError::Problems(vec![Problem {
            file: file.to_string(),
            pos,
            kind: ProblemKind::Syntax(hints::explain(&e.code, src, pos.line, pos.col)),
        }])
    })
}

/// [`parse`] with options.
pub fn parse_with(src: &str, file: &str, opts: CheckOptions) -> Result<Scenario, LoadError> {
    let src = src.strip_prefix('\u{feff}').unwrap_or(src);
    let scenario = parse_syntax(src, file)?;
    let limits = (!opts.force).then(work::Limits::default);
    let (problems, _) = validate::validate_with(&scenario, src, file, limits.as_ref());
    if problems.is_empty() { Ok(scenario) } else { Err(LoadError::Problems(problems)) }
}

/// Settings of a scenario that loaded but can never take effect (`check`
/// prints them; they do not make it fail).
pub fn warnings_in(path: &Path) -> Vec<Warning> {
    let file = path.display().to_string();
    let Ok(src) = std::fs::read_to_string(path) else { return vec![] };
    match parse(&src, &file) {
        Ok(s) => warnings::warnings(&s, &src, &file),
        Err(_) => vec![],
    }
}

/// Writes a scenario back as RON (used by tools that generate scenarios).
pub fn to_ron(s: &Scenario) -> Result<String, ron::Error> {
    let cfg =
        ron::ser::PrettyConfig::default().extensions(Extensions::IMPLICIT_SOME | Extensions::UNWRAP_VARIANT_NEWTYPES);
    ron::ser::to_string_pretty(s, cfg)
}
