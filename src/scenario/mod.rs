//! Scenario files: RON read into a typed schema, then checked as a whole.
//!
//! Every problem is reported with file, line and column; loading never panics,
//! whatever the input (a property test feeds it arbitrary text).

pub mod error;
pub mod hints;
pub mod locate;
pub mod schema;
pub mod validate;
pub mod warnings;

use std::path::Path;

use ron::extensions::Extensions;

pub use error::{LoadError, Pos, Problem, ProblemKind};
pub use schema::*;
pub use warnings::{Warning, WarningKind};

/// RON extensions on by default, so authors can write `relay: Open` for an
/// `Option` and `IspRelay(hostname: …)` for a variant holding a struct.
fn ron_options() -> ron::Options {
    ron::Options::default().with_default_extension(Extensions::IMPLICIT_SOME | Extensions::UNWRAP_VARIANT_NEWTYPES)
}

/// Reads and checks a scenario file.
pub fn load(path: &Path) -> Result<Scenario, LoadError> {
    let file = path.display().to_string();
    let src = std::fs::read_to_string(path).map_err(|source| LoadError::Io { file: file.clone(), source })?;
    parse(&src, &file)
}

/// Parses and checks scenario text; `file` names it in messages.
pub fn parse(src: &str, file: &str) -> Result<Scenario, LoadError> {
    let scenario: Scenario = ron_options().from_str(src).map_err(|e| {
        let pos = Pos { line: e.span.start.line.max(1), col: e.span.start.col.max(1) };
        LoadError::Problems(vec![Problem {
            file: file.to_string(),
            pos,
            kind: ProblemKind::Syntax(hints::explain(&e.code, src, pos.line, pos.col)),
        }])
    })?;
    let problems = validate::validate(&scenario, src, file);
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
