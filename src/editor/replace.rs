//! Swapping the whole world at once ("New world from template").

use super::{EditError, Editor, HISTORY};
use crate::scenario::Scenario;

impl Editor {
    /// Replaces the world being edited with `world` in one undoable step.
    /// The result is a new world with no file yet: Save asks for one, so a
    /// template never overwrites the file that was open (undo brings the old
    /// world back, still without its file name).
    pub fn replace_world(&mut self, world: Scenario) -> Result<(), EditError> {
        let before = std::mem::replace(&mut self.scenario, world);
        self.undo.push((before, self.revision));
        if self.undo.len() > HISTORY {
            self.undo.remove(0);
        }
        self.redo.clear();
        self.revision = self.next_revision;
        self.next_revision += 1;
        self.path = None;
        self.original = None;
        self.recheck();
        Ok(())
    }
}
