//! Reload the scenario when its file changes (polling its modification time
//! twice a second: no extra dependency, works on every filesystem). A file
//! with errors leaves the last good scenario running and shows the checker's
//! messages in the window.

use std::time::SystemTime;

use bevy::prelude::*;

use crate::gui::playback::SimState;
use crate::scenario;

/// Watches the scenario file (reload on save).
pub(super) fn plugin(app: &mut App) {
    app.add_systems(Update, poll_file.in_set(crate::gui::AppSet::Input));
}

/// Seconds between two looks at the file.
const EVERY: f32 = 0.5;

pub fn poll_file(
    time: Res<Time<Real>>,
    mut state: ResMut<SimState>,
    mut last: Local<Option<(std::path::PathBuf, SystemTime)>>,
    mut since: Local<f32>,
    edit: Option<Res<crate::gui::edit::EditMode>>,
) {
    let _own = crate::gui::own_time::Span::start("watch::poll_file");
    *since += time.delta_secs();
    if *since < EVERY {
        return;
    }
    *since = 0.0;
    // While the world is edited in the window, the editor owns the file; a
    // save it makes is picked up after edit mode ends.
    if edit.is_some_and(|e| e.active()) {
        return;
    }
    let Ok(modified) = std::fs::metadata(&state.path).and_then(|m| m.modified()) else { return };
    match &*last {
        Some((p, t)) if *p == state.path && *t == modified => {}
        Some((p, _)) if *p == state.path => {
            *last = Some((state.path.clone(), modified));
            match scenario::load(&state.path) {
                Ok(s) => state.replace_scenario(s),
                Err(e) => state.error = Some(e.to_string()),
            }
        }
        _ => *last = Some((state.path.clone(), modified)),
    }
}
