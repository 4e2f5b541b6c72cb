//! Swapping the whole world at once ("New world from template").

use super::{EditError, Editor};
use crate::scenario::Scenario;

impl Editor {
    /// Replaces the world being edited with `world` in one undoable step; the
    /// result is a new world with no file yet (Save as asks for one).
    pub fn replace_world(&mut self, _world: Scenario) -> Result<(), EditError> {
        todo!("lead, after the edit helper's history lands")
    }
}
