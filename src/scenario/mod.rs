//! Scenario files: RON read into a typed schema, then checked as a whole.
//!
//! Every problem is reported with file, line and column; loading never panics,
//! whatever the input (a property test feeds it arbitrary text).

pub mod error;
pub mod locate;
pub mod role;
pub mod schema;
pub mod validate;

use std::path::Path;

use ron::extensions::Extensions;

pub use error::{LoadError, Pos, Problem, ProblemKind};
pub use role::Role;
pub use schema::*;

/// RON extensions on by default, so authors can write `relay: Open` for an
/// `Option` and `IspRelay(hostname: …)` for a variant holding a struct.
fn ron_options() -> ron::Options {
    ron::Options::default().with_default_extension(Extensions::IMPLICIT_SOME | Extensions::UNWRAP_VARIANT_NEWTYPES)
}

/// Reads and checks a scenario file, or an embedded one named `era:N` or
/// `example:NAME` (see [`crate::tour`]).
pub fn load(path: &Path) -> Result<Scenario, LoadError> {
    let file = path.display().to_string();
    if crate::tour::is_tour_name(&file) {
        return match crate::tour::find(&file) {
            Some(entry) => entry.load(),
            None => Err(LoadError::NotInTour { name: file }),
        };
    }
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
            kind: ProblemKind::Syntax(e.code.to_string()),
        }])
    })?;
    let problems = validate::validate(&scenario, src, file);
    if problems.is_empty() { Ok(scenario) } else { Err(LoadError::Problems(problems)) }
}

/// Writes a scenario back as RON (used by tools that generate scenarios).
pub fn to_ron(s: &Scenario) -> Result<String, ron::Error> {
    let cfg =
        ron::ser::PrettyConfig::default().extensions(Extensions::IMPLICIT_SOME | Extensions::UNWRAP_VARIANT_NEWTYPES);
    ron::ser::to_string_pretty(s, cfg)
}
